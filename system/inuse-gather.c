/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse-gather.c: gathering in-use facts about PCI functions from a proc root
 * and a sysfs root (see inuse-gather.h); the rules are logic/inuse.c's, the
 * signature probes inuse-probe.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inuse-gather.h"
#include "log.h"
#include "util.h"
#include "fileio.h"

#define INUSE_FILE_MAX (4u << 20)	/* mountinfo of a busy container host */

/* --- I/O: routes ------------------------------------------------------------- */

/* PROC/rel for reading; NULL when it is not there (no facts, not an error). */
static FILE *proc_fopen(const char *proc_root, const char *rel)
{
	char path[PATH_MAX];

	if (util_fmt(path, sizeof(path), "%s/%s", proc_root, rel) < 0)
		return NULL;
	return fopen(path, "re");
}

/* PROC/net/route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...",
 * addresses as host-order hex of the network-order value (little endian
 * hosts print 0100A8C0 for 192.168.0.1). */
static int gather_routes4(const char *proc_root, struct inuse_facts *f)
{
	_cleanup_fclose_ FILE *fp = proc_fopen(proc_root, "net/route");
	char line[512];

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		char ifname[PCI_IFNAME_MAX + 1], text[INET_ADDRSTRLEN];
		unsigned dest, gw, flags, mask;
		struct in_addr a;

		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", ifname, &dest, &gw, &flags, &mask) !=
		    5)
			continue; /* the header line */
		if (!(flags & 0x1) || (flags & 0x200) || strcmp(ifname, "lo") == 0)
			continue; /* RTF_UP missing, RTF_REJECT */
		a.s_addr = dest;
		inet_ntop(AF_INET, &a, text, sizeof(text));
		if (inuse_facts_add_route(f, ifname, text,
					  (unsigned)__builtin_popcount(mask)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* PROC/net/ipv6_route: "DEST PLEN SRC SPLEN NEXTHOP METRIC REF USE FLAGS IFACE",
 * 32 hex digits per address. Every up interface has fe80::/64 and ff00::/8,
 * and the local table lists each own address as a /128: none is a sign that
 * the host is using the interface. */
static int gather_routes6(const char *proc_root, struct inuse_facts *f)
{
	_cleanup_fclose_ FILE *fp = proc_fopen(proc_root, "net/ipv6_route");
	char line[512];

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		char hex[33], ifname[PCI_IFNAME_MAX + 1], text[INET6_ADDRSTRLEN];
		unsigned plen, flags;
		struct in6_addr a;

		if (sscanf(line, "%32s %x %*s %*x %*s %*x %*x %*x %x %16s", hex, &plen, &flags,
			   ifname) != 4 || strlen(hex) != 32)
			continue;
		for (int i = 0; i < 16; i++) {
			unsigned byte;

			if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
				byte = 0;
			a.s6_addr[i] = (uint8_t)byte;
		}
		if (strcmp(ifname, "lo") == 0 || (flags & 0x200) || (flags & 0x80000000u) ||
		    plen == 128 || a.s6_addr[0] == 0xff ||
		    (a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80))
			continue; /* reject, RTF_LOCAL, host, multicast, link-local */
		inet_ntop(AF_INET6, &a, text, sizeof(text));
		if (inuse_facts_add_route(f, ifname, text, plen) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- I/O: interfaces ---------------------------------------------------------- */

static unsigned mask_prefix(const struct sockaddr *m)
{
	unsigned n = 0;

	if (!m)
		return 0;
	if (m->sa_family == AF_INET)
		return (unsigned)__builtin_popcount(((const struct sockaddr_in *)m)->sin_addr.s_addr);
	if (m->sa_family == AF_INET6)
		for (int i = 0; i < 16; i++)
			n += (unsigned)__builtin_popcount(
				((const struct sockaddr_in6 *)m)->sin6_addr.s6_addr[i]);
	return n;
}

static int gather_ifaddrs(struct inuse_facts *f)
{
	struct ifaddrs *list, *ifa;
	int r = 0;

	if (getifaddrs(&list) < 0) {
		/* No interface facts is not a reason to stop the other checks. */
		log_errno(LOG_LVL_WARNING, errno, "getifaddrs");
		return 0;
	}
	for (ifa = list; ifa && r == 0; ifa = ifa->ifa_next) {
		struct inuse_iface *i = inuse_facts_iface(f, ifa->ifa_name);
		char text[INET6_ADDRSTRLEN];
		const void *src;
		int fam;

		if (!i) {
			r = -ENOMEM;
			break;
		}
		i->known = true;
		i->up = ifa->ifa_flags & IFF_UP;
		if (!ifa->ifa_addr)
			continue;
		fam = ifa->ifa_addr->sa_family;
		if (fam == AF_INET)
			src = &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		else if (fam == AF_INET6)
			src = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(fam, src, text, sizeof(text)))
			r = inuse_facts_add_addr(f, ifa->ifa_name, fam, text,
						 mask_prefix(ifa->ifa_netmask));
	}
	freeifaddrs(list);
	return r;
}

static int net_line(char *line, struct inuse_facts *f)
{
	char *save = NULL, *name, *state, *w;
	struct inuse_iface *i;

	name = strtok_r(line, " \t", &save);
	if (!name || name[0] == '#')
		return 0;
	state = strtok_r(NULL, " \t", &save);
	if (!state || (strcmp(state, "up") && strcmp(state, "down")) ||
	    strlen(name) >= PCI_IFNAME_MAX)
		return -EINVAL;
	i = inuse_facts_iface(f, name);
	if (!i)
		return -ENOMEM;
	i->known = true;
	i->up = strcmp(state, "up") == 0;
	while ((w = strtok_r(NULL, " \t", &save)) && w[0] != '#') {
		char *slash = strchr(w, '/'), *end;
		unsigned long p;
		int fam = strchr(w, ':') ? AF_INET6 : AF_INET;

		if (!slash)
			return -EINVAL;
		*slash = '\0';
		p = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p > (fam == AF_INET ? 32u : 128u))
			return -EINVAL;
		if (inuse_facts_add_addr(f, name, fam, w, (unsigned)p) < 0)
			return -ENOMEM;
	}
	return 0;
}

int inuse_gather_net_from(const char *path, struct inuse_facts *f)
{
	_cleanup_fclose_ FILE *fp = fopen(path, "re");
	char line[1024];

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		int r;

		line[strcspn(line, "\r\n")] = '\0';
		r = net_line(line, f);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- I/O: mounts and swaps ---------------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
static int mount_line(char *line, struct inuse_facts *f)
{
	char *save = NULL, *w[5], *sep, *source;
	int n = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return 0;
	*sep = '\0';
	for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n < 5)
		return 0;
	save = NULL;
	if (!strtok_r(sep + 3, " \n", &save) || !(source = strtok_r(NULL, " \n", &save)))
		return 0;
	unescape(w[4]);
	unescape(source);
	return inuse_facts_add_mount(f, w[2], source, w[4]);
}

static int gather_mounts(const char *proc_root, struct inuse_facts *f)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX], *save = NULL;
	size_t len;

	if (util_fmt(path, sizeof(path), "%s/self/mountinfo", proc_root) < 0 ||
	    fileio_read_file(path, INUSE_FILE_MAX, &text, &len) < 0)
		return 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (mount_line(l, f) < 0)
			return -ENOMEM;
	return 0;
}

