/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfd.c: the Node Feature Discovery feature file (see nfd.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nfd.h"
#include "strbuf.h"
#include "util.h"

#define NFD_NAME_MAX 63
#define NFD_PREFIX_MAX 253

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, len bytes at most max. */
static bool name_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || !alnum(s[0]) || !alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS-1123 subdomain: lower case alphanumerics, '-' and '.', an
 * alphanumeric at both ends, at most 253 characters. */
static bool subdomain_valid(const char *s, size_t len)
{
	if (len == 0 || len > NFD_PREFIX_MAX || !alnum(s[0]) || !alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

bool nfd_value_valid(const char *s)
{
	return !*s || name_valid(s, strlen(s), NFD_NAME_MAX);
}

bool nfd_key_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash || strchr(slash + 1, '/'))
		return false;
	return subdomain_valid(s, (size_t)(slash - s)) &&
	       name_valid(slash + 1, strlen(slash + 1), NFD_NAME_MAX);
}

/* The civil date of a day count since 1970-01-01 (proleptic Gregorian;
 * H. Hinnant's days_from_civil inverse), so the pure core needs no gmtime. */
static void civil(long long days, long long *y, int *m, int *d)
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int nfd_rfc3339(long long t, char *buf, size_t size)
{
	long long days = t / 86400, secs = t % 86400, y;
	int m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &y, &m, &d);
	return util_fmt(buf, size, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ", y, m, d, secs / 3600,
			secs / 60 % 60, secs % 60);
}

int nfd_format(const struct nfd_input *in, char **out)
{
	struct strbuf b = { 0 };
	char when[32];

	nfd_rfc3339(in->expiry_s, when, sizeof(when));
	/* The directive first: it applies to the lines after it. */
	strbuf_addf(&b, "# +expiry-time=%s\n", when);
	strbuf_add(&b, "# Written by vfiobindd (--nfd-features), refreshed before it expires.\n");
	strbuf_addf(&b, NFD_PREFIX "health=%s\n", health_word_name(in->health));
	strbuf_addf(&b, NFD_PREFIX "vfio-pci-devices=%lu\n", in->vfio_pci);
	for (size_t i = 0; i < in->n_ids; i++) {
		char line[128];

		snprintf(line, sizeof(line), NFD_PREFIX "vfio-pci-%04x-%04x=%lu\n",
			 in->ids[i].vendor, in->ids[i].device, in->ids[i].n);
		/* Over the limit nfd-worker would drop every label, health too. */
		if (b.len + strlen(line) > NFD_MAX_BYTES)
			break;
		strbuf_add(&b, line);
	}
	*out = strbuf_take(&b);
	return *out ? 0 : -ENOMEM;
}
