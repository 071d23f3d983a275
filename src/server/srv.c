/*
 * The node: per-shard and per-connection state, the request life cycle and
 * the node identity. A request is decoded by the connection's shard, which
 * coordinates it; every storage op the executor asks for runs on the shard
 * owning the data (directly when that is the coordinator, else posted
 * through the inter-shard ring and answered the same way).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "query/query.h"
#include "schema/schema.h"
#include "server/server.h"
#include "server/srv_int.h"
#include "system/system.h"
#include "transport/transport.h"

#define MAX_INFLIGHT 2048         /* per connection, then stop reading it */



struct srv_conn {
	net_conn *nc;
	tp_conn *tp;
	srv_shard *sh;
	char keyspace[256];
	bool has_keyspace;
	int inflight;
	bool closed;
	bool paused;
	bool client_ready;             /* STARTUP seen by the client registry */
	srv_client *client;            /* system_views.clients entry */
	srv_conn *prev, *next;
};

typedef struct srv_req {
	srv_conn *c;
	int16_t stream;
	hl_arena *a;
	qry_exec *x;
	int pending;
	int origin;
	char *prep_text;               /* PREPARE: text + keyspace to propagate */
	size_t prep_len;
	char *prep_ks;
	/* metrics: start, the op kinds it ran (REQ_K_*), its message type */
	int64_t t0;
	uint8_t kinds;
	uint8_t req_kind;
	bool serial;
	srv_trace *trace;              /* NULL unless traced */
	/* the tables it read / wrote, for their coordinator latencies */
	uint8_t ntab;
	struct { hl_uuid id; uint8_t h; } tab[4];
	/* timeouts: the consistency and write type a timeout error reports;
	 * on the shard's waiting list while suspended; answered early */
	int cl;
	const char *write_type;
	bool counter;
	bool waiting, timed_out;
	struct srv_req *wprev, *wnext;
} srv_req;

#define TIMEOUT_TICK_MS 10        /* how often waiting requests are checked */

enum { REQ_K_READ = 1, REQ_K_RANGE = 2, REQ_K_WRITE = 4, REQ_K_CAS = 8 };

/* A storage op travelling to its shard and back. */
struct srv_msg {
	srv_req *req;
	qry_op *op;
	int origin;
	srv_msg *next;                 /* parked list */
};

static void req_dispatch(srv_shard *sh, srv_req *r);
static int mkdirs(const char *path);

/* ------------------------------------------------------------ connections */

static void conn_free(srv_conn *c)
{
	tp_conn_free(c->tp);
	free(c);
}

static void conn_flush(srv_conn *c)
{
	if (c->closed)
		return;
	size_t n;
	const uint8_t *out = tp_conn_output(c->tp, &n);
	if (n) {
		c->sh->m->bytes_out += n;
		net_conn_write(c->nc, out, n);
		tp_conn_consume_output(c->tp, n);
	}
	if (tp_conn_should_close(c->tp))
		net_conn_close(c->nc);
}

static void *on_open(net_conn *nc)
{
	srv_shard *sh = net_shard_data(net_shard_of(nc));
	srv_conn *c = hl_calloc(1, sizeof *c);
	tp_conn_opts o = { 0 };
	o.max_frame_size = sh->ctx->max_frame;
	c->tp = tp_conn_new(&o);
	c->nc = nc;
	c->sh = sh;
	sh->m->conns++;
	sh->m->conns_total++;
	c->client = srv_client_add(sh->ctx, nc);
	c->next = sh->conns;
	if (sh->conns)
		sh->conns->prev = c;
	sh->conns = c;
	return c;
}

static void on_close(net_conn *nc)
{
	srv_conn *c = net_conn_data(nc);
	if (!c)
		return;
	srv_shard *sh = c->sh;
	if (c->prev)
		c->prev->next = c->next;
	else
		sh->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->closed = true;
	sh->m->conns--;
	srv_client_remove(sh->ctx, c->client);
	c->client = NULL;
	net_conn_set_data(nc, NULL);
	if (c->inflight == 0)
		conn_free(c);
}

/* ------------------------------------------------------------ requests */

/* Request arenas are reset and reused: a fresh 8 KiB arena per request
 * (and one more per read of the socket, for the attempt that finds no
 * complete request) cost ~1,000 instructions of malloc/free per request. */
static hl_arena *req_arena(srv_shard *sh)
{
	return sh->nspare ? sh->spare[--sh->nspare] : hl_arena_new(8192);
}

static void req_arena_put(srv_shard *sh, hl_arena *a)
{
	if (sh->nspare < (int)(sizeof sh->spare / sizeof sh->spare[0])) {
		hl_arena_reset(a);
		sh->spare[sh->nspare++] = a;
	} else {
		hl_arena_free(a);
	}
}

static void req_free(srv_req *r)
{
	srv_conn *c = r->c;
	if (r->waiting) {
		if (r->wprev)
			r->wprev->wnext = r->wnext;
		else
			c->sh->waiting = r->wnext;
		if (r->wnext)
			r->wnext->wprev = r->wprev;
	}
	if (r->trace)
		srv_trace_finish(c->sh->ctx, r->trace);
	qry_exec_free(r->x);
	req_arena_put(c->sh, r->a);
	free(r->prep_text);
	free(r->prep_ks);
	net_conn_unref(c->nc);
	c->inflight--;
	c->sh->requests_done++;
	if (c->closed && c->inflight == 0)
		conn_free(c);
	else if (c->paused && c->inflight < MAX_INFLIGHT / 2 && !c->closed) {
		c->paused = false;
		net_conn_pause_read(c->nc, false);
	}
	free(r);
}

typedef struct prep_msg {
	uint8_t id[16];
	char *text;
	size_t len;
	char *ks;
} prep_msg;

static void prep_on_shard(net_shard *ns, void *arg)
{
	prep_msg *m = arg;
	srv_shard *sh = net_shard_data(ns);
	qry_pcache_put_text(sh->q, m->id, m->text, m->len, m->ks);
	free(m->text);
	free(m->ks);
	free(m);
}

typedef struct event_msg {
	char *change_type, *target, *ks, *name;
} event_msg;

static void event_free(event_msg *m)
{
	free(m->change_type);
	free(m->target);
	free(m->ks);
	free(m->name);
	free(m);
}

