/* fakesys.c: a fake sysfs tree in a temporary directory and a fake kernel
 * that interprets writes into it (Documentation/ABI/testing/sysfs-bus-pci).
 *
 * What lives where: the tree is the truth for what a reader sees (the driver
 * link, the driver_override text, which drivers are registered), so a test may
 * also poke the tree by hand. What the tree cannot say (a device's native
 * driver, SR-IOV capacity, the driver of future VFs) lives in struct fdev.
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
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdf.h"
#include "fakesys.h"
#include "util.h"

#define FK_NAME_MAX 64
#define FK_MAX_FAULTS 16
#define FK_MAX_IDS 64

struct fdev {
	char bdf[BDF_BUFSZ];
	struct pci_addr addr;
	uint16_t vendor, device;
	uint32_t class_code;
	char native[FK_NAME_MAX];	/* what probing picks without override */
	char vf_driver[FK_NAME_MAX];	/* native driver of the VFs it creates */
	uint16_t vf_device;
	int totalvfs, numvfs, autoprobe;
	int group;			/* -1 none */
	int numa_node;
	char physfn[BDF_BUFSZ];		/* "" unless a VF */
};

struct fmodule {
	char name[FK_NAME_MAX];
	char alias[256];		/* fnmatch pattern, "" none */
};

struct ffault {
	enum fakesys_fault kind;
	char bdf[BDF_BUFSZ];		/* "" any */
	int err;
	int count;			/* < 0 forever */
};

struct fnewid {
	char driver[FK_NAME_MAX];
	uint16_t vendor, device;
};

struct fakesys {
	char root[PATH_MAX];
	size_t rootlen;
	struct fdev *devs;
	size_t ndevs, capdevs;
	struct fmodule *mods;
	size_t nmods;
	struct ffault faults[FK_MAX_FAULTS];
	size_t nfaults;
	struct fnewid ids[FK_MAX_IDS];
	size_t nids;
	int next_group;
	bool iommu_on;
	unsigned writes, new_id_writes;	/* this process's, not kept in the tree */
	/* The model is kept in ROOT/.fakesys so another process (the daemon
	 * built with tests/daemon/fake-backend.c) can attach to the same fake
	 * kernel; see fk_begin(). */
	bool attached;			/* fakesys_attach(): free keeps the tree */
	bool dirty;			/* model changed since last saved */
	unsigned depth;			/* nesting of fk_begin() */
	int lock_fd;			/* ROOT/.fakesys.lock, flock'd while in use */
	struct stat seen;		/* ROOT/.fakesys as last loaded or saved */
	pthread_mutex_t mu;		/* recursive: daemon worker threads */
};

/* ---- paths and small file helpers ---- */

static int fk_path(const struct fakesys *fs, char *buf, const char *fmt, ...) _printf_(3, 4);
static int fk_path(const struct fakesys *fs, char *buf, const char *fmt, ...)
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

static int fk_put(const char *path, const char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		return -EIO;
	return 0;
}

static int fk_putf(const char *path, const char *fmt, ...) _printf_(2, 3);
static int fk_putf(const char *path, const char *fmt, ...)
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

/* ---- the model, kept in the tree for other processes ----
 *
 * ROOT/.fakesys holds what the tree cannot say (struct fdev, the loadable
 * modules, new_id IDs, armed faults), one record a line, "-" for an empty
 * word. Every entry point runs between fk_begin() and fk_end(): the first
 * takes ROOT/.fakesys.lock and reloads the file when another process replaced
 * it since we last saw it, the second saves the model (write + rename, so a
 * reader never sees half a file) when this call changed it. So the test
 * process and a daemon attached to the same tree share one fake kernel. */

#define FK_STATE ".fakesys"
#define FK_LOCK ".fakesys.lock"

static const char *fk_word(const char *s)
{
	return *s ? s : "-";
}

static void fk_unword(char *s)
{
	if (strcmp(s, "-") == 0)
		*s = '\0';
}

