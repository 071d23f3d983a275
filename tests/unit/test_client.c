/*
 * Unit tests for src/client: request encoders (frame header, v5 segments,
 * QUERY parameters) and the decoders of what a server sends (segments,
 * RESULT and ERROR bodies), against hand-built byte strings. Every decoder
 * is also fed each truncation of its input, which must fail cleanly.
 */
#include "client/client.h"
#include "t.h"

#include <stdlib.h>

static void put_str(hl_buf *b, const char *s)
{
	hl_buf_pstring(b, s, strlen(s));
}

static void test_frame(void)
{
	hl_buf b;
	const uint8_t body[] = { 1, 2, 3 };
	const uint8_t want[] = { 0x05, 0x00, 0x01, 0x02, 0x07, 0x00, 0x00, 0x00, 0x03, 1, 2, 3 };

	hl_buf_init(&b);
	cli_frame_encode(&b, 5, 0x0102, CLI_OP_QUERY, body, 3);
	CHECK(b.len == sizeof want && !memcmp(b.p, want, sizeof want));
	hl_buf_reset(&b);
	cli_frame_encode(&b, 4, -1, CLI_OP_OPTIONS, NULL, 0);
	CHECK(b.len == 9 && b.p[0] == 4 && b.p[2] == 0xFF && b.p[3] == 0xFF && b.p[4] == 5);
	hl_buf_free(&b);
}

static void test_segments(void)
{
	hl_buf b, big;
	const uint8_t *pl;
	size_t used, plen;
	bool self;
	hl_err err;
	const uint8_t msg[] = "hello segment";

	hl_buf_init(&b);
	cli_segments_encode(&b, msg, sizeof msg);
	CHECK(b.len == 6 + sizeof msg + 4);
	/* header: 17-bit length, bit 17 self-contained, little-endian */
	CHECK(b.p[0] == sizeof msg && b.p[1] == 0 && b.p[2] == 0x02);
	CHECK(cli_segment_decode(b.p, b.len, &used, &pl, &plen, &self, &err) == 1);
	CHECK(used == b.len && plen == sizeof msg && self && !memcmp(pl, msg, plen));
	/* incomplete input asks for more */
	for (size_t n = 0; n < b.len; n++)
		CHECK(cli_segment_decode(b.p, n, &used, &pl, &plen, &self, &err) == 0);
	/* a flipped payload bit fails the CRC32; a flipped header bit the CRC24 */
	b.p[8] ^= 1;
	CHECK(cli_segment_decode(b.p, b.len, &used, &pl, &plen, &self, &err) == -1);
	CHECK(err.code == CLI_ERR_MALFORMED);
	b.p[8] ^= 1;
	b.p[1] ^= 0x10;
	CHECK(cli_segment_decode(b.p, b.len, &used, &pl, &plen, &self, &err) == -1);
	hl_buf_free(&b);

	/* more than 128 KiB is cut into non-self-contained segments */
	hl_buf_init(&big);
	hl_buf_init(&b);
	for (int i = 0; i < 300000; i++)
		hl_buf_u8(&big, (uint8_t)(i * 7));
	cli_segments_encode(&b, big.p, big.len);
	{
		size_t off = 0, total = 0;
		int count = 0;
		bool ok = true;

		while (off < b.len) {
			if (cli_segment_decode(b.p + off, b.len - off, &used, &pl, &plen, &self, &err) != 1) {
				ok = false;
				break;
			}
			ok = ok && !self && !memcmp(pl, big.p + total, plen);
			total += plen;
			off += used;
			count++;
		}
		CHECK(ok);
		CHECK(count == 3 && total == big.len);
	}
	hl_buf_free(&b);
	hl_buf_free(&big);
}

