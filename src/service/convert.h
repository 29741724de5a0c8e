/* service/convert.h -- store records to protobuf messages and back, for
 * the user and task handlers: timestamps, etags, enum checks, and the
 * guard every handler runs first.
 *
 * Everything returned is allocated from the arena passed in and lives
 * until it is reset; record strings are referenced, not copied (they are
 * already in the request's arena). No SQL, no nng. */
#ifndef OZ_SERVICE_CONVERT_H
#define OZ_SERVICE_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "oz/v1/resources.pb-c.h"
#include "service/service.h"
#include "store/task_store.h"
#include "store/user_store.h"

/* Returns OK when cx has a database and in and out are messages of the
 * given descriptors; else INTERNAL (a dispatch-table bug). */
oz_code convert_check(const service_ctx *cx, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *in_desc, const ProtobufCMessage *out,
	const ProtobufCMessageDescriptor *out_desc, oz_status *st) OZ_MUST_USE;

/* The etag of a resource (AIP-154): "<version>-<create time in hex>",
 * e.g. "3-5f2a9c01d2b40". It changes on every update (version) and
 * differs between a deleted row and a new row that reuses its id (create
 * time). NULL when a runs out. */
char *convert_etag(arena *a, int64_t version, int64_t create_us);

/* Returns OK when etag is empty (unconditional) or equals the current
 * etag of the resource; else ABORTED "etag mismatch". */
oz_code convert_etag_check(const char *etag, int64_t version,
	int64_t create_us, oz_status *st) OZ_MUST_USE;

/* Fills out (initialised) from u; out->tasks is left alone. Returns OK or
 * RESOURCE_EXHAUSTED. */
oz_code convert_user(arena *a, const store_user *u, Oz__V1__User *out,
	oz_status *st) OZ_MUST_USE;

/* Fills out (initialised) from t. Returns OK or RESOURCE_EXHAUSTED. */
oz_code convert_task(arena *a, const store_task *t, Oz__V1__Task *out,
	oz_status *st) OZ_MUST_USE;

/* OUT: *out, an array of n new messages from a, converted from rows
 * (NULL when n is 0). Returns OK or RESOURCE_EXHAUSTED. */
oz_code convert_tasks(arena *a, const store_task *rows, size_t n,
	Oz__V1__Task ***out, oz_status *st) OZ_MUST_USE;

/* True for PENDING, IN_PROGRESS and DONE (the values the store keeps). */
bool convert_status_valid(int status);

/* Returns the later of now and after + 1 microsecond: an update time that
 * always moves forward, even when the clock does not. */
int64_t convert_next_time(int64_t after);

/* For list handlers: turns RESOURCE_EXHAUSTED (the request's arena, which
 * the server bounds by its message size, ran out) into the advice to ask
 * for a smaller page. Returns rc. */
oz_code convert_page_limit(oz_code rc, oz_status *st) OZ_MUST_USE;

/* Decides which of the n updatable fields names[] an update changes
 * (AIP-134): with no mask paths, those whose set[i] is true (set to a
 * non-default value in the message); with the path "*", all of them;
 * else the ones named. OUT: apply[0..n). Returns OK, or INVALID_ARGUMENT
 * with a violation for "update_mask": "unknown update_mask path \"P\""
 * for a path not in names, "invalid request" when no field is chosen. */
oz_code convert_mask_fields(const Google__Protobuf__FieldMask *mask,
	const char *const *names, const bool *set, int n, bool *apply,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_SERVICE_CONVERT_H */
