/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/remove.c: `vfiobind remove [--node NODE] DEVICE [--runtime]`, drop the
 * config lines for DEVICE; the daemon gives the device back to its driver. */
#include "client.h"
#include "util.h"

static void remove_print(const struct client *c, json_object *result)
{
	json_object *v;
	long long n = 0;

	if (json_object_object_get_ex(result, PROTO_R_REMOVED, &v))
		n = json_object_get_int64(v);
	if (n == 0)
		fputs("vfiobind: no config line matches\n", stderr);
	else
		printf("removed %lld line%s%s\n", n, n == 1 ? "" : "s",
		       c->runtime ? " (runtime only: the file is unchanged)" : "");
}

static int remove_exec(struct client *c, _unused_ int argc, char **argv)
{
	json_object *args = NULL;
	const char *dev;
	char bdf[BDF_BUFSZ];

	dev = out_device_arg(argv[0], bdf);
	if (!dev)
		return client_usage_error(&cmd_remove_entry, "bad device: %s", argv[0]);
	if (client_args_add(&args, PROTO_A_DEVICE, json_object_new_string(dev)) < 0 ||
	    (c->node && client_args_add(&args, PROTO_A_NODE, json_object_new_string(c->node)) < 0) ||
	    client_args_add(&args, PROTO_A_RUNTIME, json_object_new_boolean(c->runtime)) < 0)
		return client_oom(args);
	return client_run(c, PROTO_CMD_REMOVE, args, remove_print);
}

const struct cmd_entry cmd_remove_entry = {
	.name = "remove",
	.cmd = PROTO_CMD_REMOVE,
	.usage = "[--node NODE] DEVICE [--runtime]",
	.help = "Removes every config line whose DEVICE is written as DEVICE (and whose node\n"
		"word is NODE, when given). Devices no line claims any more go back to\n"
		"the driver they had. Exits 1 when no line matched.\n",
	.opts = CMD_OPT_NODE | CMD_OPT_RUNTIME,
	.args_min = 1,
	.args_max = 1,
	.exec = remove_exec,
};
