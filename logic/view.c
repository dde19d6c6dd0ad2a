/* SPDX-License-Identifier: GPL-2.0-or-later */
/* view.c: the device view (see view.h). */
#include "view.h"

bool view_stuck(const struct devtab_entry *d, long long now, long long stuck_ms)
{
	return d && d->in_flight && now - d->in_flight_since_ms > stuck_ms;
}

long long view_stuck_at(const struct devtab_entry *d, long long now, long long stuck_ms)
{
	if (!d || !d->in_flight || view_stuck(d, now, stuck_ms))
		return 0;
	return d->in_flight_since_ms + stuck_ms + 1;
}

struct view_dev view_device(const struct plan_status *st, const struct devtab_entry *d,
			    long long now, long long stuck_ms)
{
	struct view_dev v = { st->state, st->reason };

	if (view_stuck(d, now, stuck_ms)) {
		v.state = PROTO_STATE_STUCK;
		v.reason = VIEW_STUCK_REASON;
	} else if (d && (d->handed_back || d->hand_back_until_ms > now) && !d->in_flight &&
		   st->state == PROTO_STATE_PENDING && !st->desired[0] && !st->current[0]) {
		/* Given back to the kernel, and the plan saw it with no
		 * driver: that is where a device nobody claims rests. Nothing
		 * is left to do until something else happens to it. (A plan
		 * older than the restore still shows the driver it had: the
		 * next pass drops a device a driver took.) */
		v.state = PROTO_STATE_CONVERGED;
		v.reason = "";
	} else if (d && d->failures > 0 && !d->in_flight && st->state == PROTO_STATE_PENDING) {
		/* Still to do only because the last try failed: that failure
		 * is the state, and the kernel's word the reason. */
		v.state = PROTO_STATE_ERROR;
		v.reason = d->last_error ? d->last_error : "the last action failed";
	}
	return v;
}
