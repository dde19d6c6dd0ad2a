/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h: leveled logging to stderr. Under systemd (JOURNAL_STREAM set) lines
 * carry sd-daemon "<N>" priority prefixes and no timestamps; elsewhere a
 * timestamp and level word. Tests may install a sink to capture lines.
 * log_errno() logs "...: strerror" and returns -abs(err), so one line both
 * reports and propagates an error. log_ratelimited() is for lines a peer can
 * make us repeat in a loop (a refused client, a failed accept). */
#pragma once

#include <stdbool.h>
#include "util.h"

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

typedef void (*log_sink_fn)(enum log_level level, const char *line, void *ud);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warning", "info", "debug" (or their first letter); -EINVAL otherwise. */
int log_parse_level(const char *s);
/* force timestamps on or off (default: off under systemd, on elsewhere) */
void log_set_timestamps(bool on);
void log_set_sink(log_sink_fn fn, void *ud);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);
int log_errno(enum log_level level, int err, const char *fmt, ...) _printf_(3, 4);

/* One cause of a repeated line (keep one per call site, static): its first
 * line prints, then at most one per interval_ms, ending in " (N more like
 * this)" for the lines held back since the last one printed. */
struct log_ratelimit {
	long long interval_ms;
	long long next_ms;	/* the next line may print from then */
	unsigned long held;	/* lines held back since the last printed */
	bool started;		/* a line printed already */
};
#define LOG_RATELIMIT_MS 5000
#define LOG_RATELIMIT_INIT(ms) { .interval_ms = (ms) }

/* log_msg() through rl, at now_ms on the monotonic clock (clock_mono_ms());
 * log_ratelimited() reads that clock itself. A line below the log level
 * neither prints nor counts. Thread-safe. True when the line printed. */
bool log_ratelimited_at(struct log_ratelimit *rl, long long now_ms, enum log_level level,
			const char *fmt, ...) _printf_(4, 5);
bool log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	_printf_(3, 4);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
