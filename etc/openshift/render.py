#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Render the Butane files next to this script into MachineConfig YAML.

This understands the subset of Butane (variant "openshift", version 4.12.0)
that vfiobind's files use, and nothing more: an unknown key is an error, not
something silently dropped.  The output is what `butane` would produce in
substance (MachineConfig, Ignition 3.2.0, data: URLs, decimal modes), so the
real butane may be used instead; the committed *.yaml come from this script
so that they can be checked without butane installed.

    render.py                 write NAME.yaml next to every NAME.bu
    render.py --check         compare instead of writing; exit 1 on a difference
    render.py FILE.bu ...     only these files

`contents.local` paths are relative to --files-dir (default: the etc/
directory above this script), as with `butane --files-dir`.

Needs Python 3 and PyYAML (Debian: python3-yaml).
"""

import argparse
import difflib
import os
import sys
import urllib.parse

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("render.py: PyYAML is required (Debian: apt-get install python3-yaml)\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FILES_DIR = os.path.dirname(HERE)

SUPPORTED_VERSIONS = ("4.12.0",)
IGNITION_VERSION = "3.2.0"
ROLE_LABEL = "machineconfiguration.openshift.io/role"


class ButaneError(Exception):
    """A Butane file uses something outside our subset, or is wrong."""


def _only_keys(obj, allowed, where):
    if not isinstance(obj, dict):
        raise ButaneError(f"{where}: expected a mapping")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise ButaneError(f"{where}: unsupported key(s) {', '.join(unknown)}")


def data_url(data):
    """RFC 2397 data URL, percent-encoded (what Ignition decodes)."""
    return "data:," + urllib.parse.quote(data, safe="/")


def file_contents(contents, where, files_dir):
    """The bytes a storage.files[].contents names."""
    _only_keys(contents, ("inline", "local"), where)
    if ("inline" in contents) == ("local" in contents):
        raise ButaneError(f"{where}: exactly one of inline or local is required")
    if "inline" in contents:
        if not isinstance(contents["inline"], str):
            raise ButaneError(f"{where}.inline: expected a string")
        return contents["inline"].encode("utf-8")
    local = contents["local"]
    if not isinstance(local, str) or os.path.isabs(local) or ".." in local.split("/"):
        raise ButaneError(f"{where}.local: must be a relative path inside the files dir")
    with open(os.path.join(files_dir, local), "rb") as f:
        return f.read()


def render_file(entry, where, files_dir):
    _only_keys(entry, ("path", "mode", "overwrite", "contents"), where)
    path = entry.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ButaneError(f"{where}.path: an absolute path is required")
    out = {}
    if "contents" in entry:
        data = file_contents(entry["contents"], f"{where}.contents", files_dir)
        out["contents"] = {"source": data_url(data)}
    if "mode" in entry:
        mode = entry["mode"]
        # YAML 1.1 reads 0644 as octal: the int is already the right value.
        if not isinstance(mode, int) or isinstance(mode, bool) or not 0 <= mode <= 0o7777:
            raise ButaneError(f"{where}.mode: expected an octal mode such as 0644")
        out["mode"] = mode
    if "overwrite" in entry:
        if not isinstance(entry["overwrite"], bool):
            raise ButaneError(f"{where}.overwrite: expected true or false")
        out["overwrite"] = entry["overwrite"]
    out["path"] = path
    return out


def render_unit(unit, where):
    _only_keys(unit, ("name", "enabled", "mask", "contents"), where)
    name = unit.get("name")
    if not isinstance(name, str) or "/" in name or "." not in name:
        raise ButaneError(f"{where}.name: a unit file name is required")
    out = {}
    if "contents" in unit:
        if not isinstance(unit["contents"], str):
            raise ButaneError(f"{where}.contents: expected a string")
        out["contents"] = unit["contents"]
    for key in ("enabled", "mask"):
        if key in unit:
            if not isinstance(unit[key], bool):
                raise ButaneError(f"{where}.{key}: expected true or false")
            out[key] = unit[key]
    out["name"] = name
    return out


def butane_to_machineconfig(bu, files_dir):
    """Turn one parsed Butane document into a MachineConfig (a dict)."""
    _only_keys(bu, ("variant", "version", "metadata", "openshift", "storage", "systemd"), "top level")
    if bu.get("variant") != "openshift":
        raise ButaneError("variant: only 'openshift' is supported")
    if bu.get("version") not in SUPPORTED_VERSIONS:
        raise ButaneError(f"version: supported: {', '.join(SUPPORTED_VERSIONS)}")

    meta = bu.get("metadata")
    _only_keys(meta, ("name", "labels"), "metadata")
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise ButaneError("metadata.name is required")
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict) or ROLE_LABEL not in labels:
        raise ButaneError(f"metadata.labels.{ROLE_LABEL} is required")

    config = {"ignition": {"version": IGNITION_VERSION}}
    storage = bu.get("storage")
    if storage is not None:
        _only_keys(storage, ("files",), "storage")
        files = storage.get("files") or []
        config["storage"] = {
            "files": [render_file(f, f"storage.files[{i}]", files_dir) for i, f in enumerate(files)]
        }
    systemd = bu.get("systemd")
    if systemd is not None:
        _only_keys(systemd, ("units",), "systemd")
        units = systemd.get("units") or []
        config["systemd"] = {
            "units": [render_unit(u, f"systemd.units[{i}]") for i, u in enumerate(units)]
        }

    spec = {"config": config}
    ocp = bu.get("openshift")
    if ocp is not None:
        _only_keys(ocp, ("kernel_arguments",), "openshift")
        kargs = ocp.get("kernel_arguments") or []
        if not all(isinstance(k, str) and k and " " not in k for k in kargs):
            raise ButaneError("openshift.kernel_arguments: expected a list of single arguments")
        if kargs:
            spec["kernelArguments"] = list(kargs)

    return {
        "apiVersion": "machineconfiguration.openshift.io/v1",
        "kind": "MachineConfig",
        "metadata": {"labels": dict(labels), "name": meta["name"]},
        "spec": spec,
    }


class _Dumper(yaml.SafeDumper):
    """Indented lists, and multi-line strings (unit files) as | blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def render_text(bu_path, files_dir):
    with open(bu_path, encoding="utf-8") as f:
        bu = yaml.safe_load(f)
    mc = butane_to_machineconfig(bu, files_dir)
    name = os.path.basename(bu_path)
    header = (
        "# SPDX-License-Identifier: GPL-2.0-or-later\n"
        f"# Generated by etc/openshift/render.py from {name}; do not edit.\n"
        "# Edit the .bu file and run: python3 etc/openshift/render.py\n"
    )
    body = yaml.dump(mc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=4096, allow_unicode=True)
    return header + body


