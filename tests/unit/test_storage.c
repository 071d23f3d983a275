/*
 * Unit tests for the storage module: the mutation builder, memtable
 * reconciliation (timestamps, tie rules, tombstones of every kind, TTLs),
 * clustering order and slices, token-ordered scans with paging, limits,
 * static rows, table lifecycle (truncate, alter, drop) and memory counting.
 */
#include "storage/storage.h"
#include "t.h"

#include <stdlib.h>

static hl_arena *A;   /* per-test scratch: mutations, commands, results */

static st_bytes ival(int32_t v)
{
	uint8_t *p = hl_arena_alloc(A, 4);

	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
	return (st_bytes){ p, 4 };
}

static st_bytes sval(const char *s)
{
	return (st_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

static int32_t geti(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static int32_t cell_int(const st_rcell *cells, int n, int col)
{
	const st_rcell *c = st_rcell_find(cells, n, col);

	return c && c->len == 4 ? geti(c->value) : -999;
}

/* ---------------------------------------------------------------- fixtures */

/* t1: PRIMARY KEY (k, ck int), columns v int (0), w int (1), s int static (2),
 * tags set<int> (3, non-frozen). */
static hl_uuid T1 = { { 1 } };
static st_clust_col t1_clust[1];
static st_col t1_cols[4];

static void t1_layout(st_table_layout *l)
{
	t1_clust[0].type = ty_simple(TY_INT);
	t1_clust[0].reversed = false;
	memset(t1_cols, 0, sizeof(t1_cols));
	t1_cols[2].is_static = true;
	t1_cols[3].complex = true;
	t1_cols[3].path_type = ty_simple(TY_INT);
	memset(l, 0, sizeof(*l));
	l->id = T1;
	l->nclust = 1;
	l->clust = t1_clust;
	l->ncols = 4;
	l->cols = t1_cols;
}

static st_engine *t1_engine(void)
{
	st_engine *e = st_engine_new();
	st_table_layout l;
	hl_err err;

	t1_layout(&l);
	if (st_create_table(e, &l, &err))
		abort();
	return e;
}

static st_mutation *mut(const char *key)
{
	return st_mut_new(A, key, strlen(key), hl_token(key, strlen(key)));
}

static st_mrow *row1(st_mutation *m, int32_t ck)
{
	st_bytes c = ival(ck);

	return st_mut_row(m, 1, &c);
}

static int apply(st_engine *e, const hl_uuid *id, st_mutation *m)
{
	hl_err err;
	int rc = st_apply(e, id, m, &err);

	if (rc)
		fprintf(stderr, "apply: %s\n", err.msg);
	return rc;
}

static void part_cmd(st_read_cmd *c, const char *key, int64_t now)
{
	st_read_init(c);
	c->kind = ST_READ_PARTITION;
	c->key = (const uint8_t *)key;
	c->keylen = (uint32_t)strlen(key);
	c->token = hl_token(key, strlen(key));
	c->now = now;
}

static st_result run(st_engine *e, const hl_uuid *id, const st_read_cmd *c)
{
	st_result r;
	hl_err err;

	if (st_read(e, id, c, A, &r, &err)) {
		fprintf(stderr, "read: %s\n", err.msg);
		memset(&r, 0, sizeof(r));
	}
	return r;
}

static st_result read_key(st_engine *e, const char *key, int64_t now)
{
	st_read_cmd c;

	part_cmd(&c, key, now);
	return run(e, &T1, &c);
}

/* The single row ck of partition key, or NULL. */
static const st_rrow *find_row(const st_result *r, int32_t ck)
{
	for (const st_rpart *p = r->parts; p; p = p->next)
		for (const st_rrow *w = p->rows; w; w = w->next)
			if (geti(w->clust[0].p) == ck)
				return w;
	return NULL;
}

static int32_t row_v(st_engine *e, const char *key, int32_t ck, int col, int64_t now)
{
	st_result r = read_key(e, key, now);
	const st_rrow *w = find_row(&r, ck);

	if (!w)
		return -1000;       /* no row */
	return cell_int(w->cells, w->ncells, col);
}

/* Rows of a result as a string "k:ck,ck;k:ck" for order checks. */
static const char *shape(const st_result *r)
{
	hl_buf b;
	char *s;

	hl_buf_init(&b);
	for (const st_rpart *p = r->parts; p; p = p->next) {
		hl_buf_printf(&b, "%s%.*s:", p == r->parts ? "" : ";", (int)p->keylen, p->key);
		for (const st_rrow *w = p->rows; w; w = w->next)
			hl_buf_printf(&b, "%s%d", w == p->rows ? "" : ",", geti(w->clust[0].p));
		if (p->static_only)
			hl_buf_printf(&b, "S");
	}
	s = hl_arena_strndup(A, b.len ? (const char *)b.p : "", b.len);
	hl_buf_free(&b);
	return s;
}

/* ---------------------------------------------------------------- tests */

static void test_upsert_and_timestamps(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	st_mrow *r;
	st_result res;
	const st_rrow *w;

	m = mut("a");
	r = row1(m, 1);
	st_row_marker(r, 10, 0, 0);
	st_row_cell(r, 0, 10, 0, 0, ival(1).p, 4);
	CHECK(apply(e, &T1, m) == 0);
	CHECK_EQ_I64(row_v(e, "a", 1, 0, 100), 1);

	m = mut("a");
	st_row_cell(row1(m, 1), 0, 20, 0, 0, ival(2).p, 4);
	CHECK(apply(e, &T1, m) == 0);
	CHECK_EQ_I64(row_v(e, "a", 1, 0, 100), 2);

	/* An older write arriving later loses. */
	m = mut("a");
	st_row_cell(row1(m, 1), 0, 15, 0, 0, ival(3).p, 4);
	CHECK(apply(e, &T1, m) == 0);
	CHECK_EQ_I64(row_v(e, "a", 1, 0, 100), 2);

	res = read_key(e, "a", 100);
	CHECK_EQ_I64(res.nparts, 1);
	CHECK_EQ_I64(res.nrows, 1);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 1 && w->cells[0].ts == 20 && w->cells[0].ttl == 0);
	CHECK(res.parts && res.parts->keylen == 1 && res.parts->key[0] == 'a');
	CHECK(res.parts && res.parts->token == hl_token("a", 1));

	/* Missing partition: empty result. */
	res = read_key(e, "zz", 100);
	CHECK_EQ_I64(res.nparts, 0);
	st_engine_free(e);
}

static void put_cell(st_engine *e, int64_t ts, int32_t ttl, int64_t exp, int32_t v, bool tomb,
		     int64_t ldt)
{
	st_mutation *m = mut("tie");
	st_mrow *r = row1(m, 1);

	if (tomb)
		st_row_tombstone(r, 0, ts, ldt);
	else
		st_row_cell(r, 0, ts, ttl, exp, ival(v).p, 4);
	st_row_marker(r, 1, 0, 0);
	apply(e, &T1, m);
}

static void test_tie_rules(void)
{
	st_engine *e;

	/* Equal timestamps, both live: the greater value (unsigned bytes) wins,
	 * whatever the arrival order. -1 is 0xFFFFFFFF: greater than 5. */
	e = t1_engine();
	put_cell(e, 10, 0, 0, 5, false, 0);
	put_cell(e, 10, 0, 0, -1, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 100), -1);
	st_engine_free(e);
	e = t1_engine();
	put_cell(e, 10, 0, 0, -1, false, 0);
	put_cell(e, 10, 0, 0, 5, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 100), -1);
	st_engine_free(e);

	/* Tombstone beats live at the same timestamp, either order. */
	e = t1_engine();
	put_cell(e, 10, 0, 0, 5, false, 0);
	put_cell(e, 10, 0, 0, 0, true, 50);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 100), -999);
	st_engine_free(e);
	e = t1_engine();
	put_cell(e, 10, 0, 0, 0, true, 50);
	put_cell(e, 10, 0, 0, 5, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 100), -999);
	st_engine_free(e);

	/* Expiring beats plain live at the same timestamp (even with a smaller
	 * value): CASSANDRA-14592. */
	e = t1_engine();
	put_cell(e, 10, 0, 0, 9, false, 0);
	put_cell(e, 10, 100, 1100, 1, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 1000), 1);
	st_engine_free(e);

	/* Tombstone beats expiring at the same timestamp. */
	e = t1_engine();
	put_cell(e, 10, 0, 0, 0, true, 50);
	put_cell(e, 10, 100, 1100, 1, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 1000), -999);
	st_engine_free(e);

	/* Two expiring cells: the later expiration wins over the greater value. */
	e = t1_engine();
	put_cell(e, 10, 100, 1200, 1, false, 0);
	put_cell(e, 10, 100, 1100, 7, false, 0);
	CHECK_EQ_I64(row_v(e, "tie", 1, 0, 1000), 1);
	st_engine_free(e);
}

