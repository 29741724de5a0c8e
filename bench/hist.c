/* bench/hist.c -- see hist.h. Pure arithmetic: no I/O, no allocation. */
#include <string.h>

#include "hist.h"

void
hist_init(hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Values below 2*HIST_SUB get a bucket each; above, a value whose highest
 * set bit is e lands in row e - HIST_SUB_BITS, sub-bucket v >> shift. */
static int
index_of(uint64_t v)
{
	if (v < 2 * HIST_SUB) {
		return (int) v;
	}
	int e = 63 - __builtin_clzll(v);
	if (e >= HIST_MAX_BITS) {
		return HIST_BUCKETS - 1;
	}
	int shift = e - HIST_SUB_BITS;
	int sub = (int) (v >> shift) - HIST_SUB;
	return 2 * HIST_SUB + (e - HIST_SUB_BITS - 1) * HIST_SUB + sub;
}

/* The highest value that maps to bucket i. */
static uint64_t
highest_of(int i)
{
	if (i < 2 * HIST_SUB) {
		return (uint64_t) i;
	}
	int row = (i - 2 * HIST_SUB) / HIST_SUB;
	int sub = (i - 2 * HIST_SUB) % HIST_SUB;
	int shift = row + 1;
	uint64_t low = (uint64_t) (HIST_SUB + sub) << shift;
	return low + ((uint64_t) 1 << shift) - 1;
}

void
hist_record(hist *h, uint64_t v)
{
	h->counts[index_of(v)]++;
	h->count++;
	if (v < h->min) {
		h->min = v;
	}
	if (v > h->max) {
		h->max = v;
	}
}

void
hist_merge(hist *dst, const hist *src)
{
	for (int i = 0; i < HIST_BUCKETS; i++) {
		dst->counts[i] += src->counts[i];
	}
	dst->count += src->count;
	if (src->min < dst->min) {
		dst->min = src->min;
	}
	if (src->max > dst->max) {
		dst->max = src->max;
	}
}

uint64_t
hist_quantile(const hist *h, double q)
{
	if (h->count == 0) {
		return 0;
	}
	if (q >= 1.0) {
		return h->max;
	}
	double want = q * (double) h->count;
	uint64_t rank = (uint64_t) want;
	if ((double) rank < want || rank == 0) {
		rank++;
	}
	uint64_t seen = 0;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = highest_of(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}
