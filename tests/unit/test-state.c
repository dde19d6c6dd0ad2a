/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-state.c: the managed set on disk (daemon/state.c): what a restarted
 * daemon reads back of what it saved, what it makes of a file that is
 * missing, damaged, partly wrong or newer than it, and how such a file is
 * kept aside instead of being overwritten. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileio.h"
#include "logcap.h"
#include "managed.h"
#include "state.h"
#include "util.h"

static char run[64];		/* the run directory */
static char path[96];		/* RUN/state.json */
static struct managed_set m;
static char why[256];		/* what state_load says of a file it cannot use */

static void setup(void)
{
	snprintf(run, sizeof(run), "/tmp/vb-state-XXXXXX");
	cr_assert_not_null(mkdtemp(run));
	snprintf(path, sizeof(path), "%s/state.json", run);
	memset(&m, 0, sizeof(m));
	logcap_start();
}

static void teardown(void)
{
	char cmd[128];

	logcap_stop();
	managed_clear(&m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", run);
}

TestSuite(state, .init = setup, .fini = teardown);

static void write_state(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void add_dev(struct managed_set *s, const char *bdf, const char *orig, const char *drv,
		    const char *ifname, long long since)
{
	struct managed_dev d = { 0 };

	util_strlcpy(d.bdf, bdf, sizeof(d.bdf));
	util_strlcpy(d.original_driver, orig, sizeof(d.original_driver));
	util_strlcpy(d.driver, drv, sizeof(d.driver));
	util_strlcpy(d.ifname, ifname, sizeof(d.ifname));
	d.since_ms = since;
	cr_assert_eq(managed_add(s, &d), 0);
}

static void add_pf(struct managed_set *s, const char *bdf, int numvfs)
{
	struct managed_pf p = { 0 };

	util_strlcpy(p.bdf, bdf, sizeof(p.bdf));
	p.original_numvfs = numvfs;
	cr_assert_eq(managed_add_pf(s, &p), 0);
}

static void expect_dev(const char *bdf, const char *orig, const char *drv, const char *ifname,
		       long long since)
{
	const struct managed_dev *d = managed_find(&m, bdf);

	cr_assert_not_null(d, "%s not loaded", bdf);
	cr_assert_str_eq(d->original_driver, orig, "%s original_driver", bdf);
	cr_assert_str_eq(d->driver, drv, "%s driver", bdf);
	cr_assert_str_eq(d->ifname, ifname, "%s ifname", bdf);
	cr_assert_eq(d->since_ms, since, "%s since: %lld", bdf, d->since_ms);
}

/* The names in the run directory, sorted, space-separated. */
static void list_run(char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(run, &names, NULL, alphasort);

	cr_assert(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		/* hidden names count: the temporary file is .state.json.tmp */
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? " " : "",
				 name);
		free(names[i]);
	}
	free(names);
}

static int count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- round trip ---- */

Test(state, save_then_load_gives_back_every_device_and_pf_field)
{
	struct managed_set saved = { 0 };

	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "enp3s0f1", 1764590400123LL);
	add_dev(&saved, "0000:00:02.0", "", "vfio-pci", "", 0);	/* had no driver */
	add_dev(&saved, "0001:af:1f.7", "mlx5_core", "vfio-pci", "ens1f0v7", 4102444800000LL);
	add_pf(&saved, "0000:00:03.0", 0);
	add_pf(&saved, "0000:af:00.0", 7);
	cr_assert_eq(state_save(run, &saved), 0);
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 3);
	cr_assert_eq(m.n_pfs, 2);
	expect_dev("0000:03:00.1", "igb", "vfio-pci", "enp3s0f1", 1764590400123LL);
	expect_dev("0000:00:02.0", "", "vfio-pci", "", 0);
	expect_dev("0001:af:1f.7", "mlx5_core", "vfio-pci", "ens1f0v7", 4102444800000LL);
	cr_assert_eq(managed_find_pf(&m, "0000:00:03.0")->original_numvfs, 0);
	cr_assert_eq(managed_find_pf(&m, "0000:af:00.0")->original_numvfs, 7);
	/* sorted by address, whatever the order they were added in */
	cr_assert_str_eq(m.devs[0].bdf, "0000:00:02.0");
	cr_assert_str_eq(m.devs[1].bdf, "0000:03:00.1");
	cr_assert_str_eq(m.devs[2].bdf, "0001:af:1f.7");
	cr_assert_str_eq(m.pfs[1].bdf, "0000:af:00.0");
	cr_assert_str_eq(logcap_text(), "");
	managed_clear(&saved);
}

