#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-container.sh: build etc/kubernetes/Containerfile for real and run
# what the manifests run, with no image registry at all:
#   1. mmdebstrap a minimal Debian 12 (bookworm, variant apt) from Debian's
#      packages and `podman import` it as the base of both stages (cached as
#      localhost/vfiobind-check-base:bookworm; VFIOBIND_CONTAINER_FRESH=1
#      makes it again);
#   2. `podman build --pull=never` from the files git knows (tracked, and
#      new files not ignored), so no build output of this tree gets in;
#   3. in the image: vfiobindd --version, vfiobind --help, vfiobindd
#      --check-config on the ConfigMap's config (and on a bad one);
#   4. the daemon as the DaemonSet runs it, against an empty fake sysfs tree
#      (--sysfs-root, so it never sees the real /sys and loads no module,
#      and --dry-run besides): the readiness probe's `vfiobind wait`,
#      `status --quiet`, the metrics and NFD files on the "host";
#   5. node-problem-detector's side: export-client into a volume, then the
#      monitor's rule (read from etc/kubernetes/node-problem-detector.yaml)
#      in the bare base image, which has no libjson-c, through the socket
#      mounted read-only: healthy -> 0, degraded (a rejected config) -> 1,
#      no daemon -> 3 with the reason as its message.
# `make check-container`, not part of `make check`: it takes minutes, needs
# root, podman, mmdebstrap, python3 with PyYAML, and Debian's mirror.
#   apt-get install podman mmdebstrap python3-yaml
# Exit 0 pass, 1 fail, 77 skipped (the reason is printed): not root, a tool
# missing, or podman cannot run a container on this machine.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
base=localhost/vfiobind-check-base:bookworm
image=localhost/vfiobind-check:latest
daemon=vfiobind-check-daemon

skip() { echo "SKIP: check-container: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (podman and mmdebstrap as root)"
for t in podman mmdebstrap python3; do
	command -v "$t" >/dev/null 2>&1 || skip "$t not installed (apt-get install podman mmdebstrap python3-yaml)"
done
python3 -c 'import yaml' 2>/dev/null || skip "PyYAML not installed (apt-get install python3-yaml)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-check-container.XXXXXX")
cleanup() {
	podman rm -f "$daemon" >/dev/null 2>&1 || true
	[ "${VFIOBIND_CONTAINER_KEEP:-0}" = 1 ] || podman rmi -f "$image" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /'; }
# expect NAME WANT-EXIT GOT-EXIT [OUTPUT]
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (exit $3, want $2)" "${4:-}"; fi
}
# contains NAME TEXT NEEDLE
contains() {
	case $2 in *"$3"*) ok "$1" ;; *) fail "$1: no \"$3\"" "$2" ;; esac
}

# ---- 0. can podman run a container here? ------------------------------------
# Probed on a one-file root (busybox-static) before minutes go into a base.
# Some sandboxed machines (this project's VMs among them) refuse podman's
# default rlimits (no CAP_SYS_RESOURCE) or have cgroups crun will not use
# (v1 with an empty v2 hierarchy): then retry with rlimits within this
# shell's and with runc, through a containers.conf of our own.
probe() {
	if [ -x /bin/busybox ]; then
		mkdir -p "$tmp/probe/bin"
		cp /bin/busybox "$tmp/probe/bin/"
		podman run --rm --network=none --rootfs "$tmp/probe" /bin/busybox true
	else
		podman info >/dev/null
	fi
}
if ! why=$(probe 2>&1); then
	printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=4096:4096"]\n' \
		"$(ulimit -Hn)" "$(ulimit -Hn)" >"$tmp/containers.conf"
	export CONTAINERS_CONF="$tmp/containers.conf"
	if why2=$(probe 2>&1); then
		echo "# podman: with rlimits of our own ($why)"
	elif command -v runc >/dev/null 2>&1; then
		printf '[engine]\nruntime = "runc"\n' >>"$tmp/containers.conf"
		why3=$(probe 2>&1) || skip "podman cannot run a container here: $why / $why2 / with runc: $why3"
		echo "# podman: with rlimits of our own and runc ($why / $why2)"
	else
		skip "podman cannot run a container here: $why / $why2 (apt-get install runc may help)"
	fi
fi

