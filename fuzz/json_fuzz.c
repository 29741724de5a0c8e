/* fuzz/json_fuzz.c -- libFuzzer harness for the proto3 JSON converter
 * that `ozctl call` uses (oz_json_to_message / oz_json_from_message).
 *
 * The first input byte picks a message type: the input or the output of
 * one of the methods the client knows. The rest is JSON text, parsed as
 * that type; when it parses, the message is printed back to JSON (with
 * each flag set), and that text must parse again into the same message
 * (same packed bytes). Must not do I/O. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oz/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
method_count(void)
{
	size_t n = 0;
	while (oz_method_at(n) != NULL) {
		n++;
	}
	return n;
}

/* Packs m into a malloc'ed buffer. OUT: *len. */
static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(*len + 1);
	if (b == NULL) {
		abort();
	}
	if (protobuf_c_message_pack(m, b) != *len) {
		abort();
	}
	return b;
}

/* Prints m with flags and parses the text back: it must parse and pack to
 * the same bytes as m. */
static void
round_trip(const ProtobufCMessage *m, unsigned flags)
{
	oz_status st;
	char *text = NULL;
	if (oz_json_from_message(m, flags, &text, &st) != OZ_OK) {
		abort();
	}
	ProtobufCMessage *again = NULL;
	if (oz_json_to_message(
		    text, strlen(text), m->descriptor, &again, &st) != OZ_OK) {
		abort();
	}
	size_t n1, n2;
	uint8_t *b1 = pack(m, &n1);
	uint8_t *b2 = pack(again, &n2);
	if (n1 != n2 || memcmp(b1, b2, n1) != 0) {
		abort();
	}
	free(b1);
	free(b2);
	oz_message_free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t n_methods;
	if (n_methods == 0) {
		n_methods = method_count();
	}
	if (size < 1 || n_methods == 0) {
		return 0;
	}
	const oz_method_info *mi = oz_method_at((data[0] >> 1) % n_methods);
	const ProtobufCMessageDescriptor *d =
		(data[0] & 1) != 0 ? mi->output : mi->input;
	ProtobufCMessage *m = NULL;
	oz_status st;
	oz_code rc = oz_json_to_message(
		(const char *) data + 1, size - 1, d, &m, &st);
	if ((rc == OZ_OK) != (m != NULL)) {
		abort();
	}
	if (m == NULL) {
		return 0;
	}
	round_trip(m, 0);
	round_trip(m, OZ_JSON_PRETTY | OZ_JSON_EMIT_DEFAULTS);
	oz_message_free(m);
	return 0;
}
