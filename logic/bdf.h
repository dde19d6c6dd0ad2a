/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bdf.h: the PCI address grammar, shared by daemon, client and config.
 *
 * Every device name that comes from outside (config file, socket, command
 * line, udev) goes through bdf_parse() before it is ever joined into a path:
 * the grammar admits only hex digits, ':' and '.', so "../" or "/" can never
 * reach a sysfs path. Canonical form is the kernel's: "%04x:%02x:%02x.%x",
 * lower case (domains above 0xffff, as VMD creates, print with more digits). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define BDF_BUFSZ 20 /* "ffffffff:ff:1f.7" + NUL, with room */

struct pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev; /* 0..0x1f */
	uint8_t fn;  /* 0..7 */
};

/* Parse "DDDD:BB:dd.f" (domain 4 to 8 hex digits) or "BB:dd.f" (domain 0),
 * case-insensitive, nothing else around it. 0 or -EINVAL. */
int bdf_parse(const char *s, struct pci_addr *out);
/* Same, but only the full form with a domain (what sysfs and the socket use). */
int bdf_parse_full(const char *s, struct pci_addr *out);
void bdf_format(const struct pci_addr *a, char out[BDF_BUFSZ]);
/* Parse and write the canonical form; 0 or -EINVAL. */
int bdf_normalize(const char *in, char out[BDF_BUFSZ]);
/* true when s is exactly a canonical full BDF (safe as a path component). */
bool bdf_is_canonical(const char *s);
int bdf_compare(const struct pci_addr *a, const struct pci_addr *b);
