/* SPDX-License-Identifier: GPL-2.0-or-later */
/* metrics.h: the daemon's figures as Prometheus text (the exposition format
 * 0.0.4 that node_exporter's textfile collector reads): HELP and TYPE for
 * every family, label values escaped, no timestamps, every family and
 * series in a fixed order so that two writes of the same figures are the
 * same bytes. Pure: the caller gathers the figures and the times
 * (daemon/export.c); vfiobindd(8) lists the names, the alert rules in
 * etc/prometheus/ use them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "vocab.h"

/* One claimed or managed device, or a PF's numvfs= claim (pf_claim). */
struct metrics_device {
	const char *bdf;
	enum proto_state state;		/* the device view's */
	const char *driver;		/* bound now, "" none */
	const char *desired;		/* "" when being given back */
	int failures;			/* consecutive failed actions */
	bool pf_claim;
};

struct metrics_input {
	const char *version;		/* vfiobindd's */
	const struct health *health;	/* the node's, over every device */
	const struct metrics_device *devs;	/* in the plan's order (by BDF) */
	size_t n_devs;
	unsigned long actions_ok[PROTO_ACTION__MAX], actions_failed[PROTO_ACTION__MAX];
	unsigned long passes, reloads, reload_errors;
	bool config_valid;
	long long config_loaded_ms;	/* epoch ms of the config in force, 0 none */
	long long last_pass_ms;		/* epoch ms, 0 none yet */
	int resync_s;			/* 0: off */
	bool iommu_on;
	unsigned long managed;		/* devices the daemon will give back */
	unsigned long vfio_pci;		/* PCI functions on vfio-pci now, claimed or not */
};

/* Escape a label value as the text format wants it (backslash, double
 * quote, newline) into out. 0, or -ENAMETOOLONG when out is too small. */
int metrics_escape(const char *in, char *out, size_t size);
/* The whole text, '\n' ended (malloc'd): 0, or -ENOMEM. */
int metrics_format(const struct metrics_input *in, char **out);
