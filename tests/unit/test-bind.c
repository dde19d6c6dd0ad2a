/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-bind.c: the binder (system/bind.c), the sysfs door (system/sysfs.c)
 * and the module loader's safe parts (system/modules.c), run against the
 * fake kernel. Each pitfall in PITFALLS.md has a test here. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "fakesys.h"
#include "kmod-dl.h"
#include "logcap.h"
#include "log.h"
#include "modules.h"
#include "sysfs.h"
#include "util.h"

#define DEV "0000:03:00.1"
#define PF "0000:00:03.0"

/* Every write the binder makes, "relpath=value", in order. */
static struct {
	char lines[64][192];
	unsigned n;
	struct sysfs_ops inner;
} rec;

static struct fakesys *fs;
static struct sysfs_ops ops;
static struct modules_ops mods;
static struct bind_ctx ctx;
static struct bind_result res;

static int rec_write(void *ud, const char *path, const char *buf, size_t len)
{
	const char *rel = path + strlen(fakesys_root(fs)) + 1;

	(void)ud;
	/* pitfall 2, in every test: the write itself fails the test (Criterion
	 * ignores assertions in .fini) */
	cr_assert_null(strstr(rel, "new_id"), "the binder wrote %s", rel);
	if (rec.n < ARRAY_SIZE(rec.lines))
		snprintf(rec.lines[rec.n], sizeof(rec.lines[0]), "%s=%.*s", rel, (int)len, buf);
	rec.n++;
	return rec.inner.write(rec.inner.ud, path, buf, len);
}

static void setup(void)
{
	fs = fakesys_new();
	cr_assert_not_null(fs);
	memset(&rec, 0, sizeof(rec));
	rec.inner = fakesys_kernel_ops(fs);
	ops = (struct sysfs_ops){ .write = rec_write, .ud = NULL };
	mods = fakesys_modules_ops(fs);
	ctx = (struct bind_ctx){ .root = fakesys_root(fs), .sysfs = &ops, .modules = &mods };
	memset(&res, 0, sizeof(res));
	logcap_start();
}

static void teardown(void)
{
	logcap_stop();
	fakesys_free(fs);
}

TestSuite(bind, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static void add_dev(const char *bdf, const char *driver, const char *native)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, driver, 7);
	d.native_driver = native;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
}

static void add_pf(int totalvfs)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, PF, "nvme", 3);
	d.vendor = 0x1b36;
	d.device = 0x0010;
	d.class_code = 0x010802;
	d.totalvfs = totalvfs;
	d.vf_driver = "nvme";
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
}

static void expect_driver(const char *bdf, const char *want)
{
	_cleanup_free_ char *got = fakesys_driver(fs, bdf);

	if (!want)
		cr_assert_null(got, "%s should have no driver, is on %s", bdf, got);
	else
		cr_assert(got && strcmp(got, want) == 0, "%s on %s, want %s", bdf,
			  got ? got : "(none)", want);
}

static void expect_attr(const char *bdf, const char *attr, const char *want)
{
	char rel[PATH_MAX];
	_cleanup_free_ char *got = NULL;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", bdf, attr);
	got = fakesys_read(fs, rel);
	cr_assert(got && strcmp(got, want) == 0, "%s = %s, want %s", rel, got ? got : "(absent)",
		  want);
}

/* The exact sequence of writes, NULL-terminated. */
static void expect_writes(const char *first, ...)
{
	va_list ap;
	unsigned i = 0;

	va_start(ap, first);
	for (const char *w = first; w; w = va_arg(ap, const char *), i++) {
		cr_assert_lt(i, rec.n, "write %u missing: want %s", i, w);
		cr_assert_str_eq(rec.lines[i], w, "write %u", i);
	}
	va_end(ap);
	cr_assert_eq(rec.n, i, "%u writes, want %u (extra: %s)", rec.n, i,
		     rec.n > i ? rec.lines[i] : "");
}

