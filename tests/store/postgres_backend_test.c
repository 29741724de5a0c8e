/* tests/store/postgres_backend_test.c -- the PostgreSQL backend through
 * the public store API only, as ozd and ozctl use it: store_url_parse
 * and store_open choose it by the URL's scheme; migrations, Query,
 * backups, sizes and probes go through its table of operations; a
 * call's time limit cancels a statement held by a lock on the server;
 * a killed connection is re-established on the next use.
 *
 * Needs OZ_TEST_POSTGRES_URL (make test-postgres sets it); without it
 * the program says it skipped and passes. Each test starts from an empty
 * public schema: never point it at a database you care about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backup.h"
#include "store/health.h"
#include "store/migrate.h"
#include "store/postgres/pg.h"
#include "store/query.h"
#include "store/task_store.h"
#include "store/user_store.h"

static const char *url;

typedef struct fx {
	store_config cfg;
	store_conn *c;
	pg_conn *other; /* A second session, as psql would be. */
	arena a;
	oz_status st;
} fx;

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	store_config_init(&f->cfg);
	assert_int_equal(store_url_parse(url, &f->cfg, &f->st), OZ_OK);
	assert_int_equal(f->cfg.backend, STORE_BACKEND_POSTGRES);
	assert_int_equal(pg_open(&f->other, url, &f->st), OZ_OK);
	assert_int_equal(pg_exec_script(f->other,
				 "DROP SCHEMA public CASCADE; "
				 "CREATE SCHEMA public",
				 &f->st),
		OZ_OK);
	assert_int_equal(store_open(&f->c, &f->cfg, &f->st), OZ_OK);
	assert_int_equal(store_conn_backend(f->c), STORE_BACKEND_POSTGRES);
	arena_init(&f->a, 4096, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;
	arena_fini(&f->a);
	store_close(f->c);
	pg_close(f->other);
	free(f);
	return 0;
}

