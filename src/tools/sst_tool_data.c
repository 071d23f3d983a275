/*
 * tools/sst_tool_data.c: the tools' own low-level access to an sstable's
 * files, for what the reader module keeps private: uncompressed Data.db
 * bytes at any offset (CompressionInfo.db chunks: LZ4, Snappy, Deflate,
 * Zstd), per-chunk CRC checks that report every bad chunk, the positions
 * and kinds of a partition's unfiltereds (rows, static row, range
 * tombstone markers: sstabledump prints them) and Index.db framing.
 * Layouts: shared/docs/sstable-format.md sections 4, 5 and 8. All input
 * is untrusted and bounds-checked.
 */
#include "tools/sst_tool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define MAX_CHUNK (64u << 20)

static int pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int load_compression(const sstt_path *p, sstt_data *d, hl_err *err)
{
	char path[4600];
	uint8_t *buf = NULL;
	size_t len;
	hl_rd rd;
	const char *s;
	size_t n;
	int32_t nopt, chunk, count;
	uint64_t dlen;
	int rc = -1;
	bool na = strcmp(p->version, "na") >= 0;

	snprintf(path, sizeof path, "%sCompressionInfo.db", p->prefix);
	if (access(path, F_OK) != 0) {
		d->comp = SSTT_C_NONE;
		return 0;
	}
	if (sstt_slurp(path, &buf, &len, err))
		return -1;
	hl_rd_init(&rd, buf, len);
	if (hl_rd_pstring(&rd, &s, &n) || hl_rd_i32(&rd, &nopt) || nopt < 0)
		goto bad;
	snprintf(d->compressor, sizeof d->compressor, "%.*s", (int)n, s);
	for (int32_t i = 0; i < nopt; i++) {
		if (hl_rd_pstring(&rd, &s, &n) || hl_rd_pstring(&rd, &s, &n))
			goto bad;
	}
	if (hl_rd_i32(&rd, &chunk) || chunk <= 0 || (uint32_t)chunk > MAX_CHUNK)
		goto bad;
	d->chunk_len = (uint32_t)chunk;
	d->max_comp_len = 0x7FFFFFFF;
	if (na) {
		int32_t m;

		if (hl_rd_i32(&rd, &m))
			goto bad;
		if (m > 0)
			d->max_comp_len = (uint32_t)m;
	}
	if (hl_rd_u64(&rd, &dlen) || hl_rd_i32(&rd, &count) || count < 0 ||
	    (size_t)count * 8 > hl_rd_left(&rd))
		goto bad;
	d->data_len = dlen;
	d->nchunks = (uint64_t)count;
	d->offs = hl_calloc((size_t)count + 1, sizeof(*d->offs));
	for (int32_t i = 0; i < count; i++) {
		hl_rd_u64(&rd, &d->offs[i]);
		if (d->offs[i] >= d->file_len || (i > 0 && d->offs[i] <= d->offs[i - 1]))
			goto bad;
	}
	if ((dlen + d->chunk_len - 1) / d->chunk_len != (uint64_t)count)
		goto bad;
	d->offs[count] = d->file_len;
	if (strstr(d->compressor, "LZ4"))
		d->comp = SSTT_C_LZ4;
	else if (strstr(d->compressor, "Snappy"))
		d->comp = SSTT_C_SNAPPY;
	else if (strstr(d->compressor, "Deflate"))
		d->comp = SSTT_C_DEFLATE;
	else if (strstr(d->compressor, "Zstd"))
		d->comp = SSTT_C_ZSTD;
	else {
		hl_errf(err, HL_ERR_SERVER, "%s: unsupported compressor %s", path, d->compressor);
		goto exit;
	}
	rc = 0;
	goto exit;
bad:
	hl_errf(err, HL_ERR_SERVER, "%s: malformed CompressionInfo (at offset %zu)", path, rd.pos);
exit:
	free(buf);
	return rc;
}

int sstt_data_open(const sstt_path *p, sstt_data *d, hl_err *err)
{
	char path[4600];
	struct stat st;

	memset(d, 0, sizeof *d);
	d->cached = -1;
	snprintf(path, sizeof path, "%sData.db", p->prefix);
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &st) < 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot open %s: %s", path, strerror(errno));
		sstt_data_close(d);
		return -1;
	}
	d->file_len = (uint64_t)st.st_size;
	if (load_compression(p, d, err)) {
		sstt_data_close(d);
		return -1;
	}
	if (d->comp == SSTT_C_NONE) {
		d->data_len = d->file_len;
		d->chunk_len = 65536;
	}
	return 0;
}

void sstt_data_close(sstt_data *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->offs);
	free(d->cbuf);
	free(d->raw);
	d->offs = NULL;
	d->cbuf = d->raw = NULL;
}

