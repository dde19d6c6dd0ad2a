/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-inuse.c: the in-use rule (pure: facts -> the exact reason a user
 * reads), gathering facts from a fake proc root and a fake sysfs tree, and
 * the daemon keeping an in-use NIC blocked until its address goes away. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "fakesys.h"
#include "logcap.h"
#include "stepper.h"
#include "inuse.h"
#include "log.h"
#include "pci.h"
#include "util.h"
#include "pci-scan.h"
#include "inuse-gather.h"


/* --- pure: a hand-made PCI state and facts --------------------------------- */

static struct pci_dev devs[4];
static struct pci_state pci = { .devs = devs, .n = 0, .cap = 4, .iommu_on = true };
static struct inuse_facts facts;
static struct plan_inuse *out;
static size_t n_out;

static void add_dev(const char *bdf, uint32_t class_code, const char *ifname)
{
	struct pci_dev *d = &devs[pci.n++];

	memset(d, 0, sizeof(*d));
	util_strlcpy(d->bdf, bdf, sizeof(d->bdf));
	cr_assert_eq(bdf_parse(bdf, &d->addr), 0);
	d->class_code = class_code;
	d->iommu_group = -1;
	if (ifname)
		util_strlcpy(d->ifnames[d->n_ifnames++], ifname, PCI_IFNAME_MAX);
}

static void pure_setup(void)
{
	pci.n = 0;
	memset(&facts, 0, sizeof(facts));
	out = NULL;
	n_out = 0;
	add_dev("0000:01:00.0", 0x020000, "eth0");	/* NIC */
	add_dev("0000:02:00.0", 0x010802, NULL);	/* NVMe */
	add_dev("0000:03:00.0", 0x030000, NULL);	/* VGA */
}

static void pure_teardown(void)
{
	inuse_facts_clear(&facts);
	free(out);
}

TestSuite(inuse, .init = pure_setup, .fini = pure_teardown);

/* The reason for bdf, or NULL when it is not in use. */
static const char *reason_for(const char *bdf)
{
	const char *const all[] = { "0000:01:00.0", "0000:02:00.0", "0000:03:00.0" };

	free(out);
	out = NULL;
	cr_assert_eq(inuse_compute(&pci, &facts, all, 3, &out, &n_out), 0);
	for (size_t i = 0; i < n_out; i++)
		if (strcmp(out[i].bdf, bdf) == 0)
			return out[i].reason;
	return NULL;
}

static void iface_up(const char *name, bool up)
{
	struct inuse_iface *i = inuse_facts_iface(&facts, name);

	cr_assert_not_null(i);
	i->known = true;
	i->up = up;
}

Test(inuse, nic_with_address_and_default_route_gives_the_exact_reason)
{
	iface_up("eth0", true);
	cr_assert_eq(inuse_facts_add_addr(&facts, "eth0", AF_INET, "10.0.0.5", 24), 0);
	cr_assert_eq(inuse_facts_add_route(&facts, "eth0", "0.0.0.0", 0), 0);
	cr_assert_eq(inuse_facts_add_route(&facts, "eth0", "10.0.0.0", 24), 0);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 has 10.0.0.5/24 and the default route");
}

Test(inuse, nic_with_two_addresses_is_up_with_2_addresses)
{
	iface_up("eth0", true);
	inuse_facts_add_addr(&facts, "eth0", AF_INET, "10.0.0.5", 24);
	inuse_facts_add_addr(&facts, "eth0", AF_INET6, "2001:db8::5", 64);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 is up with 2 addresses");
}

Test(inuse, up_interface_without_address_or_route_is_not_in_use)
{
	iface_up("eth0", true);
	/* Every up interface has an IPv6 link-local address: it does not count. */
	inuse_facts_add_addr(&facts, "eth0", AF_INET6, "fe80::1", 64);
	cr_assert_null(reason_for("0000:01:00.0"));
	cr_assert_eq(n_out, 0);
}

Test(inuse, down_interface_with_an_address_is_not_in_use)
{
	iface_up("eth0", false);
	inuse_facts_add_addr(&facts, "eth0", AF_INET, "10.0.0.5", 24);
	cr_assert_null(reason_for("0000:01:00.0"));
}