static void event_on_shard(net_shard *ns, void *arg)
{
	event_msg *m = arg;
	srv_shard *sh = net_shard_data(ns);
	qry_result sc;
	qry_result_init(&sc);
	sc.kind = QRY_RESULT_SCHEMA_CHANGE;
	sc.change_type = m->change_type;
	sc.target = m->target;
	sc.sc_keyspace = m->ks;
	sc.sc_name = m->name;
	for (srv_conn *c = sh->conns; c; c = c->next)
		if (tp_conn_event_schema(c->tp, &sc))
			conn_flush(c);
	qry_result_free(&sc);
	event_free(m);
}

static void broadcast_schema_change(srv_shard *sh, const qry_result *res)
{
	for (int i = 0; i < sh->ctx->nshards; i++) {
		event_msg *m = hl_calloc(1, sizeof *m);
		m->change_type = hl_strdup(res->change_type);
		m->target = hl_strdup(res->target);
		m->ks = hl_strdup(res->sc_keyspace);
		m->name = res->sc_name ? hl_strdup(res->sc_name) : NULL;
		if (net_shard_post(sh->ns, i, event_on_shard, m) < 0)
			event_free(m);
	}
}

static void broadcast_prepared(srv_shard *sh, srv_req *r, const qry_result *res)
{
	for (int i = 0; i < sh->ctx->nshards; i++) {
		if (i == net_shard_id(sh->ns))
			continue;
		prep_msg *m = hl_calloc(1, sizeof *m);
		memcpy(m->id, res->id, 16);
		m->text = hl_malloc(r->prep_len + 1);
		memcpy(m->text, r->prep_text, r->prep_len);
		m->len = r->prep_len;
		m->ks = r->prep_ks ? hl_strdup(r->prep_ks) : NULL;
		if (net_shard_post(sh->ns, i, prep_on_shard, m) < 0) {
			free(m->text);
			free(m->ks);
			free(m);
		}
	}
}

/* The coordinator latency kind of a finished request (nodetool proxyhistograms). */
static int proxy_kind(const srv_req *r)
{
	if (r->kinds & REQ_K_CAS)
		return SRV_P_CAS_WRITE;
	if (r->kinds & REQ_K_WRITE)
		return SRV_P_WRITE;
	if (r->serial && (r->kinds & (REQ_K_READ | REQ_K_RANGE)))
		return SRV_P_CAS_READ;
	if (r->kinds & REQ_K_RANGE)
		return SRV_P_RANGE;
	if (r->kinds & REQ_K_READ)
		return SRV_P_READ;
	return -1;
}

/*
 * The timeout (ms) a request runs under, by the storage ops it ran (0:
 * none). Only what a single node can overrun is enforced: reads and writes.
 * Paxos (cas_contention), truncate and the rest run to their end.
 */
static int64_t req_timeout_ms(srv_ctx *ctx, const srv_req *r)
{
	int t;
	if ((r->kinds & REQ_K_CAS) || r->serial)
		return 0;
	if (r->kinds & REQ_K_WRITE)
		t = r->counter ? SRV_T_COUNTERWRITE : SRV_T_WRITE;
	else if (r->kinds & REQ_K_RANGE)
		t = SRV_T_RANGE;
	else if (r->kinds & REQ_K_READ)
		t = SRV_T_READ;
	else
		return 0;
	return atomic_load_explicit(&ctx->timeouts_ms[t], memory_order_relaxed);
}

/* Cassandra's ReadTimeout / WriteTimeout from one node: no replica answered in time. */
static void timeout_err(const srv_req *r, hl_err *e)
{
	bool write = r->kinds & REQ_K_WRITE;
	hl_err_clear(e);
	hl_errf(e, write ? HL_ERR_WRITE_TIMEOUT : HL_ERR_READ_TIMEOUT,
		"Operation timed out - received only 0 responses.");
	e->cl = r->cl;
	e->received = 0;
	e->blockfor = 1;
	e->data_present = false;
	if (write)
		snprintf(e->write_type, sizeof e->write_type, "%s", r->write_type);
}

static bool req_late(srv_ctx *ctx, const srv_req *r, int64_t now)
{
	int64_t ms = req_timeout_ms(ctx, r);
	return ms > 0 && now - r->t0 >= ms * 1000000;
}

static void timeout_tick(net_shard *ns, void *arg)
{
	srv_shard *sh = net_shard_data(ns);
	(void)arg;
	if (!sh)
		return;
	sh->timeout_timer = NULL;
	int64_t now = hl_mono_nanos();
	for (srv_req *r = sh->waiting; r; r = r->wnext) {
		if (r->timed_out || !req_late(sh->ctx, r, now))
			continue;
		/* answered now; the ops still finish (a parked write is in the
		 * log and will be applied), their answer is dropped */
		srv_conn *c = r->c;
		hl_err e;
		timeout_err(r, &e);
		r->timed_out = true;
		bool open = !c->closed && net_conn_is_open(c->nc);
		srv_metrics_request(sh->m, r->req_kind, proxy_kind(r), (now - r->t0) / 1000, &e, !open);
		if (r->trace)
			srv_trace_event(r->trace, "Native-Transport-Requests-1", "Request timed out");
		if (open) {
			tp_conn_respond_error(c->tp, r->stream, &e);
			conn_flush(c);
		}
	}
	if (sh->waiting)
		sh->timeout_timer = net_timer_add(ns, TIMEOUT_TICK_MS, timeout_tick, NULL);
}

/* The request is suspended (remote ops, a parked write): watch its timeout. */
static void req_wait(srv_shard *sh, srv_req *r)
{
	if (r->waiting)
		return;
	r->waiting = true;
	r->wprev = NULL;
	r->wnext = sh->waiting;
	if (sh->waiting)
		sh->waiting->wprev = r;
	sh->waiting = r;
	if (!sh->timeout_timer)
		sh->timeout_timer = net_timer_add(sh->ns, TIMEOUT_TICK_MS, timeout_tick, NULL);
}

