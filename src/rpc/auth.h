/* rpc/auth.h -- bearer tokens: who may call, and who may call the admin
 * methods. Tokens are compared in constant time and never logged. */
#ifndef OZ_RPC_AUTH_H
#define OZ_RPC_AUTH_H

#include <stdbool.h>

#include "oz/status.h"

typedef struct rpc_auth rpc_auth;

/* Who may call a method; a column of the dispatch table (rpc/dispatch.c).
 * The ordinary token check (--auth-token-file) comes first, for every
 * method but Health/Check; this is checked after it. */
typedef enum rpc_access {
	RPC_OPEN = 0, /* Anyone the ordinary token check lets in. */
	/* Acts on files or the database: with an admin token configured,
	 * only its bearer; with none, only local peers (ipc://, inproc://,
	 * tcp from 127.0.0.0/8 or ::1). */
	RPC_ADMIN = 1,
	/* Stricter: only the bearer of the admin token; with none
	 * configured, nobody (PERMISSION_DENIED). */
	RPC_ADMIN_TOKEN = 2,
} rpc_access;

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

/* True when admin is a loaded admin token set (--admin-token-file), false
 * for NULL. */
bool rpc_auth_admin_configured(const rpc_auth *admin);

/* The one decision on admin methods. admin: the admin tokens or NULL;
 * authorization: the call's "authorization" metadata or NULL; local_peer:
 * whether the caller is on this machine (only asked for RPC_ADMIN with no
 * admin token; may be NULL = not local), called with peer_arg. Returns OK;
 * UNAUTHENTICATED when an admin token is configured and none was sent;
 * PERMISSION_DENIED when a wrong token was sent, when the peer is not
 * local and no admin token is configured, or for RPC_ADMIN_TOKEN when no
 * admin token is configured. */
oz_code rpc_auth_admin_ok(const rpc_auth *admin, rpc_access access,
	const char *authorization, bool (*local_peer)(void *), void *peer_arg,
	oz_status *st);

#endif /* OZ_RPC_AUTH_H */
