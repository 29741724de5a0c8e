/* tests/core/arena_test.c -- the request arena: alignment, zeroing, big
 * allocations, reset reusing the first block, the per-request limit and
 * the protobuf-c allocator. ASan checks that fini frees every block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/arena.h"

static void
allocations_are_aligned(void **state)
{
	arena a;
	arena_init(&a, 256, 0);
	for (size_t n = 0; n < 300; n += 7) {
		unsigned char *p = arena_alloc(&a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t) p % _Alignof(max_align_t), 0);
		assert_int_equal((uintptr_t) p % 16, 0);
		memset(p, 0xab, n); /* ASan: the whole size is usable. */
	}
	arena_fini(&a);
}

static void
allocations_do_not_overlap(void **state)
{
	arena a;
	unsigned char *p[100];
	arena_init(&a, 128, 0);
	for (int i = 0; i < 100; i++) {
		p[i] = arena_alloc(&a, 24);
		assert_non_null(p[i]);
		memset(p[i], i, 24);
	}
	for (int i = 0; i < 100; i++) {
		for (int j = 0; j < 24; j++) {
			assert_int_equal(p[i][j], i);
		}
	}
	assert_int_equal(a.used, 100 * 32);
	arena_fini(&a);
}

static void
calloc_and_strdup(void **state)
{
	arena a;
	arena_init(&a, 0, 0);
	unsigned char *z = arena_alloc(&a, 64);
	memset(z, 0xff, 64);
	arena_reset(&a);
	z = arena_calloc(&a, 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(z[i], 0);
	}
	char *s = arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	char *t = arena_strndup(&a, "hello world", 5);
	assert_string_equal(t, "hello");
	char *e = arena_strndup(&a, "", 0);
	assert_string_equal(e, "");
	arena_fini(&a);
}

static void
big_allocation_gets_own_block(void **state)
{
	arena a;
	arena_init(&a, 64, 0);
	char *small = arena_alloc(&a, 16);
	char *big = arena_alloc(&a, 10000);
	assert_non_null(small);
	assert_non_null(big);
	memset(big, 1, 10000);
	strcpy(small, "still here");
	assert_string_equal(small, "still here");
	arena_fini(&a);
}

static void
reset_keeps_memory_reusable(void **state)
{
	arena a;
	arena_init(&a, 1024, 0);
	void *first = arena_alloc(&a, 100);
	for (int i = 0; i < 50; i++) {
		assert_non_null(arena_alloc(&a, 500)); /* More blocks. */
	}
	arena_reset(&a);
	assert_int_equal(a.used, 0);
	/* The first block is kept: the next allocation reuses it. */
	assert_ptr_equal(arena_alloc(&a, 100), first);
	for (int round = 0; round < 3; round++) {
		arena_reset(&a);
		assert_ptr_equal(arena_alloc(&a, 8), first);
	}
	/* Reset on an arena that never allocated is fine. */
	arena b;
	arena_init(&b, 0, 0);
	arena_reset(&b);
	assert_non_null(arena_alloc(&b, 1));
	arena_fini(&b);
	arena_fini(&a);
	/* After fini the arena can be initialised and used again. */
	arena_init(&a, 0, 0);
	assert_non_null(arena_alloc(&a, 1));
	arena_fini(&a);
}

static void
limit_caps_one_request(void **state)
{
	arena a;
	arena_init(&a, 64, 100);
	assert_non_null(arena_alloc(&a, 64));
	assert_null(arena_alloc(&a, 48));     /* 64 + 48 > 100 */
	assert_non_null(arena_alloc(&a, 32)); /* 96 */
	assert_null(arena_alloc(&a, 1));      /* 96 + 16 > 100 */
	assert_null(arena_strdup(&a, "x"));
	assert_null(arena_calloc(&a, 8));
	arena_reset(&a);
	assert_non_null(arena_alloc(&a, 96));
	arena_fini(&a);
}

static void
huge_sizes_fail_cleanly(void **state)
{
	arena a;
	arena_init(&a, 0, 0);
	assert_null(arena_alloc(&a, SIZE_MAX));
	assert_null(arena_alloc(&a, SIZE_MAX - 8));
	/* Rounds up without wrapping, but no block header fits after it. */
	assert_null(arena_alloc(&a, SIZE_MAX - 40));
	assert_non_null(arena_alloc(&a, 8));
	arena_fini(&a);
	/* With a limit, used + n must not wrap past it. */
	arena_init(&a, 0, 1000);
	assert_non_null(arena_alloc(&a, 16));
	assert_null(arena_alloc(&a, SIZE_MAX - 40));
	assert_null(arena_alloc(&a, SIZE_MAX / 2 + 1));
	assert_non_null(arena_alloc(&a, 16));
	arena_fini(&a);
}

static void
protobuf_allocator_uses_arena(void **state)
{
	arena a;
	arena_init(&a, 0, 0);
	ProtobufCAllocator *pb = arena_pb(&a);
	void *p = pb->alloc(pb->allocator_data, 40);
	assert_non_null(p);
	assert_int_equal(a.used, 48);
	pb->free(pb->allocator_data, p); /* A no-op: reset frees. */
	assert_int_equal(a.used, 48);
	arena_reset(&a);
	assert_int_equal(a.used, 0);
	arena_fini(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_aligned),
		cmocka_unit_test(allocations_do_not_overlap),
		cmocka_unit_test(calloc_and_strdup),
		cmocka_unit_test(big_allocation_gets_own_block),
		cmocka_unit_test(reset_keeps_memory_reusable),
		cmocka_unit_test(limit_caps_one_request),
		cmocka_unit_test(huge_sizes_fail_cleanly),
		cmocka_unit_test(protobuf_allocator_uses_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
