/* store/idem_store.h -- remembered outcomes of writes that carried an
 * idempotency key (AIP-155 request_id), written in the same transaction
 * as the write itself. The store sees the response only as bytes. */
#ifndef OZ_STORE_IDEM_STORE_H
#define OZ_STORE_IDEM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "store/store.h"

typedef struct store_idem {
	const char *method;   /* Full method name. */
	int64_t request_hash; /* Hash of method and request bytes. */
	int code;             /* The outcome's status code... */
	const char *message;  /* ...and message. */
	const void *response; /* OK: the serialized output; else the
			       * serialized oz.rpc.v1.Status (empty in rows
			       * written before it was kept). */
	size_t response_len;
	int64_t create_us; /* When the write ran. */
} store_idem;

/* Looks key up, ignoring outcomes older than not_before_us. OUT: *out,
 * strings and bytes in a. Returns OK, NOT_FOUND (no live outcome), or a
 * store failure. */
oz_code store_idem_get(store_conn *c, const char *key, int64_t not_before_us,
	store_idem *out, arena *a, oz_status *st) OZ_MUST_USE;

/* Records (or replaces an expired) outcome for key. */
oz_code store_idem_put(store_conn *c, const char *key, const store_idem *rec,
	oz_status *st) OZ_MUST_USE;

/* Deletes outcomes older than before_us. OUT: *n_deleted (may be NULL). */
oz_code store_idem_purge(store_conn *c, int64_t before_us, int *n_deleted,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_IDEM_STORE_H */
