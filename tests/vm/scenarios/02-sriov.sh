#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV on the emulated NVMe: VFs are created and removed through
# sriov_numvfs (in the guest), each VF in its own IOMMU group, and a VF can
# be moved to vfio-pci.  QEMU's VFs have no queue resources assigned, so the
# nvme driver gives up on them and lets go: they end up with no driver.
# vm-profile: nics=2 nvme=1 rootports=1
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

pf=/sys/bus/pci/devices/$VM_BDF_NVME
vf1=0000:00:10.1 vf2=0000:00:10.2
vm_check "NVMe PF is bound to nvme" test "$(pci_driver "$VM_BDF_NVME")" = nvme
vm_check "sriov_totalvfs is 4" test "$(<"$pf/sriov_totalvfs")" = 4
vm_check "create 2 VFs" sh -c "echo 2 > $pf/sriov_numvfs"
vm_check "VF $vf1 appears" vm_wait 10 test -e "/sys/bus/pci/devices/$vf1"
vm_check "VF $vf2 appears" vm_wait 10 test -e "/sys/bus/pci/devices/$vf2"
g1=$(pci_iommu_group "$vf1") g2=$(pci_iommu_group "$vf2")
vm_check "VFs have distinct IOMMU groups ($g1, $g2)" test "$g1" != "$g2"
vm_check "nvme lets go of $vf1" vm_wait 15 pci_has_driver "$vf1" ""
vm_check "modprobe vfio-pci" modprobe vfio-pci
vm_check "$vf1 -> vfio-pci" pci_sysfs_bind "$vf1" vfio-pci
vm_check "/dev/vfio/$g1 appears" vm_wait 5 test -c "/dev/vfio/$g1"
vm_check "clear the override of $vf1" pci_sysfs_restore "$vf1"
vm_check "remove VFs" sh -c "echo 0 > $pf/sriov_numvfs"
vm_check "VFs are gone" vm_wait 10 test ! -e "/sys/bus/pci/devices/$vf1"
vm_check "/dev/vfio/$g1 is gone" vm_wait 5 test ! -e "/dev/vfio/$g1"
