/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c: the vfiobind.conf grammar (vfiobind.conf(5)): text in, entries or
 * a list of (line, message) errors out. Pure: no I/O, no clock, no globals.
 *
 * The input is untrusted (any user who can edit the file, or the `add`
 * command): every limit below exists so that hostile text is rejected with a
 * message instead of crashing the daemon or growing its memory without bound. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* FNM_CASEFOLD */
#endif
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "util.h"

#define CFG_ENTRIES_MAX 100000
#define CFG_ERRORS_MAX 1000	/* listed; the rest are only counted */
#define CFG_HOST_MAX 253	/* RFC 1035 name length */
#define CFG_QUOTE_MAX 40	/* bytes of bad input echoed in a message */
#define CFG_QUOTE_BUFSZ (CFG_QUOTE_MAX * 4 + 8)

static const char known_keys[] = "driver, numvfs, vfs, group, force";
static const char device_forms[] =
	"DOMAIN:BUS:DEVICE.FUNCTION, BUS:DEVICE.FUNCTION, id=, class=, ifname= or pf=";

/* ---- small helpers ---------------------------------------------------- */

/* Own character sets: <ctype.h> depends on the locale, the grammar must not. */
#define DIGITS "0123456789"
#define ALNUM DIGITS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define HOST_CHARS ALNUM ".-_"
#define DRIVER_CHARS ALNUM "_-"
#define HEX_DIGITS DIGITS "abcdefABCDEF"

static bool in_set(char c, const char *set)
{
	return c && strchr(set, c);
}

static bool all_in_set(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Quote untrusted text for a message: printable ASCII as is, anything else as
 * \xNN, cut after CFG_QUOTE_MAX bytes, so a hostile line can neither garble a
 * terminal nor flood the log. */
static const char *quote(const char *s, char buf[CFG_QUOTE_BUFSZ])
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; s[i] && i < CFG_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	snprintf(buf + o, CFG_QUOTE_BUFSZ - o, "\"%s", s[i] ? "..." : "");
	return buf;
}

