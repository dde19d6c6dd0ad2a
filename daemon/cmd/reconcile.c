/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/reconcile.c: `reconcile`: a full pass now (rescan every device, plan,
 * act), retrying at once devices that wait out a backoff. The reply waits until the pass's work has settled (actions finished,
 * or stuck past --stuck-timeout) and lists what was done. */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "server.h"

struct reconcile_wait {
	struct server_client *client;
	struct engine_waiter *waiter;
};

static void on_settled(void *ud, const struct plan_action *done, const bool *ok, size_t n,
		       bool converged)
{
	struct reconcile_wait *w = ud;
	json_object *result = json_object_new_object();
	json_object *actions = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *a = server_json_action(&done[i]);

		json_object_object_add(a, PROTO_X_OK, json_object_new_boolean(ok[i]));
		json_object_array_add(actions, a);
	}
	json_object_object_add(result, PROTO_R_ACTIONS, actions);
	json_object_object_add(result, PROTO_R_CONVERGED, json_object_new_boolean(converged));
	server_client_resume(w->client, result);
	free(w);
}

static void on_cancel(void *ud)
{
	struct reconcile_wait *w = ud;

	engine_wait_cancel(server_client_engine(w->client), w->waiter);
	free(w);
}

static int cmd_reconcile(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	struct reconcile_wait *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->client = c;
	w->waiter = engine_wait_settled(e, on_settled, w);
	if (!w->waiter) {
		free(w);
		return -ENOMEM;
	}
	server_client_defer(c, on_cancel, w);
	engine_reconcile_now(e, "client request");
	return SERVER_DEFERRED;
}

const struct server_cmd server_cmd_reconcile = { PROTO_CMD_RECONCILE, cmd_reconcile };
