/* SPDX-License-Identifier: GPL-2.0-or-later */
/* socket-helpers.c: see socket-helpers.h. The daemon is
 * tests/daemon/vfiobindd-fake (daemon/main.c and every library, only the
 * kernel faked by tests/lib/fakesys) on a fake sysfs tree. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
