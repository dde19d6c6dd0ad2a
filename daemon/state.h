/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h: the managed set on disk (RUN_DIR/state.json), so that a restarted
 * daemon still knows which devices it took and from which driver. It lives in
 * /run on purpose: bindings do not survive a reboot, and neither should it. */
#pragma once

#include "plan.h"

/* A state.json larger than this is refused unread: a managed function takes
 * about 170 bytes, so this is some 49000 of them, ten times a host with 16
 * PFs of 256 VFs each. */
#define STATE_MAX_SIZE (8u << 20)

/* Only a regular file is read (never through a symlink, never a FIFO or a
 * device, at most STATE_MAX_SIZE bytes); anything else is logged as an error
 * and the daemon starts with nothing managed (-EINVAL). Missing: 0. */
int state_load(const char *run_dir, struct managed_set *m);
/* Written to a temporary file (created afresh, never through a link left
 * under its name) and renamed: a crash leaves the old or the new. */
int state_save(const char *run_dir, const struct managed_set *m);