Test(state, empty_set_round_trips_to_an_empty_set)
{
	struct managed_set empty = { 0 };

	cr_assert_eq(state_save(run, &empty), 0);
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 0);
	cr_assert_eq(m.n_pfs, 0);
}

static const char *key_text(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no key %s", key);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static void add_intent(struct managed_set *s, enum proto_action_kind kind, const char *bdf,
		       const char *drv, const char *from, int numvfs, int from_numvfs, int autoprobe)
{
	struct managed_intent in = { .kind = kind, .numvfs = numvfs, .from_numvfs = from_numvfs,
				     .autoprobe = autoprobe, .since_ms = 9 };

	util_strlcpy(in.bdf, bdf, sizeof(in.bdf));
	util_strlcpy(in.driver, drv, sizeof(in.driver));
	util_strlcpy(in.from_driver, from, sizeof(in.from_driver));
	cr_assert_eq(managed_add_intent(s, &in), 0);
}

static const char *entry_text(json_object *arr, size_t i)
{
	return json_object_to_json_string_ext(json_object_array_get_idx(arr, i),
					      JSON_C_TO_STRING_PLAIN);
}

/* The format a restarted daemon (perhaps a newer one) reads. */
Test(state, saved_file_is_versioned_json_with_the_documented_keys)
{
	struct managed_set saved = { 0 };
	json_object *root, *devs, *pfs, *journal;

	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "enp3s0f1", 5);
	add_pf(&saved, "0000:00:03.0", 2);
	add_intent(&saved, PROTO_ACTION_BIND, "0000:03:00.2", "vfio-pci", "igb", -1, -1, -1);
	add_intent(&saved, PROTO_ACTION_NUMVFS, "0000:00:03.0", "", "", 4, 2, 1);
	add_intent(&saved, PROTO_ACTION_NUMVFS, "0000:00:04.0", "", "", 0, 3, -1);
	cr_assert_eq(state_save(run, &saved), 0);
	managed_clear(&saved);
	root = json_object_from_file(path);
	cr_assert_not_null(root);
	cr_assert_eq(json_object_object_length(root), 4, "%s", json_object_to_json_string(root));
	cr_assert_str_eq(key_text(root, "version"), "2");
	cr_assert(json_object_object_get_ex(root, "devices", &devs));
	cr_assert(json_object_object_get_ex(root, "pfs", &pfs));
	cr_assert(json_object_object_get_ex(root, "journal", &journal));
	cr_assert_eq(json_object_array_length(devs), 1);
	cr_assert_eq(json_object_array_length(pfs), 1);
	cr_assert_eq(json_object_array_length(journal), 3);
	cr_assert_str_eq(entry_text(devs, 0),
			 "{\"device\":\"0000:03:00.1\",\"original_driver\":\"igb\","
			 "\"driver\":\"vfio-pci\",\"ifname\":\"enp3s0f1\",\"since\":5}");
	cr_assert_str_eq(entry_text(pfs, 0), "{\"device\":\"0000:00:03.0\",\"original_numvfs\":2}");
	/* sorted by address, like the other arrays */
	cr_assert_str_eq(entry_text(journal, 0),
			 "{\"action\":\"numvfs\",\"device\":\"0000:00:03.0\",\"numvfs\":4,"
			 "\"from_numvfs\":2,\"sriov_drivers_autoprobe\":1,\"since\":9}");
	cr_assert_str_eq(entry_text(journal, 1),
			 "{\"action\":\"numvfs\",\"device\":\"0000:00:04.0\",\"numvfs\":0,"
			 "\"from_numvfs\":3,\"since\":9}", "autoprobe untouched: not written");
	cr_assert_str_eq(entry_text(journal, 2),
			 "{\"action\":\"bind\",\"device\":\"0000:03:00.2\",\"driver\":\"vfio-pci\","
			 "\"from_driver\":\"igb\",\"since\":9}");
	json_object_put(root);
}

