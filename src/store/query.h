/* store/query.h -- one read-only SQL statement for operators
 * (AdminService/Query), proven read-only before it runs, with a row limit
 * and a time limit.
 *
 * The statement runs on a connection of its own, opened read-only with
 * PRAGMA query_only=1 and an authorizer that admits reading only (SELECT,
 * reads, functions, recursive CTEs, read-only PRAGMAs); it must be exactly
 * one statement (nothing but blanks and comments after it) and
 * sqlite3_stmt_readonly must agree. A progress handler stops it at its
 * deadline. */
#ifndef OZ_STORE_QUERY_H
#define OZ_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

typedef enum store_qtype {
	STORE_Q_NULL = 0,
	STORE_Q_INT,
	STORE_Q_REAL,
	STORE_Q_TEXT, /* p: len bytes and a NUL. */
	STORE_Q_BLOB, /* p: len bytes. */
} store_qtype;

typedef struct store_qvalue {
	store_qtype type;
	int64_t i;
	double d;
	const void *p;
	size_t len;
} store_qvalue;

typedef struct store_query {
	const char *sql;
	const store_qvalue *params; /* Bound to ?1.. in order. */
	size_t n_params;
	int max_rows;   /* > 0. */
	int timeout_ms; /* > 0. */
} store_query;

typedef struct store_qresult {
	size_t n_cols;
	const char **names;     /* n_cols, from the arena. */
	const char **decltypes; /* n_cols; "" for expressions. */
	size_t n_rows;
	store_qvalue *values; /* n_rows * n_cols, row by row. */
	bool truncated;       /* More rows than max_rows. */
} store_qresult;

/* Runs q against the database behind c (c itself only for :memory:, where
 * another connection would see another database). OUT: *out, everything
 * in a. Returns OK; INVALID_ARGUMENT (violation on "sql" or "params") for
 * a statement that is not exactly one read-only statement, a syntax error
 * or a wrong number of parameters; DEADLINE_EXCEEDED when it ran past
 * its time limit; RESOURCE_EXHAUSTED when a runs out; else the store's
 * mapping of the failure. */
oz_code store_query_run(store_conn *c, const store_query *q, arena *a,
	store_qresult *out, oz_status *st);

#endif /* OZ_STORE_QUERY_H */
