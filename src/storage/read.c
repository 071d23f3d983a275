/*
 * storage/read.c: the read path. The core walks one memtable's partitions in
 * (token, key) order, rows of each partition through the requested slices
 * (forward or reversed), applies the deletions that shadow each row
 * (partition deletion, covering range tombstones, row deletion, collection
 * deletions), TTL expiry at the command's `now` and dropped columns, decides
 * row liveness as Cassandra does, and copies what survives into the caller's
 * arena, counting rows / partitions against the limits and tombstones seen.
 *
 * When a table has more than its active memtable (memtables being flushed,
 * SSTables), reads are merged: every source's version of a partition is
 * applied into a scratch memtable, which reconciles them exactly as writes
 * do, and the core runs over that. Range reads do this in bounded batches
 * of partitions taken in (token, key) order from all sources at once (see
 * read_merged_range). SSTable work is kept proportional to the read: files
 * are positioned through their index and left out when their token span
 * or timestamps rule them out, and only consumed partitions (or, for a
 * partition read with slices, only the index blocks needed) are decoded.
 */
#include "storage/st_int.h"

#include <stdlib.h>
#include <string.h>

/* A merged range read stops filling its scratch memtable at this many
 * partitions or bytes, reads it, and continues with the next batch only if
 * the limits are not met. One partition is never split, so the largest
 * partition bounds the memory too. With a limit, batches start small and
 * double, so a small page decodes about as many SSTable partitions as it
 * returns (at most about twice as many). */
#define MERGE_BATCH_PARTS 256
#define MERGE_BATCH_BYTES ((size_t)4 << 20)

typedef struct rd {
	const st_memtable *mt;
	const st_table_layout *l;
	const st_read_cmd *cmd;
	hl_arena *out;
	st_result *res;
	bool *sel;                     /* per column index: returned? */
	const st_slice *slices;
	int nslices;
	int64_t parts_counted;
	bool stop;
	hl_err *err;
	int rc;
} rd;

/* The clustering filter "all rows": bottom to top. */
static const st_slice all_slice = { { 0, NULL, true }, { 0, NULL, true } };

static bool col_visible(const st_table_layout *l, int col, int64_t ts)
{
	const st_col *c;

	if (col < 0 || col >= l->ncols)
		return false;
	c = &l->cols[col];
	return !c->dropped && !(c->has_dropped_at && ts <= c->dropped_at);
}

/* An expiring cell past its expiration reads as a tombstone (Cassandra
 * converts it on read); local deletion time == expiration for those. */
static bool cell_live(const mt_cell *c, int64_t now)
{
	if (c->ttl > 0)
		return now < c->ldt;
	return c->ldt == ST_NO_LDT;
}

static bool marker_live(const st_liveness *m, int64_t shadow, int64_t now)
{
	if (m->ts == ST_NO_TS || m->ts <= shadow)
		return false;
	return m->ttl == 0 || now < m->expire;
}

static int64_t cell_shadow(const mt_row *r, int col, int64_t shadow)
{
	for (int i = 0; i < r->ncdels; i++)
		if (r->cdels[i].col == col && r->cdels[i].del.ts > shadow)
			return r->cdels[i].del.ts;
	return shadow;
}

static int tomb_check(rd *x)
{
	const st_read_cmd *c = x->cmd;

	if (c->tombstone_fail > 0 && x->res->tombstones > c->tombstone_fail) {
		/* Cassandra answers TombstoneOverwhelmingException with a read
		 * failure; the coordinator fills in the replica counts. */
		x->rc = hl_errf(x->err, HL_ERR_READ_FAILURE,
				"Scanned over %lld tombstones; query aborted",
				(long long)c->tombstone_fail);
		if (x->err)
			x->err->failures = 1;
		x->stop = true;
		return -1;
	}
	return 0;
}

/*
 * Evaluate one stored row under deletion timestamp `shadow` (everything with
 * ts <= shadow is deleted). Returns whether the row is live; when it is,
 * *cells / *ncells receive copies of its selected live cells.
 *
 * Liveness is Cassandra's Row.hasLiveData: a live primary-key marker, or at
 * least one live cell in any (non-dropped) column, selected or not.
 * Tombstones are counted as ReadCommand's metrics do: every dead cell, and
 * a dead row's own deletion when no dead cell was counted for it.
 */
