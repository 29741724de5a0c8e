/* store/sqlite/query.c -- AdminService/Query's SQL: one operator statement,
 * proven read-only before it runs, bounded in rows and time (see
 * store/query.h). SQLite errors are mapped to oz codes here. The statement
 * text comes from the caller: it is only ever prepared here, under an
 * authorizer, never pasted into other SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "store/sqlite/runner.h"
#include "store/query.h"

/* PRAGMAs a query may run: they only read. The first group takes a table
 * or index name as argument; the others none (an argument would set). */
static const char *const pragma_with_arg[] = {"table_info", "table_xinfo",
	"index_list", "index_info", "index_xinfo", "foreign_key_list", NULL};
static const char *const pragma_no_arg[] = {"table_list", "database_list",
	"collation_list", "function_list", "pragma_list", "page_count",
	"page_size", "freelist_count", "user_version", "schema_version",
	"application_id", "encoding", "journal_mode", "compile_options",
	"integrity_check", "quick_check", "foreign_key_check", NULL};

static bool
listed(const char *const *names, const char *name)
{
	for (; *names != NULL; names++) {
		if (name != NULL && strcasecmp(*names, name) == 0) {
			return true;
		}
	}
	return false;
}

/* The authorizer: reading only. Everything not listed is denied, so an
 * action code SQLite adds later is refused too. */
static int
authorize(void *arg, int action, const char *a1, const char *a2,
	const char *db, const char *trigger)
{
	(void) arg;
	(void) db;
	(void) trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_UPDATE:
		/* Asked while a table-valued PRAGMA function (pragma_table_
		 * info('t')) sets up its virtual table; nothing is written. A
		 * real UPDATE of the schema is refused by the other checks. */
		return a1 != NULL && strcmp(a1, "sqlite_master") == 0
			       ? SQLITE_OK
			       : SQLITE_DENY;
	case SQLITE_FUNCTION: /* a2: the function's name. */
		return a2 != NULL && strcasecmp(a2, "load_extension") == 0
			       ? SQLITE_DENY
			       : SQLITE_OK;
	case SQLITE_PRAGMA: /* a1: the pragma, a2: its argument. */
		return (a2 == NULL ? listed(pragma_no_arg, a1) ||
					       listed(pragma_with_arg, a1)
				   : listed(pragma_with_arg, a1))
			       ? SQLITE_OK
			       : SQLITE_DENY;
	default:
		return SQLITE_DENY;
	}
}

/* The progress handler: non-zero (interrupt) once past the deadline. */
static int
past_deadline(void *arg)
{
	return oz_now_us() > *(const int64_t *) arg;
}

/* Skips blanks and SQL comments. */
static const char *
skip_blank(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
			*p == '\f' || *p == '\v') {
			p++;
		}
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e != NULL ? e + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

/* True when sql starts (after blanks and comments) with a keyword of a
 * statement that reads: SELECT, WITH, VALUES, PRAGMA or EXPLAIN. A
 * statement that compiles to nothing (REINDEX with no index) passes the
 * other checks; this one refuses it. */
static bool
reading_keyword(const char *sql)
{
	static const char *const words[] = {
		"SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN"};
	const char *p = skip_blank(sql);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		char next = p[0] != '\0' ? p[strnlen(p, n)] : '\0';
		if (strncasecmp(p, words[i], n) == 0 &&
			!(next == '_' || (next >= '0' && next <= '9') ||
				((next | 0x20) >= 'a' &&
					(next | 0x20) <= 'z'))) {
			return true;
		}
	}
	return false;
}

/* INVALID_ARGUMENT on "sql" with SQLite's message (control characters
 * replaced: it may quote the statement). */
static oz_code
bad_sql(sqlite3 *db, const char *why, oz_status *st)
{
	char msg[OZ_VIOLATION_DESC_MAX];
	snprintf(msg, sizeof(msg), "%s",
		why != NULL ? why : sqlite3_errmsg(db));
	for (char *p = msg; *p != '\0'; p++) {
		*p = (unsigned char) *p < 0x20 ? '?' : *p;
	}
	oz_status_violation(st, "sql", "%s", msg);
	return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid query");
}

