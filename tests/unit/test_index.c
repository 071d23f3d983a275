/*
 * Unit tests of the secondary index structures (query/index.c): target
 * parsing, entry encoding, the lazy build, maintenance on writes, stale
 * entries filtered by the read, TRUNCATE, and paging across shards -- with
 * the executor's ops run inline on in-process shards.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q_int.h"
#include "q_env.h"
#include "t.h"

/* Run q; return the row count (-1: error) and the first column as ints,
 * following every page when page_size > 0. */
static int query(env *e, const char *q, int page_size, int *out, int max)
{
	uint8_t ps[512];
	int32_t pslen = 0;
	int n = 0;
	for (;;) {
		hl_arena *a = hl_arena_new(4096);
		qry_exec *x = qry_exec_new(&e->sh[0], a, 4, NULL);
		qry_params p;
		memset(&p, 0, sizeof p);
		p.consistency = QRY_CL_ONE;
		p.page_size = page_size;
		p.paging_state = pslen ? ps : NULL;
		p.paging_state_len = pslen;
		drive(e, x, qry_exec_query(x, q, strlen(q), page_size ? &p : NULL));
		qry_result *r = qry_exec_result(x);
		if (!r) {
			fprintf(stderr, "%s: %s\n", q, qry_exec_error(x)->msg);
			qry_exec_free(x);
			hl_arena_free(a);
			return -1;
		}
		hl_rd rd;
		hl_rd_init(&rd, r->rows.p, r->rows.len);
		for (int i = 0; i < r->nrows; i++) {
			for (int c = 0; c < r->meta.ncols; c++) {
				const uint8_t *pp;
				int32_t l;
				if (hl_rd_pbytes(&rd, &pp, &l) < 0)
					break;
				if (c == 0 && n < max)
					out[n] = l == 4 ? ty_get_int(pp, 4) : -999;
			}
			n++;
		}
		pslen = r->paging_state && r->paging_state_len <= 512 ? r->paging_state_len : 0;
		if (pslen)
			memcpy(ps, r->paging_state, (size_t)pslen);
		qry_exec_free(x);
		hl_arena_free(a);
		if (!pslen)
			return n;
	}
}

