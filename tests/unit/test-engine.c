/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-engine.c: the daemon's reconcile loop on a fake sysfs tree with the
 * fake kernel: passes, coalescing, backoff, hand rebinds, hotplug, restarts,
 * invalid config kept out, and a stuck sysfs write that blocks nothing else.
 * Time is the stepper's (tests/lib/stepper.h): a test steps it, it never
 * waits for it, so every duration asserted here is exact. */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "fakesys.h"
#include "logcap.h"
#include "stepper.h"
#include "enginefix.h"
#include "log.h"
#include "util.h"
#include "clock.h"

static struct enginefix fx;
static struct engine *eng;

static void write_conf(const char *text)
{
	enginefix_write_conf(&fx, text);
}

static void add_nic(const char *bdf, int group)
{
	enginefix_add_nic(&fx, bdf, group);
}

static struct engine *make_engine(const struct sysfs_ops *ops, int stuck_ms)
{
	struct engine_opts o = enginefix_opts(&fx);

	o.sysfs = ops;
	o.stuck_ms = stuck_ms;
	/* --once runs its own loop: a test that cleared the clock gets the
	 * system's. */
	o.clock = fx.step.clock.mono_ms ? &fx.step.clock : NULL;
	return enginefix_engine(&fx, &o);
}

/* Start, and let the first pass's work and what follows from it happen. */
static void start_and_settle(void)
{
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
}

static void setup(void)
{
	enginefix_setup(&fx, "engine");
	add_nic("0000:00:02.0", 1);
	add_nic("0000:00:03.0", 2);
	add_nic("0000:00:04.0", 3);
	eng = NULL;
}

static void teardown(void)
{
	enginefix_teardown(&fx);
}

TestSuite(engine, .init = setup, .fini = teardown, .timeout = 30);

static bool on(const char *bdf, const char *driver)
{
	char *d = fakesys_driver(fx.fs, bdf);
	bool r = d ? driver && strcmp(d, driver) == 0 : driver == NULL;

	free(d);
	return r;
}

static bool dev2_vfio(void) { return on("0000:00:02.0", "vfio-pci"); }
static bool dev2_e1000e(void) { return on("0000:00:02.0", "e1000e"); }
static bool dev2_given_back(void)
{
	return dev2_e1000e() && !managed_find(engine_managed(eng), "0000:00:02.0");
}
static bool dev3_vfio(void) { return on("0000:00:03.0", "vfio-pci"); }
static bool dev9_vfio(void) { return on("0000:00:09.0", "vfio-pci"); }
static bool dev2_failed(void)
{
	const struct devtab_entry *d = engine_dev_info(eng, "0000:00:02.0");

	return d && d->failures > 0;
}

/* The state dev2's view says now (what status, watch and the logs say). */
static enum proto_state dev2_state(void)
{
	const struct plan *p = engine_plan(eng);

	for (size_t i = 0; p && i < p->n_statuses; i++)
		if (!p->statuses[i].pf_claim && strcmp(p->statuses[i].bdf, "0000:00:02.0") == 0)
			return engine_view(eng, &p->statuses[i]).state;
	return (enum proto_state)-1;
}

Test(engine, start_binds_configured_devices_and_records_the_original_driver)
{
	write_conf("DEFAULT 0000:00:02.0\nworker-1 0000:00:03.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	cr_assert(on("0000:00:03.0", "e1000e"), "another node's line is ignored");
	const struct managed_dev *m = managed_find(engine_managed(eng), "0000:00:02.0");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->original_driver, "e1000e");
	cr_assert_eq(m->since_ms, STEPPER_WALL_MS, "the take is dated in epoch time");
	cr_assert_eq(fakesys_new_id_writes(fx.fs), 0);
}

Test(engine, removed_line_gives_the_device_back_to_its_driver)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	write_conf("# nothing\n");
	cr_assert_eq(engine_reload(eng, "test"), 0);
	stepper_settle(&fx.step);
	cr_assert(dev2_given_back(), "back on e1000e and no longer managed");
}

Test(engine, invalid_config_keeps_the_last_good_one_in_force)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:99.9 numfs=3\n");
	cr_assert_eq(engine_reload(eng, "test"), -EINVAL);
	cr_assert_eq(engine_config(eng)->n_entries, 1);
	cr_assert_geq(engine_config_errors(eng)->n, 1);
	stepper_settle(&fx.step);
	cr_assert(dev2_vfio(), "the device stays where the good config put it");
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	cr_assert_eq(engine_reload(eng, "fixed"), 0);
	cr_assert_eq(engine_config_errors(eng)->n, 0, "fixing the file clears the errors");
	stepper_settle(&fx.step);
	cr_assert(dev3_vfio());
}

