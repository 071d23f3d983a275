/*
 * Unit tests for the sstable reader against real Cassandra-written
 * sstables (shared/fixtures/cassandra-sstables; see its README for the
 * expected contents). The fixture directory is HL_FIXTURES or
 * <repo>/../shared/fixtures/cassandra-sstables; when it is missing the
 * fixture checks are skipped with a message.
 */
#include "t.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sstable/sstable.h"
#include "storage/storage.h"
#include "types/types.h"

static char fx_root[4096];

static bool find_fixtures(void)
{
	const char *env = getenv("HL_FIXTURES");
	struct stat st;

	if (env && *env) {
		snprintf(fx_root, sizeof(fx_root), "%s", env);
	} else {
		/* __FILE__ is <repo>/tests/unit/test_sstable.c */
		char repo[4096];
		char *slash;

		snprintf(repo, sizeof(repo), "%s", __FILE__);
		for (int i = 0; i < 3; i++) {
			slash = strrchr(repo, '/');
			if (!slash) {
				snprintf(repo, sizeof(repo), ".");
				break;
			}
			*slash = 0;
		}
		if (strlen(repo) + 64 > sizeof(fx_root))
			return false;
		snprintf(fx_root, sizeof(fx_root), "%.3900s/../shared/fixtures/cassandra-sstables", repo);
	}
	return stat(fx_root, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *fx_dir(const char *rel)
{
	static char buf[8400];

	snprintf(buf, sizeof(buf), "%s/%s", fx_root, rel);
	return buf;
}

static const char *last_dir = "";

static sst_reader *open_fx(const char *rel, const char *base, const sst_schema *schema, bool bop)
{
	sst_opts o = { 0 };
	sst_reader *r = NULL;
	hl_err err;

	hl_err_clear(&err);
	o.allow_byte_ordered = bop;
	last_dir = rel;
	if (sst_open(fx_dir(rel), base, schema, &o, &r, &err)) {
		fprintf(stderr, "open %s/%s: %s\n", rel, base, err.msg);
		return NULL;
	}
	return r;
}

/* Debug aid: HL_SST_DUMP=<substring of a fixture dir> prints its partitions. */
static const ty_type *col_type(const sst_meta *mt, int idx)
{
	if (idx < mt->nstatic)
		return mt->statics[idx].type;
	return mt->regulars[idx - mt->nstatic].type;
}

static void dump_val(const ty_type *t, const uint8_t *p, size_t n)
{
	hl_buf b;

	hl_buf_init(&b);
	if (ty_to_cql(t, p, n, &b) == 0)
		printf("%.*s", (int)b.len, (const char *)b.p);
	else
		printf("<%zu bytes>", n);
	hl_buf_free(&b);
}

static void dump_cells(const sst_meta *mt, const st_mrow *r)
{
	if (r->marker.ts != ST_NO_TS)
		printf(" marker(ts=%lld ttl=%d exp=%lld)", (long long)r->marker.ts, r->marker.ttl,
		       (long long)r->marker.expire);
	if (r->del.ts != ST_NO_TS)
		printf(" del(%lld,%lld)", (long long)r->del.ts, (long long)r->del.ldt);
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		printf(" cdel[%d](%lld,%lld)", d->col, (long long)d->del.ts, (long long)d->del.ldt);
	for (const st_cell *c = r->cells; c; c = c->next) {
		const ty_type *t = col_type(mt, c->col);

		printf(" c%d", c->col);
		if (c->path)
			printf("[%u]", c->path_len);
		printf("=");
		if (st_cell_is_tombstone(c))
			printf("TOMB");
		else if (t->kind == TY_COUNTER)
			dump_val(ty_simple(TY_BIGINT), c->value, c->len);
		else if (c->path && t->kind == TY_SET)
			dump_val(t->sub[0], c->path, c->path_len);
		else if (c->path && t->kind == TY_LIST)
			dump_val(t->sub[0], c->value, c->len);
		else if (c->path && t->kind == TY_MAP)
			dump_val(t->sub[1], c->value, c->len);
		else if (!c->path)
			dump_val(t, c->value, c->len);
		printf("@%lld", (long long)c->ts);
		if (c->ttl || c->ldt != ST_NO_LDT)
			printf("(ttl=%d ldt=%lld)", c->ttl, (long long)c->ldt);
	}
}

static void dump_bound(const sst_meta *mt, const char *open, const st_bound *b, const char *close)
{
	printf("%s", b->inclusive ? open : (open[0] == '[' ? "(" : ")"));
	for (int i = 0; i < b->n; i++) {
		if (i)
			printf(",");
		dump_val(mt->clust[i].type, b->vals[i].p, b->vals[i].len);
	}
	printf("%s", b->inclusive ? close : (close[0] == ']' ? ")" : "("));
}

static void dump_mutation(const sst_meta *mt, const st_mutation *m)
{
	printf("partition token=%lld key=", (long long)m->token);
	dump_val(mt->key_type->kind == TY_CUSTOM ? ty_simple(TY_BLOB) : mt->key_type, m->key, m->keylen);
	if (m->pdel.ts != ST_NO_TS)
		printf(" pdel(%lld,%lld)", (long long)m->pdel.ts, (long long)m->pdel.ldt);
	printf("\n");
	if (m->static_row) {
		printf("  static:");
		dump_cells(mt, m->static_row);
		printf("\n");
	}
	for (const st_mrow *r = m->rows; r; r = r->next) {
		printf("  row (");
		for (int i = 0; i < r->nclust; i++) {
			if (i)
				printf(",");
			dump_val(mt->clust[i].type, r->clust[i].p, r->clust[i].len);
		}
		printf("):");
		dump_cells(mt, r);
		printf("\n");
	}
	for (const st_range_tomb *t = m->rts; t; t = t->next) {
		printf("  rt ");
		dump_bound(mt, "[", &t->start, "");
		printf(" .. ");
		dump_bound(mt, "", &t->end, "]");
		printf(" del(%lld,%lld)\n", (long long)t->del.ts, (long long)t->del.ldt);
	}
}

/* Iterate everything; returns partitions or -1 (error printed). */
static int iterate_all(sst_reader *r, sst_counts *c)
{
	hl_arena *a = hl_arena_new(1 << 16);
	st_mutation *m;
	hl_err err;
	int n = 0, rc;

	hl_err_clear(&err);
	sst_rewind(r);
	const char *dump = getenv("HL_SST_DUMP");
	bool show = dump && *dump && strstr(sst_info(r)->partitioner_class, "") &&
		    strstr(last_dir, dump);

	while ((rc = sst_next_partition(r, a, &m, &err)) == 1) {
		n++;
		if (show && n <= 20)
			dump_mutation(sst_info(r), m);
		hl_arena_reset(a);
	}
	if (rc < 0)
		fprintf(stderr, "iterate: %s\n", err.msg);
	sst_get_counts(r, c);
	hl_arena_free(a);
	return rc < 0 ? -1 : n;
}

/* Every key must be in the bloom filter and found by a point lookup. */
static void check_lookups(sst_reader *r, const char *what)
{
	hl_arena *a = hl_arena_new(1 << 16), *b = hl_arena_new(1 << 16);
	st_mutation *m, *g;
	hl_err err;
	int rc, bad = 0, n = 0;

	hl_err_clear(&err);
	sst_rewind(r);
	while ((rc = sst_next_partition(r, a, &m, &err)) == 1) {
		n++;
		if (!sst_may_contain(r, m->key, m->keylen))
			bad++;
		if (sst_get_partition(r, m->key, m->keylen, m->token, b, &g, &err) != 1 ||
		    g->keylen != m->keylen || memcmp(g->key, m->key, m->keylen) != 0 ||
		    g->nrows != m->nrows || g->nrts != m->nrts)
			bad++;
		/* a key that is not there: this one with a byte appended */
		{
			uint8_t k[1024];
			size_t kl = m->keylen < 1000 ? m->keylen : 1000;

			memcpy(k, m->key, kl);
			k[kl] = 0xEE;
			if (sst_get_partition(r, k, kl + 1, hl_token(k, kl + 1), b, &g, &err) != 0)
				bad++;
		}
		hl_arena_reset(a);
		hl_arena_reset(b);
	}
	if (bad || rc < 0)
		fprintf(stderr, "%s: %d lookup/bloom failures (%s)\n", what, bad, rc < 0 ? err.msg : "");
	CHECK(bad == 0 && rc == 0 && n > 0);
	hl_arena_free(a);
	hl_arena_free(b);
}

/* ------------------------------------------------------------ the table */

typedef struct fx_case {
	const char *dir;
	const char *base;
	int parts, rows, rts, statics; /* statics < 0: not checked */
	bool bop;
	int digest_ok;                 /* 1 ok, 0 mismatch */
	int64_t blocks;                /* promoted index blocks, -1: not checked */
} fx_case;

#define SC "scylladb/3.x/uncompressed/"
static const fx_case cases[] = {
	{ "apache-cassandra/legacy-sstables/mc/legacy_tables/legacy_mc_inaccurate_min_max", "mc-1-big", 1, 1, 2, -1, true, 1, 0 },
	{ "apache-cassandra/negative-ldts-invalid-deletions-test/invalid_range_tombstone_compaction", "nb-1-big", 3, 3, 2, -1, false, 1, 0 },
	{ "apache-cassandra/negative-ldts-invalid-deletions-test/invalid_range_tombstone_reader", "nb-1-big", 1, 100, 2, -1, false, 1, 0 },
	{ "apache-cassandra/negative-local-expiration-test/table1", "mc-1-big", 2, 2, 0, -1, false, 1, 0 },
	{ "apache-cassandra/negative-local-expiration-test/table2", "mc-1-big", 2, 2, 0, -1, false, 1, 0 },
	{ "apache-cassandra/negative-local-expiration-test/table3", "mc-1-big", 2, 2, 0, -1, false, 1, 0 },
	{ "apache-cassandra/negative-local-expiration-test/table4", "mc-1-big", 2, 2, 0, -1, false, 1, 0 },
	{ "scylladb/3.x/deflate/partition_key_with_values_of_different_types", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ "scylladb/3.x/lz4/partition_key_with_values_of_different_types", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ "scylladb/3.x/snappy/partition_key_with_values_of_different_types", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ "scylladb/3.x/lz4/integrity_check/invalid_digest", "me-1-big", 5, 5, 0, -1, false, 0, -1 },
	{ SC "integrity_check/invalid_digest", "me-1-big", 5, 5, 0, -1, false, 0, -1 },
	{ SC "collections", "mc-1-big", 5, 5, 0, 0, false, 1, -1 },
	{ SC "compact_deleted_cell", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "compact_deleted_cell", "mc-2-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "compact_deleted_row", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "compact_deleted_row", "mc-2-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "compound_ck", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "compound_static_row", "mc-1-big", 5, 5, 0, 5, false, 1, -1 },
	{ SC "counters", "mc-1-big", 3, 3, 0, -1, false, 1, -1 },
	{ SC "deleted_cells", "mc-1-big", 1, 5, 0, -1, false, 1, -1 },
	{ SC "empty_clustering_key", "mc-1-big", 10, 10, 0, -1, false, 1, -1 },
	{ SC "filtering_and_forwarding", "mc-1-big", 2, 20, 0, 1, false, 1, -1 },
	{ SC "filtering_and_forwarding_range_tombstones", "mc-1-big", 2, 87382, 174764, 2, false, 1, -1 },
	{ SC "large_subset_of_columns_dense", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "large_subset_of_columns_sparse", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "partition_key_only", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "partition_key_with_value", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "partition_key_with_values_of_different_types", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "range_tombstones_partial", "mc-1-big", 1, 1, 4, -1, false, 1, -1 },
	{ SC "range_tombstones_simple", "mc-1-big", 1, 5, 5, -1, false, 1, -1 },
	{ SC "read_empty_index", "mc-1-big", 1, 1, 0, -1, false, 1, 0 },
	{ SC "read_missing_summary", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "read_range_tombstone_boundaries_index", "mc-1-big", 1, 0, 1023, -1, false, 1, -1 },
	{ SC "read_two_rows_fast_forwarding", "mc-1-big", 1, 2, 0, -1, false, 1, -1 },
	{ SC "simple", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "skip_using_index_rows", "mc-1-big", 2, 2048, 0, 2, false, 1, -1 },
	{ SC "slicing_interleaved_rows_and_rts", "mc-1-big", 1, 26215, 52430, 1, false, 1, -1 },
	{ SC "static_row", "mc-1-big", 5, 5, 0, 5, false, 1, -1 },
	{ SC "subset_of_columns", "mc-1-big", 5, 5, 0, -1, false, 1, -1 },
	{ SC "write_collection_incremental_update", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_collection_wide_update", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_compact_table", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_composite_clustering_key", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_composite_partition_key", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_dead_row_marker", "mc-1-big", 1, 1, 0, 1, false, 1, -1 },
	{ SC "write_deleted_column", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_deleted_row", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_different_types", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_empty_clustering_values", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_large_clustering_key", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_missing_columns_large_set", "mc-1-big", 1, 2, 0, -1, false, 1, -1 },
	{ SC "write_multiple_partitions", "mc-1-big", 3, 3, 0, -1, false, 1, -1 },
	{ SC "write_multiple_rows", "mc-1-big", 1, 3, 0, -1, false, 1, -1 },
	{ SC "write_non_adjacent_range_tombstones", "mc-1-big", 1, 0, 4, -1, false, 1, -1 },
	{ SC "write_simple_range_tombstone", "mc-1-big", 1, 0, 2, -1, false, 1, -1 },
	{ SC "write_static_row", "mc-1-big", 1, 0, 0, 1, false, 1, -1 },
	{ SC "write_ttled_column", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_ttled_row", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
	{ SC "write_user_defined_type_table", "mc-1-big", 1, 1, 0, -1, false, 1, -1 },
};

static void run_case(const fx_case *c)
{
	sst_reader *r = open_fx(c->dir, c->base, NULL, c->bop);
	sst_counts cnt;
	hl_err err;
	int n;

	CHECK(r != NULL);
	if (!r)
		return;
	n = iterate_all(r, &cnt);
	if (n != c->parts || cnt.rows != c->rows || cnt.rt_markers != c->rts ||
	    (c->statics >= 0 && cnt.statics != c->statics))
		fprintf(stderr, "%s/%s: got %d parts %lld rows %lld rts %lld statics\n", c->dir, c->base, n,
			(long long)cnt.rows, (long long)cnt.rt_markers, (long long)cnt.statics);
	CHECK_EQ_I64(n, c->parts);
	CHECK_EQ_I64(cnt.rows, c->rows);
	CHECK_EQ_I64(cnt.rt_markers, c->rts);
	if (c->statics >= 0)
		CHECK_EQ_I64(cnt.statics, c->statics);
	if (c->blocks >= 0)
		CHECK_EQ_I64(sst_info(r)->promoted_blocks, c->blocks);
	CHECK_EQ_I64(sst_info(r)->index_entries, c->parts);
	hl_err_clear(&err);
	CHECK_EQ_I64(sst_verify_digest(r, &err) == 0, c->digest_ok);
	if (c->digest_ok) {
		hl_err_clear(&err);
		if (sst_verify(r, &err))
			fprintf(stderr, "%s: %s\n", c->dir, err.msg);
		CHECK(sst_verify(r, &err) == 0);
	}
	check_lookups(r, c->dir);
	sst_close(r);
}

static const char *const versions[] = { "ma", "mb", "mc", "md", "me", "na", "nb", "oa" };

static void test_legacy_counts(void)
{
	static const char *const tables[] = { "simple", "simple_counter", "clust", "clust_counter" };

	for (size_t v = 0; v < 8; v++)
		for (int t = 0; t < 4; t++) {
			char dir[512], base[32];
			fx_case c = { dir, base, 5, t < 2 ? 5 : 250, 0, -1, true, 1, t < 2 ? 0 : 65 };

			snprintf(dir, sizeof(dir), "apache-cassandra/legacy-sstables/%s/legacy_tables/legacy_%s_%s",
				 versions[v], versions[v], tables[t]);
			snprintf(base, sizeof(base), "%s-1-big", versions[v]);
			run_case(&c);
		}
}

static void test_fixture_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* ------------------------------------------------------------ values */

/* The CQL text of a cell value, in a static buffer. */
static const char *cql_of(const ty_type *t, const uint8_t *p, size_t n)
{
	static char out[4096];
	hl_buf b;

	hl_buf_init(&b);
	if (ty_to_cql(t, p, n, &b) == 0)
		snprintf(out, sizeof(out), "%.*s", (int)b.len, (const char *)b.p);
	else
		snprintf(out, sizeof(out), "<bad>");
	hl_buf_free(&b);
	return out;
}

static const st_cell *find_cell(const st_mrow *r, int col)
{
	for (const st_cell *c = r->cells; c; c = c->next)
		if (c->col == col)
			return c;
	return NULL;
}

static const char *const clust_vals[] = {
	"ftzoazjbohvmcdapafmgerkdrcqqhixhfqoasklsfjbbubbhcahxnljfgxvmiprapmexbduesgleepqpgjdpxtoxeldnokapzqimsgpyshbrosspfgtlpwlasbibibsz",
	"xhjslncmrlawwklkjfielihyxhvjveflytyozhloteietrhlvfhjufpksjnoisyensxbsnncsqsapktkvcmjuybwauwzgifurwmnoqlhlnkoasjupuhqoqjtjubfnvpw",
	"lcwqmhfwfoddagjtftqbfuvvrbwmdsgrygoscskugthnycyavmokaekgqvnkplaiduxfhpbjrqfejvvxsalbdklrgaqxixmpfjgenclvpdlfdjwklluhkgkbphrrwpxk",
	"rmutqivrrhbtaatvlazzffickifqhpcgawugxdjwntjunopwdabeabwoigqakgjsinmkblrskzrogjbizvqhwhzchvqlhlzxhoabjgjcxamofytnzhnxlpyhylzlrzdt",
	"oixgnbacuexwrsuuwzjuszpgsdswwtwepgqasmaymumevsvgdpogvetmrhbxgwelokmvkqmqdrhxlhzqbtgddexfvfeymprrbgsnmsnuprimiclezljvhsmmvqxcwzvj",
	"tilwrdsqcbziyboacbzwaqbclreiftzigpsrucqodvzsekvwlatkgndaqzbhcxizkybkkcnqdypjmlmaijqmzgqgprpxuawfbbrtvghiouregebrudkhucnbwlagwdaa",
	"lxvwpnwfbdpmayjujittwghygywemwpvlemfkutzstfbiednkferyifrvvauhpdowraebccylljbibrbolnnoifwjkspqzgjdihyknypyzricuymwknfitpvjmvpcxob",
	"rvuxpepvjxefzigbwqiygtxglwthqvrmbvqhewhyaznsquqbfualplyzbeqjeuylznsjivvrwwiajaxykiodasryolrtzpvduxfukbvcrrrjdokvklidxbzdvenrpddn",
};

static const char *const counter_ids[] = {
	"e2ed855c-5e95-478c-b4be-c26512e28ad8", "c260be8e-b0e7-424b-936f-0fa1f5a329ae",
	"af0b0065-9940-4183-913b-69c254a064d2", "3ad08cdf-b9df-4934-9638-c5cb6b2b51b1",
	"cd74f90b-b087-4b65-8743-9eb06642c42d", "9bb7ed77-309c-47fd-8599-3f247153610d",
	"f8474a0c-8218-4948-8397-1005c9147a26", "2896de5c-786d-411e-94a8-25c8f24fa728",
};

/* The ck of row i in UTF-8 byte order, as the legacy generator wrote them. */
static void legacy_ck(int i, char *out)
{
	int n = sprintf(out, "%d", i);

	for (int k = 0; k < 120; k++, n += 10)
		memcpy(out + n, "0123456789", 10);
	out[n] = 0;
}

static void test_legacy_values(void)
{
	/* the 50 cks in UTF-8 byte order (what Cassandra's UTF8Type sort gives) */
	static char cks[50][1300];
	int order[50];
	char ck[1300], name[64];

	for (int i = 0; i < 50; i++) {
		legacy_ck(i, cks[i]);
		order[i] = i;
	}
	for (int i = 1; i < 50; i++)
		for (int j = i; j > 0 && strcmp(cks[order[j - 1]], cks[order[j]]) > 0; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t v = 0; v < 8; v++) {
		char dir[256], base[16];
		const char *tables[] = { "simple", "clust", "simple_counter", "clust_counter" };

		snprintf(base, sizeof(base), "%s-1-big", versions[v]);
		for (int t = 0; t < 4; t++) {
			sst_reader *r;
			hl_arena *a = hl_arena_new(1 << 16);
			st_mutation *m;
			hl_err err;
			int np = 0, bad = 0;

			snprintf(dir, sizeof(dir), "apache-cassandra/legacy-sstables/%s/legacy_tables/legacy_%s_%s",
				 versions[v], versions[v], tables[t]);
			r = open_fx(dir, base, NULL, true);
			CHECK(r != NULL);
			if (!r) {
				hl_arena_free(a);
				continue;
			}
			if (t == 0) {
				CHECK_EQ_I64(sst_info(r)->partitioner, SST_BYTE_ORDERED);
				CHECK_STR(sst_info(r)->regulars[0].name, "val");
				CHECK_EQ_I64(sst_info(r)->regulars[0].type->kind, TY_TEXT);
				CHECK_EQ_I64(sst_info(r)->key_type->kind, TY_TEXT);
				CHECK_STR(sst_info(r)->compressor, "LZ4Compressor");
				CHECK_EQ_I64(sst_info(r)->chunk_length,
					     versions[v][0] == 'm' || strcmp(versions[v], "na") == 0 ? 65536 : 16384);
			}
			if (t >= 2 && sst_info(r)->has_host_id) {
				char u[37];

				hl_uuid_str(&sst_info(r)->host_id, u);
				CHECK_STR(u, counter_ids[v]);
			}
			hl_err_clear(&err);
			while (sst_next_partition(r, a, &m, &err) == 1) {
				int i = 0;

				/* ByteOrdered: "0".."4" */
				snprintf(name, sizeof(name), "%d", np);
				if (m->keylen != 1 || m->key[0] != name[0])
					bad++;
				for (const st_mrow *row = m->rows; row; row = row->next, i++) {
					const st_cell *c = find_cell(row, 0);

					if (!c) {
						bad++;
						continue;
					}
					if (t == 0 && (c->len != 11 || memcmp(c->value, "foo bar baz", 11)))
						bad++;
					if (t == 1 && (c->len != 128 || memcmp(c->value, clust_vals[v], 128)))
						bad++;
					if (t >= 2 && (c->len != 8 || ty_get_bigint(c->value, 8) != 1))
						bad++;
					if (t == 1 || t == 3) {
						legacy_ck(order[i < 50 ? i : 0], ck);
						if (row->nclust != 1 || row->clust[0].len != strlen(ck) ||
						    memcmp(row->clust[0].p, ck, strlen(ck)))
							bad++;
					}
					if (t < 2 && row->marker.ts == ST_NO_TS)
						bad++;
				}
				if (i != (t % 2 ? 50 : 1))
					bad++;
				np++;
				hl_arena_reset(a);
			}
			if (bad)
				fprintf(stderr, "%s: %d bad values\n", dir, bad);
			CHECK_EQ_I64(bad, 0);
			CHECK_EQ_I64(np, 5);
			sst_close(r);
			hl_arena_free(a);
		}
	}
}

/* Iterate one fixture into an arena; returns the mutations in order. */
static int load_all(const char *rel, const char *base, hl_arena *a, st_mutation **out, int max,
		    sst_reader **rout)
{
	sst_reader *r = open_fx(rel, base, NULL, false);
	hl_err err;
	int n = 0;

	hl_err_clear(&err);
	if (!r)
		return -1;
	while (n < max && sst_next_partition(r, a, &out[n], &err) == 1)
		n++;
	if (rout)
		*rout = r;
	else
		sst_close(r);
	return n;
}

static int32_t int_of(const uint8_t *p, size_t n)
{
	return ty_get_int(p, n);
}

static void test_scylla_values(void)
{
	hl_arena *a = hl_arena_new(1 << 16);
	st_mutation *m[16];
	sst_reader *r;
	int n;

	/* simple: (pk,ck,val) = (1,101,1001)..(5,105,1005), Murmur3 order 5,1,2,4,3 */
	n = load_all(SC "simple", "mc-1-big", a, m, 16, NULL);
	CHECK_EQ_I64(n, 5);
	{
		static const int want[] = { 5, 1, 2, 4, 3 };

		for (int i = 0; i < n && i < 5; i++) {
			const st_mrow *row = m[i]->rows;

			CHECK_EQ_I64(int_of(m[i]->key, m[i]->keylen), want[i]);
			CHECK_EQ_I64(m[i]->token, hl_token(m[i]->key, m[i]->keylen));
			CHECK(row && row->nclust == 1);
			if (!row)
				continue;
			CHECK_EQ_I64(int_of(row->clust[0].p, row->clust[0].len), 100 + want[i]);
			CHECK(find_cell(row, 0) && int_of(find_cell(row, 0)->value, 4) == 1000 + want[i]);
		}
	}
	hl_arena_reset(a);

	/* write_different_types: one row, every scalar type */
	n = load_all(SC "write_different_types", "mc-1-big", a, m, 16, &r);
	CHECK_EQ_I64(n, 1);
	if (n == 1) {
		static const char *const want[] = {
			"'hello'", "9223372036854775807", "0x6772656174", "true", "'2017-05-05'", "5.45",
			"36.6", "1h4m48s20ms", "7.62", "'192.168.0.110'", "-2147483648", "32767",
			"50554d6e-29bb-11e5-b345-feff819cdc9f", "'19:45:05.090000000'", "127",
			"'2015-05-01 09:30:54.234000+0000'", "01234567-0123-0123-0123-0123456789ab", "'привет'",
			"123",
		};
		const sst_meta *mt = sst_info(r);

		CHECK_EQ_I64(mt->nregular, 19);
		CHECK_STR(mt->regulars[0].name, "asciival");
		CHECK_STR(mt->regulars[0].type_str, "org.apache.cassandra.db.marshal.AsciiType");
		CHECK_STR(mt->regulars[18].name, "varintval");
		for (int i = 0; i < 19 && i < mt->nregular; i++) {
			const st_cell *c = find_cell(m[0]->rows, i);

			CHECK(c != NULL);
			if (c)
				CHECK_STR(cql_of(mt->regulars[i].type, c->value, c->len), want[i]);
		}
		CHECK_EQ_I64(m[0]->rows->marker.ts, 1525385507816568LL);
	}
	sst_close(r);
	hl_arena_reset(a);

	/* collections: list<text>, map<int,text>, set<int> in header (name) order */
	n = load_all(SC "collections", "mc-1-big", a, m, 16, &r);
	CHECK_EQ_I64(n, 5);
	if (n >= 2) {
		const sst_meta *mt = sst_info(r);
		const st_mrow *row = m[1]->rows;     /* pk 1 */
		int nl = 0, nm = 0, ns = 0, ncd = 0;

		CHECK_EQ_I64(int_of(m[1]->key, m[1]->keylen), 1);
		CHECK_STR(mt->regulars[0].name, "list_val");
		CHECK(mt->regulars[0].complex && mt->regulars[0].type->kind == TY_LIST);
		CHECK(mt->regulars[1].type->kind == TY_MAP && mt->regulars[2].type->kind == TY_SET);
		for (const st_cell *c = row->cells; c; c = c->next) {
			char want[32];

			CHECK(c->path != NULL);
			if (c->col == 0) {
				snprintf(want, sizeof(want), "'Text %d'", ++nl);
				CHECK_STR(cql_of(ty_simple(TY_TEXT), c->value, c->len), want);
				CHECK_EQ_I64(c->path_len, 16);
			} else if (c->col == 1) {
				nm++;
				CHECK_EQ_I64(int_of(c->path, c->path_len), nm);
				snprintf(want, sizeof(want), "'Text %d'", nm);
				CHECK_STR(cql_of(ty_simple(TY_TEXT), c->value, c->len), want);
			} else {
				ns++;
				CHECK_EQ_I64(int_of(c->path, c->path_len), ns);
				CHECK_EQ_I64(c->len, 0);
			}
		}
		for (const st_complex_del *d = row->cdels; d; d = d->next) {
			ncd++;
			CHECK_EQ_I64(d->del.ts, row->marker.ts - 1);
		}
		CHECK(nl == 3 && nm == 3 && ns == 3 && ncd == 3);
	}
	sst_close(r);
	hl_arena_reset(a);

	/* counters: pk1 = 3, pk2 = 2, pk3 = 6 */
	n = load_all(SC "counters", "mc-1-big", a, m, 16, NULL);
	CHECK_EQ_I64(n, 3);
	for (int i = 0; i < n && i < 3; i++) {
		static const int want[] = { 3, 2, 6 };
		const st_cell *c = m[i]->rows ? find_cell(m[i]->rows, 0) : NULL;

		CHECK_EQ_I64(int_of(m[i]->key, m[i]->keylen), i + 1);
		CHECK(c && c->len == 8 && ty_get_bigint(c->value, 8) == want[i]);
	}
	hl_arena_reset(a);

	/* static row only: ('key1', st1 1135, st2 'hello') */
	n = load_all(SC "write_static_row", "mc-1-big", a, m, 16, NULL);
	CHECK_EQ_I64(n, 1);
	if (n == 1) {
		CHECK(m[0]->static_row && m[0]->nrows == 0);
		CHECK_EQ_I64(m[0]->token, 1573573083296714675LL);
		CHECK(m[0]->static_row && int_of(find_cell(m[0]->static_row, 0)->value, 4) == 1135);
		CHECK(m[0]->static_row && find_cell(m[0]->static_row, 1)->len == 5);
	}
	hl_arena_reset(a);

	/* TTLs: row (1,2,3) USING TTL 1135 */
	n = load_all(SC "write_ttled_row", "mc-1-big", a, m, 16, NULL);
	CHECK(n == 1 && m[0]->rows && m[0]->rows->marker.ttl == 1135);
	if (n == 1 && m[0]->rows) {
		const st_cell *c = find_cell(m[0]->rows, 0);

		CHECK(c && c->ttl == 1135 && c->ldt == m[0]->rows->marker.expire);
	}
	hl_arena_reset(a);

	/* deleted row and deleted cell */
	n = load_all(SC "write_deleted_row", "mc-1-big", a, m, 16, NULL);
	CHECK(n == 1 && m[0]->rows && m[0]->rows->del.ts == 1525385507816568LL &&
	      m[0]->rows->marker.ts == ST_NO_TS);
	hl_arena_reset(a);
	n = load_all(SC "write_deleted_column", "mc-1-big", a, m, 16, NULL);
	CHECK(n == 1 && m[0]->rows && m[0]->rows->cells && st_cell_is_tombstone(m[0]->rows->cells));
	hl_arena_reset(a);

	/* range tombstones: (101,104), [104,105), (108,..] */
	n = load_all(SC "range_tombstones_simple", "mc-1-big", a, m, 16, NULL);
	CHECK(n == 1 && m[0]->nrts == 3);
	if (n == 1 && m[0]->nrts == 3) {
		const st_range_tomb *t = m[0]->rts;

		CHECK(t->start.n == 1 && !t->start.inclusive && int_of(t->start.vals[0].p, 4) == 101);
		CHECK(t->end.n == 1 && !t->end.inclusive && int_of(t->end.vals[0].p, 4) == 104);
		t = t->next;
		CHECK(t->start.n == 1 && t->start.inclusive && int_of(t->start.vals[0].p, 4) == 104);
		CHECK(t->end.n == 1 && !t->end.inclusive && int_of(t->end.vals[0].p, 4) == 105);
		t = t->next;
		CHECK(t->start.n == 1 && !t->start.inclusive && int_of(t->start.vals[0].p, 4) == 108);
		CHECK(t->end.n == 0 && t->end.inclusive);
	}
	hl_arena_reset(a);

	/* UDT frozen value and its type */
	n = load_all(SC "write_user_defined_type_table", "mc-1-big", a, m, 16, &r);
	if (n == 1) {
		const ty_type *t = sst_info(r)->regulars[0].type;
		const st_cell *c = find_cell(m[0]->rows, 0);

		CHECK(t->kind == TY_UDT && t->frozen && t->nsub == 3);
		CHECK_STR(t->udt_name, "ut");
		CHECK_STR(t->field_names[2], "my_text");
		CHECK(c != NULL);
		if (c)
			CHECK_STR(cql_of(t, c->value, c->len),
				  "{my_int: 1703, my_boolean: true, my_text: 'Санкт-Петербург'}");
	}
	sst_close(r);
	hl_arena_reset(a);

	/* negative-ldt nb: the whole-partition RT keeps ldt -1 */
	n = load_all("apache-cassandra/negative-ldts-invalid-deletions-test/invalid_range_tombstone_compaction",
		     "nb-1-big", a, m, 16, NULL);
	CHECK_EQ_I64(n, 3);
	if (n == 3) {
		CHECK_EQ_I64(int_of(m[0]->key, 4), 1);
		CHECK_EQ_I64(int_of(m[1]->key, 4), 0);
		CHECK_EQ_I64(int_of(m[2]->key, 4), 22);
		CHECK(m[2]->nrts == 1 && m[2]->rts->del.ldt == -1 && m[2]->rts->start.n == 0 &&
		      m[2]->rts->end.n == 0);
	}
	hl_arena_reset(a);

	/* TTL overflow past 2038 comes back as the unsigned time */
	n = load_all("apache-cassandra/negative-local-expiration-test/table1", "mc-1-big", a, m, 16, NULL);
	CHECK_EQ_I64(n, 2);
	if (n == 2 && m[0]->rows && m[0]->rows->cells)
		CHECK(m[0]->rows->cells->ttl == 630720000 && m[0]->rows->cells->ldt > INT32_MAX);
	hl_arena_free(a);
}

/* ------------------------------------------------------------ integrity */

static void test_integrity(void)
{
	sst_reader *r;
	sst_counts cnt;
	hl_err err;
	sst_opts o = { 0 };

	/* uncompressed, Data.db corrupted: CRC.db and Digest both disagree */
	r = open_fx(SC "integrity_check/invalid_checksums", "me-1-big", NULL, false);
	CHECK(r != NULL);
	if (r) {
		hl_err_clear(&err);
		CHECK(sst_verify(r, &err) == -1 && err.code == HL_ERR_SERVER);
		CHECK(strstr(err.msg, "Data.db") != NULL);
		hl_err_clear(&err);
		CHECK(sst_verify_digest(r, &err) == -1);
		CHECK(iterate_all(r, &cnt) == -1);   /* chunk CRCs are checked while reading */
		sst_close(r);
	}
	/* same file, CRCs not checked at read time: decoding must still not crash */
	o.skip_chunk_crc = true;
	hl_err_clear(&err);
	if (sst_open(fx_dir(SC "integrity_check/invalid_checksums"), "me-1-big", NULL, &o, &r, &err) == 0) {
		iterate_all(r, &cnt);
		sst_close(r);
	}
	/* LZ4, a chunk's CRC is wrong: decompression of that chunk is refused */
	r = open_fx("scylladb/3.x/lz4/integrity_check/invalid_checksums", "me-1-big", NULL, false);
	CHECK(r != NULL);
	if (r) {
		hl_err_clear(&err);
		CHECK(iterate_all(r, &cnt) == -1);
		hl_err_clear(&err);
		CHECK(sst_verify(r, &err) == -1 && strstr(err.msg, "checksum mismatch") != NULL);
		sst_close(r);
	}
	/* invalid digest, valid chunks */
	r = open_fx("scylladb/3.x/lz4/integrity_check/invalid_digest", "me-1-big", NULL, false);
	CHECK(r != NULL);
	if (r) {
		hl_err_clear(&err);
		CHECK(sst_verify(r, &err) == -1 && strstr(err.msg, "Digest") != NULL);
		CHECK_EQ_I64(iterate_all(r, &cnt), 5);
		sst_close(r);
	}
}

static void test_rejections(void)
{
	sst_reader *r = NULL;
	hl_err err;
	sst_opts o = { 0 };

	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "random_partitioner"), "mc-1-big", NULL, NULL, &r, &err) == -1);
	CHECK(strstr(err.msg, "RandomPartitioner") != NULL);
	o.allow_byte_ordered = true;
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "random_partitioner"), "mc-1-big", NULL, &o, &r, &err) == -1);
	/* ByteOrdered only when asked for */
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir("apache-cassandra/legacy-sstables/nb/legacy_tables/legacy_nb_simple"),
		       "nb-1-big", NULL, NULL, &r, &err) == -1);
	CHECK(strstr(err.msg, "ByteOrderedPartitioner") != NULL);
	/* BTI is not supported, nor unknown versions, nor missing files */
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir("apache-cassandra/legacy-sstables/da/legacy_tables/legacy_da_simple"),
		       "da-1-bti", NULL, &o, &r, &err) == -1);
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "simple"), "zz-1-big", NULL, NULL, &r, &err) == -1);
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "simple"), "mc-7-big", NULL, NULL, &r, &err) == -1);
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "simple"), "garbage", NULL, NULL, &r, &err) == -1);
}

