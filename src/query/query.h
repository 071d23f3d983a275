/*
 * query: prepares CQL statements against the schema and executes them on the
 * storage engine. This header is also the contract with the transport: the
 * transport decodes QUERY/EXECUTE/BATCH/PREPARE bodies into qry_params /
 * qry_batch and encodes the qry_result it gets back; the query layer never
 * sees frames and the transport never sees statements.
 *
 * Prefix: qry_.
 */
#ifndef HL_QUERY_H
#define HL_QUERY_H

#include "core/core.h"
#include "types/types.h"

/* Consistency levels (protocol [consistency] values). */
enum {
	QRY_CL_ANY = 0x0000, QRY_CL_ONE = 0x0001, QRY_CL_TWO = 0x0002,
	QRY_CL_THREE = 0x0003, QRY_CL_QUORUM = 0x0004, QRY_CL_ALL = 0x0005,
	QRY_CL_LOCAL_QUORUM = 0x0006, QRY_CL_EACH_QUORUM = 0x0007,
	QRY_CL_SERIAL = 0x0008, QRY_CL_LOCAL_SERIAL = 0x0009,
	QRY_CL_LOCAL_ONE = 0x000A,
};

/* One bound value. len >= 0: bytes; QRY_NULL; QRY_UNSET (v4+ "not set"). */
#define QRY_NULL (-1)
#define QRY_UNSET (-2)
typedef struct qry_value {
	const char *name;          /* for named values (flag 0x40), else NULL */
	size_t name_len;
	const uint8_t *p;
	int32_t len;
} qry_value;

/* The [query_parameters] of QUERY / EXECUTE, and BATCH's trailer. */
typedef struct qry_params {
	int consistency;
	int serial_consistency;        /* 0 when absent */
	int nvalues;
	qry_value *values;
	bool named_values;
	bool skip_metadata;
	int32_t page_size;             /* <= 0: no paging */
	const uint8_t *paging_state;   /* NULL when absent */
	int32_t paging_state_len;
	bool has_timestamp;
	int64_t timestamp;             /* microseconds */
	const char *keyspace;          /* v5 keyspace flag; NULL when absent */
	size_t keyspace_len;
	bool has_now;
	int32_t now_in_seconds;        /* v5 now_in_seconds flag */
} qry_params;

/* A BATCH body. */
typedef struct qry_batch_stmt {
	bool prepared;                 /* kind 1: id; kind 0: query text */
	const char *query;             /* kind 0 */
	size_t query_len;
	const uint8_t *id;             /* kind 1 */
	size_t id_len;
	int nvalues;
	qry_value *values;
} qry_batch_stmt;

enum { QRY_BATCH_LOGGED = 0, QRY_BATCH_UNLOGGED = 1, QRY_BATCH_COUNTER = 2 };

typedef struct qry_batch {
	int type;
	int nstmts;
	qry_batch_stmt *stmts;
	qry_params params;             /* values unused; consistency, timestamp, keyspace... */
} qry_batch;

/* Column specification in result / bind metadata. */
typedef struct qry_colspec {
	const char *ks;
	const char *table;
	const char *name;
	const ty_type *type;
} qry_colspec;

typedef struct qry_metadata {
	int ncols;
	qry_colspec *cols;
	bool no_metadata;              /* ROWS: NO_METADATA flag (skip_metadata) */
	/* bind metadata only: partition key bind indexes */
	int npk;
	uint16_t pk_index[16];
} qry_metadata;

enum {
	QRY_RESULT_VOID = 0x0001,
	QRY_RESULT_ROWS = 0x0002,
	QRY_RESULT_SET_KEYSPACE = 0x0003,
	QRY_RESULT_PREPARED = 0x0004,
	QRY_RESULT_SCHEMA_CHANGE = 0x0005,
};

/*
 * A RESULT, built in the request arena. ROWS cells are already in wire form:
 * `rows` holds nrows * meta.ncols [bytes] values back to back.
 */
