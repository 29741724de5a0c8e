/* tests/client/json_test.c -- the proto3 JSON converter of the client
 * library (oz_json_to_message / oz_json_from_message).
 *
 * Every message type reachable from the methods and the envelope is filled
 * with non-default values, turned into JSON and back, and must pack to the
 * same bytes; then the well-known types and the error cases one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "oz/client.h"

#define MAX_TYPES 64

static const ProtobufCMessageDescriptor *types[MAX_TYPES];
static size_t n_types;

static void
add_type(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < n_types; i++) {
		if (types[i] == d) {
			return;
		}
	}
	assert_true(n_types < MAX_TYPES);
	types[n_types++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
			add_type(d->fields[i].descriptor);
		}
	}
}

static void
collect_types(void)
{
	const oz_method_info *m;
	static const ProtobufCMessageDescriptor *const extra[] = {
		&oz__rpc__v1__request__descriptor,
		&oz__rpc__v1__response__descriptor,
		&google__protobuf__double_value__descriptor,
		&google__protobuf__float_value__descriptor,
		&google__protobuf__int64_value__descriptor,
		&google__protobuf__uint64_value__descriptor,
		&google__protobuf__int32_value__descriptor,
		&google__protobuf__uint32_value__descriptor,
		&google__protobuf__bool_value__descriptor,
		&google__protobuf__string_value__descriptor,
		&google__protobuf__bytes_value__descriptor,
	};
	n_types = 0;
	for (size_t i = 0; (m = oz_method_at(i)) != NULL; i++) {
		add_type(m->input);
		add_type(m->output);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		add_type(extra[i]);
	}
}

static ProtobufCMessage *fill(const ProtobufCMessageDescriptor *d, int depth);

/* Writes a non-default value of field f (seeded by k) at p. */
static void
fill_value(const ProtobufCFieldDescriptor *f, void *p, int k, int depth)
{
	char buf[32];
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *) p = -1000 - k;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *) p = 4000000000u + (uint32_t) k;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *) p = -9007199254740993LL - k; /* Not a double. */
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *) p = 18446744073709551000ULL + (uint64_t) k;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *) p = 1.5f + (float) k;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *) p = 0.25 + k;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *) p = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		*(int32_t *) p = e->values[e->n_values - 1].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		snprintf(buf, sizeof(buf), "s%u-%d \"q\" é", f->id, k);
		*(char **) p = strdup(buf);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		b->len = 4 + (size_t) k;
		b->data = malloc(b->len);
		for (size_t i = 0; i < b->len; i++) {
			b->data[i] = (uint8_t) (0xf0 + i);
		}
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **) p = fill(f->descriptor, depth + 1);
		break;
	}
}

static size_t
value_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* A message of type d with every field set (two elements per list). */
static ProtobufCMessage *
fill(const ProtobufCMessageDescriptor *d, int depth)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);
	protobuf_c_message_init(d, m);
	if (strcmp(d->name, "google.protobuf.Timestamp") == 0) {
		Google__Protobuf__Timestamp *t = (void *) m;
		t->seconds = 1700000000 + depth;
		t->nanos = 123456000;
		return m;
	}
	if (strcmp(d->name, "google.protobuf.FieldMask") == 0) {
		Google__Protobuf__FieldMask *fm = (void *) m;
		fm->n_paths = 2;
		fm->paths = malloc(2 * sizeof(char *));
		fm->paths[0] = strdup("user.is_active");
		fm->paths[1] = strdup("title");
		return m;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *p = (char *) m + f->offset;
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3) {
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* The members of a oneof share one union: set only
			 * the first, and name it in the case field. */
			uint32_t *which = (uint32_t *) ((char *) m +
							f->quantifier_offset);
			if (*which != 0) {
				continue;
			}
			*which = f->id;
			fill_value(f, p, 0, depth);
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t sz = value_size(f);
			char *arr = calloc(2, sz);
			for (int k = 0; k < 2; k++) {
				fill_value(f, arr + (size_t) k * sz, k, depth);
			}
			*(char **) p = arr;
			*(size_t *) ((char *) m + f->quantifier_offset) = 2;
		} else {
			fill_value(f, p, 0, depth);
		}
	}
	return m;
}

