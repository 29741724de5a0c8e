/* tests/store/migrate_test.c -- the migration engine: upgrade, downgrade,
 * stamp, current, history, check and revision, on :memory: and temporary
 * files, with the real migrations and with test-only sets (a broken one,
 * one that orphans rows, one that rebuilds a referenced table). Each test
 * opens its own database, so none depends on another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite/db.h"
#include "store/migrate.h"
#include "support/db.h"

#define N_REAL    ((int) embed_n_migrations)
#define HEAD      "0006"
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_OF(name, text)                                                   \
	{                                                                     \
		name, text, sizeof(text) - 1                                  \
	}

/* --- Test-only migration sets ------------------------------------ */

static const char good_1[] =
	"-- Create a.\n"
	"-- +oz Up\n"
	"CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);\n"
	"INSERT INTO a (v) VALUES ('one');\n"
	"-- +oz Down\n"
	"DROP TABLE a;\n";

/* Its Up creates b, fills it, then fails halfway. */
static const char broken_up_2[] = "-- Fails halfway.\n"
				  "-- +oz Up\n"
				  "CREATE TABLE b (id INTEGER PRIMARY KEY);\n"
				  "INSERT INTO b VALUES (1);\n"
				  "UPDATE a SET v = 'changed';\n"
				  "INSERT INTO nope VALUES (1);\n"
				  "CREATE TABLE c (id INTEGER);\n"
				  "-- +oz Down\n"
				  "DROP TABLE b;\n";

static const struct embed_file broken_set[] = {
	FILE_OF("0001_a.sql", good_1),
	FILE_OF("0002_broken.sql", broken_up_2),
};

/* Its Down fails after dropping a. */
static const char broken_down_2[] =
	"-- Down fails.\n"
	"-- +oz Up\n"
	"CREATE TABLE b (id INTEGER PRIMARY KEY);\n"
	"-- +oz Down\n"
	"DROP TABLE a;\n"
	"DROP TABLE nope;\n";

static const struct embed_file broken_down_set[] = {
	FILE_OF("0001_a.sql", good_1),
	FILE_OF("0002_bad_down.sql", broken_down_2),
};

static const char parent_1[] =
	"-- Parents and children.\n"
	"-- +oz Up\n"
	"CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
	"CREATE TABLE child (id INTEGER PRIMARY KEY,\n"
	"  parent_id INTEGER NOT NULL REFERENCES parent (id));\n"
	"INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');\n"
	"INSERT INTO child VALUES (10, 1), (11, 2);\n"
	"-- +oz Down\n"
	"DROP TABLE child;\n"
	"DROP TABLE parent;\n";

/* Deleting a referenced parent is not caught while foreign_keys is off;
 * the foreign_key_check before COMMIT must catch it. */
static const char orphan_2[] = "-- Orphans a child.\n"
			       "-- +oz Up\n"
			       "DELETE FROM parent WHERE id = 2;\n"
			       "-- +oz Down\n";

static const struct embed_file orphan_set[] = {
	FILE_OF("0001_parent.sql", parent_1),
	FILE_OF("0002_orphan.sql", orphan_2),
};

/* The documented table rebuild of a referenced table: with foreign_keys
 * ON, DROP TABLE parent would fail (or, with ON DELETE CASCADE, empty
 * child); with it OFF around the transaction the children survive. */
static const char rebuild_2[] =
	"-- Rebuild parent with a CHECK.\n"
	"-- +oz Up\n"
	"CREATE TABLE parent_new (id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL CHECK (length(name) > 0));\n"
	"INSERT INTO parent_new SELECT id, name FROM parent;\n"
	"DROP TABLE parent;\n"
	"ALTER TABLE parent_new RENAME TO parent;\n"
	"-- +oz Down\n"
	"CREATE TABLE parent_old (id INTEGER PRIMARY KEY, name TEXT NOT "
	"NULL);\n"
	"INSERT INTO parent_old SELECT id, name FROM parent;\n"
	"DROP TABLE parent;\n"
	"ALTER TABLE parent_old RENAME TO parent;\n";

static const struct embed_file rebuild_set[] = {
	FILE_OF("0001_parent.sql", parent_1),
	FILE_OF("0002_rebuild.sql", rebuild_2),
};

/* --- Helpers ----------------------------------------------------- */

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
assert_fails(oz_code got, const oz_status *st, oz_code code, const char *msg)
{
	assert_string_equal(oz_code_name(got), oz_code_name(code));
	assert_int_equal(st->code, code);
	assert_string_equal(st->message, msg);
}

static void
upgrade_ok(store_conn *c, const char *target)
{
	oz_status st;
	oz_code rc = store_migrate_upgrade(c, target, &st);
	if (rc != OZ_OK) {
		fail_msg("upgrade %s: %s", target, st.message);
	}
}

static void
downgrade_ok(store_conn *c, const char *target)
{
	oz_status st;
	oz_code rc = store_migrate_downgrade(c, target, &st);
	if (rc != OZ_OK) {
		fail_msg("downgrade %s: %s", target, st.message);
	}
}

static bool
has_table(store_conn *c, const char *name)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
		"SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
	return test_db_int(c, sql) == 1;
}

/* --- Upgrade, downgrade, round trips ----------------------------- */

static void
new_database_has_all_pending(void **state)
{
	store_conn *c = *state;
	assert_true(N_REAL >= 2);
	assert_string_equal(embed_migrations[N_REAL - 1].name,
		"0006_drop_tasks_user_status.sql");
	assert_pending(c, N_REAL);
	assert_current(c, "base");
	/* Reading the state creates nothing. */
	assert_false(has_table(c, "oz_migrations"));
}