static int fail(char *msg, size_t size, const char *fmt, ...) _printf_(3, 4);
static int fail(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (msg && size) {
		va_start(ap, fmt);
		vsnprintf(msg, size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Decimal digits only (no sign, no spaces) up to max. Advances *p. */
static int read_uint(const char **p, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	const char *s;

	if (!in_set(**p, DIGITS))
		return -EINVAL;
	for (s = *p; in_set(*s, DIGITS); s++)
		if ((v = v * 10 + (unsigned long)(*s - '0')) > max)
			return -ERANGE;
	*p = s;
	*out = (unsigned)v;
	return 0;
}

/* Exactly n hex digits (no more follow) from *p, advancing it. */
static int read_hex(const char **p, size_t n, uint32_t *out)
{
	char digits[9];

	if (n > 8 || strspn(*p, HEX_DIGITS) != n)
		return -EINVAL;
	memcpy(digits, *p, n);
	digits[n] = '\0';
	*out = (uint32_t)strtoul(digits, NULL, 16);
	*p += n;
	return 0;
}

/* ---- NODE ------------------------------------------------------------- */

/* A bracket expression: '[', optional '!' or '^', one or more host-name
 * characters (a '-' between two makes a range), ']'. Anything fancier
 * ("[[:digit:]]", "[]]") has no place in a host name. */
static const char *glob_bracket_end(const char *s)
{
	const char *p = s + 1;

	if (*p == '!' || *p == '^')
		p++;
	if (*p == ']')
		return NULL;
	while (*p && *p != ']') {
		if (!in_set(*p, HOST_CHARS))
			return NULL;
		p++;
	}
	return *p == ']' ? p : NULL;
}

/* NULL when word is a valid node glob, else why not. fnmatch() itself treats
 * an unclosed '[' as a literal, which would silently match nothing. */
static const char *glob_problem(const char *w)
{
	const char *p;

	for (p = w; *p; p++) {
		if (*p == '[') {
			p = glob_bracket_end(p);
			if (!p)
				return "'[' without a matching ']' or with an invalid set";
		} else if (*p == ']') {
			return "']' without a matching '['";
		} else if (*p != '*' && *p != '?' && !in_set(*p, HOST_CHARS)) {
			return "only letters, digits, '.', '-', '_' and the glob characters * ? [ ] are allowed";
		}
	}
	return NULL;
}

static int parse_node(const char *w, struct cfg_entry *e, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	struct pci_addr a;
	const char *why;
	size_t len = strlen(w);

	if (strcmp(w, "DEFAULT") == 0) {
		e->node_kind = CFG_NODE_DEFAULT;
		util_strlcpy(e->node, w, sizeof(e->node));
		return 0;
	}
	/* "default" would otherwise be a host literally named default: almost
	 * certainly a typo that silently binds nothing. */
	if (strcasecmp(w, "DEFAULT") == 0)
		return fail(msg, size, "node %s: write DEFAULT in capitals to mean every node",
			    quote(w, q));
	if (bdf_parse(w, &a) == 0)
		return fail(msg, size, "missing node before device %s (use DEFAULT for every node)",
			    quote(w, q));
	if (len > CFG_HOST_MAX)
		return fail(msg, size, "node name %s is too long (%zu bytes; at most %d)",
			    quote(w, q), len, CFG_HOST_MAX);
	if (strpbrk(w, "*?[]")) {
		why = glob_problem(w);
		if (why)
			return fail(msg, size, "invalid node glob %s: %s", quote(w, q), why);
		e->node_kind = CFG_NODE_GLOB;
	} else {
		if (!all_in_set(w, HOST_CHARS))
			return fail(msg, size,
				    "invalid node name %s: expected a host name, a glob or DEFAULT",
				    quote(w, q));
		e->node_kind = CFG_NODE_EXACT;
	}
	util_strlcpy(e->node, w, sizeof(e->node));
	return 0;
}

/* ---- key=value -------------------------------------------------------- */

static int parse_driver(const char *v, struct cfg_entry *e, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	size_t len = strlen(v);

	if (len == 0 || len >= CFG_DRIVER_MAX || !all_in_set(v, DRIVER_CHARS))
		return fail(msg, size,
			    "invalid driver %s: expected 1 to 63 letters, digits, '_' or '-'",
			    quote(v, q));
	util_strlcpy(e->driver, v, sizeof(e->driver));
	e->driver_set = true;
	return 0;
}

static int parse_numvfs(const char *v, struct cfg_entry *e, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	const char *p = v;
	unsigned n;

	if (read_uint(&p, CFG_MAX_NUMVFS, &n) < 0 || *p)
		return fail(msg, size, "invalid numvfs %s: expected a number from 0 to %d",
			    quote(v, q), CFG_MAX_NUMVFS);
	e->numvfs = (int)n;
	return 0;
}

static int add_range(struct cfg_entry *e, unsigned lo, unsigned hi)
{
	struct cfg_range *r = realloc(e->vfs, (e->n_vfs + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	e->vfs = r;
	r[e->n_vfs].lo = (uint16_t)lo;
	r[e->n_vfs].hi = (uint16_t)hi;
	e->n_vfs++;
	return 0;
}

/* vfs=all, or a comma list of VF indexes and lo-hi ranges ("0-3,6"). */
static int parse_vfs(const char *v, struct cfg_entry *e, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	const char *p = v;
	unsigned lo, hi;
	int r;

	e->vfs_given = true;
	if (!strcmp(v, "all")) {
		e->vfs_all = true;
		return 0;
	}
	for (;;) {
		if (read_uint(&p, CFG_MAX_NUMVFS, &lo) < 0)
			goto bad;
		hi = lo;
		if (*p == '-' && (p++, read_uint(&p, CFG_MAX_NUMVFS, &hi) < 0))
			goto bad;
		if (hi < lo)
			return fail(msg, size, "invalid vfs range %u-%u: the first index must not be larger",
				    lo, hi);
		r = add_range(e, lo, hi);
		if (r < 0)
			return r;
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	return fail(msg, size,
		    "invalid vfs %s: expected all or a list of VF indexes and ranges like 0-3,6 (0 to %d)",
		    quote(v, q), CFG_MAX_NUMVFS);
}

/* One of two words, no abbreviations: false for the first, true for the second. */
static int parse_choice(const char *key, const char *v, const char *no, const char *yes,
			bool *out, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];

	if (strcmp(v, no) && strcmp(v, yes))
		return fail(msg, size, "invalid %s %s: expected %s or %s", key, quote(v, q), no, yes);
	*out = !strcmp(v, yes);
	return 0;
}

static int parse_group(const char *v, struct cfg_entry *e, char *msg, size_t size)
{
	bool all = false;
	int r = parse_choice("group", v, "self", "all", &all, msg, size);

	e->group = all ? CFG_GROUP_ALL : CFG_GROUP_SELF;
	return r;
}

static int parse_force(const char *v, struct cfg_entry *e, char *msg, size_t size)
{
	return parse_choice("force", v, "no", "yes", &e->force, msg, size);
}

/* ---- DEVICE ----------------------------------------------------------- */

/* Linux's dev_valid_name() rules (no '/', ':' or white space, not "." or
 * ".."), narrowed to printable ASCII. ':' matters to us too: it is what
 * tells pf=IFNAME from pf=BDF. */
static bool ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= CFG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '/' || *s == ':')
			return false;
	return true;
}

static int parse_id(const char *v, struct cfg_selector *s, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	uint32_t vendor, device;
	const char *p = v;

	if (read_hex(&p, 4, &vendor) < 0 || *p++ != ':' || read_hex(&p, 4, &device) < 0 || *p)
		return fail(msg, size, "invalid id %s: expected id=VVVV:DDDD (4 hex digits each)",
			    quote(v, q));
	s->kind = CFG_SEL_ID;
	s->vendor = (uint16_t)vendor;
	s->device = (uint16_t)device;
	return 0;
}

static void skip_0x(const char **p)
{
	if ((*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X'))
		*p += 2;
}

/* class=[0x]CC, CCSS or CCSSPP: base class, + subclass, + prog-if (what
 * lspci -n prints as "0200" is base class and subclass, so a short code
 * selects every prog-if below it). An explicit /MASK needs all 6 digits. */
static int parse_class(const char *v, struct cfg_selector *s, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	const char *p = v;
	uint32_t code, mask;
	size_t n;

	skip_0x(&p);
	n = strspn(p, HEX_DIGITS);
	if ((n != 2 && n != 4 && n != 6) || read_hex(&p, n, &code) < 0)
		goto bad;
	code <<= 4 * (6 - n);
	mask = (0xffffffu << 4 * (6 - n)) & 0xffffff;
	if (*p == '/') {
		p++;
		skip_0x(&p);
		if (n != 6 || read_hex(&p, 6, &mask) < 0)
			goto bad;
	}
	if (*p)
		goto bad;
	if (mask == 0)
		return fail(msg, size, "class mask 0 would select every device");
	if (code & ~mask)
		return fail(msg, size, "class %s sets bits outside its mask", quote(v, q));
	s->kind = CFG_SEL_CLASS;
	s->class_code = code;
	s->class_mask = mask;
	return 0;
bad:
	return fail(msg, size,
		    "invalid class %s: expected class=0xCCSSPP[/0xMMMMMM] or class=0xCCSS",
		    quote(v, q));
}

static int parse_ifname(const char *v, struct cfg_selector *s, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];

	if (!ifname_valid(v))
		return fail(msg, size,
			    "invalid ifname %s: expected 1 to 15 printable characters, no '/' or ':'",
			    quote(v, q));
	s->kind = CFG_SEL_IFNAME;
	util_strlcpy(s->ifname, v, sizeof(s->ifname));
	return 0;
}

static int parse_pf(const char *v, struct cfg_selector *s, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];

	s->kind = CFG_SEL_PF;
	if (bdf_parse(v, &s->addr) == 0) {
		s->pf_by_addr = true;
		return 0;
	}
	if (!ifname_valid(v))
		return fail(msg, size, "invalid pf %s: expected pf=BDF or pf=IFNAME", quote(v, q));
	s->pf_by_addr = false;
	util_strlcpy(s->ifname, v, sizeof(s->ifname));
	return 0;
}

/* Every word=value the grammar knows: a selector (DEVICE) or an option. */
static const struct key_def {
	const char *name;
	int (*sel)(const char *v, struct cfg_selector *s, char *msg, size_t size);
	int (*opt)(const char *v, struct cfg_entry *e, char *msg, size_t size);
} keys[] = {
	{ "id", parse_id, NULL },
	{ "class", parse_class, NULL },
	{ "ifname", parse_ifname, NULL },
	{ "pf", parse_pf, NULL },
	{ "driver", NULL, parse_driver },
	{ "numvfs", NULL, parse_numvfs },
	{ "vfs", NULL, parse_vfs },
	{ "group", NULL, parse_group },
	{ "force", NULL, parse_force },
};

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(name, keys[i].name))
			return &keys[i];
	return NULL;
}

static int parse_selector(char *w, struct cfg_selector *s, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	char *eq = strchr(w, '=');
	const struct key_def *k;

	memset(s, 0, sizeof(*s));
	if (!eq && bdf_parse(w, &s->addr) == 0) {
		s->kind = CFG_SEL_BDF;
		return 0;
	}
	if (eq) {
		*eq = '\0';
		k = find_key(w);
		if (k && k->sel)
			return k->sel(eq + 1, s, msg, size);
		if (k)
			return fail(msg, size, "missing device before %s=", w);
		*eq = '=';
	}
	return fail(msg, size, "invalid device %s: expected %s", quote(w, q), device_forms);
}

static int parse_option(char *w, struct cfg_entry *e, unsigned *seen, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	struct pci_addr a;
	char *eq = strchr(w, '=');
	const struct key_def *k;
	unsigned bit;

	if (!eq) {
		if (bdf_parse(w, &a) == 0)
			return fail(msg, size, "only one device per line (second device %s)",
				    quote(w, q));
		return fail(msg, size, "unexpected word %s after the device: expected key=value (%s)",
			    quote(w, q), known_keys);
	}
	*eq = '\0';
	k = find_key(w);
	if (k && k->opt) {
		bit = 1u << (k - keys);
		if (*seen & bit)
			return fail(msg, size, "duplicate key %s=", w);
		*seen |= bit;
		return k->opt(eq + 1, e, msg, size);
	}
	if (k)
		return fail(msg, size, "only one device per line (second device %s=...)", w);
	return fail(msg, size, "unknown key %s (known: %s)", quote(w, q), known_keys);
}

/* Rules that need the whole line. */
static int check_entry(const struct cfg_entry *e, char *msg, size_t size)
{
	bool is_pf = e->sel.kind == CFG_SEL_PF;

	if (e->numvfs >= 0 && is_pf)
		return fail(msg, size,
			    "numvfs= cannot be used with pf=: put it on a line that selects the PF itself");
	if (e->vfs_given && e->numvfs < 0 && !is_pf)
		return fail(msg, size, "vfs= needs numvfs= or a pf= selector");
	if (e->vfs_given && !e->vfs_all && e->numvfs >= 0) {
		for (size_t i = 0; i < e->n_vfs; i++)
			if (e->vfs[i].hi >= e->numvfs)
				return fail(msg, size, "vfs= index %u is out of range for numvfs=%d",
					    e->vfs[i].hi, e->numvfs);
	}
	return 0;
}

/* ---- lines ------------------------------------------------------------ */

static void entry_init(struct cfg_entry *e, unsigned lineno)
{
	memset(e, 0, sizeof(*e));
	e->line = lineno;
	e->numvfs = -1;
	util_strlcpy(e->driver, CFG_DEFAULT_DRIVER, sizeof(e->driver));
}

static char *next_word(char **p)
{
	char *s = *p, *w;

	while (is_blank(*s))
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	for (w = s; *s && !is_blank(*s); s++)
		;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* Words of one line (comment already cut) into e; e is left empty on error. */
static int parse_words(char *buf, unsigned lineno, struct cfg_entry *e, char *msg, size_t size)
{
	char q[CFG_QUOTE_BUFSZ];
	char *p = buf, *node, *dev, *w;
	unsigned seen = 0;
	int r;

	entry_init(e, lineno);
	node = next_word(&p);
	dev = next_word(&p);
	r = parse_node(node, e, msg, size);
	if (r == 0 && !dev)
		r = fail(msg, size, "missing device after node %s: expected %s", quote(node, q),
			 device_forms);
	if (r == 0)
		r = parse_selector(dev, &e->sel, msg, size);
	while (r == 0 && (w = next_word(&p)))
		r = parse_option(w, e, &seen, msg, size);
	if (r == 0)
		r = check_entry(e, msg, size);
	if (r < 0) {
		config_entry_clear(e);
		if (r == -ENOMEM)
			fail(msg, size, "out of memory");
	}
	return r;
}

/* Copy one raw line into buf (CFG_LINE_MAX + 1 bytes) with its CR and
 * comment removed. 1: there are words, 0: blank, -EINVAL: msg says why. A
 * comment starts at a '#' that begins a word, as in sh. */
static int prepare_line(const char *line, size_t len, char *buf, char *msg, size_t size)
{
	size_t i;

	if (len && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len))
		return fail(msg, size, "line contains a NUL byte");
	if (len > CFG_LINE_MAX)
		return fail(msg, size, "line is too long (%zu bytes; at most %d)", len, CFG_LINE_MAX);
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '#' && (i == 0 || is_blank(buf[i - 1]))) {
			buf[i] = '\0';
			break;
		}
	}
	for (i = 0; buf[i]; i++)
		if (!is_blank(buf[i]))
			return 1;
	return 0;
}

