/* SPDX-License-Identifier: GPL-2.0-or-later */
/* output.c: everything vfiobind prints, made as text from reply objects, and
 * the command-line words turned into protocol text. Pure: no terminal, no
 * environment, no clock (main() measures those once and passes a struct
 * out_style), so tests/unit/test-client-output.c can pin every layout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* vasprintf; the build force-includes config.h, which sets it */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "util.h"

#define SGR_RESET "\033[0m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_RED "\033[31m"
#define COL_GAP 2

bool out_color_wanted(bool stdout_tty, const char *no_color_env, const char *term,
		      bool no_color_flag)
{
	if (!stdout_tty || no_color_flag)
		return false;
	if (no_color_env && no_color_env[0])
		return false;
	return !(term && strcmp(term, "dumb") == 0);
}

const char *out_state_sgr(const char *state)
{
	switch (proto_state_from_name(state)) {
	case PROTO_STATE_CONVERGED:
		return SGR_GREEN;
	case PROTO_STATE_PENDING:
		return SGR_YELLOW;
	case PROTO_STATE_BLOCKED:
	case PROTO_STATE_ERROR:
	case PROTO_STATE_STUCK:
		return SGR_RED;
	default:
		return NULL;
	}
}

/* --- small readers of reply objects (missing, null or mistyped: NULL/false) */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool jint(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static json_object *jarray(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

int out_bool(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v) ? 1 : 0;
}

static size_t jlen(json_object *array)
{
	return json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

/* A count or index field as text; "-" when absent, null or negative (sysfs
 * says numa_node -1 for "none"). */
static const char *jint_text(json_object *o, const char *key, char *buf, size_t size)
{
	long long v;

	if (!jint(o, key, &v) || v < 0)
		return "-";
	snprintf(buf, size, "%lld", v);
	return buf;
}

/* --- text measured in code points (daemon strings may be UTF-8) */

static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The byte length of the first cols code points of s. */
static size_t text_prefix(const char *s, size_t cols)
{
	size_t i, n = 0;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == cols)
				break;
			n++;
		}
	}
	return i;
}

/* --- the one sanitiser every daemon string passes before display */

