/* SPDX-License-Identifier: GPL-2.0-or-later */
/* server.c: the control socket. Owns the listening socket, the clients (one
 * bufferevent each), the limits that keep one client from hurting the others
 * (line size, half-sent line timeout, pending output, client count), the
 * admin check, the check of a request's args against protocol/'s command
 * table and the dispatch to the commands (daemon/cmd/). The protocol
 * itself is protocol/proto.c's; the state is the engine's. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "engine.h"
#include "log.h"
#include "server.h"
#include "util.h"
#include "clock.h"

#define SERVER_MAX_GROUPS 256

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
};

struct server_client {
	struct server *server;
	struct bufferevent *bev;
	struct event *idle_timer;	/* armed while a half-sent line waits */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool admin;
	bool closing;			/* flush the output, then free */
	bool dropped;			/* given up: freed from the reaper, never in place */
	bool paused;			/* reading stopped: output over the cap */
	json_object *watch_id;		/* set: a watch subscriber */
	json_object *deferred_id;	/* set: a reply is owed (SERVER_DEFERRED) */
	bool deferring;			/* set by the handler during dispatch */
	void (*cancel)(void *ud);
	void *cancel_ud;
	bool want_watch;		/* set by the handler during dispatch */
	char errmsg[512];
	json_object *errfields;		/* extra fields for the error object */
	TAILQ_ENTRY(server_client) entry;
};

TAILQ_HEAD(server_clients, server_client);

struct server {
	struct event_base *base;
	struct engine *engine;
	struct evconnlistener *listener;
	char *path;
	struct server_opts o;
	bool has_admin_gid;
	gid_t admin_gid;
	struct server_clients clients;
	unsigned n_clients;
	struct event *reaper;		/* frees the dropped clients, from the loop */
};

static void client_free(struct server_client *c);
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

static bool client_send(struct server_client *c, json_object *obj);

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
	if (!client_send(c, proto_reply_ok(id, result))) {
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

static void on_reap(evutil_socket_t fd, short what, void *ud)
{
	struct server *s = ud;
	struct server_client *c, *next;

	for (c = TAILQ_FIRST(&s->clients); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dropped)
			client_free(c);
	}
}

/* Give up on c now, but never free it here: its request may be running
 * (a handler's engine call emits events that reach client_send()), and
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
	if (c->idle_timer)
		event_del(c->idle_timer);
	event_active(c->server->reaper, EV_TIMEOUT, 0);
}

/* Queue obj (taken) as one line. Returns false when c was dropped (now or
 * before); c is still valid then, freed later by the reaper. */
