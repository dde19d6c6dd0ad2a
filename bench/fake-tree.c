/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fake-tree.c: makes a fake sysfs tree (tests/lib/fakesys) and leaves it in
 * place, for the scale bench (bench/scale.sh) to run the real daemon and
 * bench-scan on it under strace and callgrind. Prints the tree's root; the
 * caller removes it (rm -r ROOT).
 *
 * usage: fake-tree N            N e1000e-like functions, 8 a bus, one IOMMU
 *                               group each (fakesys_populate)
 *        fake-tree N vfs=V      N functions as SR-IOV PFs (1b36:0010, on nvme)
 *                               with V VFs each (1b36:0011), one PF a bus,
 *                               VFs created through the fake kernel's
 *                               sriov_numvfs as the kernel would; N is
 *                               rounded down to whole PFs
 * Never touches the real /sys: the tree is under /dev/shm or $TMPDIR. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "fakesys.h"
#include "sysfs.h"

static int populate_vfs(struct fakesys *fs, unsigned n, unsigned vfs)
{
	struct sysfs_ops k = fakesys_kernel_ops(fs);
	unsigned pfs = n / (vfs + 1);
	char bdf[BDF_BUFSZ], rel[64], val[16];
	struct fakesys_dev d;
	int r;

	if (vfs == 0 || vfs > 127 || pfs == 0 || pfs > 255)
		return -EINVAL;
	snprintf(val, sizeof(val), "%u", vfs);
	for (unsigned i = 0; i < pfs; i++) {
		struct pci_addr a = { .bus = (uint8_t)(i + 1) };

		bdf_format(&a, bdf);
		fakesys_dev_init(&d, bdf, "nvme", -1);
		d.vendor = 0x1b36;
		d.device = 0x0010;
		d.class_code = 0x010802;
		d.totalvfs = (int)vfs;
		d.vf_driver = "nvme";
		d.iommu_group = (int)i * (int)(vfs + 1);
		if ((r = fakesys_add_device(fs, &d)) < 0)
			return r;
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/sriov_numvfs", bdf);
		if ((r = sysfs_write(&k, fakesys_root(fs), rel, val)) < 0)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 0;
	unsigned vfs = 0;
	struct fakesys *fs;
	int r;

	if (n == 0 || argc > 3 || (argc == 3 && sscanf(argv[2], "vfs=%u", &vfs) != 1)) {
		fprintf(stderr, "usage: fake-tree N [vfs=V]\n");
		return 2;
	}
	fs = fakesys_new();
	if (!fs)
		return 1;
	r = vfs ? populate_vfs(fs, n, vfs) : fakesys_populate(fs, n, "e1000e");
	if (r < 0) {
		fprintf(stderr, "fake-tree: %s\n", strerror(-r));
		fakesys_free(fs);
		return 1;
	}
	printf("%s\n", fakesys_root(fs));
	/* Not fakesys_free(): that would remove the tree. */
	return 0;
}
