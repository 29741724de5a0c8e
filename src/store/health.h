/* store/health.h -- can the database serve? The answer behind
 * grpc.health.v1.Health/Check, decided here so that no layer above the
 * store needs to know what "healthy" means for SQLite.
 *
 * A store_health belongs to the group-commit writer, which reports the
 * outcome of each batch (store_health_note_write). store_health_check
 * adds what a failed write cannot tell: the file at the configured path is
 * still the one ozd has open (not deleted or replaced), the file and its
 * directory are writable, and the schema is at this build's head with its
 * tables readable. The result is cached for STORE_HEALTH_TTL_MS.
 *
 * On PostgreSQL there is no file: the writer's reports are the answer,
 * and the writer probes while idle (store_write_probe: a connection that
 * works, to a primary, with the schema at head), so Health answers
 * NOT_SERVING while no connection works and SERVING again after, without
 * a check ever waiting on the network. */
#ifndef OZ_STORE_HEALTH_H
#define OZ_STORE_HEALTH_H

#include <stdbool.h>

#include "oz/status.h"
#include "store/store.h"

#define STORE_HEALTH_TTL_MS 500

typedef struct store_health store_health;

/* Remembers which file cfg->path names now (its device and inode; the
 * writer has just opened it), to tell later if it was deleted or
 * replaced. For :memory: only the writer's reports count. OUT: *out,
 * freed with store_health_free. Returns OK, or UNAVAILABLE when the file
 * does not exist. */
oz_code store_health_new(
	store_health **out, const store_config *cfg, oz_status *st);

/* Frees h. NULL is a no-op. */
void store_health_free(store_health *h);

/* The writer's report of one batch: rc OK after a COMMIT that returned OK,
 * else the code and message (st) of the BEGIN or COMMIT that failed or of
 * the transaction SQLite rolled back. Not called for calls that failed on
 * their own (a constraint): those say nothing about the database. Logs
 * each change between healthy and not. Thread-safe. */
void store_health_note_write(store_health *h, oz_code rc, const oz_status *st);

/* True after a failed write was noted and no write has succeeded since. */
bool store_health_write_failed(store_health *h);

/* Returns OK when the database can serve, else UNAVAILABLE with the
 * reason in st: the writer's last batch failed, the database file was
 * deleted or replaced, the file or its directory is not writable, or the
 * schema is unreadable or not at head. Runs the checks at most once per
 * STORE_HEALTH_TTL_MS and answers from the last result in between; they
 * take no lock SQLite holds and never wait on one. Thread-safe. */
oz_code store_health_check(store_health *h, oz_status *st);

/* True when the database file c has open is no longer the file at its
 * path: deleted, renamed, or replaced by another (SQLite keeps working on
 * the unlinked inode, so its writes would vanish at the next start).
 * False for :memory:. */
bool store_file_moved(store_conn *c);

/* A write that changes nothing but still appends to the WAL and syncs
 * (PRAGMA user_version set to its own value), so the writer can tell,
 * while no call writes, that a full disk has room again. On PostgreSQL:
 * reconnects when the connection was lost (with back-off), then checks
 * the server is a primary and the schema is at this build's head.
 * Returns OK or the store code of the failure (UNAVAILABLE). c must be
 * outside any transaction. */
oz_code store_write_probe(store_conn *c, oz_status *st);

#endif /* OZ_STORE_HEALTH_H */
