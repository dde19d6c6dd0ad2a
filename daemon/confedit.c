/* confedit.c: add and remove config lines for the `add` and `remove` commands,
 * in the file (atomically, every other byte kept) or in memory (runtime). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confedit.h"
#include "conffile.h"
#include "util.h"

#define CONFIGMAP_DATA "..data"
#define UTF8_BOM "\xef\xbb\xbf"

/* Node names are host names: compared without regard to case, as they match. */
static bool node_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool confedit_entry_same_target(const struct cfg_entry *a, const struct cfg_entry *b)
{
	return node_equal(a->node, b->node) && config_selector_equal(&a->sel, &b->sel);
}

/* ---- text ------------------------------------------------------------- */

/* One physical line: [start, start+len) is its content, eol its line end
 * ("" for a last line without one). */
struct text_line {
	const char *start;
	size_t len;
	const char *eol;
	size_t eol_len;
};

static bool next_line(const char **p, const char *end, struct text_line *l)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	l->start = *p;
	if (!nl) {
		l->len = (size_t)(end - *p);
		l->eol = end;
		l->eol_len = 0;
		*p = end;
		return true;
	}
	l->len = (size_t)(nl - *p);
	if (l->len && nl[-1] == '\r')
		l->len--;
	l->eol = l->start + l->len;
	l->eol_len = (size_t)(nl + 1 - l->eol);
	*p = nl + 1;
	return true;
}

/* Parse a physical line as an entry; false for blanks, comments and lines
 * that do not parse (those are left alone). */
static bool line_entry(const struct text_line *l, bool first, struct cfg_entry *e)
{
	_cleanup_free_ char *s = NULL;
	const char *p = l->start;
	size_t n = l->len;
	char msg[8];

	if (first && n >= 3 && memcmp(p, UTF8_BOM, 3) == 0) {
		p += 3;
		n -= 3;
	}
	s = strndup(p, n);
	if (!s || strlen(s) != n) /* NUL byte inside: not ours to judge */
		return false;
	return config_parse_line(s, 0, e, msg, sizeof(msg)) == 0;
}

/* The file's line end, from its first line: CRLF files stay CRLF. */
static const char *file_eol(const char *text, size_t len)
{
	const char *nl = text ? memchr(text, '\n', len) : NULL;

	return (nl && nl > text && nl[-1] == '\r') ? "\r\n" : "\n";
}

struct outbuf {
	char *p;
	size_t len, cap;
};

static int out_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = realloc(o->p, cap);

		if (!p)
			return -ENOMEM;
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return 0;
}

static int out_finish(struct outbuf *o, int r, char **out, size_t *out_len)
{
	if (r == 0 && !o->p)
		r = out_put(o, "", 0);
	if (r < 0) {
		free(o->p);
		return r;
	}
	*out = o->p;
	if (out_len)
		*out_len = o->len;
	return 0;
}

int confedit_text_add(const char *text, size_t len, const char *line, char **out,
		      size_t *out_len, bool *replaced)
{
	struct outbuf o = { 0 };
	struct cfg_entry want, e;
	struct text_line l;
	const char *p = text, *end = text ? text + len : NULL;
	const char *eol = file_eol(text, len);
	bool done = false, first = true;
	char msg[8];
	int r = 0;

	*out = NULL;
	if (config_parse_line(line, 0, &want, msg, sizeof(msg)) < 0)
		return -EINVAL;
	while (r == 0 && text && next_line(&p, end, &l)) {
		bool parsed = line_entry(&l, first, &e);
		bool match = parsed && confedit_entry_same_target(&e, &want);

		if (parsed)
			config_entry_clear(&e);
		/* A later duplicate of the target is dropped: one line, one answer. */
		if (match && !done) {
			/* Rewrite in place: the line end (and a BOM) stays. */
			if (first && l.len >= 3 && memcmp(l.start, UTF8_BOM, 3) == 0)
				r = out_put(&o, UTF8_BOM, 3);
			if (r == 0)
				r = out_put(&o, line, strlen(line));
			if (r == 0)
				r = out_put(&o, l.eol, l.eol_len);
			if (r == 0 && l.eol_len == 0)
				r = out_put(&o, eol, strlen(eol));
			done = true;
		} else if (!match) {
			r = out_put(&o, l.start, (size_t)(l.eol + l.eol_len - l.start));
		}
		first = false;
	}
	if (r == 0 && !done) {
		if (o.len && o.p[o.len - 1] != '\n')
			r = out_put(&o, eol, strlen(eol));
		if (r == 0)
			r = out_put(&o, line, strlen(line));
		if (r == 0)
			r = out_put(&o, eol, strlen(eol));
	}
	config_entry_clear(&want);
	if (replaced)
		*replaced = done;
	return out_finish(&o, r, out, out_len);
}