/* ---- bind ---- */

Test(bind, binds_e1000e_device_to_vfio_pci)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0, "%s", res.msg);
	expect_driver(DEV, "vfio-pci");
	expect_attr(DEV, "driver_override", "vfio-pci");
	cr_assert_str_eq(res.driver_before, "e1000e");
	cr_assert_str_eq(res.driver_after, "vfio-pci");
	cr_assert_eq(res.err, 0);
	cr_assert_not(res.rolled_back);
	expect_writes("bus/pci/devices/" DEV "/driver_override=vfio-pci",
		      "bus/pci/drivers/e1000e/unbind=" DEV, "bus/pci/drivers_probe=" DEV, NULL);
	cr_assert(strstr(logcap_text(), "I bound " DEV " to vfio-pci"), "%s", logcap_text());
}

Test(bind, binds_a_device_that_had_no_driver_without_unbinding)
{
	add_dev(DEV, NULL, NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0, "%s", res.msg);
	expect_driver(DEV, "vfio-pci");
	expect_writes("bus/pci/devices/" DEV "/driver_override=vfio-pci",
		      "bus/pci/drivers_probe=" DEV, NULL);
}

Test(bind, bind_is_noop_when_already_on_target)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0);
	cr_assert_eq(fakesys_write_count(fs), 0);
	cr_assert_str_eq(res.driver_after, "vfio-pci");
}

Test(bind, loads_vfio_pci_module_when_driver_missing)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", NULL), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0, "%s", res.msg);
	expect_driver(DEV, "vfio-pci");
}

Test(bind, module_load_failure_leaves_device_untouched)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENOENT);
	cr_assert_str_eq(res.msg, "bind " DEV " to vfio-pci: module vfio-pci not found");
	cr_assert_eq(fakesys_write_count(fs), 0);
	expect_driver(DEV, "e1000e");
	expect_attr(DEV, "driver_override", "(null)");

	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", NULL), 0);
	fakesys_fault(fs, FAKESYS_FAULT_MODULE, NULL, -ENOEXEC, 1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENOEXEC);
	cr_assert_eq(fakesys_write_count(fs), 0);
	expect_driver(DEV, "e1000e");
}

Test(bind, override_write_failure_changes_nothing)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_OVERRIDE, DEV, -EPERM, 1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -EPERM);
	cr_assert_str_eq(res.msg, "set driver_override of " DEV " to vfio-pci: "
				  "Operation not permitted");
	expect_driver(DEV, "e1000e");
	cr_assert_eq(rec.n, 1);
}

Test(bind, unbind_ebusy_leaves_device_on_original_driver_and_clears_override)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_UNBIND, DEV, -EBUSY, 1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -EBUSY);
	cr_assert_str_eq(res.msg, "unbind " DEV " from igb: Device or resource busy");
	expect_driver(DEV, "igb");
	expect_attr(DEV, "driver_override", "(null)");
	cr_assert_str_eq(res.driver_after, "igb");
	expect_writes("bus/pci/devices/" DEV "/driver_override=vfio-pci",
		      "bus/pci/drivers/igb/unbind=" DEV,
		      "bus/pci/devices/" DEV "/driver_override=\n", NULL);
	cr_assert(strstr(logcap_text(), "E unbind " DEV " from igb: Device or resource busy"), "%s",
		  logcap_text());
}

/* Pitfalls 1 and 4. */
Test(bind, probe_that_binds_nothing_is_an_error_and_device_is_put_back)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_NOTHING, DEV, 0, 1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENODEV);
	cr_assert_str_eq(res.msg, "bind " DEV " to vfio-pci: no driver claimed it; put back on igb");
	cr_assert(res.rolled_back);
	cr_assert_eq(res.err, -ENODEV);
	expect_driver(DEV, "igb");
	expect_attr(DEV, "driver_override", "(null)");
	cr_assert_str_eq(res.driver_after, "igb");
	expect_writes("bus/pci/devices/" DEV "/driver_override=vfio-pci",
		      "bus/pci/drivers/igb/unbind=" DEV, "bus/pci/drivers_probe=" DEV,
		      "bus/pci/devices/" DEV "/driver_override=\n", "bus/pci/drivers/igb/bind=" DEV,
		      NULL);
}

