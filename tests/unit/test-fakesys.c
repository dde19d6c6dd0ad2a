/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-fakesys.c: the fake sysfs tree and fake kernel every other test
 * trusts; each behaviour here is one the real kernel has (sysfs-bus-pci). */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakesys.h"
#include "util.h"

static struct fakesys *fs;
static struct sysfs_ops kops;
static struct modules_ops mops;

static void setup(void)
{
	fs = fakesys_new();
	cr_assert_not_null(fs);
	kops = fakesys_kernel_ops(fs);
	mops = fakesys_modules_ops(fs);
}

static void teardown(void)
{
	fakesys_free(fs);
}

TestSuite(fakesys, .init = setup, .fini = teardown);

static void add(const char *bdf, const char *driver, int group)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, driver, group);
	cr_assert_eq(fakesys_add_device(fs, &d), 0, "add %s", bdf);
}

static void add_pf(const char *bdf, int totalvfs, const char *vf_driver)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, "nvme", 5);
	d.vendor = 0x1b36;
	d.device = 0x0010;
	d.class_code = 0x010802;
	d.totalvfs = totalvfs;
	d.vf_driver = vf_driver;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
}

/* Write through the fake kernel as the daemon would. */
static int kwrite(const char *rel, const char *val)
{
	return sysfs_write(&kops, fakesys_root(fs), rel, val);
}

static void expect_file(const char *rel, const char *want)
{
	_cleanup_free_ char *got = fakesys_read(fs, rel);

	cr_assert_not_null(got, "%s missing", rel);
	cr_assert_str_eq(got, want, "%s", rel);
}

static void expect_link(const char *rel, const char *want)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", fakesys_root(fs), rel);
	n = readlink(p, t, sizeof(t) - 1);
	cr_assert_gt(n, 0, "%s is not a link", rel);
	t[n] = '\0';
	cr_assert_str_eq(t, want, "%s", rel);
}

static void expect_driver(const char *bdf, const char *want)
{
	_cleanup_free_ char *got = fakesys_driver(fs, bdf);

	if (!want)
		cr_assert_null(got, "%s should be unbound, is on %s", bdf, got);
	else
		cr_assert(got && strcmp(got, want) == 0, "%s on %s, want %s", bdf,
			  got ? got : "(none)", want);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", fakesys_root(fs), rel);
	return access(p, F_OK) == 0;
}

Test(fakesys, attributes_have_the_kernel_formats)
{
	add("0000:03:00.1", "e1000e", 7);
	expect_file("bus/pci/devices/0000:03:00.1/vendor", "0x8086");
	expect_file("bus/pci/devices/0000:03:00.1/device", "0x10d3");
	expect_file("bus/pci/devices/0000:03:00.1/class", "0x020000");
	expect_file("bus/pci/devices/0000:03:00.1/driver_override", "(null)");
	expect_file("bus/pci/devices/0000:03:00.1/numa_node", "-1");
	expect_file("bus/pci/devices/0000:03:00.1/modalias",
		    "pci:v00008086d000010D3sv00008086sd000010D3bc02sc00i00");
	cr_assert_not(exists("bus/pci/devices/0000:03:00.1/boot_vga"));
	cr_assert_not(exists("bus/pci/devices/0000:03:00.1/sriov_totalvfs"));
}

/* The format the real kernel shows (Linux 6.1, in the guest of bench/vm;
 * bench/README.md has the captures): DRIVER= first and only while bound,
 * PCI_CLASS in %04X. */
Test(fakesys, uevent_says_what_the_links_and_attributes_say)
{
	struct fakesys_dev d;

	add("0000:03:00.1", "e1000e", 7);
	expect_file("bus/pci/devices/0000:03:00.1/uevent",
		    "DRIVER=e1000e\nPCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:10D3\n"
		    "PCI_SLOT_NAME=0000:03:00.1\n"
		    "MODALIAS=pci:v00008086d000010D3sv00008086sd000010D3bc02sc00i00");
	fakesys_dev_init(&d, "0000:00:12.0", NULL, -1);
	d.vendor = 0x1af4;
	d.device = 0x1009;
	d.class_code = 0x000200;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	expect_file("devices/pci0000:00/0000:00:12.0/uevent",
		    "PCI_CLASS=0200\nPCI_ID=1AF4:1009\nPCI_SUBSYS_ID=1AF4:1009\n"
		    "PCI_SLOT_NAME=0000:00:12.0\n"
		    "MODALIAS=pci:v00001AF4d00001009sv00001AF4sd00001009bc00sc02i00");
}

/* A scan that reads uevent instead of the driver link must see every move:
 * the fake kernel's unbind and probe, a hand rebind, a VF's first probe. */
