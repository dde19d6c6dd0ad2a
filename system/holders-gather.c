/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holders-gather.c: gathering holder facts about PCI functions from a proc
 * root and a sysfs root (see holders-gather.h); the rule is logic/holders.c's. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bdf.h"
#include "fileio.h"
#include "holders-gather.h"
#include "log.h"
#include "util.h"

#define WALK_DEPTH 6		/* BDF/nvme/nvme0/nvme0n1/nvme0n1p1/dev is 5 */
#define CAP_SYS_PTRACE_BIT 19

/* --- sysfs: nodes ------------------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* "MAJ:MIN" in DIR/dev, and whether DIR's subsystem is block. */
static int read_dev_at(int dfd, bool *block, unsigned *major, unsigned *minor)
{
	char text[32], sub[64];

	if (fileio_read_attr_at(dfd, "dev", text, sizeof(text)) < 0 ||
	    sscanf(text, "%u:%u", major, minor) != 2)
		return -EINVAL;
	*block = fileio_read_link_base_at(dfd, "subsystem", sub, sizeof(sub)) > 0 &&
		 strcmp(sub, "block") == 0;
	return 0;
}

static bool is_dir_at(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Every `dev` under dfd, not following links, not entering the functions
 * below a bridge. */
static int walk_nodes(int dfd, int depth, const char *bdf, struct holders_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	bool block;
	unsigned major, minor;
	int fd;

	if (read_dev_at(dfd, &block, &major, &minor) == 0 &&
	    holders_facts_add_node(f, HOLDERS_NODE_OWN, bdf, -1, block, major, minor) < 0)
		return -ENOMEM;
	if (depth >= WALK_DEPTH || (fd = dup(dfd)) < 0 || !(d = fdopendir(fd)))
		return 0;
	while ((de = readdir(d))) {
		_cleanup_close_ int sub = -1;

		if (de->d_name[0] == '.' || bdf_is_canonical(de->d_name) || !is_dir_at(dfd, de))
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && walk_nodes(sub, depth + 1, bdf, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_class_node(const char *sysfs_root, const char *cls, const char *name,
			  enum holders_node_kind kind, const char *bdf, int group,
			  struct holders_facts *f)
{
	_cleanup_close_ int dfd = -1;
	char path[PATH_MAX];
	unsigned major, minor;
	bool block;

	if (util_fmt(path, sizeof(path), "%s/class/%s/%s", sysfs_root, cls, name) < 0)
		return 0;
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || read_dev_at(dfd, &block, &major, &minor) < 0)
		return 0;
	return holders_facts_add_node(f, kind, bdf, group, block, major, minor);
}

/* Native NVMe multipath: the disk a user opens (nvme0n1 and its partitions)
 * lives under devices/virtual/nvme-subsystem/, while each path (nvme0c0n1)
 * hangs under its controller's function: give the head to that function. */
static int nvme_heads(const char *sysfs_root, const char *bdf, const char *path_name,
		      struct holders_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[PATH_MAX], head[64];
	unsigned s, c, ns;
	struct dirent *de;
	size_t hl;

	if (sscanf(path_name, "nvme%uc%un%u", &s, &c, &ns) != 3 ||
	    util_fmt(head, sizeof(head), "nvme%un%u", s, ns) < 0 ||
	    util_fmt(dir, sizeof(dir), "%s/class/block", sysfs_root) < 0)
		return 0;
	hl = strlen(head);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, head, hl) || (de->d_name[hl] && de->d_name[hl] != 'p'))
			continue;
		if (add_class_node(sysfs_root, "block", de->d_name, HOLDERS_NODE_OWN, bdf, -1, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The multipath paths of class/block (nvmeXcYnZ) and where they resolve:
 * read once per gather, not once per function (120 NVMe VFs with a
 * namespace each were 120 x 120 realpath() calls). */
struct nvme_path {
	char name[64];
	char *real;
};

struct nvme_paths {
	struct nvme_path *v;
	size_t n, cap;
};

static void nvme_paths_clear(struct nvme_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].real);
	free(p->v);
	*p = (struct nvme_paths){ 0 };
}

static int nvme_paths_read(const char *sysfs_root, struct nvme_paths *p)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	struct dirent *de;

	if (util_fmt(dir, sizeof(dir), "%s/class/block", sysfs_root) < 0)
		return 0;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct nvme_path *x;

		if (strncmp(de->d_name, "nvme", 4) || !strchr(de->d_name, 'c') ||
		    strlen(de->d_name) >= sizeof(x->name) ||
		    util_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
		    !realpath(path, real))
			continue;
		if (util_grow(&p->v, p->n, &p->cap, sizeof(*p->v)) < 0)
			return -ENOMEM;
		x = &p->v[p->n];
		util_strlcpy(x->name, de->d_name, sizeof(x->name));
		x->real = strdup(real);
		if (!x->real)
			return -ENOMEM;
		p->n++;
	}
	return 0;
}

