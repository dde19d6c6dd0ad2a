/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto.c: encoding and strict decoding of control-socket lines (proto.h).
 * The daemon decodes whatever a local user sends, so every check here is a
 * refusal with a code, never a crash: bounded depth, one object per line,
 * typed fields, no unknown top-level keys, each command's args as the table
 * of commands.c says. Both decoders read the envelope before the version,
 * so that peers of two versions can still name each other's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Client text quoted in an error message (and so in the daemon's log): at
 * most 64 bytes, control and non-ASCII bytes shown as '?', so a client can
 * neither forge log lines nor leave half a UTF-8 character behind. */
static const char *printable(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i < 64 && i + 1 < size; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	return out;
}

static const char *const error_names[PROTO_ERR__MAX] = {
	[PROTO_OK] = "ok",
	[PROTO_ERR_PARSE] = "parse-error",
	[PROTO_ERR_BAD_REQUEST] = "bad-request",
	[PROTO_ERR_BAD_VERSION] = "bad-version",
	[PROTO_ERR_UNKNOWN_COMMAND] = "unknown-command",
	[PROTO_ERR_TOO_LARGE] = "too-large",
	[PROTO_ERR_PERMISSION_DENIED] = "permission-denied",
	[PROTO_ERR_BAD_DEVICE] = "bad-device",
	[PROTO_ERR_NOT_FOUND] = "not-found",
	[PROTO_ERR_CONFIG_INVALID] = "config-invalid",
	[PROTO_ERR_CONFIG_READONLY] = "config-readonly",
	[PROTO_ERR_BUSY] = "busy",
	[PROTO_ERR_TIMEOUT] = "timeout",
	[PROTO_ERR_INTERNAL] = "internal",
};

const char *proto_error_name(enum proto_error code)
{
	if ((int)code < 0 || code >= PROTO_ERR__MAX)
		return NULL;
	return error_names[code];
}

int proto_error_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	for (int i = 0; i < PROTO_ERR__MAX; i++)
		if (strcmp(error_names[i], name) == 0)
			return i;
	return -ENOENT;
}

enum proto_error proto_error_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return PROTO_OK;
	case EROFS:
		return PROTO_ERR_CONFIG_READONLY;
	case EPERM:
	case EACCES:
		return PROTO_ERR_PERMISSION_DENIED;
	case ENOENT:
	case ENODEV:
		return PROTO_ERR_NOT_FOUND;
	case EINVAL:
		return PROTO_ERR_BAD_REQUEST;
	case ETIMEDOUT:
		return PROTO_ERR_TIMEOUT;
	case EBUSY:
	case EAGAIN:
		return PROTO_ERR_BUSY;
	default:
		return PROTO_ERR_INTERNAL;
	}
}

void proto_err_clear(struct proto_err *err)
{
	if (!err)
		return;
	json_object_put(err->id);
	err->id = NULL;
	err->code = PROTO_OK;
	err->message[0] = '\0';
}

__attribute__((format(printf, 3, 4)))
static int fail(struct proto_err *err, enum proto_error code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Parse exactly one JSON value spanning the whole of line: the first step of
 * both decoders, so it also starts err afresh. err is set, not cleared with
 * proto_err_clear(): a caller's fresh struct may hold anything in id. */
static json_object *parse_line(const char *line, size_t len, size_t max,
			       struct proto_err *err)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t used;

	if (err) {
		err->id = NULL;
		err->code = PROTO_OK;
		err->message[0] = '\0';
	}
	if (len > max) {
		fail(err, PROTO_ERR_TOO_LARGE, "line longer than %zu bytes", max);
		return NULL;
	}
	/* json-c would stop at a NUL and call the rest trailing garbage anyway,
	 * but say what is wrong. */
	if (memchr(line, '\0', len)) {
		fail(err, PROTO_ERR_PARSE, "NUL byte in request");
		return NULL;
	}
	tok = json_tokener_new_ex(PROTO_MAX_DEPTH);
	if (!tok) {
		fail(err, PROTO_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		json_object_put(obj);
		fail(err, PROTO_ERR_PARSE, "incomplete JSON");
		return NULL;
	}
	if (jerr != json_tokener_success || !obj) {
		json_object_put(obj);
		fail(err, PROTO_ERR_PARSE, "invalid JSON: %s", json_tokener_error_desc(jerr));
		return NULL;
	}
	/* Only white space may follow the value (a '\r' of a CRLF client too). */
	for (; used < len; used++)
		if (!strchr(" \t\r\n", line[used])) {
			json_object_put(obj);
			fail(err, PROTO_ERR_PARSE, "text after the JSON object");
			return NULL;
		}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		fail(err, PROTO_ERR_PARSE, "not a JSON object");
		return NULL;
	}
	return obj;
}

