/*
 * sstable/sst_writer.c: the nb sstable writer (API in sstable.h). Each
 * partition is serialized whole into a buffer (rows, range tombstone
 * markers, the static row; promoted-index blocks are cut while doing so),
 * appended to the Data.db stream (cut into compressed chunks, or 64 KiB
 * CRC.db chunks) and indexed in Index.db; keys are sampled for Summary.db
 * and hashed for the bloom filter and the HyperLogLog; statistics are
 * accumulated for Statistics.db. sst_writer_finish writes the small
 * components and renames everything into place, TOC.txt last.
 * Byte layouts: shared/docs/sstable-format.md sections 4-11.
 */
#include "sstable/sst_int.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HL_HAVE_ZSTD
#include <zstd.h>
#endif

#define TS_EPOCH 1442880000000000LL
#define LDT_EPOCH 1442880000
#define CRC_CHUNK 65536           /* CRC.db chunk: Cassandra's writer buffer */
#define FLUSH_AT 65536

/* Unfiltered and cell flags (section 4.3 / 4.7) */
#define F_END 0x01
#define F_MARKER 0x02
#define F_TIMESTAMP 0x04
#define F_TTL 0x08
#define F_DELETION 0x10
#define F_ALL_COLUMNS 0x20
#define F_COMPLEX_DELETION 0x40
#define F_EXTENSION 0x80
#define FX_STATIC 0x01
#define C_DELETED 0x01
#define C_EXPIRING 0x02
#define C_EMPTY 0x04
#define C_ROW_TS 0x08
#define C_ROW_TTL 0x10

/* ClusteringPrefix.Kind ordinals */
enum {
	K_EXCL_END = 0, K_INCL_START = 1, K_EXCL_END_INCL_START = 2, K_CLUSTERING = 4,
	K_INCL_END_EXCL_START = 5, K_INCL_END = 6, K_EXCL_START = 7,
};

enum { C_DATA, C_INDEX, C_SUMMARY, C_FILTER, C_COMPINFO, C_CRC, C_STATS, C_DIGEST, C_TOC, C_COUNT };
static const char *const comp_names[C_COUNT] = {
	"Data.db", "Index.db", "Summary.db", "Filter.db", "CompressionInfo.db",
	"CRC.db", "Statistics.db", "Digest.crc32", "TOC.txt",
};

typedef struct wfile {
	int fd;                  /* -1: not open */
	bool created;            /* the .tmp file exists */
	bool renamed;            /* the final file is ours */
	uint64_t pos;            /* bytes appended (buffered included) */
	uint32_t crc;            /* CRC32 of all of them (Digest.crc32 for Data) */
	hl_buf buf;
} wfile;

typedef struct wcol {
	const char *name;
	size_t name_len;
	const ty_type *type;
	int fixed;               /* on-disk width of a simple value, -1: vint length */
	bool complex, counter;
	const ty_type *path_type; /* complex: cell path order (NULL: unsigned bytes) */
	int index;
} wcol;

/* A position in clustering order: a full clustering (side 0) or a bound
 * just before (-1) / after (+1) everything starting with the n values. */
typedef struct wpos {
	int n;
	const st_bytes *vals;
	int side;
} wpos;

typedef struct wrt {
	wpos s, e;
	st_deletion d;
} wrt;

/* One row or range tombstone marker of the partition being written. */
typedef struct wunf {
	const st_mrow *row;      /* NULL: marker */
	wpos at;
	int kind;
	st_deletion d1, d2;      /* bound: d1; boundary: d1 closes, d2 opens */
} wunf;

typedef struct wcell {
	int pos;                 /* header position */
	const ty_type *ptype;
	const st_cell *c;
} wcell;

typedef struct wsample {
	uint8_t *key;
	uint32_t len;
	uint64_t ipos;
} wsample;

struct sst_writer {
	hl_arena *arena;
	char *prefix;            /* "<dir>/nb-<gen>-big-" */
	char *dir;
	sst_write_opts o;
	bool failed;

	/* schema */
	int nclust;
	st_clust_col *clust;
	int *clust_fixed;
	int nstatic, nregular;
	wcol *scols, *rcols;
	int maxidx;
	int *smap, *rmap;        /* storage index -> header position or -1 */
	hl_buf header;           /* the HEADER metadata component */
	int64_t min_ts;          /* EncodingStats */
	int32_t min_ldt, min_ttl;

	wfile f[C_COUNT];

	/* Data.db stream */
	uint32_t chunk_len;
	uint8_t *chunk;
	size_t fill;
	uint8_t *cbuf;
	size_t ccap;
	uint64_t ulen;
	uint64_t *offs;
	size_t noffs, capoffs;
	uint64_t comp_bytes;
	uint32_t *crcs;
	size_t ncrcs, capcrcs;
#ifdef HL_HAVE_ZSTD
	ZSTD_CCtx *zctx;
#endif

	/* partition scratch */
	hl_buf pbuf, body, blocks, entry;
	uint32_t *block_offs;
	size_t nblock_offs, capblock;
	wunf *unf;
	size_t nunf, capunf;
	wrt *rts;
	size_t caprts;
	wpos *pts;
	size_t cappts;
	size_t *active;
	wcell *cells;
	size_t capcells;
	st_deletion *cdel;
	uint8_t *present;

	/* index, summary, filter */
	int64_t nparts;
	wsample *samples;
	size_t nsamples, capsamples;
	int64_t *hashes;         /* (h1, h2) per key */
	size_t caphashes;
	bool have_prev;
	int64_t prev_token;
	hl_buf prev_key, first_key;

	/* statistics */
	bool ts_set, ldt_set, ttl_set;
	int64_t st_min_ts, st_max_ts;
	int32_t st_min_ldt, st_max_ldt, st_min_ttl, st_max_ttl;
	int64_t psize_off[SST_PSIZE_OFFSETS], psize[SST_PSIZE_OFFSETS + 1];
	int64_t cells_off[SST_CELLS_OFFSETS], cellsh[SST_CELLS_OFFSETS + 1];
	sst_tomb_bin tomb[SST_TOMB_BINS + 1];
	int ntomb;
	int64_t total_cols, total_rows;
	int64_t part_cells;
	bool cmm_set;
	int cmm_limit;           /* leading clustering components min/max track */
	hl_buf *cmin, *cmax;
	bool *cmin_set;
	sst_hll hll;
};

/* ------------------------------------------------------------ files */

static void wpath(const sst_writer *w, int c, bool tmp, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", w->prefix, comp_names[c], tmp ? ".tmp" : "");
}

static int io_fail(const sst_writer *w, int c, const char *what, hl_err *err)
{
	char path[4200];
	int e = errno;

	wpath(w, c, true, path, sizeof(path));
	return hl_errf(err, HL_ERR_SERVER, "cannot %s sstable component %s: %s", what, path,
		       strerror(e));
}

static int wf_open(sst_writer *w, int c, hl_err *err)
{
	char path[4200];

	wpath(w, c, true, path, sizeof(path));
	w->f[c].fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->f[c].fd < 0)
		return io_fail(w, c, "create", err);
	w->f[c].created = true;
	return 0;
}

static int wf_flush(sst_writer *w, int c, hl_err *err)
{
	wfile *f = &w->f[c];
	size_t off = 0;

	while (off < f->buf.len) {
		ssize_t n = write(f->fd, f->buf.p + off, f->buf.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return io_fail(w, c, "write", err);
		}
		off += (size_t)n;
	}
	hl_buf_reset(&f->buf);
	return 0;
}

static int wf_write(sst_writer *w, int c, const void *p, size_t n, hl_err *err)
{
	wfile *f = &w->f[c];

	hl_buf_put(&f->buf, p, n);
	f->crc = hl_crc32(f->crc, p, n);
	f->pos += n;
	if (f->buf.len >= FLUSH_AT)
		return wf_flush(w, c, err);
	return 0;
}

static int wf_close(sst_writer *w, int c, hl_err *err)
{
	wfile *f = &w->f[c];
	int fd = f->fd;

	if (fd < 0)
		return 0;
	if (wf_flush(w, c, err))
		return -1;
	if (!w->o.no_sync && fsync(fd) < 0)
		return io_fail(w, c, "sync", err);
	f->fd = -1;
	if (close(fd) < 0)
		return io_fail(w, c, "close", err);
	return 0;
}

/* A small component written whole. */
static int wf_whole(sst_writer *w, int c, const hl_buf *b, hl_err *err)
{
	if (wf_open(w, c, err) || wf_write(w, c, b->p, b->len, err) || wf_close(w, c, err))
		return -1;
	return 0;
}

