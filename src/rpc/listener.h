/* rpc/listener.h -- one listen URL of the server: TLS and ipc options, and
 * the guard against nng 1.5.2's ipc listener defect (upstream #1518: a
 * client that disconnects during the SP handshake leaves the listener
 * accepting nothing more). */
#ifndef OZ_RPC_LISTENER_H
#define OZ_RPC_LISTENER_H

#include <stdatomic.h>
#include <stdbool.h>

#include <nng/nng.h>

#include "rpc/server.h"

typedef struct rpc_listener {
	const char *url;
	nng_listener l;
	bool open;
	char ipc_path[108]; /* Non-empty for ipc:// listeners. */
	atomic_int id;      /* nng_listener_id(l) while open, else 0. */
	atomic_long added;  /* Pipes this listener handed to the socket. */
} rpc_listener;

/* How often the server's guard probes its ipc listeners, and how long a
 * probe waits for each step; a stuck listener is re-opened after one
 * failed probe, so a client is answered again within about
 * RPC_GUARD_INTERVAL_MS + 2 * RPC_PROBE_TIMEOUT_MS. The price: a server
 * so loaded that nng takes longer than RPC_PROBE_TIMEOUT_MS to hand over
 * a negotiated connection gets its ipc listener re-opened needlessly,
 * which drops that listener's connections (clients reconnect). nng's
 * listener statistics cannot tell the defect apart: its "other" accept
 * error is also counted when any client disconnects. */
#define RPC_GUARD_INTERVAL_MS 50
#define RPC_PROBE_TIMEOUT_MS  100

/* Creates and starts a listener for url on sock with cfg's options
 * (message size, TLS files, ipc permissions). Returns OK,
 * INVALID_ARGUMENT (bad URL, TLS files) or UNAVAILABLE (cannot bind). */
oz_code rpc_listener_open(rpc_listener *ln, nng_socket sock, const char *url,
	const rpc_server_config *cfg, oz_status *st) OZ_MUST_USE;

/* Closes the listener (no new connections). */
void rpc_listener_close(rpc_listener *ln);

/* For ipc listeners: completes an SP handshake with the listener over a
 * raw socket and waits until the listener hands that connection to the
 * socket (rpc_listener_pipe_added counts it). After nng 1.5.2's defect
 * the listener never does, so one failed probe re-opens it. Returns true
 * if the listener was re-opened. */
bool rpc_listener_guard(
	rpc_listener *ln, nng_socket sock, const rpc_server_config *cfg);

/* The socket's NNG_PIPE_EV_ADD_POST callback calls this: counts p for the
 * listener among lns[0..n) that made it. */
void rpc_listener_pipe_added(rpc_listener *lns, size_t n, nng_pipe p);

/* True when sa is a peer on this machine: ipc://, inproc://, or tcp from
 * 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
bool rpc_listener_addr_is_local(const nng_sockaddr *sa);

/* True when the peer that sent msg is local (rpc_listener_addr_is_local
 * of the pipe's NNG_OPT_REMADDR); false when that cannot be told. */
bool rpc_listener_peer_is_local(nng_msg *msg);

#endif /* OZ_RPC_LISTENER_H */
