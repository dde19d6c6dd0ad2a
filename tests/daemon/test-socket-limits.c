/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-socket-limits.c: the control socket's limits against a hostile local
 * user (doc/protocol.md, Limits): who a peer is however many groups it has,
 * how many connections one user may hold, how long a connection may stay
 * silent before its first request, what a flood of refusals writes to the
 * log, and the daemon at its file-descriptor limit. Peers of other users
 * are forked children that drop to them (root only; skipped otherwise).
 * After each test the daemon must still answer and exit cleanly. Outcomes
 * are asserted, never timings: the waits are generous guards. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "socket-helpers.h"
#include "util.h"

TestSuite(limits, .init = sock_setup, .fini = sock_teardown, .timeout = 90);

/* ---- peers as other users ---- */

/* In a forked child: a connection to the daemon, or -1. No criterion here. */
static int child_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	util_strlcpy(sa.sun_path, sock_d.sock, sizeof(sa.sun_path));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* In a forked child: become uid (and gid uid) with these supplementary groups. */
static void child_become(uid_t uid, const gid_t *groups, size_t n)
{
	if (setgroups(n, groups) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(100);
}

/* In a forked child: send line on fd, read one reply line into buf. */
static bool child_ask(int fd, const char *line, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;

	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line))
		return false;
	while (len < size - 1 && poll(&p, 1, 10000) == 1) {
		ssize_t n = read(fd, buf + len, 1);

		if (n <= 0)
			break;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return len > 0;
}

/* Run request line as uid with these groups on one connection; the reply's
 * error code ("(none)" for ok) into code. */
static void ask_as(uid_t uid, const gid_t *groups, size_t n, const char *line, char *code,
		   size_t size)
{
	int p[2], status;
	pid_t pid;
	ssize_t got;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		char reply[4096];
		json_object *rep;
		int fd;

		close(p[0]);
		child_become(uid, groups, n);
		fd = child_connect();
		if (fd < 0 || !child_ask(fd, line, reply, sizeof(reply)))
			_exit(101);
		rep = json_tokener_parse(reply);
		if (!rep)
			_exit(102);
		dprintf(p[1], "%s", sock_reply_code(rep));
		_exit(0);
	}
	close(p[1]);
	got = read(p[0], code, size - 1);
	close(p[0]);
	code[got > 0 ? got : 0] = '\0';
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}

/* ==== who a peer is ==== */

#define RELOAD "{\"v\":1,\"id\":1,\"cmd\":\"reload\"}\n"

/* SO_PEERGROUPS fails with ERANGE when the peer has more groups than the
 * buffer holds; the daemon must ask again with the size the kernel says,
 * not take the member for an outsider. */
Test(limits, an_admin_group_member_with_300_groups_may_change)
{
	enum { N = 300 };
	const struct group *g = sock_spare_group();
	gid_t groups[N];
	char name[64], code[64];

	if (geteuid() != 0)
		cr_skip_test("needs root to give a peer 300 groups");
	if (!g)
		cr_skip_test("no spare group for --admin-group");
	util_strlcpy(name, g->gr_name, sizeof(name));
	for (int i = 0; i < N; i++)
		groups[i] = 200000 + (gid_t)i;
	groups[N - 1] = g->gr_gid; /* the kernel sorts them: its place is no matter */
	sock_start_open(name, NULL);

	ask_as(65534, groups, N, RELOAD, code, sizeof(code));
	cr_assert_str_eq(code, "(none)", "a member with %d groups: %s", N, code);
	/* and without the admin group among the 300, still refused */
	groups[N - 1] = 199999;
	ask_as(65534, groups, N, RELOAD, code, sizeof(code));
	cr_assert_str_eq(code, "permission-denied", "an outsider with %d groups: %s", N, code);
	/* and with only a few groups, as before */
	groups[0] = g->gr_gid;
	ask_as(65534, groups, 3, RELOAD, code, sizeof(code));
	cr_assert_str_eq(code, "(none)", "a member with 3 groups: %s", code);
	sock_assert_daemon_healthy();
}