static bool eval_row(rd *x, const mt_row *r, int64_t outer_shadow, const st_rcell **cells,
		     int *ncells)
{
	const st_table_layout *l = x->l;
	int64_t now = x->cmd->now;
	int64_t shadow = r->del.ts > outer_shadow ? r->del.ts : outer_shadow;
	bool live = marker_live(&r->marker, shadow, now);
	bool dead_cells = false;
	int nsel = 0, k = 0;
	st_rcell *out;

	for (int i = 0; i < r->ncells; i++) {
		const mt_cell *c = &r->cells[i];

		if (!col_visible(l, c->col, c->ts))
			continue;
		if (c->ts <= (r->ncdels ? cell_shadow(r, c->col, shadow) : shadow))
			continue;
		if (!cell_live(c, now)) {
			x->res->tombstones++;
			dead_cells = true;
			continue;
		}
		live = true;
		if (x->sel[c->col])
			nsel++;
	}
	if (!live) {
		bool own_del = r->del.ts > outer_shadow;

		for (int i = 0; i < r->ncdels && !own_del; i++)
			own_del = r->cdels[i].del.ts > shadow;
		if (own_del && !dead_cells)
			x->res->tombstones++;
		return false;
	}
	*ncells = nsel;
	*cells = NULL;
	if (!nsel)
		return true;
	out = hl_arena_alloc(x->out, sizeof(*out) * (size_t)nsel);
	for (int i = 0; i < r->ncells && k < nsel; i++) {
		const mt_cell *c = &r->cells[i];
		st_rcell *o;

		if (!x->sel[c->col] || !col_visible(l, c->col, c->ts) ||
		    c->ts <= (r->ncdels ? cell_shadow(r, c->col, shadow) : shadow) ||
		    !cell_live(c, now))
			continue;
		o = &out[k++];
		o->col = c->col;
		o->path = c->path ? hl_arena_memdup(x->out, c->path, c->path_len ? c->path_len : 1)
			: NULL;
		o->path_len = c->path_len;
		o->value = c->len ? hl_arena_memdup(x->out, c->value, c->len) : NULL;
		o->len = c->len;
		o->ts = c->ts;
		o->ttl = c->ttl;
		o->expire = c->ttl > 0 ? c->ldt : 0;
	}
	*cells = out;
	return true;
}

/* The highest deletion timestamp among the partition deletion and the range
 * tombstones covering this row. */
static int64_t row_shadow(rd *x, const mt_part *p, const mt_row *r)
{
	int64_t s = p->pdel.ts;

	for (const mt_rt *rt = p->rts; rt; rt = rt->next)
		if (rt->del.ts > s && st__cmp_row_bound(x->l, r->clust, &rt->start, false) > 0 &&
		    st__cmp_row_bound(x->l, r->clust, &rt->end, true) < 0)
			s = rt->del.ts;
	return s;
}

/* Range tombstones count once each when they overlap a queried slice and
 * are not themselves shadowed by the partition deletion. */
static void count_rts(rd *x, const mt_part *p)
{
	for (const mt_rt *rt = p->rts; rt; rt = rt->next) {
		if (rt->del.ts <= p->pdel.ts)
			continue;
		for (int i = 0; i < x->nslices; i++) {
			const st_slice *s = &x->slices[i];

			if (st__cmp_bounds(x->l, &rt->start, false, &s->end, true) < 0 &&
			    st__cmp_bounds(x->l, &s->start, false, &rt->end, true) < 0) {
				x->res->tombstones++;
				break;
			}
		}
	}
}

static st_bytes *copy_clust(rd *x, const st_bytes *v)
{
	int n = x->l->nclust;
	st_bytes *o;

	if (n == 0)
		return NULL;
	o = hl_arena_alloc(x->out, sizeof(*o) * (size_t)n);
	for (int i = 0; i < n; i++) {
		o[i].len = v[i].len;
		o[i].p = v[i].len ? hl_arena_memdup(x->out, v[i].p, v[i].len) : NULL;
	}
	return o;
}

static st_sl_node *later(const st_table_layout *l, st_sl_node *a, st_sl_node *b)
{
	if (!a || !b)
		return NULL;
	return st__cmp_values(l, ((mt_row *)a->item)->clust, ((mt_row *)b->item)->clust,
			      l->nclust) >= 0 ? a : b;
}

