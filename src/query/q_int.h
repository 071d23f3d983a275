/*
 * Private header of the query module: the prepared-statement plans and the
 * state of a request in flight. Only the query module's own files include it.
 */
#ifndef HL_Q_INT_H
#define HL_Q_INT_H

#include "query/query.h"
#include "cql/cql.h"


/* Serialized value; len < 0 is null (QRY_NULL) or unset (QRY_UNSET). */
typedef struct q_val {
	const uint8_t *p;
	int32_t len;
} q_val;

/* ------------------------------------------------------------ restrictions */

/* One restriction on a column (or a column tuple for multi-column ones). */
typedef struct q_restr {
	cql_op op;
	int ncols;
	const sch_column **cols;       /* 1 for single-column relations */
	cql_term *value;               /* EQ/slice value, or an IN marker */
	int nvalues;                   /* IN (...) */
	cql_term **values;
	cql_term *key;                 /* m[key] = value (map entry, SELECT filtering) */
} q_restr;

/* ------------------------------------------------------------ selection */

enum {
	Q_SEL_COLUMN, Q_SEL_WRITETIME, Q_SEL_TTL, Q_SEL_TOKEN, Q_SEL_COUNT, Q_SEL_CONST,
	Q_SEL_FUNC, Q_SEL_AGG, Q_SEL_FIELD, Q_SEL_EXPR,
};

/*
 * A selector expression (Q_SEL_EXPR): arithmetic, CAST, element and slice
 * selection, WRITETIME/TTL/MAXWRITETIME over collections, evaluated per row
 * by select.c. Leaves are columns, constants or flat selectors (functions).
 */
enum {
	Q_EX_COL, Q_EX_CONST, Q_EX_BINOP, Q_EX_NEG, Q_EX_CAST, Q_EX_ELEM, Q_EX_SLICE,
	Q_EX_WT, Q_EX_TTL, Q_EX_MAXWT, Q_EX_SEL,
	Q_EX_SIM,                      /* similarity_cosine/euclidean/dot_product: op 'c', 'e', 'd' */
};

typedef struct q_expr {
	int kind;
	const ty_type *type;           /* result type */
	const sch_column *col;         /* COL; WT/TTL/MAXWT: the column read */
	char op;                       /* BINOP */
	struct q_expr *a, *b;          /* operands; ELEM/SLICE: the collection; WT..: the arg */
	cql_term *term, *term2;        /* CONST; ELEM key; SLICE bounds (either may be NULL) */
	const ty_type *ktype;          /* ELEM/SLICE: key type; CONST: the constant's type */
	struct q_sel *sel;             /* SEL */
	const char *spec;              /* CONST: the receiver name its errors use */
} q_expr;

enum { Q_AGG_MIN = 1, Q_AGG_MAX, Q_AGG_SUM, Q_AGG_AVG };

typedef struct q_sel {
	int kind;
	const sch_column *col;         /* COLUMN / WRITETIME / TTL; COUNT(col) */
	const char *name;              /* result column name */
	const ty_type *type;
	cql_term *term;                /* CONST */
	const char *fn;                /* FUNC: lower-case name, one column arg */
	const ty_type *arg_type;
	int agg;                       /* AGG: Q_AGG_* over col */
	int field;                     /* FIELD: index in the UDT (col) */
	q_expr *ex;                    /* EXPR */
} q_sel;

typedef struct q_select {
	int nsel;
	q_sel *sel;
	bool distinct;
	bool json;                     /* SELECT JSON: one [json] text column */
	bool count_only;               /* aggregation: an aggregate selector or GROUP BY */
	int ngroup;                    /* GROUP BY: a primary-key prefix */
	const sch_column **group;
	/* partition key: per pk position an EQ or IN restriction, all or none */
	bool pk_complete;
	q_restr **pk;                  /* npk entries when pk_complete */
	/* token(pk) bounds */
	cql_term *tok_start, *tok_end;
	bool tok_start_incl, tok_end_incl;
	bool tok_eq;                   /* token(k) = x */
	/* clustering: restrictions usable as slices, in column order */
	int nck_restr;
	q_restr **ck;
	/* everything else, checked row by row (ALLOW FILTERING) */
	int nfilter;
	q_restr **filter;
	bool reversed;
	cql_term *limit, *pplimit;
	bool needs_static_only;        /* no clustering restriction: static-only rows show */
	int nfetch;                    /* columns the read must return */
	int *fetch;
	/* the index that finds the rows (index.c), and the restriction it serves */
	const sch_index *ix;
	const q_restr *ix_restr;
} q_select;

