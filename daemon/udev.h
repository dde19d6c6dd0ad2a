/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udev.h: PCI events from the kernel through libudev's netlink monitor.
 * Source "udev" gets events after udevd processed them (rules ran, names
 * settled); "kernel" gets the raw uevents, for hosts or containers with no
 * udevd. This file only translates; the engine decides.
 *
 * The loop (drain the fd on every wakeup, let only canonical PCI addresses
 * through, report lost events) runs over any event source: libudev's monitor
 * in the daemon, one over an fd of their own in tests (udevmon_new_fd). */
#pragma once

struct event_base;
struct udevmon;

typedef void (*udevmon_fn)(const char *action, const char *bdf, void *ud);
/* The kernel dropped events (the socket's receive buffer overflowed): what
 * changed is unknown, so every device must be looked at again. Called once
 * per wakeup that saw a loss, after the events still queued were passed on. */
typedef void (*udevmon_overflow_fn)(void *ud);

/* Where events come from. read() takes the next queued event: 1 with *action
 * and *name set (either may be NULL; both valid until the next read or the
 * free), 0 when nothing is queued, -ENOBUFS when events were lost before this
 * point (reading on gives what came after), another -errno on an error (the
 * rest is read on the next wakeup). */
struct udevmon_source {
	int (*read)(void *ctx, const char **action, const char **name);
	void (*free)(void *ctx);	/* called by udevmon_free(); NULL: caller owns ctx */
	void *ctx;
};

/* The libudev monitor ("udev" or "kernel") for subsystem pci. overflow may
 * be NULL (lost events are then only logged at debug level). */
struct udevmon *udevmon_new(struct event_base *base, const char *source, udevmon_fn fn,
			    udevmon_overflow_fn overflow, void *ud);
/* The same loop over src, woken when fd (non-blocking, owned by the caller)
 * is readable. On failure src->ctx is left to the caller. */
struct udevmon *udevmon_new_fd(struct event_base *base, int fd, const struct udevmon_source *src,
			       udevmon_fn fn, udevmon_overflow_fn overflow, void *ud);
void udevmon_free(struct udevmon *m);
