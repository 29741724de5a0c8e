/* tests/store/user_store_test.c -- the users table through store/
 * user_store.h: records in and out, unique columns, and EXPLAIN QUERY PLAN
 * of every query the store runs (each uses an index). */
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
insert(fixture *fx, const char *username, const char *email, oz_code want)
{
	store_user u = {.username = username,
		.email = email,
		.is_active = true,
		.create_us = 1000};
	oz_status st;
	oz_status_clear(&st);
	assert_int_equal(store_user_insert(fx->db, &u, &st), want);
	fx->st = st;
	return u.id;
}

static oz_code
list_sql(int filter, const store_page *p, char *buf, size_t cap, oz_status *st)
{
	store_user_filter f = {.by_active = filter, .is_active = true};
	return store_user_list_sql(&f, p, buf, cap, st);
}

static void
explain_every_user_query_uses_an_index(void **state)
{
	fixture *fx = *state;
	const char *const *sql = store_user_statements();
	int n = 0;
	for (; sql[n] != NULL; n++) {
		fx_expect_indexed(fx, sql[n], "users", false);
	}
	assert_int_equal(n, 15); /* 8 UPDATEs, one per set of columns. */
	/* Every list shape, with and without the is_active filter. */
	int shapes = fx_expect_list_shapes(
		fx, "users", 2, STORE_USER_NCOLS, list_sql);
	assert_int_equal(shapes,
		2 *
			(STORE_USER_NCOLS + (STORE_USER_NCOLS - 1) *
						    (STORE_USER_NCOLS - 2)) *
			4);
}

static void
explain_check_catches_a_full_scan(void **state)
{
	fixture *fx = *state;
	test_sqlite_only("SQLite's EXPLAIN QUERY PLAN");
	char *plan;
	oz_status st;
	assert_int_equal(store_explain(fx->db,
				 "SELECT * FROM users WHERE version + 0 = 1",
				 &fx->arena, &plan, &st),
		OZ_OK);
	assert_string_equal(plan, "SCAN users\n");
	assert_false(fx_plan_indexed(plan, "users", false));
	assert_true(fx_plan_indexed(plan, "users", true));
	assert_false(fx_plan_indexed(
		"SCAN users\nUSE TEMP B-TREE FOR ORDER BY\n", "users", true));
	assert_true(fx_plan_indexed(
		"SCAN users USING INDEX users_email\n", "users", false));
	assert_true(fx_plan_indexed("SCAN usersx\n", "users", false));
	assert_true(fx_plan_indexed(
		"SEARCH users USING INTEGER PRIMARY KEY (rowid=?)\n", "users",
		false));
	/* The SQL must prepare. */
	assert_int_equal(
		store_explain(fx->db, "SELEC nothing", &fx->arena, &plan, &st),
		OZ_INTERNAL);
}

/* Number of prepared statements alive on c. */
static int
n_prepared(store_conn *c)
{
	int n = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(c->db, NULL); s != NULL;
		s = sqlite3_next_stmt(c->db, s)) {
		n++;
	}
	return n;
}

static void
statements_are_prepared_once_and_reused(void **state)
{
	fixture *fx = *state;
	test_sqlite_only("counts SQLite's prepared statements");
	oz_status st;
	store_user got, *rows;
	size_t n;
	int64_t count;
	store_user_filter f = {.by_active = true, .is_active = true};
	store_order o = {2, {{STORE_USER_EMAIL, true}, {0, true}}};
	store_value after[2] = {
		{STORE_TEXT, 0, "m@x.io"}, {STORE_INT, 5, NULL}};
	store_page p = {&o, after, 10, 0};
	int before = 0;
	for (int round = 0; round < 50; round++) {
		char name[16], email[32];
		snprintf(name, sizeof(name), "u%d", round);
		snprintf(email, sizeof(email), "u%d@x.io", round);
		int64_t id = insert(fx, name, email, OZ_OK);
		insert(fx, name, "dup@x.io", OZ_ALREADY_EXISTS);
		assert_int_equal(
			store_user_get(fx->db, id, &fx->arena, &got, &st),
			OZ_OK);
		assert_int_equal(store_user_get_by_email(
					 fx->db, email, &fx->arena, &got, &st),
			OZ_OK);
		got.version++;
		assert_int_equal(store_user_update(fx->db, &got, &st), OZ_OK);
		assert_int_equal(
			store_user_count(fx->db, &f, &count, &st), OZ_OK);
		assert_int_equal(store_user_list(fx->db, &f, &p, &fx->arena,
					 &rows, &n, &st),
			OZ_OK);
		if (round == 0) {
			before = n_prepared(fx->db);
		}
		assert_int_equal(n_prepared(fx->db), before);
		fx_reset(fx);
	}
	assert_true(before >= 6);
}

static void
insert_sets_id_version_and_update_time(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_user u = {.username = "alice",
		.email = "Alice@Example.com",
		.is_active = false,
		.create_us = 123456789};
	assert_int_equal(store_user_insert(fx->db, &u, &st), OZ_OK);
	assert_int_equal(u.id, 1);
	assert_int_equal(u.version, 1);
	assert_int_equal(u.update_us, 123456789);
	store_user got;
	assert_int_equal(
		store_user_get(fx->db, u.id, &fx->arena, &got, &st), OZ_OK);
	assert_string_equal(got.username, "alice");
	assert_string_equal(got.email, "Alice@Example.com");
	assert_false(got.is_active);
	assert_int_equal(got.create_us, 123456789);
	assert_int_equal(got.update_us, 123456789);
	assert_int_equal(got.version, 1);
}