static void req_complete(srv_shard *sh, srv_req *r)
{
	srv_conn *c = r->c;
	qry_result *res = qry_exec_result(r->x);
	const hl_err *errp = res ? NULL : qry_exec_error(r->x);
	hl_err late;
	if (r->timed_out) {
		/* already answered with the timeout */
		if (r->trace) {
			srv_trace_finish(sh->ctx, r->trace);
			r->trace = NULL;
		}
		req_free(r);
		return;
	}
	int64_t now = hl_mono_nanos();
	if (res && req_late(sh->ctx, r, now)) {
		/* ran past its timeout without waiting (ops on this shard): the
		 * client gets what a coordinator whose wait expired answers */
		timeout_err(r, &late);
		errp = &late;
		res = NULL;
	}
	bool answered = !c->closed && net_conn_is_open(c->nc);
	int64_t micros = (now - r->t0) / 1000;
	srv_metrics_request(sh->m, r->req_kind, proxy_kind(r), micros, errp, !answered);
	if (res && !r->serial && !(r->kinds & REQ_K_CAS))
		for (int k = 0; k < r->ntab; k++)
			srv_metrics_coord(sh->m, &r->tab[k].id, r->tab[k].h, micros);
	if (res) {
		if (res->kind == QRY_RESULT_SET_KEYSPACE && res->keyspace) {
			snprintf(c->keyspace, sizeof c->keyspace, "%s", res->keyspace);
			c->has_keyspace = true;
			srv_client_keyspace(sh->ctx, c->client, c->keyspace);
		} else if (res->kind == QRY_RESULT_PREPARED && r->prep_text) {
			broadcast_prepared(sh, r, res);
		} else if (res->kind == QRY_RESULT_SCHEMA_CHANGE) {
			broadcast_schema_change(sh, res);
		}
	}
	const uint8_t *trace_id = NULL;
	hl_uuid tid;
	if (r->trace) {
		/* published complete before the client can ask for it */
		tid = r->trace->s->id;
		trace_id = r->trace->send_id ? tid.b : NULL;
		srv_trace_finish(sh->ctx, r->trace);
		r->trace = NULL;
	}
	if (answered) {
		if (res)
			tp_conn_respond_traced(c->tp, r->stream, res, trace_id);
		else
			tp_conn_respond_error_traced(c->tp, r->stream, errp, trace_id);
		conn_flush(c);
	}
	req_free(r);
}

static void req_step(srv_shard *sh, srv_req *r, int rc)
{
	for (;;) {
		if (rc == QRY_DONE) {
			req_complete(sh, r);
			return;
		}
		req_dispatch(sh, r);
		if (r->pending > 0) {
			req_wait(sh, r);
			return;        /* resumed by the last remote answer */
		}
		rc = qry_exec_resume(r->x);
	}
}

/* On the origin shard: one remote op came back. */
static void op_back(net_shard *ns, void *arg)
{
	srv_msg *m = arg;
	srv_shard *sh = net_shard_data(ns);
	srv_req *r = m->req;
	free(m);
	if (--r->pending == 0)
		req_step(sh, r, qry_exec_resume(r->x));
}

/* On the owning shard: the op is done, hand it back to the coordinator. */
static void op_finish(srv_shard *sh, srv_msg *m)
{
	if (m->origin == net_shard_id(sh->ns)) {
		op_back(sh->ns, m);
		return;
	}
	if (net_shard_post(sh->ns, m->origin, op_back, m) < 0)
		free(m);   /* shutting down: the origin is gone too */
}

static void park(srv_shard *sh, srv_msg *m)
{
	m->next = NULL;
	if (sh->parked_tail)
		sh->parked_tail->next = m;
	else
		sh->parked = m;
	sh->parked_tail = m;
}

/*
 * The commit log is durable up to `pos` (or failed): apply and answer the
 * parked writes it covers. Positions grow in append order, so the parked
 * list is in position order and stops at the first one not yet covered.
 */
static void release_parked(srv_shard *sh, cl_pos pos, const hl_err *failed)
{
	while (sh->parked) {
		srv_msg *m = sh->parked;
		if (!failed && cl_pos_cmp(m->op->pos, pos) > 0)
			break;
		sh->parked = m->next;
		if (!sh->parked)
			sh->parked_tail = NULL;
		if (!failed && sh->q->log)
			sh->ctx->logrefs[net_shard_id(sh->ns)].last_released = m->op->pos;
		if (failed) {
			m->op->wait = false;
			m->op->status = -1;
			m->op->err = *failed;
			m->op->err.code = HL_ERR_WRITE_FAILURE;
			snprintf(m->op->err.write_type, sizeof m->op->err.write_type, "SIMPLE");
		} else {
			int64_t t0 = hl_mono_nanos();
			qry_op_apply(sh->q, m->op);
			srv_metrics_op(sh->m, m->op, (hl_mono_nanos() - t0) / 1000);
		}
		op_finish(sh, m);
	}
}

typedef struct sync_msg {
	cl_pos pos;
	bool failed;
	hl_err err;
} sync_msg;

static void sync_on_shard(net_shard *ns, void *arg)
{
	sync_msg *m = arg;
	srv_shard *sh = net_shard_data(ns);
	if (sh)
		release_parked(sh, m->pos, m->failed ? &m->err : NULL);
	free(m);
}

/* Commit log sync thread: tell the shard how far the log is durable. */
static void on_log_sync(void *ctxp, cl_pos durable, const hl_err *err)
{
	srv_logref *ref = ctxp;
	net_server *srv = atomic_load(&ref->ctx->server);
	if (!srv)
		return;        /* start-up replay: nobody is waiting yet */
	if (ref->ctx->test_sync_delay_ms > 0)
		usleep((useconds_t)ref->ctx->test_sync_delay_ms * 1000);
	sync_msg *m = hl_calloc(1, sizeof *m);
	m->pos = durable;
	if (err) {
		m->failed = true;
		m->err = *err;
	}
	if (net_server_post(srv, ref->shard, sync_on_shard, m) < 0)
		free(m);
}

/* ------------------------------------------------------------ storage engine callbacks */

/* Where the log stands for a memtable frozen now (see st_log_pos_fn). */
static st_log_pos eng_log_pos(void *p, const hl_uuid *table)
{
	srv_logref *ref = p;
	qry_shard *q = &ref->ctx->qs[ref->shard];
	(void)table;
	cl_pos pos = { 0, 0 };
	if (q->log)
		pos = q->wait_durable ? ref->last_released : cl_current_pos(q->log);
	return (st_log_pos){ pos.segment, pos.offset };
}

