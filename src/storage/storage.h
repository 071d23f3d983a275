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
} st_col;

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
} st_table_layout;

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
	/* A limit (rows or partitions) stopped the read: there may be more. */
	bool more;
} st_result;

/* The cell of a simple column in a returned row / static list (NULL: null). */
const st_rcell *st_rcell_find(const st_rcell *cells, int n, int col);

/* ------------------------------------------------------------ engine */

st_engine *st_engine_new(void);
void st_engine_free(st_engine *e);

int st_create_table(st_engine *e, const st_table_layout *layout, hl_err *err);
/* New layout for an existing table (same id and clustering columns). */
int st_alter_table(st_engine *e, const st_table_layout *layout, hl_err *err);
int st_drop_table(st_engine *e, const hl_uuid *table, hl_err *err);
int st_truncate(st_engine *e, const hl_uuid *table, hl_err *err);
bool st_has_table(const st_engine *e, const hl_uuid *table);

typedef struct st_table_stats {
	size_t memory;                 /* bytes held by the table's memtable */
	int64_t partitions;
	int64_t rows;
} st_table_stats;
int st_table_stats_get(const st_engine *e, const hl_uuid *table, st_table_stats *out,
		       hl_err *err);

/* Merge one partition's mutation. Validated first: nothing is applied on error. */
int st_apply(st_engine *e, const hl_uuid *table, const st_mutation *m, hl_err *err);

/*
 * Run a read. The result and everything it points to are allocated in `out`
 * (the caller's arena; may belong to the thread waiting for the answer: only
 * this thread allocates from it while st_read runs). *res is overwritten.
 */
int st_read(st_engine *e, const hl_uuid *table, const st_read_cmd *cmd, hl_arena *out,
	    st_result *res, hl_err *err);

#endif
