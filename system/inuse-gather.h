/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse-gather.h: in-use facts read from a proc root and a sysfs root, for
 * the rules of logic/inuse.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "inuse.h"
#include "plan.h"

/* Gather every fact. sysfs_root: block devices (SYSFS/class/block/NAME ->
 * .../BDF/..., dev, holders/). proc_root (NULL: none of these): routes
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
/* Is this the real /sys (the path resolves to it)? */
bool inuse_is_real_sysfs(const char *sysfs_root);

/* The engine's step: the BDFs plan p wants to BIND or RESTORE, gathered and
 * computed.
 * 0 with *out and *n_out (both empty when nothing is in use), or -ENOMEM. */
int inuse_for_plan(const char *proc_root, const char *sysfs_root, const struct pci_state *pci,
		   const struct plan *p, struct plan_inuse **out, size_t *n_out);
