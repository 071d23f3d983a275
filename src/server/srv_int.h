/*
 * Private header of the server module: the node context shared by the
 * request path (srv.c) and the admin listener (admin.c).
 */
#ifndef HL_SRV_INT_H
#define HL_SRV_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "commitlog/commitlog.h"
#include "config/config.h"
#include "net/net.h"
#include "query/query.h"
#include "schema/schema.h"
#include "system/system.h"
#include "transport/transport.h"

typedef struct srv_ctx srv_ctx;

/* ------------------------------------------------------------ metrics (metrics.c) */

/* Coordinator ("proxy") latency kinds, as nodetool proxyhistograms. */
enum { SRV_P_READ, SRV_P_RANGE, SRV_P_WRITE, SRV_P_CAS_READ, SRV_P_CAS_WRITE, SRV_NPROXY };
/* Per-table histograms, as nodetool tablehistograms (+ range latency, tombstones). */
enum {
	SRV_H_READ,                    /* local partition read latency, us */
	SRV_H_RANGE,                   /* local range read latency, us */
	SRV_H_WRITE,                   /* local write latency, us */
	SRV_H_SSTABLES,                /* SSTables holding the partition, per partition read */
	SRV_H_PSIZE,                   /* bytes of each partition a read returned */
	SRV_H_CELLS,                   /* cells of each partition a read returned */
	SRV_H_TOMBSTONES,              /* tombstones scanned per read */
	SRV_H_ROWS,                    /* live rows returned per read */
	SRV_H_COORD_READ,              /* coordinator latency of requests that read */
	SRV_H_COORD_RANGE,             /* ... that scanned a range */
	SRV_H_COORD_WRITE,             /* ... that wrote the table, us */
	SRV_NTHIST
};
/* Request kinds counted (native protocol opcodes that do work). */
enum { SRV_R_QUERY, SRV_R_PREPARE, SRV_R_EXECUTE, SRV_R_BATCH, SRV_R_OTHER, SRV_NREQ };
#define SRV_NERRCODES 24

typedef struct srv_tmetrics {
	hl_uuid id;
	hl_hist *h[SRV_NTHIST];
	/* events per second of each histogram, a five-minute exponentially
	 * weighted moving average (Dropwizard's Meter) updated by
	 * srv_metrics_tick; merged by summing, as the shards' rates add up */
	double rate[SRV_NTHIST];
	uint64_t rate_seen[SRV_NTHIST];
	bool rate_init;
	int64_t disk_bytes;            /* live SSTables' Data.db bytes, as of the last tick */
} srv_tmetrics;

/*
 * One shard's metrics: written only by that shard's thread (plain stores,
 * nothing shared with other shards); read by the admin thread through a
 * job posted to the shard that merges a copy (srv_metrics_merge).
 */
typedef struct srv_metrics {
	hl_hist *proxy[SRV_NPROXY];    /* coordinator latency, us */
	uint64_t requests[SRV_NREQ];
	int nerr;
	int err_code[SRV_NERRCODES];
	uint64_t err_count[SRV_NERRCODES];
	uint64_t timeouts;             /* READ_TIMEOUT / WRITE_TIMEOUT answers */
	uint64_t dropped;              /* answers whose connection had gone */
	int64_t conns;                 /* open now (this shard) */
	uint64_t conns_total, bytes_in, bytes_out;
	uint64_t ops_read, ops_write;  /* storage ops run (thread_pools ReadStage / MutationStage) */
	int ntab, tcap;                /* open addressing by table id */
	srv_tmetrics **tab;
} srv_metrics;

void srv_metrics_init(srv_metrics *m);
void srv_metrics_free(srv_metrics *m);
/* The table's entry (created on first use). */
srv_tmetrics *srv_metrics_table(srv_metrics *m, const hl_uuid *id);
/* The table's entry, or NULL (nothing recorded for it). */
const srv_tmetrics *srv_metrics_find(const srv_metrics *m, const hl_uuid *id);
/* On the owning shard after qry_op_run / qry_op_apply of a READ or WRITE. */
void srv_metrics_op(srv_metrics *m, const qry_op *op, int64_t micros);
/* On the coordinator once a request is answered. proxy < 0: no storage op. */
void srv_metrics_request(srv_metrics *m, int req_kind, int proxy, int64_t micros,
			 const hl_err *err, bool dropped);
