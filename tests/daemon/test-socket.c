/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-socket.c: the control socket end to end, command by command. The
 * real `vfiobind` client talks to the real daemon, tests/daemon/vfiobindd-fake
 * (daemon/main.c and every library, only the kernel faked by tests/lib/fakesys),
 * on a fake sysfs tree, so binds really happen and the test reads their outcome
 * in the tree: every client command, edits that keep the rest of the file byte
 * for byte, and a read-only ConfigMap. Permissions and hostile clients are in
 * test-socket-hostile.c, the shared fixture in socket-helpers.c. After each
 * test the daemon must still answer, still be alive, exit 0 on SIGTERM, and its
 * log must carry no sanitizer report. Nothing here touches the real /sys. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakesys.h"
#include "socket-helpers.h"
#include "util.h"
#include "fileio.h"

TestSuite(socket, .init = sock_setup, .fini = sock_teardown, .timeout = 60);

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* ==== 1. every client command against the daemon on the fake kernel ==== */

Test(socket, status_is_converged_once_the_daemon_binds_a_default_line)
{
	json_object *j, *devs, *e, *v;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert(sock_wait_converged(5000), "status never converged");
	j = sock_vb_json(&rc, "status", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 1);
	e = json_object_array_get_idx(devs, 0);
	cr_assert(json_object_object_get_ex(e, "device", &v));
	cr_assert_str_eq(json_object_get_string(v), NIC0);
	cr_assert(json_object_object_get_ex(e, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "converged");
	cr_assert(json_object_object_get_ex(e, "original_driver", &v));
	cr_assert_str_eq(json_object_get_string(v), "e1000e");
	json_object_put(j);
	sock_assert_driver(NIC1, "e1000e");
	sock_assert_daemon_healthy();
}

static json_object *find_dev(json_object *devs, const char *bdf)
{
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *e = json_object_array_get_idx(devs, i), *v;

		if (json_object_object_get_ex(e, "device", &v) &&
		    strcmp(json_object_get_string(v), bdf) == 0)
			return e;
	}
	return NULL;
}

Test(socket, devices_lists_every_function_its_driver_and_group)
{
	static const struct { const char *bdf, *driver; int group; } want[] = {
		{ NIC0, "vfio-pci", 1 }, { NIC1, "e1000e", 2 }, { NIC2, "e1000e", 3 },
	};
	json_object *j, *devs, *v;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	j = sock_vb_json(&rc, "devices", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 3);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		json_object *e = find_dev(devs, want[i].bdf);

		cr_assert_not_null(e, "%s not listed", want[i].bdf);
		cr_assert(json_object_object_get_ex(e, "driver", &v));
		cr_assert_str_eq(json_object_get_string(v), want[i].driver);
		cr_assert(json_object_object_get_ex(e, "iommu_group", &v));
		cr_assert_eq(json_object_get_int(v), want[i].group);
	}
	cr_assert(json_object_object_get_ex(find_dev(devs, NIC0), "claimed", &v));
	cr_assert(strstr(json_object_get_string(v), "vfiobind.conf:1"), "%s",
		  json_object_get_string(v));
	json_object_put(j);

	/* a selector lists only what it selects */
	j = sock_vb_json(&rc, "devices", "ifname=eth1");
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "devices", &devs));
	cr_assert_eq(json_object_array_length(devs), 1);
	cr_assert_not_null(find_dev(devs, NIC1));
	json_object_put(j);
	sock_assert_daemon_healthy();
}

Test(socket, config_shows_its_source_and_each_entry_with_file_and_line)
{
	json_object *j, *v, *entries;
	char want[256];
	int rc;

	sock_start("# two lines\nDEFAULT " NIC0 "\nworker-9 " NIC1 "\n");
	j = sock_vb_json(&rc, "config", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "source", &v));
	cr_assert_str_eq(json_object_get_string(v), sock_d.conf);
	cr_assert(json_object_object_get_ex(j, "entries", &entries));
	cr_assert_eq(json_object_array_length(entries), 2);
	for (int i = 0; i < 2; i++) {
		json_object *e = json_object_array_get_idx(entries, (size_t)i);

		cr_assert(json_object_object_get_ex(e, "line", &v));
		cr_assert_eq(json_object_get_int(v), i + 2);
		cr_assert(json_object_object_get_ex(e, "where", &v));
		snprintf(want, sizeof(want), "%s:%d", sock_d.conf, i + 2);
		cr_assert_str_eq(json_object_get_string(v), want);
	}
	json_object_put(j);
	sock_assert_daemon_healthy();
}

