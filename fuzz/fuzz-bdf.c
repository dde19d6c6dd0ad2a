/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-bdf.c: libFuzzer target for the PCI address grammar (logic/bdf.c),
 * the gate between outside input and sysfs paths.
 *
 * Properties checked on every input (abort() on violation, so libFuzzer
 * saves the input):
 *  - bdf_parse() agrees with an independent reference recogniser of the
 *    grammar in bdf.h ("DDDD:BB:dd.f" with 4 to 8 domain digits, or
 *    "BB:dd.f"; hex, any case; dev <= 0x1f, fn <= 7; nothing around it);
 *  - bdf_parse_full() accepts exactly the accepted inputs that have a domain;
 *  - an accepted address formats to a canonical string: only lower-case hex,
 *    ':' and '.', no '/' and no "..", fits BDF_BUFSZ, bdf_is_canonical() says
 *    so, and it parses back (short and full form) to an equal address;
 *  - bdf_normalize() gives the same text, and a canonical input is a fixed
 *    point of it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bdf.h"
#include "fuzz.h"

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Count the hex digits at s. */
static size_t hexrun(const char *s)
{
	size_t n = 0;

	while (hexv(s[n]) >= 0)
		n++;
	return n;
}

static unsigned long hexnum(const char *s, size_t n)
{
	unsigned long v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 16 + (unsigned long)hexv(s[i]);
	return v;
}

/* The grammar of bdf.h written a second time, differently: 1 and *out, or 0.
 * *has_domain says which form matched. */
static int ref_parse(const char *s, struct pci_addr *out, int *has_domain)
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = s;
	size_t n = hexrun(p);

	*has_domain = 0;
	if (n >= 4 && n <= 8 && p[n] == ':' && hexrun(p + n + 1) == 2 &&
	    p[n + 3] == ':') {
		dom = hexnum(p, n);
		p += n + 1;
		*has_domain = 1;
		n = hexrun(p);
	}
	if (n != 2 || p[2] != ':')
		return 0;
	bus = hexnum(p, 2);
	p += 3;
	if (hexrun(p) != 2 || p[2] != '.')
		return 0;
	dev = hexnum(p, 2);
	p += 3;
	if (hexrun(p) != 1 || p[1] != '\0')
		return 0;
	fn = hexnum(p, 1);
	if (dev > 0x1f || fn > 7)
		return 0;
	out->domain = (uint32_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 1;
}

static void check_canonical_text(const char *t)
{
	size_t len = strnlen(t, BDF_BUFSZ);

	CHECK(len < BDF_BUFSZ);
	CHECK(len >= 12); /* "0000:00:00.0" */
	CHECK(!strchr(t, '/'));
	CHECK(!strstr(t, ".."));
	for (size_t i = 0; i < len; i++)
		CHECK((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f') ||
		      t[i] == ':' || t[i] == '.');
	CHECK(bdf_is_canonical(t));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pci_addr a, b, ref;
	char text[BDF_BUFSZ], norm[BDF_BUFSZ];
	int ok, ok_full, ref_ok, has_domain;
	char *s;

	if (size > 256)
		return 0; /* no valid address is longer than 17 bytes */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* an embedded NUL just ends the string, as in C callers */

	memset(&a, 0xa5, sizeof(a));
	ok = bdf_parse(s, &a) == 0;
	ref_ok = ref_parse(s, &ref, &has_domain);
	CHECK(ok == ref_ok);
	memset(&b, 0x5a, sizeof(b));
	ok_full = bdf_parse_full(s, &b) == 0;
	CHECK(ok_full == (ok && has_domain));

	if (ok) {
		CHECK(bdf_compare(&a, &ref) == 0);
		CHECK(a.dev <= 0x1f && a.fn <= 7);
		if (ok_full)
			CHECK(bdf_compare(&a, &b) == 0);

		bdf_format(&a, text);
		check_canonical_text(text);

		memset(&b, 0x5a, sizeof(b));
		CHECK(bdf_parse(text, &b) == 0);
		CHECK(bdf_compare(&a, &b) == 0);
		memset(&b, 0x5a, sizeof(b));
		CHECK(bdf_parse_full(text, &b) == 0);
		CHECK(bdf_compare(&a, &b) == 0);

		CHECK(bdf_normalize(s, norm) == 0);
		CHECK(strcmp(norm, text) == 0);
		/* canonical input <=> it is its own normal form (full form) */
		CHECK(bdf_is_canonical(s) == (has_domain && strcmp(s, text) == 0));
	} else {
		CHECK(bdf_normalize(s, norm) < 0);
		CHECK(!bdf_is_canonical(s));
	}
	free(s);
	return 0;
}
