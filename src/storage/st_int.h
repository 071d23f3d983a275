/*
 * storage/st_int.h: private to the storage module. The skip list that
 * indexes partitions and rows, the memtable's partition/row/cell records,
 * the table record and the clustering comparators. Only the storage .c files
 * include it.
 */
#ifndef HL_ST_INT_H
#define HL_ST_INT_H

#include "storage/storage.h"

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

typedef struct st_table {
	st_table_layout layout;        /* arrays heap-owned by the table */
	hl_arena *arena;               /* everything in the memtable */
	st_sl parts;
	uint64_t rng;
	int64_t nrows;
} st_table;

struct st_engine {
	st_table **slots;              /* open addressing by table id */
	size_t nslots, ntables;
};

st_table *st__table(const st_engine *e, const hl_uuid *id);

/* Partition position probe: (token, key). */
typedef struct st_pkey {
	int64_t token;
	const uint8_t *key;
	uint32_t keylen;
} st_pkey;
int st__cmp_part(const void *item, const void *probe, void *ctx);

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