Test(bind, target_refusing_device_rolls_back_to_original)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_TARGET, DEV, -EINVAL, -1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENODEV);
	cr_assert(res.rolled_back);
	expect_driver(DEV, "igb");
	expect_attr(DEV, "driver_override", "(null)");
}

Test(bind, rollback_falls_back_to_drivers_probe_when_bind_is_refused)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_NOTHING, DEV, 0, 1);
	fakesys_fault(fs, FAKESYS_FAULT_BIND, DEV, -EIO, 1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENODEV);
	cr_assert(res.rolled_back);
	expect_driver(DEV, "igb");
	cr_assert_str_eq(rec.lines[rec.n - 1], "bus/pci/drivers_probe=" DEV);
}

Test(bind, failed_rollback_says_the_device_has_no_driver)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_NOTHING, DEV, 0, -1);
	fakesys_fault(fs, FAKESYS_FAULT_BIND, DEV, -EIO, -1);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENODEV);
	cr_assert_not(res.rolled_back);
	cr_assert_str_eq(res.msg, "bind " DEV " to vfio-pci: no driver claimed it; and putting it "
				  "back on igb failed: device has no driver");
	cr_assert_str_eq(res.driver_after, "");
	expect_driver(DEV, NULL);
}

Test(bind, failed_rollback_names_the_errno_of_a_failed_drivers_probe)
{
	add_dev(DEV, "igb", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_ERRNO, DEV, -EIO, -1);
	fakesys_fault(fs, FAKESYS_FAULT_BIND, DEV, -EINVAL, -1);
	/* the bind's own failure is the errno; the rollback's is in the text */
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -EIO, "%s", res.msg);
	cr_assert_not(res.rolled_back);
	cr_assert_str_eq(res.msg, "bind " DEV " to vfio-pci: no driver claimed it; and putting it "
				  "back on igb failed: drivers_probe: Input/output error: device has "
				  "no driver");
	expect_driver(DEV, NULL);
}

Test(bind, missing_device_is_enodev_with_no_writes)
{
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -ENODEV);
	cr_assert_eq(fakesys_write_count(fs), 0);
}

/* Pitfall 2: across a busy sequence, nothing writes new_id (rec_write checks
 * it in every other test too) and a sibling with the same ID stays put. */
Test(bind, never_writes_new_id)
{
	add_dev("0000:03:00.0", "e1000e", NULL);
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_module(fs, "vfio-pci", NULL), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0);
	expect_driver("0000:03:00.0", "e1000e");	/* the sibling stays */
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_NOTHING, "0000:03:00.0", 0, 1);
	bind_device(&ctx, "0000:03:00.0", "vfio-pci", &res);
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), 0);
	for (unsigned i = 0; i < rec.n; i++)
		cr_assert_null(strstr(rec.lines[i], "new_id"), "%s", rec.lines[i]);
	cr_assert_eq(fakesys_new_id_writes(fs), 0);
}

Test(bind, rejects_invalid_bdf_before_any_path)
{
	static const char *const bad[] = { "../../x", "0000:03:00.1/../", "", "0000:3:00.1",
					   "03:00.1", "0000:03:00.1\n", "0000:03:00.A" };

	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(bind_device(&ctx, bad[i], "vfio-pci", &res), -EINVAL, "%s", bad[i]);
		cr_assert_eq(bind_restore(&ctx, bad[i], "e1000e", &res), -EINVAL, "%s", bad[i]);
		cr_assert_eq(bind_set_numvfs(&ctx, bad[i], 1, true, &res), -EINVAL, "%s", bad[i]);
	}
	cr_assert_eq(bind_device(&ctx, NULL, "vfio-pci", &res), -EINVAL);
	cr_assert_eq(rec.n, 0);
	cr_assert_eq(fakesys_write_count(fs), 0);
}

