/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.c: the preflight behind `vfiobind check` (see check.h). Each check_*
 * step adds findings; the planner and inuse.c decide device by device,
 * exactly as the daemon would, so check and daemon never disagree. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "check.h"
#include "config.h"
#include "inuse.h"
#include "modules.h"
#include "pci.h"
#include "plan.h"
#include "util.h"
#include "fileio.h"
#include "pci-scan.h"
#include "inuse-gather.h"
#include "runprog.h"

#define CHECK_CONFIG_MAX (4u << 20)
#define CHECK_LIST_MAX (64u << 20)	/* lsinitramfs of a fat initramfs */
#define CHECK_LIST_TIMEOUT_MS (120 * 1000)

struct check_ctx {
	const struct check_opts *o;
	struct check_report *r;
	bool real;			/* the real /sys: libkmod, lsinitramfs */
	struct config *config;		/* NULL when missing or invalid */
	struct pci_state *pci;
	struct plan *plan;
	struct plan_inuse *inuse;
	size_t n_inuse;
};

const char *check_level_name(enum check_level l)
{
	static const char *const names[] = { "ok", "warn", "fail" };

	return (unsigned)l < ARRAY_SIZE(names) ? names[l] : "?";
}

void check_report_clear(struct check_report *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int check_add(struct check_report *r, enum check_level level, const char *subject,
	      const char *hint, const char *fmt, ...)
{
	struct check_finding *f;
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct check_finding *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	util_strlcpy(f->subject, subject, sizeof(f->subject));
	util_strlcpy(f->hint, hint ? hint : "", sizeof(f->hint));
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return 0;
}

int check_exit_code(const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].level == CHECK_FAIL)
			return 1;
	return 0;
}

/* Does ROOT/DIR/NAME exist? */
static bool sysfs_has(const char *root, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	return util_fmt(path, sizeof(path), "%s/%s/%s", root, dir, name) == 0 &&
	       stat(path, &st) == 0;
}

/* Does any line that applies here want vfio-pci? Then IOMMU and modules are
 * failures when missing; otherwise only warnings. */
static bool wants_vfio(const struct check_ctx *x)
{
	for (size_t i = 0; x->config && i < x->config->n_entries; i++)
		if (config_node_matches(&x->config->entries[i], x->o->node_name) &&
		    strcmp(x->config->entries[i].driver, CFG_DEFAULT_DRIVER) == 0)
			return true;
	return false;
}

/* --- config ----------------------------------------------------------------- */

static int check_config(struct check_ctx *x)
{
	struct cfg_errors errs = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	r = fileio_read_file(x->o->config_path, CHECK_CONFIG_MAX, &text, &len);
	if (r == -ENOENT)
		return check_add(x->r, CHECK_WARN, "config", NULL,
				 "%s: no such file (nothing is claimed)", x->o->config_path);
	if (r < 0)
		return check_add(x->r, CHECK_FAIL, "config", NULL, "%s: %s", x->o->config_path,
				 strerror(-r));
	r = config_parse(x->o->config_path, text, len, &x->config, &errs);
	if (r == -ENOMEM)
		return r;
	for (size_t i = 0; r < 0 && i < errs.n; i++) {
		char line[512];

		if (cfg_errors_format(&errs, i, line, sizeof(line)) < 0 ||
		    check_add(x->r, CHECK_FAIL, "config", NULL, "%s", line) < 0) {
			cfg_errors_clear(&errs);
			return -ENOMEM;
		}
	}
	cfg_errors_clear(&errs);
	if (r < 0)
		return 0;
	return check_add(x->r, CHECK_OK, "config", NULL, "%s: valid, %zu entr%s",
			 x->o->config_path, x->config->n_entries,
			 x->config->n_entries == 1 ? "y" : "ies");
}

/* --- IOMMU and modules ------------------------------------------------------ */

