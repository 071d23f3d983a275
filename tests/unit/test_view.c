/*
 * Unit tests of the materialized view row computation (q_view_row): which
 * view mutations one base row change produces — new rows with the base's
 * timestamps and TTLs, row tombstones when the view key moves or the row
 * goes, cell tombstones for cells the base lost, nothing for a null key —
 * and of the view DDL's model (columns, key, order, where clause).
 */
#include <stdlib.h>
#include <string.h>

#include "query/q_int.h"
#include "q_env.h"
#include "t.h"

static const uint8_t *i32(hl_arena *a, int32_t v)
{
	uint8_t *p = hl_arena_alloc(a, 4);
	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
	return p;
}

static int32_t geti(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static sch_schema *schema(void)
{
	sch_registry_config cfg = { 0, NULL, true };
	sch_schema *s = sch_schema_new_system(), *n;
	hl_err err;
	sch_change chg;
	sch_option rep_opt;
	sch_kv rep[2] = { { "class", "SimpleStrategy", 0 }, { "replication_factor", "1", 0 } };
	rep_opt.name = "replication";
	rep_opt.kind = SCH_OPT_MAP;
	rep_opt.nmap = 2;
	rep_opt.map = rep;
	sch_ddl d;
	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_KEYSPACE;
	d.keyspace.name = "ks";
	d.keyspace.nopts = 1;
	d.keyspace.opts = &rep_opt;
	CHECK(sch_apply(s, &d, &cfg, 1000, &n, &chg, &err) == 0 && n);
	sch_release(s);
	s = n;

	sch_column_def cols[4] = { { "k", "int", NULL, false }, { "c", "int", NULL, false },
				   { "v", "int", NULL, false }, { "w", "text", NULL, false } };
	const char *pk[1] = { "k" }, *ck[1] = { "c" };
	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_TABLE;
	d.ks = "ks";
	d.table.ks = "ks";
	d.table.name = "t";
	d.table.ncols = 4;
	d.table.cols = cols;
	d.table.npk = 1;
	d.table.pk = pk;
	d.table.nck = 1;
	d.table.ck = ck;
	CHECK(sch_apply(s, &d, &cfg, 2000, &n, &chg, &err) == 0 && n);
	sch_release(s);
	s = n;

	const char *sel[4] = { "k", "c", "v", "w" };
	sch_view_rel where[3] = { { "v", true }, { "k", true }, { "c", true } };
	const char *vpk[1] = { "v" }, *vck[2] = { "k", "c" };
	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_VIEW;
	d.ks = "ks";
	d.view.ks = "ks";
	d.view.name = "tv";
	d.view.base = "t";
	d.view.nsel = 4;
	d.view.sel = sel;
	d.view.nwhere = 3;
	d.view.where = where;
	d.view.npk = 1;
	d.view.pk = vpk;
	d.view.nck = 2;
	d.view.ck = vck;
	/* disabled: Cassandra's message */
	sch_registry_config off = { 0, NULL, false };
	CHECK(sch_apply(s, &d, &off, 3000, &n, &chg, &err) < 0);
	CHECK_STR(err.msg, "Materialized views are disabled. Enable in cassandra.yaml to use.");
	CHECK(sch_apply(s, &d, &cfg, 3000, &n, &chg, &err) == 0 && n);
	CHECK_STR(chg.change_type, "CREATED");
	CHECK_STR(chg.target, "TABLE");
	CHECK_STR(chg.name, "tv");
	sch_release(s);
	return n;
}

/* A base row of (k, c) with v and w (NULL / -1: absent). */
static st_rrow *row(hl_arena *a, const sch_table *t, int c, int v, int64_t vts, int32_t vttl,
		    int64_t vexp, const char *w, int64_t wts)
{
	st_rrow *r = hl_arena_zalloc(a, sizeof *r);
	st_bytes *cl = hl_arena_zalloc(a, sizeof *cl);
	cl->p = i32(a, c);
	cl->len = 4;
	r->clust = cl;
	st_rcell *cells = hl_arena_zalloc(a, sizeof *cells * 2);
	int n = 0;
	if (v >= 0) {
		cells[n].col = sch_find_column(t, "v")->id;
		cells[n].value = i32(a, v);
		cells[n].len = 4;
		cells[n].ts = vts;
		cells[n].ttl = vttl;
		cells[n].expire = vexp;
		n++;
	}
	if (w) {
		cells[n].col = sch_find_column(t, "w")->id;
		cells[n].value = (const uint8_t *)w;
		cells[n].len = (uint32_t)strlen(w);
		cells[n].ts = wts;
		n++;
	}
	r->ncells = n;
	r->cells = cells;
	return r;
}

static int count(const q_vmut *m)
{
	int n = 0;
	for (; m; m = m->next)
		n++;
	return n;
}

static const st_cell *cell_of(const st_mrow *r, int col)
{
	for (const st_cell *c = r->cells; c; c = c->next)
		if (c->col == col)
			return c;
	return NULL;
}

/* ------------------------------------------------------------ through the executor */

/* Run q to completion (ops inline on their shards); the first int of each row into out. */
static int run(env *e, const char *q, char *msg, int *out, int max)
{
	hl_arena *a = hl_arena_new(4096);
	qry_exec *x = qry_exec_new(&e->sh[1], a, 4, NULL);
	int rc = qry_exec_query(x, q, strlen(q), NULL);
	rc = drive(e, x, rc);
	int nrows = -1;
	qry_result *r = qry_exec_result(x);
	if (msg)
		snprintf(msg, 256, "%.200s", r ? "" : qry_exec_error(x)->msg);
	if (r) {
		nrows = r->nrows;
		hl_rd rd;
		hl_rd_init(&rd, r->rows.p, r->rows.len);
		for (int i = 0; i < r->nrows; i++)
			for (int c = 0; c < r->meta.ncols; c++) {
				const uint8_t *p;
				int32_t l;
				if (hl_rd_pbytes(&rd, &p, &l) < 0)
					break;
				if (c == 0 && i < max)
					out[i] = l == 4 ? geti(p) : -999;
			}
	}
	qry_exec_free(x);
	hl_arena_free(a);
	return nrows;
}

static void test_executor(void)
{
	env e;
	char msg[256];
	int v[256];
	env_init_opts(&e, true);
	CHECK(run(&e, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', "
		  "'replication_factor': 1}", msg, v, 0) == 0);
	CHECK(run(&e, "CREATE TABLE ks.t (k int, c int, v int, PRIMARY KEY (k, c))", msg, v, 0) == 0);
	for (int k = 0; k < 30; k++) {
		char q[128];
		snprintf(q, sizeof q, "INSERT INTO ks.t (k, c, v) VALUES (%d, 1, %d)", k, k % 3);
		CHECK(run(&e, q, msg, v, 0) == 0);
	}
	/* built from the 30 existing rows, which sit on all three shards */
	CHECK(run(&e, "CREATE MATERIALIZED VIEW ks.tv AS SELECT k, c, v FROM ks.t WHERE v IS NOT NULL "
		  "AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, k, c)", msg, v, 0) == 0);
	CHECK_STR(msg, "");
	CHECK(run(&e, "SELECT k FROM ks.tv", msg, v, 256) == 30);
	CHECK(run(&e, "SELECT k FROM ks.tv WHERE v = 2", msg, v, 256) == 10);
	/* maintenance: the key moves to another view partition (and maybe shard) */
	CHECK(run(&e, "UPDATE ks.t SET v = 7 WHERE k = 2 AND c = 1", msg, v, 0) == 0);
	CHECK(run(&e, "SELECT k FROM ks.tv WHERE v = 7", msg, v, 256) == 1 && v[0] == 2);
	CHECK(run(&e, "SELECT k FROM ks.tv WHERE v = 2", msg, v, 256) == 9);
	CHECK(run(&e, "DELETE FROM ks.t WHERE k = 2", msg, v, 0) == 0);
	CHECK(run(&e, "SELECT k FROM ks.tv WHERE v = 7", msg, v, 256) == 0);
	CHECK(run(&e, "INSERT INTO ks.tv (v, k, c) VALUES (1, 1, 1)", msg, v, 0) < 0);
	CHECK_STR(msg, "Cannot directly modify a materialized view");
	CHECK(run(&e, "DROP TABLE ks.t", msg, v, 0) < 0);
	CHECK_STR(msg, "Cannot drop a table when materialized views still depend on it (ks)");
	CHECK(run(&e, "DROP MATERIALIZED VIEW ks.tv", msg, v, 0) == 0);
	CHECK(run(&e, "DROP TABLE ks.t", msg, v, 0) == 0);
	env_free(&e);
}

int main(void)
{
	test_executor();
	sch_schema *s = schema();
	const sch_table *t = sch_find_table(s, "ks", "t"), *v = sch_find_table(s, "ks", "tv");
	CHECK(t && v && v->view && !t->view);
	const sch_table *vs[4];
	CHECK(sch_views_of(s, t, vs, 4) == 1 && vs[0] == v);
	CHECK_STR(v->view->where, "v IS NOT NULL AND k IS NOT NULL AND c IS NOT NULL");
	CHECK_STR(v->view->base, "t");
	CHECK(!memcmp(v->view->base_id.b, t->id.b, 16));
	CHECK(v->npk == 1 && v->nck == 2 && !strcmp(v->pk[0]->name, "v") && !strcmp(v->ck[1]->name, "c"));
	const sch_column *vw = sch_find_column(v, "w");
	CHECK(vw && vw->kind == SCH_REGULAR);

	hl_arena *a = hl_arena_new(4096);
	const uint8_t *key = i32(a, 1);
	st_bytes cl = { i32(a, 5), 4 };
	q_vmut *out = NULL;

	/* a new base row: one view row keyed by v, liveness from the base column in the key */
	st_rrow *n1 = row(a, t, 5, 10, 100, 0, 0, "a", 90);
	CHECK(q_view_row(a, t, v, key, 4, &cl, NULL, n1, NULL, 100, 50, &out) == 0);
	CHECK(count(out) == 1);
	CHECK(out->mut->keylen == 4 && geti(out->mut->key) == 10);
	CHECK(memcmp(out->table.b, v->id.b, 16) == 0);
	const st_mrow *r = out->mut->rows;
	CHECK(r && r->nclust == 2 && geti(r->clust[0].p) == 1 && geti(r->clust[1].p) == 5);
	CHECK_EQ_I64(r->marker.ts, 100);
	const st_cell *c = cell_of(r, vw->id);
	/* the cell rides at least at the key column's time (so an older tombstone of the key cannot hide it) */
	CHECK(c && c->len == 1 && c->ts == 100 && !st_cell_is_tombstone(c));
	CHECK(r->del.ts == ST_NO_TS);

	/* the view key moves: tombstone on the old key, full row on the new */
	out = NULL;
	st_rrow *n2 = row(a, t, 5, 20, 200, 0, 0, "a", 90);
	CHECK(q_view_row(a, t, v, key, 4, &cl, n1, n2, NULL, 200, 60, &out) == 0);
	CHECK(count(out) == 2);
	const q_vmut *del = geti(out->mut->key) == 10 ? out : out->next;
	const q_vmut *add = del == out ? out->next : out;
	CHECK(geti(del->mut->key) == 10 && del->mut->rows->del.ts == 200 && del->mut->rows->del.ldt == 60);
	CHECK(geti(add->mut->key) == 20 && add->mut->rows->marker.ts == 200);
	CHECK(cell_of(add->mut->rows, vw->id) && cell_of(add->mut->rows, vw->id)->ts == 200);

	/* same key, a cell lost: a cell tombstone at the deleting write's time */
	out = NULL;
	st_rrow *n3 = row(a, t, 5, 20, 200, 0, 0, NULL, 0);
	CHECK(q_view_row(a, t, v, key, 4, &cl, n2, n3, NULL, 300, 70, &out) == 0);
	CHECK(count(out) == 1);
	c = cell_of(out->mut->rows, vw->id);
	CHECK(c && st_cell_is_tombstone(c) && c->ts == 300);
	CHECK(out->mut->rows->del.ts == ST_NO_TS);

	/* the base row goes: the view row goes */
	out = NULL;
	CHECK(q_view_row(a, t, v, key, 4, &cl, n3, NULL, NULL, 400, 80, &out) == 0);
	CHECK(count(out) == 1 && out->mut->rows->del.ts == 400);

	/* a null view key column: no view row at all */
	out = NULL;
	st_rrow *n4 = row(a, t, 5, -1, 0, 0, 0, "x", 500);
	CHECK(q_view_row(a, t, v, key, 4, &cl, NULL, n4, NULL, 500, 90, &out) == 0);
	CHECK(count(out) == 0);

	/* a TTL on the key column bounds the whole view row */
	out = NULL;
	st_rrow *n5 = row(a, t, 5, 30, 600, 10, 1000, "y", 600);
	CHECK(q_view_row(a, t, v, key, 4, &cl, NULL, n5, NULL, 600, 990, &out) == 0);
	CHECK(count(out) == 1);
	CHECK(out->mut->rows->marker.ttl == 10 && out->mut->rows->marker.expire == 1000);
	c = cell_of(out->mut->rows, vw->id);
	CHECK(c && c->ttl == 10 && c->ldt == 1000);

	/* persisted and read back: the view survives with its ids and where clause */
	hl_buf b;
	hl_buf_init(&b);
	hl_err err;
	CHECK(sch_schema_encode(s, &b, &err) == 0);
	sch_schema *back = NULL;
	CHECK(sch_schema_decode(b.p, b.len, "mem", &back, &err) == 0);
	const sch_table *bv = back ? sch_find_table(back, "ks", "tv") : NULL;
	CHECK(bv && bv->view && !memcmp(bv->id.b, v->id.b, 16));
	CHECK(bv && !strcmp(bv->view->where, v->view->where) && bv->view->include_all == false);
	CHECK(back && !memcmp(sch_version(back)->b, sch_version(s)->b, 16));
	if (back)
		sch_release(back);
	hl_buf_free(&b);

	/* DESCRIBE text */
	const char *cql = sch_view_cql(v, false, a);
	static const char want[] = "CREATE MATERIALIZED VIEW ks.tv AS\n    SELECT v, k, c, w\n    FROM ks.t\n"
				   "    WHERE v IS NOT NULL AND k IS NOT NULL AND c IS NOT NULL\n"
				   "    PRIMARY KEY (v, k, c) WITH CLUSTERING ORDER BY (k ASC, c ASC)\n";
	CHECK(!strncmp(cql, want, sizeof want - 1));
	CHECK(!strstr(cql, "default_time_to_live"));

	hl_arena_free(a);
	sch_release(s);
	return T_DONE();
}
