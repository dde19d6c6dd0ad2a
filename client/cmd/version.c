/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/version.c: `vfiobind version`, the client's version, then the daemon's
 * (so a mismatch after an upgrade shows). The client part prints even when
 * the daemon is down. */
#include "client.h"
#include "util.h"

static void version_print(_unused_ const struct client *c, json_object *result)
{
	out_put(stdout, out_version_text(result));
}

static int version_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	if (!c->json) {
		printf("client: vfiobind %s (protocol %d)\n", PACKAGE_VERSION, PROTO_VERSION);
		fflush(stdout);
	}
	return client_run(c, PROTO_CMD_VERSION, NULL, version_print);
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.cmd = PROTO_CMD_VERSION,
	.usage = "",
	.help = "Prints the client's version, then the daemon's with its node name, sysfs\n"
		"root and whether it runs --dry-run. With --json, the daemon's result only.\n"
		"When the daemon cannot be reached the client line still prints; exit 3.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = version_exec,
};
