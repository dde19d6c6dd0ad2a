/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakesys-store.c: the fake kernel's memory, kept in ROOT/.fakesys so that
 * another process (the daemon built with tests/daemon/fake-backend.c) shares
 * it: saving and reloading the model, the lock around every entry point
 * (fk_begin()/fk_end()), and fakesys_attach(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdf.h"
#include "fakesys-private.h"
#include "util.h"
#include "fileio.h"

/* ---- the model, kept in the tree for other processes ----
 *
 * ROOT/.fakesys holds what the tree cannot say (struct fdev, the loadable
 * modules, new_id IDs, armed faults), one record a line, "-" for an empty
 * word. Every entry point runs between fk_begin() and fk_end(): the first
 * takes ROOT/.fakesys.lock and reloads the file when another process replaced
 * it since we last saw it, the second saves the model (write + rename, so a
 * reader never sees half a file) when this call changed it. So the test
 * process and a daemon attached to the same tree share one fake kernel. */

#define FK_STATE ".fakesys"
#define FK_LOCK ".fakesys.lock"

static const char *fk_word(const char *s)
{
	return *s ? s : "-";
}

static void fk_unword(char *s)
{
	if (strcmp(s, "-") == 0)
		*s = '\0';
}

static bool fk_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void fk_save_records(const struct fakesys *fs, FILE *f)
{
	fprintf(f, "# fake kernel model (tests/lib/fakesys.c)\niommu %d\nnext_group %d\n",
		fs->iommu_on, fs->next_group);
	for (size_t i = 0; i < fs->ndevs; i++) {
		const struct fdev *d = &fs->devs[i];

		fprintf(f, "dev %s %04x %04x %06x %s %s %04x %d %d %d %d %d %s\n", d->bdf,
			d->vendor, d->device, d->class_code, fk_word(d->native),
			fk_word(d->vf_driver), d->vf_device, d->totalvfs, d->numvfs, d->autoprobe,
			d->group, d->numa_node, fk_word(d->physfn));
	}
	for (size_t i = 0; i < fs->nmods; i++)
		fprintf(f, "mod %s %s\n", fs->mods[i].name, fk_word(fs->mods[i].alias));
	for (size_t i = 0; i < fs->nids; i++)
		fprintf(f, "id %s %04x %04x\n", fs->ids[i].driver, fs->ids[i].vendor,
			fs->ids[i].device);
	for (size_t i = 0; i < fs->nfaults; i++)
		fprintf(f, "fault %d %s %d %d\n", (int)fs->faults[i].kind,
			fk_word(fs->faults[i].bdf), fs->faults[i].err, fs->faults[i].count);
}

int fk_save(struct fakesys *fs)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int r;

	if ((r = fk_path(fs, tmp, FK_STATE ".%d", (int)getpid())) < 0 ||
	    (r = fk_path(fs, path, FK_STATE)) < 0)
		return r;
	if (!(f = fopen(tmp, "we")))
		return -errno;
	fk_save_records(fs, f);
	r = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	fs->dirty = false;
	return stat(path, &fs->seen) < 0 ? -errno : 0;
}

