/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config-format.c: the config objects (create, copy, free; the error list)
 * and their canonical text, the inverse of config.c's parser: what `add`
 * writes back into vfiobind.conf, what `config` and `check` show. No I/O. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

/* ---- objects ---------------------------------------------------------- */

struct config *config_new_empty(const char *source)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c && source && !(c->source = strdup(source))) {
		free(c);
		return NULL;
	}
	return c;
}

void config_entry_clear(struct cfg_entry *e)
{
	free(e->vfs);
	e->vfs = NULL;
	e->n_vfs = 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_entries; i++)
		config_entry_clear(&c->entries[i]);
	free(c->entries);
	free(c->source);
	free(c);
}

struct config *config_dup(const struct config *c)
{
	struct config *d;

	if (!c)
		return NULL;
	d = config_new_empty(c->source);
	if (!d)
		return NULL;
	d->missing = c->missing;
	if (c->n_entries) {
		d->entries = calloc(c->n_entries, sizeof(*d->entries));
		if (!d->entries)
			goto oom;
	}
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct cfg_entry *e = &c->entries[i];
		struct cfg_entry *n = &d->entries[i];

		*n = *e;
		n->vfs = NULL;
		if (e->n_vfs) {
			n->vfs = malloc(e->n_vfs * sizeof(*n->vfs));
			if (!n->vfs)
				goto oom;
			memcpy(n->vfs, e->vfs, e->n_vfs * sizeof(*n->vfs));
		}
		d->n_entries = i + 1;
	}
	return d;
oom:
	config_free(d);
	return NULL;
}

void cfg_errors_clear(struct cfg_errors *errs)
{
	if (!errs)
		return;
	free(errs->source);
	free(errs->v);
	errs->source = NULL;
	errs->v = NULL;
	errs->n = 0;
}

int cfg_errors_format(const struct cfg_errors *errs, size_t i, char *buf, size_t size)
{
	const char *src;

	if (!errs || i >= errs->n)
		return -EINVAL;
	src = errs->source ? errs->source : "<config>";
	if (errs->v[i].line == 0)
		return util_fmt(buf, size, "%s: %s", src, errs->v[i].msg);
	return util_fmt(buf, size, "%s:%u: %s", src, errs->v[i].line, errs->v[i].msg);
}

/* ---- canonical text --------------------------------------------------- */

int config_format_selector(const struct cfg_selector *s, char *buf, size_t size)
{
	char bdf[BDF_BUFSZ];

	switch (s->kind) {
	case CFG_SEL_BDF:
		bdf_format(&s->addr, bdf);
		return util_fmt(buf, size, "%s", bdf);
	case CFG_SEL_ID:
		return util_fmt(buf, size, "id=%04x:%04x", s->vendor, s->device);
	case CFG_SEL_CLASS:
		if (s->class_mask == 0xffffff)
			return util_fmt(buf, size, "class=0x%06x", s->class_code);
		return util_fmt(buf, size, "class=0x%06x/0x%06x", s->class_code, s->class_mask);
	case CFG_SEL_IFNAME:
		return util_fmt(buf, size, "ifname=%s", s->ifname);
	case CFG_SEL_PF:
		if (!s->pf_by_addr)
			return util_fmt(buf, size, "pf=%s", s->ifname);
		bdf_format(&s->addr, bdf);
		return util_fmt(buf, size, "pf=%s", bdf);
	}
	return -EINVAL;
}

/* Append to buf at *off; -ENAMETOOLONG once it no longer fits. */
static int append(char *buf, size_t size, size_t *off, const char *fmt, ...) _printf_(4, 5);
static int append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	*off += (size_t)n;
	return *off >= size ? -ENAMETOOLONG : 0;
}

static int format_vfs(const struct cfg_entry *e, char *buf, size_t size, size_t *off)
{
	int r = append(buf, size, off, " vfs=");

	if (e->vfs_all)
		return r < 0 ? r : append(buf, size, off, "all");
	for (size_t i = 0; r == 0 && i < e->n_vfs; i++) {
		const char *sep = i ? "," : "";

		if (e->vfs[i].lo == e->vfs[i].hi)
			r = append(buf, size, off, "%s%u", sep, e->vfs[i].lo);
		else
			r = append(buf, size, off, "%s%u-%u", sep, e->vfs[i].lo, e->vfs[i].hi);
	}
	return r;
}

int config_format_entry(const struct cfg_entry *e, char *buf, size_t size)
{
	char sel[CFG_NODE_MAX];
	size_t off = 0;
	int r;

	if (!size)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	r = config_format_selector(&e->sel, sel, sizeof(sel));
	if (r == 0)
		r = append(buf, size, &off, "%s %s", e->node, sel);
	if (r == 0 && e->driver_set)
		r = append(buf, size, &off, " driver=%s", e->driver);
	if (r == 0 && e->numvfs >= 0)
		r = append(buf, size, &off, " numvfs=%d", e->numvfs);
	if (r == 0 && e->vfs_given)
		r = format_vfs(e, buf, size, &off);
	if (r == 0 && e->group == CFG_GROUP_ALL)
		r = append(buf, size, &off, " group=all");
	if (r == 0 && e->force)
		r = append(buf, size, &off, " force=yes");
	/* Canonical text can be longer than what was written (03:00.0 gains its
	 * domain); text the parser would refuse is refused here already. */
	if (r == 0 && off > CFG_LINE_MAX)
		r = -ENAMETOOLONG;
	return r;
}

bool config_selector_equal(const struct cfg_selector *a, const struct cfg_selector *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case CFG_SEL_BDF:
		return bdf_compare(&a->addr, &b->addr) == 0;
	case CFG_SEL_ID:
		return a->vendor == b->vendor && a->device == b->device;
	case CFG_SEL_CLASS:
		return a->class_code == b->class_code && a->class_mask == b->class_mask;
	case CFG_SEL_IFNAME:
		return strcmp(a->ifname, b->ifname) == 0;
	case CFG_SEL_PF:
		if (a->pf_by_addr != b->pf_by_addr)
			return false;
		return a->pf_by_addr ? bdf_compare(&a->addr, &b->addr) == 0
				     : strcmp(a->ifname, b->ifname) == 0;
	}
	return false;
}
