/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine.h: the daemon's state and reconcile loop. One engine, owned by one
 * libevent loop thread, holds the config in force, the PCI model, the managed
 * set and per-device runtime facts (backoff, last error, in-flight work).
 *
 * Triggers (config reload, udev event, client request, resync timer) only
 * *request* a pass; requests are coalesced into one pass a short moment later.
 * A pass plans (plan.c, pure) and hands actions to the worker pool (worker.c)
 * so that a driver whose remove() hangs never blocks the loop; results come
 * back on the loop thread and update the managed set (persisted by state.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "sysfs.h"

struct event_base;
struct engine;

#define ENGINE_BACKOFF_MIN_MS 1000LL
#define ENGINE_BACKOFF_MAX_MS (5LL * 60 * 1000)
/* While a device is held back because it is in use, look again this often. */
#define ENGINE_INUSE_RECHECK_S 5

struct engine_opts {
	const char *config_path;
	const char *sysfs_root;
	const char *proc_root;		/* in-use facts (inuse.h); NULL: "/proc" for the
					   real /sys, none for a fake tree */
	const char *node_name;
	const char *run_dir;		/* state file lives here; NULL: not persisted */
	bool dry_run;			/* plan and log, never write */
	int resync_s;			/* periodic full pass; 0 = off */
	int stuck_ms;			/* in-flight longer than this = stuck */
	int coalesce_ms;		/* delay that gathers bursts into one pass */
	unsigned workers;		/* worker threads */
	const struct sysfs_ops *sysfs;
	const struct modules_ops *modules;
};

/* Runtime facts per device, beside what the planner says. */
struct engine_dev {
	char bdf[BDF_BUFSZ];
	enum proto_state state;		/* last planned state */
	char reason[256];
	bool in_flight;
	enum proto_action_kind in_flight_kind;
	long long in_flight_since_ms;	/* wall clock */
	bool handed_back;		/* restored, no driver took it: wait for an event */
	int failures;			/* consecutive */
	int last_errno;			/* positive errno of the last failure, 0 none */
	char last_error[512];
	long long retry_at_ms;		/* wall clock of the next retry, 0 none */
	long long last_transition_ms;	/* wall clock of the last state change */
};

struct engine_counters {
	unsigned long passes, binds, restores, numvfs_changes, failures, reloads,
		reload_errors, events;
};

/* Events for `watch` subscribers and logs; kinds and states are the wire's
 * (protocol/vocab.h). */
struct engine_event {
	enum proto_event_kind kind;
	const char *bdf;		/* DEVICE, ACTION */
	const char *state;		/* DEVICE: state name; ACTION: "ok"/"failed" */
	const char *message;		/* human sentence */
	int err;			/* ACTION/CONFIG: positive errno or 0 */
};

typedef void (*engine_event_fn)(const struct engine_event *ev, void *ud);

struct engine *engine_new(struct event_base *base, const struct engine_opts *opts);
void engine_free(struct engine *e);
void engine_set_event_cb(struct engine *e, engine_event_fn fn, void *ud);
/* Callback once the first pass's work has settled: finished, or stuck past
 * stuck_ms (for sd_notify READY). Set it before engine_start(). */
void engine_set_ready_cb(struct engine *e, void (*fn)(void *ud), void *ud);

/* Load the config file: applied when valid, else the last good config stays
 * and the errors are kept for `config`. Returns 0, or -EINVAL when rejected. */
int engine_reload(struct engine *e, const char *why);
/* Replace the config in force with text (runtime-only changes); same rules. */
int engine_apply_config(struct engine *e, struct config *c);
/* Ask for a pass; full = rescan every device first. Coalesced. */
void engine_request_pass(struct engine *e, bool full, const char *why);
/* An operator's "do it now": a full pass that also retries devices waiting
 * out a backoff (their failure count is kept, so the next delay still grows). */
void engine_reconcile_now(struct engine *e, const char *why);
/* A udev (or injected) event for one device: refresh it, then a pass. */
void engine_device_event(struct engine *e, const char *action, const char *bdf);
/* Start: initial load, scan and pass, and timers. */
int engine_start(struct engine *e);
/* Stop dispatching; wait up to timeout_ms for in-flight work. Returns true
 * when an action was abandoned in the kernel: its thread still uses the
 * engine's sysfs root and module loader, so the caller must then exit
 * without engine_free() or backend_teardown(). */
bool engine_shutdown(struct engine *e, int timeout_ms);

/* One synchronous pass for --once / --dry-run: plan, act (unless dry-run),
 * re-plan while VFs appear. Returns 0 when every claimed device converged. */
int engine_run_once(struct engine *e);

/* Read-only views for the control socket (valid until the next loop turn). */
const struct config *engine_config(const struct engine *e);
const struct cfg_errors *engine_config_errors(const struct engine *e); /* rejected newer file */
const struct pci_state *engine_pci(const struct engine *e);
const struct plan *engine_plan(const struct engine *e);
const struct managed_set *engine_managed(const struct engine *e);
const struct engine_dev *engine_dev_info(const struct engine *e, const char *bdf);
const struct engine_counters *engine_counters(const struct engine *e);
const struct engine_opts *engine_options(const struct engine *e);
bool engine_config_runtime_modified(const struct engine *e);
long long engine_config_loaded_ms(const struct engine *e);
/* stuck = in flight longer than opts.stuck_ms at wall time now_ms */
bool engine_dev_stuck(const struct engine *e, const struct engine_dev *d, long long now_ms);
/* Call fn once a pass has run after this call and its work has settled: no
 * pass pending and nothing in flight (or only stuck actions). done lists the
 * actions that finished meanwhile, ok[i] whether each succeeded. */
struct engine_waiter;
typedef void (*engine_settled_fn)(void *ud, const struct plan_action *done, const bool *ok,
				  size_t n_done, bool converged);
struct engine_waiter *engine_wait_settled(struct engine *e, engine_settled_fn fn, void *ud);
void engine_wait_cancel(struct engine *e, struct engine_waiter *w);

/* Plan what config c would do now, without doing it (caller frees). */
int engine_plan_with(struct engine *e, const struct config *c, struct plan **out);

/* Backoff delay after `failures` consecutive failures: 1 s doubling to 5 min. */
long long engine_backoff_ms(int failures);
