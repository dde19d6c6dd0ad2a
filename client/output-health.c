/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output-health.c: the node's health as vfiobind prints it: the one line of
 * `status --quiet` and `wait` (what node-problem-detector shows as a node
 * condition's message), what `wait` still waits for, and the metrics text.
 * Pure, like output.c: reply objects in, text out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "util.h"

/* s with every control character (but '\n' when keep_newlines) as '?':
 * a daemon string never drives the terminal. */
static void put_printable(FILE *f, const char *s, bool keep_newlines)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		fputc((ch < 0x20 && !(keep_newlines && ch == '\n')) || ch == 0x7f ? '?' : ch, f);
	}
}

static char *stream_text(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

static const char *str_of(json_object *o, const char *key)
{
	const char *s = NULL;

	proto_args_string(o, key, false, &s);
	return s;
}

/* "3 converged, 1 blocked" in the states' order; "no devices" for none. */
static void put_counts(FILE *f, json_object *health)
{
	json_object *counts = NULL;
	const char *sep = "";

	proto_args_object(health, PROTO_H_COUNTS, false, &counts);
	for (int k = 0; counts && k < PROTO_STATE__MAX; k++) {
		int64_t n = 0;

		proto_args_int(counts, proto_state_name((enum proto_state)k), false, &n);
		if (n <= 0)
			continue;
		fprintf(f, "%s%lld %s", sep, (long long)n, proto_state_name((enum proto_state)k));
		sep = ", ";
	}
	if (!*sep)
		fputs("no devices", f);
}

char *out_health_line(json_object *health)
{
	const char *word = str_of(health, PROTO_H_STATE), *reason = str_of(health, PROTO_H_REASON);
	const char *waiting = str_of(health, PROTO_H_WAITING);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_printable(f, word ? word : "unknown", false);
	fputs(": ", f);
	put_counts(f, health);
	if (reason && reason[0]) {
		/* progressing: the health's reason is what it waits for */
		fputs(word && waiting && strcmp(reason, waiting) == 0 ? "; waiting for " : "; ", f);
		put_printable(f, reason, false);
	}
	fputc('\n', f);
	return stream_text(f, &buf);
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

char *out_wait_text(json_object *result)
{
	json_object *list = NULL, *health = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	proto_args_array(result, PROTO_R_WAITING, false, &list);
	n = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(list, i);
		const char *state = str_of(d, PROTO_S_STATE), *reason = str_of(d, PROTO_S_REASON);

		fputs("vfiobind: still waiting for ", f);
		put_printable(f, str_of(d, PROTO_S_DEVICE), false);
		fputs(" (", f);
		put_printable(f, state ? state : "", false);
		fputs(state && reason && reason[0] ? ": " : "", f);
		put_printable(f, reason, false);
		fputs(")\n", f);
	}
	proto_args_object(result, PROTO_R_HEALTH, false, &health);
	if (!n && str_of(health, PROTO_H_WAITING) && str_of(health, PROTO_H_WAITING)[0]) {
		fputs("vfiobind: still waiting for ", f);
		put_printable(f, str_of(health, PROTO_H_WAITING), false);
		fputc('\n', f);
	}
	return stream_text(f, &buf);
}

char *out_unmatched_text(json_object *result)
{
	json_object *list = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	proto_args_array(result, PROTO_R_UNMATCHED, false, &list);
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		fputs("vfiobind: ", f);
		put_printable(f, json_object_get_string(json_object_array_get_idx(list, i)), false);
		fputs(": no device matches it here, nothing to wait for\n", f);
	}
	return stream_text(f, &buf);
}

char *out_metrics_text(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_printable(f, text, true);
	return stream_text(f, &buf);
}
