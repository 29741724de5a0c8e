/* service/query.c -- AdminService/Query: checks the request, logs the
 * statement (never its parameters), runs it through store/sqlite/query.c and
 * turns the rows into typed QueryValue messages. Who may call it is
 * decided before (the dispatch row is RPC_ADMIN_TOKEN). No SQL here. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "oz/v1/admin_service.pb-c.h"
#include "service/service.h"
#include "service/validate.h"
#include "store/query.h"

#define QUERY_ROWS_DEFAULT    1000
#define QUERY_ROWS_MAX        10000
#define QUERY_TIMEOUT_DEFAULT 5000
#define QUERY_TIMEOUT_MAX     60000
#define QUERY_SQL_MAX         100000
#define QUERY_PARAMS_MAX      100
#define QUERY_LOG_MAX         400

/* Logs the statement through the one escaper (it is the caller's text:
 * control characters and invalid bytes as \xNN, backslashes and quotes
 * escaped, so it cannot end the sql="..." field), cut at about
 * QUERY_LOG_MAX bytes. */
static void
log_statement(const char *sql, size_t n_params)
{
	char buf[QUERY_LOG_MAX + 4];
	log_info("admin query params=%zu sql=\"%s\"", n_params,
		utf8_escape(buf, sizeof(buf), sql, strlen(sql),
			UTF8_ESC_BACKSLASH | UTF8_ESC_QUOTE));
}

/* Reads the parameters. OUT: *out (from the arena). */
static bool
read_params(arena *a, const Oz__V1__QueryRequest *req, store_qvalue **out,
	oz_status *st)
{
	*out = arena_calloc(a, sizeof(**out) * (req->n_params + 1));
	if (*out == NULL) {
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < req->n_params; i++) {
		const Oz__V1__QueryValue *v = req->params[i];
		store_qvalue *q = &(*out)[i];
		char field[32];
		snprintf(field, sizeof(field), "params[%zu]", i);
		switch (v->value_case) {
		case OZ__V1__QUERY_VALUE__VALUE_INTEGER:
			*q = (store_qvalue) {
				.type = STORE_Q_INT, .i = v->integer};
			break;
		case OZ__V1__QUERY_VALUE__VALUE_REAL:
			*q = (store_qvalue) {
				.type = STORE_Q_REAL, .d = v->real};
			break;
		case OZ__V1__QUERY_VALUE__VALUE_TEXT:
			ok = validate_text(st, field, v->text, 0, 1000000) &&
			     ok;
			*q = (store_qvalue) {.type = STORE_Q_TEXT,
				.p = v->text,
				.len = strlen(v->text)};
			break;
		case OZ__V1__QUERY_VALUE__VALUE_BLOB:
			*q = (store_qvalue) {.type = STORE_Q_BLOB,
				.p = v->blob.data,
				.len = v->blob.len};
			break;
		default: /* null, or no arm: SQL NULL. */
			q->type = STORE_Q_NULL;
			break;
		}
	}
	return ok;
}

/* The request as a store query, checked. */
static oz_code
check(service_ctx *cx, const Oz__V1__QueryRequest *req, store_query *q,
	oz_status *st)
{
	store_qvalue *params = NULL;
	bool ok = validate_text(st, "sql", req->sql, 1, QUERY_SQL_MAX);
	if (req->n_params > QUERY_PARAMS_MAX) {
		oz_status_violation(
			st, "params", "at most %d", QUERY_PARAMS_MAX);
		ok = false;
	} else if (!read_params(cx->arena, req, &params, st)) {
		ok = false;
	}
	if (req->max_rows < 0 || req->max_rows > QUERY_ROWS_MAX) {
		oz_status_violation(
			st, "max_rows", "must be 0 to %d", QUERY_ROWS_MAX);
		ok = false;
	}
	if (req->timeout_ms < 0 || req->timeout_ms > QUERY_TIMEOUT_MAX) {
		oz_status_violation(st, "timeout_ms", "must be 0 to %d",
			QUERY_TIMEOUT_MAX);
		ok = false;
	}
	*q = (store_query) {
		.sql = req->sql,
		.params = params,
		.n_params = req->n_params,
		.max_rows =
			req->max_rows > 0 ? req->max_rows : QUERY_ROWS_DEFAULT,
		.timeout_ms = req->timeout_ms > 0 ? req->timeout_ms
						  : QUERY_TIMEOUT_DEFAULT,
	};
	return validate_end(st, ok);
}

