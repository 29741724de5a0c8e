/* rpc/checkpointer.h -- WAL checkpoints off the write path.
 *
 * SQLite checkpoints in the COMMIT that takes the WAL over 1000 pages: in
 * ozd that is the group-commit writer, the one thread every write waits
 * for, and the checkpoint (copying the pages into the database file, then
 * syncing it) stalls every write queued behind it. The writer turns that
 * off (store_manual_checkpoints) and kicks this thread instead, which
 * copies the bulk on its own connection while writes go on. The WAL only
 * starts over when a write transaction begins with every frame copied, so
 * once a run is done the writer copies the few frames committed meanwhile
 * itself, between two batches (rpc_checkpointer_caught_up). */
#ifndef OZ_RPC_CHECKPOINTER_H
#define OZ_RPC_CHECKPOINTER_H

#include "store/store.h"

typedef struct rpc_checkpointer rpc_checkpointer;

/* Opens a connection to cfg and starts the thread. OUT: *out, freed by
 * rpc_checkpointer_stop. */
oz_code rpc_checkpointer_start(rpc_checkpointer **out, const store_config *cfg,
	oz_status *st) OZ_MUST_USE;

/* Asks for a checkpoint; returns at once. Kicks while one runs make one
 * more run after it. */
void rpc_checkpointer_kick(rpc_checkpointer *c);

/* True once per finished run: the writer then checkpoints the rest. */
bool rpc_checkpointer_caught_up(rpc_checkpointer *c);

/* Waits for a running checkpoint, stops the thread, closes, frees. NULL is
 * a no-op. */
void rpc_checkpointer_stop(rpc_checkpointer *c);

#endif /* OZ_RPC_CHECKPOINTER_H */
