/*
 * sstable/sst_slice.c: reading part of a partition through its promoted
 * index (Index.db's IndexInfo blocks, shared/docs/sstable-format.md
 * section 5), and the clustering order the selection and the decoder's
 * filtering use.
 *
 * Block selection is deliberately conservative: a block is skipped only
 * when its first / last clustering prefix is strictly outside a slice on
 * the components they share, so a block that might hold something of a
 * slice is always read. The decoder then keeps exactly what the slices
 * select, so the index only ever saves work and never changes the answer.
 */
#include "sstable/sst_int.h"

#include <string.h>

/* ------------------------------------------------------------ clustering order */

int sst_cmp_values(const sst_reader *r, const st_bytes *a, const st_bytes *b, int n)
{
	for (int i = 0; i < n; i++) {
		int c = ty_compare(r->clust_types[i], a[i].p, a[i].len, b[i].p, b[i].len);

		if (c) {
			c = c < 0 ? -1 : 1;
			return r->meta.clust[i].reversed ? -c : c;
		}
	}
	return 0;
}

/* Where a bound sits against the rows sharing its prefix: an inclusive
 * start or exclusive end before them, an exclusive start or inclusive end
 * after them (Cassandra's Kind.comparedToClustering). */
static int bound_dir(const st_bound *b, bool is_end)
{
	if (is_end)
		return b->inclusive ? 1 : -1;
	return b->inclusive ? -1 : 1;
}

int sst_cmp_row_bound(const sst_reader *r, const st_bytes *row, const st_bound *b, bool is_end)
{
	int c = sst_cmp_values(r, row, b->vals, b->n);

	return c ? c : -bound_dir(b, is_end);
}

int sst_cmp_bounds(const sst_reader *r, const st_bound *a, bool a_end, const st_bound *b,
		   bool b_end)
{
	int n = a->n < b->n ? a->n : b->n;
	int c = sst_cmp_values(r, a->vals, b->vals, n);
	int da, db;

	if (c)
		return c;
	da = bound_dir(a, a_end);
	db = bound_dir(b, b_end);
	if (a->n == b->n)
		return da < db ? -1 : da > db;
	/* the shorter prefix brackets every clustering the longer one names */
	return a->n < b->n ? da : -db;
}

/* ------------------------------------------------------------ promoted index */

/* One IndexInfo. Names are the prefix up to the first null component
 * (only COMPACT STORAGE writes nulls), which keeps comparisons on them
 * conservative. */
typedef struct pblock {
	int nfirst, nlast;
	st_bytes *first, *last;
	uint64_t off, width;           /* relative to the partition start */
	bool open;                     /* a range tombstone is open at its end */
	st_deletion open_del;
} pblock;

typedef struct pindex {
	uint64_t hlen;                 /* partition header length */
	uint64_t count;
	const uint8_t *infos;          /* the IndexInfo list */
	size_t infos_len;
	const uint8_t *table;          /* offsets table (NULL: use seq) */
	size_t *seq;                   /* IndexInfo offsets found by a walk */
	size_t base;                   /* Index.db offset of infos, for errors */
} pindex;

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int read_name(const sst_reader *r, hl_rd *rd, hl_arena *a, st_bytes **vals, int *n)
{
	uint8_t kind;
	uint16_t size;
	bool had_null;
	int k;

	if (hl_rd_u8(rd, &kind))
		return -1;
	if (kind == 4) {
		k = r->nclust;   /* CLUSTERING: every column, no size */
	} else {
		if (kind > 7 || kind == 3 || hl_rd_u16(rd, &size) || size > r->nclust)
			return -1;
		k = size;
	}
	*vals = hl_arena_alloc(a, (size_t)(k ? k : 1) * sizeof(**vals));
	if (sst_read_clustering(r, rd, k, *vals, &had_null))
		return -1;
	*n = k;
	for (int i = 0; had_null && i < k; i++)
		if (!(*vals)[i].p) {
			*n = i;
			break;
		}
	return 0;
}

static int read_block(const sst_reader *r, hl_rd *rd, hl_arena *a, pblock *b)
{
	uint64_t off;
	int64_t width;
	uint8_t open;
	bool live;

	if (read_name(r, rd, a, &b->first, &b->nfirst) || read_name(r, rd, a, &b->last, &b->nlast) ||
	    hl_rd_uvint(rd, &off) || hl_rd_vint(rd, &width) || hl_rd_u8(rd, &open) || open > 1)
		return -1;
	/* the width is stored relative to 64 KiB (IndexInfo's WIDTH_BASE) */
	width += 65536;
	if (width <= 0)
		return -1;
	b->off = off;
	b->width = (uint64_t)width;
	b->open = open;
	if (open && sst_read_deltime(r, rd, &b->open_del, &live))
		return -1;
	if (open && live)
		b->open = false;
	return 0;
}

