/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-health.c: the node's health (logic/health.c), from tables: how each
 * device state counts, what the config adds, which devices a wait names,
 * and the one-word answer everything else tells. Pure. */
#include <criterion/criterion.h>
#include <string.h>

#include "health.h"

#define NOW 1000000LL
#define STUCK_MS 10000LL

static struct pci_state pci;
static struct pci_dev devs[4];
static struct plan_status sts[8];
static struct plan plan;
static struct devtab tab;
static struct managed_set managed;
static struct health_input in;

static void dev(int i, const char *bdf, const char *driver, int group, uint16_t vendor)
{
	memset(&devs[i], 0, sizeof(devs[i]));
	cr_assert_eq(bdf_parse(bdf, &devs[i].addr), 0);
	bdf_format(&devs[i].addr, devs[i].bdf);
	strcpy(devs[i].driver, driver);
	devs[i].iommu_group = group;
	devs[i].vendor = vendor;
	devs[i].device = 0x10d3;
}

/* Status i of the plan: bdf in state, wanting vfio-pci, with reason. */
static struct plan_status *st(int i, const char *bdf, enum proto_state state, const char *reason)
{
	struct plan_status *s = &sts[i];

	memset(s, 0, sizeof(*s));
	strcpy(s->bdf, bdf);
	s->state = state;
	s->reason = reason;
	strcpy(s->desired, "vfio-pci");
	s->iommu_group = 1;
	if ((size_t)i + 1 > plan.n_statuses)
		plan.n_statuses = (size_t)i + 1;
	return s;
}

static void setup(void)
{
	memset(&plan, 0, sizeof(plan));
	memset(&tab, 0, sizeof(tab));
	memset(&managed, 0, sizeof(managed));
	plan.statuses = sts;
	dev(0, "0000:03:00.0", "igb", 1, 0x8086);
	dev(1, "0000:03:00.1", "vfio-pci", 2, 0x8086);
	dev(2, "0000:04:00.0", "nvme", 3, 0x144d);
	dev(3, "0000:05:00.0", "", -1, 0x8086);
	pci = (struct pci_state){ .devs = devs, .n = 4, .iommu_on = true };
	in = (struct health_input){ .plan = &plan, .devs = &tab, .pci = &pci,
				    .managed = &managed, .now = NOW, .stuck_ms = STUCK_MS };
}

static void teardown(void)
{
	devtab_clear(&tab);
}

TestSuite(health, .init = setup, .fini = teardown);

/* The mapping of health.h, one device at a time. */
static const struct {
	enum proto_state state;
	const char *reason;
	enum health_class cls;
	bool settled, healthy;
	enum health_word word;
} mapping[] = {
	{ PROTO_STATE_CONVERGED, "", HEALTH_CLASS_OK, true, true, HEALTH_HEALTHY },
	{ PROTO_STATE_ABSENT, "no such device", HEALTH_CLASS_OK, true, true, HEALTH_HEALTHY },
	{ PROTO_STATE_BLOCKED, "in use: eth0 has 10.0.0.5/24", HEALTH_CLASS_OK, true, true,
	  HEALTH_HEALTHY },
	{ PROTO_STATE_BLOCKED, "group 1 not viable: 0000:03:00.1 on igb", HEALTH_CLASS_OK, true,
	  true, HEALTH_HEALTHY },
	{ PROTO_STATE_PENDING, "bind to vfio-pci", HEALTH_CLASS_WAIT, false, false,
	  HEALTH_PROGRESSING },
	{ PROTO_STATE_ERROR, "lines 1 and 2 disagree", HEALTH_CLASS_BAD, true, false,
	  HEALTH_DEGRADED },
};

Test(health, each_state_counts_as_the_mapping_says)
{
	for (size_t i = 0; i < sizeof(mapping) / sizeof(mapping[0]); i++) {
		struct plan_status *s = st(0, "0000:03:00.0", mapping[i].state, mapping[i].reason);
		struct view_dev v = health_view(&in, s);
		struct health h;

		cr_expect_eq(health_classify(&in, s, &v), mapping[i].cls, "%s (%s)",
			     proto_state_name(mapping[i].state), mapping[i].reason);
		health_compute(&in, &h);
		cr_expect_eq(h.settled, mapping[i].settled, "%s: settled", mapping[i].reason);
		cr_expect_eq(h.healthy, mapping[i].healthy, "%s: healthy", mapping[i].reason);
		cr_expect_eq(h.word, mapping[i].word, "%s: %s", mapping[i].reason,
			     health_word_name(h.word));
		cr_expect_eq(h.by_state[mapping[i].state], 1);
		cr_expect_eq(h.total, 1);
	}
}

