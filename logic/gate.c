/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gate.c: the action gate (see gate.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "util.h"

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int add_pf(struct gate *g, size_t *cap, const char *bdf)
{
	if (util_grow(&g->pfs_changing, g->n_pfs_changing, cap, sizeof(*g->pfs_changing)) < 0)
		return -ENOMEM;
	util_strlcpy(g->pfs_changing[g->n_pfs_changing++], bdf, BDF_BUFSZ);
	return 0;
}

int gate_init(struct gate *g, const struct plan *p)
{
	const struct devtab *devs = g->devs;
	size_t cap = 0;

	g->pfs_changing = NULL;
	g->n_pfs_changing = 0;
	for (size_t i = 0; p && i < p->n_actions; i++)
		if (p->actions[i].kind == PROTO_ACTION_NUMVFS &&
		    add_pf(g, &cap, p->actions[i].bdf) < 0)
			goto oom;
	for (size_t i = 0; devs && i < devs->n; i++)
		if (devs->v[i].in_flight && devs->v[i].in_flight_kind == PROTO_ACTION_NUMVFS &&
		    add_pf(g, &cap, devs->v[i].bdf) < 0)
			goto oom;
	if (g->n_pfs_changing > 1)
		qsort(g->pfs_changing, g->n_pfs_changing, sizeof(*g->pfs_changing), cmp_bdf);
	return 0;
oom:
	gate_clear(g);
	return -ENOMEM;
}

void gate_clear(struct gate *g)
{
	free(g->pfs_changing);
	g->pfs_changing = NULL;
	g->n_pfs_changing = 0;
}

/* A VF whose PF is in the changing set. */
static bool pf_changing(const struct gate *g, const struct plan_action *a)
{
	const struct pci_dev *vf;

	if (a->kind == PROTO_ACTION_NUMVFS || !g->n_pfs_changing)
		return false;
	vf = pci_find(g->pci, a->bdf);
	if (!vf || !vf->physfn[0])
		return false;
	return bsearch(vf->physfn, g->pfs_changing, g->n_pfs_changing, sizeof(*g->pfs_changing),
		       cmp_bdf) != NULL;
}

/* Back on its original driver with no override: a restore would write
 * nothing that matters. */
static bool restore_is_noop(const struct gate *g, const struct plan_action *a)
{
	const struct managed_dev *m = managed_find(g->managed, a->bdf);
	const struct pci_dev *d = pci_find(g->pci, a->bdf);

	return m && d && m->original_driver[0] && strcmp(d->driver, m->original_driver) == 0 &&
	       !d->driver_override[0];
}

bool gate_releases(const struct plan_action *a)
{
	return a->kind == PROTO_ACTION_RESTORE ||
	       (a->kind == PROTO_ACTION_NUMVFS && a->current_numvfs > 0);
}

enum gate_verdict gate_check(const struct gate *g, const struct plan_action *a)
{
	const struct devtab_entry *d = g->devs ? devtab_find(g->devs, a->bdf) : NULL;

	if (d && d->in_flight)
		return GATE_IN_FLIGHT;
	if (d && d->retry_at_ms && d->retry_at_ms > g->now)
		return GATE_BACKOFF;
	if (g->once && d && d->attempts)
		return GATE_ONE_TRY;
	if (a->kind == PROTO_ACTION_RESTORE && d &&
	    (d->handed_back || d->hand_back_until_ms > g->now))
		return GATE_HANDED_BACK;
	if (pf_changing(g, a))
		return GATE_PF_CHANGING;
	if (g->release_after && g->now < g->release_after && gate_releases(a))
		return GATE_GRACE;
	if (g->dry_run)
		return GATE_DRY_RUN;
	if (a->kind == PROTO_ACTION_RESTORE && restore_is_noop(g, a))
		return GATE_FORGET;
	return GATE_RUN;
}

const char *gate_verdict_name(enum gate_verdict v)
{
	switch (v) {
	case GATE_RUN:
		return "runs";
	case GATE_IN_FLIGHT:
		return "waits: an action on it is running";
	case GATE_BACKOFF:
		return "waits: backing off after a failure";
	case GATE_ONE_TRY:
		return "skipped: tried once in this run";
	case GATE_HANDED_BACK:
		return "waits: handed back to the kernel";
	case GATE_PF_CHANGING:
		return "waits: its PF's VF count changes first";
	case GATE_GRACE:
		return "waits: the config file just changed; it is read again before a release";
	case GATE_DRY_RUN:
		return "dry run";
	case GATE_FORGET:
		return "nothing to do: no longer managed";
	}
	return "unknown";
}
