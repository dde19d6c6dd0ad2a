/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runprog.h: run a program and capture what it prints, bounded in size and in
 * time (`vfiobind check` runs lsinitramfs, whose output on a fat or broken
 * initramfs it cannot trust to end). */
#pragma once

#include <stddef.h>

/* Run argv (argv[0] looked up in PATH) in a process group of its own, stdin
 * and stderr on /dev/null, SIGPIPE at its default, and capture its stdout.
 * 0 with *out (malloc'd, NUL-terminated) when it exited 0 within timeout_ms
 * having written at most max bytes. Else, with nothing left running that it
 * started (its process group killed, it reaped): -EFBIG when it wrote more
 * than max, -ETIMEDOUT when it ran longer than timeout_ms, -ECHILD when it
 * failed, -errno when it could not start. */
int runprog_capture(char *const argv[], size_t max, int timeout_ms, char **out);