Test(state, the_journal_round_trips)
{
	struct managed_set saved = { 0 };
	const struct managed_intent *in;

	add_intent(&saved, PROTO_ACTION_RESTORE, "0000:03:00.2", "igb", "vfio-pci", -1, -1, -1);
	add_intent(&saved, PROTO_ACTION_NUMVFS, "0000:00:03.0", "", "", 4, 0, 1);
	cr_assert_eq(state_save(run, &saved), 0);
	managed_clear(&saved);
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(m.n_intents, 2);
	in = managed_find_intent(&m, "0000:03:00.2");
	cr_assert_not_null(in);
	cr_assert_eq(in->kind, PROTO_ACTION_RESTORE);
	cr_assert_str_eq(in->driver, "igb");
	cr_assert_str_eq(in->from_driver, "vfio-pci");
	cr_assert_eq(in->numvfs, -1);
	cr_assert_eq(in->autoprobe, -1);
	cr_assert_eq(in->since_ms, 9);
	in = managed_find_intent(&m, "0000:00:03.0");
	cr_assert_eq(in->kind, PROTO_ACTION_NUMVFS);
	cr_assert_eq(in->numvfs, 4);
	cr_assert_eq(in->from_numvfs, 0);
	cr_assert_eq(in->autoprobe, 1);
}

Test(state, a_version_1_file_has_no_journal_and_is_read)
{
	write_state("{ \"version\": 1, \"devices\": [ { \"device\": \"0000:03:00.1\","
		    " \"original_driver\": \"igb\", \"driver\": \"vfio-pci\" } ], \"pfs\": [] }\n");
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(m.n_devs, 1);
	cr_assert_eq(m.n_intents, 0);
}

Test(state, a_journal_entry_that_cannot_be_read_is_counted)
{
	write_state("{ \"version\": 2, \"journal\": [\n"
		    "  { \"action\": \"numvfs\", \"device\": \"0000:00:03.0\", \"numvfs\": 4,"
		    " \"from_numvfs\": 0, \"sriov_drivers_autoprobe\": 1 },\n"
		    "  { \"action\": \"explode\", \"device\": \"0000:00:04.0\" },\n"
		    "  { \"action\": \"numvfs\", \"device\": \"0000:00:05.0\" },\n"
		    "  { \"action\": \"bind\", \"device\": \"nope\" }\n"
		    "] }\n");
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 3);
	cr_assert_eq(m.n_intents, 1);
	cr_assert_eq(count(logcap_text(), "skipping a bad journal entry"), 3, "%s", logcap_text());
}

/* ---- the temporary file ---- */

Test(state, save_renames_the_temporary_file_and_leaves_nothing_else)
{
	struct managed_set saved = { 0 };
	char names[256];

	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "", 1);
	cr_assert_eq(state_save(run, &saved), 0);
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json");
	managed_clear(&saved);
}

/* A reader holding the old file (here a hard link to it) still sees it
 * whole: the new one replaced it by rename, never by rewriting it. */
Test(state, save_replaces_the_file_instead_of_rewriting_it)
{
	struct managed_set saved = { 0 };
	char old[128], names[256];
	struct stat before, after;

	write_state("{ \"version\": 1, \"devices\": [], \"pfs\": [] }\n");
	snprintf(old, sizeof(old), "%s/old-state.json", run);
	cr_assert_eq(link(path, old), 0);
	cr_assert_eq(stat(path, &before), 0);
	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "", 1);
	cr_assert_eq(state_save(run, &saved), 0);
	cr_assert_eq(stat(path, &after), 0);
	cr_assert_neq(before.st_ino, after.st_ino, "state.json was rewritten in place");
	cr_assert_eq(stat(old, &after), 0);
	cr_assert_eq(after.st_size, before.st_size, "the old file changed");
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "old-state.json state.json");
	managed_clear(&saved);
}

/* In a run directory another user could write, a symlink planted under the
 * temporary name once made root overwrite the file it pointed at. */
Test(state, save_never_writes_through_a_link_planted_at_the_temporary_name)
{
	struct managed_set saved = { 0 };
	char tmp[128], victim[128], names[256];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s/.state.json.tmp", run);
	snprintf(victim, sizeof(victim), "%s/victim", run);
	write_state("precious\n");
	cr_assert_eq(rename(path, victim), 0);
	cr_assert_eq(symlink("victim", tmp), 0);
	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "", 1);
	cr_assert_eq(state_save(run, &saved), 0);
	cr_assert_eq(lstat(victim, &st), 0);
	cr_assert_eq(st.st_size, 9, "the link's target was written");
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	expect_dev("0000:03:00.1", "igb", "vfio-pci", "", 1);
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json victim");
	managed_clear(&saved);
}

