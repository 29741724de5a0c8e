/* rpc/auth.c -- the token files, the constant-time check and the one
 * decision on who may call an admin method. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/auth.h"

#define TOKEN_MAX  512
#define TOKENS_MAX 64

struct rpc_auth {
	int n;
	size_t len[TOKENS_MAX];
	char token[TOKENS_MAX][TOKEN_MAX];
};

oz_code
rpc_auth_load(const char *path, rpc_auth **out, oz_status *st)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot read auth token file %s", path);
	}
	rpc_auth *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		fclose(f);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	char line[TOKEN_MAX + 2];
	while (fgets(line, sizeof(line), f) != NULL && a->n < TOKENS_MAX) {
		char *p = line;
		while (isspace((unsigned char) *p)) {
			p++;
		}
		size_t l = strlen(p);
		while (l > 0 && isspace((unsigned char) p[l - 1])) {
			p[--l] = '\0';
		}
		if (l == 0 || p[0] == '#' || l >= TOKEN_MAX) {
			continue;
		}
		memcpy(a->token[a->n], p, l + 1);
		a->len[a->n++] = l;
	}
	fclose(f);
	if (a->n == 0) {
		free(a);
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"auth token file %s holds no token", path);
	}
	*out = a;
	return OZ_OK;
}

void
rpc_auth_free(rpc_auth *a)
{
	free(a);
}

/* Compares the first n bytes of two TOKEN_MAX buffers without branching on
 * their contents. */
static unsigned
differs(const char *x, size_t xl, const char *y, size_t yl)
{
	unsigned d = (unsigned) (xl ^ yl);
	for (size_t i = 0; i < TOKEN_MAX; i++) {
		d |= (unsigned) (unsigned char) (x[i] ^ y[i]);
	}
	return d;
}

bool
rpc_auth_check(const rpc_auth *a, const char *header)
{
	static const char prefix[] = "Bearer ";
	if (strncmp(header, prefix, sizeof(prefix) - 1) != 0) {
		return false;
	}
	const char *tok = header + sizeof(prefix) - 1;
	size_t tl = strlen(tok);
	if (tl >= TOKEN_MAX) {
		return false;
	}
	char given[TOKEN_MAX] = {0};
	memcpy(given, tok, tl);
	unsigned ok = 0;
	/* Every token is compared, whichever matches. */
	for (int i = 0; i < a->n; i++) {
		ok |= differs(given, tl, a->token[i], a->len[i]) == 0;
	}
	return ok != 0;
}

bool
rpc_auth_admin_configured(const rpc_auth *admin)
{
	return admin != NULL;
}

oz_code
rpc_auth_admin_ok(const rpc_auth *admin, rpc_access access,
	const char *authorization, bool (*local_peer)(void *), void *peer_arg,
	oz_status *st)
{
	if (access == RPC_OPEN) {
		return OZ_OK;
	}
	if (admin != NULL) {
		if (authorization == NULL) {
			return oz_fail(st, OZ_UNAUTHENTICATED,
				"admin method: send metadata \"authorization: "
				"Bearer <admin token>\"");
		}
		if (!rpc_auth_check(admin, authorization)) {
			return oz_fail(st, OZ_PERMISSION_DENIED,
				"admin method: the admin token is required");
		}
		return OZ_OK;
	}
	if (access == RPC_ADMIN_TOKEN) {
		return oz_fail(st, OZ_PERMISSION_DENIED,
			"admin method: disabled because ozd has no "
			"--admin-token-file");
	}
	if (local_peer == NULL || !local_peer(peer_arg)) {
		return oz_fail(st, OZ_PERMISSION_DENIED,
			"admin method: only local callers (ipc:// or "
			"loopback) may call it while ozd has no "
			"--admin-token-file");
	}
	return OZ_OK;
}
