/* tests/store/db_test.c -- the connection layer: URL parsing, the pragmas
 * every connection sets, the statement cache, nested transactions, two
 * writers on one file, and the one mapping of SQLite results to oz codes.
 * Each test opens its own database; none depends on another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/db.h"
#include "store/sqlite/db.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_status(oz_code got, const oz_status *st, oz_code code, const char *msg)
{
	assert_string_equal(oz_code_name(got), oz_code_name(code));
	assert_int_equal(st->code, code);
	assert_string_equal(st->message, msg);
}

static int
setup_memory(void **state)
{
	*state = test_db_memory();
	test_db_exec(*state,
		"CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
		"UNIQUE CHECK (length(name) > 0));"
		"CREATE TABLE k (id INTEGER PRIMARY KEY, "
		"p_id INTEGER NOT NULL REFERENCES p (id));");
	return 0;
}

/* --- Configuration ----------------------------------------------- */

static void
config_defaults(void **state)
{
	store_config cfg;
	store_config_init(&cfg);
	assert_string_equal(cfg.path, "./app.db");
	assert_int_equal(cfg.busy_timeout_ms, 30000);
	assert_int_equal(cfg.synchronous, STORE_SYNC_FULL);
	assert_false(store_config_is_memory(&cfg));
	/* The default URL parses to the default path. */
	oz_status st;
	snprintf(cfg.path, sizeof(cfg.path), "elsewhere");
	assert_int_equal(store_url_parse(STORE_DEFAULT_URL, &cfg, &st), OZ_OK);
	assert_string_equal(cfg.path, "./app.db");
}

static void
url_parse_accepts_sqlite_urls(void **state)
{
	const struct {
		const char *url, *path;
	} cases[] = {
		{"sqlite:///relative.db", "relative.db"},
		{"sqlite:///./app.db", "./app.db"},
		{"sqlite:///dir/sub/x.db", "dir/sub/x.db"},
		{"sqlite:////absolute/path.db", "/absolute/path.db"},
		{"sqlite:////tmp/a b.db", "/tmp/a b.db"},
		{"sqlite:///:memory:", ":memory:"},
	};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		store_config cfg;
		oz_status st;
		store_config_init(&cfg);
		assert_int_equal(
			store_url_parse(cases[i].url, &cfg, &st), OZ_OK);
		assert_string_equal(cfg.path, cases[i].path);
		assert_int_equal(store_config_is_memory(&cfg),
			strcmp(cases[i].path, ":memory:") == 0);
	}
}

static void
url_parse_rejects_others_naming_them(void **state)
{
	static const char *const bad[] = {
		"",
		"app.db",
		"sqlite://app.db",
		"sqlite:///",
		"sqlite:app.db",
		"SQLITE:///app.db",
		"postgresql:/user@host/db",
		"POSTGRES://user@host/db",
		"mysql:///x",
	};
	for (size_t i = 0; i < NELEMS(bad); i++) {
		store_config cfg;
		oz_status st;
		char want[OZ_STATUS_MESSAGE_MAX];
		store_config_init(&cfg);
		snprintf(want, sizeof(want),
			"unsupported DATABASE_URL \"%s\": expected "
			"sqlite:///relative.db, sqlite:////absolute/path.db, "
			"sqlite:///:memory: or postgresql://user@host/dbname",
			bad[i]);
		assert_status(store_url_parse(bad[i], &cfg, &st), &st,
			OZ_INVALID_ARGUMENT, want);
		/* A rejected URL leaves the config alone. */
		assert_string_equal(cfg.path, "./app.db");
	}
	/* A path longer than the config holds is refused, not cut. */
	static char long_url[STORE_PATH_MAX + 64];
	store_config cfg;
	oz_status st;
	memset(long_url, 'a', sizeof(long_url) - 1);
	memcpy(long_url, "sqlite:///", 10);
	assert_int_equal(
		store_url_parse(long_url, &cfg, &st), OZ_INVALID_ARGUMENT);
	assert_non_null(strstr(st.message, "unsupported DATABASE_URL"));
}

