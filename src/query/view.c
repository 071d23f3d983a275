/*
 * Materialized view maintenance and build.
 *
 * Every write op on a base table that has views carries a q_vop. On the
 * base partition's shard (which runs one op at a time, so nothing
 * interleaves) the op reads the base rows the mutation touches, applies the
 * mutation, reads them again, and turns each (old row, new row) pair into
 * view mutations (q_view_row): a row tombstone where the view key changed
 * or the row vanished, the view row with the base's timestamps and TTLs
 * otherwise. Back on the coordinator, q_writes_done first posts those view
 * mutations as ordinary WRITE ops to the shards owning the view partitions
 * (q_view_followup), and only answers once they are applied.
 *
 * CREATE MATERIALIZED VIEW builds the view from the base's existing data
 * before answering (q_view_build): each shard's range of the base is read
 * in batches of partitions and written into the view.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q_int.h"

/* The view work attached to one base write op (runs on the base shard). */
typedef struct q_vop {
	const sch_table *base;
	int nviews;
	const sch_table **views;
	int nshards;
	bool durable;
	hl_arena *a;                   /* owned: the op runs on another thread */
	bool skip;                     /* static-only change: no view row moves */
	bool merged;                   /* its mutation was merged into an earlier op's */
	st_result old;
	q_vmut *out, *tail;
	int status;
	hl_err err;
} q_vop;

typedef struct q_vbuild {
	const sch_table *base, *view;
	sch_change chg;
	int (*done)(qry_exec *x, const sch_change *chg);
	int shard;
	bool has_from;
	int64_t from_token;
	uint8_t *from_key;
 	uint32_t from_keylen;
	bool durable;
	hl_arena *step;                /* this batch's view mutations */
} q_vbuild;

struct q_viewst {
	int phase;                     /* 0: base ops; 1: view ops in flight; 2: done */
	int saved_nops;
	qry_op **saved_ops;
	int narenas, caparenas;
	hl_arena **arenas;
	sch_schema *schema;            /* build: the snapshot holding the new view */
	q_vbuild *build;
};

static struct q_viewst *vst(qry_exec *x)
{
	if (!x->vst)
		x->vst = hl_arena_zalloc(x->a, sizeof *x->vst);
	return x->vst;
}

static hl_arena *own_arena(qry_exec *x)
{
	struct q_viewst *v = vst(x);
	if (v->narenas == v->caparenas) {
		int cap = v->caparenas ? v->caparenas * 2 : 8;
		hl_arena **n = hl_arena_alloc(x->a, sizeof *n * (size_t)cap);
		if (v->narenas)
			memcpy(n, v->arenas, sizeof *n * (size_t)v->narenas);
		v->arenas = n;
		v->caparenas = cap;
	}
	hl_arena *a = hl_arena_new(8192);
	v->arenas[v->narenas++] = a;
	return a;
}

void q_view_free(qry_exec *x)
{
	struct q_viewst *v = x->vst;
	if (!v)
		return;
	for (int i = 0; i < v->narenas; i++)
		hl_arena_free(v->arenas[i]);
	v->narenas = 0;
	if (v->build && v->build->step)
		hl_arena_free(v->build->step);
	if (v->build)
		v->build->step = NULL;
	if (v->schema)
		sch_release(v->schema);
	v->schema = NULL;
}

/* ------------------------------------------------------------ view rows */

/* A base column's value in a base row: key component, clustering or cell. */
static bool base_value(const sch_table *base, const sch_column *bc, const q_val *pkv,
		       const st_bytes *clust, const st_rrow *row, st_bytes *out, const st_rcell **cell)
{
	*cell = NULL;
	if (bc->kind == SCH_PARTITION_KEY) {
		out->p = pkv[bc->position].p;
		out->len = (uint32_t)(pkv[bc->position].len < 0 ? 0 : pkv[bc->position].len);
		return pkv[bc->position].len >= 0;
	}
	if (bc->kind == SCH_CLUSTERING) {
		*out = clust[bc->position];
		return true;
	}
	(void)base;
	const st_rcell *c = row ? st_rcell_find(row->cells, row->ncells, bc->id) : NULL;
	if (!c || !c->value)
		return false;
	out->p = c->value;
	out->len = c->len;
	*cell = c;
	return true;
}

