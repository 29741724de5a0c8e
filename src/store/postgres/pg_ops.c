/* store/postgres/pg_ops.c -- the PostgreSQL backend's table of
 * operations (store/backend.h): each entry is the pg_* function of the
 * same name, called with the pg_conn the store_conn is. */
#include <stdio.h>

#include "store/backend.h"
#include "store/postgres/pg_impl.h"

/* A pg_conn starts with its table pointer, like every backend's
 * connection, so a store_conn of this backend is a pg_conn. */
static pg_conn *
pg_of(store_conn *c)
{
	return (pg_conn *) (void *) c;
}

static const pg_conn *
pg_cof(const store_conn *c)
{
	return (const pg_conn *) (const void *) c;
}

store_conn *
pg_store_conn(pg_conn *c)
{
	return (store_conn *) (void *) c;
}

oz_code
pg_store_open(store_conn **out, const store_config *cfg, oz_status *st)
{
	pg_conn *c = NULL;
	oz_code rc = pg_open(&c, cfg->url, st);
	if (rc == OZ_OK) {
		*out = pg_store_conn(c);
	}
	return rc;
}

static oz_code
ops_tx_begin(store_conn *c, store_tx_kind kind, oz_status *st)
{
	return pg_tx_begin(pg_of(c), kind, st);
}

static oz_code
ops_tx_end(store_conn *c, oz_code rc, oz_status *st)
{
	return pg_tx_end(pg_of(c), rc, st);
}

static int
ops_tx_depth(const store_conn *c)
{
	return pg_tx_depth(pg_cof(c));
}

static bool
ops_tx_intact(const store_conn *c)
{
	return pg_tx_intact(pg_cof(c));
}

static oz_code
ops_user_insert(store_conn *c, store_user *u, oz_status *st)
{
	return pg_user_insert(pg_of(c), u, st);
}

static oz_code
ops_user_get(
	store_conn *c, int64_t id, arena *a, store_user *out, oz_status *st)
{
	return pg_user_get(pg_of(c), id, a, out, st);
}

static oz_code
ops_user_get_by_email(store_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st)
{
	return pg_user_get_by_email(pg_of(c), email, a, out, st);
}

static oz_code
ops_user_update(store_conn *c, const store_user *u, oz_status *st)
{
	return pg_user_update(pg_of(c), u, st);
}

static oz_code
ops_user_delete(store_conn *c, int64_t id, oz_status *st)
{
	return pg_user_delete(pg_of(c), id, st);
}

static oz_code
ops_user_count(
	store_conn *c, const store_user_filter *f, int64_t *n, oz_status *st)
{
	return pg_user_count(pg_of(c), f, n, st);
}

static oz_code
ops_user_list(store_conn *c, const store_user_filter *f, const store_page *p,
	arena *a, store_user **rows, size_t *n_rows, oz_status *st)
{
	return pg_user_list(pg_of(c), f, p, a, rows, n_rows, st);
}

static oz_code
ops_task_insert(store_conn *c, store_task *t, oz_status *st)
{
	return pg_task_insert(pg_of(c), t, st);
}

static oz_code
ops_task_get(
	store_conn *c, int64_t id, arena *a, store_task *out, oz_status *st)
{
	return pg_task_get(pg_of(c), id, a, out, st);
}

static oz_code
ops_task_update(store_conn *c, const store_task *t, oz_status *st)
{
	return pg_task_update(pg_of(c), t, st);
}

static oz_code
ops_task_delete(store_conn *c, int64_t id, oz_status *st)
{
	return pg_task_delete(pg_of(c), id, st);
}

static oz_code
ops_task_delete_by_user(
	store_conn *c, int64_t user_id, int64_t *n, oz_status *st)
{
	return pg_task_delete_by_user(pg_of(c), user_id, n, st);
}

static oz_code
ops_task_list_by_user(store_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st)
{
	return pg_task_list_by_user(pg_of(c), user_id, a, rows, n_rows, st);
}

static oz_code
ops_task_count(
	store_conn *c, const store_task_filter *f, int64_t *n, oz_status *st)
{
	return pg_task_count(pg_of(c), f, n, st);
}

static oz_code
ops_task_list(store_conn *c, const store_task_filter *f, const store_page *p,
	arena *a, store_task **rows, size_t *n_rows, oz_status *st)
{
	return pg_task_list(pg_of(c), f, p, a, rows, n_rows, st);
}

static oz_code
ops_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st)
{
	return pg_idem_get(pg_of(c), key, not_before_us, out, a, st);
}

static oz_code
ops_idem_put(
	store_conn *c, const char *key, const store_idem *rec, oz_status *st)
{
	return pg_idem_put(pg_of(c), key, rec, st);
}

static oz_code
ops_idem_purge(store_conn *c, int64_t before_us, int *n_deleted, oz_status *st)
{
	return pg_idem_purge(pg_of(c), before_us, n_deleted, st);
}

static void
ops_close(store_conn *c)
{
	pg_close(pg_of(c));
}

static oz_code
ops_optimize(store_conn *c, oz_status *st)
{
	return pg_optimize(pg_of(c), st);
}

/* Each call of a batch keeps its own savepoint on PostgreSQL: it costs
 * no page copies there, so nothing to flatten. */
static void
ops_tx_flatten(store_conn *c, bool on)
{
	(void) c;
	(void) on;
}

static void
ops_set_timeout(store_conn *c, int timeout_ms)
{
	pg_set_timeout(pg_of(c), timeout_ms);
}

