/*
 * storage: the storage engine interface. One engine instance per shard
 * thread, used only by that thread (shared-nothing, no locks). Layers above
 * (the query executor, later the coordinator and internode messaging) build
 * mutations and read commands and consume read results through this header
 * only; what sits behind it (today an in-memory memtable, later commit log +
 * memtables + SSTables + compaction) is private to the module.
 *
 * Data model (Cassandra's): table -> partitions ordered by (token, key bytes)
 * -> rows ordered by clustering -> cells. Values are serialized bytes in
 * protocol form. Conflicts resolve exactly as Cassandra 5.0: timestamps,
 * then the tie rules of Cells.reconcile / LivenessInfo.supersedes /
 * DeletionTime.supersedes. Deletions are tombstones that shadow anything
 * with a timestamp <= theirs, whenever that data arrives.
 *
 * Units: timestamps are microseconds (write timestamps as CQL's USING
 * TIMESTAMP); local deletion / expiration times and `now` are seconds since
 * the epoch; TTLs are seconds.
 *
 * Durability (see docs/storage.md): an engine created with st_engine_new_opts
 * and a data directory keeps each table's data in an active memtable, the
 * memtables being flushed, and SSTables (Cassandra's big format, in
 * <data_dir>/<keyspace>/<table>-<id as 32 hex>/). Reads merge all of them.
 * Flushes and compactions run on the engine's own helper threads; their
 * results are published on the shard thread by st_poll.
 *
 * Prefix: st_.
 */
#ifndef HL_STORAGE_H
#define HL_STORAGE_H

#include "core/core.h"
#include "types/types.h"

/* "No timestamp": an absent row marker / deletion (Cassandra's Long.MIN_VALUE). */
#define ST_NO_TS INT64_MIN
/* "No local deletion time": a live, non-expiring cell (Cassandra 5.0's Long.MAX_VALUE). */
#define ST_NO_LDT INT64_MAX

typedef struct st_engine st_engine;

/* A byte string (serialized value, clustering component, cell path). */
typedef struct st_bytes {
	const uint8_t *p;
	uint32_t len;
} st_bytes;

/* ------------------------------------------------------------ table layout */

/* One clustering column: its type (for ty_compare) and whether it is DESC. */
typedef struct st_clust_col {
	const ty_type *type;
	bool reversed;
	const char *name;              /* optional (SSTable tools); may be NULL */
} st_clust_col;

/*
 * One regular or static column, addressed by its index in st_table_layout.cols.
 * Indexes are chosen by the caller and must stay stable across ALTERs: a new
 * column gets a new index; a dropped one keeps its slot with `dropped` set.
 */
typedef struct st_col {
	bool is_static;
	/* Non-frozen collection: its cells carry a path (the serialized element
	 * key). path_type orders the paths (map key / set element type, timeuuid
	 * for lists); NULL orders them as unsigned bytes. */
	bool complex;
	const ty_type *path_type;
	/* The column is currently not part of the table: never returned, never
	 * makes a row live. */
	bool dropped;
	/* As Cassandra's dropped_columns: cells with timestamp <= dropped_at are
	 * ignored even if the column was re-added later. */
	bool has_dropped_at;
	int64_t dropped_at;
	/* Name and CQL type. Needed only by durable tables: SSTable columns are
	 * matched by name (and static-ness) when files are opened or imported,
	 * and new SSTables record them in their header. A column without a name
	 * is never read from or written to SSTables. Borrowed like the types. */
	const char *name;
	const ty_type *type;
} st_col;

/*
 * A table's compaction strategy (the CQL compaction map; see
 * st_compaction_parse). Zero: size-tiered with the engine's thresholds.
 */
typedef enum st_compaction_kind {
	ST_COMPACTION_STCS = 0,
	ST_COMPACTION_LCS,
	ST_COMPACTION_TWCS,
} st_compaction_kind;

typedef struct st_compaction {
	st_compaction_kind kind;
	/* 'enabled': 'false' -- only st_compact runs. */
	bool disabled;
	/* STCS (and TWCS's newest window, LCS's L0): 0 = the engine's. */
	int min_threshold, max_threshold;
	/* LCS: sstable_size_in_mb (0: 160) and fanout_size (0: 10). */
	uint64_t sstable_size;         /* bytes */
	int fanout;
	/* TWCS: compaction_window_unit x compaction_window_size, seconds
	 * (0: 1 day). */
	int64_t window_seconds;
} st_compaction;

