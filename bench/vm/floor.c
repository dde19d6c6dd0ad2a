/* SPDX-License-Identifier: GPL-2.0-or-later */
/* floor.c: the floor of the VM bench, what every tool's time is compared
 * to: the least any tool can do to move PCI functions between drivers. Per
 * device, one device after another, only the three sysfs writes of
 * Documentation/ABI/testing/sysfs-bus-pci:
 *   floor to DRIVER BDF...   driver_override = DRIVER, driver/unbind = BDF
 *                            (when bound), drivers_probe = BDF
 *   floor back BDF...        driver_override = "\n" (clears it: an empty
 *                            write may do nothing), driver/unbind, drivers_probe
 * No check of the driver link, no state, no scan: the outside observer
 * (linkwatch) decides when the work is done. Exit 0 when every write
 * succeeded, 1 otherwise (the error is printed, the next devices still move).
 * Runs only in the tests/vm guest (guest-only.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest-only.h"

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int move(const char *bdf, const char *driver)
{
	char path[256];
	int r;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	r = put(path, driver ? driver : "\n");
	if (r < 0) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(-r));
		return r;
	}
	/* Through the driver link: no readlink needed, and ENOENT means the
	 * device has no driver to leave. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	r = put(path, bdf);
	if (r < 0 && r != -ENOENT) {
		fprintf(stderr, "floor: %s: %s\n", path, strerror(-r));
		return r;
	}
	r = put("/sys/bus/pci/drivers_probe", bdf);
	if (r < 0)
		fprintf(stderr, "floor: drivers_probe %s: %s\n", bdf, strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	const char *driver;
	int first, rc = 0;

	if (argc >= 3 && strcmp(argv[1], "back") == 0) {
		driver = NULL;
		first = 2;
	} else if (argc >= 4 && strcmp(argv[1], "to") == 0) {
		driver = argv[2];
		first = 3;
	} else {
		fprintf(stderr, "usage: floor to DRIVER BDF... | floor back BDF...\n");
		return 2;
	}
	if (bench_guest_only("floor") < 0)
		return 2;
	for (int i = first; i < argc; i++)
		if (move(argv[i], driver) < 0)
			rc = 1;
	return rc;
}
