/*
 * CQL arithmetic (Cassandra's OperationFcts) and CAST (CastFcts) over
 * serialized values.
 *
 * Numbers are loaded into one of four representations: a 64-bit integer
 * (tinyint..bigint, counter), a double (float, double), a 128-bit varint,
 * or a decimal as a 128-bit unscaled value and an i32 scale. Results follow
 * Java's semantics for the result type Cassandra picks: fixed-width integers
 * wrap, float arithmetic is done in float, integer division by zero fails
 * ("/ by zero"), decimals round to 34 digits (MathContext.DECIMAL128).
 * Varints and decimals beyond 128 bits are refused ("... overflow") rather
 * than computed: Cassandra's BigInteger/BigDecimal have no such bound.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/types_int.h"

typedef __int128 i128;

enum { N_INT, N_FP, N_VARINT, N_DEC };

typedef struct num {
	int cls;
	int64_t i;
	double d;
	i128 u;                        /* VARINT / DEC unscaled */
	int32_t scale;                 /* DEC */
} num;

bool ty_is_numeric(ty_kind k)
{
	switch (k) {
	case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_COUNTER:
	case TY_FLOAT: case TY_DOUBLE: case TY_VARINT: case TY_DECIMAL:
		return true;
	default:
		return false;
	}
}

static bool is_str(ty_kind k)
{
	return k == TY_TEXT || k == TY_ASCII;
}

/* Size Cassandra ranks a numeric type by (OperationFcts.size). */
static int num_size(ty_kind k)
{
	switch (k) {
	case TY_TINYINT: return 1;
	case TY_SMALLINT: return 2;
	case TY_INT: case TY_FLOAT: return 4;
	case TY_BIGINT: case TY_DOUBLE: case TY_COUNTER: return 8;
	default: return 1 << 30;
	}
}

const ty_type *ty_arith_result(const ty_type *l, char op, const ty_type *r)
{
	if (!l || !r)
		return NULL;
	if (ty_is_numeric(l->kind) && ty_is_numeric(r->kind)) {
		bool fp = l->kind == TY_FLOAT || l->kind == TY_DOUBLE || l->kind == TY_DECIMAL ||
			  r->kind == TY_FLOAT || r->kind == TY_DOUBLE || r->kind == TY_DECIMAL;
		int sz = num_size(l->kind) > num_size(r->kind) ? num_size(l->kind) : num_size(r->kind);
		if (fp)
			return ty_simple(sz == 4 ? TY_FLOAT : sz == 8 ? TY_DOUBLE : TY_DECIMAL);
		switch (sz) {
		case 1: return ty_simple(TY_TINYINT);
		case 2: return ty_simple(TY_SMALLINT);
		case 4: return ty_simple(TY_INT);
		case 8: return ty_simple(TY_BIGINT);
		default: return ty_simple(TY_VARINT);
		}
	}
	if ((op == '+' || op == '-') && (l->kind == TY_TIMESTAMP || l->kind == TY_DATE) &&
	    r->kind == TY_DURATION)
		return ty_simple(l->kind);
	/* 5.0's string concatenation: ascii + ascii is ascii, anything with text is text */
	if (op == '+' && is_str(l->kind) && is_str(r->kind))
		return ty_simple(l->kind == TY_ASCII && r->kind == TY_ASCII ? TY_ASCII : TY_TEXT);
	return NULL;
}

/* ------------------------------------------------------------ loading */

static i128 load_varint(const uint8_t *p, size_t n)
{
	i128 v = (int8_t)p[0];
	for (size_t i = 1; i < n; i++)
		v = (i128)((unsigned __int128)v << 8) | p[i];
	return v;
}

