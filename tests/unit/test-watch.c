/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-watch.c: the config watch notices every way people and tools replace
 * a file or its directory, re-arms itself (nobody calls watch_rearm() here),
 * and gathers one save's burst of events into one callback.
 *
 * No test measures time. A callback that should come is waited for with a
 * generous bound (a failure guard only). That no callback comes is checked
 * from state: inotify queues its events inside the syscall that caused them,
 * so once the loop has run over what is ready (settle()), the watch has seen
 * every event and either scheduled a callback (watch_pending()) or not. Which
 * directories are watched is read from the inotify instance's fdinfo. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logcap.h"
#include "util.h"
#include "watch.h"

#define BOUND_S 10 /* how long a callback that must come may take: a guard, not a measure */

static char root[64];	/* ROOT: everything the test makes is under it */
static char etc[96];	/* ROOT/etc */
static char dir[128];	/* ROOT/etc/vfiobind, the config's directory */
static char conf[192];	/* ROOT/etc/vfiobind/vfiobind.conf */
static struct event_base *base;
static struct event *guard;
static struct watch *w;
static int fired;
static bool timed_out;

static void on_change(void *ud)
{
	(void)ud;
	fired++;
	event_base_loopbreak(base);
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	timed_out = true;
	event_base_loopbreak(base);
}

/* ---- the file system ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "open %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	cr_assert(fd >= 0, "open %s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(close(fd), 0);
}

/* `rm -rf` (what people do to a directory) or `mkdir -p` on path. */
static void sh(const char *what, const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s '%s'", what, path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Point link at target by renaming a new symlink over it, as `ln -sfT` does. */
static void repoint(const char *target, const char *link)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s.tmp-link", link);
	cr_assert_eq(symlink(target, tmp), 0, "symlink %s", tmp);
	cr_assert_eq(rename(tmp, link), 0, "rename %s", link);
}

/* ---- the loop ---- */

/* Run the loop until a callback comes, at most BOUND_S seconds. */
static bool wait_callback(void)
{
	struct timeval tv = { BOUND_S, 0 };
	int before = fired;

	timed_out = false;
	evtimer_add(guard, &tv);
	while (fired == before && !timed_out)
		event_base_dispatch(base);
	evtimer_del(guard);
	return fired > before;
}

/* Let the watch read every event the syscalls so far queued, without
 * waiting: inotify queued them before those syscalls returned. */
static void settle(void)
{
	for (int i = 0; i < 2; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Exactly one callback for what the test just did: one comes, and after it
 * nothing is left that would make another. */
static void expect_one_callback(const char *what)
{
	int before = fired;

	cr_assert(wait_callback(), "no callback within %d s after %s", BOUND_S, what);
	settle();
	cr_assert_eq(fired, before + 1, "%d callbacks after %s, want 1", fired - before, what);
	cr_assert_not(watch_pending(w), "a second callback is scheduled after %s", what);
}

static void expect_no_callback(const char *what)
{
	int before = fired;

	settle();
	cr_assert_eq(fired, before, "a callback after %s", what);
	cr_assert_not(watch_pending(w), "a callback is scheduled after %s", what);
}

/* ---- what is watched: /proc/self/fdinfo of the inotify instance ---- */

static FILE *open_fdinfo(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	char link[300], target[64], info[300];
	struct dirent *de;
	int found = -1, n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0) {
			found = atoi(de->d_name);
			n++;
		}
	}
	cr_assert_eq(n, 1, "%d inotify instances, want the watch's only", n);
	snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", found);
	return fopen(info, "r");
}

/* How many directories are watched, or (path non-NULL) whether path is one. */
static int watches(const char *path)
{
	_cleanup_fclose_ FILE *f = open_fdinfo();
	struct stat st;
	char line[512];
	unsigned long ino;
	int wd, n = 0;

	cr_assert_not_null(f);
	if (path)
		cr_assert_eq(stat(path, &st), 0, "stat %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "inotify wd:%d ino:%lx", &wd, &ino) == 2 &&
		    (!path || ino == (unsigned long)st.st_ino))
			n++;
	return n;
}

/* ---- the suite ---- */

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/vb-watch-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(etc, sizeof(etc), "%s/etc", root);
	snprintf(dir, sizeof(dir), "%s/vfiobind", etc);
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", dir);
	sh("mkdir -p", dir);
	write_file(conf, "DEFAULT 0000:00:02.0\n");
	base = event_base_new();
	guard = evtimer_new(base, on_guard, NULL);
	cr_assert_not_null(guard);
	w = watch_new(base, conf, 20, on_change, NULL);
	cr_assert_not_null(w);
	fired = 0;
	logcap_start();
}

