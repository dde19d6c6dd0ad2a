/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan.c: the reconcile planner. Pure: takes the desired state (config), the
 * observed devices (pci_state), the managed set and in-use facts, and returns
 * actions and statuses. No I/O, no clock, no globals, no logging: everything
 * it decides can be tested from tables (tests/unit/test-plan.c).
 *
 * A pass works in four steps:
 *   1. claims:   for each device, the winning line (plan_resolve), then
 *                group=all spreads a winner to its IOMMU group's members;
 *                for each PF, the winning numvfs= line (held back while a
 *                process holds one of its VFs);
 *   2. ends:     the driver each device will have once this plan is done
 *                (ignoring group viability), so a group's viability can be
 *                judged from what its members are about to become;
 *   3. statuses and actions per device, per PF claim, per absent BDF line;
 *   4. ordering: statuses by address; actions RESTORE, SET_NUMVFS, BIND.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

#define DRV_VFIO "vfio-pci"
#define DRV_STUB "pci-stub"

/* Per-device working state of one pass. */
struct dplan {
	const struct pci_dev *d;
	const struct managed_dev *m;	/* in the managed set, or NULL */
	int rc;				/* plan_resolve: 0, -ENOENT, -EEXIST */
	const struct cfg_entry *line;	/* winner (rc 0 or -EEXIST) */
	const struct cfg_entry *other;	/* rc -EEXIST: the line that disagrees */
	bool via_group;			/* claimed by another member's group=all */
	int pf;				/* a VF's PF in pci->devs, -1 none */
	int offender;			/* first other member of its IOMMU group that
					   keeps the group from vfio use, -1 none */
	const char *use;		/* in-use reason from the input, NULL none */
	const struct plan_held *verdict;	/* holders verdict from the input */
	const struct plan_held *vf_held;	/* a PF: first held VF (named first) */
	const char *block;		/* own reason not to move it (in use, held, VGA) */
	const struct plan_held *held;	/* block is this verdict's reason */
	const char *end;		/* driver once this plan is carried out */
	bool restore;			/* a RESTORE is planned */
	bool vanishes;			/* a VF that this plan's SET_NUMVFS removes */
	const struct dplan *doomed_by;	/* an unclaimed VF its PF's held-back count
					   change will remove: left alone meanwhile */
	/* PF side (numvfs= claims) */
	int pf_rc;
	const struct cfg_entry *pf_line, *pf_other;
	int target_numvfs;		/* what this plan writes to sriov_numvfs, -1 */
	const struct plan_held *pf_held;	/* a held VF keeps the count: then */
	int wanted_numvfs;		/* ... the count the claim asks for */
};

struct builder {
	struct plan *p;
	size_t cap_actions, cap_statuses, cap_held;
	bool oom;
};

/* The reasons of a plan's statuses, one after another in blocks: a status
 * points into them. A plan of thousands of devices holds a few bytes of
 * text for each rather than a 256-byte buffer. */
struct plan_texts {
	struct plan_texts *next;
	size_t used, cap;
	char buf[];
};

#define PLAN_TEXTS_BLOCK 16384

static const char *texts_add(struct plan *p, const char *text)
{
	size_t n = strlen(text) + 1;
	struct plan_texts *t = p->texts;
	char *out;

	if (!t || t->cap - t->used < n) {
		size_t cap = n > PLAN_TEXTS_BLOCK ? n : PLAN_TEXTS_BLOCK;

		t = malloc(sizeof(*t) + cap);
		if (!t)
			return NULL;
		t->next = p->texts;
		t->used = 0;
		t->cap = cap;
		p->texts = t;
	}
	out = t->buf + t->used;
	memcpy(out, text, n);
	t->used += n;
	return out;
}

/* Status s says why, printf-style (cut at PLAN_REASON_MAX). */
static void __attribute__((format(printf, 3, 4)))
set_reason(struct builder *b, struct plan_status *s, const char *fmt, ...)
{
	char buf[PLAN_REASON_MAX];
	const char *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r = buf[0] ? texts_add(b->p, buf) : "";
	if (!r)
		b->oom = true;
	s->reason = r ? r : "";
}

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* pci->devs is sorted by address (pci.h): lookups are binary searches. */
static int find_index(const struct pci_state *pci, const char *bdf)
{
	const struct pci_dev *d = pci_find(pci, bdf);

	return d ? (int)(d - pci->devs) : -1;
}

static const struct pci_dev *find_dev(const struct pci_state *pci, const char *bdf)
{
	return pci_find(pci, bdf);
}

/* A device answers to an interface name it has now, or to the one recorded
 * when the daemon took it: unbinding a NIC from its driver removes the
 * interface, and the device must stay claimed afterwards. */
static bool dev_has_ifname(const struct pci_dev *d, const char *name,
			   const struct managed_set *managed)
{
	const struct managed_dev *m;

	for (unsigned i = 0; i < d->n_ifnames && i < PCI_MAX_IFNAMES; i++)
		if (streq(d->ifnames[i], name))
			return true;
	m = managed ? managed_find(managed, d->bdf) : NULL;
	return m && m->ifname[0] && streq(m->ifname, name);
}

static bool addr_is(const struct pci_addr *a, const char *bdf)
{
	struct pci_addr b;

	return bdf_parse(bdf, &b) == 0 && bdf_compare(a, &b) == 0;
}

/* vfs= is the entry's business (config_vf_selected), checked by the callers
 * that hold the entry; here only the PF is matched. */