/* ------------------------------------------------------------ modification */

/* What an assignment does to its column (collections have several forms). */
enum {
	Q_AS_SET = 0,                  /* c = v (or INSERT's value, DELETE's whole column) */
	Q_AS_ADD,                      /* c = c + v: set/map add, list append */
	Q_AS_SUB,                      /* c = c - v: set remove, map remove keys */
	Q_AS_PREPEND,                  /* c = v + c: list prepend */
	Q_AS_PUT,                      /* c[k] = v: map put */
	Q_AS_DEL_KEY,                  /* DELETE c[k]: map key removal */
	Q_AS_COUNTER,                  /* c = c + n / c = c - n on a counter */
	Q_AS_LIST_SET,                 /* l[i] = v (reads the list first) */
	Q_AS_LIST_DEL,                 /* DELETE l[i] (reads the list first) */
	Q_AS_LIST_REMOVE,              /* l = l - [v, ...] (reads the list first) */
	Q_AS_FIELD,                    /* u.f = v: one field cell of a non-frozen UDT */
	Q_AS_DEL_FIELD,                /* DELETE u.f: that field's cell tombstone */
};

typedef struct q_assign {
	const sch_column *col;
	cql_term *value;
	int op;                        /* Q_AS_* */
	cql_term *key;                 /* PUT / DEL_KEY */
	int field;                     /* FIELD / DEL_FIELD: position in the UDT */
} q_assign;

/* A non-frozen list, set, map or UDT: stored as a complex column, one cell
 * per element (UDTs: one per non-null field, path = the field's position as
 * a 2-byte big-endian short, Cassandra's UserType.cellPathForField). */
static inline bool q_is_cells(const ty_type *t)
{
	return t && !t->frozen && (t->kind == TY_LIST || t->kind == TY_SET || t->kind == TY_MAP ||
				   t->kind == TY_UDT);
}

/* A non-frozen list, set or map (not a UDT). */
static inline bool q_is_coll_cells(const ty_type *t)
{
	return q_is_cells(t) && t->kind != TY_UDT;
}

/* The cell path of a UDT field. */
static inline void q_field_path(int field, uint8_t out[2])
{
	out[0] = (uint8_t)(field >> 8);
	out[1] = (uint8_t)field;
}

enum { Q_MOD_INSERT, Q_MOD_UPDATE, Q_MOD_DELETE };

typedef struct q_modify {
	int kind;
	int nassign;                   /* INSERT: non-key values; UPDATE: SET; DELETE: columns */
	q_assign *assign;
	q_restr **pk;                  /* npk: EQ/IN per pk column */
	int nck_restr;                 /* clustering restrictions (slices for DELETE) */
	q_restr **ck;
	cql_term *insert_ck[32];       /* INSERT: clustering values by position */
	bool static_only;              /* only static columns written */
	cql_term *ttl, *timestamp;
	/* list operations that read the list before writing */
	bool list_rmw;
	/* counter updates */
	bool counter;
	bool counter_sub[64];          /* per assignment: c = c - n */
	/* INSERT JSON */
	bool json, default_unset;
	cql_term *json_value;
	/* lightweight transaction conditions */
	bool if_exists, if_not_exists;
	int nconds;
	struct q_cond *conds;
} q_modify;

/* One IF condition of a lightweight transaction: col op value(s), or on
 * one element (c[key] op v) or one UDT field (u.f op v). */
enum { Q_COND_COLUMN, Q_COND_ELEMENT, Q_COND_FIELD };

typedef struct q_cond {
	const sch_column *col;
	int kind;                      /* Q_COND_* */
	cql_term *key;                 /* ELEMENT: the map key or list index */
	int field;                     /* FIELD: position in the UDT */
	const ty_type *type;           /* type of what is compared (column, element, field) */
	const ty_type *vtype;          /* type of the condition's values (CONTAINS: an element) */
	cql_op op;
	cql_term *value;
	int nvalues;
	cql_term **values;
} q_cond;

