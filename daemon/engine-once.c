/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-once.c: the --once path, one synchronous reconcile without an event
 * loop or worker threads: plan, act, re-plan while VFs appear, print the plan
 * for --dry-run. */
#include <errno.h>
#include <stdio.h>

#include "engine-private.h"
#include "log.h"
#include "clock.h"

#define ONCE_MAX_ROUNDS 4	/* --once re-plans while VFs appear */

static void print_plan(const struct plan *p)
{
	char text[512];

	for (size_t i = 0; i < p->n_actions; i++)
		if (plan_format_action(&p->actions[i], text, sizeof(text)) >= 0)
			printf("%s\n", text);
	for (size_t i = 0; i < p->n_statuses; i++) {
		const struct plan_status *s = &p->statuses[i];

		if (s->state == PROTO_STATE_BLOCKED || s->state == PROTO_STATE_ERROR || s->state == PROTO_STATE_ABSENT)
			printf("# %s: %s: %s\n", s->bdf, proto_state_name(s->state), s->reason);
	}
	fflush(stdout);
}

int engine_run_once(struct engine *e)
{
	bool failed_any = false;
	int r;

	r = engine_reload(e, "--once");
	if (r < 0)
		return r;
	for (int round = 0; round < ONCE_MAX_ROUNDS; round++) {
		bool acted = false;

		if (engine_rescan(e) < 0)
			return -EIO;
		engine_forget_vanished(e);
		plan_free(e->plan);
		e->plan = NULL;
		if (engine_compute_plan(e, e->config, &e->plan, NULL) < 0)
			return -ENOMEM;
		engine_note_statuses(e);
		if (e->o.dry_run) {
			print_plan(e->plan);
			break;
		}
		for (size_t i = 0; i < e->plan->n_actions; i++) {
			const struct plan_action *a = &e->plan->actions[i];
			struct engine_dev *d = engine_dev_get(e, a->bdf, true);
			struct worker_job job = { .action = *a };
			char text[512];

			/* One try per device per run: --once never loops on a failure,
			 * nor on a function no driver takes back; a VF waits for
			 * its PF's new count, in a later round. */
			if (!d || d->failures || (a->kind == PROTO_ACTION_RESTORE && d->handed_back) ||
			    engine_vf_waits_for_pf(e, e->plan, a))
				continue;
			if (a->kind == PROTO_ACTION_RESTORE && engine_restore_is_noop(e, a)) {
				managed_remove(&e->managed, a->bdf);
				engine_save_state(e);
				continue;
			}
			plan_format_action(a, text, sizeof(text));
			log_info("%s", text);
			r = engine_record_intent(e, a);
			if (r < 0) {
				log_errno(LOG_LVL_ERROR, r, "%s: not touched: cannot record it in the "
					  "state file", a->bdf);
				engine_note_failure(e, d, a, r, NULL, clock_wall_ms());
				failed_any = true;
				continue;
			}
			worker_run_job(&e->bctx, &job);
			engine_finish_job(e, &job);
			failed_any |= job.rc < 0;
			acted = true;
		}
		if (!acted)
			break;
	}
	if (!e->o.dry_run) {
		struct plan *p = NULL;

		if (engine_rescan(e) == 0 && engine_compute_plan(e, e->config, &p, NULL) == 0) {
			plan_free(e->plan);
			e->plan = p;
			engine_note_statuses(e);
		}
	}
	return plan_converged(e->plan) && !failed_any ? 0 : 1;
}
