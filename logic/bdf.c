/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bdf.c: strict parsing of PCI addresses; the gate between outside input and
 * sysfs paths. */
#include <errno.h>
#include <string.h>

#include "bdf.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Read exactly between min and max hex digits from *p. */
static int hexfield(const char **p, int min, int max, unsigned long *out)
{
	unsigned long v = 0;
	int n = 0, d;

	while (n < max && (d = hexval((*p)[n])) >= 0) {
		v = v * 16 + (unsigned long)d;
		n++;
	}
	if (n < min || hexval((*p)[n]) >= 0)
		return -EINVAL;
	*p += n;
	*out = v;
	return 0;
}

static int parse(const char *s, struct pci_addr *out, bool need_domain)
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = s, *colon;

	if (!s)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon)
		return -EINVAL;
	if (strchr(colon + 1, ':')) {
		if (hexfield(&p, 4, 8, &dom) < 0 || *p++ != ':')
			return -EINVAL;
	} else if (need_domain) {
		return -EINVAL;
	}
	if (hexfield(&p, 2, 2, &bus) < 0 || *p++ != ':')
		return -EINVAL;
	if (hexfield(&p, 2, 2, &dev) < 0 || *p++ != '.')
		return -EINVAL;
	if (hexfield(&p, 1, 1, &fn) < 0 || *p != '\0')
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	out->domain = (uint32_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
}

int bdf_parse(const char *s, struct pci_addr *out)
{
	return parse(s, out, false);
}

int bdf_parse_full(const char *s, struct pci_addr *out)
{
	return parse(s, out, true);
}

/* v in lowercase hex, at least width digits; returns the end. */
static char *put_hex(char *p, unsigned long v, int width)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v || n < width);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "%04x:%02x:%02x.%x" by hand: a scan formats and checks every function's
 * name, and snprintf costs ten times this. */
void bdf_format(const struct pci_addr *a, char out[BDF_BUFSZ])
{
	char *p = put_hex(out, a->domain, 4);

	*p++ = ':';
	p = put_hex(p, a->bus, 2);
	*p++ = ':';
	p = put_hex(p, a->dev, 2);
	*p++ = '.';
	p = put_hex(p, a->fn, 1);
	*p = '\0';
}

int bdf_normalize(const char *in, char out[BDF_BUFSZ])
{
	struct pci_addr a;
	int r = bdf_parse(in, &a);

	if (r < 0)
		return r;
	bdf_format(&a, out);
	return 0;
}

bool bdf_is_canonical(const char *s)
{
	struct pci_addr a;
	char buf[BDF_BUFSZ];

	if (!s || bdf_parse_full(s, &a) < 0)
		return false;
	bdf_format(&a, buf);
	return strcmp(buf, s) == 0;
}

int bdf_compare(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	return 0;
}
