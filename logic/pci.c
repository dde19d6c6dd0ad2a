/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci.c: the PCI model's data: a pci_state is an array of pci_dev sorted by
 * address, with lookups and in-place updates. Pure: reading the model from
 * sysfs is system/pci-scan.c's job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "util.h"

static int cmp_dev(const void *a, const void *b)
{
	const struct pci_dev *x = a, *y = b;

	return bdf_compare(&x->addr, &y->addr);
}

/* Index of the first device whose address is >= addr. */
static size_t lower_bound(const struct pci_state *st, const struct pci_addr *addr)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bdf_compare(&st->devs[mid].addr, addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct pci_dev *pci_find_mut(const struct pci_state *st, const char *bdf)
{
	struct pci_dev key;

	if (!st || st->n == 0 || bdf_parse(bdf, &key.addr) < 0)
		return NULL;
	return bsearch(&key, st->devs, st->n, sizeof(*st->devs), cmp_dev);
}

const struct pci_dev *pci_find(const struct pci_state *st, const char *bdf)
{
	return pci_find_mut(st, bdf);
}

int pci_state_reserve(struct pci_state *st, size_t want)
{
	struct pci_dev *nd;
	size_t cap;

	if (want <= st->cap)
		return 0;
	cap = st->cap ? st->cap * 2 : 64;
	while (cap < want)
		cap *= 2;
	nd = realloc(st->devs, cap * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	st->devs = nd;
	st->cap = cap;
	return 0;
}

void pci_state_remove(struct pci_state *st, const char *bdf)
{
	struct pci_dev *d = pci_find_mut(st, bdf);
	size_t i;

	if (!d)
		return;
	i = (size_t)(d - st->devs);
	memmove(&st->devs[i], &st->devs[i + 1], (st->n - i - 1) * sizeof(*d));
	st->n--;
	/* A removed PF takes its VFs' indexes with it. */
	for (i = 0; i < st->n; i++)
		if (strcmp(st->devs[i].physfn, bdf) == 0)
			st->devs[i].vf_index = -1;
}

int pci_state_upsert(struct pci_state *st, const struct pci_dev *d)
{
	size_t i = lower_bound(st, &d->addr);
	int r;

	if (i < st->n && bdf_compare(&st->devs[i].addr, &d->addr) == 0) {
		st->devs[i] = *d;
		return 0;
	}
	r = pci_state_reserve(st, st->n + 1);
	if (r < 0)
		return r;
	memmove(&st->devs[i + 1], &st->devs[i], (st->n - i) * sizeof(*d));
	st->devs[i] = *d;
	st->n++;
	return 0;
}

void pci_state_free(struct pci_state *st)
{
	if (!st)
		return;
	free(st->devs);
	free(st);
}

struct pci_state *pci_state_dup(const struct pci_state *st)
{
	struct pci_state *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->iommu_on = st->iommu_on;
	if (st->n) {
		c->devs = malloc(st->n * sizeof(*c->devs));
		if (!c->devs) {
			free(c);
			return NULL;
		}
		memcpy(c->devs, st->devs, st->n * sizeof(*c->devs));
	}
	c->n = c->cap = st->n;
	return c;
}

/* Driver names end up in paths (bus/pci/drivers/NAME/bind): accept only the
 * characters kernel driver names use, and never "." or "..". */
bool pci_driver_name_valid(const char *s)
{
	size_t n = 0;

	if (!s || !*s || (s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2]))))
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n < PCI_DRIVER_MAX;
}


void pci_state_sort(struct pci_state *st)
{
	if (st->n > 1)
		qsort(st->devs, st->n, sizeof(*st->devs), cmp_dev);
}
