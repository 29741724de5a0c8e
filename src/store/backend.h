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
#include "store/store.h"
#include "store/task_store.h"
#include "store/user_store.h"

struct store_ops {
	const char *name; /* "sqlite", "postgres". */

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
