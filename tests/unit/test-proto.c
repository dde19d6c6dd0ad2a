/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-proto.c: the wire format (protocol/proto.c): what is accepted, what is
 * refused with which code, and that what one side encodes the other decodes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static int decode(const char *line, struct proto_request *req, struct proto_err *err)
{
	return proto_decode_request(line, strlen(line), req, err);
}

/* Decode must fail with this code; returns the err (caller clears). */
static void expect_refused(const char *line, enum proto_error code)
{
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_eq(decode(line, &req, &err), -EINVAL, "accepted: %s", line);
	cr_assert_eq(err.code, code, "%s: got %s (%s), want %s", line,
		     proto_error_name(err.code), err.message, proto_error_name(code));
	cr_assert_null(req.root);
	cr_assert_neq(err.message[0], '\0');
	proto_err_clear(&err);
}

Test(proto, request_round_trips_through_encode_and_decode)
{
	json_object *args = json_object_new_object(), *o;
	struct proto_request req;
	struct proto_err err = { 0 };
	char *line;
	size_t len;

	json_object_object_add(args, PROTO_A_SELECTOR, json_object_new_string("id=8086:10d3"));
	o = proto_request_new_int(PROTO_CMD_DEVICES, 42, args);
	line = proto_encode_line(o, &len);
	cr_assert_eq(line[len - 1], '\n');
	cr_assert_null(strchr(line, '\n') == line + len - 1 ? NULL : line, "one line only");
	cr_assert_eq(proto_decode_request(line, len - 1, &req, &err), 0, "%s", err.message);
	cr_assert_eq(req.cmd, PROTO_CMD_DEVICES);
	cr_assert_eq(json_object_get_int(req.id), 42);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(req.args, "selector")),
			 "id=8086:10d3");
	proto_request_clear(&req);
	json_object_put(o);
	free(line);
}

Test(proto, string_ids_are_echoed)
{
	json_object *id = json_object_new_string("abc"), *o = proto_reply_ok(id, NULL);
	struct proto_reply rep;
	struct proto_err err = { 0 };
	char *line = proto_encode_line(o, NULL);

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0, "%s", err.message);
	cr_assert(rep.ok);
	cr_assert_str_eq(json_object_get_string(rep.id), "abc");
	cr_assert(json_object_is_type(rep.result, json_type_object));
	proto_reply_clear(&rep);
	json_object_put(o);
	json_object_put(id);
	free(line);
}

Test(proto, every_command_round_trips_by_name)
{
	for (int i = 0; i < PROTO_CMD__MAX; i++) {
		json_object *o = proto_request_new_int((enum proto_cmd)i, i, NULL);
		char *line = proto_encode_line(o, NULL);
		struct proto_request req;
		struct proto_err err = { 0 };

		cr_assert_eq(proto_cmds[i].cmd, (enum proto_cmd)i, "table out of order at %d", i);
		cr_assert_eq(proto_cmd_from_name(proto_cmd_name((enum proto_cmd)i)), i);
		cr_assert_eq(decode(line, &req, &err), 0, "%s: %s", line, err.message);
		cr_assert_eq(req.cmd, (enum proto_cmd)i);
		cr_assert_null(req.args);
		proto_request_clear(&req);
		json_object_put(o);
		free(line);
	}
	cr_assert_eq(proto_cmd_from_name("nope"), -ENOENT);
}

Test(proto, only_writes_need_admin)
{
	cr_assert(proto_cmd_admin(PROTO_CMD_ADD));
	cr_assert(proto_cmd_admin(PROTO_CMD_REMOVE));
	cr_assert(proto_cmd_admin(PROTO_CMD_RELOAD));
	cr_assert(proto_cmd_admin(PROTO_CMD_RECONCILE));
	cr_assert_not(proto_cmd_admin(PROTO_CMD_STATUS));
	cr_assert_not(proto_cmd_admin(PROTO_CMD_PLAN));
	cr_assert_not(proto_cmd_admin(PROTO_CMD_WATCH));
	cr_assert(proto_cmd_admin((enum proto_cmd)99), "unknown commands are treated as writes");
}

