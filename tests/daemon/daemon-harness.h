/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon-harness.h: start the real vfiobindd binary on a fake sysfs tree,
 * capture its log, and wait for lines. Shared by the daemon-level tests. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct fakesys;

/* A ThreadSanitizer build (configure --enable-thread-sanitizer) runs 5 to
 * 15 times slower: a test of load rather than of threads is skipped there
 * (.disabled = HARNESS_TSAN) instead of given guards that mean nothing. */
#if defined(__SANITIZE_THREAD__)
#define HARNESS_TSAN true
#else
#define HARNESS_TSAN false
#endif

struct daemon_run {
	pid_t pid;
	char dir[64];		/* temp dir: config, run dir, socket, log */
	char conf[128];
	char sock[128];
	char log[128];
};

/* Path of a built program (VFIOBIND_BUILDDIR or "."), e.g. "daemon/vfiobindd". */
const char *harness_bin(const char *rel);
void harness_init(struct daemon_run *d);
void harness_write_conf(struct daemon_run *d, const char *text);
/* Write text to path whole: a new file renamed over the old one. */
void harness_replace_file(const char *path, const char *text);
/* Start vfiobindd on fs's root with extra args (NULL-terminated). */
void harness_start(struct daemon_run *d, struct fakesys *fs, const char *const *extra);
/* The same with another daemon binary (a build path for harness_bin(), e.g.
 * "tests/daemon/vfiobindd-fake", the daemon on the fake kernel). */
void harness_start_prog(struct daemon_run *d, const char *prog, struct fakesys *fs,
			const char *const *extra);
/* The same behind a prefix command that execs the rest (setpriv, unshare). */
void harness_start_wrapped(struct daemon_run *d, const char *const *prefix, const char *prog,
			   struct fakesys *fs, const char *const *extra);
/* Start argv (argv[0] a path; NULL-terminated) with its output in d->log. */
void harness_spawn(struct daemon_run *d, const char *const *argv);
/* Run a command to completion, capturing stdout into out (malloc'd). */
int harness_run(const char *const *argv, char **out);
/* The same, capturing stderr into err too (either may be NULL: discarded). */
int harness_run2(const char *const *argv, char **out, char **err);
/* Wait until the log contains needle (ms timeout). */
bool harness_wait_log(struct daemon_run *d, const char *needle, int ms);
bool harness_log_has(struct daemon_run *d, const char *needle);
/* Wait until the socket accepts connections. */
bool harness_wait_socket(struct daemon_run *d, int ms);
void harness_stop(struct daemon_run *d);
void harness_cleanup(struct daemon_run *d);
/* Digest of every file, link and directory name under root. */
unsigned long long harness_tree_digest(const char *root);
