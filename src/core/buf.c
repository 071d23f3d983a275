/*
 * core/buf.c: growable heap byte buffer with big-endian and protocol
 * notation writers ([string], [bytes], ..., Cassandra vints).
 */
#include "core.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hl_buf_init(hl_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void hl_buf_free(hl_buf *b)
{
	free(b->p);
	hl_buf_init(b);
}

void hl_buf_reset(hl_buf *b)
{
	b->len = 0;
}

void hl_buf_reserve(hl_buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > SIZE_MAX - b->len) {
		fprintf(stderr, "helenus: buffer size overflow\n");
		abort();
	}
	need = b->len + extra;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = hl_realloc(b->p, cap);
	b->cap = cap;
}

void hl_buf_put(hl_buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	hl_buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void hl_buf_u8(hl_buf *b, uint8_t v)
{
	hl_buf_reserve(b, 1);
	b->p[b->len++] = v;
}

void hl_buf_u16(hl_buf *b, uint16_t v)
{
	uint8_t t[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	hl_buf_put(b, t, 2);
}

void hl_buf_u32(hl_buf *b, uint32_t v)
{
	uint8_t t[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	hl_buf_put(b, t, 4);
}

void hl_buf_u64(hl_buf *b, uint64_t v)
{
	hl_buf_u32(b, (uint32_t)(v >> 32));
	hl_buf_u32(b, (uint32_t)v);
}

void hl_buf_str(hl_buf *b, const char *s)
{
	hl_buf_put(b, s, strlen(s));
}

void hl_buf_printf(hl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Try the spare capacity first; most messages fit without a resize. */
	hl_buf_reserve(b, 64);
	va_start(ap, fmt);
	n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		hl_buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/*
 * Lengths beyond what the notation can carry are the caller's bug (values
 * are validated against protocol limits before encoding); clamp so the
 * output at least stays self-consistent instead of desynchronising the
 * stream.
 */
void hl_buf_pstring(hl_buf *b, const char *s, size_t n)
{
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	hl_buf_u16(b, (uint16_t)n);
	hl_buf_put(b, s, n);
}

void hl_buf_plongstring(hl_buf *b, const char *s, size_t n)
{
	if (n > INT32_MAX)
		n = INT32_MAX;
	hl_buf_u32(b, (uint32_t)n);
	hl_buf_put(b, s, n);
}

/* n = -2 writes "not set" (v4+ bound values); any other negative is null. */
void hl_buf_pbytes(hl_buf *b, const void *p, int32_t n)
{
	if (n < 0) {
		hl_buf_u32(b, (uint32_t)(n == -2 ? -2 : -1));
		return;
	}
	hl_buf_u32(b, (uint32_t)n);
	hl_buf_put(b, p, (size_t)n);
}

void hl_buf_pshortbytes(hl_buf *b, const void *p, size_t n)
{
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	hl_buf_u16(b, (uint16_t)n);
	hl_buf_put(b, p, n);
}

void hl_buf_patch_u32(hl_buf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4) {
		fprintf(stderr, "helenus: hl_buf_patch_u32 out of range\n");
		abort();
	}
	b->p[off] = (uint8_t)(v >> 24);
	b->p[off + 1] = (uint8_t)(v >> 16);
	b->p[off + 2] = (uint8_t)(v >> 8);
	b->p[off + 3] = (uint8_t)v;
}

/*
 * Cassandra's VIntCoding: the count of leading 1-bits in the first byte is
 * the number of extra bytes; the value is big-endian in the remaining bits.
 * Values needing more than 56 bits take a 0xFF byte and all 8 bytes.
 */
void hl_buf_uvint(hl_buf *b, uint64_t v)
{
	uint8_t t[9];
	int extra = 0, i;

	while (extra < 8 && v >> (7 * (extra + 1)) != 0)
		extra++;
	if (extra == 8) {
		t[0] = 0xFF;
		for (i = 0; i < 8; i++)
			t[1 + i] = (uint8_t)(v >> (56 - 8 * i));
		hl_buf_put(b, t, 9);
		return;
	}
	for (i = extra; i >= 0; i--) {
		t[i] = (uint8_t)v;
		v >>= 8;
	}
	t[0] |= (uint8_t)~(0xFFu >> extra);
	hl_buf_put(b, t, (size_t)extra + 1);
}

void hl_buf_vint(hl_buf *b, int64_t v)
{
	/* zigzag: small magnitudes of either sign stay short */
	hl_buf_uvint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void hl_buf_java_double(hl_buf *b, double v, bool is_float)
{
	char tmp[48], dig[24];
	int prec, e10 = 0, nd = 0, i;
	const char *p;
	double a;

	if (isnan(v)) {
		hl_buf_str(b, "NaN");
		return;
	}
	if (isinf(v)) {
		hl_buf_str(b, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (v == 0) {
		hl_buf_str(b, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	/* shortest digit string that reads back to the same float/double */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
		if (is_float ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	for (p = tmp; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p) && nd < (int)sizeof dig - 1)
			dig[nd++] = *p;
	if (*p == 'e')
		e10 = atoi(p + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = 0;
	if (v < 0)
		hl_buf_u8(b, '-');
	a = fabs(v);
	if (a >= 1e-3 && a < 1e7) {
		if (e10 >= 0) {
			for (i = 0; i <= e10; i++)
				hl_buf_u8(b, (uint8_t)(i < nd ? dig[i] : '0'));
			hl_buf_u8(b, '.');
			if (nd > e10 + 1)
				hl_buf_put(b, dig + e10 + 1, (size_t)(nd - e10 - 1));
			else
				hl_buf_u8(b, '0');
		} else {
			hl_buf_str(b, "0.");
			for (i = 0; i < -e10 - 1; i++)
				hl_buf_u8(b, '0');
			hl_buf_put(b, dig, (size_t)nd);
		}
		return;
	}
	hl_buf_u8(b, (uint8_t)dig[0]);
	hl_buf_u8(b, '.');
	if (nd > 1)
		hl_buf_put(b, dig + 1, (size_t)nd - 1);
	else
		hl_buf_u8(b, '0');
	hl_buf_printf(b, "E%d", e10);
}

int hl_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}