Test(proto, every_error_code_maps_to_its_stable_string_and_back)
{
	static const char *const names[] = {
		"ok", "parse-error", "bad-request", "bad-version", "unknown-command",
		"too-large", "permission-denied", "bad-device", "not-found", "config-invalid",
		"config-readonly", "busy", "timeout", "internal",
	};

	cr_assert_eq(sizeof(names) / sizeof(names[0]), PROTO_ERR__MAX);
	for (int i = 0; i < PROTO_ERR__MAX; i++) {
		cr_assert_str_eq(proto_error_name((enum proto_error)i), names[i]);
		cr_assert_eq(proto_error_from_name(names[i]), i);
	}
	cr_assert_null(proto_error_name(PROTO_ERR__MAX));
	cr_assert_eq(proto_error_from_name("exploded"), -ENOENT);
}

Test(proto, errnos_map_to_codes)
{
	cr_assert_eq(proto_error_from_errno(-EROFS), PROTO_ERR_CONFIG_READONLY);
	cr_assert_eq(proto_error_from_errno(-EACCES), PROTO_ERR_PERMISSION_DENIED);
	cr_assert_eq(proto_error_from_errno(-ENOENT), PROTO_ERR_NOT_FOUND);
	cr_assert_eq(proto_error_from_errno(-ETIMEDOUT), PROTO_ERR_TIMEOUT);
	cr_assert_eq(proto_error_from_errno(-EIO), PROTO_ERR_INTERNAL);
}

Test(proto, error_replies_round_trip_with_code_and_message)
{
	for (int i = 1; i < PROTO_ERR__MAX; i++) {
		json_object *id = json_object_new_int(7);
		json_object *o = proto_reply_error(id, (enum proto_error)i, "because %d", i);
		char *line = proto_encode_line(o, NULL), want[32];
		struct proto_reply rep;
		struct proto_err err = { 0 };

		cr_assert_eq(proto_decode_reply(line, strlen(line) - 1, &rep, &err), 0, "%s", line);
		cr_assert_not(rep.ok);
		cr_assert_eq(rep.code, (enum proto_error)i);
		cr_assert_str_eq(rep.code_name, proto_error_name((enum proto_error)i));
		snprintf(want, sizeof(want), "because %d", i);
		cr_assert_str_eq(rep.message, want);
		cr_assert_eq(json_object_get_int(rep.id), 7);
		proto_reply_clear(&rep);
		json_object_put(o);
		json_object_put(id);
		free(line);
	}
}

Test(proto, error_reply_without_id_carries_null)
{
	json_object *o = proto_reply_error(NULL, PROTO_ERR_PARSE, "x");
	char *line = proto_encode_line(o, NULL);

	cr_assert(strstr(line, "\"id\":null"), "%s", line);
	json_object_put(o);
	free(line);
}

Test(proto, unknown_error_code_from_a_newer_daemon_reads_as_internal)
{
	const char *line = "{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"melted\",\"message\":\"m\"}}";
	struct proto_reply rep;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0);
	cr_assert_eq(rep.code, PROTO_ERR_INTERNAL);
	cr_assert_str_eq(rep.code_name, "melted");
	proto_reply_clear(&rep);
}

Test(proto, replies_ignore_unknown_fields)
{
	const char *line = "{\"v\":1,\"id\":1,\"ok\":true,\"result\":{},\"future\":[1,2]}";
	struct proto_reply rep;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0, "%s", err.message);
	proto_reply_clear(&rep);
}