/* postgresql:// and postgres:// choose the PostgreSQL backend and are
 * kept as they are (libpq reads them); the name logged masks the
 * password; sqlite:// keeps choosing SQLite. */
static void
url_parse_chooses_the_backend_by_scheme(void **state)
{
	static const char *const pg[] = {
		"postgresql://u:s3cret@h1:5432,h2:5433/app?"
		"target_session_attrs=read-write&sslmode=disable",
		"postgres:///app?host=/tmp/x&password=s3cret",
	};
	(void) state;
	for (size_t i = 0; i < NELEMS(pg); i++) {
		store_config cfg;
		oz_status st;
		char name[512];
		store_config_init(&cfg);
		assert_int_equal(store_url_parse(pg[i], &cfg, &st), OZ_OK);
		assert_int_equal(cfg.backend, STORE_BACKEND_POSTGRES);
		assert_string_equal(cfg.url, pg[i]);
		assert_true(store_reads_block(&cfg));
		assert_false(store_traits_of(&cfg)->server_lock);
		assert_false(store_traits_of(&cfg)->backup);
		assert_string_equal(store_traits_of(&cfg)->name, "postgres");
		store_config_name(&cfg, name, sizeof(name));
		assert_null(strstr(name, "s3cret"));
		assert_non_null(strstr(name, "***"));
		/* Back to SQLite with the next URL. */
		assert_int_equal(
			store_url_parse("sqlite:///x.db", &cfg, &st), OZ_OK);
		assert_int_equal(cfg.backend, STORE_BACKEND_SQLITE);
		assert_false(store_reads_block(&cfg));
		assert_true(store_traits_of(&cfg)->server_lock);
		store_config_name(&cfg, name, sizeof(name));
		assert_string_equal(name, "x.db");
	}
}

/* A refused URL is echoed, but never with its password. */
static void
refused_url_masks_its_password(void **state)
{
	static const struct {
		const char *url, *shown;
	} cases[] = {
		{"mysql://u:p4ss@db.example.com:5432/app",
			"mysql://u:***@db.example.com:5432/app"},
		{"mysql://root:s:e@cret@h/db", "mysql://root:***@h/db"},
		{"pgsql://u@h/db", "pgsql://u@h/db"},
		{"http://h/a:b@c", "http://h/a:b@c"},
	};
	(void) state;
	for (size_t i = 0; i < NELEMS(cases); i++) {
		store_config cfg;
		oz_status st;
		store_config_init(&cfg);
		assert_int_equal(store_url_parse(cases[i].url, &cfg, &st),
			OZ_INVALID_ARGUMENT);
		assert_non_null(strstr(st.message, cases[i].shown));
		assert_null(strstr(st.message, "p4ss"));
		assert_null(strstr(st.message, "s:e@"));
	}
}

/* True when c sees table t (a failure is logged as an sqlite error). */
static bool
has_table_t(store_conn *c)
{
	oz_status st;
	return store_exec(c, "SELECT 1 FROM t", &st) == OZ_OK;
}

/* sqlite:///:memory: in ozd: every connection of a shared in-memory cfg
 * sees one database, which lives while one of them is open; another
 * shared cfg is another database; a file path is left as it is. */
static void
shared_memory_is_one_database(void **state)
{
	store_config a, b, f;
	store_conn *a1, *a2, *b1;
	oz_status st;
	(void) state;
	store_config_init(&a);
	snprintf(a.path, sizeof(a.path), ":memory:");
	b = a;
	store_config_share_memory(&a);
	store_config_share_memory(&b);
	assert_true(store_config_is_memory(&a));
	assert_string_not_equal(a.path, b.path);
	store_config_init(&f);
	store_config_share_memory(&f);
	assert_string_equal(f.path, "./app.db");
	assert_false(store_config_is_memory(&f));

	assert_int_equal(store_open(&a1, &a, &st), OZ_OK);
	assert_int_equal(store_open(&a2, &a, &st), OZ_OK);
	assert_int_equal(store_open(&b1, &b, &st), OZ_OK);
	assert_int_equal(store_exec(a1, "CREATE TABLE t(x)", &st), OZ_OK);
	assert_true(has_table_t(a2));
	assert_false(has_table_t(b1));
	store_close(a1);
	assert_true(has_table_t(a2));
	store_close(a2);
	/* The last connection closed: the database is gone. */
	assert_int_equal(store_open(&a1, &a, &st), OZ_OK);
	assert_false(has_table_t(a1));
	store_close(a1);
	store_close(b1);
}