static void test_row_liveness(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	st_result res;
	const st_rrow *w;

	/* INSERT with only the key: a marker and no cells is a live row. */
	m = mut("k");
	st_row_marker(row1(m, 1), 10, 0, 0);
	apply(e, &T1, m);
	res = read_key(e, "k", 100);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 0);

	/* UPDATE-created row (no marker) lives only while a cell does. */
	m = mut("k");
	st_row_cell(row1(m, 2), 0, 10, 0, 0, ival(7).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "k", 2, 0, 100), 7);
	m = mut("k");
	st_row_tombstone(row1(m, 2), 0, 11, 100);
	apply(e, &T1, m);
	res = read_key(e, "k", 100);
	CHECK(find_row(&res, 2) == NULL);
	CHECK_EQ_I64(res.tombstones, 1);

	/* INSERTed row survives deleting its only cell. */
	m = mut("k");
	st_row_cell(row1(m, 1), 0, 12, 0, 0, ival(8).p, 4);
	apply(e, &T1, m);
	m = mut("k");
	st_row_tombstone(row1(m, 1), 0, 13, 100);
	apply(e, &T1, m);
	res = read_key(e, "k", 100);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 0);

	/* Liveness counts unselected columns too (Cassandra fetches all). */
	m = mut("k");
	st_row_cell(row1(m, 3), 1, 10, 0, 0, ival(9).p, 4);
	apply(e, &T1, m);
	{
		st_read_cmd c;
		int cols[] = { 0 };

		part_cmd(&c, "k", 100);
		c.cols = cols;
		c.ncols = 1;
		res = run(e, &T1, &c);
		w = find_row(&res, 3);
		CHECK(w && w->ncells == 0);
	}

	/* An expiring marker: live before, gone after (no cells). */
	m = mut("k");
	st_row_marker(row1(m, 4), 10, 60, 1060);
	apply(e, &T1, m);
	res = read_key(e, "k", 1059);
	CHECK(find_row(&res, 4) != NULL);
	res = read_key(e, "k", 1060);
	CHECK(find_row(&res, 4) == NULL);
	st_engine_free(e);
}

