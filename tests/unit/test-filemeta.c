/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-filemeta.c: `add` and `remove` rewrite the config file by a temporary
 * file and a rename (system/confedit-file.c); the new file must be what the
 * old one was to everyone who judges it by more than its bytes: owner, group,
 * mode, POSIX ACL, extended attributes (system/filemeta.c). What cannot be
 * kept refuses the edit with a sentence, and the file stays as it was. Run
 * as root (CI does): the tests give files away to a test uid and gid, and
 * take CAP_CHOWN from themselves to stand where the shipped unit stands. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "confedit-file.h"
#include "fileio.h"
#include "testacl.h"
#include "util.h"

#define TEST_UID 4241
#define TEST_GID 4242		/* a group root is not a member of */
#define ACL_ACCESS TESTACL_ACCESS
#define ACL_DEFAULT TESTACL_DEFAULT

static char dir[64], path[96];
static const char conf[] = "# mine\nDEFAULT 0000:03:00.1\n";
static const char line[] = "DEFAULT 0000:04:00.0";

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: files are given to another uid and gid");
	snprintf(dir, sizeof(dir), "/tmp/vb-filemeta-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vfiobind.conf", dir);
}

static void teardown(void)
{
	char cmd[128];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TestSuite(filemeta, .init = setup, .fini = teardown);

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static char *text_of(void)
{
	char *t = NULL;

	cr_assert_eq(fileio_read_file(path, 1 << 20, &t, NULL), 0);
	return t;
}

/* See testacl.h: an ACL whose mask a careless rewrite turns into group write. */
static size_t set_acl(const char *p, const char *name, char *bytes)
{
	size_t len = testacl_named_user(bytes, TEST_UID);

	if (setxattr(p, name, bytes, len, 0) < 0)
		cr_skip_test("no POSIX ACLs on %s: %s", p, strerror(errno));
	return len;
}

static void expect_xattr(const char *name, const char *want, size_t len)
{
	char got[256];
	ssize_t n = getxattr(path, name, got, sizeof(got));

	cr_assert_eq(n, (ssize_t)len, "%s: %zd bytes (%s), want %zu", name, n,
		     n < 0 ? strerror(errno) : "", len);
	cr_assert_eq(memcmp(got, want, len), 0, "%s differs", name);
}

/* Where the shipped unit stands: root's uid without CAP_CHOWN (its bounding
 * set is CAP_SYS_MODULE). Criterion runs each test in a process of its own. */
static void drop_cap_chown(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	cr_assert_eq(syscall(SYS_capget, &h, d), 0);
	d[0].effective &= ~(1u << CAP_CHOWN);
	d[0].permitted &= ~(1u << CAP_CHOWN);
	d[0].inheritable &= ~(1u << CAP_CHOWN);
	cr_assert_eq(syscall(SYS_capset, &h, d), 0, "capset: %s", strerror(errno));
}

static int add(struct cfg_errors *errs)
{
	return confedit_file_add(path, line, NULL, errs);
}

/* ---- kept ---- */

Test(filemeta, owner_group_and_mode_are_kept)
{
	struct stat st;

	put(conf);
	cr_assert_eq(chown(path, TEST_UID, TEST_GID), 0);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(add(NULL), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, TEST_UID);
	cr_assert_eq(st.st_gid, TEST_GID);
	cr_assert_eq(st.st_mode & 07777, 0640);
}

Test(filemeta, a_posix_acl_is_kept_byte_for_byte_and_its_mask_stays_a_mask)
{
	char acl[TESTACL_MAX];
	size_t len;
	struct stat st;

	put(conf);
	len = set_acl(path, ACL_ACCESS, acl);
	cr_assert_eq(add(NULL), 0);
	expect_xattr(ACL_ACCESS, acl, len);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0660, "the mask shows as the group bits");
}

Test(filemeta, user_and_trusted_xattrs_are_kept)
{
	put(conf);
	cr_assert_eq(setxattr(path, "user.vfiobind.test", "kept", 4, 0), 0, "%s", strerror(errno));
	cr_assert_eq(setxattr(path, "trusted.vfiobind.test", "root's", 6, 0), 0, "%s",
		     strerror(errno));
	cr_assert_eq(add(NULL), 0);
	expect_xattr("user.vfiobind.test", "kept", 4);
	expect_xattr("trusted.vfiobind.test", "root's", 6);
}

/* The temporary file inherits the directory's default ACL as its access
 * ACL: a file that had none must not come out of an edit with one. */
