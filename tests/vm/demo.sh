#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The vfiobind demo, in one command, on a fresh Debian 12 machine as root
# from a fresh clone (README "Quick start"):
#
#   tests/vm/demo.sh            # install deps, build, boot the demo VM, show it
#   tests/vm/demo.sh --shell    # the same, then a root shell in the guest
#
# Installs the build and VM dependencies (.ci/install-deps), builds the tree
# when needed (./autogen.sh, ./configure, make), prepares the guest kernel
# (tests/vm/prepare.sh, downloads linux-image-amd64 once into
# ~/.cache/vfiobind-vm), then boots a QEMU guest (4 e1000e NICs, an SR-IOV
# NVMe, virtio-net, 2 empty PCIe root ports, an emulated IOMMU, real udev)
# and runs tests/vm/demo-guest.sh in it: vfiobindd with tests/vm/demo.conf
# binds devices live, "vfiobind status", a live "vfiobind add"/"remove", a
# hot-plugged NIC.  The guest's output is shown as it happens.  Nothing
# touches this machine's own /sys: all binding happens inside the guest.
#
# Options: --shell (stay in the guest afterwards), --no-deps (skip
# .ci/install-deps), --no-build (use the tree as it is), -h.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
shell=0 deps=1 build=1
while (($#)); do
	case $1 in
	--shell) shell=1 ;;
	--no-deps) deps=0 ;;
	--no-build) build=0 ;;
	-h | --help)
		sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	*)
		echo "demo.sh: unknown option '$1' (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

if [[ -t 1 ]]; then
	B=$'\e[1m' N=$'\e[0m'
else
	B="" N=""
fi
say() { printf '%s==> %s%s\n' "$B" "$*" "$N"; }
t0=$(date +%s)
cd "$top"

if ((deps)); then
	say "dependencies (.ci/install-deps)"
	.ci/install-deps
fi

builddir=${VFIOBIND_BUILDDIR:-$top}
if ((build)); then
	if [[ $builddir == "$top" ]]; then
		[[ -x configure ]] || { say "./autogen.sh" && ./autogen.sh; }
		[[ -f Makefile ]] || { say "./configure" && ./configure; }
	fi
	say "make -j$(nproc)"
	make -C "$builddir" -j"$(nproc)" >"${TMPDIR:-/tmp}/vfiobind-demo-make.log" 2>&1 || {
		tail -n 30 "${TMPDIR:-/tmp}/vfiobind-demo-make.log" >&2
		echo "demo.sh: the build failed (log: ${TMPDIR:-/tmp}/vfiobind-demo-make.log)" >&2
		exit 1
	}
fi
[[ -x $builddir/daemon/vfiobindd && -x $builddir/client/vfiobind ]] ||
	{ echo "demo.sh: $builddir/daemon/vfiobindd is not built" >&2 && exit 1; }
export VFIOBIND_BUILDDIR=$builddir
# A guest that fails the IO-APIC timer check under a loaded TCG host panics
# at boot; the check is pointless in a VM.
export VFIOBIND_VM_KCMDLINE=${VFIOBIND_VM_KCMDLINE:-quiet}
export VFIOBIND_VM_REQUIRED=1

say "guest kernel and initramfs (tests/vm/prepare.sh)"
"$here/prepare.sh" --quiet
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

if ((shell)); then
	say "booting the demo VM ($VM_DEMO_PROFILE); the demo runs, then you get a shell"
	# The interactive guest shell sources demo-guest.sh before its first
	# prompt (the kernel passes NAME=VALUE words of its command line on to
	# init's environment); 'exit' there powers the VM off.
	export VFIOBIND_VM_KCMDLINE="$VFIOBIND_VM_KCMDLINE \"PROMPT_COMMAND=. $here/demo-guest.sh\""
	exec "$here/vm.sh" --interactive --profile "$VM_DEMO_PROFILE"
fi

cols=200
if [[ -t 1 ]] && size=$(stty size 2>/dev/null); then
	cols=${size#* }
fi
export VFIOBIND_VM_KCMDLINE="$VFIOBIND_VM_KCMDLINE DEMO_COLS=$cols"
say "booting the demo VM ($VM_DEMO_PROFILE) under QEMU/TCG: ~20 s to the guest, ~1 min of demo"
# vm.sh -v streams the guest console; keep the demo's lines, drop the
# kernel's and the harness's own.
rc=0
"$here/vm.sh" -v --profile "$VM_DEMO_PROFILE" "$here/demo-guest.sh" 2>&1 |
	awk '
		/^---- guest console/ { dump = 1 }
		/^vm: kept / { print "demo: the whole guest console is in " $3 "/console.log"; next }
		dump { next }
		/^\[ *[0-9]+\.[0-9]+\] / || /^VMTEST/ || /^tail: / || /has no peer$/ { next }
		/^PASS demo-guest/ { next }
		/^FAIL demo-guest/ { print "demo: the guest part failed (" $0 ")"; fflush(); next }
		{ print; fflush() }
	' || rc=$?
say "done in $(($(date +%s) - t0))s (rc=$rc)"
exit "$rc"
