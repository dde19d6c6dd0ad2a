#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Static checks of vfiobind's deployment files under etc/.

- every YAML file under etc/ parses (all documents);
- Kubernetes objects: required fields, DaemonSet selector/labels, privileged,
  NODE_NAME from spec.nodeName, volumes <-> volumeMounts, the ConfigMap
  mounted as a directory (never subPath), references between objects;
- MachineConfigs: role label, Ignition 3.2.0, files with path + contents;
- the config lines agree: ConfigMap == MachineConfig == the seed's example,
  and every line (and every commented-out example entry) parses;
- every vfiobindd command line uses only options of the daemon's CLI;
- `render.py --check` passes, and every data: URL in the rendered YAML decodes
  to exactly the bytes its .bu file names (inline or local file).

Prints one line per check, then "N passed, N failed".  Exit status: 0 when
all pass, 1 on a failure, 77 (automake: skipped) without PyYAML.
"""

import base64
import glob
import gzip
import os
import re
import shlex
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ETC = os.path.join(TOP, "etc")
OPENSHIFT = os.path.join(ETC, "openshift")

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML not available (Debian: apt-get install python3-yaml)")
    sys.exit(77)

# The seed project's example (vfio-rebind README), kept verbatim everywhere.
SEED_LINES = ["worker-0 0000:03:00.1", "worker-1 0000:03:00.2", "DEFAULT  0000:03:00.0"]
CONFIG_PATH = "/etc/vfiobind/vfiobind.conf"
MODULES_LOAD_PATH = "/etc/modules-load.d/vfio-pci.conf"
ROLE_LABEL = "machineconfiguration.openshift.io/role"

# vfiobindd's fixed command-line contract.
DAEMON_OPTS_WITH_VALUE = {
    "--config", "--sysfs-root", "--node-name", "--socket", "--run-dir", "--resync",
    "--log-level", "--udev-source", "--socket-mode", "--socket-group", "--admin-group",
    "--proc-root", "--dev-root", "--client-timeout", "--stuck-timeout", "--release-grace",
    "--metrics-file", "--nfd-features",
}
DAEMON_OPTS_FLAG = {"--once", "--dry-run", "--check-config"}
DAEMON_OPT_VALUES = {
    "--log-level": {"error", "warning", "info", "debug"},
    "--udev-source": {"udev", "kernel", "none"},
}
CLIENT_COMMANDS = {"status", "devices", "config", "add", "remove", "reload", "reconcile",
                   "plan", "watch", "version", "ping", "check", "wait", "metrics"}
# Options a command takes after its name (vfiobind(1)), with a value or not.
CLIENT_CMD_OPTS = {"status": ({"--quiet", "-q"}, set()), "wait": (set(), {"--timeout"})}
# Where the DaemonSet's export files go on the host (vfiobindd(8), FILES).
TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector"
NFD_FEATURES_DIR = "/etc/kubernetes/node-feature-discovery/features.d"


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        return ok


R = Report()


def rel(path):
    return os.path.relpath(path, TOP)


def dig(obj, *keys, default=None):
    for k in keys:
        if isinstance(obj, dict) and k in obj:
            obj = obj[k]
        elif isinstance(obj, list) and isinstance(k, int) and 0 <= k < len(obj):
            obj = obj[k]
        else:
            return default
    return obj


# ---- vfiobind.conf grammar (vfiobind.conf(5)) ---------------------------------

HEX = "[0-9a-fA-F]"
BDF_RE = re.compile(rf"^({HEX}{{4,8}}:)?{HEX}{{2}}:[01]{HEX}\.[0-7]$")
IFNAME_RE = re.compile(r"^(?!\.{1,2}$)[!-~]{1,15}$")
NODE_RE = re.compile(r"^[A-Za-z0-9._\-*?\[\]!^]{1,253}$")
CLASS_RE = re.compile(rf"^(0x)?({HEX}{{2}}|{HEX}{{4}}|{HEX}{{6}})$")
CLASS_MASKED_RE = re.compile(rf"^(0x)?{HEX}{{6}}/(0x)?{HEX}{{6}}$")
KEY_RES = {
    "driver": re.compile(r"^[A-Za-z0-9_-]{1,63}$"),
    "numvfs": re.compile(r"^\d{1,5}$"),
    "vfs": re.compile(r"^(all|\d+(-\d+)?(,\d+(-\d+)?)*)$"),
    "group": re.compile(r"^(self|all)$"),
    "force": re.compile(r"^(no|yes)$"),
}


def config_device_error(dev):
    if BDF_RE.match(dev):
        return None
    kind, sep, value = dev.partition("=")
    if not sep:
        return f"not a device: {dev!r}"
    if kind == "id" and re.match(rf"^{HEX}{{4}}:{HEX}{{4}}$", value):
        return None
    if kind == "class" and (CLASS_RE.match(value) or CLASS_MASKED_RE.match(value)):
        return None
    if kind == "ifname" and IFNAME_RE.match(value) and not set(value) & set("/:"):
        return None
    if kind == "pf" and (BDF_RE.match(value) or (IFNAME_RE.match(value) and not set(value) & set("/:"))):
        return None
    return f"bad device selector {dev!r}"


def config_line_error(line):
    """None if LINE (comment already removed) is a valid entry, else why not."""
    fields = line.split()
    if len(fields) < 2:
        return "expected NODE DEVICE [key=value ...]"
    node, dev, opts = fields[0], fields[1], fields[2:]
    if node != "DEFAULT" and (not NODE_RE.match(node) or node.lower() == "default"):
        return f"bad node {node!r}"
    err = config_device_error(dev)
    if err:
        return err
    seen = {}
    for opt in opts:
        key, sep, value = opt.partition("=")
        if not sep or key not in KEY_RES:
            return f"unknown option {opt!r}"
        if key in seen:
            return f"option {key} given twice"
        seen[key] = value
        if not KEY_RES[key].match(value):
            return f"bad value in {opt!r}"
    is_pf = dev.startswith("pf=")
    if "numvfs" in seen and is_pf:
        return "numvfs= goes on a line that selects the PF itself, not pf="
    if "vfs" in seen and not (is_pf or "numvfs" in seen):
        return "vfs= needs numvfs= or a pf= selector"
    if "vfs" in seen and "numvfs" in seen and seen["vfs"] != "all":
        top = max(int(n) for n in re.split(r"[,-]", seen["vfs"]))
        if top >= int(seen["numvfs"]):
            return f"vfs= index {top} not below numvfs={seen['numvfs']}"
    return None


def config_entries(text):
    """The active entry lines of a vfiobind.conf: a # at the start of a line
    or after a blank starts a comment; blank lines are dropped."""
    out = []
    for raw in text.splitlines():
        line = re.sub(r"(^|[ \t])#.*$", "", raw).rstrip()
        if line.strip():
            out.append(line)
    return out


def check_config_text(text, where):
    entries = config_entries(text)
    bad = [(l, config_line_error(l)) for l in entries if config_line_error(l)]
    R.check(not bad, f"{where}: every config line parses",
            "; ".join(f"{l!r}: {e}" for l, e in bad))
    return entries


# ---- command lines --------------------------------------------------------

def daemon_argv_error(argv):
    """ARGV starts after 'vfiobindd'.  None if it only uses the contract."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in DAEMON_OPTS_FLAG and not eq:
            i += 1
            continue
        if name not in DAEMON_OPTS_WITH_VALUE:
            return f"unknown option {arg!r}"
        if not eq:
            if i + 1 >= len(argv):
                return f"{name} needs a value"
            value = argv[i + 1]
            i += 1
        allowed = DAEMON_OPT_VALUES.get(name)
        if allowed and value not in allowed:
            return f"{name} {value!r}: expected one of {sorted(allowed)}"
        i += 1
    return None


