/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-conffile.c: reading vfiobind.conf from disk (system/conffile.c): what
 * a missing, oversized, unreadable or invalid file gives, what is not a
 * regular file (a FIFO, a device: refused before it is opened), and the raw
 * text handed back for change checks. The parser itself is test-config's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conffile.h"
#include "fileio.h"
#include "util.h"

static char dir[64];		/* a temporary directory */
static char path[96];		/* DIR/vfiobind.conf */
static struct config *c;
static struct cfg_errors errs;
static char *text;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vb-conffile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vfiobind.conf", dir);
	c = NULL;
	text = NULL;
	memset(&errs, 0, sizeof(errs));
}

static void teardown(void)
{
	char cmd[128];

	config_free(c);
	cfg_errors_clear(&errs);
	free(text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TestSuite(conffile, .init = setup, .fini = teardown);

static void write_bytes(const char *p, const char *bytes, size_t len)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f, "%s", p);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* errs as the daemon prints it: one "file[:line]: message" per error. */
static const char *formatted(size_t i)
{
	static char line[512];

	cr_assert_lt(i, errs.n);
	cr_assert_eq(cfg_errors_format(&errs, i, line, sizeof(line)), 0);
	return line;
}

/* The I/O failure shape: r, nothing parsed, no text, one file-level error. */
static void expect_file_error(int r, int want, const char *msg)
{
	char line[512];

	cr_assert_eq(r, want, "r = %d (%s), want %d", r, strerror(-r), want);
	cr_assert_null(c);
	cr_assert_null(text);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(errs.v[0].line, 0, "about the file as a whole");
	snprintf(line, sizeof(line), "%s: %s", path, msg);
	cr_assert_str_eq(formatted(0), line);
}

/* ---- a missing file ---- */

Test(conffile, missing_file_is_an_empty_desired_state_marked_missing)
{
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_not_null(c);
	cr_assert(c->missing);
	cr_assert_eq(c->n_entries, 0);
	cr_assert_str_eq(c->source, path);
	cr_assert_str_eq(text, "", "the text of a missing file is empty, not NULL");
	cr_assert_eq(errs.n, 0);
}

Test(conffile, missing_file_without_text_wanted)
{
	cr_assert_eq(conffile_load(path, &c, &errs, NULL), 0);
	cr_assert(c->missing);
}

/* ENOENT is all that "missing" means: a dangling symlink is missing too
 * (a ConfigMap whose target went away), a path through a file is an error. */
Test(conffile, dangling_symlink_is_a_missing_file)
{
	cr_assert_eq(symlink("no-such-target.conf", path), 0);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert(c->missing);
	cr_assert_str_eq(text, "");
}

/* ---- the size cap ---- */

Test(conffile, file_over_the_size_cap_is_efbig_with_the_cap_named)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(ftruncate(fileno(f), (off_t)CONFFILE_MAX_SIZE + 1), 0);
	cr_assert_eq(fclose(f), 0);
	expect_file_error(conffile_load(path, &c, &errs, &text), -EFBIG,
			  "file larger than 4194304 bytes");
}

/* The cap is inclusive: a file of exactly CONFFILE_MAX_SIZE bytes loads. */
Test(conffile, file_of_exactly_the_size_cap_loads)
{
	char line[1024];
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	memset(line, 'x', sizeof(line));
	line[0] = '#';
	line[sizeof(line) - 1] = '\n';
	for (size_t i = 0; i < CONFFILE_MAX_SIZE / sizeof(line); i++)
		cr_assert_eq(fwrite(line, 1, sizeof(line), f), sizeof(line));
	cr_assert_eq(ftell(f), (long)CONFFILE_MAX_SIZE);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_not(c->missing);
	cr_assert_eq(c->n_entries, 0);
	cr_assert_eq(strlen(text), CONFFILE_MAX_SIZE);
}

/* ---- unreadable paths ---- */

Test(conffile, directory_in_place_of_the_file_is_an_error)
{
	cr_assert_eq(mkdir(path, 0755), 0);
	expect_file_error(conffile_load(path, &c, &errs, &text), -EISDIR,
			  "cannot read: Is a directory");
}

Test(conffile, path_through_a_regular_file_is_an_error_not_a_missing_file)
{
	char below[160];

	write_bytes(path, "", 0);
	snprintf(below, sizeof(below), "%s/x.conf", path);
	util_strlcpy(path, below, sizeof(path));
	expect_file_error(conffile_load(path, &c, &errs, &text), -ENOTDIR,
			  "cannot read: Not a directory");
}

Test(conffile, io_error_replaces_earlier_errors_and_tolerates_no_errs)
{
	write_bytes(path, "DEFAULT nonsense\n", 17);
	cr_assert_eq(conffile_load(path, &c, &errs, NULL), -EINVAL);
	cr_assert_eq(errs.n, 1);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(mkdir(path, 0755), 0);
	expect_file_error(conffile_load(path, &c, &errs, &text), -EISDIR,
			  "cannot read: Is a directory");
	cr_assert_eq(conffile_load(path, &c, NULL, NULL), -EISDIR);
	cr_assert_null(c);
}

/* ---- what is not a regular file: looked at, never opened ---- */

/* open() of a FIFO blocks until a writer comes: in the daemon that was the
 * event loop, and the socket stopped answering. Without the look before the
 * open this test never returns (its timeout fails it). */
Test(conffile, fifo_in_place_of_the_file_is_refused_without_blocking, .timeout = 10)
{
	cr_assert_eq(mkfifo(path, 0644), 0);
	expect_file_error(conffile_load(path, &c, &errs, &text), -FILEIO_ENOTREG,
			  "not a regular file (a FIFO)");
}

