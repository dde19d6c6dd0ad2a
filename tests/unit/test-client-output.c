/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-client-output.c: what vfiobind prints and how it exits (client/output.c):
 * table layout and width fitting, colour decisions, exit codes from replies,
 * error text, and config lines built from argv. No socket, no terminal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static const struct out_style plain = { .color = false, .width = 0, .utf8 = true };

static json_object *json(const char *text)
{
	json_object *o = json_tokener_parse(text);

	cr_assert_not_null(o, "bad test JSON: %s", text);
	return o;
}

static struct proto_reply reply(const char *line)
{
	struct proto_reply rep;
	struct proto_err err = { 0 };

	cr_assert_eq(proto_decode_reply(line, strlen(line), &rep, &err), 0, "%s", err.message);
	return rep;
}

static const struct out_column three[] = {
	{ "DEVICE", false, false }, { "STATE", false, true }, { "REASON", true, false },
};

static char *render3(const char *const rows[][3], size_t n, const struct out_style *st)
{
	struct out_table t;
	char *s;

	out_table_init(&t, three, 3);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(out_table_add(&t, rows[i]), 0);
	s = out_table_render(&t, st);
	out_table_clear(&t);
	cr_assert_not_null(s);
	return s;
}

/* --- tables */

Test(table, pads_columns_two_spaces_apart_without_trailing_blanks)
{
	const char *rows[][3] = {
		{ "0000:03:00.1", "converged", "" },
		{ "0000:04:00.0", "blocked", "group 7 not viable" },
	};
	char *s = render3(rows, 2, &plain);

	cr_assert_str_eq(s, "DEVICE        STATE      REASON\n"
			    "0000:03:00.1  converged  -\n"
			    "0000:04:00.0  blocked    group 7 not viable\n");
	free(s);
}

Test(table, cuts_the_flex_column_with_an_ellipsis_to_fit_the_width)
{
	const char *rows[][3] = { { "0000:04:00.0", "blocked", "group 7 has 0000:04:00.1 on igb" } };
	struct out_style st = { .width = 40, .utf8 = true };
	char *s = render3(rows, 1, &st);

	/* 12 + 2 + 7 + 2 = 23 columns before REASON: 17 left, the last one the ellipsis. */
	cr_assert_str_eq(s, "DEVICE        STATE    REASON\n"
			    "0000:04:00.0  blocked  group 7 has 0000\u2026\n");
	free(s);
}

Test(table, uses_three_dots_when_the_locale_is_not_utf8)
{
	const char *rows[][3] = { { "0000:04:00.0", "blocked", "group 7 has 0000:04:00.1 on igb" } };
	struct out_style st = { .width = 40, .utf8 = false };
	char *s = render3(rows, 1, &st);

	cr_assert_str_eq(s, "DEVICE        STATE    REASON\n"
			    "0000:04:00.0  blocked  group 7 has 00...\n");
	free(s);
}

Test(table, never_shrinks_the_flex_column_below_its_header)
{
	const char *rows[][3] = { { "0000:04:00.0", "blocked", "a long reason" } };
	struct out_style st = { .width = 10, .utf8 = true };
	char *s = render3(rows, 1, &st);

	cr_assert_str_eq(s, "DEVICE        STATE    REASON\n"
			    "0000:04:00.0  blocked  a lon\u2026\n");
	free(s);
}

Test(table, keeps_everything_when_the_width_is_unlimited_or_enough)
{
	const char *rows[][3] = { { "0000:04:00.0", "blocked", "group 7 has 0000:04:00.1 on igb" } };
	struct out_style st = { .width = 54, .utf8 = true };
	char *a = render3(rows, 1, &plain), *b = render3(rows, 1, &st);

	cr_assert_str_eq(a, b);
	cr_assert(strstr(a, "on igb\n"));
	free(a);
	free(b);
}

