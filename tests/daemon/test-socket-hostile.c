/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-socket-hostile.c: the control socket against clients that may not
 * or should not: who may read and who may change (--socket-mode,
 * --admin-group, as nobody), and hostile clients speaking raw JSON lines
 * (oversized, malformed, silent, half-line, too many, a watcher that never
 * reads). The fixture and the real `vfiobind` client are in socket-helpers.c.
 * After each test the daemon must still answer, still be alive, exit 0 on
 * SIGTERM, and its log must carry no sanitizer report. Nothing here touches
 * the real /sys. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakesys.h"
#include "socket-helpers.h"
#include "util.h"
#include "fileio.h"

TestSuite(socket, .init = sock_setup, .fini = sock_teardown, .timeout = 60);

/* ---- the daemon's memory ---- */

static long vm_rss_kib(pid_t pid)
{
	char path[64], *text = NULL, *p;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (fileio_read_file(path, 1 << 16, &text, NULL) < 0)
		return -1;
	if ((p = strstr(text, "VmRSS:")))
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
}

/* ==== 4. who may do what ==== */

static void expect_denied(const char *const *prefix, const char *cmd, const char *arg)
{
	char *out, *err;
	int rc = sock_vb_as(prefix, &out, &err, cmd, arg, NULL);

	cr_assert_eq(rc, 1, "%s as nobody: exit %d, %s%s", cmd, rc, out, err);
	cr_assert(strstr(err, "permission-denied"), "%s as nobody: %s", cmd, err);
	free(out);
	free(err);
}

static void expect_reads_allowed(const char *const *prefix)
{
	char *out, *err;
	int rc = sock_vb_as(prefix, &out, &err, "status", NULL);

	cr_assert_eq(rc, 0, "status as nobody: exit %d, %s%s", rc, out, err);
	free(out);
	free(err);
}

Test(socket, nobody_may_read_but_not_change)
{
	const char *prefix[6];
	char groups[32], *conf;

	if (!sock_as_nobody(prefix, groups, NULL))
		cr_skip_test("needs root and setpriv or runuser");
	sock_start_open(NULL, NULL);
	expect_reads_allowed(prefix);
	expect_denied(prefix, "add", NIC1);
	expect_denied(prefix, "remove", NIC0);
	expect_denied(prefix, "reload", NULL);
	expect_denied(prefix, "reconcile", NULL);
	conf = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(conf, "DEFAULT " NIC0 "\n");
	free(conf);
	sock_assert_driver(NIC1, "e1000e");
	sock_assert_daemon_healthy();
}

