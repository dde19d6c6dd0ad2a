/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/wait.c: `wait`: the readiness handshake. The reply comes once the
 * devices asked about (every one by default) are settled by the health
 * mapping (logic/health.h), or with "settled": false when the timeout
 * passes first. The wait is an engine waiter with a deadline (no timer of
 * its own), and the deadline is capped, so a waiting client never holds its
 * connection slot for ever: the client asks again while its own time lasts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "server.h"
#include "util.h"

/* The longest one request waits (the client's own --timeout may be longer:
 * it asks again). A deferred request stops reading its connection, so a
 * client killed while it waits is seen only when the answer goes out: this
 * bounds how long such a dead client holds its slot. */
#define WAIT_MAX_MS (60LL * 1000)

struct wait_req {
	struct server_client *client;
	struct engine_waiter *waiter;
	struct cfg_selector *only;	/* NULL: every device */
	size_t n;
};

static void wait_free(struct wait_req *w)
{
	free(w->only);
	free(w);
}

static json_object *waiting_entry(const char *bdf, const char *state, const char *reason)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, PROTO_S_DEVICE, json_object_new_string(bdf));
	json_object_object_add(o, PROTO_S_STATE, server_json_str(state, true));
	json_object_object_add(o, PROTO_S_REASON, json_object_new_string(reason));
	return o;
}

/* Does selector i of in pick any status? */
static bool picks_any(const struct health_input *in, size_t i)
{
	struct health_input one = *in;

	one.only = &in->only[i];
	one.n_only = 1;
	for (size_t j = 0; in->plan && j < in->plan->n_statuses; j++)
		if (health_selected(&one, &in->plan->statuses[j]))
			return true;
	return false;
}

/* What is still waited for: the selected devices that are not settled,
 * and the BDFs asked about that no line claims. */
static json_object *waiting(const struct health_input *in)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; in->plan && i < in->plan->n_statuses; i++) {
		const struct plan_status *st = &in->plan->statuses[i];
		struct view_dev v;

		if (!health_selected(in, st))
			continue;
		v = health_view(in, st);
		if (health_classify(in, st, &v) == HEALTH_CLASS_WAIT)
			json_object_array_add(list, waiting_entry(st->bdf, proto_state_name(v.state),
								  v.reason));
	}
	for (size_t i = 0; i < in->n_only; i++) {
		char bdf[BDF_BUFSZ];

		if (in->only[i].kind != CFG_SEL_BDF || picks_any(in, i))
			continue;
		bdf_format(&in->only[i].addr, bdf);
		json_object_array_add(list, waiting_entry(bdf, NULL, "no line claims it"));
	}
	return list;
}

/* Selectors (not BDFs) that pick no device: nothing to wait for there (this
 * node lacks that hardware), said so the caller can tell a typo. */
static json_object *unmatched(const struct health_input *in)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < in->n_only; i++) {
		char text[256];

		if (in->only[i].kind == CFG_SEL_BDF || picks_any(in, i))
			continue;
		if (config_format_selector(&in->only[i], text, sizeof(text)) >= 0)
			json_object_array_add(list, json_object_new_string(text));
	}
	return list;
}

static json_object *wait_result(struct engine *e, const struct wait_req *w)
{
	json_object *res = json_object_new_object();
	struct health_input in;
	struct health h;

	engine_health_input(e, &in);
	in.only = w->only;
	in.n_only = w->n;
	health_compute(&in, &h);
	json_object_object_add(res, PROTO_R_SETTLED, json_object_new_boolean(h.settled));
	json_object_object_add(res, PROTO_R_HEALTH, server_json_health(&h));
	json_object_object_add(res, PROTO_R_WAITING, waiting(&in));
	json_object_object_add(res, PROTO_R_UNMATCHED, unmatched(&in));
	return res;
}

static void on_answer(void *ud, bool settled)
{
	struct wait_req *w = ud;

	/* The engine drops its waiter itself once it has answered. */
	server_client_resume(w->client, wait_result(server_client_engine(w->client), w));
	wait_free(w);
}

static void on_cancel(void *ud)
{
	struct wait_req *w = ud;

	engine_wait_cancel(server_client_engine(w->client), w->waiter);
	wait_free(w);
}

static int read_selectors(struct server_client *c, json_object *list, struct wait_req *w)
{
	size_t n = json_object_array_length(list);

	/* An empty list asks about nothing: settled at once. */
	w->only = calloc(n ? n : 1, sizeof(*w->only));
	if (!w->only)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = server_parse_selector(c, json_object_get_string(
						      json_object_array_get_idx(list, i)),
					      &w->only[i]);

		if (r)
			return r;
	}
	w->n = n;
	return 0;
}

static int cmd_wait(struct server_client *c, json_object *args, json_object **result)
{
	struct engine *e = server_client_engine(c);
	int64_t timeout = WAIT_MAX_MS;
	json_object *list = NULL;
	struct wait_req *w;
	struct health h;
	int r;

	proto_args_array(args, PROTO_A_DEVICES, false, &list);
	proto_args_int(args, PROTO_A_TIMEOUT, false, &timeout);
	if (timeout < 0)
		return server_args_error(c, PROTO_A_TIMEOUT, -EINVAL,
					 proto_cmd_arg(PROTO_CMD_WAIT, PROTO_A_TIMEOUT)->what);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->client = c;
	r = list ? read_selectors(c, list, w) : 0;
	if (r) {
		wait_free(w);
		return r;
	}
	engine_health(e, w->only, w->n, &h);
	if (h.settled || timeout == 0) {
		*result = wait_result(e, w);
		wait_free(w);
		return 0;
	}
	w->waiter = engine_wait_health(e, w->only, w->n, timeout < WAIT_MAX_MS ? timeout : WAIT_MAX_MS,
				       on_answer, w);
	if (!w->waiter) {
		wait_free(w);
		return -ENOMEM;
	}
	server_client_defer(c, on_cancel, w);
	return SERVER_DEFERRED;
}

const struct server_cmd server_cmd_wait = { PROTO_CMD_WAIT, cmd_wait };
