/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon-harness.c: see daemon-harness.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon-harness.h"
#include "fakesys.h"
#include "util.h"
#include "fileio.h"

const char *harness_bin(const char *rel)
{
	static char path[4][512];
	static int i;
	const char *dir = getenv("VFIOBIND_BUILDDIR");

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir ? dir : ".", rel);
	return path[i];
}

void harness_init(struct daemon_run *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/vb-daemon-XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	snprintf(d->conf, sizeof(d->conf), "%s/vfiobind.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/vfiobind.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
}

void harness_replace_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	FILE *f;

	cr_assert_lt(snprintf(tmp, sizeof(tmp), "%s.new", path), (int)sizeof(tmp));
	f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rename(tmp, path), 0);
}

void harness_write_conf(struct daemon_run *d, const char *text)
{
	harness_replace_file(d->conf, text);
}

void harness_start(struct daemon_run *d, struct fakesys *fs, const char *const *extra)
{
	harness_start_prog(d, "daemon/vfiobindd", fs, extra);
}

void harness_start_prog(struct daemon_run *d, const char *prog, struct fakesys *fs,
			const char *const *extra)
{
	harness_start_wrapped(d, NULL, prog, fs, extra);
}

void harness_start_wrapped(struct daemon_run *d, const char *const *prefix, const char *prog,
			   struct fakesys *fs, const char *const *extra)
{
	const char *argv[48];
	const char *std[] = {
		harness_bin(prog), "--sysfs-root", fakesys_root(fs), "--config",
		d->conf, "--run-dir", d->dir, "--socket", d->sock, "--udev-source", "none",
		"--log-level", "debug", "--node-name", "worker-0",
	};
	int n = 0;

	for (int i = 0; prefix && prefix[i] && n < 16; i++)
		argv[n++] = prefix[i];
	for (size_t i = 0; i < ARRAY_SIZE(std); i++)
		argv[n++] = std[i];
	for (int i = 0; extra && extra[i] && n < 46; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	harness_spawn(d, argv);
}

void harness_spawn(struct daemon_run *d, const char *const *argv)
{
	d->pid = fork();
	cr_assert_neq(d->pid, -1);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

int harness_run(const char *const *argv, char **out)
{
	return harness_run2(argv, out, NULL);
}

/* Read fd to its end into a malloc'd string. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		len += n > 0 ? (size_t)n : 0;
		if (len + 1 >= cap)
			cr_assert_not_null(buf = realloc(buf, cap *= 2));
	}
	buf[len] = '\0';
	return buf;
}

int harness_run2(const char *const *argv, char **out, char **err)
{
	int p[2], e[2], status;
	char *obuf, *ebuf;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pipe(e), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(e[1], 2);
		close(p[0]);
		close(e[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	close(e[1]);
	/* stderr is small (an error line or two): read stdout first, then it */
	obuf = slurp(p[0]);
	ebuf = slurp(e[0]);
	close(p[0]);
	close(e[0]);
	waitpid(pid, &status, 0);
	if (out)
		*out = obuf;
	else
		free(obuf);
	if (err)
		*err = ebuf;
	else
		free(ebuf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool harness_log_has(struct daemon_run *d, const char *needle)
{
	char *text = NULL;
	bool found;

	if (fileio_read_file(d->log, 64 << 20, &text, NULL) < 0)
		return false;
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

bool harness_wait_log(struct daemon_run *d, const char *needle, int ms)
{
	for (int waited = 0; waited < ms; waited += 10) {
		if (harness_log_has(d, needle))
			return true;
		usleep(10000);
	}
	return harness_log_has(d, needle);
}

bool harness_wait_socket(struct daemon_run *d, int ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	util_strlcpy(sa.sun_path, d->sock, sizeof(sa.sun_path));
	for (int waited = 0; waited < ms; waited += 10) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));

		close(fd);
		if (r == 0)
			return true;
		usleep(10000);
	}
	return false;
}

void harness_stop(struct daemon_run *d)
{
	int status;

	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
}

void harness_cleanup(struct daemon_run *d)
{
	char cmd[128];

	harness_stop(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d->dir);
}

static unsigned long long digest;

static void mix(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		digest = (digest ^ (unsigned char)s[i]) * 1099511628211ULL;
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char buf[4096];
	ssize_t n;

	(void)ftw;
	mix(path, strlen(path));
	if (flag == FTW_SL) {
		n = readlink(path, buf, sizeof(buf));
		if (n > 0)
			mix(buf, (size_t)n);
	} else if (flag == FTW_F && S_ISREG(st->st_mode)) {
		int fd = open(path, O_RDONLY);

		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			mix(buf, (size_t)n);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

unsigned long long harness_tree_digest(const char *root)
{
	digest = 14695981039346656037ULL;
	nftw(root, visit, 32, FTW_PHYS);
	return digest;
}
