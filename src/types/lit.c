/*
 * types/lit.c: CQL literal and string -> serialized value. Which literal
 * kinds a type accepts follows Cassandra's Constants.Literal.testAssignment;
 * the text conversions and their error messages follow each Cassandra
 * type's fromString (ISO-8601 timestamps, dates, times, durations, ...).
 */
#include "types/types_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Java's Long.parseLong: [+-]?digits, no overflow. */
static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, lim;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (!is_digits(s + i, n - i))
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool parse_range(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
	return parse_i64(s, n, out) && *out >= lo && *out <= hi;
}

/* Hex digits to bytes; an odd count gets an implied leading zero. */
static int hex_to_bytes(const char *s, size_t n, hl_buf *out, hl_err *err)
{
	size_t i = 0;
	int hi, lo;

	if (n % 2) {
		lo = hl_hexval(s[0]);
		if (lo < 0)
			goto bad;
		hl_buf_u8(out, (uint8_t)lo);
		i = 1;
	}
	for (; i < n; i += 2) {
		hi = hl_hexval(s[i]);
		lo = hl_hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		hl_buf_u8(out, (uint8_t)(hi << 4 | lo));
	}
	return 0;
bad:
	return hl_errf(err, HL_ERR_INVALID, "cannot parse '%.*s' as hex bytes", (int)n, s);
}

/* Java's BigInteger(String) / BigDecimal(String) digit syntax checks. */
static int put_varint(const char *s, size_t n, hl_buf *out)
{
	size_t i = 0;
	bool neg = false;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (!is_digits(s + i, n - i))
		return -1;
	ty__dec_to_varint(s + i, n - i, neg, out);
	return 0;
}

static int put_decimal(const char *s, size_t n, hl_buf *out)
{
	size_t i = 0, intn = 0, fracn = 0, fstart = 0;
	bool neg = false;
	int64_t exp = 0, scale;
	hl_buf dig;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	while (i + intn < n && isdigit((unsigned char)s[i + intn]))
		intn++;
	if (i + intn < n && s[i + intn] == '.') {
		fstart = i + intn + 1;
		while (fstart + fracn < n && isdigit((unsigned char)s[fstart + fracn]))
			fracn++;
	}
	if (intn + fracn == 0)
		return -1;
	{
		size_t e = fstart ? fstart + fracn : i + intn;

		if (e < n) {
			if ((s[e] != 'e' && s[e] != 'E') || !parse_range(s + e + 1, n - e - 1, -(1LL << 40),
									 1LL << 40, &exp))
				return -1;
		}
	}
	scale = (int64_t)fracn - exp;
	if (scale < INT32_MIN || scale > INT32_MAX)
		return -1;
	hl_buf_init(&dig);
	hl_buf_put(&dig, s + i, intn);
	if (fracn)
		hl_buf_put(&dig, s + fstart, fracn);
	ty_put_int(out, (int32_t)scale);
	ty__dec_to_varint((const char *)dig.p, dig.len, neg, out);
	hl_buf_free(&dig);
	return 0;
}

/* Java's Double.parseDouble for the forms CQL produces. */
static int parse_double(const char *s, size_t n, double *out)
{
	char tmp[400];
	size_t i = 0, j;
	bool sign = false, digits = false;
	if (n && (s[0] == '-' || s[0] == '+')) {
		sign = s[0] == '-';
		i = 1;
	}
	if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
		*out = NAN;
		return 0;
	}
	if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
		*out = sign ? -INFINITY : INFINITY;
		return 0;
	}
	for (j = i; j < n && isdigit((unsigned char)s[j]); j++)
		digits = true;
	if (j < n && s[j] == '.')
		for (j++; j < n && isdigit((unsigned char)s[j]); j++)
			digits = true;
	if (!digits)
		return -1;
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j >= n || !isdigit((unsigned char)s[j]))
			return -1;
		while (j < n && isdigit((unsigned char)s[j]))
			j++;
	}
	if (j != n || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	*out = strtod(tmp, NULL);
	return 0;
}