Test(table, measures_utf8_text_in_characters_not_bytes)
{
	const char *rows[][3] = { { "d\u00e9v", "pending", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" } };
	struct out_style st = { .width = 23, .utf8 = true };
	char *s = render3(rows, 1, &st);

	cr_assert_str_eq(s, "DEVICE  STATE    REASON\n"
			    "d\u00e9v     pending  \u00e9\u00e9\u00e9\u00e9\u00e9\u2026\n");
	free(s);
}

Test(table, colours_state_cells_only_when_asked)
{
	const char *rows[][3] = { { "0000:03:00.1", "converged", "x" } };
	struct out_style st = { .color = true };
	char *on = render3(rows, 1, &st), *off = render3(rows, 1, &plain);

	cr_assert(strstr(on, "\033[32mconverged\033[0m  x\n"), "%s", on);
	cr_assert_null(strchr(off, '\033'));
	cr_assert_null(strstr(on, "\033[32mDEVICE"));
	free(on);
	free(off);
}

Test(table, shows_control_characters_from_the_daemon_as_question_marks)
{
	const char *rows[][3] = { { "0000:03:00.1", "error", "bad\033[2Jthing\nhere" } };
	char *s = render3(rows, 1, &plain);

	cr_assert(strstr(s, "bad?[2Jthing?here\n"), "%s", s);
	free(s);
}

/* --- every daemon string made printable */

static void expect_printable(const char *in, const char *want)
{
	char *out = out_printable(in);

	cr_assert_not_null(out);
	cr_assert_str_eq(out, want, "out_printable(\"%s\")", in);
	free(out);
}

Test(printable, keeps_ascii_and_well_formed_utf8)
{
	expect_printable("0000:03:00.1 bound to vfio-pci", "0000:03:00.1 bound to vfio-pci");
	expect_printable("caf\xc3\xa9 \xe2\x9c\x93 \xe2\x80\xa6 \xf0\x9f\x90\xa7",
			 "caf\xc3\xa9 \xe2\x9c\x93 \xe2\x80\xa6 \xf0\x9f\x90\xa7");
	expect_printable(NULL, "");
}

Test(printable, shows_c0_controls_and_del_as_question_marks)
{
	expect_printable("\033[31mred\033[0m", "?[31mred?[0m");
	expect_printable("\033]0;title\007", "?]0;title?");
	expect_printable("a\rb\nc\td\x7f", "a?b?c?d?");
}

Test(printable, shows_c1_controls_bidi_overrides_and_bad_utf8_as_question_marks)
{
	/* U+009B (CSI as UTF-8), a lone 0x9b byte, U+0085 */
	expect_printable("\xc2\x9b" "31m", "?" "?31m");
	expect_printable("\x9b" "31m", "?31m");
	expect_printable("\xc2\x85", "??");
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE */
	expect_printable("a\xe2\x80\xae" "b\xe2\x81\xa6", "a???b???");
	/* cut short, overlong '/', a surrogate, beyond U+10FFFF */
	expect_printable("x\xe2\x80", "x??");
	expect_printable("\xc0\xaf", "??");
	expect_printable("\xed\xa0\x80", "???");
	expect_printable("\xf4\x90\x80\x80", "????");
}

Test(printable, version_shows_the_daemons_strings_made_printable)
{
	json_object *r = json("{\"version\":\"1.0\\u001b[31m\",\"protocol\":1,"
			      "\"node\":\"n\\u001b]0;pwned\\u0007\",\"sysfs_root\":\"/sys\\r\","
			      "\"dry_run\":true}");
	char *s = out_version_text(r);

	cr_assert_str_eq(s, "daemon: vfiobindd 1.0?[31m (protocol 1) on node n?]0;pwned?, "
			    "sysfs /sys?, dry run\n");
	free(s);
	json_object_put(r);
	r = json("{}");
	s = out_version_text(r);
	cr_assert_str_eq(s, "daemon: vfiobindd ? (protocol -) on node ?, sysfs ?\n");
	free(s);
	json_object_put(r);
}

Test(printable, add_shows_the_daemons_line_made_printable)
{
	json_object *r = json("{\"added\":\"DEFAULT 0000:03:00.1\\u001b[2J\",\"reloaded\":true}");
	char *s = out_added_text(r, true);

	cr_assert_str_eq(s, "added: DEFAULT 0000:03:00.1?[2J (runtime only: the file is "
			    "unchanged)\n");
	free(s);
	json_object_put(r);
}

Test(printable, event_lines_stay_aligned_after_cleaning)
{
	json_object *ev = json("{\"kind\":\"dev\\u009bice\",\"device\":\"0000:03:00.1\","
			       "\"state\":\"pending\",\"message\":\"x\\u001b[Ky\",\"time\":0}");
	char *s = out_event_line(ev, &plain);

	cr_assert(strstr(s, " dev??ice 0000:03:00.1 pending   x?[Ky\n"), "%s", s);
	free(s);
	json_object_put(ev);
}

/* --- colour */

Test(color, only_on_a_terminal)
{
	cr_assert(out_color_wanted(true, NULL, "xterm", false));
	cr_assert_not(out_color_wanted(false, NULL, "xterm", false));
}

Test(color, off_with_no_color_set_to_anything_but_empty)
{
	cr_assert_not(out_color_wanted(true, "1", "xterm", false));
	cr_assert_not(out_color_wanted(true, "0", "xterm", false));
	cr_assert(out_color_wanted(true, "", "xterm", false));
}

Test(color, off_with_the_no_color_option_or_a_dumb_terminal)
{
	cr_assert_not(out_color_wanted(true, NULL, "xterm", true));
	cr_assert_not(out_color_wanted(true, NULL, "dumb", false));
	cr_assert(out_color_wanted(true, NULL, NULL, false));
}

Test(color, green_yellow_red_by_state)
{
	cr_assert_str_eq(out_state_sgr("converged"), "\033[32m");
	cr_assert_str_eq(out_state_sgr("pending"), "\033[33m");
	cr_assert_str_eq(out_state_sgr("blocked"), "\033[31m");
	cr_assert_str_eq(out_state_sgr("error"), "\033[31m");
	cr_assert_str_eq(out_state_sgr("stuck"), "\033[31m");
	cr_assert_null(out_state_sgr("absent"));
	cr_assert_null(out_state_sgr(NULL));
}

/* --- status */

static const char status_devices[] =
	"[{\"device\":\"0000:03:00.1\",\"line\":\"/etc/vfiobind.conf:3\",\"desired\":\"vfio-pci\","
	"\"current\":\"vfio-pci\",\"state\":\"converged\",\"reason\":\"\",\"last_error\":null},"
	"{\"device\":\"0000:04:00.0\",\"line\":\"/etc/vfiobind.conf:4\",\"desired\":\"vfio-pci\","
	"\"current\":\"igb\",\"state\":\"blocked\",\"reason\":\"\","
	"\"last_error\":{\"errno\":16,\"message\":\"unbind from igb: Device or resource busy\"}},"
	"{\"device\":\"0000:05:00.0\",\"line\":null,\"desired\":\"vfio-pci\",\"current\":\"\","
	"\"state\":\"converged\",\"reason\":\"\"},"
	"{\"device\":\"0000:06:00.0\",\"line\":null,\"desired\":\"vfio-pci\",\"current\":\"\","
	"\"state\":\"converged\",\"reason\":\"\"}]";

Test(status, summary_counts_states_in_a_fixed_order)
{
	json_object *d = json(status_devices);
	char *s = out_state_summary(d);

	cr_assert_str_eq(s, "3 converged, 1 blocked");
	free(s);
	json_object_put(d);
}

Test(status, summary_of_nothing_says_so)
{
	json_object *d = json("[]");
	char *s = out_state_summary(d);

	cr_assert_str_eq(s, "no devices");
	free(s);
	json_object_put(d);
}

Test(status, table_has_the_documented_columns_and_the_summary)
{
	json_object *d = json(status_devices);
	char *s = out_status_text(d, &plain);

	cr_assert(strstr(s, "DEVICE        STATE      DRIVER    WANT      LINE                  "
			    "REASON\n") == s, "%s", s);
	/* No reason of its own: the last error explains the state. */
	cr_assert(strstr(s, "0000:04:00.0  blocked    igb       vfio-pci  /etc/vfiobind.conf:4  "
			    "unbind from igb: Device or resource busy\n"), "%s", s);
	cr_assert(strstr(s, "0000:05:00.0  converged  -         vfio-pci  -                     -\n"),
		  "%s", s);
	cr_assert(strstr(s, "\n3 converged, 1 blocked\n"), "%s", s);
	free(s);
	json_object_put(d);
}

Test(status, an_error_shows_the_kernels_message_beside_its_reason)
{
	json_object *d = json(
		"[{\"device\":\"0000:04:00.0\",\"line\":null,\"desired\":\"vfio-pci\","
		"\"current\":\"igb\",\"state\":\"error\",\"reason\":\"bind to vfio-pci\","
		"\"last_error\":{\"errno\":16,\"message\":\"Device or resource busy\"}},"
		"{\"device\":\"0000:05:00.0\",\"line\":null,\"desired\":\"vfio-pci\","
		"\"current\":\"igb\",\"state\":\"error\","
		"\"reason\":\"unbind from igb: Device or resource busy\","
		"\"last_error\":{\"errno\":16,\"message\":\"Device or resource busy\"}},"
		"{\"device\":\"0000:06:00.0\",\"line\":null,\"desired\":\"vfio-pci\","
		"\"current\":\"igb\",\"state\":\"pending\",\"reason\":\"bind to vfio-pci\","
		"\"last_error\":{\"errno\":16,\"message\":\"Device or resource busy\"}}]");
	char *s = out_status_text(d, &plain);

	cr_assert(strstr(s, "0000:04:00.0  error    igb     vfio-pci  -     "
			    "bind to vfio-pci: Device or resource busy\n"), "%s", s);
	/* already in the reason: not twice */
	cr_assert(strstr(s, "0000:05:00.0  error    igb     vfio-pci  -     "
			    "unbind from igb: Device or resource busy\n"), "%s", s);
	/* not an error (in flight again, say): the reason alone */
	cr_assert(strstr(s, "0000:06:00.0  pending  igb     vfio-pci  -     bind to vfio-pci\n"),
		  "%s", s);
	cr_assert(strstr(s, "\n2 error, 1 pending\n") || strstr(s, "\n1 pending, 2 error\n"),
		  "%s", s);
	free(s);
	json_object_put(d);
}

/* --- devices */

Test(devices, holders_follow_the_table_one_line_each_with_control_characters_masked)
{
	json_object *d = json(
		"[{\"device\":\"0000:03:00.1\",\"vendor_device\":\"8086:1521\",\"class\":\"0x020000\","
		"\"driver\":\"vfio-pci\",\"holders\":[{\"pid\":4242,\"uid\":107,"
		"\"comm\":\"qemu-system-x86\",\"path\":\"/dev/vfio/14\",\"device\":\"0000:03:00.1\"},"
		"{\"pid\":77,\"uid\":0,\"comm\":\"evil\\u001b[2J\",\"path\":\"/dev/vfio/14\","
		"\"device\":\"0000:03:00.1\"}]},"
		"{\"device\":\"0000:04:00.0\",\"driver\":\"igb\",\"holders\":[]}]");
	char *s = out_devices_text(d, &plain);

	cr_assert(strstr(s, "\n0000:03:00.1 held by pid 4242 (qemu-system-x86, uid 107) through "
			    "/dev/vfio/14\n0000:03:00.1 held by pid 77 (evil?[2J, uid 0) through "
			    "/dev/vfio/14\n"), "%s", s);
	cr_assert_null(strstr(s, "0000:04:00.0 held"), "%s", s);
	free(s);
	json_object_put(d);
}

/* --- exit codes */

Test(exit, error_reply_is_one)
{
	struct proto_reply r = reply("{\"v\":1,\"id\":1,\"ok\":false,"
				     "\"error\":{\"code\":\"not-found\",\"message\":\"x\"}}");

	cr_assert_eq(out_reply_exit(PROTO_CMD_PING, &r), CLIENT_EXIT_FAIL);
	proto_reply_clear(&r);
}

Test(exit, status_is_zero_only_when_every_device_converged)
{
	struct proto_reply all = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"devices\":"
				       "[{\"device\":\"0000:03:00.1\",\"state\":\"converged\"}]}}");
	struct proto_reply some = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"devices\":"
					"[{\"state\":\"converged\"},{\"state\":\"pending\"}]}}");
	struct proto_reply none = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"devices\":[]}}");

	cr_assert_eq(out_reply_exit(PROTO_CMD_STATUS, &all), CLIENT_EXIT_OK);
	cr_assert_eq(out_reply_exit(PROTO_CMD_STATUS, &some), CLIENT_EXIT_FAIL);
	cr_assert_eq(out_reply_exit(PROTO_CMD_STATUS, &none), CLIENT_EXIT_OK);
	proto_reply_clear(&all);
	proto_reply_clear(&some);
	proto_reply_clear(&none);
}

