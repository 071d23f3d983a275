/*
 * INSERT / UPDATE / DELETE / BATCH execution: bound values become one
 * storage mutation per partition, each sent to the shard owning the
 * partition's token. INSERT writes the row marker (primary-key liveness),
 * UPDATE only cells, DELETE tombstones at the narrowest level the WHERE
 * clause names (cells, row, clustering range, partition).
 */
#include <string.h>

#include "query/q_int.h"

#define MAX_TTL 630720000        /* 20 years, Cassandra's Attributes.MAX_TTL */

/* Full clusterings named by EQ/IN restrictions (cartesian product). */
static int full_clusterings(qry_exec *x, const sch_table *t, q_modify *m, int *n, st_bytes ***out)
{
	st_bytes **cur = hl_arena_alloc(x->a, sizeof(st_bytes *));
	int ncur = 1, len = 0;
	cur[0] = NULL;
	for (int i = 0; i < m->nck_restr; i++) {
		q_restr *r = m->ck[i];
		int nv;
		st_bytes **vals;
		if (q_restr_values(x, r, &nv, &vals) < 0)
			return -1;
		if ((int64_t)ncur * nv > 100000)
			return hl_errf(&x->err, HL_ERR_INVALID, "IN restrictions produce too many rows");
		st_bytes **nxt = hl_arena_alloc(x->a, sizeof(st_bytes *) * (size_t)(ncur * nv + 1));
		int nn = 0;
		for (int a = 0; a < ncur; a++)
			for (int b = 0; b < nv; b++) {
				st_bytes *v = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)(len + r->ncols + 1));
				if (len)
					memcpy(v, cur[a], sizeof(st_bytes) * (size_t)len);
				memcpy(v + len, vals[b], sizeof(st_bytes) * (size_t)r->ncols);
				nxt[nn++] = v;
			}
		cur = nxt;
		ncur = nn;
		len += r->ncols;
	}
	(void)t;
	*n = ncur;
	*out = cur;
	return 0;
}

static int64_t next_timestamp(qry_exec *x)
{
	return x->now_us;
}

static int write_cells(qry_exec *x, q_modify *m, st_mrow *row, st_mutation *mut, int64_t ts,
		       int32_t ttl)
{
	int64_t expire = ttl > 0 ? x->now_s + ttl : 0;
	for (int i = 0; i < m->nassign; i++) {
		const sch_column *c = m->assign[i].col;
		bool st = c->kind == SCH_STATIC;
		if (m->kind == Q_MOD_DELETE) {
			if (st)
				st_mut_static_tombstone(mut, c->id, ts, x->now_s);
			else
				st_row_tombstone(row, c->id, ts, x->now_s);
			continue;
		}
		q_val v;
		if (q_eval(x, m->assign[i].value, c->type, c->name, &v) < 0)
			return -1;
		if (v.len == QRY_UNSET)
			continue;
		q_normalize(x, c->type, &v);
		if (v.len == QRY_NULL) {
			if (st)
				st_mut_static_tombstone(mut, c->id, ts, x->now_s);
			else
				st_row_tombstone(row, c->id, ts, x->now_s);
			continue;
		}
		if (st)
			st_mut_static_cell(mut, c->id, ts, ttl, expire, v.p, (size_t)v.len);
		else
			st_row_cell(row, c->id, ts, ttl, expire, v.p, (size_t)v.len);
	}
	return 0;
}

static int check_clustering(qry_exec *x, const sch_table *t, int n, const st_bytes *v)
{
	for (int i = 0; i < n; i++)
		if (v[i].len > 65535)
			return hl_errf(&x->err, HL_ERR_INVALID, "Key length of %u is longer than maximum "
				       "of 65535", v[i].len);
	(void)t;
	return 0;
}

