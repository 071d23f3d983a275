/*
 * Node metrics: per-shard counters and histograms on the request path, and
 * their Prometheus rendering for GET /metrics.
 *
 * The hot path stays cheap and shard-local: each shard writes only its own
 * srv_metrics with plain stores (no atomics, no sharing); a histogram
 * record is a count-leading-zeros and an increment. The admin thread reads
 * them by posting a job to every shard that merges that shard's copy into
 * a snapshot (srv_metrics_merge on the shard's own thread), so readers
 * never race the writers.
 *
 * Histograms are core's hl_hist at 2^3 buckets per power of two (a bucket
 * is at most 12.5% wide, finer than Cassandra's EstimatedHistogram's 20%).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_int.h"

#define SUB_BITS 3
#define TOP_BITS 44

static hl_hist *new_hist(void)
{
	return hl_hist_new(SUB_BITS, TOP_BITS);
}

void srv_metrics_init(srv_metrics *m)
{
	memset(m, 0, sizeof *m);
	for (int i = 0; i < SRV_NPROXY; i++)
		m->proxy[i] = new_hist();
}

static void tm_free(srv_tmetrics *t)
{
	for (int i = 0; i < SRV_NTHIST; i++)
		free(t->h[i]);
	free(t);
}

void srv_metrics_free(srv_metrics *m)
{
	for (int i = 0; i < SRV_NPROXY; i++)
		free(m->proxy[i]);
	for (int i = 0; i < m->tcap; i++)
		if (m->tab[i])
			tm_free(m->tab[i]);
	free(m->tab);
	memset(m, 0, sizeof *m);
}

static size_t id_hash(const hl_uuid *id)
{
	uint64_t h;
	memcpy(&h, id->b + 8, 8);      /* random half of a v4 / node half of a v1 */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32));
}

static void tab_grow(srv_metrics *m)
{
	int ncap = m->tcap ? m->tcap * 2 : 16;
	srv_tmetrics **nt = hl_calloc((size_t)ncap, sizeof *nt);
	for (int i = 0; i < m->tcap; i++) {
		srv_tmetrics *t = m->tab[i];
		if (!t)
			continue;
		size_t j = id_hash(&t->id) & (size_t)(ncap - 1);
		while (nt[j])
			j = (j + 1) & (size_t)(ncap - 1);
		nt[j] = t;
	}
	free(m->tab);
	m->tab = nt;
	m->tcap = ncap;
}

srv_tmetrics *srv_metrics_table(srv_metrics *m, const hl_uuid *id)
{
	if ((m->ntab + 1) * 2 > m->tcap)
		tab_grow(m);
	size_t mask = (size_t)(m->tcap - 1), j = id_hash(id) & mask;
	for (; m->tab[j]; j = (j + 1) & mask)
		if (!memcmp(m->tab[j]->id.b, id->b, 16))
			return m->tab[j];
	srv_tmetrics *t = hl_calloc(1, sizeof *t);
	t->id = *id;
	for (int i = 0; i < SRV_NTHIST; i++)
		t->h[i] = new_hist();
	m->tab[j] = t;
	m->ntab++;
	return t;
}

const srv_tmetrics *srv_metrics_find(const srv_metrics *m, const hl_uuid *id)
{
	if (!m->tcap)
		return NULL;
	size_t mask = (size_t)(m->tcap - 1), j = id_hash(id) & mask;
	for (; m->tab[j]; j = (j + 1) & mask)
		if (!memcmp(m->tab[j]->id.b, id->b, 16))
			return m->tab[j];
	return NULL;
}

void srv_metrics_op(srv_metrics *m, const qry_op *op, int64_t micros)
{
	if (op->status < 0 || micros < 0)
		return;
	if (op->kind == QRY_OP_WRITE) {
		m->ops_write++;
		hl_hist_record(srv_metrics_table(m, &op->table)->h[SRV_H_WRITE], (uint64_t)micros);
		return;
	}
	if (op->kind != QRY_OP_READ)
		return;
	m->ops_read++;
	srv_tmetrics *t = srv_metrics_table(m, &op->table);
	bool range = op->cmd.kind == ST_READ_RANGE;
	uint64_t rows = 0;
	hl_hist_record(t->h[range ? SRV_H_RANGE : SRV_H_READ], (uint64_t)micros);
	hl_hist_record(t->h[SRV_H_TOMBSTONES], (uint64_t)op->res.tombstones);
	if (!range)
		hl_hist_record(t->h[SRV_H_SSTABLES], (uint64_t)op->res.sstables);
	/* the partitions returned: their live cells and the bytes of their values
	 * (what the read materialised anyway, so this walk is proportional to it) */
	for (const st_rpart *p = op->res.parts; p; p = p->next) {
		uint64_t cells = (uint64_t)p->nstatic, bytes = p->keylen;
		for (int i = 0; i < p->nstatic; i++)
			bytes += p->statics[i].len + p->statics[i].path_len;
		for (const st_rrow *r = p->rows; r; r = r->next) {
			rows++;
			cells += (uint64_t)r->ncells;
			for (int i = 0; i < r->ncells; i++)
				bytes += r->cells[i].len + r->cells[i].path_len;
		}
		hl_hist_record(t->h[SRV_H_CELLS], cells);
		hl_hist_record(t->h[SRV_H_PSIZE], bytes);
	}
	hl_hist_record(t->h[SRV_H_ROWS], rows);
}

