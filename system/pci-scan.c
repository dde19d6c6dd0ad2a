/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pci-scan.c: the PCI model, read (never written) from ROOT/bus/pci and
 * ROOT/kernel/iommu_groups (Documentation/ABI/testing/sysfs-bus-pci).
 *
 * A scan of thousands of functions must stay cheap, so each device is opened
 * once (an O_PATH directory fd) and its attributes are read relative to it
 * with openat()/readlinkat() and a single read(): no stdio, no stat(), no
 * whole-path rebuilding. Attributes the planner never needs (modalias) are
 * read lazily by their own functions. Every directory name taken from the
 * tree passes bdf_is_canonical() before it is used in a path. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_PATH; the build force-includes config.h, which sets it */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "pci-scan.h"
#include "util.h"
#include "fileio.h"

#define PCI_DEVICES "/bus/pci/devices"
#define PCI_GROUPS "/kernel/iommu_groups"
/* SR-IOV TotalVFs is a 16-bit field (PCIe base spec, SR-IOV capability). */
#define PCI_VF_MAX 65535

/* ---- small readers relative to a directory fd ---- */

/* Parse a whole string as a number in [min, max]; 0 or -EINVAL/-ERANGE. */
static int parse_long(const char *s, int base, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int attr_long_at(int dfd, const char *name, int base, long min, long max, long *out)
{
	char buf[32];
	int r;

	r = fileio_read_attr_at(dfd, name, buf, sizeof(buf));
	if (r < 0)
		return r;
	return parse_long(buf, base, min, max, out);
}

/* An optional integer attribute: its value, or -1 when absent or unparsable
 * (older kernels and VFs lack many of them). */
static int attr_int_or_none(int dfd, const char *name)
{
	long v;

	if (attr_long_at(dfd, name, 10, -1, INT_MAX, &v) < 0)
		return -1;
	return (int)v;
}

static bool is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Wrap a directory fd (or a -errno from opening it) in a DIR; 0 or -errno.
 * The fd is the DIR's from then on, or closed on failure. */
static int dir_wrap(int fd, DIR **out)
{
	int r;

	if (fd < 0)
		return fd;
	*out = fdopendir(fd);
	if (*out)
		return 0;
	r = -errno;
	close(fd);
	return r;
}

static int subdir_fd(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* ---- one device ---- */

/* Paths of one device's attributes relative to the devices directory fd:
 * "BDF/NAME", built by copying, not formatting. The kernel resolves the
 * BDF symlink in each lookup; that saves an open and a close a function
 * against holding a directory fd of each device. */
struct devpath {
	char rel[BDF_BUFSZ + 32];
	size_t base;			/* length of "BDF/" */
};

static void devpath_init(struct devpath *p, const char *bdf)
{
	size_t n = strlen(bdf);

	memcpy(p->rel, bdf, n);
	p->rel[n] = '/';
	p->base = n + 1;
	p->rel[p->base] = '\0';
}

static const char *devpath_at(struct devpath *p, const char *name)
{
	util_strlcpy(p->rel + p->base, name, sizeof(p->rel) - p->base);
	return p->rel;
}

/* "XXXX:YYYY" of exactly four hex digits each (uevent's PCI_ID). */
static int parse_id_pair(const char *s, uint16_t *a, uint16_t *b)
{
	char x[5], y[5];
	long v, w;

	if (strlen(s) != 9 || s[4] != ':')
		return -EINVAL;
	memcpy(x, s, 4);
	x[4] = '\0';
	memcpy(y, s + 5, 4);
	y[4] = '\0';
	if (parse_long(x, 16, 0, 0xffff, &v) < 0 || parse_long(y, 16, 0, 0xffff, &w) < 0)
		return -EINVAL;
	*a = (uint16_t)v;
	*b = (uint16_t)w;
	return 0;
}

/* What BDF/uevent says in one read (dev_uevent() then pci_uevent()):
 *   DRIVER=e1000e            only while a driver is bound
 *   PCI_CLASS=20000          the 24-bit class, %04X
 *   PCI_ID=8086:10D3         vendor:device
 *   PCI_SUBSYS_ID=8086:0000  subsystem vendor:device
 * 0 when it gave the ids and the class (the driver then comes from it too);
 * -ENODATA when it lacks them, or -errno: the caller reads the attributes.
 * The kernel prints the driver from dev->driver, set from the start of a
 * probe to the end of a remove: the link comes and goes inside that span. */
static int read_uevent(int devices_dfd, struct devpath *p, struct pci_dev *d)
{
	char buf[4096], *line, *next;
	bool id = false, cls = false;
	long v;
	int r;

	r = fileio_read_attr_at(devices_dfd, devpath_at(p, "uevent"), buf, sizeof(buf));
	if (r < 0)
		return r;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "DRIVER=", 7) == 0) {
			if (util_strlcpy(d->driver, line + 7, sizeof(d->driver)) >= sizeof(d->driver))
				d->driver[0] = '\0';
		} else if (strncmp(line, "PCI_CLASS=", 10) == 0) {
			cls = parse_long(line + 10, 16, 0, 0xffffff, &v) == 0;
			if (cls)
				d->class_code = (uint32_t)v;
		} else if (strncmp(line, "PCI_ID=", 7) == 0) {
			id = parse_id_pair(line + 7, &d->vendor, &d->device) == 0;
		} else if (strncmp(line, "PCI_SUBSYS_ID=", 14) == 0) {
			(void)parse_id_pair(line + 14, &d->subsys_vendor, &d->subsys_device);
		}
	}
	if (id && cls)
		return 0;
	d->driver[0] = '\0';
	return -ENODATA;
}

