/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kmod-dl.h: libkmod, opened on first use.
 *
 * libkmod brings libcrypto, libzstd and liblzma with it: mapping and
 * relocating them was most of the dynamic loader's work at every start of
 * vfiobindd and of vfiobind (~1.5 of ~2 ms here, ~50 ms in a TCG guest),
 * for a library that most runs never call (vfio-pci is loaded already, and
 * the client asks about modules in `check` only). So it is opened with
 * dlopen() the first time a module is looked up or loaded, as systemd does
 * with its optional libraries. */
#pragma once

#include <stddef.h>
#include <libkmod.h>

/* The soname the build's libkmod.h belongs to (libkmod's ABI 2). */
#define KMOD_DL_SONAME "libkmod.so.2"

struct kmod_dl {
	__typeof__(kmod_new) *new_ctx;
	__typeof__(kmod_unref) *unref;
	__typeof__(kmod_load_resources) *load_resources;
	__typeof__(kmod_get_dirname) *get_dirname;
	__typeof__(kmod_list_next) *list_next;
	__typeof__(kmod_module_new_from_lookup) *module_new_from_lookup;
	__typeof__(kmod_module_unref_list) *module_unref_list;
	__typeof__(kmod_module_get_module) *module_get_module;
	__typeof__(kmod_module_unref) *module_unref;
	__typeof__(kmod_module_get_name) *module_get_name;
	__typeof__(kmod_module_probe_insert_module) *module_probe_insert_module;
};

/* libkmod's functions, opened once for the process (thread-safe): NULL when
 * it cannot be, with the reason in err (dlerror's sentence). */
const struct kmod_dl *kmod_dl(char *err, size_t errsize);
/* The same from the library soname, every time (tests name one that is not
 * there): 0, or -ELIBACC with the reason in err. */
int kmod_dl_open(const char *soname, struct kmod_dl *out, char *err, size_t errsize);