/* IndexInfo i, bounds-checked against its neighbour's offset. */
static int get_block(sst_reader *r, const pindex *pi, uint64_t i, pblock *b, hl_err *err)
{
	size_t lo, hi;
	hl_rd rd;

	if (pi->table) {
		lo = be32(pi->table + 4 * i);
		hi = i + 1 < pi->count ? be32(pi->table + 4 * (i + 1)) : pi->infos_len;
	} else {
		lo = pi->seq[i];
		hi = i + 1 < pi->count ? pi->seq[i + 1] : pi->infos_len;
	}
	if (lo >= hi || hi > pi->infos_len)
		return sst_corrupt(r, err, "Index.db", pi->base, "bad IndexInfo offset %zu", lo);
	hl_rd_init(&rd, pi->infos + lo, hi - lo);
	if (read_block(r, &rd, r->scratch, b) || hl_rd_left(&rd) != 0)
		return sst_corrupt(r, err, "Index.db", pi->base + lo, "malformed IndexInfo %llu",
				   (unsigned long long)i);
	return 0;
}

static int open_pindex(sst_reader *r, const sst_ientry *e, pindex *pi, hl_err *err)
{
	hl_rd rd;
	st_deletion d;
	bool live;
	size_t base = e->off;

	memset(pi, 0, sizeof(*pi));
	pi->base = base;
	hl_rd_init(&rd, e->pidx, e->pidx_len);
	if (hl_rd_uvint(&rd, &pi->hlen) || sst_read_deltime(r, &rd, &d, &live) ||
	    hl_rd_uvint(&rd, &pi->count) || pi->count == 0 || pi->count > hl_rd_left(&rd))
		return sst_corrupt(r, err, "Index.db", base, "malformed promoted index");
	pi->infos = rd.p + rd.pos;
	pi->infos_len = hl_rd_left(&rd);
	/* every entry had its offsets table at open: random access */
	if (r->pidx_offsets) {
		if (pi->infos_len < pi->count * 4)
			return sst_corrupt(r, err, "Index.db", base, "promoted index without its offsets");
		pi->infos_len -= pi->count * 4;
		pi->table = pi->infos + pi->infos_len;
		return 0;
	}
	/* otherwise one walk to find each IndexInfo */
	pi->seq = hl_arena_alloc(r->scratch, (size_t)pi->count * sizeof(*pi->seq));
	hl_rd_init(&rd, pi->infos, pi->infos_len);
	for (uint64_t i = 0; i < pi->count; i++) {
		pblock b;

		pi->seq[i] = rd.pos;
		if (read_block(r, &rd, r->scratch, &b))
			return sst_corrupt(r, err, "Index.db", base + rd.pos, "malformed IndexInfo");
	}
	pi->infos_len = rd.pos;
	return 0;
}

/* Is the name strictly before the start bound / after the end bound on the
 * components both have? Equal prefixes may straddle it: not strictly. */
static bool before_start(const sst_reader *r, const st_bytes *v, int n, const st_bound *s)
{
	return sst_cmp_values(r, v, s->vals, n < s->n ? n : s->n) < 0;
}

static bool after_end(const sst_reader *r, const st_bytes *v, int n, const st_bound *e)
{
	return sst_cmp_values(r, v, e->vals, n < e->n ? n : e->n) > 0;
}

/* The first block that may reach slice start s: blocks ending strictly
 * before it form a prefix of the list. */
