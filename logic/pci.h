/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci.h: the PCI model: one pci_dev per function, in a pci_state sorted by
 * address, and the lookups and updates on it. Pure data: the model is read
 * from sysfs by system/pci-scan.c (pci-scan.h), never here. */
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

/* Lookups: NULL when st is NULL or holds no such device. */
const struct pci_dev *pci_find(const struct pci_state *st, const char *bdf);
struct pci_dev *pci_find_mut(const struct pci_state *st, const char *bdf);
/* Updates that keep the array sorted: insert or replace d; remove bdf (and
 * forget the VF indexes of its VFs). 0 or -ENOMEM. */
int pci_state_upsert(struct pci_state *st, const struct pci_dev *d);
void pci_state_remove(struct pci_state *st, const char *bdf);
/* Room for want devices; 0 or -ENOMEM. */
int pci_state_reserve(struct pci_state *st, size_t want);
/* Sort devs by address (after appending in directory order). */
void pci_state_sort(struct pci_state *st);
void pci_state_free(struct pci_state *st);
struct pci_state *pci_state_dup(const struct pci_state *st);
/* Is s usable as a driver name in a sysfs path: 1 to PCI_DRIVER_MAX - 1 of
 * [A-Za-z0-9_.-], and not "." or ".."? */
bool pci_driver_name_valid(const char *s);
