#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A VF given back to the kernel settles.  "numvfs=4 vfs=0,2" on the NVMe PF:
# VFs 0 and 2 (00:10.1, 00:10.3) go to vfio-pci; VFs 1 and 3 (00:10.2,
# 00:10.4) are handed to the kernel, whose nvme binds them, fails ("Device
# not ready": QEMU gives these VFs no queues) and lets go, with a bind and
# an unbind event.  Those events are the kernel's sequel to the daemon's own
# restore, not news: over a window after it settled the daemon restores
# neither VF again (an upper bound on a count, never a timing; it used to
# be one restore every ~0.6 s for each) and status is 0 at every look.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
pf=$VM_BDF_NVME
picked=(0000:00:10.1 0000:00:10.3)
unpicked=(0000:00:10.2 0000:00:10.4)
restore_re='info +restore 0000:00:10\.[24]: '
window=8

# not_ready: how many "Device not ready" lines the kernel has logged.
not_ready() {
	local n
	n=$(dmesg | grep -c 'Device not ready') || true
	printf '%s\n' "${n:-0}"
}

printf 'DEFAULT %s numvfs=4 vfs=0,2\n' "$pf" >"$VFB_CFG"
vfb_log_mark
vm_check "vfiobindd starts" vfb_start
vm_check "sriov_numvfs becomes 4" vm_wait 30 eval "[[ \$(<'/sys/bus/pci/devices/$pf/sriov_numvfs') == 4 ]]"
for vf in "${picked[@]}"; do
	vm_check "VF $vf on vfio-pci" vm_wait 45 pci_has_driver "$vf" vfio-pci
done
for vf in "${unpicked[@]}"; do
	vm_check "VF $vf given back, resting with no driver" vm_wait 45 pci_has_driver "$vf" ""
done
vm_check "status converged" vm_wait 30 vfb_converged
vm_say "restores of VFs 1 and 3 before the window: $(vfb_log_new_count "$restore_re")"

# The window: the kernel does what it does; the daemon must not answer it.
vfb_log_mark
kernel_before=$(not_ready)
looks=0 flaps=0
end=$((SECONDS + window))
while ((SECONDS < end)); do
	looks=$((looks + 1))
	vfb_converged || flaps=$((flaps + 1))
	vm_pause 0.3
done
restores=$(vfb_log_new_count "$restore_re")
kernel=$(($(not_ready) - kernel_before))
vm_say "in ${window}s: $restores restore(s) of VFs 1 and 3, $kernel 'Device not ready'" \
	"line(s), status not 0 in $flaps of $looks looks"
vm_check "no VF given back again and again (at most one more each)" test "$restores" -le 2
vm_check "status stayed 0" test "$flaps" -eq 0
if vfb_log_has 'let go of it after it was given back'; then
	vm_say "the log saw nvme let go of a VF it was given"
fi
vfb_show status || true
for vf in "${unpicked[@]}"; do
	vm_check "VF $vf not on vfio-pci" eval "[[ \$(pci_driver $vf) != vfio-pci ]]"
done

printf '# no VFs any more\n' >"$VFB_CFG"
vm_check "line removed: sriov_numvfs back to 0" vm_wait 45 eval "[[ \$(<'/sys/bus/pci/devices/$pf/sriov_numvfs') == 0 ]]"
vm_check "sriov_drivers_autoprobe is 1" eval "[[ \$(</sys/bus/pci/devices/$pf/sriov_drivers_autoprobe) == 1 ]]"
vm_check "status converged (nothing claimed)" vm_wait 30 vfb_converged
vm_check "the daemon is still running" vfb_ready
