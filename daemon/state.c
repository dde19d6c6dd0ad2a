/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c: persist the managed set as JSON in the run directory. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "state.h"
#include "util.h"

#define STATE_FILE "state.json"
#define STATE_VERSION 1

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

/* Why a state file was not read, in words. */
static const char *refusal(int r, const struct fileio_text *t, char *buf, size_t size)
{
	if (r == -FILEIO_ENOTREG)
		snprintf(buf, size, "not a regular file (%s)", fileio_type_name(t->type));
	else if (r == -EFBIG)
		snprintf(buf, size, "larger than %u bytes", STATE_MAX_SIZE);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

int state_load(const char *run_dir, struct managed_set *m)
{
	char path[4096], why[128];
	json_object *root, *arr;
	struct fileio_text t;
	int r = 0;

	if (util_fmt(path, sizeof(path), "%s/%s", run_dir, STATE_FILE) < 0)
		return -ENAMETOOLONG;
	/* Never a symlink (nothing of ours makes one: it would be somebody
	 * else's pointer to /dev/zero or a root-owned file), never a FIFO or a
	 * device, never without bound. */
	r = fileio_read_regular(AT_FDCWD, path, FILEIO_NOFOLLOW, STATE_MAX_SIZE, &t);
	if (r == -ENOENT)
		return 0; /* first start since boot */
	if (r < 0) {
		log_error("%s: unreadable, starting with nothing managed: %s", path,
			  refusal(r, &t, why, sizeof(why)));
		return -EINVAL;
	}
	root = json_tokener_parse(t.data);
	free(t.data);
	if (!root) {
		log_warning("%s: unreadable, starting with nothing managed", path);
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "devices", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (size_t i = 0; i < json_object_array_length(arr) && r >= 0; i++)
			if (load_dev(json_object_array_get_idx(arr, i), m) < 0)
				log_warning("%s: skipping a bad device entry", path);
	if (json_object_object_get_ex(root, "pfs", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			if (load_pf(json_object_array_get_idx(arr, i), m) < 0)
				log_warning("%s: skipping a bad pf entry", path);
	json_object_put(root);
	return 0;
}

static json_object *to_json(const struct managed_set *m)
{
	json_object *root = json_object_new_object();
	json_object *devs = json_object_new_array();
	json_object *pfs = json_object_new_array();

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
	json_object_object_add(root, "devices", devs);
	json_object_object_add(root, "pfs", pfs);
	return root;
}

int state_save(const char *run_dir, const struct managed_set *m)
{
	char path[4096], tmp[4096];
	_cleanup_close_ int fd = -1;
	json_object *root;
	const char *text;
	size_t len;
	ssize_t n;

	if (util_fmt(path, sizeof(path), "%s/%s", run_dir, STATE_FILE) < 0 ||
	    util_fmt(tmp, sizeof(tmp), "%s/.%s.tmp", run_dir, STATE_FILE) < 0)
		return -ENAMETOOLONG;
	/* A fresh file, never through a link planted under the temp name. */
	fd = fileio_create_fresh(AT_FDCWD, tmp, 0644);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, -fd, "%s", tmp);
	root = to_json(m);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	len = strlen(text);
	n = write(fd, text, len);
	json_object_put(root);
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
