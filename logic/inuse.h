/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse.h: is a PCI function in use by the host, so that unbinding it would
 * cut off a connection or pull a disk from under a filesystem?
 *
 * Two halves, policy apart from I/O:
 *  - inuse_gather() (system/inuse-gather.h) reads facts: interfaces (up
 *    flag, addresses, routes) and block devices (which PCI function owns
 *    them, mounts, swaps, holders), from a proc root and a sysfs root that
 *    tests point at fake trees.
 *  - inuse_compute() (pure) turns facts into plan_inuse reasons for the
 *    functions asked about, with the exact sentence a user sees:
 *      "eth0 has 10.0.0.5/24 and the default route"
 *      "eth0 is up with 2 addresses"
 *      "nvme0n1p2 is mounted on /", "nvme0n1p3 is an active swap",
 *      "nvme0n1 is held by dm-0"
 *
 * Network rule: the interfaces of a function are its pci_dev ifnames and
 * those whose SYSFS/class/net/NAME resolves under it. One is in use when it is up and has an address
 * (IPv6 link-local ones do not count: every up interface has one) or a
 * route (IPv6 link-local, multicast, local /128 and reject routes do not
 * count). An up interface with neither is NOT in use: nothing reaches the
 * host through it. An interface seen only in the route table (no interface
 * facts at all) counts as up.
 * Storage rule: only functions of class 0x01xxxx (mass storage) are checked;
 * one of their block devices (disks and partitions) is in use when it is
 * mounted (matched by major:minor, or by the mount source's name since
 * btrfs and others show an anonymous 0:N), an active swap, or has a holder
 * (dm, md, bcache...). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"
#include "plan.h"

#define INUSE_ADDR_MAX 48	/* INET6_ADDRSTRLEN and then some */
#define INUSE_NAME_MAX 64	/* a block device name ("nvme0n1p1", "dm-0") */
#define INUSE_PATH_MAX 256	/* a mount point, cut when longer */
#define INUSE_MAJMIN_MAX 24

struct inuse_addr {
	int family;			/* AF_INET or AF_INET6 */
	char text[INUSE_ADDR_MAX];	/* "10.0.0.5", "2001:db8::1" */
	unsigned prefix;
};

struct inuse_iface {
	char name[PCI_IFNAME_MAX];
	char bdf[BDF_BUFSZ];		/* from SYSFS/class/net/NAME (a virtio NIC's net/
					   is under virtioN/, not the PCI function); "" unknown */
	bool known;			/* seen by getifaddrs/the net file (up is meaningful) */
	bool up;
	struct inuse_addr *addrs;	/* link-local IPv6 already left out */
	size_t n_addrs;
	bool default_route;		/* IPv4 or IPv6 default route through it */
	unsigned n_routes;		/* other counted routes */
	char route[INUSE_ADDR_MAX + 8];	/* first other route, "192.168.0.0/16" */
};

/* A block device and the PCI function it hangs under ("" when none). */
struct inuse_block {
	char name[INUSE_NAME_MAX];
	char majmin[INUSE_MAJMIN_MAX];
	char bdf[BDF_BUFSZ];
};

struct inuse_mount {
	char majmin[INUSE_MAJMIN_MAX];
	char source[INUSE_NAME_MAX];	/* last component of the source ("nvme0n1p2") */
	char target[INUSE_PATH_MAX];
};

struct inuse_holder {
	char dev[INUSE_NAME_MAX];
	char holder[INUSE_NAME_MAX];
};

struct inuse_facts {
	struct inuse_iface *ifaces;
	size_t n_ifaces;
	struct inuse_block *blocks;
	size_t n_blocks;
	struct inuse_mount *mounts;
	size_t n_mounts;
	char (*swaps)[INUSE_NAME_MAX];	/* last component of each swap's file name */
	size_t n_swaps;
	struct inuse_holder *holders;
	size_t n_holders;
};

/* --- building facts (also what tests use to state them) ------------------- */

void inuse_facts_clear(struct inuse_facts *f);
/* The entry for an interface, made on first use (known false); NULL on ENOMEM. */
struct inuse_iface *inuse_facts_iface(struct inuse_facts *f, const char *name);
/* Add an address: text without the prefix. Link-local IPv6 is ignored. */
int inuse_facts_add_addr(struct inuse_facts *f, const char *ifname, int family,
			 const char *text, unsigned prefix);
/* A route through ifname: dest text and prefix; prefix 0 is the default. */
int inuse_facts_add_route(struct inuse_facts *f, const char *ifname, const char *dest,
			  unsigned prefix);
int inuse_facts_add_block(struct inuse_facts *f, const char *name, const char *majmin,
			  const char *bdf);
int inuse_facts_add_mount(struct inuse_facts *f, const char *majmin, const char *source,
			  const char *target);
int inuse_facts_add_swap(struct inuse_facts *f, const char *file);
int inuse_facts_add_holder(struct inuse_facts *f, const char *dev, const char *holder);

/* --- pure ------------------------------------------------------------------- */

/* Reasons why each of bdfs[0..n) must not be unbound now. *out (malloc'd,
 * possibly NULL when *n_out is 0) gets one entry per function in use, its
 * sentences joined by "; ". 0 or -ENOMEM. Unknown BDFs are skipped. */
int inuse_compute(const struct pci_state *pci, const struct inuse_facts *f,
		  const char *const *bdfs, size_t n, struct plan_inuse **out, size_t *n_out);