int config_parse_line(const char *line, unsigned lineno, struct cfg_entry *e,
		      char *msg, size_t msgsize)
{
	char buf[CFG_LINE_MAX + 1];
	size_t len = strlen(line);
	int r;

	entry_init(e, lineno);
	if (memchr(line, '\n', len))
		return fail(msg, msgsize, "an entry is a single line");
	r = prepare_line(line, len, buf, msg, msgsize);
	if (r == 0)
		return fail(msg, msgsize, "empty entry: expected NODE DEVICE [key=value ...]");
	if (r < 0)
		return r;
	return parse_words(buf, lineno, e, msg, msgsize);
}

/* ---- whole file ------------------------------------------------------- */

struct parse_state {
	struct config *cfg;
	struct cfg_errors *errs;	/* may be NULL */
	size_t n_errors;		/* all of them, listed or not */
	size_t cap_entries, cap_errors;
	bool too_many_entries;
};

static int append_error(struct parse_state *st, unsigned line, const char *msg)
{
	struct cfg_errors *errs = st->errs;

	if (util_grow(&errs->v, errs->n, &st->cap_errors, sizeof(*errs->v)) < 0)
		return -ENOMEM;
	errs->v[errs->n].line = line;
	util_strlcpy(errs->v[errs->n].msg, msg, sizeof(errs->v[0].msg));
	errs->n++;
	return 0;
}

