/* SPDX-License-Identifier: GPL-2.0-or-later */
/* health.c: the node's health (see health.h for the mapping). */
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "util.h"

static const char *const word_names[HEALTH__MAX] = {
	[HEALTH_HEALTHY] = "healthy",
	[HEALTH_PROGRESSING] = "progressing",
	[HEALTH_DEGRADED] = "degraded",
};

const char *health_word_name(enum health_word w)
{
	return (int)w >= 0 && w < HEALTH__MAX ? word_names[w] : "unknown";
}

const char *health_class_name(enum health_class c)
{
	switch (c) {
	case HEALTH_CLASS_OK:
		return "ok";
	case HEALTH_CLASS_WAIT:
		return "waiting";
	case HEALTH_CLASS_BAD:
		return "bad";
	}
	return "unknown";
}

/* A BDF selector names st's device, present or not (an absent device has
 * no pci_dev for plan_selector_matches() to look at). */
static bool bdf_names(const struct cfg_selector *s, const char *bdf)
{
	char want[BDF_BUFSZ];

	bdf_format(&s->addr, want);
	return strcmp(want, bdf) == 0;
}

static bool selects(const struct health_input *in, const struct cfg_selector *s,
		    const struct plan_status *st)
{
	const struct pci_dev *d;

	if (s->kind == CFG_SEL_BDF)
		return bdf_names(s, st->bdf);
	d = pci_find(in->pci, st->bdf);
	return d && plan_selector_matches(s, d, in->pci, in->managed);
}

bool health_selected(const struct health_input *in, const struct plan_status *st)
{
	if (!in->only)
		return true;
	for (size_t i = 0; i < in->n_only; i++)
		if (selects(in, &in->only[i], st))
			return true;
	return false;
}

/* Blocked because vfio-pci cannot isolate the device at all: nothing the
 * daemon holds back on purpose, the kernel's command line or the firmware
 * must change (the planner's first two reasons for a vfio-pci line). */
static bool no_isolation(const struct health_input *in, const struct plan_status *st)
{
	const struct pci_dev *d = pci_find(in->pci, st->bdf);

	if (!in->pci || st->pf_claim || strcmp(st->desired, CFG_DEFAULT_DRIVER) != 0)
		return false;
	if (d && d->is_bridge)
		return false;
	return !in->pci->iommu_on || st->iommu_group < 0;
}

enum health_class health_classify(const struct health_input *in, const struct plan_status *st,
				  const struct view_dev *v)
{
	switch (v->state) {
	case PROTO_STATE_CONVERGED:
	case PROTO_STATE_ABSENT:
		return HEALTH_CLASS_OK;
	case PROTO_STATE_BLOCKED:
		return no_isolation(in, st) ? HEALTH_CLASS_BAD : HEALTH_CLASS_OK;
	case PROTO_STATE_PENDING:
		return HEALTH_CLASS_WAIT;
	case PROTO_STATE_ERROR:
	case PROTO_STATE_STUCK:
		return HEALTH_CLASS_BAD;
	}
	return HEALTH_CLASS_BAD;
}

struct view_dev health_view(const struct health_input *in, const struct plan_status *st)
{
	const struct devtab_entry *d = in->devs ? devtab_find(in->devs, st->bdf) : NULL;

	return view_device(st, d, in->now, in->stuck_ms);
}

/* The first cause into buf (kept when one is there): "BDF: STATE: REASON",
 * or, for what is waited for, "BDF (STATE: REASON)". */
static void note(char *buf, bool waiting, const char *bdf, const char *state, const char *reason)
{
	const char *sep = reason[0] ? ": " : "";

	if (buf[0])
		return;
	if (waiting)
		snprintf(buf, HEALTH_REASON_MAX, "%s (%s%s%s)", bdf, state, sep, reason);
	else
		snprintf(buf, HEALTH_REASON_MAX, "%s: %s%s%s", bdf, state, sep, reason);
}

static const char *config_reason(enum health_config c)
{
	switch (c) {
	case HEALTH_CONFIG_OK:
		return NULL;
	case HEALTH_CONFIG_REJECTED:
		return "config file rejected: the last good config stays in force";
	case HEALTH_CONFIG_MISSING:
		return "config file missing: the last good config stays in force";
	case HEALTH_CONFIG_NONE:
		return "no valid config loaded: every device stays as it is";
	}
	return "config unknown";
}

/* A BDF the caller named that no status answers for: waited for, since a
 * line may claim it once the config changes. */
static void unmatched_bdfs(const struct health_input *in, struct health *h)
{
	for (size_t i = 0; i < in->n_only; i++) {
		const struct cfg_selector *s = &in->only[i];
		char bdf[BDF_BUFSZ];
		bool found = false;

		if (s->kind != CFG_SEL_BDF)
			continue;
		bdf_format(&s->addr, bdf);
		for (size_t j = 0; in->plan && j < in->plan->n_statuses && !found; j++)
			found = strcmp(in->plan->statuses[j].bdf, bdf) == 0;
		if (found)
			continue;
		h->settled = false;
		note(h->waiting, true, bdf, "no line claims it", "");
	}
}

void health_compute(const struct health_input *in, struct health *h)
{
	const char *cfg = config_reason(in->config);
	char bad[HEALTH_REASON_MAX] = "";
	bool any_bad = cfg != NULL;

	memset(h, 0, sizeof(*h));
	h->settled = true;
	for (size_t i = 0; in->plan && i < in->plan->n_statuses; i++) {
		const struct plan_status *st = &in->plan->statuses[i];
		struct view_dev v;
		const char *state;

		if (!health_selected(in, st))
			continue;
		v = health_view(in, st);
		state = proto_state_name(v.state);
		h->by_state[v.state]++;
		h->total++;
		switch (health_classify(in, st, &v)) {
		case HEALTH_CLASS_OK:
			break;
		case HEALTH_CLASS_WAIT:
			h->settled = false;
			note(h->waiting, true, st->bdf, state, v.reason);
			break;
		case HEALTH_CLASS_BAD:
			any_bad = true;
			note(bad, false, st->bdf, state, v.reason);
			break;
		}
	}
	unmatched_bdfs(in, h);
	if (in->config == HEALTH_CONFIG_NONE) {
		h->settled = false;
		util_strlcpy(h->waiting, "a valid config (none loaded yet)", sizeof(h->waiting));
	} else if (in->busy && h->settled) {
		h->settled = false;
		util_strlcpy(h->waiting, "the pass that is due", sizeof(h->waiting));
	}
	h->healthy = h->settled && !any_bad;
	if (any_bad) {
		h->word = HEALTH_DEGRADED;
		util_strlcpy(h->reason, cfg ? cfg : bad, sizeof(h->reason));
	} else if (!h->settled) {
		h->word = HEALTH_PROGRESSING;
		util_strlcpy(h->reason, h->waiting, sizeof(h->reason));
	} else {
		h->word = HEALTH_HEALTHY;
	}
}
