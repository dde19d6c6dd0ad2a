#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfiobindd against the real kernel: --check-config, --dry-run changes
# nothing, --once binds exactly the configured function to vfio-pci and
# leaves the others (and the guest's own virtio-9p root) alone.
# Skips while the daemon is not built.
# vm-profile: nics=2 nvme=1 rootports=1
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

[[ -x $VFIOBINDD ]] || vm_skip "$VFIOBINDD is not built"

nic0=$VM_BDF_NIC0 nic1=0000:00:03.0
cfg=$VMTEST_WORKDIR/vfiobind.conf
run=$VMTEST_WORKDIR/run
mkdir -p "$run"
printf 'DEFAULT %s\n' "$nic0" >"$cfg"
daemon=("$VFIOBINDD" --config "$cfg" --run-dir "$run" --socket "$run/vfiobind.sock"
	--node-name vm --log-level debug)

vm_check "--check-config accepts the config" "${daemon[@]}" --check-config
# A dry run leaves the device pending, so --once may report "not converged"
# (1); it must not fail otherwise, and must print the planned bind.
rc=0
"${daemon[@]}" --dry-run --once >"$VMTEST_WORKDIR/dry.out" 2>&1 || rc=$?
cat "$VMTEST_WORKDIR/dry.out"
vm_check "--dry-run --once exits 0 or 1 (rc=$rc)" test "$rc" -le 1
vm_check "--dry-run names the bind of $nic0" grep -q "$nic0.*vfio-pci" "$VMTEST_WORKDIR/dry.out"
vm_check "dry run left $nic0 on e1000e" test "$(pci_driver "$nic0")" = e1000e

vm_check "--once exits 0" "${daemon[@]}" --once
vm_check "$nic0 is on vfio-pci" test "$(pci_driver "$nic0")" = vfio-pci
vm_check "/dev/vfio/$(pci_iommu_group "$nic0") exists" test -c "/dev/vfio/$(pci_iommu_group "$nic0")"
vm_check "$nic1 (not configured) stays on e1000e" test "$(pci_driver "$nic1")" = e1000e
vm_check "the guest's 9p root device stays on virtio-pci" \
	test "$(pci_driver "$VM_BDF_9P_FIRST")" = virtio-pci
vm_check "a second --once is a no-op" "${daemon[@]}" --once
vm_check "$nic0 is still on vfio-pci" test "$(pci_driver "$nic0")" = vfio-pci

pci_sysfs_restore "$nic0" || true
