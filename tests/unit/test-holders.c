/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-holders.c: who holds a function open. The rule (pure: facts -> the
 * verdict and the exact sentence a user reads), then the gathering from a
 * fake sysfs tree and a fake proc tree whose descriptors point at real
 * nodes (/dev/full, /dev/null), so stat() gives real device numbers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeproc.h"
#include "fakesys.h"
#include "holders-gather.h"
#include "holders.h"
#include "logcap.h"
#include "pci-scan.h"
#include "util.h"

/* --- the rule, from facts stated in memory --------------------------------- */

static struct pci_state S;
static struct holders_facts F;
static struct plan_held *V;
static size_t NV;

static void pure_setup(void)
{
	memset(&S, 0, sizeof(S));
	memset(&F, 0, sizeof(F));
	V = NULL;
	NV = 0;
}

static void pure_teardown(void)
{
	free(S.devs);
	holders_facts_clear(&F);
	free(V);
}

TestSuite(holders, .init = pure_setup, .fini = pure_teardown);

static void dev(const char *bdf, const char *driver, int group)
{
	struct pci_dev d = { .iommu_group = group, .vf_index = -1 };

	cr_assert_eq(bdf_parse_full(bdf, &d.addr), 0);
	bdf_format(&d.addr, d.bdf);
	snprintf(d.driver, sizeof(d.driver), "%s", driver);
	cr_assert_eq(pci_state_upsert(&S, &d), 0);
}

static void group_node(int group, unsigned minor)
{
	cr_assert_eq(holders_facts_add_node(&F, HOLDERS_NODE_GROUP, NULL, group, false, 243, minor),
		     0);
}

static void own_node(const char *bdf, bool block, unsigned major, unsigned minor)
{
	cr_assert_eq(holders_facts_add_node(&F, HOLDERS_NODE_OWN, bdf, -1, block, major, minor), 0);
}

static void proc(int pid, const char *comm, unsigned uid, int err)
{
	struct holders_proc *p = holders_facts_proc(&F, pid);

	cr_assert_not_null(p);
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->uid = uid;
	p->err = err;
}

static void fd_node(int pid, int fd, const char *path, bool block, unsigned major,
		    unsigned minor)
{
	struct holders_fd x = { .pid = pid, .fd = fd, .block = block, .major = major,
				.minor = minor };

	snprintf(x.path, sizeof(x.path), "%s", path);
	cr_assert_eq(holders_facts_add_fd(&F, &x), 0);
}

static void fd_anon(int pid, int fd, const char *syspath_bdf)
{
	struct holders_fd x = { .pid = pid, .fd = fd, .vfio_anon = true };

	snprintf(x.path, sizeof(x.path), "%s", HOLDERS_VFIO_ANON);
	snprintf(x.syspath_bdf, sizeof(x.syspath_bdf), "%s", syspath_bdf);
	cr_assert_eq(holders_facts_add_fd(&F, &x), 0);
}

/* The verdict on bdf when asked about every device, NULL when none. */
static const struct plan_held *verdict(const char *bdf)
{
	const char *all[32];

	cr_assert_leq(S.n, ARRAY_SIZE(all));
	for (size_t i = 0; i < S.n; i++)
		all[i] = S.devs[i].bdf;
	free(V);
	cr_assert_eq(holders_compute(&S, &F, all, S.n, &V, &NV), 0);
	for (size_t i = 0; i < NV; i++)
		if (strcmp(V[i].bdf, bdf) == 0)
			return &V[i];
	return NULL;
}

static const char *reason(const char *bdf)
{
	const struct plan_held *v = verdict(bdf);

	return v ? v->reason : NULL;
}

#define QEMU "held by pid 4242 (qemu-system-x86, uid 107) through /dev/vfio/14"

/* Group 14 (03:00.0 on vfio-pci, 03:00.1 on driver) and group 15 (04:00.0
 * on vfio-pci) have their nodes; QEMU, pid 4242, holds group 14. */
static void qemu_holds_group_14(const char *driver)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	dev("0000:03:00.1", driver, 14);
	dev("0000:04:00.0", "vfio-pci", 15);
	group_node(14, 0);
	group_node(15, 1);
	proc(4242, "qemu-system-x86", 107, 0);
	fd_node(4242, 31, "/dev/vfio/14", false, 243, 0);
}

