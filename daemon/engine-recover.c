/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-recover.c: what a daemon killed in the middle of an action left
 * behind. Every action is written to state.json's journal before its first
 * write to the system and struck off once its outcome is in
 * (engine-state.c); an entry still there at start is an action a crash cut
 * short. Before the first pass each one is undone or finished:
 *
 *   numvfs   sriov_drivers_autoprobe goes back to the value recorded (else
 *            no host driver would ever take the PF's VFs again, and the
 *            next count change would read 0 and keep it); the count itself
 *            is the plan's: the PF is in the managed set, so the first pass
 *            redoes the change the config asks for or undoes it;
 *   bind     done when the device is on its target; when it is on no
 *            driver (unbound, never probed), or still on the driver it came
 *            from with our override set, it goes back where it came from
 *            (a restore: override cleared, probe) and the first pass binds
 *            it again if the config still says so, so that a device the plan
 *            now holds back (blocked) keeps neither our override nor a
 *            missing driver;
 *   restore  finished (a restore again) when the device is on no driver.
 *
 * Anything else (the device gone, moved by someone meanwhile) is left to
 * the plan. The autoprobe write is one attribute store, made here on the
 * loop thread before any count change can read it; the restores go to the
 * workers like any action, and the first pass waits for them (in flight). */
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "engine-private.h"
#include "log.h"

/* 0 when done (or nothing to do), -errno when the entry must stay. */
static int recover_autoprobe(struct engine *e, const struct managed_intent *in)
{
	struct bind_result res;
	int r;

	if (in->autoprobe < 0 || !pci_find(e->pci, in->bdf))
		return 0;
	r = bind_set_autoprobe(&e->bctx, in->bdf, in->autoprobe, &res);
	if (r < 0)
		log_error("%s: a VF count change (%d -> %d) was cut short by a restart, and "
			  "sriov_drivers_autoprobe cannot be put back to %d: %s", in->bdf,
			  in->from_numvfs, in->numvfs, in->autoprobe, res.msg);
	else
		log_warning("%s: a VF count change (%d -> %d) was cut short by a restart: %s",
			    in->bdf, in->from_numvfs, in->numvfs, res.msg);
	return r;
}

/* The restore that puts back what interrupted action in left half done;
 * false when nothing is half done. */
static bool undo_action(const struct engine *e, const struct managed_intent *in,
			struct plan_action *a)
{
	const struct pci_dev *d = pci_find(e->pci, in->bdf);
	const char *back = in->kind == PROTO_ACTION_BIND ? in->from_driver : in->driver;
	bool half_done;

	if (!d)
		return false;
	if (in->kind == PROTO_ACTION_RESTORE)
		half_done = !d->driver[0];
	else if (strcmp(d->driver, in->driver) == 0)
		half_done = false; /* it finished */
	else if (strcmp(d->driver, in->from_driver) == 0)
		half_done = strcmp(d->driver_override, in->driver) == 0; /* our override lingers */
	else
		half_done = !d->driver[0]; /* unbound, never probed */
	if (!half_done)
		return false;
	*a = (struct plan_action){ .kind = PROTO_ACTION_RESTORE, .numvfs = -1,
				   .current_numvfs = -1 };
	util_strlcpy(a->bdf, in->bdf, sizeof(a->bdf));
	util_strlcpy(a->driver, back, sizeof(a->driver));
	util_strlcpy(a->current, d->driver, sizeof(a->current));
	return true;
}

static void recover_one(struct engine *e, const struct managed_intent *in, long long now)
{
	struct devtab_entry *d;
	struct plan_action a;

	if (in->kind == PROTO_ACTION_NUMVFS) {
		if (recover_autoprobe(e, in) == 0)
			engine_intent_done(e, in->bdf);
		return;
	}
	if (!undo_action(e, in, &a)) {
		engine_intent_done(e, in->bdf);
		return;
	}
	log_warning("%s: a %s (%s -> %s) was cut short by a restart: putting it back on %s",
		    in->bdf, proto_action_name(in->kind), in->from_driver[0] ? in->from_driver : "none",
		    in->driver[0] ? in->driver : "none", a.driver[0] ? a.driver : "the kernel's choice");
	/* Its journal entry becomes this restore's. */
	engine_submit(e, (const struct plan_action *[]){ &a }, 1, now);
	/* Putting back what a crash left is not this run's try (--once). */
	if ((d = devtab_get(&e->devs, a.bdf, false)))
		d->attempts = 0;
}

void engine_recover(struct engine *e, long long now)
{
	struct managed_intent *open;
	size_t n = e->managed.n_intents;

	if (!n)
		return;
	if (e->o.dry_run) {
		log_warning("%s/state.json: %zu action%s cut short by a restart; a dry run leaves "
			    "%s as %s", e->run_dir, n, n == 1 ? " was" : "s were", n == 1 ? "it" : "them",
			    n == 1 ? "it is" : "they are");
		return;
	}
	if (engine_rescan(e) < 0)
		return;
	/* A copy: recovery adds and strikes off entries as it goes. */
	open = malloc(n * sizeof(*open));
	if (!open) {
		log_error("recovering the journal: out of memory");
		return;
	}
	memcpy(open, e->managed.intents, n * sizeof(*open));
	for (size_t i = 0; i < n; i++)
		recover_one(e, &open[i], now);
	free(open);
	engine_save_state(e);
}
