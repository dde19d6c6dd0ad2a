/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commands.c: the command table (proto.h): each command's name, whether it
 * needs an admin peer, and the arguments it takes with their types. The
 * daemon judges every request's args by it (proto_check_args(), proto.c),
 * vfiobind's help and the tests read it; doc/protocol.md says the same in
 * prose. */
#include <errno.h>
#include <string.h>

#include "proto.h"

/* The arguments of each command. A "what" of NULL: the type's name. The
 * texts are the daemon's words in bad-request replies; keep them stable. */
static const struct proto_arg status_args[] = {
	{ PROTO_A_DEVICES, PROTO_ARG_STRINGS, false, "an array of BDF strings",
	  "only these devices (PCI addresses; short forms accepted)" },
};

static const struct proto_arg devices_args[] = {
	{ PROTO_A_SELECTOR, PROTO_ARG_STRING, false, NULL,
	  "only the functions this config selector picks" },
};

static const struct proto_arg add_args[] = {
	{ PROTO_A_LINE, PROTO_ARG_STRING, false, NULL,
	  "the config line, \"NODE DEVICE [key=value...]\" (or node, device, options)" },
	{ PROTO_A_NODE, PROTO_ARG_STRING, false, NULL,
	  "the line's node word (default DEFAULT)" },
	{ PROTO_A_DEVICE, PROTO_ARG_STRING, false, "a string (device selector)",
	  "the line's selector, one word; required unless line is given" },
	{ PROTO_A_OPTIONS, PROTO_ARG_OBJECT, false, NULL,
	  "the line's keys, {\"driver\":\"vfio-pci\",\"numvfs\":4}" },
	{ PROTO_A_RUNTIME, PROTO_ARG_BOOL, false, NULL,
	  "change the daemon's memory only, not the file" },
};

static const struct proto_arg remove_args[] = {
	{ PROTO_A_DEVICE, PROTO_ARG_STRING, true, "a string (device selector)",
	  "remove the lines with this selector" },
	{ PROTO_A_NODE, PROTO_ARG_STRING, false, NULL,
	  "only the lines of this node word (default: every node)" },
	{ PROTO_A_RUNTIME, PROTO_ARG_BOOL, false, NULL,
	  "change the daemon's memory only, not the file" },
};

static const struct proto_arg plan_args[] = {
	{ PROTO_A_CONFIG, PROTO_ARG_STRING, false, "a string (config text)",
	  "a proposed config text, planned instead of the config in force" },
	{ PROTO_A_SOURCE, PROTO_ARG_STRING, false, "a file name of 1 to 255 bytes",
	  "the proposed text's file name, for its errors (default (proposed))" },
};

static const struct proto_arg wait_args[] = {
	{ PROTO_A_DEVICES, PROTO_ARG_STRINGS, false, "an array of device selectors",
	  "only these devices (PCI addresses or selectors such as id=8086:1521)" },
	{ PROTO_A_TIMEOUT, PROTO_ARG_INT, false, "an integer (milliseconds, 0 or more)",
	  "answer \"settled\": false after this many ms (0: at once; the daemon caps it)" },
};

#define ARGS(a) .args = (a), .n_args = sizeof(a) / sizeof((a)[0])

const struct proto_cmd_info proto_cmds[PROTO_CMD__MAX] = {
	[PROTO_CMD_PING] = { .cmd = PROTO_CMD_PING, .name = "ping",
			     .summary = "check that the daemon answers" },
	[PROTO_CMD_VERSION] = { .cmd = PROTO_CMD_VERSION, .name = "version",
				.summary = "daemon and protocol version, node, sysfs root" },
	[PROTO_CMD_STATUS] = { .cmd = PROTO_CMD_STATUS, .name = "status",
			       .summary = "state of every claimed or managed device",
			       ARGS(status_args) },
	[PROTO_CMD_DEVICES] = { .cmd = PROTO_CMD_DEVICES, .name = "devices",
				.summary = "every PCI function", ARGS(devices_args) },
	[PROTO_CMD_CONFIG] = { .cmd = PROTO_CMD_CONFIG, .name = "config",
			       .summary = "the config in force" },
	[PROTO_CMD_ADD] = { .cmd = PROTO_CMD_ADD, .name = "add", .admin = true,
			    .summary = "add a config line", ARGS(add_args) },
	[PROTO_CMD_REMOVE] = { .cmd = PROTO_CMD_REMOVE, .name = "remove", .admin = true,
			       .summary = "remove config lines", ARGS(remove_args) },
	[PROTO_CMD_RELOAD] = { .cmd = PROTO_CMD_RELOAD, .name = "reload", .admin = true,
			       .summary = "re-read the config file" },
	[PROTO_CMD_RECONCILE] = { .cmd = PROTO_CMD_RECONCILE, .name = "reconcile",
				  .admin = true, .summary = "run a full pass now" },
	[PROTO_CMD_PLAN] = { .cmd = PROTO_CMD_PLAN, .name = "plan",
			     .summary = "what a pass (or a proposed config) would do",
			     ARGS(plan_args) },
	[PROTO_CMD_WATCH] = { .cmd = PROTO_CMD_WATCH, .name = "watch",
			      .summary = "stream events" },
	[PROTO_CMD_METRICS] = { .cmd = PROTO_CMD_METRICS, .name = "metrics",
				.summary = "the daemon's figures as Prometheus text" },
	[PROTO_CMD_WAIT] = { .cmd = PROTO_CMD_WAIT, .name = "wait",
			     .summary = "wait until devices settle (a readiness handshake)",
			     ARGS(wait_args) },
};

const char *proto_cmd_name(enum proto_cmd cmd)
{
	if ((int)cmd < 0 || cmd >= PROTO_CMD__MAX)
		return NULL;
	return proto_cmds[cmd].name;
}

int proto_cmd_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	for (int i = 0; i < PROTO_CMD__MAX; i++)
		if (strcmp(proto_cmds[i].name, name) == 0)
			return i;
	return -ENOENT;
}

bool proto_cmd_admin(enum proto_cmd cmd)
{
	if ((int)cmd < 0 || cmd >= PROTO_CMD__MAX)
		return true; /* unknown: the safe answer */
	return proto_cmds[cmd].admin;
}

const struct proto_arg *proto_cmd_arg(enum proto_cmd cmd, const char *key)
{
	if ((int)cmd < 0 || cmd >= PROTO_CMD__MAX || !key)
		return NULL;
	for (size_t i = 0; i < proto_cmds[cmd].n_args; i++)
		if (strcmp(proto_cmds[cmd].args[i].name, key) == 0)
			return &proto_cmds[cmd].args[i];
	return NULL;
}

const char *proto_arg_type_name(enum proto_arg_type type)
{
	switch (type) {
	case PROTO_ARG_STRING:
		return "a string";
	case PROTO_ARG_BOOL:
		return "a boolean";
	case PROTO_ARG_INT:
		return "an integer";
	case PROTO_ARG_OBJECT:
		return "an object";
	case PROTO_ARG_STRINGS:
		return "an array of strings";
	}
	return "unknown";
}
