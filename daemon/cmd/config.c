/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/config.c: `config`: the config in force, entry by entry, and the errors
 * of a newer file that was rejected (the last good config stays in force). */
#include "engine.h"
#include "server.h"

static json_object *entry_json(const struct config *cfg, const struct cfg_entry *x)
{
	json_object *o = json_object_new_object();
	char text[4200], sel[128];

	if (config_format_entry(x, text, sizeof(text)) < 0)
		text[0] = '\0';
	if (config_format_selector(&x->sel, sel, sizeof(sel)) < 0)
		sel[0] = '\0';
	json_object_object_add(o, PROTO_C_LINE, json_object_new_int((int)x->line));
	json_object_object_add(o, PROTO_C_WHERE, server_json_line(cfg->source, x->line));
	json_object_object_add(o, PROTO_C_TEXT, json_object_new_string(text));
	json_object_object_add(o, PROTO_C_NODE, json_object_new_string(x->node));
	json_object_object_add(o, PROTO_C_DEVICE, json_object_new_string(sel));
	json_object_object_add(o, PROTO_C_DRIVER, json_object_new_string(x->driver));
	if (x->numvfs >= 0)
		json_object_object_add(o, PROTO_C_NUMVFS, json_object_new_int(x->numvfs));
	return o;
}

static json_object *rejected_json(const struct cfg_errors *errs)
{
	json_object *o, *list;

	if (!errs || !errs->n)
		return NULL;
	o = json_object_new_object();
	list = json_object_new_array();
	for (size_t i = 0; i < errs->n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, PROTO_F_FILE, server_json_str(errs->source, false));
		json_object_object_add(x, PROTO_F_LINE, json_object_new_int((int)errs->v[i].line));
		json_object_object_add(x, PROTO_F_MESSAGE, json_object_new_string(errs->v[i].msg));
		json_object_array_add(list, x);
	}
	json_object_object_add(o, PROTO_R_SOURCE, server_json_str(errs->source, false));
	json_object_object_add(o, PROTO_F_ERRORS, list);
	return o;
}

static int cmd_config(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	const struct config *cfg = engine_config(e);
	json_object *res, *entries;

	if (!cfg)
		return server_client_error(c, PROTO_ERR_NOT_FOUND, "no config loaded yet");
	entries = json_object_new_array();
	for (size_t i = 0; i < cfg->n_entries; i++)
		json_object_array_add(entries, entry_json(cfg, &cfg->entries[i]));
	res = json_object_new_object();
	json_object_object_add(res, PROTO_R_SOURCE, server_json_str(cfg->source, false));
	json_object_object_add(res, PROTO_R_MISSING,
			       json_object_new_boolean(engine_config_missing(e)));
	json_object_object_add(res, PROTO_R_ENTRIES, entries);
	json_object_object_add(res, PROTO_R_RUNTIME_MODIFIED,
			       json_object_new_boolean(engine_config_runtime_modified(e)));
	json_object_object_add(res, PROTO_R_LOADED_AT,
			       json_object_new_int64(engine_config_loaded_ms(e)));
	json_object_object_add(res, PROTO_R_REJECTED, rejected_json(engine_config_errors(e)));
	*result = res;
	return 0;
}

const struct server_cmd server_cmd_config = { PROTO_CMD_CONFIG, cmd_config };
