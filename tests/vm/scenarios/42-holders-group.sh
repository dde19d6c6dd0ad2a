#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A holder is judged per IOMMU group: the ICH9 functions (00:1f.0/.2/.3)
# share one group; with group=all they all go to vfio-pci, and a process
# that holds only the SMBus (00:1f.3) the way QEMU does holds the group.
# Removing the line leaves all three on vfio-pci, each blocked naming the
# holder, with no unbind written (the holder's request eventfd stays
# quiet); once it exits, every member goes back to its own driver.
# vm-profile: nics=4 nvme=1 rootports=1
# vm-timeout: 180
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
trap vm_holder_cleanup EXIT
lpc=0000:00:1f.0 sata=0000:00:1f.2 smbus=0000:00:1f.3
declare -A orig=([$lpc]=lpc_ich [$sata]=ahci [$smbus]=i801_smbus)
g=$(pci_iommu_group "$smbus")
vm_check "no disk on the AHCI controller" eval "! compgen -G '/sys/bus/pci/devices/$sata/ata*/host*/target*' >/dev/null"
all_on() {
	local b
	for b in "${!orig[@]}"; do
		pci_has_driver "$b" "$1" || return 1
	done
}
all_home() {
	local b
	for b in "${!orig[@]}"; do
		pci_has_driver "$b" "${orig[$b]}" || return 1
	done
}

printf 'DEFAULT %s group=all\n' "$smbus" >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vm_check "group $g on vfio-pci" vm_wait 45 all_on vfio-pci
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "the holder holds the SMBus alone" vm_holder_start "$smbus"
held_re="held by pid $VM_HOLDER_PID \(vfio-holder, uid 107\) through /dev/vfio/$g"
vfb_log_mark
printf '# the group line is gone\n' >"$VFB_CFG"
for b in "${!orig[@]}"; do
	vm_check "$b blocked, naming the group's holder" vm_wait 30 vfb_state_is "$b" blocked "$held_re"
done
vfb_show status || true
vm_check "every member still on vfio-pci" all_on vfio-pci
vm_check "no unbind was written under the holder" vm_holder_untouched
held_pid=$VM_HOLDER_PID
vm_holder_stop
vm_check "every member back on its own driver" vm_wait 45 all_home
vm_check "woken by the holder's exit" vfb_log_new_has "holder pid $held_pid exited"
vm_check "status converged" vm_wait 30 vfb_converged
vm_check "nothing was ever stuck" eval "! vfb_log_has 'stuck'"