static bool id_valid(json_object *id)
{
	if (json_object_is_type(id, json_type_int))
		return true;
	return json_object_is_type(id, json_type_string) &&
	       json_object_get_string_len(id) <= PROTO_MAX_ID_LEN;
}

/* "v", the envelope's version: an integer in every version. */
static int read_version(json_object *root, int64_t *out, struct proto_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(root, PROTO_F_V, &v))
		return fail(err, PROTO_ERR_BAD_REQUEST, "missing \"v\"");
	if (!json_object_is_type(v, json_type_int))
		return fail(err, PROTO_ERR_BAD_REQUEST, "\"v\" must be an integer");
	*out = json_object_get_int64(v);
	return 0;
}

static const char *const request_fields[] = {
	PROTO_F_V, PROTO_F_ID, PROTO_F_CMD, PROTO_F_ARGS, NULL,
};

int proto_decode_request(const char *line, size_t len, struct proto_request *req,
			 struct proto_err *err)
{
	json_object *root, *id, *cmd, *args = NULL;
	const char *bad, *name;
	char quoted[80];
	int64_t v;
	int r, c;

	memset(req, 0, sizeof(*req));
	root = parse_line(line, len, PROTO_MAX_LINE, err);
	if (!root)
		return -EINVAL;

	/* The envelope first (doc/protocol.md: frozen for every version): the id,
	 * so that every later refusal can echo it, then the version, so that a
	 * peer of another version hears which one we speak, whatever else its
	 * request holds. */
	if (!json_object_object_get_ex(root, PROTO_F_ID, &id)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "missing \"id\"");
		goto fail;
	}
	if (!id_valid(id)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST,
			 "\"id\" must be an integer or a string of at most %d bytes",
			 PROTO_MAX_ID_LEN);
		goto fail;
	}
	if (err)
		err->id = json_object_get(id);

	r = read_version(root, &v, err);
	if (r < 0)
		goto fail;
	if (v != PROTO_VERSION) {
		r = fail(err, PROTO_ERR_BAD_VERSION,
			 "protocol version %lld not supported: vfiobindd speaks protocol %d",
			 (long long)v, PROTO_VERSION);
		goto fail;
	}
	if (!json_object_object_get_ex(root, PROTO_F_CMD, &cmd)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "missing \"cmd\"");
		goto fail;
	}
	if (!json_object_is_type(cmd, json_type_string)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "\"cmd\" must be a string");
		goto fail;
	}
	if (json_object_object_get_ex(root, PROTO_F_ARGS, &args) &&
	    !json_object_is_type(args, json_type_object)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "\"args\" must be an object");
		goto fail;
	}
	if (proto_args_check(root, request_fields, &bad) < 0) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "unknown field \"%s\"",
			 printable(bad, quoted, sizeof(quoted)));
		goto fail;
	}
	name = json_object_get_string(cmd);
	/* "ping\u0000junk" must not pass for "ping": compare whole strings. */
	c = strlen(name) == (size_t)json_object_get_string_len(cmd) ? proto_cmd_from_name(name) : -1;
	if (c < 0) {
		r = fail(err, PROTO_ERR_UNKNOWN_COMMAND, "unknown command \"%s\"",
			 printable(name, quoted, sizeof(quoted)));
		goto fail;
	}

	if (err) {
		/* Only a refusal needs the id kept aside. */
		json_object_put(err->id);
		err->id = NULL;
	}
	req->root = root;
	req->id = id;
	req->cmd = (enum proto_cmd)c;
	req->args = args;
	return 0;
fail:
	json_object_put(root);
	return r;
}

