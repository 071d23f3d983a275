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

static int make_cas(qry_exec *x, q_plan *p, int nclust, st_bytes **clusts);

static int64_t next_timestamp(qry_exec *x)
{
	return x->now_us;
}

/*
 * List element paths: version 1 time-UUIDs whose order is the list's.
 * Appends take ever-growing ticks from now; prepends take ever-shrinking
 * ticks mirrored around 2010-01-01 (Cassandra's prepend epoch), so a later
 * prepend lands before earlier ones. The node field carries the shard so
 * two shards never mint the same path.
 */
#define PREPEND_EPOCH_TICKS ((1262304000000LL * 10000LL) + 0x01B21DD213814000LL)

static void list_path(qry_exec *x, bool prepend, uint8_t out[16])
{
	qry_shard *sh = x->sh;
	int64_t now = x->now_us * 10 + 0x01B21DD213814000LL;
	int64_t t;
	if (!prepend) {
		t = now > sh->last_append ? now : sh->last_append + 1;
		sh->last_append = t;
	} else {
		int64_t mirror = PREPEND_EPOCH_TICKS - (now - PREPEND_EPOCH_TICKS);
		t = sh->last_prepend && mirror >= sh->last_prepend ? sh->last_prepend - 1 : mirror;
		sh->last_prepend = t;
	}
	uint64_t u = (uint64_t)t;
	out[0] = (uint8_t)(u >> 24); out[1] = (uint8_t)(u >> 16);
	out[2] = (uint8_t)(u >> 8); out[3] = (uint8_t)u;
	out[4] = (uint8_t)(u >> 40); out[5] = (uint8_t)(u >> 32);
	out[6] = (uint8_t)(0x10 | ((u >> 56) & 0x0f)); out[7] = (uint8_t)(u >> 48);
	out[8] = 0x80; out[9] = 0x00;
	out[10] = 0x01; out[11] = 0x5e; out[12] = 0x48; out[13] = 0x4c;   /* multicast bit: not a MAC */
	out[14] = (uint8_t)(sh->shard >> 8); out[15] = (uint8_t)sh->shard;
}

/* The row (or static row) to write a column's cells into. */
static st_mrow *row_for(const sch_column *c, st_mrow *row, st_mutation *mut)
{
	return c->kind == SCH_STATIC ? st_mut_static(mut) : row;
}

