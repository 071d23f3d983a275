/*
 * core/rd.c: bounds-checked reader over untrusted wire and disk bytes.
 * Short or malformed input sets a sticky bad flag instead of crashing.
 */
#include "core.h"

static int fail(hl_rd *r)
{
	r->bad = true;
	return -1;
}

/* Returns a pointer to the next n bytes and advances, or NULL (and bad). */
static const uint8_t *take(hl_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->len - r->pos < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

void hl_rd_init(hl_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->pos = 0;
	r->bad = false;
}

size_t hl_rd_left(const hl_rd *r)
{
	return r->bad ? 0 : r->len - r->pos;
}

int hl_rd_u8(hl_rd *r, uint8_t *v)
{
	const uint8_t *p = take(r, 1);

	if (!p)
		return -1;
	*v = p[0];
	return 0;
}

int hl_rd_u16(hl_rd *r, uint16_t *v)
{
	const uint8_t *p = take(r, 2);

	if (!p)
		return -1;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return 0;
}

int hl_rd_u32(hl_rd *r, uint32_t *v)
{
	const uint8_t *p = take(r, 4);

	if (!p)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int hl_rd_u64(hl_rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (hl_rd_u32(r, &hi) || hl_rd_u32(r, &lo))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int hl_rd_i32(hl_rd *r, int32_t *v)
{
	uint32_t u;

	if (hl_rd_u32(r, &u))
		return -1;
	*v = (int32_t)u;
	return 0;
}

int hl_rd_raw(hl_rd *r, size_t n, const uint8_t **p)
{
	const uint8_t *q = take(r, n);

	if (!q)
		return -1;
	*p = q;
	return 0;
}

int hl_rd_pstring(hl_rd *r, const char **s, size_t *n)
{
	uint16_t len;
	const uint8_t *p;

	if (hl_rd_u16(r, &len) || hl_rd_raw(r, len, &p))
		return -1;
	*s = (const char *)p;
	*n = len;
	return 0;
}

int hl_rd_plongstring(hl_rd *r, const char **s, size_t *n)
{
	int32_t len;
	const uint8_t *p;

	if (hl_rd_i32(r, &len))
		return -1;
	if (len < 0)
		return fail(r);
	if (hl_rd_raw(r, (size_t)len, &p))
		return -1;
	*s = (const char *)p;
	*n = (size_t)len;
	return 0;
}

int hl_rd_pbytes(hl_rd *r, const uint8_t **p, int32_t *n)
{
	int32_t len;

	if (hl_rd_i32(r, &len))
		return -1;
	if (len == -1 || len == -2) {
		*p = NULL;
		*n = len;
		return 0;
	}
	if (len < 0)
		return fail(r);
	if (hl_rd_raw(r, (size_t)len, p))
		return -1;
	*n = len;
	return 0;
}

int hl_rd_pshortbytes(hl_rd *r, const uint8_t **p, size_t *n)
{
	uint16_t len;

	if (hl_rd_u16(r, &len) || hl_rd_raw(r, len, p))
		return -1;
	*n = len;
	return 0;
}

int hl_rd_uvint(hl_rd *r, uint64_t *v)
{
	uint8_t first;
	const uint8_t *p;
	int extra = 0, i;
	uint64_t x;

	if (hl_rd_u8(r, &first))
		return -1;
	while (extra < 8 && (first & (0x80u >> extra)))
		extra++;
	if (!extra) {
		*v = first;
		return 0;
	}
	if (hl_rd_raw(r, (size_t)extra, &p))
		return -1;
	/* the bits below the length prefix are the value's high bits */
	x = extra < 8 ? (uint64_t)(first & (0xFFu >> extra)) : 0;
	for (i = 0; i < extra; i++)
		x = x << 8 | p[i];
	*v = x;
	return 0;
}

int hl_rd_vint(hl_rd *r, int64_t *v)
{
	uint64_t u;

	if (hl_rd_uvint(r, &u))
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}
