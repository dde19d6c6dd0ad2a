/* test-socket.c: the control socket end to end. The real `vfiobind` client
 * talks to the real daemon, tests/daemon/vfiobindd-fake (daemon/main.c and
 * every library, only the kernel faked by tests/lib/fakesys), on a fake sysfs
 * tree, so binds really happen and the test reads their outcome in the tree.
 * Hostile clients speak raw JSON lines. After each test the daemon must still
 * answer, still be alive, exit 0 on SIGTERM, and its log must carry no
 * sanitizer report. Nothing here touches the real /sys. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
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
#include "util.h"

#define NIC0 "0000:00:02.0"	/* e1000e, eth0, group 1 */
#define NIC1 "0000:00:03.0"	/* e1000e, eth1, group 2 */
#define NIC2 "0000:00:04.0"	/* e1000e, group 3 */
#define FAKE_DAEMON "tests/daemon/vfiobindd-fake"
#define NOBODY "65534"

static struct fakesys *fs;
static struct daemon_run d;

static void setup(void)
{
	struct fakesys_dev dev;

	fs = fakesys_new();
	cr_assert_not_null(fs);
	cr_assert_eq(fakesys_add_driver(fs, "e1000e"), 0);
	/* vfio-pci is a module the daemon loads through the fake loader */
	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", "vfio_pci"), 0);
	fakesys_dev_init(&dev, NIC0, "e1000e", 1);
	dev.ifname = "eth0";
	cr_assert_eq(fakesys_add_device(fs, &dev), 0);
	fakesys_dev_init(&dev, NIC1, "e1000e", 2);
	dev.ifname = "eth1";
	cr_assert_eq(fakesys_add_device(fs, &dev), 0);
	fakesys_dev_init(&dev, NIC2, "e1000e", 3);
	cr_assert_eq(fakesys_add_device(fs, &dev), 0);
	harness_init(&d);
}

static void teardown(void)
{
	harness_cleanup(&d);
	fakesys_free(fs);
}

TestSuite(socket, .init = setup, .fini = teardown, .timeout = 60);

/* ---- the daemon ---- */

static void start_with(const char *conf, const char *const *extra)
{
	if (conf)
		harness_write_conf(&d, conf);
	harness_start_prog(&d, FAKE_DAEMON, fs, extra);
	cr_assert(harness_wait_socket(&d, 10000), "the fake daemon never listened");
	cr_assert(harness_wait_log(&d, "first pass done: ready", 10000), "never ready");
}

static void start(const char *conf)
{
	start_with(conf, NULL);
}

static long vm_rss_kib(pid_t pid)
{
	char path[64], *text = NULL, *p;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (util_read_file(path, 1 << 16, &text, NULL) < 0)
		return -1;
	if ((p = strstr(text, "VmRSS:")))
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
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
	argv[n++] = d.sock;
	argv[n++] = "--timeout";
	argv[n++] = "20";
	while ((a = va_arg(ap, const char *)) && n < 47)
		argv[n++] = a;
	argv[n] = NULL;
	return harness_run2(argv, out, err);
}

static int vb(char **out, char **err, ...)
{
	va_list ap;
	int r;

	va_start(ap, err);
	r = vb_v(NULL, out, err, ap);
	va_end(ap);
	return r;
}

static int vb_as(const char *const *prefix, char **out, char **err, ...)
{
	va_list ap;
	int r;

	va_start(ap, err);
	r = vb_v(prefix, out, err, ap);
	va_end(ap);
	return r;
}

/* `vfiobind ... --json` whose result must parse; exit status in *rc. */
static json_object *vb_json(int *rc, const char *cmd, const char *arg)
{
	char *out, *err;
	json_object *j;

	*rc = arg ? vb(&out, &err, cmd, "--json", arg, NULL) : vb(&out, &err, cmd, "--json", NULL);
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "vfiobind %s --json: not JSON: %s (stderr: %s)", cmd, out, err);
	free(out);
	free(err);
	return j;
}

static bool wait_driver(const char *bdf, const char *want, int ms)
{
	for (int waited = 0;; waited += 10) {
		char *cur = fakesys_driver(fs, bdf);
		bool ok = want ? cur && strcmp(cur, want) == 0 : !cur;

		free(cur);
		if (ok)
			return true;
		if (waited >= ms)
			return false;
		usleep(10000);
	}
}

