/* store/sqlite/list.c -- keyset pagination SQL shared by the users and tasks
 * stores, and EXPLAIN QUERY PLAN for the index tests.
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

oz_code
keyset_bind(
	store_conn *c, sqlite3_stmt *stmt, const store_page *p, oz_status *st)
{
	int rc = SQLITE_OK;
	for (int k = 0; p->after != NULL && k < p->order->n; k++) {
		const store_value *v = &p->after[k];
		int i = KEYSET_PARAM_AFTER + k;
		if (rc != SQLITE_OK) {
			break;
		}
		rc = v->type == STORE_TEXT ? sqlite3_bind_text(stmt, i, v->s,
						     -1, SQLITE_STATIC)
					   : sqlite3_bind_int64(stmt, i, v->i);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(stmt, KEYSET_PARAM_LIMIT, p->limit);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(stmt, KEYSET_PARAM_OFFSET, p->offset);
	}
	return rc == SQLITE_OK ? OZ_OK : store_error(c, rc, st);
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

/* Grows *rows (cap elements of elem bytes) in a: to first elements at
 * first (the known row limit, so a page is allocated once), then to twice
 * its size. */
static bool
grow(arena *a, void **rows, size_t *cap, size_t first, size_t n, size_t elem)
{
	size_t ncap = *cap == 0 ? first : 2 * *cap;
	void *bigger = arena_alloc(a, ncap * elem);
	if (bigger == NULL) {
		return false;
	}
	if (n > 0) {
		memcpy(bigger, *rows, n * elem);
	}
	*rows = bigger;
	*cap = ncap;
	return true;
}

oz_code
keyset_rows(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, const store_page *p, size_t max, size_t elem,
	keyset_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st)
{
	sqlite3_stmt *s;
	void *out = NULL;
	size_t n = 0, cap = 0;
	oz_code rc = store_stmt(c, sql, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = bind != NULL ? bind(s, arg) : SQLITE_OK;
	rc = src == SQLITE_OK ? OZ_OK : store_error(c, src, st);
	if (rc == OZ_OK && p != NULL) {
		rc = keyset_bind(c, s, p, st);
	}
	while (rc == OZ_OK && (max == 0 || n < max) &&
		(src = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap &&
			!grow(a, &out, &cap, max > 0 ? max : 16, n, elem)) {
			rc = oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
			break;
		}
		rc = read(s, a, (char *) out + n * elem, st);
		n++;
	}
	if (rc == OZ_OK && src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = store_error(c, src, st);
	}
	store_stmt_done(s);
	*rows = out;
	*n_rows = rc == OZ_OK ? n : 0;
	return rc;
}

/* Binds and steps sql once, expecting want (a row or the end). OUT: *col0,
 * column 0 of the row, when want is SQLITE_ROW. */
static oz_code
step_once(store_conn *c, const char *sql, keyset_bind_fn bind, const void *arg,
	int want, int64_t *col0, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, sql, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = bind != NULL ? bind(s, arg) : SQLITE_OK;
	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
	}
	if (src != want) {
		rc = store_error(c, src, st);
	} else if (col0 != NULL) {
		*col0 = sqlite3_column_int64(s, 0);
	}
	store_stmt_done(s);
	return rc;
}

oz_code
keyset_int(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, int64_t *n, oz_status *st)
{
	return step_once(c, sql, bind, arg, SQLITE_ROW, n, st);
}

oz_code
keyset_exec(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, int64_t *changes, oz_status *st)
{
	oz_code rc = step_once(c, sql, bind, arg, SQLITE_DONE, NULL, st);
	if (rc == OZ_OK && changes != NULL) {
		*changes = sqlite3_changes64(c->db);
	}
	return rc;
}

oz_code
keyset_list(store_conn *c, const keyset_table *t, const char *filter,
	keyset_bind_fn bind, const void *arg, const store_page *p, size_t elem,
	keyset_read_fn read, arena *a, void **rows, size_t *n_rows,
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
	return keyset_rows(c, sql, bind, arg, p, (size_t) p->limit, elem, read,
		a, rows, n_rows, st);
}