/* Every error is counted; the first CFG_ERRORS_MAX are listed, so a file of
 * garbage cannot turn into megabytes of messages. */
static int add_error(struct parse_state *st, unsigned line, const char *msg)
{
	st->n_errors++;
	if (!st->errs || st->errs->n >= CFG_ERRORS_MAX)
		return 0;
	return append_error(st, line, msg);
}

/* Keep e (moved in) unless the file is already known to be invalid: then
 * entries are dropped at once, so garbage input costs no entry memory. */
static int keep_entry(struct parse_state *st, struct cfg_entry *e)
{
	struct config *c = st->cfg;
	char msg[80];

	if (c->n_entries >= CFG_ENTRIES_MAX && !st->too_many_entries) {
		st->too_many_entries = true;
		snprintf(msg, sizeof(msg), "too many entries (at most %d)", CFG_ENTRIES_MAX);
		config_entry_clear(e);
		return add_error(st, e->line, msg);
	}
	if (st->n_errors) {
		config_entry_clear(e);
		return 0;
	}
	if (c->n_entries == st->cap_entries) {
		size_t cap = st->cap_entries ? st->cap_entries * 2 : 16;
		struct cfg_entry *v = realloc(c->entries, cap * sizeof(*v));

		if (!v) {
			config_entry_clear(e);
			return -ENOMEM;
		}
		c->entries = v;
		st->cap_entries = cap;
	}
	c->entries[c->n_entries++] = *e;
	return 0;
}