/* Cells of a collection value: one per element. */
int q_put_elements(qry_exec *x, const sch_column *c, q_val v, st_mrow *r, int64_t ts,
			int32_t ttl, int64_t expire, bool prepend, bool remove)
{
	const ty_type *t = c->type;
	hl_rd rd;
	hl_rd_init(&rd, v.p, (size_t)v.len);
	if (t->kind == TY_UDT) {
		/* one cell per non-null field; missing trailing fields are null */
		for (int f = 0; f < t->nsub && hl_rd_left(&rd) > 0; f++) {
			const uint8_t *fp;
			int32_t fl;
			if (hl_rd_pbytes(&rd, &fp, &fl) < 0)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid UDT value for %s", c->name);
			if (fl < 0)
				continue;
			uint8_t path[2];
			q_field_path(f, path);
			st_row_cell_path(r, c->id, path, 2, ts, ttl, expire, fp, (size_t)fl);
		}
		(void)prepend;
		(void)remove;
		return 0;
	}
	uint32_t n;
	if (hl_rd_u32(&rd, &n) < 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "Invalid collection value for %s", c->name);
	const uint8_t **ev = hl_arena_alloc(x->a, sizeof(uint8_t *) * (n + 1) * 2);
	int32_t *el = hl_arena_alloc(x->a, sizeof(int32_t) * (n + 1) * 2);
	bool map = t->kind == TY_MAP && !remove;
	for (uint32_t i = 0; i < n; i++) {
		if (hl_rd_pbytes(&rd, &ev[2 * i], &el[2 * i]) < 0 || el[2 * i] < 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid collection value for %s", c->name);
		if (map && (hl_rd_pbytes(&rd, &ev[2 * i + 1], &el[2 * i + 1]) < 0 || el[2 * i + 1] < 0))
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid collection value for %s", c->name);
	}
	for (uint32_t k = 0; k < n; k++) {
		/* prepend [a, b]: mint b's path first so a sorts before it */
		uint32_t i = prepend ? n - 1 - k : k;
		const uint8_t *e = ev[2 * i];
		uint32_t elen = (uint32_t)el[2 * i];
		if (t->kind == TY_LIST) {
			uint8_t path[16];
			list_path(x, prepend, path);
			st_row_cell_path(r, c->id, path, 16, ts, ttl, expire, e, elen);
		} else if (t->kind == TY_SET) {
			if (remove)
				st_row_tombstone_path(r, c->id, e, elen, ts, x->now_s);
			else
				st_row_cell_path(r, c->id, e, elen, ts, ttl, expire, "", 0);
		} else if (remove) {
			st_row_tombstone_path(r, c->id, e, elen, ts, x->now_s);
		} else {
			st_row_cell_path(r, c->id, e, elen, ts, ttl, expire, ev[2 * i + 1],
					 (size_t)el[2 * i + 1]);
		}
	}
	return 0;
}

static int write_cells(qry_exec *x, q_modify *m, st_mrow *row, st_mutation *mut, int64_t ts,
		       int32_t ttl)
{
	int64_t expire = ttl > 0 ? x->now_s + ttl : 0;
	for (int i = 0; i < m->nassign; i++) {
		const q_assign *as = &m->assign[i];
		const sch_column *c = as->col;
		bool st = c->kind == SCH_STATIC;
		bool cells = q_is_cells(c->type);
		st_mrow *r = cells ? row_for(c, row, mut) : NULL;
		if (m->kind == Q_MOD_DELETE && as->op != Q_AS_DEL_KEY && as->op != Q_AS_LIST_DEL &&
		    as->op != Q_AS_DEL_FIELD) {
			if (cells)
				st_row_complex_delete(r, c->id, ts, x->now_s);
			else if (st)
				st_mut_static_tombstone(mut, c->id, ts, x->now_s);
			else
				st_row_tombstone(row, c->id, ts, x->now_s);
			continue;
		}
		if (as->op == Q_AS_COUNTER || as->op == Q_AS_LIST_SET || as->op == Q_AS_LIST_DEL ||
		    as->op == Q_AS_LIST_REMOVE)
			continue;      /* the owning shard reads, then writes (q_cas_eval) */
		if (as->op == Q_AS_FIELD || as->op == Q_AS_DEL_FIELD) {
			/* one UDT field: its cell, or its cell tombstone */
			uint8_t path[2];
			q_field_path(as->field, path);
			q_val v = { NULL, QRY_NULL };
			if (as->op == Q_AS_FIELD &&
			    q_eval(x, as->value, c->type->sub[as->field],
				   hl_arena_printf(x->a, "%s.%s", c->name, c->type->field_names[as->field]), &v) < 0)
				return -1;
			if (v.len == QRY_UNSET)
				continue;
			if (v.len < 0)
				st_row_tombstone_path(r, c->id, path, 2, ts, x->now_s);
			else
				st_row_cell_path(r, c->id, path, 2, ts, ttl, expire, v.p, (size_t)v.len);
			continue;
		}
		if (as->op == Q_AS_PUT || as->op == Q_AS_DEL_KEY) {
			/* one map entry */
			q_val k, v = { NULL, QRY_NULL };
			if (q_eval(x, as->key, c->type->sub[0], c->name, &k) < 0)
				return -1;
			if (k.len < 0)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null map key for %s", c->name);
			if (as->op == Q_AS_PUT && q_eval(x, as->value, c->type->sub[1], c->name, &v) < 0)
				return -1;
			if (v.len == QRY_UNSET)
				continue;
			if (v.len < 0)
				st_row_tombstone_path(r, c->id, k.p, (size_t)k.len, ts, x->now_s);
			else
				st_row_cell_path(r, c->id, k.p, (size_t)k.len, ts, ttl, expire, v.p,
						 (size_t)v.len);
			continue;
		}
		const ty_type *vt = c->type;
		if (as->op == Q_AS_SUB && c->type->kind == TY_MAP)
			vt = ty_set(x->a, c->type->sub[0], true);   /* m = m - {keys} */
		q_val v;
		if (q_eval(x, as->value, vt, c->name, &v) < 0)
			return -1;
		if (v.len == QRY_UNSET)
			continue;
		q_normalize(x, vt, &v);
		if (!cells) {
			if (v.len == QRY_NULL) {
				if (st)
					st_mut_static_tombstone(mut, c->id, ts, x->now_s);
				else
					st_row_tombstone(row, c->id, ts, x->now_s);
			} else if (st) {
				st_mut_static_cell(mut, c->id, ts, ttl, expire, v.p, (size_t)v.len);
			} else {
				st_row_cell(row, c->id, ts, ttl, expire, v.p, (size_t)v.len);
			}
			continue;
		}
		switch (as->op) {
		case Q_AS_SET:
			/* the old elements go (a deletion just before ts), the new ones come */
			st_row_complex_delete(r, c->id, v.len == QRY_NULL ? ts : ts - 1, x->now_s);
			if (v.len > 0 && q_put_elements(x, c, v, r, ts, ttl, expire, false, false) < 0)
				return -1;
			break;
		case Q_AS_ADD:
		case Q_AS_PREPEND:
			if (v.len > 0 && q_put_elements(x, c, v, r, ts, ttl, expire, as->op == Q_AS_PREPEND,
						      false) < 0)
				return -1;
			break;
		case Q_AS_SUB:
			if (v.len > 0 && q_put_elements(x, c, v, r, ts, 0, 0, false, true) < 0)
				return -1;
			break;
		}
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

static int collect(qry_exec *x, q_plan *p, int64_t batch_ts, bool has_batch_ts);

/*
 * INSERT JSON: the object's members become bound values of a plain INSERT
 * of every column (appended after the statement's own bind values, which
 * USING TTL ? / TIMESTAMP ? still refer to). Columns the object leaves out
 * are null, or untouched with DEFAULT UNSET, as Cassandra does.
 */
static int collect_json(qry_exec *x, q_plan *p, int64_t batch_ts, bool has_batch_ts)
{
	q_modify *m = p->mod;
	const sch_table *t = p->table;
	q_val jv;
	if (q_eval(x, m->json_value, ty_simple(TY_TEXT), "[json]", &jv) < 0)
		return -1;
	if (jv.len < 0)
		return hl_errf(&x->err, HL_ERR_INVALID, "Got null for INSERT JSON values");
	int n;
	const char **keys, **vals;
	size_t *vlens;
	if (ty_json_object((const char *)jv.p, (size_t)jv.len, x->a, &n, &keys, &vals, &vlens,
			   &x->err) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (!sch_find_column(t, keys[i]))
			return hl_errf(&x->err, HL_ERR_INVALID, "JSON values map contains unrecognized "
				       "column: %s", keys[i]);
	int base = x->nvalues;
	qry_value *v = hl_arena_zalloc(x->a, sizeof(qry_value) * (size_t)(base + t->ncols + 1));
	if (base)
		memcpy(v, x->values, sizeof(qry_value) * (size_t)base);
	q_modify *jm = hl_arena_zalloc(x->a, sizeof *jm);
	*jm = *m;
	jm->json = false;
	jm->pk = hl_arena_zalloc(x->a, sizeof(q_restr *) * (size_t)(t->npk + 1));
	jm->assign = hl_arena_zalloc(x->a, sizeof(q_assign) * (size_t)(t->ncols + 1));
	jm->nassign = 0;
	memset(jm->insert_ck, 0, sizeof jm->insert_ck);
	int nreg = 0, nstatic = 0;
	for (int c = 0; c < t->ncols; c++) {
		const sch_column *col = &t->cols[c];
		int found = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(keys[i], col->name) == 0)
				found = i;
		qry_value *qv = &v[base + c];
		if (found < 0) {
			qv->len = m->default_unset ? QRY_UNSET : QRY_NULL;
			if (col->kind == SCH_PARTITION_KEY || col->kind == SCH_CLUSTERING)
				qv->len = QRY_NULL;
		} else {
			hl_buf b;
			hl_buf_init(&b);
			hl_err e;
			hl_err_clear(&e);
			int rc = ty_from_json(col->type, vals[found], vlens[found], &b, &e);
			if (rc < 0) {
				hl_buf_free(&b);
				return hl_errf(&x->err, HL_ERR_INVALID, "Error decoding JSON value for %s: %s",
					       col->name, e.msg);
			}
			qv->len = rc == 1 ? QRY_NULL : (int32_t)b.len;
			qv->p = rc == 1 ? NULL : b.len ? hl_arena_memdup(x->a, b.p, b.len)
						       : (const uint8_t *)"";
			hl_buf_free(&b);
		}
		if ((col->kind == SCH_PARTITION_KEY || col->kind == SCH_CLUSTERING) && qv->len < 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value in condition for column %s",
				       col->name);
		cql_term *term = hl_arena_zalloc(x->a, sizeof *term);
		term->kind = CQL_TERM_BIND;
		term->bind_index = base + c;
		if (col->kind == SCH_PARTITION_KEY) {
			q_restr *r = hl_arena_zalloc(x->a, sizeof *r);
			r->op = CQL_OP_EQ;
			r->ncols = 1;
			r->cols = hl_arena_alloc(x->a, sizeof(*r->cols));
			r->cols[0] = col;
			r->value = term;
			jm->pk[col->position] = r;
		} else if (col->kind == SCH_CLUSTERING) {
			jm->insert_ck[col->position] = term;
		} else {
			jm->assign[jm->nassign].col = col;
			jm->assign[jm->nassign].value = term;
			jm->nassign++;
			if (qv->len != QRY_UNSET) {
				if (col->kind == SCH_STATIC)
					nstatic++;
				else
					nreg++;
			}
		}
	}
	jm->static_only = t->nck > 0 && nstatic > 0 && nreg == 0 && !jm->insert_ck[0];
	q_plan jp = *p;
	jp.mod = jm;
	const qry_value *sv = x->values;
	int sn = x->nvalues;
	x->values = v;
	x->nvalues = base + t->ncols;
	int rc = collect(x, &jp, batch_ts, has_batch_ts);
	x->values = sv;
	x->nvalues = sn;
	return rc;
}

/* Build the mutations of one modification statement into x->ops. */
static int collect(qry_exec *x, q_plan *p, int64_t batch_ts, bool has_batch_ts)
{
	q_modify *m = p->mod;
	if (m->json)
		return collect_json(x, p, batch_ts, has_batch_ts);
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
	bool conditional = m->if_exists || m->if_not_exists || m->nconds;
	if (m->counter || m->list_rmw) {
		/* each partition's counters / lists are read and rewritten on its shard */
		if (nclust > 1 || nkeys > 1)
			return hl_errf(&x->err, HL_ERR_INVALID, "IN restrictions are not supported on "
				       "counter updates yet");
	}
	if (conditional) {
		if (nkeys != 1)
			return hl_errf(&x->err, HL_ERR_INVALID, "IN on the partition key is not supported "
				       "with conditional %s", m->kind == Q_MOD_DELETE ? "deletions" : "updates");
		if (range)
			return hl_errf(&x->err, HL_ERR_INVALID, "DELETE statements must restrict all "
				       "PRIMARY KEY columns with equality relations in order to use IF "
				       "conditions");
		if (nclust > 1)
			return hl_errf(&x->err, HL_ERR_INVALID, "IN on the clustering key columns is not "
				       "supported with conditional %s",
				       m->kind == Q_MOD_DELETE ? "deletions" : "updates");
		if (t->nck && nclust == 0 && !m->static_only && m->kind != Q_MOD_DELETE)
			return hl_errf(&x->err, HL_ERR_INVALID, "Some clustering keys are missing: %s",
				       t->ck[0]->name);
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
	if ((conditional || m->counter || m->list_rmw) && make_cas(x, p, nclust, clusts) < 0)
		return -1;
	return q_view_mark(x, t);
}

/* Turn the single write op of a conditional statement into a CAS op. */
static int make_cas(qry_exec *x, q_plan *p, int nclust, st_bytes **clusts)
{
	q_modify *m = p->mod;
	const sch_table *t = p->table;
	qry_op *op = x->ops[x->nops - 1];
	q_cas *c = hl_arena_zalloc(x->a, sizeof *c);
	c->table = t;
	c->if_exists = m->if_exists;
	c->if_not_exists = m->if_not_exists;
	c->nconds = m->nconds;
	c->conds = m->conds;
	c->cond_vals = hl_arena_zalloc(x->a, sizeof(q_val) * (size_t)(m->nconds + 1) * 1);
	c->cond_nvals = hl_arena_zalloc(x->a, sizeof(int) * (size_t)(m->nconds + 1));
	q_val **vals = hl_arena_zalloc(x->a, sizeof(q_val *) * (size_t)(m->nconds + 1));
	c->cond_keys = hl_arena_zalloc(x->a, sizeof(q_val) * (size_t)(m->nconds + 1));
	for (int i = 0; i < m->nconds; i++) {
		const q_cond *qc = &m->conds[i];
		const char *what = qc->col->name;
		if (qc->kind == Q_COND_ELEMENT) {
			bool list = qc->col->type->kind == TY_LIST;
			q_val *k = &c->cond_keys[i];
			if (q_eval(x, qc->key, list ? ty_simple(TY_INT) : qc->col->type->sub[0], what, k) < 0)
				return -1;
			if (k->len == QRY_UNSET)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid 'unset' value in condition");
			if (k->len < 0)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for %s element access",
					       list ? "list" : "map");
			if (list && k->len == 4 && (k->p[0] & 0x80))
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid negative list index %d",
					       ty_get_int(k->p, 4));
		}
		if (qc->op == CQL_OP_IN) {
			q_restr r = { CQL_OP_IN, 1, NULL, qc->value, qc->nvalues, qc->values };
			if (q_eval_in(x, &r, qc->vtype, what, &c->cond_nvals[i], &vals[i]) < 0)
				return -1;
		} else {
			vals[i] = hl_arena_alloc(x->a, sizeof(q_val));
			if (q_eval(x, qc->value, qc->vtype, what, vals[i]) < 0)
				return -1;
			if (vals[i]->len == QRY_UNSET)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid 'unset' value in condition");
			if (vals[i]->len < 0 && qc->op != CQL_OP_EQ && qc->op != CQL_OP_NEQ)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid comparison with null for "
					       "operator \"%s\"", cql_op_str(qc->op));
			c->cond_nvals[i] = 1;
		}
	}
	c->cond_vals = (q_val *)vals;   /* an array of arrays, see q_cas_run */
	c->nclust = nclust ? t->nck : 0;
	c->clust = nclust ? clusts[0] : NULL;
	if (m->list_rmw) {
		c->applied = true;
		c->lops = hl_arena_zalloc(x->a, sizeof(*c->lops) * (size_t)(m->nassign + 1));
		for (int i = 0; i < m->nassign; i++) {
			const q_assign *as = &m->assign[i];
			if (as->op != Q_AS_LIST_SET && as->op != Q_AS_LIST_DEL && as->op != Q_AS_LIST_REMOVE)
				continue;
			struct q_lop *lo = &c->lops[c->nlops];
			lo->col = as->col;
			lo->op = as->op;
			if (as->op != Q_AS_LIST_REMOVE) {
				int64_t idx;
				bool set;
				if (q_eval_int(x, as->key, "index", &idx, &set) < 0)
					return -1;
				if (!set)
					return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for list index");
				lo->index = idx;
			}
			if (as->op == Q_AS_LIST_SET) {
				if (q_eval(x, as->value, as->col->type->sub[0], as->col->name, &lo->value) < 0)
					return -1;
				if (lo->value.len == QRY_UNSET)
					continue;
			} else if (as->op == Q_AS_LIST_REMOVE) {
				if (q_eval(x, as->value, as->col->type, as->col->name, &lo->value) < 0)
					return -1;
				if (lo->value.len < 0)
					continue;
			}
			c->nlops++;
		}
		c->row = op->mut->rows ? op->mut->rows : st_mut_row(op->mut, c->nclust, c->clust);
		c->ts = x->now_us;
	}
	if (m->counter) {
		c->applied = true;
		c->ndeltas = 0;
		c->dcols = hl_arena_alloc(x->a, sizeof(sch_column *) * (size_t)(m->nassign + 1));
		c->deltas = hl_arena_alloc(x->a, sizeof(int64_t) * (size_t)(m->nassign + 1));
		for (int i = 0; i < m->nassign; i++) {
			if (m->assign[i].op != Q_AS_COUNTER)
				continue;
			q_val dv;
			if (q_eval(x, m->assign[i].value, ty_simple(TY_BIGINT), m->assign[i].col->name,
				   &dv) < 0)
				return -1;
			if (dv.len == QRY_UNSET)
				continue;
			if (dv.len != 8)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for counter "
					       "increment");
			int64_t d = ty_get_bigint(dv.p, 8);
			c->dcols[c->ndeltas] = m->assign[i].col;
			c->deltas[c->ndeltas++] = m->counter_sub[i] ? (int64_t)(0ULL - (uint64_t)d) : d;
		}
		c->row = op->mut->rows ? op->mut->rows : st_mut_row(op->mut, c->nclust, c->clust);
		c->ts = x->now_us;
	}
	op->kind = QRY_OP_CAS;
	op->cas = c;
	op->arena = hl_arena_new(4096);
	q_track_arena(x, op->arena);
	st_read_cmd *rc = &op->cmd;
	st_read_init(rc);
	rc->kind = ST_READ_PARTITION;
	rc->key = op->mut->key;
	rc->keylen = op->mut->keylen;
	rc->token = op->mut->token;
	rc->now = x->now_s;
	rc->count_static_only = true;
	if (c->nclust) {
		st_slice *sl = hl_arena_zalloc(x->a, sizeof *sl);
		sl->start.n = sl->end.n = t->nck;
		sl->start.vals = sl->end.vals = c->clust;
		sl->start.inclusive = sl->end.inclusive = true;
		rc->has_slices = true;
		rc->nslices = 1;
		rc->slices = sl;
	} else if (t->nck) {
		rc->has_slices = true;       /* static row only */
		rc->nslices = 0;
	}
	return 0;
}

