#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The scan reads a function's ids, class and driver from its uevent (one
# read instead of a link and five attributes): checked against the real
# kernel here. With functions on every kind of driver (e1000e, nvme,
# virtio-pci, pcieport, vfio-pci, none), VFs and a bound/unbound mix, and
# again after the daemon moved some:
#  - every function's uevent says what its attributes and driver link say
#    (PCI_ID = vendor:device, PCI_SUBSYS_ID, PCI_CLASS = class, DRIVER =
#    the link);
#  - `vfiobind devices --json` (the daemon's scan) says what sysfs says for
#    every function: ids, class, driver, override, IOMMU group, SR-IOV
#    counts, PF and VF index, NUMA node.
# vm-profile: nics=3 nvme=1 virtio=1 rootports=1
# vm-timeout: 150
set -euo pipefail
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

vfb_init
# shellcheck disable=SC2317 # (invoked by the trap)
cleanup() {
	local rc=$?
	pci_sysfs_restore "$VM_BDF_NIC2" e1000e 2>/dev/null || true
	vfb_cleanup "$rc"
}
trap cleanup EXIT

# uevent_agrees: every function's uevent against its attributes and link.
uevent_agrees() {
	python3 - <<'EOF'
import os, sys
base = "/sys/bus/pci/devices"
bad = 0
for bdf in sorted(os.listdir(base)):
    d = os.path.join(base, bdf)
    def attr(name):
        with open(os.path.join(d, name)) as f:
            return f.read().strip()
    ev = dict(l.split("=", 1) for l in attr("uevent").splitlines() if "=" in l)
    link = os.path.join(d, "driver")
    want = {
        "PCI_ID": "%04X:%04X" % (int(attr("vendor"), 16), int(attr("device"), 16)),
        "PCI_SUBSYS_ID": "%04X:%04X" % (int(attr("subsystem_vendor"), 16),
                                        int(attr("subsystem_device"), 16)),
        "PCI_CLASS": "%04X" % int(attr("class"), 16),
        "DRIVER": os.path.basename(os.readlink(link)) if os.path.islink(link) else None,
    }
    for k, v in want.items():
        if ev.get(k) != v:
            print("%s: uevent %s=%r, sysfs says %r" % (bdf, k, ev.get(k), v))
            bad += 1
    print("%s uevent: %s" % (bdf, " ".join("%s=%s" % (k, ev.get(k)) for k in want)))
sys.exit(1 if bad else 0)
EOF
}

# scan_agrees: the daemon's view of every function against sysfs.
scan_agrees() {
	vfb --json devices >"$VMTEST_WORKDIR/devices.json" || return 1
	python3 - "$VMTEST_WORKDIR/devices.json" <<'EOF'
import json, os, sys
base = "/sys/bus/pci/devices"
got = {d["device"]: d for d in json.load(open(sys.argv[1]))["devices"]}
bad = 0
def attr(d, name, default=None):
    try:
        with open(os.path.join(d, name)) as f:
            return f.read().strip()
    except OSError:
        return default
def link(d, name):
    p = os.path.join(d, name)
    return os.path.basename(os.readlink(p)) if os.path.islink(p) else None
def num(s):
    return None if s is None or int(s) < 0 else int(s)
for bdf in sorted(os.listdir(base)):
    d = os.path.join(base, bdf)
    if bdf not in got:
        print("%s: not in vfiobind devices" % bdf)
        bad += 1
        continue
    g = got.pop(bdf)
    ov = attr(d, "driver_override")
    pf = link(d, "physfn")
    index = None
    if pf:
        for n in os.listdir(os.path.join(base, pf)):
            if n.startswith("virtfn") and link(os.path.join(base, pf), n) == bdf:
                index = int(n[6:])
    grp = link(d, "iommu_group")
    want = {
        "vendor": "%04x" % int(attr(d, "vendor"), 16),
        "device_id": "%04x" % int(attr(d, "device"), 16),
        "class": "0x%06x" % int(attr(d, "class"), 16),
        "driver": link(d, "driver"),
        "driver_override": None if ov in (None, "(null)") else ov,
        "iommu_group": int(grp) if grp else None,
        "numa_node": num(attr(d, "numa_node")),
        "sriov_totalvfs": num(attr(d, "sriov_totalvfs")),
        "sriov_numvfs": num(attr(d, "sriov_numvfs")),
        "pf": pf,
        "vf_index": index,
    }
    for k, v in want.items():
        if g.get(k) != v:
            print("%s: vfiobind says %s=%r, sysfs %r" % (bdf, k, g.get(k), v))
            bad += 1
for bdf in got:
    print("%s: in vfiobind devices, not in sysfs" % bdf)
    bad += 1
print("compared every function: %d differences" % bad)
sys.exit(1 if bad else 0)
EOF
}

vm_check "NIC2 $VM_BDF_NIC2 unbound by hand (a function with no driver)" \
	eval "printf %s '$VM_BDF_NIC2' >/sys/bus/pci/devices/$VM_BDF_NIC2/driver/unbind"
vm_check "the kernel's uevent agrees with attributes and links" uevent_agrees

# Before: nothing claimed (the daemon's first scan of the untouched mix).
: >"$VFB_CFG"
vm_check "vfiobindd starts" vfb_start
vm_check "the daemon's scan agrees with sysfs (untouched)" scan_agrees

# After: NIC1 on vfio-pci, two VFs made, one on vfio-pci, and an override
# left by the daemon's bind.
printf 'DEFAULT %s\nDEFAULT %s numvfs=2 vfs=1\n' "$VM_BDF_NIC1" "$VM_BDF_NVME" >"$VFB_CFG"
vm_check "NIC1 moves to vfio-pci" vm_wait 45 pci_has_driver "$VM_BDF_NIC1" vfio-pci
vm_check "sriov_numvfs becomes 2" vm_wait 30 eval "[[ \$(pci_numvfs $VM_BDF_NVME) == 2 ]]"
vm_check "status converged" vm_wait 45 vfb_converged
vm_check "vfiobind reconcile (a full rescan)" vfb reconcile
vm_check "status converged after the rescan" vm_wait 30 vfb_converged
vm_check "the kernel's uevent still agrees" uevent_agrees
vm_check "the daemon's scan agrees with sysfs (after moves, with VFs)" scan_agrees

: >"$VFB_CFG"
vm_check "NIC1 back on e1000e" vm_wait 45 pci_has_driver "$VM_BDF_NIC1" e1000e
vm_check "sriov_numvfs back to 0" vm_wait 45 eval "[[ \$(pci_numvfs $VM_BDF_NVME) == 0 ]]"
vm_check "status converged (nothing claimed)" vm_wait 30 vfb_converged
vm_check "the daemon's scan agrees with sysfs (all handed back)" scan_agrees
