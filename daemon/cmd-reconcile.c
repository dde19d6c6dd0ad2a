/* cmd-reconcile.c: `reconcile`: ask for a full pass (rescan every device,
 * then plan and act). The reply comes once the pass is requested; `watch`
 * or `status` show what it did. */
#include "engine.h"
#include "server.h"

static int cmd_reconcile(struct server_client *c, json_object *args, json_object **result)
{
	static const char *const allowed[] = { NULL };
	int r = server_args_check(c, args, allowed);

	if (r)
		return r;
	engine_request_pass(server_client_engine(c), true, "client request");
	*result = json_object_new_object();
	json_object_object_add(*result, "requested", json_object_new_boolean(1));
	return 0;
}

const struct server_cmd server_cmd_reconcile = { PROTO_CMD_RECONCILE, cmd_reconcile };
