/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-bdf.c: the PCI address grammar, the gate between outside input and
 * sysfs paths. Whatever it accepts is joined into a path, so the rejections
 * matter as much as the acceptances. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bdf.h"

static void expect_parse(const char *s, uint32_t domain, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct pci_addr a;

	cr_assert_eq(bdf_parse(s, &a), 0, "%s rejected", s);
	cr_assert_eq(a.domain, domain, "%s: domain %x", s, a.domain);
	cr_assert_eq(a.bus, bus, "%s: bus %x", s, a.bus);
	cr_assert_eq(a.dev, dev, "%s: dev %x", s, a.dev);
	cr_assert_eq(a.fn, fn, "%s: fn %x", s, a.fn);
}

static void expect_reject(const char *s)
{
	struct pci_addr a;

	cr_assert_eq(bdf_parse(s, &a), -EINVAL, "\"%s\" accepted", s);
	cr_assert_eq(bdf_parse_full(s, &a), -EINVAL, "\"%s\" accepted as full", s);
}

static void expect_normal(const char *in, const char *want)
{
	char out[BDF_BUFSZ];

	cr_assert_eq(bdf_normalize(in, out), 0, "%s rejected", in);
	cr_assert_str_eq(out, want);
}

Test(bdf, parses_the_full_form)
{
	expect_parse("0000:03:00.1", 0, 3, 0, 1);
	expect_parse("0000:ff:1f.7", 0, 0xff, 0x1f, 7);
	expect_parse("0001:00:00.0", 1, 0, 0, 0);
}

Test(bdf, parses_the_short_form_as_domain_zero)
{
	expect_parse("03:00.1", 0, 3, 0, 1);
	expect_parse("ff:1f.7", 0, 0xff, 0x1f, 7);
}

Test(bdf, accepts_vmd_domains_up_to_eight_digits)
{
	expect_parse("10000:00:01.0", 0x10000, 0, 1, 0);
	expect_parse("ffffffff:00:00.0", 0xffffffff, 0, 0, 0);
	expect_reject("100000000:00:00.0");
}

Test(bdf, accepts_upper_case_and_normalises_it)
{
	expect_parse("0000:AF:1F.7", 0, 0xaf, 0x1f, 7);
	expect_normal("0000:AF:1F.7", "0000:af:1f.7");
	expect_normal("Af:0a.3", "0000:af:0a.3");
	expect_normal("0000ABCD:00:00.0", "abcd:00:00.0");
	expect_normal("10000:00:01.0", "10000:00:01.0");
}

Test(bdf, rejects_path_tricks)
{
	expect_reject("../0000:03:00.0");
	expect_reject("0000:03:00.0/..");
	expect_reject("0000:03:00.0/");
	expect_reject("/0000:03:00.0");
	expect_reject("..");
	expect_reject(".");
	expect_reject("");
	expect_reject("0000:03:00.0/../../../../etc");
	expect_reject("0000:03:00.0\n");
}

Test(bdf, rejects_null)
{
	struct pci_addr a;
	char out[BDF_BUFSZ];

	cr_assert_eq(bdf_parse(NULL, &a), -EINVAL);
	cr_assert_eq(bdf_parse_full(NULL, &a), -EINVAL);
	cr_assert_eq(bdf_normalize(NULL, out), -EINVAL);
	cr_assert_not(bdf_is_canonical(NULL));
}

Test(bdf, rejects_device_above_1f_and_function_above_7)
{
	expect_reject("0000:03:20.0");
	expect_reject("03:ff.0");
	expect_reject("0000:03:00.8");
	expect_reject("03:00.f");
}

Test(bdf, rejects_overlong_and_short_fields)
{
	expect_reject("000:03:00.0");	/* domain needs 4..8 digits */
	expect_reject("0000:003:00.0");
	expect_reject("0000:3:00.0");
	expect_reject("0000:03:000.0");
	expect_reject("0000:03:0.0");
	expect_reject("0000:03:00.00");
	expect_reject("0000:03:00.");
	expect_reject("3:00.0");
}

