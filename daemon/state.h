/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h: the managed set on disk (RUN_DIR/state.json), so that a restarted
 * daemon still knows which devices it took and from which driver. It lives in
 * /run on purpose: bindings do not survive a reboot, and neither should it.
 *
 * A file this daemon cannot use whole (not JSON, not what it writes, a
 * version newer than it reads, entries it cannot read, not a regular file)
 * is never overwritten: the engine moves it aside, as
 * RUN_DIR/state.json.bad-TIMESTAMP, before its first save, and says so in
 * the log and in `status` for as long as that file is there. What the file
 * listed and could not be read is not known to be the daemon's: those
 * devices are left where they are, none is given back.
 *
 * Version 2 added "journal": the actions started and not yet seen finish
 * (managed.h, struct managed_intent); a version 1 file has none. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "managed.h"

/* The version written; files of versions 1 to this one are read. */
#define STATE_VERSION 2
#define STATE_FILE "state.json"
#define STATE_ASIDE_PREFIX STATE_FILE ".bad-"
#define STATE_ASIDE_MAX 64		/* a name kept aside, NUL included */
/* A state.json larger than this is refused unread: a managed function takes
 * about 170 bytes, so this is some 49000 of them, ten times a host with 16
 * PFs of 256 VFs each. */
#define STATE_MAX_SIZE (8u << 20)

/* Add what RUN_DIR/state.json lists to m. Returns the number of entries
 * that could not be read and were skipped (each logged, the rest loaded:
 * the file must then be kept aside before the next save), 0 when it was
 * read whole or does not exist (a first start since boot), or -errno when
 * the file cannot be used at all (nothing loaded; why, a sentence, says
 * what is wrong with it):
 *   -EINVAL           not JSON, or not the shape this daemon writes
 *   -EPROTONOSUPPORT  written by a newer vfiobindd (a version above ours)
 *   -ELOOP, -EFBIG, -FILEIO_ENOTREG, ... it could not be read (a symlink,
 *                     not a regular file, over STATE_MAX_SIZE, an I/O error):
 *                     only a regular file is read, never through a symlink,
 *                     never a FIFO or a device. */
int state_load(const char *run_dir, struct managed_set *m, char *why, size_t size);
/* Written to a temporary file (created afresh, never through a link left
 * under its name) and renamed: a crash leaves the old or the new. */
int state_save(const char *run_dir, const struct managed_set *m);

/* Move RUN_DIR/state.json aside as STATE_ASIDE_PREFIX + the UTC time of
 * wall_ms (epoch ms), never over an existing file; name gets the new name
 * (a file name, no directory). 0, -ENOENT when there is no state.json,
 * or -errno. */
int state_keep_aside(const char *run_dir, long long wall_ms, char *name, size_t size);
/* The files kept aside in run_dir (by this run or an earlier one), sorted:
 * up to max names of STATE_ASIDE_MAX bytes. Returns how many, or -errno. */
int state_list_aside(const char *run_dir, char (*names)[STATE_ASIDE_MAX], size_t max);
/* Is RUN_DIR/name still there (an operator removes it once dealt with)? */
bool state_aside_present(const char *run_dir, const char *name);