Test(inuse, route_without_address_is_in_use)
{
	inuse_facts_add_route(&facts, "eth0", "192.168.0.0", 16);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 carries a route to 192.168.0.0/16");
	inuse_facts_add_route(&facts, "eth0", "::", 0);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 carries the default route");
}

Test(inuse, mount_is_matched_by_major_minor_whatever_the_source_is_called)
{
	inuse_facts_add_block(&facts, "nvme0n1", "259:0", "0000:02:00.0");
	inuse_facts_add_mount(&facts, "259:0", "/dev/mapper/weird-name", "/srv");
	cr_assert_str_eq(reason_for("0000:02:00.0"), "nvme0n1 is mounted on /srv");
}

Test(inuse, mount_with_anonymous_device_number_is_matched_by_source)
{
	/* btrfs shows 0:N in mountinfo */
	inuse_facts_add_block(&facts, "nvme0n1p2", "259:2", "0000:02:00.0");
	inuse_facts_add_mount(&facts, "0:31", "/dev/nvme0n1p2", "/");
	cr_assert_str_eq(reason_for("0000:02:00.0"), "nvme0n1p2 is mounted on /");
}

Test(inuse, swap_and_holder_and_partition_are_all_listed)
{
	inuse_facts_add_block(&facts, "nvme0n1", "259:0", "0000:02:00.0");
	inuse_facts_add_block(&facts, "nvme0n1p2", "259:2", "0000:02:00.0");
	inuse_facts_add_block(&facts, "nvme0n1p3", "259:3", "0000:02:00.0");
	inuse_facts_add_mount(&facts, "259:2", "/dev/nvme0n1p2", "/");
	inuse_facts_add_swap(&facts, "/dev/nvme0n1p3");
	inuse_facts_add_holder(&facts, "nvme0n1", "dm-0");
	cr_assert_str_eq(reason_for("0000:02:00.0"),
			 "nvme0n1 is held by dm-0; nvme0n1p2 is mounted on /; "
			 "nvme0n1p3 is an active swap");
}

Test(inuse, non_storage_class_gets_no_storage_checks)
{
	/* A GPU with a block device under it (say, a USB stick on its hub):
	 * only mass storage functions are checked for disks. */
	inuse_facts_add_block(&facts, "sdb", "8:16", "0000:03:00.0");
	inuse_facts_add_mount(&facts, "8:16", "/dev/sdb", "/mnt");
	cr_assert_null(reason_for("0000:03:00.0"));
}

Test(inuse, devices_not_asked_about_are_not_reported)
{
	const char *const only[] = { "0000:03:00.0", "0000:09:00.0" };

	iface_up("eth0", true);
	inuse_facts_add_addr(&facts, "eth0", AF_INET, "10.0.0.5", 24);
	cr_assert_eq(inuse_compute(&pci, &facts, only, 2, &out, &n_out), 0);
	cr_assert_eq(n_out, 0);
}

Test(inuse, many_reasons_are_cut_visibly)
{
	char name[32];

	for (int i = 1; i <= 30; i++) {
		snprintf(name, sizeof(name), "nvme0n1p%d", i);
		inuse_facts_add_block(&facts, name, "", "0000:02:00.0");
		inuse_facts_add_swap(&facts, name);
	}
	const char *r = reason_for("0000:02:00.0");

	cr_assert_not_null(r);
	cr_assert_lt(strlen(r), sizeof(out[0].reason));
	cr_assert(strstr(r, "; ...") != NULL, "got: %s", r);
}