static void test_query_encoding(void)
{
	hl_buf b;
	cli_qopts q;
	const uint8_t state[] = { 0xAA, 0xBB };

	hl_buf_init(&b);
	cli_qopts_init(&q);
	cli_encode_query(&b, 4, "SELECT 1", 8, &q);
	/* [long string] query, [short] ONE, [byte] flags 0 */
	{
		const uint8_t want[] = { 0, 0, 0, 8, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0, 1, 0 };

		CHECK(b.len == sizeof want && !memcmp(b.p, want, sizeof want));
	}
	hl_buf_reset(&b);
	q.consistency = CLI_CL_QUORUM;
	q.page_size = 100;
	q.paging_state = state;
	q.paging_len = 2;
	q.serial_consistency = CLI_CL_SERIAL;
	q.keyspace = "ks";
	cli_encode_query(&b, 5, "x", 1, &q);
	{
		/* v5: [int] flags = page size 0x04 | paging state 0x08 | serial 0x10 | keyspace 0x80 */
		const uint8_t want[] = { 0, 0, 0, 1, 'x', 0, 4, 0, 0, 0, 0x9C, 0, 0, 0, 100,
					 0, 0, 0, 2, 0xAA, 0xBB, 0, 8, 0, 2, 'k', 's' };

		CHECK(b.len == sizeof want && !memcmp(b.p, want, sizeof want));
	}
	hl_buf_free(&b);
	CHECK_STR(cli_cl_name(CLI_CL_LOCAL_QUORUM), "LOCAL_QUORUM");
	CHECK(cli_cl_parse("local_one") == CLI_CL_LOCAL_ONE);
	CHECK(cli_cl_parse("nope") == -1);
	CHECK(cli_cl_name(99) == NULL);
}

/* Every strict prefix of a valid body must be refused without a crash. */
static void check_truncations(int version, const hl_buf *b)
{
	int refused = 0;

	for (size_t n = 0; n < b->len; n++) {
		cli_result *r = NULL;
		hl_err err;

		if (cli_decode_result(version, b->p, n, &r, &err) == -1 && err.code == CLI_ERR_MALFORMED)
			refused++;
		else
			cli_result_free(r);
	}
	CHECK_EQ_I64(refused, b->len);
}

static void test_rows(void)
{
	hl_buf b;
	cli_result *r;
	hl_err err;
	hl_arena *a = hl_arena_new(1024);

	hl_buf_init(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0001 | 0x0002);   /* global spec, has more pages */
	hl_buf_u32(&b, 3);
	hl_buf_pbytes(&b, "\x01\x02\x03", 3);
	put_str(&b, "ks");
	put_str(&b, "t");
	put_str(&b, "k");
	hl_buf_u16(&b, TY_INT);
	put_str(&b, "v");
	hl_buf_u16(&b, TY_TEXT);
	put_str(&b, "m");
	ty_encode_option(ty_map(a, ty_simple(TY_TEXT), ty_simple(TY_INT), false), &b);
	hl_buf_u32(&b, 2);
	/* row 1 */
	hl_buf_pbytes(&b, "\x00\x00\x00\x07", 4);
	hl_buf_pbytes(&b, "abc", 3);
	hl_buf_pbytes(&b, NULL, -1);
	/* row 2 */
	hl_buf_pbytes(&b, "\x00\x00\x00\x08", 4);
	hl_buf_pbytes(&b, "", 0);
	hl_buf_pbytes(&b, "\x00\x00\x00\x00", 4);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == 0);
	CHECK(r->kind == CLI_RES_ROWS && r->ncols == 3 && r->nrows == 2);
	CHECK_STR(r->cols[0].ks, "ks");
	CHECK_STR(r->cols[2].table, "t");
	CHECK_STR(r->cols[1].name, "v");
	CHECK(r->cols[0].type->kind == TY_INT && r->cols[2].type->kind == TY_MAP);
	CHECK(r->cols[2].type->sub[1]->kind == TY_INT);
	CHECK(r->has_more && r->paging_len == 3 && !memcmp(r->paging_state, "\x01\x02\x03", 3));
	CHECK(cli_cell_at(r, 0, 1)->n == 3 && !memcmp(cli_cell_at(r, 0, 1)->p, "abc", 3));
	CHECK(cli_cell_at(r, 0, 2)->n == -1);
	CHECK(cli_cell_at(r, 1, 1)->n == 0);
	CHECK(cli_cell_at(r, 1, 0)->n == 4 && cli_cell_at(r, 1, 0)->p[3] == 8);
	cli_result_free(r);
	check_truncations(4, &b);

	/* per-column specs, no global spec, v5 METADATA_CHANGED */
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0008);
	hl_buf_u32(&b, 1);
	hl_buf_pshortbytes(&b, "\x09\x09", 2);
	put_str(&b, "system");
	put_str(&b, "local");
	put_str(&b, "key");
	hl_buf_u16(&b, TY_TEXT);
	hl_buf_u32(&b, 0);
	CHECK(cli_decode_result(5, b.p, b.len, &r, &err) == 0);
	CHECK(r->nrows == 0 && r->ncols == 1 && !r->has_more);
	CHECK_STR(r->cols[0].ks, "system");
	CHECK(r->new_metadata_id_len == 2);
	cli_result_free(r);
	check_truncations(5, &b);

	/* counts larger than the body are refused before any allocation */
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0001);
	hl_buf_u32(&b, 0x7FFFFFFF);
	put_str(&b, "ks");
	put_str(&b, "t");
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == -1 && err.code == CLI_ERR_MALFORMED);
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0004);   /* no metadata */
	hl_buf_u32(&b, 1);
	hl_buf_u32(&b, 0x7FFFFFFF);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == -1);
	/* negative lengths other than null are malformed */
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0004);
	hl_buf_u32(&b, 1);
	hl_buf_u32(&b, 1);
	hl_buf_u32(&b, (uint32_t)-7);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == -1);
	/* unknown type id */
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_ROWS);
	hl_buf_u32(&b, 0x0001);
	hl_buf_u32(&b, 1);
	put_str(&b, "ks");
	put_str(&b, "t");
	put_str(&b, "c");
	hl_buf_u16(&b, 0x0077);
	hl_buf_u32(&b, 0);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == -1 && err.code == CLI_ERR_MALFORMED);
	/* unknown result kind */
	hl_buf_reset(&b);
	hl_buf_u32(&b, 42);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == -1);
	hl_buf_free(&b);
	hl_arena_free(a);
}

