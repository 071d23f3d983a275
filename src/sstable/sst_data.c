/*
 * sstable/sst_data.c: the uncompressed Data.db byte stream. Compressed
 * files are read chunk by chunk (LZ4 / Snappy / Deflate, Zstd when built
 * with HL_HAVE_ZSTD), each chunk's trailing CRC32 checked before its bytes
 * are trusted; uncompressed files are read in CRC.db-sized chunks so the
 * same per-chunk check applies. One decoded chunk is cached, since
 * partitions are read front to back.
 *
 * Point reads of an uncompressed file (sst_data_read_point) read only the
 * bytes asked for, straight into the caller's buffer, and do not check
 * CRC.db: as in Cassandra, whose read path never verifies the CRC.db of an
 * uncompressed file (only verify, scrub and streaming do). Checking it
 * would mean reading and checksumming the whole 64 KiB chunk around a row
 * of a few hundred bytes. Every decoder behind it is bounds-checked, so a
 * corrupt file still fails cleanly; iteration (compaction, dump) and
 * `helenus sstable verify` keep checking every chunk.
 */
#include "sstable/sst_int.h"

#include <errno.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HL_HAVE_ZSTD
#include <zstd.h>
#endif

static int pread_all(sst_reader *r, void *buf, size_t n, uint64_t off, hl_err *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(r->data_fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return hl_errf(err, HL_ERR_SERVER, "cannot read %sData.db at offset %llu: %s",
				       r->prefix, (unsigned long long)(off + got),
				       k < 0 ? strerror(errno) : "unexpected end of file");
		got += (size_t)k;
	}
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where compressed chunk c lives in the file (without its CRC). */
static void chunk_span(const sst_reader *r, uint64_t c, uint64_t *start, size_t *clen)
{
	uint64_t end = c + 1 < r->nchunks ? r->chunk_off[c + 1] : r->data_file_len;

	*start = r->chunk_off[c];
	*clen = (size_t)(end - *start - 4);   /* offsets were validated to step by >= 4 */
}

static int read_raw_chunk(sst_reader *r, uint64_t c, size_t *clen, hl_err *err)
{
	uint64_t start;

	chunk_span(r, c, &start, clen);
	/* no compressor expands a chunk by more than a quarter (Snappy: n/6 + 32) */
	if (*clen > (size_t)r->chunk_len + r->chunk_len / 4 + 1024)
		return sst_corrupt(r, err, "Data.db", start, "chunk %llu is %zu bytes long",
				   (unsigned long long)c, *clen);
	if (r->rawbuf_cap < *clen + 4) {
		r->rawbuf = hl_realloc(r->rawbuf, *clen + 4);
		r->rawbuf_cap = *clen + 4;
	}
	if (pread_all(r, r->rawbuf, *clen + 4, start, err))
		return -1;
	if (!r->opts.skip_chunk_crc && hl_crc32(0, r->rawbuf, *clen) != be32(r->rawbuf + *clen))
		return sst_corrupt(r, err, "Data.db", start, "checksum mismatch in compressed chunk %llu",
				   (unsigned long long)c);
	return 0;
}

static int decompress(sst_reader *r, uint64_t c, const uint8_t *src, size_t clen, size_t ulen,
		      hl_err *err)
{
	uint64_t at = r->chunk_off[c];

	/* na+: a chunk that did not compress well enough is stored as is */
	if (clen >= r->max_comp_len) {
		if (clen != ulen)
			return sst_corrupt(r, err, "Data.db", at, "uncompressed chunk of %zu bytes, expected %zu",
					   clen, ulen);
		memcpy(r->cbuf, src, ulen);
		return 0;
	}
	switch (r->comp) {
	case SST_COMP_LZ4: {
		uint32_t n;

		if (clen < 4)
			return sst_corrupt(r, err, "Data.db", at, "LZ4 chunk shorter than its length prefix");
		n = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
		if (n != ulen || clen - 4 > INT32_MAX ||
		    LZ4_decompress_safe((const char *)src + 4, (char *)r->cbuf, (int)(clen - 4), (int)ulen) !=
			    (int)ulen)
			return sst_corrupt(r, err, "Data.db", at, "LZ4 chunk %llu does not decompress to %zu bytes",
					   (unsigned long long)c, ulen);
		return 0;
	}
	case SST_COMP_SNAPPY: {
		size_t n;

		if (snappy_uncompressed_length((const char *)src, clen, &n) != SNAPPY_OK || n != ulen ||
		    snappy_uncompress((const char *)src, clen, (char *)r->cbuf, &n) != SNAPPY_OK || n != ulen)
			return sst_corrupt(r, err, "Data.db", at, "Snappy chunk %llu does not decompress to %zu bytes",
					   (unsigned long long)c, ulen);
		return 0;
	}
	case SST_COMP_DEFLATE: {
		z_stream zs;
		int zr;

		memset(&zs, 0, sizeof(zs));
		if (inflateInit(&zs) != Z_OK)
			return hl_errf(err, HL_ERR_SERVER, "inflateInit failed");
		zs.next_in = (Bytef *)src;
		zs.avail_in = (uInt)clen;
		zs.next_out = r->cbuf;
		zs.avail_out = (uInt)ulen;
		zr = inflate(&zs, Z_FINISH);
		inflateEnd(&zs);
		if (zr != Z_STREAM_END || zs.total_out != ulen)
			return sst_corrupt(r, err, "Data.db", at, "Deflate chunk %llu does not inflate to %zu bytes",
					   (unsigned long long)c, ulen);
		return 0;
	}
	case SST_COMP_ZSTD:
#ifdef HL_HAVE_ZSTD
	{
		size_t n = ZSTD_decompress(r->cbuf, ulen, src, clen);

		if (ZSTD_isError(n) || n != ulen)
			return sst_corrupt(r, err, "Data.db", at, "Zstd chunk %llu does not decompress to %zu bytes",
					   (unsigned long long)c, ulen);
		return 0;
	}
#else
		return hl_errf(err, HL_ERR_SERVER,
			       "sstable %sData.db is Zstd-compressed; this build has no Zstd support",
			       r->prefix);
#endif
	default:
		return hl_errf(err, HL_ERR_SERVER, "sstable %sData.db: unknown compressor", r->prefix);
	}
}

static int load_chunk(sst_reader *r, uint64_t c, hl_err *err)
{
	uint64_t start = c * r->chunk_len;
	size_t ulen, clen;

	if ((int64_t)c == r->cached_chunk)
		return 0;
	r->cached_chunk = -1;
	ulen = (size_t)(r->meta.data_length - start < r->chunk_len ? r->meta.data_length - start
								    : r->chunk_len);
	if (r->comp != SST_COMP_NONE) {
		if (read_raw_chunk(r, c, &clen, err) || decompress(r, c, r->rawbuf, clen, ulen, err))
			return -1;
	} else {
		if (pread_all(r, r->cbuf, ulen, start, err))
			return -1;
		if (r->crcs && !r->opts.skip_chunk_crc && hl_crc32(0, r->cbuf, ulen) != r->crcs[c])
			return sst_corrupt(r, err, "Data.db", start,
					   "checksum mismatch in chunk %llu (CRC.db)", (unsigned long long)c);
	}
	r->cbuf_len = ulen;
	r->cached_chunk = (int64_t)c;
	return 0;
}

int sst_data_read(sst_reader *r, uint64_t off, size_t len, hl_buf *out, hl_err *err)
{
	hl_buf_reset(out);
	if (off > r->meta.data_length || len > r->meta.data_length - off)
		return sst_corrupt(r, err, "Data.db", off, "%zu bytes requested past the end (%llu)", len,
				   (unsigned long long)r->meta.data_length);
	/* no up-front reserve: the buffer grows only with bytes actually decoded,
	 * so a corrupt index position cannot ask for a huge allocation */
	while (len > 0) {
		uint64_t c = off / r->chunk_len;
		size_t in = (size_t)(off - c * r->chunk_len), n;

		if (load_chunk(r, c, err))
			return -1;
		if (in >= r->cbuf_len)
			return sst_corrupt(r, err, "Data.db", off, "chunk %llu too short", (unsigned long long)c);
		n = r->cbuf_len - in < len ? r->cbuf_len - in : len;
		hl_buf_put(out, r->cbuf + in, n);
		off += n;
		len -= n;
	}
	return 0;
}

/* Above this, a point read goes through the chunks: the buffer then grows
 * only with bytes actually read, so a corrupt Index.db position cannot ask
 * for one huge allocation up front. */
#define SST_POINT_READ_MAX (1u << 20)

int sst_data_read_point(sst_reader *r, uint64_t off, size_t len, hl_buf *out, hl_err *err)
{
	if (r->comp != SST_COMP_NONE || len > SST_POINT_READ_MAX)
		return sst_data_read(r, off, len, out, err);
	hl_buf_reset(out);
	if (off > r->meta.data_length || len > r->meta.data_length - off)
		return sst_corrupt(r, err, "Data.db", off, "%zu bytes requested past the end (%llu)", len,
				   (unsigned long long)r->meta.data_length);
	hl_buf_reserve(out, len);
	if (pread_all(r, out->p, len, off, err))
		return -1;
	out->len = len;
	return 0;
}

int sst_data_verify_chunks(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	int rc = -1;

	if (r->comp != SST_COMP_NONE) {
		for (uint64_t c = 0; c < r->nchunks; c++) {
			size_t clen;
			bool skip = r->opts.skip_chunk_crc;

			/* always check here, whatever the read-time option says */
			r->opts.skip_chunk_crc = false;
			rc = read_raw_chunk(r, c, &clen, err);
			r->opts.skip_chunk_crc = skip;
			if (rc)
				goto exit;
		}
		rc = 0;
		goto exit;
	}
	if (!r->crcs) {
		rc = 0;
		goto exit;
	}
	buf = hl_malloc(r->chunk_len);
	for (uint64_t c = 0; c < r->ncrcs; c++) {
		uint64_t start = c * r->chunk_len;
		size_t n = (size_t)(r->data_file_len - start < r->chunk_len ? r->data_file_len - start
									    : r->chunk_len);

		if (pread_all(r, buf, n, start, err))
			goto exit;
		if (hl_crc32(0, buf, n) != r->crcs[c]) {
			sst_corrupt(r, err, "Data.db", start, "checksum mismatch in chunk %llu (CRC.db)",
				    (unsigned long long)c);
			goto exit;
		}
	}
	rc = 0;
exit:
	free(buf);
	return rc;
}
