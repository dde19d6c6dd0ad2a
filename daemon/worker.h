/* SPDX-License-Identifier: GPL-2.0-or-later */
/* worker.h: a small pool of threads that carry out binder actions off the
 * event loop. A driver's remove() may sleep in the kernel for seconds or for
 * ever; while one thread is stuck there, the loop keeps answering clients and
 * handling events, and the other threads keep moving other devices. Results
 * are handed back on the loop thread through a pipe the loop watches. */
#pragma once

#include <stdbool.h>

#include "bind.h"
#include "plan.h"

struct event_base;
struct worker_pool;

struct worker_job {
	struct plan_action action;	/* a copy: the plan may be freed meanwhile */
	struct bind_result res;
	int rc;				/* 0 or -errno */
	struct worker_job *next;	/* queue link, private */
};

typedef void (*worker_done_fn)(struct worker_job *job, void *ud);

/* ctx must stay valid for the pool's lifetime; done runs on the loop thread
 * and owns the job (free() it). */
struct worker_pool *worker_pool_new(struct event_base *base, unsigned threads,
				    const struct bind_ctx *ctx, worker_done_fn done, void *ud);
/* Queue a job (ownership passes to the pool). 0 or -errno. */
int worker_submit(struct worker_pool *p, struct worker_job *job);
/* Run one job on the calling thread (for --once). */
void worker_run_job(const struct bind_ctx *ctx, struct worker_job *job);
/* Jobs queued or running. */
unsigned worker_pool_pending(struct worker_pool *p);
/* Stop taking jobs, wait up to timeout_ms for running ones; threads still
 * stuck in the kernel after that are abandoned (the process is exiting).
 * Returns true when a thread was abandoned: it may still use the bind_ctx
 * it was given, so that must not be freed before the process exits. */
bool worker_pool_free(struct worker_pool *p, int timeout_ms);
