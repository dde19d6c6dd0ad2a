/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-engine-health.c: what the engine tells the fleet, on a fake sysfs
 * tree with the fake kernel and the stepper's clock: the node's health as
 * the engine sees it, health waiters (answered when the devices settle, or
 * at their deadline), the reports that write the metrics and NFD files (one
 * deadline among the engine's, at most once per interval, a refresh when
 * idle and no wakeup otherwise), and the action counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "fakesys.h"
#include "logcap.h"
#include "stepper.h"
#include "enginefix.h"

#define NIC0 "0000:00:02.0"
#define NIC1 "0000:00:03.0"

static struct enginefix fx;
static struct engine *eng;

static void write_conf(const char *text)
{
	enginefix_write_conf(&fx, text);
}

static void make_engine(bool dry_run)
{
	struct engine_opts o = enginefix_opts(&fx);

	o.dry_run = dry_run;
	if (dry_run)
		o.sysfs = &sysfs_ops_deny;
	eng = enginefix_engine(&fx, &o);
}

static void setup(void)
{
	enginefix_setup(&fx, "health");
	enginefix_add_nic(&fx, NIC0, 1);
	enginefix_add_nic(&fx, NIC1, 2);
	eng = NULL;
}

static void teardown(void)
{
	enginefix_teardown(&fx);
}

TestSuite(engine_health, .init = setup, .fini = teardown, .timeout = 30);

static struct health node(void)
{
	struct health h;

	engine_health(eng, NULL, 0, &h);
	return h;
}

/* ---- health as the engine sees it ---- */

Test(engine_health, a_bound_device_makes_a_healthy_node)
{
	write_conf("DEFAULT " NIC0 "\nDEFAULT 0000:00:1f.0\n");
	make_engine(false);
	cr_assert_eq(engine_start(eng), 0);
	cr_assert_not(node().settled, "the bind runs");
	cr_assert_eq(node().word, HEALTH_PROGRESSING);
	stepper_settle(&fx.step);
	cr_assert(node().settled);
	cr_assert_eq(node().word, HEALTH_HEALTHY, "%s", node().reason);
	cr_assert_eq(node().by_state[PROTO_STATE_ABSENT], 1, "a line for hardware this node lacks");
}

Test(engine_health, a_failed_bind_degrades_the_node_with_the_kernels_words)
{
	write_conf("DEFAULT " NIC0 "\n");
	fakesys_fault(fx.fs, FAKESYS_FAULT_UNBIND, NIC0, -EBUSY, -1);
	make_engine(false);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	cr_assert(node().settled, "an error is an outcome: nothing more to wait for");
	cr_assert_eq(node().word, HEALTH_DEGRADED);
	cr_assert(strstr(node().reason, NIC0 ": error: "), "%s", node().reason);
	cr_assert(strstr(node().reason, "Device or resource busy"), "%s", node().reason);
	cr_assert_eq(engine_counters(eng)->actions_failed[PROTO_ACTION_BIND], 1);
	cr_assert_eq(engine_counters(eng)->actions_ok[PROTO_ACTION_BIND], 0);
}

Test(engine_health, a_rejected_file_degrades_a_node_whose_devices_are_fine)
{
	write_conf("DEFAULT " NIC0 "\n");
	make_engine(false);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	cr_assert_eq(engine_counters(eng)->actions_ok[PROTO_ACTION_BIND], 1);
	write_conf("DEFAULT bogus\n");
	cr_assert_eq(engine_reload(eng, "test"), -EINVAL);
	cr_assert(node().settled);
	cr_assert_eq(node().word, HEALTH_DEGRADED);
	cr_assert(strstr(node().reason, "rejected"), "%s", node().reason);
}

Test(engine_health, no_config_yet_is_not_settled)
{
	make_engine(false);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	cr_assert_not(node().settled, "every device is held until a config exists");
	cr_assert_str_eq(node().waiting, "a valid config (none loaded yet)");
}

/* ---- health waiters ---- */

static int answers;
static bool answered_settled;
static void on_health(void *ud, bool settled)
{
	(void)ud;
	answers++;
	answered_settled = settled;
}