Test(engine, a_missing_file_at_start_holds_every_device_as_it_is)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	engine_free(eng);
	/* Restarted with no file at all: releasing what state.json lists
	 * would take the device from whoever uses it. */
	cr_assert_eq(unlink(fx.conf), 0);
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(engine_config_missing(eng));
	cr_assert(dev2_vfio(), "a missing file gave the device back");
	cr_assert_not_null(managed_find(engine_managed(eng), "0000:00:02.0"));
	cr_assert(on("0000:00:03.0", "e1000e"), "and took nothing");
}

Test(engine, a_file_that_disappears_keeps_the_last_good_config)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	cr_assert_eq(unlink(fx.conf), 0);
	cr_assert_eq(engine_reload(eng, "test"), -ENOENT);
	stepper_advance(&fx.step, 10000);
	cr_assert(engine_config_missing(eng));
	cr_assert_eq(engine_config(eng)->n_entries, 1, "the last good config stays in force");
	cr_assert(dev2_vfio(), "a missing file gave the device back");
	/* It comes back: a config that is read normally again. */
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	cr_assert_eq(engine_reload(eng, "test"), 0);
	cr_assert_not(engine_config_missing(eng));
	stepper_settle(&fx.step);
	cr_assert(dev3_vfio());
}

static struct engine *make_graceful_engine(int grace_ms)
{
	struct engine_opts o = enginefix_opts(&fx);

	o.release_grace_ms = grace_ms;
	return enginefix_engine(&fx, &o);
}

Test(engine, a_file_rewritten_in_place_releases_nothing_it_still_asks_for)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_graceful_engine(2000);
	start_and_settle();
	cr_assert(dev2_vfio());
	/* A tool truncates the file, the watch fires, then it writes again. */
	write_conf("");
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	stepper_advance(&fx.step, 1000);
	cr_assert(dev2_vfio(), "released during the grace");
	write_conf("DEFAULT 0000:00:02.0\n");
	stepper_advance(&fx.step, 5000);
	cr_assert(dev2_vfio(), "released what the file, read again, still asks for");
	cr_assert_eq(engine_counters(eng)->restores, 0);
}

Test(engine, a_release_that_stays_in_the_file_happens_after_the_grace)
{
	long long changed;

	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_graceful_engine(2000);
	start_and_settle();
	write_conf("# released\n");
	changed = fx.step.mono;
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	stepper_advance(&fx.step, changed + 1999 - fx.step.mono);
	cr_assert(dev2_vfio(), "released before the grace ended");
	stepper_advance(&fx.step, 1);
	stepper_settle(&fx.step);
	cr_assert(dev2_given_back());
}

Test(engine, an_edit_the_daemon_made_itself_releases_at_once)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_graceful_engine(2000);
	start_and_settle();
	write_conf("# removed by vfiobind remove\n");
	cr_assert_eq(engine_reload_edited(eng, "client edit"), 0);
	stepper_settle(&fx.step);
	cr_assert(dev2_given_back(), "a whole file written by the daemon waited out the grace");
}

