/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-gate.c: the action gate (logic/gate.c), the device view
 * (logic/view.c) and the device table (logic/devtab.c): pure, from tables. */
#include <criterion/criterion.h>
#include <string.h>

#include "devtab.h"
#include "gate.h"
#include "view.h"

#define NOW 1000000LL

static struct pci_state pci;
static struct pci_dev devs[4];
static struct managed_set managed;
static struct devtab tab;
static struct plan plan;
static struct plan_action acts[4];
static long long release_after;

static void dev(int i, const char *bdf, const char *driver, const char *physfn)
{
	memset(&devs[i], 0, sizeof(devs[i]));
	cr_assert_eq(bdf_parse(bdf, &devs[i].addr), 0);
	bdf_format(&devs[i].addr, devs[i].bdf);
	strcpy(devs[i].driver, driver);
	strcpy(devs[i].physfn, physfn);
}

static struct plan_action *act(int i, enum proto_action_kind kind, const char *bdf)
{
	memset(&acts[i], 0, sizeof(acts[i]));
	acts[i].kind = kind;
	strcpy(acts[i].bdf, bdf);
	strcpy(acts[i].driver, "vfio-pci");
	plan.n_actions = (size_t)i + 1 > plan.n_actions ? (size_t)i + 1 : plan.n_actions;
	return &acts[i];
}

static void setup(void)
{
	release_after = 0;
	memset(&tab, 0, sizeof(tab));
	memset(&managed, 0, sizeof(managed));
	memset(&plan, 0, sizeof(plan));
	plan.actions = acts;
	dev(0, "0000:03:00.0", "igb", "");		/* a PF */
	dev(1, "0000:03:10.0", "igbvf", "0000:03:00.0");	/* its VF */
	dev(2, "0000:04:00.0", "e1000e", "");
	dev(3, "0000:05:00.0", "vfio-pci", "");
	pci.devs = devs;
	pci.n = 4;
}

static void teardown(void)
{
	devtab_clear(&tab);
	managed_clear(&managed);
}

TestSuite(gate, .init = setup, .fini = teardown);

static enum gate_verdict check(const struct plan_action *a, bool dry, bool once)
{
	struct gate g = { .dry_run = dry, .once = once, .now = NOW, .pci = &pci,
			  .managed = &managed, .devs = &tab, .release_after = release_after };
	enum gate_verdict v;

	cr_assert_eq(gate_init(&g, &plan), 0);
	v = gate_check(&g, a);
	gate_clear(&g);
	return v;
}

Test(gate, an_action_on_an_idle_device_runs)
{
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN);
}

Test(gate, one_action_at_a_time_per_device)
{
	devtab_get(&tab, "0000:04:00.0", true)->in_flight = true;
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false),
		     GATE_IN_FLIGHT);
}

Test(gate, a_failed_device_waits_out_its_backoff_to_the_millisecond)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	devtab_note_failure(d, -16, "unbind: Device or resource busy", NOW - 1000);
	cr_assert_eq(d->retry_at_ms, NOW);
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN,
		     "due exactly at retry_at");
	d->retry_at_ms = NOW + 1;
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false),
		     GATE_BACKOFF);
}

Test(gate, once_tries_each_device_once_and_the_daemon_retries)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	d->attempts = 1;
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, true), GATE_ONE_TRY);
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN);
}

Test(gate, a_restore_handed_back_waits_for_an_event_but_a_bind_does_not)
{
	devtab_note_hand_back(devtab_get(&tab, "0000:04:00.0", true));
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false),
		     GATE_HANDED_BACK);
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN);
}

Test(gate, a_restore_that_left_no_driver_also_waits_out_a_backoff_after_the_event)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	devtab_note_hand_back(d);
	devtab_note_left_driverless(d, NOW - 1000);
	d->handed_back = false; /* an event not of the daemon's doing came */
	cr_assert_eq(d->hand_back_until_ms, NOW);
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false), GATE_RUN,
		     "due exactly when the backoff ends");
	d->hand_back_until_ms = NOW + 1;
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false),
		     GATE_HANDED_BACK);
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN);
}

Test(gate, a_vf_waits_while_its_pf_count_is_planned_to_change)
{
	act(0, PROTO_ACTION_NUMVFS, "0000:03:00.0");
	cr_assert_eq(check(act(1, PROTO_ACTION_BIND, "0000:03:10.0"), false, false),
		     GATE_PF_CHANGING);
	cr_assert_eq(check(&acts[0], false, false), GATE_RUN, "the count change itself runs");
	cr_assert_eq(check(act(2, PROTO_ACTION_BIND, "0000:04:00.0"), false, false), GATE_RUN,
		     "other devices do not wait");
}

