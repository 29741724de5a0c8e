/* store/postgres/pg_query.c -- the backend's query API: typed parameters
 * in text format (bytea in binary), statements prepared once per
 * connection and cached by their text, results read as text. Every
 * failure goes through pg_error. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_impl.h"

void
pg_params_init(pg_params *p)
{
	p->n = 0;
}

/* Makes $1..$i exist; new ones are NULL text. Returns i's slot. */
static int
slot(pg_params *p, int i)
{
	while (p->n < i) {
		p->types[p->n] = PG_TEXTOID;
		p->values[p->n] = NULL;
		p->lengths[p->n] = 0;
		p->formats[p->n] = 0;
		p->n++;
	}
	return i - 1;
}

void
pg_param_int(pg_params *p, int i, int64_t v)
{
	int k = slot(p, i);
	snprintf(p->ints[k], sizeof(p->ints[k]), "%" PRId64, v);
	p->types[k] = PG_INT8OID;
	p->values[k] = p->ints[k];
	p->formats[k] = 0;
}

void
pg_param_bool(pg_params *p, int i, bool v)
{
	int k = slot(p, i);
	p->types[k] = PG_BOOLOID;
	p->values[k] = v ? "t" : "f";
	p->formats[k] = 0;
}

void
pg_param_text(pg_params *p, int i, const char *s)
{
	int k = slot(p, i);
	p->types[k] = PG_TEXTOID;
	p->values[k] = s;
	p->formats[k] = 0;
}

void
pg_param_bytes(pg_params *p, int i, const void *b, size_t n)
{
	int k = slot(p, i);
	p->types[k] = PG_BYTEAOID;
	p->values[k] = n > 0 ? b : "";
	p->lengths[k] = (int) n;
	p->formats[k] = 1;
}

static int
slack_ms(int want_ms)
{
	int s = want_ms / 8;
	return s < PG_TIMEOUT_SLACK_MS ? s : PG_TIMEOUT_SLACK_MS;
}

bool
pg_timeout_fits(int have_ms, int want_ms)
{
	if (want_ms <= 0) {
		return have_ms == 0;
	}
	return have_ms > 0 && have_ms >= want_ms &&
	       have_ms - want_ms <= slack_ms(want_ms);
}

int
pg_timeout_rounded(int want_ms)
{
	/* Half the slack: the calls after it fit it with up to that much
	 * more or less time left. */
	int half = slack_ms(want_ms) / 2;
	if (want_ms <= 0) {
		return 0;
	}
	return want_ms > INT_MAX - half ? INT_MAX : want_ms + half;
}

void
pg_stmts_clear(pg_conn *c)
{
	for (int i = 0; i < c->n_stmts; i++) {
		free(c->stmts[i].sql);
	}
	c->n_stmts = 0;
}

static struct pg_stmt_entry *
cached(pg_conn *c, const char *sql)
{
	for (int i = 0; i < c->n_stmts; i++) {
		if (strcmp(c->stmts[i].sql, sql) == 0) {
			return &c->stmts[i];
		}
	}
	return NULL;
}

/* OUT: *name, the server-side name of sql prepared with p's types, or
 * NULL when the cache is full (the caller then runs it unnamed). */
static oz_code
prepare(pg_conn *c, const char *sql, const pg_params *p, const char **name,
	oz_status *st)
{
	struct pg_stmt_entry *e = cached(c, sql);
	*name = NULL;
	if (e != NULL) {
		*name = e->name;
		return OZ_OK;
	}
	if (c->n_stmts == PG_STMT_CACHE) {
		return OZ_OK;
	}
	e = &c->stmts[c->n_stmts];
	snprintf(e->name, sizeof(e->name), "oz_s%u", c->next_stmt++);
	PGresult *res = PQprepare(c->pg, e->name, sql, p != NULL ? p->n : 0,
		p != NULL ? p->types : NULL);
	oz_code rc = PQresultStatus(res) == PGRES_COMMAND_OK
			     ? OZ_OK
			     : pg_error(c, res, st);
	PQclear(res);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((e->sql = strdup(sql)) == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->n_stmts++;
	*name = e->name;
	return OZ_OK;
}

/* Sends the statement (prepared as name, or sql when name is NULL). */
static int
send(pg_conn *c, const char *name, const char *sql, const pg_params *p)
{
	return name != NULL ? PQsendQueryPrepared(c->pg, name, p->n, p->values,
				      p->lengths, p->formats, 0)
			    : PQsendQueryParams(c->pg, sql, p->n, p->types,
				      p->values, p->lengths, p->formats, 0);
}

/* Keeps in *out the result that tells how a pipeline went: the first
 * failure, else the last result. */
static void
keep_result(PGresult **out, PGresult *r)
{
	ExecStatusType s =
		*out != NULL ? PQresultStatus(*out) : PGRES_COMMAND_OK;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		PQclear(*out);
		*out = r;
	} else {
		PQclear(r);
	}
}

