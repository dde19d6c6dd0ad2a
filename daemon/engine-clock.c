/* SPDX-License-Identifier: GPL-2.0-or-later */
/* engine-clock.c: the engine's clocks. Every entry point reads engine_now()
 * once and passes it down; durations are monotonic, and a monotonic time
 * becomes an epoch time only for a human or the protocol. Tests give the
 * engine a manual clock (tests/lib/stepper.h). */
#include "clock.h"
#include "engine-private.h"

static long long system_mono(void *ud)
{
	return clock_mono_ms();
}

static long long system_wall(void *ud)
{
	return clock_wall_ms();
}

const struct engine_clock engine_system_clock = { system_mono, system_wall, NULL, false };

long long engine_now(const struct engine *e)
{
	return e->clock.mono_ms(e->clock.ud);
}

long long engine_wall(const struct engine *e)
{
	return e->clock.wall_ms(e->clock.ud);
}

long long engine_epoch_ms(const struct engine *e, long long mono_ms)
{
	if (mono_ms <= 0)
		return 0;
	return engine_wall(e) - (engine_now(e) - mono_ms);
}