bool plan_selector_matches(const struct cfg_selector *s, const struct pci_dev *d,
			   const struct pci_state *pci, const struct managed_set *managed)
{
	const struct pci_dev *pf;

	switch (s->kind) {
	case CFG_SEL_BDF:
		return bdf_compare(&s->addr, &d->addr) == 0;
	case CFG_SEL_ID:
		return d->vendor == s->vendor && d->device == s->device;
	case CFG_SEL_CLASS:
		return (d->class_code & s->class_mask) == s->class_code;
	case CFG_SEL_IFNAME:
		return dev_has_ifname(d, s->ifname, managed);
	case CFG_SEL_PF:
		if (!d->physfn[0] || d->vf_index < 0)
			return false;
		if (s->pf_by_addr)
			return addr_is(&s->addr, d->physfn);
		pf = pci ? find_dev(pci, d->physfn) : NULL;
		return pf && dev_has_ifname(pf, s->ifname, managed);
	}
	return false;
}

/* Does numvfs= line e set the VF count of device p? Only a PF can have VFs,
 * so a VF is never the target, whatever the selector says. */
static bool line_targets_pf(const struct cfg_entry *e, const struct pci_dev *p,
			    const struct pci_state *pci, const struct managed_set *managed,
			    enum cfg_sel_kind *kind)
{
	if (e->numvfs < 0 || p->physfn[0])
		return false;
	*kind = e->sel.kind;
	if (e->sel.kind != CFG_SEL_PF)
		return plan_selector_matches(&e->sel, p, pci, managed);
	if (e->sel.pf_by_addr)
		return bdf_compare(&e->sel.addr, &p->addr) == 0;
	return dev_has_ifname(p, e->sel.ifname, managed);
}

/* Does line e claim device d's driver? A plain line by its selector (and
 * vfs= for pf=); a numvfs= line claims the selected VFs of the PF it targets,
 * ranked as a pf= line, and never the PF's own driver. VFs at or above the
 * asked count are not claimed: they are about to go away. */
static bool line_claims_dev(const struct cfg_entry *e, const struct pci_dev *d,
			    const struct pci_state *pci, const struct managed_set *managed,
			    enum cfg_sel_kind *kind)
{
	const struct pci_dev *pf;
	enum cfg_sel_kind k;

	if (e->numvfs < 0) {
		if (!plan_selector_matches(&e->sel, d, pci, managed))
			return false;
		if (e->sel.kind == CFG_SEL_PF && !config_vf_selected(e, (unsigned)d->vf_index))
			return false;
		*kind = e->sel.kind;
		return true;
	}
	if (!d->physfn[0] || d->vf_index < 0 || d->vf_index >= e->numvfs)
		return false;
	pf = find_dev(pci, d->physfn);
	if (!pf || !line_targets_pf(e, pf, pci, managed, &k))
		return false;
	if (!config_vf_selected(e, (unsigned)d->vf_index))
		return false;
	*kind = CFG_SEL_PF;
	return true;
}

static bool driver_claims_agree(const struct cfg_entry *a, const struct cfg_entry *b)
{
	return streq(a->driver, b->driver) && a->group == b->group && a->force == b->force;
}

static bool numvfs_claims_agree(const struct cfg_entry *a, const struct cfg_entry *b)
{
	return a->numvfs == b->numvfs;
}

typedef bool (*agree_fn)(const struct cfg_entry *a, const struct cfg_entry *b);

/* Most specific applying line: rank (node kind, selector kind), compared
 * lexicographically. Lines are offered in config order: at the top rank the
 * earliest wins; a later one that disagrees with it makes the result
 * -EEXIST. */
struct pick {
	const struct cfg_entry *best, *clash;
	int rank;
};

static void consider(struct pick *pk, const struct cfg_entry *e, enum cfg_sel_kind kind,
		     agree_fn agree)
{
	int rank = (int)e->node_kind * 16 + (int)kind;

	if (!pk->best || rank > pk->rank) {
		pk->rank = rank;
		pk->best = e;
		pk->clash = NULL;
	} else if (rank == pk->rank && !pk->clash && !agree(pk->best, e)) {
		pk->clash = e;
	}
}

static int picked(const struct pick *pk, const struct cfg_entry **winner,
		  const struct cfg_entry **other)
{
	if (winner)
		*winner = pk->best;
	if (other)
		*other = pk->clash;
	if (!pk->best)
		return -ENOENT;
	return pk->clash ? -EEXIST : 0;
}

int plan_resolve(const struct config *c, const char *node_name, const struct pci_dev *d,
		 const struct pci_state *pci, const struct managed_set *managed,
		 const struct cfg_entry **winner, const struct cfg_entry **other)
{
	struct pick pk = { 0 };

	for (size_t i = 0; c && i < c->n_entries; i++) {
		const struct cfg_entry *e = &c->entries[i];
		enum cfg_sel_kind kind;

		if (config_node_matches(e, node_name ? node_name : "") &&
		    line_claims_dev(e, d, pci, managed, &kind))
			consider(&pk, e, kind, driver_claims_agree);
	}
	return picked(&pk, winner, other);
}

/* ---- the config, indexed for one pass ----
 *
 * A pass asks every device which lines apply. Asking every line would make
 * a pass cost devices x lines, and the seed's format is one BDF line per
 * device: so the lines of this node are split once per pass into those a
 * device can only match by its address (plain BDF lines, looked up by binary
 * search) and the rest (few in practice: ids, classes, interfaces, PFs,
 * numvfs=), which are tried on every device. The two are merged back into
 * config order, so the answer is plan_resolve's. */
