/* SPDX-License-Identifier: GPL-2.0-or-later */
/* managed.c: the managed set's array operations (managed.h). Pure data
 * structure code: no I/O, no clock. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "managed.h"
#include "util.h"

/* The arrays hold records that start with their BDF, so one set of array
 * operations serves them all. Each is kept sorted by BDF (strcmp), so a
 * pass looks every device up in O(log n) and the persisted state file lists
 * them in a stable order; adding a BDF already present replaces its
 * record. */
_Static_assert(offsetof(struct managed_dev, bdf) == 0, "record starts with its BDF");
_Static_assert(offsetof(struct managed_pf, bdf) == 0, "record starts with its BDF");
_Static_assert(offsetof(struct managed_intent, bdf) == 0, "record starts with its BDF");

/* Index of the first record whose BDF is >= bdf. */
static size_t rec_lower_bound(const void *v, size_t n, size_t size, const char *bdf)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp((const char *)v + mid * size, bdf) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void *rec_find(void *v, size_t n, size_t size, const char *bdf)
{
	size_t i;

	if (!v || !n)
		return NULL;
	i = rec_lower_bound(v, n, size, bdf);
	if (i < n && strcmp((char *)v + i * size, bdf) == 0)
		return (char *)v + i * size;
	return NULL;
}

static int rec_add(void **v, size_t *n, size_t *cap, size_t size, const void *rec)
{
	size_t i = *v ? rec_lower_bound(*v, *n, size, rec) : 0;
	char *at;

	if (i < *n && strcmp((char *)*v + i * size, rec) == 0) {
		memcpy((char *)*v + i * size, rec, size);
		return 0;
	}
	if (util_grow(v, *n, cap, size) < 0)
		return -ENOMEM;
	at = (char *)*v + i * size;
	memmove(at + size, at, (*n - i) * size);
	memcpy(at, rec, size);
	(*n)++;
	return 0;
}

static void rec_remove(void *v, size_t *n, size_t size, const char *bdf)
{
	char *r = rec_find(v, *n, size, bdf);
	size_t i;

	if (!r)
		return;
	i = (size_t)(r - (char *)v) / size;
	memmove(r, r + size, (*n - i - 1) * size);
	(*n)--;
}

struct managed_dev *managed_find(const struct managed_set *m, const char *bdf)
{
	return m ? rec_find(m->devs, m->n_devs, sizeof(*m->devs), bdf) : NULL;
}

struct managed_pf *managed_find_pf(const struct managed_set *m, const char *bdf)
{
	return m ? rec_find(m->pfs, m->n_pfs, sizeof(*m->pfs), bdf) : NULL;
}

int managed_add(struct managed_set *m, const struct managed_dev *d)
{
	return rec_add((void **)&m->devs, &m->n_devs, &m->cap_devs, sizeof(*d), d);
}

int managed_add_pf(struct managed_set *m, const struct managed_pf *p)
{
	return rec_add((void **)&m->pfs, &m->n_pfs, &m->cap_pfs, sizeof(*p), p);
}

void managed_remove(struct managed_set *m, const char *bdf)
{
	rec_remove(m->devs, &m->n_devs, sizeof(*m->devs), bdf);
}

void managed_remove_pf(struct managed_set *m, const char *bdf)
{
	rec_remove(m->pfs, &m->n_pfs, sizeof(*m->pfs), bdf);
}

struct managed_intent *managed_find_intent(const struct managed_set *m, const char *bdf)
{
	return m ? rec_find(m->intents, m->n_intents, sizeof(*m->intents), bdf) : NULL;
}

int managed_add_intent(struct managed_set *m, const struct managed_intent *in)
{
	return rec_add((void **)&m->intents, &m->n_intents, &m->cap_intents, sizeof(*in), in);
}

void managed_remove_intent(struct managed_set *m, const char *bdf)
{
	rec_remove(m->intents, &m->n_intents, sizeof(*m->intents), bdf);
}

void managed_clear(struct managed_set *m)
{
	free(m->devs);
	free(m->pfs);
	free(m->intents);
	memset(m, 0, sizeof(*m));
}