Test(state, failed_rename_leaves_no_temporary_file)
{
	struct managed_set saved = { 0 };
	char inside[128], names[256];

	/* a non-empty directory where state.json should be: rename(2) fails */
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(inside, sizeof(inside), "%s/x", path);
	cr_assert_eq(mkdir(inside, 0755), 0);
	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "", 1);
	cr_assert_lt(state_save(run, &saved), 0);
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json", "the temporary file is left: %s", names);
	cr_assert(strstr(logcap_text(), "E rename ") && strstr(logcap_text(), "/state.json: "),
		  "%s", logcap_text());
	managed_clear(&saved);
}

Test(state, save_into_a_missing_directory_fails_with_enoent)
{
	struct managed_set saved = { 0 };
	char gone[96];

	snprintf(gone, sizeof(gone), "%s/no-such-dir", run);
	cr_assert_eq(state_save(gone, &saved), -ENOENT);
	cr_assert(strstr(logcap_text(), "E ") && strstr(logcap_text(), "/no-such-dir/.state.json.tmp: "
							       "No such file or directory"),
		  "%s", logcap_text());
}

/* ---- missing and damaged files ---- */

Test(state, missing_file_is_an_empty_managed_set)
{
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 0);
	cr_assert_eq(m.n_pfs, 0);
	cr_assert_str_eq(logcap_text(), "", "a first start logs nothing");
}

/* A file that cannot be used at all: nothing loaded, the reason in why, and
 * nothing logged (the engine says it once, with the name it keeps it as). */
static void expect_unusable(int want, const char *reason)
{
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), want, "%s", why);
	cr_assert_eq(m.n_devs, 0);
	cr_assert_eq(m.n_pfs, 0);
	cr_assert(strstr(why, reason), "why: %s", why);
	cr_assert_str_eq(logcap_text(), "");
}

Test(state, corrupt_file_is_unusable_and_loads_nothing)
{
	write_state("{ \"version\": 1, \"devices\": [ { \"device\": \"0000:03:00.1\"");
	expect_unusable(-EINVAL, "not JSON");
}

Test(state, bytes_after_the_object_make_the_file_corrupt)
{
	write_state("{ \"version\": 1, \"devices\": [] }\n{ \"version\": 1 }\n");
	expect_unusable(-EINVAL, "not JSON");
}

Test(state, empty_file_is_treated_as_corrupt)
{
	write_state("");
	expect_unusable(-EINVAL, "not JSON");
}

Test(state, a_directory_in_its_place_is_not_a_regular_file)
{
	cr_assert_eq(mkdir(path, 0755), 0);
	expect_unusable(-EINVAL, "not a regular file (a directory)");
}

Test(state, a_fifo_in_its_place_is_refused_without_blocking)
{
	cr_assert_eq(mkfifo(path, 0644), 0);
	expect_unusable(-EINVAL, "not a regular file (a FIFO)");
}

Test(state, a_symbolic_link_is_never_followed)
{
	char target[128];
	FILE *f;

	snprintf(target, sizeof(target), "%s/elsewhere.json", run);
	f = fopen(target, "w");
	cr_assert_not_null(f);
	fputs("{ \"version\": 1, \"devices\": [ { \"device\": \"0000:03:00.1\","
	      " \"original_driver\": \"igb\", \"driver\": \"vfio-pci\" } ] }\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(symlink("elsewhere.json", path), 0);
	expect_unusable(-ELOOP, "symbolic link");
}

/* state.json -> /dev/zero once grew the daemon to 2.1 GB. The address
 * space is bounded here so that the unfixed code fails fast instead of
 * eating the machine. */
Test(state, a_symlink_is_refused_even_to_dev_zero, .timeout = 20)
{
	struct rlimit lim = { 1u << 30, 1u << 30 };

	cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
	cr_assert_eq(symlink("/dev/zero", path), 0);
	expect_unusable(-ELOOP, "symbolic link");
}

/* /dev/null's numbers: opening it is harmless, and reading it ends at once
 * even where the look before the open is missing. */
Test(state, a_device_node_is_refused_without_being_opened)
{
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) < 0)
		cr_skip_test("mknod: %s", strerror(errno));
	expect_unusable(-EINVAL, "not a regular file (a character device)");
}

Test(state, a_file_over_the_size_cap_is_refused_unread)
{
	char size[64];

	write_state("");
	cr_assert_eq(truncate(path, (off_t)STATE_MAX_SIZE + 1), 0);
	snprintf(size, sizeof(size), "larger than %u bytes", STATE_MAX_SIZE);
	expect_unusable(-EFBIG, size);
}

