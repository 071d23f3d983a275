/*
 * libFuzzer target for commit log replay: the input becomes a segment file
 * in a private temporary directory and is replayed. Raw bytes rarely get
 * past the CRCs, so one mode frames the input with valid header and entry
 * CRCs to drive the payload decoder too. Every decoded mutation is
 * re-encoded and decoded again: the second encoding must equal the first
 * (the codec is stable). Everything is freed per input, so leaks show up.
 *
 * Input layout: byte 0 selects the mode.
 *   even: the rest is the segment file as is (named after the id in its
 *         header when the header is long enough, so the id check passes).
 *   odd:  the rest is a list of [u16 len][len bytes] payloads, framed into a
 *         valid segment (header, length CRC, payload CRC); byte 0 bit 1
 *         also cuts the last entry short (a torn tail); byte 0 bit 2 makes
 *         it a segment of the current format version (2), else version 1
 *         (the older cell encoding, still replayed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commitlog/cl_int.h"

static char dir[64];

static void remove_dir(void)
{
	rmdir(dir);
}

static int check_entry(void *ctx, const hl_uuid *table, const st_mutation *m, cl_pos pos,
		       hl_err *err)
{
	hl_buf a, b;
	hl_arena *ar = hl_arena_new(4096);
	st_mutation *m2 = NULL;
	hl_uuid t2;

	hl_buf_init(&a);
	hl_buf_init(&b);
	cl_mutation_encode(&a, table, m);
	if (cl_mutation_decode(a.p, a.len, ar, &t2, &m2, err) != 0)
		abort();
	cl_mutation_encode(&b, &t2, m2);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
	hl_buf_free(&a);
	hl_buf_free(&b);
	hl_arena_free(ar);
	(*(int *)ctx)++;
	return 0;
}

static void put_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_buf file;
	uint64_t id = 1;
	char *path;
	hl_err err;
	int count = 0;

	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/hl-fuzz-cl-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
		hl_log_set_level(HL_LOG_ERROR + 1);
	}
	if (size < 1)
		return 0;
	hl_buf_init(&file);
	if (!(data[0] & 1)) {
		hl_buf_put(&file, data + 1, size - 1);
		if (file.len >= CL_HDR_SIZE) {
			id = 0;
			for (int i = 12; i < 20; i++)
				id = id << 8 | file.p[i];
		}
	} else {
		cl_hdr h = { (data[0] & 4) ? CL_VERSION : 1, 0, 7, 7 };
		hl_rd r;
		size_t last = 0;

		id = 7;
		cl__hdr_encode(&file, &h);
		hl_rd_init(&r, data + 1, size - 1);
		for (;;) {
			uint16_t len;
			const uint8_t *p;

			if (hl_rd_u16(&r, &len) || len == 0 || hl_rd_raw(&r, len, &p))
				break;
			last = file.len;
			hl_buf_u32(&file, len);
			hl_buf_u32(&file, cl__len_crc(h.version, id, len));
			hl_buf_put(&file, p, len);
			hl_buf_u32(&file, cl__entry_crc(h.version, p, len));
		}
		if ((data[0] & 2) && last)
			file.len = last + (file.len - last) / 2;
	}
	path = cl__seg_path(dir, 0, id);
	put_file(path, file.p, file.len);
	hl_err_clear(&err);
	/* a single file is the last of its run: damage is a warning, never an
	 * error, so a failure here is a bug */
	if (cl_replay(dir, 0, false, check_entry, &count, &err) != 0)
		abort();
	unlink(path);
	free(path);
	hl_buf_free(&file);
	return 0;
}
