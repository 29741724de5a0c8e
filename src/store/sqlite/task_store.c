/* store/sqlite/task_store.c -- SQL for the tasks table. Records in, records
 * out: no protobuf here. Every value is bound; the only SQL text assembled at
 * run time is a list query made from the fixed pieces below (keyset.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite/keyset.h"
#include "store/task_store.h"

#define TASK_COLS                                                             \
	"id, title, description, user_id, status, create_time, update_time, " \
	"version"

const store_column store_task_columns[STORE_TASK_NCOLS] = {
	[STORE_TASK_ID] = {"id", "id", STORE_INT},
	[STORE_TASK_TITLE] = {"title", "title", STORE_TEXT},
	[STORE_TASK_STATUS] = {"status", "status", STORE_INT},
	[STORE_TASK_CREATE_TIME] = {"create_time", "create_time", STORE_INT},
	[STORE_TASK_UPDATE_TIME] = {"update_time", "update_time", STORE_INT},
};

static const char sql_insert[] =
	"INSERT INTO tasks (title, description, user_id, status, create_time, "
	"update_time, version) VALUES (?2, ?3, ?4, ?5, ?6, ?6, ?7)";
static const char sql_get[] = "SELECT " TASK_COLS " FROM tasks WHERE id = ?1";
static const char sql_by_user[] =
	"SELECT " TASK_COLS " FROM tasks WHERE user_id = ?1 ORDER BY id";
/* UPDATE by the columns that change (index: the STORE_TASK_SAME_* bits
 * NOT set). SQLite rewrites the entries of every index on a column named
 * in SET even when its value stays, so naming only the changed ones
 * spares the index pages of the others: status is in one index
 * (two before migration 0006), title in one. A random title update dirtied 7.4
 * pages of the WAL with every column named, 5.4 without status
 * (bench/RESULTS.md, issue 18). */
#define UPD(cols)                                                             \
	"UPDATE tasks SET " cols "update_time = ?6, version = ?7 WHERE id = " \
	"?1"
static const char sql_update0[] = UPD("");
static const char sql_update1[] = UPD("title = ?2, ");
static const char sql_update2[] = UPD("description = ?3, ");
static const char sql_update3[] = UPD("title = ?2, description = ?3, ");
static const char sql_update4[] = UPD("status = ?5, ");
static const char sql_update5[] = UPD("title = ?2, status = ?5, ");
static const char sql_update6[] = UPD("description = ?3, status = ?5, ");
static const char sql_update7[] =
	UPD("title = ?2, description = ?3, status = ?5, ");
static const char *const sql_update[8] = {sql_update0, sql_update1,
	sql_update2, sql_update3, sql_update4, sql_update5, sql_update6,
	sql_update7};
static const char sql_delete[] = "DELETE FROM tasks WHERE id = ?1";
static const char sql_delete_by_user[] =
	"DELETE FROM tasks WHERE user_id = ?1";

/* Filters, indexed by (by_user ? 1 : 0) | (status ? 2 : 0), then [1] for
 * an order that starts with another column than id. status has three
 * values, so alone its index narrows little: "+status" then keeps SQLite
 * walking the order's own index (filtering as it goes) instead of sorting
 * a third of the table for each page. A user's tasks are few, so with
 * user_id the index on it always wins: "+status" there keeps SQLite from
 * taking tasks_status (a third of the table) when it has no statistics,
 * since there is no (user_id, status) index (migration 0006). */
static const char *const filters[4][2] = {
	{"", ""},
	{"user_id = ?1", "user_id = ?1"},
	{"status = ?2", "+status = ?2"},
	{"user_id = ?1 AND +status = ?2", "user_id = ?1 AND +status = ?2"},
};

#define COUNT        "SELECT count(*) FROM tasks"
#define COUNT_USER   COUNT " WHERE user_id = ?1"
#define COUNT_STATUS COUNT " WHERE status = ?2"
#define COUNT_BOTH   COUNT " WHERE user_id = ?1 AND +status = ?2"
static const char sql_count0[] = COUNT;
static const char sql_count1[] = COUNT_USER;
static const char sql_count2[] = COUNT_STATUS;
static const char sql_count3[] = COUNT_BOTH;
static const char *const sql_count[4] = {
	sql_count0, sql_count1, sql_count2, sql_count3};