/* Remove everything this writer created (temporary and renamed files). */
static void remove_all(sst_writer *w)
{
	char path[4200];

	/* TOC first: once it is gone the rest no longer looks like an sstable */
	for (int i = C_COUNT - 1; i >= 0; i--) {
		wfile *f = &w->f[i];

		if (f->fd >= 0) {
			close(f->fd);
			f->fd = -1;
		}
		if (f->renamed) {
			wpath(w, i, false, path, sizeof(path));
			unlink(path);
			f->renamed = false;
		}
		if (f->created) {
			wpath(w, i, true, path, sizeof(path));
			unlink(path);
			f->created = false;
		}
	}
}

static void writer_free(sst_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < C_COUNT; i++) {
		if (w->f[i].fd >= 0)
			close(w->f[i].fd);
		hl_buf_free(&w->f[i].buf);
	}
	free(w->chunk);
	free(w->cbuf);
	free(w->offs);
	free(w->crcs);
#ifdef HL_HAVE_ZSTD
	if (w->zctx)
		ZSTD_freeCCtx(w->zctx);
#endif
	hl_buf_free(&w->header);
	hl_buf_free(&w->pbuf);
	hl_buf_free(&w->body);
	hl_buf_free(&w->blocks);
	hl_buf_free(&w->entry);
	free(w->block_offs);
	free(w->unf);
	free(w->rts);
	free(w->pts);
	free(w->active);
	free(w->cells);
	for (size_t i = 0; i < w->nsamples; i++)
		free(w->samples[i].key);
	free(w->samples);
	free(w->hashes);
	hl_buf_free(&w->prev_key);
	hl_buf_free(&w->first_key);
	for (int i = 0; w->cmin && i < w->nclust; i++) {
		hl_buf_free(&w->cmin[i]);
		hl_buf_free(&w->cmax[i]);
	}
	free(w->cmin);
	free(w->cmax);
	free(w->cmin_set);
	sst_hll_free(&w->hll);
	hl_arena_free(w->arena);
	free(w);
}

void sst_writer_abort(sst_writer *w)
{
	if (!w)
		return;
	remove_all(w);
	writer_free(w);
}

/* ------------------------------------------------------------ Data.db stream */

static int ds_emit(sst_writer *w, hl_err *err)
{
	size_t n = w->fill, clen = 0;
	uint8_t crc[4];
	uint32_t c;

	if (n == 0)
		return 0;
	if (w->o.compressor == SST_COMPRESS_NONE) {
		if (w->ncrcs == w->capcrcs) {
			w->capcrcs = w->capcrcs ? w->capcrcs * 2 : 64;
			w->crcs = hl_realloc(w->crcs, w->capcrcs * sizeof(*w->crcs));
		}
		w->crcs[w->ncrcs++] = hl_crc32(0, w->chunk, n);
		w->fill = 0;
		return wf_write(w, C_DATA, w->chunk, n, err);
	}
	switch (w->o.compressor) {
	case SST_COMPRESS_LZ4: {
		int r = LZ4_compress_default((const char *)w->chunk, (char *)w->cbuf + 4, (int)n,
					     (int)(w->ccap - 4));

		if (r <= 0)
			return hl_errf(err, HL_ERR_SERVER, "LZ4 compression failed for %sData.db", w->prefix);
		/* Cassandra's LZ4 chunk: little-endian uncompressed length, then a raw block */
		for (int i = 0; i < 4; i++)
			w->cbuf[i] = (uint8_t)(n >> (8 * i));
		clen = (size_t)r + 4;
		break;
	}
	case SST_COMPRESS_SNAPPY:
		clen = w->ccap;
		if (snappy_compress((const char *)w->chunk, n, (char *)w->cbuf, &clen) != SNAPPY_OK)
			return hl_errf(err, HL_ERR_SERVER, "Snappy compression failed for %sData.db", w->prefix);
		break;
	case SST_COMPRESS_DEFLATE: {
		uLongf dl = (uLongf)w->ccap;

		/* java.util.zip.Deflater's default: zlib stream, level 6 */
		if (compress2(w->cbuf, &dl, w->chunk, (uLong)n, Z_DEFAULT_COMPRESSION) != Z_OK)
			return hl_errf(err, HL_ERR_SERVER, "Deflate compression failed for %sData.db", w->prefix);
		clen = (size_t)dl;
		break;
	}
	case SST_COMPRESS_ZSTD:
#ifdef HL_HAVE_ZSTD
	{
		size_t r = ZSTD_compressCCtx(w->zctx, w->cbuf, w->ccap, w->chunk, n, w->o.zstd_level);

		if (ZSTD_isError(r))
			return hl_errf(err, HL_ERR_SERVER, "Zstd compression failed for %sData.db: %s",
				       w->prefix, ZSTD_getErrorName(r));
		clen = r;
		break;
	}
#endif
	default:
		return hl_errf(err, HL_ERR_SERVER, "unsupported compressor");
	}
	if (w->noffs == w->capoffs) {
		w->capoffs = w->capoffs ? w->capoffs * 2 : 64;
		w->offs = hl_realloc(w->offs, w->capoffs * sizeof(*w->offs));
	}
	w->offs[w->noffs++] = w->f[C_DATA].pos;
	w->comp_bytes += clen;
	c = hl_crc32(0, w->cbuf, clen);
	for (int i = 0; i < 4; i++)
		crc[i] = (uint8_t)(c >> (24 - 8 * i));
	w->fill = 0;
	if (wf_write(w, C_DATA, w->cbuf, clen, err) || wf_write(w, C_DATA, crc, 4, err))
		return -1;
	return 0;
}

