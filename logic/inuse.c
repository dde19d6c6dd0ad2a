/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse.c: in-use facts as data, and the pure rule that turns them into the
 * reasons a user reads (see inuse.h). Gathering the facts from proc and sysfs
 * is system/inuse-gather.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "inuse.h"
#include "util.h"

/* --- facts as a data structure -------------------------------------------- */

/* Capacities are not kept in the public struct: arrays grow in powers of
 * two from 8, so the capacity follows from the count. */
static size_t cap_of(size_t n)
{
	size_t c = 0;

	if (n == 0)
		return 0;
	c = 8;
	while (c < n)
		c *= 2;
	return c;
}

#define PUSH(arr, count)                                                            \
	({                                                                          \
		size_t _cap = cap_of(count);                                        \
		util_grow(&(arr), (count), &_cap, sizeof(*(arr))) < 0 ? NULL        \
			: memset(&(arr)[(count)++], 0, sizeof(*(arr)));             \
	})

void inuse_facts_clear(struct inuse_facts *f)
{
	for (size_t i = 0; i < f->n_ifaces; i++)
		free(f->ifaces[i].addrs);
	free(f->ifaces);
	free(f->blocks);
	free(f->mounts);
	free(f->swaps);
	free(f->holders);
	memset(f, 0, sizeof(*f));
}

struct inuse_iface *inuse_facts_iface(struct inuse_facts *f, const char *name)
{
	struct inuse_iface *i;

	for (size_t k = 0; k < f->n_ifaces; k++)
		if (strcmp(f->ifaces[k].name, name) == 0)
			return &f->ifaces[k];
	i = PUSH(f->ifaces, f->n_ifaces);
	if (i)
		util_strlcpy(i->name, name, sizeof(i->name));
	return i;
}

static bool ipv6_link_local(const char *text)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, text, &a) == 1 && a.s6_addr[0] == 0xfe &&
	       (a.s6_addr[1] & 0xc0) == 0x80;
}

int inuse_facts_add_addr(struct inuse_facts *f, const char *ifname, int family,
			 const char *text, unsigned prefix)
{
	struct inuse_iface *i;
	struct inuse_addr *a;

	if (family == AF_INET6 && ipv6_link_local(text))
		return 0;
	i = inuse_facts_iface(f, ifname);
	if (!i)
		return -ENOMEM;
	a = PUSH(i->addrs, i->n_addrs);
	if (!a)
		return -ENOMEM;
	a->family = family;
	util_strlcpy(a->text, text, sizeof(a->text));
	a->prefix = prefix;
	return 0;
}

int inuse_facts_add_route(struct inuse_facts *f, const char *ifname, const char *dest,
			  unsigned prefix)
{
	struct inuse_iface *i = inuse_facts_iface(f, ifname);

	if (!i)
		return -ENOMEM;
	if (prefix == 0) {
		i->default_route = true;
		return 0;
	}
	if (i->n_routes++ == 0)
		(void)util_fmt(i->route, sizeof(i->route), "%s/%u", dest, prefix);
	return 0;
}

int inuse_facts_add_block(struct inuse_facts *f, const char *name, const char *majmin,
			  const char *bdf)
{
	struct inuse_block *b = PUSH(f->blocks, f->n_blocks);

	if (!b)
		return -ENOMEM;
	util_strlcpy(b->name, name, sizeof(b->name));
	util_strlcpy(b->majmin, majmin ? majmin : "", sizeof(b->majmin));
	util_strlcpy(b->bdf, bdf ? bdf : "", sizeof(b->bdf));
	return 0;
}

