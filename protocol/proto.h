/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proto.h: the one definition of the control-socket wire format, shared by
 * vfiobindd (daemon/server.c) and vfiobind (client/). doc/protocol.md is the
 * prose version of this file; keep them together.
 *
 * Transport: a Unix stream socket (PROTO_DEFAULT_SOCKET). Each side writes one
 * JSON object per line, terminated by '\n': a request at most PROTO_MAX_LINE
 * bytes, a reply or event at most PROTO_MAX_REPLY.
 *
 *   request  {"v":1,"id":<int|string>,"cmd":"<name>","args":{...}}   args optional
 *   reply    {"v":1,"id":<same>,"ok":true,"result":{...}}
 *            {"v":1,"id":<same|null>,"ok":false,
 *             "error":{"code":"<stable code>","message":"<human>",...}}
 *   event    {"v":1,"id":<watch id>,"event":{"kind":..,"device":..,"state":..,
 *             "message":..,"time":..}}                  (after a `watch` reply)
 *
 * A request with an unknown top-level field is refused (bad-request), so a
 * typo never silently means something else; "args" are checked against the
 * command's entry in proto_cmds[] for the same reason (proto_check_args()).
 * Replies may grow new fields: clients must ignore fields they do not know.
 * PROTO_VERSION changes only when an existing field changes meaning.
 *
 * The envelope is frozen for every version to come (doc/protocol.md, "The
 * envelope"): a request's v, id and cmd, a reply's v, id, ok, error.code and
 * error.message keep their names, types and meaning, so that peers of
 * different versions can always read each other's version and say so. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Overridable only so that the tests can build peers of another version
 * (tests/daemon/vfiobind-proto2, vfiobindd-fake-proto2); never in a release. */
#ifndef PROTO_VERSION
#define PROTO_VERSION 1
#endif
#define PROTO_DEFAULT_SOCKET "/run/vfiobind/vfiobind.sock"
#define PROTO_MAX_LINE (64 * 1024)	/* bytes per request line, '\n' excluded */
#define PROTO_MAX_REPLY (64 * 1024 * 1024)	/* bytes per reply or event line
						   a client accepts, '\n' excluded */
#define PROTO_MAX_DEPTH 32		/* JSON nesting accepted */
#define PROTO_MAX_ID_LEN 256		/* a string id longer than this is refused */

/* Top-level fields (v, id, cmd, ok and error are the frozen envelope). */
#define PROTO_F_V "v"
#define PROTO_F_ID "id"
#define PROTO_F_CMD "cmd"
#define PROTO_F_ARGS "args"
#define PROTO_F_OK "ok"
#define PROTO_F_RESULT "result"
#define PROTO_F_ERROR "error"
#define PROTO_F_EVENT "event"
/* Inside "error". */
#define PROTO_F_CODE "code"
#define PROTO_F_MESSAGE "message"
#define PROTO_F_ERRORS "errors"		/* config-invalid: [{file,line,message}] */
#define PROTO_F_FILE "file"
#define PROTO_F_LINE "line"
#define PROTO_F_PROTOCOL "protocol"	/* bad-version: the version the daemon speaks */

/* Request "args" fields (which command takes which, of what type: proto_cmds[]
 * in commands.c; doc/protocol.md). */
#define PROTO_A_DEVICES "devices"	/* status: [BDF...]; wait: [BDF or selector...] */
#define PROTO_A_SELECTOR "selector"	/* devices: "id=8086:10d3", "0000:03:00.1", ... */
#define PROTO_A_LINE "line"		/* add: "NODE DEVICE [key=value...]" */
#define PROTO_A_NODE "node"		/* add, remove: NODE word (default DEFAULT) */
#define PROTO_A_DEVICE "device"		/* add, remove: selector text */
#define PROTO_A_OPTIONS "options"	/* add: {"driver":"vfio-pci","numvfs":4,...} */
#define PROTO_A_RUNTIME "runtime"	/* add, remove: memory only, file untouched */
#define PROTO_A_CONFIG "config"		/* plan: proposed config text */
#define PROTO_A_SOURCE "source"		/* plan: the proposed text's file name, for errors */
#define PROTO_A_TIMEOUT "timeout"	/* wait: ms to wait at most (the daemon caps it) */

/* Result fields. */
#define PROTO_R_DAEMON_VERSION "version"
#define PROTO_R_PROTOCOL "protocol"
#define PROTO_R_NODE "node"
#define PROTO_R_SYSFS_ROOT "sysfs_root"
#define PROTO_R_DRY_RUN "dry_run"
#define PROTO_R_CONFIG_PATH "config_path"
#define PROTO_R_PONG "pong"
#define PROTO_R_TIME "time"		/* ping: the daemon's clock, ms since the epoch */
#define PROTO_R_DEVICES "devices"	/* status, devices: [entries] */
#define PROTO_R_SUMMARY "summary"	/* status: counts, below */
#define PROTO_R_WARNINGS "warnings"	/* status: sentences about the daemon as a whole
					   (config file missing or rejected) */
#define PROTO_R_IOMMU "iommu"		/* devices: the kernel has IOMMU groups */
#define PROTO_R_SOURCE "source"		/* config: the file; rejected: the file */
#define PROTO_R_ENTRIES "entries"	/* config: [config entries, below]; reload: their count */
#define PROTO_R_RUNTIME_MODIFIED "runtime_modified"
#define PROTO_R_LOADED_AT "loaded_at"	/* ms since the epoch */
#define PROTO_R_MISSING "missing"	/* config: the file does not exist */
#define PROTO_R_REJECTED "rejected"	/* config: {source, errors:[...]} */
#define PROTO_R_ADDED "added"		/* add: canonical text of the new line */
#define PROTO_R_REPLACED "replaced"	/* add: it replaced a line of the same node
					   and selector */
#define PROTO_R_REMOVED "removed"	/* remove: count of lines removed */
#define PROTO_R_RUNTIME "runtime"	/* add, remove: in memory only, file untouched */
#define PROTO_R_RELOADED "reloaded"	/* reload: config applied */
#define PROTO_R_ACTIONS "actions"	/* plan, reconcile: [actions, below] */
#define PROTO_R_STATUSES "statuses"	/* plan: [status entries, below] */
#define PROTO_R_PROPOSED "proposed"	/* plan: computed for the proposed config */
#define PROTO_R_CONVERGED "converged"	/* reconcile: every claim converged */
#define PROTO_R_WATCHING "watching"	/* watch: events follow */
#define PROTO_R_HEALTH "health"		/* status, wait: the node's health, below */
#define PROTO_R_TEXT "text"		/* metrics: the Prometheus text */
#define PROTO_R_SETTLED "settled"	/* wait: the devices settled (false: timed out) */
#define PROTO_R_WAITING "waiting"	/* wait: [{device, state, reason}] not settled */
#define PROTO_R_UNMATCHED "unmatched"	/* wait: selectors that matched no device */

/* A "health" object (status, wait): the one mapping of vfiobindd(8),
 * "Health", over the devices asked about. */
#define PROTO_H_STATE "state"		/* healthy|progressing|degraded */
#define PROTO_H_SETTLED "settled"	/* no device pending, a valid config loaded */
#define PROTO_H_HEALTHY "healthy"	/* settled and nothing in error */
#define PROTO_H_REASON "reason"		/* why the state is what it is, "" healthy */
#define PROTO_H_WAITING "waiting"	/* the first thing not settled, "" none */
#define PROTO_H_COUNTS "counts"		/* {state: count} of the devices asked about */

/* A status "summary": a count per state, named as the states are
 * (proto_state_name(), vocab.h), then these counts. */
#define PROTO_SUM_TOTAL "total"		/* entries listed */
#define PROTO_SUM_MANAGED "managed"	/* devices the daemon moved and may restore */
#define PROTO_SUM_PASSES "passes"	/* the daemon's counters since it started: */
#define PROTO_SUM_BINDS "binds"
#define PROTO_SUM_RESTORES "restores"
#define PROTO_SUM_NUMVFS_CHANGES "numvfs_changes"
#define PROTO_SUM_FAILURES "failures"
#define PROTO_SUM_RELOADS "reloads"
#define PROTO_SUM_RELOAD_ERRORS "reload_errors"
#define PROTO_SUM_EVENTS "events"

/* A status entry (status "devices", plan "statuses"). */
#define PROTO_S_DEVICE "device"
#define PROTO_S_LINE "line"		/* "file:line", null when none */
#define PROTO_S_DESIRED "desired"	/* driver, "" when being restored */
#define PROTO_S_CURRENT "current"	/* driver, "" when none */
#define PROTO_S_STATE "state"		/* converged|pending|blocked|error|absent|stuck */
#define PROTO_S_REASON "reason"
#define PROTO_S_LAST_ERROR "last_error"	/* {errno, message} or null */
#define PROTO_S_ERRNO "errno"		/* last_error */
#define PROTO_S_MESSAGE "message"	/* last_error */
#define PROTO_S_RETRY_AT "retry_at"	/* ms since the epoch, null none */
#define PROTO_S_ORIGINAL_DRIVER "original_driver"
#define PROTO_S_IOMMU_GROUP "iommu_group"
#define PROTO_S_GROUP_VIABLE "group_viable"
#define PROTO_S_VENDOR_DEVICE "vendor_device"	/* "8086:10d3" */
#define PROTO_S_IFNAMES "ifnames"
#define PROTO_S_LAST_TRANSITION "last_transition"
#define PROTO_S_IN_FLIGHT_SINCE "in_flight_since"
#define PROTO_S_FAILURES "failures"
#define PROTO_S_PF_CLAIM "pf_claim"	/* true: the PF's numvfs= claim, not its driver */
#define PROTO_S_NUMVFS "numvfs"		/* pf claims */
#define PROTO_S_PF "pf"			/* a VF: its PF */
#define PROTO_S_VF_INDEX "vf_index"	/* a VF: its index on the PF */
#define PROTO_S_HOLDERS "holders"	/* status, plan, devices: [holders, below]: the
					   processes that hold it open */

/* A holder (status, plan and devices "holders"). */
#define PROTO_H_PID "pid"
#define PROTO_H_UID "uid"
#define PROTO_H_COMM "comm"		/* its command name, 15 bytes at most */
#define PROTO_H_PATH "path"		/* what it holds open: "/dev/vfio/14" */
#define PROTO_H_DEVICE "device"		/* the function it holds (a PF claim's: its VF) */

/* A devices entry (beside device, iommu_group, ifnames, pf, vf_index above). */
#define PROTO_D_VENDOR "vendor"		/* "8086" */
#define PROTO_D_DEVICE_ID "device_id"	/* "10d3" */
#define PROTO_D_CLASS "class"		/* "0x020000" */
#define PROTO_D_DRIVER "driver"
#define PROTO_D_DRIVER_OVERRIDE "driver_override"
#define PROTO_D_NUMA_NODE "numa_node"
#define PROTO_D_SRIOV_TOTALVFS "sriov_totalvfs"
#define PROTO_D_SRIOV_NUMVFS "sriov_numvfs"
#define PROTO_D_MANAGED "managed"
#define PROTO_D_CLAIMED "claimed"	/* "file:line" of the winning line, null */
#define PROTO_D_CONFLICT "conflict"	/* "file:line" of an equally specific line
					   that disagrees; only then */

/* A config entry (config "entries"). */
#define PROTO_C_LINE "line"		/* its line number in the source */
#define PROTO_C_WHERE "where"		/* "file:line" */
#define PROTO_C_TEXT "text"		/* the line in canonical form */
#define PROTO_C_NODE "node"
#define PROTO_C_DEVICE "device"		/* the selector, canonical */
#define PROTO_C_DRIVER "driver"
#define PROTO_C_NUMVFS "numvfs"		/* only when the line sets numvfs= */

/* An action (plan, reconcile). */
#define PROTO_X_KIND "kind"		/* bind|restore|numvfs (proto_action_name(), vocab.h) */
#define PROTO_X_DEVICE "device"
#define PROTO_X_TEXT "text"		/* what it does, in words */
#define PROTO_X_DRIVER "driver"		/* bind, restore: the driver wanted */
#define PROTO_X_CURRENT "current"	/* bind, restore: the driver now, "" none */
#define PROTO_X_NUMVFS "numvfs"		/* numvfs: the VF count wanted */
#define PROTO_X_CURRENT_NUMVFS "current_numvfs"	/* numvfs: the VF count now */
#define PROTO_X_LINE "line"		/* the claiming line's number, null none */
#define PROTO_X_OK "ok"			/* reconcile: it did what it should */

/* An event (watch). */
#define PROTO_E_KIND "kind"		/* device|pass|config|action */
#define PROTO_E_DEVICE "device"
#define PROTO_E_STATE "state"
#define PROTO_E_MESSAGE "message"
#define PROTO_E_TIME "time"		/* ms since the epoch */
#define PROTO_E_ERRNO "errno"

/* A finding of `vfiobind check --json` (client/cmd/check.c; no daemon
 * involved, but scripts read it as they read replies). */
#define PROTO_K_LEVEL "level"		/* ok|warn|fail */
#define PROTO_K_SUBJECT "subject"	/* "iommu", a BDF, ... */
#define PROTO_K_MESSAGE "message"
#define PROTO_K_HINT "hint"		/* what to do, null when nothing */

/* Commands. admin: needs uid 0 or the configured admin group. */
enum proto_cmd {
	PROTO_CMD_PING = 0,
	PROTO_CMD_VERSION,
	PROTO_CMD_STATUS,
	PROTO_CMD_DEVICES,
	PROTO_CMD_CONFIG,
	PROTO_CMD_ADD,
	PROTO_CMD_REMOVE,
	PROTO_CMD_RELOAD,
	PROTO_CMD_RECONCILE,
	PROTO_CMD_PLAN,
	PROTO_CMD_WATCH,
	PROTO_CMD_METRICS,
	PROTO_CMD_WAIT,
	PROTO_CMD__MAX,
};

/* The JSON type an argument must have. A null is always accepted: it counts
 * as absent. */
enum proto_arg_type {
	PROTO_ARG_STRING = 0,		/* a string, without a NUL inside */
	PROTO_ARG_BOOL,
	PROTO_ARG_INT,
	PROTO_ARG_OBJECT,
	PROTO_ARG_STRINGS,		/* an array of strings */
};

/* One argument a command takes: what the daemon checks before the command's
 * handler runs (proto_check_args()), and what docs and tests list. */
struct proto_arg {
	const char *name;		/* PROTO_A_* */
	enum proto_arg_type type;
	bool required;			/* absent: 'missing argument "NAME"' */
	const char *what;		/* wrong type: 'argument "NAME" must be WHAT' */
	const char *summary;		/* one line: what it means */
};

struct proto_cmd_info {
	enum proto_cmd cmd;
	const char *name;
	bool admin;
	const char *summary;	/* one line, for --help */
	const struct proto_arg *args;	/* the only keys "args" may hold; */
	size_t n_args;			/* none: NULL, 0 */
};

/* Table indexed by enum proto_cmd. */
extern const struct proto_cmd_info proto_cmds[PROTO_CMD__MAX];

const char *proto_cmd_name(enum proto_cmd cmd);	/* NULL when out of range */
/* The command with this name: its enum value (>= 0), or -ENOENT. */
int proto_cmd_from_name(const char *name);
bool proto_cmd_admin(enum proto_cmd cmd);
/* cmd's argument called key, NULL when it takes none of that name. */
const struct proto_arg *proto_cmd_arg(enum proto_cmd cmd, const char *key);
/* "a string", "an array of strings", ...: the type in words. */
const char *proto_arg_type_name(enum proto_arg_type type);

/* Error codes; the strings are stable (scripts match on them). */
enum proto_error {
	PROTO_OK = 0,
	PROTO_ERR_PARSE,		/* "parse-error": not JSON, or not an object */
	PROTO_ERR_BAD_REQUEST,		/* "bad-request": missing/wrong-typed/unknown field */
	PROTO_ERR_BAD_VERSION,		/* "bad-version" */
	PROTO_ERR_UNKNOWN_COMMAND,	/* "unknown-command" */
	PROTO_ERR_TOO_LARGE,		/* "too-large": line over PROTO_MAX_LINE; closes */
	PROTO_ERR_PERMISSION_DENIED,	/* "permission-denied" */
	PROTO_ERR_BAD_DEVICE,		/* "bad-device": fails the BDF/selector grammar */
	PROTO_ERR_NOT_FOUND,		/* "not-found" */
	PROTO_ERR_CONFIG_INVALID,	/* "config-invalid": error.errors lists why */
	PROTO_ERR_CONFIG_READONLY,	/* "config-readonly": try "runtime": true */
	PROTO_ERR_BUSY,			/* "busy": too many clients; closes */
	PROTO_ERR_TIMEOUT,		/* "timeout" */
	PROTO_ERR_INTERNAL,		/* "internal" */
	PROTO_ERR__MAX,
};

/* "parse-error", ...; "ok" for PROTO_OK; NULL when out of range. */
const char *proto_error_name(enum proto_error code);
/* The code with this name (>= 0), or -ENOENT. A client should treat an
 * unknown code from a newer daemon as PROTO_ERR_INTERNAL. */
int proto_error_from_name(const char *name);
/* A sensible code for a negative errno from the daemon's own functions:
 * -EROFS -> config-readonly, -EPERM/-EACCES -> permission-denied,
 * -ENOENT/-ENODEV -> not-found, -EINVAL -> bad-request, -ETIMEDOUT ->
 * timeout, -EBUSY/-EAGAIN -> busy, anything else -> internal. */
enum proto_error proto_error_from_errno(int err);

/* Why a line could not be decoded, and what the reply should echo. */
struct proto_err {
	enum proto_error code;
	char message[256];
	json_object *id;	/* the request's id when it could be read, else NULL
				   (the reply then carries "id":null); owned */
};

void proto_err_clear(struct proto_err *err);

/* A decoded, validated request. root owns everything below it. */
struct proto_request {
	json_object *root;
	json_object *id;	/* borrowed from root: int or string */
	enum proto_cmd cmd;
	json_object *args;	/* borrowed from root: an object, or NULL when absent */
};

void proto_request_clear(struct proto_request *req);

/* Decode one line (without its '\n'; len bytes, NUL not required). Checks:
 * valid JSON and nothing after it, an object, then the envelope: "id" an int
 * or a string of at most PROTO_MAX_ID_LEN, "v" an int equal to PROTO_VERSION
 * (else bad-version, whose reply says which version this side speaks), then
 * "cmd" a known command name, "args" an object when present, no other
 * top-level field. The args themselves are the command's to judge:
 * proto_check_args(). Returns 0 and fills req, or -EINVAL and fills err
 * (err->id set when the id could be read so the error reply can echo it). */
int proto_decode_request(const char *line, size_t len, struct proto_request *req,
			 struct proto_err *err);

/* A decoded reply or event line (client side). root owns everything. */
struct proto_reply {
	json_object *root;
	int64_t version;		/* its "v": the sender's protocol version */
	json_object *id;		/* borrowed; may be a json null */
	bool is_event;			/* an event line of a watch stream */
	bool ok;
	json_object *result;		/* ok: an object (empty when absent; another
					   version: NULL unless an object) */
	json_object *event;		/* is_event: the event object */
	json_object *error;		/* !ok: the whole error object */
	enum proto_error code;		/* !ok: PROTO_ERR_INTERNAL for an unknown code */
	const char *code_name;		/* !ok: the code as sent */
	const char *message;		/* !ok: the human message ("" when absent) */
};

void proto_reply_clear(struct proto_reply *rep);

/* Decode a reply or event line, the envelope first: "v" an integer, "id"
 * there (null, an int or a string). A line of this side's version is then
 * checked whole (an event object, or ok with a result object, or an error
 * object with a code). A line of another version is read only as far as the
 * frozen envelope goes ("ok", "error.code", "error.message" when they have
 * their shape), never refused for the rest: the caller sees rep->version and
 * says that the versions differ (proto_reply_peer_version()). Unknown fields
 * are ignored (forward compatibility). Returns 0, or -EINVAL with err filled
 * (parse-error, bad-request for a malformed envelope or shape). */
int proto_decode_reply(const char *line, size_t len, struct proto_reply *rep,
		       struct proto_err *err);
/* The protocol version the sender of rep speaks: the "protocol" of a
 * bad-version error when it carries one, else the reply's "v". A peer of
 * this side's version answers PROTO_VERSION. */
int64_t proto_reply_peer_version(const struct proto_reply *rep);

/* Builders: each returns a new object (caller puts it), NULL on ENOMEM.
 * id is borrowed (a new reference is taken); NULL means a json null. */
json_object *proto_request_new(enum proto_cmd cmd, json_object *id, json_object *args);
/* Convenience: integer id. args is taken over (may be NULL). */
json_object *proto_request_new_int(enum proto_cmd cmd, int64_t id, json_object *args);
/* result is taken over (NULL: an empty object). */
json_object *proto_reply_ok(json_object *id, json_object *result);
/* A bad-version error also carries "protocol": PROTO_VERSION. */
json_object *proto_reply_error(json_object *id, enum proto_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
json_object *proto_reply_verror(json_object *id, enum proto_error code, const char *fmt,
				va_list ap) __attribute__((format(printf, 3, 0)));
/* The error reply for a failed decode. */
json_object *proto_reply_from_err(const struct proto_err *err);
/* An event line for watch subscribers; device/state/message may be NULL
 * (then omitted); err 0 is omitted. kind: "device", "pass", "config", "action". */
json_object *proto_event_new(json_object *id, const char *kind, const char *device,
			     const char *state, const char *message, int err,
			     long long time_ms);

/* Serialize obj as one plain JSON line ending in '\n' (malloc'd, NUL
 * terminated; *len excludes the NUL when len is not NULL). NULL on ENOMEM. */
char *proto_encode_line(json_object *obj, size_t *len);

/* Typed access to request args, for command handlers. Each returns 0 (and
 * *out, or leaves *out untouched when the key is absent and !required),
 * -ENOENT when required and absent, -EINVAL when present with a wrong type.
 * args may be NULL (no args given). */
int proto_args_string(json_object *args, const char *key, bool required, const char **out);
int proto_args_bool(json_object *args, const char *key, bool required, bool *out);
int proto_args_int(json_object *args, const char *key, bool required, int64_t *out);
int proto_args_array(json_object *args, const char *key, bool required, json_object **out);
int proto_args_object(json_object *args, const char *key, bool required, json_object **out);
/* Refuse keys not in allowed (NULL-terminated): 0, or -EINVAL and *bad names
 * the first unknown key (borrowed from obj). */
int proto_args_check(json_object *args, const char *const *allowed, const char **bad);
/* Check a request's args against its command's entry in proto_cmds[]: the
 * one place where the daemon judges them, before the handler runs (which
 * may then rely on the types). Every key must be one the command takes,
 * every value not null must have its type, every required one must be there
 * (a null counts as absent). 0, or -EINVAL with err's code bad-request and
 * its message 'unknown argument "KEY"', 'argument "KEY" must be WHAT' or
 * 'missing argument "KEY"' (err->id untouched; a cmd out of range is
 * unknown-command). */
int proto_check_args(enum proto_cmd cmd, json_object *args, struct proto_err *err);