static int ds_put(sst_writer *w, const uint8_t *p, size_t n, hl_err *err)
{
	while (n > 0) {
		size_t k = w->chunk_len - w->fill;

		if (k > n)
			k = n;
		memcpy(w->chunk + w->fill, p, k);
		w->fill += k;
		w->ulen += k;
		p += k;
		n -= k;
		if (w->fill == w->chunk_len && ds_emit(w, err))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ primitives */

static void put_u16(hl_buf *b, uint16_t v)
{
	hl_buf_u16(b, v);
}

/* A local deletion time / TTL delta: Java int subtraction, sign-extended
 * to a long before the vint (a negative delta becomes 9 bytes). */
static void put_delta32(hl_buf *b, int32_t v, int32_t base)
{
	hl_buf_uvint(b, (uint64_t)(int64_t)(int32_t)((uint32_t)v - (uint32_t)base));
}

static void put_ts(const sst_writer *w, hl_buf *b, int64_t ts)
{
	hl_buf_uvint(b, (uint64_t)ts - (uint64_t)w->min_ts);
}

/* DeletionTime in fixed-width contexts (partition header, Index.db). */
static void put_deltime(hl_buf *b, const st_deletion *d)
{
	if (d->ts == ST_NO_TS) {
		hl_buf_u32(b, (uint32_t)INT32_MAX);
		hl_buf_u64(b, (uint64_t)INT64_MIN);
		return;
	}
	hl_buf_u32(b, (uint32_t)sst_w_ldt32(d->ldt));
	hl_buf_u64(b, (uint64_t)d->ts);
}

static void put_delta_del(const sst_writer *w, hl_buf *b, const st_deletion *d)
{
	if (d->ts == ST_NO_TS) {
		/* LIVE placeholder of a complex column: (Long.MIN_VALUE, NO_DELETION_TIME) */
		put_ts(w, b, INT64_MIN);
		put_delta32(b, INT32_MAX, w->min_ldt);
		return;
	}
	put_ts(w, b, d->ts);
	put_delta32(b, sst_w_ldt32(d->ldt), w->min_ldt);
}

/* writeValue: fixed-width types raw, everything else with a vint length. */
static void put_value(hl_buf *b, int fixed, const uint8_t *p, uint32_t n)
{
	if (fixed < 0)
		hl_buf_uvint(b, n);
	hl_buf_put(b, p, n);
}

/* ClusteringValues: a header vint per 32 values (2 bits each: empty, null). */
static void put_clustering(const sst_writer *w, hl_buf *b, int n, const st_bytes *v)
{
	for (int off = 0; off < n; off += 32) {
		int lim = n < off + 32 ? n : off + 32;
		uint64_t hdr = 0;

		for (int i = off; i < lim; i++)
			if (v[i].len == 0)
				hdr |= 1ULL << ((i - off) * 2);
		hl_buf_uvint(b, hdr);
		for (int i = off; i < lim; i++)
			if (v[i].len)
				put_value(b, w->clust_fixed[i], v[i].p, v[i].len);
	}
}

/* ------------------------------------------------------------ ordering */

static int cval_cmp(const sst_writer *w, int i, const st_bytes *a, const st_bytes *b)
{
	int c = ty_compare(w->clust[i].type, a->p, a->len, b->p, b->len);

	return w->clust[i].reversed ? -c : c;
}

static int pos_cmp(const sst_writer *w, const wpos *a, const wpos *b)
{
	int m = a->n < b->n ? a->n : b->n;

	for (int i = 0; i < m; i++) {
		int c = cval_cmp(w, i, &a->vals[i], &b->vals[i]);

		if (c)
			return c < 0 ? -1 : 1;
	}
	if (a->n == b->n)
		return (a->side > b->side) - (a->side < b->side);
	/* the shorter one is a bound before / after its whole prefix group */
	return a->n < b->n ? a->side : -b->side;
}

static int pos_cmp_r(const void *a, const void *b, void *ctx)
{
	return pos_cmp(ctx, a, b);
}

static int rt_cmp_r(const void *a, const void *b, void *ctx)
{
	return pos_cmp(ctx, &((const wrt *)a)->s, &((const wrt *)b)->s);
}

static bool del_supersedes(const st_deletion *a, const st_deletion *b)
{
	return a->ts > b->ts || (a->ts == b->ts && a->ldt > b->ldt);
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* ------------------------------------------------------------ statistics */

static void stat_upd(sst_writer *w, int64_t ts, int32_t ttl, int32_t ldt)
{
	if (!w->ts_set || ts < w->st_min_ts)
		w->st_min_ts = ts;
	if (!w->ts_set || ts > w->st_max_ts)
		w->st_max_ts = ts;
	w->ts_set = true;
	if (ttl >= 0) {
		if (!w->ttl_set || ttl < w->st_min_ttl)
			w->st_min_ttl = ttl;
		if (!w->ttl_set || ttl > w->st_max_ttl)
			w->st_max_ttl = ttl;
		w->ttl_set = true;
	}
	if (!w->ldt_set || ldt < w->st_min_ldt)
		w->st_min_ldt = ldt;
	if (!w->ldt_set || ldt > w->st_max_ldt)
		w->st_max_ldt = ldt;
	w->ldt_set = true;
	if (ldt != INT32_MAX)
		sst_tomb_add(w->tomb, &w->ntomb, ldt);
}

static void stat_del(sst_writer *w, const st_deletion *d)
{
	if (d->ts != ST_NO_TS)
		stat_upd(w, d->ts, -1, sst_w_ldt32(d->ldt));
}

/* Per-component minimum and maximum clustering values (nb's legacy
 * min/max lists). A bound shorter than the clustering leaves the later
 * components unconstrained, so the lists are cut there. */
static void stat_clust(sst_writer *w, int n, const st_bytes *v, bool bound)
{
	if (bound && n < w->cmm_limit)
		w->cmm_limit = n;
	for (int i = 0; i < n && i < w->nclust; i++) {
		if (!w->cmin_set[i] || cval_cmp(w, i, &v[i], &(st_bytes){ w->cmin[i].p, (uint32_t)w->cmin[i].len }) < 0) {
			hl_buf_reset(&w->cmin[i]);
			hl_buf_put(&w->cmin[i], v[i].p, v[i].len);
		}
		if (!w->cmin_set[i] || cval_cmp(w, i, &v[i], &(st_bytes){ w->cmax[i].p, (uint32_t)w->cmax[i].len }) > 0) {
			hl_buf_reset(&w->cmax[i]);
			hl_buf_put(&w->cmax[i], v[i].p, v[i].len);
		}
		w->cmin_set[i] = true;
	}
}

/* ------------------------------------------------------------ rows */

static int wcell_cmp(const void *a, const void *b)
{
	const wcell *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	if (!x->c->path || !y->c->path)
		return 0;
	if (x->ptype)
		return ty_compare(x->ptype, x->c->path, x->c->path_len, y->c->path, y->c->path_len);
	return key_cmp(x->c->path, x->c->path_len, y->c->path, y->c->path_len);
}

static bool row_empty(const st_mrow *r)
{
	return r->marker.ts == ST_NO_TS && r->del.ts == ST_NO_TS && !r->cells && !r->cdels;
}

/* A counter total as a context with one global shard (section 4.9). */
static void put_counter(const sst_writer *w, hl_buf *b, const st_cell *c)
{
	uint8_t ctx[36];
	uint64_t clock = (uint64_t)c->ts;

	ctx[0] = 0;
	ctx[1] = 1;
	ctx[2] = 0x80;           /* shard 0 as a global shard: 0 + Short.MIN_VALUE */
	ctx[3] = 0;
	memcpy(ctx + 4, w->o.host_id.b, 16);
	for (int i = 0; i < 8; i++) {
		ctx[20 + i] = (uint8_t)(clock >> (56 - 8 * i));
		ctx[28 + i] = c->value[i];
	}
	hl_buf_uvint(b, sizeof(ctx));
	hl_buf_put(b, ctx, sizeof(ctx));
}

static int put_cell(sst_writer *w, hl_buf *b, const wcol *col, const st_cell *c,
		    const st_liveness *lv, hl_err *err)
{
	bool deleted = st_cell_is_tombstone(c), expiring = c->ttl > 0;
	bool use_ts = lv->ts != ST_NO_TS && c->ts == lv->ts;
	int32_t exp = expiring ? sst_w_exp32(c->ldt) : 0;
	bool use_ttl = expiring && lv->ts != ST_NO_TS && lv->ttl > 0 && c->ttl == lv->ttl &&
		       exp == sst_w_exp32(lv->expire);
	int fixed = col->fixed;
	bool has_value;
	uint8_t flags = 0;

	if (col->complex) {
		const ty_type *t = col->type;

		if (t->kind == TY_LIST)
			fixed = sst_fixed_width(t->sub[0]);
		else if (t->kind == TY_SET)
			fixed = 0;
		else if (t->kind == TY_MAP)
			fixed = sst_fixed_width(t->sub[1]);
		else if (t->kind == TY_UDT) {
			int idx = c->path_len == 2 ? (c->path[0] << 8 | c->path[1]) : -1;

			if (idx < 0 || idx >= t->nsub)
				return hl_errf(err, HL_ERR_SERVER,
					       "sstable writer: bad UDT field path for column %s", col->name);
			fixed = sst_fixed_width(t->sub[idx]);
		}
	}
	/* a set element's value is always empty (EmptyType) */
	has_value = c->len > 0 && fixed != 0;
	if (has_value && fixed > 0 && c->len != (uint32_t)fixed && !(col->counter && !deleted))
		return hl_errf(err, HL_ERR_SERVER,
			       "sstable writer: %u-byte value for column %s of fixed width %d", c->len,
			       col->name, fixed);
	if (!has_value)
		flags |= C_EMPTY;
	if (deleted)
		flags |= C_DELETED;
	else if (expiring)
		flags |= C_EXPIRING;
	if (use_ts)
		flags |= C_ROW_TS;
	if (use_ttl)
		flags |= C_ROW_TTL;
	hl_buf_u8(b, flags);
	if (!use_ts)
		put_ts(w, b, c->ts);
	if ((deleted || expiring) && !use_ttl)
		put_delta32(b, deleted ? sst_w_ldt32(c->ldt) : exp, w->min_ldt);
	if (expiring && !use_ttl)
		put_delta32(b, c->ttl, w->min_ttl);
	if (col->complex)
		put_value(b, -1, c->path, c->path_len);
	if (has_value) {
		if (col->counter && !deleted && c->len == 8)
			put_counter(w, b, c);
		else
			put_value(b, col->counter ? -1 : fixed, c->value, c->len);
	}
	stat_upd(w, c->ts, expiring ? c->ttl : 0,
		 deleted ? sst_w_ldt32(c->ldt) : expiring ? exp : INT32_MAX);
	w->part_cells++;
	return 0;
}

/* Row (or the static row) with its flags, clustering, size, body. */
static int put_row(sst_writer *w, hl_buf *out, const st_mrow *r, bool is_static, uint64_t prev,
		   hl_err *err)
{
	const wcol *cols = is_static ? w->scols : w->rcols;
	const int *map = is_static ? w->smap : w->rmap;
	int ncols = is_static ? w->nstatic : w->nregular, npresent = 0, ncolset = 0;
	size_t nc = 0;
	uint8_t flags = 0;
	bool has_cdel = false;
	hl_buf *b = &w->body;
	st_liveness lv = { ST_NO_TS, 0, 0 };

	/* cells in header order, complex ones by path */
	for (const st_cell *c = r ? r->cells : NULL; c; c = c->next) {
		int pos = c->col >= 0 && c->col <= w->maxidx ? map[c->col] : -1;

		if (pos < 0)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable writer: %s cell for column index %d that the schema does not have",
				       is_static ? "static" : "regular", c->col);
		if (cols[pos].complex != (c->path != NULL))
			return hl_errf(err, HL_ERR_SERVER, "sstable writer: cell %s a path in column %s",
				       c->path ? "with" : "without", cols[pos].name);
		if (nc == w->capcells) {
			w->capcells = w->capcells ? w->capcells * 2 : 64;
			w->cells = hl_realloc(w->cells, w->capcells * sizeof(*w->cells));
		}
		w->cells[nc].pos = pos;
		w->cells[nc].ptype = cols[pos].path_type;
		w->cells[nc].c = c;
		nc++;
	}
	if (nc > 1)
		qsort(w->cells, nc, sizeof(*w->cells), wcell_cmp);
	memset(w->present, 0, (size_t)ncols + 1);
	for (int i = 0; i < ncols; i++)
		w->cdel[i] = (st_deletion){ ST_NO_TS, ST_NO_LDT };
	for (size_t i = 0; i < nc; i++) {
		if (i > 0 && w->cells[i].pos == w->cells[i - 1].pos &&
		    wcell_cmp(&w->cells[i], &w->cells[i - 1]) == 0)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable writer: two cells for the same column %s%s in one row",
				       cols[w->cells[i].pos].name, cols[w->cells[i].pos].complex ? " element" : "");
		w->present[w->cells[i].pos] = 1;
	}
	for (const st_complex_del *d = r ? r->cdels : NULL; d; d = d->next) {
		int pos = d->col >= 0 && d->col <= w->maxidx ? map[d->col] : -1;

		if (pos < 0 || !cols[pos].complex)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable writer: complex deletion for column index %d that is not a complex column of the schema",
				       d->col);
		if (d->del.ts == ST_NO_TS)
			continue;
		if (w->cdel[pos].ts == ST_NO_TS || del_supersedes(&d->del, &w->cdel[pos]))
			w->cdel[pos] = d->del;
		w->present[pos] = 1;
		has_cdel = true;
	}
	for (int i = 0; i < ncols; i++)
		npresent += w->present[i];

	if (r && r->marker.ts != ST_NO_TS) {
		lv = r->marker;
		flags |= F_TIMESTAMP;
		if (lv.ttl > 0)
			flags |= F_TTL;
	}
	if (r && r->del.ts != ST_NO_TS)
		flags |= F_DELETION;
	if (has_cdel)
		flags |= F_COMPLEX_DELETION;
	if (npresent == ncols)
		flags |= F_ALL_COLUMNS;
	if (is_static)
		flags |= F_EXTENSION;

	hl_buf_reset(b);
	hl_buf_uvint(b, prev);
	if (flags & F_TIMESTAMP) {
		put_ts(w, b, lv.ts);
		if (flags & F_TTL) {
			put_delta32(b, lv.ttl, w->min_ttl);
			put_delta32(b, sst_w_exp32(lv.expire), w->min_ldt);
		}
		stat_upd(w, lv.ts, lv.ttl > 0 ? lv.ttl : 0, lv.ttl > 0 ? sst_w_exp32(lv.expire) : INT32_MAX);
	}
	if (flags & F_DELETION) {
		put_delta_del(w, b, &r->del);
		stat_del(w, &r->del);
	}
	if (!(flags & F_ALL_COLUMNS)) {
		if (ncols < 64) {
			uint64_t bits = 0;

			for (int i = 0; i < ncols; i++)
				if (!w->present[i])
					bits |= 1ULL << i;
			hl_buf_uvint(b, bits);
		} else {
			bool list_present = npresent < ncols / 2;

			hl_buf_uvint(b, (uint64_t)(ncols - npresent));
			for (int i = 0; i < ncols; i++)
				if ((w->present[i] != 0) == list_present)
					hl_buf_uvint(b, (uint64_t)i);
		}
	}
	{
		size_t i = 0;

		for (int pos = 0; pos < ncols; pos++) {
			size_t j = i;

			if (!w->present[pos])
				continue;
			if (!cols[pos].complex) {
				if (put_cell(w, b, &cols[pos], w->cells[i].c, &lv, err))
					return -1;
				i++;
				ncolset++;
				continue;
			}
			while (j < nc && w->cells[j].pos == pos)
				j++;
			if (has_cdel) {
				put_delta_del(w, b, &w->cdel[pos]);
				stat_del(w, &w->cdel[pos]);
			}
			hl_buf_uvint(b, (uint64_t)(j - i));
			/* Cassandra counts a complex column in the row's column set
			 * only when it has cells */
			if (j > i)
				ncolset++;
			for (; i < j; i++)
				if (put_cell(w, b, &cols[pos], w->cells[i].c, &lv, err))
					return -1;
		}
	}
	if (r && !row_empty(r)) {
		w->total_cols += ncolset;
		w->total_rows++;
	}

	hl_buf_u8(out, flags);
	if (is_static)
		hl_buf_u8(out, FX_STATIC);
	else
		put_clustering(w, out, w->nclust, r->clust);
	hl_buf_uvint(out, b->len);
	hl_buf_put(out, b->p, b->len);
	return 0;
}