def _is_seconds(v):
    return re.match(r"^\d+(\.\d+)?$", v or "") is not None


def client_argv_error(argv):
    """ARGV starts after 'vfiobind'."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("--json", "-j", "--no-color"):
            i += 1
        elif argv[i] in ("--socket", "-s", "--timeout", "-t"):
            if argv[i] in ("--timeout", "-t") and not _is_seconds(argv[i + 1] if i + 1 < len(argv) else None):
                return f"{argv[i]} needs seconds"
            i += 2
        elif argv[i].startswith(("--socket=", "--timeout=")):
            i += 1
        else:
            return f"unknown option {argv[i]!r}"
    if i >= len(argv) or argv[i] not in CLIENT_COMMANDS:
        return f"unknown command in {argv!r}"
    flags, valued = CLIENT_CMD_OPTS.get(argv[i], (set(), set()))
    rest = argv[i + 1:]
    j = 0
    while j < len(rest):
        if rest[j] in flags:
            j += 1
        elif rest[j] in valued:
            if rest[j] == "--timeout" and not _is_seconds(rest[j + 1] if j + 1 < len(rest) else None):
                return f"{argv[i]} --timeout needs seconds"
            j += 2
        elif rest[j].startswith("-"):
            return f"{argv[i]}: unknown option {rest[j]!r}"
        else:
            j += 1
    return None


def client_cmd_timeout(argv):
    """The seconds of `wait --timeout N` in ARGV (after 'vfiobind'), or None."""
    for k in range(len(argv) - 1):
        if argv[k] == "--timeout" and "wait" in argv[:k]:
            return float(argv[k + 1])
    return None


# ---- data: URLs -----------------------------------------------------------

def decode_data_url(url, compression=None):
    if not url.startswith("data:") or "," not in url:
        raise ValueError(f"not a data URL: {url[:40]!r}")
    header, data = url[5:].split(",", 1)
    raw = urllib.parse.unquote_to_bytes(data)
    if header.split(";")[-1] == "base64":
        raw = base64.b64decode(raw, validate=True)
    if compression == "gzip":
        raw = gzip.decompress(raw)
    elif compression not in (None, ""):
        raise ValueError(f"unknown compression {compression!r}")
    return raw


# ---- loading --------------------------------------------------------------

def load_all_yaml():
    """{path: [documents]} for every YAML file under etc/ (.yaml .yml .bu)."""
    docs = {}
    paths = sorted(p for ext in ("yaml", "yml", "bu")
                   for p in glob.glob(os.path.join(ETC, "**", f"*.{ext}"), recursive=True))
    R.check(bool(paths), "YAML files found under etc/")
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                docs[path] = [d for d in yaml.safe_load_all(f) if d is not None]
            R.check(bool(docs[path]), f"{rel(path)}: parses", "no documents")
        except yaml.YAMLError as e:
            R.check(False, f"{rel(path)}: parses", str(e).replace("\n", " "))
    return docs


def is_patch(path):
    """*-patch.yaml: a patch of someone else's object (kubectl patch
    --patch-file), not an object to apply; checked by check_npd()."""
    return path.endswith("-patch.yaml")


def kube_objects(docs):
    objs = []
    for path, ds in docs.items():
        # Butane files, and Prometheus rule files (tests/deploy/check-alerts.sh
        # has promtool check those), are not Kubernetes objects.
        if path.endswith(".bu") or os.sep + "prometheus" + os.sep in path or is_patch(path):
            continue
        for i, d in enumerate(ds):
            where = f"{rel(path)}[{i}]"
            ok = isinstance(d, dict) and all(
                isinstance(d.get(k), str) and d.get(k) for k in ("apiVersion", "kind")) \
                and isinstance(dig(d, "metadata", "name"), str)
            if R.check(ok, f"{where}: apiVersion, kind, metadata.name"):
                objs.append((f"{rel(path)}:{d['kind']}/{d['metadata']['name']}", path, d))
    return objs


# ---- Kubernetes ----------------------------------------------------------------

def check_daemonset(where, ds, objs):
    R.check(ds.get("apiVersion") == "apps/v1", f"{where}: apiVersion apps/v1")
    spec = ds.get("spec") or {}
    tmpl = spec.get("template") or {}
    match = dig(spec, "selector", "matchLabels") or {}
    labels = dig(tmpl, "metadata", "labels") or {}
    R.check(bool(match) and all(labels.get(k) == v for k, v in match.items()),
            f"{where}: spec.selector.matchLabels match the template labels",
            f"{match} vs {labels}")
    pod = tmpl.get("spec") or {}
    R.check(pod.get("hostNetwork") is True, f"{where}: hostNetwork true")
    # The holders of a device (a VM's QEMU, a DPDK pod) are other pods'
    # processes: the daemon must see the host's.
    R.check(pod.get("hostPID") is True, f"{where}: hostPID true")
    containers = pod.get("containers") or []
    R.check(len(containers) >= 1, f"{where}: has containers")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    R.check(len(volumes) == len(pod.get("volumes") or []), f"{where}: volume names unique")
    used = set()
    ns = dig(ds, "metadata", "namespace")

    for c in containers:
        cw = f"{where}: container {c.get('name')}"
        R.check(dig(c, "securityContext", "privileged") is True, f"{cw}: privileged")
        env = {e.get("name"): e for e in c.get("env") or []}
        R.check(dig(env, "NODE_NAME", "valueFrom", "fieldRef", "fieldPath") == "spec.nodeName",
                f"{cw}: NODE_NAME from fieldRef spec.nodeName")
        cmd = list(c.get("command") or []) + list(c.get("args") or [])
        if R.check(cmd[:1] == ["vfiobindd"], f"{cw}: runs vfiobindd", repr(cmd[:1])):
            err = daemon_argv_error(cmd[1:])
            R.check(err is None, f"{cw}: vfiobindd options are in the CLI contract", err or "")
            R.check(_opt_value(cmd[1:], "--config") == CONFIG_PATH, f"{cw}: --config {CONFIG_PATH}")
            R.check(_opt_value(cmd[1:], "--udev-source") == "kernel", f"{cw}: --udev-source kernel")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            pcmd = dig(c, probe, "exec", "command")
            if pcmd is None:
                continue
            err = client_argv_error(pcmd[1:]) if pcmd[:1] == ["vfiobind"] else "not vfiobind"
            R.check(err is None, f"{cw}: {probe} is a valid vfiobind command", err or "")
        R.check(dig(c, "livenessProbe", "exec", "command") == ["vfiobind", "ping"],
                f"{cw}: livenessProbe is `vfiobind ping`")
        # Ready = settled (vfiobind wait), so held or absent devices never
        # stall a rollout; the wait must end by its own exit code, before
        # the kubelet kills the probe.
        rcmd = dig(c, "readinessProbe", "exec", "command") or []
        R.check(rcmd[:1] == ["vfiobind"] and "wait" in rcmd and "status" not in rcmd,
                f"{cw}: readinessProbe is `vfiobind wait`", repr(rcmd))
        wait_s = client_cmd_timeout(rcmd[1:])
        probe_s = dig(c, "readinessProbe", "timeoutSeconds", default=1)
        R.check(wait_s is not None and 0 < wait_s < probe_s,
                f"{cw}: readiness `wait --timeout` is under the probe's timeoutSeconds", f"{wait_s} vs {probe_s}")

        mounts = c.get("volumeMounts") or []
        by_path = {}
        for m in mounts:
            name = m.get("name")
            used.add(name)
            by_path[m.get("mountPath")] = m
            R.check(name in volumes, f"{cw}: volumeMount {name} has a volume")
            vol = volumes.get(name) or {}
            if "configMap" in vol:
                R.check("subPath" not in m and "subPathExpr" not in m,
                        f"{cw}: ConfigMap volume {name} mounted as a directory (no subPath)")
                R.check(m.get("mountPath") == os.path.dirname(CONFIG_PATH),
                        f"{cw}: ConfigMap mounted at {os.path.dirname(CONFIG_PATH)}")
                cm = vol["configMap"].get("name")
                R.check(any(d["kind"] == "ConfigMap" and d["metadata"]["name"] == cm
                            and d["metadata"].get("namespace") == ns for _, _, d in objs),
                        f"{cw}: ConfigMap {cm} exists in namespace {ns}")
        for path, vpath, ro, vtype in (("/sys", "/sys", False, "Directory"),
                                       ("/lib/modules", "/lib/modules", True, "Directory"),
                                       ("/run/vfiobind", "/run/vfiobind", False, "DirectoryOrCreate")):
            m = by_path.get(path) or {}
            vol = volumes.get(m.get("name")) or {}
            R.check(dig(vol, "hostPath", "path") == vpath and dig(vol, "hostPath", "type") == vtype,
                    f"{cw}: {path} is hostPath {vpath} ({vtype})")
            R.check(bool(m.get("readOnly")) == ro, f"{cw}: {path} mounted {'read-only' if ro else 'read-write'}")

        if cmd[:1] == ["vfiobindd"]:
            check_export_files(cw, cmd[1:], by_path, volumes)

    R.check(used == set(volumes), f"{where}: every volume is mounted", f"unused: {set(volumes) - used}")
    sa = pod.get("serviceAccountName")
    if sa:
        R.check(any(d["kind"] == "ServiceAccount" and d["metadata"]["name"] == sa
                    and d["metadata"].get("namespace") == ns for _, _, d in objs),
                f"{where}: ServiceAccount {sa} exists in namespace {ns}")


def check_export_files(cw, argv, by_path, volumes):
    """--metrics-file and --nfd-features write into host directories that
    node_exporter and nfd-worker read: each a writable DirectoryOrCreate
    hostPath mount (the root file system is read-only)."""
    for opt, host_dir, suffix in (("--metrics-file", TEXTFILE_DIR, ".prom"),
                                  ("--nfd-features", NFD_FEATURES_DIR, "")):
        value = _opt_value(argv, opt)
        if not R.check(value is not None, f"{cw}: {opt} given"):
            continue
        d, name = os.path.split(value)
        R.check(name.endswith(suffix) and not name.startswith("."),
                f"{cw}: {opt} file name {name!r} (the collector skips dot files{', reads *.prom' if suffix else ''})")
        m = by_path.get(d) or {}
        vol = volumes.get(m.get("name")) or {}
        R.check(dig(vol, "hostPath", "path") == host_dir and dig(vol, "hostPath", "type") == "DirectoryOrCreate"
                and not m.get("readOnly") and d == host_dir,
                f"{cw}: {opt} directory is the writable hostPath {host_dir} (DirectoryOrCreate)", f"{d}: {vol}")


def _opt_value(argv, name):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def check_kubernetes(objs):
    namespaces = {d["metadata"]["name"] for _, _, d in objs if d["kind"] == "Namespace"}
    for where, path, d in objs:
        if d["kind"] in ("Namespace", "MachineConfig"):
            continue
        ns = d["metadata"].get("namespace")
        if os.path.basename(path).startswith("node-problem-detector"):
            # Goes where node-problem-detector runs, not into ours.
            R.check(ns == NPD_NAMESPACE, f"{where}: in NPD's namespace {NPD_NAMESPACE}")
            continue
        R.check(ns in namespaces, f"{where}: namespace {ns} is defined in etc/", str(sorted(namespaces)))
    for where, path, d in objs:
        if d["kind"] == "DaemonSet":
            check_daemonset(where, d, objs)
        elif d["kind"] == "ConfigMap" and d["metadata"]["name"] == NPD_CONFIGMAP:
            check_npd_monitor(where, d)
        elif d["kind"] == "ConfigMap":
            text = dig(d, "data", "vfiobind.conf")
            if R.check(isinstance(text, str), f"{where}: data.vfiobind.conf"):
                check_config_text(text, where)
        elif d["kind"] in ("Namespace", "ServiceAccount", "MachineConfig"):
            pass
        else:
            R.check(False, f"{where}: known kind", f"no checks for kind {d['kind']}")


# ---- node-problem-detector ---------------------------------------------------
# NPD's custom plugin monitor config (docs/custom_plugin_monitor.md and
# pkg/custompluginmonitor/types in kubernetes/node-problem-detector).  NPD
# decodes it with Go's encoding/json, which ignores unknown keys: a typo
# would silently drop a setting, so unknown keys fail here.

NPD_NAMESPACE = "kube-system"
NPD_CONFIGMAP = "vfiobind-npd"
NPD_MONITOR_KEY = "vfiobind-monitor.json"
NPD_CLIENT = "/opt/vfiobind/vfiobind"
EXPORT_CLIENT = "/usr/libexec/vfiobind/export-client"
NPD_PLUGIN_CONFIG = {"invoke_interval": str, "timeout": str, "max_output_length": int, "concurrency": int,
                     "enable_message_change_based_condition_update": bool, "skip_initial_status": bool}
NPD_RULE_KEYS = {"type", "condition", "reason", "path", "args", "timeout", "invoke_interval"}
GO_DURATION_RE = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


def go_duration(text):
    """Seconds of a Go time.ParseDuration string, or None."""
    if not isinstance(text, str) or not GO_DURATION_RE.match(text):
        return None
    unit = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * unit[u] for n, _, u in re.findall(r"([0-9]+(\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", text))


def check_npd_monitor(where, cm):
    import json
    text = dig(cm, "data", NPD_MONITOR_KEY)
    if not R.check(isinstance(text, str), f"{where}: data.{NPD_MONITOR_KEY}"):
        return
    try:
        mon = json.loads(text)
    except ValueError as e:
        R.check(False, f"{where}: {NPD_MONITOR_KEY} is JSON", str(e))
        return
    w = f"{where} {NPD_MONITOR_KEY}"
    R.check(set(mon) <= {"plugin", "pluginConfig", "source", "conditions", "rules", "metricsReporting"},
            f"{w}: only keys NPD knows", str(sorted(mon)))
    R.check(mon.get("plugin") == "custom", f"{w}: plugin is \"custom\" (the only one NPD accepts)")
    R.check(isinstance(mon.get("source"), str) and mon["source"], f"{w}: source named")
    R.check(isinstance(mon.get("metricsReporting", True), bool), f"{w}: metricsReporting is a boolean")
    pc = mon.get("pluginConfig") or {}
    R.check(set(pc) <= set(NPD_PLUGIN_CONFIG), f"{w}: pluginConfig has only NPD's keys", str(sorted(pc)))
    R.check(all(type(pc[k]) is t for k, t in NPD_PLUGIN_CONFIG.items() if k in pc),
            f"{w}: pluginConfig values have NPD's types")
    interval, timeout = go_duration(pc.get("invoke_interval", "30s")), go_duration(pc.get("timeout", "5s"))
    R.check(interval is not None and timeout is not None and 0 < timeout < interval,
            f"{w}: invoke_interval and timeout are Go durations, timeout < interval")
    max_len = pc.get("max_output_length", 80)
    R.check(isinstance(max_len, int) and 0 < max_len <= 4096,
            f"{w}: max_output_length within NPD's 4096-byte read of standard output")
    R.check(isinstance(pc.get("concurrency", 3), int) and pc.get("concurrency", 3) >= 1, f"{w}: concurrency >= 1")

    conds = mon.get("conditions") or []
    for c in conds:
        R.check(set(c) == {"type", "reason", "message"} and all(isinstance(v, str) and v for v in c.values()),
                f"{w}: condition {c.get('type')} has type, reason, message")
        R.check(re.match(r"^[A-Z][A-Za-z0-9]*$", c.get("type", "")) is not None,
                f"{w}: condition type {c.get('type')} is CamelCase like the kubelet's")
        R.check(len(c.get("message", "")) <= max_len, f"{w}: default message within max_output_length")
    rules = mon.get("rules") or []
    R.check(len(rules) >= 1, f"{w}: has rules")
    for i, r in enumerate(rules):
        rw = f"{w}: rule {i}"
        R.check(set(r) <= NPD_RULE_KEYS, f"{rw}: only NPD's keys", str(sorted(r)))
        R.check(r.get("type") in ("temporary", "permanent"), f"{rw}: type temporary or permanent")
        if r.get("type") == "permanent":
            # NPD refuses to start otherwise (CustomPluginConfig.Validate).
            R.check(any(c.get("type") == r.get("condition") for c in conds),
                    f"{rw}: condition {r.get('condition')} has a default in conditions")
        R.check(isinstance(r.get("reason"), str) and re.match(r"^[A-Z][A-Za-z0-9]*$", r["reason"]) is not None,
                f"{rw}: reason is CamelCase")
        R.check(isinstance(r.get("path"), str) and r["path"].startswith("/"), f"{rw}: path absolute")
        args = r.get("args") or []
        R.check(all(isinstance(a, str) for a in args), f"{rw}: args are strings")
        rt = go_duration(r.get("timeout", pc.get("timeout", "5s")))
        R.check(rt is not None and rt <= timeout, f"{rw}: timeout a Go duration, not above the global one")
        # The check itself: the client the patch exports, status --quiet,
        # with its own timeout under NPD's, and exit 4 (progressing) read as
        # OK rather than Unknown (tests/deploy/check-npd.py runs it).
        script = args[1] if r.get("path") == "/bin/sh" and args[:1] == ["-c"] and len(args) == 2 else ""
        R.check(bool(script), f"{rw}: runs /bin/sh -c SCRIPT")
        argv = shlex.split(script.split(";")[0]) if script else []
        R.check(argv[:1] == [NPD_CLIENT] and "status" in argv and "--quiet" in argv,
                f"{rw}: runs {NPD_CLIENT} status --quiet", repr(argv))
        err = client_argv_error([a for a in argv[1:] if a != "2>&1"])
        R.check(err is None, f"{rw}: a valid vfiobind command line", err or "")
        pre = argv[:argv.index("status")] if "status" in argv else []
        ct = float(pre[pre.index("--timeout") + 1]) if "--timeout" in pre else None
        R.check(ct is not None and rt is not None and ct < rt, f"{rw}: the client's --timeout is under NPD's", f"{ct} vs {rt}")
        R.check("2>&1" in argv, f"{rw}: the client's reason (standard error) becomes the message")
        R.check(re.search(r'-ne 4 \]\s*\|\|\s*rc=0', script) is not None, f"{rw}: exit 4 (progressing) maps to 0")


def check_npd_patch(docs, objs):
    """etc/kubernetes/node-problem-detector-patch.yaml brings the client,
    the socket and the monitor config into NPD's container."""
    path = os.path.join(ETC, "kubernetes", "node-problem-detector-patch.yaml")
    pw = rel(path)
    patch = (docs.get(path) or [None])[0]
    if not R.check(isinstance(patch, dict), f"{pw}: loaded"):
        return
    R.check(patch.get("kind") == "DaemonSet" and dig(patch, "metadata", "name") == "node-problem-detector"
            and dig(patch, "metadata", "namespace") == NPD_NAMESPACE,
            f"{pw}: patches DaemonSet {NPD_NAMESPACE}/node-problem-detector")
    pod = dig(patch, "spec", "template", "spec") or {}
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    inits = pod.get("initContainers") or []
    ours = {c.get("image") for _, _, d in objs if d["kind"] == "DaemonSet"
            for c in dig(d, "spec", "template", "spec", "containers") or []}
    R.check(len(inits) == 1 and {inits[0].get("image")} == ours,
            f"{pw}: one init container, from the vfiobindd DaemonSet's image (same protocol)")
    client_dir = os.path.dirname(NPD_CLIENT)
    if inits:
        R.check(inits[0].get("command") == [EXPORT_CLIENT, client_dir], f"{pw}: init runs {EXPORT_CLIENT} {client_dir}")
        mounts = {m.get("mountPath"): m.get("name") for m in inits[0].get("volumeMounts") or []}
        R.check("emptyDir" in (volumes.get(mounts.get(client_dir)) or {}), f"{pw}: init writes {client_dir}, an emptyDir")
    with open(os.path.join(ETC, "kubernetes", "Containerfile"), encoding="utf-8") as f:
        R.check(re.search(rf"^COPY .*etc/kubernetes/export-client\.sh {re.escape(EXPORT_CLIENT)}$", f.read(), re.M)
                is not None, f"Containerfile installs export-client.sh as {EXPORT_CLIENT}")
    npd = [c for c in pod.get("containers") or [] if c.get("name") == "node-problem-detector"]
    if not R.check(len(npd) == 1 and len(pod.get("containers")) == 1, f"{pw}: patches the container node-problem-detector"):
        return
    mounts = {m.get("mountPath"): m for m in npd[0].get("volumeMounts") or []}
    used = {m.get("name") for m in mounts.values()} | {m.get("name") for c in inits for m in c.get("volumeMounts") or []}
    R.check(used == set(volumes), f"{pw}: every volume mounted, every mount has a volume")
    R.check(mounts.get(client_dir, {}).get("readOnly") is True and "emptyDir" in (volumes.get(mounts.get(client_dir, {}).get("name")) or {}),
            f"{pw}: NPD sees the client at {client_dir}, read-only")
    run = mounts.get("/run/vfiobind") or {}
    R.check(dig(volumes.get(run.get("name")) or {}, "hostPath", "path") == "/run/vfiobind" and run.get("readOnly") is True,
            f"{pw}: NPD sees the host's /run/vfiobind (the socket), read-only")
    # The flag the comment tells to add names the ConfigMap's key in its mount.
    with open(path, encoding="utf-8") as f:
        flag = re.search(r"--config\.custom-plugin-monitor=(\S+?)\"", f.read())
    if R.check(flag is not None, f"{pw}: says which --config.custom-plugin-monitor to add"):
        d, key = os.path.split(flag.group(1))
        vol = volumes.get((mounts.get(d) or {}).get("name")) or {}
        R.check(dig(vol, "configMap", "name") == NPD_CONFIGMAP and key == NPD_MONITOR_KEY
                and not d.startswith("/config/") and d != "/config",
                f"{pw}: {flag.group(1)} is the {NPD_CONFIGMAP} ConfigMap's {NPD_MONITOR_KEY}, outside NPD's /config")
    R.check(any(d["kind"] == "ConfigMap" and d["metadata"]["name"] == NPD_CONFIGMAP for _, _, d in objs),
            f"ConfigMap {NPD_CONFIGMAP} is shipped")


