/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.h: notice changes to the config file through inotify.
 *
 * The directory is watched, not the file: editors replace files by rename,
 * `cp` truncates and rewrites, people delete and recreate, and Kubernetes
 * updates a ConfigMap volume by swapping a `..data` symlink to a new directory,
 * none of which a watch on the file's inode survives. When the path is a
 * symlink to another directory, that directory is watched too. Bursts of
 * events from one save are coalesced into one callback. */
#pragma once

struct event_base;
struct watch;

typedef void (*watch_changed_fn)(void *ud);

struct watch *watch_new(struct event_base *base, const char *path, int coalesce_ms,
			watch_changed_fn fn, void *ud);
/* Re-resolve symlinks and re-arm (after a reload, or when the directory came
 * back). Returns 0 when at least the path's own directory is watched. */
int watch_rearm(struct watch *w);
void watch_free(struct watch *w);
