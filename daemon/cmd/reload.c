/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/reload.c: `reload`: read the config file now (the inotify watch does
 * the same on its own; this is for scripts that want the answer). */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "server.h"

static int cmd_reload(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	int r;

	r = engine_reload(e, "client request");
	if (r == -EINVAL)
		return server_config_error(c, engine_config_errors(e), "config rejected, the last good one stays");
	if (r == -ENOENT)
		return server_client_error(c, PROTO_ERR_NOT_FOUND,
					   "%s: no such file: the last good config stays in force (an "
					   "empty file releases every device)",
					   engine_options(e)->config_path);
	if (r < 0)
		return server_client_error(c, PROTO_ERR_INTERNAL, "reload: %s", strerror(-r));
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_RELOADED, json_object_new_boolean(1));
	json_object_object_add(*result, PROTO_R_ENTRIES,
			       json_object_new_int((int)engine_config(e)->n_entries));
	return 0;
}

const struct server_cmd server_cmd_reload = { PROTO_CMD_RELOAD, cmd_reload };
