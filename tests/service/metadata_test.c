/* tests/service/metadata_test.c -- service_metadata: exact key lookup in
 * the request's metadata, first match wins, absent keys are NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service/service.h"

static void
metadata_returns_the_first_exact_match(void **state)
{
	(void) state;
	Oz__Rpc__V1__Metadata m[4] = {OZ__RPC__V1__METADATA__INIT,
		OZ__RPC__V1__METADATA__INIT, OZ__RPC__V1__METADATA__INIT,
		OZ__RPC__V1__METADATA__INIT};
	Oz__Rpc__V1__Metadata *list[4] = {&m[0], &m[1], &m[2], &m[3]};
	m[0].key = "authorization";
	m[0].value = "Bearer x";
	m[1].key = "idempotency-key";
	m[1].value = "k1";
	m[2].key = "idempotency-key";
	m[2].value = "k2";
	m[3].key = "empty";
	m[3].value = NULL;
	service_ctx cx = {.metadata = list, .n_metadata = 4};
	assert_string_equal(service_metadata(&cx, "idempotency-key"), "k1");
	assert_string_equal(
		service_metadata(&cx, "authorization"), "Bearer x");
	assert_string_equal(service_metadata(&cx, "empty"), "");
	assert_null(service_metadata(&cx, "Authorization"));
	assert_null(service_metadata(&cx, "idempotency"));
	assert_null(service_metadata(&cx, NULL));
	assert_null(service_metadata(NULL, "authorization"));
	cx.n_metadata = 0;
	assert_null(service_metadata(&cx, "authorization"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metadata_returns_the_first_exact_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
