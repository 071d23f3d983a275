/*
 * Unit tests for the transport: the engine is driven as a client would
 * drive it (bytes in, bytes out), and the bytes out are checked against the
 * protocol specs byte by byte. The v5 segment codec here is written
 * independently of the one under test so the two check each other.
 */
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#include <snappy-c.h>

#include "t.h"
#include "transport/transport.h"
#include "types/types.h"

/* ------------------------------------------------------------ helpers */

static void frame(hl_buf *b, int ver, uint8_t flags, int16_t stream, uint8_t op,
		  const void *body, size_t n)
{
	hl_buf_u8(b, (uint8_t)ver);
	hl_buf_u8(b, flags);
	hl_buf_u16(b, (uint16_t)stream);
	hl_buf_u8(b, op);
	hl_buf_u32(b, (uint32_t)n);
	hl_buf_put(b, body, n);
}

static void feed_buf(tp_conn *c, const hl_buf *b)
{
	tp_conn_feed(c, b->p, b->len);
}

static void send(tp_conn *c, int ver, uint8_t flags, int16_t stream, uint8_t op, const hl_buf *body)
{
	hl_buf b;

	hl_buf_init(&b);
	frame(&b, ver, flags, stream, op, body ? body->p : NULL, body ? body->len : 0);
	feed_buf(c, &b);
	hl_buf_free(&b);
}

/* Take all output into dst (appending). */
static void drain(tp_conn *c, hl_buf *dst)
{
	size_t n;
	const uint8_t *p = tp_conn_output(c, &n);

	if (n)
		hl_buf_put(dst, p, n);
	tp_conn_consume_output(c, n);
}

typedef struct oframe {
	uint8_t ver, flags, op;
	int16_t stream;
	const uint8_t *body;
	uint32_t len;
} oframe;

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parse the i-th 9-byte-header frame out of a byte run; false if absent. */
static bool out_frame(const hl_buf *b, int idx, oframe *f)
{
	size_t off = 0;

	for (int i = 0;; i++) {
		if (b->len - off < 9)
			return false;
		f->ver = b->p[off];
		f->flags = b->p[off + 1];
		f->stream = (int16_t)(b->p[off + 2] << 8 | b->p[off + 3]);
		f->op = b->p[off + 4];
		f->len = be32(b->p + off + 5);
		f->body = b->p + off + 9;
		if (b->len - off - 9 < f->len)
			return false;
		if (i == idx)
			return true;
		off += 9 + f->len;
	}
}

/* An ERROR body's code and message (NUL-terminated copy). */
static int err_of(const oframe *f, char *msg, size_t cap)
{
	hl_rd r;
	uint32_t code = 0;
	const char *s = "";
	size_t n = 0;

	hl_rd_init(&r, f->body, f->len);
	hl_rd_u32(&r, &code);
	hl_rd_pstring(&r, &s, &n);
	snprintf(msg, cap, "%.*s", (int)n, s);
	return (int)code;
}

static void startup_body(hl_buf *b, const char *compression)
{
	hl_buf_u16(b, compression ? 3 : 2);
	hl_buf_pstring(b, "CQL_VERSION", 11);
	hl_buf_pstring(b, "3.0.0", 5);
	hl_buf_pstring(b, "DRIVER_NAME", 11);
	hl_buf_pstring(b, "test", 4);
	if (compression) {
		hl_buf_pstring(b, "COMPRESSION", 11);
		hl_buf_pstring(b, compression, strlen(compression));
	}
}

