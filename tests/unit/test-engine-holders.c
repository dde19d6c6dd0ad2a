/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-engine-holders.c: the daemon never takes a device from the process
 * that holds it, and moves it as soon as the holder lets go, waiting on the
 * holder itself (pidfd, inotify), not on a timer. The holder is a real child
 * process (its pidfd is real) described by a fake proc tree whose
 * descriptor points at /dev/full, the stand-in for the VFIO group node. Time
 * is the stepper's: a test that needed the re-check timer would have to
 * step it, and these do not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "fakeproc.h"
#include "fakesys.h"
#include "logcap.h"
#include "stepper.h"
#include "enginefix.h"
#include "util.h"

#define NIC "0000:01:00.0"
#define PF "0000:00:05.0"

static struct enginefix fx;
static struct fakeproc *fp;
static struct engine *eng;
static char full[32];
static pid_t holder = -1;

static int no_pidfd(int pid)
{
	(void)pid;
	return -ENOSYS;
}

static void make_engine(const char *text, bool with_pidfd)
{
	struct engine_opts o = enginefix_opts(&fx);

	o.proc_root = fakeproc_root(fp);
	o.run_dir = NULL;
	o.workers = 1;
	o.pidfd_open = with_pidfd ? NULL : no_pidfd;
	enginefix_write_conf(&fx, text);
	eng = enginefix_engine(&fx, &o);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
}

static void setup(void)
{
	enginefix_setup(&fx, "holders");
	fp = fakeproc_new();
	cr_assert_not_null(fp);
	if (!fakeproc_majmin("/dev/full", full, sizeof(full)))
		cr_skip_test("no /dev/full to stand in for a VFIO group node");
	enginefix_add_nic(&fx, NIC, 1);
	eng = NULL;
}

static void teardown(void)
{
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		holder = -1;
	}
	enginefix_teardown(&fx);
	fakeproc_free(fp);
}

TestSuite(engine_holders, .init = setup, .fini = teardown, .timeout = 30);

static bool on(const char *bdf, const char *driver)
{
	char *d = fakesys_driver(fx.fs, bdf);
	bool r = d && strcmp(d, driver) == 0;

	free(d);
	return r;
}

/* A real process that holds group `group`, as the fake proc tree tells it:
 * descriptor 31 on the group's node, with fdinfo (NULL: read-write, as QEMU
 * opens it). */
static void hold_group_as(int group, const char *fdinfo)
{
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		for (;;)
			pause();
	}
	cr_assert_eq(fakesys_add_vfio_group(fx.fs, group, full), 0);
	cr_assert_eq(fakeproc_add_process(fp, holder, "qemu-system-x86", 107, 4242, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, holder, 31, "/dev/full", fdinfo), 0);
}

static void hold_group(int group)
{
	hold_group_as(group, NULL);
}

/* The holder exits: the kernel closes its descriptors, its proc entry goes. */
static void holder_exits(void)
{
	cr_assert_eq(kill(holder, SIGKILL), 0);
	cr_assert_eq(waitpid(holder, NULL, 0), holder);
	cr_assert_eq(fakeproc_remove_process(fp, holder), 0);
	holder = -1;
}

static const struct devtab_entry *info(const char *bdf)
{
	const struct devtab_entry *d = engine_dev_info(eng, bdf);

	cr_assert_not_null(d, "%s: not in the device table", bdf);
	return d;
}

static const char *held_reason(char *buf, size_t size)
{
	snprintf(buf, size, "held by pid %d (qemu-system-x86, uid 107) through /dev/full",
		 (int)holder);
	return buf;
}

/* NIC on vfio-pci under its line; a holder takes its group (fdinfo as
 * hold_group_as); the line goes: the restore waits. */
static void line_removed_under(bool with_pidfd, const char *fdinfo)
{
	make_engine("worker-0 " NIC "\n", with_pidfd);
	cr_assert(on(NIC, "vfio-pci"));
	hold_group_as(1, fdinfo);
	enginefix_write_conf(&fx, "# the line is gone\n");
	cr_assert_eq(engine_reload(eng, "test"), 0);
	stepper_settle(&fx.step);
	cr_assert(on(NIC, "vfio-pci"), "taken from the process holding it");
	cr_assert_eq(info(NIC)->state, PROTO_STATE_BLOCKED);
}

static void line_removed_under_a_holder(bool with_pidfd)
{
	line_removed_under(with_pidfd, NULL);
}

Test(engine_holders, a_held_device_stays_and_moves_once_its_holder_exits_with_no_timer)
{
	char want[160];

	line_removed_under_a_holder(true);
	cr_assert_eq(info(NIC)->reason_hash, devtab_reason_hash(held_reason(want, sizeof(want))),
		     "the holder was told");
	cr_assert_eq(engine_next_wakeup(eng), 0, "waits on a timer, not on the holder");
	holder_exits();
	/* The pidfd is readable: one loop turn and the coalescing window. */
	stepper_settle(&fx.step);
	cr_assert(on(NIC, "e1000e"), "still held back after its holder exited");
	cr_assert_eq(engine_next_wakeup(eng), 0);
}

/* While the worker writes a device, the passes in between gather no holder
 * facts for it: its move waits for the worker anyway, and walking every
 * process for it would only delay the others (a hand rebind's bind event
 * brought such a pass in the guest). Its facts come on the pass after. */