static bool is_control(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* The length of the printable character that starts s: 1 for printable
 * ASCII, 2 to 4 for a well-formed UTF-8 sequence of a code point that is
 * not a C1 control (U+0080..U+009F, which some terminals obey like ESC [)
 * nor a bidi override (U+202A..U+202E, U+2066..U+2069: text shown in
 * another order than it reads); 0 for a C0 control (ESC, CR, BEL...), DEL,
 * those, or a byte that does not begin well-formed UTF-8 (a lone 0x9b is
 * CSI to a terminal reading 8-bit C1). */
static size_t printable_len(const unsigned char *s)
{
	unsigned cp;
	size_t n;

	if (s[0] < 0x80)
		return !is_control(s[0]);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also the NUL of a cut sequence */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogate, beyond U+10FFFF, C1, bidi */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

/* Write s (NULL: nothing) made printable: each byte that does not begin a
 * printable character shown as '?'. */
static void put_clean(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		size_t n = printable_len(p);

		if (n) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputc('?', f);
			p++;
		}
	}
}

/* Close an open_memstream() stream: the text, or NULL when it failed. buf
 * is only final after fclose(), hence the pointer. */
static char *memstream_done(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *out_printable(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_clean(f, s);
	return memstream_done(f, &buf);
}

/* vasprintf that gives NULL (never an undefined pointer) on failure. */
static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* --- tables */

void out_table_init(struct out_table *t, const struct out_column *cols, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

void out_table_clear(struct out_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

static char *cell_dup(const char *s)
{
	return out_printable(s && s[0] ? s : "-");
}

int out_table_add(struct out_table *t, const char *const *cells)
{
	size_t base = t->nrows * t->ncols;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * t->ncols * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	for (size_t j = 0; j < t->ncols; j++) {
		t->cells[base + j] = cell_dup(cells[j]);
		if (!t->cells[base + j]) {
			while (j--)
				free(t->cells[base + j]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

/* Column widths: the widest cell, then the flex columns shrunk until the
 * line fits st->width (never below their header). */
static void table_widths(const struct out_table *t, const struct out_style *st, size_t *w)
{
	size_t total = 0;

	for (size_t j = 0; j < t->ncols; j++) {
		w[j] = text_width(t->cols[j].header);
		for (size_t i = 0; i < t->nrows; i++) {
			size_t cw = text_width(t->cells[i * t->ncols + j]);
			if (cw > w[j])
				w[j] = cw;
		}
		total += w[j] + (j ? COL_GAP : 0);
	}
	for (size_t j = 0; j < t->ncols && st->width > 0; j++) {
		size_t min = text_width(t->cols[j].header), over, give;

		if (!t->cols[j].flex || total <= (size_t)st->width)
			continue;
		over = total - (size_t)st->width;
		give = w[j] > min ? w[j] - min : 0;
		if (give > over)
			give = over;
		w[j] -= give;
		total -= give;
	}
}

static void put_cell(FILE *f, const char *s, size_t w, bool last, const char *sgr,
		     const struct out_style *st)
{
	const char *ell = st->utf8 ? "\u2026" : "...";
	size_t ellw = st->utf8 ? 1 : 3;
	size_t sw = text_width(s), len = strlen(s);

	if (sw > w) {
		/* Too narrow for an ellipsis to help: plain cut. */
		if (w <= ellw)
			ell = "", ellw = 0;
		len = text_prefix(s, w - ellw);
		sw = w;
	} else {
		ell = "";
	}
	if (sgr && st->color)
		fputs(sgr, f);
	fwrite(s, 1, len, f);
	fputs(ell, f);
	if (sgr && st->color)
		fputs(SGR_RESET, f);
	if (!last)
		fprintf(f, "%*s", (int)(w - sw + COL_GAP), "");
}

char *out_table_render(const struct out_table *t, const struct out_style *st)
{
	char *buf = NULL;
	size_t len = 0, *w;
	FILE *f;

	w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f) {
		free(w);
		return NULL;
	}
	table_widths(t, st, w);
	for (size_t j = 0; j < t->ncols; j++)
		put_cell(f, t->cols[j].header, w[j], j + 1 == t->ncols, NULL, st);
	fputc('\n', f);
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->ncols; j++) {
			const char *cell = t->cells[i * t->ncols + j];
			const char *sgr = t->cols[j].state ? out_state_sgr(cell) : NULL;

			put_cell(f, cell, w[j], j + 1 == t->ncols, sgr, st);
		}
		fputc('\n', f);
	}
	free(w);
	return memstream_done(f, &buf);
}

/* Render t, append tail (may be NULL) and clear t. */
static char *table_finish(struct out_table *t, const struct out_style *st, int r,
			  const char *tail)
{
	_cleanup_free_ char *text = NULL;

	if (r == 0)
		text = out_table_render(t, st);
	out_table_clear(t);
	if (!text)
		return NULL;
	return strf("%s%s", text, tail ? tail : "");
}

/* --- results */

char *out_state_summary(json_object *devices)
{
	size_t counts[PROTO_STATE__MAX] = { 0 }, n = jlen(devices);
	char *buf = NULL;
	size_t len = 0;
	const char *sep = "";
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int k = proto_state_from_name(jstr(json_object_array_get_idx(devices, i),
						   PROTO_S_STATE));

		if (k >= 0)
			counts[k]++;
	}
	/* In the enum's order: converged pending blocked error absent stuck. */
	for (int k = 0; k < PROTO_STATE__MAX; k++) {
		if (!counts[k])
			continue;
		fprintf(f, "%s%zu %s", sep, counts[k], proto_state_name((enum proto_state)k));
		sep = ", ";
	}
	if (!*sep)
		fputs(n ? "no known states" : "no devices", f);
	return memstream_done(f, &buf);
}

/* The REASON cell: the daemon's reason, else the last error's message. A
 * device in error also shows the kernel's message when the reason does not
 * already carry it ("bind to vfio-pci: Device or resource busy"). */
static const char *status_reason(json_object *dev, char *buf, size_t size)
{
	const char *r = jstr(dev, PROTO_S_REASON), *state = jstr(dev, PROTO_S_STATE);
	const char *msg = NULL;
	json_object *err;

	if (json_object_object_get_ex(dev, PROTO_S_LAST_ERROR, &err))
		msg = jstr(err, PROTO_S_MESSAGE);
	if (!r || !r[0])
		return msg;
	if (proto_state_from_name(state) == PROTO_STATE_ERROR && msg && msg[0] &&
	    !strstr(r, msg)) {
		snprintf(buf, size, "%s: %s", r, msg);
		return buf;
	}
	return r;
}

char *out_warnings_text(json_object *warnings)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < jlen(warnings); i++) {
		json_object *w = json_object_array_get_idx(warnings, i);

		if (!json_object_is_type(w, json_type_string))
			continue;
		fputs("warning: ", f);
		put_clean(f, json_object_get_string(w));
		fputc('\n', f);
	}
	return memstream_done(f, &buf);
}

char *out_status_text(json_object *devices, const struct out_style *st)
{
	static const struct out_column cols[] = {
		{ "DEVICE", false, false }, { "STATE", false, true },
		{ "DRIVER", false, false }, { "WANT", false, false },
		{ "LINE", false, false },   { "REASON", true, false },
	};
	_cleanup_free_ char *summary = out_state_summary(devices);
	_cleanup_free_ char *tail = summary ? strf("%s\n", summary) : NULL;
	struct out_table t;
	int r = 0;

	if (!tail || !jlen(devices))
		return tail ? strdup(tail) : NULL;
	out_table_init(&t, cols, ARRAY_SIZE(cols));
	for (size_t i = 0; r == 0 && i < jlen(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		char reason[1100];
		const char *row[] = {
			jstr(d, PROTO_S_DEVICE), jstr(d, PROTO_S_STATE),
			jstr(d, PROTO_S_CURRENT), jstr(d, PROTO_S_DESIRED),
			jstr(d, PROTO_S_LINE), status_reason(d, reason, sizeof(reason)),
		};
		r = out_table_add(&t, row);
	}
	return table_finish(&t, st, r, tail);
}

/* "8086:10d3": one field, or vendor and device_id apart. */
static const char *devices_id(json_object *d, char *buf, size_t size)
{
	const char *vd = jstr(d, PROTO_S_VENDOR_DEVICE);
	const char *v = jstr(d, PROTO_D_VENDOR), *id = jstr(d, PROTO_D_DEVICE_ID);

	if (vd)
		return vd;
	if (!v || !id)
		return NULL;
	snprintf(buf, size, "%s:%s", v, id);
	return buf;
}

/* "2/7" (numvfs/totalvfs) for a PF, "vf 3" for a VF, "-" otherwise. */
static const char *devices_sriov(json_object *d, char *buf, size_t size)
{
	long long total, num = 0, idx;

	if (jint(d, PROTO_D_SRIOV_TOTALVFS, &total) && total > 0) {
		jint(d, PROTO_D_SRIOV_NUMVFS, &num);
		snprintf(buf, size, "%lld/%lld", num, total);
		return buf;
	}
	if (jint(d, PROTO_S_VF_INDEX, &idx)) {
		snprintf(buf, size, "vf %lld", idx);
		return buf;
	}
	return NULL;
}

/* The ifnames array joined with ','; NULL when empty. */
static const char *devices_ifnames(json_object *d, char *buf, size_t size)
{
	json_object *a = jarray(d, PROTO_S_IFNAMES);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < jlen(a) && used < size; i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(a, i));
		int w = snprintf(buf + used, size - used, "%s%s", i ? "," : "", n ? n : "");

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf[0] ? buf : NULL;
}

/* After the table, a line per holder: "0000:03:00.1 held by pid 4242
 * (qemu-system-x86, uid 107) through /dev/vfio/14". Command names and paths
 * come from other users' processes: control characters are shown as '?'. */
static char *devices_holders(json_object *devices)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < jlen(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		json_object *hs = jarray(d, PROTO_S_HOLDERS);

		for (size_t k = 0; k < jlen(hs); k++) {
			json_object *h = json_object_array_get_idx(hs, k);
			long long pid = 0, uid = 0;

			jint(h, PROTO_H_PID, &pid);
			jint(h, PROTO_H_UID, &uid);
			put_clean(f, jstr(d, PROTO_S_DEVICE));
			fprintf(f, " held by pid %lld (", pid);
			put_clean(f, jstr(h, PROTO_H_COMM));
			fprintf(f, ", uid %lld) through ", uid);
			put_clean(f, jstr(h, PROTO_H_PATH));
			fputc('\n', f);
		}
	}
	return memstream_done(f, &buf);
}

char *out_devices_text(json_object *devices, const struct out_style *st)
{
	_cleanup_free_ char *held = NULL;
	static const struct out_column cols[] = {
		{ "DEVICE", false, false }, { "ID", false, false },
		{ "CLASS", false, false },  { "DRIVER", false, false },
		{ "OVERRIDE", false, false }, { "GROUP", false, false },
		{ "NUMA", false, false },   { "SRIOV", false, false },
		{ "IFNAMES", false, false }, { "CLAIMED", true, false },
	};
	struct out_table t;
	int r = 0;

	if (!jlen(devices))
		return strdup("no PCI devices\n");
	out_table_init(&t, cols, ARRAY_SIZE(cols));
	for (size_t i = 0; r == 0 && i < jlen(devices); i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		char id[32], group[24], numa[24], sriov[48], ifn[256];
		const char *row[] = {
			jstr(d, PROTO_S_DEVICE), devices_id(d, id, sizeof(id)),
			jstr(d, PROTO_D_CLASS), jstr(d, PROTO_D_DRIVER),
			jstr(d, PROTO_D_DRIVER_OVERRIDE),
			jint_text(d, PROTO_S_IOMMU_GROUP, group, sizeof(group)),
			jint_text(d, PROTO_D_NUMA_NODE, numa, sizeof(numa)),
			devices_sriov(d, sriov, sizeof(sriov)),
			devices_ifnames(d, ifn, sizeof(ifn)),
			jstr(d, PROTO_D_CLAIMED),
		};
		r = out_table_add(&t, row);
	}
	held = devices_holders(devices);
	return table_finish(&t, st, r, held);
}

char *out_actions_text(json_object *actions, const struct out_style *st)
{
	static const struct out_column cols[] = {
		{ "ACTION", false, false }, { "DEVICE", false, false }, { "WHAT", true, false },
	};
	struct out_table t;
	int r = 0;

	if (!jlen(actions))
		return strdup("nothing to do\n");
	out_table_init(&t, cols, ARRAY_SIZE(cols));
	for (size_t i = 0; r == 0 && i < jlen(actions); i++) {
		json_object *a = json_object_array_get_idx(actions, i);
		const char *row[] = {
			jstr(a, PROTO_X_KIND), jstr(a, PROTO_X_DEVICE), jstr(a, PROTO_X_TEXT),
		};
		r = out_table_add(&t, row);
	}
	return table_finish(&t, st, r, NULL);
}

const char *out_time(long long ms, char *buf, size_t size)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&sec, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "-";
	return buf;
}

