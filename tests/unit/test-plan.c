/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-plan.c: the planner's rules, as a specification. Every test builds a
 * PCI state in memory (no sysfs: the planner is pure), a config from text,
 * optionally a managed set and in-use facts, and checks the statuses and the
 * actions, in order, as the daemon would print them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "pci.h"
#include "plan.h"
#include "util.h"

#define MAX_DEVS 32
#define MAX_INUSE 8
#define MAX_HELD 8

static struct pci_state S;
static struct config *C;
static struct managed_set M;
static struct plan_inuse INUSE[MAX_INUSE];
static size_t N_INUSE;
static struct plan_held HELD[MAX_HELD];
static size_t N_HELD;
static struct plan *P;
static const char *NODE;

static void setup(void)
{
	memset(&S, 0, sizeof(S));
	/* fixed capacity: dev() hands out pointers that later calls must not move */
	S.devs = calloc(MAX_DEVS, sizeof(*S.devs));
	S.cap = MAX_DEVS;
	S.iommu_on = true;
	C = NULL;
	memset(&M, 0, sizeof(M));
	N_INUSE = 0;
	N_HELD = 0;
	P = NULL;
	NODE = "worker-0";
}

static void teardown(void)
{
	free(S.devs);
	config_free(C);
	managed_clear(&M);
	plan_free(P);
}

TestSuite(plan, .init = setup, .fini = teardown);

/* ---- builders: a device, a config, the managed set ---- */

static struct pci_dev *dev(const char *bdf, uint16_t vendor, uint16_t device, uint32_t cls,
			   const char *driver, int group)
{
	struct pci_dev *d;

	cr_assert_lt(S.n, MAX_DEVS);
	d = &S.devs[S.n++];
	memset(d, 0, sizeof(*d));
	cr_assert_eq(bdf_parse_full(bdf, &d->addr), 0, "bad test BDF %s", bdf);
	bdf_format(&d->addr, d->bdf);
	d->vendor = vendor;
	d->device = device;
	d->class_code = cls;
	snprintf(d->driver, sizeof(d->driver), "%s", driver);
	d->iommu_group = group;
	d->sriov_totalvfs = d->sriov_numvfs = d->sriov_autoprobe = -1;
	d->vf_index = -1;
	d->boot_vga = -1;
	d->is_bridge = (cls >> 8) == 0x0604 || (cls >> 8) == 0x0609;
	return d;
}

/* An I350 port (igb), the seed README's example device. */
static struct pci_dev *nic(const char *bdf, const char *driver, int group)
{
	return dev(bdf, 0x8086, 0x1521, 0x020000, driver, group);
}

static struct pci_dev *bridge(const char *bdf, int group)
{
	return dev(bdf, 0x8086, 0xa110, 0x060400, "pcieport", group);
}

static struct pci_dev *with_ifname(struct pci_dev *d, const char *name)
{
	snprintf(d->ifnames[d->n_ifnames++], PCI_IFNAME_MAX, "%s", name);
	return d;
}

static struct pci_dev *sriov(struct pci_dev *d, int total, int num)
{
	d->sriov_totalvfs = total;
	d->sriov_numvfs = num;
	d->sriov_autoprobe = 1;
	return d;
}

static struct pci_dev *vf(const char *bdf, const char *pf, int index, const char *driver,
			  int group)
{
	struct pci_dev *d = dev(bdf, 0x8086, 0x1520, 0x020000, driver, group);

	snprintf(d->physfn, sizeof(d->physfn), "%s", pf);
	d->vf_index = index;
	return d;
}

/* PF 0000:00:03.0 (igb, "eth0", 8 VFs possible) with n VFs 0000:00:10.x. */
static const char *const VF_BDF[] = { "0000:00:10.0", "0000:00:10.1", "0000:00:10.2",
				      "0000:00:10.3", "0000:00:10.4", "0000:00:10.5",
				      "0000:00:10.6", "0000:00:10.7" };

static void pf_with_vfs(int n, const char *vf_driver)
{
	with_ifname(sriov(nic("0000:00:03.0", "igb", 3), 8, n), "eth0");
	for (int i = 0; i < n; i++)
		vf(VF_BDF[i], "0000:00:03.0", i, vf_driver, 20 + i);
}

static void conf(const char *text)
{
	struct cfg_errors errs = { 0 };
	char msg[300] = "";

	config_free(C);
	C = NULL;
	if (config_parse("test.conf", text, strlen(text), &C, &errs) < 0 && errs.n)
		cfg_errors_format(&errs, 0, msg, sizeof(msg));
	cfg_errors_clear(&errs);
	cr_assert_not_null(C, "test config rejected: %s", msg);
}

static void manage(const char *bdf, const char *original, const char *driver, const char *ifname)
{
	struct managed_dev m = { .since_ms = 1 };

	snprintf(m.bdf, sizeof(m.bdf), "%s", bdf);
	snprintf(m.original_driver, sizeof(m.original_driver), "%s", original);
	snprintf(m.driver, sizeof(m.driver), "%s", driver);
	snprintf(m.ifname, sizeof(m.ifname), "%s", ifname);
	cr_assert_eq(managed_add(&M, &m), 0);
}

static void manage_pf(const char *bdf, int original_numvfs)
{
	struct managed_pf p = { .original_numvfs = original_numvfs };

	snprintf(p.bdf, sizeof(p.bdf), "%s", bdf);
	cr_assert_eq(managed_add_pf(&M, &p), 0);
}

/* PF 0000:00:03.0 whose n VFs the daemon made (from 0) and put on vfio-pci. */
static void managed_pf_with_vfs(int n)
{
	pf_with_vfs(n, "vfio-pci");
	manage_pf("0000:00:03.0", 0);
	for (int i = 0; i < n; i++)
		manage(VF_BDF[i], "", "vfio-pci", "");
}

static void in_use(const char *bdf, const char *reason)
{
	cr_assert_lt(N_INUSE, MAX_INUSE);
	snprintf(INUSE[N_INUSE].bdf, BDF_BUFSZ, "%s", bdf);
	snprintf(INUSE[N_INUSE].reason, sizeof(INUSE[0].reason), "%s", reason);
	N_INUSE++;
}

/* Process pid (comm, uid) holds bdf through path: the verdict holders.c
 * would give. */
static void held(const char *bdf, int pid, const char *comm, unsigned uid, const char *path)
{
	struct plan_held *h = &HELD[N_HELD++];
	struct plan_holder *x = &h->holders[0];

	cr_assert_leq(N_HELD, MAX_HELD);
	memset(h, 0, sizeof(*h));
	snprintf(h->bdf, sizeof(h->bdf), "%s", bdf);
	snprintf(h->reason, sizeof(h->reason), "held by pid %d (%s, uid %u) through %s", pid, comm,
		 uid, path);
	h->n_holders = 1;
	snprintf(x->bdf, sizeof(x->bdf), "%s", bdf);
	x->pid = pid;
	x->uid = uid;
	snprintf(x->comm, sizeof(x->comm), "%s", comm);
	snprintf(x->path, sizeof(x->path), "%s", path);
}

static void cannot_tell(const char *bdf, const char *reason)
{
	struct plan_held *h = &HELD[N_HELD++];

	cr_assert_leq(N_HELD, MAX_HELD);
	memset(h, 0, sizeof(*h));
	snprintf(h->bdf, sizeof(h->bdf), "%s", bdf);
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	h->unknown = true;
}

/* The planner's input as the engine gives it: devices sorted by address
 * (pci.h), which the builders above need not add them in. */