static int gather_swaps(const char *proc_root, struct inuse_facts *f)
{
	_cleanup_fclose_ FILE *fp = proc_fopen(proc_root, "swaps");
	char line[PATH_MAX + 128];

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		char *file = strtok(line, " \t\n");

		if (!file || strcmp(file, "Filename") == 0)
			continue;
		unescape(file);
		if (inuse_facts_add_swap(f, file) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- I/O: block devices --------------------------------------------------------- */

/* The PCI function a resolved device path hangs under: its last component
 * that is a canonical BDF ("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/
 * nvme/nvme0/nvme0n1" -> 0000:01:00.0; bridges come before their children). */
static void owner_bdf(const char *path, char bdf[BDF_BUFSZ])
{
	char copy[PATH_MAX], *save = NULL;

	bdf[0] = '\0';
	util_strlcpy(copy, path, sizeof(copy));
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (bdf_is_canonical(c))
			util_strlcpy(bdf, c, BDF_BUFSZ);
}

static int gather_holders(const char *class_dir, const char *name, struct inuse_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char path[PATH_MAX];
	struct dirent *de;

	if (util_fmt(path, sizeof(path), "%s/%s/holders", class_dir, name) < 0)
		return 0;
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && inuse_facts_add_holder(f, name, de->d_name) < 0)
			return -ENOMEM;
	return 0;
}

/* Native NVMe multipath: the disk a user mounts (nvme0n1) lives under
 * devices/virtual/nvme-subsystem/, while each path (nvme0c0n1, hidden)
 * hangs under its controller's PCI function: give the head and its
 * partitions that function too. */
static int nvme_heads(struct inuse_facts *f)
{
	size_t n = f->n_blocks;

	for (size_t i = 0; i < n; i++) {
		unsigned s, c, ns;
		char head[INUSE_NAME_MAX], bdf[BDF_BUFSZ];
		size_t hl;

		if (!f->blocks[i].bdf[0] ||
		    sscanf(f->blocks[i].name, "nvme%uc%un%u", &s, &c, &ns) != 3)
			continue;
		(void)util_fmt(head, sizeof(head), "nvme%un%u", s, ns);
		hl = strlen(head);
		util_strlcpy(bdf, f->blocks[i].bdf, sizeof(bdf));
		for (size_t k = 0; k < n; k++) {
			struct inuse_block b = f->blocks[k];

			if (b.bdf[0] || strncmp(b.name, head, hl) ||
			    (b.name[hl] && b.name[hl] != 'p'))
				continue;
			if (inuse_facts_add_block(f, b.name, b.majmin, bdf) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* SYSFS/class/block/NAME/hidden is 1 for a disk with no /dev node (the
 * paths of an NVMe multipath head); absent before Linux 5.10: not hidden. */
static bool block_hidden(const char *class_dir, const char *name)
{
	char path[PATH_MAX], v[8];

	return util_fmt(path, sizeof(path), "%s/%s/hidden", class_dir, name) == 0 &&
	       fileio_read_attr(path, v, sizeof(v)) >= 0 && strcmp(v, "1") == 0;
}

static int block_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inuse_block *)a)->name, ((const struct inuse_block *)b)->name);
}

static int gather_blocks(const char *sysfs_root, struct inuse_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[PATH_MAX];
	struct dirent *de;

	if (util_fmt(dir, sizeof(dir), "%s/class/block", sysfs_root) < 0)
		return 0;
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX], real[PATH_MAX], majmin[INUSE_MAJMIN_MAX], bdf[BDF_BUFSZ];

		if (de->d_name[0] == '.' ||
		    util_fmt(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
		    !realpath(path, real))
			continue;
		owner_bdf(real, bdf);
		if (util_fmt(path, sizeof(path), "%s/%s/dev", dir, de->d_name) < 0 ||
		    fileio_read_attr(path, majmin, sizeof(majmin)) < 0)
			majmin[0] = '\0';
		if (inuse_facts_add_block(f, de->d_name, majmin, bdf) < 0)
			return -ENOMEM;
		f->blocks[f->n_blocks - 1].hidden = block_hidden(dir, de->d_name);
	}
	/* readdir order is the file system's: sort, so reasons read the same
	 * on every pass (and a changed reason means a changed fact). */
	if (f->n_blocks)
		qsort(f->blocks, f->n_blocks, sizeof(*f->blocks), block_cmp);
	if (nvme_heads(f) < 0)
		return -ENOMEM;
	/* Holders only matter for disks under a PCI function. */
	for (size_t i = 0; i < f->n_blocks; i++)
		if (f->blocks[i].bdf[0] && gather_holders(dir, f->blocks[i].name, f) < 0)
			return -ENOMEM;
	return 0;
}