static void test_tombstones(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	st_result res;

	/* Cell tombstone shadows older data, even data arriving after it. */
	m = mut("d");
	st_row_marker(row1(m, 1), 10, 0, 0);
	st_row_cell(m->rows, 0, 20, 0, 0, ival(1).p, 4);
	apply(e, &T1, m);
	m = mut("d");
	st_row_tombstone(row1(m, 1), 0, 30, 100);
	apply(e, &T1, m);
	m = mut("d");
	st_row_cell(row1(m, 1), 0, 25, 0, 0, ival(2).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "d", 1, 0, 200), -999);
	m = mut("d");
	st_row_cell(row1(m, 1), 0, 35, 0, 0, ival(3).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "d", 1, 0, 200), 3);

	/* Row deletion shadows the marker and every cell at or below it. */
	m = mut("d");
	st_row_delete(row1(m, 1), 40, 100);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "d", 1, 0, 200), -1000);
	m = mut("d");
	st_row_marker(row1(m, 1), 40, 0, 0);
	st_row_cell(m->rows, 1, 39, 0, 0, ival(4).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "d", 1, 1, 200), -1000);
	m = mut("d");
	st_row_cell(row1(m, 1), 1, 41, 0, 0, ival(5).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "d", 1, 1, 200), 5);
	CHECK_EQ_I64(row_v(e, "d", 1, 0, 200), -999);

	/* Range tombstone ck in [3, 6): rows 3..5 go, newer writes come back. */
	for (int ck = 2; ck <= 7; ck++) {
		m = mut("d");
		st_row_marker(row1(m, ck), 50, 0, 0);
		apply(e, &T1, m);
	}
	{
		st_bytes s = ival(3), en = ival(6);
		st_bound b1 = { 1, &s, true }, b2 = { 1, &en, false };

		m = mut("d");
		st_mut_range_tombstone(m, &b1, &b2, 60, 100);
		apply(e, &T1, m);
	}
	res = read_key(e, "d", 200);
	CHECK_STR(shape(&res), "d:1,2,6,7");
	CHECK_EQ_I64(res.tombstones, 1);
	m = mut("d");
	st_row_marker(row1(m, 4), 61, 0, 0);
	apply(e, &T1, m);
	m = mut("d");
	st_row_marker(row1(m, 5), 59, 0, 0);
	apply(e, &T1, m);
	res = read_key(e, "d", 200);
	CHECK_STR(shape(&res), "d:1,2,4,6,7");

	/* Partition deletion: everything at or below goes, newer stays. */
	m = mut("d");
	st_mut_delete_partition(m, 61, 100);
	apply(e, &T1, m);
	res = read_key(e, "d", 200);
	CHECK_EQ_I64(res.nparts, 0);
	m = mut("d");
	st_row_marker(row1(m, 9), 62, 0, 0);
	st_row_cell(row1(m, 2), 0, 60, 0, 0, ival(1).p, 4);
	apply(e, &T1, m);
	res = read_key(e, "d", 200);
	CHECK_STR(shape(&res), "d:9");
	st_engine_free(e);
}

static void test_ttl(void)
{
	st_engine *e = t1_engine();
	st_mutation *m = mut("t");
	st_mrow *r = row1(m, 1);
	st_result res;
	const st_rrow *w;

	st_row_cell(r, 0, 10, 10, 1010, ival(1).p, 4);
	st_row_cell(r, 1, 10, 0, 0, ival(2).p, 4);
	apply(e, &T1, m);
	res = read_key(e, "t", 1005);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 2);
	if (w && w->ncells == 2) {
		CHECK_EQ_I64(w->cells[0].ttl, 10);
		CHECK_EQ_I64(w->cells[0].expire, 1010);
		CHECK_EQ_I64(w->cells[1].ttl, 0);
	}
	res = read_key(e, "t", 1010);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 1 && w->cells[0].col == 1);
	CHECK_EQ_I64(res.tombstones, 1);

	/* Once the only cell expires an UPDATE-created row is gone. */
	m = mut("t");
	st_row_cell(row1(m, 2), 0, 10, 5, 1005, ival(1).p, 4);
	apply(e, &T1, m);
	res = read_key(e, "t", 1004);
	CHECK(find_row(&res, 2) != NULL);
	res = read_key(e, "t", 1005);
	CHECK(find_row(&res, 2) == NULL);
	st_engine_free(e);
}

/* t2: PRIMARY KEY (k, a int ASC, b text DESC), column v int (0). */
static hl_uuid T2 = { { 2 } };