static const char *const statements[] = {sql_insert, sql_get, sql_by_user,
	sql_update0, sql_update1, sql_update2, sql_update3, sql_update4,
	sql_update5, sql_update6, sql_update7, sql_delete, sql_delete_by_user,
	sql_count0, sql_count1, sql_count2, sql_count3, NULL};

const char *const *
store_task_statements(void)
{
	return statements;
}

static int
filter_index(const store_task_filter *f)
{
	return (f->by_user ? 1 : 0) | (f->status != 0 ? 2 : 0);
}

static const char *
list_filter(const store_task_filter *f, const store_page *p)
{
	bool by_id = p->order->n < 1 || p->order->keys[0].col == STORE_TASK_ID;
	return filters[filter_index(f)][by_id ? 0 : 1];
}

/* Copies the current row of a TASK_COLS statement into *row. */
static oz_code
read_task(sqlite3_stmt *s, arena *a, void *row, oz_status *st)
{
	store_task *t = row;
	t->id = sqlite3_column_int64(s, 0);
	t->title = store_column_text(s, 1, a);
	t->description = store_column_text(s, 2, a);
	t->user_id = sqlite3_column_int64(s, 3);
	t->status = sqlite3_column_int(s, 4);
	t->create_us = sqlite3_column_int64(s, 5);
	t->update_us = sqlite3_column_int64(s, 6);
	t->version = sqlite3_column_int64(s, 7);
	t->same = 0;
	if (t->title == NULL || t->description == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

static void
bind_id(sqlite_binder *b, const void *arg)
{
	sqlite_bind_int(b, 1, *(const int64_t *) arg);
}

static void
bind_filter(sqlite_binder *b, const void *arg)
{
	const store_task_filter *f = arg;
	if (f->by_user) {
		sqlite_bind_int(b, 1, f->user_id);
	}
	if (f->status != 0) {
		sqlite_bind_int(b, 2, f->status);
	}
}

/* ?1 id, ?2 title, ?3 description, ?4 user_id, ?5 status, ?6 update (and,
 * on insert, create) time, ?7 version; the insert does not use ?1 and the
 * update not ?4. */
static void
bind_task(sqlite_binder *b, const void *arg)
{
	const store_task *t = arg;
	sqlite_bind_int(b, 1, t->id);
	sqlite_bind_text(b, 2, t->title);
	sqlite_bind_text(b, 3, t->description);
	sqlite_bind_int(b, 4, t->user_id);
	sqlite_bind_int(b, 5, t->status);
	sqlite_bind_int(b, 6, t->update_us);
	sqlite_bind_int(b, 7, t->version);
}

oz_code
sqlite_task_insert(store_conn *c, store_task *t, oz_status *st)
{
	t->id = 0;
	t->update_us = t->create_us;
	t->version = 1;
	if (t->description == NULL) {
		t->description = "";
	}
	oz_code rc = sqlite_query_exec(c, sql_insert, bind_task, t, NULL, st);
	if (rc == OZ_FAILED_PRECONDITION) {
		/* A foreign key failed, and user_id is the only one. */
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	if (rc == OZ_OK) {
		t->id = sqlite3_last_insert_rowid(c->db);
	}
	return rc;
}

/* The INSERTs of sqlite_task_insert_many: one statement of 1000, 100 or
 * 10 rows ("INSERT ... VALUES (?1,?2,?3,?4,?5,?5,1),(?6,...)", the
 * columns of sql_insert), each made once. A statement, however many rows
 * it holds, reads and writes sqlite_sequence (AUTOINCREMENT) once, opens
 * its cursors on the table and its six indexes once (a cursor kept at the
 * end of an index appends there without a seek from the root), and
 * journals the pages it changes for its own rollback: per row, 64-row
 * statements cost the writer as much CPU as one-row ones during an import
 * of 100 users, 1000-row ones a third less (bench/RESULTS.md). */
#define RUN_PARAMS    5  /* title, description, user_id, status, time. */
#define RUN_ROW_MAX   41 /* "(?4996,?4997,?4998,?4999,?5000,?5000,1),". */
#define RUN_SQL(rows) (sizeof(sql_insert) + (rows) *RUN_ROW_MAX)
static char run_sql_1000[RUN_SQL(1000)], run_sql_100[RUN_SQL(100)],
	run_sql_10[RUN_SQL(10)];
static const struct insert_run {
	size_t rows;
	char *sql;
	size_t cap;
} runs[] = {
	{1000, run_sql_1000, sizeof(run_sql_1000)},
	{100, run_sql_100, sizeof(run_sql_100)},
	{10, run_sql_10, sizeof(run_sql_10)},
};
static pthread_once_t runs_once = PTHREAD_ONCE_INIT;

static void
make_runs(void)
{
	int head = (int) (strchr(sql_insert, '?') - sql_insert - 1);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const struct insert_run *r = &runs[i];
		size_t n = (size_t) snprintf(
			r->sql, r->cap, "%.*s", head, sql_insert);
		for (size_t k = 0; k < r->rows; k++) {
			int b = (int) k * RUN_PARAMS;
			n += (size_t) snprintf(r->sql + n, r->cap - n,
				"%s(?%d,?%d,?%d,?%d,?%d,?%d,1)",
				k > 0 ? "," : "", b + 1, b + 2, b + 3, b + 4,
				b + 5, b + 5);
		}
	}
}

/* What bind_run binds: rows tasks from ts. */
struct run_args {
	const store_task *ts;
	size_t rows;
};

static void
bind_run(sqlite_binder *b, const void *arg)
{
	const struct run_args *ra = arg;
	for (size_t r = 0; r < ra->rows && b->rc == SQLITE_OK; r++) {
		const store_task *t = &ra->ts[r];
		int i = (int) r * RUN_PARAMS;
		sqlite_bind_text(b, i + 1, t->title);
		sqlite_bind_text(b, i + 2, t->description);
		sqlite_bind_int(b, i + 3, t->user_id);
		sqlite_bind_int(b, i + 4, t->status);
		sqlite_bind_int(b, i + 5, t->create_us);
	}
}

/* Inserts ts[0..r->rows) with r's statement: all or none of them (a
 * failing statement is rolled back alone). AUTOINCREMENT gives the rows
 * of one statement consecutive ids, in order: each new id is one more
 * than the largest so far, and only this connection writes. */
static oz_code
insert_run(store_conn *c, const struct insert_run *r, store_task *ts,
	oz_status *st)
{
	for (size_t k = 0; k < r->rows; k++) {
		ts[k].update_us = ts[k].create_us;
		ts[k].version = 1;
		if (ts[k].description == NULL) {
			ts[k].description = "";
		}
	}
	struct run_args ra = {ts, r->rows};
	oz_code rc = sqlite_query_exec(c, r->sql, bind_run, &ra, NULL, st);
	if (rc == OZ_OK) {
		int64_t last = sqlite3_last_insert_rowid(c->db);
		for (size_t k = 0; k < r->rows; k++) {
			ts[k].id = last - (int64_t) (r->rows - 1 - k);
		}
	}
	return rc;
}

/* The longest run that fits in n rows, or NULL. */
static const struct insert_run *
run_for(size_t n)
{
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		if (runs[i].rows <= n) {
			return &runs[i];
		}
	}
	return NULL;
}

/* The rows go in runs of the longest statement that fits, the last few
 * one by one. When a run fails, its rows and all after it go one by one,
 * so the row at fault is found and st is the status of its own INSERT. */
oz_code
sqlite_task_insert_many(
	store_conn *c, store_task *ts, size_t n, size_t *failed, oz_status *st)
{
	pthread_once(&runs_once, make_runs);
	size_t i = 0;
	const struct insert_run *r;
	while ((r = run_for(n - i)) != NULL) {
		if (insert_run(c, r, &ts[i], st) != OZ_OK) {
			oz_status_clear(
				st); /* Its row's own INSERT says why. */
			break;
		}
		i += r->rows;
	}
	for (; i < n; i++) {
		oz_code rc = sqlite_task_insert(c, &ts[i], st);
		if (rc != OZ_OK) {
			*failed = i;
			return rc;
		}
	}
	return OZ_OK;
}

oz_code
sqlite_task_get(
	store_conn *c, int64_t id, arena *a, store_task *out, oz_status *st)
{
	void *rows;
	size_t n;
	oz_code rc = sqlite_query_rows(c, sql_get, bind_id, &id, 1,
		sizeof(*out), read_task, a, &rows, &n, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (n == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "Task not found");
	}
	*out = *(store_task *) rows;
	return OZ_OK;
}

oz_code
sqlite_task_update(store_conn *c, const store_task *t, oz_status *st)
{
	int64_t changes = 0;
	oz_code rc = sqlite_query_exec(
		c, sql_update[~t->same & 7u], bind_task, t, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "Task not found");
	}
	return rc;
}