static struct plan_input input(void)
{
	if (S.n)
		pci_state_sort(&S);
	return (struct plan_input){ .config = C, .node_name = NODE, .pci = &S,
				    .managed = &M, .inuse = INUSE, .n_inuse = N_INUSE,
				    .held = HELD, .n_held = N_HELD };
}

static const struct plan *run(void)
{
	struct plan_input in = input();

	plan_free(P);
	P = NULL;
	cr_assert_eq(plan_compute(&in, &P), 0);
	cr_assert_not_null(P);
	return P;
}

/* ---- checks ---- */

static const struct plan_status *find_status(const char *bdf, bool pf_claim)
{
	for (size_t i = 0; i < P->n_statuses; i++)
		if (P->statuses[i].pf_claim == pf_claim && !strcmp(P->statuses[i].bdf, bdf))
			return &P->statuses[i];
	return NULL;
}

static const struct plan_status *status(const char *bdf)
{
	const struct plan_status *s = find_status(bdf, false);

	cr_assert_not_null(s, "no status for %s", bdf);
	return s;
}

static const struct plan_status *pf_status(const char *bdf)
{
	const struct plan_status *s = find_status(bdf, true);

	cr_assert_not_null(s, "no numvfs status for %s", bdf);
	return s;
}

static void check_status(const struct plan_status *s, enum proto_state state, const char *reason)
{
	cr_expect_str_eq(proto_state_name(s->state), proto_state_name(state), "%s: %s", s->bdf,
			 s->reason);
	cr_expect_str_eq(s->reason, reason, "%s", s->bdf);
}

/* The device claim's state and reason; expect_pf: the numvfs= claim's. */
static void expect(const char *bdf, enum proto_state state, const char *reason)
{
	check_status(status(bdf), state, reason);
}

static void expect_pf(const char *bdf, enum proto_state state, const char *reason)
{
	check_status(pf_status(bdf), state, reason);
}

static void expect_no_status(const char *bdf)
{
	cr_expect_null(find_status(bdf, false), "unexpected status for %s", bdf);
	cr_expect_null(find_status(bdf, true), "unexpected numvfs status for %s", bdf);
}

/* The whole action list, as plan_format_action prints it, in order. */
static void check_actions(const char *const *want)
{
	size_t n = 0;
	char buf[256];

	for (; want[n]; n++) {
		cr_assert_lt(n, P->n_actions, "missing action: %s", want[n]);
		cr_assert_eq(plan_format_action(&P->actions[n], buf, sizeof(buf)), 0);
		cr_expect_str_eq(buf, want[n], "action %zu", n);
	}
	if (n < P->n_actions) {
		plan_format_action(&P->actions[n], buf, sizeof(buf));
		cr_expect_fail("unexpected action: %s", buf);
	}
}

#define expect_actions(...) check_actions((const char *const[]){ __VA_ARGS__, NULL })
#define expect_no_actions() check_actions((const char *const[]){ NULL })

/* ---- which line applies ---- */

Test(plan, seed_default_line_binds_on_every_node)
{
	static const struct {
		const char *node;
		const char *actions[3];
	} t[] = {
		{ "worker-0", { "bind 0000:03:00.0: igb -> vfio-pci (line 3)",
				"bind 0000:03:00.1: igb -> vfio-pci (line 1)" } },
		{ "worker-1", { "bind 0000:03:00.0: igb -> vfio-pci (line 3)",
				"bind 0000:03:00.2: igb -> vfio-pci (line 2)" } },
		{ "worker-9", { "bind 0000:03:00.0: igb -> vfio-pci (line 3)" } },
	};

	nic("0000:03:00.0", "igb", 10);
	nic("0000:03:00.1", "igb", 11);
	nic("0000:03:00.2", "igb", 12);
	conf("worker-0 0000:03:00.1\n"
	     "worker-1 0000:03:00.2\n"
	     "DEFAULT  0000:03:00.0\n");
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		NODE = t[i].node;
		run();
		check_actions(t[i].actions);
		cr_expect_eq(P->n_statuses, t[i].actions[1] ? 2u : 1u, "%s", NODE);
	}
}

Test(plan, other_nodes_line_is_ignored)
{
	nic("0000:03:00.1", "igb", 11);
	conf("worker-1 0000:03:00.1\n");
	run();
	expect_no_status("0000:03:00.1");
	expect_no_actions();
}

Test(plan, exact_node_beats_glob_beats_default)
{
	static const struct {
		const char *node;
		const char *action;
	} t[] = {
		{ "worker-0", "bind 0000:03:00.0: (none) -> igb (line 2)" },
		{ "worker-0.example.com", "bind 0000:03:00.0: (none) -> igb (line 2)" },
		{ "worker-7", "bind 0000:03:00.0: (none) -> pci-stub (line 3)" },
		{ "storage-1", "bind 0000:03:00.0: (none) -> vfio-pci (line 1)" },
	};

	nic("0000:03:00.0", "", 10);
	conf("DEFAULT 0000:03:00.0\n"
	     "worker-0 0000:03:00.0 driver=igb\n"
	     "worker-* 0000:03:00.0 driver=pci-stub\n");
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		NODE = t[i].node;
		run();
		expect_actions(t[i].action);
	}
}

Test(plan, bdf_beats_id_at_same_node_rank)
{
	nic("0000:03:00.0", "igb", 10);
	nic("0000:03:00.1", "igb", 11);
	conf("DEFAULT 0000:03:00.1\n"
	     "DEFAULT id=8086:1521 driver=pci-stub\n");
	run();
	expect_actions("bind 0000:03:00.0: igb -> pci-stub (line 2)",
		       "bind 0000:03:00.1: igb -> vfio-pci (line 1)");
}

/* Selector rank BDF > ifname > pf > id > class, each tested against the next. */
Test(plan, selector_rank_bdf_ifname_pf_id_class)
{
	static const struct {
		const char *conf;
		unsigned line;
	} t[] = {
		{ "DEFAULT ifname=eth5 driver=pci-stub\nDEFAULT 0000:00:10.1\n", 2 },
		{ "DEFAULT pf=0000:00:03.0 driver=pci-stub\nDEFAULT ifname=eth5\n", 2 },
		{ "DEFAULT id=8086:1520 driver=pci-stub\nDEFAULT pf=eth0\n", 2 },
		{ "DEFAULT class=0x020000 driver=pci-stub\nDEFAULT id=8086:1520\n", 2 },
	};

	pf_with_vfs(2, "igbvf");
	with_ifname(&S.devs[2], "eth5"); /* VF 0000:00:10.1 */
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const struct cfg_entry *w = NULL, *o = NULL;

		conf(t[i].conf);
		cr_expect_eq(plan_resolve(C, NODE, &S.devs[2], &S, &M, &w, &o), 0, "%zu", i);
		cr_assert_not_null(w);
		cr_expect_eq(w->line, t[i].line, "case %zu", i);
		cr_expect_null(o);
	}
}

Test(plan, node_rank_dominates_selector_rank)
{
	nic("0000:03:00.1", "igb", 11);
	conf("DEFAULT 0000:03:00.1\n"
	     "worker-0 class=0x020000 driver=pci-stub\n");
	run();
	expect_actions("bind 0000:03:00.1: igb -> pci-stub (line 2)");
}

