/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-results.c: an action's outcome, on the loop thread. A success moves
 * the managed set (what the daemon must put back one day); a failure is
 * counted, kept for `status` and retried after a backoff. Either way the
 * device is re-read and a pass follows. */
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "log.h"
#include "pci-scan.h"

void engine_note_failure(struct engine *e, struct devtab_entry *d, const struct plan_action *a,
			 int err, const char *msg, long long now)
{
	e->ctr.failures++;
	if (!d)
		return;
	devtab_note_failure(d, err, msg && *msg ? msg : strerror(err < 0 ? -err : err), now);
	if (e->once)
		log_warning("%s: %s failed (--once tries each device once)", a->bdf,
			    proto_action_name(a->kind));
	else
		log_warning("%s: %s failed %d time%s, retry in %llds", a->bdf,
			    proto_action_name(a->kind), d->failures, d->failures == 1 ? "" : "s",
			    (d->retry_at_ms - now) / 1000);
}

/* Outcomes are logged by the binder; here only the managed set follows. */
static void note_success(struct engine *e, const struct plan_action *a)
{
	struct managed_dev *m;

	switch (a->kind) {
	case PROTO_ACTION_BIND:
		e->ctr.binds++;
		m = managed_find(&e->managed, a->bdf);
		if (m) {
			util_strlcpy(m->driver, a->driver, sizeof(m->driver));
			m->since_ms = engine_wall(e);
		}
		break;
	case PROTO_ACTION_RESTORE:
		e->ctr.restores++;
		managed_remove(&e->managed, a->bdf);
		break;
	case PROTO_ACTION_NUMVFS: {
		const struct managed_pf *p = managed_find_pf(&e->managed, a->bdf);

		e->ctr.numvfs_changes++;
		if (p && p->original_numvfs == a->numvfs)
			managed_remove_pf(&e->managed, a->bdf);
		break;
	}
	}
}

static void finish_job(struct engine *e, struct worker_job *job, long long now)
{
	const struct plan_action *a = &job->action;
	struct devtab_entry *d = devtab_get(&e->devs, a->bdf, true);

	if (d) {
		d->in_flight = false;
		d->in_flight_since_ms = 0;
	}
	if (job->rc == 0) {
		note_success(e, a);
		if (d) {
			/* Given back and no driver took it (a VF whose driver is
			 * blacklisted, say): planning the same restore again would
			 * loop; wait for an event about it instead. */
			d->handed_back = a->kind == PROTO_ACTION_RESTORE && !job->res.driver_after[0];
			devtab_note_success(d);
		}
		engine_emit(e, PROTO_EVENT_ACTION, a->bdf, PROTO_ACTION_OK, 0, "%s %s: done",
			    proto_action_name(a->kind), a->bdf);
	} else {
		/* The binder logged the failure itself; add when it is tried again. */
		engine_note_failure(e, d, a, job->rc, job->res.msg, now);
		engine_emit(e, PROTO_EVENT_ACTION, a->bdf, PROTO_ACTION_FAILED, -job->rc, "%s",
			    job->res.msg[0] ? job->res.msg : strerror(-job->rc));
	}
	engine_intent_done(e, a->bdf);
	engine_save_state(e);
	/* VF counts add and remove functions: rescan; else re-read one device. */
	if (a->kind == PROTO_ACTION_NUMVFS)
		e->pass_full = true;
	else if (e->pci)
		pci_state_refresh(e->pci, e->sysfs_root, a->bdf);
}

void engine_job_done(struct worker_job *job, void *ud)
{
	struct engine *e = ud;
	long long now = engine_now(e);

	finish_job(e, job, now);
	engine_waiters_note(e, &job->action, job->rc == 0);
	free(job);
	if (e->stopping)
		return;
	engine_schedule_pass(e, false, "action finished", now);
	engine_arm(e, now);
}
