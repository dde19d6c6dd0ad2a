/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakesys-private.h: what the parts of the fake sysfs share and nothing
 * outside tests/lib/fakesys*.c may use: the model (struct fakesys, and what
 * the tree cannot say in struct fdev), the tree's path, file and link helpers
 * (fakesys.c), and fk_begin()/fk_end() around every entry point that uses the
 * model (fakesys-store.c). The public interface is fakesys.h. */
#pragma once

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bdf.h"
#include "fakesys.h"
#include "util.h"

#define FK_NAME_MAX 64
#define FK_MAX_FAULTS 16
#define FK_MAX_IDS 64

struct fdev {
	char bdf[BDF_BUFSZ];
	struct pci_addr addr;
	uint16_t vendor, device;
	uint32_t class_code;
	char native[FK_NAME_MAX];	/* what probing picks without override */
	char vf_driver[FK_NAME_MAX];	/* native driver of the VFs it creates */
	uint16_t vf_device;
	int totalvfs, numvfs, autoprobe;
	int group;			/* -1 none */
	int numa_node;
	char physfn[BDF_BUFSZ];		/* "" unless a VF */
};

struct fmodule {
	char name[FK_NAME_MAX];
	char alias[256];		/* fnmatch pattern, "" none */
};

struct ffault {
	enum fakesys_fault kind;
	char bdf[BDF_BUFSZ];		/* "" any */
	int err;
	int count;			/* < 0 forever */
};

struct fnewid {
	char driver[FK_NAME_MAX];
	uint16_t vendor, device;
};

struct fakesys {
	char root[PATH_MAX];
	size_t rootlen;
	struct fdev *devs;
	size_t ndevs, capdevs;
	struct fmodule *mods;
	size_t nmods;
	struct ffault faults[FK_MAX_FAULTS];
	size_t nfaults;
	struct fnewid ids[FK_MAX_IDS];
	size_t nids;
	int next_group;
	bool iommu_on;
	unsigned writes, new_id_writes;	/* this process's, not kept in the tree */
	/* The model is kept in ROOT/.fakesys so another process (the daemon
	 * built with tests/daemon/fake-backend.c) can attach to the same fake
	 * kernel; see fk_begin(). */
	bool attached;			/* fakesys_attach(): free keeps the tree */
	bool dirty;			/* model changed since last saved */
	unsigned depth;			/* nesting of fk_begin() */
	int lock_fd;			/* ROOT/.fakesys.lock, flock'd while in use */
	struct stat seen;		/* ROOT/.fakesys as last loaded or saved */
	pthread_mutex_t mu;		/* recursive: daemon worker threads */
};

/* ---- the tree (fakesys.c) ---- */

/* ROOT/ + the formatted relative path into buf (PATH_MAX). */
int fk_path(const struct fakesys *fs, char *buf, const char *fmt, ...) _printf_(3, 4);
int fk_put(const char *path, const char *buf, size_t len);
int fk_putf(const char *path, const char *fmt, ...) _printf_(2, 3);
struct fdev *fk_find(const struct fakesys *fs, const char *bdf);
bool fk_registered(const struct fakesys *fs, const char *driver);
void fk_cur_driver(const struct fakesys *fs, const char *bdf, char *buf, size_t size);
int fk_link_driver(struct fakesys *fs, const struct fdev *d, const char *driver);
void fk_unlink_driver(struct fakesys *fs, const char *bdf, const char *driver);
/* A zeroed device at the end of the model (which may move: re-find others). */
struct fdev *fk_append(struct fakesys *fs);
int fk_create(struct fakesys *fs, struct fdev *d, const struct fakesys_dev *spec);
void fk_remove_vfs(struct fakesys *fs, struct fdev *pf);

/* ---- the model in ROOT/.fakesys (fakesys-store.c) ---- */

/* A zeroed model with its recursive mutex and no lock file yet. */
struct fakesys *fk_alloc(void);
/* Open ROOT/.fakesys.lock. */
int fk_open_lock(struct fakesys *fs);
/* Write the model to ROOT/.fakesys. */
int fk_save(struct fakesys *fs);
/* Around every entry point: take the lock and reload a model another
 * process saved; then save this call's changes and return r (or the failed
 * save's error). */
void fk_begin(struct fakesys *fs);
int fk_end(struct fakesys *fs, int r);
