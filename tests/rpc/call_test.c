/* tests/rpc/call_test.c -- the generic checks that run before any
 * handler: envelope and payload decode, method lookup, metadata limits,
 * deadlines, and the reply size limit. On an in-memory database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/utf8.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/call.h"
#include "store/migrate.h"
#include "support/db.h"
#include "support/wire.h"

struct fixture {
	store_conn *db;
	arena arena;
	rpc_call_config cfg;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	oz_status st;
	f->db = test_db_fresh();
	assert_int_equal(store_migrate_upgrade(f->db, "head", &st), OZ_OK);
	arena_init(&f->arena, 0, 0);
	f->cfg.default_timeout_ms = 30000;
	f->cfg.max_message_bytes = 4u << 20;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->db);
	arena_fini(&f->arena);
	free(f);
	return 0;
}

/* Runs bytes through begin/run/reply and decodes the reply. */
static Oz__Rpc__V1__Response *
roundtrip(struct fixture *f, const void *buf, size_t len, rpc_call *call)
{
	void *out;
	size_t out_len;
	rpc_call_begin(call, &f->cfg, &f->arena, buf, len, NULL);
	rpc_call_run(call, f->db, true);
	rpc_call_reply(call, &out, &out_len);
	assert_non_null(out);
	Oz__Rpc__V1__Response *r =
		oz__rpc__v1__response__unpack(NULL, out_len, out);
	assert_non_null(r);
	assert_non_null(r->status);
	return r;
}

static Oz__Rpc__V1__Response *
call_method(struct fixture *f, const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, rpc_call *call)
{
	uint8_t *buf;
	size_t len;
	wire_envelope(method, in, timeout_ms, &buf, &len);
	Oz__Rpc__V1__Response *r = roundtrip(f, buf, len, call);
	free(buf);
	return r;
}

static void
expect(Oz__Rpc__V1__Response *r, oz_code code, const char *msg)
{
	assert_int_equal(r->status->code, code);
	if (msg != NULL) {
		assert_string_equal(r->status->message, msg);
	}
	oz__rpc__v1__response__free_unpacked(r, NULL);
}

static void
garbage_bytes_are_invalid_argument(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	unsigned char junk[64];
	srand(7);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			junk[i] = (unsigned char) rand();
		}
		junk[0] = 0xff; /* Field 31, wire type 7: never valid. */
		expect(roundtrip(f, junk, 1 + (size_t) (rand() % 63), &call),
			OZ_INVALID_ARGUMENT,
			"request is not a valid oz.rpc.v1.Request envelope");
		assert_false(call.ran);
		arena_reset(&f->arena);
	}
}

static void
empty_message_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	expect(roundtrip(f, "", 0, &call), OZ_INVALID_ARGUMENT,
		"request has no method");
}

static void
truncated_envelope_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	in.username = "ann";
	in.email = "ann@example.com";
	uint8_t *buf;
	size_t len;
	wire_envelope(
		"/oz.v1.UserService/CreateUser", &in.base, 0, &buf, &len);
	rpc_call call;
	/* No proper prefix succeeds: a cut inside a field is an invalid
	 * envelope, a cut between fields an invalid (empty) request. */
	for (size_t cut = 1; cut < len; cut++) {
		Oz__Rpc__V1__Response *r = roundtrip(f, buf, cut, &call);
		assert_int_not_equal(r->status->code, OZ_OK);
		oz__rpc__v1__response__free_unpacked(r, NULL);
		arena_reset(&f->arena);
	}
	free(buf);
	assert_int_equal(test_db_int(f->db, "SELECT count(*) FROM users"), 0);
}

static void
unknown_method_is_unimplemented_naming_it(void **state)
{
	struct fixture *f = *state;
	Oz__V1__GetUserRequest in = OZ__V1__GET_USER_REQUEST__INIT;
	rpc_call call;
	expect(call_method(
		       f, "/oz.v1.UserService/Frobnicate", &in.base, 0, &call),
		OZ_UNIMPLEMENTED,
		"unknown method /oz.v1.UserService/Frobnicate");
}

