/*
 * transport/frame.c: getting whole envelopes in and out of the byte stream.
 * Plain frames (v3/v4, and v5 before the STARTUP reply), v4 body
 * compression (LZ4 with a big-endian length prefix, or raw Snappy), and v5
 * segments: a CRC24-protected little-endian header, a payload of whole
 * envelopes (self-contained) or a slice of one large envelope, and a CRC32
 * of the payload as sent, optionally LZ4-compressed.
 */
#include <stdio.h>
#include <string.h>
#include <lz4.h>
#include <snappy-c.h>

#include "transport/tp_int.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t le_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void le_put(hl_buf *b, uint64_t v, int n)
{
	uint8_t tmp[8];

	for (int i = 0; i < n; i++) {
		tmp[i] = (uint8_t)v;
		v >>= 8;
	}
	hl_buf_put(b, tmp, (size_t)n);
}

void tp_hdr_parse(const uint8_t *p, tp_hdr *h)
{
	h->version = p[0] & 0x7f;
	h->response = (p[0] & 0x80) != 0;
	h->flags = p[1];
	h->stream = (int16_t)(uint16_t)(p[2] << 8 | p[3]);
	h->opcode = p[4];
	h->length = be32(p + 5);
}

static void put_header(hl_buf *b, int version, uint8_t flags, int16_t stream, uint8_t opcode,
		       size_t len)
{
	hl_buf_u8(b, (uint8_t)(0x80 | version));
	hl_buf_u8(b, flags);
	hl_buf_u16(b, (uint16_t)stream);
	hl_buf_u8(b, opcode);
	hl_buf_u32(b, (uint32_t)len);
}

/* v4 body compression into c->tmp; returns false when the body is better sent raw. */
static bool compress_body(tp_conn *c, const uint8_t *p, size_t n)
{
	hl_buf_reset(&c->tmp);
	if (c->comp == TP_COMP_LZ4) {
		int bound;
		int got;

		if (n > (size_t)LZ4_MAX_INPUT_SIZE)
			return false;
		bound = LZ4_compressBound((int)n);
		hl_buf_reserve(&c->tmp, 4 + (size_t)bound);
		hl_buf_u32(&c->tmp, (uint32_t)n);
		got = LZ4_compress_default((const char *)p, (char *)c->tmp.p + 4, (int)n, bound);
		if (got <= 0)
			return false;
		c->tmp.len = 4 + (size_t)got;
		return true;
	}
	if (c->comp == TP_COMP_SNAPPY) {
		size_t out_len = snappy_max_compressed_length(n);

		hl_buf_reserve(&c->tmp, out_len);
		if (snappy_compress((const char *)p, n, (char *)c->tmp.p, &out_len) != SNAPPY_OK)
			return false;
		c->tmp.len = out_len;
		return true;
	}
	return false;
}

void tp_emit(tp_conn *c, int version, int16_t stream, uint8_t opcode, uint8_t flags)
{
	const uint8_t *body = c->body.p;
	size_t len = c->body.len;
	hl_buf *dst = c->seg_out ? &c->pend : &c->out;

	/* Drivers decompress by flag, so an empty body is simply sent as is. */
	if (!c->seg_out && c->compress_out && version < 5 && len > 0 &&
	    compress_body(c, body, len)) {
		body = c->tmp.p;
		len = c->tmp.len;
		flags |= TP_FLAG_COMPRESSED;
	}
	put_header(dst, version, flags, stream, opcode, len);
	hl_buf_put(dst, body, len);
}