Test(holders, a_group_descriptor_holds_every_member_of_the_group)
{
	qemu_holds_group_14("pci-stub");
	cr_assert_str_eq(reason("0000:03:00.0"), QEMU);
	cr_assert_str_eq(reason("0000:03:00.1"), QEMU, "a member on pci-stub is the VM's too");
	cr_assert_null(reason("0000:04:00.0"));
	cr_assert_eq(verdict("0000:03:00.0")->holders[0].fd, 31);
	cr_assert_not(verdict("0000:03:00.0")->unknown);
}

Test(holders, the_node_path_is_shown_rather_than_the_anonymous_descriptor)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	group_node(14, 0);
	proc(4242, "qemu-system-x86", 107, 0);
	fd_anon(4242, 32, "0000:03:00.0");
	fd_node(4242, 31, "/dev/vfio/14", false, 243, 0);
	cr_assert_str_eq(reason("0000:03:00.0"), QEMU);
	cr_assert_eq(verdict("0000:03:00.0")->n_holders, 1, "one process, one holder");
}

Test(holders, every_holder_is_counted_the_first_ones_kept)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	group_node(14, 0);
	for (int pid = 106; pid >= 100; pid--) {
		proc(pid, "dpdk", 0, 0);
		fd_node(pid, 5, "/dev/vfio/14", false, 243, 0);
	}
	const struct plan_held *v = verdict("0000:03:00.0");
	cr_assert_str_eq(v->reason, "held by pid 100 (dpdk, uid 0) through /dev/vfio/14 and 6 other "
				    "processes");
	cr_assert_eq(v->n_holders, PLAN_MAX_HOLDERS);
	cr_assert_eq(v->n_more, 7 - PLAN_MAX_HOLDERS);
	cr_assert_eq(v->holders[1].pid, 101, "by pid");
	holders_facts_clear(&F);
	group_node(14, 0);
	proc(100, "a", 0, 0);
	proc(101, "b", 0, 0);
	fd_node(100, 5, "/dev/vfio/14", false, 243, 0);
	fd_node(101, 5, "/dev/vfio/14", false, 243, 0);
	cr_assert_str_eq(reason("0000:03:00.0"),
			 "held by pid 100 (a, uid 0) through /dev/vfio/14 and 1 other process");
}

Test(holders, own_nodes_of_a_host_driver_and_of_the_vfio_cdev)
{
	dev("0000:02:00.0", "nvme", 2);
	dev("0000:05:00.0", "vfio-pci", 5);
	dev("0000:06:00.0", "nvme", 6);
	own_node("0000:02:00.0", true, 259, 1);
	own_node("0000:05:00.0", false, 511, 0);
	own_node("0000:06:00.0", false, 259, 1);
	proc(77, "fio", 0, 0);
	proc(78, "crosvm", 0, 0);
	fd_node(77, 3, "/dev/nvme0n1p1", true, 259, 1);
	fd_node(78, 9, "/dev/vfio/devices/vfio0", false, 511, 0);
	cr_assert_str_eq(reason("0000:02:00.0"), "held by pid 77 (fio, uid 0) through /dev/nvme0n1p1");
	cr_assert_str_eq(reason("0000:05:00.0"),
			 "held by pid 78 (crosvm, uid 0) through /dev/vfio/devices/vfio0");
	cr_assert_null(reason("0000:06:00.0"), "char 259:1 is not block 259:1");
}

Test(holders, fdinfo_ties_an_anonymous_descriptor_to_its_function)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	dev("0000:04:00.0", "vfio-pci", 15);
	group_node(14, 0);
	group_node(15, 1);
	proc(50, "passed-fd", 0, 0);
	fd_anon(50, 4, "0000:03:00.0");
	cr_assert_str_eq(reason("0000:03:00.0"),
			 "held by pid 50 (passed-fd, uid 0) through anon_inode:[vfio-device]");
	cr_assert_null(reason("0000:04:00.0"));
}

Test(holders, untied_device_descriptors_its_groups_account_for_are_explained)
{
	qemu_holds_group_14("vfio-pci");
	fd_anon(4242, 32, "");
	fd_anon(4242, 33, "");
	cr_assert_str_eq(reason("0000:03:00.1"), QEMU);
	cr_assert_null(reason("0000:04:00.0"), "two device descriptors, two devices in group 14");
}