static void
sync_names_round_trip(void **state)
{
	static const char *const names[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
	for (int i = 0; i < 4; i++) {
		store_sync s = (store_sync) -1;
		assert_int_equal(store_sync_parse(names[i], &s), 0);
		assert_int_equal(s, i);
		assert_string_equal(store_sync_name(s), names[i]);
	}
	store_sync s = STORE_SYNC_OFF;
	assert_int_equal(store_sync_parse("normal", &s), 0);
	assert_int_equal(s, STORE_SYNC_NORMAL);
	assert_int_equal(store_sync_parse("Extra", &s), 0);
	assert_int_equal(s, STORE_SYNC_EXTRA);
	assert_int_equal(store_sync_parse("fast", &s), -1);
	assert_int_equal(store_sync_parse("", &s), -1);
	assert_string_equal(store_sync_name((store_sync) 7), "?");
}

/* --- Opening and pragmas ----------------------------------------- */

static void
file_connection_sets_pragmas(void **state)
{
	test_tmpdb t;
	test_tmpdb_init(&t);
	store_conn *c = test_db_file(&t);
	assert_int_equal(test_db_int(c, "SELECT journal_mode = 'wal' FROM "
					"pragma_journal_mode"),
		1);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
	assert_int_equal(test_db_int(c, "PRAGMA busy_timeout"), 30000);
	assert_int_equal(test_db_int(c, "PRAGMA synchronous"), 2);
	store_close(c);
	test_tmpdb_fini(&t);
}

static void
configured_pragmas_are_used(void **state)
{
	test_tmpdb t;
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	test_tmpdb_init(&t);
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", t.path);
	cfg.busy_timeout_ms = 1234;
	cfg.synchronous = STORE_SYNC_NORMAL;
	assert_int_equal(store_open(&c, &cfg, &st), OZ_OK);
	assert_int_equal(test_db_int(c, "PRAGMA busy_timeout"), 1234);
	assert_int_equal(test_db_int(c, "PRAGMA synchronous"), 1);
	store_close(c);
	cfg.synchronous = STORE_SYNC_EXTRA;
	assert_int_equal(store_open(&c, &cfg, &st), OZ_OK);
	assert_int_equal(test_db_int(c, "PRAGMA synchronous"), 3);
	/* WAL mode is a property of the file: it persists. */
	assert_int_equal(test_db_int(c, "SELECT journal_mode = 'wal' FROM "
					"pragma_journal_mode"),
		1);
	store_close(c);
	test_tmpdb_fini(&t);
}

static void
memory_connection_sets_pragmas(void **state)
{
	store_conn *c = *state;
	/* WAL does not apply to :memory:; the rest does. */
	assert_int_equal(test_db_int(c, "SELECT journal_mode = 'memory' FROM "
					"pragma_journal_mode"),
		1);
	assert_int_equal(test_db_int(c, "PRAGMA foreign_keys"), 1);
	assert_int_equal(test_db_int(c, "PRAGMA busy_timeout"), 30000);
	assert_int_equal(test_db_int(c, "PRAGMA synchronous"), 2);
}

static void
open_failure_is_unavailable(void **state)
{
	store_config cfg;
	store_conn *c = (store_conn *) &cfg; /* Must not be touched. */
	oz_status st;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "/nonexistent/oz/x.db");
	assert_status(store_open(&c, &cfg, &st), &st, OZ_UNAVAILABLE,
		"cannot open database /nonexistent/oz/x.db: unable to open "
		"database file");
	assert_ptr_equal(c, (store_conn *) &cfg);
	store_close(NULL);
}

