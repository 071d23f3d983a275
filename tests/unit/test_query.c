/*
 * Unit tests of the query executor without the network: statements run
 * against a schema registry and one or several in-process shards, with the
 * executor's storage ops run inline on the shard that owns them (what the
 * server does through its inter-shard queues).
 */
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "q_env.h"
#include "t.h"

typedef struct res {
	int kind;
	int code;
	char msg[512];
	int nrows;
	int ncols;
	hl_buf rows;
	uint8_t pstate[256];
	int pslen;
	uint8_t id[16];
} res;

static void run(env *e, int shard, const char *q, const qry_params *p, res *out)
{
	hl_arena *a = hl_arena_new(4096);
	qry_exec *x = qry_exec_new(&e->sh[shard], a, 4, NULL);
	drive(e, x, qry_exec_query(x, q, strlen(q), p));
	memset(out, 0, sizeof *out);
	hl_buf_init(&out->rows);
	qry_result *r = qry_exec_result(x);
	if (r) {
		out->kind = r->kind;
		out->nrows = r->nrows;
		out->ncols = r->meta.ncols;
		hl_buf_put(&out->rows, r->rows.p, r->rows.len);
		if (r->paging_state && r->paging_state_len <= 256) {
			memcpy(out->pstate, r->paging_state, (size_t)r->paging_state_len);
			out->pslen = r->paging_state_len;
		}
		memcpy(out->id, r->id, 16);
	} else {
		out->code = qry_exec_error(x)->code;
		snprintf(out->msg, sizeof out->msg, "%s", qry_exec_error(x)->msg);
		out->kind = -1;
	}
	qry_exec_free(x);
	hl_arena_free(a);
}

static void ok(env *e, const char *q)
{
	res r;
	run(e, 0, q, NULL, &r);
	if (r.kind < 0)
		fprintf(stderr, "unexpected error for %s: %s\n", q, r.msg);
	CHECK(r.kind > 0);
	hl_buf_free(&r.rows);
}

/* Read the first column of every row as an int. */
static int ints(res *r, int *out, int max)
{
	hl_rd rd;
	hl_rd_init(&rd, r->rows.p, r->rows.len);
	int n = 0;
	for (int i = 0; i < r->nrows; i++)
		for (int c = 0; c < r->ncols; c++) {
			const uint8_t *p;
			int32_t l;
			if (hl_rd_pbytes(&rd, &p, &l) < 0)
				return -1;
			if (c == 0 && n < max)
				out[n++] = l == 4 ? ty_get_int(p, 4) : -999;
		}
	return n;
}

static void test_basic(env *e)
{
	ok(e, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
	ok(e, "CREATE TABLE ks.t (k int, c int, v text, s int static, PRIMARY KEY (k, c)) "
	      "WITH CLUSTERING ORDER BY (c DESC)");
	char q[256];
	for (int k = 0; k < 20; k++)
		for (int c = 0; c < 5; c++) {
			snprintf(q, sizeof q, "INSERT INTO ks.t (k, c, v) VALUES (%d, %d, 'x%d')", k, c, c);
			ok(e, q);
		}
	res r;
	/* one partition, clustering DESC */
	run(e, 1, "SELECT c FROM ks.t WHERE k = 3", NULL, &r);
	int v[200];
	CHECK_EQ_I64(ints(&r, v, 200), 5);
	CHECK(v[0] == 4 && v[4] == 0);
	hl_buf_free(&r.rows);
	/* slice on a DESC column, ascending order asked */
	run(e, 2, "SELECT c FROM ks.t WHERE k = 3 AND c > 1 AND c <= 3 ORDER BY c ASC", NULL, &r);
	CHECK_EQ_I64(ints(&r, v, 200), 2);
	CHECK(v[0] == 2 && v[1] == 3);
	hl_buf_free(&r.rows);
	/* full scan across the three shards */
	run(e, 0, "SELECT k FROM ks.t", NULL, &r);
	CHECK_EQ_I64(r.nrows, 100);
	hl_buf_free(&r.rows);
	run(e, 0, "SELECT count(*) FROM ks.t", NULL, &r);
	CHECK_EQ_I64(r.nrows, 1);
	hl_buf_free(&r.rows);
	/* per partition limit + limit */
	run(e, 0, "SELECT k FROM ks.t PER PARTITION LIMIT 2 LIMIT 7", NULL, &r);
	CHECK_EQ_I64(r.nrows, 7);
	hl_buf_free(&r.rows);
	/* ORDER BY across partitions (unpaged): merged by clustering, then LIMIT */
	run(e, 0, "SELECT c FROM ks.t WHERE k IN (3, 4, 7) ORDER BY c ASC LIMIT 7", NULL, &r);
	CHECK_EQ_I64(ints(&r, v, 200), 7);
	CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 1 && v[6] == 2);
	hl_buf_free(&r.rows);
	/* aggregates over one partition, and GROUP BY partition */
	ok(e, "CREATE TABLE ks.n (k int, c int, i int, d double, PRIMARY KEY (k, c))");
	for (int k = 0; k < 3; k++)
		for (int c = 1; c <= 4; c++) {
			snprintf(q, sizeof q, "INSERT INTO ks.n (k, c, i, d) VALUES (%d, %d, %d, %d.5)", k, c,
				 c * 10 + k, c);
			ok(e, q);
		}
	run(e, 0, "SELECT min(i), max(i), sum(i), avg(i), count(i) FROM ks.n WHERE k = 1", NULL, &r);
	CHECK_EQ_I64(r.nrows, 1);
	{
		hl_rd rd;
		hl_rd_init(&rd, r.rows.p, r.rows.len);
		const uint8_t *pp;
		int32_t l;
		int32_t want[4] = { 11, 41, 104, 26 };
		for (int i = 0; i < 4; i++) {
			CHECK(hl_rd_pbytes(&rd, &pp, &l) == 0 && l == 4);
			CHECK_EQ_I64(ty_get_int(pp, 4), want[i]);
		}
		CHECK(hl_rd_pbytes(&rd, &pp, &l) == 0 && l == 8);
		CHECK_EQ_I64(ty_get_bigint(pp, 8), 4);
	}
	hl_buf_free(&r.rows);
	run(e, 0, "SELECT k, count(*), max(c) FROM ks.n GROUP BY k", NULL, &r);
	CHECK_EQ_I64(r.nrows, 3);
	hl_buf_free(&r.rows);
	run(e, 0, "SELECT max(i) FROM ks.n WHERE k = 99", NULL, &r);
	CHECK_EQ_I64(r.nrows, 1);   /* one row of null */
	hl_buf_free(&r.rows);
	run(e, 0, "SELECT k, sum(c) FROM ks.n GROUP BY c", NULL, &r);
	CHECK(r.kind < 0 && strstr(r.msg, "Group by"));
	hl_buf_free(&r.rows);
	/* DISTINCT */
	run(e, 0, "SELECT DISTINCT k FROM ks.t", NULL, &r);
	CHECK_EQ_I64(r.nrows, 20);
	hl_buf_free(&r.rows);
}

