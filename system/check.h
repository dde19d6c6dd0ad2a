/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.h: `vfiobind check`, the preflight. Automates the manual checks of
 * a vfio setup without the daemon: IOMMU on, vfio modules there, config
 * valid, each claimed device present and movable (SR-IOV capacity, group
 * viability, in use), and whether a device's own driver sits in the
 * initramfs (then it grabs the device before vfiobindd runs).
 *
 * Reads only: a sysfs root, a proc root, the config file; libkmod and
 * lsinitramfs only for the real /sys. Returns findings; printing and the
 * exit code are the client's (client/cmd/check.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum check_level {
	CHECK_OK = 0,
	CHECK_WARN,
	CHECK_FAIL,
};

struct check_finding {
	enum check_level level;
	char subject[64];	/* "iommu", "vfio-pci", "config", "0000:03:00.0" */
	char message[512];
	char hint[256];		/* "" none */
};

struct check_report {
	struct check_finding *v;
	size_t n, cap;
};

struct check_opts {
	const char *sysfs_root;		/* "/sys" */
	const char *proc_root;		/* "/proc"; NULL: no in-use facts */
	const char *dev_root;		/* block device nodes probed for signatures;
					   NULL: "/dev" for the real /sys, none else */
	const char *config_path;
	const char *node_name;
	/* Test seams; both NULL on a real run. */
	const char *initramfs_list;	/* a file listing the initramfs (lsinitramfs output) */
	const char *kernel_release;	/* NULL: uname -r */
};

/* Run every check into r (cleared first). 0, or -ENOMEM. */
int check_run(const struct check_opts *o, struct check_report *r);
void check_report_clear(struct check_report *r);
/* Add a finding (hint may be NULL). 0 or -ENOMEM. */
int check_add(struct check_report *r, enum check_level level, const char *subject,
	      const char *hint, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "ok", "warn", "fail". */
const char *check_level_name(enum check_level l);
/* 1 when any finding is a fail, else 0. */
int check_exit_code(const struct check_report *r);
