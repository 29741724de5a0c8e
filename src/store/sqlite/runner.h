/* store/sqlite/runner.h -- the SQLite backend's general query runners (the
 * counterpart of pg_query_rows, pg_query_int and pg_query_exec): run one
 * cached statement, binding its parameters through a sqlite_binder, and
 * answer rows into arena records, one integer, or the rows it changed.
 * Only src/store/sqlite/ files include this (it names sqlite3_stmt).
 *
 * Every bind goes through the sqlite_bind_* functions below: the first
 * failure is kept in the binder, later binds are skipped, and the runner
 * turns it into store_error's code before stepping. Every runner resets
 * its statement before returning, on success and on failure. */
#ifndef OZ_STORE_SQLITE_RUNNER_H
#define OZ_STORE_SQLITE_RUNNER_H

#include "store/sqlite/db.h"

/* The statement being bound and the first bind failure (SQLITE_OK when
 * none). */
typedef struct sqlite_binder {
	sqlite3_stmt *stmt;
	int rc;
} sqlite_binder;

/* Bind parameter i (1-based) of b's statement, unless a bind failed
 * before. Text and blobs are not copied: they must outlive the run. A
 * NULL text or blob binds SQL NULL (a zero-length blob needs "", not
 * NULL). */
static inline void
sqlite_bind_int(sqlite_binder *b, int i, int64_t v)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_int64(b->stmt, i, v);
	}
}

static inline void
sqlite_bind_text(sqlite_binder *b, int i, const char *s)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_text(b->stmt, i, s, -1, SQLITE_STATIC);
	}
}

/* Text of len bytes (no terminator needed). */
static inline void
sqlite_bind_text_n(sqlite_binder *b, int i, const char *s, size_t len)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_text64(
			b->stmt, i, s, len, SQLITE_STATIC, SQLITE_UTF8);
	}
}

static inline void
sqlite_bind_double(sqlite_binder *b, int i, double v)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_double(b->stmt, i, v);
	}
}

static inline void
sqlite_bind_null(sqlite_binder *b, int i)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_null(b->stmt, i);
	}
}

static inline void
sqlite_bind_blob(sqlite_binder *b, int i, const void *p, size_t n)
{
	if (b->rc == SQLITE_OK) {
		b->rc = sqlite3_bind_blob64(b->stmt, i, p, n, SQLITE_STATIC);
	}
}

/* Binds a query's own parameters from arg. */
typedef void (*sqlite_bind_fn)(sqlite_binder *b, const void *arg);

/* Copies the current row into *row (strings into a). */
typedef oz_code (*sqlite_read_fn)(
	sqlite3_stmt *stmt, arena *a, void *row, oz_status *st);

/* Runs the query sql (cached), bound with bind(arg) when bind is not NULL,
 * and reads at most max rows (0: all) of elem bytes each with read. The
 * array is allocated once for max rows, or grown by doubling when max is
 * 0. OUT: *rows, an array from a (NULL when no row), and *n_rows. Returns
 * OK or the first failure (a bind's as store_error's code). */
oz_code sqlite_query_rows(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, size_t max, size_t elem, sqlite_read_fn read,
	arena *a, void **rows, size_t *n_rows, oz_status *st) OZ_MUST_USE;

/* Runs a query answering one integer (a count, EXISTS). OUT: *n. */
oz_code sqlite_query_int(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, int64_t *n, oz_status *st) OZ_MUST_USE;

/* Runs a statement without rows. OUT: *changes, the rows it changed
 * (may be NULL). Returns OK or the store_error code. */
oz_code sqlite_query_exec(store_conn *c, const char *sql, sqlite_bind_fn bind,
	const void *arg, int64_t *changes, oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_SQLITE_RUNNER_H */