static void
get_by_email_folds_ascii_case_only(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_user got;
	int64_t a = insert(fx, "a", "\xc3\x89mile@x.io", OZ_OK);
	/* NOCASE folds ASCII only: É and é are different emails. */
	int64_t b = insert(fx, "b", "\xc3\xa9mile@x.io", OZ_OK);
	assert_true(a != b);
	assert_int_equal(store_user_get_by_email(fx->db, "\xc3\x89MILE@X.IO",
				 &fx->arena, &got, &st),
		OZ_OK);
	assert_int_equal(got.id, a);
	assert_int_equal(store_user_get_by_email(
				 fx->db, "nobody@x.io", &fx->arena, &got, &st),
		OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
}

static void
unique_violations_name_the_column(void **state)
{
	fixture *fx = *state;
	insert(fx, "alice", "alice@x.io", OZ_OK);
	insert(fx, "bob", "ALICE@x.io", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
	insert(fx, "alice", "carol@x.io", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Username already taken");
	int64_t bob = insert(fx, "bob", "bob@x.io", OZ_OK);
	/* An update that collides with another row. */
	oz_status st;
	store_user u = {.id = bob,
		.username = "bob",
		.email = "Alice@X.io",
		.is_active = true,
		.update_us = 5,
		.version = 2};
	assert_int_equal(
		store_user_update(fx->db, &u, &st), OZ_ALREADY_EXISTS);
	assert_string_equal(st.message, "Email already registered");
	u.email = "bob@x.io";
	u.username = "alice";
	assert_int_equal(
		store_user_update(fx->db, &u, &st), OZ_ALREADY_EXISTS);
	assert_string_equal(st.message, "Username already taken");
}

static void
update_and_delete_of_a_missing_user_are_not_found(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_user u = {.id = 99, .username = "x", .email = "x@y.z"};
	assert_int_equal(store_user_update(fx->db, &u, &st), OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
	assert_int_equal(store_user_delete(fx->db, 99, &st), OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
}

static void
delete_of_a_user_with_tasks_is_failed_precondition(void **state)
{
	fixture *fx = *state;
	oz_status st;
	int64_t id = insert(fx, "alice", "alice@x.io", OZ_OK);
	store_task t = {.title = "t", .user_id = id, .status = 1};
	assert_int_equal(store_task_insert(fx->db, &t, &st), OZ_OK);
	assert_int_equal(
		store_user_delete(fx->db, id, &st), OZ_FAILED_PRECONDITION);
	int64_t n = 0;
	assert_int_equal(
		store_task_delete_by_user(fx->db, id, &n, &st), OZ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_user_delete(fx->db, id, &st), OZ_OK);
}

static void
list_binds_cursor_values_instead_of_pasting_them(void **state)
{
	fixture *fx = *state;
	oz_status st;
	const char *evil = "zz'); DROP TABLE users; --";
	insert(fx, "a'b", "a@x.io", OZ_OK);
	insert(fx, evil, "b@x.io", OZ_OK);
	insert(fx, "zzz", "c@x.io", OZ_OK);
	store_order o = {2, {{STORE_USER_USERNAME, false}, {0, false}}};
	store_value after[2] = {{STORE_TEXT, 0, evil}, {STORE_INT, 2, NULL}};
	store_page p = {&o, after, 10, 0};
	store_user_filter f = {0};
	char sql[8192];
	assert_int_equal(
		store_user_list_sql(&f, &p, sql, sizeof(sql), &st), OZ_OK);
	assert_null(strstr(sql, "DROP"));
	store_user *rows;
	size_t n;
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].username, "zzz");
	int64_t count = 0;
	assert_int_equal(store_user_count(fx->db, &f, &count, &st), OZ_OK);
	assert_int_equal(count, 3);
}

static void
list_rejects_bad_bounds_and_orders(void **state)
{
	fixture *fx = *state;
	oz_status st;
	store_user *rows;
	size_t n;
	store_user_filter f = {0};
	store_order o = {1, {{0, false}}};
	store_page p = {&o, NULL, 0, 0};
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INVALID_ARGUMENT);
	p.limit = STORE_LIMIT_MAX + 1;
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INVALID_ARGUMENT);
	p.limit = 10;
	p.offset = -1;
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INVALID_ARGUMENT);
	p.offset = 0;
	/* An order that does not end with id, or names no column. */
	store_order bad = {1, {{STORE_USER_EMAIL, false}}};
	p.order = &bad;
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INTERNAL);
	bad = (store_order) {2, {{STORE_USER_NCOLS, false}, {0, false}}};
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INTERNAL);
	bad.n = 0;
	assert_int_equal(
		store_user_list(fx->db, &f, &p, &fx->arena, &rows, &n, &st),
		OZ_INTERNAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			explain_every_user_query_uses_an_index,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			explain_check_catches_a_full_scan, fx_setup_memory,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			statements_are_prepared_once_and_reused,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			insert_sets_id_version_and_update_time,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			get_by_email_folds_ascii_case_only, fx_setup_file,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			unique_violations_name_the_column, fx_setup_memory,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			update_and_delete_of_a_missing_user_are_not_found,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			delete_of_a_user_with_tasks_is_failed_precondition,
			fx_setup_file, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_binds_cursor_values_instead_of_pasting_them,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			list_rejects_bad_bounds_and_orders, fx_setup_memory,
			fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
