/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest-only.h: the VM bench's programs that write to /sys run only inside
 * the QEMU guest of tests/vm, never on the machine that builds them (whose
 * disk and network are PCI functions too: shared/TESTING-VM.md). The guest
 * is known by its kernel command line, which tests/vm/lib.sh writes with a
 * vmtest.kver= word no real boot has. */
#pragma once

#include <stdio.h>
#include <string.h>

static inline int bench_guest_only(const char *prog)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	int ok;

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	ok = strstr(line, "vmtest.kver=") != NULL;
	if (!ok)
		fprintf(stderr, "%s: refusing to run: this is not the tests/vm QEMU guest "
				"(no vmtest.kver= on the kernel command line)\n", prog);
	return ok ? 0 : -1;
}
