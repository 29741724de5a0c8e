/* store/sqlite/keyset.h -- what the SQLite user and task stores share:
 * the SQL of one page of a keyset-paginated list and its runner (on
 * runner.h's sqlite_query_rows). Only src/store/sqlite/ files include this
 * (it names sqlite3_stmt); callers outside use store/list.h.
 *
 * The SQL is assembled only from a store's fixed column table, fixed
 * filter fragments and fixed keywords; every value is bound. */
#ifndef OZ_STORE_KEYSET_H
#define OZ_STORE_KEYSET_H

#include "store/sqlite/runner.h"
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

/* Runs page p of table t (keyset_sql with filter), binding the filter with
 * bind(arg), then p's cursor values, limit and offset. OUT: *rows (from
 * a) and *n_rows <= p->limit. Returns OK, INVALID_ARGUMENT for a limit
 * outside 1..STORE_LIMIT_MAX or an offset below 0, INTERNAL for a
 * malformed order, or the query's failure. */
oz_code keyset_list(store_conn *c, const keyset_table *t, const char *filter,
	sqlite_bind_fn bind, const void *arg, const store_page *p, size_t elem,
	sqlite_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_KEYSET_H */