static void test_schema_mapping(void)
{
	sst_column cols[2] = {
		{ "val", 7, false, NULL },
		{ "s", 3, true, NULL },
	};
	sst_schema sch = { 2, cols, 1, NULL, false };
	sst_reader *r;
	hl_arena *a = hl_arena_new(4096);
	st_mutation *m;
	hl_err err;

	/* static_row: (pk int, ck int, s int static, val int) */
	r = open_fx(SC "static_row", "mc-1-big", &sch, false);
	CHECK(r != NULL);
	if (r) {
		hl_err_clear(&err);
		CHECK(sst_next_partition(r, a, &m, &err) == 1);
		CHECK(m->static_row && m->static_row->cells && m->static_row->cells->col == 3);
		CHECK(m->rows && m->rows->cells && m->rows->cells->col == 7);
		CHECK_EQ_I64(ty_get_int(m->rows->cells->value, 4), 1005);
		sst_close(r);
	}
	/* a column the table does not know: error, or skipped on request */
	cols[1].name = "nope";
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "static_row"), "mc-1-big", &sch, NULL, &r, &err) == -1);
	CHECK(strstr(err.msg, "'s'") != NULL);
	sch.skip_unknown = true;
	r = open_fx(SC "static_row", "mc-1-big", &sch, false);
	CHECK(r != NULL);
	if (r) {
		hl_arena_reset(a);
		hl_err_clear(&err);
		CHECK(sst_next_partition(r, a, &m, &err) == 1);
		CHECK(m->static_row == NULL && m->rows && m->rows->ncells == 1);
		sst_close(r);
	}
	/* wrong clustering count or wrong column type */
	sch.nclust = 2;
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "static_row"), "mc-1-big", &sch, NULL, &r, &err) == -1);
	sch.nclust = 1;
	cols[0].type = ty_simple(TY_TEXT);
	hl_err_clear(&err);
	CHECK(sst_open(fx_dir(SC "static_row"), "mc-1-big", &sch, NULL, &r, &err) == -1);
	hl_arena_free(a);
}