Test(exit, reconcile_follows_converged_and_remove_wants_a_match)
{
	struct proto_reply rec = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":"
				       "{\"actions\":[],\"converged\":false}}");
	struct proto_reply rm0 = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"removed\":0}}");
	struct proto_reply rm2 = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"removed\":2}}");

	cr_assert_eq(out_reply_exit(PROTO_CMD_RECONCILE, &rec), CLIENT_EXIT_FAIL);
	cr_assert_eq(out_reply_exit(PROTO_CMD_REMOVE, &rm0), CLIENT_EXIT_FAIL);
	cr_assert_eq(out_reply_exit(PROTO_CMD_REMOVE, &rm2), CLIENT_EXIT_OK);
	proto_reply_clear(&rec);
	proto_reply_clear(&rm0);
	proto_reply_clear(&rm2);
}

Test(exit, config_with_a_refused_file_is_one)
{
	struct proto_reply bad = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"entries\":[],"
				       "\"rejected\":{\"errors\":[]}}}");
	struct proto_reply good = reply("{\"v\":1,\"id\":1,\"ok\":true,\"result\":{\"entries\":[],"
					"\"rejected\":null}}");

	cr_assert_eq(out_reply_exit(PROTO_CMD_CONFIG, &bad), CLIENT_EXIT_FAIL);
	cr_assert_eq(out_reply_exit(PROTO_CMD_CONFIG, &good), CLIENT_EXIT_OK);
	proto_reply_clear(&bad);
	proto_reply_clear(&good);
}