# ---- OpenShift ---------------------------------------------------------------

def check_machineconfig(where, mc):
    R.check(mc.get("apiVersion") == "machineconfiguration.openshift.io/v1", f"{where}: apiVersion")
    R.check(dig(mc, "metadata", "labels", ROLE_LABEL) in ("worker", "master"), f"{where}: role label")
    cfg = dig(mc, "spec", "config") or {}
    R.check(dig(cfg, "ignition", "version") == "3.2.0", f"{where}: ignition version 3.2.0")
    files = {}
    for f in dig(cfg, "storage", "files") or []:
        path, src = f.get("path"), dig(f, "contents", "source")
        ok = isinstance(path, str) and path.startswith("/") and isinstance(src, str)
        R.check(ok, f"{where}: file {path} has path and contents.source")
        mode = f.get("mode")
        R.check(isinstance(mode, int) and 0 <= mode <= 0o7777, f"{where}: file {path} mode is a decimal int")
        try:
            files[path] = decode_data_url(src, dig(f, "contents", "compression"))
        except (ValueError, TypeError) as e:
            R.check(False, f"{where}: file {path} contents decode", str(e))
    units = {}
    for u in dig(cfg, "systemd", "units") or []:
        R.check(isinstance(u.get("name"), str), f"{where}: unit has a name")
        units[u.get("name")] = u
    return files, units


