/*
 * The request executor: QUERY / PREPARE / EXECUTE / BATCH entry points,
 * the prepared-statement cache, the storage ops the executor hands to the
 * server (and runs on the owning shard), keeping each shard's storage
 * tables in step with the schema, and virtual system tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/q_int.h"

/* ------------------------------------------------------------ results */

void qry_result_init(qry_result *r)
{
	memset(r, 0, sizeof *r);
	hl_buf_init(&r->rows);
}

void qry_result_free(qry_result *r)
{
	hl_buf_free(&r->rows);
}

void q_result_start(qry_exec *x)
{
	hl_buf rows = x->res.rows;

	qry_result_init(&x->res);
	x->res.rows = rows;
	x->res.rows.len = 0;
}

/* ------------------------------------------------------------ helpers */

int q_fail(qry_exec *x, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	x->err.code = code;
	vsnprintf(x->err.msg, sizeof x->err.msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* A client warning (v4+ warning flag), kept in the request arena. */
void q_warn(qry_exec *x, const char *fmt, ...)
{
	if (x->res.nwarnings >= (int)(sizeof x->res.warnings / sizeof x->res.warnings[0]))
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	x->res.warnings[x->res.nwarnings++] = hl_arena_strdup(x->a, buf);
	hl_warn("%s", buf);
}

const sch_schema *q_schema(qry_exec *x)
{
	return x->schema;
}

/*
 * Op arenas are reset and kept by the (origin) shard for the next request:
 * a new 16 KiB arena per read, freed at its end, cost ~1,000 instructions of
 * malloc/free per point read. Taken and returned on the request's own
 * shard thread only.
 */
static hl_arena *spare_arena(qry_shard *sh, size_t chunk)
{
	return sh->nspare ? sh->spare[--sh->nspare] : hl_arena_new(chunk);
}

static void put_arena(qry_shard *sh, hl_arena *a)
{
	if (sh->nspare < (int)(sizeof sh->spare / sizeof sh->spare[0])) {
		hl_arena_reset(a);
		sh->spare[sh->nspare++] = a;
	} else {
		hl_arena_free(a);
	}
}

void q_track_arena(qry_exec *x, hl_arena *a)
{
	if (x->narenas == (int)(sizeof x->arenas / sizeof x->arenas[0])) {
		/* free the oldest: only the latest ops' results are ever referenced */
		put_arena(x->sh, x->arenas[0]);
		memmove(x->arenas, x->arenas + 1, sizeof(x->arenas[0]) * (size_t)(x->narenas - 1));
		x->narenas--;
	}
	x->arenas[x->narenas++] = a;
}

qry_op *q_new_op(qry_exec *x, int kind, int shard)
{
	static const int max_ops = 1 << 20;
	if (x->nops >= max_ops) {
		hl_errf(&x->err, HL_ERR_INVALID, "Too many partitions in one request");
		return NULL;
	}
	if ((x->nops & (x->nops - 1)) == 0) {
		/* grow at powers of two: ops live in the request arena */
		int cap = x->nops ? x->nops * 2 : 4;
		qry_op **n = hl_arena_alloc(x->a, sizeof(qry_op *) * (size_t)cap);
		if (x->nops)
			memcpy(n, x->ops, sizeof(qry_op *) * (size_t)x->nops);
		x->ops = n;
	}
	qry_op *op = hl_arena_zalloc(x->a, sizeof *op);
	op->kind = kind;
	op->shard = shard;
	if (kind == QRY_OP_READ) {
		op->arena = spare_arena(x->sh, 16384);
		q_track_arena(x, op->arena);
	}
	x->ops[x->nops++] = op;
	return op;
}

int q_pending(qry_exec *x, q_cont cont)
{
	x->cont = cont;
	return QRY_PENDING;
}

int qry_exec_ops(qry_exec *x, qry_op ***ops)
{
	*ops = x->ops;
	return x->nops;
}

qry_result *qry_exec_result(qry_exec *x)
{
	return x->has_res ? &x->res : NULL;
}

const hl_err *qry_exec_error(qry_exec *x)
{
	return &x->err;
}

/* Map an internal status to the public one: errors end the request. */
static int finish(qry_exec *x, int rc)
{
	if (rc < 0) {
		if (x->has_res) {
			qry_result_free(&x->res);
			x->has_res = false;
		}
		if (!x->err.code && !x->err.msg[0])
			hl_errf(&x->err, HL_ERR_SERVER, "internal error");
		return QRY_DONE;
	}
	return rc;
}

/* ------------------------------------------------------------ shards */

int qry_shard_init(qry_shard *sh, int shard, int nshards, sch_registry *reg,
		   const sys_node *node, st_engine *engine, hl_err *err)
{
	memset(sh, 0, sizeof *sh);
	sh->shard = shard;
	sh->nshards = nshards;
	sh->reg = reg;
	sh->node = node;
	sh->engine = engine ? engine : st_engine_new();
	sh->pcache = hl_calloc(1, sizeof(qry_pcache));
	sh->pcache->nbuckets = 1024;
	sh->pcache->buckets = hl_calloc((size_t)sh->pcache->nbuckets, sizeof(q_pentry *));
	(void)err;
	return 0;
}

static void pentry_free(q_pentry *e)
{
	if (e->schema)
		sch_release(e->schema);
	if (e->arena)
		hl_arena_free(e->arena);
	free(e->text);
	free(e->ks);
	free(e);
}

void qry_shard_destroy(qry_shard *sh)
{
	while (sh->nspare)
		hl_arena_free(sh->spare[--sh->nspare]);
	while (sh->nspare_rows)
		hl_buf_free(&sh->spare_rows[--sh->nspare_rows]);
	free(sh->cl_ks);
	sh->cl_ks = NULL;
	if (sh->pcache) {
		for (int i = 0; i < sh->pcache->nbuckets; i++) {
			q_pentry *e = sh->pcache->buckets[i];
			while (e) {
				q_pentry *n = e->next;
				pentry_free(e);
				e = n;
			}
		}
		free(sh->pcache->buckets);
		free(sh->pcache);
	}
	q_index_free(sh);
	if (sh->engine)
		st_engine_free(sh->engine);
	if (sh->engine_schema)
		sch_release(sh->engine_schema);
	sch_cache_clear(&sh->cache);
	memset(sh, 0, sizeof *sh);
}

/* ------------------------------------------------------------ storage sync */

void q_layout(const sch_table *t, hl_arena *a, st_table_layout *out)
{
	memset(out, 0, sizeof *out);
	out->id = t->id;
	/* names make the table durable: <data>/<ks>/<table>-<id>/ (system
	 * tables are virtual and never reach a durable engine) */
	out->keyspace = t->ks;
	out->table = t->name;
	const ty_type **pk = hl_arena_zalloc(a, sizeof(*pk) * (size_t)(t->npk + 1));
	for (int i = 0; i < t->npk; i++)
		pk[i] = t->pk[i]->type;
	out->npk = t->npk;
	out->pk_types = pk;
	out->has_gc_grace = true;
	out->gc_grace_seconds = t->params.gc_grace_seconds;
	/* compression = {'class': ..., 'chunk_length_in_kb': ...} / {'enabled': 'false'} */
	const char *cclass = sch_map_get(&t->params.compression, "class");
	const char *cen = sch_map_get(&t->params.compression, "enabled");
	const char *cchunk = sch_map_get(&t->params.compression, "chunk_length_in_kb");
	out->compressor = ST_COMPRESS_LZ4;
	if ((cen && strcmp(cen, "false") == 0) || !cclass || strstr(cclass, "Noop"))
		out->compressor = ST_COMPRESS_NONE;
	else if (strstr(cclass, "Snappy"))
		out->compressor = ST_COMPRESS_SNAPPY;
	else if (strstr(cclass, "Deflate"))
		out->compressor = ST_COMPRESS_DEFLATE;
	else if (strstr(cclass, "Zstd"))
		out->compressor = ST_COMPRESS_ZSTD;
	out->chunk_length = cchunk ? (uint32_t)atoi(cchunk) * 1024u : 0;
	out->bloom_fp_chance = t->params.bloom_filter_fp_chance;
	/* the strategy and its options, parsed by storage */
	const sch_map *cm = &t->params.compaction;
	const char **ck = hl_arena_zalloc(a, sizeof(char *) * (size_t)(cm->n + 1));
	const char **cv = hl_arena_zalloc(a, sizeof(char *) * (size_t)(cm->n + 1));
	for (int i = 0; i < cm->n; i++) {
		ck[i] = cm->e[i].key;
		cv[i] = cm->e[i].value;
	}
	st_compaction_parse(cm->n, ck, cv, &out->compaction);
	out->no_auto_snapshot = !t->params.allow_auto_snapshot;
	out->nclust = t->nck;
	st_clust_col *cc = hl_arena_zalloc(a, sizeof(st_clust_col) * (size_t)(t->nck + 1));
	for (int i = 0; i < t->nck; i++) {
		cc[i].type = t->ck[i]->type;
		cc[i].reversed = t->ck[i]->order == SCH_ORDER_DESC;
		cc[i].name = t->ck[i]->name;
	}
	out->clust = cc;
	int n = t->next_column_id;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].id >= n)
			n = t->cols[i].id + 1;
	for (int i = 0; i < t->ndropped; i++)
		if (t->dropped[i].id >= n)
			n = t->dropped[i].id + 1;
	st_col *cols = hl_arena_zalloc(a, sizeof(st_col) * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		cols[i].dropped = true;
	for (int i = 0; i < t->ndropped; i++) {
		st_col *c = &cols[t->dropped[i].id];
		c->dropped = true;
		c->has_dropped_at = true;
		c->dropped_at = t->dropped[i].dropped_time;
		c->is_static = t->dropped[i].kind == SCH_STATIC;
		c->name = t->dropped[i].name;
		c->type = t->dropped[i].type;
	}
	for (int i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];
		if (c->kind != SCH_REGULAR && c->kind != SCH_STATIC)
			continue;
		st_col *sc = &cols[c->id];
		sc->dropped = false;
		sc->is_static = c->kind == SCH_STATIC;
		sc->name = c->name;
		sc->type = c->type;
		/* non-frozen lists, sets, maps and UDTs keep Cassandra's cell per
		 * element, ordered by the element path: list time-UUID, set element,
		 * map key, UDT field position (UserType.nameComparator: a short) */
		sc->complex = q_is_cells(c->type);
		sc->path_type = !sc->complex ? NULL : c->type->kind == TY_LIST
			? ty_simple(TY_TIMEUUID) : c->type->kind == TY_UDT
			? ty_simple(TY_SMALLINT) : c->type->sub[0];
	}
	out->ncols = n;
	out->cols = cols;
}

