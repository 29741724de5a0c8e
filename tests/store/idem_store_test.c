/* tests/store/idem_store_test.c -- SQL for request_id outcomes: a stored
 * outcome reads back byte for byte, and a value SQLite cannot bind is an
 * error rather than a silent NULL (which would find or store another
 * row). On an in-memory database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store/sqlite/db.h"
#include "store/idem_store.h"
#include "store/migrate.h"
#include "support/db.h"

static int
setup(void **state)
{
	oz_status st;
	store_conn *c = test_db_memory();
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	*state = c;
	return 0;
}

static void
outcome_reads_back_as_stored(void **state)
{
	store_conn *c = *state;
	arena a;
	oz_status st;
	store_idem got, rec = {
				.method = "/m",
				.request_hash = -42,
				.code = 3,
				.message = "invalid request",
				.response = "\x08\x03\x00z",
				.response_len = 4,
				.create_us = 1000,
			};
	arena_init(&a, 0, 0);
	assert_int_equal(store_idem_put(c, "k", &rec, &st), OZ_OK);
	assert_int_equal(store_idem_get(c, "k", 0, &got, &a, &st), OZ_OK);
	assert_string_equal(got.method, "/m");
	assert_int_equal(got.request_hash, -42);
	assert_int_equal(got.code, 3);
	assert_string_equal(got.message, "invalid request");
	assert_int_equal(got.response_len, 4);
	assert_memory_equal(got.response, "\x08\x03\x00z", 4);
	assert_int_equal(
		store_idem_get(c, "k", 1001, &got, &a, &st), OZ_NOT_FOUND);
	arena_fini(&a);
}

static void
unbindable_key_is_an_error_not_a_miss(void **state)
{
	store_conn *c = *state;
	arena a;
	oz_status st;
	char key[101];
	store_idem got, rec = {.method = "/m", .message = "", .code = 0};
	memset(key, 'k', 100);
	key[100] = '\0';
	arena_init(&a, 0, 0);
	/* Strings past SQLITE_LIMIT_LENGTH cannot be bound (SQLITE_TOOBIG). */
	sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, 64);
	assert_int_equal(
		store_idem_get(c, key, 0, &got, &a, &st), OZ_INTERNAL);
	assert_int_equal(store_idem_put(c, key, &rec, &st), OZ_INTERNAL);
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM oz_idempotency"), 0);
	arena_fini(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			outcome_reads_back_as_stored, setup, test_db_teardown),
		cmocka_unit_test_setup_teardown(
			unbindable_key_is_an_error_not_a_miss, setup,
			test_db_teardown),
	};
	return cmocka_run_group_tests_name(
		"store/idem_store", tests, NULL, NULL);
}