static int load(ty_kind k, const uint8_t *p, size_t n, num *o, hl_err *err)
{
	memset(o, 0, sizeof *o);
	/* sizes are checked here too: a stored value is never trusted blindly */
	if (((k == TY_FLOAT) && n != 4) || ((k == TY_DOUBLE) && n != 8) || n == 0 ||
	    ((k == TY_TINYINT || k == TY_SMALLINT || k == TY_INT || k == TY_BIGINT || k == TY_COUNTER) &&
	     n > 8))
		return hl_errf(err, HL_ERR_INVALID, "invalid %s value", k == TY_FLOAT ? "float" :
			       k == TY_DOUBLE ? "double" : "numeric");
	switch (k) {
	case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: case TY_COUNTER:
		o->cls = N_INT;
		o->i = n ? (int8_t)p[0] : 0;
		for (size_t i = 1; i < n; i++)
			o->i = (int64_t)((uint64_t)o->i << 8) | p[i];
		return 0;
	case TY_FLOAT: {
		uint32_t u = ty__be32(p);
		float f;
		memcpy(&f, &u, 4);
		o->cls = N_FP;
		o->d = f;
		return 0;
	}
	case TY_DOUBLE: {
		uint64_t u = ty__be64(p);
		o->cls = N_FP;
		memcpy(&o->d, &u, 8);
		return 0;
	}
	case TY_VARINT:
		if (n > 16)
			return hl_errf(err, HL_ERR_INVALID, "varint overflow");
		o->cls = N_VARINT;
		o->u = load_varint(p, n);
		return 0;
	case TY_DECIMAL:
		if (n < 5 || n > 20)
			return hl_errf(err, HL_ERR_INVALID, "decimal overflow");
		o->cls = N_DEC;
		o->scale = (int32_t)ty__be32(p);
		o->u = load_varint(p + 4, n - 4);
		return 0;
	default:
		return hl_errf(err, HL_ERR_INVALID, "not a number");
	}
}

/* ------------------------------------------------------------ 128-bit helpers */

static const i128 I128_MAX = (i128)(((unsigned __int128)1 << 127) - 1);

static int digits(i128 v)
{
	unsigned __int128 a = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	int d = 1;
	while (a >= 10) {
		a /= 10;
		d++;
	}
	return d;
}

static bool pow10_mul(i128 *v, int k)
{
	for (int i = 0; i < k; i++)
		if (__builtin_mul_overflow(*v, (i128)10, v))
			return false;
	return true;
}

/* Round a decimal to at most 34 significant digits, HALF_EVEN. */
static void dec_round34(num *o)
{
	int d = digits(o->u);
	if (d <= 34)
		return;
	int k = d - 34;
	unsigned __int128 a = o->u < 0 ? (unsigned __int128)0 - (unsigned __int128)o->u : (unsigned __int128)o->u;
	unsigned __int128 p = 1;
	for (int i = 0; i < k; i++)
		p *= 10;
	unsigned __int128 q = a / p, r = a % p, half = p / 2;
	if (r > half || (r == half && (q & 1)))
		q++;
	o->u = o->u < 0 ? -(i128)q : (i128)q;
	o->scale -= k;
}

static void put_varint128(hl_buf *out, i128 v)
{
	uint8_t b[16];
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	int s = 0;
	while (s < 15 && ((b[s] == 0 && !(b[s + 1] & 0x80)) || (b[s] == 0xff && (b[s + 1] & 0x80))))
		s++;
	hl_buf_put(out, b + s, (size_t)(16 - s));
}

static void put_dec(hl_buf *out, i128 u, int32_t scale)
{
	uint8_t s[4] = { (uint8_t)(scale >> 24), (uint8_t)(scale >> 16), (uint8_t)(scale >> 8),
			 (uint8_t)scale };
	hl_buf_put(out, s, 4);
	put_varint128(out, u);
}

