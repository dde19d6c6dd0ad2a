/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/version.c: `version`: who answers, speaking which protocol, on what. */
#include "engine.h"
#include "server.h"

static int cmd_version(struct server_client *c, json_object *args, json_object **result)
{
	const struct engine_opts *o = engine_options(server_client_engine(c));
	json_object *res;

	res = json_object_new_object();
	json_object_object_add(res, PROTO_R_DAEMON_VERSION, json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(res, PROTO_R_PROTOCOL, json_object_new_int(PROTO_VERSION));
	json_object_object_add(res, PROTO_R_NODE, server_json_str(o->node_name, false));
	json_object_object_add(res, PROTO_R_SYSFS_ROOT, server_json_str(o->sysfs_root, false));
	json_object_object_add(res, PROTO_R_DRY_RUN, json_object_new_boolean(o->dry_run));
	json_object_object_add(res, PROTO_R_CONFIG_PATH, server_json_str(o->config_path, false));
	*result = res;
	return 0;
}

const struct server_cmd server_cmd_version = { PROTO_CMD_VERSION, cmd_version };