static void
garbage_payload_is_invalid_argument_naming_the_type(void **state)
{
	struct fixture *f = *state;
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	req.method = "/oz.v1.UserService/CreateUser";
	uint8_t junk[] = {0x0a, 0x10, 'x'}; /* Says 16 bytes, has 1. */
	req.payload.data = junk;
	req.payload.len = sizeof(junk);
	uint8_t buf[128];
	size_t len = oz__rpc__v1__request__pack(&req, buf);
	rpc_call call;
	expect(roundtrip(f, buf, len, &call), OZ_INVALID_ARGUMENT,
		"payload is not a valid oz.v1.CreateUserRequest");
	assert_false(call.ran);
}

static void
expired_deadline_is_deadline_exceeded_and_not_executed(void **state)
{
	struct fixture *f = *state;
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	in.username = "late";
	in.email = "late@example.com";
	uint8_t *buf;
	size_t len;
	wire_envelope(
		"/oz.v1.UserService/CreateUser", &in.base, 1, &buf, &len);
	rpc_call call;
	rpc_call_begin(&call, &f->cfg, &f->arena, buf, len, NULL);
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL); /* Let the 1 ms deadline pass. */
	rpc_call_run(&call, f->db, true);
	assert_int_equal(call.st.code, OZ_DEADLINE_EXCEEDED);
	assert_false(call.ran);
	free(buf);
	assert_int_equal(test_db_int(f->db, "SELECT count(*) FROM users"), 0);
}

static void
zero_timeout_uses_the_server_default(void **state)
{
	struct fixture *f = *state;
	Oz__V1__GetUserRequest in = OZ__V1__GET_USER_REQUEST__INIT;
	rpc_call call;
	Oz__Rpc__V1__Response *r = call_method(
		f, "/oz.v1.UserService/GetUser", &in.base, 0, &call);
	assert_int_equal(call.deadline_us - call.start_us,
		(int64_t) f->cfg.default_timeout_ms * 1000);
	expect(r, OZ_NOT_FOUND, "User not found");
}

static void
oversized_reply_is_resource_exhausted(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	for (int i = 0; i < 20; i++) {
		char name[32], email[64];
		snprintf(name, sizeof(name), "user%d", i);
		snprintf(email, sizeof(email), "user%d@example.com", i);
		Oz__V1__CreateUserRequest in =
			OZ__V1__CREATE_USER_REQUEST__INIT;
		in.username = name;
		in.email = email;
		expect(call_method(f, "/oz.v1.UserService/CreateUser",
			       &in.base, 0, &call),
			OZ_OK, NULL);
		arena_reset(&f->arena);
	}
	f->cfg.max_message_bytes = 256;
	Oz__V1__ListUsersRequest list = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__Rpc__V1__Response *r = call_method(
		f, "/oz.v1.UserService/ListUsers", &list.base, 0, &call);
	assert_int_equal(r->status->code, OZ_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(r->status->message, "message limit"));
	assert_int_equal(r->payload.len, 0);
	oz__rpc__v1__response__free_unpacked(r, NULL);
}

static void
too_much_metadata_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	Oz__V1__GetUserRequest in = OZ__V1__GET_USER_REQUEST__INIT;
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	Oz__Rpc__V1__Metadata md[RPC_METADATA_MAX + 1];
	Oz__Rpc__V1__Metadata *mdp[RPC_METADATA_MAX + 1];
	for (int i = 0; i <= RPC_METADATA_MAX; i++) {
		oz__rpc__v1__metadata__init(&md[i]);
		md[i].key = "x-k";
		md[i].value = "v";
		mdp[i] = &md[i];
	}
	req.method = "/oz.v1.UserService/GetUser";
	req.metadata = mdp;
	req.n_metadata = RPC_METADATA_MAX + 1;
	uint8_t payload[16];
	req.payload.data = payload;
	req.payload.len = oz__v1__get_user_request__pack(&in, payload);
	uint8_t buf[4096];
	size_t len = oz__rpc__v1__request__pack(&req, buf);
	rpc_call call;
	expect(roundtrip(f, buf, len, &call), OZ_INVALID_ARGUMENT,
		"too many metadata entries: 33, at most 32");
	assert_false(call.ran);
}

