/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-notify.c: readiness told to the service manager over
 * $NOTIFY_SOCKET, as systemd listens for it: a datagram socket at a path
 * or in the abstract namespace ("@name"). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static char dir[] = "/tmp/vb-notify.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/notify", dir);
	unlink(p);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

TestSuite(notify, .init = setup, .fini = teardown);

/* A socket like the service manager's at name (a path or "@abstract"). */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0, "%s",
		     strerror(errno));
	return fd;
}

static void expect_message(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	cr_assert_gt(n, 0, "nothing received: %s", strerror(errno));
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

Test(notify, ready_reaches_a_socket_at_a_path)
{
	char name[128];
	int fd;

	snprintf(name, sizeof(name), "%s/notify", dir);
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	cr_assert_eq(notify_service_manager("READY=1\nSTATUS=devices reconciled"), 1);
	expect_message(fd, "READY=1\nSTATUS=devices reconciled");
	close(fd);
}

Test(notify, stopping_reaches_an_abstract_socket)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@vfiobind-test-notify-%d", (int)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	cr_assert_eq(notify_service_manager("STOPPING=1"), 1);
	expect_message(fd, "STOPPING=1");
	close(fd);
}

Test(notify, nothing_is_sent_when_not_asked_and_bad_names_are_refused)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_service_manager("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	cr_assert_eq(notify_service_manager("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	cr_assert_eq(notify_service_manager("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	cr_assert_eq(notify_service_manager("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/vfiobind/notify", 1);
	cr_assert_eq(notify_service_manager("READY=1"), -ENOENT);
}
