/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-state.c: the engine's record on disk, RUN_DIR/state.json
 * (daemon/state.h): read when the engine is made, judged when it starts (a
 * file it cannot use whole is moved aside, never overwritten), written
 * before a device is touched and after every outcome. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine-private.h"
#include "log.h"
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
	m.since_ms = engine_wall(e); /* epoch: state.json is read by humans too */
	r = managed_add(&e->managed, &m);
	if (r == 0 && (r = engine_save_state(e)) < 0)
		managed_remove(&e->managed, a->bdf);
	return r;
}
