/* rpc/call.h -- one RPC from request bytes to response bytes, without nng.
 *
 * The generic checks run here once, before any handler (STYLE.md §3):
 * envelope decode, method lookup, metadata limits, deadline, payload
 * decode. The server (and the fuzz harness) drive a call in three steps:
 * rpc_call_begin, rpc_call_run (on the connection the method's kind needs),
 * rpc_call_reply. With cfg->auth set, every method but Health/Check needs
 * "authorization: Bearer <token>" metadata (else UNAUTHENTICATED, checked
 * before the method is looked up; an admin token passes it too). Rows
 * marked RPC_ADMIN or RPC_ADMIN_TOKEN are then checked by
 * rpc_auth_admin_ok (rpc/auth.h), here and nowhere else. Everything is
 * allocated from the call's arena. */
#ifndef OZ_RPC_CALL_H
#define OZ_RPC_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/clock.h"
#include "oz/status.h"
#include "rpc/dispatch.h"
#include "store/store.h"

/* Limits on a request's metadata (documented in docs/protocol.md). */
#define RPC_METADATA_MAX       32
#define RPC_METADATA_KEY_MAX   64
#define RPC_METADATA_VALUE_MAX 1024

/* The request-id of ozd's own listener probes (rpc/listener.c): such calls
 * are not logged or counted as client calls. */
#define RPC_PROBE_REQUEST_ID "ozd-listener-probe"

typedef struct rpc_call_config {
	uint32_t default_timeout_ms; /* Deadline when a request has 0. */
	size_t max_message_bytes;    /* Largest reply the server sends. */
	const struct rpc_auth *auth; /* NULL: no token needed. */
	/* The admin tokens (--admin-token-file), or NULL: then RPC_ADMIN
	 * methods are for local peers only. An admin token also passes the
	 * ordinary check, so one token is enough for an admin client. */
	const struct rpc_auth *admin;
	void *server;                /* Passed to handlers as cx->server. */
	struct store_health *health; /* Passed as cx->health (may be NULL). */
} rpc_call_config;

/* Where a call came from, asked only when it matters (an RPC_ADMIN method
 * with no admin token configured): is_local(arg) is true for a peer on
 * this machine. A NULL rpc_peer or is_local means "not local". */
typedef struct rpc_peer {
	bool (*is_local)(void *arg);
	void *arg;
} rpc_peer;

typedef struct rpc_call {
	arena *arena;
	const rpc_call_config *cfg;
	const rpc_method *method; /* NULL until found. */
	Oz__Rpc__V1__Request *req;
	ProtobufCMessage *input;
	ProtobufCMessage *output;
	const char *request_id;     /* The "request-id" metadata, or NULL. */
	const char *authorization;  /* The "authorization" metadata. */
	int64_t start_us;           /* Monotonic time the request arrived. */
	int64_t deadline_us;        /* Monotonic deadline. */
	bool ran;                   /* True once the handler has run. */
	bool probe;                 /* ozd's own listener probe. */
	bool replayed;              /* Answered from a stored outcome. */
	ProtobufCBinaryData packed; /* The encoded output, once packed. */
	oz_status st;
} rpc_call;

/* Decodes the envelope and payload of buf[0..len) into call, using a for
 * every allocation, and decides whether the caller may call the method
 * (peer: where it came from; NULL = not local). On failure call->st holds
 * the status (INVALID_ARGUMENT, UNIMPLEMENTED, UNAUTHENTICATED,
 * PERMISSION_DENIED, ...) and rpc_call_ok is false. buf must outlive the
 * call (payload bytes are not copied). */
void rpc_call_begin(rpc_call *call, const rpc_call_config *cfg, arena *a,
	const void *buf, size_t len, const rpc_peer *peer);

/* True while no status other than OK has been set. */
bool rpc_call_ok(const rpc_call *call);

/* Runs the handler unless the call already failed or its deadline has
 * passed (then DEADLINE_EXCEEDED, not executed). db may be NULL for
 * RPC_NODB methods. serving is what health reports. */
void rpc_call_run(rpc_call *call, store_conn *db, bool serving);

/* Makes a call that ran ready to run again: its whole transaction was
 * rolled back by a serialization failure or deadlock (never after an
 * unknown outcome such as a lost connection). */
void rpc_call_reset(rpc_call *call);

/* Fails the call with code and message unless it already failed. */
void rpc_call_fail(rpc_call *call, oz_code code, const char *msg);

/* Encodes the oz.rpc.v1.Response into arena memory. A reply larger than
 * cfg->max_message_bytes becomes RESOURCE_EXHAUSTED. OUT: *out, *len. */
void rpc_call_reply(rpc_call *call, void **out, size_t *len);

/* st as the oz.rpc.v1.Status that goes on the wire, from a; its text is
 * valid UTF-8 without control characters (escaped when it was not). NULL
 * when out of memory. */
Oz__Rpc__V1__Status *rpc_status_pb(arena *a, const oz_status *st);

/* The inverse of rpc_status_pb: OUT: *st (code, message, violations). */
void rpc_status_from_pb(const Oz__Rpc__V1__Status *s, oz_status *st);

/* The method name for logs: the row's, or "-" when unknown. */
const char *rpc_call_method_name(const rpc_call *call);

#endif /* OZ_RPC_CALL_H */
