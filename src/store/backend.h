/* store/backend.h -- the table of operations every store backend fills,
 * as each nng transport fills its nni_sp_tran: a connection's first
 * member points to its backend's table, and the store_* functions of
 * user_store.h, task_store.h, idem_store.h and the transactions of
 * store.h call through it (store/store.c), so the service and rpc layers
 * never learn which backend runs.
 *
 * Only store/store.c and the backends (src/store/sqlite/,
 * src/store/postgres/) include this. Every entry has the contract of the
 * store_* function of the same name. */
#ifndef OZ_STORE_BACKEND_H
#define OZ_STORE_BACKEND_H

#include "store/idem_store.h"
#include "store/migrate.h"
#include "store/query.h"
#include "store/store.h"
#include "store/task_store.h"
#include "store/user_store.h"

struct store_ops {
	const char *name; /* "sqlite", "postgres". */
	store_backend backend;

	void (*close)(store_conn *c); /* c is not NULL. */
	oz_code (*optimize)(store_conn *c, oz_status *st);

	oz_code (*tx_begin)(store_conn *c, store_tx_kind kind, oz_status *st);
	oz_code (*tx_end)(store_conn *c, oz_code rc, oz_status *st);
	int (*tx_depth)(const store_conn *c);
	bool (*tx_intact)(const store_conn *c);

	oz_code (*user_insert)(store_conn *c, store_user *u, oz_status *st);
	oz_code (*user_get)(store_conn *c, int64_t id, arena *a,
		store_user *out, oz_status *st);
	oz_code (*user_get_by_email)(store_conn *c, const char *email,
		arena *a, store_user *out, oz_status *st);
	oz_code (*user_update)(
		store_conn *c, const store_user *u, oz_status *st);
	oz_code (*user_delete)(store_conn *c, int64_t id, oz_status *st);
	oz_code (*user_count)(store_conn *c, const store_user_filter *f,
		int64_t *n, oz_status *st);
	oz_code (*user_list)(store_conn *c, const store_user_filter *f,
		const store_page *p, arena *a, store_user **rows,
		size_t *n_rows, oz_status *st);

	oz_code (*task_insert)(store_conn *c, store_task *t, oz_status *st);
	oz_code (*task_get)(store_conn *c, int64_t id, arena *a,
		store_task *out, oz_status *st);
	oz_code (*task_update)(
		store_conn *c, const store_task *t, oz_status *st);
	oz_code (*task_delete)(store_conn *c, int64_t id, oz_status *st);
	oz_code (*task_delete_by_user)(
		store_conn *c, int64_t user_id, int64_t *n, oz_status *st);
	oz_code (*task_list_by_user)(store_conn *c, int64_t user_id, arena *a,
		store_task **rows, size_t *n_rows, oz_status *st);
	oz_code (*task_count)(store_conn *c, const store_task_filter *f,
		int64_t *n, oz_status *st);
	oz_code (*task_list)(store_conn *c, const store_task_filter *f,
		const store_page *p, arena *a, store_task **rows,
		size_t *n_rows, oz_status *st);

	oz_code (*idem_get)(store_conn *c, const char *key,
		int64_t not_before_us, store_idem *out, arena *a,
		oz_status *st);
	oz_code (*idem_put)(store_conn *c, const char *key,
		const store_idem *rec, oz_status *st);
	oz_code (*idem_purge)(store_conn *c, int64_t before_us, int *n_deleted,
		oz_status *st);

	/* The rest of store.h: WAL upkeep and statistics (no-ops where the
	 * engine has none of its own), health probes, the call's time
	 * limit. */
	void (*tx_flatten)(store_conn *c, bool on);
	void (*set_timeout)(store_conn *c, int timeout_ms);
	oz_code (*checkpoint)(store_conn *c, oz_status *st);
	void (*manual_checkpoints)(store_conn *c);
	int (*wal_pages)(const store_conn *c);
	oz_code (*checkpoint_passive)(store_conn *c, oz_status *st);
	void (*cache_counts)(store_conn *c, int64_t *hits, int64_t *misses);
	bool (*file_moved)(store_conn *c);
	oz_code (*write_probe)(store_conn *c, oz_status *st);
	oz_code (*size)(
		store_conn *c, int64_t *db, int64_t *wal, oz_status *st);

	/* migrate.h, with this build's migrations of the backend's dialect. */
	oz_code (*migrate_upgrade)(
		store_conn *c, const char *target, oz_status *st);
	oz_code (*migrate_downgrade)(
		store_conn *c, const char *target, oz_status *st);
	oz_code (*migrate_pending)(store_conn *c, int *n, oz_status *st);
	oz_code (*migrate_current)(
		store_conn *c, char *rev, size_t n, oz_status *st);
	oz_code (*migrate_history)(store_conn *c, arena *a,
		store_migrate_rev **out, size_t *n_out, oz_status *st);
	oz_code (*migrate_stamp)(
		store_conn *c, const char *target, oz_status *st);
	oz_code (*migrate_check)(store_conn *c, oz_status *st);

	/* query.h. */
	oz_code (*query_run)(store_conn *c, const store_query *q, arena *a,
		store_qresult *out, oz_status *st);
};

/* Each backend's store_open (cfg->backend names which). */
oz_code sqlite_open(store_conn **out, const store_config *cfg, oz_status *st);
oz_code pg_store_open(
	store_conn **out, const store_config *cfg, oz_status *st);

/* The backend tables. */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

/* The table of c's backend: the pointer every backend's connection
 * struct holds as its first member (a pointer to a struct, suitably
 * converted, points to its first member: C11 6.7.2.1). */
static inline const struct store_ops *
store_ops_of(const store_conn *c)
{
	return *(const struct store_ops *const *) (const void *) c;
}

#endif /* OZ_STORE_BACKEND_H */
