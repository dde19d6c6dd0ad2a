/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-confedit.c: `add` and `remove` on the config file keep every other
 * byte, write atomically, and refuse read-only places (ConfigMaps). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confedit.h"
#include "util.h"
#include "fileio.h"
#include "confedit-file.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/test-confedit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(confedit, .init = setup, .fini = teardown);

static char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

static void expect_file(const char *path, const char *want)
{
	char *got = NULL;
	size_t len = 0;

	cr_assert_geq(fileio_read_file(path, 1 << 20, &got, &len), 0, "%s", path);
	cr_assert_eq(len, strlen(want), "length %zu, want %zu:\n%s", len, strlen(want), got);
	cr_assert_eq(memcmp(got, want, len), 0, "got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static unsigned dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void selector(const char *text, struct cfg_selector *out)
{
	char line[128], msg[256];
	struct cfg_entry e;

	snprintf(line, sizeof(line), "DEFAULT %s", text);
	cr_assert_eq(config_parse_line(line, 1, &e, msg, sizeof(msg)), 0, "%s", msg);
	*out = e.sel;
	config_entry_clear(&e);
}

static const char base_conf[] =
	"# vfiobind.conf: GPUs for the VMs\n"
	"\n"
	"DEFAULT   0000:03:00.1\tdriver=vfio-pci   # the NIC\n"
	"  # indented comment\n"
	"node-a id=8086:10d3\n"
	"DEFAULT class=0x030000 driver=vfio-pci\n";

Test(confedit, add_appends_and_keeps_every_other_byte)
{
	const char *p = path_in("vfiobind.conf");
	bool replaced = true;

	put(p, base_conf);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", &replaced, NULL), 0);
	cr_assert_not(replaced);
	expect_file(p, "# vfiobind.conf: GPUs for the VMs\n"
		       "\n"
		       "DEFAULT   0000:03:00.1\tdriver=vfio-pci   # the NIC\n"
		       "  # indented comment\n"
		       "node-a id=8086:10d3\n"
		       "DEFAULT class=0x030000 driver=vfio-pci\n"
		       "DEFAULT 0000:04:00.0\n");
}

Test(confedit, add_of_the_same_node_and_selector_replaces_the_line_in_place)
{
	const char *p = path_in("vfiobind.conf");
	bool replaced = false;

	put(p, base_conf);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 03:00.1 driver=igb", &replaced, NULL), 0);
	cr_assert(replaced);
	expect_file(p, "# vfiobind.conf: GPUs for the VMs\n"
		       "\n"
		       "DEFAULT 03:00.1 driver=igb\n"
		       "  # indented comment\n"
		       "node-a id=8086:10d3\n"
		       "DEFAULT class=0x030000 driver=vfio-pci\n");
}

Test(confedit, add_on_another_node_is_a_new_line)
{
	const char *p = path_in("vfiobind.conf");
	bool replaced = true;

	put(p, "node-a id=8086:10d3\n");
	cr_assert_eq(confedit_file_add(p, "node-b id=8086:10d3", &replaced, NULL), 0);
	cr_assert_not(replaced);
	expect_file(p, "node-a id=8086:10d3\nnode-b id=8086:10d3\n");
}

Test(confedit, add_creates_a_missing_file)
{
	const char *p = path_in("new.conf");

	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	expect_file(p, "DEFAULT 0000:04:00.0\n");
}

Test(confedit, add_to_a_file_without_trailing_newline_ends_the_last_line_first)
{
	const char *p = path_in("vfiobind.conf");

	put(p, "# no newline at the end\nDEFAULT 0000:03:00.1");
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	expect_file(p, "# no newline at the end\nDEFAULT 0000:03:00.1\nDEFAULT 0000:04:00.0\n");
}

Test(confedit, crlf_files_stay_crlf)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_selector s;
	unsigned removed = 0;

	put(p, "# windows\r\nDEFAULT 0000:03:00.1\r\nDEFAULT 0000:03:00.2\r\n");
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	expect_file(p, "# windows\r\nDEFAULT 0000:03:00.1\r\nDEFAULT 0000:03:00.2\r\n"
		       "DEFAULT 0000:04:00.0\r\n");
	selector("0000:03:00.1", &s);
	cr_assert_eq(confedit_file_remove(p, NULL, &s, &removed, NULL), 0);
	cr_assert_eq(removed, 1);
	expect_file(p, "# windows\r\nDEFAULT 0000:03:00.2\r\nDEFAULT 0000:04:00.0\r\n");
}

Test(confedit, remove_drops_matching_lines_and_keeps_the_rest)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_selector s;
	unsigned removed = 0;

	put(p, base_conf);
	selector("03:00.1", &s); /* short form matches the long one */
	cr_assert_eq(confedit_file_remove(p, NULL, &s, &removed, NULL), 0);
	cr_assert_eq(removed, 1);
	expect_file(p, "# vfiobind.conf: GPUs for the VMs\n"
		       "\n"
		       "  # indented comment\n"
		       "node-a id=8086:10d3\n"
		       "DEFAULT class=0x030000 driver=vfio-pci\n");
}

