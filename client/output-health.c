/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output-health.c: the node's health as vfiobind prints it: the one line of
 * `status --quiet` and `wait` (what node-problem-detector shows as a node
 * condition's message), what `wait` still waits for, and the metrics text.
 * Pure, like output.c: reply objects in, text out. */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "strbuf.h"
#include "util.h"

/* Append s (NULL: nothing) with every control character (but '\n' when
 * keep_newlines) as '?': a daemon string never drives the terminal. */
static void add_printable(struct strbuf *b, const char *s, bool keep_newlines)
{
	size_t at = b->len;

	strbuf_add(b, s ? s : "");
	for (size_t i = at; !b->oom && i < b->len; i++) {
		unsigned char ch = (unsigned char)b->p[i];

		if ((ch < 0x20 && !(keep_newlines && ch == '\n')) || ch == 0x7f)
			b->p[i] = '?';
	}
}

static const char *str_of(json_object *o, const char *key)
{
	const char *s = NULL;

	proto_args_string(o, key, false, &s);
	return s;
}

/* "3 converged, 1 blocked" in the states' order; "no devices" for none. */
static void add_counts(struct strbuf *b, json_object *health)
{
	json_object *counts = NULL;
	const char *sep = "";

	proto_args_object(health, PROTO_H_COUNTS, false, &counts);
	for (int k = 0; counts && k < PROTO_STATE__MAX; k++) {
		int64_t n = 0;

		proto_args_int(counts, proto_state_name((enum proto_state)k), false, &n);
		if (n <= 0)
			continue;
		strbuf_addf(b, "%s%lld %s", sep, (long long)n, proto_state_name((enum proto_state)k));
		sep = ", ";
	}
	if (!*sep)
		strbuf_add(b, "no devices");
}

char *out_health_line(json_object *health)
{
	const char *word = str_of(health, PROTO_H_STATE), *reason = str_of(health, PROTO_H_REASON);
	const char *waiting = str_of(health, PROTO_H_WAITING);
	struct strbuf b = { 0 };

	add_printable(&b, word ? word : "unknown", false);
	strbuf_add(&b, ": ");
	add_counts(&b, health);
	if (reason && reason[0]) {
		/* progressing: the health's reason is what it waits for */
		strbuf_add(&b, waiting && strcmp(reason, waiting) == 0 ? "; waiting for " : "; ");
		add_printable(&b, reason, false);
	}
	strbuf_add(&b, "\n");
	return strbuf_take(&b);
}

int out_health_exit(json_object *health)
{
	const char *word = str_of(health, PROTO_H_STATE);

	if (word && strcmp(word, "healthy") == 0)
		return CLIENT_EXIT_OK;
	if (word && strcmp(word, "progressing") == 0)
		return CLIENT_EXIT_NOT_SETTLED;
	return CLIENT_EXIT_FAIL;
}

static void add_still_waiting(struct strbuf *b, const char *what, const char *state,
			      const char *reason)
{
	strbuf_add(b, "vfiobind: still waiting for ");
	add_printable(b, what, false);
	if (state || reason) {
		strbuf_add(b, " (");
		add_printable(b, state, false);
		strbuf_add(b, state && reason && reason[0] ? ": " : "");
		add_printable(b, reason, false);
		strbuf_add(b, ")");
	}
	strbuf_add(b, "\n");
}

char *out_wait_text(json_object *result)
{
	json_object *list = NULL, *health = NULL;
	struct strbuf b = { 0 };
	const char *waiting;
	size_t n;

	proto_args_array(result, PROTO_R_WAITING, false, &list);
	n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(list, i);

		add_still_waiting(&b, str_of(d, PROTO_S_DEVICE), str_of(d, PROTO_S_STATE),
				  str_of(d, PROTO_S_REASON));
	}
	proto_args_object(result, PROTO_R_HEALTH, false, &health);
	waiting = str_of(health, PROTO_H_WAITING);
	if (!n && waiting && waiting[0])
		add_still_waiting(&b, waiting, NULL, NULL);
	return strbuf_take(&b);
}

char *out_unmatched_text(json_object *result)
{
	json_object *list = NULL;
	struct strbuf b = { 0 };

	proto_args_array(result, PROTO_R_UNMATCHED, false, &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		strbuf_add(&b, "vfiobind: ");
		add_printable(&b, json_object_get_string(json_object_array_get_idx(list, i)), false);
		strbuf_add(&b, ": no device matches it here, nothing to wait for\n");
	}
	return strbuf_take(&b);
}

char *out_metrics_text(const char *text)
{
	struct strbuf b = { 0 };

	add_printable(&b, text, true);
	return strbuf_take(&b);
}
