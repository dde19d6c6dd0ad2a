/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-client-health.c: the node's health as vfiobind prints it
 * (client/output-health.c): the one line of `status --quiet` and `wait` and
 * its exit code, what `wait` still waits for, the metrics text; a daemon
 * string never drives the terminal. No socket, no terminal. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static json_object *json(const char *text)
{
	json_object *o = json_tokener_parse(text);

	cr_assert_not_null(o, "bad test JSON: %s", text);
	return o;
}

static void line_is(const char *health, const char *want, int exit_code)
{
	json_object *h = json(health);
	char *s = out_health_line(h);

	cr_assert_str_eq(s, want);
	cr_assert_eq(out_health_exit(h), exit_code, "%s", health);
	free(s);
	json_object_put(h);
}

Test(health_line, healthy_counts_the_states_in_their_order)
{
	line_is("{\"state\":\"healthy\",\"reason\":\"\",\"waiting\":\"\","
		"\"counts\":{\"converged\":4,\"pending\":0,\"blocked\":1,\"absent\":2}}",
		"healthy: 4 converged, 1 blocked, 2 absent\n", 0);
	line_is("{\"state\":\"healthy\",\"counts\":{}}", "healthy: no devices\n", 0);
}

Test(health_line, progressing_says_what_it_waits_for_and_exits_4)
{
	line_is("{\"state\":\"progressing\",\"reason\":\"0000:03:00.1 (pending: bind to vfio-pci)\","
		"\"waiting\":\"0000:03:00.1 (pending: bind to vfio-pci)\",\"counts\":{\"pending\":1}}",
		"progressing: 1 pending; waiting for 0000:03:00.1 (pending: bind to vfio-pci)\n",
		CLIENT_EXIT_NOT_SETTLED);
}

Test(health_line, degraded_names_the_cause_and_exits_1)
{
	line_is("{\"state\":\"degraded\",\"reason\":\"0000:03:00.1: error: bind: busy\","
		"\"waiting\":\"\",\"counts\":{\"converged\":2,\"error\":1}}",
		"degraded: 2 converged, 1 error; 0000:03:00.1: error: bind: busy\n", 1);
}

Test(health_line, a_missing_or_unknown_health_is_exit_1_and_cannot_drive_the_terminal)
{
	char *s;

	cr_assert_eq(out_health_exit(NULL), 1);
	line_is("{\"state\":\"sideways\"}", "sideways: no devices\n", 1);
	line_is("{\"state\":\"degraded\",\"reason\":\"a\\u001b[31mb\\nc\"}",
		"degraded: no devices; a?[31mb?c\n", 1);
	s = out_metrics_text("a 1\n\033[2Jb 2\n");
	cr_assert_str_eq(s, "a 1\n?[2Jb 2\n", "newlines kept, escapes not");
	free(s);
}

Test(wait_text, one_line_per_device_still_waited_for)
{
	json_object *r = json("{\"settled\":false,\"waiting\":["
			      "{\"device\":\"0000:03:00.1\",\"state\":\"pending\",\"reason\":\"bind to vfio-pci\"},"
			      "{\"device\":\"0000:09:00.0\",\"state\":null,\"reason\":\"no line claims it\"}],"
			      "\"health\":{\"waiting\":\"0000:03:00.1 (pending: bind to vfio-pci)\"}}");
	char *s = out_wait_text(r);

	cr_assert_str_eq(s, "vfiobind: still waiting for 0000:03:00.1 (pending: bind to vfio-pci)\n"
			    "vfiobind: still waiting for 0000:09:00.0 (no line claims it)\n");
	free(s);
	json_object_put(r);
}

Test(wait_text, without_devices_the_health_says_what_is_awaited)
{
	json_object *r = json("{\"settled\":false,\"waiting\":[],"
			      "\"health\":{\"waiting\":\"a valid config (none loaded yet)\"},"
			      "\"unmatched\":[\"id=10de:2330\"]}");
	char *s = out_wait_text(r), *u = out_unmatched_text(r);

	cr_assert_str_eq(s, "vfiobind: still waiting for a valid config (none loaded yet)\n");
	cr_assert_str_eq(u, "vfiobind: id=10de:2330: no device matches it here, nothing to wait for\n");
	free(s);
	free(u);
	json_object_put(r);
}
