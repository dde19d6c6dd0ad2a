#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The node-problem-detector monitor (etc/kubernetes/node-problem-detector.yaml)
does what its comment says, run the way NPD runs it.

The monitor's rule (/bin/sh -c '...vfiobind status --quiet...') runs with the
built client in place of /opt/vfiobind/vfiobind, against a stand-in daemon on
a temporary socket (VFIOBIND_SOCKET) that answers `status` with a canned
health; its output and exit code then go through what NPD's custom plugin
does with them (pkg/custompluginmonitor/plugin: at most 4096 bytes of
standard output, trimmed, cut at max_output_length; exit 0 OK, 1 NonOK,
anything else Unknown; the condition False, True or Unknown):

  healthy -> False, progressing -> False, degraded -> True with the health
  line as message, no daemon -> Unknown with the client's reason, and the
  longest line vfiobind can print fits max_output_length whole.

Needs the built client ($VFIOBIND_BUILDDIR/client/vfiobind) and PyYAML;
never touches /sys or /run/vfiobind.  Exit 0 pass, 1 fail, 77 skipped.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MONITOR = os.path.join(TOP, "etc", "kubernetes", "node-problem-detector.yaml")
CLIENT_IN_NPD = "/opt/vfiobind/vfiobind"
NPD_STDOUT_MAX = 4096  # maxCustomPluginBufferBytes in NPD's plugin.go

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML not available (Debian: apt-get install python3-yaml)")
    sys.exit(77)

CLIENT = os.environ.get("VFIOBIND") or os.path.join(
    os.environ.get("VFIOBIND_BUILDDIR", TOP), "client", "vfiobind")

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))
    return ok


class StandIn:
    """A daemon that answers each request line with the reply set for its
    command ({"v":1,"id":ID,"ok":true,"result":RESULT})."""

    def __init__(self, path):
        self.results = {}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile("rb").readline()
                try:
                    req = json.loads(line)
                except ValueError:
                    continue
                result = self.results.get(req.get("cmd"), {})
                reply = {"v": req.get("v", 1), "id": req.get("id"), "ok": True, "result": result}
                conn.sendall((json.dumps(reply) + "\n").encode())

    def close(self):
        self.sock.close()


def health(word, reason="", waiting="", **counts):
    return {"health": {"state": word, "settled": word != "progressing", "healthy": word == "healthy",
                       "reason": reason, "waiting": waiting, "counts": counts}}


def npd_run(rule, max_len, env):
    """What NPD makes of one run of the rule: (condition status, message)."""
    argv = [rule["path"]] + [a.replace(CLIENT_IN_NPD, CLIENT) for a in rule.get("args", [])]
    r = subprocess.run(argv, capture_output=True, env=env, timeout=30)
    out = r.stdout[:NPD_STDOUT_MAX].decode("utf-8", "replace").strip()[:max_len]
    status = {0: "False", 1: "True"}.get(r.returncode, "Unknown")
    return status, out, r.returncode


def longest_line_bound():
    """The longest health line the client can print, from the sources."""
    import re
    with open(os.path.join(TOP, "logic", "health.h"), encoding="utf-8") as f:
        reason_max = int(re.search(r"#define HEALTH_REASON_MAX (\d+)", f.read()).group(1))
    words = ("healthy", "progressing", "degraded")
    states = ("converged", "pending", "blocked", "error", "absent", "stuck")
    digits = 10  # a count of PCI functions: below 2^32
    counts = sum(digits + 1 + len(s) for s in states) + 2 * (len(states) - 1)
    return max(map(len, words)) + 2 + counts + len("; waiting for ") + reason_max - 1


def main():
    if not (os.access(CLIENT, os.X_OK)):
        print(f"FAIL no client binary at {CLIENT} (build first)")
        return 1
    with open(MONITOR, encoding="utf-8") as f:
        cm = yaml.safe_load(f)
    mon = json.loads(cm["data"]["vfiobind-monitor.json"])
    max_len = mon["pluginConfig"]["max_output_length"]
    rule = next(r for r in mon["rules"] if r["type"] == "permanent")
    default = next(c for c in mon["conditions"] if c["type"] == rule["condition"])
    check(CLIENT_IN_NPD in " ".join(rule["args"]), f"the rule runs {CLIENT_IN_NPD}")

    tmp = tempfile.mkdtemp(prefix="vfiobind-check-npd.")
    sock_path = os.path.join(tmp, "vfiobind.sock")
    env = dict(os.environ, VFIOBIND_SOCKET=sock_path, NO_COLOR="1")
    daemon = StandIn(sock_path)
    try:
        cases = [
            ("healthy", health("healthy", converged=3, blocked=1), "False", 0, "healthy: 3 converged, 1 blocked"),
            ("progressing", health("progressing", "0000:03:00.1 (pending: bind to vfio-pci)",
                                   "0000:03:00.1 (pending: bind to vfio-pci)", converged=3, pending=1),
             "False", 0, None),
            ("degraded", health("degraded", "0000:03:00.1: error: unbind from igb: Device or resource busy",
                                converged=3, error=1), "True", 1,
             "degraded: 3 converged, 1 error; 0000:03:00.1: error: unbind from igb: Device or resource busy"),
        ]
        for name, result, want_status, want_rc, want_msg in cases:
            daemon.results["status"] = result
            status, msg, rc = npd_run(rule, max_len, env)
            check(rc == want_rc and status == want_status,
                  f"{name}: exit {want_rc}, condition {rule['condition']}={want_status}",
                  f"exit {rc}, status {status}, output {msg!r}")
            if want_msg is not None:
                check(msg == want_msg, f"{name}: the message is the health line", repr(msg))
        # NPD shows the default message whenever the condition is False.
        check(len(default["message"]) <= max_len, "the default message fits max_output_length")

        # The longest line: every state counted in the billions, the longest
        # reason the daemon keeps (HEALTH_REASON_MAX - 1 bytes), waited for.
        bound = longest_line_bound()
        check(bound <= max_len, f"the longest health line ({bound} bytes) fits max_output_length ({max_len})")
        big = 4294967295
        reason = ("0000:03:00.1 (pending: " + "x" * 400)[:319]
        daemon.results["status"] = health("degraded", reason, reason, converged=big, pending=big,
                                          blocked=big, error=big, absent=big, stuck=big)
        r = subprocess.run(["/bin/sh", "-c", f'"{CLIENT}" status --quiet'], capture_output=True, env=env)
        line = r.stdout.decode().rstrip("\n")
        check(r.returncode == 1 and len(line) <= bound,
              f"a line with every count at 2^32-1 and a 319-byte reason is within the bound ({len(line)} <= {bound})",
              f"exit {r.returncode}, {len(line)} bytes")
        status, msg, rc = npd_run(rule, max_len, env)
        check(status == "True" and msg == line, "... and NPD shows it whole", f"{len(msg)} of {len(line)} bytes")
    finally:
        daemon.close()
        os.unlink(sock_path)

    # No daemon at all: Unknown, and the message says why.
    status, msg, rc = npd_run(rule, max_len, env)
    check(status == "Unknown" and rc == 3, "no daemon: exit 3, condition Unknown", f"exit {rc}, {status}")
    check("cannot reach vfiobindd" in msg, "no daemon: the message says why", repr(msg))
    os.rmdir(tmp)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
