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
#include "store/backend.h"
#include "store/store.h"

#define STORE_STMT_CACHE 64

struct store_stmt_entry {
	const char *sql; /* Owned copy of the SQL text (the key). */
	sqlite3_stmt *stmt;
};

struct store_conn {
	const struct store_ops *ops; /* First: store_sqlite_ops. */
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

/* A zeroed connection of this backend (its table set, no database
 * open yet); NULL when out of memory. Freed with store_close. */
store_conn *sqlite_conn_alloc(void);

void sqlite_close(store_conn *c);
oz_code sqlite_optimize(store_conn *c, oz_status *st);

void sqlite_tx_flatten(store_conn *c, bool on);
oz_code sqlite_checkpoint(store_conn *c, oz_status *st);
void sqlite_manual_checkpoints(store_conn *c);
int sqlite_wal_pages(const store_conn *c);
oz_code sqlite_checkpoint_passive(store_conn *c, oz_status *st);
void sqlite_cache_counts(store_conn *c, int64_t *hits, int64_t *misses);
bool sqlite_file_moved(store_conn *c);
oz_code sqlite_write_probe(store_conn *c, oz_status *st);
oz_code sqlite_migrate_upgrade(
	store_conn *c, const char *target, oz_status *st);
oz_code sqlite_migrate_downgrade(
	store_conn *c, const char *target, oz_status *st);
oz_code sqlite_migrate_pending(store_conn *c, int *n_pending, oz_status *st);
oz_code sqlite_migrate_current(
	store_conn *c, char *rev, size_t n, oz_status *st);
oz_code sqlite_migrate_history(store_conn *c, arena *a,
	store_migrate_rev **out, size_t *n_out, oz_status *st);
oz_code sqlite_migrate_stamp(store_conn *c, const char *target, oz_status *st);
oz_code sqlite_migrate_check(store_conn *c, oz_status *st);
oz_code sqlite_query_run(store_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st);

/* The SQLite backend's operations, listed in store_sqlite_ops (db.c);
 * each has the contract of the store_* function of the same name. */
oz_code sqlite_tx_begin(store_conn *c, store_tx_kind kind, oz_status *st);
oz_code sqlite_tx_end(store_conn *c, oz_code rc, oz_status *st);
int sqlite_tx_depth(const store_conn *c);
bool sqlite_tx_intact(const store_conn *c);
oz_code sqlite_user_insert(store_conn *c, store_user *u, oz_status *st);
oz_code sqlite_user_get(
	store_conn *c, int64_t id, arena *a, store_user *out, oz_status *st);
oz_code sqlite_user_get_by_email(store_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st);
oz_code sqlite_user_update(store_conn *c, const store_user *u, oz_status *st);
oz_code sqlite_user_delete(store_conn *c, int64_t id, oz_status *st);
oz_code sqlite_user_count(
	store_conn *c, const store_user_filter *f, int64_t *n, oz_status *st);
oz_code sqlite_user_list(store_conn *c, const store_user_filter *f,
	const store_page *p, arena *a, store_user **rows, size_t *n_rows,
	oz_status *st);
oz_code sqlite_task_insert(store_conn *c, store_task *t, oz_status *st);
oz_code sqlite_task_get(
	store_conn *c, int64_t id, arena *a, store_task *out, oz_status *st);
oz_code sqlite_task_update(store_conn *c, const store_task *t, oz_status *st);
oz_code sqlite_task_delete(store_conn *c, int64_t id, oz_status *st);
oz_code sqlite_task_delete_by_user(
	store_conn *c, int64_t user_id, int64_t *n, oz_status *st);
oz_code sqlite_task_list_by_user(store_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st);
oz_code sqlite_task_count(
	store_conn *c, const store_task_filter *f, int64_t *n, oz_status *st);
oz_code sqlite_task_list(store_conn *c, const store_task_filter *f,
	const store_page *p, arena *a, store_task **rows, size_t *n_rows,
	oz_status *st);
oz_code sqlite_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st);
oz_code sqlite_idem_put(
	store_conn *c, const char *key, const store_idem *rec, oz_status *st);
oz_code sqlite_idem_purge(
	store_conn *c, int64_t before_us, int *n_deleted, oz_status *st);

#endif /* OZ_STORE_DB_H */
