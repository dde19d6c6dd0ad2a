/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-rundir.c: where vfiobindd keeps its files and who may run
 * (daemon/rundir.c): a run directory is refused as sshd's StrictModes would
 * refuse a home (owner, mode, the sticky bit, links on the way), files in it
 * are never reached through a link, one writer per sysfs root whatever the
 * run directories, one daemon per run directory, and a fake tree's run
 * directory is inside the tree, never the host's /run/vfiobind. Nothing here
 * creates anything outside its temporary directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logcap.h"
#include "rundir.h"
#include "util.h"

#define OTHER_UID 4241

static char base[64];
static struct rundir a, b;

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/vb-rundir-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	a = b = (struct rundir){ .root_lock = -1, .dir_lock = -1, .dfd = -1 };
	logcap_start();
}

static void teardown(void)
{
	char cmd[128];

	rundir_release(&a);
	rundir_release(&b);
	logcap_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", base);
}

TestSuite(rundir, .init = setup, .fini = teardown);

static const char *in(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, name);
	return buf[i];
}

/* mkdir with exactly this mode (the umask would take bits away). */
static const char *dir_mode(const char *name, mode_t mode)
{
	const char *p = in(name);

	cr_assert_eq(mkdir(p, 0700), 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(chmod(p, mode), 0);
	return p;
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files to another uid");
}

static void expect_log(const char *needle)
{
	cr_assert(strstr(logcap_text(), needle), "want \"%s\" in:\n%s", needle, logcap_text());
}

static void expect_refused(const char *dir, const char *why)
{
	int fd = rundir_open(dir, NULL);

	if (fd >= 0)
		close(fd);
	cr_assert_eq(fd, -EPERM, "%s: %d", dir, fd);
	expect_log(why);
}

static void expect_accepted(const char *dir, const char *real_want)
{
	char real[PATH_MAX];
	int fd = rundir_open(dir, real);

	cr_assert_geq(fd, 0, "%s refused:\n%s", dir, logcap_text());
	close(fd);
	cr_assert_str_eq(real, real_want);
}

/* ---- the run directory, judged ---- */

Test(rundir, a_directory_writable_by_its_root_owner_alone_is_accepted)
{
	const char *run = dir_mode("run", 0755);

	expect_accepted(run, run);
}

Test(rundir, a_world_writable_run_directory_is_refused)
{
	const char *run = dir_mode("run", 0777);
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s: writable by group and others (mode 0777)", run);
	expect_refused(run, want);
}

/* Sticky: others cannot remove our files, but can still plant a name we
 * are about to use (a link at .state.json.tmp or at the socket's path). */
Test(rundir, the_sticky_bit_does_not_make_a_run_directory_safe)
{
	expect_refused(dir_mode("run", 01777), "(mode 1777): a run directory must be writable");
}

Test(rundir, a_group_writable_run_directory_is_refused)
{
	expect_refused(dir_mode("run", 0775), "writable by its group (mode 0775)");
}

Test(rundir, a_run_directory_owned_by_another_user_is_refused)
{
	const char *run = dir_mode("run", 0755);

	need_root();
	cr_assert_eq(chown(run, OTHER_UID, 0), 0);
	expect_refused(run, "owned by uid 4241");
}

Test(rundir, a_directory_above_writable_by_others_is_refused_unless_sticky)
{
	const char *open = dir_mode("open", 0777), *run = in("open/run");

	cr_assert_eq(mkdir(run, 0755), 0);
	expect_refused(run, "a directory above a run directory must be writable by its owner");
	cr_assert_eq(chmod(open, 01777), 0);
	expect_accepted(run, run);
}

Test(rundir, a_directory_above_owned_by_another_user_is_refused)
{
	const char *theirs = dir_mode("theirs", 0755), *run = in("theirs/run");

	need_root();
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(chown(theirs, OTHER_UID, 0), 0);
	expect_refused(run, "owned by uid 4241");
}

/* In a sticky /tmp anybody may put a link where our path goes. */
Test(rundir, a_symlink_of_another_user_on_the_way_is_not_followed)
{
	const char *target = dir_mode("target", 0755), *link = in("tmp/evil");

	need_root();
	dir_mode("tmp", 01777);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(lchown(link, OTHER_UID, 0), 0);
	expect_refused(link, "a symlink owned by uid 4241: not followed");
}

Test(rundir, a_symlink_of_root_is_followed_and_what_it_points_at_judged)
{
	char safe[PATH_MAX];

	util_strlcpy(safe, dir_mode("safe", 0755), sizeof(safe));
	cr_assert_eq(symlink("safe", in("to-safe")), 0);
	cr_assert_eq(symlink(dir_mode("unsafe", 0777), in("to-unsafe")), 0);
	expect_accepted(in("to-safe"), safe);
	expect_refused(in("to-unsafe"), "(mode 0777)");
}

/* ---- the locks ---- */

/* A fake sysfs tree: any directory of ours that is not the kernel's sysfs. */
static const char *tree(const char *name)
{
	return dir_mode(name, 0755);
}

static void expect_lock_file(const char *dir)
{
	char p[PATH_MAX + 32];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, RUNDIR_LOCK);
	cr_assert_eq(lstat(p, &st), 0, "%s: %s", p, strerror(errno));
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "others could open it and hold it");
}