static st_engine *t2_engine(void)
{
	static st_clust_col cc[2];
	static st_col cols[1];
	st_table_layout l = { 0 };
	st_engine *e = st_engine_new();
	hl_err err;

	cc[0].type = ty_simple(TY_INT);
	cc[1].type = ty_simple(TY_TEXT);
	cc[1].reversed = true;
	l.id = T2;
	l.nclust = 2;
	l.clust = cc;
	l.ncols = 1;
	l.cols = cols;
	if (st_create_table(e, &l, &err))
		abort();
	return e;
}

static void t2_put(st_engine *e, int32_t a, const char *b)
{
	st_bytes c[2] = { ival(a), sval(b) };
	st_mutation *m = mut("p");

	st_row_marker(st_mut_row(m, 2, c), 1, 0, 0);
	apply(e, &T2, m);
}

static const char *t2_shape(const st_result *r)
{
	hl_buf b;
	char *s;

	hl_buf_init(&b);
	for (const st_rpart *p = r->parts; p; p = p->next)
		for (const st_rrow *w = p->rows; w; w = w->next)
			hl_buf_printf(&b, "%s%d%.*s", b.len ? "," : "", geti(w->clust[0].p),
				      (int)w->clust[1].len, (const char *)w->clust[1].p);
	s = hl_arena_strndup(A, b.len ? (const char *)b.p : "", b.len);
	hl_buf_free(&b);
	return s;
}

static st_result t2_read(st_engine *e, int nslices, const st_slice *sl, bool reversed)
{
	st_read_cmd c;

	part_cmd(&c, "p", 100);
	if (sl) {
		c.has_slices = true;
		c.nslices = nslices;
		c.slices = sl;
	}
	c.reversed = reversed;
	return run(e, &T2, &c);
}

static void test_clustering(void)
{
	st_engine *e = t2_engine();
	st_result res;
	st_bytes v1 = ival(1), v2 = ival(2), v1x[2] = { ival(1), sval("x") };

	t2_put(e, 2, "a");
	t2_put(e, 1, "x");
	t2_put(e, 1, "z");
	t2_put(e, 3, "m");
	t2_put(e, 1, "a");
	t2_put(e, -5, "q");
	t2_put(e, 2, "b");

	res = t2_read(e, 0, NULL, false);
	CHECK_STR(t2_shape(&res), "-5q,1z,1x,1a,2b,2a,3m");
	res = t2_read(e, 0, NULL, true);
	CHECK_STR(t2_shape(&res), "3m,2a,2b,1a,1x,1z,-5q");

	{	/* a = 1: prefix bounds, both inclusive */
		st_slice s = { { 1, &v1, true }, { 1, &v1, true } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "1z,1x,1a");
		res = t2_read(e, 1, &s, true);
		CHECK_STR(t2_shape(&res), "1a,1x,1z");
	}
	{	/* a > 1 */
		st_slice s = { { 1, &v1, false }, { 0, NULL, true } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "2b,2a,3m");
	}
	{	/* a >= 1 AND a < 2 */
		st_slice s = { { 1, &v1, true }, { 1, &v2, false } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "1z,1x,1a");
	}
	{	/* (a, b) > (1, 'x') in clustering order: b DESC, so 1a then a >= 2 */
		st_slice s = { { 2, v1x, false }, { 0, NULL, true } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "1a,2b,2a,3m");
	}
	{	/* a = 1 AND b <= 'x' (clustering-order slice from (1,'x') to end of a=1) */
		st_slice s = { { 2, v1x, true }, { 1, &v1, true } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "1x,1a");
		res = t2_read(e, 1, &s, true);
		CHECK_STR(t2_shape(&res), "1a,1x");
	}
	{	/* Two slices: a = -5, a = 3; forward and reversed */
		st_bytes m5 = ival(-5), v3 = ival(3);
		st_slice s[2] = { { { 1, &m5, true }, { 1, &m5, true } },
				  { { 1, &v3, true }, { 1, &v3, true } } };

		res = t2_read(e, 2, s, false);
		CHECK_STR(t2_shape(&res), "-5q,3m");
		res = t2_read(e, 2, s, true);
		CHECK_STR(t2_shape(&res), "3m,-5q");
	}
	{	/* Exact row, inclusive full bounds; and exclusive full bounds (empty) */
		st_slice s = { { 2, v1x, true }, { 2, v1x, true } };
		st_slice s2 = { { 2, v1x, false }, { 2, v1x, false } };

		res = t2_read(e, 1, &s, false);
		CHECK_STR(t2_shape(&res), "1x");
		res = t2_read(e, 1, &s2, false);
		CHECK_STR(t2_shape(&res), "");
	}
	{	/* Paging inside the partition, both directions */
		st_read_cmd c;

		part_cmd(&c, "p", 100);
		c.after_clust = v1x;
		res = run(e, &T2, &c);
		CHECK_STR(t2_shape(&res), "1a,2b,2a,3m");
		c.reversed = true;
		res = run(e, &T2, &c);
		CHECK_STR(t2_shape(&res), "1z,-5q");
	}
	{	/* Range tombstone with a prefix bound on a DESC component: a = 1 AND b < 'x' */
		st_bound s = { 2, v1x, false }, en = { 1, &v1, true };
		st_mutation *m = mut("p");

		st_mut_range_tombstone(m, &s, &en, 5, 100);
		apply(e, &T2, m);
		res = t2_read(e, 0, NULL, false);
		CHECK_STR(t2_shape(&res), "-5q,1z,1x,2b,2a,3m");
	}
	st_engine_free(e);
}