typedef struct vkey {
	st_bytes pk[32];
	st_bytes ck[32];
	const st_rcell *reg;           /* the base regular column in the view key */
	uint8_t *key;
	uint32_t keylen;
} vkey;

/* The view primary key of a live base row; false if a key column is null. */
static bool view_key(hl_arena *a, const sch_table *base, const sch_table *view, const q_val *pkv,
		     const st_bytes *clust, const st_rrow *row, vkey *k)
{
	if (view->npk > 32 || view->nck > 32)
		return false;
	k->reg = NULL;
	for (int i = 0; i < view->npk + view->nck; i++) {
		const sch_column *vc = i < view->npk ? view->pk[i] : view->ck[i - view->npk];
		const sch_column *bc = sch_find_column(base, vc->name);
		const st_rcell *cell;
		st_bytes *dst = i < view->npk ? &k->pk[i] : &k->ck[i - view->npk];
		if (!bc || !base_value(base, bc, pkv, clust, row, dst, &cell))
			return false;
		if (cell)
			k->reg = cell;
	}
	if (view->npk == 1) {
		k->key = hl_arena_memdup(a, k->pk[0].p ? (const void *)k->pk[0].p : "", k->pk[0].len + 1);
		k->keylen = k->pk[0].len;
		return true;
	}
	size_t n = 0;
	for (int i = 0; i < view->npk; i++) {
		if (k->pk[i].len > 0xffff)
			return false;
		n += 3 + k->pk[i].len;
	}
	uint8_t *p = hl_arena_alloc(a, n + 1);
	size_t o = 0;
	for (int i = 0; i < view->npk; i++) {
		p[o++] = (uint8_t)(k->pk[i].len >> 8);
		p[o++] = (uint8_t)k->pk[i].len;
		if (k->pk[i].len)
			memcpy(p + o, k->pk[i].p, k->pk[i].len);
		o += k->pk[i].len;
		p[o++] = 0;
	}
	k->key = p;
	k->keylen = (uint32_t)n;
	return true;
}

static bool same_key(const sch_table *view, const vkey *a, const vkey *b)
{
	if (a->keylen != b->keylen || memcmp(a->key, b->key, a->keylen))
		return false;
	for (int i = 0; i < view->nck; i++)
		if (a->ck[i].len != b->ck[i].len || (a->ck[i].len && memcmp(a->ck[i].p, b->ck[i].p, a->ck[i].len)))
			return false;
	return true;
}

static st_mrow *new_row(hl_arena *a, const sch_table *view, const vkey *k, q_vmut **list)
{
	q_vmut *m = hl_arena_zalloc(a, sizeof *m);
	m->table = view->id;
	m->mut = st_mut_new(a, k->key, k->keylen, hl_token(k->key, k->keylen));
	m->next = *list;
	*list = m;
	return st_mut_row(m->mut, view->nck, k->ck);
}

static bool same_cell(const st_rcell *a, const st_rcell *b)
{
	return a->ts == b->ts && a->ttl == b->ttl && a->expire == b->expire && a->len == b->len &&
	       a->path_len == b->path_len && (!a->len || !memcmp(a->value, b->value, a->len)) &&
	       (!a->path_len || !memcmp(a->path, b->path, a->path_len));
}

static const st_rcell *find_path(const st_rrow *r, int col, const uint8_t *path, uint32_t plen)
{
	for (int i = 0; r && i < r->ncells; i++) {
		const st_rcell *c = &r->cells[i];
		if (c->col == col && c->path_len == plen && (!plen || !memcmp(c->path, path, plen)))
			return c;
	}
	return NULL;
}

/* ------------------------------------------------------------ WHERE filter */

