/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/watch.c: `vfiobind watch`, the daemon's events as they happen, one
 * line each, until the daemon closes the stream (or the user stops us). */
#include "client.h"
#include "util.h"

static int watch_exec(struct client *c, _unused_ int argc, _unused_ char **argv)
{
	struct proto_reply rep;
	struct proto_err err = { 0 };
	int r;

	r = client_call(c, PROTO_CMD_WATCH, NULL, &rep);
	if (r)
		return r;
	proto_reply_clear(&rep);
	/* No timeout from here: a quiet system sends nothing for hours. */
	while ((r = conn_recv(c->conn, 0, &rep, &err)) > 0) {
		if (!rep.is_event) {
			/* The daemon ending the stream with a reason (e.g. shutting down). */
			r = rep.ok ? CLIENT_EXIT_OK : out_put(stderr, out_error_text(&rep));
			proto_reply_clear(&rep);
			if (r)
				return CLIENT_EXIT_FAIL;
			continue;
		}
		if (c->json)
			out_put(stdout, out_json_line(rep.event));
		else
			out_put(stdout, out_event_line(rep.event, &c->style));
		fflush(stdout);
		proto_reply_clear(&rep);
	}
	if (r == 0)
		return CLIENT_EXIT_OK;
	r = client_conn_failed(c, r, &err);
	proto_err_clear(&err);
	return r;
}

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.cmd = PROTO_CMD_WATCH,
	.usage = "",
	.help = "One line per event: TIME KIND DEVICE STATE MESSAGE (with --json, the\n"
		"event object). KIND is device (a state change), action (a bind or\n"
		"restore), pass or config. Exits 0 when the daemon closes the stream.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = watch_exec,
};
