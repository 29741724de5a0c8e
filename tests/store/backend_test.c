/* tests/store/backend_test.c -- one suite, every backend: the contracts of
 * user_store.h, task_store.h, idem_store.h and the transactions of
 * store.h, called through the store_* functions (so through each
 * backend's table of operations, store/backend.h) exactly as the service
 * layer calls them. It runs on SQLite always and on PostgreSQL when
 * OZ_TEST_POSTGRES_URL is set (make test-postgres), as nng runs one set of
 * transport tests over tcp, ipc and ws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate.h"
#include "store/postgres/pg.h"
#include "support/db.h"

/* The backend the group now running uses. */
static const char *pg_url;
static bool on_postgres;

typedef struct bfx {
	store_conn *c;
	arena a;
	oz_status st;
} bfx;

static int
setup(void **state)
{
	bfx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	if (on_postgres) {
		pg_conn *pg = NULL;
		assert_int_equal(pg_open(&pg, pg_url, &fx->st), OZ_OK);
		assert_int_equal(pg_exec_script(pg,
					 "DROP SCHEMA public CASCADE; "
					 "CREATE SCHEMA public",
					 &fx->st),
			OZ_OK);
		assert_int_equal(
			pg_migrate_upgrade(pg, "head", NULL, &fx->st), OZ_OK);
		fx->c = pg_store_conn(pg);
	} else {
		fx->c = test_db_memory();
		assert_int_equal(
			store_migrate_upgrade(fx->c, "head", &fx->st), OZ_OK);
	}
	arena_init(&fx->a, 4096, 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	bfx *fx = *state;
	arena_fini(&fx->a);
	store_close(fx->c); /* Either backend's close, through its table. */
	free(fx);
	return 0;
}

static int64_t
add_user(bfx *fx, const char *name, const char *email, oz_code want)
{
	store_user u = {.username = name,
		.email = email,
		.is_active = true,
		.create_us = 1000};
	assert_int_equal(store_user_insert(fx->c, &u, &fx->st), want);
	return u.id;
}

static int64_t
add_task(bfx *fx, int64_t user, int status, oz_code want)
{
	store_task t = {.title = "t",
		.user_id = user,
		.status = status,
		.create_us = 1};
	assert_int_equal(store_task_insert(fx->c, &t, &fx->st), want);
	return t.id;
}

static void
user_roundtrip_and_missing_user(void **state)
{
	bfx *fx = *state;
	store_user u;
	int64_t id = add_user(fx, "ann", "Ann@X.org", OZ_OK);
	assert_int_equal(
		store_user_get(fx->c, id, &fx->a, &u, &fx->st), OZ_OK);
	assert_string_equal(u.email, "Ann@X.org");
	assert_int_equal(u.version, 1);
	assert_int_equal(store_user_get_by_email(
				 fx->c, "ann@x.ORG", &fx->a, &u, &fx->st),
		OZ_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(store_user_get(fx->c, id + 1, &fx->a, &u, &fx->st),
		OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
}

static void
unique_columns_report_the_email_first(void **state)
{
	bfx *fx = *state;
	add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_user(fx, "bob", "ANN@x.org", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
	add_user(fx, "ann", "new@x.org", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Username already taken");
	add_user(fx, "ann", "Ann@x.org", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
}

static void
update_reports_missing_row_then_collisions(void **state)
{
	bfx *fx = *state;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_user(fx, "bob", "bob@x.org", OZ_OK);
	store_user u = {.id = ann,
		.username = "ann",
		.email = "BOB@x.org",
		.is_active = true,
		.update_us = 2,
		.version = 2};
	assert_int_equal(
		store_user_update(fx->c, &u, &fx->st), OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
	u.email = "ann@x.org";
	u.username = "bob";
	assert_int_equal(
		store_user_update(fx->c, &u, &fx->st), OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Username already taken");
	u.id = ann + 10;
	assert_int_equal(store_user_update(fx->c, &u, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
}

static void
users_with_tasks_stay_and_tasks_need_users(void **state)
{
	bfx *fx = *state;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_task(fx, ann + 5, 1, OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
	add_task(fx, ann, 9, OZ_INVALID_ARGUMENT);
	add_task(fx, ann, 1, OZ_OK);
	assert_int_equal(store_user_delete(fx->c, ann, &fx->st),
		OZ_FAILED_PRECONDITION);
	int64_t n = 0;
	assert_int_equal(
		store_task_delete_by_user(fx->c, ann, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_user_delete(fx->c, ann, &fx->st), OZ_OK);
	assert_int_equal(store_user_delete(fx->c, ann, &fx->st), OZ_NOT_FOUND);
}

static void
pages_follow_email_order_ignoring_case(void **state)
{
	bfx *fx = *state;
	const char *emails[] = {"b@x.org", "A@x.org", "c@x.org", "_@x.org"};
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof(name), "u%d", i);
		add_user(fx, name, emails[i], OZ_OK);
	}
	/* ASCII case folded, then by bytes: '_' (0x5f) sorts before 'a'
	 * (0x61), so _ < A < b < c. */
	store_order o = {
		2, {{STORE_USER_EMAIL, false}, {STORE_USER_ID, false}}};
	store_page p = {&o, NULL, 2, 0};
	store_user_filter all = {0};
	store_user *rows;
	size_t n;
	assert_int_equal(
		store_user_list(fx->c, &all, &p, &fx->a, &rows, &n, &fx->st),
		OZ_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].email, "_@x.org");
	assert_string_equal(rows[1].email, "A@x.org");
	store_value after[2];
	store_user_key(&rows[1], STORE_USER_EMAIL, &after[0]);
	store_user_key(&rows[1], STORE_USER_ID, &after[1]);
	p.after = after;
	assert_int_equal(
		store_user_list(fx->c, &all, &p, &fx->a, &rows, &n, &fx->st),
		OZ_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].email, "b@x.org");
	assert_string_equal(rows[1].email, "c@x.org");
	int64_t count = 0;
	assert_int_equal(
		store_user_count(fx->c, &all, &count, &fx->st), OZ_OK);
	assert_int_equal(count, 4);
}

static void
failed_savepoint_keeps_the_outer_transaction(void **state)
{
	bfx *fx = *state;
	int64_t n = -1;
	store_user_filter all = {0};
	assert_int_equal(
		store_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(
		store_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	assert_int_equal(store_tx_depth(fx->c), 2);
	add_user(fx, "bob", "bob@x.org", OZ_OK);
	add_task(fx, 999, 1, OZ_NOT_FOUND);
	assert_int_equal(
		store_tx_end(fx->c, OZ_NOT_FOUND, &fx->st), OZ_NOT_FOUND);
	assert_true(store_tx_intact(fx->c));
	assert_int_equal(store_tx_end(fx->c, OZ_OK, &fx->st), OZ_OK);
	assert_int_equal(store_tx_depth(fx->c), 0);
	assert_int_equal(store_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

static void
idempotency_outcome_roundtrip(void **state)
{
	bfx *fx = *state;
	static const unsigned char bytes[] = {0, 7, 0};
	store_idem rec = {.method = "/m",
		.request_hash = 5,
		.code = 0,
		.message = "",
		.response = bytes,
		.response_len = 3,
		.create_us = 10};
	store_idem out;
	int n = -1;
	assert_int_equal(store_idem_put(fx->c, "k", &rec, &fx->st), OZ_OK);
	assert_int_equal(
		store_idem_get(fx->c, "k", 10, &out, &fx->a, &fx->st), OZ_OK);
	assert_int_equal(out.response_len, 3);
	assert_memory_equal(out.response, bytes, 3);
	assert_int_equal(store_idem_get(fx->c, "k", 11, &out, &fx->a, &fx->st),
		OZ_NOT_FOUND);
	assert_int_equal(store_idem_purge(fx->c, 11, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

static void
optimize_runs(void **state)
{
	bfx *fx = *state;
	add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(store_optimize(fx->c, &fx->st), OZ_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(user_roundtrip_and_missing_user),
	T(unique_columns_report_the_email_first),
	T(update_reports_missing_row_then_collisions),
	T(users_with_tasks_stay_and_tasks_need_users),
	T(pages_follow_email_order_ignoring_case),
	T(failed_savepoint_keeps_the_outer_transaction),
	T(idempotency_outcome_roundtrip),
	T(optimize_runs),
};
#undef T

int
main(void)
{
	int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
	pg_url = getenv("OZ_TEST_POSTGRES_URL");
	if (pg_url == NULL || pg_url[0] == '\0') {
		printf("backend_test: postgres skipped (OZ_TEST_POSTGRES_URL "
		       "unset; run make test-postgres)\n");
		return failed;
	}
	on_postgres = true;
	return failed +
	       cmocka_run_group_tests_name("postgres", tests, NULL, NULL);
}
