/*
 * types/num.c: arbitrary-precision helpers for varint and decimal values
 * (two's-complement big-endian bytes <-> decimal text, numeric comparison)
 * and proleptic Gregorian calendar arithmetic for date and timestamp.
 */
#include "types/types_int.h"

#include <stdlib.h>
#include <string.h>

/*
 * Magnitude of a two's-complement big-endian integer as little-endian
 * 32-bit limbs (heap, caller frees). Returns the limb count; *neg set.
 */
static size_t to_limbs(const uint8_t *p, size_t n, bool *neg, uint32_t **out)
{
	size_t nl = n / 4 + 1, i;
	uint32_t *l = hl_calloc(nl, sizeof *l);
	bool sign = n > 0 && (p[0] & 0x80);
	uint32_t carry = 1;

	for (i = 0; i < n; i++) {
		size_t bit = (n - 1 - i) * 8;

		l[bit / 32] |= (uint32_t)p[i] << (bit % 32);
	}
	if (sign) {
		/* sign-extend the top limb, then negate: ~x + 1 */
		size_t top = n * 8;

		for (i = top; i < nl * 32; i += 8)
			l[i / 32] |= (uint32_t)0xFF << (i % 32);
		for (i = 0; i < nl; i++) {
			uint64_t v = (uint64_t)(uint32_t)~l[i] + carry;

			l[i] = (uint32_t)v;
			carry = (uint32_t)(v >> 32);
		}
	}
	while (nl > 0 && l[nl - 1] == 0)
		nl--;
	*neg = sign;
	*out = l;
	return nl;
}