Test(rundir, a_trees_lock_is_inside_the_tree_whatever_the_run_directory)
{
	const char *root = tree("sys");

	cr_assert_eq(rundir_setup(&a, root, dir_mode("run", 0755), RUNDIR_DAEMON, true), 0);
	expect_lock_file(in("sys/" RUNDIR_TREE));
	expect_lock_file(in("run"));
	cr_assert_geq(a.root_lock, 0);
	cr_assert_geq(a.dir_lock, 0);
	cr_assert_str_eq(a.path, in("run"));
}

Test(rundir, once_beside_a_daemon_on_the_same_root_is_refused_and_told_to_reconcile)
{
	const char *root = tree("sys");
	char want[PATH_MAX + 128];

	cr_assert_eq(rundir_setup(&a, root, dir_mode("run-a", 0755), RUNDIR_DAEMON, true), 0);
	cr_assert_eq(rundir_setup(&b, root, dir_mode("run-b", 0755), RUNDIR_ONCE, true), -EBUSY);
	snprintf(want, sizeof(want),
		 "vfiobindd is running on %s (pid %d): run `vfiobind reconcile` instead", root,
		 (int)getpid());
	expect_log(want);
	cr_assert_eq(b.root_lock, -1);
	cr_assert_eq(b.dfd, -1, "a refused run keeps nothing open");
}

Test(rundir, a_second_daemon_on_the_same_root_is_refused)
{
	const char *root = tree("sys");

	cr_assert_eq(rundir_setup(&a, root, dir_mode("run-a", 0755), RUNDIR_DAEMON, true), 0);
	cr_assert_eq(rundir_setup(&b, root, dir_mode("run-b", 0755), RUNDIR_DAEMON, true), -EBUSY);
	expect_log("another vfiobindd is running on ");
}

Test(rundir, a_daemon_beside_a_once_waits_for_it)
{
	const char *root = tree("sys");

	cr_assert_eq(rundir_setup(&a, root, dir_mode("run-a", 0755), RUNDIR_ONCE, true), 0);
	cr_assert_eq(rundir_setup(&b, root, dir_mode("run-b", 0755), RUNDIR_DAEMON, true), -EBUSY);
	expect_log("vfiobindd --once is running on ");
}

/* --dry-run writes nothing to sysfs: it takes no root lock. */
Test(rundir, a_dry_run_beside_a_daemon_is_allowed)
{
	const char *root = tree("sys");

	cr_assert_eq(rundir_setup(&a, root, dir_mode("run-a", 0755), RUNDIR_DAEMON, true), 0);
	cr_assert_eq(rundir_setup(&b, root, dir_mode("run-b", 0755), RUNDIR_DAEMON, false), 0);
	cr_assert_eq(b.root_lock, -1);
}