Test(plan, equal_lines_that_disagree_are_error_naming_both)
{
	static const struct {
		const char *conf;
		const char *reason;
	} t[] = {
		{ "DEFAULT 0000:03:00.1\n# the other team's line\nDEFAULT 0000:03:00.1 driver=igb\n",
		  "lines 1 and 3 disagree: vfio-pci vs igb" },
		{ "DEFAULT 03:00.1\nDEFAULT 0000:03:00.1 group=all\n",
		  "lines 1 and 2 disagree: group=self vs group=all" },
		{ "DEFAULT 0000:03:00.1 force=yes\nDEFAULT 0000:03:00.1\n",
		  "lines 1 and 2 disagree: force=yes vs force=no" },
		/* the earliest top-rank line is compared with the rest */
		{ "DEFAULT 0000:03:00.1\nDEFAULT 0000:03:00.1\nDEFAULT 0000:03:00.1 driver=pci-stub\n",
		  "lines 1 and 3 disagree: vfio-pci vs pci-stub" },
	};

	nic("0000:03:00.1", "", 11);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		const struct cfg_entry *w = NULL, *o = NULL;

		conf(t[i].conf);
		cr_expect_eq(plan_resolve(C, NODE, &S.devs[0], &S, &M, &w, &o), -EEXIST);
		cr_expect(w && o && w->line < o->line);
		run();
		expect("0000:03:00.1", PROTO_STATE_ERROR, t[i].reason);
		expect_no_actions();
	}
}

Test(plan, disagreement_below_the_top_rank_does_not_matter)
{
	nic("0000:03:00.1", "", 11);
	conf("DEFAULT id=8086:1521 driver=igb\n"
	     "DEFAULT id=8086:1521 driver=pci-stub\n"
	     "DEFAULT 0000:03:00.1\n");
	run();
	expect_actions("bind 0000:03:00.1: (none) -> vfio-pci (line 3)");
}

