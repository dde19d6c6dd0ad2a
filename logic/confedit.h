/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confedit.h: changing the desired state on behalf of `add` and `remove`,
 * the pure half: text edits and runtime (in-memory) edits.
 *
 * Two ways, chosen by the request's "runtime" flag:
 *  - the config FILE (system/confedit-file.h): every other line, comment,
 *    blank and line end stays byte for byte (confedit_text_*() here); the new
 *    text is validated with config_parse() before anything is written;
 *  - the config in MEMORY (runtime): a copy of the config in force with the
 *    entry added or removed, for engine_apply_config(); the file is untouched.
 *
 * Lines match when their NODE word and their selector are equal (the options
 * do not matter): `add` of a line whose node and selector already have a line
 * replaces that line in place instead of making two lines that disagree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Do entries a and b have the same NODE word and an equal selector? */
bool confedit_entry_same_target(const struct cfg_entry *a, const struct cfg_entry *b);

/* Pure text edits (the file's bytes in, new bytes out, caller frees *out).
 * text may be NULL with len 0 (a missing file). line is one entry without a
 * line end; the file's own line end (LF or CRLF, from its first line) is used.
 * add: *replaced tells whether a line with the same node and selector was
 * rewritten in place (the first such; later duplicates are removed).
 * remove: node NULL matches any node; *removed counts the lines dropped.
 * Returns 0, -EINVAL when line does not parse, -ENOMEM. */
int confedit_text_add(const char *text, size_t len, const char *line, char **out,
		      size_t *out_len, bool *replaced);
int confedit_text_remove(const char *text, size_t len, const char *node,
			 const struct cfg_selector *sel, char **out, size_t *out_len,
			 unsigned *removed);

/* Runtime edits: a new config (caller owns; hand it to engine_apply_config)
 * made from c with the entry added (replacing one with the same target; a new
 * one is numbered after the last line) or the matching entries removed. */
int confedit_config_add(const struct config *c, const char *line, struct config **out,
			bool *replaced, char *msg, size_t msgsize);
int confedit_config_remove(const struct config *c, const char *node,
			   const struct cfg_selector *sel, struct config **out, unsigned *removed);
