/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-once.c: --once, the seed script's job done right. It is the daemon's
 * engine on the daemon's loop, with the same gate and the same workers (so
 * devices move in parallel), in a mode where each device is tried once and
 * nothing of its own keeps the loop alive: when the work settles (a pass
 * after VFs appeared found nothing more to do), the loop ends. --dry-run
 * prints the plan instead. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>

#include "engine-private.h"
#include "log.h"

static void print_plan(const struct engine *e, long long now)
{
	const struct plan *p = e->plan;
	char text[512];

	for (size_t i = 0; p && i < p->n_actions; i++)
		if (plan_format_action(&p->actions[i], text, sizeof(text)) >= 0)
			printf("%s\n", text);
	for (size_t i = 0; p && i < p->n_statuses; i++) {
		const struct plan_status *s = &p->statuses[i];
		struct view_dev v = view_device(s, devtab_find(&e->devs, s->bdf), now,
						e->o.stuck_ms);

		if (v.state != PROTO_STATE_CONVERGED && v.state != PROTO_STATE_PENDING)
			printf("# %s: %s: %s\n", s->bdf, proto_state_name(v.state), v.reason);
	}
	fflush(stdout);
}

struct once {
	struct engine *e;
	bool done;
};

static void on_settled(void *ud, const struct plan_action *done, const bool *ok, size_t n_done,
		       bool converged)
{
	struct once *o = ud;

	o->done = true;
	event_base_loopbreak(o->e->base);
}

int engine_run_once(struct engine *e)
{
	struct once o = { e, false };
	long long now;
	int r;

	e->once = true;
	/* A waiter from before the first pass: it answers once that pass and
	 * every pass its results asked for have settled. */
	if (!engine_wait_settled(e, on_settled, &o))
		return -ENOMEM;
	r = engine_start(e);
	if (r < 0)
		return r;
	if (!e->have_good_config)
		return -EINVAL; /* the file was rejected: its errors are logged */
	if (!o.done)
		event_base_dispatch(e->base);
	now = engine_now(e);
	if (e->o.dry_run) {
		print_plan(e, now);
		return engine_converged(e, now) ? 0 : 1;
	}
	/* What the outside sees now: the last pass ran before the last results. */
	if (engine_rescan(e) == 0) {
		struct plan *p = NULL;

		if (engine_compute_plan(e, e->config, false, &p, NULL) == 0) {
			plan_free(e->plan);
			e->plan = p;
			engine_tell_views(e, now);
		}
	}
	return engine_converged(e, now) && !e->ctr.failures ? 0 : 1;
}
