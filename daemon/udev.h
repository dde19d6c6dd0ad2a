/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udev.h: PCI events from the kernel through libudev's netlink monitor.
 * Source "udev" gets events after udevd processed them (rules ran, names
 * settled); "kernel" gets the raw uevents, for hosts or containers with no
 * udevd. This file only translates; the engine decides. */
#pragma once

struct event_base;
struct udevmon;

typedef void (*udevmon_fn)(const char *action, const char *bdf, void *ud);

struct udevmon *udevmon_new(struct event_base *base, const char *source, udevmon_fn fn, void *ud);
void udevmon_free(struct udevmon *m);