Test(holders, untied_device_descriptors_nothing_accounts_for_are_cannot_tell)
{
	static const char *const why =
		"cannot tell whether it is held: pid 4242 (qemu-system-x86, uid 107) holds 2 VFIO "
		"device descriptors that this kernel does not tie to a device";

	qemu_holds_group_14("e1000e");
	dev("0000:06:00.0", "nvme", 6);
	own_node("0000:06:00.0", false, 241, 0);
	fd_anon(4242, 32, "");
	fd_anon(4242, 33, "");
	cr_assert_str_eq(reason("0000:03:00.0"), QEMU, "a holder is named before cannot tell");
	cr_assert_str_eq(reason("0000:04:00.0"), why);
	cr_assert(verdict("0000:04:00.0")->unknown);
	cr_assert_null(reason("0000:06:00.0"), "a host driver's function has no VFIO descriptors");
}

Test(holders, unreadable_processes_make_every_holdable_function_cannot_tell)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	dev("0000:07:00.0", "e1000e", 7);
	group_node(14, 0);
	proc(900, "qemu-kvm", 107, EACCES);
	proc(901, "", 0, EACCES);
	cr_assert_str_eq(reason("0000:03:00.0"),
			 "cannot tell whether it is held: the descriptors of pid 900 (qemu-kvm, uid "
			 "107) cannot be read (permission denied), nor those of 1 other process: run "
			 "vfiobindd with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
	cr_assert_null(reason("0000:07:00.0"), "a NIC with no node of its own holds nothing");
}

Test(holders, hidden_processes_make_it_cannot_tell)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	group_node(14, 0);
	snprintf(F.hidden, sizeof(F.hidden), "/proc (hidepid=invisible) hides other users' processes");
	cr_assert_str_eq(reason("0000:03:00.0"),
			 "cannot tell whether it is held: /proc (hidepid=invisible) hides other users' "
			 "processes: run vfiobindd with CAP_SYS_PTRACE");
}

Test(holders, nothing_held_nothing_said)
{
	dev("0000:03:00.0", "vfio-pci", 14);
	group_node(14, 0);
	proc(1, "systemd", 0, 0);
	fd_node(1, 3, "/dev/null", false, 1, 3);
	cr_assert_null(verdict("0000:03:00.0"));
	cr_assert_eq(NV, 0);
}

/* --- gathering from a fake sysfs tree and a fake proc tree ----------------- */

static struct fakesys *fs;
static struct fakeproc *fp;
static char full[32], null_[32];

static void fake_setup(void)
{
	struct fakesys_dev d;

	logcap_quiet();
	pure_setup();
	fs = fakesys_new();
	fp = fakeproc_new();
	cr_assert_not_null(fs);
	cr_assert_not_null(fp);
	if (!fakeproc_majmin("/dev/full", full, sizeof(full)) ||
	    !fakeproc_majmin("/dev/null", null_, sizeof(null_)))
		cr_skip_test("no /dev/full or /dev/null to stand in for device nodes");
	fakesys_add_driver(fs, "vfio-pci");
	fakesys_add_driver(fs, "amdgpu");
	fakesys_dev_init(&d, "0000:01:00.0", "vfio-pci", 14);
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	fakesys_dev_init(&d, "0000:02:00.0", "amdgpu", 2);
	d.class_code = 0x030000;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	cr_assert_eq(fakesys_add_vfio_group(fs, 14, full), 0);
}

static void fake_teardown(void)
{
	fakesys_free(fs);
	fakeproc_free(fp);
	pure_teardown();
	logcap_stop();
}

TestSuite(holders_gather, .init = fake_setup, .fini = fake_teardown, .timeout = 60);

/* Gather about every device of the fake tree and judge into V (no
 * Criterion call: a forked child runs it too). 0 or -errno. */
static int gather_all(void)
{
	struct pci_state *st = NULL;
	const char *all[8];
	size_t n = 0;
	int r = pci_scan(fakesys_root(fs), &st);

	if (r < 0)
		return r;
	for (size_t i = 0; i < st->n && n < ARRAY_SIZE(all); i++)
		all[n++] = st->devs[i].bdf;
	holders_facts_clear(&F);
	free(V);
	V = NULL;
	r = holders_gather(fakeproc_root(fp), fakesys_root(fs), st, all, n, &F);
	if (r == 0)
		r = holders_compute(st, &F, all, n, &V, &NV);
	pci_state_free(st);
	return r;
}

static const struct plan_held *find_verdict(const char *bdf)
{
	for (size_t i = 0; i < NV; i++)
		if (strcmp(V[i].bdf, bdf) == 0)
			return &V[i];
	return NULL;
}

/* bdf's verdict after gathering about every device of the fake tree. */
static const struct plan_held *gathered(const char *bdf)
{
	cr_assert_eq(gather_all(), 0);
	return find_verdict(bdf);
}