/* A number as a decimal (BigDecimal.valueOf for floating point). */
static int to_dec(const num *a, num *o, hl_err *err)
{
	memset(o, 0, sizeof *o);
	o->cls = N_DEC;
	switch (a->cls) {
	case N_INT: o->u = a->i; return 0;
	case N_VARINT: o->u = a->u; return 0;
	case N_DEC: *o = *a; return 0;
	default: {
		if (isnan(a->d) || isinf(a->d))
			return hl_errf(err, HL_ERR_INVALID, "Infinite or NaN");
		hl_buf t;
		hl_buf_init(&t);
		hl_buf_java_double(&t, a->d, false);
		hl_buf_u8(&t, 0);
		const char *s = (const char *)t.p;
		bool neg = *s == '-';
		if (neg)
			s++;
		i128 u = 0;
		int32_t scale = 0;
		bool frac = false;
		for (; *s && *s != 'E'; s++) {
			if (*s == '.') {
				frac = true;
				continue;
			}
			u = u * 10 + (*s - '0');
			if (frac)
				scale++;
		}
		if (*s == 'E')
			scale -= atoi(s + 1);
		hl_buf_free(&t);
		o->u = neg ? -u : u;
		o->scale = scale;
		return 0;
	}
	}
}

static double num_double(const num *a)
{
	switch (a->cls) {
	case N_INT: return (double)a->i;
	case N_FP: return a->d;
	case N_VARINT: return (double)a->u;
	default: {
		hl_buf s, t;
		hl_buf_init(&s);
		hl_buf_init(&t);
		put_dec(&s, a->u, a->scale);
		ty__put_bigdecimal(&t, s.p, s.len);
		hl_buf_u8(&t, 0);
		double d = strtod((const char *)t.p, NULL);
		hl_buf_free(&s);
		hl_buf_free(&t);
		return d;
	}
	}
}

/* Java's (long) of a double: NaN is 0, out of range saturates. */
static int64_t java_d2l(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

static int32_t java_d2i(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 2147483647.0)
		return INT32_MAX;
	if (d <= -2147483648.0)
		return INT32_MIN;
	return (int32_t)d;
}

/* Integer part of a number, truncated (BigDecimal.toBigInteger). */
static i128 num_trunc(const num *a)
{
	switch (a->cls) {
	case N_INT: return a->i;
	case N_VARINT: return a->u;
	case N_FP: return (i128)java_d2l(a->d);
	default: {
		i128 u = a->u;
		int32_t s = a->scale;
		while (s > 0 && u != 0) {
			u /= 10;
			s--;
		}
		if (s > 0)
			return 0;
		while (s < 0) {
			if (__builtin_mul_overflow(u, (i128)10, &u))
				return 0;
			s++;
		}
		return u;
	}
	}
}

/* ------------------------------------------------------------ storing */

static void put_int_kind(hl_buf *out, ty_kind k, int64_t v)
{
	switch (k) {
	case TY_TINYINT: hl_buf_u8(out, (uint8_t)v); break;
	case TY_SMALLINT: hl_buf_u16(out, (uint16_t)v); break;
	case TY_INT: hl_buf_u32(out, (uint32_t)v); break;
	default: hl_buf_u64(out, (uint64_t)v); break;
	}
}

static void put_fp(hl_buf *out, ty_kind k, double d)
{
	if (k == TY_FLOAT) {
		float f = (float)d;
		uint32_t u;
		memcpy(&u, &f, 4);
		hl_buf_u32(out, u);
	} else {
		uint64_t u;
		memcpy(&u, &d, 8);
		hl_buf_u64(out, u);
	}
}

/* ------------------------------------------------------------ operations */

static int op_fail(hl_err *err, const ty_type *lt, char op, const ty_type *rt, const char *why)
{
	char l[64], r[64];
	hl_buf b;
	hl_buf_init(&b);
	ty_format(lt, &b);
	snprintf(l, sizeof l, "%.*s", (int)b.len, (const char *)b.p);
	hl_buf_reset(&b);
	ty_format(rt, &b);
	snprintf(r, sizeof r, "%.*s", (int)b.len, (const char *)b.p);
	hl_buf_free(&b);
	hl_errf(err, HL_ERR_FUNCTION_FAILURE, "the operation '%s %c %s' failed: %s", l, op, r, why);
	snprintf(err->ks, sizeof err->ks, "system");
	snprintf(err->table, sizeof err->table, "%s", op == '+' ? "_add" : op == '-' ? "_substract" :
		 op == '*' ? "_multiply" : op == '/' ? "_divide" : "_modulo");
	return -1;
}

