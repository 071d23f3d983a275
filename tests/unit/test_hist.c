/*
 * Unit tests of core/hist.c: the log-linear histogram shared by the server's
 * metrics and `helenus stress` (bucket tiling, percentiles against a sorted
 * reference, merging, Prometheus cumulative counts, other precisions).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "t.h"

/* splitmix64: a reproducible stream for the value sets */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rnd_double(uint64_t *s)
{
	return (double)(rnd_next(s) >> 11) / 9007199254740992.0;
}


static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted-reference percentile: the ceil(p% * n)-th smallest value. */
static uint64_t ref_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static void check_against_reference(uint64_t *vals, size_t n, double tolerance)
{
	static const double ps[] = { 0, 1, 10, 50, 90, 95, 99, 99.9, 99.99, 100 };
	hl_hist *h = hl_hist_new(7, 40);
	double sum = 0;
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		hl_hist_record(h, vals[i]);
		sum += (double)vals[i];
	}
	qsort(vals, n, sizeof *vals, cmp_u64);
	CHECK_EQ_I64(h->count, n);
	CHECK_EQ_I64(h->min, vals[0]);
	CHECK_EQ_I64(h->max, vals[n - 1]);
	CHECK(fabs(hl_hist_mean(h) - sum / (double)n) <= 1e-6 * sum / (double)n);
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		double want = (double)ref_percentile(vals, n, ps[i]);
		double got = (double)hl_hist_percentile(h, ps[i]);

		if (fabs(got - want) > tolerance * want) {
			fprintf(stderr, "p%g: got %.0f, want %.0f\n", ps[i], got, want);
			ok = false;
		}
	}
	CHECK(ok);
	free(h);
}

static void test_histogram(void)
{
	hl_hist *a = hl_hist_new(7, 40), *b = hl_hist_new(7, 40), *c = hl_hist_new(7, 40);
	size_t n = 200000;
	uint64_t *vals = malloc(sizeof *vals * n);
	uint64_t rng = 12345;
	bool ok = true;

	/* buckets tile the value range and are never wider than 1/128 of their values */
	for (uint64_t v = 0; v < 5000000; v += 1 + v / 64) {
		int i = hl_hist_bucket(a, v);

		ok = ok && hl_hist_low(a, i) <= v && v <= hl_hist_high(a, i);
		if (i + 1 < a->nb)
			ok = ok && hl_hist_high(a, i) + 1 == hl_hist_low(a, i + 1);
		ok = ok && (double)(hl_hist_high(a, i) - hl_hist_low(a, i)) <=
			   (double)hl_hist_low(a, i) / 128.0;
	}
	CHECK(ok);
	CHECK_EQ_I64(hl_hist_bucket(a, 0), 0);
	CHECK_EQ_I64(hl_hist_bucket(a, 255), 255);
	CHECK_EQ_I64(hl_hist_bucket(a, 256), 256);
	CHECK_EQ_I64(hl_hist_bucket(a, UINT64_MAX), a->nb - 1);
	CHECK_EQ_I64(hl_hist_bucket(a, (1ULL << 40) - 1), a->nb - 1);
	CHECK_EQ_I64(hl_hist_high(a, a->nb - 1), (1ULL << 40) - 1);

	/* empty */
	CHECK_EQ_I64(hl_hist_percentile(a, 99), 0);
	CHECK(hl_hist_mean(a) == 0);

	/* log-uniform latencies from 1 us to 60 s: within 1% of the reference */
	for (size_t i = 0; i < n; i++)
		vals[i] = (uint64_t)(1000.0 * pow(60e6, rnd_double(&rng)));
	check_against_reference(vals, n, 0.01);

	/* a narrow normal-ish cluster around 250 us */
	for (size_t i = 0; i < n; i++) {
		double s = 0;

		for (int k = 0; k < 12; k++)
			s += rnd_double(&rng);
		vals[i] = (uint64_t)(250000 + (s - 6) * 20000);
	}
	check_against_reference(vals, n, 0.01);

	/* small values are exact */
	for (size_t i = 0; i < 1000; i++)
		vals[i] = rnd_next(&rng) % 256;
	check_against_reference(vals, 1000, 0.0);

	/* one value */
	vals[0] = 123456789;
	check_against_reference(vals, 1, 0.0);

	/* beyond the top bucket: counted, max exact */
	hl_hist_reset(a);
	hl_hist_record(a, 1ULL << 50);
	hl_hist_record(a, 10);
	CHECK_EQ_I64(a->max, 1ULL << 50);
	CHECK_EQ_I64(hl_hist_percentile(a, 100), 1ULL << 50);
	CHECK_EQ_I64(hl_hist_percentile(a, 50), 10);

	/* merging equals recording everything in one */
	hl_hist_reset(a);
	hl_hist_reset(b);
	hl_hist_reset(c);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = 1000 + rnd_next(&rng) % 10000000;

		hl_hist_record(i % 3 ? a : b, v);
		hl_hist_record(c, v);
	}
	hl_hist_merge(a, b);
	CHECK_EQ_I64(a->count, c->count);
	CHECK_EQ_I64(a->min, c->min);
	CHECK_EQ_I64(a->max, c->max);
	CHECK(!memcmp(a->b, c->b, sizeof(uint64_t) * (size_t)a->nb));
	CHECK_EQ_I64(hl_hist_percentile(a, 99.9), hl_hist_percentile(c, 99.9));

	free(vals);
	free(a);
	free(b);
	free(c);
}


