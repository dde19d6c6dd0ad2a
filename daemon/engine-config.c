/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-config.c: the config in force. A file that parses replaces it and
 * asks for a full pass; one that does not is kept out with its errors, and
 * the last good config stays (README "Errors"). */
#include <errno.h>
#include <string.h>

#include "conffile.h"
#include "engine-private.h"
#include "log.h"

static void log_config_errors(const struct cfg_errors *errs)
{
	char line[512];

	for (size_t i = 0; i < errs->n; i++)
		if (cfg_errors_format(errs, i, line, sizeof(line)) >= 0)
			log_error("%s", line);
}

static void config_replace(struct engine *e, struct config *c, char *text, bool runtime)
{
	config_free(e->config);
	free(e->config_text);
	e->config = c;
	e->config_text = text;
	e->loaded_ms = engine_wall(e);
	e->runtime_modified = runtime;
	e->have_good_config = true;
	e->ctr.reloads++;
}

static int reject(struct engine *e, int r, struct cfg_errors *errs)
{
	e->ctr.reload_errors++;
	log_error("%s: rejected (%zu error%s), keeping the %s config in force", e->config_path,
		  errs->n, errs->n == 1 ? "" : "s", e->config ? "last good" : "empty");
	log_config_errors(errs);
	cfg_errors_clear(&e->rejected);
	e->rejected = *errs;
	if (!e->config)
		e->config = config_new_empty(e->config_path);
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_REJECTED, EINVAL,
		    "%s rejected: %zu error(s)", e->config_path, e->rejected.n);
	return r;
}

int engine_reload(struct engine *e, const char *why)
{
	struct cfg_errors errs = { 0 };
	struct config *c = NULL;
	char *text = NULL;
	long long now = engine_now(e);
	int r;

	r = conffile_load(e->config_path, &c, &errs, &text);
	if (r < 0)
		return reject(e, r, &errs);
	cfg_errors_clear(&errs); /* the parser names its source even on success */
	cfg_errors_clear(&e->rejected);
	if (e->config && !e->runtime_modified && e->config_text && text &&
	    strcmp(e->config_text, text) == 0 && e->config->missing == c->missing) {
		/* Same bytes (an editor's touch, a ConfigMap resync): nothing to do. */
		config_free(c);
		free(text);
		return 0;
	}
	if (c->missing)
		log_warning("%s: no such file: empty desired state (nothing to bind)", e->config_path);
	else
		log_info("%s: loaded %zu entr%s (%s)", e->config_path, c->n_entries,
			 c->n_entries == 1 ? "y" : "ies", why);
	config_replace(e, c, text, false);
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_LOADED, 0, "%s loaded: %zu entries",
		    e->config_path, e->config->n_entries);
	engine_schedule_pass(e, true, "config reload", now);
	engine_arm(e, now);
	return 0;
}

int engine_apply_config(struct engine *e, struct config *c)
{
	long long now = engine_now(e);

	config_replace(e, c, NULL, true);
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_RUNTIME, 0,
		    "runtime config applied: %zu entries", c->n_entries);
	engine_schedule_pass(e, false, "runtime config change", now);
	engine_arm(e, now);
	return 0;
}
