/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c: leveled logging to stderr (journald-friendly under systemd), and
 * rate limits for lines a peer can make us repeat. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "log.h"

static enum log_level log_level = LOG_LVL_INFO;
static int log_timestamps = -1; /* -1: decide from the environment */
static log_sink_fn log_sink;
static void *log_sink_ud;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_parse_level(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0 ||
		    (s[0] && !s[1] && (s[0] | 0x20) == level_names[i][0]))
			return (int)i;
	if (strcasecmp(s, "warn") == 0)
		return LOG_LVL_WARNING;
	return -EINVAL;
}

void log_set_timestamps(bool on)
{
	log_timestamps = on;
}

void log_set_sink(log_sink_fn fn, void *ud)
{
	log_sink = fn;
	log_sink_ud = ud;
}

/* One line: fmt's text, then tail (": strerror", " (N more like this)") when
 * not NULL. */
static void log_vmsg(enum log_level level, const char *tail, const char *fmt, va_list ap)
{
	/* sd-daemon(3) priorities: err=3 warning=4 info=6 debug=7 */
	static const int prio[] = { 3, 4, 6, 7 };
	char line[2048];
	size_t n;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (tail) {
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, "%s", tail);
	}
	pthread_mutex_lock(&log_lock);
	if (log_sink) {
		log_sink(level, line, log_sink_ud);
	} else {
		if (log_timestamps < 0)
			log_timestamps = getenv("JOURNAL_STREAM") == NULL;
		if (log_timestamps) {
			struct timespec ts;
			struct tm tm;
			char when[32];

			clock_gettime(CLOCK_REALTIME, &ts);
			localtime_r(&ts.tv_sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
			fprintf(stderr, "%s.%03ld %-7s %s\n", when, ts.tv_nsec / 1000000,
				level_names[level], line);
		} else {
			fprintf(stderr, "<%d>%s\n", prio[level], line);
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

int log_errno(enum log_level level, int err, const char *fmt, ...)
{
	char tail[128];
	va_list ap;

	if (err < 0)
		err = -err;
	snprintf(tail, sizeof(tail), ": %s", strerror(err));
	va_start(ap, fmt);
	log_vmsg(level, tail, fmt, ap);
	va_end(ap);
	return -err;
}

/* Guards every struct log_ratelimit: workers may share a call site. */
static pthread_mutex_t ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether a line may print now; *held gets the count of lines held back
 * since the last one that printed. */
static bool ratelimit_pass(struct log_ratelimit *rl, long long now_ms, unsigned long *held)
{
	bool pass;

	pthread_mutex_lock(&ratelimit_lock);
	pass = !rl->started || now_ms >= rl->next_ms;
	if (pass) {
		*held = rl->held;
		rl->held = 0;
		rl->started = true;
		rl->next_ms = now_ms + rl->interval_ms;
	} else {
		rl->held++;
	}
	pthread_mutex_unlock(&ratelimit_lock);
	return pass;
}

static bool log_vratelimited(struct log_ratelimit *rl, long long now_ms, enum log_level level,
			     const char *fmt, va_list ap)
{
	unsigned long held = 0;
	char tail[64];

	/* A line below the level is no line: it neither prints nor counts. */
	if (level > log_level || !ratelimit_pass(rl, now_ms, &held))
		return false;
	if (held)
		snprintf(tail, sizeof(tail), " (%lu more like this)", held);
	log_vmsg(level, held ? tail : NULL, fmt, ap);
	return true;
}

bool log_ratelimited_at(struct log_ratelimit *rl, long long now_ms, enum log_level level,
			const char *fmt, ...)
{
	va_list ap;
	bool printed;

	va_start(ap, fmt);
	printed = log_vratelimited(rl, now_ms, level, fmt, ap);
	va_end(ap);
	return printed;
}

bool log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	bool printed;

	va_start(ap, fmt);
	printed = log_vratelimited(rl, clock_mono_ms(), level, fmt, ap);
	va_end(ap);
	return printed;
}