/* Without a usable uevent: the ids and class from their attributes, the
 * driver from its link. They identify a function; without them it cannot
 * be matched by any rule, so they are mandatory. On failure *what names
 * the attribute. Subsystem ids are absent on some old kernels: left 0. */
static int read_ids(int dfd, struct devpath *p, struct pci_dev *d, const char **what)
{
	long v;
	int r;

	*what = "vendor";
	r = attr_long_at(dfd, devpath_at(p, *what), 16, 0, 0xffff, &v);
	if (r < 0)
		return r;
	d->vendor = (uint16_t)v;
	*what = "device";
	r = attr_long_at(dfd, devpath_at(p, *what), 16, 0, 0xffff, &v);
	if (r < 0)
		return r;
	d->device = (uint16_t)v;
	*what = "class";
	r = attr_long_at(dfd, devpath_at(p, *what), 16, 0, 0xffffff, &v);
	if (r < 0)
		return r;
	d->class_code = (uint32_t)v;
	if (attr_long_at(dfd, devpath_at(p, "subsystem_vendor"), 16, 0, 0xffff, &v) == 0)
		d->subsys_vendor = (uint16_t)v;
	if (attr_long_at(dfd, devpath_at(p, "subsystem_device"), 16, 0, 0xffff, &v) == 0)
		d->subsys_device = (uint16_t)v;
	if (fileio_read_link_base_at(dfd, devpath_at(p, "driver"), d->driver,
				     sizeof(d->driver)) < 0)
		d->driver[0] = '\0';
	return 0;
}

static void read_override_group(int dfd, struct devpath *p, struct pci_dev *d)
{
	char group[16];
	long v;

	/* The kernel prints an unset override as "(null)". */
	if (fileio_read_attr_at(dfd, devpath_at(p, "driver_override"), d->driver_override,
				sizeof(d->driver_override)) < 0 ||
	    strcmp(d->driver_override, "(null)") == 0)
		d->driver_override[0] = '\0';
	d->iommu_group = -1;
	if (fileio_read_link_base_at(dfd, devpath_at(p, "iommu_group"), group, sizeof(group)) >= 0 &&
	    parse_long(group, 10, 0, INT_MAX, &v) == 0)
		d->iommu_group = (int)v;
}

