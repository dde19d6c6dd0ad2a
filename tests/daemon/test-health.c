/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-health.c: what the fleet sees of a node, end to end: the real
 * `vfiobind` client and the fake daemon (tests/daemon/vfiobindd-fake, every
 * library but the kernel) on a fake sysfs tree. The metrics file passes the
 * real `promtool check metrics` and a real prometheus-node-exporter serves
 * its figures; the NFD feature file reads as nfd-master reads it; `status
 * --quiet` says the health in one line and exits by it; `vfiobind wait`
 * returns once devices that converge late have converged, says what it
 * still waits for when its time runs out, and waits for a daemon that is
 * not up yet. Late convergence is a fake driver whose unbind holds
 * (FAKESYS_FAULT_HOLD) until the test lets it go.
 *
 * promtool and prometheus-node-exporter come from Debian's packages
 * (.ci/install-deps); without them those two tests are skipped, unless
 * VFIOBIND_VM_REQUIRED=1 (what .ci/run sets) makes that a failure. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakesys.h"
#include "nfd.h"
#include "nfdread.h"
#include "socket-helpers.h"

TestSuite(health, .init = sock_setup, .fini = sock_teardown, .timeout = 90);

static char textdir[160], prom[200], nfddir[160], nfdfile[200];

/* The daemon with both files asked for, a stuck timeout longer than any
 * test, and conf. */
static void start_exporting(const char *conf)
{
	const char *extra[] = { "--metrics-file", prom, "--nfd-features", nfdfile,
				"--stuck-timeout", "300", NULL };

	snprintf(textdir, sizeof(textdir), "%s/textfile", sock_d.dir);
	snprintf(prom, sizeof(prom), "%s/vfiobind.prom", textdir);
	snprintf(nfddir, sizeof(nfddir), "%s/features.d", sock_d.dir);
	snprintf(nfdfile, sizeof(nfdfile), "%s/vfiobind", nfddir);
	cr_assert_eq(mkdir(textdir, 0755), 0);
	cr_assert_eq(mkdir(nfddir, 0755), 0);
	sock_start_with(conf, extra);
}

/* The file's text once it holds needle (the daemon writes after passes). */
static char *file_with(const char *path, const char *needle)
{
	for (int waited = 0; waited < 10000; waited += 20) {
		char *text = NULL;
		size_t len;
		int fd = open(path, O_RDONLY);

		if (fd >= 0) {
			close(fd);
			text = sock_read_text(path, &len);
			if (strstr(text, needle))
				return text;
			free(text);
		}
		usleep(20000);
	}
	cr_assert_fail("%s never held \"%s\"", path, needle);
	return NULL;
}

/* The only name in dir is want: no temporary file left, none visible. */
static void assert_only_file(const char *dir, const char *want)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			cr_expect_str_eq(e->d_name, want, "a stray file in %s", dir);
	closedir(d);
}

/* A Debian tool, or a skip (a failure when the run must be complete). */
static bool have_tool(const char *path)
{
	const char *req = getenv("VFIOBIND_VM_REQUIRED");

	if (access(path, X_OK) == 0)
		return true;
	cr_assert(!req || strcmp(req, "1") != 0,
		  "%s is missing and VFIOBIND_VM_REQUIRED=1: run .ci/install-deps", path);
	return false;
}

static int run_stdin(const char *const *argv, const char *input_path, char **out, char **err)
{
	int saved = dup(0), fd = open(input_path, O_RDONLY), r;

	cr_assert_geq(fd, 0);
	dup2(fd, 0);
	close(fd);
	r = harness_run2(argv, out, err);
	dup2(saved, 0);
	close(saved);
	return r;
}

/* ---- the metrics file ---- */

