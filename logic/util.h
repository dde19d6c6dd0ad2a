/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h: the one cleanup idiom (used everywhere, by every layer), bounded
 * string copies and growing arrays. Pure: the functions here touch no file,
 * clock or environment (the cleanup helpers close and free what the caller
 * opened). Every function returns 0 (or a length) on success and -errno on
 * failure. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void util_freep(void *p) { free(*(void **)p); }
static inline void util_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void util_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void util_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(util_freep)
#define _cleanup_close_ _cleanup_(util_closep)
#define _cleanup_fclose_ _cleanup_(util_fclosep)
#define _cleanup_closedir_ _cleanup_(util_closedirp)
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

/* Copy src into dst (size bytes), always NUL-terminated. Returns strlen(src),
 * so a result >= size means truncation. */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* snprintf that reports truncation: 0, or -ENAMETOOLONG when buf was too small. */
int util_fmt(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);

/* Remove trailing and leading white space in place; returns s. */
char *util_strstrip(char *s);

/* Make room for one more element in the array *vp (a T ** passed as void *:
 * n used, *cap allocated, elem bytes each). Capacity doubles from 8; on
 * failure the array is left as it was. 0 or -ENOMEM. */
int util_grow(void *vp, size_t n, size_t *cap, size_t elem);
