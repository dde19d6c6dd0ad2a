/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rundir.c: the run directory's safety and the locks (see rundir.h for the
 * rules and why). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "rundir.h"
#include "util.h"

#define RUNDIR_MAX_LINKS 16

bool rundir_is_kernel_sysfs(const char *sysfs_root)
{
	char real[PATH_MAX];
	struct statfs sf;

	if (statfs(sysfs_root, &sf) == 0 && sf.f_type == SYSFS_MAGIC)
		return true;
	/* /sys itself, even where sysfs is not mounted (yet): the real one. */
	return realpath(sysfs_root, real) && strcmp(real, "/sys") == 0;
}

int rundir_default(const char *sysfs_root, char *buf, size_t size)
{
	char real[PATH_MAX];

	if (rundir_is_kernel_sysfs(sysfs_root))
		return util_fmt(buf, size, "%s", RUNDIR_KERNEL);
	if (!realpath(sysfs_root, real))
		return -errno;
	return util_fmt(buf, size, "%s/%s", real, RUNDIR_TREE);
}

/* ---- judging the way --------------------------------------------------- */

static bool ours(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* One directory of the walk; last: the run directory itself. */
static int judge(const char *where, const struct stat *st, bool last)
{
	mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);

	if (!S_ISDIR(st->st_mode)) {
		log_error("%s: not a directory", where);
		return -ENOTDIR;
	}
	if (!ours(st->st_uid)) {
		log_error("%s: owned by uid %u: a run directory and every directory above it "
			  "must be owned by root", where, (unsigned)st->st_uid);
		return -EPERM;
	}
	if (w && (last || !(st->st_mode & S_ISVTX))) {
		log_error("%s: writable by %s (mode %04o): %s", where,
			  w == S_IWGRP ? "its group" : w == S_IWOTH ? "others" : "group and others",
			  (unsigned)(st->st_mode & 07777),
			  last ? "a run directory must be writable by its owner alone, sticky bit or "
				 "not (chmod go-w, or choose another --run-dir)"
			       : "a directory above a run directory must be writable by its owner "
				 "alone, or sticky");
		return -EPERM;
	}
	return 0;
}

struct walk {
	char where[PATH_MAX];	/* the path walked so far, for messages */
	int links;
};

/* Is there a component left in s (not counting slashes and "."s)? */
static bool more(const char *s)
{
	while (s && *s) {
		if (*s == '/' || (s[0] == '.' && (s[1] == '/' || s[1] == '\0')))
			s++;
		else
			return true;
	}
	return false;
}

static void where_add(struct walk *w, const char *name)
{
	size_t n = strlen(w->where);

	snprintf(w->where + n, sizeof(w->where) - n, "%s%s", n && w->where[n - 1] == '/' ? "" : "/",
		 name);
}

static void where_up(struct walk *w)
{
	char *slash = strrchr(w->where, '/');

	if (slash)
		slash[slash == w->where ? 1 : 0] = '\0';
}

static int walk(struct walk *w, int at, const char *path, bool strict);

/* A symlink on the way: only one of ours is followed (another user's could
 * be pointed anywhere), and what it points at is judged like the rest. */
static int follow(struct walk *w, int at, const char *name, const struct stat *st, bool strict)
{
	char target[PATH_MAX];
	ssize_t n;

	if (!ours(st->st_uid)) {
		log_error("%s: a symlink owned by uid %u: not followed", w->where,
			  (unsigned)st->st_uid);
		return -EPERM;
	}
	if (++w->links > RUNDIR_MAX_LINKS)
		return log_errno(LOG_LVL_ERROR, ELOOP, "%s", w->where);
	n = readlinkat(at, name, target, sizeof(target) - 1);
	if (n < 0)
		return log_errno(LOG_LVL_ERROR, errno, "%s", w->where);
	target[n] = '\0';
	where_up(w);
	return walk(w, at, target, strict);
}

/* Walk path from the directory fd at ("/" for an absolute path) one name at
 * a time, never letting the kernel follow a link, judging each directory
 * (the last one as a run directory when strict). An O_PATH fd of the last. */
