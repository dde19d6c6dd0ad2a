/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vocab.c: the wire's names for states, event kinds and action kinds. */
#include <errno.h>
#include <string.h>

#include "vocab.h"

static const char *const state_names[PROTO_STATE__MAX] = {
	[PROTO_STATE_CONVERGED] = "converged",
	[PROTO_STATE_PENDING] = "pending",
	[PROTO_STATE_BLOCKED] = "blocked",
	[PROTO_STATE_ERROR] = "error",
	[PROTO_STATE_ABSENT] = "absent",
	[PROTO_STATE_STUCK] = "stuck",
};

static const char *const event_kind_names[PROTO_EVENT__MAX] = {
	[PROTO_EVENT_DEVICE] = "device",
	[PROTO_EVENT_PASS] = "pass",
	[PROTO_EVENT_CONFIG] = "config",
	[PROTO_EVENT_ACTION] = "action",
};

static const char *const action_names[PROTO_ACTION__MAX] = {
	[PROTO_ACTION_BIND] = "bind",
	[PROTO_ACTION_RESTORE] = "restore",
	[PROTO_ACTION_NUMVFS] = "numvfs",
};

static const char *name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n && names[v] ? names[v] : "unknown";
}

static int value_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return -ENOENT;
}

const char *proto_state_name(enum proto_state s)
{
	return name_of(state_names, PROTO_STATE__MAX, (int)s);
}

const char *proto_event_kind_name(enum proto_event_kind k)
{
	return name_of(event_kind_names, PROTO_EVENT__MAX, (int)k);
}

const char *proto_action_name(enum proto_action_kind k)
{
	return name_of(action_names, PROTO_ACTION__MAX, (int)k);
}

int proto_state_from_name(const char *name)
{
	return value_of(state_names, PROTO_STATE__MAX, name);
}

int proto_action_from_name(const char *name)
{
	return value_of(action_names, PROTO_ACTION__MAX, name);
}
