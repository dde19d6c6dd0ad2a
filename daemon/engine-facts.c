/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-facts.c: what the engine knows of the machine: the PCI model (a
 * full scan, or one device an event names), which managed devices still
 * exist, and the in-use and holder facts the plan is computed with. What it
 * keeps on disk is engine-state.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"
#include "engine-private.h"
#include "holders-gather.h"
#include "inuse-gather.h"
#include "log.h"
#include "pci-scan.h"

/* Forget managed devices that no longer exist (hot-unplugged, or VFs removed
 * with their PF's count): if they come back they are new functions. */
void engine_forget_vanished(struct engine *e)
{
	bool changed = false;

	for (size_t i = 0; i < e->managed.n_devs;) {
		const char *bdf = e->managed.devs[i].bdf;
		const struct devtab_entry *d = devtab_find(&e->devs, bdf);

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

/* A device a worker is writing to, or a VF of a PF whose VF count a worker
 * is changing: the loop must not read it (pci-scan.h: pci_busy_fn). An
 * unbind under a VM, or a count change under a held VF, may wait in the
 * kernel for ever (force=yes, or a holder that came after the check), and a
 * read of driver_override or sriov_numvfs would then wait with it, and the
 * loop with them. */
static bool engine_busy(const char *bdf, void *ud)
{
	const struct engine *e = ud;
	const struct devtab_entry *d = devtab_find(&e->devs, bdf);
	const struct pci_dev *p;

	if (d && d->in_flight)
		return true;
	p = e->pci ? pci_find(e->pci, bdf) : NULL;
	if (!p || !p->physfn[0])
		return false;
	d = devtab_find(&e->devs, p->physfn);
	return d && d->in_flight && d->in_flight_kind == PROTO_ACTION_NUMVFS;
}

void engine_refresh(struct engine *e, const char *bdf)
{
	if (e->pci)
		pci_state_refresh_busy(e->pci, e->sysfs_root, bdf, engine_busy, e);
}

int engine_numa_node(struct engine *e, const char *bdf)
{
	return engine_busy(bdf, e) ? -1 : pci_read_numa_node(e->sysfs_root, bdf);
}

/* --once reads what it plans for, not every function, when the config names
 * devices by address only (the seed's format): those, the devices state.json
 * lists (its journal too), and what planning them needs (pci_scan_some: IOMMU
 * group members, the PF of a VF). A line by ID, class, interface or PF needs
 * every function; so does the daemon, which keeps a model of all of them.
 * The addresses in *bdfs (n of them, freed by the caller), or -ENOENT when
 * every function must be read. */
static int once_targets(const struct engine *e, char (**bdfs)[BDF_BUFSZ], size_t *n)
{
	const struct managed_set *m = &e->managed;
	const struct config *c = e->config;
	size_t cap, k = 0;

	*bdfs = NULL;
	*n = 0;
	if (!e->once || !c)
		return -ENOENT;
	for (size_t i = 0; i < c->n_entries; i++)
		if (config_node_matches(&c->entries[i], e->node_name) &&
		    c->entries[i].sel.kind != CFG_SEL_BDF)
			return -ENOENT;
	cap = c->n_entries + m->n_devs + m->n_pfs + m->n_intents;
	*bdfs = calloc(cap ? cap : 1, sizeof(**bdfs));
	if (!*bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_entries; i++)
		if (config_node_matches(&c->entries[i], e->node_name))
			bdf_format(&c->entries[i].sel.addr, (*bdfs)[k++]);
	for (size_t i = 0; i < m->n_devs; i++)
		util_strlcpy((*bdfs)[k++], m->devs[i].bdf, BDF_BUFSZ);
	for (size_t i = 0; i < m->n_pfs; i++)
		util_strlcpy((*bdfs)[k++], m->pfs[i].bdf, BDF_BUFSZ);
	for (size_t i = 0; i < m->n_intents; i++)
		util_strlcpy((*bdfs)[k++], m->intents[i].bdf, BDF_BUFSZ);
	*n = k;
	return 0;
}

static int scan_targets(struct engine *e, struct pci_state **st)
{
	_cleanup_free_ char(*bdfs)[BDF_BUFSZ] = NULL;
	_cleanup_free_ const char **names = NULL;
	size_t n;
	int r = once_targets(e, &bdfs, &n);

	if (r < 0)
		return r;
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		names[i] = bdfs[i];
	r = pci_scan_some(e->sysfs_root, names, n, e->pci, engine_busy, e, st);
	if (r == 0)
		log_debug("pci: read %zu function%s: the ones --once plans for and what they need",
			  (*st)->n, (*st)->n == 1 ? "" : "s");
	return r;
}

int engine_rescan(struct engine *e)
{
	struct pci_state *st = NULL;
	int r = scan_targets(e, &st);

	if (r == -ENOENT)
		r = pci_scan_busy(e->sysfs_root, e->pci, engine_busy, e, &st);

	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "scan %s/bus/pci/devices", e->sysfs_root);
	pci_state_free(e->pci);
	e->pci = st;
	return 0;
}

/* The actions whose in-use and holder facts this pass needs, in *ask (its
 * own copy of the array): not a move already running on its device (the
 * gate makes it wait, and a worker is writing that device: its facts come
 * on the pass after), nor one on a VF whose PF's count is changing. */
static int facts_wanted(struct engine *e, const struct plan *p, struct plan *ask)
{
	*ask = (struct plan){ 0 };
	if (p->n_actions == 0)
		return 0;
	ask->actions = calloc(p->n_actions, sizeof(*ask->actions));
	if (!ask->actions)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == PROTO_ACTION_NUMVFS || !engine_busy(p->actions[i].bdf, e))
			ask->actions[ask->n_actions++] = p->actions[i];
	return 0;
}