int q_sync_engine(qry_shard *sh, hl_err *err)
{
	const sch_schema *s = sch_cache_get(sh->reg, &sh->cache);
	if (sh->engine_schema && sch_epoch(s) == sh->engine_epoch)
		return 0;
	hl_arena *a = hl_arena_new(8192);
	int rc = 0;
	for (int k = 0; k < sch_nkeyspaces(s); k++) {
		const sch_keyspace *ks = sch_keyspace_at(s, k);
		if (ks->cls != SCH_KS_USER)
			continue;
		for (int i = 0; i < ks->ntables; i++) {
			const sch_table *t = ks->tables[i];
			st_table_layout l;
			q_layout(t, a, &l);
			if (st_has_table(sh->engine, &t->id))
				rc = st_alter_table(sh->engine, &l, err);
			else
				rc = st_create_table(sh->engine, &l, err);
			if (rc < 0)
				goto out;
		}
	}
	if (sh->engine_schema) {
		const sch_schema *old = sh->engine_schema;
		for (int k = 0; k < sch_nkeyspaces(old); k++) {
			const sch_keyspace *ks = sch_keyspace_at(old, k);
			if (ks->cls != SCH_KS_USER)
				continue;
			for (int i = 0; i < ks->ntables; i++)
				if (!sch_find_table_by_id(s, &ks->tables[i]->id)) {
					st_drop_table(sh->engine, &ks->tables[i]->id, err);
					/* its log entries must never replay into a re-created table */
					if (sh->log)
						cl_discard(sh->log, &ks->tables[i]->id, cl_current_pos(sh->log));
				}
		}
		sch_release(sh->engine_schema);
	}
	sch_ref(s);
	sh->engine_schema = (sch_schema *)s;
	sh->engine_epoch = sch_epoch(s);
	rc = q_index_sync(sh, s, err);
out:
	hl_arena_free(a);
	return rc;
}