Test(state, a_newer_version_is_refused_whole)
{
	write_state("{ \"version\": 99, \"devices\": [ { \"device\": \"0000:03:00.1\","
		    " \"original_driver\": \"igb\", \"driver\": \"vfio-pci\" } ], \"pfs\": [] }\n");
	expect_unusable(-EPROTONOSUPPORT, "newer vfiobindd (version 99; this one reads versions 1 to 2)");
}

Test(state, a_missing_or_impossible_version_is_corrupt)
{
	write_state("{ \"devices\": [], \"pfs\": [] }\n");
	expect_unusable(-EINVAL, "no version");
	write_state("{ \"version\": \"1\", \"devices\": [] }\n");
	expect_unusable(-EINVAL, "no version");
	write_state("{ \"version\": 0, \"devices\": [] }\n");
	expect_unusable(-EINVAL, "version 0 was never written");
}

Test(state, sections_of_the_wrong_type_make_the_file_corrupt)
{
	write_state("{ \"version\": 1, \"devices\": { \"device\": \"0000:03:00.1\" },"
		    " \"pfs\": [] }\n");
	expect_unusable(-EINVAL, "must be arrays");
	write_state("{ \"version\": 1, \"devices\": [], \"pfs\": \"0000:00:03.0\" }\n");
	expect_unusable(-EINVAL, "must be arrays");
	write_state("{ \"version\": 2, \"journal\": {} }\n");
	expect_unusable(-EINVAL, "must be arrays");
	write_state("[ { \"device\": \"0000:03:00.1\" } ]\n");
	expect_unusable(-EINVAL, "not a JSON object");
}

Test(state, an_empty_versioned_object_is_an_empty_set)
{
	write_state("{ \"version\": 1 }\n");
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 0);
}

/* The good entries are loaded, the bad ones counted (the file must then be
 * kept aside: saving would drop them without a trace). */
Test(state, bad_entries_are_counted_with_a_warning_each_and_the_rest_kept)
{
	const char *log;

	write_state("{ \"version\": 1,\n"
		    "  \"devices\": [\n"
		    "    { \"device\": \"0000:03:00.1\", \"original_driver\": \"igb\","
		    " \"driver\": \"vfio-pci\", \"ifname\": \"eth1\", \"since\": 42 },\n"
		    "    { \"device\": \"03:00.2\", \"driver\": \"vfio-pci\" },\n"
		    "    { \"device\": \"../../../etc\", \"driver\": \"vfio-pci\" },\n"
		    "    { \"driver\": \"vfio-pci\" },\n"
		    "    \"0000:03:00.3\",\n"
		    "    { \"device\": \"0000:03:00.4\", \"driver\": \"vfio-pci\" }\n"
		    "  ],\n"
		    "  \"pfs\": [\n"
		    "    { \"device\": \"0000:00:03.0\", \"original_numvfs\": 4 },\n"
		    "    { \"device\": \"0000:00:04.0\" },\n"
		    "    { \"device\": \"bogus\", \"original_numvfs\": 1 },\n"
		    "    7\n"
		    "  ] }\n");
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 7);
	cr_assert_str_eq(why, "7 entries could not be read");
	cr_assert_eq(m.n_devs, 2);
	expect_dev("0000:03:00.1", "igb", "vfio-pci", "eth1", 42);
	/* absent fields read as empty, an absent since as 0 */
	expect_dev("0000:03:00.4", "", "vfio-pci", "", 0);
	cr_assert_eq(m.n_pfs, 1);
	cr_assert_eq(managed_find_pf(&m, "0000:00:03.0")->original_numvfs, 4);
	log = logcap_text();
	cr_assert_eq(count(log, "/state.json: skipping a bad device entry\n"), 4, "%s", log);
	cr_assert_eq(count(log, "/state.json: skipping a bad pf entry\n"), 3, "%s", log);
	cr_assert_eq(count(log, "\n"), 7, "nothing else is logged: %s", log);
	cr_assert_eq(count(log, "W "), 7, "each one a warning: %s", log);
}

/* Within an entry the reading stays lenient: a string field of another type
 * reads as "", a since that is not a number as 0, names longer than their
 * field are cut to fit, and a BDF listed twice keeps its last record. */
