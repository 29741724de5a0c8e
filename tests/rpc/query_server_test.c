/* tests/rpc/query_server_test.c -- AdminService/Query through the real
 * in-process server: only the admin token's bearer may call it (with no
 * admin token configured nobody may), results come back typed, and a
 * runaway query stops at its time limit on the admin thread while the
 * server keeps answering other calls, during and after it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "oz/v1/admin_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "support/server.h"
#include "support/wire.h"

#define QUERY  "/oz.v1.AdminService/Query"
#define ADMIN  "Bearer admin-secret"
#define NORMAL "Bearer user-secret"

#define RUNAWAY                                                               \
	"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "    \
	"SELECT max(x) FROM n"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A server with the ordinary token, and the admin token when admin. */
static void
start(test_server *t, bool admin)
{
	static _Thread_local char tokens[400], admins[400];
	test_server_init(t);
	snprintf(tokens, sizeof(tokens), "%s/tokens", t->db.dir);
	snprintf(admins, sizeof(admins), "%s/admins", t->db.dir);
	write_file(tokens, "user-secret\n");
	write_file(admins, "admin-secret\n");
	t->cfg.auth_token_file = tokens;
	t->cfg.admin_token_file = admin ? admins : NULL;
	test_server_start(t);
}

static oz_code
query(nng_socket s, const char *auth, const char *sql, int timeout_ms,
	Oz__V1__QueryResponse **out, oz_status *st)
{
	Oz__V1__QueryRequest req = OZ__V1__QUERY_REQUEST__INIT;
	req.sql = (char *) sql;
	req.timeout_ms = timeout_ms;
	*out = NULL;
	return wire_call_md(s, QUERY, &req.base,
		&oz__v1__query_response__descriptor, (ProtobufCMessage **) out,
		"authorization", auth, st);
}

static void
without_an_admin_token_nobody_may_query(void **state)
{
	(void) state;
	test_server t;
	start(&t, false);
	nng_socket s;
	assert_int_equal(wire_open(&s, t.url), 0);
	oz_status st;
	Oz__V1__QueryResponse *r;
	assert_int_equal(query(s, NORMAL, "SELECT 1", 0, &r, &st),
		OZ_PERMISSION_DENIED);
	nng_close(s);
	test_server_fini(&t);
}

static void
only_the_admin_token_may_query(void **state)
{
	(void) state;
	test_server t;
	start(&t, true);
	nng_socket s;
	assert_int_equal(wire_open(&s, t.url), 0);
	oz_status st;
	Oz__V1__QueryResponse *r;
	assert_int_equal(query(s, NORMAL, "SELECT 1", 0, &r, &st),
		OZ_PERMISSION_DENIED);
	/* One statement of each kind of value, in the backend's dialect. */
	const char *sql =
		test_db_postgres_url() != NULL
			? "SELECT 42 AS n, 'x' AS s, 2.5::float8, NULL, "
			  "'\\x01'::bytea, tablename::text FROM "
			  "pg_tables LIMIT 1"
			: "SELECT 42 AS n, 'x' AS s, 2.5, NULL, x'01', "
			  "name FROM sqlite_master LIMIT 1";
	assert_int_equal(query(s, ADMIN, sql, 0, &r, &st), OZ_OK);
	assert_int_equal(r->n_columns, 6);
	assert_string_equal(r->columns[0]->name, "n");
	/* SQL type names ignore case: SQLite keeps the schema's spelling,
	 * PostgreSQL names the type in lower case. */
	assert_int_equal(strcasecmp(r->columns[5]->declared_type, "TEXT"), 0);
	assert_int_equal(r->n_rows, 1);
	Oz__V1__QueryValue **v = r->rows[0]->values;
	assert_int_equal(v[0]->value_case, OZ__V1__QUERY_VALUE__VALUE_INTEGER);
	assert_int_equal(v[0]->integer, 42);
	assert_string_equal(v[1]->text, "x");
	assert_true(v[2]->real == 2.5);
	assert_int_equal(v[3]->value_case, OZ__V1__QUERY_VALUE__VALUE_NULL);
	assert_int_equal(v[4]->value_case, OZ__V1__QUERY_VALUE__VALUE_BLOB);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_int_equal(
		query(s, ADMIN, "SELECT 1; DROP TABLE users", 0, &r, &st),
		OZ_INVALID_ARGUMENT);
	assert_string_equal(st.violations[0].field, "sql");
	nng_close(s);
	test_server_fini(&t);
}

struct reader {
	const char *url;
	atomic_bool *stop;
	atomic_int answered; /* Read by the test while the reader runs. */
	int failed;
};

/* Calls GetUser until told to stop: the server must keep answering. */
static void *
keep_reading(void *arg)
{
	struct reader *rd = arg;
	nng_socket s;
	if (wire_open(&s, rd->url) != 0) {
		return NULL;
	}
	for (int i = 0; i < 100000 && !atomic_load(rd->stop); i++) {
		Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
		ProtobufCMessage *out = NULL;
		oz_status st;
		get.id = 1;
		oz_code rc = wire_call_md(s, "/oz.v1.UserService/GetUser",
			&get.base, &oz__v1__user__descriptor, &out,
			"authorization", NORMAL, &st);
		rd->answered += rc == OZ_NOT_FOUND;
		rd->failed += rc != OZ_NOT_FOUND;
		protobuf_c_message_free_unpacked(out, NULL);
	}
	nng_close(s);
	return NULL;
}

static void
runaway_query_stops_at_its_limit_and_the_server_keeps_serving(void **state)
{
	(void) state;
	test_server t;
	start(&t, true);
	nng_socket s;
	assert_int_equal(wire_open(&s, t.url), 0);
	oz_status st;
	Oz__V1__QueryResponse *r;
	atomic_bool stop = false;
	struct reader rd = {.url = t.url, .stop = &stop};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, keep_reading, &rd), 0);
	assert_int_equal(
		query(s, ADMIN, RUNAWAY, 300, &r, &st), OZ_DEADLINE_EXCEEDED);
	assert_string_equal(
		st.message, "query stopped at its time limit of 300 ms");
	int during = atomic_load(&rd.answered);
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	assert_true(during > 0);
	assert_int_equal(rd.failed, 0);
	/* And afterwards: a query and an ordinary call. */
	assert_int_equal(
		query(s, ADMIN, "SELECT count(*) FROM users", 0, &r, &st),
		OZ_OK);
	assert_int_equal(r->rows[0]->values[0]->integer, 0);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	Oz__V1__GetUserRequest get = OZ__V1__GET_USER_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	get.id = 1;
	assert_int_equal(wire_call_md(s, "/oz.v1.UserService/GetUser",
				 &get.base, &oz__v1__user__descriptor, &out,
				 "authorization", NORMAL, &st),
		OZ_NOT_FOUND);
	nng_close(s);
	test_server_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_an_admin_token_nobody_may_query),
		cmocka_unit_test(only_the_admin_token_may_query),
		cmocka_unit_test(
			runaway_query_stops_at_its_limit_and_the_server_keeps_serving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
