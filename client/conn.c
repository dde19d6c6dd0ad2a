/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conn.c: the client end of the control socket. One request per command
 * (at most PROTO_MAX_LINE, what the daemon reads), replies read line by line
 * into a buffer that grows up to PROTO_MAX_REPLY (a status of thousands of
 * devices fits; a daemon that sends more without a newline is cut off, not
 * followed into memory), with a deadline so a wedged daemon cannot hang a
 * script. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "util.h"
#include "clock.h"

#define CONN_BUF_MIN (PROTO_MAX_LINE + 1)
#define CONN_BUF_MAX ((size_t)PROTO_MAX_REPLY + 1)	/* a full line and its '\n' */

struct conn {
	int fd;
	size_t start, len;		/* unread bytes are buf[start..len) */
	size_t size;			/* allocated, CONN_BUF_MIN..CONN_BUF_MAX */
	char *buf;
};

int conn_open(const char *path, struct conn **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct conn *cn;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	cn = calloc(1, sizeof(*cn));
	if (cn)
		cn->buf = malloc(CONN_BUF_MIN);
	if (!cn || !cn->buf) {
		free(cn);
		close(fd);
		return -ENOMEM;
	}
	cn->size = CONN_BUF_MIN;
	cn->fd = fd;
	*out = cn;
	return 0;
}

void conn_free(struct conn *cn)
{
	if (!cn)
		return;
	close(cn->fd);
	free(cn->buf);
	free(cn);
}