Test(confedit, remove_with_a_node_only_touches_that_node)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_selector s;
	unsigned removed = 9;

	put(p, "node-a id=8086:10d3\nnode-b id=8086:10d3\n");
	selector("id=8086:10d3", &s);
	cr_assert_eq(confedit_file_remove(p, "node-b", &s, &removed, NULL), 0);
	cr_assert_eq(removed, 1);
	expect_file(p, "node-a id=8086:10d3\n");
	cr_assert_eq(confedit_file_remove(p, "node-c", &s, &removed, NULL), 0);
	cr_assert_eq(removed, 0);
	expect_file(p, "node-a id=8086:10d3\n");
}

Test(confedit, remove_of_the_last_line_without_newline)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_selector s;
	unsigned removed = 0;

	put(p, "DEFAULT 0000:03:00.2\nDEFAULT 0000:03:00.1");
	selector("0000:03:00.1", &s);
	cr_assert_eq(confedit_file_remove(p, NULL, &s, &removed, NULL), 0);
	cr_assert_eq(removed, 1);
	expect_file(p, "DEFAULT 0000:03:00.2\n");
}

Test(confedit, remove_on_a_missing_file_is_enoent)
{
	struct cfg_selector s;

	selector("0000:03:00.1", &s);
	cr_assert_eq(confedit_file_remove(path_in("nope.conf"), NULL, &s, NULL, NULL), -ENOENT);
}

Test(confedit, edits_leave_no_temp_file_behind)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_selector s;

	put(p, base_conf);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	selector("0000:04:00.0", &s);
	cr_assert_eq(confedit_file_remove(p, NULL, &s, NULL, NULL), 0);
	cr_assert_eq(dir_entries(), 1);
	expect_file(p, base_conf);
}

Test(confedit, the_file_keeps_its_mode)
{
	const char *p = path_in("vfiobind.conf");
	struct stat st;

	put(p, base_conf);
	cr_assert_eq(chmod(p, 0640), 0);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);
}

Test(confedit, an_edit_that_would_make_the_file_invalid_changes_nothing)
{
	const char *p = path_in("vfiobind.conf");
	const char *bad = "DEFAULT 0000:03:00.1\nDEFAULT bogus-device\n";
	struct cfg_errors errs = { 0 };

	put(p, bad);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, &errs), -EINVAL);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 2);
	cfg_errors_clear(&errs);
	expect_file(p, bad);
	cr_assert_eq(dir_entries(), 1);
}

Test(confedit, a_line_that_does_not_parse_is_einval)
{
	const char *p = path_in("vfiobind.conf");
	struct cfg_errors errs = { 0 };

	put(p, base_conf);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0 colour=blue", NULL, &errs), -EINVAL);
	cr_assert_eq(errs.n, 1);
	cfg_errors_clear(&errs);
	expect_file(p, base_conf);
}

/* A Kubernetes ConfigMap volume, as the kubelet lays it out. */
static const char *make_configmap(void)
{
	char *data = path_in("..2024_01_01_00_00_00.1");
	const char *p;

	cr_assert_eq(mkdir(data, 0755), 0);
	put(path_in("..2024_01_01_00_00_00.1/vfiobind.conf"), base_conf);
	cr_assert_eq(symlink("..2024_01_01_00_00_00.1", path_in("..data")), 0);
	p = path_in("vfiobind.conf");
	cr_assert_eq(symlink("..data/vfiobind.conf", p), 0);
	return p;
}

Test(confedit, a_configmap_is_read_only)
{
	const char *p = make_configmap();
	struct cfg_selector s;

	cr_assert_eq(confedit_check_writable(p), -EROFS);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), -EROFS);
	selector("0000:03:00.1", &s);
	cr_assert_eq(confedit_file_remove(p, NULL, &s, NULL, NULL), -EROFS);
	expect_file(p, base_conf);
}

Test(confedit, an_ordinary_symlink_is_followed_and_kept)
{
	const char *real = path_in("real.conf"), *link = path_in("vfiobind.conf");
	struct stat st;

	put(real, base_conf);
	cr_assert_eq(symlink("real.conf", link), 0);
	cr_assert_eq(confedit_check_writable(link), 0);
	cr_assert_eq(confedit_file_add(link, "DEFAULT 0000:04:00.0", NULL, NULL), 0);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link must stay a link");
	cr_assert_eq(st.st_size, (off_t)strlen("real.conf"));
	cr_assert_eq(stat(real, &st), 0);
	cr_assert_eq((size_t)st.st_size, strlen(base_conf) + strlen("DEFAULT 0000:04:00.0\n"));
}

