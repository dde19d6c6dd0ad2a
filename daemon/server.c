/* SPDX-License-Identifier: GPL-2.0-or-later */
/* server.c: the control socket. Owns the listening socket, who a peer is
 * (SO_PEERCRED, SO_PEERGROUPS: admin or not), how many may connect, and the
 * fan-out of engine events to `watch` clients. One client's life (lines,
 * dispatch, replies) is server-client.c's; the protocol is protocol/'s; the
 * state is the engine's. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "engine.h"
#include "log.h"
#include "rundir.h"
#include "server-private.h"
#include "util.h"
#include "clock.h"

/* A first guess at a peer's supplementary groups; one with more (up to
 * NGROUPS_MAX, 65536) gets a buffer of the size the kernel asks for. */
#define SERVER_PEER_GROUPS 256

/* ---- peers ------------------------------------------------------------ */

#ifdef SO_PEERGROUPS
/* The peer's supplementary groups as of connect() (Linux 4.13): 0 with
 * *groups (malloc'd) and *n, or -errno. */
static int peer_groups(int fd, gid_t **groups, size_t *n)
{
	socklen_t len = SERVER_PEER_GROUPS * sizeof(gid_t);

	/* ERANGE sets len to what the groups need; they were fixed at
	 * connect(), so one retry with that much is enough. */
	for (int tries = 0; tries < 2; tries++) {
		gid_t *g = malloc(len ? len : 1);

		if (!g)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			*groups = g;
			*n = len / sizeof(gid_t);
			return 0;
		}
		free(g);
		if (errno != ERANGE)
			return -errno;
	}
	return -ERANGE;
}
#endif

static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	if (cred->gid == gid)
		return true;
#ifdef SO_PEERGROUPS
	{
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
		_cleanup_free_ gid_t *groups = NULL;
		size_t n = 0;
		int r = peer_groups(fd, &groups, &n);

		if (r < 0)
			log_ratelimited(&rl, LOG_LVL_WARNING,
					"control socket: groups of pid %d: %s; taken as not admin",
					(int)cred->pid, strerror(-r));
		for (size_t i = 0; i < n; i++)
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

/* A peer that keeps connecting makes a refusal per connection: each cause
 * logs one line per interval, with the count of the others. */
static struct log_ratelimit rl_busy = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
static struct log_ratelimit rl_busy_uid = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
static struct log_ratelimit rl_busy_unsent = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
static struct log_ratelimit rl_cred = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);

static void refuse_busy(int fd, const char *why)
{
	json_object *reply = proto_reply_error(NULL, PROTO_ERR_BUSY, "%s", why);
	_cleanup_free_ char *line = reply ? proto_encode_line(reply, NULL) : NULL;

	json_object_put(reply);
	/* Best effort on a fresh socket whose buffer is empty; never block. */
	if (line && send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_ratelimited(&rl_busy_unsent, LOG_LVL_DEBUG, "busy reply not sent: %s",
				strerror(errno));
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

/* The connections uid holds as a peer that is not admin. */
static unsigned uid_clients(const struct server *s, uid_t uid)
{
	const struct server_client *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &s->clients, entry)
		n += !c->admin && c->uid == uid;
	return n;
}

/* 0 when c may have a slot, else the busy reply's message into why. */
static int client_admit(const struct server *s, const struct server_client *c, char *why,
			size_t size)
{
	unsigned limit = client_limit(s, c->admin), mine;

	if (s->n_clients >= limit) {
		log_ratelimited(&rl_busy, LOG_LVL_WARNING,
				"control socket: %u clients already; refusing one (pid %d uid %u)",
				s->n_clients, (int)c->pid, (unsigned)c->uid);
		snprintf(why, size, "too many clients (at most %u)", limit);
		return -EBUSY;
	}
	if (c->admin)
		return 0;
	/* One user's silent connections must not starve the others. */
	mine = uid_clients(s, c->uid);
	if (mine >= s->o.max_per_uid) {
		log_ratelimited(&rl_busy_uid, LOG_LVL_WARNING,
				"control socket: uid %u holds %u connections already; refusing "
				"one (pid %d)", (unsigned)c->uid, mine, (int)c->pid);
		snprintf(why, size, "too many clients of uid %u (at most %u)", (unsigned)c->uid,
			 s->o.max_per_uid);
		return -EBUSY;
	}
	return 0;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *ud)
{
	struct server *s = ud;
	struct server_client *c;
	char why[128];
	int r;

	s->accept_pause_ms = 0; /* accept works again */
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->server = s;
	r = peer_identify(s, c, fd);
	if (r < 0) {
		log_ratelimited(&rl_cred, LOG_LVL_WARNING,
				"control socket: no peer credentials: %s; refusing", strerror(-r));
		free(c);
		close(fd);
		return;
	}
	if (client_admit(s, c, why, sizeof(why)) < 0) {
		free(c);
		refuse_busy(fd, why);
		return;
	}
	if (server_client_start(c, fd) < 0)
		return;
	log_debug("control socket: client pid %d uid %u%s", (int)c->pid, (unsigned)c->uid,
		  c->admin ? " (admin)" : "");
}

/* A failed accept pauses listening, for 100 ms doubling to 1 s until one
 * succeeds: the error (EMFILE at the file limit above all) stays while
 * the connection waits in the backlog, and retrying at once would spin. */
#define SERVER_ACCEPT_PAUSE_MS 100
#define SERVER_ACCEPT_PAUSE_MAX_MS 1000

static void on_accept_error(struct evconnlistener *l, void *ud)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(LOG_RATELIMIT_MS);
	struct server *s = ud;
	const char *err = evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	int ms = s->accept_pause_ms ? s->accept_pause_ms * 2 : SERVER_ACCEPT_PAUSE_MS;
	struct timeval tv;

	if (ms > SERVER_ACCEPT_PAUSE_MAX_MS)
		ms = SERVER_ACCEPT_PAUSE_MAX_MS;
	s->accept_pause_ms = ms;
	/* The clients we have are served all the while. */
	evconnlistener_disable(l);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(s->accept_retry, &tv);
	if (!log_ratelimited(&rl, LOG_LVL_WARNING,
			     "control socket: accept: %s; new clients wait", err))
		log_debug("control socket: accept: %s; listening again in %d ms", err, ms);
}

