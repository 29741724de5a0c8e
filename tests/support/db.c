/* tests/support/db.c -- database helpers of the suites, on SQLite or on
 * the PostgreSQL database of OZ_TEST_DATABASE_URL (see db.h). It fails the
 * running test on any error rather than returning one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/backend.h"
#include "store/postgres/pg.h"
#include "store/sqlite/db.h"
#include "support/db.h"

const char *
test_db_postgres_url(void)
{
	const char *url = getenv("OZ_TEST_DATABASE_URL");
	return url != NULL && pg_url_is_postgres(url) ? url : NULL;
}

void
test_sqlite_only(const char *why)
{
	if (test_db_postgres_url() != NULL) {
		printf("skipped on postgres: %s\n", why);
		fflush(stdout);
		skip();
	}
}

store_conn *
test_db_postgres_open(void)
{
	const char *url = test_db_postgres_url();
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	assert_non_null(url);
	store_config_init(&cfg);
	if (store_url_parse(url, &cfg, &st) != OZ_OK ||
		store_open(&c, &cfg, &st) != OZ_OK) {
		fail_msg("store_open %s: %s", url, st.message);
	}
	return c;
}

/* Every table of the public schema but oz_migrations, emptied in one
 * statement (CASCADE: foreign keys between them). */
static const char pg_truncate_sql[] =
	"DO $$ DECLARE t text; BEGIN "
	"SELECT string_agg(quote_ident(tablename), ', ') INTO t "
	"FROM pg_tables WHERE schemaname = 'public' "
	"AND tablename <> 'oz_migrations'; "
	"IF t IS NOT NULL THEN "
	"EXECUTE 'TRUNCATE ' || t || ' RESTART IDENTITY CASCADE'; "
	"END IF; END $$";

/* Drops every table, index and sequence of the public schema. */
static const char pg_empty_sql[] =
	"DROP SCHEMA public CASCADE; CREATE SCHEMA public";

static void
postgres_empty(void)
{
	pg_conn *c = NULL;
	oz_status st;
	if (pg_open(&c, test_db_postgres_url(), &st) != OZ_OK ||
		pg_exec_script(c, pg_empty_sql, &st) != OZ_OK) {
		fail_msg("postgres: %s", st.message);
	}
	pg_close(c);
}

void
test_db_url(const test_tmpdb *t, char *out, size_t n)
{
	if (test_db_postgres_url() != NULL) {
		postgres_empty();
		snprintf(out, n, "%s", test_db_postgres_url());
	} else {
		snprintf(out, n, "sqlite:///%s", t->path);
	}
}

void
test_db_config(const test_tmpdb *t, store_config *cfg)
{
	char url[STORE_URL_MAX];
	oz_status st;
	store_config_init(cfg);
	test_db_url(t, url, sizeof(url));
	if (store_url_parse(url, cfg, &st) != OZ_OK) {
		fail_msg("%s: %s", url, st.message);
	}
}

store_conn *
test_db_postgres_fresh(void)
{
	const char *url = test_db_postgres_url();
	pg_conn *c = NULL;
	oz_status st;
	assert_non_null(url);
	if (pg_open(&c, url, &st) != OZ_OK) {
		fail_msg("pg_open: %s", st.message);
	}
	if (pg_exec_script(c, pg_truncate_sql, &st) != OZ_OK ||
		pg_migrate_upgrade(c, "head", NULL, &st) != OZ_OK) {
		/* Anything else (a revision this build does not know, a
		 * half-made schema): start from nothing. */
		if (pg_exec_script(c, pg_empty_sql, &st) != OZ_OK ||
			pg_migrate_upgrade(c, "head", NULL, &st) != OZ_OK) {
			fail_msg("postgres schema: %s", st.message);
		}
	}
	pg_close(c);
	return test_db_postgres_open();
}

/* c as the PostgreSQL connection it is (pg.h: the same object), or NULL
 * when c is SQLite's. */
static pg_conn *
as_pg(store_conn *c)
{
	return store_ops_of(c) == &store_postgres_ops ? (pg_conn *) (void *) c
						      : NULL;
}

store_conn *
test_db_memory(void)
{
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), ":memory:");
	assert_int_equal(store_open(&c, &cfg, &st), OZ_OK);
	return c;
}

store_conn *
test_db_fresh(void)
{
	return test_db_postgres_url() != NULL ? test_db_postgres_fresh()
					      : test_db_memory();
}

int
test_db_setup_memory(void **state)
{
	*state = test_db_memory();
	return 0;
}

int
test_db_teardown(void **state)
{
	store_close(*state);
	return 0;
}

void
test_tmpdb_init(test_tmpdb *t)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(t->dir, sizeof(t->dir), "%s/oz-test-XXXXXX",
		tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/test.db", t->dir);
}

store_conn *
test_db_file(const test_tmpdb *t)
{
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	if (test_db_postgres_url() != NULL) {
		return test_db_postgres_open();
	}
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", t->path);
	if (store_open(&c, &cfg, &st) != OZ_OK) {
		fail_msg("store_open %s: %s", t->path, st.message);
	}
	return c;
}

void
test_tmpdb_fini(test_tmpdb *t)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[320];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

void
test_db_exec(store_conn *c, const char *sql)
{
	char *err = NULL;
	oz_status st;
	if (as_pg(c) != NULL) {
		if (pg_exec_script(as_pg(c), sql, &st) != OZ_OK) {
			fail_msg("%s: %s", sql, st.message);
		}
		return;
	}
	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fail_msg("%s: %s", sql, err != NULL ? err : "?");
	}
}

int64_t
test_db_int(store_conn *c, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	if (as_pg(c) != NULL) {
		char line[64] = "";
		oz_status st;
		if (pg_query_lines(as_pg(c), sql, line, sizeof(line), &st) !=
			OZ_OK) {
			fail_msg("%s: %s", sql, st.message);
		}
		return strtoll(line, NULL, 10);
	}
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		fail_msg("%s: %s", sql, sqlite3_errmsg(c->db));
	}
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
	} else if (rc != SQLITE_DONE) {
		fail_msg("%s: %s", sql, sqlite3_errmsg(c->db));
	}
	sqlite3_finalize(s);
	return v;
}

char *
test_db_schema(store_conn *c)
{
	static const char sql[] =
		"SELECT type || '|' || name || '|' || tbl_name || '|' || "
		"coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE "
		"'%oz_migrations%' ORDER BY type, name";
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	char *out = calloc(1, 1);
	assert_non_null(out);
	assert_int_equal(
		sqlite3_prepare_v2(c->db, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *row = (const char *) sqlite3_column_text(s, 0);
		size_t n = strlen(row);
		char *grown = realloc(out, len + n + 2);
		assert_non_null(grown);
		out = grown;
		memcpy(out + len, row, n);
		out[len + n] = '\n';
		out[len + n + 1] = '\0';
		len += n + 1;
	}
	sqlite3_finalize(s);
	return out;
}
