/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-daemon.c: the real vfiobindd binary on a fake sysfs tree: --check-config,
 * --once --dry-run, the long-running --dry-run daemon reacting to config
 * edits, and holders told over the socket. A dry run must leave the tree
 * byte for byte as it was. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon-harness.h"
#include "fakeproc.h"
#include "fakesys.h"

static struct fakesys *fs;
static struct daemon_run d;

static void setup(void)
{
	struct fakesys_dev dev;

	fs = fakesys_new();
	cr_assert_not_null(fs);
	fakesys_add_driver(fs, "e1000e");
	fakesys_add_driver(fs, "vfio-pci");
	fakesys_dev_init(&dev, "0000:00:02.0", "e1000e", 1);
	fakesys_add_device(fs, &dev);
	fakesys_dev_init(&dev, "0000:00:03.0", "e1000e", 2);
	fakesys_add_device(fs, &dev);
	harness_init(&d);
}

static void teardown(void)
{
	harness_cleanup(&d);
	fakesys_free(fs);
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 60);

Test(daemon, check_config_accepts_the_seed_format)
{
	const char *argv[] = { harness_bin("daemon/vfiobindd"), "--check-config", "--config", d.conf, NULL };
	char *out;

	harness_write_conf(&d, "worker-0 0000:03:00.1\nworker-1 0000:03:00.2\nDEFAULT  0000:03:00.0\n");
	cr_assert_eq(harness_run(argv, &out), 0);
	cr_assert(strstr(out, "ok, 3 entries"), "%s", out);
	free(out);
}

Test(daemon, check_config_lists_every_error_as_file_line_and_exits_1)
{
	const char *argv[] = { harness_bin("daemon/vfiobindd"), "--check-config", "--config", d.conf, NULL };
	char *out, want[256];

	harness_write_conf(&d, "DEFAULT 0000:03:00.0\nDEFAULT 03:00:1\n# ok\nworker-1 0000:03:00.2 numfs=2\n");
	cr_assert_eq(harness_run(argv, &out), 1);
	snprintf(want, sizeof(want), "%s:2: ", d.conf);
	cr_assert(strstr(out, want), "%s", out);
	snprintf(want, sizeof(want), "%s:4: ", d.conf);
	cr_assert(strstr(out, want), "%s", out);
	free(out);
}

Test(daemon, once_dry_run_prints_every_action_and_writes_nothing)
{
	const char *argv[] = { harness_bin("daemon/vfiobindd"), "--once", "--dry-run", "--config", d.conf,
			       "--sysfs-root", fakesys_root(fs), "--node-name", "worker-0", NULL };
	unsigned long long before = harness_tree_digest(fakesys_root(fs));
	char *out;

	harness_write_conf(&d, "DEFAULT 0000:00:02.0\nworker-9 0000:00:03.0\nDEFAULT 0000:00:1f.0\n");
	harness_run(argv, &out);
	cr_assert(strstr(out, "bind 0000:00:02.0: e1000e -> vfio-pci (line 1)"), "%s", out);
	cr_assert_null(strstr(out, "0000:00:03.0"), "another node's line: %s", out);
	cr_assert(strstr(out, "0000:00:1f.0: absent"), "%s", out);
	cr_assert_eq(harness_tree_digest(fakesys_root(fs)), before, "dry run changed the tree");
	free(out);
}

Test(daemon, dry_run_daemon_plans_again_after_each_config_edit)
{
	const char *extra[] = { "--dry-run", NULL };
	unsigned long long before = harness_tree_digest(fakesys_root(fs));

	harness_write_conf(&d, "DEFAULT 0000:00:02.0\n");
	harness_start(&d, fs, extra);
	cr_assert(harness_wait_log(&d, "dry-run: would bind 0000:00:02.0: e1000e -> vfio-pci (line 1)", 5000));
	harness_write_conf(&d, "DEFAULT 0000:00:02.0\nDEFAULT 0000:00:03.0\n");
	cr_assert(harness_wait_log(&d, "dry-run: would bind 0000:00:03.0: e1000e -> vfio-pci (line 2)", 5000));
	harness_write_conf(&d, "DEFAULT 0000:00:02.0\nDEFAULT bogus\n");
	cr_assert(harness_wait_log(&d, "rejected", 5000));
	cr_assert(harness_wait_log(&d, "vfiobind.conf:2: ", 5000));
	harness_stop(&d);
	cr_assert_eq(harness_tree_digest(fakesys_root(fs)), before, "dry run changed the tree");
}

/* A process (this test, so that its pid is real) holds the NIC's PTP clock,
 * as the fake proc tree says: status and devices name it. */
