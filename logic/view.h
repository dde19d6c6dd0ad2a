/* SPDX-License-Identifier: GPL-2.0-or-later */
/* view.h: the device view, one device's effective state as everyone tells
 * it: `status`, `watch` events, `--once` and the log lines all come from
 * view_device(), so they never disagree.
 *
 * The planner's verdict (plan_status) is the base. The runtime adds what only
 * it knows (the device table): an action in the kernel longer than the stuck
 * timeout is `stuck`; a device still `pending` only because its last action
 * failed is `error`, with the kernel's words as the reason (retried after
 * the backoff); a device a restore gave back to the kernel and that the
 * plan saw with no driver (pending only for a restore the gate holds back)
 * is `converged`. Pure. */
#pragma once

#include <stdbool.h>

#include "devtab.h"
#include "plan.h"
#include "vocab.h"

#define VIEW_STUCK_REASON "action in flight for too long"

struct view_dev {
	enum proto_state state;
	const char *reason;	/* borrowed from st or d; "" when none */
};

/* The view of the device of status st (d: its device table entry, or NULL)
 * at monotonic time now, with actions stuck after stuck_ms. */
struct view_dev view_device(const struct plan_status *st, const struct devtab_entry *d,
			    long long now, long long stuck_ms);

/* Is d's action stuck at now? */
bool view_stuck(const struct devtab_entry *d, long long now, long long stuck_ms);
/* When d's running action turns stuck (monotonic ms), or 0 when it does not
 * run or already is. */
long long view_stuck_at(const struct devtab_entry *d, long long now, long long stuck_ms);
