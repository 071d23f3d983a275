/*
 * schema: the schema model. Immutable snapshots of keyspaces -> tables
 * (columns, options, dropped columns, indexes; materialized views are
 * tables with an sch_view) and user types; DDL that builds a new snapshot from the current one;
 * a registry holding the current snapshot for N shard threads; the schema
 * version digest; and DESCRIBE output as Cassandra 5.0 prints it.
 *
 * Every snapshot owns one arena. DDL never mutates a published snapshot: it
 * copies the current one into a fresh arena, applies the change, computes the
 * version and publishes the result. Readers take a reference for the length
 * of a request (sch_ref / sch_release, atomic refcount).
 *
 * The system keyspaces (system, system_schema) and the virtual keyspace
 * system_virtual_schema are part of every snapshot, so lookups of system
 * tables go through the same API as user tables.
 *
 * Names passed in are final (case already folded by the CQL layer for
 * unquoted identifiers). Prefix: sch_.
 */
#ifndef HL_SCHEMA_H
#define HL_SCHEMA_H

#include "core/core.h"
#include "types/types.h"

/* ---------------------------------------------------------------- model */

typedef enum sch_kind {
	SCH_PARTITION_KEY,
	SCH_CLUSTERING,
	SCH_REGULAR,
	SCH_STATIC,
} sch_kind;

typedef enum sch_order {
	SCH_ORDER_NONE,            /* not a clustering column */
	SCH_ORDER_ASC,
	SCH_ORDER_DESC,
} sch_order;

typedef struct sch_column {
	const char *name;
	sch_kind kind;
	int position;              /* index within pk / clustering; -1 otherwise */
	const ty_type *type;       /* never a reversed type: order is separate */
	sch_order order;
	/*
	 * Stable per-table column index for the storage engine: assigned at
	 * creation (pk, clustering, then the rest in definition order) or ADD,
	 * never reused after DROP, kept across RENAME.
	 */
	int id;
} sch_column;

typedef struct sch_dropped {
	const char *name;
	const ty_type *type;
	sch_kind kind;             /* SCH_REGULAR or SCH_STATIC */
	int64_t dropped_time;      /* microseconds since the epoch */
	int id;                    /* the column id it had */
} sch_dropped;

/* One entry of a text map (replication, caching, compaction, ...). */
typedef struct sch_kv {
	const char *key;
	const char *value;
	size_t vlen;               /* value length (extensions hold blobs) */
} sch_kv;

/* Maps are kept sorted by key (byte order), as Cassandra's map<text,...>. */
typedef struct sch_map {
	int n;
	sch_kv *e;
} sch_map;

const char *sch_map_get(const sch_map *m, const char *key);

/* Table options, normalized (Cassandra 5.0 TableParams). */
typedef struct sch_params {
	const char *additional_write_policy;   /* '99p' */
	bool allow_auto_snapshot;              /* true */
	double bloom_filter_fp_chance;         /* 0.01 (0.1 with LCS) */
	sch_map caching;                       /* keys ALL, rows_per_partition NONE */
	bool cdc;
	const char *comment;
	sch_map compaction;                    /* class FQCN + options */
	sch_map compression;                   /* class FQCN, chunk_length_in_kb / enabled=false */
	const char *memtable;                  /* 'default' */
	double crc_check_chance;               /* 1.0 */
	int32_t default_time_to_live;
	sch_map extensions;                    /* values are blobs */
	int32_t gc_grace_seconds;              /* 864000 */
	bool incremental_backups;              /* true */
	int32_t max_index_interval;            /* 2048 */
	int32_t memtable_flush_period_in_ms;
	int32_t min_index_interval;            /* 128 */
	const char *read_repair;               /* 'BLOCKING' / 'NONE' */
	const char *speculative_retry;         /* '99p' */
} sch_params;

typedef struct sch_index {
	const char *name;
	const char *kind;          /* "COMPOSITES", "KEYS" or "CUSTOM" */
	sch_map options;           /* "target" always; "class_name" for CUSTOM */
} sch_index;