static int parse_one(struct parse_state *st, const char *line, size_t len, unsigned lineno)
{
	char buf[CFG_LINE_MAX + 1], msg[sizeof(((struct cfg_error *)0)->msg)];
	struct cfg_entry e;
	int r;

	r = prepare_line(line, len, buf, msg, sizeof(msg));
	if (r == 0)
		return 0;
	if (r > 0)
		r = parse_words(buf, lineno, &e, msg, sizeof(msg));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add_error(st, lineno, msg);
	return keep_entry(st, &e);
}

static int parse_text(struct parse_state *st, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0;
	char msg[64];
	int r;

	/* Editors on some systems start files with a UTF-8 byte order mark. */
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (lineno == UINT_MAX)
			return add_error(st, 0, "too many lines");
		r = parse_one(st, p, (size_t)(nl - p), ++lineno);
		if (r < 0)
			return r;
		p = nl + 1;
	}
	if (st->errs && st->n_errors > st->errs->n) {
		snprintf(msg, sizeof(msg), "%zu more errors not listed",
			 st->n_errors - st->errs->n);
		return append_error(st, 0, msg);
	}
	return 0;
}

int config_parse(const char *source, const char *text, size_t len,
		 struct config **out, struct cfg_errors *errs)
{
	struct parse_state st = { .errs = errs };
	int r;

