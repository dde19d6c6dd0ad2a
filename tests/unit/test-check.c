/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-check.c: `vfiobind check` findings on fake trees: IOMMU off, absent
 * device, numvfs beyond totalvfs, a group that is not viable, an in-use NIC,
 * an invalid config, a driver in the initramfs, and a clean bill of health. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fakesys.h"
#include "logcap.h"
#include "log.h"

static struct fakesys *fs;
static char tmpdir[64], conf[128];
static struct check_report rep;
static struct check_opts opts;


static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void add_dev(const char *bdf, const char *driver, int group, int totalvfs)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, driver, group);
	d.totalvfs = totalvfs;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
}

static void setup(void)
{
	char path[128];

	logcap_quiet();
	fs = fakesys_new();
	cr_assert_not_null(fs);
	fakesys_add_driver(fs, "e1000e");
	fakesys_add_driver(fs, "vfio-pci");
	add_dev("0000:01:00.0", "e1000e", 1, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vb-check-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/net", tmpdir);
	mkdir(path, 0755);
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", tmpdir);
	put("cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt quiet\n");
	memset(&rep, 0, sizeof(rep));
	opts = (struct check_opts){
		.sysfs_root = fakesys_root(fs),
		.proc_root = tmpdir,
		.config_path = conf,
		.node_name = "worker-0",
	};
}

static void teardown(void)
{
	char cmd[128];

	check_report_clear(&rep);
	fakesys_free(fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
	logcap_stop();
}

TestSuite(check, .init = setup, .fini = teardown);

static void run(void)
{
	check_report_clear(&rep);
	cr_assert_eq(check_run(&opts, &rep), 0);
}

/* The first finding about subject (NULL when none). */
static const struct check_finding *about(const char *subject)
{
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.v[i].subject, subject) == 0)
			return &rep.v[i];
	return NULL;
}

static void dump(void)
{
	for (size_t i = 0; i < rep.n; i++)
		fprintf(stderr, "%s %s: %s [%s]\n", check_level_name(rep.v[i].level),
			rep.v[i].subject, rep.v[i].message, rep.v[i].hint);
}

Test(check, all_fine_exits_0_and_shows_the_iommu_words_of_the_command_line)
{
	const struct check_finding *f;

	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	run();
	if (check_exit_code(&rep))
		dump();
	cr_assert_eq(check_exit_code(&rep), 0);
	f = about("iommu");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_OK);
	cr_assert(strstr(f->message, "on (intel_iommu=on iommu=pt in ") != NULL, "%s", f->message);
	cr_assert_eq(about("vfio-pci")->level, CHECK_OK);
	cr_assert_eq(about("vfio")->level, CHECK_OK);
	cr_assert_eq(about("config")->level, CHECK_OK);
	f = about("0000:01:00.0");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_OK);
	cr_assert_str_eq(f->message, "e1000e -> vfio-pci when vfiobindd runs (line 1)");
}

Test(check, iommu_off_fails_with_the_command_line_and_a_hint)
{
	const struct check_finding *f;

	put("cmdline", "root=/dev/sda1 quiet\n");
	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	cr_assert_eq(fakesys_set_iommu(fs, false), 0);
	run();
	f = about("iommu");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_FAIL);
	cr_assert(strstr(f->message, "kernel command line: root=/dev/sda1 quiet") != NULL, "%s",
		  f->message);
	cr_assert(strstr(f->hint, "intel_iommu=on") && strstr(f->hint, "amd_iommu=on"));
	cr_assert_eq(check_exit_code(&rep), 1);
}

Test(check, absent_device_fails)
{
	const struct check_finding *f;

	put("vfiobind.conf", "worker-0 0000:09:00.0\n");
	run();
	f = about("0000:09:00.0");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_FAIL);
	cr_assert(strncmp(f->message, "absent", 6) == 0, "%s", f->message);
	cr_assert_eq(check_exit_code(&rep), 1);
}

Test(check, numvfs_beyond_totalvfs_fails)
{
	const struct check_finding *f;

	add_dev("0000:05:00.0", "e1000e", 5, 4);
	put("vfiobind.conf", "worker-0 0000:05:00.0 numvfs=8\n");
	run();
	f = about("0000:05:00.0");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_FAIL);
	cr_assert(strstr(f->message, "8") && strstr(f->message, "4"), "%s", f->message);
	cr_assert_eq(check_exit_code(&rep), 1);
}

