/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine.c: the daemon's state and its reconcile passes (see engine.h): the
 * lifecycle, config reloads, passes, dispatch to the workers and their
 * results. The --once path is engine-once.c; reconcile waiters are
 * engine-wait.c; what they share with this file is engine-private.h. */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "conffile.h"
#include "engine-private.h"
#include "inuse.h"
#include "log.h"
#include "state.h"
#include "util.h"
#include "worker.h"
#include "clock.h"
#include "pci-scan.h"
#include "inuse-gather.h"

static void emit(struct engine *e, enum proto_event_kind kind, const char *bdf,
		 const char *state, int err, const char *fmt, ...) _printf_(6, 7);

static void emit(struct engine *e, enum proto_event_kind kind, const char *bdf,
		 const char *state, int err, const char *fmt, ...)
{
	struct engine_event ev = { kind, bdf, state, NULL, err };
	char msg[768];
	va_list ap;

	if (!e->ev_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev.message = msg;
	e->ev_fn(&ev, e->ev_ud);
}

long long engine_backoff_ms(int failures)
{
	long long d = ENGINE_BACKOFF_MIN_MS;

	for (int i = 1; i < failures && d < ENGINE_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < ENGINE_BACKOFF_MAX_MS ? d : ENGINE_BACKOFF_MAX_MS;
}

static int locked_load(void *ud, const char *name, char *err, size_t errsize)
{
	struct engine *e = ud;
	int r;

	pthread_mutex_lock(&e->modules_lock);
	r = e->o.modules->load(e->o.modules->ud, name, err, errsize);
	pthread_mutex_unlock(&e->modules_lock);
	return r;
}

/* --- per-device runtime facts ------------------------------------------ */

/* The facts are kept sorted by name: a pass looks up every planned device,
 * and a linear search made that quadratic (16M compares at 4096 devices). */
static size_t dev_index(const struct engine *e, const char *bdf, bool *found)
{
	size_t lo = 0, hi = e->n_devs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(e->devs[mid].bdf, bdf) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < e->n_devs && strcmp(e->devs[lo].bdf, bdf) == 0;
	return lo;
}

/* The returned pointer is valid until the next call that creates a device. */
struct engine_dev *engine_dev_get(struct engine *e, const char *bdf, bool create)
{
	bool found;
	size_t i = dev_index(e, bdf, &found);

	if (found)
		return &e->devs[i];
	if (!create)
		return NULL;
	if (e->n_devs == e->cap_devs) {
		size_t cap = e->cap_devs ? e->cap_devs * 2 : 16;
		struct engine_dev *n = realloc(e->devs, cap * sizeof(*n));

		if (!n)
			return NULL;
		e->devs = n;
		e->cap_devs = cap;
	}
	memmove(&e->devs[i + 1], &e->devs[i], (e->n_devs - i) * sizeof(e->devs[0]));
	memset(&e->devs[i], 0, sizeof(e->devs[0]));
	util_strlcpy(e->devs[i].bdf, bdf, BDF_BUFSZ);
	e->devs[i].state = (enum proto_state)-1;
	e->n_devs++;
	return &e->devs[i];
}

/* Drop facts about devices that are neither in the plan nor busy. */
static void dev_prune(struct engine *e)
{
	bool *keep = calloc(e->n_devs ? e->n_devs : 1, sizeof(*keep));
	size_t w = 0;

	if (!keep)
		return; /* keeping stale facts a little longer is harmless */
	for (size_t j = 0; e->plan && j < e->plan->n_statuses; j++) {
		bool found;
		size_t i = dev_index(e, e->plan->statuses[j].bdf, &found);

		if (found)
			keep[i] = true;
	}
	for (size_t i = 0; i < e->n_devs; i++)
		if (keep[i] || e->devs[i].in_flight || e->devs[i].handed_back)
			e->devs[w++] = e->devs[i];
	e->n_devs = w;
	free(keep);
}

bool engine_dev_stuck(const struct engine *e, const struct engine_dev *d, long long now_ms)
{
	return d->in_flight && now_ms - d->in_flight_since_ms > e->o.stuck_ms;
}

/* --- config ------------------------------------------------------------ */

static void log_config_errors(const struct cfg_errors *errs)
{
	char line[512];

	for (size_t i = 0; i < errs->n; i++)
		if (cfg_errors_format(errs, i, line, sizeof(line)) >= 0)
			log_error("%s", line);
}

static void config_replace(struct engine *e, struct config *c, char *text)
{
	config_free(e->config);
	free(e->config_text);
	e->config = c;
	e->config_text = text;
	e->loaded_ms = clock_wall_ms();
	e->runtime_modified = false;
	e->have_good_config = true;
}

int engine_reload(struct engine *e, const char *why)
{
	struct cfg_errors errs = { 0 };
	struct config *c = NULL;
	char *text = NULL;
	int r;

	r = conffile_load(e->config_path, &c, &errs, &text);
	if (r < 0) {
		e->ctr.reload_errors++;
		log_error("%s: rejected (%zu error%s), keeping the %s config in force", e->config_path,
			  errs.n, errs.n == 1 ? "" : "s", e->config ? "last good" : "empty");
		log_config_errors(&errs);
		cfg_errors_clear(&e->rejected);
		e->rejected = errs;
		if (!e->config)
			e->config = config_new_empty(e->config_path);
		emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_REJECTED, EINVAL, "%s rejected: %zu error(s)",
		     e->config_path, e->rejected.n);
		return r;
	}
	cfg_errors_clear(&errs); /* the parser names its source even on success */
	cfg_errors_clear(&e->rejected);
	if (e->config && !e->runtime_modified && e->config_text && text &&
	    strcmp(e->config_text, text) == 0 && e->config->missing == c->missing) {
		/* Same bytes (an editor's touch, a ConfigMap resync): nothing to do. */
		config_free(c);
		free(text);
		return 0;
	}
	if (c->missing)
		log_warning("%s: no such file: empty desired state (nothing to bind)", e->config_path);
	else
		log_info("%s: loaded %zu entr%s (%s)", e->config_path, c->n_entries,
			 c->n_entries == 1 ? "y" : "ies", why);
	config_replace(e, c, text);
	e->ctr.reloads++;
	emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_LOADED, 0, "%s loaded: %zu entries", e->config_path,
	     e->config->n_entries);
	engine_request_pass(e, true, "config reload");
	return 0;
}

