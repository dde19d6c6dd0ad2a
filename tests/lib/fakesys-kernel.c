/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakesys-kernel.c: the fake kernel. It gives writes into the fake tree
 * their sysfs meaning (Documentation/ABI/testing/sysfs-bus-pci): bind,
 * unbind, new_id, drivers_probe, driver_override, SR-IOV VF creation; it
 * fires the faults a test arms, and it is the fake module loader. The tree it
 * acts on is fakesys.c.
 *
 * Kernel behaviour modelled, and the simplifications:
 *  - drivers_probe succeeds even when nothing binds (pitfall 1); a driver's
 *    probe failing is swallowed by drivers_probe but returned by bind.
 *  - A device with driver_override set matches only that driver; without one
 *    it matches only its native driver.
 *  - A zero-byte write to driver_override changes nothing (pitfall 3); "\n"
 *    or "" with a newline clears it.
 *  - new_id binds every unbound function with that vendor:device (pitfall 2);
 *    a second new_id of the same ID fails with -EEXIST.
 *  - VF i of a PF at BB:dd.f is created at BB:(dd + 1 + i / 8).(i % 8): same
 *    bus, not the kernel's offset/stride arithmetic. Each VF gets the next
 *    free IOMMU group. A PF needs a bound driver to change its VF count.
 *  - A driver registered by the fake module loader attaches to every unbound
 *    device that matches it, as driver registration does in the kernel;
 *    fakesys_add_driver (test setup) does not.
 *  - fakesys_set_iommu(false) removes every group and iommu_group link but
 *    keeps kernel/iommu_groups/ (empty), as a kernel without an IOMMU does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdf.h"
#include "fakesys-private.h"
#include "util.h"
#include "fileio.h"

/* ---- the model as a probe consults it ---- */

