/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse-gather.h: in-use facts read from a proc root and a sysfs root, for
 * the rules of logic/inuse.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "inuse.h"
#include "plan.h"

/* Gather every fact but signatures. sysfs_root: block devices
 * (SYSFS/class/block/NAME -> .../BDF/..., dev, hidden, holders/) and the
 * upper devices of interfaces (SYSFS/class/net/NAME/upper_*, master, the
 * upper's uevent DEVTYPE). proc_root (NULL: none of these): routes
 * (PROC/net/route, PROC/net/ipv6_route), mounts (PROC/self/mountinfo), swaps
 * (PROC/swaps). Interfaces: getifaddrs() when sysfs_root is the real /sys;
 * otherwise the ifnames of the tree do not exist on this host, and their
 * facts come from PROC/net/ifaddrs when the proc root has it (a test seam in
 * inuse_gather_net_from's format; no real /proc has that file). Missing
 * files are no facts, not errors. 0 or -ENOMEM; on error f is cleared. */
int inuse_gather(const char *proc_root, const char *sysfs_root, struct inuse_facts *f);
/* Interface facts from a text file, one interface a line:
 *     IFNAME up|down [ADDRESS/PREFIX]...
 * '#' starts a comment. 0, -ENOENT, -EINVAL (bad line) or -ENOMEM. */
int inuse_gather_net_from(const char *path, struct inuse_facts *f);
/* The proc root to use when none was given: "/proc" for the real /sys, NULL
 * (no proc facts) for a fake tree, whose devices the host's routes and
 * mounts know nothing about. */
const char *inuse_default_proc_root(const char *sysfs_root);
/* The same for block device nodes: "/dev" for the real /sys, else NULL (no
 * signature probes; a test gives a directory of image files named after
 * the tree's block devices). */
const char *inuse_default_dev_root(const char *sysfs_root);
/* Is this the real /sys (the path resolves to it)? */
bool inuse_is_real_sysfs(const char *sysfs_root);

/* Probe the block devices inuse_to_probe() names (logic/inuse.h) for
 * signatures with libblkid, read-only, each as DEV_ROOT/NAME; add a sig
 * fact for each that carries one or cannot be read. dev_root NULL: none.
 * 0 or -ENOMEM (facts kept; the caller clears them). */
int inuse_probe_blocks(const char *dev_root, const struct pci_state *pci,
		       const char *const *bdfs, size_t n, struct inuse_facts *f);

/* Gather, probe and compute: the reasons for bdfs[0..n) (inuse_compute()).
 * 0 with *out and *n_out (both empty when nothing is in use), or -ENOMEM. */
int inuse_find(const char *proc_root, const char *sysfs_root, const char *dev_root,
	       const struct pci_state *pci, const char *const *bdfs, size_t n,
	       struct plan_inuse **out, size_t *n_out);
/* The engine's step: inuse_find() for the BDFs plan p wants to BIND or
 * RESTORE. */
int inuse_for_plan(const char *proc_root, const char *sysfs_root, const char *dev_root,
		   const struct pci_state *pci, const struct plan *p, struct plan_inuse **out,
		   size_t *n_out);