Test(engine, burst_of_events_gives_one_pass)
{
	unsigned long before;

	write_conf("DEFAULT id=8086:10d3\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	before = engine_counters(eng)->passes;
	for (int i = 0; i < 128; i++)
		engine_device_event(eng, "change", "0000:00:04.0");
	stepper_settle(&fx.step);
	cr_assert_eq(engine_counters(eng)->passes - before, 1, "%lu passes for 128 events",
		     engine_counters(eng)->passes - before);
	cr_assert_eq(engine_counters(eng)->events - 0, 128);
}

Test(engine, a_pass_waits_out_the_coalescing_window)
{
	unsigned long before;

	write_conf("DEFAULT id=8086:10d3\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	before = engine_counters(eng)->passes;
	engine_device_event(eng, "change", "0000:00:04.0");
	cr_assert_eq(engine_next_wakeup(eng), fx.step.mono + 10, "the window is coalesce_ms");
	stepper_advance(&fx.step, 9);
	cr_assert_eq(engine_counters(eng)->passes, before, "a pass before the window closed");
	stepper_advance(&fx.step, 1);
	cr_assert_eq(engine_counters(eng)->passes, before + 1);
}

Test(engine, a_config_reload_runs_its_pass_without_the_window)
{
	unsigned long before;

	write_conf("DEFAULT id=8086:10d3\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	before = engine_counters(eng)->passes;
	/* The watch gathered the save's burst already: one whole change. */
	write_conf("DEFAULT 0000:00:04.0\n");
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	cr_assert_eq(engine_next_wakeup(eng), fx.step.mono, "due at once, not after coalesce_ms");
	stepper_advance(&fx.step, 0);
	cr_assert_eq(engine_counters(eng)->passes, before + 1);
}

/* The kind of each pass, in order ("full"/"partial"), for the tests below. */
static char pass_kinds[16][8];
static size_t n_pass_kinds;

static void note_pass(const struct engine_event *ev, void *ud)
{
	(void)ud;
	if (ev->kind == PROTO_EVENT_PASS && n_pass_kinds < 16)
		snprintf(pass_kinds[n_pass_kinds++], sizeof(pass_kinds[0]), "%s", ev->state);
}

/* Start with events live or not, then save text as the config file and let
 * its pass run: what kind of pass was it? */
static const char *pass_for_save(bool events_live, const char *text)
{
	eng = make_engine(&fx.kops, 10000);
	engine_set_events_live(eng, events_live);
	start_and_settle();
	n_pass_kinds = 0;
	engine_set_event_cb(eng, note_pass, NULL);
	write_conf(text);
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	stepper_advance(&fx.step, 0);
	cr_assert_geq(n_pass_kinds, 1, "the save's pass ran");
	return pass_kinds[0];
}

Test(engine, a_config_save_with_pci_events_live_plans_from_the_model_they_keep)
{
	/* udev keeps the model: a save does not read 170 functions again
	 * (~130 ms under TCG) before it moves the one it names. */
	write_conf("# none yet\n");
	cr_assert_str_eq(pass_for_save(true, "DEFAULT 0000:00:02.0\n"), PROTO_PASS_PARTIAL);
	stepper_settle(&fx.step);
	cr_assert(dev2_vfio(), "the partial pass moved it all the same");
}

Test(engine, a_config_save_from_the_model_reads_what_it_moves_first)
{
	const struct managed_dev *m;

	write_conf("# none yet\n");
	eng = make_engine(&fx.kops, 10000);
	engine_set_events_live(eng, true);
	start_and_settle();
	/* Moved to another driver by hand; its event is not here yet. */
	cr_assert_eq(fakesys_add_driver(fx.fs, "igb"), 0);
	cr_assert_eq(fakesys_set_driver(fx.fs, "0000:00:02.0", "igb"), 0);
	write_conf("DEFAULT 0000:00:02.0\n");
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	stepper_settle(&fx.step);
	cr_assert(dev2_vfio());
	m = managed_find(engine_managed(eng), "0000:00:02.0");
	cr_assert_not_null(m);
	cr_assert_str_eq(m->original_driver, "igb", "what sysfs said, not what the model had");
}

Test(engine, a_config_save_without_pci_events_rescans_every_device)
{
	/* --udev-source none: the model is only as fresh as the last scan. */
	write_conf("# none yet\n");
	cr_assert_str_eq(pass_for_save(false, "DEFAULT 0000:00:02.0\n"), PROTO_PASS_FULL);
	stepper_settle(&fx.step);
	cr_assert(dev2_vfio());
}

Test(engine, a_config_save_naming_an_interface_rescans_every_device)
{
	/* A rename raises no PCI event (udev names a hot-plugged NIC after its
	 * bind event): a line by name finds the name it has now. */
	cr_assert_eq(fakesys_set_ifname(fx.fs, "0000:00:02.0", "eth0"), 0);
	write_conf("# none yet\n");
	eng = make_engine(&fx.kops, 10000);
	engine_set_events_live(eng, true);
	start_and_settle();
	cr_assert_eq(fakesys_set_ifname(fx.fs, "0000:00:02.0", NULL), 0);
	cr_assert_eq(fakesys_set_ifname(fx.fs, "0000:00:02.0", "enp0s2"), 0);
	n_pass_kinds = 0;
	engine_set_event_cb(eng, note_pass, NULL);
	write_conf("DEFAULT ifname=enp0s2\n");
	cr_assert_eq(engine_reload(eng, "file changed"), 0);
	stepper_settle(&fx.step);
	cr_assert_str_eq(pass_kinds[0], PROTO_PASS_FULL);
	cr_assert(dev2_vfio(), "found by the name it has now");
}

Test(engine, a_runtime_change_follows_the_same_rule)
{
	struct config *c = NULL;
	const char *text = "DEFAULT pf=eth9\n";

	write_conf("# none yet\n");
	eng = make_engine(&fx.kops, 10000);
	engine_set_events_live(eng, true);
	start_and_settle();
	n_pass_kinds = 0;
	engine_set_event_cb(eng, note_pass, NULL);
	cr_assert_eq(config_parse("runtime", text, strlen(text), &c, NULL), 0);
	cr_assert_eq(engine_apply_config(eng, c), 0);
	stepper_advance(&fx.step, 0);
	cr_assert_str_eq(pass_kinds[0], PROTO_PASS_FULL, "a PF by name: the names now");
	text = "DEFAULT 0000:00:03.0\n";
	c = NULL;
	cr_assert_eq(config_parse("runtime", text, strlen(text), &c, NULL), 0);
	n_pass_kinds = 0;
	cr_assert_eq(engine_apply_config(eng, c), 0);
	stepper_advance(&fx.step, 0);
	cr_assert_str_eq(pass_kinds[0], PROTO_PASS_PARTIAL);
	stepper_settle(&fx.step);
	cr_assert(dev3_vfio());
}

Test(engine, backoff_doubles_from_one_second_to_five_minutes)
{
	cr_assert_eq(devtab_backoff_ms(1), 1000);
	cr_assert_eq(devtab_backoff_ms(2), 2000);
	cr_assert_eq(devtab_backoff_ms(3), 4000);
	cr_assert_eq(devtab_backoff_ms(9), 256000);
	cr_assert_eq(devtab_backoff_ms(10), 300000);
	cr_assert_eq(devtab_backoff_ms(1000), 300000);
}

Test(engine, failing_bind_is_retried_with_backoff_not_spun)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	fakesys_fault(fx.fs, FAKESYS_FAULT_UNBIND, "0000:00:02.0", EBUSY, -1);
	eng = make_engine(&fx.kops, 10000);
	long long started = fx.step.mono;
	start_and_settle();
	cr_assert(dev2_failed());
	const struct devtab_entry *d = engine_dev_info(eng, "0000:00:02.0");
	cr_assert_eq(d->last_errno, EBUSY);
	cr_assert(strstr(d->last_error, "Device or resource busy"), "%s", d->last_error);
	cr_assert_eq(d->retry_at_ms, started + 1000, "the first retry is 1 s after the failure");
	cr_assert_eq(d->attempts, 1);
	cr_assert_eq(dev2_state(), PROTO_STATE_ERROR, "a failed action is the state");
	unsigned long passes = engine_counters(eng)->passes;
	/* Up to a millisecond before the retry is due: nothing at all. */
	stepper_advance(&fx.step, started + 999 - fx.step.mono);
	cr_assert_eq(engine_counters(eng)->passes, passes, "no spinning while backing off");
	cr_assert_eq(engine_dev_info(eng, "0000:00:02.0")->attempts, 1);
	/* Due: tried again, failed again, and the next delay doubles. */
	stepper_advance(&fx.step, 1);
	stepper_settle(&fx.step);
	d = engine_dev_info(eng, "0000:00:02.0");
	cr_assert_eq(d->attempts, 2);
	cr_assert_eq(d->failures, 2);
	cr_assert_eq(d->retry_at_ms, started + 1000 + 10 + 2000,
		     "retried after the window, next delay 2 s");
	cr_assert(dev2_e1000e(), "a failed unbind leaves the device on its driver");
}

static int drift_warnings;
static void count_drift(enum log_level l, const char *line, void *ud)
{
	(void)ud;
	if (l == LOG_LVL_WARNING && strstr(line, "behind vfiobindd's back"))
		drift_warnings++;
}

static bool dev2_converged(void)
{
	const struct devtab_entry *d = engine_dev_info(eng, "0000:00:02.0");

	return d && d->told && d->state == PROTO_STATE_CONVERGED && dev2_vfio();
}

Test(engine, device_rebound_by_hand_is_taken_back_with_one_warning)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_converged());
	drift_warnings = 0;
	log_set_sink(count_drift, NULL);
	/* As real udev reports a hand rebind: unbind first, then bind. */
	cr_assert_eq(fakesys_set_driver(fx.fs, "0000:00:02.0", NULL), 0);
	engine_device_event(eng, "unbind", "0000:00:02.0");
	cr_assert_eq(fakesys_set_driver(fx.fs, "0000:00:02.0", "e1000e"), 0);
	engine_device_event(eng, "bind", "0000:00:02.0");
	stepper_settle(&fx.step);
	cr_assert(dev2_converged());
	logcap_quiet();
	cr_assert_eq(drift_warnings, 1, "%d warnings", drift_warnings);
}

