/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-inuse-probe.c: the signature probes (system/inuse-probe.c, libblkid)
 * on a fake tree whose block devices are image files in a dev root: an
 * unmounted ext4, a RAID member, an LVM physical volume, a blank disk, a
 * probe that cannot tell; the daemon keeping such a disk blocked until it is
 * wiped (or force=yes), and `vfiobind check` telling the same reason. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkimg.h"
#include "check.h"
#include "engine.h"
#include "fakesys.h"
#include "inuse-gather.h"
#include "inuse.h"
#include "logcap.h"
#include "pci-scan.h"
#include "stepper.h"

#define NVME "0000:02:00.0"

static struct fakesys *fs;
static char tmp[64], devdir[96];
static struct plan_inuse *out;
static size_t n_out;

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* DEVDIR/name, for the image writers. */
static const char *node(const char *name)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/%s", devdir, name);
	return path;
}

static void setup(void)
{
	struct fakesys_dev d;
	char path[128];

	logcap_quiet();
	fs = fakesys_new();
	cr_assert_not_null(fs);
	fakesys_add_driver(fs, "nvme");
	fakesys_add_module(fs, "vfio-pci", NULL);
	fakesys_dev_init(&d, NVME, "nvme", 2);
	d.class_code = 0x010802;
	d.vendor = 0x144d;
	d.device = 0xa808;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	cr_assert_eq(fakesys_add_block(fs, NVME, "nvme/nvme0/nvme0n1", "259:0"), 0);
	snprintf(tmp, sizeof(tmp), "/tmp/vb-probe-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(devdir, sizeof(devdir), "%s/dev", tmp);
	cr_assert_eq(mkdir(devdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/self", tmp);
	cr_assert_eq(mkdir(path, 0755), 0);
	out = NULL;
	n_out = 0;
}

static void teardown(void)
{
	char cmd[128];

	free(out);
	fakesys_free(fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
	logcap_stop();
}

TestSuite(probe, .init = setup, .fini = teardown, .timeout = 60);

/* The reason for the NVMe with dev_root as the dev root, NULL when free. */
static const char *reason_with(const char *dev_root)
{
	struct pci_state *st = NULL;
	const char *const one[] = { NVME };

	cr_assert_eq(pci_scan(fakesys_root(fs), &st), 0);
	free(out);
	out = NULL;
	cr_assert_eq(inuse_find(tmp, fakesys_root(fs), dev_root, st, one, 1, &out, &n_out), 0);
	pci_state_free(st);
	return n_out ? out[0].reason : NULL;
}

static const char *reason(void)
{
	return reason_with(devdir);
}

Test(probe, unmounted_ext4_is_in_use)
{
	cr_assert_eq(blkimg_ext4(node("nvme0n1")), 0);
	cr_assert_str_eq(reason(), "nvme0n1 has an ext4 filesystem (not mounted)");
}

Test(probe, raid_member_and_lvm_volume_on_partitions)
{
	cr_assert_eq(fakesys_add_block(fs, NVME, "nvme/nvme0/nvme0n1/nvme0n1p1", "259:1"), 0);
	cr_assert_eq(fakesys_add_block(fs, NVME, "nvme/nvme0/nvme0n1/nvme0n1p2", "259:2"), 0);
	cr_assert_eq(blkimg_zero(node("nvme0n1")), 0);
	cr_assert_eq(blkimg_md(node("nvme0n1p1")), 0);
	cr_assert_eq(blkimg_lvm(node("nvme0n1p2")), 0);
	cr_assert_str_eq(reason(), "nvme0n1p1 is a RAID member (linux_raid_member); "
				   "nvme0n1p2 is an LVM physical volume");
}

Test(probe, blank_disk_is_free)
{
	cr_assert_eq(blkimg_zero(node("nvme0n1")), 0);
	cr_assert_null(reason());
}

Test(probe, a_node_that_is_missing_cannot_tell_and_blocks)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "cannot tell whether nvme0n1 is in use: open %s: No such file or directory",
		 node("nvme0n1"));
	cr_assert_str_eq(reason(), want);
}

Test(probe, a_node_that_is_not_a_block_device_cannot_tell)
{
	cr_assert_eq(symlink("/dev/null", node("nvme0n1")), 0);
	cr_assert_str_eq(reason(), "cannot tell whether nvme0n1 is in use: not a block device");
}

Test(probe, devices_already_in_use_are_not_probed)
{
	/* No image at all: a probe would say "cannot tell". */
	put("self/mountinfo", "29 1 259:0 / /data rw - ext4 /dev/nvme0n1 rw\n");
	cr_assert_str_eq(reason(), "nvme0n1 is mounted on /data");
}

Test(probe, without_a_dev_root_nothing_is_probed)
{
	cr_assert_null(inuse_default_dev_root(fakesys_root(fs)));
	cr_assert_null(reason_with(NULL));
}

/* --- the daemon and check ---------------------------------------------------- */

static struct event_base *base;
static struct stepper step;

static bool nvme_on_vfio(void)
{
	char *d = fakesys_driver(fs, NVME);
	bool r = d && strcmp(d, "vfio-pci") == 0;

	free(d);
	return r;
}

static struct engine *make_engine(const char *conf_text, bool once)
{
	static char conf[128];
	static struct sysfs_ops kops;
	static struct modules_ops mops;
	struct engine_opts o = {
		.config_path = conf, .sysfs_root = fakesys_root(fs), .proc_root = tmp,
		.dev_root = devdir, .node_name = "worker-0", .coalesce_ms = 10, .workers = 1,
		.sysfs = &kops, .modules = &mops, .clock = once ? NULL : &step.clock,
	};

	kops = fakesys_kernel_ops(fs);
	mops = fakesys_modules_ops(fs);
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", tmp);
	put("vfiobind.conf", conf_text);
	evthread_use_pthreads();
	base = event_base_new();
	stepper_init(&step, base);
	step.eng = engine_new(base, &o);
	cr_assert_not_null(step.eng);
	return step.eng;
}

Test(probe, engine_keeps_a_disk_with_a_filesystem_until_it_is_wiped)
{
	const struct devtab_entry *info;
	struct engine *eng;

	cr_assert_eq(blkimg_ext4(node("nvme0n1")), 0);
	eng = make_engine("worker-0 " NVME "\n", false);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&step);
	info = engine_dev_info(eng, NVME);
	cr_assert_not_null(info);
	cr_assert_eq(info->state, PROTO_STATE_BLOCKED);
	cr_assert_eq(info->reason_hash, devtab_reason_hash("nvme0n1 has an ext4 filesystem (not mounted)"), "told: %s", "nvme0n1 has an ext4 filesystem (not mounted)");
	cr_assert_not(nvme_on_vfio());
	/* wipefs -a: the re-check binds it */
	cr_assert_eq(blkimg_zero(node("nvme0n1")), 0);
	stepper_advance(&step, ENGINE_INUSE_RECHECK_MS);
	stepper_settle(&step);
	cr_assert(nvme_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(probe, force_yes_takes_a_disk_with_a_filesystem)
{
	struct engine *eng;

	cr_assert_eq(blkimg_ext4(node("nvme0n1")), 0);
	eng = make_engine("worker-0 " NVME " force=yes\n", true);
	cr_assert_eq(engine_run_once(eng), 0);
	cr_assert(nvme_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(probe, check_tells_the_signature)
{
	struct check_report rep = { 0 };
	char conf[128];
	struct check_opts o = {
		.sysfs_root = fakesys_root(fs), .proc_root = tmp, .dev_root = devdir,
		.config_path = conf, .node_name = "worker-0",
	};
	bool seen = false;

	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", tmp);
	put("vfiobind.conf", "worker-0 " NVME "\n");
	cr_assert_eq(blkimg_lvm(node("nvme0n1")), 0);
	cr_assert_eq(check_run(&o, &rep), 0);
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.v[i].subject, NVME) == 0) {
			cr_assert_eq(rep.v[i].level, CHECK_FAIL);
			cr_assert_str_eq(rep.v[i].message,
					 "blocked: nvme0n1 is an LVM physical volume (line 1)");
			seen = true;
		}
	cr_assert(seen);
	check_report_clear(&rep);
}
