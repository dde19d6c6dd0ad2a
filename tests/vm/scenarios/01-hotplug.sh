#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hotplug through the host's QEMU monitor: an e1000e is hot-added into the
# empty root port rp0, appears in the guest with a udev "add" event, and is
# removed again (pciehp waits ~5 s before letting it go).
# vm-profile: nics=2 nvme=1 rootports=1
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

[[ -z $(vm_rootport_child 0) ]] || vm_fail "rp0 is not empty"
udevadm monitor --udev --subsystem-match=pci >"$VMTEST_WORKDIR/udev.log" 2>&1 &
mon=$!
trap 'kill $mon 2>/dev/null || true' EXIT
sleep 0.5

vm_check "host adds e1000e hp0 into rp0" vm_hotplug_nic hp0 0
vm_check "a function appears behind rp0" vm_wait 20 vm_rootport_has_child 0
bdf=$(vm_rootport_child 0)
vm_say "hot-added $bdf"
vm_check "udev announces add of $bdf" vm_wait 20 grep -q "add .*/$bdf (pci)" "$VMTEST_WORKDIR/udev.log"
vm_check "$bdf is probed by e1000e" vm_wait 20 pci_has_driver "$bdf" e1000e
vm_check "$bdf has an IOMMU group" test -n "$(pci_iommu_group "$bdf")"

vm_check "host removes hp0" vm_unplug hp0
vm_check "$bdf disappears" vm_wait 30 test ! -e "/sys/bus/pci/devices/$bdf"
vm_check "udev announces remove of $bdf" vm_wait 10 grep -q "remove .*/$bdf (pci)" "$VMTEST_WORKDIR/udev.log"
cp "$VMTEST_WORKDIR/udev.log" "$VMTEST_OUT/"