static void
migrate_cli_operations_run_on_postgres(void **state)
{
	fx *f = *state;
	char rev[STORE_REV_MAX];
	int pending = -1;
	store_migrate_rev *h = NULL;
	size_t n = 0;
	assert_int_equal(
		store_migrate_current(f->c, rev, sizeof(rev), &f->st), OZ_OK);
	assert_string_equal(rev, "base");
	assert_int_equal(store_migrate_upgrade(f->c, "+2", &f->st), OZ_OK);
	assert_int_equal(
		store_migrate_current(f->c, rev, sizeof(rev), &f->st), OZ_OK);
	assert_string_equal(rev, "0002");
	assert_int_equal(store_migrate_pending(f->c, &pending, &f->st), OZ_OK);
	assert_true(pending > 0);
	assert_int_equal(
		store_migrate_history(f->c, &f->a, &h, &n, &f->st), OZ_OK);
	assert_true(n >= 3);
	assert_true(h[0].applied && h[1].applied && !h[2].applied);
	assert_string_equal(h[1].rev, "0002");
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(store_migrate_pending(f->c, &pending, &f->st), OZ_OK);
	assert_int_equal(pending, 0);
	assert_int_equal(store_migrate_downgrade(f->c, "-1", &f->st), OZ_OK);
	assert_int_equal(store_migrate_pending(f->c, &pending, &f->st), OZ_OK);
	assert_int_equal(pending, 1);
	/* Relative targets are checked as on SQLite. */
	assert_int_equal(store_migrate_upgrade(f->c, "+9", &f->st),
		OZ_INVALID_ARGUMENT);
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(store_migrate_check(f->c, &f->st), OZ_OK);
	/* Stamp records without running: base forgets every revision. */
	assert_int_equal(store_migrate_stamp(f->c, "base", &f->st), OZ_OK);
	assert_int_equal(
		store_migrate_current(f->c, rev, sizeof(rev), &f->st), OZ_OK);
	assert_string_equal(rev, "base");
	assert_int_equal(store_migrate_stamp(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(store_migrate_pending(f->c, &pending, &f->st), OZ_OK);
	assert_int_equal(pending, 0);
	/* A revision newer than this build refuses the database. */
	assert_int_equal(
		pg_exec_script(f->other,
			"INSERT INTO oz_migrations VALUES ('9999', 0)",
			&f->st),
		OZ_OK);
	assert_int_equal(store_migrate_pending(f->c, &pending, &f->st),
		OZ_FAILED_PRECONDITION);
	assert_non_null(strstr(f->st.message, "newer than this build"));
}

static oz_code
query(fx *f, const char *sql, int max_rows, int timeout_ms, store_qresult *r)
{
	store_query q = {
		.sql = sql, .max_rows = max_rows, .timeout_ms = timeout_ms};
	return store_query_run(f->c, &q, &f->a, r, &f->st);
}

static void
query_reads_typed_rows_and_refuses_writes(void **state)
{
	fx *f = *state;
	store_qresult r;
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(query(f,
				 "SELECT 7::bigint AS n, 'x'::text AS t, "
				 "1.5::float8 AS d, NULL::text AS z, "
				 "'\\x0001'::bytea AS b",
				 10, 1000, &r),
		OZ_OK);
	assert_int_equal(r.n_cols, 5);
	assert_int_equal(r.n_rows, 1);
	assert_string_equal(r.names[0], "n");
	assert_string_equal(r.decltypes[0], "bigint");
	assert_int_equal(r.values[0].type, STORE_Q_INT);
	assert_int_equal(r.values[0].i, 7);
	assert_int_equal(r.values[1].type, STORE_Q_TEXT);
	assert_string_equal(r.values[1].p, "x");
	assert_int_equal(r.values[2].type, STORE_Q_REAL);
	assert_int_equal(r.values[3].type, STORE_Q_NULL);
	assert_int_equal(r.values[4].type, STORE_Q_BLOB);
	assert_int_equal(r.values[4].len, 2);
	/* The row limit. */
	assert_int_equal(
		query(f, "SELECT generate_series(1, 5)", 3, 1000, &r), OZ_OK);
	assert_int_equal(r.n_rows, 3);
	assert_true(r.truncated);
	/* Writes, several statements, a writing CTE: refused, nothing
	 * changed. */
	static const char *const writes[] = {
		"DELETE FROM users",
		"SELECT 1; DELETE FROM users",
		"WITH d AS (DELETE FROM users RETURNING id) SELECT * FROM d",
		"INSERT INTO users (username, email, is_active, create_time, "
		"update_time) VALUES ('a', 'a@x', true, 0, 0)",
		"SELECT set_config('default_transaction_read_only', 'off', "
		"false); CREATE TABLE t (x int)",
	};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		oz_status_clear(&f->st);
		assert_int_equal(query(f, writes[i], 10, 1000, &r),
			OZ_INVALID_ARGUMENT);
		assert_int_equal(f->st.n_violations, 1);
	}
	int64_t n = -1;
	store_user_filter uf = {0};
	assert_int_equal(store_tx_begin(f->c, STORE_TX_READ, &f->st), OZ_OK);
	assert_int_equal(store_user_count(f->c, &uf, &n, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_int_equal(n, 0);
	/* The time limit, in SQLite's words. */
	assert_int_equal(query(f, "SELECT pg_sleep(5)", 10, 100, &r),
		OZ_DEADLINE_EXCEEDED);
	assert_string_equal(
		f->st.message, "query stopped at its time limit of 100 ms");
	assert_int_equal(query(f, "SELECT 1", 10, 1000, &r), OZ_OK);
}

/* SQLite's ?N parameters work as $N; a ?1 in quoted text, a quoted
 * identifier, a comment or a dollar-quoted string is left as written. */
static void
query_takes_sqlite_parameters(void **state)
{
	fx *f = *state;
	store_qresult r;
	store_qvalue params[2] = {
		{.type = STORE_Q_INT, .i = 40},
		{.type = STORE_Q_TEXT, .p = "ab", .len = 2},
	};
	store_query q = {.sql = "SELECT ?1::bigint + 2 AS n, ?2::text AS t, "
				"'?1' AS q, E'\\'?1' AS e, 1 AS \"?2\", "
				"$x$?1$x$ AS d /* ?2 */ -- ?1\n",
		.params = params,
		.n_params = 2,
		.max_rows = 10,
		.timeout_ms = 1000};
	assert_int_equal(store_query_run(f->c, &q, &f->a, &r, &f->st), OZ_OK);
	assert_int_equal(r.n_cols, 6);
	assert_int_equal(r.values[0].i, 42);
	assert_string_equal(r.values[1].p, "ab");
	assert_string_equal(r.values[2].p, "?1");
	assert_string_equal(r.values[3].p, "'?1");
	assert_string_equal(r.names[4], "?2");
	assert_string_equal(r.values[5].p, "?1");
}

static void
backups_answer_failed_precondition_naming_the_tools(void **state)
{
	fx *f = *state;
	store_backup_stats bs;
	char path[256];
	assert_int_equal(store_backup_named(f->c, "x.db", false, &bs, path,
				 sizeof(path), &f->st),
		OZ_FAILED_PRECONDITION);
	assert_non_null(strstr(f->st.message, "pg_dump"));
	assert_non_null(strstr(f->st.message, "pg_basebackup"));
	assert_int_equal(store_backup_file(&f->cfg, "x.db", false, NULL, NULL,
				 &bs, &f->st),
		OZ_FAILED_PRECONDITION);
	int64_t before, after;
	assert_int_equal(store_vacuum(&f->cfg, &before, &after, &f->st),
		OZ_FAILED_PRECONDITION);
}

static void
probe_and_size_need_the_schema_at_head(void **state)
{
	fx *f = *state;
	int64_t db = 0, wal = -1;
	assert_int_equal(store_write_probe(f->c, &f->st), OZ_UNAVAILABLE);
	assert_non_null(strstr(f->st.message, "behind this build"));
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(store_write_probe(f->c, &f->st), OZ_OK);
	assert_int_equal(store_size(f->c, &db, &wal, &f->st), OZ_OK);
	assert_true(db > 0);
	assert_int_equal(wal, 0);
	assert_false(store_file_moved(f->c));
	assert_int_equal(store_wal_pages(f->c), 0);
	assert_int_equal(store_checkpoint(f->c, &f->st), OZ_OK);
}

/* Statements of the server's other sessions still running a query of
 * ours (an oz_s prepared statement). */
static int64_t
running_elsewhere(fx *f)
{
	char out[64];
	assert_int_equal(pg_query_lines(f->other,
				 "SELECT count(*) FROM pg_stat_activity "
				 "WHERE pid <> pg_backend_pid() "
				 "AND state = 'active' "
				 "AND query LIKE 'UPDATE tasks%'",
				 out, sizeof(out), &f->st),
		OZ_OK);
	return strtoll(out, NULL, 10);
}

static void
deadline_cancels_a_statement_held_by_a_lock(void **state)
{
	fx *f = *state;
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	store_user u = {.username = "a", .email = "a@x", .is_active = true};
	store_task t = {.title = "t", .user_id = 0, .status = 1};
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_user_insert(f->c, &u, &f->st), OZ_OK);
	t.user_id = u.id;
	assert_int_equal(store_task_insert(f->c, &t, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	/* Another session holds the row. */
	assert_int_equal(
		pg_exec_script(f->other,
			"BEGIN; SELECT * FROM tasks FOR UPDATE", &f->st),
		OZ_OK);
	store_set_timeout(f->c, 200);
	t.title = "u";
	t.version++;
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	oz_code rc = store_task_update(f->c, &t, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_DEADLINE_EXCEEDED);
	/* Cancelled on the server, not left waiting there. */
	assert_int_equal(running_elsewhere(f), 0);
	/* The same inside a shared transaction (the group-commit writer):
	 * the call's savepoint carries its limit; the writes beside it
	 * commit. */
	store_user v = {.username = "b", .email = "b@x", .is_active = true};
	store_set_timeout(f->c, 0);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	store_set_timeout(f->c, 200);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	rc = store_task_update(f->c, &t, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_DEADLINE_EXCEEDED);
	assert_int_equal(running_elsewhere(f), 0);
	store_set_timeout(f->c, 0);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	rc = store_user_insert(f->c, &v, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	store_user got;
	assert_int_equal(store_tx_begin(f->c, STORE_TX_READ, &f->st), OZ_OK);
	rc = store_user_get(f->c, v.id, &f->a, &got, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_OK);
	assert_int_equal(pg_exec_script(f->other, "ROLLBACK", &f->st), OZ_OK);
	/* The connection serves the next call, with no limit left over. */
	store_set_timeout(f->c, 0);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	rc = store_task_update(f->c, &t, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_OK);
}

/* A read outside a transaction (GetUser's) is bounded too: a table
 * locked by DDL elsewhere holds it only until its deadline. */
static void
deadline_bounds_a_read_outside_a_transaction(void **state)
{
	fx *f = *state;
	store_user out;
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(pg_exec_script(f->other,
				 "BEGIN; LOCK TABLE users IN ACCESS "
				 "EXCLUSIVE MODE",
				 &f->st),
		OZ_OK);
	store_set_timeout(f->c, 200);
	assert_int_equal(store_user_get(f->c, 1, &f->a, &out, &f->st),
		OZ_DEADLINE_EXCEEDED);
	assert_int_equal(pg_exec_script(f->other, "ROLLBACK", &f->st), OZ_OK);
	/* No limit left over for the next call, in a transaction or not. */
	char shown[32];
	pg_conn *pc = (pg_conn *) (void *) f->c;
	store_set_timeout(f->c, 0);
	assert_int_equal(
		store_user_get(f->c, 1, &f->a, &out, &f->st), OZ_NOT_FOUND);
	assert_int_equal(pg_query_lines(pc, "SHOW statement_timeout", shown,
				 sizeof(shown), &f->st),
		OZ_OK);
	assert_string_equal(shown, "0\n");
	assert_int_equal(store_tx_begin(f->c, STORE_TX_READ, &f->st), OZ_OK);
	assert_int_equal(pg_query_lines(pc, "SHOW statement_timeout", shown,
				 sizeof(shown), &f->st),
		OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_string_equal(shown, "0\n");
}

/* What statement_timeout the session has now, through pg_query as a
 * read of the call would see it. */
static void
shown_timeout(fx *f, const char *want)
{
	char shown[32];
	assert_int_equal(pg_query_lines((pg_conn *) (void *) f->c,
				 "SHOW statement_timeout", shown,
				 sizeof(shown), &f->st),
		OZ_OK);
	assert_string_equal(shown, want);
}

/* Reads outside a transaction keep the session's limit while it fits the
 * call (never shorter, at most 1/8 and 250 ms longer) and SET it again
 * only when it does not: consecutive calls send no SET. */
static void
reads_keep_a_session_timeout_that_fits(void **state)
{
	fx *f = *state;
	store_user out;
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	store_set_timeout(f->c, 5000);
	assert_int_equal(
		store_user_get(f->c, 1, &f->a, &out, &f->st), OZ_NOT_FOUND);
	shown_timeout(f, "5125ms\n");
	store_set_timeout(f->c, 4990); /* The next call, a little later. */
	assert_int_equal(
		store_user_get(f->c, 1, &f->a, &out, &f->st), OZ_NOT_FOUND);
	shown_timeout(f, "5125ms\n");
	store_set_timeout(f->c, 200); /* Shorter: SET again. */
	assert_int_equal(
		store_user_get(f->c, 1, &f->a, &out, &f->st), OZ_NOT_FOUND);
	shown_timeout(f, "212ms\n");
	store_set_timeout(f->c, 230); /* Longer than the session's. */
	shown_timeout(f, "244ms\n");
	store_set_timeout(f->c, 0);
	shown_timeout(f, "0\n");
}

/* In a shared transaction a call's savepoint goes out with its first
 * statement: calls that ran none, failed or succeeded, leave the calls
 * beside them intact, and a failed call's write is undone. */
static void
savepoints_of_calls_without_statements(void **state)
{
	fx *f = *state;
	store_user a = {.username = "a", .email = "a@x", .is_active = true};
	store_user b = {.username = "b", .email = "b@x", .is_active = true};
	store_user c = {.username = "c", .email = "c@x", .is_active = true};
	store_user got;
	char shown[32];
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_user_insert(f->c, &a, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	oz_status_clear(&f->st);
	assert_int_equal(
		store_tx_end(f->c, OZ_NOT_FOUND, &f->st), OZ_NOT_FOUND);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_user_insert(f->c, &b, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_INVALID_ARGUMENT, &f->st),
		OZ_INVALID_ARGUMENT);
	assert_int_equal(store_tx_begin(f->c, STORE_TX_WRITE, &f->st), OZ_OK);
	assert_int_equal(store_user_insert(f->c, &c, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_int_equal(store_tx_end(f->c, OZ_OK, &f->st), OZ_OK);
	assert_int_equal(
		store_user_get(f->c, a.id, &f->a, &got, &f->st), OZ_OK);
	assert_int_equal(
		store_user_get(f->c, c.id, &f->a, &got, &f->st), OZ_OK);
	assert_int_equal(pg_query_lines(f->other, "SELECT count(*) FROM users",
				 shown, sizeof(shown), &f->st),
		OZ_OK);
	assert_string_equal(shown, "2\n"); /* Not b. */
}

static void
killed_connection_is_unavailable_then_reconnected(void **state)
{
	fx *f = *state;
	char sql[96];
	arena_reset(&f->a);
	assert_int_equal(store_migrate_upgrade(f->c, "head", &f->st), OZ_OK);
	int pid = pg_backend_pid((pg_conn *) (void *) f->c);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	assert_int_equal(pg_exec_script(f->other, sql, &f->st), OZ_OK);
	store_user out;
	oz_code rc = store_tx_begin(f->c, STORE_TX_READ, &f->st);
	if (rc == OZ_OK) {
		rc = store_tx_end(f->c,
			store_user_get(f->c, 1, &f->a, &out, &f->st), &f->st);
	}
	assert_int_equal(rc, OZ_UNAVAILABLE);
	/* The next call connects again. */
	assert_int_equal(store_tx_begin(f->c, STORE_TX_READ, &f->st), OZ_OK);
	rc = store_user_get(f->c, 1, &f->a, &out, &f->st);
	assert_int_equal(store_tx_end(f->c, rc, &f->st), OZ_NOT_FOUND);
	assert_int_not_equal(pg_backend_pid((pg_conn *) (void *) f->c), pid);
}

int
main(void)
{
	url = getenv("OZ_TEST_POSTGRES_URL");
	if (url == NULL || url[0] == '\0') {
		printf("postgres_backend_test: skipped (OZ_TEST_POSTGRES_URL "
		       "unset; run make test-postgres)\n");
		return 0;
	}
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(migrate_cli_operations_run_on_postgres),
		T(query_reads_typed_rows_and_refuses_writes),
		T(query_takes_sqlite_parameters),
		T(backups_answer_failed_precondition_naming_the_tools),
		T(probe_and_size_need_the_schema_at_head),
		T(deadline_cancels_a_statement_held_by_a_lock),
		T(deadline_bounds_a_read_outside_a_transaction),
		T(reads_keep_a_session_timeout_that_fits),
		T(savepoints_of_calls_without_statements),
		T(killed_connection_is_unavailable_then_reconnected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