static const char *last_component(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int inuse_facts_add_mount(struct inuse_facts *f, const char *majmin, const char *source,
			  const char *target)
{
	struct inuse_mount *m = PUSH(f->mounts, f->n_mounts);

	if (!m)
		return -ENOMEM;
	util_strlcpy(m->majmin, majmin, sizeof(m->majmin));
	util_strlcpy(m->source, last_component(source), sizeof(m->source));
	util_strlcpy(m->target, target, sizeof(m->target));
	return 0;
}

int inuse_facts_add_swap(struct inuse_facts *f, const char *file)
{
	char(*s)[INUSE_NAME_MAX] = PUSH(f->swaps, f->n_swaps);

	if (!s)
		return -ENOMEM;
	util_strlcpy(*s, last_component(file), sizeof(*s));
	return 0;
}

int inuse_facts_add_holder(struct inuse_facts *f, const char *dev, const char *holder)
{
	struct inuse_holder *h = PUSH(f->holders, f->n_holders);

	if (!h)
		return -ENOMEM;
	util_strlcpy(h->dev, dev, sizeof(h->dev));
	util_strlcpy(h->holder, holder, sizeof(h->holder));
	return 0;
}

/* --- pure: facts -> reasons -------------------------------------------------- */

/* Append "; "-separated sentences; a sentence that does not fit ends the
 * text with "; ..." so the reason is cut visibly, never mid-word. */
struct reason {
	char buf[sizeof(((struct plan_inuse *)0)->reason)];
	size_t len;
	bool full;
};

static void reason_add(struct reason *r, const char *fmt, ...) _printf_(2, 3);
static void reason_add(struct reason *r, const char *fmt, ...)
{
	char s[2 * sizeof(r->buf)];
	const char *sep = r->len ? "; " : "";
	size_t need;
	va_list ap;

	if (r->full)
		return;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	need = strlen(sep) + strlen(s);
	if (r->len + need + 5 >= sizeof(r->buf)) {
		if (r->len) {
			util_strlcpy(r->buf + r->len, "; ...", sizeof(r->buf) - r->len);
		} else {
			/* One sentence longer than the room (a mount point deep
			 * down a tree): its start, cut at a word near the end
			 * if there is one, and "...". Never nothing: an empty
			 * reason reads as "not in use". */
			size_t room = sizeof(r->buf) - 5;
			char *cut;

			s[room] = '\0';
			cut = strrchr(s, ' ');
			if (cut && cut > s + room - 32)
				*cut = '\0';
			(void)util_fmt(r->buf, sizeof(r->buf), "%s ...", s);
		}
		r->len = strlen(r->buf);
		r->full = true;
		return;
	}
	r->len += (size_t)snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s%s", sep, s);
}

static void net_reason(const struct inuse_iface *i, struct reason *r)
{
	const char *dflt = i->default_route ? " and the default route" : "";

	if (i->known && !i->up)
		return;
	if (i->n_addrs == 1)
		reason_add(r, "%s has %s/%u%s", i->name, i->addrs[0].text, i->addrs[0].prefix,
			   dflt);
	else if (i->n_addrs > 1)
		reason_add(r, "%s is up with %zu addresses%s", i->name, i->n_addrs, dflt);
	else if (i->default_route)
		reason_add(r, "%s carries the default route", i->name);
	else if (i->n_routes == 1)
		reason_add(r, "%s carries a route to %s", i->name, i->route);
	else if (i->n_routes > 1)
		reason_add(r, "%s carries %u routes", i->name, i->n_routes);
}

static void block_reason(const struct inuse_facts *f, const struct inuse_block *b,
			 struct reason *r)
{
	for (size_t i = 0; i < f->n_mounts; i++) {
		const struct inuse_mount *m = &f->mounts[i];

		if ((b->majmin[0] && strcmp(m->majmin, b->majmin) == 0) ||
		    strcmp(m->source, b->name) == 0) {
			/* The first mount point says enough; bind mounts repeat it. */
			reason_add(r, "%s is mounted on %s", b->name, m->target);
			break;
		}
	}
	for (size_t i = 0; i < f->n_swaps; i++)
		if (strcmp(f->swaps[i], b->name) == 0)
			reason_add(r, "%s is an active swap", b->name);
	for (size_t i = 0; i < f->n_holders; i++)
		if (strcmp(f->holders[i].dev, b->name) == 0)
			reason_add(r, "%s is held by %s", b->name, f->holders[i].holder);
}

static bool has_ifname(const struct pci_dev *d, const char *name)
{
	for (unsigned k = 0; k < d->n_ifnames; k++)
		if (strcmp(d->ifnames[k], name) == 0)
			return true;
	return false;
}

static void device_reason(const struct pci_dev *d, const struct inuse_facts *f,
			  struct reason *r)
{
	for (size_t k = 0; k < f->n_ifaces; k++) {
		const struct inuse_iface *i = &f->ifaces[k];

		if (strcmp(i->bdf, d->bdf) == 0 || has_ifname(d, i->name))
			net_reason(i, r);
	}
	if ((d->class_code >> 16) != 0x01)
		return;
	for (size_t k = 0; k < f->n_blocks; k++)
		if (strcmp(f->blocks[k].bdf, d->bdf) == 0)
			block_reason(f, &f->blocks[k], r);
}

int inuse_compute(const struct pci_state *pci, const struct inuse_facts *f,
		  const char *const *bdfs, size_t n, struct plan_inuse **out, size_t *n_out)
{
	struct plan_inuse *v = NULL;
	size_t nv = 0;

	for (size_t k = 0; k < n; k++) {
		const struct pci_dev *d = pci_find(pci, bdfs[k]);
		struct reason r = { .len = 0 };
		struct plan_inuse *u;

		if (!d)
			continue;
		device_reason(d, f, &r);
		if (!r.len)
			continue;
		u = PUSH(v, nv);
		if (!u) {
			free(v);
			return -ENOMEM;
		}
		util_strlcpy(u->bdf, d->bdf, sizeof(u->bdf));
		util_strlcpy(u->reason, r.buf, sizeof(u->reason));
	}
	*out = v;
	*n_out = nv;
	return 0;
}