/*
 * What makes a table a materialized view (Cassandra's ViewMetadata). A view
 * is an sch_table in its keyspace's tables[] (so storage, SELECT and paging
 * treat it as a table) with this attached; system_schema.tables, DESCRIBE
 * TABLES and DML skip or refuse it.
 */
typedef struct sch_view {
	hl_uuid base_id;
	const char *base;          /* base table name (same keyspace) */
	const char *where;         /* where_clause as system_schema.views stores it */
	bool include_all;          /* SELECT *: later ADDed base columns join the view */
} sch_view;

typedef struct sch_table {
	const char *ks;
	const char *name;
	hl_uuid id;
	bool is_virtual;
	bool is_counter;
	/*
	 * Columns in Cassandra's "create order" (what DESCRIBE prints):
	 * partition key by position, clustering by position, then static and
	 * then regular columns, each group simple columns by name followed by
	 * non-frozen collections / UDTs by name. SELECT * order differs (see
	 * sch_select_order).
	 */
	int ncols;
	sch_column *cols;
	int npk, nck;
	sch_column **pk;           /* by position */
	sch_column **ck;
	int next_column_id;
	int ndropped;              /* sorted by name */
	sch_dropped *dropped;
	int nindexes;              /* sorted by name */
	sch_index *indexes;
	sch_params params;
	const sch_view *view;      /* non-NULL: a materialized view */
} sch_table;

typedef struct sch_udt {
	const char *ks;
	const char *name;
	int nfields;
	const char **field_names;
	const ty_type **field_types;
	const ty_type *type;       /* the (non-frozen) UDT descriptor */
} sch_udt;

typedef enum sch_ks_class {
	SCH_KS_USER,
	SCH_KS_LOCAL_SYSTEM,       /* system, system_schema: LocalStrategy */
	SCH_KS_VIRTUAL,            /* system_virtual_schema: not in system_schema */
} sch_ks_class;

typedef struct sch_keyspace {
	const char *name;
	sch_ks_class cls;
	bool durable_writes;
	const char *strategy;      /* fully qualified class name */
	sch_map replication;       /* options without 'class', sorted */
	int ntables;               /* sorted by name */
	sch_table **tables;
	int ntypes;                /* sorted by name */
	sch_udt **types;
} sch_keyspace;

typedef struct sch_schema sch_schema;

/* Keyspaces sorted by name; every snapshot has the system ones. */
int sch_nkeyspaces(const sch_schema *s);
const sch_keyspace *sch_keyspace_at(const sch_schema *s, int i);
/* The version UUID (v3, MD5 over the canonical text of all user keyspaces). */
const hl_uuid *sch_version(const sch_schema *s);
/* Bumped on every published change; cheap staleness test for caches. */
uint64_t sch_epoch(const sch_schema *s);

const sch_keyspace *sch_find_keyspace(const sch_schema *s, const char *ks);
const sch_table *sch_find_table(const sch_schema *s, const char *ks, const char *table);
const sch_table *sch_find_table_by_id(const sch_schema *s, const hl_uuid *id);
const sch_udt *sch_find_type(const sch_schema *s, const char *ks, const char *name);
const sch_column *sch_find_column(const sch_table *t, const char *name);
int sch_column_index(const sch_table *t, const char *name);   /* into t->cols, -1 */
/* The views of a base table (by id), in name order; returns how many (up to max). */
int sch_views_of(const sch_schema *s, const sch_table *base, const sch_table **out, int max);
/* Index by name within a keyspace; *table gets its table. */
const sch_index *sch_find_index(const sch_schema *s, const char *ks, const char *name,
				const sch_table **table);

/*
 * Column order of SELECT *: partition key, clustering, then static columns
 * by name, then regular columns by name. out must hold t->ncols entries.
 */
void sch_select_order(const sch_table *t, const sch_column **out);

/* Non-frozen collection or UDT: a column with several cells per row. */
bool sch_type_is_multicell(const ty_type *t);

bool sch_is_system_keyspace(const char *ks);   /* any system_* or virtual ks */

