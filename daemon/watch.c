/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.c: inotify on the config file's directory (see watch.h for why). */
#include <errno.h>
#include <event2/event.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch {
	char path[PATH_MAX];
	char dir[PATH_MAX], base[NAME_MAX + 1];		/* as configured */
	char tdir[PATH_MAX], tbase[NAME_MAX + 1];	/* symlink target, "" none */
	int fd, wd_dir, wd_tdir;
	struct event *ev, *timer;
	int coalesce_ms;
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

/* Names that may change what the path reads: the file itself, its symlink
 * target, and the kubelet's ..data / ..YYYY_MM_DD... entries. */
static bool relevant(const struct watch *w, const char *name)
{
	return strcmp(name, w->base) == 0 || (w->tbase[0] && strcmp(name, w->tbase) == 0) ||
	       strncmp(name, "..", 2) == 0;
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
	bool hit = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW))
				hit = true; /* directory gone or queue lost: re-check everything */
			else if (ev->len && relevant(w, ev->name))
				hit = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (hit) {
		struct timeval tv = { w->coalesce_ms / 1000, (w->coalesce_ms % 1000) * 1000 };

		/* Restarting the timer on every event gathers a save's burst
		 * (truncate, write, close, rename) into one reload. */
		evtimer_add(w->timer, &tv);
	}
}

int watch_rearm(struct watch *w)
{
	char target[PATH_MAX];

	w->tdir[0] = w->tbase[0] = '\0';
	if (realpath(w->path, target)) {
		char d[PATH_MAX], b[NAME_MAX + 1];

		split(target, d, sizeof(d), b, sizeof(b));
		if (strcmp(d, w->dir) != 0 || strcmp(b, w->base) != 0) {
			util_strlcpy(w->tdir, d, sizeof(w->tdir));
			util_strlcpy(w->tbase, b, sizeof(w->tbase));
		}
	}
	/* inotify_add_watch on an already watched inode returns the same wd. */
	w->wd_dir = inotify_add_watch(w->fd, w->dir, WATCH_MASK);
	if (w->wd_dir < 0)
		return log_errno(LOG_LVL_WARNING, errno, "watch %s", w->dir);
	w->wd_tdir = -1;
	if (w->tdir[0] && strcmp(w->tdir, w->dir) != 0 &&
	    strncmp(w->tdir, w->dir, strlen(w->dir)) != 0)
		/* A target inside the watched dir (..data/) is seen through the
		 * ..data swap; only a foreign directory needs its own watch. */
		w->wd_tdir = inotify_add_watch(w->fd, w->tdir, WATCH_MASK);
	return 0;
}

struct watch *watch_new(struct event_base *base, const char *path, int coalesce_ms,
			watch_changed_fn fn, void *ud)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	util_strlcpy(w->path, path, sizeof(w->path));
	split(path, w->dir, sizeof(w->dir), w->base, sizeof(w->base));
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
