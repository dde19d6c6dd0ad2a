/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-private.h: struct engine and what the engine's files share. Not for
 * use outside daemon/engine*.c: everyone else goes through engine.h.
 *
 * The files call each other in one direction only, top to bottom:
 *   engine-once.c -> engine.c
 *     -> engine-recover.c
 *     -> engine-config.c, engine-pass.c
 *       -> engine-results.c
 *         -> engine-facts.c, engine-holders.c
 *           -> engine-state.c
 *             -> engine-sched.c, engine-wait.c
 *               -> engine-health.c
 *               -> engine-events.c
 *                 -> engine-clock.c
 * and all of them use the pure pieces of logic/ (plan, gate, view, devtab). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "devtab.h"
#include "engine.h"
#include "state.h"
#include "worker.h"

/* Files state.json was kept aside as that status names (more stay unnamed). */
#define ENGINE_ASIDE_MAX 16

struct event;
struct engine_pidwatch;

struct engine {
	struct event_base *base;
	struct engine_opts o;
	struct engine_clock clock;
	char *config_path, *sysfs_root, *node_name, *run_dir;
	char *proc_root;		/* in-use facts; NULL: none (fake sysfs trees) */
	char *dev_root;			/* block device nodes for signature probes; NULL: none */
	bool once;			/* --once: one try per device, no timers of its own */

	struct config *config;		/* in force; never NULL after start */
	char *config_text;		/* text it came from, to skip no-op reloads */
	struct cfg_errors rejected;	/* errors of a newer file kept out */
	bool runtime_modified;
	long long loaded_ms;		/* epoch */
	bool config_missing;		/* the file is gone: the last good config stays */
	char config_untrusted[256];	/* who else can write the file, "" nobody */
	long long release_after;	/* releases wait for the file to be read again */

	struct pci_state *pci;
	struct plan *plan;
	struct managed_set managed;

	/* state.json (engine-state.c) */
	int state_err;			/* what state_load said: < 0 unusable, > 0 entries
					   skipped, 0 read whole (or none) */
	char state_why[256];		/* ... in words */
	bool state_judged;		/* engine_start looked at it: saves may happen */
	bool state_aside_due;		/* to be moved aside before the next save */
	bool state_aside_failed;	/* ... and that failed: nothing is saved */
	char state_aside[ENGINE_ASIDE_MAX][STATE_ASIDE_MAX];
	size_t n_state_aside;		/* names kept aside, this run's and earlier */
	struct devtab devs;
	struct engine_counters ctr;

	/* Schedule (monotonic ms, 0 = none): engine-sched.c. */
	struct event *wake_ev;		/* the one timer: fires at the next deadline */
	bool pass_requested;
	long long pass_due;		/* ... for this time (the coalescing window) */
	bool pass_full;			/* ... with a rescan of every device */
	bool events_live;		/* PCI events keep the model (engine.h) */
	bool pass_refresh;		/* a pass from the model for a new config:
					   read what it would move first */
	long long resync_due;
	long long inuse_due;		/* re-check devices held back as in use */
	long long retry_due;		/* the earliest backoff that ends */
	long long stuck_due;		/* the earliest running action that turns stuck */
	long long release_due;		/* read the file again: the release grace ends */
	long long wait_due;		/* the earliest health waiter's deadline */
	long long report_due;		/* the next report (engine_set_report_cb) */
	bool inuse_seen;		/* the last pass found devices in use */
	bool holders_timer;		/* ... or held with nothing to wait on */

	/* The holders a blocked device waits for (engine-holders.c). */
	struct engine_pidwatch **pidwatch;	/* pidfd of each holder */
	size_t n_pidwatch, cap_pidwatch;
	int hold_inotify;		/* IN_CLOSE_WRITE on the nodes held, -1 none */
	struct event *hold_inotify_ev;
	int *hold_wds;
	size_t n_hold_wds;
	bool pidfd_warned, inotify_warned;

	long long last_pass_ms;		/* monotonic, 0 before the first */

	/* Reports (engine_set_report_cb): engine-sched.c. */
	void (*report_fn)(void *ud);
	void *report_ud;
	int report_min_ms, report_refresh_ms;
	bool report_dirty;		/* something told changed since the last report */
	bool reported;			/* report_last holds a time */
	long long report_last;

	struct engine_waiter *waiters;
	struct bind_ctx bctx;
	struct modules_ops locked_modules;	/* serialises libkmod across threads */
	pthread_mutex_t modules_lock;
	struct worker_pool *workers;

	engine_event_fn ev_fn;
	void *ev_ud;
	void (*ready_fn)(void *ud);
	void *ready_ud;
	bool ready;
	bool have_good_config;		/* a config loaded (or applied) without error */
	bool hold_logged;
	bool iommu_warned;
	bool stopping;
};

/* engine-clock.c */
extern const struct engine_clock engine_system_clock;
long long engine_wall(const struct engine *e);

