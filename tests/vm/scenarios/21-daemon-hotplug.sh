#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hotplug with the daemon running and real udev: a DEFAULT line for the
# address behind root port rp0; an e1000e hot-added there goes to vfio-pci
# as it appears (no restart) and status is converged; after the unplug the
# device leaves status (or shows absent) and the daemon logs no error.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
cleanup() {
	local rc=$?
	[[ ! -e /sys/bus/pci/devices/$VM_BDF_RP0_CHILD ]] || vm_unplug hpx0 >/dev/null 2>&1 || true
	vfb_cleanup "$rc"
}
trap cleanup EXIT
hot=$VM_BDF_RP0_CHILD
[[ -z $(vm_rootport_child 0) ]] || vm_fail "rp0 is not empty"

printf '# the NIC that will be hot-added into rp0\nDEFAULT %s\n' "$hot" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vfb_show status || true
vm_check "before the plug: status lists $hot as absent (rc=$VFB_RC)" \
	re_match "$hot +absent" "$VFB_OUT"

vm_check "host hot-adds an e1000e into rp0" vm_hotplug_nic hpx0 0
vm_check "$hot appears" vm_wait 30 test -e "/sys/bus/pci/devices/$hot"
vm_check "the daemon moves $hot to vfio-pci (no restart)" vm_wait 30 pci_has_driver "$hot" vfio-pci
vm_check "/dev/vfio/$(pci_iommu_group "$hot") exists" vfio_dev_of "$hot"
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "vfiobind status" vfb_show status
vm_check "status: $hot converged on vfio-pci" re_match "$hot +converged +vfio-pci" "$VFB_OUT"
vm_check "the log has the add event" vfb_log_has "event: add $hot"

vm_check "host removes the NIC" vm_unplug hpx0
vm_check "$hot disappears" vm_wait 30 pci_absent "$hot"
vm_check "the daemon hears the remove" vm_wait 15 vfb_log_has "event: remove $hot"
vm_check "the daemon is still running" vfb_ready
vfb_show status || true
vm_check "status exits 0 or 1 (rc=$VFB_RC), not a transport error" test "$VFB_RC" -le 1
vm_check "$hot is not listed, or listed as absent" \
	eval "[[ \$VFB_OUT != *$hot* ]] || re_match '$hot +absent' \"\$VFB_OUT\""
vm_check "no state error in status" eval "! re_match ' (error|stuck) ' \"\$VFB_OUT\""
vm_check "no error-level line in the daemon log" eval "! vfb_log_has '^[^ ]+ +error '"
