/* SPDX-License-Identifier: GPL-2.0-or-later */
/* export.c: the metrics and NFD files (see export.h). The engine says when
 * (its report deadline, one of its deadlines: no timer here); this file
 * gathers the figures, asks the pure formatters for the text and writes it.
 *
 * A file is written to ".NAME.tmp" in its own directory, then renamed over
 * NAME: node_exporter reads only *.prom and nfd-worker skips dot files, so
 * neither ever reads half a file. No fsync: readers see whole files through
 * the rename, and after a crash the daemon writes the files again at its
 * first pass; a flush every second would only wear the disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "export.h"
#include "log.h"
#include "metrics.h"
#include "nfd.h"
#include "util.h"

#define VFIO_PCI CFG_DEFAULT_DRIVER

/* One file and what was last said of it, so a failure is logged once, not
 * every second, and its end is logged too. */
struct export_file {
	const char *path;
	int last_err;
};

struct export {
	struct engine *e;
	struct export_file metrics, nfd;
	int resync_s;
};

int export_housekeeping_s(int resync_s)
{
	return resync_s > 0 ? resync_s : EXPORT_HOUSEKEEPING_S;
}

/* Three housekeeping periods, and never less than three minutes: a restart
 * of the daemon (an upgrade) must not take the labels away. */
long long export_nfd_expiry_s(int resync_s)
{
	int h = export_housekeeping_s(resync_s);

	return 3LL * (h < 60 ? 60 : h);
}

/* A file name its reader skips is a mistake to say at start, not a file
 * that is written and never read (ours are the temporary names). */
const char *export_path_invalid(const char *path, bool prom)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	if (prom && (n <= 5 || base[0] == '.' || strcmp(base + n - 5, ".prom") != 0))
		return "node_exporter reads only files named *.prom, not dot files";
	if (!*base || base[0] == '.')
		return "nfd-worker skips files whose name starts with a dot";
	return NULL;
}