/* A connection past STARTUP (frames drained). */
static tp_conn *ready_conn(int ver, const char *compression)
{
	tp_conn *c = tp_conn_new(NULL);
	hl_buf b, out;
	tp_request rq;
	hl_arena *a = hl_arena_new(4096);

	hl_buf_init(&b);
	hl_buf_init(&out);
	startup_body(&b, compression);
	send(c, ver, 0, 0, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(tp_conn_ready(c));
	hl_buf_free(&b);
	hl_buf_free(&out);
	hl_arena_free(a);
	return c;
}

/* ------------------------------------------------------------ independent v5 segment codec */

static uint32_t crc24(uint64_t v, int n)
{
	uint32_t crc = 0x875060;

	for (int i = 0; i < n; i++) {
		crc ^= (uint32_t)(v & 0xff) << 16;
		v >>= 8;
		for (int j = 0; j < 8; j++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1974F0B;
		}
	}
	return crc & 0xffffff;
}

static void put_le(hl_buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		hl_buf_u8(b, (uint8_t)(v >> (8 * i)));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void seg_encode(hl_buf *b, const uint8_t *p, size_t n, bool sc, bool lz4)
{
	if (lz4) {
		char *tmp = malloc((size_t)LZ4_compressBound((int)n));
		int got = LZ4_compress_default((const char *)p, tmp, (int)n, LZ4_compressBound((int)n));
		uint64_t hv;

		if (got > 0 && (size_t)got < n) {
			hv = (uint64_t)got | (uint64_t)n << 17 | (uint64_t)sc << 34;
			put_le(b, hv, 5);
			put_le(b, crc24(hv, 5), 3);
			hl_buf_put(b, tmp, (size_t)got);
			put_le(b, hl_crc32_v5(tmp, (size_t)got), 4);
		} else {
			hv = (uint64_t)n | (uint64_t)sc << 34;
			put_le(b, hv, 5);
			put_le(b, crc24(hv, 5), 3);
			hl_buf_put(b, p, n);
			put_le(b, hl_crc32_v5(p, n), 4);
		}
		free(tmp);
		return;
	}
	uint64_t hv = (uint64_t)n | (uint64_t)sc << 17;

	put_le(b, hv, 3);
	put_le(b, crc24(hv, 3), 3);
	hl_buf_put(b, p, n);
	put_le(b, hl_crc32_v5(p, n), 4);
}

/* Decode every segment; payloads concatenated into env. Returns the segment count or -1. */
static int seg_decode(const hl_buf *in, bool lz4, hl_buf *env, bool *sc_flags, int max)
{
	size_t off = 0;
	int nseg = 0;
	int hl = lz4 ? 5 : 3;

	while (off < in->len) {
		uint64_t hv;
		size_t plen, ulen = 0;
		bool sc;

		if (in->len - off < (size_t)hl + 3)
			return -1;
		hv = get_le(in->p + off, hl);
		if (crc24(hv, hl) != get_le(in->p + off + hl, 3))
			return -1;
		plen = hv & 0x1ffff;
		if (lz4) {
			ulen = (hv >> 17) & 0x1ffff;
			sc = (hv >> 34) & 1;
		} else {
			sc = (hv >> 17) & 1;
		}
		if (in->len - off < (size_t)hl + 3 + plen + 4)
			return -1;
		const uint8_t *pl = in->p + off + hl + 3;

		if (hl_crc32_v5(pl, plen) != get_le(pl + plen, 4))
			return -1;
		if (ulen) {
			char *tmp = malloc(ulen);

			if (LZ4_decompress_safe((const char *)pl, tmp, (int)plen, (int)ulen) != (int)ulen) {
				free(tmp);
				return -1;
			}
			hl_buf_put(env, tmp, ulen);
			free(tmp);
		} else {
			hl_buf_put(env, pl, plen);
		}
		if (nseg < max)
			sc_flags[nseg] = sc;
		nseg++;
		off += (size_t)hl + 3 + plen + 4;
	}
	return nseg;
}

/* One request envelope wrapped in one self-contained segment, fed to c. */
static void send_seg(tp_conn *c, bool lz4, int16_t stream, uint8_t op, const hl_buf *body)
{
	hl_buf env, seg;

	hl_buf_init(&env);
	hl_buf_init(&seg);
	frame(&env, 5, 0, stream, op, body ? body->p : NULL, body ? body->len : 0);
	seg_encode(&seg, env.p, env.len, true, lz4);
	feed_buf(c, &seg);
	hl_buf_free(&env);
	hl_buf_free(&seg);
}

/* ------------------------------------------------------------ tests: handshake */

static void test_unsupported_versions(void)
{
	static const int versions[] = { 0x42, 0x41, 6, 0 };

	for (int i = 0; versions[i]; i++) {
		tp_conn *c = tp_conn_new(NULL);
		hl_arena *a = hl_arena_new(1024);
		hl_buf out, exp;
		tp_request rq;
		char msg[128];

		hl_buf_init(&out);
		hl_buf_init(&exp);
		send(c, versions[i], 0, 0x1234, TP_OP_OPTIONS, NULL);
		CHECK(tp_conn_next(c, &rq, a) == 0);
		drain(c, &out);
		snprintf(msg, sizeof(msg),
			 "Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4, 5/v5)",
			 versions[i]);
		hl_buf_u8(&exp, 0x85);
		hl_buf_u8(&exp, 0);
		hl_buf_u16(&exp, 0x1234);
		hl_buf_u8(&exp, 0);
		hl_buf_u32(&exp, (uint32_t)(4 + 2 + strlen(msg)));
		hl_buf_u32(&exp, 0x000A);
		hl_buf_pstring(&exp, msg, strlen(msg));
		CHECK(out.len == exp.len && memcmp(out.p, exp.p, exp.len) == 0);
		CHECK(tp_conn_should_close(c));
		CHECK(tp_conn_feed(c, (const uint8_t *)"x", 1) == -1);
		hl_buf_free(&out);
		hl_buf_free(&exp);
		hl_arena_free(a);
		tp_conn_free(c);
	}

	/* v2 clients get a v2-shaped (8-byte) header with their 1-byte stream. */
	{
		tp_conn *c = tp_conn_new(NULL);
		hl_arena *a = hl_arena_new(1024);
		static const uint8_t v2opts[] = { 0x02, 0, 7, 0x05, 0, 0, 0, 0 };
		hl_buf out;
		tp_request rq;

		hl_buf_init(&out);
		tp_conn_feed(c, v2opts, sizeof(v2opts));
		CHECK(tp_conn_next(c, &rq, a) == 0);
		drain(c, &out);
		CHECK(out.len > 8 && out.p[0] == 0x82 && out.p[1] == 0 && out.p[2] == 7 && out.p[3] == 0);
		CHECK(be32(out.p + 4) == out.len - 8);
		CHECK(be32(out.p + 8) == 0x000A);
		CHECK(tp_conn_should_close(c));
		hl_buf_free(&out);
		hl_arena_free(a);
		tp_conn_free(c);
	}
}

static void test_options_supported(void)
{
	tp_conn *c = tp_conn_new(NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf out, exp;
	tp_request rq;
	oframe f;

	hl_buf_init(&out);
	hl_buf_init(&exp);
	send(c, 4, 0, 3, TP_OP_OPTIONS, NULL);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f));
	CHECK(f.ver == 0x84 && f.stream == 3 && f.op == TP_OP_SUPPORTED && f.flags == 0);
	hl_buf_u16(&exp, 3);
	hl_buf_pstring(&exp, "CQL_VERSION", 11);
	hl_buf_u16(&exp, 1);
	hl_buf_pstring(&exp, "3.4.7", 5);
	hl_buf_pstring(&exp, "COMPRESSION", 11);
	hl_buf_u16(&exp, 2);
	hl_buf_pstring(&exp, "lz4", 3);
	hl_buf_pstring(&exp, "snappy", 6);
	hl_buf_pstring(&exp, "PROTOCOL_VERSIONS", 17);
	hl_buf_u16(&exp, 3);
	hl_buf_pstring(&exp, "3/v3", 4);
	hl_buf_pstring(&exp, "4/v4", 4);
	hl_buf_pstring(&exp, "5/v5", 4);
	CHECK(f.len == exp.len && memcmp(f.body, exp.p, exp.len) == 0);
	CHECK(!tp_conn_should_close(c));
	CHECK(tp_conn_version(c) == 0);
	hl_buf_free(&out);
	hl_buf_free(&exp);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void test_startup_v4(void)
{
	tp_conn *c = tp_conn_new(NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf out, b;
	tp_request rq;
	oframe f;
	char msg[256];
	static const uint8_t ready[] = { 0x84, 0, 0, 9, TP_OP_READY, 0, 0, 0, 0 };

	hl_buf_init(&out);
	hl_buf_init(&b);
	/* QUERY before STARTUP */
	hl_buf_plongstring(&b, "SELECT 1", 8);
	hl_buf_u16(&b, 1);
	hl_buf_u8(&b, 0);
	send(c, 4, 0, 5, TP_OP_QUERY, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 5);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	CHECK_STR(msg, "Unexpected message QUERY, expecting STARTUP or OPTIONS");
	CHECK(!tp_conn_should_close(c));

	/* STARTUP */
	hl_buf_reset(&out);
	hl_buf_reset(&b);
	hl_buf_u16(&b, 5);
	hl_buf_pstring(&b, "cql_version", 11);   /* keys are case-insensitive */
	hl_buf_pstring(&b, "3.4.7", 5);
	hl_buf_pstring(&b, "DRIVER_NAME", 11);
	hl_buf_pstring(&b, "DataStax Python Driver", 22);
	hl_buf_pstring(&b, "THROW_ON_OVERLOAD", 17);
	hl_buf_pstring(&b, "1", 1);
	hl_buf_pstring(&b, "CLIENT_ID", 9);
	hl_buf_pstring(&b, "abc", 3);
	hl_buf_pstring(&b, "SOMETHING_ELSE", 14);
	hl_buf_pstring(&b, "x", 1);
	send(c, 4, 0, 9, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out.len == sizeof(ready) && memcmp(out.p, ready, sizeof(ready)) == 0);
	CHECK(tp_conn_ready(c));
	CHECK(tp_conn_version(c) == 4);
	CHECK_STR(tp_conn_client(c)->driver_name, "DataStax Python Driver");
	CHECK_STR(tp_conn_client(c)->cql_version, "3.4.7");
	CHECK_STR(tp_conn_client(c)->client_id, "abc");
	CHECK(tp_conn_client(c)->throw_on_overload);
	CHECK(tp_conn_client(c)->compression == TP_COMP_NONE);

	/* a second STARTUP */
	hl_buf_reset(&out);
	send(c, 4, 0, 10, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 10);
	err_of(&f, msg, sizeof(msg));
	CHECK_STR(msg, "Unexpected message STARTUP, the connection is already initialized");

	/* another version on the same connection */
	hl_buf_reset(&out);
	send(c, 3, 0, 11, TP_OP_OPTIONS, NULL);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 11 && f.ver == 0x84);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	CHECK_STR(msg, "Invalid message version. Got 3/v3 but previous messages on this connection had version 4/v4");

	/* OPTIONS as heartbeat after READY */
	hl_buf_reset(&out);
	send(c, 4, 0, 12, TP_OP_OPTIONS, NULL);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_SUPPORTED && f.stream == 12);
	CHECK(!tp_conn_should_close(c));

	hl_buf_free(&out);
	hl_buf_free(&b);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void startup_error(int ver, const char *key, const char *val, const char *want)
{
	tp_conn *c = tp_conn_new(NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf out, b;
	tp_request rq;
	oframe f;
	char msg[256];

	hl_buf_init(&out);
	hl_buf_init(&b);
	hl_buf_u16(&b, key ? 1 : 0);
	if (key) {
		hl_buf_pstring(&b, key, strlen(key));
		hl_buf_pstring(&b, val, strlen(val));
	}
	if (key && strcmp(key, "COMPRESSION") == 0) {
		hl_buf_reset(&b);
		hl_buf_u16(&b, 2);
		hl_buf_pstring(&b, "CQL_VERSION", 11);
		hl_buf_pstring(&b, "3.0.0", 5);
		hl_buf_pstring(&b, key, strlen(key));
		hl_buf_pstring(&b, val, strlen(val));
	}
	send(c, ver, 0, 2, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 2);
	CHECK(f.ver == (0x80 | ver));
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	CHECK_STR(msg, want);
	CHECK(!tp_conn_ready(c));
	CHECK(!tp_conn_should_close(c));
	hl_buf_free(&out);
	hl_buf_free(&b);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void test_startup_errors(void)
{
	startup_error(4, NULL, NULL, "Missing value CQL_VERSION in STARTUP message");
	startup_error(4, "CQL_VERSION", "2.0.0",
		      "CQL version 2.0.0 is not supported by the binary protocol (supported version are >= 3.0.0)");
	startup_error(4, "COMPRESSION", "zstd", "Unknown compression algorithm: zstd");
	startup_error(5, "COMPRESSION", "snappy", "Snappy compression is not supported in protocol V5");
}

static void test_unknown_opcode_and_direction(void)
{
	tp_conn *c = ready_conn(4, NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf out, b;
	tp_request rq;
	oframe f;
	char msg[256];

	hl_buf_init(&out);
	hl_buf_init(&b);
	hl_buf_put(&b, "junk", 4);
	send(c, 4, 0, 21, 0x20, &b);
	send(c, 4, 0, 22, TP_OP_RESULT, &b);
	send(c, 0x84, 0, 23, TP_OP_QUERY, &b);
	send(c, 4, 0, 24, TP_OP_CREDENTIALS, &b);
	send(c, 4, 0, 25, TP_OP_OPTIONS, NULL);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 21);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	CHECK_STR(msg, "Unknown opcode 32");
	CHECK(out_frame(&out, 1, &f) && f.stream == 22);
	err_of(&f, msg, sizeof(msg));
	CHECK_STR(msg, "Wrong protocol direction (expected RESPONSE, got REQUEST) for opcode 8 (RESULT)");
	CHECK(out_frame(&out, 2, &f) && f.stream == 23);
	err_of(&f, msg, sizeof(msg));
	CHECK_STR(msg, "Wrong protocol direction (expected REQUEST, got RESPONSE) for opcode 7 (QUERY)");
	CHECK(out_frame(&out, 3, &f) && f.stream == 24 && f.op == TP_OP_ERROR);
	CHECK(out_frame(&out, 4, &f) && f.stream == 25 && f.op == TP_OP_SUPPORTED);
	CHECK(!tp_conn_should_close(c));
	hl_buf_free(&out);
	hl_buf_free(&b);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void test_oversized_frame(void)
{
	tp_conn_opts o = { .max_frame_size = 1024 };
	tp_conn *c = tp_conn_new(&o);
	hl_arena *a = hl_arena_new(1024);
	hl_buf out, b;
	tp_request rq;
	oframe f;
	char msg[256];
	uint8_t hdr[9] = { 4, 0, 0, 31, TP_OP_QUERY, 0, 0, 0x07, 0xD0 };   /* 2000 bytes */
	uint8_t junk[500];

	hl_buf_init(&out);
	hl_buf_init(&b);
	memset(junk, 0xAB, sizeof(junk));
	tp_conn_feed(c, hdr, sizeof(hdr));
	CHECK(tp_conn_next(c, &rq, a) == 0);
	for (int i = 0; i < 4; i++) {
		tp_conn_feed(c, junk, sizeof(junk));
		CHECK(tp_conn_next(c, &rq, a) == 0);
	}
	/* the next frame after the skipped body is processed normally */
	send(c, 4, 0, 32, TP_OP_OPTIONS, NULL);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 31);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_INVALID);
	CHECK_STR(msg, "Request is too big: length 2009 exceeds maximum allowed length 1024.");
	CHECK(out_frame(&out, 1, &f) && f.op == TP_OP_SUPPORTED && f.stream == 32);
	CHECK(!tp_conn_should_close(c));
	hl_buf_free(&out);
	hl_buf_free(&b);
	hl_arena_free(a);
	tp_conn_free(c);
}

/* ------------------------------------------------------------ tests: request decoding */

static void query_v5_body(hl_buf *b)
{
	hl_buf_plongstring(b, "SELECT * FROM t WHERE k=?", 25);
	hl_buf_u16(b, QRY_CL_LOCAL_QUORUM);
	hl_buf_u32(b, 0x1FF);
	hl_buf_u16(b, 3);
	hl_buf_pstring(b, "a", 1);
	hl_buf_pbytes(b, "\0\0\0\1", 4);
	hl_buf_pstring(b, "b", 1);
	hl_buf_u32(b, 0xFFFFFFFF);
	hl_buf_pstring(b, "c", 1);
	hl_buf_u32(b, 0xFFFFFFFE);
	hl_buf_u32(b, 100);
	hl_buf_pbytes(b, "PS", 2);
	hl_buf_u16(b, QRY_CL_LOCAL_SERIAL);
	hl_buf_u64(b, 1234567890123ULL);
	hl_buf_pstring(b, "ks1", 3);
	hl_buf_u32(b, 1700000000);
}

static void check_query_v5(const tp_request *rq)
{
	const qry_params *p = &rq->params;

	CHECK(rq->opcode == TP_OP_QUERY && rq->version == 5);
	CHECK(rq->query_len == 25 && memcmp(rq->query, "SELECT * FROM t WHERE k=?", 25) == 0);
	CHECK(p->consistency == QRY_CL_LOCAL_QUORUM);
	CHECK(p->skip_metadata && p->named_values);
	CHECK(p->nvalues == 3);
	CHECK(p->values[0].name_len == 1 && p->values[0].name[0] == 'a');
	CHECK(p->values[0].len == 4 && p->values[0].p[3] == 1);
	CHECK(p->values[1].len == QRY_NULL && p->values[1].name[0] == 'b');
	CHECK(p->values[2].len == QRY_UNSET);
	CHECK(p->page_size == 100);
	CHECK(p->paging_state_len == 2 && memcmp(p->paging_state, "PS", 2) == 0);
	CHECK(p->serial_consistency == QRY_CL_LOCAL_SERIAL);
	CHECK(p->has_timestamp && p->timestamp == 1234567890123LL);
	CHECK(p->keyspace_len == 3 && memcmp(p->keyspace, "ks1", 3) == 0);
	CHECK(p->has_now && p->now_in_seconds == 1700000000);
}

static void test_query_decoding(void)
{
	hl_arena *a = hl_arena_new(4096);
	hl_buf b, out;
	tp_request rq;

	hl_buf_init(&b);
	hl_buf_init(&out);

	/* v4: one-byte flags, positional values incl. unset, no keyspace */
	{
		tp_conn *c = ready_conn(4, NULL);

		hl_buf_plongstring(&b, "INSERT INTO t (k, v) VALUES (?, ?)", 34);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u8(&b, 0x01 | 0x04 | 0x20);
		hl_buf_u16(&b, 2);
		hl_buf_pbytes(&b, "xy", 2);
		hl_buf_u32(&b, 0xFFFFFFFE);
		hl_buf_u32(&b, 50);
		hl_buf_u64(&b, (uint64_t)-5);
		send(c, 4, TP_FLAG_TRACING, 40, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.stream == 40 && rq.opcode == TP_OP_QUERY && rq.version == 4);
		CHECK(rq.flags & TP_FLAG_TRACING);
		CHECK(rq.params.consistency == QRY_CL_ONE);
		CHECK(rq.params.nvalues == 2 && !rq.params.named_values && !rq.params.skip_metadata);
		CHECK(rq.params.values[0].len == 2 && memcmp(rq.params.values[0].p, "xy", 2) == 0);
		CHECK(rq.params.values[0].name == NULL);
		CHECK(rq.params.values[1].len == QRY_UNSET);
		CHECK(rq.params.page_size == 50);
		CHECK(rq.params.paging_state == NULL);
		CHECK(rq.params.has_timestamp && rq.params.timestamp == -5);
		CHECK(rq.params.keyspace == NULL && !rq.params.has_now);
		CHECK(rq.params.serial_consistency == 0);
		CHECK(tp_conn_next(c, &rq, a) == 0);

		/* no flags at all */
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, QRY_CL_QUORUM);
		hl_buf_u8(&b, 0);
		send(c, 4, 0, 41, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.params.nvalues == 0 && rq.params.values == NULL && rq.params.page_size <= 0);
		CHECK(!rq.params.has_timestamp);

		/* the body survives input compaction: it lives in the arena */
		const char *q = rq.query;

		send(c, 4, 0, 42, TP_OP_OPTIONS, NULL);
		CHECK(tp_conn_next(c, &rq, a) == 0);
		CHECK(memcmp(q, "SELECT 1", 8) == 0);

		/* bad consistency, truncated value, bad value length */
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, 0x0042);
		hl_buf_u8(&b, 0);
		send(c, 4, 0, 43, TP_OP_QUERY, &b);
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, 1);
		hl_buf_u8(&b, 1);
		hl_buf_u16(&b, 1);
		hl_buf_u32(&b, 1000);    /* value longer than the body */
		hl_buf_put(&b, "ab", 2);
		send(c, 4, 0, 44, TP_OP_QUERY, &b);
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, 1);
		hl_buf_u8(&b, 1);
		hl_buf_u16(&b, 1);
		hl_buf_u32(&b, (uint32_t)-7);
		send(c, 4, 0, 45, TP_OP_QUERY, &b);
		hl_buf_reset(&b);
		hl_buf_u32(&b, 0x7fffffff);   /* query string length past the end */
		hl_buf_put(&b, "SEL", 3);
		send(c, 4, 0, 46, TP_OP_QUERY, &b);
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, 1);
		hl_buf_u8(&b, 0x20);
		hl_buf_u64(&b, 0x8000000000000000ULL);
		send(c, 4, 0, 47, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 0);
		hl_buf_reset(&out);
		drain(c, &out);
		{
			oframe f;
			char msg[256];

			CHECK(out_frame(&out, 0, &f) && f.stream == 42 && f.op == TP_OP_SUPPORTED);
			CHECK(out_frame(&out, 1, &f) && f.stream == 43);
			CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
			CHECK_STR(msg, "Unknown code 66 for a consistency level");
			CHECK(out_frame(&out, 2, &f) && f.stream == 44);
			CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
			CHECK(out_frame(&out, 3, &f) && f.stream == 45);
			CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
			CHECK_STR(msg, "Invalid ByteBuf length -7");
			CHECK(out_frame(&out, 4, &f) && f.stream == 46);
			CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
			CHECK(out_frame(&out, 5, &f) && f.stream == 47);
			CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
			CHECK(strncmp(msg, "Out of bound timestamp", 22) == 0);
		}
		CHECK(!tp_conn_should_close(c));
		tp_conn_free(c);
	}

	/* v3: a -2 value reads as null; flag 0x80 means nothing */
	{
		tp_conn *c = ready_conn(3, NULL);

		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT 1", 8);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u8(&b, 0x81);
		hl_buf_u16(&b, 1);
		hl_buf_u32(&b, 0xFFFFFFFE);
		send(c, 3, 0, 1, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.version == 3 && rq.params.nvalues == 1 && rq.params.values[0].len == QRY_NULL);
		CHECK(rq.params.keyspace == NULL);
		tp_conn_free(c);
	}

	/* v5: every flag, inside a segment */
	{
		tp_conn *c = ready_conn(5, NULL);

		hl_buf_reset(&b);
		query_v5_body(&b);
		send_seg(c, false, 77, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.stream == 77);
		check_query_v5(&rq);
		tp_conn_free(c);
	}

	/* custom payload (flag 0x04) is skipped */
	{
		tp_conn *c = ready_conn(4, NULL);

		hl_buf_reset(&b);
		hl_buf_u16(&b, 1);
		hl_buf_pstring(&b, "key", 3);
		hl_buf_pbytes(&b, "val", 3);
		hl_buf_plongstring(&b, "SELECT 2", 8);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u8(&b, 0);
		send(c, 4, TP_FLAG_CUSTOM_PAYLOAD, 2, TP_OP_QUERY, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.query_len == 8 && memcmp(rq.query, "SELECT 2", 8) == 0);
		tp_conn_free(c);
	}
	hl_buf_free(&b);
	hl_buf_free(&out);
	hl_arena_free(a);
}