/*
 * Fill *out from the compaction map's entries (class as the short or full
 * Cassandra name, then the strategy's options as strings). Unknown keys
 * are ignored; malformed values keep the default. Never fails.
 */
void st_compaction_parse(int n, const char *const *keys, const char *const *values,
			 st_compaction *out);

/*
 * A table's layout. The engine copies the arrays; the ty_type pointers are
 * borrowed and must stay valid until the table is dropped or the next
 * st_alter_table hands in new ones.
 */
typedef struct st_table_layout {
	hl_uuid id;
	int nclust;
	const st_clust_col *clust;
	int ncols;
	const st_col *cols;
	/* Durable tables only (an engine with a data_dir, and both names set):
	 * the directory is <data_dir>/<keyspace>/<table>-<id hex>/. Without
	 * names the table stays memory-only even in a durable engine (system
	 * tables, tests). Names are copied; they cannot change on ALTER. */
	const char *keyspace;
	const char *table;
	/* Partition key component types, in key order (the SSTable header's key
	 * type: one type, or a CompositeType of several). Borrowed. */
	int npk;
	const ty_type *const *pk_types;
	/* gc_grace_seconds: compaction purges tombstones older than this.
	 * !has_gc_grace: Cassandra's default, 864000 (10 days). */
	bool has_gc_grace;
	int64_t gc_grace_seconds;
	/* Compaction strategy; may change on ALTER. */
	st_compaction compaction;
	/* allow_auto_snapshot = false: no snapshot before TRUNCATE / DROP. */
	bool no_auto_snapshot;
	/* New SSTables: the table's compression and bloom_filter_fp_chance
	 * options. compressor is ST_COMPRESS_*; chunk_length 0 = 16 KiB;
	 * bloom_fp_chance 0 = 0.01. */
	int compressor;
	uint32_t chunk_length;
	double bloom_fp_chance;
} st_table_layout;

enum { ST_COMPRESS_LZ4 = 0, ST_COMPRESS_NONE, ST_COMPRESS_SNAPPY, ST_COMPRESS_DEFLATE,
       ST_COMPRESS_ZSTD };

/* ------------------------------------------------------------ mutations */

/* A deletion (Cassandra's DeletionTime). ts == ST_NO_TS: none. */
typedef struct st_deletion {
	int64_t ts;
	int64_t ldt;            /* local deletion time, seconds */
} st_deletion;

/* The primary-key liveness / row marker (Cassandra's LivenessInfo).
 * ts == ST_NO_TS: none (UPDATE-created row). ttl == 0: not expiring. */
typedef struct st_liveness {
	int64_t ts;
	int32_t ttl;
	int64_t expire;         /* local expiration time, seconds (ttl > 0) */
} st_liveness;

/*
 * A cell, encoded as Cassandra encodes it:
 *   live:      ttl == 0, ldt == ST_NO_LDT
 *   expiring:  ttl > 0,  ldt == local expiration time
 *   tombstone: ttl == 0, ldt == local deletion time (value empty)
 */
typedef struct st_cell {
	int col;
	const uint8_t *path;    /* complex columns only; NULL otherwise */
	uint32_t path_len;
	int64_t ts;
	int32_t ttl;
	int64_t ldt;
	const uint8_t *value;
	uint32_t len;
	struct st_cell *next;
} st_cell;

static inline bool st_cell_is_tombstone(const st_cell *c)
{
	return c->ttl == 0 && c->ldt != ST_NO_LDT;
}

/* A whole-collection deletion (the tombstone "SET m = {...}" writes first). */
typedef struct st_complex_del {
	int col;
	st_deletion del;
	struct st_complex_del *next;
} st_complex_del;

/* One row of a mutation (or the static row: clust == NULL). */
typedef struct st_mrow {
	hl_arena *arena;               /* the mutation's, for the st_row_* calls */
	int nclust;
	const st_bytes *clust;
	st_liveness marker;
	st_deletion del;
	st_cell *cells, *cells_tail;
	int ncells;
	st_complex_del *cdels;
	struct st_mrow *next;
} st_mrow;

/*
 * A clustering prefix used as a slice or range-tombstone bound. n == 0 is
 * the unbounded side (then keep inclusive = true). An inclusive start / end
 * bound includes every row whose first n components equal vals; an
 * exclusive one excludes them (Cassandra's ClusteringBound kinds).
 */