Test(inuse, one_sentence_too_long_for_the_reason_is_cut_never_dropped)
{
	char target[INUSE_PATH_MAX];

	/* A mount point deeper than the reason has room for: before, the
	 * reason came out empty and the disk counted as not in use. */
	memset(target, 'd', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	for (size_t i = 0; i < sizeof(target) - 1; i += 10)
		target[i] = '/';
	inuse_facts_add_block(&facts, "nvme0n1", "259:0", "0000:02:00.0");
	inuse_facts_add_mount(&facts, "259:0", "/dev/nvme0n1", target);
	const char *r = reason_for("0000:02:00.0");

	cr_assert_not_null(r, "a disk mounted on a long path must stay in use");
	cr_assert(strncmp(r, "nvme0n1 is mounted on /ddddddddd/", 33) == 0, "got: %s", r);
	cr_assert(strstr(r, "...") != NULL, "got: %s", r);
	cr_assert_lt(strlen(r), sizeof(out[0].reason));
}

/* Upper devices: a NIC stacked under a bond, bridge, VLAN or macvlan. */

static void upper(const char *lower, const char *up, const char *kind, bool master)
{
	struct inuse_iface *i = inuse_facts_iface(&facts, up);

	cr_assert_not_null(i);
	util_strlcpy(i->kind, kind, sizeof(i->kind));
	cr_assert_eq(inuse_facts_add_upper(&facts, lower, up, master), 0);
}

Test(inuse, bond_member_is_in_use_when_the_bond_has_an_address)
{
	iface_up("eth0", true);
	upper("eth0", "bond0", "bond", true);
	iface_up("bond0", true);
	inuse_facts_add_addr(&facts, "bond0", AF_INET, "10.0.0.5", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 is a member of bond0, which has 10.0.0.5/24");
}

Test(inuse, the_reason_names_the_whole_chain_up_to_the_device_in_use)
{
	upper("eth0", "br0", "bridge", true);
	upper("br0", "br0.7", "vlan", false);
	inuse_facts_add_addr(&facts, "br0.7", AF_INET, "192.168.7.1", 24);
	inuse_facts_add_route(&facts, "br0.7", "0.0.0.0", 0);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 is a port of br0, which carries VLAN br0.7, which has "
			 "192.168.7.1/24 and the default route");
}

Test(inuse, bond_in_a_bridge_is_followed_through)
{
	upper("eth0", "bond0", "bond", true);
	upper("bond0", "br0", "bridge", true);
	inuse_facts_add_addr(&facts, "br0", AF_INET6, "2001:db8::1", 64);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 is a member of bond0, which is a port of br0, which has "
			 "2001:db8::1/64");
}