oz_code
sqlite_task_delete(store_conn *c, int64_t id, oz_status *st)
{
	int64_t changes = 0;
	oz_code rc =
		sqlite_query_exec(c, sql_delete, bind_id, &id, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "Task not found");
	}
	return rc;
}

oz_code
sqlite_task_delete_by_user(
	store_conn *c, int64_t user_id, int64_t *n, oz_status *st)
{
	return sqlite_query_exec(
		c, sql_delete_by_user, bind_id, &user_id, n, st);
}

oz_code
sqlite_task_list_by_user(store_conn *c, int64_t user_id, arena *a,
	store_task **rows, size_t *n_rows, oz_status *st)
{
	return sqlite_query_rows(c, sql_by_user, bind_id, &user_id, 0,
		sizeof(**rows), read_task, a, (void **) rows, n_rows, st);
}

oz_code
sqlite_task_count(
	store_conn *c, const store_task_filter *f, int64_t *n, oz_status *st)
{
	return sqlite_query_int(
		c, sql_count[filter_index(f)], bind_filter, f, n, st);
}

static const keyset_table table = {
	"tasks", TASK_COLS, store_task_columns, STORE_TASK_NCOLS};

/* The columns for a user's tasks: the cursor's `status = ?` and `status
 * > ?` of an order by status would otherwise lead SQLite to tasks_status
 * (a third of the table) instead of tasks_user; "+status" compares and
 * sorts the same. */