static const char *gathered_reason(const char *bdf)
{
	const struct plan_held *v = gathered(bdf);

	return v ? v->reason : NULL;
}

Test(holders_gather, a_group_holder_is_found_through_the_real_node_it_opened)
{
	const struct plan_held *v;

	cr_assert_eq(fakeproc_add_process(fp, 4242, "qemu-system-x86", 107, 98765, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 0, "/dev/null", NULL), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 31, "/dev/full", NULL), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 32, "socket:[1234]", NULL), 0);
	v = gathered("0000:01:00.0");
	cr_assert_not_null(v);
	cr_assert_str_eq(v->reason, "held by pid 4242 (qemu-system-x86, uid 107) through /dev/full");
	cr_assert_eq(v->holders[0].fd, 31);
	cr_assert_eq(v->holders[0].start, 98765, "the start time tells a reused pid");
	cr_assert(v->holders[0].writable, "fdinfo flags 02100002: O_RDWR");
	cr_assert_null(gathered_reason("0000:02:00.0"));
}

Test(holders_gather, a_node_open_read_only_is_told_apart)
{
	const struct plan_held *v;

	cr_assert_eq(fakeproc_add_process(fp, 77, "dd", 0, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 77, 3, "/dev/full", "pos:\t0\nflags:\t0100000\n"), 0);
	v = gathered("0000:01:00.0");
	cr_assert_not_null(v);
	cr_assert_not(v->holders[0].writable);
}

Test(holders_gather, descriptors_on_other_nodes_hold_nothing)
{
	cr_assert_eq(fakeproc_add_process(fp, 4242, "bash", 0, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 0, "/dev/null", NULL), 0);
	cr_assert_null(gathered("0000:01:00.0"));
	cr_assert_eq(F.n_procs, 0, "a process that holds nothing is not kept");
}

Test(holders_gather, a_char_device_under_the_function_is_its_node)
{
	cr_assert_eq(fakesys_add_chardev(fs, "0000:02:00.0", "drm/renderD128", "drm", full), 0);
	cr_assert_eq(fakeproc_add_process(fp, 600, "Xorg", 0, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 600, 12, "/dev/full", NULL), 0);
	cr_assert_str_eq(gathered_reason("0000:02:00.0"),
			 "held by pid 600 (Xorg, uid 0) through /dev/full");
}

Test(holders_gather, fdinfo_syspath_ties_an_anonymous_descriptor)
{
	cr_assert_eq(fakeproc_add_process(fp, 50, "vm", 107, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 50, 7, HOLDERS_VFIO_ANON,
				     "pos:\t0\nflags:\t02000002\nvfio-device-syspath: "
				     "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0\n"), 0);
	cr_assert_str_eq(gathered_reason("0000:01:00.0"),
			 "held by pid 50 (vm, uid 107) through anon_inode:[vfio-device]");
}

Test(holders_gather, an_untied_anonymous_descriptor_without_a_group_is_cannot_tell)
{
	const struct plan_held *v;

	cr_assert_eq(fakeproc_add_process(fp, 50, "vm", 107, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 50, 7, HOLDERS_VFIO_ANON, "pos:\t0\n"), 0);
	v = gathered("0000:01:00.0");
	cr_assert_not_null(v);
	cr_assert(v->unknown);
	cr_assert_str_eq(v->reason, "cannot tell whether it is held: pid 50 (vm, uid 107) holds 1 "
				    "VFIO device descriptor that this kernel does not tie to a device");
}

Test(holders_gather, the_daemons_own_descriptors_hold_nothing)
{
	cr_assert_eq(fakeproc_add_process(fp, 4242, "vfiobindd", 0, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 9, "/dev/full", NULL), 0);
	cr_assert_eq(fakeproc_set_self(fp, 4242), 0);
	cr_assert_null(gathered("0000:01:00.0"));
}

Test(holders_gather, nvme_multipath_heads_belong_to_their_function)
{
	char path[512];

	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0c0n1", "259:7"), 0);
	/* The head the user opens lives under the virtual subsystem. */
	snprintf(path, sizeof(path),
		 "mkdir -p %1$s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1 && "
		 "echo 259:0 > %1$s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/dev && "
		 "ln -s %1$s/class/block "
		 "%1$s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/subsystem && "
		 "ln -s %1$s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1 "
		 "%1$s/class/block/nvme0n1", fakesys_root(fs));
	cr_assert_eq(system(path), 0);
	gathered("0000:02:00.0");
	cr_assert(holders_facts_has_node(&F, true, 259, 0), "the head was not gathered");
	cr_assert(holders_facts_has_node(&F, true, 259, 7));
	cr_assert_not(holders_facts_has_node(&F, false, 259, 0), "a block device taken for char");
}