static void assert_driver(const char *bdf, const char *want)
{
	char *cur;

	if (wait_driver(bdf, want, 5000))
		return;
	cur = fakesys_driver(fs, bdf);
	cr_assert_fail("%s is on %s, not %s", bdf, cur ? cur : "(none)", want ? want : "(none)");
}

/* `vfiobind status` until it exits 0 (everything converged). */
static bool wait_converged(int ms)
{
	for (int waited = 0;; waited += 20) {
		if (vb(NULL, NULL, "status", NULL) == 0)
			return true;
		if (waited >= ms)
			return false;
		usleep(20000);
	}
}

static char *read_text(const char *path, size_t *len)
{
	char *text = NULL;

	cr_assert_geq(util_read_file(path, 1 << 20, &text, len), 0, "read %s", path);
	return text;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* ---- raw protocol ---- */

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	util_strlcpy(sa.sun_path, d.sock, sizeof(sa.sun_path));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %m");
	return fd;
}

static void raw_send(int fd, const char *buf, size_t len)
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

static void raw_puts(int fd, const char *line)
{
	raw_send(fd, line, strlen(line));
}

/* Wait for fd to become readable; false on timeout. */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* One reply line (parsed), or NULL at end of stream or after ms. */
static json_object *raw_reply(int fd, int ms)
{
	char line[1 << 17];
	size_t len = 0;

	while (len < sizeof(line) - 1) {
		ssize_t n;

		if (!readable(fd, ms))
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
static bool raw_closed(int fd, int ms)
{
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (!readable(fd, ms))
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0)
			return false;
	}
}

static const char *reply_code(json_object *rep)
{
	json_object *e, *c;

	if (!rep || !json_object_object_get_ex(rep, "error", &e) ||
	    !json_object_object_get_ex(e, "code", &c))
		return "(none)";
	return json_object_get_string(c);
}

static bool reply_ok(json_object *rep)
{
	json_object *ok;

	return rep && json_object_object_get_ex(rep, "ok", &ok) && json_object_get_boolean(ok);
}

/* Send line, expect an error reply with this code; the connection stays. */
static void expect_error(int fd, const char *line, const char *code)
{
	json_object *rep;

	raw_puts(fd, line);
	rep = raw_reply(fd, 5000);
	cr_assert_not_null(rep, "no reply to %.80s", line);
	cr_assert_str_eq(reply_code(rep), code, "%.80s -> %s", line,
			 json_object_to_json_string(rep));
	json_object_put(rep);
}

static void expect_pong(int fd)
{
	json_object *rep;

	raw_puts(fd, "{\"v\":1,\"id\":\"p\",\"cmd\":\"ping\"}\n");
	rep = raw_reply(fd, 5000);
	cr_assert(reply_ok(rep), "ping: %s", rep ? json_object_to_json_string(rep) : "no reply");
	json_object_put(rep);
}

/* ---- after every test ---- */

/* Still serving, still alive; then a clean exit and a clean log. */
static void assert_daemon_healthy(void)
{
	char *out = NULL;
	int rc, status;

	cr_assert_eq(kill(d.pid, 0), 0, "the daemon died");
	cr_assert_eq(vb(NULL, NULL, "ping", NULL), 0, "ping unanswered");
	rc = vb(&out, NULL, "status", NULL);
	cr_assert(rc == 0 || rc == 1, "status unanswered (exit %d): %s", rc, out);
	free(out);
	kill(d.pid, SIGTERM);
	cr_assert_eq(waitpid(d.pid, &status, 0), d.pid);
	d.pid = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "daemon exit status %#x", status);
	cr_assert_not(harness_log_has(&d, "AddressSanitizer"), "ASan report in %s", d.log);
	cr_assert_not(harness_log_has(&d, "LeakSanitizer"), "LSan report in %s", d.log);
	cr_assert_not(harness_log_has(&d, "runtime error"), "UBSan report in %s", d.log);
}

/* ==== 1. every client command against the daemon on the fake kernel ==== */

Test(socket, status_is_converged_once_the_daemon_binds_a_default_line)
{
	json_object *j, *devs, *e, *v;
	int rc;

	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	cr_assert(wait_converged(5000), "status never converged");
	j = vb_json(&rc, "status", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 1);
	e = json_object_array_get_idx(devs, 0);
	cr_assert(json_object_object_get_ex(e, "device", &v));
	cr_assert_str_eq(json_object_get_string(v), NIC0);
	cr_assert(json_object_object_get_ex(e, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "converged");
	cr_assert(json_object_object_get_ex(e, "original_driver", &v));
	cr_assert_str_eq(json_object_get_string(v), "e1000e");
	json_object_put(j);
	assert_driver(NIC1, "e1000e");
	assert_daemon_healthy();
}

static json_object *find_dev(json_object *devs, const char *bdf)
{
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *e = json_object_array_get_idx(devs, i), *v;

		if (json_object_object_get_ex(e, "device", &v) &&
		    strcmp(json_object_get_string(v), bdf) == 0)
			return e;
	}
	return NULL;
}