static bool fk_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void fk_save_records(const struct fakesys *fs, FILE *f)
{
	fprintf(f, "# fake kernel model (tests/lib/fakesys.c)\niommu %d\nnext_group %d\n",
		fs->iommu_on, fs->next_group);
	for (size_t i = 0; i < fs->ndevs; i++) {
		const struct fdev *d = &fs->devs[i];

		fprintf(f, "dev %s %04x %04x %06x %s %s %04x %d %d %d %d %d %s\n", d->bdf,
			d->vendor, d->device, d->class_code, fk_word(d->native),
			fk_word(d->vf_driver), d->vf_device, d->totalvfs, d->numvfs, d->autoprobe,
			d->group, d->numa_node, fk_word(d->physfn));
	}
	for (size_t i = 0; i < fs->nmods; i++)
		fprintf(f, "mod %s %s\n", fs->mods[i].name, fk_word(fs->mods[i].alias));
	for (size_t i = 0; i < fs->nids; i++)
		fprintf(f, "id %s %04x %04x\n", fs->ids[i].driver, fs->ids[i].vendor,
			fs->ids[i].device);
	for (size_t i = 0; i < fs->nfaults; i++)
		fprintf(f, "fault %d %s %d %d\n", (int)fs->faults[i].kind,
			fk_word(fs->faults[i].bdf), fs->faults[i].err, fs->faults[i].count);
}

static int fk_save(struct fakesys *fs)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int r;

	if ((r = fk_path(fs, tmp, FK_STATE ".%d", (int)getpid())) < 0 ||
	    (r = fk_path(fs, path, FK_STATE)) < 0)
		return r;
	if (!(f = fopen(tmp, "we")))
		return -errno;
	fk_save_records(fs, f);
	r = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	fs->dirty = false;
	return stat(path, &fs->seen) < 0 ? -errno : 0;
}

static int fk_load_dev(struct fakesys *fs, const char *line)
{
	struct fdev d = { 0 };
	unsigned vendor, device, vf_device;

	if (sscanf(line, "dev %15s %x %x %x %63s %63s %x %d %d %d %d %d %15s", d.bdf, &vendor,
		   &device, &d.class_code, d.native, d.vf_driver, &vf_device, &d.totalvfs,
		   &d.numvfs, &d.autoprobe, &d.group, &d.numa_node, d.physfn) != 13 ||
	    bdf_parse_full(d.bdf, &d.addr) < 0)
		return -EINVAL;
	d.vendor = (uint16_t)vendor;
	d.device = (uint16_t)device;
	d.vf_device = (uint16_t)vf_device;
	fk_unword(d.native);
	fk_unword(d.vf_driver);
	fk_unword(d.physfn);
	if (fs->ndevs == fs->capdevs) {
		size_t cap = fs->capdevs ? fs->capdevs * 2 : 64;
		struct fdev *n = realloc(fs->devs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fs->devs = n;
		fs->capdevs = cap;
	}
	fs->devs[fs->ndevs++] = d;
	return 0;
}

static int fk_load_line(struct fakesys *fs, const char *line)
{
	int n, kind;

	if (!*line || *line == '#')
		return 0;
	if (sscanf(line, "iommu %d", &n) == 1) {
		fs->iommu_on = n != 0;
		return 0;
	}
	if (sscanf(line, "next_group %d", &fs->next_group) == 1)
		return 0;
	if (strncmp(line, "dev ", 4) == 0)
		return fk_load_dev(fs, line);
	if (strncmp(line, "mod ", 4) == 0) {
		struct fmodule *m = realloc(fs->mods, (fs->nmods + 1) * sizeof(*m));

		if (!m)
			return -ENOMEM;
		fs->mods = m;
		m = &fs->mods[fs->nmods];
		if (sscanf(line, "mod %63s %255s", m->name, m->alias) != 2)
			return -EINVAL;
		fk_unword(m->alias);
		fs->nmods++;
		return 0;
	}
	if (strncmp(line, "id ", 3) == 0) {
		unsigned v, d;

		if (fs->nids == FK_MAX_IDS ||
		    sscanf(line, "id %63s %x %x", fs->ids[fs->nids].driver, &v, &d) != 3)
			return -EINVAL;
		fs->ids[fs->nids].vendor = (uint16_t)v;
		fs->ids[fs->nids++].device = (uint16_t)d;
		return 0;
	}
	if (strncmp(line, "fault ", 6) == 0) {
		struct ffault *f = &fs->faults[fs->nfaults];

		if (fs->nfaults == FK_MAX_FAULTS ||
		    sscanf(line, "fault %d %15s %d %d", &kind, f->bdf, &f->err, &f->count) != 4)
			return -EINVAL;
		f->kind = (enum fakesys_fault)kind;
		fk_unword(f->bdf);
		fs->nfaults++;
		return 0;
	}
	return -EINVAL;
}

/* Replace the model with the file's. */
static int fk_load(struct fakesys *fs, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	if ((r = util_read_file(path, 64 << 20, &text, NULL)) < 0)
		return r;
	fs->ndevs = fs->nmods = fs->nids = fs->nfaults = 0;
	fs->next_group = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((r = fk_load_line(fs, line)) < 0)
			return r;
	return 0;
}

/* Reload when another process saved a newer model. */
static int fk_sync(struct fakesys *fs)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if ((r = fk_path(fs, path, FK_STATE)) < 0)
		return r;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fk_same_file(&st, &fs->seen))
		return 0;
	if ((r = fk_load(fs, path)) < 0)
		return r;
	fs->seen = st;
	return 0;
}

