#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py: the VM bench's results (results.jsonl from bench/vm/guest.sh,
one JSON object a line) made into what people read:

  --json  medians, each tool's ratio to the floor, reactions, facts
  --md    the tables (Markdown), and what the diagnostics measured
  --svg   time against N per tool, one panel per workload and direction
          (gnuplot)

A tool's time is the median of its runs that ended with every driver link
right; its ratio is that over the floor's median for the same work in the
same boot. A tool that failed or refused is reported as such, not as a
ratio."""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import datetime

TOOLS = [
    ("floor", "floor"),
    ("edit", "vfiobindd (config edit)"),
    ("edit0", "vfiobindd (config edit, --release-grace 0)"),
    ("add", "vfiobindd (vfiobind add)"),
    ("once", "vfiobindd --once"),
    ("driverctl", "driverctl --nosave"),
    ("dpdk", "dpdk-devbind.py"),
]
WORKLOADS = [
    ("nic", "e1000e NICs", "e1000e"),
    ("vf-nvme", "NVMe VFs that start on nvme", "nvme"),
    ("vf-none", "NVMe VFs that start driverless", "no driver"),
]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"report.py: skipped a line: {line[:80]}", file=sys.stderr)
    return rows


def median(xs):
    return statistics.median(xs) if xs else None


def judge(runs):
    """Status and median of one tool's runs at one N and direction."""
    ok = [r["lw"]["stage_ms"][0] for r in runs if r.get("lw") and r["lw"]["ok"]]
    bad = [r for r in runs if not (r.get("lw") and r["lw"]["ok"])]
    rcs = sorted({r["lw"]["rc"] for r in runs if r.get("lw")})
    if bad:
        rc = bad[0]["lw"]["rc"] if bad[0].get("lw") else None
        if rc == 124:
            status = "failed: timed out"
        elif rc not in (None, 0, -1):
            status = f"refused or failed: exit {rc}"
        else:
            status = "failed: links not right"
    elif any(rc not in (0, -1) for rc in rcs):
        status = f"links right, exit {max(rcs)}"
    else:
        status = "ok"
    return status, median(ok), ok


def moves(rows):
    groups = defaultdict(list)
    for r in rows:
        if r.get("kind") == "move":
            groups[(r["workload"], r["n"], r["dir"], r["tool"])].append(r)
    out = []
    for (wl, n, d, tool), runs in sorted(groups.items()):
        status, med, ok = judge(runs)
        out.append({"workload": wl, "from": runs[0]["from"], "n": n, "dir": d,
                    "tool": tool, "status": status, "runs_ms": ok,
                    "runs": len(runs), "median_ms": med})
    floor = {(m["workload"], m["n"], m["dir"]): m["median_ms"]
             for m in out if m["tool"] == "floor" and m["median_ms"]}
    for m in out:
        f = floor.get((m["workload"], m["n"], m["dir"]))
        ok_status = m["status"] == "ok" or m["status"].startswith("links right")
        m["ratio"] = round(m["median_ms"] / f, 2) if f and m["median_ms"] and ok_status else None
        m["per_function_ms"] = round(m["median_ms"] / m["n"], 1) if m["median_ms"] else None
    return out


def stages(rows, what):
    return [r["lw"] for r in rows if r.get("kind") == "reaction" and r.get("what") == what
            and r.get("lw")]


