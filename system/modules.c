/* SPDX-License-Identifier: GPL-2.0-or-later */
/* modules.c: loading kernel modules through libkmod, with modprobe's
 * semantics (dependencies, blacklist, install commands, softdeps), behind
 * struct modules_ops so that runs on a fake sysfs root never touch the host
 * kernel (modules_ops_none). libkmod and its context (the module indexes)
 * are opened on the first load, not at start (kmod-dl.h says why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmod-dl.h"
#include "log.h"
#include "modules.h"
#include "util.h"

/* The loader's ud: libkmod and a context, both made on first use (loads are
 * serialised by the caller: the engine holds a lock around each). */
struct kmod_loader {
	const struct kmod_dl *dl;
	struct kmod_ctx *ctx;
};

/* Insert one module the way `modprobe NAME` would. 0 when it is loaded now,
 * was loaded already, or is built in (kmod reports those as success). */
static int insert_one(const struct kmod_dl *dl, struct kmod_module *mod, const char *asked,
		      char *err, size_t errsize)
{
	const char *name = dl->module_get_name(mod);
	int r;

	r = dl->module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
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

/* libkmod and a context with the module indexes read, once. */
static int loader_ready(struct kmod_loader *k, char *err, size_t errsize)
{
	int r;

	if (k->ctx)
		return 0;
	if (!k->dl)
		k->dl = kmod_dl(err, errsize);
	if (!k->dl)
		return -ELIBACC;
	k->ctx = k->dl->new_ctx(NULL, NULL);
	if (!k->ctx) {
		snprintf(err, errsize, "libkmod: cannot create a context");
		return -ENOMEM;
	}
	/* index files are read once here, not on every load */
	r = k->dl->load_resources(k->ctx);
	if (r < 0)
		log_errno(LOG_LVL_WARNING, r, "libkmod: cannot load module indexes; lookups will be slow");
	return 0;
}

static int kmod_load(void *ud, const char *name_or_alias, char *err, size_t errsize)
{
	struct kmod_loader *k = ud;
	struct kmod_list *list = NULL, *l;
	int r, first_err = 0, loaded = 0;

	if (!k) {
		snprintf(err, errsize, "module loader is not initialised");
		return -EINVAL;
	}
	r = loader_ready(k, err, errsize);
	if (r < 0)
		return r;
	r = k->dl->module_new_from_lookup(k->ctx, name_or_alias, &list);
	if (r < 0) {
		snprintf(err, errsize, "looking up module %s: %s", name_or_alias, strerror(-r));
		return r;
	}
	if (!list) {
		const char *dir = k->dl->get_dirname(k->ctx);

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
	for (l = list; l; l = k->dl->list_next(list, l)) {
		struct kmod_module *mod = k->dl->module_get_module(l);
		char e[256] = "";

		r = insert_one(k->dl, mod, name_or_alias, e, sizeof(e));
		k->dl->module_unref(mod);
		if (r == 0) {
			loaded++;
		} else if (!first_err) {
			first_err = r;
			util_strlcpy(err, e, errsize);
		}
	}
	k->dl->module_unref_list(list);
	return loaded ? 0 : first_err;
}

int modules_kmod_new(struct modules_ops *out)
{
	struct kmod_loader *k = calloc(1, sizeof(*k));

	if (!k)
		return log_errno(LOG_LVL_ERROR, ENOMEM, "module loader");
	out->load = kmod_load;
	out->ud = k;
	return 0;
}

void modules_kmod_free(struct modules_ops *ops)
{
	struct kmod_loader *k;

	if (!ops || ops->load != kmod_load)
		return;
	k = ops->ud;
	if (k && k->ctx)
		k->dl->unref(k->ctx);
	free(k);
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