/* Which PCI function each known interface hangs under. */
static void gather_net_owners(const char *sysfs_root, struct inuse_facts *f)
{
	for (size_t i = 0; i < f->n_ifaces; i++) {
		char path[PATH_MAX], real[PATH_MAX];

		if (util_fmt(path, sizeof(path), "%s/class/net/%s", sysfs_root,
			     f->ifaces[i].name) == 0 && realpath(path, real))
			owner_bdf(real, f->ifaces[i].bdf);
	}
}

/* An interface's kind, as the kernel names its device type (DEVTYPE= in
 * uevent: bond, bridge, vlan...; macvlan, ipvlan and team set none in
 * Linux 6.1, and their reasons then name them without a kind). */
static void net_kind(const char *net_dir, const char *name, char *kind, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX], *p;
	size_t len;

	kind[0] = '\0';
	if (util_fmt(path, sizeof(path), "%s/%s/uevent", net_dir, name) < 0 ||
	    fileio_read_file(path, 4096, &text, &len) < 0)
		return;
	p = strncmp(text, "DEVTYPE=", 8) == 0 ? text : strstr(text, "\nDEVTYPE=");
	if (!p)
		return;
	util_strlcpy(kind, p + (*p == '\n') + 8, size);
	kind[strcspn(kind, "\n")] = '\0';
}

