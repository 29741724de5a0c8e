/* tests/store/postgres_store_test.c -- the PostgreSQL backend against a
 * real server: migrations (once each, also when two connections race),
 * the users, tasks and idempotency contracts with the messages of the
 * SQLite store, keyset pages equal to SQLite's for the same rows,
 * serialization failures retried then ABORTED, a cancelled statement, a
 * killed connection, a read-only transaction, and every SQLSTATE class
 * raised by the server itself.
 *
 * Needs OZ_TEST_POSTGRES_URL (make test-postgres starts a throwaway
 * cluster with scripts/pg.sh and sets it); without it the program says
 * it skipped and passes, so `make test` runs without PostgreSQL. Each
 * test starts from an empty public schema migrated to head: never point
 * OZ_TEST_POSTGRES_URL at a database you care about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "store/sqlite/db.h"
#include "store/postgres/pg.h"
#include "store/migrate.h"
#include "support/db.h"

static const char *url;

typedef struct pgfx {
	pg_conn *c;
	arena a;
	oz_status st;
} pgfx;

static void
reset_schema(pg_conn *c)
{
	oz_status st;
	assert_int_equal(pg_exec_script(c,
				 "DROP SCHEMA public CASCADE; "
				 "CREATE SCHEMA public",
				 &st),
		OZ_OK);
}

static int
setup(void **state)
{
	pgfx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	assert_int_equal(pg_open(&fx->c, url, &fx->st), OZ_OK);
	reset_schema(fx->c);
	assert_int_equal(
		pg_migrate_upgrade(fx->c, "head", NULL, &fx->st), OZ_OK);
	arena_init(&fx->a, 4096, 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	pgfx *fx = *state;
	arena_fini(&fx->a);
	pg_close(fx->c);
	free(fx);
	return 0;
}

static int64_t
add_user(pgfx *fx, const char *name, const char *email, oz_code want)
{
	store_user u = {.username = name,
		.email = email,
		.is_active = true,
		.create_us = 1000};
	assert_int_equal(pg_user_insert(fx->c, &u, &fx->st), want);
	return u.id;
}

static int64_t
add_task(pgfx *fx, int64_t user, const char *title, int status, oz_code want)
{
	store_task t = {.title = title,
		.user_id = user,
		.status = status,
		.create_us = 2000};
	assert_int_equal(pg_task_insert(fx->c, &t, &fx->st), want);
	return t.id;
}

/* --- Connection ------------------------------------------------------ */

static void
open_bad_url_is_invalid_argument(void **state)
{
	(void) state;
	pg_conn *c = NULL;
	oz_status st;
	assert_int_equal(pg_open(&c, "postgresql:///oz?nosuchoption=1", &st),
		OZ_INVALID_ARGUMENT);
	assert_null(c);
}

static void
open_without_server_is_unavailable(void **state)
{
	(void) state;
	pg_conn *c = NULL;
	oz_status st;
	assert_int_equal(pg_open(&c,
				 "postgresql://oz@/oz?host=/nonexistent-oz-"
				 "dir&connect_timeout=2",
				 &st),
		OZ_UNAVAILABLE);
	assert_string_equal(st.message, "cannot connect to the database");
	assert_null(c);
}

/* --- Migrations ------------------------------------------------------ */

static void
migrate_twice_applies_nothing_the_second_time(void **state)
{
	pgfx *fx = *state;
	char rev[16];
	int n = -1;
	reset_schema(fx->c);
	assert_int_equal(
		pg_migrate_current(fx->c, rev, sizeof(rev), &fx->st), OZ_OK);
	assert_string_equal(rev, "base");
	assert_int_equal(
		pg_migrate_upgrade(fx->c, "head", &n, &fx->st), OZ_OK);
	assert_int_equal(n, (int) embed_n_migrations_postgres);
	assert_int_equal(
		pg_migrate_upgrade(fx->c, "head", &n, &fx->st), OZ_OK);
	assert_int_equal(n, 0);
	assert_int_equal(
		pg_migrate_current(fx->c, rev, sizeof(rev), &fx->st), OZ_OK);
	assert_memory_equal(rev,
		embed_migrations_postgres[embed_n_migrations_postgres - 1]
			.name,
		4);
}

static void *
migrate_thread(void *arg)
{
	int *applied = arg;
	pg_conn *c = NULL;
	oz_status st;
	if (pg_open(&c, url, &st) != OZ_OK ||
		pg_migrate_upgrade(c, "head", applied, &st) != OZ_OK) {
		*applied = -1;
	}
	pg_close(c);
	return NULL;
}

