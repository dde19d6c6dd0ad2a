/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conffile.c: load vfiobind.conf from disk and hand the text to the pure parser. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "conffile.h"
#include "util.h"
#include "fileio.h"

static void file_error(struct cfg_errors *errs, const char *path, int err, mode_t type)
{
	struct cfg_error *v;

	if (!errs)
		return;
	cfg_errors_clear(errs);
	v = calloc(1, sizeof(*v));
	errs->source = strdup(path);
	if (!v || !errs->source) {
		free(v);
		return;
	}
	v->line = 0;
	if (err == -EFBIG)
		snprintf(v->msg, sizeof(v->msg), "file larger than %u bytes", CONFFILE_MAX_SIZE);
	else if (err == -FILEIO_ENOTREG)
		snprintf(v->msg, sizeof(v->msg), "not a regular file (%s)", fileio_type_name(type));
	else
		snprintf(v->msg, sizeof(v->msg), "cannot read: %s", strerror(-err));
	errs->v = v;
	errs->n = 1;
}

int conffile_load(const char *path, struct config **out, struct cfg_errors *errs, char **text)
{
	_cleanup_free_ char *buf = NULL;
	struct fileio_text t;
	size_t len;
	int r;

	*out = NULL;
	if (text)
		*text = NULL;
	/* Followed if a symlink (a ConfigMap's file is one), but only a
	 * regular file is opened: a FIFO put there must not block the
	 * daemon's event loop in open(). */
	r = fileio_read_regular(AT_FDCWD, path, 0, CONFFILE_MAX_SIZE, &t);
	buf = t.data;
	len = t.len;
	if (r == -ENOENT) {
		/* Missing is not an I/O error: the caller decides what it
		 * means (the daemon keeps the last good config in force). */
		*out = config_new_empty(path);
		if (!*out)
			return -ENOMEM;
		(*out)->missing = true;
		if (text)
			*text = strdup("");
		return 0;
	}
	if (r < 0) {
		file_error(errs, path, r, t.type);
		return r;
	}
	r = config_parse(path, buf, len, out, errs);
	if (r < 0)
		return r;
	if (text) {
		*text = buf;
		buf = NULL;
	}
	return 0;
}

/* Who besides root (and us) can change what st describes; "" when nobody. */
static void who_writes(const struct stat *st, const char *what, char *why, size_t size)
{
	struct group *g;

	why[0] = '\0';
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, size, "%s is owned by uid %u", what, (unsigned)st->st_uid);
	} else if (st->st_mode & S_IWOTH) {
		snprintf(why, size, "%s is writable by everyone", what);
	} else if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
		g = getgrgid(st->st_gid);
		if (g)
			snprintf(why, size, "%s is writable by group %s (gid %u)", what, g->gr_name,
				 (unsigned)st->st_gid);
		else
			snprintf(why, size, "%s is writable by gid %u", what, (unsigned)st->st_gid);
	}
}

int conffile_trust(const char *path, char *why, size_t size)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	if (!realpath(path, real) || stat(real, &st) < 0)
		return -errno;
	who_writes(&st, "the file", why, size);
	if (why[0])
		return 1;
	/* Whoever can write the directory can replace the file (the sticky
	 * bit stops deleting, not a first creation after a delete by root). */
	util_strlcpy(dir, real, sizeof(dir));
	if (stat(dirname(dir), &st) < 0)
		return -errno;
	who_writes(&st, "its directory", why, size);
	return why[0] ? 1 : 0;
}
