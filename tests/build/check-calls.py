#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-calls.py: no circles between the engine's files.

The engine is split along its seams (daemon/engine.h lists the files;
daemon/engine-private.h draws the order they call each other in). From the
built objects' symbols (nm), every file that calls a function another file
defines is an arrow; this fails when the arrows make a circle, naming it.
"""
import glob
import os
import subprocess
import sys

builddir = os.environ.get("VFIOBIND_BUILDDIR", ".")
objs = sorted(glob.glob(os.path.join(builddir, "daemon", "libvbdaemon_a-engine*.o")))
if not objs:
    print("check-calls: no engine objects built under", builddir)
    sys.exit(1)


def symbols(obj):
    defined, used = set(), set()
    out = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBR":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            used.add(f[1])
    return defined, used


files = {}
for o in objs:
    name = os.path.basename(o)[len("libvbdaemon_a-"):-2] + ".c"
    files[name] = symbols(o)
arrows = {a: sorted(b for b in files if b != a and files[a][1] & files[b][0]) for a in files}

cycles, state = [], {}


def visit(node, path):
    state[node] = "open"
    for nxt in arrows[node]:
        if state.get(nxt) == "open":
            cycles.append(path[path.index(nxt):] + [nxt])
        elif nxt not in state:
            visit(nxt, path + [nxt])
    state[node] = "done"


for f in sorted(files):
    if f not in state:
        visit(f, [f])
for a in sorted(arrows):
    print(f"  {a} -> {', '.join(arrows[a]) or '(nothing)'}")
if cycles:
    for c in cycles:
        print("check-calls: circle:", " -> ".join(c))
    sys.exit(1)
print(f"check-calls: {len(files)} engine files, no circles")