/* Partitions at chosen tokens: keys "k<token>" with an explicit token. */
static void put_tok(st_engine *e, const char *key, int64_t tok, int nrows)
{
	st_mutation *m = st_mut_new(A, key, strlen(key), tok);

	for (int i = 1; i <= nrows; i++)
		st_row_marker(row1(m, i), 1, 0, 0);
	apply(e, &T1, m);
}

static void test_range_scan(void)
{
	st_engine *e = t1_engine();
	st_read_cmd c;
	st_result res;

	put_tok(e, "c", 100, 1);
	put_tok(e, "a", -50, 2);
	put_tok(e, "b", 100, 1);
	put_tok(e, "d", INT64_MAX, 1);
	put_tok(e, "e", INT64_MIN, 1);

	st_read_init(&c);
	c.now = 10;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "e:1;a:1,2;b:1;c:1;d:1");
	CHECK(!res.more);

	/* (-50, 100]: start exclusive, end inclusive */
	c.start_token = -50;
	c.start_inclusive = false;
	c.end_token = 100;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "b:1;c:1");
	c.end_inclusive = false;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "");

	/* Resume after partition b (exclusive), and at b (inclusive) */
	st_read_init(&c);
	c.has_from = true;
	c.from_token = 100;
	c.from_key = (const uint8_t *)"b";
	c.from_keylen = 1;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "c:1;d:1");
	c.from_inclusive = true;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "b:1;c:1;d:1");
	/* The from position never escapes the token range. */
	c.start_token = 101;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "d:1");
	st_engine_free(e);
}

static void test_limits_and_paging(void)
{
	st_engine *e = t1_engine();
	st_read_cmd c;
	st_result res;
	char seen[256] = "";
	int pages = 0;

	put_tok(e, "a", 1, 3);
	put_tok(e, "b", 2, 2);
	put_tok(e, "c", 3, 4);

	st_read_init(&c);
	c.limit_rows = 4;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "a:1,2,3;b:1");
	CHECK(res.more);
	CHECK_EQ_I64(res.nrows, 4);

	st_read_init(&c);
	c.limit_per_partition = 2;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "a:1,2;b:1,2;c:1,2");
	CHECK(!res.more);

	st_read_init(&c);
	c.limit_partitions = 2;
	c.limit_per_partition = 1;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "a:1;b:1");
	CHECK(res.more);

	/* Reversed with per-partition limit. */
	st_read_init(&c);
	c.reversed = true;
	c.limit_per_partition = 2;
	res = run(e, &T1, &c);
	CHECK_STR(shape(&res), "a:3,2;b:2,1;c:4,3");

	/* Page through everything, 2 rows per page, resuming from the last row. */
	{
		const st_rpart *lp = NULL;
		const st_rrow *lr = NULL;
		st_bytes after;

		st_read_init(&c);
		c.limit_rows = 2;
		for (;;) {
			res = run(e, &T1, &c);
			pages++;
			strcat(seen, shape(&res));
			strcat(seen, "|");
			if (!res.more || pages > 10)
				break;
			lp = res.parts_tail;
			lr = lp->rows_tail;
			after = lr->clust[0];
			c.has_from = true;
			c.from_token = lp->token;
			c.from_key = lp->key;
			c.from_keylen = lp->keylen;
			c.from_inclusive = true;
			c.after_clust = &after;
		}
		CHECK_STR(seen, "a:1,2|a:3;b:1|b:2;c:1|c:2,3|c:4|");
	}
	st_engine_free(e);
}

static void test_static(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	st_read_cmd c;
	st_result res;

	/* Static only partition "s1"; partition "s2" with static and a row. */
	m = mut("s1");
	st_mut_static_cell(m, 2, 10, 0, 0, ival(42).p, 4);
	apply(e, &T1, m);
	m = mut("s2");
	st_mut_static_cell(m, 2, 10, 0, 0, ival(43).p, 4);
	st_row_marker(row1(m, 1), 10, 0, 0);
	apply(e, &T1, m);

	res = read_key(e, "s1", 100);
	CHECK_EQ_I64(res.nparts, 1);
	CHECK(res.parts && res.parts->static_only && res.parts->nrows == 0);
	CHECK(res.parts && cell_int(res.parts->statics, res.parts->nstatic, 2) == 42);
	CHECK_EQ_I64(res.nrows, 0);

	part_cmd(&c, "s1", 100);
	c.count_static_only = true;
	res = run(e, &T1, &c);
	CHECK_EQ_I64(res.nrows, 1);

	res = read_key(e, "s2", 100);
	CHECK(res.parts && !res.parts->static_only && res.parts->nrows == 1);
	CHECK(res.parts && cell_int(res.parts->statics, res.parts->nstatic, 2) == 43);

	/* Static cells are not returned when not selected, but still decide
	 * static_only. */
	{
		int cols[] = { 0 };

		part_cmd(&c, "s1", 100);
		c.cols = cols;
		c.ncols = 1;
		res = run(e, &T1, &c);
		CHECK(res.parts && res.parts->static_only && res.parts->nstatic == 0);
	}

	/* With slices that match nothing the partition still shows its statics. */
	{
		st_bytes v9 = ival(9);
		st_slice s = { { 1, &v9, true }, { 1, &v9, true } };

		part_cmd(&c, "s2", 100);
		c.has_slices = true;
		c.nslices = 1;
		c.slices = &s;
		res = run(e, &T1, &c);
		CHECK(res.parts && res.parts->static_only);
	}

	/* Range tombstones do not touch statics; partition deletions do. */
	{
		st_bound bot = { 0, NULL, true }, top = { 0, NULL, true };

		m = mut("s2");
		st_mut_range_tombstone(m, &bot, &top, 20, 100);
		apply(e, &T1, m);
		res = read_key(e, "s2", 100);
		CHECK(res.parts && res.parts->static_only && res.parts->nrows == 0);
	}
	m = mut("s1");
	st_mut_delete_partition(m, 11, 100);
	apply(e, &T1, m);
	res = read_key(e, "s1", 100);
	CHECK_EQ_I64(res.nparts, 0);

	/* Range scan counting static-only partitions as rows. */
	st_read_init(&c);
	c.count_static_only = true;
	c.limit_rows = 1;
	res = run(e, &T1, &c);
	CHECK_EQ_I64(res.nparts, 1);
	CHECK(res.more);
	st_engine_free(e);
}

