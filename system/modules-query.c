/* SPDX-License-Identifier: GPL-2.0-or-later */
/* modules-query.c: asking libkmod whether a module exists, without loading
 * anything (for `vfiobind check`, which links only the reading half of the
 * system layer). */
#include <errno.h>

#include "kmod-dl.h"
#include "modules.h"

int modules_kmod_available_in(const char *moddir, const char *const *config_paths,
			      const char *name_or_alias)
{
	const struct kmod_dl *dl;
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL;
	char err[256];
	int r;

	if (!name_or_alias || !*name_or_alias)
		return -EINVAL;
	dl = kmod_dl(err, sizeof(err));
	if (!dl)
		return -ELIBACC;
	ctx = dl->new_ctx(moddir, config_paths);
	if (!ctx)
		return -ENOMEM;
	/* the lookup reads modules.alias, modules.dep and modules.builtin only */
	r = dl->module_new_from_lookup(ctx, name_or_alias, &list);
	if (r == 0)
		r = list != NULL;
	dl->module_unref_list(list);
	dl->unref(ctx);
	return r;
}

int modules_kmod_available(const char *name_or_alias)
{
	return modules_kmod_available_in(NULL, NULL, name_or_alias);
}
