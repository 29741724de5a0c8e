/* clients/c/endpoints.h -- the servers one oz_client spreads its calls
 * over: one nng req0 socket per URL, whether it is connected, and a
 * back-off for a server that stopped answering.
 *
 * Why one socket per server and not one req0 socket dialing them all: req0
 * alone would spread requests over its pipes, but it cannot say which
 * server a request went to, cannot steer a retry to another server, and
 * keeps sending to a server that is connected but no longer answers. The
 * choice of server, and so whether a call is repeated at all, stays here
 * and in client.c. nng's own re-sending is off on every socket. */
#ifndef OZ_CLIENTS_C_ENDPOINTS_H
#define OZ_CLIENTS_C_ENDPOINTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "oz/client.h"
#include "url.h"

typedef struct client_endpoint {
	const char *url; /* Points into the set's copy of the URL list. */
	nng_socket sock;
	nng_dialer dialer;
	nng_mtx *dial_mu;
	/* The dialer runs in the background: set once, under dial_mu. */
	atomic_bool dialing;
	atomic_int pipes; /* Connections up (nng pipe events). */
	bool local;       /* client_url_is_local. */
	/* Under the set's mu: consecutive failures and the time before which
	 * the server is skipped while another can be used. */
	int fails;
	int64_t down_until_ms;
} client_endpoint;

typedef struct client_endpoints {
	char *urls; /* The list as given, split in place. */
	client_endpoint ep[CLIENT_MAX_URLS];
	size_t n;
	nng_mtx *mu;
	atomic_uint next; /* Round-robin position. */
} client_endpoints;

/* Opens one socket per URL of the comma-separated list (nng re-sending
 * off, max_message as the receive limit, TLS from o) and dials: local URLs
 * at once (a refusal is not an error here), remote ones in the background.
 * Returns OK; INVALID_ARGUMENT for a malformed list or bad TLS files;
 * INTERNAL when nng fails otherwise. On failure call
 * client_endpoints_close. */
oz_code client_endpoints_open(client_endpoints *set, const char *list,
	size_t max_message, const oz_client_options *o, oz_status *st);

/* Closes every socket and frees what open allocated. Idempotent. */
void client_endpoints_close(client_endpoints *set);

/* Chooses the server for the next attempt of a call. tried has bit i set
 * for each server this call already used. Preference, in round-robin
 * order within each rank: untried, not backing off and connected (or a
 * local URL not dialed yet); untried and not backing off; untried; any.
 * OUT: *fresh, false when every server was tried (the caller then backs
 * off before the attempt). Returns the index. */
size_t client_endpoint_pick(
	client_endpoints *set, uint32_t tried, int64_t now_ms, bool *fresh);

/* Whether the server is connected (it has a pipe). */
bool client_endpoint_connected(const client_endpoint *e);

/* Makes sure the endpoint's dialer runs; a local URL not dialing yet is
 * dialed synchronously. Returns OK, or UNAVAILABLE at once when nothing
 * listens there (refused; no socket file), the next call dials again. */
oz_code client_endpoint_dial(client_endpoint *e, oz_status *st);

/* Records the outcome of an attempt on server i: ok false starts or
 * doubles its back-off (100 ms up to 5 s), ok true ends it. */
void client_endpoint_report(
	client_endpoints *set, size_t i, bool ok, int64_t now_ms);

#endif /* OZ_CLIENTS_C_ENDPOINTS_H */
