/* store/postgres/pg_impl.h -- what the PostgreSQL backend's own files
 * share: the connection struct, the small query API over libpq (typed
 * parameters, prepared statements cached per connection, rows read into
 * arena records) and the one mapping of SQLSTATEs to oz codes.
 *
 * Only files in src/store/postgres/ include this (and so libpq-fe.h). */
#ifndef OZ_STORE_POSTGRES_PG_IMPL_H
#define OZ_STORE_POSTGRES_PG_IMPL_H

#include <libpq-fe.h>

#include "store/keyset_sql.h"
#include "store/postgres/pg.h"

#define PG_STMT_CACHE 128
#define PG_PARAMS_MAX 32 /* Parameters $1..$32 (keyset uses up to $31). */
#define PG_URL_MAX    4096

/* Type oids of pg_type.h (server headers are not in libpq-dev). */
#define PG_BOOLOID  16
#define PG_BYTEAOID 17
#define PG_INT8OID  20
#define PG_TEXTOID  25

struct pg_stmt_entry {
	char *sql;     /* Owned copy of the SQL text (the key). */
	char name[16]; /* "oz_s<N>" on the server. */
};

struct pg_conn {
	const struct store_ops *ops; /* First: store_postgres_ops. */
	PGconn *pg;
	char *url; /* Owned copy, for pg_reconnect. */
	int tx_depth;
	int timeout_ms; /* pg_set_timeout; 0: none. */
	/* The session's statement_timeout, as the last statement outside a
	 * transaction set it (0: none): see pg_query. */
	int session_timeout_ms;
	/* statement_timeout in the open transaction as its BEGIN or a
	 * savepoint's SET LOCAL left it; -1: not known (after a ROLLBACK TO
	 * SAVEPOINT or a failed control statement). */
	int tx_timeout_ms;
	/* The depth whose savepoint (oz_sp<N>) a successful call ended but
	 * is not released yet: the RELEASE goes in the same round trip as
	 * the next SAVEPOINT at that depth (0: none). Ending the enclosing
	 * level releases or rolls it back with it. */
	int release_pending;
	/* Control statements of a savepoint begun but not sent yet (a
	 * RELEASE of the last one, the SAVEPOINT, its SET LOCAL): they go in
	 * the pipeline of the call's first statement (pg_query), or alone
	 * before any other use of the connection (pg_tx_flush). */
	int n_pend;
	char pend[3][64];
	/* Dropped on purpose (SQLSTATE 25006: a standby answered after a
	 * failover): the next pg_ensure connects again. */
	bool broken;
	/* A statement of the open transaction failed 40001 or 40P01: the
	 * transaction cannot commit (PostgreSQL's SSI keeps it doomed past a
	 * ROLLBACK TO SAVEPOINT), so every savepoint and the COMMIT of it end
	 * ABORTED and the whole transaction is run again. */
	bool doomed;
	int backoff_ms;   /* The wait before the next reconnect attempt. */
	int64_t retry_us; /* Monotonic: no attempt before. */
	/* pg_connect_epoch when this connection's last attempt failed: a
	 * connection of the process that got through since ends the
	 * back-off (the server is back: try at once). */
	long failed_epoch;
	int n_stmts;
	unsigned next_stmt;
	struct pg_stmt_entry stmts[PG_STMT_CACHE];
};

/* The parameters of one statement, numbered from 1 like $1. Unset
 * numbers below n are NULL text, so every $N has a known type. Values of
 * integers are formatted into ints; text and bytes are only pointed to
 * and must outlive the call. */
typedef struct pg_params {
	int n;
	Oid types[PG_PARAMS_MAX];
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX];
	int formats[PG_PARAMS_MAX];
	char ints[PG_PARAMS_MAX][24];
} pg_params;

void pg_params_init(pg_params *p);
void pg_param_int(pg_params *p, int i, int64_t v);
void pg_param_bool(pg_params *p, int i, bool v);
void pg_param_text(pg_params *p, int i, const char *s);
void pg_param_bytes(pg_params *p, int i, const void *b, size_t n);

/* Runs sql with p (NULL: none), prepared once per connection and cached
 * by its text. OUT: *res, the result (caller PQclears it) when res is
 * not NULL; else the result is dropped. Returns OK or pg_error's code. */
oz_code pg_query(pg_conn *c, const char *sql, const pg_params *p,
	PGresult **res, oz_status *st) OZ_MUST_USE;