static bool entry_matches(const struct cfg_entry *e, const char *node,
			  const struct cfg_selector *sel)
{
	return (!node || node_equal(e->node, node)) && config_selector_equal(&e->sel, sel);
}

int confedit_text_remove(const char *text, size_t len, const char *node,
			 const struct cfg_selector *sel, char **out, size_t *out_len,
			 unsigned *removed)
{
	struct outbuf o = { 0 };
	struct cfg_entry e;
	struct text_line l;
	const char *p = text, *end = text ? text + len : NULL;
	bool first = true;
	unsigned n = 0;
	int r = 0;

	*out = NULL;
	while (r == 0 && text && next_line(&p, end, &l)) {
		bool match = false;

		if (line_entry(&l, first, &e)) {
			match = entry_matches(&e, node, sel);
			config_entry_clear(&e);
		}
		if (match) {
			n++;
			/* Keep a BOM that started the file. */
			if (first && l.len >= 3 && memcmp(l.start, UTF8_BOM, 3) == 0)
				r = out_put(&o, UTF8_BOM, 3);
		} else {
			r = out_put(&o, l.start, (size_t)(l.eol + l.eol_len - l.start));
		}
		first = false;
	}
	if (removed)
		*removed = n;
	return out_finish(&o, r, out, out_len);
}

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

/* Fill the temp file: the old file's mode and owner, the bytes, on disk. */
static int fill_temp(int fd, const char *path, const char *text, size_t len)
{
	struct stat st;
	int r;

	if (stat(path, &st) == 0) {
		if (fchmod(fd, st.st_mode & 07777) < 0)
			return -errno;
		/* Only root can give a file away; others keep their own. */
		if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
			return -errno;
	} else if (fchmod(fd, 0644) < 0) {
		return -errno;
	}
	r = write_all(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

int confedit_write_atomic(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *dir = dir_of(path), *tmp = NULL;
	const char *base = strrchr(path, '/');
	int fd, r;

	if (!dir)
		return -ENOMEM;
	base = base ? base + 1 : path;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return as_readonly(errno);
	r = fill_temp(fd, path, text, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = as_readonly(errno);
	if (r < 0) {
		unlink(tmp);
		return r;
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
	size_t old_len = 0, len = 0;
	int r;

	r = edit_target(path, &real);
	if (r == 0)
		r = check_writable_real(real);
	if (r < 0)
		return r;
	r = util_read_file(real, CONFFILE_MAX_SIZE, &old, &old_len);
	if (r == -ENOENT && !need_file)
		r = 0;
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
	return confedit_write_atomic(real, text, len);
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

/* ---- runtime ---------------------------------------------------------- */

int confedit_config_add(const struct config *c, const char *line, struct config **out,
			bool *replaced, char *msg, size_t msgsize)
{
	struct config *d;
	struct cfg_entry e;
	unsigned last = 0;
	size_t i, j;
	bool done = false;
	int r;

	*out = NULL;
	r = config_parse_line(line, 0, &e, msg, msgsize);
	if (r < 0)
		return r;
	d = c ? config_dup(c) : config_new_empty(NULL);
	if (!d) {
		config_entry_clear(&e);
		return -ENOMEM;
	}
	for (i = j = 0; i < d->n_entries; i++) {
		struct cfg_entry *x = &d->entries[i];

		last = x->line > last ? x->line : last;
		if (!confedit_entry_same_target(x, &e)) {
			d->entries[j++] = *x;
			continue;
		}
		config_entry_clear(x);
		if (!done) {
			e.line = x->line;
			d->entries[j++] = e;
			done = true;
		}
	}
	d->n_entries = j;
	if (!done) {
		struct cfg_entry *v = realloc(d->entries, (d->n_entries + 1) * sizeof(*v));

		if (!v) {
			config_entry_clear(&e);
			config_free(d);
			return -ENOMEM;
		}
		/* Numbered after the file's entries, so "file:line" stays unique. */
		e.line = last + 1;
		d->entries = v;
		d->entries[d->n_entries++] = e;
	}
	if (replaced)
		*replaced = done;
	*out = d;
	return 0;
}

int confedit_config_remove(const struct config *c, const char *node,
			   const struct cfg_selector *sel, struct config **out, unsigned *removed)
{
	struct config *d = c ? config_dup(c) : config_new_empty(NULL);
	unsigned n = 0;
	size_t i, j;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	for (i = j = 0; i < d->n_entries; i++) {
		if (entry_matches(&d->entries[i], node, sel)) {
			config_entry_clear(&d->entries[i]);
			n++;
		} else {
			d->entries[j++] = d->entries[i];
		}
	}
	d->n_entries = j;
	if (removed)
		*removed = n;
	*out = d;
	return 0;
}
