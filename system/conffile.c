/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conffile.c: load vfiobind.conf from disk and hand the text to the pure parser. */
#include <errno.h>
#include <fcntl.h>
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
