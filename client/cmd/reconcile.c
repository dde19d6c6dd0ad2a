/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/reconcile.c: `vfiobind reconcile`, run a full pass now and say what
 * it did. */
#include "client.h"
#include "util.h"

static void reconcile_print(const struct client *c, json_object *result)
{
	json_object *actions = NULL;

	proto_args_array(result, PROTO_R_ACTIONS, false, &actions);
	out_put(stdout, out_actions_text(actions, &c->style));
	if (out_bool(result, PROTO_R_CONVERGED) == 0)
		puts("not converged: see 'vfiobind status'");
}

static int reconcile_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	return client_run(c, PROTO_CMD_RECONCILE, NULL, reconcile_print);
}

const struct cmd_entry cmd_reconcile_entry = {
	.name = "reconcile",
	.cmd = PROTO_CMD_RECONCILE,
	.usage = "",
	.help = "Prints the actions the pass took (ACTION DEVICE WHAT). Exits 0 when every\n"
		"claimed device is converged afterwards, 1 when not.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = reconcile_exec,
};
