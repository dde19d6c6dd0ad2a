/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clock.h: the clocks, read only by the shell (main loop, workers, logs);
 * the pure core and the engine take times as arguments. */
#pragma once

/* Monotonic and wall clocks in milliseconds (the shell reads them; the pure
 * core takes times as arguments). */
long long clock_mono_ms(void);
long long clock_wall_ms(void);
