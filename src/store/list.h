/* store/list.h -- keyset pagination shared by the users and tasks stores:
 * the plain types that describe a sort order and a page, and EXPLAIN for
 * the tests that check every query uses an index.
 *
 * No SQL text from a caller ever reaches SQLite through here: orders name
 * columns by their index in a store's fixed column table, and every value
 * (cursor, limit, offset) is bound. No sqlite3.h: the service layer and
 * the page-token codec (service/paging.h) use these types too. */
#ifndef OZ_STORE_LIST_H
#define OZ_STORE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "oz/status.h"
#include "store/store.h"

/* The type of a sortable column. */
typedef enum store_type {
	STORE_INT = 1,
	STORE_TEXT = 2,
} store_type;

/* One value of a sort key. s is NUL-terminated and owned by whoever filled
 * the value (a record in an arena, or a decoded page token). */
typedef struct store_value {
	store_type type;
	int64_t i;     /* When type is STORE_INT. */
	const char *s; /* When type is STORE_TEXT. */
} store_value;

/* A sortable column of a table. Entry 0 of every table is "id", the
 * unique tie-breaker that ends every order. */
typedef struct store_column {
	const char *name; /* Field name in the API, e.g. "create_time". */
	const char *expr; /* SQL to compare and order by, e.g. "email COLLATE
			     NOCASE" (matches an index). */
	store_type type;
} store_column;

#define STORE_ORDER_MAX 8

/* A sort order: keys[0] sorts first. The last key is always column 0
 * (id), so the order is total and a row's key values name its position. */
typedef struct store_order {
	int n;
	struct store_order_key {
		int col;   /* Index into the table's column array. */
		bool desc; /* Descending. */
	} keys[STORE_ORDER_MAX];
} store_order;

/* One page of a list. after, when not NULL, holds order->n values: the
 * sort key of the last row of the previous page; the page starts right
 * after it. offset rows are then skipped and at most limit returned. */
typedef struct store_page {
	const store_order *order;
	const store_value *after;
	int64_t limit;  /* 1..STORE_LIMIT_MAX. */
	int64_t offset; /* >= 0. */
} store_page;

#define STORE_LIMIT_MAX 100000

/* Runs EXPLAIN QUERY PLAN for sql on c. OUT: *plan, the plan's detail
 * lines joined with '\n' (from a). Returns OK, INTERNAL for SQL that does
 * not prepare, RESOURCE_EXHAUSTED when a runs out. For tests. */
oz_code store_explain(store_conn *c, const char *sql, arena *a, char **plan,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_LIST_H */
