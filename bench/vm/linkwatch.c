/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linkwatch.c: the outside observer of the VM bench. It starts a piece of
 * work (a command, a command once per device, a file renamed into place)
 * and tells when every listed PCI function's driver link is right, as
 * anyone reading sysfs would see it. A tool's time runs from the start of
 * the work to that moment, whatever the tool does or says when.
 *
 * usage: linkwatch [-t SEC] [-r SRC:DST] [-o LOG] [-x] -e WANT [-e WANT]... BDF...
 *                  [-- CMD ARG...]
 *        linkwatch -c ROUNDS BDF...
 *   -e WANT   a stage: every BDF on driver WANT ("-": no driver, "+": the
 *             function exists, "NAME?": a stage a device may pass through
 *             too fast to be seen, skipped when the next one already holds).
 *             Stages are reached in order; the time of each is when the
 *             last device reached it.
 *   -r SRC:DST  rename(SRC, DST) at the start: a config save
 *   -x        run CMD once per BDF, one after another, each "{}" argument
 *             replaced by the BDF (driverctl, vfiobind add); rc is the first
 *             failure's, and the other devices' commands run all the same
 *   -o LOG    the command's stdout and stderr (default /dev/null)
 *   -t SEC    give up after SEC seconds (default 120); once the command
 *             failed, after 2 s more
 *   -c ROUNDS no work: look at every link ROUNDS times and print what one
 *             look at all of them costs (the observer's own overhead)
 * Prints one JSON object on stdout: ok, stage_ms (one per stage), cmd_ms and
 * rc (the command's end and exit status; -1 when there was none), events
 * (uevents that named a device), late (devices found right by the 100 ms
 * sweep rather than by an event), t0_realtime_ms (to line up with logs).
 * Exit 0 when every stage was reached.
 *
 * How it looks: the kernel's uevents (the netlink socket udevd reads: bind,
 * unbind, add, remove) say which device to look at; every 100 ms it also
 * looks at every device not yet done, so a lost event costs at most that.
 * A look is one readlinkat() of BDF/driver, or an faccessat() of BDF for
 * "+". Only reads: it never writes to sysfs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS 512
#define MAX_STAGES 4
#define SWEEP_MS 100

struct stage {
	char driver[64];	/* "" none; "+" present */
	bool optional;
};

struct watch {
	struct stage stages[MAX_STAGES];
	int n_stages;
	const char *bdfs[MAX_DEVS];
	int reached[MAX_DEVS];	/* last stage each device reached, -1 none */
	int n;
	int devdir;		/* O_PATH of /sys/bus/pci/devices */
	double t0;
	double stage_ms[MAX_STAGES];
	int done_stages;	/* stages every device reached */
	unsigned long events, late;
};

static double now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The device's driver now: 0 and the name ("" none), -ENOENT when the
 * function does not exist. */
static int look(const struct watch *w, int i, char *drv, size_t size)
{
	char link[256], target[256];
	ssize_t n;
	const char *slash;

	snprintf(link, sizeof(link), "%s/driver", w->bdfs[i]);
	n = readlinkat(w->devdir, link, target, sizeof(target) - 1);
	drv[0] = '\0';
	if (n < 0) {
		if (errno == ENOENT && faccessat(w->devdir, w->bdfs[i], F_OK, 0) < 0)
			return -ENOENT;
		return 0;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) >= size)
		return 0; /* no driver name is that long: not one we wait for */
	memcpy(drv, slash, strlen(slash) + 1);
	return 0;
}

static bool holds(const struct stage *s, int present, const char *drv)
{
	if (strcmp(s->driver, "+") == 0)
		return present == 0;
	return present == 0 && strcmp(s->driver, drv) == 0;
}

/* Move device i on through the stages its links now satisfy. */
static void check(struct watch *w, int i)
{
	char drv[64];
	int present = look(w, i, drv, sizeof(drv));

	for (;;) {
		int s = w->reached[i] + 1;

		if (s >= w->n_stages)
			return;
		if (holds(&w->stages[s], present, drv))
			w->reached[i] = s;
		else if (w->stages[s].optional && s + 1 < w->n_stages &&
			 holds(&w->stages[s + 1], present, drv))
			w->reached[i] = s + 1;
		else
			return;
	}
}