static void read_sriov(int dfd, struct devpath *p, struct pci_dev *d)
{
	d->sriov_totalvfs = attr_int_or_none(dfd, devpath_at(p, "sriov_totalvfs"));
	/* The sriov_* attributes come as a set: skip two failed opens per
	 * function on the (common) devices without the capability. */
	if (d->sriov_totalvfs < 0) {
		d->sriov_numvfs = d->sriov_autoprobe = -1;
	} else {
		d->sriov_numvfs = attr_int_or_none(dfd, devpath_at(p, "sriov_numvfs"));
		d->sriov_autoprobe = attr_int_or_none(dfd, devpath_at(p, "sriov_drivers_autoprobe"));
	}
	if (fileio_read_link_base_at(dfd, devpath_at(p, "physfn"), d->physfn, sizeof(d->physfn)) < 0) {
		d->physfn[0] = '\0';
	} else if (!bdf_is_canonical(d->physfn)) {
		log_debug("pci: %s: ignoring physfn with odd name '%s'", d->bdf, d->physfn);
		d->physfn[0] = '\0';
	}
}

static int cmp_ifname(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* net/ holds one directory per interface the function drives. Names too
 * long for IFNAMSIZ cannot be interface names and are skipped. */
static void read_ifnames(int dfd, struct devpath *p, struct pci_dev *d)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (dir_wrap(subdir_fd(dfd, devpath_at(p, "net")), &dir) < 0)
		return;
	while ((de = readdir(dir)) && d->n_ifnames < PCI_MAX_IFNAMES) {
		if (is_dot(de->d_name) || strlen(de->d_name) >= PCI_IFNAME_MAX)
			continue;
		util_strlcpy(d->ifnames[d->n_ifnames++], de->d_name, PCI_IFNAME_MAX);
	}
	qsort(d->ifnames, d->n_ifnames, PCI_IFNAME_MAX, cmp_ifname);
}

/* boot_vga only exists on VGA-class functions (pci_is_vga(): class 0x0300,
 * or the pre-2.0 "not defined, VGA compatible" 0x0001); do not probe others. */
static bool may_have_boot_vga(uint32_t class_code)
{
	return (class_code >> 8) == 0x0300 || (class_code >> 8) == 0x0001;
}

/* Read device `name` under devices_dfd (ROOT/bus/pci/devices). Returns 0,
 * -ENODEV when it is not there (it may vanish mid-scan: hot-unplug, VFs
 * going away), or -errno when a mandatory attribute is unreadable. vf_index
 * is left -1: deriving it needs the PF (see link_vfs).
 *
 * About ten system calls a function: uevent (ids, class, driver), the
 * override and the group link, and one failed lookup each for physfn,
 * sriov_totalvfs and net/ on a function that has none (bench/README.md). */
static int read_dev_at(int devices_dfd, const char *name, struct pci_dev *d)
{
	struct devpath p;
	const char *what = "uevent";
	int r;

	memset(d, 0, sizeof(*d));
	if (bdf_parse_full(name, &d->addr) < 0)
		return -EINVAL;
	bdf_format(&d->addr, d->bdf);
	devpath_init(&p, d->bdf);
	r = read_uevent(devices_dfd, &p, d);
	if (r < 0 && r != -ENOENT)
		r = read_ids(devices_dfd, &p, d, &what);
	if (r < 0) {
		/* ENOENT with the device entry gone: it was removed under us. */
		if (r == -ENOENT && faccessat(devices_dfd, name, F_OK, 0) < 0 && errno == ENOENT)
			return -ENODEV;
		if (r == -ENOENT)
			r = read_ids(devices_dfd, &p, d, &what);
		if (r < 0)
			return log_errno(LOG_LVL_WARNING, r, "pci: %s: cannot read %s, skipping it",
					 d->bdf, what);
	}
	read_override_group(devices_dfd, &p, d);
	read_sriov(devices_dfd, &p, d);
	d->vf_index = -1;
	d->boot_vga = may_have_boot_vga(d->class_code)
			      ? attr_int_or_none(devices_dfd, devpath_at(&p, "boot_vga"))
			      : -1;
	d->is_bridge = (d->class_code >> 8) == 0x0604 || (d->class_code >> 8) == 0x0609;
	read_ifnames(devices_dfd, &p, d);
	return 0;
}

