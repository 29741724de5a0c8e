/* rpc/wire_check.c -- walks the protobuf wire format of a request with its
 * descriptor and checks each string field's bytes: valid UTF-8, no NUL.
 * It decodes nothing else and never allocates; malformed bytes end the
 * walk quietly, since the unpack that follows refuses them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "rpc/wire_check.h"

/* Deeper than any oz message; a deeper request is refused. */
#define WIRE_DEPTH_MAX 32

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

typedef struct walk {
	oz_status *st;
	const char *first; /* Message of the first bad field, or NULL. */
	char first_field[OZ_VIOLATION_FIELD_MAX];
} walk;

static bool
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			return true;
		}
	}
	return false;
}

/* One violation per bad field, however often a repeated field is bad. */
static void
bad_field(walk *w, const char *path, const char *what, size_t at)
{
	for (size_t i = 0; i < w->st->n_violations; i++) {
		if (strcmp(w->st->violations[i].field, path) == 0) {
			return;
		}
	}
	oz_status_violation(w->st, path, "%s (byte %zu)", what, at);
	if (w->first == NULL) {
		w->first = what;
		snprintf(w->first_field, sizeof(w->first_field), "%s", path);
	}
}

static void
check_string(walk *w, const char *path, const uint8_t *s, size_t n)
{
	size_t at;
	const uint8_t *nul = memchr(s, 0, n);
	if (nul != NULL) {
		bad_field(w, path, "contains a NUL byte", (size_t) (nul - s));
	} else if (!utf8_valid(s, n, &at)) {
		bad_field(w, path, "is not valid UTF-8", at);
	}
}

static void walk_message(walk *w, const ProtobufCMessageDescriptor *d,
	const uint8_t *p, const uint8_t *end, const char *path, int depth);

/* One length-delimited field: a string is checked, a message walked. */
static void
walk_len(walk *w, const ProtobufCFieldDescriptor *f, const uint8_t *p,
	size_t n, const char *path, int depth)
{
	char sub[OZ_VIOLATION_FIELD_MAX];
	if (f == NULL) {
		return; /* Unknown field: protobuf-c skips it too. */
	}
	snprintf(
		sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", f->name);
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		check_string(w, sub, p, n);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		walk_message(w, f->descriptor, p, p + n, sub, depth + 1);
	}
}

static void
walk_message(walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
	const uint8_t *end, const char *path, int depth)
{
	if (depth > WIRE_DEPTH_MAX) {
		bad_field(w, path, "is nested too deeply", 0);
		return;
	}
	while (p < end) {
		uint64_t tag, n;
		if (!read_varint(&p, end, &tag) || tag >> 3 > UINT32_MAX) {
			return;
		}
		switch (tag & 7) {
		case WT_VARINT:
			if (!read_varint(&p, end, &n)) {
				return;
			}
			break;
		case WT_I64:
		case WT_I32:
			n = (tag & 7) == WT_I64 ? 8 : 4;
			if ((size_t) (end - p) < n) {
				return;
			}
			p += n;
			break;
		case WT_LEN:
			if (!read_varint(&p, end, &n) ||
				n > (uint64_t) (end - p)) {
				return;
			}
			walk_len(w,
				protobuf_c_message_descriptor_get_field(
					d, (unsigned) (tag >> 3)),
				p, (size_t) n, path, depth);
			p += n;
			break;
		default:
			return; /* Groups and junk: unpack refuses them. */
		}
	}
}

oz_code
rpc_wire_check(const ProtobufCMessageDescriptor *d, const void *buf,
	size_t len, oz_status *st)
{
	walk w = {.st = st};
	const uint8_t *p = buf;
	if (len == 0) {
		return OZ_OK;
	}
	walk_message(&w, d, p, p + len, "", 0);
	if (w.first == NULL) {
		return OZ_OK;
	}
	return oz_fail(st, OZ_INVALID_ARGUMENT, "request field %s %s",
		w.first_field, w.first);
}
