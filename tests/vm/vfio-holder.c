/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-holder.c: hold PCI functions the way QEMU does, for the real-kernel
 * scenarios (tests/vm/scenarios/4x-holders-*.sh); used only inside the test
 * guest. For each BDF: open /dev/vfio/vfio, the function's group
 * /dev/vfio/GROUP, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU (type1, once),
 * VFIO_GROUP_GET_DEVICE_FD, and register the device's request eventfd
 * (VFIO_PCI_REQ_IRQ_INDEX) as QEMU does: the kernel signals it when someone
 * writes vfio-pci/unbind (or an sriov_numvfs change removes the VF) while we
 * hold the device.
 *
 * A request is the failure the scenarios guard against (vfiobindd took a
 * held device): the helper writes "request BDF" to --fail FILE and exits 3,
 * which also lets the kernel finish the blocked write. It ends itself after
 * --timeout seconds (exit 2), so a regression fails a test instead of
 * hanging CI. SIGTERM/SIGINT: exit 0. SIGUSR1: close every descriptor and
 * keep running (a VM whose guest let the device go: QEMU closes the device
 * and group without exiting).
 *
 * usage: vfio-holder [--uid UID] [--timeout SEC] [--ready FILE] [--fail FILE] BDF...
 *   --uid UID     chown each /dev/vfio/GROUP to UID, then run as UID (gid
 *                 UID, no supplementary groups) before opening anything
 *   --ready FILE  written ("PID\n") once every device is held
 *
 * Exit: 0 terminated, 1 could not hold, 2 timeout, 3 request received. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS 16

struct held {
	const char *bdf;
	int group_fd, device_fd, req_fd;
};

static volatile sig_atomic_t got_term, got_release;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_release = 1;
	else
		got_term = 1;
}

static int group_of(const char *bdf)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *slash;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return slash ? atoi(slash + 1) : -1;
}

/* Opened before giving up root: the scenario's work dir is root's. */
static int open_out(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		perror(path);
	return fd;
}

static void say(int fd, const char *text)
{
	if (fd >= 0 && write(fd, text, strlen(text)) < 0)
		perror("vfio-holder: write");
}