static void test_marshal(void)
{
	hl_arena *a = hl_arena_new(4096);
	const ty_type *t;
	bool rev;
	hl_err err;
	const char *udt = "org.apache.cassandra.db.marshal.UserType(ks,7574,6d795f696e74:org.apache.cassandra.db.marshal.Int32Type)";

	hl_err_clear(&err);
	CHECK(sst_parse_marshal("org.apache.cassandra.db.marshal.Int32Type", strlen("org.apache.cassandra.db.marshal.Int32Type"), a, &t, &rev, &err) == 0 &&
	      t->kind == TY_INT && !rev);
	CHECK(sst_parse_marshal("org.apache.cassandra.db.marshal.ReversedType(org.apache.cassandra.db.marshal.LongType)",
				86, a, &t, &rev, &err) == 0 && t->kind == TY_BIGINT && rev);
	CHECK(sst_parse_marshal("MapType(Int32Type,FrozenType(ListType(UTF8Type)))", strlen("MapType(Int32Type,FrozenType(ListType(UTF8Type)))"), a, &t, &rev, &err) == 0 &&
	      t->kind == TY_MAP && !t->frozen && t->sub[1]->kind == TY_LIST && t->sub[1]->frozen);
	CHECK_STR(ty_name(t, a), "map<int, frozen<list<text>>>");
	CHECK(sst_parse_marshal("TupleType(Int32Type,BytesType)", strlen("TupleType(Int32Type,BytesType)"), a, &t, &rev, &err) == 0 &&
	      t->kind == TY_TUPLE && t->nsub == 2);
	CHECK(sst_parse_marshal(udt, strlen(udt), a, &t, &rev, &err) == 0 && t->kind == TY_UDT &&
	      !t->frozen && strcmp(t->udt_name, "ut") == 0 && strcmp(t->field_names[0], "my_int") == 0);
	CHECK(sst_parse_marshal("CompositeType(Int32Type,UTF8Type)", strlen("CompositeType(Int32Type,UTF8Type)"), a, &t, &rev, &err) == 0 &&
	      t->kind == TY_CUSTOM);
	CHECK(sst_parse_marshal("ListType(", strlen("ListType("), a, &t, &rev, &err) == -1);
	CHECK(sst_parse_marshal("MapType(Int32Type)", strlen("MapType(Int32Type)"), a, &t, &rev, &err) == -1);
	CHECK(sst_parse_marshal("Int32Type)", strlen("Int32Type)"), a, &t, &rev, &err) == -1);
	CHECK(sst_parse_marshal("", strlen(""), a, &t, &rev, &err) == -1);
	{
		char deep[400];
		int n = 0;

		for (int i = 0; i < 40; i++)
			n += sprintf(deep + n, "ListType(");
		CHECK(sst_parse_marshal(deep, (size_t)n, a, &t, &rev, &err) == -1);
	}
	hl_arena_free(a);
}

