/* tests/support/wire.h -- a bare-bones synchronous oz caller for tests of
 * the server: raw bytes in and out over a req0 socket, plus one typed call.
 * Tests use it to send what a real client never would (garbage, truncated
 * envelopes); the C client library is tested on its own. */
#ifndef OZ_TESTS_WIRE_H
#define OZ_TESTS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "oz/rpc/v1/rpc.pb-c.h"
#include "oz/status.h"

/* Opens a req0 socket dialed to url, resend disabled, 5 s timeouts.
 * Returns 0 or an nng error. */
int wire_open(nng_socket *s, const char *url);

/* Sends len bytes and waits for the reply. OUT: *reply (free with
 * oz__rpc__v1__response__free_unpacked(r, NULL)); NULL with the nng error
 * returned when nothing came back or the reply did not decode (-1). */
int wire_raw(nng_socket s, const void *buf, size_t len,
	Oz__Rpc__V1__Response **reply);

/* Calls method with in (timeout_ms 0 = server default). Sets *st from the
 * reply. On OK, *out is the decoded output (free with
 * protobuf_c_message_free_unpacked(*out, NULL)), else NULL. Returns
 * st->code, or UNAVAILABLE when the transport failed. */
oz_code wire_call(nng_socket s, const char *method, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	uint32_t timeout_ms, oz_status *st);

/* Like wire_call, with one metadata entry key: value (e.g. authorization). */
oz_code wire_call_md(nng_socket s, const char *method,
	const ProtobufCMessage *in, const ProtobufCMessageDescriptor *out_desc,
	ProtobufCMessage **out, const char *key, const char *value,
	oz_status *st);

/* Builds the envelope bytes for method/in. OUT: *buf (malloc'd), *len. */
void wire_envelope(const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, uint8_t **buf, size_t *len);

/* Like wire_envelope, with metadata entries (n of them; may be 0). */
void wire_envelope_md(const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, Oz__Rpc__V1__Metadata **md, size_t n,
	uint8_t **buf, size_t *len);

#endif /* OZ_TESTS_WIRE_H */
