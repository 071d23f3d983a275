/*
 * types: CQL data types. Descriptors, the CQL type-name grammar
 * ("frozen<map<text, int>>"), validation of serialized values, the sort order
 * Cassandra uses for each type, literal -> serialized conversion, value ->
 * CQL text formatting, the protocol [option] encoding of a type, and the
 * JSON form of values (SELECT JSON, INSERT JSON, toJson(), fromJson()).
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
	/* Cassandra 5.0's vector<elem, dim>: no protocol id of its own, it is
	 * sent as the custom type "org.apache.cassandra.db.marshal.VectorType(
	 * <elem class> , <dim>)". */
	TY_VECTOR = 0x0100,
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
	/* VECTOR: the dimension (> 0); sub[0] is the (frozen) element type */
	int dim;
};

/* Static descriptor of a simple (non-parameterized) type. */
const ty_type *ty_simple(ty_kind kind);

/* Build parameterized types in an arena. */
const ty_type *ty_list(hl_arena *a, const ty_type *elem, bool frozen);
const ty_type *ty_set(hl_arena *a, const ty_type *elem, bool frozen);
const ty_type *ty_map(hl_arena *a, const ty_type *k, const ty_type *v, bool frozen);
/* Tuples are always frozen (Cassandra has no multi-cell tuples). */
const ty_type *ty_tuple(hl_arena *a, int n, const ty_type **elems);
/* A UDT descriptor (names and types copied into the arena). */
const ty_type *ty_udt(hl_arena *a, const char *ks, const char *name, int n,
		      const char **field_names, const ty_type **field_types, bool frozen);
/* A custom type named by its Java class. */
const ty_type *ty_custom(hl_arena *a, const char *class_name);
const ty_type *ty_vector(hl_arena *a, const ty_type *elem, int dim);
/* Serialized size of a fixed-width type as Cassandra's valueLengthIfFixed
 * (boolean 1, int/float 4, bigint/double/timestamp 8, uuid/timeuuid 16, a
 * vector of fixed-width elements dim times that), else -1. */
int ty_fixed_width(const ty_type *t);
/* A vector value re-framed as the equivalent list<elem> value (i32 count,
 * [bytes] elements), so list code can print/compare it; -1 if malformed. */
int ty_vector_to_list(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);
/* Append one element of a vector being built (no framing for fixed-width
 * elements, an unsigned vint length before variable-width ones). */
void ty_vector_put_elem(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);
/* The Java class name of a type as Cassandra's AbstractType.toString prints
 * it ("org.apache.cassandra.db.marshal.FloatType"). */
void ty_marshal_name(const ty_type *t, hl_buf *out);
/* t with its frozen flag set/cleared (collections and UDTs only; else t). */
const ty_type *ty_with_frozen(hl_arena *a, const ty_type *t, bool frozen);

/*
 * Parse a CQL type name as written in DDL or stored in system_schema.columns
 * ("int", "varchar", "frozen<list<text>>", "map<text, int>", "tuple<int, text>").
 * Unknown names are an error (Invalid "Unknown type ..."). UDT names need a
 * resolver; NULL means UDTs are unknown.
 */
typedef const ty_type *(*ty_udt_resolver)(void *ctx, const char *ks, const char *name);
int ty_parse(const char *text, size_t len, hl_arena *a, ty_udt_resolver res, void *res_ctx,
	     const char *ks, const ty_type **out, hl_err *err);

/*
 * Append the CQL name as Cassandra 5.0 prints it in system_schema: "text" for
 * varchar, "frozen<map<text, int>>", UDTs by bare (maybe-quoted) name, and
 * tuples always as "frozen<tuple<int, text>>" since every tuple is frozen.
 */
void ty_format(const ty_type *t, hl_buf *out);
/* Same, as a NUL-terminated arena string. */
const char *ty_name(const ty_type *t, hl_arena *a);

