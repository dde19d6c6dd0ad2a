/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blkimg.c: see blkimg.h. Images are 8 MiB: libblkid skips RAID and LVM
 * probes on "tiny" devices (1.44 MB floppies and smaller). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkimg.h"

#define BLKIMG_SIZE (8 << 20)

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A zeroed image with len bytes of data at off. */
static int write_image(const char *path, const uint8_t *data, size_t len, off_t off)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, BLKIMG_SIZE) < 0 ||
	    (len && pwrite(fd, data, len, off) != (ssize_t)len))
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int blkimg_zero(const char *path)
{
	return write_image(path, NULL, 0, 0);
}

int blkimg_ext4(const char *path)
{
	char cmd[512];
	int r = blkimg_zero(path);

	if (r < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -F -q '%s' >/dev/null 2>&1", path);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* md superblock 1.2 (linux/raid/md_p.h): magic, major 1, set uuid and
 * name, super_offset in sectors at 144, and sb_csum at 216: the sum of the
 * 256 bytes (max_dev 0) as 32-bit little-endian words, folded. */
int blkimg_md(const char *path)
{
	uint8_t sb[256] = { 0 };
	uint64_t sum = 0;

	put_le32(sb, 0xa92b4efc);
	put_le32(sb + 4, 1);
	for (int i = 0; i < 16; i++)
		sb[16 + i] = (uint8_t)(i + 1);
	memcpy(sb + 32, "vb:md0", 6);
	put_le64(sb + 144, 4096 / 512);
	for (int i = 0; i < 256; i += 4)
		sum += (uint32_t)sb[i] | (uint32_t)sb[i + 1] << 8 | (uint32_t)sb[i + 2] << 16 |
		       (uint32_t)sb[i + 3] << 24;
	put_le32(sb + 216, (uint32_t)((sum & 0xffffffff) + (sum >> 32)));
	return write_image(path, sb, sizeof(sb), 4096);
}

/* LVM2's label CRC (lib/misc/crc.c): CRC-32 by nibbles from 0xf597a6cf. */
static uint32_t lvm_crc(const uint8_t *p, size_t n)
{
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xf597a6cf;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		c = (c >> 4) ^ tab[c & 0xf];
		c = (c >> 4) ^ tab[c & 0xf];
	}
	return c;
}

/* label_header in sector 1: "LABELONE", its sector, CRC of the rest of the
 * sector, offset of the pv_header (32), "LVM2 001"; then the PV uuid and
 * the device size. */
int blkimg_lvm(const char *path)
{
	uint8_t lab[512] = { 0 };

	memcpy(lab, "LABELONE", 8);
	put_le64(lab + 8, 1);
	put_le32(lab + 20, 32);
	memcpy(lab + 24, "LVM2 001", 8);
	memcpy(lab + 32, "vfiobindTESTpv0000000000000000uu", 32);
	put_le64(lab + 64, BLKIMG_SIZE);
	put_le32(lab + 16, lvm_crc(lab + 20, sizeof(lab) - 20));
	return write_image(path, lab, sizeof(lab), 512);
}