Test(filemeta, a_default_acl_of_the_directory_does_not_creep_in)
{
	char acl[TESTACL_MAX];
	ssize_t n;

	put(conf);
	cr_assert_eq(chmod(path, 0644), 0);
	set_acl(dir, ACL_DEFAULT, acl);
	cr_assert_eq(add(NULL), 0);
	n = getxattr(path, ACL_ACCESS, acl, sizeof(acl));
	cr_assert(n < 0 && errno == ENODATA, "the file got an ACL (%zd)", n);
}

Test(filemeta, remove_keeps_them_too)
{
	struct cfg_selector sel;
	struct cfg_entry e;
	char acl[TESTACL_MAX], msg[128];
	size_t len;
	struct stat st;

	put(conf);
	cr_assert_eq(chown(path, 0, TEST_GID), 0);
	len = set_acl(path, ACL_ACCESS, acl);
	cr_assert_eq(config_parse_line("DEFAULT 0000:03:00.1", 1, &e, msg, sizeof(msg)), 0);
	sel = e.sel;
	config_entry_clear(&e);
	cr_assert_eq(confedit_file_remove(path, NULL, &sel, NULL, NULL), 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_gid, TEST_GID);
	expect_xattr(ACL_ACCESS, acl, len);
}

/* ---- without CAP_CHOWN, as under the shipped unit ---- */

/* The unit once turned root:adm into root:root without a word. */
Test(filemeta, without_cap_chown_a_group_that_cannot_be_kept_refuses_the_edit)
{
	struct cfg_errors errs = { 0 };
	char *after, want[128];
	struct stat st;

	put(conf);
	cr_assert_eq(chown(path, 0, TEST_GID), 0);
	drop_cap_chown();
	cr_assert_eq(add(&errs), -EROFS);
	cr_assert_eq(errs.n, 1);
	cr_assert_str_eq(errs.source, path);
	snprintf(want, sizeof(want), "cannot keep the file's group (gid %u) without CAP_CHOWN",
		 TEST_GID);
	if (!strstr(errs.v[0].msg, want)) /* the group may have a name here */
		cr_assert(strstr(errs.v[0].msg, "cannot keep the file's group ") &&
			  strstr(errs.v[0].msg, "without CAP_CHOWN"), "%s", errs.v[0].msg);
	cr_assert(strstr(errs.v[0].msg, "edit the file by hand, or give vfiobindd CAP_CHOWN"),
		  "%s", errs.v[0].msg);
	cfg_errors_clear(&errs);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_gid, TEST_GID, "the file itself was changed");
	after = text_of();
	cr_assert_str_eq(after, conf);
	free(after);
	cr_assert_eq(access(dir, F_OK), 0);
}

Test(filemeta, without_cap_chown_another_owner_refuses_the_edit)
{
	struct cfg_errors errs = { 0 };

	put(conf);
	cr_assert_eq(chown(path, TEST_UID, 0), 0);
	drop_cap_chown();
	cr_assert_eq(add(&errs), -EROFS);
	cr_assert(strstr(errs.v[0].msg, "cannot keep the file's owner ") &&
		  strstr(errs.v[0].msg, "without CAP_CHOWN"), "%s", errs.v[0].msg);
	cfg_errors_clear(&errs);
}

/* root:root with an ACL and a user attribute: all of it can be kept. */
Test(filemeta, without_cap_chown_a_root_file_keeps_its_acl_and_xattrs)
{
	char acl[TESTACL_MAX];
	size_t len;
	struct stat st;

	put(conf);
	len = set_acl(path, ACL_ACCESS, acl);
	cr_assert_eq(setxattr(path, "user.vfiobind.test", "kept", 4, 0), 0);
	drop_cap_chown();
	cr_assert_eq(add(NULL), 0);
	expect_xattr(ACL_ACCESS, acl, len);
	expect_xattr("user.vfiobind.test", "kept", 4);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(st.st_gid, 0);
}

Test(filemeta, a_refused_edit_leaves_no_temporary_file)
{
	char cmd[160];

	put(conf);
	cr_assert_eq(chown(path, 0, TEST_GID), 0);
	drop_cap_chown();
	cr_assert_eq(add(NULL), -EROFS);
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = vfiobind.conf", dir);
	cr_assert_eq(system(cmd), 0, "a temporary file was left in %s", dir);
}

/* ---- what is not a regular file ---- */

Test(filemeta, a_fifo_config_is_refused_without_blocking, .timeout = 10)
{
	struct cfg_errors errs = { 0 };

	cr_assert_eq(mkfifo(path, 0644), 0);
	cr_assert_eq(add(&errs), -EROFS);
	cr_assert_str_eq(errs.v[0].msg, "not a regular file (a FIFO)");
	cfg_errors_clear(&errs);
}