static void fk_override(const struct fakesys *fs, const char *bdf, char *buf, size_t size)
{
	char p[PATH_MAX];

	buf[0] = '\0';
	if (fk_path(fs, p, "bus/pci/devices/%s/driver_override", bdf) < 0 ||
	    fileio_read_attr(p, buf, size) < 0 || strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
}

/* Consume one shot of a matching fault; returns its err through *err. */
static bool fk_fault_hit(struct fakesys *fs, enum fakesys_fault kind, const char *bdf, int *err)
{
	for (size_t i = 0; i < fs->nfaults; i++) {
		struct ffault *f = &fs->faults[i];

		if (f->kind != kind || f->count == 0)
			continue;
		if (f->bdf[0] && (!bdf || strcmp(f->bdf, bdf) != 0))
			continue;
		if (f->count > 0) {
			f->count--;
			fs->dirty = true;
		}
		if (err)
			*err = f->err;
		return true;
	}
	return false;
}

/* Is a fault of this kind armed for bdf? (Looks, never consumes.) */
static bool fk_fault_armed(const struct fakesys *fs, enum fakesys_fault kind, const char *bdf)
{
	for (size_t i = 0; i < fs->nfaults; i++) {
		const struct ffault *f = &fs->faults[i];

		if (f->kind == kind && (!f->bdf[0] || strcmp(f->bdf, bdf) == 0))
			return true;
	}
	return false;
}

/* ---- probing, as driver core does it ---- */

/* Which driver would match this device now: its override, else its native. */
static const char *fk_match(const struct fdev *d, const char *override)
{
	return *override ? override : d->native;
}

/* What drivers_probe and driver registration do for one unbound device. */
static void fk_probe(struct fakesys *fs, struct fdev *d)
{
	char cur[FK_NAME_MAX], ovr[FK_NAME_MAX];
	const char *want;

	fk_cur_driver(fs, d->bdf, cur, sizeof(cur));
	if (*cur || fk_fault_hit(fs, FAKESYS_FAULT_PROBE_NOTHING, d->bdf, NULL))
		return;
	fk_override(fs, d->bdf, ovr, sizeof(ovr));
	want = fk_match(d, ovr);
	if (!*want || !fk_registered(fs, want))
		return;
	if (*ovr && fk_fault_hit(fs, FAKESYS_FAULT_PROBE_TARGET, d->bdf, NULL))
		return;
	fk_link_driver(fs, d, want);
}

/* ---- public: faults and counters ---- */

static void fk_fault(struct fakesys *fs, enum fakesys_fault f, const char *bdf, int err,
		     int count)
{
	struct ffault *x;

	if (fs->nfaults == FK_MAX_FAULTS)
		return;
	fs->dirty = true;
	x = &fs->faults[fs->nfaults++];
	x->kind = f;
	util_strlcpy(x->bdf, bdf ? bdf : "", sizeof(x->bdf));
	x->err = err < 0 ? err : -err;
	x->count = count;
}

unsigned fakesys_write_count(const struct fakesys *fs)
{
	return fs->writes;
}

unsigned fakesys_new_id_writes(const struct fakesys *fs)
{
	return fs->new_id_writes;
}

/* ---- the fake kernel: writes with their sysfs meaning ---- */

/* Copy a written value, dropping one trailing newline as sysfs_streq() and
 * the attribute stores do. */
static int fk_value(const char *buf, size_t len, char *out, size_t size)
{
	if (len >= size)
		return -EINVAL;
	memcpy(out, buf, len);
	out[len] = '\0';
	if (len > 0 && out[len - 1] == '\n')
		out[len - 1] = '\0';
	return 0;
}

static int fk_unbind(struct fakesys *fs, const char *driver, const char *bdf)
{
	struct fdev *d = fk_find(fs, bdf);
	char cur[FK_NAME_MAX];
	int err;

	if (!d)
		return -ENODEV;
	fk_cur_driver(fs, bdf, cur, sizeof(cur));
	if (strcmp(cur, driver) != 0)
		return -ENODEV;
	if (fk_fault_hit(fs, FAKESYS_FAULT_UNBIND, bdf, &err))
		return err ? err : -EIO;
	fk_unlink_driver(fs, bdf, driver);
	return 0;
}

static int fk_bind(struct fakesys *fs, const char *driver, const char *bdf)
{
	struct fdev *d = fk_find(fs, bdf);
	char cur[FK_NAME_MAX], ovr[FK_NAME_MAX];
	int err;

	if (!d)
		return -ENODEV;
	if (fk_fault_hit(fs, FAKESYS_FAULT_BIND, bdf, &err))
		return err ? err : -EIO;
	fk_cur_driver(fs, bdf, cur, sizeof(cur));
	if (*cur)
		return -EBUSY;
	fk_override(fs, bdf, ovr, sizeof(ovr));
	if (strcmp(fk_match(d, ovr), driver) != 0)
		return -ENODEV;
	/* bind_store() returns the probe's error, unlike drivers_probe */
	if (*ovr && fk_fault_hit(fs, FAKESYS_FAULT_PROBE_TARGET, bdf, &err))
		return err ? err : -ENODEV;
	return fk_link_driver(fs, d, driver);
}

/* Pitfall 2 made real: the ID is added and every unbound function with it
 * is claimed, whatever the caller meant. */
static int fk_new_id(struct fakesys *fs, const char *driver, const char *val)
{
	unsigned vendor, device;
	char cur[FK_NAME_MAX], ovr[FK_NAME_MAX];

	fs->new_id_writes++;
	if (sscanf(val, "%x %x", &vendor, &device) != 2 || vendor > 0xffff || device > 0xffff)
		return -EINVAL;
	for (size_t i = 0; i < fs->nids; i++)
		if (strcmp(fs->ids[i].driver, driver) == 0 && fs->ids[i].vendor == vendor &&
		    fs->ids[i].device == device)
			return -EEXIST;
	if (fs->nids == FK_MAX_IDS)
		return -ENOSPC;
	fs->dirty = true;
	util_strlcpy(fs->ids[fs->nids].driver, driver, FK_NAME_MAX);
	fs->ids[fs->nids].vendor = (uint16_t)vendor;
	fs->ids[fs->nids++].device = (uint16_t)device;
	for (size_t i = 0; i < fs->ndevs; i++) {
		struct fdev *d = &fs->devs[i];

		if (d->vendor != vendor || d->device != device)
			continue;
		fk_cur_driver(fs, d->bdf, cur, sizeof(cur));
		fk_override(fs, d->bdf, ovr, sizeof(ovr));
		if (!*cur && (!*ovr || strcmp(ovr, driver) == 0))
			fk_link_driver(fs, d, driver);
	}
	return 0;
}

static int fk_driver_op(struct fakesys *fs, const char *driver, const char *op, const char *val)
{
	if (strcmp(op, "unbind") == 0)
		return fk_unbind(fs, driver, val);
	if (strcmp(op, "bind") == 0)
		return fk_bind(fs, driver, val);
	if (strcmp(op, "new_id") == 0)
		return fk_new_id(fs, driver, val);
	return 0; /* remove_id and the rest: accepted, no effect modelled */
}

static int fk_write_override(struct fakesys *fs, struct fdev *d, const char *path, const char *val,
			     size_t len)
{
	int err;

	if (fk_fault_hit(fs, FAKESYS_FAULT_OVERRIDE, d->bdf, &err))
		return err ? err : -EIO;
	/* pitfall 3: an empty write reaches no store function */
	if (len == 0)
		return 0;
	return *val ? fk_putf(path, "%s\n", val) : fk_putf(path, "(null)\n");
}

static int fk_link_vf(struct fakesys *fs, const char *pf, const char *vf, int i)
{
	char p[PATH_MAX], t[PATH_MAX];
	int r;

	if ((r = fk_path(fs, p, "bus/pci/devices/%s/physfn", vf)) < 0 ||
	    (r = util_fmt(t, sizeof(t), "../%s", pf)) < 0)
		return r;
	if (symlink(t, p) < 0)
		return -errno;
	if ((r = fk_path(fs, p, "bus/pci/devices/%s/virtfn%d", pf, i)) < 0 ||
	    (r = util_fmt(t, sizeof(t), "../%s", vf)) < 0)
		return r;
	return symlink(t, p) < 0 ? -errno : 0;
}

/* Create VF i of pf (which fk_append may move: callers re-find it). */
static int fk_create_vf(struct fakesys *fs, const char *pfbdf, int i)
{
	struct fdev *pf = fk_find(fs, pfbdf), *vf;
	struct pci_addr a = pf->addr;
	int r;

	a.dev = (uint8_t)(a.dev + 1 + i / 8);
	a.fn = (uint8_t)(i % 8);
	if (a.dev > 0x1f)
		return -ENOSPC;
	{
		char bdf[BDF_BUFSZ];

		bdf_format(&a, bdf);
		if (fk_find(fs, bdf))
			return -EEXIST;
		if (!(vf = fk_append(fs)))
			return -ENOMEM;
		pf = fk_find(fs, pfbdf);
		util_strlcpy(vf->bdf, bdf, sizeof(vf->bdf));
	}
	vf->addr = a;
	vf->vendor = pf->vendor;
	vf->device = pf->vf_device;
	vf->class_code = pf->class_code;
	util_strlcpy(vf->native, pf->vf_driver, sizeof(vf->native));
	util_strlcpy(vf->physfn, pfbdf, sizeof(vf->physfn));
	vf->group = fs->next_group;
	vf->numa_node = pf->numa_node;
	vf->autoprobe = 1;
	if ((r = fk_create(fs, vf, NULL)) < 0)
		return r;
	return fk_link_vf(fs, pfbdf, vf->bdf, i);
}

static int fk_enable_vfs(struct fakesys *fs, const char *pfbdf, int n)
{
	int r = 0;

	fs->dirty = true;
	for (int i = 0; i < n && r == 0; i++) {
		r = fk_create_vf(fs, pfbdf, i);
		fk_find(fs, pfbdf)->numvfs = i + (r == 0);
	}
	if (r < 0) {
		fk_remove_vfs(fs, fk_find(fs, pfbdf));
		return r;
	}
	if (!fk_find(fs, pfbdf)->autoprobe)
		return 0;
	for (size_t j = 0; j < fs->ndevs; j++)
		if (strcmp(fs->devs[j].physfn, pfbdf) == 0)
			fk_probe(fs, &fs->devs[j]);
	return 0;
}

/* sriov_numvfs_store(), in the kernel's order of checks. */
static int fk_write_numvfs(struct fakesys *fs, struct fdev *pf, const char *path, const char *val)
{
	char bdf[BDF_BUFSZ], cur[FK_NAME_MAX], *end;
	long n;
	int r, err;

	errno = 0;
	n = strtol(val, &end, 0);
	if (errno || end == val || *end || n < 0 || n > 0xffff)
		return -EINVAL;
	if (n > pf->totalvfs)
		return -ERANGE;
	if (n == pf->numvfs)
		return 0;
	fk_cur_driver(fs, pf->bdf, cur, sizeof(cur));
	if (!*cur)
		return -ENOENT;
	if (fk_fault_hit(fs, FAKESYS_FAULT_NUMVFS, pf->bdf, &err))
		return err ? err : -EIO;
	if (n != 0 && pf->numvfs != 0)
		return -EBUSY;
	util_strlcpy(bdf, pf->bdf, sizeof(bdf));
	if (n == 0)
		fk_remove_vfs(fs, pf);
	else if ((r = fk_enable_vfs(fs, bdf, (int)n)) < 0)
		return r;
	return fk_putf(path, "%d\n", fk_find(fs, bdf)->numvfs);
}

static int fk_write_autoprobe(struct fakesys *fs, struct fdev *d, const char *path,
			      const char *val)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 0);
	if (errno || end == val || *end)
		return -EINVAL;
	d->autoprobe = v != 0;
	fs->dirty = true;
	return fk_putf(path, "%d\n", d->autoprobe);
}

