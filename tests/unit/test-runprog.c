/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-runprog.c: runprog_capture() (system/runprog.c), which `vfiobind check`
 * runs lsinitramfs through, against programs that behave and programs that
 * do not: one that never stops writing (with SIGPIPE ignored, as a child of
 * a service with IgnoreSIGPIPE= is), one that never ends, one whose child
 * outlives it holding the pipe. Every call must come back, and leave
 * nothing running. Outcomes only: the timeouts are guards. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "runprog.h"

TestSuite(runprog, .timeout = 60);

#define MIB (1u << 20)

static int sh(const char *script, size_t max, int timeout_ms, char **out)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };

	*out = NULL;
	return runprog_capture(argv, max, timeout_ms, out);
}

Test(runprog, captures_what_a_program_that_exits_0_prints)
{
	char *out;

	cr_assert_eq(sh("printf 'a.ko\\nb.ko\\n'", MIB, 10000, &out), 0);
	cr_assert_str_eq(out, "a.ko\nb.ko\n");
	free(out);
}

Test(runprog, output_of_exactly_the_cap_is_kept)
{
	char *out;

	cr_assert_eq(sh("head -c 1048576 /dev/zero | tr '\\0' x", MIB, 10000, &out), 0);
	cr_assert_eq(strlen(out), MIB);
	free(out);
}

Test(runprog, a_program_that_fails_is_echild_and_one_not_found_is_enoent)
{
	char *argv[] = { (char *)"vfiobind-no-such-program", NULL };
	char *out = NULL;

	cr_assert_eq(sh("echo partial; exit 3", MIB, 10000, &out), -ECHILD);
	cr_assert_null(out);
	cr_assert_eq(runprog_capture(argv, MIB, 10000, &out), -ENOENT);
}

/* Past the cap the reader used to stop and wait for the writer to end: one
 * that shrugs off EPIPE never does. */
Test(runprog, a_writer_that_never_stops_is_efbig_once_past_the_cap)
{
	char *out;

	cr_assert_eq(sh("trap '' PIPE; while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done",
			MIB, 30000, &out), -EFBIG);
	cr_assert_null(out);
}

/* The same with SIGPIPE ignored by us, and so by default by our children. */
Test(runprog, a_writer_past_the_cap_ends_even_when_we_ignore_sigpipe)
{
	char *out;

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(sh("yes vfio_pci.ko", MIB, 30000, &out), -EFBIG);
	signal(SIGPIPE, SIG_DFL);
}

/* pid of a process that dir/NAME names is gone (or a zombie) within 5 s. */
static bool gone(const char *path)
{
	char *text = NULL, stat[64], *st = NULL;
	long pid;

	cr_assert_geq(fileio_read_file(path, 64, &text, NULL), 0, "%s", path);
	pid = strtol(text, NULL, 10);
	free(text);
	cr_assert_gt(pid, 1);
	snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
	for (int i = 0; i < 500; i++) {
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			return true;
		if (fileio_read_file(stat, 4096, &st, NULL) >= 0) {
			char *p = strrchr(st, ')');
			bool zombie = p && p[1] == ' ' && p[2] == 'Z';

			free(st);
			if (zombie)
				return true;
		}
		usleep(10000);
	}
	return false;
}

/* A program that never ends, with a child of its own holding the pipe:
 * both are killed at the deadline, the call returns. */
Test(runprog, a_program_that_never_ends_is_etimedout_and_killed_with_its_children)
{
	char dir[] = "/tmp/vb-runprog-XXXXXX", script[512], path[64];
	char *out;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(script, sizeof(script),
		 "sleep 600 & echo $! > %s/child; echo $$ > %s/parent; echo started; wait",
		 dir, dir);
	cr_assert_eq(sh(script, MIB, 500, &out), -ETIMEDOUT);
	cr_assert_null(out);
	snprintf(path, sizeof(path), "%s/parent", dir);
	cr_assert(gone(path), "the program still runs");
	snprintf(path, sizeof(path), "%s/child", dir);
	cr_assert(gone(path), "its child still runs");
	snprintf(script, sizeof(script), "rm -rf '%s'", dir);
	cr_assert_eq(system(script), 0);
}
