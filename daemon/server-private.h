/* SPDX-License-Identifier: GPL-2.0-or-later */
/* server-private.h: the control socket's state, shared by server.c (the
 * listening socket, peers, limits, events fan-out) and server-client.c (one
 * client's life: lines in, dispatch, replies out). Not for daemon/cmd/:
 * commands go through server.h. */
#pragma once

#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "server.h"

struct bufferevent;
struct evconnlistener;

struct server_client {
	struct server *server;
	struct bufferevent *bev;
	struct event *idle_timer;	/* armed while a half-sent line waits */
	struct event *first_timer;	/* armed until the first request line */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool admin;
	bool closing;			/* flush the output, then free */
	bool dropped;			/* given up: freed from the reaper, never in place */
	bool paused;			/* reading stopped: output over the cap */
	bool asked;			/* a request line came: no first-request
					   timeout any more */
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
	struct event *accept_retry;	/* listens again after a failed accept */
	int accept_pause_ms;		/* the last pause; 0 after an accept */
};

/* server-client.c */
/* Give c (identified, counted against no limit yet) its bufferevent on fd
 * and add it to the server's clients. 0, or -ENOMEM with c freed and fd
 * closed. */
int server_client_start(struct server_client *c, int fd);
/* Free c now (only from the loop, never inside its own request). */
void server_client_free(struct server_client *c);
/* Queue obj (taken) as one line; false when c was dropped. */
bool server_client_send(struct server_client *c, json_object *obj);
/* The reaper's event: frees every dropped client. */
void server_reap(evutil_socket_t fd, short what, void *ud);