static void ok(env *e, const char *q)
{
	int v[1];
	CHECK(query(e, q, 0, v, 0) >= 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Entries of an index over every shard (a scan of the hidden tables). */
static int entries(env *e, const hl_uuid *tid, const char *name, bool *built)
{
	int n = 0;
	*built = true;
	for (int i = 0; i < NSH; i++) {
		hl_uuid hid;
		bool b;
		if (!q_index_hidden(&e->sh[i], tid, name, &hid, &b))
			return -1;
		*built = *built && b;
		st_read_cmd c;
		st_read_init(&c);
		c.kind = ST_READ_RANGE;
		c.now = hl_now_micros() / 1000000;
		hl_arena *a = hl_arena_new(4096);
		st_result res;
		hl_err err;
		if (st_read(e->sh[i].engine, &hid, &c, a, &res, &err) == 0)
			n += (int)res.nrows;
		hl_arena_free(a);
	}
	return n;
}

static void test_encoding(void)
{
	uint8_t tok[8];
	st_bytes ck[1] = { { (const uint8_t *)"x", 1 } }, out[3];
	q_index_entry_clust(-2, (const uint8_t *)"ab", 2, 1, ck, tok, out);
	static const uint8_t want[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };
	CHECK(out[0].len == 8 && memcmp(out[0].p, want, 8) == 0);
	CHECK(out[1].len == 2 && memcmp(out[1].p, "ab", 2) == 0);
	CHECK(out[2].len == 1 && out[2].p[0] == 'x');
	/* big-endian signed tokens compare as bigints: entries follow token order */
	q_index_entry_clust(INT64_MIN, NULL, 0, 0, NULL, tok, out);
	CHECK(ty_compare(ty_simple(TY_BIGINT), out[0].p, 8, want, 8) < 0);
}

static void test_targets(env *e)
{
	ok(e, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
	ok(e, "CREATE TABLE ks.g (k int PRIMARY KEY, \"Foo\" int, tags set<int>, m map<int, int>, "
	      "f frozen<list<int>>)");
	ok(e, "CREATE INDEX g1 ON ks.g (\"Foo\")");
	ok(e, "CREATE INDEX g2 ON ks.g (tags)");
	ok(e, "CREATE INDEX g3 ON ks.g (keys(m))");
	ok(e, "CREATE INDEX g4 ON ks.g (full(f))");
	ok(e, "CREATE INDEX g5 ON ks.g (entries(m))");
	const sch_schema *s = sch_cache_get(e->reg, &e->sh[0].cache);
	const sch_table *t = sch_find_table(s, "ks", "g");
	CHECK(t && t->nindexes == 5);
	if (!t || t->nindexes != 5)
		return;
	int want[5] = { QIX_PLAIN, QIX_VALUES, QIX_KEYS, QIX_FULL, QIX_ENTRIES };
	const char *col[5] = { "Foo", "tags", "m", "f", "m" };
	for (int i = 0; i < 5; i++) {
		q_ixtarget tg;
		CHECK(q_index_target(t, &t->indexes[i], &tg) == 0);
		CHECK_EQ_I64(tg.kind, want[i]);
		CHECK_STR(tg.col ? tg.col->name : NULL, col[i]);
		CHECK(!tg.sai);
	}
	/* entries() is maintained too: one entry per map entry (key and value) */
	hl_uuid hid, tid = t->id;
	bool b;
	ok(e, "SELECT k FROM ks.g WHERE tags CONTAINS 1");   /* syncs the shard */
	CHECK(q_index_hidden(&e->sh[0], &tid, "g2", &hid, &b));
	CHECK(q_index_hidden(&e->sh[0], &tid, "g5", &hid, &b));
	ok(e, "INSERT INTO ks.g (k, m) VALUES (1, {1: 10, 2: 20})");
	ok(e, "INSERT INTO ks.g (k, m) VALUES (2, {1: 20})");
	int v[8];
	CHECK_EQ_I64(query(e, "SELECT k FROM ks.g WHERE m[1] = 10", 0, v, 8), 1);
	CHECK_EQ_I64(v[0], 1);
	CHECK_EQ_I64(entries(e, &tid, "g5", &b), 3);
	CHECK(b);
	ok(e, "UPDATE ks.g SET m[1] = 10 WHERE k = 2");
	CHECK_EQ_I64(entries(e, &tid, "g5", &b), 4);
	CHECK_EQ_I64(query(e, "SELECT k FROM ks.g WHERE m[1] = 10", 0, v, 8), 2);
	CHECK_EQ_I64(query(e, "SELECT k FROM ks.g WHERE m[1] = 20", 0, v, 8), 0);   /* stale */
	CHECK_EQ_I64(query(e, "SELECT k FROM ks.g WHERE m[2] = 20", 0, v, 8), 1);
}

static void test_maintenance(env *e)
{
	char q[256];
	ok(e, "CREATE TABLE ks.t (k int PRIMARY KEY, v int)");
	for (int k = 0; k < 30; k++) {
		snprintf(q, sizeof q, "INSERT INTO ks.t (k, v) VALUES (%d, %d)", k, k % 3);
		ok(e, q);
	}
	ok(e, "CREATE INDEX t_v ON ks.t (v)");
	const sch_schema *s = sch_cache_get(e->reg, &e->sh[0].cache);
	const sch_table *t = sch_find_table(s, "ks", "t");
	hl_uuid tid = t->id;   /* t belongs to this schema snapshot only */
	bool built;
	/* created, not built: the first query builds it */
	CHECK_EQ_I64(entries(e, &tid, "t_v", &built), -1);   /* shards not synced yet */
	int v[64];
	int n = query(e, "SELECT k FROM ks.t WHERE v = 1", 0, v, 64);
	CHECK_EQ_I64(n, 10);
	CHECK_EQ_I64(entries(e, &tid, "t_v", &built), 30);
	CHECK(built);
	/* writes add entries; the overwritten value's entry stays (stale) */
	ok(e, "UPDATE ks.t SET v = 7 WHERE k = 1");
	ok(e, "INSERT INTO ks.t (k, v) VALUES (100, 7)");
	CHECK_EQ_I64(entries(e, &tid, "t_v", &built), 32);
	n = query(e, "SELECT k FROM ks.t WHERE v = 7", 0, v, 64);
	CHECK_EQ_I64(n, 2);
	qsort(v, 2, sizeof v[0], cmp_int);
	CHECK(v[0] == 1 && v[1] == 100);
	/* stale entries find nothing: the base row is checked */
	ok(e, "DELETE FROM ks.t WHERE k = 4");
	n = query(e, "SELECT k FROM ks.t WHERE v = 1", 0, v, 64);
	CHECK_EQ_I64(n, 8);
	for (int i = 0; i < n; i++)
		CHECK(v[i] % 3 == 1 && v[i] != 1 && v[i] != 4);
	/* paging across shards: every row once, in the order of the scan */
	int all[64], scan[64];
	n = query(e, "SELECT k FROM ks.t WHERE v = 2", 3, all, 64);
	int m = query(e, "SELECT k FROM ks.t WHERE v = 2", 0, scan, 64);
	CHECK_EQ_I64(n, 10);
	CHECK_EQ_I64(m, 10);
	CHECK(memcmp(all, scan, sizeof(int) * 10) == 0);
	/* TRUNCATE empties it (rebuilt at the next use) */
	ok(e, "TRUNCATE ks.t");
	CHECK_EQ_I64(entries(e, &tid, "t_v", &built), 0);
	CHECK(!built);
	CHECK_EQ_I64(query(e, "SELECT k FROM ks.t WHERE v = 2", 0, v, 64), 0);
	/* DROP INDEX drops the hidden tables */
	ok(e, "DROP INDEX ks.t_v");
	ok(e, "SELECT k FROM ks.t WHERE v = 2 ALLOW FILTERING");
	CHECK_EQ_I64(entries(e, &tid, "t_v", &built), -1);
}

int main(void)
{
	env e;
	env_init(&e);
	test_encoding();
	test_targets(&e);
	test_maintenance(&e);
	env_free(&e);
	return T_DONE();
}
