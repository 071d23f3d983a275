/*
 * tools/stress_hist.c: the latency histogram of `helenus stress` and the
 * per-op-kind counters built on it. Log-linear buckets (see stress_int.h):
 * recording is a count-leading-zeros and an increment, merging is a vector
 * add, and percentiles are exact to within half a bucket (0.4%).
 */
#include "tools/stress_int.h"

#include <string.h>

#define SUB (1 << STRESS_HIST_SUB_BITS)          /* buckets per power of two */
#define LINEAR (2 << STRESS_HIST_SUB_BITS)       /* values with a bucket each */

int stress_hist_bucket(uint64_t v)
{
	int msb, shift;

	if (v < LINEAR)
		return (int)v;
	msb = 63 - __builtin_clzll(v);
	if (msb >= STRESS_HIST_MAX_BITS)
		return STRESS_HIST_BUCKETS - 1;
	shift = msb - STRESS_HIST_SUB_BITS;
	return LINEAR + (shift - 1) * SUB + (int)((v >> shift) - SUB);
}

uint64_t stress_hist_low(int i)
{
	int shift;

	if (i < LINEAR)
		return (uint64_t)i;
	shift = (i - LINEAR) / SUB + 1;
	return (uint64_t)((i - LINEAR) % SUB + SUB) << shift;
}

uint64_t stress_hist_high(int i)
{
	if (i < LINEAR)
		return (uint64_t)i;
	return stress_hist_low(i) + ((uint64_t)1 << ((i - LINEAR) / SUB + 1)) - 1;
}

void stress_hist_reset(stress_hist *h)
{
	memset(h, 0, sizeof *h);
}

void stress_hist_record(stress_hist *h, uint64_t v)
{
	h->b[stress_hist_bucket(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
}

void stress_hist_merge(stress_hist *dst, const stress_hist *src)
{
	if (!src->count)
		return;
	for (int i = 0; i < STRESS_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t stress_hist_percentile(const stress_hist *h, double p)
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
	for (int i = 0; i < STRESS_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo = stress_hist_low(i), hi = stress_hist_high(i);
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

double stress_hist_mean(const stress_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

/* ---------------------------------------------------------------- stats */

void stress_stats_reset(stress_stats *s)
{
	s->ops = s->partitions = s->rows = s->errors = 0;
	stress_hist_reset(&s->service);
	stress_hist_reset(&s->response);
}

void stress_stats_merge(stress_stats *dst, const stress_stats *src)
{
	dst->ops += src->ops;
	dst->partitions += src->partitions;
	dst->rows += src->rows;
	dst->errors += src->errors;
	stress_hist_merge(&dst->service, &src->service);
	stress_hist_merge(&dst->response, &src->response);
}

const stress_hist *stress_stats_latency(const stress_stats *s, bool fixed)
{
	/* as cassandra-stress: response time when the rate is fixed */
	return fixed && s->response.count ? &s->response : &s->service;
}
