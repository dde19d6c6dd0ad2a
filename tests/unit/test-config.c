/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-config.c: the vfiobind.conf grammar, as a specification. The seed's
 * own examples come first: they must keep working byte for byte. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* By path: with -I. the autoconf "config.h" in the build tree would shadow
 * logic/config.h. */
#include "config.h"

/* The three-line block of the seed README, verbatim (two spaces after DEFAULT). */
static const char seed_block[] =
	"worker-0 0000:03:00.1\n"
	"worker-1 0000:03:00.2\n"
	"DEFAULT  0000:03:00.0\n";

/* ---- helpers ---------------------------------------------------------- */

static struct config *parse_ok(const char *text)
{
	struct cfg_errors errs = { 0 };
	struct config *c = NULL;
	int r = config_parse("test.conf", text, strlen(text), &c, &errs);

	for (size_t i = 0; i < errs.n; i++)
		cr_log_error("line %u: %s", errs.v[i].line, errs.v[i].msg);
	cr_assert_eq(r, 0, "config_parse: %d", r);
	cr_assert_not_null(c);
	cfg_errors_clear(&errs);
	return c;
}

/* Parse text (len bytes) expecting rejection; errs is filled. */
static void parse_bad_len(const char *text, size_t len, struct cfg_errors *errs)
{
	struct config *c = (struct config *)0x1;
	int r = config_parse("test.conf", text, len, &c, errs);

	cr_assert_eq(r, -EINVAL, "config_parse: %d", r);
	cr_assert_null(c, "*out must be NULL on error");
	cr_assert_gt(errs->n, 0);
}

static void parse_bad(const char *text, struct cfg_errors *errs)
{
	parse_bad_len(text, strlen(text), errs);
}

/* The single error of a one-bad-line text must be on line and contain want. */
static void expect_error(const char *text, unsigned line, const char *want)
{
	struct cfg_errors errs = { 0 };

	parse_bad(text, &errs);
	cr_assert_eq(errs.n, 1, "%s: %zu errors", text, errs.n);
	cr_assert_eq(errs.v[0].line, line, "%s: error on line %u", text, errs.v[0].line);
	cr_assert(strstr(errs.v[0].msg, want), "%s: message \"%s\" lacks \"%s\"", text,
		  errs.v[0].msg, want);
	cfg_errors_clear(&errs);
}

/* Parse one entry line; the caller clears it. */
static void line_ok(const char *line, struct cfg_entry *e)
{
	char msg[256] = "";
	int r = config_parse_line(line, 1, e, msg, sizeof(msg));

	cr_assert_eq(r, 0, "%s: %s", line, msg);
}

static void line_bad(const char *line, const char *want)
{
	struct cfg_entry e;
	char msg[256] = "";
	int r = config_parse_line(line, 1, &e, msg, sizeof(msg));

	cr_assert_eq(r, -EINVAL, "%s accepted", line);
	cr_assert(strstr(msg, want), "%s: message \"%s\" lacks \"%s\"", line, msg, want);
	cr_assert_null(e.vfs);
}

static void assert_entries_equal(const struct cfg_entry *a, const struct cfg_entry *b)
{
	cr_assert_str_eq(a->node, b->node);
	cr_assert_eq(a->node_kind, b->node_kind);
	cr_assert_eq(a->sel.kind, b->sel.kind);
	cr_assert_eq(bdf_compare(&a->sel.addr, &b->sel.addr), 0);
	cr_assert_eq(a->sel.vendor, b->sel.vendor);
	cr_assert_eq(a->sel.device, b->sel.device);
	cr_assert_eq(a->sel.class_code, b->sel.class_code);
	cr_assert_eq(a->sel.class_mask, b->sel.class_mask);
	cr_assert_str_eq(a->sel.ifname, b->sel.ifname);
	cr_assert_eq(a->sel.pf_by_addr, b->sel.pf_by_addr);
	cr_assert_str_eq(a->driver, b->driver);
	cr_assert_eq(a->driver_set, b->driver_set);
	cr_assert_eq(a->numvfs, b->numvfs);
	cr_assert_eq(a->vfs_given, b->vfs_given);
	cr_assert_eq(a->vfs_all, b->vfs_all);
	cr_assert_eq(a->n_vfs, b->n_vfs);
	for (size_t i = 0; i < a->n_vfs; i++) {
		cr_assert_eq(a->vfs[i].lo, b->vfs[i].lo);
		cr_assert_eq(a->vfs[i].hi, b->vfs[i].hi);
	}
	cr_assert_eq(a->group, b->group);
	cr_assert_eq(a->force, b->force);
}

