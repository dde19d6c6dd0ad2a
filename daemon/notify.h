/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notify.h: readiness and stopping, told to the service manager (systemd's
 * Type=notify) by its notification protocol, sd_notify(3): one datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path,
 * or "@name" in the abstract namespace). The protocol is a stable
 * interface; speaking it here spares the daemon libsystemd and what that
 * library loads (libgcrypt, liblz4, ...), most of a megabyte of RSS. */
#pragma once

/* Send state (e.g. "READY=1") when $NOTIFY_SOCKET is set: 1 sent, 0 not
 * asked for, -errno on failure. */
int notify_service_manager(const char *state);
