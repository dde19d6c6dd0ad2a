/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/plan.c: `vfiobind plan [FILE]`, what a pass would do now, or with
 * FILE as the config: a dry run to check an edit before it goes live. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "util.h"
#include "fileio.h"

static void plan_print(const struct client *c, json_object *result)
{
	json_object *actions = NULL, *statuses = NULL;

	proto_args_array(result, PROTO_R_ACTIONS, false, &actions);
	if (proto_args_array(result, PROTO_R_STATUSES, false, &statuses) < 0 || !statuses)
		proto_args_array(result, PROTO_R_DEVICES, false, &statuses);
	out_put(stdout, out_actions_text(actions, &c->style));
	if (json_object_is_type(statuses, json_type_array) && json_object_array_length(statuses)) {
		puts("");
		out_put(stdout, out_status_text(statuses, &c->style));
	}
}

static int plan_exec(struct client *c, int argc, char **argv)
{
	json_object *args = NULL;
	char *text;
	int r;

	if (argc == 1) {
		/* The request must fit one line: no config over PROTO_MAX_LINE. */
		r = fileio_read_file(strcmp(argv[0], "-") ? argv[0] : "/dev/stdin", PROTO_MAX_LINE,
				   &text, NULL);
		if (r < 0) {
			fprintf(stderr, "vfiobind: %s: %s\n", strcmp(argv[0], "-") ? argv[0] : "stdin",
				r == -EFBIG ? "larger than a request can carry (64 KiB)" : strerror(-r));
			return CLIENT_EXIT_USAGE;
		}
		r = client_args_add(&args, PROTO_A_CONFIG, json_object_new_string(text));
		free(text);
		/* so that errors read FILE:LINE: message */
		if (r >= 0)
			r = client_args_add(&args, PROTO_A_SOURCE,
					    json_object_new_string(strcmp(argv[0], "-") ? argv[0]
										 : "(stdin)"));
		if (r < 0)
			return client_oom(args);
	}
	return client_run(c, PROTO_CMD_PLAN, args, plan_print);
}

const struct cmd_entry cmd_plan_entry = {
	.name = "plan",
	.cmd = PROTO_CMD_PLAN,
	.usage = "[FILE]",
	.help = "Without FILE, what a pass would do now under the config in force. With\n"
		"FILE (\"-\": standard input), what it would do if FILE were the config:\n"
		"nothing is bound and the config is not changed. A FILE with bad lines\n"
		"gets every FILE:LINE: MESSAGE and exit 1. Prints the actions (ACTION\n"
		"DEVICE WHAT), then the states the devices would have.\n",
	.args_min = 0,
	.args_max = 1,
	.exec = plan_exec,
};