def bu_expected(bu, files_dir):
    """{path: bytes} and {unit name: unit} as the .bu file states them."""
    files = {}
    for f in dig(bu, "storage", "files") or []:
        c = f.get("contents") or {}
        if "inline" in c:
            files[f["path"]] = c["inline"].encode("utf-8")
        elif "local" in c:
            with open(os.path.join(files_dir, c["local"]), "rb") as fh:
                files[f["path"]] = fh.read()
    units = {u["name"]: u for u in dig(bu, "systemd", "units") or []}
    return files, units


def check_openshift(docs, objs):
    rendered = {}
    r = subprocess.run([sys.executable, os.path.join(OPENSHIFT, "render.py"), "--check"],
                       capture_output=True, text=True)
    R.check(r.returncode == 0, "render.py --check: committed MachineConfigs are up to date",
            (r.stderr or r.stdout).strip()[:2000])

    bus = sorted(glob.glob(os.path.join(OPENSHIFT, "*.bu")))
    R.check(bool(bus), "Butane sources found in etc/openshift")
    for bu_path in bus:
        bu = docs.get(bu_path, [None])[0]
        yaml_path = os.path.splitext(bu_path)[0] + ".yaml"
        name = os.path.basename(bu_path)
        if not R.check(isinstance(bu, dict), f"{name}: loaded"):
            continue
        R.check(bu.get("variant") == "openshift" and bu.get("version") == "4.12.0",
                f"{name}: variant openshift, version 4.12.0")
        R.check(dig(bu, "metadata", "labels", ROLE_LABEL) == "worker", f"{name}: worker role label")
        mcs = [d for d in docs.get(yaml_path, []) if isinstance(d, dict) and d.get("kind") == "MachineConfig"]
        if not R.check(len(mcs) == 1, f"{name}: one rendered MachineConfig in {rel(yaml_path)}"):
            continue
        mc = mcs[0]
        R.check(dig(mc, "metadata", "name") == dig(bu, "metadata", "name"), f"{name}: same metadata.name")
        files, units = check_machineconfig(rel(yaml_path), mc)
        rendered[name] = (mc, files, units)
        want_files, want_units = bu_expected(bu, ETC)
        R.check(set(files) == set(want_files), f"{name}: rendered file list matches",
                f"{sorted(files)} vs {sorted(want_files)}")
        for path, data in want_files.items():
            R.check(files.get(path) == data, f"{name}: {path} decodes byte-for-byte to its source")
        R.check(set(units) == set(want_units), f"{name}: rendered unit list matches")
        for uname, u in want_units.items():
            got = units.get(uname) or {}
            R.check(got.get("contents") == u.get("contents") and got.get("enabled") == u.get("enabled"),
                    f"{name}: unit {uname} contents/enabled match")
        kargs = dig(bu, "openshift", "kernel_arguments") or []
        R.check(dig(mc, "spec", "kernelArguments", default=[]) == kargs, f"{name}: kernelArguments match")
    return rendered


