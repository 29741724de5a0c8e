/* tests/core/env_test.c -- configuration lookup: the environment over
 * .env over the default, and the .env syntax (export, quotes, comments,
 * last assignment wins). Writes .env files in a temporary directory and
 * changes into it for env_get; it sets only OZ_TEST_* variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/env.h"

struct envdir {
	char dir[256];
	char path[300];
	char old_cwd[PATH_MAX];
};

static int
setup(void **state)
{
	static struct envdir d;
	snprintf(d.dir, sizeof(d.dir), "/tmp/oz-env-test-XXXXXX");
	assert_non_null(mkdtemp(d.dir));
	snprintf(d.path, sizeof(d.path), "%s/.env", d.dir);
	assert_non_null(getcwd(d.old_cwd, sizeof(d.old_cwd)));
	unsetenv("OZ_TEST_A");
	unsetenv("OZ_TEST_B");
	*state = &d;
	return 0;
}

static int
teardown(void **state)
{
	struct envdir *d = *state;
	assert_int_equal(chdir(d->old_cwd), 0);
	unlink(d->path);
	rmdir(d->dir);
	unsetenv("OZ_TEST_A");
	unsetenv("OZ_TEST_B");
	return 0;
}

static void
write_env(const struct envdir *d, const char *text)
{
	FILE *f = fopen(d->path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The value env_get_from finds for name in text, or "<none>". */
static const char *
lookup(const struct envdir *d, const char *text, const char *name)
{
	static char out[128];
	write_env(d, text);
	if (!env_get_from(name, d->path, out, sizeof(out), NULL)) {
		return "<none>";
	}
	return out;
}

static void
environment_wins_over_dotenv_over_default(void **state)
{
	struct envdir *d = *state;
	char out[64];
	write_env(d, "OZ_TEST_A=from-file\n");
	assert_int_equal(chdir(d->dir), 0);
	/* Only the default. */
	assert_int_equal(env_get("OZ_TEST_B", out, sizeof(out), "dflt"), 0);
	assert_string_equal(out, "dflt");
	/* .env over the default. */
	assert_int_equal(env_get("OZ_TEST_A", out, sizeof(out), "dflt"), 1);
	assert_string_equal(out, "from-file");
	/* The environment over .env, even when empty. */
	setenv("OZ_TEST_A", "from-env", 1);
	assert_int_equal(env_get("OZ_TEST_A", out, sizeof(out), "dflt"), 1);
	assert_string_equal(out, "from-env");
	setenv("OZ_TEST_A", "", 1);
	assert_int_equal(env_get("OZ_TEST_A", out, sizeof(out), "dflt"), 1);
	assert_string_equal(out, "");
}

static void
missing_file_gives_default(void **state)
{
	struct envdir *d = *state;
	char out[16] = "untouched";
	assert_int_equal(chdir(d->dir), 0); /* No .env written. */
	assert_int_equal(env_get("OZ_TEST_A", out, sizeof(out), NULL), 0);
	assert_string_equal(out, "untouched");
	assert_int_equal(
		env_get_from("OZ_TEST_A", NULL, out, sizeof(out), "d"), 0);
	assert_string_equal(out, "d");
}

static void
dotenv_syntax(void **state)
{
	struct envdir *d = *state;
	const struct {
		const char *text, *want;
	} cases[] = {
		{"OZ_TEST_A=plain\n", "plain"},
		{"OZ_TEST_A=plain", "plain"}, /* No final newline. */
		{"export OZ_TEST_A=exported\n", "exported"},
		{"  export   OZ_TEST_A = spaced  \n", "spaced"},
		{"OZ_TEST_A=\"double quoted # not a comment\"\n",
			"double quoted # not a comment"},
		{"OZ_TEST_A='single quoted'\n", "single quoted"},
		{"OZ_TEST_A=\"quoted\" # then a comment\n", "quoted"},
		{"OZ_TEST_A=value # a comment\n", "value"},
		{"OZ_TEST_A=a#b\n", "a#b"},
		{"OZ_TEST_A=\n", ""},
		{"OZ_TEST_A=\"\"\n", ""},
		{"OZ_TEST_A=crlf\r\n", "crlf"},
		{"OZ_TEST_A=sqlite:////var/lib/oz/app.db\n",
			"sqlite:////var/lib/oz/app.db"},
		{"OZ_TEST_A=\"unclosed\n", "\"unclosed"},
		{"# OZ_TEST_A=commented\n", "<none>"},
		{"#OZ_TEST_A=commented\n", "<none>"},
		{"OZ_TEST_AB=longer name\n", "<none>"},
		{"XOZ_TEST_A=prefixed\n", "<none>"},
		{"OZ_TEST_A\n", "<none>"},
		{"OZ_TEST_A=first\nOZ_TEST_B=other\nOZ_TEST_A=last\n", "last"},
		{"\n\n# comment\nOZ_TEST_B=b\n  OZ_TEST_A=after blanks\n",
			"after blanks"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = lookup(d, cases[i].text, "OZ_TEST_A");
		if (strcmp(got, cases[i].want) != 0) {
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got,
				cases[i].want);
		}
	}
}

static void
value_is_truncated_to_buffer(void **state)
{
	struct envdir *d = *state;
	char out[5];
	write_env(d, "OZ_TEST_A=abcdefgh\n");
	assert_int_equal(
		env_get_from("OZ_TEST_A", d->path, out, sizeof(out), NULL), 1);
	assert_string_equal(out, "abcd");
	setenv("OZ_TEST_B", "123456789", 1);
	assert_int_equal(
		env_get_from("OZ_TEST_B", d->path, out, sizeof(out), NULL), 1);
	assert_string_equal(out, "1234");
	assert_int_equal(env_get_from("OZ_TEST_X", d->path, out, sizeof(out),
				 "long"
				 "er"),
		0);
	assert_string_equal(out, "long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			environment_wins_over_dotenv_over_default, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			missing_file_gives_default, setup, teardown),
		cmocka_unit_test_setup_teardown(
			dotenv_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(
			value_is_truncated_to_buffer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
