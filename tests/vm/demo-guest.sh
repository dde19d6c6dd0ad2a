#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest half of tests/vm/demo.sh: runs inside the demo VM (as a scenario
# in batch mode, or from the interactive shell with --shell).  Shows the PCI
# functions, starts vfiobindd on tests/vm/demo.conf and shows it binding
# live, "vfiobind status", a live "vfiobind add" and "remove" of a third NIC,
# and a hot-plugged NIC being bound.  With --shell the daemon stays running
# for the user's shell afterwards.
# vm-profile: nics=4 nvme=1 virtio=1 rootports=2
# vm-timeout: 400

# Sourced by the interactive shell (PROMPT_COMMAND, demo.sh --shell): run the
# demo once, then leave the shell with the client pointed at the daemon.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
	unset PROMPT_COMMAND
	bash "${BASH_SOURCE[0]}" --shell
	export VFIOBIND_SOCKET=/run/vfiobind-demo/vfiobind.sock
	# shellcheck disable=SC2139 # (expanded now, on purpose)
	alias vfiobind="$VFIOBIND" vfiobindd="$VFIOBINDD"
	# shellcheck source=tests/vm/guest/lib.sh
	. "$VMTEST_LIB"
	return 0
fi
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

shell=0
[[ ${1:-} == --shell ]] && shell=1
export VMTEST_NAME=demo
dir=/run/vfiobind-demo
cfg=$dir/vfiobind.conf
sock=$dir/vfiobind.sock
log=$dir/vfiobindd.log
mkdir -p "$dir"
cp "$VFIOBIND_SRCDIR/tests/vm/demo.conf" "$cfg"
t0=$SECONDS
# The serial console has no size of its own: take the host terminal's
# (demo.sh passes it as DEMO_COLS on the kernel command line), so the
# client's tables fit.
if [[ -t 1 && -n ${DEMO_COLS:-} ]]; then
	stty cols "$DEMO_COLS" 2>/dev/null || true
fi

if [[ -t 1 ]]; then
	B=$'\e[1m' C=$'\e[36m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'
else
	B="" C="" G="" R="" N=""
fi
step=0
heading() {
	step=$((step + 1))
	printf '\n%s==== %d. %s ====%s\n' "$B" "$step" "$*" "$N"
}
say() { printf '%s\n' "$*"; }
run() {
	printf '%s$ %s%s\n' "$C" "$*" "$N"
	"$@"
}
vfiobind() { "$VFIOBIND" --socket "$sock" "$@"; }
status_ok() { "$VFIOBIND" --socket "$sock" status >/dev/null 2>&1; }
ok() { printf '%s  ok:%s %s\n' "$G" "$N" "$*"; }
die() {
	printf '%s  FAILED:%s %s\n' "$R" "$N" "$*"
	exit 1
}
# wait_driver BDF DRIVER [SECONDS]
wait_driver() {
	if vm_wait "${3:-30}" pci_has_driver "$1" "$2"; then
		ok "$1 is on $2"
	else
		die "$1 is on '$(pci_driver "$1")', not $2"
	fi
}
# table of PCI functions, from sysfs
pci_table() {
	local d b cls drv grp ven dev
	printf '  %-13s %-10s %-7s %-12s %s\n' DEVICE ID CLASS DRIVER GROUP
	for d in /sys/bus/pci/devices/*; do
		b=${d##*/}
		cls=$(<"$d/class") ven=$(<"$d/vendor") dev=$(<"$d/device")
		drv=$(pci_driver "$b")
		grp=$(pci_iommu_group "$b")
		printf '  %-13s %-10s %-7s %-12s %s\n' "$b" "${ven#0x}:${dev#0x}" \
			"${cls:2:4}" "${drv:--}" "${grp:--}"
	done
}

heading "The demo VM: a real kernel, an emulated Intel IOMMU, real udev"
say "  kernel $(uname -r); IOMMU groups: $(compgen -G '/sys/kernel/iommu_groups/*' | wc -l)"
say "  4 e1000e NICs at 00:02.0-00:05.0, an NVMe with SR-IOV at 00:10.0,"
say "  virtio-net at 00:11.0, empty PCIe root ports at 00:18.0/00:19.0,"
say "  virtio-9p at 00:12.0+ (the guest's own root file system)."
say ""
say "  The PCI functions before vfiobindd:"
pci_table

