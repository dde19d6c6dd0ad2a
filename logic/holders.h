/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holders.h: does a process hold a PCI function open, so that taking the
 * function from its driver would take it from a running VM or program?
 * Writing vfio-pci/unbind while QEMU holds the device blocks until QEMU lets
 * go, and makes the kernel ask QEMU to unplug it from the running guest; an
 * sriov_numvfs write does the same to every VF of the PF.
 *
 * Two halves, policy apart from I/O (as inuse.h):
 *  - holders_gather() (system/holders-gather.h) reads facts: the device
 *    nodes of the functions asked about (`dev` files under sysfs), the
 *    descriptors of every process that open one of them (/proc/PID/fd,
 *    stat through it, fdinfo), and what keeps the daemon from seeing them all.
 *  - holders_compute() (pure) turns facts into plan_held verdicts, with the
 *    sentence a user reads:
 *      "held by pid 4242 (qemu-system-x86, uid 107) through /dev/vfio/14"
 *      "held by pid 4242 (qemu-system-x86, uid 107) through /dev/vfio/14
 *       and 1 other process"
 *      "cannot tell whether it is held: ..." (then it is not taken either)
 *
 * What holds a function:
 *  - VFIO, judged per IOMMU group: a descriptor on the group's node
 *    /dev/vfio/GROUP holds every member of the group (a VM owns the group,
 *    whatever driver each member has); the function's own VFIO cdev
 *    /dev/vfio/devices/vfioN (kernels 6.6 and later); an anonymous
 *    [vfio-device] descriptor whose fdinfo names the function
 *    (vfio-device-syspath:, newer kernels still);
 *  - any driver: a descriptor on one of the function's own nodes (block
 *    devices and their partitions, /dev/dri/ nodes, /dev/fbN, any char device
 *    under its sysfs node).
 * Cannot tell, never "not held":
 *  - proc hides processes (hidepid) from a daemon without CAP_SYS_PTRACE;
 *  - a process whose descriptors cannot be read (no CAP_SYS_PTRACE);
 *  - for a function on vfio-pci: a process holds anonymous [vfio-device]
 *    descriptors that no fdinfo ties to a device (kernels before the
 *    syspath line), more of them than the vfio-pci functions of the groups
 *    it holds open could account for (a device descriptor outlives the
 *    group's, or was passed from another process).
 * A named holder wins over "cannot tell": it says who to ask. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"
#include "plan.h"

#define HOLDERS_VFIO_ANON "anon_inode:[vfio-device]"

enum holders_node_kind {
	HOLDERS_NODE_OWN = 0,	/* a node of the function itself */
	HOLDERS_NODE_GROUP,	/* /dev/vfio/GROUP: holds every member of the group */
};

/* A device node: whose it is, and its number. */
struct holders_node {
	enum holders_node_kind kind;
	char bdf[BDF_BUFSZ];	/* OWN: the function */
	int group;		/* GROUP: the IOMMU group number */
	bool block;		/* a block device, else a char device */
	unsigned major, minor;
};

/* A descriptor that opens one of the nodes, or an anonymous VFIO device. */
struct holders_fd {
	int pid;
	int fd;
	char path[PLAN_HOLDER_PATH_MAX];	/* its link: "/dev/vfio/14", HOLDERS_VFIO_ANON */
	bool vfio_anon;			/* else a node: block, major, minor */
	bool writable;			/* open for writing (fdinfo flags) */
	bool block;
	unsigned major, minor;
	char syspath_bdf[BDF_BUFSZ];	/* vfio_anon: the function fdinfo names, "" none */
};

/* A process with such descriptors, or whose descriptors cannot be read. */
struct holders_proc {
	int pid;
	unsigned uid;
	char comm[PLAN_COMM_MAX];
	unsigned long long start;	/* start time in clock ticks */
	int err;			/* 0, or the positive errno reading its descriptors */
};

struct holders_facts {
	struct holders_node *nodes;
	size_t n_nodes;
	struct holders_fd *fds;
	size_t n_fds;
	struct holders_proc *procs;
	size_t n_procs;
	char hidden[160];		/* why proc hides processes from us, "" when it does not */
};

/* --- building facts (also what tests use to state them) ------------------- */

void holders_facts_clear(struct holders_facts *f);
/* A node of function bdf (kind OWN) or of IOMMU group `group` (kind GROUP). */
int holders_facts_add_node(struct holders_facts *f, enum holders_node_kind kind,
			   const char *bdf, int group, bool block, unsigned major, unsigned minor);
/* Is (block, major, minor) one of the nodes? */
bool holders_facts_has_node(const struct holders_facts *f, bool block, unsigned major,
			    unsigned minor);
int holders_facts_add_fd(struct holders_facts *f, const struct holders_fd *fd);
/* Can anything hold d at all: a node of its own, or its group's? A NIC on
 * its host driver without a PTP clock has none (its interface is inuse.h's
 * business); a driverless VF has none. */
bool holders_facts_holdable(const struct holders_facts *f, const struct pci_dev *d);
/* The entry for pid, made on first use; NULL on ENOMEM. */
struct holders_proc *holders_facts_proc(struct holders_facts *f, int pid);

/* --- pure ------------------------------------------------------------------- */

/* Verdicts for each of bdfs[0..n) that is held, or about which the facts
 * cannot tell. *out (malloc'd, possibly NULL when *n_out is 0): one entry per
 * such function. 0 or -ENOMEM. Unknown BDFs are skipped. */
int holders_compute(const struct pci_state *pci, const struct holders_facts *f,
		    const char *const *bdfs, size_t n, struct plan_held **out, size_t *n_out);
