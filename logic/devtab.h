/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devtab.h: the device table, what the runtime knows of each device beside
 * the plan: an action in flight, failures and their backoff, a restore that
 * no driver took, and the state last told to the world. Pure data, kept
 * sorted by BDF so that a pass looks devices up in O(log n).
 *
 * Times are monotonic milliseconds (the engine's clock); they become epoch
 * times only where a human or the protocol reads them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"
#include "plan.h"
#include "vocab.h"

#define DEVTAB_ERROR_MAX 512

/* One per device a plan names: a few dozen bytes, the texts only when
 * there is one (thousands of devices are thousands of entries). */
struct devtab_entry {
	char bdf[BDF_BUFSZ];
	bool told;			/* state and reason were said (log, watch) */
	enum proto_state state;		/* the effective state last said */
	uint64_t reason_hash;		/* ... and its reason, by devtab_reason_hash() */
	bool in_flight;
	enum proto_action_kind in_flight_kind;
	long long in_flight_since_ms;
	bool handed_back;		/* given to the kernel by a restore: no restore
					   again before an event not of our doing */
	int hand_backs;			/* consecutive restores that left it with no
					   driver (at once, or when its driver let go) */
	long long hand_back_until_ms;	/* ... and no restore before then, 0 none */
	unsigned attempts;		/* actions started on it by this process */
	int failures;			/* consecutive */
	int last_errno;			/* positive errno of the last failure, 0 none */
	char *last_error;		/* the last failure's message (owned), NULL none */
	long long retry_at_ms;		/* next retry after a failure, 0 none */
	long long last_transition_ms;	/* last change of the told state, 0 never */
};

struct devtab {
	struct devtab_entry *v;		/* sorted by bdf (strcmp) */
	size_t n, cap;
};

/* The entry for bdf, made (zeroed, not told) when create is set; NULL when
 * absent or out of memory. The pointer is valid until the next call that
 * creates or prunes. */
struct devtab_entry *devtab_get(struct devtab *t, const char *bdf, bool create);
const struct devtab_entry *devtab_find(const struct devtab *t, const char *bdf);
/* Drop entries that are neither in plan p nor busy (in flight, or handed
 * back: that memory is what keeps a restore from looping): their facts
 * would only go stale. */
void devtab_prune(struct devtab *t, const struct plan *p);
void devtab_clear(struct devtab *t);
/* What a reason is remembered by: telling again only when it changed needs
 * no copy of it (64-bit FNV-1a). */
uint64_t devtab_reason_hash(const char *reason);

/* Backoff before retry number `failures` + 1: 1 s doubling to 5 min. */
#define DEVTAB_BACKOFF_MIN_MS 1000LL
#define DEVTAB_BACKOFF_MAX_MS (5LL * 60 * 1000)
long long devtab_backoff_ms(int failures);
/* Record a failure at now: counted, kept for status (msg, the sentence the
 * user reads; err a positive or negative errno), retried after the backoff. */
void devtab_note_failure(struct devtab_entry *d, int err, const char *msg, long long now);
/* A success: the failure history goes. */
void devtab_note_success(struct devtab_entry *d);
/* A restore gave the device to the kernel. Whatever its drivers do next
 * (take it; fail their probe later and let go) is the kernel's: no restore
 * again until an event that is not the daemon's own doing says something
 * changed. */
void devtab_note_hand_back(struct devtab_entry *d);
/* ... and at now it was left with no driver: the next restore also waits a
 * backoff that grows with each such end (devtab_backoff_ms). */
void devtab_note_left_driverless(struct devtab_entry *d, long long now);
/* It is another function now (removed, added again) or the daemon bound it:
 * its hand-backs are forgotten. */
void devtab_forget_hand_backs(struct devtab_entry *d);