Test(socket, devices_lists_every_function_its_driver_and_group)
{
	static const struct { const char *bdf, *driver; int group; } want[] = {
		{ NIC0, "vfio-pci", 1 }, { NIC1, "e1000e", 2 }, { NIC2, "e1000e", 3 },
	};
	json_object *j, *devs, *v;
	int rc;

	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	j = vb_json(&rc, "devices", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 3);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		json_object *e = find_dev(devs, want[i].bdf);

		cr_assert_not_null(e, "%s not listed", want[i].bdf);
		cr_assert(json_object_object_get_ex(e, "driver", &v));
		cr_assert_str_eq(json_object_get_string(v), want[i].driver);
		cr_assert(json_object_object_get_ex(e, "iommu_group", &v));
		cr_assert_eq(json_object_get_int(v), want[i].group);
	}
	cr_assert(json_object_object_get_ex(find_dev(devs, NIC0), "claimed", &v));
	cr_assert(strstr(json_object_get_string(v), "vfiobind.conf:1"), "%s",
		  json_object_get_string(v));
	json_object_put(j);

	/* a selector lists only what it selects */
	j = vb_json(&rc, "devices", "ifname=eth1");
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 1);
	cr_assert_not_null(find_dev(devs, NIC1));
	json_object_put(j);
	assert_daemon_healthy();
}

Test(socket, config_shows_its_source_and_each_entry_with_file_and_line)
{
	json_object *j, *v, *entries;
	char want[256];
	int rc;

	start("# two lines\nDEFAULT " NIC0 "\nworker-9 " NIC1 "\n");
	j = vb_json(&rc, "config", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "source", &v));
	cr_assert_str_eq(json_object_get_string(v), d.conf);
	cr_assert(json_object_object_get_ex(j, "entries", &entries));
	cr_assert_eq(json_object_array_length(entries), 2);
	for (int i = 0; i < 2; i++) {
		json_object *e = json_object_array_get_idx(entries, (size_t)i);

		cr_assert(json_object_object_get_ex(e, "line", &v));
		cr_assert_eq(json_object_get_int(v), i + 2);
		cr_assert(json_object_object_get_ex(e, "where", &v));
		snprintf(want, sizeof(want), "%s:%d", d.conf, i + 2);
		cr_assert_str_eq(json_object_get_string(v), want);
	}
	json_object_put(j);
	assert_daemon_healthy();
}

Test(socket, add_writes_the_line_to_the_file_and_the_device_ends_on_vfio_pci)
{
	char *out, *err, *text;
	int rc;

	start("# mine\n");
	rc = vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 0, "add: %s%s", out, err);
	cr_assert(strstr(out, "added: "), "%s", out);
	free(out);
	free(err);
	text = read_text(d.conf, NULL);
	cr_assert(strncmp(text, "# mine\nDEFAULT " NIC1, 22) == 0, "file now: %s", text);
	free(text);
	assert_driver(NIC1, "vfio-pci");
	cr_assert(wait_converged(5000));
	assert_daemon_healthy();
}

Test(socket, remove_puts_the_device_back_on_its_original_driver)
{
	char *out;
	int rc;

	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	rc = vb(&out, NULL, "remove", NIC0, NULL);
	cr_assert_eq(rc, 0, "%s", out);
	free(out);
	assert_driver(NIC0, "e1000e");
	cr_assert(wait_converged(5000));
	out = read_text(d.conf, NULL);
	cr_assert_str_eq(out, "");
	free(out);
	/* nothing claims it any more: not in status */
	cr_assert_eq(vb(NULL, NULL, "status", NIC0, NULL), 1);
	assert_daemon_healthy();
}