/* Build the mutations of one modification statement into x->ops. */
static int collect(qry_exec *x, q_plan *p, int64_t batch_ts, bool has_batch_ts)
{
	q_modify *m = p->mod;
	const sch_table *t = p->table;
	int64_t ts;
	bool set;
	int64_t v;
	if (q_eval_int(x, m->timestamp, "timestamp", &v, &set) < 0)
		return -1;
	if (set)
		ts = v;
	else if (has_batch_ts)
		ts = batch_ts;
	else if (x->params && x->params->has_timestamp)
		ts = x->params->timestamp;
	else
		ts = next_timestamp(x);
	if (ts == INT64_MIN)
		return hl_errf(&x->err, HL_ERR_INVALID, "Out of bound timestamp");
	int32_t ttl = t->params.default_time_to_live;
	if (q_eval_int(x, m->ttl, "ttl", &v, &set) < 0)
		return -1;
	if (set) {
		if (v < 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "A TTL must be greater or equal to 0, but "
				       "was %lld", (long long)v);
		if (v > MAX_TTL)
			return hl_errf(&x->err, HL_ERR_INVALID, "ttl is too large. requested (%lld) maximum "
				       "(%d)", (long long)v, MAX_TTL);
		ttl = (int32_t)v;
	}
	int nkeys;
	q_val *keys;
	if (q_pk_keys(x, t, m->pk, &nkeys, &keys) < 0)
		return -1;
	const sch_keyspace *ks = sch_find_keyspace(x->schema, t->ks);
	bool durable = !ks || ks->durable_writes;
	/* clustering */
	int nclust = 0;
	st_bytes **clusts = NULL;
	bool range = false;
	int nslices = 0;
	st_slice *slices = NULL;
	if (m->kind == Q_MOD_INSERT) {
		if (!m->static_only && t->nck) {
			st_bytes *c = hl_arena_alloc(x->a, sizeof(st_bytes) * (size_t)t->nck);
			for (int i = 0; i < t->nck; i++) {
				q_val cv;
				if (q_eval(x, m->insert_ck[i], t->ck[i]->type, t->ck[i]->name, &cv) < 0)
					return -1;
				if (cv.len < 0)
					return hl_errf(&x->err, HL_ERR_INVALID, "Invalid %s value for "
						       "clustering column %s",
						       cv.len == QRY_NULL ? "null" : "unset", t->ck[i]->name);
				c[i].p = cv.p;
				c[i].len = (uint32_t)cv.len;
			}
			clusts = hl_arena_alloc(x->a, sizeof(st_bytes *));
			clusts[0] = c;
			nclust = 1;
		}
	} else if (!m->static_only) {
		int covered = 0;
		for (int i = 0; i < m->nck_restr; i++) {
			if (m->ck[i]->op != CQL_OP_EQ && m->ck[i]->op != CQL_OP_IN)
				range = true;
			else
				covered = m->ck[i]->cols[0]->position + m->ck[i]->ncols;
		}
		if (m->kind == Q_MOD_DELETE && (range || (covered < t->nck && m->nck_restr))) {
			bool none, has;
			if (q_build_slices(x, t, m->ck, m->nck_restr, &none, &nslices, &slices, &has) < 0)
				return -1;
			range = true;
			if (none)
				nslices = 0;
		} else if (m->nck_restr) {
			if (full_clusterings(x, t, m, &nclust, &clusts) < 0)
				return -1;
		}
	}
	for (int k = 0; k < nkeys; k++) {
		int64_t token = hl_token(keys[k].p, (size_t)keys[k].len);
		int shard = qry_shard_of_token(token, x->sh->nshards);
		qry_op *op = q_new_op(x, QRY_OP_WRITE, shard);
		if (!op)
			return -1;
		op->table = t->id;
		op->durable = durable;
		st_mutation *mut = st_mut_new(x->a, keys[k].p, (size_t)keys[k].len, token);
		op->mut = mut;
		if (m->kind == Q_MOD_DELETE) {
			if (range) {
				for (int s = 0; s < nslices; s++)
					st_mut_range_tombstone(mut, &slices[s].start, &slices[s].end, ts, x->now_s);
				continue;
			}
			if (m->nassign == 0) {
				if (!m->nck_restr || t->nck == 0) {
					if (t->nck == 0) {
						st_mrow *r = st_mut_row(mut, 0, NULL);
						st_row_delete(r, ts, x->now_s);
					} else {
						st_mut_delete_partition(mut, ts, x->now_s);
					}
					continue;
				}
				for (int c = 0; c < nclust; c++) {
					if (check_clustering(x, t, t->nck, clusts[c]) < 0)
						return -1;
					st_mrow *r = st_mut_row(mut, t->nck, clusts[c]);
					st_row_delete(r, ts, x->now_s);
				}
				continue;
			}
		}
		if (m->static_only || (t->nck == 0 && nclust == 0)) {
			st_mrow *r = NULL;
			if (t->nck == 0) {
				r = st_mut_row(mut, 0, NULL);
				if (m->kind == Q_MOD_INSERT)
					st_row_marker(r, ts, ttl, ttl > 0 ? x->now_s + ttl : 0);
			}
			if (write_cells(x, m, r, mut, ts, ttl) < 0)
				return -1;
			continue;
		}
		for (int c = 0; c < nclust; c++) {
			if (check_clustering(x, t, t->nck, clusts[c]) < 0)
				return -1;
			st_mrow *r = st_mut_row(mut, t->nck, clusts[c]);
			if (m->kind == Q_MOD_INSERT)
				st_row_marker(r, ts, ttl, ttl > 0 ? x->now_s + ttl : 0);
			if (write_cells(x, m, r, mut, ts, ttl) < 0)
				return -1;
		}
	}
	return 0;
}

int q_writes_done(qry_exec *x)
{
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->status < 0) {
			x->err = x->ops[i]->err;
			return -1;
		}
	qry_result_init(&x->res);
	x->res.kind = QRY_RESULT_VOID;
	x->has_res = true;
	x->done = true;
	return QRY_DONE;
}

int q_modify_start(qry_exec *x)
{
	x->nops = 0;
	if (collect(x, x->plan, 0, false) < 0)
		return -1;
	if (x->nops == 0)
		return q_writes_done(x);
	return q_pending(x, q_writes_done);
}

int q_batch_collect(qry_exec *x, q_plan *p, const qry_value *vals, int nvals, int64_t batch_ts,
		    bool has_batch_ts)
{
	const qry_value *sv = x->values;
	int sn = x->nvalues;
	x->values = vals;
	x->nvalues = nvals;
	int rc = collect(x, p, batch_ts, has_batch_ts);
	x->values = sv;
	x->nvalues = sn;
	return rc;
}