static const char *event_time(json_object *ev, char *buf, size_t size)
{
	long long ms;

	return jint(ev, PROTO_E_TIME, &ms) ? out_time(ms, buf, size) : "-";
}

/* One field of an event line: cleaned, padded to w (0: last, no padding). */
static void event_field(FILE *f, const char *s, int w, const char *sgr, bool color)
{
	_cleanup_free_ char *clean = out_printable(s && s[0] ? s : "-");
	const char *t = clean ? clean : "?";

	if (sgr && color)
		fputs(sgr, f);
	fputs(t, f);
	if (sgr && color)
		fputs(SGR_RESET, f);
	if (w)
		fprintf(f, "%*s", w > (int)text_width(t) ? w - (int)text_width(t) + 1 : 1, "");
}

char *out_event_line(json_object *event, const struct out_style *st)
{
	const char *state = jstr(event, PROTO_E_STATE);
	char when[32], *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	event_field(f, event_time(event, when, sizeof(when)), 19, NULL, false);
	event_field(f, jstr(event, PROTO_E_KIND), 6, NULL, false);
	event_field(f, jstr(event, PROTO_E_DEVICE), 12, NULL, false);
	event_field(f, state, 9, out_state_sgr(state), st->color);
	event_field(f, jstr(event, PROTO_E_MESSAGE), 0, NULL, false);
	fputc('\n', f);
	return memstream_done(f, &buf);
}