/* A flush reached SSTables: the log no longer needs those entries. */
static void eng_flushed(void *p, const hl_uuid *table, st_log_pos upto)
{
	srv_logref *ref = p;
	qry_shard *q = &ref->ctx->qs[ref->shard];
	if (q->log)
		cl_discard(q->log, table, (cl_pos){ upto.segment, upto.offset });
}

static void poll_on_shard(net_shard *ns, void *arg)
{
	srv_logref *ref = arg;
	atomic_store(&ref->poll_pending, false);
	srv_shard *sh = net_shard_data(ns);
	if (sh)
		st_poll(sh->q->engine);
}

/* Engine helper thread: finished work waits for st_poll on the shard. */
static void eng_notify(void *p)
{
	srv_logref *ref = p;
	net_server *srv = atomic_load(&ref->ctx->server);
	if (!srv || atomic_exchange(&ref->poll_pending, true))
		return;
	if (net_server_post(srv, ref->shard, poll_on_shard, ref) < 0)
		atomic_store(&ref->poll_pending, false);
}

/* Run an op on this (its owning) shard; parks it if it waits for the log. */
static void op_here(srv_shard *sh, srv_msg *m)
{
	srv_trace *t = m->req->trace;
	int me = net_shard_id(sh->ns);
	if (t)
		srv_trace_op_start(sh->ctx, t, me, sh->q, m->op);
	/* once: a second run would apply a write (a counter delta) twice */
	int64_t t0 = hl_mono_nanos();
	qry_op_run(sh->q, m->op);
	if (!m->op->wait)
		srv_metrics_op(sh->m, m->op, (hl_mono_nanos() - t0) / 1000);
	if (t && !m->op->wait)
		srv_trace_op_done(sh->ctx, t, me, sh->q, m->op);
	if (m->op->wait) {
		park(sh, m);
		/* the log may already be durable past it (or failed) */
		if (sh->q->log && cl_failed(sh->q->log)) {
			hl_err e;
			hl_err_clear(&e);
			hl_errf(&e, HL_ERR_WRITE_FAILURE, "commit log failed");
			release_parked(sh, (cl_pos){ 0, 0 }, &e);
		} else if (sh->q->log) {
			release_parked(sh, cl_durable_pos(sh->q->log), NULL);
		}
		return;
	}
	op_finish(sh, m);
}

/* On the owning shard: run the op, send it back. */
static void op_remote(net_shard *ns, void *arg)
{
	op_here(net_shard_data(ns), arg);
}

/* Run the exec's ops: local ones inline, the rest on their shards. */
static void req_dispatch(srv_shard *sh, srv_req *r)
{
	qry_op **ops;
	int n = qry_exec_ops(r->x, &ops);
	int me = net_shard_id(sh->ns);
	r->pending = n + 1;   /* +1 until every op is launched */
	for (int i = 0; i < n; i++) {
		qry_op *op = ops[i];
		if ((op->kind == QRY_OP_READ || op->kind == QRY_OP_WRITE) && !op->local) {
			uint8_t h = op->kind == QRY_OP_WRITE ? SRV_H_COORD_WRITE
				  : op->cmd.kind == ST_READ_RANGE ? SRV_H_COORD_RANGE : SRV_H_COORD_READ;
			int k = 0;
			while (k < r->ntab && (r->tab[k].h != h || memcmp(r->tab[k].id.b, op->table.b, 16)))
				k++;
			if (k == r->ntab && k < (int)(sizeof r->tab / sizeof r->tab[0])) {
				r->tab[k].id = op->table;
				r->tab[k].h = h;
				r->ntab++;
			}
		}
		r->kinds |= op->kind == QRY_OP_READ
			? (op->cmd.kind == ST_READ_RANGE ? REQ_K_RANGE : REQ_K_READ)
			: op->kind == QRY_OP_WRITE ? REQ_K_WRITE
			: op->kind == QRY_OP_CAS || op->kind == QRY_OP_CASB ? REQ_K_CAS : 0;
		if (op->local) {
			if (r->trace)
				srv_trace_op_start(sh->ctx, r->trace, me, sh->q, op);
			qry_op_run(sh->q, op);
			if (r->trace)
				srv_trace_op_done(sh->ctx, r->trace, me, sh->q, op);
			r->pending--;
			continue;
		}
		srv_msg *m = hl_calloc(1, sizeof *m);
		m->req = r;
		m->op = op;
		m->origin = me;
		if (op->shard == me) {
			op_here(sh, m);
			continue;
		}
		if (net_shard_post(sh->ns, op->shard, op_remote, m) < 0) {
			free(m);
			op->status = hl_errf(&op->err, HL_ERR_SERVER, "shard %d is shutting down", op->shard);
			r->pending--;
		}
	}
	r->pending--;
}

