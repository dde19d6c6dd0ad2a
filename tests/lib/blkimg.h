/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blkimg.h: disk images with the signatures libblkid looks for, written to
 * regular files (libblkid probes a file as it probes a device), for the
 * signature probes of system/inuse-probe.c on fake trees. No loop device,
 * no mdadm or lvm2: the RAID and LVM labels are written byte by byte. */
#pragma once

/* An 8 MiB file of zeroes (no signature). 0 or -errno. */
int blkimg_zero(const char *path);
/* The same with an ext4 filesystem (mkfs.ext4 -F -q, e2fsprogs). */
int blkimg_ext4(const char *path);
/* The same with an md RAID superblock, version 1.2 (4 KiB in). */
int blkimg_md(const char *path);
/* The same with an LVM2 physical volume label (sector 1). */
int blkimg_lvm(const char *path);
