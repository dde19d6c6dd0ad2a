/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine.h: the daemon's state and reconcile loop. One engine, owned by one
 * libevent loop thread, holds the config in force, the PCI model, the managed
 * set and the device table (logic/devtab.h: backoff, last error, in-flight
 * work).
 *
 * Triggers (config reload, udev event, client request, timers) only
 * *request* a pass; requests are coalesced into one pass a short moment later.
 * A pass plans (logic/plan.c, pure), asks the action gate (logic/gate.c)
 * which actions run now, and hands those to the worker pool (worker.c) so
 * that a driver whose remove() hangs never blocks the loop; results come back
 * on the loop thread and update the device table and the managed set
 * (persisted by state.c). Every device's state is told through the device
 * view (logic/view.c). --once is the same engine on the same loop, with one
 * try per device and an exit once the work settles.
 *
 * Time is an input: every entry point reads the engine's clock once and
 * passes that `now` down; durations use the monotonic clock, epoch times
 * appear only where a human or the protocol reads them. The engine says when
 * it next needs to run (engine_next_wakeup); with a manual clock, tests step
 * time and call engine_tick() instead of waiting.
 *
 * The files: engine.c (lifecycle, tick, views for the socket),
 * engine-config.c (reloads), engine-facts.c (scans, events, the in-use and
 * holder aware plan, the state file), engine-holders.c (waiting for the
 * processes that hold a blocked device), engine-pass.c (a pass: plan, gate,
 * submit),
 * engine-results.c (finished actions), engine-sched.c (pass requests and
 * the next wakeup), engine-events.c (what the engine tells: events, state
 * changes through the view), engine-wait.c (requests that wait for work to
 * settle), engine-health.c (the node's health on the engine's facts),
 * engine-once.c (--once), engine-clock.c (its clocks), engine-state.c
 * (RUN_DIR/state.json and its journal), engine-recover.c (what a crash left
 * half done, at start). Shared
 * internals and the order the files call each other in: engine-private.h
 * (tests/build/check-calls.py keeps that order free of circles). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "devtab.h"
#include "health.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "sysfs.h"
#include "view.h"
#include "vocab.h"

struct event_base;
struct engine;

/* While a device is held back because it is in use (or held by a process the
 * engine cannot wait on), look again this often. */
#define ENGINE_INUSE_RECHECK_MS 5000

/* The clocks the engine reads. NULL in engine_opts: the system's. */
struct engine_clock {
	long long (*mono_ms)(void *ud);	/* durations, deadlines */
	long long (*wall_ms)(void *ud);	/* epoch times for humans and the protocol */
	void *ud;
	/* No timer of its own: the caller steps the clock and calls
	 * engine_tick() (tests). */
	bool manual;
};

struct engine_opts {
	const char *config_path;
	const char *sysfs_root;
	const char *proc_root;		/* in-use facts (inuse.h); NULL: "/proc" for the
					   real /sys, none for a fake tree */
	const char *dev_root;		/* block device nodes probed for signatures;
					   NULL: "/dev" for the real /sys, none for a
					   fake tree */
	const char *node_name;
	const char *run_dir;		/* state file lives here; NULL: not persisted */
	bool dry_run;			/* plan and log, never write */
	int resync_s;			/* periodic full pass; 0 = off */
	int stuck_ms;			/* in-flight longer than this = stuck */
	int coalesce_ms;		/* delay that gathers bursts into one pass */
	int release_grace_ms;		/* after the file changed, releases wait this
					   long and the file is read again; 0 = none,
					   < 0 = the default */
	unsigned workers;		/* worker threads */
	const struct sysfs_ops *sysfs;
	const struct modules_ops *modules;
	const struct engine_clock *clock;	/* NULL: the system's clocks */
	/* pidfd_open(2) of a holder: a descriptor or -errno. NULL: the
	 * system's (tests stand in a kernel without it). */
	int (*pidfd_open)(int pid);
};

struct engine_counters {
	unsigned long passes, binds, restores, numvfs_changes, failures, reloads,
		reload_errors, events;
	/* Actions finished, by kind (failures before the binder count too). */
	unsigned long actions_ok[PROTO_ACTION__MAX], actions_failed[PROTO_ACTION__MAX];
};

/* Events for `watch` subscribers; kinds and states are the wire's
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
/* PCI events reach the engine (a udev or kernel monitor is listening): the
 * pass for a new config then plans from the model they keep, and reads every
 * device again only when the config selects by interface name (a rename
 * raises no PCI event). Without them (the default) such a pass rescans. */
void engine_set_events_live(struct engine *e, bool live);

/* While the config file changed this recently, releases wait (and the file
 * is read again before they happen). */
#define ENGINE_RELEASE_GRACE_MS 2000

/* Load the config file: applied when valid, else the last good config stays
 * and the errors are kept for `config`. A file that is missing (deleted, a
 * dangling symlink, its directory gone) never releases anything: the last
 * good config stays, with a warning; with none yet, every device stays as it
 * is. Releases that a new file asks for wait out the release grace.
 * Returns 0, -EINVAL when rejected, -ENOENT when missing. */
int engine_reload(struct engine *e, const char *why);
/* The same for a file the daemon itself just wrote whole (`add`/`remove`):
 * no grace, its content is known to be complete. */
