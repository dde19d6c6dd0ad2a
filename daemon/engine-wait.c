/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-wait.c: waiting for a pass to settle, for reconcile requests that
 * answer when the work they asked for is done (engine_wait_settled), for
 * READY, and for --once; and waiting for devices to settle by the health
 * mapping, with a deadline (engine_wait_health, for `wait`). */
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

struct engine_waiter {
	unsigned long after_pass;	/* settled only once passes > this */
	engine_settled_fn fn;
	void *ud;
	struct plan_action *done;
	bool *ok;
	size_t n_done;
	/* A health waiter (engine_wait_health): its selectors and deadline. */
	engine_health_fn hfn;
	struct cfg_selector *only;
	size_t n_only;
	long long deadline;
	struct engine_waiter *next;
};

static void waiter_free(struct engine_waiter *w)
{
	free(w->done);
	free(w->ok);
	free(w->only);
	free(w);
}

void engine_waiters_note(struct engine *e, const struct plan_action *a, bool ok)
{
	for (struct engine_waiter *w = e->waiters; w; w = w->next) {
		struct plan_action *d;
		bool *o;

		if (w->hfn)
			continue;
		d = realloc(w->done, (w->n_done + 1) * sizeof(*d));
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

/* A health waiter's answer now: 1 settled, 0 the deadline passed, -1 not yet. */
static int health_answer(const struct engine *e, const struct engine_waiter *w, long long now)
{
	struct health h;

	engine_health(e, w->only, w->n_only, &h);
	if (h.settled)
		return 1;
	return w->deadline && now >= w->deadline ? 0 : -1;
}

/* Answer the waiters that may be answered now; the rest stay, and the
 * earliest health deadline among them becomes e->wait_due. */
void engine_check_settled(struct engine *e, long long now)
{
	struct engine_waiter **pp = &e->waiters;
	bool settled = engine_settled(e, now), converged = false;

	if (settled && e->waiters)
		converged = engine_converged(e, now);
	e->wait_due = 0;
	while (*pp) {
		struct engine_waiter *w = *pp;
		int answer = w->hfn ? health_answer(e, w, now) : -1;

		if (w->hfn && answer < 0) {
			if (!e->wait_due || w->deadline < e->wait_due)
				e->wait_due = w->deadline;
			pp = &w->next;
			continue;
		}
		if (!w->hfn && (!settled || e->ctr.passes <= w->after_pass)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		if (w->hfn)
			w->hfn(w->ud, answer == 1);
		else
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

struct engine_waiter *engine_waiter_add_health(struct engine *e, const struct cfg_selector *only,
					       size_t n_only, long long deadline,
					       engine_health_fn fn, void *ud)
{
	struct engine_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (only) {
		/* Kept even when empty: no selector picks nothing, NULL every device. */
		w->only = calloc(n_only ? n_only : 1, sizeof(*w->only));
		if (!w->only) {
			free(w);
			return NULL;
		}
		memcpy(w->only, only, n_only * sizeof(*only));
	}
	w->n_only = n_only;
	w->deadline = deadline;
	w->hfn = fn;
	w->ud = ud;
	w->next = e->waiters;
	e->waiters = w;
	if (deadline && (!e->wait_due || deadline < e->wait_due))
		e->wait_due = deadline;
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