Test(check, group_not_viable_fails_with_a_hint)
{
	const struct check_finding *f;

	add_dev("0000:06:00.0", "e1000e", 6, 0);
	add_dev("0000:06:00.1", "e1000e", 6, 0);
	put("vfiobind.conf", "worker-0 0000:06:00.0\n");
	run();
	f = about("0000:06:00.0");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_FAIL);
	cr_assert(strstr(f->message, "not viable") != NULL, "%s", f->message);
	cr_assert(strstr(f->hint, "group=all") != NULL, "%s", f->hint);
	cr_assert_eq(check_exit_code(&rep), 1);
}

Test(check, in_use_nic_fails_with_the_reason)
{
	const struct check_finding *f;

	cr_assert_eq(fakesys_set_ifname(fs, "0000:01:00.0", "eth0"), 0);
	put("net/ifaddrs", "eth0 up 10.0.0.5/24\n");
	put("net/route", "Iface Destination Gateway Flags RefCnt Use Metric Mask\n"
			 "eth0 00000000 0100000A 0003 0 0 0 00000000\n");
	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	run();
	f = about("0000:01:00.0");
	cr_assert_not_null(f);
	cr_assert_eq(f->level, CHECK_FAIL);
	cr_assert_str_eq(f->message,
			 "blocked: eth0 has 10.0.0.5/24 and the default route (line 1)");
	cr_assert(strstr(f->hint, "force=yes") != NULL);
}

Test(check, invalid_config_fails_once_per_error)
{
	size_t fails = 0;

	put("vfiobind.conf", "worker-0 nonsense\nworker-0 0000:01:00.0 driver=\n");
	run();
	for (size_t i = 0; i < rep.n; i++)
		fails += rep.v[i].level == CHECK_FAIL && strcmp(rep.v[i].subject, "config") == 0;
	cr_assert_eq(fails, 2);
	cr_assert_eq(check_exit_code(&rep), 1);
}

Test(check, missing_config_is_a_warning)
{
	run();
	cr_assert_eq(about("config")->level, CHECK_WARN);
	cr_assert_eq(check_exit_code(&rep), 0);
}

Test(check, line_matching_nothing_is_a_warning)
{
	put("vfiobind.conf", "worker-0 id=dead:beef\n");
	run();
	cr_assert_not_null(about("config"));
	cr_assert(rep.n > 0);
	for (size_t i = 0; i < rep.n; i++)
		if (strstr(rep.v[i].message, "matches no device"))
			return;
	dump();
	cr_assert_fail("no 'matches no device' finding");
}

Test(check, own_driver_in_the_initramfs_warns_with_the_blacklist_hint)
{
	char list[160];
	const struct check_finding *f = NULL;

	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	put("initramfs.txt", "usr/lib/modules/6.1.0/kernel/drivers/net/ethernet/intel/"
			     "e1000e/e1000e.ko.zst\nusr/bin/busybox\n");
	snprintf(list, sizeof(list), "%s/initramfs.txt", tmpdir);
	opts.initramfs_list = list;
	run();
	for (size_t i = 0; i < rep.n; i++)
		if (strcmp(rep.v[i].subject, "0000:01:00.0") == 0 && rep.v[i].level == CHECK_WARN)
			f = &rep.v[i];
	cr_assert_not_null(f);
	cr_assert_str_eq(f->hint, "add rd.driver.blacklist=e1000e to the kernel command line");
	cr_assert_eq(check_exit_code(&rep), 0);
}

Test(check, initramfs_without_the_driver_is_ok)
{
	char list[160];

	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	put("initramfs.txt", "usr/lib/modules/6.1.0/kernel/drivers/nvme/host/nvme.ko\n");
	snprintf(list, sizeof(list), "%s/initramfs.txt", tmpdir);
	opts.initramfs_list = list;
	run();
	cr_assert_eq(about("initramfs")->level, CHECK_OK);
}

/* A listing past 64 MiB is not read to its end (lsinitramfs of a broken
 * image may never end): a warning that says so. The runner's own bounds
 * are in test-runprog.c. */
Test(check, an_initramfs_listing_past_64_mib_is_a_warning_that_says_so)
{
	char list[160];
	int fd;

	put("vfiobind.conf", "worker-0 0000:01:00.0\n");
	snprintf(list, sizeof(list), "%s/initramfs.txt", tmpdir);
	fd = open(list, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (65 << 20)), 0); /* sparse: no disk */
	close(fd);
	opts.initramfs_list = list;
	run();
	cr_assert_eq(about("initramfs")->level, CHECK_WARN);
	cr_assert(strstr(about("initramfs")->message, "longer than 64 MiB"), "%s",
		  about("initramfs")->message);
}
