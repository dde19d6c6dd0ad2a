/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/plan.c: `plan`: what a pass would do now, with the config in force or
 * with a proposed config text, without doing anything. */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "util.h"

/* source names the text in errors (FILE:LINE: message), as the client's FILE. */
static int plan_config(struct server_client *c, const char *text, const char *source,
		       struct config **out)
{
	struct cfg_errors errs = { 0 };
	int r = config_parse(source, text, strlen(text), out, &errs);

	if (r == -EINVAL)
		r = server_config_error(c, &errs, "proposed config");
	else if (r < 0)
		r = PROTO_ERR_INTERNAL;
	cfg_errors_clear(&errs);
	return r;
}

static int cmd_plan(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	struct config *proposed = NULL;
	struct plan *p = NULL;
	const char *text = NULL, *source = NULL;
	json_object *actions, *statuses, *res;
	int r;

	r = proto_args_string(args, PROTO_A_CONFIG, false, &text);
	if (r < 0)
		return server_args_error(c, PROTO_A_CONFIG, r, "a string (config text)");
	r = proto_args_string(args, PROTO_A_SOURCE, false, &source);
	if (r < 0 || (source && (!*source || strlen(source) > 255)))
		return server_args_error(c, PROTO_A_SOURCE, r < 0 ? r : -EINVAL,
					 "a file name of 1 to 255 bytes");
	if (text) {
		r = plan_config(c, text, source ? source : "(proposed)", &proposed);
		if (r)
			return r;
	}
	r = engine_plan_with(e, proposed ? proposed : engine_config(e), &p);
	if (r < 0) {
		config_free(proposed);
		return server_client_error(c, PROTO_ERR_INTERNAL, "plan: %s", strerror(-r));
	}
	actions = json_object_new_array();
	statuses = json_object_new_array();
	for (size_t i = 0; i < p->n_actions; i++)
		json_object_array_add(actions, server_json_action(&p->actions[i]));
	for (size_t i = 0; i < p->n_statuses; i++) {
		json_object *x = server_json_status(e, &p->statuses[i],
						    proposed ? proposed : engine_config(e), false);

		json_object_object_add(x, PROTO_S_HOLDERS, server_json_held(p, &p->statuses[i]));
		json_object_array_add(statuses, x);
	}
	res = json_object_new_object();
	json_object_object_add(res, PROTO_R_ACTIONS, actions);
	json_object_object_add(res, PROTO_R_STATUSES, statuses);
	json_object_object_add(res, PROTO_R_PROPOSED, json_object_new_boolean(proposed != NULL));
	plan_free(p);
	config_free(proposed);
	*result = res;
	return 0;
}

const struct server_cmd server_cmd_plan = { PROTO_CMD_PLAN, cmd_plan };