static void
request_id_metadata_is_kept_for_the_log(void **state)
{
	struct fixture *f = *state;
	Oz__V1__GetUserRequest in = OZ__V1__GET_USER_REQUEST__INIT;
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	Oz__Rpc__V1__Metadata md = OZ__RPC__V1__METADATA__INIT;
	Oz__Rpc__V1__Metadata *mdp = &md;
	md.key = "request-id";
	md.value = "abc-123";
	req.method = "/oz.v1.UserService/GetUser";
	req.metadata = &mdp;
	req.n_metadata = 1;
	uint8_t payload[16];
	req.payload.data = payload;
	req.payload.len = oz__v1__get_user_request__pack(&in, payload);
	uint8_t buf[256];
	size_t len = oz__rpc__v1__request__pack(&req, buf);
	rpc_call call;
	expect(roundtrip(f, buf, len, &call), OZ_NOT_FOUND, "User not found");
	assert_string_equal(call.request_id, "abc-123");
	assert_false(call.probe);
	/* The probe marker hides only ozd's own Health probes, not a
	 * client's calls. */
	md.value = RPC_PROBE_REQUEST_ID;
	len = oz__rpc__v1__request__pack(&req, buf);
	arena_reset(&f->arena);
	expect(roundtrip(f, buf, len, &call), OZ_NOT_FOUND, "User not found");
	assert_false(call.probe);
	assert_string_equal(
		rpc_call_method_name(&call), "/oz.v1.UserService/GetUser");
}

/* --- Hostile strings (STYLE.md §10): judged on their wire bytes --------- */

/* Appends field num as a length-delimited field holding p[0..n), the way
 * another language's encoder would send bytes protobuf-c cannot hold in a
 * C string (an embedded NUL, invalid UTF-8). Lengths stay under 2^14. */
static void
put_field(uint8_t *buf, size_t *len, int num, const void *p, size_t n)
{
	assert_true(n < 1u << 14);
	buf[(*len)++] = (uint8_t) (num << 3 | 2);
	for (size_t v = n;; v >>= 7) {
		buf[(*len)++] = (uint8_t) (v < 0x80 ? v : (v & 0x7f) | 0x80);
		if (v < 0x80) {
			break;
		}
	}
	if (n > 0) {
		memcpy(buf + *len, p, n);
		*len += n;
	}
}

/* Sends an envelope with the method bytes m[0..mn), one metadata entry
 * (when key != NULL) and the payload p[0..pn). */
static Oz__Rpc__V1__Response *
hostile(struct fixture *f, const char *m, size_t mn, const char *key,
	size_t kn, const char *val, size_t vn, const uint8_t *p, size_t pn,
	rpc_call *call)
{
	uint8_t buf[512], md[256];
	size_t len = 0, mdn = 0;
	put_field(buf, &len, 1, m, mn);
	put_field(buf, &len, 2, p, pn);
	if (key != NULL) {
		put_field(md, &mdn, 1, key, kn);
		put_field(md, &mdn, 2, val, vn);
		put_field(buf, &len, 3, md, mdn);
	}
	arena_reset(&f->arena);
	return roundtrip(f, buf, len, call);
}

/* The reply is INVALID_ARGUMENT with one violation naming field; every
 * string of it is valid UTF-8. */