Test(daemon, status_and_devices_name_the_process_that_holds_a_device)
{
	struct fakeproc *fp = fakeproc_new();
	const char *extra[] = { "--dry-run", "--proc-root", fp ? fakeproc_root(fp) : "", NULL };
	const char *status[] = { harness_bin("client/vfiobind"), "--socket", d.sock, "--no-color",
				 "status", NULL };
	const char *json[] = { harness_bin("client/vfiobind"), "--socket", d.sock, "--json",
			       "status", NULL };
	const char *devices[] = { harness_bin("client/vfiobind"), "--socket", d.sock, "--no-color",
				  "devices", NULL };
	char full[32], want[160], *out;
	int me = (int)getpid();

	cr_assert_not_null(fp);
	if (!fakeproc_majmin("/dev/full", full, sizeof(full)))
		cr_skip_test("no /dev/full to stand in for a device node");
	cr_assert_eq(fakesys_add_chardev(fs, "0000:00:02.0", "ptp/ptp0", "ptp", full), 0);
	cr_assert_eq(fakeproc_add_process(fp, me, "ptp4l", 0, 7, 0), 0);
	cr_assert_eq(fakeproc_add_fd(fp, me, 5, "/dev/full", NULL), 0);
	harness_write_conf(&d, "DEFAULT 0000:00:02.0\n");
	harness_start(&d, fs, extra);
	snprintf(want, sizeof(want), "held by pid %d (ptp4l, uid 0) through /dev/full", me);
	cr_assert(harness_wait_log(&d, want, 5000));
	cr_assert_eq(harness_run(status, &out), 1, "blocked is not converged");
	cr_assert(strstr(out, "0000:00:02.0  blocked"), "%s", out);
	cr_assert(strstr(out, want), "%s", out);
	free(out);
	harness_run(json, &out);
	snprintf(want, sizeof(want), "\"holders\":[{\"pid\":%d,\"uid\":0,\"comm\":\"ptp4l\","
		 "\"path\":\"/dev/full\",\"device\":\"0000:00:02.0\"}]", me);
	cr_assert(strstr(out, want), "%s", out);
	free(out);
	cr_assert_eq(harness_run(devices, &out), 0);
	snprintf(want, sizeof(want), "\n0000:00:02.0 held by pid %d (ptp4l, uid 0) through /dev/full\n",
		 me);
	cr_assert(strstr(out, want), "%s", out);
	free(out);
	harness_stop(&d);
	fakeproc_free(fp);
}

/* The scan leaves the NUMA node out (only `devices` shows it): it is read
 * when asked. */
Test(daemon, devices_reads_the_numa_node_when_asked)
{
	const char *extra[] = { "--dry-run", NULL };
	const char *devices[] = { harness_bin("client/vfiobind"), "--socket", d.sock, "--json",
				  "devices", "id=8086:1521", NULL };
	struct fakesys_dev spec;
	char *out;

	fakesys_dev_init(&spec, "0000:05:00.0", "igb", 40);
	spec.device = 0x1521;
	spec.numa_node = 1;
	cr_assert_eq(fakesys_add_device(fs, &spec), 0);
	harness_write_conf(&d, "");
	harness_start(&d, fs, extra);
	cr_assert(harness_wait_socket(&d, 5000));
	cr_assert_eq(harness_run(devices, &out), 0);
	cr_assert(strstr(out, "\"device\":\"0000:05:00.0\""), "%s", out);
	cr_assert(strstr(out, "\"numa_node\":1,"), "%s", out);
	free(out);
	harness_stop(&d);
}

Test(daemon, second_instance_is_refused_by_the_lock)
{
	const char *extra[] = { "--dry-run", NULL };
	const char *argv[] = { harness_bin("daemon/vfiobindd"), "--dry-run", "--run-dir", d.dir,
			       "--config", d.conf, "--sysfs-root", fakesys_root(fs), "--socket", d.sock,
			       "--udev-source", "none", NULL };

	harness_write_conf(&d, "");
	harness_start(&d, fs, extra);
	cr_assert(harness_wait_socket(&d, 5000));
	cr_assert_neq(harness_run(argv, NULL), 0);
}

Test(daemon, sigterm_exits_cleanly_and_removes_the_socket)
{
	const char *extra[] = { "--dry-run", NULL };

	harness_write_conf(&d, "");
	harness_start(&d, fs, extra);
	cr_assert(harness_wait_socket(&d, 5000));
	harness_stop(&d);
	cr_assert(harness_log_has(&d, "shutting down"));
	cr_assert_neq(access(d.sock, F_OK), 0, "socket removed on exit");
}

/* The kubelet updates a ConfigMap volume by writing a new timestamped
 * directory and renaming a ..data_tmp symlink over ..data; the config path is
 * a symlink into ..data. The daemon must follow that swap. */
static void configmap_version(const char *dir, const char *version, const char *text)
{
	char path[256], link_tmp[256], link[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/..%s", dir, version);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/..%s/vfiobind.conf", dir, version);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(link_tmp, sizeof(link_tmp), "%s/..data_tmp", dir);
	snprintf(link, sizeof(link), "%s/..data", dir);
	snprintf(path, sizeof(path), "..%s", version);
	cr_assert_eq(symlink(path, link_tmp), 0);
	cr_assert_eq(rename(link_tmp, link), 0);
}

Test(daemon, follows_a_kubelet_configmap_data_swap)
{
	const char *extra[] = { "--dry-run", NULL };
	char cm[96];

	snprintf(cm, sizeof(cm), "%s/configmap", d.dir);
	cr_assert_eq(mkdir(cm, 0755), 0);
	configmap_version(cm, "2026_11_25_09_00_00.1", "DEFAULT 0000:00:02.0\n");
	snprintf(d.conf, sizeof(d.conf), "%s/vfiobind.conf", cm);
	cr_assert_eq(symlink("..data/vfiobind.conf", d.conf), 0);
	harness_start(&d, fs, extra);
	cr_assert(harness_wait_log(&d, "dry-run: would bind 0000:00:02.0", 5000));
	configmap_version(cm, "2026_11_25_09_05_00.2", "DEFAULT 0000:00:03.0\n");
	cr_assert(harness_wait_log(&d, "dry-run: would bind 0000:00:03.0", 5000),
		  "the ..data swap was not picked up");
}