Test(inuse, macvlan_vlan_and_unknown_kinds_are_worded_by_kind)
{
	upper("eth0", "mv0", "macvlan", false);
	inuse_facts_add_route(&facts, "mv0", "0.0.0.0", 0);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 carries macvlan mv0, which carries the default route");
	inuse_facts_clear(&facts);
	upper("eth0", "eth0.100", "vlan", false);
	inuse_facts_add_route(&facts, "eth0.100", "10.1.0.0", 16);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 carries VLAN eth0.100, which carries a route to 10.1.0.0/16");
	inuse_facts_clear(&facts);
	/* team sets no DEVTYPE: its master link makes it a member */
	upper("eth0", "team0", "", true);
	inuse_facts_add_addr(&facts, "team0", AF_INET, "10.0.0.5", 24);
	inuse_facts_add_addr(&facts, "team0", AF_INET, "10.0.0.6", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 is a member of team0, which is up with 2 addresses");
	inuse_facts_clear(&facts);
	upper("eth0", "odd0", "", false);
	inuse_facts_add_addr(&facts, "odd0", AF_INET, "10.0.0.5", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 carries odd0, which has 10.0.0.5/24");
}

Test(inuse, upper_without_address_or_route_leaves_the_nic_free)
{
	iface_up("eth0", true);
	upper("eth0", "bond0", "bond", true);
	iface_up("bond0", true);
	inuse_facts_add_addr(&facts, "bond0", AF_INET6, "fe80::1", 64);
	cr_assert_null(reason_for("0000:01:00.0"));
}

Test(inuse, a_down_member_of_a_bond_in_use_is_still_in_use)
{
	/* A bridge port nobody brought up is still configured into the
	 * bridge: unbinding it changes the bridge. */
	iface_up("eth0", false);
	upper("eth0", "br0", "bridge", true);
	iface_up("br0", true);
	inuse_facts_add_addr(&facts, "br0", AF_INET, "10.0.0.1", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"), "eth0 is a port of br0, which has 10.0.0.1/24");
}

Test(inuse, a_down_upper_is_judged_by_the_interface_rule_but_its_uppers_still_count)
{
	upper("eth0", "bond0", "bond", true);
	iface_up("bond0", false);
	inuse_facts_add_addr(&facts, "bond0", AF_INET, "10.0.0.5", 24);
	cr_assert_null(reason_for("0000:01:00.0"));
	upper("bond0", "bond0.5", "vlan", false);
	inuse_facts_add_addr(&facts, "bond0.5", AF_INET, "10.5.0.1", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 is a member of bond0, which carries VLAN bond0.5, which has 10.5.0.1/24");
}

Test(inuse, own_address_and_upper_address_are_both_told)
{
	iface_up("eth0", true);
	inuse_facts_add_addr(&facts, "eth0", AF_INET, "10.9.0.2", 24);
	upper("eth0", "mv0", "macvlan", false);
	inuse_facts_add_addr(&facts, "mv0", AF_INET, "10.9.0.3", 24);
	cr_assert_str_eq(reason_for("0000:01:00.0"),
			 "eth0 has 10.9.0.2/24; eth0 carries macvlan mv0, which has 10.9.0.3/24");
}

Test(inuse, uppers_are_followed_to_a_bounded_depth)
{
	char lo[16], hi[16];

	/* A loop (the kernel refuses one; facts may still say it) ends. */
	upper("eth0", "a0", "bond", true);
	upper("a0", "b0", "bond", true);
	upper("b0", "a0", "bond", true);
	cr_assert_null(reason_for("0000:01:00.0"));
	inuse_facts_clear(&facts);
	/* An address INUSE_UPPER_DEPTH levels up counts; one more does not. */
	for (int k = 0; k <= INUSE_UPPER_DEPTH; k++) {
		snprintf(lo, sizeof(lo), k ? "v%d" : "eth0", k);
		snprintf(hi, sizeof(hi), "v%d", k + 1);
		upper(lo, hi, "vlan", false);
	}
	snprintf(hi, sizeof(hi), "v%d", INUSE_UPPER_DEPTH);
	inuse_facts_add_addr(&facts, hi, AF_INET, "10.0.0.5", 24);
	/* Too long a sentence for the reason: cut at a word, never dropped. */
	cr_assert_not_null(reason_for("0000:01:00.0"));
	cr_assert(strncmp(out[0].reason, "eth0 carries VLAN v1, which carries VLAN v2, ", 45) == 0,
		  "got: %s", out[0].reason);
	cr_assert(strstr(out[0].reason, " ...") != NULL, "got: %s", out[0].reason);
	inuse_facts_clear(&facts);
	for (int k = 0; k <= INUSE_UPPER_DEPTH; k++) {
		snprintf(lo, sizeof(lo), k ? "v%d" : "eth0", k);
		snprintf(hi, sizeof(hi), "v%d", k + 1);
		upper(lo, hi, "vlan", false);
	}
	snprintf(hi, sizeof(hi), "v%d", INUSE_UPPER_DEPTH + 1);
	inuse_facts_add_addr(&facts, hi, AF_INET, "10.0.0.5", 24);
	cr_assert_null(reason_for("0000:01:00.0"));
}

/* Signatures: what libblkid found on a disk nothing mounts. */

static const char *sig_reason_for(const char *type, const char *usage, const char *error)
{
	inuse_facts_clear(&facts);
	inuse_facts_add_block(&facts, "nvme0n1", "259:0", "0000:02:00.0");
	inuse_facts_add_sig(&facts, "nvme0n1", type, usage, error);
	return reason_for("0000:02:00.0");
}

Test(inuse, each_signature_has_its_sentence)
{
	cr_assert_str_eq(sig_reason_for("ext4", "filesystem", NULL),
			 "nvme0n1 has an ext4 filesystem (not mounted)");
	cr_assert_str_eq(sig_reason_for("xfs", "filesystem", NULL),
			 "nvme0n1 has an xfs filesystem (not mounted)");
	cr_assert_str_eq(sig_reason_for("btrfs", "filesystem", NULL),
			 "nvme0n1 has a btrfs filesystem (not mounted)");
	cr_assert_str_eq(sig_reason_for("LVM2_member", "raid", NULL),
			 "nvme0n1 is an LVM physical volume");
	cr_assert_str_eq(sig_reason_for("linux_raid_member", "raid", NULL),
			 "nvme0n1 is a RAID member (linux_raid_member)");
	cr_assert_str_eq(sig_reason_for("isw_raid_member", "raid", NULL),
			 "nvme0n1 is a RAID member (isw_raid_member)");
	cr_assert_str_eq(sig_reason_for("zfs_member", "filesystem", NULL),
			 "nvme0n1 is a volume member (zfs_member)");
	cr_assert_str_eq(sig_reason_for("crypto_LUKS", "crypto", NULL),
			 "nvme0n1 is an encrypted volume (crypto_LUKS)");
	cr_assert_str_eq(sig_reason_for("swap", "other", NULL), "nvme0n1 has a swap signature");
}

Test(inuse, a_probe_that_failed_cannot_tell_and_blocks)
{
	cr_assert_str_eq(sig_reason_for("", "", "open /dev/nvme0n1: Permission denied"),
			 "cannot tell whether nvme0n1 is in use: open /dev/nvme0n1: Permission denied");
}

Test(inuse, a_mounted_filesystem_is_mounted_not_an_unmounted_signature)
{
	inuse_facts_add_block(&facts, "nvme0n1p1", "259:1", "0000:02:00.0");
	inuse_facts_add_mount(&facts, "259:1", "/dev/nvme0n1p1", "/data");
	inuse_facts_add_sig(&facts, "nvme0n1p1", "ext4", "filesystem", NULL);
	cr_assert_str_eq(reason_for("0000:02:00.0"), "nvme0n1p1 is mounted on /data");
}

Test(inuse, only_unjudged_visible_disks_of_storage_functions_asked_about_are_probed)
{
	const char *const all[] = { "0000:01:00.0", "0000:02:00.0", "0000:03:00.0" };
	const char *const nic_only[] = { "0000:01:00.0" };
	size_t *idx = NULL, n_idx = 0;

	inuse_facts_add_block(&facts, "nvme0c0n1", "", "0000:02:00.0");		/* 0: no dev */
	inuse_facts_add_block(&facts, "nvme0n1", "259:0", "0000:02:00.0");	/* 1 */
	inuse_facts_add_block(&facts, "nvme0n1p1", "259:1", "0000:02:00.0");	/* 2: mounted */
	inuse_facts_add_block(&facts, "nvme0n1p2", "259:2", "0000:02:00.0");	/* 3 */
	inuse_facts_add_block(&facts, "nvme0n1p3", "259:3", "0000:02:00.0");	/* 4: hidden */
	inuse_facts_add_block(&facts, "sdb", "8:16", "0000:03:00.0");		/* 5: a GPU's */
	inuse_facts_add_block(&facts, "nvme1n1", "259:9", "");			/* 6: no function */
	facts.blocks[4].hidden = true;
	inuse_facts_add_mount(&facts, "259:1", "/dev/nvme0n1p1", "/boot");
	cr_assert_eq(inuse_to_probe(&pci, &facts, all, 3, &idx, &n_idx), 0);
	cr_assert_eq(n_idx, 2);
	cr_assert_eq(idx[0], 1);
	cr_assert_eq(idx[1], 3);
	free(idx);
	cr_assert_eq(inuse_to_probe(&pci, &facts, nic_only, 1, &idx, &n_idx), 0);
	cr_assert_eq(n_idx, 0);
	cr_assert_null(idx);
}

/* --- gathering from fake roots -------------------------------------------- */

static struct fakesys *fs;
static char procdir[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", procdir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void fake_setup(void)
{
	struct fakesys_dev d;
	char path[128];

	logcap_quiet();
	fs = fakesys_new();
	cr_assert_not_null(fs);
	fakesys_add_driver(fs, "e1000e");
	fakesys_add_driver(fs, "nvme");
	fakesys_add_module(fs, "vfio-pci", NULL);
	fakesys_dev_init(&d, "0000:01:00.0", "e1000e", 1);
	d.ifname = "eth0";
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	fakesys_dev_init(&d, "0000:02:00.0", "nvme", 2);
	d.class_code = 0x010802;
	d.vendor = 0x144d;
	d.device = 0xa808;
	cr_assert_eq(fakesys_add_device(fs, &d), 0);
	snprintf(procdir, sizeof(procdir), "/tmp/vb-inuse-XXXXXX");
	cr_assert_not_null(mkdtemp(procdir));
	snprintf(path, sizeof(path), "%s/net", procdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/self", procdir);
	mkdir(path, 0755);
	memset(&facts, 0, sizeof(facts));
	out = NULL;
}

static void fake_teardown(void)
{
	char cmd[128];

	inuse_facts_clear(&facts);
	free(out);
	fakesys_free(fs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", procdir);
	cr_assert_eq(system(cmd), 0);
	logcap_stop();
}

TestSuite(inuse_gather, .init = fake_setup, .fini = fake_teardown, .timeout = 60);

static const char *gathered_reason(const char *bdf)
{
	struct pci_state *st = NULL;
	const char *const one[] = { bdf };

	inuse_facts_clear(&facts);
	cr_assert_eq(inuse_gather(procdir, fakesys_root(fs), &facts), 0);
	cr_assert_eq(pci_scan(fakesys_root(fs), &st), 0);
	free(out);
	out = NULL;
	cr_assert_eq(inuse_compute(st, &facts, one, 1, &out, &n_out), 0);
	pci_state_free(st);
	return n_out ? out[0].reason : NULL;
}

Test(inuse_gather, routes_and_addresses_from_the_proc_root)
{
	put("net/ifaddrs", "# test seam\neth0 up 10.0.0.5/24 fe80::1/64\nlo up 127.0.0.1/8\n");
	put("net/route",
	    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	    "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	    "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	cr_assert_str_eq(gathered_reason("0000:01:00.0"),
			 "eth0 has 10.0.0.5/24 and the default route");
}

Test(inuse_gather, ipv6_link_local_multicast_and_local_routes_do_not_count)
{
	put("net/ifaddrs", "eth0 up\n");
	put("net/ipv6_route",
	    "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n"
	    "ff000000000000000000000000000000 08 00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00000100 00000003 00000000 00000001     eth0\n"
	    "fe8000000000000000fc00fffe000001 80 00000000000000000000000000000000 00 "
	    "00000000000000000000000000000000 00000000 00000002 00000000 80200001     eth0\n");
	cr_assert_null(gathered_reason("0000:01:00.0"));
	put("net/ipv6_route",
	    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
	    "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n");
	cr_assert_str_eq(gathered_reason("0000:01:00.0"), "eth0 carries the default route");
}

Test(inuse_gather, nvme_partition_mounted_swap_and_holder_from_the_fake_tree)
{
	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0n1", "259:0"), 0);
	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0n1/nvme0n1p1",
				       "259:1"), 0);
	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0n1/nvme0n1p2",
				       "259:2"), 0);
	cr_assert_eq(fakesys_add_holder(fs, "nvme0n1p2", "dm-0"), 0);
	put("self/mountinfo",
	    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	    "29 1 259:1 / /boot\\040efi rw,relatime shared:1 - vfat /dev/disk/by-uuid/X rw\n");
	put("swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		     "/dev/nvme0n1p9                          partition\t1000\t0\t-2\n");
	cr_assert_str_eq(gathered_reason("0000:02:00.0"),
			 "nvme0n1p1 is mounted on /boot efi; nvme0n1p2 is held by dm-0");
}

Test(inuse_gather, sata_and_virtio_layouts_map_to_their_function)
{
	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0",
				       "ata1/host0/target0:0:0/0:0:0:0/block/sda", "8:0"), 0);
	put("swaps", "Filename Type Size Used Priority\n/dev/sda partition 1 0 -2\n");
	cr_assert_str_eq(gathered_reason("0000:02:00.0"), "sda is an active swap");
}

Test(inuse_gather, nothing_in_use_on_a_quiet_tree)
{
	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0n1", "259:0"), 0);
	cr_assert_null(gathered_reason("0000:02:00.0"));
	cr_assert_null(gathered_reason("0000:01:00.0"));
}

Test(inuse_gather, bond_member_from_the_fake_tree)
{
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "bond0", "bond", true), 0);
	put("net/ifaddrs", "eth0 up\nbond0 up 10.0.0.5/24 fe80::1/64\n");
	cr_assert_str_eq(gathered_reason("0000:01:00.0"), "eth0 is a member of bond0, which has 10.0.0.5/24");
	/* ip link set eth0 nomaster */
	cr_assert_eq(fakesys_remove_upper(fs, "eth0", "bond0"), 0);
	cr_assert_null(gathered_reason("0000:01:00.0"));
}

Test(inuse_gather, chain_of_uppers_from_the_fake_tree_in_a_stable_order)
{
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "bond0", "bond", true), 0);
	cr_assert_eq(fakesys_add_upper(fs, "bond0", "br0", "bridge", true), 0);
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "mv1", "macvlan", false), 0);
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "mv0", "macvlan", false), 0);
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "eth0.9", "vlan", false), 0);
	put("net/ifaddrs", "bond0 up\nbr0 up 10.0.0.1/24\nmv0 up 10.1.0.1/24\n"
			   "mv1 up 10.1.0.2/24\neth0.9 down 10.2.0.1/24\n");
	cr_assert_str_eq(gathered_reason("0000:01:00.0"),
			 "eth0 is a member of bond0, which is a port of br0, which has 10.0.0.1/24; "
			 "eth0 carries macvlan mv0, which has 10.1.0.1/24; "
			 "eth0 carries macvlan mv1, which has 10.1.0.2/24");
}

