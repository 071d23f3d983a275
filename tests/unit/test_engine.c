/*
 * Unit tests for the durable storage engine: SSTable import (validation,
 * hard links, generations per shard), merged reads over memtables and
 * SSTables (timestamps and tombstones both ways, range scans with paging),
 * token-range ownership across two shard engines, reload on restart,
 * flush and compaction. Real Cassandra-written SSTables come from
 * ../shared/fixtures/cassandra-sstables (tests needing them are skipped
 * with a message when the directory is absent).
 */
#include "storage/storage.h"
#include "sstable/sstable.h"
#include "t.h"

#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static hl_arena *A;
static char FIX[4096];        /* fixtures root, "" when absent */
static char TMP[4096];        /* this run's data directories */
static int ndirs;
static int64_t NOW;          /* seconds: compaction expires by the real clock */

/* ---------------------------------------------------------------- helpers */

static st_bytes ival(int32_t v)
{
	uint8_t *p = hl_arena_alloc(A, 4);

	p[0] = (uint8_t)((uint32_t)v >> 24);
	p[1] = (uint8_t)((uint32_t)v >> 16);
	p[2] = (uint8_t)((uint32_t)v >> 8);
	p[3] = (uint8_t)v;
	return (st_bytes){ p, 4 };
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

static const char *fixture(const char *rel)
{
	return hl_arena_printf(A, "%s/%s", FIX, rel);
}

static bool have_fixtures(const char *what)
{
	if (FIX[0])
		return true;
	printf("SKIP %s: fixtures not found (../shared/fixtures/cassandra-sstables)\n", what);
	return false;
}

static const char *new_data_dir(void)
{
	const char *d = hl_arena_printf(A, "%s/d%d", TMP, ndirs++);

	mkdir(d, 0755);
	return d;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Files in dir whose names end with suffix. */
static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	size_t sl = strlen(suffix);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* A table definition: pk int, optional ck int, regular int columns. */
typedef struct tdef {
	st_table_layout l;
	const ty_type *pk[2];
	st_clust_col clust[2];
	st_col cols[16];
} tdef;

static hl_uuid ID_SIMPLE = { { 0xa1, 0x01 } };

static void tdef_init(tdef *d, const hl_uuid *id, const char *ks, const char *table,
		      int nclust)
{
	memset(d, 0, sizeof(*d));
	d->pk[0] = ty_simple(TY_INT);
	for (int i = 0; i < nclust; i++)
		d->clust[i].type = ty_simple(TY_INT);
	d->l.id = *id;
	d->l.keyspace = ks;
	d->l.table = table;
	d->l.npk = 1;
	d->l.pk_types = d->pk;
	d->l.nclust = nclust;
	d->l.clust = d->clust;
	d->l.cols = d->cols;
}

static int tdef_col(tdef *d, const char *name, const ty_type *t, bool is_static)
{
	int i = d->l.ncols++;

	d->cols[i].name = name;
	d->cols[i].type = t;
	d->cols[i].is_static = is_static;
	return i;
}

/* (pk int, ck int, val int, PRIMARY KEY (pk, ck)): scylla's "simple". */
static void simple_table(tdef *d)
{
	tdef_init(d, &ID_SIMPLE, "ks", "simple", 1);
	tdef_col(d, "val", ty_simple(TY_INT), false);
}

static st_engine *engine(const char *dir, int shard, int nshards, bool ranged)
{
	st_engine_opts o = { 0 };

	o.data_dir = dir;
	o.shard = shard;
	o.nshards = nshards;
	if (ranged) {
		/* Two shards: [MIN, -1] and [0, MAX]. */
		o.has_range = true;
		o.own_start = shard == 0 ? INT64_MIN : 0;
		o.own_end = shard == 0 ? -1 : INT64_MAX;
	}
	o.no_auto_compaction = true;
	return st_engine_new_opts(&o);
}

static st_result read_all(st_engine *e, const hl_uuid *id)
{
	st_read_cmd c;
	st_result r;
	hl_err err;

	st_read_init(&c);
	c.now = NOW;
	memset(&r, 0, sizeof(r));
	if (st_read(e, id, &c, A, &r, &err))
		fprintf(stderr, "read failed: %s\n", err.msg);
	return r;
}

static st_result read_key(st_engine *e, const hl_uuid *id, int32_t k)
{
	st_read_cmd c;
	st_result r;
	hl_err err;
	st_bytes key = ival(k);

	st_read_init(&c);
	c.kind = ST_READ_PARTITION;
	c.key = key.p;
	c.keylen = key.len;
	c.token = hl_token(key.p, key.len);
	c.now = NOW;
	memset(&r, 0, sizeof(r));
	if (st_read(e, id, &c, A, &r, &err))
		fprintf(stderr, "read failed: %s\n", err.msg);
	return r;
}

static st_mutation *mut_int(int32_t k)
{
	st_bytes key = ival(k);

	return st_mut_new(A, key.p, key.len, hl_token(key.p, key.len));
}

/* ---------------------------------------------------------------- import */

static void test_import_simple(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	int n = -1;
	st_result r;
	const char *dir;
	int64_t prev = INT64_MIN;
	int k = 0;

	if (!have_fixtures("import simple"))
		return;
	dir = new_data_dir();
	simple_table(&d);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	r = read_all(e, &ID_SIMPLE);
	CHECK_EQ_I64(r.nparts, 5);
	CHECK_EQ_I64(r.nrows, 5);
	for (st_rpart *p = r.parts; p; p = p->next, k++) {
		int32_t pk = geti(p->key);

		CHECK(p->token >= prev);
		prev = p->token;
		CHECK(pk >= 1 && pk <= 5);
		CHECK_EQ_I64(p->nrows, 1);
		CHECK_EQ_I64(geti(p->rows->clust[0].p), 100 + pk);
		CHECK_EQ_I64(cell_int(p->rows->cells, p->rows->ncells, 0), 1000 + pk);
	}
	CHECK_EQ_I64(k, 5);
	r = read_key(e, &ID_SIMPLE, 3);
	CHECK_EQ_I64(r.nrows, 1);
	CHECK(r.parts && cell_int(r.parts->rows->cells, r.parts->rows->ncells, 0) == 1003);
	r = read_key(e, &ID_SIMPLE, 9);
	CHECK_EQ_I64(r.nrows, 0);
	/* The files are hard links under this shard's generation 1. */
	{
		const char *td = hl_arena_printf(A, "%s/ks/simple-a1010000000000000000000000000000",
						 dir);

		CHECK_EQ_I64(count_files(td, "-Data.db"), 1);
		CHECK_EQ_I64(count_files(td, "-TOC.txt"), 1);
		CHECK(access(hl_arena_printf(A, "%s/mc-1-big-Data.db", td), F_OK) == 0);
	}
	st_engine_free(e);

	/* Restart: a new engine on the same directory loads the SSTable. */
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	r = read_all(e, &ID_SIMPLE);
	CHECK_EQ_I64(r.nrows, 5);
	/* A second import gets a fresh generation; the data reads once. */
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	r = read_all(e, &ID_SIMPLE);
	CHECK_EQ_I64(r.nrows, 5);
	{
		st_table_stats st;

		CHECK(st_table_stats_get(e, &ID_SIMPLE, &st, &err) == 0);
		CHECK_EQ_I64(st.sstables, 2);
	}
	/* Truncate removes the files. */
	CHECK(st_truncate(e, &ID_SIMPLE, &err) == 0);
	r = read_all(e, &ID_SIMPLE);
	CHECK_EQ_I64(r.nrows, 0);
	CHECK_EQ_I64(count_files(hl_arena_printf(A, "%s/ks/simple-a1010000000000000000000000000000",
						 dir), "-Data.db"), 0);
	st_engine_free(e);
}

static void test_import_rejects(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	int n = -1;
	const char *dir;
	const char *td;

	if (!have_fixtures("import rejects"))
		return;
	dir = new_data_dir();
	/* RandomPartitioner files cannot serve a Murmur3 table. */
	simple_table(&d);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/random_partitioner"), &n,
			&err) < 0);
	CHECK_EQ_I64(n, 0);
	td = hl_arena_printf(A, "%s/ks/simple-a1010000000000000000000000000000", dir);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
	st_engine_free(e);

	/* A column the table does not have: refused, not silently dropped. */
	{
		static const hl_uuid id = { { 0xa2 } };

		tdef_init(&d, &id, "ks", "other", 1);
		tdef_col(&d, "value", ty_simple(TY_INT), false);
		e = engine(dir, 0, 1, false);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		CHECK(st_import(e, &id, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) < 0);
		st_engine_free(e);
	}
	/* Wrong clustering shape. */
	{
		static const hl_uuid id = { { 0xa3 } };

		tdef_init(&d, &id, "ks", "noclust", 0);
		tdef_col(&d, "val", ty_simple(TY_INT), false);
		e = engine(dir, 0, 1, false);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		CHECK(st_import(e, &id, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) < 0);
		st_engine_free(e);
	}
	/* Not a directory. */
	simple_table(&d);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, "/nonexistent/dir", &n, &err) < 0);
	CHECK_EQ_I64(err.code, HL_ERR_INVALID);
	/* A memory-only engine has nowhere to import to. */
	{
		st_engine *m = st_engine_new();

		CHECK(st_create_table(m, &d.l, &err) == 0);
		CHECK(st_import(m, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n,
				&err) < 0);
		st_engine_free(m);
	}
	st_engine_free(e);
}

/* (pk int PK, bool_val boolean, double_val double, ...): four compressions
 * of the same data read the same. */