/* Decimal digits of a magnitude (consumes l). Appends at least "0". */
static void limbs_to_dec(uint32_t *l, size_t nl, hl_buf *out)
{
	size_t cap = nl * 10 + 1, pos = cap, i;
	char *tmp = hl_malloc(cap);

	while (nl > 0) {
		uint64_t rem = 0;
		int k;

		for (i = nl; i-- > 0;) {
			uint64_t cur = rem << 32 | l[i];

			l[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (nl > 0 && l[nl - 1] == 0)
			nl--;
		for (k = 0; k < 9 && (nl > 0 || rem > 0); k++) {
			tmp[--pos] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	if (pos == cap)
		tmp[--pos] = '0';
	hl_buf_put(out, tmp + pos, cap - pos);
	free(tmp);
}

void ty__varint_to_dec(const uint8_t *p, size_t n, hl_buf *out)
{
	uint32_t *l;
	bool neg;
	size_t nl = to_limbs(p, n, &neg, &l);

	if (neg)
		hl_buf_u8(out, '-');
	limbs_to_dec(l, nl, out);
	free(l);
}

void ty__dec_to_varint(const char *dig, size_t n, bool neg, hl_buf *out)
{
	size_t nl = n / 9 + 2, used = 0, i, j, nb;
	uint32_t *l = hl_calloc(nl, sizeof *l);
	uint8_t *bytes;
	bool zero = true;

	/* multiply-accumulate nine digits at a time */
	for (i = 0; i < n;) {
		uint32_t chunk = 0, mul = 1;
		uint64_t carry;

		for (j = 0; j < 9 && i < n; j++, i++) {
			chunk = chunk * 10 + (uint32_t)(dig[i] - '0');
			mul *= 10;
		}
		carry = chunk;
		for (j = 0; j < used; j++) {
			uint64_t v = (uint64_t)l[j] * mul + carry;

			l[j] = (uint32_t)v;
			carry = v >> 32;
		}
		if (carry)
			l[used++] = (uint32_t)carry;
	}
	for (i = 0; i < used; i++)
		if (l[i])
			zero = false;
	if (zero)
		neg = false;
	nb = used * 4 + 1;
	bytes = hl_malloc(nb);
	for (i = 0; i < nb; i++) {
		size_t bit = (nb - 1 - i) * 8;

		bytes[i] = bit / 32 < used ? (uint8_t)(l[bit / 32] >> (bit % 32)) : 0;
	}
	if (neg) {
		unsigned carry = 1;

		for (i = nb; i-- > 0;) {
			unsigned v = (uint8_t)~bytes[i] + carry;

			bytes[i] = (uint8_t)v;
			carry = v >> 8;
		}
	}
	/* minimal form: drop sign bytes the next byte repeats */
	i = 0;
	while (i + 1 < nb && ((bytes[i] == 0 && !(bytes[i + 1] & 0x80)) ||
			      (bytes[i] == 0xFF && (bytes[i + 1] & 0x80))))
		i++;
	hl_buf_put(out, bytes + i, nb - i);
	free(bytes);
	free(l);
}

/* Skip redundant sign-extension bytes so lengths compare meaningfully. */
static size_t msb_index(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && ((p[i] == 0 && !(p[i + 1] & 0x80)) || (p[i] == 0xFF && (p[i + 1] & 0x80))))
		i++;
	return i;
}

int ty__varint_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t ai, bi, al, bl, i;
	int as, bs;

	if (an == 0 || bn == 0)
		return an == 0 ? (bn == 0 ? 0 : -1) : 1;
	ai = msb_index(a, an);
	bi = msb_index(b, bn);
	al = an - ai;
	bl = bn - bi;
	as = (int8_t)a[ai];
	bs = (int8_t)b[bi];
	if (al != bl) {
		/* more significant bytes: bigger magnitude, so sign decides */
		if (as < 0 && bs < 0)
			return al < bl ? 1 : -1;
		if (as < 0)
			return -1;
		if (bs < 0)
			return 1;
		return al < bl ? -1 : 1;
	}
	if (as != bs)
		return as < bs ? -1 : 1;
	for (i = 1; i < al; i++)
		if (a[ai + i] != b[bi + i])
			return a[ai + i] < b[bi + i] ? -1 : 1;
	return 0;
}

/* Sign and significant decimal digits (trailing zeros folded into exp). */
typedef struct decnum {
	int sign;     /* -1, 0, 1 */
	hl_buf dig;   /* magnitude digits, no trailing zeros */
	int64_t exp;  /* value = 0.dig * 10^exp */
} decnum;

static void decnum_init(decnum *d, const uint8_t *p, size_t n)
{
	hl_buf t;
	int32_t scale = (int32_t)ty__be32(p);
	size_t start = 0, len;

	hl_buf_init(&d->dig);
	hl_buf_init(&t);
	ty__varint_to_dec(p + 4, n - 4, &t);
	d->sign = 1;
	if (t.len && t.p[0] == '-') {
		d->sign = -1;
		start = 1;
	}
	len = t.len - start;
	if (len == 1 && t.p[start] == '0')
		d->sign = 0;
	d->exp = (int64_t)len - scale;
	while (len > 1 && t.p[start + len - 1] == '0')
		len--;
	hl_buf_put(&d->dig, t.p + start, len);
	hl_buf_free(&t);
}

int ty__decimal_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	decnum x, y;
	int r = 0;
	size_t i, m;

	if (an < 4 || bn < 4)
		return an < 4 ? (bn < 4 ? 0 : -1) : 1;
	decnum_init(&x, a, an);
	decnum_init(&y, b, bn);
	if (x.sign != y.sign) {
		r = x.sign < y.sign ? -1 : 1;
		goto exit;
	}
	if (x.sign == 0)
		goto exit;
	if (x.exp != y.exp)
		r = x.exp < y.exp ? -1 : 1;
	else {
		m = x.dig.len > y.dig.len ? x.dig.len : y.dig.len;
		for (i = 0; i < m && r == 0; i++) {
			uint8_t cx = i < x.dig.len ? x.dig.p[i] : '0';
			uint8_t cy = i < y.dig.len ? y.dig.p[i] : '0';

			if (cx != cy)
				r = cx < cy ? -1 : 1;
		}
	}
	r *= x.sign;
exit:
	hl_buf_free(&x.dig);
	hl_buf_free(&y.dig);
	return r;
}

/* Howard Hinnant's civil-calendar algorithms (public domain). */
int64_t ty__days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ty__civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}
