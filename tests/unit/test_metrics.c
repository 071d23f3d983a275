/*
 * Unit tests of server/metrics.c's pieces behind system_views' metric
 * tables: the per-table five-minute rate (srv_metrics_tick), lookups that
 * do not create entries, and merging (histograms and rates add up).
 */
#include <math.h>
#include <string.h>

#include "server/srv_int.h"
#include "t.h"

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) + 1);
}

int main(void)
{
	srv_metrics a, b, m;
	hl_uuid t1, t2;

	memset(&t1, 0, sizeof t1);
	memset(&t2, 0, sizeof t2);
	t1.b[15] = 1;
	t2.b[15] = 2;
	srv_metrics_init(&a);
	srv_metrics_init(&b);
	CHECK(srv_metrics_find(&a, &t1) == NULL);          /* nothing recorded: no entry */

	/* 100 writes in the first second: the first tick takes the instant rate */
	for (int i = 0; i < 100; i++)
		hl_hist_record(srv_metrics_table(&a, &t1)->h[SRV_H_WRITE], 50);
	srv_metrics_tick(&a, 1.0);
	const srv_tmetrics *ta = srv_metrics_find(&a, &t1);
	CHECK(ta != NULL);
	CHECK(ta && near(ta->rate[SRV_H_WRITE], 100.0));
	CHECK(ta && ta->rate[SRV_H_READ] == 0.0);
	/* an idle second decays it by exp(-1/300) (Dropwizard's M5 for a 1 s tick) */
	srv_metrics_tick(&a, 1.0);
	CHECK(ta && near(ta->rate[SRV_H_WRITE], 100.0 * exp(-1.0 / 300.0)));
	/* 30 more over the next second move it toward 30/s by alpha */
	for (int i = 0; i < 30; i++)
		hl_hist_record(srv_metrics_table(&a, &t1)->h[SRV_H_WRITE], 50);
	double before = ta->rate[SRV_H_WRITE], alpha = 1.0 - exp(-1.0 / 300.0);
	srv_metrics_tick(&a, 1.0);
	CHECK(near(ta->rate[SRV_H_WRITE], before + alpha * (30.0 - before)));

	/* another shard: 10 writes to t1, 4 reads of t2 */
	for (int i = 0; i < 10; i++)
		hl_hist_record(srv_metrics_table(&b, &t1)->h[SRV_H_WRITE], 400);
	for (int i = 0; i < 4; i++)
		hl_hist_record(srv_metrics_table(&b, &t2)->h[SRV_H_READ], 7);
	b.ops_read = 4;
	b.ops_write = 10;
	srv_metrics_table(&b, &t2)->disk_bytes = 123;
	srv_metrics_tick(&b, 1.0);

	srv_metrics_init(&m);
	srv_metrics_merge(&m, &a);
	srv_metrics_merge(&m, &b);
	const srv_tmetrics *m1 = srv_metrics_find(&m, &t1), *m2 = srv_metrics_find(&m, &t2);
	CHECK(m1 && m2);
	if (m1 && m2) {
		CHECK_EQ_I64((int64_t)m1->h[SRV_H_WRITE]->count, 140);
		CHECK_EQ_I64((int64_t)m1->h[SRV_H_WRITE]->max, 400);
		CHECK(near(m1->rate[SRV_H_WRITE], ta->rate[SRV_H_WRITE] + 10.0));
		CHECK_EQ_I64((int64_t)m2->h[SRV_H_READ]->count, 4);
		CHECK(near(m2->rate[SRV_H_READ], 4.0));
		CHECK_EQ_I64(m2->disk_bytes, 123);
	}
	CHECK_EQ_I64((int64_t)m.ops_read, 4);
	CHECK_EQ_I64((int64_t)m.ops_write, 10);

	srv_metrics_free(&m);
	srv_metrics_free(&a);
	srv_metrics_free(&b);
	return T_DONE();
}