int conn_send(struct conn *cn, json_object *msg)
{
	_cleanup_free_ char *line = NULL;
	size_t len, off = 0;

	line = proto_encode_line(msg, &len);
	if (!line)
		return -ENOMEM;
	if (len > PROTO_MAX_LINE + 1)
		return -EMSGSIZE;
	while (off < len) {
		/* MSG_NOSIGNAL: a daemon that went away is an error, not a SIGPIPE. */
		ssize_t n = send(cn->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Wait until fd is readable or the deadline (0: none) passes. */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		long long left = deadline ? deadline - clock_mono_ms() : -1;
		int n;

		if (deadline && left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* The next line, '\n' replaced by NUL: 1 and *line (inside cn->buf, valid
 * until the next call), 0 at end of stream, or -errno. */
static int read_line(struct conn *cn, long long deadline, char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(cn->buf + cn->start, '\n', cn->len - cn->start);
		ssize_t n;
		int r;

		if (nl) {
			*nl = '\0';
			*line = cn->buf + cn->start;
			*len = (size_t)(nl - *line);
			cn->start = (size_t)(nl - cn->buf) + 1;
			return 1;
		}
		memmove(cn->buf, cn->buf + cn->start, cn->len - cn->start);
		cn->len -= cn->start;
		cn->start = 0;
		if (cn->len == cn->size) {
			size_t size = cn->size * 2 < CONN_BUF_MAX ? cn->size * 2 : CONN_BUF_MAX;
			char *p;

			if (cn->size == CONN_BUF_MAX)
				return -EMSGSIZE;
			p = realloc(cn->buf, size);
			if (!p)
				return -ENOMEM;
			cn->buf = p;
			cn->size = size;
		}
		r = wait_readable(cn->fd, deadline);
		if (r < 0)
			return r;
		n = read(cn->fd, cn->buf + cn->len, cn->size - cn->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return cn->len ? -EPROTO : 0;
		cn->len += (size_t)n;
	}
}

int conn_recv(struct conn *cn, int timeout_ms, struct proto_reply *rep, struct proto_err *err)
{
	long long deadline = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : 0;
	char *line = NULL;
	size_t len = 0;
	int64_t theirs;
	int r;

	r = read_line(cn, deadline, &line, &len);
	if (r <= 0)
		return r;
	if (proto_decode_reply(line, len, rep, err) < 0)
		return -EBADMSG;
	/* The envelope is the same in every version (doc/protocol.md), so a
	 * daemon of another one is told apart from a broken one, and named. */
	theirs = proto_reply_peer_version(rep);
	if (theirs != PROTO_VERSION) {
		proto_reply_clear(rep);
		if (err) {
			err->code = PROTO_ERR_BAD_VERSION;
			out_version_mismatch((long long)theirs, err->message, sizeof(err->message));
		}
		return -EPROTONOSUPPORT;
	}
	return 1;
}

/* Why the daemon could not be reached, with what the user can do about it. */
static const char *unreachable_hint(int r)
{
	switch (r) {
	case -EACCES:
	case -EPERM:
		return "run as root or as a member of the socket's group";
	case -ENAMETOOLONG:
		return "the socket path is too long";
	default:
		return "is vfiobindd running?";
	}
}

int client_conn_failed(const struct client *c, int r, const struct proto_err *err)
{
	/* What the decoder says of a reply may quote it: made printable. */
	_cleanup_free_ char *msg = NULL;

	switch (r) {
	case -ETIMEDOUT:
		fprintf(stderr, "vfiobind: timeout: no reply from vfiobindd at %s within %d ms\n",
			c->socket, c->timeout_ms);
		return CLIENT_EXIT_UNREACHABLE;
	case -EMSGSIZE:
		fprintf(stderr, "vfiobind: too-large: a request to vfiobindd exceeds %d bytes, "
			"or a reply from it %d bytes\n", PROTO_MAX_LINE, PROTO_MAX_REPLY);
		return CLIENT_EXIT_FAIL;
	case -EBADMSG:
		msg = out_printable(err && err->message[0] ? err->message : "malformed");
		fprintf(stderr, "vfiobind: bad reply from vfiobindd at %s: %s\n", c->socket,
			msg ? msg : "malformed");
		return CLIENT_EXIT_FAIL;
	case -EPROTONOSUPPORT:
		msg = out_printable(err && err->message[0] ? err->message
				    : "vfiobindd speaks another protocol version");
		fprintf(stderr, "vfiobind: %s\n", msg ? msg : "another protocol version");
		return CLIENT_EXIT_FAIL;
	case 0:
	case -EPROTO:
		fprintf(stderr, "vfiobind: vfiobindd at %s closed the connection without a reply\n",
			c->socket);
		return CLIENT_EXIT_UNREACHABLE;
	default:
		fprintf(stderr, "vfiobind: lost vfiobindd at %s: %s\n", c->socket, strerror(-r));
		return CLIENT_EXIT_UNREACHABLE;
	}
}

static int client_connect(struct client *c)
{
	int r;

	if (c->conn)
		return CLIENT_EXIT_OK;
	r = conn_open(c->socket, &c->conn);
	if (r < 0) {
		fprintf(stderr, "vfiobind: cannot reach vfiobindd at %s: %s (%s)\n", c->socket,
			strerror(-r), unreachable_hint(r));
		return CLIENT_EXIT_UNREACHABLE;
	}
	return CLIENT_EXIT_OK;
}

bool client_reply_matches(const struct proto_reply *rep, long long id)
{
	if (rep->is_event)
		return false;
	if (!rep->id)
		return !rep->ok;
	return json_object_is_type(rep->id, json_type_int) && json_object_get_int64(rep->id) == id;
}

int client_call(struct client *c, enum proto_cmd cmd, json_object *args,
		struct proto_reply *rep)
{
	json_object *req;
	struct proto_err err = { 0 };
	long long id;
	int r;

	memset(rep, 0, sizeof(*rep));
	r = client_connect(c);
	if (r) {
		json_object_put(args);
		return r;
	}
	id = ++c->next_id;
	req = proto_request_new_int(cmd, id, args);
	if (!req)
		return client_oom(NULL);
	r = conn_send(c->conn, req);
	json_object_put(req);
	if (r == 0) {
		r = conn_recv(c->conn, c->timeout_ms, rep, &err);
	} else if (r == -EPIPE || r == -ECONNRESET) {
		/* A daemon that refused us (busy) wrote why, then closed before
		 * our request went out: its reply is still there to read. */
		int sent = r;

		r = conn_recv(c->conn, c->timeout_ms, rep, &err);
		if (r == 0)
			r = sent;
	}
	if (r <= 0) {
		r = client_conn_failed(c, r, &err);
		proto_err_clear(&err);
		return r;
	}
	if (!client_reply_matches(rep, id)) {
		fprintf(stderr, "vfiobind: bad reply from vfiobindd at %s: %s\n", c->socket,
			rep->is_event ? "an event before the reply" : "id does not match");
		proto_reply_clear(rep);
		return CLIENT_EXIT_FAIL;
	}
	if (rep->ok)
		return CLIENT_EXIT_OK;
	out_put(stderr, out_error_text(rep));
	proto_reply_clear(rep);
	return CLIENT_EXIT_FAIL;
}

int client_args_add(json_object **args, const char *key, json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (!*args)
		*args = json_object_new_object();
	if (!*args || json_object_object_add(*args, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int client_oom(json_object *args)
{
	json_object_put(args);
	fprintf(stderr, "vfiobind: %s\n", strerror(ENOMEM));
	return CLIENT_EXIT_FAIL;
}

int client_run(struct client *c, enum proto_cmd cmd, json_object *args,
	       void (*human)(const struct client *c, json_object *result))
{
	struct proto_reply rep;
	int r;

	r = client_call(c, cmd, args, &rep);
	if (r)
		return r;
	if (c->json)
		out_put(stdout, out_json_line(rep.result));
	else if (human)
		human(c, rep.result);
	r = out_reply_exit(cmd, &rep);
	proto_reply_clear(&rep);
	return r;
}
