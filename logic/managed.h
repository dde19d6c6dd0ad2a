/* SPDX-License-Identifier: GPL-2.0-or-later */
/* managed.h: the managed set, what the daemon has moved and must put back
 * (devices it rebound, PFs whose VF count it changed). A pure data structure:
 * the planner reads it, the engine updates it, state.c persists it. */
#pragma once

#include <stddef.h>

#include "pci.h"

/* A device the daemon has moved; persisted in the run dir across restarts. */
struct managed_dev {
	char bdf[BDF_BUFSZ];
	char original_driver[PCI_DRIVER_MAX];	/* before vfiobindd took it, "" none */
	char driver[PCI_DRIVER_MAX];		/* where vfiobindd put it */
	char ifname[PCI_IFNAME_MAX];		/* first interface name it had, "" none */
	long long since_ms;			/* wall clock of the take */
};

/* A PF whose VF count the daemon changed. */
struct managed_pf {
	char bdf[BDF_BUFSZ];
	int original_numvfs;
};

struct managed_set {
	struct managed_dev *devs;
	size_t n_devs, cap_devs;
	struct managed_pf *pfs;
	size_t n_pfs, cap_pfs;
};

/* Lookups return NULL when m is NULL or the BDF is not in it. Adding a BDF
 * already present replaces its record; 0 or -ENOMEM. Removing an absent BDF
 * does nothing. */
struct managed_dev *managed_find(const struct managed_set *m, const char *bdf);
struct managed_pf *managed_find_pf(const struct managed_set *m, const char *bdf);
int managed_add(struct managed_set *m, const struct managed_dev *d);
int managed_add_pf(struct managed_set *m, const struct managed_pf *p);
void managed_remove(struct managed_set *m, const char *bdf);
void managed_remove_pf(struct managed_set *m, const char *bdf);
void managed_clear(struct managed_set *m);
