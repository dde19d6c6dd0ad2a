/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rundir.h: where vfiobindd keeps its files, and who may run at all.
 *
 * One writer per sysfs root. Two programs that may write the same sysfs
 * never run at once, whatever their run directories: a daemon and a --once,
 * or two daemons, would give each other's devices back and rewrite each
 * other's state.json. The lock is an flock on a file named by the root:
 *   - the kernel's sysfs (mounted at /sys or anywhere else: all its mounts
 *     show the same devices): RUNDIR_KERNEL/vfiobindd.lock;
 *   - any other tree (a fake one, in tests): TREE/.vfiobind/vfiobindd.lock,
 *     inside the tree, so that it never touches the host's /run.
 * Dry runs and --check-config write nothing there and take no such lock.
 *
 * A run directory (lock, state.json, by default the socket) is only used when
 * it is safe, as sshd's StrictModes judges a home: a directory owned by root
 * (or by the daemon's own user), writable by nobody else, the sticky bit
 * included (another user could plant a name before us); every directory on
 * the way owned by root or us and writable by others only with the sticky
 * bit (then they cannot rename what is ours); symlinks on the way owned by
 * root or us. Files inside are never reached through a link. Each run
 * directory in use is locked too (RUN_DIR/vfiobindd.lock): two daemons never
 * share one socket and state file, whatever sysfs root each writes. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define RUNDIR_KERNEL "/run/vfiobind"	/* the kernel sysfs's run dir and lock */
#define RUNDIR_TREE ".vfiobind"		/* a tree's own, inside it */
#define RUNDIR_LOCK "vfiobindd.lock"

enum rundir_role {
	RUNDIR_DAEMON,
	RUNDIR_ONCE,
};

struct rundir {
	int root_lock;		/* the sysfs root's lock, -1 when not taken */
	int dir_lock;		/* the run directory's, -1 when none or the same file */
	int dfd;		/* the run directory, -1 when there is none */
	char path[PATH_MAX];	/* its real path, "" when there is none */
};

/* The kernel's sysfs (a sysfs mount, or the path /sys), not a tree of files. */
bool rundir_is_kernel_sysfs(const char *sysfs_root);
/* The default run directory for sysfs_root: RUNDIR_KERNEL for the kernel's
 * sysfs, REAL_ROOT/.vfiobind for any other tree. 0 or -errno. */
int rundir_default(const char *sysfs_root, char *buf, size_t size);

/* Open the directory dir after judging it and every directory (and link) on
 * the way as above. The fd (O_DIRECTORY) and, unless NULL, its real path in
 * real (PATH_MAX bytes); or -errno with the reason logged (-EPERM: unsafe). */
int rundir_open(const char *dir, char *real);

/* Before anything reads state.json: the sysfs root's lock when writer (a
 * daemon or --once that may write sysfs, not a dry run), then run_dir (NULL:
 * none) created 0755 when missing, opened as rundir_open() does, and locked. 0, or -errno with the
 * refusal logged in words: -EBUSY when another vfiobindd holds a lock (to a
 * --once beside a daemon: "run `vfiobind reconcile` instead"). A --once whose
 * run directory cannot be created on a read-only file system goes on
 * without one (rd->dfd = -1). */
int rundir_setup(struct rundir *rd, const char *sysfs_root, const char *run_dir,
		 enum rundir_role role, bool writer);
void rundir_release(struct rundir *rd);