/* engine-recover.c */
/* Undo or finish every action state.json's journal says a crash cut short
 * (before the first pass; see the file's head). */
void engine_recover(struct engine *e, long long now);

/* engine-config.c: engine_reload() and engine_apply_config() are public. */

/* engine-pass.c */
/* Plan, note the views, gate and submit every action. */
void engine_run_pass(struct engine *e, long long now);
/* Do the writes of actions acts now (the gate said run): record where each
 * device came from and what it is about to do (one save), mark each in
 * flight, hand each to a worker. When the record cannot be kept none is
 * touched: each is a failure. */
void engine_submit(struct engine *e, const struct plan_action *const *acts, size_t n,
		   long long now);

/* engine-results.c */
/* The worker pool's callback: a job finished (on the loop thread). */
void engine_job_done(struct worker_job *job, void *ud);
/* A failure, from the binder or before it: counted, kept for status, and
 * retried after the backoff (never in --once). */
void engine_note_failure(struct engine *e, struct devtab_entry *d, const struct plan_action *a,
			 int err, const char *msg, long long now);

/* engine-facts.c: engine_device_event() and engine_plan_with() are public. */
/* Read every device, or one; a device a write is in the kernel for (and the
 * VFs of a PF whose count is changing) is left as it was: reading it could
 * wait as long as the write. */
int engine_rescan(struct engine *e);
void engine_refresh(struct engine *e, const char *bdf);
/* Forget managed devices that no longer exist. */
void engine_forget_vanished(struct engine *e);
/* Plan with in-use facts gathered for the devices the plan would move;
 * refresh: read those devices again first (a pass from the model for a new
 * config). */
int engine_compute_plan(struct engine *e, const struct config *c, bool refresh,
			struct plan **out, bool *inuse_found);

/* engine-state.c: engine_state_aside() and engine_state_unusable() are public. */
/* Read RUN_DIR/state.json into the managed set (engine_new): nothing on disk
 * changes here. */
void engine_load_state(struct engine *e);
/* At start: a file that could not be used whole is moved aside (said in
 * the log and in status), and from then on saves may happen. */
void engine_judge_state(struct engine *e);
/* Save the managed set: 0 or -errno (never before engine_judge_state). */
int engine_save_state(struct engine *e);
/* Write down where each device came from and what each action is about
 * to change (the journal) before touching them, in one save: 0 or -errno
 * (then nothing was recorded, and none must be touched). */
int engine_record_intents(struct engine *e, const struct plan_action *const *acts, size_t n);
/* Strike bdf's action off the journal: its outcome is in (the caller saves). */
void engine_intent_done(struct engine *e, const char *bdf);

/* engine-holders.c */
/* Watch the holders the plan in force names (pidfd, inotify) and drop the
 * watches it no longer needs; holders_timer says whether the re-check timer
 * must stand in. */
void engine_watch_holders(struct engine *e);
void engine_holders_free(struct engine *e);

/* engine-sched.c: engine_request_pass(), engine_reconcile_now() and
 * engine_next_wakeup() are public. */
void engine_schedule_pass(struct engine *e, bool full, const char *why, long long now);
/* The same, due now: a request that is one whole change already (a config
 * file whose burst of events the watch gathered, an operator's edit) has
 * no burst to wait for; 50 ms of every config edit's reaction. */
void engine_schedule_pass_now(struct engine *e, bool full, const char *why, long long now);
/* Recompute the deadlines that follow from the device table, and arm the
 * wake timer for the next one (no timer with a manual clock). */
void engine_arm(struct engine *e, long long now);
/* Run the report when it is due (engine_tick()). */
void engine_report(struct engine *e, long long now);

/* engine-events.c */
void engine_emit(struct engine *e, enum proto_event_kind kind, const char *bdf,
		 const char *state, int err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Tell every planned device's view that changed since it was last told: a
 * log line and a `device` event each. */
void engine_tell_views(struct engine *e, long long now);
/* Every planned device converged, as the views say. */
bool engine_converged(const struct engine *e, long long now);

/* engine-wait.c */
/* engine_wait_health()'s waiter, with its deadline (monotonic ms, 0 none). */
struct engine_waiter *engine_waiter_add_health(struct engine *e, const struct cfg_selector *only,
					       size_t n_only, long long deadline,
					       engine_health_fn fn, void *ud);
/* Answer the waiters whose pass has run, once work has settled. */
void engine_check_settled(struct engine *e, long long now);
/* Settled now: no pass requested and nothing in flight but stuck actions. */
bool engine_settled(const struct engine *e, long long now);
/* Add a finished action to every waiter's list. */
void engine_waiters_note(struct engine *e, const struct plan_action *a, bool ok);
/* Drop every waiter without answering it (engine_free). */
void engine_waiters_free(struct engine *e);

/* engine-health.c: engine_health() and engine_health_input() are public. */
