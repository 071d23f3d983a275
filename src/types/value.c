/*
 * types/value.c: validation of serialized values (Cassandra's serializers'
 * size and framing rules and MarshalException wording) and the comparator
 * of every type (Cassandra's AbstractType.compare order).
 */
#include "types/types_int.h"

#include <string.h>

enum { MAX_VALUE_DEPTH = 64 };

static int bad(hl_err *err, const char *fmt, size_t n)
{
	return hl_errf(err, HL_ERR_INVALID, fmt, n);
}

/* An i32-length element of a collection; null (negative length) -> *n = -1. */
static int read_elem(hl_rd *r, const uint8_t **p, int32_t *n)
{
	int32_t len;

	if (hl_rd_i32(r, &len))
		return -1;
	*n = len;
	*p = NULL;
	if (len < 0)
		return 0;
	return hl_rd_raw(r, (size_t)len, p);
}

static int validate(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err);

static int validate_collection(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err)
{
	const char *what = t->kind == TY_LIST ? "list" : t->kind == TY_SET ? "set" : "map";
	int per = t->kind == TY_MAP ? 2 : 1;
	hl_rd r;
	int32_t count, i, len;
	const uint8_t *e;
	int j;

	hl_rd_init(&r, p, n);
	if (hl_rd_i32(&r, &count))
		return hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read a %s", what);
	if (count < 0)
		return hl_errf(err, HL_ERR_INVALID, "The data cannot be deserialized as a %s", what);
	for (i = 0; i < count; i++) {
		for (j = 0; j < per; j++) {
			if (read_elem(&r, &e, &len))
				return hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read a %s", what);
			if (len < 0)
				return hl_errf(err, HL_ERR_INVALID, "null is not supported inside collections");
			if (validate(t->sub[j], e, (size_t)len, depth + 1, err))
				return -1;
		}
	}
	if (hl_rd_left(&r) > 0)
		return hl_errf(err, HL_ERR_INVALID, "Unexpected extraneous bytes after %s value", what);
	return 0;
}

/* Tuples and UDTs: i32-length fields; fewer than declared is fine (added fields). */
static int validate_fields(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err)
{
	hl_rd r;
	int i;
	int32_t len;
	const uint8_t *e;

	hl_rd_init(&r, p, n);
	for (i = 0; i < t->nsub && hl_rd_left(&r) > 0; i++) {
		if (hl_rd_i32(&r, &len))
			return hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read size of %dth component", i);
		if (len < 0)
			continue;
		if (hl_rd_raw(&r, (size_t)len, &e))
			return hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read %dth component", i);
		if (validate(t->sub[i], e, (size_t)len, depth + 1, err))
			return -1;
	}
	if (hl_rd_left(&r) > 0)
		return hl_errf(err, HL_ERR_INVALID, "Invalid remaining data after end of %s value",
			       t->kind == TY_TUPLE ? "tuple" : "UDT");
	return 0;
}

static int validate_duration(const uint8_t *p, size_t n, hl_err *err)
{
	hl_rd r;
	int64_t months, days, nanos;

	if (n < 3)
		return bad(err, "Expected at least 3 bytes for a duration (%zu)", n);
	hl_rd_init(&r, p, n);
	if (hl_rd_vint(&r, &months) || hl_rd_vint(&r, &days) || hl_rd_vint(&r, &nanos))
		return hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read a duration");
	if (months != (int32_t)months)
		return hl_errf(err, HL_ERR_INVALID,
			       "The duration months must be a 32 bits integer but was: %lld", (long long)months);
	if (days != (int32_t)days)
		return hl_errf(err, HL_ERR_INVALID,
			       "The duration days must be a 32 bits integer but was: %lld", (long long)days);
	if (!((months >= 0 && days >= 0 && nanos >= 0) || (months <= 0 && days <= 0 && nanos <= 0)))
		return hl_errf(err, HL_ERR_INVALID,
			       "The duration months, days and nanoseconds must be all of the same sign (%lld, %lld, %lld)",
			       (long long)months, (long long)days, (long long)nanos);
	return 0;
}

static int validate(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err);

/* VectorType's serializers: fixed-width elements back to back, others each
 * after an unsigned vint length; exactly dim elements, none empty. */