Test(holders_gather, hidepid_without_ptrace_is_cannot_tell)
{
	char mi[512];
	const struct plan_held *v;

	snprintf(mi, sizeof(mi), "25 1 0:23 / %s rw,nosuid - proc proc rw,hidepid=invisible,gid=27\n",
		 fakeproc_root(fp));
	cr_assert_eq(fakeproc_put(fp, "self/mountinfo", mi), 0);
	cr_assert_eq(fakeproc_put(fp, "self/status", "Gid:\t0\t0\t0\t0\nGroups:\t4 24\n"
						     "CapEff:\t0000000000010000\n"), 0);
	v = gathered("0000:01:00.0");
	cr_assert_not_null(v);
	cr_assert(strstr(v->reason, "(hidepid=invisible) hides other users' processes: run "
				    "vfiobindd with CAP_SYS_PTRACE"), "%s", v->reason);
	/* In the mount's gid= group: nothing is hidden. */
	cr_assert_eq(fakeproc_put(fp, "self/status", "Gid:\t0\t0\t0\t0\nGroups:\t4 27\n"
						     "CapEff:\t0000000000010000\n"), 0);
	cr_assert_null(gathered("0000:01:00.0"));
	/* With CAP_SYS_PTRACE (bit 19) nothing is either. */
	cr_assert_eq(fakeproc_put(fp, "self/status", "Gid:\t0\t0\t0\t0\nGroups:\t4\n"
						     "CapEff:\t0000000000090000\n"), 0);
	cr_assert_null(gathered("0000:01:00.0"));
}

/* Gather as a user who may not read pid's descriptors: in a child that
 * gives up root (a root test would read past the mode). The reason comes
 * back through a pipe; "" when none. */