/* Runs sql and answers column 0 of its only row as an integer. */
oz_code pg_query_int(pg_conn *c, const char *sql, const pg_params *p,
	int64_t *n, oz_status *st) OZ_MUST_USE;

/* Runs sql. OUT: *changes, the rows it changed (may be NULL). */
oz_code pg_query_exec(pg_conn *c, const char *sql, const pg_params *p,
	int64_t *changes, oz_status *st) OZ_MUST_USE;

/* Copies row r of res into *row (strings into a). */
typedef oz_code (*pg_read_fn)(
	const PGresult *res, int r, arena *a, void *row, oz_status *st);

/* Runs sql and reads every row with read into an array of elem-byte
 * records. OUT: *rows (from a, NULL when none) and *n_rows. */
oz_code pg_query_rows(pg_conn *c, const char *sql, const pg_params *p,
	size_t elem, pg_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* Runs page p of table t: rows matching filter (whose parameters are
 * already in pp), with the cursor, limit and offset bound into pp (the
 * value of column fold_col, or -1 for none, folded to ASCII lower case).
 * OUT: *rows (from a) and *n_rows <= p->limit. Returns OK,
 * INVALID_ARGUMENT for bounds outside 1..STORE_LIMIT_MAX or an offset
 * below 0, INTERNAL for a malformed order, or the query's failure. */
oz_code pg_list_rows(pg_conn *c, const keyset_table *t, const char *filter,
	pg_params *pp, const store_page *p, int fold_col, size_t elem,
	pg_read_fn read, arena *a, void **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* Column readers for text-format results. */
int64_t pg_get_int(const PGresult *res, int r, int col);
bool pg_get_bool(const PGresult *res, int r, int col);
/* A copy in a ("" for NULL); NULL only when a is out of memory. */
const char *pg_get_text(const PGresult *res, int r, int col, arena *a);

/* Maps a failed result (res may be NULL: the connection broke before
 * one came) to an oz status; the only place that does. The message is
 * generic; callers that know better overwrite it. */
oz_code pg_error(pg_conn *c, const PGresult *res, oz_status *st) OZ_MUST_USE;

/* pg_error for the failure of an operator's statement (Query): the
 * statement's own faults (syntax, names, a write refused by READ ONLY)
 * are INVALID_ARGUMENT with the server's message as the violation of
 * "sql"; anything else as pg_error. */
oz_code pg_query_error(
	pg_conn *c, const PGresult *res, oz_status *st) OZ_MUST_USE;

/* Maps a SQLSTATE (5 characters, or NULL when there is none) to an oz
 * code and a generic message. For pg_error and its tests. */
oz_code pg_sqlstate_code(const char *sqlstate, const char **message);

/* Checks url with libpq and makes a connection handle that is not
 * connected yet (pg_reconnect connects it). OUT: *out, freed with
 * pg_close. Returns OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED. */
oz_code pg_conn_alloc(
	pg_conn **out, const char *url, oz_status *st) OZ_MUST_USE;

/* The length of libpq message msg without its trailing newlines, for
 * log lines ("%.*s"). */
int pg_msg_len(const char *msg);

/* A statement may run past its call's deadline by at most this much
 * (and an eighth of the call's remaining time): a connection's
 * statement_timeout is kept, not SET again, when it is at least the
 * call's remaining time and at most this slack above it. */
#define PG_TIMEOUT_SLACK_MS 250

/* Whether a statement_timeout of have_ms (0: none, below 0: not known)
 * serves a call with want_ms left (0: no limit): never shorter, never
 * longer by more than the slack; "none" only for "none". */
bool pg_timeout_fits(int have_ms, int want_ms);

/* The statement_timeout to SET for a call with want_ms left: want_ms
 * plus half its slack, so the calls after it, with a little less or a
 * little more time left, fit it (pg_timeout_fits) and send no SET. */
int pg_timeout_rounded(int want_ms);

/* Sends the savepoint statements pg_tx_begin deferred, if any, in one
 * round trip. Returns OK or their failure. */
oz_code pg_tx_flush(pg_conn *c, oz_status *st) OZ_MUST_USE;

/* Forgets every cached prepared statement (after a reconnect). */
void pg_stmts_clear(pg_conn *c);

#endif /* OZ_STORE_POSTGRES_PG_IMPL_H */