Test(bind, rejects_driver_names_that_are_not_names)
{
	static const char *const bad[] = { "../../x", "vfio/pci", "", "..", "a b" };

	add_dev(DEV, "e1000e", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(bind_device(&ctx, DEV, bad[i], &res), -EINVAL, "%s", bad[i]);
		cr_assert_eq(bind_restore(&ctx, DEV, bad[i][0] ? bad[i] : "..", &res), -EINVAL);
	}
	cr_assert_eq(fakesys_write_count(fs), 0);
}

/* ---- restore ---- */

/* Pitfall 3. */
Test(bind, restore_clears_override_with_newline_and_reprobes)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), 0);
	rec.n = 0;
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), 0, "%s", res.msg);
	expect_writes("bus/pci/devices/" DEV "/driver_override=\n",
		      "bus/pci/drivers/vfio-pci/unbind=" DEV, "bus/pci/drivers_probe=" DEV, NULL);
	expect_driver(DEV, "e1000e");
	expect_attr(DEV, "driver_override", "(null)");
	cr_assert_str_eq(res.driver_before, "vfio-pci");
	cr_assert_str_eq(res.driver_after, "e1000e");
}

Test(bind, restore_loads_module_by_modalias)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(fakesys_add_module(fs, "e1000e", "pci:v00008086d000010D3sv*sd*bc*sc*i*"), 0);
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), 0, "%s", res.msg);
	expect_driver(DEV, "e1000e");
}

Test(bind, restore_reports_no_driver_and_why_when_module_is_missing)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), -ENODEV);
	cr_assert_str_eq(res.msg, "restore " DEV ": no driver claimed it; module "
				  "pci:v00008086d000010D3sv00008086sd000010D3bc02sc00i00 not found");
	expect_driver(DEV, NULL);
}

Test(bind, restore_keeps_the_errno_of_a_failed_drivers_probe)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(fakesys_add_driver(fs, "e1000e"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_ERRNO, DEV, -EIO, -1);
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), -EIO, "%s", res.msg);
	cr_assert_str_eq(res.msg, "restore " DEV ": no driver claimed it: drivers_probe: "
				  "Input/output error");
	cr_assert_str_eq(res.driver_after, "");
	expect_driver(DEV, NULL);
}

Test(bind, a_failed_drivers_probe_of_a_driverless_restore_is_not_an_error)
{
	add_dev(DEV, "vfio-pci", "");
	fakesys_fault(fs, FAKESYS_FAULT_PROBE_ERRNO, DEV, -EIO, -1);
	cr_assert_eq(bind_restore(&ctx, DEV, "", &res), 0, "%s", res.msg);
	cr_assert_str_eq(res.msg, "restored " DEV ": no driver, as before");
}

Test(bind, restore_module_failure_is_not_fatal_when_a_driver_claims_it)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(fakesys_add_driver(fs, "e1000e"), 0);
	cr_assert_eq(bind_restore(&ctx, DEV, "igb", &res), 0, "%s", res.msg);
	expect_driver(DEV, "e1000e");
	cr_assert_str_eq(res.msg, "restored " DEV ": on e1000e, it had igb");
	cr_assert(strstr(logcap_text(), "W " DEV ": module pci:"), "%s", logcap_text());
}

Test(bind, restore_of_device_that_had_no_driver)
{
	add_dev(DEV, "vfio-pci", "");
	cr_assert_eq(bind_restore(&ctx, DEV, "", &res), 0, "%s", res.msg);
	expect_driver(DEV, NULL);
	expect_attr(DEV, "driver_override", "(null)");
	cr_assert_str_eq(res.msg, "restored " DEV ": no driver, as before");
}

