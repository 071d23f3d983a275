/*
 * Unit tests for the `helenus sstable` tools' helpers: component paths,
 * Java's Instant / Double text, key types and key parsing (composite keys),
 * and the walk over a partition's unfiltereds (the nb worked example of
 * shared/docs/sstable-format.md 4.10 and hand-built malformed variants).
 * The commands themselves are exercised on the Cassandra fixtures by
 * tests/integration/test_sstable_tools.py.
 */
#include "t.h"
#include "tools/sst_tool_int.h"

#include <stdlib.h>
#include <string.h>

static const char *inst(int64_t t, int64_t per, hl_buf *b)
{
	hl_buf_reset(b);
	sstt_instant(t, per, b);
	hl_buf_u8(b, 0);
	return (const char *)b->p;
}

static const char *dbl(double v, hl_buf *b)
{
	hl_buf_reset(b);
	hl_buf_java_double(b, v, false);
	hl_buf_u8(b, 0);
	return (const char *)b->p;
}

static void test_paths(void)
{
	sstt_path p;
	hl_err err;

	CHECK(sstt_split_path("/a/b/nb-12-big-Data.db", &p, &err) == 0);
	CHECK_STR(p.dir, "/a/b");
	CHECK_STR(p.base, "nb-12-big");
	CHECK_STR(p.prefix, "/a/b/nb-12-big-");
	CHECK_STR(p.version, "nb");
	CHECK(sstt_split_path("mc-1-big-Index.db", &p, &err) == 0);
	CHECK_STR(p.prefix, "./mc-1-big-");
	CHECK(sstt_split_path("/a/b/Data.db", &p, &err) == -1);
	CHECK(sstt_split_path("/a/b/foo-Data.db", &p, &err) == -1);
	CHECK(sstt_split_path("/a/ks-tbl-ka-1-Data.db", &p, &err) == -1);
}

static void test_time_and_double(void)
{
	hl_buf b;

	hl_buf_init(&b);
	CHECK_STR(inst(1532118147028809LL, 1000000, &b), "2018-07-20T20:22:27.028809Z");
	CHECK_STR(inst(1532118147028000LL, 1000000, &b), "2018-07-20T20:22:27.028Z");
	CHECK_STR(inst(1532118147000000LL, 1000000, &b), "2018-07-20T20:22:27Z");
	CHECK_STR(inst(1543905466, 1, &b), "2018-12-04T06:37:46Z");
	CHECK_STR(inst(-1, 1, &b), "1969-12-31T23:59:59Z");
	/* TimeUnit truncation + floorMod nanos, as Java prints it */
	CHECK_STR(inst(-1, 1000000, &b), "1970-01-01T00:00:00.999999Z");
	CHECK_STR(dbl(0.01, &b), "0.01");
	CHECK_STR(dbl(-1.0, &b), "-1.0");
	CHECK_STR(dbl(0.0, &b), "0.0");
	CHECK_STR(dbl(1.5e-4, &b), "1.5E-4");
	CHECK_STR(dbl(12345678.0, &b), "1.2345678E7");
	CHECK_STR(dbl(0.02578746250178563, &b), "0.02578746250178563");
	CHECK_STR(dbl(100.0, &b), "100.0");
	hl_buf_free(&b);
}

static void test_keys(void)
{
	hl_arena *a = hl_arena_new(4096);
	sstt_keytype kt;
	hl_err err;
	hl_buf k, s;

	hl_buf_init(&k);
	hl_buf_init(&s);
	CHECK(sstt_key_type("org.apache.cassandra.db.marshal.Int32Type", a, &kt, &err) == 0);
	CHECK(!kt.composite && kt.n == 1 && kt.types[0]->kind == TY_INT);
	CHECK(sstt_parse_key(&kt, "7", &k, &err) == 0);
	CHECK(k.len == 4 && k.p[3] == 7);
	sstt_key_strings(&kt, k.p, k.len, 1, &s);
	CHECK(s.len == 3 && memcmp(s.p, "\"7\"", 3) == 0);
	CHECK(sstt_parse_key(&kt, "x", &k, &err) == -1);

	CHECK(sstt_key_type("org.apache.cassandra.db.marshal.CompositeType("
			    "org.apache.cassandra.db.marshal.Int32Type,"
			    "org.apache.cassandra.db.marshal.UTF8Type,"
			    "org.apache.cassandra.db.marshal.BooleanType)", a, &kt, &err) == 0);
	CHECK(kt.composite && kt.n == 3 && kt.types[1]->kind == TY_TEXT);
	hl_buf_reset(&k);
	CHECK(sstt_parse_key(&kt, "1:'it''s':true", &k, &err) == 0);
	/* 00 04 00000001 00 | 00 04 "it's" 00 | 00 01 01 00 */
	CHECK_EQ_I64(k.len, 7 + 7 + 4);
	CHECK(k.p[0] == 0 && k.p[1] == 4 && k.p[5] == 1 && k.p[6] == 0);
	CHECK(memcmp(k.p + 9, "it's", 4) == 0);
	hl_buf_reset(&s);
	sstt_key_strings(&kt, k.p, k.len, 0, &s);
	hl_buf_u8(&s, 0);
	CHECK_STR((const char *)s.p, "1:it's:true");
	hl_buf_reset(&k);
	CHECK(sstt_parse_key(&kt, "1:a", &k, &err) == -1);
	CHECK(sstt_parse_key(&kt, "1:a:true:x", &k, &err) == -1);
	/* a malformed composite key still prints (as hex) */
	hl_buf_reset(&s);
	sstt_key_strings(&kt, (const uint8_t *)"\x00\x09zz", 4, 1, &s);
	CHECK(s.len > 0);
	hl_buf_free(&k);
	hl_buf_free(&s);
	hl_arena_free(a);
}

