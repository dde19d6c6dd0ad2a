/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sysfs.c: the one door through which vfiobindd writes to sysfs (see
 * sysfs.h). The real door does exactly one write(2) per value, because a
 * sysfs store function sees each write() as one whole value, and hands back
 * the kernel's errno untouched: that errno is the kernel saying no. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sysfs.h"
#include "util.h"

static int real_write(void *ud, const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd, r = 0;

	(void)ud;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;	/* a store that took part of the value did not take it */
	/* some stores report late; close() is the last place the kernel can say no */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

/* Reached only if something bypassed the dry-run checks: refuse loudly. */
static int deny_write(void *ud, const char *path, const char *buf, size_t len)
{
	(void)ud;
	log_error("dry run: refused a write of %zu bytes to %s; this is a bug, dry run must not "
		  "try to write", len, path);
	(void)buf;
	return -EROFS;
}

const struct sysfs_ops sysfs_ops_real = { .write = real_write, .ud = NULL };
const struct sysfs_ops sysfs_ops_deny = { .write = deny_write, .ud = NULL };

int sysfs_write(const struct sysfs_ops *ops, const char *root, const char *relpath,
		const char *value)
{
	char path[PATH_MAX];
	int r;

	if (!ops || !ops->write || !root || !relpath || !value)
		return -EINVAL;
	r = util_fmt(path, sizeof(path), "%s/%s", root, relpath);
	if (r < 0)
		return r;
	return ops->write(ops->ud, path, value, strlen(value));
}
