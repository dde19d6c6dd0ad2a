/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inuse-probe.c: what is written on a block device, read with libblkid (the
 * library made for it, the one `blkid -p` and udev use), for the storage
 * rule of logic/inuse.h: a filesystem that is not mounted, a RAID or LVM
 * member whose array is not assembled, an encrypted volume that is closed.
 *
 * Only the devices inuse_to_probe() names are opened (the disks and
 * partitions of the mass storage functions a plan wants to take, not
 * already in use), read-only: a read-only open and close of a block device
 * changes nothing (udev's watch reacts to a close after writing only). */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "inuse-gather.h"
#include "log.h"
#include "util.h"

/* DEV/NAME for a block device called NAME in sysfs: the kernel writes '/'
 * in a name as '!' there (cciss!c0d0 is /dev/cciss/c0d0). */
static int dev_path(const char *dev_root, const char *name, char *path, size_t size)
{
	if (util_fmt(path, size, "%s/%s", dev_root, name) < 0)
		return -ENAMETOOLONG;
	for (char *c = path + strlen(dev_root); *c; c++)
		if (*c == '!')
			*c = '/';
	return 0;
}

/* The node must be the device sysfs names (a stale or renamed node would
 * answer for another disk); a regular file is an image (fake trees). */
static bool same_device(const struct stat *st, const char *majmin, char *err, size_t size)
{
	unsigned ma, mi;

	if (S_ISREG(st->st_mode))
		return true;
	if (!S_ISBLK(st->st_mode)) {
		util_strlcpy(err, "not a block device", size);
		return false;
	}
	if (sscanf(majmin, "%u:%u", &ma, &mi) == 2 && (major(st->st_rdev) != ma ||
						       minor(st->st_rdev) != mi)) {
		(void)util_fmt(err, size, "the node is %u:%u, sysfs says %s",
			       major(st->st_rdev), minor(st->st_rdev), majmin);
		return false;
	}
	return true;
}

struct sig {
	char type[INUSE_SIG_MAX], usage[INUSE_SIG_MAX], error[INUSE_ERR_MAX];
};

/* Superblocks only (filesystems, RAID and LVM members, LUKS, swap): a
 * partition table says nothing about use, its partitions are probed on
 * their own. Safe probing: two signatures that disagree are an error
 * ("ambivalent"), not a guess. 1 found, 0 nothing, -errno. */
static int probe_fd(int fd, struct sig *s)
{
	blkid_probe pr = blkid_new_probe();
	const char *v;
	int r;

	if (!pr)
		return -ENOMEM;
	errno = 0;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		r = errno ? -errno : -EIO;
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 0);
	errno = 0;
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			util_strlcpy(s->type, v, sizeof(s->type));
		if (blkid_probe_lookup_value(pr, "USAGE", &v, NULL) == 0)
			util_strlcpy(s->usage, v, sizeof(s->usage));
		r = 1;
	} else if (r == 1) {
		r = 0;
	} else if (r == -2) {
		util_strlcpy(s->error, "more than one signature (ambivalent)",
			     sizeof(s->error));
		r = 1;
	} else {
		r = errno ? -errno : -EIO;
	}
out:
	blkid_free_probe(pr);
	return r;
}

/* One device: a sig fact when it carries something or cannot be read. */
static int probe_block(const char *dev_root, const struct inuse_block *b, struct inuse_facts *f)
{
	struct sig s = { .type = "" };
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (dev_path(dev_root, b->name, path, sizeof(path)) < 0) {
		util_strlcpy(s.error, "device path too long", sizeof(s.error));
		goto found;
	}
	/* O_NONBLOCK: a removable drive without a medium fails at once. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		(void)util_fmt(s.error, sizeof(s.error), "open %s: %s", path, strerror(errno));
		goto found;
	}
	if (fstat(fd, &st) < 0) {
		(void)util_fmt(s.error, sizeof(s.error), "stat %s: %s", path, strerror(errno));
		goto found;
	}
	if (!same_device(&st, b->majmin, s.error, sizeof(s.error)))
		goto found;
	r = probe_fd(fd, &s);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		log_debug("%s: no signature", path);
		return 0;
	}
	if (r < 0)
		(void)util_fmt(s.error, sizeof(s.error), "probe %s: %s", path, strerror(-r));
found:
	if (s.error[0])
		log_debug("%s: cannot tell: %s", b->name, s.error);
	else
		log_debug("%s: %s (%s)", path, s.type, s.usage);
	return inuse_facts_add_sig(f, b->name, s.type, s.usage, s.error);
}

int inuse_probe_blocks(const char *dev_root, const struct pci_state *pci,
		       const char *const *bdfs, size_t n, struct inuse_facts *f)
{
	_cleanup_free_ size_t *idx = NULL;
	size_t n_idx = 0;
	int r;

	if (!dev_root)
		return 0;
	r = inuse_to_probe(pci, f, bdfs, n, &idx, &n_idx);
	for (size_t i = 0; r == 0 && i < n_idx; i++)
		r = probe_block(dev_root, &f->blocks[idx[i]], f);
	return r;
}
