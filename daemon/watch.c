/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.c: inotify on the config file's directory (see watch.h for why).
 *
 * What is watched, recomputed by watch_rearm() after every relevant event:
 *   - the config's directory, or, while it is gone, the nearest ancestor that
 *     exists, waiting for the next path component to come back;
 *   - when the path is a symlink, the directory of its target, unless that is
 *     the config's directory itself or a `..`-named directory right under it
 *     (a ConfigMap's ..2026_... behind ..data, whose changes are swaps seen in
 *     the config's directory).
 * Watches no longer in that set are removed, so a moved symlink or a directory
 * renamed away stops calling back. */
#include <errno.h>
#include <event2/event.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "util.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* a re-arm holds at most: the old set (3), one ancestor per descent, the new set */
#define WATCH_MAX_HELD 16
#define WATCH_MAX_DESCENTS 4

struct watch {
	char path[PATH_MAX];
	char dir[PATH_MAX], base[NAME_MAX + 1];		/* as configured */
	char tdir[PATH_MAX], tbase[NAME_MAX + 1];	/* symlink target, "" none */
	char next[NAME_MAX + 1];	/* dir gone: the entry of the ancestor leading back */
	int fd;
	int wd_dir;		/* the config's directory, -1 while it is gone */
	int wd_anc;		/* the nearest existing ancestor while it is gone, else -1 */
	int wd_tdir;		/* the symlink target's directory when it needs its own */
	int held[WATCH_MAX_HELD];	/* every wd this watch holds in the kernel */
	size_t n_held;
	bool gone;		/* logged that the directory is gone */
	struct event *ev, *timer;
	int coalesce_ms;
	long long quiet_until;	/* a save read at once: until then, gather */
	watch_changed_fn fn;
	void *ud;
};

static void split(const char *path, char *dir, size_t dsz, char *base, size_t bsz)
{
	char a[PATH_MAX], b[PATH_MAX];

	util_strlcpy(a, path, sizeof(a));
	util_strlcpy(b, path, sizeof(b));
	util_strlcpy(dir, dirname(a), dsz);
	util_strlcpy(base, basename(b), bsz);
}

static bool is_current(const struct watch *w, int wd)
{
	return wd >= 0 && (wd == w->wd_dir || wd == w->wd_anc || wd == w->wd_tdir);
}

static void hold(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->n_held; i++)
		if (w->held[i] == wd)
			return;
	if (w->n_held < ARRAY_SIZE(w->held))
		w->held[w->n_held++] = wd;
	else
		log_warning("watch: more than %zu inotify watches for %s", ARRAY_SIZE(w->held),
			    w->path);
}

/* Remove the kernel watches the new set no longer uses. One the kernel
 * dropped already (its directory was deleted) fails with EINVAL: fine. */
static void release_unused(struct watch *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n_held; i++) {
		if (is_current(w, w->held[i]))
			w->held[k++] = w->held[i];
		else
			inotify_rm_watch(w->fd, w->held[i]);
	}
	w->n_held = k;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int arm_failed(struct watch *w, int err, const char *what)
{
	w->wd_dir = w->wd_anc = -1;
	return log_errno(LOG_LVL_WARNING, err, "watch %s", what);
}

/* Watch the config's directory or, when it is gone (or not a directory), the
 * nearest ancestor that exists, remembering which of its entries leads back
 * down. 0 when the directory itself is watched, -ENOENT for an ancestor. */
static int arm_dir(struct watch *w)
{
	char cur[PATH_MAX], child[PATH_MAX] = "", up[PATH_MAX], name[NAME_MAX + 1];
	int descents = 0, wd;

	util_strlcpy(cur, w->dir, sizeof(cur));
	for (;;) {
		wd = inotify_add_watch(w->fd, cur, WATCH_MASK);
		if (wd < 0) {
			int err = errno;

			if (err != ENOENT && err != ENOTDIR)
				return arm_failed(w, err, cur);
			split(cur, up, sizeof(up), name, sizeof(name));
			if (strcmp(up, cur) == 0)
				return arm_failed(w, err, cur);
			util_strlcpy(child, cur, sizeof(child));
			util_strlcpy(cur, up, sizeof(cur));
			continue;
		}
		hold(w, wd);
		if (!child[0]) {
			w->wd_dir = wd;
			w->wd_anc = -1;
			w->next[0] = '\0';
			return 0;
		}
		/* It may have come back between the failed add below and this one,
		 * before the ancestor's watch could see it: go down again. */
		if (is_dir(child) && ++descents < WATCH_MAX_DESCENTS) {
			util_strlcpy(cur, w->dir, sizeof(cur));
			child[0] = '\0';
			continue;
		}
		split(child, up, sizeof(up), w->next, sizeof(w->next));
		w->wd_dir = -1;
		w->wd_anc = wd;
		if (!w->gone)
			log_info("watch: %s is gone; watching %s until %s comes back", w->dir, cur,
				 w->next);
		return -ENOENT;
	}
}

/* The part of path under dir ("" for dir itself), or NULL when path is not
 * dir or below it. Whole components: /etc/vfiobind-real is not under
 * /etc/vfiobind. */
