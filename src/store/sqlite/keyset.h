/* store/sqlite/keyset.h -- what the SQLite user and task stores share:
 * the SQL of one page of a keyset-paginated list, and small runners for
 * cached statements (rows into arena records, one integer, no rows). Only
 * src/store/sqlite/ files include this (it names sqlite3_stmt); callers
 * outside use store/list.h.
 *
 * The SQL is assembled only from a store's fixed column table, fixed
 * filter fragments and fixed keywords; every value is bound. Every runner
 * resets its statement before returning, on success and on failure. */
#ifndef OZ_STORE_KEYSET_H
#define OZ_STORE_KEYSET_H

#include "store/sqlite/db.h"
#include "store/keyset_sql.h"
#include "store/list.h"

/* Writes into buf (size cap) the query for page p of table t: rows
 * matching filter (fixed conditions joined by AND, or "" for all), in
 * p->order, after p->after when set.
 *
 * Without a cursor it is one SELECT ... ORDER BY ... LIMIT OFFSET. With a
 * cursor (k1..kn) = (v1..vn) it is a UNION ALL of n branches, branch j
 * being "k1 = v1 AND ... AND k(j-1) = v(j-1) AND kj > vj" (< for desc),
 * each ordered and limited, so that each branch is one index range seek
 * even when k1 has many equal values; the outer query orders the union
 * and applies limit and offset. Returns OK, or INTERNAL when the order is
 * malformed or the SQL does not fit (a bug, not a user error). */
oz_code keyset_sql(char *buf, size_t cap, const keyset_table *t,
	const char *filter, const store_page *p, oz_status *st) OZ_MUST_USE;

/* Binds p's cursor values, limit and offset to stmt (prepared from
 * keyset_sql for the same p). Returns OK or the store_error code. */
oz_code keyset_bind(store_conn *c, sqlite3_stmt *stmt, const store_page *p,
	oz_status *st) OZ_MUST_USE;

/* Binds a query's own parameters (a filter, a key); returns SQLite's rc. */
typedef int (*keyset_bind_fn)(sqlite3_stmt *stmt, const void *arg);

/* Copies the current row into *row (strings into a). */
typedef oz_code (*keyset_read_fn)(
	sqlite3_stmt *stmt, arena *a, void *row, oz_status *st);

/* Runs the query sql (cached), binding it with bind(arg) when bind is not
 * NULL and with keyset_bind when p is not NULL, and reads at most max
 * rows (0: all) of elem bytes each with read. The array is allocated once
 * for max rows, or grown by doubling when max is 0. OUT: *rows, an array
 * from a (NULL when no row), and *n_rows. Returns OK or the first
 * failure. */
oz_code keyset_rows(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, const store_page *p, size_t max, size_t elem,
	keyset_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* Runs a query answering one integer (a count, EXISTS). OUT: *n. */
oz_code keyset_int(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, int64_t *n, oz_status *st) OZ_MUST_USE;

/* Runs a statement without rows. OUT: *changes, the rows it changed
 * (may be NULL). Returns OK or the store_error code. */
oz_code keyset_exec(store_conn *c, const char *sql, keyset_bind_fn bind,
	const void *arg, int64_t *changes, oz_status *st) OZ_MUST_USE;

/* Runs page p of table t (keyset_sql with filter), binding the filter with
 * bind(arg). OUT: *rows (from a) and *n_rows <= p->limit. Returns OK,
 * INVALID_ARGUMENT for a limit outside 1..STORE_LIMIT_MAX or an offset
 * below 0, INTERNAL for a malformed order, or the query's failure. */
oz_code keyset_list(store_conn *c, const keyset_table *t, const char *filter,
	keyset_bind_fn bind, const void *arg, const store_page *p, size_t elem,
	keyset_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_KEYSET_H */
