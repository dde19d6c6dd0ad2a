/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz.h: what the libFuzzer targets share: the invariant check and the list
 * of known findings a run may be told to tolerate.
 *
 * CHECK() prints the failed condition and aborts, so libFuzzer stops and
 * saves the input as a crash. A known, reported but not yet fixed finding
 * would stop every run within seconds; FUZZ_TOLERATE (a comma list of the
 * names used with fuzz_tolerated(), or "all") lets a run step over it and
 * keep looking for others. run.sh leaves it empty: every finding fails. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",        \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* true when FUZZ_TOLERATE names this finding (or is "all"). */
static inline bool fuzz_tolerated(const char *name)
{
	const char *t = getenv("FUZZ_TOLERATE"), *p;
	size_t n = strlen(name);

	if (!t)
		return false;
	if (!strcmp(t, "all"))
		return true;
	for (p = t; (p = strstr(p, name)); p += n)
		if ((p == t || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}