Test(engine, hotplugged_device_matching_a_line_is_bound_on_arrival)
{
	write_conf("DEFAULT id=8086:10d3\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	add_nic("0000:00:09.0", 9);
	engine_device_event(eng, "add", "0000:00:09.0");
	stepper_settle(&fx.step);
	cr_assert(dev9_vfio());
}

Test(engine, restarted_daemon_remembers_original_drivers)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	engine_free(eng);
	write_conf("");
	eng = make_engine(&fx.kops, 10000);
	cr_assert_not_null(managed_find(engine_managed(eng), "0000:00:02.0"));
	start_and_settle();
	cr_assert(dev2_e1000e());
}

Test(engine, dry_run_writes_nothing)
{
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	struct engine_opts o = enginefix_opts(&fx);
	unsigned writes = fakesys_write_count(fx.fs);

	o.node_name = "n";
	o.run_dir = NULL;
	o.dry_run = true;
	o.sysfs = &sysfs_ops_deny;
	o.modules = &modules_ops_none;
	eng = enginefix_engine(&fx, &o);
	start_and_settle();
	cr_assert_eq(fakesys_write_count(fx.fs), writes);
	cr_assert(dev2_e1000e());
	cr_assert_eq(engine_plan(eng)->n_actions, 2, "it still plans both binds");
}

/* Hang dev2's writes until release_hang(). */
static struct sysfs_ops hang_ops(void)
{
	return enginefix_hang_ops(&fx, "0000:00:02.0");
}

static void release_hang(void)
{
	enginefix_release_hang(&fx);
}