static st_sl_node *earlier(const st_table_layout *l, st_sl_node *a, st_sl_node *b)
{
	if (!a || !b)
		return NULL;
	return st__cmp_values(l, ((mt_row *)a->item)->clust, ((mt_row *)b->item)->clust,
			      l->nclust) <= 0 ? a : b;
}

/* Emit one stored row if live; returns false when the partition is done. */
static bool visit_row(rd *x, const mt_part *p, st_rpart *rp, const mt_row *r)
{
	const st_read_cmd *c = x->cmd;
	const st_rcell *cells;
	int ncells;
	st_rrow *row;

	if (!eval_row(x, r, row_shadow(x, p, r), &cells, &ncells)) {
		if (tomb_check(x))
			return false;
		return true;
	}
	row = hl_arena_zalloc(x->out, sizeof(*row));
	row->clust = copy_clust(x, r->clust);
	row->cells = cells;
	row->ncells = ncells;
	if (rp->rows_tail)
		rp->rows_tail->next = row;
	else
		rp->rows = row;
	rp->rows_tail = row;
	rp->nrows++;
	x->res->nrows++;
	if (tomb_check(x))
		return false;
	if (c->limit_rows > 0 && x->res->nrows >= c->limit_rows) {
		x->stop = true;
		x->res->more = true;
		return false;
	}
	return !(c->limit_per_partition > 0 && rp->nrows >= c->limit_per_partition);
}

static void scan_rows(rd *x, const mt_part *p, st_rpart *rp, const st_bytes *after)
{
	const st_table_layout *l = x->l;
	st_bound ab = { l->nclust, after, false };

	if (!x->cmd->reversed) {
		for (int i = 0; i < x->nslices; i++) {
			const st_slice *s = &x->slices[i];
			st_bound_probe sp = { &s->start, false }, ap = { &ab, false };
			st_sl_node *n = st_sl_seek(&p->rows, &sp, st__cmp_row_bitem, (void *)l);

			if (after)
				n = later(l, n, st_sl_seek(&p->rows, &ap, st__cmp_row_bitem, (void *)l));
			for (; n; n = n->next[0]) {
				const mt_row *r = n->item;

				if (st__cmp_row_bound(l, r->clust, &s->end, true) > 0)
					break;
				if (!visit_row(x, p, rp, r))
					return;
			}
		}
		return;
	}
	for (int i = x->nslices - 1; i >= 0; i--) {
		const st_slice *s = &x->slices[i];
		st_bound_probe ep = { &s->end, true }, ap = { &ab, true };
		st_sl_node *n = st_sl_seek_before(&p->rows, &ep, st__cmp_row_bitem, (void *)l);

		if (after)
			n = earlier(l, n, st_sl_seek_before(&p->rows, &ap, st__cmp_row_bitem,
							    (void *)l));
		for (; n; n = n->prev) {
			const mt_row *r = n->item;

			if (st__cmp_row_bound(l, r->clust, &s->start, false) < 0)
				break;
			if (!visit_row(x, p, rp, r))
				return;
		}
	}
}

static void read_part(rd *x, const mt_part *p, const st_bytes *after)
{
	const st_read_cmd *c = x->cmd;
	/* Built on the stack: most scanned partitions of a sparse range yield
	 * nothing and should cost the result arena nothing. */
	st_rpart tmp = { 0 }, *rp = &tmp;
	bool static_live = false;
	bool counted;

	if (p->statics)
		static_live = eval_row(x, p->statics, p->pdel.ts, &rp->statics, &rp->nstatic);
	if (p->rts)
		count_rts(x, p);
	if (tomb_check(x))
		return;
	scan_rows(x, p, rp, after);
	if (x->rc)
		return;
	/* Resuming inside a partition means its static-only row (if any) was
	 * already returned on an earlier page. */
	rp->static_only = rp->nrows == 0 && static_live && !after;
	if (rp->nrows == 0 && !rp->static_only)
		return;
	rp = hl_arena_memdup(x->out, &tmp, sizeof(tmp));
	rp->key = p->keylen ? hl_arena_memdup(x->out, p->key, p->keylen) : NULL;
	rp->keylen = p->keylen;
	rp->token = p->token;
	if (x->res->parts_tail)
		x->res->parts_tail->next = rp;
	else
		x->res->parts = rp;
	x->res->parts_tail = rp;
	x->res->nparts++;
	counted = rp->nrows > 0;
	if (rp->static_only && c->count_static_only) {
		counted = true;
		x->res->nrows++;
		if (c->limit_rows > 0 && x->res->nrows >= c->limit_rows) {
			x->stop = true;
			x->res->more = true;
		}
	}
	if (counted && c->limit_partitions > 0 && ++x->parts_counted >= c->limit_partitions) {
		x->stop = true;
		x->res->more = true;
	}
}