bool ty_equal(const ty_type *a, const ty_type *b);
bool ty_is_collection(const ty_type *t);   /* list, set, map (frozen or not) */
/* Stored as one cell per element: a non-frozen collection or UDT. */
bool ty_is_multicell(const ty_type *t);
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
 * Convert a literal to the serialized value of type t, appended to out (out
 * is unchanged on error). Which literal kinds each type accepts follows
 * Cassandra's Constants.Literal: a STRING goes to text/ascii/inet/date/time/
 * timestamp only, HEX to blob (and custom types), FLOAT to float/double/
 * decimal. An INTEGER for date is the raw unsigned day (epoch at 2^31) and
 * for time is nanoseconds, as Cassandra. TY_LIT_NULL is an error here: the
 * caller turns NULL into a tombstone/unset before calling.
 * Collections/tuples/UDTs are built by the caller from element values with
 * ty_pack_* below. Errors are Invalid with Cassandra's wording
 * ("Invalid INTEGER constant (abc) for "k" of type int").
 */
int ty_from_literal(const ty_type *t, const ty_lit *lit, const char *colname, hl_buf *out,
		    hl_err *err);

/*
 * Format a serialized value as CQL literal text that parses back to the same
 * value: 'text' (quotes doubled), 0xcafe, 1.5, NaN, true, uuids bare,
 * '2011-02-03 04:05:00.000000+0000', '2011-02-03', '08:12:54.123456789',
 * '127.0.0.1', 1h30m, [1, 2], {'a': 1}, (1, 'x'), {field: 1}. An empty
 * value of a non-string type appends nothing. Returns -1 (out unchanged)
 * on malformed bytes.
 */
int ty_to_cql(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);
/* Same, but a top-level text/ascii/inet/date/time/timestamp is not quoted (a cqlsh cell). */
int ty_to_text(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);

/*
 * Cassandra's AbstractType.fromString for native types: "123" for int,
 * "0xcafe" or "cafe" for blob, "true", "2011-02-03 04:05+0000", a uuid,
 * "1h30m", ... "" is the empty value for every type but text/ascii (empty
 * string) and duration (error). Composite types are not supported here.
 */
int ty_from_string(const ty_type *t, const char *s, size_t n, hl_buf *out, hl_err *err);

/*
 * JSON (SELECT JSON, INSERT JSON, toJson(), fromJson()), as Cassandra's
 * toJSONString / fromJSONObject.
 *
 * ty_to_json appends the JSON text of a serialized value (a null cell is
 * the caller's to write as "null", as Cassandra's Selection does):
 * numbers bare (float/double as Java prints them, NaN/Infinity as null,
 * decimal as BigDecimal.toString: "1.23E-12"), text escaped as Jackson does,
 * blob "0x...", timestamp "2011-02-03 04:05:00.000Z" (Julian calendar before
 * 1582-10-15, as java.util.Date), date "2011-02-03", time
 * "08:12:54.123456789", duration "1h4m48s20ms" ("" for zero), inet as
 * InetAddress.getHostAddress ("0:0:0:0:0:0:0:1"), list/set/tuple as arrays,
 * map as an object whose non-string keys are their JSON text in a string,
 * UDT as an object keyed by field name (a name with upper case as
 * "\"Foo\""). Empty values print as Cassandra does (mostly ""). Returns -1
 * (out unchanged) on malformed bytes.
 */
int ty_to_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);

/*
 * Parse one JSON value (text after it is ignored, as Jackson's readValue)
 * and append the serialized value of type t. Returns 0; 1 when the JSON is
 * null (nothing appended: bind null); -1 when the value does not fit the
 * type, err holding Cassandra's MarshalException text (the caller adds
 * "Error decoding JSON value for k: " or wraps it for fromJson()); -2 when
 * the text is not JSON, err holding a Jackson-like parser message (the
 * caller adds "Could not decode JSON string '...': " TY_JSON_PARSE_EXC ": ").
 * out is unchanged on error. Collections/tuples/UDTs also accept a JSON
 * string holding their JSON; sets and maps come out sorted and
 * deduplicated; a timestamp takes a string or an integer beyond the int
 * range (Cassandra refuses Jackson's Integer); nesting is capped.
 */