Test(fakesys, uevent_follows_the_driver_link)
{
	_cleanup_free_ char *u = NULL;

	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	u = fakesys_read(fs, "bus/pci/devices/0000:03:00.1/uevent");
	cr_assert(u && strncmp(u, "PCI_CLASS=", 10) == 0, "unbound, uevent: %s", u);
	free(u);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	u = fakesys_read(fs, "bus/pci/devices/0000:03:00.1/uevent");
	cr_assert(u && strncmp(u, "DRIVER=vfio-pci\nPCI_CLASS=", 26) == 0, "probed: %s", u);
	free(u);
	cr_assert_eq(fakesys_set_driver(fs, "0000:03:00.1", "e1000e"), 0);
	u = fakesys_read(fs, "bus/pci/devices/0000:03:00.1/uevent");
	cr_assert(u && strncmp(u, "DRIVER=e1000e\n", 14) == 0, "by hand: %s", u);
	free(u);
	add_pf("0000:00:03.0", 2, "nvme");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), 0);
	u = fakesys_read(fs, "bus/pci/devices/0000:00:04.1/uevent");
	cr_assert(u && strstr(u, "DRIVER=nvme\nPCI_CLASS=10802\nPCI_ID=1B36:0011\n") == u,
		  "VF: %s", u);
}

Test(fakesys, links_use_the_kernels_relative_targets)
{
	add("0000:03:00.1", "e1000e", 7);
	expect_link("bus/pci/devices/0000:03:00.1", "../../../devices/pci0000:00/0000:03:00.1");
	expect_link("devices/pci0000:00/0000:03:00.1/driver", "../../../bus/pci/drivers/e1000e");
	expect_link("bus/pci/drivers/e1000e/0000:03:00.1",
		    "../../../../devices/pci0000:00/0000:03:00.1");
	expect_link("devices/pci0000:00/0000:03:00.1/iommu_group", "../../../kernel/iommu_groups/7");
	expect_link("kernel/iommu_groups/7/devices/0000:03:00.1",
		    "../../../../devices/pci0000:00/0000:03:00.1");
	cr_assert(exists("bus/pci/drivers/e1000e/bind"));
	cr_assert(exists("bus/pci/drivers/e1000e/new_id"));
	cr_assert(exists("bus/pci/drivers_probe"));
	expect_driver("0000:03:00.1", "e1000e");
}

Test(fakesys, optional_attributes_and_interfaces)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, "0000:00:02.0", NULL, -1);
	d.class_code = 0x030000;
	d.boot_vga = 1;
	d.numa_node = 0;
	d.ifname = "eth0";
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	expect_file("bus/pci/devices/0000:00:02.0/boot_vga", "1");
	expect_file("bus/pci/devices/0000:00:02.0/numa_node", "0");
	cr_assert(exists("bus/pci/devices/0000:00:02.0/net/eth0"));
	cr_assert_not(exists("bus/pci/devices/0000:00:02.0/iommu_group"));
	expect_driver("0000:00:02.0", NULL);
	cr_assert_eq(fakesys_set_ifname(fs, "0000:00:02.0", "enp0s2"), 0);
	cr_assert_not(exists("bus/pci/devices/0000:00:02.0/net/eth0"));
	cr_assert(exists("bus/pci/devices/0000:00:02.0/net/enp0s2"));
	cr_assert_eq(fakesys_set_ifname(fs, "0000:00:02.0", NULL), 0);
	cr_assert_not(exists("bus/pci/devices/0000:00:02.0/net"));
}

Test(fakesys, rejects_duplicate_and_malformed_devices)
{
	struct fakesys_dev d;

	add("0000:03:00.1", "e1000e", 7);
	fakesys_dev_init(&d, "0000:03:00.1", NULL, -1);
	cr_assert_eq(fakesys_add_device(fs, &d), -EEXIST);
	fakesys_dev_init(&d, "03:00.1", NULL, -1);
	cr_assert_eq(fakesys_add_device(fs, &d), -EINVAL);
}

Test(fakesys, override_is_cleared_by_a_newline_but_not_by_an_empty_write)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci"), 0);
	expect_file("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci");
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", ""), 0);
	expect_file("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci");
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "\n"), 0);
	expect_file("bus/pci/devices/0000:03:00.1/driver_override", "(null)");
}

Test(fakesys, unbind_needs_the_bound_driver)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_add_driver(fs, "igb"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/igb/unbind", "0000:03:00.1"), -ENODEV);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:09:00.0"), -ENODEV);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1\n"), 0);
	expect_driver("0000:03:00.1", NULL);
	cr_assert_not(exists("bus/pci/drivers/e1000e/0000:03:00.1"));
	expect_file("bus/pci/drivers/e1000e/unbind", "0000:03:00.1");
}