typedef struct st_bound {
	int n;
	const st_bytes *vals;
	bool inclusive;
} st_bound;

typedef struct st_range_tomb {
	st_bound start, end;
	st_deletion del;
	struct st_range_tomb *next;
} st_range_tomb;

/* All changes to one partition. Built with the st_mut_* calls below; the
 * fields are public so the commit log / messaging can walk them. */
typedef struct st_mutation {
	hl_arena *arena;
	const uint8_t *key;
	uint32_t keylen;
	int64_t token;
	st_deletion pdel;              /* partition deletion */
	st_mrow *static_row;           /* NULL: no static changes */
	st_mrow *rows, *rows_tail;
	int nrows;
	st_range_tomb *rts, *rts_tail;
	int nrts;
} st_mutation;

/*
 * Builder. Everything is allocated in (and the key, clustering values, cell
 * values and paths are copied into) the given arena, so the caller's
 * buffers may be reused at once. Shape errors (wrong clustering count,
 * static cell on a regular column, ...) are reported by st_apply.
 */
st_mutation *st_mut_new(hl_arena *a, const void *key, size_t keylen, int64_t token);
void st_mut_delete_partition(st_mutation *m, int64_t ts, int64_t ldt);
/* A row with n clustering values (n must equal the table's clustering count;
 * 0 for tables without clustering columns). Calling it twice with the same
 * clustering is allowed: both merge on apply. */
st_mrow *st_mut_row(st_mutation *m, int n, const st_bytes *clust);
/* The static row (created on first call). */
st_mrow *st_mut_static(st_mutation *m);
void st_mut_range_tombstone(st_mutation *m, const st_bound *start, const st_bound *end,
			    int64_t ts, int64_t ldt);
/* Shorthands for cells of the static row. */
void st_mut_static_cell(st_mutation *m, int col, int64_t ts, int32_t ttl, int64_t expire,
			const void *v, size_t n);
void st_mut_static_tombstone(st_mutation *m, int col, int64_t ts, int64_t ldt);

/* Row marker (INSERT writes it, UPDATE does not). ttl 0: none. */
void st_row_marker(st_mrow *r, int64_t ts, int32_t ttl, int64_t expire);
void st_row_delete(st_mrow *r, int64_t ts, int64_t ldt);
/* A live cell; ttl > 0 makes it expiring at `expire` (seconds). */
void st_row_cell(st_mrow *r, int col, int64_t ts, int32_t ttl, int64_t expire,
		 const void *v, size_t n);
void st_row_tombstone(st_mrow *r, int col, int64_t ts, int64_t ldt);
/* Collection element cells (complex columns) and whole-collection deletion. */
void st_row_cell_path(st_mrow *r, int col, const void *path, size_t plen, int64_t ts,
		      int32_t ttl, int64_t expire, const void *v, size_t n);
void st_row_tombstone_path(st_mrow *r, int col, const void *path, size_t plen, int64_t ts,
			   int64_t ldt);
void st_row_complex_delete(st_mrow *r, int col, int64_t ts, int64_t ldt);

/* ------------------------------------------------------------ reads */

enum { ST_READ_PARTITION = 0, ST_READ_RANGE = 1 };

/* [start, end] in clustering order (not reversed by `reversed`). */
typedef struct st_slice {
	st_bound start, end;
} st_slice;

typedef struct st_read_cmd {
	int kind;
	/* ST_READ_PARTITION */
	const uint8_t *key;
	uint32_t keylen;
	int64_t token;
	/* ST_READ_RANGE: tokens from start_token to end_token, each end inclusive
	 * or not. It never wraps: the caller splits a wrapping range. */
	int64_t start_token, end_token;
	bool start_inclusive, end_inclusive;
	/* ST_READ_RANGE paging: begin at partition (from_token, from_key),
	 * skipping it when !from_inclusive. */
	bool has_from;
	int64_t from_token;
	const uint8_t *from_key;
	uint32_t from_keylen;
	bool from_inclusive;
	/* Paging inside the first partition (the single partition, or the range
	 * read's from partition when from_inclusive): only rows strictly after
	 * this clustering in iteration order (before it when reversed).
	 * nclust values; NULL: none. */
	const st_bytes *after_clust;
	/* Clustering filter: !has_slices = all rows. Slices are in clustering
	 * order, sorted and non-overlapping (as Cassandra's Slices); nslices == 0
	 * with has_slices selects no rows (static data only). */
	bool has_slices;
	int nslices;
	const st_slice *slices;
	bool reversed;                 /* ORDER BY opposite to the clustering order */
	/* Columns to return (regular and static), ascending or not; NULL: all.
	 * Row liveness always considers every column, as Cassandra fetches all. */
	int ncols;
	const int *cols;
	int64_t now;                   /* seconds: TTL expiry */
	/* Limits; 0 = none. */
	int64_t limit_rows;
	int64_t limit_per_partition;
	int64_t limit_partitions;
	/* Count a partition that has live static cells but no live row in the
	 * query as one row (set it when the caller will return such a partition
	 * as a static-only row: no clustering restrictions, as Cassandra). */
	bool count_static_only;
	/* > 0: fail the read with READ_FAILURE once more tombstones than this are
	 * scanned (tombstone_failure_threshold). */
	int64_t tombstone_fail;
} st_read_cmd;

