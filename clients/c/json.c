/* clients/c/json.c -- proto3 JSON mapping between protobuf-c messages and
 * JSON text (oz_json_to_message / oz_json_from_message), via jansson.
 *
 * Pure: no I/O, no global state; every message it builds is allocated so
 * that protobuf_c_message_free_unpacked(msg, NULL) frees all of it, also
 * when parsing stops half-way. Never trusts input: depth, ranges, types
 * and names are checked. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "json_types.h"
#include "oz/client.h"

#define MAX_DEPTH 64
#define PATH_MAX_ 256

/* --- message -> JSON ---------------------------------------------------- */

static json_t *msg_to_json(
	const ProtobufCMessage *m, unsigned flags, int depth);

static json_t *
int64_string(int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRId64, v);
	return json_string(b);
}

static json_t *
uint64_string(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return json_string(b);
}

static json_t *
double_json(double v)
{
	if (isnan(v)) {
		return json_string("NaN");
	}
	if (isinf(v)) {
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	}
	return json_real(v);
}

static json_t *
enum_json(const ProtobufCFieldDescriptor *f, int32_t v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
		(const ProtobufCEnumDescriptor *) f->descriptor, v);
	return ev != NULL ? json_string(ev->name) : json_integer(v);
}

static json_t *
bytes_json(const ProtobufCBinaryData *b)
{
	char *s = jt_base64_encode(b->data, b->len);
	json_t *j = s != NULL ? json_string(s) : NULL;
	free(s);
	return j;
}

/* One value of field f stored at p. NULL on failure. */
static json_t *
value_to_json(const ProtobufCFieldDescriptor *f, const void *p, unsigned flags,
	int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *) p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *) p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return int64_string(*(const int64_t *) p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return uint64_string(*(const uint64_t *) p);
	case PROTOBUF_C_TYPE_FLOAT:
		return double_json(*(const float *) p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_json(*(const double *) p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *) p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_json(f, *(const int32_t *) p);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *) p;
		return json_string(s != NULL ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES:
		return bytes_json((const ProtobufCBinaryData *) p);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *) p;
		return sub != NULL ? msg_to_json(sub, flags, depth + 1)
				   : json_null();
	}
	}
	return NULL;
}

static json_t *
field_to_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
	unsigned flags, int depth)
{
	const void *p = jt_field_cptr(m, f);
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		return value_to_json(f, p, flags, depth);
	}
	size_t n = *(const size_t *) ((const char *) m + f->quantifier_offset);
	const char *arr = *(const char *const *) p;
	size_t sz = jt_value_size(f);
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, value_to_json(f, arr + i * sz,
						     flags, depth)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *
timestamp_json(const ProtobufCMessage *m)
{
	const Google__Protobuf__Timestamp *t =
		(const Google__Protobuf__Timestamp *) m;
	char buf[64];
	if (!jt_timestamp_format(t->seconds, t->nanos, buf, sizeof(buf))) {
		return NULL;
	}
	return json_string(buf);
}

static json_t *
field_mask_json(const ProtobufCMessage *m)
{
	const Google__Protobuf__FieldMask *fm =
		(const Google__Protobuf__FieldMask *) m;
	size_t cap = 1, len = 0;
	for (size_t i = 0; i < fm->n_paths; i++) {
		cap += strlen(fm->paths[i]) + 1;
	}
	char *out = malloc(cap), name[JT_NAME_MAX];
	json_t *j = NULL;
	if (out == NULL) {
		return NULL;
	}
	out[0] = '\0';
	for (size_t i = 0; i < fm->n_paths; i++) {
		if (!jt_camel(fm->paths[i], name, sizeof(name))) {
			goto out;
		}
		len += (size_t) snprintf(
			out + len, cap - len, "%s%s", i > 0 ? "," : "", name);
	}
	j = json_string(out);
out:
	free(out);
	return j;
}

static bool
is_wrapper(const ProtobufCMessageDescriptor *d)
{
	static const char *const names[] = {"google.protobuf.DoubleValue",
		"google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value",
		"google.protobuf.UInt32Value", "google.protobuf.BoolValue",
		"google.protobuf.StringValue", "google.protobuf.BytesValue"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(d->name, names[i]) == 0) {
			return d->n_fields == 1;
		}
	}
	return false;
}

/* True for fields that print their default with OZ_JSON_EMIT_DEFAULTS:
 * lists and implicit-presence scalars, not singular messages, oneof
 * members or explicit-presence (proto3 optional) fields. */
static bool
has_implicit_default(const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		return true;
	}
	return f->type != PROTOBUF_C_TYPE_MESSAGE &&
	       (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0 &&
	       f->label != PROTOBUF_C_LABEL_OPTIONAL;
}

