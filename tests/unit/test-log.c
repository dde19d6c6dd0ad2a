/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-log.c: logging (system/log.c), above all the rate limit that keeps a
 * peer from making the daemon write a line per refused connection. Times are
 * given to log_ratelimited_at(), never waited for. */
#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "logcap.h"

static void setup(void)
{
	logcap_start();
}

static void teardown(void)
{
	logcap_stop();
	log_set_level(LOG_LVL_INFO);
}

TestSuite(log, .init = setup, .fini = teardown);

static unsigned lines(void)
{
	unsigned n = 0;

	for (const char *p = logcap_text(); *p; p++)
		n += *p == '\n';
	return n;
}

Test(log, errno_lines_end_in_strerror_and_return_minus_errno)
{
	cr_assert_eq(log_errno(LOG_LVL_WARNING, 2, "open %s", "x"), -2);
	cr_assert_str_eq(logcap_text(), "W open x: No such file or directory\n");
}

Test(log, a_rate_limited_cause_prints_its_first_line_at_once)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(5000);

	cr_assert(log_ratelimited_at(&rl, 100, LOG_LVL_WARNING, "refusing %d", 1));
	cr_assert_str_eq(logcap_text(), "W refusing 1\n");
}

Test(log, a_flood_makes_one_line_per_interval_with_the_count_held_back)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(5000);
	unsigned printed = 0;

	/* 100000 refusals over 12.5 s: one line at 0, 5 and 10 s */
	for (long long i = 0; i < 100000; i++)
		printed += log_ratelimited_at(&rl, 1000 + i / 8, LOG_LVL_WARNING, "refusing %lld",
					      i);
	cr_assert_eq(printed, 3);
	cr_assert_eq(lines(), 3);
	cr_assert_str_eq(logcap_text(), "W refusing 0\n"
			 "W refusing 40000 (39999 more like this)\n"
			 "W refusing 80000 (39999 more like this)\n");
}

Test(log, lines_held_back_are_counted_in_the_next_line_however_late)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000);

	log_ratelimited_at(&rl, 0, LOG_LVL_WARNING, "a");
	log_ratelimited_at(&rl, 10, LOG_LVL_WARNING, "b");
	log_ratelimited_at(&rl, 20, LOG_LVL_WARNING, "c");
	log_ratelimited_at(&rl, 3600000, LOG_LVL_WARNING, "d");
	log_ratelimited_at(&rl, 7200000, LOG_LVL_WARNING, "e");
	cr_assert_str_eq(logcap_text(), "W a\nW d (2 more like this)\nW e\n");
}

Test(log, each_cause_has_its_own_limit)
{
	struct log_ratelimit busy = LOG_RATELIMIT_INIT(5000), creds = LOG_RATELIMIT_INIT(5000);

	log_ratelimited_at(&busy, 0, LOG_LVL_WARNING, "busy");
	log_ratelimited_at(&busy, 1, LOG_LVL_WARNING, "busy");
	log_ratelimited_at(&creds, 2, LOG_LVL_WARNING, "no credentials");
	cr_assert_str_eq(logcap_text(), "W busy\nW no credentials\n");
}

Test(log, a_line_below_the_level_neither_prints_nor_counts)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(5000);

	log_set_level(LOG_LVL_WARNING);
	cr_assert_not(log_ratelimited_at(&rl, 0, LOG_LVL_DEBUG, "quiet"));
	cr_assert(log_ratelimited_at(&rl, 1, LOG_LVL_WARNING, "loud"));
	cr_assert_str_eq(logcap_text(), "W loud\n");
}

Test(log, the_clock_reading_variant_prints_the_first_line)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000);

	cr_assert(log_ratelimited(&rl, LOG_LVL_INFO, "one"));
	cr_assert_not(log_ratelimited(&rl, LOG_LVL_INFO, "two"));
	cr_assert_str_eq(logcap_text(), "I one\n");
}