static void test_paging(env *e)
{
	/* page through the full scan 7 rows at a time: every row exactly once */
	qry_params p = { 0 };
	p.consistency = QRY_CL_ONE;
	p.page_size = 7;
	int total = 0, pages = 0;
	uint8_t st[256];
	int stlen = 0;
	for (;;) {
		res r;
		p.paging_state = stlen ? st : NULL;
		p.paging_state_len = stlen;
		run(e, pages % NSH, "SELECT k, c FROM ks.t", &p, &r);
		CHECK(r.kind == QRY_RESULT_ROWS);
		if (r.pslen)
			CHECK(r.nrows > 0);   /* never an empty page while more remain */
		total += r.nrows;
		pages++;
		memcpy(st, r.pstate, (size_t)r.pslen);
		stlen = r.pslen;
		hl_buf_free(&r.rows);
		if (!stlen || pages > 100)
			break;
	}
	CHECK_EQ_I64(total, 100);
	CHECK(pages >= 15);
	/* a table without clustering columns pages by partition: no row twice */
	ok(e, "CREATE TABLE ks.flat (k int PRIMARY KEY, v int)");
	char q[128];
	for (int k = 0; k < 23; k++) {
		snprintf(q, sizeof q, "INSERT INTO ks.flat (k, v) VALUES (%d, %d)", k, k);
		ok(e, q);
	}
	p.page_size = 2;
	total = 0;
	stlen = 0;
	for (pages = 0; pages < 100; pages++) {
		res r;
		p.paging_state = stlen ? st : NULL;
		p.paging_state_len = stlen;
		run(e, pages % NSH, "SELECT k FROM ks.flat", &p, &r);
		total += r.nrows;
		memcpy(st, r.pstate, (size_t)r.pslen);
		stlen = r.pslen;
		hl_buf_free(&r.rows);
		if (!stlen)
			break;
	}
	CHECK_EQ_I64(total, 23);
	/* garbage paging state is refused, not trusted */
	res r;
	uint8_t junk[5] = { 0x48, 0xff, 0xff, 1, 2 };
	p.paging_state = junk;
	p.paging_state_len = 5;
	run(e, 0, "SELECT k FROM ks.t", &p, &r);
	CHECK(r.kind < 0);
	hl_buf_free(&r.rows);
}

