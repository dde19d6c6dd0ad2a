/* SPDX-License-Identifier: GPL-2.0-or-later */
/* client.h: vfiobind, the thin client of vfiobindd. One file per command
 * (cmd-*.c), each exporting a struct cmd_entry that names the command, its
 * usage, its help and its handler (the tmux layout); vfiobind.c parses the
 * options and dispatches; conn.c talks to the socket; output.c turns results
 * into text and holds the pure pieces the unit tests check.
 *
 * Handlers return an exit code (enum client_exit), never exit() themselves:
 * every message the user needs has been printed by then. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "bdf.h"
#include "proto.h"
#include "vocab.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0-standalone"
#endif

/* The exit codes vfiobind(1) documents; scripts rely on them. */
enum client_exit {
	CLIENT_EXIT_OK = 0,		/* success; status: every device converged */
	CLIENT_EXIT_FAIL = 1,		/* an error reply, or something not converged;
					   a daemon of another protocol version */
	CLIENT_EXIT_USAGE = 2,		/* bad command line */
	CLIENT_EXIT_UNREACHABLE = 3,	/* no daemon at the socket, or it went away */
	CLIENT_EXIT_NOT_SETTLED = 4,	/* wait: not settled by --timeout; status
					   --quiet: progressing */
};

#define CLIENT_DEFAULT_TIMEOUT_MS (60 * 1000)
#define CLIENT_DEFAULT_NODE "DEFAULT"

/* How to draw text: decided once in main() from the terminal and the
 * environment, then passed to the pure formatters. */
struct out_style {
	bool color;		/* ANSI colours on */
	int width;		/* terminal columns; 0 = unlimited (not a TTY) */
	bool utf8;		/* the locale can show U+2026 for truncation */
};

struct conn;

/* What every handler gets: the global options and the connection. */
struct client {
	const char *socket;	/* --socket, $VFIOBIND_SOCKET or the default */
	int timeout_ms;		/* for one reply; 0 = wait forever */
	bool json;		/* --json: print the result object as is */
	struct out_style style;
	/* Per-command options, valid when the entry allows them. */
	const char *node;	/* --node, NULL when not given */
	bool runtime;		/* --runtime */
	bool quiet;		/* --quiet */
	struct conn *conn;	/* opened by the first client_call() */
	long long next_id;
};

/* Which per-command options a command takes (beyond --help, --json, --no-color). */
#define CMD_OPT_NODE (1u << 0)
#define CMD_OPT_RUNTIME (1u << 1)
/* Runs without the daemon and parses its own options: exec gets every word
 * from the command name on (argv[0] is "check"), nothing parsed. */
#define CMD_OPT_LOCAL (1u << 2)
#define CMD_OPT_QUIET (1u << 3)

struct cmd_entry {
	const char *name;
	enum proto_cmd cmd;	/* its summary comes from proto_cmds[] */
	const char *summary;	/* CMD_OPT_LOCAL commands: the summary (no protocol cmd) */
	const char *usage;	/* after "vfiobind NAME " */
	const char *help;	/* what it prints and how it exits; may be NULL */
	unsigned opts;		/* CMD_OPT_* */
	int args_min, args_max;	/* positional arguments; args_max -1: no limit */
	/* argv holds the positional arguments only (options already parsed). */
	int (*exec)(struct client *c, int argc, char **argv);
};

extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_devices_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_add_entry;
extern const struct cmd_entry cmd_remove_entry;
extern const struct cmd_entry cmd_reload_entry;
extern const struct cmd_entry cmd_reconcile_entry;
extern const struct cmd_entry cmd_plan_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_ping_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_metrics_entry;
extern const struct cmd_entry cmd_wait_entry;

/* conn.c: the socket, one JSON object per line each way. Low level: 0 or
 * -errno. */
int conn_open(const char *path, struct conn **out);
void conn_free(struct conn *cn);
int conn_send(struct conn *cn, json_object *msg);
/* Wait at most timeout_ms (0: forever) for the next line and decode it.
 * 1 and rep filled, 0 at a clean end of stream, or -errno: -ETIMEDOUT,
 * -EMSGSIZE (line over PROTO_MAX_REPLY), -EPROTO (stream cut mid-line),
 * -EBADMSG (not a reply; err says why), -EPROTONOSUPPORT (the daemon speaks
 * another protocol version, by its reply's "v" or its bad-version error;
 * err->message is out_version_mismatch()'s sentence). */
