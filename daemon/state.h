/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h: the managed set on disk (RUN_DIR/state.json), so that a restarted
 * daemon still knows which devices it took and from which driver. It lives in
 * /run on purpose: bindings do not survive a reboot, and neither should it. */
#pragma once

#include "plan.h"

int state_load(const char *run_dir, struct managed_set *m);
/* Written to a temporary file and renamed: a crash leaves the old or the new. */
int state_save(const char *run_dir, const struct managed_set *m);
