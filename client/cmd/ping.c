/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/ping.c: `vfiobind ping`, does the daemon answer at all. */
#include "client.h"
#include "util.h"

static void ping_print(const struct client *c, _unused_ json_object *result)
{
	printf("vfiobindd at %s is answering\n", c->socket);
}

static int ping_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	return client_run(c, PROTO_CMD_PING, NULL, ping_print);
}

const struct cmd_entry cmd_ping_entry = {
	.name = "ping",
	.cmd = PROTO_CMD_PING,
	.usage = "",
	.help = "Exits 0 when the daemon answers, 3 when it cannot be reached.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = ping_exec,
};
