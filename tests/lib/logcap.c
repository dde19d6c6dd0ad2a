/* SPDX-License-Identifier: GPL-2.0-or-later */
/* logcap.c: see logcap.h. */
#include <string.h>

#include "log.h"
#include "logcap.h"

static char buf[64 * 1024];

static void capture(enum log_level level, const char *line, void *ud)
{
	static const char *const lv[] = { "E", "W", "I", "D" };
	size_t n = strlen(buf);

	(void)ud;
	snprintf(buf + n, sizeof(buf) - n, "%s %s\n", lv[level], line);
}

static void swallow(enum log_level level, const char *line, void *ud)
{
	(void)level;
	(void)line;
	(void)ud;
}

void logcap_start(void)
{
	buf[0] = '\0';
	log_set_level(LOG_LVL_DEBUG);
	log_set_sink(capture, NULL);
}

void logcap_quiet(void)
{
	log_set_sink(swallow, NULL);
}

const char *logcap_text(void)
{
	return buf;
}

void logcap_stop(void)
{
	log_set_sink(NULL, NULL);
}