Test(engine, stuck_write_blocks_neither_the_loop_nor_other_devices)
{
	struct sysfs_ops hang = hang_ops();

	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	eng = make_engine(&hang, 100);
	start_and_settle();
	cr_assert(dev3_vfio(), "the other device moves meanwhile");
	cr_assert_eq(dev2_state(), PROTO_STATE_PENDING, "not stuck before the timeout");
	const struct devtab_entry *d = engine_dev_info(eng, "0000:00:02.0");
	cr_assert_eq(d->in_flight_since_ms, STEPPER_START_MS);
	cr_assert_eq(engine_next_wakeup(eng), STEPPER_START_MS + 101,
		     "the engine wakes up when the action turns stuck");
	stepper_advance(&fx.step, STEPPER_START_MS + 101 - fx.step.mono);
	cr_assert_eq(dev2_state(), PROTO_STATE_STUCK, "the hung device is reported stuck");
	cr_assert_eq(engine_dev_info(eng, "0000:00:02.0")->reason_hash,
		     devtab_reason_hash(VIEW_STUCK_REASON), "and the log and watch were told so");
	release_hang();
	cr_assert(dev2_vfio(), "released, it completes");
	cr_assert_eq(dev2_state(), PROTO_STATE_CONVERGED);
}

/* While dev2's write hangs, the loop does not read dev2: reading a real
 * device's driver_override waits for an unbind stuck in vfio-pci's remove()
 * (a VM that does not let go), for ever. Here its vendor file is made
 * unreadable (a directory): read, it would drop out of the model. An event
 * about it and a full rescan leave it as it was, and the other device
 * moves. */
Test(engine, the_loop_never_reads_a_device_a_worker_is_writing)
{
	struct sysfs_ops hang = hang_ops();
	unsigned long passes;
	char path[256];
	FILE *f;

	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	eng = make_engine(&hang, 100);
	start_and_settle();
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:02.0/vendor", fakesys_root(fx.fs));
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkdir(path, 0755), 0);
	logcap_start();
	passes = engine_counters(eng)->passes;
	engine_device_event(eng, "change", "0000:00:02.0");
	engine_request_pass(eng, true, "test");
	stepper_settle(&fx.step);
	cr_assert(strstr(logcap_text(), "0000:00:02.0: a write to it is in the kernel: read later"),
		  "%s", logcap_text());
	logcap_quiet();
	cr_assert_gt(engine_counters(eng)->passes, passes, "no pass ran");
	cr_assert_not_null(pci_find(engine_pci(eng), "0000:00:02.0"), "the rescan read it");
	cr_assert(dev3_vfio());
	cr_assert_eq(dev2_state(), PROTO_STATE_STUCK);
	cr_assert_eq(rmdir(path), 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("0x8086\n", f);
	fclose(f);
	release_hang();
	cr_assert(dev2_vfio(), "released, it completes");
}

static int settled_calls;
static size_t settled_done;
static bool settled_ok, settled_converged;
static void on_settled(void *ud, const struct plan_action *done, const bool *ok, size_t n,
		       bool converged)
{
	(void)ud;
	settled_calls++;
	settled_done = n;
	settled_ok = n && ok[0] && strcmp(done[0].bdf, "0000:00:02.0") == 0;
	settled_converged = converged;
}

Test(engine, reconcile_waiter_fires_after_the_pass_work_settles)
{
	write_conf("");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	write_conf("DEFAULT 0000:00:02.0\n");
	engine_reload(eng, "test");
	settled_calls = 0;
	cr_assert_not_null(engine_wait_settled(eng, on_settled, NULL));
	engine_request_pass(eng, true, "test");
	stepper_settle(&fx.step);
	cr_assert_eq(settled_calls, 1);
	cr_assert_eq(settled_done, 1, "the bind it waited for is listed");
	cr_assert(settled_ok);
	cr_assert(settled_converged);
	cr_assert(dev2_vfio());
}

Test(engine, reconcile_waiter_does_not_wait_for_a_stuck_action)
{
	struct sysfs_ops hang = hang_ops();

	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&hang, 100);
	settled_calls = 0;
	cr_assert_not_null(engine_wait_settled(eng, on_settled, NULL));
	start_and_settle();
	cr_assert_eq(settled_calls, 0, "settled while the action could still finish in time");
	stepper_advance(&fx.step, 100);
	cr_assert_eq(settled_calls, 1, "settles once the action counts as stuck");
	cr_assert_not(settled_converged);
	release_hang();
	cr_assert(dev2_vfio());
}

static int ready_calls;
static bool ready_dev2_vfio;
static void on_ready(void *ud)
{
	(void)ud;
	ready_calls++;
	ready_dev2_vfio = dev2_vfio();
}

Test(engine, ready_only_after_the_first_pass_work_is_done)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	ready_calls = 0;
	engine_set_ready_cb(eng, on_ready, NULL);
	start_and_settle();
	cr_assert_eq(ready_calls, 1);
	cr_assert(ready_dev2_vfio, "READY came before the device was bound");
	engine_request_pass(eng, true, "test");
	stepper_settle(&fx.step);
	cr_assert_eq(ready_calls, 1, "ready is said once");
}