/* --- Statements -------------------------------------------------- */

static void
statements_are_cached(void **state)
{
	store_conn *c = *state;
	sqlite3_stmt *a = NULL, *b = NULL;
	oz_status st;
	assert_int_equal(store_stmt(c, "SELECT 1", &a, &st), OZ_OK);
	assert_int_equal(store_stmt(c, "SELECT 1", &b, &st), OZ_OK);
	assert_ptr_equal(a, b);
	/* Past the cache size the oldest is evicted; all still work. */
	for (int i = 0; i < STORE_STMT_CACHE + 10; i++) {
		char sql[32];
		sqlite3_stmt *s = NULL;
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_int_equal(store_stmt(c, sql, &s, &st), OZ_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), i);
		store_stmt_done(s);
	}
	assert_int_equal(c->n_stmts, STORE_STMT_CACHE);
	assert_int_equal(store_stmt(c, "SELECT 1", &a, &st), OZ_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	store_stmt_done(a);
}

static void
bad_sql_is_internal_without_sqlite_text(void **state)
{
	store_conn *c = *state;
	sqlite3_stmt *s = NULL;
	oz_status st;
	assert_status(store_stmt(c, "SELEC nothing", &s, &st), &st,
		OZ_INTERNAL, "internal error");
	assert_status(store_exec(c, "SELECT * FROM missing", &st), &st,
		OZ_INTERNAL, "internal error");
}