Test(confedit, a_read_only_file_is_erofs_when_permissions_apply)
{
	const char *p = path_in("vfiobind.conf");

	/* root bypasses permission bits; the ConfigMap test covers root. */
	if (geteuid() == 0)
		cr_skip_test("running as root: mode bits do not bind");
	put(p, base_conf);
	cr_assert_eq(chmod(p, 0444), 0);
	cr_assert_eq(confedit_check_writable(p), -EROFS);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), -EROFS);
}

/* A directory on some read-only mount of this machine, or NULL. Only read. */
static char *find_read_only_dir(void)
{
	static char found[256];
	char line[1024], dev[256], mnt[256], type[64], opts[256];
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %255s %63s %255s", dev, mnt, type, opts) != 4)
			continue;
		if ((strncmp(opts, "ro,", 3) == 0 || strcmp(opts, "ro") == 0) &&
		    access(mnt, X_OK) == 0) {
			snprintf(found, sizeof(found), "%s", mnt);
			fclose(f);
			return found;
		}
	}
	if (f)
		fclose(f);
	return NULL;
}

Test(confedit, a_read_only_mount_is_erofs)
{
	char *ro = find_read_only_dir(), p[512];

	if (!ro)
		cr_skip_test("no read-only mount on this machine");
	snprintf(p, sizeof(p), "%s/vfiobind.conf", strcmp(ro, "/") ? ro : "");
	cr_assert_eq(confedit_check_writable(p), -EROFS, "%s", p);
	cr_assert_eq(confedit_file_add(p, "DEFAULT 0000:04:00.0", NULL, NULL), -EROFS);
}

Test(confedit, text_add_is_pure_and_reports_replacement)
{
	char *out = NULL;
	size_t len = 0;
	bool replaced = false;

	cr_assert_eq(confedit_text_add(NULL, 0, "DEFAULT 0000:03:00.1", &out, &len, &replaced), 0);
	cr_assert_str_eq(out, "DEFAULT 0000:03:00.1\n");
	cr_assert_not(replaced);
	free(out);
	cr_assert_eq(confedit_text_add("x\n", 2, "not a line", &out, &len, &replaced), -EINVAL);
}

Test(confedit, duplicates_of_the_target_collapse_into_one_line)
{
	const char *text = "DEFAULT 0000:03:00.1 driver=a\n# keep\nDEFAULT 0000:03:00.1 driver=b\n";
	char *out = NULL;
	bool replaced = false;

	cr_assert_eq(confedit_text_add(text, strlen(text), "DEFAULT 0000:03:00.1 driver=c", &out,
				       NULL, &replaced), 0);
	cr_assert(replaced);
	cr_assert_str_eq(out, "DEFAULT 0000:03:00.1 driver=c\n# keep\n");
	free(out);
}

Test(confedit, runtime_add_and_remove_change_a_copy_only)
{
	const char *text = "DEFAULT 0000:03:00.1\nnode-a id=8086:10d3\n";
	struct config *c = NULL, *added = NULL, *gone = NULL;
	struct cfg_selector s;
	unsigned removed = 0;
	bool replaced = true;
	char msg[256];

	cr_assert_eq(config_parse("f", text, strlen(text), &c, NULL), 0);
	cr_assert_eq(confedit_config_add(c, "DEFAULT 0000:04:00.0 driver=igb", &added, &replaced,
					 msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_not(replaced);
	cr_assert_eq(c->n_entries, 2);
	cr_assert_eq(added->n_entries, 3);
	cr_assert_eq(added->entries[2].line, 3, "numbered after the file's lines");
	cr_assert_str_eq(added->entries[2].driver, "igb");

	selector("id=8086:10d3", &s);
	cr_assert_eq(confedit_config_remove(added, NULL, &s, &gone, &removed), 0);
	cr_assert_eq(removed, 1);
	cr_assert_eq(gone->n_entries, 2);
	cr_assert_eq(added->n_entries, 3);
	config_free(gone);
	config_free(added);

	cr_assert_eq(confedit_config_add(c, "DEFAULT 03:00.1 driver=igb", &added, &replaced, msg,
					 sizeof(msg)), 0);
	cr_assert(replaced);
	cr_assert_eq(added->n_entries, 2);
	cr_assert_eq(added->entries[0].line, 1);
	cr_assert_str_eq(added->entries[0].driver, "igb");
	config_free(added);
	config_free(c);
}

Test(confedit, selectors_compare_by_meaning)
{
	struct cfg_selector a, b;

	selector("03:00.1", &a);
	selector("0000:03:00.1", &b);
	cr_assert(config_selector_equal(&a, &b));
	selector("id=8086:10D3", &a);
	selector("id=8086:10d3", &b);
	cr_assert(config_selector_equal(&a, &b));
	selector("ifname=eth0", &a);
	selector("pf=eth0", &b);
	cr_assert_not(config_selector_equal(&a, &b));
}
