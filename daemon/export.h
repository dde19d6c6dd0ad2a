/* SPDX-License-Identifier: GPL-2.0-or-later */
/* export.h: what the fleet reads of this node without a socket: the
 * Prometheus textfile (--metrics-file) and the Node Feature Discovery
 * feature file (--nfd-features). Both are made by the pure formatters
 * (logic/metrics.h, logic/nfd.h) from the engine's views and health, and
 * written whole through a temporary name and a rename, on the engine's
 * reports (engine_set_report_cb): after a change at most once a second, and
 * refreshed on the housekeeping period so that the NFD labels never expire
 * while the daemon runs. `vfiobind metrics` prints the same text. */
#pragma once

#include <stdbool.h>

struct engine;

/* When the resync is off, the files are still refreshed this often. */
#define EXPORT_HOUSEKEEPING_S 300
/* Reports follow a change no sooner than this after the last one. */
#define EXPORT_MIN_INTERVAL_MS 1000

struct export_opts {
	const char *metrics_path;	/* a *.prom file, NULL none */
	const char *nfd_path;		/* a features.d file, NULL none */
	int resync_s;			/* the engine's resync, 0 off */
};

struct export;

/* Register the engine's report for the files asked for (none: NULL and
 * nothing registered). Before engine_start(). */
struct export *export_new(struct engine *e, const struct export_opts *o);
void export_free(struct export *x);

/* Why path would never be read (NULL when it would): node_exporter reads
 * only *.prom files (prom), nfd-worker skips dot files. */
const char *export_path_invalid(const char *path, bool prom);

/* The Prometheus text of the engine now (malloc'd): 0 or -ENOMEM. */
int export_metrics_text(const struct engine *e, char **out);
/* The housekeeping period (s) and how far ahead the NFD labels expire. */
int export_housekeeping_s(int resync_s);
long long export_nfd_expiry_s(int resync_s);
