/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-events.c: what the engine tells the world. Events for `watch`
 * subscribers, and every device's state as the device view (logic/view.h)
 * says it: a state that changed is logged once and sent once, so the log,
 * `watch` and `status` say the same thing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine-private.h"
#include "log.h"

void engine_emit(struct engine *e, enum proto_event_kind kind, const char *bdf,
		 const char *state, int err, const char *fmt, ...)
{
	struct engine_event ev = { kind, bdf, state, NULL, err };
	char msg[768];
	va_list ap;

	/* What the engine tells changed: the reports (metrics, NFD) follow. */
	e->report_dirty = true;
	if (!e->ev_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev.message = msg;
	e->ev_fn(&ev, e->ev_ud);
}

static void tell(struct engine *e, struct devtab_entry *d, const struct view_dev *v,
		 long long now)
{
	uint64_t h = devtab_reason_hash(v->reason);
	enum log_level lvl;

	if (d->told && d->state == v->state && d->reason_hash == h)
		return;
	if (!d->told || d->state != v->state)
		d->last_transition_ms = now;
	d->told = true;
	d->state = v->state;
	d->reason_hash = h;
	lvl = v->state == PROTO_STATE_BLOCKED || v->state == PROTO_STATE_ERROR ||
			      v->state == PROTO_STATE_STUCK ?
		      LOG_LVL_WARNING :
		      LOG_LVL_DEBUG;
	log_msg(lvl, "%s: %s%s%s", d->bdf, proto_state_name(v->state), v->reason[0] ? ": " : "",
		v->reason);
	engine_emit(e, PROTO_EVENT_DEVICE, d->bdf, proto_state_name(v->state), 0, "%s",
		    v->reason);
}

/* Said once, not on every pass. */
static void warn_iommu_off(struct engine *e)
{
	if (!e->pci || e->pci->iommu_on || e->iommu_warned)
		return;
	for (size_t i = 0; i < e->plan->n_statuses; i++) {
		if (strcmp(e->plan->statuses[i].desired, CFG_DEFAULT_DRIVER) == 0) {
			log_warning("IOMMU is off (no groups under %s/kernel/iommu_groups): vfio-pci "
				    "lines stay blocked; boot with intel_iommu=on or amd_iommu=on "
				    "(and iommu=pt)", e->sysfs_root);
			e->iommu_warned = true;
			return;
		}
	}
}

void engine_tell_views(struct engine *e, long long now)
{
	if (!e->plan)
		return;
	for (size_t i = 0; i < e->plan->n_statuses; i++) {
		const struct plan_status *s = &e->plan->statuses[i];
		struct devtab_entry *d;
		struct view_dev v;

		if (s->pf_claim)
			continue;
		d = devtab_get(&e->devs, s->bdf, true);
		if (!d)
			continue;
		v = view_device(s, d, now, e->o.stuck_ms);
		tell(e, d, &v, now);
	}
	warn_iommu_off(e);
}

bool engine_converged(const struct engine *e, long long now)
{
	for (size_t i = 0; e->plan && i < e->plan->n_statuses; i++) {
		const struct plan_status *s = &e->plan->statuses[i];

		if (view_device(s, devtab_find(&e->devs, s->bdf), now, e->o.stuck_ms).state !=
		    PROTO_STATE_CONVERGED)
			return false;
	}
	return true;
}