struct bdf_line {
	struct pci_addr addr;
	size_t i;			/* entry index */
};

struct lines {
	const struct config *c;
	size_t *scan, n_scan;		/* entry indexes, config order */
	struct bdf_line *bdf;		/* plain BDF lines, by address, then order */
	size_t n_bdf;
	size_t *pf, n_pf;		/* numvfs= lines, config order */
};

static int cmp_bdf_line(const void *pa, const void *pb)
{
	const struct bdf_line *a = pa, *b = pb;
	int r = bdf_compare(&a->addr, &b->addr);

	return r ? r : (a->i > b->i) - (a->i < b->i);
}

static void lines_free(struct lines *l)
{
	free(l->scan);
	free(l->bdf);
	free(l->pf);
}

static int lines_index(struct lines *l, const struct config *c, const char *node_name)
{
	size_t n = c ? c->n_entries : 0;

	memset(l, 0, sizeof(*l));
	l->c = c;
	if (!n)
		return 0;
	l->scan = malloc(n * sizeof(*l->scan));
	l->bdf = malloc(n * sizeof(*l->bdf));
	l->pf = malloc(n * sizeof(*l->pf));
	if (!l->scan || !l->bdf || !l->pf) {
		lines_free(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cfg_entry *e = &c->entries[i];

		if (!config_node_matches(e, node_name ? node_name : ""))
			continue;
		if (e->numvfs >= 0)
			l->pf[l->n_pf++] = i;
		if (e->sel.kind == CFG_SEL_BDF && e->numvfs < 0)
			l->bdf[l->n_bdf++] = (struct bdf_line){ e->sel.addr, i };
		else
			l->scan[l->n_scan++] = i;
	}
	if (l->n_bdf > 1)
		qsort(l->bdf, l->n_bdf, sizeof(*l->bdf), cmp_bdf_line);
	return 0;
}

/* The plain BDF lines naming addr: l->bdf[*lo .. *hi). */
static void lines_at(const struct lines *l, const struct pci_addr *addr, size_t *lo, size_t *hi)
{
	size_t a = 0, b = l->n_bdf;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (bdf_compare(&l->bdf[mid].addr, addr) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	for (b = a; b < l->n_bdf && bdf_compare(&l->bdf[b].addr, addr) == 0;)
		b++;
	*hi = b;
}

/* plan_resolve for this node's lines, in O(log lines + scanned lines). */
static int resolve_dev(const struct lines *l, const struct pci_dev *d,
		       const struct pci_state *pci, const struct managed_set *managed,
		       const struct cfg_entry **winner, const struct cfg_entry **other)
{
	struct pick pk = { 0 };
	size_t i = 0, j, hi;

	lines_at(l, &d->addr, &j, &hi);
	while (i < l->n_scan || j < hi) {
		size_t k = (j >= hi || (i < l->n_scan && l->scan[i] < l->bdf[j].i)) ? l->scan[i++]
										   : l->bdf[j++].i;
		const struct cfg_entry *e = &l->c->entries[k];
		enum cfg_sel_kind kind;

		if (line_claims_dev(e, d, pci, managed, &kind))
			consider(&pk, e, kind, driver_claims_agree);
	}
	return picked(&pk, winner, other);
}

/* The winning numvfs= line for PF p. */
static int resolve_pf(const struct lines *l, const struct pci_dev *p,
		      const struct pci_state *pci, const struct managed_set *managed,
		      const struct cfg_entry **winner, const struct cfg_entry **other)
{
	struct pick pk = { 0 };

	for (size_t i = 0; i < l->n_pf; i++) {
		const struct cfg_entry *e = &l->c->entries[l->pf[i]];
		enum cfg_sel_kind kind;

		if (line_targets_pf(e, p, pci, managed, &kind))
			consider(&pk, e, kind, numvfs_claims_agree);
	}
	return picked(&pk, winner, other);
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static const char *group_name(enum cfg_group g)
{
	return g == CFG_GROUP_ALL ? "all" : "self";
}

/* "lines 3 and 7 disagree: vfio-pci vs igb" (first difference only). */
static void format_disagreement(struct builder *b, struct plan_status *s,
				const struct cfg_entry *x, const struct cfg_entry *y, bool numvfs)
{
	if (numvfs)
		set_reason(b, s, "lines %u and %u disagree: numvfs=%d vs numvfs=%d", x->line,
			   y->line, x->numvfs, y->numvfs);
	else if (!streq(x->driver, y->driver))
		set_reason(b, s, "lines %u and %u disagree: %s vs %s", x->line, y->line, x->driver,
			   y->driver);
	else if (x->group != y->group)
		set_reason(b, s, "lines %u and %u disagree: group=%s vs group=%s", x->line, y->line,
			   group_name(x->group), group_name(y->group));
	else
		set_reason(b, s, "lines %u and %u disagree: force=%s vs force=%s", x->line, y->line,
			   yesno(x->force), yesno(y->force));
}

static bool vfio_compatible(const char *driver)
{
	return !driver[0] || streq(driver, DRV_VFIO) || streq(driver, DRV_STUB);
}

/* ---- step 1: claims ---- */

/* The members of each IOMMU group together: indexes into pci->devs sorted
 * by (group, address), devices with no group left out. One pass over it
 * serves every group, where asking each device's group for its members
 * would make group=all and viability quadratic in devices. */
struct member {
	int group;
	size_t i;			/* index into pci->devs and the dplans */
};

struct groups {
	struct member *v;
	size_t n;
};

static int cmp_member(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;

	if (a->group != b->group)
		return (a->group > b->group) - (a->group < b->group);
	return (a->i > b->i) - (a->i < b->i);
}

static int groups_index(struct groups *g, const struct dplan *dp, size_t n)
{
	g->n = 0;
	g->v = malloc((n ? n : 1) * sizeof(*g->v));
	if (!g->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (dp[i].d->iommu_group >= 0)
			g->v[g->n++] = (struct member){ dp[i].d->iommu_group, i };
	if (g->n > 1)
		qsort(g->v, g->n, sizeof(*g->v), cmp_member);
	return 0;
}

/* The members of one group: g->v[lo .. return). */
static size_t group_end(const struct groups *g, size_t lo)
{
	size_t hi = lo + 1;

	while (hi < g->n && g->v[hi].group == g->v[lo].group)
		hi++;
	return hi;
}

/* group=all: the winner's line also claims every non-bridge member of the
 * IOMMU group that no line claims itself (an explicit line still wins).
 * The first winner in address order spreads: after it, no member is left
 * unclaimed for another to take. */
static void spread_group_claims(const struct groups *g, struct dplan *dp)
{
	for (size_t lo = 0, hi; lo < g->n; lo = hi) {
		const struct dplan *w = NULL;

		hi = group_end(g, lo);
		for (size_t k = lo; k < hi && !w; k++) {
			const struct dplan *x = &dp[g->v[k].i];

			if (x->rc == 0 && x->line->group == CFG_GROUP_ALL && !x->d->is_bridge)
				w = x;
		}
		for (size_t k = lo; w && k < hi; k++) {
			struct dplan *x = &dp[g->v[k].i];

			if (x == w || x->rc != -ENOENT || x->d->is_bridge)
				continue;
			x->rc = 0;
			x->line = w->line;
			x->via_group = true;
		}
	}
}

static void claim_pf(const struct plan_input *in, const struct lines *l, struct dplan *x)
{
	const struct pci_dev *d = x->d;
	const struct managed_pf *mp;

	x->target_numvfs = -1;
	x->pf_rc = resolve_pf(l, d, in->pci, in->managed, &x->pf_line, &x->pf_other);
	if (x->pf_rc == 0) {
		if (d->sriov_totalvfs >= 0 && x->pf_line->numvfs <= d->sriov_totalvfs &&
		    x->pf_line->numvfs != d->sriov_numvfs)
			x->target_numvfs = x->pf_line->numvfs;
		return;
	}
	/* Nothing to undo when the count is already back where it was. */
	mp = (x->pf_rc == -ENOENT && in->managed) ? managed_find_pf(in->managed, d->bdf) : NULL;
	if (mp && d->sriov_numvfs >= 0 && d->sriov_numvfs != mp->original_numvfs)
		x->target_numvfs = mp->original_numvfs;
}

/* The kernel changes a VF count only through 0: every VF of the PF goes,
 * those the new count keeps too. While a process holds one (a VM's VF), the
 * count stays, unless the claiming line says force=yes (a removed line has
 * no force). A named holder is preferred over a "cannot tell". */
static void hold_pf(struct dplan *x)
{
	if (x->target_numvfs < 0 || (x->pf_rc == 0 && x->pf_line->force) || !x->vf_held)
		return;
	x->pf_held = x->vf_held;
	x->wanted_numvfs = x->target_numvfs;
	x->target_numvfs = -1;
}

/* A VF the daemon made (its PF is managed) that nothing claims and that no
 * driver took: sriov_drivers_autoprobe was off when it appeared, so hand it
 * back to the kernel. */
static bool orphan_vf(const struct plan_input *in, const struct dplan *x)
{
	return x->rc == -ENOENT && !x->m && x->d->physfn[0] && !x->d->driver[0] && in->managed &&
	       managed_find_pf(in->managed, x->d->physfn);
}

/* ---- step 2: where each device ends up ---- */

static void block_held(struct dplan *x, const struct plan_held *held)
{
	x->block = held->reason;
	x->held = held;
}

/* Any driver a process holds the device through, vfio-pci included: unbinding
 * takes it from that process (for a VM's device on vfio-pci, the kernel asks
 * QEMU to unplug it from the running guest, and the write waits until it
 * does). A named holder comes first: it says who to talk to. */
static void compute_end(const struct plan_input *in, struct dplan *x)
{
	const struct pci_dev *d = x->d;
	const char *use = x->use;
	const struct plan_held *held = x->verdict;
	const struct dplan *doomed_by = x->doomed_by;

	x->end = d->driver;
	x->doomed_by = NULL;
	if (x->vanishes)
		return;
	if (x->rc == 0) {
		const struct cfg_entry *e = x->line;

		if (d->is_bridge || streq(d->driver, e->driver))
			return;
		if (held && !e->force)
			block_held(x, held);
		else if (use && !e->force)
			x->block = use;
		else if (d->boot_vga == 1 && !e->force)
			x->block = "boot VGA device (force=yes to take it)";
		if (!x->block)
			x->end = e->driver;
	} else if (x->rc == -ENOENT && (x->m || orphan_vf(in, x))) {
		if (doomed_by) {
			/* Its PF's count change removes it once that may run. */
			x->doomed_by = doomed_by;
			return;
		}
		if (held) {
			block_held(x, held);
			return;
		}
		/* Leaving a host driver while the host uses it is unsafe too;
		 * on vfio-pci (or no driver) only holders count. */
		if (use && !vfio_compatible(d->driver)) {
			x->block = use;
			return;
		}
		x->restore = true;
		x->end = x->m ? x->m->original_driver : "";
	}
}

/* For each member of each group, the first other member that keeps the
 * group from vfio use once this plan is done (dplan.offender): the first
 * such member of the group, or the second when that is the device itself. */
static void find_offenders(const struct groups *g, struct dplan *dp)
{
	for (size_t lo = 0, hi; lo < g->n; lo = hi) {
		int off[2] = { -1, -1 };
		unsigned n_off = 0;

		hi = group_end(g, lo);
		for (size_t k = lo; k < hi && n_off < 2; k++) {
			const struct dplan *x = &dp[g->v[k].i];

			if (!x->d->is_bridge && !vfio_compatible(x->end))
				off[n_off++] = (int)g->v[k].i;
		}
		for (size_t k = lo; k < hi; k++)
			dp[g->v[k].i].offender = off[0] == (int)g->v[k].i ? off[1] : off[0];
	}
}

/* ---- output ---- */

static struct plan_status *add_status(struct builder *b, const char *bdf, enum proto_state state,
				      unsigned line)
{
	struct plan *p = b->p;
	struct plan_status *s;

	if (util_grow(&p->statuses, p->n_statuses, &b->cap_statuses, sizeof(*s)) < 0)
		return NULL;
	s = &p->statuses[p->n_statuses++];
	memset(s, 0, sizeof(*s));
	util_strlcpy(s->bdf, bdf, sizeof(s->bdf));
	s->state = state;
	s->reason = "";
	s->line = line;
	s->numvfs = -1;
	s->iommu_group = -1;
	return s;
}

/* Keep verdict v as the one behind the status of bdf (a PF claim's when
 * pf_claim), for `status` to list the holders. */
static int add_held(struct builder *b, const char *bdf, bool pf_claim, const struct plan_held *v)
{
	struct plan *p = b->p;
	struct plan_held *h;

	if (util_grow(&p->held, p->n_held, &b->cap_held, sizeof(*h)) < 0)
		return -ENOMEM;
	h = &p->held[p->n_held++];
	*h = *v;
	util_strlcpy(h->bdf, bdf, sizeof(h->bdf));
	h->pf_claim = pf_claim;
	return 0;
}

/* "VF 0000:00:10.1 held by pid ..." / "VF 0000:00:10.1: cannot tell ...". */
static void format_vf_held(char *buf, size_t size, const struct plan_held *h)
{
	(void)util_fmt(buf, size, "VF %s%s %s", h->bdf, h->unknown ? ":" : "", h->reason);
}

static struct plan_action *add_action(struct builder *b, enum proto_action_kind kind,
				      const struct pci_dev *d, unsigned line)
{
	struct plan *p = b->p;
	struct plan_action *a;

	if (util_grow(&p->actions, p->n_actions, &b->cap_actions, sizeof(*a)) < 0)
		return NULL;
	a = &p->actions[p->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	util_strlcpy(a->bdf, d->bdf, sizeof(a->bdf));
	util_strlcpy(a->current, d->driver, sizeof(a->current));
	a->numvfs = -1;
	a->current_numvfs = -1;
	a->line = line;
	return a;
}

/* ---- step 3: device statuses and actions ---- */

/* Why claimed device i cannot go to its desired driver now, or NULL. */
static const char *claim_block(const struct plan_input *in, const struct dplan *dp, size_t i,
			       char *buf, size_t size)
{
	const struct pci_dev *d = dp[i].d;
	int off;

	if (streq(dp[i].line->driver, DRV_VFIO)) {
		if (!in->pci->iommu_on)
			return "IOMMU is off: boot with intel_iommu=on or amd_iommu=on (and iommu=pt)";
		if (d->iommu_group < 0)
			return "no IOMMU group";
		off = dp[i].offender;
		if (off >= 0) {
			(void)util_fmt(buf, size, "group %d not viable: %s on %s", d->iommu_group,
				       dp[off].d->bdf, dp[off].end);
			return buf;
		}
	}
	return dp[i].block;
}

static int plan_claimed(const struct plan_input *in, const struct dplan *dp, size_t i,
			struct plan_status *s, struct builder *b)
{
	const struct pci_dev *d = dp[i].d;
	const struct cfg_entry *e = dp[i].line;
	struct plan_action *a;
	const char *why;
	char buf[PLAN_REASON_MAX];

	util_strlcpy(s->desired, e->driver, sizeof(s->desired));
	if (d->is_bridge) {
		s->state = PROTO_STATE_BLOCKED;
		set_reason(b, s, "PCI bridge: not bound");
		return 0;
	}
	if (dp[i].vanishes) {
		s->state = PROTO_STATE_PENDING;
		set_reason(b, s, "goes away: numvfs change on %s",
			       d->physfn);
		return 0;
	}
	if (streq(d->driver, e->driver))
		return 0; /* converged */
	why = claim_block(in, dp, i, buf, sizeof(buf));
	if (why) {
		s->state = PROTO_STATE_BLOCKED;
		set_reason(b, s, "%s", why);
		if (dp[i].held && why == dp[i].held->reason)
			return add_held(b, d->bdf, false, dp[i].held);
		return 0;
	}
	s->state = PROTO_STATE_PENDING;
	set_reason(b, s, "bind to %s", e->driver);
	a = add_action(b, PROTO_ACTION_BIND, d, e->line);
	if (!a)
		return -ENOMEM;
	util_strlcpy(a->driver, e->driver, sizeof(a->driver));
	return 0;
}

static int plan_restore(const struct dplan *x, struct plan_status *s, struct builder *b)
{
	const char *orig = x->m ? x->m->original_driver : "";
	struct plan_action *a;
	char why[PLAN_REASON_MAX];

	if (x->doomed_by) {
		s->state = PROTO_STATE_BLOCKED;
		format_vf_held(why, sizeof(why), x->doomed_by->pf_held);
		set_reason(b, s, "goes away: numvfs change on %s waits: %s",
			       x->doomed_by->d->bdf, why);
		return add_held(b, x->d->bdf, false, x->doomed_by->pf_held);
	}
	if (x->block) {
		s->state = PROTO_STATE_BLOCKED;
		set_reason(b, s, "%s", x->block);
		return x->held ? add_held(b, x->d->bdf, false, x->held) : 0;
	}
	set_reason(b, s, "no longer in config: back to %s",
		       orig[0] ? orig : "the kernel's choice");
	a = add_action(b, PROTO_ACTION_RESTORE, x->d, 0);
	if (!a)
		return -ENOMEM;
	util_strlcpy(a->driver, orig, sizeof(a->driver));
	return 0;
}

static int plan_device(const struct plan_input *in, const struct dplan *dp, size_t i,
		       struct builder *b)
{
	const struct dplan *x = &dp[i];
	const struct pci_dev *d = x->d;
	struct plan_status *s;

	/* Not ours (left alone), or a VF this plan's SET_NUMVFS removes (the
	 * runtime forgets it once it is gone). */
	if (x->rc == -ENOENT && !x->restore && !x->block && !x->doomed_by)
		return 0;
	s = add_status(b, d->bdf, PROTO_STATE_PENDING, x->line ? x->line->line : 0);
	if (!s)
		return -ENOMEM;
	util_strlcpy(s->current, d->driver, sizeof(s->current));
	s->iommu_group = d->iommu_group;
	s->group_viable = d->iommu_group >= 0 && in->pci->iommu_on &&
			  dp[i].offender < 0;
	if (x->rc == -EEXIST) {
		s->state = PROTO_STATE_ERROR;
		format_disagreement(b, s, x->line, x->other, false);
		return 0;
	}
	if (x->rc == 0) {
		s->state = PROTO_STATE_CONVERGED;
		return plan_claimed(in, dp, i, s, b);
	}
	return plan_restore(x, s, b);
}

/* A count change a held VF keeps from running: blocked, naming the VF. */
static int plan_pf_held(const struct dplan *x, struct plan_status *s, struct builder *b)
{
	char why[PLAN_REASON_MAX];

	s->state = PROTO_STATE_BLOCKED;
	format_vf_held(why, sizeof(why), x->pf_held);
	if (x->pf_rc == -ENOENT)
		set_reason(b, s, "no longer in config: back to %d VFs waits: %s", x->wanted_numvfs, why);
	else
		set_reason(b, s, "numvfs %d -> %d waits: %s",
			       x->d->sriov_numvfs, x->wanted_numvfs, why);
	return add_held(b, x->d->bdf, true, x->pf_held);
}

/* The numvfs= claim of PF x, or the way back for a PF the daemon changed. */
static int plan_pf(const struct dplan *x, struct builder *b)
{
	const struct pci_dev *d = x->d;
	const struct cfg_entry *e = x->pf_line;
	struct plan_status *s;
	struct plan_action *a;

	if (x->pf_rc == -ENOENT && x->target_numvfs < 0 && !x->pf_held)
		return 0;
	s = add_status(b, d->bdf, PROTO_STATE_CONVERGED, x->pf_rc == -ENOENT ? 0 : e->line);
	if (!s)
		return -ENOMEM;
	s->pf_claim = true;
	s->numvfs = x->pf_rc != -ENOENT ? e->numvfs
					: x->pf_held ? x->wanted_numvfs : x->target_numvfs;
	util_strlcpy(s->current, d->driver, sizeof(s->current));
	s->iommu_group = d->iommu_group;
	if (x->pf_rc == -EEXIST) {
		s->state = PROTO_STATE_ERROR;
		format_disagreement(b, s, e, x->pf_other, true);
		return 0;
	}
	if (x->pf_rc == 0 && d->sriov_totalvfs < 0) {
		s->state = PROTO_STATE_ERROR;
		set_reason(b, s, "%s is not SR-IOV capable", d->bdf);
		return 0;
	}
	if (x->pf_rc == 0 && e->numvfs > d->sriov_totalvfs) {
		s->state = PROTO_STATE_ERROR;
		set_reason(b, s, "asks %d VFs, %s supports %d",
			       e->numvfs, d->bdf, d->sriov_totalvfs);
		return 0;
	}
	if (x->pf_held)
		return plan_pf_held(x, s, b);
	if (x->target_numvfs < 0)
		return 0; /* converged */
	s->state = PROTO_STATE_PENDING;
	if (x->pf_rc == -ENOENT)
		set_reason(b, s, "no longer in config: back to %d VFs", x->target_numvfs);
	else
		set_reason(b, s, "numvfs %d -> %d",
			       d->sriov_numvfs, x->target_numvfs);
	a = add_action(b, PROTO_ACTION_NUMVFS, d, s->line);
	if (!a)
		return -ENOMEM;
	a->numvfs = x->target_numvfs;
	a->current_numvfs = d->sriov_numvfs;
	/* Any non-zero count is reached through 0, so every VF is created anew;
	 * keep host drivers off them when a line wants them elsewhere. A way
	 * back lets the kernel choose. */
	a->autoprobe_off = x->pf_rc == 0 && x->target_numvfs > 0;
	return 0;
}

/* A BDF line (or pf=BDF line) on this node naming an address no device has,
 * with the key (address, pf claim) its status would have. */
struct absent {
	struct pci_addr addr;
	bool pf_claim;
	size_t i;			/* entry index */
};

static int cmp_absent(const void *pa, const void *pb)
{
	const struct absent *a = pa, *b = pb;
	int r = bdf_compare(&a->addr, &b->addr);

	if (r)
		return r;
	if (a->pf_claim != b->pf_claim)
		return (int)a->pf_claim - (int)b->pf_claim;
	return (a->i > b->i) - (a->i < b->i);
}

/* A BDF line (or pf=BDF line) on this node whose device is not there: one
 * status per address (and kind of claim), from the first such line. A pf=
 * line that names its PF by interface has no address to report. */
static int plan_absent(const struct plan_input *in, struct builder *b)
{
	const struct config *c = in->config;
	struct absent *v;
	size_t n = 0;
	int r = 0;

	if (!c || !c->n_entries)
		return 0;
	v = malloc(c->n_entries * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct cfg_entry *e = &c->entries[i];

		if (e->sel.kind != CFG_SEL_BDF && !(e->sel.kind == CFG_SEL_PF && e->sel.pf_by_addr))
			continue;
		if (!config_node_matches(e, in->node_name ? in->node_name : ""))
			continue;
		v[n++] = (struct absent){ e->sel.addr, e->sel.kind == CFG_SEL_BDF && e->numvfs >= 0,
					  i };
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_absent);
	for (size_t k = 0; k < n && r == 0; k++) {
		const struct cfg_entry *e = &c->entries[v[k].i];
		bool pf_claim = v[k].pf_claim;
		char bdf[BDF_BUFSZ];
		struct plan_status *s;

		if (k > 0 && bdf_compare(&v[k - 1].addr, &v[k].addr) == 0 &&
		    v[k - 1].pf_claim == pf_claim)
			continue;
		bdf_format(&v[k].addr, bdf);
		if (find_dev(in->pci, bdf))
			continue;
		s = add_status(b, bdf, PROTO_STATE_ABSENT, e->line);
		if (!s) {
			r = -ENOMEM;
			break;
		}
		s->pf_claim = pf_claim;
		s->numvfs = pf_claim ? e->numvfs : -1;
		if (!pf_claim && e->sel.kind == CFG_SEL_BDF)
			util_strlcpy(s->desired, e->driver, sizeof(s->desired));
		set_reason(b, s, "%s", e->sel.kind == CFG_SEL_PF ? "PF not present" : "not present");
	}
	free(v);
	return r;
}

/* ---- step 4: order ---- */

/* Statuses and actions carry canonical names (bdf_format's): the domain is
 * the one field of varying width, with no leading zero beyond four digits,
 * so the longer name is the higher address and names of one length compare
 * as strings. No parsing in a sort of thousands. */
static int cmp_bdf(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int cmp_status(const void *pa, const void *pb)
{
	const struct plan_status *a = pa, *b = pb;
	int r = cmp_bdf(a->bdf, b->bdf);

	return r ? r : (int)a->pf_claim - (int)b->pf_claim;
}

static int cmp_held(const void *pa, const void *pb)
{
	const struct plan_held *a = pa, *b = pb;
	int r = cmp_bdf(a->bdf, b->bdf);

	return r ? r : (int)a->pf_claim - (int)b->pf_claim;
}

/* Restores first: they hand devices back and can make a group viable (or
 * free a driver) before anything else moves. VF counts next: changing a
 * count destroys and recreates the VFs, so binding a VF before that would be
 * undone. Binds last, each kind in address order. */
static int action_order(enum proto_action_kind k)
{
	switch (k) {
	case PROTO_ACTION_RESTORE:
		return 0;
	case PROTO_ACTION_NUMVFS:
		return 1;
	case PROTO_ACTION_BIND:
		return 2;
	}
	return 3;
}

static int cmp_action(const void *pa, const void *pb)
{
	const struct plan_action *a = pa, *b = pb;
	int r = action_order(a->kind) - action_order(b->kind);

	return r ? r : cmp_bdf(a->bdf, b->bdf);
}

/* ---- the pass ---- */

static void mark_vanishing(const struct pci_state *pci, struct dplan *dp)
{
	for (size_t i = 0; i < pci->n; i++) {
		const struct dplan *pf = dp[i].pf >= 0 ? &dp[dp[i].pf] : NULL;

		if (!pf)
			continue;
		if (pf->target_numvfs >= 0 && dp[i].d->vf_index >= pf->target_numvfs)
			dp[i].vanishes = true;
		else if (pf->pf_held && dp[i].d->vf_index >= pf->wanted_numvfs)
			dp[i].doomed_by = pf;
	}
}

/* The input's in-use facts and holders verdicts, each on its device (the
 * first one given for a device counts), and on each PF the verdict of its
 * first held VF, a named holder before a "cannot tell". */
static void attach_facts(const struct plan_input *in, struct dplan *dp)
{
	for (size_t i = 0; in->inuse && i < in->n_inuse; i++) {
		int k = find_index(in->pci, in->inuse[i].bdf);

		if (k >= 0 && !dp[k].use)
			dp[k].use = in->inuse[i].reason;
	}
	for (size_t i = 0; in->held && i < in->n_held; i++) {
		int k = find_index(in->pci, in->held[i].bdf);

		if (k >= 0 && !dp[k].verdict)
			dp[k].verdict = &in->held[i];
	}
	for (size_t i = 0; i < in->pci->n; i++) {
		const struct plan_held *h = dp[i].verdict;
		struct dplan *pf = dp[i].pf >= 0 ? &dp[dp[i].pf] : NULL;

		if (h && pf && (!pf->vf_held || (pf->vf_held->unknown && !h->unknown)))
			pf->vf_held = h;
	}
}

static int compute(const struct plan_input *in, struct dplan *dp, struct builder *b)
{
	const struct pci_state *pci = in->pci;
	struct groups g = { 0 };
	struct lines l;
	int r;

	r = lines_index(&l, in->config, in->node_name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pci->n; i++) {
		dp[i].d = &pci->devs[i];
		dp[i].pf = dp[i].d->physfn[0] ? find_index(pci, dp[i].d->physfn) : -1;
		dp[i].offender = -1;
	}
	attach_facts(in, dp);
	for (size_t i = 0; i < pci->n; i++) {
		dp[i].m = in->managed ? managed_find(in->managed, dp[i].d->bdf) : NULL;
		dp[i].rc = resolve_dev(&l, dp[i].d, pci, in->managed, &dp[i].line, &dp[i].other);
		claim_pf(in, &l, &dp[i]);
		hold_pf(&dp[i]);
	}
	lines_free(&l);
	r = groups_index(&g, dp, pci->n);
	if (r < 0)
		return r;
	spread_group_claims(&g, dp);
	mark_vanishing(pci, dp);
	for (size_t i = 0; i < pci->n; i++)
		compute_end(in, &dp[i]);
	find_offenders(&g, dp);
	free(g.v);
	for (size_t i = 0; i < pci->n; i++) {
		r = plan_device(in, dp, i, b);
		if (r < 0)
			return r;
		r = plan_pf(&dp[i], b);
		if (r < 0)
			return r;
	}
	return plan_absent(in, b);
}

int plan_compute(const struct plan_input *in, struct plan **out)
{
	static const struct pci_state empty;
	struct plan_input input = *in;
	struct builder b = { 0 };
	struct dplan *dp;
	int r;

	*out = NULL;
	if (!input.pci)
		input.pci = &empty;
	b.p = calloc(1, sizeof(*b.p));
	dp = calloc(input.pci->n ? input.pci->n : 1, sizeof(*dp));
	if (!b.p || !dp) {
		r = -ENOMEM;
		goto out;
	}
	r = compute(&input, dp, &b);
	if (r == 0 && b.oom)
		r = -ENOMEM;
	if (r < 0)
		goto out;
	if (b.p->n_statuses)
		qsort(b.p->statuses, b.p->n_statuses, sizeof(*b.p->statuses), cmp_status);
	if (b.p->n_actions)
		qsort(b.p->actions, b.p->n_actions, sizeof(*b.p->actions), cmp_action);
	if (b.p->n_held)
		qsort(b.p->held, b.p->n_held, sizeof(*b.p->held), cmp_held);
	*out = b.p;
	b.p = NULL;
out:
	free(dp);
	plan_free(b.p);
	return r;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->actions);
	free(p->statuses);
	free(p->held);
	while (p->texts) {
		struct plan_texts *t = p->texts;

		p->texts = t->next;
		free(t);
	}
	free(p);
}

const struct plan_held *plan_held_for(const struct plan *p, const struct plan_status *st)
{
	struct plan_held key;

	if (!p || !p->n_held)
		return NULL;
	util_strlcpy(key.bdf, st->bdf, sizeof(key.bdf));
	key.pf_claim = st->pf_claim;
	return bsearch(&key, p->held, p->n_held, sizeof(*p->held), cmp_held);
}

bool plan_converged(const struct plan *p)
{
	for (size_t i = 0; p && i < p->n_statuses; i++)
		if (p->statuses[i].state != PROTO_STATE_CONVERGED)
			return false;
	return true;
}

static const char *or_none(const char *driver)
{
	return driver[0] ? driver : "(none)";
}

int plan_format_action(const struct plan_action *a, char *buf, size_t size)
{
	switch (a->kind) {
	case PROTO_ACTION_BIND:
		return util_fmt(buf, size, "bind %s: %s -> %s (line %u)", a->bdf,
				or_none(a->current), a->driver, a->line);
	case PROTO_ACTION_RESTORE:
		if (!a->driver[0])
			return util_fmt(buf, size, "restore %s: %s -> kernel's choice", a->bdf,
					or_none(a->current));
		return util_fmt(buf, size, "restore %s: %s -> kernel's choice (was %s)", a->bdf,
				or_none(a->current), a->driver);
	case PROTO_ACTION_NUMVFS:
		if (!a->line)
			return util_fmt(buf, size, "numvfs %s: %d -> %d (restore)", a->bdf,
					a->current_numvfs, a->numvfs);
		return util_fmt(buf, size, "numvfs %s: %d -> %d (line %u)", a->bdf,
				a->current_numvfs, a->numvfs, a->line);
	}
	return -EINVAL;
}