/* ---------------------------------------------------------------- refcounts */

void sch_ref(const sch_schema *s);
void sch_release(const sch_schema *s);         /* frees on last release */

/* A snapshot with only the system keyspaces (refcount 1). */
sch_schema *sch_schema_new_system(void);

/* ---------------------------------------------------------------- registry */

/*
 * The holder of the current snapshot, created by the server (no globals).
 * DDL goes through sch_registry_apply, serialized by a DDL mutex of its
 * own: the new snapshot is built, saved (with persistence on) and then
 * swapped in under the pointer mutex. Readers call sch_acquire (pointer
 * mutex held for the load + refcount increment only, never across a save)
 * or, on hot paths, keep a per-thread sch_cache that touches the lock only
 * after a schema change.
 */
typedef struct sch_registry sch_registry;

typedef struct sch_registry_config {
	/* Datacenters NetworkTopologyStrategy may name (NULL: any name). */
	int ndcs;
	const char *const *dcs;
	/* cassandra.yaml materialized_views_enabled: CREATE MATERIALIZED VIEW is
	 * refused unless set (existing views keep working either way). */
	bool views_enabled;
} sch_registry_config;

sch_registry *sch_registry_new(const sch_registry_config *cfg);
void sch_registry_free(sch_registry *r);       /* after every reader released */
sch_schema *sch_acquire(sch_registry *r);     /* + reference; sch_release it */
/*
 * Install a snapshot built elsewhere (schema pull from a peer, load at
 * start). Takes s's reference. It is not saved: at start it came from the
 * file; a future schema pull must sch_save it first.
 */
void sch_registry_install(sch_registry *r, sch_schema *s);
/*
 * From now on every change sch_registry_apply publishes is first saved to
 * <dir>/schema.db (sch_save); a failed save fails the DDL with
 * HL_ERR_SERVER "could not persist schema: ..." and publishes nothing.
 * dir is copied; NULL turns persistence off.
 */
void sch_registry_set_persist(sch_registry *r, const char *dir);

typedef struct sch_cache {
	sch_schema *s;
	uint64_t epoch;
} sch_cache;

/* Borrowed pointer valid until the next call on this cache (thread-local). */
const sch_schema *sch_cache_get(sch_registry *r, sch_cache *c);
void sch_cache_clear(sch_cache *c);

/* ---------------------------------------------------------------- DDL */

/* One option value of WITH / replication maps, as the CQL layer parsed it. */
typedef enum sch_optkind {
	SCH_OPT_STRING,            /* 'text' */
	SCH_OPT_NUMBER,            /* 42, 0.01 (text as written) */
	SCH_OPT_BOOL,              /* true / false */
	SCH_OPT_MAP,               /* {'k': 'v', ...}; values converted to text */
} sch_optkind;

typedef struct sch_option {
	const char *name;
	sch_optkind kind;
	const char *str;           /* STRING / NUMBER / BOOL ("true"/"false") */
	int nmap;                  /* MAP */
	const sch_kv *map;         /* vlen may be 0: strlen(value) is used */
} sch_option;

typedef struct sch_keyspace_def {
	const char *name;
	int nopts;                 /* replication = {...}, durable_writes = ... */
	const sch_option *opts;
} sch_keyspace_def;

typedef struct sch_column_def {
	const char *name;
	const char *type_text;     /* CQL type text, parsed against the keyspace's UDTs */
	const ty_type *type;       /* or an already-built type (copied) */
	bool is_static;
} sch_column_def;

typedef struct sch_table_def {
	const char *ks;
	const char *name;
	int ncols;
	const sch_column_def *cols;
	int npk;
	const char *const *pk;     /* NULL with npk 0: "No PRIMARY KEY specifed" */
	int nck;
	const char *const *ck;
	int norder;                /* WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC) */
	const char *const *order_cols;
	const bool *order_desc;
	int nopts;
	const sch_option *opts;    /* includes 'id' when given */
	bool compact_storage;      /* rejected */
} sch_table_def;

