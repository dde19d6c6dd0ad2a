/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine.c: the engine's life (new, start, tick, shutdown, free), its clocks
 * and the read-only views the control socket asks for. What a pass does is
 * engine-pass.c's; see engine.h for the map of the engine's files. */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <string.h>

#include "engine-private.h"
#include "inuse-gather.h"
#include "log.h"

static int locked_load(void *ud, const char *name, char *err, size_t errsize)
{
	struct engine *e = ud;
	int r;

	pthread_mutex_lock(&e->modules_lock);
	r = e->o.modules->load(e->o.modules->ud, name, err, errsize);
	pthread_mutex_unlock(&e->modules_lock);
	return r;
}

/* --- the clock's turn ------------------------------------------------------ */

void engine_tick(struct engine *e)
{
	long long now = engine_now(e);

	if (e->stopping)
		return;
	if (e->resync_due && now >= e->resync_due) {
		/* The safety net for missed events: re-read the file and every device. */
		e->resync_due = now + (long long)e->o.resync_s * 1000;
		if (!e->runtime_modified)
			engine_reload(e, "resync");
		engine_schedule_pass(e, true, "resync", now);
	}
	if (e->inuse_due && now >= e->inuse_due) {
		/* An address removed or a disk unmounted raises no PCI event. */
		e->inuse_due = 0;
		engine_schedule_pass(e, false, "in-use re-check", now);
	}
	if (e->retry_due && now >= e->retry_due) {
		e->retry_due = 0;
		engine_schedule_pass(e, false, "retry", now);
	}
	if (e->release_due && now >= e->release_due) {
		e->release_due = 0;
		engine_reload(e, "read again: the release grace ended");
		e->pass_refresh = true; /* its releases: read those devices first */
		engine_schedule_pass(e, false, "release grace ended", now);
	}
	if (e->pass_requested && now >= e->pass_due)
		engine_run_pass(e, now);
	if (e->stuck_due && now >= e->stuck_due) {
		e->stuck_due = 0;
		engine_tell_views(e, now);
	}
	engine_check_settled(e, now);
	engine_report(e, now);
	engine_arm(e, now);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	engine_tick(arg);
}

/* --- life -------------------------------------------------------------------- */

struct engine *engine_new(struct event_base *base, const struct engine_opts *opts)
{
	struct engine *e = calloc(1, sizeof(*e));
	const char *proc_root, *dev_root;

	if (!e)
		return NULL;
	e->hold_inotify = -1;
	e->base = base;
	e->o = *opts;
	e->clock = opts->clock ? *opts->clock : engine_system_clock;
	e->config_path = strdup(opts->config_path);
	e->sysfs_root = strdup(opts->sysfs_root);
	e->node_name = strdup(opts->node_name);
	e->run_dir = opts->run_dir ? strdup(opts->run_dir) : NULL;
	proc_root = opts->proc_root ? opts->proc_root : inuse_default_proc_root(opts->sysfs_root);
	e->proc_root = proc_root ? strdup(proc_root) : NULL;
	dev_root = opts->dev_root ? opts->dev_root : inuse_default_dev_root(opts->sysfs_root);
	e->dev_root = dev_root ? strdup(dev_root) : NULL;
	if (!e->config_path || !e->sysfs_root || !e->node_name || (opts->run_dir && !e->run_dir) ||
	    (proc_root && !e->proc_root) || (dev_root && !e->dev_root)) {
		engine_free(e);
		return NULL;
	}
	if (e->o.workers == 0)
		e->o.workers = 4;
	if (e->o.stuck_ms <= 0)
		e->o.stuck_ms = 10000;
	if (e->o.coalesce_ms < 0)
		e->o.coalesce_ms = 0;
	if (e->o.release_grace_ms < 0)
		e->o.release_grace_ms = ENGINE_RELEASE_GRACE_MS;
	pthread_mutex_init(&e->modules_lock, NULL);
	e->locked_modules.load = locked_load;
	e->locked_modules.ud = e;
	e->bctx.root = e->sysfs_root;
	e->bctx.sysfs = opts->sysfs;
	e->bctx.modules = &e->locked_modules;
	engine_load_state(e);
	return e;
}

void engine_set_event_cb(struct engine *e, engine_event_fn fn, void *ud)
{
	e->ev_fn = fn;
	e->ev_ud = ud;
}

void engine_set_report_cb(struct engine *e, void (*fn)(void *ud), void *ud,
			  int min_interval_ms, int refresh_ms)
{
	e->report_fn = fn;
	e->report_ud = ud;
	e->report_min_ms = min_interval_ms > 0 ? min_interval_ms : 0;
	e->report_refresh_ms = refresh_ms > 0 ? refresh_ms : 0;
	e->report_dirty = true;
}

void engine_set_events_live(struct engine *e, bool live)
{
	e->events_live = live;
}

