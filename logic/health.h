/* SPDX-License-Identifier: GPL-2.0-or-later */
/* health.h: the node's health, one definition for everything that tells it:
 * `vfiobind status --quiet`, `vfiobind wait`, the Prometheus figures and the
 * Node Feature Discovery labels (vfiobindd(8), "Health"). Pure: it reads the
 * plan, the device table and the facts it is given, and the time as an
 * argument, beside the device view (view.h) whose states it counts.
 *
 * The mapping, device by device (its view's state):
 *
 *   state      settled  counts against health
 *   converged  yes      no
 *   absent     yes      no   a line for hardware this node lacks
 *   blocked    yes      no   a deliberate, named reason: in use, held, group
 *                            not viable, boot VGA, a bridge
 *              yes      yes  no isolation for a vfio-pci line: the IOMMU is
 *                            off, or the device has no IOMMU group
 *   pending    no       -
 *   error      yes      yes
 *   stuck      yes      yes  in the kernel past --stuck-timeout: the engine
 *                            stops waiting for it, so waiters are answered
 *
 * and the config: a rejected or missing file (the last good config stays in
 * force) counts against health; no valid config ever loaded (every device
 * held as it is) is neither settled nor healthy.
 *
 * The node is settled when no selected device is pending (and a valid config
 * was loaded); healthy when settled and nothing counts against it. The word:
 * degraded when anything counts against health (even while others are
 * pending), else progressing when not settled, else healthy. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "devtab.h"
#include "managed.h"
#include "pci.h"
#include "plan.h"
#include "view.h"
#include "vocab.h"

enum health_word {
	HEALTH_HEALTHY = 0,
	HEALTH_PROGRESSING,
	HEALTH_DEGRADED,
};
#define HEALTH__MAX (HEALTH_DEGRADED + 1)

/* What the config in force says of the file. */
enum health_config {
	HEALTH_CONFIG_OK = 0,		/* the file, as it is now */
	HEALTH_CONFIG_REJECTED,		/* the file is invalid: the last good config stays */
	HEALTH_CONFIG_MISSING,		/* the file is gone: the last good config stays */
	HEALTH_CONFIG_NONE,		/* no valid config ever: every device held as it is */
};

/* How one device counts for the node. */
enum health_class {
	HEALTH_CLASS_OK = 0,		/* settled, fine: converged, absent, blocked on purpose */
	HEALTH_CLASS_WAIT,		/* not settled: pending */
	HEALTH_CLASS_BAD,		/* settled, counts against health */
};

struct health_input {
	const struct plan *plan;	/* NULL: nothing planned yet */
	const struct devtab *devs;	/* NULL: no runtime facts */
	const struct pci_state *pci;	/* IOMMU on, bridges, pf=/ifname= selectors */
	const struct managed_set *managed;
	long long now, stuck_ms;	/* for the device view */
	enum health_config config;
	bool busy;			/* a pass is due, which may change any device
					   (a config just loaded): not settled */
	/* Only the statuses these select (NULL: every one). A BDF that selects
	 * no status keeps the node unsettled ("no line claims it"); another
	 * selector that selects none is simply nothing to wait for. */
	const struct cfg_selector *only;
	size_t n_only;
};

#define HEALTH_REASON_MAX 320

struct health {
	unsigned long by_state[PROTO_STATE__MAX];	/* selected statuses, by view */
	unsigned long total;
	bool settled, healthy;
	enum health_word word;
	/* The first thing that makes the word what it is: "0000:03:00.1: error:
	 * unbind from igb: ...", "config rejected", ""; and the first device
	 * still waited for (or a BDF no line claims), "" when settled. */
	char reason[HEALTH_REASON_MAX];
	char waiting[HEALTH_REASON_MAX];
};

const char *health_word_name(enum health_word w);
const char *health_class_name(enum health_class c);

/* Does status st count for in (its selectors, or every status)? */
bool health_selected(const struct health_input *in, const struct plan_status *st);
/* How st, whose view is v, counts for the node. */
enum health_class health_classify(const struct health_input *in, const struct plan_status *st,
				  const struct view_dev *v);
/* The view of st at in->now (its devtab entry when in->devs has one). */
struct view_dev health_view(const struct health_input *in, const struct plan_status *st);
/* The node's health over the selected statuses. */
void health_compute(const struct health_input *in, struct health *out);
