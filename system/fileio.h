/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio.h: small file reads for the system layer: one sysfs attribute, one
 * link's last component, a whole (bounded) file. Every function returns 0 (or
 * a length) on success and -errno on failure. */
#pragma once

#include <stddef.h>

/* Read a small file (a sysfs attribute) into buf, NUL-terminated, with one
 * trailing newline removed. Returns the length or -errno. */
int fileio_read_attr(const char *path, char *buf, size_t size);
/* The same, with a relative path resolved against the directory fd dfd
 * (AT_FDCWD for the current directory). */
int fileio_read_attr_at(int dfd, const char *path, char *buf, size_t size);

/* Parse an integer attribute ("0x8086", "12", "-1"). Returns 0 or -errno. */
int fileio_read_long(const char *path, int base, long *out);

/* Last path component of a symlink's target ("../../../bus/pci/drivers/igb" ->
 * "igb"). Returns the length or -errno (-ENOENT when there is no link). */
int fileio_read_link_base(const char *path, char *buf, size_t size);
/* The same, with a relative path resolved against the directory fd dfd. */
int fileio_read_link_base_at(int dfd, const char *path, char *buf, size_t size);

/* Read a whole file into a malloc'd, NUL-terminated buffer (len excludes the
 * NUL). Refuses files larger than max with -EFBIG. */
int fileio_read_file(const char *path, size_t max, char **out, size_t *len);
/* The same from an open fd (read to its end; the fd stays open). */
int fileio_read_fd(int fd, size_t max, char **out, size_t *len);