static void
upgrade_head_applies_all(void **state)
{
	store_conn *c = *state;
	upgrade_ok(c, "head");
	assert_pending(c, 0);
	assert_current(c, HEAD);
	assert_true(has_table(c, "users"));
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM oz_migrations"), N_REAL);
	/* At head, upgrading again does nothing. */
	upgrade_ok(c, "head");
	upgrade_ok(c, HEAD);
	assert_current(c, HEAD);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

static void
downgrade_base_removes_all(void **state)
{
	store_conn *c = *state;
	upgrade_ok(c, "head");
	downgrade_ok(c, "base");
	assert_current(c, "base");
	assert_pending(c, N_REAL);
	/* SQLite never drops sqlite_sequence once an AUTOINCREMENT table
	 * made it (0004); it is left empty. */
	char *schema = test_db_schema(c);
	assert_string_equal(schema,
		"table|sqlite_sequence|sqlite_sequence|CREATE TABLE "
		"sqlite_sequence(name,seq)\n");
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM sqlite_sequence"), 0);
	free(schema);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

static void
round_trip_schema(store_conn *c)
{
	upgrade_ok(c, "head");
	char *first = test_db_schema(c);
	downgrade_ok(c, "base");
	upgrade_ok(c, "head");
	char *second = test_db_schema(c);
	assert_true(strlen(first) > 100);
	assert_string_equal(first, second);
	/* Each step down and up again also gives the same schema. */
	downgrade_ok(c, "-1");
	upgrade_ok(c, "+1");
	char *third = test_db_schema(c);
	assert_string_equal(first, third);
	free(first);
	free(second);
	free(third);
}

static void
round_trip_gives_identical_schema(void **state)
{
	round_trip_schema(*state);
}

static void
round_trip_gives_identical_schema_on_file(void **state)
{
	test_tmpdb t;
	test_tmpdb_init(&t);
	store_conn *c = test_db_file(&t);
	round_trip_schema(c);
	store_close(c);
	/* The revision is in the file: a new connection sees it. */
	c = test_db_file(&t);
	assert_current(c, HEAD);
	assert_pending(c, 0);
	store_close(c);
	test_tmpdb_fini(&t);
}

static void
data_survives_0002_round_trip(void **state)
{
	store_conn *c = *state;
	upgrade_ok(c, "0001");
	assert_current(c, "0001");
	test_db_exec(c,
		"INSERT INTO users (id, username, email, create_time) VALUES "
		"(1, 'ada', 'ada@example.com', 100), "
		"(2, 'bob', 'bob@example.com', 200);"
		"INSERT INTO tasks (id, title, description, user_id, "
		"create_time) VALUES (1, 't1', 'd1', 1, 300), "
		"(2, 't2', '', 1, 400), (3, 't3', 'd3', 2, 500);");
	upgrade_ok(c, HEAD);
	/* 0002 gives every task PENDING (1) and update_time = create_time. */
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM tasks WHERE "
					"status = 1 AND update_time = "
					"create_time"),
		3);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM users WHERE "
					"update_time = create_time AND "
					"version = 1"),
		2);
	test_db_exec(c, "UPDATE tasks SET status = 3 WHERE id = 2");
	downgrade_ok(c, "0001");
	assert_current(c, "0001");
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM users"), 2);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM tasks WHERE "
					"(id, title, description, user_id, "
					"create_time) IN (VALUES "
					"(1, 't1', 'd1', 1, 300), "
					"(2, 't2', '', 1, 400), "
					"(3, 't3', 'd3', 2, 500))"),
		3);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM pragma_"
					"table_info('tasks') WHERE "
					"name = 'status'"),
		0);
	/* Up again: the rows are there; the status 0002 added is lost. */
	upgrade_ok(c, "head");
	assert_int_equal(
		test_db_int(c, "SELECT status FROM tasks WHERE id = 2"), 1);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM tasks"), 3);
}

/* --- Failures roll back ------------------------------------------ */

static void
broken_migration_leaves_previous_revision(store_conn *c)
{
	oz_status st;
	char *before;
	oz_code rc;
	rc = store_migrate_upgrade_set(c, broken_set, 1, "head", &st);
	assert_int_equal(rc, OZ_OK);
	before = test_db_schema(c);
	rc = store_migrate_upgrade_set(c, broken_set, 2, "head", &st);
	assert_fails(rc, &st, OZ_INTERNAL,
		"migration 0002_broken.sql (up) failed: no such table: nope");
	/* Nothing of 0002 is left: no b, a unchanged, still at 0001. */
	char *after = test_db_schema(c);
	assert_string_equal(before, after);
	assert_false(has_table(c, "b"));
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM a WHERE "
					"v = 'one'"),
		1);
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
	int n = -1;
	assert_int_equal(
		store_migrate_pending_set(c, broken_set, 2, &n, &st), OZ_OK);
	assert_int_equal(n, 1);
	assert_current(c, "0001");
	free(before);
	free(after);
}

static void
broken_migration_leaves_database_untouched(void **state)
{
	broken_migration_leaves_previous_revision(*state);
}

static void
broken_migration_leaves_file_untouched(void **state)
{
	test_tmpdb t;
	test_tmpdb_init(&t);
	store_conn *c = test_db_file(&t);
	broken_migration_leaves_previous_revision(c);
	store_close(c);
	c = test_db_file(&t);
	assert_current(c, "0001");
	assert_false(has_table(c, "b"));
	store_close(c);
	test_tmpdb_fini(&t);
}

static void
broken_first_migration_stays_at_base(void **state)
{
	store_conn *c = *state;
	oz_status st;
	const struct embed_file set[] = {
		FILE_OF("0001_broken.sql", broken_up_2),
	};
	oz_code rc = store_migrate_upgrade_set(c, set, 1, "+1", &st);
	assert_fails(rc, &st, OZ_INTERNAL,
		"migration 0001_broken.sql (up) failed: no such table: a");
	assert_current(c, "base");
	assert_false(has_table(c, "b"));
	assert_false(has_table(c, "oz_migrations"));
}