Test(bdf, rejects_wrong_separators_and_garbage)
{
	expect_reject("0000:03:00:0");
	expect_reject("0000.03.00.0");
	expect_reject("0000-03-00.0");
	expect_reject("0000:03:00.0 ");
	expect_reject(" 0000:03:00.0");
	expect_reject("0000:03:00.0x");
	expect_reject("0000:03:00.1.2");
	expect_reject("0000:0g:00.0");
	expect_reject("0x00:03:00.0");
	expect_reject("0000:03:00.-1");
	expect_reject("0000::03:00.0");
	expect_reject(":03:00.0");
	expect_reject("00:00:03:00.0");
}

Test(bdf, full_parse_requires_the_domain)
{
	struct pci_addr a;

	cr_assert_eq(bdf_parse_full("03:00.0", &a), -EINVAL);
	cr_assert_eq(bdf_parse_full("0000:03:00.0", &a), 0);
	cr_assert_eq(a.bus, 3);
}

Test(bdf, formats_canonically)
{
	struct pci_addr a = { .domain = 0, .bus = 3, .dev = 0x1f, .fn = 7 };
	char out[BDF_BUFSZ];

	bdf_format(&a, out);
	cr_assert_str_eq(out, "0000:03:1f.7");
	a.domain = 0xffffffff;
	a.bus = 0xff;
	bdf_format(&a, out);
	cr_assert_str_eq(out, "ffffffff:ff:1f.7");
}

/* bdf_format writes the digits by hand: it must say what printf says. */
Test(bdf, formats_as_printf_does)
{
	static const uint32_t domains[] = { 0, 1, 0xa, 0xabc, 0xffff, 0x10000, 0xfffff, 0x1000000,
					    0xffffffff };
	char out[BDF_BUFSZ], want[BDF_BUFSZ];

	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		for (unsigned bus = 0; bus < 256; bus += 17)
			for (unsigned dev = 0; dev < 32; dev++)
				for (unsigned fn = 0; fn < 8; fn++) {
					struct pci_addr a = { .domain = domains[i],
							      .bus = (uint8_t)bus,
							      .dev = (uint8_t)dev,
							      .fn = (uint8_t)fn };

					bdf_format(&a, out);
					snprintf(want, sizeof(want), "%04x:%02x:%02x.%x",
						 a.domain, a.bus, a.dev, a.fn);
					cr_assert_str_eq(out, want);
					cr_assert(bdf_is_canonical(out), "%s", out);
				}
}

Test(bdf, is_canonical_only_for_the_kernels_spelling)
{
	cr_assert(bdf_is_canonical("0000:03:00.1"));
	cr_assert(bdf_is_canonical("10000:00:01.0"));
	cr_assert_not(bdf_is_canonical("0000:AF:00.1"));
	cr_assert_not(bdf_is_canonical("03:00.1"));
	cr_assert_not(bdf_is_canonical("00000:03:00.1"));
	cr_assert_not(bdf_is_canonical("0000:03:00.1\n"));
	cr_assert_not(bdf_is_canonical("../0000:03:00.1"));
	cr_assert_not(bdf_is_canonical(""));
}

Test(bdf, compares_in_address_order)
{
	struct pci_addr a, b;

	bdf_parse("0000:03:00.1", &a);
	bdf_parse("03:00.1", &b);
	cr_assert_eq(bdf_compare(&a, &b), 0);
	bdf_parse("0000:03:00.2", &b);
	cr_assert_lt(bdf_compare(&a, &b), 0);
	cr_assert_gt(bdf_compare(&b, &a), 0);
	bdf_parse("0000:04:00.0", &b);
	cr_assert_lt(bdf_compare(&a, &b), 0);
	bdf_parse("0000:03:01.0", &b);
	cr_assert_lt(bdf_compare(&a, &b), 0);
	bdf_parse("0001:00:00.0", &b);
	cr_assert_lt(bdf_compare(&a, &b), 0);
}
