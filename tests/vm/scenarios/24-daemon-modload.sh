#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-pci not loaded: the modules are removed before the daemon starts, and
# the daemon loads vfio-pci itself (libkmod) when it first needs it, then
# binds the configured NIC.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 120
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
nic=$VM_BDF_NIC1
# Nothing may be on vfio-pci for the module to go.
for d in /sys/bus/pci/drivers/vfio-pci/0000:*; do
	[[ -e $d ]] && vm_fail "${d##*/} is still on vfio-pci"
done
if [[ -e /sys/module/vfio_pci ]]; then
	vm_check "modprobe -r vfio-pci" modprobe -r vfio-pci
fi
for m in vfio_pci_core vfio_iommu_type1 vfio_virqfd vfio; do
	[[ -e /sys/module/$m ]] && { modprobe -r "$m" 2>/dev/null || vm_say "note: $m stays loaded"; }
done
vm_check "vfio_pci is not loaded" test ! -e /sys/module/vfio_pci
vm_check "no vfio-pci driver registered" test ! -e /sys/bus/pci/drivers/vfio-pci
vm_say "vfio modules now: $(grep -o '^vfio[a-z_0-9]*' /proc/modules | tr '\n' ' ')"

printf 'DEFAULT %s\n' "$nic" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vm_check "$nic on vfio-pci" vm_wait 30 pci_has_driver "$nic" vfio-pci
vm_check "/sys/module/vfio_pci exists" test -d /sys/module/vfio_pci
vm_check "vfio_pci in /proc/modules" file_has '^vfio_pci ' /proc/modules
vm_check "/dev/vfio/$(pci_iommu_group "$nic") exists" vfio_dev_of "$nic"
vm_check "the daemon logs the module load" vfb_log_has 'module vfio_pci loaded'
vm_check "status converged" vm_wait 30 vfb_converged
printf '# empty\n' >"$VFB_CFG"
vm_check "$nic back on e1000e" vm_wait 30 pci_has_driver "$nic" e1000e
