/* tests/store/postgres_dialect_test.c -- the parts of the PostgreSQL
 * backend that need no server, so they run in every `make test`: both
 * migration dialects carry the same revisions, the SQLSTATE table, the
 * password masking of URLs, and the $N form of the keyset SQL. The parts
 * that talk to a server are in postgres_store_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/embed.h"
#include "store/keyset_sql.h"
#include "store/postgres/pg.h"

/* Declared in pg_impl.h, which tests do not include (libpq-fe.h). */
oz_code pg_sqlstate_code(const char *sqlstate, const char **message);
bool pg_timeout_fits(int have_ms, int want_ms);
int pg_timeout_rounded(int want_ms);

/* A connection's statement_timeout is kept for a call only when it is
 * never shorter than the call's time left, at most an eighth (and 250
 * ms) longer, and "none" only for a call with no limit. */
static void
timeout_is_kept_only_within_the_slack(void **state)
{
	(void) state;
	assert_true(pg_timeout_fits(0, 0));
	assert_false(pg_timeout_fits(5000, 0));
	assert_false(pg_timeout_fits(0, 5000));
	assert_false(pg_timeout_fits(-1, 0));
	assert_false(pg_timeout_fits(-1, 5000));
	assert_int_equal(pg_timeout_rounded(0), 0);
	assert_int_equal(pg_timeout_rounded(200), 212);
	assert_int_equal(pg_timeout_rounded(5000), 5125);
	assert_int_equal(pg_timeout_rounded(1), 1);
	assert_int_equal(pg_timeout_rounded(2147483647), 2147483647);
	assert_true(pg_timeout_fits(225, 200));
	assert_true(pg_timeout_fits(225, 225));
	assert_false(pg_timeout_fits(226, 200));
	assert_false(pg_timeout_fits(225, 226));
	assert_true(pg_timeout_fits(5250, 5000));
	assert_false(pg_timeout_fits(5251, 5000));
	assert_true(pg_timeout_fits(5125, 4875));
	assert_false(pg_timeout_fits(5125, 4874));
	assert_true(pg_timeout_fits(5125, 5125));
	for (int want = 1; want < 100000; want += 7) {
		int set = pg_timeout_rounded(want);
		assert_true(pg_timeout_fits(set, want));
		assert_true(set - want <= 125 && set - want <= want / 16);
	}
}

static void
both_dialects_have_the_same_revisions(void **state)
{
	(void) state;
	assert_int_equal(embed_n_migrations_postgres, embed_n_migrations);
	for (size_t i = 0; i < embed_n_migrations; i++) {
		assert_string_equal(embed_migrations_postgres[i].name,
			embed_migrations[i].name);
	}
}

static void
sqlstates_map_to_oz_codes(void **state)
{
	(void) state;
	static const struct {
		const char *sqlstate;
		oz_code code;
	} cases[] = {
		{"23505", OZ_ALREADY_EXISTS},
		{"23503", OZ_FAILED_PRECONDITION},
		{"23514", OZ_INVALID_ARGUMENT},
		{"23502", OZ_INVALID_ARGUMENT},
		{"23P01", OZ_FAILED_PRECONDITION},
		{"40001", OZ_ABORTED},
		{"40P01", OZ_ABORTED},
		{"57014", OZ_DEADLINE_EXCEEDED},
		{"57P01", OZ_UNAVAILABLE},
		{"08006", OZ_UNAVAILABLE},
		{"08001", OZ_UNAVAILABLE},
		{"25006", OZ_UNAVAILABLE},
		{"53100", OZ_RESOURCE_EXHAUSTED},
		{"53200", OZ_RESOURCE_EXHAUSTED},
		{"53300", OZ_UNAVAILABLE},
		{"42P01", OZ_INTERNAL},
		{"XX000", OZ_INTERNAL},
		{"4000", OZ_INTERNAL},
		{NULL, OZ_INTERNAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = NULL;
		assert_int_equal(pg_sqlstate_code(cases[i].sqlstate, &msg),
			cases[i].code);
		assert_non_null(msg);
	}
}

/* store_url_mask (store/url.c) is what the PostgreSQL backend logs a URL
 * through when a connection fails. */
static void
url_mask_hides_every_password(void **state)
{
	(void) state;
	char out[1024];
	store_url_mask("postgresql://ann:s3cret@db.example:6543/app?"
		       "sslmode=require&application_name=x",
		out, sizeof(out));
	assert_string_equal(out, "postgresql://ann:***@db.example:6543/app?"
				 "sslmode=require&application_name=x");
	store_url_mask("postgres://h/db?password=qu%65ry&sslmode=require", out,
		sizeof(out));
	assert_string_equal(
		out, "postgres://h/db?password=***&sslmode=require");
	store_url_mask(
		"postgres://h/db?sslmode=x&PassW%6Frd=x", out, sizeof(out));
	assert_string_equal(out, "postgres://h/db?sslmode=x&PassW%6Frd=***");
	store_url_mask("host=h password = 'a \\' b' user=u", out, sizeof(out));
	assert_string_equal(out, "host=h password =*** user=u");
	store_url_mask("host=h password=pw", out, sizeof(out));
	assert_string_equal(out, "host=h password=***");
	/* Not a password option: kept. */
	store_url_mask(
		"postgres://h/db?mypassword=1&x=password=2", out, sizeof(out));
	assert_string_equal(out, "postgres://h/db?mypassword=1&x=password=2");
	/* Cut short, still NUL-terminated and never showing the secret. */
	store_url_mask("postgresql://u:secret@h/db", out, 18);
	assert_string_equal(out, "postgresql://u:**");
}

static void
url_schemes_are_recognised(void **state)
{
	(void) state;
	assert_true(pg_url_is_postgres("postgresql://h/db"));
	assert_true(pg_url_is_postgres("postgres://h/db"));
	assert_false(pg_url_is_postgres("sqlite:///app.db"));
	assert_false(pg_url_is_postgres("postgresql:/h"));
	assert_false(pg_url_is_postgres(NULL));
}

static void
keyset_sql_uses_dollar_parameters(void **state)
{
	(void) state;
	static const store_column cols[] = {{"id", "id", STORE_INT},
		{"email", "lower(email)", STORE_TEXT}};
	const keyset_table t = {"users", "id, email", cols, 2};
	store_order o = {2, {{1, true}, {0, true}}};
	store_value after[2] = {{STORE_TEXT, 0, "a"}, {STORE_INT, 7, NULL}};
	store_page p = {&o, after, 10, 0};
	char sql[KEYSET_SQL_MAX];
	oz_status st;
	assert_int_equal(keyset_sql_build(sql, sizeof(sql), '$', &t,
				 "is_active = $1", &p, &st),
		OZ_OK);
	assert_null(strchr(sql, '?'));
	assert_non_null(strstr(sql, "lower(email) = $11 AND id < $12"));
	assert_non_null(strstr(sql, "lower(email) < $11 ORDER BY"));
	assert_non_null(strstr(sql, "LIMIT $30 OFFSET $31"));
	assert_non_null(strstr(sql, ") AS page ORDER BY"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_dialects_have_the_same_revisions),
		cmocka_unit_test(sqlstates_map_to_oz_codes),
		cmocka_unit_test(url_mask_hides_every_password),
		cmocka_unit_test(url_schemes_are_recognised),
		cmocka_unit_test(keyset_sql_uses_dollar_parameters),
		cmocka_unit_test(timeout_is_kept_only_within_the_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
