/* store/postgres/pg_adhoc.c -- AdminService/Query on PostgreSQL
 * (store/query.h): one operator statement in a READ ONLY transaction,
 * its time limit a SET LOCAL statement_timeout, its row limit a FETCH
 * from a cursor. DECLARE CURSOR takes only SELECT or VALUES, the
 * extended protocol only one statement, and READ ONLY refuses every
 * write the statement could still reach (a function that writes, a
 * data-modifying WITH), so nothing but a read runs. Parameters are $1,
 * $2, ..., or SQLite's ?1, ?2, ... (written $N before it runs); the result has
 * the shape of SQLite's: column names, declared types (the type's name), typed
 * values. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/postgres/pg_impl.h"

/* Type oids of pg_type.h beyond pg_impl.h's. */
#define PG_INT2OID    21
#define PG_INT4OID    23
#define PG_OIDOID     26
#define PG_FLOAT4OID  700
#define PG_FLOAT8OID  701
#define PG_NUMERICOID 1700

static const struct {
	Oid oid;
	const char *name;
	store_qtype type;
} types[] = {
	{PG_BOOLOID, "boolean", STORE_Q_INT},
	{PG_INT2OID, "smallint", STORE_Q_INT},
	{PG_INT4OID, "integer", STORE_Q_INT},
	{PG_INT8OID, "bigint", STORE_Q_INT},
	{PG_OIDOID, "oid", STORE_Q_INT},
	{PG_FLOAT4OID, "real", STORE_Q_REAL},
	{PG_FLOAT8OID, "double precision", STORE_Q_REAL},
	{PG_NUMERICOID, "numeric", STORE_Q_REAL},
	{PG_TEXTOID, "text", STORE_Q_TEXT},
	{PG_BYTEAOID, "bytea", STORE_Q_BLOB},
};

/* The row of oid, or NULL: text then, with no declared type. */
static size_t
type_of(Oid oid)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].oid == oid) {
			return i;
		}
	}
	return (size_t) -1;
}

/* Binds q's parameters as text (blobs as bytea binary). */
static oz_code
bind(const store_query *q, pg_params *p, char (*reals)[32], oz_status *st)
{
	pg_params_init(p);
	if (q->n_params > PG_PARAMS_MAX) {
		oz_status_violation(st, "params", "at most %d", PG_PARAMS_MAX);
		return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid query");
	}
	p->n = (int) q->n_params;
	for (size_t i = 0; i < q->n_params; i++) {
		const store_qvalue *v = &q->params[i];
		int k = (int) i + 1;
		switch (v->type) {
		case STORE_Q_INT:
			pg_param_int(p, k, v->i);
			break;
		case STORE_Q_REAL:
			snprintf(reals[i], sizeof(reals[i]), "%.17g", v->d);
			pg_param_text(p, k, reals[i]);
			p->types[i] = 0; /* Let the server infer it. */
			break;
		case STORE_Q_TEXT:
			pg_param_text(p, k, v->p);
			p->types[i] = 0;
			break;
		case STORE_Q_BLOB:
			pg_param_bytes(p, k, v->p, v->len);
			break;
		default:
			p->types[i] = 0;
			break; /* NULL. */
		}
	}
	return OZ_OK;
}