static void expect_canonical(const char *line, const char *want)
{
	struct cfg_entry e;
	char buf[512];

	line_ok(line, &e);
	cr_assert_eq(config_format_entry(&e, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, want);
	config_entry_clear(&e);
}

/* ---- the seed format -------------------------------------------------- */

/* The seed's three entries, whatever the comments and line ends around them. */
static void assert_seed_entries(struct config *c)
{
	char bdf[BDF_BUFSZ];

	cr_assert_eq(c->n_entries, 3);
	cr_assert_str_eq(c->entries[0].node, "worker-0");
	cr_assert_eq(c->entries[0].node_kind, CFG_NODE_EXACT);
	cr_assert_eq(c->entries[0].sel.kind, CFG_SEL_BDF);
	bdf_format(&c->entries[0].sel.addr, bdf);
	cr_assert_str_eq(bdf, "0000:03:00.1");
	cr_assert_str_eq(c->entries[1].node, "worker-1");
	bdf_format(&c->entries[1].sel.addr, bdf);
	cr_assert_str_eq(bdf, "0000:03:00.2");
	cr_assert_eq(c->entries[2].node_kind, CFG_NODE_DEFAULT);
	bdf_format(&c->entries[2].sel.addr, bdf);
	cr_assert_str_eq(bdf, "0000:03:00.0");
	config_free(c);
}

Test(config, accepts_seed_example_verbatim)
{
	struct config *c = parse_ok(seed_block);

	cr_assert_str_eq(c->source, "test.conf");
	cr_assert_not(c->missing);
	assert_seed_entries(c);
}

Test(config, seed_lines_get_the_defaults)
{
	struct config *c = parse_ok(seed_block);

	for (size_t i = 0; i < c->n_entries; i++) {
		const struct cfg_entry *e = &c->entries[i];

		cr_assert_eq(e->line, i + 1);
		cr_assert_str_eq(e->driver, "vfio-pci");
		cr_assert_not(e->driver_set);
		cr_assert_eq(e->numvfs, -1);
		cr_assert_not(e->vfs_given);
		cr_assert_eq(e->group, CFG_GROUP_SELF);
		cr_assert_not(e->force);
	}
	config_free(c);
}

Test(config, accepts_seed_example_without_trailing_newline)
{
	assert_seed_entries(parse_ok("worker-0 0000:03:00.1\nworker-1 0000:03:00.2\nDEFAULT  0000:03:00.0"));
}

Test(config, accepts_seed_example_with_crlf_line_endings)
{
	assert_seed_entries(parse_ok("worker-0 0000:03:00.1\r\nworker-1 0000:03:00.2\r\n"
				     "DEFAULT  0000:03:00.0\r\n\r\n# done\r\n"));
}

Test(config, ignores_comments_blank_lines_and_indentation)
{
	assert_seed_entries(parse_ok("# /etc/sysconfig/vfio-pci-devices\n"
				     "\n"
				     "   \t \n"
				     "worker-0 0000:03:00.1   # the second port\n"
				     "  worker-1\t0000:03:00.2\t\n"
				     "\t# DEFAULT 0000:03:00.3 (disabled)\n"
				     "DEFAULT  0000:03:00.0 ### trailing hashes\n"));
}

Test(config, counts_comment_and_blank_lines_in_line_numbers)
{
	struct config *c = parse_ok("# header\n\nworker-0 0000:03:00.1 # trailing\n"
				    "\t\n  worker-1\t0000:03:00.2\t\nDEFAULT  0000:03:00.0\n");

	cr_assert_eq(c->n_entries, 3);
	cr_assert_eq(c->entries[0].line, 3);
	cr_assert_eq(c->entries[1].line, 5);
	cr_assert_str_eq(c->entries[1].node, "worker-1");
	cr_assert_eq(c->entries[2].line, 6);
	config_free(c);
}

Test(config, hash_starts_a_comment_only_at_the_start_of_a_word)
{
	expect_error("DEFAULT 0000:03:00.0# note\n", 1, "invalid device \"0000:03:00.0#\"");
}

Test(config, accepts_utf8_byte_order_mark)
{
	struct config *c = parse_ok("\xef\xbb\xbfworker-0 0000:03:00.1\n");

	cr_assert_str_eq(c->entries[0].node, "worker-0");
	config_free(c);
}

Test(config, empty_text_is_an_empty_config)
{
	struct config *c = parse_ok("");

	cr_assert_eq(c->n_entries, 0);
	config_free(c);
	c = parse_ok("# nothing here\n\n");
	cr_assert_eq(c->n_entries, 0);
	config_free(c);
}

Test(config, new_empty_is_an_empty_desired_state)
{
	struct config *c = config_new_empty("/etc/vfiobind/vfiobind.conf");

	cr_assert_not_null(c);
	cr_assert_eq(c->n_entries, 0);
	cr_assert_str_eq(c->source, "/etc/vfiobind/vfiobind.conf");
	config_free(c);
	config_free(NULL);
}

Test(config, keeps_duplicate_identical_lines_for_the_planner)
{
	struct config *c = parse_ok("DEFAULT 03:00.0\nDEFAULT 03:00.0\n");

	cr_assert_eq(c->n_entries, 2);
	config_free(c);
}

/* ---- NODE ------------------------------------------------------------- */

Test(config, classifies_nodes_as_exact_glob_or_default)
{
	struct config *c = parse_ok("worker-0 03:00.0\nworker-* 03:00.0\nw?rker-[0-3] 03:00.0\n"
				    "DEFAULT 03:00.0\nnode.example.com 03:00.0\n");

	cr_assert_eq(c->entries[0].node_kind, CFG_NODE_EXACT);
	cr_assert_eq(c->entries[1].node_kind, CFG_NODE_GLOB);
	cr_assert_eq(c->entries[2].node_kind, CFG_NODE_GLOB);
	cr_assert_eq(c->entries[3].node_kind, CFG_NODE_DEFAULT);
	cr_assert_eq(c->entries[4].node_kind, CFG_NODE_EXACT);
	config_free(c);
}

Test(config, default_must_be_written_in_capitals)
{
	expect_error("default 03:00.0\n", 1, "write DEFAULT in capitals");
	expect_error("Default 03:00.0\n", 1, "write DEFAULT in capitals");
}

Test(config, rejects_invalid_node_names)
{
	expect_error("work/er 03:00.0\n", 1, "invalid node name \"work/er\"");
	expect_error("../x 03:00.0\n", 1, "invalid node name");
	expect_error("wörker 03:00.0\n", 1, "invalid node name \"w\\xc3\\xb6rker\"");
	expect_error("a:b 03:00.0\n", 1, "invalid node name");
}

Test(config, limits_node_names_to_253_bytes)
{
	char line[600];

	memset(line, 'a', 253);
	strcpy(line + 253, " 03:00.0");
	config_free(parse_ok(line));
	memset(line, 'a', 254);
	strcpy(line + 254, " 03:00.0");
	expect_error(line, 1, "too long (254 bytes; at most 253)");
}

Test(config, rejects_invalid_globs)
{
	expect_error("worker-[0 03:00.0\n", 1, "invalid node glob \"worker-[0\"");
	expect_error("worker-0] 03:00.0\n", 1, "']' without a matching '['");
	expect_error("worker-[] 03:00.0\n", 1, "invalid node glob");
	expect_error("worker-[!] 03:00.0\n", 1, "invalid node glob");
	expect_error("work/* 03:00.0\n", 1, "invalid node glob");
	expect_error("worker-[[:digit:]] 03:00.0\n", 1, "invalid node glob");
}

Test(config, accepts_valid_globs)
{
	struct config *c = parse_ok("* 03:00.0\nworker-[!0]* 03:00.0\nworker-[^0-3] 03:00.0\n"
				    "w?.example.com 03:00.0\n");

	cr_assert_eq(c->n_entries, 4);
	config_free(c);
}

Test(config, a_device_in_node_position_means_the_node_is_missing)
{
	expect_error("0000:03:00.1\n", 1, "missing node before device \"0000:03:00.1\"");
}

/* ---- node matching ---------------------------------------------------- */

static bool node_matches(const char *node_word, const char *host)
{
	struct cfg_entry e;
	char line[300];
	bool m;

	snprintf(line, sizeof(line), "%s 03:00.0", node_word);
	line_ok(line, &e);
	m = config_node_matches(&e, host);
	config_entry_clear(&e);
	return m;
}

/* NODE word, node name, does the line apply? */
static const struct {
	const char *node, *host;
	bool match;
} node_cases[] = {
	/* exact: the full name, or the short name of a qualified host */
	{ "worker-0", "worker-0", true },
	{ "worker-0.example.com", "worker-0.example.com", true },
	{ "worker-0", "worker-0.example.com", true },
	{ "worker-0", "worker-1", false },
	{ "worker-0", "worker-01", false },
	{ "worker-0", "worker-", false },
	{ "worker-0.example.com", "worker-0", false },
	{ "worker-0.example", "worker-0.example.com", false },
	{ "example", "worker-0.example.com", false },
	/* case never matters */
	{ "Worker-0", "worker-0", true },
	{ "worker-0", "WORKER-0.Example.COM", true },
	{ "WORKER-*", "worker-3", true },
	/* globs: the full or the short name */
	{ "worker-*", "worker-12", true },
	{ "worker-?", "worker-1.example.com", true },
	{ "*.example.com", "worker-1.example.com", true },
	{ "worker-[0-3]", "worker-2", true },
	{ "worker-[0-3]", "worker-4", false },
	{ "worker-[!0]", "worker-5", true },
	{ "worker-[!0]", "worker-0", false },
	{ "master-*", "worker-0", false },
	/* DEFAULT: every node */
	{ "DEFAULT", "worker-0", true },
	{ "DEFAULT", "anything.example.com", true },
	{ "DEFAULT", "", true },
};

Test(node_match, follows_the_node_rules)
{
	for (size_t i = 0; i < sizeof(node_cases) / sizeof(node_cases[0]); i++)
		cr_expect_eq(node_matches(node_cases[i].node, node_cases[i].host),
			     node_cases[i].match, "%s on %s: expected %s", node_cases[i].node,
			     node_cases[i].host, node_cases[i].match ? "match" : "no match");
}

Test(node_match, no_node_name_matches_only_default)
{
	struct cfg_entry e;

	line_ok("worker-0 03:00.0", &e);
	cr_assert_not(config_node_matches(&e, NULL));
	cr_assert_not(config_node_matches(&e, ""));
	line_ok("* 03:00.0", &e);
	cr_assert_not(config_node_matches(&e, NULL));
	line_ok("DEFAULT 03:00.0", &e);
	cr_assert(config_node_matches(&e, NULL));
}

/* ---- DEVICE ----------------------------------------------------------- */

Test(config, accepts_full_short_and_uppercase_bdf)
{
	struct cfg_entry e;
	char buf[64];

	line_ok("n 0000:03:00.1", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_BDF);
	line_ok("n 03:1F.7", &e);
	config_format_selector(&e.sel, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0000:03:1f.7");
	line_ok("n 0001AB:FF:00.0", &e);
	config_format_selector(&e.sel, buf, sizeof(buf));
	cr_assert_str_eq(buf, "01ab:ff:00.0");
	cr_assert_eq(e.sel.addr.domain, 0x1ab);
}

Test(config, invalid_device_names_the_text_and_the_expected_forms)
{
	expect_error("worker-0 03:00:1\n", 1,
		     "invalid device \"03:00:1\": expected DOMAIN:BUS:DEVICE.FUNCTION, "
		     "BUS:DEVICE.FUNCTION, id=, class=, ifname= or pf=");
}

Test(config, rejects_bad_bdfs)
{
	static const char *const bad[] = {
		"03:00.8", "03:20.0", "3:00.0", "0000:03:00", "0000:03:00.1.2",
		"../03:00.0", "0000:03:00.0/..", "/sys/bus/pci/devices/0000:03:00.0",
		"000000000:03:00.0", "vendor=8086",
	};
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "n %s\n", bad[i]);
		expect_error(line, 1, "invalid device");
	}
}