static int int_op(char op, int64_t a, int64_t b, int64_t *o)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op) {
	case '+': *o = (int64_t)(ua + ub); return 0;
	case '-': *o = (int64_t)(ua - ub); return 0;
	case '*': *o = (int64_t)(ua * ub); return 0;
	case '/':
		if (b == 0)
			return -1;
		*o = b == -1 ? (int64_t)(0 - ua) : a / b;
		return 0;
	default:
		if (b == 0)
			return -1;
		*o = b == -1 ? 0 : a % b;
		return 0;
	}
}

/* Decimal add/sub/mul/div/rem with DECIMAL128 rounding. */
static int dec_op(char op, num a, num b, num *o, const char **why)
{
	memset(o, 0, sizeof *o);
	o->cls = N_DEC;
	if (op == '+' || op == '-') {
		/* align scales */
		while (a.scale < b.scale) {
			if (!pow10_mul(&a.u, 1))
				goto ovf;
			a.scale++;
		}
		while (b.scale < a.scale) {
			if (!pow10_mul(&b.u, 1))
				goto ovf;
			b.scale++;
		}
		if (op == '+' ? __builtin_add_overflow(a.u, b.u, &o->u) : __builtin_sub_overflow(a.u, b.u, &o->u))
			goto ovf;
		o->scale = a.scale;
	} else if (op == '*') {
		if (__builtin_mul_overflow(a.u, b.u, &o->u))
			goto ovf;
		o->scale = a.scale + b.scale;
	} else if (op == '/') {
		if (b.u == 0) {
			*why = a.u == 0 ? "Division undefined" : "Division by zero";
			return -1;
		}
		/* long division to 34 significant digits, then strip zeros down to
		 * the preferred scale a.scale - b.scale, as BigDecimal.divide does */
		bool neg = (a.u < 0) != (b.u < 0);
		unsigned __int128 x = a.u < 0 ? (unsigned __int128)0 - (unsigned __int128)a.u : (unsigned __int128)a.u;
		unsigned __int128 y = b.u < 0 ? (unsigned __int128)0 - (unsigned __int128)b.u : (unsigned __int128)b.u;
		if (y > (unsigned __int128)I128_MAX / 10)
			goto ovf;
		unsigned __int128 q = x / y, r = x % y;
		int32_t scale = a.scale - b.scale;
		int nd = q ? digits((i128)q) : 0;
		while (r != 0 && nd < 34) {
			r *= 10;
			q = q * 10 + r / y;
			r %= y;
			scale++;
			if (q)
				nd = digits((i128)q);
		}
		if (nd > 34) {
			num t = { .cls = N_DEC, .u = (i128)q, .scale = scale };
			dec_round34(&t);
			q = (unsigned __int128)t.u;
			scale = t.scale;
		} else if (r != 0) {
			/* round the last digit half-even on the remainder */
			unsigned __int128 twice = r * 2;
			if (twice > y || (twice == y && (q & 1)))
				q++;
		}
		int32_t pref = a.scale - b.scale;
		while (scale > pref && q % 10 == 0 && q) {
			q /= 10;
			scale--;
		}
		o->u = neg ? -(i128)q : (i128)q;
		o->scale = scale;
		return 0;
	} else {
		if (b.u == 0) {
			*why = "Division impossible";
			return -1;
		}
		while (a.scale < b.scale) {
			if (!pow10_mul(&a.u, 1))
				goto ovf;
			a.scale++;
		}
		while (b.scale < a.scale) {
			if (!pow10_mul(&b.u, 1))
				goto ovf;
			b.scale++;
		}
		o->u = a.u % b.u;
		o->scale = a.scale;
	}
	dec_round34(o);
	return 0;
ovf:
	*why = "decimal overflow";
	return -1;
}

