/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/watch.c: `watch`: after the reply, the client receives one event line
 * per engine event (server.c sends them) until it leaves. */
#include "server.h"

static int cmd_watch(struct server_client *c, json_object *args, json_object **result)
{
	server_client_watch(c);
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_WATCHING, json_object_new_boolean(1));
	return 0;
}

const struct server_cmd server_cmd_watch = { PROTO_CMD_WATCH, cmd_watch };