static void handle(srv_conn *c, tp_request *tr, hl_arena *a)
{
	srv_shard *sh = c->sh;
	srv_req *r = hl_calloc(1, sizeof *r);
	r->c = c;
	r->stream = tr->stream;
	r->a = a;
	r->t0 = hl_mono_nanos();
	r->req_kind = tr->opcode == TP_OP_QUERY ? SRV_R_QUERY : tr->opcode == TP_OP_PREPARE
		? SRV_R_PREPARE : tr->opcode == TP_OP_EXECUTE ? SRV_R_EXECUTE
		: tr->opcode == TP_OP_BATCH ? SRV_R_BATCH : SRV_R_OTHER;
	if (tr->opcode == TP_OP_QUERY || tr->opcode == TP_OP_EXECUTE)
		r->serial = tr->params.consistency == QRY_CL_SERIAL ||
			    tr->params.consistency == QRY_CL_LOCAL_SERIAL;
	r->cl = tr->opcode == TP_OP_BATCH ? tr->batch.params.consistency : tr->params.consistency;
	/* protocol batch types: 0 logged, 1 unlogged, 2 counter */
	r->write_type = tr->opcode != TP_OP_BATCH ? "SIMPLE" : tr->batch.type == 0 ? "BATCH"
		      : tr->batch.type == 2 ? "COUNTER" : "UNLOGGED_BATCH";
	r->counter = tr->opcode == TP_OP_BATCH && tr->batch.type == 2;
	c->inflight++;
	srv_client_count(c->client);
	if (srv_trace_wanted(sh->ctx, tr))
		r->trace = srv_trace_begin(sh->ctx, tr, c->nc, net_shard_id(sh->ns));
	net_conn_ref(c->nc);
	if (c->inflight >= MAX_INFLIGHT && !c->paused) {
		c->paused = true;
		net_conn_pause_read(c->nc, true);
	}
	r->x = qry_exec_new(sh->q, a, tr->version, c->has_keyspace ? c->keyspace : NULL);
	int rc;
	switch (tr->opcode) {
	case TP_OP_QUERY:
		rc = qry_exec_query(r->x, tr->query, tr->query_len, &tr->params);
		break;
	case TP_OP_PREPARE:
		r->prep_text = hl_malloc(tr->query_len + 1);
		memcpy(r->prep_text, tr->query, tr->query_len);
		r->prep_len = tr->query_len;
		/* the keyspace the id was computed with: v5's PREPARE flag, else USE */
		if (tr->keyspace) {
			r->prep_ks = hl_malloc(tr->keyspace_len + 1);
			memcpy(r->prep_ks, tr->keyspace, tr->keyspace_len);
			r->prep_ks[tr->keyspace_len] = 0;
		} else if (c->has_keyspace) {
			r->prep_ks = hl_strdup(c->keyspace);
		}
		rc = qry_exec_prepare(r->x, tr->query, tr->query_len, tr->keyspace, tr->keyspace_len);
		break;
	case TP_OP_EXECUTE:
		rc = qry_exec_execute(r->x, tr->id, tr->id_len, &tr->params);
		break;
	case TP_OP_BATCH:
		rc = qry_exec_batch(r->x, &tr->batch);
		break;
	default: {
		hl_err e;
		hl_err_clear(&e);
		hl_errf(&e, HL_ERR_PROTOCOL, "Unexpected message %d", tr->opcode);
		tp_conn_respond_error(c->tp, tr->stream, &e);
		req_free(r);
		return;
	}
	}
	req_step(sh, r, rc);
}

static size_t on_data(net_conn *nc, const uint8_t *p, size_t n)
{
	srv_conn *c = net_conn_data(nc);
	if (!c)
		return n;
	c->sh->m->bytes_in += n;
	tp_conn_feed(c->tp, p, n);
	for (;;) {
		hl_arena *a = req_arena(c->sh);
		tp_request tr;
		if (tp_conn_next(c->tp, &tr, a) != 1) {
			req_arena_put(c->sh, a);
			break;
		}
		handle(c, &tr, a);
		if (c->closed)
			break;
	}
	if (!c->client_ready && !c->closed && tp_conn_ready(c->tp)) {
		c->client_ready = true;
		srv_client_ready(c->sh->ctx, c->client, c->tp);
	}
	conn_flush(c);
	return n;
}

/* ------------------------------------------------------------ shards */

/* Once a second: publish this shard's figures for system_views. */
static void stats_tick(net_shard *ns, void *arg)
{
	srv_shard *sh = net_shard_data(ns);
	(void)arg;
	if (!sh)
		return;
	int64_t inflight = 0, parked = 0;
	for (srv_conn *c = sh->conns; c; c = c->next)
		inflight += c->inflight;
	for (srv_msg *m = sh->parked; m; m = m->next)
		parked++;
	int64_t now = hl_mono_nanos();
	double secs = sh->last_tick_ns ? (double)(now - sh->last_tick_ns) / 1e9 : 1.0;
	sh->last_tick_ns = now;
	srv_metrics_tick(sh->m, secs > 0 ? secs : 1.0);
	srv_views_refresh(sh->ctx, net_shard_id(ns), sh->q, inflight, sh->requests_done, parked);
	sh->stats_timer = net_timer_add(ns, 1000, stats_tick, NULL);
}

static int shard_init(net_shard *ns, void *ctxp, hl_err *err)
{
	srv_ctx *ctx = ctxp;
	srv_shard *sh = hl_calloc(1, sizeof *sh);
	sh->ns = ns;
	sh->ctx = ctx;
	sh->q = &ctx->qs[net_shard_id(ns)];
	sh->m = &ctx->metrics[net_shard_id(ns)];
	net_shard_set_data(ns, sh);
	sh->last_tick_ns = hl_mono_nanos();
	sh->stats_timer = net_timer_add(ns, 1000, stats_tick, NULL);
	(void)err;
	return 0;
}

/* Acknowledgements are about to leave: the commit log's writer takes what
 * this iteration appended (periodic mode: one wake-up per loop iteration,
 * not per write, and no acknowledged write waits for the timer). */
static void before_flush(net_shard *ns, void *ctxp)
{
	srv_shard *sh = net_shard_data(ns);
	(void)ctxp;
	if (sh && sh->q->log)
		cl_kick(sh->q->log);
}

static void shard_teardown(net_shard *ns, void *ctxp)
{
	srv_shard *sh = net_shard_data(ns);
	(void)ctxp;
	if (!sh)
		return;
	if (sh->stats_timer)
		net_timer_cancel(ns, sh->stats_timer);
	sh->stats_timer = NULL;
	if (sh->timeout_timer)
		net_timer_cancel(ns, sh->timeout_timer);
	sh->timeout_timer = NULL;
	/* writes still waiting for the log: make them durable and answer */
	if (sh->parked && sh->q->log) {
		hl_err e;
		hl_err_clear(&e);
		if (cl_sync_now(sh->q->log, &e) == 0)
			release_parked(sh, cl_durable_pos(sh->q->log), NULL);
		else
			release_parked(sh, (cl_pos){ 0, 0 }, &e);
	}
	/* memtables go to SSTables on the way out, so the next start replays
	 * nothing (Cassandra's drain); the flush discards the log it covers */
	hl_err fe;
	hl_err_clear(&fe);
	if (st_flush_all(sh->q->engine, &fe) < 0)
		hl_warn("shard %d: flush at shutdown: %s", net_shard_id(ns), fe.msg);
	st_wait_idle(sh->q->engine);
	/* closing joins the log's sync thread: no callback can reach a freed server */
	if (sh->q->log) {
		hl_err e;
		hl_err_clear(&e);
		int id = net_shard_id(ns);
		if (cl_close(sh->q->log, &e) < 0)
			hl_error("commit log of shard %d: %s", id, e.msg);
		sh->ctx->logs[id] = NULL;
		sh->q->log = NULL;
	}
	while (sh->nspare)
		hl_arena_free(sh->spare[--sh->nspare]);
	free(sh);
	net_shard_set_data(ns, NULL);
}

