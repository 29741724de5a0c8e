/* store/sqlite/idem_store.c -- SQL for oz_idempotency, run with runner.h's
 * runners. A bind that fails fails the call (the runner checks it): a
 * parameter left NULL would look up or store another row. */
#include <string.h>

#include "store/sqlite/runner.h"
#include "store/idem_store.h"

static const char sql_get[] =
	"SELECT method, request_hash, code, message, response, create_time "
	"FROM oz_idempotency WHERE request_id = ?1 AND create_time >= ?2";
static const char sql_put[] =
	"INSERT OR REPLACE INTO oz_idempotency (request_id, method, "
	"request_hash, code, message, response, create_time) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_purge[] =
	"DELETE FROM oz_idempotency WHERE create_time < ?1";

/* What bind_get binds. */
struct get_args {
	const char *key;
	int64_t not_before_us;
};

static void
bind_get(sqlite_binder *b, const void *arg)
{
	const struct get_args *ga = arg;
	sqlite_bind_text(b, 1, ga->key);
	sqlite_bind_int(b, 2, ga->not_before_us);
}

/* Copies the row of sql_get into *row (a store_idem; bytes into a). */
static oz_code
read_outcome(sqlite3_stmt *s, arena *a, void *row, oz_status *st)
{
	store_idem *out = row;
	out->method = store_column_text(s, 0, a);
	out->request_hash = sqlite3_column_int64(s, 1);
	out->code = sqlite3_column_int(s, 2);
	out->message = store_column_text(s, 3, a);
	out->response_len = (size_t) sqlite3_column_bytes(s, 4);
	void *buf = arena_alloc(a, out->response_len + 1);
	if (buf != NULL && out->response_len > 0) {
		memcpy(buf, sqlite3_column_blob(s, 4), out->response_len);
	}
	out->response = buf;
	out->create_us = sqlite3_column_int64(s, 5);
	return out->method == NULL || out->message == NULL || buf == NULL
		       ? oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory")
		       : OZ_OK;
}

oz_code
sqlite_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st)
{
	struct get_args ga = {key, not_before_us};
	void *rows;
	size_t n;
	oz_code rc = sqlite_query_rows(c, sql_get, bind_get, &ga, 1,
		sizeof(*out), read_outcome, a, &rows, &n, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (n == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "no outcome for this key");
	}
	*out = *(const store_idem *) rows;
	return OZ_OK;
}

/* What bind_outcome binds: the row of sql_put. */
struct put_args {
	const char *key;
	const store_idem *rec;
};

static void
bind_outcome(sqlite_binder *b, const void *arg)
{
	const struct put_args *pa = arg;
	const store_idem *rec = pa->rec;
	sqlite_bind_text(b, 1, pa->key);
	sqlite_bind_text(b, 2, rec->method);
	sqlite_bind_int(b, 3, rec->request_hash);
	sqlite_bind_int(b, 4, rec->code);
	sqlite_bind_text(b, 5, rec->message);
	sqlite_bind_blob(b, 6, rec->response_len > 0 ? rec->response : "",
		rec->response_len);
	sqlite_bind_int(b, 7, rec->create_us);
}

oz_code
sqlite_idem_put(
	store_conn *c, const char *key, const store_idem *rec, oz_status *st)
{
	struct put_args pa = {key, rec};
	return sqlite_query_exec(c, sql_put, bind_outcome, &pa, NULL, st);
}

static void
bind_before(sqlite_binder *b, const void *arg)
{
	sqlite_bind_int(b, 1, *(const int64_t *) arg);
}

oz_code
sqlite_idem_purge(
	store_conn *c, int64_t before_us, int *n_deleted, oz_status *st)
{
	int64_t changes = 0;
	oz_code rc = sqlite_query_exec(
		c, sql_purge, bind_before, &before_us, &changes, st);
	if (n_deleted != NULL) {
		*n_deleted = (int) changes;
	}
	return rc;
}