int engine_reload_edited(struct engine *e, const char *why);
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

/* --once: the engine on its loop until the work settles, one try per device:
 * plan, act (unless dry-run; then the plan is printed), re-plan while VFs
 * appear. 0 when every claimed device converged and nothing failed, 1 when
 * not, -errno when it could not run. The loop is run here. */
int engine_run_once(struct engine *e);

/* Time. The engine's clocks (monotonic ms, and epoch ms of a monotonic time
 * for the protocol); the next monotonic time it needs to run (0: nothing
 * scheduled); run what is due now (manual clocks; the wake timer otherwise). */
long long engine_now(const struct engine *e);
long long engine_epoch_ms(const struct engine *e, long long mono_ms);
long long engine_next_wakeup(const struct engine *e);
void engine_tick(struct engine *e);

/* Read-only views for the control socket (valid until the next loop turn). */
const struct config *engine_config(const struct engine *e);
const struct cfg_errors *engine_config_errors(const struct engine *e); /* rejected newer file */
const struct pci_state *engine_pci(const struct engine *e);
const struct plan *engine_plan(const struct engine *e);
const struct managed_set *engine_managed(const struct engine *e);
const struct devtab_entry *engine_dev_info(const struct engine *e, const char *bdf);
/* Actions handed to workers and not back yet. */
unsigned engine_in_flight(const struct engine *e);
const struct engine_counters *engine_counters(const struct engine *e);
const struct engine_opts *engine_options(const struct engine *e);
bool engine_config_runtime_modified(const struct engine *e);
/* The config file is missing now (the config in force is the last good one). */
bool engine_config_missing(const struct engine *e);
/* Who besides root can change the config file ("the file is writable by
 * group adm (gid 4)"), or "" when nobody. */
const char *engine_config_untrusted(const struct engine *e);
long long engine_config_loaded_ms(const struct engine *e);	/* epoch */
/* state.json files this engine could not use and moved aside (names in the
 * run dir, this run's and earlier runs'), as long as they are still there:
 * up to max, how many. The devices they listed are not known to be ours. */
size_t engine_state_aside(const struct engine *e, const char **names, size_t max);
/* Why state.json cannot be used when it could not even be moved aside (then
 * nothing is touched), else NULL. */
const char *engine_state_unusable(const struct engine *e);
/* The device view of a planned status now (logic/view.h). */
struct view_dev engine_view(const struct engine *e, const struct plan_status *st);
/* Call fn once a pass has run after this call and its work has settled: no
 * pass pending and nothing in flight (or only stuck actions). done lists the
 * actions that finished meanwhile, ok[i] whether each succeeded. */
struct engine_waiter;
typedef void (*engine_settled_fn)(void *ud, const struct plan_action *done, const bool *ok,
				  size_t n_done, bool converged);
struct engine_waiter *engine_wait_settled(struct engine *e, engine_settled_fn fn, void *ud);
void engine_wait_cancel(struct engine *e, struct engine_waiter *w);

/* The node's health (logic/health.h) over the statuses the selectors pick
 * (only NULL: every one). The input as the engine sees it now, for callers
 * that also go through the devices (selectors unset). */
void engine_health(const struct engine *e, const struct cfg_selector *only, size_t n_only,
		   struct health *out);
void engine_health_input(const struct engine *e, struct health_input *in);
/* Call fn(ud, true) once the statuses the selectors pick are settled by the
 * health mapping, or fn(ud, false) when timeout_ms (> 0) passes first. Not
 * called from within this call: the caller checks engine_health() first.
 * Cancel with engine_wait_cancel(). */
typedef void (*engine_health_fn)(void *ud, bool settled);
struct engine_waiter *engine_wait_health(struct engine *e, const struct cfg_selector *only,
					 size_t n_only, long long timeout_ms, engine_health_fn fn,
					 void *ud);
/* Epoch ms of the last pass (also one that held everything), 0 before. */
long long engine_last_pass_ms(const struct engine *e);

/* Reports: fn(ud) runs on the loop after what the engine tells changed (a
 * pass, a device state, the config, an action), at most once per
 * min_interval_ms, and at least every refresh_ms (0: only on change). It is
 * one of the engine's deadlines, not a timer of its own: an idle engine
 * wakes only for the refresh. Set it before engine_start(). */
void engine_set_report_cb(struct engine *e, void (*fn)(void *ud), void *ud,
			  int min_interval_ms, int refresh_ms);

/* The NUMA node of a device, read now (the scan leaves it out: only
 * `devices` shows it); -1 when unknown or while a write to it is in the
 * kernel (the loop reads nothing of such a device). */
int engine_numa_node(struct engine *e, const char *bdf);
/* Plan what config c would do now, without doing it (caller frees). */
int engine_plan_with(struct engine *e, const struct config *c, struct plan **out);
/* Who holds functions bdfs[0..n) open now (logic/holders.h), whether or not
 * a plan wants them: one verdict per function held or "cannot tell" (caller
 * frees *out). 0 or -ENOMEM. */
int engine_holders(struct engine *e, const char *const *bdfs, size_t n, struct plan_held **out,
		   size_t *n_out);