/* ---- writing ------------------------------------------------------------ */

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write text whole at path through ".NAME.tmp" beside it. 0 or -errno. */
static int write_replace(const char *path, const char *text)
{
	const char *slash = strrchr(path, '/');
	char tmp[4096];
	int fd, r;

	if (util_fmt(tmp, sizeof(tmp), "%.*s.%s.tmp", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static void put(struct export_file *f, const char *text, int r)
{
	if (r == 0 && text)
		r = write_replace(f->path, text);
	if (r < 0 && r != f->last_err)
		log_errno(LOG_LVL_WARNING, r, "%s: not written (tried again after every pass)",
			  f->path);
	else if (r == 0 && f->last_err)
		log_info("%s: written again", f->path);
	f->last_err = r;
}

/* ---- the figures -------------------------------------------------------- */

static unsigned long count_vfio(const struct pci_state *pci)
{
	unsigned long n = 0;

	for (size_t i = 0; pci && i < pci->n; i++)
		n += strcmp(pci->devs[i].driver, VFIO_PCI) == 0;
	return n;
}

int export_metrics_text(const struct engine *e, char **out)
{
	const struct engine_counters *k = engine_counters(e);
	_cleanup_free_ struct metrics_device *devs = NULL;
	struct metrics_input m;
	struct health_input in;
	struct health h;
	size_t n = 0;

	engine_health_input(e, &in);
	health_compute(&in, &h);
	if (in.plan && in.plan->n_statuses) {
		devs = calloc(in.plan->n_statuses, sizeof(*devs));
		if (!devs)
			return -ENOMEM;
	}
	for (size_t i = 0; devs && i < in.plan->n_statuses; i++) {
		const struct plan_status *st = &in.plan->statuses[i];
		const struct devtab_entry *d = engine_dev_info(e, st->bdf);

		devs[n++] = (struct metrics_device){ st->bdf, health_view(&in, st).state, st->current,
						     st->desired, d ? d->failures : 0, st->pf_claim };
	}
	m = (struct metrics_input){
		.version = PACKAGE_VERSION, .health = &h, .devs = devs, .n_devs = n,
		.passes = k->passes, .reloads = k->reloads, .reload_errors = k->reload_errors,
		.config_valid = in.config == HEALTH_CONFIG_OK,
		.config_loaded_ms = engine_config_loaded_ms(e),
		.last_pass_ms = engine_last_pass_ms(e),
		.resync_s = engine_options(e)->resync_s,
		.iommu_on = in.pci && in.pci->iommu_on,
		.managed = engine_managed(e)->n_devs,
		.vfio_pci = count_vfio(in.pci),
	};
	memcpy(m.actions_ok, k->actions_ok, sizeof(m.actions_ok));
	memcpy(m.actions_failed, k->actions_failed, sizeof(m.actions_failed));
	return metrics_format(&m, out);
}

static int id_cmp(const void *a, const void *b)
{
	const struct nfd_id_count *x = a, *y = b;

	if (x->vendor != y->vendor)
		return x->vendor < y->vendor ? -1 : 1;
	return x->device < y->device ? -1 : x->device > y->device;
}

/* The functions on vfio-pci, counted by vendor:device (sorted). */
static int count_ids(const struct pci_state *pci, struct nfd_id_count **out, size_t *n_out)
{
	struct nfd_id_count *v = NULL;
	size_t n = 0, m = 0;

	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; pci && i < pci->n; i++) {
		const struct pci_dev *d = &pci->devs[i];

		if (strcmp(d->driver, VFIO_PCI) != 0)
			continue;
		if (!v && !(v = calloc(pci->n, sizeof(*v))))
			return -ENOMEM;
		v[n++] = (struct nfd_id_count){ d->vendor, d->device, 1 };
	}
	if (n)
		qsort(v, n, sizeof(*v), id_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && v[m - 1].vendor == v[i].vendor && v[m - 1].device == v[i].device)
			v[m - 1].n++;
		else
			v[m++] = v[i];
	}
	*out = v;
	*n_out = m;
	return 0;
}

static int nfd_text(const struct export *x, char **out)
{
	const struct engine *e = x->e;
	_cleanup_free_ struct nfd_id_count *ids = NULL;
	struct nfd_input in;
	struct health h;
	size_t n_ids;
	int r;

	engine_health(e, NULL, 0, &h);
	r = count_ids(engine_pci(e), &ids, &n_ids);
	if (r < 0)
		return r;
	in = (struct nfd_input){
		.health = h.word, .vfio_pci = count_vfio(engine_pci(e)), .ids = ids, .n_ids = n_ids,
		.expiry_s = engine_epoch_ms(e, engine_now(e)) / 1000 +
			    export_nfd_expiry_s(x->resync_s),
	};
	return nfd_format(&in, out);
}

/* ---- the engine's report ------------------------------------------------ */

static void on_report(void *ud)
{
	struct export *x = ud;
	char *text = NULL;
	int r;

	if (x->metrics.path) {
		r = export_metrics_text(x->e, &text);
		put(&x->metrics, text, r);
		free(text);
		text = NULL;
	}
	if (x->nfd.path) {
		r = nfd_text(x, &text);
		put(&x->nfd, text, r);
		free(text);
	}
}

struct export *export_new(struct engine *e, const struct export_opts *o)
{
	struct export *x;
	int h = export_housekeeping_s(o->resync_s), refresh_s = 0;

	if (!o->metrics_path && !o->nfd_path)
		return NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->e = e;
	x->metrics.path = o->metrics_path;
	x->nfd.path = o->nfd_path;
	x->resync_s = o->resync_s;
	/* The resync's pass already reports every period: the refresh only
	 * comes after it would have, so it costs no wakeup of its own while
	 * the resync runs (and is the housekeeping tick when it is off). */
	if (o->nfd_path)
		refresh_s = o->resync_s > 0 ? h + h / 2 : h;
	engine_set_report_cb(e, on_report, x, EXPORT_MIN_INTERVAL_MS, refresh_s * 1000);
	return x;
}

void export_free(struct export *x)
{
	if (!x)
		return;
	engine_set_report_cb(x->e, NULL, NULL, 0, 0);
	free(x);
}
