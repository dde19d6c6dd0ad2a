/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfdread.h: read a Node Feature Discovery feature file as nfd-worker's
 * local source and nfd-master do (NFD's source/local/local.go and
 * pkg/apis/nfd/validate), asserting each rule: the file at most 64 KiB; a
 * "# +" line is a directive, and only expiry-time (RFC 3339, UTC here) is
 * ours; every other '#' line a comment; each label after an expiry
 * directive, KEY=VALUE with a namespaced qualified name and a valid label
 * value. Shared by tests/unit/test-metrics.c (the formatter) and
 * tests/daemon/test-health.c (the daemon's file). */
#pragma once

#include <stddef.h>

/* Check text (changed in place) whose expiry must lie in [min_s, max_s]
 * (epoch seconds); returns the number of labels. */
size_t nfdread_check(char *text, long long min_s, long long max_s);
