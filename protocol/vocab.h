/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vocab.h: the words of the wire that name things: device states, event
 * kinds and their states, action kinds. One enum and one name table each;
 * every layer that says "converged" or "numvfs" to a user or a peer says it
 * through here (the planner's enums are these, see logic/plan.h). Pure: no
 * JSON, no I/O, so the pure core may use it (tests/build/check-pure.sh). */
#pragma once

/* A device's state, as `status`, `watch`, `--once` and the logs say it
 * (doc/protocol.md, "A status entry"). */
enum proto_state {
	PROTO_STATE_CONVERGED = 0,	/* on its desired driver */
	PROTO_STATE_PENDING,		/* an action is planned or running */
	PROTO_STATE_BLOCKED,		/* unsafe to move now, with a reason */
	PROTO_STATE_ERROR,		/* lines disagree, or the last action failed */
	PROTO_STATE_ABSENT,		/* a line names a device that is not there */
	PROTO_STATE_STUCK,		/* an action in the kernel for too long */
};
#define PROTO_STATE__MAX (PROTO_STATE_STUCK + 1)

/* What a watch event is about (the event's "kind"). */
enum proto_event_kind {
	PROTO_EVENT_DEVICE = 0,		/* a device's state changed */
	PROTO_EVENT_PASS,		/* a pass ran */
	PROTO_EVENT_CONFIG,		/* the config was loaded, rejected or changed at runtime */
	PROTO_EVENT_ACTION,		/* an action finished */
};
#define PROTO_EVENT__MAX (PROTO_EVENT_ACTION + 1)

/* An action the planner asks for (plan and reconcile "kind"). */
enum proto_action_kind {
	PROTO_ACTION_BIND = 0,		/* move a device to a driver */
	PROTO_ACTION_RESTORE,		/* clear the override, back to the kernel's choice */
	PROTO_ACTION_NUMVFS,		/* write sriov_numvfs (through 0) */
};
#define PROTO_ACTION__MAX (PROTO_ACTION_NUMVFS + 1)
/* (The counts are not enum members, so that a switch over the kinds is
 * checked for completeness by -Wswitch.) */

/* The "state" of the non-device events. */
#define PROTO_PASS_FULL "full"		/* pass: every device was re-read */
#define PROTO_PASS_PARTIAL "partial"	/* pass: only devices an event named */
#define PROTO_CONFIG_LOADED "loaded"	/* config: the file was applied */
#define PROTO_CONFIG_REJECTED "rejected"	/* config: the file was refused */
#define PROTO_CONFIG_RUNTIME "runtime"	/* config: changed in memory (add/remove --runtime) */
#define PROTO_CONFIG_MISSING "missing"	/* config: the file is gone, the last good one stays */
#define PROTO_ACTION_OK "ok"		/* action: it did what it should */
#define PROTO_ACTION_FAILED "failed"	/* action: it did not */

/* The names; "unknown" for a value out of range. */
const char *proto_state_name(enum proto_state s);
const char *proto_event_kind_name(enum proto_event_kind k);
const char *proto_action_name(enum proto_action_kind k);
/* The value with this name (>= 0), or -ENOENT. */
int proto_state_from_name(const char *name);
int proto_action_from_name(const char *name);