static void put_marker(sst_writer *w, hl_buf *out, const wunf *u, uint64_t prev)
{
	hl_buf *b = &w->body;

	hl_buf_u8(out, F_MARKER);
	hl_buf_u8(out, (uint8_t)u->kind);
	put_u16(out, (uint16_t)u->at.n);
	put_clustering(w, out, u->at.n, u->at.vals);
	hl_buf_reset(b);
	hl_buf_uvint(b, prev);
	put_delta_del(w, b, &u->d1);
	stat_del(w, &u->d1);
	if (u->kind == K_EXCL_END_INCL_START || u->kind == K_INCL_END_EXCL_START) {
		put_delta_del(w, b, &u->d2);
		stat_del(w, &u->d2);
	}
	hl_buf_uvint(out, b->len);
	hl_buf_put(out, b->p, b->len);
}

/* The clustering prefix of an IndexInfo first/last name. */
static void put_prefix(const sst_writer *w, hl_buf *b, const wunf *u)
{
	hl_buf_u8(b, (uint8_t)u->kind);
	if (u->kind != K_CLUSTERING)
		put_u16(b, (uint16_t)u->at.n);
	put_clustering(w, b, u->at.n, u->at.vals);
}

/* ------------------------------------------------------------ range tombstones */

static wunf *unf_push(sst_writer *w)
{
	if (w->nunf == w->capunf) {
		w->capunf = w->capunf ? w->capunf * 2 : 64;
		w->unf = hl_realloc(w->unf, w->capunf * sizeof(*w->unf));
	}
	memset(&w->unf[w->nunf], 0, sizeof(wunf));
	return &w->unf[w->nunf++];
}

static bool del_eq(const st_deletion *a, const st_deletion *b)
{
	return a->ts == b->ts && a->ldt == b->ldt;
}

/*
 * Range tombstones to markers. Every bound becomes a point in clustering
 * order; between consecutive points the deletion in force is the
 * superseding one among the tombstones covering that stretch. A marker is
 * written wherever that changes: an open, a close, or a boundary when one
 * deletion gives way to another (also when a tombstone ends exactly where
 * an equal one starts, as Cassandra keeps such neighbours apart).
 * Markers are appended to w->unf in order.
 */