Test(proto, events_decode_as_events)
{
	json_object *id = json_object_new_int(3);
	json_object *o = proto_event_new(id, "device", "0000:03:00.1", "converged", "bound", 0, 1234);
	char *line = proto_encode_line(o, NULL);
	struct proto_reply rep;
	struct proto_err err = { 0 };
	json_object *x;

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0, "%s", err.message);
	cr_assert(rep.is_event);
	cr_assert(json_object_object_get_ex(rep.event, PROTO_E_DEVICE, &x));
	cr_assert_str_eq(json_object_get_string(x), "0000:03:00.1");
	cr_assert(json_object_object_get_ex(rep.event, PROTO_E_TIME, &x));
	cr_assert_eq(json_object_get_int64(x), 1234);
	cr_assert_not(json_object_object_get_ex(rep.event, PROTO_E_ERRNO, NULL));
	proto_reply_clear(&rep);
	json_object_put(o);
	json_object_put(id);
	free(line);
}

Test(proto, malformed_json_is_a_parse_error)
{
	expect_refused("", PROTO_ERR_PARSE);
	expect_refused("{", PROTO_ERR_PARSE);
	expect_refused("{\"v\":1,", PROTO_ERR_PARSE);
	expect_refused("{\"v\":1 \"id\":2}", PROTO_ERR_PARSE);
	expect_refused("{v:1}", PROTO_ERR_PARSE);
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":\"ping\",}", PROTO_ERR_PARSE);
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":\"ping\"} {}", PROTO_ERR_PARSE);
	expect_refused("\xff\xfe", PROTO_ERR_PARSE);
}

Test(proto, non_object_json_is_a_parse_error)
{
	expect_refused("[]", PROTO_ERR_PARSE);
	expect_refused("1", PROTO_ERR_PARSE);
	expect_refused("\"ping\"", PROTO_ERR_PARSE);
	expect_refused("null", PROTO_ERR_PARSE);
	expect_refused("true", PROTO_ERR_PARSE);
}

Test(proto, nul_byte_inside_a_line_is_a_parse_error)
{
	const char line[] = "{\"v\":1,\"id\":1,\"cmd\":\"ping\"}\0garbage";
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_request(line, sizeof(line) - 1, &req, &err), -EINVAL);
	cr_assert_eq(err.code, PROTO_ERR_PARSE);
	proto_err_clear(&err);
}

Test(proto, missing_fields_are_bad_requests)
{
	expect_refused("{}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":1}", PROTO_ERR_BAD_REQUEST);
}

Test(proto, wrong_types_are_bad_requests)
{
	expect_refused("{\"v\":\"1\",\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1.0,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":1.5,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":null,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":[1],\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":7}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":\"ping\",\"args\":[]}", PROTO_ERR_BAD_REQUEST);
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":\"ping\",\"args\":\"x\"}", PROTO_ERR_BAD_REQUEST);
}

Test(proto, unknown_top_level_fields_are_bad_requests)
{
	expect_refused("{\"v\":1,\"id\":1,\"cmd\":\"ping\",\"arg\":{}}", PROTO_ERR_BAD_REQUEST);
}

Test(proto, unknown_command_is_refused_with_the_id_echoed)
{
	struct proto_request req;
	struct proto_err err = { 0 };
	json_object *reply;
	char *line;

	cr_assert_eq(decode("{\"v\":1,\"id\":\"q9\",\"cmd\":\"format-disk\"}", &req, &err), -EINVAL);
	cr_assert_eq(err.code, PROTO_ERR_UNKNOWN_COMMAND);
	cr_assert_str_eq(json_object_get_string(err.id), "q9");
	reply = proto_reply_from_err(&err);
	line = proto_encode_line(reply, NULL);
	cr_assert(strstr(line, "\"id\":\"q9\""), "%s", line);
	cr_assert(strstr(line, "\"code\":\"unknown-command\""), "%s", line);
	free(line);
	json_object_put(reply);
	proto_err_clear(&err);
}

