/* SPDX-License-Identifier: GPL-2.0-or-later */
/* strbuf.h: a growing text buffer for the pure formatters (metrics.c,
 * nfd.c). An allocation failure is remembered and reported once, by
 * strbuf_take(), so a formatter need not check every append. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

void strbuf_add(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...) _printf_(2, 3);
/* The text (malloc'd, the caller's), or NULL when an append ran out of
 * memory; b is empty afterwards either way. */
char *strbuf_take(struct strbuf *b);
void strbuf_clear(struct strbuf *b);