/* An error found while stepping (not preparing) is reported the same way,
 * with the code store_error gives SQLite's result. */
static void
step_error_names_file_and_sqlite_message(void **state)
{
	store_conn *c = *state;
	oz_status st;
	static const char dup[] = "-- Duplicate key.\n-- +oz Up\n"
				  "INSERT INTO a VALUES (2, 'two');\n"
				  "INSERT INTO a VALUES (1, 'dup');\n"
				  "-- +oz Down\n";
	const struct embed_file set[] = {
		FILE_OF("0001_a.sql", good_1),
		FILE_OF("0002_dup.sql", dup),
	};
	oz_code rc = store_migrate_upgrade_set(c, set, 2, "head", &st);
	assert_fails(rc, &st, OZ_ALREADY_EXISTS,
		"migration 0002_dup.sql (up) failed: UNIQUE constraint "
		"failed: a.id");
	assert_current(c, "0001");
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM a"), 1);
}

static void
broken_down_migration_stays_at_head(void **state)
{
	store_conn *c = *state;
	oz_status st;
	oz_code rc;
	rc = store_migrate_upgrade_set(c, broken_down_set, 2, "head", &st);
	assert_int_equal(rc, OZ_OK);
	rc = store_migrate_downgrade_set(c, broken_down_set, 2, "base", &st);
	assert_fails(rc, &st, OZ_INTERNAL,
		"migration 0002_bad_down.sql (down) failed: no such table: "
		"nope");
	assert_current(c, "0002");
	assert_true(has_table(c, "a"));
	assert_true(has_table(c, "b"));
}

static void
foreign_key_violation_fails_migration(void **state)
{
	store_conn *c = *state;
	oz_status st;
	oz_code rc = store_migrate_upgrade_set(c, orphan_set, 2, "head", &st);
	assert_fails(rc, &st, OZ_FAILED_PRECONDITION,
		"migration 0002_orphan.sql (up) leaves foreign key "
		"violations: child row 11 references a missing parent row");
	assert_current(c, "0001");
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM parent"), 2);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

static void
table_rebuild_keeps_referencing_rows(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(
		store_migrate_upgrade_set(c, rebuild_set, 2, "head", &st),
		OZ_OK);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM child"), 2);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM parent"), 2);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
	/* The rebuilt table is live: its CHECK and the FK are enforced. */
	assert_int_equal(
		store_exec(c, "INSERT INTO parent VALUES (3, '')", &st),
		OZ_INVALID_ARGUMENT);
	assert_int_equal(
		store_exec(c, "INSERT INTO child VALUES (12, 99)", &st),
		OZ_FAILED_PRECONDITION);
	assert_int_equal(
		store_migrate_downgrade_set(c, rebuild_set, 2, "0001", &st),
		OZ_OK);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM child"), 2);
	assert_int_equal(
		store_migrate_check_set(c, rebuild_set, 2, &st), OZ_OK);
}