Test(proto, other_versions_are_refused)
{
	expect_refused("{\"v\":2,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_VERSION);
	expect_refused("{\"v\":0,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_VERSION);
	expect_refused("{\"v\":-1,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_VERSION);
}

/* --- the envelope: frozen, so peers of any two versions can tell */

/* A reply line decoded by the client's decoder; must be accepted. */
static struct proto_reply reply_of(const char *line)
{
	struct proto_reply rep;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0, "%s: %s", line,
		     err.message);
	return rep;
}

Test(envelope, a_newer_request_is_refused_for_its_version_whatever_else_it_holds)
{
	struct proto_request req;
	struct proto_err err = { 0 };

	/* a command and a field this version does not know: still bad-version */
	cr_assert_eq(decode("{\"v\":2,\"id\":\"x\",\"cmd\":\"frob\",\"new\":1}", &req, &err),
		     -EINVAL);
	cr_assert_eq(err.code, PROTO_ERR_BAD_VERSION);
	cr_assert_str_eq(err.message, "protocol version 2 not supported: vfiobindd speaks protocol 1");
	cr_assert_str_eq(json_object_get_string(err.id), "x", "the id is read first");
	proto_err_clear(&err);
}

Test(envelope, a_bad_version_reply_carries_the_version_this_side_speaks)
{
	struct proto_request req;
	struct proto_err err = { 0 };
	struct proto_reply rep;
	json_object *o, *p;
	char *line;

	cr_assert_eq(decode("{\"v\":3,\"id\":9,\"cmd\":\"ping\"}", &req, &err), -EINVAL);
	o = proto_reply_from_err(&err);
	line = proto_encode_line(o, NULL);
	rep = reply_of(line);
	cr_assert_eq(rep.code, PROTO_ERR_BAD_VERSION);
	cr_assert(json_object_object_get_ex(rep.error, PROTO_F_PROTOCOL, &p), "%s", line);
	cr_assert(json_object_is_type(p, json_type_int));
	cr_assert_eq(json_object_get_int(p), PROTO_VERSION);
	cr_assert_eq(proto_reply_peer_version(&rep), PROTO_VERSION);
	cr_assert_eq(json_object_get_int(rep.id), 9);
	proto_reply_clear(&rep);
	json_object_put(o);
	free(line);
	proto_err_clear(&err);
}

Test(envelope, only_bad_version_errors_carry_a_protocol)
{
	json_object *o = proto_reply_error(NULL, PROTO_ERR_BAD_REQUEST, "x"), *e;

	cr_assert(json_object_object_get_ex(o, PROTO_F_ERROR, &e));
	cr_assert_not(json_object_object_get_ex(e, PROTO_F_PROTOCOL, NULL));
	json_object_put(o);
}

Test(envelope, a_reply_of_another_version_decodes_its_envelope)
{
	struct proto_reply rep;

	/* its result is none of our business: not even its type */
	rep = reply_of("{\"v\":2,\"id\":4,\"ok\":true,\"result\":[1,2],\"new\":{}}");
	cr_assert_eq(rep.version, 2);
	cr_assert_eq(json_object_get_int(rep.id), 4);
	cr_assert(rep.ok);
	cr_assert_null(rep.result);
	cr_assert_eq(proto_reply_peer_version(&rep), 2);
	proto_reply_clear(&rep);

	rep = reply_of("{\"v\":2,\"id\":4,\"ok\":false,\"error\":{\"code\":\"not-found\","
		       "\"message\":\"gone\",\"more\":[]}}");
	cr_assert_eq(rep.version, 2);
	cr_assert_not(rep.ok);
	cr_assert_eq(rep.code, PROTO_ERR_NOT_FOUND);
	cr_assert_str_eq(rep.message, "gone");
	proto_reply_clear(&rep);

	/* nothing past the envelope is required of it */
	rep = reply_of("{\"v\":2,\"id\":null,\"shape\":\"new\"}");
	cr_assert_eq(rep.version, 2);
	cr_assert_null(rep.error);
	cr_assert_eq(proto_reply_peer_version(&rep), 2);
	proto_reply_clear(&rep);
}

Test(envelope, a_bad_version_error_names_the_daemons_version_in_its_field)
{
	struct proto_reply rep;

	/* a daemon of several versions may answer in ours and name its own */
	rep = reply_of("{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"bad-version\","
		       "\"message\":\"m\",\"protocol\":3}}");
	cr_assert_eq(rep.version, 1);
	cr_assert_eq(proto_reply_peer_version(&rep), 3);
	proto_reply_clear(&rep);

	/* an older one, before the field: its "v" says it */
	rep = reply_of("{\"v\":2,\"id\":1,\"ok\":false,\"error\":{\"code\":\"bad-version\","
		       "\"message\":\"m\"}}");
	cr_assert_eq(proto_reply_peer_version(&rep), 2);
	proto_reply_clear(&rep);

	/* a field of the wrong type is not believed */
	rep = reply_of("{\"v\":2,\"id\":1,\"ok\":false,\"error\":{\"code\":\"bad-version\","
		       "\"message\":\"m\",\"protocol\":\"3\"}}");
	cr_assert_eq(proto_reply_peer_version(&rep), 2);
	proto_reply_clear(&rep);
}

Test(envelope, a_reply_without_a_readable_version_or_id_is_refused)
{
	static const char *const lines[] = {
		"{\"id\":1,\"ok\":true}",
		"{\"v\":\"2\",\"id\":1,\"ok\":true}",
		"{\"v\":2.5,\"id\":1,\"ok\":true}",
		"{\"v\":2,\"ok\":true}",
		"{\"v\":2,\"id\":[1],\"ok\":true}",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct proto_reply rep;
		struct proto_err err = { 0 };

		cr_assert_eq(proto_decode_reply(lines[i], strlen(lines[i]), &rep, &err), -EINVAL,
			     "accepted: %s", lines[i]);
		cr_assert_eq(err.code, PROTO_ERR_BAD_REQUEST, "%s: %s", lines[i], err.message);
	}
}

Test(envelope, a_reply_of_this_version_is_still_checked_whole)
{
	const char *line = "{\"v\":1,\"id\":1,\"ok\":true,\"result\":[1]}";
	struct proto_reply rep;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), -EINVAL);
	cr_assert_eq(err.code, PROTO_ERR_BAD_REQUEST);
}