/* Does a serialized collection hold needle (as an element, map value, or
 * with key, map key)? */
static bool coll_has(const ty_type *t, q_val coll, q_val needle, bool key)
{
	hl_rd rd;
	hl_rd_init(&rd, coll.p, (size_t)coll.len);
	uint32_t n;
	if (coll.len < 4 || hl_rd_u32(&rd, &n) < 0)
		return false;
	bool map = t->kind == TY_MAP;
	const ty_type *et = map && !key ? t->sub[1] : t->sub[0];
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p[2];
		int32_t l[2] = { -1, -1 };
		if (hl_rd_pbytes(&rd, &p[0], &l[0]) < 0 || (map && hl_rd_pbytes(&rd, &p[1], &l[1]) < 0))
			return false;
		int w = map && !key ? 1 : 0;
		if (l[w] >= 0 && ty_compare(et, p[w], (size_t)l[w], needle.p, (size_t)needle.len) == 0)
			return true;
	}
	return false;
}

static bool cond_holds(const q_cond *qc, const q_val *vals, int nvals, q_val cur)
{
	const ty_type *t = qc->type;
	for (int i = 0; i < nvals; i++) {
		q_val w = vals[i];
		if (qc->op == CQL_OP_CONTAINS || qc->op == CQL_OP_CONTAINS_KEY) {
			if (cur.len >= 0 && w.len >= 0 && coll_has(t, cur, w, qc->op == CQL_OP_CONTAINS_KEY))
				return true;
			continue;
		}
		int cmp = 0;
		bool both = cur.len >= 0 && w.len >= 0;
		if (both)
			cmp = ty_compare(t, cur.p, (size_t)cur.len, w.p, (size_t)w.len);
		bool eq = both ? cmp == 0 : (cur.len < 0 && w.len < 0);
		bool ok;
		switch (qc->op) {
		case CQL_OP_EQ: case CQL_OP_IN: ok = eq; break;
		case CQL_OP_NEQ: ok = !eq; break;
		case CQL_OP_LT: ok = both && cmp < 0; break;
		case CQL_OP_LTE: ok = both && cmp <= 0; break;
		case CQL_OP_GT: ok = both && cmp > 0; break;
		case CQL_OP_GTE: ok = both && cmp >= 0; break;
		default: ok = false;
		}
		if (ok)
			return true;
	}
	return false;
}

