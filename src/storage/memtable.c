/*
 * storage/memtable.c: applying a mutation to a table's memtable. Every
 * incoming piece (partition deletion, row marker, row deletion, cells,
 * collection deletions, range tombstones) is merged with what is stored
 * using Cassandra's reconciliation (see compare.c), so the memtable always
 * holds, per cell, the single winning version. Data a row deletion shadows
 * is dropped on the spot, as Cassandra's row merge does; everything else
 * (partition deletion, range tombstones) shadows at read time.
 *
 * All memory comes from the table arena. A value overwritten in place reuses
 * its buffer when the new one fits; otherwise the old bytes stay unreachable
 * in the arena until the memtable is flushed or truncated.
 */
#include "storage/st_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Big enough that small tables stay in one chunk, small enough that the
 * hundreds of system tables cost little while empty. */
#define TABLE_ARENA_CHUNK (32 * 1024)

/* The memtable record starts with its layout, so one context pointer serves
 * both the row comparators (which read the layout) and the constructors. */
static void *make_part(const void *probe, void *ctx)
{
	st_memtable *t = ctx;
	const st_pkey *k = probe;
	mt_part *p = hl_arena_zalloc(t->arena, sizeof(*p));

	p->token = k->token;
	p->keylen = k->keylen;
	p->key = k->keylen ? hl_arena_memdup(t->arena, k->key, k->keylen) : NULL;
	p->pdel.ts = ST_NO_TS;
	p->pdel.ldt = ST_NO_LDT;
	st_sl_init(&p->rows, t->arena, &t->rng);
	return p;
}

static mt_row *row_new(st_memtable *t, const st_bytes *clust, int n)
{
	mt_row *r = hl_arena_zalloc(t->arena, sizeof(*r));

	if (n > 0) {
		r->clust = hl_arena_alloc(t->arena, sizeof(st_bytes) * (size_t)n);
		for (int i = 0; i < n; i++) {
			r->clust[i].len = clust[i].len;
			r->clust[i].p = clust[i].len ?
				hl_arena_memdup(t->arena, clust[i].p, clust[i].len) : NULL;
		}
	}
	r->marker.ts = ST_NO_TS;
	r->del.ts = ST_NO_TS;
	r->del.ldt = ST_NO_LDT;
	return r;
}

static void *make_row(const void *probe, void *ctx)
{
	st_memtable *t = ctx;

	t->nrows++;
	return row_new(t, probe, t->layout.nclust);
}

/* ------------------------------------------------------------ validation */

static int check_cells(const st_table_layout *l, const st_mrow *r, bool is_static, hl_err *err)
{
	for (const st_cell *c = r->cells; c; c = c->next) {
		if (c->col < 0 || c->col >= l->ncols)
			return hl_errf(err, HL_ERR_SERVER, "storage: column index %d out of range",
				       c->col);
		if (l->cols[c->col].is_static != is_static)
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: column %d is %sstatic", c->col,
				       is_static ? "not " : "");
		if ((c->path != NULL) != l->cols[c->col].complex)
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: cell path does not match column %d", c->col);
		if (c->ttl < 0)
			return hl_errf(err, HL_ERR_SERVER, "storage: negative TTL");
	}
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		if (d->col < 0 || d->col >= l->ncols || !l->cols[d->col].complex)
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: collection deletion on column %d", d->col);
	return 0;
}

/* Everything is checked before anything is applied, so a bad mutation
 * leaves the memtable untouched. */
int st__mt_validate(const st_table_layout *l, const st_mutation *m, hl_err *err)
{

	if (m->keylen > 0xFFFF)
		return hl_errf(err, HL_ERR_INVALID,
			       "Key length of %u is longer than maximum of 65535", m->keylen);
	if (m->static_row && check_cells(l, m->static_row, true, err))
		return -1;
	for (const st_mrow *r = m->rows; r; r = r->next) {
		if (r->nclust != l->nclust)
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: row has %d clustering values, table has %d",
				       r->nclust, l->nclust);
		if (check_cells(l, r, false, err))
			return -1;
	}
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		if (rt->start.n < 0 || rt->start.n > l->nclust || rt->end.n < 0 ||
		    rt->end.n > l->nclust)
			return hl_errf(err, HL_ERR_SERVER, "storage: malformed range tombstone");
	return 0;
}

/* ------------------------------------------------------------ row merge */

static mt_cdel *find_cdel(mt_row *r, int col)
{
	for (int i = 0; i < r->ncdels; i++)
		if (r->cdels[i].col == col)
			return &r->cdels[i];
	return NULL;
}