static void test_execute_prepare_batch(void)
{
	hl_arena *a = hl_arena_new(4096);
	hl_buf b;
	tp_request rq;
	static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	hl_buf_init(&b);
	{
		tp_conn *c = ready_conn(4, NULL);

		hl_buf_pshortbytes(&b, id, 16);
		hl_buf_u16(&b, QRY_CL_QUORUM);
		hl_buf_u8(&b, 0x01 | 0x02 | 0x08 | 0x10);
		hl_buf_u16(&b, 1);
		hl_buf_pbytes(&b, "abc", 3);
		hl_buf_pbytes(&b, "state", 5);
		hl_buf_u16(&b, QRY_CL_SERIAL);
		send(c, 4, 0, 5, TP_OP_EXECUTE, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.opcode == TP_OP_EXECUTE && rq.id_len == 16 && memcmp(rq.id, id, 16) == 0);
		CHECK(rq.result_metadata_id == NULL);
		CHECK(rq.params.consistency == QRY_CL_QUORUM && rq.params.skip_metadata);
		CHECK(rq.params.nvalues == 1 && rq.params.values[0].len == 3);
		CHECK(rq.params.paging_state_len == 5 && memcmp(rq.params.paging_state, "state", 5) == 0);
		CHECK(rq.params.serial_consistency == QRY_CL_SERIAL);

		/* BATCH v4: a query string and a prepared id, serial + timestamp */
		hl_buf_reset(&b);
		hl_buf_u8(&b, QRY_BATCH_UNLOGGED);
		hl_buf_u16(&b, 2);
		hl_buf_u8(&b, 0);
		hl_buf_plongstring(&b, "INSERT INTO t (k) VALUES (1)", 28);
		hl_buf_u16(&b, 0);
		hl_buf_u8(&b, 1);
		hl_buf_pshortbytes(&b, id, 16);
		hl_buf_u16(&b, 2);
		hl_buf_pbytes(&b, "\0\0\0\2", 4);
		hl_buf_pbytes(&b, NULL, -1);
		hl_buf_u16(&b, QRY_CL_ANY);
		hl_buf_u8(&b, 0x10 | 0x20);
		hl_buf_u16(&b, QRY_CL_LOCAL_SERIAL);
		hl_buf_u64(&b, 99);
		send(c, 4, 0, 6, TP_OP_BATCH, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.opcode == TP_OP_BATCH && rq.batch.type == QRY_BATCH_UNLOGGED);
		CHECK(rq.batch.nstmts == 2);
		CHECK(!rq.batch.stmts[0].prepared && rq.batch.stmts[0].query_len == 28);
		CHECK(rq.batch.stmts[0].nvalues == 0);
		CHECK(rq.batch.stmts[1].prepared && rq.batch.stmts[1].id_len == 16);
		CHECK(rq.batch.stmts[1].nvalues == 2 && rq.batch.stmts[1].values[0].len == 4);
		CHECK(rq.batch.stmts[1].values[1].len == QRY_NULL);
		CHECK(rq.batch.params.consistency == QRY_CL_ANY);
		CHECK(rq.batch.params.serial_consistency == QRY_CL_LOCAL_SERIAL);
		CHECK(rq.batch.params.has_timestamp && rq.batch.params.timestamp == 99);

		/* bad batch type / kind */
		hl_buf_reset(&b);
		hl_buf_u8(&b, 7);
		hl_buf_u16(&b, 0);
		send(c, 4, 0, 7, TP_OP_BATCH, &b);
		hl_buf_reset(&b);
		hl_buf_u8(&b, 0);
		hl_buf_u16(&b, 1);
		hl_buf_u8(&b, 5);
		hl_buf_put(&b, "xxxxxxxx", 8);
		send(c, 4, 0, 8, TP_OP_BATCH, &b);
		CHECK(tp_conn_next(c, &rq, a) == 0);
		{
			hl_buf out;
			oframe f;
			char msg[256];

			hl_buf_init(&out);
			drain(c, &out);
			CHECK(out_frame(&out, 0, &f) && f.stream == 7);
			err_of(&f, msg, sizeof(msg));
			CHECK_STR(msg, "Invalid BATCH message type 7");
			CHECK(out_frame(&out, 1, &f) && f.stream == 8);
			err_of(&f, msg, sizeof(msg));
			CHECK_STR(msg, "Invalid query kind in BATCH messages. Must be 0 or 1 but got 5");
			hl_buf_free(&out);
		}

		/* PREPARE v4 has no flags */
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT * FROM t", 15);
		send(c, 4, 0, 9, TP_OP_PREPARE, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.opcode == TP_OP_PREPARE && rq.query_len == 15 && rq.keyspace == NULL);
		tp_conn_free(c);
	}
	{
		tp_conn *c = ready_conn(5, NULL);

		/* EXECUTE v5 carries the result metadata id */
		hl_buf_reset(&b);
		hl_buf_pshortbytes(&b, id, 16);
		hl_buf_pshortbytes(&b, id + 8, 8);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u32(&b, 0x100 | 0x80);
		hl_buf_pstring(&b, "k5", 2);
		hl_buf_u32(&b, 42);
		send_seg(c, false, 1, TP_OP_EXECUTE, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.opcode == TP_OP_EXECUTE && rq.id_len == 16);
		CHECK(rq.result_metadata_id_len == 8 && rq.result_metadata_id[0] == 9);
		CHECK(rq.params.keyspace_len == 2 && memcmp(rq.params.keyspace, "k5", 2) == 0);
		CHECK(rq.params.has_now && rq.params.now_in_seconds == 42);

		/* PREPARE v5 with keyspace */
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, "SELECT * FROM t", 15);
		hl_buf_u32(&b, 1);
		hl_buf_pstring(&b, "myks", 4);
		send_seg(c, false, 2, TP_OP_PREPARE, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.prepare_flags == 1 && rq.keyspace_len == 4 && memcmp(rq.keyspace, "myks", 4) == 0);

		/* BATCH v5: int flags, keyspace and now */
		hl_buf_reset(&b);
		hl_buf_u8(&b, QRY_BATCH_COUNTER);
		hl_buf_u16(&b, 1);
		hl_buf_u8(&b, 0);
		hl_buf_plongstring(&b, "UPDATE c SET n = n + 1 WHERE k = 1", 34);
		hl_buf_u16(&b, 0);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u32(&b, 0x80 | 0x100 | 0x20);
		hl_buf_u64(&b, 7);
		hl_buf_pstring(&b, "bks", 3);
		hl_buf_u32(&b, 11);
		send_seg(c, false, 3, TP_OP_BATCH, &b);
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.batch.type == QRY_BATCH_COUNTER && rq.batch.nstmts == 1);
		CHECK(rq.batch.params.has_timestamp && rq.batch.params.timestamp == 7);
		CHECK(rq.batch.params.keyspace_len == 3 && memcmp(rq.batch.params.keyspace, "bks", 3) == 0);
		CHECK(rq.batch.params.has_now && rq.batch.params.now_in_seconds == 11);
		tp_conn_free(c);
	}
	hl_buf_free(&b);
	hl_arena_free(a);
}

