/* tests/support/db.h -- helpers for store tests: open :memory: or a
 * temporary file database, read one value or the whole schema, and the
 * backend the suites run on (OZ_TEST_DATABASE_URL: unset or sqlite: the
 * SQLite files of each test; postgresql://...: that database, emptied
 * before each test). Test code only: every helper fails the running
 * cmocka test instead of returning an error. */
#ifndef OZ_TESTS_SUPPORT_DB_H
#define OZ_TESTS_SUPPORT_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* A temporary directory holding one database file. */
typedef struct test_tmpdb {
	char dir[256];  /* mkdtemp directory under $TMPDIR or /tmp. */
	char path[300]; /* dir/test.db */
} test_tmpdb;

/* The PostgreSQL URL of OZ_TEST_DATABASE_URL, or NULL when the suites
 * run on SQLite (unset, empty or another scheme). */
const char *test_db_postgres_url(void);

/* Skips the running test when the suites run on PostgreSQL, printing
 * "skipped on postgres: why" (a test of what only SQLite has: WAL,
 * checkpoints, the file lock, PRAGMAs, crashvfs, backup files). */
void test_sqlite_only(const char *why);

/* On PostgreSQL: opens a connection to test_db_postgres_url() as a
 * store_conn, every table but oz_migrations emptied (identities
 * restarted) and the schema at head (or dropped and migrated anew when
 * it cannot reach head). */
store_conn *test_db_postgres_fresh(void);

/* On PostgreSQL: one more connection to the same database, as it is
 * (store_url_parse and store_open, as ozd opens it). */
store_conn *test_db_postgres_open(void);

/* The URL of t's database, for ozd or store_url_parse: sqlite:///path
 * (the file, not created), or on PostgreSQL OZ_TEST_DATABASE_URL with its
 * public schema emptied (no tables: the test migrates it). */
void test_db_url(const test_tmpdb *t, char *out, size_t n);

/* store_config_init, then cfg names t's database as test_db_url does. */
void test_db_config(const test_tmpdb *t, store_config *cfg);

/* Opens a fresh :memory: database with the default settings (SQLite,
 * whatever the suites' backend). */
store_conn *test_db_memory(void);

/* A fresh database of the suites' backend: test_db_memory, or on
 * PostgreSQL test_db_postgres_fresh (already at head). */
store_conn *test_db_fresh(void);

/* cmocka setup and teardown: *state = test_db_memory(), and closing
 * *state with store_close. */
int test_db_setup_memory(void **state);
int test_db_teardown(void **state);

/* Creates a temporary directory for a database file (not yet created). */
void test_tmpdb_init(test_tmpdb *t);

/* Opens (creating) the file database of t with the default settings
 * (PostgreSQL: test_db_postgres_open; t keeps only its directory). */
store_conn *test_db_file(const test_tmpdb *t);

/* Removes the database, its -wal and -shm files and the directory. */
void test_tmpdb_fini(test_tmpdb *t);

/* Runs sql (one or more statements) on either backend; the test fails
 * on any error. */
void test_db_exec(store_conn *c, const char *sql);

/* The first column of the first row of sql as an integer (0 if no row). */
int64_t test_db_int(store_conn *c, const char *sql);

/* The schema from sqlite_master (type, name, tbl_name, sql per line,
 * ordered), without the oz_migrations version table. Heap string, freed
 * by the caller with free(). */
char *test_db_schema(store_conn *c);

#endif /* OZ_TESTS_SUPPORT_DB_H */