static void teardown(void)
{
	logcap_stop();
	watch_free(w);
	event_free(guard);
	event_base_free(base);
	sh("rm -rf", root);
}

TestSuite(watch, .init = setup, .fini = teardown, .timeout = 60);

/* ---- the file replaced in every usual way ---- */

Test(watch, notices_edit_in_place)
{
	append(conf, "DEFAULT 0000:00:03.0\n");
	expect_one_callback("an append");
}

Test(watch, notices_editor_write_to_temp_and_rename)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s/.vfiobind.conf.swp", dir);
	write_file(tmp, "DEFAULT 0000:00:04.0\n");
	cr_assert_eq(rename(tmp, conf), 0);
	expect_one_callback("a rename over the file");
}

Test(watch, notices_cp_over_the_file)
{
	write_file(conf, "DEFAULT 0000:00:05.0\n"); /* truncate + write + close, as cp does */
	expect_one_callback("a truncate and rewrite");
}

Test(watch, notices_delete_and_recreate)
{
	cr_assert_eq(unlink(conf), 0);
	expect_one_callback("the unlink");
	write_file(conf, "DEFAULT 0000:00:06.0\n");
	expect_one_callback("the file written again");
}

Test(watch, coalesces_a_burst_into_one_callback)
{
	for (int i = 0; i < 50; i++)
		write_file(conf, i % 2 ? "DEFAULT 0000:00:02.0\n" : "DEFAULT 0000:00:03.0\n");
	expect_one_callback("50 rewrites");
}

Test(watch, reads_a_whole_save_at_once_and_waits_out_a_half_one)
{
	char tmp[256];

	/* A rename into place is the whole file: no window to wait out. */
	snprintf(tmp, sizeof(tmp), "%s/.vfiobind.conf.new", dir);
	write_file(tmp, "DEFAULT 0000:00:04.0\n");
	cr_assert_eq(rename(tmp, conf), 0);
	settle();
	cr_assert_eq(fired, 1, "the rename was read at once");
	cr_assert_not(watch_pending(w));
	/* So is a writer's close, once the window after that read is over
	 * (20 ms here; what comes within it is gathered, see below). */
	usleep(50 * 1000);
	write_file(conf, "DEFAULT 0000:00:05.0\n");
	settle();
	cr_assert_eq(fired, 2, "the close was read at once");
	/* A file gone may come back in a moment (delete and re-create):
	 * that waits for the window. */
	usleep(50 * 1000);
	cr_assert_eq(unlink(conf), 0);
	settle();
	cr_assert_eq(fired, 2, "an unlink is not read at once");
	cr_assert(watch_pending(w));
	expect_one_callback("the unlink");
}

Test(watch, gathers_what_follows_a_save_read_at_once)
{
	/* Read at once, then a burst under way: the burst is one more read. A
	 * window of 2 s: the steps below surely fall within it. */
	watch_free(w);
	w = watch_new(base, conf, 2000, on_change, NULL);
	cr_assert_not_null(w);
	write_file(conf, "DEFAULT 0000:00:05.0\n");
	settle();
	cr_assert_eq(fired, 1);
	cr_assert_eq(chmod(conf, 0600), 0);
	write_file(conf, "DEFAULT 0000:00:06.0\n");
	settle();
	cr_assert_eq(fired, 1, "within the window: gathered");
	cr_assert(watch_pending(w));
	expect_one_callback("the burst after it");
}

Test(watch, ignores_unrelated_files_in_the_directory)
{
	char other[256];

	snprintf(other, sizeof(other), "%s/unrelated.txt", dir);
	write_file(other, "x\n");
	cr_assert_eq(unlink(other), 0);
	expect_no_callback("writing and removing unrelated.txt");
	/* the watch is alive: the same loop does see the config change */
	append(conf, "DEFAULT 0000:00:03.0\n");
	expect_one_callback("an append after the unrelated file");
}

/* ---- symlinks ---- */

