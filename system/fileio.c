/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio.c: reading small files the way sysfs wants them read (see fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

/* One open and one read(): sysfs hands the whole value to the first read of a
 * fresh open, and pci.c's scan depends on this staying one syscall pair. */
int fileio_read_attr_at(int dfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return (int)n;
}

int fileio_read_attr(const char *path, char *buf, size_t size)
{
	return fileio_read_attr_at(AT_FDCWD, path, buf, size);
}

int fileio_read_long(const char *path, int base, long *out)
{
	char buf[64], *end;
	long v;
	int r;

	r = fileio_read_attr(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, base);
	if (errno || end == buf || (*end != '\0' && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

int fileio_read_link_base_at(int dfd, const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlinkat(dfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (util_strlcpy(buf, base, size) >= size)
		return -ENAMETOOLONG;
	return (int)strlen(buf);
}

int fileio_read_link_base(const char *path, char *buf, size_t size)
{
	return fileio_read_link_base_at(AT_FDCWD, path, buf, size);
}

int fileio_read_fd(int fd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, used = 0;
	ssize_t n;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (used + 1 >= cap) {
			char *nb;

			if (cap > max)
				return -EFBIG;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return -EFBIG;
	}
	buf[used] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = used;
	return 0;
}

int fileio_read_file(const char *path, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fileio_read_fd(fd, max, out, len);
}