static int build_markers(sst_writer *w, const st_mutation *m, hl_err *err)
{
	size_t k = 0, np = 0, nact = 0, ri = 0;
	st_deletion prev = { ST_NO_TS, ST_NO_LDT };

	if (m->nrts <= 0 && !m->rts)
		return 0;
	for (const st_range_tomb *t = m->rts; t; t = t->next) {
		wrt x;

		if (t->start.n > w->nclust || t->end.n > w->nclust || t->start.n < 0 || t->end.n < 0)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable writer: range tombstone bound with more values than the %d clustering columns",
				       w->nclust);
		if (t->del.ts == ST_NO_TS)
			continue;
		x.s = (wpos){ t->start.n, t->start.vals, t->start.n == 0 || t->start.inclusive ? -1 : 1 };
		x.e = (wpos){ t->end.n, t->end.vals, t->end.n == 0 || t->end.inclusive ? 1 : -1 };
		x.d = t->del;
		if (pos_cmp(w, &x.s, &x.e) >= 0)
			continue;  /* selects nothing */
		if (k == w->caprts) {
			w->caprts = w->caprts ? w->caprts * 2 : 16;
			w->rts = hl_realloc(w->rts, w->caprts * sizeof(*w->rts));
			w->active = hl_realloc(w->active, w->caprts * sizeof(*w->active));
		}
		if (2 * k + 2 > w->cappts) {
			w->cappts = 2 * w->caprts;
			w->pts = hl_realloc(w->pts, w->cappts * sizeof(*w->pts));
		}
		w->rts[k] = x;
		w->pts[np++] = x.s;
		w->pts[np++] = x.e;
		k++;
	}
	if (k == 0)
		return 0;
	qsort_r(w->rts, k, sizeof(*w->rts), rt_cmp_r, w);
	qsort_r(w->pts, np, sizeof(*w->pts), pos_cmp_r, w);
	{
		size_t u = 0;

		for (size_t i = 0; i < np; i++)
			if (u == 0 || pos_cmp(w, &w->pts[u - 1], &w->pts[i]) != 0)
				w->pts[u++] = w->pts[i];
		np = u;
	}
	for (size_t i = 0; i < np; i++) {
		const wpos *p = &w->pts[i];
		bool ended = false, started = false;
		st_deletion cur = { ST_NO_TS, ST_NO_LDT };

		for (size_t a = 0; a < nact;) {
			if (pos_cmp(w, &w->rts[w->active[a]].e, p) <= 0) {
				w->active[a] = w->active[--nact];
				ended = true;
			} else {
				a++;
			}
		}
		while (ri < k && pos_cmp(w, &w->rts[ri].s, p) == 0) {
			w->active[nact++] = ri++;
			started = true;
		}
		for (size_t a = 0; a < nact; a++) {
			const st_deletion *d = &w->rts[w->active[a]].d;

			if (cur.ts == ST_NO_TS || del_supersedes(d, &cur))
				cur = *d;
		}
		if (prev.ts == ST_NO_TS && cur.ts == ST_NO_TS)
			continue;
		if (prev.ts != ST_NO_TS && cur.ts != ST_NO_TS && del_eq(&prev, &cur) && !(ended && started))
			continue;
		{
			wunf *u = unf_push(w);

			u->at = *p;
			if (prev.ts == ST_NO_TS) {
				u->kind = p->side < 0 ? K_INCL_START : K_EXCL_START;
				u->d1 = cur;
			} else if (cur.ts == ST_NO_TS) {
				u->kind = p->side < 0 ? K_EXCL_END : K_INCL_END;
				u->d1 = prev;
			} else {
				u->kind = p->side < 0 ? K_EXCL_END_INCL_START : K_INCL_END_EXCL_START;
				u->d1 = prev;
				u->d2 = cur;
			}
		}
		prev = cur;
	}
	return 0;
}

/* ------------------------------------------------------------ partitions */

static int add_block(sst_writer *w, size_t first, size_t last, uint64_t start, uint64_t end,
		     const st_deletion *open)
{
	hl_buf *b = &w->blocks;

	if (w->nblock_offs == w->capblock) {
		w->capblock = w->capblock ? w->capblock * 2 : 16;
		w->block_offs = hl_realloc(w->block_offs, w->capblock * sizeof(*w->block_offs));
	}
	w->block_offs[w->nblock_offs++] = (uint32_t)b->len;
	put_prefix(w, b, &w->unf[first]);
	put_prefix(w, b, &w->unf[last]);
	hl_buf_uvint(b, start);
	hl_buf_vint(b, (int64_t)(end - start) - 65536);
	hl_buf_u8(b, open->ts != ST_NO_TS);
	if (open->ts != ST_NO_TS)
		put_deltime(b, open);
	return 0;
}

static int add_sample(sst_writer *w, const st_mutation *m, uint64_t ipos)
{
	wsample *s;

	if (w->nsamples == w->capsamples) {
		w->capsamples = w->capsamples ? w->capsamples * 2 : 16;
		w->samples = hl_realloc(w->samples, w->capsamples * sizeof(*w->samples));
	}
	s = &w->samples[w->nsamples++];
	s->key = hl_malloc(m->keylen ? m->keylen : 1);
	memcpy(s->key, m->key, m->keylen);
	s->len = m->keylen;
	s->ipos = ipos;
	return 0;
}

int sst_writer_add(sst_writer *w, const st_mutation *m, hl_err *err)
{
	hl_buf *pb = &w->pbuf;
	int64_t token;
	uint64_t header_len, prev_start = 0, block_start = 0, data_pos = w->ulen;
	size_t first = (size_t)-1;
	st_deletion open = { ST_NO_TS, ST_NO_LDT };
	const st_mrow *prow = NULL;
	size_t mi = 0, nmark;

	if (w->failed)
		return hl_errf(err, HL_ERR_SERVER, "sstable writer for %s has failed", w->prefix);
	w->failed = true;  /* until this partition is complete */
	if (m->keylen > 65535)
		return hl_errf(err, HL_ERR_SERVER, "sstable writer: partition key of %u bytes (max 65535)",
			       m->keylen);
	token = hl_token(m->key, m->keylen);
	if (w->have_prev && (token < w->prev_token ||
			     (token == w->prev_token &&
			      key_cmp(w->prev_key.p, w->prev_key.len, m->key, m->keylen) >= 0)))
		return hl_errf(err, HL_ERR_SERVER,
			       "sstable writer: partitions out of order (token %lld after %lld)",
			       (long long)token, (long long)w->prev_token);

	/* markers first, then rows merged in */
	w->nunf = 0;
	if (build_markers(w, m, err))
		return -1;
	nmark = w->nunf;
	for (const st_mrow *r = m->rows; r; r = r->next) {
		wpos at;

		if (r->nclust != w->nclust)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable writer: row with %d clustering values, the schema has %d", r->nclust,
				       w->nclust);
		if (row_empty(r))
			continue;
		at = (wpos){ w->nclust, r->clust, 0 };
		if (prow) {
			wpos pat = { w->nclust, prow->clust, 0 };

			if (pos_cmp(w, &pat, &at) >= 0)
				return hl_errf(err, HL_ERR_SERVER,
					       "sstable writer: rows not in strictly increasing clustering order");
		}
		prow = r;
		{
			wunf *u = unf_push(w);

			u->row = r;
			u->at = at;
			u->kind = K_CLUSTERING;
		}
	}
	/* merge: markers [0, nmark), rows [nmark, nunf) -> order by position */
	if (nmark && w->nunf > nmark) {
		size_t n = w->nunf, a = 0, b = nmark, o = 0;
		wunf *tmp = hl_malloc(n * sizeof(*tmp));

		while (a < nmark || b < n) {
			if (b >= n || (a < nmark && pos_cmp(w, &w->unf[a].at, &w->unf[b].at) < 0))
				tmp[o++] = w->unf[a++];
			else
				tmp[o++] = w->unf[b++];
		}
		memcpy(w->unf, tmp, n * sizeof(*tmp));
		free(tmp);
	}

	/* header */
	hl_buf_reset(pb);
	hl_buf_reset(&w->blocks);
	w->nblock_offs = 0;
	w->part_cells = 0;
	hl_buf_pshortbytes(pb, m->key, m->keylen);
	put_deltime(pb, &m->pdel);
	stat_del(w, &m->pdel);
	if (w->nstatic > 0) {
		/* always present once the header has static columns; it does not
		 * move the "previous unfiltered" position (prev_size 0) */
		if (put_row(w, pb, m->static_row, true, 0, err))
			return -1;
	} else if (m->static_row && !row_empty(m->static_row)) {
		return hl_errf(err, HL_ERR_SERVER, "sstable writer: static data but no static columns in the schema");
	}
	header_len = pb->len;

	for (mi = 0; mi < w->nunf; mi++) {
		const wunf *u = &w->unf[mi];
		uint64_t pos = pb->len;

		if (first == (size_t)-1) {
			first = mi;
			block_start = pos;
		}
		if (u->row) {
			if (put_row(w, pb, u->row, false, pos - prev_start, err))
				return -1;
		} else {
			put_marker(w, pb, u, pos - prev_start);
			if (u->kind == K_INCL_START || u->kind == K_EXCL_START)
				open = u->d1;
			else if (u->kind == K_EXCL_END_INCL_START || u->kind == K_INCL_END_EXCL_START)
				open = u->d2;
			else
				open = (st_deletion){ ST_NO_TS, ST_NO_LDT };
		}
		stat_clust(w, u->at.n, u->at.vals, u->row == NULL);
		prev_start = pos;
		if (pb->len - block_start >= w->o.column_index_size) {
			add_block(w, first, mi, block_start, pb->len, &open);
			first = (size_t)-1;
		}
	}
	hl_buf_u8(pb, F_END);
	if (w->nunf > 0 && first != (size_t)-1)
		add_block(w, first, w->nunf - 1, block_start, pb->len, &open);

	/* Data.db */
	if (ds_put(w, pb->p, pb->len, err))
		return -1;

	/* Index.db entry */
	{
		hl_buf *e = &w->entry;
		uint64_t ipos = w->f[C_INDEX].pos;

		if (w->nparts % w->o.min_index_interval == 0)
			add_sample(w, m, ipos);
		hl_buf_reset(e);
		hl_buf_pshortbytes(e, m->key, m->keylen);
		hl_buf_uvint(e, data_pos);
		if (w->nblock_offs > 1) {
			hl_buf *t = &w->body;

			hl_buf_reset(t);
			hl_buf_uvint(t, header_len);
			put_deltime(t, &m->pdel);
			hl_buf_uvint(t, w->nblock_offs);
			hl_buf_put(t, w->blocks.p, w->blocks.len);
			for (size_t i = 0; i < w->nblock_offs; i++)
				hl_buf_u32(t, w->block_offs[i]);
			hl_buf_uvint(e, t->len);
			hl_buf_put(e, t->p, t->len);
		} else {
			hl_buf_uvint(e, 0);
		}
		if (wf_write(w, C_INDEX, e->p, e->len, err))
			return -1;
	}

	/* filter, estimator, statistics, order */
	if (w->nparts * 2 + 2 > (int64_t)w->caphashes) {
		w->caphashes = w->caphashes ? w->caphashes * 2 : 256;
		w->hashes = hl_realloc(w->hashes, w->caphashes * sizeof(*w->hashes));
	}
	hl_murmur3_128(m->key, m->keylen, &w->hashes[w->nparts * 2], &w->hashes[w->nparts * 2 + 1]);
	sst_hll_offer(&w->hll, m->key, m->keylen);
	w->psize[sst_ehist_bucket(w->psize_off, SST_PSIZE_OFFSETS, (int64_t)pb->len)]++;
	w->cellsh[sst_ehist_bucket(w->cells_off, SST_CELLS_OFFSETS, w->part_cells)]++;
	if (w->nparts == 0)
		hl_buf_put(&w->first_key, m->key, m->keylen);
	hl_buf_reset(&w->prev_key);
	hl_buf_put(&w->prev_key, m->key, m->keylen);
	w->prev_token = token;
	w->have_prev = true;
	w->nparts++;
	w->failed = false;
	return 0;
}

