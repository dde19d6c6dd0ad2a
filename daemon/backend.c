/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend.c: the real doors (sysfs writes, libkmod), chosen safely. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"

static bool is_real_sys(const char *root)
{
	char path[PATH_MAX];

	return realpath(root, path) && strcmp(path, "/sys") == 0;
}

int backend_setup(const char *sysfs_root, bool dry_run, struct sysfs_ops *sysfs,
		  struct modules_ops *modules)
{
	*sysfs = dry_run ? sysfs_ops_deny : sysfs_ops_real;
	*modules = modules_ops_none;
	if (dry_run || !is_real_sys(sysfs_root)) {
		if (!dry_run)
			log_info("sysfs root %s is not /sys: module loading disabled", sysfs_root);
		return 0;
	}
	return modules_kmod_new(modules);
}

void backend_teardown(struct modules_ops *modules)
{
	if (modules->load != modules_ops_none.load)
		modules_kmod_free(modules);
}
