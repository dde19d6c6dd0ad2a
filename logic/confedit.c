/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confedit.c: add and remove config lines for the `add` and `remove`
 * commands, as text (every other byte kept) or in memory (runtime). Pure:
 * the file itself is system/confedit-file.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confedit.h"
#include "util.h"

#define UTF8_BOM "\xef\xbb\xbf"

/* Node names are host names: compared without regard to case, as they match. */
static bool node_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool confedit_entry_same_target(const struct cfg_entry *a, const struct cfg_entry *b)
{
	return node_equal(a->node, b->node) && config_selector_equal(&a->sel, &b->sel);
}

/* ---- text ------------------------------------------------------------- */

/* One physical line: [start, start+len) is its content, eol its line end
 * ("" for a last line without one). */
struct text_line {
	const char *start;
	size_t len;
	const char *eol;
	size_t eol_len;
};

static bool next_line(const char **p, const char *end, struct text_line *l)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	l->start = *p;
	if (!nl) {
		l->len = (size_t)(end - *p);
		l->eol = end;
		l->eol_len = 0;
		*p = end;
		return true;
	}
	l->len = (size_t)(nl - *p);
	if (l->len && nl[-1] == '\r')
		l->len--;
	l->eol = l->start + l->len;
	l->eol_len = (size_t)(nl + 1 - l->eol);
	*p = nl + 1;
	return true;
}

/* Parse a physical line as an entry; false for blanks, comments and lines
 * that do not parse (those are left alone). */
static bool line_entry(const struct text_line *l, bool first, struct cfg_entry *e)
{
	_cleanup_free_ char *s = NULL;
	const char *p = l->start;
	size_t n = l->len;
	char msg[8];

	if (first && n >= 3 && memcmp(p, UTF8_BOM, 3) == 0) {
		p += 3;
		n -= 3;
	}
	s = strndup(p, n);
	if (!s || strlen(s) != n) /* NUL byte inside: not ours to judge */
		return false;
	return config_parse_line(s, 0, e, msg, sizeof(msg)) == 0;
}

/* The file's line end, from its first line: CRLF files stay CRLF. */
static const char *file_eol(const char *text, size_t len)
{
	const char *nl = text ? memchr(text, '\n', len) : NULL;

	return (nl && nl > text && nl[-1] == '\r') ? "\r\n" : "\n";
}

struct outbuf {
	char *p;
	size_t len, cap;
};

static int out_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *p = realloc(o->p, cap);

		if (!p)
			return -ENOMEM;
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return 0;
}

static int out_finish(struct outbuf *o, int r, char **out, size_t *out_len)
{
	if (r == 0 && !o->p)
		r = out_put(o, "", 0);
	if (r < 0) {
		free(o->p);
		return r;
	}
	*out = o->p;
	if (out_len)
		*out_len = o->len;
	return 0;
}

int confedit_text_add(const char *text, size_t len, const char *line, char **out,
		      size_t *out_len, bool *replaced)
{
	struct outbuf o = { 0 };
	struct cfg_entry want, e;
	struct text_line l;
	const char *p = text, *end = text ? text + len : NULL;
	const char *eol = file_eol(text, len);
	bool done = false, first = true;
	char msg[8];
	int r = 0;

	*out = NULL;
	if (config_parse_line(line, 0, &want, msg, sizeof(msg)) < 0)
		return -EINVAL;
	while (r == 0 && text && next_line(&p, end, &l)) {
		bool parsed = line_entry(&l, first, &e);
		bool match = parsed && confedit_entry_same_target(&e, &want);

		if (parsed)
			config_entry_clear(&e);
		/* A later duplicate of the target is dropped: one line, one answer. */
		if (match && !done) {
			/* Rewrite in place: the line end (and a BOM) stays. */
			if (first && l.len >= 3 && memcmp(l.start, UTF8_BOM, 3) == 0)
				r = out_put(&o, UTF8_BOM, 3);
			if (r == 0)
				r = out_put(&o, line, strlen(line));
			if (r == 0)
				r = out_put(&o, l.eol, l.eol_len);
			if (r == 0 && l.eol_len == 0)
				r = out_put(&o, eol, strlen(eol));
			done = true;
		} else if (!match) {
			r = out_put(&o, l.start, (size_t)(l.eol + l.eol_len - l.start));
		}
		first = false;
	}
	if (r == 0 && !done) {
		if (o.len && o.p[o.len - 1] != '\n')
			r = out_put(&o, eol, strlen(eol));
		if (r == 0)
			r = out_put(&o, line, strlen(line));
		if (r == 0)
			r = out_put(&o, eol, strlen(eol));
	}
	config_entry_clear(&want);
	if (replaced)
		*replaced = done;
	return out_finish(&o, r, out, out_len);
}