static void test_byte_by_byte(void)
{
	tp_conn *c = ready_conn(4, NULL);
	hl_arena *a = hl_arena_new(4096);
	hl_buf b, fr;
	tp_request rq;
	int got = 0;

	hl_buf_init(&b);
	hl_buf_init(&fr);
	hl_buf_plongstring(&b, "SELECT 1", 8);
	hl_buf_u16(&b, QRY_CL_ONE);
	hl_buf_u8(&b, 0);
	frame(&fr, 4, 0, 3, TP_OP_QUERY, b.p, b.len);
	frame(&fr, 4, 0, 4, TP_OP_QUERY, b.p, b.len);
	for (size_t i = 0; i < fr.len; i++) {
		tp_conn_feed(c, fr.p + i, 1);
		while (tp_conn_next(c, &rq, a) == 1) {
			got++;
			CHECK(rq.stream == 2 + got);
			CHECK(i == (got == 1 ? fr.len / 2 - 1 : fr.len - 1));
		}
	}
	CHECK(got == 2);
	CHECK(tp_conn_input_pending(c) == 0);
	hl_buf_free(&b);
	hl_buf_free(&fr);
	hl_arena_free(a);
	tp_conn_free(c);
}

/* ------------------------------------------------------------ tests: compression */

static void test_v4_compression(const char *algo)
{
	tp_conn *c = ready_conn(4, algo);
	hl_arena *a = hl_arena_new(4096);
	hl_buf b, comp, out;
	tp_request rq;
	oframe f;
	qry_result res;
	char big[600];

	hl_buf_init(&b);
	hl_buf_init(&comp);
	hl_buf_init(&out);
	memset(big, 'q', sizeof(big));
	memcpy(big, "SELECT ", 7);
	hl_buf_plongstring(&b, big, sizeof(big));
	hl_buf_u16(&b, QRY_CL_ONE);
	hl_buf_u8(&b, 0);
	if (strcmp(algo, "lz4") == 0) {
		int bound = LZ4_compressBound((int)b.len);

		hl_buf_u32(&comp, (uint32_t)b.len);
		hl_buf_reserve(&comp, (size_t)bound);
		comp.len += (size_t)LZ4_compress_default((const char *)b.p, (char *)comp.p + 4,
							 (int)b.len, bound);
	} else {
		size_t n = snappy_max_compressed_length(b.len);

		hl_buf_reserve(&comp, n);
		snappy_compress((const char *)b.p, b.len, (char *)comp.p, &n);
		comp.len = n;
	}
	CHECK(comp.len < b.len);
	send(c, 4, TP_FLAG_COMPRESSED, 8, TP_OP_QUERY, &comp);
	CHECK(tp_conn_next(c, &rq, a) == 1);
	CHECK(rq.query_len == sizeof(big) && memcmp(rq.query, big, sizeof(big)) == 0);
	CHECK(tp_conn_client(c)->compression == (strcmp(algo, "lz4") == 0 ? TP_COMP_LZ4 : TP_COMP_SNAPPY));

	/* the answer comes back compressed */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_SET_KEYSPACE;
	res.keyspace = "a_rather_long_keyspace_name_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	tp_conn_respond(c, 8, &res);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_RESULT && (f.flags & TP_FLAG_COMPRESSED));
	{
		char plain[256];
		size_t n = sizeof(plain);
		int ok;

		if (strcmp(algo, "lz4") == 0) {
			ok = LZ4_decompress_safe((const char *)f.body + 4, plain, (int)f.len - 4,
						 (int)sizeof(plain));
			CHECK(ok >= 0 && (uint32_t)ok == be32(f.body));
			n = (size_t)ok;
		} else {
			CHECK(snappy_uncompress((const char *)f.body, f.len, plain, &n) == SNAPPY_OK);
		}
		CHECK(n == 4 + 2 + strlen(res.keyspace));
		CHECK(be32((const uint8_t *)plain) == QRY_RESULT_SET_KEYSPACE);
	}

	/* a corrupt compressed body is a ProtocolError on its stream */
	hl_buf_reset(&out);
	hl_buf_reset(&comp);
	hl_buf_u32(&comp, 100);
	hl_buf_put(&comp, "\xff\xff\xff\xff\xff", 5);
	send(c, 4, TP_FLAG_COMPRESSED, 9, TP_OP_QUERY, &comp);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 9);
	CHECK(!tp_conn_should_close(c));
	hl_buf_free(&b);
	hl_buf_free(&comp);
	hl_buf_free(&out);
	hl_arena_free(a);
	tp_conn_free(c);
}

