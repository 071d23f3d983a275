/*
 * libFuzzer target for the sstable reader. The input is a whole sstable:
 * byte 0 picks the version (ma..oa) and options, then each component comes
 * as a big-endian u16 length (0xFFFF: component absent) followed by its
 * bytes, in the order of `comps` below. The pieces are written to a
 * private temp directory, then the sstable is opened, iterated, probed by
 * point lookups and verified. Everything is freed per input, so leaks show.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sstable/sstable.h"

static const char *const comps[] = {
	"Statistics.db", "Index.db", "Data.db", "CompressionInfo.db",
	"Summary.db", "Filter.db", "CRC.db", "Digest.crc32", "TOC.txt",
};
static const char *const versions[] = { "ma", "mb", "mc", "md", "me", "na", "nb", "oa" };

/* The harness's scratch directory, made once per process. */
static char tmpdir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char base[16], path[256];
	size_t pos = 1;
	sst_opts o = { 0 };
	sst_reader *r = NULL;
	hl_arena *a;
	st_mutation *m;
	hl_err err;
	int n = 0;

	if (size < 1)
		return 0;
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/hl-fuzz-sst-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	snprintf(base, sizeof(base), "%s-1-big", versions[data[0] & 7]);
	o.allow_byte_ordered = data[0] & 0x08;
	o.skip_chunk_crc = !(data[0] & 0x10);
	for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
		size_t len;

		snprintf(path, sizeof(path), "%s/%s-%s", tmpdir, base, comps[c]);
		unlink(path);
		if (size - pos < 2)
			continue;
		len = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (len == 0xFFFF)
			continue;
		if (len > size - pos)
			len = size - pos;
		FILE *f = fopen(path, "wb");

		if (!f)
			abort();
		fwrite(data + pos, 1, len, f);
		fclose(f);
		pos += len;
	}
	hl_err_clear(&err);
	if (sst_open(tmpdir, base, NULL, &o, &r, &err) == 0) {
		a = hl_arena_new(4096);
		while (n < 10000 && sst_next_partition(r, a, &m, &err) == 1) {
			/* point reads (Index.db key scan, uncompressed: a pread of
			 * the partition's bytes alone) of the first keys seen */
			if (n++ < 8)
				sst_get_partition(r, m->key, m->keylen, m->token, a, &m, &err);
		}
		sst_get_partition(r, "0", 1, hl_token("0", 1), a, &m, &err);
		sst_get_partition(r, "\0\0\0\1", 4, hl_token("\0\0\0\1", 4), a, &m, &err);
		sst_verify(r, &err);
		hl_arena_free(a);
		sst_close(r);
	}
	for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
		snprintf(path, sizeof(path), "%s/%s-%s", tmpdir, base, comps[c]);
		unlink(path);
	}
	return 0;
}
