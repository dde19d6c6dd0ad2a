#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-pure.sh: the pure core stays pure, as a build fact.
#
# Every symbol that logic/ (libvblogic.a) leaves undefined must be defined by
# one of the pure objects checked together with it, or be one of the libc
# calls below, which only compute: strings and memory, allocation, number
# parsing, formatting into a buffer, sorting, pattern matching. Anything else
# (open, read, write, fopen, printf to a stream, stat, clock_gettime, time,
# getenv, the logger, syslog, sockets, threads) fails this test: the core
# takes data and times as arguments and returns data, and the layers above
# it do the I/O.
#
# Usage: check-pure.sh [ARCHIVE_OR_OBJECT...]  (default: the build tree's
# libvblogic.a and protocol's vocabulary object). Run by `make check`.
set -eu
builddir=${VFIOBIND_BUILDDIR:-.}
if [ $# -eq 0 ]; then
	set -- "$builddir/libvblogic.a"
	for o in "$builddir"/protocol/libvbproto_a-vocab.o; do
		[ -f "$o" ] && set -- "$@" "$o"
	done
fi
command -v nm >/dev/null || { echo "check-pure: nm not found (binutils)" >&2; exit 77; }

allowed='
memchr memcmp memcpy memmove memset memrchr
strcasecmp strncasecmp strchr strrchr strcmp strncmp strlen strnlen strpbrk strspn
strcspn strstr strtok_r strcpy strncpy strcat strncat strdup strndup
strtol strtoul strtoll strtoull strtod
snprintf vsnprintf sprintf vsprintf asprintf vasprintf
malloc calloc realloc free reallocarray
qsort bsearch fnmatch inet_pton inet_ntop
tolower toupper isspace isdigit isxdigit isalpha isalnum isprint
__ctype_b_loc __ctype_tolower_loc __ctype_toupper_loc __errno_location
__stack_chk_fail __assert_fail
__snprintf_chk __vsnprintf_chk __sprintf_chk __vsprintf_chk __memcpy_chk
__memmove_chk __memset_chk __strcpy_chk __strncpy_chk __strcat_chk
__asprintf_chk __vasprintf_chk
'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$@"; do
	[ -f "$f" ] || { echo "check-pure: $f: not built" >&2; exit 1; }
done
nm -u "$@" 2>/dev/null | awk 'NF >= 2 && $1 == "U" { print $2 }' | sort -u >"$tmp/undefined"
nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/defined"
printf '%s\n' $allowed | sort -u >"$tmp/allowed"
# Sanitizer builds add their runtime's hooks; they are not the code's calls.
comm -23 "$tmp/undefined" "$tmp/defined" | comm -23 - "$tmp/allowed" |
	grep -Ev '^__(asan|ubsan|tsan|sanitizer|lsan)_' >"$tmp/bad" || true
if [ -s "$tmp/bad" ]; then
	echo "check-pure: the pure core calls what it must not (I/O, clock, environment,"
	echo "logging): give it the data as an argument, or move the code to system/:"
	sed 's/^/  /' "$tmp/bad"
	for s in $(cat "$tmp/bad"); do
		nm -A -u "$@" 2>/dev/null | awk -v s="$s" '$NF == s { print "    used by " $1 }' | sort -u
	done
	exit 1
fi
n=$(wc -l <"$tmp/undefined")
echo "check-pure: $# object(s), $n undefined symbols, all pure or their own"
