#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV through the daemon: "DEFAULT <NVMe PF> numvfs=4" creates four VFs
# (00:10.1-.4), all on vfio-pci, the PF stays on nvme; removing the line
# takes the VFs away again (sriov_numvfs 0) and leaves the PF on nvme.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vfb_cleanup EXIT
pf=$VM_BDF_NVME
vfs=(0000:00:10.1 0000:00:10.2 0000:00:10.3 0000:00:10.4)
vm_check "PF $pf on nvme" pci_has_driver "$pf" nvme
vm_check "no VFs yet" test "$(pci_numvfs "$pf")" = 0

printf 'DEFAULT %s numvfs=4\n' "$pf" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vm_check "sriov_numvfs becomes 4" vm_wait 30 eval "[[ \$(<'/sys/bus/pci/devices/$pf/sriov_numvfs') == 4 ]]"
for vf in "${vfs[@]}"; do
	vm_check "VF $vf on vfio-pci" vm_wait 45 pci_has_driver "$vf" vfio-pci
	vm_check "/dev/vfio/$(pci_iommu_group "$vf") for $vf" vfio_dev_of "$vf"
done
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "vfiobind status" vfb_show status
vm_check "PF $pf still on nvme" pci_has_driver "$pf" nvme
vm_check "vfiobind devices pf=$pf" vfb_show devices "pf=$pf"
vm_check "devices lists the 4 VFs" re_match "${vfs[3]}" "$VFB_OUT"

printf '# no VFs any more\n' >"$VFB_CFG"
vm_check "line removed: sriov_numvfs back to 0" vm_wait 45 eval "[[ \$(<'/sys/bus/pci/devices/$pf/sriov_numvfs') == 0 ]]"
for vf in "${vfs[@]}"; do
	vm_check "VF $vf is gone" vm_wait 15 pci_absent "$vf"
done
vm_check "PF $pf untouched on nvme" pci_has_driver "$pf" nvme
vm_check "PF has no override" eval "[[ \$(</sys/bus/pci/devices/$pf/driver_override) == '(null)' ]]"
vm_check "status converged (nothing claimed)" vm_wait 30 vfb_converged
vfb_show status || true
vm_check "the daemon is still running" vfb_ready