static void test_import_types(void)
{
	static const char *const variants[] = { "uncompressed", "lz4", "snappy", "deflate" };
	static const hl_uuid id = { { 0xb1 } };
	tdef d;
	hl_buf first;
	const char *dir;

	if (!have_fixtures("import types"))
		return;
	hl_buf_init(&first);
	dir = new_data_dir();
	for (int v = 0; v < 4; v++) {
		st_engine *e;
		hl_err err;
		hl_buf dump;
		st_result r;
		int n;

		tdef_init(&d, &id, "ks", hl_arena_printf(A, "types_%s", variants[v]), 0);
		tdef_col(&d, "bool_val", ty_simple(TY_BOOLEAN), false);
		tdef_col(&d, "double_val", ty_simple(TY_DOUBLE), false);
		tdef_col(&d, "float_val", ty_simple(TY_FLOAT), false);
		tdef_col(&d, "int_val", ty_simple(TY_INT), false);
		tdef_col(&d, "long_val", ty_simple(TY_BIGINT), false);
		tdef_col(&d, "timestamp_val", ty_simple(TY_TIMESTAMP), false);
		tdef_col(&d, "timeuuid_val", ty_simple(TY_TIMEUUID), false);
		tdef_col(&d, "uuid_val", ty_simple(TY_UUID), false);
		tdef_col(&d, "text_val", ty_simple(TY_TEXT), false);
		e = engine(dir, 0, 1, false);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		CHECK(st_import(e, &id, fixture(hl_arena_printf(
			A, "scylladb/3.x/%s/partition_key_with_values_of_different_types",
			variants[v])), &n, &err) == 0);
		r = read_all(e, &id);
		CHECK_EQ_I64(r.nparts, 5);
		hl_buf_init(&dump);
		for (st_rpart *p = r.parts; p; p = p->next) {
			CHECK_EQ_I64(p->rows->ncells, 9);
			hl_buf_put(&dump, p->key, p->keylen);
			for (int i = 0; i < p->rows->ncells; i++) {
				const st_rcell *c = &p->rows->cells[i];

				hl_buf_u32(&dump, (uint32_t)c->col);
				hl_buf_put(&dump, c->value, c->len);
			}
		}
		if (v == 0) {
			hl_buf_put(&first, dump.p, dump.len);
		} else {
			CHECK(dump.len == first.len && memcmp(dump.p, first.p, dump.len) == 0);
		}
		hl_buf_free(&dump);
		st_engine_free(e);
	}
	hl_buf_free(&first);
}

static void test_range_tombstones_fixture(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	st_result r;
	int n;
	int32_t want[] = { 101, 105, 106, 107, 108 };
	int k = 0;
	static const hl_uuid id = { { 0xc1 } };

	if (!have_fixtures("range tombstones"))
		return;
	tdef_init(&d, &id, "ks", "rts", 1);
	tdef_col(&d, "val", ty_simple(TY_INT), false);
	e = engine(new_data_dir(), 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &id, fixture("scylladb/3.x/uncompressed/range_tombstones_simple"), &n,
			&err) == 0);
	r = read_key(e, &id, 1);
	CHECK_EQ_I64(r.nrows, 5);
	for (st_rrow *row = r.parts ? r.parts->rows : NULL; row && k < 5; row = row->next, k++)
		CHECK_EQ_I64(geti(row->clust[0].p), want[k]);
	CHECK_EQ_I64(k, 5);
	/* A write under a range tombstone with an older timestamp stays
	 * hidden; a newer one shows. Learn the data's timestamp first. */
	{
		int64_t ts = r.parts->rows->cells[0].ts;
		st_mutation *m = mut_int(1);
		st_bytes ck = ival(102);
		st_bytes ck2 = ival(103);
		st_mrow *row = st_mut_row(m, 1, &ck);

		st_row_marker(row, ts - 10, 0, 0);
		st_row_cell(row, 0, ts - 10, 0, 0, ival(5).p, 4);
		row = st_mut_row(m, 1, &ck2);
		st_row_marker(row, ts + 1000000, 0, 0);
		st_row_cell(row, 0, ts + 1000000, 0, 0, ival(6).p, 4);
		CHECK(st_apply(e, &id, m, &err) == 0);
		r = read_key(e, &id, 1);
		CHECK_EQ_I64(r.nrows, 6);
		k = 0;
		for (st_rrow *rw = r.parts->rows; rw; rw = rw->next)
			if (geti(rw->clust[0].p) == 103)
				k = cell_int(rw->cells, rw->ncells, 0);
		CHECK_EQ_I64(k, 6);
		r = read_all(e, &id);
		CHECK_EQ_I64(r.nrows, 6);
	}
	st_engine_free(e);
}

/* nb + Murmur3 with deliberately negative local deletion times: the range
 * tombstone's timestamp is in milliseconds, so the rows (microseconds)
 * are newer and stay visible. */
static void test_negative_ldts(void)
{
	static const hl_uuid id1 = { { 0xd1 } }, id2 = { { 0xd2 } };
	tdef d;
	st_engine *e;
	hl_err err;
	st_result r;
	int n;
	const char *dir;

	if (!have_fixtures("negative ldts"))
		return;
	dir = new_data_dir();
	e = engine(dir, 0, 1, false);
	tdef_init(&d, &id1, "ks", "rt_compaction", 1);
	tdef_col(&d, "b", ty_simple(TY_TEXT), false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &id1, fixture("apache-cassandra/negative-ldts-invalid-deletions-test/"
					 "invalid_range_tombstone_compaction"), &n, &err) == 0);
	r = read_all(e, &id1);
	CHECK_EQ_I64(r.nparts, 3);
	{
		/* Token order: 1, 0, 22. */
		int32_t want[] = { 1, 0, 22 };
		int k = 0;

		for (st_rpart *p = r.parts; p && k < 3; p = p->next, k++) {
			CHECK_EQ_I64(geti(p->key), want[k]);
			CHECK_EQ_I64(p->nrows, 1);
			if (want[k] == 22) {
				CHECK_EQ_I64(geti(p->rows->clust[0].p), 33);
				CHECK_EQ_I64(p->rows->ncells, 0);
			} else {
				const st_rcell *c = st_rcell_find(p->rows->cells, p->rows->ncells, 0);

				CHECK(c && c->len == 1 && c->value[0] == (uint8_t)('0' + want[k]));
			}
		}
	}
	tdef_init(&d, &id2, "ks", "rt_reader", 1);
	tdef_col(&d, "b", ty_simple(TY_TEXT), false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &id2, fixture("apache-cassandra/negative-ldts-invalid-deletions-test/"
					 "invalid_range_tombstone_reader"), &n, &err) == 0);
	r = read_key(e, &id2, 22);
	CHECK_EQ_I64(r.nrows, 100);
	st_engine_free(e);
}

/* ---------------------------------------------------------------- merges */

