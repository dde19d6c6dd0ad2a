/* pci.h: the PCI model, read from sysfs under a configurable root.
 *
 * Everything is read under `root` (the --sysfs-root option, "/sys" normally),
 * so tests run the same code on a fake tree. Reading only: writes are bind.c's.
 * Paths used (Documentation/ABI/testing/sysfs-bus-pci):
 *   bus/pci/devices/BDF/{vendor,device,subsystem_vendor,subsystem_device,class,
 *     driver,driver_override,iommu_group,numa_node,sriov_totalvfs,sriov_numvfs,
 *     sriov_drivers_autoprobe,physfn,virtfnN,modalias,boot_vga,net/}
 *   bus/pci/drivers/NAME
 *   kernel/iommu_groups/N/devices/
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"

#define PCI_DRIVER_MAX 64
#define PCI_IFNAME_MAX 16
#define PCI_MAX_IFNAMES 4
#define PCI_MODALIAS_MAX 128

struct pci_dev {
	char bdf[BDF_BUFSZ];
	struct pci_addr addr;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class_code;			/* 24 bits, e.g. 0x020000 */
	char driver[PCI_DRIVER_MAX];		/* "" when no driver is bound */
	char driver_override[PCI_DRIVER_MAX];	/* "" when none ("(null)" in sysfs) */
	int iommu_group;			/* -1 when none */
	int numa_node;				/* -1 when unknown */
	int sriov_totalvfs;			/* -1 when not SR-IOV capable */
	int sriov_numvfs;			/* -1 when not SR-IOV capable */
	int sriov_autoprobe;			/* -1 when absent */
	char physfn[BDF_BUFSZ];			/* the PF of a VF, "" otherwise */
	int vf_index;				/* index under its PF, -1 otherwise */
	int boot_vga;				/* -1 when absent */
	bool is_bridge;				/* class 0x0604xx / 0x0609xx */
	char ifnames[PCI_MAX_IFNAMES][PCI_IFNAME_MAX];
	unsigned n_ifnames;
};

struct pci_state {
	struct pci_dev *devs;			/* sorted by address */
	size_t n;
	size_t cap;
	bool iommu_on;				/* kernel/iommu_groups has groups */
};

/* Scan every function under ROOT/bus/pci/devices. Devices whose directory
 * name is not a canonical BDF are skipped (and logged at debug). */
int pci_scan(const char *root, struct pci_state **out);
/* Read one device. -ENODEV when it is not there; -EINVAL for a bad name. */
int pci_read_device(const char *root, const char *bdf, struct pci_dev *out);
/* Re-read one device in place: adds, updates or (when gone) removes it, and
 * re-derives VF indexes touching it. Returns 0, or -ENODEV when removed. */
int pci_state_refresh(struct pci_state *st, const char *root, const char *bdf);
/* Re-read whether the IOMMU is on. */
void pci_state_refresh_iommu(struct pci_state *st, const char *root);
const struct pci_dev *pci_find(const struct pci_state *st, const char *bdf);
void pci_state_free(struct pci_state *st);
struct pci_state *pci_state_dup(const struct pci_state *st);

/* Lazily read attributes the planner never needs. */
int pci_read_modalias(const char *root, const char *bdf, char *buf, size_t size);
/* Is s usable as a driver name in a sysfs path: 1 to PCI_DRIVER_MAX - 1 of
 * [A-Za-z0-9_.-], and not "." or ".."? */
bool pci_driver_name_valid(const char *s);
/* Is a driver with this name registered (ROOT/bus/pci/drivers/NAME)? */
bool pci_driver_registered(const char *root, const char *driver);
/* Current driver of one device ("" when none): 0 or -errno. */
int pci_read_driver(const char *root, const char *bdf, char *buf, size_t size);
/* Members of an IOMMU group, read from ROOT/kernel/iommu_groups/N/devices.
 * Fills up to max BDFs; returns the count or -errno. */
int pci_read_group_members(const char *root, int group, char (*bdfs)[BDF_BUFSZ], size_t max);