/* Fills m from v (text that is not valid UTF-8 goes out as blob: proto3
 * strings must be UTF-8). */
static void
to_value(const store_qvalue *v, Oz__V1__QueryValue *m)
{
	oz__v1__query_value__init(m);
	switch (v->type) {
	case STORE_Q_INT:
		m->value_case = OZ__V1__QUERY_VALUE__VALUE_INTEGER;
		m->integer = v->i;
		return;
	case STORE_Q_REAL:
		m->value_case = OZ__V1__QUERY_VALUE__VALUE_REAL;
		m->real = v->d;
		return;
	case STORE_Q_TEXT:
		if (strlen(v->p) == v->len && validate_utf8_chars(v->p) >= 0) {
			m->value_case = OZ__V1__QUERY_VALUE__VALUE_TEXT;
			m->text = (char *) v->p;
			return;
		}
		/* fall through */
	case STORE_Q_BLOB:
		m->value_case = OZ__V1__QUERY_VALUE__VALUE_BLOB;
		m->blob.data = (uint8_t *) v->p;
		m->blob.len = v->len;
		return;
	default:
		m->value_case = OZ__V1__QUERY_VALUE__VALUE_NULL;
		m->null = true;
		return;
	}
}

static oz_code
to_reply(arena *a, const store_qresult *r, Oz__V1__QueryResponse *resp,
	oz_status *st)
{
	size_t nc = r->n_cols, nr = r->n_rows;
	Oz__V1__QueryColumn *cols = arena_alloc(a, sizeof(*cols) * (nc + 1));
	Oz__V1__QueryRow *rows = arena_alloc(a, sizeof(*rows) * (nr + 1));
	Oz__V1__QueryValue *vals =
		arena_alloc(a, sizeof(*vals) * (nc * nr + 1));
	Oz__V1__QueryValue **vptr =
		arena_alloc(a, sizeof(*vptr) * (nc * nr + 1));
	resp->columns = arena_alloc(a, sizeof(*resp->columns) * (nc + 1));
	resp->rows = arena_alloc(a, sizeof(*resp->rows) * (nr + 1));
	if (cols == NULL || rows == NULL || vals == NULL || vptr == NULL ||
		resp->columns == NULL || resp->rows == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
			"query result too large; ask for fewer rows");
	}
	for (size_t c = 0; c < nc; c++) {
		oz__v1__query_column__init(&cols[c]);
		cols[c].name = (char *) r->names[c];
		cols[c].declared_type = (char *) r->decltypes[c];
		resp->columns[c] = &cols[c];
	}
	for (size_t i = 0; i < nr * nc; i++) {
		to_value(&r->values[i], &vals[i]);
		vptr[i] = &vals[i];
	}
	for (size_t row = 0; row < nr; row++) {
		oz__v1__query_row__init(&rows[row]);
		rows[row].values = &vptr[row * nc];
		rows[row].n_values = nc;
		resp->rows[row] = &rows[row];
	}
	resp->n_columns = nc;
	resp->n_rows = nr;
	resp->truncated = r->truncated;
	return OZ_OK;
}

oz_code
service_admin_query(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__QueryRequest *req = (const void *) in;
	Oz__V1__QueryResponse *resp = (void *) out;
	store_query q;
	store_qresult r;
	int64_t t0 = oz_now_us();
	log_statement(req->sql, req->n_params);
	oz_code rc = check(cx, req, &q, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((rc = store_query_run(cx->db, &q, cx->arena, &r, st)) != OZ_OK ||
		(rc = to_reply(cx->arena, &r, resp, st)) != OZ_OK) {
		return rc;
	}
	resp->duration_us = oz_now_us() - t0;
	return OZ_OK;
}