/* Is the stored WHERE clause only "c IS NOT NULL" relations (no filter)? */
static bool where_plain(const char *w)
{
	char q = 0;
	const char *rel = w;
	for (const char *p = w;; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			if (*p)
				continue;
		}
		if (*p == '\'' || *p == '"') {
			q = *p;
			continue;
		}
		if (!*p || !strncmp(p, " AND ", 5)) {
			size_t n = (size_t)(p - rel);
			if (n < 12 || strncmp(p - 12, " IS NOT NULL", 12))
				return false;
			if (!*p)
				return true;
			rel = p + 5;
		}
	}
}

/*
 * Does a base row's primary key satisfy the view's WHERE restrictions?
 * The stored text is parsed again (CREATE checked it: single-column =, IN
 * and slices of constants on base primary-key columns); restrictions on a
 * row's key never change for that row, so a row is in the view or not for
 * its whole life. Unreadable restrictions match nothing.
 */
static bool where_match(hl_arena *a, const sch_table *base, const char *w, const q_val *pkv,
			const st_bytes *clust)
{
	if (!w || where_plain(w))
		return true;
	char *text = hl_arena_printf(a, "SELECT * FROM x WHERE %s", w);
	cql_stmt *st;
	hl_err err;
	hl_err_clear(&err);
	if (cql_parse(text, strlen(text), a, &st, &err) < 0 || st->kind != CQL_STMT_SELECT)
		return false;
	for (int i = 0; i < st->select.nwhere; i++) {
		const cql_rel *r = &st->select.where[i];
		if (r->kind == CQL_REL_SINGLE && r->op == CQL_OP_IS_NOT_NULL)
			continue;
		const sch_column *c = r->kind == CQL_REL_SINGLE && r->ncols
				      ? sch_find_column(base, r->cols[0]) : NULL;
		if (!c || (c->kind != SCH_PARTITION_KEY && c->kind != SCH_CLUSTERING))
			return false;
		st_bytes v;
		if (c->kind == SCH_PARTITION_KEY) {
			if (pkv[c->position].len < 0)
				return false;
			v.p = pkv[c->position].p;
			v.len = (uint32_t)pkv[c->position].len;
		} else {
			if (!clust)
				return false;
			v = clust[c->position];
		}
		int nv = r->op == CQL_OP_IN ? r->nvalues : 1;
		bool hit = false;
		for (int j = 0; j < nv && !hit; j++) {
			const cql_term *t = r->op == CQL_OP_IN ? r->values[j] : r->value;
			if (!t || t->kind != CQL_TERM_LITERAL)
				return false;
			hl_buf b;
			hl_buf_init(&b);
			if (ty_from_literal(c->type, &t->lit, c->name, &b, &err) < 0) {
				hl_buf_free(&b);
				return false;
			}
			int cmp = ty_compare(c->type, v.p, v.len, b.p, b.len);
			hl_buf_free(&b);
			switch (r->op) {
			case CQL_OP_EQ: case CQL_OP_IN: hit = cmp == 0; break;
			case CQL_OP_LT: hit = cmp < 0; break;
			case CQL_OP_LTE: hit = cmp <= 0; break;
			case CQL_OP_GT: hit = cmp > 0; break;
			case CQL_OP_GTE: hit = cmp >= 0; break;
			default: return false;
			}
		}
		if (!hit)
			return false;
	}
	return true;
}

