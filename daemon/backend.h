/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backend.h: which doors the daemon writes sysfs and loads modules through.
 * The daemon links backend.c; a test build links a fake kernel instead. */
#pragma once

#include <stdbool.h>

#include "modules.h"
#include "sysfs.h"

/* Fill ops for this run. dry_run gets the door that refuses every write; a
 * sysfs root other than the real /sys never loads host modules. */
int backend_setup(const char *sysfs_root, bool dry_run, struct sysfs_ops *sysfs,
		  struct modules_ops *modules);
void backend_teardown(struct modules_ops *modules);
