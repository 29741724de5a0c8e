/* tests/store/task_store_test.c -- the tasks table through store/
 * task_store.h: records in and out, the user foreign key, CHECK
 * constraints, and EXPLAIN QUERY PLAN of every query the store runs (each
 * uses an index). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"
#include "store/sqlite/db.h"
#include "store/task_store.h"
#include "store/user_store.h"

static int64_t
user(fixture *fx, const char *name)
{
	char email[64];
	oz_status st;
	snprintf(email, sizeof(email), "%s@x.io", name);
	store_user u = {.username = name, .email = email, .create_us = 1};
	assert_int_equal(store_user_insert(fx->db, &u, &st), OZ_OK);
	return u.id;
}

static int64_t
task(fixture *fx, int64_t user_id, const char *title, int status)
{
	oz_status st;
	store_task t = {.title = title,
		.description = "d",
		.user_id = user_id,
		.status = status,
		.create_us = 10};
	assert_int_equal(store_task_insert(fx->db, &t, &st), OZ_OK);
	assert_int_equal(t.version, 1);
	assert_int_equal(t.update_us, 10);
	return t.id;
}

static oz_code
list_sql(int filter, const store_page *p, char *buf, size_t cap, oz_status *st)
{
	store_task_filter f = {.by_user = filter & 1,
		.user_id = 1,
		.status = filter & 2 ? 2 : 0};
	return store_task_list_sql(&f, p, buf, cap, st);
}

static void
explain_every_task_query_uses_an_index(void **state)
{
	fixture *fx = *state;
	const char *const *sql = store_task_statements();
	int n = 0;
	for (; sql[n] != NULL; n++) {
		fx_expect_indexed(fx, sql[n], "tasks", false);
	}
	assert_int_equal(n, 17); /* 8 UPDATEs, one per set of columns. */
	/* Every list shape under each combination of the two filters. */
	int shapes = fx_expect_list_shapes(
		fx, "tasks", 4, STORE_TASK_NCOLS, list_sql);
	assert_int_equal(shapes,
		4 *
			(STORE_TASK_NCOLS + (STORE_TASK_NCOLS - 1) *
						    (STORE_TASK_NCOLS - 2)) *
			4);
}

/* Fails unless plan searches tasks through tasks_user and no other index
 * of tasks leads it (tasks_status would read a third of the table). */
static void
expect_by_user(fixture *fx, const char *sql)
{
	char *plan = NULL;
	oz_status st;
	assert_int_equal(
		store_explain(fx->db, sql, &fx->arena, &plan, &st), OZ_OK);
	if (strstr(plan, "INDEX tasks_user (user_id=?") == NULL ||
		strstr(plan, "INDEX tasks_status") != NULL) {
		fail_msg("not by tasks_user:\n%s\nplan:\n%s", sql, plan);
	}
}

/* Issue 17: with tasks_user_status dropped (migration 0006), a user's
 * tasks of one status are read through tasks_user, for every order, first
 * page and after a cursor, and counted the same way; SQLite without
 * statistics would take tasks_status for `status = ?` otherwise. */
static void
list_and_count_by_user_and_status_use_tasks_user(void **state)
{
	test_sqlite_only("query plans are SQLite's EXPLAIN QUERY PLAN");
	fixture *fx = *state;
	const char *const *sql = store_task_statements();
	static const int cols[] = {STORE_TASK_ID, STORE_TASK_TITLE,
		STORE_TASK_STATUS, STORE_TASK_CREATE_TIME,
		STORE_TASK_UPDATE_TIME};
	store_value after[2] = {{STORE_INT, 1, NULL}, {STORE_INT, 1, NULL}};
	store_task_filter f = {.by_user = true, .user_id = 1, .status = 2};
	char buf[8192];
	oz_status st;
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		for (int shape = 0; shape < 4; shape++) {
			store_order o = {.n = 1};
			o.keys[0] =
				(struct store_order_key) {cols[k], shape & 1};
			if (cols[k] != STORE_TASK_ID) {
				o.n = 2;
				o.keys[1].col = STORE_TASK_ID;
			}
			after[0].type = cols[k] == STORE_TASK_TITLE
						? STORE_TEXT
						: STORE_INT;
			after[0].s = "t";
			store_page p = {&o, shape & 2 ? after : NULL, 10, 0};
			assert_int_equal(store_task_list_sql(&f, &p, buf,
						 sizeof(buf), &st),
				OZ_OK);
			expect_by_user(fx, buf);
		}
	}
	/* The count of a user's tasks of one status. */
	int counts = 0;
	for (int n = 0; sql[n] != NULL; n++) {
		if (strstr(sql[n], "count(*)") != NULL &&
			strstr(sql[n], "user_id") != NULL &&
			strstr(sql[n], "status") != NULL) {
			expect_by_user(fx, sql[n]);
			counts++;
		}
	}
	assert_int_equal(counts, 1);
}