int q_view_row(hl_arena *a, const sch_table *base, const sch_table *view, const uint8_t *key,
	       uint32_t keylen, const st_bytes *clust, const st_rrow *old, const st_rrow *new,
	       const st_mrow *mrow, int64_t del_ts, int64_t now_s, q_vmut **out)
{
	q_val pkv[32];
	vkey ko, kn;
	bool has_old, has_new;

	if (base->npk > 32)
		return -1;
	q_split_key(base, key, keylen, pkv);
	/* a base row outside the WHERE restrictions (on its key) has no view row */
	if (!where_match(a, base, view->view ? view->view->where : NULL, pkv, clust))
		return 0;
	has_old = old && view_key(a, base, view, pkv, clust, old, &ko);
	has_new = new && view_key(a, base, view, pkv, clust, new, &kn);
	bool same = has_old && has_new && same_key(view, &ko, &kn);
	if (has_old && !same) {
		/* the view row of the old key goes */
		int64_t ts = del_ts;
		if (has_new && kn.reg && kn.reg->ts > ts)
			ts = kn.reg->ts;
		st_row_delete(new_row(a, view, &ko, out), ts, now_s);
	}
	if (!has_new)
		return 0;
	const st_rrow *prev = same ? old : NULL;
	st_mrow *r = new_row(a, view, &kn, out);
	const st_rcell *reg = kn.reg;
	/* row liveness: tied to the base regular column in the view key (Cassandra's
	 * strict liveness), else the base row marker this write carries, else (a
	 * new view row) the newest live cell */
	if (reg) {
		st_row_marker(r, reg->ts, reg->ttl, reg->ttl > 0 ? reg->expire : 0);
	} else if (mrow && mrow->marker.ts != ST_NO_TS) {
		st_row_marker(r, mrow->marker.ts, mrow->marker.ttl,
			      mrow->marker.ttl > 0 ? mrow->marker.expire : 0);
	} else if (!prev) {
		int64_t ts = INT64_MIN, expire = 0;
		int32_t ttl = 0;
		bool all_expiring = new->ncells > 0;
		for (int i = 0; i < new->ncells; i++) {
			const st_rcell *c = &new->cells[i];
			if (c->ts > ts)
				ts = c->ts;
			if (c->ttl <= 0)
				all_expiring = false;
			else if (c->expire > expire) {
				expire = c->expire;
				ttl = c->ttl;
			}
		}
		if (ts == INT64_MIN)
			ts = del_ts != INT64_MIN ? del_ts : 0;
		st_row_marker(r, ts, all_expiring ? ttl : 0, all_expiring ? expire : 0);
	}
	int64_t tomb_ts = del_ts;
	if (reg && reg->ts > tomb_ts)
		tomb_ts = reg->ts;
	for (int i = 0; i < view->ncols; i++) {
		const sch_column *vc = &view->cols[i];
		if (vc->kind != SCH_REGULAR)
			continue;
		const sch_column *bc = sch_find_column(base, vc->name);
		if (!bc)
			continue;
		for (int j = 0; j < new->ncells; j++) {
			const st_rcell *c = &new->cells[j];
			if (c->col != bc->id)
				continue;
			const st_rcell *pc = prev ? find_path(prev, c->col, c->path, c->path_len) : NULL;
			if (pc && same_cell(pc, c))
				continue;
			int64_t ts = c->ts;
			int32_t ttl = c->ttl;
			int64_t expire = c->ttl > 0 ? c->expire : 0;
			if (reg) {
				/* a view row re-created under an old key must not be shadowed by that
				 * key's earlier tombstone; it also dies with the key column */
				if (reg->ts > ts)
					ts = reg->ts;
				if (reg->ttl > 0 && (ttl <= 0 || expire > reg->expire)) {
					ttl = reg->ttl;
					expire = reg->expire;
				}
			}
			if (c->path)
				st_row_cell_path(r, vc->id, c->path, c->path_len, ts, ttl, expire, c->value, c->len);
			else
				st_row_cell(r, vc->id, ts, ttl, expire, c->value, c->len);
		}
		/* cells the base lost: tombstones at the deleting write's time */
		for (int j = 0; prev && j < prev->ncells; j++) {
			const st_rcell *c = &prev->cells[j];
			if (c->col != bc->id || find_path(new, c->col, c->path, c->path_len))
				continue;
			if (c->path)
				st_row_tombstone_path(r, vc->id, c->path, c->path_len, tomb_ts, now_s);
			else
				st_row_tombstone(r, vc->id, tomb_ts, now_s);
		}
	}
	return 0;
}

/* ------------------------------------------------------------ base ops */

