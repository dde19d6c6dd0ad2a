/* SPDX-License-Identifier: GPL-2.0-or-later */
/* socket-helpers.h: what the control-socket tests share (test-socket.c,
 * test-socket-hostile.c): the fixture (a fake tree of three e1000e NICs), the
 * fake daemon started on it, the real `vfiobind` client run against it, and
 * the health check every test ends with. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon-harness.h"

#define NIC0 "0000:00:02.0"	/* e1000e, eth0, group 1 */
#define NIC1 "0000:00:03.0"	/* e1000e, eth1, group 2 */
#define NIC2 "0000:00:04.0"	/* e1000e, group 3 */

/* The fixture of every socket test, made by sock_setup(). */
extern struct fakesys *sock_fs;
extern struct daemon_run sock_d;

void sock_setup(void);
void sock_teardown(void);

/* Start the fake daemon (conf written first unless NULL), wait until ready. */
void sock_start_with(const char *conf, const char *const *extra);
void sock_start(const char *conf);

/* Run `[prefix...] vfiobind --socket S ARGS...` (args NULL-terminated). */
int sock_vb(char **out, char **err, ...);
int sock_vb_as(const char *const *prefix, char **out, char **err, ...);
/* `vfiobind ... --json` whose result must parse; exit status in *rc. */
json_object *sock_vb_json(int *rc, const char *cmd, const char *arg);

void sock_assert_driver(const char *bdf, const char *want);
/* `vfiobind status` until it exits 0 (everything converged). */
bool sock_wait_converged(int ms);
char *sock_read_text(const char *path, size_t *len);

/* ---- raw protocol: one JSON line each way, by hand ---- */
/* A new connection to the daemon's socket. */
int sock_raw_connect(void);
void sock_raw_send(int fd, const char *buf, size_t len);
void sock_raw_puts(int fd, const char *line);
/* Wait for fd to become readable; false on timeout. */
bool sock_readable(int fd, int ms);
/* One reply line (parsed), or NULL at end of stream or after ms. */
json_object *sock_raw_reply(int fd, int ms);
/* The stream ends (EOF, or ECONNRESET as a Unix socket closed with our
 * unread bytes in it reports) within ms; lines before it are skipped. */
bool sock_raw_closed(int fd, int ms);
/* error.code of a reply, "(none)" when it has none. */
const char *sock_reply_code(json_object *rep);
bool sock_reply_ok(json_object *rep);
/* Send line, expect an error reply with this code; the connection stays. */
void sock_expect_error(int fd, const char *line, const char *code);
/* Send a ping, expect its pong. */
void sock_expect_pong(int fd);
/* A client that owes a request ran out of time: its timeout reply (within
 * 20 s), then the end of its stream; fd is closed. what names it. */
void sock_expect_timed_out(int fd, const char *what);

/* ---- who connects ---- */
#define NOBODY "65534"
/* A command prefix running as nobody (setpriv, else runuser), with gid as
 * its one supplementary group or none (groups_opt: 32 bytes it may use).
 * False when not root or no tool can. */
bool sock_as_nobody(const char **prefix, char *groups_opt, const char *gid);
/* Start the daemon on a socket anyone may connect to (mode 0666), with
 * admin_group (NULL: none) and more options (NULL-terminated, may be NULL);
 * NIC0 claimed and bound. */
void sock_start_open(const char *admin_group, const char *const *more);
struct group;
/* A group nobody is not in (by default), to be the admin group; NULL when
 * the system has none. */
const struct group *sock_spare_group(void);

/* Still serving, still alive; then a clean exit and a clean log. */
void sock_assert_daemon_healthy(void);