/* ------------------------------------------------------------ tests: v5 segments */

static void test_v5_flow(bool lz4)
{
	tp_conn *c = tp_conn_new(NULL);
	hl_arena *a = hl_arena_new(4096);
	hl_buf b, out, env, seg;
	tp_request rq;
	oframe f;
	bool sc[64];
	static const uint8_t ready[] = { 0x85, 0, 0, 1, TP_OP_READY, 0, 0, 0, 0 };

	hl_buf_init(&b);
	hl_buf_init(&out);
	hl_buf_init(&env);
	hl_buf_init(&seg);

	/* OPTIONS and STARTUP are plain frames; READY too */
	send(c, 5, 0, 0, TP_OP_OPTIONS, NULL);
	startup_body(&b, lz4 ? "lz4" : NULL);
	send(c, 5, 0, 1, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.ver == 0x85 && f.op == TP_OP_SUPPORTED);
	CHECK(out.len == 9 + f.len + sizeof(ready));
	CHECK(memcmp(out.p + 9 + f.len, ready, sizeof(ready)) == 0);
	CHECK(tp_conn_version(c) == 5);

	/* from now on segments: OPTIONS + QUERY in one self-contained segment */
	hl_buf_reset(&out);
	hl_buf_reset(&b);
	frame(&env, 5, 0, 2, TP_OP_OPTIONS, NULL, 0);
	query_v5_body(&b);
	frame(&env, 5, 0, 3, TP_OP_QUERY, b.p, b.len);
	seg_encode(&seg, env.p, env.len, true, lz4);
	feed_buf(c, &seg);
	CHECK(tp_conn_next(c, &rq, a) == 1);
	check_query_v5(&rq);
	CHECK(rq.stream == 3);
	CHECK(tp_conn_next(c, &rq, a) == 0);

	/* respond, then decode our output with the independent segment codec */
	{
		qry_result res;

		memset(&res, 0, sizeof(res));
		res.kind = QRY_RESULT_VOID;
		tp_conn_respond(c, 3, &res);
	}
	drain(c, &out);
	hl_buf_reset(&env);
	CHECK(seg_decode(&out, lz4, &env, sc, 64) == 1);
	CHECK(sc[0]);
	CHECK(out_frame(&env, 0, &f) && f.ver == 0x85 && f.op == TP_OP_SUPPORTED && f.stream == 2);
	CHECK(out_frame(&env, 1, &f) && f.op == TP_OP_RESULT && f.stream == 3 && f.len == 4);
	CHECK(!out_frame(&env, 2, &f));

	/* a large query split over non-self-contained segments */
	{
		size_t qlen = 300000;
		char *q = malloc(qlen);

		memset(q, 'x', qlen);
		memcpy(q, "SELECT ", 7);
		hl_buf_reset(&b);
		hl_buf_plongstring(&b, q, qlen);
		hl_buf_u16(&b, QRY_CL_ONE);
		hl_buf_u32(&b, 0);
		hl_buf_reset(&env);
		hl_buf_reset(&seg);
		frame(&env, 5, 0, 4, TP_OP_QUERY, b.p, b.len);
		for (size_t off = 0; off < env.len; off += TP_SEGMENT_MAX_PAYLOAD) {
			size_t part = env.len - off < TP_SEGMENT_MAX_PAYLOAD ? env.len - off
									      : TP_SEGMENT_MAX_PAYLOAD;

			seg_encode(&seg, env.p + off, part, false, lz4);
		}
		/* feed in odd-sized chunks */
		for (size_t off = 0; off < seg.len; off += 7777) {
			size_t part = seg.len - off < 7777 ? seg.len - off : 7777;

			tp_conn_feed(c, seg.p + off, part);
			if (off + part < seg.len)
				CHECK(tp_conn_next(c, &rq, a) == 0);
		}
		CHECK(tp_conn_next(c, &rq, a) == 1);
		CHECK(rq.stream == 4 && rq.query_len == qlen && memcmp(rq.query, q, qlen) == 0);
		free(q);
	}

	/* a large response is sliced into several non-self-contained segments */
	{
		qry_result res;
		qry_colspec col = { "ks", "t", "v", ty_simple(TY_BLOB) };
		size_t vlen = 400000;
		uint8_t *val = malloc(vlen);

		for (size_t i = 0; i < vlen; i++)
			val[i] = (uint8_t)(i * 7);
		memset(&res, 0, sizeof(res));
		res.kind = QRY_RESULT_ROWS;
		res.meta.ncols = 1;
		res.meta.cols = &col;
		res.nrows = 1;
		hl_buf_init(&res.rows);
		hl_buf_pbytes(&res.rows, val, (int32_t)vlen);
		tp_conn_respond(c, 4, &res);
		hl_buf_reset(&out);
		drain(c, &out);
		hl_buf_reset(&env);
		int nseg = seg_decode(&out, lz4, &env, sc, 64);

		CHECK(nseg == 4);
		for (int i = 0; i < nseg && i < 64; i++)
			CHECK(!sc[i]);
		CHECK(out_frame(&env, 0, &f) && f.op == TP_OP_RESULT && f.stream == 4);
		CHECK(f.len > vlen && memcmp(f.body + f.len - vlen, val, vlen) == 0);
		hl_buf_free(&res.rows);
		free(val);
	}

	/* many small responses share a self-contained segment */
	{
		qry_result res;

		memset(&res, 0, sizeof(res));
		res.kind = QRY_RESULT_VOID;
		for (int i = 0; i < 10; i++)
			tp_conn_respond(c, (int16_t)(100 + i), &res);
		hl_buf_reset(&out);
		drain(c, &out);
		hl_buf_reset(&env);
		CHECK(seg_decode(&out, lz4, &env, sc, 64) == 1);
		CHECK(out_frame(&env, 9, &f) && f.stream == 109);
	}

	/* a corrupt payload CRC closes the connection with a ProtocolError */
	{
		char msg[256];

		hl_buf_reset(&env);
		hl_buf_reset(&seg);
		frame(&env, 5, 0, 5, TP_OP_OPTIONS, NULL, 0);
		seg_encode(&seg, env.p, env.len, true, lz4);
		seg.p[seg.len - 1] ^= 0x55;
		feed_buf(c, &seg);
		CHECK(tp_conn_next(c, &rq, a) == 0);
		CHECK(tp_conn_should_close(c));
		hl_buf_reset(&out);
		drain(c, &out);
		hl_buf_reset(&env);
		CHECK(seg_decode(&out, lz4, &env, sc, 64) == 1);
		CHECK(out_frame(&env, 0, &f) && f.op == TP_OP_ERROR);
		CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	}
	hl_buf_free(&b);
	hl_buf_free(&out);
	hl_buf_free(&env);
	hl_buf_free(&seg);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void test_v5_header_crc(void)
{
	tp_conn *c = ready_conn(5, NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf env, seg, out;
	tp_request rq;

	hl_buf_init(&env);
	hl_buf_init(&seg);
	hl_buf_init(&out);
	frame(&env, 5, 0, 5, TP_OP_OPTIONS, NULL, 0);
	seg_encode(&seg, env.p, env.len, true, false);
	seg.p[3] ^= 1;   /* header CRC */
	feed_buf(c, &seg);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	CHECK(tp_conn_should_close(c));

	/* a self-contained segment with half an envelope also closes */
	tp_conn_free(c);
	c = ready_conn(5, NULL);
	hl_buf_reset(&seg);
	seg_encode(&seg, env.p, 5, true, false);
	feed_buf(c, &seg);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	CHECK(tp_conn_should_close(c));
	hl_buf_free(&env);
	hl_buf_free(&seg);
	hl_buf_free(&out);
	hl_arena_free(a);
	tp_conn_free(c);
}

/* ------------------------------------------------------------ tests: RESULT encodings */

/* Respond with res on a fresh v`ver` connection; the RESULT body goes to body. */
static uint8_t result_body(int ver, const qry_result *res, hl_buf *body)
{
	tp_conn *c = ready_conn(ver, NULL);
	hl_buf out, env;
	oframe f = { 0 };
	bool sc[8];

	hl_buf_init(&out);
	hl_buf_init(&env);
	tp_conn_respond(c, 7, res);
	drain(c, &out);
	if (ver == 5) {
		seg_decode(&out, false, &env, sc, 8);
		out_frame(&env, 0, &f);
	} else {
		out_frame(&out, 0, &f);
	}
	CHECK(f.op == TP_OP_RESULT && f.stream == 7 && f.ver == (0x80 | ver));
	hl_buf_reset(body);
	hl_buf_put(body, f.body, f.len);
	hl_buf_free(&out);
	hl_buf_free(&env);
	tp_conn_free(c);
	return f.flags;
}

#define CHECK_BYTES(buf, exp) \
	CHECK((buf).len == (exp).len && memcmp((buf).p, (exp).p, (exp).len) == 0)

static void test_results(void)
{
	hl_buf got, exp;
	qry_result res;
	qry_colspec cols[2] = {
		{ "ks", "t", "k", ty_simple(TY_INT) },
		{ "ks", "t", "v", ty_simple(TY_TEXT) },
	};
	static const uint8_t id[16] = { 0xA0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xAF };
	static const uint8_t rmid[16] = { 0xB0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xBF };

	hl_buf_init(&got);
	hl_buf_init(&exp);

	/* VOID */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_VOID;
	CHECK(result_body(4, &res, &got) == 0);
	hl_buf_u32(&exp, 1);
	CHECK_BYTES(got, exp);

	/* SET_KEYSPACE */
	res.kind = QRY_RESULT_SET_KEYSPACE;
	res.keyspace = "myks";
	result_body(4, &res, &got);
	hl_buf_reset(&exp);
	hl_buf_u32(&exp, 3);
	hl_buf_pstring(&exp, "myks", 4);
	CHECK_BYTES(got, exp);

	/* ROWS: global spec, a paging state, one row */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_ROWS;
	res.meta.ncols = 2;
	res.meta.cols = cols;
	res.nrows = 1;
	hl_buf_init(&res.rows);
	hl_buf_pbytes(&res.rows, "\0\0\0\1", 4);
	hl_buf_pbytes(&res.rows, "hi", 2);
	res.paging_state = (const uint8_t *)"PS";
	res.paging_state_len = 2;
	result_body(4, &res, &got);
	{
		static const uint8_t want[] = {
			0, 0, 0, 2,               /* ROWS */
			0, 0, 0, 3,               /* global spec | has more pages */
			0, 0, 0, 2,               /* columns */
			0, 0, 0, 2, 'P', 'S',     /* paging state */
			0, 2, 'k', 's', 0, 1, 't',
			0, 1, 'k', 0, 0x09,       /* k int */
			0, 1, 'v', 0, 0x0D,       /* v varchar */
			0, 0, 0, 1,               /* rows */
			0, 0, 0, 4, 0, 0, 0, 1,
			0, 0, 0, 2, 'h', 'i',
		};
		CHECK(got.len == sizeof(want) && memcmp(got.p, want, sizeof(want)) == 0);
	}

	/* ROWS without metadata (skip_metadata), no more pages, per-column spec otherwise */
	res.paging_state = NULL;
	res.meta.no_metadata = true;
	result_body(4, &res, &got);
	{
		static const uint8_t want[] = {
			0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 2,
			0, 0, 0, 1,
			0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 'h', 'i',
		};
		CHECK(got.len == sizeof(want) && memcmp(got.p, want, sizeof(want)) == 0);
	}
	res.meta.no_metadata = false;
	cols[1].table = "u";
	res.nrows = 0;
	hl_buf_reset(&res.rows);
	result_body(4, &res, &got);
	{
		static const uint8_t want[] = {
			0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2,
			0, 2, 'k', 's', 0, 1, 't', 0, 1, 'k', 0, 0x09,
			0, 2, 'k', 's', 0, 1, 'u', 0, 1, 'v', 0, 0x0D,
			0, 0, 0, 0,
		};
		CHECK(got.len == sizeof(want) && memcmp(got.p, want, sizeof(want)) == 0);
	}
	cols[1].table = "t";
	hl_buf_free(&res.rows);

	/* warnings (v4+) */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_VOID;
	res.nwarnings = 1;
	res.warnings[0] = "careful";
	CHECK(result_body(4, &res, &got) == TP_FLAG_WARNING);
	hl_buf_reset(&exp);
	hl_buf_u16(&exp, 1);
	hl_buf_pstring(&exp, "careful", 7);
	hl_buf_u32(&exp, 1);
	CHECK_BYTES(got, exp);
	CHECK(result_body(3, &res, &got) == 0);   /* v3 has no warnings */
	CHECK(got.len == 4);

	/* PREPARED v4 and v5 */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_PREPARED;
	memcpy(res.id, id, 16);
	memcpy(res.result_metadata_id, rmid, 16);
	res.bind_meta.ncols = 1;
	res.bind_meta.cols = cols;
	res.bind_meta.npk = 1;
	res.bind_meta.pk_index[0] = 0;
	for (int v = 3; v <= 5; v++) {
		result_body(v, &res, &got);
		hl_buf_reset(&exp);
		hl_buf_u32(&exp, 4);
		hl_buf_pshortbytes(&exp, id, 16);
		if (v >= 5)
			hl_buf_pshortbytes(&exp, rmid, 16);
		hl_buf_u32(&exp, 1);         /* global spec */
		hl_buf_u32(&exp, 1);
		if (v >= 4) {
			hl_buf_u32(&exp, 1); /* pk count */
			hl_buf_u16(&exp, 0);
		}
		hl_buf_pstring(&exp, "ks", 2);
		hl_buf_pstring(&exp, "t", 1);
		hl_buf_pstring(&exp, "k", 1);
		hl_buf_u16(&exp, 0x0009);
		hl_buf_u32(&exp, 4);         /* result metadata: none */
		hl_buf_u32(&exp, 0);
		CHECK_BYTES(got, exp);
	}
	/* PREPARED of a SELECT: result metadata with columns */
	res.result_meta.ncols = 2;
	res.result_meta.cols = cols;
	result_body(4, &res, &got);
	CHECK(got.len > 14 && memcmp(got.p + got.len - 4, "\0\x01v\0", 4) != 0);
	{
		static const uint8_t tail[] = {
			0, 0, 0, 1, 0, 0, 0, 2, 0, 2, 'k', 's', 0, 1, 't',
			0, 1, 'k', 0, 0x09, 0, 1, 'v', 0, 0x0D,
		};
		CHECK(got.len > sizeof(tail) &&
		      memcmp(got.p + got.len - sizeof(tail), tail, sizeof(tail)) == 0);
	}

	/* SCHEMA_CHANGE: keyspace, table, function */
	memset(&res, 0, sizeof(res));
	res.kind = QRY_RESULT_SCHEMA_CHANGE;
	res.change_type = "CREATED";
	res.target = "KEYSPACE";
	res.sc_keyspace = "ks";
	result_body(4, &res, &got);
	hl_buf_reset(&exp);
	hl_buf_u32(&exp, 5);
	hl_buf_pstring(&exp, "CREATED", 7);
	hl_buf_pstring(&exp, "KEYSPACE", 8);
	hl_buf_pstring(&exp, "ks", 2);
	CHECK_BYTES(got, exp);
	res.target = "TABLE";
	res.change_type = "DROPPED";
	res.sc_name = "t";
	result_body(4, &res, &got);
	hl_buf_reset(&exp);
	hl_buf_u32(&exp, 5);
	hl_buf_pstring(&exp, "DROPPED", 7);
	hl_buf_pstring(&exp, "TABLE", 5);
	hl_buf_pstring(&exp, "ks", 2);
	hl_buf_pstring(&exp, "t", 1);
	CHECK_BYTES(got, exp);
	{
		const char *args[2] = { "int", "text" };

		res.target = "FUNCTION";
		res.change_type = "UPDATED";
		res.sc_name = "f";
		res.nargs = 2;
		res.arg_types = args;
		result_body(5, &res, &got);
		hl_buf_reset(&exp);
		hl_buf_u32(&exp, 5);
		hl_buf_pstring(&exp, "UPDATED", 7);
		hl_buf_pstring(&exp, "FUNCTION", 8);
		hl_buf_pstring(&exp, "ks", 2);
		hl_buf_pstring(&exp, "f", 1);
		hl_buf_u16(&exp, 2);
		hl_buf_pstring(&exp, "int", 3);
		hl_buf_pstring(&exp, "text", 4);
		CHECK_BYTES(got, exp);
	}
	hl_buf_free(&got);
	hl_buf_free(&exp);
}

/* ------------------------------------------------------------ tests: ERROR encodings */

static void error_body(int ver, const hl_err *e, hl_buf *body)
{
	tp_conn *c = ready_conn(ver, NULL);
	hl_buf out, env;
	oframe f = { 0 };
	bool sc[8];

	hl_buf_init(&out);
	hl_buf_init(&env);
	tp_conn_respond_error(c, 9, e);
	drain(c, &out);
	if (ver == 5) {
		seg_decode(&out, false, &env, sc, 8);
		out_frame(&env, 0, &f);
	} else {
		out_frame(&out, 0, &f);
	}
	CHECK(f.op == TP_OP_ERROR && f.stream == 9);
	hl_buf_reset(body);
	hl_buf_put(body, f.body, f.len);
	hl_buf_free(&out);
	hl_buf_free(&env);
	tp_conn_free(c);
}

static void exp_head(hl_buf *b, int code, const char *msg)
{
	hl_buf_reset(b);
	hl_buf_u32(b, (uint32_t)code);
	hl_buf_pstring(b, msg, strlen(msg));
}

static void test_errors(void)
{
	hl_buf got, exp;
	hl_err e;

	hl_buf_init(&got);
	hl_buf_init(&exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_SYNTAX, "line 1:0 no viable alternative");
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_SYNTAX, "line 1:0 no viable alternative");
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_UNAVAILABLE, "Cannot achieve consistency level QUORUM");
	e.cl = QRY_CL_QUORUM;
	e.required = 2;
	e.alive = 1;
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_UNAVAILABLE, e.msg);
	hl_buf_u16(&exp, QRY_CL_QUORUM);
	hl_buf_u32(&exp, 2);
	hl_buf_u32(&exp, 1);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_WRITE_TIMEOUT, "wt");
	e.cl = QRY_CL_ONE;
	e.received = 0;
	e.blockfor = 1;
	strcpy(e.write_type, "BATCH_LOG");
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_WRITE_TIMEOUT, "wt");
	hl_buf_u16(&exp, 1);
	hl_buf_u32(&exp, 0);
	hl_buf_u32(&exp, 1);
	hl_buf_pstring(&exp, "BATCH_LOG", 9);
	CHECK_BYTES(got, exp);
	/* v5 CAS adds the contention count; unknown write types become SIMPLE */
	strcpy(e.write_type, "CAS");
	error_body(5, &e, &got);
	exp_head(&exp, HL_ERR_WRITE_TIMEOUT, "wt");
	hl_buf_u16(&exp, 1);
	hl_buf_u32(&exp, 0);
	hl_buf_u32(&exp, 1);
	hl_buf_pstring(&exp, "CAS", 3);
	hl_buf_u16(&exp, 0);
	CHECK_BYTES(got, exp);
	strcpy(e.write_type, "BOGUS");
	error_body(4, &e, &got);
	CHECK(got.len >= 8 && memcmp(got.p + got.len - 8, "\0\6SIMPLE", 8) == 0);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_READ_TIMEOUT, "rt");
	e.cl = QRY_CL_LOCAL_QUORUM;
	e.received = 1;
	e.blockfor = 2;
	e.data_present = true;
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_READ_TIMEOUT, "rt");
	hl_buf_u16(&exp, QRY_CL_LOCAL_QUORUM);
	hl_buf_u32(&exp, 1);
	hl_buf_u32(&exp, 2);
	hl_buf_u8(&exp, 1);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_READ_FAILURE, "rf");
	e.cl = QRY_CL_ONE;
	e.received = 0;
	e.blockfor = 1;
	e.failures = 1;
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_READ_FAILURE, "rf");
	hl_buf_u16(&exp, 1);
	hl_buf_u32(&exp, 0);
	hl_buf_u32(&exp, 1);
	hl_buf_u32(&exp, 1);      /* v4: failure count */
	hl_buf_u8(&exp, 0);
	CHECK_BYTES(got, exp);
	error_body(5, &e, &got);
	exp_head(&exp, HL_ERR_READ_FAILURE, "rf");
	hl_buf_u16(&exp, 1);
	hl_buf_u32(&exp, 0);
	hl_buf_u32(&exp, 1);
	hl_buf_u32(&exp, 0);      /* v5: reason map (empty) */
	hl_buf_u8(&exp, 0);
	CHECK_BYTES(got, exp);
	error_body(3, &e, &got);  /* v3: sent as a read timeout */
	exp_head(&exp, HL_ERR_READ_TIMEOUT, "rf");
	hl_buf_u16(&exp, 1);
	hl_buf_u32(&exp, 0);
	hl_buf_u32(&exp, 1);
	hl_buf_u8(&exp, 0);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_WRITE_FAILURE, "wf");
	e.cl = QRY_CL_ALL;
	e.received = 2;
	e.blockfor = 3;
	e.failures = 1;
	strcpy(e.write_type, "SIMPLE");
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_WRITE_FAILURE, "wf");
	hl_buf_u16(&exp, QRY_CL_ALL);
	hl_buf_u32(&exp, 2);
	hl_buf_u32(&exp, 3);
	hl_buf_u32(&exp, 1);
	hl_buf_pstring(&exp, "SIMPLE", 6);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_FUNCTION_FAILURE, "ff");
	strcpy(e.ks, "ks");
	strcpy(e.table, "fn");
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_FUNCTION_FAILURE, "ff");
	hl_buf_pstring(&exp, "ks", 2);
	hl_buf_pstring(&exp, "fn", 2);
	hl_buf_u16(&exp, 0);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_CAS_WRITE_UNKNOWN, "cu");
	e.cl = QRY_CL_SERIAL;
	e.received = 1;
	e.blockfor = 2;
	error_body(5, &e, &got);
	exp_head(&exp, HL_ERR_CAS_WRITE_UNKNOWN, "cu");
	hl_buf_u16(&exp, QRY_CL_SERIAL);
	hl_buf_u32(&exp, 1);
	hl_buf_u32(&exp, 2);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_ALREADY_EXISTS, "Cannot add existing keyspace \"ks\"");
	strcpy(e.ks, "ks");
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_ALREADY_EXISTS, e.msg);
	hl_buf_pstring(&exp, "ks", 2);
	hl_buf_pstring(&exp, "", 0);
	CHECK_BYTES(got, exp);

	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_UNPREPARED, "Prepared query with ID 01 not found");
	e.id_len = 16;
	for (int i = 0; i < 16; i++)
		e.id[i] = (uint8_t)(0xC0 + i);
	error_body(4, &e, &got);
	exp_head(&exp, HL_ERR_UNPREPARED, e.msg);
	hl_buf_pshortbytes(&exp, e.id, 16);
	CHECK_BYTES(got, exp);

	static const int plain[] = {
		HL_ERR_SERVER, HL_ERR_PROTOCOL, HL_ERR_BAD_CREDENTIALS, HL_ERR_OVERLOADED,
		HL_ERR_IS_BOOTSTRAPPING, HL_ERR_TRUNCATE, HL_ERR_UNAUTHORIZED, HL_ERR_INVALID,
		HL_ERR_CONFIG, HL_ERR_CDC_WRITE_FAILURE,
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		hl_err_clear(&e);
		hl_errf(&e, plain[i], "m%zu", i);
		error_body(5, &e, &got);
		exp_head(&exp, plain[i], e.msg);
		CHECK_BYTES(got, exp);
	}
	hl_buf_free(&got);
	hl_buf_free(&exp);
}

