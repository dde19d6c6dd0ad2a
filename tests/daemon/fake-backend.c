/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fake-backend.c: the doors of tests/daemon/vfiobindd-fake, the real daemon
 * (daemon/main.c and every library) with only the kernel faked. Its sysfs
 * writes and module loads go to the fake kernel of the tree at --sysfs-root
 * (tests/lib/fakesys.h), which the test that made the tree shares; --dry-run
 * still gets the door that refuses every write. A root that no fakesys_new()
 * made (the real /sys above all) is refused: this binary never runs on a real
 * system.
 *
 * VFIOBIND_FAKE_KILL_AT=N makes the door raise SIGKILL just before its Nth
 * write: a daemon killed at a chosen point of an action, for the tests of
 * what a restart finds (tests/daemon/test-restart.c). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "fakesys.h"
#include "log.h"

static struct fakesys *fake;
static struct sysfs_ops door;	/* the fake kernel's, behind killing_write */
static long kill_at, writes;

static int killing_write(void *ud, const char *path, const char *buf, size_t len)
{
	if (__atomic_add_fetch(&writes, 1, __ATOMIC_SEQ_CST) == kill_at)
		raise(SIGKILL);
	return door.write(door.ud, path, buf, len);
}

int backend_setup(const char *sysfs_root, bool dry_run, struct sysfs_ops *sysfs,
		  struct modules_ops *modules)
{
	char real[PATH_MAX];

	*sysfs = sysfs_ops_deny;
	*modules = modules_ops_none;
	if (!realpath(sysfs_root, real))
		return log_errno(LOG_LVL_ERROR, errno, "fake backend: sysfs root %s", sysfs_root);
	if (strcmp(real, "/sys") == 0 || strncmp(real, "/sys/", 5) == 0) {
		log_error("fake backend: refusing the real %s", real);
		return -EPERM;
	}
	if (dry_run)
		return 0;
	fake = fakesys_attach(sysfs_root);
	if (!fake)
		return log_errno(LOG_LVL_ERROR, errno, "fake backend: no fake kernel at %s",
				 sysfs_root);
	*sysfs = fakesys_kernel_ops(fake);
	*modules = fakesys_modules_ops(fake);
	if (getenv("VFIOBIND_FAKE_KILL_AT")) {
		kill_at = strtol(getenv("VFIOBIND_FAKE_KILL_AT"), NULL, 10);
		door = *sysfs;
		*sysfs = (struct sysfs_ops){ killing_write, NULL };
		log_info("fake backend: SIGKILL before write %ld", kill_at);
	}
	log_info("fake backend: the fake kernel of %s", sysfs_root);
	return 0;
}

void backend_teardown(struct modules_ops *modules)
{
	*modules = modules_ops_none;
	fakesys_free(fake);	/* an attached one: the tree stays */
	fake = NULL;
}
