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
#include <strings.h>
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
	free(f->uppers);
	free(f->sigs);
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

int inuse_facts_add_upper(struct inuse_facts *f, const char *lower, const char *upper,
			  bool master)
{
	struct inuse_upper *u = PUSH(f->uppers, f->n_uppers);

	if (!u)
		return -ENOMEM;
	util_strlcpy(u->lower, lower, sizeof(u->lower));
	util_strlcpy(u->upper, upper, sizeof(u->upper));
	u->master = master;
	return 0;
}

int inuse_facts_add_sig(struct inuse_facts *f, const char *dev, const char *type,
			const char *usage, const char *error)
{
	struct inuse_sig *s = PUSH(f->sigs, f->n_sigs);

	if (!s)
		return -ENOMEM;
	util_strlcpy(s->dev, dev, sizeof(s->dev));
	util_strlcpy(s->type, type ? type : "", sizeof(s->type));
	util_strlcpy(s->usage, usage ? usage : "", sizeof(s->usage));
	util_strlcpy(s->error, error ? error : "", sizeof(s->error));
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

/* What makes an interface in use, as the end of a sentence about it
 * ("has 10.0.0.5/24", "carries the default route"); false when nothing. */
static bool net_fact(const struct inuse_iface *i, char *buf, size_t size)
{
	const char *dflt = i->default_route ? " and the default route" : "";

	if (i->known && !i->up)
		return false;
	if (i->n_addrs == 1)
		snprintf(buf, size, "has %s/%u%s", i->addrs[0].text, i->addrs[0].prefix, dflt);
	else if (i->n_addrs > 1)
		snprintf(buf, size, "is up with %zu addresses%s", i->n_addrs, dflt);
	else if (i->default_route)
		snprintf(buf, size, "carries the default route");
	else if (i->n_routes == 1)
		snprintf(buf, size, "carries a route to %s", i->route);
	else if (i->n_routes > 1)
		snprintf(buf, size, "carries %u routes", i->n_routes);
	else
		return false;
	return true;
}

static const struct inuse_iface *find_iface(const struct inuse_facts *f, const char *name)
{
	for (size_t k = 0; k < f->n_ifaces; k++)
		if (strcmp(f->ifaces[k].name, name) == 0)
			return &f->ifaces[k];
	return NULL;
}

/* How a lower device relates to its upper, after the lower's name:
 * "is a member of bond0", "is a port of br0", "carries VLAN eth0.7",
 * "carries mv0" (a macvlan: the kernel gives it no DEVTYPE). */
static void upper_step(const struct inuse_facts *f, const struct inuse_upper *u, char *buf,
		       size_t size)
{
	const struct inuse_iface *i = find_iface(f, u->upper);
	const char *kind = i ? i->kind : "";

	if (strcmp(kind, "bridge") == 0)
		snprintf(buf, size, "is a port of %s", u->upper);
	else if (u->master || strcmp(kind, "bond") == 0 || strcmp(kind, "team") == 0)
		snprintf(buf, size, "is a member of %s", u->upper);
	else if (strcmp(kind, "vlan") == 0)
		snprintf(buf, size, "carries VLAN %s", u->upper);
	else if (kind[0])
		snprintf(buf, size, "carries %s %s", kind, u->upper);
	else
		snprintf(buf, size, "carries %s", u->upper);
}

/* Follow the uppers of `name`; chain is the sentence so far ("eth0", then
 * "eth0 is a member of bond0", ...). The first upper in use on each path
 * ends that path with its fact. */
static void upper_reasons(const struct inuse_facts *f, const char *name, const char *chain,
			  unsigned depth, struct reason *r)
{
	if (depth >= INUSE_UPPER_DEPTH)
		return;
	for (size_t k = 0; k < f->n_uppers; k++) {
		const struct inuse_upper *u = &f->uppers[k];
		const struct inuse_iface *i;
		char step[64], fact[96], next[sizeof(r->buf)];

		if (strcmp(u->lower, name) != 0)
			continue;
		upper_step(f, u, step, sizeof(step));
		snprintf(next, sizeof(next), "%s%s%s", chain, depth ? ", which " : " ", step);
		i = find_iface(f, u->upper);
		if (i && net_fact(i, fact, sizeof(fact)))
			reason_add(r, "%s, which %s", next, fact);
		else
			upper_reasons(f, u->upper, next, depth + 1, r);
	}
}

static void net_reason(const struct inuse_facts *f, const struct inuse_iface *i,
		       struct reason *r)
{
	char fact[96];

	if (net_fact(i, fact, sizeof(fact)))
		reason_add(r, "%s %s", i->name, fact);
	upper_reasons(f, i->name, i->name, 0, r);
}

/* "an ext4", "an xfs", "a btrfs": the article as the name is read aloud. */
static const char *article(const char *word)
{
	static const char *const an[] = { "xfs", "ntfs", "hfs", "f2fs" };

	if (word[0] && strchr("aeiouAEIOU", word[0]))
		return "an";
	for (size_t k = 0; k < sizeof(an) / sizeof(an[0]); k++)
		if (strncasecmp(word, an[k], strlen(an[k])) == 0)
			return "an";
	return "a";
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

static void sig_reason(const struct inuse_sig *s, struct reason *r)
{
	if (s->error[0])
		reason_add(r, "cannot tell whether %s is in use: %s", s->dev, s->error);
	else if (strcmp(s->type, "LVM2_member") == 0)
		reason_add(r, "%s is an LVM physical volume", s->dev);
	else if (strcmp(s->usage, "raid") == 0)
		reason_add(r, "%s is a RAID member (%s)", s->dev, s->type);
	else if (ends_with(s->type, "_member"))
		reason_add(r, "%s is a volume member (%s)", s->dev, s->type);
	else if (strcmp(s->usage, "crypto") == 0)
		reason_add(r, "%s is an encrypted volume (%s)", s->dev, s->type);
	else if (strcmp(s->usage, "filesystem") == 0)
		reason_add(r, "%s has %s %s filesystem (not mounted)", s->dev, article(s->type),
			   s->type);
	else
		reason_add(r, "%s has %s %s signature", s->dev, article(s->type), s->type);
}

static const struct inuse_mount *mount_of(const struct inuse_facts *f,
					  const struct inuse_block *b)
{
	for (size_t i = 0; i < f->n_mounts; i++) {
		const struct inuse_mount *m = &f->mounts[i];

		if ((b->majmin[0] && strcmp(m->majmin, b->majmin) == 0) ||
		    strcmp(m->source, b->name) == 0)
			return m;
	}
	return NULL;
}

/* Reasons from mounts, swaps and holders; true when there was one. */
static bool block_use_reason(const struct inuse_facts *f, const struct inuse_block *b,
			     struct reason *r)
{
	const struct inuse_mount *m = mount_of(f, b);
	bool used = false;

	/* The first mount point says enough; bind mounts repeat it. */
	if (m) {
		reason_add(r, "%s is mounted on %s", b->name, m->target);
		used = true;
	}
	for (size_t i = 0; i < f->n_swaps; i++)
		if (strcmp(f->swaps[i], b->name) == 0) {
			reason_add(r, "%s is an active swap", b->name);
			used = true;
		}
	for (size_t i = 0; i < f->n_holders; i++)
		if (strcmp(f->holders[i].dev, b->name) == 0) {
			reason_add(r, "%s is held by %s", b->name, f->holders[i].holder);
			used = true;
		}
	return used;
}

static void block_reason(const struct inuse_facts *f, const struct inuse_block *b,
			 struct reason *r)
{
	/* A signature says more only when nothing uses the device yet: a
	 * mounted ext4 is "mounted on", never "not mounted". */
	if (block_use_reason(f, b, r))
		return;
	for (size_t i = 0; i < f->n_sigs; i++)
		if (strcmp(f->sigs[i].dev, b->name) == 0)
			sig_reason(&f->sigs[i], r);
}

static bool has_ifname(const struct pci_dev *d, const char *name)
{
	for (unsigned k = 0; k < d->n_ifnames; k++)
		if (strcmp(d->ifnames[k], name) == 0)
			return true;
	return false;
}

static bool is_storage(const struct pci_dev *d)
{
	return (d->class_code >> 16) == 0x01;
}

static void device_reason(const struct pci_dev *d, const struct inuse_facts *f,
			  struct reason *r)
{
	for (size_t k = 0; k < f->n_ifaces; k++) {
		const struct inuse_iface *i = &f->ifaces[k];

		if (strcmp(i->bdf, d->bdf) == 0 || has_ifname(d, i->name))
			net_reason(f, i, r);
	}
	/* An interface with no facts of its own may still have uppers. */
	for (unsigned k = 0; k < d->n_ifnames; k++)
		if (!find_iface(f, d->ifnames[k]))
			upper_reasons(f, d->ifnames[k], d->ifnames[k], 0, r);
	if (!is_storage(d))
		return;
	for (size_t k = 0; k < f->n_blocks; k++)
		if (strcmp(f->blocks[k].bdf, d->bdf) == 0)
			block_reason(f, &f->blocks[k], r);
}

int inuse_to_probe(const struct pci_state *pci, const struct inuse_facts *f,
		   const char *const *bdfs, size_t n, size_t **idx, size_t *n_idx)
{
	size_t *v = NULL, nv = 0;

	for (size_t k = 0; k < n; k++) {
		const struct pci_dev *d = pci_find(pci, bdfs[k]);

		if (!d || !is_storage(d))
			continue;
		for (size_t b = 0; b < f->n_blocks; b++) {
			const struct inuse_block *blk = &f->blocks[b];
			struct reason r = { .len = 0 };
			size_t *slot;

			if (strcmp(blk->bdf, d->bdf) != 0 || blk->hidden || !blk->majmin[0] ||
			    block_use_reason(f, blk, &r))
				continue;
			slot = PUSH(v, nv);
			if (!slot) {
				free(v);
				return -ENOMEM;
			}
			*slot = b;
		}
	}
	*idx = v;
	*n_idx = nv;
	return 0;
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