static void test_complex(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	st_result res;
	const st_rrow *w;

	/* tags = {3, 1, -2} at ts 10 (ordered by int path), then tags = {5} at 20 */
	m = mut("c");
	{
		st_mrow *r = row1(m, 1);
		int32_t el[] = { 3, 1, -2 };

		st_row_complex_delete(r, 3, 9, 100);
		for (int i = 0; i < 3; i++)
			st_row_cell_path(r, 3, ival(el[i]).p, 4, 10, 0, 0, NULL, 0);
	}
	apply(e, &T1, m);
	res = read_key(e, "c", 100);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 3);
	if (w && w->ncells == 3) {
		CHECK_EQ_I64(geti(w->cells[0].path), -2);
		CHECK_EQ_I64(geti(w->cells[1].path), 1);
		CHECK_EQ_I64(geti(w->cells[2].path), 3);
	}
	m = mut("c");
	st_row_complex_delete(row1(m, 1), 3, 19, 100);
	st_row_cell_path(m->rows, 3, ival(5).p, 4, 20, 0, 0, NULL, 0);
	apply(e, &T1, m);
	/* tags = tags - {5} */
	m = mut("c");
	st_row_tombstone_path(row1(m, 1), 3, ival(5).p, 4, 21, 100);
	st_row_cell_path(m->rows, 3, ival(6).p, 4, 21, 0, 0, NULL, 0);
	apply(e, &T1, m);
	res = read_key(e, "c", 100);
	w = find_row(&res, 1);
	CHECK(w && w->ncells == 1 && geti(w->cells[0].path) == 6);
	st_engine_free(e);
}

static void test_alter_drop_column(void)
{
	st_engine *e = t1_engine();
	st_table_layout l;
	st_mutation *m;
	st_result res;
	hl_err err;

	m = mut("x");
	st_row_cell(row1(m, 1), 0, 10, 0, 0, ival(1).p, 4);   /* only v: no marker */
	st_row_marker(row1(m, 2), 10, 0, 0);
	st_row_cell(m->rows_tail, 0, 10, 0, 0, ival(2).p, 4);
	apply(e, &T1, m);

	/* ALTER TABLE DROP v at 50: its cells vanish, row 1 with them. */
	t1_layout(&l);
	t1_cols[0].dropped = true;
	t1_cols[0].has_dropped_at = true;
	t1_cols[0].dropped_at = 50;
	CHECK(st_alter_table(e, &l, &err) == 0);
	res = read_key(e, "x", 100);
	CHECK_STR(shape(&res), "x:2");
	CHECK(res.parts && res.parts->rows->ncells == 0);

	/* Re-ADD v: old cells stay hidden, newer ones show. */
	t1_cols[0].dropped = false;
	CHECK(st_alter_table(e, &l, &err) == 0);
	res = read_key(e, "x", 100);
	CHECK_STR(shape(&res), "x:2");
	m = mut("x");
	st_row_cell(row1(m, 1), 0, 60, 0, 0, ival(7).p, 4);
	apply(e, &T1, m);
	CHECK_EQ_I64(row_v(e, "x", 1, 0, 100), 7);
	CHECK_EQ_I64(row_v(e, "x", 2, 0, 100), -999);

	/* Clustering cannot change. */
	l.nclust = 0;
	CHECK(st_alter_table(e, &l, &err) == -1);
	st_engine_free(e);
	t1_layout(&l);     /* restore the fixture */
}