static void merge_cdel(st_memtable *t, mt_row *r, int col, const st_deletion *d)
{
	mt_cdel *c = find_cdel(r, col);
	mt_cdel *n;

	if (c) {
		if (st__deletion_supersedes(d, &c->del))
			c->del = *d;
		return;
	}
	/* Rare (one per collection column): grow by copying, old array leaks. */
	n = hl_arena_alloc(t->arena, sizeof(*n) * (size_t)(r->ncdels + 1));
	if (r->ncdels)
		memcpy(n, r->cdels, sizeof(*n) * (size_t)r->ncdels);
	n[r->ncdels].col = col;
	n[r->ncdels].del = *d;
	r->cdels = n;
	r->ncdels++;
}

/* The deletion timestamp that shadows cells of column col in this row. */
static int64_t shadow_ts(mt_row *r, int col)
{
	int64_t ts = r->del.ts;
	mt_cdel *c = r->ncdels ? find_cdel(r, col) : NULL;

	if (c && c->del.ts > ts)
		ts = c->del.ts;
	return ts;
}

/* Drop what the row's own deletions now shadow (deletes() is ts <= del). */
static void purge_row(mt_row *r)
{
	int j = 0;

	if (r->del.ts != ST_NO_TS && r->marker.ts <= r->del.ts)
		r->marker.ts = ST_NO_TS, r->marker.ttl = 0;
	for (int i = 0; i < r->ncdels; i++)
		if (r->cdels[i].del.ts > r->del.ts)
			r->cdels[j++] = r->cdels[i];
	r->ncdels = j;
	j = 0;
	for (int i = 0; i < r->ncells; i++)
		if (r->cells[i].ts > shadow_ts(r, r->cells[i].col))
			r->cells[j++] = r->cells[i];
	r->ncells = j;
}