typedef struct qry_result {
	int kind;
	/* ROWS */
	qry_metadata meta;
	int32_t nrows;
	hl_buf rows;                   /* owned by the result: qry_result_free */
	const uint8_t *paging_state;   /* NULL: no more pages */
	int32_t paging_state_len;
	/* SET_KEYSPACE */
	const char *keyspace;
	/* PREPARED */
	uint8_t id[16];
	uint8_t result_metadata_id[16];
	qry_metadata bind_meta;
	qry_metadata result_meta;
	/* SCHEMA_CHANGE (also the body of a SCHEMA_CHANGE event) */
	const char *change_type;       /* CREATED / UPDATED / DROPPED */
	const char *target;            /* KEYSPACE / TABLE / TYPE / FUNCTION / AGGREGATE */
	const char *sc_keyspace;
	const char *sc_name;           /* NULL for KEYSPACE */
	int nargs;
	const char **arg_types;        /* FUNCTION / AGGREGATE */
	/* warnings (v4+ flag 0x08) */
	int nwarnings;
	const char *warnings[4];
} qry_result;

void qry_result_init(qry_result *r);
void qry_result_free(qry_result *r);

/* ------------------------------------------------------------ execution */

#include "schema/schema.h"
#include "storage/storage.h"
#include "system/system.h"
#include "commitlog/commitlog.h"

typedef struct qry_pcache qry_pcache;

/*
 * One shard's executor context. Owned and used by that shard's thread only;
 * the registry and node identity are the only things it shares (immutable
 * or internally synchronized).
 */
typedef struct qry_shard {
	int shard, nshards;
	sch_registry *reg;
	const sys_node *node;
	st_engine *engine;
	sch_cache cache;               /* this thread's view of the schema */
	uint64_t engine_epoch;         /* schema epoch the engine's tables match */
	sch_schema *engine_schema;     /* the snapshot whose types the engine borrows */
	qry_pcache *pcache;            /* prepared statements by id */
	int64_t last_ts;               /* last server-side write timestamp handed out */
	int64_t last_append, last_prepend;   /* list element time-UUIDs (100 ns ticks) */
	cl_log *log;                   /* this shard's commit log (NULL: none) */
	bool wait_durable;             /* batch/group sync: ack writes once fsynced */
	const char *batchlog_dir;      /* logged multi-partition batches (NULL: none) */
	uint64_t batchlog_seq;
	const struct cfg_guardrails *guard;  /* the node's guardrails (NULL: Cassandra's defaults) */
	struct q_ixset *ix;            /* secondary index structures (query/index.c) */
	hl_arena *spare[8];            /* reset op arenas for reuse (exec.c) */
	int nspare;
	hl_buf spare_rows[32];         /* result rows buffers kept for later requests (exec.c) */
	int nspare_rows;
	/* check_cl's last answer: the replication of keyspace cl_ks in the
	 * schema of epoch cl_epoch (cl_ks NULL: none yet) */
	char *cl_ks;
	uint64_t cl_epoch;
	int cl_rc, cl_local, cl_total, cl_ndcs;
} qry_shard;

/*
 * Batchlog (batchlog.c): a LOGGED batch spanning partitions is written as
 * one entry file in batchlog_dir before any part is applied, and removed
 * once every part is. Start-up replays what is left, after the commit log.
 * Entry codec (docs/formats.md): decode is bounds-checked and CRC-checked.
 */
void qry_batchlog_encode(hl_buf *out, const hl_uuid *id, int n, const hl_uuid *tables,
			 const st_mutation *const *muts);
int qry_batchlog_decode(const uint8_t *p, size_t n, hl_arena *a, hl_uuid *id, int *nmut,
			hl_uuid **tables, st_mutation ***muts, hl_err *err);
typedef int (*qry_batchlog_apply_fn)(void *ctx, const hl_uuid *table, const st_mutation *m,
				     hl_err *err);
/* Apply every mutation of every entry in dir (unreadable entries are renamed
 * *.bad and skipped); *nentries counts the entries replayed. */
int qry_batchlog_replay(const char *dir, qry_batchlog_apply_fn fn, void *ctx, int *nentries,
			hl_err *err);
/* Remove every entry (once what replay applied is durable). */
int qry_batchlog_clear(const char *dir, hl_err *err);

struct cfg_guardrails;