static int open_dir(const char *root, const char *rel, int flags)
{
	char path[PATH_MAX];
	int fd, r;

	r = util_fmt(path, sizeof(path), "%s%s", root, rel);
	if (r < 0)
		return r;
	fd = open(path, flags | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Set vf_index on the VFs of pf, following its virtfnN links (the only place
 * the kernel states a VF's index). numvfs bounds the walk; a missing link
 * (VFs being torn down right now) is skipped. */
static void link_vfs(struct pci_state *st, int devices_dfd, const struct pci_dev *pf)
{
	char rel[BDF_BUFSZ + 16], vf[BDF_BUFSZ];
	struct pci_dev *v;

	for (int i = 0; i < pf->sriov_numvfs && i < PCI_VF_MAX; i++) {
		if (util_fmt(rel, sizeof(rel), "%s/virtfn%d", pf->bdf, i) < 0 ||
		    fileio_read_link_base_at(devices_dfd, rel, vf, sizeof(vf)) < 0 ||
		    !bdf_is_canonical(vf))
			continue;
		v = pci_find_mut(st, vf);
		if (v && strcmp(v->physfn, pf->bdf) == 0)
			v->vf_index = i;
	}
}

/* Is pf's virtfn<i> link vf? */
static bool virtfn_is(int devices_dfd, const char *pf, int i, const char *vf)
{
	char rel[BDF_BUFSZ + 24], name[BDF_BUFSZ];

	return i >= 0 && util_fmt(rel, sizeof(rel), "%s/virtfn%d", pf, i) == 0 &&
	       fileio_read_link_base_at(devices_dfd, rel, name, sizeof(name)) >= 0 &&
	       strcmp(name, vf) == 0;
}

/* Index of vf under pf, read from pf's virtfnN links; -1 when not found.
 * known: the index the model had for it (-1 none): one link read confirms
 * it, where a walk costs one per VF before it (a burst of 120 VF events
 * was 7,000 link reads). The kernel renumbers VFs only by removing and
 * adding them again, which a changed answer here still catches. */
static int vf_index_lookup(int devices_dfd, const char *pf, const char *vf, int known)
{
	char rel[BDF_BUFSZ + 24];
	long numvfs;

	if (virtfn_is(devices_dfd, pf, known, vf))
		return known;
	if (util_fmt(rel, sizeof(rel), "%s/sriov_numvfs", pf) < 0 ||
	    attr_long_at(devices_dfd, rel, 10, 0, PCI_VF_MAX, &numvfs) < 0)
		return -1;
	for (int i = 0; i < numvfs; i++)
		if (i != known && virtfn_is(devices_dfd, pf, i, vf))
			return i;
	return -1;
}

/* The IOMMU is on when the kernel made at least one group. */
static bool iommu_enabled(const char *root)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (dir_wrap(open_dir(root, PCI_GROUPS, O_RDONLY), &dir) < 0)
		return false;
	while ((de = readdir(dir)))
		if (!is_dot(de->d_name))
			return true;
	return false;
}

void pci_state_refresh_iommu(struct pci_state *st, const char *root)
{
	st->iommu_on = iommu_enabled(root);
}

struct busy {
	const struct pci_state *old;
	pci_busy_fn fn;
	void *ud;
};

static bool is_busy(const struct busy *b, const char *bdf)
{
	return b && b->fn && b->fn(bdf, b->ud);
}

/* Read device name into d, or copy its entry from b->old when busy. */
static int read_or_keep(int devices_dfd, const char *name, const struct busy *b,
			struct pci_dev *d)
{
	const struct pci_dev *old = is_busy(b, name) ? pci_find(b->old, name) : NULL;

	if (!old)
		return read_dev_at(devices_dfd, name, d);
	log_debug("pci: %s: a write to it is in the kernel: kept as it was", name);
	*d = *old;
	return 0;
}

/* Read every canonical entry of the devices directory into st (unsorted). */
static int scan_entries(struct pci_state *st, int devices_dfd, const struct busy *b)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int r;

	/* readdir needs its own fd: devices_dfd stays the base for *at(). */
	r = dir_wrap(subdir_fd(devices_dfd, "."), &dir);
	if (r < 0)
		return r;
	while ((errno = 0, de = readdir(dir))) {
		if (is_dot(de->d_name))
			continue;
		if (!bdf_is_canonical(de->d_name)) {
			log_debug("pci: skipping non-BDF entry '%s' in bus/pci/devices", de->d_name);
			continue;
		}
		r = pci_state_reserve(st, st->n + 1);
		if (r < 0)
			return r;
		/* vanished or unreadable: already logged, not fatal */
		if (read_or_keep(devices_dfd, de->d_name, b, &st->devs[st->n]) == 0)
			st->n++;
	}
	return errno ? -errno : 0;
}

static int scan(const char *root, const struct busy *b, struct pci_state **out)
{
	_cleanup_close_ int devices_dfd = -1;
	struct pci_state *st;
	int r;

	devices_dfd = open_dir(root, PCI_DEVICES, O_PATH);
	if (devices_dfd < 0)
		return devices_dfd;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	r = scan_entries(st, devices_dfd, b);
	if (r < 0) {
		pci_state_free(st);
		return r;
	}
	if (st->n) /* qsort(NULL, 0) is undefined */
		pci_state_sort(st);
	/* After sorting, so VF lookups can bsearch. */
	for (size_t i = 0; i < st->n; i++)
		if (st->devs[i].sriov_numvfs > 0)
			link_vfs(st, devices_dfd, &st->devs[i]);
	st->iommu_on = iommu_enabled(root);
	*out = st;
	return 0;
}

/* ---- a scan of some functions and what they need ---- */

struct some {
	struct pci_state *st;
	const struct busy *b;
	int devices_dfd;
	const char *root;
	char (*queue)[BDF_BUFSZ];	/* to read, in order; may repeat */
	size_t n_queue, cap_queue;
	int *groups;			/* listed already, sorted */
	size_t n_groups, cap_groups;
};

static int some_enqueue(struct some *s, const char *bdf)
{
	if (!bdf_is_canonical(bdf) || pci_find(s->st, bdf))
		return 0;
	if (s->n_queue == s->cap_queue) {
		size_t cap = s->cap_queue ? 2 * s->cap_queue : 32;
		void *q = realloc(s->queue, cap * sizeof(*s->queue));

		if (!q)
			return -ENOMEM;
		s->queue = q;
		s->cap_queue = cap;
	}
	util_strlcpy(s->queue[s->n_queue++], bdf, BDF_BUFSZ);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Queue every member of group, once per group. */
static int some_group(struct some *s, int group)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	char rel[64];
	size_t at;
	int r;

	if (group < 0 ||
	    (s->n_groups && bsearch(&group, s->groups, s->n_groups, sizeof(int), cmp_int)))
		return 0;
	if (s->n_groups == s->cap_groups) {
		size_t cap = s->cap_groups ? 2 * s->cap_groups : 16;
		int *g = realloc(s->groups, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		s->groups = g;
		s->cap_groups = cap;
	}
	for (at = s->n_groups; at > 0 && s->groups[at - 1] > group; at--)
		s->groups[at] = s->groups[at - 1];
	s->groups[at] = group;
	s->n_groups++;
	snprintf(rel, sizeof(rel), "%s/%d/devices", PCI_GROUPS, group);
	if (dir_wrap(open_dir(s->root, rel, O_RDONLY), &dir) < 0)
		return 0; /* gone meanwhile: its members are read as they are named */
	while ((de = readdir(dir)))
		if (!is_dot(de->d_name) && (r = some_enqueue(s, de->d_name)) < 0)
			return r;
	return 0;
}

static int some_read(struct some *s)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < s->n_queue; i++) {
		struct pci_dev d;

		if (pci_find(s->st, s->queue[i]) ||
		    read_or_keep(s->devices_dfd, s->queue[i], s->b, &d) < 0)
			continue; /* named twice, or not there (logged when unreadable) */
		r = pci_state_upsert(s->st, &d);
		if (r == 0)
			r = some_group(s, d.iommu_group);
		if (r == 0 && d.physfn[0])
			r = some_enqueue(s, d.physfn);
	}
	return r;
}

