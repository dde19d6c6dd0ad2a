/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confedit-file.c: add and remove lines in the config FILE (see
 * confedit-file.h): the text edits are logic/confedit.c's, this file reads
 * the file, checks it may be rewritten, and replaces it atomically. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confedit-file.h"
#include "conffile.h"
#include "fileio.h"
#include "filemeta.h"
#include "util.h"

#define CONFIGMAP_DATA "..data"

/* ---- the file --------------------------------------------------------- */

static int as_readonly(int err)
{
	err = err < 0 ? -err : err;
	return (err == EROFS || err == EACCES || err == EPERM) ? -EROFS : -err;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* A Kubernetes ConfigMap volume: NAME -> ..data/NAME, ..data -> ..TIMESTAMP.
 * The kubelet replaces ..data wholesale on every sync, so an edit would be
 * lost (or fight it); changes belong in the ConfigMap or in runtime. */
static bool is_configmap(const char *path, const char *dir)
{
	_cleanup_free_ char *data = NULL;
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return false;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	if (strncmp(target, CONFIGMAP_DATA "/", strlen(CONFIGMAP_DATA) + 1) == 0 ||
	    strstr(target, "/" CONFIGMAP_DATA "/"))
		return true;
	if (asprintf(&data, "%s/%s", dir, CONFIGMAP_DATA) < 0) {
		data = NULL;
		return false;
	}
	return lstat(data, &st) == 0 && S_ISLNK(st.st_mode);
}

/* The file to rewrite: path itself, or what a (non-ConfigMap) symlink points
 * at, so that renaming over it does not replace the link with a copy. */
static int edit_target(const char *path, char **real)
{
	_cleanup_free_ char *dir = dir_of(path);
	struct stat st;

	*real = NULL;
	if (!dir)
		return -ENOMEM;
	if (is_configmap(path, dir))
		return -EROFS;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		*real = realpath(path, NULL);
		if (!*real)
			return -errno;
		return 0;
	}
	*real = strdup(path);
	return *real ? 0 : -ENOMEM;
}

static int check_writable_real(const char *real)
{
	_cleanup_free_ char *dir = dir_of(real);

	if (!dir)
		return -ENOMEM;
	if (access(dir, W_OK) < 0)
		return errno == ENOENT ? -ENOENT : as_readonly(errno);
	/* A file made read-only on purpose (chmod a-w) is a statement too. */
	if (access(real, W_OK) < 0 && errno != ENOENT)
		return as_readonly(errno);
	return 0;
}

