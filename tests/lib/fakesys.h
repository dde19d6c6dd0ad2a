/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakesys.h: a fake sysfs tree in a temporary directory, and a fake kernel
 * that gives writes into it their kernel meaning, so the real binder, scanner
 * and daemon run unchanged on it. Nothing here touches the real /sys.
 *
 * Layout made (as the kernel lays it out):
 *   ROOT/devices/pci0000:00/BDF/{vendor,device,subsystem_vendor,subsystem_device,
 *       class,driver_override,numa_node,modalias,uevent,[boot_vga],[sriov_*],
 *       driver -> ../../../bus/pci/drivers/NAME, iommu_group ->
 *       ../../../kernel/iommu_groups/N, physfn, virtfnN, net/IFNAME/}
 *   ROOT/bus/pci/devices/BDF -> ../../../devices/pci0000:00/BDF
 *   (uevent as the kernel shows it: DRIVER= while bound, PCI_CLASS, PCI_ID,
 *   PCI_SUBSYS_ID, PCI_SLOT_NAME, MODALIAS; kept in step with the driver
 *   link by every change the fake kernel or fakesys_set_driver makes)
 *   ROOT/bus/pci/drivers/NAME/{bind,unbind,new_id,remove_id,BDF -> device}
 *   ROOT/bus/pci/drivers_probe
 *   ROOT/kernel/iommu_groups/N/devices/BDF -> device
 *   ROOT/class/block/NAME -> a block device under its BDF (fakesys_add_block)
 *   ROOT/class/net/NAME -> an interface's directory, and
 *       ROOT/devices/virtual/net/UPPER/ for bonds, bridges, VLANs
 *       (fakesys_add_upper)
 *   ROOT/.fakesys, ROOT/.fakesys.lock: the fake kernel's own memory (native
 *       drivers, SR-IOV capacity, modules, new_id IDs, armed faults), kept
 *       up to date by every call so another process can fakesys_attach()
 *
 * Two processes may share one fake kernel (a test and the daemon built with
 * tests/daemon/fake-backend.c): each call reloads the model when the other
 * changed it, and the fake kernel is safe to call from several threads.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "modules.h"
#include "sysfs.h"

struct fakesys;

struct fakesys_dev {
	const char *bdf;		/* canonical, required */
	uint16_t vendor, device;	/* 0 -> 0x8086 / 0x10d3 */
	uint32_t class_code;		/* 0 -> 0x020000 (Ethernet) */
	const char *driver;		/* bound driver now, NULL none */
	const char *native_driver;	/* what drivers_probe picks without an
					   override (NULL: same as driver) */
	int iommu_group;		/* -1 none (also when 0 is not wanted: use -1) */
	int totalvfs;			/* > 0: SR-IOV PF with this capacity */
	const char *vf_driver;		/* native driver of VFs this PF creates */
	uint16_t vf_device;		/* device id of VFs (0: device+1) */
	const char *ifname;		/* net/IFNAME, NULL none */
	int boot_vga;			/* -1 absent */
	int numa_node;			/* written as is */
};

/* Defaults for a spec: call, then set fields. */
void fakesys_dev_init(struct fakesys_dev *d, const char *bdf, const char *driver, int group);

struct fakesys *fakesys_new(void);
/* The fake kernel of a tree fakesys_new() made (in another process): NULL
 * with errno set when root has no ROOT/.fakesys (the real /sys never has). */
struct fakesys *fakesys_attach(const char *root);
/* Removes the whole tree, unless fs came from fakesys_attach(). */
void fakesys_free(struct fakesys *fs);
const char *fakesys_root(const struct fakesys *fs);

/* Register a driver (bus/pci/drivers/NAME). A module of that name also
 * becomes "loadable" by fakesys_modules (which registers the driver). */
int fakesys_add_driver(struct fakesys *fs, const char *name);
/* Make a module known to the fake module loader without registering its
 * driver yet; alias may be NULL (then name only). */
int fakesys_add_module(struct fakesys *fs, const char *name, const char *alias);
int fakesys_add_device(struct fakesys *fs, const struct fakesys_dev *d);
int fakesys_remove_device(struct fakesys *fs, const char *bdf);
/* Bind bdf to driver (NULL: unbind) behind the daemon's back, as a person would. */
int fakesys_set_driver(struct fakesys *fs, const char *bdf, const char *driver);
/* Turn on the IOMMU (kernel/iommu_groups exists with groups) or off (removed). */
int fakesys_set_iommu(struct fakesys *fs, bool on);
/* Add an interface under a device's net/ (or remove it with NULL). */
int fakesys_set_ifname(struct fakesys *fs, const char *bdf, const char *ifname);

