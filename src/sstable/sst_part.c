/*
 * sstable/sst_part.c: one Data.db partition (already assembled in memory)
 * to an st_mutation. Rows, the static row, cells with the EncodingStats
 * delta encoding, complex (collection) columns, column subsets and range
 * tombstone markers, as in shared/docs/sstable-format.md section 4. Every
 * row and marker carries its own length; the decoded body must end exactly
 * there, which catches most corruption that still parses.
 */
#include "sstable/sst_int.h"

#include <string.h>

/* Unfiltered flags */
#define F_END 0x01
#define F_MARKER 0x02
#define F_TIMESTAMP 0x04
#define F_TTL 0x08
#define F_DELETION 0x10
#define F_ALL_COLUMNS 0x20
#define F_COMPLEX_DELETION 0x40
#define F_EXTENSION 0x80
/* extended flags */
#define FX_STATIC 0x01
#define FX_SHADOWABLE 0x02
/* cell flags */
#define C_DELETED 0x01
#define C_EXPIRING 0x02
#define C_EMPTY 0x04
#define C_ROW_TS 0x08
#define C_ROW_TTL 0x10

typedef struct pctx {
	sst_reader *r;
	hl_arena *a;
	st_mutation *m;
	const uint8_t *p0;       /* partition start */
	uint64_t base;           /* its Data.db offset */
	hl_err *err;
	bool rt_open;
	st_bound rt_start;
	st_deletion rt_del;
	/* Slice reads: keep only rows inside slices[0..nslices) and clip range
	 * tombstones to them. !filter: everything, as stored. */
	bool filter;
	int nslices;
	const st_slice *slices;
} pctx;

/* The empty prefix: bottom as a start, top as an end. A range tombstone
 * open at a run start gets it as its start (the real one lies in a block
 * not read), one still open at a run end as its end; clipping to the run's
 * slices makes both exact, as no slice of the run reaches those blocks. */
static const st_bound unbounded = { 0, NULL, true };

/* The row being decoded; the static row is created only if it has content. */
typedef struct rowctx {
	bool is_static;
	st_mrow *row;
	st_liveness live;
} rowctx;

static uint64_t at(const pctx *x, const hl_rd *rd)
{
	return x->base + (uint64_t)(rd->p - x->p0) + rd->pos;
}

#define CORRUPT(x, rd, ...) sst_corrupt((x)->r, (x)->err, "Data.db", at((x), (rd)), __VA_ARGS__)

static int64_t d_ts(const sst_reader *r, uint64_t delta)
{
	return (int64_t)((uint64_t)r->meta.enc_min_ts + delta);
}

/* Deltas of local deletion times are 32-bit, wrapping as Java ints do. */
static uint32_t d_ldt(const sst_reader *r, uint64_t delta)
{
	return (uint32_t)r->meta.enc_min_ldt + (uint32_t)delta;
}

/* A tombstone's deletion time: int32 before oa, uint32 from oa. */
static int64_t del_ldt(const sst_reader *r, uint32_t v)
{
	return r->v_oa ? (int64_t)v : (int64_t)(int32_t)v;
}

/* An expiration time is never before 1970: negative int32 values in old
 * files are TTL overflow past 2038 (CASSANDRA-14092), i.e. really unsigned. */
static int64_t exp_ldt(uint32_t v)
{
	return (int64_t)v;
}

static int32_t d_ttl(const sst_reader *r, uint64_t delta)
{
	return (int32_t)((uint32_t)r->meta.enc_min_ttl + (uint32_t)delta);
}

static st_mrow *get_row(pctx *x, rowctx *rc)
{
	if (!rc->row)
		rc->row = st_mut_static(x->m);
	return rc->row;
}

/* Sum of a counter context's shards, as an 8-byte bigint. */
static int counter_total(pctx *x, hl_rd *rd, const st_bytes *v, uint8_t out[8])
{
	hl_rd c;
	uint16_t h;
	size_t rest;
	uint64_t total = 0;
	const uint8_t *p;

	hl_rd_init(&c, v->p, v->len);
	if (hl_rd_u16(&c, &h) || (int16_t)h < 0 || hl_rd_raw(&c, (size_t)h * 2, &p))
		return CORRUPT(x, rd, "bad counter context header");
	rest = hl_rd_left(&c);
	if (rest % 32 || rest / 32 < h)
		return CORRUPT(x, rd, "counter context of %u bytes is not whole shards", v->len);
	for (size_t i = 0; i < rest / 32; i++) {
		uint64_t n;

		hl_rd_raw(&c, 24, &p);   /* counter id and logical clock */
		hl_rd_u64(&c, &n);
		total += n;
	}
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(total >> (56 - 8 * i));
	return 0;
}