/* engine: the shard's storage engine (taken over), or NULL for a new one. */
int qry_shard_init(qry_shard *sh, int shard, int nshards, sch_registry *reg,
		   const sys_node *node, st_engine *engine, hl_err *err);
void qry_shard_destroy(qry_shard *sh);
/* Bring the shard's storage tables in line with the current schema. */
int qry_shard_sync(qry_shard *sh, hl_err *err);

/* The shard owning a token: the ring split into nshards contiguous ranges. */
int qry_shard_of_token(int64_t token, int nshards);
/* The tokens a shard owns, both ends inclusive. */
void qry_shard_range(int shard, int nshards, int64_t *start, int64_t *end);

/*
 * Storage work the executor needs done on some shard. The executor is sans-IO
 * like the transport: it returns QRY_PENDING with a list of ops, the server
 * runs each op with qry_op_run on the op's shard (directly when it is the
 * current one, through the inter-shard queue otherwise), then calls
 * qry_exec_resume once all of them completed.
 */
enum { QRY_OP_READ = 1, QRY_OP_WRITE = 2, QRY_OP_TRUNCATE = 3, QRY_OP_CAS = 4, QRY_OP_CASB = 5 };

typedef struct qry_op {
	int kind;
	int shard;
	st_engine *local;              /* non-NULL: a private engine, run inline */
	hl_uuid table;
	st_read_cmd cmd;               /* READ */
	hl_arena *arena;               /* READ: results allocated here */
	st_result res;
	st_mutation *mut;              /* WRITE */
	bool durable;                  /* WRITE: goes through the commit log */
	bool wait;                     /* WRITE: logged, applied once pos is durable */
	bool applied_early;            /* CAS: already in the memtable while it waits */
	cl_pos pos;
	void *cas;                     /* CAS: the conditions and their answer (query-private) */
	void *view;                    /* base write with materialized views to keep (query-private) */
	int64_t at_ms;                 /* TRUNCATE: the time naming its auto snapshot */
	void *ix;                      /* READ: through this index (query-private) */
	int status;                    /* 0 or -1 with err */
	hl_err err;
} qry_op;

/*
 * Run op on the shard that owns it (that shard's thread). A WRITE is
 * appended to the commit log first; when the shard waits for durability
 * (batch/group sync) it comes back with op->wait set and op->pos: the
 * caller parks it until the log is durable up to pos, then calls
 * qry_op_apply (or fails it if the log failed).
 */
void qry_op_run(qry_shard *target, qry_op *op);
void qry_op_apply(qry_shard *target, qry_op *op);

enum { QRY_DONE = 0, QRY_PENDING = 1 };

typedef struct qry_exec qry_exec;

/*
 * A request in flight. The arena is the request's; the exec lives in it.
 * keyspace is the connection's current keyspace (NULL: none).
 */
qry_exec *qry_exec_new(qry_shard *sh, hl_arena *a, int proto_version, const char *keyspace);
int qry_exec_query(qry_exec *x, const char *text, size_t len, const qry_params *p);
int qry_exec_prepare(qry_exec *x, const char *text, size_t len, const char *ks, size_t kslen);
int qry_exec_execute(qry_exec *x, const uint8_t *id, size_t idlen, const qry_params *p);
int qry_exec_batch(qry_exec *x, const qry_batch *b);
int qry_exec_resume(qry_exec *x);
/* After QRY_PENDING: the ops to run. */
int qry_exec_ops(qry_exec *x, qry_op ***ops);
/* After QRY_DONE: the result, or NULL and the error. */
qry_result *qry_exec_result(qry_exec *x);
const hl_err *qry_exec_error(qry_exec *x);
/* Release what the exec holds beyond its arena (schema refs, op arenas, result). */
void qry_exec_free(qry_exec *x);

/* A statement prepared on another shard: cache its text under its id. */
void qry_pcache_put_text(qry_shard *sh, const uint8_t id[16], const char *text, size_t len,
			 const char *ks);
/* Cassandra's prepared id: MD5 of (keyspace + query) or of the query alone. */
void qry_prepared_id(const char *ks, const char *text, size_t len, uint8_t out[16]);

#endif