/* --- errors and JSON */

Test(error, prints_code_and_message)
{
	struct proto_reply r = reply("{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":"
				     "\"permission-denied\",\"message\":\"add needs root\"}}");
	char *s = out_error_text(&r);

	cr_assert_str_eq(s, "vfiobind: permission-denied: add needs root\n");
	free(s);
	proto_reply_clear(&r);
}

Test(error, config_invalid_lists_every_file_line)
{
	struct proto_reply r = reply(
		"{\"v\":1,\"id\":1,\"ok\":false,\"error\":{\"code\":\"config-invalid\","
		"\"message\":\"2 bad lines\",\"errors\":["
		"{\"file\":\"/etc/vfiobind.conf\",\"line\":3,\"message\":\"bad device\"},"
		"{\"file\":\"/etc/vfiobind.conf\",\"line\":9,\"message\":\"unknown key\"}]}}");
	char *s = out_error_text(&r);

	cr_assert_str_eq(s, "vfiobind: config-invalid: 2 bad lines\n"
			    "/etc/vfiobind.conf:3: bad device\n"
			    "/etc/vfiobind.conf:9: unknown key\n");
	free(s);
	proto_reply_clear(&r);
}

Test(error, a_daemon_of_another_version_is_named_with_what_to_do)
{
	char buf[256];

	cr_assert_eq(out_version_mismatch(7, buf, sizeof(buf)), buf);
	cr_assert_str_eq(buf, "vfiobindd speaks protocol 7, this vfiobind speaks 1: "
			      "restart vfiobindd or use the vfiobind that came with it");
}

