/* rpc/http.h -- the web console: ozd's embedded HTML, CSS and JavaScript
 * served over HTTP by nng's HTTP server, which the ws://ADDR/rpc listener
 * shares (same host:port), and the Origin rule for WebSocket pipes. */
#ifndef OZ_RPC_HTTP_H
#define OZ_RPC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

#include "oz/status.h"

#define RPC_ORIGIN_MAX   16
#define RPC_HTTP_URL_MAX 300

typedef struct rpc_http rpc_http;

/* Serves the console's embedded files at http://ADDR/ (ADDR is HOST:PORT,
 * an explicit port) and fills ws_url with "ws://ADDR/rpc", the listener
 * the caller opens next on the same nng HTTP server. OUT: *out, freed by
 * rpc_http_stop; ws_url (RPC_HTTP_URL_MAX bytes). Returns OK,
 * INVALID_ARGUMENT for a malformed ADDR, UNAVAILABLE when it cannot be
 * bound. */
oz_code rpc_http_start(
	rpc_http **out, const char *addr, char *ws_url, oz_status *st);

/* Stops serving the console and releases the HTTP server. NULL is a
 * no-op. */
void rpc_http_stop(rpc_http *h);

/* The origins a browser's WebSocket may come from. Owned by the caller;
 * the strings must outlive the socket. */
typedef struct rpc_origins {
	const char *allowed[RPC_ORIGIN_MAX + 1];
	size_t n;
	char own[RPC_HTTP_URL_MAX]; /* "http://ADDR" of the console. */
} rpc_origins;

/* Installs the Origin rule on sock: a WebSocket pipe whose upgrade request
 * carries an Origin header that is not in o is closed before it joins the
 * socket, so no call on it runs. Pipes without Origin (programs that are
 * not browsers) and non-WebSocket pipes are untouched. o must outlive
 * sock. Returns OK or INTERNAL. */
oz_code rpc_origins_install(nng_socket sock, rpc_origins *o, oz_status *st);

/* Whether origin (the header's value) is allowed by o. */
bool rpc_origin_allowed(const rpc_origins *o, const char *origin);

#endif /* OZ_RPC_HTTP_H */
