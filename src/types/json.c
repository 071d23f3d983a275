/*
 * types/json.c: the JSON form of CQL values, for SELECT JSON, INSERT JSON,
 * toJson() and fromJson(). Output follows each Cassandra type's
 * toJSONString; input follows fromJSONObject applied to what Jackson's
 * untyped reader makes of the text (Integer/Long/BigInteger, Double,
 * String, Boolean, ArrayList, LinkedHashMap), including the error texts,
 * which quote those Java objects' toString() and class names.
 *
 * The JSON reader is bounds-checked, caps nesting and number lengths, and
 * reports malformed text with Jackson-like messages.
 */
#include "types/types_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAX_JSON_DEPTH = 256,        /* nesting of arrays/objects in one text */
	MAX_TYPE_DEPTH = 64,         /* nesting of types (as cql.c) */
	MAX_NUMBER_LEN = 1000,       /* Jackson's StreamReadConstraints default */
	MAX_NUMERIC_STRING = 100000, /* digits given to varint/decimal as strings */
};

/* ================================================================ output */

/* Jackson's JsonStringEncoder.quoteAsString: short escapes for " \ \b \t \f
 * \n \r, \u00XX (upper-case hex) for other control characters, the rest
 * (including non-ASCII) as is. */
static void put_escaped(hl_buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];
		char e[6];
		size_t el = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		hl_buf_put(out, p + start, i - start);
		start = i + 1;
		e[0] = '\\';
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\t': e[1] = 't'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			el = 6;
		}
		hl_buf_put(out, e, el);
	}
	hl_buf_put(out, p + start, n - start);
}

static void put_jstring(hl_buf *out, const void *p, size_t n)
{
	hl_buf_u8(out, '"');
	put_escaped(out, p, n);
	hl_buf_u8(out, '"');
}

static bool has_upper(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

void ty_json_name(const char *name, size_t n, hl_buf *out)
{
	/* a name that is not all lower case is written as the quoted identifier */
	hl_buf_u8(out, '"');
	if (has_upper(name, n)) {
		hl_buf_str(out, "\\\"");
		put_escaped(out, (const uint8_t *)name, n);
		hl_buf_str(out, "\\\"");
	} else {
		put_escaped(out, (const uint8_t *)name, n);
	}
	hl_buf_u8(out, '"');
}

/*
 * Java's Double.toString / Float.toString: the shortest digits that read
 * back to the same value, laid out as "123.0", "0.001", or "1.0E7" /
 * "1.234E-5" outside [1e-3, 1e7).
 */

/* BigDecimal.toString: plain unless the scale is negative or the adjusted
 * exponent is below -6, then "1.23E-12" / "1E+3". */
void ty__put_bigdecimal(hl_buf *out, const uint8_t *p, size_t n)
{
	int32_t scale = (int32_t)ty__be32(p);
	hl_buf t;
	const char *c;
	size_t len, i;
	int64_t adjusted;

	hl_buf_init(&t);
	ty__varint_to_dec(p + 4, n - 4, &t);
	c = (const char *)t.p;
	len = t.len;
	if (c[0] == '-') {
		hl_buf_u8(out, '-');
		c++;
		len--;
	}
	adjusted = -(int64_t)scale + (int64_t)(len - 1);
	if (scale >= 0 && adjusted >= -6) {
		if (scale == 0) {
			hl_buf_put(out, c, len);
		} else if (len > (size_t)scale) {
			hl_buf_put(out, c, len - (size_t)scale);
			hl_buf_u8(out, '.');
			hl_buf_put(out, c + len - (size_t)scale, (size_t)scale);
		} else {
			hl_buf_str(out, "0.");
			for (i = len; i < (size_t)scale; i++)
				hl_buf_u8(out, '0');
			hl_buf_put(out, c, len);
		}
	} else {
		hl_buf_u8(out, (uint8_t)c[0]);
		if (len > 1) {
			hl_buf_u8(out, '.');
			hl_buf_put(out, c + 1, len - 1);
		}
		if (adjusted != 0)
			hl_buf_printf(out, "E%s%lld", adjusted > 0 ? "+" : "", (long long)adjusted);
	}
	hl_buf_free(&t);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* 1582-10-15T00:00Z: java.util.GregorianCalendar's default cutover. */
#define GREGORIAN_CUTOVER_MS (-12219292800000LL)

/*
 * SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSX") in UTC over java.util.Date:
 * Julian calendar before the Gregorian cutover, and the year of era (no
 * sign, "0001" for 1 BC) as the year.
 */
static void put_json_timestamp(hl_buf *out, int64_t ms)
{
	int64_t days = floor_div(ms, 86400000), rem = ms - days * 86400000, y;
	int m, d;

	if (ms < GREGORIAN_CUTOVER_MS) {
		int64_t c = days + 2440588 + 32082, dd, e, mm;

		dd = floor_div(4 * c + 3, 1461);
		e = c - floor_div(1461 * dd, 4);
		mm = floor_div(5 * e + 2, 153);
		d = (int)(e - floor_div(153 * mm + 2, 5) + 1);
		m = (int)(mm + 3 - 12 * floor_div(mm, 10));
		y = dd - 4800 + floor_div(mm, 10);
	} else {
		ty__civil_from_days(days, &y, &m, &d);
	}
	if (y <= 0)
		y = 1 - y;
	hl_buf_printf(out, "\"%04lld-%02d-%02d %02d:%02d:%02d.%03dZ\"", (long long)y, m, d,
		      (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
		      (int)(rem % 1000));
}

/* Cassandra's Duration.toString: like CQL's form, but "" for zero. */
static void put_json_duration(hl_buf *out, int64_t mo, int64_t d, int64_t ns)
{
	hl_buf_u8(out, '"');
	if (mo || d || ns)
		ty__put_duration(out, mo, d, ns);
	hl_buf_u8(out, '"');
}

/* InetAddress.getHostAddress: dotted IPv4 (also for IPv4-mapped IPv6, which
 * Java turns into an Inet4Address), IPv6 as eight uncompressed groups. */
static void put_json_inet(hl_buf *out, const uint8_t *p, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int i;

	if (n == 16 && memcmp(p, mapped, 12) == 0) {
		p += 12;
		n = 4;
	}
	if (n == 4) {
		hl_buf_printf(out, "\"%u.%u.%u.%u\"", p[0], p[1], p[2], p[3]);
		return;
	}
	hl_buf_u8(out, '"');
	for (i = 0; i < 8; i++)
		hl_buf_printf(out, "%s%x", i ? ":" : "", (unsigned)(p[2 * i] << 8 | p[2 * i + 1]));
	hl_buf_u8(out, '"');
}

static int to_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth);

/* An element of a collection/tuple; a null one (len < 0) is "null". */
static int elem_json(const ty_type *t, hl_rd *r, hl_buf *out, int depth)
{
	int32_t len;
	const uint8_t *e;

	if (hl_rd_i32(r, &len))
		return -1;
	if (len < 0) {
		hl_buf_str(out, "null");
		return 0;
	}
	if (hl_rd_raw(r, (size_t)len, &e))
		return -1;
	return to_json(t, e, (size_t)len, out, depth + 1);
}

static int collection_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth)
{
	hl_rd r;
	int32_t count, i;
	bool map = t->kind == TY_MAP;

	hl_rd_init(&r, p, n);
	if (hl_rd_i32(&r, &count) || count < 0)
		return -1;
	hl_buf_u8(out, map ? '{' : '[');
	for (i = 0; i < count; i++) {
		if (i)
			hl_buf_str(out, ", ");
		if (map) {
			hl_buf k;
			int rc;

			/* JSON keys are strings: a non-string key is its JSON text quoted */
			hl_buf_init(&k);
			rc = elem_json(t->sub[0], &r, &k, depth);
			if (rc == 0 && k.len && k.p[0] == '"')
				hl_buf_put(out, k.p, k.len);
			else if (rc == 0)
				put_jstring(out, k.p, k.len);
			hl_buf_free(&k);
			if (rc)
				return -1;
			hl_buf_str(out, ": ");
			if (elem_json(t->sub[1], &r, out, depth))
				return -1;
		} else if (elem_json(t->sub[0], &r, out, depth)) {
			return -1;
		}
	}
	hl_buf_u8(out, map ? '}' : ']');
	return 0;
}

static int fields_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth)
{
	hl_rd r;
	int i;
	bool udt = t->kind == TY_UDT;

	hl_rd_init(&r, p, n);
	hl_buf_u8(out, udt ? '{' : '[');
	for (i = 0; i < t->nsub; i++) {
		if (i)
			hl_buf_str(out, ", ");
		if (udt) {
			ty_json_name(t->field_names[i], strlen(t->field_names[i]), out);
			hl_buf_str(out, ": ");
		}
		/* a value with fewer fields than the type: the rest are null */
		if (hl_rd_left(&r) == 0)
			hl_buf_str(out, "null");
		else if (elem_json(t->sub[i], &r, out, depth))
			return -1;
	}
	hl_buf_u8(out, udt ? '}' : ']');
	return 0;
}

