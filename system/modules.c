/* SPDX-License-Identifier: GPL-2.0-or-later */
/* modules.c: loading kernel modules through libkmod, with modprobe's
 * semantics (dependencies, blacklist, install commands, softdeps), behind
 * struct modules_ops so that runs on a fake sysfs root never touch the host
 * kernel (modules_ops_none). */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "modules.h"
#include "util.h"

/* Insert one module the way `modprobe NAME` would. 0 when it is loaded now,
 * was loaded already, or is built in (kmod reports those as success). */
static int insert_one(struct kmod_module *mod, const char *asked, char *err, size_t errsize)
{
	const char *name = kmod_module_get_name(mod);
	int r;

	r = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL,
					    NULL);
	if (r == 0) {
		log_debug("module %s loaded (for %s)", name, asked);
		return 0;
	}
	if (r > 0) {
		/* positive: the flag that stopped it, i.e. the blacklist */
		snprintf(err, errsize, "module %s (for %s) is blacklisted", name, asked);
		return -EPERM;
	}
	snprintf(err, errsize, "loading module %s (for %s): %s", name, asked, strerror(-r));
	return r;
}

static int kmod_load(void *ud, const char *name_or_alias, char *err, size_t errsize)
{
	struct kmod_ctx *ctx = ud;
	struct kmod_list *list = NULL, *l;
	int r, first_err = 0, loaded = 0;

	if (!ctx) {
		snprintf(err, errsize, "module loader is not initialised");
		return -EINVAL;
	}
	r = kmod_module_new_from_lookup(ctx, name_or_alias, &list);
	if (r < 0) {
		snprintf(err, errsize, "looking up module %s: %s", name_or_alias, strerror(-r));
		return r;
	}
	if (!list) {
		const char *dir = kmod_get_dirname(ctx);

		/* An empty answer also comes from a module directory we cannot
		 * read (a sandbox hiding it, a missing package): say which. */
		if (dir && access(dir, R_OK | X_OK) < 0)
			snprintf(err, errsize, "module %s not found: %s: %s", name_or_alias, dir,
				 strerror(errno));
		else
			snprintf(err, errsize, "module %s not found in %s", name_or_alias,
				 dir ? dir : "the module directory");
		return -ENOENT;
	}
	/* an alias may name several modules; like modprobe, try each and succeed
	 * if one loads */
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		char e[256] = "";

		r = insert_one(mod, name_or_alias, e, sizeof(e));
		kmod_module_unref(mod);
		if (r == 0) {
			loaded++;
		} else if (!first_err) {
			first_err = r;
			util_strlcpy(err, e, errsize);
		}
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : first_err;
}

int modules_kmod_new(struct modules_ops *out)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	int r;

	if (!ctx)
		return log_errno(LOG_LVL_ERROR, ENOMEM, "libkmod: cannot create a context");
	/* index files are read once here, not on every load */
	r = kmod_load_resources(ctx);
	if (r < 0)
		log_errno(LOG_LVL_WARNING, r, "libkmod: cannot load module indexes; lookups will be slow");
	out->load = kmod_load;
	out->ud = ctx;
	return 0;
}

void modules_kmod_free(struct modules_ops *ops)
{
	if (!ops || ops->load != kmod_load)
		return;
	kmod_unref(ops->ud);
	ops->ud = NULL;
}

static int none_load(void *ud, const char *name_or_alias, char *err, size_t errsize)
{
	(void)ud;
	(void)name_or_alias;
	snprintf(err, errsize, "module loading is disabled (sysfs root is not /sys)");
	return -EPERM;
}

const struct modules_ops modules_ops_none = { .load = none_load, .ud = NULL };
