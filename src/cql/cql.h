/*
 * cql: the CQL text front end. A hand-written lexer and recursive-descent
 * parser for the CQL dialect of Apache Cassandra 5.0, producing an AST that
 * the query layer prepares against the schema and executes.
 *
 * The whole AST (every node, every string) lives in the caller's arena, so
 * a statement lives exactly as long as its request or prepared-statement
 * entry, and the input text may be freed once cql_parse returns.
 *
 * Names are canonical: unquoted identifiers are lower-cased, quoted ones keep
 * their case with "" unescaped. Types are kept as normalized text that
 * ty_parse() consumes. Literal constants are ty_lit as the types module
 * converts them.
 *
 * Prefix: cql_.
 */
#ifndef HL_CQL_H
#define HL_CQL_H

#include "core/core.h"
#include "types/types.h"

/* Nesting limit for terms, selectors, types and relations: untrusted input
 * must not be able to exhaust the stack. */
#define CQL_MAX_DEPTH 100

/* ------------------------------------------------------------ names */

/* [ks.]name; ks is NULL when the statement did not qualify the name. */
typedef struct cql_qname {
	const char *ks;
	const char *name;
} cql_qname;

/* ------------------------------------------------------------ terms */

typedef enum cql_term_kind {
	CQL_TERM_LITERAL,   /* lit (includes NULL) */
	CQL_TERM_BIND,      /* ? or :name; bind_index, bind_name; in_marker for IN ? */
	CQL_TERM_LIST,      /* [a, b]: items */
	CQL_TERM_SET,       /* {a, b} and the ambiguous {}: items */
	CQL_TERM_MAP,       /* {k: v}: keys, items */
	CQL_TERM_UDT,       /* {field: v}: fields, items */
	CQL_TERM_TUPLE,     /* (a, b): items */
	CQL_TERM_FUNC,      /* [fn_ks.]fn_name(items) */
	CQL_TERM_TYPEHINT,  /* (type) left */
	CQL_TERM_CAST,      /* CAST(left AS type) */
	CQL_TERM_NEG,       /* -left (numeric literals are folded instead) */
	CQL_TERM_BINOP,     /* left op right, op one of + - * / % */
} cql_term_kind;

typedef struct cql_term cql_term;
struct cql_term {
	cql_term_kind kind;
	ty_lit lit;
	int bind_index;
	const char *bind_name;      /* NULL for '?' */
	bool in_marker;             /* the marker stands for a whole IN list */
	int n;
	cql_term **items;
	cql_term **keys;            /* MAP */
	const char **fields;        /* UDT */
	const char *fn_ks, *fn_name;
	const char *type;           /* TYPEHINT, CAST */
	char op;                    /* BINOP */
	cql_term *left, *right;
};

/* ------------------------------------------------------------ selectors */

typedef enum cql_sel_kind {
	CQL_SEL_COLUMN,       /* name */
	CQL_SEL_WRITETIME,    /* WRITETIME(arg): arg is COLUMN, or FIELD/ELEMENT over it */
	CQL_SEL_MAXWRITETIME,
	CQL_SEL_TTL,
	CQL_SEL_COUNT_STAR,   /* count(*) */
	CQL_SEL_FUNC,         /* [fn_ks.]fn_name(args): count(1), count(c), token(a, b)... */
	CQL_SEL_CAST,         /* CAST(arg AS type) */
	CQL_SEL_TERM,         /* a literal, NULL or bind marker: term */
	CQL_SEL_FIELD,        /* arg.name */
	CQL_SEL_ELEMENT,      /* arg[term] */
	CQL_SEL_SLICE,        /* arg[term..term2], either may be NULL */
	CQL_SEL_BINOP,        /* args[0] op args[1] */
	CQL_SEL_NEG,          /* -arg */
	CQL_SEL_TYPEHINT,     /* (type) arg */
	CQL_SEL_LIST,         /* [args] */
	CQL_SEL_SET,          /* {args} */
	CQL_SEL_MAP,          /* {keys: args} (also UDT-shaped literals) */
	CQL_SEL_TUPLE,        /* (args), n >= 2 (one element is just parentheses) */
} cql_sel_kind;

typedef struct cql_sel cql_sel;
struct cql_sel {
	cql_sel_kind kind;
	const char *name;          /* COLUMN, FIELD */
	const char *fn_ks, *fn_name;
	const char *type;          /* CAST, TYPEHINT */
	char op;                   /* BINOP */
	cql_sel *arg;              /* WRITETIME/TTL, CAST, FIELD, ELEMENT, SLICE, NEG, TYPEHINT */
	int n;
	cql_sel **args;            /* FUNC, BINOP, LIST, SET, MAP values, TUPLE */
	cql_sel **keys;            /* MAP */
	cql_term *term, *term2;    /* TERM, ELEMENT, SLICE */
};

