/* tests/service/paging_test.c -- the pure paging module: page sizes,
 * order_by parsing, the page-token codec (round trips of every kind of
 * key, and refusal of every kind of malformed token), and a bounded
 * random-input run that must never crash or accept garbage silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/paging.h"
#include "store/task_store.h"
#include "store/user_store.h"

static int64_t total; /* paging_token_decode's total_size. */
static arena a;

static int
setup(void **state)
{
	(void) state;
	arena_init(&a, 0, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	arena_fini(&a);
	return 0;
}

static oz_code
parse(const char *s, store_order *o, oz_status *st)
{
	oz_status_clear(st);
	return paging_order_parse(
		s, store_user_columns, STORE_USER_NCOLS, o, st);
}

/* Checks that s parses to the keys given as "name+" / "name-" words. */
static void
expect_order(const char *s, int n, ...)
{
	store_order o;
	oz_status st;
	if (parse(s, &o, &st) != OZ_OK) {
		fail_msg("\"%s\": %s", s, st.message);
	}
	assert_int_equal(o.n, n);
	va_list ap;
	va_start(ap, n);
	for (int k = 0; k < n; k++) {
		const char *want = va_arg(ap, const char *);
		char got[64];
		snprintf(got, sizeof(got), "%s%c",
			store_user_columns[o.keys[k].col].name,
			o.keys[k].desc ? '-' : '+');
		assert_string_equal(got, want);
	}
	va_end(ap);
}

static void
page_size_defaults_caps_and_refuses_negatives(void **state)
{
	(void) state;
	int64_t size;
	oz_status st;
	oz_status_clear(&st);
	assert_int_equal(paging_size(0, 0, &size, &st), OZ_OK);
	assert_int_equal(size, 50);
	assert_int_equal(paging_size(1, 0, &size, &st), OZ_OK);
	assert_int_equal(size, 1);
	assert_int_equal(paging_size(1000, 5, &size, &st), OZ_OK);
	assert_int_equal(size, 1000);
	assert_int_equal(paging_size(1001, 0, &size, &st), OZ_OK);
	assert_int_equal(size, 1000);
	assert_int_equal(paging_size(-1, 0, &size, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message, "invalid request");
	assert_int_equal(st.n_violations, 1);
	assert_string_equal(st.violations[0].field, "page_size");
	oz_status_clear(&st);
	assert_int_equal(paging_size(3, -1, &size, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.violations[0].field, "skip");
}

static void
order_by_parses_to_keys_ending_with_id(void **state)
{
	(void) state;
	expect_order("", 1, "id+");
	expect_order(" \t ", 1, "id+");
	expect_order(NULL, 1, "id+");
	expect_order("id desc", 1, "id-");
	expect_order("username", 2, "username+", "id+");
	expect_order("username DESC", 2, "username-", "id-");
	expect_order("\temail  desc , create_time\t", 3, "email-",
		"create_time+", "id+");
	expect_order("create_time desc, id asc", 2, "create_time-", "id+");
	/* id is unique: keys after it change nothing and are dropped. */
	expect_order("id, username desc", 1, "id+");
	expect_order("username, email, create_time", 4, "username+", "email+",
		"create_time+", "id+");
}

static void
order_by_refuses_unknown_and_malformed_items(void **state)
{
	(void) state;
	store_order o;
	oz_status st;
	assert_int_equal(parse("title", &o, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message, "unknown order_by field \"title\"");
	assert_int_equal(st.n_violations, 1);
	assert_string_equal(st.violations[0].field, "order_by");
	assert_string_equal(
		st.violations[0].description, "unknown field \"title\"");
	/* Non-printable bytes are never echoed. */
	assert_int_equal(parse("\x01na\xffme", &o, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message, "unknown order_by field \"?na?me\"");
	static const char *const bad[] = {",", "id,", " ,id", "id desc asc",
		"email descending", "email,email", "email, email desc",
		"email - desc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &o, &st), OZ_INVALID_ARGUMENT);
		assert_string_equal(st.message, "invalid order_by");
		assert_string_equal(st.violations[0].field, "order_by");
	}
	char big[PAGING_ORDER_BY_MAX + 2];
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &o, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message, "invalid order_by");
}

static void
hash_depends_on_resource_filter_and_order(void **state)
{
	(void) state;
	store_order a1, a2, d1;
	oz_status st;
	parse("email", &a1, &st);
	parse(" email asc , id ", &a2, &st);
	parse("email desc", &d1, &st);
	const store_column *c = store_user_columns;
	uint64_t h = paging_hash("users", "f", &a1, c);
	assert_true(h == paging_hash("users", "f", &a2, c));
	assert_true(h != paging_hash("users", "g", &a1, c));
	assert_true(h != paging_hash("tasks", "f", &a1, c));
	assert_true(h != paging_hash("users", "f", &d1, c));
}

/* Round-trips key through a token for order o. */
static void
round_trip(
	const store_order *o, const store_column *cols, const store_value *key)
{
	char *token;
	store_value *got;
	oz_status st;
	oz_status_clear(&st);
	assert_int_equal(
		paging_token_encode(77, 12345, o, key, &a, &token, &st),
		OZ_OK);
	for (const char *p = token; *p != '\0'; p++) {
		assert_non_null(
			strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
			       "nopqrstuvwxyz0123456789-_",
				*p));
	}
	assert_int_equal(
		paging_token_decode(token, 77, o, cols, &a, &got, &total, &st),
		OZ_OK);
	assert_true(total == 12345); /* total_size rides along. */
	for (int k = 0; k < o->n; k++) {
		assert_int_equal(got[k].type, key[k].type);
		if (key[k].type == STORE_TEXT) {
			assert_string_equal(got[k].s, key[k].s);
		} else {
			assert_true(got[k].i == key[k].i);
		}
	}
	assert_int_equal(
		paging_token_decode(token, 78, o, cols, &a, &got, &total, &st),
		OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message,
		"page_token does not match this request's filter and "
		"order_by");
}

static void
token_round_trips_every_kind_of_key(void **state)
{
	(void) state;
	store_order o;
	oz_status st;
	assert_int_equal(
		paging_order_parse("title desc, status, create_time",
			store_task_columns, STORE_TASK_NCOLS, &o, &st),
		OZ_OK);
	assert_int_equal(o.n, 4);
	char longest[PAGING_TEXT_MAX + 1];
	memset(longest, 'q', PAGING_TEXT_MAX);
	longest[PAGING_TEXT_MAX] = '\0';
	const char *texts[] = {"", "a", "O'Reilly \"; DROP TABLE tasks; --",
		"\xe2\x82\xac\xf0\x9f\x98\x80", longest};
	const int64_t ints[] = {0, 1, -1, INT64_MAX, INT64_MIN, 255, 256};
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
			store_value key[4] = {{STORE_TEXT, 0, texts[t]},
				{STORE_INT, ints[i], NULL},
				{STORE_INT, ints[(i + 3) % 7], NULL},
				{STORE_INT, ints[(i + 5) % 7], NULL}};
			round_trip(&o, store_task_columns, key);
		}
	}
	/* The id-only order. */
	store_order id = {1, {{0, true}}};
	store_value k1 = {STORE_INT, 123456789, NULL};
	round_trip(&id, store_task_columns, &k1);
	/* A text past the limit cannot be encoded. */
	char *token;
	char over[PAGING_TEXT_MAX + 2];
	memset(over, 'q', sizeof(over) - 1);
	over[sizeof(over) - 1] = '\0';
	store_value key[4] = {{STORE_TEXT, 0, over}, {STORE_INT, 0, NULL},
		{STORE_INT, 0, NULL}, {STORE_INT, 0, NULL}};
	assert_int_equal(paging_token_encode(1, 0, &o, key, &a, &token, &st),
		OZ_INTERNAL);
}

static void
b64(const unsigned char *raw, size_t n, char *out)
{
	char *s = paging_base64url(&a, raw, n);
	assert_non_null(s);
	strcpy(out, s);
}

static void
base64url_matches_rfc4648_vectors(void **state)
{
	(void) state;
	static const char *const vectors[][2] = {{"", ""}, {"f", "Zg"},
		{"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
		{"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
		{"\xfb\xff\xbf", "-_-_"}};
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char out[16];
		b64((const unsigned char *) vectors[i][0],
			strlen(vectors[i][0]), out);
		assert_string_equal(out, vectors[i][1]);
	}
}

/* A raw token for order (status, id) with hash 5: header + keys. */
static size_t
raw_token(unsigned char *raw, int version, int n, int type0)
{
	size_t at = 0;
	raw[at++] = (unsigned char) version;
	for (int i = 0; i < 7; i++) {
		raw[at++] = 0;
	}
	raw[at++] = 5;
	raw[at++] = (unsigned char) n;
	raw[at++] = (unsigned char) type0;
	for (int i = 0; i < 8; i++) {
		raw[at++] = i == 7 ? 2 : 0;
	}
	raw[at++] = STORE_INT;
	for (int i = 0; i < 8; i++) {
		raw[at++] = i == 7 ? 9 : 0;
	}
	return at;
}

static oz_code
decode_raw(const unsigned char *raw, size_t n, const store_order *o,
	oz_status *st)
{
	char token[512];
	store_value *got;
	b64(raw, n, token);
	oz_status_clear(st);
	return paging_token_decode(
		token, 5, o, store_task_columns, &a, &got, &total, st);
}

static void
token_decode_refuses_every_malformed_form(void **state)
{
	(void) state;
	store_order o = {
		2, {{STORE_TASK_STATUS, false}, {STORE_TASK_ID, false}}};
	unsigned char raw[256];
	oz_status st;
	size_t n = raw_token(raw, 1, 2, STORE_INT);
	assert_int_equal(decode_raw(raw, n, &o, &st), OZ_OK);
	assert_true(total == -1); /* Version 1 carries no total. */
	/* Version, key count, key type. */
	n = raw_token(raw, 3, 2, STORE_INT);
	assert_int_equal(decode_raw(raw, n, &o, &st), OZ_INVALID_ARGUMENT);
	assert_string_equal(st.message, "invalid page_token");
	assert_string_equal(st.violations[0].field, "page_token");
	n = raw_token(raw, 1, 3, STORE_INT);
	assert_int_equal(decode_raw(raw, n, &o, &st), OZ_INVALID_ARGUMENT);
	n = raw_token(raw, 1, 2, STORE_TEXT);
	assert_int_equal(decode_raw(raw, n, &o, &st), OZ_INVALID_ARGUMENT);
	/* Every truncation, and a byte too many. */
	n = raw_token(raw, 1, 2, STORE_INT);
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(
			decode_raw(raw, cut, &o, &st), OZ_INVALID_ARGUMENT);
	}
	raw[n] = 0;
	assert_int_equal(decode_raw(raw, n + 1, &o, &st), OZ_INVALID_ARGUMENT);
	/* Texts: too long, a NUL inside, invalid UTF-8, length past end. */
	store_order t = {
		2, {{STORE_TASK_TITLE, false}, {STORE_TASK_ID, false}}};
	static const struct {
		const char *bytes;
		size_t len;
		size_t claimed;
		oz_code want;
	} texts[] = {
		{"abc", 3, 3, OZ_OK},
		{"a\0c", 3, 3, OZ_INVALID_ARGUMENT},
		{"\xc3(", 2, 2, OZ_INVALID_ARGUMENT},
		{"abc", 3, 4, OZ_INVALID_ARGUMENT},
		{"abc", 3, 2, OZ_INVALID_ARGUMENT},
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t at = 0;
		raw[at++] = 1;
		memset(raw + at, 0, 7);
		at += 7;
		raw[at++] = 5;
		raw[at++] = 2;
		raw[at++] = STORE_TEXT;
		raw[at++] = (unsigned char) (texts[i].claimed >> 8);
		raw[at++] = (unsigned char) texts[i].claimed;
		memcpy(raw + at, texts[i].bytes, texts[i].len);
		at += texts[i].len;
		raw[at++] = STORE_INT;
		memset(raw + at, 0, 8);
		at += 8;
		assert_int_equal(decode_raw(raw, at, &t, &st), texts[i].want);
	}
	/* A text length past PAGING_TEXT_MAX, even if the bytes follow. */
	static unsigned char big[PAGING_TEXT_MAX + 64];
	size_t at = 0;
	big[at++] = 1;
	memset(big + at, 0, 7);
	at += 7;
	big[at++] = 5;
	big[at++] = 2;
	big[at++] = STORE_TEXT;
	big[at++] = (PAGING_TEXT_MAX + 1) >> 8;
	big[at++] = (PAGING_TEXT_MAX + 1) & 0xff;
	memset(big + at, 'x', PAGING_TEXT_MAX + 1);
	at += PAGING_TEXT_MAX + 1;
	big[at++] = STORE_INT;
	memset(big + at, 0, 8);
	at += 8;
	static char token[4 * sizeof(big) / 3 + 8];
	store_value *got;
	b64(big, at, token);
	assert_int_equal(paging_token_decode(token, 5, &t, store_task_columns,
				 &a, &got, &total, &st),
		OZ_INVALID_ARGUMENT);
	/* Base64 itself: padding, bad characters, bad length, stray bits. */
	static const char *const bad[] = {"", "=", "AQ==", "AQ=", "A", "AB",
		"A+/A", "AAAA AAAA", "AAAAA", "\xc3\xa9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			paging_token_decode(bad[i], 5, &t, store_task_columns,
				&a, &got, &total, &st),
			OZ_INVALID_ARGUMENT);
	}
	assert_int_equal(paging_token_decode(NULL, 5, &t, store_task_columns,
				 &a, &got, &total, &st),
		OZ_INVALID_ARGUMENT);
}