Test(engine_health, a_waiter_is_answered_once_the_devices_it_names_settle)
{
	struct cfg_selector only = { .kind = CFG_SEL_BDF };

	write_conf("");
	make_engine(false);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	answers = 0;
	write_conf("DEFAULT " NIC0 "\n");
	cr_assert_eq(engine_reload(eng, "test"), 0);
	cr_assert_eq(bdf_parse(NIC0, &only.addr), 0);
	cr_assert_not(node().settled, "a pass is due: the old plan does not count");
	cr_assert_not_null(engine_wait_health(eng, &only, 1, 60000, on_health, NULL));
	cr_assert_eq(answers, 0, "never answered from within the call");
	stepper_settle(&fx.step);
	cr_assert_eq(answers, 1);
	cr_assert(answered_settled);
	cr_assert(node().healthy);
}

Test(engine_health, a_waiter_is_answered_unsettled_at_its_deadline)
{
	write_conf("DEFAULT " NIC0 "\n");
	make_engine(true); /* a dry run never binds: the device stays pending */
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	answers = 0;
	cr_assert_not_null(engine_wait_health(eng, NULL, 0, 5000, on_health, NULL));
	cr_assert_eq(engine_next_wakeup(eng), fx.step.mono + 5000, "the deadline is a wakeup");
	stepper_advance(&fx.step, 4999);
	cr_assert_eq(answers, 0);
	stepper_advance(&fx.step, 1);
	cr_assert_eq(answers, 1);
	cr_assert_not(answered_settled);
}

Test(engine_health, a_cancelled_waiter_is_never_answered)
{
	struct engine_waiter *w;

	write_conf("DEFAULT " NIC0 "\n");
	make_engine(true);
	cr_assert_eq(engine_start(eng), 0);
	answers = 0;
	w = engine_wait_health(eng, NULL, 0, 1000, on_health, NULL);
	cr_assert_not_null(w);
	engine_wait_cancel(eng, w);
	stepper_advance(&fx.step, 2000);
	cr_assert_eq(answers, 0);
}

/* ---- reports ---- */

static int reports;
static struct health report_health;
static void on_report(void *ud)
{
	(void)ud;
	reports++;
	report_health = node();
}

/* Start on a line for NIC0 with reports at most once a second, refreshed
 * every refresh_ms (0: never), and let the first pass happen. */
static void start_reporting(int refresh_ms)
{
	write_conf("DEFAULT " NIC0 "\n");
	make_engine(false);
	reports = 0;
	engine_set_report_cb(eng, on_report, NULL, 1000, refresh_ms);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
}

Test(engine_health, a_report_follows_a_change_at_most_once_per_interval)
{
	start_reporting(0);
	cr_assert_eq(reports, 1, "the first pass is reported at once");
	/* the bind finished within the interval: its report waits for it */
	stepper_advance(&fx.step, 800);
	cr_assert_eq(reports, 1);
	stepper_advance(&fx.step, 200);
	cr_assert_eq(reports, 2);
	cr_assert(report_health.healthy, "the report sees the bound device");
	cr_assert_eq(engine_next_wakeup(eng), 0, "nothing changes: no wakeup at all");
}

Test(engine_health, an_idle_engine_wakes_only_for_the_refresh)
{
	start_reporting(60000);
	stepper_advance(&fx.step, 1000);
	cr_assert_eq(reports, 2);
	long long last = fx.step.mono;
	cr_assert_leq(engine_next_wakeup(eng), last + 60000);
	stepper_advance(&fx.step, 60000);
	cr_assert_eq(reports, 3, "refreshed once, though nothing changed");
}

Test(engine_health, a_rejected_file_is_reported_though_no_pass_follows)
{
	start_reporting(0);
	stepper_advance(&fx.step, 2000);
	int before = reports;
	write_conf("DEFAULT bogus\n");
	cr_assert_eq(engine_reload(eng, "test"), -EINVAL);
	cr_assert_neq(engine_next_wakeup(eng), 0, "the report is due");
	stepper_settle(&fx.step);
	cr_assert_eq(reports, before + 1);
	cr_assert_eq(report_health.word, HEALTH_DEGRADED);
}

Test(engine_health, the_last_pass_is_dated_in_epoch_time)
{
	write_conf("");
	make_engine(false);
	cr_assert_eq(engine_last_pass_ms(eng), 0);
	cr_assert_eq(engine_start(eng), 0);
	cr_assert_eq(engine_last_pass_ms(eng), STEPPER_WALL_MS);
}