Test(watch, notices_configmap_data_symlink_swap)
{
	char d1[256], d2[256], link[256], tmp[256], f[320];

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
	expect_one_callback("the ConfigMap layout replacing the file");
	/* the ..-named target directory is seen through the ..data swap */
	cr_assert_eq(watches(NULL), 1, "only the config's directory is watched");

	cr_assert_eq(mkdir(d2, 0755), 0);
	snprintf(f, sizeof(f), "%s/vfiobind.conf", d2);
	write_file(f, "DEFAULT 0000:00:07.0\n");
	expect_one_callback("the kubelet creating the next ..2026 directory");
	cr_assert_eq(symlink("..2026_11_25_v2", tmp), 0);
	cr_assert_eq(rename(tmp, link), 0);
	expect_one_callback("the ..data swap");
	cr_assert_eq(watches(NULL), 1, "only the config's directory is watched");
	sh("rm -rf", d1);
	expect_one_callback("the kubelet removing the old ..2026 directory");
}

Test(watch, notices_edit_of_symlink_target_in_another_directory)
{
	char other[128], target[192];

	snprintf(other, sizeof(other), "%s/elsewhere", root);
	snprintf(target, sizeof(target), "%s/real.conf", other);
	cr_assert_eq(mkdir(other, 0755), 0);
	write_file(target, "DEFAULT 0000:00:02.0\n");
	cr_assert_eq(unlink(conf), 0);
	cr_assert_eq(symlink(target, conf), 0);
	expect_one_callback("the file replaced by a symlink");
	write_file(target, "DEFAULT 0000:00:08.0\n");
	expect_one_callback("a rewrite of the symlink's target");
}

/* /etc/vfiobind/x.conf -> /etc/vfiobind-real/x.conf: a sibling whose name
 * starts with the config directory's is still another directory. */
Test(watch, notices_edit_of_symlink_target_in_sibling_directory_sharing_the_name_prefix)
{
	char real[192], target[256];

	snprintf(real, sizeof(real), "%s-real", dir);
	snprintf(target, sizeof(target), "%s/vfiobind.conf", real);
	cr_assert_eq(mkdir(real, 0755), 0);
	write_file(target, "DEFAULT 0000:00:02.0\n");
	repoint(target, conf);
	expect_one_callback("the file replaced by a symlink into vfiobind-real/");
	cr_assert_eq(watches(real), 1, "vfiobind-real/ is watched");
	write_file(target, "DEFAULT 0000:00:09.0\n");
	expect_one_callback("a rewrite of the target in vfiobind-real/");
}

Test(watch, notices_edit_of_symlink_target_in_a_subdirectory)
{
	char sub[192], target[256];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(target, sizeof(target), "%s/real.conf", sub);
	cr_assert_eq(mkdir(sub, 0755), 0);
	write_file(target, "DEFAULT 0000:00:02.0\n");
	repoint("sub/real.conf", conf);
	expect_one_callback("the file replaced by a symlink into sub/");
	cr_assert_eq(watches(sub), 1, "sub/ is watched");
	write_file(target, "DEFAULT 0000:00:0a.0\n");
	expect_one_callback("a rewrite of the target in sub/");
}

Test(watch, drops_the_old_target_directory_watch_when_the_symlink_moves)
{
	char a[128], b[128], ta[192], tb[192];

	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b", root);
	snprintf(ta, sizeof(ta), "%s/vfiobind.conf", a);
	snprintf(tb, sizeof(tb), "%s/vfiobind.conf", b);
	cr_assert_eq(mkdir(a, 0755), 0);
	cr_assert_eq(mkdir(b, 0755), 0);
	write_file(ta, "DEFAULT 0000:00:02.0\n");
	write_file(tb, "DEFAULT 0000:00:03.0\n");
	repoint(ta, conf);
	expect_one_callback("the symlink to a/");
	cr_assert_eq(watches(a), 1, "a/ is watched");

	repoint(tb, conf);
	expect_one_callback("the symlink moved to b/");
	cr_assert_eq(watches(a), 0, "a/ is still watched");
	cr_assert_eq(watches(b), 1, "b/ is not watched");
	cr_assert_eq(watches(NULL), 2, "the config's directory and b/, nothing else");
	/* same file name in a/ as in b/: only the removed watch can tell them apart */
	write_file(ta, "DEFAULT 0000:00:04.0\n");
	expect_no_callback("a rewrite in a/, which the config no longer reads");
	write_file(tb, "DEFAULT 0000:00:05.0\n");
	expect_one_callback("a rewrite in b/");
}

/* ---- the directory itself deleted, renamed, created late ---- */