def check_cross(rendered, objs):
    # Kernel arguments and vfio-pci at boot.
    iommu = rendered.get("99-worker-vfiobind-iommu.bu")
    if R.check(iommu is not None, "IOMMU MachineConfig rendered"):
        mc, files, _ = iommu
        kargs = dig(mc, "spec", "kernelArguments") or []
        R.check("intel_iommu=on" in kargs and "iommu=pt" in kargs, "IOMMU kernel arguments present")
        with open(os.path.join(ETC, "modules-load.d", "vfio-pci.conf"), "rb") as f:
            ml = f.read()
        R.check(files.get(MODULES_LOAD_PATH) == ml, f"{MODULES_LOAD_PATH} == etc/modules-load.d/vfio-pci.conf")
        R.check("vfio-pci" in config_entries(ml.decode()), "modules-load.d file loads vfio-pci")

    main = rendered.get("99-worker-vfiobind.bu")
    if not R.check(main is not None, "vfiobind MachineConfig rendered"):
        return
    mc, files, units = main
    mc_conf = files.get(CONFIG_PATH)
    if R.check(mc_conf is not None, f"MachineConfig installs {CONFIG_PATH}"):
        mc_entries = check_config_text(mc_conf.decode(), f"MachineConfig {CONFIG_PATH}")
        R.check(mc_entries == SEED_LINES, "MachineConfig config is exactly the seed's example", repr(mc_entries))
        for where, _, d in objs:
            if d["kind"] == "ConfigMap" and "vfiobind.conf" in (d.get("data") or {}):
                R.check(config_entries(d["data"]["vfiobind.conf"]) == mc_entries,
                        f"{where}: config lines equal the MachineConfig's")

    unit = units.get("vfiobindd.service") or {}
    R.check(unit.get("enabled") is True, "RHCOS unit vfiobindd.service enabled")
    text = unit.get("contents") or ""
    exec_start = _unit_exec_start(text)
    argv = shlex.split(exec_start.replace("${VFIOBIND_IMAGE}", "IMAGE"))
    R.check(argv[:2] == ["/usr/bin/podman", "run"] and "IMAGE" in argv,
            "RHCOS unit runs the image with podman", exec_start[:200])
    for want in ("--privileged", "--pid=host", "--net=host", "/sys:/sys", "/lib/modules:/lib/modules:ro",
                 "/etc/vfiobind:/etc/vfiobind:ro", "/run/vfiobind:/run/vfiobind"):
        R.check(want in argv, f"RHCOS unit podman run has {want}")
    R.check(not any(a.endswith((":z", ":Z", ",z", ",Z")) for a in argv), "RHCOS unit never relabels host paths")
    if "IMAGE" in argv:
        err = daemon_argv_error(argv[argv.index("IMAGE") + 2:])
        R.check(argv[argv.index("IMAGE") + 1:][:1] == ["vfiobindd"] and err is None,
                "RHCOS unit runs vfiobindd with contract options only", err or "")
    for line in ("Type=notify", "Restart=on-failure", "RuntimeDirectory=vfiobind", "WantedBy=multi-user.target"):
        R.check(line in text.splitlines(), f"RHCOS unit has {line}")
    image = re.search(r"^Environment=VFIOBIND_IMAGE=(\S+)$", text, re.M)
    ds_images = {c.get("image") for _, _, d in objs if d["kind"] == "DaemonSet"
                 for c in dig(d, "spec", "template", "spec", "containers") or []}
    R.check(image is not None and ds_images == {image.group(1)},
            "DaemonSet and RHCOS unit name the same image", f"{ds_images} vs {image and image.group(1)}")


