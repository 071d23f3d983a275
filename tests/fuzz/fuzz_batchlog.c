/*
 * libFuzzer target for batchlog entries (the files start-up replays): the
 * input is decoded as an entry. Raw bytes rarely pass the CRC, so byte 0
 * odd means "the rest with a valid trailing CRC appended", which drives the
 * header and mutation decoders. A decoded entry is re-encoded and decoded
 * again: the second encoding must equal the first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/query.h"

static void check(const uint8_t *p, size_t n)
{
	hl_arena *a = hl_arena_new(4096);
	hl_err err;
	hl_uuid id;
	int nm;
	hl_uuid *tables;
	st_mutation **muts;

	hl_err_clear(&err);
	if (qry_batchlog_decode(p, n, a, &id, &nm, &tables, &muts, &err) == 0) {
		hl_buf b1, b2;
		hl_arena *a2 = hl_arena_new(4096);
		hl_uuid id2;
		int nm2;
		hl_uuid *t2;
		st_mutation **m2;

		hl_buf_init(&b1);
		hl_buf_init(&b2);
		qry_batchlog_encode(&b1, &id, nm, tables, (const st_mutation *const *)muts);
		if (qry_batchlog_decode(b1.p, b1.len, a2, &id2, &nm2, &t2, &m2, &err) != 0 || nm2 != nm)
			abort();
		qry_batchlog_encode(&b2, &id2, nm2, t2, (const st_mutation *const *)m2);
		if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
			abort();
		hl_buf_free(&b1);
		hl_buf_free(&b2);
		hl_arena_free(a2);
	}
	hl_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		check(data + 1, size - 1);
		return 0;
	}
	hl_buf b;
	hl_buf_init(&b);
	hl_buf_put(&b, data + 1, size - 1);
	hl_buf_u32(&b, hl_crc32(0, data + 1, size - 1));
	check(b.p, b.len);
	hl_buf_free(&b);
	return 0;
}
