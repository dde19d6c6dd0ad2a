/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devtab.c: the device table (see devtab.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devtab.h"
#include "util.h"

/* The first entry whose bdf is >= bdf; *found when it is bdf itself. A pass
 * looks up every planned device: a linear search made that quadratic. */
static size_t lower_bound(const struct devtab *t, const char *bdf, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->v[mid].bdf, bdf) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && strcmp(t->v[lo].bdf, bdf) == 0;
	return lo;
}

struct devtab_entry *devtab_get(struct devtab *t, const char *bdf, bool create)
{
	bool found;
	size_t i = lower_bound(t, bdf, &found);

	if (found)
		return &t->v[i];
	if (!create || util_grow(&t->v, t->n, &t->cap, sizeof(*t->v)) < 0)
		return NULL;
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	memset(&t->v[i], 0, sizeof(*t->v));
	util_strlcpy(t->v[i].bdf, bdf, sizeof(t->v[i].bdf));
	t->n++;
	return &t->v[i];
}

const struct devtab_entry *devtab_find(const struct devtab *t, const char *bdf)
{
	return devtab_get((struct devtab *)t, bdf, false);
}

void devtab_prune(struct devtab *t, const struct plan *p)
{
	bool *keep = calloc(t->n ? t->n : 1, sizeof(*keep));
	size_t w = 0;

	if (!keep)
		return; /* keeping stale facts a little longer is harmless */
	for (size_t j = 0; p && j < p->n_statuses; j++) {
		bool found;
		size_t i = lower_bound(t, p->statuses[j].bdf, &found);

		if (found)
			keep[i] = true;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (keep[i] || t->v[i].in_flight || t->v[i].handed_back || t->v[i].hand_backs)
			t->v[w++] = t->v[i];
		else
			free(t->v[i].last_error);
	}
	t->n = w;
	free(keep);
}

void devtab_clear(struct devtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].last_error);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

uint64_t devtab_reason_hash(const char *reason)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)reason; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

long long devtab_backoff_ms(int failures)
{
	long long d = DEVTAB_BACKOFF_MIN_MS;

	for (int i = 1; i < failures && d < DEVTAB_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < DEVTAB_BACKOFF_MAX_MS ? d : DEVTAB_BACKOFF_MAX_MS;
}

void devtab_note_failure(struct devtab_entry *d, int err, const char *msg, long long now)
{
	d->failures++;
	d->last_errno = err < 0 ? -err : err;
	char buf[DEVTAB_ERROR_MAX];

	if (msg && *msg)
		util_strlcpy(buf, msg, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "the last action failed (errno %d)", d->last_errno);
	free(d->last_error);
	d->last_error = strdup(buf); /* NULL when out of memory: "the last action failed" */
	d->retry_at_ms = now + devtab_backoff_ms(d->failures);
}

void devtab_note_success(struct devtab_entry *d)
{
	d->failures = 0;
	d->last_errno = 0;
	free(d->last_error);
	d->last_error = NULL;
	d->retry_at_ms = 0;
}

void devtab_note_hand_back(struct devtab_entry *d)
{
	d->handed_back = true;
}

void devtab_note_left_driverless(struct devtab_entry *d, long long now)
{
	d->hand_backs++;
	d->hand_back_until_ms = now + devtab_backoff_ms(d->hand_backs);
}

void devtab_forget_hand_backs(struct devtab_entry *d)
{
	d->handed_back = false;
	d->hand_backs = 0;
	d->hand_back_until_ms = 0;
}
