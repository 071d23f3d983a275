/*
 * storage/st_int.h: private to the storage module. The skip list that
 * indexes partitions and rows, the memtable's partition/row/cell records,
 * the table record and the clustering comparators. Only the storage .c files
 * include it.
 */
#ifndef HL_ST_INT_H
#define HL_ST_INT_H

#include "storage/storage.h"
#include "sstable/sstable.h"

#include <pthread.h>

/* ------------------------------------------------------------ skip list */

/*
 * Ordered index of opaque items, nodes in an arena (never removed: the
 * memtable only grows until flushed or truncated). Level 0 is doubly
 * linked so readers can walk backwards (reversed clustering order).
 * Searches take the comparator per call so one list can be probed by a
 * full key or by a bound: cmp(item, probe) < 0 means item sorts before.
 */
#define ST_SL_MAX 24

typedef int (*st_sl_cmp)(const void *item, const void *probe, void *ctx);

typedef struct st_sl_node {
	void *item;
	struct st_sl_node *prev;
	int height;
	struct st_sl_node *next[];
} st_sl_node;

typedef struct st_sl {
	hl_arena *arena;
	uint64_t *rng;                 /* the owning table's generator */
	st_sl_node *head;              /* sentinel of height ST_SL_MAX */
	st_sl_node *tail;
	int height;
	size_t count;
} st_sl;

void st_sl_init(st_sl *sl, hl_arena *a, uint64_t *rng);
/* First node with cmp(item, probe) >= 0, or NULL. */
st_sl_node *st_sl_seek(const st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx);
/* Last node with cmp(item, probe) < 0, or NULL. */
st_sl_node *st_sl_seek_before(const st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx);
/* The node equal to probe, inserting make(probe, ctx) if there is none. */
st_sl_node *st_sl_upsert(st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx,
			 void *(*make)(const void *probe, void *ctx));
static inline st_sl_node *st_sl_first(const st_sl *sl)
{
	return sl->head->next[0];
}

/* ------------------------------------------------------------ memtable */

typedef struct mt_cell {
	int32_t col;
	int32_t ttl;
	int64_t ts;
	int64_t ldt;
	uint8_t *path;
	uint8_t *value;
	uint32_t path_len;
	uint32_t len;
	uint32_t cap;                  /* value buffer size, reused on overwrite */
} mt_cell;

typedef struct mt_cdel {
	int32_t col;
	st_deletion del;
} mt_cdel;

typedef struct mt_row {
	st_bytes *clust;               /* nclust values; NULL for the static row */
	st_liveness marker;
	st_deletion del;
	int ncells, capcells;
	mt_cell *cells;                /* sorted by (col, path) */
	int ncdels;
	mt_cdel *cdels;
} mt_row;

typedef struct mt_rt {
	st_bound start, end;
	st_deletion del;
	struct mt_rt *next;
} mt_rt;

typedef struct mt_part {
	int64_t token;
	uint8_t *key;
	uint32_t keylen;
	st_deletion pdel;
	mt_row *statics;               /* NULL until a static change arrives */
	st_sl rows;
	mt_rt *rts;                    /* unsorted; few per partition in practice */
	int nrts;
} mt_part;

/*
 * One memtable. It starts with a (shallow) copy of the table layout so the
 * skip-list comparators can take the memtable as their context. Only the
 * shard thread reads `layout` (it is refreshed on ALTER); a flush thread
 * walks a frozen memtable's records but never its layout.
 */
typedef struct st_memtable {
	st_table_layout layout;
	hl_arena *arena;               /* everything in the memtable */
	st_sl parts;
	uint64_t rng;
	int64_t nrows;
	/* frozen memtables */
	st_log_pos pos;                /* commit log position the freeze covers */
	bool inflight;                 /* a flush job holds it */
	bool flushed;                  /* in an SSTable; contents freed, kept
	                                * only to report log positions in order */
	size_t base_used;              /* arena bytes when empty */
	int64_t min_ts;                /* smallest timestamp applied (INT64_MAX: none) */
	/* Every partition of `parts` by token, for point lookups (writes and
	 * single-partition reads) without walking the skip list. Open
	 * addressing, linear probing, at most half full; the token sits in the
	 * slot so a probe touches no partition but the match. Allocated at the
	 * first partition, freed with the contents. */
	struct mt_hslot *hidx;
	uint32_t hmask;                /* slots - 1 */
	uint32_t hcount;
	bool hmapped;                  /* hidx is an mmap (huge pages asked) */
	struct st_memtable *next;
} st_memtable;

typedef struct mt_hslot {
	int64_t token;
	mt_part *p;                    /* NULL: empty slot */
} mt_hslot;