/* ------------------------------------------------------------ tests: REGISTER, events, auth */

static void test_register_events(void)
{
	tp_conn *c = ready_conn(4, NULL);
	hl_arena *a = hl_arena_new(1024);
	hl_buf b, out, exp;
	tp_request rq;
	oframe f;
	qry_result sc;
	char msg[256];
	static const uint8_t addr[4] = { 127, 0, 0, 1 };

	hl_buf_init(&b);
	hl_buf_init(&out);
	hl_buf_init(&exp);
	memset(&sc, 0, sizeof(sc));
	sc.kind = QRY_RESULT_SCHEMA_CHANGE;
	sc.change_type = "CREATED";
	sc.target = "TABLE";
	sc.sc_keyspace = "ks";
	sc.sc_name = "t";
	CHECK(!tp_conn_event_schema(c, &sc));   /* not registered yet */

	hl_buf_u16(&b, 2);
	hl_buf_pstring(&b, "SCHEMA_CHANGE", 13);
	hl_buf_pstring(&b, "STATUS_CHANGE", 13);
	send(c, 4, 0, 1, TP_OP_REGISTER, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_READY && f.stream == 1 && f.len == 0);
	CHECK(tp_conn_events(c) == (TP_EVENT_SCHEMA_CHANGE | TP_EVENT_STATUS_CHANGE));

	hl_buf_reset(&out);
	CHECK(tp_conn_event_schema(c, &sc));
	CHECK(tp_conn_event_status(c, "UP", addr, 4, 9042));
	CHECK(!tp_conn_event_topology(c, "NEW_NODE", addr, 4, 9042));
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_EVENT && f.stream == -1);
	hl_buf_pstring(&exp, "SCHEMA_CHANGE", 13);
	hl_buf_pstring(&exp, "CREATED", 7);
	hl_buf_pstring(&exp, "TABLE", 5);
	hl_buf_pstring(&exp, "ks", 2);
	hl_buf_pstring(&exp, "t", 1);
	CHECK(f.len == exp.len && memcmp(f.body, exp.p, exp.len) == 0);
	CHECK(out_frame(&out, 1, &f) && f.op == TP_OP_EVENT && f.stream == -1);
	hl_buf_reset(&exp);
	hl_buf_pstring(&exp, "STATUS_CHANGE", 13);
	hl_buf_pstring(&exp, "UP", 2);
	hl_buf_u8(&exp, 4);
	hl_buf_put(&exp, addr, 4);
	hl_buf_u32(&exp, 9042);
	CHECK(f.len == exp.len && memcmp(f.body, exp.p, exp.len) == 0);

	/* unknown event type */
	hl_buf_reset(&b);
	hl_buf_u16(&b, 1);
	hl_buf_pstring(&b, "FOO", 3);
	send(c, 4, 0, 2, TP_OP_REGISTER, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	hl_buf_reset(&out);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_PROTOCOL);
	CHECK_STR(msg, "Invalid value 'FOO' for Type");
	hl_buf_free(&b);
	hl_buf_free(&out);
	hl_buf_free(&exp);
	hl_arena_free(a);
	tp_conn_free(c);
}