static void
column_text_copies_into_arena(void **state)
{
	store_conn *c = *state;
	sqlite3_stmt *s = NULL;
	oz_status st;
	arena a;
	arena_init(&a, 0, 0);
	assert_int_equal(
		store_stmt(c, "SELECT 'abc', NULL, ''", &s, &st), OZ_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	const char *t0 = store_column_text(s, 0, &a);
	const char *t1 = store_column_text(s, 1, &a);
	const char *t2 = store_column_text(s, 2, &a);
	store_stmt_done(s);
	assert_string_equal(t0, "abc");
	assert_string_equal(t1, "");
	assert_string_equal(t2, "");
	arena_fini(&a);
}

/* --- Transactions ------------------------------------------------ */

static void
savepoint_rollback_keeps_outer_work(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	test_db_exec(c, "INSERT INTO p VALUES (1, 'outer')");
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	assert_int_equal(store_tx_depth(c), 2);
	test_db_exec(c, "INSERT INTO p VALUES (2, 'inner')");
	assert_int_equal(store_tx_end(c, OZ_NOT_FOUND, &st), OZ_NOT_FOUND);
	assert_int_equal(store_tx_depth(c), 1);
	assert_true(store_tx_intact(c));
	test_db_exec(c, "INSERT INTO p VALUES (3, 'after')");
	/* A nested success is kept with the outer. */
	assert_int_equal(store_tx_begin(c, STORE_TX_READ, &st), OZ_OK);
	test_db_exec(c, "INSERT INTO p VALUES (4, 'inner ok')");
	assert_int_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
	assert_int_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM p"), 3);
	assert_int_equal(test_db_int(c, "SELECT sum(id) FROM p"), 1 + 3 + 4);
}

static void
outer_rollback_discards_everything(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	test_db_exec(c, "INSERT INTO p VALUES (1, 'a')");
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	test_db_exec(c, "INSERT INTO p VALUES (2, 'b')");
	assert_int_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
	assert_int_equal(
		store_tx_end(c, OZ_ALREADY_EXISTS, &st), OZ_ALREADY_EXISTS);
	assert_int_equal(store_tx_depth(c), 0);
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM p"), 0);
}

/* The test fault of store_set_tx_hook: fails statements starting with
 * the text in arg, once each time it is armed. */
static int
fail_tx_statement(void *arg, const char *sql)
{
	const char **prefix = arg;
	if (*prefix != NULL && strncmp(sql, *prefix, strlen(*prefix)) == 0) {
		*prefix = NULL;
		return 1;
	}
	return 0;
}

/* A savepoint that cannot be undone after its call failed (or released
 * after it succeeded) must not leave that call's writes in the enclosing
 * transaction: the whole of it goes, and ending it fails. */
static void
savepoint_that_cannot_end_rolls_back_everything(void **state)
{
	store_conn *c = *state;
	oz_status st;
	static const char *const stmts[] = {"ROLLBACK TO", "RELEASE"};
	for (int i = 0; i < 2; i++) {
		const char *armed = stmts[i];
		assert_int_equal(
			store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
		test_db_exec(c, "INSERT INTO p VALUES (1, 'batched')");
		assert_int_equal(
			store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
		test_db_exec(c, "INSERT INTO p VALUES (2, 'failed call')");
		store_set_tx_hook(fail_tx_statement, &armed);
		oz_code rc = store_tx_end(
			c, i == 0 ? OZ_INVALID_ARGUMENT : OZ_OK, &st);
		store_set_tx_hook(NULL, NULL);
		assert_null(armed); /* The fault was hit. */
		assert_int_not_equal(rc, OZ_OK);
		assert_false(store_tx_intact(c));
		/* Nothing may run in its place, in autocommit mode. */
		sqlite3_stmt *s;
		assert_int_equal(
			store_stmt(c, "SELECT 1", &s, &st), OZ_UNAVAILABLE);
		assert_int_not_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
		assert_int_equal(store_tx_depth(c), 0);
		assert_int_equal(test_db_int(c, "SELECT count(*) FROM p"), 0);
	}
}

static void
tx_end_without_begin_is_internal(void **state)
{
	store_conn *c = *state;
	oz_status st;
	assert_status(store_tx_end(c, OZ_OK, &st), &st, OZ_INTERNAL,
		"no transaction to end");
	/* A failure passed in is passed back, st untouched. */
	oz_fail(&st, OZ_NOT_FOUND, "Task not found");
	assert_status(store_tx_end(c, OZ_NOT_FOUND, &st), &st, OZ_NOT_FOUND,
		"Task not found");
}

/* --- Mapping SQLite results -------------------------------------- */

static void
constraint_errors_map_to_codes(void **state)
{
	store_conn *c = *state;
	oz_status st;
	test_db_exec(c, "INSERT INTO p VALUES (1, 'a')");
	const struct {
		const char *sql;
		oz_code code;
		const char *msg;
	} cases[] = {
		{"INSERT INTO p VALUES (2, 'a')", OZ_ALREADY_EXISTS,
			"already exists"},
		{"INSERT INTO p VALUES (1, 'b')", OZ_ALREADY_EXISTS,
			"already exists"},
		{"INSERT INTO k VALUES (1, 99)", OZ_FAILED_PRECONDITION,
			"a referenced row does not exist or is still "
			"referenced"},
		{"INSERT INTO p VALUES (3, '')", OZ_INVALID_ARGUMENT,
			"value out of range"},
		{"INSERT INTO p VALUES (3, NULL)", OZ_INVALID_ARGUMENT,
			"value out of range"},
	};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		assert_status(store_exec(c, cases[i].sql, &st), &st,
			cases[i].code, cases[i].msg);
	}
	/* Deleting a referenced row is the FK case too. */
	test_db_exec(c, "INSERT INTO k VALUES (1, 1)");
	assert_status(store_exec(c, "DELETE FROM p WHERE id = 1", &st), &st,
		OZ_FAILED_PRECONDITION,
		"a referenced row does not exist or is still referenced");
}

static void
read_only_is_failed_precondition(void **state)
{
	store_conn *c = *state;
	oz_status st;
	test_db_exec(c, "PRAGMA query_only = ON");
	assert_status(store_exec(c, "INSERT INTO p VALUES (1, 'a')", &st), &st,
		OZ_FAILED_PRECONDITION, "database is read-only");
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM p"), 0);
}

static void
result_codes_map_to_codes(void **state)
{
	store_conn *c = *state;
	const struct {
		int rc;
		oz_code code;
		const char *msg;
	} cases[] = {
		{SQLITE_CONSTRAINT_UNIQUE, OZ_ALREADY_EXISTS,
			"already exists"},
		{SQLITE_CONSTRAINT_PRIMARYKEY, OZ_ALREADY_EXISTS,
			"already exists"},
		{SQLITE_CONSTRAINT_FOREIGNKEY, OZ_FAILED_PRECONDITION,
			"a referenced row does not exist or is still "
			"referenced"},
		{SQLITE_CONSTRAINT_CHECK, OZ_INVALID_ARGUMENT,
			"value out of range"},
		{SQLITE_CONSTRAINT_NOTNULL, OZ_INVALID_ARGUMENT,
			"value out of range"},
		{SQLITE_CONSTRAINT_TRIGGER, OZ_FAILED_PRECONDITION,
			"constraint failed"},
		{SQLITE_BUSY, OZ_UNAVAILABLE, "database is busy, retry"},
		{SQLITE_BUSY_SNAPSHOT, OZ_UNAVAILABLE,
			"database is busy, retry"},
		{SQLITE_LOCKED, OZ_UNAVAILABLE, "database is busy, retry"},
		{SQLITE_NOMEM, OZ_RESOURCE_EXHAUSTED, "out of memory"},
		{SQLITE_FULL, OZ_RESOURCE_EXHAUSTED,
			"database or disk is full"},
		{SQLITE_READONLY, OZ_FAILED_PRECONDITION,
			"database is read-only"},
		{SQLITE_CORRUPT, OZ_INTERNAL, "internal error"},
		{SQLITE_IOERR_WRITE, OZ_INTERNAL, "internal error"},
		{SQLITE_ERROR, OZ_INTERNAL, "internal error"},
	};
	for (size_t i = 0; i < NELEMS(cases); i++) {
		oz_status st;
		assert_status(store_error(c, cases[i].rc, &st), &st,
			cases[i].code, cases[i].msg);
		assert_status(store_error(NULL, cases[i].rc, &st), &st,
			cases[i].code, cases[i].msg);
	}
}

/* Busy past busy_timeout is UNAVAILABLE: the caller may retry. */
static void
locked_past_timeout_is_unavailable(void **state)
{
	test_tmpdb t;
	store_config cfg;
	store_conn *holder = NULL, *waiter = NULL;
	oz_status st;
	test_tmpdb_init(&t);
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", t.path);
	assert_int_equal(store_open(&holder, &cfg, &st), OZ_OK);
	cfg.busy_timeout_ms = 20;
	assert_int_equal(store_open(&waiter, &cfg, &st), OZ_OK);
	test_db_exec(holder, "CREATE TABLE x (id INTEGER)");
	assert_int_equal(store_tx_begin(holder, STORE_TX_WRITE, &st), OZ_OK);
	assert_status(store_tx_begin(waiter, STORE_TX_WRITE, &st), &st,
		OZ_UNAVAILABLE, "database is busy, retry");
	assert_int_equal(store_tx_depth(waiter), 0);
	/* A reader is not blocked by the writer in WAL mode. */
	assert_int_equal(store_tx_begin(waiter, STORE_TX_READ, &st), OZ_OK);
	assert_int_equal(test_db_int(waiter, "SELECT count(*) FROM x"), 0);
	assert_int_equal(store_tx_end(waiter, OZ_OK, &st), OZ_OK);
	assert_int_equal(store_tx_end(holder, OZ_OK, &st), OZ_OK);
	assert_int_equal(store_tx_begin(waiter, STORE_TX_WRITE, &st), OZ_OK);
	assert_int_equal(store_tx_end(waiter, OZ_OK, &st), OZ_OK);
	store_close(waiter);
	store_close(holder);
	test_tmpdb_fini(&t);
}

/* --- Two writers ------------------------------------------------- */

#define WRITERS        2
#define ROWS_PER_WRITE 200

struct writer {
	const test_tmpdb *t;
	int id;
	int ok;
	oz_code rc;
	oz_status st;
};

static oz_code
insert_row(store_conn *c, int writer, int i, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(
		c, "INSERT INTO w (writer, i) VALUES (?1, ?2)", &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	sqlite3_bind_int(s, 1, writer);
	sqlite3_bind_int(s, 2, i);
	int src = sqlite3_step(s);
	store_stmt_done(s);
	return src == SQLITE_DONE ? OZ_OK : store_error(c, src, st);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	store_config cfg;
	store_conn *c = NULL;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", w->t->path);
	if ((w->rc = store_open(&c, &cfg, &w->st)) != OZ_OK) {
		return NULL;
	}
	for (int i = 0; i < ROWS_PER_WRITE; i++) {
		oz_code rc = store_tx_begin(c, STORE_TX_WRITE, &w->st);
		if (rc == OZ_OK) {
			rc = insert_row(c, w->id, i, &w->st);
			rc = store_tx_end(c, rc, &w->st);
		}
		if (rc != OZ_OK) {
			w->rc = rc;
			break;
		}
		w->ok++;
	}
	store_close(c);
	return NULL;
}

static void
two_writers_never_see_locked(void **state)
{
	test_tmpdb t;
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	test_tmpdb_init(&t);
	store_conn *c = test_db_file(&t);
	test_db_exec(c, "CREATE TABLE w (writer INTEGER, i INTEGER, "
			"PRIMARY KEY (writer, i))");
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer) {.t = &t, .id = i, .rc = OZ_OK};
		assert_int_equal(
			pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].rc != OZ_OK) {
			fail_msg("writer %d after %d rows: %s %s", i, w[i].ok,
				oz_code_name(w[i].rc), w[i].st.message);
		}
		assert_int_equal(w[i].ok, ROWS_PER_WRITE);
	}
	assert_int_equal(test_db_int(c, "SELECT count(*) FROM w"),
		WRITERS * ROWS_PER_WRITE);
	assert_int_equal(test_db_int(c, "SELECT count(DISTINCT i) FROM w"),
		ROWS_PER_WRITE);
	oz_status st;
	assert_int_equal(store_checkpoint(c, &st), OZ_OK);
	assert_int_equal(store_optimize(c, &st), OZ_OK);
	store_close(c);
	test_tmpdb_fini(&t);
}