/* ------------------------------------------------------------ open */

static int wcol_cmp(const void *a, const void *b)
{
	const wcol *x = a, *y = b;

	if (x->complex != y->complex)
		return x->complex ? 1 : -1;
	return key_cmp((const uint8_t *)x->name, x->name_len, (const uint8_t *)y->name, y->name_len);
}

static void put_vstr(hl_buf *b, const void *p, size_t n)
{
	hl_buf_uvint(b, n);
	hl_buf_put(b, p, n);
}

static void put_type_str(hl_buf *b, const ty_type *t, bool reversed)
{
	hl_buf s;

	hl_buf_init(&s);
	sst_format_marshal(t, reversed, &s);
	put_vstr(b, s.p, s.len);
	hl_buf_free(&s);
}

static int check_schema(const sst_write_schema *s, hl_err *err)
{
	if (!s || s->nkey < 1 || !s->key_types || s->nclust < 0 || (s->nclust > 0 && !s->clust) ||
	    s->ncols < 0 || (s->ncols > 0 && !s->cols))
		return hl_errf(err, HL_ERR_SERVER, "sstable writer: incomplete schema");
	for (int i = 0; i < s->nkey; i++)
		if (!s->key_types[i])
			return hl_errf(err, HL_ERR_SERVER, "sstable writer: partition key type missing");
	for (int i = 0; i < s->nclust; i++)
		if (!s->clust[i].type)
			return hl_errf(err, HL_ERR_SERVER, "sstable writer: clustering type missing");
	for (int i = 0; i < s->ncols; i++) {
		if (!s->cols[i].name || !s->cols[i].type || s->cols[i].index < 0 ||
		    s->cols[i].index > 1000000)
			return hl_errf(err, HL_ERR_SERVER, "sstable writer: column %d is incomplete", i);
		for (int j = 0; j < i; j++)
			if (s->cols[j].index == s->cols[i].index || strcmp(s->cols[j].name, s->cols[i].name) == 0)
				return hl_errf(err, HL_ERR_SERVER,
					       "sstable writer: columns %s and %s share a name or index",
					       s->cols[j].name, s->cols[i].name);
	}
	return 0;
}

static void build_header(sst_writer *w, const sst_write_schema *s)
{
	hl_buf *h = &w->header;

	hl_buf_uvint(h, (uint64_t)(w->min_ts - TS_EPOCH));
	put_delta32(h, w->min_ldt, LDT_EPOCH);
	put_delta32(h, w->min_ttl, 0);
	if (s->nkey == 1) {
		put_type_str(h, s->key_types[0], false);
	} else {
		hl_buf t;

		hl_buf_init(&t);
		hl_buf_str(&t, "org.apache.cassandra.db.marshal.CompositeType(");
		for (int i = 0; i < s->nkey; i++) {
			if (i)
				hl_buf_u8(&t, ',');
			sst_format_marshal(s->key_types[i], false, &t);
		}
		hl_buf_u8(&t, ')');
		put_vstr(h, t.p, t.len);
		hl_buf_free(&t);
	}
	hl_buf_uvint(h, (uint64_t)w->nclust);
	for (int i = 0; i < w->nclust; i++)
		put_type_str(h, w->clust[i].type, w->clust[i].reversed);
	hl_buf_uvint(h, (uint64_t)w->nstatic);
	for (int i = 0; i < w->nstatic; i++) {
		put_vstr(h, w->scols[i].name, w->scols[i].name_len);
		put_type_str(h, w->scols[i].type, false);
	}
	hl_buf_uvint(h, (uint64_t)w->nregular);
	for (int i = 0; i < w->nregular; i++) {
		put_vstr(h, w->rcols[i].name, w->rcols[i].name_len);
		put_type_str(h, w->rcols[i].type, false);
	}
}