/* Chunk i decompressed into d->cbuf; check: verify its CRC first. */
static int load_chunk(sstt_data *d, uint64_t i, bool check, hl_err *err)
{
	uint64_t off = d->offs[i], end = d->offs[i + 1];
	size_t clen, want;
	uint32_t stored, crc;

	if (d->cached == (int64_t)i && !check)
		return 0;
	d->cached = -1;
	if (end < off + 4 || end - off - 4 > MAX_CHUNK + 1024)
		return hl_errf(err, HL_ERR_SERVER, "Data.db chunk %llu at offset %llu has a bad length",
			       (unsigned long long)i, (unsigned long long)off);
	clen = (size_t)(end - off - 4);
	if (d->raw_cap < clen + 4) {
		d->raw = hl_realloc(d->raw, clen + 4);
		d->raw_cap = clen + 4;
	}
	if (pread_all(d->fd, d->raw, clen + 4, off))
		return hl_errf(err, HL_ERR_SERVER, "Data.db chunk %llu at offset %llu: short read",
			       (unsigned long long)i, (unsigned long long)off);
	if (check) {
		stored = (uint32_t)d->raw[clen] << 24 | (uint32_t)d->raw[clen + 1] << 16 |
			 (uint32_t)d->raw[clen + 2] << 8 | d->raw[clen + 3];
		crc = hl_crc32(0, d->raw, clen);
		if (crc != stored)
			return hl_errf(err, HL_ERR_SERVER,
				       "Data.db chunk %llu at offset %llu: checksum mismatch (CRC32 %08x, "
				       "stored %08x)", (unsigned long long)i, (unsigned long long)off, crc,
				       stored);
	}
	want = d->data_len - i * d->chunk_len < d->chunk_len ? (size_t)(d->data_len - i * d->chunk_len)
							       : d->chunk_len;
	if (!d->cbuf)
		d->cbuf = hl_malloc(d->chunk_len);
	if (clen >= d->max_comp_len) {
		if (clen != want)
			goto bad;
		memcpy(d->cbuf, d->raw, clen);
	} else {
		switch (d->comp) {
		case SSTT_C_LZ4: {
			int k;

			if (clen < 4)
				goto bad;
			k = LZ4_decompress_safe((const char *)d->raw + 4, (char *)d->cbuf, (int)(clen - 4),
						(int)d->chunk_len);
			if (k < 0 || (size_t)k != want)
				goto bad;
			break;
		}
		case SSTT_C_SNAPPY: {
			size_t ulen;

			if (snappy_uncompressed_length((const char *)d->raw, clen, &ulen) != SNAPPY_OK ||
			    ulen != want)
				goto bad;
			if (snappy_uncompress((const char *)d->raw, clen, (char *)d->cbuf, &ulen) != SNAPPY_OK ||
			    ulen != want)
				goto bad;
			break;
		}
		case SSTT_C_DEFLATE: {
			uLongf ulen = d->chunk_len;

			if (uncompress(d->cbuf, &ulen, d->raw, (uLong)clen) != Z_OK || ulen != want)
				goto bad;
			break;
		}
		case SSTT_C_ZSTD: {
			size_t k = ZSTD_decompress(d->cbuf, d->chunk_len, d->raw, clen);

			if (ZSTD_isError(k) || k != want)
				goto bad;
			break;
		}
		default:
			goto bad;
		}
	}
	d->cbuf_len = want;
	d->cached = (int64_t)i;
	return 0;
bad:
	return hl_errf(err, HL_ERR_SERVER, "Data.db chunk %llu at offset %llu does not decompress (%s)",
		       (unsigned long long)i, (unsigned long long)off, d->compressor);
}

int sstt_data_check_chunk(sstt_data *d, uint64_t i, hl_err *err)
{
	return load_chunk(d, i, true, err);
}