/* Token bound probe: where a partition sits against "token >= t" / "> t". */
typedef struct tok_probe {
	int64_t token;
	bool inclusive;
} tok_probe;

static int cmp_part_tok(const void *item, const void *probe, void *ctx)
{
	const mt_part *p = item;
	const tok_probe *t = probe;

	(void)ctx;
	if (p->token != t->token)
		return p->token < t->token ? -1 : 1;
	return t->inclusive ? 1 : -1;
}

typedef struct key_probe {
	st_pkey k;
	bool inclusive;
} key_probe;

static int cmp_part_from(const void *item, const void *probe, void *ctx)
{
	const key_probe *kp = probe;
	int c = st__cmp_part(item, &kp->k, ctx);

	return c ? c : kp->inclusive ? 0 : -1;
}

/* Read partitions from node n on, up to the end of the command's range. */
static void scan_parts(rd *x, st_sl_node *n)
{
	const st_read_cmd *c = x->cmd;

	for (; n && !x->stop; n = n->next[0]) {
		const mt_part *p = n->item;
		const st_bytes *after = NULL;

		if (p->token > c->end_token || (p->token == c->end_token && !c->end_inclusive))
			break;
		if (c->after_clust && x->l->nclust && c->has_from && c->from_inclusive &&
		    p->token == c->from_token &&
		    st__cmp_bytes(p->key, p->keylen, c->from_key, c->from_keylen) == 0)
			after = c->after_clust;
		read_part(x, p, after);
	}
}

/* The first partition of sl at or after the command's start (its start
 * token and, when paging, its from position). */
static st_sl_node *range_first(const st_read_cmd *c, const st_sl *sl)
{
	tok_probe tp = { c->start_token, c->start_inclusive };
	st_sl_node *n = st_sl_seek(sl, &tp, cmp_part_tok, NULL);

	if (c->has_from) {
		key_probe kp = { { c->from_token, c->from_key, c->from_keylen }, c->from_inclusive };
		st_sl_node *m = st_sl_seek(sl, &kp, cmp_part_from, NULL);

		if (!m)
			n = NULL;
		else if (n) {
			const mt_part *a = n->item;
			st_pkey bk = { ((mt_part *)m->item)->token, ((mt_part *)m->item)->key,
				       ((mt_part *)m->item)->keylen };

			if (st__cmp_part(a, &bk, NULL) < 0)
				n = m;
		}
	}
	return n;
}

static void read_range(rd *x)
{
	scan_parts(x, range_first(x->cmd, &x->mt->parts));
}

/* ------------------------------------------------------------ merged reads */

/* Is (token, key) inside the command's range and at/after its from point? */
static bool pos_admitted(const st_read_cmd *c, int64_t token, const uint8_t *key, uint32_t keylen)
{
	if (token < c->start_token || (token == c->start_token && !c->start_inclusive))
		return false;
	if (c->has_from) {
		int d = token != c->from_token ? (token < c->from_token ? -1 : 1) :
			st__cmp_bytes(key, keylen, c->from_key, c->from_keylen);

		if (d < 0 || (d == 0 && !c->from_inclusive))
			return false;
	}
	return true;
}

static bool pos_past_end(const st_read_cmd *c, int64_t token)
{
	return token > c->end_token || (token == c->end_token && !c->end_inclusive);
}

static int cmp_pos(int64_t ta, const uint8_t *a, uint32_t an, int64_t tb, const uint8_t *b,
		   uint32_t bn)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return st__cmp_bytes(a, an, b, bn);
}

/*
 * Load the cursor from the reader's position: the next partition of the
 * file this shard serves, from Index.db only. Another shard's stretch of
 * an imported file is jumped over by a seek, not walked.
 */