int engine_apply_config(struct engine *e, struct config *c)
{
	config_free(e->config);
	e->config = c;
	e->runtime_modified = true;
	e->have_good_config = true;
	e->loaded_ms = clock_wall_ms();
	e->ctr.reloads++;
	emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_RUNTIME, 0, "runtime config applied: %zu entries",
	     c->n_entries);
	engine_request_pass(e, false, "runtime config change");
	return 0;
}

/* --- passes --------------------------------------------------------------- */

int engine_save_state(struct engine *e)
{
	if (e->run_dir && !e->o.dry_run)
		return state_save(e->run_dir, &e->managed);
	return 0;
}

/* Forget managed devices that no longer exist (hot-unplugged, or VFs removed
 * with their PF's count): if they come back they are new functions. */
void engine_forget_vanished(struct engine *e)
{
	bool changed = false;

	for (size_t i = 0; i < e->managed.n_devs;) {
		const char *bdf = e->managed.devs[i].bdf;
		struct engine_dev *d = engine_dev_get(e, bdf, false);

		if (!pci_find(e->pci, bdf) && !(d && d->in_flight)) {
			log_info("%s: gone, no longer managed", bdf);
			managed_remove(&e->managed, bdf);
			changed = true;
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < e->managed.n_pfs;) {
		if (!pci_find(e->pci, e->managed.pfs[i].bdf)) {
			managed_remove_pf(&e->managed, e->managed.pfs[i].bdf);
			changed = true;
			continue;
		}
		i++;
	}
	if (changed)
		engine_save_state(e);
}

int engine_rescan(struct engine *e)
{
	struct pci_state *st = NULL;
	int r = pci_scan(e->sysfs_root, &st);

	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "scan %s/bus/pci/devices", e->sysfs_root);
	pci_state_free(e->pci);
	e->pci = st;
	return 0;
}