void proto_request_clear(struct proto_request *req)
{
	if (!req)
		return;
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

static int decode_error_object(json_object *error, struct proto_reply *rep,
			       struct proto_err *err)
{
	json_object *code, *msg;
	int c;

	if (!json_object_is_type(error, json_type_object))
		return fail(err, PROTO_ERR_BAD_REQUEST, "\"error\" must be an object");
	if (!json_object_object_get_ex(error, PROTO_F_CODE, &code) ||
	    !json_object_is_type(code, json_type_string))
		return fail(err, PROTO_ERR_BAD_REQUEST, "error without a \"code\" string");
	rep->error = error;
	rep->code_name = json_object_get_string(code);
	c = proto_error_from_name(rep->code_name);
	rep->code = (c <= 0) ? PROTO_ERR_INTERNAL : (enum proto_error)c;
	rep->message = "";
	if (json_object_object_get_ex(error, PROTO_F_MESSAGE, &msg) &&
	    json_object_is_type(msg, json_type_string))
		rep->message = json_object_get_string(msg);
	return 0;
}

static int decode_reply_body(json_object *root, struct proto_reply *rep, struct proto_err *err)
{
	json_object *ok, *x;

	if (json_object_object_get_ex(root, PROTO_F_EVENT, &x)) {
		if (!json_object_is_type(x, json_type_object))
			return fail(err, PROTO_ERR_BAD_REQUEST, "\"event\" must be an object");
		rep->is_event = true;
		rep->ok = true;
		rep->event = x;
		return 0;
	}
	if (!json_object_object_get_ex(root, PROTO_F_OK, &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		return fail(err, PROTO_ERR_BAD_REQUEST, "reply without an \"ok\" boolean");
	rep->ok = json_object_get_boolean(ok);
	if (!rep->ok) {
		if (!json_object_object_get_ex(root, PROTO_F_ERROR, &x))
			return fail(err, PROTO_ERR_BAD_REQUEST, "failed reply without \"error\"");
		return decode_error_object(x, rep, err);
	}
	if (json_object_object_get_ex(root, PROTO_F_RESULT, &x)) {
		if (!json_object_is_type(x, json_type_object))
			return fail(err, PROTO_ERR_BAD_REQUEST, "\"result\" must be an object");
		rep->result = x;
	} else {
		rep->result = json_object_new_object();
		if (!rep->result)
			return fail(err, PROTO_ERR_INTERNAL, "out of memory");
		json_object_object_add(root, PROTO_F_RESULT, rep->result);
	}
	return 0;
}

/* A line of another version: only what the frozen envelope promises is
 * read, and only where it has its shape; the rest is that version's
 * business, so nothing here refuses the line. */
static void decode_envelope_only(json_object *root, struct proto_reply *rep)
{
	json_object *x;

	if (json_object_object_get_ex(root, PROTO_F_EVENT, &x) &&
	    json_object_is_type(x, json_type_object)) {
		rep->is_event = true;
		rep->ok = true;
		rep->event = x;
		return;
	}
	if (json_object_object_get_ex(root, PROTO_F_OK, &x) &&
	    json_object_is_type(x, json_type_boolean))
		rep->ok = json_object_get_boolean(x);
	if (rep->ok) {
		if (json_object_object_get_ex(root, PROTO_F_RESULT, &x) &&
		    json_object_is_type(x, json_type_object))
			rep->result = x;
		return;
	}
	if (json_object_object_get_ex(root, PROTO_F_ERROR, &x))
		decode_error_object(x, rep, NULL);
}

int proto_decode_reply(const char *line, size_t len, struct proto_reply *rep,
		       struct proto_err *err)
{
	json_object *root;
	int r;

	memset(rep, 0, sizeof(*rep));
	root = parse_line(line, len, PROTO_MAX_REPLY, err);
	if (!root)
		return -EINVAL;
	/* The envelope before the version: a peer of another version is still
	 * a peer whose version we can name. */
	r = read_version(root, &rep->version, err);
	if (r < 0)
		goto fail;
	if (!json_object_object_get_ex(root, PROTO_F_ID, &rep->id)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "reply without \"id\"");
		goto fail;
	}
	if (rep->id && !id_valid(rep->id)) {
		r = fail(err, PROTO_ERR_BAD_REQUEST, "reply \"id\" of a wrong type");
		goto fail;
	}
	if (rep->version == PROTO_VERSION) {
		r = decode_reply_body(root, rep, err);
		if (r < 0)
			goto fail;
	} else {
		decode_envelope_only(root, rep);
	}
	rep->root = root;
	return 0;
fail:
	json_object_put(root);
	memset(rep, 0, sizeof(*rep));
	return r;
}

int64_t proto_reply_peer_version(const struct proto_reply *rep)
{
	json_object *p;

	if (!rep->ok && rep->error && rep->code == PROTO_ERR_BAD_VERSION &&
	    json_object_object_get_ex(rep->error, PROTO_F_PROTOCOL, &p) &&
	    json_object_is_type(p, json_type_int))
		return json_object_get_int64(p);
	return rep->version;
}

void proto_reply_clear(struct proto_reply *rep)
{
	if (!rep)
		return;
	json_object_put(rep->root);
	memset(rep, 0, sizeof(*rep));
}

/* {"v":1,"id":id} to build on. */
static json_object *envelope(json_object *id)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, PROTO_F_V, json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, PROTO_F_ID, json_object_get(id));
	return o;
}