/* A port nobody listens on now (the kernel's choice for port 0). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* GET /metrics from 127.0.0.1:port: the body, or NULL when nobody answers. */
static char *http_get_metrics(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1), *body;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	cr_assert_not_null(buf);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			buf = realloc(buf, 2 * cap + 1);
			cr_assert_not_null(buf);
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || !strstr(buf, " 200 ") || !body) {
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

Test(health, the_metrics_file_passes_promtool_and_node_exporter_serves_its_figures)
{
	const char *promtool = "/usr/bin/promtool", *exporter = "/usr/bin/prometheus-node-exporter";
	const char *check[] = { promtool, "check", "metrics", NULL };
	char *text, *out = NULL, *err = NULL, listen[64], dirarg[200], *body = NULL;
	int port, status;
	pid_t pid;

	start_exporting("DEFAULT " NIC0 "\nDEFAULT 0000:00:1f.0\n");
	sock_assert_driver(NIC0, "vfio-pci");
	text = file_with(prom, "vfiobind_devices{state=\"converged\"} 1\n");
	cr_assert(strstr(text, "vfiobind_devices{state=\"absent\"} 1\n"), "%s", text);
	cr_assert(strstr(text, "vfiobind_health{health=\"healthy\"} 1\n"), "%s", text);
	cr_assert(strstr(text, "vfiobind_actions_total{kind=\"bind\",result=\"ok\"} 1\n"), "%s",
		  text);
	cr_assert(strstr(text, "vfiobind_device_info{desired_driver=\"vfio-pci\",device=\"" NIC0
			       "\",driver=\"vfio-pci\"} 1\n"), "%s", text);
	free(text);
	assert_only_file(textdir, "vfiobind.prom");

	if (!have_tool(promtool) || !have_tool(exporter)) {
		sock_assert_daemon_healthy();
		cr_skip_test("promtool or prometheus-node-exporter not installed");
	}
	cr_assert_eq(run_stdin(check, prom, &out, &err), 0, "promtool: %s %s", out, err);
	free(out);
	free(err);

	/* Its own instance on loopback and a free port, only the textfile
	 * collector: nothing of a packaged service on :9100 is touched. */
	port = free_port();
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(dirarg, sizeof(dirarg), "--collector.textfile.directory=%s", textdir);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(exporter, exporter, "--collector.disable-defaults", "--collector.textfile",
		      dirarg, listen, (char *)NULL);
		_exit(127);
	}
	for (int waited = 0; !body && waited < 20000; waited += 50) {
		body = http_get_metrics(port);
		if (!body)
			usleep(50000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	cr_assert_not_null(body, "node_exporter never answered on 127.0.0.1:%d", port);
	cr_assert(strstr(body, "\nvfiobind_devices{state=\"converged\"} 1\n"), "%s", body);
	cr_assert(strstr(body, "\nvfiobind_device_state{device=\"" NIC0 "\",state=\"converged\"} 1\n"),
		  "%s", body);
	cr_assert(strstr(body, "\nvfiobind_config_valid 1\n"), "%s", body);
	cr_assert(strstr(body, "\nnode_textfile_scrape_error 0\n"), "node_exporter refused it: %s",
		  body);
	free(body);
	sock_assert_daemon_healthy();
}

Test(health, vfiobind_metrics_prints_the_figures_of_the_file)
{
	const char *promtool = "/usr/bin/promtool";
	const char *check[] = { promtool, "check", "metrics", NULL };
	char *out = NULL, *err = NULL, *text, path[220];
	FILE *f;

	start_exporting("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	text = file_with(prom, "vfiobind_devices{state=\"converged\"} 1\n");
	free(text);
	cr_assert_eq(sock_vb(&out, &err, "metrics", NULL), 0, "%s", err);
	cr_assert(strstr(out, "vfiobind_devices{state=\"converged\"} 1\n"), "%s", out);
	cr_assert(strstr(out, "# TYPE vfiobind_actions_total counter\n"), "%s", out);
	if (have_tool(promtool)) {
		snprintf(path, sizeof(path), "%s/client.prom", sock_d.dir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(out, f);
		fclose(f);
		free(err);
		err = NULL;
		free(out);
		out = NULL;
		cr_assert_eq(run_stdin(check, path, &out, &err), 0, "promtool: %s %s", out, err);
	}
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(health, a_rejected_config_file_is_config_valid_0_in_the_metrics)
{
	char *text;

	start_exporting("DEFAULT " NIC0 "\n");
	text = file_with(prom, "vfiobind_config_valid 1\n");
	free(text);
	harness_write_conf(&sock_d, "DEFAULT bogus\n");
	cr_assert_eq(sock_vb(NULL, NULL, "reload", NULL), 1, "reload of an invalid file");
	text = file_with(prom, "vfiobind_config_valid 0\n");
	cr_assert(strstr(text, "vfiobind_health{health=\"degraded\"} 1\n"), "%s", text);
	free(text);
	sock_assert_daemon_healthy();
}

Test(health, a_file_name_the_reader_would_skip_is_refused_at_start)
{
	const char *prom_txt[] = { harness_bin("tests/daemon/vfiobindd-fake"), "--metrics-file",
				   "/tmp/vfiobind.txt", NULL };
	const char *nfd_dot[] = { harness_bin("tests/daemon/vfiobindd-fake"), "--nfd-features",
				  "/etc/kubernetes/node-feature-discovery/features.d/.vfiobind", NULL };
	char *err = NULL;

	cr_assert_eq(harness_run2(prom_txt, NULL, &err), 2);
	cr_assert(strstr(err, "node_exporter reads only files named *.prom"), "%s", err);
	free(err);
	cr_assert_eq(harness_run2(nfd_dot, NULL, &err), 2);
	cr_assert(strstr(err, "nfd-worker skips files whose name starts with a dot"), "%s", err);
	free(err);
}

/* ---- the NFD feature file ---- */

Test(health, the_nfd_file_reads_as_nfd_master_reads_it)
{
	char *text;
	long long now = (long long)time(NULL);

	start_exporting("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	text = file_with(nfdfile, NFD_PREFIX "health=healthy\n");
	cr_assert(strstr(text, "\n" NFD_PREFIX "vfio-pci-devices=1\n"), "%s", text);
	cr_assert(strstr(text, "\n" NFD_PREFIX "vfio-pci-8086-10d3=1\n"), "%s", text);
	/* a few resync periods ahead (300 s here): it goes when the daemon does */
	cr_assert_eq(nfdread_check(text, now + 600, now + 3 * 300 + 60), 3);
	free(text);
	assert_only_file(nfddir, "vfiobind");
	sock_assert_daemon_healthy();
}

/* ---- helpers of the client tests: a background vfiobind, the health it sees ---- */

/* `vfiobind --socket S ARGS...` in the background, stdout and stderr into
 * files of the test's directory. */
static pid_t spawn_vb(const char *const *args)
{
	const char *argv[32] = { harness_bin("client/vfiobind"), "--socket", sock_d.sock };
	char path[200];
	int n = 3;
	pid_t pid;

	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		snprintf(path, sizeof(path), "%s/wait.out", sock_d.dir);
		dup2(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
		snprintf(path, sizeof(path), "%s/wait.err", sock_d.dir);
		dup2(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static char *spawned_output(const char *which)
{
	char path[200];
	size_t len;

	snprintf(path, sizeof(path), "%s/wait.%s", sock_d.dir, which);
	return sock_read_text(path, &len);
}

/* `vfiobind status --quiet [DEVICE]` until it prints a line that starts
 * with want. */
static void await_health_of(const char *device, const char *want)
{
	char *out = NULL;

	for (int waited = 0; waited < 10000; waited += 20) {
		free(out);
		out = NULL;
		sock_vb(&out, NULL, "status", "--quiet", device, NULL);
		if (out && strncmp(out, want, strlen(want)) == 0) {
			free(out);
			return;
		}
		usleep(20000);
	}
	cr_assert_fail("the health never became \"%s\": %s", want, out);
}

static void await_health(const char *want)
{
	await_health_of(NULL, want);
}

/* ---- status --quiet ---- */

Test(health, status_quiet_says_the_health_in_one_line_and_exits_by_it)
{
	char *out = NULL;

	start_exporting("DEFAULT " NIC0 "\nDEFAULT 0000:00:1f.0\n");
	sock_assert_driver(NIC0, "vfio-pci");
	await_health("healthy:");
	cr_assert_eq(sock_vb(&out, NULL, "status", "--quiet", NULL), 0, "%s", out);
	cr_assert_str_eq(out, "healthy: 1 converged, 1 absent\n");
	free(out);

	/* a driver slow to let go: the node is progressing meanwhile */
	fakesys_fault(sock_fs, FAKESYS_FAULT_HOLD, NIC2, 0, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC2, NULL), 0);
	await_health("progressing: 1 converged, 1 pending");
	cr_assert_eq(sock_vb(&out, NULL, "status", "-q", NULL), 4, "%s", out);
	cr_assert_str_eq(out, "progressing: 1 converged, 1 pending, 1 absent; waiting for " NIC2
			      " (pending: bind to vfio-pci)\n");
	free(out);
	out = NULL;
	fakesys_clear_faults(sock_fs);
	sock_assert_driver(NIC2, "vfio-pci");

	/* a driver that never lets go: degraded, with the kernel's words */
	fakesys_fault(sock_fs, FAKESYS_FAULT_UNBIND, NIC1, -EBUSY, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	for (int waited = 0; waited < 5000; waited += 20) {
		free(out);
		out = NULL;
		if (sock_vb(&out, NULL, "status", "--quiet", NULL) == 1)
			break;
		usleep(20000);
	}
	static const char degraded[] = "degraded: 2 converged, 1 error, 1 absent; " NIC1 ": error: ";

	cr_assert(strncmp(out, degraded, sizeof(degraded) - 1) == 0, "%s", out);
	cr_assert(strstr(out, "Device or resource busy"), "%s", out);
	free(out);
	/* only the devices asked about (NIC1's retries do not count) */
	await_health_of(NIC0, "healthy: 1 converged\n");
	fakesys_clear_faults(sock_fs);
	sock_assert_daemon_healthy();
}

/* ---- wait ---- */

Test(health, wait_returns_once_a_device_that_converges_late_has_converged)
{
	const char *args[] = { "wait", "--timeout", "60", NIC1, NULL };
	char *out, *err;
	pid_t pid;

	start_exporting("");
	fakesys_fault(sock_fs, FAKESYS_FAULT_HOLD, NIC1, 0, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	await_health("progressing:");
	pid = spawn_vb(args);
	/* the daemon has the request, and the unbind still holds */
	cr_assert(harness_wait_log(&sock_d, ": wait", 10000), "the wait never reached the daemon");
	await_health("progressing:");
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "wait returned while the bind was held");
	fakesys_clear_faults(sock_fs);
	cr_assert_eq(reap(pid), 0);
	sock_assert_driver(NIC1, "vfio-pci");
	out = spawned_output("out");
	cr_assert_str_eq(out, "healthy: 1 converged\n");
	err = spawned_output("err");
	cr_assert_str_eq(err, "");
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(health, wait_says_what_it_still_waits_for_and_exits_4_when_its_time_runs_out)
{
	char *out = NULL, *err = NULL;

	start_exporting("");
	fakesys_fault(sock_fs, FAKESYS_FAULT_HOLD, NIC1, 0, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	await_health("progressing:");
	cr_assert_eq(sock_vb(&out, &err, "wait", "--timeout", "0.5", NULL), 4, "%s %s", out, err);
	cr_assert_str_eq(out, "");
	cr_assert_str_eq(err, "vfiobind: still waiting for " NIC1 " (pending: bind to vfio-pci)\n");
	free(out);
	free(err);
	/* a BDF no line claims: waited for (a config change may claim it) */
	cr_assert_eq(sock_vb(&out, &err, "wait", "--timeout", "0.3", NIC2, NULL), 4);
	cr_assert_str_eq(err, "vfiobind: still waiting for " NIC2 " (no line claims it)\n");
	free(out);
	free(err);
	fakesys_clear_faults(sock_fs);
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(health, wait_started_before_the_daemon_waits_for_it)
{
	const char *args[] = { "wait", "--timeout", "60", NULL };
	char *out, *err = NULL, path[200];
	pid_t pid;

	pid = spawn_vb(args);
	/* the client found no daemon and says it waits for one */
	snprintf(path, sizeof(path), "%s/wait.err", sock_d.dir);
	for (int waited = 0; waited < 10000; waited += 20) {
		err = access(path, R_OK) == 0 ? spawned_output("err") : NULL;
		if (err && strstr(err, "vfiobind: vfiobindd is not up at "))
			break;
		free(err);
		err = NULL;
		usleep(20000);
	}
	cr_assert_not_null(err, "the client never said it waits for the daemon");
	free(err);
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0);
	start_exporting("DEFAULT " NIC0 "\n");
	cr_assert_eq(reap(pid), 0);
	sock_assert_driver(NIC0, "vfio-pci");
	out = spawned_output("out");
	cr_assert_str_eq(out, "healthy: 1 converged\n");
	err = spawned_output("err");
	cr_assert(strstr(err, "vfiobind: vfiobindd is not up at "), "%s", err);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(health, wait_with_no_daemon_at_all_is_exit_3_when_its_time_runs_out)
{
	char *out = NULL, *err = NULL;

	cr_assert_eq(sock_vb(&out, &err, "wait", "--timeout", "0.3", NULL), 3);
	cr_assert(strstr(err, "vfiobind: still waiting for vfiobindd at "), "%s", err);
	free(out);
	free(err);
}

Test(health, wait_for_hardware_this_node_lacks_returns_at_once_and_says_so)
{
	char *out = NULL, *err = NULL;

	start_exporting("DEFAULT " NIC0 "\n");
	cr_assert_eq(sock_vb(&out, &err, "wait", "id=10de:2330", NULL), 0, "%s", err);
	cr_assert_str_eq(out, "healthy: no devices\n");
	cr_assert_str_eq(err,
			 "vfiobind: id=10de:2330: no device matches it here, nothing to wait for\n");
	free(out);
	free(err);
	cr_assert_eq(sock_vb(&out, &err, "wait", "frobnicate", NULL), 2, "usage: %s", err);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}
