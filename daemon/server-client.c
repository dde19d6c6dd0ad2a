/* SPDX-License-Identifier: GPL-2.0-or-later */
/* server-client.c: one client of the control socket, from accept to free:
 * lines in (at most PROTO_MAX_LINE each, a half-sent line timed out, and a
 * connection that has not begun its first request timed out), each
 * request decoded (protocol/proto.c), its args checked against the command
 * table, run by its command (daemon/cmd/) and answered in order; replies and
 * watch events out, with reading paused while too much output waits and a
 * watcher that does not read dropped. A client is never freed inside its own
 * request: it is marked dropped and the reaper frees it from the loop. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "engine.h"
#include "log.h"
#include "server-private.h"
#include "util.h"

static const struct server_cmd *const server_cmds[PROTO_CMD__MAX] = {
	[PROTO_CMD_PING] = &server_cmd_ping,
	[PROTO_CMD_VERSION] = &server_cmd_version,
	[PROTO_CMD_STATUS] = &server_cmd_status,
	[PROTO_CMD_DEVICES] = &server_cmd_devices,
	[PROTO_CMD_CONFIG] = &server_cmd_config,
	[PROTO_CMD_ADD] = &server_cmd_add,
	[PROTO_CMD_REMOVE] = &server_cmd_remove,
	[PROTO_CMD_RELOAD] = &server_cmd_reload,
	[PROTO_CMD_RECONCILE] = &server_cmd_reconcile,
	[PROTO_CMD_PLAN] = &server_cmd_plan,
	[PROTO_CMD_WATCH] = &server_cmd_watch,
	[PROTO_CMD_METRICS] = &server_cmd_metrics,
	[PROTO_CMD_WAIT] = &server_cmd_wait,
};

static void client_read(struct server_client *c);
static void client_drop(struct server_client *c);

/* ---- accessors for handlers ------------------------------------------- */

struct engine *server_client_engine(const struct server_client *c) { return c->server->engine; }
uid_t server_client_uid(const struct server_client *c) { return c->uid; }
pid_t server_client_pid(const struct server_client *c) { return c->pid; }
bool server_client_admin(const struct server_client *c) { return c->admin; }
unsigned server_client_count(const struct server *s) { return s->n_clients; }

int server_client_error(struct server_client *c, enum proto_error code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return (int)code;
}

void server_client_error_field(struct server_client *c, const char *key, json_object *val)
{
	if (!c->errfields)
		c->errfields = json_object_new_object();
	if (c->errfields)
		json_object_object_add(c->errfields, key, val);
	else
		json_object_put(val);
}

void server_client_defer(struct server_client *c, void (*cancel)(void *ud), void *ud)
{
	c->deferring = true;
	c->cancel = cancel;
	c->cancel_ud = ud;
}


void server_client_resume(struct server_client *c, json_object *result)
{
	json_object *id = c->deferred_id;

	c->deferred_id = NULL;
	c->cancel = NULL;
	if (c->dropped) {
		/* Given up while we worked: nobody to tell; the reaper frees it. */
		json_object_put(result);
		json_object_put(id);
		return;
	}
	if (!server_client_send(c, proto_reply_ok(id, result))) {
		json_object_put(id);
		return;
	}
	json_object_put(id);
	if (c->closing) {
		/* The peer half-closed while waiting: close once this is out. */
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			client_drop(c);
		return;
	}
	if (!c->paused) {
		/* Requests that queued while we waited run from the loop, not
		 * here: the engine that called us is mid-way through its work. */
		bufferevent_enable(c->bev, EV_READ);
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
}

void server_client_watch(struct server_client *c)
{
	c->want_watch = true;
}

/* ---- output ----------------------------------------------------------- */

void server_reap(evutil_socket_t fd, short what, void *ud)
{
	struct server *s = ud;
	struct server_client *c, *next;

	for (c = TAILQ_FIRST(&s->clients); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dropped)
			server_client_free(c);
	}
}

