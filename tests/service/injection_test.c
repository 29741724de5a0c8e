/* tests/service/injection_test.c -- SQL-injection strings through every
 * string field of every request: each is stored and returned verbatim or
 * refused with INVALID_ARGUMENT, and the tables stay intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"

static const char *const payloads[] = {
	"'; DROP TABLE users; --",
	"\" OR \"1\"=\"1",
	"Robert'); DROP TABLE tasks;--",
	"1; DELETE FROM users",
	"%' OR '1'='1",
	"' UNION SELECT sql FROM sqlite_master --",
	"\\'; --",
	"*/ SELECT 1; /*",
	"?1 ?2 :name @x $y",
	"' || (SELECT count(*) FROM users) || '",
};

/* Email-shaped payloads (an email may hold no space). */
static const char *const emails[] = {
	"o'neil'--@x.io",
	"\"1'OR'1'='1\"@x.io",
	"a';DROP/**/TABLE/**/users;--@evil.com",
	"x%'--@y.z",
	"x\"/*@y.z",
	"'or''='@x.io",
	"a@b.c'--",
	"?1@x.io",
	"$y@x.io",
	"x'||'@y.z",
};

#define N (sizeof(payloads) / sizeof(payloads[0]))

static void
injection_strings_are_stored_verbatim(void **state)
{
	fixture *fx = *state;
	int64_t ids[N], tasks[N];
	for (size_t i = 0; i < N; i++) {
		Oz__V1__User *u = fx_user(fx, payloads[i], emails[i]);
		ids[i] = u->id;
		assert_string_equal(u->username, payloads[i]);
		assert_string_equal(u->email, emails[i]);
		Oz__V1__CreateTaskRequest req =
			OZ__V1__CREATE_TASK_REQUEST__INIT;
		Oz__V1__Task t = OZ__V1__TASK__INIT;
		req.user_id = u->id;
		req.title = (char *) payloads[(i + 1) % N];
		req.description = (char *) payloads[(i + 2) % N];
		assert_int_equal(
			fx_call(fx, service_task_create, &req, &t), OZ_OK);
		tasks[i] = t.id;
	}
	for (size_t i = 0; i < N; i++) {
		Oz__V1__User u;
		assert_int_equal(fx_get_user(fx, ids[i], 2, &u), OZ_OK);
		assert_string_equal(u.username, payloads[i]);
		assert_string_equal(u.email, emails[i]);
		assert_int_equal(u.n_tasks, 1);
		assert_string_equal(u.tasks[0]->title, payloads[(i + 1) % N]);
		assert_string_equal(
			u.tasks[0]->description, payloads[(i + 2) % N]);
		Oz__V1__GetUserByEmailRequest req =
			OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
		req.email = (char *) emails[i];
		oz__v1__user__init(&u);
		assert_int_equal(
			fx_call(fx, service_user_get_by_email, &req, &u),
			OZ_OK);
		assert_int_equal(u.id, ids[i]);
		/* Lookups by injection strings find nothing. */
		req.email = (char *) payloads[i];
		assert_int_equal(
			fx_call(fx, service_user_get_by_email, &req, &u),
			OZ_NOT_FOUND);
	}
	/* Updates with payloads, then the same reads. */
	for (size_t i = 0; i < N; i++) {
		Oz__V1__UpdateTaskRequest req =
			OZ__V1__UPDATE_TASK_REQUEST__INIT;
		Oz__V1__Task in = OZ__V1__TASK__INIT, out;
		in.id = tasks[i];
		in.title = (char *) payloads[(i + 5) % N];
		in.description = (char *) emails[i];
		req.task = &in;
		oz__v1__task__init(&out);
		assert_int_equal(
			fx_call(fx, service_task_update, &req, &out), OZ_OK);
		assert_int_equal(fx_get_task(fx, tasks[i], &out), OZ_OK);
		assert_string_equal(out.title, payloads[(i + 5) % N]);
		assert_string_equal(out.description, emails[i]);
	}
	/* Lists by the stored columns return every payload intact. */
	Oz__V1__ListUsersRequest lreq = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse lres = OZ__V1__LIST_USERS_RESPONSE__INIT;
	lreq.order_by = "username desc";
	lreq.page_size = 3;
	size_t seen = 0;
	char token[1024] = "";
	for (int page = 0; page < 10; page++) {
		lreq.page_token = token;
		oz__v1__list_users_response__init(&lres);
		assert_int_equal(
			fx_call(fx, service_user_list, &lreq, &lres), OZ_OK);
		assert_int_equal(lres.total_size, N);
		seen += lres.n_users;
		snprintf(token, sizeof(token), "%s", lres.next_page_token);
		if (token[0] == '\0') {
			break;
		}
	}
	assert_int_equal(seen, N);
}

static void
injection_strings_in_order_by_and_tokens_are_refused(void **state)
{
	fixture *fx = *state;
	fx_user(fx, "alice", "alice@example.com");
	for (size_t i = 0; i < N; i++) {
		Oz__V1__ListUsersRequest req =
			OZ__V1__LIST_USERS_REQUEST__INIT;
		Oz__V1__ListUsersResponse res =
			OZ__V1__LIST_USERS_RESPONSE__INIT;
		req.order_by = (char *) payloads[i];
		assert_int_equal(fx_call(fx, service_user_list, &req, &res),
			OZ_INVALID_ARGUMENT);
		assert_string_equal(fx->st.violations[0].field, "order_by");
		char with_field[128];
		snprintf(with_field, sizeof(with_field), "username, %s",
			payloads[i]);
		req.order_by = with_field;
		assert_int_equal(fx_call(fx, service_user_list, &req, &res),
			OZ_INVALID_ARGUMENT);
		req.order_by = "";
		req.page_token = (char *) payloads[i];
		assert_int_equal(fx_call(fx, service_user_list, &req, &res),
			OZ_INVALID_ARGUMENT);
		fx_expect(fx, OZ_INVALID_ARGUMENT, "invalid page_token");
		Oz__V1__UpdateUserRequest ureq =
			OZ__V1__UPDATE_USER_REQUEST__INIT;
		Google__Protobuf__FieldMask mask =
			GOOGLE__PROTOBUF__FIELD_MASK__INIT;
		Oz__V1__User u = OZ__V1__USER__INIT, out;
		char *paths[] = {(char *) payloads[i]};
		mask.n_paths = 1;
		mask.paths = paths;
		u.id = 1;
		ureq.user = &u;
		ureq.update_mask = &mask;
		oz__v1__user__init(&out);
		assert_int_equal(fx_call(fx, service_user_update, &ureq, &out),
			OZ_INVALID_ARGUMENT);
		assert_string_equal(fx->st.violations[0].field, "update_mask");
	}
	Oz__V1__User u;
	assert_int_equal(fx_get_user(fx, 1, 0, &u), OZ_OK);
	assert_string_equal(u.username, "alice");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			injection_strings_are_stored_verbatim, fx_setup_memory,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			injection_strings_in_order_by_and_tokens_are_refused,
			fx_setup_memory, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
