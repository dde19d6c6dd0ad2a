/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-restart.c: what a daemon started again finds of the last one's
 * work, on the same run dir and fake kernel.
 *  - A state.json it cannot use (corrupt, of a newer version, with entries
 *    it cannot read) is kept aside, never overwritten, and what it listed is
 *    not given back (daemon/engine-state.c).
 *  - A daemon killed at any write of an action: what the kill left half
 *    done is undone or finished (daemon/engine-recover.c), whatever the
 *    config says at the restart. The killed daemon is the real one,
 *    tests/daemon/vfiobindd-fake --once, whose sysfs door raises SIGKILL
 *    just before its Nth write (VFIOBIND_FAKE_KILL_AT), for every N the
 *    action makes; its state.json is whatever it had written by then.
 * The restarted engine runs on the stepper's clock. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-harness.h"
#include "engine.h"
#include "fakesys.h"
#include "fileio.h"
#include "logcap.h"
#include "state.h"
#include "stepper.h"
#include "util.h"

#define NIC "0000:00:02.0"
#define NIC2 "0000:00:03.0"
#define PF "0000:00:05.0"
#define VF0 "0000:00:06.0"	/* the fake kernel's VF i: device + 1 + i / 8, function i % 8 */
#define VF1 "0000:00:06.1"

static struct fakesys *fs;
static struct sysfs_ops kops;
static struct modules_ops mops;
static struct event_base *base;
static struct engine *eng;
static struct stepper step;
static char run[64], conf[128];

/* A fresh machine: two NICs on e1000e, one SR-IOV PF whose VFs a host
 * driver (ixgbevf) takes whenever sriov_drivers_autoprobe lets it, and
 * vfio-pci as a module; an empty run dir with the config in it. */
static void world_new(const char *config)
{
	struct fakesys_dev d;

	fs = fakesys_new();
	cr_assert_not_null(fs);
	fakesys_add_driver(fs, "e1000e");
	fakesys_add_driver(fs, "ixgbe");
	fakesys_add_driver(fs, "ixgbevf");
	fakesys_add_module(fs, "vfio-pci", NULL);
	fakesys_dev_init(&d, NIC, "e1000e", 1);
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	fakesys_dev_init(&d, NIC2, "e1000e", 2);
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	fakesys_dev_init(&d, PF, "ixgbe", 5);
	d.totalvfs = 4;
	d.vf_driver = "ixgbevf";
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	kops = fakesys_kernel_ops(fs);
	mops = fakesys_modules_ops(fs);
	snprintf(run, sizeof(run), "/tmp/vb-recover-XXXXXX");
	cr_assert_not_null(mkdtemp(run));
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", run);
	harness_replace_file(conf, config);
	base = event_base_new();
	cr_assert_not_null(base);
	eng = NULL;
	stepper_init(&step, base);
}

static void world_free(void)
{
	char cmd[96];

	if (!fs)
		return;
	engine_free(eng);
	eng = NULL;
	event_base_free(base);
	fakesys_free(fs);
	fs = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run);
	cr_assert_eq(system(cmd), 0);
}

static void suite_init(void)
{
	logcap_quiet();
	evthread_use_pthreads();
}

static void suite_fini(void)
{
	world_free();
	logcap_stop();
}

TestSuite(restart, .init = suite_init, .fini = suite_fini, .timeout = 60);

static void set_conf(const char *text)
{
	harness_replace_file(conf, text);
}

/* ---- the daemon that is killed ---- */

/* Run the real daemon (tests/daemon/vfiobindd-fake, --once: until its work
 * settled; no release grace: --once settles before a grace ends) on the
 * config, SIGKILLed by its sysfs door just before its write
 * number at (VFIOBIND_FAKE_KILL_AT): true when it was killed, false when it
 * settled first (it makes fewer writes than that). */
static bool run_killed_at(int at)
{
	char n[16], log[96];
	const char *argv[] = {
		harness_bin("tests/daemon/vfiobindd-fake"), "--once", "--config", conf,
		"--sysfs-root", fakesys_root(fs), "--run-dir", run, "--node-name", "worker-0",
		"--log-level", "debug", "--release-grace", "0", NULL,
	};
	int status;
	pid_t pid;

	snprintf(n, sizeof(n), "%d", at);
	snprintf(log, sizeof(log), "%s/killed.log", run);
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("VFIOBIND_FAKE_KILL_AT", n, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return true;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the daemon to be killed at write %d ended on its own (status %#x): see %s", at,
		  status, log);
	return false;
}

/* ---- the daemon started again ---- */

static void restart(void)
{
	struct engine_opts o = {
		.config_path = conf, .sysfs_root = fakesys_root(fs), .node_name = "worker-0",
		.run_dir = run, .stuck_ms = 10000, .coalesce_ms = 10, .workers = 2, .sysfs = &kops,
		.modules = &mops, .clock = &step.clock,
	};

	eng = step.eng = engine_new(base, &o);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&step);
}