static int parse_float(const char *s, size_t n, float *out)
{
	char tmp[400];
	double d;

	if (parse_double(s, n, &d))
		return -1;
	if (isnan(d) || isinf(d) || n >= sizeof tmp) {
		*out = (float)d;
		return 0;
	}
	/* round once, from the decimal text, as Float.parseFloat does */
	memcpy(tmp, s, n);
	tmp[n] = 0;
	*out = strtof(tmp, NULL);
	return 0;
}

/* ---------------------------------------------------------------- dates */

static bool take_num(const char *s, size_t n, size_t *i, size_t mind, size_t maxd, int64_t *v)
{
	size_t k = 0;

	*v = 0;
	while (*i + k < n && k < maxd && isdigit((unsigned char)s[*i + k])) {
		*v = *v * 10 + (s[*i + k] - '0');
		k++;
	}
	if (k < mind)
		return false;
	*i += k;
	return true;
}

static int days_in_month(int64_t y, int64_t m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* [+-]yyyy-mm-dd at s[*i]; days since the epoch. */
static bool parse_ymd(const char *s, size_t n, size_t *i, int64_t *days)
{
	bool neg = false;
	int64_t y, m, d;

	if (*i < n && (s[*i] == '-' || s[*i] == '+')) {
		neg = s[*i] == '-';
		(*i)++;
	}
	if (!take_num(s, n, i, 1, 9, &y) || *i >= n || s[*i] != '-')
		return false;
	(*i)++;
	if (!take_num(s, n, i, 1, 2, &m) || *i >= n || s[*i] != '-')
		return false;
	(*i)++;
	if (!take_num(s, n, i, 1, 2, &d))
		return false;
	if (neg)
		y = -y;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*days = ty__days_from_civil(y, (int)m, (int)d);
	return true;
}

/* hh:mm[:ss[.fffffffff]] at s[*i]; nanoseconds of the day. */
static bool parse_hms(const char *s, size_t n, size_t *i, bool need_sec, int64_t *ns)
{
	int64_t h, m, sec = 0, frac = 0;
	size_t fd = 0;

	if (!take_num(s, n, i, 1, 2, &h) || *i >= n || s[*i] != ':')
		return false;
	(*i)++;
	if (!take_num(s, n, i, 1, 2, &m))
		return false;
	if (*i < n && s[*i] == ':') {
		(*i)++;
		if (!take_num(s, n, i, 1, 2, &sec))
			return false;
		if (*i < n && s[*i] == '.') {
			(*i)++;
			while (*i < n && isdigit((unsigned char)s[*i]) && fd < 9) {
				frac = frac * 10 + (s[*i] - '0');
				fd++;
				(*i)++;
			}
			if (fd == 0)
				return false;
			for (; fd < 9; fd++)
				frac *= 10;
		}
	} else if (need_sec) {
		return false;
	}
	if (h > 23 || m > 59 || sec > 59)
		return false;
	*ns = ((h * 60 + m) * 60 + sec) * 1000000000LL + frac;
	return true;
}

/* Z | UTC | GMT | [+-]hh[[:]mm] at s[*i]; offset in minutes. */
static bool parse_zone(const char *s, size_t n, size_t *i, int64_t *off)
{
	int64_t h = 0, m = 0;
	bool neg;

	*off = 0;
	if (*i < n && s[*i] == ' ')
		(*i)++;
	if (*i < n && s[*i] == 'Z') {
		(*i)++;
		return true;
	}
	if (n - *i >= 3 && (strncmp(s + *i, "UTC", 3) == 0 || strncmp(s + *i, "GMT", 3) == 0)) {
		*i += 3;
		if (*i == n)
			return true;
	}
	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	neg = s[*i] == '-';
	(*i)++;
	if (!take_num(s, n, i, 2, 2, &h))
		return false;
	if (*i < n && s[*i] == ':')
		(*i)++;
	if (*i < n && !take_num(s, n, i, 2, 2, &m))
		return false;
	if (h > 18 || m > 59)
		return false;
	*off = (neg ? -1 : 1) * (h * 60 + m);
	return true;
}

/*
 * Cassandra's accepted timestamp forms: yyyy-mm-dd, optionally followed by
 * ' ' or 'T' and hh:mm[:ss[.fff]], optionally followed by a zone (Z, +hhmm,
 * +hh:mm, +hh, UTC). No zone means UTC. Sub-millisecond digits are dropped.
 */
static bool parse_timestamp(const char *s, size_t n, int64_t *ms)
{
	size_t i = 0;
	int64_t days, ns = 0, off = 0;

	if (!parse_ymd(s, n, &i, &days))
		return false;
	if (i < n && (s[i] == ' ' || s[i] == 'T') && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
		i++;
		if (!parse_hms(s, n, &i, false, &ns))
			return false;
	}
	if (i < n && !parse_zone(s, n, &i, &off))
		return false;
	if (i != n)
		return false;
	if (days > 106751991167LL || days < -106751991167LL)
		return false;
	*ms = days * 86400000LL + ns / 1000000 - off * 60000;
	return true;
}

/* ---------------------------------------------------------------- duration */

enum { DU_Y, DU_MO, DU_W, DU_D, DU_H, DU_M, DU_S, DU_MS, DU_US, DU_NS, DU_N };

static const char *const du_names[DU_N] = {
	"years", "months", "weeks", "days", "hours", "minutes", "seconds",
	"milliseconds", "microseconds", "nanoseconds",
};

typedef struct dur {
	int64_t months, days, nanos;
	int last;
	const char *err;
	int eu, eprev;
} dur;

/* Add n units; units must come in decreasing order, each at most once. */
static bool dur_add(dur *d, int unit, uint64_t n)
{
	static const int64_t ns_per[DU_N] = {
		0, 0, 0, 0, 3600000000000LL, 60000000000LL, 1000000000LL, 1000000LL, 1000LL, 1LL,
	};

	if (unit == d->last) {
		d->err = "multiple";
		d->eu = unit;
		return false;
	}
	if (unit < d->last) {
		d->err = "order";
		d->eu = unit;
		d->eprev = d->last;
		return false;
	}
	d->last = unit;
	switch (unit) {
	case DU_Y:
		if (n > (uint64_t)INT32_MAX / 12)
			goto overflow;
		d->months += (int64_t)n * 12;
		break;
	case DU_MO:
		if (n > (uint64_t)(INT32_MAX - d->months))
			goto overflow;
		d->months += (int64_t)n;
		break;
	case DU_W:
		if (n > (uint64_t)INT32_MAX / 7)
			goto overflow;
		d->days += (int64_t)n * 7;
		break;
	case DU_D:
		if (n > (uint64_t)(INT32_MAX - d->days))
			goto overflow;
		d->days += (int64_t)n;
		break;
	default:
		if (n > (uint64_t)(INT64_MAX - d->nanos) / (uint64_t)ns_per[unit])
			goto overflow;
		d->nanos += (int64_t)n * ns_per[unit];
		break;
	}
	return true;
overflow:
	d->err = "overflow";
	d->eu = unit;
	return false;
}

static int unit_of(const char *s, size_t n, size_t *len)
{
	static const struct {
		const char *u;
		int unit;
	} units[] = {
		{ "mo", DU_MO }, { "ms", DU_MS }, { "us", DU_US }, { "\xc2\xb5s", DU_US }, { "ns", DU_NS },
		{ "y", DU_Y }, { "w", DU_W }, { "d", DU_D }, { "h", DU_H }, { "m", DU_M }, { "s", DU_S },
	};
	size_t k;

	for (k = 0; k < sizeof units / sizeof units[0]; k++) {
		size_t ul = strlen(units[k].u);

		if (ul <= n && strncasecmp(s, units[k].u, ul) == 0) {
			*len = ul;
			return units[k].unit;
		}
	}
	return -1;
}

static bool take_u64(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t k = *i;

	*v = 0;
	while (k < n && isdigit((unsigned char)s[k])) {
		unsigned dd = (unsigned)(s[k] - '0');

		if (*v > (UINT64_MAX - dd) / 10)
			return false;
		*v = *v * 10 + dd;
		k++;
	}
	if (k == *i)
		return false;
	*i = k;
	return true;
}

/* ISO 8601 forms: PnYnMnDTnHnMnS, PnW, and PYYYY-MM-DDThh:mm:ss. */
static bool parse_iso_duration(const char *s, size_t n, size_t i, dur *d)
{
	uint64_t v;
	bool time = false;

	if (n - i == 19 && s[i + 4] == '-') {
		/* alternative format */
		static const int u[] = { DU_Y, DU_MO, DU_D, DU_H, DU_M, DU_S };
		static const size_t at[] = { 0, 5, 8, 11, 14, 17 }, w[] = { 4, 2, 2, 2, 2, 2 };
		static const char sep[] = "--T::";
		size_t k;

		for (k = 0; k < 6; k++) {
			size_t p = i + at[k], e = p;

			if (k < 5 && s[p + w[k]] != sep[k])
				return false;
			if (!take_u64(s, p + w[k], &e, &v) || e != p + w[k] || !dur_add(d, u[k], v))
				return false;
		}
		return true;
	}
	if (i == n)
		return false;
	while (i < n) {
		int unit;

		if (s[i] == 'T' || s[i] == 't') {
			if (time)
				return false;
			time = true;
			i++;
			continue;
		}
		if (!take_u64(s, n, &i, &v) || i >= n)
			return false;
		switch (toupper((unsigned char)s[i])) {
		case 'Y': unit = time ? -1 : DU_Y; break;
		case 'M': unit = time ? DU_M : DU_MO; break;
		case 'W': unit = time ? -1 : DU_W; break;
		case 'D': unit = time ? -1 : DU_D; break;
		case 'H': unit = time ? DU_H : -1; break;
		case 'S': unit = time ? DU_S : -1; break;
		default: unit = -1;
		}
		if (unit < 0 || !dur_add(d, unit, v))
			return false;
		i++;
	}
	return true;
}

static int parse_duration(const char *s, size_t n, hl_buf *out, hl_err *err)
{
	dur d = { .last = -1 };
	size_t i = 0;
	bool neg = false, ok = true;

	if (n && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i < n && (s[i] == 'P' || s[i] == 'p')) {
		ok = parse_iso_duration(s, n, i + 1, &d);
	} else {
		if (i == n)
			ok = false;
		while (ok && i < n) {
			uint64_t v;
			size_t ul;
			int unit;

			if (!take_u64(s, n, &i, &v) || (unit = unit_of(s + i, n - i, &ul)) < 0) {
				ok = false;
				break;
			}
			i += ul;
			ok = dur_add(&d, unit, v);
		}
	}
	if (!ok) {
		if (d.err && strcmp(d.err, "multiple") == 0)
			return hl_errf(err, HL_ERR_INVALID, "Invalid duration. The %s are specified multiple times",
				       du_names[d.eu]);
		if (d.err && strcmp(d.err, "order") == 0)
			return hl_errf(err, HL_ERR_INVALID, "Invalid duration. The %s should be after %s",
				       du_names[d.eprev], du_names[d.eu]);
		if (d.err)
			return hl_errf(err, HL_ERR_INVALID, "Invalid duration. The total number of %s is too large",
				       du_names[d.eu]);
		return hl_errf(err, HL_ERR_INVALID, "Unable to convert '%.*s' to a duration", (int)n, s);
	}
	if (neg) {
		d.months = -d.months;
		d.days = -d.days;
		d.nanos = -d.nanos;
	}
	hl_buf_vint(out, d.months);
	hl_buf_vint(out, d.days);
	hl_buf_vint(out, d.nanos);
	return 0;
}

/* ---------------------------------------------------------------- text */

static int now_or_parse_timestamp(const char *s, size_t n, int64_t *ms, hl_err *err)
{
	if (n == 3 && strncasecmp(s, "now", 3) == 0) {
		*ms = hl_now_micros() / 1000;
		return 0;
	}
	if (n && (s[0] == '-' ? is_digits(s + 1, n - 1) : is_digits(s, n))) {
		if (!parse_i64(s, n, ms))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make long (for date) from: '%.*s'", (int)n, s);
		return 0;
	}
	if (!parse_timestamp(s, n, ms))
		return hl_errf(err, HL_ERR_INVALID, "Unable to parse a date/time from '%.*s'", (int)n, s);
	return 0;
}

/* Text -> value for a native type (Cassandra's AbstractType.fromString). */
static int from_text(const ty_type *t, const char *s, size_t n, hl_buf *out, hl_err *err)
{
	int64_t v;
	size_t mark = out->len;

	/* Cassandra's fromString gives the empty value for "" (except text) */
	if (n == 0 && t->kind != TY_TEXT && t->kind != TY_ASCII && t->kind != TY_DURATION)
		return 0;
	switch (t->kind) {
	case TY_TEXT:
		if (!hl_utf8_valid(s, n))
			return hl_errf(err, HL_ERR_INVALID, "Invalid UTF-8 string literal");
		hl_buf_put(out, s, n);
		return 0;
	case TY_ASCII:
		if (!hl_ascii_valid(s, n))
			return hl_errf(err, HL_ERR_INVALID, "Invalid ASCII character in string literal: '%.*s'",
				       (int)n, s);
		hl_buf_put(out, s, n);
		return 0;
	case TY_INT:
		if (!parse_range(s, n, INT32_MIN, INT32_MAX, &v))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make int from '%.*s'", (int)n, s);
		ty_put_int(out, (int32_t)v);
		return 0;
	case TY_BIGINT:
	case TY_COUNTER:
		if (!parse_i64(s, n, &v))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make long from '%.*s'", (int)n, s);
		ty_put_bigint(out, v);
		return 0;
	case TY_SMALLINT:
		if (!parse_range(s, n, INT16_MIN, INT16_MAX, &v))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make short from '%.*s'", (int)n, s);
		hl_buf_u16(out, (uint16_t)v);
		return 0;
	case TY_TINYINT:
		if (!parse_range(s, n, INT8_MIN, INT8_MAX, &v))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make byte from '%.*s'", (int)n, s);
		hl_buf_u8(out, (uint8_t)v);
		return 0;
	case TY_VARINT:
		if (put_varint(s, n, out)) {
			out->len = mark;
			return hl_errf(err, HL_ERR_INVALID, "unable to make int from '%.*s'", (int)n, s);
		}
		return 0;
	case TY_DECIMAL:
		if (put_decimal(s, n, out)) {
			out->len = mark;
			return hl_errf(err, HL_ERR_INVALID, "unable to make BigDecimal from '%.*s'", (int)n, s);
		}
		return 0;
	case TY_DOUBLE: {
		double d;
		uint64_t u;

		if (parse_double(s, n, &d))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make double from '%.*s'", (int)n, s);
		memcpy(&u, &d, sizeof u);
		hl_buf_u64(out, u);
		return 0;
	}
	case TY_FLOAT: {
		float f;
		uint32_t u;

		if (parse_float(s, n, &f))
			return hl_errf(err, HL_ERR_INVALID, "Unable to make float from '%.*s'", (int)n, s);
		memcpy(&u, &f, sizeof u);
		hl_buf_u32(out, u);
		return 0;
	}
	case TY_BOOLEAN:
		if (n == 4 && strncasecmp(s, "true", 4) == 0)
			hl_buf_u8(out, 1);
		else if (n == 5 && strncasecmp(s, "false", 5) == 0)
			hl_buf_u8(out, 0);
		else
			return hl_errf(err, HL_ERR_INVALID, "Unable to make boolean from '%.*s'", (int)n, s);
		return 0;
	case TY_BLOB:
	case TY_CUSTOM:
		if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s += 2;
			n -= 2;
		}
		if (hex_to_bytes(s, n, out, err)) {
			out->len = mark;
			return -1;
		}
		return 0;
	case TY_UUID:
	case TY_TIMEUUID: {
		hl_uuid u;

		if (hl_uuid_parse(s, n, &u)) {
			if (t->kind == TY_TIMEUUID)
				return hl_errf(err, HL_ERR_INVALID, "Unknown timeuuid representation: %.*s", (int)n, s);
			return hl_errf(err, HL_ERR_INVALID, "Unable to make UUID from '%.*s'", (int)n, s);
		}
		if (t->kind == TY_TIMEUUID && (u.b[6] >> 4) != 1)
			return hl_errf(err, HL_ERR_INVALID, "TimeUUID supports only version 1 UUIDs");
		hl_buf_put(out, u.b, 16);
		return 0;
	}
	case TY_INET: {
		char tmp[64];
		uint8_t a[16];

		if (n >= sizeof tmp)
			goto bad_inet;
		memcpy(tmp, s, n);
		tmp[n] = 0;
		if (inet_pton(AF_INET, tmp, a) == 1)
			hl_buf_put(out, a, 4);
		else if (inet_pton(AF_INET6, tmp, a) == 1)
			hl_buf_put(out, a, 16);
		else
			goto bad_inet;
		return 0;
bad_inet:
		return hl_errf(err, HL_ERR_INVALID, "Unable to make inet address from '%.*s'", (int)n, s);
	}
	case TY_TIMESTAMP:
		if (now_or_parse_timestamp(s, n, &v, err))
			return -1;
		ty_put_bigint(out, v);
		return 0;
	case TY_DATE: {
		size_t i = 0;
		int64_t days;

		/* digits alone are the raw unsigned value (epoch at 2^31) */
		if (n && (s[0] == '-' ? is_digits(s + 1, n - 1) : is_digits(s, n))) {
			if (!parse_range(s, n, 0, UINT32_MAX, &v))
				return hl_errf(err, HL_ERR_INVALID,
					       "Unable to make unsigned int (for date) from: '%.*s'", (int)n, s);
			hl_buf_u32(out, (uint32_t)v);
			return 0;
		}
		if (n == 3 && strncasecmp(s, "now", 3) == 0) {
			int64_t ms = hl_now_micros() / 1000;

			days = ms / 86400000 - (ms < 0 && ms % 86400000);
		} else if (!parse_ymd(s, n, &i, &days) || i != n) {
			return hl_errf(err, HL_ERR_INVALID, "Unable to coerce '%.*s' to a formatted date (long)",
				       (int)n, s);
		}
		if (days + TY_DATE_EPOCH < 0 || days + TY_DATE_EPOCH > (int64_t)UINT32_MAX)
			return hl_errf(err, HL_ERR_INVALID, "Input date %.*s is out of the supported range",
				       (int)n, s);
		hl_buf_u32(out, (uint32_t)(days + TY_DATE_EPOCH));
		return 0;
	}
	case TY_TIME: {
		size_t i = 0;

		if (n && (s[0] == '-' ? is_digits(s + 1, n - 1) : is_digits(s, n))) {
			if (!parse_range(s, n, 0, TY_NANOS_PER_DAY - 1, &v))
				return hl_errf(err, HL_ERR_INVALID, "Unable to make long (for time) from: '%.*s'",
					       (int)n, s);
		} else {
			/* Cassandra trims surrounding spaces here */
			while (n && s[0] == ' ') {
				s++;
				n--;
			}
			while (n && s[n - 1] == ' ')
				n--;
			if (!parse_hms(s, n, &i, true, &v) || i != n)
				return hl_errf(err, HL_ERR_INVALID,
					       "(TimeType) Unable to coerce '%.*s' to a formatted time (long)", (int)n, s);
		}
		ty_put_bigint(out, v);
		return 0;
	}
	case TY_DURATION:
		return parse_duration(s, n, out, err);
	default:
		return hl_errf(err, HL_ERR_INVALID, "Cannot convert a string to a value of a composite type");
	}
}

