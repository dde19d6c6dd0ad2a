/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-config.c: libFuzzer target for the vfiobind.conf parser
 * (logic/config.c): config_parse() on the whole input as a file, and
 * config_parse_line() on it as one `add` line.
 *
 * Properties checked (abort() on violation, so libFuzzer saves the input):
 *  - success: every entry is well-formed (node, selector, driver, numvfs,
 *    vfs ranges within the grammar's limits; a BDF that formats to a safe
 *    path component), entries come in line order, and the canonical text of
 *    each entry (config_format_entry) parses back with config_parse_line to
 *    an equal entry; config_dup() copies equal entries;
 *  - failure: -EINVAL, no config, errs->n >= 1 and every message is
 *    non-empty printable ASCII, with a line number inside the input;
 *  - parsing with errs == NULL gives the same result. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define FMT_BUFSZ (64 * 1024)

static int in_set(char c, const char *set)
{
	return c && strchr(set, c);
}

static int all_in(const char *s, const char *set)
{
	for (; *s; s++)
		if (!in_set(*s, set))
			return 0;
	return 1;
}

#define ALNUM "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void check_bdf(const struct pci_addr *a)
{
	char t[BDF_BUFSZ];

	CHECK(a->dev <= 0x1f && a->fn <= 7);
	bdf_format(a, t);
	CHECK(bdf_is_canonical(t));
	CHECK(!strchr(t, '/') && !strstr(t, ".."));
}

static void check_ifname(const char *s)
{
	size_t n = strnlen(s, CFG_IFNAME_MAX);

	CHECK(n > 0 && n < CFG_IFNAME_MAX);
	CHECK(strcmp(s, ".") && strcmp(s, ".."));
	CHECK(!strchr(s, '/') && !strchr(s, ':'));
	for (; *s; s++)
		CHECK(*s > 0x20 && *s < 0x7f);
}

static void check_selector(const struct cfg_selector *s)
{
	switch (s->kind) {
	case CFG_SEL_BDF:
		check_bdf(&s->addr);
		break;
	case CFG_SEL_ID:
		break;
	case CFG_SEL_CLASS:
		CHECK(s->class_mask != 0 && s->class_mask <= 0xffffff);
		CHECK((s->class_code & ~s->class_mask) == 0);
		break;
	case CFG_SEL_IFNAME:
		check_ifname(s->ifname);
		break;
	case CFG_SEL_PF:
		if (s->pf_by_addr)
			check_bdf(&s->addr);
		else
			check_ifname(s->ifname);
		break;
	default:
		CHECK(!"unknown selector kind");
	}
}

static void check_entry(const struct cfg_entry *e)
{
	size_t n = strnlen(e->node, CFG_NODE_MAX);

	CHECK(n > 0 && n < CFG_NODE_MAX);
	switch (e->node_kind) {
	case CFG_NODE_DEFAULT:
		CHECK(!strcmp(e->node, "DEFAULT"));
		break;
	case CFG_NODE_EXACT:
		CHECK(all_in(e->node, ALNUM ".-_"));
		break;
	case CFG_NODE_GLOB:
		CHECK(all_in(e->node, ALNUM ".-_*?[]!^"));
		CHECK(strpbrk(e->node, "*?["));
		break;
	default:
		CHECK(!"unknown node kind");
	}
	check_selector(&e->sel);

	n = strnlen(e->driver, CFG_DRIVER_MAX);
	CHECK(n > 0 && n < CFG_DRIVER_MAX);
	CHECK(all_in(e->driver, ALNUM "_-"));
	CHECK(e->driver_set || !strcmp(e->driver, CFG_DEFAULT_DRIVER));

	CHECK(e->numvfs >= -1 && e->numvfs <= CFG_MAX_NUMVFS);
	CHECK(!(e->numvfs >= 0 && e->sel.kind == CFG_SEL_PF));
	if (!e->vfs_given)
		CHECK(!e->vfs_all && e->n_vfs == 0 && !e->vfs);
	else if (e->vfs_all)
		CHECK(e->n_vfs == 0);
	else
		CHECK(e->n_vfs > 0 && e->vfs);
	for (size_t i = 0; i < e->n_vfs; i++) {
		CHECK(e->vfs[i].lo <= e->vfs[i].hi);
		if (e->numvfs >= 0)
			CHECK(e->vfs[i].hi < e->numvfs);
	}
	CHECK(e->group == CFG_GROUP_SELF || e->group == CFG_GROUP_ALL);

	/* whatever the node, these must not be thrown by the matcher */
	(void)config_node_matches(e, "worker-0.example.com");
	(void)config_node_matches(e, "");
	(void)config_vf_selected(e, 0);
	(void)config_vf_selected(e, 65535);
}

