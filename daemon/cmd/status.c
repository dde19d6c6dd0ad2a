/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/status.c: `status`: every claimed or managed device with its state,
 * a summary (counts by state and the engine's counters), and the health of
 * the devices listed (logic/health.h). */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "util.h"

static void summary_add(json_object *sum, const char *key, unsigned long v)
{
	json_object_object_add(sum, key, json_object_new_int64((int64_t)v));
}

static json_object *summary(struct engine *e, const unsigned long *by_state, size_t total)
{
	const struct engine_counters *k = engine_counters(e);
	json_object *sum = json_object_new_object();

	for (int i = 0; i < PROTO_STATE__MAX; i++)
		summary_add(sum, proto_state_name((enum proto_state)i), by_state[i]);
	summary_add(sum, PROTO_SUM_TOTAL, total);
	summary_add(sum, PROTO_SUM_MANAGED, engine_managed(e)->n_devs);
	summary_add(sum, PROTO_SUM_PASSES, k->passes);
	summary_add(sum, PROTO_SUM_BINDS, k->binds);
	summary_add(sum, PROTO_SUM_RESTORES, k->restores);
	summary_add(sum, PROTO_SUM_NUMVFS_CHANGES, k->numvfs_changes);
	summary_add(sum, PROTO_SUM_FAILURES, k->failures);
	summary_add(sum, PROTO_SUM_RELOADS, k->reloads);
	summary_add(sum, PROTO_SUM_RELOAD_ERRORS, k->reload_errors);
	summary_add(sum, PROTO_SUM_EVENTS, k->events);
	return sum;
}

static int state_index(json_object *entry)
{
	json_object *st;

	if (!json_object_object_get_ex(entry, PROTO_S_STATE, &st))
		return -1;
	return proto_state_from_name(json_object_get_string(st));
}

/* The filter: canonical BDFs, each of which must have a status. */
static int read_filter(struct server_client *c, const struct plan *p, json_object *list,
		       char (*bdfs)[BDF_BUFSZ], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(list, i);
		bool found = false;

		if (!json_object_is_type(x, json_type_string))
			return server_args_error(c, PROTO_A_DEVICES, -EINVAL, "an array of BDF strings");
		if (bdf_normalize(json_object_get_string(x), bdfs[i]) < 0)
			return server_client_error(c, PROTO_ERR_BAD_DEVICE, "\"%.64s\" is not a PCI address",
						   json_object_get_string(x));
		for (size_t j = 0; p && j < p->n_statuses && !found; j++)
			found = strcmp(p->statuses[j].bdf, bdfs[i]) == 0;
		if (!found)
			return server_client_error(c, PROTO_ERR_NOT_FOUND,
						   "%s: no line claims it and it is not managed", bdfs[i]);
	}
	return 0;
}

static bool wanted(const char (*bdfs)[BDF_BUFSZ], size_t n, const char *bdf)
{
	if (!bdfs)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(bdfs[i], bdf) == 0)
			return true;
	return false;
}

/* The config in force is not the file's. */
static void config_warning(struct engine *e, json_object *w)
{
	const struct cfg_errors *rejected = engine_config_errors(e);
	const char *path = engine_options(e)->config_path;
	size_t n = engine_config(e) ? engine_config(e)->n_entries : 0;
	char line[4400];

	if (engine_config_missing(e) && n)
		snprintf(line, sizeof(line), "%s is missing: the last good config (%zu entr%s) "
			 "stays in force; an empty file releases every device", path, n,
			 n == 1 ? "y" : "ies");
	else if (engine_config_missing(e))
		snprintf(line, sizeof(line), "%s is missing: every device stays as it is until "
			 "it exists", path);
	else if (rejected->n)
		snprintf(line, sizeof(line), "%s is invalid (%zu error%s, see `vfiobind config`): "
			 "the last good config stays in force", path, rejected->n,
			 rejected->n == 1 ? "" : "s");
	else
		line[0] = '\0';
	if (line[0])
		json_object_array_add(w, json_object_new_string(line));
	if (engine_config_untrusted(e)[0]) {
		snprintf(line, sizeof(line), "%s: %s: whoever can write it decides which devices "
			 "vfiobindd takes", path, engine_config_untrusted(e));
		json_object_array_add(w, json_object_new_string(line));
	}
}