# MachineConfiguration (operator.openshift.io/v1) node disruption actions a
# user may set: openshift/api operator/v1 types_machineconfiguration.go
# (Special is the MCO's own).
NDP_ACTIONS = {"Reboot", "Drain", "Reload", "Restart", "DaemonReload", "None"}
NDP_SERVICE_RE = re.compile(r"^[A-Za-z0-9:._\\-]+\.(service|socket|device|mount|automount|swap|target|path|timer|snapshot|slice|scope)$")


def json_patch_add(doc, ops):
    """RFC 6902 "add", the only op the policy patch uses, on a copy of DOC:
    the parent must exist; "-" appends to a list; a member is set."""
    import copy
    doc = copy.deepcopy(doc)
    for op in ops:
        if op.get("op") != "add":
            raise ValueError(f"op {op.get('op')!r}")
        *parents, last = op["path"].split("/")[1:]
        node = doc
        for key in parents:
            if isinstance(node, list):
                node = node[int(key)]
            elif isinstance(node, dict) and key in node:
                node = node[key]
            else:
                raise KeyError(f"missing {op['path']}")
        if isinstance(node, list):
            node.insert(len(node) if last == "-" else int(last), copy.deepcopy(op["value"]))
        else:
            node[last] = copy.deepcopy(op["value"])
    return doc