static void
expect_bad_field(Oz__Rpc__V1__Response *r, const char *field)
{
	assert_int_equal(r->status->code, OZ_INVALID_ARGUMENT);
	assert_true(utf8_clean(r->status->message));
	assert_int_equal(r->status->n_details, 1);
	assert_string_equal(r->status->details[0]->field, field);
	oz__rpc__v1__response__free_unpacked(r, NULL);
}

#define LIT(s)   s, sizeof(s) - 1
#define GET_USER "/oz.v1.UserService/GetUser"

static void
method_with_nul_is_invalid_argument_naming_method(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	uint8_t id[] = {0x08, 0x01}; /* GetUserRequest{id: 1} */
	/* Without the check this ran GetUser (NOT_FOUND). */
	expect_bad_field(hostile(f, LIT(GET_USER "\0x"), NULL, 0, NULL, 0, id,
				 sizeof(id), &call),
		"method");
	assert_false(call.ran);
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/Get\xff\xfe"),
				 NULL, 0, NULL, 0, id, sizeof(id), &call),
		"method");
}

static void
metadata_not_utf8_or_with_nul_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	expect_bad_field(hostile(f, LIT(GET_USER), LIT("request-id"),
				 LIT("a\xc3"), NULL, 0, &call),
		"metadata.value");
	expect_bad_field(hostile(f, LIT(GET_USER), LIT("authorization\0x"),
				 LIT("v"), NULL, 0, &call),
		"metadata.key");
	assert_false(call.ran);
}

static void
username_with_nul_is_invalid_argument_not_cut(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	char name[151];
	uint8_t p[256];
	size_t n = 0;
	memset(name, 'a', 50);
	name[50] = '\0';
	memset(name + 51, 'b', 100);
	put_field(p, &n, 1, name, sizeof(name));
	put_field(p, &n, 2, LIT("long@example.com"));
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/CreateUser"), NULL,
				 0, NULL, 0, p, n, &call),
		"username");
	assert_int_equal(test_db_int(f->db, "SELECT count(*) FROM users"), 0);
}

static void
nul_never_collides_with_the_cut_string(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	in.username = "alice";
	in.email = "alice@example.com";
	expect(call_method(
		       f, "/oz.v1.UserService/CreateUser", &in.base, 0, &call),
		OZ_OK, NULL);
	uint8_t p[128];
	size_t n = 0;
	put_field(p, &n, 1, LIT("alice\0x"));
	put_field(p, &n, 2, LIT("other@example.com"));
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/CreateUser"), NULL,
				 0, NULL, 0, p, n, &call),
		"username");
	n = 0;
	put_field(p, &n, 1, LIT("alice@example.com\0zzz"));
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/GetUserByEmail"),
				 NULL, 0, NULL, 0, p, n, &call),
		"email");
	assert_false(call.ran);
}

static void
nested_and_repeated_strings_are_checked_by_path(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	uint8_t user[64], mask[64], p[160];
	size_t un = 0, mn = 0, n = 0;
	uint8_t id[] = {0x08, 0x01};
	memcpy(user, id, sizeof(id));
	un = sizeof(id);
	put_field(user, &un, 3, LIT("bob@\xed\xa0\x80.com")); /* Surrogate. */
	put_field(mask, &mn, 1, LIT("email"));
	put_field(p, &n, 1, user, un);
	put_field(p, &n, 2, mask, mn);
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/UpdateUser"), NULL,
				 0, NULL, 0, p, n, &call),
		"user.email");
	mn = n = un = 0;
	put_field(mask, &mn, 1, LIT("email"));
	put_field(mask, &mn, 1, LIT("user\0name"));
	put_field(p, &n, 2, mask, mn);
	expect_bad_field(hostile(f, LIT("/oz.v1.UserService/UpdateUser"), NULL,
				 0, NULL, 0, p, n, &call),
		"update_mask.paths");
}