static int first_block(sst_reader *r, const pindex *pi, const st_bound *s, uint64_t *out,
		       hl_err *err)
{
	uint64_t lo = 0, hi = pi->count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		pblock b;

		if (get_block(r, pi, mid, &b, err))
			return -1;
		if (before_start(r, b.last, b.nlast, s))
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

/* Decode blocks [from, to) keeping what slices[0..n) select. */
static int read_run(sst_reader *r, const sst_ientry *e, const pindex *pi, st_mutation *m,
		    uint64_t from, uint64_t to, int n, const st_slice *slices, hl_arena *a,
		    hl_err *err)
{
	pblock first, lastb, prev;
	const st_deletion *open = NULL;
	uint64_t start, end, plen = e->end - e->pos;
	bool last = to == pi->count;

	if (get_block(r, pi, from, &first, err) || get_block(r, pi, to - 1, &lastb, err))
		return -1;
	if (from > 0) {
		if (get_block(r, pi, from - 1, &prev, err))
			return -1;
		if (prev.open)
			open = &prev.open_del;
	}
	start = first.off;
	end = lastb.off + lastb.width;
	if (start < pi->hlen || end <= start || end > plen || (last && end != plen))
		return sst_corrupt(r, err, "Index.db", pi->base,
				   "IndexInfo blocks %llu..%llu (%llu..%llu) do not fit the partition of %llu bytes",
				   (unsigned long long)from, (unsigned long long)to - 1,
				   (unsigned long long)start, (unsigned long long)end,
				   (unsigned long long)plen);
	if (sst_data_read_point(r, e->pos + start, (size_t)(end - start), &r->pbuf, err))
		return -1;
	r->stats.blocks_read += (int64_t)(to - from);
	return sst_decode_run(r, m, r->pbuf.p, r->pbuf.len, e->pos + start, open, last, n, slices, a,
			      err);
}

/* Header, then each run of blocks the slices need, with those slices. */
static int read_indexed(sst_reader *r, const sst_ientry *e, int nslices, const st_slice *slices,
			hl_arena *a, st_mutation **out, hl_err *err)
{
	pindex pi;
	st_mutation *m;
	/* the run being gathered: blocks [rs, re), for slices [sa, sb) */
	uint64_t rs = 0, re = 0, nread = 0;
	int sa = 0, sb = 0;

	if (open_pindex(r, e, &pi, err))
		return -1;
	if (pi.hlen == 0 || pi.hlen > e->end - e->pos)
		return sst_corrupt(r, err, "Index.db", e->off, "partition header length %llu",
				   (unsigned long long)pi.hlen);
	if (sst_data_read_point(r, e->pos, (size_t)pi.hlen, &r->pbuf, err) ||
	    sst_decode_head(r, r->pbuf.p, r->pbuf.len, e->pos, a, &m, err))
		return -1;
	for (int k = 0; k < nslices; k++) {
		uint64_t lo, hi;

		if (first_block(r, &pi, &slices[k].start, &lo, err))
			return -1;
		if (lo >= pi.count)
			break;   /* this slice and the later ones start past every block */
		/* Block lo is read even when it starts after the slice ends: a
		 * range tombstone open across the gap is only seen from inside it. */
		for (hi = lo + 1; hi < pi.count; hi++) {
			pblock b;

			if (get_block(r, &pi, hi, &b, err))
				return -1;
			if (after_end(r, b.first, b.nfirst, &slices[k].end))
				break;
		}
		/* overlapping or adjacent to the run: one read and decode */
		if (sb > sa && lo <= re) {
			if (hi > re)
				re = hi;
			sb = k + 1;
			continue;
		}
		if (sb > sa) {
			if (read_run(r, e, &pi, m, rs, re, sb - sa, slices + sa, a, err))
				return -1;
			nread += re - rs;
		}
		rs = lo;
		re = hi;
		sa = k;
		sb = k + 1;
	}
	if (sb > sa) {
		if (read_run(r, e, &pi, m, rs, re, sb - sa, slices + sa, a, err))
			return -1;
		nread += re - rs;
	}
	r->stats.blocks_skipped += (int64_t)(pi.count - nread);
	*out = m;
	return 0;
}

int sst_get_partition_slice(sst_reader *r, const void *key, size_t keylen, int64_t token,
			    int nslices, const st_slice *slices, hl_arena *a, st_mutation **out,
			    hl_err *err)
{
	sst_counts saved = r->counts;
	sst_ientry e;
	int rc;

	*out = NULL;
	for (int i = 0; i < nslices; i++)
		if (slices[i].start.n < 0 || slices[i].start.n > r->nclust || slices[i].end.n < 0 ||
		    slices[i].end.n > r->nclust)
			return hl_errf(err, HL_ERR_INVALID,
				       "sstable %s: slice bound of %d values for %d clustering columns",
				       r->prefix, slices[i].start.n > r->nclust ? slices[i].start.n
										 : slices[i].end.n,
				       r->nclust);
	rc = sst_lookup(r, key, keylen, token, &e, err);
	if (rc <= 0)
		return rc;
	if (!r->scratch)
		r->scratch = hl_arena_new(4096);
	if (e.pidx) {
		rc = read_indexed(r, &e, nslices, slices, a, out, err);
	} else {
		rc = sst_data_read_point(r, e.pos, (size_t)(e.end - e.pos), &r->pbuf, err);
		if (!rc)
			rc = sst_decode_partition_sliced(r, r->pbuf.p, r->pbuf.len, e.pos, nslices,
							 slices, a, out, err);
	}
	hl_arena_reset(r->scratch);
	r->counts = saved;   /* lookups do not count as iteration */
	if (rc)
		return -1;
	if ((*out)->keylen != e.keylen || memcmp((*out)->key, e.key, e.keylen) != 0)
		return sst_corrupt(r, err, "Data.db", e.pos,
				   "partition key differs from its Index.db entry (index offset %zu)",
				   e.off);
	r->stats.partitions_decoded++;
	return 1;
}