/* Append a copy of src's changes to dst (same partition). */
static void mut_append(st_mutation *dst, const st_mutation *src)
{
	if (src->pdel.ts != ST_NO_TS)
		st_mut_delete_partition(dst, src->pdel.ts, src->pdel.ldt);
	for (const st_range_tomb *rt = src->rts; rt; rt = rt->next)
		st_mut_range_tombstone(dst, &rt->start, &rt->end, rt->del.ts, rt->del.ldt);
	for (int s = 0; s < 2; s++) {
		const st_mrow *r = s ? src->rows : src->static_row;
		for (; r; r = s ? r->next : NULL) {
			st_mrow *d = s ? st_mut_row(dst, r->nclust, r->clust) : st_mut_static(dst);
			if (r->marker.ts != ST_NO_TS)
				st_row_marker(d, r->marker.ts, r->marker.ttl, r->marker.expire);
			if (r->del.ts != ST_NO_TS)
				st_row_delete(d, r->del.ts, r->del.ldt);
			for (const st_complex_del *cd = r->cdels; cd; cd = cd->next)
				st_row_complex_delete(d, cd->col, cd->del.ts, cd->del.ldt);
			for (const st_cell *c = r->cells; c; c = c->next) {
				bool tomb = st_cell_is_tombstone(c);
				if (c->path && tomb)
					st_row_tombstone_path(d, c->col, c->path, c->path_len, c->ts, c->ldt);
				else if (tomb)
					st_row_tombstone(d, c->col, c->ts, c->ldt);
				else if (c->path)
					st_row_cell_path(d, c->col, c->path, c->path_len, c->ts, c->ttl,
							 c->ttl > 0 ? c->ldt : 0, c->value, c->len);
				else
					st_row_cell(d, c->col, c->ts, c->ttl, c->ttl > 0 ? c->ldt : 0, c->value,
						    c->len);
			}
			if (!s)
				break;
		}
	}
}

int q_view_mark(qry_exec *x, const sch_table *pt)
{
	/* the plan may come from an older snapshot: use the request's */
	const sch_table *t = sch_find_table_by_id(q_schema(x), &pt->id);
	if (!t)
		return 0;
	const sch_table *views[64];
	int n = sch_views_of(q_schema(x), t, views, 64);
	if (n == 0)
		return 0;
	if (n > 64)
		n = 64;
	const sch_keyspace *ks = sch_find_keyspace(q_schema(x), t->ks);
	for (int i = 0; i < x->nops; i++) {
		qry_op *op = x->ops[i];
		if (op->view || (op->kind != QRY_OP_WRITE && op->kind != QRY_OP_CAS) ||
		    memcmp(op->table.b, t->id.b, 16))
			continue;
		q_vop *v = hl_arena_zalloc(x->a, sizeof *v);
		/* a batch writing one partition in several statements (one timestamp):
		 * the first op carries all of it, so the view sees one change, as
		 * Cassandra's merged batch mutation gives */
		if (op->kind == QRY_OP_WRITE && op->mut) {
			for (int j = 0; j < i; j++) {
				qry_op *f = x->ops[j];
				q_vop *fv = f->view;
				if (fv && !fv->merged && f->kind == QRY_OP_WRITE && f->mut &&
				    !memcmp(f->table.b, t->id.b, 16) && f->mut->keylen == op->mut->keylen &&
				    !memcmp(f->mut->key, op->mut->key, op->mut->keylen)) {
					mut_append(f->mut, op->mut);
					/* emptied, so the order the two ops run in cannot matter */
					op->mut = st_mut_new(x->a, op->mut->key, op->mut->keylen, op->mut->token);
					v->merged = true;
					break;
				}
			}
		}
		v->base = t;
		v->nviews = n;
		v->views = hl_arena_memdup(x->a, views, sizeof views[0] * (size_t)n);
		v->nshards = x->sh->nshards;
		v->durable = !ks || ks->durable_writes;
		v->a = own_arena(x);
		op->view = v;
	}
	return 0;
}

typedef struct { const sch_table *t; const st_bytes *c; } sl_ent;

static int sl_cmp(const void *x, const void *y)
{
	const sl_ent *a = x, *b = y;
	return q_clust_compare(a->t, a->t->nck, a->c, b->c);
}