static json_t *
msg_to_json(const ProtobufCMessage *m, unsigned flags, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char name[JT_NAME_MAX];
	json_t *o;

	if (depth > MAX_DEPTH) {
		return NULL;
	}
	if (strcmp(d->name, "google.protobuf.Timestamp") == 0) {
		return timestamp_json(m);
	}
	if (strcmp(d->name, "google.protobuf.FieldMask") == 0) {
		return field_mask_json(m);
	}
	if (is_wrapper(d)) {
		return value_to_json(&d->fields[0],
			jt_field_cptr(m, &d->fields[0]), flags, depth);
	}
	if ((o = json_object()) == NULL) {
		return NULL;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool emit = jt_field_present(m, f) ||
			    ((flags & OZ_JSON_EMIT_DEFAULTS) != 0 &&
				    has_implicit_default(f));
		if (!emit) {
			continue;
		}
		json_t *v = field_to_json(m, f, flags, depth);
		if (v == NULL || !jt_camel(f->name, name, sizeof(name)) ||
			json_object_set_new(o, name, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

oz_code
oz_json_from_message(
	const ProtobufCMessage *msg, unsigned flags, char **out, oz_status *st)
{
	json_t *j;
	*out = NULL;
	if (msg == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "no message");
	}
	if ((j = msg_to_json(msg, flags, 0)) == NULL) {
		return oz_fail(st, OZ_INTERNAL,
			"cannot format %s as JSON (out of memory, invalid "
			"UTF-8, nesting or a timestamp out of range)",
			msg->descriptor->name);
	}
	size_t jf = JSON_ENCODE_ANY |
		    ((flags & OZ_JSON_PRETTY) != 0 ? JSON_INDENT(2)
						   : JSON_COMPACT);
	*out = json_dumps(j, jf);
	json_decref(j);
	if (*out == NULL) {
		return oz_fail(st, OZ_INTERNAL, "out of memory");
	}
	return OZ_OK;
}

/* --- JSON -> message ---------------------------------------------------- */

typedef struct parser {
	oz_status *st;
	int depth;
} parser;

static oz_code
bad(parser *ps, const char *path, const char *what)
{
	oz_status_violation(ps->st, path, "%s", what);
	return oz_fail(ps->st, OZ_INVALID_ARGUMENT, "invalid JSON at %s: %s",
		path[0] != '\0' ? path : "(top)", what);
}

static oz_code parse_message(parser *ps, const json_t *j,
	const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
	const char *path);

/* Reads an integer given as a JSON number or a decimal string. */
static bool
json_int64(const json_t *j, int64_t *v)
{
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return true;
	}
	if (json_is_real(j)) {
		double d = json_real_value(j);
		if (d != floor(d) || d < -9.2e18 || d > 9.2e18) {
			return false;
		}
		*v = (int64_t) d;
		return true;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;
		errno = 0;
		long long x = strtoll(s, &end, 10);
		if (s[0] == '\0' || *end != '\0' || errno != 0 ||
			isspace((unsigned char) s[0])) {
			return false;
		}
		*v = x;
		return true;
	}
	return false;
}

static bool
json_uint64(const json_t *j, uint64_t *v)
{
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		char *end;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 10);
		if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
			return false;
		}
		*v = x;
		return true;
	}
	int64_t x;
	if (!json_int64(j, &x) || x < 0) {
		return false;
	}
	*v = (uint64_t) x;
	return true;
}

static bool
json_double(const json_t *j, double *v)
{
	if (json_is_number(j)) {
		*v = json_number_value(j);
		return true;
	}
	if (!json_is_string(j)) {
		return false;
	}
	const char *s = json_string_value(j);
	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
	} else if (strcmp(s, "Infinity") == 0) {
		*v = INFINITY;
	} else if (strcmp(s, "-Infinity") == 0) {
		*v = -INFINITY;
	} else {
		char *end;
		*v = strtod(s, &end);
		return s[0] != '\0' && *end == '\0';
	}
	return true;
}

static bool
json_enum(const ProtobufCFieldDescriptor *f, const json_t *j, int32_t *v)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	int64_t x;
	if (json_is_string(j)) {
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value_by_name(
				ed, json_string_value(j));
		if (ev == NULL) {
			return false;
		}
		*v = ev->value;
		return true;
	}
	if (!json_is_integer(j) || (x = json_integer_value(j)) < INT32_MIN ||
		x > INT32_MAX) {
		return false;
	}
	*v = (int32_t) x;
	return true;
}

