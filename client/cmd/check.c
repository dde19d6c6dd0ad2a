/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/check.c: `vfiobind check`, the preflight. Runs WITHOUT the daemon: the
 * checks are system/check.c's (the reading half of the system layer); this
 * file only parses the options and prints one line per finding:
 *     ok    iommu: on (intel_iommu=on in /proc/cmdline)
 *     fail  0000:03:00.0: blocked: eth0 has 10.0.0.5/24 and the default route (line 2)
 *           hint: free it first, or force=yes on line 2 takes it anyway
 * or, with --json, an array of {level, subject, message, hint}. Exit 1 on
 * any fail, 0 otherwise, 2 on a usage error. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "check.h"
#include "client.h"
#include "util.h"

#define CHECK_DEFAULT_CONFIG SYSCONFDIR "/vfiobind/vfiobind.conf"

static void check_print_text(const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct check_finding *f = &r->v[i];

		printf("%-5s %s: %s\n", check_level_name(f->level), f->subject, f->message);
		if (f->hint[0])
			printf("      hint: %s\n", f->hint);
	}
}

static int check_print_json(const struct check_report *r)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct check_finding *f = &r->v[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			json_object_put(arr);
			return -1;
		}
		json_object_object_add(o, PROTO_K_LEVEL,
				       json_object_new_string(check_level_name(f->level)));
		json_object_object_add(o, PROTO_K_SUBJECT, json_object_new_string(f->subject));
		json_object_object_add(o, PROTO_K_MESSAGE, json_object_new_string(f->message));
		json_object_object_add(o, PROTO_K_HINT,
				       f->hint[0] ? json_object_new_string(f->hint) : NULL);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	return 0;
}

/* The daemon's rule: --node-name, else $NODE_NAME, else the host name. */
static const char *default_node(char *buf, size_t size)
{
	const char *env = getenv("NODE_NAME");
	struct utsname u;

	if (env && *env)
		return env;
	if (uname(&u) < 0)
		return "localhost";
	util_strlcpy(buf, u.nodename, size);
	return buf;
}

static int check_exec(struct client *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sysfs-root", required_argument, NULL, 'S' },
		{ "proc-root", required_argument, NULL, 'P' },
		{ "dev-root", required_argument, NULL, 'D' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		/* Accepted as every command accepts it (vfiobind(1)); check
		 * prints no colour anyway. */
		{ "no-color", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts o = {
		.sysfs_root = "/sys",
		.proc_root = "/proc",
		.config_path = CHECK_DEFAULT_CONFIG,
	};
	struct check_report r;
	char host[256];
	bool json = c->json;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.config_path = optarg; break;
		case 'S': o.sysfs_root = optarg; break;
		case 'P': o.proc_root = optarg; break;
		case 'D': o.dev_root = optarg; break;
		case 'N': o.node_name = optarg; break;
		case 'j': json = true; break;
		case 'n': break;
		case 'h':
			printf("Usage: vfiobind check %s\n\n%s", cmd_check_entry.usage,
			       cmd_check_entry.help);
			return CLIENT_EXIT_OK;
		default:
			return client_usage_error(&cmd_check_entry,
						  "unknown option or missing value: %s",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return client_usage_error(&cmd_check_entry, "check: too many arguments");
	if (!o.node_name)
		o.node_name = default_node(host, sizeof(host));
	if (check_run(&o, &r) < 0) {
		fprintf(stderr, "vfiobind: check: out of memory\n");
		return CLIENT_EXIT_FAIL;
	}
	if (!json) {
		check_print_text(&r);
	} else if (check_print_json(&r) < 0) {
		check_report_clear(&r);
		fprintf(stderr, "vfiobind: check: out of memory\n");
		return CLIENT_EXIT_FAIL;
	}
	rc = check_exit_code(&r) ? CLIENT_EXIT_FAIL : CLIENT_EXIT_OK;
	check_report_clear(&r);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.summary = "preflight: IOMMU, vfio modules, config and each device, without the daemon",
	.usage = "[--config PATH] [--sysfs-root DIR] [--proc-root DIR] [--dev-root DIR] "
		 "[--node-name NAME] [--json]",
	.help = "Checks what vfiobindd needs, one line per finding (ok, warn or fail) with a\n"
		"hint where one helps: the IOMMU is on (with the kernel command line), the\n"
		"vfio and vfio-pci modules are loaded or available, the config is valid, each\n"
		"device a line claims on this node is present and could be moved (SR-IOV\n"
		"capacity for numvfs=, IOMMU group viable, not in use: an interface up with\n"
		"an address or route, or under a bond, bridge, VLAN or macvlan that has one;\n"
		"a mounted disk, a swap, a dm/md holder, or a filesystem, RAID or LVM\n"
		"signature on a disk that is not mounted), and whether a device's own\n"
		"driver is in the initramfs (then it grabs the device at boot).\n"
		"Works without the daemon: it reads sysfs, proc and the config itself.\n"
		"\n"
		"Options:\n"
		"  -c, --config PATH     config file (default " CHECK_DEFAULT_CONFIG ")\n"
		"      --sysfs-root DIR  sysfs root (default /sys)\n"
		"      --proc-root DIR   proc root (default /proc)\n"
		"      --dev-root DIR    block device nodes probed for signatures (default /dev\n"
		"                        with the real /sys, none with another sysfs root)\n"
		"      --node-name NAME  this node's name (default $NODE_NAME, else host name)\n"
		"  -j, --json            an array of {level, subject, message, hint}\n"
		"      --no-color        accepted; check prints no colour\n"
		"\n"
		"Exit status: 1 when any finding is a fail, else 0; 2 on a usage error.\n",
	.opts = CMD_OPT_LOCAL,
	.args_min = 0,
	.args_max = -1,
	.exec = check_exec,
};