/* The base rows the mutation touches: its rows, or all with a partition or range deletion. */
static void read_cmd(q_vop *v, const st_mutation *m, int64_t now_s, st_read_cmd *cmd)
{
	const sch_table *t = v->base;
	st_read_init(cmd);
	cmd->kind = ST_READ_PARTITION;
	cmd->key = m->key;
	cmd->keylen = m->keylen;
	cmd->token = m->token;
	cmd->now = now_s;
	if (m->pdel.ts != ST_NO_TS || m->rts || t->nck == 0)
		return;
	sl_ent *e = hl_arena_alloc(v->a, sizeof *e * (size_t)(m->nrows + 1));
	int n = 0;
	for (const st_mrow *r = m->rows; r; r = r->next)
		if (r->nclust == t->nck)
			e[n++] = (sl_ent){ t, r->clust };
	qsort(e, (size_t)n, sizeof *e, sl_cmp);
	st_slice *s = hl_arena_zalloc(v->a, sizeof *s * (size_t)(n + 1));
	int ns = 0;
	for (int i = 0; i < n; i++) {
		if (ns && !q_clust_compare(t, t->nck, s[ns - 1].start.vals, e[i].c))
			continue;
		s[ns].start.n = s[ns].end.n = t->nck;
		s[ns].start.vals = s[ns].end.vals = e[i].c;
		s[ns].start.inclusive = s[ns].end.inclusive = true;
		ns++;
	}
	cmd->has_slices = true;
	cmd->nslices = ns;
	cmd->slices = s;
}

static int64_t mut_max_ts(const st_mutation *m)
{
	int64_t ts = m->pdel.ts;
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		if (rt->del.ts > ts)
			ts = rt->del.ts;
	for (const st_mrow *r = m->rows; r; r = r->next) {
		if (r->marker.ts > ts)
			ts = r->marker.ts;
		if (r->del.ts > ts)
			ts = r->del.ts;
		for (const st_cell *c = r->cells; c; c = c->next)
			if (c->ts > ts)
				ts = c->ts;
		for (const st_complex_del *d = r->cdels; d; d = d->next)
			if (d->del.ts > ts)
				ts = d->del.ts;
	}
	return ts;
}

static const st_mrow *mut_row(const sch_table *t, const st_mutation *m, const st_bytes *clust)
{
	for (const st_mrow *r = m->rows; r; r = r->next)
		if (r->nclust == t->nck && !q_clust_compare(t, t->nck, r->clust, clust))
			return r;
	return NULL;
}

void q_view_before(qry_op *op, st_engine *e)
{
	q_vop *v = op->view;
	const st_mutation *m = op->mut;
	v->skip = v->merged || !m || (!m->rows && !m->rts && m->pdel.ts == ST_NO_TS);
	if (v->skip)
		return;
	st_read_cmd cmd;
	read_cmd(v, m, hl_now_micros() / 1000000, &cmd);
	memset(&v->old, 0, sizeof v->old);
	if (st_read(e, &v->base->id, &cmd, v->a, &v->old, &v->err) < 0)
		v->status = -1;
}

void q_view_after(qry_op *op, st_engine *e)
{
	q_vop *v = op->view;
	const st_mutation *m = op->mut;
	if (v->skip || v->status < 0)
		return;
	int64_t now_s = hl_now_micros() / 1000000;
	st_read_cmd cmd;
	st_result nr;
	read_cmd(v, m, now_s, &cmd);
	memset(&nr, 0, sizeof nr);
	if (st_read(e, &v->base->id, &cmd, v->a, &nr, &v->err) < 0) {
		v->status = -1;
		return;
	}
	const sch_table *t = v->base;
	int64_t del_ts = mut_max_ts(m);
	const st_rrow *o = v->old.parts ? v->old.parts->rows : NULL;
	const st_rrow *n = nr.parts ? nr.parts->rows : NULL;
	/* both lists are in clustering order: walk them together */
	while (o || n) {
		int c = !o ? 1 : !n ? -1 : q_clust_compare(t, t->nck, o->clust, n->clust);
		const st_rrow *ro = c <= 0 ? o : NULL, *rn = c >= 0 ? n : NULL;
		const st_bytes *clust = ro ? ro->clust : rn->clust;
		const st_mrow *mr = mut_row(t, m, clust);
		for (int i = 0; i < v->nviews; i++)
			if (q_view_row(v->a, t, v->views[i], m->key, m->keylen, clust, ro, rn, mr, del_ts, now_s,
				       &v->out) < 0) {
				v->status = hl_errf(&v->err, HL_ERR_SERVER, "view update failed");
				return;
			}
		if (ro)
			o = o->next;
		if (rn)
			n = n->next;
	}
	for (q_vmut *vm = v->out; vm; vm = vm->next) {
		vm->shard = qry_shard_of_token(vm->mut->token, v->nshards);
		vm->durable = v->durable;
	}
}