static void expect_attr(const char *bdf, const char *attr, const char *want, int at)
{
	char rel[128], *v;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", bdf, attr);
	v = fakesys_read(fs, rel);
	cr_assert_not_null(v, "%s: no %s", bdf, attr);
	cr_assert_str_eq(v, want, "killed before write %d: %s %s is %s", at, bdf, attr, v);
	free(v);
}

static void expect_driver(const char *bdf, const char *want, int at)
{
	char *d = fakesys_driver(fs, bdf);

	cr_assert_str_eq(d ? d : "(none)", want, "killed before write %d: %s on %s", at, bdf,
			 d ? d : "no driver");
	free(d);
}

/* ---- the tests: a state.json the daemon cannot use ---- */

static void write_run_file(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static char *read_run_file(const char *name)
{
	char path[160], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", run, name);
	return fileio_read_file(path, 1 << 20, &text, NULL) == 0 ? text : NULL;
}

static const char *only_aside(void)
{
	const char *names[4];

	cr_assert_eq(engine_state_aside(eng, names, 4), 1, "one file kept aside");
	return names[0];
}

#define LOST_STATE "{ \"version\": 1, \"devices\": [ { \"device\": \"" NIC "\", \"orig"

Test(restart, a_corrupt_state_file_is_kept_aside_not_overwritten)
{
	char *text, path[160];
	struct managed_set back = { 0 };
	char why[256];

	world_new("");
	fakesys_add_driver(fs, "vfio-pci");
	cr_assert_eq(fakesys_set_driver(fs, NIC, "vfio-pci"), 0);
	write_run_file("state.json", LOST_STATE);
	set_conf("DEFAULT 0000:00:03.0\n");
	restart();
	expect_driver(NIC2, "vfio-pci", 0);
	expect_driver(NIC, "vfio-pci", 0);
	text = read_run_file(only_aside());
	cr_assert_not_null(text);
	cr_assert_str_eq(text, LOST_STATE, "the bad file was not kept byte for byte");
	free(text);
	cr_assert_eq(state_load(run, &back, why, sizeof(why)), 0, "%s", why);
	cr_assert_not_null(managed_find(&back, NIC2), "the new state.json is whole");
	managed_clear(&back);
	/* The operator removes it once the devices are seen to. */
	snprintf(path, sizeof(path), "%s/%s", run, only_aside());
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(engine_state_aside(eng, (const char *[1]){ 0 }, 1), 0);
}

Test(restart, a_state_file_of_a_newer_version_gives_back_nothing_it_lists)
{
	world_new("");
	fakesys_add_driver(fs, "vfio-pci");
	cr_assert_eq(fakesys_set_driver(fs, NIC, "vfio-pci"), 0);
	write_run_file("state.json",
		       "{ \"version\": 7, \"devices\": [ { \"device\": \"" NIC "\","
		       " \"original_driver\": \"e1000e\", \"driver\": \"vfio-pci\" } ] }\n");
	set_conf("# nothing claimed: a file of ours would give 00:02.0 back\n");
	restart();
	expect_driver(NIC, "vfio-pci", 0);
	cr_assert_eq(engine_counters(eng)->restores, 0);
	cr_assert(strstr(only_aside(), "state.json.bad-"), "%s", only_aside());
}

Test(restart, a_file_kept_aside_is_still_named_after_a_restart)
{
	world_new("");
	write_run_file("state.json", "not json");
	restart();
	cr_assert_not_null(only_aside());
	engine_free(eng);
	restart();
	cr_assert(strstr(only_aside(), "state.json.bad-"), "forgotten at the restart");
}

Test(restart, the_readable_entries_of_a_damaged_file_are_used_and_it_is_kept_aside)
{
	world_new("");
	fakesys_add_driver(fs, "vfio-pci");
	cr_assert_eq(fakesys_set_driver(fs, NIC, "vfio-pci"), 0);
	write_run_file("state.json",
		       "{ \"version\": 1, \"devices\": [ { \"device\": \"" NIC "\","
		       " \"original_driver\": \"e1000e\", \"driver\": \"vfio-pci\" },"
		       " { \"device\": \"garbage\" } ] }\n");
	set_conf("");
	restart();
	expect_driver(NIC, "e1000e", 0);
	cr_assert_null(managed_find(engine_managed(eng), NIC), "the entry that could be read was not used");
	cr_assert_not_null(only_aside(), "the entry that could not be read left no trace");
}

/* ---- the tests: an action cut short ---- */

/* A kill scenario: the config the daemon to be killed runs, what changes
 * between the kill and the restart, and what the restart must leave. */
struct kill_case {
	const char *config;
	void (*before)(void);			/* before that daemon starts, or NULL */
	void (*meanwhile)(bool killed);		/* after the kill, or NULL */
	void (*expect)(bool killed, int at);
};

/* For every write of the action, from the first: a fresh machine, the
 * daemon killed just before that write, a restart, the checks; the last
 * round is the daemon that made all its writes. How many writes it made. */
static int each_kill_point(const struct kill_case *c)
{
	for (int at = 1;; at++) {
		bool killed;

		world_new(c->config);
		if (c->before)
			c->before();
		killed = run_killed_at(at);
		if (c->meanwhile)
			c->meanwhile(killed);
		restart();
		c->expect(killed, at);
		world_free();
		if (!killed)
			return at - 1;
	}
}

static void expect_two_vfs_and_autoprobe_on(bool killed, int at)
{
	expect_attr(PF, "sriov_drivers_autoprobe", "1", at);
	expect_attr(PF, "sriov_numvfs", "2", at);
	expect_driver(VF0, "vfio-pci", at);
	expect_driver(VF1, "vfio-pci", at);
}

/* sriov_drivers_autoprobe is turned off while the VFs are created: a kill
 * before it is turned on again left it off for good, and no host driver
 * could take the PF's VFs any more. */
Test(restart, a_kill_at_any_write_of_a_vf_count_change_leaves_autoprobe_on)
{
	const struct kill_case c = { "DEFAULT " PF " numvfs=2\n", NULL, NULL,
				     expect_two_vfs_and_autoprobe_on };

	/* autoprobe off, the count, autoprobe on, then each VF's bind. */
	cr_assert_geq(each_kill_point(&c), 3);
}

static void line_gone(bool killed)
{
	set_conf("# no VFs any more\n");
}

static void expect_no_vfs_and_autoprobe_on(bool killed, int at)
{
	expect_attr(PF, "sriov_drivers_autoprobe", "1", at);
	expect_attr(PF, "sriov_numvfs", "0", at);
}

/* The same when the restarted daemon's config no longer asks for VFs. */
Test(restart, a_vf_count_change_cut_short_is_undone_when_the_line_is_gone)
{
	const struct kill_case c = { "DEFAULT " PF " numvfs=2\n", NULL, line_gone,
				     expect_no_vfs_and_autoprobe_on };

	cr_assert_geq(each_kill_point(&c), 3);
}

/* The plan of the restart holds the NIC back: its line is there, but the
 * IOMMU is off now. */
static void held_back(bool killed)
{
	if (killed)
		cr_assert_eq(fakesys_set_iommu(fs, false), 0);
}

static void expect_nic_back_without_override(bool killed, int at)
{
	if (!killed) {
		expect_driver(NIC, "vfio-pci", at);
		return;
	}
	expect_driver(NIC, "e1000e", at);
	expect_attr(NIC, "driver_override", "(null)", at);
}

/* A bind cut short and a restart whose plan holds the device back: nothing
 * may stay half done, neither our override on a device still on its driver
 * nor a device unbound and never probed. */
Test(restart, a_bind_cut_short_leaves_no_override_and_no_driverless_device)
{
	const struct kill_case c = { "DEFAULT " NIC "\n", NULL, held_back,
				     expect_nic_back_without_override };

	/* override, unbind, drivers_probe */
	cr_assert_eq(each_kill_point(&c), 3);
}

static void expect_nic_bound_from_e1000e(bool killed, int at)
{
	expect_driver(NIC, "vfio-pci", at);
	cr_assert_str_eq(managed_find(engine_managed(eng), NIC)->original_driver, "e1000e",
			 "killed before write %d: the origin is lost", at);
}

Test(restart, a_bind_cut_short_is_finished_when_the_config_still_asks_for_it)
{
	const struct kill_case c = { "DEFAULT " NIC "\n", NULL, NULL,
				     expect_nic_bound_from_e1000e };

	cr_assert_eq(each_kill_point(&c), 3);
}

/* The NIC bound by a daemon that is gone, and its line removed since. */
static void bound_then_released(void)
{
	restart();
	expect_driver(NIC, "vfio-pci", 0);
	engine_free(eng);
	eng = NULL;
	set_conf("# given back\n");
}

/* ... and claimed again when the daemon that gave it back was killed. */
static void claimed_again_but_held_back(bool killed)
{
	if (!killed)
		return;
	set_conf("DEFAULT " NIC "\n");
	held_back(killed);
}

static void expect_nic_on_a_driver(bool killed, int at)
{
	char *d = fakesys_driver(fs, NIC);

	if (!killed)
		expect_driver(NIC, "e1000e", at);
	cr_assert_not_null(d, "killed before write %d: left without a driver", at);
	free(d);
}

/* A restore cut short after its unbind, then a restart whose config claims
 * the device again but holds it back: it must not stay without a driver. */
Test(restart, a_restore_cut_short_is_finished_even_when_the_device_is_held_back)
{
	const struct kill_case c = { "DEFAULT " NIC "\n", bound_then_released,
				     claimed_again_but_held_back, expect_nic_on_a_driver };

	/* override cleared, unbind, drivers_probe */
	cr_assert_eq(each_kill_point(&c), 3);
}