void srv_metrics_coord(srv_metrics *m, const hl_uuid *table, int h, int64_t micros)
{
	if (micros >= 0)
		hl_hist_record(srv_metrics_table(m, table)->h[h], (uint64_t)micros);
}

void srv_metrics_tick(srv_metrics *m, double secs)
{
	/* Dropwizard's five-minute rate: alpha for one tick of `secs` */
	double alpha = 1.0 - exp(-secs / 300.0);

	for (int i = 0; i < m->tcap; i++) {
		srv_tmetrics *t = m->tab[i];
		if (!t)
			continue;
		for (int h = 0; h < SRV_NTHIST; h++) {
			double inst = (double)(t->h[h]->count - t->rate_seen[h]) / secs;
			t->rate_seen[h] = t->h[h]->count;
			t->rate[h] = t->rate_init ? t->rate[h] + alpha * (inst - t->rate[h]) : inst;
		}
		t->rate_init = true;
	}
}

void srv_metrics_request(srv_metrics *m, int req_kind, int proxy, int64_t micros,
			 const hl_err *err, bool dropped)
{
	m->requests[req_kind]++;
	if (dropped)
		m->dropped++;
	if (err) {
		if (err->code == HL_ERR_READ_TIMEOUT || err->code == HL_ERR_WRITE_TIMEOUT)
			m->timeouts++;
		int i = 0;
		while (i < m->nerr && m->err_code[i] != err->code)
			i++;
		if (i == m->nerr && m->nerr < SRV_NERRCODES)
			m->err_code[m->nerr++] = err->code;
		if (i < m->nerr)
			m->err_count[i]++;
		return;              /* failed requests stay out of the latencies, as Cassandra's */
	}
	if (proxy >= 0 && micros >= 0)
		hl_hist_record(m->proxy[proxy], (uint64_t)micros);
}

void srv_metrics_merge(srv_metrics *dst, const srv_metrics *src)
{
	for (int i = 0; i < SRV_NPROXY; i++)
		hl_hist_merge(dst->proxy[i], src->proxy[i]);
	for (int i = 0; i < SRV_NREQ; i++)
		dst->requests[i] += src->requests[i];
	for (int k = 0; k < src->nerr; k++) {
		int i = 0;
		while (i < dst->nerr && dst->err_code[i] != src->err_code[k])
			i++;
		if (i == dst->nerr && dst->nerr < SRV_NERRCODES)
			dst->err_code[dst->nerr++] = src->err_code[k];
		if (i < dst->nerr)
			dst->err_count[i] += src->err_count[k];
	}
	dst->timeouts += src->timeouts;
	dst->dropped += src->dropped;
	dst->conns += src->conns;
	dst->conns_total += src->conns_total;
	dst->bytes_in += src->bytes_in;
	dst->bytes_out += src->bytes_out;
	dst->ops_read += src->ops_read;
	dst->ops_write += src->ops_write;
	for (int i = 0; i < src->tcap; i++) {
		const srv_tmetrics *st = src->tab[i];
		if (!st)
			continue;
		srv_tmetrics *dt = srv_metrics_table(dst, &st->id);
		for (int h = 0; h < SRV_NTHIST; h++) {
			hl_hist_merge(dt->h[h], st->h[h]);
			dt->rate[h] += st->rate[h];
		}
		dt->disk_bytes += st->disk_bytes;
	}
}

/* ------------------------------------------------------------ Prometheus */

static void label(hl_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			hl_buf_u8(b, '\\');
		if (*v == '\n') {
			hl_buf_str(b, "\\n");
			continue;
		}
		hl_buf_u8(b, (uint8_t)*v);
	}
}