Test(watch, notices_directory_deleted_recreated_then_file_written)
{
	sh("rm -rf", dir);
	expect_one_callback("the directory removed");
	cr_assert_eq(watches(etc), 1, "etc/ is watched while vfiobind/ is gone");
	cr_assert_eq(mkdir(dir, 0755), 0);
	expect_one_callback("the directory back (the file may be back with it)");
	cr_assert_eq(watches(dir), 1, "vfiobind/ is watched again");
	cr_assert_eq(watches(NULL), 1, "etc/ is no longer watched");
	write_file(conf, "DEFAULT 0000:00:0b.0\n");
	expect_one_callback("the file written in the new directory");
	append(conf, "DEFAULT 0000:00:0c.0\n");
	expect_one_callback("an edit in the new directory");
	cr_assert(strstr(logcap_text(), "I watch: ") &&
		  strstr(logcap_text(), "/etc/vfiobind is gone; watching ") &&
		  strstr(logcap_text(), "/etc until vfiobind comes back\n") &&
		  strstr(logcap_text(), "/etc/vfiobind is back\n"), "%s", logcap_text());
}

Test(watch, notices_directory_recreated_with_its_file_in_one_go)
{
	sh("rm -rf", dir);
	expect_one_callback("the directory removed");
	/* both before the loop runs: the file is there before the directory
	 * can be watched, so only the callback on its return reports it */
	cr_assert_eq(mkdir(dir, 0755), 0);
	write_file(conf, "DEFAULT 0000:00:0b.0\n");
	expect_one_callback("the directory and its file back");
	append(conf, "DEFAULT 0000:00:0c.0\n");
	expect_one_callback("an edit in the new directory");
}

Test(watch, notices_missing_levels_coming_back_one_at_a_time)
{
	sh("rm -rf", etc);
	expect_one_callback("etc/ removed with vfiobind/ in it");
	cr_assert_eq(watches(root), 1, "the root is watched while etc/ is gone");
	cr_assert_eq(mkdir(etc, 0755), 0);
	expect_one_callback("etc/ back");
	cr_assert_eq(watches(etc), 1, "etc/ is watched while vfiobind/ is gone");
	cr_assert_eq(watches(NULL), 1, "the root is no longer watched");
	cr_assert_eq(mkdir(dir, 0755), 0);
	expect_one_callback("vfiobind/ back");
	write_file(conf, "DEFAULT 0000:00:0d.0\n");
	expect_one_callback("the file written");
}

Test(watch, ignores_unrelated_names_next_to_a_missing_directory)
{
	char other[128], file[128];

	sh("rm -rf", dir);
	expect_one_callback("the directory removed");
	snprintf(other, sizeof(other), "%s/vfiobind.d", etc);
	snprintf(file, sizeof(file), "%s/vfiobind.conf", etc);
	cr_assert_eq(mkdir(other, 0755), 0);
	write_file(file, "x\n"); /* the config's name, in the wrong directory */
	expect_no_callback("a directory and a file created next to the missing one");
	cr_assert_eq(mkdir(dir, 0755), 0);
	expect_one_callback("the directory back");
}

Test(watch, stops_watching_a_directory_renamed_away_and_notices_it_back)
{
	char old[192], oldconf[256];

	snprintf(old, sizeof(old), "%s.old", dir);
	snprintf(oldconf, sizeof(oldconf), "%s/vfiobind.conf", old);
	cr_assert_eq(rename(dir, old), 0);
	expect_one_callback("the directory renamed away");
	cr_assert_eq(watches(old), 0, "the renamed directory is still watched");
	append(oldconf, "DEFAULT 0000:00:0e.0\n");
	expect_no_callback("an edit in the renamed directory, which the config no longer reads");
	cr_assert_eq(rename(old, dir), 0);
	expect_one_callback("the directory renamed back");
	append(conf, "DEFAULT 0000:00:0f.0\n");
	expect_one_callback("an edit after the directory came back");
}

Test(watch, notices_directory_created_after_the_watch_started)
{
	watch_free(w);
	sh("rm -rf", etc);
	w = watch_new(base, conf, 20, on_change, NULL);
	cr_assert_not_null(w, "a missing directory is no reason to fail");
	expect_no_callback("starting without the directory");
	sh("mkdir -p", dir);
	expect_one_callback("the directories created");
	write_file(conf, "DEFAULT 0000:00:02.0\n");
	expect_one_callback("the file written");
}