static int to_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth)
{
	if (depth > MAX_TYPE_DEPTH)
		return -1;
	if (n == 0) {
		/* Cassandra's "empty" value: what each toJSONString makes of it */
		switch (t->kind) {
		case TY_BLOB:
		case TY_CUSTOM:
			hl_buf_str(out, "\"0x\"");
			return 0;
		case TY_TIME:
			hl_buf_str(out, "\"null\"");  /* TimeSerializer.toString(null) */
			return 0;
		case TY_LIST:
		case TY_SET:
		case TY_MAP:
			hl_buf_str(out, "null");
			return 0;
		case TY_TUPLE:
		case TY_UDT:
			return fields_json(t, p, 0, out, depth);
		default:
			hl_buf_str(out, "\"\"");
			return 0;
		}
	}
	switch (t->kind) {
	case TY_ASCII:
	case TY_TEXT:
		put_jstring(out, p, n);
		return 0;
	case TY_BLOB:
	case TY_CUSTOM: {
		static const char hex[] = "0123456789abcdef";
		size_t i;

		hl_buf_reserve(out, 2 * n + 4);
		hl_buf_str(out, "\"0x");
		for (i = 0; i < n; i++) {
			hl_buf_u8(out, (uint8_t)hex[p[i] >> 4]);
			hl_buf_u8(out, (uint8_t)hex[p[i] & 15]);
		}
		hl_buf_u8(out, '"');
		return 0;
	}
	case TY_BOOLEAN:
	case TY_INT:
	case TY_BIGINT:
	case TY_COUNTER:
	case TY_SMALLINT:
	case TY_TINYINT:
		return ty__put_fixed(t->kind, p, n, out);
	case TY_FLOAT:
	case TY_DOUBLE: {
		double v;

		if (n != (t->kind == TY_FLOAT ? 4u : 8u))
			return -1;
		if (t->kind == TY_FLOAT) {
			uint32_t u = ty__be32(p);
			float f;

			memcpy(&f, &u, sizeof f);
			v = f;
		} else {
			uint64_t u = ty__be64(p);

			memcpy(&v, &u, sizeof v);
		}
		/* JSON has no NaN/Infinity: Cassandra writes null */
		if (isnan(v) || isinf(v))
			hl_buf_str(out, "null");
		else
			hl_buf_java_double(out, v, t->kind == TY_FLOAT);
		return 0;
	}
	case TY_VARINT:
		ty__varint_to_dec(p, n, out);
		return 0;
	case TY_DECIMAL:
		if (n < 4)
			return -1;
		if (n == 4) {
			hl_buf_str(out, "\"\"");  /* BigDecimal of an empty varint is null */
			return 0;
		}
		ty__put_bigdecimal(out, p, n);
		return 0;
	case TY_UUID:
	case TY_TIMEUUID: {
		hl_uuid u;
		char s[37];

		if (n != 16)
			return -1;
		memcpy(u.b, p, 16);
		hl_uuid_str(&u, s);
		hl_buf_printf(out, "\"%s\"", s);
		return 0;
	}
	case TY_INET:
		if (n != 4 && n != 16)
			return -1;
		put_json_inet(out, p, n);
		return 0;
	case TY_TIMESTAMP:
		if (n != 8)
			return -1;
		put_json_timestamp(out, (int64_t)ty__be64(p));
		return 0;
	case TY_DATE:
		if (n != 4)
			return -1;
		hl_buf_u8(out, '"');
		ty__put_date(out, (int64_t)ty__be32(p) - TY_DATE_EPOCH);
		hl_buf_u8(out, '"');
		return 0;
	case TY_TIME: {
		int64_t v;

		if (n != 8)
			return -1;
		v = (int64_t)ty__be64(p);
		if (v < 0 || v >= TY_NANOS_PER_DAY)
			return -1;
		hl_buf_printf(out, "\"%02d:%02d:%02d.%09d\"", (int)(v / 3600000000000LL),
			      (int)(v / 60000000000LL % 60), (int)(v / 1000000000 % 60), (int)(v % 1000000000));
		return 0;
	}
	case TY_DURATION: {
		hl_rd r;
		int64_t mo, d, ns;

		hl_rd_init(&r, p, n);
		if (hl_rd_vint(&r, &mo) || hl_rd_vint(&r, &d) || hl_rd_vint(&r, &ns) || hl_rd_left(&r))
			return -1;
		put_json_duration(out, mo, d, ns);
		return 0;
	}
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		return collection_json(t, p, n, out, depth);
	case TY_TUPLE:
	case TY_UDT:
		return fields_json(t, p, n, out, depth);
	case TY_VECTOR: {
		hl_buf l;
		int rc = -1;
		ty_type lt = { .kind = TY_LIST, .frozen = true, .nsub = 1, .sub = t->sub };

		hl_buf_init(&l);
		if (ty_vector_to_list(t, p, n, &l) == 0)
			rc = collection_json(&lt, l.p, l.len, out, depth);
		hl_buf_free(&l);
		return rc;
	}
	}
	return -1;
}

int ty_to_json(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	size_t mark = out->len;

	if (to_json(t, p, n, out, 0)) {
		out->len = mark;
		return -1;
	}
	return 0;
}

/* ================================================================ reader */

