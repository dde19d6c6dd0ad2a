/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/config.c: `vfiobind config`, the config the daemon runs on. */
#include "client.h"
#include "util.h"

static void config_print(_unused_ const struct client *c, json_object *result)
{
	json_object *rejected;

	out_put(stdout, out_config_text(result));
	/* The file on disk failed to parse: the daemon kept the last good config
	 * (printed above); say why the new one was refused, as reload would. */
	if (json_object_object_get_ex(result, PROTO_R_REJECTED, &rejected) &&
	    json_object_is_type(rejected, json_type_object)) {
		struct proto_reply why = {
			.code_name = proto_error_name(PROTO_ERR_CONFIG_INVALID),
			.message = "the file on disk was refused; the config above stays in force",
			.error = rejected,
		};

		out_put(stderr, out_error_text(&why));
	}
}

static int config_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	return client_run(c, PROTO_CMD_CONFIG, NULL, config_print);
}

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.cmd = PROTO_CMD_CONFIG,
	.usage = "",
	.help = "Prints the source file, when it was loaded, whether add or remove changed\n"
		"it at runtime only, then each entry with its line number. Exits 1 when the\n"
		"file on disk has been refused (the errors go to stderr).\n",
	.args_min = 0,
	.args_max = 0,
	.exec = config_exec,
};