Test(inuse_gather, vlan_with_a_route_only_from_the_fake_tree)
{
	cr_assert_eq(fakesys_add_upper(fs, "eth0", "eth0.7", "vlan", false), 0);
	put("net/route", "Iface Destination Gateway Flags RefCnt Use Metric Mask\n"
			 "eth0.7 0000A8C0 00000000 0001 0 0 0 0000FFFF\n");
	cr_assert_str_eq(gathered_reason("0000:01:00.0"),
			 "eth0 carries VLAN eth0.7, which carries a route to 192.168.0.0/16");
}

Test(inuse_gather, fake_sysfs_gets_no_proc_root_by_default)
{
	cr_assert_null(inuse_default_proc_root(fakesys_root(fs)));
	cr_assert_not(inuse_is_real_sysfs(fakesys_root(fs)));
}

Test(inuse_gather, bad_ifaddrs_line_is_rejected)
{
	put("net/ifaddrs", "eth0 sideways\n");
	char path[128];

	snprintf(path, sizeof(path), "%s/net/ifaddrs", procdir);
	cr_assert_eq(inuse_gather_net_from(path, &facts), -EINVAL);
}

/* --- the daemon: blocked while in use, bound once the reason goes away ---- */

static struct event_base *base;
static struct stepper step;

static bool nic_on_vfio(void)
{
	char *d = fakesys_driver(fs, "0000:01:00.0");
	bool r = d && strcmp(d, "vfio-pci") == 0;

	free(d);
	return r;
}

