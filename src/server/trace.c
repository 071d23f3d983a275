/*
 * server/trace.c: request tracing as Cassandra does it. A request whose
 * frame has the tracing flag, or one picked by the node's trace
 * probability (nodetool settraceprobability), gets a session: its
 * parameters and events are collected while it runs (coordinator events
 * on the connection's shard, storage events on the shard running each
 * op), then the session is published, duration set, into the node's
 * trace store that system_traces.sessions / events read. Only a request
 * that asked for it gets the tracing id in its response.
 *
 * Thread names mimic Cassandra's stages so tools that group by them keep
 * working: Native-Transport-Requests-<n> for the coordinator,
 * ReadStage-<n> / MutationStage-<n> for the shard that ran the op.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_int.h"

#define TRACE_SESSIONS 1000        /* sessions kept in memory */
#define TRACE_EVENTS 256           /* events per session */

void srv_trace_init(srv_ctx *ctx)
{
	ctx->traces = sys_traces_new(TRACE_SESSIONS, TRACE_EVENTS);
	ctx->node.traces = ctx->traces;
	atomic_store(&ctx->trace_threshold, 0);
	atomic_store(&ctx->trace_probability, 0.0);
}

void srv_trace_destroy(srv_ctx *ctx)
{
	ctx->node.traces = NULL;
	sys_traces_free(ctx->traces);
	ctx->traces = NULL;
}

int srv_trace_set_probability(srv_ctx *ctx, double p, hl_err *err)
{
	if (!(p >= 0.0 && p <= 1.0))
		return hl_errf(err, HL_ERR_INVALID, "Trace probability must be between 0 and 1");
	atomic_store(&ctx->trace_probability, p);
	/* compared with 32 random bits; 1.0 must trace everything */
	atomic_store(&ctx->trace_threshold, p <= 0.0 ? 0 : (uint64_t)(p * 4294967296.0));
	return 0;
}

double srv_trace_get_probability(srv_ctx *ctx)
{
	return atomic_load(&ctx->trace_probability);
}

/* xorshift per thread: sampling must not contend between shards */
static uint32_t sample_bits(void)
{
	static _Thread_local uint64_t x;

	if (!x) {
		hl_uuid u;

		hl_uuid_random(&u);
		memcpy(&x, u.b, 8);
		x |= 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 32);
}

static const char *cl_name(int cl)
{
	static const char *const names[] = {
		"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM",
		"SERIAL", "LOCAL_SERIAL", "LOCAL_ONE",
	};

	return cl >= 0 && cl < (int)(sizeof names / sizeof names[0]) ? names[cl] : "ONE";
}

static void peer_inet(const net_conn *nc, sys_inet *out)
{
	const struct sockaddr_storage *ss = nc ? net_conn_peer(nc) : NULL;

	memset(out, 0, sizeof *out);
	if (!ss)
		return;
	if (ss->ss_family == AF_INET) {
		memcpy(out->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		out->len = 4;
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out->b, a->s6_addr + 12, 4);
			out->len = 4;
		} else {
			memcpy(out->b, a, 16);
			out->len = 16;
		}
	}
}

static void params_common(sys_trace_session *s, const qry_params *p)
{
	char num[32];

	sys_trace_param(s, "consistency_level", cl_name(p->consistency));
	if (p->page_size > 0) {
		snprintf(num, sizeof num, "%d", p->page_size);
		sys_trace_param(s, "page_size", num);
	}
	sys_trace_param(s, "serial_consistency_level", cl_name(p->serial_consistency ? p->serial_consistency : 8));
}

static char *query_text(const char *q, size_t n)
{
	char *t = hl_malloc(n + 1);

	memcpy(t, q, n);
	t[n] = 0;
	return t;
}

srv_trace *srv_trace_begin(srv_ctx *ctx, const tp_request *tr, const net_conn *nc, int shard)
{
	bool asked = tr->flags & TP_FLAG_TRACING;
	srv_trace *t;
	sys_trace_session *s;
	char thread[40];

	if (!asked) {
		uint64_t th = atomic_load_explicit(&ctx->trace_threshold, memory_order_relaxed);

		if (th < 4294967296ull && sample_bits() >= th)
			return NULL;
	}
	t = hl_calloc(1, sizeof *t);
	s = hl_calloc(1, sizeof *s);
	pthread_mutex_init(&t->mu, NULL);
	t->s = s;
	t->send_id = asked;
	t->shard = shard;
	t->start_us = hl_now_micros();
	hl_uuid_time(t->start_us, &s->id);
	s->started_at_ms = t->start_us / 1000;
	s->command = "QUERY";
	peer_inet(nc, &s->client);
	s->coordinator = ctx->node.broadcast_address;
	s->coordinator_port = ctx->node.broadcast_port;
	s->duration = 0;
	snprintf(thread, sizeof thread, "Native-Transport-Requests-%d", shard + 1);
	switch (tr->opcode) {
	case TP_OP_QUERY: {
		char *q = query_text(tr->query, tr->query_len);

		s->request = hl_strdup("Execute CQL3 query");
		params_common(s, &tr->params);
		sys_trace_param(s, "query", q);
		srv_trace_event(t, thread, "Parsing %s", q);
		srv_trace_event(t, thread, "Preparing statement");
		free(q);
		break;
	}
	case TP_OP_PREPARE: {
		char *q = query_text(tr->query, tr->query_len);

		s->request = hl_strdup("Preparing CQL3 query");
		sys_trace_param(s, "query", q);
		srv_trace_event(t, thread, "Parsing %s", q);
		srv_trace_event(t, thread, "Preparing statement");
		free(q);
		break;
	}
	case TP_OP_EXECUTE:
		s->request = hl_strdup("Execute CQL3 prepared query");
		params_common(s, &tr->params);
		break;
	case TP_OP_BATCH:
		s->request = hl_strdup("Execute batch of CQL3 queries");
		params_common(s, &tr->batch.params);
		break;
	default:
		s->request = hl_strdup("Execute CQL3 query");
		break;
	}
	return t;
}

