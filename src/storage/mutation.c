/*
 * storage/mutation.c: the mutation builder. A mutation is plain linked data
 * in the caller's arena, with every byte string copied in, so statement
 * execution can reuse its buffers and the mutation can cross to the owning
 * shard (or, later, into the commit log) on its own.
 */
#include "storage/st_int.h"

#include <string.h>

/* Paths of complex cells are never NULL (NULL means "simple cell"), even
 * when empty; this constant gives empty ones an address. */
static const uint8_t empty_path[1];

static const uint8_t *dup_bytes(hl_arena *a, const void *p, size_t n)
{
	return n ? hl_arena_memdup(a, p, n) : NULL;
}

static st_bytes *dup_values(hl_arena *a, int n, const st_bytes *v)
{
	st_bytes *out;

	if (n <= 0)
		return NULL;
	out = hl_arena_alloc(a, (size_t)n * sizeof(*out));
	for (int i = 0; i < n; i++) {
		out[i].p = dup_bytes(a, v[i].p, v[i].len);
		out[i].len = v[i].len;
	}
	return out;
}

static void dup_bound(hl_arena *a, st_bound *dst, const st_bound *src)
{
	dst->n = src ? src->n : 0;
	dst->vals = src ? dup_values(a, src->n, src->vals) : NULL;
	dst->inclusive = src ? src->inclusive : true;
}

static st_mrow *mrow_new(hl_arena *a)
{
	st_mrow *r = hl_arena_zalloc(a, sizeof(*r));

	r->arena = a;
	r->marker.ts = ST_NO_TS;
	r->del.ts = ST_NO_TS;
	r->del.ldt = ST_NO_LDT;
	return r;
}

st_mutation *st_mut_new(hl_arena *a, const void *key, size_t keylen, int64_t token)
{
	st_mutation *m = hl_arena_zalloc(a, sizeof(*m));

	m->arena = a;
	m->key = dup_bytes(a, key, keylen);
	m->keylen = (uint32_t)keylen;
	m->token = token;
	m->pdel.ts = ST_NO_TS;
	m->pdel.ldt = ST_NO_LDT;
	return m;
}

void st_mut_delete_partition(st_mutation *m, int64_t ts, int64_t ldt)
{
	st_deletion d = { ts, ldt };

	if (m->pdel.ts == ST_NO_TS || st__deletion_supersedes(&d, &m->pdel))
		m->pdel = d;
}

st_mrow *st_mut_row(st_mutation *m, int n, const st_bytes *clust)
{
	st_mrow *r = mrow_new(m->arena);

	r->nclust = n;
	r->clust = dup_values(m->arena, n, clust);
	if (m->rows_tail)
		m->rows_tail->next = r;
	else
		m->rows = r;
	m->rows_tail = r;
	m->nrows++;
	return r;
}

st_mrow *st_mut_static(st_mutation *m)
{
	if (!m->static_row)
		m->static_row = mrow_new(m->arena);
	return m->static_row;
}

void st_mut_range_tombstone(st_mutation *m, const st_bound *start, const st_bound *end,
			    int64_t ts, int64_t ldt)
{
	st_range_tomb *rt = hl_arena_zalloc(m->arena, sizeof(*rt));

	dup_bound(m->arena, &rt->start, start);
	dup_bound(m->arena, &rt->end, end);
	rt->del.ts = ts;
	rt->del.ldt = ldt;
	if (m->rts_tail)
		m->rts_tail->next = rt;
	else
		m->rts = rt;
	m->rts_tail = rt;
	m->nrts++;
}

void st_row_marker(st_mrow *r, int64_t ts, int32_t ttl, int64_t expire)
{
	st_liveness l = { ts, ttl > 0 ? ttl : 0, ttl > 0 ? expire : ST_NO_LDT };

	if (r->marker.ts == ST_NO_TS || st__liveness_supersedes(&l, &r->marker))
		r->marker = l;
}

void st_row_delete(st_mrow *r, int64_t ts, int64_t ldt)
{
	st_deletion d = { ts, ldt };

	if (r->del.ts == ST_NO_TS || st__deletion_supersedes(&d, &r->del))
		r->del = d;
}

static void add_cell(st_mrow *r, int col, const void *path, size_t plen, bool complex,
		     int64_t ts, int32_t ttl, int64_t ldt, const void *v, size_t n)
{
	hl_arena *a = r->arena;
	st_cell *c = hl_arena_zalloc(a, sizeof(*c));

	c->col = col;
	if (complex) {
		c->path = plen ? dup_bytes(a, path, plen) : empty_path;
		c->path_len = (uint32_t)plen;
	}
	c->ts = ts;
	c->ttl = ttl;
	c->ldt = ldt;
	c->value = dup_bytes(a, v, n);
	c->len = (uint32_t)n;
	if (r->cells_tail)
		r->cells_tail->next = c;
	else
		r->cells = c;
	r->cells_tail = c;
	r->ncells++;
}

void st_row_cell(st_mrow *r, int col, int64_t ts, int32_t ttl, int64_t expire,
		 const void *v, size_t n)
{
	add_cell(r, col, NULL, 0, false, ts, ttl > 0 ? ttl : 0, ttl > 0 ? expire : ST_NO_LDT, v, n);
}

void st_row_tombstone(st_mrow *r, int col, int64_t ts, int64_t ldt)
{
	add_cell(r, col, NULL, 0, false, ts, 0, ldt, NULL, 0);
}

void st_row_cell_path(st_mrow *r, int col, const void *path, size_t plen, int64_t ts,
		      int32_t ttl, int64_t expire, const void *v, size_t n)
{
	add_cell(r, col, path, plen, true, ts, ttl > 0 ? ttl : 0, ttl > 0 ? expire : ST_NO_LDT,
		 v, n);
}

void st_row_tombstone_path(st_mrow *r, int col, const void *path, size_t plen, int64_t ts,
			   int64_t ldt)
{
	add_cell(r, col, path, plen, true, ts, 0, ldt, NULL, 0);
}

void st_row_complex_delete(st_mrow *r, int col, int64_t ts, int64_t ldt)
{
	st_complex_del *d = hl_arena_zalloc(r->arena, sizeof(*d));

	d->col = col;
	d->del.ts = ts;
	d->del.ldt = ldt;
	d->next = r->cdels;
	r->cdels = d;
}

void st_mut_static_cell(st_mutation *m, int col, int64_t ts, int32_t ttl, int64_t expire,
			const void *v, size_t n)
{
	st_row_cell(st_mut_static(m), col, ts, ttl, expire, v, n);
}

void st_mut_static_tombstone(st_mutation *m, int col, int64_t ts, int64_t ldt)
{
	st_row_tombstone(st_mut_static(m), col, ts, ldt);
}
