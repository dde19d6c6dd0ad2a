/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fakeproc.c: a fake /proc tree (see fakeproc.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fakeproc.h"
#include "util.h"

struct fakeproc {
	char root[64];
};

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path)
{
	char tmp[PATH_MAX];

	util_strlcpy(tmp, path, sizeof(tmp));
	for (char *s = strchr(tmp + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f;
	int r = make_parents(path);

	if (r < 0)
		return r;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

struct fakeproc *fakeproc_new(void)
{
	struct fakeproc *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return NULL;
	snprintf(fp->root, sizeof(fp->root), "/tmp/vb-proc-XXXXXX");
	/* 0755: a test may look at it as another user. */
	if (!mkdtemp(fp->root) || chmod(fp->root, 0755) < 0) {
		free(fp);
		return NULL;
	}
	return fp;
}

void fakeproc_free(struct fakeproc *fp)
{
	char cmd[256];

	if (!fp)
		return;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' && rm -rf '%s'", fp->root, fp->root);
	if (system(cmd) != 0)
		fprintf(stderr, "fakeproc: could not remove %s\n", fp->root);
	free(fp);
}

const char *fakeproc_root(const struct fakeproc *fp)
{
	return fp->root;
}

int fakeproc_put(struct fakeproc *fp, const char *rel, const char *text)
{
	char p[PATH_MAX];
	int r = util_fmt(p, sizeof(p), "%s/%s", fp->root, rel);

	return r < 0 ? r : write_text(p, text);
}

int fakeproc_add_process(struct fakeproc *fp, int pid, const char *comm, unsigned uid,
			 unsigned long long start, unsigned long flags)
{
	char p[PATH_MAX], text[512];
	int r;

	if ((r = util_fmt(p, sizeof(p), "%s/%d/comm", fp->root, pid)) < 0 ||
	    (r = util_fmt(text, sizeof(text), "%s\n", comm)) < 0 || (r = write_text(p, text)) < 0 ||
	    (r = util_fmt(p, sizeof(p), "%s/%d/status", fp->root, pid)) < 0 ||
	    (r = util_fmt(text, sizeof(text), "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n",
			  comm, uid, uid, uid, uid, uid, uid, uid, uid)) < 0 ||
	    (r = write_text(p, text)) < 0 ||
	    (r = util_fmt(p, sizeof(p), "%s/%d/stat", fp->root, pid)) < 0 ||
	    (r = util_fmt(text, sizeof(text),
			  "%d (%s) S 1 %d %d 0 -1 %lu 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid,
			  comm, pid, pid, flags, start)) < 0 ||
	    (r = write_text(p, text)) < 0 ||
	    (r = util_fmt(p, sizeof(p), "%s/%d/fd", fp->root, pid)) < 0)
		return r;
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((r = util_fmt(p, sizeof(p), "%s/%d/fdinfo", fp->root, pid)) < 0)
		return r;
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int fakeproc_remove_process(struct fakeproc *fp, int pid)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s/%d' && rm -rf '%s/%d'", fp->root, pid,
		 fp->root, pid);
	return system(cmd) == 0 ? 0 : -EIO;
}

int fakeproc_add_fd(struct fakeproc *fp, int pid, int fd, const char *target,
		    const char *fdinfo)
{
	char p[PATH_MAX];
	int r;

	if ((r = util_fmt(p, sizeof(p), "%s/%d/fd/%d", fp->root, pid, fd)) < 0)
		return r;
	unlink(p);
	if (symlink(target, p) < 0)
		return -errno;
	if ((r = util_fmt(p, sizeof(p), "%s/%d/fdinfo/%d", fp->root, pid, fd)) < 0)
		return r;
	/* O_RDWR | O_LARGEFILE | O_CLOEXEC, as QEMU opens a VFIO group. */
	return write_text(p, fdinfo ? fdinfo : "pos:\t0\nflags:\t02100002\nmnt_id:\t1\n");
}

int fakeproc_remove_fd(struct fakeproc *fp, int pid, int fd)
{
	char p[PATH_MAX];
	int r;

	if ((r = util_fmt(p, sizeof(p), "%s/%d/fd/%d", fp->root, pid, fd)) < 0)
		return r;
	return unlink(p) < 0 ? -errno : 0;
}

int fakeproc_deny_fds(struct fakeproc *fp, int pid)
{
	char p[PATH_MAX];
	int r;

	if ((r = util_fmt(p, sizeof(p), "%s/%d/fd", fp->root, pid)) < 0)
		return r;
	return chmod(p, 0) < 0 ? -errno : 0;
}

int fakeproc_set_self(struct fakeproc *fp, int pid)
{
	char p[PATH_MAX], target[32];
	int r;

	if ((r = util_fmt(p, sizeof(p), "%s/self", fp->root)) < 0)
		return r;
	snprintf(target, sizeof(target), "%d", pid);
	return symlink(target, p) < 0 ? -errno : 0;
}

bool fakeproc_majmin(const char *node, char *buf, unsigned size)
{
	struct stat st;

	if (stat(node, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	return util_fmt(buf, size, "%u:%u", major(st.st_rdev), minor(st.st_rdev)) == 0;
}
