/* SPDX-License-Identifier: GPL-2.0-or-later */
/* logcap.h: the daemon's log lines, kept in memory for a test to read
 * ("E ...", "W ...", "I ...", "D ..." one per line), or swallowed. */
#pragma once

/* Capture every line from debug up, starting from an empty buffer. */
void logcap_start(void);
/* Swallow every line (for tests whose subject logs but who check state). */
void logcap_quiet(void);
/* What was captured since logcap_start() (truncated past 64 KiB). */
const char *logcap_text(void);
/* Back to stderr. */
void logcap_stop(void);