/* Prepares q->sql and proves it is one read-only statement. */
static oz_code
prepare(sqlite3 *db, const store_query *q, sqlite3_stmt **stmt, oz_status *st)
{
	const char *tail = NULL;
	sqlite3_set_authorizer(db, authorize, NULL);
	int rc = sqlite3_prepare_v3(db, q->sql, -1, 0, stmt, &tail);
	sqlite3_set_authorizer(db, NULL, NULL);
	if (rc == SQLITE_AUTH) {
		return bad_sql(db,
			"must be one read-only statement (SELECT, WITH, "
			"VALUES or a read-only PRAGMA)",
			st);
	}
	if (rc != SQLITE_OK) {
		return bad_sql(db, NULL, st);
	}
	if (*stmt == NULL) {
		return bad_sql(db, "holds no statement", st);
	}
	if (*skip_blank(tail) != '\0') {
		return bad_sql(db,
			"must be exactly one statement: text follows the "
			"first",
			st);
	}
	if (!sqlite3_stmt_readonly(*stmt) || !reading_keyword(q->sql)) {
		return bad_sql(db, "must be a read-only statement", st);
	}
	if ((size_t) sqlite3_bind_parameter_count(*stmt) != q->n_params) {
		oz_status_violation(st, "params", "the statement takes %d",
			sqlite3_bind_parameter_count(*stmt));
		return oz_fail(st, OZ_INVALID_ARGUMENT, "invalid query");
	}
	return OZ_OK;
}

/* Binds v as parameter i; the binder keeps the first failure. */
static void
bind(sqlite_binder *b, int i, const store_qvalue *v)
{
	switch (v->type) {
	case STORE_Q_INT:
		sqlite_bind_int(b, i, v->i);
		break;
	case STORE_Q_REAL:
		sqlite_bind_double(b, i, v->d);
		break;
	case STORE_Q_TEXT:
		sqlite_bind_text_n(b, i, v->p, v->len);
		break;
	case STORE_Q_BLOB:
		sqlite_bind_blob(b, i, v->p, v->len);
		break;
	default:
		sqlite_bind_null(b, i);
		break;
	}
}

/* Copies column col of the current row into v (bytes into a). */
static bool
column(sqlite3_stmt *s, int col, arena *a, store_qvalue *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(s, col)) {
	case SQLITE_INTEGER:
		v->type = STORE_Q_INT;
		v->i = sqlite3_column_int64(s, col);
		return true;
	case SQLITE_FLOAT:
		v->type = STORE_Q_REAL;
		v->d = sqlite3_column_double(s, col);
		return true;
	case SQLITE_NULL:
		return true;
	default:
		break;
	}
	bool text = sqlite3_column_type(s, col) == SQLITE_TEXT;
	const void *p = text ? (const void *) sqlite3_column_text(s, col)
			     : sqlite3_column_blob(s, col);
	v->type = text ? STORE_Q_TEXT : STORE_Q_BLOB;
	v->len = (size_t) sqlite3_column_bytes(s, col);
	char *copy = arena_alloc(a, v->len + 1);
	if (copy == NULL) {
		return false;
	}
	if (v->len > 0) {
		memcpy(copy, p, v->len);
	}
	copy[v->len] = '\0';
	v->p = copy;
	return true;
}