/* What Jackson's untyped reader produces, by Java class. */
typedef enum jkind { J_NULL, J_BOOL, J_INTEGER, J_LONG, J_BIGINT, J_DOUBLE, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jv jv;
struct jv {
	jkind kind;
	bool b;
	const char *s;         /* J_STR: decoded UTF-8; numbers: the token */
	size_t n;
	size_t lone;           /* J_STR: offset of the first unpaired surrogate ('?'), or SIZE_MAX */
	int count;             /* J_ARR / J_OBJ */
	jv **items;            /* elements / member values */
	jv **keys;             /* J_OBJ member names (J_STR), unique, first-seen order */
	const char *raw;       /* the value's JSON text */
	size_t rawlen;
};

typedef struct jparser {
	const char *p;
	size_t n, i;
	hl_arena *a;
	int depth;
	bool failed;
	char msg[420];
} jparser;

static void jfail(jparser *jp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jfail(jparser *jp, const char *fmt, ...)
{
	va_list ap;
	size_t i, line = 1, col = 1, len;

	if (jp->failed)
		return;
	jp->failed = true;
	va_start(ap, fmt);
	vsnprintf(jp->msg, sizeof jp->msg, fmt, ap);
	va_end(ap);
	for (i = 0; i < jp->i && i < jp->n; i++) {
		if (jp->p[i] == '\n') {
			line++;
			col = 1;
		} else if (((uint8_t)jp->p[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	len = strlen(jp->msg);
	snprintf(jp->msg + len, sizeof jp->msg - len, "\n at [Source: (String)\"%.*s\"%s; line: %zu, column: %zu]",
		 (int)(jp->n > 60 ? 60 : jp->n), jp->p, jp->n > 60 ? "[truncated]" : "", line, col);
}

/* Jackson's _getCharDesc for the character at s[i] (UTF-8). */
static void char_desc(const char *s, size_t n, size_t i, char *buf, size_t cap)
{
	const uint8_t *u = (const uint8_t *)s + i;
	uint32_t cp = u[0];
	size_t len = 1, k;

	if (cp >= 0xC0) {
		len = cp >= 0xF0 ? 4 : cp >= 0xE0 ? 3 : 2;
		if (i + len > n) {
			len = 1;
		} else {
			cp &= 0x3F >> (len - 1);
			for (k = 1; k < len; k++)
				cp = cp << 6 | (u[k] & 0x3F);
		}
	}
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		snprintf(buf, cap, "(CTRL-CHAR, code %u)", cp);
	else if (cp > 255)
		snprintf(buf, cap, "'%.*s' (code %u / 0x%x)", (int)len, s + i, cp, cp);
	else
		snprintf(buf, cap, "'%.*s' (code %u)", (int)len, s + i, cp);
}

static void junexpected(jparser *jp, const char *what)
{
	char d[64];

	char_desc(jp->p, jp->n, jp->i, d, sizeof d);
	jfail(jp, "Unexpected character (%s): %s", d, what);
}

static void jbad_number(jparser *jp, const char *what)
{
	char d[64];

	char_desc(jp->p, jp->n, jp->i, d, sizeof d);
	jfail(jp, "Unexpected character (%s) in numeric value: %s", d, what);
}

static void skip_ws(jparser *jp)
{
	while (jp->i < jp->n && (jp->p[jp->i] == ' ' || jp->p[jp->i] == '\t' || jp->p[jp->i] == '\n' ||
				 jp->p[jp->i] == '\r'))
		jp->i++;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || (uint8_t)c >= 0x80;
}

static jv *new_jv(jparser *jp, jkind k, size_t start)
{
	jv *v = hl_arena_zalloc(jp->a, sizeof *v);

	v->kind = k;
	v->raw = jp->p + start;
	return v;
}

static const char *const VALUE_EXPECTED =
	"expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

static void bad_token(jparser *jp)
{
	size_t e = jp->i;

	while (e < jp->n && e - jp->i < 256 && ident_char(jp->p[e]))
		e++;
	if (e == jp->i) {
		junexpected(jp, VALUE_EXPECTED);
		return;
	}
	if ((e - jp->i == 3 && memcmp(jp->p + jp->i, "NaN", 3) == 0) ||
	    (e - jp->i == 8 && memcmp(jp->p + jp->i, "Infinity", 8) == 0)) {
		jfail(jp, "Non-standard token '%.*s': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow",
		      (int)(e - jp->i), jp->p + jp->i);
		return;
	}
	jfail(jp, "Unrecognized token '%.*s': was expecting (JSON String, Number, Array, Object or token "
	      "'null', 'true' or 'false')", (int)(e - jp->i), jp->p + jp->i);
}

static void put_utf8(hl_buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		hl_buf_u8(b, (uint8_t)cp);
	} else if (cp < 0x800) {
		hl_buf_u8(b, (uint8_t)(0xC0 | cp >> 6));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		hl_buf_u8(b, (uint8_t)(0xE0 | cp >> 12));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else {
		hl_buf_u8(b, (uint8_t)(0xF0 | cp >> 18));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp >> 12 & 0x3F)));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp >> 6 & 0x3F)));
		hl_buf_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	}
}

/* Four hex digits of a \u escape at jp->i. */
static int read_u4(jparser *jp, uint32_t *cp)
{
	int k, h;

	*cp = 0;
	for (k = 0; k < 4; k++) {
		if (jp->i >= jp->n) {
			jfail(jp, "Unexpected end-of-input in character escape sequence");
			return -1;
		}
		h = hl_hexval(jp->p[jp->i]);
		if (h < 0) {
			junexpected(jp, "expected a hex-digit for character escape sequence");
			return -1;
		}
		*cp = *cp << 4 | (uint32_t)h;
		jp->i++;
	}
	return 0;
}

/* A string at jp->i (on the opening quote), decoded into the arena. */
static int parse_string(jparser *jp, const char **s, size_t *len, size_t *lone)
{
	hl_buf b;
	size_t start;

	*lone = SIZE_MAX;
	hl_buf_init(&b);
	jp->i++;
	for (;;) {
		uint8_t c;

		start = jp->i;
		while (jp->i < jp->n && jp->p[jp->i] != '"' && jp->p[jp->i] != '\\' && (uint8_t)jp->p[jp->i] >= 0x20)
			jp->i++;
		hl_buf_put(&b, jp->p + start, jp->i - start);
		if (jp->i >= jp->n) {
			jfail(jp, "Unexpected end-of-input: was expecting closing quote for a string value");
			goto bad;
		}
		c = (uint8_t)jp->p[jp->i];
		if (c == '"') {
			jp->i++;
			break;
		}
		if (c < 0x20) {
			jfail(jp, "Illegal unquoted character ((CTRL-CHAR, code %u)): has to be escaped using "
			      "backslash to be included in string value", c);
			goto bad;
		}
		/* an escape */
		jp->i++;
		if (jp->i >= jp->n) {
			jfail(jp, "Unexpected end-of-input in character escape sequence");
			goto bad;
		}
		c = (uint8_t)jp->p[jp->i];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			hl_buf_u8(&b, c);
			jp->i++;
			break;
		case 'b': hl_buf_u8(&b, '\b'); jp->i++; break;
		case 'f': hl_buf_u8(&b, '\f'); jp->i++; break;
		case 'n': hl_buf_u8(&b, '\n'); jp->i++; break;
		case 'r': hl_buf_u8(&b, '\r'); jp->i++; break;
		case 't': hl_buf_u8(&b, '\t'); jp->i++; break;
		case 'u': {
			uint32_t cp, lo;

			jp->i++;
			if (read_u4(jp, &cp))
				goto bad;
			if (cp >= 0xD800 && cp <= 0xDBFF && jp->i + 1 < jp->n && jp->p[jp->i] == '\\' &&
			    jp->p[jp->i + 1] == 'u') {
				size_t save = jp->i;

				jp->i += 2;
				if (read_u4(jp, &lo))
					goto bad;
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					put_utf8(&b, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
					break;
				}
				jp->i = save;
			}
			/* an unpaired surrogate becomes '?', as Java's String.getBytes(UTF_8) */
			if (cp >= 0xD800 && cp <= 0xDFFF && *lone == SIZE_MAX)
				*lone = b.len;
			put_utf8(&b, cp >= 0xD800 && cp <= 0xDFFF ? '?' : cp);
			break;
		}
		default: {
			char d[64];

			char_desc(jp->p, jp->n, jp->i, d, sizeof d);
			jfail(jp, "Unrecognized character escape %s", d);
			goto bad;
		}
		}
	}
	if (!hl_utf8_valid(b.p, b.len)) {
		jfail(jp, "Invalid UTF-8 in a string value");
		goto bad;
	}
	*s = b.len ? hl_arena_memdup(jp->a, b.p, b.len) : "";
	*len = b.len;
	hl_buf_free(&b);
	return 0;