/* The iommu words of the kernel command line ("intel_iommu=on iommu=pt"). */
static void iommu_words(const char *cmdline, char *buf, size_t size)
{
	char copy[4096], *save = NULL;
	size_t len = 0;

	buf[0] = '\0';
	util_strlcpy(copy, cmdline, sizeof(copy));
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		if (strstr(w, "iommu") && len + strlen(w) + 2 < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", w);
}

static int check_iommu(struct check_ctx *x)
{
	static const char hint[] = "boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), "
				   "plus iommu=pt, and enable VT-d/AMD-Vi in the firmware";
	char path[PATH_MAX], cmdline[4096] = "", words[256];
	bool have_cmdline = false;

	if (x->o->proc_root && util_fmt(path, sizeof(path), "%s/cmdline", x->o->proc_root) == 0)
		have_cmdline = fileio_read_attr(path, cmdline, sizeof(cmdline)) >= 0;
	iommu_words(cmdline, words, sizeof(words));
	if (strlen(cmdline) > 300) /* a long line would push the finding off the screen */
		memcpy(cmdline + 297, "...", 4);
	if (x->pci->iommu_on) {
		if (!have_cmdline)
			return check_add(x->r, CHECK_OK, "iommu", NULL, "on");
		if (words[0])
			return check_add(x->r, CHECK_OK, "iommu", NULL, "on (%s in %s)", words,
					 path);
		return check_add(x->r, CHECK_OK, "iommu", NULL,
				 "on (no iommu option in %s: on by default)", path);
	}
	return check_add(x->r, wants_vfio(x) ? CHECK_FAIL : CHECK_WARN, "iommu", hint,
			 "off: no groups under %s/kernel/iommu_groups (kernel command line: %s)",
			 x->o->sysfs_root, have_cmdline ? cmdline : "unknown");
}

static int check_module(struct check_ctx *x, const char *name, const char *sysname)
{
	static const char hint[] = "install the kernel's vfio modules (e.g. linux-modules-extra "
				   "for the running kernel)";
	enum check_level missing = wants_vfio(x) ? CHECK_FAIL : CHECK_WARN;
	int r;

	/* vfio-pci depends on vfio: its driver being there means both are. */
	if (sysfs_has(x->o->sysfs_root, "module", sysname) ||
	    sysfs_has(x->o->sysfs_root, "bus/pci/drivers", "vfio-pci"))
		return check_add(x->r, CHECK_OK, name, NULL, "loaded");
	if (!x->real)
		return check_add(x->r, CHECK_WARN, name, NULL,
				 "not loaded (libkmod is not asked about a fake sysfs root)");
	r = modules_kmod_available(name);
	if (r > 0)
		return check_add(x->r, CHECK_OK, name, NULL,
				 "available, not loaded (vfiobindd loads it)");
	if (r == 0)
		return check_add(x->r, missing, name, hint, "not found for the running kernel");
	return check_add(x->r, CHECK_WARN, name, NULL, "cannot ask libkmod: %s", strerror(-r));
}

/* --- devices ------------------------------------------------------------------- */

/* In-use facts for every claimed device not yet on its driver: unlike the
 * daemon (which asks only about the binds it would do now), check wants
 * every blocker at once, even those behind IOMMU off. */
static int gather_inuse(struct check_ctx *x)
{
	_cleanup_free_ const char **bdfs = calloc(x->plan->n_statuses + 1, sizeof(*bdfs));
	const char *dev_root = x->o->dev_root ? x->o->dev_root
					      : inuse_default_dev_root(x->o->sysfs_root);
	size_t n = 0;

	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < x->plan->n_statuses; i++) {
		const struct plan_status *s = &x->plan->statuses[i];

		if (!s->pf_claim && s->desired[0] && strcmp(s->current, s->desired) != 0)
			bdfs[n++] = s->bdf;
	}
	return inuse_find(x->o->proc_root, x->o->sysfs_root, dev_root, x->pci, bdfs, n, &x->inuse,
			  &x->n_inuse);
}

static int plan_with_inuse(struct check_ctx *x)
{
	struct plan_input in = {
		.config = x->config,
		.node_name = x->o->node_name,
		.pci = x->pci,
	};
	int r = plan_compute(&in, &x->plan);

	if (r < 0)
		return r;
	r = gather_inuse(x);
	if (r < 0 || x->n_inuse == 0)
		return r;
	plan_free(x->plan);
	x->plan = NULL;
	in.inuse = x->inuse;
	in.n_inuse = x->n_inuse;
	return plan_compute(&in, &x->plan);
}

/* The in-use reason of bdf, NULL when none. */
static const char *inuse_of(const struct check_ctx *x, const char *bdf)
{
	for (size_t i = 0; i < x->n_inuse; i++)
		if (strcmp(x->inuse[i].bdf, bdf) == 0)
			return x->inuse[i].reason;
	return NULL;
}

