/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs.h: the one door through which vfiobindd writes to sysfs.
 *
 * The binder never calls open()/write() on sysfs itself; it goes through a
 * struct sysfs_ops. The real one writes the file and reports the kernel's
 * errno. Tests install a fake kernel that gives writes their kernel meaning in
 * a fake tree. --dry-run installs sysfs_ops_deny, which refuses every write:
 * a dry run provably writes nothing. */
#pragma once

#include <stddef.h>

struct sysfs_ops {
	/* Write len bytes of buf to path in one write(2). 0 or -errno. */
	int (*write)(void *ud, const char *path, const char *buf, size_t len);
	void *ud;
};

extern const struct sysfs_ops sysfs_ops_real;
extern const struct sysfs_ops sysfs_ops_deny;

/* Write a string to ROOT/relpath through ops. 0 or -errno. */
int sysfs_write(const struct sysfs_ops *ops, const char *root, const char *relpath,
		const char *value);