/* The uppers of one interface: its upper_NAME links, and which of them is
 * its master. */
static int gather_uppers_of(const char *net_dir, const char *name, struct inuse_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char path[PATH_MAX], master[PCI_IFNAME_MAX] = "";
	struct dirent *de;

	if (util_fmt(path, sizeof(path), "%s/%s", net_dir, name) < 0 || !(d = opendir(path)))
		return 0;
	if (util_fmt(path, sizeof(path), "%s/%s/master", net_dir, name) < 0 ||
	    fileio_read_link_base(path, master, sizeof(master)) < 0)
		master[0] = '\0';
	while ((de = readdir(d))) {
		const char *upper = de->d_name + 6;

		if (strncmp(de->d_name, "upper_", 6) != 0 || !*upper ||
		    strlen(upper) >= PCI_IFNAME_MAX)
			continue;
		if (inuse_facts_add_upper(f, name, upper, strcmp(master, upper) == 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int upper_cmp(const void *a, const void *b)
{
	const struct inuse_upper *x = a, *y = b;
	int c = strcmp(x->lower, y->lower);

	return c ? c : strcmp(x->upper, y->upper);
}

/* Every interface's upper devices (SYSFS/class/net/NAME/upper_UPPER, Linux
 * 3.11 and later), and the kind of each upper, for the reasons' wording. */
static int gather_uppers(const char *sysfs_root, struct inuse_facts *f)
{
	_cleanup_closedir_ DIR *d = NULL;
	char dir[PATH_MAX];
	struct dirent *de;

	if (util_fmt(dir, sizeof(dir), "%s/class/net", sysfs_root) < 0 || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strlen(de->d_name) < PCI_IFNAME_MAX &&
		    gather_uppers_of(dir, de->d_name, f) < 0)
			return -ENOMEM;
	/* In a stable order, as the blocks: the same facts, the same reason. */
	if (f->n_uppers)
		qsort(f->uppers, f->n_uppers, sizeof(*f->uppers), upper_cmp);
	for (size_t i = 0; i < f->n_uppers; i++) {
		struct inuse_iface *u = inuse_facts_iface(f, f->uppers[i].upper);

		/* The lower too, so that its PCI function is looked up. */
		if (!u || !inuse_facts_iface(f, f->uppers[i].lower))
			return -ENOMEM;
		if (!u->kind[0])
			net_kind(dir, u->name, u->kind, sizeof(u->kind));
	}
	return 0;
}

/* --- I/O: all of it ----------------------------------------------------------- */

bool inuse_is_real_sysfs(const char *sysfs_root)
{
	char real[PATH_MAX];

	return sysfs_root && realpath(sysfs_root, real) && strcmp(real, "/sys") == 0;
}

const char *inuse_default_proc_root(const char *sysfs_root)
{
	return inuse_is_real_sysfs(sysfs_root) ? "/proc" : NULL;
}

const char *inuse_default_dev_root(const char *sysfs_root)
{
	return inuse_is_real_sysfs(sysfs_root) ? "/dev" : NULL;
}

int inuse_gather(const char *proc_root, const char *sysfs_root, struct inuse_facts *f)
{
	int r = 0;

	memset(f, 0, sizeof(*f));
	if (inuse_is_real_sysfs(sysfs_root)) {
		r = gather_ifaddrs(f);
	} else if (proc_root) {
		char path[PATH_MAX];

		if (util_fmt(path, sizeof(path), "%s/net/ifaddrs", proc_root) == 0) {
			r = inuse_gather_net_from(path, f);
			if (r == -EINVAL)
				log_warning("%s: bad line, interface facts incomplete", path);
			if (r != -ENOMEM)
				r = 0;
		}
	}
	if (r == 0 && proc_root)
		r = gather_routes4(proc_root, f);
	if (r == 0 && proc_root)
		r = gather_routes6(proc_root, f);
	if (r == 0 && proc_root)
		r = gather_mounts(proc_root, f);
	if (r == 0 && proc_root)
		r = gather_swaps(proc_root, f);
	if (r == 0 && sysfs_root)
		r = gather_blocks(sysfs_root, f);
	if (r == 0 && sysfs_root)
		r = gather_uppers(sysfs_root, f);
	if (r == 0 && sysfs_root)
		gather_net_owners(sysfs_root, f);
	if (r < 0)
		inuse_facts_clear(f);
	return r;
}

int inuse_find(const char *proc_root, const char *sysfs_root, const char *dev_root,
	       const struct pci_state *pci, const char *const *bdfs, size_t n,
	       struct plan_inuse **out, size_t *n_out)
{
	struct inuse_facts f;
	int r;

	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return 0;
	r = inuse_gather(proc_root, sysfs_root, &f);
	if (r < 0)
		return r;
	r = inuse_probe_blocks(dev_root, pci, bdfs, n, &f);
	if (r == 0)
		r = inuse_compute(pci, &f, bdfs, n, out, n_out);
	inuse_facts_clear(&f);
	return r;
}

int inuse_for_plan(const char *proc_root, const char *sysfs_root, const char *dev_root,
		   const struct pci_state *pci, const struct plan *p, struct plan_inuse **out,
		   size_t *n_out)
{
	_cleanup_free_ const char **bdfs = NULL;
	size_t n = 0;

	*out = NULL;
	*n_out = 0;
	/* BIND and RESTORE move a device off its driver; the planner decides
	 * which of them the facts block (a restore off vfio-pci takes nothing
	 * from the host). */
	for (size_t i = 0; i < p->n_actions; i++)
		n += p->actions[i].kind != PROTO_ACTION_NUMVFS;
	if (n == 0)
		return 0;
	bdfs = calloc(n, sizeof(*bdfs));
	if (!bdfs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind != PROTO_ACTION_NUMVFS)
			bdfs[n++] = p->actions[i].bdf;
	return inuse_find(proc_root, sysfs_root, dev_root, pci, bdfs, n, out, n_out);
}
