/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-state.c: the engine's record on disk, RUN_DIR/state.json
 * (daemon/state.h): read when the engine is made, judged when it starts (a
 * file it cannot use whole is moved aside, never overwritten), written
 * before a device is touched and after every outcome. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"
#include "log.h"
#include "pci-scan.h"
#include "state.h"

void engine_load_state(struct engine *e)
{
	if (!e->run_dir)
		return;
	e->state_err = state_load(e->run_dir, &e->managed, e->state_why, sizeof(e->state_why));
	e->state_aside_due = e->state_err != 0;
}

/* Move the file we cannot use out of the way of our next save. */
static int keep_aside(struct engine *e)
{
	char name[STATE_ASIDE_MAX];
	int r;

	r = state_keep_aside(e->run_dir, engine_wall(e), name, sizeof(name));
	if (r == -ENOENT) {
		/* Someone removed it meanwhile: nothing left to overwrite. */
		e->state_aside_due = false;
		return 0;
	}
	if (r < 0) {
		if (!e->state_aside_failed)
			log_error("%s/%s: %s; it cannot be moved aside (%s): nothing is touched "
				  "until it is removed", e->run_dir, STATE_FILE, e->state_why,
				  strerror(-r));
		e->state_aside_failed = true;
		return r;
	}
	log_error("%s/%s: %s; kept aside as %s/%s: the devices it listed are not known to be "
		  "vfiobindd's, and none of them is given back", e->run_dir, STATE_FILE,
		  e->state_why, e->run_dir, name);
	e->state_aside_due = false;
	e->state_aside_failed = false;
	if (e->n_state_aside < ENGINE_ASIDE_MAX)
		util_strlcpy(e->state_aside[e->n_state_aside++], name, STATE_ASIDE_MAX);
	return 0;
}

void engine_judge_state(struct engine *e)
{
	int n;

	if (!e->run_dir)
		return;
	/* Files an earlier run kept aside are still the operator's to see to. */
	n = state_list_aside(e->run_dir, e->state_aside, ENGINE_ASIDE_MAX);
	e->n_state_aside = n > 0 ? (size_t)n : 0;
	e->state_judged = true;
	if (!e->state_aside_due)
		return;
	if (e->o.dry_run)
		log_warning("%s/%s: %s; a dry run leaves it where it is", e->run_dir, STATE_FILE,
			    e->state_why);
	else
		keep_aside(e);
}

int engine_save_state(struct engine *e)
{
	int r;

	if (!e->run_dir || e->o.dry_run)
		return 0;
	/* Before the start judged the file, a save (a shutdown on an early
	 * error) would overwrite what nobody looked at. */
	if (!e->state_judged)
		return -EAGAIN;
	if (e->state_aside_due && (r = keep_aside(e)) < 0)
		return r;
	return state_save(e->run_dir, &e->managed);
}

size_t engine_state_aside(const struct engine *e, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_state_aside && n < max; i++)
		if (state_aside_present(e->run_dir, e->state_aside[i]))
			names[n++] = e->state_aside[i];
	return n;
}

const char *engine_state_unusable(const struct engine *e)
{
	return e->state_aside_failed ? e->state_why : NULL;
}

/* The journal entry of action a: what its writes may leave half done. */
static void fill_intent(struct engine *e, const struct plan_action *a, struct managed_intent *in)
{
	const struct managed_intent *open = managed_find_intent(&e->managed, a->bdf);
	const struct pci_dev *pf;

	*in = (struct managed_intent){ .kind = a->kind, .numvfs = -1, .from_numvfs = -1,
				       .autoprobe = -1, .since_ms = engine_wall(e) };
	util_strlcpy(in->bdf, a->bdf, sizeof(in->bdf));
	util_strlcpy(in->driver, a->driver, sizeof(in->driver));
	util_strlcpy(in->from_driver, a->current, sizeof(in->from_driver));
	if (a->kind != PROTO_ACTION_NUMVFS)
		return;
	in->numvfs = a->numvfs;
	in->from_numvfs = a->current_numvfs;
	/* The binder turns sriov_drivers_autoprobe off around creating VFs
	 * when it is on (bind_set_numvfs): the value it will put back, read
	 * now, is what a restart must put back if it never could. */
	if (a->autoprobe_off && a->numvfs > 0 && e->pci) {
		pci_state_refresh(e->pci, e->sysfs_root, a->bdf);
		pf = pci_find(e->pci, a->bdf);
		if (pf && pf->sriov_autoprobe > 0)
			in->autoprobe = pf->sriov_autoprobe;
	}
	/* An entry whose recovery failed still knows the value to go back to
	 * (what the PF shows now is what the crash left). */
	if (open && open->kind == PROTO_ACTION_NUMVFS && open->autoprobe >= 0)
		in->autoprobe = open->autoprobe;
}