/* Fill the common defaults: all rows, all columns, token range = everything. */
void st_read_init(st_read_cmd *c);

/* A live cell returned by a read. */
typedef struct st_rcell {
	int col;
	const uint8_t *path;           /* complex columns; NULL otherwise */
	uint32_t path_len;
	const uint8_t *value;
	uint32_t len;
	int64_t ts;                    /* WRITETIME */
	int32_t ttl;                   /* 0: none */
	int64_t expire;                /* ttl > 0: expiration (TTL() = expire - now) */
} st_rcell;

typedef struct st_rrow {
	const st_bytes *clust;         /* nclust values */
	int ncells;
	const st_rcell *cells;         /* selected live cells, by (col, path) */
	struct st_rrow *next;
} st_rrow;

typedef struct st_rpart {
	const uint8_t *key;
	uint32_t keylen;
	int64_t token;
	int nstatic;
	const st_rcell *statics;       /* selected live static cells */
	/* Live static data (any static column) but no live row was returned, and
	 * the read did not resume inside this partition: Cassandra shows such a
	 * partition as one row when there is no clustering restriction. */
	bool static_only;
	int nrows;
	st_rrow *rows, *rows_tail;     /* live rows in the requested order */
	struct st_rpart *next;
} st_rpart;

typedef struct st_result {
	int nparts;
	st_rpart *parts, *parts_tail;
	int64_t nrows;                 /* rows counted against limit_rows */
	int64_t tombstones;            /* tombstones scanned */
	int64_t sstables;              /* partition reads: SSTables that held the partition */
	/* A limit (rows or partitions) stopped the read: there may be more. */
	bool more;
} st_result;

/* The cell of a simple column in a returned row / static list (NULL: null). */
const st_rcell *st_rcell_find(const st_rcell *cells, int n, int col);

/* ------------------------------------------------------------ engine */

/* A commit log position as the commit log module defines it (cl_pos):
 * segment id, then byte offset. The engine only stores and returns it. */
typedef struct st_log_pos {
	uint64_t segment;
	uint32_t offset;
} st_log_pos;

/*
 * Called on the shard thread at the moment a memtable is frozen for flush.
 * It must return a position P such that every mutation appended to the
 * commit log at or before P has already been st_apply'd to this engine
 * (with periodic sync: cl_current_pos; with writes parked until fsync, the
 * position just before the oldest parked write). The flush of that
 * memtable then covers the log up to P.
 */
typedef st_log_pos (*st_log_pos_fn)(void *ctx, const hl_uuid *table);
/* Called on the shard thread from st_poll once a table's memtables frozen
 * at or before `upto` are in SSTables: the caller may cl_discard(table,
 * upto). Reported in freeze order per table. */
typedef void (*st_flushed_fn)(void *ctx, const hl_uuid *table, st_log_pos upto);
/* Called on a helper thread (no engine lock held) when st_poll has work:
 * typically posts a message to the shard's loop, which then calls st_poll.
 * It must not call into the engine. */
typedef void (*st_notify_fn)(void *ctx);

