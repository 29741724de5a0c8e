/* rpc/listener.h -- one listen URL of the server: TLS and ipc options, and
 * the guard against nng 1.5.2's ipc listener defect (upstream #1518: a
 * client that disconnects during the SP handshake leaves the listener
 * accepting nothing more). */
#ifndef OZ_RPC_LISTENER_H
#define OZ_RPC_LISTENER_H

#include <stdbool.h>

#include <nng/nng.h>

#include "rpc/server.h"

typedef struct rpc_listener {
	const char *url;
	nng_listener l;
	bool open;
	char ipc_path[108]; /* Non-empty for ipc:// listeners. */
	int failed_probes;
} rpc_listener;

/* Creates and starts a listener for url on sock with cfg's options
 * (message size, TLS files, ipc permissions). Returns OK,
 * INVALID_ARGUMENT (bad URL, TLS files) or UNAVAILABLE (cannot bind). */
oz_code rpc_listener_open(rpc_listener *ln, nng_socket sock, const char *url,
	const rpc_server_config *cfg, oz_status *st) OZ_MUST_USE;

/* Closes the listener (no new connections). */
void rpc_listener_close(rpc_listener *ln);

/* For ipc listeners: completes an SP handshake with the listener over a
 * raw socket; after two failed probes in a row, re-opens the listener.
 * Returns true if the listener was re-opened. */
bool rpc_listener_guard(
	rpc_listener *ln, nng_socket sock, const rpc_server_config *cfg);

#endif /* OZ_RPC_LISTENER_H */