int ty_arith(char op, const ty_type *rt, const ty_type *lt, const uint8_t *lp, size_t ln,
	     const ty_type *rty, const uint8_t *rp, size_t rn, hl_buf *out, hl_err *err)
{
	const char *why = NULL;
	if (is_str(rt->kind)) {
		hl_buf_put(out, lp, ln);
		hl_buf_put(out, rp, rn);
		return 0;
	}
	if (rt->kind == TY_TIMESTAMP || rt->kind == TY_DATE) {
		hl_rd r;
		int64_t mo, d, ns;
		hl_rd_init(&r, rp, rn);
		if (hl_rd_vint(&r, &mo) || hl_rd_vint(&r, &d) || hl_rd_vint(&r, &ns))
			return op_fail(err, lt, op, rty, "invalid duration");
		if (op == '-') {
			mo = -mo;
			d = -d;
			ns = -ns;
		}
		if (rt->kind == TY_DATE && ns % TY_NANOS_PER_DAY != 0) {
			hl_buf t;
			hl_buf_init(&t);
			ty__put_duration(&t, op == '-' ? -mo : mo, op == '-' ? -d : d, op == '-' ? -ns : ns);
			char m[200];
			snprintf(m, sizeof m, "The duration must have a day precision. Was: %.*s",
				 (int)t.len, (const char *)t.p);
			hl_buf_free(&t);
			return op_fail(err, lt, op, rty, m);
		}
		if (rt->kind == TY_TIMESTAMP && ns % 1000000 != 0) {
			hl_buf t;
			hl_buf_init(&t);
			ty__put_duration(&t, op == '-' ? -mo : mo, op == '-' ? -d : d, op == '-' ? -ns : ns);
			char m[200];
			snprintf(m, sizeof m, "The duration must have a millisecond precision. Was: %.*s",
				 (int)t.len, (const char *)t.p);
			hl_buf_free(&t);
			return op_fail(err, lt, op, rty, m);
		}
		if (ln != (rt->kind == TY_DATE ? 4u : 8u))
			return op_fail(err, lt, op, rty, "invalid temporal value");
		int64_t ms = rt->kind == TY_DATE ? ((int64_t)ty__be32(lp) - TY_DATE_EPOCH) * 86400000LL
						 : (int64_t)ty__be64(lp);
		if (mo) {
			/* Calendar.add(MONTH): the day is clamped to the new month's length */
			int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
			int64_t rem = ms - days * 86400000LL, y;
			int m, dd;
			ty__civil_from_days(days, &y, &m, &dd);
			int64_t tm = y * 12 + (m - 1) + mo;
			y = tm >= 0 ? tm / 12 : -((-tm + 11) / 12);
			m = (int)(tm - y * 12) + 1;
			static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
			int lim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
			if (dd > lim)
				dd = lim;
			ms = ty__days_from_civil(y, m, dd) * 86400000LL + rem;
		}
		ms += d * 86400000LL + ns / 1000000;
		if (rt->kind == TY_DATE) {
			int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
			hl_buf_u32(out, (uint32_t)(days + TY_DATE_EPOCH));
		} else {
			hl_buf_u64(out, (uint64_t)ms);
		}
		return 0;
	}
	num a, b;
	char why_buf[sizeof err->msg];
	if (load(lt->kind, lp, ln, &a, err) < 0 || load(rty->kind, rp, rn, &b, err) < 0) {
		memcpy(why_buf, err->msg, sizeof why_buf);
		return op_fail(err, lt, op, rty, why_buf);
	}
	switch (rt->kind) {
	case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: {
		int64_t o;
		if (int_op(op, a.i, b.i, &o) < 0)
			return op_fail(err, lt, op, rty, "/ by zero");
		/* narrow first: Java computes byte/short/int ops in int and casts back */
		put_int_kind(out, rt->kind, o);
		return 0;
	}
	case TY_FLOAT: {
		float x = (float)num_double(&a), y = (float)num_double(&b), o;
		switch (op) {
		case '+': o = x + y; break;
		case '-': o = x - y; break;
		case '*': o = x * y; break;
		case '/': o = x / y; break;
		default: o = fmodf(x, y); break;
		}
		put_fp(out, TY_FLOAT, o);
		return 0;
	}
	case TY_DOUBLE: {
		double x = num_double(&a), y = num_double(&b), o;
		switch (op) {
		case '+': o = x + y; break;
		case '-': o = x - y; break;
		case '*': o = x * y; break;
		case '/': o = x / y; break;
		default: o = fmod(x, y); break;
		}
		put_fp(out, TY_DOUBLE, o);
		return 0;
	}
	case TY_VARINT: {
		i128 x = num_trunc(&a), y = num_trunc(&b), o = 0;
		bool ovf = false;
		switch (op) {
		case '+': ovf = __builtin_add_overflow(x, y, &o); break;
		case '-': ovf = __builtin_sub_overflow(x, y, &o); break;
		case '*': ovf = __builtin_mul_overflow(x, y, &o); break;
		default:
			if (y == 0)
				return op_fail(err, lt, op, rty, "BigInteger divide by zero");
			if (y == -1)
				ovf = __builtin_sub_overflow((i128)0, x, &o), o = op == '/' ? o : 0;
			else
				o = op == '/' ? x / y : x % y;
			break;
		}
		if (ovf)
			return op_fail(err, lt, op, rty, "varint overflow");
		put_varint128(out, o);
		return 0;
	}
	default: {
		num x, y, o;
		if (to_dec(&a, &x, err) < 0 || to_dec(&b, &y, err) < 0) {
			memcpy(why_buf, err->msg, sizeof why_buf);
			return op_fail(err, lt, op, rty, why_buf);
		}
		if (dec_op(op, x, y, &o, &why) < 0)
			return op_fail(err, lt, op, rty, why);
		put_dec(out, o.u, o.scale);
		return 0;
	}
	}
}