def reactions(rows, mv):
    res = {}
    floor1 = next((m["median_ms"] for m in mv if m["workload"] == "nic" and m["n"] == 1
                   and m["dir"] == "to" and m["tool"] == "floor"), None)
    hand = stages(rows, "hand-rebind")
    res["hand-rebind"] = {
        "what": "a hand rebind to e1000e (the floor's three writes, in reverse) taken back "
                "to vfio-pci by the daemon: from e1000e's bind to vfio-pci's",
        "runs_ms": [round(s["stage_ms"][1] - s["stage_ms"][0], 1) for s in hand if s["ok"]],
        "floor_one_move_ms": floor1,
    }
    save = stages(rows, "config-save")
    res["config-save"] = {
        "what": "a config file with one NIC's line renamed into place, until it is on "
                "vfio-pci",
        "runs_ms": [s["stage_ms"][0] for s in save if s["ok"]],
        "floor_one_move_ms": floor1,
    }
    hot = stages(rows, "hotplug")
    res["hotplug"] = {
        "what": "an e1000e hot-added into a root port (QEMU device_add), claimed by its "
                "address: from the function's appearance",
        "runs_ms": [round(s["stage_ms"][2] - s["stage_ms"][0], 1) for s in hot if s["ok"]],
        "kernel_probe_ms": [round(s["stage_ms"][1] - s["stage_ms"][0], 1) for s in hot
                            if s["ok"]],
        "floor_one_move_ms": floor1,
    }
    for v in res.values():
        v["median_ms"] = median(v["runs_ms"])
        if v.get("kernel_probe_ms") is not None:
            v["kernel_probe_median_ms"] = median(v["kernel_probe_ms"])
    return res


def facts(rows):
    f = {"setup": next((r for r in rows if r.get("kind") == "setup"), None),
         "uevent_check": next((r for r in rows if r.get("kind") == "uevent-check"), None),
         "observer": [r["lw"] for r in rows if r.get("kind") == "observer"]}
    execs = defaultdict(list)
    for r in rows:
        if r.get("kind") == "exec":
            execs[r["what"]].append(r["ms"])
    f["exec_ms"] = {k: {"runs": v, "median": median(v)} for k, v in execs.items()}
    return f


# --- the diagnostics -----------------------------------------------------------

WRITE_RE = re.compile(r'write\(\d+<([^>]*)>, .*\) = (-?\d+).*<([\d.]+)>')


def floor_writes(path):
    """Per kind of sysfs write (driver_override, unbind, drivers_probe): count
    and mean/total milliseconds, from strace -y -T."""
    kinds = defaultdict(list)
    with open(path) as f:
        for line in f:
            m = WRITE_RE.search(line)
            if not m or "/sys/" not in m.group(1):
                continue
            kinds[os.path.basename(m.group(1))].append(float(m.group(3)) * 1e3)
    return {k: {"count": len(v), "mean_ms": round(statistics.mean(v), 2),
                "total_ms": round(sum(v), 1)} for k, v in kinds.items()}


def strace_counts(path):
    """The summary table of strace -c (or -C, after the trace): calls and
    seconds per system call."""
    out = {}
    table = False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("% time"):
                table = True
            if not table:
                continue
            p = line.split()
            if len(p) >= 5 and re.match(r"^[\d.]+$", p[0]) and p[-1] != "total":
                try:
                    calls = int(p[3])
                except ValueError:
                    continue
                out[p[-1]] = {"calls": calls, "seconds": float(p[1])}
    return out


TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) +(\w+) +(.*)$")
SHAPE_RE = re.compile(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]")


def daemon_timeline(path, t0_ms, until_ms):
    """The daemon's log lines from t0 on, by shape (BDFs blanked): first and
    last time after t0 and how many, in the order they first came."""
    shapes = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = TS_RE.match(line)
            if not m:
                continue
            t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1e3 - t0_ms
            if t < -5 or t > until_ms:
                continue
            shape = SHAPE_RE.sub("BDF", m.group(3))
            shape = re.sub(r"\d+", "N", shape)[:110]
            s = shapes.setdefault(shape, {"first_ms": round(t), "last_ms": round(t), "n": 0})
            s["last_ms"] = round(t)
            s["n"] += 1
    return [{"line": k, **v} for k, v in shapes.items()]


TT_RE = re.compile(r"^(\d+) +(\d\d):(\d\d):(\d\d\.\d+) (.*?)(?: <([\d.]+)>)?$")


