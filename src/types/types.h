/*
 * types: CQL data types. Descriptors, the CQL type-name grammar
 * ("frozen<map<text, int>>"), validation of serialized values, the sort order
 * Cassandra uses for each type, literal -> serialized conversion, value ->
 * CQL text formatting, and the protocol [option] encoding of a type.
 *
 * Values are always held in their native-protocol serialized form (which is
 * also the on-disk cell form), so the layers above move bytes, never structs.
 *
 * Prefix: ty_.
 */
#ifndef HL_TYPES_H
#define HL_TYPES_H

#include "core/core.h"

/* Kinds use the protocol's [option] ids so encoding a type is direct. */
typedef enum ty_kind {
	TY_CUSTOM = 0x0000,
	TY_ASCII = 0x0001,
	TY_BIGINT = 0x0002,
	TY_BLOB = 0x0003,
	TY_BOOLEAN = 0x0004,
	TY_COUNTER = 0x0005,
	TY_DECIMAL = 0x0006,
	TY_DOUBLE = 0x0007,
	TY_FLOAT = 0x0008,
	TY_INT = 0x0009,
	TY_TIMESTAMP = 0x000B,
	TY_UUID = 0x000C,
	TY_TEXT = 0x000D,        /* varchar */
	TY_VARINT = 0x000E,
	TY_TIMEUUID = 0x000F,
	TY_INET = 0x0010,
	TY_DATE = 0x0011,
	TY_TIME = 0x0012,
	TY_SMALLINT = 0x0013,
	TY_TINYINT = 0x0014,
	TY_DURATION = 0x0015,
	TY_LIST = 0x0020,
	TY_MAP = 0x0021,
	TY_SET = 0x0022,
	TY_UDT = 0x0030,
	TY_TUPLE = 0x0031,
} ty_kind;

typedef struct ty_type ty_type;
struct ty_type {
	ty_kind kind;
	bool frozen;
	int nsub;                    /* list/set: 1, map: 2, tuple/udt: n fields */
	const ty_type **sub;
	/* UDT */
	const char *udt_ks;
	const char *udt_name;
	const char **field_names;    /* nsub entries */
	/* CUSTOM: Java class name */
	const char *custom_class;
};

/* Static descriptor of a simple (non-parameterized) type. */
const ty_type *ty_simple(ty_kind kind);

/* Build parameterized types in an arena. */
const ty_type *ty_list(hl_arena *a, const ty_type *elem, bool frozen);
const ty_type *ty_set(hl_arena *a, const ty_type *elem, bool frozen);
const ty_type *ty_map(hl_arena *a, const ty_type *k, const ty_type *v, bool frozen);
const ty_type *ty_tuple(hl_arena *a, int n, const ty_type **elems);

/*
 * Parse a CQL type name as written in DDL or stored in system_schema.columns
 * ("int", "varchar", "frozen<list<text>>", "map<text, int>", "tuple<int, text>").
 * Unknown names are an error (Invalid "Unknown type ..."). UDT names need a
 * resolver; NULL means UDTs are unknown.
 */
typedef const ty_type *(*ty_udt_resolver)(void *ctx, const char *ks, const char *name);
int ty_parse(const char *text, size_t len, hl_arena *a, ty_udt_resolver res, void *res_ctx,
	     const char *ks, const ty_type **out, hl_err *err);

/* Append the CQL name as Cassandra prints it: "text" for varchar, "frozen<map<text, int>>". */
void ty_format(const ty_type *t, hl_buf *out);
/* Same, as a NUL-terminated arena string. */
const char *ty_name(const ty_type *t, hl_arena *a);

bool ty_equal(const ty_type *a, const ty_type *b);
bool ty_is_collection(const ty_type *t);   /* list, set, map (frozen or not) */
/* Can a value of type `from` be stored in a column of type `to` (ALTER rules, literals)? */
bool ty_compatible(const ty_type *to, const ty_type *from);

/* Protocol [option] encoding of the type (result and bind metadata). */
void ty_encode_option(const ty_type *t, hl_buf *out);
/* Decode an [option] (used by tests and tools). */
int ty_decode_option(hl_rd *r, hl_arena *a, const ty_type **out, hl_err *err);

/*
 * Check a serialized value: sizes (int is 4 bytes, ...), UTF-8 for text, ASCII
 * for ascii, collection framing. Errors are Invalid with Cassandra's messages
 * (e.g. "Expected 4 or 0 byte int (3)", "Invalid UTF-8 bytes ...").
 * An empty value (len 0) is legal for most types, as in Cassandra.
 */
int ty_validate(const ty_type *t, const uint8_t *p, size_t n, hl_err *err);

/* Cassandra's comparator order for two serialized values of type t (-1/0/1). */
int ty_compare(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);

/*
 * Literal constants as the CQL lexer produces them. Conversion follows
 * Cassandra: an integer literal is accepted for int/bigint/varint/smallint/
 * tinyint/counter/float/double/decimal/timestamp/date/time..., a string for
 * text/ascii/timestamp/date/time/inet/duration..., etc.
 */
typedef enum ty_lit_kind {
	TY_LIT_STRING,    /* 'text' (quotes removed, '' unescaped) or $$text$$ */
	TY_LIT_INTEGER,   /* -?[0-9]+ as written */
	TY_LIT_FLOAT,     /* decimal / exponent forms, NaN, Infinity, -Infinity */
	TY_LIT_BOOLEAN,   /* true / false */
	TY_LIT_UUID,      /* unquoted uuid */
	TY_LIT_HEX,       /* 0x... blob */
	TY_LIT_DURATION,  /* 1h30m, P1DT2H, ... */
	TY_LIT_NULL,
} ty_lit_kind;

typedef struct ty_lit {
	ty_lit_kind kind;
	const char *text;    /* the literal's text (string content for STRING) */
	size_t len;
} ty_lit;

/*
 * Convert a literal to the serialized value of type t, appended to out.
 * Collections/tuples/UDTs are built by the caller from element values with
 * ty_pack_* below. Errors are Invalid with Cassandra's wording
 * ("Invalid INTEGER constant (abc) for "k" of type int").
 */
int ty_from_literal(const ty_type *t, const ty_lit *lit, const char *colname, hl_buf *out,
		    hl_err *err);

/* Format a serialized value as CQL literal text (as cqlsh would print it). */
int ty_to_cql(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);

/* Serialized-collection helpers (protocol v3+ framing: i32 counts and lengths). */
void ty_pack_begin(hl_buf *out, size_t *mark);     /* reserves the i32 count */
void ty_pack_elem(hl_buf *out, const uint8_t *p, int32_t n); /* n<0: null */
void ty_pack_end(hl_buf *out, size_t mark, int32_t count);

/* Fixed-width encoders used by system tables and the executor. */
void ty_put_int(hl_buf *out, int32_t v);        /* 4 bytes */
void ty_put_bigint(hl_buf *out, int64_t v);     /* 8 bytes */
void ty_put_bool(hl_buf *out, bool v);

#endif
