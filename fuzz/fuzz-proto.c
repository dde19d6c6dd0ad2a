/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-proto.c: libFuzzer target for the control-socket decoders
 * (protocol/proto.c): the input is one line as read from the socket.
 *
 * Properties checked (abort() on violation, so libFuzzer saves the input):
 *  - proto_decode_request(): never crashes; decoding with err == NULL gives
 *    the same answer;
 *  - an accepted request has a known cmd, an int or short string id, args an
 *    object or absent; rebuilt with proto_request_new() and encoded with
 *    proto_encode_line(), it decodes again to the same cmd, id and args;
 *    proto_check_args() judges its args without crashing, and a refusal is a
 *    bad-request with a message naming an argument;
 *  - a refused request carries a clear error: a code other than "ok", a
 *    non-empty message; the error reply built from it
 *    (proto_reply_from_err) encodes and decodes as a failed reply with the
 *    same code, the same message and the echoed id (or null);
 *  - proto_decode_reply(): never crashes; an accepted reply of this version
 *    is consistent (an event object, or ok with a result object, or !ok with
 *    an error object, a code in range, a code name and a message), one of
 *    another version holds only what has its shape; either survives
 *    re-encoding of its root with the same version. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "fuzz.h"

static int id_ok(json_object *id)
{
	if (json_object_is_type(id, json_type_int))
		return 1;
	return json_object_is_type(id, json_type_string) &&
	       json_object_get_string_len(id) <= PROTO_MAX_ID_LEN;
}

/* A line as the daemon reads it: the encoded text without its '\n'. */
static char *encode(json_object *o, size_t *len)
{
	char *line = proto_encode_line(o, len);

	CHECK(line);
	CHECK(*len >= 1 && line[*len - 1] == '\n' && line[*len] == '\0');
	CHECK(!memchr(line, '\n', *len - 1)); /* one line, whatever the strings hold */
	(*len)--;
	return line;
}

static void check_accepted_request(const struct proto_request *req)
{
	struct proto_request again;
	struct proto_err err = { 0 };
	json_object *o;
	char *line;
	size_t len;
	int r;

	CHECK(req->root && json_object_is_type(req->root, json_type_object));
	CHECK((int)req->cmd >= 0 && req->cmd < PROTO_CMD__MAX);
	CHECK(proto_cmd_name(req->cmd));
	CHECK(req->id && id_ok(req->id));
	CHECK(!req->args || json_object_is_type(req->args, json_type_object));
	(void)proto_cmd_admin(req->cmd);
	if (proto_check_args(req->cmd, req->args, &err) < 0) {
		CHECK(err.code == PROTO_ERR_BAD_REQUEST);
		CHECK(strstr(err.message, "argument \""));
	}
	proto_err_clear(&err);
	/* The command is the whole string: "ping\u0000junk" is not ping. */
	json_object *cmd = json_object_object_get(req->root, PROTO_F_CMD);
	CHECK(cmd && json_object_is_type(cmd, json_type_string));
	CHECK(!strcmp(json_object_get_string(cmd), proto_cmd_name(req->cmd)));
	if (!fuzz_tolerated("nul-in-cmd"))
		CHECK((size_t)json_object_get_string_len(cmd) == strlen(proto_cmd_name(req->cmd)));

	o = proto_request_new(req->cmd, req->id, json_object_get(req->args));
	CHECK(o);
	line = encode(o, &len);
	r = proto_decode_request(line, len, &again, &err);
	if (r < 0 && !(err.code == PROTO_ERR_TOO_LARGE && len > PROTO_MAX_LINE))
		fprintf(stderr, "fuzz-proto: re-encoded request refused: %s: %s\n",
			proto_error_name(err.code), err.message);
	if (r == 0) {
		CHECK(again.cmd == req->cmd);
		CHECK(json_object_equal(again.id, req->id));
		CHECK(!again.args == !req->args);
		if (req->args)
			CHECK(json_object_equal(again.args, req->args));
		proto_request_clear(&again);
	} else {
		/* only a re-encoding that grew past the limit may be refused */
		CHECK(err.code == PROTO_ERR_TOO_LARGE && len > PROTO_MAX_LINE);
	}
	proto_err_clear(&err);
	free(line);
	json_object_put(o);
}