def slow_calls(path, limit_ms=100):
    """From strace -f -tt -T: the system calls that took longer than limit_ms
    (waits, mostly), with when they started (ms after the first line) and
    how long they took; and when the process ended."""
    first = end = None
    slow = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TT_RE.match(line.rstrip())
            if not m:
                continue
            t = (int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))) * 1e3
            first = t if first is None else first
            end = t
            if m.group(6) and float(m.group(6)) * 1e3 >= limit_ms:
                call = re.match(r"(?:<\.\.\. )?(\w+)", m.group(5)).group(1)
                slow.append({"at_ms": round(t - first), "ms": round(float(m.group(6)) * 1e3),
                             "call": call[:40], "pid": int(m.group(1))})
    return {"process_ms": round(end - first) if first is not None else None,
            "slow": sorted(slow, key=lambda x: x["at_ms"])[:30]}


def trace_paths(path):
    """strace -tt of the daemon over one event: how many times it opened or
    read each kind of path (BDFs, numbers blanked), most first."""
    kinds = defaultdict(int)
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r'(openat|readlinkat|readlink|rename)\((?:[^,"]*, )?"([^"]*)"', line)
            if m:
                p = re.sub(r"\d+", "N", SHAPE_RE.sub("BDF", m.group(2)))
                kinds[f"{m.group(1)} {p}"] += 1
            elif re.search(r"\bfsync\(", line):
                kinds["fsync"] += 1
    return sorted(({"call": k, "n": v} for k, v in kinds.items()), key=lambda x: -x["n"])[:20]


def diagnostics(rows, diag, logs):
    d = {}
    if not diag or not os.path.isdir(diag):
        return d
    for f in sorted(os.listdir(diag)):
        p = os.path.join(diag, f)
        if f.startswith("floor-") and f.endswith(".strace"):
            d.setdefault("floor_writes", {})[f[6:-7]] = floor_writes(p)
        elif f.endswith(".count"):
            d.setdefault("syscalls", {})[f[:-6]] = strace_counts(p)
        elif f.startswith("once-") and f.endswith(".strace"):
            d.setdefault("syscalls", {})[f[:-7]] = strace_counts(p)
            d.setdefault("once_waits", {})[f[5:-7]] = slow_calls(p)
    trace = os.path.join(diag, "daemon-one-event.trace")
    if os.path.exists(trace):
        d["one_event_files"] = trace_paths(trace)
    sc = next((r for r in rows if r.get("kind") == "diag-scan"), None)
    c0, c1 = d.get("syscalls", {}).get("scan-guest-0"), d.get("syscalls", {}).get("scan-guest-1")
    if sc:
        n = sc["functions"]
        d["guest_scan"] = {"functions": n,
                           "scan_ms": round((sc["five_scans_ms"] - sc["exec_ms"]) / 5, 1)}
        d["guest_scan"]["us_per_function"] = round(d["guest_scan"]["scan_ms"] * 1e3 / n)
        if c0 and c1:
            d["guest_scan"]["syscalls_per_function"] = round(
                (sum(v["calls"] for v in c1.values()) -
                 sum(v["calls"] for v in c0.values())) / n, 1)
    for r in rows:
        kind = {"diag-daemon": "daemon_timeline", "diag-once": "once_timeline",
                "diag-event": "event_timeline"}.get(r.get("kind"))
        if kind == "event_timeline" and r.get("what") != "trace":
            continue
        if kind and r.get("lw") and logs and r.get("log"):
            p = os.path.join(logs, r["log"])
            if os.path.exists(p):
                lw = r["lw"]
                # Up to the end of this move: the next one starts soon after.
                until = max(lw["stage_ms"][-1] or 30000, lw["cmd_ms"]) + 60
                d.setdefault(kind, {})[f'{r["what"]}-{r.get("dir", "")}'] = {
                    "links_right_ms": lw["stage_ms"][-1],
                    "process_end_ms": lw["cmd_ms"] if lw["cmd_ms"] >= 0 else None,
                    "lines": daemon_timeline(p, lw["t0_realtime_ms"], until)}
    for name in ("perf-once-nic8-to-dso", "perf-once-nic8-to-sym"):
        perf = os.path.join(diag, name + ".txt")
        if os.path.exists(perf):
            with open(perf) as f:
                d[name] = [l.rstrip() for l in f if re.match(r"^ +[\d.]+%", l)][:25]
    return d


