/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvme-vf-online.c: gives the first N virtual functions of QEMU's emulated
 * NVMe controller what they need for the nvme driver to take them: each
 * VF's secondary controller gets two flexible queues (admin + one I/O) and
 * one interrupt, and is set online (NVMe Virtualization Management, opcode
 * 0x1C). Without that a VF fails nvme's probe ("Device not ready", CSTS
 * 2) and stays driverless; with it, VFs start on nvme as on real hardware,
 * so the bench can move VFs that have a driver to leave and to come back to.
 * The VFs must exist (sriov_numvfs), preferably created with
 * sriov_drivers_autoprobe 0 so that nvme does not fail on them first.
 *
 * usage: nvme-vf-online PF_BDF N
 * Runs only in the tests/vm guest (guest-only.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest-only.h"

enum {
	OP_IDENTIFY = 0x06,
	OP_VIRT_MGMT = 0x1c,
	CNS_SECONDARY_LIST = 0x15,
	ACT_ASSIGN = 0x8,
	ACT_ONLINE = 0x9,
	RT_VQ = 0,
	RT_VI = 1,
};

/* The NVMe status of an admin command, or -errno. */
static int admin(int fd, uint8_t opcode, uint32_t cdw10, uint32_t cdw11, void *data,
		 uint32_t len)
{
	struct nvme_passthru_cmd cmd = {
		.opcode = opcode,
		.addr = (uint64_t)(uintptr_t)data,
		.data_len = len,
		.cdw10 = cdw10,
		.cdw11 = cdw11,
	};
	int r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);

	return r < 0 ? -errno : r;
}

static int virt_mgmt(int fd, uint16_t cntlid, unsigned act, unsigned rt, unsigned nr)
{
	return admin(fd, OP_VIRT_MGMT, act | rt << 8 | (uint32_t)cntlid << 16, nr, NULL, 0);
}

/* /dev/nvmeX of the PF: the one directory under its nvme/. */
static int open_ctrl(const char *pf)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme", pf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "nvme", 4) == 0) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			break;
		}
	closedir(d);
	return fd;
}

int main(int argc, char **argv)
{
	static uint8_t list[4096];
	int fd, n, r, online = 0;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: nvme-vf-online PF_BDF N\n");
		return 2;
	}
	if (bench_guest_only("nvme-vf-online") < 0)
		return 2;
	fd = open_ctrl(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "nvme-vf-online: no nvme controller on %s\n", argv[1]);
		return 1;
	}
	r = admin(fd, OP_IDENTIFY, CNS_SECONDARY_LIST, 0, list, sizeof(list));
	if (r != 0) {
		fprintf(stderr, "nvme-vf-online: identify secondary list: %d\n", r);
		return 1;
	}
	/* Byte 0: how many entries; entries of 32 bytes from byte 32: SCID
	 * (0-1), PCID (2-3), SCS (4), VFN (8-9), NVQ (10-11), NVI (12-13). */
	for (int i = 0; i < list[0] && i < 127; i++) {
		const uint8_t *e = list + 32 + 32 * i;
		uint16_t scid = (uint16_t)(e[0] | e[1] << 8), vfn = (uint16_t)(e[8] | e[9] << 8);

		if (vfn == 0 || vfn > n || (e[4] & 1))
			continue;
		if ((r = virt_mgmt(fd, scid, ACT_ASSIGN, RT_VQ, 2)) != 0 ||
		    (r = virt_mgmt(fd, scid, ACT_ASSIGN, RT_VI, 1)) != 0 ||
		    (r = virt_mgmt(fd, scid, ACT_ONLINE, 0, 0)) != 0) {
			fprintf(stderr, "nvme-vf-online: VF %u (controller %u): status %d\n", vfn,
				scid, r);
			return 1;
		}
		online++;
	}
	printf("%d secondary controllers online\n", online);
	close(fd);
	return 0;
}
