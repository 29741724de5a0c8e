/* clients/c/wire.h -- the client's side of the oz.rpc.v1 envelope: build a
 * Request, read a Response, and turn nng errors into oz codes.
 *
 * Pure functions with no I/O, so a fuzz harness can drive the response
 * decoder directly. This is the only place nng error numbers are mapped. */
#ifndef OZ_CLIENTS_C_WIRE_H
#define OZ_CLIENTS_C_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "oz/status.h"

/* Length of a request id: a UUID in text form plus the NUL. */
#define CLIENT_ID_LEN 37

/* Writes a random version-4 UUID into id (CLIENT_ID_LEN bytes). */
void client_new_id(char id[CLIENT_ID_LEN]);

/* Packs the method's input message. When the message has a string field
 * request_id that is empty and auto_id is true, a copy carrying the new id
 * `id` is packed instead (in is never modified).
 * OUT: *buf (malloc, caller frees), *len, *has_key: true when the packed
 * message carries a request_id (given or added).
 * Returns OK or RESOURCE_EXHAUSTED (out of memory). */
oz_code client_pack_input(const ProtobufCMessage *in, bool auto_id,
	const char *id, uint8_t **buf, size_t *len, bool *has_key,
	oz_status *st);

/* Serializes one oz.rpc.v1.Request. token may be NULL (no authorization
 * metadata); request_id is sent as metadata "request-id".
 * OUT: *buf (malloc, caller frees), *len.
 * Returns OK, RESOURCE_EXHAUSTED when the result is over max_bytes or
 * memory runs out. */
oz_code client_encode_request(const char *method, const uint8_t *payload,
	size_t payload_len, const char *token, const char *request_id,
	uint32_t timeout_ms, size_t max_bytes, uint8_t **buf, size_t *len,
	oz_status *st);

/* Decodes an oz.rpc.v1.Response into st and, when its status is OK, its
 * payload as out_desc.
 * OUT: *out, owned by the caller (oz_message_free), NULL unless OK.
 * Returns the server's code, or INTERNAL when the bytes are not a Response
 * or the payload is not an out_desc. */
oz_code client_decode_response(const uint8_t *buf, size_t len,
	const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **out,
	oz_status *st);

/* Maps an nng error number from a call to an oz code with a message
 * naming url. sent tells whether the request had left: a timeout before
 * that means the server was unreachable (UNAVAILABLE), after it that the
 * reply did not come in time (DEADLINE_EXCEEDED). */
oz_code client_nng_fail(int nng_rv, bool sent, const char *url, oz_status *st);

#endif /* OZ_CLIENTS_C_WIRE_H */