/* Runs a statement after the control statements pre (a SET
 * statement_timeout outside a transaction; a deferred savepoint inside
 * one) in one round trip (libpq's pipeline mode): pre, the PREPARE when
 * prep (its parse may wait for a lock too) and the statement, so the
 * server cancels it at the deadline as SET LOCAL does inside a
 * transaction. Returns the first failed result, else the statement's,
 * or NULL when the connection broke. */
static PGresult *
exec_pipelined(pg_conn *c, const char *const *pre, int n_pre, const char *name,
	bool prep, const char *sql, const pg_params *p)
{
	PGresult *out = NULL;
	bool synced = false;
	bool sent = true;
	if (PQenterPipelineMode(c->pg) != 1) {
		return NULL;
	}
	for (int i = 0; i < n_pre && sent; i++) {
		sent = PQsendQueryParams(
			c->pg, pre[i], 0, NULL, NULL, NULL, NULL, 0);
	}
	if (sent &&
		(!prep || PQsendPrepare(c->pg, name, sql, p->n, p->types)) &&
		send(c, name, sql, p) && PQpipelineSync(c->pg)) {
		/* Each result, then NULL; the sync last. */
		for (int i = 0; i < 2 * n_pre + 8 && !synced; i++) {
			PGresult *r = PQgetResult(c->pg);
			if (r == NULL) {
				if (PQstatus(c->pg) != CONNECTION_OK) {
					break;
				}
			} else if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				synced = true;
			} else {
				keep_result(&out, r);
			}
		}
	}
	if (!synced || PQexitPipelineMode(c->pg) != 1) {
		/* The pipeline did not end as it should: drop the
		 * connection rather than guess its state. */
		c->broken = PQstatus(c->pg) == CONNECTION_OK;
		PQclear(out);
		out = NULL;
	}
	return out;
}

/* exec_pipelined, preparing (and caching) sql on the way when new. */
static PGresult *
query_pipelined(pg_conn *c, const char *const *pre, int n_pre, const char *sql,
	const pg_params *p)
{
	struct pg_stmt_entry *e = cached(c, sql);
	if (e != NULL) {
		return exec_pipelined(c, pre, n_pre, e->name, false, sql, p);
	}
	if (c->n_stmts == PG_STMT_CACHE) {
		return exec_pipelined(c, pre, n_pre, NULL, false, sql, p);
	}
	e = &c->stmts[c->n_stmts];
	snprintf(e->name, sizeof(e->name), "oz_s%u", c->next_stmt++);
	PGresult *r = exec_pipelined(c, pre, n_pre, e->name, true, sql, p);
	ExecStatusType s = PQresultStatus(r);
	if ((s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) &&
		(e->sql = strdup(sql)) != NULL) {
		c->n_stmts++;
	}
	return r;
}

/* Runs sql when control statements must go first: a savepoint
 * pg_tx_begin deferred, or (outside a transaction) the call's time limit
 * when the session's does not fit it (rounded up: pg_timeout_rounded).
 * OUT: *r, the result. Returns false when nothing had to go first. */
static bool
query_after_control(
	pg_conn *c, const char *sql, const pg_params *p, PGresult **r)
{
	const char *pre[3];
	char set[64];
	int n = c->n_pend;
	if (n > 0) {
		for (int i = 0; i < n; i++) {
			pre[i] = c->pend[i];
		}
		c->n_pend = 0;
		*r = query_pipelined(c, pre, n, sql, p);
		ExecStatusType s = PQresultStatus(*r);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			c->tx_timeout_ms = -1;
		}
		return true;
	}
	if (c->tx_depth > 0 ||
		pg_timeout_fits(c->session_timeout_ms, c->timeout_ms)) {
		return false;
	}
	int next = pg_timeout_rounded(c->timeout_ms);
	snprintf(set, sizeof(set), "SET statement_timeout = %d", next);
	pre[0] = set;
	*r = query_pipelined(c, pre, 1, sql, p);
	c->session_timeout_ms = next;
	return true;
}

