/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kmod-dl.c: libkmod, opened on first use (see kmod-dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "kmod-dl.h"
#include "util.h"

int kmod_dl_open(const char *soname, struct kmod_dl *out, char *err, size_t errsize)
{
	/* Every name with where it goes: one table, no name written twice. */
	const struct {
		const char *name;
		void **slot;
	} syms[] = {
#define SYM(field, name) { #name, (void **)&out->field }
		SYM(new_ctx, kmod_new),
		SYM(unref, kmod_unref),
		SYM(load_resources, kmod_load_resources),
		SYM(get_dirname, kmod_get_dirname),
		SYM(list_next, kmod_list_next),
		SYM(module_new_from_lookup, kmod_module_new_from_lookup),
		SYM(module_unref_list, kmod_module_unref_list),
		SYM(module_get_module, kmod_module_get_module),
		SYM(module_unref, kmod_module_unref),
		SYM(module_get_name, kmod_module_get_name),
		SYM(module_probe_insert_module, kmod_module_probe_insert_module),
#undef SYM
	};
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *why = dlerror();

		snprintf(err, errsize, "cannot load libkmod: %s", why ? why : soname);
		return -ELIBACC;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errsize, "cannot load libkmod: %s has no %s", soname,
				 syms[i].name);
			dlclose(h);
			return -ELIBACC;
		}
	}
	/* Kept open for the process's life: its functions are in use. */
	return 0;
}

static struct kmod_dl the_dl;
static char the_err[256];
static int the_r;
static pthread_once_t the_once = PTHREAD_ONCE_INIT;

static void open_once(void)
{
	the_r = kmod_dl_open(KMOD_DL_SONAME, &the_dl, the_err, sizeof(the_err));
}

const struct kmod_dl *kmod_dl(char *err, size_t errsize)
{
	pthread_once(&the_once, open_once);
	if (the_r < 0) {
		util_strlcpy(err, the_err, errsize);
		return NULL;
	}
	return &the_dl;
}
