/* bench/hist.h -- an HDR-style latency histogram: log2 buckets, each split
 * into 128 linear sub-buckets, so every recorded value is kept to within
 * 1/128 (< 0.8%) of itself in fixed memory, however many are recorded.
 *
 * Not thread-safe: each load slot records into its own histogram and the
 * results are merged once the run is over. No allocation. */
#ifndef OZ_BENCH_HIST_H
#define OZ_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB      (1 << HIST_SUB_BITS)
/* Values up to 2^40 ns (about 18 minutes); larger ones are clamped. */
#define HIST_MAX_BITS 40
#define HIST_BUCKETS                                                          \
	(2 * HIST_SUB + (HIST_MAX_BITS - HIST_SUB_BITS) * HIST_SUB)

typedef struct hist {
	uint64_t count;
	uint64_t min, max; /* Exact; min is UINT64_MAX while empty. */
	uint64_t counts[HIST_BUCKETS];
} hist;

/* Empties h. */
void hist_init(hist *h);

/* Records one value (any unit; ozbench uses nanoseconds). */
void hist_record(hist *h, uint64_t v);

/* Adds every value recorded in src to dst. */
void hist_merge(hist *dst, const hist *src);

/* The value at quantile q (0..1): the smallest v such that at least q of
 * the recorded values are <= v, reported as the highest value of v's
 * bucket (never above max). 0 when empty. q >= 1 gives max exactly. */
uint64_t hist_quantile(const hist *h, double q);

#endif /* OZ_BENCH_HIST_H */