Test(proto, huge_numbers_are_refused_or_kept_never_wrapped)
{
	/* json-c clamps out-of-range integers; a clamped v is still not 1. */
	expect_refused("{\"v\":99999999999999999999999999,\"id\":1,\"cmd\":\"ping\"}",
		       PROTO_ERR_BAD_VERSION);
	expect_refused("{\"v\":4294967297,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_VERSION);
	expect_refused("{\"v\":1e400,\"id\":1,\"cmd\":\"ping\"}", PROTO_ERR_BAD_REQUEST);
}

Test(proto, huge_integer_ids_are_echoed_as_sent)
{
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_eq(decode("{\"v\":1,\"id\":9007199254740993,\"cmd\":\"ping\"}", &req, &err), 0);
	cr_assert_eq(json_object_get_int64(req.id), 9007199254740993LL);
	proto_request_clear(&req);
}

Test(proto, over_long_string_ids_are_refused)
{
	char line[PROTO_MAX_ID_LEN + 100];

	snprintf(line, sizeof(line), "{\"v\":1,\"id\":\"%0*d\",\"cmd\":\"ping\"}",
		 PROTO_MAX_ID_LEN + 1, 0);
	expect_refused(line, PROTO_ERR_BAD_REQUEST);
}

Test(proto, deep_nesting_is_a_parse_error_not_a_crash)
{
	size_t depth = 100000, n = 0;
	char *line = malloc(depth * 2 + 64);

	n += (size_t)sprintf(line, "{\"v\":1,\"id\":1,\"cmd\":\"ping\",\"args\":{\"x\":");
	for (size_t i = 0; i < depth; i++)
		line[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n++] = '}';
	line[n] = '\0';
	expect_refused(line, PROTO_ERR_TOO_LARGE);
	/* Within the line limit but deeper than PROTO_MAX_DEPTH. */
	n = (size_t)sprintf(line, "{\"v\":1,\"id\":1,\"cmd\":\"ping\",\"args\":{\"x\":");
	for (size_t i = 0; i < 100; i++)
		line[n++] = '[';
	line[n] = '\0';
	expect_refused(line, PROTO_ERR_PARSE);
	free(line);
}

Test(proto, lines_over_the_limit_are_too_large)
{
	size_t len = PROTO_MAX_LINE + 1;
	char *line = malloc(len + 1);
	struct proto_request req;
	struct proto_err err = { 0 };

	memset(line, ' ', len);
	line[len] = '\0';
	cr_assert_eq(proto_decode_request(line, len, &req, &err), -EINVAL);
	cr_assert_eq(err.code, PROTO_ERR_TOO_LARGE);
	free(line);
}

Test(proto, trailing_cr_and_spaces_are_accepted)
{
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_eq(decode("  {\"v\":1,\"id\":1,\"cmd\":\"ping\"} \r", &req, &err), 0, "%s",
		     err.message);
	proto_request_clear(&req);
}

Test(proto, args_helpers_check_types)
{
	json_object *a = json_tokener_parse("{\"s\":\"x\",\"b\":true,\"i\":5,\"n\":null}");
	const char *s = NULL, *bad = NULL;
	bool b = false;
	int64_t i = 0;
	static const char *const allowed[] = { "s", "b", "i", NULL };

	cr_assert_eq(proto_args_string(a, "s", true, &s), 0);
	cr_assert_str_eq(s, "x");
	cr_assert_eq(proto_args_bool(a, "b", true, &b), 0);
	cr_assert(b);
	cr_assert_eq(proto_args_int(a, "i", true, &i), 0);
	cr_assert_eq(i, 5);
	cr_assert_eq(proto_args_string(a, "i", true, &s), -EINVAL);
	cr_assert_eq(proto_args_string(a, "missing", true, &s), -ENOENT);
	cr_assert_eq(proto_args_string(a, "n", false, &s), 0, "null counts as absent");
	cr_assert_eq(proto_args_string(NULL, "s", false, &s), 0);
	cr_assert_eq(proto_args_check(a, allowed, &bad), -EINVAL);
	cr_assert_str_eq(bad, "n");
	json_object_put(a);
}

/* --- each command's arguments, from the table */

/* proto_check_args() must refuse args (JSON text) for cmd with this message. */
static void expect_args_refused(enum proto_cmd cmd, const char *args, const char *message)
{
	json_object *a = args ? json_tokener_parse(args) : NULL;
	struct proto_err err = { 0 };

	cr_assert(!args || a, "bad test JSON: %s", args);
	cr_assert_eq(proto_check_args(cmd, a, &err), -EINVAL, "%s accepted %s",
		     proto_cmd_name(cmd), args);
	cr_assert_eq(err.code, PROTO_ERR_BAD_REQUEST);
	cr_assert_str_eq(err.message, message, "%s %s", proto_cmd_name(cmd), args);
	json_object_put(a);
}

static void expect_args_accepted(enum proto_cmd cmd, const char *args)
{
	json_object *a = args ? json_tokener_parse(args) : NULL;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_check_args(cmd, a, &err), 0, "%s %s: %s", proto_cmd_name(cmd), args,
		     err.message);
	json_object_put(a);
}