/* On-disk width of a complex cell's value: element / map value / UDT field. */
static int complex_fixed(pctx *x, hl_rd *rd, const ty_type *t, const st_bytes *path, int *fixed)
{
	switch (t->kind) {
	case TY_LIST:
		*fixed = sst_fixed_width(t->sub[0]);
		return 0;
	case TY_SET:
		*fixed = 0;
		return 0;
	case TY_MAP:
		*fixed = sst_fixed_width(t->sub[1]);
		return 0;
	case TY_UDT: {
		int idx;

		if (path->len != 2)
			return CORRUPT(x, rd, "UDT cell path of %u bytes", path->len);
		idx = path->p[0] << 8 | path->p[1];
		if (idx >= t->nsub)
			return CORRUPT(x, rd, "UDT cell for field %d of %d", idx, t->nsub);
		*fixed = sst_fixed_width(t->sub[idx]);
		return 0;
	}
	default:
		return CORRUPT(x, rd, "complex cell in a column that is not a collection or UDT");
	}
}

static int decode_cell(pctx *x, hl_rd *rd, const sst_coldec *cd, bool in_complex, rowctx *rc)
{
	sst_reader *r = x->r;
	uint8_t f;
	uint64_t u;
	int64_t ts;
	uint32_t ldt = 0;
	int32_t ttl = 0;
	st_bytes path = { NULL, 0 }, val = { (const uint8_t *)"", 0 };
	uint8_t ctr[8];
	int fixed = cd->fixed;
	st_mrow *row;

	if (hl_rd_u8(rd, &f))
		return CORRUPT(x, rd, "truncated cell");
	if ((f & 0xE0) || ((f & C_DELETED) && (f & C_EXPIRING)))
		return CORRUPT(x, rd, "bad cell flags 0x%02x", f);
	if (f & C_ROW_TS) {
		if (rc->live.ts == ST_NO_TS)
			return CORRUPT(x, rd, "cell uses the row timestamp of a row without one");
		ts = rc->live.ts;
	} else {
		if (hl_rd_uvint(rd, &u))
			return CORRUPT(x, rd, "truncated cell timestamp");
		ts = d_ts(r, u);
	}
	if (f & C_ROW_TTL) {
		if (!(f & C_EXPIRING) || rc->live.ttl <= 0)
			return CORRUPT(x, rd, "cell uses the row TTL of a row without one");
		ttl = rc->live.ttl;
		ldt = (uint32_t)rc->live.expire;
	} else {
		if ((f & (C_DELETED | C_EXPIRING))) {
			if (hl_rd_uvint(rd, &u))
				return CORRUPT(x, rd, "truncated cell deletion time");
			ldt = d_ldt(r, u);
		}
		if (f & C_EXPIRING) {
			if (hl_rd_uvint(rd, &u))
				return CORRUPT(x, rd, "truncated cell TTL");
			ttl = d_ttl(r, u);
			if (ttl <= 0)
				return CORRUPT(x, rd, "expiring cell with TTL %d", ttl);
		}
	}
	if (in_complex) {
		if (sst_read_value(rd, -1, &path))
			return CORRUPT(x, rd, "truncated cell path");
		if (complex_fixed(x, rd, cd->type, &path, &fixed))
			return -1;
	}
	if (!(f & C_EMPTY) && sst_read_value(rd, fixed, &val))
		return CORRUPT(x, rd, "truncated value of column %s", cd->name);
	x->r->counts.cells++;
	if (cd->index < 0)
		return 0;
	row = get_row(x, rc);
	if (f & C_DELETED) {
		if (in_complex)
			st_row_tombstone_path(row, cd->index, path.p, path.len, ts, del_ldt(r, ldt));
		else
			st_row_tombstone(row, cd->index, ts, del_ldt(r, ldt));
		return 0;
	}
	if (cd->counter && val.len) {
		if (counter_total(x, rd, &val, ctr))
			return -1;
		val.p = ctr;
		val.len = 8;
	}
	if (in_complex)
		st_row_cell_path(row, cd->index, path.p, path.len, ts, ttl, ttl ? exp_ldt(ldt) : 0, val.p,
				 val.len);
	else
		st_row_cell(row, cd->index, ts, ttl, ttl ? exp_ldt(ldt) : 0, val.p, val.len);
	return 0;
}

