/*
 * Secondary indexes (docs/indexes.md).
 *
 * Each shard keeps, per usable index, a hidden memory-only table in its own
 * storage engine, Cassandra 2i's "<table>_<index>_idx" backing table:
 *   partition key = the indexed value (a set element, map key or value, a
 *                   frozen collection for full(), a column value);
 *   clustering    = (base token bigint, base partition key blob
 *                   [, base clustering columns with their types and order]);
 *   one cell (column 0, empty) carrying the base write's timestamp.
 * The clustering puts the entries of one value in the order a range scan
 * returns base rows, so an index read is "the scan restricted to the
 * partitions the index names" and pages exactly like the scan.
 *
 * Maintenance: every base mutation applied on the shard (q_index_apply)
 * adds the entries of the values it writes. Nothing is removed on
 * overwrite, delete or expiry: entries can be stale, and the read path
 * re-checks every restriction on the base rows (as Cassandra's 2i does),
 * so a stale entry costs a wasted base read, never a wrong row.
 *
 * Durability: the hidden tables are memory-only. An index is built from
 * the base table on its shard the first time a query uses it after the
 * shard created it (start-up, CREATE INDEX, restart); until then writes
 * skip it. The base data is durable (commit log, SSTables), so the index is
 * too, by construction, and a restart also drops the stale entries.
 */
#include "query/q_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How many index entries one hidden-table read takes. */
#define IX_BATCH 512
/* Base rows per read while building. */
#define IX_BUILD_ROWS 2048

typedef struct q_ixst {
	hl_uuid base, hidden;
	char *name;
	char *col;                     /* indexed column (the definition, kept across schemas) */
	const sch_table *t;            /* in the shard's engine schema */
	q_ixtarget tg;
	int nclust;                    /* hidden clustering count */
	bool built;
	bool seen;
	struct q_ixst *next;
} q_ixst;

struct q_ixset {
	q_ixst *head;
};

/* ------------------------------------------------------------ targets */

int q_index_target(const sch_table *t, const sch_index *ix, q_ixtarget *out)
{
	memset(out, 0, sizeof *out);
	const char *target = sch_map_get(&ix->options, "target");
	const char *cls = sch_map_get(&ix->options, "class_name");
	out->sai = cls && (strstr(cls, "StorageAttachedIndex") || strcasecmp(cls, "sai") == 0);
	if (!target)
		return -1;
	static const struct { const char *fn; int kind; } fns[] = {
		{ "keys(", QIX_KEYS }, { "values(", QIX_VALUES }, { "entries(", QIX_ENTRIES },
		{ "full(", QIX_FULL },
	};
	out->kind = QIX_PLAIN;
	size_t n = strlen(target);
	const char *name = target;
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		size_t l = strlen(fns[i].fn);
		if (n > l && strncmp(target, fns[i].fn, l) == 0 && target[n - 1] == ')') {
			out->kind = fns[i].kind;
			name = target + l;
			n -= l + 1;
			break;
		}
	}
	/* a quoted name ("Foo", doubled quotes inside) */
	char buf[256];
	size_t bl = 0;
	if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
		for (size_t i = 1; i + 1 < n && bl + 1 < sizeof buf; i++) {
			buf[bl++] = name[i];
			if (name[i] == '"' && name[i + 1] == '"')
				i++;
		}
	} else {
		if (n >= sizeof buf)
			return -1;
		memcpy(buf, name, n);
		bl = n;
	}
	buf[bl] = 0;
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, buf) == 0) {
			out->col = &t->cols[i];
			break;
		}
	if (!out->col)
		return -1;
	/* a plain index on a non-frozen collection indexes its values */
	if (out->kind == QIX_PLAIN && q_is_coll_cells(out->col->type))
		out->kind = QIX_VALUES;
	return 0;
}

/* Kinds this build maintains: all but indexes on non-frozen UDTs. */
static bool target_usable(const q_ixtarget *tg)
{
	const ty_type *ty = tg->col->type;
	if (q_is_cells(ty))
		return q_is_coll_cells(ty) && (tg->kind == QIX_VALUES ||
					       ((tg->kind == QIX_KEYS || tg->kind == QIX_ENTRIES) &&
						ty->kind == TY_MAP));
	return tg->kind == QIX_PLAIN || tg->kind == QIX_FULL;
}

