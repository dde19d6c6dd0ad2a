/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c: persist the managed set as JSON in the run directory (state.h).
 * What the file says and how it is judged is the first half; every call
 * that opens, renames or lists a file in the run directory is in the last
 * section, "the run directory". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "state.h"
#include "util.h"
#include "vocab.h"

static int read_state_file(const char *path, char **text, char *why, size_t size);
static int replace_state_file(const char *run_dir, const char *text);

/* ---- the file's content ---- */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int load_dev(json_object *o, struct managed_set *m)
{
	struct managed_dev d = { 0 };
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !bdf_is_canonical(jstr(o, "device")))
		return -EINVAL;
	util_strlcpy(d.bdf, jstr(o, "device"), sizeof(d.bdf));
	util_strlcpy(d.original_driver, jstr(o, "original_driver"), sizeof(d.original_driver));
	util_strlcpy(d.driver, jstr(o, "driver"), sizeof(d.driver));
	util_strlcpy(d.ifname, jstr(o, "ifname"), sizeof(d.ifname));
	if (json_object_object_get_ex(o, "since", &v))
		d.since_ms = json_object_get_int64(v);
	return managed_add(m, &d);
}

static int jint(json_object *o, const char *key, int none)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return none;
	return json_object_get_int(v);
}

/* A journal entry: an action a crash may have cut short. */
static int load_intent(json_object *o, struct managed_set *m)
{
	struct managed_intent in = { 0 };
	json_object *v;
	int kind;

	if (!json_object_is_type(o, json_type_object) || !bdf_is_canonical(jstr(o, "device")) ||
	    (kind = proto_action_from_name(jstr(o, "action"))) < 0)
		return -EINVAL;
	util_strlcpy(in.bdf, jstr(o, "device"), sizeof(in.bdf));
	in.kind = (enum proto_action_kind)kind;
	util_strlcpy(in.driver, jstr(o, "driver"), sizeof(in.driver));
	util_strlcpy(in.from_driver, jstr(o, "from_driver"), sizeof(in.from_driver));
	in.numvfs = jint(o, "numvfs", -1);
	in.from_numvfs = jint(o, "from_numvfs", -1);
	in.autoprobe = jint(o, "sriov_drivers_autoprobe", -1);
	if (in.kind == PROTO_ACTION_NUMVFS && in.numvfs < 0)
		return -EINVAL;
	if (json_object_object_get_ex(o, "since", &v))
		in.since_ms = json_object_get_int64(v);
	return managed_add_intent(m, &in);
}

static int load_pf(json_object *o, struct managed_set *m)
{
	struct managed_pf p = { 0 };
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !bdf_is_canonical(jstr(o, "device")) ||
	    !json_object_object_get_ex(o, "original_numvfs", &v))
		return -EINVAL;
	util_strlcpy(p.bdf, jstr(o, "device"), sizeof(p.bdf));
	p.original_numvfs = json_object_get_int(v);
	return managed_add_pf(m, &p);
}

/* The array under key (absent: none). -EINVAL when it is not an array. */
static int section(json_object *root, const char *key, json_object **arr)
{
	*arr = NULL;
	if (!json_object_object_get_ex(root, key, arr))
		return 0;
	return json_object_is_type(*arr, json_type_array) ? 0 : -EINVAL;
}

/* The whole file's verdict before any entry is read: an object of a
 * version we read, whose sections are arrays. */
static int check_root(json_object *root, char *why, size_t size)
{
	json_object *v, *arr;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, size, "not a JSON object");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(why, size, "no version number");
		return -EINVAL;
	}
	if (json_object_get_int64(v) > STATE_VERSION) {
		snprintf(why, size, "written by a newer vfiobindd (version %lld; this one reads "
			 "versions 1 to %d)", (long long)json_object_get_int64(v), STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (json_object_get_int64(v) < 1) {
		snprintf(why, size, "version %lld was never written",
			 (long long)json_object_get_int64(v));
		return -EINVAL;
	}
	if (section(root, "devices", &arr) < 0 || section(root, "pfs", &arr) < 0 ||
	    section(root, "journal", &arr) < 0) {
		snprintf(why, size, "\"devices\", \"pfs\" and \"journal\" must be arrays");
		return -EINVAL;
	}
	return 0;
}

/* Each entry of section key through load; returns how many were skipped. */
static int load_section(json_object *root, const char *key, const char *what, const char *path,
			int (*load)(json_object *, struct managed_set *), struct managed_set *m)
{
	json_object *arr;
	int skipped = 0;

	section(root, key, &arr);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		if (load(json_object_array_get_idx(arr, i), m) < 0) {
			log_warning("%s: skipping a bad %s entry", path, what);
			skipped++;
		}
	}
	return skipped;
}