def check_ndp_actions(where, actions, service):
    types = [a.get("type") for a in actions]
    R.check(1 <= len(actions) <= 10 and set(types) <= NDP_ACTIONS, f"{where}: 1-10 actions of {sorted(NDP_ACTIONS)}", str(types))
    R.check(not ({"None", "Reboot"} & set(types)) or len(actions) == 1, f"{where}: None and Reboot stand alone")
    for a in actions:
        for kind in ("reload", "restart"):
            want = a.get("type") == kind.capitalize()
            R.check((kind in a) == want, f"{where}: {a.get('type')}: {kind} given {'as required' if want else 'never'}")
            if want:
                name = dig(a, kind, "serviceName")
                R.check(isinstance(name, str) and NDP_SERVICE_RE.match(name) and name == service,
                        f"{where}: {kind}.serviceName is {service}", str(name))
        R.check(set(a) <= {"type", "reload", "restart"}, f"{where}: action has only type/reload/restart")


def check_node_disruption(docs, rendered):
    path = os.path.join(OPENSHIFT, "node-disruption-policy-patch.yaml")
    pw = rel(path)
    ops = (docs.get(path) or [None])[0]
    if not R.check(isinstance(ops, list) and ops, f"{pw}: a JSON Patch (a list of operations)"):
        return
    R.check(all(o.get("op") == "add" and o.get("path", "").endswith("/-") for o in ops),
            f"{pw}: only appends (add .../-), never replaces a list")
    by_path = {o.get("path"): o.get("value") or {} for o in ops}
    R.check(set(by_path) == {"/spec/nodeDisruptionPolicy/files/-", "/spec/nodeDisruptionPolicy/units/-"}
            and len(ops) == 2, f"{pw}: one file policy and one unit policy", str(sorted(by_path)))
    main = rendered.get("99-worker-vfiobind.bu")
    files, units = (main[1], main[2]) if main else ({}, {})
    f = by_path.get("/spec/nodeDisruptionPolicy/files/-") or {}
    R.check(set(f) == {"path", "actions"} and f.get("path") == CONFIG_PATH and CONFIG_PATH in files,
            f"{pw}: file policy for {CONFIG_PATH}, which the MachineConfig installs")
    R.check(f.get("actions") == [{"type": "None"}], f"{pw}: {CONFIG_PATH}: action None (inotify applies it)")
    u = by_path.get("/spec/nodeDisruptionPolicy/units/-") or {}
    name = u.get("name")
    R.check(set(u) == {"name", "actions"} and name in units and name == "vfiobindd.service",
            f"{pw}: unit policy for {name}, a unit of the MachineConfig")
    actions = u.get("actions") or []
    check_ndp_actions(f"{pw}: {name}", actions, name)
    R.check([a.get("type") for a in actions] == ["DaemonReload", "Restart"],
            f"{pw}: {name}: DaemonReload, then Restart")

    # What the API server does with it (add is RFC 6902's): appended after
    # the admin's own entries; refused on a cluster without the lists; fine
    # after the one-time init the comment gives.
    theirs = {"files": [{"path": "/etc/my-file", "actions": [{"type": "None"}]}],
              "units": [{"name": "my.service", "actions": [{"type": "Reboot"}]}]}
    cluster = {"apiVersion": "operator.openshift.io/v1", "kind": "MachineConfiguration",
               "metadata": {"name": "cluster"}, "spec": {"managementState": "Managed"}}
    got = json_patch_add(dict(cluster, spec={"nodeDisruptionPolicy": theirs}), ops)
    ndp = dig(got, "spec", "nodeDisruptionPolicy") or {}
    got_files, got_units = (x if isinstance(x, list) else [] for x in (ndp.get("files"), ndp.get("units")))
    R.check(got_files[:1] == theirs["files"] and got_units[:1] == theirs["units"]
            and len(got_files) == 2 and len(got_units) == 2,
            f"{pw}: applied, keeps the policies already there and appends ours")
    try:
        json_patch_add(cluster, ops)
        R.check(False, f"{pw}: refused by a cluster with no nodeDisruptionPolicy lists (the comment says so)")
    except (KeyError, IndexError):
        R.check(True, f"{pw}: refused by a cluster with no nodeDisruptionPolicy lists (the comment says so)")
    import json
    with open(path, encoding="utf-8") as fh:
        inits = [json.loads(m) for m in re.findall(r"-p '(\[.*\])'", fh.read())]
    R.check(len(inits) == 3, f"{pw}: the comment gives the three one-time inits", str(len(inits)))
    for init, start in zip(inits, ({}, {"units": []}, {"files": []})):
        base = dict(cluster, spec={"nodeDisruptionPolicy": start}) if start else cluster
        try:
            ndp = dig(json_patch_add(json_patch_add(base, init), ops), "spec", "nodeDisruptionPolicy") or {}
            ok = len(ndp.get("files", [])) == 1 and len(ndp.get("units", [])) == 1
        except (KeyError, IndexError, ValueError):
            ok = False
        R.check(ok, f"{pw}: init {init[0]['path']} then the patch works")


