/*
 * system: the content of the system tables, as rows of serialized cells.
 * system.local / peers / peers_v2 / size_estimates / table_estimates from
 * the node's identity, system_schema.* and system_virtual_schema.* from a
 * schema snapshot, system_traces.* from the node's trace store and
 * system_views.* from the live state the node reports. Other tables of the
 * system keyspace have no rows.
 *
 * The executor filters and sorts the rows (by token, then clustering); this
 * module only produces them. Prefix: sys_.
 */
#ifndef HL_SYSTEM_H
#define HL_SYSTEM_H

#include "core/core.h"
#include "types/types.h"
#include "schema/schema.h"

/* An inet value: 4 (IPv4) or 16 (IPv6) bytes; len 0 = null. */
typedef struct sys_inet {
	uint8_t b[16];
	int len;
} sys_inet;

typedef struct sys_peer {
	sys_inet peer;              /* listen (internode) address */
	int32_t peer_port;
	const char *data_center;
	const char *rack;
	const char *release_version;
	hl_uuid host_id;
	hl_uuid schema_version;
	bool has_schema_version;
	sys_inet preferred_ip;      /* len 0: null */
	int32_t preferred_port;
	sys_inet native_address;    /* rpc_address in the legacy table */
	int32_t native_port;
	int ntokens;
	const int64_t *tokens;
} sys_peer;

/* One row of size_estimates / table_estimates (range bounds are tokens). */
typedef struct sys_size_estimate {
	const char *ks;
	const char *table;
	int64_t range_start;
	int64_t range_end;
	int64_t partitions_count;
	int64_t mean_partition_size;
} sys_size_estimate;

/* ---------------------------------------------------------------- tracing store (traces.c) */

typedef struct sys_trace_event {
	hl_uuid event_id;                /* timeuuid, increasing within a session */
	char *activity;
	char thread[40];
	int32_t source_elapsed;          /* microseconds since the session began */
} sys_trace_event;

/*
 * One tracing session (system_traces.sessions + its events). Built by the
 * request that is traced (no sharing until published), then handed to the
 * store with sys_traces_publish. Strings are malloc'd and owned by it.
 */
typedef struct sys_trace_session {
	hl_uuid id;                      /* timeuuid */
	sys_inet client;
	const char *command;             /* static: "QUERY" */
	sys_inet coordinator;
	int32_t coordinator_port;
	int32_t duration;                /* microseconds; set when complete */
	int64_t started_at_ms;
	char *request;                   /* "Execute CQL3 query" ... */
	int nparams;
	char **param_keys, **param_vals; /* sorted by key */
	int nevents, cap;
	sys_trace_event *events;
	int64_t last_event_us;           /* event ids strictly increase */
} sys_trace_session;

/* Node-wide store of the last completed sessions (internally synchronized). */
typedef struct sys_traces sys_traces;
sys_traces *sys_traces_new(int max_sessions, int max_events);
void sys_traces_free(sys_traces *t);
/* Takes ownership of s (complete: duration set). The oldest session goes when full. */
void sys_traces_publish(sys_traces *t, sys_trace_session *s);
void sys_trace_session_free(sys_trace_session *s);
/* The session's parameters map entry (copied); keys are kept sorted. */
void sys_trace_param(sys_trace_session *s, const char *key, const char *val);
/* Append an event (the caller serializes appends to one session). */
void sys_trace_event_add(sys_trace_session *s, int max_events, int64_t now_us, int64_t start_us,
			 const char *thread, const char *activity);

/* ---------------------------------------------------------------- live node state (views.c) */

typedef struct sys_client {
	sys_inet address;
	int32_t port;
	const char *stage;               /* "established" / "ready" */
	int32_t protocol_version;        /* 0: not yet known (null) */
	const char *driver_name, *driver_version;
	const char *keyspace;
	int64_t request_count;
	int nopts;                       /* client_options (STARTUP), sorted by key */
	const char **opt_keys, **opt_vals;
} sys_client;