static void
concurrent_migrations_apply_each_revision_once(void **state)
{
	pgfx *fx = *state;
	pthread_t t[3];
	int applied[3] = {0, 0, 0};
	reset_schema(fx->c);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, migrate_thread,
					 &applied[i]),
			0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_true(applied[i] >= 0);
	}
	assert_int_equal(applied[0] + applied[1] + applied[2],
		(int) embed_n_migrations_postgres);
}

/* --- Both dialects, the same schema ---------------------------------- */

/* One sorted line per column ("table.column type [notnull]"), secondary
 * index ("index name [unique] columns", an expression on one column
 * named by that column) and foreign key; types by kind (int, text,
 * blob). Primary keys are in the columns' notnull. */
static const char lite_schema_sql[] =
	"SELECT m.name || '.' || p.name || ' ' || CASE "
	"WHEN p.type LIKE 'INT%' THEN 'int' WHEN p.type = 'TEXT' THEN 'text' "
	"WHEN p.type = 'BLOB' THEN 'blob' ELSE p.type END || "
	"CASE WHEN p.\"notnull\" OR p.pk THEN ' notnull' ELSE '' END "
	"FROM sqlite_schema m, pragma_table_info(m.name) p "
	"WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
	"UNION ALL SELECT 'index ' || il.name || CASE WHEN il.\"unique\" "
	"THEN ' unique' ELSE '' END || ' ' || (SELECT group_concat(ii.name, "
	"',') FROM pragma_index_info(il.name) ii) "
	"FROM sqlite_schema m, pragma_index_list(m.name) il "
	"WHERE m.type = 'table' AND il.origin = 'c' "
	"UNION ALL SELECT 'fk ' || m.name || '.' || f.\"from\" || ' -> ' || "
	"f.\"table\" || '.' || f.\"to\" FROM sqlite_schema m, "
	"pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
	"ORDER BY 1";

static const char pg_schema_sql[] =
	"SELECT line FROM ("
	"SELECT c.relname || '.' || a.attname || ' ' || CASE "
	"WHEN t.typname IN ('int2', 'int4', 'int8', 'bool') THEN 'int' "
	"WHEN t.typname = 'bytea' THEN 'blob' ELSE t.typname END || "
	"CASE WHEN a.attnotnull THEN ' notnull' ELSE '' END AS line "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_attribute a ON a.attrelid = c.oid "
	"JOIN pg_type t ON t.oid = a.atttypid WHERE n.nspname = 'public' "
	"AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
	"UNION ALL SELECT 'index ' || ic.relname || CASE WHEN i.indisunique "
	"THEN ' unique' ELSE '' END || ' ' || (SELECT string_agg("
	"regexp_replace(pg_get_indexdef(i.indexrelid, k, true), "
	"'^lower\\((\\w+)\\)$', '\\1'), ',' ORDER BY k) FROM "
	"generate_series(1, i.indnkeyatts) k) FROM pg_index i "
	"JOIN pg_class ic ON ic.oid = i.indexrelid "
	"JOIN pg_class tc ON tc.oid = i.indrelid "
	"JOIN pg_namespace n ON n.oid = tc.relnamespace "
	"WHERE n.nspname = 'public' AND NOT i.indisprimary "
	"UNION ALL SELECT 'fk ' || tc.relname || '.' || a.attname || ' -> ' "
	"|| rc.relname || '.' || ra.attname FROM pg_constraint co "
	"JOIN pg_class tc ON tc.oid = co.conrelid "
	"JOIN pg_class rc ON rc.oid = co.confrelid "
	"JOIN pg_attribute a ON a.attrelid = co.conrelid "
	"AND a.attnum = co.conkey[1] "
	"JOIN pg_attribute ra ON ra.attrelid = co.confrelid "
	"AND ra.attnum = co.confkey[1] "
	"JOIN pg_namespace n ON n.oid = tc.relnamespace "
	"WHERE co.contype = 'f' AND n.nspname = 'public') AS s "
	"ORDER BY line COLLATE \"C\"";

#define SCHEMA_MAX 8192

static void
lite_schema(store_conn *c, char *out, size_t cap)
{
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	out[0] = '\0';
	assert_int_equal(
		sqlite3_prepare_v2(c->db, lite_schema_sql, -1, &s, NULL),
		SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int n = snprintf(out + len, cap - len, "%s\n",
			(const char *) sqlite3_column_text(s, 0));
		assert_true(n > 0 && (size_t) n < cap - len);
		len += (size_t) n;
	}
	sqlite3_finalize(s);
}