static void
now_is_microseconds(void **state)
{
	int64_t a = store_now_us();
	int64_t b = store_now_us();
	/* 2020-01-01 in microseconds; and not in the far future. */
	assert_true(a > INT64_C(1577836800000000));
	assert_true(a < INT64_C(4102444800000000));
	assert_true(b >= a);
}

#define T(name)                                                               \
	cmocka_unit_test_setup_teardown(name, setup_memory, test_db_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_defaults),
		cmocka_unit_test(url_parse_accepts_sqlite_urls),
		cmocka_unit_test(url_parse_rejects_others_naming_them),
		cmocka_unit_test(url_parse_chooses_the_backend_by_scheme),
		cmocka_unit_test(refused_url_masks_its_password),
		cmocka_unit_test(shared_memory_is_one_database),
		cmocka_unit_test(sync_names_round_trip),
		cmocka_unit_test(file_connection_sets_pragmas),
		cmocka_unit_test(configured_pragmas_are_used),
		T(memory_connection_sets_pragmas),
		cmocka_unit_test(open_failure_is_unavailable),
		T(statements_are_cached),
		T(bad_sql_is_internal_without_sqlite_text),
		T(column_text_copies_into_arena),
		T(savepoint_rollback_keeps_outer_work),
		T(outer_rollback_discards_everything),
		T(tx_end_without_begin_is_internal),
		T(savepoint_that_cannot_end_rolls_back_everything),
		T(constraint_errors_map_to_codes),
		T(read_only_is_failed_precondition),
		T(result_codes_map_to_codes),
		cmocka_unit_test(locked_past_timeout_is_unavailable),
		cmocka_unit_test(two_writers_never_see_locked),
		cmocka_unit_test(now_is_microseconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
