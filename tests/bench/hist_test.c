/* tests/bench/hist_test.c -- ozbench's latency histogram on known data:
 * exact below 256, within 1/128 above, exact min/max, merging equals
 * recording together, and values past the range are clamped, not lost.
 * bench/ is not part of liboz, so the file under test is compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../bench/hist.c"

static hist h, h2;

static void
empty_histogram_reports_zero(void **state)
{
	(void) state;
	hist_init(&h);
	assert_int_equal(hist_quantile(&h, 0.5), 0);
	assert_int_equal(hist_quantile(&h, 1.0), 0);
	assert_int_equal(h.count, 0);
}

static void
small_values_are_exact(void **state)
{
	(void) state;
	hist_init(&h);
	for (uint64_t v = 1; v <= 200; v++) {
		hist_record(&h, v);
	}
	assert_int_equal(hist_quantile(&h, 0.5), 100);
	assert_int_equal(hist_quantile(&h, 0.9), 180);
	assert_int_equal(hist_quantile(&h, 0.99), 198);
	assert_int_equal(hist_quantile(&h, 0.0), 1);
	assert_int_equal(hist_quantile(&h, 1.0), 200);
	assert_int_equal(h.min, 1);
}

/* |got - want| <= want/128, the histogram's promised precision. */
static void
assert_close(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;
	if (d * 128 > want) {
		fail_msg("got %llu, want %llu within 1/128",
			(unsigned long long) got, (unsigned long long) want);
	}
}

static void
percentiles_of_uniform_data_are_within_precision(void **state)
{
	(void) state;
	hist_init(&h);
	/* 1..1,000,000 ns in a scrambled order. */
	for (uint64_t i = 0; i < 1000000; i++) {
		hist_record(&h, (i * 7919) % 1000000 + 1);
	}
	assert_int_equal(h.count, 1000000);
	assert_close(hist_quantile(&h, 0.5), 500000);
	assert_close(hist_quantile(&h, 0.9), 900000);
	assert_close(hist_quantile(&h, 0.99), 990000);
	assert_close(hist_quantile(&h, 0.999), 999000);
	assert_int_equal(hist_quantile(&h, 1.0), 1000000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(h.min, 1);
	/* Never above the true value's bucket, never above max. */
	assert_true(hist_quantile(&h, 0.9999) <= 1000000);
}

static void
skewed_data_reports_the_tail(void **state)
{
	(void) state;
	hist_init(&h);
	/* 990 fast calls of 100 us, 9 of 5 ms and one of 80 ms. */
	for (int i = 0; i < 990; i++) {
		hist_record(&h, 100000);
	}
	for (int i = 0; i < 9; i++) {
		hist_record(&h, 5000000);
	}
	hist_record(&h, 80000000);
	assert_close(hist_quantile(&h, 0.5), 100000);
	assert_close(hist_quantile(&h, 0.99), 100000);
	assert_close(hist_quantile(&h, 0.995), 5000000);
	assert_close(hist_quantile(&h, 0.999), 5000000);
	assert_int_equal(hist_quantile(&h, 1.0), 80000000);
}

static void
merge_equals_recording_together(void **state)
{
	(void) state;
	hist together;
	hist_init(&h);
	hist_init(&h2);
	hist_init(&together);
	for (uint64_t v = 1; v < 300000; v += 13) {
		hist_record(v % 2 ? &h : &h2, v);
		hist_record(&together, v);
	}
	hist_merge(&h, &h2);
	assert_int_equal(h.count, together.count);
	assert_int_equal(h.min, together.min);
	assert_int_equal(h.max, together.max);
	assert_memory_equal(h.counts, together.counts, sizeof(h.counts));
}

static void
huge_values_are_clamped_not_lost(void **state)
{
	(void) state;
	hist_init(&h);
	hist_record(&h, UINT64_MAX);
	hist_record(&h, (uint64_t) 1 << 50);
	assert_int_equal(h.count, 2);
	assert_int_equal(hist_quantile(&h, 1.0), UINT64_MAX);
	assert_true(hist_quantile(&h, 0.5) > ((uint64_t) 1 << 39));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_histogram_reports_zero),
		cmocka_unit_test(small_values_are_exact),
		cmocka_unit_test(
			percentiles_of_uniform_data_are_within_precision),
		cmocka_unit_test(skewed_data_reports_the_tail),
		cmocka_unit_test(merge_equals_recording_together),
		cmocka_unit_test(huge_values_are_clamped_not_lost),
	};
	return cmocka_run_group_tests_name("bench/hist", tests, NULL, NULL);
}
