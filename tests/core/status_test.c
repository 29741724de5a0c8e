/* tests/core/status_test.c -- oz_status: oz_fail, field violations and
 * their cap, truncation, and the code names both ways. Pure functions: no
 * files, no threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "oz/status.h"

static void
fail_sets_code_and_message(void **state)
{
	oz_status st;
	oz_status_clear(&st);
	assert_int_equal(
		oz_fail(&st, OZ_NOT_FOUND, "User not found"), OZ_NOT_FOUND);
	assert_int_equal(st.code, OZ_NOT_FOUND);
	assert_string_equal(st.message, "User not found");
	assert_int_equal(
		oz_fail(&st, OZ_FAILED_PRECONDITION, "User has %d tasks", 3),
		OZ_FAILED_PRECONDITION);
	assert_string_equal(st.message, "User has 3 tasks");
	/* A NULL status still gives the code back. */
	assert_int_equal(oz_fail(NULL, OZ_INTERNAL, "x"), OZ_INTERNAL);
}

static void
fail_keeps_violations(void **state)
{
	oz_status st;
	oz_status_clear(&st);
	oz_status_violation(&st, "username", "must be 1 to %d characters", 50);
	oz_status_violation(&st, "email", "must look like an email");
	oz_fail(&st, OZ_INVALID_ARGUMENT, "invalid request");
	assert_int_equal(st.n_violations, 2);
	assert_string_equal(st.violations[0].field, "username");
	assert_string_equal(
		st.violations[0].description, "must be 1 to 50 characters");
	assert_string_equal(st.violations[1].field, "email");
	assert_string_equal(
		st.violations[1].description, "must look like an email");
}

static void
clear_resets_everything(void **state)
{
	oz_status st;
	oz_fail(&st, OZ_INTERNAL, "boom");
	st.n_violations = 0;
	oz_status_violation(&st, "f", "d");
	oz_status_clear(&st);
	assert_int_equal(st.code, OZ_OK);
	assert_string_equal(st.message, "");
	assert_int_equal(st.n_violations, 0);
}

static void
violations_are_capped(void **state)
{
	oz_status st;
	oz_status_clear(&st);
	for (int i = 0; i < OZ_VIOLATIONS_MAX + 5; i++) {
		char field[16];
		snprintf(field, sizeof(field), "f%d", i);
		oz_status_violation(&st, field, "bad %d", i);
	}
	assert_int_equal(st.n_violations, OZ_VIOLATIONS_MAX);
	/* The first ones are kept, in order. */
	for (int i = 0; i < OZ_VIOLATIONS_MAX; i++) {
		char want[16];
		snprintf(want, sizeof(want), "f%d", i);
		assert_string_equal(st.violations[i].field, want);
		snprintf(want, sizeof(want), "bad %d", i);
		assert_string_equal(st.violations[i].description, want);
	}
	oz_status_violation(NULL, "f", "no-op");
}

static void
long_text_is_truncated(void **state)
{
	char big[1000];
	oz_status st;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	oz_status_clear(&st);
	oz_fail(&st, OZ_INVALID_ARGUMENT, "%s", big);
	assert_int_equal(strlen(st.message), OZ_STATUS_MESSAGE_MAX - 1);
	oz_status_violation(&st, big, "%s", big);
	assert_int_equal(
		strlen(st.violations[0].field), OZ_VIOLATION_FIELD_MAX - 1);
	assert_int_equal(strlen(st.violations[0].description),
		OZ_VIOLATION_DESC_MAX - 1);
}

static void
code_names_round_trip(void **state)
{
	assert_int_equal(OZ_CODE_COUNT, 17);
	for (int i = 0; i < OZ_CODE_COUNT; i++) {
		const char *name = oz_code_name(i);
		assert_non_null(name);
		assert_int_equal(oz_code_from_name(name), i);
	}
	/* The gRPC numbers (grpc doc/statuscodes.md). */
	assert_string_equal(oz_code_name(OZ_OK), "OK");
	assert_int_equal(OZ_NOT_FOUND, 5);
	assert_string_equal(oz_code_name(5), "NOT_FOUND");
	assert_string_equal(oz_code_name(9), "FAILED_PRECONDITION");
	assert_string_equal(oz_code_name(14), "UNAVAILABLE");
	assert_string_equal(oz_code_name(16), "UNAUTHENTICATED");
	/* Outside 0..16 is UNKNOWN; unknown names are -1. */
	assert_string_equal(oz_code_name(-1), "UNKNOWN");
	assert_string_equal(oz_code_name(17), "UNKNOWN");
	assert_int_equal(oz_code_from_name("not_found"), -1);
	assert_int_equal(oz_code_from_name("NOPE"), -1);
	assert_int_equal(oz_code_from_name(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fail_sets_code_and_message),
		cmocka_unit_test(fail_keeps_violations),
		cmocka_unit_test(clear_resets_everything),
		cmocka_unit_test(violations_are_capped),
		cmocka_unit_test(long_text_is_truncated),
		cmocka_unit_test(code_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