Test(conffile, symlink_to_a_fifo_is_refused_without_blocking, .timeout = 10)
{
	char fifo[128];

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	cr_assert_eq(symlink("fifo", path), 0);
	expect_file_error(conffile_load(path, &c, &errs, &text), -FILEIO_ENOTREG,
			  "not a regular file (a FIFO)");
}

/* Opening a device node can by itself do something; it is never opened. */
Test(conffile, device_node_in_place_of_the_file_is_refused)
{
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) < 0)
		cr_skip_test("mknod: %s", strerror(errno));
	expect_file_error(conffile_load(path, &c, &errs, &text), -FILEIO_ENOTREG,
			  "not a regular file (a character device)");
}

/* A ConfigMap's file is a symlink to a regular file: still read. */
Test(conffile, symlink_to_a_regular_file_is_read)
{
	char real[128];

	snprintf(real, sizeof(real), "%s/real.conf", dir);
	write_bytes(real, "DEFAULT 0000:03:00.1\n", 21);
	cr_assert_eq(symlink("real.conf", path), 0);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_eq(c->n_entries, 1);
	cr_assert_str_eq(text, "DEFAULT 0000:03:00.1\n");
}

/* ---- parse errors ---- */

Test(conffile, parse_error_lists_every_bad_line_and_returns_no_config)
{
	static const char conf[] = "# two bad lines among good ones\n"
				   "DEFAULT 0000:03:00.1\n"
				   "DEFAULT 0000:03:00.1 driver=\n"
				   "DEFAULT id=8086:10d3\n"
				   "DEFAULT not-a-device\n";
	char want[160];

	write_bytes(path, conf, strlen(conf));
	cr_assert_eq(conffile_load(path, &c, &errs, &text), -EINVAL);
	cr_assert_null(c);
	cr_assert_null(text, "no text is handed back for a file that does not parse");
	cr_assert_eq(errs.n, 2);
	cr_assert_str_eq(errs.source, path);
	cr_assert_eq(errs.v[0].line, 3);
	cr_assert_eq(errs.v[1].line, 5);
	snprintf(want, sizeof(want), "%s:3: ", path);
	cr_assert_eq(strncmp(formatted(0), want, strlen(want)), 0, "%s", formatted(0));
	snprintf(want, sizeof(want), "%s:5: ", path);
	cr_assert_eq(strncmp(formatted(1), want, strlen(want)), 0, "%s", formatted(1));
}

/* ---- the text for change checks ---- */

Test(conffile, returns_the_raw_text_byte_for_byte)
{
	/* comments, blank lines, CRLF, tabs and no final newline all kept */
	static const char conf[] = "# vfiobind\r\n"
				   "\n"
				   "DEFAULT\t0000:03:00.1   driver=vfio-pci\r\n"
				   "worker-*  id=8086:10d3 # a NIC";

	write_bytes(path, conf, strlen(conf));
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0, "%s",
		     errs.n ? formatted(0) : "");
	cr_assert_not(c->missing);
	cr_assert_str_eq(c->source, path);
	cr_assert_eq(c->n_entries, 2);
	cr_assert_eq(c->entries[0].line, 3);
	cr_assert_eq(c->entries[1].line, 4);
	cr_assert_str_eq(text, conf);
}

Test(conffile, same_file_gives_the_same_text_and_an_edit_another)
{
	_cleanup_free_ char *first = NULL;

	write_bytes(path, "DEFAULT 0000:03:00.1\n", 21);
	cr_assert_eq(conffile_load(path, &c, &errs, &first), 0);
	config_free(c);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_str_eq(text, first);
	free(text);
	config_free(c);
	/* a change of one character is a change */
	write_bytes(path, "DEFAULT 0000:03:00.2\n", 21);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_str_neq(text, first);
}

Test(conffile, empty_file_is_an_empty_desired_state_not_marked_missing)
{
	write_bytes(path, "", 0);
	cr_assert_eq(conffile_load(path, &c, &errs, &text), 0);
	cr_assert_not(c->missing);
	cr_assert_eq(c->n_entries, 0);
	cr_assert_str_eq(text, "");
}

/* Who may write the file decides which devices the root daemon takes. */
Test(conffile, a_file_only_root_can_change_is_trusted_and_others_are_named)
{
	char why[256];

	write_bytes(path, "DEFAULT 0000:03:00.0\n", 21);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(conffile_trust(path, why, sizeof(why)), 0, "%s", why);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 4242, 0), 0);
		cr_assert_eq(conffile_trust(path, why, sizeof(why)), 1);
		cr_assert_str_eq(why, "the file is owned by uid 4242");
		cr_assert_eq(chown(path, 0, 4242), 0);
		cr_assert_eq(chmod(path, 0664), 0);
		cr_assert_eq(conffile_trust(path, why, sizeof(why)), 1);
		cr_assert(strstr(why, "the file is writable by ") && strstr(why, "4242"), "%s", why);
		cr_assert_eq(chmod(path, 0644), 0);
		cr_assert_eq(conffile_trust(path, why, sizeof(why)), 0,
			     "a group that can only read is no risk: %s", why);
		cr_assert_eq(chown(path, 0, 0), 0);
	}
	cr_assert_eq(chmod(path, 0646), 0);
	cr_assert_eq(conffile_trust(path, why, sizeof(why)), 1);
	cr_assert_str_eq(why, "the file is writable by everyone");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(chmod(dir, 0757), 0);
	cr_assert_eq(conffile_trust(path, why, sizeof(why)), 1);
	cr_assert_str_eq(why, "its directory is writable by everyone");
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_lt(conffile_trust(path, why, sizeof(why)), 0, "a missing file cannot be told");
}