Test(engine, ready_does_not_wait_for_a_stuck_action)
{
	struct sysfs_ops hang = hang_ops();

	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&hang, 100);
	ready_calls = 0;
	engine_set_ready_cb(eng, on_ready, NULL);
	start_and_settle();
	cr_assert_eq(ready_calls, 0);
	stepper_advance(&fx.step, 100);
	cr_assert_eq(ready_calls, 1, "a hung driver held READY back");
	cr_assert_not(ready_dev2_vfio);
	release_hang();
	cr_assert(dev2_vfio());
}

/* An SR-IOV PF whose VF driver nothing provides: VFs stay driverless. */
static void add_pf(const char *bdf, int group, const char *vf_driver)
{
	struct fakesys_dev d;

	fakesys_add_driver(fx.fs, "ixgbe");
	fakesys_dev_init(&d, bdf, "ixgbe", group);
	d.totalvfs = 4;
	d.vf_driver = vf_driver;
	cr_assert_eq(fakesys_add_device(fx.fs, &d), 0);
}

static bool vfs01_vfio(void)
{
	const struct pci_state *st = engine_pci(eng);
	int n = 0;

	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->devs[i].physfn, "0000:00:05.0") == 0 && st->devs[i].vf_index <= 1 &&
		    on(st->devs[i].bdf, "vfio-pci"))
			n++;
	return n == 2;
}

