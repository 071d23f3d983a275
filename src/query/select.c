/*
 * SELECT execution: turns a plan and its bound values into segments (one per
 * partition key, or one per shard slice of the token range), reads each
 * segment from the shard that owns it in bounded chunks, filters, applies
 * LIMIT / PER PARTITION LIMIT / DISTINCT / count, and pages.
 *
 * Paging: a page ends when it holds page_size rows; the paging state is the
 * position of the last row returned (segment, partition, clustering) plus
 * the remaining LIMIT and the rows already returned from that partition.
 * A page is never empty while more pages remain: if filtering discards a
 * chunk, the next chunk is read before answering.
 */
#include <math.h>
#include <string.h>

#include "query/q_int.h"

#define CHUNK_ROWS 5000          /* bounded quantum of one read */
#define PSTATE_MAGIC 0x48        /* 'H' */

/* ------------------------------------------------------------ clustering */

int q_clust_compare(const sch_table *t, int n, const st_bytes *a, const st_bytes *b)
{
	for (int i = 0; i < n && i < t->nck; i++) {
		int c = ty_compare(t->ck[i]->type, a[i].p, a[i].len, b[i].p, b[i].len);
		if (c)
			return t->ck[i]->order == SCH_ORDER_DESC ? -c : c;
	}
	return 0;
}

/* Split a serialized tuple into n components. */
static int split_tuple(qry_exec *x, q_val v, int n, st_bytes *out, const char *name)
{
	hl_rd rd;
	hl_rd_init(&rd, v.p, v.len > 0 ? (size_t)v.len : 0);
	for (int i = 0; i < n; i++) {
		const uint8_t *p;
		int32_t len;
		if (hl_rd_pbytes(&rd, &p, &len) < 0 || len < 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value in condition for "
				       "column %s", name);
		out[i].p = p;
		out[i].len = (uint32_t)len;
	}
	return 0;
}

static const ty_type *restr_type(qry_exec *x, const q_restr *r)
{
	if (r->ncols == 1)
		return r->cols[0]->type;
	const ty_type **sub = hl_arena_alloc(x->a, sizeof(*sub) * (size_t)r->ncols);
	for (int i = 0; i < r->ncols; i++)
		sub[i] = r->cols[i]->type;
	return ty_tuple(x->a, r->ncols, sub);
}

/* The values of a clustering restriction as component arrays. */
int q_restr_values(qry_exec *x, const q_restr *r, int *n, st_bytes ***out)
{
	q_val *vals;
	int nv;
	const ty_type *type = restr_type(x, r);
	const char *name = r->cols[0]->name;
	if (q_eval_in(x, r, type, name, &nv, &vals) < 0)
		return -1;
	st_bytes **res = hl_arena_alloc(x->a, sizeof(st_bytes *) * (size_t)(nv + 1));
	for (int i = 0; i < nv; i++) {
		res[i] = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)r->ncols);
		if (vals[i].len == QRY_UNSET)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid unset value for column %s", name);
		if (r->ncols == 1) {
			if (vals[i].len < 0)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value in condition "
					       "for column %s", name);
			res[i][0].p = vals[i].p;
			res[i][0].len = (uint32_t)vals[i].len;
		} else if (split_tuple(x, vals[i], r->ncols, res[i], name) < 0) {
			return -1;
		}
	}
	*n = nv;
	*out = res;
	return 0;
}

typedef struct prefix {
	int n;
	st_bytes *v;
} prefix;

int q_build_slices(qry_exec *x, const sch_table *t, q_restr **ck, int nck, bool *none,
			int *nslices, st_slice **slices, bool *has)
{
	prefix *pre = hl_arena_alloc(x->a, sizeof(prefix));
	int npre = 1;
	pre[0].n = 0;
	pre[0].v = NULL;
	*none = false;
	*has = nck > 0;
	int i = 0;
	for (; i < nck; i++) {
		q_restr *r = ck[i];
		if (r->op != CQL_OP_EQ && r->op != CQL_OP_IN)
			break;
		int nv;
		st_bytes **vals;
		if (q_restr_values(x, r, &nv, &vals) < 0)
			return -1;
		if ((int64_t)npre * nv > 100000)
			return hl_errf(&x->err, HL_ERR_INVALID, "Clustering IN restrictions produce too "
				       "many combinations");
		prefix *np = hl_arena_alloc(x->a, sizeof(prefix) * (size_t)(npre * nv + 1));
		int nn = 0;
		for (int a = 0; a < npre; a++)
			for (int b = 0; b < nv; b++) {
				int len = pre[a].n + r->ncols;
				st_bytes *v = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)len);
				if (pre[a].n)
					memcpy(v, pre[a].v, sizeof(st_bytes) * (size_t)pre[a].n);
				memcpy(v + pre[a].n, vals[b], sizeof(st_bytes) * (size_t)r->ncols);
				np[nn].n = len;
				np[nn].v = v;
				nn++;
			}
		pre = np;
		npre = nn;
	}
	if (npre == 0) {
		*none = true;
		*nslices = 0;
		return 0;
	}
	/* optional slice bounds on the next column(s) */
	st_bytes *lo = NULL, *hi = NULL;
	int lon = 0, hin = 0;
	bool loincl = true, hiincl = true;
	bool desc = false;
	for (; i < nck; i++) {
		q_restr *r = ck[i];
		int nv;
		st_bytes **vals;
		if (q_restr_values(x, r, &nv, &vals) < 0)
			return -1;
		for (int c = 1; c < r->ncols; c++)
			if ((r->cols[c]->order == SCH_ORDER_DESC) != (r->cols[0]->order == SCH_ORDER_DESC))
				return hl_errf(&x->err, HL_ERR_INVALID, "Multi-column slice restrictions on "
					       "clustering columns of mixed order are not supported");
		desc = r->cols[0]->order == SCH_ORDER_DESC;
		if (r->op == CQL_OP_GT || r->op == CQL_OP_GTE) {
			lo = vals[0];
			lon = r->ncols;
			loincl = r->op == CQL_OP_GTE;
		} else {
			hi = vals[0];
			hin = r->ncols;
			hiincl = r->op == CQL_OP_LTE;
		}
	}
	/* sort prefixes in clustering order and drop duplicates */
	if (npre > 1) {
		int plen = pre[0].n;
		for (int a = 1; a < npre; a++) {   /* insertion sort: IN lists are short */
			prefix key = pre[a];
			int b = a - 1;
			while (b >= 0 && q_clust_compare(t, plen, pre[b].v, key.v) > 0) {
				pre[b + 1] = pre[b];
				b--;
			}
			pre[b + 1] = key;
		}
		int w = 1;
		for (int a = 1; a < npre; a++)
			if (q_clust_compare(t, plen, pre[w - 1].v, pre[a].v) != 0)
				pre[w++] = pre[a];
		npre = w;
	}
	st_slice *sl = hl_arena_zalloc(x->a, sizeof(st_slice) * (size_t)npre);
	for (int a = 0; a < npre; a++) {
		int base = pre[a].n;
		/* value-order bounds -> clustering-order bounds */
		st_bytes *sv = desc ? hi : lo, *ev = desc ? lo : hi;
		int sn = desc ? hin : lon, en = desc ? lon : hin;
		bool si = desc ? hiincl : loincl, ei = desc ? loincl : hiincl;
		st_bytes *s = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)(base + sn + 1));
		st_bytes *e = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)(base + en + 1));
		if (base) {
			memcpy(s, pre[a].v, sizeof(st_bytes) * (size_t)base);
			memcpy(e, pre[a].v, sizeof(st_bytes) * (size_t)base);
		}
		if (sv)
			memcpy(s + base, sv, sizeof(st_bytes) * (size_t)sn);
		else
			sn = 0, si = true;
		if (ev)
			memcpy(e + base, ev, sizeof(st_bytes) * (size_t)en);
		else
			en = 0, ei = true;
		sl[a].start.n = base + sn;
		sl[a].start.vals = s;
		sl[a].start.inclusive = si;
		sl[a].end.n = base + en;
		sl[a].end.vals = e;
		sl[a].end.inclusive = ei;
	}
	*nslices = npre;
	*slices = sl;
	return 0;
}