/* --- in-use safety (inuse.c) ----------------------------------------------
 * Plan once; when the plan wants to BIND anything, gather in-use facts for
 * those devices only and plan again with them, so an interface carrying the
 * operator's connection or a mounted disk comes out `blocked` with the
 * reason, and is bound on the first pass after the reason goes away. */
int engine_compute_plan(struct engine *e, const struct config *c, struct plan **out,
			bool *inuse_found)
{
	struct plan_input in = {
		.config = c,
		.node_name = e->node_name,
		.pci = e->pci,
		.managed = &e->managed,
	};
	struct plan_inuse *use = NULL;
	struct plan *first = NULL;
	int r;

	r = plan_compute(&in, &first);
	if (r < 0)
		return r;
	r = inuse_for_plan(e->proc_root, e->sysfs_root, e->pci, first, &use, &in.n_inuse);
	if (r < 0) {
		/* Never plan binds without knowing what is in use. */
		plan_free(first);
		return r;
	}
	if (inuse_found)
		*inuse_found = in.n_inuse > 0;
	if (in.n_inuse == 0) {
		*out = first;
		return 0;
	}
	plan_free(first);
	in.inuse = use;
	r = plan_compute(&in, out);
	free(use);
	return r;
}
/* --- end of in-use safety --------------------------------------------------- */

/* Record state changes of every planned device, with a log line and event. */
void engine_note_statuses(struct engine *e)
{
	long long now = clock_wall_ms();

	for (size_t i = 0; i < e->plan->n_statuses; i++) {
		const struct plan_status *s = &e->plan->statuses[i];
		struct engine_dev *d;

		if (s->pf_claim)
			continue;
		d = engine_dev_get(e, s->bdf, true);
		if (!d)
			continue;
		if (d->state != s->state || strcmp(d->reason, s->reason) != 0) {
			enum log_level lvl = s->state == PROTO_STATE_BLOCKED || s->state == PROTO_STATE_ERROR ?
						     LOG_LVL_WARNING : LOG_LVL_DEBUG;

			if (d->state != s->state)
				d->last_transition_ms = now;
			log_msg(lvl, "%s: %s%s%s", s->bdf, proto_state_name(s->state),
				s->reason[0] ? ": " : "", s->reason);
			emit(e, PROTO_EVENT_DEVICE, s->bdf, proto_state_name(s->state), 0, "%s",
			     s->reason);
		}
		d->state = s->state;
		util_strlcpy(d->reason, s->reason, sizeof(d->reason));
	}
	if (e->pci && !e->pci->iommu_on && !e->iommu_warned) {
		bool vfio = false;

		for (size_t i = 0; i < e->plan->n_statuses && !vfio; i++)
			vfio = strcmp(e->plan->statuses[i].desired, CFG_DEFAULT_DRIVER) == 0;
		if (vfio) {
			/* Said once, not on every pass. */
			log_warning("IOMMU is off (no groups under %s/kernel/iommu_groups): vfio-pci "
				    "lines stay blocked; boot with intel_iommu=on or amd_iommu=on "
				    "(and iommu=pt)", e->sysfs_root);
			e->iommu_warned = true;
		}
	}
}

/* A RESTORE of a device already back on its original driver with no
 * override needs no sysfs writes: just stop managing it. */
bool engine_restore_is_noop(struct engine *e, const struct plan_action *a)
{
	const struct managed_dev *m = managed_find(&e->managed, a->bdf);
	const struct pci_dev *d = pci_find(e->pci, a->bdf);

	return m && d && m->original_driver[0] && strcmp(d->driver, m->original_driver) == 0 &&
	       !d->driver_override[0];
}

/* Before touching a device, write down where it came from, so that a crash
 * between unbind and probe still lets a restarted daemon give it back. When
 * that record cannot be kept (no memory, /run full or read-only), the device
 * is not touched: 0 or -errno. */