int tp_decompress_body(tp_conn *c, const uint8_t *p, size_t n, hl_err *err)
{
	hl_buf_reset(&c->tmp);
	if (c->comp == TP_COMP_LZ4) {
		uint32_t ulen;
		int got;

		if (n < 4)
			return hl_errf(err, HL_ERR_PROTOCOL, "Compressed body too short for its length prefix");
		ulen = be32(p);
		if (ulen > c->max_frame || ulen > (uint32_t)LZ4_MAX_INPUT_SIZE)
			return hl_errf(err, HL_ERR_PROTOCOL,
				       "Decompressed body length %u exceeds maximum allowed length %u",
				       ulen, c->max_frame);
		if (ulen == 0)
			return 0;
		if (n - 4 > (size_t)INT32_MAX)
			return hl_errf(err, HL_ERR_PROTOCOL, "Compressed body too large");
		hl_buf_reserve(&c->tmp, ulen);
		got = LZ4_decompress_safe((const char *)p + 4, (char *)c->tmp.p, (int)(n - 4),
					  (int)ulen);
		if (got < 0 || (uint32_t)got != ulen)
			return hl_errf(err, HL_ERR_PROTOCOL, "Corrupt LZ4 compressed body");
		c->tmp.len = ulen;
		return 0;
	}
	if (c->comp == TP_COMP_SNAPPY) {
		size_t ulen;

		if (snappy_uncompressed_length((const char *)p, n, &ulen) != SNAPPY_OK)
			return hl_errf(err, HL_ERR_PROTOCOL, "Corrupt Snappy compressed body");
		if (ulen > c->max_frame)
			return hl_errf(err, HL_ERR_PROTOCOL,
				       "Decompressed body length %zu exceeds maximum allowed length %u",
				       ulen, c->max_frame);
		if (ulen == 0)
			return 0;
		hl_buf_reserve(&c->tmp, ulen);
		if (snappy_uncompress((const char *)p, n, (char *)c->tmp.p, &ulen) != SNAPPY_OK)
			return hl_errf(err, HL_ERR_PROTOCOL, "Corrupt Snappy compressed body");
		c->tmp.len = ulen;
		return 0;
	}
	/* Cassandra ignores the flag when nothing was agreed; so do we. */
	hl_buf_put(&c->tmp, p, n);
	return 0;
}

/* ------------------------------------------------------------ segments out */

static void put_segment(tp_conn *c, const uint8_t *p, size_t n, bool self_contained)
{
	const uint8_t *payload = p;
	size_t plen = n;
	uint64_t hv;
	uint8_t hb[5];
	int hlen;

	if (c->comp == TP_COMP_LZ4) {
		int bound = LZ4_compressBound((int)n);
		int got;
		size_t ulen = 0;

		hl_buf_reset(&c->tmp);
		hl_buf_reserve(&c->tmp, (size_t)bound);
		got = LZ4_compress_default((const char *)p, (char *)c->tmp.p, (int)n, bound);
		/* Compression that does not shrink is sent raw, marked by ulen 0. */
		if (got > 0 && (size_t)got < n) {
			payload = c->tmp.p;
			plen = (size_t)got;
			ulen = n;
		}
		hv = (uint64_t)plen | (uint64_t)ulen << 17 | (uint64_t)(self_contained ? 1 : 0) << 34;
		hlen = 5;
	} else {
		hv = (uint64_t)plen | (uint64_t)(self_contained ? 1 : 0) << 17;
		hlen = 3;
	}
	for (int i = 0; i < hlen; i++)
		hb[i] = (uint8_t)(hv >> (8 * i));
	hl_buf_put(&c->out, hb, (size_t)hlen);
	le_put(&c->out, hl_crc24(hb, (size_t)hlen), 3);
	hl_buf_put(&c->out, payload, plen);
	le_put(&c->out, hl_crc32_v5(payload, plen), 4);
}

void tp_flush_segments(tp_conn *c)
{
	size_t i = 0;
	const uint8_t *p = c->pend.p;
	size_t n = c->pend.len;

	while (i < n) {
		size_t end = i;

		/* Pack as many whole envelopes as fit into one self-contained segment. */
		while (end < n) {
			size_t elen = TP_HEADER_LEN + be32(p + end + 5);

			if (end - i + elen > TP_SEGMENT_MAX_PAYLOAD)
				break;
			end += elen;
		}
		if (end > i) {
			put_segment(c, p + i, end - i, true);
			i = end;
			continue;
		}
		/* One envelope larger than a segment: slice it. */
		size_t elen = TP_HEADER_LEN + be32(p + i + 5);

		for (size_t off = 0; off < elen; off += TP_SEGMENT_MAX_PAYLOAD) {
			size_t part = elen - off;

			if (part > TP_SEGMENT_MAX_PAYLOAD)
				part = TP_SEGMENT_MAX_PAYLOAD;
			put_segment(c, p + i + off, part, false);
		}
		i += elen;
	}
	hl_buf_reset(&c->pend);
}

