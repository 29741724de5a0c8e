/* store/task_store.h -- the tasks table as plain C records.
 *
 * Knows nothing about protobuf. Every function runs its statements on c
 * inside whatever transaction the caller opened (store_tx_begin); none
 * opens one itself. Strings of returned records are copied into the
 * caller's arena and live until it is reset; strings passed in are only
 * read during the call. Times are microseconds since the Unix epoch.
 * status is 1 (pending), 2 (in progress) or 3 (done); the table's CHECK
 * rejects anything else.
 *
 * Codes common to all: UNAVAILABLE when the database stays locked past
 * busy_timeout, RESOURCE_EXHAUSTED when the arena or SQLite runs out of
 * memory, INVALID_ARGUMENT when a value breaks a CHECK constraint,
 * INTERNAL for anything unexpected (logged, not sent). */
#ifndef OZ_STORE_TASK_STORE_H
#define OZ_STORE_TASK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "oz/status.h"
#include "store/list.h"
#include "store/store.h"

typedef struct store_task {
	int64_t id;
	const char *title;
	const char *description; /* "" when none. */
	int64_t user_id;
	int status;
	int64_t create_us;
	int64_t update_us;
	int64_t version; /* 1 on insert, +1 on every update. */
	/* store_task_update only: STORE_TASK_SAME_* bits of the columns the
	 * caller knows keep their value, which a backend may leave out of
	 * the write (0: write them all). */
	unsigned same;
} store_task;

enum {
	STORE_TASK_SAME_TITLE = 1,
	STORE_TASK_SAME_DESCRIPTION = 2,
	STORE_TASK_SAME_STATUS = 4,
};

/* The sortable columns, indexes into store_task_columns. */
enum store_task_column {
	STORE_TASK_ID = 0,
	STORE_TASK_TITLE,
	STORE_TASK_STATUS,
	STORE_TASK_CREATE_TIME,
	STORE_TASK_UPDATE_TIME,
	STORE_TASK_NCOLS,
};

extern const store_column store_task_columns[STORE_TASK_NCOLS];

/* Which tasks a list or count covers. */
typedef struct store_task_filter {
	bool by_user; /* Only the tasks of user_id. */
	int64_t user_id;
	int status; /* 0: any; else only tasks with this status. */
} store_task_filter;

/* Inserts t (title, description, user_id, status, create_us are read).
 * OUT: t->id; t->update_us = t->create_us and t->version = 1. Returns OK
 * or NOT_FOUND "User not found" when user_id names no user. */
oz_code store_task_insert(
	store_conn *c, store_task *t, oz_status *st) OZ_MUST_USE;

/* Inserts ts[0..n) in order, as n calls of store_task_insert would (the
 * same OUT fields, the same codes), in fewer statements where the backend
 * can (SQLite: INSERTs of up to 1000 rows). Call it inside
 * a write transaction: on failure some rows before the failing one may be
 * inserted, and the caller rolls them back. OUT: *failed, on failure, the
 * index of the row st is about. */
oz_code store_task_insert_many(store_conn *c, store_task *ts, size_t n,
	size_t *failed, oz_status *st) OZ_MUST_USE;

/* OUT: *out, the task with this id. Returns OK or NOT_FOUND "Task not
 * found". */
oz_code store_task_get(store_conn *c, int64_t id, arena *a, store_task *out,
	oz_status *st) OZ_MUST_USE;

/* Writes title, description, status, update_us and version of t into the
 * row t->id (the caller computes the new version and time); columns in
 * t->same may be skipped. Returns OK or
 * NOT_FOUND "Task not found". */
oz_code store_task_update(
	store_conn *c, const store_task *t, oz_status *st) OZ_MUST_USE;

/* Deletes the task. Returns OK or NOT_FOUND "Task not found". */
oz_code store_task_delete(
	store_conn *c, int64_t id, oz_status *st) OZ_MUST_USE;

/* Deletes every task of user_id. OUT: *n, how many (may be NULL). */
oz_code store_task_delete_by_user(
	store_conn *c, int64_t user_id, int64_t *n, oz_status *st) OZ_MUST_USE;

/* OUT: *rows (an array from a, NULL when empty) and *n_rows: every task
 * of user_id in id order, in one query. */
oz_code store_task_list_by_user(store_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st) OZ_MUST_USE;

/* OUT: *n, the number of tasks matching f. */
oz_code store_task_count(store_conn *c, const store_task_filter *f, int64_t *n,
	oz_status *st) OZ_MUST_USE;

/* OUT: *rows (an array from a) and *n_rows <= p->limit: the tasks matching
 * f on page p (see store/list.h). Returns OK, INVALID_ARGUMENT for a limit
 * outside 1..STORE_LIMIT_MAX or an offset below 0, INTERNAL for a
 * malformed order or cursor. */
oz_code store_task_list(store_conn *c, const store_task_filter *f,
	const store_page *p, arena *a, store_task **rows, size_t *n_rows,
	oz_status *st) OZ_MUST_USE;

/* OUT: *v, the value of sortable column col of t (strings not copied). */
void store_task_key(const store_task *t, int col, store_value *v);

/* For index tests: writes the SQL store_task_list runs for f and p into
 * buf, and returns the fixed SQL of every other task query (NULL-ended
 * array; static). */
oz_code store_task_list_sql(const store_task_filter *f, const store_page *p,
	char *buf, size_t cap, oz_status *st) OZ_MUST_USE;
const char *const *store_task_statements(void);

#endif /* OZ_STORE_TASK_STORE_H */