static int decode_complex(pctx *x, hl_rd *rd, const sst_coldec *cd, bool has_cdel, rowctx *rc)
{
	uint64_t u, v, n;

	if (has_cdel) {
		int64_t ts;

		if (hl_rd_uvint(rd, &u) || hl_rd_uvint(rd, &v))
			return CORRUPT(x, rd, "truncated complex deletion");
		ts = d_ts(x->r, u);
		/* Long.MIN_VALUE is the "no deletion" placeholder */
		if (ts != INT64_MIN && cd->index >= 0)
			st_row_complex_delete(get_row(x, rc), cd->index, ts, del_ldt(x->r, d_ldt(x->r, v)));
	}
	if (hl_rd_uvint(rd, &n) || n > hl_rd_left(rd))
		return CORRUPT(x, rd, "bad complex cell count");
	for (uint64_t i = 0; i < n; i++)
		if (decode_cell(x, rd, cd, true, rc))
			return -1;
	return 0;
}

/* Which of the header's n columns the row carries (section 4.6). */
static int decode_subset(pctx *x, hl_rd *rd, int n, uint8_t *present)
{
	uint64_t u, missing, k, idx, prev = 0;

	if (n < 64) {
		if (hl_rd_uvint(rd, &u))
			return CORRUPT(x, rd, "truncated column bitmap");
		if (n < 64 && (u >> n) != 0)
			return CORRUPT(x, rd, "column bitmap names columns past the %d in the header", n);
		for (int j = 0; j < n; j++)
			present[j] = !(u >> j & 1);
		return 0;
	}
	if (hl_rd_uvint(rd, &missing) || missing > (uint64_t)n)
		return CORRUPT(x, rd, "bad missing-column count");
	k = (uint64_t)n - missing;
	/* the shorter of the two lists is written: present or missing indices */
	bool list_present = k < (uint64_t)n / 2;
	uint64_t cnt = list_present ? k : missing;

	memset(present, list_present ? 0 : 1, (size_t)n);
	for (uint64_t i = 0; i < cnt; i++) {
		if (hl_rd_uvint(rd, &idx) || idx >= (uint64_t)n || (i > 0 && idx <= prev))
			return CORRUPT(x, rd, "bad column index in a large column subset");
		present[idx] = list_present;
		prev = idx;
	}
	return 0;
}

static bool in_slices(const pctx *x, const st_bytes *clust)
{
	for (int i = 0; i < x->nslices; i++) {
		const st_slice *s = &x->slices[i];

		if (sst_cmp_row_bound(x->r, clust, &s->end, true) > 0)
			continue;
		/* slices are sorted: a row before this start is before the rest */
		return sst_cmp_row_bound(x->r, clust, &s->start, false) > 0;
	}
	return false;
}