/* ------------------------------------------------------------ segments */

int qry_shard_of_token(int64_t token, int nshards)
{
	uint64_t u = (uint64_t)token ^ (1ULL << 63);
	return (int)(((unsigned __int128)u * (unsigned)nshards) >> 64);
}

void qry_shard_range(int shard, int nshards, int64_t *start, int64_t *end)
{
	unsigned __int128 a = (((unsigned __int128)shard << 64) + (unsigned)nshards - 1) / (unsigned)nshards;
	unsigned __int128 b = (((unsigned __int128)(shard + 1) << 64) + (unsigned)nshards - 1) /
			      (unsigned)nshards;
	*start = (int64_t)((uint64_t)a ^ (1ULL << 63));
	*end = shard + 1 >= nshards ? INT64_MAX : (int64_t)(((uint64_t)b - 1) ^ (1ULL << 63));
}

static int64_t shard_start(int i, int n)
{
	unsigned __int128 u = (((unsigned __int128)i << 64) + (unsigned)n - 1) / (unsigned)n;
	return (int64_t)((uint64_t)u ^ (1ULL << 63));
}

static int token_bound(qry_exec *x, cql_term *t, int64_t *out)
{
	q_val v;
	if (q_eval(x, t, ty_simple(TY_BIGINT), "partition key token", &v) < 0)
		return -1;
	if (v.len != 8)
		return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for partition key token");
	*out = ty_get_bigint(v.p, 8);
	return 0;
}

static int build_segments(qry_exec *x)
{
	q_select *q = x->plan->sel;
	const sch_table *t = x->plan->table;
	int nshards = x->local ? 1 : x->sh->nshards;
	if (q->pk_complete) {
		int nkeys;
		q_val *keys;
		if (q_pk_keys(x, t, q->pk, &nkeys, &keys) < 0)
			return -1;
		x->segs = hl_arena_zalloc(x->a, sizeof(q_seg) * (size_t)(nkeys + 1));
		for (int i = 0; i < nkeys; i++) {
			q_seg *s = &x->segs[i];
			s->is_key = true;
			s->key = keys[i].p;
			s->keylen = (uint32_t)keys[i].len;
			s->token = hl_token(s->key, s->keylen);
			s->shard = x->local ? x->sh->shard : qry_shard_of_token(s->token, nshards);
		}
		x->nsegs = nkeys;
		return 0;
	}
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	if (q->tok_start) {
		int64_t v;
		if (token_bound(x, q->tok_start, &v) < 0)
			return -1;
		if (q->tok_start_incl)
			lo = v;
		else if (v == INT64_MAX)
			goto empty;
		else
			lo = v + 1;
	}
	if (q->tok_end) {
		int64_t v;
		if (token_bound(x, q->tok_end, &v) < 0)
			return -1;
		/* Cassandra reads the minimum token as an end bound as "the end of the ring" */
		if (v == INT64_MIN && !q->tok_eq)
			v = INT64_MAX;
		else if (!q->tok_end_incl) {
			if (v == INT64_MIN)
				goto empty;
			v--;
		}
		hi = v;
	}
	if (lo > hi)
		goto empty;
	x->segs = hl_arena_zalloc(x->a, sizeof(q_seg) * (size_t)(nshards + 1));
	x->nsegs = 0;
	for (int i = 0; i < nshards; i++) {
		int64_t slo = shard_start(i, nshards);
		int64_t shi = i + 1 < nshards ? shard_start(i + 1, nshards) - 1 : INT64_MAX;
		int64_t a = slo > lo ? slo : lo, b = shi < hi ? shi : hi;
		if (a > b)
			continue;
		q_seg *s = &x->segs[x->nsegs++];
		s->shard = x->local ? x->sh->shard : i;
		s->start = a;
		s->end = b;
		s->sincl = s->eincl = true;
	}
	return 0;
empty:
	x->nsegs = 0;
	return 0;
}

/* ------------------------------------------------------------ paging state */

static void encode_pstate(qry_exec *x, hl_buf *b)
{
	q_pos *p = &x->pos;
	hl_buf_u8(b, PSTATE_MAGIC);
	hl_buf_u16(b, (uint16_t)p->seg);
	hl_buf_u8(b, (uint8_t)((p->has_part ? 1 : 0) | (p->part_done ? 2 : 0)));
	hl_buf_u64(b, (uint64_t)p->token);
	hl_buf_pshortbytes(b, p->key, p->has_part ? p->keylen : 0);
	hl_buf_u16(b, (uint16_t)p->nclust);
	for (int i = 0; i < p->nclust; i++)
		hl_buf_pbytes(b, p->clust[i].p, (int32_t)p->clust[i].len);
	hl_buf_u32(b, (uint32_t)p->pp_count);
	hl_buf_u32(b, (uint32_t)p->limit_left);
}

static int decode_pstate(qry_exec *x, const uint8_t *s, int32_t n)
{
	hl_rd rd;
	hl_rd_init(&rd, s, (size_t)n);
	uint8_t magic = 0, flags = 0;
	uint16_t seg = 0, nclust = 0;
	uint64_t tok = 0;
	const uint8_t *key = NULL;
	size_t keylen = 0;
	q_pos *p = &x->pos;
	hl_rd_u8(&rd, &magic);
	hl_rd_u16(&rd, &seg);
	hl_rd_u8(&rd, &flags);
	hl_rd_u64(&rd, &tok);
	hl_rd_pshortbytes(&rd, &key, &keylen);
	hl_rd_u16(&rd, &nclust);
	if (rd.bad || magic != PSTATE_MAGIC || nclust > 64)
		goto bad;
	st_bytes *cl = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)(nclust + 1));
	for (int i = 0; i < nclust; i++) {
		const uint8_t *v;
		int32_t l;
		if (hl_rd_pbytes(&rd, &v, &l) < 0 || l < 0)
			goto bad;
		cl[i].p = v;
		cl[i].len = (uint32_t)l;
	}
	uint32_t pp = 0, lim = 0;
	hl_rd_u32(&rd, &pp);
	hl_rd_u32(&rd, &lim);
	if (rd.bad || hl_rd_left(&rd) != 0)
		goto bad;
	if (nclust && nclust != x->plan->table->nck)
		goto bad;
	p->seg = seg;
	p->has_part = flags & 1;
	p->part_done = flags & 2;
	p->token = (int64_t)tok;
	p->key = hl_arena_memdup(x->a, key ? key : (const uint8_t *)"", keylen ? keylen : 1);
	p->keylen = (uint32_t)keylen;
	p->nclust = nclust;
	p->clust = cl;
	p->pp_count = (int32_t)pp;
	p->limit_left = (int32_t)lim;
	return 0;
bad:
	return hl_errf(&x->err, HL_ERR_PROTOCOL, "Invalid value for the paging state");
}

/* ------------------------------------------------------------ filtering */

typedef struct filt {
	q_restr *r;
	int nv;
	q_val *vals;                   /* IN: several; others one */
	q_val key;                     /* map entry restrictions: the key */
} filt;

/*
 * A non-frozen collection lives as one cell per element (path = list
 * timeuuid, set element or map key): put the value back together in the
 * protocol's serialized form. NULL when it has no live element.
 */
