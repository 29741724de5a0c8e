/* store/postgres/pg_pool.h -- a pool of PostgreSQL connections, each on a
 * thread of its own, that runs jobs handed to it by threads which must not
 * wait on the network (nng's callback threads): a PostgreSQL read is a
 * round trip to another process.
 *
 * pg_pool_submit never blocks. A job runs on one pool thread with that
 * thread's connection, which may be down: its store calls then answer
 * UNAVAILABLE at once, and the thread reconnects with back-off (100 ms
 * doubling to 5 s) between jobs, so the service returns by itself when
 * the database does. No libpq-fe.h here. */
#ifndef OZ_STORE_POSTGRES_PG_POOL_H
#define OZ_STORE_POSTGRES_PG_POOL_H

#include <stdbool.h>

#include "oz/status.h"
#include "store/postgres/pg.h"

typedef struct pg_pool pg_pool;

/* A job: runs once, on a pool thread, with its connection. It owns arg
 * and answers whoever waits (completes an aio, signals a test). */
typedef void (*pg_job_fn)(pg_conn *c, void *arg);

#define PG_POOL_MAX       64
#define PG_QUEUE_MAX      4096
#define PG_BACKOFF_MS     100
#define PG_BACKOFF_MAX_MS 5000

/* Opens size (1..PG_POOL_MAX) connections to url and starts one thread
 * for each. OUT: *out, freed with pg_pool_close. Returns OK,
 * INVALID_ARGUMENT for a bad size or URL, UNAVAILABLE when not even the
 * first connection opens (later ones that fail are retried in the
 * background), RESOURCE_EXHAUSTED. */
oz_code pg_pool_open(
	pg_pool **out, const char *url, int size, oz_status *st) OZ_MUST_USE;

/* Runs every job already queued, then stops the threads and closes the
 * connections. NULL is a no-op. No submit may race with it. */
void pg_pool_close(pg_pool *p);

/* Queues fn(c, arg) for the next free connection. Returns OK (fn will
 * run exactly once) or RESOURCE_EXHAUSTED when PG_QUEUE_MAX jobs wait
 * (fn will not run; the caller still owns arg). */
oz_code pg_pool_submit(
	pg_pool *p, pg_job_fn fn, void *arg, oz_status *st) OZ_MUST_USE;

/* For Stats and Health: the pool's size, the jobs running now, the
 * connections that work. */
void pg_pool_counts(pg_pool *p, int *size, int *busy, int *connected);

/* True while at least one connection works (Health: SERVING). */
bool pg_pool_serving(pg_pool *p);

#endif /* OZ_STORE_POSTGRES_PG_POOL_H */