/* ------------------------------------------------------------ frames in */

/* The answer to a version we do not speak; Cassandra closes afterwards. */
static void unsupported_version(tp_conn *c, int v, const uint8_t *p)
{
	char msg[160];
	int mlen;

	mlen = snprintf(msg, sizeof(msg),
			"Invalid or unsupported protocol version (%d); "
			"supported versions are (3/v3, 4/v4, 5/v5)", v);
	hl_buf_reset(&c->body);
	hl_buf_u32(&c->body, HL_ERR_PROTOCOL);
	hl_buf_pstring(&c->body, msg, (size_t)mlen);
	if (v == 1 || v == 2) {
		/* v1/v2 clients get their own 8-byte header (1-byte stream), as Cassandra does. */
		hl_buf_u8(&c->out, (uint8_t)(0x80 | v));
		hl_buf_u8(&c->out, 0);
		hl_buf_u8(&c->out, p[2]);
		hl_buf_u8(&c->out, TP_OP_ERROR);
		hl_buf_u32(&c->out, (uint32_t)c->body.len);
	} else {
		put_header(&c->out, 5, 0, (int16_t)(uint16_t)(p[2] << 8 | p[3]), TP_OP_ERROR,
			   c->body.len);
	}
	hl_buf_put(&c->out, c->body.p, c->body.len);
	c->closing = true;
}

static int next_frame(tp_conn *c, tp_hdr *h, const uint8_t **body)
{
	for (;;) {
		const uint8_t *p = c->in.p + c->in_off;
		size_t avail = c->in.len - c->in_off;
		uint64_t total;
		int v;

		if (c->closing)
			return 0;
		if (c->discard) {
			size_t d = avail < c->discard ? avail : (size_t)c->discard;

			c->in_off += d;
			c->discard -= d;
			if (c->discard)
				return 0;
			continue;
		}
		if (avail < 1)
			return 0;
		v = p[0] & 0x7f;
		if (v < 3 || v > 5) {
			/* Wait for the whole header so the stream id can be echoed. */
			if (avail < ((v == 1 || v == 2) ? 8u : 9u))
				return 0;
			unsupported_version(c, v, p);
			return 0;
		}
		if (avail < TP_HEADER_LEN)
			return 0;
		tp_hdr_parse(p, h);
		total = TP_HEADER_LEN + (uint64_t)h->length;
		if (total > c->max_frame) {
			/* Cassandra answers Invalid on the stream and skips the body. */
			tp_send_error(c, c->version ? c->version : h->version, h->stream,
				      HL_ERR_INVALID, false,
				      "Request is too big: length %llu exceeds maximum allowed length %u.",
				      (unsigned long long)total, c->max_frame);
			c->in_off += TP_HEADER_LEN;
			c->discard = h->length;
			continue;
		}
		if (avail < total)
			return 0;
		*body = p + TP_HEADER_LEN;
		c->in_off += (size_t)total;
		return 1;
	}
}

/* ------------------------------------------------------------ segments in */

static void seg_fatal(tp_conn *c, const char *msg)
{
	tp_send_error(c, c->version, 0, HL_ERR_PROTOCOL, true, "%s", msg);
}

/* A self-contained payload must be a run of whole envelopes. */
static bool whole_envelopes(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (n - i < TP_HEADER_LEN)
			return false;
		uint64_t elen = TP_HEADER_LEN + (uint64_t)be32(p + i + 5);

		if (elen > n - i)
			return false;
		i += (size_t)elen;
	}
	return true;
}