Test(fakesys, bind_needs_an_unbound_device_the_driver_matches)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/bind", "0000:03:00.1"), -EBUSY);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/vfio-pci/bind", "0000:03:00.1"), -ENODEV);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci\n"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/bind", "0000:03:00.1"), -ENODEV);
	cr_assert_eq(kwrite("bus/pci/drivers/vfio-pci/bind", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", "vfio-pci");
}

Test(fakesys, drivers_probe_says_yes_even_when_nothing_binds)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", NULL);	/* vfio-pci is not registered */
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", "vfio-pci");
	expect_file("bus/pci/drivers_probe", "0000:03:00.1");
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:09:00.0"), -ENODEV);
}

Test(fakesys, drivers_probe_without_override_picks_the_native_driver)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_set_driver(fs, "0000:03:00.1", NULL), 0);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", "e1000e");
	/* bound: a no-op */
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", "e1000e");
}

Test(fakesys, new_id_claims_every_unbound_function_with_that_id)
{
	add("0000:03:00.0", "e1000e", 7);
	add("0000:03:00.1", "e1000e", 8);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.0"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/vfio-pci/new_id", "8086 10d3"), 0);
	expect_driver("0000:03:00.0", "vfio-pci");
	expect_driver("0000:03:00.1", "vfio-pci");
	cr_assert_eq(kwrite("bus/pci/drivers/vfio-pci/new_id", "8086 10d3"), -EEXIST);
	cr_assert_eq(fakesys_new_id_writes(fs), 2);
}

Test(fakesys, sriov_numvfs_follows_the_kernels_rules)
{
	add_pf("0000:00:03.0", 4, "nvme");
	expect_file("bus/pci/devices/0000:00:03.0/sriov_totalvfs", "4");
	expect_file("bus/pci/devices/0000:00:03.0/sriov_numvfs", "0");
	expect_file("bus/pci/devices/0000:00:03.0/sriov_drivers_autoprobe", "1");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "5"), -ERANGE);
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), 0);
	expect_file("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "3"), -EBUSY);
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), 0);
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "0"), 0);
	cr_assert_not(exists("bus/pci/devices/0000:00:04.0"));
	cr_assert_not(exists("bus/pci/devices/0000:00:03.0/virtfn0"));
	expect_file("bus/pci/devices/0000:00:03.0/sriov_numvfs", "0");
}

Test(fakesys, vfs_appear_with_links_groups_and_their_driver)
{
	add_pf("0000:00:03.0", 9, "nvme");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "9"), 0);
	/* VF i at dev PF+1+i/8, fn i%8 */
	expect_link("bus/pci/devices/0000:00:03.0/virtfn0", "../0000:00:04.0");
	expect_link("bus/pci/devices/0000:00:03.0/virtfn8", "../0000:00:05.0");
	expect_link("bus/pci/devices/0000:00:04.7/physfn", "../0000:00:03.0");
	expect_file("bus/pci/devices/0000:00:04.1/vendor", "0x1b36");
	expect_file("bus/pci/devices/0000:00:04.1/device", "0x0011");
	expect_link("bus/pci/devices/0000:00:04.0/iommu_group", "../../../kernel/iommu_groups/6");
	expect_link("bus/pci/devices/0000:00:04.1/iommu_group", "../../../kernel/iommu_groups/7");
	expect_driver("0000:00:04.0", "nvme");
	expect_driver("0000:00:05.0", "nvme");
}

Test(fakesys, vfs_stay_unbound_when_autoprobe_is_off)
{
	add_pf("0000:00:03.0", 2, "nvme");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_drivers_autoprobe", "0"), 0);
	expect_file("bus/pci/devices/0000:00:03.0/sriov_drivers_autoprobe", "0");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), 0);
	expect_driver("0000:00:04.0", NULL);
	expect_driver("0000:00:04.1", NULL);
}

Test(fakesys, numvfs_needs_a_pf_driver)
{
	add_pf("0000:00:03.0", 2, "nvme");
	cr_assert_eq(fakesys_set_driver(fs, "0000:00:03.0", NULL), 0);
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), -ENOENT);
}

Test(fakesys, removing_a_pf_removes_its_vfs)
{
	add_pf("0000:00:03.0", 2, "nvme");
	cr_assert_eq(kwrite("bus/pci/devices/0000:00:03.0/sriov_numvfs", "2"), 0);
	cr_assert_eq(fakesys_remove_device(fs, "0000:00:03.0"), 0);
	cr_assert_not(exists("bus/pci/devices/0000:00:03.0"));
	cr_assert_not(exists("bus/pci/devices/0000:00:04.1"));
	cr_assert_not(exists("kernel/iommu_groups/6"));
	cr_assert_not(exists("bus/pci/drivers/nvme/0000:00:04.0"));
	cr_assert_eq(fakesys_remove_device(fs, "0000:00:03.0"), -ENODEV);
}

