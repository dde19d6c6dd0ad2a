/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udev.c: the event loop over an event source, and the libudev monitor for
 * subsystem "pci" that is the daemon's source. */
#include <errno.h>
#include <event2/event.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bdf.h"
#include "log.h"
#include "udev.h"

/* A burst (128 VFs appearing) must not overflow the socket buffer. */
#define UDEV_RCVBUF (8 * 1024 * 1024)

struct udevmon {
	struct udevmon_source src;
	struct event *ev;
	udevmon_fn fn;
	udevmon_overflow_fn overflow;
	void *ud;
};

/* ---- the loop, over any source ---- */

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct udevmon *m = arg;
	const char *action, *name;
	bool lost = false;
	int r;

	/* The fd is non-blocking: drain everything that is queued. */
	while ((r = m->src.read(m->src.ctx, &action, &name)) != 0) {
		if (r == -ENOBUFS) {
			lost = true; /* what came after the loss is still worth reading */
			continue;
		}
		if (r < 0) {
			log_errno(LOG_LVL_DEBUG, r, "udev: receive");
			break;
		}
		/* Names from the kernel still pass the grammar before use. */
		if (action && name && bdf_is_canonical(name))
			m->fn(action, name, m->ud);
		else
			log_debug("udev: ignoring event %s for %s", action ? action : "?",
				  name ? name : "?");
	}
	if (lost) {
		if (m->overflow)
			m->overflow(m->ud);
		else
			log_debug("udev: events were lost (receive buffer overflow)");
	}
}

struct udevmon *udevmon_new_fd(struct event_base *base, int fd, const struct udevmon_source *src,
			       udevmon_fn fn, udevmon_overflow_fn overflow, void *ud)
{
	struct udevmon *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->fn = fn;
	m->overflow = overflow;
	m->ud = ud;
	m->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, m);
	if (!m->ev || event_add(m->ev, NULL) < 0) {
		if (m->ev)
			event_free(m->ev);
		free(m);
		return NULL;
	}
	m->src = *src; /* owned from here on */
	return m;
}

void udevmon_free(struct udevmon *m)
{
	if (!m)
		return;
	if (m->ev)
		event_free(m->ev);
	if (m->src.free)
		m->src.free(m->src.ctx);
	free(m);
}

/* ---- libudev's monitor as the source ---- */

struct udev_source {
	struct udev *udev;
	struct udev_monitor *mon;
	struct udev_device *last;	/* the event whose strings read() handed out */
};

static int udev_source_read(void *ctx, const char **action, const char **name)
{
	struct udev_source *s = ctx;

	if (s->last)
		s->last = udev_device_unref(s->last);
	for (;;) {
		errno = 0;
		s->last = udev_monitor_receive_device(s->mon);
		if (s->last)
			break;
		if (errno == EINTR)
			continue;
		/* ENOBUFS: the kernel dropped events, the socket's buffer was full */
		if (errno == ENOBUFS)
			return -ENOBUFS;
		if (errno == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	*action = udev_device_get_action(s->last);
	*name = udev_device_get_sysname(s->last);
	return 1;
}

static void udev_source_free(void *ctx)
{
	struct udev_source *s = ctx;

	if (!s)
		return;
	if (s->last)
		udev_device_unref(s->last);
	if (s->mon)
		udev_monitor_unref(s->mon);
	if (s->udev)
		udev_unref(s->udev);
	free(s);
}

/* Without CAP_NET_ADMIN the kernel caps the buffer at net.core.rmem_max
 * (libudev's SO_RCVBUFFORCE fallback fails): say what was granted, so an
 * overflow later is no surprise. The errno is not logged: under the shipped
 * unit it is always EPERM, and the size says all that matters. */
static void set_rcvbuf(struct udev_monitor *mon, const char *source)
{
	int got = 0;
	socklen_t len = sizeof(got);

	udev_monitor_set_receive_buffer_size(mon, UDEV_RCVBUF);
	if (getsockopt(udev_monitor_get_fd(mon), SOL_SOCKET, SO_RCVBUF, &got, &len) < 0) {
		log_errno(LOG_LVL_WARNING, errno, "udev: read the %s monitor's receive buffer size",
			  source);
		return;
	}
	got /= 2; /* the kernel reports twice what it granted, for its bookkeeping (socket(7)) */
	if (got < UDEV_RCVBUF)
		log_warning("udev: %s monitor's receive buffer is %d bytes, less than the %d asked for "
			    "(net.core.rmem_max, without CAP_NET_ADMIN): a burst of events may "
			    "overflow it, and each overflow costs a full rescan",
			    source, got, UDEV_RCVBUF);
	else
		log_info("udev: %s monitor's receive buffer is %d bytes", source, got);
}

struct udevmon *udevmon_new(struct event_base *base, const char *source, udevmon_fn fn,
			    udevmon_overflow_fn overflow, void *ud)
{
	struct udev_source *s = calloc(1, sizeof(*s));
	struct udevmon_source src = { udev_source_read, udev_source_free, s };
	struct udevmon *m;
	int r;

	if (!s)
		return NULL;
	s->udev = udev_new();
	if (!s->udev)
		goto fail;
	s->mon = udev_monitor_new_from_netlink(s->udev, source);
	if (!s->mon) {
		log_error("udev: cannot open the %s netlink monitor", source);
		goto fail;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(s->mon, "pci", NULL);
	if (r >= 0)
		r = udev_monitor_enable_receiving(s->mon);
	if (r < 0) {
		log_errno(LOG_LVL_ERROR, r, "udev: enable %s monitor", source);
		goto fail;
	}
	set_rcvbuf(s->mon, source);
	m = udevmon_new_fd(base, udev_monitor_get_fd(s->mon), &src, fn, overflow, ud);
	if (!m)
		goto fail;
	log_debug("udev: listening to %s events for subsystem pci", source);
	return m;
fail:
	udev_source_free(s);
	return NULL;
}