# --- output ----------------------------------------------------------------------

def fmt_ms(v):
    return "-" if v is None else (f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms")


def label(wl, n, d):
    name = {"nic": "e1000e", "vf-nvme": "VFs (on nvme)", "vf-none": "VFs (driverless)"}[wl]
    back = {"nic": "back to e1000e", "vf-nvme": "back to nvme", "vf-none": "back to none"}[wl]
    return f"{n} {name} {'-> vfio-pci' if d == 'to' else back}"


def cell(m, runs_wanted):
    if m is None:
        return ""
    if not (m["status"] == "ok" or m["status"].startswith("links right")):
        return m["status"]
    s = fmt_ms(m["median_ms"])
    if m["tool"] != "floor" and m["ratio"] is not None:
        s += f" ({m['ratio']:.2f}x)"
    notes = []
    if len(m["runs_ms"]) < runs_wanted:
        notes.append(f"{len(m['runs_ms'])} run{'s' if len(m['runs_ms']) > 1 else ''}")
    if m["status"].startswith("links right"):
        notes.append(m["status"].replace("links right, ", ""))
    # The floor is every ratio's denominator: when its own runs spread
    # threefold, its median (and the row's ratios) is a coin toss; say so.
    ok = m["runs_ms"]
    if m["tool"] == "floor" and len(ok) > 1 and min(ok) > 0 and max(ok) / min(ok) >= 3:
        notes.append(f"runs {min(ok):.0f}-{max(ok):.0f} ms: uncertain")
    if notes:
        s += " [" + ", ".join(notes) + "]"
    return s


def md_moves(mv):
    tools = [t for t in TOOLS if any(m["tool"] == t[0] for m in mv)]
    runs_wanted = max((m["runs"] for m in mv), default=1)
    idx = {(m["workload"], m["n"], m["dir"], m["tool"]): m for m in mv}
    lines = ["| work | " + " | ".join(t[1] for t in tools) + " |",
             "|---|" + "---|" * len(tools)]
    for wl, _, _ in WORKLOADS:
        for n in sorted({m["n"] for m in mv if m["workload"] == wl}):
            for d in ("to", "back"):
                if not any(k[:3] == (wl, n, d) for k in idx):
                    continue
                lines.append(f"| {label(wl, n, d)} | " +
                             " | ".join(cell(idx.get((wl, n, d, t[0])), runs_wanted)
                                        for t in tools) + " |")
    return lines


OURS = ("floor", "edit", "edit0", "add", "once")


def md_per_function(mv):
    ours = [t for t in TOOLS if t[0] in OURS and any(m["tool"] == t[0] for m in mv)]
    lines = ["| work | " + " | ".join(t[1] for t in ours) + " |",
             "|---|" + "---|" * len(ours)]
    for wl, name, _ in WORKLOADS:
        for d in ("to", "back"):
            for n in sorted({m["n"] for m in mv if m["workload"] == wl}):
                row = []
                for t, _ in ours:
                    m = next((m for m in mv if (m["workload"], m["n"], m["dir"], m["tool"]) ==
                              (wl, n, d, t)), None)
                    row.append(f"{m['per_function_ms']:.1f}" if m and m["per_function_ms"]
                               and m["ratio"] is not None or (m and t == "floor" and
                                                              m["per_function_ms"]) else "")
                lines.append(f"| {label(wl, n, d)} | " + " | ".join(row) + " |")
    return lines


def md_report(data):
    L = ["# VM bench: moving PCI functions to vfio-pci and back", ""]
    s = data["facts"].get("setup") or {}
    L += [f"Generated by `bench/vm/run.sh` on {data['generated']}, one guest boot: kernel "
          f"{s.get('kernel', '?')}, QEMU TCG q35 + intel-iommu, {s.get('cpus', '?')} vCPUs, "
          f"{s.get('functions', '?')} PCI functions. Each cell: the median of the runs, from "
          "the command (or the config file's rename) until an outside observer "
          "(`bench/vm/linkwatch`) sees every driver link right; in brackets the ratio to the "
          "floor's median for the same work (`bench/vm/floor`: driver_override, unbind, "
          "drivers_probe per device, one after another). Absolute times under TCG on shared "
          "machines are noise; the ratios in one boot are what count. A floor whose own "
          "runs spread threefold or more is marked uncertain: so is every ratio in its row.",
          ""]
    L += md_moves(data["moves"]) + [""]
    L += ["Per function (median / N, ms): flat means linear in N.", ""]
    L += md_per_function(data["moves"]) + [""]
    L += ["## Reactions", "", "| what | vfiobindd (median) | runs | floor: one move | kernel |",
          "|---|---|---|---|---|"]
    for k, v in data["reactions"].items():
        kern = fmt_ms(v.get("kernel_probe_median_ms")) if "kernel_probe_ms" in v else ""
        L.append(f"| {k}: {v['what']} | {fmt_ms(v['median_ms'])} | "
                 f"{', '.join(f'{x:.0f}' for x in v['runs_ms'])} | "
                 f"{fmt_ms(v['floor_one_move_ms'])} | {kern} |")
    L += ["", "## Facts of this boot", ""]
    f = data["facts"]
    uc = f.get("uevent_check") or {}
    L.append(f"- uevent agrees with the driver link, PCI_ID, PCI_SUBSYS_ID and PCI_CLASS "
             f"for {uc.get('functions', 0) - len(uc.get('disagree', []))} of "
             f"{uc.get('functions', 0)} functions" +
             (f" (not: {', '.join(uc['disagree'])})" if uc.get("disagree") else ""))
    for o in f.get("observer", []):
        L.append(f"- the observer's look at {o['devices']} driver links: "
                 f"{o['look_all_us']:.0f} µs")
    for k, v in f.get("exec_ms", {}).items():
        L.append(f"- `{k}`: {v['median']} ms (runs: {', '.join(map(str, v['runs']))})")
    L += ["", "## Diagnostics (where the time goes)", ""]
    dg = data["diagnostics"]
    for name, kinds in dg.get("floor_writes", {}).items():
        L.append(f"- floor {name}: " + "; ".join(
            f"{k} x{v['count']} mean {v['mean_ms']} ms (total {v['total_ms']})"
            for k, v in sorted(kinds.items())))
    for name, c in dg.get("syscalls", {}).items():
        top = sorted(c.items(), key=lambda kv: -kv[1]["calls"])[:9]
        total = sum(v["calls"] for v in c.values())
        L.append(f"- system calls of {name} (strace -c -f): {total}; " + ", ".join(
            f"{k} {v['calls']}" for k, v in top))
    for name, w in dg.get("once_waits", {}).items():
        L += ["", f"--once {name} under strace -f -tt -T (process: {fmt_ms(w['process_ms'])}): "
              "the system calls that took 100 ms or more, by start", "",
              "| at ms | took ms | thread | call |", "|---|---|---|---|"]
        L += [f"| {x['at_ms']} | {x['ms']} | {x['pid']} | `{x['call']}` |" for x in w["slow"]]
    gs = dg.get("guest_scan")
    if gs:
        L.append(f"- the daemon's scan (`pci_scan`) of this guest's {gs['functions']} functions: "
                 f"{gs['scan_ms']} ms, {gs['us_per_function']} µs and "
                 f"{gs.get('syscalls_per_function', '?')} system calls per function")
    if dg.get("one_event_files"):
        L += ["", "What the daemon opened and read for one hand rebind taken back "
              "(strace -tt, BDFs and numbers blanked):", "", "| calls | what |", "|---|---|"]
        L += [f"| {x['n']} | `{x['call']}` |" for x in dg["one_event_files"]]
    for kind, title, start in (("once_timeline", "--once", "its start"),
                               ("daemon_timeline", "daemon", "the config rename"),
                               ("event_timeline", "daemon, one event", "the hand move's start")):
        for name, t in dg.get(kind, {}).items():
            end = (f", the process ended at {fmt_ms(t['process_end_ms'])}"
                   if t.get("process_end_ms") else "")
            L += ["", f"{title} log, {name} (links right at {fmt_ms(t['links_right_ms'])}"
                  f"{end}; ms after {start}):", "", "| first | last | n | line |",
                  "|---|---|---|---|"]
            L += [f"| {x['first_ms']} | {x['last_ms']} | {x['n']} | `{x['line']}` |"
                  for x in t["lines"][:30]]
    for name, what in (("perf-once-nic8-to-dso", "by program and object"),
                       ("perf-once-nic8-to-sym", "vfiobindd's own samples, by symbol")):
        if dg.get(name):
            L += ["", f"perf (cpu-clock, the whole guest) while `--once` moves up to 8 NICs, "
                  f"{what}:", "", "```"] + dg[name] + ["```"]
    return "\n".join(L) + "\n"


def plot(mv, svg):
    """Time against N, one panel per workload and direction, one line per
    tool in the same colour everywhere; the key once, in the first panel."""
    tools = [t for t in TOOLS if any(m["tool"] == t[0] for m in mv)]
    colours = ["#000000", "#1b9e77", "#66a61e", "#d95f02", "#7570b3", "#e7298a"]
    tmp = tempfile.mkdtemp(prefix="bench-vm-plot.")
    panels = []
    for wl, name, frm in WORKLOADS:
        for d in ("to", "back"):
            series = []
            for i, (t, tname) in enumerate(tools):
                pts = sorted((m["n"], m["median_ms"]) for m in mv
                             if (m["workload"], m["dir"], m["tool"]) == (wl, d, t)
                             and m["median_ms"] and (m["ratio"] is not None or t == "floor"))
                if pts:
                    p = os.path.join(tmp, f"{wl}-{d}-{t}.dat")
                    with open(p, "w") as f:
                        f.writelines(f"{n} {ms}\n" for n, ms in pts)
                    series.append((p, tname, i + 1))
            if series:
                title = f"{name}: {'to vfio-pci' if d == 'to' else 'back to ' + frm}"
                panels.append((title, series))
    if not panels:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    cols = 2
    rows = (len(panels) + cols - 1) // cols
    g = [f"set terminal svg size 1000,{300 * rows} dynamic font 'sans,11'",
         f"set output '{svg}'", f"set multiplot layout {rows},{cols}",
         "set logscale xy 2", "set xlabel 'N (functions moved)'", "set ylabel 'ms'",
         "set grid", "set offsets graph 0.05, graph 0.05, 0, 0"]
    g += [f"set style line {i + 1} lc rgb '{colours[i % len(colours)]}' lw 2 pt {i + 1}"
          for i in range(len(tools))]
    for k, (title, series) in enumerate(panels):
        g.append("set key top left font ',9' opaque" if k == 0 else "unset key")
        g.append(f"set title \"{title}\"")
        g.append("plot " + ", ".join(f"'{p}' using 1:2 with linespoints ls {ls} title '{t}'"
                                     for p, t, ls in series))
    g.append("unset multiplot")
    script = os.path.join(tmp, "plot.gp")
    with open(script, "w") as f:
        f.write("\n".join(g) + "\n")
    subprocess.run(["gnuplot", script], check=True, stderr=subprocess.DEVNULL)
    shutil.rmtree(tmp, ignore_errors=True)
    # The licence line every file of the tree carries (tests/build/check-spdx.sh).
    with open(svg) as f:
        text = f.read()
    text = text.replace("<svg", "<!-- SPDX-License-Identifier: GPL-2.0-or-later -->\n<svg", 1)
    with open(svg, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--diag")
    ap.add_argument("--logs")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--svg")
    a = ap.parse_args()
    rows = load(a.results)
    mv = moves(rows)
    data = {"license": "SPDX-License-Identifier: GPL-2.0-or-later",
            "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "moves": mv, "reactions": reactions(rows, mv), "facts": facts(rows),
            "diagnostics": diagnostics(rows, a.diag, a.logs)}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
    md = md_report(data)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    else:
        sys.stdout.write(md)
    if a.svg:
        plot(mv, a.svg)


if __name__ == "__main__":
    main()