/* A compare-and-set, run on the shard owning the partition (which runs one
 * thing at a time: that is what makes it linearizable on one node). */
typedef struct q_cas {
	const sch_table *table;
	bool if_exists, if_not_exists;
	int nconds;
	const q_cond *conds;
	q_val *cond_vals;              /* evaluated values, per condition (IN: several) */
	int *cond_nvals;
	q_val *cond_keys;              /* ELEMENT conditions: the evaluated key / index */
	int nclust;                    /* row the conditions read (0: static/partition) */
	const st_bytes *clust;
	/* counter updates: read the current totals, write the new ones */
	int ndeltas;
	const sch_column **dcols;
	int64_t *deltas;
	st_mrow *row;                  /* where the new totals go */
	int64_t ts;
	/* list read-modify-writes */
	int nlops;
	struct q_lop {
		const sch_column *col;
		int op;                    /* Q_AS_LIST_SET / DEL / REMOVE */
		int64_t index;
		q_val value;               /* SET: element; REMOVE: the list of values */
	} *lops;
	/* answer */
	bool applied;
	bool row_exists;
} q_cas;

/* A conditional batch: its statements' ops, run together on one shard. */
typedef struct q_casb {
	int nsub;
	qry_op **subs;
	bool applied;
} q_casb;

/* ------------------------------------------------------------ plans */

typedef struct q_plan {
	cql_stmt *stmt;
	const sch_table *table;        /* SELECT / modification */
	const char *ks;                /* resolved keyspace of the table */
	qry_metadata bind;             /* bind variables */
	qry_metadata result;           /* ROWS metadata (SELECT), else empty */
	q_select *sel;
	q_modify *mod;
	int nbatch;                    /* BATCH of query strings: sub-plans */
	struct q_plan **batch;
	bool is_virtual;               /* system tables served from sys_rows */
} q_plan;

/* Prepared statement cache entry (per shard). */
typedef struct q_pentry {
	uint8_t id[16];
	char *text;
	size_t len;
	char *ks;                      /* keyspace in effect at PREPARE, or NULL */
	hl_arena *arena;               /* the plan's */
	q_plan *plan;
	sch_schema *schema;            /* snapshot the plan was built against */
	uint64_t epoch;
	struct q_pentry *next;
} q_pentry;

struct qry_pcache {
	int nbuckets;
	q_pentry **buckets;
	int count;
};

/* ------------------------------------------------------------ requests */

typedef int (*q_cont)(qry_exec *x);

/* An emitted row remembered for post-query ordering. */
typedef struct q_srow {
	size_t off, len;               /* in the result's rows buffer */
	const st_bytes *clust;         /* copied into the request arena */
} q_srow;

/* Position of a paged read (also what the paging state carries). */
typedef struct q_pos {
	int seg;                       /* index into the segments */
	bool has_part;
	int64_t token;
	const uint8_t *key;
	uint32_t keylen;
	bool part_done;                /* resume after this partition */
	int nclust;                    /* > 0: resume after this row */
	const st_bytes *clust;
	int32_t pp_count;              /* rows already returned from this partition */
	int32_t limit_left;            /* -1: no LIMIT */
} q_pos;

typedef struct q_seg {
	int shard;
	bool is_key;
	const uint8_t *key;
	uint32_t keylen;
	int64_t token;
	int64_t start, end;
	bool sincl, eincl;
} q_seg;