int ty_negate(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out, hl_err *err)
{
	num a;
	if (load(t->kind, p, n, &a, err) < 0)
		return -1;
	switch (a.cls) {
	case N_INT:
		put_int_kind(out, t->kind == TY_COUNTER ? TY_BIGINT : t->kind, (int64_t)(0 - (uint64_t)a.i));
		return 0;
	case N_FP:
		put_fp(out, t->kind, -a.d);
		return 0;
	case N_VARINT:
		if (a.u == -I128_MAX - 1)
			return hl_errf(err, HL_ERR_INVALID, "varint overflow");
		put_varint128(out, -a.u);
		return 0;
	default:
		put_dec(out, -a.u, a.scale);
		return 0;
	}
}

/* ------------------------------------------------------------ CAST */

static bool cast_to_text_ok(ty_kind k)
{
	switch (k) {
	case TY_ASCII: case TY_TEXT: case TY_BOOLEAN: case TY_INET: case TY_TIMEUUID:
	case TY_TIMESTAMP: case TY_DATE: case TY_TIME: case TY_UUID:
		return true;
	default:
		return ty_is_numeric(k);
	}
}

bool ty_castable(const ty_type *to, const ty_type *from)
{
	ty_kind t = to->kind, f = from->kind;
	if (ty_is_numeric(t) && t != TY_COUNTER && ty_is_numeric(f))
		return true;
	if (is_str(t))
		return cast_to_text_ok(f);
	if (t == TY_DATE)
		return f == TY_TIMEUUID || f == TY_TIMESTAMP;
	if (t == TY_TIMESTAMP)
		return f == TY_TIMEUUID || f == TY_DATE;
	return false;
}

static int64_t timeuuid_ms(const uint8_t *p)
{
	uint64_t ts = ((uint64_t)(p[6] & 0x0f) << 56) | ((uint64_t)p[7] << 48) |
		      ((uint64_t)p[4] << 40) | ((uint64_t)p[5] << 32) |
		      ((uint64_t)p[0] << 24) | ((uint64_t)p[1] << 16) | ((uint64_t)p[2] << 8) | p[3];
	return (int64_t)((ts - 0x01B21DD213814000ULL) / 10000);
}