int conn_recv(struct conn *cn, int timeout_ms, struct proto_reply *rep, struct proto_err *err);

/* conn.c, high level: these print what went wrong and return an exit code.
 * client_call() connects on first use, sends cmd with args (taken over, may
 * be NULL) and waits for its reply. CLIENT_EXIT_OK with rep holding an ok
 * reply (clear it with proto_reply_clear), else the code to exit with. */
int client_call(struct client *c, enum proto_cmd cmd, json_object *args,
		struct proto_reply *rep);
/* Is rep the reply to request id? An error with a null id also counts: that
 * is the daemon refusing the line before it could read the id. */
bool client_reply_matches(const struct proto_reply *rep, long long id);
/* Print the message for a failed conn_* call (r < 0) and return its exit code. */
int client_conn_failed(const struct client *c, int r, const struct proto_err *err);
/* Run a simple command: call, then print the result as --json or through
 * human() (NULL: nothing), and exit by out_reply_exit(). */
int client_run(struct client *c, enum proto_cmd cmd, json_object *args,
	       void (*human)(const struct client *c, json_object *result));

/* Put val (taken over) into *args under key, making *args on first use.
 * 0, or -ENOMEM (val NULL or no memory; *args left for the caller to put). */
int client_args_add(json_object **args, const char *key, json_object *val);
/* Report ENOMEM, drop args, return CLIENT_EXIT_FAIL. */
int client_oom(json_object *args);

/* vfiobind.c: print "vfiobind: MSG" and the command's usage to stderr;
 * returns CLIENT_EXIT_USAGE. */
