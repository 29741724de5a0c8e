/* store/postgres/pg_task.c -- SQL for the tasks table in PostgreSQL,
 * with the contract of store/task_store.h. Parameters: $1 id (or the
 * user of a filter), then the record's fields. */
#include "store/postgres/pg_impl.h"

#define TASK_COLS                                                             \
	"id, title, description, user_id, status, create_time, update_time, " \
	"version"

static const store_column columns[STORE_TASK_NCOLS] = {
	[STORE_TASK_ID] = {"id", "id", STORE_INT},
	[STORE_TASK_TITLE] = {"title", "title", STORE_TEXT},
	[STORE_TASK_STATUS] = {"status", "status", STORE_INT},
	[STORE_TASK_CREATE_TIME] = {"create_time", "create_time", STORE_INT},
	[STORE_TASK_UPDATE_TIME] = {"update_time", "update_time", STORE_INT},
};

static const char sql_insert[] =
	"INSERT INTO tasks (title, description, user_id, status, create_time, "
	"update_time, version) VALUES ($1, $2, $3, $4, $5, $5, 1) "
	"RETURNING id";
static const char sql_get[] = "SELECT " TASK_COLS " FROM tasks WHERE id = $1";
static const char sql_by_user[] =
	"SELECT " TASK_COLS " FROM tasks WHERE user_id = $1 ORDER BY id";
static const char sql_update[] =
	"UPDATE tasks SET title = $2, description = $3, status = $4, "
	"update_time = $5, version = $6 WHERE id = $1";
static const char sql_delete[] = "DELETE FROM tasks WHERE id = $1";
static const char sql_delete_by_user[] =
	"DELETE FROM tasks WHERE user_id = $1";

/* Filters, indexed by (by_user ? 1 : 0) | (status ? 2 : 0): $1 user_id,
 * $2 status. */
static const char *const filters[4] = {
	"",
	"user_id = $1",
	"status = $2",
	"user_id = $1 AND status = $2",
};

#define COUNT "SELECT count(*) FROM tasks"
static const char *const sql_count[4] = {
	COUNT,
	COUNT " WHERE user_id = $1",
	COUNT " WHERE status = $2",
	COUNT " WHERE user_id = $1 AND status = $2",
};

static int
filter_index(const store_task_filter *f)
{
	return (f->by_user ? 1 : 0) | (f->status != 0 ? 2 : 0);
}

static void
filter_params(const store_task_filter *f, pg_params *p)
{
	pg_params_init(p);
	if (f->by_user) {
		pg_param_int(p, 1, f->user_id);
	}
	if (f->status != 0) {
		pg_param_int(p, 2, f->status);
	}
}

/* Copies row r of a TASK_COLS result into *row. */
static oz_code
read_task(const PGresult *res, int r, arena *a, void *row, oz_status *st)
{
	store_task *t = row;
	t->id = pg_get_int(res, r, 0);
	t->title = pg_get_text(res, r, 1, a);
	t->description = pg_get_text(res, r, 2, a);
	t->user_id = pg_get_int(res, r, 3);
	t->status = (int) pg_get_int(res, r, 4);
	t->create_us = pg_get_int(res, r, 5);
	t->update_us = pg_get_int(res, r, 6);
	t->version = pg_get_int(res, r, 7);
	if (t->title == NULL || t->description == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

oz_code
pg_task_insert(pg_conn *c, store_task *t, oz_status *st)
{
	pg_params p;
	t->id = 0;
	t->update_us = t->create_us;
	t->version = 1;
	if (t->description == NULL) {
		t->description = "";
	}
	pg_params_init(&p);
	pg_param_text(&p, 1, t->title);
	pg_param_text(&p, 2, t->description);
	pg_param_int(&p, 3, t->user_id);
	pg_param_int(&p, 4, t->status);
	pg_param_int(&p, 5, t->create_us);
	oz_code rc = pg_query_int(c, sql_insert, &p, &t->id, st);
	if (rc == OZ_FAILED_PRECONDITION) {
		/* A foreign key failed, and user_id is the only one. */
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	return rc;
}

oz_code
pg_task_get(pg_conn *c, int64_t id, arena *a, store_task *out, oz_status *st)
{
	pg_params p;
	void *rows;
	size_t n;
	pg_params_init(&p);
	pg_param_int(&p, 1, id);
	oz_code rc = pg_query_rows(
		c, sql_get, &p, sizeof(*out), read_task, a, &rows, &n, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (n == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "Task not found");
	}
	*out = *(store_task *) rows;
	return OZ_OK;
}

/* Runs sql with $1 = id and, when t is set, t's fields; NOT_FOUND "Task
 * not found" when it changed no row. */
static oz_code
write_by_id(pg_conn *c, const char *sql, int64_t id, const store_task *t,
	oz_status *st)
{
	pg_params p;
	int64_t changes = 0;
	pg_params_init(&p);
	pg_param_int(&p, 1, id);
	if (t != NULL) {
		pg_param_text(&p, 2, t->title);
		pg_param_text(&p, 3, t->description);
		pg_param_int(&p, 4, t->status);
		pg_param_int(&p, 5, t->update_us);
		pg_param_int(&p, 6, t->version);
	}
	oz_code rc = pg_query_exec(c, sql, &p, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "Task not found");
	}
	return rc;
}

oz_code
pg_task_update(pg_conn *c, const store_task *t, oz_status *st)
{
	return write_by_id(c, sql_update, t->id, t, st);
}

oz_code
pg_task_delete(pg_conn *c, int64_t id, oz_status *st)
{
	return write_by_id(c, sql_delete, id, NULL, st);
}

oz_code
pg_task_delete_by_user(pg_conn *c, int64_t user_id, int64_t *n, oz_status *st)
{
	pg_params p;
	pg_params_init(&p);
	pg_param_int(&p, 1, user_id);
	return pg_query_exec(c, sql_delete_by_user, &p, n, st);
}

oz_code
pg_task_list_by_user(pg_conn *c, int64_t user_id, arena *a, store_task **rows,
	size_t *n_rows, oz_status *st)
{
	pg_params p;
	pg_params_init(&p);
	pg_param_int(&p, 1, user_id);
	return pg_query_rows(c, sql_by_user, &p, sizeof(**rows), read_task, a,
		(void **) rows, n_rows, st);
}

oz_code
pg_task_count(
	pg_conn *c, const store_task_filter *f, int64_t *n, oz_status *st)
{
	pg_params p;
	filter_params(f, &p);
	return pg_query_int(c, sql_count[filter_index(f)], &p, n, st);
}

static const keyset_table table = {
	"tasks", TASK_COLS, columns, STORE_TASK_NCOLS};

oz_code
pg_task_list(pg_conn *c, const store_task_filter *f, const store_page *p,
	arena *a, store_task **rows, size_t *n_rows, oz_status *st)
{
	pg_params pp;
	filter_params(f, &pp);
	return pg_list_rows(c, &table, filters[filter_index(f)], &pp, p, -1,
		sizeof(**rows), read_task, a, (void **) rows, n_rows, st);
}