static void test_merge_overrides(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	st_result r;
	int n;
	int64_t ts;

	if (!have_fixtures("merged reads"))
		return;
	simple_table(&d);
	e = engine(new_data_dir(), 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	/* Each partition was written with its own timestamp. */
#define TS_OF(k) (r = read_key(e, &ID_SIMPLE, k), r.parts->rows->cells[0].ts)
	ts = TS_OF(1);
	/* Newer cell wins over the SSTable's. */
	{
		st_mutation *m = mut_int(1);
		st_bytes ck = ival(101);

		st_row_cell(st_mut_row(m, 1, &ck), 0, ts + 1, 0, 0, ival(7).p, 4);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	r = read_key(e, &ID_SIMPLE, 1);
	CHECK_EQ_I64(cell_int(r.parts->rows->cells, r.parts->rows->ncells, 0), 7);
	/* Older cell loses to it. */
	ts = TS_OF(2);
	{
		st_mutation *m = mut_int(2);
		st_bytes ck = ival(102);

		st_row_cell(st_mut_row(m, 1, &ck), 0, ts - 1, 0, 0, ival(8).p, 4);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	r = read_key(e, &ID_SIMPLE, 2);
	CHECK_EQ_I64(cell_int(r.parts->rows->cells, r.parts->rows->ncells, 0), 1002);
	/* A newer partition deletion in memory shadows the SSTable's data. */
	ts = TS_OF(3);
	{
		st_mutation *m = mut_int(3);

		st_mut_delete_partition(m, ts + 1, 1600000000);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	r = read_key(e, &ID_SIMPLE, 3);
	CHECK_EQ_I64(r.nrows, 0);
	/* An older one does not. */
	ts = TS_OF(4);
	{
		st_mutation *m = mut_int(4);

		st_mut_delete_partition(m, ts - 1, 1600000000);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	r = read_key(e, &ID_SIMPLE, 4);
	CHECK_EQ_I64(r.nrows, 1);
	/* A cell tombstone: newer hides, the row marker keeps the row. */
	ts = TS_OF(5);
	{
		st_mutation *m = mut_int(5);
		st_bytes ck = ival(105);

		st_row_tombstone(st_mut_row(m, 1, &ck), 0, ts + 1, 1600000000);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	r = read_key(e, &ID_SIMPLE, 5);
	CHECK_EQ_I64(r.nrows, 1);
	CHECK(r.parts && r.parts->rows->ncells == 0);
	/* Range scan sees the same merged picture: 1 (7), 2 (1002), 4, 5. */
	r = read_all(e, &ID_SIMPLE);
	CHECK_EQ_I64(r.nparts, 4);
	CHECK_EQ_I64(r.nrows, 4);
	for (st_rpart *p = r.parts; p; p = p->next) {
		int32_t pk = geti(p->key), v = cell_int(p->rows->cells, p->rows->ncells, 0);

		CHECK(pk != 3);
		if (pk == 1)
			CHECK_EQ_I64(v, 7);
		if (pk == 2)
			CHECK_EQ_I64(v, 1002);
	}
	st_engine_free(e);
}

/* Page through memtable + two copies of an SSTable with small limits. */
static void test_range_paging(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	int n;
	int seen[40] = { 0 };
	int total = 0, pages = 0;
	int64_t prev_tok = INT64_MIN;
	st_read_cmd c;
	st_result r;
	uint8_t last_key[4];

	if (!have_fixtures("range paging"))
		return;
	simple_table(&d);
	e = engine(new_data_dir(), 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	CHECK(st_import(e, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	for (int k = 3; k <= 30; k++) {
		st_mutation *m = mut_int(k);
		st_bytes ck = ival(100 + k);
		st_mrow *row = st_mut_row(m, 1, &ck);

		st_row_marker(row, 10, 0, 0);
		st_row_cell(row, 0, 10, 0, 0, ival(k).p, 4);
		CHECK(st_apply(e, &ID_SIMPLE, m, &err) == 0);
	}
	st_read_init(&c);
	c.now = NOW;
	c.limit_rows = 3;
	for (;;) {
		CHECK(st_read(e, &ID_SIMPLE, &c, A, &r, &err) == 0);
		pages++;
		for (st_rpart *p = r.parts; p; p = p->next) {
			int32_t pk = geti(p->key);

			CHECK(p->token > prev_tok);
			prev_tok = p->token;
			if (pk >= 0 && pk < 40)
				seen[pk]++;
			total++;
			memcpy(last_key, p->key, 4);
			c.from_token = p->token;
		}
		if (!r.more)
			break;
		c.has_from = true;
		c.from_key = last_key;
		c.from_keylen = 4;
		c.from_inclusive = false;
		if (pages > 50)
			break;
	}
	CHECK_EQ_I64(total, 30);
	for (int k = 1; k <= 30; k++)
		CHECK_EQ_I64(seen[k], 1);
	CHECK(pages >= 10);
	/* Overlap: 3, 4, 5 exist in the SSTables (val 1003..) and in memory
	 * with timestamp 10 (older), so the SSTable values win. */
	r = read_key(e, &ID_SIMPLE, 4);
	CHECK(r.parts && r.parts->nrows == 1);
	CHECK(r.parts && cell_int(r.parts->rows->cells, r.parts->rows->ncells, 0) == 1004);
	/* A limited scan restricted to a token slice. */
	st_read_init(&c);
	c.now = NOW;
	c.start_token = 0;
	c.start_inclusive = false;
	r = read_all(e, &ID_SIMPLE);
	{
		int64_t pos = 0;

		for (st_rpart *p = r.parts; p; p = p->next)
			if (p->token > 0)
				pos++;
		CHECK(st_read(e, &ID_SIMPLE, &c, A, &r, &err) == 0);
		CHECK_EQ_I64(r.nparts, pos);
	}
	st_engine_free(e);
}

/* Two shard engines import the same files and split the tokens. */
static void test_two_shards(void)
{
	tdef d;
	st_engine *e0, *e1;
	hl_err err;
	int n;
	st_result r0, r1;
	const char *dir;
	const char *td;
	int seen[6] = { 0 };

	if (!have_fixtures("two shards"))
		return;
	dir = new_data_dir();
	simple_table(&d);
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	CHECK(st_import(e0, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	CHECK(st_import(e1, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	td = hl_arena_printf(A, "%s/ks/simple-a1010000000000000000000000000000", dir);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 2);
	CHECK(access(hl_arena_printf(A, "%s/mc-1-big-Data.db", td), F_OK) == 0);
	CHECK(access(hl_arena_printf(A, "%s/mc-2-big-Data.db", td), F_OK) == 0);
	r0 = read_all(e0, &ID_SIMPLE);
	r1 = read_all(e1, &ID_SIMPLE);
	CHECK_EQ_I64(r0.nparts + r1.nparts, 5);
	for (st_rpart *p = r0.parts; p; p = p->next) {
		CHECK(p->token < 0);
		seen[geti(p->key)]++;
	}
	for (st_rpart *p = r1.parts; p; p = p->next) {
		CHECK(p->token >= 0);
		seen[geti(p->key)]++;
	}
	for (int k = 1; k <= 5; k++)
		CHECK_EQ_I64(seen[k], 1);
	/* A point read for a key of the other shard finds nothing here. */
	{
		int owned_by_1 = 0;

		for (st_rpart *p = r1.parts; p; p = p->next)
			owned_by_1 = geti(p->key);
		if (owned_by_1) {
			CHECK_EQ_I64(read_key(e1, &ID_SIMPLE, owned_by_1).nrows, 1);
			CHECK_EQ_I64(read_key(e0, &ID_SIMPLE, owned_by_1).nrows, 0);
		}
	}
	/* A write of a token the shard does not own is refused. */
	{
		st_mutation *m = NULL;

		for (int k = 100; k < 200 && !m; k++) {
			st_mutation *c = mut_int(k);

			if (c->token >= 0)
				m = c;
		}
		CHECK(m && st_apply(e0, &ID_SIMPLE, m, &err) < 0);
	}
	st_engine_free(e0);
	st_engine_free(e1);
	/* Restart both: each reloads its own link only. */
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	r0 = read_all(e0, &ID_SIMPLE);
	r1 = read_all(e1, &ID_SIMPLE);
	CHECK_EQ_I64(r0.nparts + r1.nparts, 5);
	{
		st_table_stats s0, s1;

		CHECK(st_table_stats_get(e0, &ID_SIMPLE, &s0, &err) == 0);
		CHECK(st_table_stats_get(e1, &ID_SIMPLE, &s1, &err) == 0);
		CHECK_EQ_I64(s0.sstables, 1);
		CHECK_EQ_I64(s1.sstables, 1);
	}
	/* Dropping on one shard removes only that shard's link. */
	CHECK(st_drop_table(e0, &ID_SIMPLE, &err) == 0);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 1);
	r1 = read_all(e1, &ID_SIMPLE);
	CHECK(r1.nparts > 0);
	st_engine_free(e0);
	st_engine_free(e1);
}

/* ---------------------------------------------------------------- flush */

/* Everything a read returns, as bytes, to compare two reads. */
static void dump_result(const st_result *r, hl_buf *b)
{
	hl_buf_reset(b);
	hl_buf_u64(b, (uint64_t)r->nparts);
	hl_buf_u64(b, (uint64_t)r->nrows);
	for (const st_rpart *p = r->parts; p; p = p->next) {
		hl_buf_u64(b, (uint64_t)p->token);
		hl_buf_put(b, p->key, p->keylen);
		hl_buf_u8(b, p->static_only);
		for (int i = 0; i < p->nstatic; i++) {
			hl_buf_u32(b, (uint32_t)p->statics[i].col);
			hl_buf_put(b, p->statics[i].value, p->statics[i].len);
			hl_buf_u64(b, (uint64_t)p->statics[i].ts);
		}
		for (const st_rrow *w = p->rows; w; w = w->next) {
			hl_buf_put(b, w->clust[0].p, w->clust[0].len);
			for (int i = 0; i < w->ncells; i++) {
				const st_rcell *c = &w->cells[i];

				hl_buf_u32(b, (uint32_t)c->col);
				hl_buf_put(b, c->value, c->len);
				hl_buf_u64(b, (uint64_t)c->ts);
				hl_buf_u32(b, (uint32_t)c->ttl);
				hl_buf_u64(b, (uint64_t)c->expire);
			}
		}
	}
}

static bool same_read(st_engine *e, const hl_uuid *id, const hl_buf *want)
{
	hl_buf got;
	st_result r = read_all(e, id);
	bool same;

	hl_buf_init(&got);
	dump_result(&r, &got);
	same = got.len == want->len && memcmp(got.p, want->p, got.len) == 0;
	hl_buf_free(&got);
	return same;
}

static hl_uuid ID_WIDE = { { 0xe1 } };

/* (pk int, ck int, v int, w text, s int static) */
static void wide_table(tdef *d)
{
	tdef_init(d, &ID_WIDE, "ks2", "wide", 1);
	tdef_col(d, "v", ty_simple(TY_INT), false);
	tdef_col(d, "w", ty_simple(TY_TEXT), false);
	tdef_col(d, "s", ty_simple(TY_INT), true);
}

/* A mix of everything the memtable keeps, for partitions [from, to). */
static void write_mix(st_engine *e, int from, int to, int64_t ts)
{
	hl_err err;

	for (int k = from; k < to; k++) {
		st_mutation *m = mut_int(k);

		st_mut_static_cell(m, 2, ts, 0, 0, ival(k).p, 4);
		for (int c = 0; c < 6; c++) {
			st_bytes ck = ival(c);
			st_mrow *row = st_mut_row(m, 1, &ck);

			st_row_marker(row, ts, 0, 0);
			st_row_cell(row, 0, ts, 0, 0, ival(k * 100 + c).p, 4);
			if (c == 1)    /* expiring, still live at read time */
				st_row_cell(row, 1, ts, 3600, NOW + 3600, "ttl", 3);
			if (c == 2)    /* expired */
				st_row_cell(row, 1, ts, 60, 1600000000, "old", 3);
			if (c == 3)
				st_row_tombstone(row, 1, ts, 1600000000);
		}
		if (k % 5 == 0) {
			/* range tombstone over c in [4, 5] */
			st_bytes lo = ival(4), hi = ival(5);
			st_bound b0 = { 1, &lo, true }, b1 = { 1, &hi, true };

			st_mut_range_tombstone(m, &b0, &b1, ts + 1, 1600000000);
		}
		if (k % 7 == 0)
			st_mut_delete_partition(m, ts + 1, 1600000000);
		CHECK(st_apply(e, &ID_WIDE, m, &err) == 0);
	}
}

typedef struct cb_state {
	uint32_t next_offset;
	int flushed;
	st_log_pos last;
	int notified;
} cb_state;

static st_log_pos cb_pos(void *ctx, const hl_uuid *table)
{
	cb_state *s = ctx;

	(void)table;
	return (st_log_pos){ 7, ++s->next_offset };
}

static void cb_flushed(void *ctx, const hl_uuid *table, st_log_pos upto)
{
	cb_state *s = ctx;

	(void)table;
	s->flushed++;
	s->last = upto;
}

static void cb_notify(void *ctx)
{
	cb_state *s = ctx;

	__atomic_add_fetch(&s->notified, 1, __ATOMIC_RELAXED);
}

static st_engine *engine_cb(const char *dir, cb_state *cb, size_t space, bool autocompact)
{
	st_engine_opts o = { 0 };

	o.data_dir = dir;
	o.memtable_space = space;
	o.no_auto_compaction = !autocompact;
	o.log_pos = cb_pos;
	o.on_flushed = cb_flushed;
	o.notify = cb_notify;
	o.ctx = cb;
	return st_engine_new_opts(&o);
}

static void test_flush_restart_compact(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	hl_buf want;
	cb_state cb = { 0 };
	st_table_stats st;
	const char *dir = new_data_dir();
	const char *td;

	hl_buf_init(&want);
	wide_table(&d);
	e = engine_cb(dir, &cb, 0, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	write_mix(e, 0, 60, 1000);
	dump_result(&(st_result){ 0 }, &want);
	{
		st_result r = read_all(e, &ID_WIDE);

		CHECK(r.nparts > 40);
		dump_result(&r, &want);
	}
	/* Frozen and in flight: reads are unchanged. */
	CHECK(st_flush(e, &ID_WIDE, &err) == 0);
	CHECK(same_read(e, &ID_WIDE, &want));
	st_wait_idle(e);
	CHECK_EQ_I64(cb.flushed, 1);
	CHECK_EQ_I64(cb.last.segment, 7);
	CHECK_EQ_I64(cb.last.offset, 1);
	/* the flush thread calls notify after it queued the job as done and let
	 * go of the lock, so st_wait_idle may return first: wait (bounded) */
	for (int i = 0; i < 2000 && __atomic_load_n(&cb.notified, __ATOMIC_RELAXED) < 1; i++)
		usleep(1000);
	CHECK(__atomic_load_n(&cb.notified, __ATOMIC_RELAXED) >= 1);
	CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 1);
	CHECK_EQ_I64(st.memtables_flushing, 0);
	CHECK_EQ_I64(st.partitions, 0);
	CHECK(same_read(e, &ID_WIDE, &want));
	/* An empty memtable is not flushed. */
	CHECK(st_flush(e, &ID_WIDE, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(cb.flushed, 1);
	/* Overwrite half with newer data, flush again: two SSTables merge. */
	write_mix(e, 30, 90, 2000);
	{
		st_result r = read_all(e, &ID_WIDE);

		dump_result(&r, &want);
	}
	CHECK(st_flush_all(e, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(cb.flushed, 2);
	CHECK_EQ_I64(cb.last.offset, 2);
	CHECK(same_read(e, &ID_WIDE, &want));
	/* Some in memory on top. */
	write_mix(e, 85, 95, 3000);
	{
		st_result r = read_all(e, &ID_WIDE);

		dump_result(&r, &want);
	}
	CHECK(st_flush(e, &ID_WIDE, &err) == 0);
	st_wait_idle(e);
	st_engine_free(e);

	/* Restart. */
	e = engine_cb(dir, &cb, 0, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 3);
	CHECK(same_read(e, &ID_WIDE, &want));
	/* Point reads agree with the scan. */
	{
		st_result r = read_key(e, &ID_WIDE, 31);

		CHECK_EQ_I64(r.nparts, 1);
		CHECK(r.parts && cell_int(r.parts->statics, r.parts->nstatic, 2) == 31);
		CHECK(r.parts && r.parts->rows && r.parts->rows->cells[0].ts == 2000);
	}
	/* Major compaction: one SSTable, same answers. */
	CHECK(st_compact(e, &ID_WIDE, &err) == 0);
	CHECK(same_read(e, &ID_WIDE, &want));
	st_wait_idle(e);
	CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 1);
	CHECK(same_read(e, &ID_WIDE, &want));
	td = hl_arena_printf(A, "%s/ks2/wide-e1000000000000000000000000000000", dir);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 1);
	CHECK_EQ_I64(count_files(td, ".tmp"), 0);
	st_engine_free(e);
	e = engine_cb(dir, &cb, 0, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(same_read(e, &ID_WIDE, &want));
	/* Truncate while a flush is in flight: nothing survives. */
	write_mix(e, 0, 10, 5000);
	CHECK(st_flush(e, &ID_WIDE, &err) == 0);
	CHECK(st_truncate(e, &ID_WIDE, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(read_all(e, &ID_WIDE).nparts, 0);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
	/* Drop while a flush is in flight. */
	write_mix(e, 0, 10, 6000);
	CHECK(st_flush(e, &ID_WIDE, &err) == 0);
	CHECK(st_drop_table(e, &ID_WIDE, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
	st_engine_free(e);
	hl_buf_free(&want);
}

/* Memory pressure flushes by itself; size-tiered compaction follows. */
static void test_auto_flush_compact(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	hl_buf want;
	cb_state cb = { 0 };
	st_table_stats st;
	const char *dir = new_data_dir();

	hl_buf_init(&want);
	wide_table(&d);
	e = engine_cb(dir, &cb, 256 * 1024, true);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int round = 0; round < 12; round++) {
		write_mix(e, round * 40, round * 40 + 80, 1000 + round);
		st_poll(e);
	}
	{
		st_result r = read_all(e, &ID_WIDE);

		dump_result(&r, &want);
	}
	st_wait_idle(e);
	CHECK(cb.flushed >= 3);
	CHECK(same_read(e, &ID_WIDE, &want));
	CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
	/* Every 4 similar files became one. */
	CHECK(st.sstables < 4);
	st_engine_free(e);
	e = engine_cb(dir, &cb, 256 * 1024, true);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	/* What was still in memory at free is gone (the commit log would
	 * replay it); the rest survives. */
	CHECK(read_all(e, &ID_WIDE).nparts > 0);
	st_engine_free(e);
	hl_buf_free(&want);
}

/* Shard 0 compacts its link of an import: it keeps only its own
 * partitions, and shard 1 still has its own. */
static void test_two_shards_compact(void)
{
	tdef d;
	st_engine *e0, *e1;
	hl_err err;
	int n;
	const char *dir;
	hl_buf w0, w1;

	if (!have_fixtures("two shards compaction"))
		return;
	hl_buf_init(&w0);
	hl_buf_init(&w1);
	dir = new_data_dir();
	simple_table(&d);
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	CHECK(st_import(e0, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	CHECK(st_import(e1, &ID_SIMPLE, fixture("scylladb/3.x/uncompressed/simple"), &n, &err) == 0);
	{
		st_result r = read_all(e0, &ID_SIMPLE);

		dump_result(&r, &w0);
		r = read_all(e1, &ID_SIMPLE);
		dump_result(&r, &w1);
	}
	CHECK(st_compact(e0, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e0);
	CHECK(same_read(e0, &ID_SIMPLE, &w0));
	CHECK(same_read(e1, &ID_SIMPLE, &w1));
	st_engine_free(e0);
	st_engine_free(e1);
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	CHECK(same_read(e0, &ID_SIMPLE, &w0));
	CHECK(same_read(e1, &ID_SIMPLE, &w1));
	st_engine_free(e0);
	st_engine_free(e1);
	hl_buf_free(&w0);
	hl_buf_free(&w1);
}

/* Partitions in the table's only SSTable, read with the sstable reader. */
static int64_t sst_partitions(const char *td)
{
	DIR *d = opendir(td);
	struct dirent *de;
	int64_t n = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char base[256];
		sst_reader *r;
		st_mutation *m;
		hl_err err;
		hl_arena *a;

		if (l < 12 || strcmp(de->d_name + l - 8, "-Data.db") != 0 || l - 8 >= sizeof(base))
			continue;
		memcpy(base, de->d_name, l - 8);
		base[l - 8] = 0;
		if (sst_open(td, base, NULL, NULL, &r, &err))
			break;
		a = hl_arena_new(0);
		n = 0;
		while (sst_next_partition(r, a, &m, &err) == 1)
			n++;
		hl_arena_free(a);
		sst_close(r);
		break;
	}
	closedir(d);
	return n;
}

/* Tombstones past gc_grace_seconds go at compaction, with what they
 * shadow; not while a memtable holds older data, nor before gc grace. */
static void test_purge(void)
{
	static const hl_uuid id = { { 0xf1 } };
	tdef d;
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = hl_arena_printf(A, "%s/ks3/purge-f1000000000000000000000000000000", dir);

	for (int variant = 0; variant < 3; variant++) {
		st_engine *e;
		st_mutation *m;
		st_bytes ck = ival(1);
		cb_state cb = { 0 };
		int64_t want = variant == 0 ? 1 : 3;

		tdef_init(&d, &id, "ks3", "purge", 1);
		tdef_col(&d, "v", ty_simple(TY_INT), false);
		/* variant 1: default gc grace (10 days) keeps the tombstones */
		d.l.has_gc_grace = variant != 1;
		d.l.gc_grace_seconds = 0;
		e = engine_cb(dir, &cb, 0, false);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		CHECK(st_truncate(e, &id, &err) == 0);
		/* 1: live; 2: deleted partition over older data; 3: expired cell */
		m = mut_int(1);
		st_row_cell(st_mut_row(m, 1, &ck), 0, 100, 0, 0, ival(1).p, 4);
		CHECK(st_apply(e, &id, m, &err) == 0);
		m = mut_int(2);
		st_row_cell(st_mut_row(m, 1, &ck), 0, 50, 0, 0, ival(2).p, 4);
		st_mut_delete_partition(m, 100, NOW - 10);
		CHECK(st_apply(e, &id, m, &err) == 0);
		m = mut_int(3);
		st_row_cell(st_mut_row(m, 1, &ck), 0, 100, 1, NOW - 100, ival(3).p, 4);
		CHECK(st_apply(e, &id, m, &err) == 0);
		CHECK(st_flush(e, &id, &err) == 0);
		st_wait_idle(e);
		CHECK_EQ_I64(sst_partitions(td), 3);
		if (variant == 2) {
			/* An old-timestamp write still in memory may be shadowed by
			 * those tombstones: they must stay. */
			m = mut_int(4);
			st_row_cell(st_mut_row(m, 1, &ck), 0, 10, 0, 0, ival(4).p, 4);
			CHECK(st_apply(e, &id, m, &err) == 0);
		}
		CHECK(st_compact(e, &id, &err) == 0);
		st_wait_idle(e);
		CHECK_EQ_I64(sst_partitions(td), want);
		CHECK_EQ_I64(read_all(e, &id).nrows, variant == 2 ? 2 : 1);
		st_engine_free(e);
	}
}


/* ---------------------------------------------------------------- snapshots, backups, refresh */

/* One row (k, ck) = v at timestamp ts in a (pk, ck, v) table; ttl > 0
 * makes the cell expiring at `expire`. */
static void put(st_engine *e, const hl_uuid *id, int32_t k, int32_t ck, int32_t v, int64_t ts,
		int32_t ttl, int64_t expire)
{
	st_mutation *m = mut_int(k);
	st_bytes c = ival(ck);
	hl_err err;

	st_row_cell(st_mut_row(m, 1, &c), 0, ts, ttl, expire, ival(v).p, 4);
	CHECK(st_apply(e, id, m, &err) == 0);
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static bool same_inode(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* Names of the Data.db files of dir, sorted, "" separated by spaces. */
static const char *data_names(const char *dir)
{
	struct dirent **v;
	int n = scandir(dir, &v, NULL, alphasort);
	hl_buf b;
	const char *out;

	hl_buf_init(&b);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(v[i]->d_name);

		if (l > 8 && strcmp(v[i]->d_name + l - 8, "-Data.db") == 0)
			hl_buf_printf(&b, "%s ", v[i]->d_name);
		free(v[i]);
	}
	if (n >= 0)
		free(v);
	out = hl_arena_strdup(A, b.len ? (const char *)b.p : "");
	hl_buf_free(&b);
	return out;
}

static const char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = hl_arena_alloc(A, 65536);
	size_t n;

	if (!f)
		return "";
	n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

typedef struct snaps_seen {
	int n;
	char tag[8][128];
	char ks[8][64];
	char table[8][64];
	uint64_t true_size[8], on_disk[8];
} snaps_seen;

static void on_snap(void *ctx, const st_snapshot_info *i)
{
	snaps_seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->tag[s->n], sizeof(s->tag[0]), "%s", i->tag);
		snprintf(s->ks[s->n], sizeof(s->ks[0]), "%s", i->keyspace);
		snprintf(s->table[s->n], sizeof(s->table[0]), "%s", i->table);
		s->true_size[s->n] = i->true_size;
		s->on_disk[s->n] = i->size_on_disk;
	}
	s->n++;
}

static const char *simple_td(const char *dir)
{
	return hl_arena_printf(A, "%s/ks/simple-a1010000000000000000000000000000", dir);
}

static void test_snapshot(void)
{
	tdef d;
	st_engine *e;
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = simple_td(dir), *sd, *man, *names;
	snaps_seen ss;
	hl_buf want;
	int n;

	hl_buf_init(&want);
	simple_table(&d);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int k = 0; k < 20; k++)
		put(e, &ID_SIMPLE, k, 1, k, 100, 0, 0);
	CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	/* still in memory when the snapshot is taken: flushed by it */
	for (int k = 20; k < 30; k++)
		put(e, &ID_SIMPLE, k, 1, k, 100, 0, 0);
	{
		st_result r = read_all(e, &ID_SIMPLE);

		dump_result(&r, &want);
	}
	CHECK(st_snapshot(e, &ID_SIMPLE, "bad/tag", NULL, &err) < 0);
	CHECK(st_snapshot(e, &ID_SIMPLE, "snap1", "CREATE TABLE ks.simple (pk int, ck int, "
			  "val int, PRIMARY KEY (pk, ck));\n", &err) == 0);
	st_wait_idle(e);
	sd = hl_arena_printf(A, "%s/snapshots/snap1", td);
	CHECK_EQ_I64(count_files(sd, "-Data.db"), 2);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 2);
	/* every component is a hard link of the live file */
	names = data_names(sd);
	CHECK(strcmp(names, data_names(td)) == 0);
	CHECK(same_inode(hl_arena_printf(A, "%s/nb-1-big-Data.db", sd),
			 hl_arena_printf(A, "%s/nb-1-big-Data.db", td)));
	CHECK(same_inode(hl_arena_printf(A, "%s/nb-2-big-Index.db", sd),
			 hl_arena_printf(A, "%s/nb-2-big-Index.db", td)));
	CHECK_EQ_I64(count_files(sd, "-TOC.txt"), 2);
	man = read_text(hl_arena_printf(A, "%s/manifest.json", sd));
	CHECK(strstr(man, "\"files\" : [ \"nb-1-big-Data.db\", \"nb-2-big-Data.db\" ]") != NULL);
	CHECK(strstr(man, "\"created_at\" : \"") != NULL);
	CHECK(strstr(man, "\"ephemeral\" : false") != NULL);
	CHECK(strstr(read_text(hl_arena_printf(A, "%s/schema.cql", sd)), "CREATE TABLE ks.simple"));
	/* the snapshot holds the data: importing it elsewhere reads the same */
	{
		const char *d2 = new_data_dir();
		st_engine *e2 = engine(d2, 0, 1, false);

		CHECK(st_create_table(e2, &d.l, &err) == 0);
		CHECK(st_import(e2, &ID_SIMPLE, sd, &n, &err) == 0);
		CHECK_EQ_I64(n, 2);
		CHECK(same_read(e2, &ID_SIMPLE, &want));
		st_engine_free(e2);
	}
	/* listsnapshots: every SSTable is still live, so the true size is
	 * only what the snapshot alone has: manifest.json and schema.cql */
	memset(&ss, 0, sizeof(ss));
	CHECK_EQ_I64(st_list_snapshots(e, on_snap, &ss), 1);
	CHECK_EQ_I64(ss.n, 1);
	CHECK(strcmp(ss.tag[0], "snap1") == 0 && strcmp(ss.ks[0], "ks") == 0 &&
	      strcmp(ss.table[0], "simple") == 0);
	CHECK(ss.on_disk[0] > 1000);
	CHECK_EQ_I64((int64_t)ss.true_size[0],
		     file_size(hl_arena_printf(A, "%s/manifest.json", sd)) +
		     file_size(hl_arena_printf(A, "%s/schema.cql", sd)));
	/* after a major compaction only the snapshot holds the old files */
	CHECK(st_compact(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	CHECK(st_snapshot(e, NULL, "snap2", NULL, &err) == 0);
	st_wait_idle(e);
	memset(&ss, 0, sizeof(ss));
	CHECK_EQ_I64(st_list_snapshots(e, on_snap, &ss), 2);
	for (int i = 0; i < 2 && i < ss.n; i++) {
		if (!strcmp(ss.tag[i], "snap1"))
			CHECK(ss.true_size[i] == ss.on_disk[i]);
		else
			CHECK_EQ_I64((int64_t)ss.true_size[i],
				     file_size(hl_arena_printf(A, "%s/snapshots/snap2/manifest.json",
							       td)));
	}
	CHECK(same_read(e, &ID_SIMPLE, &want));
	/* clear one tag, then all of a keyspace */
	CHECK(st_clear_snapshot(e, "snap1", NULL, &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	CHECK(access(sd, F_OK) != 0);
	CHECK(st_clear_snapshot(e, NULL, "other_ks", &n, &err) == 0);
	CHECK_EQ_I64(n, 0);
	CHECK(st_clear_snapshot(e, NULL, "ks", &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	CHECK(access(hl_arena_printf(A, "%s/snapshots", td), F_OK) != 0);
	memset(&ss, 0, sizeof(ss));
	CHECK_EQ_I64(st_list_snapshots(e, on_snap, &ss), 0);
	CHECK(same_read(e, &ID_SIMPLE, &want));
	st_engine_free(e);
	hl_buf_free(&want);
}

/* The one entry of dir whose name starts with prefix ("" when none or
 * several). */
static const char *only_entry(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	const char *found = "";
	int n = 0;

	if (!d)
		return "";
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			found = hl_arena_strdup(A, de->d_name);
			n++;
		}
	closedir(d);
	return n == 1 ? found : "";
}

static void test_auto_snapshot(void)
{
	tdef d;
	st_engine *e, *e0, *e1;
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = simple_td(dir), *tag, *sd;
	hl_buf want;
	int n;

	hl_buf_init(&want);
	simple_table(&d);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	/* an empty table leaves no snapshot */
	CHECK(st_truncate(e, &ID_SIMPLE, &err) == 0);
	CHECK(access(hl_arena_printf(A, "%s/snapshots", td), F_OK) != 0);
	for (int k = 0; k < 10; k++)
		put(e, &ID_SIMPLE, k, 1, k, 100, 0, 0);
	CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	for (int k = 10; k < 15; k++)
		put(e, &ID_SIMPLE, k, 1, k, 100, 0, 0);
	{
		st_result r = read_all(e, &ID_SIMPLE);

		dump_result(&r, &want);
	}
	CHECK(st_truncate_at(e, &ID_SIMPLE, 1700000000123LL, &err) == 0);
	CHECK_EQ_I64(read_all(e, &ID_SIMPLE).nrows, 0);
	st_wait_idle(e);
	sd = hl_arena_printf(A, "%s/snapshots/truncated-1700000000123-simple", td);
	/* the SSTable and the memtable (flushed straight into the snapshot) */
	CHECK_EQ_I64(count_files(sd, "-Data.db"), 2);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
	CHECK(strstr(read_text(hl_arena_printf(A, "%s/manifest.json", sd)), "-Data.db\", \""));
	{
		const char *d2 = new_data_dir();
		st_engine *e2 = engine(d2, 0, 1, false);

		CHECK(st_create_table(e2, &d.l, &err) == 0);
		CHECK(st_import(e2, &ID_SIMPLE, sd, &n, &err) == 0);
		CHECK(same_read(e2, &ID_SIMPLE, &want));
		st_engine_free(e2);
	}
	/* restart: nothing of the truncated data comes back */
	st_engine_free(e);
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK_EQ_I64(read_all(e, &ID_SIMPLE).nrows, 0);
	st_engine_free(e);

	/* DROP on two shards, at different times: one dropped-<ms>-<table> */
	dir = new_data_dir();
	td = simple_td(dir);
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	for (int k = 0; k < 40; k++) {
		st_mutation *m = mut_int(k);

		put(m->token < 0 ? e0 : e1, &ID_SIMPLE, k, 1, k, 100, 0, 0);
	}
	CHECK(st_flush(e1, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e1);
	CHECK(st_drop_table(e0, &ID_SIMPLE, &err) == 0);
	usleep(3000);
	CHECK(st_drop_table(e1, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e0);
	st_wait_idle(e1);
	tag = only_entry(hl_arena_printf(A, "%s/snapshots", td), "dropped-");
	CHECK(strlen(tag) > 8 && strcmp(tag + strlen(tag) - 7, "-simple") == 0);
	sd = hl_arena_printf(A, "%s/snapshots/%s", td, tag);
	CHECK_EQ_I64(count_files(sd, "-Data.db"), 2);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
	{
		const char *man = read_text(hl_arena_printf(A, "%s/manifest.json", sd));

		CHECK(strstr(man, "nb-1-big-Data.db") && strstr(man, "nb-2-big-Data.db"));
	}
	st_engine_free(e0);
	st_engine_free(e1);

	/* auto_snapshot: false (engine) and allow_auto_snapshot = false (table) */
	for (int v = 0; v < 2; v++) {
		st_engine_opts o = { 0 };

		dir = new_data_dir();
		td = simple_td(dir);
		o.data_dir = dir;
		o.no_auto_compaction = true;
		o.no_auto_snapshot = v == 0;
		d.l.no_auto_snapshot = v == 1;
		e = st_engine_new_opts(&o);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		put(e, &ID_SIMPLE, 1, 1, 1, 100, 0, 0);
		CHECK(st_truncate(e, &ID_SIMPLE, &err) == 0);
		put(e, &ID_SIMPLE, 1, 1, 1, 100, 0, 0);
		CHECK(st_drop_table(e, &ID_SIMPLE, &err) == 0);
		st_wait_idle(e);
		CHECK(access(hl_arena_printf(A, "%s/snapshots", td), F_OK) != 0);
		st_engine_free(e);
		d.l.no_auto_snapshot = false;
	}
	hl_buf_free(&want);
}

static void test_incremental_backups(void)
{
	tdef d;
	st_engine *e;
	st_engine_opts o = { 0 };
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = simple_td(dir), *bd;

	simple_table(&d);
	o.data_dir = dir;
	o.no_auto_compaction = true;
	o.incremental_backups = true;
	e = st_engine_new_opts(&o);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int f = 0; f < 2; f++) {
		for (int k = 0; k < 10; k++)
			put(e, &ID_SIMPLE, k + 10 * f, 1, k, 100, 0, 0);
		CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
		st_wait_idle(e);
	}
	bd = hl_arena_printf(A, "%s/backups", td);
	CHECK_EQ_I64(count_files(bd, "-Data.db"), 2);
	CHECK_EQ_I64(count_files(bd, "-TOC.txt"), 2);
	CHECK(same_inode(hl_arena_printf(A, "%s/nb-1-big-Data.db", bd),
			 hl_arena_printf(A, "%s/nb-1-big-Data.db", td)));
	/* compaction outputs are not backed up; the flushed files stay there */
	CHECK(st_compact(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 1);
	CHECK(strcmp(data_names(bd), "nb-1-big-Data.db nb-2-big-Data.db ") == 0);
	st_engine_free(e);
}

/* Copy every <base>-* of src into dst as <nbase>-*. */
static void copy_sstable(const char *src, const char *base, const char *dst, const char *nbase)
{
	DIR *d = opendir(src);
	struct dirent *de;
	size_t bl = strlen(base);

	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		FILE *in, *out;
		char buf[65536];
		size_t n;

		if (strncmp(de->d_name, base, bl) != 0 || de->d_name[bl] != '-')
			continue;
		in = fopen(hl_arena_printf(A, "%s/%s", src, de->d_name), "rb");
		out = fopen(hl_arena_printf(A, "%s/%s%s", dst, nbase, de->d_name + bl), "wb");
		CHECK(in && out);
		while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		if (in)
			fclose(in);
		if (out)
			fclose(out);
	}
	if (d)
		closedir(d);
}

static void test_refresh(void)
{
	tdef d;
	st_engine *e, *e0, *e1;
	hl_err err;
	const char *src = new_data_dir(), *dir = new_data_dir();
	const char *std = simple_td(src), *td = simple_td(dir);
	hl_buf want;
	int n;
	st_table_stats st;

	hl_buf_init(&want);
	simple_table(&d);
	/* Two SSTables written elsewhere: keys 0..9 and 100..109. */
	e = engine(src, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int f = 0; f < 2; f++) {
		for (int k = 0; k < 10; k++)
			put(e, &ID_SIMPLE, k + 100 * f, 1, k, 100, 0, 0);
		CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
		st_wait_idle(e);
	}
	{
		st_result r = read_all(e, &ID_SIMPLE);

		dump_result(&r, &want);
	}
	st_engine_free(e);

	/* One shard: the table has its own nb-1-big; the operator drops in
	 * files named nb-1-big's neighbours and another version's name. */
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	put(e, &ID_SIMPLE, 5, 1, 5, 50, 0, 0);   /* older: the refreshed data wins */
	CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	copy_sstable(std, "nb-1-big", td, "nb-7-big");
	copy_sstable(std, "nb-2-big", td, "nb-2-big");
	/* incomplete (no TOC.txt): left alone */
	copy_sstable(std, "nb-1-big", td, "nb-9-big");
	CHECK(unlink(hl_arena_printf(A, "%s/nb-9-big-TOC.txt", td)) == 0);
	CHECK(st_refresh(e, &ID_SIMPLE, &n, &err) == 0);
	CHECK_EQ_I64(n, 2);
	CHECK(same_read(e, &ID_SIMPLE, &want));
	CHECK(access(hl_arena_printf(A, "%s/upload", td), F_OK) != 0);
	CHECK(access(hl_arena_printf(A, "%s/nb-9-big-Data.db", td), F_OK) == 0);
	CHECK(access(hl_arena_printf(A, "%s/nb-7-big-Data.db", td), F_OK) != 0);
	CHECK(st_table_stats_get(e, &ID_SIMPLE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 3);
	/* a second refresh finds nothing new */
	CHECK(st_refresh(e, &ID_SIMPLE, &n, &err) == 0);
	CHECK_EQ_I64(n, 0);
	st_engine_free(e);
	/* restart: loaded once, under this engine's names */
	e = engine(dir, 0, 1, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(same_read(e, &ID_SIMPLE, &want));
	CHECK(st_table_stats_get(e, &ID_SIMPLE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 3);
	st_engine_free(e);

	/* Two shards, files with numeric and time-based ids, one colliding
	 * with shard 0's own generation 1 in another version. */
	dir = new_data_dir();
	td = simple_td(dir);
	e0 = engine(dir, 0, 2, true);
	e1 = engine(dir, 1, 2, true);
	CHECK(st_create_table(e0, &d.l, &err) == 0);
	CHECK(st_create_table(e1, &d.l, &err) == 0);
	copy_sstable(std, "nb-1-big", td, "nb-1-big");
	copy_sstable(std, "nb-2-big", td, "nb-3gb0_0qxl_5m8sw2kbg5x1b1pbb1-big");
	{
		int s0 = 0, s1 = 0, l0 = 0, l1 = 0;

		CHECK(st_refresh_stage(e0, &ID_SIMPLE, &s0, &err) == 0);
		CHECK(st_refresh_stage(e1, &ID_SIMPLE, &s1, &err) == 0);
		CHECK_EQ_I64(s0 + s1, 2);
		CHECK_EQ_I64(count_files(td, "-Data.db"), 0);
		CHECK(st_refresh(e0, &ID_SIMPLE, &l0, &err) == 0);
		CHECK(st_refresh(e1, &ID_SIMPLE, &l1, &err) == 0);
		CHECK_EQ_I64(l0, 2);
		CHECK_EQ_I64(l1, 2);
		CHECK(st_refresh_finish(e0, &ID_SIMPLE, &err) == 0);
		CHECK(access(hl_arena_printf(A, "%s/upload", td), F_OK) != 0);
	}
	/* each shard serves its own range of each file, once */
	{
		st_result r0 = read_all(e0, &ID_SIMPLE), r1 = read_all(e1, &ID_SIMPLE);
		int seen[110] = { 0 };

		for (st_rpart *p = r0.parts; p; p = p->next) {
			CHECK(p->token < 0);
			seen[geti(p->key) % 110]++;
		}
		for (st_rpart *p = r1.parts; p; p = p->next) {
			CHECK(p->token >= 0);
			seen[geti(p->key) % 110]++;
		}
		CHECK_EQ_I64(r0.nparts + r1.nparts, 20);
		for (int k = 0; k < 10; k++)
			CHECK(seen[k] == 1 && seen[100 + k] == 1);
	}
	CHECK_EQ_I64(count_files(td, "-Data.db"), 4);
	st_engine_free(e0);
	st_engine_free(e1);

	/* Cassandra-written files dropped in with their own names */
	if (have_fixtures("refresh of Cassandra files")) {
		dir = new_data_dir();
		td = simple_td(dir);
		e = engine(dir, 0, 1, false);
		CHECK(st_create_table(e, &d.l, &err) == 0);
		mkdir(hl_arena_printf(A, "%s/ks", dir), 0755);
		copy_sstable(fixture("scylladb/3.x/uncompressed/simple"), "mc-1-big", td, "mc-1-big");
		CHECK(st_refresh(e, &ID_SIMPLE, &n, &err) == 0);
		CHECK_EQ_I64(n, 1);
		CHECK_EQ_I64(read_all(e, &ID_SIMPLE).nrows, 5);
		CHECK(read_key(e, &ID_SIMPLE, 3).nrows == 1);
		st_engine_free(e);
	}
	hl_buf_free(&want);
}

/* ---------------------------------------------------------------- strategies, throttling */

typedef struct sst_desc {
	char base[64];
	int level;
	int64_t first, last, max_ts;
} sst_desc;

/* Every SSTable of td: level, token span (by reading it), max timestamp. */
static int describe_dir(const char *td, sst_desc *out, int cap)
{
	DIR *d = opendir(td);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		sst_reader *r;
		st_mutation *m;
		hl_err err;
		hl_arena *a;

		if (l < 12 || strcmp(de->d_name + l - 8, "-Data.db") != 0 || l - 8 >= 64 || n >= cap)
			continue;
		memcpy(out[n].base, de->d_name, l - 8);
		out[n].base[l - 8] = 0;
		if (sst_open(td, out[n].base, NULL, NULL, &r, &err)) {
			CHECK(0);
			continue;
		}
		out[n].level = sst_info(r)->sstable_level;
		out[n].max_ts = sst_info(r)->max_ts;
		out[n].first = INT64_MAX;
		out[n].last = INT64_MIN;
		a = hl_arena_new(0);
		while (sst_next_partition(r, a, &m, &err) == 1) {
			if (m->token < out[n].first)
				out[n].first = m->token;
			if (m->token > out[n].last)
				out[n].last = m->token;
		}
		hl_arena_free(a);
		sst_close(r);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void test_lcs(void)
{
	static const hl_uuid id = { { 0xb1 } };
	tdef d;
	st_engine *e, *mem;
	st_engine_opts o = { 0 };
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = hl_arena_printf(A, "%s/ks/lcs-b1000000000000000000000000000000", dir);
	sst_desc v[256];
	int n, leveled = 0;
	hl_buf want;
	st_table_stats st;

	hl_buf_init(&want);
	tdef_init(&d, &id, "ks", "lcs", 1);
	tdef_col(&d, "v", ty_simple(TY_INT), false);
	{
		const char *k[] = { "class", "sstable_size_in_mb", "fanout_size" };
		const char *val[] = { "org.apache.cassandra.db.compaction.LeveledCompactionStrategy",
				      "1", "3" };

		st_compaction_parse(3, k, val, &d.l.compaction);
		CHECK_EQ_I64(d.l.compaction.kind, ST_COMPACTION_LCS);
		CHECK_EQ_I64((int64_t)d.l.compaction.sstable_size, 1 << 20);
		CHECK_EQ_I64(d.l.compaction.fanout, 3);
	}
	/* tiny files so a few flushes fill several levels */
	d.l.compaction.sstable_size = 1024;
	o.data_dir = dir;
	e = st_engine_new_opts(&o);
	mem = st_engine_new();
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(st_create_table(mem, &d.l, &err) == 0);
	for (int round = 0; round < 12; round++) {
		for (int i = 0; i < 60; i++) {
			int k = (i * 7 + round * 13) % 200;

			put(e, &id, k, round % 3, round * 1000 + i, 100 + round, 0, 0);
			put(mem, &id, k, round % 3, round * 1000 + i, 100 + round, 0, 0);
		}
		CHECK(st_flush(e, &id, &err) == 0);
		st_wait_idle(e);
	}
	{
		st_result r = read_all(mem, &id);

		dump_result(&r, &want);
	}
	CHECK(same_read(e, &id, &want));
	n = describe_dir(td, v, 256);
	CHECK(n > 1);
	for (int i = 0; i < n; i++) {
		if (v[i].level > 0)
			leveled++;
		for (int k = 0; k < n; k++)
			if (k != i && v[i].level > 0 && v[k].level == v[i].level)
				CHECK(v[i].last < v[k].first || v[k].last < v[i].first);
	}
	CHECK(leveled > 1);
	CHECK(st_table_stats_get(e, &id, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, n);
	CHECK(st.sstables_in_level[0] < 4);
	CHECK(st.sstables_in_level[2] > 0);
	/* restart: levels come back from Statistics.db; reads unchanged */
	st_engine_free(e);
	e = st_engine_new_opts(&o);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	CHECK(same_read(e, &id, &want));
	{
		st_table_stats s2;

		CHECK(st_table_stats_get(e, &id, &s2, &err) == 0);
		for (int l = 0; l < 8; l++)
			CHECK_EQ_I64(s2.sstables_in_level[l], st.sstables_in_level[l]);
	}
	/* a major compaction keeps leveled, non-overlapping output */
	CHECK(st_compact(e, &id, &err) == 0);
	st_wait_idle(e);
	CHECK(same_read(e, &id, &want));
	n = describe_dir(td, v, 256);
	CHECK(n > 1);
	for (int i = 0; i < n; i++) {
		CHECK(v[i].level > 0);
		for (int k = 0; k < n; k++)
			if (k != i && v[k].level == v[i].level)
				CHECK(v[i].last < v[k].first || v[k].last < v[i].first);
	}
	st_engine_free(e);
	st_engine_free(mem);
	hl_buf_free(&want);
}

static void test_twcs(void)
{
	static const hl_uuid id = { { 0xb2 } };
	tdef d;
	st_engine *e;
	st_engine_opts o = { 0 };
	hl_err err;
	const char *dir = new_data_dir();
	const char *td = hl_arena_printf(A, "%s/ks/twcs-b2000000000000000000000000000000", dir);
	int64_t hour = NOW / 3600 * 3600;
	/* window starts: 5 hours ago, 3 hours ago, now */
	int64_t ts[3] = { (hour - 5 * 3600 + 10) * 1000000, (hour - 3 * 3600 + 10) * 1000000,
			  NOW * 1000000 };
	int flushes[3] = { 2, 3, 1 };
	sst_desc v[16];
	int n;

	tdef_init(&d, &id, "ks", "twcs", 1);
	tdef_col(&d, "v", ty_simple(TY_INT), false);
	{
		const char *k[] = { "class", "compaction_window_unit", "compaction_window_size" };
		const char *val[] = { "TimeWindowCompactionStrategy", "HOURS", "1" };

		st_compaction_parse(3, k, val, &d.l.compaction);
		CHECK_EQ_I64(d.l.compaction.kind, ST_COMPACTION_TWCS);
		CHECK_EQ_I64(d.l.compaction.window_seconds, 3600);
	}
	o.data_dir = dir;
	e = st_engine_new_opts(&o);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int w = 0; w < 3; w++)
		for (int f = 0; f < flushes[w]; f++) {
			for (int k = 0; k < 10; k++)
				put(e, &id, w * 100 + f * 10 + k, 1, k, ts[w] + f, 0, 0);
			CHECK(st_flush(e, &id, &err) == 0);
			st_wait_idle(e);
		}
	/* each closed window is one file; the newest is left to size tiering */
	n = describe_dir(td, v, 16);
	CHECK_EQ_I64(n, 3);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < i; k++)
			CHECK(v[i].max_ts / 3600000000 != v[k].max_ts / 3600000000);
	CHECK_EQ_I64(read_all(e, &id).nrows, 60);
	st_engine_free(e);

	/* Fully expired files go whole once gc grace is over, unless newer
	 * than data elsewhere they might shadow. */
	dir = new_data_dir();
	td = hl_arena_printf(A, "%s/ks/twcs-b2000000000000000000000000000000", dir);
	d.l.has_gc_grace = true;
	d.l.gc_grace_seconds = 0;
	o.data_dir = dir;
	e = st_engine_new_opts(&o);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int k = 0; k < 10; k++)
		put(e, &id, k, 1, k, (NOW - 10) * 1000000, 0, 0);
	CHECK(st_flush(e, &id, &err) == 0);
	st_wait_idle(e);
	/* expired long ago, written before the live data: dropped */
	for (int k = 0; k < 10; k++)
		put(e, &id, 100 + k, 1, k, (hour - 10 * 3600) * 1000000, 1, NOW - 100);
	CHECK(st_flush(e, &id, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 1);
	/* expired, but newer than the live data: kept */
	for (int k = 0; k < 10; k++)
		put(e, &id, 200 + k, 1, k, NOW * 1000000, 1, NOW - 100);
	CHECK(st_flush(e, &id, &err) == 0);
	st_wait_idle(e);
	CHECK_EQ_I64(count_files(td, "-Data.db"), 2);
	CHECK_EQ_I64(read_all(e, &id).nrows, 10);
	st_engine_free(e);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_throughput(void)
{
	tdef d;
	st_engine *e;
	st_engine_opts o = { 0 };
	hl_err err;
	const char *dir = new_data_dir();
	st_table_stats st;
	st_compaction_stats cs;
	struct timespec t0;
	double secs;
	bool seen_active = false;

	simple_table(&d);
	o.data_dir = dir;
	o.no_auto_compaction = true;
	o.has_compaction_throughput = true;
	o.compaction_throughput = 0;
	e = st_engine_new_opts(&o);
	CHECK_EQ_I64((int64_t)st_get_compaction_throughput(e), 0);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int f = 0; f < 2; f++) {
		for (int k = 0; k < 100; k++)
			put(e, &ID_SIMPLE, k + 100 * f, 1, k, 100, 0, 0);
		CHECK(st_flush(e, &ID_SIMPLE, &err) == 0);
		st_wait_idle(e);
	}
	CHECK(st_table_stats_get(e, &ID_SIMPLE, &st, &err) == 0);
	CHECK(st.disk_bytes > 1000);
	/* a rate that makes this compaction take about 0.4 s */
	st_set_compaction_throughput(e, (double)st.disk_bytes / 0.4 / 1048576.0);
	CHECK(st_get_compaction_throughput(e) > 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(st_compact(e, &ID_SIMPLE, &err) == 0);
	st_wait_idle(e);
	secs = elapsed_since(&t0);
	CHECK(secs >= 0.25);
	st_compaction_stats_get(e, &cs);
	CHECK_EQ_I64(cs.completed, 1);
	CHECK_EQ_I64(cs.pending, 0);
	CHECK_EQ_I64((int64_t)cs.bytes_in, (int64_t)st.disk_bytes);
	CHECK(cs.bytes_out > 0);
	CHECK_EQ_I64(cs.flushes, 2);

	/* a crawl (about 100 s), seen running, then unthrottled: it ends at
	 * once because the rate is read while it sleeps */
	st_set_compaction_throughput(e, (double)st.disk_bytes / 100.0 / 1048576.0);
	CHECK(st_compact(e, &ID_SIMPLE, &err) == 0);
	for (int i = 0; i < 200 && !seen_active; i++) {
		st_compaction_stats_get(e, &cs);
		seen_active = cs.active == 1 && cs.pending == 1 && cs.active_total > 0;
		if (!seen_active)
			usleep(5000);
	}
	CHECK(seen_active);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st_set_compaction_throughput(e, 0);
	st_wait_idle(e);
	CHECK(elapsed_since(&t0) < 20);
	st_compaction_stats_get(e, &cs);
	CHECK_EQ_I64(cs.completed, 2);
	CHECK_EQ_I64(cs.active, 0);
	CHECK_EQ_I64(read_all(e, &ID_SIMPLE).nrows, 200);
	st_engine_free(e);

	/* the default is cassandra.yaml's 64 MiB/s */
	e = st_engine_new();
	CHECK_EQ_I64((int64_t)st_get_compaction_throughput(e), 64 << 20);
	st_engine_free(e);
}

/* ---------------------------------------------------------------- read path */

static int64_t parts_read(st_engine *e, const hl_uuid *id, int64_t *skipped)
{
	st_table_stats st;
	hl_err err;

	CHECK(st_table_stats_get(e, id, &st, &err) == 0);
	if (skipped)
		*skipped = st.sst_skipped;
	return st.sst_partitions_read;
}

/* One line per returned row (and static-only partition), in read order,
 * each with its partition: a partition split over pages reads the same. */
static void rows_text(const st_result *r, hl_buf *b)
{
	for (const st_rpart *p = r->parts; p; p = p->next) {
		int sv = st_rcell_find(p->statics, p->nstatic, 2) ? cell_int(p->statics, p->nstatic, 2) : -1;

		if (p->static_only)
			hl_buf_printf(b, "%d s=%d static-only\n", geti(p->key), sv);
		for (const st_rrow *w = p->rows; w; w = w->next) {
			hl_buf_printf(b, "%d s=%d c%d", geti(p->key), sv, geti(w->clust[0].p));
			for (int i = 0; i < w->ncells; i++)
				hl_buf_printf(b, " %d:%u@%lld", w->cells[i].col, w->cells[i].len,
					      (long long)w->cells[i].ts);
			hl_buf_printf(b, "\n");
		}
	}
}

/* The keys 0..n-1 sorted by token (to give SSTables disjoint spans). */
static int tok_cmp(const void *a, const void *b)
{
	int64_t x = hl_token(ival(*(const int *)a).p, 4), y = hl_token(ival(*(const int *)b).p, 4);

	return x < y ? -1 : x > y;
}

/*
 * A table spread over many SSTables: 8 with disjoint token spans, 2 more
 * over everything, and the memtable. A paged scan must return what one
 * unlimited scan returns, decoding per page about what the page holds;
 * a token slice must leave out the files whose span misses it.
 */
static void test_paged_scan_many_ssts(void)
{
	enum { N = 800, G = 8 };
	tdef d;
	cb_state cb = { 0 };
	st_engine *e;
	hl_err err;
	hl_buf want, got;
	int keys[N];
	int64_t r0, r1, sk0, sk1, max_page = 0, pages = 0, total = 0, returned = 0;
	st_read_cmd c;
	st_result r;
	st_bytes after[1];
	uint8_t after_v[4], from_key[4];

	hl_buf_init(&want);
	hl_buf_init(&got);
	wide_table(&d);
	e = engine_cb(new_data_dir(), &cb, 0, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	for (int i = 0; i < N; i++)
		keys[i] = i;
	qsort(keys, N, sizeof(keys[0]), tok_cmp);
	for (int g = 0; g < G; g++) {
		for (int i = g * N / G; i < (g + 1) * N / G; i++)
			write_mix(e, keys[i], keys[i] + 1, 1000);
		CHECK(st_flush(e, &ID_WIDE, &err) == 0);
		st_wait_idle(e);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int k = pass; k < N; k += 25)
			write_mix(e, k, k + 1, 2000 + pass);
		CHECK(st_flush(e, &ID_WIDE, &err) == 0);
		st_wait_idle(e);
	}
	for (int k = 3; k < N; k += 40)
		write_mix(e, k, k + 1, 3000);
	{
		st_table_stats st;

		CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
		CHECK_EQ_I64(st.sstables, G + 2);
	}
	r0 = parts_read(e, &ID_WIDE, NULL);
	r = read_all(e, &ID_WIDE);
	rows_text(&r, &want);
	r1 = parts_read(e, &ID_WIDE, NULL);
	printf("full scan: %d partitions returned, %lld SSTable partitions decoded\n", r.nparts,
	       (long long)(r1 - r0));
	CHECK(r.nparts > N / 2);

	/* pages of 7 rows, resuming inside partitions (6 rows each) */
	st_read_init(&c);
	c.now = NOW;
	c.limit_rows = 7;
	for (;;) {
		const st_rpart *last = NULL;

		r0 = parts_read(e, &ID_WIDE, NULL);
		CHECK(st_read(e, &ID_WIDE, &c, A, &r, &err) == 0);
		r1 = parts_read(e, &ID_WIDE, NULL);
		pages++;
		total += r1 - r0;
		returned += r.nparts;
		if (r1 - r0 > max_page)
			max_page = r1 - r0;
		rows_text(&r, &got);
		for (const st_rpart *p = r.parts; p; p = p->next)
			last = p;
		if (!r.more || !last || pages > 2000)
			break;
		/* resume in the last partition, after its last row */
		memcpy(from_key, last->key, 4);
		c.has_from = true;
		c.from_token = last->token;
		c.from_key = from_key;
		c.from_keylen = 4;
		c.from_inclusive = true;
		c.after_clust = NULL;
		if (last->rows_tail) {
			memcpy(after_v, last->rows_tail->clust[0].p, 4);
			after[0] = (st_bytes){ after_v, 4 };
			c.after_clust = after;
		} else {
			c.from_inclusive = false;
		}
	}
	CHECK(want.len > 0 && want.len == got.len && memcmp(want.p, got.p, want.len) == 0);
	printf("paged scan (7 rows a page): %lld pages, %lld SSTable partitions decoded "
	       "(%lld returned), at most %lld in one page\n",
	       (long long)pages, (long long)total, (long long)returned, (long long)max_page);
	CHECK(pages > 100);
	/* each page decodes its own partitions, from every file holding them,
	 * plus at most a batch beyond what it returns */
	CHECK(max_page <= 7 * 4 + 16);
	CHECK(total <= returned * 3);

	/* a token slice inside one file's span leaves the other disjoint ones out */
	{
		int64_t lo = hl_token(ival(keys[3 * N / G + 10]).p, 4);
		int64_t hi = hl_token(ival(keys[3 * N / G + 20]).p, 4);
		int n = 0;

		st_read_init(&c);
		c.now = NOW;
		c.start_token = lo;
		c.end_token = hi;
		r0 = parts_read(e, &ID_WIDE, &sk0);
		CHECK(st_read(e, &ID_WIDE, &c, A, &r, &err) == 0);
		r1 = parts_read(e, &ID_WIDE, &sk1);
		for (const st_rpart *p = r.parts; p; p = p->next)
			n += p->token >= lo && p->token <= hi;
		printf("token slice read: %d partitions returned, %lld SSTable partitions decoded, "
		       "%lld SSTables left out\n", r.nparts, (long long)(r1 - r0), (long long)(sk1 - sk0));
		CHECK_EQ_I64(n, r.nparts);
		CHECK(r.nparts >= 5);
		CHECK(sk1 - sk0 >= G - 1);
		CHECK(r1 - r0 <= 11 * 3);
	}
	/* point reads: slices and a partition deletion newer than older files */
	{
		st_bytes key = ival(keys[10]);
		st_bytes lo = ival(1), hi = ival(3);
		st_slice sl = { { 1, &lo, true }, { 1, &hi, false } };
		st_result full, part;
		hl_buf x1, x2;
		int64_t tok = hl_token(key.p, 4);

		st_read_init(&c);
		c.kind = ST_READ_PARTITION;
		c.key = key.p;
		c.keylen = 4;
		c.token = tok;
		c.now = NOW;
		CHECK(st_read(e, &ID_WIDE, &c, A, &full, &err) == 0);
		c.has_slices = true;
		c.nslices = 1;
		c.slices = &sl;
		CHECK(st_read(e, &ID_WIDE, &c, A, &part, &err) == 0);
		hl_buf_init(&x1);
		hl_buf_init(&x2);
		/* the sliced read is the full one's rows 1 and 2 */
		for (const st_rrow *w = full.parts ? full.parts->rows : NULL; w; w = w->next)
			if (geti(w->clust[0].p) >= 1 && geti(w->clust[0].p) < 3)
				hl_buf_printf(&x1, "%d ", geti(w->clust[0].p));
		for (const st_rrow *w = part.parts ? part.parts->rows : NULL; w; w = w->next)
			hl_buf_printf(&x2, "%d ", geti(w->clust[0].p));
		CHECK(x1.len > 0 && x1.len == x2.len && memcmp(x1.p, x2.p, x1.len) == 0);
		hl_buf_free(&x1);
		hl_buf_free(&x2);
		/* deleted in memory after everything: no SSTable is read */
		{
			st_mutation *m = mut_int(keys[10]);

			st_mut_delete_partition(m, 5000, NOW);
			CHECK(st_apply(e, &ID_WIDE, m, &err) == 0);
		}
		c.has_slices = false;
		r0 = parts_read(e, &ID_WIDE, &sk0);
		CHECK(st_read(e, &ID_WIDE, &c, A, &part, &err) == 0);
		r1 = parts_read(e, &ID_WIDE, &sk1);
		CHECK_EQ_I64(part.nparts, 0);
		CHECK_EQ_I64(r1 - r0, 0);
		CHECK_EQ_I64(sk1 - sk0, G + 2);
	}
	st_engine_free(e);
	hl_buf_free(&want);
	hl_buf_free(&got);
}

/*
 * One wide partition in an SSTable (many promoted-index blocks): reads
 * with slices and pages inside it return what they returned from memory,
 * and the key cache answers the repeated lookups.
 */
static void test_wide_partition_slices(void)
{
	enum { ROWS = 3000 };
	tdef d;
	cb_state cb = { 0 };
	st_engine *e;
	hl_err err;
	hl_buf mem[4], disk[4];
	st_bytes key = ival(42);
	st_table_stats st;
	int64_t r0, r1;

	wide_table(&d);
	e = engine_cb(new_data_dir(), &cb, 0, false);
	CHECK(st_create_table(e, &d.l, &err) == 0);
	{
		st_mutation *m = mut_int(42);
		char w[40];

		st_mut_static_cell(m, 2, 10, 0, 0, ival(7).p, 4);
		for (int c = 0; c < ROWS; c++) {
			st_bytes ck = ival(c);
			st_mrow *row = st_mut_row(m, 1, &ck);

			st_row_marker(row, 10, 0, 0);
			st_row_cell(row, 0, 10, 0, 0, ival(c * 3).p, 4);
			snprintf(w, sizeof(w), "row %d padding padding padding", c);
			st_row_cell(row, 1, 10, 0, 0, w, strlen(w));
		}
		for (int c = 100; c < ROWS; c += 500) {
			st_bytes lo = ival(c), hi = ival(c + 50);
			st_bound b0 = { 1, &lo, true }, b1 = { 1, &hi, false };

			st_mut_range_tombstone(m, &b0, &b1, 20, NOW);
		}
		CHECK(st_apply(e, &ID_WIDE, m, &err) == 0);
	}
	for (int phase = 0; phase < 2; phase++) {
		hl_buf *out = phase ? disk : mem;

		if (phase) {
			st_mutation *m = mut_int(42);

			CHECK(st_flush(e, &ID_WIDE, &err) == 0);
			st_wait_idle(e);
			/* an older static value in memory too: merged, and loses */
			st_mut_static_cell(m, 2, 5, 0, 0, ival(6).p, 4);
			CHECK(st_apply(e, &ID_WIDE, m, &err) == 0);
		}
		r0 = parts_read(e, &ID_WIDE, NULL);
		for (int q = 0; q < 4; q++) {
			st_read_cmd c;
			st_result r;
			st_bytes a = ival(120 + q * 700), b = ival(160 + q * 700), after = ival(140 + q * 700);
			st_slice sl[2] = { { { 1, &a, q != 1 }, { 1, &b, true } },
					   { { 1, &(st_bytes){ 0 }, true }, { 0, NULL, true } } };
			st_bytes far = ival(2900);

			sl[1].start.vals = &far;
			hl_buf_init(&out[q]);
			st_read_init(&c);
			c.kind = ST_READ_PARTITION;
			c.key = key.p;
			c.keylen = 4;
			c.token = hl_token(key.p, 4);
			c.now = NOW;
			c.has_slices = true;
			c.nslices = q == 3 ? 1 : 2;
			c.slices = sl;
			c.reversed = q == 2;
			if (q >= 2)
				c.after_clust = &after;   /* a later page */
			c.limit_rows = 30;
			CHECK(st_read(e, &ID_WIDE, &c, A, &r, &err) == 0);
			CHECK(r.nparts == 1);
			rows_text(&r, &out[q]);
		}
		r1 = parts_read(e, &ID_WIDE, NULL);
		CHECK_EQ_I64(r1 - r0, phase ? 4 : 0);
	}
	for (int q = 0; q < 4; q++) {
		CHECK(mem[q].len > 0 && mem[q].len == disk[q].len &&
		      memcmp(mem[q].p, disk[q].p, mem[q].len) == 0);
		hl_buf_free(&mem[q]);
		hl_buf_free(&disk[q]);
	}
	CHECK(st_table_stats_get(e, &ID_WIDE, &st, &err) == 0);
	CHECK_EQ_I64(st.sstables, 1);
	CHECK_EQ_I64(st.key_cache_misses, 1);
	CHECK_EQ_I64(st.key_cache_hits, 3);
	CHECK(st.key_cache_capacity > 0);
	printf("wide partition (%d rows): 4 sliced reads decoded %lld index blocks, skipped %lld\n",
	       ROWS, (long long)st.index_blocks_read, (long long)st.index_blocks_skipped);
	CHECK(st.index_blocks_skipped > 3 * st.index_blocks_read);
	st_engine_free(e);
}

int main(void)
{
	char src[2048];
	char *p;

	A = hl_arena_new(0);
	NOW = (int64_t)time(NULL);
	/* <repo>/tests/unit/test_engine.c -> <repo>/../shared/fixtures/... */
	snprintf(src, sizeof(src), "%s", __FILE__);
	for (int i = 0; i < 3 && (p = strrchr(src, '/')); i++)
		*p = 0;
	snprintf(FIX, sizeof(FIX), "%s/../shared/fixtures/cassandra-sstables", src);
	if (access(FIX, R_OK) != 0)
		FIX[0] = 0;
	snprintf(TMP, sizeof(TMP), "/tmp/hl-test-engine-XXXXXX");
	if (!mkdtemp(TMP)) {
		perror("mkdtemp");
		return 1;
	}
	test_import_simple();
	test_import_rejects();
	test_import_types();
	test_range_tombstones_fixture();
	test_negative_ldts();
	test_merge_overrides();
	test_range_paging();
	test_two_shards();
	test_flush_restart_compact();
	test_auto_flush_compact();
	test_two_shards_compact();
	test_purge();
	test_snapshot();
	test_auto_snapshot();
	test_incremental_backups();
	test_refresh();
	test_lcs();
	test_twcs();
	test_throughput();
	test_paged_scan_many_ssts();
	test_wide_partition_slices();
	nftw(TMP, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	hl_arena_free(A);
	return T_DONE();
}