Test(fakesys, faults_fire_as_often_as_armed)
{
	add("0000:03:00.1", "e1000e", 7);
	fakesys_fault(fs, FAKESYS_FAULT_UNBIND, "0000:03:00.1", -EBUSY, 1);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), -EBUSY);
	expect_driver("0000:03:00.1", "e1000e");
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_OVERRIDE, NULL, EPERM, -1);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "x"), -EPERM);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "x"), -EPERM);
	fakesys_clear_faults(fs);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "x"), 0);
}

Test(fakesys, probe_faults_make_nothing_or_the_target_refuse)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/unbind", "0000:03:00.1"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_NOTHING, NULL, 0, 1);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", NULL);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_TARGET, "0000:03:00.1", -EINVAL, 2);
	cr_assert_eq(kwrite("bus/pci/drivers_probe", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", NULL);
	cr_assert_eq(kwrite("bus/pci/drivers/vfio-pci/bind", "0000:03:00.1"), -EINVAL);
	/* the native driver still takes it once the override is gone */
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "\n"), 0);
	cr_assert_eq(kwrite("bus/pci/drivers/e1000e/bind", "0000:03:00.1"), 0);
	expect_driver("0000:03:00.1", "e1000e");
}

Test(fakesys, module_loader_registers_drivers_by_name_or_alias)
{
	char err[128] = "";

	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", NULL), 0);
	cr_assert_eq(fakesys_add_module(fs, "e1000e", "pci:v00008086d000010D3sv*sd*bc*sc*i*"), 0);
	cr_assert_eq(mops.load(mops.ud, "vfio_pci", err, sizeof(err)), 0);
	cr_assert(exists("bus/pci/drivers/vfio-pci/bind"));
	cr_assert_eq(mops.load(mops.ud, "pci:v00008086d000010D3sv00008086sd000010D3bc02sc00i00",
			       err, sizeof(err)), 0);
	cr_assert(exists("bus/pci/drivers/e1000e"));
	cr_assert_eq(mops.load(mops.ud, "nosuch", err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "module nosuch not found");
	cr_assert_eq(fakesys_add_driver(fs, "igb"), 0);
	cr_assert_eq(mops.load(mops.ud, "igb", err, sizeof(err)), 0);
	fakesys_fault(fs, FAKESYS_FAULT_MODULE, NULL, -ENOEXEC, 1);
	cr_assert_eq(mops.load(mops.ud, "igb", err, sizeof(err)), -ENOEXEC);
}

Test(fakesys, loading_a_module_attaches_its_driver_to_waiting_devices)
{
	char err[128];

	add("0000:03:00.1", NULL, 7);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/driver_override", "vfio-pci"), 0);
	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", NULL), 0);
	cr_assert_eq(mops.load(mops.ud, "vfio-pci", err, sizeof(err)), 0);
	expect_driver("0000:03:00.1", "vfio-pci");
}

Test(fakesys, iommu_off_removes_groups_and_on_brings_them_back)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(fakesys_set_iommu(fs, false), 0);
	cr_assert(exists("kernel/iommu_groups"));
	cr_assert_not(exists("kernel/iommu_groups/7"));
	cr_assert_not(exists("bus/pci/devices/0000:03:00.1/iommu_group"));
	cr_assert_eq(fakesys_set_iommu(fs, true), 0);
	expect_link("bus/pci/devices/0000:03:00.1/iommu_group", "../../../kernel/iommu_groups/7");
}

Test(fakesys, kernel_never_writes_outside_its_tree)
{
	add("0000:03:00.1", "e1000e", 7);
	cr_assert_eq(kwrite("bus/pci/devices/0000:03:00.1/nosuch", "1"), -ENOENT);
	cr_assert_eq(kwrite("bus/pci/devices/../../..", "1"), -EACCES);
	cr_assert_eq(kwrite("bus/pci/devices", "1"), -EISDIR);
	cr_assert_lt(kops.write(kops.ud, "/etc/hostname", "x", 1), 0);
	cr_assert_eq(fakesys_write_count(fs), 4);
}

/* Its speed is measured by bench/bench-scan (build_ms), never asserted here. */
Test(fakesys, populates_4096_functions)
{
	cr_assert_eq(fakesys_populate(fs, 4096, "e1000e"), 0);
	expect_driver("0000:01:00.0", "e1000e");
	expect_driver("0001:01:00.7", "e1000e");
	expect_link("bus/pci/devices/0000:ff:00.7/iommu_group", "../../../kernel/iommu_groups/2039");
}
