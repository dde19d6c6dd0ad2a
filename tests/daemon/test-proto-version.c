/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-proto-version.c: peers of different protocol versions tell each other
 * apart (doc/protocol.md, "The envelope"). The peers are the real programs:
 * tests/daemon/vfiobindd-fake-proto2 and tests/daemon/vfiobind-proto2 are
 * the fake-kernel daemon and the client built with -DPROTO_VERSION=2
 * (Makefile.am), against the ordinary builds of protocol 1. Each way, the
 * client must say exactly which version each side speaks and what to do,
 * and exit 1; the daemon must go on serving its own version. The fixture (a
 * fake tree of three NICs, never the real /sys) is socket-helpers.c's. */
#include <criterion/criterion.h>
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

#include "fakesys.h"
#include "proto.h"
#include "socket-helpers.h"
#include "util.h"

#define DAEMON_V1 "tests/daemon/vfiobindd-fake"
#define DAEMON_V2 "tests/daemon/vfiobindd-fake-proto2"
#define CLIENT_V1 "client/vfiobind"
#define CLIENT_V2 "tests/daemon/vfiobind-proto2"

#define TO_DAEMON_V2 "vfiobind: vfiobindd speaks protocol 2, this vfiobind speaks 1: " \
	"restart vfiobindd or use the vfiobind that came with it\n"
#define TO_DAEMON_V1 "vfiobind: vfiobindd speaks protocol 1, this vfiobind speaks 2: " \
	"restart vfiobindd or use the vfiobind that came with it\n"

TestSuite(proto_version, .init = sock_setup, .fini = sock_teardown, .timeout = 60);

static void start(const char *daemon)
{
	harness_write_conf(&sock_d, "DEFAULT " NIC0 "\n");
	harness_start_prog(&sock_d, daemon, sock_fs, NULL);
	cr_assert(harness_wait_socket(&sock_d, 10000), "%s never listened", daemon);
	cr_assert(harness_wait_log(&sock_d, "first pass done: ready", 10000), "never ready");
}

/* `CLIENT --socket S --timeout 20 cmd`: exit code, stdout and stderr. */
static int run(const char *client, const char *cmd, char **out, char **err)
{
	const char *argv[] = {
		harness_bin(client), "--socket", sock_d.sock, "--timeout", "20", cmd, NULL,
	};

	return harness_run2(argv, out, err);
}

static void expect_mismatch(const char *client, const char *cmd, const char *want)
{
	char *out, *err;
	int rc = run(client, cmd, &out, &err);

	cr_assert_eq(rc, 1, "%s %s: exit %d, want 1 (stderr: %s)", client, cmd, rc, err);
	cr_assert_str_eq(err, want, "%s %s", client, cmd);
	if (strcmp(cmd, "version") != 0)
		cr_assert_str_eq(out, "", "%s %s printed a result", client, cmd);
	free(out);
	free(err);
}

/* A daemon that is its own version still answers after the refusals. */
static void expect_serves(const char *client, int version)
{
	char *out, *err, want[64];
	const char *first;
	int rc = run(client, "version", &out, &err);

	cr_assert_eq(rc, 0, "%s version: exit %d (stderr: %s)", client, rc, err);
	snprintf(want, sizeof(want), "(protocol %d)", version);
	cr_assert(strstr(out, "client: vfiobind "), "%s", out);
	first = strstr(out, want);
	cr_assert(first && strstr(first + 1, want), "both sides speak %d: %s", version, out);
	free(out);
	free(err);
}

/* For the protocol-2 daemon, which socket-helpers.c's protocol-1 health
 * check cannot ask: alive, a clean exit, a clean log. */
static void stop(void)
{
	int status;

	cr_assert_eq(kill(sock_d.pid, 0), 0, "the daemon died");
	kill(sock_d.pid, SIGTERM);
	cr_assert_eq(waitpid(sock_d.pid, &status, 0), sock_d.pid);
	sock_d.pid = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status %#x", status);
	cr_assert_not(harness_log_has(&sock_d, "Sanitizer"), "sanitizer report in %s", sock_d.log);
	cr_assert_not(harness_log_has(&sock_d, "runtime error"), "UBSan report in %s", sock_d.log);
}

/* One request line on a fresh connection, half-closed: the reply, parsed. */
static json_object *raw_request(const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p = { .events = POLLIN };
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	json_object *rep;

	p.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(p.fd, 0);
	util_strlcpy(sa.sun_path, sock_d.sock, sizeof(sa.sun_path));
	cr_assert_eq(connect(p.fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
	cr_assert_eq(send(p.fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	shutdown(p.fd, SHUT_WR);
	while (len < sizeof(buf) - 1 && poll(&p, 1, 10000) == 1 &&
	       (n = read(p.fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p.fd);
	buf[len] = '\0';
	cr_assert(len > 0 && buf[len - 1] == '\n', "no reply line to %s: %s", line, buf);
	rep = json_tokener_parse(buf);
	cr_assert_not_null(rep, "not JSON: %s", buf);
	return rep;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		  json_object_to_json_string(o));
	return v;
}

Test(proto_version, a_protocol_1_client_names_both_versions_to_a_protocol_2_daemon)
{
	start(DAEMON_V2);
	expect_mismatch(CLIENT_V1, "ping", TO_DAEMON_V2);
	expect_mismatch(CLIENT_V1, "status", TO_DAEMON_V2);
	expect_mismatch(CLIENT_V1, "watch", TO_DAEMON_V2);
	expect_serves(CLIENT_V2, 2);
	stop();
}

Test(proto_version, a_protocol_2_client_names_both_versions_to_a_protocol_1_daemon)
{
	start(DAEMON_V1);
	expect_mismatch(CLIENT_V2, "ping", TO_DAEMON_V1);
	expect_mismatch(CLIENT_V2, "status", TO_DAEMON_V1);
	expect_mismatch(CLIENT_V2, "watch", TO_DAEMON_V1);
	expect_serves(CLIENT_V1, 1);
	sock_assert_daemon_healthy();
}

Test(proto_version, version_prints_the_client_line_before_the_mismatch)
{
	char *out, *err;

	start(DAEMON_V1);
	cr_assert_eq(run(CLIENT_V2, "version", &out, &err), 1, "%s", err);
	cr_assert(strncmp(out, "client: vfiobind ", 17) == 0, "%s", out);
	cr_assert(strstr(out, "(protocol 2)\n"), "%s", out);
	cr_assert_null(strstr(out, "daemon:"), "%s", out);
	cr_assert_str_eq(err, TO_DAEMON_V1);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(proto_version, bad_version_says_in_words_and_in_a_field_which_version_the_daemon_speaks)
{
	json_object *rep, *error;

	start(DAEMON_V1);
	/* a newer peer's request: whatever else it holds, the envelope is read */
	rep = raw_request("{\"v\":2,\"id\":\"n\",\"cmd\":\"frobnicate\",\"new\":{}}\n");
	cr_assert_eq(json_object_get_int(field(rep, "v")), 1);
	cr_assert_str_eq(json_object_get_string(field(rep, "id")), "n");
	cr_assert_not(json_object_get_boolean(field(rep, "ok")));
	error = field(rep, "error");
	cr_assert_str_eq(json_object_get_string(field(error, "code")), "bad-version");
	cr_assert_str_eq(json_object_get_string(field(error, "message")),
			 "protocol version 2 not supported: vfiobindd speaks protocol 1");
	cr_assert(json_object_is_type(field(error, "protocol"), json_type_int));
	cr_assert_eq(json_object_get_int(field(error, "protocol")), 1);
	json_object_put(rep);
	sock_assert_daemon_healthy();
}
