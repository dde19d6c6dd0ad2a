/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-results.c: an action's outcome, on the loop thread. A success moves
 * the managed set (what the daemon must put back one day); a failure is
 * counted, kept for `status` and retried after a backoff. Either way the
 * device is re-read and a pass follows. */
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "log.h"

void engine_note_failure(struct engine *e, struct devtab_entry *d, const struct plan_action *a,
			 int err, const char *msg, long long now)
{
	e->ctr.failures++;
	e->ctr.actions_failed[a->kind]++;
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

	e->ctr.actions_ok[a->kind]++;
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

/* The VFs of pf are about to be other functions (its count changed). */
static void forget_vfs_hand_backs(struct engine *e, const char *pf)
{
	for (size_t i = 0; e->pci && i < e->pci->n; i++) {
		struct devtab_entry *d;

		if (strcmp(e->pci->devs[i].physfn, pf) == 0 &&
		    (d = devtab_get(&e->devs, e->pci->devs[i].bdf, false)))
			devtab_forget_hand_backs(d);
	}
}

/* A restore gives the device to the kernel: planning the same restore
 * again when a driver takes it and lets go (nvme on a VF without queues),
 * or when none takes it (a blacklisted driver), would loop. It waits for
 * an event that is not our doing (engine_device_event), and a backoff
 * when no driver kept it. A bind makes it ours again. */
static void note_hand_back(struct engine *e, struct devtab_entry *d, const struct worker_job *job,
			   long long now)
{
	devtab_note_success(d);
	switch (job->action.kind) {
	case PROTO_ACTION_RESTORE: {
		/* Re-read since: its driver may have let go already. */
		const struct pci_dev *p = pci_find(e->pci, job->action.bdf);

		devtab_note_hand_back(d);
		if (!job->res.driver_after[0] || (p && !p->driver[0]))
			devtab_note_left_driverless(d, now);
		break;
	}
	case PROTO_ACTION_BIND:
		devtab_forget_hand_backs(d);
		break;
	case PROTO_ACTION_NUMVFS:
		forget_vfs_hand_backs(e, job->action.bdf);
		break;
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
	/* VF counts add and remove functions: rescan; else re-read one device
	 * (no longer in flight: it may be read again). */
	if (a->kind == PROTO_ACTION_NUMVFS)
		e->pass_full = true;
	else
		engine_refresh(e, a->bdf);
	if (job->rc == 0) {
		note_success(e, a);
		if (d)
			note_hand_back(e, d, job, now);
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
