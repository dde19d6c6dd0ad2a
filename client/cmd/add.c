/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/add.c: `vfiobind add [--node NODE] DEVICE [key=value...] [--runtime]`,
 * one config line, written by the daemon (which checks it like the file). */
#include <errno.h>
#include <stdlib.h>

#include "client.h"

static void add_print(const struct client *c, json_object *result)
{
	out_put(stdout, out_added_text(result, c->runtime));
}

static int add_exec(struct client *c, int argc, char **argv)
{
	json_object *args = NULL;
	const char *bad;
	char *line;
	int r;

	r = out_add_line(c->node ? c->node : CLIENT_DEFAULT_NODE, argc, argv, &line, &bad);
	if (r == -ENOMEM)
		return client_oom(NULL);
	if (r < 0)
		return client_usage_error(&cmd_add_entry, "bad %s: %s",
					  bad == c->node ? "node" :
					  bad == argv[0] ? "device" : "key=value", bad);
	r = client_args_add(&args, PROTO_A_LINE, json_object_new_string(line));
	free(line);
	if (r < 0 || client_args_add(&args, PROTO_A_RUNTIME, json_object_new_boolean(c->runtime)) < 0)
		return client_oom(args);
	return client_run(c, PROTO_CMD_ADD, args, add_print);
}

const struct cmd_entry cmd_add_entry = {
	.name = "add",
	.cmd = PROTO_CMD_ADD,
	.usage = "[--node NODE] DEVICE [key=value...] [--runtime]",
	.help = "Appends \"NODE DEVICE key=value...\" to the config (see vfiobind.conf(5)).\n"
		"NODE: a node name, a glob, or DEFAULT (the default). DEVICE: a PCI address,\n"
		"id=VVVV:DDDD, class=0xCCCCCC[/0xMMMMMM], ifname=NAME or pf=BDF|IFNAME.\n"
		"Keys: driver=NAME (default vfio-pci), numvfs=N, vfs=LIST|all,\n"
		"group=self|all, force=yes|no. The daemon applies the new config at once.\n"
		"With --runtime the line lives in the daemon's memory only, until the next\n"
		"reload or restart (for a read-only /etc).\n",
	.opts = CMD_OPT_NODE | CMD_OPT_RUNTIME,
	.args_min = 1,
	.args_max = -1,
	.exec = add_exec,
};