int qry_shard_sync(qry_shard *sh, hl_err *err)
{
	return q_sync_engine(sh, err);
}

void qry_op_run(qry_shard *target, qry_op *op)
{
	st_engine *e = op->local ? op->local : target->engine;
	op->status = 0;
	if (!op->local && q_sync_engine(target, &op->err) < 0) {
		op->status = -1;
		return;
	}
	switch (op->kind) {
	case QRY_OP_READ:
		op->status = op->ix && !op->local ? q_index_read(target, op)
			     : st_read(e, &op->table, &op->cmd, op->arena, &op->res, &op->err);
		break;
	case QRY_OP_WRITE:
		if (op->view) {
			q_view_write(target, op, e);
			break;
		}
		if (!op->local && target->log && op->durable) {
			/* the memtable's hash slot loads while the log entry is encoded */
			st_prefetch(e, &op->table, op->mut->token);
			op->status = cl_append(target->log, &op->table, op->mut, &op->pos, &op->err);
			if (op->status < 0)
				break;
			if (target->wait_durable) {
				op->wait = true;
				return;
			}
		}
		op->status = q_index_apply(op->local ? NULL : target, e, &op->table, op->mut, &op->err);
		break;
	case QRY_OP_TRUNCATE:
		/* one at_ms for every shard: their auto snapshots share a tag */
		op->status = st_truncate_at(e, &op->table, op->at_ms, &op->err);
		if (op->status == 0 && !op->local)
			q_index_truncated(target, &op->table);
		/* truncated data must not come back from the log on restart */
		if (op->status == 0 && !op->local && target->log)
			cl_discard(target->log, &op->table, cl_current_pos(target->log));
		break;
	case QRY_OP_CASB: {
		/* a conditional batch: every condition holds, or nothing is written */
		q_casb *b = op->cas;
		bool all = true;
		for (int i = 0; i < b->nsub; i++) {
			qry_op *sub = b->subs[i];
			if (sub->kind != QRY_OP_CAS)
				continue;
			q_cas_eval(sub, e);
			if (sub->status < 0) {
				op->status = -1;
				op->err = sub->err;
				return;
			}
			all = all && ((q_cas *)sub->cas)->applied;
		}
		b->applied = all;
		if (!all)
			break;
		for (int i = 0; i < b->nsub; i++)
			if (b->subs[i]->view)
				q_view_before(b->subs[i], e);
		for (int i = 0; i < b->nsub && op->status == 0; i++) {
			qry_op *sub = b->subs[i];
			if (!op->local && target->log && sub->durable) {
				op->status = cl_append(target->log, &sub->table, sub->mut, &op->pos, &op->err);
				if (op->status < 0)
					break;
			}
			op->status = q_index_apply(op->local ? NULL : target, e, &sub->table, sub->mut, &op->err);
		}
		/* views see the batch's rows before and after all of it */
		for (int i = 0; i < b->nsub && op->status == 0; i++)
			if (b->subs[i]->view)
				q_view_after(b->subs[i], e);
		if (op->status == 0 && !op->local && target->log && target->wait_durable) {
			op->wait = true;
			op->applied_early = true;
		}
		break;
	}
	case QRY_OP_CAS:
		/* one shard runs one op at a time: read, check and write cannot
		 * interleave with another CAS on the partition */
		q_cas_eval(op, e);
		if (op->status < 0 || !((q_cas *)op->cas)->applied)
			break;
		if (!op->local && target->log && op->durable) {
			op->status = cl_append(target->log, &op->table, op->mut, &op->pos, &op->err);
			if (op->status < 0)
				break;
		}
		if (op->view)
			q_view_before(op, e);
		op->status = q_index_apply(op->local ? NULL : target, e, &op->table, op->mut, &op->err);
		if (op->view && op->status == 0)
			q_view_after(op, e);
		if (op->status == 0 && !op->local && target->log && op->durable &&
		    target->wait_durable) {
			/* visible at once (a later CAS must see it), acknowledged once durable */
			op->wait = true;
			op->applied_early = true;
		}
		break;
	default:
		op->status = hl_errf(&op->err, HL_ERR_SERVER, "unknown storage op");
	}
	if (op->status < 0 && op->err.code == HL_ERR_INVALID &&
	    strstr(op->err.msg, "table") && !op->local)
		hl_errf(&op->err, HL_ERR_INVALID, "table was dropped concurrently");
}