Test(json, prints_the_result_object_exactly_on_one_line)
{
	const char *text = "{\"devices\":[{\"device\":\"0000:03:00.1\",\"line\":\"/etc/a/b.conf:3\","
			   "\"retry_at\":null,\"ifnames\":[]}],\"iommu\":true}";
	json_object *o = json(text);
	char *s = out_json_line(o);

	cr_assert_str_eq(s, "{\"devices\":[{\"device\":\"0000:03:00.1\",\"line\":\"/etc/a/b.conf:3\","
			    "\"retry_at\":null,\"ifnames\":[]}],\"iommu\":true}\n");
	free(s);
	json_object_put(o);
}

/* --- argv to protocol text */

static int add(const char *node, int argc, char *const *argv, char **line, const char **bad)
{
	return out_add_line(node, argc, argv, line, bad);
}

Test(args, add_line_joins_node_device_and_keys)
{
	char *argv[] = { "0000:03:00.1", "driver=vfio-pci", "force=yes" };
	const char *bad;
	char *line;

	cr_assert_eq(add("DEFAULT", 3, argv, &line, &bad), 0);
	cr_assert_str_eq(line, "DEFAULT 0000:03:00.1 driver=vfio-pci force=yes");
	free(line);
}

Test(args, add_line_writes_a_short_bdf_canonically_and_keeps_selectors)
{
	char *short_bdf[] = { "03:00.1" };
	char *sel[] = { "id=8086:10D3", "numvfs=4" };
	const char *bad;
	char *line;

	cr_assert_eq(add("node-*", 1, short_bdf, &line, &bad), 0);
	cr_assert_str_eq(line, "node-* 0000:03:00.1");
	free(line);
	cr_assert_eq(add("worker1", 2, sel, &line, &bad), 0);
	cr_assert_str_eq(line, "worker1 id=8086:10D3 numvfs=4");
	free(line);
}