/* The partition (token, key) of a memtable, or NULL. */
mt_part *st__mt_find(const st_memtable *mt, int64_t token, const uint8_t *key,
		     uint32_t keylen);

void st__mt_init(st_memtable *mt, const st_table_layout *l, uint64_t seed);
/* Empty it, keeping the arena's first chunk. */
void st__mt_reset(st_memtable *mt);
size_t st__mt_bytes(const st_memtable *mt);
void st__memtable_free(st_memtable *mt);
void st__mt_free_contents(st_memtable *mt);
bool st__mt_empty(const st_memtable *mt);
/* Check a mutation against the layout (nothing applied on error). */
int st__mt_validate(const st_table_layout *l, const st_mutation *m, hl_err *err);
/* Merge a validated mutation. */
void st__mt_apply(st_memtable *mt, const st_mutation *m);
/* A stored partition as a complete mutation (every tombstone, marker and
 * TTL), built in arena a. */
st_mutation *st__mt_export(const mt_part *p, int nclust, hl_arena *a);
/* A partition is empty when it holds nothing to write. */
bool st__part_empty(const mt_part *p);

/* ------------------------------------------------------------ sstables */

/*
 * One SSTable as a table sees it. The reader belongs to the shard thread;
 * helper threads open their own readers on the same files. The cursor is a
 * range-read position kept across reads so sequential paging continues
 * where the last read stopped (a read elsewhere seeks the file's index):
 * `cur` is the first unconsumed partition this shard serves, known from
 * Index.db only (it is decoded when a read takes it), and no partition
 * lies strictly between `prev` and `cur`.
 */
typedef struct st_sst {
	sst_reader *r;
	char *base;                    /* "nb-12-big" */
	int64_t gen;
	uint64_t bytes;                /* Data.db size */
	int64_t min_ts, max_ts;
	int64_t max_ldt;               /* seconds; INT64_MAX: holds live data */
	/* LCS: level (0 = unleveled) and the token span of the partitions this
	 * shard serves from the file (has_span false: unknown, never leveled). */
	int level;
	bool has_span;
	int64_t first_tok, last_tok;
	bool compacting;               /* input of a running compaction */
	/* cursor */
	hl_arena *ca;                  /* the partition a read took last */
	bool started;
	bool has_cur;                  /* false: at the end (when started) */
	int64_t cur_token;
	const uint8_t *cur_key;        /* into the reader's Index.db */
	size_t cur_keylen;
	bool has_prev;
	int64_t prev_token;
	hl_buf prev_key;
	struct st_sst *next;
} st_sst;

typedef struct st_job st_job;

typedef struct st_table {
	st_table_layout layout;        /* arrays heap-owned by the table */
	st_memtable *mt;               /* active */
	st_memtable *frozen;           /* being flushed, oldest first */
	st_sst *ssts;                  /* newest first */
	int nssts;
	/* durable tables */
	char *ks, *name;
	char *dir;                     /* NULL: memory only */
	hl_arena *sch_arena;           /* ssch and its strings */
	sst_schema ssch;               /* how SSTables map to the layout */
	int64_t gen_counter;           /* next generation counter */
	uint64_t epoch;                /* bumped by truncate: older jobs are void */
	bool compacting;
	bool major_pending;            /* st_compact asked while compacting: run it after */
	bool lcs_checked;              /* leveled files verified non-overlapping */
	int64_t lcs_cursor[9];         /* per level: last token compacted up */
	uint64_t seed;
	/* flushed out of freeze order: reported once the older ones are done */
	bool has_pending_pos;
	st_log_pos pending_pos;
	/* read path counters (st_table_stats) */
	int64_t sst_parts_read;
	int64_t sst_skipped;
} st_table;

/* Background work, run by the engine's helper threads. */
enum { ST_JOB_FLUSH, ST_JOB_COMPACT };

/* One SSTable a job wrote. */
typedef struct st_out {
	char *base;
	int64_t gen;
	sst_reader *r;
	bool has_span;
	int64_t first_tok, last_tok;
} st_out;