/* Read one segment into env/big. 1: progress, 0: need more input or closing. */
static int read_segment(tp_conn *c)
{
	const uint8_t *p = c->in.p + c->in_off;
	size_t avail = c->in.len - c->in_off;
	int hlen = c->comp == TP_COMP_LZ4 ? 5 : 3;
	uint64_t hv;
	size_t plen, ulen = 0, seglen;
	bool sc;
	const uint8_t *payload;

	if (avail < (size_t)hlen + 3)
		return 0;
	hv = le_get(p, hlen);
	if (hl_crc24(p, (size_t)hlen) != (uint32_t)le_get(p + hlen, 3)) {
		seg_fatal(c, "CRC mismatch on segment header");
		return 0;
	}
	plen = (size_t)(hv & TP_SEGMENT_MAX_PAYLOAD);
	if (hlen == 5) {
		ulen = (size_t)(hv >> 17 & TP_SEGMENT_MAX_PAYLOAD);
		sc = (hv >> 34 & 1) != 0;
	} else {
		sc = (hv >> 17 & 1) != 0;
	}
	seglen = (size_t)hlen + 3 + plen + 4;
	if (avail < seglen)
		return 0;
	payload = p + hlen + 3;
	if (hl_crc32_v5(payload, plen) != (uint32_t)le_get(payload + plen, 4)) {
		seg_fatal(c, "CRC mismatch on segment payload");
		return 0;
	}
	c->in_off += seglen;
	if (ulen) {
		int got;

		hl_buf_reset(&c->tmp);
		hl_buf_reserve(&c->tmp, ulen);
		got = LZ4_decompress_safe((const char *)payload, (char *)c->tmp.p, (int)plen,
					  (int)ulen);
		if (got < 0 || (size_t)got != ulen) {
			seg_fatal(c, "Corrupt LZ4 segment payload");
			return 0;
		}
		payload = c->tmp.p;
		plen = ulen;
	}
	if (sc) {
		if (c->big.len || c->big_skip) {
			seg_fatal(c, "Self-contained segment received while a large envelope was incomplete");
			return 0;
		}
		if (!whole_envelopes(payload, plen)) {
			seg_fatal(c, "Self-contained segment does not hold whole envelopes");
			return 0;
		}
		hl_buf_put(&c->env, payload, plen);
		return 1;
	}
	if (c->big_skip) {
		if (plen > c->big_skip) {
			seg_fatal(c, "Segment holds bytes past the end of its envelope");
			return 0;
		}
		c->big_skip -= plen;
		return 1;
	}
	hl_buf_put(&c->big, payload, plen);
	if (c->big.len >= TP_HEADER_LEN) {
		tp_hdr h;
		uint64_t total;

		tp_hdr_parse(c->big.p, &h);
		total = TP_HEADER_LEN + (uint64_t)h.length;
		if (c->big.len > total) {
			seg_fatal(c, "Segment holds bytes past the end of its envelope");
			return 0;
		}
		if (total > c->max_frame) {
			tp_send_error(c, c->version, h.stream, HL_ERR_INVALID, false,
				      "Request is too big: length %llu exceeds maximum allowed length %u.",
				      (unsigned long long)total, c->max_frame);
			c->big_skip = total - c->big.len;
			hl_buf_reset(&c->big);
			return 1;
		}
		if (c->big.len == total) {
			hl_buf t = c->env;

			/* env is empty here (segments are read only once it drains). */
			c->env = c->big;
			c->env_off = 0;
			c->big = t;
			hl_buf_reset(&c->big);
		}
	}
	return 1;
}

static int next_in_segments(tp_conn *c, tp_hdr *h, const uint8_t **body)
{
	for (;;) {
		if (c->closing)
			return 0;
		if (c->env_off < c->env.len) {
			tp_hdr_parse(c->env.p + c->env_off, h);
			*body = c->env.p + c->env_off + TP_HEADER_LEN;
			c->env_off += TP_HEADER_LEN + (size_t)h->length;
			return 1;
		}
		hl_buf_reset(&c->env);
		c->env_off = 0;
		if (!read_segment(c))
			return 0;
	}
}

int tp_next_envelope(tp_conn *c, tp_hdr *h, const uint8_t **body)
{
	return c->seg_in ? next_in_segments(c, h, body) : next_frame(c, h, body);
}