typedef struct sys_pool {
	const char *name;
	int32_t active, active_limit, pending;
	int64_t completed, blocked, blocked_all_time;
} sys_pool;

typedef struct sys_sstable_task {
	const char *ks, *table;
	hl_uuid task_id;
	const char *kind;                /* "compaction" */
	int64_t progress, total;
	int32_t sstables;
	const char *unit;                /* "bytes" */
} sys_sstable_task;

typedef struct sys_cache {
	const char *name;
	int64_t capacity_bytes, size_bytes, request_count, hit_count;
	int32_t entry_count;
} sys_cache;

/* One row of a TableMetricTables view (Cassandra's per-table metric tables). */
enum { SYS_TM_LATENCY, SYS_TM_HISTOGRAM, SYS_TM_STORAGE };
typedef struct sys_table_metric {
	const char *ks, *table;
	int64_t count;
	double p50, p99, max;            /* latency: microseconds; else the recorded unit */
	double per_second;               /* latency: five-minute rate */
	int64_t bytes;                   /* storage */
} sys_table_metric;

/* What the system_views tables show, gathered by the node when read. */
typedef struct sys_live {
	int ntmetrics, tmetric_kind;     /* SYS_TM_* */
	sys_table_metric *tmetrics;
	int nclients;
	sys_client *clients;
	int npools;
	sys_pool *pools;
	int ntasks;
	sys_sstable_task *tasks;
	int ncaches;
	sys_cache *caches;
	int nsettings;
	const char **setting_names, **setting_values;   /* sorted by name */
} sys_live;

/* Fill what system_views.<table> needs of *out, in arena a (any shard
 * thread; the node synchronizes what it reads). */
typedef void (*sys_live_fn)(void *ctx, const char *table, hl_arena *a, sys_live *out);

typedef struct sys_node {
	const char *cluster_name;
	hl_uuid host_id;
	const char *data_center;         /* "datacenter1" */
	const char *rack;                /* "rack1" */
	int ntokens;
	const int64_t *tokens;
	sys_inet listen_address;
	sys_inet broadcast_address;
	sys_inet rpc_address;
	int32_t listen_port;             /* storage port, 7000 */
	int32_t broadcast_port;
	int32_t rpc_port;                /* native transport port, 9042 */
	const char *release_version;     /* "5.0.2" */
	const char *cql_version;         /* "3.4.7" */
	const char *native_protocol_version;   /* "5" */
	const char *partitioner;         /* org.apache.cassandra.dht.Murmur3Partitioner */
	const char *bootstrapped;        /* "COMPLETED" */
	int32_t gossip_generation;
	int npeers;                      /* never the node itself */
	const sys_peer *peers;
	int nestimates;
	const sys_size_estimate *estimates;
	sys_traces *traces;              /* system_traces rows (NULL: none) */
	sys_live_fn live;                /* system_views rows (NULL: empty tables) */
	void *live_ctx;
} sys_node;

/* Defaults for a single developer node (addresses 127.0.0.1, ports 7000/9042). */
void sys_node_defaults(sys_node *n);

/* A serialized cell: protocol [bytes] content; len -1 is null. */
typedef struct sys_cell {
	const uint8_t *p;
	int32_t len;
} sys_cell;

/*
 * nrows rows of ncols cells, row-major. Cells follow the table's column
 * order as the schema exposes it (t->cols: partition key, clustering,
 * static, regular; see schema.h); rows are in no particular order.
 */
typedef struct sys_rowset {
	int ncols;
	int nrows;
	sys_cell *cells;
} sys_rowset;

/* Is t a table whose rows this module produces (every system/virtual table)? */
bool sys_handles(const sch_table *t);

/*
 * Every row of the system table t, built in arena a. The schema version in
 * system.local is the snapshot's. Invalid if t is not a system table.
 */
int sys_rows(const sch_schema *s, const sys_node *node, const sch_table *t, hl_arena *a,
	     sys_rowset *out, hl_err *err);

#endif