struct st_job {
	int kind;
	hl_uuid table;
	uint64_t epoch;
	hl_arena *a;                   /* job lifetime: paths, schema copies */
	char *dir;
	int64_t gen;                   /* first output generation */
	/* Generations reserved for the outputs (a leveled compaction splits
	 * its output at max_out_bytes; the last output takes whatever is left
	 * once they run out). */
	int ngens;
	int64_t *gens;
	uint64_t max_out_bytes;        /* 0: one output */
	int out_level;                 /* sstable_level of the outputs */
	bool backup;                   /* flush: link the output into backups/ */
	int64_t now;                   /* compaction: seconds, for TTL/gc */
	int64_t gc_before;             /* compaction: purge tombstones with ldt < this */
	bool purge;                    /* compaction: no other SSTable overlaps */
	int64_t max_purgeable_ts;      /* compaction: only tombstones older than
	                                * all memtable data may go */
	bool has_range;
	int64_t own_start, own_end;
	bool has_host_id;
	hl_uuid host_id;
	uint64_t large_partition_bytes;        /* from the engine's opts */
	int64_t partition_size_warn, partition_size_fail;
	sst_schema ssch;               /* copies in a */
	st_table_layout layout;        /* deep copy in a */
	/* flush */
	st_memtable *mt;
	/* compaction inputs */
	int nin;
	char **in_base;
	int64_t *in_gen;
	uint64_t in_bytes;             /* compaction: Data.db bytes of the inputs */
	/* progress while running (st_compaction_stats): the id is set when a
	 * worker takes the job; a flush counts partitions (atomics) */
	hl_uuid task_id;
	uint64_t flush_done, flush_total;
	/* result */
	int status;
	hl_err err;
	int nouts;                     /* 0: no output (nothing to write) */
	st_out *outs;                  /* in a */
	bool cancel;                   /* table dropped/truncated meanwhile */
	/* Snapshots (shard thread only, heap): directories the output is linked
	 * into when published. snap_only: the table is going away (truncate /
	 * drop); the output is for the snapshots only and leaves the table
	 * directory once linked there. */
	int nsnaps;
	char **snaps;
	bool snap_only;
	char *table_dir;               /* heap copy: where published outputs belong */
	struct st_job *next;
};

/* bg.c's output writer: log a partition that went over the thresholds of
 * the engine's opts, copied into the job. */
void st__large_partition_check(const st_job *j, int64_t gen, const st_mutation *m, uint64_t bytes);

/* A queue served by one helper thread. */
typedef struct st_worker {
	st_engine *e;
	pthread_t th;
	bool started;
	st_job *head, *tail;           /* queued */
	st_job *running;
} st_worker;

struct st_engine {
	st_table **slots;              /* open addressing by table id */
	size_t nslots, ntables;
	/* durability */
	st_engine_opts opts;           /* data_dir copied */
	size_t flush_at;               /* active memtable bytes that trigger a flush */
	pthread_mutex_t mu;            /* guards the workers' queues and done */
	pthread_cond_t cv;             /* workers: a job was queued / stop */
	pthread_cond_t done_cv;        /* st_wait_idle: a job finished */
	bool stop;
	size_t active_bytes;           /* active memtables of durable tables */
	st_worker flusher, compactor;
	st_job *done, *done_tail;      /* finished, waiting for st_poll */
	int pending;                   /* queued + running + done */
	st_memtable *orphans;          /* frozen memtables of dropped tables, in flight */
	/* Compaction throttle (bytes per second, 0: none) and counters for
	 * compactionstats; atomics, the compactor updates them. */
	uint64_t throughput;
	int64_t compactions_done;
	uint64_t compacted_in, compacted_out;
	uint64_t active_done, active_total;
	int64_t flushes_done;
};

st_table *st__table(const st_engine *e, const hl_uuid *id);

/* Partition position probe: (token, key). */
typedef struct st_pkey {
	int64_t token;
	const uint8_t *key;
	uint32_t keylen;
} st_pkey;
int st__cmp_part(const void *item, const void *probe, void *ctx);

/* A fresh active memtable for t. */
st_memtable *st__memtable_new(st_table *t);

/* ------------------------------------------------------------ files (files.c) */

/* Fill t->ssch from t->layout (columns with names). */
void st__build_schema(st_table *t);
/* Deep copy of an sst_schema / layout into arena a (helper threads). */
void st__copy_schema(hl_arena *a, const sst_schema *src, sst_schema *dst);
void st__copy_layout(hl_arena *a, const st_table_layout *src, st_table_layout *dst);
/* Create the table directory and open this shard's SSTables in it. */
int st__load_table(st_engine *e, st_table *t, hl_err *err);
/* Next generation of this shard for the table (unique in its directory). */
int64_t st__next_gen(st_engine *e, st_table *t);
bool st__owns_gen(const st_engine *e, int64_t gen);
/* Open an SSTable of the table and put it in t->ssts (newest first). */
st_sst *st__sst_new(sst_reader *r, const char *base, int64_t gen);
void st__sst_add(st_table *t, st_sst *s);
void st__sst_free(st_sst *s);
/* Unlink every component of <dir>/<base>-*. */
void st__sst_unlink(const char *dir, const char *base);
/* Hard-link (copy across filesystems) every component <src>/<base>-* into
 * dst under the same name, TOC.txt last; existing names are kept. */
