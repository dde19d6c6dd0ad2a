#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# IOMMU group viability on the ICH9 functions (00:1f.0 LPC, .2 SATA, .3
# SMBus share one group): a line for the SMBus alone is blocked, the reason
# names another member and its driver, and nothing moves; with group=all the
# whole group goes to vfio-pci; removing the line gives every member its own
# driver back.  Safe in this guest: its root is virtio-9p, no disk is on the
# AHCI controller, and nothing needs the SMBus or the LPC functions.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
lpc=0000:00:1f.0 sata=0000:00:1f.2 smbus=0000:00:1f.3
declare -A orig=([$lpc]=lpc_ich [$sata]=ahci [$smbus]=i801_smbus)
g=$(pci_iommu_group "$smbus")
for b in "${!orig[@]}"; do
	vm_check "$b on ${orig[$b]}" pci_has_driver "$b" "${orig[$b]}"
	vm_check "$b in group $g" test "$(pci_iommu_group "$b")" = "$g"
done
vm_check "no disk on the AHCI controller" eval "! compgen -G '/sys/bus/pci/devices/$sata/ata*/host*/target*' >/dev/null"

printf 'DEFAULT %s\n' "$smbus" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
smbus_blocked() {
	VFB_OUT=$(vfb status 2>&1) || true
	re_match "$smbus +blocked" "$VFB_OUT"
}
vm_check "status shows $smbus blocked" vm_wait 30 smbus_blocked
vfb_show status || true
vm_check "status exits 1 (not converged)" test "$VFB_RC" = 1
vm_check "the reason: group $g not viable, naming a member and its driver" \
	re_match "group $g not viable: 0000:00:1f\\.[02] on (lpc_ich|ahci)" "$VFB_OUT"
sleep 1
for b in "${!orig[@]}"; do
	vm_check "$b did not move (${orig[$b]})" pci_has_driver "$b" "${orig[$b]}"
done

printf 'DEFAULT %s group=all\n' "$smbus" >"$VFB_CFG"
for b in "${!orig[@]}"; do
	vm_check "group=all: $b -> vfio-pci" vm_wait 45 pci_has_driver "$b" vfio-pci
done
vm_check "/dev/vfio/$g exists" test -c "/dev/vfio/$g"
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "vfiobind status" vfb_show status

printf '# empty\n' >"$VFB_CFG"
for b in "${!orig[@]}"; do
	vm_check "line removed: $b back on ${orig[$b]}" vm_wait 45 pci_has_driver "$b" "${orig[$b]}"
done
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "the daemon is still running" vfb_ready