static void
both_dialects_reach_the_same_schema_at_every_revision(void **state)
{
	pgfx *fx = *state;
	static char lite[SCHEMA_MAX], pg[SCHEMA_MAX], down[SCHEMA_MAX];
	oz_status st;
	for (size_t k = 1; k <= embed_n_migrations; k++) {
		char rev[5];
		memcpy(rev, embed_migrations[k - 1].name, 4);
		rev[4] = '\0';
		store_conn *c = test_db_memory();
		assert_int_equal(store_migrate_upgrade(c, rev, &st), OZ_OK);
		lite_schema(c, lite, sizeof(lite));
		store_close(c);
		reset_schema(fx->c);
		assert_int_equal(
			pg_migrate_upgrade(fx->c, rev, NULL, &fx->st), OZ_OK);
		assert_int_equal(pg_query_lines(fx->c, pg_schema_sql, pg,
					 sizeof(pg), &fx->st),
			OZ_OK);
		assert_string_equal(pg, lite);
		assert_non_null(strstr(lite, "users.email text notnull\n"));
		assert_non_null(
			strstr(lite, "index users_email unique email\n"));
		assert_non_null(
			strstr(lite, "fk tasks.user_id -> users.id\n"));
		/* Down from head lands on the same schema as up to rev. */
		assert_int_equal(
			pg_migrate_upgrade(fx->c, "head", NULL, &fx->st),
			OZ_OK);
		assert_int_equal(
			pg_migrate_downgrade(fx->c, rev, NULL, &fx->st),
			OZ_OK);
		assert_int_equal(pg_query_lines(fx->c, pg_schema_sql, down,
					 sizeof(down), &fx->st),
			OZ_OK);
		assert_string_equal(down, pg);
	}
}

/* --- Users ------------------------------------------------------------ */

