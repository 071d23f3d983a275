/*
 * types/cql.c: serialized value -> CQL text. ty_to_cql writes a literal that
 * parses back to the same value (strings quoted, blobs as 0x..., timestamps
 * as 'yyyy-mm-dd hh:mm:ss.ffffff+0000', collections in CQL syntax);
 * ty_to_text is the same without quotes around a top-level string-like
 * value, as cqlsh shows a cell.
 */
#include "types/types_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FMT_DEPTH = 64 };

static void put_quoted(hl_buf *out, const uint8_t *p, size_t n, bool quote)
{
	size_t i, start = 0;

	if (!quote) {
		hl_buf_put(out, p, n);
		return;
	}
	hl_buf_u8(out, '\'');
	for (i = 0; i < n; i++)
		if (p[i] == '\'') {
			hl_buf_put(out, p + start, i + 1 - start);
			hl_buf_u8(out, '\'');
			start = i + 1;
		}
	hl_buf_put(out, p + start, n - start);
	hl_buf_u8(out, '\'');
}

static void put_hex(hl_buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	hl_buf_reserve(out, 2 + 2 * n);
	hl_buf_str(out, "0x");
	for (i = 0; i < n; i++) {
		hl_buf_u8(out, (uint8_t)hex[p[i] >> 4]);
		hl_buf_u8(out, (uint8_t)hex[p[i] & 15]);
	}
}