static void
random_tokens_never_crash_and_garbage_is_refused(void **state)
{
	(void) state;
	store_order o = {
		2, {{STORE_TASK_TITLE, false}, {STORE_TASK_ID, false}}};
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		unsigned char raw[96];
		char token[160];
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t n = 1 + (seed >> 33) % 64;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1;
			raw[i] = (unsigned char) (seed >> 56);
		}
		/* Half of the inputs get a valid header, to reach the keys. */
		if (iter % 2 == 0 && n > 10) {
			raw[0] = 1;
			memset(raw + 1, 0, 7);
			raw[8] = 5;
			raw[9] = 2;
			raw[10] = (unsigned char) (1 + raw[10] % 2);
		}
		b64(raw, n, token);
		store_value *got;
		oz_status st;
		oz_status_clear(&st);
		oz_code rc = paging_token_decode(token, 5, &o,
			store_task_columns, &a, &got, &total, &st);
		assert_true(rc == OZ_OK || rc == OZ_INVALID_ARGUMENT);
		accepted += rc == OZ_OK;
		/* Raw bytes as a token string. */
		raw[n] = '\0';
		rc = paging_token_decode((const char *) raw, 5, &o,
			store_task_columns, &a, &got, &total, &st);
		assert_true(rc == OZ_OK || rc == OZ_INVALID_ARGUMENT);
		if (iter % 1000 == 0) {
			arena_reset(&a);
		}
	}
	/* Random bytes almost never form a whole valid token. */
	assert_true(accepted < 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			page_size_defaults_caps_and_refuses_negatives),
		cmocka_unit_test(order_by_parses_to_keys_ending_with_id),
		cmocka_unit_test(order_by_refuses_unknown_and_malformed_items),
		cmocka_unit_test(hash_depends_on_resource_filter_and_order),
		cmocka_unit_test(base64url_matches_rfc4648_vectors),
		cmocka_unit_test(token_round_trips_every_kind_of_key),
		cmocka_unit_test(token_decode_refuses_every_malformed_form),
		cmocka_unit_test(
			random_tokens_never_crash_and_garbage_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
