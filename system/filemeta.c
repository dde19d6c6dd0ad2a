/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filemeta.c: a replacement file that is what the old one was (see
 * filemeta.h). The order matters: attributes and mode are set while the new
 * file is still ours (setting them needs ownership), owner and group last. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "filemeta.h"
#include "util.h"

#define ACL_ACCESS "system.posix_acl_access"
#define XREAD_TRIES 8

/* ---- extended attributes ------------------------------------------------ */

/* The list of names (name NULL) or one value, of path (never following a
 * link) or of fd when path is NULL. */
static ssize_t xcall(const char *path, int fd, const char *name, void *buf, size_t size)
{
	if (name)
		return path ? lgetxattr(path, name, buf, size) : fgetxattr(fd, name, buf, size);
	return path ? llistxattr(path, buf, size) : flistxattr(fd, buf, size);
}

/* The same, whole, malloc'd. A file system without attributes has none. */
static int xread(const char *path, int fd, const char *name, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	for (int i = 0; i < XREAD_TRIES; i++) {
		ssize_t n = xcall(path, fd, name, NULL, 0), m;
		char *buf;

		if (n < 0)
			return errno == ENOTSUP && !name ? 0 : -errno;
		buf = malloc(n ? (size_t)n : 1);
		if (!buf)
			return -ENOMEM;
		m = xcall(path, fd, name, buf, (size_t)n);
		if (m >= 0) {
			*out = buf;
			*len = (size_t)m;
			return 0;
		}
		free(buf);
		if (errno != ERANGE) /* it grew in between: ask again */
			return -errno;
	}
	return -ERANGE;
}

static bool listed(const char *list, size_t len, const char *name)
{
	for (size_t i = 0; i < len; i += strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return true;
	return false;
}

static void say_xattr(char *why, size_t size, const char *verb, const char *name, int err)
{
	bool admin = strncmp(name, "security.", 9) == 0 || strncmp(name, "trusted.", 8) == 0;

	snprintf(why, size, "cannot %s the file's %s%s%s: %s%s", verb,
		 strcmp(name, ACL_ACCESS) == 0 ? "POSIX ACL (" : "extended attribute ", name,
		 strcmp(name, ACL_ACCESS) == 0 ? ")" : "", strerror(err),
		 admin && err == EPERM ? " (these need CAP_SYS_ADMIN): edit the file by hand" : "");
}

/* One attribute of the old file onto the new one, unless it is there already
 * (a label the new file got by itself need not be set, and may not be). */
static int keep_xattr(const char *path, int fd, const char *name, char *why, size_t size)
{
	_cleanup_free_ char *want = NULL, *have = NULL;
	size_t want_len, have_len;
	int r;

	r = xread(path, -1, name, &want, &want_len);
	if (r == -ENODATA)
		return 0; /* gone in between */
	if (r == 0 && xread(NULL, fd, name, &have, &have_len) == 0 && have_len == want_len &&
	    memcmp(have, want, want_len) == 0)
		return 0;
	if (r == 0 && fsetxattr(fd, name, want, want_len, 0) < 0)
		r = -errno;
	if (r < 0)
		say_xattr(why, size, "keep", name, -r);
	return r;
}

static int keep_xattrs(const char *path, int fd, char *why, size_t size)
{
	_cleanup_free_ char *want = NULL, *have = NULL;
	size_t want_len, have_len;
	int r;

	r = xread(path, -1, NULL, &want, &want_len);
	if (r == 0)
		r = xread(NULL, fd, NULL, &have, &have_len);
	if (r < 0) {
		snprintf(why, size, "cannot list the file's extended attributes: %s", strerror(-r));
		return r;
	}
	/* What the new file got from its directory and the old one never had
	 * (a default ACL inherited as an access ACL) goes. */
	for (size_t i = 0; i < have_len; i += strlen(have + i) + 1) {
		if (listed(want, want_len, have + i) || fremovexattr(fd, have + i) == 0 ||
		    errno == ENODATA)
			continue;
		r = -errno;
		say_xattr(why, size, "drop from the new file", have + i, -r);
		return r;
	}
	for (size_t i = 0; i < want_len; i += strlen(want + i) + 1) {
		r = keep_xattr(path, fd, want + i, why, size);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- owner, group, mode ------------------------------------------------- */

static void say_owner(char *why, size_t size, const struct stat *st, bool user, int err)
{
	char name[64] = "";
	struct passwd *pw;
	struct group *g;

	if (user && (pw = getpwuid(st->st_uid)))
		snprintf(name, sizeof(name), "%s ", pw->pw_name);
	else if (!user && (g = getgrgid(st->st_gid)))
		snprintf(name, sizeof(name), "%s ", g->gr_name);
	if (err == EPERM)
		snprintf(why, size, "cannot keep the file's %s %s(%s %u) without CAP_CHOWN: edit "
			 "the file by hand, or give vfiobindd CAP_CHOWN", user ? "owner" : "group",
			 name, user ? "uid" : "gid", user ? (unsigned)st->st_uid : (unsigned)st->st_gid);
	else
		snprintf(why, size, "cannot keep the file's %s %s(%s %u): %s", user ? "owner" : "group",
			 name, user ? "uid" : "gid", user ? (unsigned)st->st_uid : (unsigned)st->st_gid,
			 strerror(err));
}

static int keep_owner(const struct stat *st, int fd, char *why, size_t size)
{
	struct stat now;
	int err;

	if (fstat(fd, &now) < 0)
		return -errno;
	if (now.st_uid == st->st_uid && now.st_gid == st->st_gid)
		return 0;
	if (fchown(fd, st->st_uid, st->st_gid) == 0)
		return 0;
	err = errno;
	say_owner(why, size, st, now.st_uid != st->st_uid, err);
	return -err;
}

/* A change of owner clears set-user-ID; only the new owner (or CAP_FOWNER)
 * may set it again. */
static int keep_mode(const struct stat *st, int fd, char *why, size_t size)
{
	mode_t want = st->st_mode & 07777;
	struct stat now;

	if (fstat(fd, &now) == 0 && (now.st_mode & 07777) == want)
		return 0;
	if (fchmod(fd, want) == 0 && fstat(fd, &now) == 0 && (now.st_mode & 07777) == want)
		return 0;
	snprintf(why, size, "cannot keep the file's mode %04o (it would be %04o)", (unsigned)want,
		 (unsigned)(now.st_mode & 07777));
	return -EPERM;
}

int filemeta_copy(const char *path, int fd, char *why, size_t size)
{
	struct stat st;
	int r;

	if (lstat(path, &st) < 0) {
		r = -errno;
		snprintf(why, size, "%s", strerror(-r));
		return r;
	}
	r = keep_mode(&st, fd, why, size);
	if (r == 0)
		r = keep_xattrs(path, fd, why, size);
	if (r == 0)
		r = keep_owner(&st, fd, why, size);
	if (r == 0)
		r = keep_mode(&st, fd, why, size);
	return r;
}