Test(gate, a_vf_waits_while_its_pf_count_is_changing_in_a_worker)
{
	struct devtab_entry *pf = devtab_get(&tab, "0000:03:00.0", true);

	pf->in_flight = true;
	pf->in_flight_kind = PROTO_ACTION_NUMVFS;
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:03:10.0"), false, false),
		     GATE_PF_CHANGING);
	pf->in_flight_kind = PROTO_ACTION_BIND;
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:03:10.0"), false, false), GATE_RUN,
		     "a PF's own bind does not remove its VFs");
}

Test(gate, a_dry_run_says_everything_and_does_nothing)
{
	cr_assert_eq(check(act(0, PROTO_ACTION_BIND, "0000:04:00.0"), true, false), GATE_DRY_RUN);
}

Test(gate, a_restore_to_where_the_device_already_is_is_forgotten)
{
	struct managed_dev m = { .bdf = "0000:04:00.0", .original_driver = "e1000e",
				 .driver = "vfio-pci" };

	cr_assert_eq(managed_add(&managed, &m), 0);
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false),
		     GATE_FORGET);
	strcpy(devs[2].driver_override, "vfio-pci");
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false), GATE_RUN,
		     "an override left behind still needs clearing");
}

Test(gate, a_release_waits_out_the_grace_after_a_file_change_and_a_bind_does_not)
{
	struct plan_action *numvfs;

	release_after = NOW + 1;
	cr_assert_eq(check(act(0, PROTO_ACTION_RESTORE, "0000:04:00.0"), false, false),
		     GATE_GRACE);
	numvfs = act(1, PROTO_ACTION_NUMVFS, "0000:03:00.0");
	numvfs->current_numvfs = 4;
	cr_assert_eq(check(numvfs, false, false), GATE_GRACE, "removing VFs is a release");
	numvfs->current_numvfs = 0;
	cr_assert_eq(check(numvfs, false, false), GATE_RUN, "creating VFs from none is not");
	cr_assert_eq(check(act(2, PROTO_ACTION_BIND, "0000:05:00.0"), false, false), GATE_RUN,
		     "taking a device is never held back by the grace");
	release_after = NOW;
	cr_assert_eq(check(&acts[0], false, false), GATE_RUN, "the grace ends at release_after");
}

/* --- the device view ------------------------------------------------------- */

static struct plan_status status(enum proto_state state, const char *reason)
{
	struct plan_status st = { .bdf = "0000:04:00.0", .state = state };

	st.reason = reason;
	return st;
}

Test(gate, the_view_is_the_plan_when_the_runtime_has_nothing_to_add)
{
	struct plan_status st = status(PROTO_STATE_BLOCKED, "eth0 has 10.0.0.5/24");
	struct view_dev v = view_device(&st, NULL, NOW, 10000);

	cr_assert_eq(v.state, PROTO_STATE_BLOCKED);
	cr_assert_str_eq(v.reason, "eth0 has 10.0.0.5/24");
}

Test(gate, the_view_says_stuck_after_the_timeout_and_not_a_millisecond_before)
{
	struct plan_status st = status(PROTO_STATE_PENDING, "bind to vfio-pci");
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	d->in_flight = true;
	d->in_flight_since_ms = NOW;
	cr_assert_eq(view_device(&st, d, NOW + 10000, 10000).state, PROTO_STATE_PENDING);
	cr_assert_eq(view_stuck_at(d, NOW, 10000), NOW + 10001);
	cr_assert_eq(view_device(&st, d, NOW + 10001, 10000).state, PROTO_STATE_STUCK);
	cr_assert_str_eq(view_device(&st, d, NOW + 10001, 10000).reason, VIEW_STUCK_REASON);
	cr_assert_eq(view_stuck_at(d, NOW + 10001, 10000), 0, "stuck already: no deadline");
}