static void client_timers_stop(struct server_client *c)
{
	if (c->idle_timer)
		event_del(c->idle_timer);
	if (c->first_timer)
		event_del(c->first_timer);
}

/* Give up on c now, but never free it here: its request may be running
 * (a handler's engine call emits events that reach server_client_send()), and
 * callers up the stack still hold it. Reading and writing stop, what was
 * queued either way is discarded, and the reaper frees it (and runs a
 * deferred request's cancel) from the event loop. Every path that may drop
 * c returns false, and its callers stop touching c but for c->dropped. */
static void client_drop(struct server_client *c)
{
	if (c->dropped)
		return;
	c->dropped = true;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	evbuffer_drain(bufferevent_get_output(c->bev),
		       evbuffer_get_length(bufferevent_get_output(c->bev)));
	client_timers_stop(c);
	event_active(c->server->reaper, EV_TIMEOUT, 0);
}

/* Queue obj (taken) as one line. Returns false when c was dropped (now or
 * before); c is still valid then, freed later by the reaper. */
bool server_client_send(struct server_client *c, json_object *obj)
{
	/* Peers can repeat these as fast as they reconnect. */
	static struct log_ratelimit rl_oom = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
	static struct log_ratelimit rl_watch = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	_cleanup_free_ char *line = NULL;
	size_t len = 0;

	if (c->dropped) {
		json_object_put(obj);
		return false;
	}
	if (!obj)
		return true;
	line = proto_encode_line(obj, &len);
	json_object_put(obj);
	if (!line || evbuffer_add(out, line, len) < 0) {
		log_ratelimited(&rl_oom, LOG_LVL_WARNING,
				"client pid %d: out of memory for a reply; closing", (int)c->pid);
		client_drop(c);
		return false;
	}
	if (c->watch_id && evbuffer_get_length(out) > c->server->o.watch_max_output) {
		/* A watcher that does not read must not grow our memory. */
		log_ratelimited(&rl_watch, LOG_LVL_WARNING,
				"watch client pid %d: %zu bytes unread; dropped", (int)c->pid,
				evbuffer_get_length(out));
		client_drop(c);
		return false;
	}
	if (!c->paused && evbuffer_get_length(out) > c->server->o.max_output) {
		/* Stop reading requests until the client takes its replies. */
		c->paused = true;
		bufferevent_disable(c->bev, EV_READ);
	}
	return true;
}

/* Send a last error line, then close once it is written. */
static void client_fail_close(struct server_client *c, json_object *reply)
{
	if (!server_client_send(c, reply))
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	client_timers_stop(c);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_drop(c);
}

/* ---- dispatch --------------------------------------------------------- */

static json_object *error_reply(struct server_client *c, json_object *id, int code)
{
	enum proto_error pe = code < 0 ? proto_error_from_errno(code) : (enum proto_error)code;
	json_object *reply, *err;

	if (pe <= PROTO_OK || pe >= PROTO_ERR__MAX)
		pe = PROTO_ERR_INTERNAL;
	if (!c->errmsg[0])
		snprintf(c->errmsg, sizeof(c->errmsg), "%s",
			 code < 0 ? strerror(-code) : proto_error_name(pe));
	reply = proto_reply_error(id, pe, "%s", c->errmsg);
	if (reply && c->errfields && json_object_object_get_ex(reply, PROTO_F_ERROR, &err)) {
		json_object_object_foreach(c->errfields, k, v)
			json_object_object_add(err, k, json_object_get(v));
	}
	return reply;
}