q_val q_assemble(hl_arena *a, const ty_type *type, const st_rcell *cells, int n, int col)
{
	q_val v = { NULL, QRY_NULL };
	int first = -1, cnt = 0;
	for (int i = 0; i < n; i++)
		if (cells[i].col == col) {
			if (first < 0)
				first = i;
			cnt++;
		}
	if (!cnt)
		return v;
	hl_buf b;
	hl_buf_init(&b);
	if (type->kind == TY_UDT) {
		/* every field in order, null where no cell (Cassandra's
		 * UserType.serializeForNativeProtocol for multi-cell values) */
		int k = first;
		for (int f = 0; f < type->nsub; f++) {
			const st_rcell *c = NULL;
			while (k < first + cnt && (cells[k].path_len != 2 ||
			       (cells[k].path[0] << 8 | cells[k].path[1]) < f))
				k++;
			if (k < first + cnt && (cells[k].path[0] << 8 | cells[k].path[1]) == f)
				c = &cells[k];
			if (c) {
				hl_buf_u32(&b, c->len);
				hl_buf_put(&b, c->value, c->len);
			} else {
				hl_buf_u32(&b, UINT32_MAX);
			}
		}
		v.p = hl_arena_memdup(a, b.p, b.len ? b.len : 1);
		v.len = (int32_t)b.len;
		hl_buf_free(&b);
		return v;
	}
	size_t mark;
	ty_pack_begin(&b, &mark);
	for (int i = first; i < first + cnt; i++) {
		const st_rcell *c = &cells[i];
		switch (type->kind) {
		case TY_SET:
			ty_pack_elem(&b, c->path, (int32_t)c->path_len);
			break;
		case TY_MAP:
			ty_pack_elem(&b, c->path, (int32_t)c->path_len);
			ty_pack_elem(&b, c->value, (int32_t)c->len);
			break;
		default:
			ty_pack_elem(&b, c->value, (int32_t)c->len);
			break;
		}
	}
	ty_pack_end(&b, mark, cnt);
	v.p = hl_arena_memdup(a, b.p, b.len);
	v.len = (int32_t)b.len;
	hl_buf_free(&b);
	return v;
}

static q_val col_value(qry_exec *x, const sch_column *c, const st_rpart *p,
		       const st_rrow *row, const q_val *pkv)
{
	q_val v = { NULL, QRY_NULL };
	const st_rcell *cell;
	switch (c->kind) {
	case SCH_PARTITION_KEY:
		return pkv[c->position];
	case SCH_CLUSTERING:
		if (row && row->clust) {
			v.p = row->clust[c->position].p;
			v.len = (int32_t)row->clust[c->position].len;
		}
		return v;
	case SCH_STATIC:
		if (q_is_cells(c->type))
			return p ? q_assemble(x->a, c->type, p->statics, p->nstatic, c->id) : v;
		cell = st_rcell_find(p->statics, p->nstatic, c->id);
		break;
	default:
		if (q_is_cells(c->type))
			return row ? q_assemble(x->a, c->type, row->cells, row->ncells, c->id) : v;
		cell = row ? st_rcell_find(row->cells, row->ncells, c->id) : NULL;
		break;
	}
	if (cell) {
		v.p = cell->value;
		v.len = (int32_t)cell->len;
	}
	return v;
}

static bool coll_contains(const ty_type *t, q_val coll, q_val needle, bool key)
{
	if (coll.len < 4)
		return false;
	hl_rd rd;
	hl_rd_init(&rd, coll.p, (size_t)coll.len);
	uint32_t n;
	if (hl_rd_u32(&rd, &n) < 0)
		return false;
	bool map = t->kind == TY_MAP;
	const ty_type *et = map ? (key ? t->sub[0] : t->sub[1]) : t->sub[0];
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p[2];
		int32_t l[2] = { -1, -1 };
		if (hl_rd_pbytes(&rd, &p[0], &l[0]) < 0)
			return false;
		if (map && hl_rd_pbytes(&rd, &p[1], &l[1]) < 0)
			return false;
		int w = map && !key ? 1 : 0;
		if (l[w] >= 0 && ty_compare(et, p[w], (size_t)l[w], needle.p, (size_t)needle.len) == 0)
			return true;
	}
	return false;
}

