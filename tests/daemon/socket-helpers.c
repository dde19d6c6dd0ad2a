/* SPDX-License-Identifier: GPL-2.0-or-later */
/* socket-helpers.c: see socket-helpers.h. The daemon is
 * tests/daemon/vfiobindd-fake (daemon/main.c and every library, only the
 * kernel faked by tests/lib/fakesys) on a fake sysfs tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-harness.h"
#include "fakesys.h"
#include "socket-helpers.h"
#include "util.h"
#include "fileio.h"

#define FAKE_DAEMON "tests/daemon/vfiobindd-fake"

struct fakesys *sock_fs;
struct daemon_run sock_d;

void sock_setup(void)
{
	struct fakesys_dev dev;

	sock_fs = fakesys_new();
	cr_assert_not_null(sock_fs);
	cr_assert_eq(fakesys_add_driver(sock_fs, "e1000e"), 0);
	/* vfio-pci is a module the daemon loads through the fake loader */
	cr_assert_eq(fakesys_add_module(sock_fs, "vfio-pci", "vfio_pci"), 0);
	fakesys_dev_init(&dev, NIC0, "e1000e", 1);
	dev.ifname = "eth0";
	cr_assert_eq(fakesys_add_device(sock_fs, &dev), 0);
	fakesys_dev_init(&dev, NIC1, "e1000e", 2);
	dev.ifname = "eth1";
	cr_assert_eq(fakesys_add_device(sock_fs, &dev), 0);
	fakesys_dev_init(&dev, NIC2, "e1000e", 3);
	cr_assert_eq(fakesys_add_device(sock_fs, &dev), 0);
	harness_init(&sock_d);
}

void sock_teardown(void)
{
	harness_cleanup(&sock_d);
	fakesys_free(sock_fs);
}

/* ---- the daemon ---- */

void sock_start_with(const char *conf, const char *const *extra)
{
	if (conf)
		harness_write_conf(&sock_d, conf);
	harness_start_prog(&sock_d, FAKE_DAEMON, sock_fs, extra);
	cr_assert(harness_wait_socket(&sock_d, 10000), "the fake daemon never listened");
	cr_assert(harness_wait_log(&sock_d, "first pass done: ready", 10000), "never ready");
}

void sock_start(const char *conf)
{
	sock_start_with(conf, NULL);
}

/* ---- the client binary ---- */

/* Run `[prefix...] vfiobind --socket S ARGS...` (args NULL-terminated). */
static int vb_v(const char *const *prefix, char **out, char **err, va_list ap)
{
	const char *argv[48];
	const char *a;
	int n = 0;

	for (int i = 0; prefix && prefix[i]; i++)
		argv[n++] = prefix[i];
	argv[n++] = harness_bin("client/vfiobind");
	argv[n++] = "--socket";
	argv[n++] = sock_d.sock;
	argv[n++] = "--timeout";
	argv[n++] = "20";
	while ((a = va_arg(ap, const char *)) && n < 47)
		argv[n++] = a;
	argv[n] = NULL;
	return harness_run2(argv, out, err);
}

int sock_vb(char **out, char **err, ...)
{
	va_list ap;
	int r;

	va_start(ap, err);
	r = vb_v(NULL, out, err, ap);
	va_end(ap);
	return r;
}

int sock_vb_as(const char *const *prefix, char **out, char **err, ...)
{
	va_list ap;
	int r;

	va_start(ap, err);
	r = vb_v(prefix, out, err, ap);
	va_end(ap);
	return r;
}

/* `vfiobind ... --json` whose result must parse; exit status in *rc. */
json_object *sock_vb_json(int *rc, const char *cmd, const char *arg)
{
	char *out, *err;
	json_object *j;

	*rc = arg ? sock_vb(&out, &err, cmd, "--json", arg, NULL) : sock_vb(&out, &err, cmd, "--json", NULL);
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "vfiobind %s --json: not JSON: %s (stderr: %s)", cmd, out, err);
	free(out);
	free(err);
	return j;
}

static bool wait_driver(const char *bdf, const char *want, int ms)
{
	for (int waited = 0;; waited += 10) {
		char *cur = fakesys_driver(sock_fs, bdf);
		bool ok = want ? cur && strcmp(cur, want) == 0 : !cur;

		free(cur);
		if (ok)
			return true;
		if (waited >= ms)
			return false;
		usleep(10000);
	}
}

void sock_assert_driver(const char *bdf, const char *want)
{
	char *cur;

	if (wait_driver(bdf, want, 5000))
		return;
	cur = fakesys_driver(sock_fs, bdf);
	cr_assert_fail("%s is on %s, not %s", bdf, cur ? cur : "(none)", want ? want : "(none)");
}

/* `vfiobind status` until it exits 0 (everything converged). */
bool sock_wait_converged(int ms)
{
	for (int waited = 0;; waited += 20) {
		if (sock_vb(NULL, NULL, "status", NULL) == 0)
			return true;
		if (waited >= ms)
			return false;
		usleep(20000);
	}
}

char *sock_read_text(const char *path, size_t *len)
{
	char *text = NULL;

	cr_assert_geq(fileio_read_file(path, 1 << 20, &text, len), 0, "read %s", path);
	return text;
}

/* ---- raw protocol ---- */

int sock_raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	util_strlcpy(sa.sun_path, sock_d.sock, sizeof(sa.sun_path));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
	return fd;
}

void sock_raw_send(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_gt(n, 0, "send: %m");
		buf += n;
		len -= (size_t)n;
	}
}

void sock_raw_puts(int fd, const char *line)
{
	sock_raw_send(fd, line, strlen(line));
}

