#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-kube-models.sh: the Kubernetes manifests under etc/kubernetes/ are
# valid objects by Kubernetes' own OpenAPI schema (npm's kubernetes-models,
# which compiles it: types, required fields, enums such as a hostPath's
# type).  The patch of node-problem-detector's DaemonSet is not a whole
# object: its init container, containers' mounts and volumes are validated
# each by its own model.  Unknown fields are not caught (the schema allows
# them, as the API server does without strict field validation): check-
# manifests.py checks the fields we rely on.
#
# The npm packages live outside the tree, in $VFIOBIND_NPM_DIR (default
# ~/.cache/vfiobind-npm), where .ci/install-deps puts them:
#   npm install --prefix ~/.cache/vfiobind-npm kubernetes-models@5.1.0
# Without node, npm's package or PyYAML this is skipped (77), unless
# VFIOBIND_VM_REQUIRED=1 (what .ci/run sets) makes that a failure.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
npm_dir=${VFIOBIND_NPM_DIR:-${HOME:-/root}/.cache/vfiobind-npm}

missing=""
command -v node >/dev/null 2>&1 || missing="node"
[ -f "$npm_dir/node_modules/kubernetes-models/package.json" ] || missing="$missing kubernetes-models (in $npm_dir)"
python3 -c 'import yaml' 2>/dev/null || missing="$missing PyYAML"
if [ -n "$missing" ]; then
	if [ "${VFIOBIND_VM_REQUIRED:-0}" = 1 ]; then
		echo "check-kube-models: missing:$missing, and VFIOBIND_VM_REQUIRED=1: run .ci/install-deps"
		exit 1
	fi
	echo "check-kube-models: missing:$missing; skipped (.ci/install-deps installs them)"
	exit 77
fi

python3 - "$top/etc/kubernetes" <<'PY' | node "$top/tests/deploy/kube-models.mjs" "$npm_dir"
import glob, json, os, sys, yaml
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.yaml"))):
    name = os.path.relpath(path, os.path.dirname(os.path.dirname(sys.argv[1])))
    for i, doc in enumerate(d for d in yaml.safe_load_all(open(path)) if d):
        where = f"{name}[{i}] {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if path.endswith("-patch.yaml"):
            pod = doc["spec"]["template"]["spec"]
            for c in pod.get("initContainers", []):
                out.append({"where": f"{where} initContainer {c['name']}", "model": "v1/Container", "object": c})
            for c in pod.get("containers", []):
                for m in c.get("volumeMounts", []):
                    out.append({"where": f"{where} {c['name']} mount {m['name']}", "model": "v1/VolumeMount", "object": m})
            for v in pod.get("volumes", []):
                out.append({"where": f"{where} volume {v['name']}", "model": "v1/Volume", "object": v})
            continue
        group = doc["apiVersion"]  # "v1" or "apps/v1": the models' layout
        out.append({"where": where, "model": f"{group}/{doc['kind']}", "object": doc})
json.dump(out, sys.stdout)
PY
