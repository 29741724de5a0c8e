/* store/postgres/pg.h -- the PostgreSQL store backend (libpq): its
 * connection, transactions, migrations and the same operations as
 * store/user_store.h, task_store.h and idem_store.h, with the same
 * records, rules, messages and codes.
 *
 * No libpq-fe.h here: callers outside src/store/postgres/ (the coming
 * backend table of operations, tests) see only this. A pg_conn belongs
 * to one thread at a time. Strings of returned records are copied into
 * the caller's arena; strings passed in are only read during the call.
 *
 * Codes common to all: UNAVAILABLE when the connection is lost or the
 * server is read-only or shutting down, ABORTED for a serialization
 * failure or deadlock (pg_tx_run retries those), DEADLINE_EXCEEDED when
 * a statement was cancelled, RESOURCE_EXHAUSTED for a full disk or an
 * arena out of memory, INVALID_ARGUMENT for a value breaking a CHECK,
 * INTERNAL for anything unexpected (logged, not sent). The mapping lives
 * in pg_error.c only. */
#ifndef OZ_STORE_POSTGRES_PG_H
#define OZ_STORE_POSTGRES_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "oz/status.h"
#include "store/idem_store.h"
#include "store/list.h"
#include "store/migrate.h"
#include "store/query.h"
#include "store/store.h"
#include "store/task_store.h"
#include "store/user_store.h"

typedef struct pg_conn pg_conn;

/* c as a store_conn: the store_* functions (user_store.h, task_store.h,
 * idem_store.h, store_tx_*, store_optimize, store_close) then run on it
 * through this backend's table of operations (store/backend.h). The same
 * object: close it with store_close or pg_close, once. */
store_conn *pg_store_conn(pg_conn *c);

/* True when url starts with postgresql:// or postgres://. */
bool pg_url_is_postgres(const char *url);

/* Opens a connection with libpq, url passed as it is (so multi-host
 * lists, sslmode, target_session_attrs, connect_timeout, PGPASSFILE and
 * the PG* environment all work as libpq documents), and logs the
 * effective configuration with the password masked. OUT: *out, freed
 * with pg_close. Returns OK, INVALID_ARGUMENT for a URL libpq cannot
 * parse, UNAVAILABLE when no server answers (libpq's reason logged). */
oz_code pg_open(pg_conn **out, const char *url, oz_status *st) OZ_MUST_USE;

/* Closes c. NULL is a no-op. */
void pg_close(pg_conn *c);

/* False once the connection is known lost. */
bool pg_connected(const pg_conn *c);

/* Reconnects c (same URL) after a loss, forgetting its prepared
 * statements and any open transaction. Returns OK or UNAVAILABLE. */
oz_code pg_reconnect(pg_conn *c, oz_status *st) OZ_MUST_USE;

/* Makes c usable for a new transaction: outside any transaction, a lost
 * (or dropped) connection is re-established, at most once per back-off
 * (PG_BACKOFF_MIN_MS doubling to PG_BACKOFF_CAP_MS while attempts fail),
 * so a server that is down costs each call one quick UNAVAILABLE, not a
 * connect attempt. Returns OK or UNAVAILABLE. */
#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_CAP_MS 2000
oz_code pg_ensure(pg_conn *c, oz_status *st) OZ_MUST_USE;

/* Refreshes the planner's statistics (ANALYZE): AdminService/Optimize. */
oz_code pg_optimize(pg_conn *c, oz_status *st) OZ_MUST_USE;

/* The server's backend process id, for tests that terminate it. */
int pg_backend_pid(const pg_conn *c);

/* Runs one or more SQL statements without parameters or results, as
 * they are (DDL, migration scripts, test set-up). */
oz_code pg_exec_script(pg_conn *c, const char *sql, oz_status *st) OZ_MUST_USE;

/* Starts a transaction (READ: REPEATABLE READ READ ONLY, a consistent
 * snapshot; WRITE: SERIALIZABLE, so read-modify-write cycles such as the
 * etag version never lose an update), or a SAVEPOINT when one is open. */
oz_code pg_tx_begin(pg_conn *c, store_tx_kind kind, oz_status *st) OZ_MUST_USE;

/* Ends what the matching begin started: COMMIT (RELEASE) when rc is OK,
 * else ROLLBACK (ROLLBACK TO). Returns rc when not OK, else the result of
 * the commit, which is when a serialization failure may surface. */
oz_code pg_tx_end(pg_conn *c, oz_code rc, oz_status *st) OZ_MUST_USE;

/* Bounds every statement of the transactions begun on c from now on to
 * timeout_ms (0: no bound; a call sets its remaining deadline): the
 * server cancels a statement still running then, lock waits included,
 * and it fails DEADLINE_EXCEEDED. */
void pg_set_timeout(pg_conn *c, int timeout_ms);

/* Transactions and savepoints open on c. */
int pg_tx_depth(const pg_conn *c);

/* False when the transaction pg_tx_begin opened can no longer commit
 * what was done in it: a statement failed outside a savepoint that was
 * rolled back to, or the connection lost it. */
bool pg_tx_intact(const pg_conn *c);

/* Retries of a transaction that failed ABORTED before pg_tx_run gives
 * up. */
#define PG_TX_RETRIES 5

