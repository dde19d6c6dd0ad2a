/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-scan.c: how long pci_scan takes, and what it costs in memory, on fake
 * trees of 256, 1024 and 4096 functions; and how long refreshing one device
 * takes. Not a test: it prints a table (see bench/README.md).
 *
 * bench-scan --root ROOT [--scans K] [--refresh K]: only K scans of an
 * existing tree (bench/fake-tree) and K refreshes of its middle device, with
 * no clock and no output, for bench/scale.sh to count what they cost with
 * strace and callgrind (the difference to --scans 0 --refresh 0 is theirs).
 * Reads only: ROOT may be the real /sys. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fakesys.h"
#include "log.h"
#include "pci.h"
#include "util.h"
#include "pci-scan.h"

#define RUNS 20
#define REFRESH_RUNS 200

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort t[0..n) and return the median; t[0] is then the best. */
static double median(double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* Time `RUNS` full scans; the first scan is also the one whose peak RSS we
 * charge (ru_maxrss only grows, so measure before any other allocation). */
static int bench_scan(const char *root, unsigned n, double *t, long *rss_kb, size_t *bytes)
{
	struct pci_state *st;
	long before = max_rss_kb();
	int r;

	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		r = pci_scan(root, &st);
		t[i] = now_us() - t0;
		if (r < 0)
			return r;
		if (st->n != n) {
			fprintf(stderr, "scan found %zu of %u functions\n", st->n, n);
			pci_state_free(st);
			return -EIO;
		}
		if (i == 0) {
			*rss_kb = max_rss_kb() - before;
			*bytes = sizeof(*st) + st->cap * sizeof(*st->devs);
		}
		pci_state_free(st);
	}
	return 0;
}

static int bench_refresh(const char *root, double *t)
{
	struct pci_state *st;
	const char *bdf;
	int r;

	r = pci_scan(root, &st);
	if (r < 0)
		return r;
	bdf = st->devs[st->n / 2].bdf;
	for (int i = 0; i < REFRESH_RUNS && r == 0; i++) {
		double t0 = now_us();

		r = pci_state_refresh(st, root, bdf);
		t[i] = now_us() - t0;
	}
	pci_state_free(st);
	return r;
}

static void print_header(const char *root)
{
	printf("pci_scan on a fakesys tree (%s), %d runs per size; refresh: %d runs\n", root, RUNS,
	       REFRESH_RUNS);
	printf("%6s %9s %9s %9s %8s %9s %9s %9s %9s\n", "funcs", "build_ms", "best_ms", "med_ms",
	       "us/func", "rss_kb", "B/func", "ref_best", "ref_med");
}

static int run(unsigned n)
{
	double scan_t[RUNS], ref_t[REFRESH_RUNS], build_t, scan_med, ref_med;
	static bool header_done;
	char root[PATH_MAX];
	struct fakesys *fs;
	size_t bytes = 0;
	long rss_kb = 0;
	int r;

	fs = fakesys_new();
	if (!fs)
		return -ENOMEM;
	build_t = now_us();
	r = fakesys_populate(fs, n, "e1000e");
	build_t = now_us() - build_t;
	util_strlcpy(root, fakesys_root(fs), sizeof(root));
	if (r == 0)
		r = bench_scan(root, n, scan_t, &rss_kb, &bytes);
	if (r == 0)
		r = bench_refresh(root, ref_t);
	fakesys_free(fs);
	if (r < 0) {
		fprintf(stderr, "n=%u: %s\n", n, strerror(-r));
		return r;
	}
	if (!header_done) {
		print_header(root);
		header_done = true;
	}
	scan_med = median(scan_t, RUNS);
	ref_med = median(ref_t, REFRESH_RUNS);
	printf("%6u %9.1f %9.2f %9.2f %8.2f %9ld %9zu %9.1f %9.1f\n", n, build_t / 1e3,
	       scan_t[0] / 1e3, scan_med / 1e3, scan_med / n, rss_kb, bytes / n, ref_t[0],
	       ref_med);
	return 0;
}

/* --root: the work alone, to be counted from outside. */
static int counted(const char *root, int scans, int refreshes)
{
	struct pci_state *st = NULL;
	int r = 0;

	for (int i = 0; i < scans && r == 0; i++) {
		pci_state_free(st);
		r = pci_scan(root, &st);
	}
	if (r == 0 && refreshes > 0 && !st)
		r = pci_scan(root, &st);
	for (int i = 0; r == 0 && i < refreshes && st->n; i++)
		r = pci_state_refresh(st, root, st->devs[st->n / 2].bdf);
	pci_state_free(st);
	if (r < 0)
		fprintf(stderr, "bench-scan: %s: %s\n", root, strerror(-r));
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = { 256, 1024, 4096 };
	int r = 0;

	log_set_level(LOG_LVL_WARNING);
	if (argc > 2 && strcmp(argv[1], "--root") == 0) {
		int scans = 1, refreshes = 0;

		for (int i = 3; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--scans") == 0)
				scans = atoi(argv[i + 1]);
			else if (strcmp(argv[i], "--refresh") == 0)
				refreshes = atoi(argv[i + 1]);
		}
		return counted(argv[2], scans, refreshes);
	}
	if (argc > 1) {
		unsigned n = (unsigned)strtoul(argv[1], NULL, 0);

		return n && run(n) == 0 ? 0 : 1;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && r == 0; i++)
		r = run(sizes[i]);
	printf("(ref_* in microseconds: pci_state_refresh of one device)\n");
	return r ? 1 : 0;
}
