/* tests/fuzz/response_replay_test.c -- fuzz/response_fuzz.c as a regression
 * test: every input in fuzz/corpus/response_fuzz (the seeds, and any crash
 * input once found) runs through the harness, whose contract checks abort on a
 * failure. Built like any test, so it also runs under the sanitizers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../fuzz/response_fuzz.c"
#include "support/replay.h"

static void
response_corpus_replays_cleanly(void **state)
{
	(void) state;
	test_fuzz_replay("fuzz/corpus/response_fuzz", LLVMFuzzerTestOneInput);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(response_corpus_replays_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