/*
 * What an element or field condition compares: taken from the column's
 * serialized value (a non-frozen column is assembled from its cells into the
 * same form), so frozen and non-frozen columns behave alike. A missing map
 * key, a list index past the end or a missing field is null.
 */
static q_val cond_target(const q_cond *qc, q_val key, q_val whole)
{
	q_val v = { NULL, QRY_NULL };
	if (qc->kind == Q_COND_COLUMN || whole.len < 0)
		return qc->kind == Q_COND_COLUMN ? whole : v;
	const ty_type *t = qc->col->type;
	hl_rd rd;
	hl_rd_init(&rd, whole.p, (size_t)whole.len);
	if (qc->kind == Q_COND_FIELD) {
		for (int f = 0; f <= qc->field; f++) {
			const uint8_t *p;
			int32_t l;
			if (hl_rd_left(&rd) == 0 || hl_rd_pbytes(&rd, &p, &l) < 0)
				return v;
			if (f == qc->field && l >= 0) {
				v.p = p;
				v.len = l;
			}
		}
		return v;
	}
	uint32_t n;
	if (hl_rd_u32(&rd, &n) < 0)
		return v;
	bool map = t->kind == TY_MAP;
	int64_t idx = !map && key.len == 4 ? ty_get_int(key.p, 4) : -1;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p[2];
		int32_t l[2] = { -1, -1 };
		if (hl_rd_pbytes(&rd, &p[0], &l[0]) < 0 || (map && hl_rd_pbytes(&rd, &p[1], &l[1]) < 0))
			return v;
		bool hit = map ? l[0] >= 0 && ty_compare(t->sub[0], p[0], (size_t)l[0], key.p,
							 (size_t)key.len) == 0
			       : (int64_t)i == idx;
		if (hit) {
			int w = map ? 1 : 0;
			if (l[w] >= 0) {
				v.p = p[w];
				v.len = l[w];
			}
			return v;
		}
	}
	return v;
}

