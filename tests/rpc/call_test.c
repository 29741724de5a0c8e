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
	f->db = test_db_memory();
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
	};
	return cmocka_run_group_tests_name("rpc/call", tests, NULL, NULL);
}
