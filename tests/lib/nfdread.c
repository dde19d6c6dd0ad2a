/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfdread.c: a feature file as NFD reads it (see nfdread.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strptime, timegm */
#endif
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "nfd.h"
#include "nfdread.h"

static long long rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	cr_assert(end && !*end, "not RFC 3339 UTC: %s", s);
	return (long long)timegm(&tm);
}

size_t nfdread_check(char *text, long long min_s, long long max_s)
{
	char *save = NULL;
	size_t labels = 0;
	bool expiry_seen = false;

	cr_assert_leq(strlen(text), NFD_MAX_BYTES, "nfd-worker ignores a file over 64 KiB");
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;

		if (strncmp(line, "# +", 3) == 0) {
			/* nfd-worker knows expiry-time, no-label and no-feature */
			cr_assert_eq(strncmp(line, "# +expiry-time=", 15), 0, "directive: %s", line);
			cr_assert_geq(rfc3339(line + 15), min_s, "expires too soon: %s", line);
			cr_assert_leq(rfc3339(line + 15), max_s, "expires too late: %s", line);
			expiry_seen = true;
			continue;
		}
		if (line[0] == '#')
			continue;
		cr_assert(expiry_seen, "a label before the expiry directive: %s", line);
		eq = strchr(line, '=');
		cr_assert_not_null(eq, "%s", line);
		*eq = '\0';
		cr_assert(nfd_key_valid(line), "key %s", line);
		cr_assert_eq(strncmp(line, "feature.node.kubernetes.io/", 27), 0,
			     "a namespace nfd-master allows by default: %s", line);
		cr_assert(nfd_value_valid(eq + 1), "value %s", eq + 1);
		labels++;
	}
	return labels;
}
