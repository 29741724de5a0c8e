/* tests/store/query_test.c -- store/sqlite/query.c, the SQL of
 * AdminService/Query: only one read-only statement runs (INSERT, UPDATE,
 * DELETE, DDL, ATTACH, writing PRAGMAs, transactions, several statements and
 * "; DROP TABLE" tails are refused and change nothing), parameters are bound,
 * values come back typed with declared types, rows stop at the limit, and a
 * runaway recursive query stops at its time limit. On a database file (the
 * query gets its own connection) and on :memory: (it shares the caller's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store/query.h"
#include "support/db.h"

typedef struct qfx {
	test_tmpdb tmp;
	bool on_file;
	store_conn *db;
	arena a;
	store_qresult r;
	oz_status st;
} qfx;

static const char schema[] =
	"CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	"score REAL, data BLOB);"
	"INSERT INTO things (name, score, data) VALUES ('one', 1.5, x'00ff'),"
	" ('two', NULL, NULL), ('three', 3.25, x'');";

static int
setup(void **state, bool on_file)
{
	qfx *f = calloc(1, sizeof(*f));
	f->on_file = on_file;
	if (on_file) {
		test_tmpdb_init(&f->tmp);
		f->db = test_db_file(&f->tmp);
	} else {
		f->db = test_db_memory();
	}
	test_db_exec(f->db, schema);
	arena_init(&f->a, 0, 64u << 20);
	*state = f;
	return 0;
}

static int
setup_file(void **state)
{
	return setup(state, true);
}

static int
setup_memory(void **state)
{
	return setup(state, false);
}

static int
teardown(void **state)
{
	qfx *f = *state;
	store_close(f->db);
	if (f->on_file) {
		test_tmpdb_fini(&f->tmp);
	}
	arena_fini(&f->a);
	free(f);
	return 0;
}

static oz_code
query_with(qfx *f, const char *sql, const store_qvalue *params, size_t n,
	int max_rows, int timeout_ms)
{
	store_query q = {sql, params, n, max_rows, timeout_ms};
	oz_status_clear(&f->st);
	return store_query_run(f->db, &q, &f->a, &f->r, &f->st);
}

static oz_code
query(qfx *f, const char *sql)
{
	return query_with(f, sql, NULL, 0, 1000, 5000);
}

/* The database is as the schema left it. */
static void
unchanged(qfx *f)
{
	assert_int_equal(test_db_int(f->db, "SELECT count(*) FROM things"), 3);
	assert_int_equal(
		test_db_int(f->db, "SELECT count(*) FROM sqlite_master"), 1);
	assert_int_equal(test_db_int(f->db, "PRAGMA user_version"), 0);
	assert_int_equal(test_db_int(f->db, "PRAGMA query_only"), 0);
}

static void
refused(qfx *f, const char *sql)
{
	if (query(f, sql) != OZ_INVALID_ARGUMENT) {
		fail_msg("ran: %s (%s %s)", sql, oz_code_name(f->st.code),
			f->st.message);
	}
	assert_int_equal(f->st.n_violations, 1);
	assert_string_equal(f->st.violations[0].field, "sql");
	unchanged(f);
}

static void
query_refuses_every_write(void **state)
{
	qfx *f = *state;
	refused(f, "INSERT INTO things (name) VALUES ('x')");
	refused(f, "UPDATE things SET name = 'x'");
	refused(f, "DELETE FROM things");
	refused(f, "REPLACE INTO things (id, name) VALUES (1, 'x')");
	refused(f, "WITH t AS (SELECT 1) DELETE FROM things");
	refused(f, "CREATE TABLE t (x)");
	refused(f, "CREATE TEMP TABLE t (x)");
	refused(f, "CREATE INDEX i ON things (name)");
	refused(f, "DROP TABLE things");
	refused(f, "ALTER TABLE things ADD COLUMN y");
	refused(f, "CREATE VIEW v AS SELECT 1");
	refused(f, "CREATE TRIGGER tr AFTER INSERT ON things BEGIN "
		   "DELETE FROM things; END");
	refused(f, "ATTACH DATABASE ':memory:' AS other");
	refused(f, "DETACH DATABASE main");
	refused(f, "VACUUM");
	refused(f, "REINDEX");
	refused(f, "ANALYZE");
	refused(f, "BEGIN");
	refused(f, "COMMIT");
	refused(f, "SAVEPOINT s");
}

static void
query_refuses_writing_pragmas(void **state)
{
	qfx *f = *state;
	refused(f, "PRAGMA query_only = 0");
	refused(f, "PRAGMA query_only = OFF");
	refused(f, "PRAGMA user_version = 7");
	refused(f, "PRAGMA journal_mode = DELETE");
	refused(f, "PRAGMA foreign_keys = OFF");
	refused(f, "PRAGMA writable_schema = ON");
	refused(f, "PRAGMA optimize");
	refused(f, "PRAGMA wal_checkpoint(TRUNCATE)");
	refused(f, "PRAGMA incremental_vacuum");
	refused(f, "SELECT load_extension('x')");
	/* Reading PRAGMAs run. */
	assert_int_equal(query(f, "PRAGMA table_info(things)"), OZ_OK);
	assert_int_equal(f->r.n_rows, 4);
	assert_int_equal(query(f, "PRAGMA user_version"), OZ_OK);
	assert_int_equal(
		query(f, "SELECT name FROM pragma_table_info('things')"),
		OZ_OK);
	assert_int_equal(f->r.n_rows, 4);
}

