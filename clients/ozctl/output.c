/* clients/ozctl/output.c -- how ozctl shows things: aligned tables, JSON,
 * error lines on stderr and the exit status of each error class.
 *
 * Formatting only; no calls to the server here. */
#include <stdlib.h>
#include <string.h>

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
			strdup(cells[i] != NULL ? cells[i] : "");
	}
	t->n_rows++;
}

/* Display width: UTF-8 code points, not bytes. */
static size_t
width(const char *s)
{
	size_t w = 0;
	for (; s != NULL && *s != '\0'; s++) {
		w += ((unsigned char) *s & 0xc0) != 0x80;
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