Test(socket, the_admin_group_may_change_others_may_not)
{
	const char *plain[6], *member[6];
	char groups[32], gid[16];
	const struct group *g = sock_spare_group();
	char name[64];

	if (!g)
		cr_skip_test("no spare group for --admin-group");
	util_strlcpy(name, g->gr_name, sizeof(name));
	snprintf(gid, sizeof(gid), "%u", (unsigned)g->gr_gid);
	if (!sock_as_nobody(plain, groups, NULL) || !sock_as_nobody(member, groups, gid))
		cr_skip_test("needs root and setpriv with --groups");
	sock_start_open(name, NULL);
	expect_reads_allowed(plain);
	expect_denied(plain, "reload", NULL);
	expect_denied(plain, "add", NIC1);
	/* with the admin group as a supplementary group (SO_PEERGROUPS) */
	cr_assert_eq(sock_vb_as(member, NULL, NULL, "reload", NULL), 0);
	cr_assert_eq(sock_vb_as(member, NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

/* ==== 5. hostile clients ==== */

/* A request line of exactly len bytes (without '\n') that parses but has an
 * unknown field. */
static char *padded_line(size_t len)
{
	static const char head[] = "{\"v\":1,\"id\":9,\"cmd\":\"ping\",\"pad\":\"";
	char *s = malloc(len + 2);

	cr_assert_not_null(s);
	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'x', len - (sizeof(head) - 1) - 2);
	memcpy(s + len - 2, "\"}\n", 4);
	cr_assert_eq(strlen(s), len + 1);
	return s;
}

Test(socket, a_line_of_64_kib_is_read_and_one_byte_more_is_too_large_and_closed)
{
	char *line;
	int fd;
	json_object *rep, *id;

	sock_start("");
	fd = sock_raw_connect();
	/* exactly the limit: parsed (so refused for its unknown field), kept */
	line = padded_line(65536);
	sock_expect_error(fd, line, "bad-request");
	free(line);
	sock_expect_pong(fd);
	/* one byte over: too-large, id null, then closed */
	line = padded_line(65537);
	sock_raw_puts(fd, line);
	free(line);
	rep = sock_raw_reply(fd, 5000);
	cr_assert_str_eq(sock_reply_code(rep), "too-large", "%s",
			 rep ? json_object_to_json_string(rep) : "no reply");
	cr_assert(json_object_object_get_ex(rep, "id", &id) && id == NULL, "id not null");
	json_object_put(rep);
	cr_assert(sock_raw_closed(fd, 5000), "connection not closed after too-large");
	close(fd);

	/* a flood with no newline at all gets the same */
	fd = sock_raw_connect();
	line = malloc(200000);
	memset(line, '{', 200000);
	sock_raw_send(fd, line, 70000); /* the rest may meet a closed socket */
	free(line);
	rep = sock_raw_reply(fd, 5000);
	cr_assert_str_eq(sock_reply_code(rep), "too-large");
	json_object_put(rep);
	cr_assert(sock_raw_closed(fd, 5000));
	close(fd);
	sock_assert_daemon_healthy();
}

Test(socket, malformed_and_wrong_requests_get_their_code_and_keep_the_connection)
{
	static const struct { const char *line, *code; } cases[] = {
		{ "{\"v\":1,\n", "parse-error" },
		{ "not json at all\n", "parse-error" },
		{ "[1,2,3]\n", "parse-error" },
		{ "{\"v\":1,\"id\":1,\"cmd\":\"ping\"} trailing\n", "parse-error" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		  "parse-error" },
		{ "{\"v\":1,\"id\":2,\"cmd\":5}\n", "bad-request" },
		{ "{\"v\":1,\"id\":[],\"cmd\":\"ping\"}\n", "bad-request" },
		{ "{\"v\":1,\"id\":3}\n", "bad-request" },
		{ "{\"v\":1,\"id\":4,\"cmd\":\"ping\",\"extra\":true}\n", "bad-request" },
		{ "{\"v\":1,\"id\":5,\"cmd\":\"status\",\"args\":{\"bogus\":1}}\n", "bad-request" },
		{ "{\"v\":1,\"id\":6,\"cmd\":\"status\",\"args\":{\"devices\":\"" NIC0 "\"}}\n",
		  "bad-request" },
		{ "{\"v\":1,\"id\":7,\"cmd\":\"status\",\"args\":[]}\n", "bad-request" },
		{ "{\"v\":2,\"id\":8,\"cmd\":\"ping\"}\n", "bad-version" },
		{ "{\"v\":1,\"id\":9,\"cmd\":\"format-disk\"}\n", "unknown-command" },
		{ "{\"v\":1,\"id\":10,\"cmd\":\"status\",\"args\":{\"devices\":[\"../../etc\"]}}\n",
		  "bad-device" },
		{ "{\"v\":1,\"id\":11,\"cmd\":\"devices\",\"args\":{\"selector\":\"../../etc\"}}\n",
		  "bad-device" },
		{ "{\"v\":1,\"id\":12,\"cmd\":\"remove\",\"args\":{\"device\":\"../../etc\"}}\n",
		  "bad-device" },
		{ "{\"v\":1,\"id\":13,\"cmd\":\"add\",\"args\":{\"device\":\"../../etc\"}}\n",
		  "bad-device" },
		{ "{\"v\":1,\"id\":14,\"cmd\":\"status\",\"args\":{\"devices\":[\"0000:09:00.0\"]}}\n",
		  "not-found" },
		{ "{\"v\":1,\"id\":15,\"cmd\":\"plan\",\"args\":{\"config\":\"DEFAULT bogus\\n\"}}\n",
		  "config-invalid" },
	};
	char *conf;
	int fd;

	sock_start("DEFAULT " NIC0 "\n");
	fd = sock_raw_connect();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		sock_expect_error(fd, cases[i].line, cases[i].code);
		sock_expect_pong(fd); /* still the same connection */
	}
	/* a NUL inside a line */
	sock_raw_send(fd, "{\"v\":1,\"id\":1,\0\"cmd\":\"ping\"}\n", 29);
	{
		json_object *rep = sock_raw_reply(fd, 5000);

		cr_assert_str_eq(sock_reply_code(rep), "parse-error");
		json_object_put(rep);
	}
	sock_expect_pong(fd);
	close(fd);
	conf = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(conf, "DEFAULT " NIC0 "\n", "a refused request changed the file");
	free(conf);
	sock_assert_driver(NIC0, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(socket, silent_and_half_line_clients_do_not_block_others)
{
	const char *const extra[] = { "--client-timeout", "2", NULL };
	int silent, half;

	sock_start_with("DEFAULT " NIC0 "\n", extra);
	silent = sock_raw_connect();
	half = sock_raw_connect();
	sock_raw_puts(half, "{\"v\":1,\"id\":1,\"cmd\":\"pi");
	cr_assert_eq(sock_vb(NULL, NULL, "status", NULL), 0, "status blocked by quiet clients");
	/* Not a timing: the quiet clients have not been answered yet, so
	 * status did not wait for their timeouts. */
	cr_assert(!sock_readable(half, 0), "status came only after the half line timed out");
	cr_assert(!sock_readable(silent, 0), "status came only after the silent one timed out");

	/* the half line runs out of time (--client-timeout) and is closed; so
	 * is the client that never began a request */
	sock_expect_timed_out(half, "the half-line client");
	sock_expect_timed_out(silent, "the silent client");
	sock_assert_daemon_healthy();
}

Test(socket, clients_over_the_limit_get_busy_and_are_closed)
{
	/* we are root (or the daemon's uid): an admin peer, who may use the
	 * 8 slots beyond max_clients (64) kept for admins */
	enum { N = 200, MAX = 64 + 8 };
	/* silent as they are, none may time out while we count them */
	const char *const extra[] = { "--client-timeout", "600", NULL };
	int fds[N], busy = 0, quiet = 0, rc;
	char *err = NULL;

	sock_start_with("DEFAULT " NIC0 "\n", extra);
	for (int i = 0; i < N; i++)
		fds[i] = sock_raw_connect();
	for (int i = 0; i < N; i++) {
		json_object *rep;

		/* the daemon answers a refused client at once, a kept one hears
		 * nothing; it accepts in connect order */
		if (!sock_readable(fds[i], i < MAX - 2 ? 0 : i < MAX ? 300 : 5000)) {
			quiet++;
			continue;
		}
		rep = sock_raw_reply(fds[i], 1000);
		cr_assert_str_eq(sock_reply_code(rep), "busy", "client %d: %s", i,
				 rep ? json_object_to_json_string(rep) : "no reply");
		json_object_put(rep);
		cr_assert(sock_raw_closed(fds[i], 5000), "busy client %d not closed", i);
		busy++;
	}
	/* a client that connected just before (the harness's probe) may still count */
	cr_assert_leq(quiet, MAX, "%d clients kept", quiet);
	cr_assert_geq(quiet, MAX - 2, "%d clients kept", quiet);
	cr_assert_eq(busy + quiet, N);
	/* the client binary meets busy too while they are all connected */
	rc = sock_vb(NULL, &err, "status", NULL);
	cr_assert_eq(rc, 1, "status among %d clients: exit %d, %s", N, rc, err);
	cr_assert(strstr(err, "busy"), "%s", err);
	free(err);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	cr_assert(sock_wait_converged(5000), "status does not answer once they left");
	sock_assert_daemon_healthy();
}

Test(socket, a_watcher_that_never_reads_is_dropped_and_memory_stays_bounded)
{
	enum { CHUNK = 250, MAX_CHUNKS = 200 };
	/* each is a config event (and a pass, binds and restores) for the
	 * watcher, which reads nothing; reload of the same bytes is not one */
	static const char req[] =
		"{\"v\":1,\"id\":1,\"cmd\":\"add\",\"args\":{\"line\":\"DEFAULT " NIC2 "\","
		"\"runtime\":true}}\n"
		"{\"v\":1,\"id\":2,\"cmd\":\"remove\",\"args\":{\"device\":\"" NIC2 "\","
		"\"runtime\":true}}\n";
	char *buf = malloc(CHUNK * (sizeof(req) - 1)), asan[512];
	long rss0, rss1;
	int watcher, spam, chunks;
	json_object *rep;

	cr_assert_not_null(buf);
	/* ASan keeps freed memory in quarantine (256 MiB by default): in a
	 * sanitizer build keep that small, so RSS measures the daemon */
	snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=8",
		 getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
		 getenv("ASAN_OPTIONS") ? ":" : "");
	cr_assert_eq(setenv("ASAN_OPTIONS", asan, 1), 0);
	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	watcher = sock_raw_connect();
	sock_raw_puts(watcher, "{\"v\":1,\"id\":\"w\",\"cmd\":\"watch\"}\n");
	rep = sock_raw_reply(watcher, 5000);
	cr_assert(sock_reply_ok(rep), "watch refused");
	json_object_put(rep);
	rss0 = vm_rss_kib(sock_d.pid);
	cr_assert_gt(rss0, 0);

	spam = sock_raw_connect();
	for (int i = 0; i < CHUNK; i++)
		memcpy(buf + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	for (chunks = 0; chunks < MAX_CHUNKS && !harness_log_has(&sock_d, "; dropped"); chunks++) {
		sock_raw_send(spam, buf, CHUNK * (sizeof(req) - 1));
		for (int i = 0; i < 2 * CHUNK; i++) {
			rep = sock_raw_reply(spam, 5000);
			cr_assert(sock_reply_ok(rep), "request %d: %s", chunks * CHUNK * 2 + i,
				  rep ? json_object_to_json_string(rep) : "no reply");
			json_object_put(rep);
		}
	}
	free(buf);
	cr_assert(harness_log_has(&sock_d, "; dropped"), "the watcher was never dropped after %d "
		  "requests", chunks * CHUNK * 2);
	rss1 = vm_rss_kib(sock_d.pid);
	cr_assert_lt(rss1 - rss0, 64 * 1024, "RSS grew from %ld to %ld KiB", rss0, rss1);
	cr_log_info("daemon RSS %ld -> %ld KiB over %d requests", rss0, rss1, chunks * CHUNK * 2);
	/* the watcher finds the end of its stream after what was buffered */
	cr_assert(sock_raw_closed(watcher, 10000), "the dropped watcher was not closed");
	close(watcher);
	sock_expect_pong(spam);
	close(spam);
	cr_assert(sock_wait_converged(5000));
	sock_assert_daemon_healthy();
}

/* A watcher that stops reading and floods the daemon with its own admin
 * requests: an add's config event (sent while the add runs) or its reply
 * takes the watcher's unread output over 1 MiB and drops it. The daemon
 * must not touch the dropped client afterwards (it used to free it inside
 * the event and then finish the request on freed memory), must close it,
 * and must keep serving the others. A long watch id makes every event big,
 * so the drop comes in an event as often as in a reply; a few rounds. */
Test(socket, a_watcher_dropped_by_the_events_of_its_own_request_does_not_hurt_the_daemon)
{
	enum { ROUNDS = 6, PAIRS = 64 };
	char watch[512], id[201], *buf;
	size_t len = 0, cap = PAIRS * 512;
	int other;

	memset(id, 'w', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	snprintf(watch, sizeof(watch), "{\"v\":1,\"id\":\"%s\",\"cmd\":\"watch\"}\n", id);
	buf = malloc(cap);
	cr_assert_not_null(buf);
	for (int i = 0; i < PAIRS; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"{\"v\":1,\"id\":%d,\"cmd\":\"add\",\"args\":{\"line\":"
					"\"DEFAULT " NIC2 "\",\"runtime\":true}}\n"
					"{\"v\":1,\"id\":%d,\"cmd\":\"remove\",\"args\":{\"device\":"
					"\"" NIC2 "\",\"runtime\":true}}\n", 2 * i, 2 * i + 1);
	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	other = sock_raw_connect();
	for (int round = 0; round < ROUNDS; round++) {
		int w = sock_raw_connect(), small = 4096;
		bool gone = false;
		json_object *rep;

		cr_assert_eq(setsockopt(w, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
		sock_raw_puts(w, watch);
		rep = sock_raw_reply(w, 5000);
		cr_assert(sock_reply_ok(rep), "watch refused");
		json_object_put(rep);
		cr_assert_eq(fcntl(w, F_SETFL, O_NONBLOCK), 0);
		/* never read again; send until the daemon hangs up on us */
		for (int waited = 0; !gone && waited < 30000;) {
			size_t off = 0;

			while (off < len) {
				ssize_t n = send(w, buf + off, len - off, MSG_NOSIGNAL);

				if (n > 0) {
					off += (size_t)n;
				} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
					usleep(5000);
					waited += 5;
					if (waited >= 30000)
						break;
				} else {
					gone = true; /* EPIPE, ECONNRESET: dropped */
					break;
				}
			}
		}
		cr_assert(gone, "round %d: the flooding watcher was never dropped", round);
		cr_assert(sock_raw_closed(w, 10000), "round %d: the dropped watcher was not closed", round);
		close(w);
		cr_assert_eq(kill(sock_d.pid, 0), 0, "round %d: the daemon died", round);
		sock_expect_pong(other);
	}
	free(buf);
	cr_assert(harness_log_has(&sock_d, "; dropped"));
	close(other);
	cr_assert(sock_wait_converged(5000));
	sock_assert_daemon_healthy();
}
