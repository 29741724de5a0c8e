/* clients/c/json_types.c -- names, base64, timestamps and field layout for
 * the proto3 JSON mapping (see json_types.h).
 *
 * Pure functions: no I/O, no global state, no allocation except where the
 * header says so. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "json_types.h"

bool
jt_camel(const char *snake, char *out, size_t n)
{
	size_t j = 0;
	bool up = false;
	for (const char *p = snake; *p != '\0'; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		if (j + 1 >= n) {
			return false;
		}
		out[j++] = up ? (char) toupper((unsigned char) *p) : *p;
		up = false;
	}
	if (j >= n) {
		return false;
	}
	out[j] = '\0';
	return true;
}

bool
jt_snake(const char *camel, char *out, size_t n)
{
	size_t j = 0;
	for (const char *p = camel; *p != '\0'; p++) {
		if (*p == '_') {
			return false;
		}
		if (isupper((unsigned char) *p)) {
			if (j + 2 >= n) {
				return false;
			}
			out[j++] = '_';
			out[j++] = (char) tolower((unsigned char) *p);
		} else {
			if (j + 1 >= n) {
				return false;
			}
			out[j++] = *p;
		}
	}
	if (j >= n) {
		return false;
	}
	out[j] = '\0';
	return true;
}

char *
jt_base64_encode(const uint8_t *d, size_t len)
{
	char *out = malloc(oz_base64_len(len, OZ_BASE64) + 1);
	if (out != NULL) {
		oz_base64_encode(d, len, OZ_BASE64, out);
	}
	return out;
}

bool
jt_base64_decode(const char *s, uint8_t **out, size_t *out_len)
{
	size_t len = strlen(s);
	uint8_t *o = malloc(len * 3 / 4 + 1);
	if (o == NULL) {
		return false;
	}
	long n = oz_base64_decode(s, len, OZ_BASE64, o);
	if (n < 0) {
		free(o);
		return false;
	}
	*out = o;
	*out_len = (size_t) n;
	return true;
}

/* Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define TS_MIN (-62135596800LL)
#define TS_MAX (253402300799LL)

bool
jt_timestamp_format(int64_t seconds, int32_t nanos, char *out, size_t n)
{
	struct tm tm;
	time_t t = (time_t) seconds;
	char frac[16] = "";
	if (seconds < TS_MIN || seconds > TS_MAX || nanos < 0 ||
		nanos > 999999999 || gmtime_r(&t, &tm) == NULL) {
		return false;
	}
	if (nanos % 1000000 == 0 && nanos != 0) {
		snprintf(frac, sizeof(frac), ".%03d", nanos / 1000000);
	} else if (nanos % 1000 == 0 && nanos != 0) {
		snprintf(frac, sizeof(frac), ".%06d", nanos / 1000);
	} else if (nanos != 0) {
		snprintf(frac, sizeof(frac), ".%09d", nanos);
	}
	return (size_t) snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
		       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		       tm.tm_hour, tm.tm_min, tm.tm_sec, frac) < n;
}

/* Reads exactly n digits. */
static bool
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char) (*p)[i])) {
			return false;
		}
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static bool
expect(const char **p, char a, char b)
{
	if (**p != a && **p != b) {
		return false;
	}
	(*p)++;
	return true;
}

static bool
parse_offset(const char *p, int *offset_s)
{
	int sign, hh, mm;
	*offset_s = 0;
	if (*p == 'Z' || *p == 'z') {
		return p[1] == '\0';
	}
	if (*p != '+' && *p != '-') {
		return false;
	}
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &hh) || !expect(&p, ':', ':') ||
		!digits(&p, 2, &mm) || *p != '\0' || hh > 23 || mm > 59) {
		return false;
	}
	*offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

bool
jt_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
	const char *p = s;
	int y, mo, d, h, mi, se, ns = 0, off;
	struct tm tm = {0}, back;
	if (!digits(&p, 4, &y) || !expect(&p, '-', '-') ||
		!digits(&p, 2, &mo) || !expect(&p, '-', '-') ||
		!digits(&p, 2, &d) || !expect(&p, 'T', 't') ||
		!digits(&p, 2, &h) || !expect(&p, ':', ':') ||
		!digits(&p, 2, &mi) || !expect(&p, ':', ':') ||
		!digits(&p, 2, &se)) {
		return false;
	}
	if (*p == '.') {
		int n = 0;
		p++;
		while (isdigit((unsigned char) *p) && n < 9) {
			ns = ns * 10 + (*p++ - '0');
			n++;
		}
		if (n == 0 || isdigit((unsigned char) *p)) {
			return false;
		}
		for (; n < 9; n++) {
			ns *= 10;
		}
	}
	if (!parse_offset(p, &off) || y < 1 || mo < 1 || mo > 12 || d < 1 ||
		d > 31 || h > 23 || mi > 59 || se > 59) {
		return false;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	/* timegm normalises 02-30 to 03-02: reject what moved. */
	if (gmtime_r(&t, &back) == NULL || back.tm_mday != d ||
		back.tm_mon != mo - 1) {
		return false;
	}
	*seconds = (int64_t) t - off;
	*nanos = ns;
	return *seconds >= TS_MIN && *seconds <= TS_MAX;
}

size_t
jt_value_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	}
	return 0;
}

void *
jt_field_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (char *) m + f->offset;
}

const void *
jt_field_cptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (const char *) m + f->offset;
}

void *
jt_quantifier_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	bool pointer_type = f->type == PROTOBUF_C_TYPE_MESSAGE ||
			    f->type == PROTOBUF_C_TYPE_STRING;
	if (f->label == PROTOBUF_C_LABEL_REPEATED ||
		(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 ||
		(f->label == PROTOBUF_C_LABEL_OPTIONAL && !pointer_type)) {
		return (char *) m + f->quantifier_offset;
	}
	return NULL;
}

/* True when the implicit-presence value at p differs from its default. */
static bool
nonzero(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *) p;
		return s != NULL && s[0] != '\0';
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(void *const *) p != NULL;
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *) p)->len > 0;
	default: {
		static const uint8_t zero[8];
		return memcmp(p, zero, jt_value_size(f)) != 0;
	}
	}
}

bool
jt_field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const void *q = jt_quantifier_ptr((ProtobufCMessage *) m, f);
	const void *p = jt_field_cptr(m, f);
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		return *(const size_t *) q > 0;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
		return *(const uint32_t *) q == f->id;
	}
	if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
		return true;
	}
	if (q != NULL) {
		return *(const protobuf_c_boolean *) q != 0;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		return *(void *const *) p != NULL;
	}
	return nonzero(f, p);
}