/* Note the time of every stage the slowest device has now reached. */
static void account(struct watch *w)
{
	int low = w->n_stages;

	for (int i = 0; i < w->n; i++)
		if (w->reached[i] < low - 1)
			low = w->reached[i] + 1;
	while (w->done_stages < low)
		w->stage_ms[w->done_stages++] = now_ms(CLOCK_MONOTONIC) - w->t0;
}

static void sweep(struct watch *w, bool late)
{
	for (int i = 0; i < w->n; i++) {
		int before = w->reached[i];

		if (before + 1 >= w->n_stages)
			continue;
		check(w, i);
		if (late && w->reached[i] != before)
			w->late++;
	}
	account(w);
}

static int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);
	int sz = 8 << 20;

	if (fd < 0)
		return -1;
	/* Without room, a burst of 120 VF events would be dropped. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read every queued uevent; look at the devices they name ("bind@/devices/
 * pci0000:00/0000:00:02.0"). Children (net/eth0, vfio groups) are not ours. */
static void drain(struct watch *w, int nl)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(nl, buf, sizeof(buf) - 1, 0)) > 0 || (n < 0 && errno == ENOBUFS)) {
		const char *last;

		if (n < 0) {
			sweep(w, false); /* events were lost: look at everything */
			continue;
		}
		buf[n] = '\0';
		last = strrchr(buf, '/');
		if (!last || !strchr(buf, '@'))
			continue;
		for (int i = 0; i < w->n; i++)
			if (strcmp(last + 1, w->bdfs[i]) == 0) {
				w->events++;
				check(w, i);
			}
	}
	account(w);
}

struct work {
	char **argv;		/* NULL: no command */
	bool each;
	const char *log;
	int next;		/* -x: the device whose command runs next */
	pid_t pid;
	int pidfd;
	int rc;			/* first failure, else 0; -1 no command */
	double end_ms;
};

/* The whole command line, however long (the floor and dpdk-devbind.py get
 * every BDF: 120 VFs and more; a fixed 64 once cut the floor's list in half). */