static void test_lifecycle_and_memory(void)
{
	st_engine *e = t1_engine();
	st_table_stats st0, st1, st2;
	st_mutation *m;
	st_result res;
	hl_err err;
	hl_uuid other = { { 9 } };

	CHECK(st_table_stats_get(e, &T1, &st0, &err) == 0);
	for (int i = 0; i < 200; i++) {
		char key[16];

		snprintf(key, sizeof(key), "m%d", i);
		m = mut(key);
		st_row_cell(row1(m, i), 0, 10, 0, 0, ival(i).p, 4);
		apply(e, &T1, m);
	}
	CHECK(st_table_stats_get(e, &T1, &st1, &err) == 0);
	CHECK(st1.memory > st0.memory + 200 * 8);
	CHECK_EQ_I64(st1.partitions, 200);
	CHECK_EQ_I64(st1.rows, 200);

	/* Results live in the caller's arena: still readable after truncate. */
	res = read_key(e, "m7", 100);
	CHECK(st_truncate(e, &T1, &err) == 0);
	CHECK(res.parts && res.parts->keylen == 2 && memcmp(res.parts->key, "m7", 2) == 0);
	CHECK(res.parts && cell_int(res.parts->rows->cells, res.parts->rows->ncells, 0) == 7);
	CHECK(st_table_stats_get(e, &T1, &st2, &err) == 0);
	CHECK(st2.memory < st1.memory);
	CHECK_EQ_I64(st2.partitions, 0);
	res = read_key(e, "m7", 100);
	CHECK_EQ_I64(res.nparts, 0);
	CHECK_EQ_I64(row_v(e, "m7", 7, 0, 100), -1000);
	m = mut("m7");
	st_row_marker(row1(m, 1), 10, 0, 0);
	CHECK(apply(e, &T1, m) == 0);

	/* Unknown table, duplicate create, drop. */
	CHECK(st_apply(e, &other, m, &err) == -1 && err.code == HL_ERR_INVALID);
	{
		st_table_layout l;

		t1_layout(&l);
		CHECK(st_create_table(e, &l, &err) == -1 && err.code == HL_ERR_ALREADY_EXISTS);
	}
	/* Many tables: registry growth and drop keep lookups right. */
	for (int i = 0; i < 100; i++) {
		st_table_layout l;

		t1_layout(&l);
		l.id.b[0] = 0x40;
		l.id.b[1] = (uint8_t)i;
		CHECK(st_create_table(e, &l, &err) == 0);
	}
	for (int i = 0; i < 100; i += 2) {
		hl_uuid id = { { 0x40, (uint8_t)i } };

		CHECK(st_drop_table(e, &id, &err) == 0);
	}
	{
		int ok = 0;

		for (int i = 0; i < 100; i++) {
			hl_uuid id = { { 0x40, (uint8_t)i } };

			ok += st_has_table(e, &id) == (i % 2 == 1);
		}
		CHECK_EQ_I64(ok, 100);
	}
	CHECK(st_has_table(e, &T1));
	CHECK(st_drop_table(e, &T1, &err) == 0);
	CHECK(!st_has_table(e, &T1));
	CHECK(st_drop_table(e, &T1, &err) == -1);
	st_engine_free(e);
}

static void test_validation(void)
{
	st_engine *e = t1_engine();
	st_mutation *m;
	hl_err err;
	st_result res;

	/* Wrong clustering count: rejected, and the good row in it not applied. */
	m = mut("v");
	st_row_marker(row1(m, 1), 10, 0, 0);
	st_row_marker(st_mut_row(m, 0, NULL), 10, 0, 0);
	CHECK(st_apply(e, &T1, m, &err) == -1);
	res = read_key(e, "v", 100);
	CHECK_EQ_I64(res.nparts, 0);

	m = mut("v");
	st_row_cell(row1(m, 1), 2, 10, 0, 0, ival(1).p, 4);   /* static col on a row */
	CHECK(st_apply(e, &T1, m, &err) == -1);
	m = mut("v");
	st_mut_static_cell(m, 0, 10, 0, 0, ival(1).p, 4);     /* regular col as static */
	CHECK(st_apply(e, &T1, m, &err) == -1);
	m = mut("v");
	st_row_cell(row1(m, 1), 7, 10, 0, 0, ival(1).p, 4);   /* no such column */
	CHECK(st_apply(e, &T1, m, &err) == -1);
	m = mut("v");
	st_row_cell(row1(m, 1), 3, 10, 0, 0, ival(1).p, 4);   /* complex without path */
	CHECK(st_apply(e, &T1, m, &err) == -1);
	st_engine_free(e);
}

static void test_tombstone_threshold(void)
{
	st_engine *e = t1_engine();
	st_read_cmd c;
	st_result res;
	hl_err err;

	for (int i = 0; i < 20; i++) {
		st_mutation *m = mut("tt");

		st_row_tombstone(row1(m, i), 0, 10, 100);
		apply(e, &T1, m);
	}
	part_cmd(&c, "tt", 100);
	res = run(e, &T1, &c);
	CHECK_EQ_I64(res.tombstones, 20);
	CHECK_EQ_I64(res.nparts, 0);
	c.tombstone_fail = 10;
	CHECK(st_read(e, &T1, &c, A, &res, &err) == -1 && err.code == HL_ERR_READ_FAILURE);
	st_engine_free(e);
}

