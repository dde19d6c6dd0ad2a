/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakeproc.h: a fake /proc tree in a temporary directory, for the holder
 * facts (system/holders-gather.c) and the engine that waits on holders.
 *
 * Layout made (as the kernel lays it out):
 *   ROOT/PID/{comm,status,stat}, ROOT/PID/fd/N -> TARGET, ROOT/PID/fdinfo/N,
 *   ROOT/self/... (fakeproc_put: mountinfo, status), ROOT/self -> PID
 *   (fakeproc_set_self).
 * A descriptor is a symlink: pointed at a real node (/dev/full, /dev/null)
 * it gives stat() that node's real number, which no test can fake
 * otherwise; pointed at "anon_inode:[vfio-device]" it dangles, as an
 * anonymous descriptor's link reads. */
#pragma once

#include <stdbool.h>

struct fakeproc;

struct fakeproc *fakeproc_new(void);
void fakeproc_free(struct fakeproc *fp);
const char *fakeproc_root(const struct fakeproc *fp);

/* A process: comm, Uid: (all four the same), stat with this start time
 * (field 22) and flags (field 9: 0x00200000 is a kernel thread). */
int fakeproc_add_process(struct fakeproc *fp, int pid, const char *comm, unsigned uid,
			 unsigned long long start, unsigned long flags);
int fakeproc_remove_process(struct fakeproc *fp, int pid);
/* Descriptor fd of pid: a symlink to target; fdinfo text (NULL: open
 * read-write, as QEMU opens a VFIO group). */
int fakeproc_add_fd(struct fakeproc *fp, int pid, int fd, const char *target,
		    const char *fdinfo);
int fakeproc_remove_fd(struct fakeproc *fp, int pid, int fd);
/* Close pid's fd directory to everyone but root's capabilities (mode 0). */
int fakeproc_deny_fds(struct fakeproc *fp, int pid);
/* Any file under the root ("self/mountinfo"), parents made. */
int fakeproc_put(struct fakeproc *fp, const char *rel, const char *text);
/* ROOT/self -> "PID" (the daemon's own entry), instead of a directory. */
int fakeproc_set_self(struct fakeproc *fp, int pid);
/* "MAJ:MIN" of a real node (/dev/full): the number a fake sysfs `dev` file
 * must say for a descriptor on that node to match. */
bool fakeproc_majmin(const char *node, char *buf, unsigned size);