/* The multipath paths that resolve under the function's directory. */
static int gather_nvme_heads(const char *sysfs_root, const char *bdf, const char *devdir,
			     const struct nvme_paths *p, struct holders_facts *f)
{
	size_t dl = strlen(devdir);

	for (size_t i = 0; i < p->n; i++) {
		if (strncmp(p->v[i].real, devdir, dl) || p->v[i].real[dl] != '/')
			continue;
		if (nvme_heads(sysfs_root, bdf, p->v[i].name, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int gather_own_nodes(const char *sysfs_root, const char *bdf, const struct nvme_paths *p,
			    struct holders_facts *f)
{
	_cleanup_close_ int dfd = -1;
	char path[PATH_MAX], real[PATH_MAX];

	if (util_fmt(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs_root, bdf) < 0 ||
	    !realpath(path, real))
		return 0;
	dfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	if (walk_nodes(dfd, 0, bdf, f) < 0)
		return -ENOMEM;
	return gather_nvme_heads(sysfs_root, bdf, real, p, f);
}

/* Every VFIO group node: a process that holds any group is a candidate
 * owner of anonymous device descriptors (holders.c: anon_capacity). */
static int gather_group_nodes(const char *sysfs_root, struct holders_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[PATH_MAX];
	struct dirent *de;

	if (util_fmt(dir, sizeof(dir), "%s/class/vfio", sysfs_root) < 0)
		return 0;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		/* "noiommu-N" groups have no IOMMU group of that number. */
		if (!all_digits(de->d_name))
			continue;
		if (add_class_node(sysfs_root, "vfio", de->d_name, HOLDERS_NODE_GROUP, NULL,
				   atoi(de->d_name), f) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- proc: what may hide processes from us -------------------------------------- */

static bool have_ptrace_cap(const char *proc_root)
{
	_cleanup_fclose_ FILE *fp = NULL;
	char path[PATH_MAX], line[256];
	unsigned long long caps;

	if (util_fmt(path, sizeof(path), "%s/self/status", proc_root) < 0 ||
	    !(fp = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			return caps & (1ULL << CAP_SYS_PTRACE_BIT);
	return false;
}

/* Is gid our file system gid or one of our groups (PROC/self/status)? */
static bool in_group(const char *proc_root, unsigned gid)
{
	char path[PATH_MAX], text[4096], *l, *save = NULL;
	unsigned g[4];

	if (util_fmt(path, sizeof(path), "%s/self/status", proc_root) < 0 ||
	    fileio_read_attr(path, text, sizeof(text)) < 0)
		return false;
	if ((l = strstr(text, "\nGid:")) && sscanf(l, "\nGid: %u %u %u %u", &g[0], &g[1], &g[2],
						   &g[3]) == 4 && g[3] == gid)
		return true;
	if (!(l = strstr(text, "\nGroups:")))
		return false;
	l[strcspn(l + 1, "\n") + 1] = '\0';
	for (char *w = strtok_r(l + 8, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if ((unsigned)strtoul(w, NULL, 10) == gid)
			return true;
	return false;
}

/* The super options of the proc mounted at proc_root ("rw,hidepid=invisible,
 * gid=27"), "" when not found. */
static void proc_options(const char *proc_root, char *out, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX], real[PATH_MAX], *save = NULL;
	size_t len;

	out[0] = '\0';
	if (!realpath(proc_root, real) ||
	    util_fmt(path, sizeof(path), "%s/self/mountinfo", proc_root) < 0 ||
	    fileio_read_file(path, 4u << 20, &text, &len) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char mnt[PATH_MAX], fstype[32], opts[512], *h;

		if (sscanf(l, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, real) == 0 &&
		    (h = strstr(l, " - ")) && sscanf(h, " - %31s %*s %511s", fstype, opts) == 2 &&
		    strcmp(fstype, "proc") == 0)
			util_strlcpy(out, opts, size); /* the last mount on top wins */
	}
}

static void option(const char *opts, const char *key, char *out, size_t size)
{
	const char *h = strstr(opts, key);

	out[0] = '\0';
	if (h && (h == opts || h[-1] == ','))
		util_strlcpy(out, h + strlen(key), size);
	out[strcspn(out, ",")] = '\0';
}

/* hidepid=invisible (2) hides the processes we may not ptrace, unless we are
 * in the mount's gid= group (default 0: root's); hidepid=ptraceable (4)
 * hides them whatever our groups. hidepid=noaccess (1) only closes their
 * directories, which gather_process() sees. */
static void check_hidden(const char *proc_root, struct holders_facts *f)
{
	char opts[512], hide[32], gid[16];
	bool hides;

	proc_options(proc_root, opts, sizeof(opts));
	option(opts, "hidepid=", hide, sizeof(hide));
	option(opts, "gid=", gid, sizeof(gid));
	if (strcmp(hide, "invisible") == 0 || strcmp(hide, "2") == 0)
		hides = !in_group(proc_root, (unsigned)strtoul(gid, NULL, 10));
	else
		hides = strcmp(hide, "ptraceable") == 0 || strcmp(hide, "4") == 0;
	if (hides && !have_ptrace_cap(proc_root))
		(void)util_fmt(f->hidden, sizeof(f->hidden),
			       "%s (hidepid=%s) hides other users' processes", proc_root, hide);
}

/* --- proc: processes and their descriptors -------------------------------------- */

int holders_proc_start(const char *proc_root, int pid, unsigned long long *start)
{
	char path[PATH_MAX], text[1024], *p;
	int r;

	if (util_fmt(path, sizeof(path), "%s/%d/stat", proc_root, pid) < 0)
		return -ENAMETOOLONG;
	r = fileio_read_attr(path, text, sizeof(text));
	if (r < 0)
		return r;
	/* comm may hold spaces and parentheses: count fields after the last ')'. */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				"%*d %*d %*d %*d %llu", start) != 1)
		return -EINVAL;
	return 0;
}

/* PF_KTHREAD in PROC/PID/stat's flags (field 9): kernel threads hold no files. */
static bool kernel_thread(int piddfd)
{
	char text[1024], *p;
	unsigned long flags;

	if (fileio_read_attr_at(piddfd, "stat", text, sizeof(text)) < 0 ||
	    !(p = strrchr(text, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000UL;
}

static void read_identity(int piddfd, struct holders_proc *p)
{
	char text[4096], *l;
	unsigned real, eff;

	if (fileio_read_attr_at(piddfd, "comm", p->comm, sizeof(p->comm)) < 0)
		p->comm[0] = '\0';
	if (fileio_read_attr_at(piddfd, "status", text, sizeof(text)) >= 0 &&
	    (l = strstr(text, "\nUid:")) && sscanf(l, "\nUid: %u %u", &real, &eff) == 2)
		p->uid = eff;
	if (fileio_read_attr_at(piddfd, "stat", text, sizeof(text)) >= 0 &&
	    (l = strrchr(text, ')')))
		(void)sscanf(l + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
				    "%*d %*d %*d %*d %llu", &p->start);
}

/* From fdinfo: whether the descriptor is open for writing ("flags:", octal;
 * unknown counts as not), and the function "vfio-device-syspath:
 * /sys/devices/.../0000:03:00.1" names, if any. */
static void read_fdinfo(int piddfd, const char *fd, struct holders_fd *x)
{
	char rel[64], text[2048], *l, *save = NULL;
	unsigned long flags;

	if (util_fmt(rel, sizeof(rel), "fdinfo/%s", fd) < 0 ||
	    fileio_read_attr_at(piddfd, rel, text, sizeof(text)) < 0)
		return;
	if ((l = strstr(text, "flags:")) && sscanf(l, "flags: %lo", &flags) == 1)
		x->writable = (flags & O_ACCMODE) != O_RDONLY;
	if (!(l = strstr(text, "vfio-device-syspath:")))
		return;
	l[strcspn(l, "\n")] = '\0';
	for (char *c = strtok_r(l + 20, "/ \t", &save); c; c = strtok_r(NULL, "/ \t", &save))
		if (bdf_is_canonical(c))
			util_strlcpy(x->syspath_bdf, c, BDF_BUFSZ);
}

/* Without CAP_SYS_PTRACE the fd directory of another user's process lists
 * fine, but every link in it answers EACCES: that is "cannot tell". */
static bool denied(int err)
{
	return err == EACCES || err == EPERM;
}

/* One descriptor: a node we know, or an anonymous VFIO device. 1 kept, 0
 * not, -ENOMEM; *err when the kernel would not show it. */
static int look_at_fd(int piddfd, int fddfd, const char *name, int pid,
		      struct holders_facts *f, int *err)
{
	struct holders_fd x = { .pid = pid, .fd = atoi(name) };
	char link[PLAN_HOLDER_PATH_MAX];
	struct statx stx;
	ssize_t len = readlinkat(fddfd, name, link, sizeof(link) - 1);

	if (len < 0) {
		if (denied(errno))
			*err = errno;
		return 0;
	}
	link[len] = '\0';
	if (link[0] == '/') {
		/* Through the link: the node the process opened, in its mount
		 * namespace; DONT_SYNC keeps a network file system quiet. */
		if (statx(fddfd, name, AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0) {
			if (denied(errno))
				*err = errno;
			return 0;
		}
		if (!(S_ISCHR(stx.stx_mode) || S_ISBLK(stx.stx_mode)))
			return 0;
		x.block = S_ISBLK(stx.stx_mode);
		x.major = stx.stx_rdev_major;
		x.minor = stx.stx_rdev_minor;
		if (!holders_facts_has_node(f, x.block, x.major, x.minor))
			return 0;
	} else if (strcmp(link, HOLDERS_VFIO_ANON) == 0) {
		x.vfio_anon = true;
	} else {
		return 0;
	}
	read_fdinfo(piddfd, name, &x);
	util_strlcpy(x.path, link, sizeof(x.path));
	return holders_facts_add_fd(f, &x) < 0 ? -ENOMEM : 1;
}

static int gather_process(int procdfd, const char *name, struct holders_facts *f)
{
	_cleanup_close_ int piddfd = -1, fddfd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct holders_proc *p;
	struct dirent *de;
	int pid = atoi(name), kept = 0, err = 0, r;

	piddfd = openat(procdfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddfd < 0)
		return 0; /* gone meanwhile */
	fddfd = openat(piddfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddfd < 0) {
		err = errno;
		if (err == ENOENT || err == ESRCH || kernel_thread(piddfd))
			return 0;
	} else {
		int dup_fd = dup(fddfd);

		d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
		if (!d) {
			err = errno ? errno : EIO;
			if (dup_fd >= 0)
				close(dup_fd);
		}
	}
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = look_at_fd(piddfd, fddfd, de->d_name, pid, f, &err);
		if (r < 0)
			return r;
		kept += r;
	}
	if (!kept && !err)
		return 0;
	p = holders_facts_proc(f, pid);
	if (!p)
		return -ENOMEM;
	p->err = err;
	read_identity(piddfd, p);
	return 0;
}

static int gather_processes(const char *proc_root, struct holders_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_close_ int procdfd = -1;
	char path[PATH_MAX], self[32] = "";
	struct dirent *de;
	ssize_t len;
	int fd;

	if (util_fmt(path, sizeof(path), "%s/self", proc_root) == 0 &&
	    (len = readlink(path, self, sizeof(self) - 1)) > 0)
		self[len] = '\0';
	procdfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procdfd < 0 || (fd = dup(procdfd)) < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		/* Our own descriptors (libblkid probing a disk) hold nothing. */
		if (!all_digits(de->d_name) || strcmp(de->d_name, self) == 0)
			continue;
		if (gather_process(procdfd, de->d_name, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- all of it ----------------------------------------------------------------- */

/* Could any of bdfs be held, by the nodes found? Without pci: maybe. */
static bool any_holdable(const struct holders_facts *f, const struct pci_state *pci,
			 const char *const *bdfs, size_t n)
{
	const struct pci_dev *d;

	if (!pci)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((d = pci_find(pci, bdfs[i])) && holders_facts_holdable(f, d))
			return true;
	return false;
}

int holders_gather(const char *proc_root, const char *sysfs_root, const struct pci_state *pci,
		   const char *const *bdfs, size_t n, struct holders_facts *f)
{
	struct nvme_paths paths = { 0 };
	int r = 0;

	memset(f, 0, sizeof(*f));
	if (!proc_root || !sysfs_root || n == 0)
		return 0;
	r = nvme_paths_read(sysfs_root, &paths);
	for (size_t i = 0; i < n && r == 0; i++)
		r = gather_own_nodes(sysfs_root, bdfs[i], &paths, f);
	nvme_paths_clear(&paths);
	if (r == 0)
		r = gather_group_nodes(sysfs_root, f);
	if (r == 0 && (!f->n_nodes || !any_holdable(f, pci, bdfs, n)))
		return 0;
	if (r == 0)
		r = gather_processes(proc_root, f);
	if (r == 0)
		check_hidden(proc_root, f);
	if (r < 0)
		holders_facts_clear(f);
	return r;
}

static int add_target(const char ***v, size_t *n, size_t *cap, const char *bdf)
{
	if (util_grow(v, *n, cap, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = bdf;
	return 0;
}

static int cmp_target(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, each once (a VF both bound and under a count change): n log n,
 * where a look-up before each push was n squared in actions. */
static size_t unique_targets(const char **v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), cmp_target);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	return k;
}

int holders_for_plan(const char *proc_root, const char *sysfs_root, const struct pci_state *pci,
		     const struct plan *p, struct plan_held **out, size_t *n_out)
{
	_cleanup_free_ const char **bdfs = NULL;
	struct holders_facts f;
	size_t n = 0, cap = 0;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (!proc_root || !p)
		return 0;
	for (size_t i = 0; i < p->n_actions && r == 0; i++) {
		const struct plan_action *a = &p->actions[i];

		if (a->kind != PROTO_ACTION_NUMVFS) {
			r = add_target(&bdfs, &n, &cap, a->bdf);
			continue;
		}
		for (size_t k = 0; pci && k < pci->n && r == 0; k++)
			if (strcmp(pci->devs[k].physfn, a->bdf) == 0)
				r = add_target(&bdfs, &n, &cap, pci->devs[k].bdf);
	}
	if (r < 0 || n == 0)
		return r;
	n = unique_targets(bdfs, n);
	r = holders_gather(proc_root, sysfs_root, pci, bdfs, n, &f);
	if (r < 0)
		return r;
	r = holders_compute(pci, &f, bdfs, n, out, n_out);
	holders_facts_clear(&f);
	return r;
}
