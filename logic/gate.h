/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gate.h: the action gate. For each action a plan asks for, decide whether
 * it runs now or why it waits. The daemon's passes and --once both ask here
 * (daemon/engine-pass.c), so the rules are said once:
 *
 *   in flight     an action on this device is running: one at a time;
 *   backoff       its last try failed and the retry is not due yet;
 *   one try       --once tries each device once per run, never loops;
 *   handed back   a restore gave the device to the kernel: what its drivers
 *                 do next (take it, fail their probe and let go again) is
 *                 no reason to restore it again (that would loop); a new
 *                 restore waits for an event that is not the daemon's own
 *                 doing and, when the kernel left the device with no
 *                 driver, a backoff that grows each time (devtab.h);
 *   PF changing   a VF whose PF's VF count this plan changes, or is changing:
 *                 the count goes through 0, so the VF is about to be
 *                 removed and created anew; the pass after plans it again;
 *   grace         a release (a restore, or a VF count change that removes
 *                 existing VFs) right after the config file changed: a
 *                 tool that truncates and then writes shows an empty or
 *                 half file for a moment; the file is read again when the
 *                 grace ends, and only what it still asks is done;
 *   dry run       said, never done;
 *   forget        a restore of a device already back on its original driver
 *                 with no override: nothing to write, just stop managing it.
 *
 * Pure: it reads the plan, the device table, the managed set and the PCI
 * model it is given, and the time it is told. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "devtab.h"
#include "managed.h"
#include "pci.h"
#include "plan.h"

enum gate_verdict {
	GATE_RUN = 0,		/* hand it to a worker now */
	GATE_IN_FLIGHT,
	GATE_BACKOFF,
	GATE_ONE_TRY,
	GATE_HANDED_BACK,
	GATE_PF_CHANGING,
	GATE_GRACE,
	GATE_DRY_RUN,
	GATE_FORGET,
};

struct gate {
	/* Set by the caller. */
	bool dry_run;			/* say it, never do it */
	bool once;			/* --once: one try per device */
	long long now;			/* monotonic ms */
	long long release_after;	/* releases wait until then (0: no grace) */
	const struct pci_state *pci;
	const struct managed_set *managed;
	const struct devtab *devs;
	/* Made by gate_init(): PFs whose VF count a planned or running action
	 * changes, sorted. */
	char (*pfs_changing)[BDF_BUFSZ];
	size_t n_pfs_changing;
};

/* Prepare g, whose caller's fields are set, for the actions of plan p.
 * 0 or -ENOMEM; gate_clear() after use. */
int gate_init(struct gate *g, const struct plan *p);
void gate_clear(struct gate *g);
/* Does a give devices back or take VFs away (what the grace holds back)? */
bool gate_releases(const struct plan_action *a);

/* The verdict for action a. */
enum gate_verdict gate_check(const struct gate *g, const struct plan_action *a);
/* "runs", "in flight", "backing off", ... for debug lines. */
const char *gate_verdict_name(enum gate_verdict v);