static int walk(struct walk *w, int at, const char *path, bool strict)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *p, *next;
	int r;

	if (!copy)
		return -ENOMEM;
	if (path[0] == '/') {
		util_strlcpy(w->where, "/", sizeof(w->where));
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return log_errno(LOG_LVL_ERROR, errno, "/");
		r = judge("/", &st, strict && !more(path));
		if (r < 0)
			return r;
	} else {
		fd = openat(at, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return log_errno(LOG_LVL_ERROR, errno, "%s", w->where);
	}
	for (p = copy; p; p = next) {
		bool last;
		int nfd;

		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		if (!*p || strcmp(p, ".") == 0)
			continue;
		last = !more(next);
		where_add(w, p);
		if (fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return log_errno(LOG_LVL_ERROR, errno, "%s", w->where);
		if (S_ISLNK(st.st_mode)) {
			nfd = follow(w, fd, p, &st, strict && last);
			if (nfd < 0)
				return nfd;
		} else {
			nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0)
				return log_errno(LOG_LVL_ERROR, errno, "%s", w->where);
			/* judge what was opened, not what was there a moment ago */
			r = fstat(nfd, &st) < 0 ? -errno : judge(w->where, &st, strict && last);
			if (r < 0) {
				close(nfd);
				return r;
			}
		}
		close(fd);
		fd = nfd;
	}
	r = fd;
	fd = -1;
	return r;
}

int rundir_open(const char *dir, char *real)
{
	_cleanup_close_ int opath = -1;
	_cleanup_free_ char *abs = NULL;
	struct walk w = { .links = 0 };
	char cwd[PATH_MAX];
	int fd;

	if (dir[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return log_errno(LOG_LVL_ERROR, errno, "%s", dir);
		if (asprintf(&abs, "%s/%s", cwd, dir) < 0) {
			abs = NULL;
			return -ENOMEM;
		}
	}
	opath = walk(&w, AT_FDCWD, abs ? abs : dir, true);
	if (opath < 0)
		return opath;
	fd = openat(opath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, errno, "%s", dir);
	/* Every directory on the way is safe now: the real path stays true. */
	if (real && !realpath(abs ? abs : dir, real)) {
		close(fd);
		return log_errno(LOG_LVL_ERROR, errno, "%s", dir);
	}
	return fd;
}

/* ---- the locks ------------------------------------------------------------ */

struct holder {
	long pid;		/* 0: not known (it has not written it yet) */
	char role[16];		/* "daemon" or "once" */
	char pid_text[32];
};

static const char *role_name(enum rundir_role role)
{
	return role == RUNDIR_ONCE ? "once" : "daemon";
}

static void holder_read(int fd, struct holder *h)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	memset(h, 0, sizeof(*h));
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%ld %15s", &h->pid, h->role) < 1)
			h->pid = 0;
	}
	if (h->pid > 0)
		snprintf(h->pid_text, sizeof(h->pid_text), "pid %ld", h->pid);
	else
		util_strlcpy(h->pid_text, "pid unknown", sizeof(h->pid_text));
}

static void holder_write(int fd, enum rundir_role role)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld %s\n", (long)getpid(), role_name(role));

	/* Only words for a refused peer's message: a read-only lock says less. */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_debug("lock file: holder not recorded: %m");
}

/* Take DIR/vfiobindd.lock (dfd open on DIR). The fd; -EBUSY when another
 * holds it (who in *h); else -errno, logged. */
static int lock_in(int dfd, const char *dir, enum rundir_role role, struct holder *h)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* Looked at first: opening a device node can by itself do something. */
	if (fstatat(dfd, RUNDIR_LOCK, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		log_error("%s/%s: %s, not a lock file", dir, RUNDIR_LOCK, fileio_type_name(st.st_mode));
		return -EPERM;
	}
	fd = openat(dfd, RUNDIR_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EROFS)	/* an existing lock on a read-only /run still excludes */
		fd = openat(dfd, RUNDIR_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return log_errno(LOG_LVL_ERROR, errno, "%s/%s", dir, RUNDIR_LOCK);
	if (fstat(fd, &st) < 0)
		return log_errno(LOG_LVL_ERROR, errno, "%s/%s", dir, RUNDIR_LOCK);
	if (!S_ISREG(st.st_mode) || !ours(st.st_uid)) {
		log_error("%s/%s: %s owned by uid %u, not a lock file of ours", dir, RUNDIR_LOCK,
			  fileio_type_name(st.st_mode), (unsigned)st.st_uid);
		return -EPERM;
	}
	/* Whoever can open the file can flock it and keep us from starting. */
	if ((st.st_mode & 077) && fchmod(fd, 0600) < 0 && errno != EROFS)
		return log_errno(LOG_LVL_ERROR, errno, "%s/%s: chmod 0600", dir, RUNDIR_LOCK);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r != -EWOULDBLOCK)
			return log_errno(LOG_LVL_ERROR, r, "lock %s/%s", dir, RUNDIR_LOCK);
		holder_read(fd, h);
		return -EBUSY;
	}
	holder_write(fd, role);
	r = fd;
	fd = -1;
	return r;
}