/* Run a request and queue its reply; false when c was dropped. */
static bool dispatch(struct server_client *c, const struct proto_request *req)
{
	const struct server_cmd *cmd = server_cmds[req->cmd];
	struct proto_err aerr = { 0 };
	json_object *result = NULL, *reply;
	int r;

	c->errmsg[0] = '\0';
	json_object_put(c->errfields);
	c->errfields = NULL;
	c->want_watch = false;
	c->deferring = false;
	if (!cmd || !cmd->handler) {
		r = server_client_error(c, PROTO_ERR_UNKNOWN_COMMAND, "command \"%s\" not available",
					proto_cmd_name(req->cmd));
	} else if (proto_cmd_admin(req->cmd) && !c->admin) {
		r = server_client_error(c, PROTO_ERR_PERMISSION_DENIED,
					"%s changes the daemon: it needs root or the admin group",
					proto_cmd_name(req->cmd));
	} else if (proto_check_args(req->cmd, req->args, &aerr) < 0) {
		/* The one place args are judged (proto_cmds[]): handlers get
		 * known keys of the right types only. */
		r = server_client_error(c, aerr.code, "%s", aerr.message);
	} else {
		r = cmd->handler(c, req->args, &result);
	}
	if (r == SERVER_DEFERRED && c->deferring) {
		/* Also when dropped meanwhile: the reaper then runs cancel. */
		c->deferred_id = json_object_get(req->id);
		if (c->dropped)
			return false;
		bufferevent_disable(c->bev, EV_READ);
		return true;
	}
	if (c->dropped) {
		/* The handler's own events dropped c (a watcher over its cap). */
		if (r != SERVER_DEFERRED)
			json_object_put(result);
		json_object_put(c->errfields);
		c->errfields = NULL;
		return false;
	}
	if (r == 0) {
		reply = proto_reply_ok(req->id, result);
	} else {
		json_object_put(result);
		reply = error_reply(c, req->id, r);
	}
	if (r == 0 && c->want_watch && !c->watch_id)
		c->watch_id = json_object_get(req->id);
	json_object_put(c->errfields);
	c->errfields = NULL;
	return server_client_send(c, reply);
}

/* Handle one complete line; false when c was dropped. */
static bool client_line(struct server_client *c, const char *line, size_t len)
{
	struct proto_request req;
	struct proto_err err = { 0 };
	bool alive;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return true; /* blank lines are tolerated, as from a human typing */
	/* Its first request (answered, whatever it was): from now on the
	 * connection may stay idle for good (a watch, a client waiting). */
	c->asked = true;
	if (c->first_timer)
		event_del(c->first_timer);
	if (proto_decode_request(line, len, &req, &err) < 0) {
		log_debug("client pid %d: %s: %s", (int)c->pid, proto_error_name(err.code),
			  err.message);
		alive = server_client_send(c, proto_reply_from_err(&err));
		proto_err_clear(&err);
		return alive;
	}
	proto_err_clear(&err);
	log_debug("client pid %d uid %u: %s", (int)c->pid, (unsigned)c->uid,
		  proto_cmd_name(req.cmd));
	alive = dispatch(c, &req);
	proto_request_clear(&req);
	return alive;
}

/* A client that ran out of time: its timeout error, then closed. rl: the
 * cause's rate limit (a peer can reconnect and time out in a loop). */
static void client_timed_out(struct server_client *c, struct log_ratelimit *rl,
			     const char *why, int ms)
{
	log_ratelimited(rl, LOG_LVL_INFO, "client pid %d uid %u: %s within %d ms; closing",
			(int)c->pid, (unsigned)c->uid, why, ms);
	client_fail_close(c, proto_reply_error(NULL, PROTO_ERR_TIMEOUT, "%s within %d ms", why,
					       ms));
}

static void on_idle(evutil_socket_t fd, short what, void *ud)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
	struct server_client *c = ud;

	client_timed_out(c, &rl, "request line not finished", c->server->o.idle_timeout_ms);
}

/* Nothing asked yet this long after connecting. A line under way is left to
 * the half-line timeout (on_idle); after the first request there is no
 * such timeout at all (doc/protocol.md, Limits). */
static void on_first(evutil_socket_t fd, short what, void *ud)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
	struct server_client *c = ud;

	if (c->dropped || c->closing || c->asked ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		return;
	client_timed_out(c, &rl, "no request", c->server->o.first_request_ms);
}

