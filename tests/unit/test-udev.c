/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-udev.c: the udev event loop (daemon/udev.c) driven through an event
 * source the test owns: a non-blocking SOCK_SEQPACKET pair, one message per
 * event ("ACTION NAME"), plus "!overflow" for the kernel's ENOBUFS and
 * "!error" for any other receive error. No libudev, no netlink.
 *
 * A message sent on a local socket is queued before send() returns, so one
 * non-blocking wakeup of the loop (turn()) finds everything sent so far:
 * what one wakeup does is checked without waiting for anything. */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "logcap.h"
#include "udev.h"

struct fake {
	int fd;			/* the end udevmon reads */
	char msg[256];		/* the event read() handed out last */
	unsigned empty_reads;	/* one per wakeup that drained the queue */
};

static struct event_base *base;
static struct udevmon *mon;
static struct fake fake;
static int peer;		/* the end the test writes */
static char seen[1024];		/* "ACTION BDF\n" per callback */
static int overflows;

static int fake_read(void *ctx, const char **action, const char **name)
{
	struct fake *f = ctx;
	ssize_t n = recv(f->fd, f->msg, sizeof(f->msg) - 1, MSG_DONTWAIT);
	char *sp;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		f->empty_reads++;
		return 0;
	}
	cr_assert(n >= 0, "recv: %s", strerror(errno));
	f->msg[n] = '\0';
	if (strcmp(f->msg, "!overflow") == 0)
		return -ENOBUFS;
	if (strcmp(f->msg, "!error") == 0)
		return -EIO;
	/* "ACTION NAME"; "-" stands for an absent action or name */
	sp = strchr(f->msg, ' ');
	cr_assert_not_null(sp, "bad test message %s", f->msg);
	*sp = '\0';
	*action = strcmp(f->msg, "-") ? f->msg : NULL;
	*name = strcmp(sp + 1, "-") ? sp + 1 : NULL;
	return 1;
}

static void on_event(const char *action, const char *bdf, void *ud)
{
	cr_assert_eq(ud, &fake);
	snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s %s\n", action, bdf);
}

static void on_overflow(void *ud)
{
	cr_assert_eq(ud, &fake);
	overflows++;
}

static void setup(void)
{
	int sv[2];
	struct udevmon_source src = { fake_read, NULL, &fake };

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	memset(&fake, 0, sizeof(fake));
	fake.fd = sv[0];
	peer = sv[1];
	seen[0] = '\0';
	overflows = 0;
	base = event_base_new();
	cr_assert_not_null(base);
	mon = udevmon_new_fd(base, fake.fd, &src, on_event, on_overflow, &fake);
	cr_assert_not_null(mon);
	logcap_start();
}

static void teardown(void)
{
	logcap_stop();
	udevmon_free(mon);
	event_base_free(base);
	close(fake.fd);
	close(peer);
}

TestSuite(udev, .init = setup, .fini = teardown, .timeout = 30);

static void send_all(const char *const *msgs)
{
	for (; *msgs; msgs++)
		cr_assert_eq(send(peer, *msgs, strlen(*msgs), 0), (ssize_t)strlen(*msgs));
}

/* One wakeup: the loop polls once without waiting, runs what is ready, and
 * returns (EVLOOP_ONCE: no second poll even when the fd is still readable). */
static void turn(void)
{
	cr_assert_geq(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
}

Test(udev, canonical_names_reach_the_callback_with_their_action)
{
	send_all((const char *const[]){ "add 0000:03:00.1", "bind 0000:03:00.1",
					"unbind 0001:af:1f.7", "remove 10000:00:02.0",
					"change ffff:ff:1f.7", NULL });
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.1\n"
			       "bind 0000:03:00.1\n"
			       "unbind 0001:af:1f.7\n"
			       "remove 10000:00:02.0\n"
			       "change ffff:ff:1f.7\n");
	cr_assert_eq(overflows, 0);
}