static void gathered_as_nobody(const char *bdf, char *out, size_t size)
{
	int p[2], status;
	pid_t child;
	ssize_t n;

	/* The trees are mkdtemp()'s, 0700: let the other user look. */
	cr_assert_eq(chmod(fakesys_root(fs), 0755), 0);
	cr_assert_eq(pipe(p), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		const struct plan_held *v;

		close(p[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
				       setresuid(65534, 65534, 65534) < 0))
			_exit(2);
		if (gather_all() < 0)
			_exit(4);
		v = find_verdict(bdf);
		if (v && write(p[1], v->reason, strlen(v->reason)) < 0)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, size - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
}

Test(holders_gather, a_process_whose_descriptors_cannot_be_read_is_never_not_held)
{
	char r[512];

	cr_assert_eq(fakeproc_add_process(fp, 4242, "qemu-system-x86", 107, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 31, "/dev/full", NULL), 0);
	cr_assert_eq(fakeproc_deny_fds(fp, 4242), 0);
	gathered_as_nobody("0000:01:00.0", r, sizeof(r));
	cr_assert_str_eq(r, "cannot tell whether it is held: the descriptors of pid 4242 "
			    "(qemu-system-x86, uid 107) cannot be read (permission denied): run "
			    "vfiobindd with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
}

Test(holders_gather, kernel_threads_hold_no_files)
{
	char r[512];

	cr_assert_eq(fakeproc_add_process(fp, 2, "kthreadd", 0, 1, 0x00200040UL), 0);
	cr_assert_eq(fakeproc_deny_fds(fp, 2), 0);
	gathered_as_nobody("0000:01:00.0", r, sizeof(r));
	cr_assert_str_eq(r, "");
}

/* What a gather about just these functions kept: how many processes and
 * descriptors it looked at and kept. */
static void gather_only(const char *const *bdfs, size_t n)
{
	struct pci_state *st = NULL;

	cr_assert_eq(pci_scan(fakesys_root(fs), &st), 0);
	holders_facts_clear(&F);
	cr_assert_eq(holders_gather(fakeproc_root(fp), fakesys_root(fs), st, bdfs, n, &F), 0);
	pci_state_free(st);
}

Test(holders_gather, functions_nothing_could_hold_cost_no_walk_of_the_processes)
{
	const char *gpu[] = { "0000:02:00.0" }, *both[] = { "0000:01:00.0", "0000:02:00.0" };

	/* The group node of 01:00.0 is held: that says nothing about the GPU,
	 * which has no node of its own and whose group has none. */
	cr_assert_eq(fakeproc_add_process(fp, 4242, "qemu-system-x86", 107, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 31, "/dev/full", NULL), 0);
	gather_only(gpu, 1);
	cr_assert_eq(F.n_procs + F.n_fds, 0, "no process was looked at");
	gather_only(both, 2);
	cr_assert_eq(F.n_fds, 1, "with a holdable function among them, every process is");
	cr_assert_eq(F.n_procs, 1);
}

/* A head under the virtual subsystem, its path under a function. */
static void add_nvme_head(const char *bdf, unsigned ctrl, const char *head_dev,
			  const char *path_dev)
{
	char cmd[1024], rel[64];

	snprintf(rel, sizeof(rel), "nvme/nvme%u/nvme%uc%un1", ctrl, ctrl, ctrl);
	cr_assert_eq(fakesys_add_block(fs, bdf, rel, path_dev), 0);
	snprintf(cmd, sizeof(cmd),
		 "d=%1$s/devices/virtual/nvme-subsystem/nvme-subsys%2$u/nvme%2$un1 && "
		 "mkdir -p $d && echo %3$s > $d/dev && ln -s %1$s/class/block $d/subsystem && "
		 "ln -s $d %1$s/class/block/nvme%2$un1", fakesys_root(fs), ctrl, head_dev);
	cr_assert_eq(system(cmd), 0);
}

Test(holders_gather, each_nvme_head_belongs_to_its_own_function_only)
{
	const char *first[] = { "0000:02:00.0" }, *second[] = { "0000:01:00.0" };

	add_nvme_head("0000:02:00.0", 0, "259:0", "259:7");
	add_nvme_head("0000:01:00.0", 1, "259:1", "259:8");
	/* A holder, so that the processes are looked at. */
	cr_assert_eq(fakeproc_add_process(fp, 9, "dd", 0, 1, 0), 0);
	gather_only(first, 1);
	cr_assert(holders_facts_has_node(&F, true, 259, 0));
	cr_assert_not(holders_facts_has_node(&F, true, 259, 1), "another function's head");
	gather_only(second, 1);
	cr_assert(holders_facts_has_node(&F, true, 259, 1));
	cr_assert(holders_facts_has_node(&F, true, 259, 8));
	cr_assert_not(holders_facts_has_node(&F, true, 259, 0), "another function's head");
}

Test(holders_gather, no_proc_root_no_facts)
{
	const char *one[] = { "0000:01:00.0" };

	cr_assert_eq(holders_gather(NULL, fakesys_root(fs), NULL, one, 1, &F), 0);
	cr_assert_eq(F.n_nodes + F.n_fds + F.n_procs, 0);
}

Test(holders_gather, a_count_change_asks_about_every_vf_of_the_pf)
{
	struct pci_state *st = NULL;
	struct plan p = { 0 };
	struct plan_action a = { .kind = PROTO_ACTION_NUMVFS, .bdf = "0000:05:00.0" };
	struct fakesys_dev d;
	char path[256];

	fakesys_add_driver(fs, "ixgbe");
	fakesys_dev_init(&d, "0000:05:00.0", "ixgbe", 5);
	d.totalvfs = 4;
	d.vf_driver = "vfio-pci";
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:05:00.0/sriov_numvfs",
		 fakesys_root(fs));
	cr_assert_eq(fakesys_kernel_ops(fs).write(fs, path, "2", 1), 0);
	cr_assert_eq(pci_scan(fakesys_root(fs), &st), 0);
	const struct pci_dev *vf1 = NULL;
	for (size_t i = 0; i < st->n; i++)
		if (st->devs[i].vf_index == 1)
			vf1 = &st->devs[i];
	cr_assert_not_null(vf1);
	cr_assert_eq(fakesys_add_vfio_group(fs, vf1->iommu_group, full), 0);
	cr_assert_eq(fakeproc_add_process(fp, 4242, "qemu-system-x86", 107, 1, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, 4242, 31, "/dev/full", NULL), 0);
	p.actions = &a;
	p.n_actions = 1;
	cr_assert_eq(holders_for_plan(fakeproc_root(fp), fakesys_root(fs), st, &p, &V, &NV), 0);
	cr_assert_eq(NV, 1);
	cr_assert_str_eq(V[0].bdf, vf1->bdf);
	pci_state_free(st);
}