static const char *under(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) != 0)
		return NULL;
	if (n && dir[n - 1] == '/')
		return path + n;
	if (path[n] == '\0')
		return path + n;
	return path[n] == '/' ? path + n + 1 : NULL;
}

/* A target directory that is the config's directory, or a `..`-named
 * directory right under it (the kubelet's ..2026_..., reached through the
 * ..data symlink whose swaps the config's directory sees), needs no watch. */
static bool seen_from_dir(const struct watch *w, const char *tdir)
{
	char rdir[PATH_MAX];
	const char *rest;

	if (!realpath(w->dir, rdir))
		return false;
	rest = under(rdir, tdir);
	return rest && (!*rest || (strncmp(rest, "..", 2) == 0 && !strchr(rest, '/')));
}

static void arm_target(struct watch *w)
{
	char target[PATH_MAX], d[PATH_MAX], b[NAME_MAX + 1];

	w->tdir[0] = w->tbase[0] = '\0';
	w->wd_tdir = -1;
	/* No file or a dangling link: its directory's events say when that changes. */
	if (w->wd_dir < 0 || !realpath(w->path, target))
		return;
	split(target, d, sizeof(d), b, sizeof(b));
	if (strcmp(d, w->dir) == 0 && strcmp(b, w->base) == 0)
		return;
	util_strlcpy(w->tdir, d, sizeof(w->tdir));
	util_strlcpy(w->tbase, b, sizeof(w->tbase));
	if (seen_from_dir(w, d))
		return;
	w->wd_tdir = inotify_add_watch(w->fd, d, WATCH_MASK);
	if (w->wd_tdir < 0)
		log_errno(LOG_LVL_WARNING, errno, "watch %s (where %s points)", d, w->path);
	else
		hold(w, w->wd_tdir);
}

int watch_rearm(struct watch *w)
{
	int r = arm_dir(w);

	if (r == 0 && w->gone)
		log_info("watch: %s is back", w->dir);
	w->gone = r < 0;
	arm_target(w);
	release_unused(w);
	return r;
}

/* Whether one event may change what the path reads, or what must be watched. */
static bool relevant(const struct watch *w, const struct inotify_event *ev)
{
	const char *name = ev->name;

	if (ev->mask & IN_Q_OVERFLOW)
		return true; /* events lost: re-check everything */
	if (!is_current(w, ev->wd))
		return false; /* the IN_IGNORED of a watch we removed */
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
		return true; /* a watched directory went away */
	if (!ev->len)
		return false;
	if (ev->wd == w->wd_anc && strcmp(name, w->next) == 0)
		return true; /* the missing directory (or one above it) is back */
	/* the file itself, its symlink target, and the kubelet's ..data /
	 * ..YYYY_MM_DD... entries */
	if (ev->wd == w->wd_dir && (strcmp(name, w->base) == 0 || strncmp(name, "..", 2) == 0 ||
				    (w->tbase[0] && strcmp(name, w->tbase) == 0)))
		return true;
	return ev->wd == w->wd_tdir && (strcmp(name, w->tbase) == 0 || strncmp(name, "..", 2) == 0);
}

static void fire(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	watch_rearm(w);
	w->fn(w->ud);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false, whole = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (relevant(w, ev)) {
				hit = true;
				/* A rename into place or a writer's close: the
				 * file is whole (a ConfigMap's ..data swap too). */
				whole = ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (hit) {
		struct timeval tv = { w->coalesce_ms / 1000, (w->coalesce_ms % 1000) * 1000 };
		long long now = clock_mono_ms();

		/* Re-arm now, not when the timer fires: a directory that came back
		 * must be watched before the next write into it. */
		watch_rearm(w);
		/* A save that ends whole, with no burst under way, is read at
		 * once. Anything else, and whatever follows within the window
		 * (after that read too), restarts the timer: a burst (delete and
		 * re-create, a write and a chmod, a script's rewrites) is
		 * gathered into one reload. */
		if (whole && !evtimer_pending(w->timer, NULL) && now >= w->quiet_until) {
			w->quiet_until = now + w->coalesce_ms;
			w->fn(w->ud);
			return;
		}
		evtimer_add(w->timer, &tv);
	}
}

struct watch *watch_new(struct event_base *base, const char *path, int coalesce_ms,
			watch_changed_fn fn, void *ud)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	util_strlcpy(w->path, path, sizeof(w->path));
	split(path, w->dir, sizeof(w->dir), w->base, sizeof(w->base));
	w->wd_dir = w->wd_anc = w->wd_tdir = -1;
	w->coalesce_ms = coalesce_ms;
	w->fn = fn;
	w->ud = ud;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		log_errno(LOG_LVL_ERROR, errno, "inotify");
		free(w);
		return NULL;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_inotify, w);
	w->timer = evtimer_new(base, fire, w);
	if (!w->ev || !w->timer || event_add(w->ev, NULL) < 0) {
		watch_free(w);
		return NULL;
	}
	watch_rearm(w);
	return w;
}

bool watch_pending(const struct watch *w)
{
	return evtimer_pending(w->timer, NULL);
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->timer)
		event_free(w->timer);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