json_object *proto_request_new(enum proto_cmd cmd, json_object *id, json_object *args)
{
	const char *name = proto_cmd_name(cmd);
	json_object *o;

	if (!name) {
		json_object_put(args);
		return NULL;
	}
	o = envelope(id);
	if (!o) {
		json_object_put(args);
		return NULL;
	}
	json_object_object_add(o, PROTO_F_CMD, json_object_new_string(name));
	if (args)
		json_object_object_add(o, PROTO_F_ARGS, args);
	return o;
}

json_object *proto_request_new_int(enum proto_cmd cmd, int64_t id, json_object *args)
{
	json_object *jid = json_object_new_int64(id), *o;

	o = proto_request_new(cmd, jid, args);
	json_object_put(jid);
	return o;
}

json_object *proto_reply_ok(json_object *id, json_object *result)
{
	json_object *o = envelope(id);

	if (!o) {
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(o, PROTO_F_OK, json_object_new_boolean(1));
	json_object_object_add(o, PROTO_F_RESULT, result ? result : json_object_new_object());
	return o;
}

json_object *proto_reply_verror(json_object *id, enum proto_error code, const char *fmt,
				va_list ap)
{
	char msg[512];
	json_object *o, *e;
	const char *name = proto_error_name(code);

	if (!name || code == PROTO_OK)
		name = error_names[PROTO_ERR_INTERNAL];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	o = envelope(id);
	e = json_object_new_object();
	if (!o || !e) {
		json_object_put(o);
		json_object_put(e);
		return NULL;
	}
	json_object_object_add(e, PROTO_F_CODE, json_object_new_string(name));
	json_object_object_add(e, PROTO_F_MESSAGE, json_object_new_string(msg));
	/* So that a newer peer can name the version we speak, whatever it
	 * makes of our "v" (doc/protocol.md, "The envelope"). */
	if (code == PROTO_ERR_BAD_VERSION)
		json_object_object_add(e, PROTO_F_PROTOCOL, json_object_new_int(PROTO_VERSION));
	json_object_object_add(o, PROTO_F_OK, json_object_new_boolean(0));
	json_object_object_add(o, PROTO_F_ERROR, e);
	return o;
}

json_object *proto_reply_error(json_object *id, enum proto_error code, const char *fmt, ...)
{
	va_list ap;
	json_object *o;

	va_start(ap, fmt);
	o = proto_reply_verror(id, code, fmt, ap);
	va_end(ap);
	return o;
}

json_object *proto_reply_from_err(const struct proto_err *err)
{
	return proto_reply_error(err->id, err->code, "%s", err->message);
}

json_object *proto_event_new(json_object *id, const char *kind, const char *device,
			     const char *state, const char *message, int err,
			     long long time_ms)
{
	json_object *o = envelope(id), *ev = json_object_new_object();

	if (!o || !ev) {
		json_object_put(o);
		json_object_put(ev);
		return NULL;
	}
	json_object_object_add(ev, PROTO_E_KIND, json_object_new_string(kind ? kind : ""));
	if (device)
		json_object_object_add(ev, PROTO_E_DEVICE, json_object_new_string(device));
	if (state)
		json_object_object_add(ev, PROTO_E_STATE, json_object_new_string(state));
	if (message)
		json_object_object_add(ev, PROTO_E_MESSAGE, json_object_new_string(message));
	if (err)
		json_object_object_add(ev, PROTO_E_ERRNO, json_object_new_int(err));
	json_object_object_add(ev, PROTO_E_TIME, json_object_new_int64(time_ms));
	json_object_object_add(o, PROTO_F_EVENT, ev);
	return o;
}

char *proto_encode_line(json_object *obj, size_t *len)
{
	size_t n;
	const char *s;
	char *out;

	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!s)
		return NULL;
	out = malloc(n + 2);
	if (!out)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return out;
}