static void
assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	uint8_t *pa = malloc(la + 1), *pb = malloc(lb + 1);
	protobuf_c_message_pack(a, pa);
	protobuf_c_message_pack(b, pb);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

/* JSON of in, parsed back, must pack like in. */
static void
round_trip(const ProtobufCMessage *in, unsigned flags)
{
	ProtobufCMessage *back = NULL;
	oz_status st;
	char *text = NULL;
	assert_int_equal(oz_json_from_message(in, flags, &text, &st), OZ_OK);
	if (oz_json_to_message(
		    text, strlen(text), in->descriptor, &back, &st) != OZ_OK) {
		fail_msg("%s: %s\n%s", in->descriptor->name, st.message, text);
	}
	assert_same(in, back);
	oz_message_free(back);
	free(text);
}

static void
every_message_type_round_trips(void **state)
{
	(void) state;
	collect_types();
	assert_true(n_types >= 30);
	for (size_t i = 0; i < n_types; i++) {
		ProtobufCMessage *full = fill(types[i], 0);
		ProtobufCMessage *empty = malloc(types[i]->sizeof_message);
		protobuf_c_message_init(types[i], empty);
		round_trip(full, 0);
		round_trip(full, OZ_JSON_PRETTY | OZ_JSON_EMIT_DEFAULTS);
		round_trip(empty, 0);
		round_trip(empty, OZ_JSON_EMIT_DEFAULTS);
		oz_message_free(full);
		oz_message_free(empty);
	}
}

static char *
to_json(const ProtobufCMessage *m, unsigned flags)
{
	char *text = NULL;
	oz_status st;
	assert_int_equal(oz_json_from_message(m, flags, &text, &st), OZ_OK);
	return text;
}

static void
user_uses_proto3_names_and_types(void **state)
{
	Oz__V1__User u = OZ__V1__USER__INIT;
	Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	(void) state;
	u.id = 9007199254740993LL;
	u.username = "ann";
	u.is_active = 1;
	t.seconds = 1704164645; /* 2024-01-02T03:04:05Z */
	t.nanos = 120000000;
	u.create_time = &t;
	char *s = to_json(&u.base, 0);
	assert_string_equal(s,
		"{\"id\":\"9007199254740993\",\"username\":\"ann\","
		"\"isActive\":true,\"createTime\":"
		"\"2024-01-02T03:04:05.120Z\"}");
	free(s);
	s = to_json(&u.base, OZ_JSON_EMIT_DEFAULTS);
	assert_non_null(strstr(s, "\"email\":\"\""));
	assert_non_null(strstr(s, "\"tasks\":[]"));
	assert_null(strstr(s, "updateTime"));
	free(s);
}

static ProtobufCMessage *
parse_ok(const char *json, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = NULL;
	oz_status st;
	if (oz_json_to_message(json, strlen(json), d, &m, &st) != OZ_OK) {
		fail_msg("%s: %s", json, st.message);
	}
	return m;
}

static void
well_known_types_parse(void **state)
{
	(void) state;
	Oz__V1__UpdateUserRequest *u = (void *) parse_ok(
		"{\"user\": {\"id\": 7, \"is_active\": false, \"createTime\": "
		"\"2024-01-02T05:04:05.5+02:00\"}, \"updateMask\": "
		"\"isActive,email\", \"requestId\": \"k\"}",
		&oz__v1__update_user_request__descriptor);
	assert_int_equal(u->user->id, 7);
	assert_int_equal(u->user->create_time->seconds, 1704164645);
	assert_int_equal(u->user->create_time->nanos, 500000000);
	assert_int_equal(u->update_mask->n_paths, 2);
	assert_string_equal(u->update_mask->paths[0], "is_active");
	assert_string_equal(u->update_mask->paths[1], "email");
	assert_string_equal(u->request_id, "k");
	oz_message_free(u);

	Oz__V1__ListUsersRequest *l =
		(void *) parse_ok("{\"isActive\": true, \"pageSize\": \"5\"}",
			&oz__v1__list_users_request__descriptor);
	assert_non_null(l->is_active);
	assert_true(l->is_active->value);
	assert_int_equal(l->page_size, 5);
	char *s = to_json(&l->base, 0);
	assert_string_equal(s, "{\"pageSize\":5,\"isActive\":true}");
	free(s);
	oz_message_free(l);

	Oz__V1__ListTasksRequest *t = (void *) parse_ok(
		"{\"userId\": \"12\", \"status\": \"TASK_STATUS_DONE\"}",
		&oz__v1__list_tasks_request__descriptor);
	assert_int_equal(t->user_id->value, 12);
	assert_int_equal(t->status, OZ__V1__TASK_STATUS__TASK_STATUS_DONE);
	s = to_json(&t->base, 0);
	assert_string_equal(
		s, "{\"userId\":\"12\",\"status\":\"TASK_STATUS_DONE\"}");
	free(s);
	oz_message_free(t);

	ProtobufCMessage *e =
		parse_ok("{}", &google__protobuf__empty__descriptor);
	s = to_json(e, OZ_JSON_EMIT_DEFAULTS);
	assert_string_equal(s, "{}");
	free(s);
	oz_message_free(e);
}