Test(health, a_stuck_action_is_settled_but_degraded)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:03:00.0", true);
	struct health h;

	st(0, "0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	d->in_flight = true;
	d->in_flight_since_ms = NOW - 5000;
	health_compute(&in, &h);
	cr_assert_eq(h.word, HEALTH_PROGRESSING, "an action under the stuck timeout runs");
	cr_assert_not(h.settled);
	in.now = NOW + STUCK_MS;
	health_compute(&in, &h);
	cr_assert_eq(h.by_state[PROTO_STATE_STUCK], 1);
	cr_assert(h.settled, "a hung driver must not hold waiters for ever");
	cr_assert_not(h.healthy);
	cr_assert_eq(h.word, HEALTH_DEGRADED);
	cr_assert_str_eq(h.reason, "0000:03:00.0: stuck: " VIEW_STUCK_REASON);
}

Test(health, a_failed_action_waiting_for_its_retry_is_error_with_the_kernels_words)
{
	struct devtab_entry *d = devtab_get(&tab, "0000:03:00.0", true);
	struct health h;

	st(0, "0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	devtab_note_failure(d, -16, "unbind from igb: Device or resource busy", NOW - 10);
	health_compute(&in, &h);
	cr_assert_eq(h.by_state[PROTO_STATE_ERROR], 1);
	cr_assert(h.settled);
	cr_assert_eq(h.word, HEALTH_DEGRADED);
	cr_assert_str_eq(h.reason, "0000:03:00.0: error: unbind from igb: Device or resource busy");
}

Test(health, no_isolation_for_vfio_pci_is_degraded_not_deliberate)
{
	struct plan_status *s;
	struct view_dev v;
	struct health h;

	s = st(0, "0000:03:00.0", PROTO_STATE_BLOCKED, "IOMMU is off: boot with intel_iommu=on");
	pci.iommu_on = false;
	v = health_view(&in, s);
	cr_assert_eq(health_classify(&in, s, &v), HEALTH_CLASS_BAD);
	health_compute(&in, &h);
	cr_assert(h.settled);
	cr_assert_eq(h.word, HEALTH_DEGRADED);

	pci.iommu_on = true;
	s = st(0, "0000:05:00.0", PROTO_STATE_BLOCKED, "no IOMMU group");
	s->iommu_group = -1;
	v = health_view(&in, s);
	cr_assert_eq(health_classify(&in, s, &v), HEALTH_CLASS_BAD);

	/* a line for another driver needs no IOMMU: blocked there is on purpose */
	strcpy(s->desired, "igb");
	s->reason = "in use: eth0 is up";
	v = health_view(&in, s);
	cr_assert_eq(health_classify(&in, s, &v), HEALTH_CLASS_OK);
}

Test(health, degraded_wins_over_progressing_and_names_the_bad_device)
{
	struct health h;

	st(0, "0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	st(1, "0000:03:00.1", PROTO_STATE_CONVERGED, "");
	st(2, "0000:04:00.0", PROTO_STATE_ERROR, "asks 8 VFs, 0000:04:00.0 supports 4");
	health_compute(&in, &h);
	cr_assert_eq(h.word, HEALTH_DEGRADED);
	cr_assert_not(h.settled);
	cr_assert_str_eq(h.reason, "0000:04:00.0: error: asks 8 VFs, 0000:04:00.0 supports 4");
	cr_assert_str_eq(h.waiting, "0000:03:00.0 (pending: bind to vfio-pci)");
	cr_assert_eq(h.total, 3);
}

Test(health, an_empty_plan_with_a_good_config_is_healthy)
{
	struct health h;

	health_compute(&in, &h);
	cr_assert(h.settled && h.healthy);
	cr_assert_eq(h.word, HEALTH_HEALTHY);
	cr_assert_str_eq(h.reason, "");
}

Test(health, a_rejected_or_missing_file_degrades_but_settles)
{
	static const enum health_config cfgs[] = { HEALTH_CONFIG_REJECTED, HEALTH_CONFIG_MISSING };
	struct health h;

	st(0, "0000:03:00.1", PROTO_STATE_CONVERGED, "");
	for (size_t i = 0; i < 2; i++) {
		in.config = cfgs[i];
		health_compute(&in, &h);
		cr_assert(h.settled, "the devices follow the last good config");
		cr_assert_not(h.healthy);
		cr_assert_eq(h.word, HEALTH_DEGRADED);
		cr_assert(strstr(h.reason, "the last good config stays in force"), "%s", h.reason);
	}
}

Test(health, no_valid_config_ever_is_not_settled)
{
	struct health h;

	in.config = HEALTH_CONFIG_NONE;
	in.plan = NULL;
	health_compute(&in, &h);
	cr_assert_not(h.settled);
	cr_assert_eq(h.word, HEALTH_DEGRADED);
	cr_assert_str_eq(h.waiting, "a valid config (none loaded yet)");
}

Test(health, a_pass_that_is_due_keeps_the_node_unsettled)
{
	struct health h;

	st(0, "0000:03:00.1", PROTO_STATE_CONVERGED, "");
	in.busy = true;
	health_compute(&in, &h);
	cr_assert_not(h.settled);
	cr_assert_eq(h.word, HEALTH_PROGRESSING);
}

static struct cfg_selector bdf_sel(const char *bdf)
{
	struct cfg_selector s = { .kind = CFG_SEL_BDF };

	cr_assert_eq(bdf_parse(bdf, &s.addr), 0);
	return s;
}

/* The health of what n selectors pick. */
static struct health health_of(const struct cfg_selector *only, size_t n)
{
	struct health h;

	in.only = only;
	in.n_only = n;
	health_compute(&in, &h);
	return h;
}

Test(health, selectors_pick_the_devices_a_wait_names)
{
	struct cfg_selector only[2] = { bdf_sel("03:00.1"),
					{ .kind = CFG_SEL_ID, .vendor = 0x144d, .device = 0x10d3 } };
	struct health h;

	st(0, "0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	st(1, "0000:03:00.1", PROTO_STATE_CONVERGED, "");
	st(2, "0000:04:00.0", PROTO_STATE_BLOCKED, "in use: nvme0n1 is mounted on /");
	h = health_of(only, 2);
	cr_assert(h.settled, "0000:03:00.0 pends, but nobody asked for it");
	cr_assert_eq(h.total, 2);
	cr_assert_eq(h.by_state[PROTO_STATE_BLOCKED], 1);
	cr_assert_eq(h.word, HEALTH_HEALTHY);
}

Test(health, an_absent_device_named_by_bdf_is_selected_and_settled)
{
	struct cfg_selector only[1] = { bdf_sel("0000:06:00.0") };
	struct health h;

	st(0, "0000:06:00.0", PROTO_STATE_ABSENT, "no such device");
	h = health_of(only, 1);
	cr_assert_eq(h.total, 1);
	cr_assert(h.settled);
}

Test(health, a_bdf_no_line_claims_is_waited_for_and_said)
{
	struct cfg_selector only[1] = { bdf_sel("0000:09:00.0") };
	struct health h;

	st(0, "0000:03:00.1", PROTO_STATE_CONVERGED, "");
	h = health_of(only, 1);
	cr_assert_not(h.settled);
	cr_assert_str_eq(h.waiting, "0000:09:00.0 (no line claims it)");
}

Test(health, a_selector_that_matches_nothing_is_nothing_to_wait_for)
{
	struct cfg_selector only[1] = { { .kind = CFG_SEL_ID, .vendor = 0x10de, .device = 0x2330 } };
	struct health h;

	st(0, "0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	h = health_of(only, 1);
	cr_assert(h.settled, "this node lacks the hardware: the safe outcome");
	cr_assert_eq(h.total, 0);
}

Test(health, words_and_classes_have_names)
{
	cr_assert_str_eq(health_word_name(HEALTH_HEALTHY), "healthy");
	cr_assert_str_eq(health_word_name(HEALTH_PROGRESSING), "progressing");
	cr_assert_str_eq(health_word_name(HEALTH_DEGRADED), "degraded");
	cr_assert_str_eq(health_word_name((enum health_word)7), "unknown");
	cr_assert_str_eq(health_class_name(HEALTH_CLASS_WAIT), "waiting");
}