Test(gate, the_view_says_error_with_the_kernels_words_after_a_failure)
{
	struct plan_status st = status(PROTO_STATE_PENDING, "bind to vfio-pci");
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	devtab_note_failure(d, 16, "unbind 0000:04:00.0 from e1000e: Device or resource busy", NOW);
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_ERROR);
	cr_assert_str_eq(view_device(&st, d, NOW, 10000).reason,
			 "unbind 0000:04:00.0 from e1000e: Device or resource busy");
	d->in_flight = true;
	d->in_flight_since_ms = NOW;
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_PENDING,
		     "being retried: pending again");
	st.state = PROTO_STATE_BLOCKED;
	d->in_flight = false;
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_BLOCKED,
		     "a reason not to move beats an old failure");
}

Test(gate, the_view_says_converged_of_a_device_given_back_that_no_driver_kept)
{
	struct plan_status st = status(PROTO_STATE_PENDING, "no longer in config: back to the "
				       "kernel's choice");
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	strcpy(st.current, "vfio-pci");
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_PENDING);
	devtab_note_hand_back(d);
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_PENDING,
		     "a plan from before the restore is not where it rests");
	st.current[0] = '\0';
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_CONVERGED);
	cr_assert_str_eq(view_device(&st, d, NOW, 10000).reason, "");
	strcpy(st.desired, "vfio-pci");
	cr_assert_eq(view_device(&st, d, NOW, 10000).state, PROTO_STATE_PENDING,
		     "a claim to bind is not settled by a hand-back");
}

/* --- the device table -------------------------------------------------------- */

Test(gate, hand_backs_that_leave_no_driver_back_off_longer_each_time_until_forgotten)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	devtab_note_hand_back(d);
	devtab_note_left_driverless(d, NOW);
	cr_assert_eq(d->hand_back_until_ms, NOW + 1000);
	devtab_note_left_driverless(d, NOW);
	cr_assert_eq(d->hand_backs, 2);
	cr_assert_eq(d->hand_back_until_ms, NOW + 2000);
	cr_assert_eq(d->failures, 0, "a hand-back is not a failure");
	devtab_forget_hand_backs(d);
	cr_assert_not(d->handed_back);
	cr_assert_eq(d->hand_backs, 0);
	cr_assert_eq(d->hand_back_until_ms, 0);
}

Test(gate, the_table_stays_sorted_and_finds_what_it_holds)
{
	const char *names[] = { "0000:09:00.0", "0000:01:00.0", "0000:05:00.1", "0000:05:00.0" };

	for (size_t i = 0; i < 4; i++)
		cr_assert_not_null(devtab_get(&tab, names[i], true));
	cr_assert_eq(tab.n, 4);
	for (size_t i = 1; i < tab.n; i++)
		cr_assert_lt(strcmp(tab.v[i - 1].bdf, tab.v[i].bdf), 0);
	cr_assert_not_null(devtab_find(&tab, "0000:05:00.1"));
	cr_assert_null(devtab_find(&tab, "0000:05:00.2"));
	cr_assert_eq(devtab_get(&tab, "0000:05:00.1", true), devtab_find(&tab, "0000:05:00.1"),
		     "no duplicate");
	cr_assert_eq(tab.n, 4);
}

Test(gate, pruning_keeps_planned_and_busy_devices_only)
{
	struct plan_status st[1] = { { .bdf = "0000:02:00.0", .reason = "" } };
	struct plan p = { .statuses = st, .n_statuses = 1 };

	devtab_get(&tab, "0000:01:00.0", true);
	devtab_get(&tab, "0000:02:00.0", true);
	devtab_get(&tab, "0000:03:00.0", true)->in_flight = true;
	devtab_get(&tab, "0000:04:00.0", true)->handed_back = true;
	devtab_prune(&tab, &p);
	cr_assert_eq(tab.n, 3);
	cr_assert_null(devtab_find(&tab, "0000:01:00.0"));
}

Test(gate, backoff_doubles_from_one_second_to_five_minutes_and_a_success_clears_it)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:04:00.0", true);

	cr_assert_eq(devtab_backoff_ms(1), 1000);
	cr_assert_eq(devtab_backoff_ms(9), 256000);
	cr_assert_eq(devtab_backoff_ms(10), 300000);
	devtab_note_failure(d, -5, NULL, NOW);
	devtab_note_failure(d, -5, NULL, NOW);
	cr_assert_eq(d->failures, 2);
	cr_assert_eq(d->retry_at_ms, NOW + 2000);
	cr_assert_str_eq(d->last_error, "the last action failed (errno 5)");
	devtab_note_success(d);
	cr_assert_eq(d->failures, 0);
	cr_assert_eq(d->retry_at_ms, 0);
	cr_assert_null(d->last_error);
}