void qry_op_apply(qry_shard *target, qry_op *op)
{
	op->wait = false;
	if (op->applied_early)
		return;
	op->status = q_index_apply(target, target->engine, &op->table, op->mut, &op->err);
}

/* System tables: their rows are produced on demand into a private engine,
 * so they go through exactly the same read path as user tables. */
int q_virtual_engine(qry_exec *x, const sch_table *t)
{
	sys_rowset rs;
	if (sys_rows(x->schema, x->sh->node, t, x->a, &rs, &x->err) < 0)
		return -1;
	x->local = st_engine_new();
	x->local_table = t->id;
	st_table_layout l;
	q_layout(t, x->a, &l);
	l.keyspace = l.table = NULL;
	if (st_create_table(x->local, &l, &x->err) < 0)
		return -1;
	q_val pkv[16];
	st_bytes ck[16];
	if (t->npk > 16 || t->nck > 16)
		return hl_errf(&x->err, HL_ERR_SERVER, "system table shape not supported");
	for (int r = 0; r < rs.nrows; r++) {
		const sys_cell *row = &rs.cells[(size_t)r * (size_t)rs.ncols];
		hl_buf key;
		hl_buf_init(&key);
		for (int c = 0; c < t->ncols && c < rs.ncols; c++) {
			const sch_column *col = &t->cols[c];
			if (col->kind == SCH_PARTITION_KEY) {
				pkv[col->position].p = row[c].p;
				pkv[col->position].len = row[c].len;
			} else if (col->kind == SCH_CLUSTERING) {
				ck[col->position].p = row[c].p;
				ck[col->position].len = row[c].len < 0 ? 0 : (uint32_t)row[c].len;
			}
		}
		if (t->npk == 1) {
			if (pkv[0].len > 0)
				hl_buf_put(&key, pkv[0].p, (size_t)pkv[0].len);
		} else {
			for (int i = 0; i < t->npk; i++) {
				int32_t l = pkv[i].len < 0 ? 0 : pkv[i].len;
				hl_buf_u16(&key, (uint16_t)l);
				hl_buf_put(&key, pkv[i].p, (size_t)l);
				hl_buf_u8(&key, 0);
			}
		}
		st_mutation *m = st_mut_new(x->a, key.p, key.len, hl_token(key.p, key.len));
		hl_buf_free(&key);
		st_mrow *mr = st_mut_row(m, t->nck, t->nck ? ck : NULL);
		st_row_marker(mr, 1, 0, 0);
		for (int c = 0; c < t->ncols && c < rs.ncols; c++) {
			const sch_column *col = &t->cols[c];
			if (row[c].len < 0)
				continue;
			if (q_is_cells(col->type) && (col->kind == SCH_REGULAR || col->kind == SCH_STATIC)) {
				/* collections as element cells, as user tables store them */
				q_val v = { row[c].p, row[c].len };
				st_mrow *r = col->kind == SCH_STATIC ? st_mut_static(m) : mr;
				if (q_put_elements(x, col, v, r, 1, 0, 0, false, false) < 0)
					return -1;
				continue;
			}
			if (col->kind == SCH_REGULAR)
				st_row_cell(mr, col->id, 1, 0, 0, row[c].p, (size_t)row[c].len);
			else if (col->kind == SCH_STATIC)
				st_mut_static_cell(m, col->id, 1, 0, 0, row[c].p, (size_t)row[c].len);
		}
		if (st_apply(x->local, &t->id, m, &x->err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ prepared cache */

void qry_prepared_id(const char *ks, const char *text, size_t len, uint8_t out[16])
{
	hl_buf b;
	hl_buf_init(&b);
	if (ks)
		hl_buf_str(&b, ks);
	hl_buf_put(&b, text, len);
	hl_md5(b.p, b.len, out);
	hl_buf_free(&b);
}

static q_pentry **pc_slot(qry_pcache *pc, const uint8_t *id)
{
	uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16;
	return &pc->buckets[h % (uint32_t)pc->nbuckets];
}

static q_pentry *pc_find(qry_pcache *pc, const uint8_t *id, size_t idlen)
{
	if (idlen != 16)
		return NULL;
	for (q_pentry *e = *pc_slot(pc, id); e; e = e->next)
		if (memcmp(e->id, id, 16) == 0)
			return e;
	return NULL;
}

static q_pentry *pc_put(qry_pcache *pc, const uint8_t id[16], const char *text, size_t len,
			const char *ks)
{
	q_pentry *e = pc_find(pc, id, 16);
	if (e)
		return e;
	e = hl_calloc(1, sizeof *e);
	memcpy(e->id, id, 16);
	e->text = hl_malloc(len + 1);
	memcpy(e->text, text, len);
	e->text[len] = 0;
	e->len = len;
	e->ks = ks ? hl_strdup(ks) : NULL;
	q_pentry **slot = pc_slot(pc, id);
	e->next = *slot;
	*slot = e;
	pc->count++;
	return e;
}

void qry_pcache_put_text(qry_shard *sh, const uint8_t id[16], const char *text, size_t len,
			 const char *ks)
{
	pc_put(sh->pcache, id, text, len, ks);
}

/* (Re)build the plan of a cache entry against the current schema. */
static int pc_plan(qry_exec *x, q_pentry *e)
{
	uint64_t epoch = sch_epoch(x->schema);
	if (e->plan && e->epoch == epoch)
		return 0;
	hl_arena *a = hl_arena_new(8192);
	cql_stmt *st;
	const char *saved = x->keyspace;
	x->keyspace = e->ks;
	int rc = cql_parse(e->text, e->len, a, &st, &x->err);
	q_plan *p = NULL;
	if (rc == 0)
		rc = q_plan_stmt(x, st, a, &p, &x->err);
	x->keyspace = saved;
	if (rc < 0) {
		hl_arena_free(a);
		return -1;
	}
	if (e->arena)
		hl_arena_free(e->arena);
	if (e->schema)
		sch_release(e->schema);
	e->arena = a;
	e->plan = p;
	sch_ref(x->schema);
	e->schema = x->schema;
	e->epoch = epoch;
	return 0;
}

/* ------------------------------------------------------------ entry points */

/*
 * A qry_exec is ~3.4 KB, most of it buffers that are only read up to what was
 * written (the GROUP BY key values behind gkey_set, the arenas behind
 * narenas, the error strings behind their terminators). Zeroing all of it
 * for every request was the largest single cost of a write (~3,400
 * instructions of ~20,700), so only the rest is zeroed.
 */
_Static_assert(offsetof(qry_exec, err) < offsetof(qry_exec, nops) &&
	       offsetof(qry_exec, nops) < offsetof(qry_exec, gkey) &&
	       offsetof(qry_exec, gkey) < offsetof(qry_exec, gkey_set) &&
	       offsetof(qry_exec, gkey_set) < offsetof(qry_exec, arenas) &&
	       offsetof(qry_exec, arenas) + sizeof(((qry_exec *)0)->arenas) == sizeof(qry_exec),
	       "qry_exec_new zeroes qry_exec by ranges: keep its field order");

static qry_exec *exec_alloc(hl_arena *a)
{
	qry_exec *x = hl_arena_alloc(a, sizeof *x);

	memset(x, 0, offsetof(qry_exec, err));
	x->err.code = 0;
	x->err.msg[0] = x->err.ks[0] = x->err.table[0] = '\0';
	memset(x->err.id, 0, sizeof(hl_err) - offsetof(hl_err, id));
	memset(&x->nops, 0, offsetof(qry_exec, gkey) - offsetof(qry_exec, nops));
	memset(&x->gkey_set, 0, offsetof(qry_exec, arenas) - offsetof(qry_exec, gkey_set));
	return x;
}

qry_exec *qry_exec_new(qry_shard *sh, hl_arena *a, int proto_version, const char *keyspace)
{
	qry_exec *x = exec_alloc(a);
	x->sh = sh;
	x->a = a;
	x->version = proto_version;
	x->keyspace = keyspace ? hl_arena_strdup(a, keyspace) : NULL;
	const sch_schema *s = sch_cache_get(sh->reg, &sh->cache);
	sch_ref(s);
	x->schema = (sch_schema *)s;
	/* server-side timestamps strictly increase per shard, so two writes of
	 * one client in a row never tie (Cassandra's ClientState does the same) */
	int64_t now = hl_now_micros();
	if (now <= sh->last_ts)
		now = sh->last_ts + 1;
	sh->last_ts = now;
	x->now_us = now;
	x->now_s = now / 1000000;
	qry_result_init(&x->res);
	/* the last request's rows buffer: a row of a few values otherwise
	 * costs three or four reallocs as the buffer doubles from 64 bytes */
	if (sh->nspare_rows) {
		x->res.rows = sh->spare_rows[--sh->nspare_rows];
		x->res.rows.len = 0;
	}
	return x;
}

void qry_exec_free(qry_exec *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->narenas; i++)
		put_arena(x->sh, x->arenas[i]);
	x->narenas = 0;
	if (x->local)
		st_engine_free(x->local);
	x->local = NULL;
	q_agg_free(x);
	q_view_free(x);
	/* keep modest buffers for the next requests (one per request in
	 * flight on the shard, up to the pool's size; large ones are freed) */
	if (x->res.rows.p && x->res.rows.cap <= 16 * 1024 &&
	    x->sh->nspare_rows < (int)(sizeof x->sh->spare_rows / sizeof x->sh->spare_rows[0])) {
		x->sh->spare_rows[x->sh->nspare_rows++] = x->res.rows;
		hl_buf_init(&x->res.rows);
	}
	qry_result_free(&x->res);
	if (x->schema)
		sch_release(x->schema);
	x->schema = NULL;
}

int qry_exec_resume(qry_exec *x)
{
	return finish(x, x->cont(x));
}

static bool is_modification(const q_plan *p)
{
	return p->mod != NULL;
}

/* Map named values onto the bind markers' positions. */
static int order_values(qry_exec *x, const q_plan *p, const qry_params *pr)
{
	x->values = pr ? pr->values : NULL;
	x->nvalues = pr ? pr->nvalues : 0;
	if (!pr || !pr->named_values)
		goto check;
	qry_value *v = hl_arena_zalloc(x->a, sizeof(qry_value) * (size_t)(p->bind.ncols + 1));
	for (int i = 0; i < p->bind.ncols; i++) {
		const char *name = p->bind.cols[i].name;
		bool found = false;
		for (int j = 0; j < pr->nvalues && !found; j++) {
			const qry_value *w = &pr->values[j];
			if (w->name_len == strlen(name) && strncasecmp(w->name, name, w->name_len) == 0) {
				v[i] = *w;
				found = true;
			}
		}
		if (!found)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid named value: no value for bind "
				       "variable %s", name);
	}
	x->values = v;
	x->nvalues = p->bind.ncols;
check:
	if (x->nvalues != p->bind.ncols)
		return hl_errf(&x->err, HL_ERR_INVALID, "There were %d markers(?) in CQL but %d bound "
			       "variables", p->bind.ncols, x->nvalues);
	for (int i = 0; i < x->nvalues; i++)
		if (x->values[i].len == QRY_UNSET && x->version < 4)
			return hl_errf(&x->err, HL_ERR_INVALID, "Unset values are not supported before "
				       "protocol v4");
	return 0;
}

/*
 * Consistency levels on this node's view of the ring: a replica is alive iff
 * it is this node, so a level needing more replicas than the keyspace has on
 * live nodes is Unavailable with Cassandra's counts (blockFor, alive).
 */
static int rf_of(const sch_keyspace *k, const char *dc, int *local, int *total, int *ndcs)
{
	*local = *total = 0;
	*ndcs = 0;
	if (!k || k->cls != SCH_KS_USER)
		return 1;      /* LocalStrategy: always this node */
	const char *cls = k->strategy ? strrchr(k->strategy, '.') : NULL;
	cls = cls ? cls + 1 : k->strategy ? k->strategy : "";
	for (int i = 0; i < k->replication.n; i++) {
		const sch_kv *kv = &k->replication.e[i];
		int rf = atoi(kv->value);
		if (strcmp(cls, "SimpleStrategy") == 0) {
			if (strcmp(kv->key, "replication_factor") == 0) {
				*local = *total = rf;
				*ndcs = 1;
			}
		} else if (strcmp(kv->key, "replication_factor") != 0) {
			*total += rf;
			(*ndcs)++;
			if (strcmp(kv->key, dc) == 0)
				*local = rf;
		}
	}
	return 0;
}

static int check_cl(qry_exec *x, const char *ksname, int cl, bool write)
{
	qry_shard *sh = x->sh;
	uint64_t epoch = sch_epoch(x->schema);
	int local, total, ndcs;
	/* every request asks this of the same keyspace again: remember the
	 * answer per shard until the schema changes */
	if (!sh->cl_ks || sh->cl_epoch != epoch || strcmp(sh->cl_ks, ksname) != 0) {
		const sch_keyspace *k = sch_find_keyspace(x->schema, ksname);
		free(sh->cl_ks);
		sh->cl_ks = hl_strdup(ksname);
		sh->cl_epoch = epoch;
		sh->cl_rc = rf_of(k, sh->node->data_center, &sh->cl_local, &sh->cl_total, &sh->cl_ndcs);
	}
	if (sh->cl_rc)
		return 0;
	local = sh->cl_local;
	total = sh->cl_total;
	ndcs = sh->cl_ndcs;
	if (!write && cl == QRY_CL_ANY)
		return hl_errf(&x->err, HL_ERR_INVALID, "ANY ConsistencyLevel is only supported for writes");
	if (!write && cl == QRY_CL_EACH_QUORUM)
		return hl_errf(&x->err, HL_ERR_INVALID, "EACH_QUORUM ConsistencyLevel is only supported "
			       "for writes");
	if (write && (cl == QRY_CL_SERIAL || cl == QRY_CL_LOCAL_SERIAL))
		return hl_errf(&x->err, HL_ERR_INVALID, "You must use conditional updates for "
			       "serializable writes");
	int alive = local > 0 ? 1 : 0, need;
	switch (cl) {
	case QRY_CL_ANY: need = write ? 1 : 1; alive = 1; break;   /* hints make ANY always met */
	case QRY_CL_ONE: case QRY_CL_LOCAL_ONE: need = 1; break;
	case QRY_CL_TWO: need = 2; break;
	case QRY_CL_THREE: need = 3; break;
	case QRY_CL_QUORUM: case QRY_CL_SERIAL: need = total / 2 + 1; break;
	case QRY_CL_ALL: need = total; break;
	case QRY_CL_LOCAL_QUORUM: case QRY_CL_LOCAL_SERIAL: need = local / 2 + 1; break;
	case QRY_CL_EACH_QUORUM:
		/* every data centre needs its quorum; only ours has a live node */
		need = local / 2 + 1;
		if (ndcs > 1 && total > local) {
			need = (total - local) / 2 + 1;
			alive = 0;
		}
		break;
	default:
		return hl_errf(&x->err, HL_ERR_PROTOCOL, "Unknown consistency level %d", cl);
	}
	if (alive >= need)
		return 0;
	hl_errf(&x->err, HL_ERR_UNAVAILABLE, "Cannot achieve consistency level %s",
		cl == QRY_CL_QUORUM ? "QUORUM" : cl == QRY_CL_ALL ? "ALL" : cl == QRY_CL_TWO ? "TWO" :
		cl == QRY_CL_THREE ? "THREE" : cl == QRY_CL_LOCAL_QUORUM ? "LOCAL_QUORUM" :
		cl == QRY_CL_EACH_QUORUM ? "EACH_QUORUM" : cl == QRY_CL_SERIAL ? "SERIAL" :
		cl == QRY_CL_LOCAL_SERIAL ? "LOCAL_SERIAL" : "ONE");
	x->err.cl = cl;
	x->err.required = need;
	x->err.alive = alive;
	return -1;
}

static int run_batch_plan(qry_exec *x, q_plan *p)
{
	int64_t bts = 0;
	bool has = false;
	if (q_eval_int(x, p->stmt->batch.attrs.timestamp, "timestamp", &bts, &has) < 0)
		return -1;
	if (!has && x->params && x->params->has_timestamp) {
		bts = x->params->timestamp;
		has = true;
	}
	x->nops = 0;
	for (int i = 0; i < p->nbatch; i++)
		if (q_batch_collect(x, p->batch[i], x->values, x->nvalues, bts, has) < 0)
			return -1;
	if (q_batch_conditional(x) < 0 ||
	    q_guard_batch(x, p->stmt->batch.type == CQL_BATCH_LOGGED) < 0)
		return -1;
	if (p->stmt->batch.type == CQL_BATCH_LOGGED && q_batchlog_write(x) < 0)
		return -1;
	if (!x->nops)
		return q_writes_done(x);
	return q_pending(x, q_writes_done);
}

static int run_plan(qry_exec *x, q_plan *p, const qry_params *pr)
{
	x->plan = p;
	x->params = pr;
	if (order_values(x, p, pr) < 0)
		return -1;
	int cl = pr ? pr->consistency : QRY_CL_ONE;
	if (p->nbatch) {
		for (int i = 0; i < p->nbatch; i++)
			if (check_cl(x, p->batch[i]->ks, cl, true) < 0)
				return -1;
	} else if (p->ks && check_cl(x, p->ks, cl, p->sel == NULL) < 0) {
		return -1;
	}
	if (p->sel)
		return q_select_start(x);
	if (p->nbatch)
		return run_batch_plan(x, p);
	if (is_modification(p))
		return q_modify_start(x);
	return hl_errf(&x->err, HL_ERR_SERVER, "statement has no plan");
}

static bool planned_kind(cql_stmt_kind k)
{
	return k == CQL_STMT_SELECT || k == CQL_STMT_INSERT || k == CQL_STMT_UPDATE ||
	       k == CQL_STMT_DELETE || k == CQL_STMT_BATCH;
}

int qry_exec_query(qry_exec *x, const char *text, size_t len, const qry_params *p)
{
	cql_stmt *st;
	if (p && p->keyspace)
		x->keyspace = hl_arena_strndup(x->a, p->keyspace, p->keyspace_len);
	if (cql_parse(text, len, x->a, &st, &x->err) < 0)
		return finish(x, -1);
	if (!planned_kind(st->kind)) {
		x->params = p;
		return finish(x, q_ddl(x, st));
	}
	q_plan *plan;
	if (q_plan_stmt(x, st, x->a, &plan, &x->err) < 0)
		return finish(x, -1);
	return finish(x, run_plan(x, plan, p));
}

static void metadata_id(const qry_metadata *m, uint8_t out[16])
{
	hl_buf b;
	hl_buf_init(&b);
	for (int i = 0; i < m->ncols; i++) {
		hl_buf_str(&b, m->cols[i].ks ? m->cols[i].ks : "");
		hl_buf_u8(&b, 0);
		hl_buf_str(&b, m->cols[i].table ? m->cols[i].table : "");
		hl_buf_u8(&b, 0);
		hl_buf_str(&b, m->cols[i].name ? m->cols[i].name : "");
		hl_buf_u8(&b, 0);
		if (m->cols[i].type)
			ty_encode_option(m->cols[i].type, &b);
	}
	hl_md5(b.p, b.len, out);
	hl_buf_free(&b);
}

int qry_exec_prepare(qry_exec *x, const char *text, size_t len, const char *ks, size_t kslen)
{
	if (ks)
		x->keyspace = hl_arena_strndup(x->a, ks, kslen);
	uint8_t id[16];
	qry_prepared_id(x->keyspace, text, len, id);
	cql_stmt *st;
	if (cql_parse(text, len, x->a, &st, &x->err) < 0)
		return finish(x, -1);
	q_pentry *e = pc_find(x->sh->pcache, id, 16);
	if (!e)
		e = pc_put(x->sh->pcache, id, text, len, x->keyspace);
	e->plan = NULL;   /* always re-plan against the current schema on PREPARE */
	if (!planned_kind(st->kind)) {
		/* DDL and USE can be prepared too; they run from their text */
		q_plan *p = hl_arena_zalloc(x->a, sizeof *p);
		p->stmt = st;
		p->bind.cols = hl_arena_zalloc(x->a, sizeof(qry_colspec));
		q_result_start(x);
		x->res.kind = QRY_RESULT_PREPARED;
		memcpy(x->res.id, id, 16);
		metadata_id(&p->result, x->res.result_metadata_id);
		x->res.bind_meta = p->bind;
		x->res.result_meta.no_metadata = true;
		x->has_res = true;
		return QRY_DONE;
	}
	if (pc_plan(x, e) < 0)
		return finish(x, -1);
	q_result_start(x);
	x->res.kind = QRY_RESULT_PREPARED;
	memcpy(x->res.id, id, 16);
	x->res.bind_meta = e->plan->bind;
	x->res.result_meta = e->plan->result;
	x->res.result_meta.npk = 0;
	if (!e->plan->sel)
		x->res.result_meta.no_metadata = true;
	metadata_id(&e->plan->result, x->res.result_metadata_id);
	x->has_res = true;
	return QRY_DONE;
}

static int unprepared(qry_exec *x, const uint8_t *id, size_t idlen)
{
	hl_errf(&x->err, HL_ERR_UNPREPARED, "Prepared query with ID %s not found (either the query "
		"was not prepared on this host (maybe the host has been restarted?) or you have "
		"prepared too many queries and it has been evicted from the internal cache)", "?");
	size_t n = idlen > sizeof x->err.id ? sizeof x->err.id : idlen;
	memcpy(x->err.id, id, n);
	x->err.id_len = (int)n;
	return -1;
}

int qry_exec_execute(qry_exec *x, const uint8_t *id, size_t idlen, const qry_params *p)
{
	q_pentry *e = pc_find(x->sh->pcache, id, idlen);
	if (!e)
		return finish(x, unprepared(x, id, idlen));
	if (e->ks)
		x->keyspace = hl_arena_strdup(x->a, e->ks);
	/* statements without a plan (DDL, USE) run from their text; a planned
	 * statement (the common case) is not parsed again */
	if (!e->plan || e->epoch != sch_epoch(x->schema)) {
		cql_stmt *st;
		hl_err perr;
		hl_err_clear(&perr);
		if (cql_parse(e->text, e->len, x->a, &st, &perr) == 0 && !planned_kind(st->kind)) {
			x->params = p;
			return finish(x, q_ddl(x, st));
		}
	}
	if (pc_plan(x, e) < 0)
		return finish(x, -1);
	return finish(x, run_plan(x, e->plan, p));
}

int qry_exec_batch(qry_exec *x, const qry_batch *b)
{
	x->params = &b->params;
	if (b->params.keyspace)
		x->keyspace = hl_arena_strndup(x->a, b->params.keyspace, b->params.keyspace_len);
	int64_t bts = b->params.timestamp;
	bool has = b->params.has_timestamp;
	x->nops = 0;
	for (int i = 0; i < b->nstmts; i++) {
		const qry_batch_stmt *s = &b->stmts[i];
		q_plan *p;
		if (s->prepared) {
			q_pentry *e = pc_find(x->sh->pcache, s->id, s->id_len);
			if (!e)
				return finish(x, unprepared(x, s->id, s->id_len));
			const char *saved = x->keyspace;
			if (pc_plan(x, e) < 0)
				return finish(x, -1);
			x->keyspace = saved;
			p = e->plan;
		} else {
			cql_stmt *st;
			if (cql_parse(s->query, s->query_len, x->a, &st, &x->err) < 0)
				return finish(x, -1);
			if (!planned_kind(st->kind) || st->kind == CQL_STMT_BATCH ||
			    st->kind == CQL_STMT_SELECT)
				return finish(x, hl_errf(&x->err, HL_ERR_INVALID, "Invalid statement in batch: "
							 "only UPDATE, INSERT and DELETE statements are allowed."));
			if (q_plan_stmt(x, st, x->a, &p, &x->err) < 0)
				return finish(x, -1);
		}
		if (!is_modification(p))
			return finish(x, hl_errf(&x->err, HL_ERR_INVALID, "Invalid statement in batch: only "
						 "UPDATE, INSERT and DELETE statements are allowed."));
		if (p->mod->counter && b->type == QRY_BATCH_LOGGED)
			return finish(x, hl_errf(&x->err, HL_ERR_INVALID, "Cannot include a counter "
						 "statement in a logged batch"));
		if (p->mod->counter && b->type == QRY_BATCH_UNLOGGED)
			return finish(x, hl_errf(&x->err, HL_ERR_INVALID, "Counter and non-counter "
						 "mutations cannot exist in the same batch"));
		if (!p->mod->counter && b->type == QRY_BATCH_COUNTER)
			return finish(x, hl_errf(&x->err, HL_ERR_INVALID, "Cannot include non-counter "
						 "statement in a counter batch"));

		qry_params sp = { 0 };
		sp.values = s->values;
		sp.nvalues = s->nvalues;
		x->plan = p;
		if (order_values(x, p, &sp) < 0)
			return finish(x, -1);
		if (check_cl(x, p->ks, b->params.consistency, true) < 0)
			return finish(x, -1);
		if (q_batch_collect(x, p, x->values, x->nvalues, bts, has) < 0)
			return finish(x, -1);
	}
	if (q_batch_conditional(x) < 0 || q_guard_batch(x, b->type == QRY_BATCH_LOGGED) < 0)
		return finish(x, -1);
	if (b->type == QRY_BATCH_LOGGED && q_batchlog_write(x) < 0)
		return finish(x, -1);
	if (!x->nops)
		return finish(x, q_writes_done(x));
	return finish(x, q_pending(x, q_writes_done));
}
