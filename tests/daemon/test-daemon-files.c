/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-daemon-files.c: the real daemon (tests/daemon/vfiobindd-fake, only the
 * kernel faked) and the files around it, attacked the way a hostile local
 * user or a broken environment would: a --once beside the daemon (one writer
 * per sysfs root), run and socket directories others can write or own, links
 * planted in them, a FIFO at the config path or at state.json, a fake tree
 * run without --run-dir (never the host's /run/vfiobind), and `add` under
 * the shipped unit's capabilities keeping the config's ACL, xattrs and group
 * (or refusing). Nothing here touches the real /sys or the host's /run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fakesys.h"
#include "socket-helpers.h"
#include "testacl.h"
#include "util.h"

#define FAKE "tests/daemon/vfiobindd-fake"
#define OTHER_UID 4241
#define OTHER_GID 4242

TestSuite(files, .init = sock_setup, .fini = sock_teardown, .timeout = 90);

static const char *at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", sock_d.dir, name);
	return buf[i];
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (CI runs the tests as root)");
}

/* The daemon started by harness_start_*() exits by itself: its status. */
static int wait_exit(void)
{
	int status;

	for (int i = 0; i < 1000; i++) {
		if (waitpid(sock_d.pid, &status, WNOHANG) == sock_d.pid) {
			sock_d.pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(10000);
	}
	cr_assert_fail("the daemon did not exit; its log:\n%s", sock_read_text(sock_d.log, NULL));
	return -1;
}

/* `vfiobindd-fake --once ... --config CONF [--run-dir RUN]` on the fixture's
 * tree; its exit status, stderr in *err. */
static int once(const char *conf, const char *run, bool dry, char **out, char **err)
{
	const char *argv[20] = {
		harness_bin(FAKE), "--once", "--sysfs-root", fakesys_root(sock_fs), "--config",
		conf, "--node-name", "worker-0", "--udev-source", "none",
	};
	int n = 10;

	if (run) {
		argv[n++] = "--run-dir";
		argv[n++] = run;
	}
	if (dry)
		argv[n++] = "--dry-run";
	argv[n] = NULL;
	return harness_run2(argv, out, err);
}

/* ==== 1. one writer per sysfs root ==== */

/* The reported case: --once in the daemon's own run directory gave the
 * daemon's devices back and rewrote its state.json. */
Test(files, once_beside_the_daemon_is_refused_and_told_to_run_vfiobind_reconcile)
{
	char *err, *before, *after, want[512];

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	before = sock_read_text(at("state.json"), NULL);
	write_file(at("empty.conf"), "", 0644);
	cr_assert_eq(once(at("empty.conf"), sock_d.dir, false, NULL, &err), 1);
	snprintf(want, sizeof(want),
		 "vfiobindd is running on %s (pid %d): run `vfiobind reconcile` instead",
		 fakesys_root(sock_fs), (int)sock_d.pid);
	cr_assert(strstr(err, want), "want \"%s\" in:\n%s", want, err);
	free(err);
	sock_assert_driver(NIC0, "vfio-pci");
	after = sock_read_text(at("state.json"), NULL);
	cr_assert_str_eq(after, before, "state.json was rewritten");
	free(before);
	free(after);
	sock_assert_daemon_healthy();
}

/* A lock per run directory is not enough: --once --run-dir elsewhere on the
 * same sysfs would write the same devices. */
Test(files, once_in_another_run_dir_on_the_same_root_is_refused_too)
{
	char *err;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	write_file(at("other.conf"), "DEFAULT " NIC1 "\n", 0644);
	cr_assert_eq(mkdir(at("elsewhere"), 0755), 0);
	cr_assert_eq(once(at("other.conf"), at("elsewhere"), false, NULL, &err), 1);
	cr_assert(strstr(err, "run `vfiobind reconcile` instead"), "%s", err);
	free(err);
	sock_assert_driver(NIC1, "e1000e");
	cr_assert_neq(access(at("elsewhere/state.json"), F_OK), 0);
	sock_assert_daemon_healthy();
}

Test(files, once_dry_run_and_check_config_still_run_beside_the_daemon)
{
	const char *check[] = { harness_bin(FAKE), "--check-config", "--config", sock_d.conf, NULL };
	char *out, *err;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	write_file(at("other.conf"), "DEFAULT " NIC1 "\n", 0644);
	rc = once(at("other.conf"), NULL, true, &out, &err);
	cr_assert(rc == 0 || rc == 1, "--once --dry-run: exit %d: %s%s", rc, out, err);
	cr_assert(strstr(out, "bind " NIC1 ": e1000e -> vfio-pci"), "%s\n%s", out, err);
	free(out);
	free(err);
	cr_assert_eq(harness_run(check, NULL), 0);
	sock_assert_driver(NIC1, "e1000e");
	sock_assert_daemon_healthy();
}

Test(files, a_second_daemon_on_the_same_root_in_another_run_dir_is_refused)
{
	const char *extra[] = { "--run-dir", at("b"), NULL };
	struct daemon_run first;

	sock_start("DEFAULT " NIC0 "\n");
	first = sock_d;
	cr_assert_eq(mkdir(at("b"), 0755), 0);
	snprintf(sock_d.sock, sizeof(sock_d.sock), "%s/b/vfiobind.sock", sock_d.dir);
	snprintf(sock_d.log, sizeof(sock_d.log), "%s/b/daemon.log", sock_d.dir);
	harness_start_prog(&sock_d, FAKE, sock_fs, extra);
	cr_assert_eq(wait_exit(), 1);
	cr_assert(harness_log_has(&sock_d, "another vfiobindd is running on "), "%s",
		  sock_read_text(sock_d.log, NULL));
	sock_d = first;
	sock_assert_daemon_healthy();
}

/* ==== 5. run and socket directories: StrictModes, and no links followed ==== */

/* Start the fake daemon with this run directory and socket; it must refuse. */
static void expect_refused_start(const char *run, const char *sock, const char *why)
{
	const char *extra[] = { "--run-dir", run, "--socket", sock, NULL };

	harness_write_conf(&sock_d, "DEFAULT " NIC0 "\n");
	harness_start_prog(&sock_d, FAKE, sock_fs, extra);
	cr_assert_eq(wait_exit(), 1, "the daemon started; its log:\n%s",
		     sock_read_text(sock_d.log, NULL));
	cr_assert(harness_log_has(&sock_d, why), "want \"%s\" in:\n%s", why,
		  sock_read_text(sock_d.log, NULL));
	sock_assert_driver(NIC0, "e1000e");
}

/* In a run directory another user can write, links planted at
 * .state.json.tmp and vfiobindd.lock made root write and create files. */
Test(files, a_world_writable_run_dir_with_planted_links_is_refused_and_nothing_written)
{
	char pub[256], *text;
	struct stat st;

	util_strlcpy(pub, at("pub"), sizeof(pub));
	cr_assert_eq(mkdir(pub, 0755), 0);
	cr_assert_eq(chmod(pub, 0777), 0);
	write_file(at("victim"), "precious\n", 0600);
	cr_assert_eq(symlink(at("victim"), at("pub/.state.json.tmp")), 0);
	cr_assert_eq(symlink(at("created"), at("pub/vfiobindd.lock")), 0);
	expect_refused_start(pub, at("pub/vfiobind.sock"),
			     "pub: writable by group and others (mode 0777)");
	text = sock_read_text(at("victim"), NULL);
	cr_assert_str_eq(text, "precious\n", "written through .state.json.tmp");
	free(text);
	cr_assert_neq(lstat(at("created"), &st), 0, "created through vfiobindd.lock");
}

Test(files, a_run_dir_owned_by_another_user_is_refused)
{
	need_root();
	cr_assert_eq(mkdir(at("theirs"), 0755), 0);
	cr_assert_eq(chown(at("theirs"), OTHER_UID, OTHER_GID), 0);
	expect_refused_start(at("theirs"), sock_d.sock, "theirs: owned by uid 4241");
}

/* Whoever owns the socket's directory could swap a link in between bind()
 * and a chmod() of the path: a root 0600 file once became 0666. */
Test(files, a_socket_directory_owned_by_another_user_is_refused)
{
	need_root();
	cr_assert_eq(mkdir(at("theirs"), 0755), 0);
	cr_assert_eq(chown(at("theirs"), OTHER_UID, OTHER_GID), 0);
	expect_refused_start(sock_d.dir, at("theirs/vfiobind.sock"),
			     "vfiobind.sock: unsafe directory for the socket");
}

Test(files, the_socket_has_the_mode_asked_for_from_bind_whatever_the_umask)
{
	const char *extra[] = { "--socket-mode", "0660", NULL };
	struct stat st;
	mode_t old = umask(0);

	sock_start_with("DEFAULT " NIC0 "\n", extra);
	umask(old);
	cr_assert_eq(lstat(sock_d.sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0660);
	sock_assert_daemon_healthy();
}

/* ==== 13. a fake tree is not the host: no /run/vfiobind ==== */

/* argv: the private /run, then the fake daemon on the fixture's tree without
 * --run-dir (nor --socket), then extra. SCRIPT runs "$@". */
static void private_daemon_argv(const char **argv, const char *script, const char *const *extra)
{
	const char *fixed[] = {
		"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script,
		"sh", harness_bin(FAKE), "--sysfs-root", fakesys_root(sock_fs), "--config",
		sock_d.conf, "--node-name", "worker-0", "--udev-source", "none",
	};
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		argv[n++] = fixed[i];
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
}

static const char *in_tree(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/.vfiobind/%s", fakesys_root(sock_fs), name);
	return buf;
}

static void need_private_run(void)
{
	const char *probe[] = { "/usr/bin/unshare", "--mount", "--propagation", "private",
				"/bin/sh", "-c", "mount -t tmpfs tmpfs /run", NULL };

	if (access(probe[0], X_OK) < 0 || harness_run2(probe, NULL, NULL) != 0)
		cr_skip_test("no private mount namespace here (needs unshare and root)");
}

/* A run on a fake tree once wrote fake devices into the host's state file,
 * which the real daemon would later act on. Run in a mount namespace with a
 * /run of its own, so that getting it wrong cannot touch the host's. */
Test(files, a_fake_root_once_without_run_dir_never_touches_run_vfiobind)
{
	const char *extra[] = { "--once", NULL };
	const char *argv[32];
	char *out, *err, *state;
	int rc;

	need_private_run();
	harness_write_conf(&sock_d, "DEFAULT " NIC0 "\n");
	private_daemon_argv(argv,
			    "mount -t tmpfs tmpfs /run && \"$@\"; rc=$?; if [ -e /run/vfiobind ]; "
			    "then echo '/run/vfiobind was created' >&2; exit 99; fi; exit $rc",
			    extra);
	rc = harness_run2(argv, &out, &err);
	cr_assert_eq(rc, 0, "exit %d: %s%s", rc, out, err);
	free(out);
	free(err);
	sock_assert_driver(NIC0, "vfio-pci");
	state = sock_read_text(in_tree("state.json"), NULL);
	cr_assert(strstr(state, NIC0), "%s", state);
	free(state);
}

Test(files, a_fake_root_daemon_without_run_dir_or_socket_listens_inside_the_tree)
{
	const char *argv[32];
	struct stat st;

	need_private_run();
	harness_write_conf(&sock_d, "DEFAULT " NIC0 "\n");
	private_daemon_argv(argv, "mount -t tmpfs tmpfs /run && exec \"$@\"", NULL);
	harness_spawn(&sock_d, argv);
	util_strlcpy(sock_d.sock, in_tree("vfiobind.sock"), sizeof(sock_d.sock));
	cr_assert(harness_wait_socket(&sock_d, 10000), "no socket at %s:\n%s", sock_d.sock,
		  sock_read_text(sock_d.log, NULL));
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	cr_assert_eq(lstat(in_tree("state.json"), &st), 0);
	sock_assert_daemon_healthy();
}

/* ==== 2. a FIFO where a file should be ==== */

/* A FIFO at the config path blocked the event loop in open(): the socket
 * stopped answering. */
Test(files, a_fifo_at_the_config_path_keeps_the_socket_answering_and_the_last_good_config)
{
	char *out, *err;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(mkfifo(at("fifo"), 0644), 0);
	cr_assert_eq(rename(at("fifo"), sock_d.conf), 0);
	cr_assert(harness_wait_log(&sock_d, "not a regular file (a FIFO)", 10000), "%s",
		  sock_read_text(sock_d.log, NULL));
	cr_assert_eq(sock_vb(NULL, NULL, "ping", NULL), 0, "the socket stopped answering");
	rc = sock_vb(&out, &err, "config", NULL);
	cr_assert(strstr(out, "not a regular file (a FIFO)") || strstr(err, "not a regular file"),
		  "exit %d: %s%s", rc, out, err);
	free(out);
	free(err);
	cr_assert_eq(sock_vb(NULL, NULL, "reload", NULL), 1, "a reload reports the refusal");
	sock_assert_driver(NIC0, "vfio-pci");
	sock_assert_daemon_healthy();
}

/* A FIFO state.json blocked start-up forever. */
Test(files, a_fifo_state_file_is_refused_and_start_up_completes)
{
	struct stat st;

	cr_assert_eq(mkfifo(at("state.json"), 0644), 0);
	sock_start("DEFAULT " NIC0 "\n");
	cr_assert(harness_log_has(&sock_d, "state.json: not a regular file (a FIFO); kept aside "
					   "as "),
		  "%s", sock_read_text(sock_d.log, NULL));
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(lstat(at("state.json"), &st), 0);
	cr_assert(S_ISREG(st.st_mode), "the next save replaces it with the state");
	sock_assert_daemon_healthy();
}

/* ==== 4. add under the shipped unit's capabilities ==== */

/* The unit's bounding set: CAP_SYS_MODULE, CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH (no CAP_CHOWN, no CAP_DAC_OVERRIDE, no CAP_FOWNER);
 * root keeps its uid. */
static void start_as_the_unit(const char *conf, gid_t gid)
{
	const char *setpriv[] = { "/usr/bin/setpriv", "--bounding-set",
				   "-all,+sys_module,+sys_ptrace,+dac_read_search", NULL };

	need_root();
	if (access(setpriv[0], X_OK) < 0)
		cr_skip_test("no setpriv (util-linux)");
	harness_write_conf(&sock_d, conf);
	/* before the start: a change seen later would be a reload of its own */
	cr_assert_eq(chown(sock_d.conf, 0, gid), 0);
	harness_start_wrapped(&sock_d, setpriv, FAKE, sock_fs, NULL);
	cr_assert(harness_wait_socket(&sock_d, 10000), "%s", sock_read_text(sock_d.log, NULL));
	cr_assert(harness_wait_log(&sock_d, "first pass done: ready", 10000));
}

Test(files, under_the_units_capabilities_add_keeps_the_acl_and_xattrs_of_a_root_file)
{
	char acl[TESTACL_MAX], got[TESTACL_MAX];
	size_t len;
	char *out, *err;
	int rc;

	start_as_the_unit("DEFAULT " NIC0 "\n", 0);
	len = testacl_named_user(acl, OTHER_UID);
	if (setxattr(sock_d.conf, TESTACL_ACCESS, acl, len, 0) < 0)
		cr_skip_test("no POSIX ACLs here: %s", strerror(errno));
	cr_assert_eq(setxattr(sock_d.conf, "user.vfiobind.test", "kept", 4, 0), 0);
	rc = sock_vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 0, "%s%s", out, err);
	free(out);
	free(err);
	cr_assert_eq(getxattr(sock_d.conf, TESTACL_ACCESS, got, sizeof(got)), (ssize_t)len,
		     "the ACL was lost");
	cr_assert_eq(memcmp(got, acl, len), 0, "the ACL changed");
	cr_assert_eq(getxattr(sock_d.conf, "user.vfiobind.test", got, sizeof(got)), 4);
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

/* Under the unit, root:adm once silently became root:root. */
Test(files, under_the_units_capabilities_add_refuses_a_group_it_cannot_keep)
{
	char *out, *err, *text;
	struct stat st;
	int rc;

	start_as_the_unit("DEFAULT " NIC0 "\n", OTHER_GID);
	rc = sock_vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 1, "%s%s", out, err);
	cr_assert(strstr(err, "config-readonly"), "%s", err);
	cr_assert(strstr(err, "cannot keep the file's group") && strstr(err, "without CAP_CHOWN"),
		  "%s", err);
	free(out);
	free(err);
	cr_assert_eq(stat(sock_d.conf, &st), 0);
	cr_assert_eq(st.st_gid, OTHER_GID);
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(text, "DEFAULT " NIC0 "\n");
	free(text);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0, "--runtime works");
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}