/* A regular or static column's current value in a CAS read (NULL len < 0). */
static q_val cell_value(hl_arena *a, const sch_column *col, const st_rpart *p, const st_rrow *row)
{
	q_val v = { NULL, QRY_NULL };
	const st_rcell *cells = NULL;
	int n = 0;
	if (col->kind == SCH_STATIC && p) {
		cells = p->statics;
		n = p->nstatic;
	} else if (col->kind != SCH_STATIC && row) {
		cells = row->cells;
		n = row->ncells;
	}
	if (!cells)
		return v;
	if (q_is_cells(col->type))
		return q_assemble(a, col->type, cells, n, col->id);
	const st_rcell *cell = st_rcell_find(cells, n, col->id);
	if (cell) {
		v.p = cell->value;
		v.len = (int32_t)cell->len;
	}
	return v;
}

/* On the owning shard: read, check the conditions, apply if they hold. */
void q_cas_eval(qry_op *op, st_engine *e)
{
	q_cas *c = op->cas;
	c->applied = false;
	op->status = st_read(e, &op->table, &op->cmd, op->arena, &op->res, &op->err);
	if (op->status < 0)
		return;
	const st_rpart *p = op->res.parts;
	bool rowwise = c->nclust || c->table->nck == 0;
	const st_rrow *row = p && rowwise ? p->rows : NULL;
	if (rowwise)
		c->row_exists = row != NULL;
	else
		c->row_exists = p && (p->nstatic > 0 || p->rows);
	bool ok = true;
	if (c->if_not_exists)
		ok = !c->row_exists;
	else if (c->if_exists)
		ok = c->row_exists;
	if (c->lops) {
		/* list operations by index or value: the current elements decide
		 * which cells (paths) to overwrite or delete */
		for (int i = 0; i < c->nlops; i++) {
			struct q_lop *lo = &c->lops[i];
			const st_rcell *cells = lo->col->kind == SCH_STATIC ? (p ? p->statics : NULL)
									   : (row ? row->cells : NULL);
			int n = lo->col->kind == SCH_STATIC ? (p ? p->nstatic : 0) : (row ? row->ncells : 0);
			int first = -1, cnt = 0;
			for (int k = 0; k < n; k++)
				if (cells[k].col == lo->col->id) {
					if (first < 0)
						first = k;
					cnt++;
				}
			st_mrow *r = lo->col->kind == SCH_STATIC ? st_mut_static(op->mut) : c->row;
			if (lo->op == Q_AS_LIST_REMOVE) {
				hl_rd rd;
				hl_rd_init(&rd, lo->value.p, (size_t)lo->value.len);
				uint32_t nv = 0;
				hl_rd_u32(&rd, &nv);
				const uint8_t *vp[64];
				int32_t vl[64];
				uint32_t m = 0;
				for (uint32_t k = 0; k < nv && m < 64; k++)
					if (hl_rd_pbytes(&rd, &vp[m], &vl[m]) == 0 && vl[m] >= 0)
						m++;
				for (int k = first; cnt && k < first + cnt; k++)
					for (uint32_t j = 0; j < m; j++)
						if ((uint32_t)vl[j] == cells[k].len &&
						    memcmp(vp[j], cells[k].value, cells[k].len) == 0) {
							st_row_tombstone_path(r, lo->col->id, cells[k].path,
									      cells[k].path_len, c->ts, op->cmd.now);
							break;
						}
				continue;
			}
			if (lo->index < 0 || lo->index >= cnt) {
				op->status = hl_errf(&op->err, HL_ERR_INVALID, "List index %lld out of bound, "
						     "list has size %d", (long long)lo->index, cnt);
				c->applied = false;
				return;
			}
			const st_rcell *cell = &cells[first + lo->index];
			if (lo->op == Q_AS_LIST_DEL || lo->value.len < 0)
				st_row_tombstone_path(r, lo->col->id, cell->path, cell->path_len, c->ts,
						      op->cmd.now);
			else
				st_row_cell_path(r, lo->col->id, cell->path, cell->path_len, c->ts, 0, 0,
						 lo->value.p, (size_t)lo->value.len);
		}
		c->applied = true;
		if (!c->deltas)
			return;
	}
	if (c->deltas) {
		/* counters: new total = current total + delta, written with this
		 * shard's (strictly increasing) timestamp so the latest total wins */
		for (int i = 0; i < c->ndeltas; i++) {
			const sch_column *col = c->dcols[i];
			q_val cur = cell_value(op->arena, col, p, row);
			int64_t v = cur.len == 8 ? ty_get_bigint(cur.p, 8) : 0;
			v = (int64_t)((uint64_t)v + (uint64_t)c->deltas[i]);
			uint8_t b[8];
			for (int k = 0; k < 8; k++)
				b[k] = (uint8_t)((uint64_t)v >> (56 - 8 * k));
			st_mrow *r = col->kind == SCH_STATIC ? st_mut_static(op->mut) : c->row;
			st_row_cell(r, col->id, c->ts, 0, 0, b, 8);
		}
		c->applied = true;
		return;
	}
	q_val **vals = (q_val **)c->cond_vals;
	for (int i = 0; ok && i < c->nconds; i++) {
		const q_cond *qc = &c->conds[i];
		q_val whole = cell_value(op->arena, qc->col, p, row);
		ok = cond_holds(qc, vals[i], c->cond_nvals[i], cond_target(qc, c->cond_keys[i], whole));
	}
	c->applied = ok;
}