int st__sst_link(const char *src, const char *base, const char *dst, hl_err *err);
int st__mkdir_p(const char *path, hl_err *err);
/* A heap string (free()). */
char *st__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int st__link_or_copy(const char *src, const char *dst, hl_err *err);
/* The token span of an SSTable's partitions from its Summary.db (first and
 * last key), clipped to this engine's range; false when unknown. */
bool st__sst_span(const st_engine *e, const char *dir, const char *base, int64_t *first,
		  int64_t *last);
/* Fill level / span / max_ldt of a freshly opened SSTable. */
void st__sst_describe(const st_engine *e, const char *dir, st_sst *s, bool keep_level);
int64_t st__gen_of(const char *base);
bool st__token_owned(const st_engine *e, int64_t token);

/* ------------------------------------------------------------ background (bg.c) */

void st__bg_init(st_engine *e);
void st__bg_stop(st_engine *e);
/* Freeze t's active memtable and queue its flush (no-op when empty). */
int st__freeze(st_engine *e, st_table *t, hl_err *err);
/* After an apply: flush the biggest memtable when over the limit. */
void st__maybe_flush(st_engine *e);
void st__maybe_compact(st_engine *e, st_table *t);
/* Table going away / truncated: void its jobs, hand its frozen memtables
 * still being flushed to the engine. */
void st__bg_forget(st_engine *e, st_table *t);
/* Queue a compaction of v[0..n) written as level out_level, split at
 * max_out_bytes (0: one output). */
void st__queue_compact(st_engine *e, st_table *t, st_sst **v, int n, int out_level,
		       uint64_t max_out_bytes);
/* Flush jobs of t still to be published (queued, running, done). */
typedef void (*st_job_visit)(st_job *j, bool queued, void *ctx);
void st__visit_flushes(st_engine *e, const st_table *t, st_job_visit fn, void *ctx);
/* Is gen reserved by a job of t not yet published (its files may be
 * being written in the table directory)? */
bool st__gen_pending(st_engine *e, const st_table *t, int64_t gen);
/* Link a finished snapshot-bound output into its snapshots (bg.c). */
void st__snap_deliver(st_job *j);

/* ------------------------------------------------------------ strategies (strategy.c) */

/* Pick and queue the table's next compaction (STCS / LCS / TWCS); TWCS
 * also deletes fully expired SSTables here. */
void st__pick_compaction(st_engine *e, st_table *t);

/* ------------------------------------------------------------ snapshots (snapshot.c) */

/* Snapshot t into <dir>/snapshots/<tag>/. destructive: the table is about to
 * be truncated or dropped (memtables go to the snapshot only). */
int st__snapshot_table(st_engine *e, st_table *t, const char *tag, const char *schema_cql,
		       bool destructive, hl_err *err);
/* Rewrite <snapdir>/manifest.json from the Data.db files it holds. */
void st__snap_manifest(const char *snapdir);
/* Auto snapshot before truncate (kind "truncated") / drop ("dropped"). */
void st__auto_snapshot(st_engine *e, st_table *t, const char *kind, int64_t at_ms);

/* ------------------------------------------------------------ clustering */

/* Component-wise, honouring DESC columns. */
int st__cmp_values(const st_table_layout *l, const st_bytes *a, const st_bytes *b, int n);
/* Row clustering vs a bound: never 0 (a bound sits between rows). */
int st__cmp_row_bound(const st_table_layout *l, const st_bytes *row, const st_bound *b,
		      bool is_end);
/* Bound vs bound, as Cassandra's ClusteringComparator on prefixes. */
int st__cmp_bounds(const st_table_layout *l, const st_bound *a, bool a_end, const st_bound *b,
		   bool b_end);
/* Cell order within a row: column index, then path. */
int st__cmp_cell_key(const st_table_layout *l, int col_a, const uint8_t *pa, uint32_t pan,
		     int col_b, const uint8_t *pb, uint32_t pbn);
int st__cmp_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn);

/* Skip-list comparator contexts. */
typedef struct st_bound_probe {
	const st_bound *b;
	bool is_end;
} st_bound_probe;
int st__cmp_row_item(const void *item, const void *probe, void *ctx);   /* probe: st_bytes[] */
int st__cmp_row_bitem(const void *item, const void *probe, void *ctx);  /* probe: st_bound_probe */

/* ------------------------------------------------------------ reconciliation */

/* Does update win over existing (Cells.reconcile for regular cells)? */
bool st__cell_wins(int64_t uts, int32_t uttl, int64_t uldt, const uint8_t *uv, uint32_t ulen,
		   int64_t ets, int32_t ettl, int64_t eldt, const uint8_t *ev, uint32_t elen);
bool st__liveness_supersedes(const st_liveness *a, const st_liveness *b);
bool st__deletion_supersedes(const st_deletion *a, const st_deletion *b);

#endif
