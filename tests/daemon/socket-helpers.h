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

/* Still serving, still alive; then a clean exit and a clean log. */
void sock_assert_daemon_healthy(void);