/* Shortest decimal text that reads back to the same value. */
static void put_floating(hl_buf *out, double v, bool is_float)
{
	char tmp[40];
	int prec;

	if (isnan(v)) {
		hl_buf_str(out, "NaN");
		return;
	}
	if (isinf(v)) {
		hl_buf_str(out, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (is_float ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	hl_buf_str(out, tmp);
}

void ty__put_date(hl_buf *out, int64_t days)
{
	int64_t y;
	int m, d;

	ty__civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		hl_buf_printf(out, "+%lld-%02d-%02d", (long long)y, m, d);
	else if (y < 0)
		hl_buf_printf(out, "-%04lld-%02d-%02d", (long long)-y, m, d);
	else
		hl_buf_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
}

static void put_timestamp(hl_buf *out, int64_t ms)
{
	int64_t days = ms / 86400000, rem = ms % 86400000;

	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	ty__put_date(out, days);
	hl_buf_printf(out, " %02d:%02d:%02d.%03d000+0000", (int)(rem / 3600000), (int)(rem / 60000 % 60),
		      (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static void put_time(hl_buf *out, int64_t ns)
{
	hl_buf_printf(out, "%02d:%02d:%02d.%09d", (int)(ns / 3600000000000LL),
		      (int)(ns / 60000000000LL % 60), (int)(ns / 1000000000 % 60), (int)(ns % 1000000000));
}

static uint64_t put_unit(hl_buf *out, uint64_t v, uint64_t div, const char *unit)
{
	if (v / div)
		hl_buf_printf(out, "%llu%s", (unsigned long long)(v / div), unit);
	return v % div;
}

void ty__put_duration(hl_buf *out, int64_t months, int64_t days, int64_t nanos)
{
	uint64_t m = months < 0 ? -(uint64_t)months : (uint64_t)months;
	uint64_t d = days < 0 ? -(uint64_t)days : (uint64_t)days;
	uint64_t ns = nanos < 0 ? -(uint64_t)nanos : (uint64_t)nanos;

	if (!m && !d && !ns) {
		hl_buf_str(out, "0s");
		return;
	}
	if (months < 0 || days < 0 || nanos < 0)
		hl_buf_u8(out, '-');
	m = put_unit(out, m, 12, "y");
	put_unit(out, m, 1, "mo");
	put_unit(out, d, 1, "d");
	ns = put_unit(out, ns, 3600000000000ULL, "h");
	ns = put_unit(out, ns, 60000000000ULL, "m");
	ns = put_unit(out, ns, 1000000000ULL, "s");
	ns = put_unit(out, ns, 1000000ULL, "ms");
	ns = put_unit(out, ns, 1000ULL, "us");
	put_unit(out, ns, 1, "ns");
}

static void put_decimal(hl_buf *out, const uint8_t *p, size_t n)
{
	int32_t scale = (int32_t)ty__be32(p);
	hl_buf t;
	size_t start = 0, len, i;

	hl_buf_init(&t);
	ty__varint_to_dec(p + 4, n - 4, &t);
	if (t.p[0] == '-') {
		hl_buf_u8(out, '-');
		start = 1;
	}
	len = t.len - start;
	if (scale == 0) {
		hl_buf_put(out, t.p + start, len);
	} else if (scale < 0 && scale >= -1000) {
		/* plain form, as BigDecimal.toPlainString */
		hl_buf_put(out, t.p + start, len);
		if (!(len == 1 && t.p[start] == '0'))
			for (i = 0; i < (size_t)-(int64_t)scale; i++)
				hl_buf_u8(out, '0');
	} else if (scale > 0 && scale <= 1000) {
		if (len > (size_t)scale) {
			hl_buf_put(out, t.p + start, len - (size_t)scale);
			hl_buf_u8(out, '.');
			hl_buf_put(out, t.p + start + len - (size_t)scale, (size_t)scale);
		} else {
			hl_buf_str(out, "0.");
			for (i = len; i < (size_t)scale; i++)
				hl_buf_u8(out, '0');
			hl_buf_put(out, t.p + start, len);
		}
	} else {
		/* absurd scales: unscaled E exponent keeps the text bounded */
		hl_buf_put(out, t.p + start, len);
		hl_buf_printf(out, "E%lld", -(long long)scale);
	}
	hl_buf_free(&t);
}

static void put_ident(hl_buf *out, const char *s)
{
	const char *c;
	bool plain = s[0] >= 'a' && s[0] <= 'z';

	for (c = s; *c && plain; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			plain = false;
	if (plain) {
		hl_buf_str(out, s);
		return;
	}
	hl_buf_u8(out, '"');
	for (c = s; *c; c++) {
		if (*c == '"')
			hl_buf_u8(out, '"');
		hl_buf_u8(out, (uint8_t)*c);
	}
	hl_buf_u8(out, '"');
}

static int format(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, bool quote, int depth);

static int format_collection(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth)
{
	hl_rd r;
	int32_t count, i, len;
	const uint8_t *e;
	int j, per = t->kind == TY_MAP ? 2 : 1;

	hl_rd_init(&r, p, n);
	if (hl_rd_i32(&r, &count) || count < 0)
		return -1;
	hl_buf_u8(out, t->kind == TY_LIST ? '[' : '{');
	for (i = 0; i < count; i++) {
		if (i)
			hl_buf_str(out, ", ");
		for (j = 0; j < per; j++) {
			if (j)
				hl_buf_str(out, ": ");
			if (hl_rd_i32(&r, &len))
				return -1;
			if (len < 0) {
				hl_buf_str(out, "null");
				continue;
			}
			if (hl_rd_raw(&r, (size_t)len, &e) ||
			    format(t->sub[j], e, (size_t)len, out, true, depth + 1))
				return -1;
		}
	}
	hl_buf_u8(out, t->kind == TY_LIST ? ']' : '}');
	return 0;
}

static int format_fields(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, int depth)
{
	hl_rd r;
	int32_t len;
	const uint8_t *e;
	int i;
	bool udt = t->kind == TY_UDT;

	hl_rd_init(&r, p, n);
	hl_buf_u8(out, udt ? '{' : '(');
	for (i = 0; i < t->nsub; i++) {
		if (i)
			hl_buf_str(out, ", ");
		if (udt) {
			put_ident(out, t->field_names[i]);
			hl_buf_str(out, ": ");
		}
		/* a value with fewer fields than the type: the rest are null */
		if (hl_rd_left(&r) == 0) {
			hl_buf_str(out, "null");
			continue;
		}
		if (hl_rd_i32(&r, &len))
			return -1;
		if (len < 0) {
			hl_buf_str(out, "null");
			continue;
		}
		if (hl_rd_raw(&r, (size_t)len, &e) || format(t->sub[i], e, (size_t)len, out, true, depth + 1))
			return -1;
	}
	hl_buf_u8(out, udt ? '}' : ')');
	return 0;
}

static int format(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, bool quote, int depth)
{
	char tmp[64];

	if (depth > MAX_FMT_DEPTH)
		return -1;
	if (n == 0) {
		/* Cassandra's "empty" value of a non-string type has no literal form */
		if (t->kind == TY_TEXT || t->kind == TY_ASCII)
			put_quoted(out, p, 0, quote);
		else if (t->kind == TY_BLOB || t->kind == TY_CUSTOM)
			hl_buf_str(out, "0x");
		return 0;
	}
	switch (t->kind) {
	case TY_ASCII:
	case TY_TEXT:
		put_quoted(out, p, n, quote);
		return 0;
	case TY_BLOB:
	case TY_CUSTOM:
		put_hex(out, p, n);
		return 0;
	case TY_BOOLEAN:
	case TY_INT:
	case TY_BIGINT:
	case TY_COUNTER:
	case TY_SMALLINT:
	case TY_TINYINT:
		return ty__put_fixed(t->kind, p, n, out);
	case TY_FLOAT: {
		uint32_t u;
		float f;

		if (n != 4)
			return -1;
		u = ty__be32(p);
		memcpy(&f, &u, sizeof f);
		put_floating(out, f, true);
		return 0;
	}
	case TY_DOUBLE: {
		uint64_t u;
		double d;

		if (n != 8)
			return -1;
		u = ty__be64(p);
		memcpy(&d, &u, sizeof d);
		put_floating(out, d, false);
		return 0;
	}
	case TY_VARINT:
		ty__varint_to_dec(p, n, out);
		return 0;
	case TY_DECIMAL:
		if (n < 4)
			return -1;
		put_decimal(out, p, n);
		return 0;
	case TY_UUID:
	case TY_TIMEUUID: {
		hl_uuid u;
		char s[37];

		if (n != 16)
			return -1;
		memcpy(u.b, p, 16);
		hl_uuid_str(&u, s);
		hl_buf_str(out, s);
		return 0;
	}
	case TY_INET:
		if ((n != 4 && n != 16) || !inet_ntop(n == 4 ? AF_INET : AF_INET6, p, tmp, sizeof tmp))
			return -1;
		put_quoted(out, (const uint8_t *)tmp, strlen(tmp), quote);
		return 0;
	case TY_TIMESTAMP: {
		hl_buf s;

		if (n != 8)
			return -1;
		hl_buf_init(&s);
		put_timestamp(&s, (int64_t)ty__be64(p));
		put_quoted(out, s.p, s.len, quote);
		hl_buf_free(&s);
		return 0;
	}
	case TY_DATE: {
		hl_buf s;

		if (n != 4)
			return -1;
		hl_buf_init(&s);
		ty__put_date(&s, (int64_t)ty__be32(p) - TY_DATE_EPOCH);
		put_quoted(out, s.p, s.len, quote);
		hl_buf_free(&s);
		return 0;
	}
	case TY_TIME: {
		int64_t v;
		hl_buf s;

		if (n != 8)
			return -1;
		v = (int64_t)ty__be64(p);
		if (v < 0 || v >= TY_NANOS_PER_DAY)
			return -1;
		hl_buf_init(&s);
		put_time(&s, v);
		put_quoted(out, s.p, s.len, quote);
		hl_buf_free(&s);
		return 0;
	}
	case TY_DURATION: {
		hl_rd r;
		int64_t mo, d, ns;

		hl_rd_init(&r, p, n);
		if (hl_rd_vint(&r, &mo) || hl_rd_vint(&r, &d) || hl_rd_vint(&r, &ns))
			return -1;
		ty__put_duration(out, mo, d, ns);
		return 0;
	}
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		return format_collection(t, p, n, out, depth);
	case TY_TUPLE:
	case TY_UDT:
		return format_fields(t, p, n, out, depth);
	case TY_VECTOR: {
		/* printed as the list literal it is written as: [1.0, 2.0] */
		hl_buf l;
		int rc = -1;
		ty_type lt = { .kind = TY_LIST, .frozen = true, .nsub = 1, .sub = t->sub };

		hl_buf_init(&l);
		if (ty_vector_to_list(t, p, n, &l) == 0)
			rc = format_collection(&lt, l.p, l.len, out, depth);
		hl_buf_free(&l);
		return rc;
	}
	}
	return -1;
}

int ty_to_cql(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	size_t mark = out->len;

	if (format(t, p, n, out, true, 0)) {
		out->len = mark;
		return -1;
	}
	return 0;
}

int ty_to_text(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	size_t mark = out->len;

	if (format(t, p, n, out, false, 0)) {
		out->len = mark;
		return -1;
	}
	return 0;
}

int ty__put_fixed(ty_kind k, const uint8_t *p, size_t n, hl_buf *out)
{
	static const size_t width[] = { [TY_BOOLEAN] = 1, [TY_INT] = 4, [TY_BIGINT] = 8,
					[TY_COUNTER] = 8, [TY_SMALLINT] = 2, [TY_TINYINT] = 1 };
	if (k != TY_BOOLEAN && k != TY_INT && k != TY_BIGINT && k != TY_COUNTER &&
	    k != TY_SMALLINT && k != TY_TINYINT)
		return 1;
	if (n != width[k])
		return -1;
	switch (k) {
	case TY_BOOLEAN:
		hl_buf_str(out, p[0] ? "true" : "false");
		break;
	case TY_INT:
		hl_buf_printf(out, "%d", (int32_t)ty__be32(p));
		break;
	case TY_BIGINT:
	case TY_COUNTER:
		hl_buf_printf(out, "%lld", (long long)(int64_t)ty__be64(p));
		break;
	case TY_SMALLINT:
		hl_buf_printf(out, "%d", (int16_t)(p[0] << 8 | p[1]));
		break;
	default:
		hl_buf_printf(out, "%d", (int8_t)p[0]);
		break;
	}
	return 0;
}