int engine_record_intent(struct engine *e, const struct plan_action *a)
{
	struct managed_dev m = { 0 };
	const struct pci_dev *d;
	int r;

	if (a->kind == PROTO_ACTION_NUMVFS) {
		struct managed_pf p = { 0 };

		if (managed_find_pf(&e->managed, a->bdf))
			return 0;
		util_strlcpy(p.bdf, a->bdf, sizeof(p.bdf));
		p.original_numvfs = a->current_numvfs;
		r = managed_add_pf(&e->managed, &p);
		if (r == 0 && (r = engine_save_state(e)) < 0)
			managed_remove_pf(&e->managed, a->bdf);
		return r;
	}
	if (a->kind != PROTO_ACTION_BIND || managed_find(&e->managed, a->bdf))
		return 0;
	util_strlcpy(m.bdf, a->bdf, sizeof(m.bdf));
	util_strlcpy(m.original_driver, a->current, sizeof(m.original_driver));
	util_strlcpy(m.driver, a->driver, sizeof(m.driver));
	d = pci_find(e->pci, a->bdf);
	if (d && d->n_ifnames)
		util_strlcpy(m.ifname, d->ifnames[0], sizeof(m.ifname));
	m.since_ms = clock_wall_ms();
	r = managed_add(&e->managed, &m);
	if (r == 0 && (r = engine_save_state(e)) < 0)
		managed_remove(&e->managed, a->bdf);
	return r;
}

/* A failure, from the binder or before it: counted, kept for status, and
 * retried after the backoff. */
void engine_note_failure(struct engine *e, struct engine_dev *d, const struct plan_action *a,
			 int err, const char *msg, long long now)
{
	e->ctr.failures++;
	if (!d)
		return;
	d->failures++;
	d->last_errno = err < 0 ? -err : err;
	util_strlcpy(d->last_error, msg && *msg ? msg : strerror(d->last_errno),
		     sizeof(d->last_error));
	d->retry_at_ms = now + engine_backoff_ms(d->failures);
	log_warning("%s: %s failed %d time%s, retry in %llds", a->bdf, proto_action_name(a->kind),
		    d->failures, d->failures == 1 ? "" : "s", (d->retry_at_ms - now) / 1000);
}

/* An action on a VF whose PF is about to change (or is changing) its VF count
 * waits: the count always passes through 0, so the VF it was planned for is
 * about to be removed and created anew. The pass after the change plans it
 * again against the new VF. */
bool engine_vf_waits_for_pf(const struct engine *e, const struct plan *p,
			    const struct plan_action *a)
{
	const struct pci_dev *vf = pci_find(e->pci, a->bdf);
	const struct engine_dev *pf;

	if (a->kind == PROTO_ACTION_NUMVFS || !vf || !vf->physfn[0])
		return false;
	for (size_t i = 0; p && i < p->n_actions; i++)
		if (p->actions[i].kind == PROTO_ACTION_NUMVFS &&
		    strcmp(p->actions[i].bdf, vf->physfn) == 0)
			return true;
	pf = engine_dev_get((struct engine *)e, vf->physfn, false);
	return pf && pf->in_flight && pf->in_flight_kind == PROTO_ACTION_NUMVFS;
}

static void dispatch(struct engine *e, const struct plan_action *a, long long now)
{
	struct engine_dev *d = engine_dev_get(e, a->bdf, true);
	struct worker_job *job;
	char text[512];
	int r;

	if (!d || d->in_flight || (d->retry_at_ms && d->retry_at_ms > now))
		return;
	/* A function handed back to the kernel that no driver took stays as it
	 * is until an event about it says something changed. */
	if ((a->kind == PROTO_ACTION_RESTORE && d->handed_back) ||
	    engine_vf_waits_for_pf(e, e->plan, a))
		return;
	plan_format_action(a, text, sizeof(text));
	if (e->o.dry_run) {
		log_info("dry-run: would %s", text);
		return;
	}
	if (a->kind == PROTO_ACTION_RESTORE && engine_restore_is_noop(e, a)) {
		log_info("%s: already back on %s, no longer managed", a->bdf, a->current);
		managed_remove(&e->managed, a->bdf);
		engine_save_state(e);
		return;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return;
	job->action = *a;
	r = engine_record_intent(e, a);
	if (r < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s: not touched: cannot record it in %s/state.json: %s",
			 a->bdf, e->run_dir ? e->run_dir : "-", strerror(-r));
		log_error("%s", msg);
		engine_note_failure(e, d, a, r, msg, now);
		free(job);
		return;
	}
	log_info("%s", text);
	d->in_flight = true;
	d->in_flight_kind = a->kind;
	d->in_flight_since_ms = now;
	if (worker_submit(e->workers, job) < 0) {
		d->in_flight = false;
		free(job);
	}
}