static int decode_row(pctx *x, hl_rd *rd, uint8_t flags, uint8_t ext, bool is_static)
{
	sst_reader *r = x->r;
	const sst_coldec *cols = is_static ? r->sdec : r->rdec;
	int ncols = is_static ? r->meta.nstatic : r->meta.nregular;
	st_bytes *clust = NULL;
	uint64_t size, u, v;
	const uint8_t *bp;
	hl_rd body;
	rowctx rc = { is_static, NULL, { ST_NO_TS, 0, 0 } };
	uint8_t *present = hl_arena_alloc(x->a, (size_t)(ncols ? ncols : 1));
	bool had_null;

	if (ext & ~(FX_STATIC | FX_SHADOWABLE))
		return CORRUPT(x, rd, "unknown extended row flags 0x%02x", ext);
	if (!is_static && r->nclust) {
		clust = hl_arena_alloc(x->a, (size_t)r->nclust * sizeof(*clust));
		if (sst_read_clustering(r, rd, r->nclust, clust, &had_null))
			return CORRUPT(x, rd, "truncated row clustering");
		/* only COMPACT STORAGE rows have null (missing) trailing components */
		for (int i = 0; had_null && i < r->nclust; i++)
			if (!clust[i].p)
				clust[i].p = (const uint8_t *)"";
	}
	if (hl_rd_uvint(rd, &size) || size > hl_rd_left(rd))
		return CORRUPT(x, rd, "bad row size");
	hl_rd_init(&body, rd->p + rd->pos, (size_t)size);
	hl_rd_raw(rd, (size_t)size, &bp);
	/* a row outside the slices is stepped over by its size, undecoded */
	if (!is_static && x->filter && !in_slices(x, clust))
		return 0;
	if (hl_rd_uvint(&body, &u))
		return CORRUPT(x, &body, "truncated row");
	if (flags & F_TIMESTAMP) {
		if (hl_rd_uvint(&body, &u))
			return CORRUPT(x, &body, "truncated row timestamp");
		rc.live.ts = d_ts(r, u);
		if (flags & F_TTL) {
			if (hl_rd_uvint(&body, &u) || hl_rd_uvint(&body, &v))
				return CORRUPT(x, &body, "truncated row TTL");
			rc.live.ttl = d_ttl(r, u);
			rc.live.expire = exp_ldt(d_ldt(r, v));
			if (rc.live.ttl <= 0)
				return CORRUPT(x, &body, "row TTL %d", rc.live.ttl);
		}
	} else if (flags & F_TTL) {
		return CORRUPT(x, &body, "row TTL without a row timestamp");
	}
	if (!is_static) {
		rc.row = st_mut_row(x->m, r->nclust, clust);
		r->counts.rows++;
	}
	if (rc.live.ts != ST_NO_TS)
		st_row_marker(get_row(x, &rc), rc.live.ts, rc.live.ttl, rc.live.expire);
	if (flags & F_DELETION) {
		if (hl_rd_uvint(&body, &u) || hl_rd_uvint(&body, &v))
			return CORRUPT(x, &body, "truncated row deletion");
		/* a shadowable deletion (deprecated) is kept as a plain one */
		st_row_delete(get_row(x, &rc), d_ts(r, u), del_ldt(r, d_ldt(r, v)));
	}
	if (flags & F_ALL_COLUMNS)
		memset(present, 1, (size_t)ncols);
	else if (decode_subset(x, &body, ncols, present))
		return -1;
	for (int j = 0; j < ncols; j++) {
		if (!present[j])
			continue;
		if (cols[j].complex) {
			if (decode_complex(x, &body, &cols[j], flags & F_COMPLEX_DELETION, &rc))
				return -1;
		} else if (decode_cell(x, &body, &cols[j], false, &rc)) {
			return -1;
		}
	}
	if (hl_rd_left(&body) != 0)
		return CORRUPT(x, &body, "%zu unread bytes at the end of a row", hl_rd_left(&body));
	if (is_static && rc.row)
		r->counts.statics++;
	return 0;
}

/* The tombstone [rt_start, end], or its intersection with each slice. */
static void rt_emit(pctx *x, const st_bound *end)
{
	if (!x->filter) {
		st_mut_range_tombstone(x->m, &x->rt_start, end, x->rt_del.ts, x->rt_del.ldt);
		return;
	}
	for (int i = 0; i < x->nslices; i++) {
		const st_slice *s = &x->slices[i];
		const st_bound *lo = sst_cmp_bounds(x->r, &x->rt_start, false, &s->start, false) >= 0
					     ? &x->rt_start : &s->start;
		const st_bound *hi = sst_cmp_bounds(x->r, end, true, &s->end, true) <= 0 ? end : &s->end;

		if (sst_cmp_bounds(x->r, lo, false, hi, true) < 0)
			st_mut_range_tombstone(x->m, lo, hi, x->rt_del.ts, x->rt_del.ldt);
	}
}