Test(socket, runtime_add_and_remove_leave_the_file_untouched)
{
	static const char conf[] = "# keep me\nDEFAULT " NIC0 "\n";
	json_object *j, *v;
	char *text;
	int rc;

	start(conf);
	assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(vb(NULL, NULL, "add", "--runtime", NIC2, NULL), 0);
	assert_driver(NIC2, "vfio-pci");
	cr_assert(wait_converged(5000));
	j = vb_json(&rc, "config", NULL);
	cr_assert(json_object_object_get_ex(j, "runtime_modified", &v));
	cr_assert(json_object_get_boolean(v), "config does not say runtime_modified");
	json_object_put(j);
	j = vb_json(&rc, "status", NULL);
	cr_assert(json_object_object_get_ex(j, "devices", &v));
	cr_assert_not_null(find_dev(v, NIC2), "status does not list the runtime line's device");
	json_object_put(j);
	text = read_text(d.conf, NULL);
	cr_assert_str_eq(text, conf, "runtime add touched the file");
	free(text);

	cr_assert_eq(vb(NULL, NULL, "remove", "--runtime", NIC0, NULL), 0);
	assert_driver(NIC0, "e1000e");
	assert_driver(NIC2, "vfio-pci");
	text = read_text(d.conf, NULL);
	cr_assert_str_eq(text, conf, "runtime remove touched the file");
	free(text);
	cr_assert(wait_converged(5000));
	assert_daemon_healthy();
}

Test(socket, reload_reads_the_file_again)
{
	json_object *j, *v;
	int rc;

	start("");
	/* written in place behind the daemon's back; reload answers with it */
	write_text(d.conf, "DEFAULT " NIC2 "\nDEFAULT " NIC1 "\n");
	j = vb_json(&rc, "reload", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "entries", &v));
	cr_assert_eq(json_object_get_int(v), 2);
	json_object_put(j);
	assert_driver(NIC2, "vfio-pci");
	assert_driver(NIC1, "vfio-pci");
	/* an invalid file is refused with file:line, the last good one stays */
	write_text(d.conf, "DEFAULT " NIC2 "\nDEFAULT bogus\n");
	{
		char *out, *err;

		cr_assert_eq(vb(&out, &err, "reload", NULL), 1);
		cr_assert(strstr(err, "config-invalid"), "%s", err);
		cr_assert(strstr(err, "vfiobind.conf:2"), "%s", err);
		free(out);
		free(err);
	}
	assert_driver(NIC1, "vfio-pci");
	assert_daemon_healthy();
}

Test(socket, reconcile_undoes_a_hand_rebind)
{
	char *out, *err;
	int rc;

	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	cr_assert(wait_converged(5000));
	/* a person rebinds it (no udev here: only a pass can see it) */
	cr_assert_eq(fakesys_set_driver(fs, NIC0, "e1000e"), 0);
	rc = vb(&out, &err, "reconcile", NULL);
	cr_assert_eq(rc, 0, "reconcile: %s%s", out, err);
	free(out);
	free(err);
	assert_driver(NIC0, "vfio-pci");
	cr_assert(wait_converged(5000));
	assert_daemon_healthy();
}

Test(socket, plan_of_a_proposed_file_lists_actions_and_changes_nothing)
{
	char proposed[160], *out, *err, *before, *after;
	unsigned long long digest;
	int rc;

	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	cr_assert(wait_converged(5000));
	snprintf(proposed, sizeof(proposed), "%s/proposed.conf", d.dir);
	write_text(proposed, "DEFAULT " NIC1 "\nDEFAULT " NIC2 "\n");
	before = read_text(d.conf, NULL);
	digest = harness_tree_digest(fakesys_root(fs));
	rc = vb(&out, &err, "plan", "--json", proposed, NULL);
	cr_assert_eq(rc, 0, "plan: %s%s", out, err);
	cr_assert(strstr(out, "\"proposed\":true"), "%s", out);
	cr_assert(strstr(out, "\"kind\":\"bind\""), "%s", out);
	cr_assert(strstr(out, NIC1) && strstr(out, NIC2), "%s", out);
	cr_assert(strstr(out, "\"kind\":\"restore\""), "NIC0 would go back: %s", out);
	free(out);
	free(err);
	after = read_text(d.conf, NULL);
	cr_assert_str_eq(after, before);
	cr_assert_eq(harness_tree_digest(fakesys_root(fs)), digest, "plan changed the tree");
	free(before);
	free(after);
	assert_driver(NIC1, "e1000e");
	assert_daemon_healthy();
}

Test(socket, plan_of_an_invalid_file_names_the_file_and_line)
{
	char proposed[160], want[200], *out, *err;

	start("");
	snprintf(proposed, sizeof(proposed), "%s/proposed.conf", d.dir);
	write_text(proposed, "DEFAULT " NIC1 "\nDEFAULT 03:00:1\n");
	cr_assert_eq(vb(&out, &err, "plan", proposed, NULL), 1);
	snprintf(want, sizeof(want), "%s:2: ", proposed);
	cr_assert(strstr(err, want), "%s", err);
	free(out);
	free(err);
	assert_daemon_healthy();
}