static void arm_retry(struct engine *e, long long now)
{
	long long next = 0;

	for (size_t i = 0; i < e->n_devs; i++) {
		long long t = e->devs[i].retry_at_ms;

		if (t > now && (!next || t < next))
			next = t;
	}
	if (next) {
		long long ms = next - now;
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		evtimer_add(e->retry_ev, &tv);
	}
}

static void run_pass(struct engine *e)
{
	struct plan *p = NULL;
	long long now = clock_wall_ms();
	bool full = e->pass_full || !e->pci;

	e->pass_full = false;
	if (full && engine_rescan(e) < 0 && !e->pci)
		return;
	engine_forget_vanished(e);
	if (!e->have_good_config) {
		/* Started with a file we refuse: planning with nothing would give
		 * back every device this daemon took before its restart, from
		 * under the VMs using them. Hold everything until a good config. */
		if (!e->hold_logged)
			log_error("no valid config loaded yet: every device stays as it is until "
				  "%s is fixed", e->config_path);
		e->hold_logged = true;
		e->ctr.passes++;
		engine_check_settled(e);
		return;
	}
	if (engine_compute_plan(e, e->config, &p, &e->inuse_seen) < 0) {
		log_error("planner failed: out of memory");
		return;
	}
	plan_free(e->plan);
	e->plan = p;
	engine_note_statuses(e);
	for (size_t i = 0; i < p->n_actions; i++)
		dispatch(e, &p->actions[i], now);
	dev_prune(e);
	e->ctr.passes++;
	emit(e, PROTO_EVENT_PASS, NULL, full ? PROTO_PASS_FULL : PROTO_PASS_PARTIAL, 0, "pass %lu: %zu action(s)",
	     e->ctr.passes, p->n_actions);
	arm_retry(e, now);
	if (e->inuse_seen) {
		/* An address removed or a disk unmounted raises no PCI event:
		 * look again soon, but only while something is held back. */
		struct timeval tv = { ENGINE_INUSE_RECHECK_S, 0 };

		evtimer_add(e->inuse_ev, &tv);
	}
	engine_check_settled(e);
}

static void on_pass(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	e->pass_scheduled = false;
	if (!e->stopping)
		run_pass(e);
}

void engine_request_pass(struct engine *e, bool full, const char *why)
{
	struct timeval tv = { e->o.coalesce_ms / 1000, (e->o.coalesce_ms % 1000) * 1000 };

	e->pass_full |= full;
	if (e->pass_scheduled || !e->pass_ev)
		return;
	/* The first request opens a short window; later ones ride along, so a
	 * burst of 128 VF events gives one pass, not 128. */
	log_debug("pass requested: %s", why);
	e->pass_scheduled = true;
	evtimer_add(e->pass_ev, &tv);
}

/* --- results ------------------------------------------------------------- */

