/* SPDX-License-Identifier: GPL-2.0-or-later */
/* worker.c: the binder's threads. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "worker.h"
#include "clock.h"

struct worker_pool {
	const struct bind_ctx *ctx;
	worker_done_fn done;
	void *ud;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct worker_job *queue, *queue_tail;	/* waiting */
	struct worker_job *results;		/* finished, for the loop */
	unsigned pending;			/* queued + running */
	unsigned running;
	bool stopping;
	int pipe_rd, pipe_wr;
	struct event *ev;
	pthread_t *threads;
	unsigned n_threads;
};

void worker_run_job(const struct bind_ctx *ctx, struct worker_job *job)
{
	const struct plan_action *a = &job->action;

	switch (a->kind) {
	case PROTO_ACTION_BIND:
		job->rc = bind_device(ctx, a->bdf, a->driver, &job->res);
		break;
	case PROTO_ACTION_RESTORE:
		job->rc = bind_restore(ctx, a->bdf, a->driver, &job->res);
		break;
	case PROTO_ACTION_NUMVFS:
		job->rc = bind_set_numvfs(ctx, a->bdf, a->numvfs, a->autoprobe_off, &job->res);
		break;
	default:
		job->rc = -EINVAL;
	}
}

static void *worker_main(void *arg)
{
	struct worker_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct worker_job *job;

		while (!p->queue && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stopping)
			break;
		job = p->queue;
		p->queue = job->next;
		if (!p->queue)
			p->queue_tail = NULL;
		p->running++;
		pthread_mutex_unlock(&p->lock);

		worker_run_job(p->ctx, job);

		pthread_mutex_lock(&p->lock);
		p->running--;
		job->next = p->results;
		p->results = job;
		/* One byte wakes the loop; a full pipe already means "look". */
		if (write(p->pipe_wr, "x", 1) < 0 && errno != EAGAIN)
			log_errno(LOG_LVL_ERROR, errno, "worker: wake the loop");
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* On the loop thread: hand finished jobs to the engine, oldest first. */
static void worker_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker_pool *p = arg;
	struct worker_job *list, *rev = NULL;
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&p->lock);
	list = p->results;
	p->results = NULL;
	pthread_mutex_unlock(&p->lock);
	while (list) {
		struct worker_job *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct worker_job *next = rev->next;

		pthread_mutex_lock(&p->lock);
		p->pending--;
		pthread_mutex_unlock(&p->lock);
		rev->next = NULL;
		p->done(rev, p->ud);
		rev = next;
	}
}

struct worker_pool *worker_pool_new(struct event_base *base, unsigned threads,
				    const struct bind_ctx *ctx, worker_done_fn done, void *ud)
{
	struct worker_pool *p = calloc(1, sizeof(*p));
	int fds[2];

	if (!p)
		return NULL;
	p->ctx = ctx;
	p->done = done;
	p->ud = ud;
	p->pipe_rd = p->pipe_wr = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		goto fail;
	p->pipe_rd = fds[0];
	p->pipe_wr = fds[1];
	p->ev = event_new(base, p->pipe_rd, EV_READ | EV_PERSIST, worker_drain, p);
	if (!p->ev || event_add(p->ev, NULL) < 0)
		goto fail;
	p->threads = calloc(threads ? threads : 1, sizeof(pthread_t));
	if (!p->threads)
		goto fail;
	for (unsigned i = 0; i < (threads ? threads : 1); i++) {
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			break;
		p->n_threads++;
	}
	if (p->n_threads == 0)
		goto fail;
	return p;
fail:
	log_error("worker: cannot start the worker pool");
	worker_pool_free(p, 0);
	return NULL;
}

int worker_submit(struct worker_pool *p, struct worker_job *job)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -ESHUTDOWN;
	}
	job->next = NULL;
	if (p->queue_tail)
		p->queue_tail->next = job;
	else
		p->queue = job;
	p->queue_tail = job;
	p->pending++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

unsigned worker_pool_pending(struct worker_pool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->pending;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void free_list(struct worker_job *j)
{
	while (j) {
		struct worker_job *next = j->next;

		free(j);
		j = next;
	}
}

bool worker_pool_free(struct worker_pool *p, int timeout_ms)
{
	long long deadline = clock_mono_ms() + timeout_ms;
	bool abandoned = false;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	free_list(p->queue); /* never started: nothing half done */
	p->queue = p->queue_tail = NULL;
	pthread_cond_broadcast(&p->cond);
	/* A running job finishes its sysfs sequence before its thread sees the
	 * stop flag, so a device is never left between unbind and probe by us. */
	while (p->running && clock_mono_ms() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	abandoned = p->running > 0;
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_threads; i++) {
		if (abandoned)
			pthread_detach(p->threads[i]);
		else
			pthread_join(p->threads[i], NULL);
	}
	if (abandoned) {
		/* A thread is stuck in the kernel: leave the pool's memory to it. */
		log_warning("worker: abandoning %u action(s) stuck in the kernel", p->running);
		if (p->ev)
			event_free(p->ev);
		return true;
	}
	if (p->ev)
		event_free(p->ev);
	free_list(p->results);
	if (p->pipe_rd >= 0)
		close(p->pipe_rd);
	if (p->pipe_wr >= 0)
		close(p->pipe_wr);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->threads);
	free(p);
	return false;
}