Test(args, every_argument_in_the_table_is_named_described_and_found_by_name)
{
	for (int i = 0; i < PROTO_CMD__MAX; i++) {
		const struct proto_cmd_info *c = &proto_cmds[i];

		cr_assert_eq(!c->args, !c->n_args, "%s", c->name);
		for (size_t j = 0; j < c->n_args; j++) {
			const struct proto_arg *a = &c->args[j];

			cr_assert(a->name && a->name[0], "%s: argument %zu unnamed", c->name, j);
			cr_assert(a->summary && a->summary[0], "%s %s: no summary", c->name, a->name);
			cr_assert_eq(proto_cmd_arg(c->cmd, a->name), a, "%s %s twice?", c->name,
				     a->name);
		}
		cr_assert_null(proto_cmd_arg(c->cmd, "no-such-argument"));
	}
	cr_assert_null(proto_cmd_arg(PROTO_CMD__MAX, PROTO_A_DEVICE));
}

Test(args, the_table_holds_each_commands_documented_arguments)
{
	/* doc/protocol.md, "Commands" */
	cr_assert_eq(proto_cmds[PROTO_CMD_STATUS].n_args, 1);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_STATUS, PROTO_A_DEVICES)->type, PROTO_ARG_STRINGS);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_DEVICES, PROTO_A_SELECTOR)->type, PROTO_ARG_STRING);
	cr_assert_eq(proto_cmds[PROTO_CMD_ADD].n_args, 5);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_ADD, PROTO_A_OPTIONS)->type, PROTO_ARG_OBJECT);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_ADD, PROTO_A_RUNTIME)->type, PROTO_ARG_BOOL);
	cr_assert_not(proto_cmd_arg(PROTO_CMD_ADD, PROTO_A_DEVICE)->required,
		      "add takes line instead of device");
	cr_assert(proto_cmd_arg(PROTO_CMD_REMOVE, PROTO_A_DEVICE)->required);
	cr_assert_eq(proto_cmds[PROTO_CMD_REMOVE].n_args, 3);
	cr_assert_eq(proto_cmds[PROTO_CMD_PLAN].n_args, 2);
	cr_assert_not_null(proto_cmd_arg(PROTO_CMD_PLAN, PROTO_A_SOURCE));
	cr_assert_eq(proto_cmds[PROTO_CMD_WAIT].n_args, 2);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_WAIT, PROTO_A_DEVICES)->type, PROTO_ARG_STRINGS);
	cr_assert_eq(proto_cmd_arg(PROTO_CMD_WAIT, PROTO_A_TIMEOUT)->type, PROTO_ARG_INT);
	cr_assert_not(proto_cmd_admin(PROTO_CMD_WAIT), "anyone who may read may wait");
	cr_assert_not(proto_cmd_admin(PROTO_CMD_METRICS));
	static const enum proto_cmd none[] = {
		PROTO_CMD_PING, PROTO_CMD_VERSION, PROTO_CMD_CONFIG, PROTO_CMD_RELOAD,
		PROTO_CMD_RECONCILE, PROTO_CMD_WATCH, PROTO_CMD_METRICS,
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		cr_assert_eq(proto_cmds[none[i]].n_args, 0, "%s", proto_cmd_name(none[i]));
}