typedef struct st_engine_opts {
	/* NULL: memory only (the behaviour of st_engine_new). */
	const char *data_dir;
	/* This engine's shard and the shard count: SSTable generations are
	 * chosen as counter * nshards + shard + 1, so shards writing the same
	 * table directory never collide. 0/0 means shard 0 of 1. */
	int shard, nshards;
	/* Tokens this engine serves (both ends inclusive). SSTables may hold
	 * other shards' partitions (an import links the same files on every
	 * shard); reads, flushes and compactions ignore partitions outside.
	 * !has_range: every token. */
	bool has_range;
	int64_t own_start, own_end;
	/* Memtable memory (bytes) for all tables of this engine: when the
	 * active memtables exceed half of it, the largest is flushed.
	 * 0: physical RAM / 4 / nshards. */
	size_t memtable_space;
	/* Size-tiered compaction (min_threshold / max_threshold, Cassandra's
	 * defaults 4 / 32 when 0); no_auto_compaction: only st_compact. */
	int compaction_min, compaction_max;
	bool no_auto_compaction;
	/* cassandra.yaml auto_snapshot (default true): snapshot a table before
	 * TRUNCATE and DROP. */
	bool no_auto_snapshot;
	/* cassandra.yaml incremental_backups (default false): every SSTable a
	 * flush writes is also hard-linked into <table dir>/backups/. */
	bool incremental_backups;
	/* cassandra.yaml compaction_throughput in bytes per second;
	 * !has_compaction_throughput: 64 MiB/s; 0: unthrottled. */
	bool has_compaction_throughput;
	uint64_t compaction_throughput;
	/* The node's host id, recorded in new SSTables (Statistics.db, and as
	 * the counter id of counter cells). */
	bool has_host_id;
	hl_uuid host_id;
	/* Large partitions written by flush/compaction are logged as Cassandra
	 * does: above large_partition_bytes (compaction_large_partition_warning_
	 * threshold; 0: off), and above the partition_size guardrail's
	 * warn/fail (<= 0: off). */
	uint64_t large_partition_bytes;
	int64_t partition_size_warn, partition_size_fail;
	/* Callbacks (all optional) and their context. */
	st_log_pos_fn log_pos;
	st_flushed_fn on_flushed;
	st_notify_fn notify;
	void *ctx;
} st_engine_opts;

st_engine *st_engine_new(void);
/* A durable engine when opts->data_dir is set. Never fails (the data
 * directory is created when the first durable table is). */
st_engine *st_engine_new_opts(const st_engine_opts *opts);
/* Stops the helper threads: a running flush or compaction is finished
 * (its output stays on disk; a flush not yet published is replayed from
 * the commit log on restart), queued ones are abandoned. Blocks. */
void st_engine_free(st_engine *e);

/*
 * Publish finished background work (new SSTables from flushes and
 * compactions, deletion of compacted inputs), run the on_flushed callbacks
 * and start the next queued jobs. Shard thread only; never blocks on I/O
 * other than unlinking compacted files. Returns the number of jobs
 * published.
 */
int st_poll(st_engine *e);
/* Block until no flush or compaction is queued or running, publishing as
 * st_poll does (tests, shutdown, nodetool flush -- not for a serving loop). */
void st_wait_idle(st_engine *e);

int st_create_table(st_engine *e, const st_table_layout *layout, hl_err *err);
/* New layout for an existing table (same id and clustering columns). */
int st_alter_table(st_engine *e, const st_table_layout *layout, hl_err *err);
int st_drop_table(st_engine *e, const hl_uuid *table, hl_err *err);
int st_truncate(st_engine *e, const hl_uuid *table, hl_err *err);
/* st_truncate naming its auto snapshot truncated-<at_ms>-<table>: every
 * shard of one TRUNCATE must pass the same at_ms (milliseconds since the
 * epoch) so their files land in one snapshot. st_truncate uses now. */
int st_truncate_at(st_engine *e, const hl_uuid *table, int64_t at_ms, hl_err *err);
bool st_has_table(const st_engine *e, const hl_uuid *table);

/*
 * Durable tables:
 * - st_create_table opens the SSTables already in the table directory that
 *   belong to this shard (by generation, see st_engine_opts), so data
 *   survives restarts; unreadable ones are skipped with a warning.
 * - st_drop_table deletes this shard's SSTable files; st_truncate deletes
 *   them too and discards memtables (a flush still running is discarded
 *   when it ends). st_engine_free keeps everything on disk.
 * These open / unlink files on the calling thread.
 */

/*
 * Cassandra's nodetool import: every SSTable in src_dir (components
 * <v>-<gen>-big-<Component>) is first opened and checked against the table
 * (columns by name and kind, clustering types and order, Murmur3
 * partitioner); if any fails, nothing is imported. Then each one's
 * components are hard-linked (copied when src_dir is on another
 * filesystem) into the table directory under a fresh generation of this
 * shard, TOC.txt last, and opened; reads see them at once. Source files are
 * left in place.
 * Called once per shard with the same src_dir: each shard links its own
 * copy (hard links cost no space) and serves only its token range from it,
 * so no shard depends on another's files. *nimported (optional) receives
 * the number of SSTables imported. Blocks on disk.
 */