static void fk_begin(struct fakesys *fs)
{
	pthread_mutex_lock(&fs->mu);
	if (fs->depth++ > 0)
		return;
	if (fs->lock_fd >= 0)
		flock(fs->lock_fd, LOCK_EX);
	if (fk_sync(fs) < 0)
		fprintf(stderr, "fakesys: cannot reload %s/" FK_STATE "\n", fs->root);
}

/* End an entry point that returned r; a failed save fails the call. */
static int fk_end(struct fakesys *fs, int r)
{
	if (--fs->depth == 0) {
		int s = fs->dirty ? fk_save(fs) : 0;

		if (r == 0)
			r = s;
		if (fs->lock_fd >= 0)
			flock(fs->lock_fd, LOCK_UN);
	}
	pthread_mutex_unlock(&fs->mu);
	return r;
}

/* A zeroed model with its recursive mutex (the daemon's worker threads
 * write concurrently) and no lock file yet. */
static struct fakesys *fk_alloc(void)
{
	struct fakesys *fs = calloc(1, sizeof(*fs));
	pthread_mutexattr_t a;

	if (!fs)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&fs->mu, &a);
	pthread_mutexattr_destroy(&a);
	fs->lock_fd = -1;
	fs->iommu_on = true;
	return fs;
}

static int fk_open_lock(struct fakesys *fs)
{
	char p[PATH_MAX];
	int r;

	if ((r = fk_path(fs, p, FK_LOCK)) < 0)
		return r;
	fs->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	return fs->lock_fd < 0 ? -errno : 0;
}

/* ---- in-memory model ---- */

static struct fdev *fk_find(const struct fakesys *fs, const char *bdf)
{
	for (size_t i = 0; i < fs->ndevs; i++)
		if (strcmp(fs->devs[i].bdf, bdf) == 0)
			return &fs->devs[i];
	return NULL;
}