static void test_other_results(void)
{
	hl_buf b;
	cli_result *r;
	hl_err err;

	hl_buf_init(&b);
	hl_buf_u32(&b, CLI_RES_VOID);
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == 0 && r->kind == CLI_RES_VOID);
	cli_result_free(r);

	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_SET_KEYSPACE);
	put_str(&b, "MyKs");
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == 0);
	CHECK_STR(r->keyspace, "MyKs");
	cli_result_free(r);
	check_truncations(4, &b);

	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_SCHEMA_CHANGE);
	put_str(&b, "CREATED");
	put_str(&b, "TABLE");
	put_str(&b, "ks");
	put_str(&b, "t");
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == 0);
	CHECK_STR(r->change_type, "CREATED");
	CHECK_STR(r->target, "TABLE");
	CHECK_STR(r->keyspace, "ks");
	CHECK_STR(r->name, "t");
	cli_result_free(r);
	check_truncations(4, &b);

	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_SCHEMA_CHANGE);
	put_str(&b, "DROPPED");
	put_str(&b, "FUNCTION");
	put_str(&b, "ks");
	put_str(&b, "f");
	hl_buf_u16(&b, 2);
	put_str(&b, "int");
	put_str(&b, "text");
	CHECK(cli_decode_result(4, b.p, b.len, &r, &err) == 0);
	CHECK(r->nargs == 2);
	CHECK_STR(r->args[1], "text");
	cli_result_free(r);
	check_truncations(4, &b);

	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_SCHEMA_CHANGE);
	put_str(&b, "UPDATED");
	put_str(&b, "KEYSPACE");
	put_str(&b, "ks");
	CHECK(cli_decode_result(5, b.p, b.len, &r, &err) == 0 && r->name == NULL);
	cli_result_free(r);

	/* PREPARED, v5: id, result_metadata_id, bind metadata with pk indexes, result metadata */
	hl_buf_reset(&b);
	hl_buf_u32(&b, CLI_RES_PREPARED);
	hl_buf_pshortbytes(&b, "0123456789abcdef", 16);
	hl_buf_pshortbytes(&b, "md", 2);
	hl_buf_u32(&b, 0x0001);
	hl_buf_u32(&b, 2);
	hl_buf_u32(&b, 1);
	hl_buf_u16(&b, 0);
	put_str(&b, "ks");
	put_str(&b, "t");
	put_str(&b, "k");
	hl_buf_u16(&b, TY_INT);
	put_str(&b, "v");
	hl_buf_u16(&b, TY_TEXT);
	hl_buf_u32(&b, 0x0004);
	hl_buf_u32(&b, 0);
	CHECK(cli_decode_result(5, b.p, b.len, &r, &err) == 0);
	CHECK(r->kind == CLI_RES_PREPARED && r->id_len == 16 && !memcmp(r->id, "0123", 4));
	CHECK(r->result_metadata_id_len == 2 && r->nbind == 2 && r->npk == 1 && r->pk[0] == 0);
	CHECK_STR(r->bind[1].name, "v");
	CHECK(r->bind[1].type->kind == TY_TEXT && r->ncols == 0 && r->cols == NULL);
	cli_result_free(r);
	check_truncations(5, &b);
	hl_buf_free(&b);
}