static void head(hl_buf *b, const char *name, const char *type, const char *help)
{
	hl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void table_labels(hl_buf *b, const char *ks, const char *t)
{
	hl_buf_str(b, "keyspace=\"");
	label(b, ks);
	hl_buf_str(b, "\",table=\"");
	label(b, t);
	hl_buf_u8(b, '"');
}

/* Bucket bounds: latencies in seconds (recorded in us), sizes, counts. */
static const double lat_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const double size_le[] = { 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
				  16777216, 67108864, 268435456 };
static const double count_le[] = { 0, 1, 2, 3, 5, 10, 20, 50, 100, 1000, 10000, 100000 };

typedef struct hspec {
	const double *le;
	int nle;
	double scale;                  /* recorded value * scale = exported unit */
} hspec;

static const hspec LAT = { lat_le, sizeof lat_le / sizeof lat_le[0], 1e-6 };
static const hspec SIZE = { size_le, sizeof size_le / sizeof size_le[0], 1 };
static const hspec COUNT = { count_le, sizeof count_le / sizeof count_le[0], 1 };

/* One histogram sample set: name_bucket{labels,le=..}, name_sum, name_count. */
static void hist_samples(hl_buf *b, const char *name, const char *labels, const hl_hist *h,
			 const hspec *sp)
{
	const char *sep = labels[0] ? "," : "";
	for (int i = 0; i < sp->nle; i++) {
		/* the bound in recorded units: buckets wholly at or below it */
		double lim = sp->le[i] / sp->scale;
		uint64_t n = hl_hist_count_le(h, (uint64_t)(lim + 0.5));
		hl_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, sp->le[i],
			      (unsigned long long)n);
	}
	hl_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		      (unsigned long long)h->count);
	if (labels[0]) {
		hl_buf_printf(b, "%s_sum{%s} %.9g\n", name, labels, h->sum * sp->scale);
		hl_buf_printf(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
	} else {
		hl_buf_printf(b, "%s_sum %.9g\n", name, h->sum * sp->scale);
		hl_buf_printf(b, "%s_count %llu\n", name, (unsigned long long)h->count);
	}
}

