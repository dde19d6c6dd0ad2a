/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stepper.h: drive an engine on a manual clock, so tests step time instead
 * of waiting for it. The engine reads the stepper's clock; advancing it runs
 * every deadline the engine names (coalescing windows, backoffs, the in-use
 * re-check, stuck actions) in order, as fast as the work allows. Worker
 * results still come back through the event loop: the stepper waits for
 * them (with a generous guard that fails the test, never a measurement). */
#pragma once

#include <stdbool.h>

#include "engine.h"

#define STEPPER_START_MS 1000000LL	/* monotonic time at start */
#define STEPPER_WALL_MS 1700000000000LL	/* the epoch time it maps to */
#define STEPPER_SETTLE_MS 100		/* enough for coalescing windows, less than any backoff */
#define STEPPER_GUARD_S 10		/* a worker result later than this fails the test */

struct stepper {
	struct event_base *base;
	struct engine *eng;
	long long mono;
	unsigned hung;			/* actions a test keeps hanging on purpose */
	struct engine_clock clock;
};

void stepper_init(struct stepper *s, struct event_base *base);
/* Wait until at most s->hung actions are in flight: false when the guard
 * ran out first. */
bool stepper_drain(struct stepper *s);
/* Let ms of time pass. */
void stepper_advance(struct stepper *s, long long ms);
/* stepper_advance(STEPPER_SETTLE_MS): the engine's reaction to what just
 * happened, and nothing that needs a backoff or a timer to end. */
void stepper_settle(struct stepper *s);