/* The request eventfd, as QEMU's vfio_register_req_notifier() sets it. */
static int register_request(struct held *h)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX };
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	if (ioctl(h->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0 || info.count < 1) {
		fprintf(stderr, "vfio-holder: %s: no request interrupt\n", h->bdf);
		return -1;
	}
	h->req_fd = eventfd(0, EFD_CLOEXEC);
	if (h->req_fd < 0)
		return -1;
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &h->req_fd, sizeof(int));
	if (ioctl(h->device_fd, VFIO_DEVICE_SET_IRQS, set) < 0) {
		fprintf(stderr, "vfio-holder: %s: VFIO_DEVICE_SET_IRQS: %s\n", h->bdf,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int hold(int container, bool *iommu_set, struct held *h)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int g = group_of(h->bdf);

	if (g < 0) {
		fprintf(stderr, "vfio-holder: %s: no IOMMU group\n", h->bdf);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	h->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (h->group_fd < 0) {
		fprintf(stderr, "vfio-holder: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (ioctl(h->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0 ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "vfio-holder: group %d not viable\n", g);
		return -1;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) &&
	    ioctl(h->group_fd, VFIO_GROUP_SET_CONTAINER, &container) < 0) {
		fprintf(stderr, "vfio-holder: group %d: SET_CONTAINER: %s\n", g, strerror(errno));
		return -1;
	}
	if (!*iommu_set) {
		if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
			fprintf(stderr, "vfio-holder: VFIO_SET_IOMMU: %s\n", strerror(errno));
			return -1;
		}
		*iommu_set = true;
	}
	h->device_fd = ioctl(h->group_fd, VFIO_GROUP_GET_DEVICE_FD, h->bdf);
	if (h->device_fd < 0) {
		fprintf(stderr, "vfio-holder: %s: GET_DEVICE_FD: %s\n", h->bdf, strerror(errno));
		return -1;
	}
	return register_request(h);
}

/* While root: give each group node to uid (QEMU under libvirt runs as its
 * own user on a node chowned to it), then become uid. */
static int become(uid_t uid, char **bdfs, int n)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	for (int i = 0; i < n; i++) {
		char path[64];
		int g = group_of(bdfs[i]);

		snprintf(path, sizeof(path), "/dev/vfio/%d", g);
		if (g < 0 || chown(path, uid, uid) < 0) {
			fprintf(stderr, "vfio-holder: chown %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	/* QEMU needs it for guest RAM; harmless here. */
	(void)setrlimit(RLIMIT_MEMLOCK, &unlimited);
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		fprintf(stderr, "vfio-holder: become uid %u: %s\n", (unsigned)uid, strerror(errno));
		return -1;
	}
	/* Changing uid made us non-dumpable, which gives /proc/PID/fd to root;
	 * QEMU is exec'd after libvirt's setuid, which makes it dumpable again:
	 * its /proc/PID/fd belongs to its own uid, and only CAP_DAC_READ_SEARCH
	 * lets root list it. Be the same. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "vfio-holder: PR_SET_DUMPABLE: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void release_all(struct held *h, int n, int *container)
{
	for (int i = 0; i < n; i++) {
		if (h[i].device_fd >= 0)
			close(h[i].device_fd);
		if (h[i].group_fd >= 0)
			close(h[i].group_fd);
		h[i].device_fd = h[i].group_fd = -1;
	}
	if (*container >= 0)
		close(*container);
	*container = -1;
}

int main(int argc, char **argv)
{
	const char *ready = NULL, *fail = NULL;
	int ready_fd, fail_fd;
	struct held h[MAX_DEVS];
	struct pollfd pfd[MAX_DEVS];
	long timeout_s = 120, uid = -1;
	bool iommu_set = false;
	int n = 0, container, i;
	time_t end;
	char text[64];

	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--uid") == 0)
			uid = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout_s = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--ready") == 0)
			ready = argv[i + 1];
		else if (strcmp(argv[i], "--fail") == 0)
			fail = argv[i + 1];
		else
			goto usage;
	}
	n = argc - i;
	if (n < 1 || n > MAX_DEVS)
		goto usage;
	ready_fd = open_out(ready);
	fail_fd = open_out(fail);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	if (uid >= 0 && become((uid_t)uid, argv + i, n) < 0)
		return 1;
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) {
		perror("/dev/vfio/vfio");
		return 1;
	}
	for (int k = 0; k < n; k++) {
		h[k] = (struct held){ argv[i + k], -1, -1, -1 };
		if (hold(container, &iommu_set, &h[k]) < 0)
			return 1;
		pfd[k] = (struct pollfd){ h[k].req_fd, POLLIN, 0 };
	}
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	say(ready_fd, text);
	fprintf(stderr, "vfio-holder: pid %d holds %d device(s)\n", (int)getpid(), n);
	end = time(NULL) + timeout_s;
	while (!got_term) {
		int r;

		if (time(NULL) >= end) {
			fprintf(stderr, "vfio-holder: timeout after %lds\n", timeout_s);
			say(fail_fd, "timeout\n");
			return 2;
		}
		if (got_release) {
			got_release = 0;
			release_all(h, n, &container);
			fprintf(stderr, "vfio-holder: released every device, still running\n");
		}
		r = poll(pfd, (nfds_t)n, 200);
		for (int k = 0; r > 0 && k < n; k++) {
			if (!(pfd[k].revents & POLLIN))
				continue;
			/* Someone asked the kernel to take the device from us. */
			snprintf(text, sizeof(text), "request %s\n", h[k].bdf);
			say(fail_fd, text);
			fprintf(stderr, "vfio-holder: %s", text);
			return 3;
		}
	}
	return 0;
usage:
	fprintf(stderr, "usage: vfio-holder [--uid UID] [--timeout SEC] [--ready FILE] "
			"[--fail FILE] BDF...\n");
	return 1;
}