static bool entry_matches(const struct cfg_entry *e, const char *node,
			  const struct cfg_selector *sel)
{
	return (!node || node_equal(e->node, node)) && config_selector_equal(&e->sel, sel);
}

int confedit_text_remove(const char *text, size_t len, const char *node,
			 const struct cfg_selector *sel, char **out, size_t *out_len,
			 unsigned *removed)
{
	struct outbuf o = { 0 };
	struct cfg_entry e;
	struct text_line l;
	const char *p = text, *end = text ? text + len : NULL;
	bool first = true;
	unsigned n = 0;
	int r = 0;

	*out = NULL;
	while (r == 0 && text && next_line(&p, end, &l)) {
		bool match = false;

		if (line_entry(&l, first, &e)) {
			match = entry_matches(&e, node, sel);
			config_entry_clear(&e);
		}
		if (match) {
			n++;
			/* Keep a BOM that started the file. */
			if (first && l.len >= 3 && memcmp(l.start, UTF8_BOM, 3) == 0)
				r = out_put(&o, UTF8_BOM, 3);
		} else {
			r = out_put(&o, l.start, (size_t)(l.eol + l.eol_len - l.start));
		}
		first = false;
	}
	if (removed)
		*removed = n;
	return out_finish(&o, r, out, out_len);
}

/* ---- runtime ---------------------------------------------------------- */

int confedit_config_add(const struct config *c, const char *line, struct config **out,
			bool *replaced, char *msg, size_t msgsize)
{
	struct config *d;
	struct cfg_entry e;
	unsigned last = 0;
	size_t i, j;
	bool done = false;
	int r;

	*out = NULL;
	r = config_parse_line(line, 0, &e, msg, msgsize);
	if (r < 0)
		return r;
	d = c ? config_dup(c) : config_new_empty(NULL);
	if (!d) {
		config_entry_clear(&e);
		return -ENOMEM;
	}
	for (i = j = 0; i < d->n_entries; i++) {
		struct cfg_entry *x = &d->entries[i];

		last = x->line > last ? x->line : last;
		if (!confedit_entry_same_target(x, &e)) {
			d->entries[j++] = *x;
			continue;
		}
		config_entry_clear(x);
		if (!done) {
			e.line = x->line;
			d->entries[j++] = e;
			done = true;
		}
	}
	d->n_entries = j;
	if (!done) {
		struct cfg_entry *v = realloc(d->entries, (d->n_entries + 1) * sizeof(*v));

		if (!v) {
			config_entry_clear(&e);
			config_free(d);
			return -ENOMEM;
		}
		/* Numbered after the file's entries, so "file:line" stays unique. */
		e.line = last + 1;
		d->entries = v;
		d->entries[d->n_entries++] = e;
	}
	if (replaced)
		*replaced = done;
	*out = d;
	return 0;
}

int confedit_config_remove(const struct config *c, const char *node,
			   const struct cfg_selector *sel, struct config **out, unsigned *removed)
{
	struct config *d = c ? config_dup(c) : config_new_empty(NULL);
	unsigned n = 0;
	size_t i, j;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	for (i = j = 0; i < d->n_entries; i++) {
		if (entry_matches(&d->entries[i], node, sel)) {
			config_entry_clear(&d->entries[i]);
			n++;
		} else {
			d->entries[j++] = d->entries[i];
		}
	}
	d->n_entries = j;
	if (removed)
		*removed = n;
	*out = d;
	return 0;
}