static void
migration_may_not_commit(void **state)
{
	store_conn *c = *state;
	oz_status st;
	static const char commits[] = "-- Commits.\n-- +oz Up\n"
				      "CREATE TABLE x (id INTEGER);\n"
				      "COMMIT;\n"
				      "-- +oz Down\n";
	const struct embed_file set[] = {FILE_OF("0001_commit.sql", commits)};
	oz_code rc = store_migrate_upgrade_set(c, set, 1, "head", &st);
	assert_fails(rc, &st, OZ_FAILED_PRECONDITION,
		"migration 0001_commit.sql (up) failed: migrations must not "
		"BEGIN, COMMIT or ROLLBACK");
	/* Refused before it ran: nothing of the migration is committed. */
	assert_false(has_table(c, "x"));
	assert_current(c, "base");
	/* The authorizer is gone afterwards. */
	assert_int_equal(store_exec(c, "BEGIN; COMMIT", &st), OZ_OK);
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

static void
migration_may_use_savepoints(void **state)
{
	store_conn *c = *state;
	oz_status st;
	static const char sp[] = "-- Savepoints.\n-- +oz Up\n"
				 "CREATE TABLE s (id INTEGER);\n"
				 "SAVEPOINT a;\n"
				 "INSERT INTO s VALUES (1);\n"
				 "ROLLBACK TO a;\n"
				 "RELEASE a;\n"
				 "INSERT INTO s VALUES (2);\n"
				 "-- +oz Down\n"
				 "DROP TABLE s;\n";
	const struct embed_file set[] = {FILE_OF("0001_sp.sql", sp)};
	assert_int_equal(
		store_migrate_upgrade_set(c, set, 1, "head", &st), OZ_OK);
	assert_int_equal(test_db_int(c, "SELECT sum(id) FROM s"), 2);
	assert_int_equal(
		store_migrate_downgrade_set(c, set, 1, "base", &st), OZ_OK);
	assert_false(has_table(c, "s"));
}

static void
read_only_database_fails_cleanly(void **state)
{
	store_conn *c = *state;
	oz_status st;
	test_db_exec(c, "PRAGMA query_only = ON");
	assert_fails(store_migrate_upgrade(c, "head", &st), &st,
		OZ_FAILED_PRECONDITION, "database is read-only");
	assert_fails(store_migrate_stamp(c, "head", &st), &st,
		OZ_FAILED_PRECONDITION, "database is read-only");
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
	/* Reading still works. */
	assert_pending(c, N_REAL);
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	test_db_exec(c, "PRAGMA query_only = OFF");
	upgrade_ok(c, "head");
}

static void
refuses_inside_transaction(void **state)
{
	store_conn *c = *state;
	oz_status st;
	int n;
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	assert_fails(store_migrate_upgrade(c, "head", &st), &st,
		OZ_FAILED_PRECONDITION,
		"migrations cannot run inside a transaction");
	assert_fails(store_migrate_pending(c, &n, &st), &st,
		OZ_FAILED_PRECONDITION,
		"migrations cannot run inside a transaction");
	assert_int_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
}

/* --- 0004: ids are never reused (issue 13 #6) -------------------- */

/* The rows of users and tasks as one line each, for comparing. */
static void
rows(store_conn *c, char *out, size_t n)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(
		sqlite3_prepare_v2(c->db,
			"SELECT (SELECT group_concat(x, ',') FROM "
			"(SELECT id || ':' || username || ':' || "
			"update_time || ':' || version AS x FROM users "
			"ORDER BY id)) || ' / ' || (SELECT "
			"group_concat(x, ',') FROM (SELECT id || ':' "
			"|| user_id || ':' || title || ':' || status "
			"AS x FROM tasks ORDER BY id))",
			-1, &s, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, n, "%s", (const char *) sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static void
autoincrement_migration_keeps_ids_and_never_reuses_them(void **state)
{
	store_conn *c = *state;
	oz_status st;
	char before[512], after[512];
	upgrade_ok(c, "0003");
	test_db_exec(c,
		"INSERT INTO users (id, username, email, create_time) VALUES "
		"(1, 'a', 'a@x', 1), (2, 'b', 'b@x', 2), (5, 'e', 'e@x', 5);"
		"INSERT INTO tasks (id, title, user_id, create_time, status) "
		"VALUES (3, 't3', 2, 3, 2), (9, 't9', 5, 9, 3)");
	rows(c, before, sizeof(before));
	upgrade_ok(c, "0004");
	rows(c, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM pragma_foreign_key_list("
			       "'tasks') WHERE \"table\" = 'users'"),
		1);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM sqlite_master "
					"WHERE type = 'index' AND tbl_name IN "
					"('users', 'tasks')"),
		10);
	/* Delete the newest user and task; the next ones get new ids. */
	test_db_exec(c, "DELETE FROM tasks WHERE id = 9;"
			"DELETE FROM users WHERE id = 5");
	test_db_exec(c, "INSERT INTO users (username, email, create_time) "
			"VALUES ('f', 'f@x', 6);"
			"INSERT INTO tasks (title, user_id, create_time) "
			"VALUES ('t', 1, 6)");
	assert_int_equal(test_db_int(c, "SELECT max(id) FROM users"), 6);
	assert_int_equal(test_db_int(c, "SELECT max(id) FROM tasks"), 10);
	/* Down and up again keep every id; the sequence restarts at the
	 * largest id left. */
	downgrade_ok(c, "-1");
	assert_current(c, "0003");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	rows(c, before, sizeof(before));
	upgrade_ok(c, "+1");
	rows(c, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(test_db_int(c, "SELECT seq FROM sqlite_sequence "
					"WHERE name = 'users'"),
		6);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

/* 0005: the same status rule without IN, rows and the sequence kept. */
static void
status_check_migration_keeps_rows_and_the_sequence(void **state)
{
	store_conn *c = *state;
	oz_status st;
	char before[512], after[512];
	upgrade_ok(c, "0004");
	test_db_exec(c,
		"INSERT INTO users (id, username, email, create_time) VALUES "
		"(1, 'a', 'a@x', 1);"
		"INSERT INTO tasks (id, title, user_id, create_time, status) "
		"VALUES (3, 't3', 1, 3, 2), (9, 't9', 1, 9, 3);"
		"DELETE FROM tasks WHERE id = 9");
	rows(c, before, sizeof(before));
	upgrade_ok(c, "0005");
	rows(c, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	/* Id 9 was deleted from the top: it is still never handed out. */
	test_db_exec(c, "INSERT INTO tasks (title, user_id, create_time) "
			"VALUES ('t', 1, 10)");
	assert_int_equal(test_db_int(c, "SELECT max(id) FROM tasks"), 10);
	/* The rule is the same: 1, 2 and 3 pass, nothing else. */
	const char *bad[] = {"0", "4", "2.5", "'2x'", "NULL"};
	for (size_t i = 0; i < NELEMS(bad); i++) {
		char sql[160];
		snprintf(sql, sizeof(sql),
			"UPDATE tasks SET status = %s WHERE id = 3", bad[i]);
		assert_int_not_equal(
			sqlite3_exec(c->db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	test_db_exec(c, "UPDATE tasks SET status = 1 WHERE id = 3;"
			"UPDATE tasks SET status = '3' WHERE id = 3");
	assert_int_equal(
		test_db_int(c, "SELECT status FROM tasks WHERE id = 3"), 3);
	downgrade_ok(c, "-1");
	assert_current(c, "0004");
	rows(c, before, sizeof(before));
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	assert_int_equal(test_db_int(c, "SELECT seq FROM sqlite_sequence "
					"WHERE name = 'tasks'"),
		10);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
}

/* 0006: tasks_user_status dropped and recreated, rows untouched. */
static void
drop_of_tasks_user_status_goes_down_and_up(void **state)
{
	store_conn *c = *state;
	oz_status st;
	char before[512], after[512];
	upgrade_ok(c, "0005");
	test_db_exec(c,
		"INSERT INTO users (id, username, email, create_time) VALUES "
		"(1, 'a', 'a@x', 1);"
		"INSERT INTO tasks (id, title, user_id, create_time, status) "
		"VALUES (3, 't3', 1, 3, 2), (9, 't9', 1, 9, 3)");
	assert_true(has_table(c, "tasks_user_status"));
	rows(c, before, sizeof(before));
	upgrade_ok(c, "0006");
	assert_false(has_table(c, "tasks_user_status"));
	assert_true(has_table(c, "tasks_user"));
	rows(c, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	downgrade_ok(c, "-1");
	assert_current(c, "0005");
	assert_true(has_table(c, "tasks_user_status"));
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
}

/* --- Targets ----------------------------------------------------- */

static void
relative_targets_move_by_n(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "+1");
	assert_current(c, "0001");
	upgrade_ok(c, "+1");
	assert_current(c, "0002");
	upgrade_ok(c, "+1");
	assert_current(c, "0003");
	upgrade_ok(c, "+1");
	assert_current(c, "0004");
	upgrade_ok(c, "+1");
	assert_current(c, "0005");
	upgrade_ok(c, "+1");
	assert_current(c, "0006");
	assert_fails(store_migrate_upgrade(c, "+1", &st), &st,
		OZ_INVALID_ARGUMENT,
		"cannot upgrade 1 revision(s) from 0006: only 0 more known");
	downgrade_ok(c, "-5");
	assert_current(c, "0001");
	assert_fails(store_migrate_downgrade(c, "-2", &st), &st,
		OZ_INVALID_ARGUMENT,
		"cannot downgrade 2 revision(s) from 0001: only 1 applied");
	downgrade_ok(c, "-1");
	assert_current(c, "base");
	upgrade_ok(c, "+2");
	assert_current(c, "0002");
	downgrade_ok(c, "-2");
	assert_current(c, "base");
}

static void
revision_targets_move_to_it(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "0002");
	assert_current(c, "0002");
	downgrade_ok(c, "0001");
	assert_current(c, "0001");
	downgrade_ok(c, "0001"); /* Already there: nothing to do. */
	upgrade_ok(c, "0001");
	upgrade_ok(c, "0002");
	assert_fails(store_migrate_upgrade(c, "0001", &st), &st,
		OZ_INVALID_ARGUMENT,
		"revision 0001 is below the current revision 0002: use "
		"downgrade");
	downgrade_ok(c, "base");
	assert_fails(store_migrate_downgrade(c, "0001", &st), &st,
		OZ_INVALID_ARGUMENT,
		"revision 0001 is above the current revision base: use "
		"upgrade");
}

static void
bad_targets_are_invalid_argument(void **state)
{
	store_conn *c = *state;
	oz_status st;
	typedef oz_code (*move_fn)(store_conn *, const char *, oz_status *);
	const move_fn up = store_migrate_upgrade;
	const move_fn down = store_migrate_downgrade;
	const move_fn stamp = store_migrate_stamp;
	const struct {
		move_fn fn;
		const char *target, *msg;
	} cases[] = {
		{up, "0009",
			"unknown revision \"0009\": this build knows "
			"0001..0006"},
		{down, "abc",
			"unknown revision \"abc\": this build knows "
			"0001..0006"},
		{up, "+0", "bad target \"+0\": expected +N with N >= 1"},
		{up, "+12345",
			"bad target \"+12345\": expected +N with N >= 1"},
		{down, "-x", "bad target \"-x\": expected -N with N >= 1"},
		{up, "-1",
			"bad target \"-1\": upgrade takes head, +N or a "
			"revision"},
		{up, "base",
			"bad target \"base\": upgrade takes head, +N or a "
			"revision"},
		{down, "head",
			"bad target \"head\": downgrade takes -N, base or a "
			"revision"},
		{stamp, "+1",
			"bad target \"+1\": stamp takes head, base or a "
			"revision"},
		{up, NULL, "no target revision"},
	};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		assert_fails(cases[i].fn(c, cases[i].target, &st), &st,
			OZ_INVALID_ARGUMENT, cases[i].msg);
	}
	assert_current(c, "base");
}

/* --- Recorded state ---------------------------------------------- */

static void
newer_database_is_refused(void **state)
{
	store_conn *c = *state;
	oz_status st;
	int n;
	upgrade_ok(c, "head");
	test_db_exec(c, "INSERT INTO oz_migrations VALUES ('0009', 1)");
	static const char msg[] = "database is at revision 0009, newer than "
				  "this build's head 0006";
	assert_fails(store_migrate_upgrade(c, "head", &st), &st,
		OZ_FAILED_PRECONDITION, msg);
	assert_fails(store_migrate_downgrade(c, "base", &st), &st,
		OZ_FAILED_PRECONDITION, msg);
	assert_fails(store_migrate_pending(c, &n, &st), &st,
		OZ_FAILED_PRECONDITION, msg);
	assert_fails(
		store_migrate_check(c, &st), &st, OZ_FAILED_PRECONDITION, msg);
	/* current says what the database says. */
	assert_current(c, "0009");
	assert_true(has_table(c, "users"));
}

static void
gap_in_recorded_revisions_is_refused(void **state)
{
	store_conn *c = *state;
	oz_status st;
	int n;
	upgrade_ok(c, "head");
	test_db_exec(c, "DELETE FROM oz_migrations WHERE revision = '0001'");
	assert_fails(store_migrate_pending(c, &n, &st), &st,
		OZ_FAILED_PRECONDITION,
		"database records revision 0002 but not 0001 before it");
	test_db_exec(c, "INSERT INTO oz_migrations VALUES ('0001', 1), "
			"('0001a', 2)");
	assert_fails(store_migrate_pending(c, &n, &st), &st,
		OZ_FAILED_PRECONDITION,
		"database records revision 0001a, which this build does not "
		"know");
}

static void
stamp_records_without_running(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_migrate_stamp(c, "head", &st), OZ_OK);
	assert_current(c, HEAD);
	assert_pending(c, 0);
	assert_false(has_table(c, "users"));
	assert_int_equal(store_migrate_stamp(c, "0001", &st), OZ_OK);
	assert_current(c, "0001");
	assert_pending(c, N_REAL - 1);
	assert_int_equal(store_migrate_stamp(c, "base", &st), OZ_OK);
	assert_current(c, "base");
	assert_pending(c, N_REAL);
	assert_fails(store_migrate_stamp(c, "0042", &st), &st,
		OZ_INVALID_ARGUMENT,
		"unknown revision \"0042\": this build knows 0001..0006");
	/* Stamping repairs what upgrade refuses: a newer revision. */
	test_db_exec(c, "INSERT INTO oz_migrations VALUES ('0009', 1)");
	assert_int_equal(store_migrate_stamp(c, "head", &st), OZ_OK);
	assert_current(c, HEAD);
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM oz_migrations"), N_REAL);
	/* A schema made by hand, then stamped, passes check. */
	assert_false(has_table(c, "users"));
}

/* A database made before versioning: upgrade refuses to redo 0001,
 * stamp adopts it, and check confirms the schema matches. */
static void
stamp_adopts_unversioned_schema(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "head");
	test_db_exec(c, "DROP TABLE oz_migrations");
	assert_current(c, "base");
	assert_fails(store_migrate_upgrade(c, "head", &st), &st, OZ_INTERNAL,
		"migration 0001_initial.sql (up) failed: table users already "
		"exists");
	assert_int_equal(store_migrate_stamp(c, "head", &st), OZ_OK);
	assert_pending(c, 0);
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
}

static void
stamp_keeps_applied_times(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "0001");
	test_db_exec(c, "UPDATE oz_migrations SET applied_at = 42");
	assert_int_equal(store_migrate_stamp(c, "head", &st), OZ_OK);
	assert_int_equal(test_db_int(c, "SELECT applied_at FROM oz_migrations "
					"WHERE revision = '0001'"),
		42);
	assert_true(test_db_int(c, "SELECT applied_at FROM oz_migrations "
				   "WHERE revision = '0002'") > 42);
}

static void
history_lists_every_revision(void **state)
{
	store_conn *c = *state;
	oz_status st;
	arena a;
	store_migrate_rev *h = NULL;
	size_t n = 0;
	arena_init(&a, 0, 0);
	int64_t before = store_now_us();
	upgrade_ok(c, "0001");
	int64_t after = store_now_us();
	assert_int_equal(store_migrate_history(c, &a, &h, &n, &st), OZ_OK);
	assert_int_equal(n, 6);
	assert_string_equal(h[0].rev, "0001");
	assert_string_equal(h[0].file, "0001_initial.sql");
	assert_string_equal(h[0].message,
		"Initial schema: the starter kit's users and tasks.");
	assert_true(h[0].known);
	assert_true(h[0].applied);
	assert_true(h[0].applied_at >= before && h[0].applied_at <= after);
	assert_string_equal(h[1].rev, "0002");
	assert_string_equal(h[1].file, "0002_task_status.sql");
	assert_string_equal(h[1].message,
		"Task status, update times and etag versions, with their "
		"indexes.");
	assert_false(h[1].applied);
	assert_int_equal(h[1].applied_at, 0);
	/* A revision this build does not know is listed after the known. */
	upgrade_ok(c, "head");
	test_db_exec(c, "INSERT INTO oz_migrations VALUES ('0007', 77)");
	arena_reset(&a);
	assert_int_equal(store_migrate_history(c, &a, &h, &n, &st), OZ_OK);
	assert_int_equal(n, 7);
	assert_true(h[1].applied);
	assert_string_equal(h[2].rev, "0003");
	assert_string_equal(h[2].file, "0003_idempotency.sql");
	assert_true(h[2].applied);
	assert_string_equal(h[3].rev, "0004");
	assert_string_equal(h[3].file, "0004_autoincrement_ids.sql");
	assert_true(h[3].applied);
	assert_string_equal(h[4].rev, "0005");
	assert_string_equal(h[4].file, "0005_task_status_check.sql");
	assert_true(h[4].applied);
	assert_string_equal(h[5].rev, "0006");
	assert_string_equal(h[5].file, "0006_drop_tasks_user_status.sql");
	assert_true(h[5].applied);
	assert_string_equal(h[6].rev, "0007");
	assert_false(h[6].known);
	assert_true(h[6].applied);
	assert_int_equal(h[6].applied_at, 77);
	assert_string_equal(h[6].file, "");
	arena_fini(&a);
}

static void
history_of_new_database_has_nothing_applied(void **state)
{
	store_conn *c = *state;
	oz_status st;
	arena a;
	store_migrate_rev *h = NULL;
	size_t n = 0;
	arena_init(&a, 0, 0);
	assert_int_equal(store_migrate_history(c, &a, &h, &n, &st), OZ_OK);
	assert_int_equal(n, (size_t) N_REAL);
	for (size_t i = 0; i < n; i++) {
		assert_false(h[i].applied);
	}
	arena_fini(&a);
}

/* --- Drift ------------------------------------------------------- */

static void
check_passes_on_migrated_schema(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	upgrade_ok(c, "0001");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	upgrade_ok(c, "head");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	/* Statistics tables are not schema. */
	test_db_exec(c, "ANALYZE");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
}

static void
check_detects_extra_index(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "head");
	test_db_exec(c, "CREATE INDEX tasks_extra ON tasks (description)");
	assert_fails(store_migrate_check(c, &st), &st, OZ_FAILED_PRECONDITION,
		"schema drift at revision 0006: 1 difference(s); first: the "
		"database has an extra index tasks_extra ON tasks");
	test_db_exec(c, "DROP INDEX tasks_extra");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
}

static void
check_detects_missing_and_changed(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "head");
	test_db_exec(c, "DROP INDEX tasks_title;"
			"ALTER TABLE users ADD COLUMN nickname TEXT");
	assert_fails(store_migrate_check(c, &st), &st, OZ_FAILED_PRECONDITION,
		"schema drift at revision 0006: 2 difference(s); first: the "
		"database lacks index tasks_title ON tasks");
	test_db_exec(c, "CREATE INDEX tasks_title ON tasks (title, id)");
	assert_fails(store_migrate_check(c, &st), &st, OZ_FAILED_PRECONDITION,
		"schema drift at revision 0006: 1 difference(s); first: the "
		"database has a different table users ON users");
}

