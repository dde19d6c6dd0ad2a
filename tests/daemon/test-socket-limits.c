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
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
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

/* ==== how many one user may hold ==== */

/* A forked child, as uid with no groups, holding the connections it got
 * until released. */
struct holder {
	pid_t pid;
	int ready, hold;	/* its report; closing hold releases it */
	int kept;		/* connections the daemon kept (not told busy) */
};

/* Connect n times as uid; cap is how many the daemon should keep (the
 * last two of those are given time to be told busy, as refused ones are
 * at once, in connect order). */
static void hold_start(struct holder *h, uid_t uid, int n, int cap)
{
	int ready[2], hold[2];
	char c;

	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(hold), 0);
	h->pid = fork();
	cr_assert_neq(h->pid, -1);
	if (h->pid == 0) {
		int kept = 0;

		close(ready[0]);
		close(hold[1]);
		child_become(uid, NULL, 0);
		for (int i = 0; i < n; i++) {
			int fd = child_connect();
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (fd < 0)
				_exit(3);
			if (poll(&p, 1, i < cap - 2 ? 0 : 300) == 1)
				close(fd); /* told busy, and closed */
			else
				kept++;
		}
		c = (char)kept;
		if (write(ready[1], &c, 1) != 1)
			_exit(4);
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	h->ready = ready[0];
	h->hold = hold[1];
	cr_assert_eq(read(h->ready, &c, 1), 1, "the child of uid %u failed", (unsigned)uid);
	h->kept = c;
}

/* Release holders in the reverse order of their start: a later one holds
 * a copy of every earlier one's hold pipe. */