typedef struct cql_selector {
	cql_sel *expr;
	const char *alias;         /* AS alias, or NULL */
} cql_selector;

/* ------------------------------------------------------------ relations */

typedef enum cql_op {
	CQL_OP_EQ, CQL_OP_LT, CQL_OP_LTE, CQL_OP_GT, CQL_OP_GTE, CQL_OP_NEQ,
	CQL_OP_IN,            /* values[] or value (an in_marker bind) */
	CQL_OP_CONTAINS, CQL_OP_CONTAINS_KEY,
	CQL_OP_LIKE,
	CQL_OP_IS_NOT_NULL,   /* no value */
	CQL_OP_BETWEEN,       /* values[0], values[1] */
} cql_op;

typedef enum cql_rel_kind {
	CQL_REL_SINGLE,       /* cols[0] op value */
	CQL_REL_TOKEN,        /* token(cols...) op value */
	CQL_REL_ELEMENT,      /* cols[0][key] op value (map element; LWT collection element) */
	CQL_REL_FIELD,        /* cols[0].field op value (LWT conditions only) */
	CQL_REL_MULTI,        /* (cols...) op value (a tuple or marker); IN: values are tuples/markers */
	CQL_REL_EXPR,         /* expr(index, value): index in cols[0] */
} cql_rel_kind;

typedef struct cql_rel {
	cql_rel_kind kind;
	cql_op op;
	int ncols;
	const char **cols;
	cql_term *key;             /* ELEMENT */
	const char *field;         /* FIELD */
	cql_term *value;           /* single value, or the IN marker */
	int nvalues;               /* IN (...) list / BETWEEN */
	cql_term **values;
} cql_rel;

/* ------------------------------------------------------------ DML */

typedef struct cql_attrs {
	cql_term *ttl;             /* USING TTL, or NULL */
	cql_term *timestamp;       /* USING TIMESTAMP, or NULL */
} cql_attrs;

typedef struct cql_order {
	const char *col;
	bool desc;
	cql_term *ann;             /* ORDER BY col ANN OF term */
} cql_order;

typedef struct cql_select {
	bool json, distinct, star;
	int nsel;
	cql_selector *sel;
	cql_qname table;
	int nwhere;
	cql_rel *where;
	int ngroup;
	cql_sel **group;
	int norder;
	cql_order *order;
	cql_term *per_partition_limit;
	cql_term *limit;
	bool allow_filtering;
} cql_select;

typedef struct cql_insert {
	cql_qname table;
	bool json;
	int ncols;                 /* normal form: ncols names and as many values */
	const char **cols;
	cql_term **values;
	cql_term *json_value;      /* JSON form: a STRING literal or a bind marker */
	bool default_unset;        /* JSON ... DEFAULT UNSET */
	bool if_not_exists;
	cql_attrs attrs;
} cql_insert;

typedef enum cql_assign_kind {
	CQL_ASSIGN_SET,            /* c = v */
	CQL_ASSIGN_ADD,            /* c = c + v, c += v */
	CQL_ASSIGN_SUB,            /* c = c - v, c -= v */
	CQL_ASSIGN_PREPEND,        /* c = v + c */
	CQL_ASSIGN_ELEMENT,        /* c[key] = v */
	CQL_ASSIGN_FIELD,          /* c.field = v */
} cql_assign_kind;

typedef struct cql_assign {
	cql_assign_kind kind;
	const char *col;
	cql_term *key;
	const char *field;
	cql_term *value;
} cql_assign;

typedef struct cql_update {
	cql_qname table;
	cql_attrs attrs;
	int nassign;
	cql_assign *assign;
	int nwhere;
	cql_rel *where;
	bool if_exists;
	int nconds;                /* IF c = v AND ...: kinds SINGLE, ELEMENT, FIELD */
	cql_rel *conds;
} cql_update;

typedef struct cql_deletion {
	const char *col;
	cql_term *key;             /* c[key], or NULL */
	const char *field;         /* c.field, or NULL */
} cql_deletion;

typedef struct cql_delete {
	int ndel;                  /* 0: the whole row/partition */
	cql_deletion *del;
	cql_qname table;
	cql_attrs attrs;           /* only timestamp */
	int nwhere;
	cql_rel *where;
	bool if_exists;
	int nconds;
	cql_rel *conds;
} cql_delete;