/* Find the device and attribute a relative path names, through either
 * bus/pci/devices/BDF/ATTR or devices/.../BDF/ATTR. */
static struct fdev *fk_dev_attr(struct fakesys *fs, const char *rel, const char **attr)
{
	char bdf[BDF_BUFSZ];
	const char *slash, *start;

	if (strncmp(rel, "bus/pci/devices/", 16) == 0) {
		start = rel + 16;
		slash = strchr(start, '/');
		if (!slash || strchr(slash + 1, '/'))
			return NULL;
	} else if (strncmp(rel, "devices/", 8) == 0) {
		slash = strrchr(rel, '/');
		for (start = slash; start > rel && start[-1] != '/'; start--)
			;
	} else {
		return NULL;
	}
	if ((size_t)(slash - start) >= sizeof(bdf))
		return NULL;
	memcpy(bdf, start, (size_t)(slash - start));
	bdf[slash - start] = '\0';
	*attr = slash + 1;
	return fk_find(fs, bdf);
}

static int fk_dispatch(struct fakesys *fs, const char *path, const char *rel, const char *buf,
		       size_t len)
{
	char val[4096], driver[FK_NAME_MAX];
	const char *attr, *slash;
	struct fdev *d;
	int r;

	if ((r = fk_value(buf, len, val, sizeof(val))) < 0)
		return r;
	if (strcmp(rel, "bus/pci/drivers_probe") == 0) {
		fk_put(path, buf, len);
		if (!(d = fk_find(fs, val)))
			return -ENODEV;
		if (fk_fault_hit(fs, FAKESYS_FAULT_PROBE_ERRNO, d->bdf, &r))
			return r;
		fk_probe(fs, d);
		return 0;	/* pitfall 1: yes, whatever happened */
	}
	if (strncmp(rel, "bus/pci/drivers/", 16) == 0 && (slash = strchr(rel + 16, '/')) &&
	    !strchr(slash + 1, '/') && (size_t)(slash - rel - 16) < sizeof(driver)) {
		memcpy(driver, rel + 16, (size_t)(slash - rel - 16));
		driver[slash - rel - 16] = '\0';
		fk_put(path, buf, len);
		return fk_driver_op(fs, driver, slash + 1, val);
	}
	if ((d = fk_dev_attr(fs, rel, &attr))) {
		if (strcmp(attr, "driver_override") == 0)
			return fk_write_override(fs, d, path, val, len);
		if (strcmp(attr, "sriov_numvfs") == 0)
			return fk_write_numvfs(fs, d, path, val);
		if (strcmp(attr, "sriov_drivers_autoprobe") == 0)
			return fk_write_autoprobe(fs, d, path, val);
	}
	return fk_put(path, buf, len);
}

