/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakesys.c: the fake sysfs tree (its layout is in fakesys.h): devices and
 * their attributes, drivers, the driver, iommu_group, physfn/virtfn and block
 * links, and fakesys_populate() for scale. The fake kernel that gives writes
 * their meaning is fakesys-kernel.c; the model shared with other processes
 * through ROOT/.fakesys is fakesys-store.c.
 *
 * What lives where: the tree is the truth for what a reader sees (the driver
 * link, the driver_override text, which drivers are registered), so a test may
 * also poke the tree by hand. What the tree cannot say (a device's native
 * driver, SR-IOV capacity, the driver of future VFs) lives in struct fdev.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdf.h"
#include "fakesys-private.h"
#include "util.h"
#include "fileio.h"

/* ---- paths and small file helpers ---- */

int fk_path(const struct fakesys *fs, char *buf, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return util_fmt(buf, PATH_MAX, "%s/%s", fs->root, rel);
}

int fk_put(const char *path, const char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		return -EIO;
	return 0;
}

int fk_putf(const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	return fk_put(path, buf, (size_t)n);
}

static int fk_mkdir(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static void fk_rmtree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void fk_domain_dir(const struct fdev *d, char out[32])
{
	snprintf(out, 32, "pci%04x:00", d->addr.domain);
}

/* ---- in-memory model ---- */

struct fdev *fk_find(const struct fakesys *fs, const char *bdf)
{
	for (size_t i = 0; i < fs->ndevs; i++)
		if (strcmp(fs->devs[i].bdf, bdf) == 0)
			return &fs->devs[i];
	return NULL;
}

bool fk_registered(const struct fakesys *fs, const char *driver)
{
	char p[PATH_MAX];
	struct stat st;

	if (!driver || !*driver || strchr(driver, '/') ||
	    fk_path(fs, p, "bus/pci/drivers/%s", driver) < 0)
		return false;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void fk_cur_driver(const struct fakesys *fs, const char *bdf, char *buf, size_t size)
{
	char p[PATH_MAX];

	buf[0] = '\0';
	if (fk_path(fs, p, "bus/pci/devices/%s/driver", bdf) == 0 &&
	    fileio_read_link_base(p, buf, size) < 0)
		buf[0] = '\0';
}

/* ---- uevent, as the kernel shows it ---- */

/* pci_uevent(): the modalias, from the same facts as the modalias file. */
static void fk_modalias(const struct fdev *d, char out[64])
{
	snprintf(out, 64, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor, d->device,
		 d->vendor, d->device, (d->class_code >> 16) & 0xff, (d->class_code >> 8) & 0xff,
		 d->class_code & 0xff);
}

/* BDF/uevent says what the links and attributes say, in the kernel's
 * format (dev_uevent() then pci_uevent(); seen on Linux 6.1, bench/README.md):
 *   DRIVER=e1000e            only while bound
 *   PCI_CLASS=20000          %04X of the 24-bit class
 *   PCI_ID=8086:10D3         vendor:device, upper-case hex
 *   PCI_SUBSYS_ID=8086:10D3  subsystem_vendor:subsystem_device
 *   PCI_SLOT_NAME=0000:03:00.1
 *   MODALIAS=pci:v...        as the modalias file
 * Rewritten at every change of the driver link, so a scan may read it
 * instead of the link and five attributes. */
static int fk_write_uevent(struct fakesys *fs, const struct fdev *d, const char *driver)
{
	char p[PATH_MAX], drv[FK_NAME_MAX + 8] = "", alias[64];

	if (fk_path(fs, p, "bus/pci/devices/%s/uevent", d->bdf) < 0)
		return -ENAMETOOLONG;
	if (driver && *driver)
		snprintf(drv, sizeof(drv), "DRIVER=%s\n", driver);
	fk_modalias(d, alias);
	return fk_putf(p, "%sPCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
		       "PCI_SLOT_NAME=%s\nMODALIAS=%s\n", drv, d->class_code, d->vendor, d->device,
		       d->vendor, d->device, d->bdf, alias);
}

/* ---- driver links, as driver core makes them ---- */

int fk_link_driver(struct fakesys *fs, const struct fdev *d, const char *driver)
{
	char p[PATH_MAX], t[PATH_MAX], dom[32];

	fk_domain_dir(d, dom);
	if (fk_path(fs, p, "bus/pci/devices/%s/driver", d->bdf) < 0 ||
	    util_fmt(t, sizeof(t), "../../../bus/pci/drivers/%s", driver) < 0)
		return -ENAMETOOLONG;
	if (symlink(t, p) < 0)
		return -errno;
	if (fk_path(fs, p, "bus/pci/drivers/%s/%s", driver, d->bdf) < 0 ||
	    util_fmt(t, sizeof(t), "../../../../devices/%s/%s", dom, d->bdf) < 0)
		return -ENAMETOOLONG;
	if (symlink(t, p) < 0)
		return -errno;
	return fk_write_uevent(fs, d, driver);
}

void fk_unlink_driver(struct fakesys *fs, const char *bdf, const char *driver)
{
	const struct fdev *d = fk_find(fs, bdf);
	char p[PATH_MAX];

	if (fk_path(fs, p, "bus/pci/devices/%s/driver", bdf) == 0)
		unlink(p);
	if (fk_path(fs, p, "bus/pci/drivers/%s/%s", driver, bdf) == 0)
		unlink(p);
	if (d)
		fk_write_uevent(fs, d, NULL);
}

/* ---- creation of devices ---- */

static int fk_dev_files(const char *dir, const struct fdev *d,
			const struct fakesys_dev *spec)
{
	char p[PATH_MAX], alias[64];
	int r = 0;

	fk_modalias(d, alias);

#define PUTF(name, ...) \
	do { \
		if (r == 0 && (r = util_fmt(p, sizeof(p), "%s/%s", dir, name)) == 0) \
			r = fk_putf(p, __VA_ARGS__); \
	} while (0)
	PUTF("vendor", "0x%04x\n", d->vendor);
	PUTF("device", "0x%04x\n", d->device);
	PUTF("subsystem_vendor", "0x%04x\n", d->vendor);
	PUTF("subsystem_device", "0x%04x\n", d->device);
	PUTF("class", "0x%06x\n", d->class_code);
	PUTF("driver_override", "(null)\n");
	PUTF("numa_node", "%d\n", d->numa_node);
	PUTF("modalias", "%s\n", alias);
	if (spec && spec->boot_vga >= 0)
		PUTF("boot_vga", "%d\n", spec->boot_vga);
	if (d->totalvfs > 0) {
		PUTF("sriov_totalvfs", "%d\n", d->totalvfs);
		PUTF("sriov_numvfs", "0\n");
		PUTF("sriov_drivers_autoprobe", "1\n");
		PUTF("sriov_offset", "1\n");
		PUTF("sriov_stride", "1\n");
		PUTF("sriov_vf_device", "%x\n", d->vf_device);
	}
#undef PUTF
	return r;
}

static int fk_group_link(struct fakesys *fs, const struct fdev *d)
{
	char p[PATH_MAX], t[PATH_MAX], dom[32];
	int r;

	if (d->group < 0 || !fs->iommu_on)
		return 0;
	fk_domain_dir(d, dom);
	if ((r = fk_path(fs, p, "kernel/iommu_groups/%d", d->group)) < 0 || (r = fk_mkdir(p)) < 0)
		return r;
	if ((r = fk_path(fs, p, "kernel/iommu_groups/%d/devices", d->group)) < 0 ||
	    (r = fk_mkdir(p)) < 0)
		return r;
	if ((r = fk_path(fs, p, "kernel/iommu_groups/%d/devices/%s", d->group, d->bdf)) < 0 ||
	    (r = util_fmt(t, sizeof(t), "../../../../devices/%s/%s", dom, d->bdf)) < 0)
		return r;
	if (symlink(t, p) < 0 && errno != EEXIST)
		return -errno;
	if ((r = fk_path(fs, p, "bus/pci/devices/%s/iommu_group", d->bdf)) < 0 ||
	    (r = util_fmt(t, sizeof(t), "../../../kernel/iommu_groups/%d", d->group)) < 0)
		return r;
	return symlink(t, p) < 0 && errno != EEXIST ? -errno : 0;
}

static void fk_group_unlink(struct fakesys *fs, const struct fdev *d)
{
	char p[PATH_MAX];

	if (d->group < 0)
		return;
	if (fk_path(fs, p, "bus/pci/devices/%s/iommu_group", d->bdf) == 0)
		unlink(p);
	if (fk_path(fs, p, "kernel/iommu_groups/%d/devices/%s", d->group, d->bdf) == 0)
		unlink(p);
	/* rmdir fails while other members remain, which is what we want */
	if (fk_path(fs, p, "kernel/iommu_groups/%d/devices", d->group) == 0 && rmdir(p) == 0 &&
	    fk_path(fs, p, "kernel/iommu_groups/%d", d->group) == 0)
		rmdir(p);
}

struct fdev *fk_append(struct fakesys *fs)
{
	if (fs->ndevs == fs->capdevs) {
		size_t cap = fs->capdevs ? fs->capdevs * 2 : 64;
		struct fdev *n = realloc(fs->devs, cap * sizeof(*n));

		if (!n)
			return NULL;
		fs->devs = n;
		fs->capdevs = cap;
	}
	memset(&fs->devs[fs->ndevs], 0, sizeof(fs->devs[0]));
	fs->dirty = true;
	return &fs->devs[fs->ndevs++];
}

/* Make the directory, attributes and links of d (already in the model). */
int fk_create(struct fakesys *fs, struct fdev *d, const struct fakesys_dev *spec)
{
	char dir[PATH_MAX], p[PATH_MAX], t[PATH_MAX], dom[32];
	int r;

	fk_domain_dir(d, dom);
	if ((r = fk_path(fs, dir, "devices/%s", dom)) < 0 || (r = fk_mkdir(dir)) < 0)
		return r;
	if ((r = fk_path(fs, dir, "devices/%s/%s", dom, d->bdf)) < 0)
		return r;
	if (mkdir(dir, 0755) < 0)
		return -errno;
	if ((r = fk_dev_files(dir, d, spec)) < 0)
		return r;
	if ((r = fk_path(fs, p, "bus/pci/devices/%s", d->bdf)) < 0 ||
	    (r = util_fmt(t, sizeof(t), "../../../devices/%s/%s", dom, d->bdf)) < 0)
		return r;
	if (symlink(t, p) < 0)
		return -errno;
	if ((r = fk_write_uevent(fs, d, NULL)) < 0)
		return r;
	if ((r = fk_group_link(fs, d)) < 0)
		return r;
	if (fs->next_group <= d->group)
		fs->next_group = d->group + 1;
	return 0;
}

/* ---- public: construction ---- */

void fakesys_dev_init(struct fakesys_dev *d, const char *bdf, const char *driver, int group)
{
	memset(d, 0, sizeof(*d));
	d->bdf = bdf;
	d->driver = driver;
	d->iommu_group = group;
	d->boot_vga = -1;
	d->numa_node = -1;
}

struct fakesys *fakesys_new(void)
{
	static const char *const dirs[] = { "devices", "bus", "bus/pci", "bus/pci/devices",
					    "bus/pci/drivers", "kernel", "kernel/iommu_groups" };
	const char *tmp = getenv("TMPDIR");
	struct fakesys *fs = fk_alloc();
	char p[PATH_MAX];

	if (!fs)
		return NULL;
	/* tmpfs when we can: a tree of 4096 functions is ~170k syscalls, four
	 * times slower on a disk-backed /tmp */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	if (util_fmt(fs->root, sizeof(fs->root), "%s/fakesys.XXXXXX", tmp) < 0 ||
	    !mkdtemp(fs->root)) {
		free(fs);
		return NULL;
	}
	fs->rootlen = strlen(fs->root);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (fk_path(fs, p, "%s", dirs[i]) < 0 || fk_mkdir(p) < 0)
			goto fail;
	if (fk_path(fs, p, "bus/pci/drivers_probe") < 0 || fk_put(p, "", 0) < 0 ||
	    fk_open_lock(fs) < 0 || fk_save(fs) < 0)
		goto fail;
	return fs;
fail:
	fakesys_free(fs);
	return NULL;
}

void fakesys_free(struct fakesys *fs)
{
	if (!fs)
		return;
	if (!fs->attached && fs->rootlen)
		fk_rmtree(fs->root);
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	pthread_mutex_destroy(&fs->mu);
	free(fs->devs);
	free(fs->mods);
	free(fs);
}

const char *fakesys_root(const struct fakesys *fs)
{
	return fs->root;
}

int fakesys_add_driver(struct fakesys *fs, const char *name)
{
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
	char p[PATH_MAX];
	int r;

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	if ((r = fk_path(fs, p, "bus/pci/drivers/%s", name)) < 0 || (r = fk_mkdir(p)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if ((r = fk_path(fs, p, "bus/pci/drivers/%s/%s", name, files[i])) < 0 ||
		    (r = fk_put(p, "", 0)) < 0)
			return r;
	return 0;
}

static void fk_spec_to_dev(const struct fakesys_dev *s, struct fdev *d)
{
	util_strlcpy(d->bdf, s->bdf, sizeof(d->bdf));
	bdf_parse_full(s->bdf, &d->addr);
	d->vendor = s->vendor ? s->vendor : 0x8086;
	d->device = s->device ? s->device : 0x10d3;
	d->class_code = s->class_code ? s->class_code : 0x020000;
	util_strlcpy(d->native, s->native_driver ? s->native_driver : s->driver ? s->driver : "",
		     sizeof(d->native));
	util_strlcpy(d->vf_driver, s->vf_driver ? s->vf_driver : "", sizeof(d->vf_driver));
	d->vf_device = s->vf_device ? s->vf_device : (uint16_t)(d->device + 1);
	d->totalvfs = s->totalvfs > 0 ? s->totalvfs : 0;
	d->autoprobe = 1;
	d->group = s->iommu_group;
	d->numa_node = s->numa_node;
}

static int fk_add_device(struct fakesys *fs, const struct fakesys_dev *spec)
{
	struct fdev *d;
	int r;

	if (!spec || !bdf_is_canonical(spec->bdf))
		return -EINVAL;
	if (fk_find(fs, spec->bdf))
		return -EEXIST;
	if (!(d = fk_append(fs)))
		return -ENOMEM;
	fk_spec_to_dev(spec, d);
	if ((r = fk_create(fs, d, spec)) < 0)
		goto fail;
	if (spec->driver && !fk_registered(fs, spec->driver) &&
	    (r = fakesys_add_driver(fs, spec->driver)) < 0)
		goto fail;
	if (spec->driver && (r = fk_link_driver(fs, fk_find(fs, spec->bdf), spec->driver)) < 0)
		goto fail;
	if (spec->ifname && (r = fakesys_set_ifname(fs, spec->bdf, spec->ifname)) < 0)
		goto fail;
	return 0;
fail:
	fakesys_remove_device(fs, spec->bdf);
	return r;
}

/* ---- public: changes behind the daemon's back ---- */

static void fk_remove_one(struct fakesys *fs, struct fdev *d)
{
	char p[PATH_MAX], cur[FK_NAME_MAX], dom[32];

	fk_cur_driver(fs, d->bdf, cur, sizeof(cur));
	if (*cur)
		fk_unlink_driver(fs, d->bdf, cur);
	fk_group_unlink(fs, d);
	fk_domain_dir(d, dom);
	if (fk_path(fs, p, "bus/pci/devices/%s", d->bdf) == 0)
		unlink(p);
	if (fk_path(fs, p, "devices/%s/%s", dom, d->bdf) == 0)
		fk_rmtree(p);
	*d = fs->devs[--fs->ndevs];
	fs->dirty = true;
}

/* Remove the VFs of pf (their links from pf first). */
void fk_remove_vfs(struct fakesys *fs, struct fdev *pf)
{
	char pfbdf[BDF_BUFSZ], p[PATH_MAX];
	int n = pf->numvfs;

	util_strlcpy(pfbdf, pf->bdf, sizeof(pfbdf));
	for (int i = 0; i < n; i++)
		if (fk_path(fs, p, "bus/pci/devices/%s/virtfn%d", pfbdf, i) == 0)
			unlink(p);
	pf->numvfs = 0;
	fs->dirty = true;
	for (size_t i = fs->ndevs; i-- > 0;)
		if (strcmp(fs->devs[i].physfn, pfbdf) == 0)
			fk_remove_one(fs, &fs->devs[i]);
}

static int fk_remove_device(struct fakesys *fs, const char *bdf)
{
	struct fdev *d = bdf ? fk_find(fs, bdf) : NULL;
	char p[PATH_MAX];

	if (!d)
		return -ENODEV;
	if (d->numvfs > 0) {
		fk_remove_vfs(fs, d);
		d = fk_find(fs, bdf);
	}
	if (d->physfn[0]) {
		struct fdev *pf = fk_find(fs, d->physfn);

		/* drop the PF's virtfnN link that points here */
		for (int i = 0; pf && i < pf->numvfs; i++) {
			char t[BDF_BUFSZ + 4];

			if (fk_path(fs, p, "bus/pci/devices/%s/virtfn%d", pf->bdf, i) == 0 &&
			    fileio_read_link_base(p, t, sizeof(t)) > 0 && strcmp(t, bdf) == 0)
				unlink(p);
		}
	}
	fk_remove_one(fs, d);
	return 0;
}

static int fk_set_driver(struct fakesys *fs, const char *bdf, const char *driver)
{
	struct fdev *d = bdf ? fk_find(fs, bdf) : NULL;
	char cur[FK_NAME_MAX];
	int r;

	if (!d)
		return -ENODEV;
	fk_cur_driver(fs, bdf, cur, sizeof(cur));
	if (*cur)
		fk_unlink_driver(fs, bdf, cur);
	if (!driver)
		return 0;
	if ((r = fakesys_add_driver(fs, driver)) < 0)
		return r;
	return fk_link_driver(fs, d, driver);
}

static int fk_set_iommu(struct fakesys *fs, bool on)
{
	int r = 0;

	if (on == fs->iommu_on)
		return 0;
	if (!on) {
		for (size_t i = 0; i < fs->ndevs; i++)
			fk_group_unlink(fs, &fs->devs[i]);
		fs->iommu_on = false;
		fs->dirty = true;
		return 0;
	}
	fs->iommu_on = true;
	fs->dirty = true;
	for (size_t i = 0; i < fs->ndevs && r == 0; i++)
		r = fk_group_link(fs, &fs->devs[i]);
	return r;
}

static int fk_set_ifname(struct fakesys *fs, const char *bdf, const char *ifname)
{
	char p[PATH_MAX];
	int r;

	if (!bdf || !fk_find(fs, bdf))
		return -ENODEV;
	if (ifname && (!*ifname || strchr(ifname, '/')))
		return -EINVAL;
	if ((r = fk_path(fs, p, "bus/pci/devices/%s/net", bdf)) < 0)
		return r;
	fk_rmtree(p);
	if (!ifname)
		return 0;
	if ((r = fk_mkdir(p)) < 0 ||
	    (r = fk_path(fs, p, "bus/pci/devices/%s/net/%s", bdf, ifname)) < 0)
		return r;
	return fk_mkdir(p);
}

/* Block devices: DEVDIR/RELPATH/{dev,holders/} and ROOT/class/block/NAME
 * linking to it, NAME being RELPATH's last component (as the kernel lays out
 * nvme/nvme0/nvme0n1, virtio1/block/vda, a partition inside its disk). */
/* A class device with a node under a device's directory: RELPATH made
 * (parents too), its dev ("MAJ:MIN") and subsystem -> ROOT/class/SUBSYSTEM,
 * as the kernel lays out every class device; the made path in p. */
static int fk_add_node(struct fakesys *fs, const char *bdf, const char *relpath,
		       const char *subsystem, const char *majmin, char p[PATH_MAX])
{
	char link[PATH_MAX], rel[PATH_MAX], target[PATH_MAX], *slash;
	const char *name = strrchr(relpath, '/') ? strrchr(relpath, '/') + 1 : relpath;
	int r;

	if (!bdf || !fk_find(fs, bdf))
		return -ENODEV;
	if (!*name || relpath[0] == '/' || strstr(relpath, ".."))
		return -EINVAL;
	util_strlcpy(rel, relpath, sizeof(rel));
	for (slash = rel;; slash++) {
		bool last = !(slash = strchr(slash, '/'));

		if (!last)
			*slash = '\0';
		if ((r = fk_path(fs, p, "bus/pci/devices/%s/%s", bdf, rel)) < 0 ||
		    (r = fk_mkdir(p)) < 0)
			return r;
		if (last)
			break;
		*slash = '/';
	}
	if ((r = fk_path(fs, link, "bus/pci/devices/%s/%s/dev", bdf, rel)) < 0 ||
	    (r = fk_putf(link, "%s\n", majmin)) < 0 || (r = fk_path(fs, link, "class")) < 0 ||
	    (r = fk_mkdir(link)) < 0 || (r = fk_path(fs, target, "class/%s", subsystem)) < 0 ||
	    (r = fk_mkdir(target)) < 0 ||
	    (r = fk_path(fs, link, "bus/pci/devices/%s/%s/subsystem", bdf, rel)) < 0)
		return r;
	unlink(link);
	if (symlink(target, link) < 0 ||
	    (r = fk_path(fs, link, "class/%s/%s", subsystem, name)) < 0)
		return r < 0 ? r : -errno;
	unlink(link);
	return symlink(p, link) < 0 ? -errno : 0;
}

static int fk_add_block(struct fakesys *fs, const char *bdf, const char *relpath,
			const char *majmin)
{
	char p[PATH_MAX], holders[PATH_MAX];
	int r = fk_add_node(fs, bdf, relpath, "block", majmin, p);

	if (r < 0 || (r = util_fmt(holders, sizeof(holders), "%s/holders", p)) < 0)
		return r;
	return fk_mkdir(holders);
}

/* A holder (dm-0, md0) on a block device made by fakesys_add_block. */
int fakesys_add_holder(struct fakesys *fs, const char *block, const char *holder)
{
	char p[PATH_MAX];
	int r;

	if (strchr(block, '/') || strchr(holder, '/'))
		return -EINVAL;
	if ((r = fk_path(fs, p, "class/block/%s/holders/%s", block, holder)) < 0)
		return r;
	return fk_mkdir(p);
}

/* Network stacking, as the kernel lays it out: ROOT/class/net/NAME links to
 * each interface's directory (a PCI function's net/NAME, or an upper's
 * ROOT/devices/virtual/net/UPPER with uevent "DEVTYPE=KIND"), and the lower's
 * directory has upper_UPPER (and master, for a bond or bridge) linking to the
 * upper. The directory of interface name into out (PATH_MAX), linked from
 * class/net on first use. */
static int fk_net_dir(struct fakesys *fs, const char *name, char *out)
{
	char p[PATH_MAX], link[PATH_MAX];
	int r;

	if (fk_path(fs, link, "class/net/%s", name) < 0)
		return -EINVAL;
	if (realpath(link, out))
		return 0;
	for (size_t i = 0; i < fs->ndevs; i++) {
		if (fk_path(fs, p, "bus/pci/devices/%s/net/%s", fs->devs[i].bdf, name) < 0 ||
		    !realpath(p, out))
			continue;
		if ((r = fk_path(fs, p, "class")) < 0 || (r = fk_mkdir(p)) < 0 ||
		    (r = fk_path(fs, p, "class/net")) < 0 || (r = fk_mkdir(p)) < 0)
			return r;
		return symlink(out, link) < 0 ? -errno : 0;
	}
	return -ENODEV;
}

static int fk_add_upper(struct fakesys *fs, const char *lower, const char *upper,
			const char *kind, bool master)
{
	static const char *const dirs[] = { "devices", "devices/virtual", "devices/virtual/net",
					    "class", "class/net" };
	char low[PATH_MAX], up[PATH_MAX], p[PATH_MAX];
	int r;

	if (!*upper || strchr(upper, '/') || strchr(lower, '/'))
		return -EINVAL;
	if ((r = fk_net_dir(fs, lower, low)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((r = fk_path(fs, p, "%s", dirs[i])) < 0 || (r = fk_mkdir(p)) < 0)
			return r;
	if ((r = fk_path(fs, up, "devices/virtual/net/%s", upper)) < 0 || (r = fk_mkdir(up)) < 0 ||
	    (r = fk_path(fs, p, "devices/virtual/net/%s/uevent", upper)) < 0 ||
	    (r = fk_putf(p, "%s%s%sINTERFACE=%s\n", kind ? "DEVTYPE=" : "", kind ? kind : "",
			 kind ? "\n" : "", upper)) < 0 ||
	    (r = fk_path(fs, p, "class/net/%s", upper)) < 0)
		return r;
	if (symlink(up, p) < 0 && errno != EEXIST)
		return -errno;
	if (util_fmt(p, sizeof(p), "%s/upper_%s", low, upper) < 0)
		return -ENAMETOOLONG;
	if (symlink(up, p) < 0 && errno != EEXIST)
		return -errno;
	if (!master)
		return 0;
	if (util_fmt(p, sizeof(p), "%s/master", low) < 0)
		return -ENAMETOOLONG;
	return symlink(up, p) < 0 ? -errno : 0;
}

static int fk_remove_upper(struct fakesys *fs, const char *lower, const char *upper)
{
	char low[PATH_MAX], p[PATH_MAX], m[FK_NAME_MAX];
	int r;

	if ((r = fk_net_dir(fs, lower, low)) < 0)
		return r;
	if (util_fmt(p, sizeof(p), "%s/master", low) == 0 &&
	    fileio_read_link_base(p, m, sizeof(m)) >= 0 && strcmp(m, upper) == 0)
		unlink(p);
	if (util_fmt(p, sizeof(p), "%s/upper_%s", low, upper) < 0)
		return -ENAMETOOLONG;
	return unlink(p) < 0 ? -errno : 0;
}

/* ---- public: reading ---- */

char *fakesys_read(const struct fakesys *fs, const char *relpath)
{
	char p[PATH_MAX], *buf = NULL;
	size_t len;

	if (fk_path(fs, p, "%s", relpath) < 0 || fileio_read_file(p, 1 << 20, &buf, &len) < 0)
		return NULL;
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

char *fakesys_driver(const struct fakesys *fs, const char *bdf)
{
	char cur[FK_NAME_MAX];

	fk_cur_driver(fs, bdf, cur, sizeof(cur));
	return *cur ? strdup(cur) : NULL;
}

/* ---- scale ---- */

static int fk_populate(struct fakesys *fs, unsigned n, const char *driver)
{
	struct fakesys_dev spec;
	char bdf[BDF_BUFSZ];
	int r;

	if (driver && (r = fakesys_add_driver(fs, driver)) < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		/* 8 functions per bus on buses 01..ff, then the next domain */
		struct pci_addr a = { .domain = i / (8 * 255), .bus = (uint8_t)(1 + (i / 8) % 255),
				      .dev = 0, .fn = (uint8_t)(i % 8) };

		bdf_format(&a, bdf);
		fakesys_dev_init(&spec, bdf, driver, fs->next_group);
		if ((r = fakesys_add_device(fs, &spec)) < 0)
			return r;
	}
	return 0;
}

/* ---- public entry points that use the model: each one between fk_begin()
 * and fk_end(), so it sees and saves the model another process shares ---- */

int fakesys_add_device(struct fakesys *fs, const struct fakesys_dev *d)
{
	fk_begin(fs);
	return fk_end(fs, fk_add_device(fs, d));
}

int fakesys_remove_device(struct fakesys *fs, const char *bdf)
{
	fk_begin(fs);
	return fk_end(fs, fk_remove_device(fs, bdf));
}

int fakesys_set_driver(struct fakesys *fs, const char *bdf, const char *driver)
{
	fk_begin(fs);
	return fk_end(fs, fk_set_driver(fs, bdf, driver));
}

int fakesys_set_iommu(struct fakesys *fs, bool on)
{
	fk_begin(fs);
	return fk_end(fs, fk_set_iommu(fs, on));
}

int fakesys_set_ifname(struct fakesys *fs, const char *bdf, const char *ifname)
{
	fk_begin(fs);
	return fk_end(fs, fk_set_ifname(fs, bdf, ifname));
}

int fakesys_add_block(struct fakesys *fs, const char *bdf, const char *relpath,
		      const char *majmin)
{
	fk_begin(fs);
	return fk_end(fs, fk_add_block(fs, bdf, relpath, majmin));
}

int fakesys_add_upper(struct fakesys *fs, const char *lower, const char *upper,
		      const char *kind, bool master)
{
	fk_begin(fs);
	return fk_end(fs, fk_add_upper(fs, lower, upper, kind, master));
}

int fakesys_remove_upper(struct fakesys *fs, const char *lower, const char *upper)
{
	fk_begin(fs);
	return fk_end(fs, fk_remove_upper(fs, lower, upper));
}

int fakesys_add_chardev(struct fakesys *fs, const char *bdf, const char *relpath,
			const char *subsystem, const char *majmin)
{
	char p[PATH_MAX];

	fk_begin(fs);
	return fk_end(fs, fk_add_node(fs, bdf, relpath, subsystem, majmin, p));
}

int fakesys_add_vfio_group(struct fakesys *fs, int group, const char *majmin)
{
	char p[PATH_MAX];
	int r;

	if ((r = fk_path(fs, p, "class")) < 0 || (r = fk_mkdir(p)) < 0 ||
	    (r = fk_path(fs, p, "class/vfio")) < 0 || (r = fk_mkdir(p)) < 0 ||
	    (r = fk_path(fs, p, "class/vfio/%d", group)) < 0 || (r = fk_mkdir(p)) < 0 ||
	    (r = fk_path(fs, p, "class/vfio/%d/dev", group)) < 0)
		return r;
	return fk_putf(p, "%s\n", majmin);
}

int fakesys_populate(struct fakesys *fs, unsigned n, const char *driver)
{
	fk_begin(fs);
	return fk_end(fs, fk_populate(fs, n, driver));
}