enum { CQL_BATCH_LOGGED, CQL_BATCH_UNLOGGED, CQL_BATCH_COUNTER };

typedef struct cql_stmt cql_stmt;

typedef struct cql_batch {
	int type;
	cql_attrs attrs;
	int nstmts;
	cql_stmt **stmts;          /* INSERT/UPDATE/DELETE; markers numbered batch-wide */
} cql_batch;

/* ------------------------------------------------------------ DDL */

/* WITH name = value: a constant (or unreserved keyword, as STRING) or a map
 * of constants. */
typedef struct cql_prop {
	const char *name;
	bool is_map;
	ty_lit value;
	int nentries;
	ty_lit *keys;
	ty_lit *vals;
} cql_prop;

typedef struct cql_props {
	int n;
	cql_prop *p;
} cql_props;

typedef struct cql_keyspace_stmt {  /* CREATE / ALTER KEYSPACE */
	const char *name;
	bool if_not_exists;        /* CREATE */
	bool if_exists;            /* ALTER */
	cql_props props;
} cql_keyspace_stmt;

typedef struct cql_coldef {
	const char *name;
	const char *type;          /* normalized type text, e.g. "frozen<map<text, int>>" */
	bool is_static;
} cql_coldef;

typedef struct cql_create_table {
	cql_qname name;
	bool if_not_exists;
	int ncols;
	cql_coldef *cols;
	int npk;                   /* partition key columns */
	const char **pk;
	int nck;                   /* clustering columns */
	const char **ck;
	int norder;                /* CLUSTERING ORDER BY */
	const char **order_cols;
	bool *order_desc;
	bool compact_storage;
	cql_props props;
} cql_create_table;

typedef enum cql_alter_table_op {
	CQL_ALTER_ADD,             /* cols (name, type, static) */
	CQL_ALTER_DROP,            /* cols (names only); drop_timestamp */
	CQL_ALTER_RENAME,          /* nrenames pairs */
	CQL_ALTER_WITH,            /* props */
	CQL_ALTER_TYPE,            /* cols[0] name and new type */
	CQL_ALTER_DROP_COMPACT,    /* DROP COMPACT STORAGE */
	CQL_ALTER_OTHER,           /* column masks / constraints: parsed, unsupported */
} cql_alter_table_op;

typedef struct cql_alter_table {
	cql_qname name;
	bool if_exists;            /* ALTER TABLE IF EXISTS */
	cql_alter_table_op op;
	bool col_if;               /* ADD IF NOT EXISTS / DROP IF EXISTS / RENAME IF EXISTS */
	int ncols;
	cql_coldef *cols;
	cql_term *drop_timestamp;
	int nrenames;
	const char **from, **to;
	cql_props props;
} cql_alter_table;

typedef struct cql_create_type {
	cql_qname name;
	bool if_not_exists;
	int nfields;
	cql_coldef *fields;        /* is_static unused */
} cql_create_type;

typedef enum cql_alter_type_op {
	CQL_ALTER_TYPE_ADD,        /* fields[0] */
	CQL_ALTER_TYPE_ALTER,      /* fields[0]: field and new type */
	CQL_ALTER_TYPE_RENAME,     /* from/to pairs */
} cql_alter_type_op;

typedef struct cql_alter_type {
	cql_qname name;
	bool if_exists;
	cql_alter_type_op op;
	bool field_if;
	cql_coldef field;
	int nrenames;
	const char **from, **to;
} cql_alter_type;

typedef enum cql_index_kind {
	CQL_INDEX_SIMPLE, CQL_INDEX_KEYS, CQL_INDEX_VALUES, CQL_INDEX_ENTRIES, CQL_INDEX_FULL,
} cql_index_kind;

typedef struct cql_index_target {
	cql_index_kind kind;
	const char *col;
} cql_index_target;

typedef struct cql_create_index {
	bool custom;
	bool if_not_exists;
	const char *name;          /* NULL: generated by the executor */
	cql_qname table;
	int ntargets;
	cql_index_target *targets;
	const char *using_class;   /* USING 'class', or NULL */
	cql_props props;           /* WITH OPTIONS = {...} etc. */
} cql_create_index;

typedef struct cql_create_view {
	cql_qname name;
	bool if_not_exists;
	cql_qname base;
	bool star;
	int nsel;
	cql_selector *sel;
	int nwhere;
	cql_rel *where;
	int npk;
	const char **pk;
	int nck;
	const char **ck;
	int norder;
	const char **order_cols;
	bool *order_desc;
	cql_props props;
} cql_create_view;

