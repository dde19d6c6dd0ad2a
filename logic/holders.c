/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holders.c: holder facts as data, and the pure rule that turns them into
 * the verdicts and sentences a user reads (see holders.h). Gathering the
 * facts from proc and sysfs is system/holders-gather.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "holders.h"
#include "util.h"

/* --- facts as a data structure -------------------------------------------- */

void holders_facts_clear(struct holders_facts *f)
{
	free(f->nodes);
	free(f->fds);
	free(f->procs);
	memset(f, 0, sizeof(*f));
}

/* Arrays grow in powers of two from 8 (util_grow), so the capacity follows
 * from the count. */
static size_t cap_of(size_t n)
{
	size_t c = n ? 8 : 0;

	while (c < n)
		c *= 2;
	return c;
}

static void *push(void *arrp, size_t *n, size_t elem)
{
	size_t cap = cap_of(*n);
	char *p;

	if (util_grow(arrp, *n, &cap, elem) < 0)
		return NULL;
	p = *(char **)arrp + *n * elem;
	memset(p, 0, elem);
	(*n)++;
	return p;
}

int holders_facts_add_node(struct holders_facts *f, enum holders_node_kind kind,
			   const char *bdf, int group, bool block, unsigned major, unsigned minor)
{
	struct holders_node *x = push(&f->nodes, &f->n_nodes, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->kind = kind;
	util_strlcpy(x->bdf, bdf ? bdf : "", sizeof(x->bdf));
	x->group = kind == HOLDERS_NODE_GROUP ? group : -1;
	x->block = block;
	x->major = major;
	x->minor = minor;
	return 0;
}

static bool node_is(const struct holders_node *x, bool block, unsigned major, unsigned minor)
{
	return x->block == block && x->major == major && x->minor == minor;
}

bool holders_facts_has_node(const struct holders_facts *f, bool block, unsigned major,
			    unsigned minor)
{
	for (size_t i = 0; i < f->n_nodes; i++)
		if (node_is(&f->nodes[i], block, major, minor))
			return true;
	return false;
}

int holders_facts_add_fd(struct holders_facts *f, const struct holders_fd *fd)
{
	struct holders_fd *x = push(&f->fds, &f->n_fds, sizeof(*x));

	if (!x)
		return -ENOMEM;
	*x = *fd;
	return 0;
}

struct holders_proc *holders_facts_proc(struct holders_facts *f, int pid)
{
	struct holders_proc *p;

	for (size_t i = 0; i < f->n_procs; i++)
		if (f->procs[i].pid == pid)
			return &f->procs[i];
	p = push(&f->procs, &f->n_procs, sizeof(*p));
	if (p)
		p->pid = pid;
	return p;
}

/* --- pure: facts -> verdicts --------------------------------------------------- */

static const struct holders_proc *find_proc(const struct holders_facts *f, int pid)
{
	for (size_t i = 0; i < f->n_procs; i++)
		if (f->procs[i].pid == pid)
			return &f->procs[i];
	return NULL;
}

/* vfio-pci and its variant drivers (mlx5_vfio_pci, ...). */
static bool vfio_driver(const char *driver)
{
	return strstr(driver, "vfio") != NULL;
}

/* The node fd opens, or NULL. */
static const struct holders_node *node_of(const struct holders_facts *f,
					  const struct holders_fd *fd)
{
	if (fd->vfio_anon)
		return NULL;
	for (size_t i = 0; i < f->n_nodes; i++)
		if (node_is(&f->nodes[i], fd->block, fd->major, fd->minor))
			return &f->nodes[i];
	return NULL;
}

static bool fd_holds(const struct holders_facts *f, const struct holders_fd *fd,
		     const struct pci_dev *d)
{
	const struct holders_node *x;

	if (fd->vfio_anon)
		return fd->syspath_bdf[0] && strcmp(fd->syspath_bdf, d->bdf) == 0;
	x = node_of(f, fd);
	if (!x)
		return false;
	if (x->kind == HOLDERS_NODE_GROUP)
		return d->iommu_group >= 0 && x->group == d->iommu_group;
	return strcmp(x->bdf, d->bdf) == 0;
}

bool holders_facts_holdable(const struct holders_facts *f, const struct pci_dev *d)
{
	for (size_t i = 0; i < f->n_nodes; i++) {
		const struct holders_node *x = &f->nodes[i];

		if (x->kind == HOLDERS_NODE_GROUP ? d->iommu_group >= 0 && x->group == d->iommu_group
						  : strcmp(x->bdf, d->bdf) == 0)
			return true;
	}
	return false;
}

/* Holders of one function, one per process (a node's path preferred to an
 * anonymous descriptor's), by pid. */
struct found {
	struct plan_holder *v;
	size_t n, cap;
};

static int found_add(struct found *fo, const struct holders_facts *f,
		     const struct holders_fd *fd, const struct pci_dev *d)
{
	const struct holders_proc *p;
	struct plan_holder *h = NULL;

	for (size_t i = 0; i < fo->n && !h; i++)
		if (fo->v[i].pid == fd->pid)
			h = &fo->v[i];
	if (h && !(strcmp(h->path, HOLDERS_VFIO_ANON) == 0 && !fd->vfio_anon))
		return 0;
	if (!h) {
		if (util_grow(&fo->v, fo->n, &fo->cap, sizeof(*fo->v)) < 0)
			return -ENOMEM;
		h = &fo->v[fo->n++];
		memset(h, 0, sizeof(*h));
		util_strlcpy(h->bdf, d->bdf, sizeof(h->bdf));
		h->pid = fd->pid;
		p = find_proc(f, fd->pid);
		util_strlcpy(h->comm, p && p->comm[0] ? p->comm : "?", sizeof(h->comm));
		h->uid = p ? p->uid : 0;
		h->start = p ? p->start : 0;
	}
	h->fd = fd->fd;
	h->writable = fd->writable;
	util_strlcpy(h->path, fd->path, sizeof(h->path));
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	int x = ((const struct plan_holder *)a)->pid, y = ((const struct plan_holder *)b)->pid;

	return (x > y) - (x < y);
}

static void held_reason(struct plan_held *v, size_t total)
{
	const struct plan_holder *h = &v->holders[0];
	char more[48] = "";

	if (total > 1)
		(void)util_fmt(more, sizeof(more), " and %zu other process%s", total - 1,
			       total == 2 ? "" : "es");
	if (util_fmt(v->reason, sizeof(v->reason), "held by pid %d (%s, uid %u) through %s%s",
		     h->pid, h->comm, h->uid, h->path, more) < 0)
		(void)util_fmt(v->reason, sizeof(v->reason), "held by pid %d (%s, uid %u)%s",
			       h->pid, h->comm, h->uid, more);
}

static const char *errno_words(int err)
{
	return err == EACCES || err == EPERM ? "permission denied" : "an error";
}

/* Processes whose descriptors could not be read: the first, and how many. */
static bool unreadable_reason(const struct holders_facts *f, char *buf, size_t size)
{
	const struct holders_proc *first = NULL;
	size_t others = 0;
	char tail[64] = "";

	for (size_t i = 0; i < f->n_procs; i++) {
		if (!f->procs[i].err)
			continue;
		if (first)
			others++;
		else
			first = &f->procs[i];
	}
	if (!first)
		return false;
	if (others)
		(void)util_fmt(tail, sizeof(tail), ", nor those of %zu other process%s", others,
			       others == 1 ? "" : "es");
	(void)util_fmt(buf, size,
		       "cannot tell whether it is held: the descriptors of pid %d (%s, uid %u) "
		       "cannot be read (%s)%s: run vfiobindd with CAP_SYS_PTRACE and "
		       "CAP_DAC_READ_SEARCH",
		       first->pid, first->comm[0] ? first->comm : "?", first->uid,
		       errno_words(first->err), tail);
	return true;
}

/* How many device descriptors the groups pid holds open could account for:
 * the VFIO-bound functions of those groups. */
static size_t anon_capacity(const struct pci_state *pci, const struct holders_facts *f, int pid)
{
	size_t cap = 0;

	for (size_t i = 0; i < f->n_fds; i++) {
		const struct holders_node *x;
		bool seen = false;

		if (f->fds[i].pid != pid || !(x = node_of(f, &f->fds[i])) ||
		    x->kind != HOLDERS_NODE_GROUP)
			continue;
		for (size_t k = 0; k < i && !seen; k++) {
			const struct holders_node *y = f->fds[k].pid == pid ? node_of(f, &f->fds[k])
									    : NULL;

			seen = y == x;
		}
		for (size_t k = 0; !seen && k < pci->n; k++)
			cap += pci->devs[k].iommu_group == x->group && vfio_driver(pci->devs[k].driver);
	}
	return cap;
}

/* A process whose anonymous VFIO device descriptors nothing ties to a
 * device, more than its groups account for. */
static bool anon_reason(const struct pci_state *pci, const struct holders_facts *f, char *buf,
			size_t size)
{
	for (size_t i = 0; i < f->n_procs; i++) {
		const struct holders_proc *p = &f->procs[i];
		size_t untied = 0;

		for (size_t k = 0; k < f->n_fds; k++)
			untied += f->fds[k].pid == p->pid && f->fds[k].vfio_anon &&
				  !f->fds[k].syspath_bdf[0];
		if (untied == 0 || untied <= anon_capacity(pci, f, p->pid))
			continue;
		(void)util_fmt(buf, size,
			       "cannot tell whether it is held: pid %d (%s, uid %u) holds %zu VFIO "
			       "device descriptor%s that this kernel does not tie to a device",
			       p->pid, p->comm[0] ? p->comm : "?", p->uid, untied,
			       untied == 1 ? "" : "s");
		return true;
	}
	return false;
}

/* Why the facts cannot tell about d, or false. */
static bool unknown_reason(const struct pci_state *pci, const struct holders_facts *f,
			   const struct pci_dev *d, char *buf, size_t size)
{
	if (f->hidden[0]) {
		(void)util_fmt(buf, size,
			       "cannot tell whether it is held: %s: run vfiobindd with "
			       "CAP_SYS_PTRACE",
			       f->hidden);
		return true;
	}
	if (unreadable_reason(f, buf, size))
		return true;
	return vfio_driver(d->driver) && anon_reason(pci, f, buf, size);
}

static int verdict(const struct pci_state *pci, const struct holders_facts *f,
		   const struct pci_dev *d, struct plan_held *v, bool *any)
{
	struct found fo = { 0 };

	memset(v, 0, sizeof(*v));
	*any = false;
	util_strlcpy(v->bdf, d->bdf, sizeof(v->bdf));
	if (!holders_facts_holdable(f, d))
		return 0;
	for (size_t i = 0; i < f->n_fds; i++) {
		if (fd_holds(f, &f->fds[i], d) && found_add(&fo, f, &f->fds[i], d) < 0) {
			free(fo.v);
			return -ENOMEM;
		}
	}
	if (fo.n) {
		qsort(fo.v, fo.n, sizeof(*fo.v), cmp_holder);
		v->n_holders = fo.n < PLAN_MAX_HOLDERS ? fo.n : PLAN_MAX_HOLDERS;
		v->n_more = fo.n - v->n_holders;
		memcpy(v->holders, fo.v, v->n_holders * sizeof(*fo.v));
		held_reason(v, fo.n);
		*any = true;
	} else if (unknown_reason(pci, f, d, v->reason, sizeof(v->reason))) {
		v->unknown = true;
		*any = true;
	}
	free(fo.v);
	return 0;
}

int holders_compute(const struct pci_state *pci, const struct holders_facts *f,
		    const char *const *bdfs, size_t n, struct plan_held **out, size_t *n_out)
{
	struct plan_held *v = NULL;
	size_t nv = 0, cap = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t k = 0; k < n; k++) {
		const struct pci_dev *d = pci_find(pci, bdfs[k]);
		bool any;

		if (!d)
			continue;
		if (util_grow(&v, nv, &cap, sizeof(*v)) < 0 || verdict(pci, f, d, &v[nv], &any) < 0) {
			free(v);
			return -ENOMEM;
		}
		nv += any;
	}
	*out = v;
	*n_out = nv;
	return 0;
}