/* Runs fn(c, arg, st) in a transaction of kind and commits it. When c has
 * no transaction open and the attempt (fn or the COMMIT) failed ABORTED
 * (SQLSTATE 40001 or 40P01), runs it again, at most PG_TX_RETRIES more
 * times, then returns ABORTED. fn must be safe to re-run: it may write
 * only through c. Inside an outer transaction it runs once, in a
 * savepoint, and an ABORTED is the outer transaction's to retry. */
typedef oz_code (*pg_tx_fn)(pg_conn *c, void *arg, oz_status *st);
oz_code pg_tx_run(pg_conn *c, store_tx_kind kind, pg_tx_fn fn, void *arg,
	oz_status *st) OZ_MUST_USE;

/* Applies the pending PostgreSQL migrations (migrations/postgres/) up to
 * target ("head" or a revision id such as "0002"), one transaction each,
 * recorded in oz_migrations like on SQLite; a session advisory lock held
 * across them makes concurrent callers apply each revision exactly once.
 * OUT: *applied (may be NULL). Returns OK, INVALID_ARGUMENT for an
 * unknown target, FAILED_PRECONDITION when the database has revisions
 * newer than this build's head, or the failing migration's code. */
oz_code pg_migrate_upgrade(pg_conn *c, const char *target, int *applied,
	oz_status *st) OZ_MUST_USE;

/* Undoes applied migrations down to target ("base" or a revision id),
 * newest first, one transaction each, under the same lock. OUT: *undone
 * (may be NULL). */
oz_code pg_migrate_downgrade(pg_conn *c, const char *target, int *undone,
	oz_status *st) OZ_MUST_USE;

/* As store_migrate_pending, _check, _history and _stamp (migrate.h) on
 * the PostgreSQL set. check verifies the recorded revisions only: they
 * must be a known prefix of the set (no schema diff on this dialect). */
oz_code pg_migrate_pending(
	pg_conn *c, int *n_pending, oz_status *st) OZ_MUST_USE;
oz_code pg_migrate_check(pg_conn *c, oz_status *st) OZ_MUST_USE;
oz_code pg_migrate_history(pg_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st) OZ_MUST_USE;
oz_code pg_migrate_stamp(
	pg_conn *c, const char *target, oz_status *st) OZ_MUST_USE;

/* As store_query_run (query.h): one statement ($1.. parameters) as a
 * cursor in a READ ONLY transaction, bounded by q's time and row limits. */
oz_code pg_query_run(pg_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st) OZ_MUST_USE;

/* Runs sql and writes column 0 of every row, each followed by '\n',
 * into out (size cap; cut short when it does not fit). For tests. */
oz_code pg_query_lines(pg_conn *c, const char *sql, char *out, size_t cap,
	oz_status *st) OZ_MUST_USE;

/* OUT: rev (size cap), the newest applied revision, "base" when none. */
oz_code pg_migrate_current(
	pg_conn *c, char *rev, size_t cap, oz_status *st) OZ_MUST_USE;

/* The users table: the same contract as store_user_* (user_store.h). */
oz_code pg_user_insert(pg_conn *c, store_user *u, oz_status *st) OZ_MUST_USE;
oz_code pg_user_get(pg_conn *c, int64_t id, arena *a, store_user *out,
	oz_status *st) OZ_MUST_USE;
oz_code pg_user_get_by_email(pg_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st) OZ_MUST_USE;
oz_code pg_user_update(
	pg_conn *c, const store_user *u, oz_status *st) OZ_MUST_USE;
oz_code pg_user_delete(pg_conn *c, int64_t id, oz_status *st) OZ_MUST_USE;
oz_code pg_user_count(pg_conn *c, const store_user_filter *f, int64_t *n,
	oz_status *st) OZ_MUST_USE;
oz_code pg_user_list(pg_conn *c, const store_user_filter *f,
	const store_page *p, arena *a, store_user **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* The tasks table: the same contract as store_task_* (task_store.h). */
oz_code pg_task_insert(pg_conn *c, store_task *t, oz_status *st) OZ_MUST_USE;
oz_code pg_task_get(pg_conn *c, int64_t id, arena *a, store_task *out,
	oz_status *st) OZ_MUST_USE;
oz_code pg_task_update(
	pg_conn *c, const store_task *t, oz_status *st) OZ_MUST_USE;
oz_code pg_task_delete(pg_conn *c, int64_t id, oz_status *st) OZ_MUST_USE;
oz_code pg_task_delete_by_user(
	pg_conn *c, int64_t user_id, int64_t *n, oz_status *st) OZ_MUST_USE;
oz_code pg_task_list_by_user(pg_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st) OZ_MUST_USE;
oz_code pg_task_count(pg_conn *c, const store_task_filter *f, int64_t *n,
	oz_status *st) OZ_MUST_USE;
oz_code pg_task_list(pg_conn *c, const store_task_filter *f,
	const store_page *p, arena *a, store_task **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* oz_idempotency: the same contract as store_idem_* (idem_store.h). */
oz_code pg_idem_get(pg_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st) OZ_MUST_USE;
oz_code pg_idem_put(pg_conn *c, const char *key, const store_idem *rec,
	oz_status *st) OZ_MUST_USE;
oz_code pg_idem_purge(pg_conn *c, int64_t before_us, int *n_deleted,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_POSTGRES_PG_H */