static bool filter_row(qry_exec *x, filt *f, int nf, const st_rpart *p, const st_rrow *row,
		       const q_val *pkv)
{
	for (int i = 0; i < nf; i++) {
		q_restr *r = f[i].r;
		if (r->ncols > 1) {
			/* multi-column restriction left for filtering: compare as a tuple */
			st_bytes rv[64];
			for (int c = 0; c < r->ncols && c < 64; c++) {
				q_val v = col_value(x, r->cols[c], p, row, pkv);
				rv[c].p = v.p;
				rv[c].len = v.len < 0 ? 0 : (uint32_t)v.len;
			}
			bool any = false;
			for (int k = 0; k < f[i].nv; k++) {
				st_bytes want[64];
				hl_rd rd;
				hl_rd_init(&rd, f[i].vals[k].p, (size_t)(f[i].vals[k].len > 0 ? f[i].vals[k].len : 0));
				int cmp = 0;
				for (int c = 0; c < r->ncols && c < 64; c++) {
					const uint8_t *pp;
					int32_t l;
					if (hl_rd_pbytes(&rd, &pp, &l) < 0 || l < 0)
						return false;
					want[c].p = pp;
					want[c].len = (uint32_t)l;
					if (!cmp)
						cmp = ty_compare(r->cols[c]->type, rv[c].p, rv[c].len, want[c].p,
								 want[c].len);
				}
				bool ok;
				switch (r->op) {
				case CQL_OP_EQ: case CQL_OP_IN: ok = cmp == 0; break;
				case CQL_OP_LT: ok = cmp < 0; break;
				case CQL_OP_LTE: ok = cmp <= 0; break;
				case CQL_OP_GT: ok = cmp > 0; break;
				case CQL_OP_GTE: ok = cmp >= 0; break;
				default: ok = false; break;
				}
				if (ok) {
					any = true;
					break;
				}
			}
			if (!any)
				return false;
			continue;
		}
		const sch_column *c = r->cols[0];
		q_val v = col_value(x, c, p, row, pkv);
		if (v.len < 0)
			return false;
		if (r->key) {
			/* m[key] = value: find the entry, compare its value */
			q_val want = f[i].nv ? f[i].vals[0] : (q_val){ NULL, QRY_NULL };
			bool hit = false;
			hl_rd rd;
			uint32_t n = 0;
			hl_rd_init(&rd, v.p, (size_t)v.len);
			if (want.len >= 0 && f[i].key.len >= 0 && hl_rd_u32(&rd, &n) == 0) {
				for (uint32_t k = 0; k < n; k++) {
					const uint8_t *kp, *vp;
					int32_t kl, vl;
					if (hl_rd_pbytes(&rd, &kp, &kl) < 0 || hl_rd_pbytes(&rd, &vp, &vl) < 0)
						break;
					if (kl >= 0 && ty_compare(c->type->sub[0], kp, (size_t)kl, f[i].key.p,
								  (size_t)f[i].key.len) == 0) {
						hit = vl >= 0 && ty_compare(c->type->sub[1], vp, (size_t)vl, want.p,
									    (size_t)want.len) == 0;
						break;
					}
				}
			}
			if (!hit)
				return false;
			continue;
		}
		bool any = false;
		for (int k = 0; k < f[i].nv && !any; k++) {
			q_val w = f[i].vals[k];
			if (w.len < 0)
				continue;
			if (r->op == CQL_OP_CONTAINS || r->op == CQL_OP_CONTAINS_KEY) {
				any = coll_contains(c->type, v, w, r->op == CQL_OP_CONTAINS_KEY);
				continue;
			}
			int cmp = ty_compare(c->type, v.p, (size_t)v.len, w.p, (size_t)w.len);
			switch (r->op) {
			case CQL_OP_EQ: case CQL_OP_IN: any = cmp == 0; break;
			case CQL_OP_LT: any = cmp < 0; break;
			case CQL_OP_LTE: any = cmp <= 0; break;
			case CQL_OP_GT: any = cmp > 0; break;
			case CQL_OP_GTE: any = cmp >= 0; break;
			default: break;
			}
		}
		if (!any)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ emission */

static void put_fn(hl_buf *b, const q_sel *s, q_val v)
{
	if (strcmp(s->fn, "tojson") == 0) {
		hl_buf j;
		hl_buf_init(&j);
		if (v.len < 0 || ty_to_json(s->arg_type, v.p, (size_t)v.len, &j) < 0) {
			hl_buf_reset(&j);
			hl_buf_str(&j, "null");
		}
		hl_buf_pbytes(b, j.p, (int32_t)j.len);
		hl_buf_free(&j);
		return;
	}
	if (v.len < 0) {
		hl_buf_pbytes(b, NULL, -1);
		return;
	}
	if (strcmp(s->fn, "asblob") == 0 || strncmp(s->fn, "blobas", 6) == 0) {
		hl_buf_pbytes(b, v.p, v.len);
		return;
	}
	int64_t ms = 0;
	if (s->arg_type->kind == TY_TIMEUUID && v.len == 16) {
		uint64_t ts = ((uint64_t)(v.p[6] & 0x0f) << 56) | ((uint64_t)v.p[7] << 48) |
			      ((uint64_t)v.p[4] << 40) | ((uint64_t)v.p[5] << 32) |
			      ((uint64_t)v.p[0] << 24) | ((uint64_t)v.p[1] << 16) |
			      ((uint64_t)v.p[2] << 8) | v.p[3];
		ms = (int64_t)((ts - 0x01B21DD213814000ULL) / 10000);
	} else if (s->arg_type->kind == TY_TIMESTAMP && v.len == 8) {
		ms = ty_get_bigint(v.p, 8);
	} else if (s->arg_type->kind == TY_DATE && v.len == 4) {
		ms = ((int64_t)(uint32_t)ty_get_int(v.p, 4) - (1LL << 31)) * 86400000LL;
	} else {
		hl_buf_pbytes(b, NULL, -1);
		return;
	}
	if (s->type->kind == TY_DATE) {
		int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
		hl_buf_u32(b, 4);
		hl_buf_u32(b, (uint32_t)(days + (1LL << 31)));
	} else {
		hl_buf_u32(b, 8);
		hl_buf_u64(b, (uint64_t)ms);
	}
}

/* ------------------------------------------------------------ selector expressions */

static int ex_eval(qry_exec *x, const q_expr *e, const st_rpart *p, const st_rrow *row,
		   const q_val *pkv, q_val *out);
static void sel_put(qry_exec *x, const q_sel *s, const st_rpart *p, const st_rrow *row,
		    const q_val *pkv, hl_buf *b);

static q_val ex_keep(qry_exec *x, hl_buf *b)
{
	q_val v;
	v.p = b->len ? hl_arena_memdup(x->a, b->p, b->len) : (const uint8_t *)"";
	v.len = (int32_t)b->len;
	return v;
}

/* from <= key <= to on the collection's key order; a missing bound is open. */
static bool key_in(const ty_type *kt, const uint8_t *k, int32_t kl, const q_val *from, const q_val *to)
{
	if (from && from->len >= 0 && ty_compare(kt, k, (size_t)kl, from->p, (size_t)from->len) < 0)
		return false;
	if (to && to->len >= 0 && ty_compare(kt, k, (size_t)kl, to->p, (size_t)to->len) > 0)
		return false;
	return true;
}

/* The subscript of an ELEM/SLICE node: key (ELEM) or bounds (SLICE). */
static int ex_bounds(qry_exec *x, const q_expr *e, q_val *from, q_val *to)
{
	from->p = to->p = NULL;
	from->len = to->len = QRY_NULL;
	if (e->term && q_eval(x, e->term, e->ktype, "element selection", from) < 0)
		return -1;
	if (e->term2 && q_eval(x, e->term2, e->ktype, "element selection", to) < 0)
		return -1;
	if (e->kind == Q_EX_ELEM && from->len < 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for element selection");
	return 0;
}

/* m[k], s[e], m[a..b], s[a..b] over a serialized map/set. */
static int ex_subscript(qry_exec *x, const q_expr *e, q_val coll, q_val *out)
{
	q_val from, to;
	if (ex_bounds(x, e, &from, &to) < 0)
		return -1;
	const ty_type *ct = e->a->type;
	bool map = ct->kind == TY_MAP;
	hl_rd rd;
	hl_rd_init(&rd, coll.p, (size_t)coll.len);
	uint32_t n = 0;
	if (hl_rd_u32(&rd, &n) < 0)
		return 0;
	hl_buf b;
	hl_buf_init(&b);
	size_t mark;
	int32_t cnt = 0;
	ty_pack_begin(&b, &mark);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *kp, *vp = NULL;
		int32_t kl, vl = -1;
		if (hl_rd_pbytes(&rd, &kp, &kl) < 0 || kl < 0 || (map && hl_rd_pbytes(&rd, &vp, &vl) < 0))
			break;
		if (e->kind == Q_EX_ELEM) {
			if (ty_compare(e->ktype, kp, (size_t)kl, from.p, (size_t)from.len) == 0) {
				out->p = map ? vp : kp;
				out->len = map ? vl : kl;
				hl_buf_free(&b);
				return 0;
			}
			continue;
		}
		if (!key_in(e->ktype, kp, kl, e->term ? &from : NULL, e->term2 ? &to : NULL))
			continue;
		ty_pack_elem(&b, kp, kl);
		if (map)
			ty_pack_elem(&b, vp, vl);
		cnt++;
	}
	if (e->kind == Q_EX_SLICE) {
		ty_pack_end(&b, mark, cnt);
		*out = ex_keep(x, &b);
	}
	hl_buf_free(&b);
	return 0;
}

/* WRITETIME / TTL / MAXWRITETIME of a column, an element or a slice. */
static int ex_meta(qry_exec *x, const q_expr *e, const st_rpart *p, const st_rrow *row,
		   const q_val *pkv, q_val *out)
{
	const sch_column *c = e->col;
	const st_rcell *cells = c->kind == SCH_STATIC ? (p ? p->statics : NULL) : row ? row->cells : NULL;
	int ncells = c->kind == SCH_STATIC ? (p ? p->nstatic : 0) : row ? row->ncells : 0;
	const q_expr *arg = e->a;
	hl_buf b;
	hl_buf_init(&b);
	if (!q_is_cells(c->type)) {
		/* one cell; a subscript only asks whether the element is there */
		const st_rcell *cell = st_rcell_find(cells, ncells, c->id);
		if (!cell)
			goto out;
		if (arg->kind == Q_EX_ELEM || arg->kind == Q_EX_SLICE) {
			q_val v;
			if (ex_eval(x, arg, p, row, pkv, &v) < 0)
				goto fail;
			if (v.len < 0 || (arg->kind == Q_EX_SLICE && v.len >= 4 && ty_get_int(v.p, 4) == 0))
				goto out;
		}
		if (e->kind == Q_EX_TTL) {
			if (cell->ttl <= 0)
				goto out;
			int64_t left = cell->expire - x->now_s;
			ty_put_int(&b, (int32_t)(left > 0 ? left : 0));
		} else {
			ty_put_bigint(&b, cell->ts);
		}
		*out = ex_keep(x, &b);
		goto out;
	}
	q_val from = { NULL, QRY_NULL }, to = { NULL, QRY_NULL };
	if ((arg->kind == Q_EX_ELEM || arg->kind == Q_EX_SLICE) && ex_bounds(x, arg, &from, &to) < 0)
		goto fail;
	size_t mark;
	int32_t cnt = 0;
	int64_t maxts = 0;
	ty_pack_begin(&b, &mark);
	for (int i = 0; i < ncells; i++) {
		const st_rcell *cl = &cells[i];
		if (cl->col != c->id)
			continue;
		if (arg->kind == Q_EX_ELEM &&
		    ty_compare(arg->ktype, cl->path, cl->path_len, from.p, (size_t)from.len) != 0)
			continue;
		if (arg->kind == Q_EX_SLICE && !key_in(arg->ktype, cl->path, (int32_t)cl->path_len,
						       arg->term ? &from : NULL, arg->term2 ? &to : NULL))
			continue;
		if (!cnt || cl->ts > maxts)
			maxts = cl->ts;
		cnt++;
		uint8_t v[8];
		if (e->kind == Q_EX_TTL) {
			int64_t left = cl->expire - x->now_s;
			int32_t l = (int32_t)(left > 0 ? left : 0);
			v[0] = (uint8_t)(l >> 24); v[1] = (uint8_t)(l >> 16);
			v[2] = (uint8_t)(l >> 8); v[3] = (uint8_t)l;
			ty_pack_elem(&b, v, cl->ttl > 0 ? 4 : -1);
		} else {
			for (int k = 0; k < 8; k++)
				v[k] = (uint8_t)((uint64_t)cl->ts >> (56 - 8 * k));
			ty_pack_elem(&b, v, 8);
		}
	}
	if (!cnt)
		goto out;
	if (e->kind == Q_EX_MAXWT) {
		hl_buf_reset(&b);
		ty_put_bigint(&b, maxts);
		*out = ex_keep(x, &b);
		goto out;
	}
	if (arg->kind == Q_EX_ELEM) {
		/* one element: its value alone (the first entry of the list) */
		hl_rd rd;
		const uint8_t *ep;
		int32_t el;
		hl_rd_init(&rd, b.p + 4, b.len - 4);
		if (hl_rd_pbytes(&rd, &ep, &el) == 0 && el >= 0) {
			out->p = hl_arena_memdup(x->a, ep, (size_t)el);
			out->len = el;
		}
		goto out;
	}
	ty_pack_end(&b, mark, cnt);
	*out = ex_keep(x, &b);
out:
	hl_buf_free(&b);
	return 0;
fail:
	hl_buf_free(&b);
	return -1;
}

static float ld_float(const uint8_t *p)
{
	uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	float f;
	memcpy(&f, &u, 4);
	return f;
}

/* Cassandra's vector similarity scores, in float as it computes them:
 * cosine (1 + cos) / 2, euclidean 1 / (1 + squared distance), dot (1 + dot) / 2. */
static int ex_similarity(qry_exec *x, char which, int dim, const uint8_t *a, const uint8_t *b,
			 q_val *out)
{
	float dot = 0, na = 0, nb = 0, sq = 0, r;
	for (int i = 0; i < dim; i++) {
		float u = ld_float(a + 4 * i), v = ld_float(b + 4 * i), d = u - v;
		dot += u * v;
		na += u * u;
		nb += v * v;
		sq += d * d;
	}
	if (which == 'c') {
		if (na == 0 || nb == 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Function system.similarity_cosine doesn't "
				       "support all-zero vectors.");
		r = (1 + (float)(dot / sqrt((double)na * (double)nb))) / 2;
	} else if (which == 'e') {
		r = 1 / (1 + sq);
	} else {
		r = (1 + dot) / 2;
	}
	uint32_t u;
	memcpy(&u, &r, 4);
	uint8_t *o = hl_arena_alloc(x->a, 4);
	o[0] = (uint8_t)(u >> 24); o[1] = (uint8_t)(u >> 16); o[2] = (uint8_t)(u >> 8); o[3] = (uint8_t)u;
	out->p = o;
	out->len = 4;
	return 0;
}

static int ex_eval(qry_exec *x, const q_expr *e, const st_rpart *p, const st_rrow *row,
		   const q_val *pkv, q_val *out)
{
	out->p = NULL;
	out->len = QRY_NULL;
	switch (e->kind) {
	case Q_EX_COL:
		if (!p && !row && !pkv)
			return 0;
		*out = col_value(x, e->col, p, row, pkv);
		return 0;
	case Q_EX_CONST:
		return q_eval(x, e->term, e->type, e->spec ? e->spec : "selection", out);
	case Q_EX_SIM: {
		q_val a, b;
		if (ex_eval(x, e->a, p, row, pkv, &a) < 0 || ex_eval(x, e->b, p, row, pkv, &b) < 0)
			return -1;
		int dim = e->a->type->dim;
		if (a.len != 4 * dim || b.len != 4 * dim)
			return 0;
		return ex_similarity(x, e->op, dim, a.p, b.p, out);
	}
	case Q_EX_SEL: {
		hl_buf b;
		hl_buf_init(&b);
		sel_put(x, e->sel, p, row, pkv, &b);
		hl_rd rd;
		const uint8_t *vp;
		int32_t vl;
		hl_rd_init(&rd, b.p, b.len);
		if (hl_rd_pbytes(&rd, &vp, &vl) == 0 && vl >= 0) {
			out->p = hl_arena_memdup(x->a, vp, (size_t)vl);
			out->len = vl;
		}
		hl_buf_free(&b);
		return x->sel_failed ? -1 : 0;
	}
	case Q_EX_BINOP: {
		q_val l, r;
		if (ex_eval(x, e->a, p, row, pkv, &l) < 0 || ex_eval(x, e->b, p, row, pkv, &r) < 0)
			return -1;
		/* null (or an empty value) on either side gives null */
		if (l.len <= 0 || r.len <= 0)
			return 0;
		hl_buf b;
		hl_buf_init(&b);
		int rc = ty_arith(e->op, e->type, e->a->type, l.p, (size_t)l.len, e->b->type, r.p,
				  (size_t)r.len, &b, &x->err);
		if (rc == 0)
			*out = ex_keep(x, &b);
		hl_buf_free(&b);
		return rc;
	}
	case Q_EX_NEG:
	case Q_EX_CAST: {
		q_val a;
		if (ex_eval(x, e->a, p, row, pkv, &a) < 0)
			return -1;
		if (a.len <= 0)
			return 0;
		hl_buf b;
		hl_buf_init(&b);
		int rc = e->kind == Q_EX_NEG ? ty_negate(e->a->type, a.p, (size_t)a.len, &b, &x->err)
					     : ty_cast(e->type, e->a->type, a.p, (size_t)a.len, &b, &x->err);
		if (rc == 0)
			*out = ex_keep(x, &b);
		hl_buf_free(&b);
		return rc;
	}
	case Q_EX_ELEM:
	case Q_EX_SLICE: {
		q_val c;
		if (ex_eval(x, e->a, p, row, pkv, &c) < 0)
			return -1;
		if (c.len < 4)
			return 0;
		return ex_subscript(x, e, c, out);
	}
	case Q_EX_WT:
	case Q_EX_TTL:
	case Q_EX_MAXWT:
		if (!p && !row)
			return 0;
		return ex_meta(x, e, p, row, pkv, out);
	default:
		return 0;
	}
}

/* Append selector s's value for this row as a protocol [bytes]. */
static void sel_put(qry_exec *x, const q_sel *s, const st_rpart *p, const st_rrow *row,
		    const q_val *pkv, hl_buf *b)
{
	switch (s->kind) {
	case Q_SEL_COLUMN: {
		q_val v = col_value(x, s->col, p, row, pkv);
		hl_buf_pbytes(b, v.p, v.len < 0 ? -1 : v.len);
		break;
	}
	case Q_SEL_WRITETIME:
	case Q_SEL_TTL: {
		const st_rcell *c = s->col->kind == SCH_STATIC
			? st_rcell_find(p->statics, p->nstatic, s->col->id)
			: row ? st_rcell_find(row->cells, row->ncells, s->col->id) : NULL;
		if (!c || (s->kind == Q_SEL_TTL && c->ttl <= 0)) {
			hl_buf_pbytes(b, NULL, -1);
		} else if (s->kind == Q_SEL_WRITETIME) {
			hl_buf_u32(b, 8);
			hl_buf_u64(b, (uint64_t)c->ts);
		} else {
			int64_t left = c->expire - x->now_s;
			hl_buf_u32(b, 4);
			hl_buf_u32(b, (uint32_t)(left > 0 ? left : 0));
		}
		break;
	}
	case Q_SEL_TOKEN:
		hl_buf_u32(b, 8);
		hl_buf_u64(b, (uint64_t)p->token);
		break;
	case Q_SEL_FUNC:
		put_fn(b, s, col_value(x, s->col, p, row, pkv));
		break;
	case Q_SEL_FIELD: {
		/* a UDT value is a sequence of [bytes], possibly shorter than its type */
		q_val v = col_value(x, s->col, p, row, pkv);
		const uint8_t *fp = NULL;
		int32_t fl = -1;
		if (v.len >= 0) {
			hl_rd rd;
			hl_rd_init(&rd, v.p, (size_t)v.len);
			for (int i = 0; i <= s->field; i++)
				if (hl_rd_pbytes(&rd, &fp, &fl) < 0) {
					fl = -1;
					break;
				}
		}
		hl_buf_pbytes(b, fp, fl < 0 ? -1 : fl);
		break;
	}
	case Q_SEL_CONST: {
		q_val v;
		if (s->term && q_eval(x, s->term, s->type, s->name, &v) == 0)
			hl_buf_pbytes(b, v.p, v.len < 0 ? -1 : v.len);
		else
			hl_buf_pbytes(b, NULL, -1);
		break;
	}
	case Q_SEL_EXPR: {
		q_val v;
		if (ex_eval(x, s->ex, p, row, pkv, &v) < 0) {
			x->sel_failed = true;
			v.len = QRY_NULL;
		}
		hl_buf_pbytes(b, v.p, v.len < 0 ? -1 : v.len);
		break;
	}
	default:
		hl_buf_pbytes(b, NULL, -1);
		break;
	}
}

static void emit_row(qry_exec *x, const st_rpart *p, const st_rrow *row, const q_val *pkv)
{
	q_select *q = x->plan->sel;
	const sch_table *t = x->plan->table;
	hl_buf *b = &x->res.rows;
	size_t start = b->len;
	if (q->json) {
		/* {"col": value, ...} in selection order, as Cassandra's [json] */
		hl_buf j, v;
		hl_buf_init(&j);
		hl_buf_init(&v);
		hl_buf_u8(&j, '{');
		for (int i = 0; i < q->nsel; i++) {
			hl_buf_reset(&v);
			sel_put(x, &q->sel[i], p, row, pkv, &v);
			if (i)
				hl_buf_str(&j, ", ");
			ty_json_name(q->sel[i].name, strlen(q->sel[i].name), &j);
			hl_buf_str(&j, ": ");
			hl_rd rd;
			hl_rd_init(&rd, v.p, v.len);
			const uint8_t *vp;
			int32_t vl;
			if (hl_rd_pbytes(&rd, &vp, &vl) < 0 || vl < 0 ||
			    ty_to_json(q->sel[i].type, vp, (size_t)vl, &j) < 0)
				hl_buf_str(&j, "null");
		}
		hl_buf_u8(&j, '}');
		hl_buf_pbytes(b, j.p, (int32_t)j.len);
		hl_buf_free(&j);
		hl_buf_free(&v);
	} else {
		for (int i = 0; i < q->nsel; i++)
			sel_put(x, &q->sel[i], p, row, pkv, b);
	}
	x->res.nrows++;
	if (x->post_sort && row) {
		if (x->nsorted == x->capsorted) {
			int cap = x->capsorted ? x->capsorted * 2 : 64;
			q_srow *n = hl_arena_alloc(x->a, sizeof(q_srow) * (size_t)cap);
			if (x->nsorted)
				memcpy(n, x->sorted, sizeof(q_srow) * (size_t)x->nsorted);
			x->sorted = n;
			x->capsorted = cap;
		}
		q_srow *sr = &x->sorted[x->nsorted++];
		sr->off = start;
		sr->len = b->len - start;
		st_bytes *cl = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)(t->nck + 1));
		for (int i = 0; i < t->nck; i++) {
			cl[i].len = row->clust[i].len;
			cl[i].p = row->clust[i].len ? hl_arena_memdup(x->a, row->clust[i].p, row->clust[i].len)
						    : (const uint8_t *)"";
		}
		sr->clust = cl;
	}
}