bad:
	hl_buf_free(&b);
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Jackson's class for an integer token: Integer, Long or BigInteger. */
static jkind int_class(const char *s, size_t n)
{
	bool neg = s[0] == '-';
	size_t i = neg, nd = n - neg;
	uint64_t v = 0;

	if (nd > 19)
		return J_BIGINT;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return J_BIGINT;
		v = v * 10 + d;
	}
	if (neg ? v <= 2147483648ULL : v <= 2147483647ULL)
		return J_INTEGER;
	if (neg ? v <= (uint64_t)INT64_MAX + 1 : v <= (uint64_t)INT64_MAX)
		return J_LONG;
	return J_BIGINT;
}

static jv *parse_number(jparser *jp, bool root)
{
	size_t start = jp->i;
	bool fp = false;
	jv *v;

	if (jp->p[jp->i] == '-') {
		jp->i++;
		if (jp->i >= jp->n) {
			jfail(jp, "Unexpected end-of-input in numeric value");
			return NULL;
		}
		if (!is_digit(jp->p[jp->i])) {
			if (jp->p[jp->i] == 'I') {
				bad_token(jp);
				return NULL;
			}
			jbad_number(jp, "expected digit (0-9) to follow minus sign, for valid numeric value");
			return NULL;
		}
	}
	if (jp->p[jp->i] == '0' && jp->i + 1 < jp->n && is_digit(jp->p[jp->i + 1])) {
		jfail(jp, "Invalid numeric value: Leading zeroes not allowed");
		return NULL;
	}
	while (jp->i < jp->n && is_digit(jp->p[jp->i]))
		jp->i++;
	if (jp->i < jp->n && jp->p[jp->i] == '.') {
		fp = true;
		jp->i++;
		if (jp->i >= jp->n || !is_digit(jp->p[jp->i])) {
			if (jp->i >= jp->n)
				jfail(jp, "Unexpected end-of-input in numeric value: Decimal point not followed by a digit");
			else
				jbad_number(jp, "Decimal point not followed by a digit");
			return NULL;
		}
		while (jp->i < jp->n && is_digit(jp->p[jp->i]))
			jp->i++;
	}
	if (jp->i < jp->n && (jp->p[jp->i] == 'e' || jp->p[jp->i] == 'E')) {
		fp = true;
		jp->i++;
		if (jp->i < jp->n && (jp->p[jp->i] == '+' || jp->p[jp->i] == '-'))
			jp->i++;
		if (jp->i >= jp->n || !is_digit(jp->p[jp->i])) {
			if (jp->i >= jp->n)
				jfail(jp, "Unexpected end-of-input in numeric value: Exponent indicator not followed by a digit");
			else
				jbad_number(jp, "Exponent indicator not followed by a digit");
			return NULL;
		}
		while (jp->i < jp->n && is_digit(jp->p[jp->i]))
			jp->i++;
	}
	if (jp->i - start > MAX_NUMBER_LEN) {
		jfail(jp, "Number value length (%zu) exceeds the maximum allowed (%d)", jp->i - start,
		      MAX_NUMBER_LEN);
		return NULL;
	}
	if (root && jp->i < jp->n && !strchr(" \t\r\n", jp->p[jp->i])) {
		junexpected(jp, "Expected space separating root-level values");
		return NULL;
	}
	v = new_jv(jp, fp ? J_DOUBLE : int_class(jp->p + start, jp->i - start), start);
	v->s = jp->p + start;
	v->n = jp->i - start;
	return v;
}

static jv *parse_value(jparser *jp, bool root);

/* Collects children on the heap, then moves them into the arena. */
typedef struct jlist {
	jv **v;
	int n, cap;
} jlist;

static void jlist_add(jlist *l, jv *v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = hl_realloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	l->v[l->n++] = v;
}

static jv **jlist_take(jparser *jp, jlist *l)
{
	jv **r = l->n ? hl_arena_memdup(jp->a, l->v, (size_t)l->n * sizeof *l->v) : NULL;

	free(l->v);
	l->v = NULL;
	return r;
}

static int key_cmp(const jv *a, const jv *b)
{
	size_t m = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->s, b->s, m);

	return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Stable merge sort of member indexes by key. */
static void sort_idx(int *idx, int *tmp, int n, jv **keys)
{
	int mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_idx(idx, tmp, mid, keys);
	sort_idx(idx + mid, tmp, n - mid, keys);
	while (i < mid && j < n)
		tmp[k++] = key_cmp(keys[idx[j]], keys[idx[i]]) < 0 ? idx[j++] : idx[i++];
	while (i < mid)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

/* A LinkedHashMap: a repeated key keeps its first position and takes the last value. */
static void dedupe_members(jv *o)
{
	int n = o->count, i, j, w;
	int *idx, *tmp;
	bool *dead;

	if (n < 2)
		return;
	idx = hl_malloc((size_t)n * sizeof *idx);
	tmp = hl_malloc((size_t)n * sizeof *tmp);
	dead = hl_calloc((size_t)n, sizeof *dead);
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_idx(idx, tmp, n, o->keys);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && key_cmp(o->keys[idx[i]], o->keys[idx[j]]) == 0; j++)
			dead[idx[j]] = true;
		if (j - i > 1)
			o->items[idx[i]] = o->items[idx[j - 1]];
	}
	for (i = w = 0; i < n; i++)
		if (!dead[i]) {
			o->keys[w] = o->keys[i];
			o->items[w++] = o->items[i];
		}
	o->count = w;
	free(idx);
	free(tmp);
	free(dead);
}

static jv *parse_container(jparser *jp, bool obj)
{
	size_t start = jp->i;
	jlist items = { 0 }, keys = { 0 };
	jv *v;

	if (++jp->depth > MAX_JSON_DEPTH) {
		jfail(jp, "Document nesting depth (%d) exceeds the maximum allowed (%d)", jp->depth, MAX_JSON_DEPTH);
		return NULL;
	}
	jp->i++;
	skip_ws(jp);
	if (jp->i < jp->n && jp->p[jp->i] == (obj ? '}' : ']')) {
		jp->i++;
		goto done;
	}
	for (;;) {
		jv *e;

		if (obj) {
			jv *k;

			skip_ws(jp);
			if (jp->i >= jp->n) {
				jfail(jp, "Unexpected end-of-input: expected close marker for OBJECT");
				goto bad;
			}
			if (jp->p[jp->i] != '"') {
				junexpected(jp, "was expecting double-quote to start field name");
				goto bad;
			}
			k = new_jv(jp, J_STR, jp->i);
			if (parse_string(jp, &k->s, &k->n, &k->lone))
				goto bad;
			k->rawlen = (size_t)(jp->p + jp->i - k->raw);
			jlist_add(&keys, k);
			skip_ws(jp);
			if (jp->i >= jp->n) {
				jfail(jp, "Unexpected end-of-input: expected close marker for OBJECT");
				goto bad;
			}
			if (jp->p[jp->i] != ':') {
				junexpected(jp, "was expecting a colon to separate field name and value");
				goto bad;
			}
			jp->i++;
		}
		e = parse_value(jp, false);
		if (!e)
			goto bad;
		jlist_add(&items, e);
		skip_ws(jp);
		if (jp->i >= jp->n) {
			jfail(jp, "Unexpected end-of-input: expected close marker for %s", obj ? "OBJECT" : "ARRAY");
			goto bad;
		}
		if (jp->p[jp->i] == ',') {
			jp->i++;
			continue;
		}
		if (jp->p[jp->i] == (obj ? '}' : ']')) {
			jp->i++;
			break;
		}
		junexpected(jp, obj ? "was expecting comma to separate Object entries" :
				      "was expecting comma to separate Array entries");
		goto bad;
	}
done:
	jp->depth--;
	v = new_jv(jp, obj ? J_OBJ : J_ARR, start);
	v->count = items.n;
	v->items = jlist_take(jp, &items);
	v->keys = jlist_take(jp, &keys);
	v->rawlen = jp->i - start;
	if (obj)
		dedupe_members(v);
	return v;
bad:
	free(items.v);
	free(keys.v);
	return NULL;
}

