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

#include <string.h>

/* The table record starts with its layout, so one context pointer serves
 * both the row comparators (which read the layout) and the constructors. */
static void *make_part(const void *probe, void *ctx)
{
	st_table *t = ctx;
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

static mt_row *row_new(st_table *t, const st_bytes *clust, int n)
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
	st_table *t = ctx;

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
static int validate(const st_table *t, const st_mutation *m, hl_err *err)
{
	const st_table_layout *l = &t->layout;

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

static void merge_cdel(st_table *t, mt_row *r, int col, const st_deletion *d)
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

static void set_value(st_table *t, mt_cell *m, const st_cell *c)
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

static void merge_cell(st_table *t, mt_row *r, const st_cell *c)
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
	if (r->ncells == r->capcells) {
		int cap = r->capcells ? r->capcells * 2 : 4;
		mt_cell *n = hl_arena_alloc(t->arena, sizeof(*n) * (size_t)cap);

		if (r->ncells)
			memcpy(n, r->cells, sizeof(*n) * (size_t)r->ncells);
		r->cells = n;
		r->capcells = cap;
	}
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

static void merge_row(st_table *t, mt_row *r, const st_mrow *u)
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
	for (const st_cell *c = u->cells; c; c = c->next)
		if (c->ts > shadow_ts(r, c->col))
			merge_cell(t, r, c);
}

/* ------------------------------------------------------------ range tombstones */

static void copy_bound(st_table *t, st_bound *dst, const st_bound *src)
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
static void add_rt(st_table *t, mt_part *p, const st_range_tomb *u)
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

/* ------------------------------------------------------------ apply */

int st_apply(st_engine *e, const hl_uuid *table, const st_mutation *m, hl_err *err)
{
	st_table *t = st__table(e, table);
	st_pkey k;
	mt_part *p;
	int rc = -1;

	if (!t) {
		hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
		goto exit;
	}
	if (validate(t, m, err))
		goto exit;
	k.token = m->token;
	k.key = m->key;
	k.keylen = m->keylen;
	p = st_sl_upsert(&t->parts, &k, st__cmp_part, t, make_part)->item;
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
	rc = 0;
exit:
	return rc;
}