static oz_code
describe(sqlite3_stmt *s, arena *a, store_qresult *out, oz_status *st)
{
	out->n_cols = (size_t) sqlite3_column_count(s);
	out->names = arena_alloc(a, sizeof(char *) * (out->n_cols + 1));
	out->decltypes = arena_alloc(a, sizeof(char *) * (out->n_cols + 1));
	if (out->names == NULL || out->decltypes == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t c = 0; c < out->n_cols; c++) {
		const char *name = sqlite3_column_name(s, (int) c);
		const char *type = sqlite3_column_decltype(s, (int) c);
		out->names[c] = arena_strdup(a, name != NULL ? name : "");
		out->decltypes[c] = arena_strdup(a, type != NULL ? type : "");
		if (out->names[c] == NULL || out->decltypes[c] == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
	}
	return OZ_OK;
}

/* Makes room for one more row; the array doubles (old copies stay in the
 * arena until it is reset). */
static bool
grow(store_qresult *out, size_t *cap, arena *a)
{
	if (out->n_rows < *cap) {
		return true;
	}
	size_t ncap = *cap == 0 ? 64 : *cap * 2;
	store_qvalue *v = arena_alloc(
		a, sizeof(*v) * (out->n_cols > 0 ? out->n_cols : 1) * ncap);
	if (v == NULL) {
		return false;
	}
	if (out->n_rows > 0) {
		memcpy(v, out->values, sizeof(*v) * out->n_cols * out->n_rows);
	}
	out->values = v;
	*cap = ncap;
	return true;
}

/* Steps through the rows, up to q->max_rows. */
static oz_code
fetch(store_conn *c, sqlite3_stmt *s, const store_query *q, arena *a,
	store_qresult *out, oz_status *st)
{
	size_t cap = 0;
	for (;;) {
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			return OZ_OK;
		}
		if (rc == SQLITE_INTERRUPT) {
			return oz_fail(st, OZ_DEADLINE_EXCEEDED,
				"query stopped at its time limit of %d ms",
				q->timeout_ms);
		}
		if (rc != SQLITE_ROW) {
			return rc == SQLITE_ERROR
				       ? bad_sql(c->db, NULL, st)
				       : store_error(c,
						 sqlite3_extended_errcode(
							 c->db),
						 st);
		}
		if (out->n_rows == (size_t) q->max_rows) {
			out->truncated = true;
			return OZ_OK;
		}
		if (!grow(out, &cap, a)) {
			return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
				"query result too large; ask for fewer rows");
		}
		store_qvalue *row = &out->values[out->n_rows * out->n_cols];
		for (size_t col = 0; col < out->n_cols; col++) {
			if (!column(s, (int) col, a, &row[col])) {
				return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
					"query result too large; ask for "
					"fewer rows");
			}
		}
		out->n_rows++;
	}
}

/* Runs q on c, which is already read-only. */
static oz_code
run(store_conn *c, const store_query *q, arena *a, store_qresult *out,
	oz_status *st)
{
	sqlite3_stmt *s = NULL;
	int64_t deadline = oz_now_us() + (int64_t) q->timeout_ms * 1000;
	oz_code rc = prepare(c->db, q, &s, st);
	sqlite_binder b = {s, SQLITE_OK};
	for (size_t i = 0; rc == OZ_OK && i < q->n_params; i++) {
		bind(&b, (int) i + 1, &q->params[i]);
	}
	if (rc == OZ_OK && b.rc != SQLITE_OK) {
		rc = store_error(c, b.rc, st);
	}
	if (rc == OZ_OK) {
		rc = describe(s, a, out, st);
	}
	if (rc == OZ_OK) {
		sqlite3_progress_handler(
			c->db, 1000, past_deadline, &deadline);
		rc = fetch(c, s, q, a, out, st);
		sqlite3_progress_handler(c->db, 0, NULL, NULL);
	}
	sqlite3_finalize(s);
	return rc;
}

oz_code
sqlite_query_run(store_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st)
{
	memset(out, 0, sizeof(*out));
	/* On :memory: the only database is c's own; elsewhere the query gets
	 * a connection of its own, so nothing it sets outlives it. */
	bool own = !store_config_is_memory(&c->cfg);
	store_conn *qc = c;
	oz_code rc = own ? store_open(&qc, &c->cfg, st) : OZ_OK;
	if (rc != OZ_OK) {
		return rc;
	}
	if ((rc = store_exec(qc, "PRAGMA query_only=1", st)) == OZ_OK) {
		rc = run(qc, q, a, out, st);
	}
	if (own) {
		store_close(qc);
	} else {
		/* The connection is the server's own: it must not stay
		 * read-only, so a failed reset is this call's failure. */
		oz_status reset_st;
		oz_code reset =
			store_exec(qc, "PRAGMA query_only=0", &reset_st);
		if (reset != OZ_OK && rc == OZ_OK) {
			*st = reset_st;
			rc = reset;
		}
	}
	return rc;
}
