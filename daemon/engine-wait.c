/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-wait.c: waiting for a pass to settle, for reconcile requests that
 * answer when the work they asked for is done (engine_wait_settled), for
 * READY, and for --once. */
#include <stdlib.h>

#include "engine-private.h"

struct engine_waiter {
	unsigned long after_pass;	/* settled only once passes > this */
	engine_settled_fn fn;
	void *ud;
	struct plan_action *done;
	bool *ok;
	size_t n_done;
	struct engine_waiter *next;
};

static void waiter_free(struct engine_waiter *w)
{
	free(w->done);
	free(w->ok);
	free(w);
}

void engine_waiters_note(struct engine *e, const struct plan_action *a, bool ok)
{
	for (struct engine_waiter *w = e->waiters; w; w = w->next) {
		struct plan_action *d = realloc(w->done, (w->n_done + 1) * sizeof(*d));
		bool *o;

		if (!d)
			continue;
		w->done = d;
		o = realloc(w->ok, (w->n_done + 1) * sizeof(*o));
		if (!o)
			continue;
		w->ok = o;
		w->done[w->n_done] = *a;
		w->ok[w->n_done++] = ok;
	}
}

/* Settled: no pass pending and nothing in flight except stuck actions (a
 * hung driver must not hold a reply, or READY, for ever). */
bool engine_settled(const struct engine *e, long long now)
{
	if (e->pass_requested)
		return false;
	for (size_t i = 0; i < e->devs.n; i++)
		if (e->devs.v[i].in_flight && !view_stuck(&e->devs.v[i], now, e->o.stuck_ms))
			return false;
	return true;
}

void engine_check_settled(struct engine *e, long long now)
{
	struct engine_waiter **pp = &e->waiters;
	bool converged;

	if (!e->waiters || !engine_settled(e, now))
		return;
	converged = engine_converged(e, now);
	while (*pp) {
		struct engine_waiter *w = *pp;

		if (e->ctr.passes <= w->after_pass) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->fn(w->ud, w->done, w->ok, w->n_done, converged);
		waiter_free(w);
	}
}

struct engine_waiter *engine_wait_settled(struct engine *e, engine_settled_fn fn, void *ud)
{
	struct engine_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->after_pass = e->ctr.passes;
	w->fn = fn;
	w->ud = ud;
	w->next = e->waiters;
	e->waiters = w;
	return w;
}

void engine_wait_cancel(struct engine *e, struct engine_waiter *w)
{
	for (struct engine_waiter **pp = &e->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			waiter_free(w);
			return;
		}
	}
}

void engine_waiters_free(struct engine *e)
{
	while (e->waiters) {
		struct engine_waiter *w = e->waiters;

		e->waiters = w->next;
		waiter_free(w);
	}
}
