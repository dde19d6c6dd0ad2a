/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/add.c: `add`: a config line, in the file (default) or in memory only
 * ("runtime": true). Given as text ("line") or as parts ("node", "device",
 * "options"); either way it is parsed, written in canonical form, and a line
 * with the same node and selector is replaced rather than doubled. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confedit.h"
#include "engine.h"
#include "server.h"
#include "util.h"
#include "confedit-file.h"

#define ADD_LINE_MAX 4096

/* A word that cannot add words of its own to a line. */
static bool one_word(const char *s)
{
	return s[0] && !strpbrk(s, " \t\r\n#");
}

static int append(struct server_client *c, char *buf, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(struct server_client *c, char *buf, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)c;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, ADD_LINE_MAX - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= ADD_LINE_MAX - *off)
		return server_client_error(c, PROTO_ERR_BAD_REQUEST, "line too long");
	*off += (size_t)n;
	return 0;
}

static int option_word(struct server_client *c, char *buf, size_t *off, const char *key,
		       json_object *v)
{
	const char *s;

	if (!one_word(key))
		return server_client_error(c, PROTO_ERR_BAD_REQUEST, "bad option name \"%.64s\"", key);
	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		if (!one_word(s))
			return server_client_error(c, PROTO_ERR_BAD_REQUEST,
						   "option %.64s: value must be one word", key);
		return append(c, buf, off, " %s=%s", key, s);
	case json_type_int:
		return append(c, buf, off, " %s=%lld", key, (long long)json_object_get_int64(v));
	case json_type_boolean:
		return append(c, buf, off, " %s=%s", key, json_object_get_boolean(v) ? "yes" : "no");
	default:
		return server_client_error(c, PROTO_ERR_BAD_REQUEST,
					   "option %.64s: a string, integer or boolean", key);
	}
}

/* "node device key=value..." from the structured form. */
static int build_line(struct server_client *c, json_object *args, char *buf)
{
	const char *node = "DEFAULT", *device = NULL;
	json_object *opts = NULL;
	size_t off = 0;
	int r;

	if ((r = proto_args_string(args, PROTO_A_NODE, false, &node)) < 0)
		return server_args_error(c, PROTO_A_NODE, r, "a string");
	if ((r = proto_args_string(args, PROTO_A_DEVICE, true, &device)) < 0)
		return server_args_error(c, PROTO_A_DEVICE, r, "a string (device selector)");
	if ((r = proto_args_object(args, PROTO_A_OPTIONS, false, &opts)) < 0)
		return server_args_error(c, PROTO_A_OPTIONS, r, "an object");
	if (!one_word(node))
		return server_client_error(c, PROTO_ERR_BAD_REQUEST, "node must be one word");
	if (!one_word(device))
		return server_client_error(c, PROTO_ERR_BAD_DEVICE,
					   "\"%.64s\" is not a device selector", device);
	r = append(c, buf, &off, "%s %s", node, device);
	if (r)
		return r;
	if (opts) {
		json_object_object_foreach(opts, key, v) {
			r = option_word(c, buf, &off, key, v);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Parse the line: bad-device when the DEVICE word is the problem, else
 * config-invalid; on success, its canonical text into canon. */
static int check_line(struct server_client *c, const char *line, char *canon, size_t size)
{
	char words[ADD_LINE_MAX], msg[256], *p = words, *dev;
	struct cfg_selector sel;
	struct cfg_entry e;
	int r;

	util_strlcpy(words, line, sizeof(words));
	strsep(&p, " \t");
	while (p && (*p == ' ' || *p == '\t'))
		p++;
	dev = p ? strsep(&p, " \t") : NULL;
	if (dev && dev[0]) {
		r = server_parse_selector(c, dev, &sel);
		if (r)
			return r;
	}
	if (config_parse_line(line, 1, &e, msg, sizeof(msg)) < 0) {
		struct cfg_error err = { .line = 1 };
		struct cfg_errors errs = { .source = (char *)"(request)", .v = &err, .n = 1 };

		util_strlcpy(err.msg, msg, sizeof(err.msg));
		return server_config_error(c, &errs, "line rejected");
	}
	r = config_format_entry(&e, canon, size);
	config_entry_clear(&e);
	return r < 0 ? server_client_error(c, PROTO_ERR_BAD_REQUEST, "line too long") : 0;
}

static int add_runtime(struct server_client *c, const char *line, bool *replaced)
{
	struct engine *e = server_client_engine(c);
	struct config *n = NULL;
	char msg[256];
	int r = confedit_config_add(engine_config(e), line, &n, replaced, msg, sizeof(msg));

	if (r < 0)
		return server_client_error(c, proto_error_from_errno(r), "%s", msg);
	return engine_apply_config(e, n) < 0 ? PROTO_ERR_INTERNAL : 0;
}

static int cmd_add(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	const char *path = engine_options(e)->config_path, *text = NULL;
	char built[ADD_LINE_MAX] = "", canon[ADD_LINE_MAX];
	struct cfg_errors errs = { 0 };
	bool runtime = false, replaced = false;
	int r;

	if ((r = proto_args_bool(args, PROTO_A_RUNTIME, false, &runtime)) < 0)
		return server_args_error(c, PROTO_A_RUNTIME, r, "a boolean");
	if ((r = proto_args_string(args, PROTO_A_LINE, false, &text)) < 0)
		return server_args_error(c, PROTO_A_LINE, r, "a string");
	if (text && (json_object_object_get_ex(args, PROTO_A_DEVICE, NULL) ||
		     json_object_object_get_ex(args, PROTO_A_NODE, NULL) ||
		     json_object_object_get_ex(args, PROTO_A_OPTIONS, NULL)))
		return server_client_error(c, PROTO_ERR_BAD_REQUEST,
					   "give either \"line\" or \"node\"/\"device\"/\"options\"");
	if (!text) {
		if ((r = build_line(c, args, built)))
			return r;
		text = built;
	}
	if ((r = check_line(c, text, canon, sizeof(canon))))
		return r;
	if (runtime) {
		r = add_runtime(c, canon, &replaced);
	} else {
		r = confedit_file_add(path, canon, &replaced, &errs);
		r = server_edit_result(c, r, &errs, path);
		cfg_errors_clear(&errs);
	}
	if (r)
		return r;
	*result = json_object_new_object();
	json_object_object_add(*result, PROTO_R_ADDED, json_object_new_string(canon));
	json_object_object_add(*result, PROTO_R_REPLACED, json_object_new_boolean(replaced));
	json_object_object_add(*result, PROTO_R_RUNTIME, json_object_new_boolean(runtime));
	return 0;
}

const struct server_cmd server_cmd_add = { PROTO_CMD_ADD, cmd_add };
