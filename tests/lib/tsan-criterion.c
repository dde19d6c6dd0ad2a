/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tsan-criterion.c: lets Criterion start under ThreadSanitizer (the
 * --enable-thread-sanitizer build; linked into every Criterion test, empty
 * in other builds).
 *
 * Criterion's BoxFort maps its inheritable arena at a random 16 MiB step in
 * 0x2000_0000_0000 - 0x6000_0000_0000 (BXF_BITS 64: base + (rand_r() &
 * 0x3fffff) * 2^24) and gives up after ten tries ("Could not initialize
 * inheritable arena": Criterion issue #274). ThreadSanitizer reserves all
 * of that range for its shadow and meta memory but for the window it leaves
 * to position-independent executables, 0x5500_0000_0000 -
 * 0x5680_0000_0000. Libcriterion calls rand_r through the PLT, so this
 * definition, in the executable, is the one it gets: it steers every try
 * into that window (the executable itself sits above 0x5600_0000_0000 in
 * practice, and a try that meets a mapping moves on to the next step). No
 * test of ours calls rand_r. */
#include <stdlib.h>

#if defined(__SANITIZE_THREAD__)
int rand_r(unsigned int *seed)
{
	static unsigned int step;

	(void)seed;
	/* (0x5500_0000_0000 - 0x2000_0000_0000) / 2^24 = 0x350000 */
	return 0x350000 + (int)(__atomic_fetch_add(&step, 1, __ATOMIC_RELAXED) % 0x100);
}
#endif