static void ms_timeval(int ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void arm_idle(struct server_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct timeval tv;
	int ms = c->server->o.idle_timeout_ms;

	if (!c->idle_timer || ms < 0)
		return;
	if (evbuffer_get_length(in) == 0) {
		event_del(c->idle_timer);
		return;
	}
	/* Armed once per line, not pushed back by more bytes: a client that
	 * dribbles one byte a second still runs out of time. */
	if (event_pending(c->idle_timer, EV_TIMEOUT, NULL))
		return;
	ms_timeval(ms, &tv);
	event_add(c->idle_timer, &tv);
}

static void client_read(struct server_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (!c->closing && !c->paused && !c->deferred_id) {
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		bool alive;

		if (!line) {
			if (evbuffer_get_length(in) > PROTO_MAX_LINE)
				goto too_large;
			break;
		}
		if (len > PROTO_MAX_LINE) {
			free(line);
			goto too_large;
		}
		alive = client_line(c, line, len);
		free(line);
		if (!alive || c->dropped)
			return;
		if (c->idle_timer)
			event_del(c->idle_timer); /* a line ended: a new one starts */
	}
	if (!c->closing)
		arm_idle(c);
	return;
too_large:
	client_fail_close(c, proto_reply_error(NULL, PROTO_ERR_TOO_LARGE,
					       "request line longer than %d bytes",
					       PROTO_MAX_LINE));
}

static void on_read(struct bufferevent *bev, void *ud)
{
	struct server_client *c = ud;

	if (!c->dropped)
		client_read(c);
}

static void on_write(struct bufferevent *bev, void *ud)
{
	struct server_client *c = ud;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->dropped)
		return; /* the reaper has it */
	if (c->closing && left == 0) {
		server_client_free(c);
		return;
	}
	if (c->paused && left <= c->server->o.max_output / 2) {
		c->paused = false;
		if (c->deferred_id)
			return; /* reading resumes with the owed reply */
		bufferevent_enable(bev, EV_READ);
		client_read(c); /* lines that arrived while paused */
	}
}

static void on_event(struct bufferevent *bev, short what, void *ud)
{
	struct server_client *c = ud;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->dropped)
		return; /* the reaper has it */
	if ((what & BEV_EVENT_EOF) && !c->closing && !c->paused &&
	    evbuffer_get_length(in) > 0) {
		/* `printf '{...}' | socat`: a last line without its '\n'. */
		size_t len = evbuffer_get_length(in);
		_cleanup_free_ char *line = malloc(len + 1);

		if (line && evbuffer_remove(in, line, len) == (int)len &&
		    (!client_line(c, line, len) || c->dropped))
			return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->watch_id &&
	    (c->deferred_id || evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		/* Half-closed: the replies still go out, then we close. */
		c->closing = true;
		client_timers_stop(c);
		return;
	}
	server_client_free(c);
}

void server_client_free(struct server_client *c)
{
	struct server *s = c->server;

	if (c->deferred_id && c->cancel)
		c->cancel(c->cancel_ud);
	json_object_put(c->deferred_id);
	TAILQ_REMOVE(&s->clients, c, entry);
	s->n_clients--;
	if (c->idle_timer)
		event_free(c->idle_timer);
	if (c->first_timer)
		event_free(c->first_timer);
	bufferevent_free(c->bev);
	json_object_put(c->watch_id);
	json_object_put(c->errfields);
	free(c);
}

/* ---- starting ---------------------------------------------------------- */

int server_client_start(struct server_client *c, int fd)
{
	struct server *s = c->server;
	struct timeval tv;

	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->idle_timer = evtimer_new(s->base, on_idle, c);
	c->first_timer = evtimer_new(s->base, on_first, c);
	if (!c->bev || !c->idle_timer || !c->first_timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->idle_timer)
			event_free(c->idle_timer);
		if (c->first_timer)
			event_free(c->first_timer);
		free(c);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	s->n_clients++;
	/* Reading stops at a little more than one line: memory stays bounded
	 * and an over-long line is seen as such. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LINE + 2);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (s->o.first_request_ms >= 0) {
		ms_timeval(s->o.first_request_ms, &tv);
		event_add(c->first_timer, &tv);
	}
	return 0;
}