static void hold_release(struct holder *h)
{
	int status;

	close(h->hold);
	cr_assert_eq(waitpid(h->pid, &status, 0), h->pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	close(h->ready);
}

static void expect_root_answered(void)
{
	char *out = NULL, *err = NULL;
	int rc = sock_vb(&out, &err, "ping", NULL);

	cr_assert_eq(rc, 0, "root locked out: exit %d: %s%s", rc, out, err);
	free(out);
	free(err);
}

/* Silent as they are, no holder may time out while the test counts. */
static const char *const patient[] = { "--client-timeout", "600", NULL };

/* One user took all 56 non-admin slots with silent connections; now it
 * gets 8, and another user and root still get in. */
Test(limits, one_user_holding_its_connections_cannot_starve_another_user_or_root)
{
	struct holder hog, other;

	if (geteuid() != 0)
		cr_skip_test("needs root to connect as other users");
	sock_start_open(NULL, patient);
	hold_start(&hog, 65534, 64, 8);
	cr_assert_eq(hog.kept, 8, "one user kept %d connections", hog.kept);
	hold_start(&other, 65533, 8, 8);
	cr_assert_eq(other.kept, 8, "another user kept %d connections beside the first's %d",
		     other.kept, hog.kept);
	expect_root_answered();
	hold_release(&other);
	hold_release(&hog);
	sock_assert_daemon_healthy();
}

/* 64 silent connections of one user used to fill every slot; now 7 users
 * with 8 each fill the 56 that are not kept for admin peers: an eighth user
 * meets busy, root still gets in. */
Test(limits, silent_clients_of_many_users_cannot_lock_root_out)
{
	enum { USERS = 7, EACH = 8, OTHERS_MAX = 64 - 8 };
	struct holder h[USERS], late;
	int kept = 0;

	if (geteuid() != 0)
		cr_skip_test("needs root to connect as other users");
	sock_start_open(NULL, patient);
	for (int i = 0; i < USERS; i++) {
		hold_start(&h[i], 65534 - (uid_t)i, EACH, EACH);
		kept += h[i].kept;
	}
	/* a client that connected just before (the harness's probe) may still count */
	cr_assert_leq(kept, OTHERS_MAX, "%d silent non-admin clients kept", kept);
	cr_assert_geq(kept, OTHERS_MAX - 1, "%d silent non-admin clients kept", kept);
	hold_start(&late, 65534 - USERS, 1, 1);
	cr_assert_eq(late.kept, 0, "an eighth user got in among %d", kept);
	expect_root_answered();
	hold_release(&late);
	for (int i = USERS - 1; i >= 0; i--)
		hold_release(&h[i]);
	sock_assert_daemon_healthy();
}

/* ==== how long a connection may stay silent ==== */

Test(limits, a_silent_connection_is_closed_but_one_that_asked_is_never_timed_out)
{
	const char *const extra[] = { "--client-timeout", "1", NULL };
	int silent, blank, watcher, asker;
	json_object *rep, *ev;

	sock_start_with("DEFAULT " NIC0 "\n", extra);
	sock_assert_driver(NIC0, "vfio-pci");
	silent = sock_raw_connect();
	blank = sock_raw_connect();
	sock_raw_puts(blank, "\n\r\n"); /* blank lines are not a request */
	watcher = sock_raw_connect();
	sock_raw_puts(watcher, "{\"v\":1,\"id\":\"w\",\"cmd\":\"watch\"}\n");
	rep = sock_raw_reply(watcher, 5000);
	cr_assert(sock_reply_ok(rep), "watch refused");
	json_object_put(rep);
	asker = sock_raw_connect();
	sock_expect_pong(asker);

	sock_expect_timed_out(silent, "the silent client");
	sock_expect_timed_out(blank, "the client of blank lines");
	/* A guard, not a timing: three times the timeout, and the two that
	 * asked have been sent nothing, are not closed, and still work. */
	cr_assert_not(sock_readable(watcher, 3000), "the watcher was sent something");
	cr_assert_not(sock_readable(asker, 0), "the client that asked was sent something");
	sock_expect_pong(asker);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	rep = sock_raw_reply(watcher, 10000);
	cr_assert(rep && json_object_object_get_ex(rep, "event", &ev), "no event for the watcher: %s",
		  rep ? json_object_to_json_string(rep) : "closed");
	json_object_put(rep);
	close(watcher);
	close(asker);
	sock_assert_daemon_healthy();
}

/* ==== what a flood writes to the log ==== */

/* How many times needle is in the daemon's log; UINT_MAX when the log is
 * past 64 MiB (a flood, whatever it holds). */
static unsigned log_count(const char *needle)
{
	char *text = NULL;
	unsigned n = 0;
	int r = fileio_read_file(sock_d.log, 64 << 20, &text, NULL);

	if (r == -EFBIG)
		return UINT_MAX;
	cr_assert_geq(r, 0, "read %s: %s", sock_d.log, strerror(-r));
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(text);
	return n;
}

/* Each refusal used to log a line: 117,461 lines in 5 s. Now one line per
 * cause every 5 s. */
Test(limits, a_flood_of_refused_connections_logs_a_bounded_number_of_lines)
{
	enum { MAX = 64 + 8, FLOOD = 2000 };
	int fds[MAX], kept = 0;
	unsigned lines;

	sock_start_with("DEFAULT " NIC0 "\n", patient);
	/* we are root or the daemon's uid: an admin peer, let in up to 72 */
	for (int i = 0; i < MAX; i++) {
		fds[i] = sock_raw_connect();
		kept += !sock_readable(fds[i], i < MAX - 2 ? 0 : 300);
	}
	cr_assert_geq(kept, MAX - 1);
	for (int i = 0; i < FLOOD; i++) {
		int fd = sock_raw_connect();
		json_object *rep = sock_raw_reply(fd, 5000);

		cr_assert_str_eq(sock_reply_code(rep), "busy", "connection %d: %s", i,
				 rep ? json_object_to_json_string(rep) : "no reply");
		json_object_put(rep);
		close(fd);
	}
	lines = log_count("refusing");
	cr_log_info("%d refusals, %u log lines", FLOOD, lines);
	cr_assert_geq(lines, 1, "no refusal logged at all");
	cr_assert_leq(lines, 10, "%u lines for %d refusals", lines, FLOOD);
	for (int i = 0; i < MAX; i++)
		close(fds[i]);
	sock_assert_daemon_healthy();
}

/* ==== at the file-descriptor limit ==== */

static int open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	cr_assert_not_null(d, "%s: %m", path);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* accept() failing with EMFILE used to be retried at once, forever:
 * 168,297 lines in 1.5 s at 100 % CPU. Now listening pauses (100 ms,
 * doubling to 1 s) and every failed accept is a log line we can count;
 * the clients the daemon has are served all the while, and the waiting
 * ones are let in once a descriptor is free. */
Test(limits, accept_at_the_file_limit_pauses_and_serves_again_once_a_client_leaves)
{
	enum { ROOM = 4, WAITING = 3 };
	int kept[ROOM], waiting[WAITING];
	struct rlimit old, low;
	unsigned failures;

	sock_start_with("DEFAULT " NIC0 "\n", patient);
	sock_assert_driver(NIC0, "vfio-pci");
	/* room for ROOM more descriptors: ROOM clients */
	cr_assert_eq(prlimit(sock_d.pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit: %m");
	low = old;
	low.rlim_cur = (rlim_t)open_fds(sock_d.pid) + ROOM;
	cr_assert_eq(prlimit(sock_d.pid, RLIMIT_NOFILE, &low, NULL), 0, "prlimit: %m");
	for (int i = 0; i < ROOM; i++) {
		kept[i] = sock_raw_connect();
		sock_expect_pong(kept[i]);
	}
	/* these wait in the backlog, their ping sent */
	for (int i = 0; i < WAITING; i++) {
		waiting[i] = sock_raw_connect();
		sock_raw_puts(waiting[i], "{\"v\":1,\"id\":\"p\",\"cmd\":\"ping\"}\n");
	}
	cr_assert(harness_wait_log(&sock_d, "Too many open files", 10000),
		  "the daemon never met its file limit");
	/* A guard, not a timing: a second in which a spinning daemon fails
	 * hundreds of thousands of accepts, a pausing one a handful. */
	usleep(1000 * 1000);
	failures = log_count("accept: Too many open files");
	cr_log_info("%u failed accepts logged", failures);
	cr_assert_leq(failures, 40, "%u failed accepts logged", failures);
	for (int i = 0; i < ROOM; i++)
		sock_expect_pong(kept[i]); /* served all the while */
	/* one leaves: a waiting one gets in, and its ping is answered */
	close(kept[0]);
	{
		json_object *rep = sock_raw_reply(waiting[0], 10000);

		cr_assert(sock_reply_ok(rep), "a waiting client was not let in: %s",
			  rep ? json_object_to_json_string(rep) : "no reply");
		json_object_put(rep);
	}
	for (int i = 1; i < ROOM; i++)
		close(kept[i]);
	for (int i = 1; i < WAITING; i++) {
		json_object *rep = sock_raw_reply(waiting[i], 10000);

		cr_assert(sock_reply_ok(rep), "waiting client %d was not let in", i);
		json_object_put(rep);
	}
	for (int i = 0; i < WAITING; i++)
		close(waiting[i]);
	cr_assert_eq(prlimit(sock_d.pid, RLIMIT_NOFILE, &old, NULL), 0, "prlimit: %m");
	sock_assert_daemon_healthy();
}