Test(engine_holders, no_facts_are_gathered_for_a_device_whose_move_is_running)
{
	struct engine_opts o = enginefix_opts(&fx);
	struct sysfs_ops hang = enginefix_hang_ops(&fx, NIC);
	const struct plan *p;

	o.proc_root = fakeproc_root(fp);
	o.run_dir = NULL;
	o.workers = 1;
	o.sysfs = &hang;
	enginefix_write_conf(&fx, "worker-0 " NIC "\n");
	eng = enginefix_engine(&fx, &o);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&fx.step);
	cr_assert(info(NIC)->in_flight, "the bind hangs in the kernel");
	/* Its group's node is held now, and a pass comes. */
	hold_group(1);
	engine_device_event(eng, "change", NIC);
	stepper_settle(&fx.step);
	p = engine_plan(eng);
	cr_assert_eq(p->n_held, 0, "facts were gathered for the device being written");
	cr_assert_eq(p->n_actions, 1, "its bind stays planned, waiting for the worker");
	enginefix_release_hang(&fx);
	cr_assert(on(NIC, "vfio-pci"));
}

Test(engine_holders, without_pidfd_open_the_recheck_timer_stands_in)
{
	long long blocked_at;

	line_removed_under_a_holder(false);
	blocked_at = info(NIC)->last_transition_ms;
	cr_assert_eq(engine_next_wakeup(eng), blocked_at + ENGINE_INUSE_RECHECK_MS);
	holder_exits();
	stepper_advance(&fx.step, blocked_at + ENGINE_INUSE_RECHECK_MS - 1 - fx.step.mono);
	cr_assert(on(NIC, "vfio-pci"), "moved before any pass could know");
	stepper_advance(&fx.step, 1);
	stepper_settle(&fx.step);
	cr_assert(on(NIC, "e1000e"));
}

/* Only closes of descriptors open for writing are heard (a read-only look
 * at a disk, the daemon's own probe among them, would make passes that
 * look again): a read-only holder that closes without exiting is left to
 * the re-check timer, while its exit is still heard at once. */
Test(engine_holders, a_read_only_holder_is_rechecked_by_the_timer)
{
	long long blocked_at;

	line_removed_under(true, "pos:\t0\nflags:\t0100000\n");
	blocked_at = info(NIC)->last_transition_ms;
	cr_assert_eq(engine_next_wakeup(eng), blocked_at + ENGINE_INUSE_RECHECK_MS);
	cr_assert_eq(fakeproc_remove_fd(fp, holder, 31), 0);
	stepper_advance(&fx.step, blocked_at + ENGINE_INUSE_RECHECK_MS - fx.step.mono);
	stepper_settle(&fx.step);
	cr_assert(on(NIC, "e1000e"));
}

Test(engine_holders, a_holder_that_closes_the_node_without_exiting_brings_a_pass)
{
	int fd;

	line_removed_under_a_holder(true);
	/* QEMU after the guest let the device go: it closes the group, runs on. */
	cr_assert_eq(fakeproc_remove_fd(fp, holder, 31), 0);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	stepper_settle(&fx.step);
	cr_assert(on(NIC, "e1000e"), "a close of the held node brought no pass");
	cr_assert_eq(kill(holder, 0), 0, "the holder still runs");
}

static const struct plan_status *pf_claim(void)
{
	const struct plan *p = engine_plan(eng);

	for (size_t i = 0; p && i < p->n_statuses; i++)
		if (p->statuses[i].pf_claim && strcmp(p->statuses[i].bdf, PF) == 0)
			return &p->statuses[i];
	cr_assert_fail("no numvfs claim for " PF);
	return NULL;
}

static int numvfs(void)
{
	char *v = fakesys_read(fx.fs, "bus/pci/devices/" PF "/sriov_numvfs");
	int n = v ? atoi(v) : -1;

	free(v);
	return n;
}

Test(engine_holders, no_count_change_while_a_vf_is_held)
{
	struct fakesys_dev d;
	const struct pci_dev *vf0 = NULL;
	const struct pci_state *pci;
	char want[256];

	fakesys_add_driver(fx.fs, "ixgbe");
	fakesys_dev_init(&d, PF, "ixgbe", 5);
	d.totalvfs = 4;
	d.vf_driver = "ixgbevf"; /* no such driver: VFs stay driverless until bound */
	cr_assert_eq(fakesys_add_device(fx.fs, &d), 0);
	make_engine("worker-0 " PF " numvfs=2\n", true);
	cr_assert_eq(numvfs(), 2);
	pci = engine_pci(eng);
	for (size_t i = 0; i < pci->n; i++)
		if (strcmp(pci->devs[i].physfn, PF) == 0 && pci->devs[i].vf_index == 0)
			vf0 = &pci->devs[i];
	cr_assert_not_null(vf0);
	cr_assert(on(vf0->bdf, "vfio-pci"));
	hold_group(vf0->iommu_group);
	snprintf(want, sizeof(want),
		 "numvfs 2 -> 4 waits: VF %s held by pid %d (qemu-system-x86, uid 107) through "
		 "/dev/full", vf0->bdf, (int)holder);
	enginefix_write_conf(&fx, "worker-0 " PF " numvfs=4\n");
	cr_assert_eq(engine_reload(eng, "test"), 0);
	stepper_settle(&fx.step);
	cr_assert_eq(numvfs(), 2, "the count changed under a held VF");
	cr_assert_eq(pf_claim()->state, PROTO_STATE_BLOCKED);
	cr_assert_str_eq(pf_claim()->reason, want);
	holder_exits();
	stepper_settle(&fx.step);
	cr_assert_eq(numvfs(), 4);
}