static void test_errors(void)
{
	hl_buf b;
	hl_err err;

	hl_buf_init(&b);
	hl_buf_u32(&b, HL_ERR_INVALID);
	put_str(&b, "unconfigured table x");
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0);
	CHECK(err.code == HL_ERR_INVALID);
	CHECK_STR(err.msg, "unconfigured table x");

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_ALREADY_EXISTS);
	put_str(&b, "exists");
	put_str(&b, "ks");
	put_str(&b, "t");
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0);
	CHECK_STR(err.ks, "ks");
	CHECK_STR(err.table, "t");

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_UNAVAILABLE);
	put_str(&b, "down");
	hl_buf_u16(&b, CLI_CL_QUORUM);
	hl_buf_u32(&b, 2);
	hl_buf_u32(&b, 1);
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0);
	CHECK(err.cl == CLI_CL_QUORUM && err.required == 2 && err.alive == 1);

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_WRITE_TIMEOUT);
	put_str(&b, "slow");
	hl_buf_u16(&b, CLI_CL_ONE);
	hl_buf_u32(&b, 0);
	hl_buf_u32(&b, 1);
	put_str(&b, "SIMPLE");
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0);
	CHECK(err.received == 0 && err.blockfor == 1);
	CHECK_STR(err.write_type, "SIMPLE");

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_READ_TIMEOUT);
	put_str(&b, "slow");
	hl_buf_u16(&b, CLI_CL_ONE);
	hl_buf_u32(&b, 0);
	hl_buf_u32(&b, 1);
	hl_buf_u8(&b, 1);
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0 && err.data_present);

	/* v5 ReadFailure: a reason map (inet, code) instead of a count */
	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_READ_FAILURE);
	put_str(&b, "failed");
	hl_buf_u16(&b, CLI_CL_ONE);
	hl_buf_u32(&b, 0);
	hl_buf_u32(&b, 1);
	hl_buf_u32(&b, 1);
	hl_buf_u8(&b, 4);
	hl_buf_put(&b, "\x7f\x00\x00\x01", 4);
	hl_buf_u16(&b, 0x0001);
	hl_buf_u8(&b, 0);
	CHECK(cli_decode_error(5, b.p, b.len, &err) == 0 && err.failures == 1 && !err.data_present);
	/* the same bytes read as v4 leave the map unread: the count is 1, then garbage */
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0 && err.failures == 1);

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_UNPREPARED);
	put_str(&b, "unknown id");
	hl_buf_pshortbytes(&b, "\x01\x02\x03\x04", 4);
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0 && err.id_len == 4 && err.id[3] == 4);

	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_FUNCTION_FAILURE);
	put_str(&b, "boom");
	put_str(&b, "ks");
	put_str(&b, "fn");
	hl_buf_u16(&b, 1);
	put_str(&b, "int");
	CHECK(cli_decode_error(4, b.p, b.len, &err) == 0);
	CHECK_STR(err.table, "fn");

	/* missing extras: refused, but the code and message survive in the text */
	hl_buf_reset(&b);
	hl_buf_u32(&b, HL_ERR_UNAVAILABLE);
	put_str(&b, "down");
	hl_buf_u16(&b, 1);
	CHECK(cli_decode_error(4, b.p, b.len, &err) == -1 && err.code == CLI_ERR_MALFORMED);
	CHECK(strstr(err.msg, "down") != NULL);
	for (size_t n = 0; n < 6; n++)
		CHECK(cli_decode_error(4, b.p, n, &err) == -1);
	hl_buf_free(&b);
}

/* Random bytes through every decoder: only clean failures or successes. */
static void test_garbage(void)
{
	uint8_t buf[256];
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof buf);
		cli_result *r;
		hl_err err;
		const uint8_t *pl;
		size_t used, plen;
		bool self;

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		/* bias the kind so the interesting decoders run */
		if (n >= 4) {
			buf[0] = buf[1] = buf[2] = 0;
			buf[3] = (uint8_t)(1 + rand_r(&seed) % 5);
		}
		if (cli_decode_result(1 + i % 5, buf, n, &r, &err) == 0)
			cli_result_free(r);
		cli_decode_error(4 + i % 2, buf, n, &err);
		cli_segment_decode(buf, n, &used, &pl, &plen, &self, &err);
	}
	CHECK(1);
}

int main(void)
{
	test_frame();
	test_segments();
	test_query_encoding();
	test_rows();
	test_other_results();
	test_errors();
	test_garbage();
	return T_DONE();
}
