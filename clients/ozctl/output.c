/* clients/ozctl/output.c -- how ozctl shows things: aligned tables, JSON,
 * error lines on stderr and the exit status of each error class.
 *
 * Formatting only; no calls to the server here. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../c/json_types.h"
#include "ozctl.h"

int
ozctl_exit_code(oz_code code)
{
	switch (code) {
	case OZ_OK:
		return OZCTL_EXIT_OK;
	case OZ_NOT_FOUND:
		return OZCTL_EXIT_NOT_FOUND;
	case OZ_ALREADY_EXISTS:
	case OZ_FAILED_PRECONDITION:
	case OZ_ABORTED:
		return OZCTL_EXIT_CONFLICT;
	case OZ_INVALID_ARGUMENT:
	case OZ_OUT_OF_RANGE:
		return OZCTL_EXIT_INVALID;
	case OZ_UNAVAILABLE:
	case OZ_DEADLINE_EXCEEDED:
	case OZ_RESOURCE_EXHAUSTED:
		return OZCTL_EXIT_UNAVAILABLE;
	case OZ_UNAUTHENTICATED:
	case OZ_PERMISSION_DENIED:
		return OZCTL_EXIT_AUTH;
	default:
		return OZCTL_EXIT_OTHER;
	}
}

int
ozctl_fail(const oz_status *st)
{
	fprintf(stderr, "ozctl: %s: %s\n", oz_code_name(st->code),
		st->message);
	for (size_t i = 0; i < st->n_violations; i++) {
		fprintf(stderr, "  %s: %s\n", st->violations[i].field,
			st->violations[i].description);
	}
	return ozctl_exit_code(st->code);
}

int
ozctl_print_json(const ProtobufCMessage *msg)
{
	oz_status st;
	char *text;
	oz_status_clear(&st);
	if (oz_json_from_message(msg, OZ_JSON_PRETTY | OZ_JSON_EMIT_DEFAULTS,
		    &text, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	puts(text);
	free(text);
	return OZCTL_EXIT_OK;
}

const char *
ozctl_time(const Google__Protobuf__Timestamp *t, char *buf, size_t n)
{
	if (t == NULL || !jt_timestamp_format(t->seconds, 0, buf, n)) {
		snprintf(buf, n, "-");
	}
	return buf;
}

#define TABLE_COLS 8

/* Decodes the UTF-8 sequence at s: its length (1 to 4) and *cp, or 0 when
 * the bytes are not UTF-8 (overlong forms and surrogates included). */
static int
utf8_next(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	int n = s[0] < 0x80         ? 1
		: (s[0] >> 5) == 6  ? 2
		: (s[0] >> 4) == 14 ? 3
		: (s[0] >> 3) == 30 ? 4
				    : 0;
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (n == 0 || c < min[n] || c > 0x10ffff ||
		(c >= 0xd800 && c <= 0xdfff)) {
		return 0;
	}
	*cp = c;
	return n;
}

/* Appends the escape of a character that must not reach the terminal as
 * it is; returns the bytes written (at most 6 plus NUL). */
static size_t
escape_one(uint32_t c, char *out)
{
	switch (c) {
	case '\n':
		return (size_t) sprintf(out, "\\n");
	case '\r':
		return (size_t) sprintf(out, "\\r");
	case '\t':
		return (size_t) sprintf(out, "\\t");
	case '\\':
		return (size_t) sprintf(out, "\\\\");
	default:
		return (size_t) sprintf(
			out, c < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned) c);
	}
}

/* A copy of s fit for one table cell (heap; NULL when out of memory):
 * newlines, tabs, other control characters (C0, DEL, C1), backslashes and
 * bytes that are not UTF-8 are written C-style (\n, \t, \\, \x1b, \u0085), so
 * a title with a line break stays on its row. */
static char *
escape_cell(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	char *out = malloc(strlen(s) * 6 + 1), *o = out;
	uint32_t c;
	if (out == NULL) {
		return NULL;
	}
	while (*p != '\0') {
		int n = utf8_next(p, &c);
		if (n == 0) {
			o += escape_one(*p++, o);
		} else if (c < 0x20 || c == 0x7f || c == '\\' ||
			   (c >= 0x80 && c < 0xa0)) {
			o += escape_one(c, o);
			p += n;
		} else {
			memcpy(o, p, (size_t) n);
			o += n;
			p += n;
		}
	}
	*o = '\0';
	return out;
}

struct ozctl_table {
	size_t n_cols;
	size_t n_rows; /* Row 0 holds the headers. */
	size_t cap;
	char **cells; /* n_rows * n_cols strings. */
};

ozctl_table *
ozctl_table_new(size_t n_cols, const char *const *headers)
{
	ozctl_table *t = calloc(1, sizeof(*t));
	if (t == NULL || n_cols > TABLE_COLS) {
		free(t);
		return NULL;
	}
	t->n_cols = n_cols;
	ozctl_table_add(t, headers);
	return t;
}

void
ozctl_table_add(ozctl_table *t, const char *const *cells)
{
	if (t == NULL) {
		return;
	}
	if (t->n_rows == t->cap) {
		size_t cap = t->cap != 0 ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->n_cols * sizeof(char *));
		if (c == NULL) {
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->n_cols; i++) {
		t->cells[t->n_rows * t->n_cols + i] =
			escape_cell(cells[i] != NULL ? cells[i] : "");
	}
	t->n_rows++;
}

/* Display width of an escaped cell: the terminal columns of each code
 * point (wcwidth: 2 for CJK and most emoji, 0 for combining marks). */
static size_t
width(const char *s)
{
	static bool utf8_ctype;
	const unsigned char *p = (const unsigned char *) s;
	size_t w = 0;
	uint32_t cp;
	int n;
	if (!utf8_ctype) {
		/* Only character classes: C.UTF-8 is built into glibc. */
		setlocale(LC_CTYPE, "C.UTF-8");
		utf8_ctype = true;
	}
	for (; p != NULL && *p != '\0'; p += n) {
		n = utf8_next(p, &cp);
		int cw = n > 0 ? wcwidth((wchar_t) cp) : -1;
		n = n > 0 ? n : 1;
		w += cw >= 0 ? (size_t) cw : 1;
	}
	return w;
}

void
ozctl_table_print(ozctl_table *t, FILE *f)
{
	size_t w[TABLE_COLS] = {0};
	if (t == NULL) {
		return;
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			size_t x = width(t->cells[r * t->n_cols + c]);
			w[c] = x > w[c] ? x : w[c];
		}
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = t->cells[r * t->n_cols + c];
			s = s != NULL ? s : "";
			if (c + 1 == t->n_cols) {
				fprintf(f, "%s\n", s);
			} else {
				fprintf(f, "%s%*s", s,
					(int) (w[c] - width(s) + 2), "");
			}
		}
	}
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
		free(t->cells[i]);
	}
	free(t->cells);
	free(t);
}