static int fk_kernel_write_one(struct fakesys *fs, const char *path, const char *buf,
			       size_t len)
{
	char real[PATH_MAX], realroot[PATH_MAX];
	struct stat st;

	fs->writes++;
	/* never write outside the fake tree, whatever path we are handed */
	if (!realpath(fs->root, realroot) || !realpath(path, real))
		return -errno;
	if (strncmp(real, realroot, strlen(realroot)) != 0 || real[strlen(realroot)] != '/' ||
	    strncmp(path, fs->root, fs->rootlen) != 0 || path[fs->rootlen] != '/')
		return -EACCES;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return fk_dispatch(fs, path, path + fs->rootlen + 1, buf, len);
}

/* A driver whose remove() takes its time: while a HOLD fault names the
 * device, its unbind waits, looking again every 10 ms outside the model's
 * lock, so that the test (or the process sharing the fake kernel) can clear
 * the fault meanwhile. */
static void fk_hold(struct fakesys *fs, const char *path, const char *buf, size_t len)
{
	size_t n = strlen(path);
	char val[64];

	if (n < 7 || strcmp(path + n - 7, "/unbind") != 0 || fk_value(buf, len, val, sizeof(val)) < 0)
		return;
	for (;;) {
		bool held;

		fk_begin(fs);
		held = fk_fault_armed(fs, FAKESYS_FAULT_HOLD, val);
		fk_end(fs, 0);
		if (!held)
			return;
		usleep(10000);
	}
}