static void
query_runs_exactly_one_statement(void **state)
{
	qfx *f = *state;
	refused(f, "SELECT 1; SELECT 2");
	refused(f, "SELECT 1; DROP TABLE things");
	refused(f, "SELECT 1;DROP TABLE things;");
	refused(f, "SELECT * FROM things; -- x\n DELETE FROM things");
	refused(f, "SELECT 1;;");
	refused(f, "");
	refused(f, "-- only a comment");
	refused(f, "SELEC 1");
	/* Blanks and comments after the one statement are fine. */
	assert_int_equal(query(f, "SELECT 1; -- done\n /* really */ "), OZ_OK);
	assert_int_equal(f->r.n_rows, 1);
}

static void
query_returns_typed_values_and_declared_types(void **state)
{
	qfx *f = *state;
	assert_int_equal(query(f, "SELECT id, name, score, data, id * 2 AS "
				  "twice FROM things ORDER BY id"),
		OZ_OK);
	assert_int_equal(f->r.n_cols, 5);
	assert_int_equal(f->r.n_rows, 3);
	assert_false(f->r.truncated);
	assert_string_equal(f->r.names[4], "twice");
	assert_string_equal(f->r.decltypes[0], "INTEGER");
	assert_string_equal(f->r.decltypes[1], "TEXT");
	assert_string_equal(f->r.decltypes[3], "BLOB");
	assert_string_equal(f->r.decltypes[4], "");
	const store_qvalue *v = f->r.values;
	assert_int_equal(v[0].type, STORE_Q_INT);
	assert_int_equal(v[0].i, 1);
	assert_int_equal(v[1].type, STORE_Q_TEXT);
	assert_string_equal(v[1].p, "one");
	assert_int_equal(v[2].type, STORE_Q_REAL);
	assert_true(v[2].d == 1.5);
	assert_int_equal(v[3].type, STORE_Q_BLOB);
	assert_int_equal(v[3].len, 2);
	assert_memory_equal(v[3].p, "\x00\xff", 2);
	assert_int_equal(v[5 + 2].type, STORE_Q_NULL);
	assert_int_equal(v[10 + 3].type, STORE_Q_BLOB);
	assert_int_equal(v[10 + 3].len, 0);
}

static void
query_binds_parameters(void **state)
{
	qfx *f = *state;
	store_qvalue p[2] = {{.type = STORE_Q_TEXT, .p = "two", .len = 3},
		{.type = STORE_Q_INT, .i = 1}};
	assert_int_equal(query_with(f,
				 "SELECT id FROM things WHERE name = ?1 OR "
				 "id = ?2 ORDER BY id",
				 p, 2, 100, 5000),
		OZ_OK);
	assert_int_equal(f->r.n_rows, 2);
	assert_int_equal(f->r.values[0].i, 1);
	assert_int_equal(f->r.values[1].i, 2);
	/* Bound text is data, never SQL. */
	store_qvalue evil = {.type = STORE_Q_TEXT,
		.p = "x'; DROP TABLE things; --",
		.len = 25};
	assert_int_equal(query_with(f,
				 "SELECT count(*) FROM things WHERE "
				 "name = ?",
				 &evil, 1, 100, 5000),
		OZ_OK);
	assert_int_equal(f->r.values[0].i, 0);
	unchanged(f);
	assert_int_equal(query_with(f, "SELECT ?1, ?2", p, 1, 100, 5000),
		OZ_INVALID_ARGUMENT);
	assert_string_equal(f->st.violations[0].field, "params");
}

static void
query_stops_at_the_row_limit(void **state)
{
	qfx *f = *state;
	assert_int_equal(
		query_with(f,
			"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x "
			"+ 1 FROM n) SELECT x FROM n",
			NULL, 0, 250, 5000),
		OZ_OK);
	assert_int_equal(f->r.n_rows, 250);
	assert_true(f->r.truncated);
	assert_int_equal(f->r.values[249].i, 250);
}

static void
runaway_query_stops_at_its_time_limit(void **state)
{
	qfx *f = *state;
	/* Never yields a row: it only counts, forever. */
	assert_int_equal(query_with(f,
				 "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
				 "SELECT x + 1 FROM n) SELECT max(x) FROM n",
				 NULL, 0, 10, 200),
		OZ_DEADLINE_EXCEEDED);
	assert_string_equal(
		f->st.message, "query stopped at its time limit of 200 ms");
	/* The connection is still good for the next query. */
	assert_int_equal(query(f, "SELECT count(*) FROM things"), OZ_OK);
	assert_int_equal(f->r.values[0].i, 3);
	unchanged(f);
}

#define BOTH(t)                                                               \
	cmocka_unit_test_setup_teardown(t, setup_file, teardown),             \
		cmocka_unit_test_setup_teardown(t, setup_memory, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(query_refuses_every_write),
		BOTH(query_refuses_writing_pragmas),
		BOTH(query_runs_exactly_one_statement),
		BOTH(query_returns_typed_values_and_declared_types),
		BOTH(query_binds_parameters),
		BOTH(query_stops_at_the_row_limit),
		BOTH(runaway_query_stops_at_its_time_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