void srv_trace_event(srv_trace *t, const char *thread, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&t->mu);
	sys_trace_event_add(t->s, TRACE_EVENTS, hl_now_micros(), t->start_us, thread, buf);
	pthread_mutex_unlock(&t->mu);
}

/* The op's table name and SSTable count on its shard (op thread). */
static const char *op_table(const qry_shard *q, const qry_op *op, hl_arena *a, int64_t *nsst)
{
	st_table_stats ts;
	hl_err err;
	const char *name = "?";
	const sch_schema *s = sch_acquire(q->reg);
	const sch_table *t = sch_find_table_by_id(s, &op->table);

	if (t)
		name = hl_arena_strdup(a, t->name);
	sch_release(s);
	*nsst = 0;
	if (!op->local && st_table_stats_get(q->engine, &op->table, &ts, &err) == 0)
		*nsst = ts.sstables;
	return name;
}

void srv_trace_op_start(srv_ctx *ctx, srv_trace *t, int shard, const qry_shard *q, const qry_op *op)
{
	char thread[40];
	hl_arena *a = hl_arena_new(512);
	int64_t nsst;
	const char *table = op_table(q, op, a, &nsst);

	(void)ctx;
	switch (op->kind) {
	case QRY_OP_READ:
		snprintf(thread, sizeof thread, "ReadStage-%d", shard + 1);
		if (op->cmd.kind == ST_READ_PARTITION) {
			srv_trace_event(t, thread, "Executing single-partition query on %s", table);
			srv_trace_event(t, thread, "Acquiring sstable references");
		} else {
			srv_trace_event(t, thread, "Executing seq scan across %lld sstables for (%lld, %lld]",
					(long long)nsst, (long long)op->cmd.start_token,
					(long long)op->cmd.end_token);
		}
		break;
	case QRY_OP_WRITE:
		snprintf(thread, sizeof thread, "MutationStage-%d", shard + 1);
		if (op->durable)
			srv_trace_event(t, thread, "Appending to commitlog");
		srv_trace_event(t, thread, "Adding to %s memtable", table);
		break;
	case QRY_OP_CAS:
	case QRY_OP_CASB:
		snprintf(thread, sizeof thread, "MutationStage-%d", shard + 1);
		srv_trace_event(t, thread, "Executing single-partition query on %s", table);
		srv_trace_event(t, thread, "Acquiring sstable references");
		break;
	case QRY_OP_TRUNCATE:
		snprintf(thread, sizeof thread, "MutationStage-%d", shard + 1);
		srv_trace_event(t, thread, "Truncating %s", table);
		break;
	}
	hl_arena_free(a);
}

void srv_trace_op_done(srv_ctx *ctx, srv_trace *t, int shard, const qry_shard *q, const qry_op *op)
{
	char thread[40];
	hl_arena *a;
	int64_t nsst;

	(void)ctx;
	if (op->kind != QRY_OP_READ) {
		if (op->status < 0) {
			snprintf(thread, sizeof thread, "MutationStage-%d", shard + 1);
			srv_trace_event(t, thread, "%s", op->err.msg);
		}
		return;
	}
	snprintf(thread, sizeof thread, "ReadStage-%d", shard + 1);
	if (op->status < 0) {
		srv_trace_event(t, thread, "%s", op->err.msg);
		return;
	}
	a = hl_arena_new(512);
	op_table(q, op, a, &nsst);
	if (op->cmd.kind == ST_READ_PARTITION)
		srv_trace_event(t, thread, "Merged data from memtables and %lld sstables", (long long)nsst);
	srv_trace_event(t, thread, "Read %lld live rows and %lld tombstone cells",
			(long long)op->res.nrows, (long long)op->res.tombstones);
	hl_arena_free(a);
}

void srv_trace_finish(srv_ctx *ctx, srv_trace *t)
{
	int64_t d = hl_now_micros() - t->start_us;

	t->s->duration = d > INT32_MAX ? INT32_MAX : d < 0 ? 0 : (int32_t)d;
	pthread_mutex_destroy(&t->mu);
	sys_traces_publish(ctx->traces, t->s);
	free(t);
}