struct qry_exec {
	qry_shard *sh;
	hl_arena *a;
	int version;
	const char *keyspace;          /* connection keyspace */
	sch_schema *schema;            /* referenced for the request */
	const qry_params *params;
	qry_params batch_params;
	int64_t now_us;                /* write timestamp default / now */
	int64_t now_s;
	/* result */
	qry_result res;
	bool has_res;
	hl_err err;
	/* ops */
	int nops;
	qry_op **ops;
	q_cont cont;
	/* SELECT state */
	q_plan *plan;
	const qry_value *values;
	int nvalues;
	int nsegs;
	q_seg *segs;
	q_pos pos;
	int32_t page_left;             /* -1: unpaged */
	int64_t count;                 /* unused */
	struct q_aggst *aggs;          /* aggregation state per selector */
	int64_t group_rows;
	st_bytes gkey[64];             /* GROUP BY values of the current group */
	bool gkey_set;
	int64_t tombstones;            /* scanned by this request's reads */
	int read_cl;                   /* the SELECT's consistency: params are gone once ops resume */
	int64_t live_rows;
	bool done;
	bool sel_failed;               /* a selector expression failed: x->err holds why */
	st_bytes *slices_buf;
	int nslices;
	st_slice *slices;
	bool no_rows;                  /* an IN () or contradictory bounds */
	/* ORDER BY over several partitions (unpaged): rows re-sorted at the end */
	bool post_sort;
	int32_t post_limit;
	int nsorted, capsorted;
	struct q_srow *sorted;
	st_engine *local;              /* virtual table engine */
	hl_uuid local_table;
	const uint8_t *last_key;       /* per partition limit tracking */
	uint32_t last_keylen;
	struct q_viewst *vst;          /* materialized view work (view.c), or NULL */
	/* DESCRIBE / virtual results need nothing more */
	/* batchlog entry of the logged batch in flight (removed once applied) */
	const char *batchlog_file;
	/* op arenas to free */
	int narenas;
	hl_arena *arenas[64];
};

