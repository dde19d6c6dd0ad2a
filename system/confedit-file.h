/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confedit-file.h: `add` and `remove` on the config FILE. The new text comes
 * from confedit_text_*() (logic/confedit.h) and is validated with
 * config_parse() before anything is written, then written to a temp file in
 * the same directory, fsync'd, renamed over the file and the directory
 * fsync'd, so a crash leaves the old file or the new one, never half of one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "confedit.h"

/* -EROFS when the file cannot be rewritten in place: a read-only mount, an
 * unwritable directory, or a Kubernetes ConfigMap (the file is a symlink into
 * the volume's `..data` directory, which the kubelet owns and rewrites). A
 * missing file in a writable directory is fine (0). */
int confedit_check_writable(const char *path);

/* File edits. On a config that would be invalid afterwards: -EINVAL, errs
 * filled and the file untouched. -EROFS as confedit_check_writable() says,
 * and -EROFS with one file-level error in errs (the file untouched) when it
 * is not a regular file or its metadata could not be kept;
 * remove on a missing file: -ENOENT. */
int confedit_file_add(const char *path, const char *line, bool *replaced,
		      struct cfg_errors *errs);
int confedit_file_remove(const char *path, const char *node, const struct cfg_selector *sel,
			 unsigned *removed, struct cfg_errors *errs);

/* Write text to path atomically (temp file, fsync, rename, fsync dir); the
 * file keeps its mode, owner, group, ACLs and extended attributes
 * (filemeta.h), or is left as it was. 0 or -errno: -EROFS for a read-only
 * place, and -EROFS with why filled when something of the file could not be
 * kept ("cannot keep the file's group adm (gid 4) without CAP_CHOWN: ..."). */
int confedit_write_atomic(const char *path, const char *text, size_t len, char *why,
			  size_t size);

