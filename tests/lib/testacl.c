/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testacl.c: see testacl.h. */
#include <stdint.h>
#include <string.h>

#include "testacl.h"

#define UNDEF 0xffffffffu

struct entry {
	uint16_t tag, perm;
	uint32_t id;
};

size_t testacl_named_user(char *buf, uid_t uid)
{
	/* version 2, entries sorted by tag, then id */
	const uint32_t version = 2;
	const struct entry e[] = {
		{ 0x01, 6, UNDEF },		/* ACL_USER_OBJ rw- */
		{ 0x02, 6, (uint32_t)uid },	/* ACL_USER rw- */
		{ 0x04, 4, UNDEF },		/* ACL_GROUP_OBJ r-- */
		{ 0x10, 6, UNDEF },		/* ACL_MASK rw- */
		{ 0x20, 0, UNDEF },		/* ACL_OTHER --- */
	};

	memcpy(buf, &version, sizeof(version));
	memcpy(buf + sizeof(version), e, sizeof(e));
	return sizeof(version) + sizeof(e);
}
