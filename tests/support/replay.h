/* tests/support/replay.h -- replays fuzz inputs through a libFuzzer
 * harness in an ordinary test program, so the committed seed corpus and
 * every crash input once found (fuzz/corpus/NAME) are regression tests of
 * `make test` and its sanitizer builds. Test code only. */
#ifndef OZ_TESTS_SUPPORT_REPLAY_H
#define OZ_TESTS_SUPPORT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

typedef int (*test_fuzz_fn)(const uint8_t *data, size_t size);

/* Runs fn on every regular file in dir (sorted by name), then on a few
 * fixed edge inputs (empty, one byte of each value 0..255). A harness
 * aborts on a broken contract, so a failure ends the test program. Fails
 * the running cmocka test when dir has no file. Returns the file count. */
int test_fuzz_replay(const char *dir, test_fuzz_fn fn);

#endif /* OZ_TESTS_SUPPORT_REPLAY_H */