/* Binary search by (col, path): index of the match, or -(insert point) - 1. */
static int find_cell(const st_table_layout *l, const mt_row *r, const st_cell *c)
{
	int lo = 0, hi = r->ncells - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const mt_cell *m = &r->cells[mid];
		int cmp = st__cmp_cell_key(l, m->col, m->path, m->path_len, c->col, c->path,
					   c->path_len);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static void set_value(st_memtable *t, mt_cell *m, const st_cell *c)
{
	if (c->len > m->cap) {
		m->value = hl_arena_alloc(t->arena, c->len);
		m->cap = c->len;
	}
	if (c->len)
		memcpy(m->value, c->value, c->len);
	m->len = c->len;
	m->ts = c->ts;
	m->ttl = c->ttl;
	m->ldt = c->ldt;
}

/* Room for `more` cells: exact for a new row (the common one-shot insert
 * of all its columns), doubling after that. Old arrays stay in the arena. */
static void reserve_cells(st_memtable *t, mt_row *r, int more)
{
	int cap;
	mt_cell *n;

	if (r->capcells - r->ncells >= more)
		return;
	cap = r->capcells ? r->capcells * 2 : 0;
	if (cap < r->ncells + more)
		cap = r->ncells + more;
	n = hl_arena_alloc(t->arena, sizeof(*n) * (size_t)cap);
	if (r->ncells)
		memcpy(n, r->cells, sizeof(*n) * (size_t)r->ncells);
	r->cells = n;
	r->capcells = cap;
}

static void merge_cell(st_memtable *t, mt_row *r, const st_cell *c)
{
	int pos = find_cell(&t->layout, r, c);
	mt_cell *m;

	if (pos >= 0) {
		m = &r->cells[pos];
		if (st__cell_wins(c->ts, c->ttl, c->ldt, c->value, c->len,
				  m->ts, m->ttl, m->ldt, m->value, m->len))
			set_value(t, m, c);
		return;
	}
	pos = -pos - 1;
	reserve_cells(t, r, 1);
	memmove(&r->cells[pos + 1], &r->cells[pos], sizeof(*m) * (size_t)(r->ncells - pos));
	r->ncells++;
	m = &r->cells[pos];
	memset(m, 0, sizeof(*m));
	m->col = c->col;
	if (c->path) {
		m->path_len = c->path_len;
		/* Keep a non-NULL path for complex cells, even when empty. */
		m->path = hl_arena_alloc(t->arena, c->path_len ? c->path_len : 1);
		if (c->path_len)
			memcpy(m->path, c->path, c->path_len);
	}
	set_value(t, m, c);
}

static void merge_row(st_memtable *t, mt_row *r, const st_mrow *u)
{
	bool purge = false;

	if (u->marker.ts != ST_NO_TS &&
	    (r->marker.ts == ST_NO_TS || st__liveness_supersedes(&u->marker, &r->marker)))
		r->marker = u->marker;
	if (u->del.ts != ST_NO_TS &&
	    (r->del.ts == ST_NO_TS || st__deletion_supersedes(&u->del, &r->del))) {
		r->del = u->del;
		purge = true;
	}
	for (const st_complex_del *d = u->cdels; d; d = d->next) {
		if (d->del.ts <= r->del.ts)
			continue;
		merge_cdel(t, r, d->col, &d->del);
		purge = true;
	}
	if (purge || (r->marker.ts != ST_NO_TS && r->marker.ts <= r->del.ts))
		purge_row(r);
	if (r->ncells == 0) {
		int n = 0;

		for (const st_cell *c = u->cells; c; c = c->next)
			n++;
		reserve_cells(t, r, n);
	}
	for (const st_cell *c = u->cells; c; c = c->next)
		if (c->ts > shadow_ts(r, c->col))
			merge_cell(t, r, c);
}

/* ------------------------------------------------------------ range tombstones */

static void copy_bound(st_memtable *t, st_bound *dst, const st_bound *src)
{
	st_bytes *v = NULL;

	if (src->n > 0) {
		v = hl_arena_alloc(t->arena, sizeof(*v) * (size_t)src->n);
		for (int i = 0; i < src->n; i++) {
			v[i].len = src->vals[i].len;
			v[i].p = v[i].len ? hl_arena_memdup(t->arena, src->vals[i].p, v[i].len) : NULL;
		}
	}
	dst->n = src->n;
	dst->vals = v;
	dst->inclusive = src->inclusive;
}

static bool same_bound(const st_table_layout *l, const st_bound *a, const st_bound *b,
		       bool is_end)
{
	return a->n == b->n && a->inclusive == b->inclusive &&
		st__cmp_bounds(l, a, is_end, b, is_end) == 0;
}

/* Repeated deletes of the same range (a common pattern) merge into one
 * record instead of piling up. */
static void add_rt(st_memtable *t, mt_part *p, const st_range_tomb *u)
{
	mt_rt *rt;

	for (rt = p->rts; rt; rt = rt->next)
		if (same_bound(&t->layout, &rt->start, &u->start, false) &&
		    same_bound(&t->layout, &rt->end, &u->end, true)) {
			if (st__deletion_supersedes(&u->del, &rt->del))
				rt->del = u->del;
			return;
		}
	rt = hl_arena_zalloc(t->arena, sizeof(*rt));
	copy_bound(t, &rt->start, &u->start);
	copy_bound(t, &rt->end, &u->end);
	rt->del = u->del;
	rt->next = p->rts;
	p->rts = rt;
	p->nrts++;
}

/* ------------------------------------------------------------ partition index */

static uint32_t hslot(int64_t token, uint32_t mask)
{
	/* tokens of non-Murmur3 partitioners need not be uniform: mix */
	return (uint32_t)(((uint64_t)token * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

void st_prefetch(const st_engine *e, const hl_uuid *table, int64_t token)
{
	const st_table *t = st__table(e, table);

	/* the slot is a cache miss into a large table; so is the partition it
	 * points to, but loading that pointer here would wait for the first */
	if (t && t->mt && t->mt->hidx)
		__builtin_prefetch(&t->mt->hidx[hslot(token, t->mt->hmask)]);
}

mt_part *st__mt_find(const st_memtable *mt, int64_t token, const uint8_t *key,
		     uint32_t keylen)
{
	if (!mt->hidx)
		return NULL;
	for (uint32_t i = hslot(token, mt->hmask);; i = (i + 1) & mt->hmask) {
		const mt_hslot *h = &mt->hidx[i];

		if (!h->p)
			return NULL;
		if (h->token == token && h->p->keylen == keylen &&
		    (keylen == 0 || memcmp(h->p->key, key, keylen) == 0))
			return h->p;
	}
}

static void hidx_put(mt_hslot *tab, uint32_t mask, mt_part *p)
{
	uint32_t i = hslot(p->token, mask);

	while (tab[i].p)
		i = (i + 1) & mask;
	tab[i].token = p->token;
	tab[i].p = p;
}

/*
 * Large tables are mapped with transparent huge pages requested: a lookup
 * is a random access into megabytes, and on a VM the TLB miss (a nested
 * page walk) cost as much as the cache miss itself.
 */
#define HIDX_MAP_MIN ((size_t)2 << 20)

static mt_hslot *hidx_alloc(size_t nslots, bool *mapped)
{
	size_t bytes = nslots * sizeof(mt_hslot);
	void *p;

	*mapped = false;
	if (bytes < HIDX_MAP_MIN)
		return hl_calloc(nslots, sizeof(mt_hslot));
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return hl_calloc(nslots, sizeof(mt_hslot));
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);
#endif
	*mapped = true;
	return p;                      /* anonymous memory is zeroed */
}

static void hidx_release(mt_hslot *tab, size_t nslots, bool mapped)
{
	if (mapped)
		munmap(tab, nslots * sizeof(mt_hslot));
	else
		free(tab);
}

static void hidx_add(st_memtable *mt, mt_part *p)
{
	if (!mt->hidx || (mt->hcount + 1) * 2 > mt->hmask + 1) {
		uint32_t nslots = mt->hidx ? (mt->hmask + 1) * 2 : 64;
		bool mapped;
		mt_hslot *tab = hidx_alloc(nslots, &mapped);

		for (uint32_t i = 0; mt->hidx && i <= mt->hmask; i++)
			if (mt->hidx[i].p)
				hidx_put(tab, nslots - 1, mt->hidx[i].p);
		if (mt->hidx)
			hidx_release(mt->hidx, (size_t)mt->hmask + 1, mt->hmapped);
		mt->hidx = tab;
		mt->hmapped = mapped;
		mt->hmask = nslots - 1;
	}
	hidx_put(mt->hidx, mt->hmask, p);
	mt->hcount++;
}

static void hidx_free(st_memtable *mt)
{
	if (mt->hidx)
		hidx_release(mt->hidx, (size_t)mt->hmask + 1, mt->hmapped);
	mt->hidx = NULL;
	mt->hmask = mt->hcount = 0;
}

/* ------------------------------------------------------------ apply */

void st__mt_init(st_memtable *mt, const st_table_layout *l, uint64_t seed)
{
	memset(mt, 0, sizeof(*mt));
	mt->layout = *l;
	mt->arena = hl_arena_new(TABLE_ARENA_CHUNK);
	/* Any non-zero seed works for xorshift. */
	mt->rng = seed | 1;
	st_sl_init(&mt->parts, mt->arena, &mt->rng);
	mt->base_used = hl_arena_used(mt->arena);
	mt->min_ts = INT64_MAX;
}

void st__mt_reset(st_memtable *mt)
{
	hl_arena_reset(mt->arena);
	hidx_free(mt);
	st_sl_init(&mt->parts, mt->arena, &mt->rng);
	mt->nrows = 0;
	mt->min_ts = INT64_MAX;
}

size_t st__mt_bytes(const st_memtable *mt)
{
	return mt->arena ? hl_arena_used(mt->arena) - mt->base_used +
			   (mt->hidx ? (size_t)(mt->hmask + 1) * sizeof(mt_hslot) : 0) : 0;
}

void st__mt_free_contents(st_memtable *mt)
{
	if (mt->arena)
		hl_arena_free(mt->arena);
	mt->arena = NULL;
	hidx_free(mt);
	memset(&mt->parts, 0, sizeof(mt->parts));
}

bool st__mt_empty(const st_memtable *mt)
{
	return mt->parts.count == 0;
}

static int64_t min_ts(int64_t a, int64_t b)
{
	return b != ST_NO_TS && b < a ? b : a;
}

/* Compaction may purge a tombstone only if no memtable holds older data it
 * shadows: keep the smallest timestamp each memtable received. */
static int64_t row_min_ts(const st_mrow *r, int64_t m)
{
	m = min_ts(m, r->marker.ts);
	m = min_ts(m, r->del.ts);
	for (const st_cell *c = r->cells; c; c = c->next)
		m = min_ts(m, c->ts);
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		m = min_ts(m, d->del.ts);
	return m;
}

void st__mt_apply(st_memtable *t, const st_mutation *m)
{
	st_pkey k;
	mt_part *p;
	int64_t mts = min_ts(t->min_ts, m->pdel.ts);

	if (m->static_row)
		mts = row_min_ts(m->static_row, mts);
	for (const st_mrow *u = m->rows; u; u = u->next)
		mts = row_min_ts(u, mts);
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		mts = min_ts(mts, rt->del.ts);
	t->min_ts = mts;

	p = st__mt_find(t, m->token, m->key, m->keylen);
	if (!p) {
		k.token = m->token;
		k.key = m->key;
		k.keylen = m->keylen;
		p = st_sl_upsert(&t->parts, &k, st__cmp_part, t, make_part)->item;
		hidx_add(t, p);
	}
	if (m->pdel.ts != ST_NO_TS &&
	    (p->pdel.ts == ST_NO_TS || st__deletion_supersedes(&m->pdel, &p->pdel)))
		p->pdel = m->pdel;
	if (m->static_row) {
		if (!p->statics)
			p->statics = row_new(t, NULL, 0);
		merge_row(t, p->statics, m->static_row);
	}
	for (const st_mrow *u = m->rows; u; u = u->next) {
		mt_row *r = st_sl_upsert(&p->rows, u->clust, st__cmp_row_item, t, make_row)->item;

		merge_row(t, r, u);
	}
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		add_rt(t, p, rt);
}

int st_apply(st_engine *e, const hl_uuid *table, const st_mutation *m, hl_err *err)
{
	st_table *t = st__table(e, table);
	int rc = -1;

	if (!t) {
		hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
		goto exit;
	}
	if (st__mt_validate(&t->layout, m, err))
		goto exit;
	if (!st__token_owned(e, m->token)) {
		/* SSTable reads serve only the shard's range: data accepted here
		 * would vanish at the next flush. A misrouted write is a bug. */
		hl_errf(err, HL_ERR_SERVER, "storage: token %lld is not owned by shard %d",
			(long long)m->token, e->opts.shard);
		goto exit;
	}
	if (t->dir) {
		size_t before = hl_arena_used(t->mt->arena);

		st__mt_apply(t->mt, m);
		e->active_bytes += hl_arena_used(t->mt->arena) - before;
		st__maybe_flush(e);
	} else {
		st__mt_apply(t->mt, m);
	}
	rc = 0;
exit:
	return rc;
}

/* ------------------------------------------------------------ export */

static bool row_empty(const mt_row *r)
{
	return r->marker.ts == ST_NO_TS && r->del.ts == ST_NO_TS && r->ncells == 0 &&
		r->ncdels == 0;
}

bool st__part_empty(const mt_part *p)
{
	if (p->pdel.ts != ST_NO_TS || p->rts || (p->statics && !row_empty(p->statics)))
		return false;
	for (st_sl_node *n = st_sl_first(&p->rows); n; n = n->next[0])
		if (!row_empty(n->item))
			return false;
	return true;
}

static void export_row(st_mrow *o, const mt_row *r)
{
	if (r->marker.ts != ST_NO_TS)
		st_row_marker(o, r->marker.ts, r->marker.ttl, r->marker.expire);
	if (r->del.ts != ST_NO_TS)
		st_row_delete(o, r->del.ts, r->del.ldt);
	for (int i = 0; i < r->ncdels; i++)
		st_row_complex_delete(o, r->cdels[i].col, r->cdels[i].del.ts, r->cdels[i].del.ldt);
	for (int i = 0; i < r->ncells; i++) {
		const mt_cell *c = &r->cells[i];

		if (c->path) {
			if (c->ttl == 0 && c->ldt != ST_NO_LDT)
				st_row_tombstone_path(o, c->col, c->path, c->path_len, c->ts, c->ldt);
			else
				st_row_cell_path(o, c->col, c->path, c->path_len, c->ts, c->ttl, c->ldt,
						 c->value, c->len);
		} else if (c->ttl == 0 && c->ldt != ST_NO_LDT) {
			st_row_tombstone(o, c->col, c->ts, c->ldt);
		} else {
			st_row_cell(o, c->col, c->ts, c->ttl, c->ldt, c->value, c->len);
		}
	}
}

/* The builder copies every byte string into a, so the mutation outlives
 * the memtable (a flush may hand it to the writer after the memtable is
 * gone; a merged read applies it into a scratch memtable). */
st_mutation *st__mt_export(const mt_part *p, int nclust, hl_arena *a)
{
	st_mutation *m = st_mut_new(a, p->key, p->keylen, p->token);

	m->pdel = p->pdel;
	if (p->statics && !row_empty(p->statics))
		export_row(st_mut_static(m), p->statics);
	for (st_sl_node *n = st_sl_first(&p->rows); n; n = n->next[0]) {
		const mt_row *r = n->item;

		if (row_empty(r))
			continue;
		export_row(st_mut_row(m, nclust, r->clust), r);
	}
	/* Sorted output is not required (apply and the writer order range
	 * tombstones themselves); keep insertion order reversed as stored. */
	for (const mt_rt *rt = p->rts; rt; rt = rt->next)
		st_mut_range_tombstone(m, &rt->start, &rt->end, rt->del.ts, rt->del.ldt);
	return m;
}