Test(socket, add_writes_the_line_to_the_file_and_the_device_ends_on_vfio_pci)
{
	char *out, *err, *text;
	int rc;

	sock_start("# mine\n");
	rc = sock_vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 0, "add: %s%s", out, err);
	cr_assert(strstr(out, "added: "), "%s", out);
	free(out);
	free(err);
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert(strncmp(text, "# mine\nDEFAULT " NIC1, 22) == 0, "file now: %s", text);
	free(text);
	sock_assert_driver(NIC1, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	sock_assert_daemon_healthy();
}

Test(socket, remove_puts_the_device_back_on_its_original_driver)
{
	char *out;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	rc = sock_vb(&out, NULL, "remove", NIC0, NULL);
	cr_assert_eq(rc, 0, "%s", out);
	free(out);
	sock_assert_driver(NIC0, "e1000e");
	cr_assert(sock_wait_converged(5000));
	out = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(out, "");
	free(out);
	/* nothing claims it any more: not in status */
	cr_assert_eq(sock_vb(NULL, NULL, "status", NIC0, NULL), 1);
	sock_assert_daemon_healthy();
}

Test(socket, runtime_add_and_remove_leave_the_file_untouched)
{
	static const char conf[] = "# keep me\nDEFAULT " NIC0 "\n";
	json_object *j, *v;
	char *text;
	int rc;

	sock_start(conf);
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC2, NULL), 0);
	sock_assert_driver(NIC2, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	j = sock_vb_json(&rc, "config", NULL);
	cr_assert(json_object_object_get_ex(j, "runtime_modified", &v));
	cr_assert(json_object_get_boolean(v), "config does not say runtime_modified");
	json_object_put(j);
	j = sock_vb_json(&rc, "status", NULL);
	cr_assert(json_object_object_get_ex(j, "devices", &v));
	cr_assert_not_null(find_dev(v, NIC2), "status does not list the runtime line's device");
	json_object_put(j);
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(text, conf, "runtime add touched the file");
	free(text);

	cr_assert_eq(sock_vb(NULL, NULL, "remove", "--runtime", NIC0, NULL), 0);
	sock_assert_driver(NIC0, "e1000e");
	sock_assert_driver(NIC2, "vfio-pci");
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(text, conf, "runtime remove touched the file");
	free(text);
	cr_assert(sock_wait_converged(5000));
	sock_assert_daemon_healthy();
}

