/* store/store.c -- the store_* operations every backend implements
 * (store.h, user_store.h, task_store.h, idem_store.h, migrate.h,
 * query.h), each a call through the connection's table
 * (store/backend.h). No SQL
 * and no engine's header here: this is where the service and rpc layers
 * stop knowing which backend runs. */
#include "store/backend.h"

store_backend
store_conn_backend(const store_conn *c)
{
	return store_ops_of(c)->backend;
}

oz_code
store_open(store_conn **out, const store_config *cfg, oz_status *st)
{
	return cfg->backend == STORE_BACKEND_POSTGRES
		       ? pg_store_open(out, cfg, st)
		       : sqlite_open(out, cfg, st);
}

void
store_close(store_conn *c)
{
	if (c != NULL) {
		store_ops_of(c)->close(c);
	}
}

oz_code
store_optimize(store_conn *c, oz_status *st)
{
	return store_ops_of(c)->optimize(c, st);
}

oz_code
store_tx_begin(store_conn *c, store_tx_kind kind, oz_status *st)
{
	return store_ops_of(c)->tx_begin(c, kind, st);
}

oz_code
store_tx_end(store_conn *c, oz_code rc, oz_status *st)
{
	return store_ops_of(c)->tx_end(c, rc, st);
}

int
store_tx_depth(const store_conn *c)
{
	return store_ops_of(c)->tx_depth(c);
}

bool
store_tx_intact(const store_conn *c)
{
	return store_ops_of(c)->tx_intact(c);
}

oz_code
store_user_insert(store_conn *c, store_user *u, oz_status *st)
{
	return store_ops_of(c)->user_insert(c, u, st);
}

oz_code
store_user_get(
	store_conn *c, int64_t id, arena *a, store_user *out, oz_status *st)
{
	return store_ops_of(c)->user_get(c, id, a, out, st);
}

oz_code
store_user_get_by_email(store_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st)
{
	return store_ops_of(c)->user_get_by_email(c, email, a, out, st);
}

oz_code
store_user_update(store_conn *c, const store_user *u, oz_status *st)
{
	return store_ops_of(c)->user_update(c, u, st);
}

oz_code
store_user_delete(store_conn *c, int64_t id, oz_status *st)
{
	return store_ops_of(c)->user_delete(c, id, st);
}

oz_code
store_user_count(
	store_conn *c, const store_user_filter *f, int64_t *n, oz_status *st)
{
	return store_ops_of(c)->user_count(c, f, n, st);
}

oz_code
store_user_list(store_conn *c, const store_user_filter *f, const store_page *p,
	arena *a, store_user **rows, size_t *n_rows, oz_status *st)
{
	return store_ops_of(c)->user_list(c, f, p, a, rows, n_rows, st);
}

oz_code
store_task_insert(store_conn *c, store_task *t, oz_status *st)
{
	return store_ops_of(c)->task_insert(c, t, st);
}

oz_code
store_task_get(
	store_conn *c, int64_t id, arena *a, store_task *out, oz_status *st)
{
	return store_ops_of(c)->task_get(c, id, a, out, st);
}

oz_code
store_task_update(store_conn *c, const store_task *t, oz_status *st)
{
	return store_ops_of(c)->task_update(c, t, st);
}

oz_code
store_task_delete(store_conn *c, int64_t id, oz_status *st)
{
	return store_ops_of(c)->task_delete(c, id, st);
}

oz_code
store_task_delete_by_user(
	store_conn *c, int64_t user_id, int64_t *n, oz_status *st)
{
	return store_ops_of(c)->task_delete_by_user(c, user_id, n, st);
}

oz_code
store_task_list_by_user(store_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st)
{
	return store_ops_of(c)->task_list_by_user(
		c, user_id, a, rows, n_rows, st);
}

oz_code
store_task_count(
	store_conn *c, const store_task_filter *f, int64_t *n, oz_status *st)
{
	return store_ops_of(c)->task_count(c, f, n, st);
}

oz_code
store_task_list(store_conn *c, const store_task_filter *f, const store_page *p,
	arena *a, store_task **rows, size_t *n_rows, oz_status *st)
{
	return store_ops_of(c)->task_list(c, f, p, a, rows, n_rows, st);
}

oz_code
store_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st)
{
	return store_ops_of(c)->idem_get(c, key, not_before_us, out, a, st);
}

oz_code
store_idem_put(
	store_conn *c, const char *key, const store_idem *rec, oz_status *st)
{
	return store_ops_of(c)->idem_put(c, key, rec, st);
}

oz_code
store_idem_purge(
	store_conn *c, int64_t before_us, int *n_deleted, oz_status *st)
{
	return store_ops_of(c)->idem_purge(c, before_us, n_deleted, st);
}

void
store_tx_flatten(store_conn *c, bool on)
{
	store_ops_of(c)->tx_flatten(c, on);
}

void
store_set_timeout(store_conn *c, int timeout_ms)
{
	store_ops_of(c)->set_timeout(c, timeout_ms);
}

oz_code
store_checkpoint(store_conn *c, oz_status *st)
{
	return store_ops_of(c)->checkpoint(c, st);
}

void
store_manual_checkpoints(store_conn *c)
{
	store_ops_of(c)->manual_checkpoints(c);
}

int
store_wal_pages(const store_conn *c)
{
	return store_ops_of(c)->wal_pages(c);
}

oz_code
store_checkpoint_passive(store_conn *c, oz_status *st)
{
	return store_ops_of(c)->checkpoint_passive(c, st);
}

void
store_cache_counts(store_conn *c, int64_t *hits, int64_t *misses)
{
	store_ops_of(c)->cache_counts(c, hits, misses);
}

bool
store_file_moved(store_conn *c)
{
	return store_ops_of(c)->file_moved(c);
}

oz_code
store_write_probe(store_conn *c, oz_status *st)
{
	return store_ops_of(c)->write_probe(c, st);
}

oz_code
store_size(store_conn *c, int64_t *db, int64_t *wal, oz_status *st)
{
	return store_ops_of(c)->size(c, db, wal, st);
}

oz_code
store_migrate_upgrade(store_conn *c, const char *target, oz_status *st)
{
	return store_ops_of(c)->migrate_upgrade(c, target, st);
}

oz_code
store_migrate_downgrade(store_conn *c, const char *target, oz_status *st)
{
	return store_ops_of(c)->migrate_downgrade(c, target, st);
}

oz_code
store_migrate_pending(store_conn *c, int *n_pending, oz_status *st)
{
	return store_ops_of(c)->migrate_pending(c, n_pending, st);
}

oz_code
store_migrate_current(store_conn *c, char *rev, size_t n, oz_status *st)
{
	return store_ops_of(c)->migrate_current(c, rev, n, st);
}

oz_code
store_migrate_history(store_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st)
{
	return store_ops_of(c)->migrate_history(c, a, out, n_out, st);
}

oz_code
store_migrate_stamp(store_conn *c, const char *target, oz_status *st)
{
	return store_ops_of(c)->migrate_stamp(c, target, st);
}

oz_code
store_migrate_check(store_conn *c, oz_status *st)
{
	return store_ops_of(c)->migrate_check(c, st);
}

oz_code
store_query_run(store_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st)
{
	return store_ops_of(c)->query_run(c, q, a, out, st);
}
