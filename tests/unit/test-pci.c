/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-pci.c: the sysfs scanner (system/pci-scan.c) read against a fake tree. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakesys.h"
#include "logcap.h"
#include "log.h"
#include "pci.h"
#include "sysfs.h"
#include "pci-scan.h"

static struct fakesys *fs;
static const char *root;

static void setup(void)
{
	fs = fakesys_new();
	cr_assert_not_null(fs);
	root = fakesys_root(fs);
	logcap_start();
}

static void teardown(void)
{
	logcap_stop();
	fakesys_free(fs);
}

TestSuite(pci, .init = setup, .fini = teardown);

/* ---- helpers: building the tree, poking it by hand ---- */

static void add(const char *bdf, const char *driver, int group)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, driver, group);
	cr_assert_eq(fakesys_add_device(fs, &d), 0, "add %s", bdf);
}

static void add_class(const char *bdf, uint32_t class_code)
{
	struct fakesys_dev d;

	fakesys_dev_init(&d, bdf, NULL, -1);
	d.class_code = class_code;
	cr_assert_eq(fakesys_add_device(fs, &d), 0, "add %s", bdf);
}

static void path_of(char *buf, const char *rel)
{
	cr_assert_lt(snprintf(buf, PATH_MAX, "%s/%s", root, rel), PATH_MAX);
}