static const store_column user_columns[STORE_TASK_NCOLS] = {
	[STORE_TASK_ID] = {"id", "id", STORE_INT},
	[STORE_TASK_TITLE] = {"title", "title", STORE_TEXT},
	[STORE_TASK_STATUS] = {"status", "+status", STORE_INT},
	[STORE_TASK_CREATE_TIME] = {"create_time", "create_time", STORE_INT},
	[STORE_TASK_UPDATE_TIME] = {"update_time", "update_time", STORE_INT},
};
static const keyset_table user_table = {
	"tasks", TASK_COLS, user_columns, STORE_TASK_NCOLS};

static const keyset_table *
list_table(const store_task_filter *f)
{
	return f->by_user ? &user_table : &table;
}

oz_code
store_task_list_sql(const store_task_filter *f, const store_page *p, char *buf,
	size_t cap, oz_status *st)
{
	return keyset_sql(buf, cap, list_table(f), list_filter(f, p), p, st);
}

oz_code
sqlite_task_list(store_conn *c, const store_task_filter *f,
	const store_page *p, arena *a, store_task **rows, size_t *n_rows,
	oz_status *st)
{
	return keyset_list(c, list_table(f), list_filter(f, p), bind_filter, f,
		p, sizeof(**rows), read_task, a, (void **) rows, n_rows, st);
}

void
store_task_key(const store_task *t, int col, store_value *v)
{
	v->type = store_task_columns[col].type;
	v->i = 0;
	v->s = NULL;
	switch (col) {
	case STORE_TASK_TITLE:
		v->s = t->title;
		break;
	case STORE_TASK_STATUS:
		v->i = t->status;
		break;
	case STORE_TASK_CREATE_TIME:
		v->i = t->create_us;
		break;
	case STORE_TASK_UPDATE_TIME:
		v->i = t->update_us;
		break;
	default:
		v->i = t->id;
		break;
	}
}
