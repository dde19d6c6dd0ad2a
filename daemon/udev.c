/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udev.c: libudev monitor for subsystem "pci", on the event loop. */
#include <errno.h>
#include <event2/event.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "log.h"
#include "udev.h"

struct udevmon {
	struct udev *udev;
	struct udev_monitor *mon;
	struct event *ev;
	udevmon_fn fn;
	void *ud;
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct udevmon *m = arg;
	struct udev_device *dev;

	/* The socket is non-blocking: drain everything that is queued. */
	while ((dev = udev_monitor_receive_device(m->mon))) {
		const char *action = udev_device_get_action(dev);
		const char *name = udev_device_get_sysname(dev);

		/* Names from the kernel still pass the grammar before use. */
		if (action && name && bdf_is_canonical(name))
			m->fn(action, name, m->ud);
		else
			log_debug("udev: ignoring event %s for %s", action ? action : "?",
				  name ? name : "?");
		udev_device_unref(dev);
	}
}

struct udevmon *udevmon_new(struct event_base *base, const char *source, udevmon_fn fn, void *ud)
{
	struct udevmon *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return NULL;
	m->fn = fn;
	m->ud = ud;
	m->udev = udev_new();
	if (!m->udev)
		goto fail;
	m->mon = udev_monitor_new_from_netlink(m->udev, source);
	if (!m->mon) {
		log_error("udev: cannot open the %s netlink monitor", source);
		goto fail;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "pci", NULL);
	if (r >= 0)
		r = udev_monitor_enable_receiving(m->mon);
	if (r < 0) {
		log_errno(LOG_LVL_ERROR, r, "udev: enable %s monitor", source);
		goto fail;
	}
	/* A burst (128 VFs appearing) must not overflow the socket buffer. */
	udev_monitor_set_receive_buffer_size(m->mon, 8 * 1024 * 1024);
	m->ev = event_new(base, udev_monitor_get_fd(m->mon), EV_READ | EV_PERSIST, on_readable, m);
	if (!m->ev || event_add(m->ev, NULL) < 0)
		goto fail;
	log_debug("udev: listening to %s events for subsystem pci", source);
	return m;
fail:
	udevmon_free(m);
	return NULL;
}

void udevmon_free(struct udevmon *m)
{
	if (!m)
		return;
	if (m->ev)
		event_free(m->ev);
	if (m->mon)
		udev_monitor_unref(m->mon);
	if (m->udev)
		udev_unref(m->udev);
	free(m);
}