/* A pass from the model for a new config (engine-config.c): read again the
 * devices the plan would move (not one a worker is writing), as a rescan
 * would have; true when any of them is not what the model said. */
static bool refresh_targets(struct engine *e, const struct plan *p)
{
	bool changed = false;

	for (size_t i = 0; i < p->n_actions; i++) {
		const char *bdf = p->actions[i].bdf;
		const struct pci_dev *d = pci_find(e->pci, bdf);
		struct pci_dev before;
		bool had = d != NULL;

		if (engine_busy(bdf, e))
			continue;
		if (had)
			memcpy(&before, d, sizeof(before));
		engine_refresh(e, bdf);
		d = pci_find(e->pci, bdf);
		changed |= !had || !d || memcmp(&before, d, sizeof(before)) != 0;
	}
	return changed;
}

/* Plan once; when the plan wants to move anything, gather in-use and holder
 * facts for those devices only and plan again with them, so an interface
 * carrying the operator's connection, a mounted disk or a VM's device comes
 * out `blocked` with the reason, and moves on the first pass after the
 * reason goes away. With refresh, the devices it would move are read again
 * before that (refresh_targets). */
int engine_compute_plan(struct engine *e, const struct config *c, bool refresh,
			struct plan **out, bool *inuse_found)
{
	struct plan_input in = {
		.config = c,
		.node_name = e->node_name,
		.pci = e->pci,
		.managed = &e->managed,
	};
	_cleanup_free_ struct plan_inuse *use = NULL;
	_cleanup_free_ struct plan_held *held = NULL;
	struct plan *first = NULL, ask;
	int r;

	r = plan_compute(&in, &first);
	if (r < 0)
		return r;
	if (refresh && refresh_targets(e, first)) {
		plan_free(first);
		first = NULL;
		in.pci = e->pci;
		r = plan_compute(&in, &first);
		if (r < 0)
			return r;
	}
	/* Never plan a move without knowing what is in use or held. */
	r = facts_wanted(e, first, &ask);
	if (r == 0)
		r = inuse_for_plan(e->proc_root, e->sysfs_root, e->dev_root, e->pci, &ask, &use,
				   &in.n_inuse);
	if (r == 0)
		r = holders_for_plan(e->proc_root, e->sysfs_root, e->pci, &ask, &held, &in.n_held);
	free(ask.actions);
	if (r < 0) {
		plan_free(first);
		return r;
	}
	if (inuse_found)
		*inuse_found = in.n_inuse > 0;
	if (in.n_inuse == 0 && in.n_held == 0) {
		*out = first;
		return 0;
	}
	plan_free(first);
	in.inuse = use;
	in.held = held;
	return plan_compute(&in, out);
}

