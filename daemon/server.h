/* SPDX-License-Identifier: GPL-2.0-or-later */
/* server.h: the control socket (doc/protocol.md). One listening Unix socket on
 * the daemon's event loop; each client is a bufferevent speaking one JSON
 * object per line; each command is one file (daemon/cmd/) with a server_cmd
 * entry. Writes need an admin peer (uid 0, the daemon's own uid, or a member
 * of the admin group), learnt from SO_PEERCRED and SO_PEERGROUPS. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "config.h"
#include "proto.h"

struct event_base;
struct engine;
struct server;
struct server_client;

#define SERVER_DEFAULT_MODE 0600
#define SERVER_DEFAULT_MAX_CLIENTS 64
/* Of max_clients, this many are kept for admin peers (who may also exceed
 * it by as many): others get at most max_clients - 8 (64: 56), an admin up
 * to max_clients + 8 (72). A max_clients of 16 or less: others get half. */
#define SERVER_ADMIN_RESERVE 8
/* Connections one uid may hold when it is not an admin peer, so that one
 * user cannot take every slot the others have. */
#define SERVER_DEFAULT_MAX_PER_UID 8
#define SERVER_DEFAULT_IDLE_MS 10000
#define SERVER_DEFAULT_FIRST_REQUEST_MS 10000
#define SERVER_DEFAULT_MAX_OUTPUT (1u << 20)	/* pending reply bytes per client */
#define SERVER_DEFAULT_WATCH_MAX_OUTPUT (1u << 20)	/* a slower watcher is dropped */

struct server_opts {
	const char *path;		/* NULL: PROTO_DEFAULT_SOCKET */
	mode_t mode;			/* socket file mode; 0: SERVER_DEFAULT_MODE */
	const char *group;		/* socket file group name; NULL: unchanged */
	const char *admin_group;	/* members may write; NULL: root (and our uid) only */
	unsigned max_clients;		/* 0: SERVER_DEFAULT_MAX_CLIENTS; see
					   SERVER_ADMIN_RESERVE */
	unsigned max_per_uid;		/* connections of one non-admin uid;
					   0: SERVER_DEFAULT_MAX_PER_UID */
	int idle_timeout_ms;		/* a half-sent line older than this is
					   refused; 0: default, < 0: never */
	int first_request_ms;		/* a connection that has not begun a
					   request this long after connecting is
					   closed (never after its first); 0:
					   default, < 0: never */
	size_t max_output;		/* 0: default; reading pauses above it */
	size_t watch_max_output;	/* 0: default; a watcher above it is dropped */
};

/* Listen on opts->path (its parent made when missing; a stale socket that
 * nobody answers on is replaced). NULL with errno set on failure
 * (EADDRINUSE: another daemon answers there; EEXIST: a non-socket is there). */
struct server *server_new(struct event_base *base, struct engine *engine,
			  const struct server_opts *opts);
/* Close every client and the socket, and unlink the socket file. */
void server_free(struct server *s);
unsigned server_client_count(const struct server *s);

/* A command: name (as in proto_cmds), admin-only flag, handler. The handler
 * returns 0 with *result (an object, or NULL for {}), or a proto_error code
 * (a negative errno is mapped by proto_error_from_errno()); the message comes
 * from server_client_error() or defaults to the code's name. */
struct server_cmd {
	enum proto_cmd cmd;
	int (*handler)(struct server_client *c, json_object *args, json_object **result);
};

extern const struct server_cmd server_cmd_ping, server_cmd_version, server_cmd_status,
	server_cmd_devices, server_cmd_config, server_cmd_add, server_cmd_remove,
	server_cmd_reload, server_cmd_reconcile, server_cmd_plan, server_cmd_watch,
	server_cmd_metrics, server_cmd_wait;

/* For handlers. */
struct engine *server_client_engine(const struct server_client *c);
uid_t server_client_uid(const struct server_client *c);
pid_t server_client_pid(const struct server_client *c);
bool server_client_admin(const struct server_client *c);
/* Set the error message (and return code, for `return server_client_error(..)`). */
int server_client_error(struct server_client *c, enum proto_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add a field to the error object (e.g. "errors" for config-invalid); takes val. */
void server_client_error_field(struct server_client *c, const char *key, json_object *val);
/* A handler returning SERVER_DEFERRED replies later with server_client_resume();
 * meanwhile the client's further requests wait (replies stay in order). If
 * the client goes away first, cancel(ud) runs instead. */
#define SERVER_DEFERRED 1000
void server_client_defer(struct server_client *c, void (*cancel)(void *ud), void *ud);
void server_client_resume(struct server_client *c, json_object *result);

/* Make c a watch subscriber: after the ok reply it receives event lines. */
void server_client_watch(struct server_client *c);

/* Helpers shared by the command files (cmd/util.c). */
/* The args reach a handler checked against proto_cmds[] (unknown keys,
 * types, required ones: proto_check_args()). For what a handler still finds
 * wrong with one, given proto_args_*()'s r: bad-request 'missing argument
 * "KEY"' (-ENOENT) or 'argument "KEY" must be WHAT'. */
int server_args_error(struct server_client *c, const char *key, int r, const char *what);
/* "file:line" for a config line (NULL when line is 0) as a json string or null. */
json_object *server_json_line(const char *source, unsigned line);
struct pci_dev;
/* v as a json int, or null when negative ("none" in the PCI model). */
json_object *server_json_nonneg(int v);
/* A device's interface names as a json array. */
json_object *server_json_ifnames(const struct pci_dev *d);
/* json string, or null for NULL/"" when empty_is_null. */
json_object *server_json_str(const char *s, bool empty_is_null);
/* Parse selector text ("0000:03:00.1", "id=8086:10d3", ...) as a config
 * line's DEVICE word; bad-device with the parser's message when it fails. */
int server_parse_selector(struct server_client *c, const char *text, struct cfg_selector *out);
struct plan_status;
struct plan_action;
struct plan;
struct plan_held;
struct pci_state;
/* A status entry; with_runtime makes it the device view (stuck, error) with
 * the engine's facts (status, not plan). */
json_object *server_json_status(struct engine *e, const struct plan_status *st,
				const struct config *cfg, bool with_runtime);
json_object *server_json_action(const struct plan_action *a);
struct health;
/* A "health" object (status, wait). */
json_object *server_json_health(const struct health *h);
/* The "holders" array: those of the held verdict behind status st of plan p
 * (an empty array when none), or those of v (NULL: none). */
json_object *server_json_held(const struct plan *p, const struct plan_status *st);
json_object *server_json_holders(const struct plan_held *v);
/* After a confedit_file_*() call returning r: map an error to its reply
 * (config-readonly, config-invalid, ...), or reload the engine on success. */
int server_edit_result(struct server_client *c, int r, const struct cfg_errors *errs,
		       const char *path);
/* The config-invalid error with "errors":[{file,line,message}] from errs. */
int server_config_error(struct server_client *c, const struct cfg_errors *errs,
			const char *what);