/* The [applied] result of a CAS, with the current values when not applied. */
static int cas_result(qry_exec *x, qry_op *op)
{
	q_cas *c = op->cas;
	const sch_table *t = c->table;
	q_result_start(x);
	x->res.kind = QRY_RESULT_ROWS;
	x->has_res = true;
	x->done = true;
	/* the columns shown when not applied */
	const sch_column **order = hl_arena_alloc(x->a, sizeof(*order) * (size_t)(t->ncols + 1));
	sch_select_order(t, order);
	const sch_column **show = hl_arena_alloc(x->a, sizeof(*show) * (size_t)(t->ncols + 1));
	int nshow = 0;
	const st_rpart *p = op->res.parts;
	const st_rrow *row = p && (c->nclust || t->nck == 0) ? p->rows : NULL;
	if (!c->applied && c->row_exists) {
		for (int i = 0; i < t->ncols; i++) {
			bool want = c->if_not_exists || c->if_exists;
			for (int k = 0; k < c->nconds && !want; k++)
				want = c->conds[k].col == order[i];
			if (c->if_exists && !c->nconds)
				want = false;   /* IF EXISTS failing means no row: nothing to show */
			if (want)
				show[nshow++] = order[i];
		}
	}
	qry_colspec *cs = hl_arena_zalloc(x->a, sizeof(qry_colspec) * (size_t)(nshow + 1));
	cs[0].ks = t->ks;
	cs[0].table = t->name;
	cs[0].name = "[applied]";
	cs[0].type = ty_simple(TY_BOOLEAN);
	for (int i = 0; i < nshow; i++) {
		cs[i + 1].ks = t->ks;
		cs[i + 1].table = t->name;
		cs[i + 1].name = show[i]->name;
		cs[i + 1].type = show[i]->type;
	}
	x->res.meta.ncols = nshow + 1;
	x->res.meta.cols = cs;
	hl_buf *b = &x->res.rows;
	hl_buf_u32(b, 1);
	hl_buf_u8(b, c->applied ? 1 : 0);
	q_val pkv[64];
	if (p && t->npk <= 64)
		q_split_key(t, p->key, p->keylen, pkv);
	for (int i = 0; i < nshow; i++) {
		const sch_column *col = show[i];
		switch (col->kind) {
		case SCH_PARTITION_KEY:
			hl_buf_pbytes(b, pkv[col->position].p, pkv[col->position].len);
			continue;
		case SCH_CLUSTERING:
			if (c->clust)
				hl_buf_pbytes(b, c->clust[col->position].p, (int32_t)c->clust[col->position].len);
			else
				hl_buf_pbytes(b, NULL, -1);
			continue;
		default:
			break;
		}
		q_val cv = cell_value(x->a, col, p, row);
		hl_buf_pbytes(b, cv.p, cv.len < 0 ? -1 : cv.len);
	}
	x->res.nrows = 1;
	return QRY_DONE;
}