Test(socket, watch_streams_an_event_after_an_add)
{
	char outpath[160], needle[64];
	const char *argv[] = { harness_bin("client/vfiobind"), "--socket", d.sock, "watch", "--json",
			       NULL };
	bool seen = false;
	pid_t pid;

	start("");
	snprintf(outpath, sizeof(outpath), "%s/watch.out", d.dir);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* subscribed once the daemon has logged the watch request */
	snprintf(needle, sizeof(needle), "client pid %d uid 0: watch", (int)pid);
	cr_assert(harness_wait_log(&d, needle, 5000), "watch never subscribed");
	cr_assert_eq(vb(NULL, NULL, "add", NIC2, NULL), 0);
	for (int waited = 0; waited < 5000 && !seen; waited += 10) {
		char *text = NULL;

		if (util_read_file(outpath, 1 << 20, &text, NULL) >= 0)
			seen = strstr(text, "\"kind\":\"action\"") && strstr(text, NIC2);
		free(text);
		if (!seen)
			usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	cr_assert(seen, "no action event for %s in the watch stream", NIC2);
	assert_daemon_healthy();
}

Test(socket, version_reports_the_protocol_node_and_sysfs_root)
{
	json_object *j, *v;
	int rc;

	start("");
	j = vb_json(&rc, "version", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "protocol", &v));
	cr_assert_eq(json_object_get_int(v), 1);
	cr_assert(json_object_object_get_ex(j, "node", &v));
	cr_assert_str_eq(json_object_get_string(v), "worker-0");
	cr_assert(json_object_object_get_ex(j, "sysfs_root", &v));
	cr_assert_str_eq(json_object_get_string(v), fakesys_root(fs));
	json_object_put(j);
	assert_daemon_healthy();
}

Test(socket, ping_answers_pong)
{
	json_object *j, *v;
	int rc;

	start("");
	j = vb_json(&rc, "ping", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "pong", &v) && json_object_get_boolean(v));
	json_object_put(j);
	assert_daemon_healthy();
}

Test(socket, a_fault_armed_by_the_test_reaches_the_daemons_kernel)
{
	char *out = NULL;

	start("");
	/* the daemon attached to this tree's fake kernel: what we arm now, it meets */
	fakesys_fault(fs, FAKESYS_FAULT_BIND, NIC1, -EBUSY, -1);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_TARGET, NIC1, -EBUSY, -1);
	cr_assert_eq(vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	cr_assert_eq(vb(NULL, NULL, "reconcile", NULL), 1, "reconcile converged through a fault");
	cr_assert_eq(vb(&out, NULL, "status", "--json", NULL), 1);
	cr_assert(strstr(out, "\"last_error\":{"), "no last_error: %s", out);
	free(out);
	assert_driver(NIC1, "e1000e");
	fakesys_clear_faults(fs);
	/* An operator's reconcile retries at once, without waiting out the
	 * backoff, and answers once that bind has finished. */
	cr_assert_eq(vb(NULL, NULL, "reconcile", NULL), 0, "reconcile did not retry at once");
	assert_driver(NIC1, "vfio-pci");
	assert_daemon_healthy();
}

/* ==== 2. edits keep the rest of the file byte for byte ==== */

/* add, then remove, of NIC0 on a file; returns the canonical line added. */
static void add_remove_roundtrip(const char *conf, const char *after_add_prefix,
				 const char *eol, const char *after_remove)
{
	json_object *j, *v;
	char *text, want[1024];
	int rc;

	start(conf);
	j = vb_json(&rc, "add", NIC0);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "added", &v));
	snprintf(want, sizeof(want), "%s%s%s", after_add_prefix, json_object_get_string(v), eol);
	json_object_put(j);
	text = read_text(d.conf, NULL);
	cr_assert_str_eq(text, want, "after add");
	free(text);
	assert_driver(NIC0, "vfio-pci");

	cr_assert_eq(vb(NULL, NULL, "remove", NIC0, NULL), 0);
	text = read_text(d.conf, NULL);
	cr_assert_str_eq(text, after_remove, "after remove");
	free(text);
	assert_driver(NIC0, "e1000e");
	assert_daemon_healthy();
}

