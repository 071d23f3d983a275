/*
 * tools/stress_hist.c: the per-op-kind counters of `helenus stress` and
 * their latency histograms (core's hl_hist, see stress_int.h).
 */
#include "tools/stress_int.h"

/* ---------------------------------------------------------------- stats */

void stress_stats_reset(stress_stats *s)
{
	s->ops = s->partitions = s->rows = s->errors = 0;
	hl_hist_init(&s->service.h, STRESS_HIST_SUB_BITS, STRESS_HIST_MAX_BITS, s->service.store);
	hl_hist_init(&s->response.h, STRESS_HIST_SUB_BITS, STRESS_HIST_MAX_BITS, s->response.store);
}

void stress_stats_merge(stress_stats *dst, const stress_stats *src)
{
	dst->ops += src->ops;
	dst->partitions += src->partitions;
	dst->rows += src->rows;
	dst->errors += src->errors;
	hl_hist_merge(&dst->service.h, &src->service.h);
	hl_hist_merge(&dst->response.h, &src->response.h);
}

const hl_hist *stress_stats_latency(const stress_stats *s, bool fixed)
{
	/* as cassandra-stress: response time when the rate is fixed */
	return fixed && s->response.h.count ? &s->response.h : &s->service.h;
}
