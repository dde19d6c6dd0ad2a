#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM bench, one command (bench/README.md): boots ONE QEMU guest (the
# harness of tests/vm: Debian kernel, TCG, q35 + intel-iommu, 2 vCPUs) with
# e1000e NICs, an NVMe whose VFs start on nvme and one whose VFs start
# driverless, and there times the floor (bench/vm/floor), vfiobindd (config
# edit, `vfiobind add`, --once), driverctl --nosave and dpdk-devbind.py moving
# them to vfio-pci and back at several N, plus reaction latencies and where
# the time goes. Then bench/vm/report.py makes the JSON, the table and the
# plot. Not part of `make check`; it takes 20-40 minutes on two busy cores.
#
# usage: bench/vm/run.sh [--quick] [--runs N] [--nics "1 2 4 8"]
#                        [--vfs-nvme "8 16 32"] [--vfs-none "8 32 120"]
#                        [--tools "floor edit edit0 add once driverctl dpdk"]
#                        [--no-diag] [--out DIR] [--docs | --no-docs]
#   --quick    1 run, fewer N, no diagnostics: a try of the machinery
#   --out DIR  where the raw results go (default: a new dir under /tmp)
#   --docs     write doc/bench-vm.{json,md,svg} (the default without --quick)
# The guest sees the build tree read-only; VFIOBIND_BUILDDIR says where it is
# (default: the source tree). Never touches this machine's /sys.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${VFIOBIND_BUILDDIR:-$src}
runs=3 nics="1 2 4 8" vfs_nvme="8 16 32" vfs_none="8 32 120"
tools="floor edit edit0 add once driverctl dpdk" diag=1 out="" docs=""

usage() {
	awk '/^# usage/ { p = 1 } p && !/^#/ { exit } p { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
}
while (($#)); do
	case $1 in
	--quick) runs=1 nics="1 8" vfs_nvme="8 32" vfs_none="8 120" diag=0 docs=${docs:-0} ;;
	--runs) runs=$2 && shift ;;
	--nics) nics=$2 && shift ;;
	--vfs-nvme) vfs_nvme=$2 && shift ;;
	--vfs-none) vfs_none=$2 && shift ;;
	--tools) tools=$2 && shift ;;
	--no-diag) diag=0 ;;
	--out) out=$2 && shift ;;
	--docs) docs=1 ;;
	--no-docs) docs=0 ;;
	*) usage ;;
	esac
	shift
done
docs=${docs:-1}

max() {
	local m=0 v
	for v in $1; do ((v > m)) && m=$v; done
	echo "$m"
}
maxnic=$(max "$nics") maxa=$(max "$vfs_nvme") maxb=$(max "$vfs_none")
((maxnic >= 1 && maxnic <= 14)) || { echo "run.sh: --nics: 1 to 14" >&2; exit 2; }
((maxa >= 1 && maxa <= 127 && maxb <= 127)) || { echo "run.sh: VFs: 1 to 127" >&2; exit 2; }

# The tools under test come from Debian's packages; the guest runs the
# host's programs (its root is this machine's, over 9p).
missing=()
command -v driverctl >/dev/null || missing+=(driverctl)
command -v dpdk-devbind.py >/dev/null || missing+=(dpdk)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v strace >/dev/null || missing+=(strace)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "run.sh: installing ${missing[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
	else
		echo "run.sh: needs: apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi

echo "run.sh: building the daemon, the client and the bench programs" >&2
make -C "$build" -j2 daemon/vfiobindd client/vfiobind bench/bench-scan bench/vm/floor bench/vm/linkwatch \
	bench/vm/nvme-vf-online >&2

out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/vfiobind-bench-vm.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The scenario the guest runs: the parameters, then guest.sh from the tree.
scen=$out/bench-vm.sh
profile="nics=$maxnic nvme=1 vfs=$maxa vfs2=$maxb rootports=1 mem=2048"
{
	echo '#!/bin/bash'
	echo '# SPDX-License-Identifier: GPL-2.0-or-later'
	echo "# vm-profile: $profile"
	echo '# vm-timeout: 7200'
	printf 'BENCH_RUNS=%q BENCH_NICS=%q BENCH_VFS_NVME=%q BENCH_VFS_NONE=%q\n' \
		"$runs" "$nics" "$vfs_nvme" "$vfs_none"
	printf 'BENCH_TOOLS=%q BENCH_DIAG=%q BENCH_DAEMON_ARGS=%q\n' "$tools" "$diag" \
		"${BENCH_DAEMON_ARGS:-}"
	printf '. %q\n' "$src/bench/vm/guest.sh"
} >"$scen"

echo "run.sh: one guest boot, profile: $profile; raw results in $out" >&2
start=$(date +%s)
rc=0
VFIOBIND_BUILDDIR=$build VFIOBIND_VM_REQUIRED=1 "$src/tests/vm/vm.sh" --timeout 7500 \
	--out "$out/guest" "$scen" || rc=$?
echo "run.sh: the guest ran $(($(date +%s) - start)) s (rc=$rc)" >&2
res=$out/guest/bench-vm/results.jsonl
[[ -s $res ]] || { echo "run.sh: no results from the guest" >&2; exit 1; }

dest=$out
((docs)) && dest=$src/doc
python3 "$here/report.py" --results "$res" --diag "$out/guest/bench-vm/diag" \
	--logs "$out/guest/bench-vm/logs" --json "$dest/bench-vm.json" --md "$dest/bench-vm.md" \
	--svg "$dest/bench-vm.svg"
echo "run.sh: $dest/bench-vm.md, bench-vm.json, bench-vm.svg" >&2
exit "$rc"
