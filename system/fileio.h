/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fileio.h: small file reads for the system layer: one sysfs attribute, one
 * link's last component, a whole (bounded) file, a whole regular file looked
 * at before it is opened; and the creation of a fresh file that never
 * follows a link. Every function returns 0 (or a length, or an fd) on success
 * and -errno on failure. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

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
 * NUL). Refuses files larger than max with -EFBIG. It opens whatever the
 * path is (a pipe, /dev/stdin): for what a user hands the client; files the
 * daemon reads by itself go through fileio_read_regular(). */
int fileio_read_file(const char *path, size_t max, char **out, size_t *len);

/* fileio_read_regular(): the path is something else than a regular file or
 * a directory (a FIFO, a device, a socket; a symlink with FILEIO_NOFOLLOW).
 * Linux has no EFTYPE; its "Wrong medium type" is the nearest, and callers
 * say it in words with fileio_type_name(). */
#define FILEIO_ENOTREG EMEDIUMTYPE
/* fileio_read_regular() flag: a symlink is refused, not followed. */
#define FILEIO_NOFOLLOW 0x1

struct fileio_text {
	char *data;	/* malloc'd, NUL-terminated; len excludes the NUL */
	size_t len;
	mode_t type;	/* S_IFMT of what the path is (set on refusals too) */
};

/* Read a whole regular file, for files the daemon reads on its own (its
 * config, its state): what the path is gets looked at before it is opened,
 * so a FIFO never blocks and a device node is never opened. path is
 * relative to dfd (or AT_FDCWD). 0, or -ENOENT, -EISDIR, -FILEIO_ENOTREG
 * (t->type says what it is), -EFBIG when larger than max, -errno. */
int fileio_read_regular(int dfd, const char *path, int flags, size_t max, struct fileio_text *t);
/* "a FIFO", "a character device", ... for messages. */
const char *fileio_type_name(mode_t type);

/* Create a new file at path (relative to dfd) for writing, removing what
 * was there first: a symlink left there is removed, never followed. The
 * fd, or -errno. For a fixed temporary name in a directory of our own. */
int fileio_create_fresh(int dfd, const char *path, mode_t mode);
