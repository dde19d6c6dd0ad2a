/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan.h: the reconcile planner. Pure: desired state (config) x observed
 * devices (pci_state) x what the daemon manages now (managed set) x in-use
 * facts gathered by the I/O layer -> a list of actions and a status for every
 * device that is claimed or managed. No I/O, no clock, no globals.
 *
 * Rules (vfiobind.conf(5) and README "How the daemon decides"):
 *  - A line applies when its NODE matches the node name and its selector
 *    matches the device. Among the lines that apply to one device the most
 *    specific wins: node rank first (exact > glob > DEFAULT), then selector
 *    rank (BDF > ifname > pf > id > class). Equally specific lines that
 *    disagree put the device in `error`, naming both lines.
 *  - A claimed device already on its desired driver is `converged`; otherwise
 *    it is `pending` with a BIND action, unless something blocks it (PCI
 *    bridge, IOMMU off for vfio-pci, IOMMU group not viable, in use, held
 *    open by a process, boot VGA): then `blocked` with the reason and no
 *    action. The line's force=yes overrides in use, held and boot VGA.
 *  - A managed device no line claims any more gets a RESTORE action (back to
 *    the kernel's choice), unless a process holds it (on vfio-pci that is a
 *    VM's or a DPDK program's device: leaving vfio-pci takes it from them)
 *    or, on a host driver, it is in use: then `blocked`. A restore has no
 *    line, so no force=yes: the holder has to let go (or a line naming the
 *    original driver with force=yes takes it there).
 *  - A BDF line naming a device that does not exist is `absent`.
 *  - numvfs=N on a line that selects a PF: NUMVFS when the count differs;
 *    the line's driver then applies to the PF's VFs chosen by vfs= (all by
 *    default), and the PF keeps its own driver. The kernel changes a count
 *    only through 0, so every VF goes, even those the new count keeps: while
 *    any VF of the PF is held, the count does not change (the PF's claim is
 *    `blocked`, naming the VF and its holder) unless the line says
 *    force=yes; a removed numvfs= line has no force.
 */
#pragma once

/* Its states and action kinds are the wire's (protocol/vocab.h): what the
 * planner decides is what `status` says, but for `stuck`, which only the
 * runtime can know (logic/view.h). */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "managed.h"
#include "pci.h"
#include "vocab.h"

/* Why a device must not be unbound now (in use), found by inuse.c. */
struct plan_inuse {
	char bdf[BDF_BUFSZ];
	char reason[200];
};

/* A process that holds a function open (system/holders-gather.c finds it). */
#define PLAN_COMM_MAX 16		/* TASK_COMM_LEN */
#define PLAN_HOLDER_PATH_MAX 128
#define PLAN_MAX_HOLDERS 4		/* kept per verdict; the rest only counted */

struct plan_holder {
	char bdf[BDF_BUFSZ];		/* the function it holds */
	int pid;
	unsigned uid;
	char comm[PLAN_COMM_MAX];
	char path[PLAN_HOLDER_PATH_MAX];	/* what it holds open: "/dev/vfio/14" */
	int fd;				/* that descriptor's number (watch /proc/PID/fd/FD) */
	bool writable;			/* ... open for writing: its close is heard */
	unsigned long long start;	/* start time in clock ticks: tells a reused pid */
};

/* Why a function must not be taken from its driver now: processes hold it,
 * or the daemon cannot tell whether any does (logic/holders.h). */
struct plan_held {
	char bdf[BDF_BUFSZ];
	bool pf_claim;			/* plan output: the verdict of a PF's numvfs claim */
	bool unknown;			/* cannot tell: nothing to wait on */
	char reason[256];		/* "held by pid 4242 (qemu-system-x86, uid 107)
					   through /dev/vfio/14", "cannot tell ..." */
	struct plan_holder holders[PLAN_MAX_HOLDERS];
	size_t n_holders;		/* kept above */
	size_t n_more;			/* holders beyond those kept */
};

struct plan_input {
	const struct config *config;	/* NULL: empty desired state */
	const char *node_name;
	const struct pci_state *pci;
	const struct managed_set *managed; /* NULL: nothing managed */
	const struct plan_inuse *inuse;
	size_t n_inuse;
	const struct plan_held *held;	/* verdicts for the functions a plan takes away */
	size_t n_held;
};

struct plan_action {
	enum proto_action_kind kind;
	char bdf[BDF_BUFSZ];
	char driver[PCI_DRIVER_MAX];	/* BIND: target; RESTORE: original ("" unknown) */
	char current[PCI_DRIVER_MAX];	/* driver when planned, "" none */
	int numvfs;			/* SET_NUMVFS: target; else -1 */
	int current_numvfs;		/* SET_NUMVFS: count when planned */
	bool autoprobe_off;		/* SET_NUMVFS: keep host drivers off new VFs */
	unsigned line;			/* config line behind it, 0 for a restore */
};

/* The longest reason a status gives (longer ones are cut). */
#define PLAN_REASON_MAX 256

struct plan_status {
	char bdf[BDF_BUFSZ];
	enum proto_state state;
	const char *reason;		/* "" when converged; the plan owns it */
	unsigned line;			/* claiming line, 0 when none */
	bool pf_claim;			/* the status of a numvfs= claim on a PF */
	char desired[PCI_DRIVER_MAX];	/* "" when being restored */
	char current[PCI_DRIVER_MAX];
	int numvfs;			/* pf_claim: desired count */
	int iommu_group;
	bool group_viable;
};

struct plan {
	struct plan_action *actions;
	size_t n_actions;
	struct plan_status *statuses;	/* sorted by bdf, pf claims after device claims */
	size_t n_statuses;
	/* The held verdicts behind `blocked` statuses (a PF claim's lists its
	 * VF's holders), sorted by bdf, pf claims after device claims. */
	struct plan_held *held;
	size_t n_held;
	struct plan_texts *texts;	/* where the reasons live */
};

int plan_compute(const struct plan_input *in, struct plan **out);
void plan_free(struct plan *p);

/* Does selector s pick device d (pci gives PF facts for pf= selectors)?
 * Selector only: a pf= line's vfs= is checked by plan_resolve. */
bool plan_selector_matches(const struct cfg_selector *s, const struct pci_dev *d,
			   const struct pci_state *pci, const struct managed_set *managed);
/* The winning line for device d on this node: 0 and *winner, -ENOENT when no
 * line applies, -EEXIST when equally specific lines disagree (then *winner is
 * one of them and *other the second). A numvfs= line competes for its PF's
 * VFs (ranked as pf=), never for the PF. Claims spread by another member's
 * group=all are plan_compute's: they do not show here. */
int plan_resolve(const struct config *c, const char *node_name, const struct pci_dev *d,
		 const struct pci_state *pci, const struct managed_set *managed,
		 const struct cfg_entry **winner, const struct cfg_entry **other);

/* The held verdict behind status st of p, or NULL. */
const struct plan_held *plan_held_for(const struct plan *p, const struct plan_status *st);
/* Is every status in p converged? A NULL plan counts as converged. */
bool plan_converged(const struct plan *p);
/* One log/dry-run line: "bind 0000:03:00.1: igb -> vfio-pci (line 3)". */
int plan_format_action(const struct plan_action *a, char *buf, size_t size);