Test(socket, reload_reads_the_file_again)
{
	json_object *j, *v;
	int rc;

	sock_start("");
	/* written in place behind the daemon's back; reload answers with it */
	write_text(sock_d.conf, "DEFAULT " NIC2 "\nDEFAULT " NIC1 "\n");
	j = sock_vb_json(&rc, "reload", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "entries", &v));
	cr_assert_eq(json_object_get_int(v), 2);
	json_object_put(j);
	sock_assert_driver(NIC2, "vfio-pci");
	sock_assert_driver(NIC1, "vfio-pci");
	/* an invalid file is refused with file:line, the last good one stays */
	write_text(sock_d.conf, "DEFAULT " NIC2 "\nDEFAULT bogus\n");
	{
		char *out, *err;

		cr_assert_eq(sock_vb(&out, &err, "reload", NULL), 1);
		cr_assert(strstr(err, "config-invalid"), "%s", err);
		cr_assert(strstr(err, "vfiobind.conf:2"), "%s", err);
		free(out);
		free(err);
	}
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(socket, a_deleted_config_releases_nothing_and_status_says_so)
{
	char *out, *err;
	json_object *j, *v;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(unlink(sock_d.conf), 0);
	/* The watch sees it go; reload answers what it means. */
	cr_assert_eq(sock_vb(&out, &err, "reload", NULL), 1);
	cr_assert(strstr(err, "not-found"), "%s", err);
	cr_assert(strstr(err, "the last good config stays in force"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(sock_vb(&out, &err, "status", NULL), 0, "%s%s", out, err);
	cr_assert(strstr(out, "warning: "), "%s", out);
	cr_assert(strstr(out, "is missing: the last good config (1 entry) stays in force"), "%s",
		  out);
	free(out);
	free(err);
	j = sock_vb_json(&rc, "config", NULL);
	cr_assert(json_object_object_get_ex(j, "missing", &v));
	cr_assert(json_object_get_boolean(v));
	json_object_put(j);
	sock_assert_driver(NIC0, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(socket, a_config_others_can_write_is_acted_on_and_said_in_status)
{
	char *out, *err;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(chmod(sock_d.conf, 0666), 0);
	cr_assert_eq(sock_vb(&out, &err, "reload", NULL), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(sock_vb(&out, &err, "status", NULL), 0, "%s%s", out, err);
	cr_assert(strstr(out, "warning: "), "%s", out);
	cr_assert(strstr(out, "the file is writable by everyone: whoever can write it decides "
			      "which devices vfiobindd takes"), "%s", out);
	free(out);
	free(err);
	cr_assert(harness_log_has(&sock_d, "whoever can write it decides which devices this "
					   "root daemon"), "the log says it too");
	cr_assert_eq(chmod(sock_d.conf, 0644), 0);
	cr_assert_eq(sock_vb(&out, &err, "reload", NULL), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(sock_vb(&out, &err, "status", NULL), 0, "%s%s", out, err);
	cr_assert_null(strstr(out, "warning: "), "%s", out);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(socket, status_names_a_state_file_kept_aside_until_it_is_removed)
{
	char state[160], *out, *err, *name, *end, aside[256];

	snprintf(state, sizeof(state), "%s/state.json", sock_d.dir);
	write_text(state, "{ \"version\": 1, \"devices\": [ { \"dev");
	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert_eq(sock_vb(&out, &err, "status", NULL), 0, "%s%s", out, err);
	cr_assert(strstr(out, "warning: "), "%s", out);
	cr_assert(strstr(out, "/state.json could not be used and is kept aside as "), "%s", out);
	cr_assert(strstr(out, "none of them is given back"), "%s", out);
	/* The name it gives is the file's, in the run dir. */
	name = strstr(out, "/state.json.bad-");
	cr_assert_not_null(name, "%s", out);
	end = strchr(name, ':');
	cr_assert_not_null(end);
	snprintf(aside, sizeof(aside), "%s%.*s", sock_d.dir, (int)(end - name), name);
	cr_assert_eq(unlink(aside), 0, "%s: %s", aside, strerror(errno));
	free(out);
	free(err);
	cr_assert(harness_log_has(&sock_d, "kept aside as "), "the log does not say it");
	cr_assert_eq(sock_vb(&out, &err, "status", NULL), 0, "%s%s", out, err);
	cr_assert_null(strstr(out, "warning: "), "still warned after its removal: %s", out);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(socket, reconcile_undoes_a_hand_rebind)
{
	char *out, *err;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	/* a person rebinds it (no udev here: only a pass can see it) */
	cr_assert_eq(fakesys_set_driver(sock_fs, NIC0, "e1000e"), 0);
	rc = sock_vb(&out, &err, "reconcile", NULL);
	cr_assert_eq(rc, 0, "reconcile: %s%s", out, err);
	free(out);
	free(err);
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	sock_assert_daemon_healthy();
}

Test(socket, plan_of_a_proposed_file_lists_actions_and_changes_nothing)
{
	char proposed[160], *out, *err, *before, *after;
	unsigned long long digest;
	int rc;

	sock_start("DEFAULT " NIC0 "\n");
	sock_assert_driver(NIC0, "vfio-pci");
	cr_assert(sock_wait_converged(5000));
	snprintf(proposed, sizeof(proposed), "%s/proposed.conf", sock_d.dir);
	write_text(proposed, "DEFAULT " NIC1 "\nDEFAULT " NIC2 "\n");
	before = sock_read_text(sock_d.conf, NULL);
	digest = harness_tree_digest(fakesys_root(sock_fs));
	rc = sock_vb(&out, &err, "plan", "--json", proposed, NULL);
	cr_assert_eq(rc, 0, "plan: %s%s", out, err);
	cr_assert(strstr(out, "\"proposed\":true"), "%s", out);
	cr_assert(strstr(out, "\"kind\":\"bind\""), "%s", out);
	cr_assert(strstr(out, NIC1) && strstr(out, NIC2), "%s", out);
	cr_assert(strstr(out, "\"kind\":\"restore\""), "NIC0 would go back: %s", out);
	free(out);
	free(err);
	after = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(after, before);
	cr_assert_eq(harness_tree_digest(fakesys_root(sock_fs)), digest, "plan changed the tree");
	free(before);
	free(after);
	sock_assert_driver(NIC1, "e1000e");
	sock_assert_daemon_healthy();
}

Test(socket, plan_of_an_invalid_file_names_the_file_and_line)
{
	char proposed[160], want[200], *out, *err;

	sock_start("");
	snprintf(proposed, sizeof(proposed), "%s/proposed.conf", sock_d.dir);
	write_text(proposed, "DEFAULT " NIC1 "\nDEFAULT 03:00:1\n");
	cr_assert_eq(sock_vb(&out, &err, "plan", proposed, NULL), 1);
	snprintf(want, sizeof(want), "%s:2: ", proposed);
	cr_assert(strstr(err, want), "%s", err);
	free(out);
	free(err);
	sock_assert_daemon_healthy();
}

Test(socket, watch_streams_an_event_after_an_add)
{
	char outpath[160], needle[64];
	const char *argv[] = { harness_bin("client/vfiobind"), "--socket", sock_d.sock, "watch", "--json",
			       NULL };
	bool seen = false;
	pid_t pid;

	sock_start("");
	snprintf(outpath, sizeof(outpath), "%s/watch.out", sock_d.dir);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* subscribed once the daemon has logged the watch request */
	snprintf(needle, sizeof(needle), "client pid %d uid 0: watch", (int)pid);
	cr_assert(harness_wait_log(&sock_d, needle, 5000), "watch never subscribed");
	cr_assert_eq(sock_vb(NULL, NULL, "add", NIC2, NULL), 0);
	for (int waited = 0; waited < 5000 && !seen; waited += 10) {
		char *text = NULL;

		if (fileio_read_file(outpath, 1 << 20, &text, NULL) >= 0)
			seen = strstr(text, "\"kind\":\"action\"") && strstr(text, NIC2);
		free(text);
		if (!seen)
			usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	cr_assert(seen, "no action event for %s in the watch stream", NIC2);
	sock_assert_daemon_healthy();
}

Test(socket, version_reports_the_protocol_node_and_sysfs_root)
{
	json_object *j, *v;
	int rc;

	sock_start("");
	j = sock_vb_json(&rc, "version", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "protocol", &v));
	cr_assert_eq(json_object_get_int(v), 1);
	cr_assert(json_object_object_get_ex(j, "node", &v));
	cr_assert_str_eq(json_object_get_string(v), "worker-0");
	cr_assert(json_object_object_get_ex(j, "sysfs_root", &v));
	cr_assert_str_eq(json_object_get_string(v), fakesys_root(sock_fs));
	json_object_put(j);
	sock_assert_daemon_healthy();
}

Test(socket, ping_answers_pong)
{
	json_object *j, *v;
	int rc;

	sock_start("");
	j = sock_vb_json(&rc, "ping", NULL);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "pong", &v) && json_object_get_boolean(v));
	json_object_put(j);
	sock_assert_daemon_healthy();
}

Test(socket, a_fault_armed_by_the_test_reaches_the_daemons_kernel)
{
	char *out = NULL;

	sock_start("");
	/* the daemon attached to this tree's fake kernel: what we arm now, it meets */
	fakesys_fault(sock_fs, FAKESYS_FAULT_BIND, NIC1, -EBUSY, -1);
	fakesys_fault(sock_fs, FAKESYS_FAULT_PROBE_TARGET, NIC1, -EBUSY, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	cr_assert_eq(sock_vb(NULL, NULL, "reconcile", NULL), 1, "reconcile converged through a fault");
	cr_assert_eq(sock_vb(&out, NULL, "status", "--json", NULL), 1);
	cr_assert(strstr(out, "\"last_error\":{"), "no last_error: %s", out);
	free(out);
	sock_assert_driver(NIC1, "e1000e");
	fakesys_clear_faults(sock_fs);
	/* An operator's reconcile retries at once, without waiting out the
	 * backoff, and answers once that bind has finished. */
	cr_assert_eq(sock_vb(NULL, NULL, "reconcile", NULL), 0, "reconcile did not retry at once");
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(socket, a_device_whose_last_action_failed_is_in_error_with_the_kernels_reason)
{
	json_object *j = NULL, *devs, *d = NULL, *v;
	char *out = NULL;
	int rc = 0;

	sock_start("");
	/* e1000e never lets go of NIC1: every try fails the same way */
	fakesys_fault(sock_fs, FAKESYS_FAULT_UNBIND, NIC1, -EBUSY, -1);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0);
	for (int waited = 0; waited < 5000; waited += 20) {
		json_object_put(j);
		j = sock_vb_json(&rc, "status", NULL);
		d = NULL;
		if (json_object_object_get_ex(j, "devices", &devs))
			for (size_t i = 0; i < json_object_array_length(devs) && !d; i++)
				if (json_object_object_get_ex(json_object_array_get_idx(devs, i),
							      "device", &v) &&
				    strcmp(json_object_get_string(v), NIC1) == 0)
					d = json_object_array_get_idx(devs, i);
		if (d && json_object_object_get_ex(d, "failures", &v) && json_object_get_int(v) > 0)
			break;
		usleep(20000);
	}
	cr_assert_not_null(d, "%s", json_object_to_json_string(j));
	cr_assert_eq(rc, 1);
	cr_assert(json_object_object_get_ex(d, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "error", "%s", json_object_to_json_string(d));
	cr_assert(json_object_object_get_ex(d, "reason", &v));
	cr_assert(strstr(json_object_get_string(v), "Device or resource busy"), "%s",
		  json_object_to_json_string(d));
	cr_assert(json_object_object_get_ex(d, "retry_at", &v) && v, "%s",
		  json_object_to_json_string(d));
	cr_assert(json_object_object_get_ex(d, "last_error", &v) &&
		  json_object_is_type(v, json_type_object), "%s", json_object_to_json_string(d));
	json_object_put(j);
	/* the text says so too, with the kernel's words */
	rc = sock_vb(&out, NULL, "status", NULL);
	cr_assert_eq(rc, 1);
	cr_assert(strstr(out, NIC1 "  error"), "%s", out);
	cr_assert(strstr(out, "Device or resource busy"), "%s", out);
	cr_assert(strstr(out, "1 error"), "%s", out);
	free(out);
	sock_assert_driver(NIC1, "e1000e");
	fakesys_clear_faults(sock_fs);
	cr_assert_eq(sock_vb(NULL, NULL, "reconcile", NULL), 0);
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}

Test(socket, status_and_devices_of_hundreds_of_functions_exceed_a_request_line,
     .disabled = HARNESS_TSAN)
{
	enum { N = 600 };
	json_object *j, *devs;
	char *out = NULL, *err = NULL;
	size_t lines = 0;
	int rc;

	/* 600 functions on buses 01.. (8 per bus) beside the three NICs */
	cr_assert_eq(fakesys_populate(sock_fs, N, "e1000e"), 0);
	sock_start("DEFAULT id=8086:10d3\n");
	cr_assert(sock_wait_converged(60000), "never converged");
	rc = sock_vb(&out, &err, "status", NULL);
	cr_assert_eq(rc, 0, "status: exit %d: %s", rc, err);
	for (const char *p = out; (p = strstr(p, "  converged  vfio-pci")); p++)
		lines++;
	cr_assert_eq(lines, N + 3, "%zu converged rows", lines);
	cr_assert(strstr(out, "0000:4b:00.7  converged"), "the last function is missing");
	free(out);
	free(err);
	for (const char *const *cmd = (const char *const[]){ "devices", "status", NULL }; *cmd;
	     cmd++) {
		j = sock_vb_json(&rc, *cmd, NULL);
		cr_assert_eq(rc, 0, "%s", *cmd);
		cr_assert(json_object_object_get_ex(j, "devices", &devs), "%s", *cmd);
		cr_assert_eq(json_object_array_length(devs), N + 3, "%s", *cmd);
		/* the reply line was far over the 64 KiB of a request */
		cr_assert_gt(strlen(json_object_to_json_string(j)), 64 * 1024, "%s", *cmd);
		json_object_put(j);
	}
	sock_assert_daemon_healthy();
}

/* ==== 2. edits keep the rest of the file byte for byte ==== */

/* add, then remove, of NIC0 on a file; returns the canonical line added. */
static void add_remove_roundtrip(const char *conf, const char *after_add_prefix,
				 const char *eol, const char *after_remove)
{
	json_object *j, *v;
	char *text, want[1024];
	int rc;

	sock_start(conf);
	j = sock_vb_json(&rc, "add", NIC0);
	cr_assert_eq(rc, 0);
	cr_assert(json_object_object_get_ex(j, "added", &v));
	snprintf(want, sizeof(want), "%s%s%s", after_add_prefix, json_object_get_string(v), eol);
	json_object_put(j);
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(text, want, "after add");
	free(text);
	sock_assert_driver(NIC0, "vfio-pci");

	cr_assert_eq(sock_vb(NULL, NULL, "remove", NIC0, NULL), 0);
	text = sock_read_text(sock_d.conf, NULL);
	cr_assert_str_eq(text, after_remove, "after remove");
	free(text);
	sock_assert_driver(NIC0, "e1000e");
	sock_assert_daemon_healthy();
}

#define ODD_FILE \
	"# vfiobind.conf, edited by hand\r\n" \
	"   DEFAULT \t " NIC1 "   driver=vfio-pci   # spaced out\r\n" \
	"\r\n" \
	"worker-9\t" NIC2 "\r\n" \
	"#\tlast, \xc3\xa9t\xc3\xa9 \r\n"

Test(socket, add_and_remove_keep_comments_spacing_and_crlf_byte_for_byte)
{
	add_remove_roundtrip(ODD_FILE, ODD_FILE, "\r\n", ODD_FILE);
}

Test(socket, add_to_a_file_without_a_final_newline_keeps_every_other_byte)
{
	/* the last line gets its line end (the file's: LF), nothing else moves */
	add_remove_roundtrip("# c\n  DEFAULT   " NIC1 "  # x\n# no newline",
			     "# c\n  DEFAULT   " NIC1 "  # x\n# no newline\n", "\n",
			     "# c\n  DEFAULT   " NIC1 "  # x\n# no newline\n");
}

/* ==== 3. a ConfigMap is read-only: add says so and points at --runtime ==== */

Test(socket, add_on_a_configmap_is_config_readonly_with_a_runtime_hint)
{
	char data[160], ts[160], link[160], real[200], *out, *err, *before, *after;
	int rc;

	/* what the kubelet makes: NAME -> ..data/NAME, ..data -> ..TIMESTAMP */
	snprintf(ts, sizeof(ts), "%s/cm/..2026_11_25_08_00_00.1", sock_d.dir);
	snprintf(data, sizeof(data), "%s/cm/..data", sock_d.dir);
	snprintf(link, sizeof(link), "%s/cm/vfiobind.conf", sock_d.dir);
	snprintf(real, sizeof(real), "%s/vfiobind.conf", ts);
	snprintf(sock_d.conf, sizeof(sock_d.conf), "%s/cm", sock_d.dir);
	cr_assert_eq(mkdir(sock_d.conf, 0755), 0);
	cr_assert_eq(mkdir(ts, 0755), 0);
	write_text(real, "DEFAULT " NIC0 "\n");
	cr_assert_eq(symlink("..2026_11_25_08_00_00.1", data), 0);
	cr_assert_eq(symlink("..data/vfiobind.conf", link), 0);
	util_strlcpy(sock_d.conf, link, sizeof(sock_d.conf));
	sock_start(NULL);
	sock_assert_driver(NIC0, "vfio-pci");
	before = sock_read_text(real, NULL);

	rc = sock_vb(&out, &err, "add", NIC1, NULL);
	cr_assert_eq(rc, 1, "add on a ConfigMap: exit %d %s%s", rc, out, err);
	cr_assert(strstr(err, "config-readonly"), "%s", err);
	cr_assert(strstr(err, "runtime"), "no hint about --runtime: %s", err);
	free(out);
	free(err);
	rc = sock_vb(&out, &err, "remove", NIC0, NULL);
	cr_assert_eq(rc, 1);
	cr_assert(strstr(err, "config-readonly"), "%s", err);
	free(out);
	free(err);
	after = sock_read_text(real, NULL);
	cr_assert_str_eq(after, before, "the ConfigMap file changed");
	free(before);
	free(after);
	cr_assert_eq(sock_vb(NULL, NULL, "add", "--runtime", NIC1, NULL), 0, "--runtime works there");
	sock_assert_driver(NIC1, "vfio-pci");
	sock_assert_daemon_healthy();
}