oz_code
pg_query(pg_conn *c, const char *sql, const pg_params *p, PGresult **res,
	oz_status *st)
{
	static const pg_params none = {0};
	const char *name;
	if (p == NULL) {
		p = &none;
	}
	if (res != NULL) {
		*res = NULL;
	}
	/* Outside a transaction (a single-statement read in autocommit), a
	 * lost connection is re-established here as pg_tx_begin would. */
	oz_code rc = pg_ensure(c, st);
	if (rc != OZ_OK) {
		return rc;
	}
	PGresult *r;
	/* Most reads find the session's limit fits theirs and send the
	 * statement alone, as a native client would. */
	if (query_after_control(c, sql, p, &r)) {
		/* Sent. */
	} else if ((rc = prepare(c, sql, p, &name, st)) != OZ_OK) {
		return rc;
	} else {
		r = name != NULL
			    ? PQexecPrepared(c->pg, name, p->n, p->values,
				      p->lengths, p->formats, 0)
			    : PQexecParams(c->pg, sql, p->n, p->types,
				      p->values, p->lengths, p->formats, 0);
	}
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		rc = pg_error(c, r, st);
		PQclear(r);
		return rc;
	}
	if (res != NULL) {
		*res = r;
	} else {
		PQclear(r);
	}
	return OZ_OK;
}

oz_code
pg_query_int(pg_conn *c, const char *sql, const pg_params *p, int64_t *n,
	oz_status *st)
{
	PGresult *res;
	oz_code rc = pg_query(c, sql, p, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (PQntuples(res) != 1 || PQnfields(res) < 1) {
		rc = oz_fail(st, OZ_INTERNAL, "expected one row");
	} else {
		*n = pg_get_int(res, 0, 0);
	}
	PQclear(res);
	return rc;
}

oz_code
pg_query_exec(pg_conn *c, const char *sql, const pg_params *p,
	int64_t *changes, oz_status *st)
{
	PGresult *res;
	oz_code rc = pg_query(c, sql, p, &res, st);
	if (rc == OZ_OK && changes != NULL) {
		const char *t = PQcmdTuples(res);
		*changes = t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
	}
	PQclear(res);
	return rc;
}

oz_code
pg_query_rows(pg_conn *c, const char *sql, const pg_params *p, size_t elem,
	pg_read_fn read, arena *a, void **rows, size_t *n_rows, oz_status *st)
{
	PGresult *res;
	*rows = NULL;
	*n_rows = 0;
	oz_code rc = pg_query(c, sql, p, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int n = PQntuples(res);
	char *out = n > 0 ? arena_alloc(a, (size_t) n * elem) : NULL;
	if (n > 0 && out == NULL) {
		rc = oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (int r = 0; rc == OZ_OK && r < n; r++) {
		rc = read(res, r, a, out + (size_t) r * elem, st);
	}
	PQclear(res);
	if (rc == OZ_OK) {
		*rows = out;
		*n_rows = (size_t) n;
	}
	return rc;
}

int64_t
pg_get_int(const PGresult *res, int r, int col)
{
	return strtoll(PQgetvalue(res, r, col), NULL, 10);
}

bool
pg_get_bool(const PGresult *res, int r, int col)
{
	return PQgetvalue(res, r, col)[0] == 't';
}

const char *
pg_get_text(const PGresult *res, int r, int col, arena *a)
{
	return arena_strndup(
		a, PQgetvalue(res, r, col), (size_t) PQgetlength(res, r, col));
}

oz_code
pg_query_lines(
	pg_conn *c, const char *sql, char *out, size_t cap, oz_status *st)
{
	PGresult *res;
	size_t len = 0;
	out[0] = '\0';
	oz_code rc = pg_query(c, sql, NULL, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int n = snprintf(
			out + len, cap - len, "%s\n", PQgetvalue(res, r, 0));
		if (n < 0 || (size_t) n >= cap - len) {
			out[len] = '\0';
			break;
		}
		len += (size_t) n;
	}
	PQclear(res);
	return OZ_OK;
}