static bool row_level(const sch_table *t, const q_ixtarget *tg)
{
	return t->nck > 0 && tg->col->kind != SCH_PARTITION_KEY && tg->col->kind != SCH_STATIC;
}

/* Types whose equal values may have different bytes (decimal scale): an
 * index keyed by bytes would miss some; those probes use the scan. */
static bool bytes_canonical(const ty_type *t)
{
	if (!t)
		return false;
	if (t->kind == TY_DECIMAL)
		return false;
	for (int i = 0; i < t->nsub; i++)
		if (!bytes_canonical(t->sub[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------ entries */

static void put_token(int64_t token, uint8_t tok[8], st_bytes *out)
{
	uint64_t u = (uint64_t)token;
	for (int i = 0; i < 8; i++)
		tok[i] = (uint8_t)(u >> (56 - 8 * i));
	out->p = tok;
	out->len = 8;
}

void q_index_entry_clust(int64_t token, const uint8_t *key, uint32_t keylen, int nck,
			 const st_bytes *clust, uint8_t tok[8], st_bytes *out)
{
	put_token(token, tok, &out[0]);
	out[1].p = key;
	out[1].len = keylen;
	for (int i = 0; i < nck; i++)
		out[2 + i] = clust[i];
}

/*
 * An entries() index value: one map entry, key and value (Cassandra's
 * entries index is keyed by both): the key's length (4 bytes, big endian),
 * the key, the value. Internal to the hidden table.
 */
static st_bytes entry_value(hl_arena *a, const uint8_t *k, uint32_t klen, const uint8_t *v,
			    uint32_t vlen)
{
	uint8_t *p = hl_arena_alloc(a, 4 + (size_t)klen + vlen + 1);
	p[0] = (uint8_t)(klen >> 24);
	p[1] = (uint8_t)(klen >> 16);
	p[2] = (uint8_t)(klen >> 8);
	p[3] = (uint8_t)klen;
	if (klen)
		memcpy(p + 4, k, klen);
	if (vlen)
		memcpy(p + 4 + klen, v, vlen);
	st_bytes out = { p, 4 + klen + vlen };
	return out;
}

/* The values one live cell of the indexed column contributes (0, 1). */
static int cell_value(hl_arena *a, const q_ixtarget *tg, const uint8_t *path, uint32_t plen,
		      const uint8_t *v, uint32_t len, st_bytes *out)
{
	const ty_type *ty = tg->col->type;
	if (!q_is_cells(ty)) {
		out->p = v;
		out->len = len;
		return 1;
	}
	if (!path)
		return 0;
	if (tg->kind == QIX_ENTRIES) {
		*out = entry_value(a, path, plen, v, len);
		return 1;
	}
	bool use_path = ty->kind == TY_SET || (ty->kind == TY_MAP && tg->kind == QIX_KEYS);
	out->p = use_path ? path : v;
	out->len = use_path ? plen : len;
	return 1;
}

/*
 * The hidden partition's token: the engine serves only the shard's token
 * range, so the value's hash is folded into it (the order of index
 * partitions means nothing; only the lookup by value must be stable).
 */
static int64_t hidden_token(const qry_shard *sh, const uint8_t *v, uint32_t len)
{
	int64_t h = hl_token(v, len);
	if (sh->nshards <= 1)
		return h;
	int64_t lo, hi;
	qry_shard_range(sh->shard, sh->nshards, &lo, &hi);
	uint64_t span = (uint64_t)hi - (uint64_t)lo;   /* < 2^64 - 1 with 2+ shards */
	return (int64_t)((uint64_t)lo + (uint64_t)h % (span + 1));
}

typedef struct ixw {
	const qry_shard *sh;
	st_engine *e;
	q_ixst *st;
	hl_arena *a;
	int64_t token;
	const uint8_t *key;
	uint32_t keylen;
	hl_err *err;
	int rc;
} ixw;

/* Write one entry: value -> (token, key, clust). */
static void put_entry(ixw *w, st_bytes value, const st_bytes *clust, int64_t ts)
{
	if (w->rc < 0 || value.len == 0)
		return;   /* empty values are not indexed (such probes use the scan) */
	st_mutation *m = st_mut_new(w->a, value.p, value.len, hidden_token(w->sh, value.p, value.len));
	uint8_t tok[8];
	st_bytes cl[66];
	int nck = w->st->nclust - 2;
	q_index_entry_clust(w->token, w->key, w->keylen, nck, clust, tok, cl);
	st_mrow *r = st_mut_row(m, w->st->nclust, cl);
	st_row_cell(r, 0, ts > 0 ? ts : 1, 0, 0, "", 0);
	if (st_apply(w->e, &w->st->hidden, m, w->err) < 0)
		w->rc = -1;
}

/* A pk / clustering column index: the key component of a live row / partition. */
static st_bytes key_value(ixw *w, const st_bytes *clust)
{
	const sch_column *c = w->st->tg.col;
	st_bytes v = { NULL, 0 };
	if (c->kind == SCH_CLUSTERING)
		return clust[c->position];
	q_val pkv[64];
	if (w->st->t->npk > 64)
		return v;
	q_split_key(w->st->t, w->key, w->keylen, pkv);
	if (pkv[c->position].len > 0) {
		v.p = pkv[c->position].p;
		v.len = (uint32_t)pkv[c->position].len;
	}
	return v;
}

static void mut_entries(ixw *w, const st_mutation *m)
{
	const sch_column *c = w->st->tg.col;
	int col = c->id;
	if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING) {
		int64_t pts = INT64_MIN;
		for (st_mrow *r = m->rows; r; r = r->next) {
			int64_t ts = r->marker.ts;
			for (st_cell *ce = r->cells; ce; ce = ce->next)
				if (!st_cell_is_tombstone(ce) && ce->ts > ts)
					ts = ce->ts;
			if (ts == ST_NO_TS)
				continue;
			if (c->kind == SCH_CLUSTERING)
				put_entry(w, key_value(w, r->clust), r->clust, ts);
			else if (ts > pts)
				pts = ts;
		}
		if (c->kind == SCH_PARTITION_KEY && m->static_row)
			for (st_cell *ce = m->static_row->cells; ce; ce = ce->next)
				if (!st_cell_is_tombstone(ce) && ce->ts > pts)
					pts = ce->ts;
		if (c->kind == SCH_PARTITION_KEY && pts != INT64_MIN)
			put_entry(w, key_value(w, NULL), NULL, pts);
		return;
	}
	for (st_mrow *r = c->kind == SCH_STATIC ? m->static_row : m->rows; r;
	     r = c->kind == SCH_STATIC ? NULL : r->next)
		for (st_cell *ce = r->cells; ce; ce = ce->next) {
			st_bytes v;
			if (ce->col != col || st_cell_is_tombstone(ce) ||
			    !cell_value(w->a, &w->st->tg, ce->path, ce->path_len, ce->value, ce->len, &v))
				continue;
			put_entry(w, v, r->clust, ce->ts);
		}
}

/* The entries of a partition as a read returns it (all live). */
static void part_entries(ixw *w, const st_rpart *p)
{
	const sch_column *c = w->st->tg.col;
	if (c->kind == SCH_PARTITION_KEY) {
		int64_t ts = 1;
		for (int i = 0; i < p->nstatic; i++)
			if (p->statics[i].ts > ts)
				ts = p->statics[i].ts;
		for (st_rrow *r = p->rows; r; r = r->next)
			for (int i = 0; i < r->ncells; i++)
				if (r->cells[i].ts > ts)
					ts = r->cells[i].ts;
		if (p->nrows || p->nstatic)
			put_entry(w, key_value(w, NULL), NULL, ts);
		return;
	}
	if (c->kind == SCH_STATIC) {
		for (int i = 0; i < p->nstatic; i++) {
			const st_rcell *ce = &p->statics[i];
			st_bytes v;
			if (ce->col == c->id &&
			    cell_value(w->a, &w->st->tg, ce->path, ce->path_len, ce->value, ce->len, &v))
				put_entry(w, v, NULL, ce->ts);
		}
		return;
	}
	for (st_rrow *r = p->rows; r; r = r->next) {
		if (c->kind == SCH_CLUSTERING) {
			int64_t ts = 1;
			for (int i = 0; i < r->ncells; i++)
				if (r->cells[i].ts > ts)
					ts = r->cells[i].ts;
			put_entry(w, key_value(w, r->clust), r->clust, ts);
			continue;
		}
		for (int i = 0; i < r->ncells; i++) {
			const st_rcell *ce = &r->cells[i];
			st_bytes v;
			if (ce->col == c->id &&
			    cell_value(w->a, &w->st->tg, ce->path, ce->path_len, ce->value, ce->len, &v))
				put_entry(w, v, r->clust, ce->ts);
		}
	}
}

/* ------------------------------------------------------------ registry */

static q_ixst *find_state(qry_shard *sh, const hl_uuid *base, const char *name)
{
	if (!sh->ix)
		return NULL;
	for (q_ixst *s = sh->ix->head; s; s = s->next)
		if (memcmp(s->base.b, base->b, 16) == 0 && (!name || strcmp(s->name, name) == 0))
			return s;
	return NULL;
}

static void hidden_layout(const q_ixst *s, st_clust_col *cc, st_col *col, st_table_layout *l)
{
	static const ty_type *blob_pk[1];
	blob_pk[0] = ty_simple(TY_BLOB);
	memset(l, 0, sizeof *l);
	l->id = s->hidden;
	cc[0].type = ty_simple(TY_BIGINT);
	cc[1].type = ty_simple(TY_BLOB);
	for (int i = 0; i < s->nclust - 2; i++) {
		cc[2 + i].type = s->t->ck[i]->type;
		cc[2 + i].reversed = s->t->ck[i]->order == SCH_ORDER_DESC;
	}
	l->nclust = s->nclust;
	l->clust = cc;
	memset(col, 0, sizeof *col);
	col->type = ty_simple(TY_BLOB);
	l->ncols = 1;
	l->cols = col;
	l->npk = 1;
	l->pk_types = blob_pk;
}

int q_index_sync(qry_shard *sh, const sch_schema *s, hl_err *err)
{
	if (!sh->ix) {
		sh->ix = calloc(1, sizeof *sh->ix);
		if (!sh->ix)
			return hl_errf(err, HL_ERR_SERVER, "out of memory");
	}
	for (q_ixst *st = sh->ix->head; st; st = st->next)
		st->seen = false;
	for (int k = 0; k < sch_nkeyspaces(s); k++) {
		const sch_keyspace *ks = sch_keyspace_at(s, k);
		if (ks->cls != SCH_KS_USER)
			continue;
		for (int i = 0; i < ks->ntables; i++) {
			const sch_table *t = ks->tables[i];
			for (int j = 0; j < t->nindexes; j++) {
				q_ixtarget tg;
				if (q_index_target(t, &t->indexes[j], &tg) < 0 || !target_usable(&tg))
					continue;
				q_ixst *st = find_state(sh, &t->id, t->indexes[j].name);
				int nclust = row_level(t, &tg) ? 2 + t->nck : 2;
				if (st && (st->tg.kind != tg.kind || strcmp(st->col, tg.col->name) ||
					   st->nclust != nclust)) {
					/* same name, another definition: start over */
					st_drop_table(sh->engine, &st->hidden, err);
					hl_err_clear(err);
					st->built = false;
					st->nclust = nclust;
					char *cn = strdup(tg.col->name);
					if (!cn)
						return hl_errf(err, HL_ERR_SERVER, "out of memory");
					free(st->col);
					st->col = cn;
				}
				if (!st) {
					st = calloc(1, sizeof *st);
					if (!st || !(st->name = strdup(t->indexes[j].name)) ||
					    !(st->col = strdup(tg.col->name))) {
						if (st)
							free(st->name);
						free(st);
						return hl_errf(err, HL_ERR_SERVER, "out of memory");
					}
					st->base = t->id;
					uint8_t seed[16 + 256];
					size_t nl = strlen(st->name) < 256 ? strlen(st->name) : 256;
					memcpy(seed, t->id.b, 16);
					memcpy(seed + 16, st->name, nl);
					hl_uuid_from_md5(seed, 16 + nl, &st->hidden);
					st->nclust = nclust;
					st->t = t;
					st->tg = tg;
					st->next = sh->ix->head;
					sh->ix->head = st;
				}
				st->t = t;
				st->tg = tg;
				st->seen = true;
				st_clust_col cc[66] = { 0 };
				st_col col;
				st_table_layout l;
				hidden_layout(st, cc, &col, &l);
				int rc = st_has_table(sh->engine, &st->hidden)
					 ? st_alter_table(sh->engine, &l, err)
					 : st_create_table(sh->engine, &l, err);
				if (rc < 0)
					return -1;
			}
		}
	}
	/* indexes (or base tables) gone: drop their hidden tables */
	for (q_ixst **pp = &sh->ix->head; *pp;) {
		q_ixst *st = *pp;
		if (st->seen) {
			pp = &st->next;
			continue;
		}
		hl_err e2;
		hl_err_clear(&e2);
		st_drop_table(sh->engine, &st->hidden, &e2);
		*pp = st->next;
		free(st->col);
		free(st->name);
		free(st);
	}
	return 0;
}

void q_index_free(qry_shard *sh)
{
	if (!sh->ix)
		return;
	while (sh->ix->head) {
		q_ixst *n = sh->ix->head->next;
		free(sh->ix->head->name);
		free(sh->ix->head->col);
		free(sh->ix->head);
		sh->ix->head = n;
	}
	free(sh->ix);
	sh->ix = NULL;
}

bool q_index_hidden(qry_shard *sh, const hl_uuid *base, const char *name, hl_uuid *out,
		    bool *built)
{
	q_ixst *st = find_state(sh, base, name);
	if (!st)
		return false;
	*out = st->hidden;
	*built = st->built;
	return true;
}

/* ------------------------------------------------------------ maintenance */

int q_index_apply(qry_shard *sh, st_engine *e, const hl_uuid *table, const st_mutation *m,
		  hl_err *err)
{
	if (st_apply(e, table, m, err) < 0)
		return -1;
	if (!sh || !sh->ix || e != sh->engine)
		return 0;
	hl_arena *a = NULL;
	int rc = 0;
	for (q_ixst *st = sh->ix->head; st && rc == 0; st = st->next) {
		if (!st->built || memcmp(st->base.b, table->b, 16) != 0)
			continue;
		if (!a)
			a = hl_arena_new(1024);
		ixw w = { sh, e, st, a, m->token, m->key, m->keylen, err, 0 };
		mut_entries(&w, m);
		rc = w.rc;
	}
	if (a)
		hl_arena_free(a);
	/* the base write is applied: a failed index write must not fail it,
	 * so the index is rebuilt at its next use instead */
	if (rc < 0) {
		for (q_ixst *st = sh->ix->head; st; st = st->next)
			if (memcmp(st->base.b, table->b, 16) == 0)
				st->built = false;
		hl_err_clear(err);
	}
	return 0;
}

void q_index_truncated(qry_shard *sh, const hl_uuid *table)
{
	if (!sh || !sh->ix)
		return;
	for (q_ixst *st = sh->ix->head; st; st = st->next)
		if (memcmp(st->base.b, table->b, 16) == 0) {
			hl_err e2;
			hl_err_clear(&e2);
			st_truncate(sh->engine, &st->hidden, &e2);
			st->built = false;
		}
}

/* Build an index from its base table on this shard (synchronously). */
static int build(qry_shard *sh, q_ixst *st, hl_err *err)
{
	hl_err_clear(err);
	if (st_truncate(sh->engine, &st->hidden, err) < 0)
		return -1;
	hl_arena *prev = NULL, *wa = hl_arena_new(4096);
	st_read_cmd c;
	st_read_init(&c);
	c.kind = ST_READ_RANGE;
	c.count_static_only = true;
	c.limit_rows = IX_BUILD_ROWS;
	c.now = hl_now_micros() / 1000000;
	int rc = 0;
	for (;;) {
		hl_arena *a = hl_arena_new(65536);
		st_result res;
		if (st_read(sh->engine, &st->base, &c, a, &res, err) < 0) {
			hl_arena_free(a);
			rc = -1;
			break;
		}
		for (const st_rpart *p = res.parts; p; p = p->next) {
			ixw w = { sh, sh->engine, st, wa, p->token, p->key, p->keylen, err, 0 };
			part_entries(&w, p);
			if (w.rc < 0) {
				rc = -1;
				break;
			}
		}
		if (prev)
			hl_arena_free(prev);
		prev = a;
		hl_arena_free(wa);
		wa = hl_arena_new(4096);
		if (rc < 0 || !res.more || !res.parts_tail)
			break;
		/* resume after the last row read (or after the partition) */
		const st_rpart *last = res.parts_tail;
		c.has_from = true;
		c.from_token = last->token;
		c.from_key = last->key;
		c.from_keylen = last->keylen;
		c.after_clust = NULL;
		if (st->t->nck > 0 && last->rows_tail) {
			c.from_inclusive = true;
			c.after_clust = last->rows_tail->clust;
		} else {
			c.from_inclusive = false;
		}
	}
	if (prev)
		hl_arena_free(prev);
	hl_arena_free(wa);
	if (rc == 0)
		st->built = true;
	return rc;
}

/* ------------------------------------------------------------ reads */

typedef struct q_ixprobe {
	const char *name;
	const uint8_t *v;
	uint32_t len;
} q_ixprobe;

static void append(st_result *out, st_result *r)
{
	if (r->parts) {
		if (out->parts_tail)
			out->parts_tail->next = r->parts;
		else
			out->parts = r->parts;
		out->parts_tail = r->parts_tail;
	}
	out->nparts += r->nparts;
	out->nrows += r->nrows;
	out->tombstones += r->tombstones;
}

int q_index_read(qry_shard *sh, qry_op *op)
{
	const st_read_cmd *cmd = &op->cmd;
	const q_ixprobe *pr = op->ix;
	st_engine *e = sh->engine;
	q_ixst *st = find_state(sh, &op->table, pr->name);
	if (!st || !st->t)
		/* not maintained here: the same rows by scanning */
		return st_read(e, &op->table, cmd, op->arena, &op->res, &op->err);
	if (!st->built && build(sh, st, &op->err) < 0)
		return -1;
	st_result *out = &op->res;
	memset(out, 0, sizeof *out);
	hl_arena *ta = hl_arena_new(16384);
	int rc = 0;
	/* where the next batch of entries starts: token, or (token, key) */
	uint8_t tok0[8], tok1[8];
	st_bytes sb[2], eb[1];
	int64_t stoken = cmd->has_from ? cmd->from_token : cmd->start_token;
	st_bound start = { 1, sb, cmd->start_inclusive };
	put_token(stoken, tok0, &sb[0]);
	if (cmd->has_from) {
		sb[1].p = cmd->from_key;
		sb[1].len = cmd->from_keylen;
		start.n = 2;
		start.inclusive = cmd->from_inclusive;
	}
	put_token(cmd->end_token, tok1, &eb[0]);
	for (;;) {
		st_read_cmd ic;
		st_read_init(&ic);
		ic.kind = ST_READ_PARTITION;
		ic.key = pr->v;
		ic.keylen = pr->len;
		ic.token = hidden_token(sh, pr->v, pr->len);
		st_slice sl = { start, { 1, eb, cmd->end_inclusive } };
		ic.has_slices = true;
		ic.nslices = 1;
		ic.slices = &sl;
		ic.now = cmd->now;
		ic.limit_rows = IX_BATCH;
		st_result ir;
		if (st_read(e, &st->hidden, &ic, ta, &ir, &op->err) < 0) {
			rc = -1;
			goto out;
		}
		const st_rrow *rows = ir.parts ? ir.parts->rows : NULL;
		/* group the entries by base partition */
		const st_rrow *g = rows;
		bool stop = false;
		while (g && !stop) {
			const st_rrow *gend = g->next;
			while (gend && gend->clust[0].len == 8 && gend->clust[1].len == g->clust[1].len &&
			       memcmp(gend->clust[0].p, g->clust[0].p, 8) == 0 &&
			       memcmp(gend->clust[1].p, g->clust[1].p, g->clust[1].len) == 0)
				gend = gend->next;
			/* the batch may have cut this partition's entries: re-read it
			 * whole in the next batch, unless it is alone in this one */
			if (!gend && ir.more && g != rows)
				break;
			if (g->clust[0].len != 8) {
				g = gend;
				continue;
			}
			int64_t token = ty_get_bigint(g->clust[0].p, 8);
			st_read_cmd pc = *cmd;
			pc.kind = ST_READ_PARTITION;
			pc.key = g->clust[1].p;
			pc.keylen = g->clust[1].len;
			pc.token = token;
			pc.has_from = false;
			pc.after_clust = NULL;
			if (cmd->has_from && cmd->from_inclusive && cmd->after_clust &&
			    token == cmd->from_token && pc.keylen == cmd->from_keylen &&
			    memcmp(pc.key, cmd->from_key, pc.keylen) == 0)
				pc.after_clust = cmd->after_clust;
			if (cmd->limit_rows > 0)
				pc.limit_rows = cmd->limit_rows - out->nrows;
			if (cmd->tombstone_fail > 0)
				pc.tombstone_fail = cmd->tombstone_fail - out->tombstones > 0
						    ? cmd->tombstone_fail - out->tombstones : 1;
			st_result pres;
			if (st_read(e, &op->table, &pc, op->arena, &pres, &op->err) < 0) {
				rc = -1;
				goto out;
			}
			append(out, &pres);
			/* the next batch starts after this partition */
			put_token(token, tok0, &sb[0]);
			sb[1].p = g->clust[1].p;
			sb[1].len = g->clust[1].len;
			start.n = 2;
			start.inclusive = false;
			if (pres.more || (cmd->limit_rows > 0 && out->nrows >= cmd->limit_rows)) {
				out->more = true;
				stop = true;
				break;
			}
			g = gend;
		}
		if (stop || !ir.more)
			break;
	}
out:
	/* entries' key bytes (sb) live in ta; nothing returned points there */
	hl_arena_free(ta);
	return rc;
}

const sch_index *q_index_pick(const sch_table *t, int n, q_restr **f, q_restr **which)
{
	for (int i = 0; i < n; i++) {
		const q_restr *r = f[i];
		if (r->ncols != 1)
			continue;
		for (int j = 0; j < t->nindexes; j++) {
			q_ixtarget tg;
			if (q_index_target(t, &t->indexes[j], &tg) < 0 || tg.col != r->cols[0] ||
			    !target_usable(&tg))
				continue;
			bool ok = false;
			switch (r->op) {
			case CQL_OP_EQ:
				/* m[k] = v: an entries() index; c = v: a plain or full() one */
				ok = r->key ? tg.kind == QIX_ENTRIES
					    : tg.kind == QIX_PLAIN || tg.kind == QIX_FULL;
				break;
			case CQL_OP_CONTAINS:
				ok = tg.kind == QIX_VALUES;
				break;
			case CQL_OP_CONTAINS_KEY:
				ok = tg.kind == QIX_KEYS;
				break;
			default:
				break;
			}
			if (ok) {
				*which = f[i];
				return &t->indexes[j];
			}
		}
	}
	return NULL;
}

int q_index_op(qry_exec *x, qry_op *op)
{
	const q_select *q = x->plan->sel;
	const q_restr *r = q->ix_restr;
	const ty_type *ty = r->cols[0]->type;
	q_ixprobe *pr = hl_arena_zalloc(x->a, sizeof *pr);
	pr->name = q->ix->name;
	if (r->key) {
		/* m[k] = v on an entries() index: the probe is the entry */
		const ty_type *kt = ty->sub[0], *vt = ty->sub[1];
		if (!bytes_canonical(kt) || !bytes_canonical(vt))
			return 0;
		q_val k, v;
		if (q_eval(x, r->key, kt, r->cols[0]->name, &k) < 0 ||
		    q_eval(x, r->value, vt, r->cols[0]->name, &v) < 0)
			return -1;
		if (k.len < 0 || v.len < 0)
			return 0;   /* null matches nothing: the scan answers (and checks) */
		if (q_normalize(x, kt, &k) < 0 || q_normalize(x, vt, &v) < 0)
			return -1;
		st_bytes e = entry_value(x->a, k.p, (uint32_t)k.len, v.p, (uint32_t)v.len);
		pr->v = e.p;
		pr->len = e.len;
		op->ix = pr;
		return 0;
	}
	if (r->op == CQL_OP_CONTAINS)
		ty = ty->kind == TY_MAP ? ty->sub[1] : ty->sub[0];
	else if (r->op == CQL_OP_CONTAINS_KEY)
		ty = ty->sub[0];
	if (!bytes_canonical(ty))
		return 0;
	q_val v;
	if (q_eval(x, r->value, ty, r->cols[0]->name, &v) < 0)
		return -1;
	if (v.len <= 0)
		return 0;   /* null matches nothing, empty is not indexed: the scan answers */
	if (q_normalize(x, ty, &v) < 0)
		return -1;
	pr->v = v.p;
	pr->len = (uint32_t)v.len;
	op->ix = pr;
	return 0;
}