/*
 * A batch with conditions (Cassandra: all its statements on one partition
 * of one table) becomes one op: the owning shard checks every condition and
 * applies every statement, or none.
 */
int q_batch_conditional(qry_exec *x)
{
	bool any = false;
	for (int i = 0; i < x->nops; i++) {
		q_cas *c = x->ops[i]->kind == QRY_OP_CAS ? x->ops[i]->cas : NULL;
		if (c && !c->deltas && !c->lops)
			any = true;
	}
	if (!any)
		return 0;
	qry_op *first = x->ops[0];
	for (int i = 1; i < x->nops; i++) {
		qry_op *o = x->ops[i];
		if (memcmp(&o->table, &first->table, sizeof o->table) != 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Batch with conditions cannot span multiple "
				       "tables");
		if (o->mut->keylen != first->mut->keylen ||
		    memcmp(o->mut->key, first->mut->key, first->mut->keylen) != 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Batch with conditions cannot span multiple "
				       "partitions");
	}
	q_casb *b = hl_arena_zalloc(x->a, sizeof *b);
	b->nsub = x->nops;
	b->subs = hl_arena_alloc(x->a, sizeof(qry_op *) * (size_t)x->nops);
	memcpy(b->subs, x->ops, sizeof(qry_op *) * (size_t)x->nops);
	int nops = x->nops;
	x->nops = 0;
	qry_op *op = q_new_op(x, QRY_OP_CASB, first->shard);
	if (!op)
		return -1;
	op->table = first->table;
	op->cas = b;
	op->durable = first->durable;
	(void)nops;
	return 0;
}

