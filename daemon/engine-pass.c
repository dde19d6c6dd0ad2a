/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-pass.c: one reconcile pass. Rescan when asked, plan with the in-use
 * facts (engine-facts.c), tell every device's view (engine-events.c), then
 * ask the action gate (logic/gate.c) about each planned action: the ones it
 * lets run are recorded in the state file, all in one write, and handed to
 * workers. The daemon and --once run exactly this. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "gate.h"
#include "log.h"

/* Hand a, recorded already, to a worker. */
static void start_job(struct engine *e, struct devtab_entry *d, const struct plan_action *a,
		      long long now)
{
	struct worker_job *job = calloc(1, sizeof(*job));
	char text[512];

	if (!job) {
		d->in_flight = false;
		engine_intent_done(e, a->bdf);
		engine_note_failure(e, d, a, -ENOMEM, "out of memory", now);
		return;
	}
	job->action = *a;
	plan_format_action(a, text, sizeof(text));
	log_info("%s", text);
	d->in_flight = true;
	d->in_flight_kind = a->kind;
	d->in_flight_since_ms = now;
	d->attempts++;
	if (worker_submit(e->workers, job) < 0) {
		d->in_flight = false;
		free(job);
		engine_intent_done(e, a->bdf);
	}
}

void engine_submit(struct engine *e, const struct plan_action *const *acts, size_t n,
		   long long now)
{
	size_t started = 0;
	int r;

	if (!n)
		return;
	r = engine_record_intents(e, acts, n);
	for (size_t i = 0; i < n; i++) {
		const struct plan_action *a = acts[i];
		struct devtab_entry *d = devtab_get(&e->devs, a->bdf, true);
		char msg[256];

		if (!d) {
			if (r == 0)
				engine_intent_done(e, a->bdf);
			continue;
		}
		if (r == 0) {
			start_job(e, d, a, now);
			started += d->in_flight;
			continue;
		}
		d->in_flight = false;
		snprintf(msg, sizeof(msg), "%s: not touched: cannot record it in %s/state.json: %s",
			 a->bdf, e->run_dir ? e->run_dir : "-", strerror(-r));
		log_error("%s", msg);
		engine_note_failure(e, d, a, r, msg, now);
	}
	/* What could not start is struck off the record again. */
	if (r == 0 && started < n)
		engine_save_state(e);
}

/* What the gate says of a: a runs (it is added to run) or waits. */
static void dispatch(struct engine *e, const struct gate *g, const struct plan_action *a,
		     const struct plan_action **run, size_t *n_run, long long now)
{
	struct devtab_entry *d = devtab_get(&e->devs, a->bdf, true);
	enum gate_verdict v;
	char text[512];

	if (!d)
		return;
	v = gate_check(g, a);
	switch (v) {
	case GATE_RUN:
		/* One action at a time on a device: another one this pass
		 * plans for it waits (in flight) from now on. */
		d->in_flight = true;
		run[(*n_run)++] = a;
		return;
	case GATE_DRY_RUN:
		plan_format_action(a, text, sizeof(text));
		log_info("dry-run: would %s", text);
		return;
	case GATE_FORGET:
		log_info("%s: already back on %s, no longer managed", a->bdf, a->current);
		managed_remove(&e->managed, a->bdf);
		engine_save_state(e);
		return;
	case GATE_GRACE:
		/* Read the file again when the grace ends: what it still asks
		 * then is what is done. */
		e->release_due = g->release_after;
		plan_format_action(a, text, sizeof(text));
		log_debug("%s: %s", text, gate_verdict_name(v));
		return;
	default:
		plan_format_action(a, text, sizeof(text));
		log_debug("%s: %s", text, gate_verdict_name(v));
		return;
	}
}

/* Started with a file we refuse: planning with nothing would give back every
 * device this daemon took before its restart, from under the VMs using
 * them. Hold everything until a good config. */
static void hold(struct engine *e)
{
	if (!e->hold_logged && e->config_missing)
		log_warning("no config file at %s yet: every device stays as it is (what "
			    "state.json lists stays managed) until the file exists", e->config_path);
	else if (!e->hold_logged)
		log_error("no valid config loaded yet: every device stays as it is until %s is fixed",
			  e->config_path);
	e->hold_logged = true;
	e->ctr.passes++;
	e->report_dirty = true;
}

void engine_run_pass(struct engine *e, long long now)
{
	bool full = e->pass_full || !e->pci;
	bool refresh = e->pass_refresh && !full;
	const struct plan_action **run;
	struct plan *p = NULL;
	size_t n_run = 0;
	struct gate g;
	int r;

	e->pass_requested = false;
	e->pass_full = false;
	e->pass_refresh = false;
	if (full && engine_rescan(e) < 0 && !e->pci)
		return;
	e->last_pass_ms = now;
	engine_forget_vanished(e);
	if (!e->have_good_config) {
		hold(e);
		return;
	}
	r = engine_compute_plan(e, e->config, refresh, &p, &e->inuse_seen);
	if (r < 0) {
		log_error("planner failed: out of memory");
		return;
	}
	plan_free(e->plan);
	e->plan = p;
	engine_tell_views(e, now);
	g = (struct gate){ .dry_run = e->o.dry_run, .once = e->once, .now = now,
			   .release_after = e->release_after, .pci = e->pci,
			   .managed = &e->managed, .devs = &e->devs };
	if (gate_init(&g, p) < 0) {
		log_error("gate: out of memory");
		return;
	}
	run = calloc(p->n_actions ? p->n_actions : 1, sizeof(*run));
	if (!run) {
		gate_clear(&g);
		log_error("pass: out of memory");
		return;
	}
	for (size_t i = 0; i < p->n_actions; i++)
		dispatch(e, &g, &p->actions[i], run, &n_run, now);
	gate_clear(&g);
	/* Recorded together: one write of state.json for the pass. */
	engine_submit(e, run, n_run, now);
	free(run);
	devtab_prune(&e->devs, p);
	e->ctr.passes++;
	engine_emit(e, PROTO_EVENT_PASS, NULL, full ? PROTO_PASS_FULL : PROTO_PASS_PARTIAL, 0,
		    "pass %lu: %zu action(s)", e->ctr.passes, p->n_actions);
	/* An address removed or a disk unmounted raises no PCI event: look
	 * again soon, but only while something is held back. A holder that
	 * exits or closes the device is waited on (engine-holders.c). */
	e->holders_timer = false;
	if (!e->once)
		engine_watch_holders(e);
	e->inuse_due = (e->inuse_seen || e->holders_timer) && !e->once
			       ? now + ENGINE_INUSE_RECHECK_MS
			       : 0;
}
