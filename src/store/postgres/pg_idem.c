/* store/postgres/pg_idem.c -- SQL for oz_idempotency in PostgreSQL, with
 * the contract of store/idem_store.h. The response is BYTEA, sent in
 * binary and read back from libpq's hex text. */
#include <string.h>

#include "store/postgres/pg_impl.h"

static const char sql_get[] =
	"SELECT method, request_hash, code, message, response, create_time "
	"FROM oz_idempotency WHERE request_id = $1 AND create_time >= $2";
/* INSERT OR REPLACE, as on SQLite. */
static const char sql_put[] =
	"INSERT INTO oz_idempotency (request_id, method, request_hash, code, "
	"message, response, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT (request_id) DO UPDATE SET method = EXCLUDED.method, "
	"request_hash = EXCLUDED.request_hash, code = EXCLUDED.code, "
	"message = EXCLUDED.message, response = EXCLUDED.response, "
	"create_time = EXCLUDED.create_time";
static const char sql_purge[] =
	"DELETE FROM oz_idempotency WHERE create_time < $1";

/* Copies bytea column col of row r into a. OUT: *len. */
static const void *
get_bytes(const PGresult *res, int r, int col, arena *a, size_t *len)
{
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea(
		(const unsigned char *) PQgetvalue(res, r, col), &n);
	void *buf = raw != NULL ? arena_alloc(a, n + 1) : NULL;
	if (buf != NULL && n > 0) {
		memcpy(buf, raw, n);
	}
	PQfreemem(raw);
	*len = buf != NULL ? n : 0;
	return buf;
}

oz_code
pg_idem_get(pg_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st)
{
	pg_params p;
	PGresult *res;
	pg_params_init(&p);
	pg_param_text(&p, 1, key);
	pg_param_int(&p, 2, not_before_us);
	oz_code rc = pg_query(c, sql_get, &p, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return oz_fail(st, OZ_NOT_FOUND, "no outcome for this key");
	}
	out->method = pg_get_text(res, 0, 0, a);
	out->request_hash = pg_get_int(res, 0, 1);
	out->code = (int) pg_get_int(res, 0, 2);
	out->message = pg_get_text(res, 0, 3, a);
	out->response = get_bytes(res, 0, 4, a, &out->response_len);
	out->create_us = pg_get_int(res, 0, 5);
	PQclear(res);
	if (out->method == NULL || out->message == NULL ||
		out->response == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

oz_code
pg_idem_put(pg_conn *c, const char *key, const store_idem *rec, oz_status *st)
{
	pg_params p;
	pg_params_init(&p);
	pg_param_text(&p, 1, key);
	pg_param_text(&p, 2, rec->method);
	pg_param_int(&p, 3, rec->request_hash);
	pg_param_int(&p, 4, rec->code);
	pg_param_text(&p, 5, rec->message);
	pg_param_bytes(&p, 6, rec->response, rec->response_len);
	pg_param_int(&p, 7, rec->create_us);
	return pg_query_exec(c, sql_put, &p, NULL, st);
}

oz_code
pg_idem_purge(pg_conn *c, int64_t before_us, int *n_deleted, oz_status *st)
{
	pg_params p;
	int64_t n = 0;
	pg_params_init(&p);
	pg_param_int(&p, 1, before_us);
	oz_code rc = pg_query_exec(c, sql_purge, &p, &n, st);
	if (n_deleted != NULL) {
		*n_deleted = (int) n;
	}
	return rc;
}