Test(args, an_unknown_argument_is_refused_by_name)
{
	expect_args_refused(PROTO_CMD_STATUS, "{\"bogus\":1}", "unknown argument \"bogus\"");
	expect_args_refused(PROTO_CMD_PING, "{\"devices\":[]}", "unknown argument \"devices\"");
	expect_args_refused(PROTO_CMD_REMOVE, "{\"device\":\"03:00.1\",\"options\":{}}",
			    "unknown argument \"options\"");
	/* even a null: a typo never silently means something else */
	expect_args_refused(PROTO_CMD_WATCH, "{\"x\":null}", "unknown argument \"x\"");
	/* and its name is made printable for the reply and the log */
	expect_args_refused(PROTO_CMD_PING, "{\"a\\nb\":1}", "unknown argument \"a?b\"");
}

Test(args, a_wrong_type_is_refused_with_the_documented_words)
{
	expect_args_refused(PROTO_CMD_STATUS, "{\"devices\":\"0000:00:02.0\"}",
			    "argument \"devices\" must be an array of BDF strings");
	expect_args_refused(PROTO_CMD_STATUS, "{\"devices\":[\"0000:00:02.0\",7]}",
			    "argument \"devices\" must be an array of BDF strings");
	expect_args_refused(PROTO_CMD_DEVICES, "{\"selector\":5}",
			    "argument \"selector\" must be a string");
	expect_args_refused(PROTO_CMD_ADD, "{\"runtime\":\"yes\"}",
			    "argument \"runtime\" must be a boolean");
	expect_args_refused(PROTO_CMD_ADD, "{\"options\":[]}", "argument \"options\" must be an object");
	expect_args_refused(PROTO_CMD_ADD, "{\"device\":1}",
			    "argument \"device\" must be a string (device selector)");
	expect_args_refused(PROTO_CMD_PLAN, "{\"config\":true}",
			    "argument \"config\" must be a string (config text)");
	expect_args_refused(PROTO_CMD_PLAN, "{\"source\":1}",
			    "argument \"source\" must be a file name of 1 to 255 bytes");
	/* a NUL would cut the string short where the handler reads it */
	expect_args_refused(PROTO_CMD_ADD, "{\"line\":\"DEFAULT 0000:00:02.0\\u0000junk\"}",
			    "argument \"line\" must be a string");
}

