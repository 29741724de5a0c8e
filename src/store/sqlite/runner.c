/* store/sqlite/runner.c -- the SQLite backend's general query runners
 * (runner.h): bind through a sqlite_binder, step, read, reset. */
#include <string.h>

#include "store/sqlite/runner.h"

/* Takes s from the cache and binds it with bind(arg). OUT: *s. Returns OK,
 * the cache's failure, or the first bind failure as store_error's code
 * (then s is already reset). */
static oz_code
bound_stmt(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, sqlite3_stmt **s, oz_status *st)
{
	oz_code rc = store_stmt(c, sql, s, st);
	if (rc != OZ_OK || bind == NULL) {
		return rc;
	}
	sqlite_binder b = {*s, SQLITE_OK};
	bind(&b, arg);
	if (b.rc != SQLITE_OK) {
		store_stmt_done(*s);
		return store_error(c, b.rc, st);
	}
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
sqlite_query_rows(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, size_t max, size_t elem, sqlite_read_fn read,
	arena *a, void **rows, size_t *n_rows, oz_status *st)
{
	sqlite3_stmt *s;
	void *out = NULL;
	size_t n = 0, cap = 0;
	int src = SQLITE_DONE;
	*rows = NULL;
	*n_rows = 0;
	oz_code rc = bound_stmt(c, sql, bind, arg, &s, st);
	if (rc != OZ_OK) {
		return rc;
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
step_once(store_conn *c, const char *sql, sqlite_bind_fn bind, const void *arg,
	int want, int64_t *col0, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = bound_stmt(c, sql, bind, arg, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(s);
	if (src != want) {
		rc = store_error(c, src, st);
	} else if (col0 != NULL) {
		*col0 = sqlite3_column_int64(s, 0);
	}
	store_stmt_done(s);
	return rc;
}

oz_code
sqlite_query_int(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, int64_t *n, oz_status *st)
{
	return step_once(c, sql, bind, arg, SQLITE_ROW, n, st);
}

oz_code
sqlite_query_exec(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, int64_t *changes, oz_status *st)
{
	oz_code rc = step_once(c, sql, bind, arg, SQLITE_DONE, NULL, st);
	if (rc == OZ_OK && changes != NULL) {
		*changes = sqlite3_changes64(c->db);
	}
	return rc;
}