/* What state.json could not tell: devices the daemon may have taken and
 * will not give back. Said until the operator removes the file kept aside. */
static void state_warnings(struct engine *e, json_object *w)
{
	const char *run = engine_options(e)->run_dir, *names[8], *why;
	size_t n = engine_state_aside(e, names, ARRAY_SIZE(names));
	char line[4400];

	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s/state.json could not be used and is kept aside as "
			 "%s/%s: the devices it listed are not known to be vfiobindd's, and none "
			 "of them is given back; remove that file once they are seen to", run, run,
			 names[i]);
		json_object_array_add(w, json_object_new_string(line));
	}
	why = engine_state_unusable(e);
	if (why) {
		snprintf(line, sizeof(line), "%s/state.json cannot be used (%s) and could not be "
			 "moved aside: no device is touched until it is removed", run, why);
		json_object_array_add(w, json_object_new_string(line));
	}
}

/* What is true of the daemon as a whole and changes what the devices mean. */
static json_object *warnings(struct engine *e)
{
	json_object *w = json_object_new_array();

	if (!w)
		return NULL;
	config_warning(e, w);
	state_warnings(e, w);
	return w;
}

/* The health of the devices listed: every one, or the filter's. */
static json_object *health(struct engine *e, const char (*bdfs)[BDF_BUFSZ], size_t n)
{
	_cleanup_free_ struct cfg_selector *only = NULL;
	struct health h;

	/* An empty filter lists nothing: its health is that of nothing. */
	if (bdfs && !(only = calloc(n ? n : 1, sizeof(*only))))
		return NULL;
	for (size_t i = 0; only && i < n; i++) {
		only[i].kind = CFG_SEL_BDF;
		bdf_parse(bdfs[i], &only[i].addr);
	}
	engine_health(e, only, n, &h);
	return server_json_health(&h);
}

static int cmd_status(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	const struct plan *p = engine_plan(e);
	_cleanup_free_ char (*bdfs)[BDF_BUFSZ] = NULL;
	unsigned long by_state[PROTO_STATE__MAX] = { 0 };
	json_object *list = NULL, *devs, *res;
	size_t n = 0, total = 0;
	int r;

	r = proto_args_array(args, PROTO_A_DEVICES, false, &list);
	if (r < 0)
		return server_args_error(c, PROTO_A_DEVICES, r, "an array of BDF strings");
	if (list) {
		n = json_object_array_length(list);
		bdfs = calloc(n ? n : 1, sizeof(*bdfs));
		if (!bdfs)
			return PROTO_ERR_INTERNAL;
		r = read_filter(c, p, list, bdfs, n);
		if (r)
			return r;
	}
	devs = json_object_new_array();
	for (size_t i = 0; p && i < p->n_statuses; i++) {
		json_object *x;
		int k;

		if (!wanted((const char (*)[BDF_BUFSZ])bdfs, n, p->statuses[i].bdf))
			continue;
		x = server_json_status(e, &p->statuses[i], engine_config(e), true);
		json_object_object_add(x, PROTO_S_HOLDERS, server_json_held(p, &p->statuses[i]));
		k = state_index(x);
		if (k >= 0)
			by_state[k]++;
		total++;
		json_object_array_add(devs, x);
	}
	res = json_object_new_object();
	json_object_object_add(res, PROTO_R_DEVICES, devs);
	json_object_object_add(res, PROTO_R_SUMMARY, summary(e, by_state, total));
	json_object_object_add(res, PROTO_R_WARNINGS, warnings(e));
	json_object_object_add(res, PROTO_R_HEALTH,
			       health(e, (const char (*)[BDF_BUFSZ])bdfs, n));
	*result = res;
	return 0;
}

const struct server_cmd server_cmd_status = { PROTO_CMD_STATUS, cmd_status };
