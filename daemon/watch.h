/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.h: notice changes to the config file through inotify.
 *
 * The directory is watched, not the file: editors replace files by rename,
 * `cp` truncates and rewrites, people delete and recreate, and Kubernetes
 * updates a ConfigMap volume by swapping a `..data` symlink to a new directory,
 * none of which a watch on the file's inode survives. When the path is a
 * symlink to another directory, that directory is watched too (and no longer
 * once the link points elsewhere). When the directory itself is deleted, the
 * nearest existing ancestor is watched until it comes back, then the
 * directory again, with a callback (the file may have come back with it).
 * A save that ends whole (a rename into place, a writer's close) with nothing
 * else under way calls back at once; any other event, and whatever follows
 * within coalesce_ms, restarts a timer of coalesce_ms, so a burst (delete
 * and re-create, a write and a chmod, a script's rewrites) is one callback. */
#pragma once

#include <stdbool.h>

struct event_base;
struct watch;

typedef void (*watch_changed_fn)(void *ud);

struct watch *watch_new(struct event_base *base, const char *path, int coalesce_ms,
			watch_changed_fn fn, void *ud);
/* Re-resolve symlinks and re-arm. The watch does this itself on every
 * relevant event and before each callback; callers never need to. Returns 0
 * when the path's own directory is watched, -ENOENT while only an ancestor
 * is (the directory is gone), another -errno when nothing could be. */
int watch_rearm(struct watch *w);
/* Whether a change was seen whose callback has not run yet (the coalescing
 * window is open): lets a test check that an event was ignored without
 * waiting for a callback that should never come. */
bool watch_pending(const struct watch *w);
void watch_free(struct watch *w);
