/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-holders.c: waiting for the processes that hold a device the plan
 * wants to take (logic/holders.h), on the holder itself rather than on a
 * polling timer:
 *
 *  - each holder's pid is opened with pidfd_open(2) and its descriptor
 *    watched on the event loop: readable means the process exited (a VM
 *    shut down, a DPDK program ended), and a pass follows at once;
 *  - the node it holds is watched with inotify for IN_CLOSE_WRITE, through
 *    /proc/PID/fd/FD, so the node is the one the holder opened even in
 *    another mount namespace (a container's /dev): a holder that closes the
 *    device without exiting (QEMU after the guest let a hot-unplugged
 *    device go) brings a pass too. Only closes of descriptors open for
 *    writing count: VFIO users open their group read-write, and a read-only
 *    look at a disk (the daemon's own libblkid probe among them) must not
 *    make a pass that looks again, and again; a holder that has a node
 *    open read-only is left to the timer below;
 *  - where neither can be had (no pidfd_open before Linux 5.3, a node that
 *    cannot be watched) or the verdict is "cannot tell", the in-use re-check
 *    timer (ENGINE_INUSE_RECHECK_MS) is the fallback; the resync is the net.
 *
 * The watches follow the plan: engine_watch_holders() after every pass
 * keeps those of the holders the new plan names and drops the rest. A pid
 * reused between the scan and pidfd_open is told by its start time. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine-private.h"
#include "holders-gather.h"
#include "log.h"

struct engine_pidwatch {
	struct engine *e;
	int pid;
	unsigned long long start;
	int pidfd;
	struct event *ev;
	bool wanted;			/* named by the plan of this sync */
};

static int system_pidfd_open(int pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
#else
	return -ENOSYS;
#endif
}

static void pidwatch_free(struct engine_pidwatch *w)
{
	if (w->ev)
		event_free(w->ev);
	if (w->pidfd >= 0)
		close(w->pidfd);
	free(w);
}

static void on_holder_exit(evutil_socket_t fd, short what, void *arg)
{
	struct engine_pidwatch *w = arg;
	char why[64];

	/* One-shot: the next pass drops the watch of a holder that is gone. */
	snprintf(why, sizeof(why), "holder pid %d exited", w->pid);
	log_debug("%s", why);
	engine_request_pass(w->e, false, why);
}

static void on_holder_close(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool closed = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			closed |= (ev->mask & IN_CLOSE_WRITE) != 0;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (closed) {
		log_debug("a holder closed a device it held");
		engine_request_pass(e, false, "a holder closed a device");
	}
}

static struct engine_pidwatch *find_pidwatch(struct engine *e, int pid,
					     unsigned long long start)
{
	for (size_t i = 0; i < e->n_pidwatch; i++)
		if (e->pidwatch[i]->pid == pid && e->pidwatch[i]->start == start)
			return e->pidwatch[i];
	return NULL;
}

/* Is pid still the process the scan saw? (Its pidfd is open: the pid
 * cannot be reused from now on.) Only a start time that differs, or a
 * process gone, says no: a stat we cannot read must not make a pass that
 * reads it again, and again. */
static bool same_process(const struct engine *e, const struct plan_holder *h)
{
	unsigned long long start;
	int r;

	if (!h->start || !e->proc_root)
		return true;
	r = holders_proc_start(e->proc_root, h->pid, &start);
	if (r == -ENOENT || r == -ESRCH)
		return false;
	return r < 0 || start == h->start;
}

/* Watch holder h's process: 0, or false in *waitable when nothing can be
 * watched (no pidfd_open). A holder already gone asks for a pass now. */
static int watch_pid(struct engine *e, const struct plan_holder *h, bool *waitable)
{
	struct engine_pidwatch *w = find_pidwatch(e, h->pid, h->start);
	int fd;

	if (w) {
		w->wanted = true;
		return 0;
	}
	fd = e->o.pidfd_open ? e->o.pidfd_open(h->pid) : system_pidfd_open(h->pid);
	if (fd == -ESRCH || (fd >= 0 && !same_process(e, h))) {
		if (fd >= 0)
			close(fd);
		engine_request_pass(e, false, "a holder is gone");
		return 0;
	}
	if (fd < 0) {
		if (!e->pidfd_warned)
			log_warning("pidfd_open: %s: re-checking held devices every %d s instead",
				    strerror(-fd), ENGINE_INUSE_RECHECK_MS / 1000);
		e->pidfd_warned = true;
		*waitable = false;
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w || util_grow(&e->pidwatch, e->n_pidwatch, &e->cap_pidwatch,
			    sizeof(*e->pidwatch)) < 0) {
		free(w);
		close(fd);
		return -ENOMEM;
	}
	*w = (struct engine_pidwatch){ e, h->pid, h->start, fd, NULL, true };
	w->ev = event_new(e->base, fd, EV_READ, on_holder_exit, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		pidwatch_free(w);
		return -ENOMEM;
	}
	e->pidwatch[e->n_pidwatch++] = w;
	return 0;
}

static int inotify_ready(struct engine *e)
{
	if (e->hold_inotify >= 0)
		return 0;
	e->hold_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (e->hold_inotify < 0)
		return -errno;
	e->hold_inotify_ev = event_new(e->base, e->hold_inotify, EV_READ | EV_PERSIST,
				       on_holder_close, e);
	if (!e->hold_inotify_ev || event_add(e->hold_inotify_ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static bool wd_listed(const int *v, size_t n, int wd)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == wd)
			return true;
	return false;
}

/* Watch the node h holds open; false in *waitable when it cannot be. An
 * anonymous VFIO descriptor shares one inode with every anonymous file of
 * the system: not that one (its holder also holds the group). A node held
 * read-only (a disk someone reads) is not watched: only IN_CLOSE_WRITE is
 * (see the top), so its close is left to the re-check timer. */
static int watch_node(struct engine *e, const struct plan_holder *h, int **wds, size_t *n,
		      size_t *cap, bool *waitable)
{
	char path[4200];
	int wd;

	if (h->path[0] != '/')
		return 0;
	if (!h->writable) {
		*waitable = false;
		return 0;
	}
	if (!e->proc_root || inotify_ready(e) < 0 ||
	    snprintf(path, sizeof(path), "%s/%d/fd/%d", e->proc_root, h->pid, h->fd) >=
		    (int)sizeof(path)) {
		*waitable = false;
		return 0;
	}
	wd = inotify_add_watch(e->hold_inotify, path, IN_CLOSE_WRITE);
	if (wd < 0) {
		/* ENOENT: closed meanwhile, which the next pass sees. */
		if (errno == ENOENT) {
			engine_request_pass(e, false, "a holder closed a device");
			return 0;
		}
		if (!e->inotify_warned)
			log_info("cannot watch %s (%s, held by pid %d): %m; a close without an exit "
				 "is seen by a re-check every %d s", h->path, h->bdf, h->pid,
				 ENGINE_INUSE_RECHECK_MS / 1000);
		e->inotify_warned = true;
		*waitable = false;
		return 0;
	}
	if (wd_listed(*wds, *n, wd))
		return 0;
	if (util_grow(wds, *n, cap, sizeof(**wds)) < 0)
		return -ENOMEM;
	(*wds)[(*n)++] = wd;
	return 0;
}

static void drop_unwanted(struct engine *e, int *wds, size_t n_wds)
{
	for (size_t i = 0; i < e->n_pidwatch;) {
		if (e->pidwatch[i]->wanted) {
			i++;
			continue;
		}
		pidwatch_free(e->pidwatch[i]);
		e->pidwatch[i] = e->pidwatch[--e->n_pidwatch];
	}
	for (size_t i = 0; i < e->n_hold_wds; i++)
		if (!wd_listed(wds, n_wds, e->hold_wds[i]))
			inotify_rm_watch(e->hold_inotify, e->hold_wds[i]);
	free(e->hold_wds);
	e->hold_wds = wds;
	e->n_hold_wds = n_wds;
}

void engine_watch_holders(struct engine *e)
{
	const struct plan *p = e->plan;
	int *wds = NULL;
	size_t n_wds = 0, cap_wds = 0;
	bool waitable = true;
	int r = 0;

	for (size_t i = 0; i < e->n_pidwatch; i++)
		e->pidwatch[i]->wanted = false;
	for (size_t i = 0; p && i < p->n_held && r == 0; i++) {
		const struct plan_held *v = &p->held[i];

		/* Holders beyond those kept hold it as long as the kept ones do:
		 * the pass after the last kept one goes finds them. */
		waitable &= !v->unknown;
		for (size_t k = 0; k < v->n_holders && r == 0; k++) {
			r = watch_pid(e, &v->holders[k], &waitable);
			if (r == 0)
				r = watch_node(e, &v->holders[k], &wds, &n_wds, &cap_wds, &waitable);
		}
	}
	if (r < 0) {
		log_error("watching holders: out of memory: re-checking by timer");
		waitable = false;
	}
	drop_unwanted(e, wds, n_wds);
	e->holders_timer = !waitable;
}

void engine_holders_free(struct engine *e)
{
	for (size_t i = 0; i < e->n_pidwatch; i++)
		pidwatch_free(e->pidwatch[i]);
	free(e->pidwatch);
	e->pidwatch = NULL;
	e->n_pidwatch = e->cap_pidwatch = 0;
	if (e->hold_inotify_ev)
		event_free(e->hold_inotify_ev);
	e->hold_inotify_ev = NULL;
	if (e->hold_inotify >= 0)
		close(e->hold_inotify);
	e->hold_inotify = -1;
	free(e->hold_wds);
	e->hold_wds = NULL;
	e->n_hold_wds = 0;
}