void q_view_write(qry_shard *target, qry_op *op, st_engine *e)
{
	/* read, apply and read again without yielding: nothing else touches the
	 * partition meanwhile. With batch/group sync the write is visible before
	 * it is durable and acknowledged after, as a CAS write is. */
	q_view_before(op, e);
	if (!op->local && target->log && op->durable) {
		op->status = cl_append(target->log, &op->table, op->mut, &op->pos, &op->err);
		if (op->status < 0)
			return;
	}
	/* the base write maintains the base's secondary indexes as any write does */
	op->status = q_index_apply(op->local ? NULL : target, e, &op->table, op->mut, &op->err);
	if (op->status < 0)
		return;
	q_view_after(op, e);
	if (!op->local && target->log && op->durable && target->wait_durable) {
		op->wait = true;
		op->applied_early = true;
	}
}

static void add_vops(qry_exec *x, qry_op *op, q_vmut **head, int *n, hl_err **verr)
{
	q_vop *v = op->view;
	if (!v)
		return;
	if (v->status < 0 && !*verr)
		*verr = &v->err;
	for (q_vmut *m = v->out; m; m = m->next) {
		q_vmut *c = hl_arena_memdup(x->a, m, sizeof *m);
		c->next = *head;
		*head = c;
		(*n)++;
	}
}

static int post_vmuts(qry_exec *x, q_vmut *list)
{
	x->ops = NULL;
	x->nops = 0;
	for (q_vmut *m = list; m; m = m->next) {
		qry_op *op = q_new_op(x, QRY_OP_WRITE, m->shard);
		if (!op)
			return -1;
		op->table = m->table;
		op->mut = m->mut;
		op->durable = m->durable;
	}
	return 0;
}

int q_view_followup(qry_exec *x)
{
	struct q_viewst *v = x->vst;
	if (!v || v->phase == 2 || v->build)
		return 0;
	if (v->phase == 1) {
		int rc = 0;
		for (int i = 0; i < x->nops; i++)
			if (x->ops[i]->status < 0) {
				x->err = x->ops[i]->err;
				rc = -1;
				break;
			}
		x->ops = v->saved_ops;
		x->nops = v->saved_nops;
		v->phase = 2;
		return rc;
	}
	q_vmut *list = NULL;
	int n = 0;
	hl_err *verr = NULL;
	for (int i = 0; i < x->nops; i++) {
		qry_op *op = x->ops[i];
		if (op->status < 0)
			return 0;   /* the base write failed: the caller reports it */
		if (op->kind == QRY_OP_CASB) {
			q_casb *b = op->cas;
			for (int j = 0; b->applied && j < b->nsub; j++)
				add_vops(x, b->subs[j], &list, &n, &verr);
		} else {
			add_vops(x, op, &list, &n, &verr);
		}
	}
	if (verr) {
		x->err = *verr;
		return -1;
	}
	v->phase = 2;
	if (!n)
		return 0;
	v->saved_ops = x->ops;
	v->saved_nops = x->nops;
	if (post_vmuts(x, list) < 0)
		return -1;
	v->phase = 1;
	return 1;
}

/* ------------------------------------------------------------ build */