Test(engine, unclaimed_vf_no_driver_takes_is_given_back_once_not_in_a_loop)
{
	unsigned long passes, restores;

	add_pf("0000:00:05.0", 5, "iavf"); /* iavf: no such driver or module */
	write_conf("DEFAULT 0000:00:05.0 numvfs=4 vfs=0-1\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(vfs01_vfio());
	passes = engine_counters(eng)->passes;
	restores = engine_counters(eng)->restores;
	cr_assert_eq(engine_next_wakeup(eng), 0, "nothing left to do, and no timer");
	stepper_advance(&fx.step, 500);
	cr_assert_eq(engine_counters(eng)->passes - passes, 0, "%lu passes while nothing changed",
		     engine_counters(eng)->passes - passes);
	cr_assert_eq(engine_counters(eng)->restores, restores, "restores go on in a loop");
}

static int pf_vfs_on_vfio(void)
{
	const struct pci_state *st = engine_pci(eng);
	int n = 0;

	for (size_t i = 0; st && i < st->n; i++)
		if (strcmp(st->devs[i].physfn, "0000:00:05.0") == 0 && on(st->devs[i].bdf, "vfio-pci"))
			n++;
	return n;
}

/* The guest's case: numvfs=4 vfs=0,2 hands VFs 1 and 3 to the kernel, whose
 * nvme binds, fails its probe a moment later ("Device not ready") and lets
 * go. The kernel says so with a bind and an unbind event. */
#define NVME_VF1 "0000:00:06.1"
#define NVME_VF3 "0000:00:06.3"

static void start_nvme_vfs(void)
{
	fakesys_add_driver(fx.fs, "nvme");
	add_pf("0000:00:05.0", 5, "nvme");
	write_conf("DEFAULT 0000:00:05.0 numvfs=4 vfs=0,2\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
}

/* nvme's failed probe: bind event while it still holds the VF (as udev may
 * deliver it), then it lets go and the unbind event follows. */
static void nvme_lets_go(const char *vf)
{
	if (!on(vf, "nvme"))
		return;
	engine_device_event(eng, "bind", vf);
	cr_assert_eq(fakesys_set_driver(fx.fs, vf, NULL), 0);
	engine_device_event(eng, "unbind", vf);
}

static bool all_converged(void)
{
	const struct plan *p = engine_plan(eng);

	for (size_t i = 0; p && i < p->n_statuses; i++)
		if (!p->statuses[i].pf_claim &&
		    engine_view(eng, &p->statuses[i]).state != PROTO_STATE_CONVERGED)
			return false;
	return true;
}

/* Start on the guest's case and let nvme fail on VFs 1 and 3 once: the
 * restores made. */
static unsigned long nvme_vfs_given_back(void)
{
	start_nvme_vfs();
	nvme_lets_go(NVME_VF1);
	nvme_lets_go(NVME_VF3);
	stepper_advance(&fx.step, 1000);
	return engine_counters(eng)->restores;
}

Test(engine, a_vf_whose_driver_fails_its_probe_is_given_back_once_and_settles)
{
	unsigned long restores = nvme_vfs_given_back();
	int unsettled = 0;

	cr_assert_eq(restores, 2, "each unselected VF is given to the kernel once");
	/* A minute of the kernel doing what it does, 100 ms at a time. */
	for (int i = 0; i < 600; i++) {
		nvme_lets_go(NVME_VF1);
		nvme_lets_go(NVME_VF3);
		stepper_advance(&fx.step, 100);
		unsettled += !all_converged();
	}
	cr_assert_eq(engine_counters(eng)->restores, restores,
		     "%lu more restores in a minute: the daemon's own events re-armed them",
		     engine_counters(eng)->restores - restores);
	cr_assert_eq(unsettled, 0, "status left converged %d times in a minute", unsettled);
	cr_assert(on(NVME_VF1, NULL) && on(NVME_VF3, NULL), "they rest with no driver");
	cr_assert(on("0000:00:06.0", "vfio-pci") && on("0000:00:06.2", "vfio-pci"));
}

/* udev may tell of the VFs our own count change made after they were
 * given back: the model knows them already, so that is no news. */
Test(engine, a_late_add_event_of_a_vf_it_knows_is_not_news)
{
	unsigned long restores = nvme_vfs_given_back();

	engine_device_event(eng, "add", NVME_VF1);
	engine_device_event(eng, "add", NVME_VF3);
	stepper_advance(&fx.step, 60000);
	cr_assert_eq(engine_counters(eng)->restores, restores, "given back again");
}

/* Someone else takes the VFs away and makes them again: new functions,
 * which nvme takes and lets go; each is given back once more, then rests. */
Test(engine, vfs_made_anew_by_someone_else_are_given_back_again_once)
{
	static const char *const vfs[] = { "0000:00:06.0", NVME_VF1, "0000:00:06.2", NVME_VF3 };
	unsigned long restores = nvme_vfs_given_back();
	char path[256];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:05.0/sriov_numvfs",
		 fakesys_root(fx.fs));
	cr_assert_eq(fx.kops.write(fx.kops.ud, path, "0", 1), 0);
	for (size_t i = 0; i < ARRAY_SIZE(vfs); i++)
		engine_device_event(eng, "remove", vfs[i]);
	cr_assert_eq(fx.kops.write(fx.kops.ud, path, "4", 1), 0); /* autoprobe on: nvme takes all */
	for (size_t i = 0; i < ARRAY_SIZE(vfs); i++)
		engine_device_event(eng, "add", vfs[i]);
	stepper_settle(&fx.step);
	nvme_lets_go(NVME_VF1);
	nvme_lets_go(NVME_VF3);
	stepper_settle(&fx.step);
	cr_assert_eq(engine_counters(eng)->restores, restores + 2);
	for (int i = 0; i < 100; i++) {
		nvme_lets_go(NVME_VF1);
		nvme_lets_go(NVME_VF3);
		stepper_advance(&fx.step, 600);
	}
	cr_assert_eq(engine_counters(eng)->restores, restores + 2, "and they settle again");
	cr_assert(on("0000:00:06.0", "vfio-pci") && on("0000:00:06.2", "vfio-pci"));
	cr_assert(all_converged());
}

Test(engine, a_vf_left_without_a_driver_backs_off_before_it_is_given_back_again)
{
	char path[256];
	long long given;

	add_pf("0000:00:05.0", 5, "iavf"); /* iavf: no such driver or module */
	write_conf("DEFAULT 0000:00:05.0 numvfs=4 vfs=0-1\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	given = fx.step.mono;
	cr_assert_eq(engine_dev_info(eng, "0000:00:06.2")->hand_backs, 1);
	/* Someone steers it (an override) and pokes it: news, but the next
	 * restore waits out the backoff of the first hand-back (1 s). */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:06.2/driver_override",
		 fakesys_root(fx.fs));
	cr_assert_eq(fx.kops.write(fx.kops.ud, path, "vfio-pci", 8), 0);
	engine_device_event(eng, "change", "0000:00:06.2");
	stepper_settle(&fx.step);
	cr_assert_eq(engine_dev_info(eng, "0000:00:06.2")->attempts, 1, "not before the backoff");
	stepper_advance(&fx.step, given + 1000 - fx.step.mono);
	stepper_settle(&fx.step);
	cr_assert_eq(engine_dev_info(eng, "0000:00:06.2")->attempts, 2, "given back after it");
	cr_assert_eq(engine_dev_info(eng, "0000:00:06.2")->hand_backs, 2, "next backoff 2 s");
}

Test(engine, vf_binds_wait_for_their_pf_count_change)
{
	static char logged[64 * 1024];
	char path[256];
	const char *numvfs, *bind_vf;

	add_pf("0000:00:05.0", 5, "e1000e"); /* VFs come up on a host driver */
	/* Two VFs the administrator made, on e1000e, before any line names them. */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:05.0/sriov_numvfs",
		 fakesys_root(fx.fs));
	cr_assert_eq(fx.kops.write(fx.kops.ud, path, "2", 1), 0);
	cr_assert(on("0000:00:06.0", "e1000e"));
	write_conf("");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	/* Now a line wants 4 VFs on vfio-pci: the count goes 2 -> 0 -> 4, so the
	 * two existing VFs are about to be removed; binding them now would race
	 * their removal (and record e1000e as where they came from). */
	logcap_start();
	write_conf("DEFAULT 0000:00:05.0 numvfs=4\n");
	engine_reload(eng, "test");
	stepper_settle(&fx.step);
	cr_assert_eq(pf_vfs_on_vfio(), 4);
	util_strlcpy(logged, logcap_text(), sizeof(logged));
	logcap_quiet();
	numvfs = strstr(logged, "I numvfs 0000:00:05.0: 2 -> 4");
	cr_assert_not_null(numvfs, "%s", logged);
	bind_vf = strstr(logged, "I bind 0000:00:06.0");
	cr_assert_not_null(bind_vf, "%s", logged);
	cr_assert_gt(bind_vf, numvfs, "a VF bind was started before its PF's count change: %s",
		     logged);
	cr_assert_null(strstr(logged, "I bind 0000:00:06.0: e1000e ->"),
		       "a bind was planned against the VF about to be removed: %s", logged);
}