int st_import(st_engine *e, const hl_uuid *table, const char *src_dir, int *nimported,
	      hl_err *err);

/* Freeze the table's memtable (if not empty) and flush it in the background. */
int st_flush(st_engine *e, const hl_uuid *table, hl_err *err);
/* st_flush on every durable table with data in memory. */
int st_flush_all(st_engine *e, hl_err *err);
/* Major compaction: all of this shard's SSTables of the table into one,
 * in the background (published by st_poll). */
int st_compact(st_engine *e, const hl_uuid *table, hl_err *err);

/* ------------------------------------------------------------ snapshots */

/*
 * Snapshots (nodetool snapshot; Cassandra's layout): hard links of this
 * shard's live SSTable components in <table dir>/snapshots/<tag>/, plus
 * manifest.json ({"files": [<Data.db names>], "created_at", "expires_at",
 * "ephemeral"}) and, when schema_cql is given, schema.cql.
 * Memtables: st_snapshot freezes the active memtable itself; the SSTables
 * of it and of memtables already being flushed are linked into the
 * snapshot when their flush is published (st_poll), and manifest.json is
 * rewritten each time. So the snapshot is complete once the engine is idle
 * (st_wait_idle, or nodetool's wait-for-flush loop). Every shard of a node
 * snapshots with the same tag into the same directory; each links only its
 * own files (an imported SSTable, linked once per shard, appears once per
 * shard under different generations).
 * table NULL: every durable table (schema_cql is then ignored).
 * An existing snapshot directory of that tag is added to, not refused: the
 * shards of one snapshot share it. Cassandra's "Snapshot <tag> already
 * exists" check belongs to the caller (st_list_snapshots, before the
 * shards run). The tag must be a plain file name.
 */
int st_snapshot(st_engine *e, const hl_uuid *table, const char *tag, const char *schema_cql,
		hl_err *err);

/* One snapshot of one table, as nodetool listsnapshots shows it. */
typedef struct st_snapshot_info {
	const char *tag;
	const char *keyspace;
	const char *table;
	uint64_t true_size;            /* bytes held only by the snapshot */
	uint64_t size_on_disk;         /* bytes of all its files */
	int64_t created_ms;            /* directory mtime (ms) */
} st_snapshot_info;
typedef void (*st_snapshot_fn)(void *ctx, const st_snapshot_info *info);

/*
 * Every snapshot under the data directory (all keyspaces and tables,
 * including dropped tables whose directory remains). The directories are
 * shared by all shards: call it once, with any shard's engine. This and
 * st_clear_snapshot read nothing of the engine but its data_dir option,
 * so they may run on any thread (the admin thread). Returns the count.
 */
int st_list_snapshots(st_engine *e, st_snapshot_fn fn, void *ctx);
/*
 * Delete snapshots: tag NULL = all; keyspace NULL = every keyspace.
 * Shared directories: call once (any thread, see above). *ncleared
 * (optional) = snapshot directories removed.
 */
int st_clear_snapshot(st_engine *e, const char *tag, const char *keyspace, int *ncleared,
		      hl_err *err);

/*
 * nodetool refresh: load SSTables an operator put into the table directory
 * under any version / generation names. Files cannot be claimed by two
 * shards and each shard must serve its token range of every new file, so
 * it runs in rounds over all shards:
 *   1. st_refresh_stage on every shard: each moves the complete (TOC.txt
 *      present) SSTables of the table directory that it is responsible
 *      for and does not serve into <table dir>/upload/ -- a shard is
 *      responsible for the numeric generations it would own
 *      ((gen - 1) % nshards == shard) and for a hash share of the others
 *      (Cassandra 4.1's time-based ids), so each file moves exactly once;
 *   2. st_refresh on every shard: st_import from upload/ (validation, a
 *      link under a fresh generation of the shard, own token range only);
 *   3. st_refresh_finish on one shard: removes the staged files.
 * With one shard st_refresh does all three. *nloaded: SSTables loaded.
 */