/* ------------------------------------------------------------ commit log start-up */

static bool is_segment(const char *name, int *shard)
{
	unsigned long long id;
	int sh, n = 0;
	if (sscanf(name, "CommitLog-%d-%llu.log%n", &sh, &id, &n) != 2 || name[n] != 0)
		return false;
	*shard = sh;
	return true;
}

typedef struct replay_ctx {
	srv_ctx *ctx;
	const sch_schema *schema;
	long applied, skipped;
} replay_ctx;

/*
 * A replayed mutation goes to the shard owning its token today (the shard
 * count may have changed since it was logged) and is logged again there,
 * so the old segments can go once the new logs are synced.
 */
static int replay_one(void *p, const hl_uuid *table, const st_mutation *m, cl_pos pos, hl_err *err)
{
	replay_ctx *rc = p;
	srv_ctx *ctx = rc->ctx;
	(void)pos;
	if (!sch_find_table_by_id(rc->schema, table)) {
		rc->skipped++;
		return 1;
	}
	int owner = qry_shard_of_token(m->token, ctx->nshards);
	if (cl_append(ctx->logs[owner], table, m, NULL, err) < 0) {
		if (err->code != HL_ERR_OVERLOADED)
			return -1;
		/* the log's write buffer is full: drain it and retry */
		if (cl_sync_now(ctx->logs[owner], err) < 0 ||
		    cl_append(ctx->logs[owner], table, m, NULL, err) < 0)
			return -1;
	}
	if (st_apply(ctx->qs[owner].engine, table, m, err) < 0)
		return -1;
	rc->applied++;
	return 0;
}

static int rmtree_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	char path[4608];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

/*
 * Open one commit log per shard and replay what the previous run left.
 * Old segments (and any replay directory a crash left behind) are first
 * moved into <commitlog>/replay, replayed into the engines and re-logged
 * into the new logs; they are deleted only once the new logs are fsynced,
 * so a crash at any point replays them again (replay is idempotent).
 */
static int open_logs(srv_ctx *ctx, hl_err *err)
{
	const cfg *c = ctx->cfg;
	const char *dir = c->commitlog_directory ? c->commitlog_directory : "./data/commitlog";
	char rdir[4200], from[4608], to[4608];
	if (mkdirs(dir) < 0)
		return hl_errf(err, HL_ERR_SERVER, "cannot create commit log directory %s: %s", dir,
			       strerror(errno));
	snprintf(rdir, sizeof rdir, "%s/replay", dir);
	if (mkdir(rdir, 0755) < 0 && errno != EEXIST)
		return hl_errf(err, HL_ERR_SERVER, "cannot create %s: %s", rdir, strerror(errno));
	int maxshard = -1;
	DIR *d = opendir(dir);
	if (!d)
		return hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		int sh;
		if (!is_segment(de->d_name, &sh))
			continue;
		snprintf(from, sizeof from, "%s/%s", dir, de->d_name);
		snprintf(to, sizeof to, "%s/%s", rdir, de->d_name);
		if (rename(from, to) < 0) {
			closedir(d);
			return hl_errf(err, HL_ERR_SERVER, "cannot move %s: %s", from, strerror(errno));
		}
	}
	closedir(d);
	d = opendir(rdir);
	if (d) {
		while ((de = readdir(d))) {
			int sh;
			if (is_segment(de->d_name, &sh) && sh > maxshard)
				maxshard = sh;
		}
		closedir(d);
	}
	ctx->logs = hl_calloc((size_t)ctx->nshards, sizeof(cl_log *));
	for (int i = 0; i < ctx->nshards; i++) {
		cl_opts o;
		cl_opts_from_cfg(&o, c, i);
		o.on_sync = on_log_sync;
		o.ctx = &ctx->logrefs[i];
		if (cl_open(&o, &ctx->logs[i], err) < 0)
			return -1;
		ctx->qs[i].log = ctx->logs[i];
		ctx->qs[i].wait_durable = o.mode != CL_SYNC_PERIODIC;
	}
	replay_ctx rc = { ctx, NULL, 0, 0 };
	sch_schema *s = sch_acquire(ctx->reg);
	rc.schema = s;
	int ret = 0;
	for (int sh = 0; sh <= maxshard && ret == 0; sh++)
		ret = cl_replay(rdir, sh, false, replay_one, &rc, err);
	sch_release(s);
	if (ret < 0)
		return -1;
	for (int i = 0; i < ctx->nshards; i++)
		if (cl_sync_now(ctx->logs[i], err) < 0)
			return -1;
	if (rmtree_files(rdir) < 0 && errno != ENOENT)
		hl_warn("could not remove %s: %s", rdir, strerror(errno));
	if (rc.applied || rc.skipped)
		hl_info("commit log replay: %ld mutations applied, %ld for dropped tables skipped",
			rc.applied, rc.skipped);
	return 0;
}

/* A batchlog mutation replayed at start-up: applied and logged like a
 * commit-log one (on the shard owning its token today). */
static int replay_batch_one(void *p, const hl_uuid *table, const st_mutation *m, hl_err *err)
{
	return replay_one(p, table, m, (cl_pos){ 0, 0 }, err) < 0 ? -1 : 0;
}

/*
 * Logged batches whose entry is still in the batchlog (a crash between the
 * entry and the end of its application) are applied again, after the commit
 * log: once the logs holding them are synced, the entries go.
 */
