/* rpc/idempotency.h -- AIP-155 request_id for writes. A write whose input
 * carries a non-empty request_id runs at most once per retention window:
 * its outcome is stored with the write, in the same transaction, and a
 * repeat gets that outcome back without running again (even across a
 * restart). The same key with a different request is INVALID_ARGUMENT.
 * Only definitive outcomes are kept; UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, INTERNAL and the like may be retried and run. */
#ifndef OZ_RPC_IDEMPOTENCY_H
#define OZ_RPC_IDEMPOTENCY_H

#include <stdint.h>

#include "rpc/call.h"
#include "store/store.h"

/* How long an outcome is kept: 24 hours. */
#define RPC_IDEM_RETENTION_US (24LL * 3600 * 1000000)

/* Longest accepted request_id, in bytes. */
#define RPC_IDEM_KEY_MAX 128

/* Runs call's handler on db under its request_id (if any): replays a
 * stored outcome, refuses a reused key, or runs the handler and stores its
 * outcome with its changes. Calls without a key just run. */
void rpc_idem_run(rpc_call *call, store_conn *db, service_ctx *cx);

/* Deletes outcomes older than the retention window. */
oz_code rpc_idem_purge(store_conn *db, oz_status *st) OZ_MUST_USE;

#endif /* OZ_RPC_IDEMPOTENCY_H */