static int decode_marker(pctx *x, hl_rd *rd)
{
	sst_reader *r = x->r;
	uint8_t kind;
	uint16_t size;
	st_bytes *vals;
	uint64_t msize, u, v;
	st_deletion d[2];
	const uint8_t *bp;
	hl_rd body;
	bool had_null;
	int ndel;
	st_bound b;

	if (hl_rd_u8(rd, &kind) || hl_rd_u16(rd, &size))
		return CORRUPT(x, rd, "truncated range tombstone marker");
	if (size > r->nclust)
		return CORRUPT(x, rd, "marker with %u clustering values of %d", size, r->nclust);
	if (kind > 7 || kind == 3 || kind == 4)
		return CORRUPT(x, rd, "bad range tombstone bound kind %u", kind);
	vals = hl_arena_alloc(x->a, (size_t)(size ? size : 1) * sizeof(*vals));
	if (sst_read_clustering(r, rd, size, vals, &had_null))
		return CORRUPT(x, rd, "truncated marker clustering");
	if (had_null)
		return CORRUPT(x, rd, "null clustering value in a range tombstone bound");
	if (hl_rd_uvint(rd, &msize) || msize > hl_rd_left(rd))
		return CORRUPT(x, rd, "bad marker size");
	hl_rd_init(&body, rd->p + rd->pos, (size_t)msize);
	hl_rd_raw(rd, (size_t)msize, &bp);
	if (hl_rd_uvint(&body, &u))
		return CORRUPT(x, &body, "truncated marker");
	ndel = (kind == 2 || kind == 5) ? 2 : 1;
	for (int i = 0; i < ndel; i++) {
		if (hl_rd_uvint(&body, &u) || hl_rd_uvint(&body, &v))
			return CORRUPT(x, &body, "truncated marker deletion time");
		d[i].ts = d_ts(r, u);
		d[i].ldt = del_ldt(r, d_ldt(r, v));
	}
	if (hl_rd_left(&body) != 0)
		return CORRUPT(x, &body, "%zu unread bytes at the end of a marker", hl_rd_left(&body));
	r->counts.rt_markers++;
	b.n = size;
	b.vals = vals;
	switch (kind) {
	case 1:  /* INCL_START_BOUND */
	case 7:  /* EXCL_START_BOUND */
		if (x->rt_open)
			return CORRUPT(x, rd, "range tombstone opened while another is open");
		b.inclusive = kind == 1 || size == 0;
		x->rt_start = b;
		x->rt_del = d[0];
		x->rt_open = true;
		return 0;
	case 0:  /* EXCL_END_BOUND */
	case 6:  /* INCL_END_BOUND */
		if (!x->rt_open)
			return CORRUPT(x, rd, "range tombstone closed but none is open");
		b.inclusive = kind == 6 || size == 0;
		rt_emit(x, &b);
		x->rt_open = false;
		return 0;
	default: /* 2: EXCL_END_INCL_START, 5: INCL_END_EXCL_START boundaries */
		if (!x->rt_open)
			return CORRUPT(x, rd, "range tombstone boundary but none is open");
		b.inclusive = kind == 5 || size == 0;
		rt_emit(x, &b);
		b.inclusive = kind == 2 || size == 0;
		x->rt_start = b;
		x->rt_del = d[1];
		return 0;
	}
}

/* Key and partition deletion: the mutation is created here. */
static int decode_key(pctx *x, hl_rd *rd)
{
	const uint8_t *key;
	size_t keylen;
	st_deletion pdel;
	bool live;

	if (hl_rd_pshortbytes(rd, &key, &keylen) || sst_read_deltime(x->r, rd, &pdel, &live))
		return CORRUPT(x, rd, "truncated partition header");
	x->m = st_mut_new(x->a, key, keylen, hl_token(key, keylen));
	if (!live)
		st_mut_delete_partition(x->m, pdel.ts, pdel.ldt);
	return 0;
}

/*
 * Unfiltereds until the end marker (until_end) or the end of rd. The
 * static row is accepted only as the first one when static_ok. *ended:
 * the end marker was read (it must then be the last byte).
 */