int sst_writer_open(const char *dir, int64_t generation, const sst_write_schema *schema,
		    const sst_write_opts *opts, sst_writer **out, hl_err *err)
{
	sst_writer *w;
	struct stat st;
	char path[4200];
	int rc = -1;

	*out = NULL;
	if (check_schema(schema, err))
		return -1;
	if (generation < 0 || generation > 9999999999LL)
		return hl_errf(err, HL_ERR_SERVER, "sstable writer: bad generation %lld", (long long)generation);
	w = hl_calloc(1, sizeof(*w));
	w->arena = hl_arena_new(4096);
	for (int i = 0; i < C_COUNT; i++) {
		w->f[i].fd = -1;
		hl_buf_init(&w->f[i].buf);
	}
	hl_buf_init(&w->header);
	hl_buf_init(&w->pbuf);
	hl_buf_init(&w->body);
	hl_buf_init(&w->blocks);
	hl_buf_init(&w->entry);
	hl_buf_init(&w->prev_key);
	hl_buf_init(&w->first_key);
	sst_hll_init(&w->hll);
	w->dir = hl_arena_strdup(w->arena, dir);
	w->prefix = hl_arena_printf(w->arena, "%s/nb-%lld-big-", dir, (long long)generation);
	if (opts)
		w->o = *opts;
	if (w->o.chunk_length == 0)
		w->o.chunk_length = 16384;
	if (w->o.zstd_level == 0)
		w->o.zstd_level = 3;
	if (w->o.bloom_fp_chance == 0)
		w->o.bloom_fp_chance = 0.01;
	if (w->o.column_index_size == 0)
		w->o.column_index_size = 4096;
	if (w->o.min_index_interval == 0)
		w->o.min_index_interval = 128;
	if (w->o.max_index_interval == 0)
		w->o.max_index_interval = w->o.min_index_interval > 2048 ? w->o.min_index_interval : 2048;
	if (w->o.chunk_length < 16 || w->o.chunk_length > SST_MAX_CHUNK ||
	    (w->o.chunk_length & (w->o.chunk_length - 1)) || w->o.bloom_fp_chance < 0 ||
	    w->o.min_index_interval < 1 || w->o.max_index_interval < w->o.min_index_interval ||
	    (int)w->o.compressor < 0 || w->o.compressor > SST_COMPRESS_ZSTD) {
		hl_errf(err, HL_ERR_SERVER, "sstable writer: bad options (chunk length %u, index intervals %d..%d)",
			w->o.chunk_length, w->o.min_index_interval, w->o.max_index_interval);
		goto exit;
	}
#ifndef HL_HAVE_ZSTD
	if (w->o.compressor == SST_COMPRESS_ZSTD) {
		hl_errf(err, HL_ERR_SERVER, "sstable writer: this build has no Zstd support");
		goto exit;
	}
#endif
	if (stat(dir, &st) < 0) {
		hl_errf(err, HL_ERR_SERVER, "sstable directory %s: %s", dir, strerror(errno));
		goto exit;
	}
	if (!S_ISDIR(st.st_mode)) {
		hl_errf(err, HL_ERR_SERVER, "sstable directory %s: not a directory", dir);
		goto exit;
	}
	for (int c = 0; c < C_COUNT; c++) {
		wpath(w, c, false, path, sizeof(path));
		if (access(path, F_OK) == 0) {
			hl_errf(err, HL_ERR_SERVER, "sstable component %s already exists", path);
			goto exit;
		}
	}

	/* schema: clustering, then columns in header order */
	w->nclust = schema->nclust;
	w->clust = hl_arena_zalloc(w->arena, (size_t)(w->nclust + 1) * sizeof(*w->clust));
	w->clust_fixed = hl_arena_zalloc(w->arena, (size_t)(w->nclust + 1) * sizeof(int));
	for (int i = 0; i < w->nclust; i++) {
		w->clust[i] = schema->clust[i];
		w->clust_fixed[i] = sst_fixed_width(schema->clust[i].type);
	}
	w->scols = hl_arena_zalloc(w->arena, (size_t)(schema->ncols + 1) * sizeof(wcol));
	w->rcols = hl_arena_zalloc(w->arena, (size_t)(schema->ncols + 1) * sizeof(wcol));
	w->maxidx = -1;
	for (int i = 0; i < schema->ncols; i++) {
		const sst_write_col *c = &schema->cols[i];
		wcol *d = c->is_static ? &w->scols[w->nstatic++] : &w->rcols[w->nregular++];

		d->name = c->name;
		d->name_len = strlen(c->name);
		d->type = c->type;
		d->complex = ty_is_multicell(c->type);
		d->counter = c->type->kind == TY_COUNTER;
		d->fixed = d->counter ? -1 : sst_fixed_width(c->type);
		d->index = c->index;
		if (d->complex) {
			if (c->type->kind == TY_LIST)
				d->path_type = ty_simple(TY_TIMEUUID);
			else if (c->type->kind == TY_SET || c->type->kind == TY_MAP)
				d->path_type = c->type->sub[0];
		}
		if (c->index > w->maxidx)
			w->maxidx = c->index;
	}
	qsort(w->scols, (size_t)w->nstatic, sizeof(wcol), wcol_cmp);
	qsort(w->rcols, (size_t)w->nregular, sizeof(wcol), wcol_cmp);
	w->smap = hl_arena_alloc(w->arena, (size_t)(w->maxidx + 2) * sizeof(int));
	w->rmap = hl_arena_alloc(w->arena, (size_t)(w->maxidx + 2) * sizeof(int));
	for (int i = 0; i <= w->maxidx; i++)
		w->smap[i] = w->rmap[i] = -1;
	for (int i = 0; i < w->nstatic; i++)
		w->smap[w->scols[i].index] = i;
	for (int i = 0; i < w->nregular; i++)
		w->rmap[w->rcols[i].index] = i;
	{
		int n = (w->nstatic > w->nregular ? w->nstatic : w->nregular) + 1;

		w->cdel = hl_arena_alloc(w->arena, (size_t)n * sizeof(*w->cdel));
		w->present = hl_arena_alloc(w->arena, (size_t)n);
	}

	/* delta-encoding bases */
	w->min_ts = opts && opts->enc && opts->enc->has_ts ? opts->enc->min_ts : TS_EPOCH;
	w->min_ldt = opts && opts->enc && opts->enc->has_ldt ? sst_w_ldt32(opts->enc->min_ldt) : LDT_EPOCH;
	w->min_ttl = opts && opts->enc && opts->enc->has_ttl ? opts->enc->min_ttl : 0;
	build_header(w, schema);

	/* statistics */
	sst_ehist_offsets(w->psize_off, SST_PSIZE_OFFSETS);
	sst_ehist_offsets(w->cells_off, SST_CELLS_OFFSETS);
	w->cmm_limit = w->nclust;
	w->cmin = hl_calloc((size_t)w->nclust + 1, sizeof(hl_buf));
	w->cmax = hl_calloc((size_t)w->nclust + 1, sizeof(hl_buf));
	w->cmin_set = hl_calloc((size_t)w->nclust + 1, sizeof(bool));

	/* Data.db stream */
	w->chunk_len = w->o.compressor == SST_COMPRESS_NONE ? CRC_CHUNK : w->o.chunk_length;
	w->chunk = hl_malloc(w->chunk_len);
	switch (w->o.compressor) {
	case SST_COMPRESS_LZ4:
		w->ccap = (size_t)LZ4_compressBound((int)w->chunk_len) + 4;
		break;
	case SST_COMPRESS_SNAPPY:
		w->ccap = snappy_max_compressed_length(w->chunk_len);
		break;
	case SST_COMPRESS_DEFLATE:
		w->ccap = compressBound(w->chunk_len);
		break;
#ifdef HL_HAVE_ZSTD
	case SST_COMPRESS_ZSTD:
		w->ccap = ZSTD_compressBound(w->chunk_len);
		w->zctx = ZSTD_createCCtx();
		break;
#endif
	default:
		w->ccap = 0;
		break;
	}
	if (w->ccap)
		w->cbuf = hl_malloc(w->ccap);
	if (wf_open(w, C_DATA, err) || wf_open(w, C_INDEX, err))
		goto exit;
	*out = w;
	w = NULL;
	rc = 0;
exit:
	if (w)
		sst_writer_abort(w);
	return rc;
}

uint64_t sst_writer_data_size(const sst_writer *w)
{
	return w->ulen;
}

int64_t sst_writer_partitions(const sst_writer *w)
{
	return w->nparts;
}

/* ------------------------------------------------------------ finish */

static void put_utf(hl_buf *b, const char *s)
{
	hl_buf_pstring(b, s, strlen(s));
}

static void put_f64(hl_buf *b, double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	hl_buf_u64(b, u);
}

static void put_le32(hl_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		hl_buf_u8(b, (uint8_t)(v >> (8 * i)));
}

static void put_hist(hl_buf *b, const int64_t *off, const int64_t *counts, int noff)
{
	hl_buf_u32(b, (uint32_t)(noff + 1));
	for (int i = 0; i <= noff; i++) {
		hl_buf_u64(b, (uint64_t)off[i == 0 ? 0 : i - 1]);
		hl_buf_u64(b, (uint64_t)counts[i]);
	}
}

static void build_stats(sst_writer *w, hl_buf *b)
{
	int nmm = 0;

	put_hist(b, w->psize_off, w->psize, SST_PSIZE_OFFSETS);
	put_hist(b, w->cells_off, w->cellsh, SST_CELLS_OFFSETS);
	/* commit log upper bound: none (this data is not in a commit log) */
	hl_buf_u64(b, (uint64_t)-1);
	hl_buf_u32(b, 0);
	hl_buf_u64(b, (uint64_t)(w->ts_set ? w->st_min_ts : INT64_MIN));
	hl_buf_u64(b, (uint64_t)(w->ts_set ? w->st_max_ts : INT64_MAX));
	hl_buf_u32(b, (uint32_t)(w->ldt_set ? w->st_min_ldt : INT32_MAX));
	hl_buf_u32(b, (uint32_t)(w->ldt_set ? w->st_max_ldt : INT32_MAX));
	hl_buf_u32(b, (uint32_t)(w->ttl_set ? w->st_min_ttl : 0));
	hl_buf_u32(b, (uint32_t)(w->ttl_set ? w->st_max_ttl : 0));
	put_f64(b, w->o.compressor == SST_COMPRESS_NONE || w->ulen == 0
			   ? -1.0
			   : (double)w->comp_bytes / (double)w->ulen);
	/* the histogram's bin count is written as its "max bin size" too, as 4.0 does */
	hl_buf_u32(b, (uint32_t)w->ntomb);
	hl_buf_u32(b, (uint32_t)w->ntomb);
	for (int i = 0; i < w->ntomb; i++) {
		put_f64(b, (double)w->tomb[i].point);
		hl_buf_u64(b, (uint64_t)w->tomb[i].count);
	}
	hl_buf_u32(b, (uint32_t)w->o.sstable_level);
	hl_buf_u64(b, (uint64_t)w->o.repaired_at);
	while (nmm < w->cmm_limit && w->cmin_set[nmm])
		nmm++;
	for (int side = 0; side < 2; side++) {
		hl_buf *v = side ? w->cmax : w->cmin;

		hl_buf_u32(b, (uint32_t)nmm);
		for (int i = 0; i < nmm; i++)
			hl_buf_pshortbytes(b, v[i].p, v[i].len);
	}
	hl_buf_u8(b, 0);         /* hasLegacyCounterShards */
	hl_buf_u64(b, (uint64_t)w->total_cols);
	hl_buf_u64(b, (uint64_t)w->total_rows);
	hl_buf_u64(b, (uint64_t)-1);  /* commit log lower bound: none */
	hl_buf_u32(b, 0);
	hl_buf_u32(b, 0);        /* commit log intervals: none */
	hl_buf_u8(b, 0);         /* pending repair: none */
	hl_buf_u8(b, 0);         /* isTransient */
	hl_buf_u8(b, w->o.has_host_id);
	if (w->o.has_host_id)
		hl_buf_put(b, w->o.host_id.b, 16);
}