int pci_scan_some(const char *root, const char *const *bdfs, size_t n, const struct pci_state *old,
		  pci_busy_fn busy, void *ud, struct pci_state **out)
{
	_cleanup_close_ int devices_dfd = open_dir(root, PCI_DEVICES, O_PATH);
	const struct busy b = { old, busy, ud };
	struct some s = { .b = &b, .devices_dfd = devices_dfd, .root = root };
	int r = 0;

	*out = NULL;
	if (devices_dfd < 0)
		return devices_dfd;
	s.st = calloc(1, sizeof(*s.st));
	if (!s.st)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = some_enqueue(&s, bdfs[i]);
	if (r == 0)
		r = some_read(&s);
	free(s.queue);
	free(s.groups);
	if (r < 0) {
		pci_state_free(s.st);
		return r;
	}
	for (size_t i = 0; i < s.st->n; i++)
		if (s.st->devs[i].sriov_numvfs > 0) /* links only, as scan() reads them */
			link_vfs(s.st, devices_dfd, &s.st->devs[i]);
	s.st->iommu_on = iommu_enabled(root);
	*out = s.st;
	return 0;
}

int pci_scan(const char *root, struct pci_state **out)
{
	return scan(root, NULL, out);
}

int pci_scan_busy(const char *root, const struct pci_state *old, pci_busy_fn busy, void *ud,
		  struct pci_state **out)
{
	const struct busy b = { old, busy, ud };

