/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h: the desired state, parsed from vfiobind.conf (see vfiobind.conf(5)).
 *
 * Pure: config_parse() takes text and returns data or a list of errors; it
 * never touches the file system, the clock or globals. Reading and rewriting
 * the file is conffile.c's job. The parser is config.c; the objects and
 * their canonical text are config-format.c.
 *
 * Grammar, one entry per line ('#' starts a comment, blank lines ignored,
 * any run of spaces or tabs separates words):
 *
 *     NODE DEVICE [key=value ...]
 *
 * NODE   an exact node name, a glob (fnmatch: '*', '?', '[...]'), or DEFAULT.
 * DEVICE 0000:03:00.1 | 03:00.1 | id=VVVV:DDDD | class=0xCCCCCC[/0xMMMMMM]
 *        | ifname=NAME | pf=BDF | pf=IFNAME
 * keys   driver=NAME (default vfio-pci), numvfs=N, vfs=LIST|all, group=self|all,
 *        force=yes|no
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdf.h"

#define CFG_LINE_MAX 4096	/* bytes per line, without the line end */
#define CFG_DRIVER_MAX 64
#define CFG_IFNAME_MAX 16 /* IFNAMSIZ */
#define CFG_NODE_MAX 256
#define CFG_DEFAULT_DRIVER "vfio-pci"
#define CFG_MAX_NUMVFS 65535

/* Ranked: a larger value is more specific. */
enum cfg_node_kind {
	CFG_NODE_DEFAULT = 0,
	CFG_NODE_GLOB = 1,
	CFG_NODE_EXACT = 2,
};

/* Ranked: a larger value is more specific (second key after the node). */
enum cfg_sel_kind {
	CFG_SEL_CLASS = 0,
	CFG_SEL_ID = 1,
	CFG_SEL_PF = 2,
	CFG_SEL_IFNAME = 3,
	CFG_SEL_BDF = 4,
};

struct cfg_selector {
	enum cfg_sel_kind kind;
	struct pci_addr addr;		/* BDF; PF when pf_by_addr */
	uint16_t vendor, device;	/* ID */
	uint32_t class_code, class_mask; /* CLASS: (class & mask) == code */
	char ifname[CFG_IFNAME_MAX];	/* IFNAME; PF when !pf_by_addr */
	bool pf_by_addr;		/* PF: addr (true) or ifname (false) */
};

struct cfg_range {
	uint16_t lo, hi; /* inclusive */
};

enum cfg_group {
	CFG_GROUP_SELF = 0,
	CFG_GROUP_ALL,
};

struct cfg_entry {
	unsigned line;			/* 1-based line in the source */
	char node[CFG_NODE_MAX];
	enum cfg_node_kind node_kind;
	struct cfg_selector sel;
	char driver[CFG_DRIVER_MAX];	/* never empty: default vfio-pci */
	bool driver_set;		/* driver= given explicitly */
	int numvfs;			/* -1 when not given */
	bool vfs_given;			/* vfs= given */
	bool vfs_all;
	struct cfg_range *vfs;		/* when vfs_given && !vfs_all */
	size_t n_vfs;
	enum cfg_group group;
	bool force;
};

struct config {
	char *source;			/* file name the text came from */
	struct cfg_entry *entries;
	size_t n_entries;
	bool missing;			/* source file did not exist: empty desired state */
};

struct cfg_error {
	unsigned line;			/* 0: about the file as a whole */
	char msg[256];
};

struct cfg_errors {
	char *source;
	struct cfg_error *v;
	size_t n;
};

/* Parse text (len bytes, NUL not required). On success returns 0 and *out.
 * On any invalid line returns -EINVAL, *out stays NULL and errs lists every
 * error (all lines are checked, not just the first). -ENOMEM on allocation
 * failure. errs may be NULL. */
int config_parse(const char *source, const char *text, size_t len,
		 struct config **out, struct cfg_errors *errs);
/* An empty desired state (nothing to bind), e.g. for a missing file. */
struct config *config_new_empty(const char *source);
void config_free(struct config *c);
struct config *config_dup(const struct config *c);

void cfg_errors_clear(struct cfg_errors *errs);
/* "file:line: message" for error i, into buf. */
int cfg_errors_format(const struct cfg_errors *errs, size_t i, char *buf, size_t size);

/* Does a line select by interface name (ifname=, pf=IFNAME)? */
bool config_names_interfaces(const struct config *c);

/* Does this entry's NODE apply to a node with this name? An exact name or a
 * glob matches the full name or its part before the first dot. */
bool config_node_matches(const struct cfg_entry *e, const char *node_name);

/* true when vf_index is selected by the entry's vfs= (all when not given). */
bool config_vf_selected(const struct cfg_entry *e, unsigned vf_index);

/* Canonical text of an entry ("DEFAULT 0000:03:00.0 driver=vfio-pci"): only
 * non-default keys are written. Returns 0 or -ENAMETOOLONG. */
int config_format_entry(const struct cfg_entry *e, char *buf, size_t size);
/* Do two selectors pick the same devices by the same words (BDF, id, class
 * and mask, interface, PF)? Used to find "the same line" for add/remove. */
bool config_selector_equal(const struct cfg_selector *a, const struct cfg_selector *b);
/* Text of the selector alone ("0000:03:00.0", "id=8086:10d3", ...). */
int config_format_selector(const struct cfg_selector *s, char *buf, size_t size);

/* Parse one line's words into e (used by `add`): 0, or -EINVAL with msg. */
int config_parse_line(const char *line, unsigned lineno, struct cfg_entry *e,
		      char *msg, size_t msgsize);
void config_entry_clear(struct cfg_entry *e);