/* What recording one action added, to take it back. */
struct undo {
	bool had;			/* an entry for the device was there before */
	struct managed_intent before;
	bool new_dev, new_pf;
};

/* Add action a's journal entry and managed record in memory. */
static int note_intent(struct engine *e, const struct plan_action *a, struct undo *u)
{
	struct managed_set *m = &e->managed;
	const struct managed_intent *was = managed_find_intent(m, a->bdf);
	struct managed_intent in;
	int r;

	if (was) {
		u->before = *was;
		u->had = true;
	}
	fill_intent(e, a, &in);
	r = managed_add_intent(m, &in);
	if (r == 0 && a->kind == PROTO_ACTION_NUMVFS && !managed_find_pf(m, a->bdf)) {
		struct managed_pf p = { 0 };

		util_strlcpy(p.bdf, a->bdf, sizeof(p.bdf));
		p.original_numvfs = a->current_numvfs;
		r = managed_add_pf(m, &p);
		u->new_pf = r == 0;
	}
	if (r == 0 && a->kind == PROTO_ACTION_BIND && !managed_find(m, a->bdf)) {
		struct managed_dev md = { 0 };
		const struct pci_dev *d = pci_find(e->pci, a->bdf);

		util_strlcpy(md.bdf, a->bdf, sizeof(md.bdf));
		util_strlcpy(md.original_driver, a->current, sizeof(md.original_driver));
		util_strlcpy(md.driver, a->driver, sizeof(md.driver));
		if (d && d->n_ifnames)
			util_strlcpy(md.ifname, d->ifnames[0], sizeof(md.ifname));
		md.since_ms = in.since_ms; /* epoch: state.json is read by humans too */
		r = managed_add(m, &md);
		u->new_dev = r == 0;
	}
	return r;
}

static void take_back(struct engine *e, const struct plan_action *a, const struct undo *u)
{
	if (u->new_dev)
		managed_remove(&e->managed, a->bdf);
	if (u->new_pf)
		managed_remove_pf(&e->managed, a->bdf);
	if (u->had)
		managed_add_intent(&e->managed, &u->before); /* it was there: so is room */
	else
		managed_remove_intent(&e->managed, a->bdf);
}

/* Before touching devices, write down where each came from and what is
 * about to change, so that a crash half way (an override set, a device
 * unbound, sriov_drivers_autoprobe off) is undone or finished by the next
 * start (engine-recover.c). When that record cannot be kept (no memory,
 * /run full or read-only), no device is touched: 0 or -errno. */
int engine_record_intents(struct engine *e, const struct plan_action *const *acts, size_t n)
{
	struct undo *u = calloc(n ? n : 1, sizeof(*u));
	size_t done = 0;
	int r = u ? 0 : -ENOMEM;

	while (r == 0 && done < n) {
		r = note_intent(e, acts[done], &u[done]);
		done++;
	}
	if (r == 0)
		r = engine_save_state(e);
	if (r < 0 && u)
		while (done--) /* newest first: each undo sees the set it left */
			take_back(e, acts[done], &u[done]);
	free(u);
	return r;
}

void engine_intent_done(struct engine *e, const char *bdf)
{
	managed_remove_intent(&e->managed, bdf);
}