int client_usage_error(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* output.c: pure text making. Nothing here looks at the terminal, the
 * environment or the clock: main() decides the style and passes it in.
 * Functions returning char * give a malloc'd string, NULL on ENOMEM. */

/* s (NULL: "") made safe to show on a terminal, malloc'd (NULL on ENOMEM):
 * every string from the daemon passes here (or through the formatters
 * below, which use it) before display. Each byte that does not begin a
 * printable character becomes '?': C0 controls (ESC, CR, BEL, newline...),
 * DEL, C1 controls (U+0080..U+009F), bidi overrides, malformed UTF-8.
 * Well-formed UTF-8 text stays as it is. */
char *out_printable(const char *s);

/* Colour only for a terminal, when NO_COLOR is unset or empty
 * (no-color.org), TERM is not "dumb" and --no-color was not given. */
bool out_color_wanted(bool stdout_tty, const char *no_color_env, const char *term,
		      bool no_color_flag);
/* The SGR sequence for a device state ("converged" green, "pending" yellow,
 * "blocked", "error", "stuck" red), NULL for none. */
const char *out_state_sgr(const char *state);

struct out_column {
	const char *header;
	bool flex;		/* shrinks to fit the width, cut with an ellipsis */
	bool state;		/* coloured by out_state_sgr() */
};

struct out_table {
	const struct out_column *cols;
	size_t ncols;
	char **cells;		/* row-major, nrows * ncols, owned */
	size_t nrows, cap;
};

void out_table_init(struct out_table *t, const struct out_column *cols, size_t ncols);
/* Append a row of ncols cells (NULL or "" shows as "-"), each made
 * printable by out_printable(). 0 or -ENOMEM. */
int out_table_add(struct out_table *t, const char *const *cells);
void out_table_clear(struct out_table *t);
/* Header and rows, columns two spaces apart, no trailing blanks. When the
 * rows are wider than st->width, the flex column gives up what is missing
 * (never below its header) and its longer cells end in an ellipsis. */
char *out_table_render(const struct out_table *t, const struct out_style *st);

/* status: "3 converged, 1 blocked" over the entries' states, in the order
 * converged pending blocked error absent stuck; "no devices" when empty. */
char *out_state_summary(json_object *devices);
/* status and plan: DEVICE STATE DRIVER WANT LINE REASON, then the summary. */
char *out_status_text(json_object *devices, const struct out_style *st);
/* status: "warning: TEXT" a line for each of the daemon's warnings (a
 * missing or rejected config file); "" when none. */
char *out_warnings_text(json_object *warnings);
/* devices: one row per PCI function. */
char *out_devices_text(json_object *devices, const struct out_style *st);
/* plan and reconcile: KIND DEVICE TEXT, or "nothing to do". */
char *out_actions_text(json_object *actions, const struct out_style *st);
/* watch: "TIME KIND DEVICE STATE MESSAGE" on one line, '\n' ended; time is
 * shown in the local zone (the caller's TZ). */
char *out_event_line(json_object *event, const struct out_style *st);
/* config: "# SOURCE, loaded TIME[, changed at runtime]" then "LINE  TEXT"
 * per entry. */
char *out_config_text(json_object *result);
/* "2024-05-01 10:00:00" in the local zone for ms since the epoch; "-" when
 * it cannot be shown. Returns buf or a literal. */
const char *out_time(long long ms, char *buf, size_t size);
/* "vfiobind: CODE: MESSAGE\n", then "FILE:LINE: MESSAGE\n" for each entry of
 * error.errors (config-invalid). */
char *out_error_text(const struct proto_reply *rep);
/* version: "daemon: vfiobindd VERSION (protocol N) on node NODE, sysfs ROOT[,
 * dry run]\n" ("?" for what is missing). */
char *out_version_text(json_object *result);
/* add: "added: LINE[ (runtime only: the file is unchanged)]\n". */
char *out_added_text(json_object *result, bool runtime);
/* A daemon of another protocol version than PROTO_VERSION: "vfiobindd speaks
 * protocol N, this vfiobind speaks M: restart vfiobindd or use the vfiobind
 * that came with it" into buf (no prefix, no newline). Returns buf. */
const char *out_version_mismatch(long long daemon_version, char *buf, size_t size);
/* The result as --json prints it: the object exactly, one line, '\n' ended. */
char *out_json_line(json_object *result);
/* A boolean field of a reply object: 1 true, 0 false, -1 absent or not a
 * boolean (so "missing means no opinion" stays distinct from false). */
int out_bool(json_object *o, const char *key);
/* Exit code for a reply to cmd: an error reply 1; status 1 unless every
 * device is converged; reconcile 1 unless "converged"; config 1 when the
 * file on disk was rejected; remove 1 when nothing was removed; else 0. */
int out_reply_exit(enum proto_cmd cmd, const struct proto_reply *rep);

/* Command-line arguments turned into protocol text. */
/* A DEVICE argument as the protocol wants it: a selector with '=' (id=,
 * class=, ifname=, pf=; the daemon checks the value) is returned as is, a PCI
 * address that bdf_parse() accepts is written canonically into buf. NULL when
 * it is neither, or holds a blank or '#'. */
const char *out_device_arg(const char *arg, char buf[BDF_BUFSZ]);
/* "NODE DEVICE key=value..." from add's arguments (argv[0] is DEVICE, a
 * BDF written canonically). 0, or -EINVAL with *bad naming the argument at
 * fault, or -ENOMEM. */
int out_add_line(const char *node, int argc, char *const *argv, char **line,
		 const char **bad);
/* fputs s to f and free it; -ENOMEM when s is NULL. */
int out_put(FILE *f, char *s);

/* output-health.c: the node's health as text (status --quiet, wait). */
/* "healthy: 3 converged, 1 blocked", "degraded: 1 error, 2 converged; WHY"
 * from a "health" object, '\n' ended, control characters shown as '?'. */
char *out_health_line(json_object *health);
/* The exit code for a health object: 0 healthy, 1 degraded (or not said),
 * CLIENT_EXIT_NOT_SETTLED progressing. */
int out_health_exit(json_object *health);
/* wait: "vfiobind: still waiting for DEVICE (STATE: REASON)\n" for each
 * device a reply lists (else what its health waits for); "" when none. */
char *out_wait_text(json_object *result);
/* wait: "vfiobind: SELECTOR: no device matches it here, nothing to wait
 * for\n" for each selector that matched nothing; "" when none. */
char *out_unmatched_text(json_object *result);
/* metrics: the text as sent, every control character but '\n' shown as '?'. */
char *out_metrics_text(const char *text);