/* [applied] of a conditional batch; on failure the rows its conditions read. */
static int casb_result(qry_exec *x, qry_op *op)
{
	q_casb *b = op->cas;
	const sch_table *t = NULL;
	for (int i = 0; i < b->nsub && !t; i++)
		if (b->subs[i]->kind == QRY_OP_CAS)
			t = ((q_cas *)b->subs[i]->cas)->table;
	q_result_start(x);
	x->res.kind = QRY_RESULT_ROWS;
	x->has_res = true;
	x->done = true;
	/* columns: [applied], then on failure the key columns and every
	 * column a condition names, in SELECT * order */
	const sch_column **order = hl_arena_alloc(x->a, sizeof(*order) * (size_t)(t->ncols + 1));
	sch_select_order(t, order);
	const sch_column **show = hl_arena_alloc(x->a, sizeof(*show) * (size_t)(t->ncols + 1));
	int nshow = 0;
	if (!b->applied)
		for (int i = 0; i < t->ncols; i++) {
			const sch_column *col = order[i];
			bool want = col->kind == SCH_PARTITION_KEY || col->kind == SCH_CLUSTERING;
			for (int s = 0; s < b->nsub && !want; s++) {
				q_cas *c = b->subs[s]->kind == QRY_OP_CAS ? b->subs[s]->cas : NULL;
				for (int k = 0; c && k < c->nconds && !want; k++)
					want = c->conds[k].col == col;
			}
			if (want)
				show[nshow++] = col;
		}
	qry_colspec *cs = hl_arena_zalloc(x->a, sizeof(qry_colspec) * (size_t)(nshow + 1));
	for (int i = 0; i <= nshow; i++) {
		cs[i].ks = t->ks;
		cs[i].table = t->name;
		cs[i].name = i ? show[i - 1]->name : "[applied]";
		cs[i].type = i ? show[i - 1]->type : ty_simple(TY_BOOLEAN);
	}
	x->res.meta.ncols = nshow + 1;
	x->res.meta.cols = cs;
	hl_buf *out = &x->res.rows;
	if (b->applied) {
		hl_buf_u32(out, 1);
		hl_buf_u8(out, 1);
		x->res.nrows = 1;
		return QRY_DONE;
	}
	int nrows = 0;
	for (int s = 0; s < b->nsub; s++) {
		qry_op *sub = b->subs[s];
		if (sub->kind != QRY_OP_CAS)
			continue;
		q_cas *c = sub->cas;
		const st_rpart *p = sub->res.parts;
		const st_rrow *row = p && (c->nclust || t->nck == 0) ? p->rows : NULL;
		if (!c->row_exists)
			continue;
		q_val pkv[64];
		if (t->npk > 64)
			continue;
		q_split_key(t, p->key, p->keylen, pkv);
		hl_buf_u32(out, 1);
		hl_buf_u8(out, 0);
		for (int i = 0; i < nshow; i++) {
			const sch_column *col = show[i];
			if (col->kind == SCH_PARTITION_KEY) {
				hl_buf_pbytes(out, pkv[col->position].p, pkv[col->position].len);
			} else if (col->kind == SCH_CLUSTERING) {
				if (c->clust)
					hl_buf_pbytes(out, c->clust[col->position].p,
						      (int32_t)c->clust[col->position].len);
				else
					hl_buf_pbytes(out, NULL, -1);
			} else {
				q_val cv = cell_value(x->a, col, p, row);
				hl_buf_pbytes(out, cv.p, cv.len < 0 ? -1 : cv.len);
			}
		}
		nrows++;
	}
	if (!nrows) {
		/* nothing existed: [applied] false alone */
		x->res.meta.ncols = 1;
		hl_buf_u32(out, 1);
		hl_buf_u8(out, 0);
		nrows = 1;
	}
	x->res.nrows = nrows;
	return QRY_DONE;
}

int q_writes_done(qry_exec *x)
{
	int vr = q_view_followup(x);   /* base writes done: keep their views in step */
	if (vr)
		return vr < 0 ? -1 : q_pending(x, q_writes_done);
	q_batchlog_done(x);
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->status < 0) {
			x->err = x->ops[i]->err;
			return -1;
		}
	if (x->nops == 1 && x->ops[0]->kind == QRY_OP_CASB)
		return casb_result(x, x->ops[0]);
	if (x->nops == 1 && x->ops[0]->kind == QRY_OP_CAS && !((q_cas *)x->ops[0]->cas)->deltas &&
	    !((q_cas *)x->ops[0]->cas)->lops)
		return cas_result(x, x->ops[0]);
	int nw = x->res.nwarnings;
	const char *w[4];
	memcpy(w, x->res.warnings, sizeof w);
	q_result_start(x);
	x->res.nwarnings = nw;
	memcpy(x->res.warnings, w, sizeof w);
	x->res.kind = QRY_RESULT_VOID;
	x->has_res = true;
	x->done = true;
	return QRY_DONE;
}

int q_modify_start(qry_exec *x)
{
	x->nops = 0;
	if (collect(x, x->plan, 0, false) < 0 || q_guard_write(x, x->plan, 0) < 0)
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
	int first = x->nops;
	int rc = collect(x, p, batch_ts, has_batch_ts);
	if (rc == 0)
		rc = q_guard_write(x, p, first);
	x->values = sv;
	x->nvalues = sn;
	return rc;
}
