/* store/keyset_sql.h -- the text of one page of a keyset-paginated list,
 * in either SQL dialect. Shared by the SQLite and PostgreSQL stores; it
 * names no engine's API (no sqlite3.h, no libpq-fe.h) and runs nothing.
 *
 * The SQL is assembled only from a store's fixed column table, fixed
 * filter fragments and fixed keywords; every value is a parameter. */
#ifndef OZ_STORE_KEYSET_SQL_H
#define OZ_STORE_KEYSET_SQL_H

#include <stddef.h>

#include "oz/status.h"
#include "store/list.h"

/* Parameter numbers: filters use 1..9, the cursor 11.., and these. */
#define KEYSET_PARAM_AFTER  11
#define KEYSET_PARAM_LIMIT  30
#define KEYSET_PARAM_OFFSET 31

#define KEYSET_SQL_MAX 8192

/* A table as the list queries see it. */
typedef struct keyset_table {
	const char *table;        /* Its name. */
	const char *select;       /* The fixed list of columns read. */
	const store_column *cols; /* Its sortable columns; cols[0] is id. */
	int n_cols;
} keyset_table;

/* Writes into buf (size cap) the query for page p of table t, with
 * parameters written mark followed by their number: '?' gives SQLite's
 * ?NNN, '$' PostgreSQL's $N. See keyset_sql (store/keyset.h) for the
 * shape of the query. Every subquery is named, as PostgreSQL 15 requires.
 * Returns OK, or INTERNAL when the order is malformed or the SQL does not
 * fit (a bug, not a user error). */
oz_code keyset_sql_build(char *buf, size_t cap, char mark,
	const keyset_table *t, const char *filter, const store_page *p,
	oz_status *st);

#endif /* OZ_STORE_KEYSET_SQL_H */