/* DROP KEYSPACE/TABLE/TYPE/INDEX/MATERIALIZED VIEW/FUNCTION/AGGREGATE, ALTER
 * MATERIALIZED VIEW (props), TRUNCATE, USE (name.name is the keyspace). */
typedef struct cql_drop {
	cql_qname name;
	bool if_exists;
	cql_props props;           /* ALTER MATERIALIZED VIEW only */
} cql_drop;

typedef enum cql_describe_kind {
	CQL_DESC_CLUSTER, CQL_DESC_SCHEMA, CQL_DESC_KEYSPACES, CQL_DESC_KEYSPACE,
	CQL_DESC_TABLES, CQL_DESC_TABLE, CQL_DESC_INDEX, CQL_DESC_VIEW,
	CQL_DESC_TYPES, CQL_DESC_TYPE, CQL_DESC_FUNCTIONS, CQL_DESC_FUNCTION,
	CQL_DESC_AGGREGATES, CQL_DESC_AGGREGATE, CQL_DESC_GENERIC,
} cql_describe_kind;

typedef struct cql_describe {
	cql_describe_kind what;
	bool full;                 /* FULL SCHEMA */
	bool only;                 /* ONLY KEYSPACE */
	bool internals;            /* WITH INTERNALS */
	cql_qname name;            /* KEYSPACE: name.name (NULL: current); others ks may be NULL */
} cql_describe;

/* ------------------------------------------------------------ statements */

typedef enum cql_stmt_kind {
	CQL_STMT_USE,
	CQL_STMT_SELECT,
	CQL_STMT_INSERT,
	CQL_STMT_UPDATE,
	CQL_STMT_DELETE,
	CQL_STMT_BATCH,
	CQL_STMT_TRUNCATE,         /* drop.name */
	CQL_STMT_CREATE_KEYSPACE,
	CQL_STMT_ALTER_KEYSPACE,
	CQL_STMT_DROP_KEYSPACE,    /* drop.name.name */
	CQL_STMT_CREATE_TABLE,
	CQL_STMT_ALTER_TABLE,
	CQL_STMT_DROP_TABLE,
	CQL_STMT_CREATE_TYPE,
	CQL_STMT_ALTER_TYPE,
	CQL_STMT_DROP_TYPE,
	CQL_STMT_CREATE_INDEX,
	CQL_STMT_DROP_INDEX,
	CQL_STMT_CREATE_VIEW,
	CQL_STMT_ALTER_VIEW,
	CQL_STMT_DROP_VIEW,
	CQL_STMT_DROP_FUNCTION,
	CQL_STMT_DROP_AGGREGATE,
	CQL_STMT_DESCRIBE,
	/* Recognised by its leading keywords but not parsed further (functions,
	 * aggregates, triggers, roles, users, permissions, identities): the
	 * executor answers Invalid naming `unsupported`. */
	CQL_STMT_UNSUPPORTED,
} cql_stmt_kind;

struct cql_stmt {
	cql_stmt_kind kind;
	/* Bind markers in order of appearance: bind_names[i] is the name of the
	 * marker with index i, NULL for '?'. For a batch, numbered batch-wide. */
	int nbind;
	const char **bind_names;
	union {
		cql_drop use;          /* name.name is the keyspace */
		cql_select select;
		cql_insert insert;
		cql_update update;
		cql_delete del;
		cql_batch batch;
		cql_drop truncate;
		cql_keyspace_stmt keyspace;
		cql_create_table create_table;
		cql_alter_table alter_table;
		cql_create_type create_type;
		cql_alter_type alter_type;
		cql_create_index create_index;
		cql_create_view create_view;
		cql_drop drop;
		cql_describe describe;
		const char *unsupported;   /* e.g. "CREATE FUNCTION", "GRANT" */
	};
};

/*
 * Parse exactly one statement from text[0..len) (not NUL terminated, may
 * contain any bytes), optionally followed by ';' and whitespace/comments.
 * On success *out is allocated in a and 0 is returned. On failure -1 with
 * err filled: HL_ERR_SYNTAX with ANTLR-style wording ("line 1:9 no viable
 * alternative at input 'frm'"), or HL_ERR_INVALID for the few checks
 * Cassandra makes while parsing.
 */
int cql_parse(const char *text, size_t len, hl_arena *a, cql_stmt **out, hl_err *err);

/* Operator text as CQL writes it ("=", "IN", "CONTAINS KEY", ...). */
const char *cql_op_str(cql_op op);
/* Statement kind name for messages/logs ("SELECT", "CREATE TABLE", ...). */
const char *cql_stmt_kind_str(cql_stmt_kind k);

#endif
