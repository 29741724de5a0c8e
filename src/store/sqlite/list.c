/* store/sqlite/list.c -- keyset pagination shared by the users and tasks
 * stores (the SQL of a page, its binds, its run), and EXPLAIN QUERY PLAN
 * for the index tests.
 *
 * SQL here is assembled only from the stores' fixed column tables and
 * filter fragments; nothing from a request is ever pasted in. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/keyset.h"

oz_code
keyset_sql(char *buf, size_t cap, const keyset_table *t, const char *filter,
	const store_page *p, oz_status *st)
{
	return keyset_sql_build(buf, cap, '?', t, filter, p, st);
}

/* What bind_page binds: the query's own parameters, then the page's. */
struct page_args {
	sqlite_bind_fn bind;
	const void *arg;
	const store_page *p;
};

/* Binds the filter's parameters, then the cursor values, limit and offset
 * of a page (keyset_sql's numbering). */
static void
bind_page(sqlite_binder *b, const void *arg)
{
	const struct page_args *pa = arg;
	const store_page *p = pa->p;
	if (pa->bind != NULL) {
		pa->bind(b, pa->arg);
	}
	for (int k = 0; p->after != NULL && k < p->order->n; k++) {
		const store_value *v = &p->after[k];
		if (v->type == STORE_TEXT) {
			sqlite_bind_text(b, KEYSET_PARAM_AFTER + k, v->s);
		} else {
			sqlite_bind_int(b, KEYSET_PARAM_AFTER + k, v->i);
		}
	}
	sqlite_bind_int(b, KEYSET_PARAM_LIMIT, p->limit);
	sqlite_bind_int(b, KEYSET_PARAM_OFFSET, p->offset);
}

oz_code
store_explain(
	store_conn *c, const char *sql, arena *a, char **plan, oz_status *st)
{
	char q[KEYSET_SQL_MAX + 32];
	sqlite3_stmt *stmt = NULL;
	size_t len = 0, cap = 256;
	char *out = arena_alloc(a, cap);
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(c->db, q, -1, &stmt, NULL) != SQLITE_OK) {
		return oz_fail(st, OZ_INTERNAL, "cannot explain: %s",
			sqlite3_errmsg(c->db));
	}
	while (out != NULL && sqlite3_step(stmt) == SQLITE_ROW) {
		const char *d = (const char *) sqlite3_column_text(stmt, 3);
		size_t n = d != NULL ? strlen(d) : 0;
		if (len + n + 2 > cap) {
			char *bigger = arena_alloc(a, 2 * (len + n + 2));
			if (bigger != NULL) {
				memcpy(bigger, out, len);
			}
			out = bigger;
			cap = 2 * (len + n + 2);
		}
		if (out != NULL) {
			memcpy(out + len, d != NULL ? d : "", n);
			len += n;
			out[len++] = '\n';
		}
	}
	sqlite3_finalize(stmt);
	if (out == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	out[len] = '\0';
	*plan = out;
	return OZ_OK;
}

oz_code
keyset_list(store_conn *c, const keyset_table *t, const char *filter,
	sqlite_bind_fn bind, const void *arg, const store_page *p, size_t elem,
	sqlite_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st)
{
	char sql[KEYSET_SQL_MAX];
	oz_code rc;
	if (p->limit < 1 || p->limit > STORE_LIMIT_MAX || p->offset < 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "bad page bounds");
	}
	if ((rc = keyset_sql(sql, sizeof(sql), t, filter, p, st)) != OZ_OK) {
		return rc;
	}
	struct page_args pa = {bind, arg, p};
	return sqlite_query_rows(c, sql, bind_page, &pa, (size_t) p->limit,
		elem, read, a, rows, n_rows, st);
}
