/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/util.c: what several command files share: argument errors, selector
 * parsing, and the JSON shape of a status entry and of an action. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "util.h"

int server_args_error(struct server_client *c, const char *key, int r, const char *what)
{
	if (r == -ENOENT)
		return server_client_error(c, PROTO_ERR_BAD_REQUEST, "missing argument \"%s\"", key);
	return server_client_error(c, PROTO_ERR_BAD_REQUEST, "argument \"%s\" must be %s", key,
				   what);
}

int server_parse_selector(struct server_client *c, const char *text, struct cfg_selector *out)
{
	_cleanup_free_ char *line = NULL;
	struct cfg_entry e;
	char msg[256];

	/* Exactly one word: blanks or a '#' would smuggle in more of a line. */
	if (!text[0] || strpbrk(text, " \t\r\n#"))
		return server_client_error(c, PROTO_ERR_BAD_DEVICE,
					   "\"%.64s\" is not a device selector", text);
	if (asprintf(&line, "DEFAULT %s", text) < 0) {
		line = NULL;
		return PROTO_ERR_INTERNAL;
	}
	if (config_parse_line(line, 0, &e, msg, sizeof(msg)) < 0)
		return server_client_error(c, PROTO_ERR_BAD_DEVICE, "%s", msg);
	*out = e.sel;
	config_entry_clear(&e);
	return 0;
}

json_object *server_json_line(const char *source, unsigned line)
{
	char buf[4200];

	if (!line)
		return NULL;
	snprintf(buf, sizeof(buf), "%s:%u", source ? source : "(runtime)", line);
	return json_object_new_string(buf);
}

json_object *server_json_str(const char *s, bool empty_is_null)
{
	if (!s || (empty_is_null && !s[0]))
		return NULL;
	return json_object_new_string(s);
}

static json_object *json_ms(long long ms)
{
	return ms > 0 ? json_object_new_int64(ms) : NULL;
}

json_object *server_json_nonneg(int v)
{
	return v >= 0 ? json_object_new_int(v) : NULL;
}

json_object *server_json_ifnames(const struct pci_dev *d)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; d && a && i < d->n_ifnames; i++)
		json_object_array_add(a, json_object_new_string(d->ifnames[i]));
	return a;
}

/* Facts from the PCI model: id, interfaces, PF of a VF. */
static void status_pci(json_object *o, const struct pci_dev *d)
{
	char vd[16];

	if (d) {
		snprintf(vd, sizeof(vd), "%04x:%04x", d->vendor, d->device);
		json_object_object_add(o, PROTO_S_VENDOR_DEVICE, json_object_new_string(vd));
	} else {
		json_object_object_add(o, PROTO_S_VENDOR_DEVICE, NULL);
	}
	json_object_object_add(o, PROTO_S_IFNAMES, server_json_ifnames(d));
	if (d && d->physfn[0]) {
		json_object_object_add(o, PROTO_S_PF, json_object_new_string(d->physfn));
		json_object_object_add(o, PROTO_S_VF_INDEX, server_json_nonneg(d->vf_index));
	}
}

/* Facts the engine keeps beside the plan: the view's state (stuck, error),
 * errors, retries, timings (monotonic in the engine, epoch on the wire). */
static void status_runtime(json_object *o, struct engine *e, const struct plan_status *st)
{
	const struct devtab_entry *d = engine_dev_info(e, st->bdf);
	const struct managed_dev *m = managed_find(engine_managed(e), st->bdf);
	struct view_dev v = engine_view(e, st);
	json_object *le = NULL;

	json_object_object_add(o, PROTO_S_STATE, json_object_new_string(proto_state_name(v.state)));
	json_object_object_add(o, PROTO_S_REASON, json_object_new_string(v.reason));
	if (d && d->last_errno) {
		le = json_object_new_object();
		json_object_object_add(le, PROTO_S_ERRNO, json_object_new_int(d->last_errno));
		json_object_object_add(le, PROTO_S_MESSAGE,
				       json_object_new_string(d->last_error ? d->last_error : ""));
	}
	json_object_object_add(o, PROTO_S_LAST_ERROR, le);
	json_object_object_add(o, PROTO_S_FAILURES, json_object_new_int(d ? d->failures : 0));
	json_object_object_add(o, PROTO_S_RETRY_AT,
			       json_ms(d ? engine_epoch_ms(e, d->retry_at_ms) : 0));
	json_object_object_add(o, PROTO_S_LAST_TRANSITION,
			       json_ms(d ? engine_epoch_ms(e, d->last_transition_ms) : 0));
	json_object_object_add(o, PROTO_S_IN_FLIGHT_SINCE,
			       json_ms(d && d->in_flight ? engine_epoch_ms(e, d->in_flight_since_ms)
							 : 0));
	json_object_object_add(o, PROTO_S_ORIGINAL_DRIVER,
			       server_json_str(m ? m->original_driver : NULL, true));
}

json_object *server_json_status(struct engine *e, const struct plan_status *st,
				const struct config *cfg, bool with_runtime)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, PROTO_S_DEVICE, json_object_new_string(st->bdf));
	json_object_object_add(o, PROTO_S_LINE,
			       server_json_line(cfg ? cfg->source : NULL, st->line));
	json_object_object_add(o, PROTO_S_DESIRED, json_object_new_string(st->desired));
	json_object_object_add(o, PROTO_S_CURRENT, json_object_new_string(st->current));
	json_object_object_add(o, PROTO_S_STATE, json_object_new_string(proto_state_name(st->state)));
	json_object_object_add(o, PROTO_S_REASON, json_object_new_string(st->reason));
	json_object_object_add(o, PROTO_S_IOMMU_GROUP, server_json_nonneg(st->iommu_group));
	json_object_object_add(o, PROTO_S_GROUP_VIABLE, json_object_new_boolean(st->group_viable));
	if (st->pf_claim) {
		json_object_object_add(o, PROTO_S_PF_CLAIM, json_object_new_boolean(1));
		json_object_object_add(o, PROTO_S_NUMVFS, json_object_new_int(st->numvfs));
	}
	status_pci(o, e ? pci_find(engine_pci(e), st->bdf) : NULL);
	if (with_runtime && e)
		status_runtime(o, e, st);
	return o;
}