heading "The config: tests/vm/demo.conf (this node is called \"demo-vm\")"
sed 's/^/  /' "$cfg"

heading "Start vfiobindd: it binds the devices live (its log)"
printf '%s$ vfiobindd --config %s --socket %s --run-dir %s --node-name demo-vm &%s\n' \
	"$C" "$cfg" "$sock" "$dir" "$N"
"$VFIOBINDD" --config "$cfg" --socket "$sock" --run-dir "$dir" --node-name demo-vm \
	--log-level info >"$log" 2>&1 &
daemon=$!
# The daemon's log, live, from here on.
tail -n +1 -F "$log" 2>/dev/null | sed -u "s/^[^ ]* /  ${C}vfiobindd|${N} /" &
tailer=$!
cleanup() {
	kill "$tailer" 2>/dev/null || true
	if ((!shell)); then
		kill "$daemon" 2>/dev/null || true
	fi
}
trap cleanup EXIT
vm_wait 30 test -S "$sock" || die "no control socket"
wait_driver 0000:00:02.0 vfio-pci
wait_driver 0000:00:03.0 vfio-pci
vm_wait 30 test -e /sys/bus/pci/devices/0000:00:10.2 || die "no VFs"
wait_driver 0000:00:10.1 vfio-pci
wait_driver 0000:00:10.2 vfio-pci
vm_wait 30 status_ok || true

heading "vfiobind status"
run vfiobind status || true
say ""
say "  00:04.0 has no line; 00:05.0's line is for node storage-7; the NVMe PF"
say "  keeps nvme, its VFs are on vfio-pci; 01:00.0 (rp0) is empty for now."

heading "vfiobind devices (what the daemon sees)"
run vfiobind devices || true

heading "Live: vfiobind add a third NIC, then remove it"
run vfiobind add 0000:00:04.0
wait_driver 0000:00:04.0 vfio-pci
run grep -n 04.0 "$cfg"
run vfiobind status 0000:00:04.0 || true
run vfiobind remove 0000:00:04.0
wait_driver 0000:00:04.0 e1000e

heading "Live: hot-plug a NIC into root port rp0 (QEMU device_add)"
printf '%s(host) device_add e1000e,id=demo-hp0,bus=rp0,netdev=hpn0%s\n' "$C" "$N"
vm_hotplug_nic demo-hp0 0 >/dev/null || die "the host refused the hot-plug"
vm_wait 30 test -e /sys/bus/pci/devices/0000:01:00.0 || die "nothing appeared behind rp0"
ok "0000:01:00.0 appeared behind rp0"
wait_driver 0000:01:00.0 vfio-pci
vm_wait 30 status_ok || true
run vfiobind status || true

heading "Summary"
sleep 0.5
kill "$tailer" 2>/dev/null || true
say "  The PCI functions after:"
pci_table
say ""
if status_ok; then
	say "  ${G}vfiobind status: every claimed device converged.${N}"
else
	say "  ${R}vfiobind status: not converged${N}"
fi
say "  Bound to vfio-pci: NICs 00:02.0 and 00:03.0, NVMe VFs 00:10.1-.2 (made"
say "  by numvfs=2), the hot-plugged 01:00.0; 00:04.0 went there and back."
say "  Left alone: 00:05.0 (another node's line), the NVMe PF, virtio, 9p, ICH9."
say "  Demo took $((SECONDS - t0))s in the guest."
if ((shell)); then
	say ""
	say "  vfiobindd keeps running (pid $daemon, log $log)."
	say "  Try: vfiobind status; vfiobind watch; vfiobind add 0000:00:05.0;"
	say "       echo 0000:00:02.0 > /sys/bus/pci/drivers/vfio-pci/unbind"
	say "       vm_unplug demo-hp0      # the hot-plugged NIC goes away"
	say "  'exit' powers the VM off."
fi
