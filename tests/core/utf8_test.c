/* tests/core/utf8_test.c -- UTF-8 validation (the strict rules other
 * languages' protobuf parsers apply) and the one escaper for caller text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/utf8.h"

#define LIT(s) s, sizeof(s) - 1

static void
valid_and_invalid_sequences(void **state)
{
	size_t bad = 99;
	assert_true(utf8_valid(LIT("plain ascii"), &bad));
	assert_true(utf8_valid(
		LIT("\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80"), &bad));
	assert_true(utf8_valid(LIT("\xf4\x8f\xbf\xbf"), &bad)); /* U+10FFFF */
	static const struct {
		const char *s;
		size_t at;
	} bad_cases[] = {
		{"ab\xff", 2},           /* Never a UTF-8 byte. */
		{"\xc0\xaf", 0},         /* Overlong '/'. */
		{"\xe0\x80\xaf", 0},     /* Overlong, 3 bytes. */
		{"x\xed\xa0\x80", 1},    /* Surrogate U+D800. */
		{"\xf4\x90\x80\x80", 0}, /* Past U+10FFFF. */
		{"ok\xe2\x98", 2},       /* Truncated. */
		{"\x80", 0},             /* Lone continuation. */
		{"\xc3(", 0},            /* Bad continuation. */
	};
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		const char *s = bad_cases[i].s;
		assert_false(utf8_valid(s, strlen(s), &bad));
		assert_int_equal(bad, bad_cases[i].at);
	}
}

static void
clean_means_valid_without_controls(void **state)
{
	assert_true(utf8_clean("caf\xc3\xa9 \\ ok"));
	assert_false(utf8_clean("a\nb"));
	assert_false(utf8_clean("\x1b[31m"));
	assert_false(utf8_clean("del\x7f"));
	assert_false(utf8_clean("c1 \xc2\x9b"));
	assert_false(utf8_clean("bad \xff"));
}

static void
escape_keeps_text_and_escapes_the_rest(void **state)
{
	char out[64];
	assert_string_equal(
		utf8_quote(out, sizeof(out), "a\n\x1b\\\xff\xc3\xa9\xc2\x9b"),
		"a\\x0A\\x1B\\\\\\xFF\xc3\xa9\\xC2\\x9B");
	/* Without UTF8_ESC_BACKSLASH (log lines) a backslash stays. */
	assert_string_equal(
		utf8_escape(out, sizeof(out), LIT("a\\b\t"), 0), "a\\b\\x09");
	assert_string_equal(utf8_quote(out, sizeof(out), NULL), "");
	/* A quote is kept unless UTF8_ESC_QUOTE (a quoted log field). */
	assert_string_equal(utf8_quote(out, sizeof(out), "x\"y"), "x\"y");
	assert_string_equal(utf8_escape(out, sizeof(out), LIT("x\"y"),
				    UTF8_ESC_BACKSLASH | UTF8_ESC_QUOTE),
		"x\\\"y");
}

static void
escape_cuts_at_a_whole_character(void **state)
{
	char out[12];
	/* Room for 8 bytes of text: 3 snowmen do not fit, so 2 and "...". */
	utf8_quote(out, sizeof(out), "\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83");
	assert_string_equal(out, "\xe2\x98\x83\xe2\x98\x83...");
	assert_true(utf8_clean(out));
	utf8_quote(out, sizeof(out), "\xff\xff\xff");
	assert_string_equal(out, "\\xFF\\xFF...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_and_invalid_sequences),
		cmocka_unit_test(clean_means_valid_without_controls),
		cmocka_unit_test(escape_keeps_text_and_escapes_the_rest),
		cmocka_unit_test(escape_cuts_at_a_whole_character),
	};
	return cmocka_run_group_tests_name("core/utf8", tests, NULL, NULL);
}
