/* store/sqlite/idem_store.c -- SQL for oz_idempotency. A bind that fails fails
 * the call: a parameter left NULL would look up or store another row. */
#include <string.h>

#include "store/sqlite/db.h"
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

oz_code
sqlite_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, sql_get, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (src == SQLITE_OK) {
		src = sqlite3_bind_int64(s, 2, not_before_us);
	}
	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
	}
	if (src == SQLITE_ROW) {
		out->method = store_column_text(s, 0, a);
		out->request_hash = sqlite3_column_int64(s, 1);
		out->code = sqlite3_column_int(s, 2);
		out->message = store_column_text(s, 3, a);
		out->response_len = (size_t) sqlite3_column_bytes(s, 4);
		void *buf = arena_alloc(a, out->response_len + 1);
		if (buf != NULL && out->response_len > 0) {
			memcpy(buf, sqlite3_column_blob(s, 4),
				out->response_len);
		}
		out->response = buf;
		out->create_us = sqlite3_column_int64(s, 5);
		rc = out->method == NULL || out->message == NULL || buf == NULL
			     ? oz_fail(st, OZ_RESOURCE_EXHAUSTED,
				       "out of memory")
			     : OZ_OK;
	} else if (src == SQLITE_DONE) {
		rc = oz_fail(st, OZ_NOT_FOUND, "no outcome for this key");
	} else {
		rc = store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	store_stmt_done(s);
	return rc;
}

/* Binds the row of sql_put; returns the first failure (SQLite's code). */
static int
bind_outcome(sqlite3_stmt *s, const char *key, const store_idem *rec)
{
	int src = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (src == SQLITE_OK) {
		src = sqlite3_bind_text(s, 2, rec->method, -1, SQLITE_STATIC);
	}
	if (src == SQLITE_OK) {
		src = sqlite3_bind_int64(s, 3, rec->request_hash);
	}
	if (src == SQLITE_OK) {
		src = sqlite3_bind_int(s, 4, rec->code);
	}
	if (src == SQLITE_OK) {
		src = sqlite3_bind_text(s, 5, rec->message, -1, SQLITE_STATIC);
	}
	if (src == SQLITE_OK) {
		src = sqlite3_bind_blob(s, 6,
			rec->response_len > 0 ? rec->response : "",
			(int) rec->response_len, SQLITE_STATIC);
	}
	return src == SQLITE_OK ? sqlite3_bind_int64(s, 7, rec->create_us)
				: src;
}

oz_code
sqlite_idem_put(
	store_conn *c, const char *key, const store_idem *rec, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, sql_put, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = bind_outcome(s, key, rec);
	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
	}
	rc = src == SQLITE_DONE
		     ? OZ_OK
		     : store_error(c, sqlite3_extended_errcode(c->db), st);
	store_stmt_done(s);
	return rc;
}

oz_code
sqlite_idem_purge(
	store_conn *c, int64_t before_us, int *n_deleted, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, sql_purge, &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_bind_int64(s, 1, before_us);
	if (src == SQLITE_OK) {
		src = sqlite3_step(s);
	}
	rc = src == SQLITE_DONE
		     ? OZ_OK
		     : store_error(c, sqlite3_extended_errcode(c->db), st);
	if (n_deleted != NULL) {
		*n_deleted = sqlite3_changes(c->db);
	}
	store_stmt_done(s);
	return rc;
}