static int validate_vector(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err)
{
	int w = ty_fixed_width(t->sub[0]);
	size_t off = 0;
	hl_buf name;
	int rc = 0;

	if (n == 0)
		return hl_errf(err, HL_ERR_INVALID, "Invalid empty vector value");
	hl_buf_init(&name);
	ty_format(t, &name);
	if (w > 0) {
		size_t want = (size_t)w * (size_t)t->dim;

		if (n < want)
			rc = hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read a %.*s", (int)name.len,
				     (const char *)name.p);
		for (int i = 0; !rc && i < t->dim; i++)
			rc = validate(t->sub[0], p + (size_t)i * (size_t)w, (size_t)w, depth + 1, err);
		off = want;
	} else {
		hl_rd r;

		hl_rd_init(&r, p, n);
		for (int i = 0; !rc && i < t->dim; i++) {
			uint64_t l;
			const uint8_t *e;

			if (hl_rd_left(&r) == 0 || hl_rd_uvint(&r, &l) || l > n || hl_rd_raw(&r, (size_t)l, &e)) {
				rc = hl_errf(err, HL_ERR_INVALID, "Not enough bytes to read a %.*s",
					     (int)name.len, (const char *)name.p);
				break;
			}
			rc = validate(t->sub[0], e, (size_t)l, depth + 1, err);
		}
		off = n - hl_rd_left(&r);
	}
	if (!rc && off < n)
		rc = hl_errf(err, HL_ERR_INVALID, "Unexpected %zu extraneous bytes after %.*s value", n - off,
			     (int)name.len, (const char *)name.p);
	hl_buf_free(&name);
	return rc;
}

static int validate(const ty_type *t, const uint8_t *p, size_t n, int depth, hl_err *err)
{
	size_t i;

	if (depth > MAX_VALUE_DEPTH)
		return hl_errf(err, HL_ERR_INVALID, "Value nesting is too deep");
	switch (t->kind) {
	case TY_INT:
		return n == 4 || n == 0 ? 0 : bad(err, "Expected 4 or 0 byte int (%zu)", n);
	case TY_BIGINT:
	case TY_COUNTER:
		return n == 8 || n == 0 ? 0 : bad(err, "Expected 8 or 0 byte long (%zu)", n);
	case TY_TIMESTAMP:
		return n == 8 || n == 0 ? 0 : bad(err, "Expected 8 or 0 byte long for date (%zu)", n);
	case TY_SMALLINT:
		return n == 2 ? 0 : bad(err, "Expected 2 bytes for a smallint (%zu)", n);
	case TY_TINYINT:
		return n == 1 ? 0 : bad(err, "Expected 1 byte for a tinyint (%zu)", n);
	case TY_FLOAT:
		return n == 4 || n == 0 ? 0 : bad(err, "Expected 4 or 0 byte value for a float (%zu)", n);
	case TY_DOUBLE:
		return n == 8 || n == 0 ? 0 : bad(err, "Expected 8 or 0 byte value for a double (%zu)", n);
	case TY_BOOLEAN:
		return n == 1 || n == 0 ? 0 : bad(err, "Expected 1 or 0 byte value (%zu)", n);
	case TY_UUID:
		return n == 16 || n == 0 ? 0 : bad(err, "UUID should be 16 or 0 bytes (%zu)", n);
	case TY_TIMEUUID:
		if (n != 16 && n != 0)
			return bad(err, "TimeUUID should be 16 or 0 bytes (%zu)", n);
		if (n && (p[6] & 0xF0) != 0x10)
			return hl_errf(err, HL_ERR_INVALID, "Invalid version for TimeUUID type.");
		return 0;
	case TY_INET:
		if (n == 0 || n == 4 || n == 16)
			return 0;
		return bad(err, "Expected 4 or 16 byte inetaddress; got %zu bytes", n);
	case TY_DATE:
		return n == 4 ? 0 : bad(err, "Expected 4 byte long for date (%zu)", n);
	case TY_TIME: {
		int64_t v;

		if (n != 8)
			return bad(err, "Expected 8 byte long for time (%zu)", n);
		/* Cassandra checks the range only when parsing; we also guard stored bytes */
		v = (int64_t)ty__be64(p);
		if (v < 0 || v >= TY_NANOS_PER_DAY)
			return hl_errf(err, HL_ERR_INVALID,
				       "Time value must be between 0 and 86399999999999 nanoseconds (%lld)", (long long)v);
		return 0;
	}
	case TY_DECIMAL:
		return n == 0 || n >= 4 ? 0 : bad(err, "Expected 0 or at least 4 bytes (%zu)", n);
	case TY_VARINT:
	case TY_BLOB:
	case TY_CUSTOM:
		return 0;
	case TY_TEXT:
		return hl_utf8_valid(p, n) ? 0 : hl_errf(err, HL_ERR_INVALID, "String didn't validate.");
	case TY_ASCII:
		for (i = 0; i < n; i++)
			if (p[i] & 0x80)
				return hl_errf(err, HL_ERR_INVALID, "Invalid byte for ascii: %d", (int)(int8_t)p[i]);
		return 0;
	case TY_DURATION:
		return validate_duration(p, n, err);
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		return validate_collection(t, p, n, depth, err);
	case TY_TUPLE:
	case TY_UDT:
		return validate_fields(t, p, n, depth, err);
	case TY_VECTOR:
		return validate_vector(t, p, n, depth, err);
	}
	return hl_errf(err, HL_ERR_INVALID, "Unknown type kind 0x%04x", (unsigned)t->kind);
}

