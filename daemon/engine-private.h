/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-private.h: struct engine and the helpers engine.c shares with
 * engine-once.c (--once) and engine-wait.c (reconcile waiters). Not for use
 * outside the engine: everyone else goes through engine.h. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "engine.h"
#include "worker.h"

struct event;

struct engine {
	struct event_base *base;
	struct engine_opts o;
	char *config_path, *sysfs_root, *node_name, *run_dir;
	char *proc_root;		/* in-use facts; NULL: none (fake sysfs trees) */

	struct config *config;		/* in force; never NULL after start */
	char *config_text;		/* text it came from, to skip no-op reloads */
	struct cfg_errors rejected;	/* errors of a newer file kept out */
	bool runtime_modified;
	long long loaded_ms;

	struct pci_state *pci;
	struct plan *plan;
	struct managed_set managed;
	struct engine_dev *devs;
	size_t n_devs, cap_devs;
	struct engine_counters ctr;

	struct event *pass_ev, *resync_ev, *retry_ev, *settle_ev, *inuse_ev;
	bool inuse_seen;		/* the last pass found devices in use */
	struct engine_waiter *waiters;
	bool pass_full;
	bool pass_scheduled;

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

/* engine.c */
struct engine_dev *engine_dev_get(struct engine *e, const char *bdf, bool create);
int engine_save_state(struct engine *e);
/* Forget managed devices that no longer exist. */
void engine_forget_vanished(struct engine *e);
int engine_rescan(struct engine *e);
/* Plan with in-use facts gathered for the devices the plan would bind. */
int engine_compute_plan(struct engine *e, const struct config *c, struct plan **out,
			bool *inuse_found);
/* Record state changes of every planned device, with a log line and event. */
void engine_note_statuses(struct engine *e);
bool engine_restore_is_noop(struct engine *e, const struct plan_action *a);
/* Write down where a device came from before touching it. */
int engine_record_intent(struct engine *e, const struct plan_action *a);
bool engine_vf_waits_for_pf(const struct engine *e, const struct plan *p,
			    const struct plan_action *a);
void engine_note_failure(struct engine *e, struct engine_dev *d, const struct plan_action *a,
			 int err, const char *msg, long long now);
/* Fold a finished action into the device facts and the managed set. */
void engine_finish_job(struct engine *e, struct worker_job *job);

/* engine-wait.c */
/* Answer the waiters whose pass has run, once work has settled. */
void engine_check_settled(struct engine *e);
/* Add a finished action to every waiter's list. */
void engine_waiters_note(struct engine *e, const struct plan_action *a, bool ok);
/* Drop every waiter without answering it (engine_free). */
void engine_waiters_free(struct engine *e);