int engine_plan_with(struct engine *e, const struct config *c, struct plan **out)
{
	return engine_compute_plan(e, c, false, out, NULL);
}

int engine_holders(struct engine *e, const char *const *bdfs, size_t n, struct plan_held **out,
		   size_t *n_out)
{
	struct holders_facts f;
	int r;

	*out = NULL;
	*n_out = 0;
	r = holders_gather(e->proc_root, e->sysfs_root, e->pci, bdfs, n, &f);
	if (r < 0)
		return r;
	r = holders_compute(e->pci, &f, bdfs, n, out, n_out);
	holders_facts_clear(&f);
	return r;
}

/* A device a restore gave back to the kernel: is this event the kernel's
 * own sequel to it, or news? The sequel is its driver's probe taking the
 * device, and that driver letting go again when the probe fails later
 * (nvme on a VF without queues: "Device not ready"): bind and unbind
 * events of a device nobody steers (no driver_override); and an add event
 * of a device the model knows already (udev telling late of the VF our
 * own count change made). Restoring on those would loop. News is anything
 * else: the device removed, or added when it was not there (another
 * function now), or steered with an override by someone else. A sequel
 * that leaves it with no driver counts for the backoff. */
static void judge_hand_back(struct devtab_entry *info, const char *action,
			    const struct pci_dev *d, bool existed, bool had_driver, long long now)
{
	bool added = strcmp(action, "add") == 0;
	bool sequel = info->handed_back && d && !d->driver_override[0] &&
		      (strcmp(action, "bind") == 0 || strcmp(action, "unbind") == 0 ||
		       strcmp(action, "change") == 0 || (added && existed));

	if (sequel) {
		if (had_driver && !d->driver[0]) {
			log_info("%s: its driver let go of it after it was given back: left with "
				 "no driver", info->bdf);
			devtab_note_left_driverless(info, now);
		}
		return;
	}
	if ((added && !existed) || strcmp(action, "remove") == 0)
		devtab_forget_hand_backs(info);
	else
		info->handed_back = false; /* something happened to it: look again */
}

void engine_device_event(struct engine *e, const char *action, const char *bdf)
{
	long long now = engine_now(e);
	const struct managed_dev *m;
	const struct pci_dev *d;
	struct devtab_entry *info;
	bool existed, had_driver;

	if (!bdf_is_canonical(bdf))
		return;
	e->ctr.events++;
	log_debug("event: %s %s", action, bdf);
	if (!e->pci) {
		engine_schedule_pass(e, true, "event before first scan", now);
		engine_arm(e, now);
		return;
	}
	d = pci_find(e->pci, bdf);
	existed = d != NULL;
	had_driver = d && d->driver[0];
	engine_refresh(e, bdf);
	m = managed_find(&e->managed, bdf);
	d = pci_find(e->pci, bdf);
	info = devtab_get(&e->devs, bdf, false);
	if (info && !info->in_flight)
		judge_hand_back(info, action, d, existed, had_driver, now);
	/* Someone moved a device we had converged. With real udev the unbind
	 * event usually comes first, so any event may be the one that shows it;
	 * leaving `converged` at once makes the warning one per episode. Our own
	 * actions are in flight, and a failed bind was never converged. */
	if (m && d && info && !info->in_flight && info->told &&
	    info->state == PROTO_STATE_CONVERGED && strcmp(d->driver, m->driver) != 0) {
		if (d->driver[0])
			log_warning("%s: moved to %s behind vfiobindd's back; taking it back to %s",
				    bdf, d->driver, m->driver);
		else
			log_warning("%s: unbound behind vfiobindd's back; taking it back to %s", bdf,
				    m->driver);
		info->state = PROTO_STATE_PENDING;
		info->reason_hash = devtab_reason_hash("moved behind vfiobindd's back");
		info->last_transition_ms = now;
	}
	engine_schedule_pass(e, false, action, now);
	engine_arm(e, now);
}