int ty_validate(const ty_type *t, const uint8_t *p, size_t n, hl_err *err)
{
	return validate(t, p, n, 0, err);
}

/* ---------------------------------------------------------------- compare */

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t m = an < bn ? an : bn;
	int c = m ? memcmp(a, b, m) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

/* Java's Double.compare: -0.0 < 0.0, NaN above everything, NaN == NaN. */
static int cmp_double(double a, double b)
{
	bool an = a != a, bn = b != b;

	if (an || bn)
		return an && bn ? 0 : an ? 1 : -1;
	if (a < b)
		return -1;
	if (a > b)
		return 1;
	if (a == 0 && b == 0) {
		bool sa = __builtin_signbit(a), sb = __builtin_signbit(b);

		return sa == sb ? 0 : sa ? -1 : 1;
	}
	return 0;
}

static double load_double(const uint8_t *p)
{
	uint64_t u = ty__be64(p);
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

static float load_float(const uint8_t *p)
{
	uint32_t u = ty__be32(p);
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

/* time_hi(with version) | time_mid | time_low: the v1 timestamp as a number */
static uint64_t uuid_time_key(const uint8_t *p)
{
	uint64_t msb = ty__be64(p);

	return msb << 48 | (msb << 16 & 0xFFFF00000000ULL) | msb >> 32;
}

static int cmp_uuid(const uint8_t *a, const uint8_t *b)
{
	int va = a[6] >> 4, vb = b[6] >> 4, c;

	if (va != vb)
		return va < vb ? -1 : 1;
	if (va == 1)
		c = cmp_i64((int64_t)uuid_time_key(a), (int64_t)uuid_time_key(b));
	else
		c = cmp_u64(ty__be64(a), ty__be64(b));
	if (c)
		return c;
	return cmp_u64(ty__be64(a + 8), ty__be64(b + 8));
}

static int cmp_timeuuid(const uint8_t *a, const uint8_t *b)
{
	int c = cmp_i64((int64_t)uuid_time_key(a), (int64_t)uuid_time_key(b));

	if (c)
		return c;
	/* the clock/node half compares as signed bytes (Cassandra compatibility) */
	return cmp_i64((int64_t)(ty__be64(a + 8) ^ 0x0080808080808080ULL),
		       (int64_t)(ty__be64(b + 8) ^ 0x0080808080808080ULL));
}

static int compare(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int depth);

static int cmp_collection(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
			  int depth)
{
	hl_rd ra, rb;
	int32_t ca, cb, i, la, lb;
	const uint8_t *ea, *eb;
	int per = t->kind == TY_MAP ? 2 : 1, j, c;

	hl_rd_init(&ra, a, an);
	hl_rd_init(&rb, b, bn);
	if (hl_rd_i32(&ra, &ca) || hl_rd_i32(&rb, &cb))
		return cmp_bytes(a, an, b, bn);
	for (i = 0; i < ca && i < cb; i++) {
		for (j = 0; j < per; j++) {
			if (read_elem(&ra, &ea, &la) || read_elem(&rb, &eb, &lb))
				return cmp_bytes(a, an, b, bn);
			if (la < 0 || lb < 0) {
				if (la != lb)
					return la < lb ? -1 : 1;
				continue;
			}
			c = compare(t->sub[j], ea, (size_t)la, eb, (size_t)lb, depth + 1);
			if (c)
				return c;
		}
	}
	return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/* True when every remaining field is null (so a shorter value is equal). */
static bool rest_null(hl_rd *r)
{
	int32_t len;
	const uint8_t *e;

	while (hl_rd_left(r) > 0) {
		if (read_elem(r, &e, &len))
			return false;
		if (len >= 0)
			return false;
	}
	return true;
}

static int cmp_fields(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
		      int depth)
{
	hl_rd ra, rb;
	int32_t la, lb;
	const uint8_t *ea, *eb;
	int i, c;
	bool na, nb;

	hl_rd_init(&ra, a, an);
	hl_rd_init(&rb, b, bn);
	for (i = 0; i < t->nsub && hl_rd_left(&ra) > 0 && hl_rd_left(&rb) > 0; i++) {
		if (read_elem(&ra, &ea, &la) || read_elem(&rb, &eb, &lb))
			return cmp_bytes(a, an, b, bn);
		/* null fields sort before non-null ones */
		if (la < 0 || lb < 0) {
			if (la < 0 && lb < 0)
				continue;
			return la < 0 ? -1 : 1;
		}
		c = compare(t->sub[i], ea, (size_t)la, eb, (size_t)lb, depth + 1);
		if (c)
			return c;
	}
	na = rest_null(&ra);
	nb = rest_null(&rb);
	if (na && nb)
		return 0;
	return na ? -1 : 1;
}

static int compare(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int depth)
{
	/* an empty value sorts before every non-empty one, for every type */
	if (an == 0 || bn == 0)
		return an == 0 ? (bn == 0 ? 0 : -1) : 1;
	if (depth > MAX_VALUE_DEPTH)
		return cmp_bytes(a, an, b, bn);
	switch (t->kind) {
	case TY_INT:
		if (an == 4 && bn == 4)
			return cmp_i64((int32_t)ty__be32(a), (int32_t)ty__be32(b));
		break;
	case TY_BIGINT:
	case TY_COUNTER:
	case TY_TIMESTAMP:
	case TY_TIME:
		if (an == 8 && bn == 8)
			return cmp_i64((int64_t)ty__be64(a), (int64_t)ty__be64(b));
		break;
	case TY_SMALLINT:
		if (an == 2 && bn == 2)
			return cmp_i64((int16_t)(a[0] << 8 | a[1]), (int16_t)(b[0] << 8 | b[1]));
		break;
	case TY_TINYINT:
		if (an == 1 && bn == 1)
			return cmp_i64((int8_t)a[0], (int8_t)b[0]);
		break;
	case TY_FLOAT:
		if (an == 4 && bn == 4)
			return cmp_double(load_float(a), load_float(b));
		break;
	case TY_DOUBLE:
		if (an == 8 && bn == 8)
			return cmp_double(load_double(a), load_double(b));
		break;
	case TY_BOOLEAN:
		/* any non-zero byte is true */
		return (a[0] != 0) == (b[0] != 0) ? 0 : a[0] == 0 ? -1 : 1;
	case TY_VARINT:
		return ty__varint_cmp(a, an, b, bn);
	case TY_DECIMAL:
		return ty__decimal_cmp(a, an, b, bn);
	case TY_UUID:
		if (an == 16 && bn == 16)
			return cmp_uuid(a, b);
		break;
	case TY_TIMEUUID:
		if (an == 16 && bn == 16)
			return cmp_timeuuid(a, b);
		break;
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		return cmp_collection(t, a, an, b, bn, depth);
	case TY_TUPLE:
	case TY_UDT:
		return cmp_fields(t, a, an, b, bn, depth);
	case TY_VECTOR: {
		/* element-wise, as the list they frame */
		hl_buf la, lb;
		int c = 2;

		hl_buf_init(&la);
		hl_buf_init(&lb);
		if (ty_vector_to_list(t, a, an, &la) == 0 && ty_vector_to_list(t, b, bn, &lb) == 0) {
			ty_type lt = { .kind = TY_LIST, .frozen = true, .nsub = 1, .sub = t->sub };

			c = compare(&lt, la.p, la.len, lb.p, lb.len, depth + 1);
		}
		hl_buf_free(&la);
		hl_buf_free(&lb);
		if (c != 2)
			return c;
		break;
	}
	default:
		/* text, ascii, blob, inet, date (unsigned days + 2^31), duration, custom */
		break;
	}
	return cmp_bytes(a, an, b, bn);
}

int ty_compare(const ty_type *t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return compare(t, a, an, b, bn, 0);
}
