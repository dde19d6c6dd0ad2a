#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real QEMU in the guest as the holder (uid 107, its group node chowned to
# it, memlock raised: as libvirt runs it), with NIC 1 assigned
# (-device vfio-pci) to a paused VM: the line removed, NIC 1 stays on
# vfio-pci, status names qemu-system-x86; QEMU quits, NIC 1 goes back to
# e1000e. Then the backstop: with force=yes the daemon writes unbind, the
# kernel asks QEMU to unplug the device, the paused guest never lets go, and
# the write waits in the kernel: NIC 1 turns stuck, yet the daemon answers,
# rescans and moves another NIC meanwhile (it never reads a device a worker
# is writing); QEMU killed, the write completes and NIC 1 is on e1000e.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 240
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

command -v qemu-system-x86_64 >/dev/null || vm_skip "no qemu-system-x86_64"
vfb_init
QEMU_PID=""
stop_qemu() {
	vm_reap "$QEMU_PID" "$@"
	QEMU_PID=""
}
on_exit() {
	local rc=$?
	stop_qemu KILL
	vfb_cleanup "$rc"
}
trap on_exit EXIT
n1=$VM_BDF_NIC1 n2=$VM_BDF_NIC2

# A paused VM with $n1 assigned, run as uid 107 as libvirt would run it.
QMP_DIR=$VMTEST_WORKDIR/qmp
mkdir -p "$QMP_DIR"
chown 107:107 "$QMP_DIR"
start_qemu() {
	local g
	g=$(pci_iommu_group "$n1")
	chown 107:107 "/dev/vfio/$g"
	rm -f "$QMP_DIR/sock"
	prlimit --memlock=unlimited:unlimited \
		setpriv --reuid=107 --regid=107 --clear-groups \
		qemu-system-x86_64 -accel tcg -m 64 -S -nodefaults -display none -monitor none \
		-serial none -qmp "unix:$QMP_DIR/sock,server=on,wait=off" \
		-device "vfio-pci,host=$n1" 2>"$VMTEST_WORKDIR/qemu.err" &
	QEMU_PID=$!
	# Held once QEMU has the group open: what the daemon must see.
	vm_wait 60 qemu_holds "$g" || return 1
	# The group is only the start of QEMU's set-up: it opens the device
	# and registers the channel the kernel asks it to give the device
	# back through later in it. QMP answers once QEMU's main loop runs,
	# after all of that (a forced unbind before it would not wait: the
	# device itself would not be open yet).
	vm_wait 60 qemu_ready
}
qemu_ready() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n' |
		timeout 5 socat -t 2 - "UNIX-CONNECT:$QMP_DIR/sock" 2>/dev/null |
		grep -q '"running": *false'
}
qemu_holds() {
	local f
	for f in /proc/"$QEMU_PID"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == "/dev/vfio/$1" ]] && return 0
	done
	return 1
}

printf 'DEFAULT %s\n' "$n1" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start --stuck-timeout 3
vm_check "$n1 on vfio-pci" vm_wait 30 pci_has_driver "$n1" vfio-pci
vm_check "QEMU (uid 107) holds $n1" start_qemu
vfb_log_mark
printf '# the VM line is gone\n' >"$VFB_CFG"
vm_check "status: $n1 blocked, naming QEMU" vm_wait 30 vfb_state_is "$n1" blocked \
	"held by pid $QEMU_PID \(qemu-system-x86, uid 107\) through /dev/vfio/$(pci_iommu_group "$n1")"
vfb_show status || true
vm_check "$n1 still on vfio-pci" pci_has_driver "$n1" vfio-pci
vm_check "QEMU still runs" kill -0 "$QEMU_PID"
held=$QEMU_PID
stop_qemu
vm_check "$n1 back on e1000e once QEMU quit" vm_wait 30 pci_has_driver "$n1" e1000e
vm_check "woken by QEMU's exit" vfb_log_new_has "holder pid $held exited"

# --- the backstop: force=yes under a guest that never lets go ---------------
printf 'DEFAULT %s\n' "$n1" >"$VFB_CFG"
vm_check "$n1 on vfio-pci" vm_wait 30 pci_has_driver "$n1" vfio-pci
vm_check "QEMU holds $n1 again" start_qemu
printf 'DEFAULT %s driver=e1000e force=yes\n' "$n1" >"$VFB_CFG"
vm_check "the write waits in the kernel: $n1 stuck" vm_wait 45 vfb_state_is "$n1" stuck
vfb_show status || true
vm_check "the kernel relayed the request to QEMU" eval "dmesg | grep -q 'Relaying device request to user'"
vm_check "the daemon answers meanwhile" vfb_ready
vm_check "a full rescan comes back (vfiobind reconcile)" eval "vfb --timeout 20 reconcile >/dev/null 2>&1 || true; vfb_ready"
printf 'DEFAULT %s driver=e1000e force=yes\nDEFAULT %s\n' "$n1" "$n2" >"$VFB_CFG"
vm_check "another NIC moves meanwhile" vm_wait 30 pci_has_driver "$n2" vfio-pci
stop_qemu KILL
vm_check "QEMU gone: the write completes, $n1 on e1000e" vm_wait 30 pci_has_driver "$n1" e1000e
printf '# nothing\n' >"$VFB_CFG"
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "the daemon is still running" vfb_ready