/* ------------------------------------------------------------ end to end */

/* Load a whole sstable into a fresh engine table laid out from its header. */
static st_engine *load_engine(const char *rel, const char *base, bool bop, hl_uuid *id,
			      hl_arena *keep, sst_reader **rout)
{
	sst_reader *r = open_fx(rel, base, NULL, bop);
	st_engine *e;
	st_table_layout l = { 0 };
	st_col *cols;
	const sst_meta *mt;
	hl_arena *a;
	st_mutation *m;
	hl_err err;
	int rc;

	if (!r)
		return NULL;
	mt = sst_info(r);
	cols = hl_arena_zalloc(keep, (size_t)(mt->nstatic + mt->nregular + 1) * sizeof(*cols));
	for (int i = 0; i < mt->nstatic + mt->nregular; i++) {
		const sst_hdr_col *h = i < mt->nstatic ? &mt->statics[i] : &mt->regulars[i - mt->nstatic];

		cols[i].is_static = h->is_static;
		cols[i].complex = h->complex;
		if (h->complex)
			cols[i].path_type = h->type->kind == TY_LIST ? ty_simple(TY_TIMEUUID) : h->type->sub[0];
	}
	hl_uuid_random(id);
	l.id = *id;
	l.nclust = mt->nclust;
	l.clust = mt->clust;
	l.ncols = mt->nstatic + mt->nregular;
	l.cols = cols;
	e = st_engine_new();
	hl_err_clear(&err);
	CHECK(st_create_table(e, &l, &err) == 0);
	a = hl_arena_new(1 << 16);
	while ((rc = sst_next_partition(r, a, &m, &err)) == 1) {
		if (st_apply(e, id, m, &err)) {
			fprintf(stderr, "st_apply: %s\n", err.msg);
			rc = -1;
			break;
		}
		hl_arena_reset(a);
	}
	CHECK_EQ_I64(rc, 0);
	hl_arena_free(a);
	*rout = r;
	return e;
}

