/* tests/core/log_test.c -- log lines: level names, the level filter, and
 * the line format (UTC time, level, text, one newline, long text cut),
 * and escaping: caller text cannot add a line or a terminal escape.
 * Redirects stderr into a temporary file while it logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Runs fn with stderr sent to a temporary file; returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	char path[] = "/tmp/oz-log-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t) len + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t) len, 0), len);
	close(fd);
	unlink(path);
	return buf;
}

static int
count_newlines(const char *s)
{
	int n = 0;
	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static void
level_names_parse(void **state)
{
	static const char *const names[] = {
		"debug", "info", "warn", "error", "off"};
	for (int i = 0; i <= LOG_OFF; i++) {
		log_level l = LOG_ERROR;
		assert_int_equal(log_level_parse(names[i], &l), 0);
		assert_int_equal(l, i);
	}
	log_level l = LOG_ERROR;
	assert_int_equal(log_level_parse("verbose", &l), -1);
	assert_int_equal(log_level_parse("", &l), -1);
	assert_int_equal(l, LOG_ERROR);
}

static void
log_some(void)
{
	log_set_level(LOG_WARN);
	log_debug("hidden %d", 1);
	log_info("hidden %d", 2);
	log_warn("shown %d", 3);
	log_error("shown %s", "four");
	log_set_level(LOG_OFF);
	log_error("hidden when off");
	log_set_level(LOG_INFO);
}

static void
filter_and_format(void **state)
{
	char *out = capture(log_some);
	/* Two lines: "YYYY-MM-DDTHH:MM:SS.uuuuuuZ LEVEL text". */
	assert_int_equal(count_newlines(out), 2);
	char *second = strchr(out, '\n') + 1;
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
	assert_int_equal(out[19], '.');
	assert_int_equal(out[26], 'Z');
	assert_memory_equal(out + 27, " WARN shown 3\n", 14);
	assert_memory_equal(second + 27, " ERROR shown four\n", 18);
	assert_int_equal(strlen(second), 27 + 18);
	assert_null(strstr(out, "hidden"));
	free(out);
}

static void
log_long(void)
{
	char big[3000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
}

static void
long_line_is_cut_with_newline(void **state)
{
	char *out = capture(log_long);
	size_t len = strlen(out);
	assert_true(len < 1100);
	assert_true(len > 1000);
	assert_int_equal(out[len - 1], '\n');
	assert_int_equal(count_newlines(out), 1);
	free(out);
}

static void
log_forged(void)
{
	log_info("rpc method=%s request-id=%s", "/a\xff",
		"x\n2026-01-01T00:00:00.000000Z ERROR forged\x1b[2J");
}

static void
caller_text_cannot_forge_a_line_or_an_escape(void **state)
{
	char *out = capture(log_forged);
	assert_int_equal(count_newlines(out), 1);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, " INFO rpc method=/a\\xFF request-id="
				    "x\\x0A2026-01-01T00:00:00.000000Z "
				    "ERROR forged\\x1B[2J\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(level_names_parse),
		cmocka_unit_test(filter_and_format),
		cmocka_unit_test(long_line_is_cut_with_newline),
		cmocka_unit_test(caller_text_cannot_forge_a_line_or_an_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