/* Two daemons on two roots must not share a socket and a state file. */
Test(rundir, two_roots_never_share_a_run_directory)
{
	const char *run = dir_mode("run", 0755);

	cr_assert_eq(rundir_setup(&a, tree("sys-a"), run, RUNDIR_DAEMON, true), 0);
	cr_assert_eq(rundir_setup(&b, tree("sys-b"), run, RUNDIR_DAEMON, true), -EBUSY);
	expect_log("another vfiobindd is running in the run directory ");
}

/* The default run directory of a root is where its lock is: one lock. */
Test(rundir, the_default_run_directory_holds_the_roots_lock_once)
{
	const char *root = tree("sys");
	char run[PATH_MAX];

	cr_assert_eq(rundir_default(root, run, sizeof(run)), 0);
	cr_assert_eq(rundir_setup(&a, root, run, RUNDIR_DAEMON, true), 0);
	cr_assert_geq(a.root_lock, 0);
	cr_assert_eq(a.dir_lock, -1, "the same file locked twice would refuse us");
}

Test(rundir, release_lets_the_next_one_in)
{
	const char *root = tree("sys"), *run = dir_mode("run", 0755);

	cr_assert_eq(rundir_setup(&a, root, run, RUNDIR_DAEMON, true), 0);
	rundir_release(&a);
	cr_assert_eq(rundir_setup(&b, root, run, RUNDIR_ONCE, true), 0);
}

Test(rundir, a_lock_file_planted_as_a_symlink_is_not_followed)
{
	const char *run = dir_mode("run", 0755), *victim = in("victim");
	struct stat st;

	cr_assert_eq(symlink(victim, in("run/" RUNDIR_LOCK)), 0);
	cr_assert_lt(rundir_setup(&a, tree("sys"), run, RUNDIR_DAEMON, false), 0);
	cr_assert_neq(lstat(victim, &st), 0, "the lock was created through the link");
}

Test(rundir, a_lock_file_others_could_open_is_made_private)
{
	const char *run = dir_mode("run", 0755);
	int fd = open(in("run/" RUNDIR_LOCK), O_CREAT | O_WRONLY, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fchmod(fd, 0644), 0);
	close(fd);
	cr_assert_eq(rundir_setup(&a, tree("sys"), run, RUNDIR_DAEMON, false), 0);
	expect_lock_file(run);
}

Test(rundir, an_unsafe_run_directory_fails_the_setup)
{
	cr_assert_eq(rundir_setup(&a, tree("sys"), dir_mode("run", 0777), RUNDIR_DAEMON, true),
		     -EPERM);
	cr_assert_eq(a.root_lock, -1, "the root's lock is given back on failure");
}

/* ---- the defaults: a tree is not the host ---- */

Test(rundir, the_kernel_sysfs_has_run_vfiobind)
{
	char run[PATH_MAX];

	/* reads only: statfs() and realpath() of /sys */
	cr_assert(rundir_is_kernel_sysfs("/sys"));
	cr_assert(rundir_is_kernel_sysfs("/sys/"));
	cr_assert_eq(rundir_default("/sys", run, sizeof(run)), 0);
	cr_assert_str_eq(run, "/run/vfiobind");
}

Test(rundir, a_link_to_sys_is_the_kernel_sysfs_too)
{
	cr_assert_eq(symlink("/sys", in("sys-link")), 0);
	cr_assert(rundir_is_kernel_sysfs(in("sys-link")));
}

Test(rundir, a_tree_gets_a_run_directory_inside_itself)
{
	const char *root = tree("sys");
	char run[PATH_MAX], want[PATH_MAX];

	cr_assert_not(rundir_is_kernel_sysfs(root));
	cr_assert_eq(rundir_default(root, run, sizeof(run)), 0);
	snprintf(want, sizeof(want), "%s/%s", root, RUNDIR_TREE);
	cr_assert_str_eq(run, want);
	cr_assert_eq(symlink("sys", in("via-link")), 0);
	cr_assert_eq(rundir_default(in("via-link"), run, sizeof(run)), 0);
	cr_assert_str_eq(run, want, "one tree, one run directory, whatever path leads to it");
}
