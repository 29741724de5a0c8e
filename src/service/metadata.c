/* service/metadata.c -- reading a request's metadata (key/value pairs the
 * rpc layer decoded from the envelope). Keys are compared exactly, so
 * callers ask for the lower-case names gRPC uses ("idempotency-key").
 * Nothing here allocates or copies. */
#include <string.h>

#include "service/service.h"

const char *
service_metadata(const service_ctx *cx, const char *key)
{
	if (cx == NULL || key == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < cx->n_metadata; i++) {
		const Oz__Rpc__V1__Metadata *m = cx->metadata[i];
		if (m != NULL && m->key != NULL && strcmp(m->key, key) == 0) {
			return m->value != NULL ? m->value : "";
		}
	}
	return NULL;
}
