/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conffile.h: reading the config file (the I/O half of config.c). */
#pragma once

#include "config.h"

#define CONFFILE_MAX_SIZE (4u << 20) /* a config larger than 4 MiB is refused */

/* Read and parse path. A missing file (or a dangling symlink) gives an empty
 * config with missing=true and returns 0: what that means is the caller's
 * (the daemon never reads it as "release everything"). On a parse error returns -EINVAL with errs
 * filled; on an I/O error -errno with one file-level error in errs. Only a
 * regular file (or a symlink to one) is opened: anything else is
 * -FILEIO_ENOTREG, "not a regular file (a FIFO)". When
 * text is non-NULL it receives the raw text (caller frees) for change checks. */
int conffile_load(const char *path, struct config **out, struct cfg_errors *errs, char **text);

/* Who may write the file decides which devices the root daemon takes. 0
 * when only root (or our own uid) can change the file and the directory it
 * is in (after symlinks); 1 with why ("writable by group adm (gid 4)")
 * when someone else can; -errno when it cannot be told (missing). */
int conffile_trust(const char *path, char *why, size_t size);
