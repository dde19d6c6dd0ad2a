/* SPDX-License-Identifier: GPL-2.0-or-later */
/* enginefix.h: the engine's unit tests' fixture: a fake sysfs tree with the
 * fake kernel (e1000e registered, vfio-pci a loadable module), a temporary
 * directory for the config and the run dir, an event base, and the
 * stepper's manual clock (stepper.h). Tests add their devices and make the
 * engine with enginefix_opts() and whatever they change in it. */
#pragma once

#include "engine.h"
#include "fakesys.h"
#include "stepper.h"

struct enginefix {
	struct fakesys *fs;
	struct event_base *base;
	struct stepper step;		/* step.eng: the engine, freed by teardown */
	struct sysfs_ops kops;		/* the fake kernel's sysfs door */
	struct modules_ops mops;	/* its module loader */
	char dir[64];			/* the temporary directory, the run dir */
	int hang_pipe[2];		/* enginefix_hang_ops(): written to release */
	char hang_bdf[16];
	char conf[128];			/* DIR/vfiobind.conf */
};

/* name: a word for the temporary directory (/tmp/vb-NAME-XXXXXX). */
void enginefix_setup(struct enginefix *f, const char *name);
void enginefix_teardown(struct enginefix *f);
/* An e1000e NIC at bdf in its own IOMMU group. */
void enginefix_add_nic(struct enginefix *f, const char *bdf, int group);
/* Write the config, as an editor saves: a temporary file renamed over. */
void enginefix_write_conf(struct enginefix *f, const char *text);
/* Options for an engine on the fixture: its config, tree, run dir, doors and
 * clock, node "worker-0", a 10 ms coalescing window, 2 workers, stuck after
 * 10 s, no resync. */
struct engine_opts enginefix_opts(struct enginefix *f);
/* A sysfs door that hangs every write for bdf until enginefix_release_hang(),
 * as a driver whose remove() sleeps in the kernel would (the stepper is told
 * one action hangs on purpose). */
struct sysfs_ops enginefix_hang_ops(struct enginefix *f, const char *bdf);
void enginefix_release_hang(struct enginefix *f);
/* engine_new() with o; the stepper drives it, teardown frees it. */
struct engine *enginefix_engine(struct enginefix *f, const struct engine_opts *o);