/*
 * Rows of several partitions in the order ORDER BY asks (Cassandra merges
 * them the same way when the query is not paged). A stable insertion merge
 * keeps partitions' relative order for equal clusterings.
 */
static void post_sort(qry_exec *x)
{
	const sch_table *t = x->plan->table;
	bool rev = x->plan->sel->reversed;
	int n = x->nsorted;
	q_srow *r = x->sorted;
	if (n < 2 || n != x->res.nrows)
		return;
	/* merge sort: rows can be many */
	q_srow *tmp = hl_arena_alloc(x->a, sizeof(q_srow) * (size_t)n);
	for (int w = 1; w < n; w *= 2) {
		for (int lo = 0; lo < n; lo += 2 * w) {
			int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			int i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				int c = q_clust_compare(t, t->nck, r[j].clust, r[i].clust);
				if (rev)
					c = -c;
				tmp[k++] = c < 0 ? r[j++] : r[i++];
			}
			while (i < mid)
				tmp[k++] = r[i++];
			while (j < hi)
				tmp[k++] = r[j++];
		}
		memcpy(r, tmp, sizeof(q_srow) * (size_t)n);
	}
	if (x->post_limit >= 0 && n > x->post_limit)
		n = x->post_limit;
	x->res.nrows = n;
	hl_buf nb;
	hl_buf_init(&nb);
	for (int i = 0; i < n; i++)
		hl_buf_put(&nb, x->res.rows.p + r[i].off, r[i].len);
	hl_buf_free(&x->res.rows);
	x->res.rows = nb;
}

