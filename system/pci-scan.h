/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci-scan.h: the PCI model read from sysfs under a configurable root.
 *
 * Everything is read under `root` (the --sysfs-root option, "/sys" normally),
 * so tests run the same code on a fake tree. Reading only: writes are bind.c's.
 * Paths used (Documentation/ABI/testing/sysfs-bus-pci):
 *   bus/pci/devices/BDF/{uevent,driver_override,iommu_group,sriov_totalvfs,
 *     sriov_numvfs,sriov_drivers_autoprobe,physfn,virtfnN,boot_vga,net/}
 *   and when uevent lacks PCI_ID or PCI_CLASS: {vendor,device,
 *     subsystem_vendor,subsystem_device,class,driver}; on demand: modalias,
 *     numa_node
 *   bus/pci/drivers/NAME
 *   kernel/iommu_groups/N/devices/
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* Scan every function under ROOT/bus/pci/devices. Devices whose directory
 * name is not a canonical BDF are skipped (and logged at debug). */
int pci_scan(const char *root, struct pci_state **out);

/* Is bdf a function that a sysfs write is in the kernel for? Reading some
 * of its attributes then waits for that write, which may never end: the
 * kernel holds the device's lock across the write, and driver_override
 * and sriov_numvfs take it to be read (an unbind waiting in vfio-pci's
 * remove() for a VM to let go; a VF count change waiting for a held VF, and
 * every VF of that PF too, whose index is read from the PF's sriov_numvfs). */
typedef bool (*pci_busy_fn)(const char *bdf, void *ud);
/* pci_scan, except that a busy function keeps its entry from old (when it
 * has one, and its directory is still there) instead of being read. */
int pci_scan_busy(const char *root, const struct pci_state *old, pci_busy_fn busy, void *ud,
		  struct pci_state **out);
/* Read the functions named (canonical BDFs; one not there is left out) and
 * what planning them needs: every member of their IOMMU groups and the PF
 * of a VF, transitively, with the VF indexes of every PF read. What a whole
 * scan has on them, for a small part of its reads; for --once with a config
 * that names devices by address (engine-facts.c). A busy function keeps its
 * entry from old, as in pci_scan_busy (busy may be NULL: none is). */
int pci_scan_some(const char *root, const char *const *bdfs, size_t n, const struct pci_state *old,
		  pci_busy_fn busy, void *ud, struct pci_state **out);
/* Read one device. -ENODEV when it is not there; -EINVAL for a bad name. */
int pci_read_device(const char *root, const char *bdf, struct pci_dev *out);
/* Re-read one device in place: adds, updates or (when gone) removes it, and
 * re-derives VF indexes touching it. Returns 0, or -ENODEV when removed. */
int pci_state_refresh(struct pci_state *st, const char *root, const char *bdf);
/* The same, leaving a busy function as it is, and the VF index of a VF whose
 * PF is busy as it was (-1 for a new VF: a rescan sets it once the PF is
 * done). */
int pci_state_refresh_busy(struct pci_state *st, const char *root, const char *bdf,
			   pci_busy_fn busy, void *ud);
/* Re-read whether the IOMMU is on. */
void pci_state_refresh_iommu(struct pci_state *st, const char *root);

/* Lazily read attributes the planner never needs. */
int pci_read_modalias(const char *root, const char *bdf, char *buf, size_t size);
/* The NUMA node of one device, -1 when unknown (or no such device). Its
 * read takes no device lock (dev_to_node()). */
int pci_read_numa_node(const char *root, const char *bdf);
/* Is a driver with this name registered (ROOT/bus/pci/drivers/NAME)? */
bool pci_driver_registered(const char *root, const char *driver);
/* Current driver of one device ("" when none): 0 or -errno. */
int pci_read_driver(const char *root, const char *bdf, char *buf, size_t size);
/* Members of an IOMMU group, read from ROOT/kernel/iommu_groups/N/devices.
 * Fills up to max BDFs; returns the count or -errno. */
int pci_read_group_members(const char *root, int group, char (*bdfs)[BDF_BUFSZ], size_t max);