static bool client_send(struct server_client *c, json_object *obj)
{
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
		log_warning("client pid %d: out of memory for a reply; closing", (int)c->pid);
		client_drop(c);
		return false;
	}
	if (c->watch_id && evbuffer_get_length(out) > c->server->o.watch_max_output) {
		/* A watcher that does not read must not grow our memory. */
		log_warning("watch client pid %d: %zu bytes unread; dropped", (int)c->pid,
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
	if (!client_send(c, reply))
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	if (c->idle_timer)
		event_del(c->idle_timer);
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
	return client_send(c, reply);
}

/* Handle one complete line; false when c was dropped. */
static bool client_line(struct server_client *c, const char *line, size_t len)
{
	struct proto_request req;
	struct proto_err err = { 0 };
	bool alive;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return true; /* blank lines are tolerated, as from a human typing */
	if (proto_decode_request(line, len, &req, &err) < 0) {
		log_debug("client pid %d: %s: %s", (int)c->pid, proto_error_name(err.code),
			  err.message);
		alive = client_send(c, proto_reply_from_err(&err));
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

static void on_idle(evutil_socket_t fd, short what, void *ud)
{
	struct server_client *c = ud;

	client_fail_close(c, proto_reply_error(NULL, PROTO_ERR_TIMEOUT,
					       "request line not finished within %d ms",
					       c->server->o.idle_timeout_ms));
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
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
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
		client_free(c);
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
		if (c->idle_timer)
			event_del(c->idle_timer);
		return;
	}
	client_free(c);
}

static void client_free(struct server_client *c)
{
	struct server *s = c->server;

	if (c->deferred_id && c->cancel)
		c->cancel(c->cancel_ud);
	json_object_put(c->deferred_id);
	TAILQ_REMOVE(&s->clients, c, entry);
	s->n_clients--;
	if (c->idle_timer)
		event_free(c->idle_timer);
	bufferevent_free(c->bev);
	json_object_put(c->watch_id);
	json_object_put(c->errfields);
	free(c);
}

/* ---- peers ------------------------------------------------------------ */

static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t groups[SERVER_MAX_GROUPS];
	socklen_t len = sizeof(groups);

	if (cred->gid == gid)
		return true;
#ifdef SO_PEERGROUPS
	/* Supplementary groups as of connect() (Linux 4.13). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == gid)
				return true;
	}
#endif
	return false;
}

static int peer_identify(struct server *s, struct server_client *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	/* Our own uid can already do whatever we do (an unprivileged test daemon). */
	c->admin = cred.uid == 0 || cred.uid == geteuid() ||
		   (s->has_admin_gid && peer_in_group(fd, &cred, s->admin_gid));
	return 0;
}

/* ---- accepting -------------------------------------------------------- */

static void refuse_busy(int fd, unsigned max)
{
	json_object *reply = proto_reply_error(NULL, PROTO_ERR_BUSY,
					       "too many clients (at most %u)", max);
	_cleanup_free_ char *line = reply ? proto_encode_line(reply, NULL) : NULL;

	json_object_put(reply);
	/* Best effort on a fresh socket whose buffer is empty; never block. */
	if (line && send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("busy reply not sent: %m");
	close(fd);
}

/* How many clients may be connected when one more peer arrives: idle
 * readers cannot lock the admin out, because SERVER_ADMIN_RESERVE slots below
 * max_clients are for admin peers only, who may also go that far above it. */
static unsigned client_limit(const struct server *s, bool admin)
{
	unsigned max = s->o.max_clients;

	if (admin)
		return max + SERVER_ADMIN_RESERVE;
	return max > 2 * SERVER_ADMIN_RESERVE ? max - SERVER_ADMIN_RESERVE : (max + 1) / 2;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *ud)
{
	struct server *s = ud;
	struct server_client *c;
	unsigned limit;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->server = s;
	if (peer_identify(s, c, fd) < 0) {
		log_warning("control socket: no peer credentials: %m; refusing");
		free(c);
		close(fd);
		return;
	}
	limit = client_limit(s, c->admin);
	if (s->n_clients >= limit) {
		log_warning("control socket: %u clients already; refusing one (pid %d uid %u)",
			    s->n_clients, (int)c->pid, (unsigned)c->uid);
		free(c);
		refuse_busy(fd, limit);
		return;
	}
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->idle_timer = evtimer_new(s->base, on_idle, c);
	if (!c->bev || !c->idle_timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->idle_timer)
			event_free(c->idle_timer);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	s->n_clients++;
	/* Reading stops at a little more than one line: memory stays bounded
	 * and an over-long line is seen as such. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_LINE + 2);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("control socket: client pid %d uid %u%s", (int)c->pid, (unsigned)c->uid,
		  c->admin ? " (admin)" : "");
}

static void on_accept_error(struct evconnlistener *l, void *ud)
{
	int err = EVUTIL_SOCKET_ERROR();

	/* EMFILE and friends: keep serving the clients we have. */
	log_warning("control socket: accept: %s", evutil_socket_error_to_string(err));
}

/* ---- watch events ----------------------------------------------------- */

static void on_engine_event(const struct engine_event *ev, void *ud)
{
	struct server *s = ud;
	struct server_client *c, *next;
	long long now = clock_wall_ms();

	for (c = TAILQ_FIRST(&s->clients); c; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (!c->watch_id || c->closing)
			continue;
		client_send(c, proto_event_new(c->watch_id, proto_event_kind_name(ev->kind), ev->bdf,
					       ev->state, ev->message, ev->err, now));
	}
}

/* ---- listening -------------------------------------------------------- */

static int mkdir_parents(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Remove a socket file left by a daemon that died, but never a live one's
 * and never something that is not a socket. */
static int clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	_cleanup_close_ int fd = -1;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int socket_owner(const struct server *s, const char *path)
{
	struct group *g;

	if (chmod(path, s->o.mode) < 0)
		return -errno;
	if (!s->o.group)
		return 0;
	g = getgrnam(s->o.group);
	if (!g)
		return -ENOENT;
	return chown(path, (uid_t)-1, g->gr_gid) < 0 ? -errno : 0;
}

static int server_listen(struct server *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	mode_t old;
	int r;

	if (util_strlcpy(sun.sun_path, s->path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		return log_errno(LOG_LVL_ERROR, ENAMETOOLONG, "%s", s->path);
	r = mkdir_parents(s->path);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: cannot make its directory", s->path);
	r = clear_stale(s->path, &sun);
	if (r == -EADDRINUSE)
		return log_errno(LOG_LVL_ERROR, r, "%s: another daemon answers there", s->path);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: cannot take over", s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, errno, "socket");
	/* No moment with a wider mode than asked for: the umask covers bind. */
	old = umask(0777 & ~s->o.mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: bind", s->path);
	r = socket_owner(s, s->path);
	if (r < 0) {
		unlink(s->path);
		return log_errno(LOG_LVL_ERROR, r, "%s: mode %04o group %s", s->path,
				 (unsigned)s->o.mode, s->o.group ? s->o.group : "-");
	}
	s->listener = evconnlistener_new(s->base, on_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (!s->listener) {
		unlink(s->path);
		return log_errno(LOG_LVL_ERROR, errno ? errno : ENOMEM, "%s: listen", s->path);
	}
	fd = -1; /* the listener owns it */
	evconnlistener_set_error_cb(s->listener, on_accept_error);
	return 0;
}

static void opts_defaults(struct server_opts *o)
{
	if (!o->path)
		o->path = PROTO_DEFAULT_SOCKET;
	if (!o->mode)
		o->mode = SERVER_DEFAULT_MODE;
	if (!o->max_clients)
		o->max_clients = SERVER_DEFAULT_MAX_CLIENTS;
	if (!o->idle_timeout_ms)
		o->idle_timeout_ms = SERVER_DEFAULT_IDLE_MS;
	if (!o->max_output)
		o->max_output = SERVER_DEFAULT_MAX_OUTPUT;
	if (!o->watch_max_output)
		o->watch_max_output = SERVER_DEFAULT_WATCH_MAX_OUTPUT;
}

static int resolve_admin_group(struct server *s)
{
	struct group *g;

	if (!s->o.admin_group || !s->o.admin_group[0])
		return 0;
	g = getgrnam(s->o.admin_group);
	if (!g)
		return log_errno(LOG_LVL_ERROR, ENOENT, "admin group %s", s->o.admin_group);
	s->has_admin_gid = true;
	s->admin_gid = g->gr_gid;
	return 0;
}

struct server *server_new(struct event_base *base, struct engine *engine,
			  const struct server_opts *opts)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->base = base;
	s->engine = engine;
	s->o = *opts;
	opts_defaults(&s->o);
	TAILQ_INIT(&s->clients);
	s->path = strdup(s->o.path);
	s->o.path = s->path;
	s->reaper = event_new(base, -1, 0, on_reap, s);
	r = s->path && s->reaper ? resolve_admin_group(s) : -ENOMEM;
	if (r == 0)
		r = server_listen(s);
	if (r < 0) {
		if (s->reaper)
			event_free(s->reaper);
		free(s->path);
		free(s);
		errno = -r;
		return NULL;
	}
	if (engine)
		engine_set_event_cb(engine, on_engine_event, s);
	log_info("control socket %s (mode %04o%s%s)", s->path, (unsigned)s->o.mode,
		 s->o.admin_group ? ", admin group " : "",
		 s->o.admin_group ? s->o.admin_group : "");
	return s;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->engine)
		engine_set_event_cb(s->engine, NULL, NULL);
	while (!TAILQ_EMPTY(&s->clients))
		client_free(TAILQ_FIRST(&s->clients));
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->reaper)
		event_free(s->reaper);
	unlink(s->path);
	free(s->path);
	free(s);
}