Test(plan, identical_duplicate_lines_agree)
{
	nic("0000:03:00.1", "igb", 11);
	conf("\nDEFAULT 0000:03:00.1\n\nDEFAULT 03:00.1 driver=vfio-pci\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_PENDING, "bind to vfio-pci");
	cr_expect_eq(status("0000:03:00.1")->line, 2);
	expect_actions("bind 0000:03:00.1: igb -> vfio-pci (line 2)");
}

/* ---- converged, pending, restore ---- */

Test(plan, converged_device_has_no_action)
{
	const struct plan_status *s;

	nic("0000:03:00.1", "vfio-pci", 11);
	conf("DEFAULT 0000:03:00.1\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_CONVERGED, "");
	s = status("0000:03:00.1");
	cr_expect_str_eq(s->desired, "vfio-pci");
	cr_expect_str_eq(s->current, "vfio-pci");
	cr_expect_eq(s->line, 1);
	cr_expect_eq(s->iommu_group, 11);
	cr_expect(s->group_viable);
	cr_expect_not(s->pf_claim);
	expect_no_actions();
}

Test(plan, unbound_claimed_device_gets_bind)
{
	nic("0000:03:00.1", "", 11);
	conf("DEFAULT 0000:03:00.1\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_PENDING, "bind to vfio-pci");
	cr_expect_str_eq(status("0000:03:00.1")->current, "");
	expect_actions("bind 0000:03:00.1: (none) -> vfio-pci (line 1)");
	cr_expect_str_eq(P->actions[0].driver, "vfio-pci");
	cr_expect_eq(P->actions[0].numvfs, -1);
}

Test(plan, removed_line_restores_managed_device_to_original)
{
	const struct plan_status *s;

	nic("0000:03:00.0", "vfio-pci", 10);
	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.0", "igb", "vfio-pci", "eth0");
	manage("0000:03:00.1", "igb", "vfio-pci", "eth1");
	conf("DEFAULT 0000:03:00.0\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_CONVERGED, "");
	expect("0000:03:00.1", PROTO_STATE_PENDING, "no longer in config: back to igb");
	s = status("0000:03:00.1");
	cr_expect_str_eq(s->desired, "");
	cr_expect_eq(s->line, 0);
	expect_actions("restore 0000:03:00.1: vfio-pci -> kernel's choice (was igb)");
	cr_expect_str_eq(P->actions[0].driver, "igb");
	cr_expect_eq(P->actions[0].line, 0);
}

Test(plan, managed_device_with_no_original_driver_goes_back_to_kernels_choice)
{
	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "", "vfio-pci", "");
	conf("\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_PENDING, "no longer in config: back to the kernel's choice");
	expect_actions("restore 0000:03:00.1: vfio-pci -> kernel's choice");
}

Test(plan, managed_device_claimed_elsewhere_is_bound_not_restored)
{
	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "igb", "vfio-pci", "");
	conf("DEFAULT 0000:03:00.1 driver=pci-stub\n");
	run();
	expect_actions("bind 0000:03:00.1: vfio-pci -> pci-stub (line 1)");
}

Test(plan, managed_device_gone_from_pci_is_dropped_silently)
{
	manage("0000:03:00.1", "igb", "vfio-pci", "eth1");
	conf("\n");
	run();
	expect_no_status("0000:03:00.1");
	expect_no_actions();
}

Test(plan, restore_from_vfio_is_never_blocked_by_in_use)
{
	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "igb", "vfio-pci", "");
	in_use("0000:03:00.1", "opened by qemu-system-x86 (pid 4242)");
	conf("\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_PENDING, "no longer in config: back to igb");
	expect_actions("restore 0000:03:00.1: vfio-pci -> kernel's choice (was igb)");
}

Test(plan, restore_from_a_host_driver_in_use_is_blocked)
{
	nic("0000:03:00.1", "ixgbe", 11);
	manage("0000:03:00.1", "igb", "ixgbe", "");
	in_use("0000:03:00.1", "eth1 carries 10.0.0.5/24");
	conf("\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_BLOCKED, "eth1 carries 10.0.0.5/24");
	expect_no_actions();
}

Test(plan, unmanaged_device_on_vfio_is_left_alone)
{
	nic("0000:03:00.1", "vfio-pci", 11);
	conf("DEFAULT 0000:03:00.0\n");
	run();
	expect_no_status("0000:03:00.1");
	expect_no_actions();
}

Test(plan, missing_bdf_is_absent)
{
	const struct plan_status *s;

	nic("0000:03:00.0", "igb", 10);
	conf("DEFAULT 0000:03:00.1\n"
	     "DEFAULT pf=0000:05:00.0\n"
	     "DEFAULT 0000:03:00.1 driver=vfio-pci\n"
	     "worker-1 0000:04:00.0\n"
	     "DEFAULT 0000:06:00.0 numvfs=2\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_ABSENT, "not present");
	s = status("0000:03:00.1");
	cr_expect_eq(s->line, 1);
	cr_expect_str_eq(s->desired, "vfio-pci");
	expect("0000:05:00.0", PROTO_STATE_ABSENT, "PF not present");
	cr_expect_eq(status("0000:05:00.0")->line, 2);
	s = pf_status("0000:06:00.0");
	cr_expect_eq(s->state, PROTO_STATE_ABSENT);
	cr_expect_eq(s->numvfs, 2);
	expect_no_status("0000:04:00.0"); /* another node's line */
	expect_no_status("0000:03:00.0");
	cr_expect_eq(P->n_statuses, 3);
	expect_no_actions();
}

/* ---- what blocks a bind ---- */

Test(plan, bridge_never_bound)
{
	bridge("0000:00:1c.0", 7);
	conf("DEFAULT 0000:00:1c.0\n");
	run();
	expect("0000:00:1c.0", PROTO_STATE_BLOCKED, "PCI bridge: not bound");
	expect_no_actions();
}

Test(plan, iommu_off_blocks_vfio_lines_only)
{
	S.iommu_on = false;
	nic("0000:03:00.0", "igb", -1);
	nic("0000:03:00.1", "igb", -1);
	nic("0000:03:00.2", "vfio-pci", -1);
	conf("DEFAULT 0000:03:00.0\n"
	     "DEFAULT 0000:03:00.1 driver=pci-stub\n"
	     "DEFAULT 0000:03:00.2\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_BLOCKED,
	       "IOMMU is off: boot with intel_iommu=on or amd_iommu=on (and iommu=pt)");
	cr_expect_not(status("0000:03:00.0")->group_viable);
	expect("0000:03:00.1", PROTO_STATE_PENDING, "bind to pci-stub");
	expect("0000:03:00.2", PROTO_STATE_CONVERGED, "");
	expect_actions("bind 0000:03:00.1: igb -> pci-stub (line 2)");
}

Test(plan, device_without_iommu_group_is_blocked)
{
	nic("0000:03:00.0", "igb", -1);
	conf("DEFAULT 0000:03:00.0\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_BLOCKED, "no IOMMU group");
	expect_no_actions();
}

Test(plan, group_not_viable_names_the_member_and_driver)
{
	const struct plan_status *s;

	dev("0000:00:1f.0", 0x8086, 0xa2c8, 0x060100, "lpc_ich", 5);
	dev("0000:00:1f.2", 0x8086, 0xa282, 0x010601, "ahci", 5);
	dev("0000:00:1f.3", 0x8086, 0xa2f0, 0x040300, "snd_hda_intel", 5);
	conf("DEFAULT 0000:00:1f.3\n");
	run();
	expect("0000:00:1f.3", PROTO_STATE_BLOCKED, "group 5 not viable: 0000:00:1f.0 on lpc_ich");
	s = status("0000:00:1f.3");
	cr_expect_eq(s->iommu_group, 5);
	cr_expect_not(s->group_viable);
	expect_no_status("0000:00:1f.2");
	expect_no_actions();
}

Test(plan, group_member_blocked_itself_keeps_group_not_viable)
{
	nic("0000:03:00.0", "igb", 5);
	nic("0000:03:00.1", "igb", 5);
	in_use("0000:03:00.1", "eth1 is up with 10.0.0.5/24");
	conf("DEFAULT 0000:03:00.0\nDEFAULT 0000:03:00.1\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_BLOCKED, "group 5 not viable: 0000:03:00.1 on igb");
	expect("0000:03:00.1", PROTO_STATE_BLOCKED, "eth1 is up with 10.0.0.5/24");
	expect_no_actions();
}

Test(plan, group_all_claims_every_member_except_bridges)
{
	const struct plan_status *s;

	bridge("0000:00:1c.0", 5);
	nic("0000:03:00.0", "igb", 5);
	nic("0000:03:00.1", "igb", 5);
	nic("0000:04:00.0", "igb", 6);
	conf("\n\nDEFAULT 0000:03:00.0 group=all\n");
	run();
	expect_no_status("0000:00:1c.0");
	expect("0000:03:00.1", PROTO_STATE_PENDING, "bind to vfio-pci");
	s = status("0000:03:00.1");
	cr_expect_eq(s->line, 3);
	cr_expect_str_eq(s->desired, "vfio-pci");
	cr_expect(s->group_viable);
	expect_no_status("0000:04:00.0");
	expect_actions("bind 0000:03:00.0: igb -> vfio-pci (line 3)",
		       "bind 0000:03:00.1: igb -> vfio-pci (line 3)");
}

Test(plan, group_all_leaves_members_with_their_own_line_alone)
{
	nic("0000:03:00.0", "igb", 5);
	nic("0000:03:00.1", "igb", 5);
	conf("DEFAULT 0000:03:00.0 group=all\nDEFAULT 0000:03:00.1 driver=pci-stub\n");
	run();
	expect_actions("bind 0000:03:00.0: igb -> vfio-pci (line 1)",
		       "bind 0000:03:00.1: igb -> pci-stub (line 2)");
}

Test(plan, group_viable_with_driverless_and_bridge_members)
{
	bridge("0000:00:1c.0", 5);
	nic("0000:03:00.0", "igb", 5);
	nic("0000:03:00.1", "", 5);
	nic("0000:03:00.2", "pci-stub", 5);
	nic("0000:03:00.3", "vfio-pci", 5);
	nic("0000:04:00.0", "igb", 5);
	conf("DEFAULT 0000:03:00.0\nDEFAULT 0000:04:00.0\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	cr_expect(status("0000:03:00.0")->group_viable);
	cr_expect(status("0000:04:00.0")->group_viable);
	expect_actions("bind 0000:03:00.0: igb -> vfio-pci (line 1)",
		       "bind 0000:04:00.0: igb -> vfio-pci (line 2)");
}

Test(plan, group_viability_is_reported_for_converged_devices)
{
	nic("0000:03:00.0", "vfio-pci", 5);
	nic("0000:03:00.1", "igb", 5);
	conf("DEFAULT 0000:03:00.0\n");
	run();
	expect("0000:03:00.0", PROTO_STATE_CONVERGED, "");
	cr_expect_not(status("0000:03:00.0")->group_viable);
}

Test(plan, group_is_not_checked_for_other_drivers)
{
	nic("0000:03:00.0", "", 5);
	nic("0000:03:00.1", "igb", 5);
	conf("DEFAULT 0000:03:00.0 driver=pci-stub\n");
	run();
	expect_actions("bind 0000:03:00.0: (none) -> pci-stub (line 1)");
}

Test(plan, inuse_blocks_unless_force)
{
	static const struct {
		const char *conf;
		enum proto_state state;
		const char *reason;
		size_t n_actions;
	} t[] = {
		{ "DEFAULT 0000:03:00.1\n", PROTO_STATE_BLOCKED, "eth1 is up with 10.0.0.5/24", 0 },
		{ "DEFAULT 0000:03:00.1 force=no\n", PROTO_STATE_BLOCKED, "eth1 is up with 10.0.0.5/24", 0 },
		{ "DEFAULT 0000:03:00.1 force=yes\n", PROTO_STATE_PENDING, "bind to vfio-pci", 1 },
	};

	nic("0000:03:00.1", "igb", 11);
	in_use("0000:03:00.1", "eth1 is up with 10.0.0.5/24");
	in_use("0000:03:00.0", "not this one");
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		conf(t[i].conf);
		run();
		expect("0000:03:00.1", t[i].state, t[i].reason);
		cr_expect_eq(P->n_actions, t[i].n_actions, "case %zu", i);
	}
}

Test(plan, boot_vga_blocks_unless_force)
{
	static const struct {
		const char *conf;
		enum proto_state state;
		const char *reason;
	} t[] = {
		{ "DEFAULT 0000:01:00.0\n", PROTO_STATE_BLOCKED, "boot VGA device (force=yes to take it)" },
		{ "DEFAULT 0000:01:00.0 force=yes\n", PROTO_STATE_PENDING, "bind to vfio-pci" },
	};

	dev("0000:01:00.0", 0x10de, 0x1eb8, 0x030000, "nouveau", 1)->boot_vga = 1;
	dev("0000:02:00.0", 0x10de, 0x1eb8, 0x030000, "nouveau", 2)->boot_vga = 0;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		conf(t[i].conf);
		run();
		expect("0000:01:00.0", t[i].state, t[i].reason);
	}
	conf("DEFAULT 0000:02:00.0\n");
	run();
	expect("0000:02:00.0", PROTO_STATE_PENDING, "bind to vfio-pci");
}

/* ---- held open by a process: never taken from a running workload ---- */

#define QEMU_HOLDS "held by pid 4242 (qemu-system-x86, uid 107) through /dev/vfio/11"

Test(plan, a_removed_line_does_not_take_a_held_device_from_vfio_pci)
{
	const struct plan_held *h;

	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "igb", "vfio-pci", "");
	held("0000:03:00.1", 4242, "qemu-system-x86", 107, "/dev/vfio/11");
	conf("\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_BLOCKED, QEMU_HOLDS);
	expect_no_actions();
	h = plan_held_for(P, status("0000:03:00.1"));
	cr_assert_not_null(h, "status lists no holders");
	cr_expect_eq(h->holders[0].pid, 4242);
	cr_expect_str_eq(h->holders[0].path, "/dev/vfio/11");
	/* Let go: the restore runs on the next pass. */
	N_HELD = 0;
	run();
	expect("0000:03:00.1", PROTO_STATE_PENDING, "no longer in config: back to igb");
	expect_actions("restore 0000:03:00.1: vfio-pci -> kernel's choice (was igb)");
	cr_expect_null(plan_held_for(P, status("0000:03:00.1")));
}

Test(plan, a_changed_driver_does_not_take_a_held_device_unless_force)
{
	static const struct {
		const char *conf;
		enum proto_state state;
		const char *reason;
	} t[] = {
		{ "DEFAULT 0000:03:00.1 driver=igb\n", PROTO_STATE_BLOCKED, QEMU_HOLDS },
		{ "DEFAULT 0000:03:00.1 driver=igb force=yes\n", PROTO_STATE_PENDING, "bind to igb" },
	};

	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "igb", "vfio-pci", "");
	held("0000:03:00.1", 4242, "qemu-system-x86", 107, "/dev/vfio/11");
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		conf(t[i].conf);
		run();
		expect("0000:03:00.1", t[i].state, t[i].reason);
		cr_expect_eq(P->n_actions, i, "case %zu", i);
	}
}

Test(plan, a_device_held_on_its_host_driver_is_not_bound_unless_force)
{
	static const char *const reason =
		"held by pid 77 (fio, uid 0) through /dev/nvme0n1";

	dev("0000:02:00.0", 0x144d, 0xa808, 0x010802, "nvme", 2);
	held("0000:02:00.0", 77, "fio", 0, "/dev/nvme0n1");
	conf("DEFAULT 0000:02:00.0\n");
	run();
	expect("0000:02:00.0", PROTO_STATE_BLOCKED, reason);
	expect_no_actions();
	conf("DEFAULT 0000:02:00.0 force=yes\n");
	run();
	expect_actions("bind 0000:02:00.0: nvme -> vfio-pci (line 1)");
}

Test(plan, cannot_tell_blocks_like_held_and_a_holder_is_named_before_in_use)
{
	static const char *const why = "cannot tell whether it is held: the descriptors of pid 9 "
				       "(x, uid 5) cannot be read (permission denied): run "
				       "vfiobindd with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH";

	nic("0000:03:00.1", "vfio-pci", 11);
	manage("0000:03:00.1", "igb", "vfio-pci", "");
	cannot_tell("0000:03:00.1", why);
	conf("\n");
	run();
	expect("0000:03:00.1", PROTO_STATE_BLOCKED, why);
	cr_assert_not_null(plan_held_for(P, status("0000:03:00.1")));
	cr_expect(plan_held_for(P, status("0000:03:00.1"))->unknown);
	expect_no_actions();

	N_HELD = 0;
	nic("0000:04:00.0", "igb", 12);
	in_use("0000:04:00.0", "eth1 has 10.0.0.5/24");
	held("0000:04:00.0", 4242, "ptp4l", 0, "/dev/ptp0");
	conf("DEFAULT 0000:04:00.0\n");
	run();
	expect("0000:04:00.0", PROTO_STATE_BLOCKED,
	       "held by pid 4242 (ptp4l, uid 0) through /dev/ptp0");
}

Test(plan, numvfs_down_waits_while_a_vf_it_keeps_is_held)
{
	const struct plan_held *h;

	managed_pf_with_vfs(4);
	held(VF_BDF[0], 4242, "qemu-system-x86", 107, "/dev/vfio/20");
	conf("DEFAULT 0000:00:03.0 numvfs=2\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_BLOCKED,
		  "numvfs 4 -> 2 waits: VF 0000:00:10.0 held by pid 4242 (qemu-system-x86, uid 107) "
		  "through /dev/vfio/20");
	cr_expect_eq(pf_status("0000:00:03.0")->numvfs, 2);
	h = plan_held_for(P, pf_status("0000:00:03.0"));
	cr_assert_not_null(h);
	cr_expect_str_eq(h->holders[0].bdf, VF_BDF[0], "the holder names the VF it holds");
	expect("0000:00:10.0", PROTO_STATE_CONVERGED, "");
	/* The VFs the new count drops stay as they are: the count change
	 * removes them once it may run; a restore now would be undone. */
	expect("0000:00:10.2", PROTO_STATE_BLOCKED,
	       "goes away: numvfs change on 0000:00:03.0 waits: VF 0000:00:10.0 held by pid 4242 "
	       "(qemu-system-x86, uid 107) through /dev/vfio/20");
	expect_no_actions();
}

Test(plan, numvfs_up_waits_too_the_kernel_goes_through_zero)
{
	pf_with_vfs(2, "vfio-pci");
	held(VF_BDF[1], 4242, "qemu-system-x86", 107, "/dev/vfio/21");
	conf("DEFAULT 0000:00:03.0 numvfs=4\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_BLOCKED,
		  "numvfs 2 -> 4 waits: VF 0000:00:10.1 held by pid 4242 (qemu-system-x86, uid 107) "
		  "through /dev/vfio/21");
	expect_no_actions();
	/* force=yes on the line changes the count all the same. */
	conf("DEFAULT 0000:00:03.0 numvfs=4 force=yes\n");
	run();
	expect_actions("numvfs 0000:00:03.0: 2 -> 4 (line 1)");
}

Test(plan, a_removed_numvfs_line_waits_for_its_held_vf)
{
	managed_pf_with_vfs(2);
	cannot_tell(VF_BDF[1], "cannot tell whether it is held: /proc (hidepid=invisible) "
			       "hides other users' processes: run vfiobindd with CAP_SYS_PTRACE");
	conf("\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_BLOCKED,
		  "no longer in config: back to 0 VFs waits: VF 0000:00:10.1: cannot tell whether "
		  "it is held: /proc (hidepid=invisible) hides other users' processes: run vfiobindd "
		  "with CAP_SYS_PTRACE");
	cr_expect_eq(pf_status("0000:00:03.0")->numvfs, 0);
	expect("0000:00:10.0", PROTO_STATE_BLOCKED,
	       "goes away: numvfs change on 0000:00:03.0 waits: VF 0000:00:10.1: cannot tell "
	       "whether it is held: /proc (hidepid=invisible) hides other users' processes: run "
	       "vfiobindd with CAP_SYS_PTRACE");
	expect_no_actions();
}

Test(plan, a_held_vf_of_an_unchanged_pf_blocks_nothing_else)
{
	pf_with_vfs(2, "vfio-pci");
	held(VF_BDF[0], 4242, "qemu-system-x86", 107, "/dev/vfio/20");
	conf("DEFAULT 0000:00:03.0 numvfs=2\nDEFAULT 0000:00:03.0 driver=ixgbe\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_CONVERGED, "");
	expect_actions("bind 0000:00:03.0: igb -> ixgbe (line 2)");
}

/* ---- selectors ---- */

Test(plan, ifname_selector_keeps_claim_after_interface_vanishes)
{
	struct pci_dev *d = with_ifname(nic("0000:03:00.1", "igb", 11), "eth1");

	conf("DEFAULT ifname=eth1\n");
	run();
	expect_actions("bind 0000:03:00.1: igb -> vfio-pci (line 1)");

	/* bound: the interface is gone, the managed record remembers it */
	snprintf(d->driver, sizeof(d->driver), "vfio-pci");
	d->n_ifnames = 0;
	manage("0000:03:00.1", "igb", "vfio-pci", "eth1");
	run();
	expect("0000:03:00.1", PROTO_STATE_CONVERGED, "");
	expect_no_actions();

	/* without the record nothing names it: an unmanaged device is not claimed */
	managed_clear(&M);
	run();
	expect_no_status("0000:03:00.1");
}

Test(plan, id_selector_claims_every_function)
{
	nic("0000:03:00.0", "igb", 10);
	nic("0000:03:00.1", "igb", 11);
	dev("0000:04:00.0", 0x8086, 0x10fb, 0x020000, "ixgbe", 12);
	conf("DEFAULT id=8086:1521\n");
	run();
	expect_actions("bind 0000:03:00.0: igb -> vfio-pci (line 1)",
		       "bind 0000:03:00.1: igb -> vfio-pci (line 1)");
	expect_no_status("0000:04:00.0");
}

Test(plan, class_selector_with_mask)
{
	static const struct {
		uint32_t cls;
		bool claimed;
	} t[] = {
		{ 0x020000, true }, { 0x028000, true }, { 0x0200ff, false }, { 0x010802, false },
	};
	static const char *const bdf[] = { "0000:05:00.0", "0000:05:00.1", "0000:05:00.2",
					   "0000:05:00.3" };

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		dev(bdf[i], 0x1234, 0x5678, t[i].cls, "", (int)i);
	conf("DEFAULT class=0x020000/0xff00ff\n");
	run();
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		cr_expect_eq(find_status(bdf[i], false) != NULL, t[i].claimed, "class %06x",
			     t[i].cls);
}

Test(plan, pf_selector_with_vfs)
{
	static const struct {
		const char *conf;
		const char *actions[3];
	} t[] = {
		{ "DEFAULT pf=0000:00:03.0 vfs=1-2\n",
		  { "bind 0000:00:10.1: iavf -> vfio-pci (line 1)",
		    "bind 0000:00:10.2: iavf -> vfio-pci (line 1)" } },
		{ "DEFAULT pf=eth0 vfs=0\n", { "bind 0000:00:10.0: iavf -> vfio-pci (line 1)" } },
		{ "DEFAULT pf=eth9\n", { NULL } },
	};

	pf_with_vfs(3, "iavf");
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		conf(t[i].conf);
		run();
		check_actions(t[i].actions);
		expect_no_status("0000:00:03.0"); /* the PF itself is never claimed */
	}
}

/* ---- SR-IOV: numvfs= ---- */

Test(plan, numvfs_plans_set_numvfs_and_claims_vfs)
{
	const struct plan_status *s;

	pf_with_vfs(0, "");
	conf("DEFAULT ifname=eth0 numvfs=4\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_PENDING, "numvfs 0 -> 4");
	s = pf_status("0000:00:03.0");
	cr_expect_eq(s->numvfs, 4);
	cr_expect_eq(s->line, 1);
	cr_expect_null(find_status("0000:00:03.0", false), "the PF keeps its driver");
	expect_actions("numvfs 0000:00:03.0: 0 -> 4 (line 1)");
	cr_expect(P->actions[0].autoprobe_off);
	cr_expect_eq(P->actions[0].numvfs, 4);
	cr_expect_eq(P->actions[0].current_numvfs, 0);

	/* the VFs appeared (autoprobe off: no driver) */
	S.n = 0;
	pf_with_vfs(4, "");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_CONVERGED, "");
	expect("0000:00:10.0", PROTO_STATE_PENDING, "bind to vfio-pci");
	expect_actions("bind 0000:00:10.0: (none) -> vfio-pci (line 1)",
		       "bind 0000:00:10.1: (none) -> vfio-pci (line 1)",
		       "bind 0000:00:10.2: (none) -> vfio-pci (line 1)",
		       "bind 0000:00:10.3: (none) -> vfio-pci (line 1)");
}

Test(plan, numvfs_down_recreates_vfs_and_drops_the_ones_above)
{
	pf_with_vfs(6, "vfio-pci");
	conf("DEFAULT 0000:00:03.0 numvfs=2\nDEFAULT 0000:00:10.5\n");
	run();
	expect_actions("numvfs 0000:00:03.0: 6 -> 2 (line 1)");
	cr_expect(P->actions[0].autoprobe_off, "a non-zero count is reached through 0");
	expect("0000:00:10.0", PROTO_STATE_CONVERGED, "");
	expect_no_status("0000:00:10.3");
	expect("0000:00:10.5", PROTO_STATE_PENDING, "goes away: numvfs change on 0000:00:03.0");
}

Test(plan, numvfs_above_totalvfs_is_error)
{
	with_ifname(sriov(nic("0000:00:03.0", "igb", 3), 4, 0), "eth0");
	conf("DEFAULT 0000:00:03.0 numvfs=8\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_ERROR, "asks 8 VFs, 0000:00:03.0 supports 4");
	expect_no_actions();
}

Test(plan, numvfs_on_non_sriov_is_error)
{
	nic("0000:00:03.0", "igb", 3);
	conf("DEFAULT 0000:00:03.0 numvfs=2\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_ERROR, "0000:00:03.0 is not SR-IOV capable");
	expect_no_actions();
}

Test(plan, numvfs_lines_that_disagree_are_error)
{
	pf_with_vfs(0, "");
	conf("DEFAULT 0000:00:03.0 numvfs=2\nDEFAULT 0000:00:03.0 numvfs=4\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_ERROR, "lines 1 and 2 disagree: numvfs=2 vs numvfs=4");
	expect_no_actions();
}

Test(plan, numvfs_line_and_driver_line_on_one_pf_are_two_claims)
{
	pf_with_vfs(2, "");
	conf("DEFAULT 0000:00:03.0 numvfs=2\nDEFAULT 0000:00:03.0 driver=igb\n");
	run();
	cr_assert_eq(P->n_statuses, 4);
	cr_expect_str_eq(P->statuses[0].bdf, "0000:00:03.0");
	cr_expect_not(P->statuses[0].pf_claim, "device claim first");
	cr_expect_eq(P->statuses[0].line, 2);
	cr_expect(P->statuses[1].pf_claim);
	cr_expect_eq(P->statuses[1].line, 1);
	cr_expect_str_eq(P->statuses[2].bdf, "0000:00:10.0");
}

Test(plan, vfs_list_selects_subset)
{
	pf_with_vfs(4, "");
	conf("DEFAULT 0000:00:03.0 numvfs=4 vfs=0,2\n");
	run();
	expect_actions("bind 0000:00:10.0: (none) -> vfio-pci (line 1)",
		       "bind 0000:00:10.2: (none) -> vfio-pci (line 1)");
	expect_no_status("0000:00:10.1");
	expect_no_status("0000:00:10.3");
}

Test(plan, removed_numvfs_line_restores_original_count)
{
	const struct plan_status *s;

	managed_pf_with_vfs(4);
	conf("\n");
	run();
	expect_pf("0000:00:03.0", PROTO_STATE_PENDING, "no longer in config: back to 0 VFs");
	s = pf_status("0000:00:03.0");
	cr_expect_eq(s->numvfs, 0);
	cr_expect_eq(s->line, 0);
	/* the VFs go away with the count: nothing to restore on them */
	expect_actions("numvfs 0000:00:03.0: 4 -> 0 (restore)");
	cr_expect_not(P->actions[0].autoprobe_off);
	cr_expect_eq(P->n_statuses, 1);
}

Test(plan, managed_pf_already_back_at_its_count_needs_nothing)
{
	pf_with_vfs(0, "");
	manage_pf("0000:00:03.0", 0);
	conf("\n");
	run();
	expect_no_status("0000:00:03.0");
	expect_no_actions();
}

Test(plan, driverless_vf_the_daemon_made_is_restored_when_unclaimed)
{
	pf_with_vfs(2, "");
	manage_pf("0000:00:03.0", 0);
	conf("DEFAULT 0000:00:03.0 numvfs=2 vfs=0\n");
	run();
	expect("0000:00:10.1", PROTO_STATE_PENDING, "no longer in config: back to the kernel's choice");
	expect_actions("restore 0000:00:10.1: (none) -> kernel's choice",
		       "bind 0000:00:10.0: (none) -> vfio-pci (line 1)");
}

Test(plan, actions_ordered_restore_numvfs_bind)
{
	nic("0000:01:00.0", "igb", 1);
	with_ifname(sriov(nic("0000:02:00.0", "igb", 2), 8, 0), "eth0");
	nic("0000:09:00.0", "vfio-pci", 9);
	manage("0000:09:00.0", "igb", "vfio-pci", "");
	conf("DEFAULT 0000:02:00.0 numvfs=2\nDEFAULT 0000:01:00.0\n");
	run();
	expect_actions("restore 0000:09:00.0: vfio-pci -> kernel's choice (was igb)",
		       "numvfs 0000:02:00.0: 0 -> 2 (line 1)",
		       "bind 0000:01:00.0: igb -> vfio-pci (line 2)");
	for (size_t i = 1; i < P->n_statuses; i++)
		cr_expect_lt(strcmp(P->statuses[i - 1].bdf, P->statuses[i].bdf), 0);
}

Test(plan, statuses_and_actions_sorted_by_address)
{
	nic("0000:0a:00.0", "igb", 3);
	nic("0000:03:00.0", "igb", 2);
	nic("10000:01:00.0", "igb", 1);	/* VMD domain: longer than four digits */
	conf("DEFAULT id=8086:1521\n");
	run();
	cr_assert_eq(P->n_statuses, 3);
	cr_expect_str_eq(P->statuses[0].bdf, "0000:03:00.0");
	cr_expect_str_eq(P->statuses[1].bdf, "0000:0a:00.0");
	cr_expect_str_eq(P->statuses[2].bdf, "10000:01:00.0");
	cr_expect_str_eq(P->actions[2].bdf, "10000:01:00.0");
}

Test(plan, empty_config_restores_everything_managed)
{
	nic("0000:03:00.0", "vfio-pci", 10);
	nic("0000:03:00.1", "pci-stub", 11);
	pf_with_vfs(1, "");
	manage("0000:03:00.0", "igb", "vfio-pci", "eth0");
	manage("0000:03:00.1", "e1000e", "pci-stub", "");
	manage_pf("0000:00:03.0", 0);
	for (int config_missing = 0; config_missing < 2; config_missing++) {
		if (config_missing) {
			config_free(C);
			C = NULL;
		} else {
			conf("# nothing here\n");
		}
		run();
		expect_actions("restore 0000:03:00.0: vfio-pci -> kernel's choice (was igb)",
			       "restore 0000:03:00.1: pci-stub -> kernel's choice (was e1000e)",
			       "numvfs 0000:00:03.0: 1 -> 0 (restore)");
	}
}

Test(plan, plan_is_deterministic_and_pure)
{
	struct pci_dev before[MAX_DEVS];
	struct managed_dev managed_before[1];
	struct cfg_entry entries_before[3];
	struct plan *first;
	struct plan_input in;

	bridge("0000:00:1c.0", 5);
	nic("0000:03:00.0", "igb", 5);
	nic("0000:03:00.1", "igb", 5);
	pf_with_vfs(3, "");
	nic("0000:09:00.0", "vfio-pci", 9);
	manage("0000:09:00.0", "igb", "vfio-pci", "");
	manage_pf("0000:00:03.0", 0);
	in_use("0000:03:00.1", "mounted /boot");
	conf("DEFAULT 0000:03:00.0 group=all\nDEFAULT 0000:00:03.0 numvfs=2 vfs=1\n"
	     "DEFAULT 0000:07:00.0\n");
	in = input();
	memcpy(before, S.devs, sizeof(before));
	memcpy(managed_before, M.devs, sizeof(managed_before));
	memcpy(entries_before, C->entries, C->n_entries * sizeof(*C->entries));
	cr_assert_eq(plan_compute(&in, &first), 0);
	run();
	cr_expect_eq(memcmp(before, S.devs, sizeof(before)), 0, "pci state modified");
	cr_expect_eq(memcmp(managed_before, M.devs, sizeof(managed_before)), 0, "managed modified");
	cr_expect_eq(memcmp(entries_before, C->entries, C->n_entries * sizeof(*C->entries)), 0,
		     "config modified");
	cr_assert_eq(first->n_actions, P->n_actions);
	cr_assert_eq(first->n_statuses, P->n_statuses);
	cr_expect_eq(memcmp(first->actions, P->actions, P->n_actions * sizeof(*P->actions)), 0);
	for (size_t i = 0; i < P->n_statuses; i++) {
		struct plan_status a = first->statuses[i], b = P->statuses[i];

		cr_expect_str_eq(a.reason, b.reason);
		a.reason = b.reason = NULL; /* each plan has its own copy */
		cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0, "status %zu", i);
	}
	cr_expect_gt(P->n_actions, 0u);
	plan_free(first);
}

/* A pass looks lines up through an index (plain BDF lines by address, the
 * rest tried on every device) and IOMMU groups through a sorted list of
 * members. Random worlds: what it claims must be plan_resolve's per-device
 * answer, and a group's viability what its members' ends say. */
static unsigned rnd_state;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

static const struct pci_dev *find_dev_bdf(const char *bdf)
{
	for (size_t i = 0; i < S.n; i++)
		if (!strcmp(S.devs[i].bdf, bdf))
			return &S.devs[i];
	return NULL;
}

static bool is_in_use(const char *bdf)
{
	for (size_t i = 0; i < N_INUSE; i++)
		if (!strcmp(INUSE[i].bdf, bdf))
			return true;
	return false;
}

/* The driver device x ends on once the plan is carried out, worked out
 * from the statuses the slow way (no bridges, VGA, holders or force=yes in
 * the random worlds). */
static const char *naive_end(const struct pci_dev *x)
{
	const struct plan_status *sx = find_status(x->bdf, false);
	const struct managed_dev *m = managed_find(&M, x->bdf);
	bool vfio_ok = !x->driver[0] || !strcmp(x->driver, "vfio-pci") ||
		       !strcmp(x->driver, "pci-stub");

	if (!sx || sx->state == PROTO_STATE_ERROR)
		return x->driver;
	if (sx->desired[0])
		return !strcmp(x->driver, sx->desired) || is_in_use(x->bdf) ? x->driver
									     : sx->desired;
	if (is_in_use(x->bdf) && !vfio_ok)
		return x->driver;
	return m ? m->original_driver : "";
}

static void random_world(void)
{
	static const char *const drivers[] = { "igb", "vfio-pci", "", "pci-stub", "e1000e" };
	static const char *const nodes[] = { "DEFAULT", "worker-0", "worker-*", "other" };
	char bdf[BDF_BUFSZ], text[2048] = "";
	size_t len = 0;
	unsigned n_lines = 1 + rnd(14);

	for (unsigned i = 0; i < 24; i++) {
		snprintf(bdf, sizeof(bdf), "0000:%02x:00.%u", 1 + rnd(6), rnd(8));
		if (find_dev_bdf(bdf))
			continue;
		dev(bdf, 0x8086, rnd(3) ? 0x1521 : 0x10d3, rnd(4) ? 0x020000 : 0x010802,
			drivers[rnd(5)], rnd(5) ? (int)rnd(6) : -1);
		if (!rnd(6) && N_INUSE < MAX_INUSE)
			in_use(bdf, "in use");
	}
	for (unsigned i = 0; i < n_lines && len < sizeof(text) - 128; i++) {
		const char *node = nodes[rnd(4)];
		const char *drv = rnd(3) ? "" : " driver=pci-stub";
		const char *grp = rnd(4) ? "" : " group=all";

		switch (rnd(3)) {
		case 0:
		case 1:
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s 0000:%02x:00.%u%s%s\n", node, 1 + rnd(6),
						rnd(8), drv, grp);
			break;
		default:
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %s%s%s\n",
						node, rnd(2) ? "id=8086:1521" : "class=0x0108",
						drv, grp);
		}
	}
	conf(text);
	if (!rnd(3))
		manage(S.devs[rnd((unsigned)S.n)].bdf, "igb", "vfio-pci", "");
}

Test(plan, indexed_claims_and_groups_agree_with_the_plain_answer)
{
	for (unsigned seed = 1; seed <= 400; seed++) {
		rnd_state = seed;
		teardown();
		setup();
		random_world();
		run();
		for (size_t i = 0; i < S.n; i++) {
			const struct pci_dev *d = &S.devs[i];
			const struct plan_status *st = find_status(d->bdf, false);
			const struct cfg_entry *w = NULL, *o = NULL;
			int rc = plan_resolve(C, NODE, d, &S, &M, &w, &o);
			bool viable = d->iommu_group >= 0;

			if (rc == -EEXIST) {
				cr_assert_not_null(st, "seed %u %s", seed, d->bdf);
				cr_expect_eq(st->state, PROTO_STATE_ERROR, "seed %u %s", seed, d->bdf);
				cr_expect_eq(st->line, w->line, "seed %u %s", seed, d->bdf);
				continue;
			}
			if (rc == 0) {
				cr_assert_not_null(st, "seed %u %s", seed, d->bdf);
				cr_expect_eq(st->line, w->line, "seed %u %s", seed, d->bdf);
			} else if (st && st->line) {
				/* claimed only through a group=all member */
				cr_expect(C->entries[0].line <= st->line, "seed %u", seed);
				cr_expect_neq(st->state, PROTO_STATE_ERROR, "seed %u %s", seed, d->bdf);
			}
			if (!st)
				continue;
			/* viable: no other non-bridge member ends on a host driver */
			for (size_t j = 0; j < S.n && viable; j++) {
				const struct pci_dev *x = &S.devs[j];
				const char *end = naive_end(x);

				if (j == i || x->iommu_group != d->iommu_group || x->is_bridge)
					continue;
				viable = !end[0] || !strcmp(end, "vfio-pci") || !strcmp(end, "pci-stub");
			}
			cr_expect_eq(st->group_viable, viable, "seed %u %s", seed, d->bdf);
		}
	}
}

Test(plan, null_inputs_are_an_empty_world)
{
	struct plan_input in = { .node_name = NULL };
	struct plan *p = NULL;

	cr_assert_eq(plan_compute(&in, &p), 0);
	cr_expect_eq(p->n_actions, 0u);
	cr_expect_eq(p->n_statuses, 0u);
	plan_free(p);
}

/* ---- text and helpers ---- */

Test(plan, format_action_texts)
{
	static const struct {
		struct plan_action a;
		const char *text;
	} t[] = {
		{ { .kind = PROTO_ACTION_BIND, .bdf = "0000:03:00.1", .driver = "vfio-pci",
		    .current = "igb", .line = 3 },
		  "bind 0000:03:00.1: igb -> vfio-pci (line 3)" },
		{ { .kind = PROTO_ACTION_BIND, .bdf = "0000:03:00.1", .driver = "vfio-pci", .line = 3 },
		  "bind 0000:03:00.1: (none) -> vfio-pci (line 3)" },
		{ { .kind = PROTO_ACTION_RESTORE, .bdf = "0000:03:00.1", .driver = "igb",
		    .current = "vfio-pci" },
		  "restore 0000:03:00.1: vfio-pci -> kernel's choice (was igb)" },
		{ { .kind = PROTO_ACTION_NUMVFS, .bdf = "0000:00:03.0", .numvfs = 4,
		    .current_numvfs = 0, .line = 2 },
		  "numvfs 0000:00:03.0: 0 -> 4 (line 2)" },
	};
	char buf[128], tiny[8];

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		cr_expect_eq(plan_format_action(&t[i].a, buf, sizeof(buf)), 0);
		cr_expect_str_eq(buf, t[i].text);
	}
	cr_expect_eq(plan_format_action(&t[0].a, tiny, sizeof(tiny)), -ENAMETOOLONG);
	cr_expect_str_eq(proto_action_name(PROTO_ACTION_NUMVFS), "numvfs");
	cr_expect_str_eq(proto_state_name(PROTO_STATE_ABSENT), "absent");
	cr_expect_str_eq(proto_state_name(PROTO_STATE_CONVERGED), "converged");
}

Test(plan, managed_set_add_find_replace_remove)
{
	struct managed_dev d = { .bdf = "0000:03:00.0", .original_driver = "igb" };
	struct managed_pf p = { .bdf = "0000:00:03.0", .original_numvfs = 0 };
	char bdf[BDF_BUFSZ];

	for (int i = 0; i < 20; i++) {
		snprintf(bdf, sizeof(bdf), "0000:%02x:00.0", i + 0x10);
		snprintf(d.bdf, sizeof(d.bdf), "%s", bdf);
		cr_assert_eq(managed_add(&M, &d), 0);
	}
	cr_expect_eq(M.n_devs, 20u);
	snprintf(d.driver, sizeof(d.driver), "pci-stub");
	cr_assert_eq(managed_add(&M, &d), 0);
	cr_expect_eq(M.n_devs, 20u, "same BDF replaces");
	cr_expect_str_eq(managed_find(&M, "0000:23:00.0")->driver, "pci-stub");
	managed_remove(&M, "0000:15:00.0");
	cr_expect_null(managed_find(&M, "0000:15:00.0"));
	cr_expect_eq(M.n_devs, 19u);
	cr_expect_str_eq(M.devs[5].bdf, "0000:16:00.0", "order kept");
	managed_remove(&M, "0000:99:00.0");
	cr_expect_eq(M.n_devs, 19u);

	cr_assert_eq(managed_add_pf(&M, &p), 0);
	p.original_numvfs = 2;
	cr_assert_eq(managed_add_pf(&M, &p), 0);
	cr_expect_eq(M.n_pfs, 1u);
	cr_expect_eq(managed_find_pf(&M, "0000:00:03.0")->original_numvfs, 2);
	managed_remove_pf(&M, "0000:00:03.0");
	cr_expect_null(managed_find_pf(&M, "0000:00:03.0"));
	managed_clear(&M);
	cr_expect_eq(M.n_devs, 0u);
	cr_expect_null(M.devs);
	cr_expect_null(managed_find(NULL, "0000:03:00.0"));
}