static void put_text_of(const ty_type *from, const uint8_t *p, size_t n, hl_buf *out)
{
	switch (from->kind) {
	case TY_ASCII: case TY_TEXT:
		hl_buf_put(out, p, n);
		return;
	case TY_FLOAT: case TY_DOUBLE: {
		num a;
		hl_err e;
		if (load(from->kind, p, n, &a, &e) == 0)
			hl_buf_java_double(out, a.d, from->kind == TY_FLOAT);
		return;
	}
	case TY_TIMESTAMP: {
		/* TimestampSerializer.toString: ISO-8601 in UTC with milliseconds */
		if (n != 8)
			return;
		int64_t ms = (int64_t)ty__be64(p);
		int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
		int64_t rem = ms - days * 86400000LL, y;
		int m, d;
		ty__civil_from_days(days, &y, &m, &d);
		hl_buf_printf(out, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
			      (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
			      (int)(rem % 1000));
		return;
	}
	case TY_INET: {
		/* getHostAddress, as the JSON form without its quotes */
		hl_buf t;
		hl_buf_init(&t);
		if (ty_to_json(from, p, n, &t) == 0 && t.len >= 2)
			hl_buf_put(out, t.p + 1, t.len - 2);
		hl_buf_free(&t);
		return;
	}
	default: {
		hl_buf t;
		hl_buf_init(&t);
		if (ty_to_json(from, p, n, &t) == 0) {
			if (t.len >= 2 && t.p[0] == '"')
				hl_buf_put(out, t.p + 1, t.len - 2);
			else
				hl_buf_put(out, t.p, t.len);
		}
		hl_buf_free(&t);
		return;
	}
	}
}

int ty_cast(const ty_type *to, const ty_type *from, const uint8_t *p, size_t n, hl_buf *out,
	    hl_err *err)
{
	ty_kind t = to->kind, f = from->kind;
	if (is_str(t)) {
		put_text_of(from, p, n, out);
		return 0;
	}
	if (t == TY_DATE || t == TY_TIMESTAMP) {
		if (n != (f == TY_TIMEUUID ? 16u : f == TY_TIMESTAMP ? 8u : 4u))
			return hl_errf(err, HL_ERR_INVALID, "invalid temporal value");
		int64_t ms = f == TY_TIMEUUID ? timeuuid_ms(p) : f == TY_TIMESTAMP ? (int64_t)ty__be64(p)
			   : ((int64_t)ty__be32(p) - TY_DATE_EPOCH) * 86400000LL;
		if (t == TY_DATE) {
			int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
			hl_buf_u32(out, (uint32_t)(days + TY_DATE_EPOCH));
		} else {
			hl_buf_u64(out, (uint64_t)ms);
		}
		return 0;
	}
	num a;
	if (load(f, p, n, &a, err) < 0)
		return -1;
	switch (t) {
	case TY_TINYINT: case TY_SMALLINT: case TY_INT: case TY_BIGINT: {
		int64_t v;
		if (a.cls == N_FP)
			/* Java: byteValue/shortValue/intValue of a double go through (int) */
			v = t == TY_BIGINT ? java_d2l(a.d) : java_d2i(a.d);
		else if (a.cls == N_INT)
			v = a.i;
		else
			v = (int64_t)num_trunc(&a);
		put_int_kind(out, t, v);
		return 0;
	}
	case TY_FLOAT: case TY_DOUBLE:
		put_fp(out, t, num_double(&a));
		return 0;
	case TY_VARINT:
		if (a.cls == N_FP && (isnan(a.d) || isinf(a.d)))
			return hl_errf(err, HL_ERR_INVALID, "Infinite or NaN");
		put_varint128(out, num_trunc(&a));
		return 0;
	default: {
		num d;
		if (to_dec(&a, &d, err) < 0)
			return -1;
		put_dec(out, d.u, d.scale);
		return 0;
	}
	}
}