/* The server keeps its own WAL and checkpoints: nothing to do here. */
static oz_code
ops_checkpoint(store_conn *c, oz_status *st)
{
	(void) c;
	(void) st;
	return OZ_OK;
}

static void
ops_manual_checkpoints(store_conn *c)
{
	(void) c;
}

static int
ops_wal_pages(const store_conn *c)
{
	(void) c;
	return 0;
}

/* The buffer cache is the server's, shared by every client. */
static void
ops_cache_counts(store_conn *c, int64_t *hits, int64_t *misses)
{
	(void) c;
	*hits = 0;
	*misses = 0;
}

static bool
ops_file_moved(store_conn *c)
{
	(void) c;
	return false;
}

/* Proves the connection works and reaches a primary: a standby (after a
 * failover) is dropped, and the next use connects again. */
static oz_code
ops_write_probe(store_conn *c, oz_status *st)
{
	pg_conn *pc = pg_of(c);
	int64_t standby = 0;
	oz_code rc = pg_ensure(pc, st);
	if (rc == OZ_OK) {
		rc = pg_query_int(pc, "SELECT pg_is_in_recovery()::int", NULL,
			&standby, st);
	}
	if (rc == OZ_OK && standby) {
		pc->broken = true;
		rc = oz_fail(st, OZ_UNAVAILABLE, "database is read-only");
	}
	int pending = 0;
	if (rc == OZ_OK &&
		(rc = pg_migrate_pending(pc, &pending, st)) == OZ_OK &&
		pending > 0) {
		rc = oz_fail(st, OZ_UNAVAILABLE,
			"database schema is %d revision(s) behind this build",
			pending);
	}
	if (rc != OZ_OK && rc != OZ_UNAVAILABLE) {
		char why[OZ_STATUS_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", st->message);
		rc = oz_fail(
			st, OZ_UNAVAILABLE, "database probe failed: %s", why);
	}
	return rc;
}

static oz_code
ops_size(store_conn *c, int64_t *db, int64_t *wal, oz_status *st)
{
	pg_conn *pc = pg_of(c);
	*db = 0;
	*wal = 0;
	oz_code rc = pg_ensure(pc, st);
	return rc != OZ_OK ? rc
			   : pg_query_int(pc,
				     "SELECT pg_database_size("
				     "current_database())",
				     NULL, db, st);
}

static oz_code
ops_migrate_upgrade(store_conn *c, const char *target, oz_status *st)
{
	return pg_migrate_upgrade(pg_of(c), target, NULL, st);
}

static oz_code
ops_migrate_downgrade(store_conn *c, const char *target, oz_status *st)
{
	return pg_migrate_downgrade(pg_of(c), target, NULL, st);
}

static oz_code
ops_migrate_pending(store_conn *c, int *n, oz_status *st)
{
	return pg_migrate_pending(pg_of(c), n, st);
}

static oz_code
ops_migrate_current(store_conn *c, char *rev, size_t n, oz_status *st)
{
	pg_conn *pc = pg_of(c);
	oz_code rc = pg_ensure(pc, st);
	return rc != OZ_OK ? rc : pg_migrate_current(pc, rev, n, st);
}

static oz_code
ops_migrate_history(store_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st)
{
	return pg_migrate_history(pg_of(c), a, out, n_out, st);
}

static oz_code
ops_migrate_stamp(store_conn *c, const char *target, oz_status *st)
{
	return pg_migrate_stamp(pg_of(c), target, st);
}

static oz_code
ops_migrate_check(store_conn *c, oz_status *st)
{
	return pg_migrate_check(pg_of(c), st);
}

static oz_code
ops_query_run(store_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st)
{
	return pg_query_run(pg_of(c), q, a, out, st);
}

const struct store_ops store_postgres_ops = {
	.name = "postgres",
	.backend = STORE_BACKEND_POSTGRES,
	.close = ops_close,
	.optimize = ops_optimize,
	.tx_begin = ops_tx_begin,
	.tx_end = ops_tx_end,
	.tx_depth = ops_tx_depth,
	.tx_intact = ops_tx_intact,
	.user_insert = ops_user_insert,
	.user_get = ops_user_get,
	.user_get_by_email = ops_user_get_by_email,
	.user_update = ops_user_update,
	.user_delete = ops_user_delete,
	.user_count = ops_user_count,
	.user_list = ops_user_list,
	.task_insert = ops_task_insert,
	.task_get = ops_task_get,
	.task_update = ops_task_update,
	.task_delete = ops_task_delete,
	.task_delete_by_user = ops_task_delete_by_user,
	.task_list_by_user = ops_task_list_by_user,
	.task_count = ops_task_count,
	.task_list = ops_task_list,
	.idem_get = ops_idem_get,
	.idem_put = ops_idem_put,
	.idem_purge = ops_idem_purge,
	.tx_flatten = ops_tx_flatten,
	.set_timeout = ops_set_timeout,
	.checkpoint = ops_checkpoint,
	.manual_checkpoints = ops_manual_checkpoints,
	.wal_pages = ops_wal_pages,
	.checkpoint_passive = ops_checkpoint,
	.cache_counts = ops_cache_counts,
	.file_moved = ops_file_moved,
	.write_probe = ops_write_probe,
	.size = ops_size,
	.migrate_upgrade = ops_migrate_upgrade,
	.migrate_downgrade = ops_migrate_downgrade,
	.migrate_pending = ops_migrate_pending,
	.migrate_current = ops_migrate_current,
	.migrate_history = ops_migrate_history,
	.migrate_stamp = ops_migrate_stamp,
	.migrate_check = ops_migrate_check,
	.query_run = ops_query_run,
};
