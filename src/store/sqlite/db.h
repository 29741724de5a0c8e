/* store/sqlite/db.h -- what the store's own files share: the connection
 * struct, the statement cache and the one mapping of SQLite results to oz
 * codes.
 *
 * Only files in src/store/sqlite/ (and tests) include this (and so
 * sqlite3.h). */
#ifndef OZ_STORE_DB_H
#define OZ_STORE_DB_H

#include <sqlite3.h>

#include "core/arena.h"
#include "store/store.h"

#define STORE_STMT_CACHE 64

struct store_stmt_entry {
	const char *sql; /* Owned copy of the SQL text (the key). */
	sqlite3_stmt *stmt;
};

struct store_conn {
	sqlite3 *db;
	store_config cfg;
	int tx_depth;
	int flat_depth; /* > 0: depths from here on take no savepoint. */
	int wal_pages;  /* Set by its commits (manual checkpoints). */
	int n_stmts;
	struct store_stmt_entry stmts[STORE_STMT_CACHE];
};

/* Returns the cached prepared statement for sql, preparing it on first
 * use. The statement is reset and its bindings cleared: bind, step, then
 * call store_stmt_done. OUT: *out, owned by the cache. */
oz_code store_stmt(store_conn *c, const char *sql, sqlite3_stmt **out,
	oz_status *st) OZ_MUST_USE;

/* Resets a statement from store_stmt so it can be used again. */
void store_stmt_done(sqlite3_stmt *stmt);

/* Runs one or more SQL statements without results. */
oz_code store_exec(store_conn *c, const char *sql, oz_status *st) OZ_MUST_USE;

/* Maps a failed SQLite result to an oz status, the only place that does:
 * unique constraint -> ALREADY_EXISTS, foreign key -> FAILED_PRECONDITION,
 * other constraints -> INVALID_ARGUMENT, busy/locked -> UNAVAILABLE, no
 * memory or full -> RESOURCE_EXHAUSTED, read-only -> FAILED_PRECONDITION,
 * anything else -> INTERNAL with sqlite3_errmsg() logged, not sent. The
 * message is generic; callers that know better (e.g. "Email already
 * registered") overwrite it. */
oz_code store_error(store_conn *c, int rc, oz_status *st) OZ_MUST_USE;

/* Copies text column i of the current row of stmt into a (NULL gives "").
 * Returns NULL only when the arena is out of memory. */
const char *store_column_text(sqlite3_stmt *stmt, int i, arena *a);

#endif /* OZ_STORE_DB_H */