# ---- 1. the base image ------------------------------------------------------
if [ "${VFIOBIND_CONTAINER_FRESH:-0}" = 1 ] || ! podman image exists "$base"; then
	echo "# mmdebstrap bookworm (a few minutes)"
	# No mirror named: mmdebstrap's default Debian mirror plus the
	# stable release's updates and security suites.
	if ! mmdebstrap --variant=apt --quiet bookworm "$tmp/base.tar" </dev/null >"$tmp/mmdebstrap.log" 2>&1; then
		tail -n 20 "$tmp/mmdebstrap.log"
		skip "mmdebstrap could not make a bookworm tree (no Debian mirror reachable?)"
	fi
	podman import --change 'CMD ["/bin/bash"]' "$tmp/base.tar" "$base" >/dev/null
	rm -f "$tmp/base.tar"
fi
if ! out=$(podman run --rm --network=none "$base" /bin/true 2>&1); then
	skip "podman cannot run a container here: $out"
fi
ok "base image $base runs"

# ---- 2. the build -------------------------------------------------------------
ctx="$tmp/context"
mkdir "$ctx"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh) |
		tar -C "$top" -cf - -T - | tar -C "$ctx" -xf -
else
	echo "# not a git tree: building from the whole directory"
	cp -a "$top/." "$ctx/"
fi
echo "# podman build (several minutes: apt-get and a full build inside)"
# --network=host: apt-get in the build stages reaches the mirror the way
# this machine does, with no container network to set up.
if podman build --pull=never --network=host \
	--build-arg BASE="$base" --build-arg RUNTIME_BASE="$base" \
	-f "$ctx/etc/kubernetes/Containerfile" -t "$image" "$ctx" >"$tmp/build.log" 2>&1; then
	ok "podman build --pull=never of etc/kubernetes/Containerfile"
else
	fail "podman build --pull=never of etc/kubernetes/Containerfile" "$(tail -n 30 "$tmp/build.log")"
	echo "$passed passed, $failed failed"
	exit 1
fi
echo "# image size: $(podman image inspect --format '{{.Size}}' "$image") bytes"