/* Parse text whole: trailing bytes other than white space make it corrupt. */
static json_object *parse(const char *text, char *why, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root;
	size_t len = strlen(text), end;

	if (!tok) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root)
		snprintf(why, size, "not JSON (%s)",
			 json_tokener_error_desc(json_tokener_get_error(tok) == json_tokener_continue ?
						 json_tokener_error_parse_eof :
						 json_tokener_get_error(tok)));
	end = (size_t)json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (root && end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (root && end < len) {
		snprintf(why, size, "not JSON (bytes after the end of the object)");
		json_object_put(root);
		return NULL;
	}
	return root;
}

int state_load(const char *run_dir, struct managed_set *m, char *why, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[4096];
	json_object *root;
	int r;

	snprintf(why, size, "unknown");
	if (util_fmt(path, sizeof(path), "%s/%s", run_dir, STATE_FILE) < 0)
		return -ENAMETOOLONG;
	r = read_state_file(path, &text, why, size);
	if (r == -ENOENT)
		return 0; /* first start since boot */
	if (r < 0)
		return r;
	root = parse(text, why, size);
	if (!root)
		return -EINVAL;
	r = check_root(root, why, size);
	if (r == 0)
		r = load_section(root, "devices", "device", path, load_dev, m) +
		    load_section(root, "pfs", "pf", path, load_pf, m) +
		    load_section(root, "journal", "journal", path, load_intent, m);
	if (r > 0)
		snprintf(why, size, "%d entr%s could not be read", r, r == 1 ? "y" : "ies");
	json_object_put(root);
	return r;
}

static json_object *intent_json(const struct managed_intent *in)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "action", json_object_new_string(proto_action_name(in->kind)));
	json_object_object_add(o, "device", json_object_new_string(in->bdf));
	if (in->kind == PROTO_ACTION_NUMVFS) {
		json_object_object_add(o, "numvfs", json_object_new_int(in->numvfs));
		json_object_object_add(o, "from_numvfs", json_object_new_int(in->from_numvfs));
		if (in->autoprobe >= 0)
			json_object_object_add(o, "sriov_drivers_autoprobe",
					       json_object_new_int(in->autoprobe));
	} else {
		json_object_object_add(o, "driver", json_object_new_string(in->driver));
		json_object_object_add(o, "from_driver", json_object_new_string(in->from_driver));
	}
	json_object_object_add(o, "since", json_object_new_int64(in->since_ms));
	return o;
}

static json_object *to_json(const struct managed_set *m)
{
	json_object *root = json_object_new_object();
	json_object *devs = json_object_new_array();
	json_object *pfs = json_object_new_array();
	json_object *journal = json_object_new_array();

	json_object_object_add(root, "version", json_object_new_int(STATE_VERSION));
	for (size_t i = 0; i < m->n_devs; i++) {
		const struct managed_dev *d = &m->devs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(d->bdf));
		json_object_object_add(o, "original_driver", json_object_new_string(d->original_driver));
		json_object_object_add(o, "driver", json_object_new_string(d->driver));
		json_object_object_add(o, "ifname", json_object_new_string(d->ifname));
		json_object_object_add(o, "since", json_object_new_int64(d->since_ms));
		json_object_array_add(devs, o);
	}
	for (size_t i = 0; i < m->n_pfs; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(m->pfs[i].bdf));
		json_object_object_add(o, "original_numvfs",
				       json_object_new_int(m->pfs[i].original_numvfs));
		json_object_array_add(pfs, o);
	}
	for (size_t i = 0; i < m->n_intents; i++)
		json_object_array_add(journal, intent_json(&m->intents[i]));
	json_object_object_add(root, "devices", devs);
	json_object_object_add(root, "pfs", pfs);
	json_object_object_add(root, "journal", journal);
	return root;
}

