/* SPDX-License-Identifier: GPL-2.0-or-later */
/* modules.h: loading kernel modules, behind an interface tests replace.
 *
 * The real implementation uses libkmod (modprobe semantics: dependencies,
 * blacklist, install commands). A run on a fake sysfs root gets modules_ops_none,
 * which refuses: it never loads a module into the host kernel. */
#pragma once

#include <stddef.h>

struct modules_ops {
	/* Load a module by name ("vfio-pci") or by modalias ("pci:v00008086d..."),
	 * with its dependencies. 0, or -errno with a sentence in err. */
	int (*load)(void *ud, const char *name_or_alias, char *err, size_t errsize);
	void *ud;
};

/* libkmod-backed loader; *out valid until modules_kmod_free(). */
int modules_kmod_new(struct modules_ops *out);
void modules_kmod_free(struct modules_ops *ops);

/* Whether a module for this name or alias exists on disk / is built in:
 * 1 yes, 0 no, -errno on error (-ELIBACC: libkmod cannot be loaded) (for
 * `vfiobind check`). Asks the running
 * kernel's module directory and the host's modprobe.d configuration. */
int modules_kmod_available(const char *name_or_alias);
/* The same, in the module directory moddir ("ROOT/lib/modules/VERSION") with
 * the configuration in config_paths (a NULL-terminated list of files or
 * directories); NULL for either means libkmod's default (the running
 * kernel's, /etc/modprobe.d and friends). Tests point both at a fake tree. */
int modules_kmod_available_in(const char *moddir, const char *const *config_paths,
			      const char *name_or_alias);

extern const struct modules_ops modules_ops_none;