/* Overwrite a file of the fake tree, as a test may (the tree is the truth). */
static void put(const char *rel, const char *content)
{
	char p[PATH_MAX];
	int fd;

	path_of(p, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "open %s", p);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* Set (value) or drop (NULL) line KEY= of BDF/uevent, as a kernel that
 * says more or less than fakesys's would. */
static void uevent_set(const char *bdf, const char *key, const char *value)
{
	char rel[128], p[PATH_MAX], buf[4096] = "", out[4096] = "";
	size_t klen = strlen(key);
	FILE *f;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/uevent", bdf);
	path_of(p, rel);
	f = fopen(p, "r");
	cr_assert_not_null(f, "%s", p);
	for (char line[512]; fgets(line, sizeof(line), f);)
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			strcat(buf, line);
	fclose(f);
	if (value)
		snprintf(out, sizeof(out), "%s%s=%s\n", buf, key, value);
	else
		snprintf(out, sizeof(out), "%s", buf);
	put(rel, out);
}

static void mkdir_in(const char *rel)
{
	char p[PATH_MAX];

	path_of(p, rel);
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

static struct pci_state *scan(void)
{
	struct pci_state *st = NULL;

	cr_assert_eq(pci_scan(root, &st), 0);
	cr_assert_not_null(st);
	return st;
}

static const struct pci_dev *must_find(const struct pci_state *st, const char *bdf)
{
	const struct pci_dev *d = pci_find(st, bdf);

	cr_assert_not_null(d, "%s not in the scan", bdf);
	return d;
}

/* Enable VFs the way the daemon would: through the fake kernel. */
static void set_numvfs(const char *pf, const char *n)
{
	struct sysfs_ops ops = fakesys_kernel_ops(fs);
	char rel[128], p[PATH_MAX];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_numvfs", pf);
	path_of(p, rel);
	cr_assert_eq(ops.write(ops.ud, p, n, strlen(n)), 0, "numvfs=%s on %s", n, pf);
}

/* ---- scanning ---- */

Test(pci, scans_every_function_with_ids_class_and_driver)
{
	struct fakesys_dev spec;
	struct pci_state *st;
	const struct pci_dev *d;

	fakesys_dev_init(&spec, "0000:03:00.0", "igb", 4);
	spec.vendor = 0x8086;
	spec.device = 0x1521;
	spec.class_code = 0x020000;
	spec.numa_node = 1;
	cr_assert_eq(fakesys_add_device(fs, &spec), 0);
	add("0000:00:1f.3", "snd_hda_intel", 2);
	add("0000:0a:00.0", "nvme", 9);
	uevent_set("0000:03:00.0", "PCI_SUBSYS_ID", "15D9:1521");

	st = scan();
	cr_assert_eq(st->n, 3);
	/* sorted by address */
	cr_assert_str_eq(st->devs[0].bdf, "0000:00:1f.3");
	cr_assert_str_eq(st->devs[1].bdf, "0000:03:00.0");
	cr_assert_str_eq(st->devs[2].bdf, "0000:0a:00.0");
	d = &st->devs[1];
	cr_assert_eq(d->addr.bus, 3);
	cr_assert_eq(d->vendor, 0x8086);
	cr_assert_eq(d->device, 0x1521);
	cr_assert_eq(d->subsys_vendor, 0x15d9);
	cr_assert_eq(d->subsys_device, 0x1521);
	cr_assert_eq(d->class_code, 0x020000);
	cr_assert_str_eq(d->driver, "igb");
	cr_assert_eq(pci_read_numa_node(root, "0000:03:00.0"), 1, "read when asked, not scanned");
	cr_assert_eq(d->sriov_totalvfs, -1);
	cr_assert_eq(d->sriov_numvfs, -1);
	cr_assert_eq(d->sriov_autoprobe, -1);
	cr_assert_str_eq(d->physfn, "");
	cr_assert_eq(d->vf_index, -1);
	cr_assert_eq(d->boot_vga, -1);
	cr_assert_not(d->is_bridge);
	cr_assert_str_eq(st->devs[2].driver, "nvme");
	pci_state_free(st);
}

Test(pci, unbound_device_has_empty_driver)
{
	struct pci_state *st;
	char drv[PCI_DRIVER_MAX] = "junk";

	add("0000:03:00.0", NULL, 1);
	add("0000:04:00.0", "igb", 2);
	st = scan();
	cr_assert_str_eq(must_find(st, "0000:03:00.0")->driver, "");
	cr_assert_eq(pci_read_driver(root, "0000:03:00.0", drv, sizeof(drv)), 0);
	cr_assert_str_eq(drv, "");
	cr_assert_eq(pci_read_driver(root, "0000:04:00.0", drv, sizeof(drv)), 0);
	cr_assert_str_eq(drv, "igb");
	cr_assert_eq(pci_read_driver(root, "0000:05:00.0", drv, sizeof(drv)), -ENODEV);
	cr_assert_eq(pci_read_driver(root, "../../etc", drv, sizeof(drv)), -EINVAL);
	pci_state_free(st);
}

Test(pci, driver_override_null_reads_as_empty)
{
	struct pci_state *st;

	add("0000:03:00.0", "igb", 1);
	add("0000:04:00.0", NULL, 2);
	put("bus/pci/devices/0000:03:00.0/driver_override", "(null)\n");
	put("bus/pci/devices/0000:04:00.0/driver_override", "vfio-pci\n");
	st = scan();
	cr_assert_str_eq(must_find(st, "0000:03:00.0")->driver_override, "");
	cr_assert_str_eq(must_find(st, "0000:04:00.0")->driver_override, "vfio-pci");
	pci_state_free(st);
}

Test(pci, reads_iommu_group_and_reports_iommu_on)
{
	struct pci_state *st;

	add("0000:03:00.0", "igb", 17);
	add("0000:04:00.0", "igb", -1);
	st = scan();
	cr_assert(st->iommu_on);
	cr_assert_eq(must_find(st, "0000:03:00.0")->iommu_group, 17);
	cr_assert_eq(must_find(st, "0000:04:00.0")->iommu_group, -1);
	pci_state_free(st);
}

Test(pci, iommu_off_when_no_groups)
{
	struct pci_state *st;

	add("0000:03:00.0", "igb", 3);
	cr_assert_eq(fakesys_set_iommu(fs, false), 0);
	st = scan();
	cr_assert_not(st->iommu_on);
	cr_assert_eq(must_find(st, "0000:03:00.0")->iommu_group, -1);
	/* and back on, seen by the cheap re-check */
	cr_assert_eq(fakesys_set_iommu(fs, true), 0);
	pci_state_refresh_iommu(st, root);
	cr_assert(st->iommu_on);
	pci_state_free(st);
}

Test(pci, reads_sriov_totals_and_vf_links_with_index)
{
	struct fakesys_dev pf;
	struct pci_state *st;
	const struct pci_dev *p;
	struct pci_dev one;
	char *vf0;

	fakesys_dev_init(&pf, "0000:03:00.0", "igb", 1);
	pf.totalvfs = 7;
	pf.vf_driver = "igbvf";
	cr_assert_eq(fakesys_add_device(fs, &pf), 0);
	cr_assert_eq(fakesys_add_driver(fs, "igbvf"), 0);

	st = scan();
	p = must_find(st, "0000:03:00.0");
	cr_assert_eq(p->sriov_totalvfs, 7);
	cr_assert_eq(p->sriov_numvfs, 0);
	cr_assert_eq(p->sriov_autoprobe, 1);
	pci_state_free(st);

	set_numvfs("0000:03:00.0", "2");
	vf0 = fakesys_read(fs, "bus/pci/devices/0000:03:00.0/virtfn0/vendor");
	cr_assert_not_null(vf0, "the fake kernel made no virtfn0");
	free(vf0);
	st = scan();
	cr_assert_eq(st->n, 3);
	cr_assert_eq(must_find(st, "0000:03:00.0")->sriov_numvfs, 2);
	for (size_t i = 0; i < st->n; i++) {
		const struct pci_dev *d = &st->devs[i];
		char rel[64], link[PATH_MAX], path[PATH_MAX];
		ssize_t n;

		if (!d->physfn[0])
			continue;
		cr_assert_str_eq(d->physfn, "0000:03:00.0");
		cr_assert_geq(d->vf_index, 0);
		cr_assert_eq(d->sriov_totalvfs, -1, "a VF is not itself a PF");
		/* the index is the N of the PF's virtfnN link pointing at it */
		snprintf(rel, sizeof(rel), "bus/pci/devices/0000:03:00.0/virtfn%d", d->vf_index);
		path_of(path, rel);
		n = readlink(path, link, sizeof(link) - 1);
		cr_assert_gt(n, 0);
		link[n] = '\0';
		cr_assert_str_eq(strrchr(link, '/') + 1, d->bdf);
	}
	cr_assert_neq(st->devs[1].vf_index, st->devs[2].vf_index);

	/* a single read derives the index from the PF too */
	cr_assert_eq(pci_read_device(root, st->devs[2].bdf, &one), 0);
	cr_assert_str_eq(one.physfn, "0000:03:00.0");
	cr_assert_eq(one.vf_index, st->devs[2].vf_index);
	pci_state_free(st);
}

Test(pci, a_vf_refresh_keeps_a_right_index_and_mends_a_wrong_one)
{
	struct fakesys_dev pf;
	struct pci_state *st;
	struct pci_dev *a, *b;
	int ia, ib;

	fakesys_dev_init(&pf, "0000:03:00.0", "igb", 1);
	pf.totalvfs = 7;
	pf.vf_driver = "igbvf";
	cr_assert_eq(fakesys_add_device(fs, &pf), 0);
	cr_assert_eq(fakesys_add_driver(fs, "igbvf"), 0);
	set_numvfs("0000:03:00.0", "4");
	st = scan();
	a = (struct pci_dev *)must_find(st, st->devs[1].bdf);
	b = (struct pci_dev *)must_find(st, st->devs[2].bdf);
	ia = a->vf_index;
	ib = b->vf_index;
	cr_assert_eq(pci_state_refresh(st, root, a->bdf), 0);
	a = (struct pci_dev *)must_find(st, st->devs[1].bdf);
	cr_assert_eq(a->vf_index, ia, "the index it had, confirmed");
	/* A model that had them swapped (as after a renumbering it missed). */
	a->vf_index = ib;
	b->vf_index = ia;
	cr_assert_eq(pci_state_refresh(st, root, a->bdf), 0);
	cr_assert_eq(pci_state_refresh(st, root, b->bdf), 0);
	cr_assert_eq(must_find(st, st->devs[1].bdf)->vf_index, ia, "a wrong index is mended");
	cr_assert_eq(must_find(st, st->devs[2].bdf)->vf_index, ib);
	pci_state_free(st);
}

Test(pci, reads_network_interface_names)
{
	struct fakesys_dev spec;
	struct pci_state *st;
	const struct pci_dev *d;

	fakesys_dev_init(&spec, "0000:03:00.0", "igb", 1);
	spec.ifname = "enp3s0";
	cr_assert_eq(fakesys_add_device(fs, &spec), 0);
	add("0000:04:00.0", "igb", 2);
	st = scan();
	d = must_find(st, "0000:03:00.0");
	cr_assert_eq(d->n_ifnames, 1);
	cr_assert_str_eq(d->ifnames[0], "enp3s0");
	cr_assert_eq(must_find(st, "0000:04:00.0")->n_ifnames, 0);

	/* a multi-port function: names come sorted, at most PCI_MAX_IFNAMES */
	mkdir_in("bus/pci/devices/0000:03:00.0/net/enp3s0d1");
	mkdir_in("bus/pci/devices/0000:03:00.0/net/enp3s0d3");
	mkdir_in("bus/pci/devices/0000:03:00.0/net/enp3s0d2");
	mkdir_in("bus/pci/devices/0000:03:00.0/net/enp3s0d4");
	cr_assert_eq(pci_state_refresh(st, root, "0000:03:00.0"), 0);
	d = must_find(st, "0000:03:00.0");
	cr_assert_eq(d->n_ifnames, PCI_MAX_IFNAMES);
	for (unsigned i = 1; i < d->n_ifnames; i++)
		cr_assert_lt(strcmp(d->ifnames[i - 1], d->ifnames[i]), 0);
	pci_state_free(st);
}

Test(pci, skips_entries_with_non_bdf_names)
{
	struct pci_state *st;

	add("0000:03:00.0", "igb", 1);
	/* plausible-looking but not canonical, and plain junk */
	mkdir_in("bus/pci/devices/foo");
	put("bus/pci/devices/foo/vendor", "0x8086\n");
	mkdir_in("bus/pci/devices/0000:03:00.A");
	put("bus/pci/devices/0000:03:00.A/vendor", "0x8086\n");
	mkdir_in("bus/pci/devices/03:00.1");
	mkdir_in("bus/pci/devices/evil..name");
	st = scan();
	cr_assert_eq(st->n, 1);
	cr_assert_str_eq(st->devs[0].bdf, "0000:03:00.0");
	cr_assert_not_null(strstr(logcap_text(), "'foo'"), "log: %s", logcap_text());
	cr_assert_not_null(strstr(logcap_text(), "'evil..name'"), "log: %s", logcap_text());
	pci_state_free(st);
}

Test(pci, unreadable_vendor_skips_only_that_device_with_a_warning)
{
	struct pci_state *st;

	add("0000:03:00.0", "igb", 1);
	add("0000:04:00.0", "igb", 2);
	put("bus/pci/devices/0000:04:00.0/vendor", "garbage\n");
	uevent_set("0000:04:00.0", "PCI_ID", "garbage");
	st = scan();
	cr_assert_eq(st->n, 1);
	cr_assert_str_eq(st->devs[0].bdf, "0000:03:00.0");
	cr_assert_not_null(strstr(logcap_text(), "0000:04:00.0: cannot read vendor"), "log: %s", logcap_text());
	pci_state_free(st);
}

/* The ids, class and driver come from uevent in one read; the attributes
 * and the driver link are what is read when uevent cannot say. */
Test(pci, uevent_gives_ids_class_and_driver_in_one_read)
{
	struct pci_state *st;
	const struct pci_dev *d;

	add("0000:03:00.0", "igb", 1);
	/* attributes that disagree: the uevent is what was read */
	put("bus/pci/devices/0000:03:00.0/vendor", "0x1234\n");
	put("bus/pci/devices/0000:03:00.0/class", "0x010802\n");
	st = scan();
	d = must_find(st, "0000:03:00.0");
	cr_assert_eq(d->vendor, 0x8086);
	cr_assert_eq(d->class_code, 0x020000);
	cr_assert_str_eq(d->driver, "igb");
	pci_state_free(st);
}

Test(pci, without_a_usable_uevent_the_attributes_are_read)
{
	struct pci_state *st;
	const struct pci_dev *d;
	char p[PATH_MAX];

	add("0000:03:00.0", "igb", 1);
	add("0000:04:00.0", "e1000e", 2);
	add("0000:05:00.0", NULL, 3);
	put("bus/pci/devices/0000:03:00.0/vendor", "0x1234\n");
	uevent_set("0000:03:00.0", "PCI_CLASS", NULL);		/* says too little */
	path_of(p, "bus/pci/devices/0000:04:00.0/uevent");	/* says nothing */
	cr_assert_eq(unlink(p), 0);
	uevent_set("0000:05:00.0", "PCI_ID", "8086:10d3x");	/* says it wrong */
	st = scan();
	cr_assert_eq(st->n, 3);
	d = must_find(st, "0000:03:00.0");
	cr_assert_eq(d->vendor, 0x1234);
	cr_assert_eq(d->class_code, 0x020000);
	cr_assert_str_eq(d->driver, "igb", "from the link");
	d = must_find(st, "0000:04:00.0");
	cr_assert_eq(d->device, 0x10d3);
	cr_assert_str_eq(d->driver, "e1000e");
	d = must_find(st, "0000:05:00.0");
	cr_assert_str_eq(d->driver, "");
	cr_assert_str_eq(logcap_text(), "", "log: %s", logcap_text());
	pci_state_free(st);
}

Test(pci, device_vanished_mid_scan_is_skipped_quietly)
{
	struct pci_state *st;
	char p[PATH_MAX];

	add("0000:03:00.0", "igb", 1);
	/* what a hot-unplug between readdir and open leaves: a dangling entry */
	path_of(p, "bus/pci/devices/0000:09:00.0");
	cr_assert_eq(symlink("../../../devices/pci0000:00/0000:09:00.0", p), 0);
	log_set_level(LOG_LVL_WARNING);
	st = scan();
	cr_assert_eq(st->n, 1);
	cr_assert_str_eq(logcap_text(), "", "unexpected log: %s", logcap_text());
	cr_assert_eq(pci_state_refresh(st, root, "0000:09:00.0"), -ENODEV);
	pci_state_free(st);
}

Test(pci, missing_optional_attributes_read_as_absent)
{
	struct pci_state *st;
	const struct pci_dev *d;
	char p[PATH_MAX];

	add("0000:03:00.0", NULL, -1);
	path_of(p, "bus/pci/devices/0000:03:00.0/numa_node");
	cr_assert_eq(unlink(p), 0);
	path_of(p, "bus/pci/devices/0000:03:00.0/driver_override");
	cr_assert_eq(unlink(p), 0);
	uevent_set("0000:03:00.0", "PCI_SUBSYS_ID", NULL);
	st = scan();
	d = must_find(st, "0000:03:00.0");
	cr_assert_eq(pci_read_numa_node(root, "0000:03:00.0"), -1);
	cr_assert_eq(pci_read_numa_node(root, "0000:07:00.0"), -1, "no such device");
	cr_assert_eq(pci_read_numa_node(root, "../0000:03:00.0"), -1, "not a name");
	cr_assert_str_eq(d->driver_override, "");
	cr_assert_eq(d->subsys_vendor, 0);
	cr_assert_eq(d->iommu_group, -1);
	pci_state_free(st);
}

Test(pci, scan_fails_cleanly_without_a_pci_bus)
{
	struct pci_state *st = NULL;

	cr_assert_eq(pci_scan("/nonexistent-vfiobind-root", &st), -ENOENT);
	cr_assert_null(st);
}

/* ---- keeping the state current ---- */

Test(pci, refresh_adds_updates_and_removes_one_device)
{
	struct pci_state *st;

	add("0000:01:00.0", "igb", 1);
	add("0000:05:00.0", "igb", 5);
	st = scan();

	/* added: lands in address order */
	add("0000:03:00.0", NULL, 3);
	cr_assert_eq(pci_state_refresh(st, root, "0000:03:00.0"), 0);
	cr_assert_eq(st->n, 3);
	cr_assert_str_eq(st->devs[1].bdf, "0000:03:00.0");
	cr_assert_str_eq(st->devs[1].driver, "");

	/* updated in place */
	cr_assert_eq(fakesys_set_driver(fs, "0000:03:00.0", "vfio-pci"), 0);
	cr_assert_eq(pci_state_refresh(st, root, "0000:03:00.0"), 0);
	cr_assert_eq(st->n, 3);
	cr_assert_str_eq(must_find(st, "0000:03:00.0")->driver, "vfio-pci");

	/* removed */
	cr_assert_eq(fakesys_remove_device(fs, "0000:01:00.0"), 0);
	cr_assert_eq(pci_state_refresh(st, root, "0000:01:00.0"), -ENODEV);
	cr_assert_eq(st->n, 2);
	cr_assert_null(pci_find(st, "0000:01:00.0"));
	cr_assert_str_eq(st->devs[0].bdf, "0000:03:00.0");
	cr_assert_str_eq(st->devs[1].bdf, "0000:05:00.0");

	/* gone and never known: still -ENODEV, nothing changes */
	cr_assert_eq(pci_state_refresh(st, root, "0000:01:00.0"), -ENODEV);
	cr_assert_eq(st->n, 2);
	cr_assert_eq(pci_state_refresh(st, root, "../../x"), -EINVAL);
	pci_state_free(st);
}

Test(pci, refresh_of_a_pf_indexes_its_new_vfs)
{
	struct fakesys_dev pf;
	struct pci_state *st;
	int seen = 0;

	fakesys_dev_init(&pf, "0000:03:00.0", "igb", 1);
	pf.totalvfs = 4;
	pf.vf_driver = "igbvf";
	cr_assert_eq(fakesys_add_device(fs, &pf), 0);
	st = scan();
	set_numvfs("0000:03:00.0", "2");
	/* VFs reported before their PF: no index yet is acceptable ... */
	for (size_t i = 0; i < 2; i++) {
		char rel[64], link[PATH_MAX], path[PATH_MAX];
		ssize_t n;

		snprintf(rel, sizeof(rel), "bus/pci/devices/0000:03:00.0/virtfn%zu", i);
		path_of(path, rel);
		n = readlink(path, link, sizeof(link) - 1);
		cr_assert_gt(n, 0);
		link[n] = '\0';
		cr_assert_eq(pci_state_refresh(st, root, strrchr(link, '/') + 1), 0);
	}
	/* ... and after the PF's event every VF has its index */
	cr_assert_eq(pci_state_refresh(st, root, "0000:03:00.0"), 0);
	cr_assert_eq(must_find(st, "0000:03:00.0")->sriov_numvfs, 2);
	for (size_t i = 0; i < st->n; i++)
		if (st->devs[i].physfn[0]) {
			cr_assert_geq(st->devs[i].vf_index, 0);
			seen |= 1 << st->devs[i].vf_index;
		}
	cr_assert_eq(seen, 3);
	pci_state_free(st);
}

Test(pci, dup_is_a_deep_copy)
{
	struct pci_state *st, *copy;

	add("0000:03:00.0", "igb", 1);
	st = scan();
	copy = pci_state_dup(st);
	cr_assert_not_null(copy);
	cr_assert_eq(copy->n, 1);
	cr_assert_neq(copy->devs, st->devs);
	cr_assert_eq(fakesys_set_driver(fs, "0000:03:00.0", NULL), 0);
	cr_assert_eq(pci_state_refresh(st, root, "0000:03:00.0"), 0);
	cr_assert_str_eq(copy->devs[0].driver, "igb");
	cr_assert_str_eq(st->devs[0].driver, "");
	pci_state_free(st);
	pci_state_free(copy);
}

/* ---- lookups ---- */

Test(pci, find_uses_canonical_names)
{
	struct pci_state *st;
	const struct pci_dev *d;

	add("0000:03:00.0", "igb", 1);
	add("0000:0a:1f.7", "igb", 2);
	st = scan();
	d = must_find(st, "0000:0a:1f.7");
	/* any spelling of the address finds the one canonical entry */
	cr_assert_eq(pci_find(st, "0000:0A:1F.7"), d);
	cr_assert_eq(pci_find(st, "0a:1f.7"), d);
	cr_assert_str_eq(d->bdf, "0000:0a:1f.7");
	cr_assert_null(pci_find(st, "0000:0a:1f.6"));
	cr_assert_null(pci_find(st, "0000:0a:1f"));
	cr_assert_null(pci_find(st, "../0000:0a:1f.7"));
	cr_assert_null(pci_find(st, ""));
	pci_state_free(st);
}

Test(pci, bridge_detected_by_class)
{
	struct pci_state *st;

	add_class("0000:00:01.0", 0x060400);	/* PCI-to-PCI bridge */
	add_class("0000:00:02.0", 0x060900);	/* semi-transparent bridge */
	add_class("0000:00:00.0", 0x060000);	/* host bridge: not a P2P bridge */
	add_class("0000:03:00.0", 0x020000);
	st = scan();
	cr_assert(must_find(st, "0000:00:01.0")->is_bridge);
	cr_assert(must_find(st, "0000:00:02.0")->is_bridge);
	cr_assert_not(must_find(st, "0000:00:00.0")->is_bridge);
	cr_assert_not(must_find(st, "0000:03:00.0")->is_bridge);
	pci_state_free(st);
}

Test(pci, boot_vga_read_on_vga_functions)
{
	struct fakesys_dev spec;
	struct pci_state *st;

	fakesys_dev_init(&spec, "0000:01:00.0", NULL, 1);
	spec.class_code = 0x030000;
	spec.boot_vga = 1;
	cr_assert_eq(fakesys_add_device(fs, &spec), 0);
	fakesys_dev_init(&spec, "0000:02:00.0", NULL, 2);
	spec.class_code = 0x030000;
	spec.boot_vga = 0;
	cr_assert_eq(fakesys_add_device(fs, &spec), 0);
	st = scan();
	cr_assert_eq(must_find(st, "0000:01:00.0")->boot_vga, 1);
	cr_assert_eq(must_find(st, "0000:02:00.0")->boot_vga, 0);
	pci_state_free(st);
}

Test(pci, group_members_listed)
{
	char m[4][BDF_BUFSZ];

	add("0000:03:00.1", "igb", 7);
	add("0000:03:00.0", "igb", 7);
	add("0000:04:00.0", "igb", 8);
	cr_assert_eq(pci_read_group_members(root, 7, m, 4), 2);
	cr_assert_str_eq(m[0], "0000:03:00.0");
	cr_assert_str_eq(m[1], "0000:03:00.1");
	cr_assert_eq(pci_read_group_members(root, 8, m, 4), 1);
	cr_assert_str_eq(m[0], "0000:04:00.0");
	/* a group that does not fit is an error, never a silent partial list */
	cr_assert_eq(pci_read_group_members(root, 7, m, 1), -E2BIG);
	cr_assert_eq(pci_read_group_members(root, 99, m, 4), -ENOENT);
	cr_assert_eq(pci_read_group_members(root, -1, m, 4), -EINVAL);
}

/* Each entry of some as the whole scan has it. */
static void same_as_whole(const struct pci_state *some, const struct pci_state *whole)
{
	for (size_t i = 0; i < some->n; i++) {
		const struct pci_dev *w = must_find(whole, some->devs[i].bdf);

		cr_assert_eq(memcmp(w, &some->devs[i], sizeof(*w)), 0, "%s differs from the whole scan",
			     w->bdf);
	}
	cr_assert_eq(some->iommu_on, whole->iommu_on);
}

static bool busy_0301(const char *bdf, void *ud)
{
	(void)ud;
	return strcmp(bdf, "0000:03:00.1") == 0;
}

Test(pci, scan_some_reads_the_named_their_groups_and_the_pf_of_a_vf)
{
	_cleanup_free_ char *vf = NULL;
	struct fakesys_dev pf;
	struct pci_state *some = NULL, *whole;
	const char *names[3];
	char rel[64], link[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	add("0000:03:00.0", "igb", 7);
	add("0000:03:00.1", "igb", 7);
	add("0000:04:00.0", "igb", 8);
	add("0000:05:00.0", "e1000e", 9);
	fakesys_dev_init(&pf, "0000:06:00.0", "igb", 10);
	pf.totalvfs = 4;
	pf.vf_driver = "igbvf";
	cr_assert_eq(fakesys_add_device(fs, &pf), 0);
	set_numvfs("0000:06:00.0", "3");
	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:06:00.0/virtfn2");
	path_of(path, rel);
	n = readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0);
	link[n] = '\0';
	vf = strdup(strrchr(link, '/') + 1);
	names[0] = "0000:03:00.1";
	names[1] = vf;
	names[2] = "0000:0a:00.0"; /* not there: left out */
	cr_assert_eq(pci_scan_some(root, names, 3, NULL, NULL, NULL, &some), 0);
	whole = scan();
	/* the named, the other member of group 7, the VF's PF; not the rest */
	must_find(some, "0000:03:00.0");
	must_find(some, "0000:03:00.1");
	must_find(some, "0000:06:00.0");
	cr_assert_eq(must_find(some, vf)->vf_index, 2, "the VF's index, from its PF");
	cr_assert_null(pci_find(some, "0000:04:00.0"));
	cr_assert_null(pci_find(some, "0000:05:00.0"));
	cr_assert_null(pci_find(some, "0000:0a:00.0"));
	cr_assert_lt(some->n, whole->n);
	same_as_whole(some, whole);
	pci_state_free(some);
	/* A function a write is in the kernel for keeps what the model had. */
	cr_assert_eq(fakesys_set_driver(fs, "0000:03:00.1", NULL), 0);
	cr_assert_eq(pci_scan_some(root, names, 3, whole, busy_0301, NULL, &some), 0);
	cr_assert_str_eq(must_find(some, "0000:03:00.1")->driver, "igb", "kept, not read");
	pci_state_free(some);
	pci_state_free(whole);
	/* nothing named: nothing read, and no error */
	cr_assert_eq(pci_scan_some(root, NULL, 0, NULL, NULL, NULL, &some), 0);
	cr_assert_eq(some->n, 0);
	pci_state_free(some);
}

Test(pci, driver_registered_checks_the_driver_directory_and_name)
{
	cr_assert_eq(fakesys_add_driver(fs, "vfio-pci"), 0);
	cr_assert(pci_driver_registered(root, "vfio-pci"));
	cr_assert_not(pci_driver_registered(root, "igb"));
	cr_assert_not(pci_driver_registered(root, ".."));
	cr_assert_not(pci_driver_registered(root, "."));
	cr_assert_not(pci_driver_registered(root, "../drivers/vfio-pci"));
	cr_assert_not(pci_driver_registered(root, "vfio pci"));
	cr_assert_not(pci_driver_registered(root, ""));
	/* a file of that name is not a driver */
	put("bus/pci/drivers/notadir", "");
	cr_assert_not(pci_driver_registered(root, "notadir"));
}

Test(pci, lazy_modalias)
{
	struct pci_state *st;
	char p[PATH_MAX], ma[PCI_MODALIAS_MAX], tiny[8], ev[4096];
	int ifd;

	add("0000:03:00.0", "igb", 1);
	/* the scan never opens modalias: watch it with inotify */
	path_of(p, "devices/pci0000:00/0000:03:00.0/modalias");
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	cr_assert_geq(ifd, 0);
	cr_assert_geq(inotify_add_watch(ifd, p, IN_OPEN), 0);
	st = scan();
	cr_assert_eq(read(ifd, ev, sizeof(ev)), -1, "scan opened modalias");
	cr_assert_eq(errno, EAGAIN);

	cr_assert_eq(pci_read_modalias(root, "0000:03:00.0", ma, sizeof(ma)), 0);
	cr_assert_gt(read(ifd, ev, sizeof(ev)), 0);
	cr_assert_eq(strncmp(ma, "pci:v00008086d000010D3", 22), 0, "modalias %s", ma);
	/* it is read when asked, so it reflects the tree now */
	put("bus/pci/devices/0000:03:00.0/modalias", "pci:v000015B3d00001017sv0sd0bc02sc00i00\n");
	cr_assert_eq(pci_read_modalias(root, "0000:03:00.0", ma, sizeof(ma)), 0);
	cr_assert_str_eq(ma, "pci:v000015B3d00001017sv0sd0bc02sc00i00");
	cr_assert_eq(pci_read_modalias(root, "0000:03:00.0", tiny, sizeof(tiny)), -ENAMETOOLONG);
	cr_assert_eq(pci_read_modalias(root, "0000:09:00.0", ma, sizeof(ma)), -ENODEV);
	cr_assert_eq(pci_read_modalias(root, "03:00.0", ma, sizeof(ma)), -EINVAL);
	close(ifd);
	pci_state_free(st);
}