static pid_t spawn(struct work *k, const char *bdf)
{
	char **argv;
	int i, n = 0;
	pid_t pid;

	while (k->argv[n])
		n++;
	argv = calloc((size_t)n + 1, sizeof(*argv));
	if (!argv)
		return -1;
	for (i = 0; i < n; i++)
		argv[i] = bdf && strcmp(k->argv[i], "{}") == 0 ? (char *)bdf : k->argv[i];
	pid = fork();
	if (pid == 0) {
		int fd = open(k->log ? k->log : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	free(argv);
	return pid;
}

/* Start the command (the next one with -x); false when there is none left. */
static bool work_start(struct work *k, struct watch *w)
{
	if (!k->argv || (k->each && k->next >= w->n) || (!k->each && k->next > 0))
		return false;
	k->pid = spawn(k, k->each ? w->bdfs[k->next] : NULL);
	k->next++;
	if (k->pid < 0)
		return false;
	k->pidfd = (int)syscall(SYS_pidfd_open, k->pid, 0);
	return true;
}

/* The command ended: note its status, start the next one (-x). */
static void work_reap(struct work *k, struct watch *w)
{
	int st = 0;

	waitpid(k->pid, &st, 0);
	close(k->pidfd);
	k->pidfd = -1;
	if (k->rc <= 0)
		k->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	/* -x goes on after a failure, as a shell loop over the devices would:
	 * a tool that says no to one may still do the others. */
	if (work_start(k, w))
		return;
	k->end_ms = now_ms(CLOCK_MONOTONIC) - w->t0;
}

static void print_json(const struct watch *w, const struct work *k, double t0_real)
{
	printf("{\"ok\":%s,\"stage_ms\":[", w->done_stages == w->n_stages ? "true" : "false");
	for (int s = 0; s < w->n_stages; s++) {
		if (s < w->done_stages)
			printf("%s%.1f", s ? "," : "", w->stage_ms[s]);
		else
			printf("%snull", s ? "," : "");
	}
	printf("],\"cmd_ms\":%.1f,\"rc\":%d,\"events\":%lu,\"late\":%lu,"
	       "\"t0_realtime_ms\":%.0f,\"devices\":%d}\n",
	       k->end_ms, k->rc, w->events, w->late, t0_real, w->n);
}

/* -c: the observer's own cost, one look at every device. */
static int overhead(struct watch *w, int rounds)
{
	char drv[64];
	double t0 = now_ms(CLOCK_MONOTONIC);

	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < w->n; i++)
			look(w, i, drv, sizeof(drv));
	printf("{\"devices\":%d,\"rounds\":%d,\"look_all_us\":%.1f}\n", w->n, rounds,
	       (now_ms(CLOCK_MONOTONIC) - t0) * 1e3 / rounds);
	return 0;
}

static int run(struct watch *w, struct work *k, const char *rename_arg, double timeout_s)
{
	double t0_real, deadline, failed_at = 0;
	int nl = uevent_socket();
	char src[512];
	char *dst;

	if (nl < 0) {
		perror("linkwatch: uevent socket");
		return 2;
	}
	t0_real = now_ms(CLOCK_REALTIME);
	w->t0 = now_ms(CLOCK_MONOTONIC);
	deadline = timeout_s * 1e3;
	if (rename_arg) {
		snprintf(src, sizeof(src), "%s", rename_arg);
		dst = strchr(src, ':');
		if (!dst || (*dst++ = '\0', rename(src, dst) < 0)) {
			perror("linkwatch: rename");
			return 2;
		}
	}
	if (!work_start(k, w))
		k->end_ms = -1;
	sweep(w, false);
	while (w->done_stages < w->n_stages || k->pidfd >= 0) {
		struct pollfd p[2] = { { nl, POLLIN, 0 }, { k->pidfd, POLLIN, 0 } };
		double t = now_ms(CLOCK_MONOTONIC) - w->t0;

		if (t > deadline || (failed_at > 0 && t > failed_at + 2000 &&
				     w->done_stages < w->n_stages))
			break;
		if (poll(p, k->pidfd >= 0 ? 2 : 1, SWEEP_MS) == 0)
			sweep(w, true);
		if (p[0].revents)
			drain(w, nl);
		if (k->pidfd >= 0 && p[1].revents) {
			work_reap(k, w);
			if (k->pidfd < 0 && k->rc > 0 && !failed_at)
				failed_at = now_ms(CLOCK_MONOTONIC) - w->t0;
		}
	}
	if (k->pidfd >= 0) {
		kill(k->pid, SIGKILL);
		work_reap(k, w);
		k->rc = 124;
	}
	close(nl);
	print_json(w, k, t0_real);
	return w->done_stages == w->n_stages ? 0 : 1;
}

static int add_stage(struct watch *w, const char *arg)
{
	struct stage *s;
	size_t len = strlen(arg);

	if (w->n_stages == MAX_STAGES || len == 0 || len >= sizeof(s->driver))
		return -1;
	s = &w->stages[w->n_stages++];
	s->optional = arg[len - 1] == '?';
	snprintf(s->driver, sizeof(s->driver), "%.*s", (int)(len - s->optional), arg);
	if (strcmp(s->driver, "-") == 0)
		s->driver[0] = '\0';
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: linkwatch [-t SEC] [-r SRC:DST] [-o LOG] [-x] -e WANT [-e WANT]... "
			"BDF... [-- CMD ARG...]\n       linkwatch -c ROUNDS BDF...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct watch w;
	struct work k = { .pidfd = -1, .rc = -1 };
	const char *rename_arg = NULL;
	double timeout_s = 120;
	int opt, rounds = 0;

	while ((opt = getopt(argc, argv, "+t:r:o:xe:c:")) != -1) {
		switch (opt) {
		case 't': timeout_s = atof(optarg); break;
		case 'r': rename_arg = optarg; break;
		case 'o': k.log = optarg; break;
		case 'x': k.each = true; break;
		case 'c': rounds = atoi(optarg); break;
		case 'e':
			if (add_stage(&w, optarg) < 0)
				return usage();
			break;
		default: return usage();
		}
	}
	for (; optind < argc && strcmp(argv[optind], "--") != 0; optind++) {
		if (w.n == MAX_DEVS)
			return usage();
		w.bdfs[w.n] = argv[optind];
		w.reached[w.n++] = -1;
	}
	if (optind < argc)
		k.argv = argv[optind + 1] ? &argv[optind + 1] : NULL;
	w.devdir = open("/sys/bus/pci/devices", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.devdir < 0 || w.n == 0 || (!rounds && w.n_stages == 0))
		return usage();
	if (rounds > 0)
		return overhead(&w, rounds);
	return run(&w, &k, rename_arg, timeout_s);
}
