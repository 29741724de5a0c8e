/* tests/support/wire.c -- see wire.h. Tests only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "wire.h"

int
wire_open(nng_socket *s, const char *url)
{
	int rv = nng_req0_open(s);
	if (rv != 0) {
		return rv;
	}
	nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(*s, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(*s, NNG_OPT_SENDTIMEO, 5000);
	nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 64u << 20);
	/* Non-blocking: a listener that never answers the handshake must
	 * show up as a call timeout, not hang the dial. */
	if ((rv = nng_dial(*s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(*s);
	}
	return rv;
}

int
wire_raw(nng_socket s, const void *buf, size_t len,
	Oz__Rpc__V1__Response **reply)
{
	*reply = NULL;
	int rv = nng_send(s, (void *) buf, len, 0);
	if (rv != 0) {
		return rv;
	}
	void *rbuf;
	size_t rlen;
	if ((rv = nng_recv(s, &rbuf, &rlen, NNG_FLAG_ALLOC)) != 0) {
		return rv;
	}
	*reply = oz__rpc__v1__response__unpack(NULL, rlen, rbuf);
	nng_free(rbuf, rlen);
	return *reply != NULL ? 0 : -1;
}

void
wire_envelope_md(const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, Oz__Rpc__V1__Metadata **md, size_t n,
	uint8_t **buf, size_t *len)
{
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	req.method = (char *) method;
	req.timeout_ms = timeout_ms;
	req.metadata = md;
	req.n_metadata = n;
	size_t pn = protobuf_c_message_get_packed_size(in);
	req.payload.data = malloc(pn + 1);
	req.payload.len = protobuf_c_message_pack(in, req.payload.data);
	*len = oz__rpc__v1__request__get_packed_size(&req);
	*buf = malloc(*len + 1);
	oz__rpc__v1__request__pack(&req, *buf);
	free(req.payload.data);
}

void
wire_envelope(const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, uint8_t **buf, size_t *len)
{
	wire_envelope_md(method, in, timeout_ms, NULL, 0, buf, len);
}

/* Sends an envelope and turns the reply into st and *out. */
static oz_code
exchange(nng_socket s, uint8_t *buf, size_t len,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	oz_status *st)
{
	Oz__Rpc__V1__Response *r;
	*out = NULL;
	oz_status_clear(st);
	int rv = wire_raw(s, buf, len, &r);
	free(buf);
	if (rv != 0) {
		return oz_fail(st, OZ_UNAVAILABLE, "transport: %s",
			rv > 0 ? nng_strerror(rv) : "undecodable reply");
	}
	if (r->status != NULL) {
		st->code = (oz_code) r->status->code;
		snprintf(st->message, sizeof(st->message), "%s",
			r->status->message);
		for (size_t i = 0; i < r->status->n_details; i++) {
			oz_status_violation(st, r->status->details[i]->field,
				"%s", r->status->details[i]->description);
		}
	}
	if (st->code == OZ_OK) {
		*out = protobuf_c_message_unpack(
			out_desc, NULL, r->payload.len, r->payload.data);
		if (*out == NULL) {
			oz_fail(st, OZ_INTERNAL, "undecodable payload");
		}
	}
	oz__rpc__v1__response__free_unpacked(r, NULL);
	return st->code;
}

oz_code
wire_call(nng_socket s, const char *method, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	uint32_t timeout_ms, oz_status *st)
{
	uint8_t *buf;
	size_t len;
	wire_envelope(method, in, timeout_ms, &buf, &len);
	return exchange(s, buf, len, out_desc, out, st);
}

oz_code
wire_call_md(nng_socket s, const char *method, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	const char *key, const char *value, oz_status *st)
{
	Oz__Rpc__V1__Metadata md = OZ__RPC__V1__METADATA__INIT;
	Oz__Rpc__V1__Metadata *mdp = &md;
	md.key = (char *) key;
	md.value = (char *) value;
	uint8_t *buf;
	size_t len;
	wire_envelope_md(method, in, 0, &mdp, 1, &buf, &len);
	return exchange(s, buf, len, out_desc, out, st);
}
