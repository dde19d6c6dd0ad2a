/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-daemon.c: the real vfiobindd on a fake sysfs tree of N functions,
 * in --dry-run (it plans every bind and writes nothing):
 *   - start-up: time from exec until the first pass is done (config read,
 *     N functions scanned, every bind planned and logged);
 *   - RSS after start-up;
 *   - idle: context switches of all its threads over IDLE seconds with
 *     nothing changing ("idle means idle": expect 0; the resync timer is
 *     300 s);
 *   - a config edit: time until the daemon has planned again (log line).
 * Usage: bench-daemon [N] [IDLE_SECONDS]. Never touches the real /sys. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakesys.h"
#include "util.h"
#include "fileio.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool answers(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	util_strlcpy(sa.sun_path, sock, sizeof(sa.sun_path));
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Sum of voluntary + involuntary context switches over every thread. */
static long ctxt_switches(pid_t pid)
{
	char path[320], line[256];
	long total = 0;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			long v;

			if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
				total += v;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return total;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static bool log_has(const char *log, const char *needle)
{
	char *text = NULL;
	bool r;

	if (fileio_read_file(log, 256u << 20, &text, NULL) < 0)
		return false;
	r = strstr(text, needle) != NULL;
	free(text);
	return r;
}

static void write_conf(const char *path, const char *text)
{
	char tmp[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 4096;
	int idle_s = argc > 2 ? atoi(argv[2]) : 10;
	const char *builddir = getenv("VFIOBIND_BUILDDIR");
	char dir[] = "/tmp/vb-bench-XXXXXX", conf[64], sock[64], logf[64], bin[512];
	struct fakesys *fs = fakesys_new();
	double t0, t_ready, t_edit;
	long cs0, cs1;
	pid_t pid;
	int status;

	if (!fs || !mkdtemp(dir) || fakesys_populate(fs, n, "e1000e") < 0) {
		fprintf(stderr, "bench-daemon: cannot build the fake tree\n");
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", dir);
	snprintf(sock, sizeof(sock), "%s/vfiobind.sock", dir);
	snprintf(logf, sizeof(logf), "%s/daemon.log", dir);
	snprintf(bin, sizeof(bin), "%s/daemon/vfiobindd", builddir ? builddir : ".");
	write_conf(conf, "DEFAULT id=8086:10d3\n");

	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execl(bin, bin, "--dry-run", "--sysfs-root", fakesys_root(fs), "--config", conf,
		      "--run-dir", dir, "--socket", sock, "--udev-source", "none", "--log-level",
		      "info", (char *)NULL);
		_exit(127);
	}
	while (!answers(sock) || !log_has(logf, "first pass done")) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "bench-daemon: %s exited; see %s\n", bin, logf);
			return 1;
		}
		usleep(1000);
	}
	t_ready = now_ms() - t0;

	sleep(1); /* let start-up finish logging */
	cs0 = ctxt_switches(pid);
	sleep((unsigned)idle_s);
	cs1 = ctxt_switches(pid);

	t0 = now_ms();
	write_conf(conf, "DEFAULT id=8086:10d3\nDEFAULT 0000:00:00.0 driver=e1000e\n");
	while (!log_has(logf, "loaded 2 entries"))
		usleep(200);
	t_edit = now_ms() - t0;

	printf("functions          %u\n", n);
	printf("start-up           %.1f ms (exec to first pass done: scan + plan of all)\n", t_ready);
	printf("RSS after start-up %ld KiB\n", rss_kb(pid));
	printf("idle wakeups       %ld context switches in %d s\n", cs1 - cs0, idle_s);
	printf("config edit seen   %.1f ms (inotify -> reload)\n", t_edit);

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	fakesys_free(fs);
	snprintf(bin, sizeof(bin), "rm -rf '%s'", dir);
	return system(bin) == 0 ? 0 : 1;
}