/* Parses scalar (non-message) value j of field f into p. */
static oz_code
parse_scalar(parser *ps, const ProtobufCFieldDescriptor *f, const json_t *j,
	void *p, const char *path)
{
	int64_t i;
	uint64_t u;
	double d;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!json_int64(j, &i) || i < INT32_MIN || i > INT32_MAX) {
			return bad(ps, path, "expected a 32-bit integer");
		}
		*(int32_t *) p = (int32_t) i;
		return OZ_OK;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!json_uint64(j, &u) || u > UINT32_MAX) {
			return bad(ps, path,
				"expected an unsigned 32-bit integer");
		}
		*(uint32_t *) p = (uint32_t) u;
		return OZ_OK;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!json_int64(j, &i)) {
			return bad(ps, path, "expected a 64-bit integer");
		}
		*(int64_t *) p = i;
		return OZ_OK;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!json_uint64(j, &u)) {
			return bad(ps, path,
				"expected an unsigned 64-bit integer");
		}
		*(uint64_t *) p = u;
		return OZ_OK;
	case PROTOBUF_C_TYPE_FLOAT:
		if (!json_double(j, &d)) {
			return bad(ps, path, "expected a number");
		}
		*(float *) p = (float) d;
		return OZ_OK;
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!json_double(j, &d)) {
			return bad(ps, path, "expected a number");
		}
		*(double *) p = d;
		return OZ_OK;
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(j)) {
			return bad(ps, path, "expected true or false");
		}
		*(protobuf_c_boolean *) p = json_is_true(j);
		return OZ_OK;
	case PROTOBUF_C_TYPE_ENUM:
		if (!json_enum(f, j, (int32_t *) p)) {
			return bad(ps, path, "expected an enum value name");
		}
		return OZ_OK;
	case PROTOBUF_C_TYPE_STRING: {
		char *s;
		if (!json_is_string(j)) {
			return bad(ps, path, "expected a string");
		}
		if ((s = strdup(json_string_value(j))) == NULL) {
			return oz_fail(ps->st, OZ_RESOURCE_EXHAUSTED,
				"out of memory");
		}
		*(char **) p = s;
		return OZ_OK;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;
		if (!json_is_string(j) ||
			!jt_base64_decode(
				json_string_value(j), &b->data, &b->len)) {
			return bad(ps, path, "expected base64 text");
		}
		return OZ_OK;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	return bad(ps, path, "unsupported field type");
}

/* Parses one value of field f (scalar or message) into p. */
static oz_code
parse_value(parser *ps, const ProtobufCFieldDescriptor *f, const json_t *j,
	void *p, const char *path)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		return parse_message(
			ps, j, f->descriptor, (ProtobufCMessage **) p, path);
	}
	return parse_scalar(ps, f, j, p, path);
}

static oz_code
parse_repeated(parser *ps, ProtobufCMessage *m,
	const ProtobufCFieldDescriptor *f, const json_t *j, const char *path)
{
	size_t *n = jt_quantifier_ptr(m, f);
	char **arr = jt_field_ptr(m, f);
	size_t sz = jt_value_size(f), count;
	char sub[PATH_MAX_];
	oz_code rc;

	if (json_is_null(j)) {
		return OZ_OK;
	}
	if (!json_is_array(j)) {
		return bad(ps, path, "expected an array");
	}
	if ((count = json_array_size(j)) == 0) {
		return OZ_OK;
	}
	if ((*arr = calloc(count, sz)) == NULL) {
		return oz_fail(ps->st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_array_get(j, i);
		if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) < 0) {
			sub[0] = '\0';
		}
		if (json_is_null(e)) {
			return bad(ps, sub, "null is not allowed in a list");
		}
		if ((rc = parse_value(ps, f, e, *arr + i * sz, sub)) !=
			OZ_OK) {
			/* Count what holds a value, so it is freed. */
			*n = f->type == PROTOBUF_C_TYPE_MESSAGE ||
					     f->type == PROTOBUF_C_TYPE_STRING
				     ? i + 1
				     : i;
			return rc;
		}
		*n = i + 1;
	}
	return OZ_OK;
}

static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	char name[JT_NAME_MAX];
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (strcmp(f->name, key) == 0 ||
			(jt_camel(f->name, name, sizeof(name)) &&
				strcmp(name, key) == 0)) {
			return f;
		}
	}
	return NULL;
}

static oz_code
parse_field(parser *ps, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
	const json_t *v, const char *path)
{
	uint32_t *q = jt_quantifier_ptr(m, f);
	oz_code rc;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		return parse_repeated(ps, m, f, v, path);
	}
	/* null means the default, except for a Value (not supported). */
	if (json_is_null(v)) {
		return OZ_OK;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
		if (*q != 0) {
			return bad(ps, path, "more than one field of a oneof");
		}
		/* Named before parsing, so that freeing m after a failure
		 * inside this member frees what it allocated too. */
		*q = f->id;
	}
	if ((rc = parse_value(ps, f, v, jt_field_ptr(m, f), path)) != OZ_OK) {
		return rc;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0 && q != NULL) {
		*(protobuf_c_boolean *) q = 1;
	}
	return OZ_OK;
}