static void
insert_of_a_task_for_an_unknown_user_is_not_found(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_task t = {.title = "x", .user_id = 42, .status = 1};
	assert_int_equal(store_task_insert(fx->db, &t, &st), OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
	assert_int_equal(t.id, 0);
}

static void
check_constraints_are_invalid_argument(void **state)
{
	fixture *fx = *state;
	oz_status st;
	int64_t u = user(fx, "alice");
	store_task t = {.title = "x", .user_id = u, .status = 4};
	assert_int_equal(
		store_task_insert(fx->db, &t, &st), OZ_INVALID_ARGUMENT);
	t.status = 1;
	t.title = "";
	assert_int_equal(
		store_task_insert(fx->db, &t, &st), OZ_INVALID_ARGUMENT);
}

/* The pages one committed update of t writes to the WAL (emptied first). */
static int
update_frames(fixture *fx, store_task *t)
{
	oz_status st;
	int log = -1, done = -1;
	assert_int_equal(store_checkpoint(fx->db, &st), OZ_OK);
	assert_int_equal(store_task_update(fx->db, t, &st), OZ_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(fx->db->db, NULL,
				 SQLITE_CHECKPOINT_PASSIVE, &log, &done),
		SQLITE_OK);
	return log;
}

/* Regression (issue 18): SQLite rewrites every index on a column named in
 * an UPDATE's SET, changed or not, so an update that names status (in
 * tasks_status; also in tasks_user_status before migration 0006) when
 * only the title changes writes an index page for nothing. With t.same telling
 * which columns stay, it names only the others; the values written stay right
 * either way. */
static void
an_update_touches_only_the_indexes_of_changed_columns(void **state)
{
	test_sqlite_only("counts the pages SQLite's WAL receives");
	fixture *fx = *state;
	oz_status st;
	store_task t;
	int64_t id = task(fx, user(fx, "carol"), "old", 2);
	assert_int_equal(
		store_task_get(fx->db, id, &fx->arena, &t, &st), OZ_OK);
	t.title = "new";
	t.version = 2;
	t.same = STORE_TASK_SAME_DESCRIPTION | STORE_TASK_SAME_STATUS;
	int narrow = update_frames(fx, &t);
	t.title = "newer";
	t.version = 3;
	t.same = 0;
	int wide = update_frames(fx, &t);
	assert_true(narrow > 0);
	assert_true(narrow + 1 <= wide);
	assert_int_equal(
		store_task_get(fx->db, id, &fx->arena, &t, &st), OZ_OK);
	assert_string_equal(t.title, "newer");
	assert_string_equal(t.description, "d");
	assert_int_equal(t.status, 2);
	assert_int_equal(t.version, 3);
}

static void
get_update_delete_round_trip(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_task t;
	int64_t u = user(fx, "alice");
	int64_t id = task(fx, u, "read", 1);
	assert_int_equal(
		store_task_get(fx->db, id, &fx->arena, &t, &st), OZ_OK);
	assert_string_equal(t.title, "read");
	assert_string_equal(t.description, "d");
	assert_int_equal(t.user_id, u);
	t.title = "write";
	t.description = "";
	t.status = 3;
	t.update_us = 99;
	t.version = 2;
	assert_int_equal(store_task_update(fx->db, &t, &st), OZ_OK);
	assert_int_equal(
		store_task_get(fx->db, id, &fx->arena, &t, &st), OZ_OK);
	assert_string_equal(t.title, "write");
	assert_string_equal(t.description, "");
	assert_int_equal(t.status, 3);
	assert_int_equal(t.create_us, 10);
	assert_int_equal(t.update_us, 99);
	assert_int_equal(t.version, 2);
	assert_int_equal(store_task_delete(fx->db, id, &st), OZ_OK);
	assert_int_equal(
		store_task_get(fx->db, id, &fx->arena, &t, &st), OZ_NOT_FOUND);
	assert_string_equal(st.message, "Task not found");
	assert_int_equal(store_task_update(fx->db, &t, &st), OZ_NOT_FOUND);
	assert_int_equal(store_task_delete(fx->db, id, &st), OZ_NOT_FOUND);
	assert_string_equal(st.message, "Task not found");
}

static void
list_by_user_returns_only_theirs_in_id_order(void **state)
{
	fixture *fx = *state;
	oz_status st;
	int64_t a = user(fx, "alice"), b = user(fx, "bob");
	for (int i = 0; i < 40; i++) {
		task(fx, i % 2 ? a : b, "t", 1 + i % 3);
	}
	store_task *rows;
	size_t n;
	assert_int_equal(
		store_task_list_by_user(fx->db, a, &fx->arena, &rows, &n, &st),
		OZ_OK);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].user_id, a);
		assert_true(i == 0 || rows[i].id > rows[i - 1].id);
	}
	assert_int_equal(store_task_list_by_user(
				 fx->db, 999, &fx->arena, &rows, &n, &st),
		OZ_OK);
	assert_int_equal(n, 0);
	int64_t count = 0;
	store_task_filter f = {.by_user = true, .user_id = b, .status = 2};
	assert_int_equal(store_task_count(fx->db, &f, &count, &st), OZ_OK);
	/* b has the even i; status 2 is i % 3 == 1: i = 4, 10, ... 34. */
	assert_int_equal(count, 6);
	assert_int_equal(
		store_task_delete_by_user(fx->db, b, &count, &st), OZ_OK);
	assert_int_equal(count, 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			explain_every_task_query_uses_an_index,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_and_count_by_user_and_status_use_tasks_user,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			insert_of_a_task_for_an_unknown_user_is_not_found,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			check_constraints_are_invalid_argument,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(get_update_delete_round_trip,
			fx_setup_file, fx_teardown),
		cmocka_unit_test_setup_teardown(
			an_update_touches_only_the_indexes_of_changed_columns,
			fx_setup_file, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_by_user_returns_only_theirs_in_id_order,
			fx_setup_memory, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