static int open_batchlog(srv_ctx *ctx, hl_err *err)
{
	const cfg *c = ctx->cfg;
	const char *cl = c->commitlog_directory ? c->commitlog_directory : "./data/commitlog";
	size_t n = strlen(cl);
	while (n > 1 && cl[n - 1] == '/')
		n--;
	size_t cut = n;
	while (cut > 0 && cl[cut - 1] != '/')
		cut--;
	ctx->batchlog_dir = hl_malloc(n + 16);
	snprintf(ctx->batchlog_dir, n + 16, "%.*sbatchlog", (int)cut, cl);
	if (mkdirs(ctx->batchlog_dir) < 0)
		return hl_errf(err, HL_ERR_SERVER, "cannot create batchlog directory %s: %s",
			       ctx->batchlog_dir, strerror(errno));
	replay_ctx rc = { ctx, NULL, 0, 0 };
	sch_schema *s = sch_acquire(ctx->reg);
	rc.schema = s;
	int nentries = 0;
	int ret = qry_batchlog_replay(ctx->batchlog_dir, replay_batch_one, &rc, &nentries, err);
	sch_release(s);
	if (ret < 0)
		return -1;
	for (int i = 0; nentries && i < ctx->nshards; i++)
		if (cl_sync_now(ctx->logs[i], err) < 0)
			return -1;
	if (nentries && qry_batchlog_clear(ctx->batchlog_dir, err) < 0)
		return -1;
	if (nentries)
		hl_info("batchlog replay: %d batches, %ld mutations applied, %ld for dropped tables "
			"skipped", nentries, rc.applied, rc.skipped);
	for (int i = 0; i < ctx->nshards; i++)
		ctx->qs[i].batchlog_dir = ctx->batchlog_dir;
	return 0;
}

/* ------------------------------------------------------------ identity */

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * host_id and tokens survive restarts (drivers key nodes by host_id): they
 * live in <first data directory>/node.state, created on first start.
 */
static int load_identity(srv_ctx *ctx, hl_err *err)
{
	const cfg *c = ctx->cfg;
	const char *dir = c->n_data_file_directories ? c->data_file_directories[0] : "./data/data";
	if (mkdirs(dir) < 0)
		return hl_errf(err, HL_ERR_SERVER, "cannot create data directory %s: %s", dir,
			       strerror(errno));
	char path[4200];
	snprintf(path, sizeof path, "%s/node.state", dir);
	int want = c->n_initial_tokens ? (int)c->n_initial_tokens : (c->num_tokens > 0 ? c->num_tokens : 1);
	ctx->tokens = hl_calloc((size_t)want + 1, sizeof(int64_t));
	int ntok = 0;
	bool have_id = false;
	FILE *f = fopen(path, "r");
	if (f) {
		char line[1 << 16];
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "host_id=", 8) == 0) {
				size_t l = strcspn(line + 8, "\r\n");
				have_id = hl_uuid_parse(line + 8, l, &ctx->node.host_id) == 0;
			} else if (strncmp(line, "tokens=", 7) == 0) {
				char *s = line + 7;
				while (*s && *s != '\n' && ntok < want) {
					char *end;
					long long v = strtoll(s, &end, 10);
					if (end == s)
						break;
					ctx->tokens[ntok++] = v;
					s = *end == ',' ? end + 1 : end;
				}
			}
		}
		fclose(f);
	}
	if (c->n_initial_tokens) {
		ntok = (int)c->n_initial_tokens;
		memcpy(ctx->tokens, c->initial_tokens, sizeof(int64_t) * (size_t)ntok);
	}
	bool fresh = !have_id || ntok != want;
	if (!have_id)
		hl_uuid_random(&ctx->node.host_id);
	if (ntok != want) {
		ntok = 0;
		while (ntok < want) {
			hl_uuid u;
			hl_uuid_random(&u);
			int64_t t;
			memcpy(&t, u.b, 8);
			if (t == INT64_MIN)
				continue;
			bool dup = false;
			for (int i = 0; i < ntok; i++)
				dup |= ctx->tokens[i] == t;
			if (!dup)
				ctx->tokens[ntok++] = t;
		}
	}
	qsort(ctx->tokens, (size_t)ntok, sizeof(int64_t), cmp_i64);
	if (fresh) {
		char tmp[4300];
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		f = fopen(tmp, "w");
		if (!f)
			return hl_errf(err, HL_ERR_SERVER, "cannot write %s: %s", tmp, strerror(errno));
		char id[37];
		hl_uuid_str(&ctx->node.host_id, id);
		fprintf(f, "host_id=%s\ntokens=", id);
		for (int i = 0; i < ntok; i++)
			fprintf(f, "%s%lld", i ? "," : "", (long long)ctx->tokens[i]);
		fprintf(f, "\n");
		if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
			fclose(f);
			return hl_errf(err, HL_ERR_SERVER, "cannot write %s", tmp);
		}
		fclose(f);
		if (rename(tmp, path) < 0)
			return hl_errf(err, HL_ERR_SERVER, "cannot rename %s: %s", tmp, strerror(errno));
	}
	ctx->node.ntokens = ntok;
	ctx->node.tokens = ctx->tokens;
	return 0;
}

static void parse_inet(const char *s, sys_inet *out)
{
	if (!s)
		return;
	if (inet_pton(AF_INET, s, out->b) == 1)
		out->len = 4;
	else if (inet_pton(AF_INET6, s, out->b) == 1)
		out->len = 16;
}

