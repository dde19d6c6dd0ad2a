/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-config.c: the config in force. A file that parses replaces it and
 * asks for a full pass; one that does not is kept out with its errors, and
 * the last good config stays (README "Errors"). A file that is missing is
 * never read as "release everything": tools delete and re-create files,
 * symlinks dangle for a moment, a ConfigMap's directory is swapped; the last
 * good config stays (and with none yet, every device stays as it is). An
 * empty file is how an operator releases everything. */
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

/* The pass a new config asks for reads every device again unless PCI events
 * keep the model current for it: they do not without a monitor, nor for
 * interface names (a rename raises no PCI event). Otherwise the devices the
 * pass would move are read again before it plans for good (engine-facts.c),
 * so what it records about them (the driver to give back one day) is what
 * sysfs says then, as after a rescan; the binder reads each device's own
 * state before it writes, and in-use and holder facts are gathered for each
 * move. What it spares is reading ~10 files of every other function. */
static bool config_pass_rescans(const struct engine *e)
{
	return !e->events_live || config_names_interfaces(e->config);
}

/* Ask for the pass a new config needs, now. */
static void config_pass(struct engine *e, const char *why, long long now)
{
	bool full = config_pass_rescans(e);

	e->pass_refresh |= !full;
	engine_schedule_pass_now(e, full, why, now);
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
		  errs->n, errs->n == 1 ? "" : "s", e->have_good_config ? "last good" : "empty");
	log_config_errors(errs);
	cfg_errors_clear(&e->rejected);
	e->rejected = *errs;
	if (!e->config)
		e->config = config_new_empty(e->config_path);
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_REJECTED, EINVAL,
		    "%s rejected: %zu error(s)", e->config_path, e->rejected.n);
	return r;
}

/* The file is gone: nothing changes but what we say. */
static int keep_for_missing(struct engine *e)
{
	if (!e->config_missing) {
		if (e->have_good_config)
			log_warning("%s: no such file: the last good config (%zu entr%s) stays in "
				    "force; write an empty file to release every device",
				    e->config_path, e->config->n_entries,
				    e->config->n_entries == 1 ? "y" : "ies");
		else
			log_warning("%s: no such file: every device stays as it is until it exists",
				    e->config_path);
		engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_MISSING, ENOENT,
			    "%s is missing: the last good config stays in force", e->config_path);
	}
	e->config_missing = true;
	if (!e->config)
		e->config = config_new_empty(e->config_path);
	return -ENOENT;
}

/* Say it once when someone besides root can change what the root daemon
 * takes (and once when that ends): the daemon acts on the file all the
 * same, as it did before; the operator decides. */
static void judge_trust(struct engine *e)
{
	char why[sizeof(e->config_untrusted)] = "";

	if (conffile_trust(e->config_path, why, sizeof(why)) <= 0)
		why[0] = '\0';
	if (strcmp(why, e->config_untrusted) == 0)
		return;
	if (why[0])
		log_warning("%s: %s: whoever can write it decides which devices this root daemon "
			    "takes (keep the file and its directory root's, writable by root alone)",
			    e->config_path, why);
	else
		log_info("%s: writable by root alone again", e->config_path);
	util_strlcpy(e->config_untrusted, why, sizeof(e->config_untrusted));
}

/* debounce: releases this file asks for wait out the grace (a file written
 * in place may be half written now); a file we wrote ourselves is whole. */
static int reload(struct engine *e, const char *why, bool debounce)
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
	if (c->missing) {
		config_free(c);
		free(text);
		return keep_for_missing(e);
	}
	if (e->config_missing)
		log_info("%s: the file is back", e->config_path);
	e->config_missing = false;
	judge_trust(e);
	cfg_errors_clear(&e->rejected);
	if (e->have_good_config && !e->runtime_modified && e->config_text && text &&
	    strcmp(e->config_text, text) == 0) {
		/* Same bytes (an editor's touch, a ConfigMap resync): nothing to do. */
		config_free(c);
		free(text);
		return 0;
	}
	log_info("%s: loaded %zu entr%s (%s)", e->config_path, c->n_entries,
		 c->n_entries == 1 ? "y" : "ies", why);
	config_replace(e, c, text, false);
	e->release_after = debounce && e->o.release_grace_ms > 0 ? now + e->o.release_grace_ms : 0;
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_LOADED, 0, "%s loaded: %zu entries",
		    e->config_path, e->config->n_entries);
	config_pass(e, "config reload", now);
	engine_arm(e, now);
	return 0;
}

/* A rejected or missing file asks for no pass, but what the engine tells
 * changed all the same: arm for the report that follows. */
static int reload_and_arm(struct engine *e, const char *why, bool debounce)
{
	int r = reload(e, why, debounce);

	engine_arm(e, engine_now(e));
	return r;
}

int engine_reload(struct engine *e, const char *why)
{
	return reload_and_arm(e, why, true);
}

int engine_reload_edited(struct engine *e, const char *why)
{
	return reload_and_arm(e, why, false);
}

int engine_apply_config(struct engine *e, struct config *c)
{
	long long now = engine_now(e);

	config_replace(e, c, NULL, true);
	e->release_after = 0; /* asked for by an operator, whole */
	engine_emit(e, PROTO_EVENT_CONFIG, NULL, PROTO_CONFIG_RUNTIME, 0,
		    "runtime config applied: %zu entries", c->n_entries);
	config_pass(e, "runtime config change", now);
	engine_arm(e, now);
	return 0;
}