Test(config, reports_a_missing_device)
{
	expect_error("worker-0\n", 1, "missing device after node \"worker-0\"");
	expect_error("worker-0   # comment\n", 1, "missing device");
	expect_error("worker-0 driver=igb\n", 1, "missing device before driver=");
	expect_error("worker-0 numvfs=4\n", 1, "missing device before numvfs=");
}

Test(config, accepts_vendor_device_ids)
{
	struct cfg_entry e;

	line_ok("DEFAULT id=8086:10D3", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_ID);
	cr_assert_eq(e.sel.vendor, 0x8086);
	cr_assert_eq(e.sel.device, 0x10d3);
}

Test(config, rejects_bad_ids)
{
	line_bad("n id=8086:10d", "invalid id \"8086:10d\": expected id=VVVV:DDDD");
	line_bad("n id=08086:10d3", "invalid id");
	line_bad("n id=8086-10d3", "invalid id");
	line_bad("n id=8086:10d3x", "invalid id");
	line_bad("n id=0x8086:10d3", "invalid id");
	line_bad("n id=", "invalid id");
	line_bad("n id=gggg:0000", "invalid id");
}

Test(config, accepts_six_digit_class_with_optional_0x)
{
	struct cfg_entry e;

	line_ok("n class=0x020000", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_CLASS);
	cr_assert_eq(e.sel.class_code, 0x020000);
	cr_assert_eq(e.sel.class_mask, 0xffffff);
	line_ok("n class=0C0330", &e);
	cr_assert_eq(e.sel.class_code, 0x0c0330);
}

