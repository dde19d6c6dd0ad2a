/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bind.h: the binder, which carries out planner actions in sysfs the way the
 * kernel documents it (Documentation/ABI/testing/sysfs-bus-pci):
 *
 *   bind:    load the target driver if needed -> driver_override=TARGET ->
 *            unbind from the current driver -> drivers_probe -> verify the
 *            driver link. On failure after the unbind, put the device back on
 *            the driver it had and say so: never leave it with no driver.
 *   restore: clear driver_override (write "\n") -> unbind -> load the device's
 *            module by modalias if its driver is not registered -> drivers_probe
 *            -> verify.
 *   numvfs:  sriov_numvfs=0 first when the count is non-zero, then N (the
 *            kernel refuses to change a non-zero count directly).
 *
 * It never uses new_id (that claims every function with the same ID). It reads
 * the device's current state itself instead of trusting the plan. */
#pragma once

#include <stdbool.h>

#include "modules.h"
#include "pci.h"
#include "sysfs.h"

struct bind_ctx {
	const char *root;			/* sysfs root */
	const struct sysfs_ops *sysfs;
	const struct modules_ops *modules;
};

struct bind_result {
	int err;				/* 0 or -errno of the first failure */
	char msg[512];				/* what happened, one sentence */
	char driver_before[PCI_DRIVER_MAX];	/* driver found at start, "" none */
	char driver_after[PCI_DRIVER_MAX];	/* driver at the end, "" none */
	bool rolled_back;			/* put back on driver_before after a failure */
};

int bind_device(const struct bind_ctx *ctx, const char *bdf, const char *driver,
		struct bind_result *res);
int bind_restore(const struct bind_ctx *ctx, const char *bdf, const char *original_driver,
		 struct bind_result *res);
/* autoprobe_off: write sriov_drivers_autoprobe=0 around VF creation so host
 * drivers do not grab the new VFs first, and restore it afterwards. */
int bind_set_numvfs(const struct bind_ctx *ctx, const char *pf, int numvfs, bool autoprobe_off,
		    struct bind_result *res);
/* Write sriov_drivers_autoprobe=value (0 or 1) unless it is that already:
 * what is left to do when a VF count change was cut short while it was off. */
int bind_set_autoprobe(const struct bind_ctx *ctx, const char *pf, int value,
		       struct bind_result *res);