/* Add a block device under a device's directory: relpath is where the
 * kernel puts it ("nvme/nvme0/nvme0n1", "virtio1/block/vda", a partition as
 * "nvme/nvme0/nvme0n1/nvme0n1p1"); writes its dev ("259:0") and links
 * ROOT/class/block/NAME to it. */
int fakesys_add_block(struct fakesys *fs, const char *bdf, const char *relpath,
		      const char *majmin);
/* Add a char device the same way (RELPATH "drm/card0", SUBSYSTEM "drm",
 * "vfio-dev/vfio0" in "vfio-dev"): its dev, subsystem link and
 * ROOT/class/SUBSYSTEM/NAME link. */
int fakesys_add_chardev(struct fakesys *fs, const char *bdf, const char *relpath,
			const char *subsystem, const char *majmin);
/* A VFIO group's node, as the kernel shows it once a member is on vfio-pci:
 * ROOT/class/vfio/GROUP/dev ("243:0"). */
int fakesys_add_vfio_group(struct fakesys *fs, int group, const char *majmin);
/* Give a block device a holder (ROOT/class/block/BLOCK/holders/HOLDER). */
int fakesys_add_holder(struct fakesys *fs, const char *block, const char *holder);

/* Stack an upper interface on a lower one, as `ip link set LOWER master
 * UPPER` (master: bond, team, bridge) or `ip link add UPPER link LOWER type
 * vlan|macvlan` do: lower is an interface of a device (fakesys_set_ifname)
 * or an upper made before; kind is the upper's DEVTYPE ("bond", "bridge",
 * "vlan", "macvlan"; NULL: none, as team). Makes ROOT/class/net/NAME for
 * both, ROOT/devices/virtual/net/UPPER/uevent, LOWER/upper_UPPER and, when
 * master, LOWER/master. Remove takes the links from the lower away (as
 * `ip link set LOWER nomaster`). */
int fakesys_add_upper(struct fakesys *fs, const char *lower, const char *upper,
		      const char *kind, bool master);
int fakesys_remove_upper(struct fakesys *fs, const char *lower, const char *upper);

/* Read ROOT/relpath into a static-per-call malloc'd string (caller frees),
 * trailing newline removed; NULL when absent. */
char *fakesys_read(const struct fakesys *fs, const char *relpath);
/* Current driver of bdf: malloc'd name, or NULL when unbound. */
char *fakesys_driver(const struct fakesys *fs, const char *bdf);

/* Failure injection for the fake kernel. */
enum fakesys_fault {
	FAKESYS_FAULT_UNBIND,		/* write to drivers/X/unbind fails with err */
	FAKESYS_FAULT_PROBE_NOTHING,	/* drivers_probe "succeeds" but binds nothing
					   (pitfall 1); err unused */
	FAKESYS_FAULT_PROBE_TARGET,	/* the override target refuses the device
					   (probe returns err), native still binds */
	FAKESYS_FAULT_BIND,		/* write to drivers/X/bind fails with err */
	FAKESYS_FAULT_OVERRIDE,		/* write to driver_override fails with err */
	FAKESYS_FAULT_NUMVFS,		/* write to sriov_numvfs fails with err */
	FAKESYS_FAULT_MODULE,		/* loading any module fails with err */
	FAKESYS_FAULT_PROBE_ERRNO,	/* write to drivers_probe fails with err and
					   binds nothing */
	FAKESYS_FAULT_HOLD,		/* a write to unbind waits until the fault is
					   cleared, as a slow remove() does (count and
					   err unused) */
};
/* Arm a fault for bdf (NULL: any device); count < 0 means forever. */
void fakesys_fault(struct fakesys *fs, enum fakesys_fault f, const char *bdf, int err, int count);
void fakesys_clear_faults(struct fakesys *fs);

/* Count of writes this process's fake kernel saw (all files), and to new_id
 * in particular (not shared with an attached process). */
unsigned fakesys_write_count(const struct fakesys *fs);
unsigned fakesys_new_id_writes(const struct fakesys *fs);

/* The fake kernel as sysfs ops and module loader; ud must be the fakesys. */
struct sysfs_ops fakesys_kernel_ops(struct fakesys *fs);
struct modules_ops fakesys_modules_ops(struct fakesys *fs);

/* Build a tree of n functions (8 per bus, e1000e-like, one group each) fast,
 * for benchmarks and scale tests. */
int fakesys_populate(struct fakesys *fs, unsigned n, const char *driver);