Test(config, short_class_selects_everything_below_it)
{
	struct cfg_entry e;

	line_ok("n class=0x0200", &e); /* lspci -n's "0200": Ethernet, any prog-if */
	cr_assert_eq(e.sel.class_code, 0x020000);
	cr_assert_eq(e.sel.class_mask, 0xffff00);
	line_ok("n class=03", &e); /* any display controller */
	cr_assert_eq(e.sel.class_code, 0x030000);
	cr_assert_eq(e.sel.class_mask, 0xff0000);
}

Test(config, accepts_class_with_explicit_mask)
{
	struct cfg_entry e;

	line_ok("n class=0x030000/0xff0000", &e);
	cr_assert_eq(e.sel.class_code, 0x030000);
	cr_assert_eq(e.sel.class_mask, 0xff0000);
	line_ok("n class=030000/ff0000", &e);
	cr_assert_eq(e.sel.class_mask, 0xff0000);
}

Test(config, rejects_bad_classes)
{
	line_bad("n class=0x02000", "invalid class \"0x02000\"");
	line_bad("n class=0x0200000", "invalid class");
	line_bad("n class=0x", "invalid class");
	line_bad("n class=", "invalid class");
	line_bad("n class=0x0200/0xffff00", "invalid class");
	line_bad("n class=0x020000/0xffff", "invalid class");
	line_bad("n class=0x020000/", "invalid class");
	line_bad("n class=0x020000/0x000000", "mask 0 would select every device");
	line_bad("n class=0x020001/0xffff00", "sets bits outside its mask");
}

Test(config, accepts_interface_names)
{
	struct cfg_entry e;

	line_ok("n ifname=eno1", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_IFNAME);
	cr_assert_str_eq(e.sel.ifname, "eno1");
	line_ok("n ifname=enp3s0f1np1.10", &e);
	cr_assert_str_eq(e.sel.ifname, "enp3s0f1np1.10"); /* 14 */
	line_ok("n ifname=abcdefghijklmno", &e); /* 15: IFNAMSIZ - 1 */
}

Test(config, rejects_bad_interface_names)
{
	line_bad("n ifname=abcdefghijklmnop", "invalid ifname \"abcdefghijklmnop\"");
	line_bad("n ifname=", "invalid ifname");
	line_bad("n ifname=.", "invalid ifname");
	line_bad("n ifname=..", "invalid ifname");
	line_bad("n ifname=../eth0", "invalid ifname");
	line_bad("n ifname=eth:0", "invalid ifname");
	line_bad("n ifname=eth\x01", "invalid ifname \"eth\\x01\"");
}

