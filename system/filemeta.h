/* SPDX-License-Identifier: GPL-2.0-or-later */
/* filemeta.h: give a replacement file (a temporary file about to be renamed
 * over the old one) everything the old one is judged by besides its bytes:
 * mode, extended attributes (POSIX ACLs are system.posix_acl_access; SELinux
 * labels, user.* and the rest alike), owner and group. A rewrite that loses
 * them is a quiet change of who may do what: an ACL mask turned into group
 * bits once let a group append lines that the root daemon acts on, and a
 * root:adm file became root:root under the unit's capabilities.
 *
 * What cannot be kept is said, never skipped: the owner or a group root is
 * not a member of needs CAP_CHOWN (not in the shipped unit), security.* and
 * trusted.* attributes need CAP_SYS_ADMIN (the unit does not see trusted.*
 * at all, so it cannot know of them). */
#pragma once

#include <stddef.h>

/* Copy path's metadata (path itself, not a link's target) onto the file open
 * as fd, and drop attributes fd has that path lacks (a default ACL of the
 * directory that the new file inherited). 0, or -errno with why filled:
 * "cannot keep the file's group adm (gid 4) without CAP_CHOWN: ...". */
int filemeta_copy(const char *path, int fd, char *why, size_t size);