/*
 * Aggregation: count, min, max, sum, avg over the rows of a group (the
 * whole result without GROUP BY). Non-aggregate selectors take their value
 * from the group's first row, as Cassandra does.
 */
typedef struct q_aggst {
	int64_t count;
	bool has;
	int64_t isum;
	double dsum;
	hl_buf best;                   /* min/max: current value; others: first row's [bytes] */
	bool first_set;
} q_aggst;

static bool is_int_kind(ty_kind k)
{
	return k == TY_INT || k == TY_BIGINT || k == TY_SMALLINT || k == TY_TINYINT || k == TY_COUNTER;
}

static int64_t int_of(const uint8_t *p, uint32_t n)
{
	int64_t v = 0;
	if (n == 0)
		return 0;
	v = (int8_t)p[0];
	for (uint32_t i = 1; i < n; i++)
		v = (int64_t)((uint64_t)v << 8) | p[i];
	return v;
}

static double dbl_of(ty_kind k, const uint8_t *p, uint32_t n)
{
	if (k == TY_FLOAT && n == 4) {
		uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		float f;
		memcpy(&f, &u, 4);
		return f;
	}
	if (k == TY_DOUBLE && n == 8) {
		uint64_t u = 0;
		for (int i = 0; i < 8; i++)
			u = u << 8 | p[i];
		double d;
		memcpy(&d, &u, 8);
		return d;
	}
	return 0;
}

static void put_num(hl_buf *b, ty_kind k, int64_t iv, double dv)
{
	switch (k) {
	case TY_TINYINT: hl_buf_u32(b, 1); hl_buf_u8(b, (uint8_t)iv); break;
	case TY_SMALLINT: hl_buf_u32(b, 2); hl_buf_u16(b, (uint16_t)iv); break;
	case TY_INT: hl_buf_u32(b, 4); hl_buf_u32(b, (uint32_t)iv); break;
	case TY_BIGINT: case TY_COUNTER: hl_buf_u32(b, 8); hl_buf_u64(b, (uint64_t)iv); break;
	case TY_FLOAT: {
		float f = (float)dv;
		uint32_t u;
		memcpy(&u, &f, 4);
		hl_buf_u32(b, 4);
		hl_buf_u32(b, u);
		break;
	}
	case TY_DOUBLE: {
		uint64_t u;
		memcpy(&u, &dv, 8);
		hl_buf_u32(b, 8);
		hl_buf_u64(b, u);
		break;
	}
	default:
		hl_buf_pbytes(b, NULL, -1);
	}
}

static void agg_reset(qry_exec *x)
{
	q_select *q = x->plan->sel;
	if (!x->aggs) {
		x->aggs = hl_arena_zalloc(x->a, sizeof(q_aggst) * (size_t)(q->nsel + 1));
		for (int i = 0; i < q->nsel; i++)
			hl_buf_init(&x->aggs[i].best);
	}
	for (int i = 0; i < q->nsel; i++) {
		q_aggst *g = &x->aggs[i];
		g->count = 0;
		g->has = false;
		g->isum = 0;
		g->dsum = 0;
		g->first_set = false;
		hl_buf_reset(&g->best);
	}
	x->group_rows = 0;
}

void q_agg_free(qry_exec *x)
{
	if (!x->aggs || !x->plan || !x->plan->sel)
		return;
	for (int i = 0; i < x->plan->sel->nsel; i++)
		hl_buf_free(&x->aggs[i].best);
	x->aggs = NULL;
}