static int args_get(json_object *args, const char *key, bool required, json_type type,
		    json_object **out)
{
	json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) || !v) {
		/* an explicit null counts as absent */
		return required ? -ENOENT : 1;
	}
	if (!json_object_is_type(v, type))
		return -EINVAL;
	*out = v;
	return 0;
}

int proto_args_string(json_object *args, const char *key, bool required, const char **out)
{
	json_object *v;
	int r = args_get(args, key, required, json_type_string, &v);

	if (r < 0)
		return r;
	if (r == 0) {
		/* An embedded NUL would silently cut the value short: refuse it. */
		if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return -EINVAL;
		*out = json_object_get_string(v);
	}
	return 0;
}

int proto_args_bool(json_object *args, const char *key, bool required, bool *out)
{
	json_object *v;
	int r = args_get(args, key, required, json_type_boolean, &v);

	if (r == 0)
		*out = json_object_get_boolean(v);
	return r < 0 ? r : 0;
}

int proto_args_int(json_object *args, const char *key, bool required, int64_t *out)
{
	json_object *v;
	int r = args_get(args, key, required, json_type_int, &v);

	if (r == 0)
		*out = json_object_get_int64(v);
	return r < 0 ? r : 0;
}

int proto_args_array(json_object *args, const char *key, bool required, json_object **out)
{
	json_object *v;
	int r = args_get(args, key, required, json_type_array, &v);

	if (r == 0)
		*out = v;
	return r < 0 ? r : 0;
}

int proto_args_object(json_object *args, const char *key, bool required, json_object **out)
{
	json_object *v;
	int r = args_get(args, key, required, json_type_object, &v);

	if (r == 0)
		*out = v;
	return r < 0 ? r : 0;
}

int proto_args_check(json_object *args, const char *const *allowed, const char **bad)
{
	if (!args)
		return 0;
	json_object_object_foreach(args, key, val) {
		size_t i;

		(void)val;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (!allowed[i]) {
			if (bad)
				*bad = key;
			return -EINVAL;
		}
	}
	return 0;
}

/* A string json-c holds whole: no NUL inside to cut it short. */
static bool string_whole(json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v);
}

static bool arg_has_type(json_object *v, enum proto_arg_type type)
{
	switch (type) {
	case PROTO_ARG_STRING:
		return string_whole(v);
	case PROTO_ARG_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case PROTO_ARG_INT:
		return json_object_is_type(v, json_type_int);
	case PROTO_ARG_OBJECT:
		return json_object_is_type(v, json_type_object);
	case PROTO_ARG_STRINGS:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!string_whole(json_object_array_get_idx(v, i)))
				return false;
		return true;
	}
	return false;
}

int proto_check_args(enum proto_cmd cmd, json_object *args, struct proto_err *err)
{
	const struct proto_cmd_info *info;
	char quoted[80];

	if ((int)cmd < 0 || cmd >= PROTO_CMD__MAX)
		return fail(err, PROTO_ERR_UNKNOWN_COMMAND, "unknown command");
	info = &proto_cmds[cmd];
	if (args) {
		json_object_object_foreach(args, key, val) {
			(void)val;
			if (!proto_cmd_arg(cmd, key))
				return fail(err, PROTO_ERR_BAD_REQUEST, "unknown argument \"%s\"",
					    printable(key, quoted, sizeof(quoted)));
		}
	}
	for (size_t i = 0; i < info->n_args; i++) {
		const struct proto_arg *a = &info->args[i];
		json_object *v = NULL;

		/* an explicit null counts as absent */
		if (!args || !json_object_object_get_ex(args, a->name, &v) || !v) {
			if (a->required)
				return fail(err, PROTO_ERR_BAD_REQUEST, "missing argument \"%s\"",
					    a->name);
			continue;
		}
		if (!arg_has_type(v, a->type))
			return fail(err, PROTO_ERR_BAD_REQUEST, "argument \"%s\" must be %s", a->name,
				    a->what ? a->what : proto_arg_type_name(a->type));
	}
	return 0;
}