Test(config, accepts_pf_by_address_or_interface)
{
	struct cfg_entry e;
	char bdf[BDF_BUFSZ];

	line_ok("n pf=03:00.0", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_PF);
	cr_assert(e.sel.pf_by_addr);
	bdf_format(&e.sel.addr, bdf);
	cr_assert_str_eq(bdf, "0000:03:00.0");
	line_ok("n pf=ens1f0", &e);
	cr_assert_not(e.sel.pf_by_addr);
	cr_assert_str_eq(e.sel.ifname, "ens1f0");
}

Test(config, rejects_bad_pfs)
{
	line_bad("n pf=03:00:0", "invalid pf \"03:00:0\": expected pf=BDF or pf=IFNAME");
	line_bad("n pf=", "invalid pf");
	line_bad("n pf=a/b", "invalid pf");
	line_bad("n pf=..", "invalid pf");
}

Test(config, one_device_per_line)
{
	line_bad("n 03:00.0 03:00.1", "only one device per line");
	line_bad("n 03:00.0 id=8086:10d3", "only one device per line");
	line_bad("n ifname=eth0 pf=eth1", "only one device per line");
}

/* ---- keys ------------------------------------------------------------- */

Test(config, accepts_every_key)
{
	struct cfg_entry e;

	line_ok("DEFAULT id=8086:1521 driver=igbvf numvfs=8 vfs=0-3,6 group=all force=yes", &e);
	cr_assert_str_eq(e.driver, "igbvf");
	cr_assert(e.driver_set);
	cr_assert_eq(e.numvfs, 8);
	cr_assert(e.vfs_given);
	cr_assert_not(e.vfs_all);
	cr_assert_eq(e.n_vfs, 2);
	cr_assert_eq(e.vfs[0].lo, 0);
	cr_assert_eq(e.vfs[0].hi, 3);
	cr_assert_eq(e.vfs[1].lo, 6);
	cr_assert_eq(e.vfs[1].hi, 6);
	cr_assert_eq(e.group, CFG_GROUP_ALL);
	cr_assert(e.force);
	config_entry_clear(&e);
}

Test(config, keys_may_come_in_any_order)
{
	struct cfg_entry e;

	line_ok("n 03:00.0 force=no group=self vfs=all numvfs=2 driver=vfio-pci", &e);
	cr_assert(e.vfs_all);
	cr_assert_eq(e.numvfs, 2);
	cr_assert_not(e.force);
	cr_assert_eq(e.group, CFG_GROUP_SELF);
}

Test(config, accepts_driver_names)
{
	struct cfg_entry e;
	char line[128];

	line_ok("n 03:00.0 driver=xhci_hcd", &e);
	cr_assert_str_eq(e.driver, "xhci_hcd");
	snprintf(line, sizeof(line), "n 03:00.0 driver=%063d", 0);
	line_ok(line, &e);
	cr_assert_eq(strlen(e.driver), 63);
}

Test(config, rejects_bad_driver_names)
{
	char line[128];

	line_bad("n 03:00.0 driver=", "invalid driver \"\"");
	line_bad("n 03:00.0 driver=../igb", "invalid driver \"../igb\"");
	line_bad("n 03:00.0 driver=a/b", "invalid driver");
	line_bad("n 03:00.0 driver=a.b", "invalid driver");
	snprintf(line, sizeof(line), "n 03:00.0 driver=%064d", 0);
	line_bad(line, "invalid driver");
}

Test(config, accepts_numvfs_from_0_to_65535)
{
	struct cfg_entry e;

	line_ok("n 03:00.0 numvfs=0", &e);
	cr_assert_eq(e.numvfs, 0);
	line_ok("n 03:00.0 numvfs=65535", &e);
	cr_assert_eq(e.numvfs, 65535);
}

Test(config, rejects_bad_numvfs)
{
	line_bad("n 03:00.0 numvfs=65536", "invalid numvfs \"65536\": expected a number from 0 to 65535");
	line_bad("n 03:00.0 numvfs=-1", "invalid numvfs");
	line_bad("n 03:00.0 numvfs=+1", "invalid numvfs");
	line_bad("n 03:00.0 numvfs=0x10", "invalid numvfs");
	line_bad("n 03:00.0 numvfs=", "invalid numvfs");
	line_bad("n 03:00.0 numvfs=99999999999999999999999", "invalid numvfs");
}

Test(config, rejects_bad_vf_lists)
{
	static const char *const bad[] = {
		"1,", ",1", "1,,2", "a", "65536", "1-2-3", "-1", "1-", "ALL", "",
	};
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "n pf=eth0 vfs=%s", bad[i]);
		line_bad(line, "invalid vfs");
	}
	line_bad("n pf=eth0 vfs=3-1", "invalid vfs range 3-1");
}

Test(config, rejects_bad_group_and_force)
{
	line_bad("n 03:00.0 group=none", "invalid group \"none\": expected self or all");
	line_bad("n 03:00.0 force=true", "invalid force \"true\": expected no or yes");
	line_bad("n 03:00.0 force=", "invalid force");
}

Test(config, group_all_with_another_driver_is_fine)
{
	struct cfg_entry e;

	line_ok("n 03:00.0 group=all driver=igb", &e);
	cr_assert_eq(e.group, CFG_GROUP_ALL);
}

