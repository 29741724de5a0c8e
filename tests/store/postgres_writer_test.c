/* tests/store/postgres_writer_test.c -- the group-commit writer on a real
 * PostgreSQL server: a call that meets a serialization failure (SQLSTATE
 * 40001, raised by the server) is run again in a new transaction and
 * answered OK once a run commits, or ABORTED after the writer's bounded
 * re-runs with nothing written; a conflict swallowed inside the call's
 * savepoint (the transaction is doomed) re-runs the batch too instead of
 * ending INTERNAL.
 *
 * Needs OZ_TEST_POSTGRES_URL (make test-postgres); without it the program
 * says it skipped and passes. Each test starts from an empty public
 * schema migrated to head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/writer.h"
#include "store/postgres/pg.h"
#include "store/user_store.h"

static const char *url;

/* How the handler fails: on its first `conflicts` runs it raises 40001
 * after inserting its user, and passes the failure on (ABORTED) or
 * swallows it (ends its savepoint OK, as a careless handler might). */
static struct {
	int runs;
	int conflicts;
	bool swallow;
} g;

static oz_code
raise_40001(store_conn *db, oz_status *st)
{
	return pg_exec_script((pg_conn *) (void *) db,
		"DO $$BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = "
		"'40001'; END$$",
		st);
}

static oz_code
conflict_handler(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__CreateUserRequest *req = (const void *) in;
	oz_code rc = store_tx_begin(cx->db, STORE_TX_WRITE, st);
	if (rc != OZ_OK) {
		return rc;
	}
	store_user u = {.username = req->username,
		.email = req->email,
		.is_active = true,
		.create_us = 1};
	rc = store_user_insert(cx->db, &u, st);
	if (rc == OZ_OK && g.runs++ < g.conflicts) {
		rc = raise_40001(cx->db, st);
		if (g.swallow) {
			rc = OZ_OK;
		}
	}
	rc = store_tx_end(cx->db, rc, st);
	((Oz__V1__User *) out)->id = u.id;
	return rc;
}

static const rpc_method conflict_method = {
	.name = "/test/Conflict",
	.input = &oz__v1__create_user_request__descriptor,
	.output = &oz__v1__user__descriptor,
	.handler = conflict_handler,
	.kind = RPC_WRITE,
};

struct fixture {
	pg_conn *pg;
	rpc_writer *w;
	arena a;
	rpc_call call;
	Oz__Rpc__V1__Request env;
	Oz__V1__CreateUserRequest in;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	oz_status st;
	store_config cfg;
	assert_non_null(f);
	assert_int_equal(pg_open(&f->pg, url, &st), OZ_OK);
	assert_int_equal(pg_exec_script(f->pg,
				 "DROP SCHEMA public CASCADE; "
				 "CREATE SCHEMA public",
				 &st),
		OZ_OK);
	assert_int_equal(pg_migrate_upgrade(f->pg, "head", NULL, &st), OZ_OK);
	store_config_init(&cfg);
	assert_int_equal(store_url_parse(url, &cfg, &st), OZ_OK);
	assert_int_equal(
		rpc_writer_start(&f->w, &cfg, true, 0, NULL, &st), OZ_OK);
	memset(&g, 0, sizeof(g));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	rpc_writer_stop(f->w);
	pg_close(f->pg);
	arena_fini(&f->a);
	free(f);
	return 0;
}

/* Runs one call of conflict_method through the writer. */
static const oz_status *
run_call(struct fixture *f)
{
	static const rpc_call_config ccfg = {
		.default_timeout_ms = 60000, .max_message_bytes = 1 << 20};
	arena_init(&f->a, 0, 0);
	oz__rpc__v1__request__init(&f->env);
	oz__v1__create_user_request__init(&f->in);
	f->in.username = "ann";
	f->in.email = "ann@example.com";
	f->call.arena = &f->a;
	f->call.cfg = &ccfg;
	f->call.method = &conflict_method;
	f->call.req = &f->env;
	f->call.input = &f->in.base;
	f->call.output = arena_calloc(&f->a, sizeof(Oz__V1__User));
	oz__v1__user__init((Oz__V1__User *) f->call.output);
	f->call.start_us = oz_now_us();
	f->call.deadline_us = f->call.start_us + 60 * 1000000LL;
	oz_status_clear(&f->call.st);
	rpc_writer_run(f->w, &f->call, true);
	return &f->call.st;
}

static int64_t
users(struct fixture *f)
{
	oz_status st;
	int64_t n = -1;
	store_user_filter all = {0};
	assert_int_equal(pg_user_count(f->pg, &all, &n, &st), OZ_OK);
	return n;
}

static void
conflict_is_run_again_until_it_commits(void **state)
{
	struct fixture *f = *state;
	g.conflicts = 2;
	const oz_status *st = run_call(f);
	assert_int_equal(st->code, OZ_OK);
	assert_int_equal(g.runs, 3);
	assert_int_equal(users(f), 1);
}

static void
endless_conflict_is_aborted_with_nothing_written(void **state)
{
	struct fixture *f = *state;
	g.conflicts = 1000;
	const oz_status *st = run_call(f);
	assert_int_equal(st->code, OZ_ABORTED);
	assert_string_equal(st->message, "transaction conflict, retry");
	assert_true(g.runs > 1);
	assert_true(g.runs < 1000);
	assert_int_equal(users(f), 0);
}

static void
conflict_swallowed_in_a_savepoint_reruns_the_batch(void **state)
{
	struct fixture *f = *state;
	g.conflicts = 1;
	g.swallow = true;
	const oz_status *st = run_call(f);
	assert_int_equal(st->code, OZ_OK);
	assert_int_equal(g.runs, 2);
	assert_int_equal(users(f), 1);
}

int
main(void)
{
	url = getenv("OZ_TEST_POSTGRES_URL");
	if (url == NULL || url[0] == '\0') {
		printf("postgres_writer_test: skipped (OZ_TEST_POSTGRES_URL "
		       "unset; run make test-postgres)\n");
		return 0;
	}
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(conflict_is_run_again_until_it_commits),
		T(endless_conflict_is_aborted_with_nothing_written),
		T(conflict_swallowed_in_a_savepoint_reruns_the_batch),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
