/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stepper.c: drive an engine on a manual clock (see stepper.h). */
#include <criterion/criterion.h>
#include <event2/event.h>

#include "stepper.h"

static long long mono(void *ud)
{
	return ((struct stepper *)ud)->mono;
}

static long long wall(void *ud)
{
	return STEPPER_WALL_MS + ((struct stepper *)ud)->mono - STEPPER_START_MS;
}

void stepper_init(struct stepper *s, struct event_base *base)
{
	s->base = base;
	s->eng = NULL;
	s->mono = STEPPER_START_MS;
	s->hung = 0;
	s->clock = (struct engine_clock){ mono, wall, s, true };
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

bool stepper_drain(struct stepper *s)
{
	struct timeval limit = { STEPPER_GUARD_S, 0 };
	bool expired = false;
	struct event *guard = evtimer_new(s->base, on_guard, &expired);

	cr_assert_not_null(guard);
	evtimer_add(guard, &limit);
	/* Each turn blocks until something is ready: a worker's result, or
	 * the guard. */
	while (s->eng && engine_in_flight(s->eng) > s->hung && !expired)
		event_base_loop(s->base, EVLOOP_ONCE);
	event_free(guard);
	/* Take what else is ready (a result queued behind the one waited for). */
	event_base_loop(s->base, EVLOOP_NONBLOCK);
	return !expired;
}

void stepper_advance(struct stepper *s, long long ms)
{
	long long end = s->mono + ms;

	cr_assert_not_null(s->eng, "stepper: no engine attached");
	for (;;) {
		long long next;

		cr_assert(stepper_drain(s), "stepper: an action did not come back within %d s",
			  STEPPER_GUARD_S);
		next = engine_next_wakeup(s->eng);
		if (!next || next > end)
			break;
		if (next > s->mono)
			s->mono = next;
		engine_tick(s->eng);
	}
	s->mono = end;
	engine_tick(s->eng);
}

void stepper_settle(struct stepper *s)
{
	stepper_advance(s, STEPPER_SETTLE_MS);
}