static void test_walk(void)
{
	/* nb legacy_nb_simple partition '0' (format note 4.10) */
	static const uint8_t nb[] = {
		0x00, 0x01, 0x30,
		0x7f, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0,
		0x24, 0x0f, 0x0f, 0x00, 0x08, 0x0b,
		'f', 'o', 'o', ' ', 'b', 'a', 'r', ' ', 'b', 'a', 'z',
		0x01,
	};
	/* oa, same partition: LIVE is one byte */
	static const uint8_t oa[] = {
		0x00, 0x01, 0x30, 0x80,
		0x24, 0x0f, 0x04, 0x00, 0x08, 0x0b,
		'f', 'o', 'o', ' ', 'b', 'a', 'r', ' ', 'b', 'a', 'z',
		0x01,
	};
	/* one int clustering column: a row (ck=5), a marker pair around it */
	static const uint8_t ck[] = {
		0x00, 0x01, 0x31,
		0x7f, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0,
		/* INCL_START_BOUND, size 1, header 0, value 1, marker_size 2 */
		0x02, 0x01, 0x00, 0x01, 0x00, 0, 0, 0, 1, 0x02, 0x00, 0x00,
		/* row, all columns + ts, clustering header 0 + 5, row_size 2 */
		0x24, 0x00, 0, 0, 0, 5, 0x02, 0x00, 0x00,
		/* INCL_END_BOUND, size 0, marker_size 2 */
		0x02, 0x06, 0x00, 0x00, 0x02, 0x00, 0x00,
		0x01,
	};
	int fixed_int = 4;
	sstt_layout L = { .oa = false, .has_statics = false, .nclust = 0, .clust_fixed = NULL };
	hl_arena *a = hl_arena_new(4096);
	sstt_unf *u;
	int n;
	hl_err err;
	uint8_t bad[sizeof ck];

	CHECK(sstt_walk(&L, nb, sizeof nb, 100, a, &u, &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	CHECK(u[0].type == 'r');
	CHECK_EQ_I64(u[0].pos, 115);
	L.oa = true;
	CHECK(sstt_walk(&L, oa, sizeof oa, 0, a, &u, &n, &err) == 0);
	CHECK(n == 1 && u[0].pos == 4);
	L.oa = false;
	L.nclust = 1;
	L.clust_fixed = &fixed_int;
	CHECK(sstt_walk(&L, ck, sizeof ck, 0, a, &u, &n, &err) == 0);
	CHECK_EQ_I64(n, 3);
	CHECK(u[0].type == 'm' && u[0].kind == 1 && u[0].pos == 15);
	CHECK(u[1].type == 'r' && u[1].pos == 27);
	CHECK(u[2].type == 'm' && u[2].kind == 6);
	/* every truncation and a bad marker kind are errors, never overreads */
	for (size_t cut = 0; cut < sizeof ck; cut++)
		CHECK(sstt_walk(&L, ck, cut, 0, a, &u, &n, &err) == -1);
	memcpy(bad, ck, sizeof ck);
	bad[16] = 4;     /* CLUSTERING is not a marker kind */
	CHECK(sstt_walk(&L, bad, sizeof bad, 0, a, &u, &n, &err) == -1);
	memcpy(bad, ck, sizeof ck);
	bad[33] = 0x7f;  /* row_size past the end */
	CHECK(sstt_walk(&L, bad, sizeof bad, 0, a, &u, &n, &err) == -1);
	hl_arena_free(a);
}

int main(void)
{
	test_paths();
	test_time_and_double();
	test_keys();
	test_walk();
	return T_DONE();
}