# ---- 3. the binaries --------------------------------------------------------------
run() { podman run --rm --network=none "$@"; }
version=$(sed -n 's/^AC_INIT(\[vfiobind\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
rc=0; out=$(run "$image" vfiobindd --version 2>&1) || rc=$?
expect "vfiobindd --version runs in the image" 0 "$rc" "$out"
contains "vfiobindd --version says $version" "$out" "$version"
rc=0; out=$(run "$image" vfiobind --help 2>&1) || rc=$?
expect "vfiobind --help runs in the image" 0 "$rc" "$out"
contains "vfiobind --help shows the usage" "$out" "Usage: vfiobind"

# The ConfigMap's vfiobind.conf: the block under "vfiobind.conf: |".
mkdir "$tmp/conf" "$tmp/bad"
sed -n '/^  vfiobind.conf: |$/,$ { /^    /s/^    //p }' "$top/etc/kubernetes/configmap.yaml" >"$tmp/conf/vfiobind.conf"
[ -s "$tmp/conf/vfiobind.conf" ] || fail "config extracted from etc/kubernetes/configmap.yaml"
rc=0; out=$(run -v "$tmp/conf:/etc/vfiobind:ro" "$image" vfiobindd --check-config --config /etc/vfiobind/vfiobind.conf 2>&1) || rc=$?
expect "vfiobindd --check-config accepts the ConfigMap's config" 0 "$rc" "$out"
printf 'worker-0 0000:03:00.9 numvfs=x\n' >"$tmp/bad/vfiobind.conf"
rc=0; out=$(run -v "$tmp/bad:/etc/vfiobind:ro" "$image" vfiobindd --check-config --config /etc/vfiobind/vfiobind.conf 2>&1) || rc=$?
expect "vfiobindd --check-config rejects a bad line" 1 "$rc" "$out"
contains "the rejection names file and line" "$out" "vfiobind.conf:1"

# ---- 4. the daemon as the DaemonSet runs it ---------------------------------------
# The "host" directories of the DaemonSet's hostPath volumes.
mkdir -p "$tmp/sys/bus/pci/devices" "$tmp/sys/bus/pci/drivers" "$tmp/sys/kernel/iommu_groups" \
	"$tmp/run" "$tmp/textfile" "$tmp/nfd" "$tmp/client"
chmod 0755 "$tmp/run"
podman run -d --name "$daemon" --network=none \
	-e NODE_NAME=worker-0 \
	-v "$tmp/sys:/fakesys" \
	-v "$tmp/conf:/etc/vfiobind:ro" \
	-v "$tmp/run:/run/vfiobind" \
	-v "$tmp/textfile:/var/lib/node_exporter/textfile_collector" \
	-v "$tmp/nfd:/etc/kubernetes/node-feature-discovery/features.d" \
	--read-only \
	"$image" vfiobindd --config /etc/vfiobind/vfiobind.conf --udev-source none \
	--sysfs-root /fakesys --run-dir /run/vfiobind --socket /run/vfiobind/vfiobind.sock --dry-run \
	--metrics-file /var/lib/node_exporter/textfile_collector/vfiobind.prom \
	--nfd-features /etc/kubernetes/node-feature-discovery/features.d/vfiobind >/dev/null
rc=0; out=$(podman exec "$daemon" vfiobind wait --timeout 30 2>&1) || rc=$?
expect "readiness probe: vfiobind wait is 0 once settled (devices absent here)" 0 "$rc" "$out"
rc=0; out=$(podman exec "$daemon" vfiobind status --quiet 2>&1) || rc=$?
expect "vfiobind status --quiet: healthy is exit 0" 0 "$rc" "$out"
contains "status --quiet counts the absent devices (worker-0: its line and DEFAULT)" "$out" "healthy: 2 absent"
prom=$(cat "$tmp/textfile/vfiobind.prom" 2>/dev/null || true)
contains "metrics file on the host says healthy" "$prom" 'vfiobind_health{health="healthy"} 1'
nfd=$(cat "$tmp/nfd/vfiobind" 2>/dev/null || true)
contains "NFD feature file on the host says healthy" "$nfd" "feature.node.kubernetes.io/vfiobind-health=healthy"

# ---- 5. node-problem-detector's side ------------------------------------------------
rc=0; out=$(run -v "$tmp/client:/opt/vfiobind" "$image" /usr/libexec/vfiobind/export-client /opt/vfiobind 2>&1) || rc=$?
expect "export-client fills the volume" 0 "$rc" "$out"
rc=0; out=$(run "$base" sh -c 'ls /usr/lib/*/libjson-c.so.* /lib/*/libjson-c.so.* 2>/dev/null') || rc=$?
[ -z "$out" ] && ok "the bare base has no libjson-c (a fair stand-in for NPD's image)" ||
	fail "the bare base has no libjson-c" "$out"
rule=$(python3 - "$top/etc/kubernetes/node-problem-detector.yaml" <<'EOF'
import json, sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
rule = json.loads(cm["data"]["vfiobind-monitor.json"])["rules"][0]
assert rule["path"] == "/bin/sh" and rule["args"][0] == "-c", rule
print(rule["args"][1])
EOF
)
npd() { # the monitor's rule, as NPD's container runs it
	run -v "$tmp/client:/opt/vfiobind:ro" -v "$tmp/run:/run/vfiobind:ro" "$base" /bin/sh -c "$rule"
}
rc=0; out=$(npd 2>&1) || rc=$?
expect "NPD rule: healthy node is 0 (condition False)" 0 "$rc" "$out"
contains "NPD rule: the message is the health line" "$out" "healthy: 2 absent"

# A config with a bad line: rejected, the last good one stays: degraded.
printf 'worker-0 0000:03:00.1 numvfs=x\n' >"$tmp/conf/vfiobind.conf.new"
mv "$tmp/conf/vfiobind.conf.new" "$tmp/conf/vfiobind.conf"
rc=0
for _ in $(seq 60); do
	rc=0; out=$(npd 2>&1) || rc=$?
	[ "$rc" = 1 ] && break
	sleep 0.5
done
expect "NPD rule: a rejected config is 1 (condition True)" 1 "$rc" "$out"
contains "NPD rule: the message says why" "$out" "degraded:"
contains "NPD rule: ... the config file rejected" "$out" "config file rejected"

podman rm -f "$daemon" >/dev/null 2>&1
rc=0; out=$(npd 2>&1) || rc=$?
expect "NPD rule: no daemon is 3 (condition Unknown)" 3 "$rc" "$out"
contains "NPD rule: the Unknown message says why" "$out" "cannot reach vfiobindd"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
