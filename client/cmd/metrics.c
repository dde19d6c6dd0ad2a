/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/metrics.c: `vfiobind metrics`, the daemon's figures as Prometheus
 * text, the same text --metrics-file holds. */
#include "client.h"
#include "util.h"

static void metrics_print(const struct client *c, json_object *result)
{
	const char *text = NULL;

	proto_args_string(result, PROTO_R_TEXT, false, &text);
	out_put(stdout, out_metrics_text(text ? text : ""));
}

static int metrics_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	return client_run(c, PROTO_CMD_METRICS, NULL, metrics_print);
}

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.cmd = PROTO_CMD_METRICS,
	.usage = "",
	.help = "Prints the Prometheus text exposition of the daemon's figures, as\n"
		"vfiobindd --metrics-file writes it for node_exporter's textfile collector\n"
		"(names and labels: vfiobindd(8), METRICS). Pipe it to 'promtool check metrics'\n"
		"or into a *.prom file; with --json, the reply object.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = metrics_exec,
};