static oz_code
parse_object(
	parser *ps, const json_t *j, ProtobufCMessage *m, const char *path)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *key;
	json_t *v;
	char sub[PATH_MAX_];
	bool seen[256] = {false};
	oz_code rc;

	if (!json_is_object(j)) {
		return bad(ps, path, "expected an object");
	}
	json_object_foreach((json_t *) j, key, v)
	{
		const ProtobufCFieldDescriptor *f = find_field(d, key);
		snprintf(sub, sizeof(sub), "%s%s%s", path,
			path[0] != '\0' ? "." : "", key);
		if (f == NULL) {
			return bad(ps, sub, "no such field");
		}
		size_t idx = (size_t) (f - d->fields);
		if (idx >= sizeof(seen) || seen[idx]) {
			return bad(ps, sub, "field given twice");
		}
		seen[idx] = true;
		if ((rc = parse_field(ps, m, f, v, sub)) != OZ_OK) {
			return rc;
		}
	}
	return OZ_OK;
}

static oz_code
parse_timestamp(
	parser *ps, const json_t *j, ProtobufCMessage *m, const char *path)
{
	Google__Protobuf__Timestamp *t = (Google__Protobuf__Timestamp *) m;
	if (!json_is_string(j) || !jt_timestamp_parse(json_string_value(j),
					  &t->seconds, &t->nanos)) {
		return bad(ps, path,
			"expected an RFC 3339 time such as "
			"\"2024-01-02T03:04:05Z\"");
	}
	return OZ_OK;
}

static oz_code
parse_field_mask(
	parser *ps, const json_t *j, ProtobufCMessage *m, const char *path)
{
	Google__Protobuf__FieldMask *fm = (Google__Protobuf__FieldMask *) m;
	char snake[JT_NAME_MAX];
	if (!json_is_string(j)) {
		return bad(ps, path, "expected a comma-separated path list");
	}
	const char *s = json_string_value(j);
	size_t n = s[0] != '\0' ? 1 : 0;
	for (const char *p = s; *p != '\0'; p++) {
		n += *p == ',';
	}
	if (n == 0) {
		return OZ_OK;
	}
	if ((fm->paths = calloc(n, sizeof(char *))) == NULL) {
		return oz_fail(ps->st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t) (end - s) : strlen(s);
		char camel[JT_NAME_MAX];
		if (len == 0 || len >= sizeof(camel)) {
			return bad(ps, path, "empty or overlong path");
		}
		memcpy(camel, s, len);
		camel[len] = '\0';
		if (!jt_snake(camel, snake, sizeof(snake))) {
			return bad(ps, path, "paths must be lowerCamelCase");
		}
		if ((fm->paths[i] = strdup(snake)) == NULL) {
			return oz_fail(ps->st, OZ_RESOURCE_EXHAUSTED,
				"out of memory");
		}
		fm->n_paths = i + 1;
		s += len + 1;
	}
	return OZ_OK;
}

static oz_code
parse_message(parser *ps, const json_t *j, const ProtobufCMessageDescriptor *d,
	ProtobufCMessage **out, const char *path)
{
	ProtobufCMessage *m;
	oz_code rc;

	if (ps->depth >= MAX_DEPTH) {
		return bad(ps, path, "nested too deeply");
	}
	if ((m = malloc(d->sizeof_message)) == NULL) {
		return oz_fail(ps->st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	protobuf_c_message_init(d, m);
	*out = m; /* From here the caller frees it, whatever happens. */
	ps->depth++;
	if (strcmp(d->name, "google.protobuf.Timestamp") == 0) {
		rc = parse_timestamp(ps, j, m, path);
	} else if (strcmp(d->name, "google.protobuf.FieldMask") == 0) {
		rc = parse_field_mask(ps, j, m, path);
	} else if (is_wrapper(d)) {
		rc = parse_value(ps, &d->fields[0], j,
			jt_field_ptr(m, &d->fields[0]), path);
	} else {
		rc = parse_object(ps, j, m, path);
	}
	ps->depth--;
	return rc;
}

oz_code
oz_json_to_message(const char *text, size_t len,
	const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
	oz_status *st)
{
	json_error_t err;
	json_t *j;
	parser ps = {st, 0};
	oz_code rc;

	*out = NULL;
	if (st != NULL) {
		oz_status_clear(st);
	}
	j = json_loadb(
		text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (j == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"malformed JSON at line %d column %d: %s", err.line,
			err.column, err.text);
	}
	rc = parse_message(&ps, j, desc, out, "");
	json_decref(j);
	if (rc != OZ_OK) {
		oz_message_free(*out);
		*out = NULL;
	}
	return rc;
}