static void
user_roundtrip_keeps_every_field(void **state)
{
	pgfx *fx = *state;
	store_user u;
	int64_t id = add_user(fx, "ann", "Ann@Example.com", OZ_OK);
	assert_true(id > 0);
	assert_int_equal(pg_user_get(fx->c, id, &fx->a, &u, &fx->st), OZ_OK);
	assert_string_equal(u.username, "ann");
	assert_string_equal(u.email, "Ann@Example.com");
	assert_true(u.is_active);
	assert_int_equal(u.create_us, 1000);
	assert_int_equal(u.update_us, 1000);
	assert_int_equal(u.version, 1);
	assert_int_equal(pg_user_get_by_email(fx->c, "aNN@example.COM", &fx->a,
				 &u, &fx->st),
		OZ_OK);
	assert_int_equal(u.id, id);
	assert_int_equal(
		pg_user_get(fx->c, id + 1, &fx->a, &u, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
}

static void
unique_columns_name_the_collision_email_first(void **state)
{
	pgfx *fx = *state;
	add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_user(fx, "bob", "ANN@X.ORG", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
	add_user(fx, "ann", "other@x.org", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Username already taken");
	add_user(fx, "ann", "Ann@x.org", OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
}

static void
emails_fold_ascii_case_only(void **state)
{
	pgfx *fx = *state;
	store_user u;
	/* As SQLite's NOCASE: É and é are different letters. */
	add_user(fx, "a", "\xc3\x89@x.org", OZ_OK);
	add_user(fx, "b", "\xc3\xa9@x.org", OZ_OK);
	assert_int_equal(pg_user_get_by_email(
				 fx->c, "\xc3\xa9@X.org", &fx->a, &u, &fx->st),
		OZ_OK);
	assert_string_equal(u.username, "b");
}

static void
user_update_checks_row_then_email_then_username(void **state)
{
	pgfx *fx = *state;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_user(fx, "bob", "bob@x.org", OZ_OK);
	store_user u = {.id = ann,
		.username = "ann",
		.email = "ANN@x.org",
		.is_active = false,
		.update_us = 5000,
		.version = 2};
	assert_int_equal(pg_user_update(fx->c, &u, &fx->st), OZ_OK);
	u.email = "Bob@x.org";
	assert_int_equal(
		pg_user_update(fx->c, &u, &fx->st), OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Email already registered");
	u.email = "ann@x.org";
	u.username = "bob";
	assert_int_equal(
		pg_user_update(fx->c, &u, &fx->st), OZ_ALREADY_EXISTS);
	assert_string_equal(fx->st.message, "Username already taken");
	u.id = ann + 100;
	u.email = "bob@x.org";
	assert_int_equal(pg_user_update(fx->c, &u, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
	assert_int_equal(pg_user_get(fx->c, ann, &fx->a, &u, &fx->st), OZ_OK);
	assert_string_equal(u.email, "ANN@x.org");
	assert_false(u.is_active);
	assert_int_equal(u.version, 2);
	assert_int_equal(u.update_us, 5000);
}

static void
user_with_tasks_cannot_be_deleted(void **state)
{
	pgfx *fx = *state;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_task(fx, ann, "t", 1, OZ_OK);
	assert_int_equal(
		pg_user_delete(fx->c, ann, &fx->st), OZ_FAILED_PRECONDITION);
	assert_int_equal(
		pg_user_delete(fx->c, ann + 1, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
}

static void
ids_are_never_reused(void **state)
{
	pgfx *fx = *state;
	int64_t a = add_user(fx, "a", "a@x.org", OZ_OK);
	assert_int_equal(pg_user_delete(fx->c, a, &fx->st), OZ_OK);
	int64_t b = add_user(fx, "b", "b@x.org", OZ_OK);
	assert_true(b > a);
}

static void
users_count_by_filter(void **state)
{
	pgfx *fx = *state;
	int64_t n = -1;
	add_user(fx, "a", "a@x.org", OZ_OK);
	int64_t b = add_user(fx, "b", "b@x.org", OZ_OK);
	store_user u = {.id = b,
		.username = "b",
		.email = "b@x.org",
		.is_active = false,
		.update_us = 1,
		.version = 2};
	assert_int_equal(pg_user_update(fx->c, &u, &fx->st), OZ_OK);
	store_user_filter all = {0}, active = {true, true},
			  off = {true, false};
	assert_int_equal(pg_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 2);
	assert_int_equal(pg_user_count(fx->c, &active, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(pg_user_count(fx->c, &off, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

/* --- Tasks ------------------------------------------------------------ */

static void
task_contract_matches_sqlite(void **state)
{
	pgfx *fx = *state;
	store_task t;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	add_task(fx, ann + 9, "t", 1, OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "User not found");
	add_task(fx, ann, "bad status", 4, OZ_INVALID_ARGUMENT);
	int64_t id = add_task(fx, ann, "write", 2, OZ_OK);
	assert_int_equal(pg_task_get(fx->c, id, &fx->a, &t, &fx->st), OZ_OK);
	assert_string_equal(t.title, "write");
	assert_string_equal(t.description, "");
	assert_int_equal(t.status, 2);
	assert_int_equal(t.version, 1);
	t.title = "rewrite";
	t.status = 3;
	t.version = 2;
	t.update_us = 3000;
	assert_int_equal(pg_task_update(fx->c, &t, &fx->st), OZ_OK);
	t.id = id + 50;
	assert_int_equal(pg_task_update(fx->c, &t, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "Task not found");
	assert_int_equal(
		pg_task_delete(fx->c, id + 50, &fx->st), OZ_NOT_FOUND);
	assert_string_equal(fx->st.message, "Task not found");
	add_task(fx, ann, "second", 1, OZ_OK);
	store_task *rows;
	size_t n;
	assert_int_equal(
		pg_task_list_by_user(fx->c, ann, &fx->a, &rows, &n, &fx->st),
		OZ_OK);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].title, "rewrite");
	assert_int_equal(rows[0].version, 2);
	store_task_filter done = {
		.by_user = true, .user_id = ann, .status = 3};
	int64_t cnt = 0;
	assert_int_equal(pg_task_count(fx->c, &done, &cnt, &fx->st), OZ_OK);
	assert_int_equal(cnt, 1);
	assert_int_equal(
		pg_task_delete_by_user(fx->c, ann, &cnt, &fx->st), OZ_OK);
	assert_int_equal(cnt, 2);
	assert_int_equal(pg_user_delete(fx->c, ann, &fx->st), OZ_OK);
}

/* --- Paging: the same pages as the SQLite store -------------------- */

static const char *const emails[] = {"b@x.org", "A@x.org", "c@x.org",
	"a2@x.org", "B2@x.org", "_@x.org", "Z@x.org", "\xc3\xa9@x.org",
	"z1@x.org", "[@x.org"};

/* Walks every page of size 3 of order o on both stores; the id sequences
 * must be equal. */
static void
compare_user_pages(pgfx *fx, store_conn *lite, const store_order *o,
	const store_user_filter *f)
{
	store_value after_pg[STORE_ORDER_MAX], after_lite[STORE_ORDER_MAX];
	const store_value *ap = NULL, *al = NULL;
	size_t total = 0;
	for (int page = 0; page < 10; page++) {
		store_page pp = {o, ap, 3, 0}, pl = {o, al, 3, 0};
		store_user *rp, *rl;
		size_t np, nl;
		assert_int_equal(
			pg_user_list(fx->c, f, &pp, &fx->a, &rp, &np, &fx->st),
			OZ_OK);
		assert_int_equal(store_user_list(lite, f, &pl, &fx->a, &rl,
					 &nl, &fx->st),
			OZ_OK);
		assert_int_equal(np, nl);
		for (size_t i = 0; i < np; i++) {
			assert_int_equal(rp[i].id, rl[i].id);
		}
		total += np;
		if (np < 3) {
			break;
		}
		for (int k = 0; k < o->n; k++) {
			store_user_key(
				&rp[np - 1], o->keys[k].col, &after_pg[k]);
			store_user_key(
				&rl[nl - 1], o->keys[k].col, &after_lite[k]);
		}
		ap = after_pg;
		al = after_lite;
	}
	assert_true(total > 0);
}

static void
user_pages_equal_sqlite_pages(void **state)
{
	pgfx *fx = *state;
	store_conn *lite = test_db_memory();
	oz_status st;
	assert_int_equal(store_migrate_upgrade(lite, "head", &st), OZ_OK);
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
		char name[16];
		snprintf(name, sizeof(name), "u%zu", (i * 7) % 10);
		store_user u = {.username = name,
			.email = emails[i],
			.is_active = i % 3 != 0,
			.create_us = (int64_t) (i % 4)};
		assert_int_equal(pg_user_insert(fx->c, &u, &fx->st), OZ_OK);
		store_user v = u;
		assert_int_equal(store_user_insert(lite, &v, &st), OZ_OK);
		assert_int_equal(u.id, v.id);
	}
	static const store_order orders[] = {
		{1, {{STORE_USER_ID, false}}},
		{2, {{STORE_USER_EMAIL, false}, {STORE_USER_ID, false}}},
		{2, {{STORE_USER_EMAIL, true}, {STORE_USER_ID, true}}},
		{2, {{STORE_USER_USERNAME, true}, {STORE_USER_ID, false}}},
		{3, {{STORE_USER_CREATE_TIME, false}, {STORE_USER_EMAIL, true},
			    {STORE_USER_ID, false}}},
	};
	store_user_filter all = {0}, active = {true, true};
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		compare_user_pages(fx, lite, &orders[i], &all);
		compare_user_pages(fx, lite, &orders[i], &active);
	}
	store_close(lite);
}

static void
task_pages_follow_filters_and_bounds(void **state)
{
	pgfx *fx = *state;
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	int64_t bob = add_user(fx, "bob", "bob@x.org", OZ_OK);
	const char *titles[] = {"b", "a", "B", "c", "a", "_"};
	for (int i = 0; i < 6; i++) {
		add_task(fx, i % 2 ? ann : bob, titles[i], 1 + i % 3, OZ_OK);
	}
	store_order o = {
		2, {{STORE_TASK_TITLE, false}, {STORE_TASK_ID, true}}};
	store_task_filter f = {.by_user = true, .user_id = ann};
	store_page p = {&o, NULL, 2, 0};
	store_task *rows;
	size_t n;
	assert_int_equal(
		pg_task_list(fx->c, &f, &p, &fx->a, &rows, &n, &fx->st),
		OZ_OK);
	assert_int_equal(n, 2);
	/* ann has "a" (id 2), "c" (id 4), "_" (id 6); bytes: a < c < _ is
	 * false: '_' (0x5f) sorts before 'a' (0x61). */
	assert_string_equal(rows[0].title, "_");
	assert_string_equal(rows[1].title, "a");
	store_value after[2];
	store_task_key(&rows[1], STORE_TASK_TITLE, &after[0]);
	store_task_key(&rows[1], STORE_TASK_ID, &after[1]);
	p.after = after;
	assert_int_equal(
		pg_task_list(fx->c, &f, &p, &fx->a, &rows, &n, &fx->st),
		OZ_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].title, "c");
	p.limit = 0;
	assert_int_equal(
		pg_task_list(fx->c, &f, &p, &fx->a, &rows, &n, &fx->st),
		OZ_INVALID_ARGUMENT);
}

/* --- Idempotency ------------------------------------------------------ */

static void
idempotency_outcomes_replace_and_expire(void **state)
{
	pgfx *fx = *state;
	static const unsigned char bytes[] = {0, 1, 0xff, 0, 'x'};
	store_idem rec = {.method = "/oz.v1.UserService/CreateUser",
		.request_hash = -42,
		.code = 0,
		.message = "",
		.response = bytes,
		.response_len = sizeof(bytes),
		.create_us = 100};
	store_idem out;
	int n = -1;
	assert_int_equal(pg_idem_get(fx->c, "k", 0, &out, &fx->a, &fx->st),
		OZ_NOT_FOUND);
	assert_int_equal(pg_idem_put(fx->c, "k", &rec, &fx->st), OZ_OK);
	assert_int_equal(
		pg_idem_get(fx->c, "k", 50, &out, &fx->a, &fx->st), OZ_OK);
	assert_int_equal(out.request_hash, -42);
	assert_int_equal(out.response_len, sizeof(bytes));
	assert_memory_equal(out.response, bytes, sizeof(bytes));
	assert_int_equal(pg_idem_get(fx->c, "k", 101, &out, &fx->a, &fx->st),
		OZ_NOT_FOUND);
	rec.code = 6;
	rec.message = "Email already registered";
	rec.response_len = 0;
	rec.create_us = 200;
	assert_int_equal(pg_idem_put(fx->c, "k", &rec, &fx->st), OZ_OK);
	assert_int_equal(
		pg_idem_get(fx->c, "k", 150, &out, &fx->a, &fx->st), OZ_OK);
	assert_int_equal(out.code, 6);
	assert_string_equal(out.message, "Email already registered");
	assert_int_equal(out.response_len, 0);
	assert_int_equal(pg_idem_purge(fx->c, 201, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

/* --- Transactions and failures ---------------------------------------- */

/* Raises SQLSTATE arg inside the server. */
static oz_code
raise_state(pg_conn *c, void *arg, oz_status *st)
{
	char sql[160];
	const char *state = arg;
	snprintf(sql, sizeof(sql),
		"DO $$BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '%s'; "
		"END$$",
		state);
	return pg_exec_script(c, sql, st);
}

static void
server_sqlstates_become_oz_codes(void **state)
{
	pgfx *fx = *state;
	static const struct {
		const char *sqlstate;
		oz_code code;
	} cases[] = {
		{"23505", OZ_ALREADY_EXISTS},
		{"23503", OZ_FAILED_PRECONDITION},
		{"57014", OZ_DEADLINE_EXCEEDED},
		{"25006", OZ_UNAVAILABLE},
		{"53100", OZ_RESOURCE_EXHAUSTED},
		{"08006", OZ_UNAVAILABLE},
		{"XX000", OZ_INTERNAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(raise_state(fx->c, (void *) cases[i].sqlstate,
					 &fx->st),
			cases[i].code);
		/* 25006: a read-only server answered (a standby after a
		 * failover): the connection is dropped, and the next use
		 * connects again (to the primary a multi-host URL with
		 * target_session_attrs=read-write finds). */
		bool standby = strcmp(cases[i].sqlstate, "25006") == 0;
		assert_int_equal(pg_connected(fx->c), !standby);
		if (standby) {
			int pid = pg_backend_pid(fx->c);
			assert_int_equal(pg_ensure(fx->c, &fx->st), OZ_OK);
			assert_true(pg_connected(fx->c));
			assert_int_not_equal(pg_backend_pid(fx->c), pid);
		}
	}
}

typedef struct flaky {
	int runs;
	int fail_first; /* Raise 40001 on the first fail_first runs. */
} flaky;

static oz_code
flaky_insert(pg_conn *c, void *arg, oz_status *st)
{
	flaky *f = arg;
	store_user u = {.username = "f",
		.email = "f@x.org",
		.is_active = true,
		.create_us = 1};
	oz_code rc = pg_user_insert(c, &u, st);
	if (rc == OZ_OK && f->runs++ < f->fail_first) {
		rc = raise_state(c, "40001", st);
	}
	return rc;
}

static void
serialization_failures_are_retried_then_aborted(void **state)
{
	pgfx *fx = *state;
	flaky always = {0, 1000}, twice = {0, 2};
	int64_t n = -1;
	store_user_filter all = {0};
	assert_int_equal(pg_tx_run(fx->c, STORE_TX_WRITE, flaky_insert,
				 &always, &fx->st),
		OZ_ABORTED);
	assert_int_equal(always.runs, PG_TX_RETRIES + 1);
	assert_int_equal(pg_tx_depth(fx->c), 0);
	assert_int_equal(pg_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 0);
	assert_int_equal(pg_tx_run(fx->c, STORE_TX_WRITE, flaky_insert, &twice,
				 &fx->st),
		OZ_OK);
	assert_int_equal(twice.runs, 3);
	assert_int_equal(pg_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

static void
concurrent_update_of_one_row_is_a_conflict(void **state)
{
	pgfx *fx = *state;
	pg_conn *other = NULL;
	store_user a, b;
	int64_t id = add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(pg_open(&other, url, &fx->st), OZ_OK);
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	assert_int_equal(pg_tx_begin(other, STORE_TX_WRITE, &fx->st), OZ_OK);
	assert_int_equal(pg_user_get(fx->c, id, &fx->a, &a, &fx->st), OZ_OK);
	assert_int_equal(pg_user_get(other, id, &fx->a, &b, &fx->st), OZ_OK);
	a.version++;
	b.version++;
	assert_int_equal(pg_user_update(fx->c, &a, &fx->st), OZ_OK);
	assert_int_equal(pg_tx_end(fx->c, OZ_OK, &fx->st), OZ_OK);
	/* Both read version 1; the second writer must not make it 2 again. */
	oz_code rc = pg_user_update(other, &b, &fx->st);
	assert_int_equal(pg_tx_end(other, rc, &fx->st), OZ_ABORTED);
	assert_int_equal(rc, OZ_ABORTED);
	pg_close(other);
}

/* Racing creates: N_RACERS connections create the same N_EMAILS emails
 * (in different cases) at once, each in its own retried transaction. */
#define N_RACERS 6
#define N_EMAILS 30

struct racer {
	int id;
	int ok, taken, other;
};

struct create_arg {
	const char *name, *email;
};

static oz_code
create_fn(pg_conn *c, void *arg, oz_status *st)
{
	struct create_arg *ca = arg;
	store_user u = {.username = ca->name,
		.email = ca->email,
		.is_active = true,
		.create_us = 1};
	return pg_user_insert(c, &u, st);
}

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	pg_conn *c = NULL;
	oz_status st;
	if (pg_open(&c, url, &st) != OZ_OK) {
		r->other = N_EMAILS;
		return NULL;
	}
	for (int i = 0; i < N_EMAILS; i++) {
		char name[32], email[32];
		snprintf(name, sizeof(name), "r%d-%d", r->id, i);
		snprintf(email, sizeof(email),
			r->id % 2 ? "E%d@X.ORG" : "e%d@x.org", i);
		struct create_arg ca = {name, email};
		oz_code rc = pg_tx_run(c, STORE_TX_WRITE, create_fn, &ca, &st);
		if (rc == OZ_OK) {
			r->ok++;
		} else if (rc == OZ_ALREADY_EXISTS &&
			   strcmp(st.message, "Email already registered") ==
				   0) {
			r->taken++;
		} else {
			r->other++;
		}
	}
	pg_close(c);
	return NULL;
}

static void
racing_creates_of_one_email_make_one_user(void **state)
{
	pgfx *fx = *state;
	pthread_t t[N_RACERS];
	struct racer r[N_RACERS];
	int ok = 0, taken = 0, other = 0;
	int64_t n = -1;
	store_user_filter all = {0};
	for (int i = 0; i < N_RACERS; i++) {
		r[i] = (struct racer) {.id = i};
		assert_int_equal(
			pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
	}
	for (int i = 0; i < N_RACERS; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].ok;
		taken += r[i].taken;
		other += r[i].other;
	}
	assert_int_equal(other, 0);
	assert_int_equal(ok, N_EMAILS);
	assert_int_equal(taken, (N_RACERS - 1) * N_EMAILS);
	assert_int_equal(pg_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, N_EMAILS);
}

static void
statement_timeout_is_deadline_exceeded(void **state)
{
	pgfx *fx = *state;
	assert_int_equal(pg_exec_script(fx->c,
				 "SET statement_timeout = 20; "
				 "SELECT pg_sleep(30)",
				 &fx->st),
		OZ_DEADLINE_EXCEEDED);
	assert_true(pg_connected(fx->c));
}

static void
statement_held_by_a_lock_is_cancelled_at_its_deadline(void **state)
{
	pgfx *fx = *state;
	pg_conn *other = NULL;
	store_user u;
	char sql[160];
	int64_t id = add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(pg_open(&other, url, &fx->st), OZ_OK);
	/* fx->c holds the row's lock in an open transaction. */
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	assert_int_equal(pg_user_get(fx->c, id, &fx->a, &u, &fx->st), OZ_OK);
	u.version = 2;
	assert_int_equal(pg_user_update(fx->c, &u, &fx->st), OZ_OK);
	pg_set_timeout(other, 100);
	assert_int_equal(pg_tx_begin(other, STORE_TX_WRITE, &fx->st), OZ_OK);
	u.version = 3;
	oz_code rc = pg_user_update(other, &u, &fx->st);
	assert_int_equal(rc, OZ_DEADLINE_EXCEEDED);
	assert_int_equal(pg_tx_end(other, rc, &fx->st), OZ_DEADLINE_EXCEEDED);
	/* Cancelled on the server, not left waiting there: seen from a
	 * third connection while fx->c still holds the lock. */
	pg_conn *watch = NULL;
	char out[64];
	assert_int_equal(pg_open(&watch, url, &fx->st), OZ_OK);
	snprintf(sql, sizeof(sql),
		"SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND "
		"(state = 'active' OR wait_event_type = 'Lock')",
		pg_backend_pid(other));
	assert_int_equal(
		pg_query_lines(watch, sql, out, sizeof(out), &fx->st), OZ_OK);
	assert_string_equal(out, "0\n");
	pg_close(watch);
	assert_int_equal(pg_tx_end(fx->c, OZ_OK, &fx->st), OZ_OK);
	pg_close(other);
}

static void
killed_connection_is_unavailable_then_reconnects(void **state)
{
	pgfx *fx = *state;
	pg_conn *admin = NULL;
	char sql[96];
	store_user u;
	int64_t id = add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(pg_open(&admin, url, &fx->st), OZ_OK);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
		pg_backend_pid(fx->c));
	assert_int_equal(pg_exec_script(admin, sql, &fx->st), OZ_OK);
	pg_close(admin);
	assert_int_equal(
		pg_user_get(fx->c, id, &fx->a, &u, &fx->st), OZ_UNAVAILABLE);
	assert_false(pg_connected(fx->c));
	assert_int_equal(pg_reconnect(fx->c, &fx->st), OZ_OK);
	assert_int_equal(pg_user_get(fx->c, id, &fx->a, &u, &fx->st), OZ_OK);
}

static void
write_in_read_transaction_is_unavailable(void **state)
{
	pgfx *fx = *state;
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_READ, &fx->st), OZ_OK);
	add_user(fx, "ann", "ann@x.org", OZ_UNAVAILABLE);
	assert_string_equal(fx->st.message, "database is read-only");
	assert_int_equal(
		pg_tx_end(fx->c, OZ_UNAVAILABLE, &fx->st), OZ_UNAVAILABLE);
}

static void
failed_savepoint_keeps_the_outer_writes(void **state)
{
	pgfx *fx = *state;
	int64_t n = -1;
	store_user_filter all = {0};
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	int64_t ann = add_user(fx, "ann", "ann@x.org", OZ_OK);
	assert_int_equal(pg_tx_end(fx->c, OZ_OK, &fx->st), OZ_OK);
	assert_int_equal(pg_tx_begin(fx->c, STORE_TX_WRITE, &fx->st), OZ_OK);
	add_user(fx, "bob", "bob@x.org", OZ_OK);
	/* A failed statement: without the savepoint it would spoil the
	 * whole transaction. */
	add_task(fx, ann + 5, "t", 1, OZ_NOT_FOUND);
	assert_int_equal(
		pg_tx_end(fx->c, OZ_NOT_FOUND, &fx->st), OZ_NOT_FOUND);
	assert_int_equal(pg_tx_end(fx->c, OZ_OK, &fx->st), OZ_OK);
	assert_int_equal(pg_user_count(fx->c, &all, &n, &fx->st), OZ_OK);
	assert_int_equal(n, 1);
}

int
main(void)
{
	url = getenv("OZ_TEST_POSTGRES_URL");
	if (url == NULL || url[0] == '\0') {
		printf("postgres_store_test: skipped (OZ_TEST_POSTGRES_URL "
		       "unset; run make test-postgres)\n");
		return 0;
	}
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(open_bad_url_is_invalid_argument),
		T(open_without_server_is_unavailable),
		T(migrate_twice_applies_nothing_the_second_time),
		T(concurrent_migrations_apply_each_revision_once),
		T(both_dialects_reach_the_same_schema_at_every_revision),
		T(user_roundtrip_keeps_every_field),
		T(unique_columns_name_the_collision_email_first),
		T(emails_fold_ascii_case_only),
		T(user_update_checks_row_then_email_then_username),
		T(user_with_tasks_cannot_be_deleted),
		T(ids_are_never_reused),
		T(users_count_by_filter),
		T(task_contract_matches_sqlite),
		T(user_pages_equal_sqlite_pages),
		T(task_pages_follow_filters_and_bounds),
		T(idempotency_outcomes_replace_and_expire),
		T(server_sqlstates_become_oz_codes),
		T(serialization_failures_are_retried_then_aborted),
		T(concurrent_update_of_one_row_is_a_conflict),
		T(racing_creates_of_one_email_make_one_user),
		T(statement_timeout_is_deadline_exceeded),
		T(statement_held_by_a_lock_is_cancelled_at_its_deadline),
		T(killed_connection_is_unavailable_then_reconnects),
		T(write_in_read_transaction_is_unavailable),
		T(failed_savepoint_keeps_the_outer_writes),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
