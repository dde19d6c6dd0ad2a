#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves the harness: a real kernel with an emulated IOMMU, udev, the 9p'd
# modules, and one e1000e moved to vfio-pci by raw sysfs writes (in the guest).
# vm-profile: nics=2 nvme=1 rootports=1
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vm_say "kernel $(uname -r), profile: $VMTEST_PROFILE"
groups=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 | wc -l)
((groups > 0)) || vm_fail "/sys/kernel/iommu_groups is empty (no IOMMU?)"
vm_say "ok: $groups IOMMU groups"

vm_say "PCI functions (bdf id driver group):"
pci_list | sed 's/^/    /'

nic=$VM_BDF_NIC0
vm_check "$nic is bound to e1000e by udev" test "$(pci_driver "$nic")" = e1000e
vm_check "modprobe vfio-pci" modprobe vfio-pci
vm_check "vfio-pci driver registered" test -d /sys/bus/pci/drivers/vfio-pci

group=$(pci_iommu_group "$nic")
vm_check "$nic -> vfio-pci" pci_sysfs_bind "$nic" vfio-pci
vm_check "/dev/vfio/$group appears" vm_wait 5 test -c "/dev/vfio/$group"

vm_check "$nic back to e1000e" pci_sysfs_restore "$nic"
vm_check "$nic driver is e1000e again" test "$(pci_driver "$nic")" = e1000e
vm_check "/dev/vfio/$group goes away" vm_wait 5 test ! -e "/dev/vfio/$group"