typedef struct sch_type_def {
	const char *ks;
	const char *name;
	int nfields;
	const char *const *field_names;
	const char *const *field_types;   /* CQL type text */
} sch_type_def;

typedef enum sch_index_target {
	SCH_IDX_SIMPLE,            /* (c): values() for non-frozen collections */
	SCH_IDX_KEYS,
	SCH_IDX_VALUES,
	SCH_IDX_ENTRIES,
	SCH_IDX_FULL,
} sch_index_target;

typedef struct sch_index_def {
	const char *ks;
	const char *table;
	const char *name;          /* NULL: Cassandra's default <table>_<col>_idx */
	const char *column;
	sch_index_target target;
	const char *custom_class;  /* CREATE CUSTOM INDEX ... USING 'class' (or 'sai') */
	int nopts;                 /* WITH OPTIONS = {...} */
	const sch_kv *opts;
} sch_index_def;

typedef enum sch_ddl_kind {
	SCH_DDL_CREATE_KEYSPACE,
	SCH_DDL_ALTER_KEYSPACE,
	SCH_DDL_DROP_KEYSPACE,
	SCH_DDL_CREATE_TABLE,
	SCH_DDL_ALTER_TABLE_ADD,
	SCH_DDL_ALTER_TABLE_DROP,
	SCH_DDL_ALTER_TABLE_RENAME,
	SCH_DDL_ALTER_TABLE_WITH,
	SCH_DDL_DROP_TABLE,
	SCH_DDL_CREATE_TYPE,
	SCH_DDL_DROP_TYPE,
	SCH_DDL_ALTER_TYPE_ADD,    /* ks.name: cols[0] (IF NOT EXISTS: if_column_exists) */
	SCH_DDL_ALTER_TYPE_RENAME, /* ks.name: names -> new_names (IF EXISTS: if_column_exists) */
	SCH_DDL_ALTER_TYPE_ALTER,  /* ALTER field TYPE: refused as in Cassandra 4.0+ */
	SCH_DDL_CREATE_INDEX,
	SCH_DDL_DROP_INDEX,
	SCH_DDL_CREATE_VIEW,
	SCH_DDL_ALTER_VIEW,        /* name + opts */
	SCH_DDL_DROP_VIEW,         /* name */
} sch_ddl_kind;

/* One relation of a view's WHERE clause. */
typedef struct sch_view_rel {
	const char *col;
	bool is_not_null;          /* col IS NOT NULL */
	const char *text;          /* the relation as Cassandra prints it ("c IN (1, 2)");
	                            * NULL: "col IS NOT NULL" */
} sch_view_rel;

typedef struct sch_view_def {
	const char *ks;
	const char *name;
	const char *base;
	bool star;                 /* SELECT * */
	int nsel;                  /* selected column names (star: 0) */
	const char *const *sel;
	bool sel_alias;            /* a selector had an alias */
	bool sel_not_column;       /* a selector was not a plain column */
	const char *sel_bad;       /* the offending selector's text, for the message */
	int nwhere;
	const sch_view_rel *where;
	bool where_token;          /* token(...) relation */
	const hl_err *where_err;   /* the restrictions' own error (types, conflicts),
	                            * raised where Cassandra checks them */
	int npk;
	const char *const *pk;
	int nck;
	const char *const *ck;
	int norder;
	const char *const *order_cols;
	const bool *order_desc;
	int nopts;
	const sch_option *opts;
} sch_view_def;

typedef struct sch_ddl {
	sch_ddl_kind kind;
	bool if_exists;            /* IF [NOT] EXISTS on the object */
	bool if_column_exists;     /* ADD IF NOT EXISTS / DROP IF EXISTS / RENAME IF EXISTS */
	const char *ks;            /* keyspace of the object */
	const char *name;          /* table / type / index name (DROP, ALTER) */
	sch_keyspace_def keyspace; /* CREATE/ALTER KEYSPACE (keyspace.name) */
	sch_table_def table;       /* CREATE TABLE */
	sch_type_def type;         /* CREATE TYPE */
	sch_index_def index;       /* CREATE INDEX */
	sch_view_def view;         /* CREATE MATERIALIZED VIEW */
	/* ALTER TABLE/TYPE ADD: columns; DROP: names; RENAME: names -> new_names */
	int ncols;
	const sch_column_def *cols;
	const char *const *names;
	const char *const *new_names;
	bool has_timestamp;        /* DROP ... USING TIMESTAMP */
	int64_t timestamp;
	int nopts;                 /* ALTER TABLE WITH */
	const sch_option *opts;
} sch_ddl;