static void on_accept_retry(evutil_socket_t fd, short what, void *ud)
{
	struct server *s = ud;

	evconnlistener_enable(s->listener);
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
		server_client_send(c, proto_event_new(c->watch_id, proto_event_kind_name(ev->kind),
						      ev->bdf, ev->state, ev->message, ev->err, now));
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
 * and never something that is not a socket (a link above all). */
static int clear_stale(int dfd, const char *name, const struct sockaddr_un *sun)
{
	struct stat st;
	_cleanup_close_ int fd = -1;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
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
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The group, set on the name in the directory we judged, never through a
 * link. The mode needs no call at all: bind() made it under our umask. */
static int socket_group(const struct server *s, int dfd, const char *name)
{
	struct group *g;

	if (!s->o.group)
		return 0;
	g = getgrnam(s->o.group);
	if (!g)
		return -ENOENT;
	return fchownat(dfd, name, (uid_t)-1, g->gr_gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* The socket's directory: made when missing, then judged like a run
 * directory (owned by root, writable by root alone: nobody else can swap
 * a name in it between bind() and fchownat()). Its fd; the bind address
 * under its real path, so that the socket lands in the directory judged. */
static int socket_dir(struct server *s, struct sockaddr_un *sun, const char **name)
{
	_cleanup_free_ char *dir = strdup(s->path);
	char real[PATH_MAX], *slash;
	int dfd, r;

	if (!dir)
		return -ENOMEM;
	r = mkdir_parents(s->path);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: cannot make its directory", s->path);
	slash = strrchr(dir, '/');
	*name = slash ? s->path + (slash - dir) + 1 : s->path;
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	dfd = rundir_open(slash ? dir : ".", real);
	if (dfd < 0)
		return log_errno(LOG_LVL_ERROR, dfd, "%s: unsafe directory for the socket", s->path);
	if (util_fmt(sun->sun_path, sizeof(sun->sun_path), "%s%s%s", real,
		     strcmp(real, "/") ? "/" : "", *name) < 0) {
		close(dfd);
		return log_errno(LOG_LVL_ERROR, ENAMETOOLONG, "%s", s->path);
	}
	return dfd;
}

static int server_listen(struct server *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1, dfd = -1;
	const char *name;
	mode_t old;
	int r;

	dfd = socket_dir(s, &sun, &name);
	if (dfd < 0)
		return dfd;
	r = clear_stale(dfd, name, &sun);
	if (r == -EADDRINUSE)
		return log_errno(LOG_LVL_ERROR, r, "%s: another daemon answers there", s->path);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: cannot take over", s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, errno, "socket");
	/* The mode comes from the umask at bind(), never from a chmod() of the
	 * path afterwards (which follows whatever is there by then), and there
	 * is no moment with a wider mode than asked for. */
	old = umask(0777 & ~s->o.mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "%s: bind", s->path);
	r = socket_group(s, dfd, name);
	if (r < 0) {
		unlinkat(dfd, name, 0);
		return log_errno(LOG_LVL_ERROR, r, "%s: group %s", s->path, s->o.group);
	}
	s->listener = evconnlistener_new(s->base, on_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (!s->listener) {
		unlinkat(dfd, name, 0);
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
	if (!o->max_per_uid)
		o->max_per_uid = SERVER_DEFAULT_MAX_PER_UID;
	if (!o->idle_timeout_ms)
		o->idle_timeout_ms = SERVER_DEFAULT_IDLE_MS;
	if (!o->first_request_ms)
		o->first_request_ms = SERVER_DEFAULT_FIRST_REQUEST_MS;
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
	s->reaper = event_new(base, -1, 0, server_reap, s);
	s->accept_retry = evtimer_new(base, on_accept_retry, s);
	r = s->path && s->reaper && s->accept_retry ? resolve_admin_group(s) : -ENOMEM;
	if (r == 0)
		r = server_listen(s);
	if (r < 0) {
		if (s->reaper)
			event_free(s->reaper);
		if (s->accept_retry)
			event_free(s->accept_retry);
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
		server_client_free(TAILQ_FIRST(&s->clients));
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->reaper)
		event_free(s->reaper);
	if (s->accept_retry)
		event_free(s->accept_retry);
	unlink(s->path);
	free(s->path);
	free(s);
}
