/* clients/c/wire.c -- envelope encoding and decoding for the client, and
 * the one mapping of nng errors to oz codes.
 *
 * No sockets here: callers hand bytes in and get bytes or messages out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "oz/client.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "wire.h"

void
client_new_id(char id[CLIENT_ID_LEN])
{
	uint8_t b[16];
	for (int i = 0; i < 16; i += 4) {
		uint32_t r = nng_random();
		memcpy(&b[i], &r, 4);
	}
	b[6] = (uint8_t) ((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);
	snprintf(id, CLIENT_ID_LEN,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		"%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Returns the request_id field of d when it is a plain string, or NULL. */
static const ProtobufCFieldDescriptor *
request_id_field(const ProtobufCMessageDescriptor *d)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(
			d, "request_id");
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING ||
		f->label == PROTOBUF_C_LABEL_REPEATED ||
		(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
		return NULL;
	}
	return f;
}

oz_code
client_pack_input(const ProtobufCMessage *in, bool auto_id, const char *id,
	uint8_t **buf, size_t *len, bool *has_key, oz_status *st)
{
	const ProtobufCMessageDescriptor *d = in->descriptor;
	const ProtobufCFieldDescriptor *f = request_id_field(d);
	const ProtobufCMessage *src = in;
	void *copy = NULL;

	*has_key = false;
	if (f != NULL) {
		const char *cur =
			*(char *const *) ((const char *) in + f->offset);
		if (cur != NULL && cur[0] != '\0') {
			*has_key = true;
		} else if (auto_id) {
			if ((copy = malloc(d->sizeof_message)) == NULL) {
				return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
					"out of memory");
			}
			memcpy(copy, in, d->sizeof_message);
			*(const char **) ((char *) copy + f->offset) = id;
			src = copy;
			*has_key = true;
		}
	}
	*len = protobuf_c_message_get_packed_size(src);
	*buf = malloc(*len > 0 ? *len : 1);
	if (*buf == NULL) {
		free(copy);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	protobuf_c_message_pack(src, *buf);
	free(copy);
	return OZ_OK;
}

oz_code
client_encode_request(const char *method, const uint8_t *payload,
	size_t payload_len, const char *token, const char *request_id,
	uint32_t timeout_ms, size_t max_bytes, uint8_t **buf, size_t *len,
	oz_status *st)
{
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	Oz__Rpc__V1__Metadata md[2] = {
		OZ__RPC__V1__METADATA__INIT, OZ__RPC__V1__METADATA__INIT};
	Oz__Rpc__V1__Metadata *mdp[2];
	char bearer[1024];
	size_t n = 0;

	if (request_id != NULL) {
		md[n].key = "request-id";
		md[n].value = (char *) request_id;
		mdp[n] = &md[n];
		n++;
	}
	if (token != NULL) {
		if ((size_t) snprintf(bearer, sizeof(bearer), "Bearer %s",
			    token) >= sizeof(bearer)) {
			return oz_fail(st, OZ_INVALID_ARGUMENT,
				"auth token too long");
		}
		md[n].key = "authorization";
		md[n].value = bearer;
		mdp[n] = &md[n];
		n++;
	}
	req.method = (char *) method;
	req.payload.data = (uint8_t *) payload;
	req.payload.len = payload_len;
	req.metadata = mdp;
	req.n_metadata = n;
	req.timeout_ms = timeout_ms;

	*len = oz__rpc__v1__request__get_packed_size(&req);
	if (max_bytes > 0 && *len > max_bytes) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
			"request of %zu bytes exceeds the %zu-byte message "
			"limit",
			*len, max_bytes);
	}
	if ((*buf = malloc(*len > 0 ? *len : 1)) == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz__rpc__v1__request__pack(&req, *buf);
	return OZ_OK;
}

static void
copy_status(const Oz__Rpc__V1__Status *s, oz_status *st)
{
	int code = s->code;
	if (code < 0 || code >= OZ_CODE_COUNT) {
		oz_fail(st, OZ_UNKNOWN, "server sent status code %d: %s", code,
			s->message != NULL ? s->message : "");
		return;
	}
	oz_fail(st, (oz_code) code, "%s",
		s->message != NULL ? s->message : "");
	for (size_t i = 0; i < s->n_details; i++) {
		const Oz__Rpc__V1__FieldViolation *v = s->details[i];
		if (v == NULL) {
			continue;
		}
		oz_status_violation(st, v->field != NULL ? v->field : "", "%s",
			v->description != NULL ? v->description : "");
	}
}

oz_code
client_decode_response(const uint8_t *buf, size_t len,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	oz_status *st)
{
	Oz__Rpc__V1__Response *r;
	oz_code rc;

	*out = NULL;
	oz_status_clear(st);
	r = oz__rpc__v1__response__unpack(NULL, len, buf);
	if (r == NULL) {
		return oz_fail(st, OZ_INTERNAL,
			"reply is not an oz.rpc.v1.Response (%zu bytes)", len);
	}
	if (r->status != NULL) {
		copy_status(r->status, st);
	}
	rc = st->code;
	if (rc == OZ_OK) {
		*out = protobuf_c_message_unpack(
			out_desc, NULL, r->payload.len, r->payload.data);
		if (*out == NULL) {
			rc = oz_fail(st, OZ_INTERNAL,
				"reply payload is not a %s", out_desc->name);
		}
	}
	oz__rpc__v1__response__free_unpacked(r, NULL);
	return rc;
}

oz_code
client_nng_fail(int rv, bool sent, const char *url, oz_status *st)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		if (sent) {
			return oz_fail(st, OZ_DEADLINE_EXCEEDED,
				"deadline exceeded waiting for the reply "
				"from %s",
				url);
		}
		return oz_fail(st, OZ_UNAVAILABLE,
			"cannot reach %s before the deadline", url);
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_ECONNABORTED:
	case NNG_EUNREACHABLE:
	case NNG_ENOENT:
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO:
	case NNG_EPROTO:
		return oz_fail(
			st, OZ_UNAVAILABLE, "%s: %s", url, nng_strerror(rv));
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return oz_fail(st, OZ_CANCELLED, "call cancelled: %s",
			nng_strerror(rv));
	case NNG_EMSGSIZE:
	case NNG_ENOMEM:
	case NNG_ENOFILES:
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "%s: %s", url,
			nng_strerror(rv));
	case NNG_EADDRINVAL:
	case NNG_EINVAL:
	case NNG_ENOTSUP:
		return oz_fail(st, OZ_INVALID_ARGUMENT, "%s: %s", url,
			nng_strerror(rv));
	default:
		return oz_fail(st, OZ_INTERNAL, "%s: nng error %d: %s", url,
			rv, nng_strerror(rv));
	}
}