	return scan(root, &b, out);
}

int pci_read_device(const char *root, const char *bdf, struct pci_dev *out)
{
	_cleanup_close_ int devices_dfd = -1;
	int r;

	if (!bdf_is_canonical(bdf))
		return -EINVAL;
	devices_dfd = open_dir(root, PCI_DEVICES, O_PATH);
	if (devices_dfd < 0)
		return devices_dfd == -ENOENT ? -ENODEV : devices_dfd;
	r = read_dev_at(devices_dfd, bdf, out);
	if (r < 0)
		return r;
	if (out->physfn[0])
		out->vf_index = vf_index_lookup(devices_dfd, out->physfn, out->bdf, -1);
	return 0;
}

static int refresh(struct pci_state *st, const char *root, const char *bdf,
		   const struct busy *b)
{
	_cleanup_close_ int devices_dfd = -1;
	const struct pci_dev *was;
	struct pci_dev d;
	int r;

	if (!bdf_is_canonical(bdf))
		return -EINVAL;
	if (is_busy(b, bdf)) {
		log_debug("pci: %s: a write to it is in the kernel: read later", bdf);
		return 0;
	}
	devices_dfd = open_dir(root, PCI_DEVICES, O_PATH);
	r = devices_dfd < 0 ? (devices_dfd == -ENOENT ? -ENODEV : devices_dfd)
			    : read_dev_at(devices_dfd, bdf, &d);
	if (r == -ENODEV) {
		pci_state_remove(st, bdf);
		return -ENODEV;
	}
	if (r < 0)
		return r;
	was = d.physfn[0] ? pci_find(st, bdf) : NULL;
	if (d.physfn[0] && !is_busy(b, d.physfn))
		d.vf_index = vf_index_lookup(devices_dfd, d.physfn, d.bdf,
					     was && strcmp(was->physfn, d.physfn) == 0 ? was->vf_index
										       : -1);
	else if (was)
		d.vf_index = was->vf_index;
	r = pci_state_upsert(st, &d);
	if (r < 0)
		return r;
	/* A PF whose numvfs changed renumbers its VFs: clear, then re-link. */
	if (d.sriov_totalvfs >= 0) {
		for (size_t i = 0; i < st->n; i++)
			if (strcmp(st->devs[i].physfn, d.bdf) == 0)
				st->devs[i].vf_index = -1;
		link_vfs(st, devices_dfd, &d);
	}
	return 0;
}

int pci_state_refresh(struct pci_state *st, const char *root, const char *bdf)
{
	return refresh(st, root, bdf, NULL);
}