Test(bind, restore_when_already_on_original_only_clears_the_override)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), 0);
	expect_writes("bus/pci/devices/" DEV "/driver_override=\n", NULL);
}

Test(bind, restore_unbind_failure_is_reported)
{
	add_dev(DEV, "vfio-pci", "e1000e");
	cr_assert_eq(fakesys_add_driver(fs, "e1000e"), 0);
	fakesys_fault(fs, FAKESYS_FAULT_UNBIND, NULL, -EBUSY, 1);
	cr_assert_eq(bind_restore(&ctx, DEV, "e1000e", &res), -EBUSY);
	cr_assert_str_eq(res.msg, "unbind " DEV " from vfio-pci: Device or resource busy");
	expect_driver(DEV, "vfio-pci");
}

/* ---- SR-IOV ---- */

Test(bind, numvfs_writes_zero_first)
{
	add_pf(4);
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 2, false, &res), 0, "%s", res.msg);
	expect_attr(PF, "sriov_numvfs", "2");
	rec.n = 0;
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 3, false, &res), 0, "%s", res.msg);
	expect_writes("bus/pci/devices/" PF "/sriov_numvfs=0",
		      "bus/pci/devices/" PF "/sriov_numvfs=3", NULL);
	expect_attr(PF, "sriov_numvfs", "3");
	expect_driver("0000:00:04.2", "nvme");
	rec.n = 0;
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 0, false, &res), 0);
	expect_writes("bus/pci/devices/" PF "/sriov_numvfs=0", NULL);
}

Test(bind, numvfs_same_count_writes_nothing)
{
	add_pf(4);
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 0, true, &res), 0);
	cr_assert_eq(fakesys_write_count(fs), 0);
}

Test(bind, numvfs_refuses_more_than_totalvfs)
{
	add_pf(4);
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 8, false, &res), -ERANGE);
	cr_assert_str_eq(res.msg, PF " supports 4 VFs, 8 asked");
	cr_assert_eq(fakesys_write_count(fs), 0);
}

Test(bind, numvfs_on_a_device_without_sriov_is_an_error)
{
	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(bind_set_numvfs(&ctx, DEV, 2, false, &res), -ENOENT);
	cr_assert_str_eq(res.msg, DEV ": read SR-IOV state: not SR-IOV capable");
}

Test(bind, numvfs_autoprobe_off_then_restored)
{
	add_pf(4);
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 2, true, &res), 0, "%s", res.msg);
	expect_writes("bus/pci/devices/" PF "/sriov_drivers_autoprobe=0",
		      "bus/pci/devices/" PF "/sriov_numvfs=2",
		      "bus/pci/devices/" PF "/sriov_drivers_autoprobe=1", NULL);
	expect_driver("0000:00:04.0", NULL);	/* no host driver grabbed the VFs */
	expect_driver("0000:00:04.1", NULL);
	expect_attr(PF, "sriov_drivers_autoprobe", "1");
}

Test(bind, numvfs_failure_still_restores_autoprobe)
{
	add_pf(4);
	fakesys_fault(fs, FAKESYS_FAULT_NUMVFS, PF, -EIO, 1);
	cr_assert_eq(bind_set_numvfs(&ctx, PF, 2, true, &res), -EIO);
	cr_assert_str_eq(res.msg, "write 2 to sriov_numvfs of " PF ": Input/output error");
	expect_attr(PF, "sriov_drivers_autoprobe", "1");
	expect_attr(PF, "sriov_numvfs", "0");
}

/* ---- the sysfs door and the module loader ---- */