static void
check_ignores_layout_and_identifier_quotes(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "head");
	test_db_exec(c,
		"DROP INDEX tasks_title;"
		"CREATE INDEX \"tasks_title\"\n\tON \"tasks\"(title ,  id)");
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	/* But a different column list is drift. */
	test_db_exec(c, "DROP INDEX tasks_title;"
			"CREATE INDEX tasks_title ON tasks (title)");
	assert_fails(store_migrate_check(c, &st), &st, OZ_FAILED_PRECONDITION,
		"schema drift at revision 0006: 1 difference(s); first: the "
		"database has a different index tasks_title ON tasks");
}

static void
check_detects_schema_without_revision(void **state)
{
	store_conn *c = *state;
	oz_status st;
	upgrade_ok(c, "head");
	assert_int_equal(store_migrate_stamp(c, "0001", &st), OZ_OK);
	oz_code rc = store_migrate_check(c, &st);
	assert_int_equal(rc, OZ_FAILED_PRECONDITION);
	assert_non_null(strstr(st.message, "schema drift at revision 0001: "));
}

/* --- Malformed sets ---------------------------------------------- */

static void
malformed_files_are_refused(void **state)
{
	store_conn *c = *state;
	oz_status st;
	int n;
	static const char no_up[] = "-- No up.\nCREATE TABLE x (id);\n"
				    "-- +oz Down\nDROP TABLE x;\n";
	static const char no_down[] = "-- +oz Up\nCREATE TABLE x (id);\n";
	static const char two_ups[] = "-- +oz Up\n-- +oz Up\n-- +oz Down\n";
	static const char down_first[] = "-- +oz Down\n-- +oz Up\n";
	const struct {
		struct embed_file f[2];
		size_t n;
		const char *msg;
	} cases[] = {
		{{FILE_OF("0001_x.sql", no_up)}, 1,
			"migration 0001_x.sql: no \"-- +oz Up\" line"},
		{{FILE_OF("0001_x.sql", no_down)}, 1,
			"migration 0001_x.sql: no \"-- +oz Down\" line"},
		{{FILE_OF("0001_x.sql", two_ups)}, 1,
			"migration 0001_x.sql: \"-- +oz Up\" is repeated or "
			"out of order"},
		{{FILE_OF("0001_x.sql", down_first)}, 1,
			"migration 0001_x.sql: \"-- +oz Up\" is repeated or "
			"out of order"},
		{{FILE_OF("1_x.sql", good_1)}, 1,
			"migration file \"1_x.sql\": name is not "
			"NNNN_slug.sql"},
		{{FILE_OF("0001_.sql", good_1)}, 1,
			"migration file \"0001_.sql\": name is not "
			"NNNN_slug.sql"},
		{{FILE_OF("0001_x.txt", good_1)}, 1,
			"migration file \"0001_x.txt\": name is not "
			"NNNN_slug.sql"},
		{{FILE_OF("0002_a.sql", good_1),
			 FILE_OF("0001_b.sql", good_1)},
			2,
			"migrations 0002_a.sql and 0001_b.sql: revisions "
			"repeated or out of order"},
		{{FILE_OF("0001_a.sql", good_1),
			 FILE_OF("0001_b.sql", good_1)},
			2,
			"migrations 0001_a.sql and 0001_b.sql: revisions "
			"repeated or out of order"},
	};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		assert_fails(store_migrate_upgrade_set(
				     c, cases[i].f, cases[i].n, "head", &st),
			&st, OZ_FAILED_PRECONDITION, cases[i].msg);
		assert_fails(store_migrate_pending_set(
				     c, cases[i].f, cases[i].n, &n, &st),
			&st, OZ_FAILED_PRECONDITION, cases[i].msg);
	}
	assert_false(has_table(c, "oz_migrations"));
	assert_false(has_table(c, "x"));
}