/* On the coordinator once a request succeeded: its latency for a table it
 * read (h SRV_H_COORD_READ / _RANGE) or wrote (SRV_H_COORD_WRITE). */
void srv_metrics_coord(srv_metrics *m, const hl_uuid *table, int h, int64_t micros);
/* Owning shard, every `secs` seconds: advance the per-second rates. */
void srv_metrics_tick(srv_metrics *m, double secs);
/* dst += src (dst initialised). */
void srv_metrics_merge(srv_metrics *dst, const srv_metrics *src);

/* Per table storage figures the admin collects from the shards. */
typedef struct srv_tstat {
	hl_uuid id;
	const char *ks, *name;
	st_table_stats s;
} srv_tstat;

/* Everything GET /metrics shows, summed over the shards. */
typedef struct srv_msnap {
	srv_metrics m;
	st_compaction_stats cs;
	cl_stats cl;
	int ntables;
	const srv_tstat *t;
} srv_msnap;

/* Prometheus text exposition format 0.0.4. */
void srv_metrics_render(srv_ctx *ctx, const sch_schema *s, const srv_msnap *snap, hl_buf *out);

/* What a commit log's sync thread needs to reach its shard. */
typedef struct srv_logref {
	srv_ctx *ctx;
	int shard;
	/* batch/group sync: every write at or before this position is in the
	 * memtable (parked writes are applied in log order) */
	cl_pos last_released;
	atomic_bool poll_pending;      /* a st_poll message is on its way */
} srv_logref;

enum { SRV_T_READ, SRV_T_RANGE, SRV_T_WRITE, SRV_T_COUNTERWRITE, SRV_T_CASCONTENTION,
       SRV_T_TRUNCATE, SRV_T_MISC, SRV_NTIMEOUTS };

struct srv_ctx {
	const cfg *cfg;
	sch_registry *reg;
	sys_node node;
	int nshards;
	uint32_t max_frame;
	int64_t *tokens;
	qry_shard *qs;                 /* per shard, built before the shards start */
	cl_log **logs;
	srv_logref *logrefs;
	_Atomic(net_server *) server;  /* set once serving; sync threads post through it */
	int64_t started_us;
	struct srv_admin *admin;
	char *batchlog_dir;            /* beside the commit log directory */
	srv_metrics *metrics;          /* per shard (metrics.c) */
	/* nodetool settimeout / gettimeout, ms, by SRV_T_* (set by the admin
	 * thread; read, range, write and counterwrite enforced by srv.c) */
	_Atomic int64_t timeouts_ms[SRV_NTIMEOUTS];
	/* test only (HELENUS_TEST_SYNC_DELAY_MS): the commit log sync thread
	 * sleeps this long before telling a shard what is durable, as a slow disk */
	int test_sync_delay_ms;
	/* tracing (trace.c): the store behind system_traces, and the
	 * probability of tracing an untraced request as a 2^-32 fraction
	 * (0: off; one relaxed load per request) */
	sys_traces *traces;
	_Atomic uint64_t trace_threshold;
	_Atomic double trace_probability;
	/* system_views (views.c) */
	struct srv_clients *clients;
	pthread_mutex_t stats_mu;
	struct srv_shard_stats *shard_stats;   /* per shard, refreshed by it each second */
	/* per shard: a copy of its metrics as of its last refresh (stats_mu);
	 * the metric tables of system_views merge these, as a shard thread
	 * reading them must not wait for the other shards */
	srv_metrics *pub_metrics;
};

/* What a shard last reported of its engine and requests (views.c). */
typedef struct srv_shard_stats {
	int64_t compaction_active, compaction_pending, compactions_done, flushes_done;
	int64_t requests_active, requests_done;
	int64_t key_hits, key_requests, key_entries, key_capacity;
	int64_t parked;                /* writes waiting for the commit log sync */
	int ntasks;                    /* running compaction / flush (sstable_tasks) */
	struct st_task tasks[2];
} srv_shard_stats;