static bool fk_registered(const struct fakesys *fs, const char *driver)
{
	char p[PATH_MAX];
	struct stat st;

	if (!driver || !*driver || strchr(driver, '/') ||
	    fk_path(fs, p, "bus/pci/drivers/%s", driver) < 0)
		return false;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void fk_cur_driver(const struct fakesys *fs, const char *bdf, char *buf, size_t size)
{
	char p[PATH_MAX];

	buf[0] = '\0';
	if (fk_path(fs, p, "bus/pci/devices/%s/driver", bdf) == 0 &&
	    util_read_link_base(p, buf, size) < 0)
		buf[0] = '\0';
}

static void fk_override(const struct fakesys *fs, const char *bdf, char *buf, size_t size)
{
	char p[PATH_MAX];

	buf[0] = '\0';
	if (fk_path(fs, p, "bus/pci/devices/%s/driver_override", bdf) < 0 ||
	    util_read_attr(p, buf, size) < 0 || strcmp(buf, "(null)") == 0)
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

/* ---- binding, as driver core does it ---- */

static int fk_link_driver(struct fakesys *fs, const struct fdev *d, const char *driver)
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
	return symlink(t, p) < 0 ? -errno : 0;
}

static void fk_unlink_driver(struct fakesys *fs, const char *bdf, const char *driver)
{
	char p[PATH_MAX];

	if (fk_path(fs, p, "bus/pci/devices/%s/driver", bdf) == 0)
		unlink(p);
	if (fk_path(fs, p, "bus/pci/drivers/%s/%s", driver, bdf) == 0)
		unlink(p);
}

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

/* ---- creation of devices ---- */

static int fk_dev_files(const char *dir, const struct fdev *d,
			const struct fakesys_dev *spec)
{
	char p[PATH_MAX];
	int r = 0;

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
	PUTF("modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor, d->device,
	     d->vendor, d->device, (d->class_code >> 16) & 0xff, (d->class_code >> 8) & 0xff,
	     d->class_code & 0xff);
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

static struct fdev *fk_append(struct fakesys *fs)
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
static int fk_create(struct fakesys *fs, struct fdev *d, const struct fakesys_dev *spec)
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

struct fakesys *fakesys_attach(const char *root)
{
	struct fakesys *fs;
	char p[PATH_MAX];
	int r;

	if (!root || !*root || strlen(root) >= sizeof(fs->root)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(fs = fk_alloc()))
		return NULL;
	fs->attached = true;
	util_strlcpy(fs->root, root, sizeof(fs->root));
	fs->rootlen = strlen(fs->root);
	/* only a tree fakesys_new() made has the model: never the real /sys */
	if ((r = fk_path(fs, p, FK_STATE)) < 0 || (r = access(p, R_OK) < 0 ? -errno : 0) < 0 ||
	    (r = fk_open_lock(fs)) < 0) {
		fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	fk_begin(fs);
	if ((r = fk_end(fs, fk_sync(fs))) < 0) {
		fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	return fs;
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
static void fk_remove_vfs(struct fakesys *fs, struct fdev *pf)
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
			    util_read_link_base(p, t, sizeof(t)) > 0 && strcmp(t, bdf) == 0)
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
static int fk_add_block(struct fakesys *fs, const char *bdf, const char *relpath,
			const char *majmin)
{
	char p[PATH_MAX], link[PATH_MAX], rel[PATH_MAX], *slash;
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
	    (r = fk_putf(link, "%s\n", majmin)) < 0 ||
	    (r = fk_path(fs, link, "bus/pci/devices/%s/%s/holders", bdf, rel)) < 0 ||
	    (r = fk_mkdir(link)) < 0 || (r = fk_path(fs, link, "class")) < 0 ||
	    (r = fk_mkdir(link)) < 0 || (r = fk_path(fs, link, "class/block")) < 0 ||
	    (r = fk_mkdir(link)) < 0 || (r = fk_path(fs, link, "class/block/%s", name)) < 0)
		return r;
	unlink(link);
	return symlink(p, link) < 0 ? -errno : 0;
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

/* ---- public: reading ---- */

char *fakesys_read(const struct fakesys *fs, const char *relpath)
{
	char p[PATH_MAX], *buf = NULL;
	size_t len;

	if (fk_path(fs, p, "%s", relpath) < 0 || util_read_file(p, 1 << 20, &buf, &len) < 0)
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

static int fk_kernel_write(void *ud, const char *path, const char *buf, size_t len)
{
	struct fakesys *fs = ud;

	fk_begin(fs);
	return fk_end(fs, fk_kernel_write_one(fs, path, buf, len));
}

struct sysfs_ops fakesys_kernel_ops(struct fakesys *fs)
{
	return (struct sysfs_ops){ .write = fk_kernel_write, .ud = fs };
}

/* ---- the fake module loader ---- */

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

int fakesys_add_module(struct fakesys *fs, const char *name, const char *alias)
{
	fk_begin(fs);
	return fk_end(fs, fk_add_module(fs, name, alias));
}

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

int fakesys_populate(struct fakesys *fs, unsigned n, const char *driver)
{
	fk_begin(fs);
	return fk_end(fs, fk_populate(fs, n, driver));
}