/* Outcomes are logged by the binder; here only the managed set follows. */
static void note_success(struct engine *e, const struct plan_action *a, long long when)
{
	struct managed_dev *m;

	switch (a->kind) {
	case PROTO_ACTION_BIND:
		e->ctr.binds++;
		m = managed_find(&e->managed, a->bdf);
		if (m) {
			util_strlcpy(m->driver, a->driver, sizeof(m->driver));
			m->since_ms = when;
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

void engine_finish_job(struct engine *e, struct worker_job *job)
{
	const struct plan_action *a = &job->action;
	struct engine_dev *d = engine_dev_get(e, a->bdf, true);
	long long now = clock_wall_ms();

	if (d) {
		d->in_flight = false;
		d->in_flight_since_ms = 0;
	}
	if (job->rc == 0) {
		note_success(e, a, now);
		if (d) {
			/* Given back and no driver took it (a VF whose driver is
			 * blacklisted, say): planning the same restore again would
			 * loop; wait for an event about it instead. */
			d->handed_back = a->kind == PROTO_ACTION_RESTORE && !job->res.driver_after[0];
			d->failures = 0;
			d->last_errno = 0;
			d->last_error[0] = '\0';
			d->retry_at_ms = 0;
		}
		emit(e, PROTO_EVENT_ACTION, a->bdf, PROTO_ACTION_OK, 0, "%s %s: done",
		     proto_action_name(a->kind), a->bdf);
	} else {
		/* The binder logged the failure itself; add when it is tried again. */
		engine_note_failure(e, d, a, job->rc, job->res.msg, now);
		emit(e, PROTO_EVENT_ACTION, a->bdf, PROTO_ACTION_FAILED, -job->rc, "%s",
		     job->res.msg[0] ? job->res.msg : strerror(-job->rc));
	}
	engine_save_state(e);
	/* VF counts add and remove functions: rescan; else re-read one device. */
	if (a->kind == PROTO_ACTION_NUMVFS)
		e->pass_full = true;
	else if (e->pci)
		pci_state_refresh(e->pci, e->sysfs_root, a->bdf);
}

static void on_job_done(struct worker_job *job, void *ud)
{
	struct engine *e = ud;

	engine_finish_job(e, job);
	engine_waiters_note(e, &job->action, job->rc == 0);
	free(job);
	if (!e->stopping)
		engine_request_pass(e, false, "action finished");
}

void engine_reconcile_now(struct engine *e, const char *why)
{
	for (size_t i = 0; i < e->n_devs; i++)
		e->devs[i].retry_at_ms = 0;
	engine_request_pass(e, true, why);
}

void engine_device_event(struct engine *e, const char *action, const char *bdf)
{
	const struct managed_dev *m;
	const struct pci_dev *d;
	struct engine_dev *info;

	if (!bdf_is_canonical(bdf))
		return;
	e->ctr.events++;
	log_debug("event: %s %s", action, bdf);
	if (!e->pci) {
		engine_request_pass(e, true, "event before first scan");
		return;
	}
	pci_state_refresh(e->pci, e->sysfs_root, bdf);
	m = managed_find(&e->managed, bdf);
	d = pci_find(e->pci, bdf);
	info = engine_dev_get(e, bdf, false);
	if (info)
		info->handed_back = false; /* something happened to it: look again */
	/* Someone moved a device we had converged. With real udev the unbind
	 * event usually comes first, so any event may be the one that shows it;
	 * leaving `converged` at once makes the warning one per episode. Our own
	 * actions are in flight, and a failed bind was never converged. */
	if (m && d && info && !info->in_flight && info->state == PROTO_STATE_CONVERGED &&
	    strcmp(d->driver, m->driver) != 0) {
		if (d->driver[0])
			log_warning("%s: moved to %s behind vfiobindd's back; taking it back to %s",
				    bdf, d->driver, m->driver);
		else
			log_warning("%s: unbound behind vfiobindd's back; taking it back to %s", bdf,
				    m->driver);
		info->state = PROTO_STATE_PENDING;
		snprintf(info->reason, sizeof(info->reason), "moved behind vfiobindd's back");
		info->last_transition_ms = clock_wall_ms();
	}
	engine_request_pass(e, false, action);
}

/* --- timers and lifecycle ------------------------------------------------ */

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	engine_request_pass(arg, false, "retry");
}

static void on_inuse_recheck(evutil_socket_t fd, short what, void *arg)
{
	engine_request_pass(arg, false, "in-use re-check");
}

static void on_settle_check(evutil_socket_t fd, short what, void *arg)
{
	engine_check_settled(arg);
}

static void on_resync(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	/* The safety net for missed events: re-read the file and every device. */
	if (!e->runtime_modified)
		engine_reload(e, "resync");
	engine_request_pass(e, true, "resync");
}

struct engine *engine_new(struct event_base *base, const struct engine_opts *opts)
{
	struct engine *e = calloc(1, sizeof(*e));
	const char *proc_root;

	if (!e)
		return NULL;
	e->base = base;
	e->o = *opts;
	e->config_path = strdup(opts->config_path);
	e->sysfs_root = strdup(opts->sysfs_root);
	e->node_name = strdup(opts->node_name);
	e->run_dir = opts->run_dir ? strdup(opts->run_dir) : NULL;
	proc_root = opts->proc_root ? opts->proc_root : inuse_default_proc_root(opts->sysfs_root);
	e->proc_root = proc_root ? strdup(proc_root) : NULL;
	if (!e->config_path || !e->sysfs_root || !e->node_name || (opts->run_dir && !e->run_dir) ||
	    (proc_root && !e->proc_root)) {
		engine_free(e);
		return NULL;
	}
	if (e->o.workers == 0)
		e->o.workers = 4;
	if (e->o.stuck_ms <= 0)
		e->o.stuck_ms = 10000;
	if (e->o.coalesce_ms < 0)
		e->o.coalesce_ms = 0;
	pthread_mutex_init(&e->modules_lock, NULL);
	e->locked_modules.load = locked_load;
	e->locked_modules.ud = e;
	e->bctx.root = e->sysfs_root;
	e->bctx.sysfs = opts->sysfs;
	e->bctx.modules = &e->locked_modules;
	if (e->run_dir)
		state_load(e->run_dir, &e->managed);
	return e;
}

void engine_set_event_cb(struct engine *e, engine_event_fn fn, void *ud)
{
	e->ev_fn = fn;
	e->ev_ud = ud;
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
	if (!converged)
		log_warning("first pass done, but not every claimed device is converged "
			    "(see vfiobind status)");
	if (e->ready_fn)
		e->ready_fn(e->ready_ud);
}

int engine_start(struct engine *e)
{
	e->pass_ev = evtimer_new(e->base, on_pass, e);
	e->retry_ev = evtimer_new(e->base, on_retry, e);
	e->settle_ev = evtimer_new(e->base, on_settle_check, e);
	e->inuse_ev = evtimer_new(e->base, on_inuse_recheck, e);
	if (!e->pass_ev || !e->retry_ev || !e->settle_ev || !e->inuse_ev)
		return -ENOMEM;
	if (!e->o.dry_run) {
		e->workers = worker_pool_new(e->base, e->o.workers, &e->bctx, on_job_done, e);
		if (!e->workers)
			return -ENOMEM;
	}
	if (e->o.resync_s > 0) {
		struct timeval tv = { e->o.resync_s, 0 };

		e->resync_ev = event_new(e->base, -1, EV_PERSIST, on_resync, e);
		if (!e->resync_ev || event_add(e->resync_ev, &tv) < 0)
			return -ENOMEM;
	}
	if (!engine_wait_settled(e, on_first_settled, e))
		return -ENOMEM;
	engine_reload(e, "start");
	/* The first pass runs at once, not after the coalescing window. */
	e->pass_full = true;
	run_pass(e);
	return 0;
}

bool engine_shutdown(struct engine *e, int timeout_ms)
{
	bool abandoned = false;

	e->stopping = true;
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
	if (e->pass_ev)
		event_free(e->pass_ev);
	if (e->retry_ev)
		event_free(e->retry_ev);
	if (e->settle_ev)
		event_free(e->settle_ev);
	if (e->inuse_ev)
		event_free(e->inuse_ev);
	engine_waiters_free(e);
	if (e->resync_ev)
		event_free(e->resync_ev);
	config_free(e->config);
	free(e->config_text);
	free(e->proc_root);
	cfg_errors_clear(&e->rejected);
	pci_state_free(e->pci);
	plan_free(e->plan);
	managed_clear(&e->managed);
	free(e->devs);
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
long long engine_config_loaded_ms(const struct engine *e) { return e->loaded_ms; }

const struct engine_dev *engine_dev_info(const struct engine *e, const char *bdf)
{
	return engine_dev_get((struct engine *)e, bdf, false);
}

int engine_plan_with(struct engine *e, const struct config *c, struct plan **out)
{
	return engine_compute_plan(e, c, out, NULL);
}