/* Equal as desired state (the line number aside). */
static int entry_equal(const struct cfg_entry *a, const struct cfg_entry *b)
{
	if (strcmp(a->node, b->node) || a->node_kind != b->node_kind ||
	    !config_selector_equal(&a->sel, &b->sel) || strcmp(a->driver, b->driver) ||
	    a->driver_set != b->driver_set || a->numvfs != b->numvfs ||
	    a->vfs_given != b->vfs_given || a->vfs_all != b->vfs_all ||
	    a->n_vfs != b->n_vfs || a->group != b->group || a->force != b->force)
		return 0;
	for (size_t i = 0; i < a->n_vfs; i++)
		if (a->vfs[i].lo != b->vfs[i].lo || a->vfs[i].hi != b->vfs[i].hi)
			return 0;
	return 1;
}

static char fmt[FMT_BUFSZ], again[FMT_BUFSZ];

/* The canonical text of e parses back to an equal entry, and is stable. */
static void check_roundtrip(const struct cfg_entry *e)
{
	struct cfg_entry back;
	char msg[256];
	int r;

	r = config_format_entry(e, fmt, sizeof(fmt));
	/* A line near the 4096-byte limit can grow when written canonically
	 * (03:00.1 -> 0000:03:00.1); formatting then refuses rather than
	 * producing text the parser would reject. */
	if (r == -ENAMETOOLONG)
		return;
	CHECK(r == 0);
	/* one line, and no word of it starts a comment */
	CHECK(!strchr(fmt, '\n') && fmt[0] != '#' && !strstr(fmt, " #"));
	msg[0] = '\0';
	r = config_parse_line(fmt, e->line, &back, msg, sizeof(msg));
	if (r != 0)
		fprintf(stderr, "fuzz-config: canonical text \"%s\" does not re-parse: %s\n",
			fmt, msg);
	CHECK(r == 0);
	CHECK(back.line == e->line);
	CHECK(entry_equal(e, &back));
	CHECK(config_format_entry(&back, again, sizeof(again)) == 0);
	CHECK(!strcmp(fmt, again));
	config_entry_clear(&back);
}

static void check_errors(const struct cfg_errors *errs, unsigned n_lines)
{
	char line[512];

	CHECK(errs->n >= 1);
	for (size_t i = 0; i < errs->n; i++) {
		CHECK(errs->v[i].msg[0] != '\0');
		CHECK(printable(errs->v[i].msg));
		CHECK(errs->v[i].line <= n_lines);
		CHECK(cfg_errors_format(errs, i, line, sizeof(line)) == 0);
	}
}

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned n = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n + (size && data[size - 1] != '\n');
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	struct cfg_errors errs = { 0 };
	struct config *c = NULL, *c2 = (struct config *)1, *d;
	int r, r2;

	r = config_parse("fuzz.conf", (const char *)data, size, &c, &errs);
	r2 = config_parse("fuzz.conf", (const char *)data, size, &c2, NULL);
	CHECK(r == r2);
	if (r == -ENOMEM) {
		cfg_errors_clear(&errs);
		return;
	}
	CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		CHECK(c && c2 && errs.n == 0);
		CHECK(c->n_entries == c2->n_entries);
		CHECK(c->source && !strcmp(c->source, "fuzz.conf"));
		unsigned n_lines = count_lines(data, size);

		for (size_t i = 0; i < c->n_entries; i++) {
			const struct cfg_entry *e = &c->entries[i];

			CHECK(e->line >= 1 && e->line <= n_lines);
			if (i)
				CHECK(e->line > c->entries[i - 1].line);
			check_entry(e);
			check_roundtrip(e);
			CHECK(entry_equal(e, &c2->entries[i]));
		}
		d = config_dup(c);
		if (d) {
			CHECK(d->n_entries == c->n_entries);
			for (size_t i = 0; i < c->n_entries; i++)
				CHECK(entry_equal(&c->entries[i], &d->entries[i]));
			config_free(d);
		}
	} else {
		CHECK(!c && !c2);
		check_errors(&errs, count_lines(data, size));
	}
	config_free(c);
	config_free(c2);
	cfg_errors_clear(&errs);
}

/* The `add` path: the input as one C string. */
static void fuzz_line(const uint8_t *data, size_t size)
{
	struct cfg_entry e;
	char msg[256];
	char *s = malloc(size + 1);
	int r;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	msg[0] = '\0';
	r = config_parse_line(s, 7, &e, msg, sizeof(msg));
	if (r == 0) {
		CHECK(e.line == 7);
		check_entry(&e);
		check_roundtrip(&e);
		config_entry_clear(&e);
	} else if (r != -ENOMEM) {
		CHECK(r == -EINVAL);
		CHECK(msg[0] != '\0' && printable(msg));
		CHECK(e.n_vfs == 0 && !e.vfs); /* nothing leaked into e */
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size);
	fuzz_line(data, size);
	return 0;
}