#define ODD_FILE \
	"# vfiobind.conf, edited by hand\r\n" \
	"   DEFAULT \t " NIC1 "   driver=vfio-pci   # spaced out\r\n" \
	"\r\n" \
	"worker-9\t" NIC2 "\r\n" \
	"#\tlast, \xc3\xa9t\xc3\xa9 \r\n"

Test(socket, add_and_remove_keep_comments_spacing_and_crlf_byte_for_byte)
{
	add_remove_roundtrip(ODD_FILE, ODD_FILE, "\r\n", ODD_FILE);
}

Test(socket, add_to_a_file_without_a_final_newline_keeps_every_other_byte)
{
	/* the last line gets its line end (the file's: LF), nothing else moves */
	add_remove_roundtrip("# c\n  DEFAULT   " NIC1 "  # x\n# no newline",
			     "# c\n  DEFAULT   " NIC1 "  # x\n# no newline\n", "\n",
			     "# c\n  DEFAULT   " NIC1 "  # x\n# no newline\n");
}

/* ==== 3. a ConfigMap is read-only: add says so and points at --runtime ==== */

Test(socket, add_on_a_configmap_is_config_readonly_with_a_runtime_hint)
{
	char data[160], ts[160], link[160], real[200], *out, *err, *before, *after;
	int rc;

	/* what the kubelet makes: NAME -> ..data/NAME, ..data -> ..TIMESTAMP */
	snprintf(ts, sizeof(ts), "%s/cm/..2026_11_25_08_00_00.1", d.dir);
	snprintf(data, sizeof(data), "%s/cm/..data", d.dir);
	snprintf(link, sizeof(link), "%s/cm/vfiobind.conf", d.dir);
	snprintf(real, sizeof(real), "%s/vfiobind.conf", ts);
	snprintf(d.conf, sizeof(d.conf), "%s/cm", d.dir);
	cr_assert_eq(mkdir(d.conf, 0755), 0);
	cr_assert_eq(mkdir(ts, 0755), 0);
	write_text(real, "DEFAULT " NIC0 "\n");
	cr_assert_eq(symlink("..2026_11_25_08_00_00.1", data), 0);
	cr_assert_eq(symlink("..data/vfiobind.conf", link), 0);
	util_strlcpy(d.conf, link, sizeof(d.conf));
	start(NULL);
	assert_driver(NIC0, "vfio-pci");
	before = read_text(real, NULL);

	rc = vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 1, "add on a ConfigMap: exit %d %s%s", rc, out, err);
	cr_assert(strstr(err, "config-readonly"), "%s", err);
	cr_assert(strstr(err, "runtime"), "no hint about --runtime: %s", err);
	free(out);
	free(err);
	rc = vb(&out, &err, "remove", NIC0, NULL);
	cr_assert_eq(rc, 1);
	cr_assert(strstr(err, "config-readonly"), "%s", err);
	free(out);
	free(err);
	after = read_text(real, NULL);
	cr_assert_str_eq(after, before, "the ConfigMap file changed");
	free(before);
	free(after);
	cr_assert_eq(vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0, "--runtime works there");
	assert_driver(NIC1, "vfio-pci");
	assert_daemon_healthy();
}

/* ==== 4. who may do what ==== */