/* Wait for fd to become readable; false on timeout. */
bool sock_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* One reply line (parsed), or NULL at end of stream or after ms. */
json_object *sock_raw_reply(int fd, int ms)
{
	char line[1 << 17];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		ssize_t n;

		if (!sock_readable(fd, ms))
			return NULL;
		n = read(fd, line + len, 1);
		if (n <= 0)
			return NULL;
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
	return json_tokener_parse(line);
}

/* The stream ends (EOF, or ECONNRESET as a Unix socket closed with our
 * unread bytes in it reports) within ms; lines before it are skipped. */
bool sock_raw_closed(int fd, int ms)
{
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (!sock_readable(fd, ms))
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

const char *sock_reply_code(json_object *rep)
{
	json_object *e, *c;

	if (!rep || !json_object_object_get_ex(rep, "error", &e) ||
	    !json_object_object_get_ex(e, "code", &c))
		return "(none)";
	return json_object_get_string(c);
}

bool sock_reply_ok(json_object *rep)
{
	json_object *ok;

	return rep && json_object_object_get_ex(rep, "ok", &ok) && json_object_get_boolean(ok);
}

/* Send line, expect an error reply with this code; the connection stays. */
void sock_expect_error(int fd, const char *line, const char *code)
{
	json_object *rep;

	sock_raw_puts(fd, line);
	rep = sock_raw_reply(fd, 5000);
	cr_assert_not_null(rep, "no reply to %.80s", line);
	cr_assert_str_eq(sock_reply_code(rep), code, "%.80s -> %s", line,
			 json_object_to_json_string(rep));
	json_object_put(rep);
}

void sock_expect_pong(int fd)
{
	json_object *rep;

	sock_raw_puts(fd, "{\"v\":1,\"id\":\"p\",\"cmd\":\"ping\"}\n");
	rep = sock_raw_reply(fd, 5000);
	cr_assert(sock_reply_ok(rep), "ping: %s", rep ? json_object_to_json_string(rep) : "no reply");
	json_object_put(rep);
}

void sock_expect_timed_out(int fd, const char *what)
{
	json_object *rep = sock_raw_reply(fd, 20000);

	cr_assert_str_eq(sock_reply_code(rep), "timeout", "%s: %s", what,
			 rep ? json_object_to_json_string(rep) : "no reply");
	json_object_put(rep);
	cr_assert(sock_raw_closed(fd, 5000), "%s: not closed after its timeout", what);
	close(fd);
}

/* ---- who connects ---- */

/* setpriv (util-linux) as nobody, with extra supplementary groups or none. */
bool sock_as_nobody(const char **prefix, char *groups_opt, const char *gid)
{
	const char *const setprivs[] = { "/usr/bin/setpriv", "/bin/setpriv" };

	if (geteuid() != 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(setprivs); i++) {
		if (access(setprivs[i], X_OK) != 0)
			continue;
		prefix[0] = setprivs[i];
		prefix[1] = "--reuid=" NOBODY;
		prefix[2] = "--regid=" NOBODY;
		if (gid) {
			snprintf(groups_opt, 32, "--groups=%s", gid);
			prefix[3] = groups_opt;
		} else {
			prefix[3] = "--clear-groups";
		}
		prefix[4] = NULL;
		return true;
	}
	if (gid || access("/usr/sbin/runuser", X_OK) != 0)
		return false;
	prefix[0] = "/usr/sbin/runuser";
	prefix[1] = "-u";
	prefix[2] = "nobody";
	prefix[3] = "--";
	prefix[4] = NULL;
	return true;
}

void sock_start_open(const char *admin_group, const char *const *more)
{
	const char *extra[16] = { "--socket-mode", "0666" };
	int n = 2;

	if (admin_group) {
		extra[n++] = "--admin-group";
		extra[n++] = admin_group;
	}
	for (int i = 0; more && more[i] && n < 15; i++)
		extra[n++] = more[i];

	/* nobody must reach the socket inside the (0700) temp dir */
	cr_assert_eq(chmod(sock_d.dir, 0755), 0);
	sock_start_with("DEFAULT " NIC0 "\n", extra);
	sock_assert_driver(NIC0, "vfio-pci");
}

/* A group nobody is not in (by default), to be the admin group. */
const struct group *sock_spare_group(void)
{
	const char *const names[] = { "adm", "sys", "daemon", "bin" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct group *g = getgrnam(names[i]);

		if (g && g->gr_gid != 65534 && g->gr_gid != 0)
			return g;
	}
	return NULL;
}

/* ---- after every test ---- */

/* Still serving, still alive; then a clean exit and a clean log. */
void sock_assert_daemon_healthy(void)
{
	char *out = NULL;
	int rc, status;

	cr_assert_eq(kill(sock_d.pid, 0), 0, "the daemon died");
	cr_assert_eq(sock_vb(NULL, NULL, "ping", NULL), 0, "ping unanswered");
	rc = sock_vb(&out, NULL, "status", NULL);
	cr_assert(rc == 0 || rc == 1, "status unanswered (exit %d): %s", rc, out);
	free(out);
	kill(sock_d.pid, SIGTERM);
	cr_assert_eq(waitpid(sock_d.pid, &status, 0), sock_d.pid);
	sock_d.pid = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status %#x", status);
	cr_assert_not(harness_log_has(&sock_d, "AddressSanitizer"), "ASan report in %s", sock_d.log);
	cr_assert_not(harness_log_has(&sock_d, "LeakSanitizer"), "LSan report in %s", sock_d.log);
	cr_assert_not(harness_log_has(&sock_d, "runtime error"), "UBSan report in %s", sock_d.log);
	cr_assert_not(harness_log_has(&sock_d, "ThreadSanitizer"), "TSan report in %s", sock_d.log);
}