/* exec.c */
void q_warn(qry_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void q_track_arena(qry_exec *x, hl_arena *a);
int q_fail(qry_exec *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Start x's result afresh (as qry_result_init), keeping the rows buffer's
 * memory: it may be a pooled one (qry_exec_new), reused to save reallocs. */
void q_result_start(qry_exec *x);
qry_op *q_new_op(qry_exec *x, int kind, int shard);
int q_pending(qry_exec *x, q_cont cont);
const sch_schema *q_schema(qry_exec *x);

/* plan.c */
int q_plan_stmt(qry_exec *x, cql_stmt *st, hl_arena *a, q_plan **out, hl_err *err);
const char *q_ks_of(qry_exec *x, const cql_qname *n);

/* eval.c */
int q_eval(qry_exec *x, const cql_term *t, const ty_type *type, const char *colname,
	   q_val *out);
int q_eval_in(qry_exec *x, const q_restr *r, const ty_type *type, const char *colname,
	      int *n, q_val **vals);
int q_eval_int(qry_exec *x, const cql_term *t, const char *what, int64_t *out, bool *set);
int q_bind_values(qry_exec *x, q_plan *p, const qry_value *v, int n);
int q_pk_keys(qry_exec *x, const sch_table *t, q_restr **pk, int *nkeys, q_val **keys);
int q_normalize(qry_exec *x, const ty_type *t, q_val *v);
void q_split_key(const sch_table *t, const uint8_t *key, uint32_t keylen, q_val *out);

/* select.c */
int q_select_start(qry_exec *x);
void q_agg_free(qry_exec *x);
int q_build_slices(qry_exec *x, const sch_table *t, q_restr **ck, int nck, bool *none,
		   int *nslices, st_slice **slices, bool *has);
int q_restr_values(qry_exec *x, const q_restr *r, int *n, st_bytes ***out);
q_val q_assemble(hl_arena *a, const ty_type *type, const st_rcell *cells, int n, int col);

/* modify.c */
int q_put_elements(qry_exec *x, const sch_column *c, q_val v, st_mrow *r, int64_t ts,
		   int32_t ttl, int64_t expire, bool prepend, bool remove);
void q_cas_eval(qry_op *op, st_engine *e);
int q_modify_start(qry_exec *x);
int q_batch_collect(qry_exec *x, q_plan *p, const qry_value *vals, int nvals,
		    int64_t batch_ts, bool has_batch_ts);
int q_writes_done(qry_exec *x);
int q_batch_conditional(qry_exec *x);

/* batchlog.c */
int q_batchlog_write(qry_exec *x);
void q_batchlog_done(qry_exec *x);

/* ddl.c */
int q_ddl(qry_exec *x, cql_stmt *st);

/* view.c: materialized views */
typedef struct q_vmut {
	hl_uuid table;                 /* the view */
	int shard;
	bool durable;
	st_mutation *mut;
	struct q_vmut *next;
} q_vmut;
/* View mutations for one base row going from old to new (either NULL: absent)
 * in base partition key / clust; mrow is the base mutation's row (its
 * marker), del_ts the deleting write's timestamp. Prepends to *out. */
int q_view_row(hl_arena *a, const sch_table *base, const sch_table *view, const uint8_t *key,
	       uint32_t keylen, const st_bytes *clust, const st_rrow *old, const st_rrow *new,
	       const st_mrow *mrow, int64_t del_ts, int64_t now_s, q_vmut **out);
/* modify.c: after a statement's ops are collected, attach view work to those on t. */
int q_view_mark(qry_exec *x, const sch_table *t);
/* exec.c, on the base shard: a WRITE op with view work / around a CAS apply. */
void q_view_write(qry_shard *target, qry_op *op, st_engine *e);
void q_view_before(qry_op *op, st_engine *e);
void q_view_after(qry_op *op, st_engine *e);
/* modify.c q_writes_done: 1 = view writes posted (wait again), 0 = go on, -1 = error. */
int q_view_followup(qry_exec *x);
/* ddl.c: build a new view from its base, then answer with done(). */
int q_view_build(qry_exec *x, const char *ks, const char *name, const sch_change *chg,
		 int (*done)(qry_exec *x, const sch_change *chg));
void q_view_free(qry_exec *x);
/* Guardrails (guard.c): each returns -1 with x->err set when one refuses,
 * and adds Cassandra's warning to the response when one warns. */
const struct cfg_guardrails *q_guard_cfg(const qry_exec *x);   /* the shard's, or defaults */
int64_t q_guard_tombstone_warn(const qry_exec *x);
int64_t q_guard_tombstone_fail(const qry_exec *x);
int q_guard_select(qry_exec *x);                  /* after the segments / slices are built */
int q_guard_write(qry_exec *x, const q_plan *p, int first_op);   /* ops first_op.. of p */
int q_guard_batch(qry_exec *x, bool logged);      /* every op of the batch collected */
int q_guard_ddl(qry_exec *x, const sch_ddl *d);
int q_guard_truncate(qry_exec *x, const char *ks);
/* index.c: secondary index structures (docs/indexes.md) */
enum { QIX_PLAIN, QIX_KEYS, QIX_VALUES, QIX_ENTRIES, QIX_FULL };
typedef struct q_ixtarget {
	const sch_column *col;
	int kind;                      /* QIX_*; a plain index on a collection is VALUES */
	bool sai;                      /* StorageAttachedIndex */
} q_ixtarget;
int q_index_target(const sch_table *t, const sch_index *ix, q_ixtarget *out);
/* The index (and the restriction it serves) a query reads through, or NULL. */
const sch_index *q_index_pick(const sch_table *t, int n, q_restr **f, q_restr **which);
/* Attach the probe to a range READ op (leaves op->ix NULL: scan instead). */
int q_index_op(qry_exec *x, qry_op *op);
/* Shard side: hidden tables in line with schema s; st_apply plus index
 * maintenance; TRUNCATE; READ through an index; shutdown. */
int q_index_sync(qry_shard *sh, const sch_schema *s, hl_err *err);
int q_index_apply(qry_shard *sh, st_engine *e, const hl_uuid *table, const st_mutation *m,
		  hl_err *err);
void q_index_truncated(qry_shard *sh, const hl_uuid *table);
int q_index_read(qry_shard *sh, qry_op *op);
void q_index_free(qry_shard *sh);
/* Tests: the hidden table of an index on this shard, and whether it is built. */
bool q_index_hidden(qry_shard *sh, const hl_uuid *base, const char *name, hl_uuid *out,
		    bool *built);
/* An entry's clustering: token (8 bytes big-endian, in tok), key, nck base values. */
void q_index_entry_clust(int64_t token, const uint8_t *key, uint32_t keylen, int nck,
			 const st_bytes *clust, uint8_t tok[8], st_bytes *out);

/* exec.c: storage layouts, engine sync, virtual tables */
int q_sync_engine(qry_shard *sh, hl_err *err);
void q_layout(const sch_table *t, hl_arena *a, st_table_layout *out);
int q_virtual_engine(qry_exec *x, const sch_table *t);

/* clustering helpers */
int q_clust_compare(const sch_table *t, int n, const st_bytes *a, const st_bytes *b);

#endif
