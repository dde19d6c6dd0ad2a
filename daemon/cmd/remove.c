/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/remove.c: `remove`: drop the config lines whose selector (and node,
 * when given) equal the request's, in the file or in memory ("runtime"). */
#include <errno.h>
#include <string.h>

#include "confedit.h"
#include "engine.h"
#include "server.h"
#include "confedit-file.h"

static int remove_runtime(struct server_client *c, const char *node,
			  const struct cfg_selector *sel, unsigned *removed)
{
	struct engine *e = server_client_engine(c);
	struct config *n = NULL;
	int r = confedit_config_remove(engine_config(e), node, sel, &n, removed);

	if (r < 0)
		return PROTO_ERR_INTERNAL;
	if (*removed == 0) {
		config_free(n);
		return 0;
	}
	return engine_apply_config(e, n) < 0 ? PROTO_ERR_INTERNAL : 0;
}

static int cmd_remove(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	const char *path = engine_options(e)->config_path, *device = NULL, *node = NULL;
	struct cfg_errors errs = { 0 };
	struct cfg_selector sel;
	unsigned removed = 0;
	bool runtime = false;
	int r;

	if ((r = proto_args_bool(args, PROTO_A_RUNTIME, false, &runtime)) < 0)
		return server_args_error(c, PROTO_A_RUNTIME, r, "a boolean");
	if ((r = proto_args_string(args, PROTO_A_NODE, false, &node)) < 0)
		return server_args_error(c, PROTO_A_NODE, r, "a string");
	if ((r = proto_args_string(args, PROTO_A_DEVICE, true, &device)) < 0)
		return server_args_error(c, PROTO_A_DEVICE, r, "a string (device selector)");
	if ((r = server_parse_selector(c, device, &sel)))
		return r;
	if (runtime) {
		r = remove_runtime(c, node, &sel, &removed);
	} else {
		r = confedit_file_remove(path, node, &sel, &removed, &errs);
		if (r == -ENOENT)
			r = server_client_error(c, PROTO_ERR_NOT_FOUND, "%s does not exist", path);
		else if (r == 0 && removed == 0)
			r = 0; /* nothing changed: no reload needed */
		else
			r = server_edit_result(c, r, &errs, path);
		cfg_errors_clear(&errs);
	}
	if (r)
		return r;
	if (removed == 0)
		return server_client_error(c, PROTO_ERR_NOT_FOUND, "no %s line for %s%s",
					   runtime ? "runtime config" : "config", device,
					   node ? " on that node" : "");
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_REMOVED, json_object_new_int((int)removed));
	json_object_object_add(*result, PROTO_R_RUNTIME, json_object_new_boolean(runtime));
	return 0;
}

const struct server_cmd server_cmd_remove = { PROTO_CMD_REMOVE, cmd_remove };