int confedit_check_writable(const char *path)
{
	_cleanup_free_ char *real = NULL;
	int r = edit_target(path, &real);

	return r < 0 ? r : check_writable_real(real);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

/* Fill the temp file: the old file's metadata (or, for a new file, 0644),
 * the bytes, on disk. why says what could not be kept. */
static int fill_temp(int fd, const char *path, const char *text, size_t len, char *why,
		     size_t size)
{
	struct stat st;
	int r;

	if (lstat(path, &st) == 0)
		r = filemeta_copy(path, fd, why, size);
	else if (errno != ENOENT)
		r = -errno;
	else
		r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

int confedit_write_atomic(const char *path, const char *text, size_t len, char *why,
			  size_t size)
{
	_cleanup_free_ char *dir = dir_of(path), *tmp = NULL;
	const char *base = strrchr(path, '/');
	int fd, r;

	why[0] = '\0';
	if (!dir)
		return -ENOMEM;
	base = base ? base + 1 : path;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	/* O_EXCL: a fresh file under a name nobody could have planted. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return as_readonly(errno);
	r = fill_temp(fd, path, text, len, why, size);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* Never the other way (truncate and rewrite in place): a reader, the
	 * daemon among them, would see the file empty or half written. */
	if (r == 0 && rename(tmp, path) < 0)
		r = as_readonly(errno);
	if (r < 0) {
		unlink(tmp);
		return why[0] ? -EROFS : r;
	}
	/* The rename is only durable once the directory is on disk too. */
	return fsync_dir(dir);
}

static void one_error(struct cfg_errors *errs, const char *source, const char *msg)
{
	if (!errs)
		return;
	cfg_errors_clear(errs);
	errs->v = calloc(1, sizeof(*errs->v));
	errs->source = strdup(source);
	if (!errs->v)
		return;
	util_strlcpy(errs->v[0].msg, msg, sizeof(errs->v[0].msg));
	errs->n = 1;
}

/* Read the file (missing: empty), apply edit, validate, write. */
typedef int (*text_edit_fn)(const char *text, size_t len, char **out, size_t *out_len,
			    void *ud);

static int edit_file(const char *path, text_edit_fn edit, void *ud, bool need_file,
		     struct cfg_errors *errs)
{
	_cleanup_free_ char *real = NULL, *old = NULL, *text = NULL;
	struct config *c = NULL;
	struct fileio_text t;
	size_t old_len, len = 0;
	char why[256];
	int r;

	r = edit_target(path, &real);
	if (r == 0)
		r = check_writable_real(real);
	if (r < 0)
		return r;
	/* Looked at before it is opened: a FIFO there must not block the
	 * daemon's event loop, which runs this. */
	r = fileio_read_regular(AT_FDCWD, real, 0, CONFFILE_MAX_SIZE, &t);
	old = t.data;
	old_len = t.len;
	if (r == -ENOENT && !need_file)
		r = 0;
	if (r == -FILEIO_ENOTREG) {
		snprintf(why, sizeof(why), "not a regular file (%s)", fileio_type_name(t.type));
		one_error(errs, path, why);
		return -EROFS;
	}
	if (r < 0)
		return r;
	r = edit(old, old_len, &text, &len, ud);
	if (r < 0)
		return r;
	if (old && len == old_len && memcmp(text, old, len) == 0)
		return 0; /* nothing to change: no write, no inotify event */
	/* Never write a file the daemon would then reject. */
	r = config_parse(path, text, len, &c, errs);
	config_free(c);
	if (r < 0)
		return r;
	r = confedit_write_atomic(real, text, len, why, sizeof(why));
	if (r < 0 && why[0])
		one_error(errs, path, why);
	return r;
}

struct add_ud {
	const char *line;
	bool replaced;
};

static int add_edit(const char *text, size_t len, char **out, size_t *out_len, void *ud)
{
	struct add_ud *a = ud;

	return confedit_text_add(text, len, a->line, out, out_len, &a->replaced);
}

int confedit_file_add(const char *path, const char *line, bool *replaced,
		      struct cfg_errors *errs)
{
	struct cfg_entry e;
	char msg[sizeof(((struct cfg_error *)0)->msg)];
	struct add_ud a = { .line = line };
	int r;

	if (config_parse_line(line, 0, &e, msg, sizeof(msg)) < 0) {
		one_error(errs, "(request)", msg);
		return -EINVAL;
	}
	config_entry_clear(&e);
	r = edit_file(path, add_edit, &a, false, errs);
	if (r == 0 && replaced)
		*replaced = a.replaced;
	return r;
}

struct remove_ud {
	const char *node;
	const struct cfg_selector *sel;
	unsigned removed;
};

static int remove_edit(const char *text, size_t len, char **out, size_t *out_len, void *ud)
{
	struct remove_ud *a = ud;

	return confedit_text_remove(text, len, a->node, a->sel, out, out_len, &a->removed);
}

int confedit_file_remove(const char *path, const char *node, const struct cfg_selector *sel,
			 unsigned *removed, struct cfg_errors *errs)
{
	struct remove_ud a = { .node = node, .sel = sel };
	int r = edit_file(path, remove_edit, &a, true, errs);

	if (removed)
		*removed = r == 0 ? a.removed : 0;
	return r;
}