static void counter(hl_buf *b, const char *name, const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	hl_buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(hl_buf *b, const char *name, const char *help, long long v)
{
	head(b, name, "gauge", help);
	hl_buf_printf(b, "%s %lld\n", name, v);
}

void srv_metrics_render(srv_ctx *ctx, const sch_schema *s, const srv_msnap *snap, hl_buf *out)
{
	const srv_metrics *m = &snap->m;
	gauge(out, "helenus_up", "1 while the node serves requests.", 1);
	gauge(out, "helenus_uptime_seconds", "Seconds since the node started serving.",
	      (long long)((hl_now_micros() - ctx->started_us) / 1000000));
	gauge(out, "helenus_shards", "Shard (event loop) threads.", ctx->nshards);

	/* clients */
	static const char *req_names[SRV_NREQ] = { "query", "prepare", "execute", "batch", "other" };
	head(out, "helenus_requests_total", "counter",
	     "Native protocol requests answered, by message type.");
	for (int i = 0; i < SRV_NREQ; i++)
		hl_buf_printf(out, "helenus_requests_total{type=\"%s\"} %llu\n", req_names[i],
			      (unsigned long long)m->requests[i]);
	head(out, "helenus_request_errors_total", "counter",
	     "Requests answered with an ERROR, by protocol error code.");
	for (int i = 0; i < m->nerr; i++)
		hl_buf_printf(out, "helenus_request_errors_total{code=\"0x%04x\"} %llu\n",
			      (unsigned)m->err_code[i], (unsigned long long)m->err_count[i]);
	counter(out, "helenus_request_timeouts_total",
		"Requests answered with READ_TIMEOUT or WRITE_TIMEOUT.", m->timeouts);
	counter(out, "helenus_dropped_responses_total",
		"Answers not sent because their connection had closed.", m->dropped);
	gauge(out, "helenus_connections", "Open native protocol connections.", (long long)m->conns);
	counter(out, "helenus_connections_total", "Native protocol connections accepted.",
		m->conns_total);
	counter(out, "helenus_received_bytes_total", "Bytes read from client connections.",
		m->bytes_in);
	counter(out, "helenus_sent_bytes_total", "Bytes written to client connections.",
		m->bytes_out);

	/* coordinator latency */
	static const char *ops[SRV_NPROXY] = { "read", "range_read", "write", "cas_read",
					       "cas_write" };
	head(out, "helenus_client_request_latency_seconds", "histogram",
	     "Coordinator latency of successful requests, by operation (nodetool proxyhistograms).");
	for (int i = 0; i < SRV_NPROXY; i++) {
		char lb[32];
		snprintf(lb, sizeof lb, "op=\"%s\"", ops[i]);
		hist_samples(out, "helenus_client_request_latency_seconds", lb, m->proxy[i], &LAT);
	}

	/* commit log, compaction */
	gauge(out, "helenus_commitlog_pending_bytes", "Commit log bytes appended, not yet written.",
	      (long long)snap->cl.pending_bytes);
	gauge(out, "helenus_commitlog_size_bytes", "Logical size of the live commit log segments.",
	      (long long)snap->cl.size_bytes);
	gauge(out, "helenus_commitlog_segments", "Live commit log segments.",
	      (long long)snap->cl.segments);
	counter(out, "helenus_commitlog_syncs_total", "Commit log write-and-sync rounds completed.",
		snap->cl.syncs);
	gauge(out, "helenus_compactions_pending", "Compactions queued or running.",
	      (long long)snap->cs.pending);
	counter(out, "helenus_compactions_completed_total", "Compactions finished since start.",
		(uint64_t)snap->cs.completed);
	counter(out, "helenus_compaction_read_bytes_total", "Input bytes of finished compactions.",
		snap->cs.bytes_in);
	counter(out, "helenus_compaction_written_bytes_total",
		"Output bytes of finished compactions.", snap->cs.bytes_out);
	counter(out, "helenus_flushes_total", "Memtable flushes finished since start.",
		(uint64_t)snap->cs.flushes);

	/* per table storage gauges */
	static const struct { const char *name, *help; } g[] = {
		{ "helenus_memtable_bytes", "Bytes held by the table's memtables." },
		{ "helenus_table_partitions", "Partitions in the table's active memtables." },
		{ "helenus_table_rows", "Rows in the table's active memtables." },
		{ "helenus_sstables", "Live SSTables of the table." },
		{ "helenus_sstable_bytes", "Data.db bytes of the table's live SSTables." },
	};
	for (int k = 0; k < 5; k++) {
		head(out, g[k].name, "gauge", g[k].help);
		for (int i = 0; i < snap->ntables; i++) {
			const st_table_stats *ts = &snap->t[i].s;
			long long v = k == 0 ? (long long)ts->memory : k == 1 ? (long long)ts->partitions
				    : k == 2 ? (long long)ts->rows : k == 3 ? (long long)ts->sstables
				    : (long long)ts->disk_bytes;
			hl_buf_printf(out, "%s{", g[k].name);
			table_labels(out, snap->t[i].ks, snap->t[i].name);
			hl_buf_printf(out, "} %lld\n", v);
		}
	}

	/* per table histograms (tables that served an op; dropped tables left out) */
	static const struct { const char *name, *help; const hspec *sp; } th[SRV_NTHIST] = {
		[SRV_H_READ] = { "helenus_table_read_latency_seconds",
				 "Local partition read latency (nodetool tablehistograms).", &LAT },
		[SRV_H_RANGE] = { "helenus_table_range_latency_seconds",
				  "Local range read latency.", &LAT },
		[SRV_H_WRITE] = { "helenus_table_write_latency_seconds", "Local write latency.", &LAT },
		[SRV_H_SSTABLES] = { "helenus_table_sstables_per_read",
				     "SSTables holding the partition, per partition read.", &COUNT },
		[SRV_H_PSIZE] = { "helenus_table_partition_size_bytes",
				  "Bytes (key and cell values) of each partition reads returned.", &SIZE },
		[SRV_H_CELLS] = { "helenus_table_cell_count",
				  "Live cells of each partition reads returned.", &COUNT },
		[SRV_H_TOMBSTONES] = { "helenus_table_tombstones_scanned",
				       "Tombstones scanned per read.", &COUNT },
		[SRV_H_ROWS] = { "helenus_table_rows_per_read", "Live rows returned per read.", &COUNT },
		[SRV_H_COORD_READ] = { "helenus_table_coordinator_read_latency_seconds",
				       "Coordinator latency of successful requests reading the table.",
				       &LAT },
		[SRV_H_COORD_RANGE] = { "helenus_table_coordinator_range_latency_seconds",
					"Coordinator latency of successful range reads of the table.",
					&LAT },
		[SRV_H_COORD_WRITE] = { "helenus_table_coordinator_write_latency_seconds",
					"Coordinator latency of successful requests writing the table.",
					&LAT },
	};
	hl_buf lb;
	hl_buf_init(&lb);
	for (int k = 0; k < SRV_NTHIST; k++) {
		head(out, th[k].name, "histogram", th[k].help);
		for (int i = 0; i < m->tcap; i++) {
			const srv_tmetrics *t = m->tab[i];
			const sch_table *st = t ? sch_find_table_by_id(s, &t->id) : NULL;
			if (!st)
				continue;
			lb.len = 0;
			table_labels(&lb, st->ks, st->name);
			hl_buf_u8(&lb, 0);
			hist_samples(out, th[k].name, (const char *)lb.p, t->h[k], th[k].sp);
		}
	}
	hl_buf_free(&lb);
}
