/* tests/core/base64_test.c -- the one base64 codec: RFC 4648 test vectors
 * in both forms, what each form reads, and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/base64.h"

/* RFC 4648 §10 vectors; url is the §5 form without padding. */
static const struct {
	const char *raw, *std, *url;
} vectors[] = {
	{"", "", ""},
	{"f", "Zg==", "Zg"},
	{"fo", "Zm8=", "Zm8"},
	{"foo", "Zm9v", "Zm9v"},
	{"foob", "Zm9vYg==", "Zm9vYg"},
	{"fooba", "Zm9vYmE=", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void
rfc_vectors_both_ways(void **state)
{
	char out[16];
	unsigned char raw[16];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t n = strlen(vectors[i].raw);
		assert_int_equal(
			oz_base64_len(n, OZ_BASE64), strlen(vectors[i].std));
		assert_int_equal(oz_base64_len(n, OZ_BASE64URL),
			strlen(vectors[i].url));
		oz_base64_encode(vectors[i].raw, n, OZ_BASE64, out);
		assert_string_equal(out, vectors[i].std);
		oz_base64_encode(vectors[i].raw, n, OZ_BASE64URL, out);
		assert_string_equal(out, vectors[i].url);
		assert_int_equal(
			oz_base64_decode(vectors[i].std,
				strlen(vectors[i].std), OZ_BASE64, raw),
			n);
		assert_memory_equal(raw, vectors[i].raw, n);
		assert_int_equal(
			oz_base64_decode(vectors[i].url,
				strlen(vectors[i].url), OZ_BASE64URL, raw),
			n);
		assert_memory_equal(raw, vectors[i].raw, n);
	}
}

static void
alphabets_differ_in_two_characters(void **state)
{
	static const unsigned char raw[] = {0xfb, 0xff, 0xbf};
	char out[8];
	unsigned char back[8];
	oz_base64_encode(raw, sizeof(raw), OZ_BASE64, out);
	assert_string_equal(out, "+/+/");
	oz_base64_encode(raw, sizeof(raw), OZ_BASE64URL, out);
	assert_string_equal(out, "-_-_");
	/* Standard reads both alphabets (proto3 JSON); url only its own. */
	assert_int_equal(oz_base64_decode("-_+/", 4, OZ_BASE64, back), 3);
	assert_memory_equal(back, raw, 3);
	assert_int_equal(oz_base64_decode("+/+/", 4, OZ_BASE64URL, back), -1);
}

static void
bad_input_is_refused(void **state)
{
	unsigned char out[16];
	/* A length of 4k+1 never encodes anything. */
	assert_int_equal(oz_base64_decode("Zm9vY", 5, OZ_BASE64URL, out), -1);
	assert_int_equal(oz_base64_decode("Zm9vY", 5, OZ_BASE64, out), -1);
	/* Padding: optional for standard, up to two; never for url. */
	assert_int_equal(oz_base64_decode("Zg", 2, OZ_BASE64, out), 1);
	assert_int_equal(oz_base64_decode("Zg===", 5, OZ_BASE64, out), -1);
	assert_int_equal(oz_base64_decode("Zg==", 4, OZ_BASE64URL, out), -1);
	/* Non-zero unused bits: a second spelling of "f", refused by url. */
	assert_int_equal(oz_base64_decode("Zh", 2, OZ_BASE64URL, out), -1);
	assert_int_equal(oz_base64_decode("Zh", 2, OZ_BASE64, out), 1);
	assert_int_equal(oz_base64_decode("Z!", 2, OZ_BASE64, out), -1);
	assert_int_equal(oz_base64_decode("Z\0", 2, OZ_BASE64URL, out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc_vectors_both_ways),
		cmocka_unit_test(alphabets_differ_in_two_characters),
		cmocka_unit_test(bad_input_is_refused),
	};
	return cmocka_run_group_tests_name("core/base64", tests, NULL, NULL);
}