static int report_status(struct check_ctx *x, const struct plan_status *s)
{
	char hint[256] = "";
	const char *cur = s->current[0] ? s->current : "no driver";
	const char *use = s->pf_claim ? NULL : inuse_of(x, s->bdf);
	int r;

	/* In use but blocked for another reason first (IOMMU off): say both. */
	if (use && strcmp(use, s->reason) != 0) {
		(void)util_fmt(hint, sizeof(hint),
			       "free it first, or force=yes on line %u takes it anyway", s->line);
		r = check_add(x->r, CHECK_FAIL, s->bdf, hint, "in use: %s (line %u)", use, s->line);
		if (r < 0)
			return r;
		hint[0] = '\0';
	}

	if (s->pf_claim && (s->state == PROTO_STATE_CONVERGED || s->state == PROTO_STATE_PENDING))
		return check_add(x->r, CHECK_OK, s->bdf, NULL, "SR-IOV: numvfs=%d (line %u)",
				 s->numvfs, s->line);
	switch (s->state) {
	case PROTO_STATE_CONVERGED:
		return check_add(x->r, CHECK_OK, s->bdf, NULL, "on %s (line %u)", cur, s->line);
	case PROTO_STATE_PENDING:
		return check_add(x->r, CHECK_OK, s->bdf, NULL, "%s -> %s when vfiobindd runs (line %u)",
				 cur, s->desired[0] ? s->desired : "its original driver", s->line);
	case PROTO_STATE_BLOCKED:
		if (use && strcmp(use, s->reason) == 0)
			(void)util_fmt(hint, sizeof(hint),
				       "free it first, or force=yes on line %u takes it anyway",
				       s->line);
		else if (strncmp(s->reason, "group ", 6) == 0)
			(void)util_fmt(hint, sizeof(hint),
				       "claim the whole group (group=all on line %u) or unbind the "
				       "other members from host drivers", s->line);
		break;
	default:
		break;
	}
	return check_add(x->r, CHECK_FAIL, s->bdf, hint, "%s: %s (line %u)",
			 proto_state_name(s->state), s->reason, s->line);
}

/* Lines that apply here but claim nothing: a typo in an id= or ifname=.
 * (A BDF line naming nothing is an `absent` status already.) */