static const char *lit_kind_name(ty_lit_kind k)
{
	switch (k) {
	case TY_LIT_STRING: return "STRING";
	case TY_LIT_INTEGER: return "INTEGER";
	case TY_LIT_FLOAT: return "FLOAT";
	case TY_LIT_BOOLEAN: return "BOOLEAN";
	case TY_LIT_UUID: return "UUID";
	case TY_LIT_HEX: return "HEX";
	case TY_LIT_DURATION: return "DURATION";
	case TY_LIT_NULL: return "NULL";
	}
	return "?";
}

/* Constants.Literal.testAssignment: may this literal kind go into type t? */
static bool assignable(ty_lit_kind lk, ty_kind k)
{
	switch (lk) {
	case TY_LIT_STRING:
		return k == TY_ASCII || k == TY_TEXT || k == TY_INET || k == TY_DATE || k == TY_TIME ||
		       k == TY_TIMESTAMP;
	case TY_LIT_INTEGER:
		return k == TY_BIGINT || k == TY_COUNTER || k == TY_DATE || k == TY_DECIMAL || k == TY_DOUBLE ||
		       k == TY_DURATION || k == TY_FLOAT || k == TY_INT || k == TY_SMALLINT || k == TY_TIME ||
		       k == TY_TIMESTAMP || k == TY_TINYINT || k == TY_VARINT;
	case TY_LIT_UUID:
		return k == TY_UUID || k == TY_TIMEUUID;
	case TY_LIT_FLOAT:
		return k == TY_DECIMAL || k == TY_DOUBLE || k == TY_FLOAT;
	case TY_LIT_BOOLEAN:
		return k == TY_BOOLEAN;
	case TY_LIT_HEX:
		return k == TY_BLOB;
	case TY_LIT_DURATION:
		return k == TY_DURATION;
	case TY_LIT_NULL:
		return false;
	}
	return false;
}