static void test_engine(void)
{
	hl_arena *keep = hl_arena_new(4096), *out = hl_arena_new(1 << 16);
	sst_reader *r;
	st_engine *e;
	hl_uuid id;
	st_read_cmd c;
	st_result res;
	hl_err err;
	uint8_t key[4] = { 0, 0, 0, 2 };

	/* scylla simple: read partition 2 -> (102, 1002); full scan -> 5 rows */
	e = load_engine(SC "simple", "mc-1-big", false, &id, keep, &r);
	CHECK(e != NULL);
	if (e) {
		st_read_init(&c);
		c.kind = ST_READ_PARTITION;
		c.key = key;
		c.keylen = 4;
		c.token = hl_token(key, 4);
		c.now = 1600000000;
		hl_err_clear(&err);
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK(res.nparts == 1 && res.parts->nrows == 1);
		if (res.nparts == 1 && res.parts->nrows == 1) {
			const st_rrow *row = res.parts->rows;
			const st_rcell *v = st_rcell_find(row->cells, row->ncells, 0);

			CHECK_EQ_I64(ty_get_int(row->clust[0].p, row->clust[0].len), 102);
			CHECK(v && ty_get_int(v->value, v->len) == 1002);
		}
		st_read_init(&c);
		c.now = 1600000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK_EQ_I64(res.nparts, 5);
		CHECK_EQ_I64(res.nrows, 5);
		st_engine_free(e);
		sst_close(r);
	}
	hl_arena_reset(out);

	/* range tombstones shadow rows: 5 live rows of ck 101..110 remain */
	e = load_engine(SC "range_tombstones_simple", "mc-1-big", false, &id, keep, &r);
	if (e) {
		st_read_init(&c);
		c.now = 1600000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		/* the file holds 101 and 105..108; the shadowed rows were purged by Cassandra */
		CHECK_EQ_I64(res.nrows, 5);
		st_engine_free(e);
		sst_close(r);
	}
	hl_arena_reset(out);

	/* legacy nb clust (ByteOrdered file into the Murmur3 engine): 250 rows,
	 * partition '3' has 50 rows with the nb val string */
	e = load_engine("apache-cassandra/legacy-sstables/nb/legacy_tables/legacy_nb_clust", "nb-1-big", true,
			&id, keep, &r);
	if (e) {
		st_read_init(&c);
		c.now = 1700000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK_EQ_I64(res.nrows, 250);
		st_read_init(&c);
		c.kind = ST_READ_PARTITION;
		c.key = (const uint8_t *)"3";
		c.keylen = 1;
		c.token = hl_token("3", 1);
		c.now = 1700000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK(res.nparts == 1 && res.parts->nrows == 50);
		if (res.nparts == 1 && res.parts->rows) {
			const st_rcell *v = st_rcell_find(res.parts->rows->cells, res.parts->rows->ncells, 0);

			CHECK(v && v->len == 128 && memcmp(v->value, clust_vals[6], 128) == 0);
			CHECK(v && v->ts >= sst_info(r)->min_ts && v->ts <= sst_info(r)->max_ts);
			CHECK_EQ_I64(sst_info(r)->min_ts, 1620986780251000LL);
		}
		st_engine_free(e);
		sst_close(r);
	}
	hl_arena_reset(out);

	/* collections through the engine: pk 1 has 3 list + 3 map + 3 set cells */
	e = load_engine(SC "collections", "mc-1-big", false, &id, keep, &r);
	if (e) {
		uint8_t k1[4] = { 0, 0, 0, 1 };

		st_read_init(&c);
		c.kind = ST_READ_PARTITION;
		c.key = k1;
		c.keylen = 4;
		c.token = hl_token(k1, 4);
		c.now = 1600000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK(res.nparts == 1 && res.parts->nrows == 1 && res.parts->rows->ncells == 9);
		st_engine_free(e);
		sst_close(r);
	}
	hl_arena_reset(out);

	/* static row: partition 1 -> s = 101 */
	e = load_engine(SC "static_row", "mc-1-big", false, &id, keep, &r);
	if (e) {
		uint8_t k1[4] = { 0, 0, 0, 1 };
		const st_rcell *s;

		st_read_init(&c);
		c.kind = ST_READ_PARTITION;
		c.key = k1;
		c.keylen = 4;
		c.token = hl_token(k1, 4);
		c.now = 1600000000;
		CHECK(st_read(e, &id, &c, out, &res, &err) == 0);
		CHECK(res.nparts == 1);
		if (res.nparts == 1) {
			s = st_rcell_find(res.parts->statics, res.parts->nstatic, 0);
			CHECK(s && ty_get_int(s->value, s->len) == 101);
		}
		st_engine_free(e);
		sst_close(r);
	}
	hl_arena_free(out);
	hl_arena_free(keep);
}