json_object *server_json_holders(const struct plan_held *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && v && i < v->n_holders; i++) {
		const struct plan_holder *h = &v->holders[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, PROTO_H_PID, json_object_new_int(h->pid));
		json_object_object_add(o, PROTO_H_UID, json_object_new_int64(h->uid));
		json_object_object_add(o, PROTO_H_COMM, json_object_new_string(h->comm));
		json_object_object_add(o, PROTO_H_PATH, json_object_new_string(h->path));
		json_object_object_add(o, PROTO_H_DEVICE, json_object_new_string(h->bdf));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *server_json_held(const struct plan *p, const struct plan_status *st)
{
	return server_json_holders(plan_held_for(p, st));
}

json_object *server_json_action(const struct plan_action *a)
{
	json_object *o = json_object_new_object();
	char text[512];

	if (!o)
		return NULL;
	plan_format_action(a, text, sizeof(text));
	json_object_object_add(o, PROTO_X_KIND, json_object_new_string(proto_action_name(a->kind)));
	json_object_object_add(o, PROTO_X_DEVICE, json_object_new_string(a->bdf));
	json_object_object_add(o, PROTO_X_TEXT, json_object_new_string(text));
	if (a->kind == PROTO_ACTION_NUMVFS) {
		json_object_object_add(o, PROTO_X_NUMVFS, json_object_new_int(a->numvfs));
		json_object_object_add(o, PROTO_X_CURRENT_NUMVFS, json_object_new_int(a->current_numvfs));
	} else {
		json_object_object_add(o, PROTO_X_DRIVER, json_object_new_string(a->driver));
		json_object_object_add(o, PROTO_X_CURRENT, json_object_new_string(a->current));
	}
	json_object_object_add(o, PROTO_X_LINE, a->line ? json_object_new_int((int)a->line) : NULL);
	return o;
}

json_object *server_json_health(const struct health *h)
{
	json_object *o = json_object_new_object(), *counts = json_object_new_object();

	for (int i = 0; counts && i < PROTO_STATE__MAX; i++)
		json_object_object_add(counts, proto_state_name((enum proto_state)i),
				       json_object_new_int64((int64_t)h->by_state[i]));
	if (!o) {
		json_object_put(counts);
		return NULL;
	}
	json_object_object_add(o, PROTO_H_STATE, json_object_new_string(health_word_name(h->word)));
	json_object_object_add(o, PROTO_H_SETTLED, json_object_new_boolean(h->settled));
	json_object_object_add(o, PROTO_H_HEALTHY, json_object_new_boolean(h->healthy));
	json_object_object_add(o, PROTO_H_REASON, json_object_new_string(h->reason));
	json_object_object_add(o, PROTO_H_WAITING, json_object_new_string(h->waiting));
	json_object_object_add(o, PROTO_H_COUNTS, counts);
	return o;
}

int server_config_error(struct server_client *c, const struct cfg_errors *errs,
			const char *what)
{
	json_object *list = json_object_new_array();
	char first[320] = "";

	for (size_t i = 0; errs && list && i < errs->n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, PROTO_F_FILE, server_json_str(errs->source, false));
		json_object_object_add(x, PROTO_F_LINE, json_object_new_int((int)errs->v[i].line));
		json_object_object_add(x, PROTO_F_MESSAGE, json_object_new_string(errs->v[i].msg));
		json_object_array_add(list, x);
		if (i == 0)
			cfg_errors_format(errs, 0, first, sizeof(first));
	}
	server_client_error_field(c, PROTO_F_ERRORS, list);
	return server_client_error(c, PROTO_ERR_CONFIG_INVALID, "%s: %zu error%s%s%s", what,
				   errs ? errs->n : 0, errs && errs->n == 1 ? "" : "s",
				   first[0] ? "; first: " : "", first);
}

int server_edit_result(struct server_client *c, int r, const struct cfg_errors *errs,
		       const char *path)
{
	struct engine *e = server_client_engine(c);

	switch (r) {
	case 0:
		break;
	case -EROFS:
		if (errs && errs->n == 1 && errs->v[0].line == 0) /* the edit said why */
			return server_client_error(c, PROTO_ERR_CONFIG_READONLY,
						   "%s: %s; or send \"runtime\": true to change only "
						   "the daemon's memory", path, errs->v[0].msg);
		return server_client_error(c, PROTO_ERR_CONFIG_READONLY,
					   "%s cannot be rewritten (read-only, or a ConfigMap): change its "
					   "source, or send \"runtime\": true to change only the daemon's memory",
					   path);
	case -EINVAL:
		return server_config_error(c, errs, "the config would be invalid; file unchanged");
	default:
		return server_client_error(c, proto_error_from_errno(r), "%s: %s", path, strerror(-r));
	}
	/* The inotify watch would see the rename too; reloading now makes the
	 * reply tell the truth about the config in force. */
	r = engine_reload_edited(e, "client edit");
	if (r == -EINVAL)
		return server_config_error(c, engine_config_errors(e), "config rejected after the edit");
	if (r < 0)
		return server_client_error(c, PROTO_ERR_INTERNAL, "reload: %s", strerror(-r));
	return 0;
}