static int fk_kernel_write(void *ud, const char *path, const char *buf, size_t len)
{
	struct fakesys *fs = ud;

	fk_hold(fs, path, buf, len);
	fk_begin(fs);
	return fk_end(fs, fk_kernel_write_one(fs, path, buf, len));
}

struct sysfs_ops fakesys_kernel_ops(struct fakesys *fs)
{
	return (struct sysfs_ops){ .write = fk_kernel_write, .ud = fs };
}

/* ---- the fake module loader ---- */

static int fk_add_module(struct fakesys *fs, const char *name, const char *alias)
{
	struct fmodule *n = realloc(fs->mods, (fs->nmods + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	fs->mods = n;
	fs->dirty = true;
	n = &fs->mods[fs->nmods++];
	util_strlcpy(n->name, name, sizeof(n->name));
	util_strlcpy(n->alias, alias ? alias : "", sizeof(n->alias));
	return 0;
}

static bool fk_modname_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

/* Driver registration attaches the new driver to every unbound device it
 * matches, as driver_register() -> driver_attach() does. */
static void fk_attach(struct fakesys *fs, const char *driver)
{
	char cur[FK_NAME_MAX], ovr[FK_NAME_MAX];

	for (size_t i = 0; i < fs->ndevs; i++) {
		struct fdev *d = &fs->devs[i];

		fk_cur_driver(fs, d->bdf, cur, sizeof(cur));
		fk_override(fs, d->bdf, ovr, sizeof(ovr));
		if (*cur || strcmp(fk_match(d, ovr), driver) != 0)
			continue;
		if (*ovr && fk_fault_hit(fs, FAKESYS_FAULT_PROBE_TARGET, d->bdf, NULL))
			continue;
		fk_link_driver(fs, d, driver);
	}
}

static int fk_module_load_one(struct fakesys *fs, const char *name, char *err, size_t errsize)
{
	int e, r;

	if (fk_fault_hit(fs, FAKESYS_FAULT_MODULE, NULL, &e)) {
		e = e ? e : -EIO;
		snprintf(err, errsize, "module %s: %s", name, strerror(-e));
		return e;
	}
	if (fk_registered(fs, name))
		return 0;
	for (size_t i = 0; i < fs->nmods; i++) {
		const struct fmodule *m = &fs->mods[i];

		if (!fk_modname_eq(m->name, name) &&
		    !(m->alias[0] && fnmatch(m->alias, name, 0) == 0))
			continue;
		if (fk_registered(fs, m->name))
			return 0;
		if ((r = fakesys_add_driver(fs, m->name)) < 0) {
			snprintf(err, errsize, "module %s: %s", name, strerror(-r));
			return r;
		}
		fk_attach(fs, m->name);
		return 0;
	}
	snprintf(err, errsize, "module %s not found", name);
	return -ENOENT;
}

static int fk_module_load(void *ud, const char *name, char *err, size_t errsize)
{
	struct fakesys *fs = ud;

	fk_begin(fs);
	return fk_end(fs, fk_module_load_one(fs, name, err, errsize));
}

struct modules_ops fakesys_modules_ops(struct fakesys *fs)
{
	return (struct modules_ops){ .load = fk_module_load, .ud = fs };
}

/* ---- public entry points that use the model: each one between fk_begin()
 * and fk_end(), so it sees and saves the model another process shares ---- */

int fakesys_add_module(struct fakesys *fs, const char *name, const char *alias)
{
	fk_begin(fs);
	return fk_end(fs, fk_add_module(fs, name, alias));
}

void fakesys_fault(struct fakesys *fs, enum fakesys_fault f, const char *bdf, int err, int count)
{
	fk_begin(fs);
	fk_fault(fs, f, bdf, err, count);
	fk_end(fs, 0);
}

void fakesys_clear_faults(struct fakesys *fs)
{
	fk_begin(fs);
	fs->nfaults = 0;
	fs->dirty = true;
	fk_end(fs, 0);
}
