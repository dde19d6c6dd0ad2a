/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runprog.c: see runprog.h. The program and whatever it starts share a
 * process group of their own, so that one kill ends them all: a child that
 * outlives it holding the pipe, or a writer that shrugs off EPIPE, can no
 * longer keep us waiting. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "runprog.h"
#include "util.h"

#define RUNPROG_CHUNK (64u << 10)

extern char **environ;

static int start(char *const argv[], int out_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, pipe_default;
	int r;

	sigemptyset(&none);
	sigemptyset(&pipe_default);
	sigaddset(&pipe_default, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	/* Its own group (pgid = its pid); SIGPIPE back to its default even
	 * when we ignore it (ignored signals survive exec); nothing blocked. */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &pipe_default);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	r = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* Read fd to its end into *buf (*len bytes) until deadline: 0 at the end,
 * -EFBIG past max, -ETIMEDOUT, -ENOMEM, -errno. */
static int drain(int fd, size_t max, long long deadline, char **buf, size_t *len)
{
	size_t cap = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - clock_mono_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (*len == cap) {
			/* Room for max + 1 bytes at most: one past max says EFBIG. */
			size_t want = cap + RUNPROG_CHUNK < max + 1 ? cap + RUNPROG_CHUNK : max + 1;
			char *b = realloc(*buf, want + 1);

			if (!b)
				return -ENOMEM;
			*buf = b;
			cap = want;
		}
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len > max)
			return -EFBIG;
	}
}

/* Reap pid, waiting until deadline at most, then killing its group. 0 with
 * its status, or -ETIMEDOUT (killed and reaped all the same). */
static int reap(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (clock_mono_ms() >= deadline)
			break;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

int runprog_capture(char *const argv[], size_t max, int timeout_ms, char **out)
{
	long long deadline = clock_mono_ms() + timeout_ms;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int fds[2], status = 0, r, rr;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	r = start(argv, fds[1], &pid);
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		return r;
	}
	r = drain(fds[0], max, deadline, &buf, &len);
	close(fds[0]);
	if (r < 0)
		kill(-pid, SIGKILL); /* it and all it started: nothing reads any more */
	/* A program that closed its stdout may still run: until the deadline. */
	rr = reap(pid, r < 0 ? 0 : deadline, &status);
	if (r == 0)
		r = rr;
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	return 0;
}