void engine_set_ready_cb(struct engine *e, void (*fn)(void *ud), void *ud)
{
	e->ready_fn = fn;
	e->ready_ud = ud;
}

/* Ready (sd_notify) once the first pass's work has settled: its actions
 * finished, or are stuck in the kernel past --stuck-timeout. A hung driver
 * must not hold the unit in "activating" until systemd gives up on it. */
static void on_first_settled(void *ud, const struct plan_action *done, const bool *ok,
			     size_t n_done, bool converged)
{
	struct engine *e = ud;

	if (e->ready)
		return;
	e->ready = true;
	if (!converged && !e->once)
		log_warning("first pass done, but not every claimed device is converged "
			    "(see vfiobind status)");
	if (e->ready_fn)
		e->ready_fn(e->ready_ud);
}

int engine_start(struct engine *e)
{
	long long now = engine_now(e);

	e->wake_ev = evtimer_new(e->base, on_wake, e);
	if (!e->wake_ev)
		return -ENOMEM;
	if (!e->o.dry_run) {
		e->workers = worker_pool_new(e->base, e->o.workers, &e->bctx, engine_job_done, e);
		if (!e->workers)
			return -ENOMEM;
	}
	if (e->o.resync_s > 0 && !e->once)
		e->resync_due = now + (long long)e->o.resync_s * 1000;
	if (!engine_wait_settled(e, on_first_settled, e))
		return -ENOMEM;
	engine_judge_state(e);
	engine_reload(e, e->once ? "--once" : "start");
	/* What a crash left half done is undone before anything new starts. */
	engine_recover(e, now);
	/* The first pass runs at once, not after the coalescing window. */
	e->pass_full = true;
	engine_run_pass(e, now);
	engine_check_settled(e, now);
	engine_arm(e, now);
	return 0;
}

bool engine_shutdown(struct engine *e, int timeout_ms)
{
	bool abandoned = false;

	e->stopping = true;
	if (e->wake_ev)
		event_del(e->wake_ev);
	if (e->workers) {
		abandoned = worker_pool_free(e->workers, timeout_ms);
		e->workers = NULL;
	}
	engine_save_state(e);
	return abandoned;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->workers)
		engine_shutdown(e, 0);
	if (e->wake_ev)
		event_free(e->wake_ev);
	engine_waiters_free(e);
	engine_holders_free(e);
	config_free(e->config);
	free(e->config_text);
	free(e->proc_root);
	free(e->dev_root);
	cfg_errors_clear(&e->rejected);
	pci_state_free(e->pci);
	plan_free(e->plan);
	managed_clear(&e->managed);
	devtab_clear(&e->devs);
	free(e->config_path);
	free(e->sysfs_root);
	free(e->node_name);
	free(e->run_dir);
	pthread_mutex_destroy(&e->modules_lock);
	free(e);
}

/* --- views ------------------------------------------------------------------ */

const struct config *engine_config(const struct engine *e) { return e->config; }
const struct cfg_errors *engine_config_errors(const struct engine *e) { return &e->rejected; }
const struct pci_state *engine_pci(const struct engine *e) { return e->pci; }
const struct plan *engine_plan(const struct engine *e) { return e->plan; }
const struct managed_set *engine_managed(const struct engine *e) { return &e->managed; }
const struct engine_counters *engine_counters(const struct engine *e) { return &e->ctr; }
const struct engine_opts *engine_options(const struct engine *e) { return &e->o; }
bool engine_config_runtime_modified(const struct engine *e) { return e->runtime_modified; }
bool engine_config_missing(const struct engine *e) { return e->config_missing; }
const char *engine_config_untrusted(const struct engine *e) { return e->config_untrusted; }
long long engine_config_loaded_ms(const struct engine *e) { return e->loaded_ms; }

const struct devtab_entry *engine_dev_info(const struct engine *e, const char *bdf)
{
	return devtab_find(&e->devs, bdf);
}

long long engine_last_pass_ms(const struct engine *e)
{
	return engine_epoch_ms(e, e->last_pass_ms);
}

struct engine_waiter *engine_wait_health(struct engine *e, const struct cfg_selector *only,
					 size_t n_only, long long timeout_ms, engine_health_fn fn,
					 void *ud)
{
	long long now = engine_now(e);
	struct engine_waiter *w;

	w = engine_waiter_add_health(e, only, n_only, timeout_ms > 0 ? now + timeout_ms : 0, fn,
				     ud);
	if (w)
		engine_arm(e, now);
	return w;
}

unsigned engine_in_flight(const struct engine *e)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->devs.n; i++)
		n += e->devs.v[i].in_flight;
	return n;
}

struct view_dev engine_view(const struct engine *e, const struct plan_status *st)
{
	return view_device(st, devtab_find(&e->devs, st->bdf), engine_now(e), e->o.stuck_ms);
}