Test(args, add_line_names_the_argument_at_fault)
{
	char *bad_dev[] = { "03:00.9" };
	char *bad_key[] = { "03:00.1", "driver" };
	char *empty_val[] = { "03:00.1", "driver=" };
	char *comment[] = { "03:00.1", "driver=vfio#x" };
	char *ok[] = { "03:00.1" };
	const char *bad;
	char *line;

	cr_assert_eq(add("DEFAULT", 1, bad_dev, &line, &bad), -EINVAL);
	cr_assert_eq(bad, bad_dev[0]);
	cr_assert_null(line);
	cr_assert_eq(add("DEFAULT", 2, bad_key, &line, &bad), -EINVAL);
	cr_assert_eq(bad, bad_key[1]);
	cr_assert_eq(add("DEFAULT", 2, empty_val, &line, &bad), -EINVAL);
	cr_assert_eq(add("DEFAULT", 2, comment, &line, &bad), -EINVAL);
	cr_assert_eq(add("two words", 1, ok, &line, &bad), -EINVAL);
	cr_assert_str_eq(bad, "two words");
	cr_assert_eq(add("", 1, ok, &line, &bad), -EINVAL);
	cr_assert_eq(add("DEFAULT", 0, ok, &line, &bad), -EINVAL);
}

Test(args, device_arg_accepts_addresses_and_selectors_only)
{
	char buf[BDF_BUFSZ];

	cr_assert_str_eq(out_device_arg("03:00.1", buf), "0000:03:00.1");
	cr_assert_str_eq(out_device_arg("0000:0A:1f.7", buf), "0000:0a:1f.7");
	cr_assert_str_eq(out_device_arg("ifname=eth0", buf), "ifname=eth0");
	cr_assert_null(out_device_arg("../../etc", buf));
	cr_assert_null(out_device_arg("eth0", buf));
	cr_assert_null(out_device_arg("=x", buf));
	cr_assert_null(out_device_arg("id=8086:10d3 x", buf));
	cr_assert_null(out_device_arg("", buf));
}