static int write_statistics(sst_writer *w, hl_err *err)
{
	hl_buf comp[4], out;
	uint32_t off, crc;
	int rc;

	for (int i = 0; i < 4; i++)
		hl_buf_init(&comp[i]);
	hl_buf_init(&out);
	put_utf(&comp[0], "org.apache.cassandra.dht.Murmur3Partitioner");
	put_f64(&comp[0], w->o.bloom_fp_chance);
	{
		hl_buf h;

		hl_buf_init(&h);
		sst_hll_serialize(&w->hll, &h);
		hl_buf_u32(&comp[1], (uint32_t)h.len);
		hl_buf_put(&comp[1], h.p, h.len);
		hl_buf_free(&h);
	}
	build_stats(w, &comp[2]);
	hl_buf_put(&comp[3], w->header.p, w->header.len);

	/* count, CRC of it, TOC, CRC of count + TOC, then each component + CRC */
	hl_buf_u32(&out, 4);
	hl_buf_u32(&out, hl_crc32(0, out.p, 4));
	off = 4 + 4 + 4 * 8 + 4;
	for (int i = 0; i < 4; i++) {
		hl_buf_u32(&out, (uint32_t)i);
		hl_buf_u32(&out, off);
		off += (uint32_t)comp[i].len + 4;
	}
	crc = hl_crc32(0, out.p, 4);
	crc = hl_crc32(crc, out.p + 8, 32);
	hl_buf_u32(&out, crc);
	for (int i = 0; i < 4; i++) {
		hl_buf_put(&out, comp[i].p, comp[i].len);
		hl_buf_u32(&out, hl_crc32(0, comp[i].p, comp[i].len));
	}
	rc = wf_whole(w, C_STATS, &out, err);
	for (int i = 0; i < 4; i++)
		hl_buf_free(&comp[i]);
	hl_buf_free(&out);
	return rc;
}

static int write_summary(sst_writer *w, hl_err *err)
{
	hl_buf b;
	uint64_t entries = 0;
	uint32_t off;
	int rc;

	hl_buf_init(&b);
	for (size_t i = 0; i < w->nsamples; i++)
		entries += w->samples[i].len + 8;
	hl_buf_u32(&b, (uint32_t)w->o.min_index_interval);
	hl_buf_u32(&b, (uint32_t)w->nsamples);
	hl_buf_u64(&b, 4 * w->nsamples + entries);
	hl_buf_u32(&b, 128);     /* sampling level: full */
	hl_buf_u32(&b, (uint32_t)((w->nparts + w->o.min_index_interval - 1) / w->o.min_index_interval));
	/* offsets and positions are little-endian (written from memory) */
	off = (uint32_t)(4 * w->nsamples);
	for (size_t i = 0; i < w->nsamples; i++) {
		put_le32(&b, off);
		off += w->samples[i].len + 8;
	}
	for (size_t i = 0; i < w->nsamples; i++) {
		hl_buf_put(&b, w->samples[i].key, w->samples[i].len);
		put_le32(&b, (uint32_t)w->samples[i].ipos);
		put_le32(&b, (uint32_t)(w->samples[i].ipos >> 32));
	}
	hl_buf_u32(&b, (uint32_t)w->first_key.len);
	hl_buf_put(&b, w->first_key.p, w->first_key.len);
	hl_buf_u32(&b, (uint32_t)w->prev_key.len);
	hl_buf_put(&b, w->prev_key.p, w->prev_key.len);
	rc = wf_whole(w, C_SUMMARY, &b, err);
	hl_buf_free(&b);
	return rc;
}

static int write_filter(sst_writer *w, hl_err *err)
{
	int buckets, k, rc;
	uint64_t bits, words;
	uint8_t *bf;
	hl_buf b;

	sst_bloom_spec(w->o.bloom_fp_chance, &buckets, &k);
	bits = (uint64_t)w->nparts * (uint64_t)buckets + 20;
	words = (bits + 63) / 64;
	if (words > INT32_MAX)
		return hl_errf(err, HL_ERR_SERVER, "sstable writer: bloom filter too large");
	bits = words * 64;
	bf = hl_calloc((size_t)words, 8);
	for (int64_t i = 0; i < w->nparts; i++) {
		uint64_t base = (uint64_t)w->hashes[2 * i + 1], inc = (uint64_t)w->hashes[2 * i];

		/* ma+: start at h2, step by h1; |base % bits| with Java's signed remainder */
		for (int j = 0; j < k; j++) {
			int64_t rem = (int64_t)base % (int64_t)bits;
			uint64_t bit = (uint64_t)(rem < 0 ? -rem : rem);

			bf[bit >> 3] |= (uint8_t)(1u << (bit & 7));
			base += inc;
		}
	}
	hl_buf_init(&b);
	hl_buf_u32(&b, (uint32_t)k);
	hl_buf_u32(&b, (uint32_t)words);
	hl_buf_put(&b, bf, (size_t)words * 8);    /* n*: memory order, no swap */
	rc = wf_whole(w, C_FILTER, &b, err);
	hl_buf_free(&b);
	free(bf);
	return rc;
}

static int write_compression(sst_writer *w, hl_err *err)
{
	static const char *const names[] = { "LZ4Compressor", "", "SnappyCompressor",
					     "DeflateCompressor", "ZstdCompressor" };
	hl_buf b;
	int rc;

	hl_buf_init(&b);
	if (w->o.compressor == SST_COMPRESS_NONE) {
		hl_buf_u32(&b, CRC_CHUNK);
		for (size_t i = 0; i < w->ncrcs; i++)
			hl_buf_u32(&b, w->crcs[i]);
		rc = wf_whole(w, C_CRC, &b, err);
	} else {
		put_utf(&b, names[w->o.compressor]);
		hl_buf_u32(&b, 0);                 /* options */
		hl_buf_u32(&b, w->chunk_len);
		hl_buf_u32(&b, (uint32_t)INT32_MAX);  /* max compressed length: min_compress_ratio 0 */
		hl_buf_u64(&b, w->ulen);
		hl_buf_u32(&b, (uint32_t)w->noffs);
		for (size_t i = 0; i < w->noffs; i++)
			hl_buf_u64(&b, w->offs[i]);
		rc = wf_whole(w, C_COMPINFO, &b, err);
	}
	hl_buf_free(&b);
	return rc;
}

static int publish(sst_writer *w, hl_err *err)
{
	char from[4200], to[4200];
	int dfd;

	for (int pass = 0; pass < 2; pass++)
		for (int c = 0; c < C_COUNT; c++) {
			if (!w->f[c].created || (c == C_TOC) != (pass == 1))
				continue;
			wpath(w, c, true, from, sizeof(from));
			wpath(w, c, false, to, sizeof(to));
			if (rename(from, to) < 0)
				return io_fail(w, c, "rename", err);
			w->f[c].created = false;
			w->f[c].renamed = true;
		}
	if (!w->o.no_sync) {
		dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			int e = errno;

			if (dfd >= 0)
				close(dfd);
			return hl_errf(err, HL_ERR_SERVER, "cannot sync sstable directory %s: %s", w->dir,
				       strerror(e));
		}
		close(dfd);
	}
	return 0;
}

int sst_writer_finish(sst_writer *w, hl_err *err)
{
	hl_buf b;
	int rc = -1;

	hl_buf_init(&b);
	if (w->failed) {
		hl_errf(err, HL_ERR_SERVER, "sstable writer for %s has failed", w->prefix);
		goto exit;
	}
	if (w->nparts == 0) {
		hl_errf(err, HL_ERR_SERVER, "sstable writer for %s: no partitions", w->prefix);
		goto exit;
	}
	if (ds_emit(w, err) || wf_close(w, C_DATA, err) || wf_close(w, C_INDEX, err) ||
	    write_compression(w, err) || write_summary(w, err) ||
	    (w->o.bloom_fp_chance < 1.0 && write_filter(w, err)) || write_statistics(w, err))
		goto exit;
	hl_buf_printf(&b, "%u", w->f[C_DATA].crc);
	if (wf_whole(w, C_DIGEST, &b, err))
		goto exit;
	hl_buf_reset(&b);
	for (int c = 0; c < C_COUNT; c++)
		if (w->f[c].created || c == C_TOC)
			hl_buf_printf(&b, "%s\n", comp_names[c]);
	if (wf_whole(w, C_TOC, &b, err) || publish(w, err))
		goto exit;
	rc = 0;
exit:
	hl_buf_free(&b);
	if (rc)
		remove_all(w);
	writer_free(w);
	return rc;
}