def output_path(bu_path):
    return os.path.splitext(bu_path)[0] + ".yaml"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed YAML instead of writing it")
    ap.add_argument("--files-dir", default=DEFAULT_FILES_DIR,
                    help="base directory for contents.local (default: %(default)s)")
    ap.add_argument("bu", nargs="*", help="Butane files (default: every *.bu next to this script)")
    args = ap.parse_args(argv)

    sources = args.bu or sorted(
        os.path.join(HERE, n) for n in os.listdir(HERE) if n.endswith(".bu"))
    if not sources:
        sys.stderr.write("render.py: no .bu files\n")
        return 2

    status = 0
    for src in sources:
        dst = output_path(src)
        try:
            text = render_text(src, args.files_dir)
        except (ButaneError, OSError, yaml.YAMLError) as e:
            sys.stderr.write(f"render.py: {src}: {e}\n")
            return 2
        if not args.check:
            with open(dst, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(dst)}")
            continue
        try:
            with open(dst, encoding="utf-8") as f:
                old = f.read()
        except OSError as e:
            sys.stderr.write(f"render.py: {dst}: {e.strerror}\n")
            status = 1
            continue
        if old != text:
            sys.stderr.write(f"render.py: {dst} is stale; run etc/openshift/render.py\n")
            sys.stderr.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), dst, "(rendered)"))
            status = 1
        else:
            print(f"ok {os.path.relpath(dst)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