/* The refusal, in words that say what to do instead. */
static void refuse_root(const char *root, const char *lock, enum rundir_role role,
			const struct holder *h)
{
	bool by_once = strcmp(h->role, "once") == 0;

	if (role == RUNDIR_ONCE && !by_once)
		log_error("vfiobindd is running on %s (%s): run `vfiobind reconcile` instead",
			  root, h->pid_text);
	else if (role == RUNDIR_ONCE)
		log_error("vfiobindd --once is running on %s (%s): wait until it ends", root,
			  h->pid_text);
	else if (by_once)
		log_error("vfiobindd --once is running on %s (%s): start the daemon when it has "
			  "ended", root, h->pid_text);
	else
		log_error("another vfiobindd is running on %s (%s; lock %s is held)", root,
			  h->pid_text, lock);
}

/* Create dir when missing. -EROFS only when it does not exist and cannot:
 * on a read-only file system, where no daemon can have its lock or state. */
static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno == EROFS && access(dir, F_OK) == 0)
		return 0;
	return -errno;
}

static int lock_root(struct rundir *rd, const char *sysfs_root, const char *lockdir,
		     enum rundir_role role, struct stat *dir_st)
{
	_cleanup_close_ int dfd = -1;
	struct holder h;
	int r = make_dir(lockdir);

	if (r == -EROFS) {
		log_warning("%s cannot be created (read-only file system): no vfiobindd can be "
			    "running on %s with its lock there; going on without one", lockdir,
			    sysfs_root);
		return 0;
	}
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "create %s", lockdir);
	dfd = rundir_open(lockdir, NULL);
	if (dfd < 0)
		return dfd;
	if (fstat(dfd, dir_st) < 0)
		return log_errno(LOG_LVL_ERROR, errno, "%s", lockdir);
	rd->root_lock = lock_in(dfd, lockdir, role, &h);
	if (rd->root_lock == -EBUSY) {
		char lock[PATH_MAX + 32];

		snprintf(lock, sizeof(lock), "%s/%s", lockdir, RUNDIR_LOCK);
		refuse_root(sysfs_root, lock, role, &h);
	}
	return rd->root_lock < 0 ? rd->root_lock : 0;
}

static int open_run_dir(struct rundir *rd, const char *run_dir, enum rundir_role role)
{
	int r = make_dir(run_dir);

	if (r == -EROFS && role == RUNDIR_ONCE) {
		log_warning("%s cannot be created (read-only file system): --once goes on "
			    "without state.json", run_dir);
		return 0;
	}
	if (r < 0)
		return log_errno(LOG_LVL_ERROR, r, "create %s", run_dir);
	rd->dfd = rundir_open(run_dir, rd->path);
	return rd->dfd < 0 ? rd->dfd : 0;
}

static bool same_dir(int dfd, const struct stat *other)
{
	struct stat st;

	return fstat(dfd, &st) == 0 && st.st_dev == other->st_dev && st.st_ino == other->st_ino;
}

int rundir_setup(struct rundir *rd, const char *sysfs_root, const char *run_dir,
		 enum rundir_role role, bool writer)
{
	struct stat root_dir = { 0 };
	char lockdir[PATH_MAX];
	struct holder h;
	int r = 0;

	*rd = (struct rundir){ .root_lock = -1, .dir_lock = -1, .dfd = -1 };
	if (writer) {
		r = rundir_default(sysfs_root, lockdir, sizeof(lockdir));
		if (r < 0)
			log_errno(LOG_LVL_ERROR, r, "sysfs root %s", sysfs_root);
		else
			r = lock_root(rd, sysfs_root, lockdir, role, &root_dir);
	}
	if (r == 0 && run_dir)
		r = open_run_dir(rd, run_dir, role);
	/* In the root's lock directory itself, its lock is ours already (and
	 * a second flock, on another open of the same file, would refuse us). */
	if (r == 0 && rd->dfd >= 0 && !(rd->root_lock >= 0 && same_dir(rd->dfd, &root_dir))) {
		rd->dir_lock = lock_in(rd->dfd, rd->path, role, &h);
		if (rd->dir_lock == -EBUSY)
			log_error("another vfiobindd is running in the run directory %s (%s; lock "
				  "%s/%s is held)", rd->path, h.pid_text, rd->path, RUNDIR_LOCK);
		r = rd->dir_lock < 0 ? rd->dir_lock : 0;
	}
	if (r < 0)
		rundir_release(rd);
	return r;
}

void rundir_release(struct rundir *rd)
{
	if (rd->root_lock >= 0)
		close(rd->root_lock);
	if (rd->dir_lock >= 0)
		close(rd->dir_lock);
	if (rd->dfd >= 0)
		close(rd->dfd);
	*rd = (struct rundir){ .root_lock = -1, .dir_lock = -1, .dfd = -1 };
}