def _unit_exec_start(text):
    """ExecStart= of a unit, backslash continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    m = re.search(r"^ExecStart=(.*)$", joined, re.M)
    return m.group(1).strip() if m else ""


# ---- the example config --------------------------------------------------------

def check_example():
    path = os.path.join(ETC, "vfiobind.conf.example")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    R.check(config_entries(text) == [], "vfiobind.conf.example binds nothing (no active entry)")
    # Commented-out entries are written "#NODE DEVICE ..." (no space after #).
    examples = [l[1:] for l in text.splitlines() if re.match(r"^#[^#\s]", l)]
    R.check(len(examples) >= 10, "vfiobind.conf.example has commented-out entries", str(len(examples)))
    R.check(examples[:3] == SEED_LINES, "vfiobind.conf.example starts with the seed's three lines", repr(examples[:3]))
    check_config_text("\n".join(examples), "vfiobind.conf.example commented entries")
    kinds = " ".join(examples)
    for feature in ("DEFAULT", "*", "id=", "class=", "ifname=", "pf=", "driver=", "numvfs=", "vfs=",
                    "group=all", "force=yes"):
        R.check(feature in kinds, f"vfiobind.conf.example shows {feature}")


def main():
    docs = load_all_yaml()
    objs = kube_objects(docs)
    check_kubernetes(objs)
    check_npd_patch(docs, objs)
    rendered = check_openshift(docs, objs)
    check_cross(rendered, objs)
    check_node_disruption(docs, rendered)
    check_example()
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