static int cur_load(const st_engine *e, st_sst *s, hl_err *err)
{
	for (;;) {
		int64_t tok;
		const uint8_t *k;
		size_t kl;
		int rc = sst_peek_partition(s->r, &tok, &k, &kl, err);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			s->has_cur = false;
			return 0;
		}
		if (st__token_owned(e, tok)) {
			s->has_cur = true;
			s->cur_token = tok;
			s->cur_key = k;
			s->cur_keylen = kl;
			return 0;
		}
		if (tok > e->opts.own_end) {
			s->has_cur = false;
			return 0;
		}
		if (sst_seek(s->r, e->opts.own_start, NULL, 0, true, err))
			return -1;
	}
}

static void cur_to_prev(st_sst *s)
{
	hl_buf_reset(&s->prev_key);
	hl_buf_put(&s->prev_key, s->cur_key, s->cur_keylen);
	s->prev_token = s->cur_token;
	s->has_prev = true;
}

/* Decode the cursor's partition (into s->ca, valid until the next take)
 * and move the cursor on. */
static int cur_take(const st_engine *e, st_table *t, st_sst *s, st_mutation **out, hl_err *err)
{
	int rc;

	cur_to_prev(s);
	hl_arena_reset(s->ca);
	rc = sst_next_partition(s->r, s->ca, out, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return hl_errf(err, HL_ERR_SERVER, "sstable %s ended at a partition its index lists",
			       s->base);
	t->sst_parts_read++;
	return cur_load(e, s, err);
}

/* Step over the cursor's partition without decoding it. */
static int cur_skip(const st_engine *e, st_sst *s, hl_err *err)
{
	cur_to_prev(s);
	if (sst_skip_partition(s->r, err) < 0)
		return -1;
	return cur_load(e, s, err);
}

/* Where c starts: its start token, or its paging position when that is
 * later. key NULL: the token alone. */
static void range_start(const st_read_cmd *c, int64_t *tok, const uint8_t **key, uint32_t *keylen,
			bool *inclusive)
{
	*tok = c->start_token;
	*key = NULL;
	*keylen = 0;
	*inclusive = c->start_inclusive;
	if (c->has_from && (c->from_token > c->start_token ||
			    (c->from_token == c->start_token && c->start_inclusive))) {
		*tok = c->from_token;
		/* an empty key is still a key: (t, "") exclusive is not "token > t" */
		*key = c->from_key ? c->from_key : (const uint8_t *)"";
		*keylen = c->from_keylen;
		*inclusive = c->from_inclusive;
	}
}

/*
 * Position the cursor on the first partition admitted by c. The cursor is
 * kept when the target lies between its previous and current partition
 * (sequential paging); otherwise the file's index is searched. Nothing is
 * decoded here.
 */
static int cursor_seek(const st_engine *e, st_sst *s, const st_read_cmd *c, hl_err *err)
{
	bool reuse = s->started;

	if (reuse && s->has_prev && pos_admitted(c, s->prev_token, s->prev_key.p,
						 (uint32_t)s->prev_key.len))
		reuse = false;
	if (reuse && s->has_cur &&
	    !pos_admitted(c, s->cur_token, s->cur_key, (uint32_t)s->cur_keylen))
		reuse = false;
	if (!reuse) {
		int64_t tok;
		const uint8_t *key;
		uint32_t keylen;
		bool incl;

		range_start(c, &tok, &key, &keylen, &incl);
		if (sst_seek(s->r, tok, key, keylen, incl, err))
			return -1;
		s->has_prev = false;
		s->started = true;
		if (cur_load(e, s, err))
			return -1;
	}
	/* the index search lands on the target; this only guards the rule */
	while (s->has_cur && !pos_admitted(c, s->cur_token, s->cur_key, (uint32_t)s->cur_keylen))
		if (cur_skip(e, s, err))
			return -1;
	return 0;
}

/* Can the file hold anything of c's range (its span, and this shard's)? */
static bool sst_in_range(const st_engine *e, const st_sst *s, const st_read_cmd *c)
{
	const sst_meta *m = sst_info(s->r);

	if (!m->has_keys || pos_past_end(c, m->first_token) ||
	    !pos_admitted(c, m->last_token, m->last_key, (uint32_t)m->last_keylen))
		return false;
	return !e->opts.has_range ||
	       (m->last_token >= e->opts.own_start && m->first_token <= e->opts.own_end);
}

typedef struct msrc {
	st_sl_node *node;              /* memtable source */
	st_sst *sst;                   /* SSTable source */
} msrc;

static bool msrc_head(const msrc *m, int64_t *token, const uint8_t **key, uint32_t *keylen)
{
	if (m->sst) {
		if (!m->sst->has_cur)
			return false;
		*token = m->sst->cur_token;
		*key = m->sst->cur_key;
		*keylen = (uint32_t)m->sst->cur_keylen;
		return true;
	}
	if (!m->node)
		return false;
	*token = ((const mt_part *)m->node->item)->token;
	*key = ((const mt_part *)m->node->item)->key;
	*keylen = ((const mt_part *)m->node->item)->keylen;
	return true;
}

static int nsources(const st_table *t)
{
	int n = 1 + t->nssts;

	for (const st_memtable *f = t->frozen; f; f = f->next)
		n++;
	return n;
}

/*
 * Range read over memtables + SSTables. Partitions are taken in (token,
 * key) order from every source (a k-way merge by linear scan of the heads:
 * sources are few), all versions of one partition are applied into the
 * scratch memtable, and when it holds a batch the core reads it with the
 * command's limits, accumulating into the same result. Only if the limits
 * are not met does the next batch start, so a LIMIT 10 read touches about
 * one batch. Validation of SSTable data against the layout happens on
 * apply; a mismatch fails the read.
 */
static void read_merged_range(st_engine *e, st_table *t, rd *x)
{
	const st_read_cmd *c = x->cmd;
	int n = nsources(t), k = 0, batch = MERGE_BATCH_PARTS;
	msrc *src = hl_calloc((size_t)n, sizeof(*src));
	hl_arena *scratch = hl_arena_new(64 * 1024);
	st_memtable tmp;
	bool more = true;

	src[k++].node = range_first(c, &t->mt->parts);
	for (st_memtable *f = t->frozen; f; f = f->next)
		if (!f->flushed)
			src[k++].node = range_first(c, &f->parts);
	for (st_sst *s = t->ssts; s; s = s->next) {
		if (!sst_in_range(e, s, c)) {
			t->sst_skipped++;
			continue;
		}
		src[k].sst = s;
		if (cursor_seek(e, s, c, x->err)) {
			x->rc = -1;
			goto exit;
		}
		k++;
	}
	n = k;
	/* A row limit says nothing of how many partitions hold those rows:
	 * start with one and double. Each counted partition takes one of a
	 * partition limit, so that many is a fair first batch. */
	if (c->limit_rows > 0)
		batch = 1;
	if (c->limit_partitions > 0 && c->limit_partitions < batch)
		batch = (int)c->limit_partitions;
	st__mt_init(&tmp, &t->layout, t->seed);
	while (more && !x->stop) {
		int nparts = 0;

		while (nparts < batch && hl_arena_used(tmp.arena) < MERGE_BATCH_BYTES) {
			int64_t bt = 0, ht;
			const uint8_t *bk = NULL, *hk;
			uint32_t bn = 0, hn;
			int best = -1;

			for (int i = 0; i < n; i++)
				if (msrc_head(&src[i], &ht, &hk, &hn) &&
				    (best < 0 || cmp_pos(ht, hk, hn, bt, bk, bn) < 0)) {
					best = i;
					bt = ht, bk = hk, bn = hn;
				}
			if (best < 0 || pos_past_end(c, bt)) {
				more = false;
				break;
			}
			/* bk may point into a cursor that advances below: copy it. */
			bk = bn ? hl_arena_memdup(scratch, bk, bn) : NULL;
			for (int i = 0; i < n; i++) {
				if (!msrc_head(&src[i], &ht, &hk, &hn) ||
				    cmp_pos(ht, hk, hn, bt, bk, bn) != 0)
					continue;
				if (src[i].sst) {
					st_mutation *m;

					if (cur_take(e, t, src[i].sst, &m, x->err) ||
					    st__mt_validate(&t->layout, m, x->err)) {
						x->rc = -1;
						goto done;
					}
					st__mt_apply(&tmp, m);
				} else {
					st__mt_apply(&tmp, st__mt_export(src[i].node->item,
									 t->layout.nclust, scratch));
					src[i].node = src[i].node->next[0];
				}
			}
			nparts++;
		}
		scan_parts(x, st_sl_first(&tmp.parts));
		batch = batch * 2 < MERGE_BATCH_PARTS ? batch * 2 : MERGE_BATCH_PARTS;
		st__mt_free_contents(&tmp);
		hl_arena_reset(scratch);
		st__mt_init(&tmp, &t->layout, t->seed);
	}
done:
	st__mt_free_contents(&tmp);
exit:
	hl_arena_free(scratch);
	free(src);
}

/*
 * The clustering slices an SSTable must supply for a partition read: the
 * command's, cut at its paging position (rows after it, or before it when
 * reversed). false: every row is needed.
 */
static bool part_slices(rd *x, hl_arena *a, const st_slice **out, int *nout)
{
	const st_table_layout *l = x->l;
	const st_bytes *after = l->nclust ? x->cmd->after_clust : NULL;
	st_bound ab = { l->nclust, after, false };
	st_slice *v;
	int n = 0;

	if (!x->cmd->has_slices && !after)
		return false;
	v = hl_arena_alloc(a, sizeof(*v) * (size_t)(x->nslices ? x->nslices : 1));
	for (int i = 0; i < x->nslices; i++) {
		st_slice sl = x->slices[i];

		if (after && !x->cmd->reversed) {
			if (st__cmp_bounds(l, &sl.start, false, &ab, false) < 0)
				sl.start = ab;
		} else if (after) {
			if (st__cmp_bounds(l, &sl.end, true, &ab, true) > 0)
				sl.end = ab;
		}
		if (st__cmp_bounds(l, &sl.start, false, &sl.end, true) < 0)
			v[n++] = sl;
	}
	*out = v;
	*nout = n;
	return true;
}

/*
 * Single partition: gather it from every source that may hold it. SSTables
 * are left out when the token is outside their span, by the bloom filter,
 * and once a partition deletion is known, when everything in them is older
 * (their max timestamp): all of it would be shadowed. With slices or a
 * paging position only the promoted-index blocks that matter are decoded.
 */
static void read_merged_part(st_engine *e, st_table *t, rd *x)
{
	const st_read_cmd *c = x->cmd;
	st_pkey k = { c->token, c->key, c->keylen };
	hl_arena *scratch = NULL;
	st_memtable tmp;
	bool have_tmp = false;
	const st_memtable *only = NULL;
	const mt_part *first = NULL;   /* the first memtable hit, not merged yet */
	int found = 0;
	int64_t deleted = ST_NO_TS;    /* newest partition deletion seen */
	const st_slice *sl = NULL;
	int nsl = -1;                  /* -1: not computed yet */
	bool sliced = false;

	/* The scratch memtable (its arena, the partition copied into it) is
	 * made only once a second source turns up: the common read that one
	 * memtable answers is read in place without any of it. */
#define NEED_TMP()                                                                              \
	do {                                                                                    \
		if (!have_tmp) {                                                                \
			st__mt_init(&tmp, &t->layout, t->seed);                                 \
			have_tmp = true;                                                        \
			if (first)                                                              \
				st__mt_apply(&tmp, st__mt_export(first, t->layout.nclust, scratch)); \
		}                                                                               \
	} while (0)
	for (const st_memtable *m = t->mt; m; m = m == t->mt ? t->frozen : m->next) {
		const mt_part *p;

		if (m->flushed)
			continue;
		p = st__mt_find(m, k.token, k.key, k.keylen);
		if (!p)
			continue;
		if (p->pdel.ts != ST_NO_TS && p->pdel.ts > deleted)
			deleted = p->pdel.ts;
		if (!found) {
			first = p;
		} else {
			if (!scratch)
				scratch = hl_arena_new(16 * 1024);
			NEED_TMP();
			st__mt_apply(&tmp, st__mt_export(p, t->layout.nclust, scratch));
		}
		only = m;
		found++;
	}
	if (st__token_owned(e, c->token)) {
		for (st_sst *s = t->ssts; s; s = s->next) {
			const sst_meta *mm = sst_info(s->r);
			st_mutation *m = NULL;
			int rc;

			if (!mm->has_keys || c->token < mm->first_token || c->token > mm->last_token ||
			    (deleted != ST_NO_TS && s->max_ts < deleted) ||
			    !sst_may_contain(s->r, c->key, c->keylen)) {
				t->sst_skipped++;
				continue;
			}
			if (!scratch)
				scratch = hl_arena_new(16 * 1024);
			if (nsl < 0) {
				nsl = 0;
				sliced = part_slices(x, scratch, &sl, &nsl);
			}
			if (sliced)
				rc = sst_get_partition_slice(s->r, c->key, c->keylen, c->token, nsl, sl,
							     scratch, &m, x->err);
			else
				rc = sst_get_partition(s->r, c->key, c->keylen, c->token, scratch, &m,
						       x->err);
			if (rc < 0 || (rc > 0 && st__mt_validate(&t->layout, m, x->err))) {
				x->rc = -1;
				goto exit;
			}
			if (rc > 0) {
				t->sst_parts_read++;
				x->res->sstables++;
				if (m->pdel.ts != ST_NO_TS && m->pdel.ts > deleted)
					deleted = m->pdel.ts;
				NEED_TMP();
				st__mt_apply(&tmp, m);
				found++;
				only = NULL;
			}
		}
	}
#undef NEED_TMP
	/* One memtable holds it and nothing else: read it in place. */
	if (found == 1 && only) {
		x->mt = only;
		read_part(x, first, x->l->nclust ? c->after_clust : NULL);
	} else if (found) {
		x->mt = &tmp;
		read_part(x, st__mt_find(x->mt, k.token, k.key, k.keylen),
			  x->l->nclust ? c->after_clust : NULL);
	}
exit:
	if (have_tmp)
		st__mt_free_contents(&tmp);
	if (scratch)
		hl_arena_free(scratch);
}

void st_read_init(st_read_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = ST_READ_RANGE;
	c->start_token = INT64_MIN;
	c->end_token = INT64_MAX;
	c->start_inclusive = true;
	c->end_inclusive = true;
}

const st_rcell *st_rcell_find(const st_rcell *cells, int n, int col)
{
	int lo = 0, hi = n - 1;

	/* Cells are sorted by column; complex columns may hold several, return
	 * the first. */
	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (cells[mid].col < col)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return lo < n && cells[lo].col == col ? &cells[lo] : NULL;
}

int st_read(st_engine *e, const hl_uuid *table, const st_read_cmd *cmd, hl_arena *out,
	    st_result *res, hl_err *err)
{
	rd x = { 0 };

	st_table *t;

	memset(res, 0, sizeof(*res));
	t = st__table(e, table);
	if (!t) {
		x.rc = hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
		goto exit;
	}
	x.mt = t->mt;
	x.l = &t->layout;
	x.cmd = cmd;
	x.out = out;
	x.res = res;
	x.err = err;
	x.sel = hl_arena_zalloc(out, (size_t)(x.l->ncols ? x.l->ncols : 1));
	if (cmd->cols) {
		for (int i = 0; i < cmd->ncols; i++)
			if (cmd->cols[i] >= 0 && cmd->cols[i] < x.l->ncols)
				x.sel[cmd->cols[i]] = true;
	} else {
		for (int i = 0; i < x.l->ncols; i++)
			x.sel[i] = true;
	}
	if (cmd->has_slices) {
		for (int i = 0; i < cmd->nslices; i++)
			if (cmd->slices[i].start.n > x.l->nclust || cmd->slices[i].end.n > x.l->nclust ||
			    cmd->slices[i].start.n < 0 || cmd->slices[i].end.n < 0) {
				x.rc = hl_errf(err, HL_ERR_SERVER, "storage: malformed slice");
				goto exit;
			}
		x.slices = cmd->slices;
		x.nslices = cmd->nslices;
	} else {
		x.slices = &all_slice;
		x.nslices = 1;
	}
	if (t->frozen || t->ssts) {
		if (cmd->kind == ST_READ_PARTITION)
			read_merged_part(e, t, &x);
		else
			read_merged_range(e, t, &x);
	} else if (cmd->kind == ST_READ_PARTITION) {
		st_pkey k = { cmd->token, cmd->key, cmd->keylen };
		const mt_part *p = st__mt_find(x.mt, k.token, k.key, k.keylen);

		if (p)
			read_part(&x, p, x.l->nclust ? cmd->after_clust : NULL);
	} else {
		read_range(&x);
	}
exit:
	return x.rc;
}