	*out = NULL;
	if (errs) {
		cfg_errors_clear(errs);
		if (source && !(errs->source = strdup(source)))
			return -ENOMEM;
	}
	st.cfg = config_new_empty(source);
	if (!st.cfg)
		return -ENOMEM;
	r = text ? parse_text(&st, text, len) : 0;
	if (r == 0 && st.n_errors)
		r = -EINVAL;
	if (r < 0) {
		config_free(st.cfg);
		return r;
	}
	*out = st.cfg;
	return 0;
}

/* ---- queries ---------------------------------------------------------- */

bool config_names_interfaces(const struct config *c)
{
	for (size_t i = 0; c && i < c->n_entries; i++) {
		const struct cfg_selector *s = &c->entries[i].sel;

		if (s->kind == CFG_SEL_IFNAME || (s->kind == CFG_SEL_PF && !s->pf_by_addr))
			return true;
	}
	return false;
}

bool config_node_matches(const struct cfg_entry *e, const char *node_name)
{
	char short_name[CFG_NODE_MAX];
	const char *dot;
	size_t short_len;

	if (e->node_kind == CFG_NODE_DEFAULT)
		return true;
	if (!node_name || !*node_name)
		return false;
	dot = strchr(node_name, '.');
	short_len = dot ? (size_t)(dot - node_name) : strlen(node_name);
	if (e->node_kind == CFG_NODE_EXACT)
		return !strcasecmp(e->node, node_name) ||
		       (dot && strlen(e->node) == short_len &&
			!strncasecmp(e->node, node_name, short_len));
	if (!fnmatch(e->node, node_name, FNM_CASEFOLD))
		return true;
	if (!dot || short_len >= sizeof(short_name))
		return false;
	memcpy(short_name, node_name, short_len);
	short_name[short_len] = '\0';
	return !fnmatch(e->node, short_name, FNM_CASEFOLD);
}

bool config_vf_selected(const struct cfg_entry *e, unsigned vf_index)
{
	if (!e->vfs_given || e->vfs_all)
		return true;
	for (size_t i = 0; i < e->n_vfs; i++)
		if (vf_index >= e->vfs[i].lo && vf_index <= e->vfs[i].hi)
			return true;
	return false;
}