Test(state, odd_field_values_are_read_the_lenient_way)
{
	write_state("{ \"version\": 1, \"devices\": [\n"
		    "  { \"device\": \"0000:03:00.1\", \"original_driver\": 5, \"driver\": null,"
		    " \"ifname\": [], \"since\": \"soon\" },\n"
		    "  { \"device\": \"0000:03:00.2\", \"driver\": \"a-driver-name-that-is-far-"
		    "longer-than-any-the-kernel-would-ever-register-xx\","
		    " \"ifname\": \"an-interface-name-too-long\" },\n"
		    "  { \"device\": \"0000:03:00.3\", \"driver\": \"first\" },\n"
		    "  { \"device\": \"0000:03:00.3\", \"driver\": \"second\" }\n"
		    "] }\n");
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 3);
	expect_dev("0000:03:00.1", "", "", "", 0);
	cr_assert_eq(strlen(managed_find(&m, "0000:03:00.2")->driver), 63);
	cr_assert_eq(strlen(managed_find(&m, "0000:03:00.2")->ifname), 15);
	cr_assert_str_eq(managed_find(&m, "0000:03:00.3")->driver, "second");
}

/* ---- a file kept aside ---- */

#define T0 1700000000123LL	/* 2023-11-14T22:13:20Z */

Test(state, keep_aside_renames_the_file_with_its_time_and_keeps_its_bytes)
{
	char name[STATE_ASIDE_MAX], names[256], aside[128], *text = NULL;
	size_t len;

	write_state("{ \"version\": 1, \"devices\": [");
	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "state.json.bad-20231114T221320Z");
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json.bad-20231114T221320Z");
	snprintf(aside, sizeof(aside), "%s/%s", run, name);
	cr_assert_eq(fileio_read_file(aside, 4096, &text, &len), 0);
	cr_assert_str_eq(text, "{ \"version\": 1, \"devices\": [");
	free(text);
	cr_assert(state_aside_present(run, name));
}

Test(state, keep_aside_never_replaces_an_earlier_one)
{
	char name[STATE_ASIDE_MAX], names[256];

	write_state("first");
	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), 0);
	write_state("second");
	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "state.json.bad-20231114T221320Z-2");
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json.bad-20231114T221320Z state.json.bad-20231114T221320Z-2");
}

Test(state, keep_aside_moves_a_symbolic_link_not_its_target)
{
	char name[STATE_ASIDE_MAX], names[256], target[128];

	snprintf(target, sizeof(target), "%s/target", run);
	write_state("{}");
	cr_assert_eq(rename(path, target), 0);
	cr_assert_eq(symlink("target", path), 0);
	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), 0);
	list_run(names, sizeof(names));
	cr_assert_str_eq(names, "state.json.bad-20231114T221320Z target");
}

Test(state, keep_aside_without_a_file_is_enoent)
{
	char name[STATE_ASIDE_MAX];

	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), -ENOENT);
}

Test(state, list_aside_names_only_the_files_kept_aside_sorted)
{
	char names[4][STATE_ASIDE_MAX], name[STATE_ASIDE_MAX], p[160];

	write_state("b");
	cr_assert_eq(state_keep_aside(run, T0 + 3600000, name, sizeof(name)), 0);
	write_state("a");
	cr_assert_eq(state_keep_aside(run, T0, name, sizeof(name)), 0);
	write_state("{ \"version\": 1 }");
	cr_assert_eq(state_list_aside(run, names, 4), 2);
	cr_assert_str_eq(names[0], "state.json.bad-20231114T221320Z");
	cr_assert_str_eq(names[1], "state.json.bad-20231114T231320Z");
	cr_assert(state_aside_present(run, names[0]));
	snprintf(p, sizeof(p), "%s/%s", run, names[0]);
	cr_assert_eq(unlink(p), 0);
	cr_assert_not(state_aside_present(run, names[0]), "an operator removed it");
}

Test(state, load_adds_to_the_set_it_is_given)
{
	struct managed_set saved = { 0 };

	add_dev(&saved, "0000:03:00.1", "igb", "vfio-pci", "", 1);
	cr_assert_eq(state_save(run, &saved), 0);
	managed_clear(&saved);
	add_dev(&m, "0000:00:02.0", "e1000e", "vfio-pci", "", 2);
	cr_assert_eq(state_load(run, &m, why, sizeof(why)), 0);
	cr_assert_eq(m.n_devs, 2);
	expect_dev("0000:00:02.0", "e1000e", "vfio-pci", "", 2);
	expect_dev("0000:03:00.1", "igb", "vfio-pci", "", 1);
}
