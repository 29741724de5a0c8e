/* store/keyset_sql.c -- builds the SQL of one keyset page (keyset_sql.h)
 * for SQLite ('?' parameters) and PostgreSQL ('$' parameters). Nothing
 * from a request is ever pasted in: only column expressions, filters and
 * keywords fixed in the stores. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "store/keyset_sql.h"

/* A bounded string builder: on overflow it keeps failing. */
typedef struct sbuf {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
} sbuf;

static void
sb_add(sbuf *b, const char *fmt, ...)
{
	if (b->overflow) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	b->len += (size_t) n;
}

/* Appends "e1 ASC, e2 DESC, ..." for the order. */
static void
sb_order(sbuf *b, const store_column *cols, const store_order *o)
{
	for (int k = 0; k < o->n; k++) {
		sb_add(b, "%s%s %s", k > 0 ? ", " : "",
			cols[o->keys[k].col].expr,
			o->keys[k].desc ? "DESC" : "ASC");
	}
}

static bool
order_valid(const store_order *o, int n_cols)
{
	if (o == NULL || o->n < 1 || o->n > STORE_ORDER_MAX ||
		o->keys[o->n - 1].col != 0) {
		return false;
	}
	for (int k = 0; k < o->n; k++) {
		if (o->keys[k].col < 0 || o->keys[k].col >= n_cols) {
			return false;
		}
	}
	return true;
}

/* One branch of the union: rows equal to the cursor on keys 0..j-1 and
 * after it on key j. */
static void
sb_branch(sbuf *b, char mark, const keyset_table *t, const char *filter,
	const store_order *o, int j)
{
	const store_column *cols = t->cols;
	sb_add(b, "SELECT * FROM (SELECT %s FROM %s WHERE ", t->select,
		t->table);
	if (filter[0] != '\0') {
		sb_add(b, "%s AND ", filter);
	}
	for (int k = 0; k < j; k++) {
		sb_add(b, "%s = %c%d AND ", cols[o->keys[k].col].expr, mark,
			KEYSET_PARAM_AFTER + k);
	}
	sb_add(b, "%s %s %c%d ORDER BY ", cols[o->keys[j].col].expr,
		o->keys[j].desc ? "<" : ">", mark, KEYSET_PARAM_AFTER + j);
	sb_order(b, cols, o);
	sb_add(b, " LIMIT %c%d + %c%d) AS b%d", mark, KEYSET_PARAM_LIMIT, mark,
		KEYSET_PARAM_OFFSET, j);
}

oz_code
keyset_sql_build(char *buf, size_t cap, char mark, const keyset_table *t,
	const char *filter, const store_page *p, oz_status *st)
{
	const store_order *o = p->order;
	sbuf b = {buf, cap, 0, cap == 0};
	if (!order_valid(o, t->n_cols)) {
		return oz_fail(st, OZ_INTERNAL, "malformed sort order");
	}
	if (p->after == NULL) {
		sb_add(&b, "SELECT %s FROM %s", t->select, t->table);
		if (filter[0] != '\0') {
			sb_add(&b, " WHERE %s", filter);
		}
	} else {
		sb_add(&b, "SELECT * FROM (");
		/* Deepest branch first: its rows come first in the order. */
		for (int j = o->n - 1; j >= 0; j--) {
			sb_branch(&b, mark, t, filter, o, j);
			sb_add(&b, "%s", j > 0 ? " UNION ALL " : ") AS page");
		}
	}
	sb_add(&b, " ORDER BY ");
	sb_order(&b, t->cols, o);
	sb_add(&b, " LIMIT %c%d OFFSET %c%d", mark, KEYSET_PARAM_LIMIT, mark,
		KEYSET_PARAM_OFFSET);
	if (b.overflow) {
		return oz_fail(st, OZ_INTERNAL, "list query too long");
	}
	return OZ_OK;
}