/* ------------------------------------------------------------ corruption */

static int copy_file(const char *from, const char *to)
{
	FILE *f = fopen(from, "rb"), *g;
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	g = fopen(to, "wb");
	if (!g) {
		fclose(f);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, g);
	fclose(f);
	fclose(g);
	return 0;
}

/* Open, iterate, look up and verify, ignoring the outcome: must not crash. */
static void exercise(const char *dir, const char *base, bool skip_crc)
{
	sst_opts o = { true, skip_crc };
	sst_reader *r;
	hl_err err;
	hl_arena *a;
	st_mutation *m;

	hl_err_clear(&err);
	if (sst_open(dir, base, NULL, &o, &r, &err))
		return;
	a = hl_arena_new(4096);
	while (sst_next_partition(r, a, &m, &err) == 1)
		;
	sst_get_partition(r, "1", 1, hl_token("1", 1), a, &m, &err);
	sst_get_partition(r, "\0\0\0\1", 4, hl_token("\0\0\0\1", 4), a, &m, &err);
	sst_verify(r, &err);
	hl_arena_free(a);
	sst_close(r);
}

static void mutate_component(const char *tmp, const char *base, const char *comp, bool skip_crc)
{
	char path[8400], orig[8500];
	FILE *f;
	long len;
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s-%s", tmp, base, comp);
	snprintf(orig, sizeof(orig), "%s.orig", path);
	if (rename(path, orig) != 0)
		return;
	f = fopen(orig, "rb");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		len = 0;
	fclose(f);
	/* big components (Statistics.db) are sampled to keep the test quick */
	long step = len > 600 ? len / 300 : 1;

	for (long i = 0; i < len; i += (i < 64 || len - i < 256) ? 1 : step) {
		for (int kind = 0; kind < 2; kind++) {
			/* kind 0: flip a byte; kind 1: truncate */
			f = fopen(path, "wb");
			if (kind == 0) {
				buf[i] ^= 0xA5;
				fwrite(buf, 1, (size_t)len, f);
				buf[i] ^= 0xA5;
			} else {
				fwrite(buf, 1, (size_t)i, f);
			}
			fclose(f);
			exercise(tmp, base, skip_crc);
		}
	}
	free(buf);
	unlink(path);
	rename(orig, path);
}

