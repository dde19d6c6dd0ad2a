/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse.h: is a PCI function in use by the host, so that unbinding it would
 * cut off a connection or pull a disk from under a filesystem?
 *
 * Two halves, policy apart from I/O:
 *  - inuse_gather() (system/inuse-gather.h) reads facts: interfaces (up
 *    flag, addresses, routes, the upper devices stacked on them) and block
 *    devices (which PCI function owns them, mounts, swaps, holders), from a
 *    proc root and a sysfs root that tests point at fake trees; then
 *    inuse_probe_blocks() reads the signatures (libblkid) of the few block
 *    devices that inuse_to_probe() names.
 *  - inuse_compute() (pure) turns facts into plan_inuse reasons for the
 *    functions asked about, with the exact sentence a user sees:
 *      "eth0 has 10.0.0.5/24 and the default route"
 *      "eth0 is up with 2 addresses"
 *      "eth0 is a member of bond0, which has 10.0.0.5/24"
 *      "eth0 is a port of br0, which carries VLAN br0.7, which has 10.0.0.5/24"
 *      "eth0 carries mv0, which carries the default route" (a macvlan)
 *      "nvme0n1p2 is mounted on /", "nvme0n1p3 is an active swap",
 *      "nvme0n1 is held by dm-0",
 *      "nvme0n1 has an ext4 filesystem (not mounted)",
 *      "nvme0n1p2 is an LVM physical volume",
 *      "nvme0n1 is a RAID member (linux_raid_member)",
 *      "cannot tell whether nvme0n1 is in use: open /dev/nvme0n1: Permission denied"
 *
 * Network rule: the interfaces of a function are its pci_dev ifnames and
 * those whose SYSFS/class/net/NAME resolves under it. One is in use when it
 * is up and has an address (IPv6 link-local ones do not count: every up
 * interface has one) or a route (IPv6 link-local, multicast, local /128 and
 * reject routes do not count). An up interface with neither is NOT in use:
 * nothing reaches the host through it. An interface seen only in the route
 * table (no interface facts at all) counts as up.
 * It is also in use when an upper device stacked on it (bond, team, bridge,
 * VLAN, macvlan, ipvlan: SYSFS/class/net/NAME/upper_*), or an upper of that
 * upper (up to INUSE_UPPER_DEPTH levels), is in use by the same rule:
 * unbinding the NIC would take that upper's connection away, or destroy it.
 * The NIC's own up flag does not matter there (a bridge port or a VLAN's
 * lower device may be down while its upper is configured).
 * Storage rule: only functions of class 0x01xxxx (mass storage) are checked;
 * one of their block devices (disks and partitions) is in use when it is
 * mounted (matched by major:minor, or by the mount source's name since
 * btrfs and others show an anonymous 0:N), an active swap, or has a holder
 * (dm, md, bcache...); and, when none of these, when it carries any
 * signature libblkid knows (a filesystem, a RAID or LVM member, an
 * encrypted volume, a swap area): the data of a filesystem that is not
 * mounted is still data. A probe that fails says "cannot tell", which
 * blocks the same way (never "not in use"). force=yes takes the device
 * whatever the reason. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"
#include "plan.h"

#define INUSE_ADDR_MAX 48	/* INET6_ADDRSTRLEN and then some */
#define INUSE_NAME_MAX 64	/* a block device name ("nvme0n1p1", "dm-0") */
#define INUSE_PATH_MAX 256	/* a mount point, cut when longer */
#define INUSE_MAJMIN_MAX 24
#define INUSE_KIND_MAX 16	/* an interface's DEVTYPE: "bond", "bridge", "vlan" */
#define INUSE_SIG_MAX 32	/* a libblkid TYPE or USAGE: "LVM2_member", "filesystem" */
#define INUSE_ERR_MAX 128	/* why a probe failed */
#define INUSE_UPPER_DEPTH 8	/* eth0 -> bond0 -> br0 -> br0.7 ... is followed this far */

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
	char kind[INUSE_KIND_MAX];	/* DEVTYPE ("bond", "bridge", "vlan"); "" unknown
					   (macvlan and team set none) */
};

/* An upper device stacked on a lower one (SYSFS/class/net/LOWER/upper_UPPER);
 * master: it is also LOWER's master (bond, team, bridge, VRF). */
struct inuse_upper {
	char lower[PCI_IFNAME_MAX];
	char upper[PCI_IFNAME_MAX];
	bool master;
};

/* A block device and the PCI function it hangs under ("" when none). */
struct inuse_block {
	char name[INUSE_NAME_MAX];
	char majmin[INUSE_MAJMIN_MAX];
	char bdf[BDF_BUFSZ];
	bool hidden;			/* SYSFS/class/block/NAME/hidden: no /dev node
					   (an NVMe multipath path, nvme0c0n1) */
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

/* What libblkid found on a block device (only the devices probed). */
struct inuse_sig {
	char dev[INUSE_NAME_MAX];
	char type[INUSE_SIG_MAX];	/* TYPE: "ext4", "LVM2_member", "crypto_LUKS" */
	char usage[INUSE_SIG_MAX];	/* USAGE: "filesystem", "raid", "crypto", "other" */
	char error[INUSE_ERR_MAX];	/* not "": the probe failed (cannot tell), why */
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
	struct inuse_upper *uppers;
	size_t n_uppers;
	struct inuse_sig *sigs;
	size_t n_sigs;
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
int inuse_facts_add_upper(struct inuse_facts *f, const char *lower, const char *upper,
			  bool master);
/* A probe's finding on dev: type and usage as libblkid names them, or an
 * error (type and usage then ignored). */
int inuse_facts_add_sig(struct inuse_facts *f, const char *dev, const char *type,
			const char *usage, const char *error);

/* --- pure ------------------------------------------------------------------- */

/* Which block devices to probe for signatures: indexes into f->blocks of
 * the disks and partitions of the mass storage functions among bdfs[0..n)
 * that have a device number, are not hidden, and are not already in use
 * (mounted, a swap, held). *idx is malloc'd (NULL when *n_idx is 0).
 * 0 or -ENOMEM. */
int inuse_to_probe(const struct pci_state *pci, const struct inuse_facts *f,
		   const char *const *bdfs, size_t n, size_t **idx, size_t *n_idx);

/* Reasons why each of bdfs[0..n) must not be unbound now. *out (malloc'd,
 * possibly NULL when *n_out is 0) gets one entry per function in use, its
 * sentences joined by "; ". 0 or -ENOMEM. Unknown BDFs are skipped. */
int inuse_compute(const struct pci_state *pci, const struct inuse_facts *f,
		  const char *const *bdfs, size_t n, struct plan_inuse **out, size_t *n_out);
