/* rpc/stats.c -- counters and log-linear latency histograms (HDR-style:
 * 8 sub-buckets per power of two, so estimates are within 12.5%). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/stats.h"

#define SUB_BITS 3
#define SUB      (1 << SUB_BITS)
#define LINEAR   (2 * SUB) /* Values below are exact. */
#define BUCKETS  (LINEAR + 40 * SUB)

struct counters {
	atomic_long calls;
	atomic_long codes[OZ_CODE_COUNT];
	atomic_long hist[BUCKETS];
	atomic_llong max_us;
};

struct rpc_stats {
	size_t n; /* Rows of the dispatch table; one more for "no method". */
	atomic_llong cache_hits, cache_misses;
	struct counters c[];
};

static int
bucket_of(int64_t v)
{
	if (v < LINEAR) {
		return v < 0 ? 0 : (int) v;
	}
	int e = 63 - __builtin_clzll((unsigned long long) v); /* >= 4 */
	int sub = (int) ((v >> (e - SUB_BITS)) & (SUB - 1));
	int b = LINEAR + (e - SUB_BITS - 1) * SUB + sub;
	return b < BUCKETS ? b : BUCKETS - 1;
}

/* The largest value that falls in bucket b. */
static int64_t
bucket_top(int b)
{
	if (b < LINEAR) {
		return b;
	}
	int e = (b - LINEAR) / SUB + SUB_BITS + 1;
	int sub = (b - LINEAR) % SUB;
	return ((int64_t) (SUB + sub + 1) << (e - SUB_BITS)) - 1;
}

rpc_stats *
rpc_stats_new(void)
{
	size_t n;
	dispatch_methods(&n);
	rpc_stats *s = calloc(1, sizeof(*s) + (n + 1) * sizeof(s->c[0]));
	if (s != NULL) {
		s->n = n;
	}
	return s;
}

void
rpc_stats_free(rpc_stats *s)
{
	free(s);
}

static struct counters *
counters_of(rpc_stats *s, const rpc_method *m)
{
	size_t n;
	const rpc_method *base = dispatch_methods(&n);
	return m != NULL ? &s->c[m - base] : &s->c[s->n];
}

void
rpc_stats_record(rpc_stats *s, const rpc_method *m, int code, int64_t us)
{
	struct counters *c = counters_of(s, m);
	atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
	if (code >= 0 && code < OZ_CODE_COUNT) {
		atomic_fetch_add_explicit(
			&c->codes[code], 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(
		&c->hist[bucket_of(us)], 1, memory_order_relaxed);
	long long max = atomic_load_explicit(&c->max_us, memory_order_relaxed);
	while (us > max && !atomic_compare_exchange_weak(
				   &c->max_us, &max, (long long) us)) { }
}

void
rpc_stats_cache(rpc_stats *s, int64_t hits, int64_t misses)
{
	atomic_fetch_add_explicit(&s->cache_hits, hits, memory_order_relaxed);
	atomic_fetch_add_explicit(
		&s->cache_misses, misses, memory_order_relaxed);
}

static int64_t
percentile(struct counters *c, double p)
{
	long total = 0;
	long h[BUCKETS];
	for (int b = 0; b < BUCKETS; b++) {
		h[b] = atomic_load_explicit(&c->hist[b], memory_order_relaxed);
		total += h[b];
	}
	if (total == 0) {
		return 0;
	}
	long want = (long) ((double) total * p / 100.0 + 0.999999);
	long seen = 0;
	for (int b = 0; b < BUCKETS; b++) {
		seen += h[b];
		if (seen >= want) {
			int64_t top = bucket_top(b);
			int64_t max = atomic_load(&c->max_us);
			return top < max ? top : max;
		}
	}
	return atomic_load(&c->max_us);
}

int64_t
rpc_stats_percentile(rpc_stats *s, const rpc_method *m, double p)
{
	return percentile(counters_of(s, m), p);
}

/* Appends the non-zero, non-OK codes of counts as CodeCount messages. */
static oz_code
fill_codes(arena *a, const long counts[OZ_CODE_COUNT],
	Oz__V1__CodeCount ***out, size_t *n_out, oz_status *st)
{
	size_t n = 0;
	for (int i = 1; i < OZ_CODE_COUNT; i++) {
		n += counts[i] != 0;
	}
	*n_out = 0;
	if (n == 0) {
		return OZ_OK;
	}
	Oz__V1__CodeCount *cc = arena_alloc(a, n * sizeof(*cc));
	*out = arena_alloc(a, n * sizeof(**out));
	if (cc == NULL || *out == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (int i = 1; i < OZ_CODE_COUNT; i++) {
		if (counts[i] != 0) {
			oz__v1__code_count__init(cc);
			cc->code = (char *) oz_code_name(i);
			cc->count = counts[i];
			(*out)[(*n_out)++] = cc++;
		}
	}
	return OZ_OK;
}

oz_code
rpc_stats_fill(
	rpc_stats *s, arena *a, Oz__V1__StatsResponse *out, oz_status *st)
{
	size_t n;
	const rpc_method *rows = dispatch_methods(&n);
	long total_codes[OZ_CODE_COUNT] = {0};
	out->methods = arena_alloc(a, n * sizeof(*out->methods));
	if (out->methods == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	out->n_methods = 0;
	for (size_t i = 0; i <= n; i++) {
		struct counters *c = &s->c[i];
		long codes[OZ_CODE_COUNT];
		for (int k = 0; k < OZ_CODE_COUNT; k++) {
			codes[k] = atomic_load(&c->codes[k]);
			total_codes[k] += codes[k];
		}
		long calls = atomic_load(&c->calls);
		out->calls_total += calls;
		if (i == n || calls == 0) {
			continue; /* No per-method row for "no method". */
		}
		Oz__V1__MethodStats *ms = arena_alloc(a, sizeof(*ms));
		if (ms == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
		oz__v1__method_stats__init(ms);
		ms->method = (char *) rows[i].name;
		ms->calls = calls;
		ms->p50_us = percentile(c, 50);
		ms->p90_us = percentile(c, 90);
		ms->p99_us = percentile(c, 99);
		ms->max_us = atomic_load(&c->max_us);
		oz_code rc =
			fill_codes(a, codes, &ms->errors, &ms->n_errors, st);
		if (rc != OZ_OK) {
			return rc;
		}
		out->methods[out->n_methods++] = ms;
	}
	out->cache_hits = atomic_load(&s->cache_hits);
	out->cache_misses = atomic_load(&s->cache_misses);
	int64_t lookups = out->cache_hits + out->cache_misses;
	out->cache_hit_ratio =
		lookups > 0 ? (double) out->cache_hits / (double) lookups : 0;
	return fill_codes(a, total_codes, &out->errors, &out->n_errors, st);
}
