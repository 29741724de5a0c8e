/* rpc/stats.h -- live call statistics: per method, calls, errors by code
 * and a latency histogram. Recording is lock-free (atomic counters), so the
 * read path shares no lock. */
#ifndef OZ_RPC_STATS_H
#define OZ_RPC_STATS_H

#include <stdint.h>

#include "core/arena.h"
#include "oz/v1/admin_service.pb-c.h"
#include "rpc/dispatch.h"

typedef struct rpc_stats rpc_stats;

/* Allocates counters for every row of the dispatch table. NULL on OOM. */
rpc_stats *rpc_stats_new(void);

/* Frees s; NULL is a no-op. */
void rpc_stats_free(rpc_stats *s);

/* Records one answered call of method m (NULL when the request named no
 * known method) that ended with code after us microseconds. */
void rpc_stats_record(rpc_stats *s, const rpc_method *m, int code, int64_t us);

/* Adds page-cache hits and misses seen by a connection. */
void rpc_stats_cache(rpc_stats *s, int64_t hits, int64_t misses);

/* Fills the call parts of out (methods, calls_total, errors, cache) with
 * memory from a. Returns OK or RESOURCE_EXHAUSTED. */
oz_code rpc_stats_fill(rpc_stats *s, arena *a, Oz__V1__StatsResponse *out,
	oz_status *st) OZ_MUST_USE;

/* The histogram's estimate of the p-th percentile (0 < p <= 100) of the
 * latencies recorded for m, in microseconds; 0 when none. For tests. */
int64_t rpc_stats_percentile(rpc_stats *s, const rpc_method *m, double p);

#endif /* OZ_RPC_STATS_H */