Test(engine, an_invalid_first_config_holds_every_device_as_it_is)
{
	write_conf("DEFAULT 0000:00:02.0\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio());
	engine_free(eng);
	/* Restarted on a broken file: giving everything back would pull the
	 * device from under whoever uses it. */
	write_conf("DEFAULT 0000:00:02.0 numfs=2\n");
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_vfio(), "the device was given back on a broken config");
	cr_assert_not_null(managed_find(engine_managed(eng), "0000:00:02.0"));
	write_conf("# fixed: nothing wanted\n");
	cr_assert_eq(engine_reload(eng, "fixed"), 0);
	stepper_settle(&fx.step);
	cr_assert(dev2_given_back(), "a good config then applies");
}

Test(engine, a_device_is_not_touched_when_its_origin_cannot_be_recorded)
{
	char cmd[160];

	write_conf("DEFAULT 0000:00:02.0\n");
	/* The state file's place is a directory: every save fails. */
	cr_assert_lt(snprintf(cmd, sizeof(cmd), "mkdir -p '%s/state.json' '%s/.state.json.tmp'",
			      fx.dir, fx.dir), (int)sizeof(cmd));
	cr_assert_eq(system(cmd), 0);
	eng = make_engine(&fx.kops, 10000);
	start_and_settle();
	cr_assert(dev2_failed());
	cr_assert(dev2_e1000e(), "bound without a record of its original driver");
	cr_assert(strstr(engine_dev_info(eng, "0000:00:02.0")->last_error, "state.json"), "%s",
		  engine_dev_info(eng, "0000:00:02.0")->last_error);
	cr_assert_null(managed_find(engine_managed(eng), "0000:00:02.0"));
}

/* --once on the system's clock (the stepper's is manual: nothing would
 * wake its loop); the exit code. */
static int run_once(void)
{
	fx.step.clock = (struct engine_clock){ 0 };
	eng = make_engine(&fx.kops, 10000);
	return engine_run_once(eng);
}

Test(engine, once_with_addresses_only_reads_those_devices_not_every_one)
{
	write_conf("DEFAULT 0000:00:02.0\nworker-9 id=8086:10d3\n");
	cr_assert_eq(run_once(), 0);
	cr_assert(dev2_vfio());
	cr_assert_eq(engine_pci(eng)->n, 1, "its own IOMMU group: one function read, not %zu", engine_pci(eng)->n);
}

Test(engine, once_with_a_line_by_id_reads_every_device)
{
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT id=1234:5678\n");
	cr_assert_eq(run_once(), 0);
	cr_assert(dev2_vfio());
	cr_assert_eq(engine_pci(eng)->n, 3);
}

Test(engine, once_reads_what_state_json_lists_too)
{
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	cr_assert_eq(run_once(), 0);
	engine_free(eng);
	/* 03.0 left the file: --once gives it back, having read it. */
	write_conf("DEFAULT 0000:00:02.0\n");
	cr_assert_eq(run_once(), 0);
	cr_assert(dev2_vfio());
	cr_assert(on("0000:00:03.0", "e1000e"), "given back: it was read");
	cr_assert_null(managed_find(engine_managed(eng), "0000:00:03.0"));
}

Test(engine, once_moves_every_device_and_tries_each_once)
{
	write_conf("DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\nDEFAULT 0000:00:04.0\n");
	fakesys_fault(fx.fs, FAKESYS_FAULT_UNBIND, "0000:00:04.0", EBUSY, -1);
	eng = make_engine(&fx.kops, 10000);
	/* --once runs its own loop on the system's clock (the stepper's is
	 * manual: nothing would wake the loop). */
	engine_free(eng);
	fx.step.clock = (struct engine_clock){ 0 };
	eng = make_engine(&fx.kops, 10000);
	cr_assert_eq(engine_run_once(eng), 1, "one device failed: exit 1");
	cr_assert(dev2_vfio());
	cr_assert(dev3_vfio());
	cr_assert(on("0000:00:04.0", "e1000e"));
	cr_assert_eq(engine_dev_info(eng, "0000:00:04.0")->attempts, 1, "--once never retries");
	cr_assert_eq(engine_counters(eng)->failures, 1);
}