static void test_errors(env *e)
{
	static const struct { const char *q; int code; const char *msg; } cases[] = {
		{ "SELECT * FROM nope.t", HL_ERR_INVALID, "keyspace nope does not exist" },
		{ "SELECT * FROM ks.nope", HL_ERR_INVALID, "table nope does not exist" },
		{ "SELECT zz FROM ks.t", HL_ERR_INVALID, "Undefined column name zz" },
		{ "SELECT * FROM ks.t WHERE v = 'a'", HL_ERR_INVALID, "ALLOW FILTERING" },
		{ "INSERT INTO ks.t (c, v) VALUES (1, 'a')", HL_ERR_INVALID, "Some partition key parts are missing: k" },
		{ "INSERT INTO ks.t (k, v) VALUES (1, 'a')", HL_ERR_INVALID, "Some clustering keys are missing: c" },
		{ "INSERT INTO ks.t (k, c, v) VALUES ('a', 1, 'a')", HL_ERR_INVALID, "Invalid STRING constant" },
		{ "SELEC * FROM ks.t", HL_ERR_SYNTAX, "line 1:0" },
		{ "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		  HL_ERR_ALREADY_EXISTS, "ks" },
		{ "SELECT * FROM ks.t WHERE k = 1 AND v = 'a' AND c = 2 AND s = 1", HL_ERR_INVALID, "ALLOW FILTERING" },
		{ "UPDATE system.local SET cluster_name = 'x' WHERE key = 'local'", HL_ERR_UNAUTHORIZED, "not user-modifiable" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		res r;
		run(e, (int)i % NSH, cases[i].q, NULL, &r);
		CHECK_EQ_I64(r.code, cases[i].code);
		if (!strstr(r.msg, cases[i].msg))
			fprintf(stderr, "message for %s: %s\n", cases[i].q, r.msg);
		CHECK(strstr(r.msg, cases[i].msg) != NULL);
		hl_buf_free(&r.rows);
	}
}

static void test_deletes_and_ttl(env *e)
{
	ok(e, "DELETE FROM ks.t WHERE k = 5 AND c >= 1 AND c < 4");
	res r;
	int v[16];
	run(e, 0, "SELECT c FROM ks.t WHERE k = 5", NULL, &r);
	CHECK_EQ_I64(ints(&r, v, 16), 2);
	CHECK(v[0] == 4 && v[1] == 0);
	hl_buf_free(&r.rows);
	ok(e, "DELETE FROM ks.t WHERE k = 6");
	run(e, 0, "SELECT c FROM ks.t WHERE k = 6", NULL, &r);
	CHECK_EQ_I64(r.nrows, 0);
	hl_buf_free(&r.rows);
	/* an older write does not resurrect deleted data */
	ok(e, "INSERT INTO ks.t (k, c, v) VALUES (6, 1, 'old') USING TIMESTAMP 1");
	run(e, 0, "SELECT c FROM ks.t WHERE k = 6", NULL, &r);
	CHECK_EQ_I64(r.nrows, 0);
	hl_buf_free(&r.rows);
	/* static column on its own */
	ok(e, "INSERT INTO ks.t (k, s) VALUES (50, 7)");
	run(e, 0, "SELECT s FROM ks.t WHERE k = 50", NULL, &r);
	CHECK_EQ_I64(ints(&r, v, 16), 1);
	CHECK(v[0] == 7);
	hl_buf_free(&r.rows);
}

static void test_prepared(env *e)
{
	hl_arena *a = hl_arena_new(4096);
	const char *q = "SELECT v FROM ks.t WHERE k = ? AND c = ?";
	qry_exec *x = qry_exec_new(&e->sh[0], a, 5, NULL);
	drive(e, x, qry_exec_prepare(x, q, strlen(q), NULL, 0));
	qry_result *r = qry_exec_result(x);
	CHECK(r && r->kind == QRY_RESULT_PREPARED);
	uint8_t id[16], want[16];
	memcpy(id, r->id, 16);
	qry_prepared_id(NULL, q, strlen(q), want);
	CHECK(memcmp(id, want, 16) == 0);
	CHECK_EQ_I64(r->bind_meta.ncols, 2);
	CHECK_EQ_I64(r->bind_meta.npk, 1);
	CHECK_STR(r->bind_meta.cols[1].name, "c");
	qry_exec_free(x);
	hl_arena_reset(a);
	/* another shard never saw it: Unprepared with the id */
	uint8_t k[4] = { 0, 0, 0, 3 }, c[4] = { 0, 0, 0, 2 };
	qry_value vals[2] = { { NULL, 0, k, 4 }, { NULL, 0, c, 4 } };
	qry_params p = { 0 };
	p.consistency = QRY_CL_ONE;
	p.values = vals;
	p.nvalues = 2;
	x = qry_exec_new(&e->sh[1], a, 5, NULL);
	drive(e, x, qry_exec_execute(x, id, 16, &p));
	CHECK(qry_exec_result(x) == NULL);
	CHECK_EQ_I64(qry_exec_error(x)->code, HL_ERR_UNPREPARED);
	CHECK(memcmp(qry_exec_error(x)->id, id, 16) == 0);
	qry_exec_free(x);
	hl_arena_reset(a);
	/* once propagated, it executes */
	qry_pcache_put_text(&e->sh[1], id, q, strlen(q), NULL);
	x = qry_exec_new(&e->sh[1], a, 5, NULL);
	drive(e, x, qry_exec_execute(x, id, 16, &p));
	r = qry_exec_result(x);
	CHECK(r && r->nrows == 1);
	qry_exec_free(x);
	hl_arena_free(a);
}

int main(void)
{
	env e;
	env_init(&e);
	test_basic(&e);
	test_paging(&e);
	test_errors(&e);
	test_deletes_and_ttl(&e);
	test_prepared(&e);
	env_free(&e);
	return T_DONE();
}