int srv_run(const cfg *c, hl_err *err)
{
	srv_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.cfg = c;
	sys_node_defaults(&ctx.node);
	ctx.node.cluster_name = c->cluster_name;
	if (c->dc)
		ctx.node.data_center = c->dc;
	if (c->rack)
		ctx.node.rack = c->rack;
	parse_inet(c->listen_address, &ctx.node.listen_address);
	parse_inet(c->broadcast_address ? c->broadcast_address : c->listen_address,
		   &ctx.node.broadcast_address);
	parse_inet(c->rpc_address, &ctx.node.rpc_address);
	ctx.node.listen_port = c->storage_port;
	ctx.node.broadcast_port = c->storage_port;
	ctx.node.rpc_port = c->native_transport_port;
	ctx.node.gossip_generation = (int32_t)(hl_now_micros() / 1000000);
	ctx.max_frame = c->native_transport_max_frame_size > UINT32_MAX
		? UINT32_MAX : (uint32_t)c->native_transport_max_frame_size;
	int rc = -1;
	net_server *ns = NULL;
	if (load_identity(&ctx, err) < 0)
		goto out;
	const char *dcs[1] = { ctx.node.data_center };
	sch_registry_config rc_cfg = { 1, dcs, c->materialized_views_enabled };
	/* the schema survives restarts with its table and column ids, which the
	 * commit log and SSTables refer to: load it before replaying anything */
	const char *sdir = c->n_data_file_directories ? c->data_file_directories[0] : "./data/data";
	sch_schema *loaded;
	if (sch_load(sdir, &rc_cfg, &loaded, err) < 0)
		goto out;
	ctx.reg = sch_registry_new(&rc_cfg);
	sch_registry_install(ctx.reg, loaded);
	sch_registry_set_persist(ctx.reg, sdir);
	net_opts o;
	net_opts_from_cfg(&o, c);
	o.app = (net_app){
		.on_open = on_open, .on_data = on_data, .on_close = on_close,
		.shard_init = shard_init, .shard_teardown = shard_teardown,
		.before_flush = before_flush, .ctx = &ctx,
	};
	/* the shard count must be known before shards start: the ring split uses it */
	if (o.nshards <= 0)
		o.nshards = net_default_shard_count();
	ctx.nshards = o.nshards;
	srv_trace_init(&ctx);
	srv_clients_init(&ctx);
	/* per-shard executors and engines exist before serving, so start-up can
	 * replay the commit log into them; each is then handed to its thread */
	ctx.qs = hl_calloc((size_t)ctx.nshards, sizeof(qry_shard));
	ctx.metrics = hl_calloc((size_t)ctx.nshards, sizeof(srv_metrics));
	for (int i = 0; i < ctx.nshards; i++)
		srv_metrics_init(&ctx.metrics[i]);
	{
		/* nodetool settimeout / gettimeout start from the config */
		const uint64_t t[SRV_NTIMEOUTS] = {
			[SRV_T_READ] = c->read_request_timeout_ms,
			[SRV_T_RANGE] = c->range_request_timeout_ms,
			[SRV_T_WRITE] = c->write_request_timeout_ms,
			[SRV_T_COUNTERWRITE] = c->counter_write_request_timeout_ms,
			[SRV_T_CASCONTENTION] = c->cas_contention_timeout_ms,
			[SRV_T_TRUNCATE] = c->truncate_request_timeout_ms,
			[SRV_T_MISC] = c->request_timeout_ms,
		};
		for (int i = 0; i < SRV_NTIMEOUTS; i++)
			atomic_store(&ctx.timeouts_ms[i], (int64_t)t[i]);
	}
	/* test only: a commit log that is slow to report its syncs */
	const char *delay = getenv("HELENUS_TEST_SYNC_DELAY_MS");
	if (delay)
		ctx.test_sync_delay_ms = atoi(delay);
	ctx.logrefs = hl_calloc((size_t)ctx.nshards, sizeof(srv_logref));
	for (int i = 0; i < ctx.nshards; i++) {
		ctx.logrefs[i].ctx = &ctx;
		ctx.logrefs[i].shard = i;
		st_engine_opts eo;
		memset(&eo, 0, sizeof eo);
		eo.data_dir = sdir;
		eo.shard = i;
		eo.nshards = ctx.nshards;
		eo.has_range = true;
		qry_shard_range(i, ctx.nshards, &eo.own_start, &eo.own_end);
		eo.has_host_id = true;
		eo.host_id = ctx.node.host_id;
		eo.large_partition_bytes = c->guard.compaction_large_partition_warning_threshold;
		eo.partition_size_warn = c->guard.partition_size_warn;
		eo.partition_size_fail = c->guard.partition_size_fail;
		eo.memtable_space = c->memtable_space ? c->memtable_space / (uint64_t)ctx.nshards : 0;
		eo.no_auto_snapshot = !c->auto_snapshot;
		eo.incremental_backups = c->incremental_backups;
		eo.has_compaction_throughput = true;
		eo.compaction_throughput = c->compaction_throughput;
		eo.log_pos = eng_log_pos;
		eo.on_flushed = eng_flushed;
		eo.notify = eng_notify;
		eo.ctx = &ctx.logrefs[i];
		if (qry_shard_init(&ctx.qs[i], i, ctx.nshards, ctx.reg, &ctx.node,
				   st_engine_new_opts(&eo), err) < 0)
			goto out;
		ctx.qs[i].guard = &c->guard;   /* read-only from here on */
		if (qry_shard_sync(&ctx.qs[i], err) < 0)
			goto out;
	}
	if (open_logs(&ctx, err) < 0 || open_batchlog(&ctx, err) < 0)
		goto out;
	/* flushes the replay started are published before serving */
	for (int i = 0; i < ctx.nshards; i++)
		st_wait_idle(ctx.qs[i].engine);
	/* the shards own their executors from here on */
	for (int i = 0; i < ctx.nshards; i++)
		sch_cache_clear(&ctx.qs[i].cache);
	ns = net_server_new(&o, err);
	if (!ns)
		goto out;
	atomic_store(&ctx.server, ns);
	ctx.started_us = hl_now_micros();
	if (srv_admin_start(&ctx, &ctx.admin, err) < 0)
		goto out;
	char id[37];
	hl_uuid_str(&ctx.node.host_id, id);
	hl_info("node %s up: cluster '%s', %d shards, %d tokens, native port %d", id,
		ctx.node.cluster_name, ctx.nshards, ctx.node.ntokens, net_server_port(ns));
	int sig = net_server_wait(ns);
	hl_info("stopping (signal %d)", sig);
	rc = 0;
out:
	srv_admin_stop(ctx.admin);
	atomic_store(&ctx.server, NULL);
	net_server_stop(ns);
	for (int i = 0; ctx.logs && i < ctx.nshards; i++) {
		hl_err e;
		hl_err_clear(&e);
		if (ctx.logs[i] && cl_close(ctx.logs[i], &e) < 0) {
			hl_error("commit log of shard %d: %s", i, e.msg);
			rc = -1;
		}
		if (ctx.qs)
			ctx.qs[i].log = NULL;
	}
	for (int i = 0; ctx.qs && i < ctx.nshards; i++)
		if (ctx.qs[i].pcache)
			qry_shard_destroy(&ctx.qs[i]);
	free(ctx.qs);
	for (int i = 0; ctx.metrics && i < ctx.nshards; i++)
		srv_metrics_free(&ctx.metrics[i]);
	free(ctx.metrics);
	free(ctx.logs);
	free(ctx.logrefs);
	free(ctx.batchlog_dir);
	if (ctx.reg)
		sch_registry_free(ctx.reg);
	free(ctx.tokens);
	srv_clients_destroy(&ctx);
	srv_trace_destroy(&ctx);
	return rc;
}