/* Coarse layouts (the server's metrics) and the Prometheus cumulative counts. */
static void test_coarse_and_le(void)
{
	hl_hist *h = hl_hist_new(3, 40);
	bool ok = true;

	CHECK_EQ_I64(h->nb, 16 + 36 * 8);
	for (uint64_t v = 0; v < 100000000; v += 1 + v / 16) {
		int i = hl_hist_bucket(h, v);

		ok = ok && hl_hist_low(h, i) <= v && v <= hl_hist_high(h, i);
		if (i + 1 < h->nb)
			ok = ok && hl_hist_high(h, i) + 1 == hl_hist_low(h, i + 1);
		ok = ok && (double)(hl_hist_high(h, i) - hl_hist_low(h, i)) <= (double)hl_hist_low(h, i) / 8.0;
	}
	CHECK(ok);
	/* 1..1000 once each */
	for (uint64_t v = 1; v <= 1000; v++)
		hl_hist_record(h, v);
	CHECK_EQ_I64(h->count, 1000);
	CHECK(fabs(hl_hist_mean(h) - 500.5) < 1e-9);
	/* the median is within a bucket (1/16) of 500 */
	CHECK(llabs((long long)hl_hist_percentile(h, 50) - 500) <= 500 / 16 + 1);
	CHECK_EQ_I64(hl_hist_percentile(h, 0), 1);
	CHECK_EQ_I64(hl_hist_percentile(h, 100), 1000);
	/* exact small values: 15 buckets of one value each */
	CHECK_EQ_I64(hl_hist_count_le(h, 15), 15);
	CHECK_EQ_I64(hl_hist_count_le(h, 0), 0);
	/* at a bucket's high end the count is exact */
	int i = hl_hist_bucket(h, 700);
	CHECK_EQ_I64(hl_hist_count_le(h, hl_hist_high(h, i)), hl_hist_high(h, i));
	/* between bucket ends: only whole buckets, never more than the truth */
	CHECK(hl_hist_count_le(h, 700) <= 700 && hl_hist_count_le(h, 700) >= 700 - 700 / 8);
	CHECK_EQ_I64(hl_hist_count_le(h, 1000), 1000);
	CHECK_EQ_I64(hl_hist_count_le(h, UINT64_MAX), 1000);
	/* merging different layouts is refused, not corrupting */
	hl_hist *fine = hl_hist_new(7, 40);
	hl_hist_record(fine, 3);
	hl_hist_merge(h, fine);
	CHECK_EQ_I64(h->count, 1000);
	/* reset keeps the layout */
	hl_hist_reset(h);
	CHECK_EQ_I64(h->count, 0);
	CHECK_EQ_I64(h->nb, 16 + 36 * 8);
	CHECK_EQ_I64(hl_hist_count_le(h, 10), 0);
	/* caller storage */
	uint64_t store[HL_HIST_NBUCKETS(2, 20)];
	hl_hist s;
	hl_hist_init(&s, 2, 20, store);
	hl_hist_record(&s, 1u << 25);        /* past the top: last bucket, max exact */
	CHECK_EQ_I64(store[HL_HIST_NBUCKETS(2, 20) - 1], 1);
	CHECK_EQ_I64(hl_hist_percentile(&s, 50), 1u << 25);
	free(fine);
	free(h);
}

int main(void)
{
	test_histogram();
	test_coarse_and_le();
	return T_DONE();
}
