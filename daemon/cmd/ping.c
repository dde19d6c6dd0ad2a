/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/ping.c: `ping`, the cheapest proof that the daemon answers. */
#include "server.h"
#include "util.h"
#include "clock.h"

static int cmd_ping(struct server_client *c, json_object *args, json_object **result)
{
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_PONG, json_object_new_boolean(1));
	json_object_object_add(*result, PROTO_R_TIME, json_object_new_int64(clock_wall_ms()));
	return 0;
}

const struct server_cmd server_cmd_ping = { PROTO_CMD_PING, cmd_ping };
