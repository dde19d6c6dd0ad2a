/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-sched.c: when the engine runs next. Requests for a pass open a
 * short coalescing window; backoffs, the in-use re-check, the resync,
 * actions about to turn stuck, health waiters and the next report each
 * have a deadline. The engine keeps one
 * timer, armed for the earliest of them; engine_tick() (engine.c) runs what
 * is due. With a manual clock there is no timer: the caller steps the clock
 * and ticks, so tests never wait for time to pass. */
#include <event2/event.h>

#include "engine-private.h"
#include "log.h"

void engine_schedule_pass(struct engine *e, bool full, const char *why, long long now)
{
	e->pass_full |= full;
	if (e->pass_requested || e->stopping)
		return;
	/* The first request opens a short window; later ones ride along, so a
	 * burst of 128 VF events gives one pass, not 128. */
	log_debug("pass requested: %s", why);
	e->pass_requested = true;
	e->pass_due = now + e->o.coalesce_ms;
}

void engine_schedule_pass_now(struct engine *e, bool full, const char *why, long long now)
{
	engine_schedule_pass(e, full, why, now);
	if (e->pass_requested && e->pass_due > now)
		e->pass_due = now;
}

void engine_request_pass(struct engine *e, bool full, const char *why)
{
	long long now = engine_now(e);

	engine_schedule_pass(e, full, why, now);
	engine_arm(e, now);
}

void engine_reconcile_now(struct engine *e, const char *why)
{
	long long now = engine_now(e);

	for (size_t i = 0; i < e->devs.n; i++)
		e->devs.v[i].retry_at_ms = 0;
	engine_schedule_pass(e, true, why, now);
	engine_arm(e, now);
}

static void earliest(long long *next, long long t)
{
	if (t > 0 && (!*next || t < *next))
		*next = t;
}

/* The deadlines that follow from the device table: the first backoff to
 * end, the first running action to turn stuck. */
static void device_deadlines(struct engine *e, long long now)
{
	e->retry_due = 0;
	e->stuck_due = 0;
	for (size_t i = 0; i < e->devs.n; i++) {
		const struct devtab_entry *d = &e->devs.v[i];

		if (d->retry_at_ms > now)
			earliest(&e->retry_due, d->retry_at_ms);
		if (!d->handed_back && d->hand_back_until_ms > now)
			earliest(&e->retry_due, d->hand_back_until_ms);
		earliest(&e->stuck_due, view_stuck_at(d, now, e->o.stuck_ms));
	}
}

/* The next report: soon after a change (no sooner than min_ms after the
 * last one), and no later than refresh_ms after it. 0: none due. */
static long long report_deadline(const struct engine *e, long long now)
{
	long long due = 0;

	if (!e->report_fn)
		return 0;
	if (e->report_dirty)
		due = e->reported && e->report_last + e->report_min_ms > now ?
			      e->report_last + e->report_min_ms :
			      now;
	if (e->reported && e->report_refresh_ms > 0)
		earliest(&due, e->report_last + e->report_refresh_ms);
	return due;
}

void engine_report(struct engine *e, long long now)
{
	long long due = report_deadline(e, now);

	if (!due || now < due || e->stopping)
		return;
	e->report_dirty = false;
	e->reported = true;
	e->report_last = now;
	e->report_fn(e->report_ud);
}

long long engine_next_wakeup(const struct engine *e)
{
	long long next = 0;

	if (e->pass_requested)
		earliest(&next, e->pass_due > 0 ? e->pass_due : 1);
	earliest(&next, e->resync_due);
	earliest(&next, e->inuse_due);
	earliest(&next, e->retry_due);
	earliest(&next, e->stuck_due);
	earliest(&next, e->release_due);
	earliest(&next, e->wait_due);
	earliest(&next, e->report_due);
	return next;
}

void engine_arm(struct engine *e, long long now)
{
	long long next, ms;
	struct timeval tv;

	device_deadlines(e, now);
	e->report_due = report_deadline(e, now);
	if (e->clock.manual || !e->wake_ev || e->stopping)
		return;
	next = engine_next_wakeup(e);
	if (!next) {
		event_del(e->wake_ev);
		return;
	}
	ms = next > now ? next - now : 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(e->wake_ev, &tv);
}
