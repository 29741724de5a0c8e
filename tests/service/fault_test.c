/* tests/service/fault_test.c -- failure paths of the handlers: the
 * request's arena running out at every point of every operation (a write
 * either happens and is reported, or is undone; nothing is left half
 * done, no transaction stays open), and a read-only database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/fixture.h"

#define LIMIT_STEP 48
#define LIMIT_MAX  (64 * 1024)

/* Calls fn with the fixture's context switched to a (bounded) arena. */
static oz_code
call_in(fixture *fx, arena *a, service_fn fn, const void *in, void *out)
{
	fx->cx.arena = a;
	oz_code rc = fx_call(fx, fn, in, out);
	fx->cx.arena = &fx->arena;
	return rc;
}

static int64_t
user_version(fixture *fx, int64_t id)
{
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, id, 0, &u), OZ_OK);
	return strtoll(u.etag, NULL, 10);
}

static bool
email_exists(fixture *fx, const char *email)
{
	Oz__V1__GetUserByEmailRequest req =
		OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
	Oz__V1__User u = OZ__V1__USER__INIT;
	req.email = (char *) email;
	return fx_call(fx, service_user_get_by_email, &req, &u) == OZ_OK;
}

/* Runs one of each operation with an arena of limit bytes; checks that
 * each either succeeds or fails with RESOURCE_EXHAUSTED and leaves the
 * database as if it had not run. Returns how many succeeded. */
static int
run_all(fixture *fx, size_t limit, int64_t uid, int64_t tid)
{
	arena a;
	char name[32], email[48], other[32];
	int ok = 0;
	oz_code rc;
	arena_init(&a, 256, limit);
	snprintf(name, sizeof(name), "new%zu", limit);
	snprintf(email, sizeof(email), "new%zu@example.com", limit);
	snprintf(other, sizeof(other), "upd%zu", limit);

	Oz__V1__CreateUserRequest cu = OZ__V1__CREATE_USER_REQUEST__INIT;
	Oz__V1__User u = OZ__V1__USER__INIT;
	cu.username = name;
	cu.email = email;
	rc = call_in(fx, &a, service_user_create, &cu, &u);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	assert_int_equal(email_exists(fx, email), rc == OZ_OK);
	ok += rc == OZ_OK;

	int64_t before = user_version(fx, uid);
	Oz__V1__UpdateUserRequest uu = OZ__V1__UPDATE_USER_REQUEST__INIT;
	Oz__V1__User patch = OZ__V1__USER__INIT;
	patch.id = uid;
	patch.username = other;
	uu.user = &patch;
	oz__v1__user__init(&u);
	rc = call_in(fx, &a, service_user_update, &uu, &u);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	assert_int_equal(user_version(fx, uid), before + (rc == OZ_OK));
	ok += rc == OZ_OK;

	Oz__V1__CreateTaskRequest ct = OZ__V1__CREATE_TASK_REQUEST__INIT;
	Oz__V1__Task t = OZ__V1__TASK__INIT;
	ct.user_id = uid;
	ct.title = name;
	Oz__V1__User full;
	assert_int_equal(fx_get_user(fx, uid, 2, &full), OZ_OK);
	size_t n_tasks = full.n_tasks;
	rc = call_in(fx, &a, service_task_create, &ct, &t);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	assert_int_equal(fx_get_user(fx, uid, 2, &full), OZ_OK);
	assert_int_equal(full.n_tasks, n_tasks + (rc == OZ_OK));
	ok += rc == OZ_OK;
	if (rc == OZ_OK) {
		/* Keep the user's task list the same size every round. */
		Oz__V1__DeleteTaskRequest dt =
			OZ__V1__DELETE_TASK_REQUEST__INIT;
		Google__Protobuf__Empty none = GOOGLE__PROTOBUF__EMPTY__INIT;
		dt.id = t.id;
		assert_int_equal(
			fx_call(fx, service_task_delete, &dt, &none), OZ_OK);
	}

	Oz__V1__UpdateTaskRequest ut = OZ__V1__UPDATE_TASK_REQUEST__INIT;
	Oz__V1__Task tpatch = OZ__V1__TASK__INIT, cur;
	tpatch.id = tid;
	tpatch.title = name;
	ut.task = &tpatch;
	assert_int_equal(fx_get_task(fx, tid, &cur), OZ_OK);
	int64_t tver = strtoll(cur.etag, NULL, 10);
	oz__v1__task__init(&t);
	rc = call_in(fx, &a, service_task_update, &ut, &t);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	assert_int_equal(fx_get_task(fx, tid, &cur), OZ_OK);
	assert_int_equal(strtoll(cur.etag, NULL, 10), tver + (rc == OZ_OK));
	ok += rc == OZ_OK;

	Oz__V1__GetUserRequest gu = OZ__V1__GET_USER_REQUEST__INIT;
	gu.id = uid;
	gu.view = OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS;
	oz__v1__user__init(&u);
	rc = call_in(fx, &a, service_user_get, &gu, &u);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	ok += rc == OZ_OK;

	Oz__V1__ListUsersRequest lu = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse lur = OZ__V1__LIST_USERS_RESPONSE__INIT;
	lu.page_size = 20;
	lu.order_by = "email desc";
	rc = call_in(fx, &a, service_user_list, &lu, &lur);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	if (rc != OZ_OK) {
		fx_expect(fx, OZ_RESOURCE_EXHAUSTED,
			"page too large for the server's per-request memory "
			"limit; ask for a smaller page");
	}
	ok += rc == OZ_OK;

	Oz__V1__ListTasksRequest lt = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse ltr = OZ__V1__LIST_TASKS_RESPONSE__INIT;
	lt.page_size = 20;
	lt.order_by = "title";
	rc = call_in(fx, &a, service_task_list, &lt, &ltr);
	assert_true(rc == OZ_OK || rc == OZ_RESOURCE_EXHAUSTED);
	ok += rc == OZ_OK;

	arena_fini(&a);
	fx_reset(fx);
	return ok;
}