Test(config, unknown_key_lists_the_known_keys)
{
	expect_error("worker-0 03:00.0 numfs=4\n", 1,
		     "unknown key \"numfs\" (known: driver, numvfs, vfs, group, force)");
}

Test(config, rejects_duplicate_keys)
{
	line_bad("n 03:00.0 driver=igb driver=vfio-pci", "duplicate key driver=");
	line_bad("n pf=eth0 vfs=1 vfs=2", "duplicate key vfs=");
}

Test(config, rejects_words_without_equals_after_the_device)
{
	line_bad("n 03:00.0 vfio-pci", "unexpected word \"vfio-pci\" after the device: expected key=value");
}

/* ---- rules across keys ------------------------------------------------ */

Test(config, vfs_needs_numvfs_or_a_pf_selector)
{
	struct cfg_entry e;

	line_bad("n 03:00.0 vfs=0-3", "vfs= needs numvfs= or a pf= selector");
	line_ok("n 03:00.0 numvfs=4 vfs=0-3", &e);
	config_entry_clear(&e);
	line_ok("n pf=eth0 vfs=0-3", &e);
	config_entry_clear(&e);
	line_ok("n pf=03:00.0 vfs=all driver=igbvf", &e);
}

Test(config, numvfs_needs_a_selector_that_can_name_a_pf)
{
	struct cfg_entry e;

	line_bad("n pf=eth0 numvfs=4", "numvfs= cannot be used with pf=");
	line_ok("n 03:00.0 numvfs=4", &e);
	line_ok("n ifname=eth0 numvfs=4", &e);
	line_ok("n id=8086:1521 numvfs=4", &e);
	line_ok("n class=0x0200 numvfs=4", &e);
}

Test(config, vf_indexes_must_fit_numvfs)
{
	line_bad("n 03:00.0 numvfs=4 vfs=0-4", "vfs= index 4 is out of range for numvfs=4");
	line_bad("n 03:00.0 numvfs=0 vfs=0", "out of range");
}

Test(config, vf_selected_follows_vfs)
{
	struct cfg_entry e;

	line_ok("n pf=eth0", &e);
	cr_assert(config_vf_selected(&e, 0));
	cr_assert(config_vf_selected(&e, 65535));
	line_ok("n pf=eth0 vfs=all", &e);
	cr_assert(config_vf_selected(&e, 7));
	line_ok("n pf=eth0 vfs=0-3,6,9-9", &e);
	cr_assert(config_vf_selected(&e, 0));
	cr_assert(config_vf_selected(&e, 3));
	cr_assert_not(config_vf_selected(&e, 4));
	cr_assert(config_vf_selected(&e, 6));
	cr_assert(config_vf_selected(&e, 9));
	cr_assert_not(config_vf_selected(&e, 10));
	config_entry_clear(&e);
}

/* ---- whole files and error lists ------------------------------------- */

Test(config, rejects_whole_file_on_one_bad_line)
{
	struct cfg_errors errs = { 0 };
	char text[sizeof(seed_block) + 64];

	snprintf(text, sizeof(text), "%sworker-2 0000:03:00.9\n", seed_block);
	parse_bad(text, &errs);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 4);
	cr_assert_str_eq(errs.source, "test.conf");
	cfg_errors_clear(&errs);
}