int ty_from_json(const ty_type *t, const char *json, size_t n, hl_buf *out, hl_err *err);
#define TY_JSON_PARSE_EXC "com.fasterxml.jackson.core.JsonParseException"

/*
 * INSERT JSON: split a JSON object into member names and the JSON text of
 * each value (spans into json; a JSON null is the text "null"). Names
 * follow Cassandra's Json.handleCaseSensitivity: "\"Foo\"" is the
 * case-sensitive Foo, any other name is lower-cased; a repeated name keeps
 * the last value. Keys and arrays are allocated in a. Errors are Invalid
 * with Cassandra's full text: "Got null for INSERT JSON values", "Could not
 * decode JSON string as a map: ...".
 */
int ty_json_object(const char *json, size_t n, hl_arena *a, int *npairs, const char ***keys,
		   const char ***vals, size_t **vlens, hl_err *err);

/* A column/field name as a JSON object key, as Cassandra writes it:
 * "k", or "\"Foo\"" for a name that is not all lower case. */
void ty_json_name(const char *name, size_t n, hl_buf *out);

/* Serialized-collection helpers (protocol v3+ framing: i32 counts and lengths). */
void ty_pack_begin(hl_buf *out, size_t *mark);     /* reserves the i32 count */
void ty_pack_elem(hl_buf *out, const uint8_t *p, int32_t n); /* n<0: null */
void ty_pack_end(hl_buf *out, size_t mark, int32_t count);

/* Fixed-width encoders used by system tables and the executor. */
void ty_put_int(hl_buf *out, int32_t v);        /* 4 bytes */
void ty_put_bigint(hl_buf *out, int64_t v);     /* 8 bytes */
void ty_put_bool(hl_buf *out, bool v);
/* Fixed-width decoders; a value of the wrong size (e.g. empty) reads as 0/false. */
int32_t ty_get_int(const uint8_t *p, size_t n);
int64_t ty_get_bigint(const uint8_t *p, size_t n);
bool ty_get_bool(const uint8_t *p, size_t n);

/* ------------------------------------------------------------ arithmetic and CAST (arith.c) */

/* tinyint..varint, decimal, float, double, counter: the operands of arithmetic. */
bool ty_is_numeric(ty_kind k);

/*
 * Result type of `l op r` (op one of + - * / %) as Cassandra's OperationFcts
 * picks it: numeric operands give the widest type (floating point when
 * either is float/double/decimal; varint/decimal beyond 8 bytes);
 * timestamp/date +/- duration keep the temporal type; ascii/text + ascii/text
 * concatenates. NULL when the operation does not exist.
 */
const ty_type *ty_arith_result(const ty_type *l, char op, const ty_type *r);
/*
 * Apply op to two non-empty serialized operands, appending a value of rt
 * (from ty_arith_result). Failures (integer division by zero, a duration
 * that is too precise, 128-bit overflow of varint/decimal) set err to
 * FUNCTION_FAILURE "the operation 'int / int' failed: / by zero" with
 * err->ks "system" and err->table the function name (_add, _divide, ...).
 */
int ty_arith(char op, const ty_type *rt, const ty_type *lt, const uint8_t *lp, size_t ln,
	     const ty_type *rty, const uint8_t *rp, size_t rn, hl_buf *out, hl_err *err);
/* Unary minus of a numeric value (wraps for fixed-width integers). */
int ty_negate(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, hl_err *err);
/* CastFcts' table: numeric <-> numeric, most native types to text/ascii,
 * timestamp/timeuuid -> date, date/timeuuid -> timestamp. */
bool ty_castable(const ty_type *to, const ty_type *from);
/* Convert a non-empty value with Java's conversions (narrowing wraps, double
 * to integer saturates, float to decimal via its shortest text). */
int ty_cast(const ty_type *to, const ty_type *from, const uint8_t *p, size_t n, hl_buf *out,
	    hl_err *err);

#endif