static void
arena_exhaustion_at_any_point_fails_cleanly(void **state)
{
	fixture *fx = *state;
	Oz__V1__User *u = fx_user(fx, "owner", "owner@example.com");
	int64_t uid = u->id;
	for (int i = 0; i < 30; i++) {
		char name[32], email[48];
		snprintf(name, sizeof(name), "seed%02d", i);
		snprintf(email, sizeof(email), "seed%02d@example.com", i);
		fx_user(fx, name, email);
	}
	int64_t tid = fx_task(fx, uid, "first", 0)->id;
	fx_reset(fx);
	int all = 7, last = -1;
	size_t limit;
	/* (A limit of 0 would mean none.) */
	for (limit = 1; limit <= LIMIT_MAX; limit += LIMIT_STEP) {
		last = run_all(fx, limit, uid, tid);
		if (last == all) {
			break;
		}
	}
	/* Somewhere below LIMIT_MAX every operation fits. */
	assert_int_equal(last, all);
	assert_true(limit > 1);
}

static void
read_only_database_refuses_writes_and_still_reads(void **state)
{
	fixture *fx = *state;
	test_sqlite_only("PRAGMA query_only; a read-only PostgreSQL is "
			 "UNAVAILABLE (postgres_store_test)");
	Oz__V1__User *a = fx_user(fx, "alice", "alice@example.com");
	int64_t id = a->id;
	Oz__V1__User u;
	test_db_exec(fx->db, "PRAGMA query_only = 1");
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	req.username = "bob";
	req.email = "bob@example.com";
	oz__v1__user__init(&u);
	assert_int_equal(fx_call(fx, service_user_create, &req, &u),
		OZ_FAILED_PRECONDITION);
	fx_expect(fx, OZ_FAILED_PRECONDITION, "database is read-only");
	assert_int_equal(fx_get_user(fx, id, 2, &u), OZ_OK);
	assert_string_equal(u.username, "alice");
	test_db_exec(fx->db, "PRAGMA query_only = 0");
	oz__v1__user__init(&u);
	assert_int_equal(fx_call(fx, service_user_create, &req, &u), OZ_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			arena_exhaustion_at_any_point_fails_cleanly,
			fx_setup_memory, fx_teardown),
		cmocka_unit_test_setup_teardown(
			read_only_database_refuses_writes_and_still_reads,
			fx_setup_file, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