static jv *parse_value(jparser *jp, bool root)
{
	size_t start;
	jv *v = NULL;
	char c;

	skip_ws(jp);
	start = jp->i;
	if (jp->i >= jp->n) {
		jfail(jp, root ? "No content to map due to end-of-input" : "Unexpected end-of-input in a value");
		return NULL;
	}
	c = jp->p[jp->i];
	switch (c) {
	case '{':
	case '[':
		return parse_container(jp, c == '{');
	case '"':
		v = new_jv(jp, J_STR, start);
		if (parse_string(jp, &v->s, &v->n, &v->lone))
			return NULL;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		const char *w = words[c == 't' ? 0 : c == 'f' ? 1 : 2];
		size_t wl = strlen(w);

		if (jp->n - jp->i < wl || memcmp(jp->p + jp->i, w, wl) != 0 ||
		    (jp->i + wl < jp->n && ident_char(jp->p[jp->i + wl]))) {
			bad_token(jp);
			return NULL;
		}
		jp->i += wl;
		v = new_jv(jp, c == 'n' ? J_NULL : J_BOOL, start);
		v->b = c == 't';
		break;
	}
	default:
		if (c == '-' || is_digit(c)) {
			v = parse_number(jp, root);
			if (!v)
				return NULL;
			break;
		}
		bad_token(jp);
		return NULL;
	}
	v->rawlen = jp->i - start;
	return v;
}

/* Parse one JSON value; what follows it is ignored, as Jackson's readValue does. */
static jv *parse_json(jparser *jp, const char *s, size_t n, hl_arena *a)
{
	memset(jp, 0, sizeof *jp);
	jp->p = s;
	jp->n = n;
	jp->a = a;
	return parse_value(jp, true);
}

/* ================================================================ JSON -> value */

static const char *class_name(const jv *v)
{
	switch (v->kind) {
	case J_NULL: return "null";
	case J_BOOL: return "Boolean";
	case J_INTEGER: return "Integer";
	case J_LONG: return "Long";
	case J_BIGINT: return "BigInteger";
	case J_DOUBLE: return "Double";
	case J_STR: return "String";
	case J_ARR: return "ArrayList";
	case J_OBJ: return "LinkedHashMap";
	}
	return "?";
}

static const char *qualified_class(const jv *v)
{
	switch (v->kind) {
	case J_BIGINT: return "java.math.BigInteger";
	case J_ARR: return "java.util.ArrayList";
	case J_OBJ: return "java.util.LinkedHashMap";
	default: return NULL;
	}
}

/* The Java object's toString(), as Cassandra's messages print it. */
static void java_str(const jv *v, hl_buf *out, int depth)
{
	int i;

	if (depth > MAX_JSON_DEPTH) {
		hl_buf_str(out, "...");
		return;
	}
	switch (v->kind) {
	case J_NULL:
		hl_buf_str(out, "null");
		return;
	case J_BOOL:
		hl_buf_str(out, v->b ? "true" : "false");
		return;
	case J_INTEGER:
		/* "-0" reads as the Integer 0 */
		if (v->n == 2 && v->s[0] == '-' && v->s[1] == '0')
			hl_buf_u8(out, '0');
		else
			hl_buf_put(out, v->s, v->n);
		return;
	case J_LONG:
	case J_BIGINT:
		hl_buf_put(out, v->s, v->n);
		return;
	case J_DOUBLE: {
		char tmp[MAX_NUMBER_LEN + 1];

		memcpy(tmp, v->s, v->n);
		tmp[v->n] = 0;
		hl_buf_java_double(out, strtod(tmp, NULL), false);
		return;
	}
	case J_STR:
		hl_buf_put(out, v->s, v->n);
		return;
	case J_ARR:
	case J_OBJ:
		hl_buf_u8(out, v->kind == J_ARR ? '[' : '{');
		for (i = 0; i < v->count; i++) {
			if (i)
				hl_buf_str(out, ", ");
			if (v->kind == J_OBJ) {
				hl_buf_put(out, v->keys[i]->s, v->keys[i]->n);
				hl_buf_u8(out, '=');
			}
			java_str(v->items[i], out, depth + 1);
		}
		hl_buf_u8(out, v->kind == J_ARR ? ']' : '}');
		return;
	}
}

/* Fill err with fmt, whose %s conversions take the class name then toString(). */
static int bad_kind(hl_err *err, const char *fmt, const jv *v)
{
	hl_buf s;

	hl_buf_init(&s);
	java_str(v, &s, 0);
	hl_buf_u8(&s, 0);
	hl_errf(err, HL_ERR_INVALID, fmt, class_name(v), (const char *)s.p);
	hl_buf_free(&s);
	return -1;
}

/* toString() in the arena, NUL-terminated; *len (if wanted) counts any
 * NUL a string holds. */
static const char *jstr_n(hl_arena *a, const jv *v, size_t *len)
{
	hl_buf s;
	const char *r;

	if (v->kind == J_STR) {
		if (len)
			*len = v->n;
		return hl_arena_strndup(a, v->s, v->n);
	}
	hl_buf_init(&s);
	java_str(v, &s, 0);
	r = hl_arena_strndup(a, (const char *)s.p, s.len);
	if (len)
		*len = s.len;
	hl_buf_free(&s);
	return r;
}

static const char *jstr(hl_arena *a, const jv *v)
{
	return jstr_n(a, v, NULL);
}

typedef struct jctx {
	hl_arena *a;
	hl_err *err;
} jctx;

static int from_json(jctx *c, const ty_type *t, const jv *v, hl_buf *out, int depth);

/* Through the type's fromString (the existing literal conversions). */
static int via_string(jctx *c, ty_kind k, const char *s, size_t n, hl_buf *out)
{
	return ty_from_string(ty_simple(k), s, n, out, c->err);
}

static int blob_from_json(jctx *c, const jv *v, hl_buf *out)
{
	const char *s;
	size_t n, i;

	if (v->kind != J_STR) {
		const char *cls = qualified_class(v);
		char q[64];

		if (!cls) {
			snprintf(q, sizeof q, "java.lang.%s", class_name(v));
			cls = q;
		}
		hl_errf(c->err, HL_ERR_INVALID, "Value '%s' is not a valid blob representation: class %s cannot be "
			"cast to class java.lang.String (%s and java.lang.String are in module java.base of loader "
			"'bootstrap')", jstr(c->a, v), cls, cls);
		return -1;
	}
	s = v->s;
	n = v->n;
	if (n < 2 || s[0] != '0' || s[1] != 'x')
		return hl_errf(c->err, HL_ERR_INVALID, "Value '%.*s' is not a valid blob representation: String "
			       "representation of blob is missing 0x prefix: %.*s", (int)n, s, (int)n, s);
	/* Cassandra's Hex.hexToBytes wants an even number of hex digits */
	for (i = 2; i < n; i++)
		if (hl_hexval(s[i]) < 0)
			break;
	if (i < n || (n - 2) % 2)
		return hl_errf(c->err, HL_ERR_INVALID, "Value '%.*s' is not a valid blob representation: cannot parse "
			       "'%.*s' as hex bytes", (int)n, s, (int)(n - 2), s + 2);
	hl_buf_reserve(out, (n - 2) / 2);
	for (i = 2; i < n; i += 2)
		hl_buf_u8(out, (uint8_t)(hl_hexval(s[i]) << 4 | hl_hexval(s[i + 1])));
	return 0;
}

