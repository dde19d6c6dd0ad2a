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
}
DAEMON_OPTS_FLAG = {"--once", "--dry-run", "--check-config"}
DAEMON_OPT_VALUES = {
    "--log-level": {"error", "warning", "info", "debug"},
    "--udev-source": {"udev", "kernel"},
}
CLIENT_COMMANDS = {"status", "devices", "config", "add", "remove", "reload", "reconcile",
                   "plan", "watch", "version", "ping", "check"}


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


def client_argv_error(argv):
    """ARGV starts after 'vfiobind'."""
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        if argv[i] == "--json":
            i += 1
        elif argv[i] == "--socket":
            i += 2
        elif argv[i].startswith("--socket="):
            i += 1
        else:
            return f"unknown option {argv[i]!r}"
    if i >= len(argv) or argv[i] not in CLIENT_COMMANDS:
        return f"unknown command in {argv!r}"
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


def kube_objects(docs):
    objs = []
    for path, ds in docs.items():
        # Butane files, and Prometheus rule files (tests/deploy/check-alerts.sh
        # has promtool check those), are not Kubernetes objects.
        if path.endswith(".bu") or os.sep + "prometheus" + os.sep in path:
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

    R.check(used == set(volumes), f"{where}: every volume is mounted", f"unused: {set(volumes) - used}")
    sa = pod.get("serviceAccountName")
    if sa:
        R.check(any(d["kind"] == "ServiceAccount" and d["metadata"]["name"] == sa
                    and d["metadata"].get("namespace") == ns for _, _, d in objs),
                f"{where}: ServiceAccount {sa} exists in namespace {ns}")


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
        R.check(ns in namespaces, f"{where}: namespace {ns} is defined in etc/", str(sorted(namespaces)))
    for where, path, d in objs:
        if d["kind"] == "DaemonSet":
            check_daemonset(where, d, objs)
        elif d["kind"] == "ConfigMap":
            text = dig(d, "data", "vfiobind.conf")
            if R.check(isinstance(text, str), f"{where}: data.vfiobind.conf"):
                check_config_text(text, where)
        elif d["kind"] in ("Namespace", "ServiceAccount", "MachineConfig"):
            pass
        else:
            R.check(False, f"{where}: known kind", f"no checks for kind {d['kind']}")


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
    rendered = check_openshift(docs, objs)
    check_cross(rendered, objs)
    check_example()
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
