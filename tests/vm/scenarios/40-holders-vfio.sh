#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Never take a device from a running workload: NIC 0 on vfio-pci held the
# way QEMU holds it (tests/vm/vfio-holder, uid 107) stays on vfio-pci when
# its line is removed, status and devices name the holder's pid, command
# and uid, and the daemon never writes unbind under it (the holder's request
# eventfd stays quiet, nothing is stuck); it goes back to e1000e as soon as
# the holder exits (pidfd), and when a holder closes the device without
# exiting (inotify), without waiting for the re-check timer. force=yes takes
# it all the same: the kernel asks the holder to let go (QEMU would unplug
# it from the guest), and it moves once the holder has.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 240
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vm_holder_cleanup EXIT
n0=$VM_BDF_NIC0

bind_n0() {
	printf 'DEFAULT %s\n' "$n0" >"$VFB_CFG"
	vm_check "$n0 on vfio-pci" vm_wait 30 pci_has_driver "$n0" vfio-pci
	vm_check "status converged" vm_wait 30 vfb_converged
}

# The line goes while the holder holds the group: blocked, naming it.
remove_line_under_holder() {
	local g
	g=$(pci_iommu_group "$n0")
	vm_check "the holder holds $n0 (group $g)" vm_holder_start "$n0"
	held_re="held by pid $VM_HOLDER_PID \(vfio-holder, uid 107\) through /dev/vfio/$g"
	vfb_log_mark
	printf '# the VM line is gone\n' >"$VFB_CFG"
	vm_check "status: $n0 blocked, naming the holder" vm_wait 30 vfb_state_is "$n0" blocked "$held_re"
	vfb_show status || true
}

vm_check "$n0 starts on e1000e" pci_has_driver "$n0" e1000e
printf 'DEFAULT %s\n' "$n0" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
bind_n0

# --- 1. the holder exits --------------------------------------------------
remove_line_under_holder
# A few passes more (a reconcile is a full one): still nothing moves.
vm_check "vfiobind reconcile" eval "vfb reconcile >/dev/null 2>&1 || true"
vm_check "$n0 still on vfio-pci" pci_has_driver "$n0" vfio-pci
vm_check "no unbind was written under the holder" vm_holder_untouched
vm_check "vfiobind devices $n0" vfb_show devices "$n0"
vm_check "devices names the holder" re_match "$n0 $held_re" "$VFB_OUT"
vfb_show --json status || true
vm_check "status --json lists the holder" \
	re_match "\"holders\":\[\{\"pid\":$VM_HOLDER_PID,\"uid\":107,\"comm\":\"vfio-holder\"" "$VFB_OUT"
read -r t0 _ </proc/uptime
held_pid=$VM_HOLDER_PID
vm_holder_stop
vm_check "$n0 back on e1000e once the holder exited" vm_wait 30 pci_has_driver "$n0" e1000e
read -r t1 _ </proc/uptime
vm_say "figure: $n0 moved $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after the holder exited"
vm_check "woken by the holder's exit (pidfd), not by a timer" vfb_log_new_has "holder pid $held_pid exited"
vm_check "status converged" vm_wait 30 vfb_converged

# --- 2. the holder closes the device and runs on --------------------------
bind_n0
remove_line_under_holder
vm_check "$n0 still on vfio-pci" pci_has_driver "$n0" vfio-pci
read -r t0 _ </proc/uptime
kill -USR1 "$VM_HOLDER_PID"
vm_check "$n0 back on e1000e once the holder closed it" vm_wait 30 pci_has_driver "$n0" e1000e
read -r t1 _ </proc/uptime
vm_say "figure: $n0 moved $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after the holder closed it"
vm_check "woken by the close (inotify)" vfb_log_new_has 'a holder closed a device it held'
vm_check "the holder still runs, and was never asked" vm_holder_untouched
vm_holder_stop

# --- 3. force=yes takes it anyway -----------------------------------------
bind_n0
vm_check "the holder holds $n0" vm_holder_start "$n0"
printf 'DEFAULT %s driver=e1000e\n' "$n0" >"$VFB_CFG"
vm_check "driver=e1000e without force: blocked" vm_wait 30 vfb_state_is "$n0" blocked "held by pid $VM_HOLDER_PID"
vm_check "no unbind was written under the holder" vm_holder_untouched
printf 'DEFAULT %s driver=e1000e force=yes\n' "$n0" >"$VFB_CFG"
vm_check "force=yes: the kernel asked the holder to let go" vm_wait 30 file_has '^request ' "$VM_HOLDER_FAIL"
vm_check "$n0 on e1000e once it did" vm_wait 30 pci_has_driver "$n0" e1000e
vm_holder_stop
printf '# nothing\n' >"$VFB_CFG"
vm_check "status converged" vm_wait 30 vfb_converged

vm_check "nothing was ever stuck" eval "! vfb_log_has 'stuck'"
vm_check "the daemon is still running" vfb_ready