Test(config, lists_every_error_with_its_line)
{
	struct cfg_errors errs = { 0 };
	char buf[400];

	parse_bad("# header\n"
		  "worker-0 03:00:1\n"
		  "worker-1 0000:03:00.2\n"
		  "\n"
		  "worker-2 03:00.0 numfs=4\n"
		  "DEFAULT  0000:03:00.0 driver=a driver=b\n"
		  "worker-3\n", &errs);
	cr_assert_eq(errs.n, 4);
	cr_assert_eq(errs.v[0].line, 2);
	cr_assert_eq(errs.v[1].line, 5);
	cr_assert_eq(errs.v[2].line, 6);
	cr_assert_eq(errs.v[3].line, 7);
	cr_assert_eq(cfg_errors_format(&errs, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "test.conf:5: unknown key \"numfs\" "
			      "(known: driver, numvfs, vfs, group, force)");
	cfg_errors_clear(&errs);
	cr_assert_eq(errs.n, 0);
	cr_assert_null(errs.source);
}

Test(config, formats_errors_as_file_line_message)
{
	struct cfg_errors errs = { 0 };
	struct config *c;
	char buf[400];

	cr_assert_eq(config_parse("/etc/vfiobind/vfiobind.conf", "x y\n", 4, &c, &errs), -EINVAL);
	cr_assert_eq(cfg_errors_format(&errs, 0, buf, sizeof(buf)), 0);
	cr_assert(!strncmp(buf, "/etc/vfiobind/vfiobind.conf:1: invalid device \"y\"", 49), "%s", buf);
	errs.v[0].line = 0;
	cfg_errors_format(&errs, 0, buf, sizeof(buf));
	cr_assert(!strncmp(buf, "/etc/vfiobind/vfiobind.conf: invalid device", 43), "%s", buf);
	cr_assert_eq(cfg_errors_format(&errs, 1, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(cfg_errors_format(&errs, 0, buf, 10), -ENAMETOOLONG);
	cfg_errors_clear(&errs);
}

Test(config, replaces_previous_errors)
{
	struct cfg_errors errs = { 0 };
	struct config *c;

	parse_bad("x y\nx z\n", &errs);
	cr_assert_eq(errs.n, 2);
	cr_assert_eq(config_parse("test.conf", seed_block, strlen(seed_block), &c, &errs), 0);
	cr_assert_eq(errs.n, 0);
	config_free(c);
	cfg_errors_clear(&errs);
}

Test(config, errs_may_be_null)
{
	struct config *c = (struct config *)0x1;

	cr_assert_eq(config_parse("t", "x y\n", 4, &c, NULL), -EINVAL);
	cr_assert_null(c);
	cr_assert_eq(config_parse(NULL, seed_block, strlen(seed_block), &c, NULL), 0);
	cr_assert_null(c->source);
	config_free(c);
}

/* ---- hostile input ---------------------------------------------------- */

Test(hostile, rejects_nul_bytes)
{
	static const char text[] = "worker-0 0000:03:00.1\nDEFAULT\0 0000:03:00.0\n";
	struct cfg_errors errs = { 0 };

	parse_bad_len(text, sizeof(text) - 1, &errs);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 2);
	cr_assert_str_eq(errs.v[0].msg, "line contains a NUL byte");
	cfg_errors_clear(&errs);
}

Test(hostile, limits_lines_to_4096_bytes)
{
	struct cfg_errors errs = { 0 };
	char *text = malloc(5000);
	size_t n = (size_t)snprintf(text, 5000, "DEFAULT 03:00.0 #");

	memset(text + n, 'x', 4096 - n);
	text[4096] = '\0';
	config_free(parse_ok(text));
	strcpy(text + 4096, "x\n");
	parse_bad(text, &errs);
	cr_assert_str_eq(errs.v[0].msg, "line is too long (4097 bytes; at most 4096)");
	cfg_errors_clear(&errs);
	free(text);
}

Test(hostile, rejects_a_one_megabyte_line)
{
	struct cfg_errors errs = { 0 };
	size_t len = 1 << 20;
	char *text = malloc(len);

	memset(text, 'a', len);
	memcpy(text, seed_block, strlen(seed_block));
	parse_bad_len(text, len, &errs);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 4);
	cr_assert(strstr(errs.v[0].msg, "line is too long"));
	cfg_errors_clear(&errs);
	free(text);
}

Test(hostile, survives_ten_megabytes_of_garbage)
{
	struct cfg_errors errs = { 0 };
	size_t len = 10u << 20;
	unsigned char *text = malloc(len);
	unsigned x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		text[i] = (unsigned char)(x >> 16);
	}
	parse_bad_len((const char *)text, len, &errs);
	cr_assert_leq(errs.n, 1001, "error list must stay bounded: %zu", errs.n);
	for (size_t i = 0; i < errs.n; i++)
		for (const char *m = errs.v[i].msg; *m; m++)
			cr_assert(*m >= 0x20 && *m < 0x7f, "unprintable byte in message %zu", i);
	cfg_errors_clear(&errs);
	free(text);
}

Test(hostile, caps_the_error_list_and_says_how_many_more)
{
	struct cfg_errors errs = { 0 };
	size_t lines = 5000, len = lines * 4;
	char *text = malloc(len);
	char buf[400];

	for (size_t i = 0; i < lines; i++)
		memcpy(text + i * 4, "x y\n", 4);
	parse_bad_len(text, len, &errs);
	cr_assert_eq(errs.n, 1001);
	cr_assert_eq(errs.v[999].line, 1000);
	cr_assert_eq(errs.v[1000].line, 0);
	cfg_errors_format(&errs, 1000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "test.conf: 4000 more errors not listed");
	cfg_errors_clear(&errs);
	free(text);
}

Test(hostile, rejects_more_than_100000_entries)
{
	struct cfg_errors errs = { 0 };
	static const char line[] = "DEFAULT 0000:03:00.0\n";
	size_t n = 200000, l = sizeof(line) - 1;
	char *text = malloc(n * l);

	for (size_t i = 0; i < n; i++)
		memcpy(text + i * l, line, l);
	parse_bad_len(text, n * l, &errs);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 100001);
	cr_assert_str_eq(errs.v[0].msg, "too many entries (at most 100000)");
	cfg_errors_clear(&errs);
	free(text);
}

Test(hostile, quotes_bad_text_short_and_printable)
{
	struct cfg_errors errs = { 0 };
	char text[300];

	memset(text, 'z', sizeof(text));
	memcpy(text, "n ", 2);
	text[sizeof(text) - 1] = '\0';
	parse_bad(text, &errs);
	cr_assert(strstr(errs.v[0].msg, "zzz\"...: expected"), "%s", errs.v[0].msg);
	cr_assert_lt(strlen(errs.v[0].msg), 200);
	cfg_errors_clear(&errs);
	expect_error("n \x1b[2J\n", 1, "invalid device \"\\x1b[2J\"");
}

/* ---- single lines (the `add` command) -------------------------------- */

Test(parse_line, parses_one_entry_with_its_line_number)
{
	struct cfg_entry e;
	char msg[256];

	cr_assert_eq(config_parse_line("worker-0 0000:03:00.1 # why", 7, &e, msg, sizeof(msg)), 0);
	cr_assert_eq(e.line, 7);
	cr_assert_str_eq(e.node, "worker-0");
	config_entry_clear(&e);
}