static int decode_body(pctx *x, hl_rd *rd, bool static_ok, bool until_end, bool *ended)
{
	sst_reader *r = x->r;
	bool first = static_ok;
	uint8_t flags, ext;

	*ended = false;
	while (until_end || hl_rd_left(rd) > 0) {
		if (hl_rd_u8(rd, &flags))
			return CORRUPT(x, rd, "partition ends without an end-of-partition marker");
		if (flags & F_END) {
			if (flags != F_END)
				return CORRUPT(x, rd, "bad end-of-partition flags 0x%02x", flags);
			*ended = true;
			break;
		}
		if (flags & F_MARKER) {
			if (flags != F_MARKER)
				return CORRUPT(x, rd, "bad range tombstone marker flags 0x%02x", flags);
			if (decode_marker(x, rd))
				return -1;
			first = false;
			continue;
		}
		ext = 0;
		if ((flags & F_EXTENSION) && hl_rd_u8(rd, &ext))
			return CORRUPT(x, rd, "truncated row flags");
		if (ext & FX_STATIC) {
			/* the static row can only come first, and only if the header has statics */
			if (!first || r->meta.nstatic == 0)
				return CORRUPT(x, rd, "unexpected static row");
			if (decode_row(x, rd, flags, ext, true))
				return -1;
		} else if (decode_row(x, rd, flags, ext, false)) {
			return -1;
		}
		first = false;
	}
	if (*ended && hl_rd_left(rd) != 0)
		return CORRUPT(x, rd, "%zu bytes after the end of the partition", hl_rd_left(rd));
	return 0;
}

static int decode_whole(pctx *x, const uint8_t *p, size_t len, st_mutation **out)
{
	hl_rd rd;
	bool ended;

	hl_rd_init(&rd, p, len);
	if (decode_key(x, &rd) || decode_body(x, &rd, true, true, &ended))
		return -1;
	if (x->rt_open)
		return CORRUPT(x, &rd, "range tombstone still open at the end of the partition");
	x->r->counts.partitions++;
	*out = x->m;
	return 0;
}

int sst_decode_partition(sst_reader *r, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
			 st_mutation **out, hl_err *err)
{
	pctx x = { r, a, NULL, p, base, err, false, { 0, NULL, true }, { ST_NO_TS, ST_NO_LDT },
		   false, 0, NULL };

	return decode_whole(&x, p, len, out);
}

int sst_decode_partition_sliced(sst_reader *r, const uint8_t *p, size_t len, uint64_t base,
				int nslices, const st_slice *slices, hl_arena *a, st_mutation **out,
				hl_err *err)
{
	pctx x = { r, a, NULL, p, base, err, false, { 0, NULL, true }, { ST_NO_TS, ST_NO_LDT },
		   true, nslices, slices };

	return decode_whole(&x, p, len, out);
}

int sst_decode_head(sst_reader *r, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
		    st_mutation **out, hl_err *err)
{
	pctx x = { r, a, NULL, p, base, err, false, { 0, NULL, true }, { ST_NO_TS, ST_NO_LDT },
		   false, 0, NULL };
	hl_rd rd;
	uint8_t flags, ext = 0;

	hl_rd_init(&rd, p, len);
	if (decode_key(&x, &rd))
		return -1;
	/* what follows the deletion within the header length is the static row */
	if (hl_rd_left(&rd) > 0) {
		if (hl_rd_u8(&rd, &flags) || !(flags & F_EXTENSION) || (flags & (F_END | F_MARKER)) ||
		    hl_rd_u8(&rd, &ext) || !(ext & FX_STATIC) || r->meta.nstatic == 0)
			return CORRUPT(&x, &rd, "partition header length does not end after the static row");
		if (decode_row(&x, &rd, flags, ext, true))
			return -1;
		if (hl_rd_left(&rd) != 0)
			return CORRUPT(&x, &rd, "%zu bytes after the static row in the partition header",
				       hl_rd_left(&rd));
	}
	*out = x.m;
	return 0;
}

int sst_decode_run(sst_reader *r, st_mutation *m, const uint8_t *p, size_t len, uint64_t base,
		   const st_deletion *open, bool last, int nslices, const st_slice *slices,
		   hl_arena *a, hl_err *err)
{
	pctx x = { r, a, m, p, base, err, false, unbounded, { ST_NO_TS, ST_NO_LDT }, true, nslices,
		   slices };
	hl_rd rd;
	bool ended;

	if (open) {
		x.rt_open = true;
		x.rt_del = *open;
	}
	hl_rd_init(&rd, p, len);
	if (decode_body(&x, &rd, false, false, &ended))
		return -1;
	if (ended != last)
		return CORRUPT(&x, &rd, last ? "last index block without the end of the partition"
					     : "end of the partition before the last index block");
	if (x.rt_open) {
		if (last)
			return CORRUPT(&x, &rd, "range tombstone still open at the end of the partition");
		rt_emit(&x, &unbounded);
	}
	return 0;
}
