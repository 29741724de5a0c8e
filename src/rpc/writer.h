/* rpc/writer.h -- group commit: the one thread that runs every write.
 *
 * Workers hand write calls to the writer. The writer takes every
 * call queued so far, runs them in ONE transaction, each inside its own
 * SAVEPOINT (so one failing call does not undo the others), COMMITs, and
 * only then reports each outcome: each call is answered after the COMMIT
 * that makes it durable, and N concurrent writers cost one fsync. If the
 * COMMIT fails, every call of the batch fails and none is acknowledged. */
#ifndef OZ_RPC_WRITER_H
#define OZ_RPC_WRITER_H

#include <stdbool.h>

#include "rpc/call.h"
#include "store/store.h"

typedef struct rpc_writer rpc_writer;

/* Opens the writer's connection to cfg and starts its thread. group false
 * commits each call on its own (for comparison in benchmarks). Every
 * optimize_ms (0: never) the idle writer runs PRAGMA optimize. stats (may
 * be NULL) receives the connection's page cache counts. OUT: *out, freed by
 * rpc_writer_stop. Returns OK or the store's open failure. */
struct rpc_stats;
oz_code rpc_writer_start(rpc_writer **out, const store_config *cfg, bool group,
	int optimize_ms, struct rpc_stats *stats, oz_status *st) OZ_MUST_USE;

/* One call queued for the writer. Its owner keeps it valid until done. */
typedef struct rpc_write {
	rpc_call *call;
	bool serving; /* Passed to the handler. */
	/* Called on the writer's thread once the call has committed or
	 * failed; must not block (the next batch waits for it). */
	void (*done)(struct rpc_write *wr);
	void *arg;              /* For done. */
	struct rpc_write *next; /* The writer's. */
} rpc_write;

/* Queues wr and returns at once; wr->done reports the outcome, which is
 * in wr->call->st. Thread-safe. */
void rpc_writer_submit(rpc_writer *w, rpc_write *wr);

/* Runs call on the writer and returns when it has committed or failed.
 * Thread-safe. serving is passed to the handler. */
void rpc_writer_run(rpc_writer *w, rpc_call *call, bool serving);

/* The number of batches and calls committed so far (for tests/stats). */
void rpc_writer_counts(rpc_writer *w, long *batches, long *calls);

/* The health of w's database (store/health.h), fed by its batches; lives
 * as long as w. */
struct store_health;
struct store_health *rpc_writer_health(rpc_writer *w);

/* The database's size in bytes as the writer's last idle probe read it
 * (PostgreSQL: pg_database_size; 0 on SQLite, whose files are stat()ed
 * instead), so Stats never waits on the network. */
int64_t rpc_writer_db_size(rpc_writer *w);

/* Finishes queued calls, runs PRAGMA optimize (SQLite), checkpoints the WAL,
 * closes the connection and frees w. NULL is a no-op. */
void rpc_writer_stop(rpc_writer *w);

#endif /* OZ_RPC_WRITER_H */