/* A JSON string holding JSON text, as collections/tuples/UDTs accept (Json.decodeJson). */
static int decode_nested(jctx *c, const jv **v)
{
	jparser jp;
	const jv *r;

	if ((*v)->kind != J_STR)
		return 0;
	r = parse_json(&jp, (*v)->s, (*v)->n, c->a);
	if (!r)
		return hl_errf(c->err, HL_ERR_INVALID, "Error decoding JSON string: %s", jp.msg);
	*v = r;
	return 0;
}

typedef struct span {
	size_t off, len;
} span;

typedef struct sort_ctx {
	const ty_type *t;
	const uint8_t *base;
	const span *sp;
	int stride;  /* 1 for sets, 2 for maps (sorted by the key) */
} sort_ctx;

static int span_cmp(const sort_ctx *s, int a, int b)
{
	const span *x = &s->sp[a * s->stride], *y = &s->sp[b * s->stride];

	return ty_compare(s->t, s->base + x->off, x->len, s->base + y->off, y->len);
}

static void sort_spans(const sort_ctx *s, int *idx, int *tmp, int n)
{
	int mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_spans(s, idx, tmp, mid);
	sort_spans(s, idx + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = span_cmp(s, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
	while (i < mid)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

/*
 * Pack n entries of `stride` spans over base into out, sorted by the first
 * span with t's order when t is set; among equal keys the last one given
 * stays (sets and maps).
 */
static void pack_sorted(hl_buf *out, const uint8_t *base, const span *sp, int n, int stride, const ty_type *t)
{
	int *idx = hl_malloc(((size_t)n + 1) * sizeof *idx), *tmp = hl_malloc(((size_t)n + 1) * sizeof *tmp);
	sort_ctx s = { t, base, sp, stride };
	size_t mark;
	int i, k, count = 0;

	for (i = 0; i < n; i++)
		idx[i] = i;
	if (t)
		sort_spans(&s, idx, tmp, n);
	ty_pack_begin(out, &mark);
	for (i = 0; i < n; i++) {
		if (t && i + 1 < n && span_cmp(&s, idx[i], idx[i + 1]) == 0)
			continue;
		for (k = 0; k < stride; k++) {
			const span *e = &sp[idx[i] * stride + k];

			ty_pack_elem(out, base + e->off, (int32_t)e->len);
		}
		count++;
	}
	ty_pack_end(out, mark, count);
	free(idx);
	free(tmp);
}

static int collection_from_json(jctx *c, const ty_type *t, const jv *v, hl_buf *out, int depth)
{
	bool map = t->kind == TY_MAP, set = t->kind == TY_SET;
	int per = map ? 2 : 1, i, k;
	hl_buf tmp;
	span *sp = NULL;
	int rc = -1;

	if (decode_nested(c, &v))
		return -1;
	if (map ? v->kind != J_OBJ : v->kind != J_ARR)
		return bad_kind(c->err, map ? "Expected a map, but got a %s: %s" :
				set ? "Expected a list (representing a set), but got a %s: %s" :
				      "Expected a list, but got a %s: %s", v);
	hl_buf_init(&tmp);
	if (v->count)
		sp = hl_malloc((size_t)v->count * (size_t)per * sizeof *sp);
	for (i = 0; i < v->count; i++) {
		for (k = 0; k < per; k++) {
			const jv *e = map && k == 0 ? v->keys[i] : v->items[i];
			span *s = &sp[i * per + k];

			if (e->kind == J_NULL) {
				hl_errf(c->err, HL_ERR_INVALID, map ? "Invalid null value in map" :
					set ? "Invalid null element in set" : "Invalid null element in list");
				goto exit;
			}
			s->off = tmp.len;
			if (from_json(c, t->sub[k], e, &tmp, depth + 1))
				goto exit;
			s->len = tmp.len - s->off;
			if (s->len > INT32_MAX) {
				hl_errf(c->err, HL_ERR_INVALID, "Collection element too large");
				goto exit;
			}
		}
	}
	pack_sorted(out, tmp.p, sp, v->count, per, t->kind == TY_LIST ? NULL : t->sub[0]);
	rc = 0;
exit:
	free(sp);
	hl_buf_free(&tmp);
	return rc;
}

/* VectorType.fromJSONObject: a list (or a string holding one) of exactly
 * dim non-null elements. */
static int vector_from_json(jctx *c, const ty_type *t, const jv *v, hl_buf *out, int depth)
{
	hl_buf tmp;
	int rc = -1;

	if (decode_nested(c, &v))
		return -1;
	if (v->kind != J_ARR)
		return bad_kind(c->err, "Expected a list, but got a %s: %s", v);
	if (v->count != t->dim)
		return hl_errf(c->err, HL_ERR_INVALID, "List had incorrect size: expected %d but given %d",
			       t->dim, v->count);
	hl_buf_init(&tmp);
	for (int i = 0; i < v->count; i++) {
		if (v->items[i]->kind == J_NULL) {
			hl_errf(c->err, HL_ERR_INVALID, "Invalid null element in list");
			goto exit;
		}
		hl_buf_reset(&tmp);
		if (from_json(c, t->sub[0], v->items[i], &tmp, depth + 1))
			goto exit;
		ty_vector_put_elem(t, tmp.p, tmp.len, out);
	}
	rc = 0;
exit:
	hl_buf_free(&tmp);
	return rc;
}

/* ------------------------------------------------ member-name case rules */

/* An object's members after Cassandra's Json.handleCaseSensitivity. */
typedef struct members {
	int n;
	const char **names;
	size_t *lens;
	const jv **vals;
} members;

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h;
}

/*
 * Json.handleCaseSensitivity: a name in double quotes loses them and keeps
 * its case; any other name is lower-cased (ASCII letters, as our identifiers).
 * Each renamed member replaces whatever member already had the new name.
 */
static void case_members(hl_arena *a, const jv *o, members *m)
{
	int cap = o->count * 2 + 1, n = o->count, i, w;
	size_t hcap = 16, mask, h;
	int *table;
	bool *dead;

	while (hcap < (size_t)cap * 2)
		hcap *= 2;
	mask = hcap - 1;
	table = hl_malloc(hcap * sizeof *table);
	for (h = 0; h < hcap; h++)
		table[h] = -1;
	dead = hl_calloc((size_t)cap, sizeof *dead);
	m->names = hl_arena_alloc(a, (size_t)cap * sizeof *m->names);
	m->lens = hl_arena_alloc(a, (size_t)cap * sizeof *m->lens);
	m->vals = hl_arena_alloc(a, (size_t)cap * sizeof *m->vals);
	for (i = 0; i < n; i++) {
		m->names[i] = o->keys[i]->s;
		m->lens[i] = o->keys[i]->n;
		m->vals[i] = o->items[i];
		for (h = name_hash(m->names[i], m->lens[i]) & mask; table[h] >= 0; h = (h + 1) & mask)
			;
		table[h] = i;
	}
	for (i = 0; i < o->count; i++) {
		const char *k = o->keys[i]->s, *nk;
		size_t kl = o->keys[i]->n, nl, j;
		int slot = -1;

		if (kl >= 1 && k[0] == '"' && k[kl - 1] == '"') {
			nk = k + 1;
			nl = kl >= 2 ? kl - 2 : 0;
		} else if (has_upper(k, kl)) {
			char *l = hl_arena_memdup(a, k, kl);

			for (j = 0; j < kl; j++)
				if (l[j] >= 'A' && l[j] <= 'Z')
					l[j] = (char)(l[j] - 'A' + 'a');
			nk = l;
			nl = kl;
		} else {
			continue;
		}
		dead[i] = true;
		for (h = name_hash(nk, nl) & mask; table[h] >= 0; h = (h + 1) & mask) {
			int e = table[h];

			if (!dead[e] && m->lens[e] == nl && memcmp(m->names[e], nk, nl) == 0) {
				slot = e;
				break;
			}
		}
		if (slot >= 0) {
			m->vals[slot] = o->items[i];
			continue;
		}
		m->names[n] = nk;
		m->lens[n] = nl;
		m->vals[n] = o->items[i];
		table[h] = n++;
	}
	for (i = w = 0; i < n; i++)
		if (!dead[i]) {
			m->names[w] = m->names[i];
			m->lens[w] = m->lens[i];
			m->vals[w++] = m->vals[i];
		}
	m->n = w;
	free(table);
	free(dead);
}

static int fields_from_json(jctx *c, const ty_type *t, const jv *v, hl_buf *out, int depth)
{
	bool udt = t->kind == TY_UDT;
	members m = { 0 };
	int i, j, found = 0;
	size_t mark = out->len;

	if (decode_nested(c, &v))
		return -1;
	if (!udt) {
		if (v->kind != J_ARR)
			return bad_kind(c->err, "Expected a list representation of a tuple, but got a %s: %s", v);
		if (v->count != t->nsub) {
			hl_errf(c->err, HL_ERR_INVALID, "Tuple %s items (expected %d): %s",
				v->count > t->nsub ? "contains extra" : "is missing", t->nsub, jstr(c->a, v));
			return -1;
		}
	} else {
		if (v->kind != J_OBJ)
			return bad_kind(c->err, "Expected a map, but got a %s: %s", v);
		case_members(c->a, v, &m);
	}
	for (i = 0; i < t->nsub; i++) {
		const jv *e = NULL;
		size_t lenpos;

		if (udt) {
			size_t fl = strlen(t->field_names[i]);

			for (j = 0; j < m.n; j++)
				if (m.lens[j] == fl && memcmp(m.names[j], t->field_names[i], fl) == 0) {
					e = m.vals[j];
					break;
				}
		} else {
			e = v->items[i];
		}
		if (!e || e->kind == J_NULL) {
			hl_buf_u32(out, (uint32_t)-1);
			continue;
		}
		found++;
		lenpos = out->len;
		hl_buf_u32(out, 0);
		if (from_json(c, t->sub[i], e, out, depth + 1)) {
			out->len = mark;
			return -1;
		}
		if (out->len - lenpos - 4 > INT32_MAX) {
			out->len = mark;
			return hl_errf(c->err, HL_ERR_INVALID, "Field value too large");
		}
		hl_buf_patch_u32(out, lenpos, (uint32_t)(out->len - lenpos - 4));
	}
	if (udt && found != m.n) {
		/* explicit nulls count as members: look for a name that is no field */
		for (j = 0; j < m.n; j++) {
			for (i = 0; i < t->nsub; i++)
				if (m.lens[j] == strlen(t->field_names[i]) &&
				    memcmp(m.names[j], t->field_names[i], m.lens[j]) == 0)
					break;
			if (i == t->nsub) {
				out->len = mark;
				return hl_errf(c->err, HL_ERR_INVALID, "Unknown field '%.*s' in value of user defined type %s",
					       (int)m.lens[j], m.names[j], t->udt_name ? t->udt_name : "");
			}
		}
	}
	return 0;
}

static bool is_int_class(const jv *v)
{
	return v->kind == J_INTEGER || v->kind == J_LONG || v->kind == J_BIGINT;
}

static int put_fixed_int(jctx *c, ty_kind k, const jv *v, hl_buf *out)
{
	return via_string(c, k, v->s, v->n, out);
}

static int from_json(jctx *c, const ty_type *t, const jv *v, hl_buf *out, int depth)
{
	if (depth > MAX_TYPE_DEPTH)
		return hl_errf(c->err, HL_ERR_INVALID, "Value nested too deeply");
	switch (t->kind) {
	case TY_TEXT:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a UTF-8 string, but got a %s: %s", v);
		hl_buf_put(out, v->s, v->n);
		return 0;
	case TY_ASCII: {
		size_t i;

		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected an ascii string, but got a %s: %s", v);
		for (i = 0; i < v->n; i++) {
			/* Java's encoder: an unpaired surrogate is malformed, other non-ASCII
			 * unmappable (a pair, from 4-byte UTF-8, is two chars) */
			if (i == v->lone)
				return hl_errf(c->err, HL_ERR_INVALID, "Invalid ASCII character in string literal: "
					       "java.nio.charset.MalformedInputException: Input length = 1");
			if ((uint8_t)v->s[i] >= 0x80)
				return hl_errf(c->err, HL_ERR_INVALID, "Invalid ASCII character in string literal: "
					       "java.nio.charset.UnmappableCharacterException: Input length = %d",
					       (uint8_t)v->s[i] >= 0xF0 ? 2 : 1);
		}
		hl_buf_put(out, v->s, v->n);
		return 0;
	}
	case TY_BLOB:
	case TY_CUSTOM:
		return blob_from_json(c, v, out);
	case TY_BOOLEAN:
		if (v->kind == J_BOOL) {
			hl_buf_u8(out, v->b);
			return 0;
		}
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a boolean value, but got a %s: %s", v);
		if (v->n == 0) {
			hl_buf_u8(out, 0);  /* BooleanType.fromString("") is false */
			return 0;
		}
		return via_string(c, TY_BOOLEAN, v->s, v->n, out);
	case TY_INT:
		if (v->kind == J_STR)
			return via_string(c, TY_INT, v->s, v->n, out);
		if (v->kind != J_INTEGER)
			return bad_kind(c->err, "Expected an int value, but got a %s: %s", v);
		return put_fixed_int(c, TY_INT, v, out);
	case TY_BIGINT:
	case TY_COUNTER:
		if (v->kind == J_STR)
			return via_string(c, TY_BIGINT, v->s, v->n, out);
		if (v->kind != J_INTEGER && v->kind != J_LONG)
			return bad_kind(c->err, "Expected a bigint value, but got a %s: %s", v);
		return put_fixed_int(c, TY_BIGINT, v, out);
	case TY_SMALLINT:
	case TY_TINYINT: {
		const char *s;
		size_t n;

		/* String.valueOf(parsed) goes through fromString: 1.0 is refused */
		if (v->kind != J_STR && !is_int_class(v) && v->kind != J_DOUBLE)
			return bad_kind(c->err, t->kind == TY_SMALLINT ? "Expected a short value, but got a %s: %s" :
					"Expected a byte value, but got a %s: %s", v);
		s = jstr_n(c->a, v, &n);
		return via_string(c, t->kind, s, n, out);
	}
	case TY_FLOAT:
	case TY_DOUBLE: {
		char tmp[MAX_NUMBER_LEN + 1];
		double d;
		float f;
		uint32_t u4;
		uint64_t u8;

		if (v->kind == J_STR)
			return via_string(c, t->kind, v->s, v->n, out);
		if (!is_int_class(v) && v->kind != J_DOUBLE)
			return bad_kind(c->err, t->kind == TY_FLOAT ? "Expected a float value, but got a %s: %s" :
					"Expected a double value, but got a %s: %s", v);
		memcpy(tmp, v->s, v->n);
		tmp[v->n] = 0;
		if (v->kind == J_INTEGER && strcmp(tmp, "-0") == 0)
			tmp[0] = '0', tmp[1] = 0;  /* the Integer 0: no negative zero */
		if (t->kind == TY_DOUBLE) {
			d = strtod(tmp, NULL);
			memcpy(&u8, &d, sizeof u8);
			hl_buf_u64(out, u8);
		} else {
			/* Jackson made a Double of a fraction; an integer converts exactly once */
			f = v->kind == J_DOUBLE ? (float)strtod(tmp, NULL) : strtof(tmp, NULL);
			memcpy(&u4, &f, sizeof u4);
			hl_buf_u32(out, u4);
		}
		return 0;
	}
	case TY_DECIMAL: {
		size_t n;
		const char *s = jstr_n(c->a, v, &n);

		if (v->kind == J_STR && n == 0)
			return 0;  /* DecimalType.fromString("") is the empty value */
		if (v->kind == J_STR && n > MAX_NUMERIC_STRING)
			goto bad_decimal;
		if (via_string(c, TY_DECIMAL, s, n, out) == 0)
			return 0;
bad_decimal:
		return hl_errf(c->err, HL_ERR_INVALID, "Value '%s' is not a valid representation of a decimal value", s);
	}
	case TY_VARINT: {
		size_t n;
		const char *s = jstr_n(c->a, v, &n);

		/* new BigInteger(parsed.toString()): "" is refused too */
		if (n == 0 || n > MAX_NUMERIC_STRING || via_string(c, TY_VARINT, s, n, out))
			return hl_errf(c->err, HL_ERR_INVALID, "Value '%s' is not a valid representation of a varint value", s);
		return 0;
	}
	case TY_UUID:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of a uuid, but got a %s: %s", v);
		return via_string(c, TY_UUID, v->s, v->n, out);
	case TY_TIMEUUID:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of a timeuuid, but got a %s: %s", v);
		return via_string(c, TY_TIMEUUID, v->s, v->n, out);
	case TY_INET:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of an inet value, but got a %s: %s", v);
		return via_string(c, TY_INET, v->s, v->n, out);
	case TY_TIMESTAMP:
		/* only a Long: Jackson reads small integers as Integer, which Cassandra refuses */
		if (v->kind == J_LONG)
			return put_fixed_int(c, TY_BIGINT, v, out);
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a long or a datestring representation of a timestamp value, "
					"but got a %s: %s", v);
		return via_string(c, TY_TIMESTAMP, v->s, v->n, out);
	case TY_DATE:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of a date value, but got a %s: %s", v);
		if (v->n == 0)
			return hl_errf(c->err, HL_ERR_INVALID, "Unable to coerce '' to a formatted date (long)");
		return via_string(c, TY_DATE, v->s, v->n, out);
	case TY_TIME:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of a time value, but got a %s: %s", v);
		if (v->n == 0)
			return hl_errf(c->err, HL_ERR_INVALID, "(TimeType) Unable to coerce '' to a formatted time (long)");
		return via_string(c, TY_TIME, v->s, v->n, out);
	case TY_DURATION:
		if (v->kind != J_STR)
			return bad_kind(c->err, "Expected a string representation of a duration, but got a %s: %s", v);
		/* Cassandra's fromString makes the empty value, which no duration reader accepts */
		if (v->n == 0)
			return hl_errf(c->err, HL_ERR_INVALID, "Expected at least 3 bytes for a duration (0)");
		return via_string(c, TY_DURATION, v->s, v->n, out);
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		return collection_from_json(c, t, v, out, depth);
	case TY_TUPLE:
	case TY_UDT:
		return fields_from_json(c, t, v, out, depth);
	case TY_VECTOR:
		return vector_from_json(c, t, v, out, depth);
	}
	return hl_errf(c->err, HL_ERR_INVALID, "Unsupported type for JSON");
}

int ty_from_json(const ty_type *t, const char *json, size_t n, hl_buf *out, hl_err *err)
{
	hl_arena *a = hl_arena_new(4096);
	jparser jp;
	jctx c = { a, err };
	const jv *v;
	size_t mark = out->len;
	int rc;

	v = parse_json(&jp, json, n, a);
	if (!v) {
		hl_errf(err, HL_ERR_INVALID, "%s", jp.msg);
		rc = -2;
	} else if (v->kind == J_NULL) {
		rc = 1;
	} else {
		rc = from_json(&c, t, v, out, 0);
	}
	if (rc < 0)
		out->len = mark;
	hl_arena_free(a);
	return rc;
}

static const char *token_desc(const jv *v)
{
	switch (v->kind) {
	case J_BOOL: return v->b ? "Boolean value (token `JsonToken.VALUE_TRUE`)" :
				   "Boolean value (token `JsonToken.VALUE_FALSE`)";
	case J_INTEGER:
	case J_LONG:
	case J_BIGINT: return "Integer value (token `JsonToken.VALUE_NUMBER_INT`)";
	case J_DOUBLE: return "Floating-point value (token `JsonToken.VALUE_NUMBER_FLOAT`)";
	case J_STR: return "String value (token `JsonToken.VALUE_STRING`)";
	case J_ARR: return "Array value (token `JsonToken.START_ARRAY`)";
	default: return "value";
	}
}

int ty_json_object(const char *json, size_t n, hl_arena *a, int *npairs, const char ***keys,
		   const char ***vals, size_t **vlens, hl_err *err)
{
	hl_arena *tmp = hl_arena_new(4096);
	jparser jp;
	const jv *v;
	members m = { 0 };
	int i, rc = -1;

	*npairs = 0;
	v = parse_json(&jp, json, n, tmp);
	if (!v) {
		hl_errf(err, HL_ERR_INVALID, "Could not decode JSON string as a map: "
			"com.fasterxml.jackson.core.JsonParseException: %s. (String was: %.*s)", jp.msg, (int)n, json);
		goto exit;
	}
	if (v->kind == J_NULL) {
		hl_errf(err, HL_ERR_INVALID, "Got null for INSERT JSON values");
		goto exit;
	}
	if (v->kind != J_OBJ) {
		hl_errf(err, HL_ERR_INVALID, "Could not decode JSON string as a map: "
			"com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize value of type "
			"`java.util.LinkedHashMap<java.lang.Object,java.lang.Object>` from %s. (String was: %.*s)",
			token_desc(v), (int)n, json);
		goto exit;
	}
	case_members(tmp, v, &m);
	*keys = hl_arena_alloc(a, ((size_t)m.n + 1) * sizeof **keys);
	*vals = hl_arena_alloc(a, ((size_t)m.n + 1) * sizeof **vals);
	*vlens = hl_arena_alloc(a, ((size_t)m.n + 1) * sizeof **vlens);
	for (i = 0; i < m.n; i++) {
		(*keys)[i] = hl_arena_strndup(a, m.names[i], m.lens[i]);
		(*vals)[i] = m.vals[i]->raw;
		(*vlens)[i] = m.vals[i]->rawlen;
	}
	*npairs = m.n;
	rc = 0;
exit:
	hl_arena_free(tmp);
	return rc;
}