/* The result row of the current group. */
static void agg_emit(qry_exec *x)
{
	q_select *q = x->plan->sel;
	hl_buf *b = &x->res.rows;
	for (int i = 0; i < q->nsel; i++) {
		const q_sel *s = &q->sel[i];
		q_aggst *g = &x->aggs[i];
		if (s->kind == Q_SEL_COUNT) {
			hl_buf_u32(b, 8);
			hl_buf_u64(b, (uint64_t)g->count);
			continue;
		}
		if (s->kind != Q_SEL_AGG) {
			if (g->first_set)
				hl_buf_put(b, g->best.p, g->best.len);
			else if (s->kind == Q_SEL_CONST)
				sel_put(x, s, NULL, NULL, NULL, b);
			else
				hl_buf_pbytes(b, NULL, -1);
			continue;
		}
		ty_kind k = s->arg_type->kind;
		switch (s->agg) {
		case Q_AGG_MIN:
		case Q_AGG_MAX:
			hl_buf_pbytes(b, g->has ? g->best.p : NULL, g->has ? (int32_t)g->best.len : -1);
			break;
		case Q_AGG_SUM:
			/* Cassandra's sum of no rows is 0, not null */
			put_num(b, k, g->isum, g->dsum);
			break;
		case Q_AGG_AVG:
			if (is_int_kind(k))
				put_num(b, k, g->count ? g->isum / g->count : 0, 0);
			else
				put_num(b, k, 0, g->count ? g->dsum / (double)g->count : 0);
			break;
		}
	}
	x->res.nrows++;
}

static void agg_row(qry_exec *x, const st_rpart *p, const st_rrow *row, const q_val *pkv)
{
	q_select *q = x->plan->sel;
	if (!x->aggs)
		agg_reset(x);
	/* GROUP BY: a new group starts when the grouping columns change */
	if (q->ngroup) {
		bool same = x->gkey_set;
		for (int i = 0; i < q->ngroup && same; i++) {
			q_val v = col_value(x, q->group[i], p, row, pkv);
			same = v.len >= 0 && (uint32_t)v.len == x->gkey[i].len &&
			       (v.len == 0 || memcmp(v.p, x->gkey[i].p, (size_t)v.len) == 0);
		}
		if (!same) {
			if (x->gkey_set && x->group_rows)
				agg_emit(x);
			agg_reset(x);
			for (int i = 0; i < q->ngroup; i++) {
				q_val v = col_value(x, q->group[i], p, row, pkv);
				x->gkey[i].len = v.len > 0 ? (uint32_t)v.len : 0;
				x->gkey[i].p = v.len > 0 ? hl_arena_memdup(x->a, v.p, (size_t)v.len)
							 : (const uint8_t *)"";
			}
			x->gkey_set = true;
		}
	}
	x->group_rows++;
	for (int i = 0; i < q->nsel; i++) {
		const q_sel *s = &q->sel[i];
		q_aggst *g = &x->aggs[i];
		if (s->kind == Q_SEL_COUNT) {
			if (!s->col || col_value(x, s->col, p, row, pkv).len >= 0)
				g->count++;
			continue;
		}
		if (s->kind != Q_SEL_AGG) {
			if (!g->first_set) {
				sel_put(x, s, p, row, pkv, &g->best);
				g->first_set = true;
			}
			continue;
		}
		q_val v = col_value(x, s->col, p, row, pkv);
		if (v.len < 0)
			continue;
		g->count++;
		ty_kind k = s->arg_type->kind;
		switch (s->agg) {
		case Q_AGG_MIN:
		case Q_AGG_MAX: {
			int c = g->has ? ty_compare(s->arg_type, v.p, (size_t)v.len, g->best.p, g->best.len) : 0;
			if (!g->has || (s->agg == Q_AGG_MIN ? c < 0 : c > 0)) {
				hl_buf_reset(&g->best);
				hl_buf_put(&g->best, v.p, (size_t)v.len);
				g->has = true;
			}
			break;
		}
		case Q_AGG_SUM:
		case Q_AGG_AVG:
			if (is_int_kind(k))
				g->isum = (int64_t)((uint64_t)g->isum + (uint64_t)int_of(v.p, (uint32_t)v.len));
			else
				g->dsum += dbl_of(k, v.p, (uint32_t)v.len);
			break;
		}
	}
}

static void agg_finish(qry_exec *x)
{
	q_select *q = x->plan->sel;
	if (!x->aggs)
		agg_reset(x);
	/* without GROUP BY an aggregate always answers one row, even over nothing */
	if (!q->ngroup || x->group_rows)
		agg_emit(x);
}

/* ------------------------------------------------------------ the loop */

static int sel_step(qry_exec *x);
static int sel_read_done(qry_exec *x);

static bool page_full(qry_exec *x)
{
	if (x->pos.limit_left == 0)
		return true;
	return x->page_left == 0;
}

static int sel_finish(qry_exec *x, bool more)
{
	q_select *q = x->plan->sel;
	if (q->count_only)
		agg_finish(x);
	if (x->post_sort)
		post_sort(x);
	if (q_guard_tombstone_warn(x) > 0 && x->tombstones > q_guard_tombstone_warn(x))
		q_warn(x, "Read %lld live rows and %lld tombstone cells for query %s.%s (see "
		       "tombstone_warn_threshold)", (long long)x->live_rows, (long long)x->tombstones,
		       x->plan->table->ks, x->plan->table->name);
	if (more) {
		hl_buf b;
		hl_buf_init(&b);
		encode_pstate(x, &b);
		x->res.paging_state = hl_arena_memdup(x->a, b.p, b.len);
		x->res.paging_state_len = (int32_t)b.len;
		hl_buf_free(&b);
	}
	x->done = true;
	return QRY_DONE;
}

static int sel_step(qry_exec *x)
{
	q_select *q = x->plan->sel;
	for (;;) {
		if (x->pos.seg >= x->nsegs)
			return sel_finish(x, false);
		if (!q->count_only && page_full(x))
			return sel_finish(x, x->pos.limit_left != 0);
		if (q->count_only && x->pos.limit_left == 0)
			return sel_finish(x, false);
		q_seg *s = &x->segs[x->pos.seg];
		if (s->is_key && x->pos.has_part && x->pos.part_done) {
			x->pos.seg++;
			x->pos.has_part = false;
			x->pos.nclust = 0;
			x->pos.pp_count = 0;
			continue;
		}
		break;
	}
	q_seg *s = &x->segs[x->pos.seg];
	qry_op *op = q_new_op(x, QRY_OP_READ, s->shard);
	if (!op)
		return -1;
	op->local = x->local;
	op->table = x->local ? x->local_table : x->plan->table->id;
	st_read_cmd *c = &op->cmd;
	st_read_init(c);
	if (s->is_key) {
		c->kind = ST_READ_PARTITION;
		c->key = s->key;
		c->keylen = s->keylen;
		c->token = s->token;
		if (x->pos.has_part && x->pos.nclust)
			c->after_clust = x->pos.clust;
	} else {
		c->kind = ST_READ_RANGE;
		c->start_token = s->start;
		c->end_token = s->end;
		c->start_inclusive = s->sincl;
		c->end_inclusive = s->eincl;
		if (q->ix && !x->local && q_index_op(x, op) < 0)
			return -1;
		if (x->pos.has_part) {
			c->has_from = true;
			c->from_token = x->pos.token;
			c->from_key = x->pos.key;
			c->from_keylen = x->pos.keylen;
			c->from_inclusive = !x->pos.part_done;
			if (!x->pos.part_done && x->pos.nclust)
				c->after_clust = x->pos.clust;
		}
	}
	c->has_slices = x->plan->sel->nck_restr > 0 || x->no_rows;
	c->nslices = x->nslices;
	c->slices = x->slices;
	c->reversed = q->reversed;
	c->now = x->now_s;
	int64_t want = CHUNK_ROWS;
	if (!q->count_only && x->page_left > 0 && x->page_left < want)
		want = x->page_left;
	if (x->pos.limit_left > 0 && x->pos.limit_left < want && !x->plan->sel->nfilter)
		want = x->pos.limit_left;
	c->limit_rows = want;
	if (q->distinct)
		c->limit_per_partition = 1;
	c->count_static_only = q->needs_static_only || q->distinct;
	/* tombstone_failure_threshold counts over the whole request */
	int64_t tfail = q_guard_tombstone_fail(x);
	c->tombstone_fail = tfail <= 0 ? 0 : tfail - x->tombstones > 0 ? tfail - x->tombstones : 1;
	return q_pending(x, sel_read_done);
}