Test(bind, dry_run_deny_ops_refuses_every_write)
{
	static const char *const rels[] = { "bus/pci/devices/" DEV "/driver_override",
					    "bus/pci/drivers/e1000e/unbind", "bus/pci/drivers_probe",
					    "bus/pci/drivers/e1000e/new_id" };
	struct bind_ctx dry = { .root = fakesys_root(fs), .sysfs = &sysfs_ops_deny,
				.modules = &modules_ops_none };

	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rels); i++)
		cr_assert_eq(sysfs_write(&sysfs_ops_deny, fakesys_root(fs), rels[i], "x"), -EROFS);
	cr_assert_eq(bind_device(&dry, DEV, "vfio-pci", &res), -EROFS);
	cr_assert_eq(bind_restore(&dry, DEV, "", &res), -EROFS);
	expect_driver(DEV, "e1000e");
	expect_attr(DEV, "driver_override", "(null)");
	cr_assert(strstr(logcap_text(), "E dry run: refused a write"), "%s", logcap_text());
}

Test(bind, real_ops_reports_kernel_errno)
{
	_cleanup_free_ char *got = NULL;

	add_dev(DEV, "e1000e", NULL);
	cr_assert_eq(sysfs_write(&sysfs_ops_real, fakesys_root(fs), "bus/pci/devices/" DEV "/nosuch",
				 "1"), -ENOENT);
	cr_assert_eq(sysfs_write(&sysfs_ops_real, fakesys_root(fs), "bus/pci/devices/" DEV, "1"),
		     -EISDIR);
	/* a device file whose driver always says no */
	cr_assert_eq(sysfs_write(&sysfs_ops_real, "/dev", "full", "1"), -ENOSPC);
	/* a plain file in the fake tree takes the value in one write (at offset
	 * 0, no truncation, as sysfs wants: the old "-1\n" is overwritten) */
	cr_assert_eq(sysfs_write(&sysfs_ops_real, fakesys_root(fs), "bus/pci/devices/" DEV "/numa_node",
				 "12\n"), 0);
	got = fakesys_read(fs, "bus/pci/devices/" DEV "/numa_node");
	cr_assert_str_eq(got, "12");
	cr_assert_eq(sysfs_write(NULL, "/dev", "full", "1"), -EINVAL);
}

Test(bind, modules_ops_none_refuses_with_a_sentence)
{
	char err[128] = "";

	cr_assert_eq(modules_ops_none.load(modules_ops_none.ud, "vfio-pci", err, sizeof(err)),
		     -EPERM);
	cr_assert_str_eq(err, "module loading is disabled (sysfs root is not /sys)");
}

Test(bind, disabled_module_loading_fails_bind_cleanly)
{
	add_dev(DEV, "e1000e", NULL);
	ctx.modules = &modules_ops_none;
	cr_assert_eq(bind_device(&ctx, DEV, "vfio-pci", &res), -EPERM);
	cr_assert_str_eq(res.msg, "bind " DEV " to vfio-pci: module loading is disabled (sysfs root "
				  "is not /sys)");
	cr_assert_eq(fakesys_write_count(fs), 0);
}

/* ---- modules_kmod_available: exact answers from a fake module index ---- */

/* A module directory of our own (ROOT/lib/modules/KVER, indexes built by
 * depmod from a modules.builtin that names vfio-pci, and a modprobe.d with
 * one alias), so every answer below is fixed whatever the host has. */
#define KVER "9.9.9-vfiobind-test"
static char modroot[64], moddir[128], confdir[128];
static const char *confpaths[2];