static void
quoted_caller_text_is_escaped_in_the_status(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	Oz__Rpc__V1__Response *r = hostile(
		f, LIT("/x\n\x1b[31m\\"), NULL, 0, NULL, 0, NULL, 0, &call);
	assert_int_equal(r->status->code, OZ_UNIMPLEMENTED);
	assert_string_equal(
		r->status->message, "unknown method /x\\x0A\\x1B[31m\\\\");
	oz__rpc__v1__response__free_unpacked(r, NULL);
}

/* --- Replays return exactly the first reply ----------------------------- */

static Oz__Rpc__V1__Response *
create_bad_user(struct fixture *f, rpc_call *call)
{
	Oz__V1__CreateUserRequest in = OZ__V1__CREATE_USER_REQUEST__INIT;
	in.username = "";
	in.email = "not-an-email";
	in.request_id = "replay-key-1";
	arena_reset(&f->arena);
	return call_method(
		f, "/oz.v1.UserService/CreateUser", &in.base, 0, call);
}

static void
failed_keyed_write_replays_its_field_violations(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	Oz__Rpc__V1__Response *first = create_bad_user(f, &call);
	assert_int_equal(first->status->code, OZ_INVALID_ARGUMENT);
	assert_int_equal(first->status->n_details, 2);
	assert_true(call.ran);
	Oz__Rpc__V1__Response *again = create_bad_user(f, &call);
	assert_true(call.replayed);
	assert_false(call.ran);
	assert_int_equal(again->status->code, first->status->code);
	assert_string_equal(again->status->message, first->status->message);
	assert_int_equal(again->status->n_details, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(again->status->details[i]->field,
			first->status->details[i]->field);
		assert_string_equal(again->status->details[i]->description,
			first->status->details[i]->description);
	}
	oz__rpc__v1__response__free_unpacked(first, NULL);
	oz__rpc__v1__response__free_unpacked(again, NULL);
}

static void
failed_outcome_stored_without_status_still_replays(void **state)
{
	struct fixture *f = *state;
	rpc_call call;
	expect(create_bad_user(f, &call), OZ_INVALID_ARGUMENT, NULL);
	/* The rows of earlier versions kept no Status for a failure. */
	/* An empty blob in either dialect. */
	test_db_exec(f->db,
		"UPDATE oz_idempotency SET response = substr(response, 1, 0)");
	Oz__Rpc__V1__Response *r = create_bad_user(f, &call);
	assert_true(call.replayed);
	assert_int_equal(r->status->code, OZ_INVALID_ARGUMENT);
	assert_int_equal(r->status->n_details, 0);
	oz__rpc__v1__response__free_unpacked(r, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			garbage_bytes_are_invalid_argument, setup, teardown),
		cmocka_unit_test_setup_teardown(
			empty_message_is_invalid_argument, setup, teardown),
		cmocka_unit_test_setup_teardown(
			truncated_envelope_is_invalid_argument, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			unknown_method_is_unimplemented_naming_it, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			garbage_payload_is_invalid_argument_naming_the_type,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			expired_deadline_is_deadline_exceeded_and_not_executed,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			zero_timeout_uses_the_server_default, setup, teardown),
		cmocka_unit_test_setup_teardown(
			oversized_reply_is_resource_exhausted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			too_much_metadata_is_invalid_argument, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			request_id_metadata_is_kept_for_the_log, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			method_with_nul_is_invalid_argument_naming_method,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			metadata_not_utf8_or_with_nul_is_invalid_argument,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			username_with_nul_is_invalid_argument_not_cut, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			nul_never_collides_with_the_cut_string, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			nested_and_repeated_strings_are_checked_by_path, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			quoted_caller_text_is_escaped_in_the_status, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			failed_keyed_write_replays_its_field_violations, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			failed_outcome_stored_without_status_still_replays,
			setup, teardown),
	};
	return cmocka_run_group_tests_name("rpc/call", tests, NULL, NULL);
}
