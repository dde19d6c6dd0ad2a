#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfiobindd as a daemon against the real kernel and real udev: a NIC that is
# hot-added where the config expects it is moved to vfio-pci when its udev
# "add" event arrives; a line added to the config (inotify) binds another NIC;
# the daemon survives the hot-removal.  Skips while the daemon is not built.
# vm-profile: nics=2 nvme=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

[[ -x $VFIOBINDD ]] || vm_skip "$VFIOBINDD is not built"

hot=0000:01:00.0 # what appears behind rp0
nic1=0000:00:03.0
cfg=$VMTEST_WORKDIR/vfiobind.conf
run=$VMTEST_WORKDIR/run
sock=$run/vfiobind.sock
log=$VMTEST_OUT/daemon.log
printf 'DEFAULT %s\n' "$hot" >"$cfg"

"$VFIOBINDD" --config "$cfg" --run-dir "$run" --socket "$sock" --node-name vm \
	--log-level debug --udev-source udev >"$log" 2>&1 &
daemon=$!
cleanup() {
	kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[[ $(pci_driver "$nic1") == e1000e ]] || pci_sysfs_restore "$nic1" || true
	cat "$log"
}
trap cleanup EXIT

vm_check "the daemon opens its socket" vm_wait 20 test -S "$sock"
vm_check "host hot-adds an e1000e into rp0" vm_hotplug_nic hpd0 0
vm_check "$hot appears" vm_wait 20 test -e "/sys/bus/pci/devices/$hot"
vm_check "the daemon moves $hot to vfio-pci" vm_wait 30 pci_has_driver "$hot" vfio-pci
if [[ -x $VFIOBIND ]]; then
	vm_check "vfiobind status says converged" "$VFIOBIND" --socket "$sock" status
fi

printf 'DEFAULT %s\n' "$nic1" >>"$cfg"
vm_check "a config line added binds $nic1 (inotify)" vm_wait 30 pci_has_driver "$nic1" vfio-pci

vm_check "host removes the hot-added NIC" vm_unplug hpd0
vm_check "$hot disappears" vm_wait 30 test ! -e "/sys/bus/pci/devices/$hot"
sleep 1
vm_check "the daemon is still running" kill -0 "$daemon"