Test(udev, non_canonical_names_are_ignored)
{
	send_all((const char *const[]){
		"add 03:00.1",			/* no domain */
		"add 0000:03:00.1 ",		/* trailing space */
		"add 0000:03:00.1/../..",	/* a path */
		"add pci0000:00",		/* the root bus's own event */
		"add 0000:03:00.8",		/* function > 7 */
		"add 0000:03:20.0",		/* device > 0x1f */
		"add 0000:AF:00.0",		/* upper case: not how the kernel names it */
		"add 0000:3:00.1",		/* short bus */
		"add ",				/* empty name */
		"add -",			/* no name */
		"- 0000:03:00.2",		/* no action */
		"add 0000:03:00.3",		/* and after all that, one good one */
		NULL });
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.3\n");
	cr_assert_not_null(strstr(logcap_text(), "D udev: ignoring event add for 03:00.1\n"),
			   "%s", logcap_text());
	cr_assert_not_null(strstr(logcap_text(), "D udev: ignoring event ? for 0000:03:00.2\n"));
	cr_assert_not_null(strstr(logcap_text(), "D udev: ignoring event add for ?\n"));
}

Test(udev, several_queued_events_are_all_drained_in_one_wakeup)
{
	send_all((const char *const[]){ "add 0000:03:00.0", "add 0000:03:00.1", "add 0000:03:00.2",
					"add 0000:03:00.3", "add 0000:03:00.4", "add 0000:03:00.5",
					"add 0000:03:00.6", "add 0000:03:00.7", NULL });
	turn();
	cr_assert_eq(fake.empty_reads, 1, "%u wakeups", fake.empty_reads);
	cr_assert_str_eq(seen, "add 0000:03:00.0\nadd 0000:03:00.1\nadd 0000:03:00.2\n"
			       "add 0000:03:00.3\nadd 0000:03:00.4\nadd 0000:03:00.5\n"
			       "add 0000:03:00.6\nadd 0000:03:00.7\n");
	/* nothing left: another turn reads nothing */
	turn();
	cr_assert_eq(fake.empty_reads, 1);
}

Test(udev, overflow_reaches_the_overflow_callback)
{
	send_all((const char *const[]){ "!overflow", NULL });
	turn();
	cr_assert_eq(overflows, 1);
	cr_assert_str_eq(seen, "");
}

Test(udev, events_around_an_overflow_are_still_passed_on_before_it_is_reported)
{
	/* on_overflow sees what on_event did: the full rescan it asks for
	 * comes after the events still queued */
	send_all((const char *const[]){ "add 0000:03:00.1", "!overflow", "remove 0000:03:00.2",
					NULL });
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.1\nremove 0000:03:00.2\n");
	cr_assert_eq(overflows, 1);
	cr_assert_eq(fake.empty_reads, 1, "all in one wakeup");
}

Test(udev, overflow_is_reported_once_per_wakeup)
{
	send_all((const char *const[]){ "!overflow", "add 0000:03:00.1", "!overflow", NULL });
	turn();
	cr_assert_eq(overflows, 1);
	send_all((const char *const[]){ "!overflow", NULL });
	turn();
	cr_assert_eq(overflows, 2, "a later overflow is reported again");
}

Test(udev, overflow_without_a_callback_is_logged)
{
	struct udevmon_source src = { fake_read, NULL, &fake };

	udevmon_free(mon);
	mon = udevmon_new_fd(base, fake.fd, &src, on_event, NULL, &fake);
	cr_assert_not_null(mon);
	send_all((const char *const[]){ "!overflow", "add 0000:03:00.1", NULL });
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.1\n");
	cr_assert_not_null(strstr(logcap_text(), "D udev: events were lost"), "%s", logcap_text());
}

/* A receive error ends the wakeup; what is still queued wakes the loop again. */
Test(udev, receive_error_leaves_the_rest_for_the_next_wakeup)
{
	send_all((const char *const[]){ "add 0000:03:00.1", "!error", "add 0000:03:00.2", NULL });
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.1\n");
	cr_assert_not_null(strstr(logcap_text(), "D udev: receive: Input/output error\n"), "%s",
			   logcap_text());
	turn();
	cr_assert_str_eq(seen, "add 0000:03:00.1\nadd 0000:03:00.2\n");
	cr_assert_eq(overflows, 0);
}

static int freed;

static void fake_free(void *ctx)
{
	cr_assert_eq(ctx, &fake);
	freed++;
}

Test(udev, free_hands_the_source_back_to_its_free)
{
	struct udevmon_source src = { fake_read, fake_free, &fake };

	udevmon_free(mon);
	mon = udevmon_new_fd(base, fake.fd, &src, on_event, on_overflow, &fake);
	cr_assert_not_null(mon);
	freed = 0;
	udevmon_free(mon);
	mon = NULL;
	cr_assert_eq(freed, 1);
}
