/* rpc/server.h -- ozd's serving core: one nng rep0 socket with its
 * listeners, workers that each own an nng context, the group-commit
 * writer and the one admin thread. Knows nothing of flags or signals
 * (src/main.c). */
#ifndef OZ_RPC_SERVER_H
#define OZ_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oz/status.h"
#include "store/store.h"

#define RPC_LISTEN_MAX 16

/* Workers beyond max_inflight: they answer RESOURCE_EXHAUSTED while
 * the admitted calls run, so overload is refused promptly. */
#define RPC_SPARE_WORKERS 8

#define RPC_READ_THREADS_DEFAULT 4
#define RPC_READ_THREADS_MAX     64

typedef struct rpc_server_config {
	const char *listen[RPC_LISTEN_MAX]; /* URLs; at least one. */
	size_t n_listen;
	int max_inflight; /* Calls admitted at once; more get
			     RESOURCE_EXHAUSTED at once. */
	/* Threads running reads when the backend's reads block (PostgreSQL:
	 * store_reads_block), each with its own connection. */
	int read_threads;
	size_t max_message_bytes;    /* Largest request and reply. */
	uint32_t default_timeout_ms; /* Deadline of calls that give none. */
	const char *tls_cert;        /* PEM files for tls+tcp:// */
	const char *tls_key;
	const char *tls_ca;          /* If set, clients must present a cert. */
	int ipc_mode;                /* Permissions of ipc:// socket files. */
	bool group_commit;           /* false: one COMMIT per write call. */
	const char *auth_token_file; /* If set, calls need a token. */
	/* If set, RPC_ADMIN methods need one of its tokens; if not, they
	 * are served to local peers only (rpc/auth.h). */
	const char *admin_token_file;
	int optimize_interval_ms; /* PRAGMA optimize this often; 0 never. */
	const char *http_addr;    /* HOST:PORT: the web console at http://ADDR/
				     and ws://ADDR/rpc; NULL: off. */
	const char *ws_origins[16]; /* Browser origins allowed on ws://
				       besides the console's own. */
	size_t n_ws_origins;
	store_config store;
} rpc_server_config;

/* Fills the defaults: tcp://127.0.0.1:7878, 64 calls in flight, 4 MiB,
 * 30 s, 0600, group commit on, no tokens, optimize hourly, the store's
 * defaults. */
void rpc_server_config_init(rpc_server_config *cfg);

typedef struct rpc_server rpc_server;

/* Opens the database connections and starts listening and serving. OUT:
 * *out, freed by rpc_server_stop. Returns OK, INVALID_ARGUMENT for a bad
 * URL or TLS file, UNAVAILABLE when an address cannot be bound. */
oz_code rpc_server_start(rpc_server **out, const rpc_server_config *cfg,
	oz_status *st) OZ_MUST_USE;

/* Starts draining: health reports NOT_SERVING and calls that arrive from
 * now on are answered UNAVAILABLE without running; calls already running
 * finish and are answered. Listeners close in rpc_server_stop. */
void rpc_server_drain(rpc_server *s);

/* Waits until no call is running, at most timeout_ms. True if idle. */
bool rpc_server_wait_idle(rpc_server *s, int timeout_ms);

/* Stops the workers and the writer (which runs PRAGMA optimize and
 * checkpoints the WAL), closes the socket and the database, frees s. */
void rpc_server_stop(rpc_server *s);

struct rpc_stats;

/* The server's call statistics (owned by s). */
struct rpc_stats *rpc_server_stats(rpc_server *s);

/* Microseconds since rpc_server_start. */
int64_t rpc_server_uptime_us(rpc_server *s);

/* The database the server serves. */
const store_config *rpc_server_store_config(rpc_server *s);

/* Sizes of the database and its WAL in bytes, without waiting on the
 * network: SQLite's files, or PostgreSQL's pg_database_size as the
 * writer's last idle probe read it (WAL 0: the server's own). */
void rpc_server_db_sizes(rpc_server *s, int64_t *db, int64_t *wal);

/* Database connections open (the writer's and every read connection)
 * and read connections running a call now. */
void rpc_server_db_conns(rpc_server *s, int32_t *open, int32_t *busy);

/* Calls received and not yet answered, right now. */
int rpc_server_inflight(rpc_server *s);

/* Calls answered since start (any status). */
long rpc_server_calls(rpc_server *s);

/* Write transactions committed and the write calls they carried: with
 * group commit under concurrent writes, batches < calls. */
void rpc_server_commit_counts(rpc_server *s, long *batches, long *calls);

#endif /* OZ_RPC_SERVER_H */
