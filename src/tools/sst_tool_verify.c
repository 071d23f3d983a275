/*
 * tools/sst_tool_verify.c: `helenus sstable verify`, Cassandra's
 * sstableverify / nodetool verify for offline files. Checks, each problem
 * reported on its own stderr line and all of them run even after a
 * failure (so one run shows everything wrong):
 *   1. Digest.crc32 against the CRC32 of the whole Data.db;
 *   2. every chunk checksum: compressed chunks (CompressionInfo.db) must
 *      match their CRC and decompress; uncompressed files against CRC.db;
 *   3. structure through the reader: every partition decodes, partitions
 *      in partitioner order, Index.db keys and positions agree with
 *      Data.db, every key is in the bloom filter;
 *   4. Summary.db samples point at Index.db entries with the same key,
 *      and its first / last keys are the index's.
 * Exit status 1 when anything failed.
 */
#include "tools/sst_tool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REPORTED 20

typedef struct vctx {
	const char *name;
	int problems;
	bool quiet;
} vctx;

static void problem(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(vctx *v, const char *fmt, ...)
{
	va_list ap;

	v->problems++;
	fprintf(stderr, "Error verifying %s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void info(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void info(vctx *v, const char *fmt, ...)
{
	va_list ap;

	if (v->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_digest(vctx *v, const sstt_path *p)
{
	char path[4600];
	uint8_t *dig = NULL, *buf = NULL;
	size_t dlen, len, i = 0;
	unsigned long long want = 0;
	uint32_t crc;
	hl_err err;

	snprintf(path, sizeof path, "%sDigest.crc32", p->prefix);
	if (access(path, F_OK) != 0) {
		info(v, "No Digest.crc32 for %s: whole-file digest not checked", v->name);
		return;
	}
	if (sstt_slurp(path, &dig, &dlen, &err)) {
		problem(v, "%s", err.msg);
		return;
	}
	while (i < dlen && dig[i] >= '0' && dig[i] <= '9' && want <= 0xFFFFFFFFULL)
		want = want * 10 + (unsigned)(dig[i++] - '0');
	while (i < dlen && (dig[i] == '\n' || dig[i] == '\r' || dig[i] == ' '))
		i++;
	if (i == 0 || i != dlen || want > 0xFFFFFFFFULL) {
		problem(v, "Corrupted: %s is not a decimal CRC32", path);
		goto exit;
	}
	snprintf(path, sizeof path, "%sData.db", p->prefix);
	if (sstt_slurp(path, &buf, &len, &err)) {
		problem(v, "%s", err.msg);
		goto exit;
	}
	crc = hl_crc32(0, buf, len);
	if (crc != (uint32_t)want)
		problem(v, "Corrupted: %s does not match Digest.crc32 (computed CRC32 %u, digest %llu)", path,
			crc, want);
	else
		info(v, "Checked the digest of %s (CRC32 %u)", path, crc);
exit:
	free(dig);
	free(buf);
}

static void check_chunks(vctx *v, const sstt_path *p)
{
	sstt_data d;
	hl_err err;
	int bad = 0;

	if (sstt_data_open(p, &d, &err)) {
		problem(v, "%s", err.msg);
		return;
	}
	if (d.comp != SSTT_C_NONE) {
		for (uint64_t i = 0; i < d.nchunks; i++) {
			if (sstt_data_check_chunk(&d, i, &err) == 0)
				continue;
			if (++bad <= MAX_REPORTED)
				problem(v, "Corrupted: %s", err.msg);
		}
		if (!bad)
			info(v, "Checked %llu compressed chunks (%s)", (unsigned long long)d.nchunks,
			     d.compressor);
	} else {
		char path[4600];
		uint8_t *crcs = NULL, *chunk = NULL;
		size_t clen;

		snprintf(path, sizeof path, "%sCRC.db", p->prefix);
		if (access(path, F_OK) != 0) {
			info(v, "No CRC.db for %s: chunk checksums not checked", v->name);
		} else if (sstt_slurp(path, &crcs, &clen, &err)) {
			problem(v, "%s", err.msg);
		} else {
			uint32_t csize = clen >= 4 ? (uint32_t)crcs[0] << 24 | (uint32_t)crcs[1] << 16 |
							     (uint32_t)crcs[2] << 8 | crcs[3]
						   : 0;
			uint64_t n = csize ? (d.file_len + csize - 1) / csize : 0;

			if (clen < 4 || csize == 0 || csize > (64u << 20) || (clen - 4) % 4 ||
			    (clen - 4) / 4 != n) {
				problem(v, "Corrupted: %s is malformed or does not cover Data.db (%zu bytes for "
					"%llu data bytes)", path, clen, (unsigned long long)d.file_len);
			} else {
				chunk = hl_malloc(csize);
				for (uint64_t i = 0; i < n; i++) {
					size_t len = d.file_len - i * csize < csize ? (size_t)(d.file_len - i * csize)
										    : csize;
					const uint8_t *q = crcs + 4 + 4 * i;
					uint32_t want = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
							(uint32_t)q[2] << 8 | q[3];
					ssize_t k = pread(d.fd, chunk, len, (off_t)(i * csize));

					if (k != (ssize_t)len) {
						problem(v, "Data.db: short read in chunk %llu", (unsigned long long)i);
						break;
					}
					if (hl_crc32(0, chunk, len) != want && ++bad <= MAX_REPORTED)
						problem(v, "Corrupted: Data.db chunk %llu at offset %llu does not match "
							"CRC.db", (unsigned long long)i,
							(unsigned long long)(i * csize));
				}
				if (!bad)
					info(v, "Checked %llu chunks against CRC.db", (unsigned long long)n);
				free(chunk);
			}
			free(crcs);
		}
	}
	if (bad > MAX_REPORTED)
		problem(v, "Corrupted: %d more bad chunks not listed", bad - MAX_REPORTED);
	sstt_data_close(&d);
}

static bool same_key(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static void check_summary(vctx *v, const sstt_path *p, const sstt_index *ix)
{
	char path[4600];
	sstt_summary s;
	hl_err err;
	int64_t j = 0;

	snprintf(path, sizeof path, "%sSummary.db", p->prefix);
	if (access(path, F_OK) != 0) {
		info(v, "No Summary.db for %s (Cassandra rebuilds it from Index.db)", v->name);
		return;
	}
	if (sstt_summary_load(path, &s, &err)) {
		problem(v, "Corrupted: %s", err.msg);
		return;
	}
	for (int32_t i = 0; i < s.count; i++) {
		while (j < ix->n && (int64_t)ix->e[j].off < s.e[i].index_pos)
			j++;
		if (j >= ix->n || (int64_t)ix->e[j].off != s.e[i].index_pos) {
			problem(v, "Corrupted: Summary.db entry %d points at Index.db offset %lld, which is "
				"not an entry", i, (long long)s.e[i].index_pos);
			break;
		}
		if (!same_key(s.e[i].key, s.e[i].keylen, ix->e[j].key, ix->e[j].keylen)) {
			problem(v, "Corrupted: Summary.db entry %d's key differs from Index.db's at offset %lld",
				i, (long long)s.e[i].index_pos);
			break;
		}
	}
	if (ix->n > 0 && (!same_key(s.first.p, s.first.len, ix->e[0].key, ix->e[0].keylen) ||
			  !same_key(s.last.p, s.last.len, ix->e[ix->n - 1].key, ix->e[ix->n - 1].keylen)))
		problem(v, "Corrupted: Summary.db first/last keys differ from Index.db's");
	else
		info(v, "Checked %d Summary.db samples", s.count);
	sstt_summary_free(&s);
}

static void check_structure(vctx *v, const sstt_path *p, int64_t *nparts)
{
	sst_reader *r = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(65536);
	sstt_index ix;
	bool have_ix = false;
	char ipath[4600];
	int64_t n = 0;
	int bloom_bad = 0;

	memset(&err, 0, sizeof err);
	snprintf(ipath, sizeof ipath, "%sIndex.db", p->prefix);
	if (sstt_index_load(ipath, &ix, &err))
		problem(v, "Corrupted: %s", err.msg);
	else
		have_ix = true;
	/* chunk CRCs were checked above, each bad one reported: read past them */
	if (sstt_open(p, true, &r, &err)) {
		problem(v, "Corrupted: %s", err.msg);
		goto exit;
	}
	for (;;) {
		st_mutation *m;
		int got;

		hl_arena_reset(a);
		got = sst_next_partition(r, a, &m, &err);
		if (got < 0) {
			problem(v, "Corrupted: %s (after %lld good partitions)", err.msg, (long long)n);
			break;
		}
		if (got == 0)
			break;
		if (!sst_may_contain(r, m->key, m->keylen) && ++bloom_bad <= MAX_REPORTED) {
			hl_buf h;

			hl_buf_init(&h);
			sstt_hex(m->key, m->keylen, &h);
			problem(v, "Corrupted: partition key 0x%.*s (partition %lld) is not in the bloom filter",
				(int)h.len, (const char *)h.p, (long long)n);
			hl_buf_free(&h);
		}
		n++;
	}
	if (bloom_bad > MAX_REPORTED)
		problem(v, "%d more keys missing from the bloom filter", bloom_bad - MAX_REPORTED);
	if (have_ix && n != ix.n && v->problems == 0)
		problem(v, "Corrupted: Index.db has %lld entries but %lld partitions were read",
			(long long)ix.n, (long long)n);
	if (have_ix)
		check_summary(v, p, &ix);
	*nparts = n;
exit:
	if (r)
		sst_close(r);
	if (have_ix)
		sstt_index_free(&ix);
	hl_arena_free(a);
}

static int verify_one(const char *file, bool quiet)
{
	sstt_path p;
	hl_err err;
	vctx v = { .name = file, .quiet = quiet };
	struct stat sb;
	int64_t nparts = 0;

	if (stat(file, &sb) != 0) {
		fprintf(stderr, "Error verifying %s: cannot find file (%s)\n", file, strerror(errno));
		return 1;
	}
	if (sstt_split_path(file, &p, &err)) {
		problem(&v, "%s", err.msg);
		return 1;
	}
	{
		char data[4600];
		struct stat ds;

		snprintf(data, sizeof data, "%sData.db", p.prefix);
		info(&v, "Verifying %s (%lld bytes)", data,
		     stat(data, &ds) == 0 ? (long long)ds.st_size : -1LL);
	}
	check_digest(&v, &p);
	check_chunks(&v, &p);
	check_structure(&v, &p, &nparts);
	if (v.problems) {
		fprintf(stderr, "Verify of %s failed: %d problem%s found\n", file, v.problems,
			v.problems == 1 ? "" : "s");
		return 1;
	}
	info(&v, "Verify of %s succeeded. All %lld partitions read successfully", file, (long long)nparts);
	return 0;
}

int sstt_verify(int argc, char **argv)
{
	bool quiet = false;
	int nfiles = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			sstt_help("verify", stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return sstt_usage_error("verify", "unrecognized option: %s", argv[i]);
		else
			nfiles++;
	}
	if (!nfiles)
		return sstt_usage_error("verify", "you must supply at least one sstable");
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		if (verify_one(argv[i], quiet))
			rc = 1;
		fflush(stdout);
	}
	return rc;
}
