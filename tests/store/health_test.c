/* tests/store/health_test.c -- the database health probe (store/health.h)
 * on real files: OK for a migrated database; UNAVAILABLE, saying why, when
 * the writer's last batch failed, when the file was deleted or replaced
 * under the open connections, when the schema is behind this build or a
 * table is missing; :memory: has only the writer's state; the write probe
 * writes and changes nothing. Each check runs on a fresh store_health, so
 * no answer comes from the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/health.h"
#include "store/migrate.h"
#include "support/db.h"

struct fx {
	test_tmpdb db;
	store_config cfg;
	store_conn *c; /* The writer's stand-in. */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	oz_status st;
	test_tmpdb_init(&f->db);
	f->c = test_db_file(&f->db);
	assert_int_equal(store_migrate_upgrade(f->c, "head", &st), OZ_OK);
	store_config_init(&f->cfg);
	snprintf(f->cfg.path, sizeof(f->cfg.path), "%s", f->db.path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->c);
	test_tmpdb_fini(&f->db);
	free(f);
	return 0;
}

/* A fresh probe's answer; OUT: st. */
static oz_code
check_now(const store_config *cfg, oz_status *st)
{
	store_health *h = NULL;
	assert_int_equal(store_health_new(&h, cfg, st), OZ_OK);
	oz_code rc = store_health_check(h, st);
	store_health_free(h);
	return rc;
}

static void
migrated_database_is_ok(void **state)
{
	struct fx *f = *state;
	oz_status st;
	assert_int_equal(check_now(&f->cfg, &st), OZ_OK);
	assert_false(store_file_moved(f->c));
}

static void
failed_write_is_unavailable_until_one_succeeds(void **state)
{
	struct fx *f = *state;
	store_health *h = NULL;
	oz_status st, why;
	assert_int_equal(store_health_new(&h, &f->cfg, &st), OZ_OK);
	oz_fail(&why, OZ_RESOURCE_EXHAUSTED, "database or disk is full");
	store_health_note_write(h, why.code, &why);
	assert_true(store_health_write_failed(h));
	assert_int_equal(store_health_check(h, &st), OZ_UNAVAILABLE);
	assert_string_equal(
		st.message, "writes fail: database or disk is full");
	store_health_note_write(h, OZ_OK, &why);
	assert_false(store_health_write_failed(h));
	assert_int_equal(store_health_check(h, &st), OZ_OK);
	store_health_free(h);
}

static void
deleted_file_is_unavailable(void **state)
{
	struct fx *f = *state;
	store_health *h = NULL;
	oz_status st;
	assert_int_equal(store_health_new(&h, &f->cfg, &st), OZ_OK);
	assert_int_equal(unlink(f->db.path), 0);
	assert_true(store_file_moved(f->c));
	assert_int_equal(store_health_check(h, &st), OZ_UNAVAILABLE);
	assert_non_null(strstr(st.message, "was deleted or replaced"));
	store_health_free(h);
}

static void
replaced_file_is_unavailable(void **state)
{
	struct fx *f = *state;
	char other[400];
	oz_status st;
	store_health *h = NULL;
	assert_int_equal(store_health_new(&h, &f->cfg, &st), OZ_OK);
	snprintf(other, sizeof(other), "%s.new", f->db.path);
	FILE *fh = fopen(other, "w");
	assert_non_null(fh);
	fclose(fh);
	assert_int_equal(rename(other, f->db.path), 0);
	assert_true(store_file_moved(f->c));
	assert_int_equal(store_health_check(h, &st), OZ_UNAVAILABLE);
	store_health_free(h);
}

static void
schema_behind_is_unavailable(void **state)
{
	struct fx *f = *state;
	oz_status st;
	test_db_exec(f->c, "DELETE FROM oz_migrations WHERE revision = "
			   "(SELECT max(revision) FROM oz_migrations)");
	assert_int_equal(check_now(&f->cfg, &st), OZ_UNAVAILABLE);
	assert_string_equal(st.message,
		"database schema is 1 revision(s) behind this build");
}

static void
missing_table_is_unavailable(void **state)
{
	struct fx *f = *state;
	oz_status st;
	test_db_exec(f->c, "ALTER TABLE tasks RENAME TO tasks_gone");
	assert_int_equal(check_now(&f->cfg, &st), OZ_UNAVAILABLE);
	assert_non_null(strstr(st.message, "database schema unreadable"));
}

static void
memory_database_has_only_the_writers_state(void **state)
{
	(void) state;
	store_config cfg;
	store_health *h = NULL;
	oz_status st, why;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), ":memory:");
	assert_int_equal(store_health_new(&h, &cfg, &st), OZ_OK);
	assert_int_equal(store_health_check(h, &st), OZ_OK);
	oz_fail(&why, OZ_INTERNAL, "disk I/O error");
	store_health_note_write(h, why.code, &why);
	assert_int_equal(store_health_check(h, &st), OZ_UNAVAILABLE);
	store_health_free(h);
}

static void
write_probe_writes_and_changes_nothing(void **state)
{
	struct fx *f = *state;
	oz_status st;
	int64_t before = test_db_int(f->c, "PRAGMA user_version");
	store_manual_checkpoints(f->c); /* Counts the WAL's pages. */
	assert_int_equal(store_wal_pages(f->c), 0);
	assert_int_equal(store_write_probe(f->c, &st), OZ_OK);
	assert_true(store_wal_pages(f->c) > 0); /* It did write. */
	assert_int_equal(test_db_int(f->c, "PRAGMA user_version"), before);
	assert_int_equal(store_tx_depth(f->c), 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(migrated_database_is_ok),
		T(failed_write_is_unavailable_until_one_succeeds),
		T(deleted_file_is_unavailable),
		T(replaced_file_is_unavailable),
		T(schema_behind_is_unavailable),
		T(missing_table_is_unavailable),
		cmocka_unit_test(memory_database_has_only_the_writers_state),
		T(write_probe_writes_and_changes_nothing),
	};
#undef T
	return cmocka_run_group_tests_name("store/health", tests, NULL, NULL);
}