static void test_corruption(void)
{
	static const struct {
		const char *dir, *base;
		bool skip_crc;
	} fx[] = {
		{ SC "static_row", "mc-1-big", true },
		{ SC "range_tombstones_simple", "mc-1-big", true },
		{ SC "collections", "mc-1-big", true },
		{ "apache-cassandra/legacy-sstables/oa/legacy_tables/legacy_oa_simple", "oa-1-big", true },
		{ "apache-cassandra/legacy-sstables/nb/legacy_tables/legacy_nb_simple_counter", "nb-1-big", false },
	};
	static const char *const comps[] = { "Data.db", "Index.db", "Summary.db", "Filter.db",
					      "CompressionInfo.db", "CRC.db", "Statistics.db", "TOC.txt" };
	char tmpl[] = "/tmp/hl-sst-XXXXXX";
	char *tmp = mkdtemp(tmpl);

	CHECK(tmp != NULL);
	if (!tmp)
		return;
	for (size_t f = 0; f < sizeof(fx) / sizeof(fx[0]); f++) {
		char from[8600], to[8400];

		for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
			snprintf(from, sizeof(from), "%s/%s-%s", fx_dir(fx[f].dir), fx[f].base, comps[c]);
			snprintf(to, sizeof(to), "%s/%s-%s", tmp, fx[f].base, comps[c]);
			copy_file(from, to);
		}
		/* CRC.db would reject every Data.db change; drop it to reach the decoders */
		if (fx[f].skip_crc) {
			snprintf(to, sizeof(to), "%s/%s-CRC.db", tmp, fx[f].base);
			unlink(to);
		}
		for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++)
			mutate_component(tmp, fx[f].base, comps[c], fx[f].skip_crc);
		for (size_t c = 0; c < sizeof(comps) / sizeof(comps[0]); c++) {
			snprintf(to, sizeof(to), "%s/%s-%s", tmp, fx[f].base, comps[c]);
			unlink(to);
		}
	}
	rmdir(tmp);
	CHECK(1);   /* reaching here without a sanitizer report is the check */
}

int main(void)
{
	test_marshal();
	if (!find_fixtures()) {
		printf("SKIP: sstable fixtures not found at %s (set HL_FIXTURES)\n", fx_root);
	} else {
		test_legacy_counts();
		test_fixture_table();
		test_legacy_values();
		test_scylla_values();
		test_integrity();
		test_rejections();
		test_schema_mapping();
		test_engine();
		test_corruption();
	}
	return T_DONE();
}