static void
markers_accept_crlf_and_comments_only_parts(void **state)
{
	store_conn *c = *state;
	oz_status st;
	static const char crlf[] =
		"-- Windows line ends.  \r\n"
		"-- +oz Up \r\n"
		"CREATE TABLE w (id INTEGER); -- trailing comment\r\n"
		"-- only a comment at the end\r\n"
		"-- +oz Down\r\n"
		"/* nothing but a comment */\r\n";
	const struct embed_file set[] = {FILE_OF("0001_crlf.sql", crlf)};
	assert_int_equal(
		store_migrate_upgrade_set(c, set, 1, "head", &st), OZ_OK);
	assert_true(has_table(c, "w"));
	assert_int_equal(
		store_migrate_downgrade_set(c, set, 1, "base", &st), OZ_OK);
	assert_true(has_table(c, "w"));
}

/* --- revision ---------------------------------------------------- */

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 4096);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
revision_writes_next_file(void **state)
{
	store_conn *c = *state;
	test_tmpdb t;
	char path[512], want[512];
	oz_status st;
	test_tmpdb_init(&t);
	assert_int_equal(store_migrate_revision(t.dir, "Add tags table!", path,
				 sizeof(path), &st),
		OZ_OK);
	snprintf(want, sizeof(want), "%s/0001_add_tags_table.sql", t.dir);
	assert_string_equal(path, want);
	char *text = read_all(path);
	assert_string_equal(text, "-- Add tags table!\n\n-- +oz Up\n\n"
				  "-- +oz Down\n");
	/* The new file is a valid (empty) migration. */
	const struct embed_file set[] = {
		{"0001_add_tags_table.sql", text, strlen(text)}};
	assert_int_equal(
		store_migrate_upgrade_set(c, set, 1, "head", &st), OZ_OK);
	assert_current(c, "0001");
	free(text);
	unlink(path);

	/* Numbering follows the highest file there, not the count. */
	char other[512];
	snprintf(other, sizeof(other), "%s/0041_x.sql", t.dir);
	FILE *f = fopen(other, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_migrate_revision(t.dir,
				 "  Rename  users.Email -> mail\nsecond line",
				 path, sizeof(path), &st),
		OZ_OK);
	snprintf(want, sizeof(want),
		"%s/0042_rename_users_email_mail_second_line.sql", t.dir);
	assert_string_equal(path, want);
	text = read_all(path);
	assert_string_equal(text,
		"--   Rename  users.Email -> mail second line\n\n"
		"-- +oz Up\n\n-- +oz Down\n");
	free(text);
	unlink(path);
	unlink(other);
	test_tmpdb_fini(&t);
}

