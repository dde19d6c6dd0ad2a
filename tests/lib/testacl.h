/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testacl.h: a POSIX ACL in the binary form the kernel keeps in the
 * system.posix_acl_access xattr (include/uapi/linux/posix_acl_xattr.h), so
 * that tests can set one with setxattr() and compare it byte for byte,
 * without libacl or the setfacl tool. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define TESTACL_ACCESS "system.posix_acl_access"
#define TESTACL_DEFAULT "system.posix_acl_default"
#define TESTACL_MAX 64	/* bytes testacl_named_user() writes at most */

/* user::rw- user:UID:rw- group::r-- mask::rw- other::---. The mask (rw-)
 * shows as the file's group bits (0660) while the owning group may only
 * read: a rewrite that drops the ACL turns the mask into group write. The
 * length of what was written into buf (TESTACL_MAX bytes). */
size_t testacl_named_user(char *buf, uid_t uid);
