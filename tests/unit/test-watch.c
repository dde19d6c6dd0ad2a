/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-watch.c: the config watch notices every way people and tools replace
 * a file, and gathers one save's burst of events into one callback. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "watch.h"

static char dir[256];
static char conf[300];
static struct event_base *base;
static struct watch *w;
static int fired;

static void on_change(void *ud)
{
	(void)ud;
	fired++;
	event_base_loopbreak(base);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "open %s", path);
	fputs(text, f);
	fclose(f);
}

/* Run the loop until the watch fires or 2 s pass; returns callbacks seen. */
static int wait_fire(void)
{
	struct timeval tv = { 2, 0 };

	fired = 0;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	/* let a second, wrongly uncoalesced callback show up too */
	tv = (struct timeval){ 0, 200000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	return fired;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vb-watch-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", dir);
	write_file(conf, "DEFAULT 0000:00:02.0\n");
	base = event_base_new();
	w = watch_new(base, conf, 20, on_change, NULL);
	cr_assert_not_null(w);
}

static void teardown(void)
{
	char cmd[300];

	watch_free(w);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(watch, .init = setup, .fini = teardown, .timeout = 20);

Test(watch, notices_edit_in_place)
{
	int fd = open(conf, O_WRONLY | O_APPEND);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "DEFAULT 0000:00:03.0\n", 21), 21);
	close(fd);
	cr_assert_eq(wait_fire(), 1);
}

Test(watch, notices_editor_write_to_temp_and_rename)
{
	char tmp[320];

	snprintf(tmp, sizeof(tmp), "%s/.vfiobind.conf.swp", dir);
	write_file(tmp, "DEFAULT 0000:00:04.0\n");
	cr_assert_eq(rename(tmp, conf), 0);
	cr_assert_eq(wait_fire(), 1);
}

Test(watch, notices_cp_over_the_file)
{
	write_file(conf, "DEFAULT 0000:00:05.0\n"); /* truncate + write + close, as cp does */
	cr_assert_eq(wait_fire(), 1);
}

Test(watch, notices_delete_and_recreate)
{
	cr_assert_eq(unlink(conf), 0);
	cr_assert_eq(wait_fire(), 1);
	write_file(conf, "DEFAULT 0000:00:06.0\n");
	cr_assert_eq(wait_fire(), 1);
}

Test(watch, notices_configmap_data_symlink_swap)
{
	char d1[320], d2[320], link[320], tmp[320], f[400];

	/* The kubelet's layout: conf -> ..data/vfiobind.conf, ..data -> ..v1 */
	snprintf(d1, sizeof(d1), "%s/..2026_11_25_v1", dir);
	snprintf(d2, sizeof(d2), "%s/..2026_11_25_v2", dir);
	snprintf(link, sizeof(link), "%s/..data", dir);
	snprintf(tmp, sizeof(tmp), "%s/..data_tmp", dir);
	cr_assert_eq(mkdir(d1, 0755), 0);
	snprintf(f, sizeof(f), "%s/vfiobind.conf", d1);
	write_file(f, "DEFAULT 0000:00:02.0\n");
	cr_assert_eq(symlink("..2026_11_25_v1", link), 0);
	cr_assert_eq(unlink(conf), 0);
	cr_assert_eq(symlink("..data/vfiobind.conf", conf), 0);
	wait_fire();
	watch_rearm(w);

	cr_assert_eq(mkdir(d2, 0755), 0);
	snprintf(f, sizeof(f), "%s/vfiobind.conf", d2);
	write_file(f, "DEFAULT 0000:00:07.0\n");
	wait_fire(); /* creating the new timestamped dir may fire already */
	cr_assert_eq(symlink("..2026_11_25_v2", tmp), 0);
	cr_assert_eq(rename(tmp, link), 0);
	cr_assert_eq(wait_fire(), 1, "the ..data swap must trigger a reload");
}

Test(watch, notices_edit_of_symlink_target_in_another_directory)
{
	char other[256], target[300], cmd[300];

	snprintf(other, sizeof(other), "/tmp/vb-watch-target-XXXXXX");
	cr_assert_not_null(mkdtemp(other));
	snprintf(target, sizeof(target), "%s/real.conf", other);
	write_file(target, "DEFAULT 0000:00:02.0\n");
	cr_assert_eq(unlink(conf), 0);
	cr_assert_eq(symlink(target, conf), 0);
	wait_fire();
	watch_rearm(w);
	write_file(target, "DEFAULT 0000:00:08.0\n");
	cr_assert_eq(wait_fire(), 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", other);
	cr_assert_eq(system(cmd), 0);
}

Test(watch, ignores_unrelated_files_in_the_directory)
{
	char other[320];

	snprintf(other, sizeof(other), "%s/unrelated.txt", dir);
	write_file(other, "x\n");
	cr_assert_eq(wait_fire(), 0);
}

Test(watch, coalesces_a_burst_into_one_callback)
{
	for (int i = 0; i < 50; i++)
		write_file(conf, i % 2 ? "DEFAULT 0000:00:02.0\n" : "DEFAULT 0000:00:03.0\n");
	cr_assert_eq(wait_fire(), 1);
}