/* An engine on the fake tree, its in-use facts from the fake proc root. */
static struct engine *make_engine(const char *conf_text, bool dry, bool once)
{
	static char conf[128];
	static struct sysfs_ops kops;
	static struct modules_ops mops;
	struct engine_opts o = {
		.config_path = conf, .sysfs_root = fakesys_root(fs), .proc_root = procdir,
		.node_name = "worker-0", .coalesce_ms = 10, .workers = 1, .dry_run = dry,
		.sysfs = &kops, .modules = &mops,
		/* --once runs its own loop on the system's clock */
		.clock = once ? NULL : &step.clock,
	};

	kops = fakesys_kernel_ops(fs);
	mops = fakesys_modules_ops(fs);
	snprintf(conf, sizeof(conf), "%s/vfiobind.conf", procdir);
	put("vfiobind.conf", conf_text);
	evthread_use_pthreads();
	base = event_base_new();
	stepper_init(&step, base);
	step.eng = engine_new(base, &o);
	return step.eng;
}

Test(inuse_gather, engine_blocks_an_in_use_nic_and_binds_it_once_the_address_is_gone)
{
	const struct devtab_entry *info;
	struct engine *eng;

	put("net/ifaddrs", "eth0 up 10.0.0.5/24\n");
	put("net/route", "Iface Destination Gateway Flags RefCnt Use Metric Mask\n"
			 "eth0 00000000 0100000A 0003 0 0 0 00000000\n");
	eng = make_engine("worker-0 0000:01:00.0\n", false, false);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&step);
	info = engine_dev_info(eng, "0000:01:00.0");
	cr_assert_not_null(info);
	cr_assert_eq(info->state, PROTO_STATE_BLOCKED);
	cr_assert_eq(info->reason_hash, devtab_reason_hash("eth0 has 10.0.0.5/24 and the default route"), "told: %s", "eth0 has 10.0.0.5/24 and the default route");
	cr_assert_not(nic_on_vfio());

	/* The operator moves the address and route elsewhere: next pass binds. */
	put("net/ifaddrs", "eth0 up\n");
	put("net/route", "Iface Destination Gateway Flags RefCnt Use Metric Mask\n");
	engine_request_pass(eng, false, "test");
	stepper_settle(&step);
	cr_assert(nic_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(inuse_gather, in_use_device_is_rechecked_without_any_event)
{
	struct engine *eng;

	put("net/ifaddrs", "eth0 up 10.0.0.5/24\n");
	eng = make_engine("worker-0 0000:01:00.0\n", false, false);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&step);
	cr_assert_eq(engine_dev_info(eng, "0000:01:00.0")->state, PROTO_STATE_BLOCKED);
	/* No udev event, no request: the address goes away and the in-use
	 * re-check timer alone brings the next pass, ENGINE_INUSE_RECHECK_MS
	 * after the last one (the first, at start). */
	put("net/ifaddrs", "eth0 up\n");
	stepper_advance(&step, STEPPER_START_MS + ENGINE_INUSE_RECHECK_MS - 1 - step.mono);
	cr_assert_not(nic_on_vfio(), "re-checked before the interval");
	stepper_advance(&step, 1);
	stepper_settle(&step);
	cr_assert(nic_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(inuse_gather, engine_blocks_a_bond_member_and_binds_it_once_released)
{
	const struct devtab_entry *info;
	struct engine *eng;

	cr_assert_eq(fakesys_add_upper(fs, "eth0", "bond0", "bond", true), 0);
	put("net/ifaddrs", "eth0 up\nbond0 up 10.0.0.5/24\n");
	eng = make_engine("worker-0 0000:01:00.0\n", false, false);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_start(eng), 0);
	stepper_settle(&step);
	info = engine_dev_info(eng, "0000:01:00.0");
	cr_assert_eq(info->state, PROTO_STATE_BLOCKED);
	cr_assert_eq(info->reason_hash, devtab_reason_hash("eth0 is a member of bond0, which has 10.0.0.5/24"), "told: %s", "eth0 is a member of bond0, which has 10.0.0.5/24");
	cr_assert_not(nic_on_vfio());
	/* ip link set eth0 nomaster: the re-check binds it, no event needed */
	cr_assert_eq(fakesys_remove_upper(fs, "eth0", "bond0"), 0);
	stepper_advance(&step, ENGINE_INUSE_RECHECK_MS);
	stepper_settle(&step);
	cr_assert(nic_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(inuse_gather, force_yes_takes_an_in_use_nic)
{
	struct engine *eng;

	put("net/ifaddrs", "eth0 up 10.0.0.5/24\n");
	eng = make_engine("worker-0 0000:01:00.0 force=yes\n", false, true);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_run_once(eng), 0);
	cr_assert(nic_on_vfio());
	engine_free(eng);
	event_base_free(base);
}

Test(inuse_gather, mounted_nvme_is_blocked_in_a_dry_run_too)
{
	const struct devtab_entry *info;
	struct engine *eng;

	cr_assert_eq(fakesys_add_block(fs, "0000:02:00.0", "nvme/nvme0/nvme0n1", "259:0"), 0);
	put("self/mountinfo", "29 1 259:0 / /data rw - xfs /dev/nvme0n1 rw\n");
	eng = make_engine("worker-0 0000:02:00.0\n", true, true);
	cr_assert_not_null(eng);
	cr_assert_eq(engine_run_once(eng), 1);
	info = engine_dev_info(eng, "0000:02:00.0");
	cr_assert_not_null(info);
	cr_assert_eq(info->state, PROTO_STATE_BLOCKED);
	cr_assert_eq(info->reason_hash, devtab_reason_hash("nvme0n1 is mounted on /data"), "told: %s", "nvme0n1 is mounted on /data");
	engine_free(eng);
	event_base_free(base);
}