/* --- other results */

Test(event, one_line_with_time_kind_device_state_message)
{
	json_object *e = json("{\"kind\":\"device\",\"device\":\"0000:03:00.1\",\"state\":"
			      "\"converged\",\"message\":\"bound to vfio-pci\",\"time\":0}");
	char *s;

	setenv("TZ", "UTC", 1);
	s = out_event_line(e, &plain);
	cr_assert_str_eq(s, "1970-01-01 00:00:00 device 0000:03:00.1 converged bound to vfio-pci\n");
	free(s);
	json_object_put(e);
}

Test(event, missing_fields_show_as_dash)
{
	json_object *e = json("{\"kind\":\"pass\",\"message\":\"pass 3 done\\n\"}");
	char *s = out_event_line(e, &plain);

	cr_assert_str_eq(s, "-                   pass   -            -         pass 3 done?\n");
	free(s);
	json_object_put(e);
}

Test(config, lists_entries_under_their_source)
{
	json_object *r = json("{\"source\":\"/etc/vfiobind.conf\",\"missing\":false,"
			      "\"runtime_modified\":true,\"loaded_at\":null,\"entries\":["
			      "{\"line\":3,\"text\":\"DEFAULT 0000:03:00.1\"},"
			      "{\"line\":12,\"text\":\"node1 id=8086:10d3 numvfs=4\"}],\"rejected\":null}");
	char *s = out_config_text(r);

	cr_assert_str_eq(s, "# /etc/vfiobind.conf, changed at runtime (not in the file)\n"
			    "   3  DEFAULT 0000:03:00.1\n"
			    "  12  node1 id=8086:10d3 numvfs=4\n");
	free(s);
	json_object_put(r);
}

Test(actions, table_or_nothing_to_do)
{
	json_object *none = json("[]");
	json_object *some = json("[{\"kind\":\"bind\",\"device\":\"0000:03:00.1\","
				 "\"text\":\"bind 0000:03:00.1 to vfio-pci (from igb)\"}]");
	char *a = out_actions_text(none, &plain), *b = out_actions_text(some, &plain);

	cr_assert_str_eq(a, "nothing to do\n");
	cr_assert_str_eq(b, "ACTION  DEVICE        WHAT\n"
			    "bind    0000:03:00.1  bind 0000:03:00.1 to vfio-pci (from igb)\n");
	free(a);
	free(b);
	json_object_put(none);
	json_object_put(some);
}

Test(output, warnings_are_lines_of_their_own_and_cannot_drive_the_terminal)
{
	json_object *w = json_object_new_array();
	char *text;

	text = out_warnings_text(w);
	cr_assert_str_eq(text, "");
	free(text);
	json_object_array_add(w, json_object_new_string("/etc/x.conf is missing: the last good "
							"config stays in force"));
	json_object_array_add(w, json_object_new_string("evil\033[31m\nline"));
	text = out_warnings_text(w);
	cr_assert_str_eq(text, "warning: /etc/x.conf is missing: the last good config stays in force\n"
			       "warning: evil?[31m?line\n");
	free(text);
	json_object_put(w);
}
