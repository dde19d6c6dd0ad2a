/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd/devices.c: `vfiobind devices [SELECTOR]`, every PCI function the
 * daemon sees, whether or not a config line claims it. */
#include "client.h"

static void devices_print(const struct client *c, json_object *result)
{
	json_object *devices = NULL;

	proto_args_array(result, PROTO_R_DEVICES, false, &devices);
	out_put(stdout, out_devices_text(devices, &c->style));
	/* Without IOMMU groups vfio-pci can bind but no VM can use the device. */
	if (out_bool(result, PROTO_R_IOMMU) == 0)
		fputs("vfiobind: warning: the kernel has no IOMMU groups; enable the IOMMU "
		      "(intel_iommu=on or amd_iommu=on) for vfio-pci to be usable\n", stderr);
}

static int devices_exec(struct client *c, int argc, char **argv)
{
	json_object *args = NULL;
	const char *sel;
	char bdf[BDF_BUFSZ];

	if (argc == 1) {
		sel = out_device_arg(argv[0], bdf);
		if (!sel)
			return client_usage_error(&cmd_devices_entry,
						  "not a PCI address or KEY=VALUE selector: %s",
						  argv[0]);
		if (client_args_add(&args, PROTO_A_SELECTOR, json_object_new_string(sel)) < 0)
			return client_oom(args);
	}
	return client_run(c, PROTO_CMD_DEVICES, args, devices_print);
}

const struct cmd_entry cmd_devices_entry = {
	.name = "devices",
	.cmd = PROTO_CMD_DEVICES,
	.usage = "[SELECTOR]",
	.help = "SELECTOR narrows the list, in the config file's DEVICE syntax: a PCI\n"
		"address, id=VVVV:DDDD, class=0xCCCCCC[/0xMMMMMM], ifname=NAME or pf=BDF.\n"
		"Columns: DEVICE, ID (vendor:device), CLASS, DRIVER, OVERRIDE\n"
		"(driver_override), GROUP (IOMMU group), NUMA, SRIOV (numvfs/totalvfs of\n"
		"a PF, or \"vf N\"), IFNAMES, CLAIMED (the config line that claims it).\n"
		"Then a line for each process that holds a listed function open:\n"
		"\"0000:03:00.1 held by pid 4242 (qemu-system-x86, uid 107) through /dev/vfio/14\".\n",
	.args_min = 0,
	.args_max = 1,
	.exec = devices_exec,
};
