/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holders-gather.h: holder facts read from a proc root and a sysfs root, for
 * the rule of logic/holders.h.
 *
 * Nodes (sysfs): every `dev` file under the function's own sysfs directory
 * (block devices and partitions, drm, fb, the nvme controller, the VFIO cdev
 * vfio-dev/vfioN on kernels 6.6 and later), the heads of native NVMe
 * multipath disks (class/block/nvmeXnY, which live under the virtual
 * subsystem, not the function), and every VFIO group node
 * (class/vfio/GROUP/dev). Block or char: the `subsystem` link of the
 * directory that holds `dev`.
 *
 * Descriptors (proc): one pass over PROC/[0-9]+/fd. Each link that names a
 * path is stat()ed through the proc link (statx, AT_STATX_DONT_SYNC: a file
 * on a dead NFS server must not hang the daemon), which gives the node's
 * number even when the holder's /dev is another namespace's (a container);
 * a link "anon_inode:[vfio-device]" is kept with the function its fdinfo
 * names (vfio-device-syspath:) when the kernel says. The daemon's own pid
 * is skipped. A process whose fd directory cannot be read counts as
 * unreadable (kernel threads excepted: they hold no files); a proc mounted
 * hidepid= hides processes from a daemon without CAP_SYS_PTRACE (CapEff of
 * PROC/self/status), which counts as "cannot tell" too. Threads that
 * unshared their descriptor table (unshare(CLONE_FILES)) are not looked at. */
#pragma once

#include <stddef.h>

#include "holders.h"
#include "pci.h"
#include "plan.h"

/* Gather the facts about functions bdfs[0..n). proc_root NULL: no facts at
 * all (a fake sysfs tree: the host's processes hold none of it). With pci,
 * the processes are only looked at when one of the functions has a node
 * that could be held (holders_facts_holdable()): a walk of every process's
 * descriptors answers nothing about the others. Missing files are no
 * facts, not errors. 0 or -ENOMEM (then f is cleared). */
int holders_gather(const char *proc_root, const char *sysfs_root, const struct pci_state *pci,
		   const char *const *bdfs, size_t n, struct holders_facts *f);

/* The engine's step: the functions plan p would take from whoever holds them
 * (the device of every BIND and RESTORE; every VF of a PF whose count a
 * NUMVFS changes: the kernel goes through 0), gathered and judged.
 * 0 with *out and *n_out (both empty when nothing is held), or -ENOMEM. */
int holders_for_plan(const char *proc_root, const char *sysfs_root, const struct pci_state *pci,
		     const struct plan *p, struct plan_held **out, size_t *n_out);

/* Start time of pid (PROC/PID/stat, field 22, clock ticks after boot), to
 * tell a pid reused by another process: 0 or -errno. */
int holders_proc_start(const char *proc_root, int pid, unsigned long long *start);