static void put(const char *dir, const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void modindex_setup(void)
{
	/* the kernel's own format: NUL-separated MODULE.KEY=VALUE records */
	static const char modinfo[] = "vfio_pci.alias=vfio_pci:v*d*sv*sd*bc*sc*i*\0"
				      "vfio_pci.description=VFIO PCI\0";
	static const char builtin[] = "kernel/drivers/vfio/pci/vfio-pci.ko\n";
	static const char alias[] = "alias vfiobind-test-alias vfio_pci\n";
	char cmd[512];

	snprintf(modroot, sizeof(modroot), "/tmp/vb-modindex-XXXXXX");
	cr_assert_not_null(mkdtemp(modroot));
	snprintf(moddir, sizeof(moddir), "%s/lib/modules/" KVER, modroot);
	snprintf(confdir, sizeof(confdir), "%s/etc/modprobe.d", modroot);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s'", moddir, confdir);
	cr_assert_eq(system(cmd), 0);
	put(moddir, "modules.builtin", builtin, strlen(builtin));
	put(moddir, "modules.builtin.modinfo", modinfo, sizeof(modinfo) - 1);
	put(moddir, "modules.order", "", 0);
	put(confdir, "test.conf", alias, strlen(alias));
	/* depmod (package kmod, which .ci/install-deps installs) writes the
	 * binary indexes libkmod reads */
	snprintf(cmd, sizeof(cmd), "PATH=\"$PATH:/usr/sbin:/sbin\" depmod -b '%s' " KVER, modroot);
	cr_assert_eq(system(cmd), 0, "depmod (package kmod) failed: %s", cmd);
	confpaths[0] = confdir;
	confpaths[1] = NULL;
}

static void modindex_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", modroot);
	if (modroot[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", modroot);
}

TestSuite(modindex, .init = modindex_setup, .fini = modindex_teardown);

Test(modindex, builtin_module_is_available_under_either_spelling)
{
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, "vfio-pci"), 1);
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, "vfio_pci"), 1);
}

Test(modindex, alias_of_a_builtin_module_is_available)
{
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths,
					       "vfio_pci:v00008086d00001521sv0sd0bc02sc00i00"), 1);
}

Test(modindex, modprobe_d_alias_in_the_given_config_is_available)
{
	static const char *const none[] = { "/nonexistent-vfiobind-modprobe.d", NULL };

	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, "vfiobind-test-alias"), 1);
	/* and the alias comes from that config, nowhere else */
	cr_assert_eq(modules_kmod_available_in(moddir, none, "vfiobind-test-alias"), 0);
}

Test(modindex, unknown_module_is_not_available)
{
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, "no-such-module-vfiobind-test"), 0);
	/* a PCI modalias no module in the index claims */
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths,
					       "pci:v00008086d00001521sv00000000sd00000000bc02sc00i00"),
		     0);
}

/* Today libkmod answers "nothing" for a directory it cannot open, so a
 * host without /lib/modules/$(uname -r) reads as "module not found". */
Test(modindex, missing_module_directory_reads_as_not_available)
{
	char gone[160];

	snprintf(gone, sizeof(gone), "%s/lib/modules/0.0.0-absent", modroot);
	cr_assert_eq(modules_kmod_available_in(gone, confpaths, "vfio-pci"), 0);
}

/* libkmod is opened on first use (kmod-dl.h): the library the build's header
 * belongs to has every function the loader and the query call, and one that
 * cannot be opened is said by name, never a crash. */
Test(modindex, libkmod_is_opened_on_first_use_and_a_missing_one_is_said)
{
	struct kmod_dl dl = { 0 };
	char err[256] = "";

	cr_assert_eq(kmod_dl_open(KMOD_DL_SONAME, &dl, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(dl.module_probe_insert_module);
	cr_assert_not_null(kmod_dl(err, sizeof(err)), "%s", err);
	cr_assert_eq(kmod_dl_open("libkmod-vfiobind-absent.so.2", &dl, err, sizeof(err)), -ELIBACC);
	cr_assert(strstr(err, "cannot load libkmod: ") &&
			  strstr(err, "libkmod-vfiobind-absent.so.2"), "%s", err);
}

Test(modindex, empty_name_is_refused)
{
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, ""), -EINVAL);
	cr_assert_eq(modules_kmod_available_in(moddir, confpaths, NULL), -EINVAL);
	/* the host wrapper refuses it before asking anything */
	cr_assert_eq(modules_kmod_available(""), -EINVAL);
}