static int report_unmatched(struct check_ctx *x)
{
	for (size_t i = 0; i < x->config->n_entries; i++) {
		const struct cfg_entry *e = &x->config->entries[i];
		char sel[128];
		bool used = false;

		if (!config_node_matches(e, x->o->node_name) || e->sel.kind == CFG_SEL_BDF)
			continue;
		for (size_t k = 0; k < x->plan->n_statuses && !used; k++)
			used = x->plan->statuses[k].line == e->line;
		if (used)
			continue;
		if (config_format_selector(&e->sel, sel, sizeof(sel)) < 0)
			util_strlcpy(sel, "?", sizeof(sel));
		if (check_add(x->r, CHECK_WARN, "config", NULL, "line %u (%s) matches no device",
			      e->line, sel) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int check_devices(struct check_ctx *x)
{
	int r = plan_with_inuse(x);

	if (r < 0)
		return r;
	if (x->plan->n_statuses == 0 &&
	    check_add(x->r, CHECK_OK, "devices", NULL, "no line claims a device on node %s",
		      x->o->node_name) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < x->plan->n_statuses; i++)
		if (report_status(x, &x->plan->statuses[i]) < 0)
			return -ENOMEM;
	return report_unmatched(x);
}

/* --- initramfs ------------------------------------------------------------------ */

/* The initramfs listing and its name for messages: from the test seam, or
 * lsinitramfs (initramfs-tools) on the running kernel's image. 1 and
 * *list, 0 when there is nothing to inspect here, -errno with why. */
static int initramfs_listing(struct check_ctx *x, char *image, size_t size, char **list)
{
	struct utsname u;
	const char *rel = x->o->kernel_release;
	size_t len;
	int r;

	if (x->o->initramfs_list) {
		util_strlcpy(image, x->o->initramfs_list, size);
		r = fileio_read_file(x->o->initramfs_list, CHECK_LIST_MAX, list, &len);
		return r < 0 ? r : 1;
	}
	if (!x->real)
		return 0;
	if (!rel && uname(&u) == 0)
		rel = u.release;
	if (!rel || util_fmt(image, size, "/boot/initrd.img-%s", rel) < 0 ||
	    access(image, R_OK) < 0)
		return -ENOENT;
	{
		char *argv[] = { (char *)"lsinitramfs", image, NULL };

		r = runprog_capture(argv, CHECK_LIST_MAX, CHECK_LIST_TIMEOUT_MS, list);
	}
	return r < 0 ? r : 1;
}

/* The module behind a driver: ROOT/bus/pci/drivers/NAME/module -> .../MODULE;
 * the driver's own name when the link is missing (built in, or a fake tree). */
static void driver_module(const struct check_ctx *x, const char *driver, char *buf, size_t size)
{
	char path[PATH_MAX];

	if (util_fmt(path, sizeof(path), "%s/bus/pci/drivers/%s/module", x->o->sysfs_root,
		     driver) < 0 ||
	    fileio_read_link_base(path, buf, size) < 0)
		util_strlcpy(buf, driver, size);
}

/* Is MODULE.ko (or .ko.xz, .ko.zst...) in the listing? Module file names use
 * '-' and '_' interchangeably. */
static bool listing_has(const char *list, const char *module)
{
	size_t ml = strlen(module);

	for (const char *l = list; *l;) {
		const char *end = strchrnul(l, '\n'), *base = l;

		for (const char *p = l; p < end; p++)
			if (*p == '/')
				base = p + 1;
		if ((size_t)(end - base) > ml + 3 && strncmp(base + ml, ".ko", 3) == 0) {
			size_t i = 0;

			for (; i < ml; i++) {
				char a = base[i] == '-' ? '_' : base[i];
				char b = module[i] == '-' ? '_' : module[i];

				if (a != b)
					break;
			}
			if (i == ml)
				return true;
		}
		l = *end ? end + 1 : end;
	}
	return false;
}

static const char *listing_error(int r)
{
	switch (r) {
	case -EFBIG:
		return "its listing is longer than 64 MiB";
	case -ETIMEDOUT:
		return "lsinitramfs did not finish within 120 s";
	case -ECHILD:
		return "lsinitramfs failed";
	default:
		return strerror(-r);
	}
}

static int check_initramfs(struct check_ctx *x)
{
	_cleanup_free_ char *list = NULL;
	char image[PATH_MAX];
	unsigned found = 0;
	int r = initramfs_listing(x, image, sizeof(image), &list);

	if (r == 0)
		return 0;
	if (r < 0)
		return check_add(x->r, CHECK_WARN, "initramfs", NULL,
				 "cannot inspect initramfs (%s%s%s)", image[0] ? image : "",
				 image[0] ? ": " : "", listing_error(r));
	for (size_t i = 0; i < x->plan->n_statuses; i++) {
		const struct plan_status *s = &x->plan->statuses[i];
		char module[PCI_DRIVER_MAX], hint[256];

		if (s->pf_claim || !s->current[0] || !s->desired[0] ||
		    strcmp(s->current, s->desired) == 0 || strcmp(s->current, "vfio-pci") == 0)
			continue;
		driver_module(x, s->current, module, sizeof(module));
		if (!listing_has(list, module))
			continue;
		found++;
		(void)util_fmt(hint, sizeof(hint),
			       "add rd.driver.blacklist=%s to the kernel command line", module);
		if (check_add(x->r, CHECK_WARN, s->bdf, hint,
			      "%s is in the initramfs (%s): it takes the device at boot, before "
			      "vfiobindd", module, image) < 0)
			return -ENOMEM;
	}
	if (found)
		return 0;
	return check_add(x->r, CHECK_OK, "initramfs", NULL,
			 "no claimed device's driver in %s", image);
}

/* --- all -------------------------------------------------------------------------- */

int check_run(const struct check_opts *o, struct check_report *r)
{
	struct check_ctx x = { .o = o, .r = r };
	int rc;

	memset(r, 0, sizeof(*r));
	x.real = inuse_is_real_sysfs(o->sysfs_root);
	rc = check_config(&x);
	if (rc < 0)
		goto out;
	rc = pci_scan(o->sysfs_root, &x.pci);
	if (rc < 0) {
		rc = check_add(r, CHECK_FAIL, "pci", NULL, "cannot read %s/bus/pci/devices: %s",
			       o->sysfs_root, strerror(-rc));
		goto out;
	}
	rc = check_iommu(&x);
	if (rc == 0)
		rc = check_module(&x, "vfio", "vfio");
	if (rc == 0)
		rc = check_module(&x, "vfio-pci", "vfio_pci");
	if (rc == 0 && x.config)
		rc = check_devices(&x);
	if (rc == 0 && x.plan)
		rc = check_initramfs(&x);
out:
	config_free(x.config);
	pci_state_free(x.pci);
	plan_free(x.plan);
	free(x.inuse);
	if (rc < 0)
		check_report_clear(r);
	return rc < 0 ? rc : 0;
}