int pci_state_refresh_busy(struct pci_state *st, const char *root, const char *bdf,
			   pci_busy_fn busy, void *ud)
{
	const struct busy b = { st, busy, ud };

	return refresh(st, root, bdf, &b);
}

/* ---- lazy single reads ---- */

/* Open ROOT/bus/pci/devices/BDF as a base fd; -ENODEV when absent. */
static int open_device(const char *root, const char *bdf)
{
	char rel[sizeof(PCI_DEVICES) + BDF_BUFSZ + 1];
	int fd;

	if (!bdf_is_canonical(bdf))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%s/%s", PCI_DEVICES, bdf);
	fd = open_dir(root, rel, O_PATH);
	return fd == -ENOENT ? -ENODEV : fd;
}

/* Read one attribute (or, with link, one link's last component) of one device. */
static int device_read(const char *root, const char *bdf, const char *name, bool link,
		       char *buf, size_t size)
{
	_cleanup_close_ int dfd = -1;

	if (size == 0)
		return -EINVAL;
	dfd = open_device(root, bdf);
	if (dfd < 0)
		return dfd;
	if (link)
		return fileio_read_link_base_at(dfd, name, buf, size);
	return fileio_read_attr_at(dfd, name, buf, size);
}

int pci_read_modalias(const char *root, const char *bdf, char *buf, size_t size)
{
	char tmp[PCI_MODALIAS_MAX * 2];
	int r;

	r = device_read(root, bdf, "modalias", false, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	return util_strlcpy(buf, tmp, size) >= size ? -ENAMETOOLONG : 0;
}

int pci_read_numa_node(const char *root, const char *bdf)
{
	char buf[32];
	long v;

	if (device_read(root, bdf, "numa_node", false, buf, sizeof(buf)) < 0 ||
	    parse_long(buf, 10, -1, INT_MAX, &v) < 0)
		return -1;
	return (int)v;
}

bool pci_driver_registered(const char *root, const char *driver)
{
	char rel[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (!pci_driver_name_valid(driver) ||
	    util_fmt(rel, sizeof(rel), "/bus/pci/drivers/%s", driver) < 0)
		return false;
	fd = open_dir(root, rel, O_PATH);
	return fd >= 0;
}

int pci_read_driver(const char *root, const char *bdf, char *buf, size_t size)
{
	int r = device_read(root, bdf, "driver", true, buf, size);

	if (r == -ENOENT) {
		buf[0] = '\0';	/* no link: no driver bound */
		return 0;
	}
	return r < 0 ? r : 0;
}

static int cmp_addr(const void *a, const void *b)
{
	return bdf_compare(a, b);
}

/* A group that does not fit is an error, not a silent truncation: callers
 * decide whether a whole group is safe to hand over. */
int pci_read_group_members(const char *root, int group, char (*bdfs)[BDF_BUFSZ], size_t max)
{
	_cleanup_closedir_ DIR *dir = NULL;
	_cleanup_free_ struct pci_addr *addrs = NULL;
	char rel[64];
	struct dirent *de;
	size_t n = 0;
	int r;

	if (group < 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%s/%d/devices", PCI_GROUPS, group);
	r = dir_wrap(open_dir(root, rel, O_RDONLY), &dir);
	if (r < 0)
		return r;
	addrs = calloc(max ? max : 1, sizeof(*addrs));
	if (!addrs)
		return -ENOMEM;
	while ((errno = 0, de = readdir(dir))) {
		if (is_dot(de->d_name))
			continue;
		if (!bdf_is_canonical(de->d_name)) {
			log_debug("pci: group %d: skipping non-BDF entry '%s'", group, de->d_name);
			continue;
		}
		if (n == max)
			return -E2BIG;
		bdf_parse_full(de->d_name, &addrs[n++]);
	}
	if (errno)
		return -errno;
	qsort(addrs, n, sizeof(*addrs), cmp_addr);
	for (size_t i = 0; i < n; i++)
		bdf_format(&addrs[i], bdfs[i]);
	return (int)n;
}
