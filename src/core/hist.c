/*
 * core/hist.c: log-linear histograms (HdrHistogram's bucket layout, the
 * role of Cassandra's EstimatedHistogram). Values below 2^(S+1) get a
 * bucket each; above, every power of two is cut into 2^S equal buckets, so
 * a bucket is never wider than 1/2^S of its values. Recording is a
 * count-leading-zeros and an increment, merging is a vector add, and a
 * percentile is the middle of its bucket (within 1/2^(S+1) of the truth).
 * The exact count, sum, min and max are kept beside the buckets.
 *
 * Nothing here is synchronised: one writer owns a histogram (a shard, a
 * load thread) and readers merge copies taken on that writer's thread.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

void hl_hist_init(hl_hist *h, int sub_bits, int top_bits, uint64_t *storage)
{
	memset(h, 0, sizeof *h);
	h->sub = sub_bits;
	h->top = top_bits;
	h->nb = HL_HIST_NBUCKETS(sub_bits, top_bits);
	h->b = storage;
	memset(storage, 0, sizeof(uint64_t) * (size_t)h->nb);
}

hl_hist *hl_hist_new(int sub_bits, int top_bits)
{
	size_t nb = (size_t)HL_HIST_NBUCKETS(sub_bits, top_bits);
	/* one allocation: the header, then its buckets */
	hl_hist *h = hl_malloc(sizeof *h + nb * sizeof(uint64_t));
	hl_hist_init(h, sub_bits, top_bits, (uint64_t *)(h + 1));
	return h;
}

int hl_hist_bucket(const hl_hist *h, uint64_t v)
{
	uint64_t linear = (uint64_t)2 << h->sub;

	if (v < linear)
		return (int)v;
	int msb = 63 - __builtin_clzll(v);
	if (msb >= h->top)
		return h->nb - 1;
	int shift = msb - h->sub;
	return (int)linear + (shift - 1) * (1 << h->sub) + (int)((v >> shift) - ((uint64_t)1 << h->sub));
}

uint64_t hl_hist_low(const hl_hist *h, int i)
{
	int linear = 2 << h->sub, per = 1 << h->sub;

	if (i < linear)
		return (uint64_t)i;
	int shift = (i - linear) / per + 1;
	return (uint64_t)((i - linear) % per + per) << shift;
}

uint64_t hl_hist_high(const hl_hist *h, int i)
{
	int linear = 2 << h->sub, per = 1 << h->sub;

	if (i < linear)
		return (uint64_t)i;
	return hl_hist_low(h, i) + ((uint64_t)1 << ((i - linear) / per + 1)) - 1;
}

void hl_hist_reset(hl_hist *h)
{
	h->count = h->min = h->max = 0;
	h->sum = 0;
	memset(h->b, 0, sizeof(uint64_t) * (size_t)h->nb);
}

void hl_hist_record(hl_hist *h, uint64_t v)
{
	h->b[hl_hist_bucket(h, v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
}

void hl_hist_merge(hl_hist *dst, const hl_hist *src)
{
	if (!src->count || src->nb != dst->nb)
		return;
	for (int i = 0; i < src->nb; i++)
		dst->b[i] += src->b[i];
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t hl_hist_percentile(const hl_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	if (p >= 100.0)
		return h->max;
	/* the smallest value with at least p% of the values at or below it */
	rank = (uint64_t)(p / 100.0 * (double)h->count);
	if ((double)rank < p / 100.0 * (double)h->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < h->nb; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo = hl_hist_low(h, i), hi = hl_hist_high(h, i);
			uint64_t v = lo + (hi - lo) / 2;

			/* the extremes are known exactly: never report past them */
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double hl_hist_mean(const hl_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

uint64_t hl_hist_count_le(const hl_hist *h, uint64_t v)
{
	uint64_t n = 0;

	if (h->count && v >= h->max)
		return h->count;
	for (int i = 0; i < h->nb && hl_hist_high(h, i) <= v; i++)
		n += h->b[i];
	return n;
}