int ty_from_literal(const ty_type *t, const ty_lit *lit, const char *colname, hl_buf *out, hl_err *err)
{
	size_t mark = out->len;
	bool ok;
	int rc;

	if (lit->kind == TY_LIT_NULL)
		return hl_errf(err, HL_ERR_INVALID, t->kind == TY_COUNTER ?
			       "Invalid null value for counter increment/decrement" :
			       "Invalid null value for \"%s\"", colname ? colname : "");
	/* custom types take any literal, as Cassandra skips the check for them */
	ok = t->kind == TY_CUSTOM || (ty_simple(t->kind) && assignable(lit->kind, t->kind));
	if (!ok) {
		hl_buf b;

		hl_buf_init(&b);
		ty_format(t, &b);
		hl_errf(err, HL_ERR_INVALID, "Invalid %s constant (%.*s) for \"%s\" of type %.*s",
			lit_kind_name(lit->kind), (int)lit->len, lit->text, colname ? colname : "",
			(int)b.len, (const char *)b.p);
		hl_buf_free(&b);
		return -1;
	}
	if (lit->kind == TY_LIT_HEX) {
		const char *s = lit->text;
		size_t n = lit->len;

		if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s += 2;
			n -= 2;
		}
		rc = hex_to_bytes(s, n, out, err);
	} else if (t->kind == TY_CUSTOM) {
		rc = hl_errf(err, HL_ERR_INVALID, "Only blob literals are supported for custom type %s",
			     t->custom_class ? t->custom_class : "");
	} else {
		rc = from_text(t, lit->text, lit->len, out, err);
	}
	if (rc)
		out->len = mark;
	return rc;
}

int ty_from_string(const ty_type *t, const char *s, size_t n, hl_buf *out, hl_err *err)
{
	size_t mark = out->len;
	int rc = from_text(t, s, n, out, err);

	if (rc)
		out->len = mark;
	return rc;
}