/* setpriv (util-linux) as nobody, with extra supplementary groups or none. */
static bool as_nobody(const char **prefix, char *groups_opt, const char *gid)
{
	static const char *const setprivs[] = { "/usr/bin/setpriv", "/bin/setpriv" };

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

static void start_open_socket(const char *admin_group)
{
	const char *extra[] = { "--socket-mode", "0666", admin_group ? "--admin-group" : NULL,
				admin_group, NULL };

	/* nobody must reach the socket inside the (0700) temp dir */
	cr_assert_eq(chmod(d.dir, 0755), 0);
	start_with("DEFAULT " NIC0 "\n", extra);
	assert_driver(NIC0, "vfio-pci");
}

static void expect_denied(const char *const *prefix, const char *cmd, const char *arg)
{
	char *out, *err;
	int rc = vb_as(prefix, &out, &err, cmd, arg, NULL);

	cr_assert_eq(rc, 1, "%s as nobody: exit %d, %s%s", cmd, rc, out, err);
	cr_assert(strstr(err, "permission-denied"), "%s as nobody: %s", cmd, err);
	free(out);
	free(err);
}

static void expect_reads_allowed(const char *const *prefix)
{
	char *out, *err;
	int rc = vb_as(prefix, &out, &err, "status", NULL);

	cr_assert_eq(rc, 0, "status as nobody: exit %d, %s%s", rc, out, err);
	free(out);
	free(err);
}

Test(socket, nobody_may_read_but_not_change)
{
	const char *prefix[6];
	char groups[32], *conf;

	if (!as_nobody(prefix, groups, NULL))
		cr_skip_test("needs root and setpriv or runuser");
	start_open_socket(NULL);
	expect_reads_allowed(prefix);
	expect_denied(prefix, "add", NIC1);
	expect_denied(prefix, "remove", NIC0);
	expect_denied(prefix, "reload", NULL);
	expect_denied(prefix, "reconcile", NULL);
	conf = read_text(d.conf, NULL);
	cr_assert_str_eq(conf, "DEFAULT " NIC0 "\n");
	free(conf);
	assert_driver(NIC1, "e1000e");
	assert_daemon_healthy();
}

/* A group nobody is not in (by default), to be the admin group. */
static const struct group *admin_group(void)
{
	static const char *const names[] = { "adm", "sys", "daemon", "bin" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct group *g = getgrnam(names[i]);

		if (g && g->gr_gid != 65534 && g->gr_gid != 0)
			return g;
	}
	return NULL;
}

Test(socket, the_admin_group_may_change_others_may_not)
{
	const char *plain[6], *member[6];
	char groups[32], gid[16];
	const struct group *g = admin_group();
	char name[64];

	if (!g)
		cr_skip_test("no spare group for --admin-group");
	util_strlcpy(name, g->gr_name, sizeof(name));
	snprintf(gid, sizeof(gid), "%u", (unsigned)g->gr_gid);
	if (!as_nobody(plain, groups, NULL) || !as_nobody(member, groups, gid))
		cr_skip_test("needs root and setpriv with --groups");
	start_open_socket(name);
	expect_reads_allowed(plain);
	expect_denied(plain, "reload", NULL);
	expect_denied(plain, "add", NIC1);
	/* with the admin group as a supplementary group (SO_PEERGROUPS) */
	cr_assert_eq(vb_as(member, NULL, NULL, "reload", NULL), 0);
	cr_assert_eq(vb_as(member, NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	assert_driver(NIC1, "vfio-pci");
	assert_daemon_healthy();
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

	start("");
	fd = raw_connect();
	/* exactly the limit: parsed (so refused for its unknown field), kept */
	line = padded_line(65536);
	expect_error(fd, line, "bad-request");
	free(line);
	expect_pong(fd);
	/* one byte over: too-large, id null, then closed */
	line = padded_line(65537);
	raw_puts(fd, line);
	free(line);
	rep = raw_reply(fd, 5000);
	cr_assert_str_eq(reply_code(rep), "too-large", "%s",
			 rep ? json_object_to_json_string(rep) : "no reply");
	cr_assert(json_object_object_get_ex(rep, "id", &id) && id == NULL, "id not null");
	json_object_put(rep);
	cr_assert(raw_closed(fd, 5000), "connection not closed after too-large");
	close(fd);

	/* a flood with no newline at all gets the same */
	fd = raw_connect();
	line = malloc(200000);
	memset(line, '{', 200000);
	raw_send(fd, line, 70000); /* the rest may meet a closed socket */
	free(line);
	rep = raw_reply(fd, 5000);
	cr_assert_str_eq(reply_code(rep), "too-large");
	json_object_put(rep);
	cr_assert(raw_closed(fd, 5000));
	close(fd);
	assert_daemon_healthy();
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

	start("DEFAULT " NIC0 "\n");
	fd = raw_connect();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		expect_error(fd, cases[i].line, cases[i].code);
		expect_pong(fd); /* still the same connection */
	}
	/* a NUL inside a line */
	raw_send(fd, "{\"v\":1,\"id\":1,\0\"cmd\":\"ping\"}\n", 29);
	{
		json_object *rep = raw_reply(fd, 5000);

		cr_assert_str_eq(reply_code(rep), "parse-error");
		json_object_put(rep);
	}
	expect_pong(fd);
	close(fd);
	conf = read_text(d.conf, NULL);
	cr_assert_str_eq(conf, "DEFAULT " NIC0 "\n", "a refused request changed the file");
	free(conf);
	assert_driver(NIC0, "vfio-pci");
	assert_daemon_healthy();
}

Test(socket, silent_and_half_line_clients_do_not_block_others)
{
	int silent, half;
	json_object *rep;

	start("DEFAULT " NIC0 "\n");
	silent = raw_connect();
	half = raw_connect();
	raw_puts(half, "{\"v\":1,\"id\":1,\"cmd\":\"pi");
	cr_assert_eq(vb(NULL, NULL, "status", NULL), 0, "status blocked by quiet clients");
	/* Not a timing: the half-line client has not been answered yet, so
	 * status did not wait for its idle timeout. */
	cr_assert(!readable(half, 0), "status came only after the half line timed out");

	/* the half line runs out of time (10 s, SERVER_DEFAULT_IDLE_MS: vfiobindd
	 * has no option for it) and is closed; the silent one is never timed out */
	rep = raw_reply(half, 20000);
	cr_assert_str_eq(reply_code(rep), "timeout", "%s",
			 rep ? json_object_to_json_string(rep) : "no reply");
	json_object_put(rep);
	cr_assert(raw_closed(half, 5000), "half-line client not closed after timeout");
	close(half);
	cr_assert_not(readable(silent, 0), "the silent client was sent something");
	expect_pong(silent);
	close(silent);
	assert_daemon_healthy();
}

Test(socket, clients_over_the_limit_get_busy_and_are_closed)
{
	enum { N = 200, MAX = 64 };
	int fds[N], busy = 0, quiet = 0, rc;
	char *err = NULL;

	start("DEFAULT " NIC0 "\n");
	for (int i = 0; i < N; i++)
		fds[i] = raw_connect();
	for (int i = 0; i < N; i++) {
		json_object *rep;

		/* the daemon answers a refused client at once, a kept one hears
		 * nothing; it accepts in connect order */
		if (!readable(fds[i], i < MAX - 2 ? 0 : i < MAX ? 300 : 5000)) {
			quiet++;
			continue;
		}
		rep = raw_reply(fds[i], 1000);
		cr_assert_str_eq(reply_code(rep), "busy", "client %d: %s", i,
				 rep ? json_object_to_json_string(rep) : "no reply");
		json_object_put(rep);
		cr_assert(raw_closed(fds[i], 5000), "busy client %d not closed", i);
		busy++;
	}
	/* a client that connected just before (the harness's probe) may still count */
	cr_assert_leq(quiet, MAX, "%d clients kept", quiet);
	cr_assert_geq(quiet, MAX - 2, "%d clients kept", quiet);
	cr_assert_eq(busy + quiet, N);
	/* the client binary meets busy too while they are all connected */
	rc = vb(NULL, &err, "status", NULL);
	cr_assert_eq(rc, 1, "status among %d clients: exit %d, %s", N, rc, err);
	cr_assert(strstr(err, "busy"), "%s", err);
	free(err);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	cr_assert(wait_converged(5000), "status does not answer once they left");
	assert_daemon_healthy();
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
	start("DEFAULT " NIC0 "\n");
	assert_driver(NIC0, "vfio-pci");
	watcher = raw_connect();
	raw_puts(watcher, "{\"v\":1,\"id\":\"w\",\"cmd\":\"watch\"}\n");
	rep = raw_reply(watcher, 5000);
	cr_assert(reply_ok(rep), "watch refused");
	json_object_put(rep);
	rss0 = vm_rss_kib(d.pid);
	cr_assert_gt(rss0, 0);

	spam = raw_connect();
	for (int i = 0; i < CHUNK; i++)
		memcpy(buf + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	for (chunks = 0; chunks < MAX_CHUNKS && !harness_log_has(&d, "; dropped"); chunks++) {
		raw_send(spam, buf, CHUNK * (sizeof(req) - 1));
		for (int i = 0; i < 2 * CHUNK; i++) {
			rep = raw_reply(spam, 5000);
			cr_assert(reply_ok(rep), "request %d: %s", chunks * CHUNK * 2 + i,
				  rep ? json_object_to_json_string(rep) : "no reply");
			json_object_put(rep);
		}
	}
	free(buf);
	cr_assert(harness_log_has(&d, "; dropped"), "the watcher was never dropped after %d "
		  "requests", chunks * CHUNK * 2);
	rss1 = vm_rss_kib(d.pid);
	cr_assert_lt(rss1 - rss0, 64 * 1024, "RSS grew from %ld to %ld KiB", rss0, rss1);
	cr_log_info("daemon RSS %ld -> %ld KiB over %d requests", rss0, rss1, chunks * CHUNK * 2);
	/* the watcher finds the end of its stream after what was buffered */
	cr_assert(raw_closed(watcher, 10000), "the dropped watcher was not closed");
	close(watcher);
	expect_pong(spam);
	close(spam);
	cr_assert(wait_converged(5000));
	assert_daemon_healthy();
}