Test(parse_line, rejects_empty_comment_and_multi_line_input)
{
	line_bad("", "empty entry");
	line_bad("   # only a comment", "empty entry");
	line_bad("n 03:00.0\nn 03:00.1", "single line");
}

Test(parse_line, accepts_a_trailing_carriage_return)
{
	struct cfg_entry e;

	line_ok("n 03:00.0\r", &e);
	cr_assert_eq(e.sel.kind, CFG_SEL_BDF);
}

/* ---- canonical text and round trips ----------------------------------- */

Test(format, writes_only_non_default_keys)
{
	expect_canonical("DEFAULT  0000:03:00.0", "DEFAULT 0000:03:00.0");
	expect_canonical("DEFAULT 03:00.0 driver=vfio-pci", "DEFAULT 0000:03:00.0 driver=vfio-pci");
	expect_canonical("n 03:00.0 group=self force=no", "n 0000:03:00.0");
}

Test(format, normalises_every_selector)
{
	expect_canonical("n 03:1F.7", "n 0000:03:1f.7");
	expect_canonical("n id=8086:10D3", "n id=8086:10d3");
	expect_canonical("n class=020000", "n class=0x020000");
	expect_canonical("n class=0x0200", "n class=0x020000/0xffff00");
	expect_canonical("n class=0x030000/0xFF0000", "n class=0x030000/0xff0000");
	expect_canonical("n ifname=eno1", "n ifname=eno1");
	expect_canonical("n pf=03:00.0", "n pf=0000:03:00.0");
	expect_canonical("n pf=eth0", "n pf=eth0");
}

Test(format, orders_keys_canonically)
{
	expect_canonical("w* pf=0000:03:00.0 force=yes group=all vfs=6,0-3,9-9 driver=igbvf",
			 "w* pf=0000:03:00.0 driver=igbvf vfs=6,0-3,9 group=all force=yes");
	expect_canonical("n ifname=ens1f0 vfs=all numvfs=8",
			 "n ifname=ens1f0 numvfs=8 vfs=all");
	expect_canonical("n pf=ens1f0", "n pf=ens1f0");
}

Test(format, round_trips_through_the_parser)
{
	static const char *const lines[] = {
		"worker-0 0000:03:00.1",
		"DEFAULT  03:00.0",
		"Worker-[0-3].example.com 03:00.0 driver=igb group=all",
		"* id=8086:1521 numvfs=8 vfs=0-3,6 driver=igbvf force=yes",
		"n class=0x0200 numvfs=0",
		"n class=0x0c0330/0xffffff",
		"n ifname=enp3s0f1 numvfs=65535 vfs=0,65533-65534",
		"n pf=ens1f0 vfs=all",
		"n pf=10000:00:01.0 vfs=2",
	};
	struct cfg_entry a, b;
	char buf1[512], buf2[512];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		line_ok(lines[i], &a);
		cr_assert_eq(config_format_entry(&a, buf1, sizeof(buf1)), 0);
		line_ok(buf1, &b);
		assert_entries_equal(&a, &b);
		cr_assert_eq(config_format_entry(&b, buf2, sizeof(buf2)), 0);
		cr_assert_str_eq(buf1, buf2);
		config_entry_clear(&a);
		config_entry_clear(&b);
	}
}

Test(format, reports_a_buffer_too_small)
{
	struct cfg_entry e;
	char buf[16];

	line_ok("worker-0 0000:03:00.1 driver=vfio-pci", &e);
	cr_assert_eq(config_format_entry(&e, buf, sizeof(buf)), -ENAMETOOLONG);
	cr_assert_eq(strlen(buf), sizeof(buf) - 1);
	cr_assert_eq(config_format_selector(&e.sel, buf, 5), -ENAMETOOLONG);
	cr_assert_eq(config_format_entry(&e, buf, 0), -ENAMETOOLONG);
}

/* ---- copies ----------------------------------------------------------- */

Test(config, dup_is_a_deep_copy)
{
	struct config *c = parse_ok("n pf=eth0 vfs=0-3,6\nDEFAULT 03:00.0\n");
	struct config *d = config_dup(c);

	cr_assert_not_null(d);
	cr_assert_neq(d->entries, c->entries);
	cr_assert_neq(d->entries[0].vfs, c->entries[0].vfs);
	cr_assert_neq(d->source, c->source);
	cr_assert_str_eq(d->source, c->source);
	cr_assert_eq(d->n_entries, 2);
	assert_entries_equal(&c->entries[0], &d->entries[0]);
	assert_entries_equal(&c->entries[1], &d->entries[1]);
	config_free(c);
	cr_assert(config_vf_selected(&d->entries[0], 6));
	cr_assert_not(config_vf_selected(&d->entries[0], 5));
	config_free(d);
}

Test(config, dup_of_empty_and_null)
{
	struct config *c = config_new_empty(NULL), *d;

	c->missing = true;
	d = config_dup(c);
	cr_assert_not_null(d);
	cr_assert(d->missing);
	cr_assert_eq(d->n_entries, 0);
	config_free(c);
	config_free(d);
	cr_assert_null(config_dup(NULL));
}
