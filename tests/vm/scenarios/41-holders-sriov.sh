#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No VF count change under a held VF: the kernel changes sriov_numvfs only
# through 0, so every VF goes, even those both counts keep. numvfs=4 lowered
# to 2, then raised from 2 to 4, while VF0 (kept by both lines) is held the
# way QEMU holds it (tests/vm/vfio-holder, uid 107): sriov_numvfs stays, the
# PF's claim is blocked naming the VF and its holder, nothing is written
# under the holder (its request eventfd stays quiet, nothing is stuck, and a
# read of sriov_numvfs never blocks); the count changes once it is released.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 240
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vm_holder_cleanup EXIT
pf=$VM_BDF_NVME
vf0=0000:00:10.1

numvfs_is() { [[ $(pci_numvfs_within 5 "$pf") == "$1" ]]; }
vfs_on_vfio() {
	local i
	for ((i = 1; i <= $1; i++)); do
		pci_has_driver "0000:00:10.$i" vfio-pci || return 1
	done
}

# Change the line from numvfs=$1 to numvfs=$2 while VF0 is held.
change_under_holder() {
	local from=$1 to=$2 g held_re held_pid
	vm_check "VF0 $vf0 on vfio-pci" vm_wait 45 vfs_on_vfio "$from"
	vm_check "status converged" vm_wait 30 vfb_converged
	g=$(pci_iommu_group "$vf0")
	vm_check "the holder holds VF0 (group $g)" vm_holder_start "$vf0"
	held_re="numvfs $from -> $to waits: VF $vf0 held by pid $VM_HOLDER_PID \(vfio-holder, uid 107\) through /dev/vfio/$g"
	vfb_log_mark
	printf 'DEFAULT %s numvfs=%s\n' "$pf" "$to" >"$VFB_CFG"
	vm_check "status: the numvfs claim is blocked, naming VF0's holder" \
		vm_wait 30 vfb_state_is "$pf" blocked "$held_re"
	vfb_show status || true
	vm_check "vfiobind reconcile" eval "vfb reconcile >/dev/null 2>&1 || true"
	vm_check "sriov_numvfs still $from (and a read does not block)" numvfs_is "$from"
	vm_check "every VF still there, on vfio-pci" vfs_on_vfio "$from"
	vm_check "nothing was written under the holder" vm_holder_untouched
	read -r t0 _ </proc/uptime
	held_pid=$VM_HOLDER_PID
	vm_holder_stop
	vm_check "sriov_numvfs becomes $to once VF0 is released" vm_wait 45 numvfs_is "$to"
	read -r t1 _ </proc/uptime
	vm_say "figure: numvfs $from -> $to ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after the holder exited"
	vm_check "woken by the holder's exit (pidfd)" vfb_log_new_has "holder pid $held_pid exited"
	vm_check "the $to VFs on vfio-pci" vm_wait 45 vfs_on_vfio "$to"
	vm_check "status converged" vm_wait 30 vfb_converged
}

vm_check "PF $pf on nvme, no VFs" numvfs_is 0
printf 'DEFAULT %s numvfs=4\n' "$pf" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vm_check "sriov_numvfs becomes 4" vm_wait 45 numvfs_is 4
change_under_holder 4 2
change_under_holder 2 4
printf '# no VFs any more\n' >"$VFB_CFG"
vm_check "line removed: sriov_numvfs back to 0" vm_wait 45 numvfs_is 0
vm_check "nothing was ever stuck" eval "! vfb_log_has 'stuck'"
vm_check "the daemon is still running" vfb_ready