static void
expect_invalid(const char *json, const ProtobufCMessageDescriptor *d,
	const char *field)
{
	ProtobufCMessage *m = (void *) 1;
	oz_status st;
	assert_int_equal(oz_json_to_message(json, strlen(json), d, &m, &st),
		OZ_INVALID_ARGUMENT);
	assert_null(m);
	if (field != NULL) {
		assert_true(st.n_violations >= 1);
		assert_string_equal(st.violations[0].field, field);
	}
}

static void
bad_json_is_invalid_argument(void **state)
{
	const ProtobufCMessageDescriptor *u = &oz__v1__user__descriptor;
	(void) state;
	expect_invalid("{", u, NULL);
	expect_invalid("[]", u, "");
	expect_invalid("{\"nope\": 1}", u, "nope");
	expect_invalid("{\"id\": \"12x\"}", u, "id");
	expect_invalid("{\"id\": 1.5}", u, "id");
	expect_invalid("{\"isActive\": 1}", u, "isActive");
	expect_invalid("{\"username\": 5}", u, "username");
	expect_invalid("{\"id\": 1, \"id\": 2}", u, NULL);
	expect_invalid("{\"id\": 1, \"id\": 2}", u, NULL);
	expect_invalid("{\"username\": \"a\", \"username\": \"b\"}", u, NULL);
	expect_invalid("{\"email\": \"a\", \"email\": \"a\"}", u, NULL);
	expect_invalid("{\"username\": \"a\"} x", u, NULL);
	expect_invalid("{\"tasks\": [{\"title\": 1}]}", u, "tasks[0].title");
	expect_invalid("{\"tasks\": [null]}", u, "tasks[0]");
	expect_invalid(
		"{\"tasks\": [{\"status\": \"NOPE\"}]}", u, "tasks[0].status");
	expect_invalid(
		"{\"createTime\": \"2024-02-30T00:00:00Z\"}", u, "createTime");
	expect_invalid("{\"createTime\": \"yesterday\"}", u, "createTime");
	expect_invalid(
		"{\"username\": \"a\", \"userName\": \"b\"}", u, "userName");
	expect_invalid("{\"pageSize\": 3000000000}",
		&oz__v1__list_users_request__descriptor, "pageSize");
	expect_invalid("{\"updateMask\": \"is_active\"}",
		&oz__v1__update_user_request__descriptor, "updateMask");
	expect_invalid("{\"payload\": \"!!!\"}",
		&oz__rpc__v1__request__descriptor, "payload");
	/* Deep nesting stops at the limit instead of recursing on. */
	char deep[4096] = "";
	for (int i = 0; i < 100; i++) {
		strcat(deep, "{\"user\":");
	}
	expect_invalid(deep, &oz__v1__update_user_request__descriptor, NULL);
}

static void
user_snake_names_accepted(void **state)
{
	(void) state;
	Oz__V1__User *u =
		(void *) parse_ok("{\"is_active\": true, \"create_time\": "
				  "null, \"tasks\": null}",
			&oz__v1__user__descriptor);
	assert_true(u->is_active);
	assert_null(u->create_time);
	assert_int_equal(u->n_tasks, 0);
	oz_message_free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_message_type_round_trips),
		cmocka_unit_test(user_uses_proto3_names_and_types),
		cmocka_unit_test(well_known_types_parse),
		cmocka_unit_test(bad_json_is_invalid_argument),
		cmocka_unit_test(user_snake_names_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
