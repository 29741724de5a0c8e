/* store/store.c -- the store_* operations every backend implements,
 * each a call through the connection's table (store/backend.h). No SQL
 * and no engine's header here: this is where the service and rpc layers
 * stop knowing which backend runs. */
#include "store/backend.h"

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