/* The daemon's answer to a refused line is itself a valid reply. */
static void check_refusal(const struct proto_err *err)
{
	struct proto_reply rep;
	struct proto_err err2 = { 0 };
	json_object *o;
	char *line;
	size_t len;
	int r;

	CHECK(err->code > PROTO_OK && err->code < PROTO_ERR__MAX);
	CHECK(proto_error_name(err->code));
	CHECK(err->message[0] != '\0');
	CHECK(memchr(err->message, '\0', sizeof(err->message)));
	CHECK(!err->id || id_ok(err->id));

	o = proto_reply_from_err(err);
	CHECK(o);
	line = encode(o, &len);
	CHECK(len <= PROTO_MAX_LINE);
	r = proto_decode_reply(line, len, &rep, &err2);
	if (r < 0)
		fprintf(stderr, "fuzz-proto: error reply \"%s\" refused by the client: %s\n",
			line, err2.message);
	CHECK(r == 0);
	CHECK(!rep.ok && !rep.is_event && rep.error);
	CHECK(rep.code == err->code);
	CHECK(rep.code_name && !strcmp(rep.code_name, proto_error_name(err->code)));
	CHECK(rep.message && !strcmp(rep.message, err->message));
	if (err->id)
		CHECK(json_object_equal(rep.id, err->id));
	else
		CHECK(!rep.id || json_object_is_type(rep.id, json_type_null));
	proto_reply_clear(&rep);
	proto_err_clear(&err2);
	free(line);
	json_object_put(o);
}

static void fuzz_request(const char *data, size_t size)
{
	struct proto_request req, req2;
	struct proto_err err;
	int r, r2;

	memset(&err, 0x5a, sizeof(err)); /* the decoder must initialise it */
	r = proto_decode_request(data, size, &req, &err);
	r2 = proto_decode_request(data, size, &req2, NULL);
	CHECK(r == r2);
	if (r == 0) {
		CHECK(err.code == PROTO_OK && !err.id);
		CHECK(req2.cmd == req.cmd && json_object_equal(req2.id, req.id));
		check_accepted_request(&req);
	} else {
		CHECK(r == -EINVAL);
		CHECK(!req.root && !req2.root);
		check_refusal(&err);
		if (size > PROTO_MAX_LINE)
			CHECK(err.code == PROTO_ERR_TOO_LARGE);
	}
	proto_request_clear(&req);
	proto_request_clear(&req2);
	proto_err_clear(&err);
}

static void fuzz_reply(const char *data, size_t size)
{
	struct proto_reply rep, again;
	struct proto_err err;
	char *line;
	size_t len;
	int r;

	memset(&err, 0x5a, sizeof(err));
	r = proto_decode_reply(data, size, &rep, &err);
	if (r < 0) {
		CHECK(r == -EINVAL);
		CHECK(!rep.root);
		CHECK(err.code > PROTO_OK && err.code < PROTO_ERR__MAX);
		CHECK(err.message[0] != '\0');
		proto_err_clear(&err);
		return;
	}
	CHECK(rep.root);
	CHECK(!rep.id || json_object_is_type(rep.id, json_type_null) || id_ok(rep.id));
	if (rep.version != PROTO_VERSION) {
		/* another version: only what has its shape was taken */
		CHECK(!rep.is_event || (rep.ok && json_object_is_type(rep.event, json_type_object)));
		CHECK(!rep.result || json_object_is_type(rep.result, json_type_object));
		CHECK(!rep.error || (rep.code > PROTO_OK && rep.code < PROTO_ERR__MAX &&
				     rep.code_name && rep.message));
		(void)proto_reply_peer_version(&rep);
	} else if (rep.is_event) {
		CHECK(rep.ok && rep.event && json_object_is_type(rep.event, json_type_object));
	} else if (rep.ok) {
		CHECK(rep.result && json_object_is_type(rep.result, json_type_object));
	} else {
		CHECK(rep.error && json_object_is_type(rep.error, json_type_object));
		CHECK(rep.code > PROTO_OK && rep.code < PROTO_ERR__MAX);
		CHECK(rep.code_name && rep.message);
	}
	/* A reply the client accepted survives being passed on (e.g. --json). */
	line = encode(rep.root, &len);
	if (len <= PROTO_MAX_LINE) {
		r = proto_decode_reply(line, len, &again, &err);
		CHECK(r == 0);
		CHECK(again.version == rep.version);
		CHECK(again.is_event == rep.is_event && again.ok == rep.ok);
		if (!rep.ok && rep.error)
			CHECK(again.code == rep.code && !strcmp(again.message, rep.message));
		proto_reply_clear(&again);
	}
	proto_err_clear(&err);
	free(line);
	proto_reply_clear(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes, no NUL after them: ASan sees any over-read. */
	fuzz_request((const char *)data, size);
	fuzz_reply((const char *)data, size);
	return 0;
}
