/* tests/service/user_test.c -- the UserService rules of issue 2 §5, each
 * asserting the exact code, message and field violations, on :memory: and
 * on a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"

static oz_code
create(fixture *fx, const char *username, const char *email, Oz__V1__User *out)
{
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	req.username = (char *) username;
	req.email = (char *) email;
	oz__v1__user__init(out);
	return fx_call(fx, service_user_create, &req, out);
}

static void
create_user_returns_user_active_by_default(void **state)
{
	fixture *fx = *state;
	Oz__V1__User u;
	assert_int_equal(create(fx, "alice", "alice@example.com", &u), OZ_OK);
	assert_true(u.id > 0);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.email, "alice@example.com");
	assert_true(u.is_active);
	assert_non_null(u.create_time);
	assert_true(u.create_time->seconds > 1600000000);
	assert_memory_equal(u.etag, "1-", 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			create_user_returns_user_active_by_default,
			fx_setup_memory, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