int state_save(const char *run_dir, const struct managed_set *m)
{
	json_object *root = to_json(m);
	int r;

	r = replace_state_file(run_dir,
			       json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
	return r;
}

/* ---- the run directory: every open, rename and listing of its files ---- */

/* The state file, never through a symbolic link (nothing of ours makes one:
 * it would be somebody else's pointer to /dev/zero or a root-owned file),
 * never a FIFO or a device, never without bound: -ENOENT when there is
 * none; else why says what is wrong with it. */
static int read_state_file(const char *path, char **text, char *why, size_t size)
{
	struct fileio_text t;
	int r;

	r = fileio_read_regular(AT_FDCWD, path, FILEIO_NOFOLLOW, STATE_MAX_SIZE, &t);
	*text = t.data;
	if (r >= 0 || r == -ENOENT)
		return r;
	if (r == -FILEIO_ENOTREG && S_ISLNK(t.type)) {
		snprintf(why, size, "a symbolic link, not a file (never followed)");
		return -ELOOP;
	}
	if (r == -FILEIO_ENOTREG || r == -EISDIR) {
		snprintf(why, size, "not a regular file (%s)", fileio_type_name(t.type));
		return -EINVAL;
	}
	if (r == -EFBIG)
		snprintf(why, size, "larger than %u bytes", STATE_MAX_SIZE);
	else
		snprintf(why, size, "%s", strerror(-r));
	return r;
}

static int replace_state_file(const char *run_dir, const char *text)
{
	char path[4096], tmp[4096];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);
	ssize_t n;

	if (util_fmt(path, sizeof(path), "%s/%s", run_dir, STATE_FILE) < 0 ||
	    util_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", run_dir, STATE_FILE) < 0)
		return -ENAMETOOLONG;
	/* A fresh file, never through a link planted under the temp name. */
	fd = fileio_create_fresh(AT_FDCWD, tmp, 0644);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, -fd, "%s", tmp);
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len || fsync(fd) < 0) {
		int err = n < 0 ? errno : EIO;

		unlink(tmp);
		return log_errno(LOG_LVL_ERROR, err, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		int err = errno;

		unlink(tmp);
		return log_errno(LOG_LVL_ERROR, err, "rename %s", path);
	}
	return 0;
}

/* rename(2) that never replaces: -EEXIST when to exists. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A file system without RENAME_NOREPLACE: check, then rename (only
	 * this daemon, under its lock, writes here). */
	if (access(to, F_OK) == 0)
		return -EEXIST;
	return rename(from, to) < 0 ? -errno : 0;
}

int state_keep_aside(const char *run_dir, long long wall_ms, char *name, size_t size)
{
	char from[4096], to[4096], stamp[32];
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	int r = -EEXIST;

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		util_strlcpy(stamp, "unknown-time", sizeof(stamp));
	if (util_fmt(from, sizeof(from), "%s/%s", run_dir, STATE_FILE) < 0)
		return -ENAMETOOLONG;
	/* A second bad file in the same second gets a number. */
	for (int i = 1; i < 100 && r == -EEXIST; i++) {
		if ((i == 1 ? util_fmt(name, size, "%s%s", STATE_ASIDE_PREFIX, stamp) :
			      util_fmt(name, size, "%s%s-%d", STATE_ASIDE_PREFIX, stamp, i)) < 0 ||
		    util_fmt(to, sizeof(to), "%s/%s", run_dir, name) < 0)
			return -ENAMETOOLONG;
		r = rename_noreplace(from, to);
	}
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int state_list_aside(const char *run_dir, char (*names)[STATE_ASIDE_MAX], size_t max)
{
	_cleanup_closedir_ DIR *dir = opendir(run_dir);
	struct dirent *ent;
	size_t n = 0;

	if (!dir)
		return -errno;
	while ((ent = readdir(dir)) && n < max)
		if (strncmp(ent->d_name, STATE_ASIDE_PREFIX, strlen(STATE_ASIDE_PREFIX)) == 0 &&
		    util_strlcpy(names[n], ent->d_name, STATE_ASIDE_MAX) < STATE_ASIDE_MAX)
			n++;
	qsort(names, n, sizeof(*names), cmp_names);
	return (int)n;
}

bool state_aside_present(const char *run_dir, const char *name)
{
	char path[4096];
	struct stat st;

	return util_fmt(path, sizeof(path), "%s/%s", run_dir, name) == 0 &&
	       lstat(path, &st) == 0;
}