/* Reads the columns' names and declared types. */
static oz_code
describe(const PGresult *res, arena *a, store_qresult *out, oz_status *st)
{
	out->n_cols = (size_t) PQnfields(res);
	out->names = arena_calloc(a, (out->n_cols + 1) * sizeof(char *));
	out->decltypes = arena_calloc(a, (out->n_cols + 1) * sizeof(char *));
	if (out->names == NULL || out->decltypes == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t j = 0; j < out->n_cols; j++) {
		size_t t = type_of(PQftype(res, (int) j));
		out->names[j] = arena_strdup(a, PQfname(res, (int) j));
		out->decltypes[j] = t != (size_t) -1 ? types[t].name : "";
		if (out->names[j] == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
	}
	return OZ_OK;
}

/* Reads one value of a text-format result. */
static oz_code
value(const PGresult *res, int r, int col, arena *a, store_qvalue *v,
	oz_status *st)
{
	memset(v, 0, sizeof(*v));
	if (PQgetisnull(res, r, col)) {
		return OZ_OK;
	}
	const char *s = PQgetvalue(res, r, col);
	size_t t = type_of(PQftype(res, col));
	store_qtype type = t != (size_t) -1 ? types[t].type : STORE_Q_TEXT;
	v->type = type;
	if (type == STORE_Q_INT) {
		v->i = s[0] == 't'   ? 1
		       : s[0] == 'f' ? 0
				     : strtoll(s, NULL, 10);
		return OZ_OK;
	}
	if (type == STORE_Q_REAL) {
		v->d = strtod(s, NULL);
		return OZ_OK;
	}
	if (type == STORE_Q_BLOB) {
		size_t n = 0;
		unsigned char *b =
			PQunescapeBytea((const unsigned char *) s, &n);
		void *copy = b != NULL ? arena_alloc(a, n + 1) : NULL;
		if (copy != NULL) {
			memcpy(copy, b, n);
		}
		PQfreemem(b);
		v->p = copy;
		v->len = n;
		return copy != NULL ? OZ_OK
				    : oz_fail(st, OZ_RESOURCE_EXHAUSTED,
					      "out of memory");
	}
	v->len = (size_t) PQgetlength(res, r, col);
	v->p = arena_strndup(a, s, v->len);
	return v->p != NULL
		       ? OZ_OK
		       : oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
}

/* Copies at most q->max_rows rows of res into out. */
static oz_code
rows(const PGresult *res, const store_query *q, arena *a, store_qresult *out,
	oz_status *st)
{
	size_t n = (size_t) PQntuples(res);
	out->truncated = n > (size_t) q->max_rows;
	out->n_rows = out->truncated ? (size_t) q->max_rows : n;
	out->values = arena_calloc(
		a, (out->n_rows * out->n_cols + 1) * sizeof(store_qvalue));
	if (out->values == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t r = 0; r < out->n_rows; r++) {
		for (size_t j = 0; j < out->n_cols; j++) {
			oz_code rc = value(res, (int) r, (int) j, a,
				&out->values[r * out->n_cols + j], st);
			if (rc != OZ_OK) {
				return rc;
			}
		}
	}
	return OZ_OK;
}

/* Length of the dollar-quote opener at s ("$$", "$tag$"), 0 if none. */
static size_t
dollar_tag(const char *s)
{
	size_t n = 1;
	if (s[0] != '$' || isdigit((unsigned char) s[1])) {
		return 0;
	}
	while (isalnum((unsigned char) s[n]) || s[n] == '_') {
		n++;
	}
	return s[n] == '$' ? n + 1 : 0;
}

/* Length of the quoted text, comment or dollar-quoted string at s that
 * ?N must not be looked for in, 0 if s starts none. In E'...' strings a
 * backslash escapes; '' and "" are quotes doubled. */
static size_t
skip_literal(const char *sql, const char *s)
{
	const char *p = s;
	if (p[0] == '-' && p[1] == '-') {
		return strcspn(p, "\n");
	}
	if (p[0] == '/' && p[1] == '*') {
		const char *end = strstr(p + 2, "*/");
		return end != NULL ? (size_t) (end + 2 - p) : strlen(p);
	}
	/* $ inside an identifier (a$b) opens nothing. */
	bool word =
		p > sql && (isalnum((unsigned char) p[-1]) || p[-1] == '_');
	size_t tag = word ? 0 : dollar_tag(p);
	if (tag > 0) {
		const char *end = p + tag;
		while ((end = strchr(end, '$')) != NULL &&
			strncmp(end, p, tag) != 0) {
			end++;
		}
		return end != NULL ? (size_t) (end + tag - p) : strlen(p);
	}
	if (*p != '\'' && *p != '"') {
		return 0;
	}
	bool esc = *p == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');
	char q = *p++;
	while (*p != '\0') {
		/* A backslash escape (E'') or a doubled quote: two bytes. */
		bool pair = (esc && *p == '\\' && p[1] != '\0') ||
			    (*p == q && p[1] == q);
		if (pair) {
			p += 2;
		} else if (*p++ == q) {
			break;
		}
	}
	return (size_t) (p - s);
}

/* The operator's SQL with SQLite's ?N parameters written $N, as the
 * documentation of Query promises on both backends; quoted text,
 * identifiers, comments and dollar-quoted strings are left as they are,
 * and so is a ? not followed by a digit (jsonb's ? operators). NULL when
 * out of memory; free it. */
static char *
pg_params_of_sqlite(const char *sql)
{
	size_t len = strlen(sql);
	char *out = malloc(len + 1);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (const char *p = sql; *p != '\0';) {
		size_t skip = skip_literal(sql, p);
		if (skip > 0) {
			memcpy(out + o, p, skip);
			o += skip;
			p += skip;
			continue;
		}
		bool param = *p == '?' && isdigit((unsigned char) p[1]);
		out[o++] = param ? '$' : *p;
		p++;
	}
	out[o] = '\0';
	return out;
}

/* Runs one statement of the query's transaction (not prepared: each
 * operator statement is new). OUT: *res when not NULL. */
static oz_code
step(pg_conn *c, const char *sql, const pg_params *p, PGresult **res,
	oz_status *st)
{
	oz_code rc = pg_tx_flush(c, st);
	if (rc != OZ_OK) {
		return rc;
	}
	PGresult *r = PQexecParams(c->pg, sql, p != NULL ? p->n : 0,
		p != NULL ? p->types : NULL, p != NULL ? p->values : NULL,
		p != NULL ? p->lengths : NULL, p != NULL ? p->formats : NULL,
		0);
	ExecStatusType s = PQresultStatus(r);
	rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK
		     ? OZ_OK
		     : pg_query_error(c, r, st);
	if (rc == OZ_OK && res != NULL) {
		*res = r;
	} else {
		PQclear(r);
	}
	return rc;
}

/* In the READ ONLY transaction: declares the cursor and fetches. */
static oz_code
run(pg_conn *c, const store_query *q, arena *a, store_qresult *out,
	oz_status *st)
{
	pg_params p;
	char reals[PG_PARAMS_MAX][32];
	char sql[96];
	PGresult *res = NULL;
	oz_code rc = bind(q, &p, reals, st);
	size_t len = strlen(q->sql);
	char *declare = malloc(len + 64);
	char *body = pg_params_of_sqlite(q->sql);
	if (declare == NULL || body == NULL) {
		free(declare);
		free(body);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	snprintf(declare, len + 64, "DECLARE oz_query NO SCROLL CURSOR FOR %s",
		body);
	free(body);
	snprintf(sql, sizeof(sql), "SET LOCAL statement_timeout = %d",
		q->timeout_ms);
	if (rc == OZ_OK) {
		rc = step(c, sql, NULL, NULL, st);
	}
	if (rc == OZ_OK) {
		rc = step(c, declare, &p, NULL, st);
	}
	free(declare);
	snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM oz_query",
		q->max_rows + 1);
	if (rc == OZ_OK && (rc = step(c, sql, NULL, &res, st)) == OZ_OK) {
		rc = describe(res, a, out, st);
		if (rc == OZ_OK) {
			rc = rows(res, q, a, out, st);
		}
		PQclear(res);
	}
	if (rc == OZ_DEADLINE_EXCEEDED) {
		/* SQLite's words for it (store/sqlite/query.c). */
		oz_fail(st, OZ_DEADLINE_EXCEEDED,
			"query stopped at its time limit of %d ms",
			q->timeout_ms);
	}
	return rc;
}

oz_code
pg_query_run(pg_conn *c, const store_query *q, arena *a, store_qresult *out,
	oz_status *st)
{
	memset(out, 0, sizeof(*out));
	oz_code rc = pg_tx_begin(c, STORE_TX_READ, st);
	if (rc != OZ_OK) {
		return rc;
	}
	/* Never committed: it only read, and a rollback drops the cursor
	 * (pg_tx_end rolls back for a code other than OK and keeps st). */
	rc = run(c, q, a, out, st);
	if (pg_tx_end(c, rc != OZ_OK ? rc : OZ_CANCELLED, st) != rc) {
		oz_status_clear(st); /* The rollback of a query that ran. */
	}
	return rc;
}