static void test_password_auth(void)
{
	tp_conn_opts o = { .password_auth = true };
	tp_conn *c = tp_conn_new(&o);
	hl_arena *a = hl_arena_new(1024);
	hl_buf b, out;
	tp_request rq;
	oframe f;
	char msg[256];
	const char *user, *pass;
	size_t ul, pl;
	hl_err e;

	hl_buf_init(&b);
	hl_buf_init(&out);
	startup_body(&b, NULL);
	send(c, 4, 0, 1, TP_OP_STARTUP, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_AUTHENTICATE && f.stream == 1);
	CHECK(f.len == 2 + 47 && memcmp(f.body + 2, "org.apache.cassandra.auth.PasswordAuthenticator", 47) == 0);
	CHECK(!tp_conn_ready(c));

	/* nothing but SASL until authenticated */
	hl_buf_reset(&b);
	hl_buf_plongstring(&b, "SELECT 1", 8);
	hl_buf_u16(&b, 1);
	hl_buf_u8(&b, 0);
	send(c, 4, 0, 2, TP_OP_QUERY, &b);
	CHECK(tp_conn_next(c, &rq, a) == 0);
	hl_buf_reset(&out);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 2);
	err_of(&f, msg, sizeof(msg));
	CHECK_STR(msg, "Unexpected message QUERY, expecting SASL_RESPONSE");

	/* wrong password, then right */
	hl_buf_reset(&b);
	hl_buf_pbytes(&b, "\0cassandra\0wrong", 16);
	send(c, 4, 0, 3, TP_OP_AUTH_RESPONSE, &b);
	CHECK(tp_conn_next(c, &rq, a) == 1);
	CHECK(rq.opcode == TP_OP_AUTH_RESPONSE && rq.token_len == 16);
	CHECK(tp_sasl_plain(rq.token, (size_t)rq.token_len, &user, &ul, &pass, &pl) == 0);
	CHECK(ul == 9 && memcmp(user, "cassandra", 9) == 0 && pl == 5 && memcmp(pass, "wrong", 5) == 0);
	hl_err_clear(&e);
	hl_errf(&e, HL_ERR_BAD_CREDENTIALS, "Provided username cassandra and/or password are incorrect");
	tp_conn_respond_error(c, 3, &e);
	CHECK(!tp_conn_ready(c));
	send(c, 4, 0, 4, TP_OP_AUTH_RESPONSE, &b);
	CHECK(tp_conn_next(c, &rq, a) == 1);
	tp_conn_auth_success(c, 4, NULL, 0);
	CHECK(tp_conn_ready(c));
	hl_buf_reset(&out);
	drain(c, &out);
	CHECK(out_frame(&out, 0, &f) && f.op == TP_OP_ERROR && f.stream == 3);
	CHECK(err_of(&f, msg, sizeof(msg)) == HL_ERR_BAD_CREDENTIALS);
	CHECK(out_frame(&out, 1, &f) && f.op == TP_OP_AUTH_SUCCESS && f.stream == 4);
	CHECK(f.len == 4 && be32(f.body) == 0xFFFFFFFF);
	CHECK(tp_sasl_plain((const uint8_t *)"nonul", 5, &user, &ul, &pass, &pl) == -1);

	hl_buf_reset(&b);
	hl_buf_plongstring(&b, "SELECT 1", 8);
	hl_buf_u16(&b, 1);
	hl_buf_u8(&b, 0);
	send(c, 4, 0, 5, TP_OP_QUERY, &b);
	CHECK(tp_conn_next(c, &rq, a) == 1 && rq.opcode == TP_OP_QUERY);
	hl_buf_free(&b);
	hl_buf_free(&out);
	hl_arena_free(a);
	tp_conn_free(c);
}

int main(void)
{
	test_unsupported_versions();
	test_options_supported();
	test_startup_v4();
	test_startup_errors();
	test_unknown_opcode_and_direction();
	test_oversized_frame();
	test_query_decoding();
	test_execute_prepare_batch();
	test_byte_by_byte();
	test_v4_compression("lz4");
	test_v4_compression("snappy");
	test_v5_flow(false);
	test_v5_flow(true);
	test_v5_header_crc();
	test_results();
	test_errors();
	test_register_events();
	test_password_auth();
	return T_DONE();
}
