/* tests/support/replay.c -- replay fuzz inputs through a harness (see
 * replay.h). Reads only the given directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/replay.h"

#define REPLAY_MAX_FILES 1000
#define REPLAY_MAX_BYTES (1u << 20)

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
replay_file(const char *path, test_fuzz_fn fn)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(REPLAY_MAX_BYTES);
	assert_non_null(buf);
	size_t n = fread(buf, 1, REPLAY_MAX_BYTES, f);
	fclose(f);
	fn(buf, n);
	free(buf);
}

int
test_fuzz_replay(const char *dir, test_fuzz_fn fn)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fail_msg("cannot open %s (run from the repository root)", dir);
	}
	char *names[REPLAY_MAX_FILES];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < REPLAY_MAX_FILES) {
		if (e->d_name[0] != '.') {
			names[n] = strdup(e->d_name);
			assert_non_null(names[n]);
			n++;
		}
	}
	closedir(d);
	assert_true(n > 0);
	qsort(names, (size_t) n, sizeof(names[0]), by_name);
	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		replay_file(path, fn);
		free(names[i]);
	}
	fn((const uint8_t *) "", 0);
	for (int b = 0; b < 256; b++) {
		uint8_t one = (uint8_t) b;
		fn(&one, 1);
	}
	return n;
}
