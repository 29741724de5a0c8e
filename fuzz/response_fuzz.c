/* fuzz/response_fuzz.c -- libFuzzer harness for the C client's response
 * decoding (clients/c/wire.h client_decode_response): reply bytes ->
 * status + message + payload of the method's output type.
 *
 * The first input byte picks the expected output descriptor among the
 * methods the client knows; the rest is the reply. Must not do I/O. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../clients/c/wire.h"
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
	const oz_method_info *m = oz_method_at(data[0] % n_methods);
	ProtobufCMessage *out = NULL;
	oz_status st;
	oz_status_clear(&st);
	oz_code rc = client_decode_response(
		data + 1, size - 1, m->output, &out, &st);
	/* The contract: a message exactly when OK; the status agrees. */
	if ((rc == OZ_OK) != (out != NULL) || rc != st.code || (int) rc < 0 ||
		(int) rc >= OZ_CODE_COUNT ||
		strnlen(st.message, sizeof(st.message)) ==
			sizeof(st.message) ||
		st.n_violations > OZ_VIOLATIONS_MAX) {
		abort();
	}
	if (out != NULL && out->descriptor != m->output) {
		abort();
	}
	oz_message_free(out);
	return 0;
}
