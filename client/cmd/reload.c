/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/reload.c: `vfiobind reload`, re-read the config file now (the daemon
 * also does when the file changes). */
#include "client.h"
#include "util.h"

static void reload_print(_unused_ const struct client *c, json_object *result)
{
	if (out_bool(result, PROTO_R_RELOADED) == 0)
		puts("config unchanged");
	else
		puts("config reloaded");
}

static int reload_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	return client_run(c, PROTO_CMD_RELOAD, NULL, reload_print);
}

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.cmd = PROTO_CMD_RELOAD,
	.usage = "",
	.help = "A file with any bad line is refused whole: the daemon keeps the config it\n"
		"had, and vfiobind prints every FILE:LINE: MESSAGE and exits 1.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = reload_exec,
};
