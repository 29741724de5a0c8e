/* tests/fuzz/json_replay_test.c -- fuzz/json_fuzz.c as a regression test:
 * every input in fuzz/corpus/json_fuzz (the seeds, and any crash input
 * once found) runs through the harness, whose contract checks abort on a
 * failure. Built like any test, so it also runs under the sanitizers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../fuzz/json_fuzz.c"
#include "support/replay.h"

static void
json_corpus_replays_cleanly(void **state)
{
	(void) state;
	test_fuzz_replay("fuzz/corpus/json_fuzz", LLVMFuzzerTestOneInput);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_corpus_replays_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