typedef struct srv_conn srv_conn;

typedef struct srv_msg srv_msg;

typedef struct srv_shard {
	net_shard *ns;
	srv_ctx *ctx;
	qry_shard *q;
	srv_conn *conns;               /* open connections, for events */
	srv_metrics *m;                /* this shard's metrics (ctx->metrics[id]) */
	srv_msg *parked, *parked_tail; /* writes waiting for the commit log to be durable */
	int64_t requests_done;         /* completed requests (system_views.thread_pools) */
	net_timer *stats_timer;
	int64_t last_tick_ns;          /* the previous stats tick (rates divide by the real interval) */
	/* requests waiting on another shard or the commit log, checked
	 * against their timeouts by timeout_timer while any wait (srv.c) */
	struct srv_req *waiting;
	net_timer *timeout_timer;
	hl_arena *spare[8];            /* reset request arenas for reuse */
	int nspare;
} srv_shard;

/* ------------------------------------------------------------ trace.c */

/*
 * A traced request's session under construction. The request's shard
 * creates and finishes it; ops running on other shards add events
 * meanwhile, hence the mutex (only traced requests ever take it).
 */
typedef struct srv_trace {
	sys_trace_session *s;
	pthread_mutex_t mu;
	int64_t start_us;
	bool send_id;                  /* the client asked (frame flag), not sampled */
	int shard;
} srv_trace;

void srv_trace_init(srv_ctx *ctx);
void srv_trace_destroy(srv_ctx *ctx);
/* Should this request be traced? Cheap: the flag, or a sample when a probability is set. */
static inline bool srv_trace_wanted(srv_ctx *ctx, const tp_request *tr)
{
	return (tr->flags & TP_FLAG_TRACING) ||
	       atomic_load_explicit(&ctx->trace_threshold, memory_order_relaxed) != 0;
}
/* Start a session for tr (NULL: not sampled after all). */
srv_trace *srv_trace_begin(srv_ctx *ctx, const tp_request *tr, const net_conn *nc, int shard);
void srv_trace_event(srv_trace *t, const char *thread, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Around a storage op run on `shard` (its thread). */
void srv_trace_op_start(srv_ctx *ctx, srv_trace *t, int shard, const qry_shard *q, const qry_op *op);
void srv_trace_op_done(srv_ctx *ctx, srv_trace *t, int shard, const qry_shard *q, const qry_op *op);
/* The request completed: set the duration and publish the session (frees t). */
void srv_trace_finish(srv_ctx *ctx, srv_trace *t);
/* nodetool settraceprobability / gettraceprobability. */
int srv_trace_set_probability(srv_ctx *ctx, double p, hl_err *err);
double srv_trace_get_probability(srv_ctx *ctx);

/* ------------------------------------------------------------ views.c */

/* One connection in the node-wide client registry (system_views.clients). */
typedef struct srv_client srv_client;
void srv_clients_init(srv_ctx *ctx);
void srv_clients_destroy(srv_ctx *ctx);
srv_client *srv_client_add(srv_ctx *ctx, const net_conn *nc);
void srv_client_remove(srv_ctx *ctx, srv_client *cl);
/* STARTUP done: the protocol version and the options the client sent. */
void srv_client_ready(srv_ctx *ctx, srv_client *cl, const tp_conn *tp);
void srv_client_keyspace(srv_ctx *ctx, srv_client *cl, const char *ks);
/* A request arrived (owner thread only: a relaxed load and store, no lock). */
void srv_client_count(srv_client *cl);
/* On the shard thread (a 1 s timer): publish its figures. */
void srv_views_refresh(srv_ctx *ctx, int shard, const qry_shard *q, int64_t inflight, int64_t done,
		       int64_t parked);
/* sys_node.live: rows of system_views. */
void srv_views_live(void *ctxp, const char *table, hl_arena *a, sys_live *out);

/* admin.c: the `helenus admin` listener (its own thread; blocking I/O). */
typedef struct srv_admin srv_admin;
int srv_admin_start(srv_ctx *ctx, srv_admin **out, hl_err *err);
void srv_admin_stop(srv_admin *a);

#endif