/* What a successful DDL changed, for the SCHEMA_CHANGE result / event. */
typedef struct sch_change {
	bool changed;              /* false: IF [NOT] EXISTS no-op -> VOID */
	const char *change_type;   /* CREATED / UPDATED / DROPPED */
	const char *target;        /* KEYSPACE / TABLE / TYPE */
	const char *ks;
	const char *name;          /* NULL for KEYSPACE */
} sch_change;

/*
 * Build the snapshot that results from applying ddl to cur. *out is a new
 * snapshot (refcount 1) or NULL when nothing changed. Pure: usable for
 * schema pulls and tests without a registry. now_micros stamps dropped
 * columns and generates table ids.
 */
int sch_apply(const sch_schema *cur, const sch_ddl *ddl, const sch_registry_config *cfg,
	      int64_t now_micros, sch_schema **out, sch_change *chg, hl_err *err);

/* Apply to the registry's current snapshot and publish the result. */
int sch_registry_apply(sch_registry *r, const sch_ddl *ddl, sch_change *chg, hl_err *err);

/* Conveniences over sch_registry_apply; *changed = false for no-ops. */
int sch_create_keyspace(sch_registry *r, const sch_keyspace_def *def, bool if_not_exists,
			bool *changed, hl_err *err);
int sch_alter_keyspace(sch_registry *r, const sch_keyspace_def *def, bool if_exists,
		       bool *changed, hl_err *err);
int sch_drop_keyspace(sch_registry *r, const char *ks, bool if_exists, bool *changed,
		      hl_err *err);
int sch_create_table(sch_registry *r, const sch_table_def *def, bool if_not_exists,
		     bool *changed, hl_err *err);
int sch_alter_table_add(sch_registry *r, const char *ks, const char *table, int ncols,
			const sch_column_def *cols, bool if_exists, bool if_col_not_exists,
			bool *changed, hl_err *err);
int sch_alter_table_drop(sch_registry *r, const char *ks, const char *table, int n,
			 const char *const *names, bool if_exists, bool if_col_exists,
			 bool *changed, hl_err *err);
int sch_alter_table_rename(sch_registry *r, const char *ks, const char *table, int n,
			   const char *const *from, const char *const *to, bool if_exists,
			   bool *changed, hl_err *err);
int sch_alter_table_with(sch_registry *r, const char *ks, const char *table, int nopts,
			 const sch_option *opts, bool if_exists, bool *changed, hl_err *err);
int sch_drop_table(sch_registry *r, const char *ks, const char *table, bool if_exists,
		   bool *changed, hl_err *err);
int sch_create_type(sch_registry *r, const sch_type_def *def, bool if_not_exists,
		    bool *changed, hl_err *err);
int sch_drop_type(sch_registry *r, const char *ks, const char *name, bool if_exists,
		  bool *changed, hl_err *err);
int sch_create_index(sch_registry *r, const sch_index_def *def, bool if_not_exists,
		     bool *changed, hl_err *err);
int sch_drop_index(sch_registry *r, const char *ks, const char *name, bool if_exists,
		   bool *changed, hl_err *err);

/* ---------------------------------------------------------------- persistence */

/*
 * The schema on disk: <dir>/schema.db holds the user keyspaces (format in
 * persist.c's header and docs/formats.md). sch_save writes it atomically
 * (temp file, fsync, rename, directory fsync): after a crash the file is
 * the old or the new schema, never a mix. sch_load reads it into a new
 * snapshot (refcount 1) identical to the saved one: version UUID, table
 * ids, column ids, dropped columns, params. A missing file gives a fresh
 * system-only snapshot; a truncated or corrupt one is an error naming the
 * file and offset. cfg is accepted for symmetry and not enforced.
 */