static int fk_load_dev(struct fakesys *fs, const char *line)
{
	struct fdev d = { 0 };
	unsigned vendor, device, vf_device;

	if (sscanf(line, "dev %15s %x %x %x %63s %63s %x %d %d %d %d %d %15s", d.bdf, &vendor,
		   &device, &d.class_code, d.native, d.vf_driver, &vf_device, &d.totalvfs,
		   &d.numvfs, &d.autoprobe, &d.group, &d.numa_node, d.physfn) != 13 ||
	    bdf_parse_full(d.bdf, &d.addr) < 0)
		return -EINVAL;
	d.vendor = (uint16_t)vendor;
	d.device = (uint16_t)device;
	d.vf_device = (uint16_t)vf_device;
	fk_unword(d.native);
	fk_unword(d.vf_driver);
	fk_unword(d.physfn);
	if (fs->ndevs == fs->capdevs) {
		size_t cap = fs->capdevs ? fs->capdevs * 2 : 64;
		struct fdev *n = realloc(fs->devs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fs->devs = n;
		fs->capdevs = cap;
	}
	fs->devs[fs->ndevs++] = d;
	return 0;
}

static int fk_load_line(struct fakesys *fs, const char *line)
{
	int n, kind;

	if (!*line || *line == '#')
		return 0;
	if (sscanf(line, "iommu %d", &n) == 1) {
		fs->iommu_on = n != 0;
		return 0;
	}
	if (sscanf(line, "next_group %d", &fs->next_group) == 1)
		return 0;
	if (strncmp(line, "dev ", 4) == 0)
		return fk_load_dev(fs, line);
	if (strncmp(line, "mod ", 4) == 0) {
		struct fmodule *m = realloc(fs->mods, (fs->nmods + 1) * sizeof(*m));

		if (!m)
			return -ENOMEM;
		fs->mods = m;
		m = &fs->mods[fs->nmods];
		if (sscanf(line, "mod %63s %255s", m->name, m->alias) != 2)
			return -EINVAL;
		fk_unword(m->alias);
		fs->nmods++;
		return 0;
	}
	if (strncmp(line, "id ", 3) == 0) {
		unsigned v, d;

		if (fs->nids == FK_MAX_IDS ||
		    sscanf(line, "id %63s %x %x", fs->ids[fs->nids].driver, &v, &d) != 3)
			return -EINVAL;
		fs->ids[fs->nids].vendor = (uint16_t)v;
		fs->ids[fs->nids++].device = (uint16_t)d;
		return 0;
	}
	if (strncmp(line, "fault ", 6) == 0) {
		struct ffault *f = &fs->faults[fs->nfaults];

		if (fs->nfaults == FK_MAX_FAULTS ||
		    sscanf(line, "fault %d %15s %d %d", &kind, f->bdf, &f->err, &f->count) != 4)
			return -EINVAL;
		f->kind = (enum fakesys_fault)kind;
		fk_unword(f->bdf);
		fs->nfaults++;
		return 0;
	}
	return -EINVAL;
}

/* Replace the model with the file's. */
static int fk_load(struct fakesys *fs, const char *path)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	if ((r = fileio_read_file(path, 64 << 20, &text, NULL)) < 0)
		return r;
	fs->ndevs = fs->nmods = fs->nids = fs->nfaults = 0;
	fs->next_group = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((r = fk_load_line(fs, line)) < 0)
			return r;
	return 0;
}

/* Reload when another process saved a newer model. */
static int fk_sync(struct fakesys *fs)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if ((r = fk_path(fs, path, FK_STATE)) < 0)
		return r;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fk_same_file(&st, &fs->seen))
		return 0;
	if ((r = fk_load(fs, path)) < 0)
		return r;
	fs->seen = st;
	return 0;
}

void fk_begin(struct fakesys *fs)
{
	pthread_mutex_lock(&fs->mu);
	if (fs->depth++ > 0)
		return;
	if (fs->lock_fd >= 0)
		flock(fs->lock_fd, LOCK_EX);
	if (fk_sync(fs) < 0)
		fprintf(stderr, "fakesys: cannot reload %s/" FK_STATE "\n", fs->root);
}

/* End an entry point that returned r; a failed save fails the call. */
int fk_end(struct fakesys *fs, int r)
{
	if (--fs->depth == 0) {
		int s = fs->dirty ? fk_save(fs) : 0;

		if (r == 0)
			r = s;
		if (fs->lock_fd >= 0)
			flock(fs->lock_fd, LOCK_UN);
	}
	pthread_mutex_unlock(&fs->mu);
	return r;
}

/* A zeroed model with its recursive mutex (the daemon's worker threads
 * write concurrently) and no lock file yet. */
struct fakesys *fk_alloc(void)
{
	struct fakesys *fs = calloc(1, sizeof(*fs));
	pthread_mutexattr_t a;

	if (!fs)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&fs->mu, &a);
	pthread_mutexattr_destroy(&a);
	fs->lock_fd = -1;
	fs->iommu_on = true;
	return fs;
}

int fk_open_lock(struct fakesys *fs)
{
	char p[PATH_MAX];
	int r;

	if ((r = fk_path(fs, p, FK_LOCK)) < 0)
		return r;
	fs->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	return fs->lock_fd < 0 ? -errno : 0;
}

/* ---- attaching another process ---- */

struct fakesys *fakesys_attach(const char *root)
{
	struct fakesys *fs;
	char p[PATH_MAX];
	int r;

	if (!root || !*root || strlen(root) >= sizeof(fs->root)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(fs = fk_alloc()))
		return NULL;
	fs->attached = true;
	util_strlcpy(fs->root, root, sizeof(fs->root));
	fs->rootlen = strlen(fs->root);
	/* only a tree fakesys_new() made has the model: never the real /sys */
	if ((r = fk_path(fs, p, FK_STATE)) < 0 || (r = access(p, R_OK) < 0 ? -errno : 0) < 0 ||
	    (r = fk_open_lock(fs)) < 0) {
		fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	fk_begin(fs);
	if ((r = fk_end(fs, fk_sync(fs))) < 0) {
		fakesys_free(fs);
		errno = -r;
		return NULL;
	}
	return fs;
}