char *out_config_text(json_object *result)
{
	json_object *entries = jarray(result, PROTO_R_ENTRIES);
	const char *source = jstr(result, PROTO_R_SOURCE);
	char when[32], *buf = NULL;
	size_t len = 0;
	long long at;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("# ", f);
	put_clean(f, source ? source : "(no file)");
	if (out_bool(result, PROTO_R_MISSING) == 1)
		fputs(", missing", f);
	if (jint(result, PROTO_R_LOADED_AT, &at))
		fprintf(f, ", loaded %s", out_time(at, when, sizeof(when)));
	if (out_bool(result, PROTO_R_RUNTIME_MODIFIED) == 1)
		fputs(", changed at runtime (not in the file)", f);
	fputc('\n', f);
	for (size_t i = 0; i < jlen(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		const char *text = jstr(e, PROTO_C_TEXT);
		long long line = 0;

		jint(e, PROTO_C_LINE, &line);
		fprintf(f, "%4lld  ", line);
		put_clean(f, text);
		fputc('\n', f);
	}
	if (!jlen(entries))
		fputs("# no entries: no device is claimed\n", f);
	return memstream_done(f, &buf);
}

char *out_error_text(const struct proto_reply *rep)
{
	json_object *errors = rep->error ? jarray(rep->error, PROTO_F_ERRORS) : NULL;
	const char *code = rep->code_name ? rep->code_name : proto_error_name(PROTO_ERR_INTERNAL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("vfiobind: ", f);
	put_clean(f, code);
	fputs(": ", f);
	put_clean(f, rep->message);
	fputc('\n', f);
	for (size_t i = 0; i < jlen(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i);
		const char *file = jstr(e, PROTO_F_FILE), *m = jstr(e, PROTO_F_MESSAGE);
		long long line = 0;

		put_clean(f, file ? file : "config");
		if (jint(e, PROTO_F_LINE, &line))
			fprintf(f, ":%lld", line);
		fputs(": ", f);
		put_clean(f, m);
		fputc('\n', f);
	}
	return memstream_done(f, &buf);
}

/* jstr() made printable, or alt (also made printable) when absent. */
static char *jstr_printable(json_object *o, const char *key, const char *alt)
{
	const char *s = jstr(o, key);

	return out_printable(s ? s : alt);
}

char *out_version_text(json_object *result)
{
	_cleanup_free_ char *version = jstr_printable(result, PROTO_R_DAEMON_VERSION, "?");
	_cleanup_free_ char *node = jstr_printable(result, PROTO_R_NODE, "?");
	_cleanup_free_ char *root = jstr_printable(result, PROTO_R_SYSFS_ROOT, "?");
	char proto[24];

	if (!version || !node || !root)
		return NULL;
	return strf("daemon: vfiobindd %s (protocol %s) on node %s, sysfs %s%s\n", version,
		    jint_text(result, PROTO_R_PROTOCOL, proto, sizeof(proto)), node, root,
		    out_bool(result, PROTO_R_DRY_RUN) == 1 ? ", dry run" : "");
}

char *out_added_text(json_object *result, bool runtime)
{
	_cleanup_free_ char *line = jstr_printable(result, PROTO_R_ADDED, "(line)");

	if (!line)
		return NULL;
	return strf("added: %s%s\n", line,
		    runtime ? " (runtime only: the file is unchanged)" : "");
}

const char *out_version_mismatch(long long daemon_version, char *buf, size_t size)
{
	snprintf(buf, size, "vfiobindd speaks protocol %lld, this vfiobind speaks %d: "
		 "restart vfiobindd or use the vfiobind that came with it",
		 daemon_version, PROTO_VERSION);
	return buf;
}

char *out_json_line(json_object *result)
{
	return proto_encode_line(result, NULL);
}

static bool all_converged(json_object *devices)
{
	for (size_t i = 0; i < jlen(devices); i++) {
		const char *s = jstr(json_object_array_get_idx(devices, i), PROTO_S_STATE);

		if (proto_state_from_name(s) != PROTO_STATE_CONVERGED)
			return false;
	}
	return true;
}

int out_reply_exit(enum proto_cmd cmd, const struct proto_reply *rep)
{
	json_object *v;
	long long n;

	if (!rep->ok)
		return CLIENT_EXIT_FAIL;
	switch (cmd) {
	case PROTO_CMD_STATUS:
		return all_converged(jarray(rep->result, PROTO_R_DEVICES)) ? 0 : CLIENT_EXIT_FAIL;
	case PROTO_CMD_RECONCILE:
		return out_bool(rep->result, PROTO_R_CONVERGED) == 0 ? CLIENT_EXIT_FAIL
								      : CLIENT_EXIT_OK;
	case PROTO_CMD_CONFIG:
		if (json_object_object_get_ex(rep->result, PROTO_R_REJECTED, &v) &&
		    json_object_is_type(v, json_type_object))
			return CLIENT_EXIT_FAIL;
		return CLIENT_EXIT_OK;
	case PROTO_CMD_REMOVE:
		return jint(rep->result, PROTO_R_REMOVED, &n) && n == 0 ? CLIENT_EXIT_FAIL
									 : CLIENT_EXIT_OK;
	default:
		return CLIENT_EXIT_OK;
	}
}

/* --- command-line words to protocol text */

/* One word of a config line: not empty, no blank, control or comment start. */
static bool word_ok(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '#' || is_control((unsigned char)*s))
			return false;
	return true;
}

/* "key=value" with both sides present. */
static bool pair_ok(const char *s)
{
	const char *eq = strchr(s, '=');

	return word_ok(s) && eq && eq != s && eq[1] != '\0';
}

const char *out_device_arg(const char *arg, char buf[BDF_BUFSZ])
{
	if (!word_ok(arg))
		return NULL;
	if (strchr(arg, '='))
		return pair_ok(arg) ? arg : NULL;
	return bdf_normalize(arg, buf) == 0 ? buf : NULL;
}

int out_add_line(const char *node, int argc, char *const *argv, char **line,
		 const char **bad)
{
	char bdf[BDF_BUFSZ], *buf = NULL;
	const char *dev;
	size_t len = 0;
	FILE *f;

	*line = NULL;
	*bad = NULL;
	if (!word_ok(node) || strchr(node, '=')) {
		*bad = node ? node : "";
		return -EINVAL;
	}
	if (argc < 1 || !(dev = out_device_arg(argv[0], bdf))) {
		*bad = argc < 1 ? "" : argv[0];
		return -EINVAL;
	}
	for (int i = 1; i < argc; i++) {
		if (!pair_ok(argv[i])) {
			*bad = argv[i];
			return -EINVAL;
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "%s %s", node, dev);
	for (int i = 1; i < argc; i++)
		fprintf(f, " %s", argv[i]);
	*line = memstream_done(f, &buf);
	return *line ? 0 : -ENOMEM;
}

int out_put(FILE *f, char *s)
{
	if (!s)
		return -ENOMEM;
	fputs(s, f);
	free(s);
	return 0;
}
