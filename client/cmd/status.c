/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/status.c: `vfiobind status [DEVICE...]`, the daemon's view of every
 * claimed or managed device, and the exit code scripts wait on; with
 * --quiet, the node's health in one line (node-problem-detector's check). */
#include "client.h"

/* --quiet: one line, and the exit code by the health mapping. */
static int status_quiet(struct client *c, json_object *args)
{
	json_object *health = NULL;
	struct proto_reply rep;
	int r;

	r = client_call(c, PROTO_CMD_STATUS, args, &rep);
	if (r)
		return r;
	proto_args_object(rep.result, PROTO_R_HEALTH, false, &health);
	if (c->json)
		out_put(stdout, out_json_line(rep.result));
	else if (health)
		out_put(stdout, out_health_line(health));
	else
		fprintf(stderr, "vfiobind: vfiobindd did not say the node's health "
			"(a vfiobindd older than this vfiobind?)\n");
	r = out_health_exit(health);
	proto_reply_clear(&rep);
	return r;
}

static void status_print(const struct client *c, json_object *result)
{
	json_object *devices = NULL, *warnings = NULL;

	proto_args_array(result, PROTO_R_DEVICES, false, &devices);
	proto_args_array(result, PROTO_R_WARNINGS, false, &warnings);
	out_put(stdout, out_status_text(devices, &c->style));
	out_put(stdout, out_warnings_text(warnings));
}

static int status_exec(struct client *c, int argc, char **argv)
{
	json_object *args = NULL, *list = NULL;

	if (argc > 0) {
		list = json_object_new_array();
		if (client_args_add(&args, PROTO_A_DEVICES, list) < 0)
			return client_oom(args);
	}
	for (int i = 0; i < argc; i++) {
		char bdf[BDF_BUFSZ];

		if (bdf_normalize(argv[i], bdf) < 0) {
			json_object_put(args);
			return client_usage_error(&cmd_status_entry, "not a PCI address: %s",
						  argv[i]);
		}
		if (json_object_array_add(list, json_object_new_string(bdf)) < 0)
			return client_oom(args);
	}
	if (c->quiet)
		return status_quiet(c, args);
	return client_run(c, PROTO_CMD_STATUS, args, status_print);
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.cmd = PROTO_CMD_STATUS,
	.usage = "[DEVICE...]",
	.help = "DEVICE is a PCI address (0000:03:00.1 or 03:00.1); without one, every\n"
		"device a config line claims or the daemon manages. Prints DEVICE, STATE,\n"
		"DRIVER (bound now), WANT (the desired driver), LINE (the config line that\n"
		"claims it) and REASON, then a summary such as \"3 converged, 1 blocked\".\n"
		"States: converged, pending, blocked, error, absent, stuck. A device a\n"
		"process holds open stays blocked, the reason naming it: \"held by pid\n"
		"4242 (qemu-system-x86, uid 107) through /dev/vfio/14\". A \"warning:\" line\n"
		"follows when the config in force is not the file's (missing or rejected).\n"
		"Exits 0 only when every listed device is converged.\n"
		"\n"
		"With --quiet, one line instead: the health of the listed devices (every\n"
		"one by default) by vfiobindd's one mapping, \"healthy: 3 converged, 1 blocked\",\n"
		"\"progressing: ...; waiting for DEVICE (pending: ...)\" or \"degraded: ...; WHY\",\n"
		"and the exit code by it: 0 healthy, 1 degraded, 4 progressing (blocked and\n"
		"absent devices are healthy outcomes; error, stuck, no IOMMU, or a config file\n"
		"rejected or missing are degraded).\n",
	.opts = CMD_OPT_QUIET,
	.args_min = 0,
	.args_max = -1,
	.exec = status_exec,
};