static int pp_limit(qry_exec *x, int64_t *out, bool *set)
{
	return q_eval_int(x, x->plan->sel->pplimit, "per partition limit", out, set);
}

static int sel_read_done(qry_exec *x)
{
	q_select *q = x->plan->sel;
	const sch_table *t = x->plan->table;
	qry_op *op = x->ops[0];
	if (op->status < 0) {
		x->err = op->err;
		if (x->err.code == HL_ERR_READ_FAILURE) {
			/* Cassandra's TombstoneOverwhelmingException, as a read failure */
			x->err.cl = x->read_cl;
			x->err.received = 0;
			x->err.blockfor = 1;
			x->err.failures = 1;
			x->err.data_present = false;
			hl_errf(&x->err, HL_ERR_READ_FAILURE, "Operation failed - received 0 responses and 1 "
				"failures: READ_TOO_MANY_TOMBSTONES from /127.0.0.1:7000");
			x->err.cl = x->read_cl;
			x->err.blockfor = 1;
			x->err.failures = 1;
		}
		return -1;
	}
	st_result *res = &op->res;
	x->tombstones += res->tombstones;
	x->live_rows += res->nrows;
	int64_t ppl = 0;
	bool ppset = false;
	if (pp_limit(x, &ppl, &ppset) < 0)
		return -1;
	filt *f = NULL;
	int nf = q->nfilter;
	if (nf) {
		f = hl_arena_alloc(x->a, sizeof(filt) * (size_t)nf);
		for (int i = 0; i < nf; i++) {
			f[i].r = q->filter[i];
			const q_restr *r = q->filter[i];
			const ty_type *type = restr_type(x, r);
			f[i].key.p = NULL;
			f[i].key.len = QRY_NULL;
			if (r->key) {
				if (q_eval(x, r->key, type->sub[0], r->cols[0]->name, &f[i].key) < 0)
					return -1;
				if (f[i].key.len < 0)
					return hl_errf(&x->err, HL_ERR_INVALID, "Unsupported null map key for "
						       "column %s", r->cols[0]->name);
				type = type->sub[1];
			} else if ((r->op == CQL_OP_CONTAINS) && type->nsub)
				type = type->kind == TY_MAP ? type->sub[1] : type->sub[0];
			else if (r->op == CQL_OP_CONTAINS_KEY && type->nsub)
				type = type->sub[0];
			if (q_eval_in(x, r, type, r->cols[0]->name, &f[i].nv, &f[i].vals) < 0)
				return -1;
		}
	}
	q_val pkv[64];
	bool stop = false;
	for (st_rpart *p = res->parts; p && !stop; p = p->next) {
		bool same = x->pos.has_part && x->pos.keylen == p->keylen &&
			    memcmp(x->pos.key, p->key, p->keylen) == 0 && !x->pos.part_done;
		if (!same)
			x->pos.pp_count = 0;
		x->pos.has_part = true;
		x->pos.token = p->token;
		x->pos.key = p->key;
		x->pos.keylen = p->keylen;
		x->pos.part_done = false;
		x->pos.nclust = 0;
		if (t->npk <= 64)
			q_split_key(t, p->key, p->keylen, pkv);
		if (q->distinct || (p->static_only && p->nrows == 0)) {
			if ((q->distinct || q->needs_static_only) && (!nf || filter_row(x, f, nf, p, NULL, pkv))) {
				if (q->count_only)
					agg_row(x, p, NULL, pkv);
				else
					emit_row(x, p, NULL, pkv);
				if (x->page_left > 0)
					x->page_left--;
				if (x->pos.limit_left > 0)
					x->pos.limit_left--;
			}
			x->pos.part_done = true;
			if (!q->count_only && page_full(x))
				stop = true;
			continue;
		}
		for (st_rrow *r = p->rows; r; r = r->next) {
			x->pos.nclust = t->nck;
			x->pos.clust = r->clust;
			/* without clustering columns a partition is one row: once seen,
			 * resume after the partition, not inside it */
			if (t->nck == 0)
				x->pos.part_done = true;
			if (nf && !filter_row(x, f, nf, p, r, pkv))
				continue;
			if (q->count_only)
				agg_row(x, p, r, pkv);
			else
				emit_row(x, p, r, pkv);
			x->pos.pp_count++;
			if (x->page_left > 0)
				x->page_left--;
			if (x->pos.limit_left > 0)
				x->pos.limit_left--;
			if (ppset && x->pos.pp_count >= ppl) {
				x->pos.part_done = true;
				x->pos.nclust = 0;
				break;
			}
			if ((!q->count_only && page_full(x)) || x->pos.limit_left == 0) {
				stop = true;
				break;
			}
		}
	}
	if (x->sel_failed)
		return -1;
	if (!stop && !res->more) {
		/* this segment is exhausted */
		x->pos.seg++;
		x->pos.has_part = false;
		x->pos.part_done = false;
		x->pos.nclust = 0;
		x->pos.pp_count = 0;
	}
	x->nops = 0;
	return sel_step(x);
}

/* ------------------------------------------------------------ entry */

int q_select_start(qry_exec *x)
{
	q_select *q = x->plan->sel;
	const qry_params *pp = x->params;
	q_result_start(x);
	x->res.kind = QRY_RESULT_ROWS;
	x->res.meta = x->plan->result;
	x->res.meta.npk = 0;
	x->res.meta.no_metadata = pp && pp->skip_metadata;
	x->has_res = true;
	x->read_cl = pp ? pp->consistency : QRY_CL_ONE;
	if (x->plan->is_virtual && q_virtual_engine(x, x->plan->table) < 0)
		return -1;
	int64_t lim = 0;
	bool limset = false;
	if (q_eval_int(x, q->limit, "limit", &lim, &limset) < 0)
		return -1;
	if (limset && lim <= 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "LIMIT must be strictly positive");
	int64_t ppl;
	bool ppset;
	if (pp_limit(x, &ppl, &ppset) < 0)
		return -1;
	if (ppset && ppl <= 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "PER PARTITION LIMIT must be strictly positive");
	memset(&x->pos, 0, sizeof x->pos);
	x->pos.limit_left = limset ? (int32_t)(lim > INT32_MAX ? INT32_MAX : lim) : -1;
	x->page_left = pp && pp->page_size > 0 && !q->count_only ? pp->page_size : -1;
	if (build_segments(x) < 0)
		return -1;
	bool none = false, has = false;
	if (q_build_slices(x, x->plan->table, q->ck, q->nck_restr, &none, &x->nslices, &x->slices,
			 &has) < 0)
		return -1;
	x->no_rows = none;
	if (none)
		x->nslices = 0;
	if (q_guard_select(x) < 0)
		return -1;
	if (q->pk_complete && x->nsegs > 1 && x->plan->stmt->select.norder && x->page_left > 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "Cannot page queries with both ORDER BY and a "
			       "IN restriction on the partition key; you must either remove the ORDER "
			       "BY or the IN and sort client side, or disable paging for this query");
	x->post_sort = q->pk_complete && x->nsegs > 1 && x->plan->stmt->select.norder &&
		       x->page_left < 0 && x->plan->table->nck > 0 && !q->count_only;
	if (x->post_sort) {
		/* LIMIT applies after the merge: read everything first */
		x->post_limit = x->pos.limit_left;
		x->pos.limit_left = -1;
	}
	if (pp && pp->paging_state && pp->paging_state_len > 0) {
		if (decode_pstate(x, pp->paging_state, pp->paging_state_len) < 0)
			return -1;
		if (x->pos.seg > x->nsegs)
			return hl_errf(&x->err, HL_ERR_PROTOCOL, "Invalid value for the paging state");
	}
	if (none && q->nck_restr && !q->needs_static_only) {
		/* IN () on clustering: nothing can match */
		return sel_finish(x, false);
	}
	return sel_step(x);
}