int sch_save(const sch_schema *s, const char *dir, hl_err *err);
int sch_load(const char *dir, const sch_registry_config *cfg, sch_schema **out, hl_err *err);
/* The file's bytes, appended to out / decoded from memory (src names it in errors). */
int sch_schema_encode(const sch_schema *s, hl_buf *out, hl_err *err);
int sch_schema_decode(const void *p, size_t n, const char *src, sch_schema **out, hl_err *err);

/* ---------------------------------------------------------------- CQL text */

/* Cassandra's ColumnIdentifier.maybeQuote (reserved words and case). */
void sch_put_ident(hl_buf *out, const char *name);
const char *sch_quote_ident(const char *name, hl_arena *a);
/* Java's Double.toString, as DESCRIBE prints doubles (0.01, 1.0, 1.0E-5). */
void sch_put_double(hl_buf *out, double v);

/* CREATE statements exactly as Cassandra 5.0's DESCRIBE prints them. */
const char *sch_keyspace_cql(const sch_keyspace *k, hl_arena *a);
const char *sch_table_cql(const sch_table *t, bool with_internals, hl_arena *a);
const char *sch_type_cql(const sch_udt *u, hl_arena *a);
const char *sch_index_cql(const sch_table *t, const sch_index *i, hl_arena *a);
const char *sch_view_cql(const sch_table *v, bool with_internals, hl_arena *a);

/* ---------------------------------------------------------------- DESCRIBE */

typedef enum sch_desc_kind {
	SCH_DESC_KEYSPACES,        /* 3-column listings */
	SCH_DESC_TABLES,
	SCH_DESC_TYPES,
	SCH_DESC_FUNCTIONS,        /* no UDFs: always empty */
	SCH_DESC_AGGREGATES,
	SCH_DESC_KEYSPACE,         /* 4-column element rows */
	SCH_DESC_ONLY_KEYSPACE,
	SCH_DESC_TABLE,
	SCH_DESC_TYPE,
	SCH_DESC_INDEX,
	SCH_DESC_VIEW,
	SCH_DESC_FUNCTION,
	SCH_DESC_AGGREGATE,
	SCH_DESC_SCHEMA,
	SCH_DESC_FULL_SCHEMA,
	SCH_DESC_GENERIC,          /* DESCRIBE x / DESCRIBE ks.x */
} sch_desc_kind;

typedef struct sch_desc_req {
	sch_desc_kind kind;
	const char *ks;            /* as written (NULL when not qualified) */
	const char *name;          /* element name (NULL for listings / KEYSPACE uses ks) */
	const char *session_ks;    /* the connection's USE keyspace, or NULL */
	bool with_internals;
} sch_desc_req;

typedef struct sch_desc_row {
	const char *keyspace_name;
	const char *type;          /* keyspace, table, type, index, ... */
	const char *name;
	const char *create_statement;   /* NULL for listings */
} sch_desc_row;

typedef struct sch_desc_result {
	int ncols;                 /* 3 (listing) or 4 */
	int nrows;
	sch_desc_row *rows;
} sch_desc_result;

/* Rows in Cassandra's order; errors are Invalid with Cassandra's messages. */
int sch_describe(const sch_schema *s, const sch_desc_req *req, hl_arena *a,
		 sch_desc_result *out, hl_err *err);

/*
 * DESCRIBE CLUSTER: cluster, partitioner and snitch with the package
 * prefixes stripped. range_ownership (map<text, list<text>>) is added by the
 * caller from the token ring when sch_describe_cluster_has_ownership().
 */
void sch_describe_cluster(const char *cluster_name, const char *partitioner,
			  const char *snitch, const char **out_cluster,
			  const char **out_partitioner, const char **out_snitch);
bool sch_describe_cluster_has_ownership(const char *session_ks);

#endif