/* A table without clustering columns: one row per partition. */
static void test_no_clustering(void)
{
	static st_col cols[2];
	st_table_layout l = { 0 };
	hl_uuid id = { { 3 } };
	st_engine *e = st_engine_new();
	st_mutation *m;
	st_read_cmd c;
	st_result res;
	hl_err err;

	l.id = id;
	l.ncols = 2;
	l.cols = cols;
	CHECK(st_create_table(e, &l, &err) == 0);
	m = mut("n");
	st_row_marker(st_mut_row(m, 0, NULL), 10, 0, 0);
	st_row_cell(m->rows, 1, 10, 0, 0, ival(5).p, 4);
	CHECK(apply(e, &id, m) == 0);
	m = mut("n");
	st_row_cell(st_mut_row(m, 0, NULL), 1, 11, 0, 0, ival(6).p, 4);
	CHECK(apply(e, &id, m) == 0);
	part_cmd(&c, "n", 100);
	res = run(e, &id, &c);
	CHECK(res.nparts == 1 && res.parts->nrows == 1 && res.parts->rows->clust == NULL);
	CHECK(res.nparts == 1 && cell_int(res.parts->rows->cells, res.parts->rows->ncells, 1) == 6);
	CHECK(res.nparts == 1 && st_rcell_find(res.parts->rows->cells, res.parts->rows->ncells, 0) == NULL);
	/* DELETE FROM t WHERE k = 'n' at ts 11 shadows both. */
	m = mut("n");
	st_mut_delete_partition(m, 11, 100);
	CHECK(apply(e, &id, m) == 0);
	res = run(e, &id, &c);
	CHECK_EQ_I64(res.nparts, 0);
	st_engine_free(e);
}

/*
 * Random writes / cell tombstones / row deletions on one partition against a
 * brute-force model of the reconciliation rules, then random slices in both
 * directions. Exercises the skip list and the bound logic at scale.
 */
static uint64_t rnd_state = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

#define NCK 60
static void test_random_model(void)
{
	struct { int64_t ts; int32_t v; bool tomb, has; int64_t del; } mdl[NCK];
	st_engine *e = t1_engine();
	int bad = 0;

	memset(mdl, 0, sizeof(mdl));
	for (int i = 0; i < NCK; i++)
		mdl[i].del = ST_NO_TS;
	for (int op = 0; op < 3000; op++) {
		int ck = (int)rnd(NCK);
		int64_t ts = rnd(50);
		st_mutation *m = mut("r");
		st_mrow *r = row1(m, ck - NCK / 2);
		int kind = (int)rnd(10);

		if (kind == 0) {
			st_row_delete(r, ts, 100);
			if (ts > mdl[ck].del)
				mdl[ck].del = ts;
		} else {
			bool tomb = kind == 1;
			int32_t v = (int32_t)rnd(5);
			bool wins;

			if (tomb)
				st_row_tombstone(r, 0, ts, 100);
			else
				st_row_cell(r, 0, ts, 0, 0, ival(v).p, 4);
			if (!mdl[ck].has || ts != mdl[ck].ts)
				wins = !mdl[ck].has || ts > mdl[ck].ts;
			else if (tomb != mdl[ck].tomb)
				wins = tomb;
			else
				wins = !tomb && (uint32_t)v > (uint32_t)mdl[ck].v;
			if (wins) {
				mdl[ck].has = true;
				mdl[ck].ts = ts;
				mdl[ck].v = tomb ? 0 : v;
				mdl[ck].tomb = tomb;
			}
		}
		apply(e, &T1, m);
	}
	for (int q = 0; q < 300; q++) {
		int lo = (int)rnd(NCK), hi = (int)rnd(NCK);
		bool li = rnd(2), hi_incl = rnd(2), rev = rnd(2), unb_lo = rnd(8) == 0;
		st_bytes blo = ival(lo - NCK / 2), bhi = ival(hi - NCK / 2);
		st_slice s = { { unb_lo ? 0 : 1, &blo, unb_lo ? true : li }, { 1, &bhi, hi_incl } };
		st_read_cmd c;
		st_result res;
		const st_rrow *w;
		int expect_n = 0;

		part_cmd(&c, "r", 1000);
		c.has_slices = true;
		c.nslices = 1;
		c.slices = &s;
		c.reversed = rev;
		res = run(e, &T1, &c);
		w = res.nparts ? res.parts->rows : NULL;
		for (int k = 0; k < NCK; k++) {
			int ck = rev ? NCK - 1 - k : k;
			bool in = (unb_lo || ck > lo || (ck == lo && li)) &&
				  (ck < hi || (ck == hi && hi_incl));
			bool live = mdl[ck].has && !mdl[ck].tomb && mdl[ck].ts > mdl[ck].del;

			if (!in || !live)
				continue;
			expect_n++;
			if (!w || geti(w->clust[0].p) != ck - NCK / 2 || w->ncells != 1 ||
			    geti(w->cells[0].value) != mdl[ck].v || w->cells[0].ts != mdl[ck].ts)
				bad++;
			if (w)
				w = w->next;
		}
		if (w || res.nrows != expect_n)
			bad++;
	}
	CHECK_EQ_I64(bad, 0);
	st_engine_free(e);
}

int main(void)
{
	void (*tests[])(void) = {
		test_upsert_and_timestamps, test_tie_rules, test_row_liveness, test_tombstones,
		test_ttl, test_clustering, test_range_scan, test_limits_and_paging, test_static,
		test_complex, test_alter_drop_column, test_lifecycle_and_memory,
		test_validation, test_tombstone_threshold, test_no_clustering,
		test_random_model,
	};

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		A = hl_arena_new(0);
		tests[i]();
		hl_arena_free(A);
	}
	return T_DONE();
}