int sstt_data_read(sstt_data *d, uint64_t off, size_t len, hl_buf *out, hl_err *err)
{
	hl_buf_reset(out);
	if (off > d->data_len || len > d->data_len - off)
		return hl_errf(err, HL_ERR_SERVER,
			       "Data.db range %llu+%zu is past its end (%llu bytes)", (unsigned long long)off,
			       len, (unsigned long long)d->data_len);
	hl_buf_reserve(out, len);
	if (d->comp == SSTT_C_NONE) {
		if (pread_all(d->fd, out->p, len, off))
			return hl_errf(err, HL_ERR_SERVER, "Data.db: short read at offset %llu",
				       (unsigned long long)off);
		out->len = len;
		return 0;
	}
	while (len > 0) {
		uint64_t ci = off / d->chunk_len;
		size_t in = (size_t)(off % d->chunk_len), n;

		if (ci >= d->nchunks || load_chunk(d, ci, false, err))
			return ci >= d->nchunks ? hl_errf(err, HL_ERR_SERVER, "Data.db: offset %llu past the chunks",
							  (unsigned long long)off)
						: -1;
		if (in >= d->cbuf_len)
			return hl_errf(err, HL_ERR_SERVER, "Data.db: short chunk %llu", (unsigned long long)ci);
		n = d->cbuf_len - in < len ? d->cbuf_len - in : len;
		hl_buf_put(out, d->cbuf + in, n);
		off += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------ walking a partition */

static int skip_clustering(const sstt_layout *L, hl_rd *rd, int n)
{
	uint64_t header = 0;

	for (int i = 0; i < n; i++) {
		int j = i % 32;
		const uint8_t *p;

		if (j == 0 && hl_rd_uvint(rd, &header))
			return -1;
		if (header >> (2 * j) & 3)
			continue;   /* empty or null: nothing written */
		if (i >= L->nclust)
			return -1;
		if (L->clust_fixed[i] >= 0) {
			if (hl_rd_raw(rd, (size_t)L->clust_fixed[i], &p))
				return -1;
		} else {
			uint64_t len;

			if (hl_rd_uvint(rd, &len) || len > hl_rd_left(rd) || hl_rd_raw(rd, (size_t)len, &p))
				return -1;
		}
	}
	return 0;
}

int sstt_walk(const sstt_layout *L, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
	      sstt_unf **out, int *n, hl_err *err)
{
	hl_rd rd;
	const uint8_t *k;
	size_t kl;
	int cap = 16, cnt = 0;
	sstt_unf *u = hl_arena_alloc(a, (size_t)cap * sizeof(*u));
	uint8_t first;

	hl_rd_init(&rd, p, len);
	if (hl_rd_pshortbytes(&rd, &k, &kl))
		goto bad;
	if (L->oa && hl_rd_left(&rd) > 0 && p[rd.pos] == 0x80) {
		hl_rd_u8(&rd, &first);
	} else if (hl_rd_raw(&rd, 12, &k)) {
		goto bad;
	}
	for (;;) {
		uint8_t flags, ext = 0, kind = 0;
		uint16_t size;
		uint64_t body;
		size_t start = rd.pos;
		const uint8_t *q;
		char type;

		if (hl_rd_u8(&rd, &flags))
			goto bad;
		if (flags & 0x01)
			break;
		if (flags & 0x02) {
			if (hl_rd_u8(&rd, &kind) || kind > 7 || kind == 3 || kind == 4 ||
			    hl_rd_u16(&rd, &size) || size > L->nclust || skip_clustering(L, &rd, size))
				goto bad;
			type = 'm';
		} else {
			if ((flags & 0x80) && hl_rd_u8(&rd, &ext))
				goto bad;
			type = (ext & 0x01) ? 's' : 'r';
			if (type == 'r' && skip_clustering(L, &rd, L->nclust))
				goto bad;
		}
		if (hl_rd_uvint(&rd, &body) || body > hl_rd_left(&rd) || hl_rd_raw(&rd, (size_t)body, &q))
			goto bad;
		if (cnt == cap) {
			sstt_unf *nu = hl_arena_alloc(a, (size_t)cap * 2 * sizeof(*nu));

			memcpy(nu, u, (size_t)cnt * sizeof(*u));
			u = nu;
			cap *= 2;
		}
		u[cnt].type = type;
		u[cnt].kind = kind;
		u[cnt].pos = base + start;
		cnt++;
	}
	if (hl_rd_left(&rd) != 0)
		return hl_errf(err, HL_ERR_SERVER,
			       "Data.db: %zu bytes after the end of the partition at offset %llu",
			       hl_rd_left(&rd), (unsigned long long)base);
	*out = u;
	*n = cnt;
	return 0;
bad:
	return hl_errf(err, HL_ERR_SERVER, "Data.db: malformed partition at offset %llu (byte %llu)",
		       (unsigned long long)base, (unsigned long long)(base + rd.pos));
}

/* ------------------------------------------------------------ Index.db */

int sstt_index_load(const char *path, sstt_index *ix, hl_err *err)
{
	size_t off = 0;
	int64_t cap = 64;

	memset(ix, 0, sizeof *ix);
	if (sstt_slurp(path, &ix->buf, &ix->len, err))
		return -1;
	ix->e = hl_malloc((size_t)cap * sizeof(*ix->e));
	while (off < ix->len) {
		hl_rd rd;
		sstt_ientry e;

		hl_rd_init(&rd, ix->buf + off, ix->len - off);
		e.off = off;
		if (hl_rd_pshortbytes(&rd, &e.key, &e.keylen) || hl_rd_uvint(&rd, &e.pos) ||
		    hl_rd_uvint(&rd, &e.promoted_len) || e.promoted_len > hl_rd_left(&rd) ||
		    hl_rd_raw(&rd, (size_t)e.promoted_len, &e.promoted)) {
			hl_errf(err, HL_ERR_SERVER, "%s: truncated or malformed entry %lld at offset %zu",
				path, (long long)ix->n, off);
			sstt_index_free(ix);
			return -1;
		}
		if (ix->n == cap) {
			cap *= 2;
			ix->e = hl_realloc(ix->e, (size_t)cap * sizeof(*ix->e));
		}
		ix->e[ix->n++] = e;
		off += rd.pos;
	}
	return 0;
}

void sstt_index_free(sstt_index *ix)
{
	free(ix->buf);
	free(ix->e);
	memset(ix, 0, sizeof *ix);
}
