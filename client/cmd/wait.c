/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/wait.c: `vfiobind wait [DEVICE|SELECTOR...]`, the readiness handshake
 * an init container, a libvirt drop-in or a device plugin runs before it
 * starts: it returns once the devices are settled by the daemon's health
 * mapping. It starts before the daemon as often as after it, so a socket
 * that is not there yet (or a daemon that restarts meanwhile) is waited
 * for too, until --timeout; the daemon answers each request within its own
 * cap, and this side asks again while its time lasts. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "clock.h"
#include "util.h"

/* A reply may come this long after the time asked for (the daemon's loop
 * may be busy with a pass just then). */
#define WAIT_REPLY_GRACE_MS 5000
#define WAIT_RETRY_MS 200

struct waiter {
	struct client *c;
	json_object *devices;		/* the selectors asked about, NULL every device */
	long long deadline;		/* monotonic ms, 0 none */
	bool said_down;			/* "not up yet" was said */
};

static long long left_ms(const struct waiter *w)
{
	long long left = w->deadline - clock_mono_ms();

	return left > 0 ? left : 0;
}

static bool expired(const struct waiter *w)
{
	return w->deadline && left_ms(w) == 0;
}

static void pause_ms(const struct waiter *w, long long ms)
{
	struct timespec ts;

	if (w->deadline && left_ms(w) < ms)
		ms = left_ms(w);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* Connect, or wait for the daemon while it is not there yet: no socket, or
 * nobody listening on one left behind. Anything else (permissions, a path
 * too long) will not go away by waiting. */
static int connect_waiting(struct waiter *w)
{
	for (;;) {
		int r = conn_open(w->c->socket, &w->c->conn);

		if (r == 0)
			return CLIENT_EXIT_OK;
		if ((r != -ENOENT && r != -ECONNREFUSED) || expired(w)) {
			fprintf(stderr, "vfiobind: %s vfiobindd at %s: %s\n",
				expired(w) ? "still waiting for" : "cannot reach", w->c->socket,
				strerror(-r));
			return CLIENT_EXIT_UNREACHABLE;
		}
		if (!w->said_down)
			fprintf(stderr, "vfiobind: vfiobindd is not up at %s yet: waiting for it\n",
				w->c->socket);
		w->said_down = true;
		pause_ms(w, WAIT_RETRY_MS);
	}
}

static json_object *request(struct waiter *w, long long id)
{
	json_object *args = NULL;

	if (w->devices && client_args_add(&args, PROTO_A_DEVICES, json_object_get(w->devices)) < 0)
		return NULL;
	/* No deadline of ours: the daemon's cap; we ask again after it. */
	if (w->deadline && client_args_add(&args, PROTO_A_TIMEOUT,
					   json_object_new_int64(left_ms(w))) < 0) {
		json_object_put(args);
		return NULL;
	}
	return proto_request_new_int(PROTO_CMD_WAIT, id, args);
}

/* One request: 1 and rep (an ok reply to it) filled; 0 when the daemon went
 * away (ask again once it is back); else the exit code, said. */
static int ask(struct waiter *w, struct proto_reply *rep)
{
	struct proto_err err = { 0 };
	long long id = ++w->c->next_id;
	json_object *req = request(w, id);
	int r;

	if (!req)
		return client_oom(NULL);
	r = conn_send(w->c->conn, req);
	json_object_put(req);
	if (r == 0)
		r = conn_recv(w->c->conn, w->deadline ? (int)left_ms(w) + WAIT_REPLY_GRACE_MS : 0,
			      rep, &err);
	if (r == 0 || r == -EPROTO || r == -EPIPE || r == -ECONNRESET) {
		proto_err_clear(&err);
		return 0;
	}
	if (r < 0) {
		r = client_conn_failed(w->c, r, &err);
		proto_err_clear(&err);
		return r;
	}
	if (!client_reply_matches(rep, id)) {
		fprintf(stderr, "vfiobind: bad reply from vfiobindd at %s: %s\n", w->c->socket,
			rep->is_event ? "an event before the reply" : "id does not match");
		proto_reply_clear(rep);
		return CLIENT_EXIT_FAIL;
	}
	if (!rep->ok && rep->code == PROTO_ERR_BUSY) {
		/* Too many clients just now: the daemon closes; come back. */
		proto_reply_clear(rep);
		return 0;
	}
	if (!rep->ok) {
		out_put(stderr, out_error_text(rep));
		proto_reply_clear(rep);
		return CLIENT_EXIT_FAIL;
	}
	return 1;
}

/* A reply: the exit code when it ends the wait, -1 to ask again. */
static int answered(struct waiter *w, const struct proto_reply *rep)
{
	json_object *health = NULL;

	proto_args_object(rep->result, PROTO_R_HEALTH, false, &health);
	if (out_bool(rep->result, PROTO_R_SETTLED) == 1) {
		out_put(stderr, out_unmatched_text(rep->result));
		if (w->c->json)
			out_put(stdout, out_json_line(rep->result));
		else
			out_put(stdout, out_health_line(health));
		return CLIENT_EXIT_OK;
	}
	if (!expired(w))
		return -1;
	if (w->c->json)
		out_put(stdout, out_json_line(rep->result));
	out_put(stderr, out_wait_text(rep->result));
	return CLIENT_EXIT_NOT_SETTLED;
}

/* The DEVICE|SELECTOR arguments as the protocol wants them. */
static int read_devices(int argc, char **argv, json_object **out)
{
	*out = NULL;
	if (argc == 0)
		return 0;
	*out = json_object_new_array();
	for (int i = 0; *out && i < argc; i++) {
		char bdf[BDF_BUFSZ];
		const char *arg = out_device_arg(argv[i], bdf);

		if (!arg) {
			json_object_put(*out);
			return client_usage_error(&cmd_wait_entry,
						  "not a PCI address or a selector: %s", argv[i]);
		}
		json_object_array_add(*out, json_object_new_string(arg));
	}
	return *out ? 0 : client_oom(NULL);
}

static int wait_exec(struct client *c, int argc, char **argv)
{
	struct waiter w = { .c = c };
	int r;

	r = read_devices(argc, argv, &w.devices);
	if (r)
		return r;
	w.deadline = c->timeout_ms ? clock_mono_ms() + c->timeout_ms : 0;
	for (;;) {
		struct proto_reply rep;

		if (!c->conn && (r = connect_waiting(&w)))
			break;
		r = ask(&w, &rep);
		if (r == 0) {
			/* The daemon went away (a restart): wait for it again. */
			conn_free(c->conn);
			c->conn = NULL;
			w.said_down = false;
			pause_ms(&w, WAIT_RETRY_MS);
			continue;
		}
		if (r != 1)
			break;
		r = answered(&w, &rep);
		proto_reply_clear(&rep);
		if (r >= 0)
			break;
	}
	json_object_put(w.devices);
	return r;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.cmd = PROTO_CMD_WAIT,
	.usage = "[--timeout SECONDS] [DEVICE|SELECTOR...]",
	.help = "Returns once the devices named (a PCI address, or a selector such as\n"
		"id=8086:1521, class=0x0200, pf=ens1f0; every claimed device by default) are\n"
		"settled by vfiobindd's health mapping: none pending, a valid config loaded.\n"
		"Settled includes converged, blocked on purpose, absent, and error or stuck\n"
		"(then the line printed says degraded). It prints the health line and exits 0.\n"
		"\n"
		"--timeout (default 60; 0: no limit) bounds the whole wait. A daemon that is\n"
		"not up yet, or restarts, is waited for too. When the time is over: a line\n"
		"\"still waiting for DEVICE (STATE: REASON)\" for each device and exit 4, or\n"
		"exit 3 when vfiobindd never answered. A PCI address no line claims is waited\n"
		"for (a config change may claim it); a selector that matches nothing here is\n"
		"nothing to wait for, and said so.\n",
	.args_min = 0,
	.args_max = -1,
	.exec = wait_exec,
};
