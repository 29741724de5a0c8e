/* rpc/auth.h -- bearer tokens: who may call. Tokens are compared in
 * constant time and never logged. */
#ifndef OZ_RPC_AUTH_H
#define OZ_RPC_AUTH_H

#include <stdbool.h>

#include "oz/status.h"

typedef struct rpc_auth rpc_auth;

/* Reads tokens from path: one per line; blank lines and lines starting
 * with '#' are ignored, surrounding white space is trimmed. OUT: *out,
 * freed with rpc_auth_free. Returns OK, INVALID_ARGUMENT (unreadable file,
 * no token in it). */
oz_code rpc_auth_load(
	const char *path, rpc_auth **out, oz_status *st) OZ_MUST_USE;

/* Frees a; NULL is a no-op. */
void rpc_auth_free(rpc_auth *a);

/* True if header is "Bearer <token>" for one of a's tokens. The time taken
 * does not depend on where a wrong token first differs. */
bool rpc_auth_check(const rpc_auth *a, const char *header);

#endif /* OZ_RPC_AUTH_H */