Test(args, a_missing_required_argument_is_named)
{
	expect_args_refused(PROTO_CMD_REMOVE, NULL, "missing argument \"device\"");
	expect_args_refused(PROTO_CMD_REMOVE, "{\"node\":\"n1\"}", "missing argument \"device\"");
}

Test(args, a_null_counts_as_absent)
{
	expect_args_accepted(PROTO_CMD_ADD, "{\"line\":null,\"runtime\":null,\"device\":\"x\"}");
	expect_args_refused(PROTO_CMD_REMOVE, "{\"device\":null}", "missing argument \"device\"");
}

Test(args, what_the_table_allows_is_accepted)
{
	expect_args_accepted(PROTO_CMD_PING, NULL);
	expect_args_accepted(PROTO_CMD_PING, "{}");
	expect_args_accepted(PROTO_CMD_STATUS, "{\"devices\":[]}");
	expect_args_accepted(PROTO_CMD_STATUS, "{\"devices\":[\"03:00.1\",\"0000:03:00.2\"]}");
	expect_args_accepted(PROTO_CMD_ADD, "{\"node\":\"w1\",\"device\":\"id=8086:10d3\","
			     "\"options\":{\"numvfs\":4},\"runtime\":true}");
	expect_args_accepted(PROTO_CMD_REMOVE, "{\"device\":\"03:00.1\",\"runtime\":false}");
	expect_args_accepted(PROTO_CMD_PLAN, "{\"config\":\"\",\"source\":\"f\"}");
}

Test(proto, command_with_embedded_nul_is_unknown)
{
	static const char line[] = "{\"v\":1,\"id\":1,\"cmd\":\"ping\\u0000junk\"}";
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_lt(proto_decode_request(line, sizeof(line) - 1, &req, &err), 0);
	cr_assert_eq(err.code, PROTO_ERR_UNKNOWN_COMMAND);
	cr_assert_null(strchr(err.message, '\x01'));
	proto_err_clear(&err);
}

Test(proto, client_text_in_errors_is_made_printable)
{
	static const char line[] = "{\"v\":1,\"id\":1,\"cmd\":\"x\\n<3>forged\\u00e9\"}";
	struct proto_request req;
	struct proto_err err = { 0 };

	cr_assert_lt(proto_decode_request(line, sizeof(line) - 1, &req, &err), 0);
	cr_assert_null(strchr(err.message, '\n'), "%s", err.message);
	cr_assert(strstr(err.message, "x?<3>forged??"), "%s", err.message);
	proto_err_clear(&err);
}

Test(proto, string_argument_with_embedded_nul_is_refused)
{
	json_object *args = json_tokener_parse("{\"line\":\"DEFAULT 0000:00:02.0\\u0000junk\"}");
	const char *v = NULL;

	cr_assert_lt(proto_args_string(args, "line", true, &v), 0);
	json_object_put(args);
}