int st_refresh_stage(st_engine *e, const hl_uuid *table, int *nstaged, hl_err *err);
int st_refresh(st_engine *e, const hl_uuid *table, int *nloaded, hl_err *err);
int st_refresh_finish(st_engine *e, const hl_uuid *table, hl_err *err);

/* ------------------------------------------------------------ compaction */

/* nodetool setcompactionthroughput (MiB/s; 0 = unthrottled). Takes effect
 * on the running compaction too. */
void st_set_compaction_throughput(st_engine *e, double mib_per_s);
/* Bytes per second; 0 = unthrottled. */
uint64_t st_get_compaction_throughput(const st_engine *e);

/* nodetool compactionstats for this shard. */
typedef struct st_compaction_stats {
	int64_t pending;               /* compactions queued or running */
	int64_t active;                /* running (0 or 1) */
	uint64_t active_done;          /* bytes read by the running one (estimate) */
	uint64_t active_total;         /* its input bytes */
	int64_t completed;             /* compactions finished since start */
	uint64_t bytes_in;             /* input bytes of the finished ones */
	uint64_t bytes_out;            /* output bytes of the finished ones */
	int64_t flushes;               /* flushes finished since start */
	/* The jobs running now (system_views.sstable_tasks): at most one
	 * compaction and one flush per shard. */
	int ntasks;
	struct st_task {
		hl_uuid table;         /* the table the job works for */
		hl_uuid task_id;       /* a timeuuid given when the job started */
		const char *kind;      /* "compaction" / "flush" (static strings) */
		const char *unit;      /* "bytes" (compaction input) / "keys" (partitions flushed) */
		uint64_t done, total;
		int32_t sstables;      /* input SSTables (a flush: 0) */
	} tasks[2];
} st_compaction_stats;
/* Shard thread (it also counts major compactions waiting for a running one). */
void st_compaction_stats_get(st_engine *e, st_compaction_stats *out);

typedef struct st_table_stats {
	size_t memory;                 /* bytes held by the table's memtables */
	int64_t partitions;            /* in the active memtable */
	int64_t rows;                  /* in the active memtable */
	int64_t memtables_flushing;
	int64_t sstables;
	uint64_t disk_bytes;           /* Data.db bytes of the SSTables */
	int64_t sstables_in_level[8];  /* LCS: per level (the last sums the rest) */
	/* Reads since the table was opened: SSTable partitions decoded (whole,
	 * or the slices a point read needs), and SSTables a read left out
	 * (token range outside the read, bloom filter, or older than a
	 * partition deletion already found). */
	int64_t sst_partitions_read;
	int64_t sst_skipped;
	/* Key caches of the current SSTables (lookups by partition key). */
	int64_t key_cache_hits, key_cache_misses;
	int64_t key_cache_entries, key_cache_capacity;
	/* Promoted-index blocks of wide partitions that partition reads with
	 * slices decoded / did not need (current SSTables). */
	int64_t index_blocks_read, index_blocks_skipped;
} st_table_stats;
int st_table_stats_get(const st_engine *e, const hl_uuid *table, st_table_stats *out,
		       hl_err *err);

/* Merge one partition's mutation. Validated first: nothing is applied on error. */
int st_apply(st_engine *e, const hl_uuid *table, const st_mutation *m, hl_err *err);

/* A hint that a write or read of token is coming: start loading the
 * active memtable's hash slot for it into the cache (no effect on results;
 * an unknown table is ignored). Call it on the engine's own thread, a few
 * thousand instructions ahead (e.g. before the commit log append). */
void st_prefetch(const st_engine *e, const hl_uuid *table, int64_t token);

/*
 * Run a read. On a durable table it merges the memtables and the SSTables
 * that may hold the data, and reads those files with pread on the calling
 * thread (page-cache reads in practice; there is no async read path yet).
 * A partition read skips SSTables by token span, bloom filter and (once a
 * partition deletion is found) max timestamp, finds the partition through
 * the key cache or the index, and with clustering slices or a paging
 * position decodes only the promoted-index blocks it needs. A range read
 * skips SSTables whose token span misses the range and positions each
 * other one through its index (or continues where the previous page
 * stopped), decoding only the partitions it consumes.
 * The result and everything it points to are allocated in `out`
 * (the caller's arena; may belong to the thread waiting for the answer: only
 * this thread allocates from it while st_read runs). *res is overwritten.
 */
int st_read(st_engine *e, const hl_uuid *table, const st_read_cmd *cmd, hl_arena *out,
	    st_result *res, hl_err *err);

#endif
