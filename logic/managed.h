/* SPDX-License-Identifier: GPL-2.0-or-later */
/* managed.h: the managed set, what the daemon has moved and must put back
 * (devices it rebound, PFs whose VF count it changed), and the journal of
 * the actions it has started and not yet seen finish. A pure data
 * structure: the planner reads it, the engine updates it, state.c persists
 * it. */
#pragma once

#include <stddef.h>

#include "pci.h"
#include "vocab.h"

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

/* An action started and not yet seen to finish: written to disk before its
 * first write to the system and struck off once its outcome is in, so that
 * a daemon killed in between knows at its next start what it may have left
 * half done (an override set, a device unbound, sriov_drivers_autoprobe
 * off). One per device: a device has one action at a time. */
struct managed_intent {
	char bdf[BDF_BUFSZ];
	enum proto_action_kind kind;
	char driver[PCI_DRIVER_MAX];		/* bind: target; restore: where it goes back */
	char from_driver[PCI_DRIVER_MAX];	/* its driver when it started, "" none */
	int numvfs, from_numvfs;		/* numvfs: the count asked and the count it
						   had; -1 for other kinds */
	int autoprobe;				/* numvfs: sriov_drivers_autoprobe to put back
						   (it is turned off meanwhile); -1: untouched */
	long long since_ms;			/* epoch */
};

/* Each array is sorted by BDF (strcmp): change it only through the
 * functions below. */
struct managed_set {
	struct managed_dev *devs;
	size_t n_devs, cap_devs;
	struct managed_pf *pfs;
	size_t n_pfs, cap_pfs;
	struct managed_intent *intents;		/* the journal */
	size_t n_intents, cap_intents;
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
/* The journal, by device, with the same rules. */
struct managed_intent *managed_find_intent(const struct managed_set *m, const char *bdf);
int managed_add_intent(struct managed_set *m, const struct managed_intent *in);
void managed_remove_intent(struct managed_set *m, const char *bdf);
void managed_clear(struct managed_set *m);