static int build_step(qry_exec *x);

static int build_finish(qry_exec *x)
{
	struct q_viewst *v = x->vst;
	q_vbuild *b = v->build;
	if (v->schema) {
		sch_release(v->schema);
		v->schema = NULL;
	}
	return b->done(x, &b->chg);
}

static int build_written(qry_exec *x)
{
	q_vbuild *b = x->vst->build;
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->status < 0) {
			x->err = x->ops[i]->err;
			return -1;
		}
	if (b->step) {
		hl_arena_free(b->step);
		b->step = NULL;
	}
	return build_step(x);
}

#define BUILD_PARTITIONS 256

static int build_read(qry_exec *x)
{
	q_vbuild *b = x->vst->build;
	qry_op *op = x->ops[0];
	if (op->status < 0) {
		x->err = op->err;
		return -1;
	}
	b->step = hl_arena_new(16384);
	q_vmut *list = NULL;
	int64_t now_s = hl_now_micros() / 1000000;
	const st_rpart *last = NULL;
	for (const st_rpart *p = op->res.parts; p; p = p->next) {
		for (const st_rrow *r = p->rows; r; r = r->next)
			if (q_view_row(b->step, b->base, b->view, p->key, p->keylen, r->clust, NULL, r, NULL,
				       INT64_MIN, now_s, &list) < 0)
				return hl_errf(&x->err, HL_ERR_SERVER, "view build failed");
		last = p;
	}
	if (op->res.more && last) {
		b->has_from = true;
		b->from_token = last->token;
		b->from_key = hl_arena_memdup(x->a, last->key, last->keylen + 1);
		b->from_keylen = last->keylen;
	} else {
		b->shard++;
		b->has_from = false;
	}
	for (q_vmut *m = list; m; m = m->next) {
		m->shard = qry_shard_of_token(m->mut->token, x->sh->nshards);
		m->durable = b->durable;
	}
	if (!list)
		return build_written(x);
	if (post_vmuts(x, list) < 0)
		return -1;
	return q_pending(x, build_written);
}

static int build_step(qry_exec *x)
{
	q_vbuild *b = x->vst->build;
	if (b->shard >= x->sh->nshards)
		return build_finish(x);
	x->ops = NULL;
	x->nops = 0;
	qry_op *op = q_new_op(x, QRY_OP_READ, b->shard);
	if (!op)
		return -1;
	op->table = b->base->id;
	st_read_cmd *c = &op->cmd;
	st_read_init(c);
	c->kind = ST_READ_RANGE;
	qry_shard_range(b->shard, x->sh->nshards, &c->start_token, &c->end_token);
	c->start_inclusive = c->end_inclusive = true;
	c->now = hl_now_micros() / 1000000;
	c->limit_partitions = BUILD_PARTITIONS;
	if (b->has_from) {
		/* the key is copied: the step arena holding it is freed before the read runs */
		c->has_from = true;
		c->from_token = b->from_token;
		c->from_key = hl_arena_memdup(op->arena, b->from_key, b->from_keylen + 1);
		c->from_keylen = b->from_keylen;
		c->from_inclusive = false;
	}
	return q_pending(x, build_read);
}

int q_view_build(qry_exec *x, const char *ks, const char *name, const sch_change *chg,
		 int (*done)(qry_exec *x, const sch_change *chg))
{
	struct q_viewst *v = vst(x);
	q_vbuild *b = hl_arena_zalloc(x->a, sizeof *b);
	v->build = b;
	b->chg = *chg;
	b->done = done;
	/* the request's snapshot predates the view */
	v->schema = sch_acquire(x->sh->reg);
	b->view = sch_find_table(v->schema, ks, name);
	b->base = b->view && b->view->view ? sch_find_table_by_id(v->schema, &b->view->view->base_id) : NULL;
	if (!b->view || !b->base)
		return build_finish(x);   /* dropped concurrently: nothing to build */
	const sch_keyspace *k = sch_find_keyspace(v->schema, ks);
	b->durable = !k || k->durable_writes;
	return build_step(x);
}