static void
revision_refuses_bad_input(void **state)
{
	test_tmpdb t;
	char path[512];
	char big[200];
	oz_status st;
	test_tmpdb_init(&t);
	assert_fails(
		store_migrate_revision(t.dir, "", path, sizeof(path), &st),
		&st, OZ_INVALID_ARGUMENT,
		"a revision needs a message with a letter or digit");
	assert_fails(
		store_migrate_revision(t.dir, " -- ", path, sizeof(path), &st),
		&st, OZ_INVALID_ARGUMENT,
		"a revision needs a message with a letter or digit");
	assert_fails(store_migrate_revision("/nonexistent/oz-migrations", "x",
			     path, sizeof(path), &st),
		&st, OZ_NOT_FOUND,
		"cannot read directory /nonexistent/oz-migrations: No such "
		"file or directory");
	assert_int_equal(store_migrate_revision(t.dir, "x", path, 8, &st),
		OZ_INVALID_ARGUMENT);
	/* The slug is cut at 40 characters. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
		store_migrate_revision(t.dir, big, path, sizeof(path), &st),
		OZ_OK);
	assert_int_equal(strlen(strrchr(path, '/')), 1 + 5 + 40 + 4);
	unlink(path);
	/* 9999 is the last revision. */
	char last[512];
	snprintf(last, sizeof(last), "%s/9999_last.sql", t.dir);
	FILE *f = fopen(last, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(
		store_migrate_revision(t.dir, "x", path, sizeof(path), &st),
		OZ_OUT_OF_RANGE);
	unlink(last);
	test_tmpdb_fini(&t);
}

/* --- Two migrators at once --------------------------------------- */

struct migrator {
	const test_tmpdb *t;
	oz_code rc;
	oz_status st;
};

static void *
migrator_main(void *arg)
{
	struct migrator *m = arg;
	store_config cfg;
	store_conn *c = NULL;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", m->t->path);
	m->rc = store_open(&c, &cfg, &m->st);
	if (m->rc == OZ_OK) {
		m->rc = store_migrate_upgrade(c, "head", &m->st);
	}
	store_close(c);
	return NULL;
}

static void
two_migrators_apply_each_revision_once(void **state)
{
	test_tmpdb t;
	pthread_t th[2];
	struct migrator m[2];
	test_tmpdb_init(&t);
	/* Create the file (and WAL mode) first, so both race on migrating. */
	store_close(test_db_file(&t));
	for (int i = 0; i < 2; i++) {
		m[i] = (struct migrator) {.t = &t, .rc = OZ_UNKNOWN};
		assert_int_equal(
			pthread_create(&th[i], NULL, migrator_main, &m[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (m[i].rc != OZ_OK) {
			fail_msg("migrator %d: %s", i, m[i].st.message);
		}
	}
	store_conn *c = test_db_file(&t);
	assert_current(c, HEAD);
	assert_int_equal(
		test_db_int(c, "SELECT count(*) FROM oz_migrations"), N_REAL);
	oz_status st;
	assert_int_equal(store_migrate_check(c, &st), OZ_OK);
	store_close(c);
	test_tmpdb_fini(&t);
}

#define T(name)                                                               \
	cmocka_unit_test_setup_teardown(                                      \
		name, test_db_setup_memory, test_db_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(new_database_has_all_pending),
		T(upgrade_head_applies_all),
		T(downgrade_base_removes_all),
		T(round_trip_gives_identical_schema),
		cmocka_unit_test(round_trip_gives_identical_schema_on_file),
		T(data_survives_0002_round_trip),
		T(broken_migration_leaves_database_untouched),
		cmocka_unit_test(broken_migration_leaves_file_untouched),
		T(broken_first_migration_stays_at_base),
		T(step_error_names_file_and_sqlite_message),
		T(broken_down_migration_stays_at_head),
		T(foreign_key_violation_fails_migration),
		T(table_rebuild_keeps_referencing_rows),
		T(migration_may_not_commit),
		T(migration_may_use_savepoints),
		T(read_only_database_fails_cleanly),
		T(refuses_inside_transaction),
		T(relative_targets_move_by_n),
		T(revision_targets_move_to_it),
		T(bad_targets_are_invalid_argument),
		T(newer_database_is_refused),
		T(gap_in_recorded_revisions_is_refused),
		T(stamp_records_without_running),
		T(stamp_adopts_unversioned_schema),
		T(stamp_keeps_applied_times),
		T(history_lists_every_revision),
		T(history_of_new_database_has_nothing_applied),
		T(check_passes_on_migrated_schema),
		T(autoincrement_migration_keeps_ids_and_never_reuses_them),
		T(status_check_migration_keeps_rows_and_the_sequence),
		T(drop_of_tasks_user_status_goes_down_and_up),
		T(check_detects_extra_index),
		T(check_detects_missing_and_changed),
		T(check_ignores_layout_and_identifier_quotes),
		T(check_detects_schema_without_revision),
		T(malformed_files_are_refused),
		T(markers_accept_crlf_and_comments_only_parts),
		T(revision_writes_next_file),
		cmocka_unit_test(revision_refuses_bad_input),
		cmocka_unit_test(two_migrators_apply_each_revision_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
