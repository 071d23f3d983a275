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
	{
		st_bytes v = { (const uint8_t *)"\0\0\0\1", 4 };
		st_slice sl[2] = { { { 0, NULL, true }, { 1, &v, false } }, { { 1, &v, false }, { 0, NULL, true } } };
		int64_t tok;
		const uint8_t *k;
		size_t kl;

		sst_get_partition_slice(r, "1", 1, hl_token("1", 1), 2, sl, a, &m, &err);
		sst_get_partition_slice(r, "\0\0\0\1", 4, hl_token("\0\0\0\1", 4), 1, sl, a, &m, &err);
		sst_seek(r, hl_token("1", 1), "1", 1, false, &err);
		while (sst_peek_partition(r, &tok, &k, &kl, &err) == 1 && sst_skip_partition(r, &err) == 1)
			;
	}
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

/* ------------------------------------------------------------ writer */

#include <signal.h>
#include <sys/resource.h>

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* 1 when <a> and <b> exist and hold the same bytes. */
static int same_file(const char *a, const char *b, bool report)
{
	size_t la, lb;
	uint8_t *pa = slurp(a, &la), *pb = slurp(b, &lb);
	int same = pa && pb && la == lb && memcmp(pa, pb, la) == 0;

	if (!same && report && pa && pb) {
		size_t i = 0;

		while (i < la && i < lb && pa[i] == pb[i])
			i++;
		fprintf(stderr, "%s differs from %s: %zu vs %zu bytes, first difference at %zu\n", a, b, la,
			lb, i);
	}
	free(pa);
	free(pb);
	return same;
}

static char *mk_tmpdir(void)
{
	static char bufs[8][64];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, 64, "/tmp/hl-sstw-XXXXXX");
	return mkdtemp(b);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[8400];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, "..") != 0)) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The writer schema that maps columns like sst_open(schema NULL) does. */
static void schema_from_meta(const sst_meta *mt, hl_arena *a, sst_write_schema *s)
{
	sst_write_col *cols = hl_arena_zalloc(a, (size_t)(mt->nstatic + mt->nregular + 1) * sizeof(*cols));
	const ty_type **kt = hl_arena_alloc(a, sizeof(*kt));

	kt[0] = mt->key_type;
	for (int i = 0; i < mt->nstatic + mt->nregular; i++) {
		const sst_hdr_col *h = i < mt->nstatic ? &mt->statics[i] : &mt->regulars[i - mt->nstatic];

		cols[i].name = h->name;
		cols[i].index = i;
		cols[i].is_static = h->is_static;
		cols[i].type = h->type;
	}
	s->nkey = 1;
	s->key_types = kt;
	s->nclust = mt->nclust;
	s->clust = mt->clust;
	s->ncols = mt->nstatic + mt->nregular;
	s->cols = cols;
}

/*
 * Read a Cassandra-written fixture into mutations, write them back as nb
 * (uncompressed, same header, same EncodingStats) and compare Data.db and
 * Index.db byte for byte. Returns 1 when both match.
 */
static int rewrite_fixture(const char *rel, const char *base, uint32_t index_size, bool *index_same)
{
	sst_reader *r = open_fx(rel, base, NULL, false), *back = NULL;
	hl_arena *a = hl_arena_new(1 << 16);
	sst_write_schema s;
	sst_write_opts o = { 0 };
	sst_enc_stats enc, mine;
	sst_writer *w = NULL;
	st_mutation *m;
	hl_err err;
	char *dir = mk_tmpdir();
	char p1[8600], p2[8600];
	int rc, same = 0;
	const sst_meta *mt;

	*index_same = false;
	if (!r || !dir) {
		CHECK(0);
		goto exit;
	}
	mt = sst_info(r);
	schema_from_meta(mt, a, &s);
	enc.has_ts = enc.has_ldt = enc.has_ttl = true;
	enc.min_ts = mt->enc_min_ts;
	enc.min_ldt = mt->enc_min_ldt;
	enc.min_ttl = mt->enc_min_ttl;
	o.compressor = SST_COMPRESS_NONE;
	o.enc = &enc;
	o.no_sync = true;
	o.column_index_size = index_size;
	hl_err_clear(&err);
	CHECK(sst_writer_open(dir, 1, &s, &o, &w, &err) == 0);
	if (!w) {
		fprintf(stderr, "%s: %s\n", rel, err.msg);
		goto exit;
	}
	sst_enc_stats_init(&mine);
	while ((rc = sst_next_partition(r, a, &m, &err)) == 1) {
		sst_enc_stats_add(&mine, m);
		if (sst_writer_add(w, m, &err)) {
			fprintf(stderr, "%s: add: %s\n", rel, err.msg);
			sst_writer_abort(w);
			w = NULL;
			break;
		}
	}
	CHECK(rc == 0 && w);
	if (!w)
		goto exit;
	/* the collector reproduces the bases Cassandra's memtable recorded */
	if (!(mine.min_ts == enc.min_ts && (!mine.has_ldt || mine.min_ldt == enc.min_ldt) &&
	      (!mine.has_ttl || mine.min_ttl == enc.min_ttl)))
		fprintf(stderr, "%s: EncodingStats %lld/%lld/%d, file says %lld/%lld/%d\n", rel,
			(long long)mine.min_ts, (long long)mine.min_ldt, mine.min_ttl, (long long)enc.min_ts,
			(long long)enc.min_ldt, enc.min_ttl);
	CHECK(mine.min_ts == enc.min_ts);
	CHECK(sst_writer_finish(w, &err) == 0);
	snprintf(p1, sizeof(p1), "%s/nb-1-big-Data.db", dir);
	snprintf(p2, sizeof(p2), "%s/%s-Data.db", fx_dir(rel), base);
	same = same_file(p1, p2, true);
	snprintf(p1, sizeof(p1), "%s/nb-1-big-Index.db", dir);
	snprintf(p2, sizeof(p2), "%s/%s-Index.db", fx_dir(rel), base);
	*index_same = same_file(p1, p2, true);
	/* uncompressed: same Data.db means same Digest and CRC.db */
	snprintf(p1, sizeof(p1), "%s/nb-1-big-Digest.crc32", dir);
	snprintf(p2, sizeof(p2), "%s/%s-Digest.crc32", fx_dir(rel), base);
	if (same)
		CHECK(same_file(p1, p2, true));
	snprintf(p2, sizeof(p2), "%s/%s-CRC.db", fx_dir(rel), base);
	if (same && access(p2, R_OK) == 0) {
		snprintf(p1, sizeof(p1), "%s/nb-1-big-CRC.db", dir);
		CHECK(same_file(p1, p2, true));
	}
	/* our file's header types read back as the fixture's strings */
	hl_err_clear(&err);
	CHECK(sst_open(dir, "nb-1-big", NULL, NULL, &back, &err) == 0);
	if (back) {
		const sst_meta *bm = sst_info(back);

		CHECK_STR(bm->key_type_str, mt->key_type_str);
		CHECK_EQ_I64(bm->nclust, mt->nclust);
		for (int i = 0; i < bm->nclust && i < mt->nclust; i++)
			CHECK_STR(bm->clust_type_strs[i], mt->clust_type_strs[i]);
		CHECK_EQ_I64(bm->nregular, mt->nregular);
		for (int i = 0; i < bm->nregular && i < mt->nregular; i++)
			CHECK_STR(bm->regulars[i].type_str, mt->regulars[i].type_str);
		for (int i = 0; i < bm->nstatic && i < mt->nstatic; i++)
			CHECK_STR(bm->statics[i].type_str, mt->statics[i].type_str);
		CHECK_EQ_I64(bm->min_ts, mt->min_ts);
		CHECK_EQ_I64(bm->max_ts, mt->max_ts);
		CHECK_EQ_I64(bm->total_rows, mt->total_rows);
		CHECK_EQ_I64(bm->total_columns_set, mt->total_columns_set);
		hl_err_clear(&err);
		CHECK(sst_verify(back, &err) == 0);
		check_lookups(back, rel);
		sst_close(back);
	}
exit:
	if (r)
		sst_close(r);
	if (dir)
		rm_tree(dir);
	hl_arena_free(a);
	return same && *index_same;
}

static void test_writer_byte_exact(void)
{
	static const char *const fx[] = {
		"write_static_row", "write_composite_partition_key", "write_composite_clustering_key",
		"write_ttled_row", "write_ttled_column", "write_deleted_column", "write_deleted_row",
		"write_multiple_partitions", "write_multiple_rows", "write_different_types",
		"write_simple_range_tombstone", "write_non_adjacent_range_tombstones",
		"write_collection_wide_update", "write_collection_incremental_update",
		"write_empty_clustering_values", "write_large_clustering_key",
		"write_missing_columns_large_set", "write_user_defined_type_table", "write_dead_row_marker",
		"simple", "static_row", "compound_static_row", "compound_ck", "partition_key_only",
		"partition_key_with_value", "partition_key_with_values_of_different_types",
		"subset_of_columns", "large_subset_of_columns_sparse", "large_subset_of_columns_dense",
		"collections", "deleted_cells", "range_tombstones_simple", "range_tombstones_partial",
		"empty_clustering_key", "filtering_and_forwarding", "read_two_rows_fast_forwarding",
		"read_empty_index", "skip_using_index_rows", "read_range_tombstone_boundaries_index",
		"filtering_and_forwarding_range_tombstones", "slicing_interleaved_rows_and_rts",
	};
	int ndata = 0, nindex = 0;

	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		char rel[256];
		bool idx;
		int ok;

		snprintf(rel, sizeof(rel), SC "%s", fx[i]);
		ok = rewrite_fixture(rel, "mc-1-big", 65536, &idx);
		if (!ok)
			fprintf(stderr, "byte-exact: %s Data.db %s, Index.db %s\n", fx[i],
				ok ? "same" : "DIFFERS", idx ? "same" : "DIFFERS");
		CHECK(ok);
		ndata += ok;
		nindex += idx;
	}
	printf("writer byte-exact: %d of %zu fixtures identical (Data.db), %d (Index.db)\n", ndata,
	       sizeof(fx) / sizeof(fx[0]), nindex);
}

/* Canonical text of a mutation: cells and deletions sorted, so two
 * mutations with the same content print the same whatever their order. */
typedef struct canon_cell {
	const st_cell *c;
} canon_cell;

static int canon_cmp(const void *a, const void *b)
{
	const st_cell *x = ((const canon_cell *)a)->c, *y = ((const canon_cell *)b)->c;
	int c;

	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	c = memcmp(x->path ? x->path : (const uint8_t *)"", y->path ? y->path : (const uint8_t *)"",
		   x->path_len < y->path_len ? x->path_len : y->path_len);
	if (c)
		return c;
	return (x->path_len > y->path_len) - (x->path_len < y->path_len);
}

static void canon_hex(hl_buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char chunk[512];
	size_t k = 0;

	/* in chunks: the wide fixtures have kilobyte values by the thousand */
	for (size_t i = 0; i < n; i++) {
		chunk[k++] = hx[p[i] >> 4];
		chunk[k++] = hx[p[i] & 15];
		if (k == sizeof(chunk)) {
			hl_buf_put(b, chunk, k);
			k = 0;
		}
	}
	hl_buf_put(b, chunk, k);
}

static void canon_row(hl_buf *b, const st_mrow *r)
{
	canon_cell cs[2048];
	int n = 0, ncd = 0;
	const st_complex_del *cds[64];

	hl_buf_printf(b, " m(%lld,%d,%lld) d(%lld,%lld)", (long long)r->marker.ts, r->marker.ttl,
		      (long long)(r->marker.ttl ? r->marker.expire : 0), (long long)r->del.ts,
		      (long long)(r->del.ts == ST_NO_TS ? 0 : r->del.ldt));
	for (const st_complex_del *d = r->cdels; d && ncd < 64; d = d->next)
		cds[ncd++] = d;
	for (int i = 0; i < ncd; i++)
		for (int j = i + 1; j < ncd; j++)
			if (cds[j]->col < cds[i]->col) {
				const st_complex_del *t = cds[i];

				cds[i] = cds[j];
				cds[j] = t;
			}
	for (int i = 0; i < ncd; i++)
		hl_buf_printf(b, " cd%d(%lld,%lld)", cds[i]->col, (long long)cds[i]->del.ts,
			      (long long)cds[i]->del.ldt);
	for (const st_cell *c = r->cells; c && n < 2048; c = c->next)
		cs[n++].c = c;
	qsort(cs, (size_t)n, sizeof(cs[0]), canon_cmp);
	for (int i = 0; i < n; i++) {
		const st_cell *c = cs[i].c;

		hl_buf_printf(b, " c%d[", c->col);
		if (c->path)
			canon_hex(b, c->path, c->path_len);
		hl_buf_printf(b, "]@%lld/%d/%lld=", (long long)c->ts, c->ttl, (long long)c->ldt);
		canon_hex(b, c->value, c->len);
	}
	hl_buf_printf(b, "\n");
}

static void canon_bound(hl_buf *b, const st_bound *x)
{
	hl_buf_printf(b, "%c%d:", x->inclusive ? 'i' : 'x', x->n);
	for (int i = 0; i < x->n; i++) {
		canon_hex(b, x->vals[i].p, x->vals[i].len);
		hl_buf_printf(b, ",");
	}
}

static void canon(const st_mutation *m, hl_buf *b)
{
	hl_buf_printf(b, "key ");
	canon_hex(b, m->key, m->keylen);
	hl_buf_printf(b, " pdel(%lld,%lld)\n", (long long)m->pdel.ts,
		      (long long)(m->pdel.ts == ST_NO_TS ? 0 : m->pdel.ldt));
	if (m->static_row && (m->static_row->cells || m->static_row->cdels)) {
		hl_buf_printf(b, "static");
		canon_row(b, m->static_row);
	}
	for (const st_mrow *r = m->rows; r; r = r->next) {
		hl_buf_printf(b, "row ");
		for (int i = 0; i < r->nclust; i++) {
			canon_hex(b, r->clust[i].p, r->clust[i].len);
			hl_buf_printf(b, ",");
		}
		canon_row(b, r);
	}
	for (const st_range_tomb *t = m->rts; t; t = t->next) {
		hl_buf_printf(b, "rt ");
		canon_bound(b, &t->start);
		hl_buf_printf(b, " .. ");
		canon_bound(b, &t->end);
		hl_buf_printf(b, " (%lld,%lld)\n", (long long)t->del.ts, (long long)t->del.ldt);
	}
}

/* ---- the rich table ---- */

enum { RC_S1, RC_S2, RC_V1, RC_V2, RC_V3, RC_V4, RC_V5, RC_V6, RC_N };

typedef struct rich {
	hl_arena *a;
	const ty_type *kt[2];
	st_clust_col clust[2];
	sst_write_col wcols[RC_N];
	sst_column rcols[RC_N];
	sst_write_schema ws;
	sst_schema rs;
} rich;

static void rich_init(rich *x)
{
	static const char *const names[RC_N] = { "s1", "s2", "v1", "v2", "v3", "v4", "v5", "v6" };
	hl_arena *a = hl_arena_new(4096);
	const ty_type *types[RC_N];

	x->a = a;
	x->kt[0] = ty_simple(TY_INT);
	x->kt[1] = ty_simple(TY_TEXT);
	x->clust[0] = (st_clust_col){ ty_simple(TY_INT), false };
	x->clust[1] = (st_clust_col){ ty_simple(TY_TEXT), true };    /* DESC */
	types[RC_S1] = ty_simple(TY_INT);
	types[RC_S2] = ty_set(a, ty_simple(TY_TEXT), false);
	types[RC_V1] = ty_simple(TY_TEXT);
	types[RC_V2] = ty_simple(TY_BIGINT);
	types[RC_V3] = ty_map(a, ty_simple(TY_INT), ty_simple(TY_TEXT), false);
	types[RC_V4] = ty_list(a, ty_simple(TY_INT), false);
	types[RC_V5] = ty_simple(TY_BLOB);
	types[RC_V6] = ty_list(a, ty_simple(TY_INT), true);
	for (int i = 0; i < RC_N; i++) {
		x->wcols[i] = (sst_write_col){ names[i], i, i < RC_V1, types[i] };
		x->rcols[i] = (sst_column){ names[i], i, i < RC_V1, NULL };
	}
	x->ws = (sst_write_schema){ 2, x->kt, 2, x->clust, RC_N, x->wcols };
	x->rs = (sst_schema){ RC_N, x->rcols, 2, x->clust, false };
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* CompositeType bytes of (int i, text "k<i>") */
static size_t rich_key(int i, uint8_t *out)
{
	char t[16];
	int n = snprintf(t, sizeof(t), "k%d", i);
	size_t o = 0;

	out[o++] = 0;
	out[o++] = 4;
	put_be32(out + o, (uint32_t)i);
	o += 4;
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = (uint8_t)n;
	memcpy(out + o, t, (size_t)n);
	o += (size_t)n;
	out[o++] = 0;
	return o;
}

static st_bytes *rich_clust(hl_arena *a, int c1, const char *c2)
{
	st_bytes *v = hl_arena_alloc(a, 2 * sizeof(*v));
	uint8_t *p = hl_arena_alloc(a, 4);

	put_be32(p, (uint32_t)c1);
	v[0] = (st_bytes){ p, 4 };
	v[1] = (st_bytes){ (const uint8_t *)hl_arena_strdup(a, c2), (uint32_t)strlen(c2) };
	return v;
}

#define TS0 1700000000000000LL
#define NOW 1700000000LL

static st_mutation *rich_partition(hl_arena *a, int i)
{
	uint8_t key[64], v[256], tu[16];
	size_t kl = rich_key(i, key);
	st_mutation *m = st_mut_new(a, key, kl, hl_token(key, kl));
	st_mrow *s = st_mut_static(m);
	int nrows = i == 7 ? 400 : i % 5;

	if (i % 7 == 3)
		st_mut_delete_partition(m, TS0 - 5, NOW - 100);
	put_be32(v, (uint32_t)(1000 + i));
	st_row_cell(s, RC_S1, TS0 + i, 0, 0, v, 4);
	st_row_complex_delete(s, RC_S2, TS0 - 1, NOW);
	st_row_cell_path(s, RC_S2, "a", 1, TS0, 0, 0, "", 0);
	st_row_cell_path(s, RC_S2, "bb", 2, TS0, 0, 0, "", 0);
	for (int j = 0; j < nrows; j++) {
		char c2[16];
		st_mrow *r;
		int64_t ts = TS0 + j;

		snprintf(c2, sizeof(c2), "r%d", j);
		r = st_mut_row(m, 2, rich_clust(a, j, c2));
		switch (j % 6) {
		case 0:
			st_row_marker(r, ts, 0, 0);
			st_row_cell(r, RC_V1, ts, 0, 0, "hello", 5);
			put_be32(v, 0);
			put_be32(v + 4, (uint32_t)j);
			st_row_cell(r, RC_V2, ts, 0, 0, v, 8);
			st_row_cell(r, RC_V5, ts, 0, 0, "", 0);      /* empty value */
			break;
		case 1:
			st_row_marker(r, ts, 3600, NOW + 3600);
			st_row_cell(r, RC_V1, ts, 3600, NOW + 3600, "expiring", 8);   /* row TTL */
			st_row_cell(r, RC_V5, ts + 1, 60, NOW + 60, "x", 1);           /* own TTL */
			st_row_complex_delete(r, RC_V3, ts - 1, NOW);
			put_be32(v, 1);
			st_row_cell_path(r, RC_V3, v, 4, ts, 0, 0, "one", 3);
			put_be32(v, 2);
			st_row_cell_path(r, RC_V3, v, 4, ts, 0, 0, "two", 3);
			break;
		case 2:
			st_row_delete(r, ts + 10, NOW + 1);
			st_row_tombstone(r, RC_V2, ts + 11, NOW + 2);
			break;
		case 3:
			for (int k = 0; k < 3; k++) {
				hl_uuid_time(1700000000000000LL + k, (hl_uuid *)tu);
				put_be32(v, (uint32_t)(k * 10));
				st_row_cell_path(r, RC_V4, tu, 16, ts, 0, 0, v, 4);
			}
			break;
		case 4: {
			/* a frozen list<int> [7] in protocol form */
			uint8_t fl[12];

			put_be32(fl, 1);
			put_be32(fl + 4, 4);
			put_be32(fl + 8, 7);
			st_row_cell(r, RC_V6, ts, 0, 0, fl, 12);
			put_be32(v, 9);
			st_row_tombstone_path(r, RC_V3, v, 4, ts, NOW + 3);
			break;
		}
		default:
			memset(v, 'a' + j % 26, 200);
			st_row_cell(r, RC_V1, ts - 100, 0, 0, v, 200);
			st_row_cell(r, RC_V2, ts + 100, 0, 0, "\0\0\0\0\0\0\0\1", 8);
			break;
		}
	}
	if (i % 3 == 0) {
		/* prefix-bounded, then two adjacent ones (a boundary marker) */
		st_bound s1 = { 2, rich_clust(a, 1000, "z"), true }, e1 = { 1, rich_clust(a, 1000, ""), true };
		st_bound s2 = { 1, rich_clust(a, 2000, ""), true }, e2 = { 1, rich_clust(a, 3000, ""), false };
		st_bound s3 = { 1, rich_clust(a, 3000, ""), true }, e3 = { 0, NULL, true };

		st_mut_range_tombstone(m, &s1, &e1, TS0 - 50, NOW - 50);
		st_mut_range_tombstone(m, &s2, &e2, TS0 - 40, NOW - 40);
		st_mut_range_tombstone(m, &s3, &e3, TS0 - 30, NOW - 30);
	}
	return m;
}

static int cmp_mut_order(const void *a, const void *b)
{
	const st_mutation *x = *(st_mutation *const *)a, *y = *(st_mutation *const *)b;
	int c;

	if (x->token != y->token)
		return x->token < y->token ? -1 : 1;
	c = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen : y->keylen);
	return c ? c : (int)x->keylen - (int)y->keylen;
}

#define RICH_N 300

static void test_writer_roundtrip(void)
{
	static const sst_compressor comps[] = { SST_COMPRESS_LZ4, SST_COMPRESS_NONE, SST_COMPRESS_SNAPPY,
						SST_COMPRESS_DEFLATE, SST_COMPRESS_ZSTD };
	static const char *const comp_names[] = { "LZ4Compressor", "", "SnappyCompressor",
						  "DeflateCompressor", "ZstdCompressor" };
	rich x;
	hl_arena *a = hl_arena_new(1 << 16), *b = hl_arena_new(1 << 16);
	st_mutation *ms[RICH_N];
	sst_enc_stats enc;

	rich_init(&x);
	for (int i = 0; i < RICH_N; i++)
		ms[i] = rich_partition(a, i);
	qsort(ms, RICH_N, sizeof(ms[0]), cmp_mut_order);
	sst_enc_stats_init(&enc);
	for (int i = 0; i < RICH_N; i++)
		sst_enc_stats_add(&enc, ms[i]);
	CHECK(enc.has_ts && enc.has_ldt && enc.has_ttl && enc.min_ttl == 60);

	for (size_t ci = 0; ci < sizeof(comps) / sizeof(comps[0]); ci++) {
		char *dir = mk_tmpdir();
		sst_write_opts o = { 0 };
		sst_writer *w = NULL;
		sst_reader *r = NULL;
		hl_err err;
		int n = 0, bad = 0, rc;
		st_mutation *m;

		o.compressor = comps[ci];
		o.chunk_length = 4096;
		o.enc = ci % 2 ? NULL : &enc;   /* also the epoch bases */
		o.no_sync = true;
		o.has_host_id = true;
		hl_uuid_random(&o.host_id);
		hl_err_clear(&err);
		CHECK(sst_writer_open(dir, 7, &x.ws, &o, &w, &err) == 0);
		for (int i = 0; w && i < RICH_N; i++)
			if (sst_writer_add(w, ms[i], &err)) {
				fprintf(stderr, "add: %s\n", err.msg);
				CHECK(0);
				break;
			}
		/* out of order is refused (and poisons the writer) */
		CHECK(w && sst_writer_add(w, ms[0], &err) == -1);
		CHECK(w && sst_writer_finish(w, &err) == -1);
		w = NULL;
		CHECK_EQ_I64(count_files(dir), 0);
		/* again, properly */
		CHECK(sst_writer_open(dir, 7, &x.ws, &o, &w, &err) == 0);
		for (int i = 0; w && i < RICH_N; i++)
			CHECK(sst_writer_add(w, ms[i], &err) == 0);
		CHECK(w && sst_writer_finish(w, &err) == 0);
		CHECK_EQ_I64(count_files(dir), 8);
		hl_err_clear(&err);
		if (sst_open(dir, "nb-7-big", &x.rs, NULL, &r, &err)) {
			fprintf(stderr, "open written: %s\n", err.msg);
			CHECK(0);
			rm_tree(dir);
			continue;
		}
		CHECK_STR(sst_info(r)->compressor, comp_names[ci]);
		CHECK(sst_info(r)->promoted_blocks >= 2);
		CHECK(sst_info(r)->has_summary && sst_info(r)->has_filter && sst_info(r)->has_digest);
		CHECK(sst_info(r)->has_host_id);
		CHECK_EQ_I64(sst_info(r)->index_entries, RICH_N);
		while ((rc = sst_next_partition(r, b, &m, &err)) == 1) {
			hl_buf w1, w2;

			hl_buf_init(&w1);
			hl_buf_init(&w2);
			canon(ms[n], &w1);
			canon(m, &w2);
			if (w1.len != w2.len || memcmp(w1.p, w2.p, w1.len)) {
				if (bad++ == 0)
					fprintf(stderr, "round trip differs:\n--- written\n%.*s--- read\n%.*s",
						(int)(w1.len > 3000 ? 3000 : w1.len), (const char *)w1.p,
						(int)(w2.len > 3000 ? 3000 : w2.len), (const char *)w2.p);
			}
			hl_buf_free(&w1);
			hl_buf_free(&w2);
			n++;
			hl_arena_reset(b);
		}
		CHECK_EQ_I64(rc, 0);
		CHECK_EQ_I64(n, RICH_N);
		CHECK_EQ_I64(bad, 0);
		hl_err_clear(&err);
		CHECK(sst_verify(r, &err) == 0);
		check_lookups(r, comp_names[ci]);
		sst_close(r);
		/* a second writer of the same generation is refused */
		CHECK(sst_writer_open(dir, 7, &x.ws, &o, &w, &err) == -1);
		rm_tree(dir);
	}
	hl_arena_free(a);
	hl_arena_free(b);
	hl_arena_free(x.a);
}

/* Overlapping tombstones come out normalized; a counter total survives. */
static void test_writer_normalize(void)
{
	rich x;
	hl_arena *a = hl_arena_new(4096);
	char *dir = mk_tmpdir();
	uint8_t key[64];
	size_t kl;
	st_mutation *m, *want, *got = NULL;
	sst_write_opts o = { 0 };
	sst_writer *w = NULL;
	sst_reader *r = NULL;
	hl_err err;
	hl_buf b1, b2;

	rich_init(&x);
	kl = rich_key(1, key);
	m = st_mut_new(a, key, kl, hl_token(key, kl));
	want = st_mut_new(a, key, kl, hl_token(key, kl));
	{
		st_bound b10 = { 1, rich_clust(a, 10, ""), true }, b20 = { 1, rich_clust(a, 20, ""), true };
		st_bound b15 = { 1, rich_clust(a, 15, ""), true }, b30 = { 1, rich_clust(a, 30, ""), true };
		st_bound b12 = { 1, rich_clust(a, 12, ""), true }, b14 = { 1, rich_clust(a, 14, ""), true };
		st_bound x15 = { 1, rich_clust(a, 15, ""), false };

		/* B [15,30]@200 over A [10,20]@100; C [12,14]@50 hidden under A */
		st_mut_range_tombstone(m, &b15, &b30, 200, NOW);
		st_mut_range_tombstone(m, &b10, &b20, 100, NOW);
		st_mut_range_tombstone(m, &b12, &b14, 50, NOW);
		st_mut_range_tombstone(want, &b10, &x15, 100, NOW);
		st_mut_range_tombstone(want, &b15, &b30, 200, NOW);
		st_row_marker(st_mut_row(m, 2, rich_clust(a, 12, "q")), 300, 0, 0);
		st_row_marker(st_mut_row(want, 2, rich_clust(a, 12, "q")), 300, 0, 0);
	}
	o.no_sync = true;
	o.compressor = SST_COMPRESS_NONE;
	hl_err_clear(&err);
	CHECK(sst_writer_open(dir, 1, &x.ws, &o, &w, &err) == 0);
	CHECK(w && sst_writer_add(w, m, &err) == 0);
	CHECK(w && sst_writer_finish(w, &err) == 0);
	CHECK(sst_open(dir, "nb-1-big", &x.rs, NULL, &r, &err) == 0);
	if (r) {
		sst_counts cnt;

		CHECK(sst_next_partition(r, a, &got, &err) == 1);
		sst_get_counts(r, &cnt);
		CHECK_EQ_I64(cnt.rt_markers, 3);   /* open, boundary, close */
		sst_close(r);
	}
	hl_buf_init(&b1);
	hl_buf_init(&b2);
	canon(want, &b1);
	if (got)
		canon(got, &b2);
	if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len))
		fprintf(stderr, "normalized:\n%.*s\nwanted:\n%.*s\n", (int)b2.len, (const char *)b2.p,
			(int)b1.len, (const char *)b1.p);
	CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	hl_buf_free(&b1);
	hl_buf_free(&b2);
	rm_tree(dir);

	/* counters: (pk int, c counter) */
	{
		const ty_type *kt[1] = { ty_simple(TY_INT) };
		sst_write_col cc = { "c", 0, false, ty_simple(TY_COUNTER) };
		sst_write_schema cs = { 1, kt, 0, NULL, 1, &cc };
		uint8_t k4[4] = { 0, 0, 0, 9 }, v8[8] = { 0, 0, 0, 0, 0, 0, 0, 42 };
		st_mutation *cm = st_mut_new(a, k4, 4, hl_token(k4, 4));

		dir = mk_tmpdir();
		st_row_cell(st_mut_row(cm, 0, NULL), 0, 777, 0, 0, v8, 8);
		CHECK(sst_writer_open(dir, 2, &cs, &o, &w, &err) == 0);
		CHECK(w && sst_writer_add(w, cm, &err) == 0);
		CHECK(w && sst_writer_finish(w, &err) == 0);
		r = NULL;
		CHECK(sst_open(dir, "nb-2-big", NULL, NULL, &r, &err) == 0);
		if (r) {
			got = NULL;
			CHECK(sst_next_partition(r, a, &got, &err) == 1);
			CHECK(got && got->rows && got->rows->cells && got->rows->cells->len == 8 &&
			      ty_get_bigint(got->rows->cells->value, 8) == 42 && got->rows->cells->ts == 777);
			CHECK_STR(sst_info(r)->regulars[0].type_str, "org.apache.cassandra.db.marshal.CounterColumnType");
			sst_close(r);
		}
		rm_tree(dir);
	}
	hl_arena_free(a);
	hl_arena_free(x.a);
}

/* Keys "0".."4": Filter.db and the HyperLogLog in Statistics.db equal the
 * ones Cassandra 4.0 wrote for the same keys (legacy_nb_simple). */
static void test_writer_filter_hll(void)
{
	const ty_type *kt[1] = { ty_simple(TY_TEXT) };
	sst_write_col vc = { "val", 0, false, ty_simple(TY_TEXT) };
	sst_write_schema s = { 1, kt, 0, NULL, 1, &vc };
	const char *fxd = "apache-cassandra/legacy-sstables/nb/legacy_tables/legacy_nb_simple";
	hl_arena *a = hl_arena_new(4096);
	st_mutation *ms[5];
	sst_write_opts o = { 0 };
	sst_writer *w = NULL;
	char *dir = mk_tmpdir(), p1[8600], p2[8600];
	hl_err err;

	for (int i = 0; i < 5; i++) {
		char k[2] = { (char)('0' + i), 0 };

		ms[i] = st_mut_new(a, k, 1, hl_token(k, 1));
		st_row_cell(st_mut_row(ms[i], 0, NULL), 0, TS0, 0, 0, "foo bar baz", 11);
	}
	qsort(ms, 5, sizeof(ms[0]), cmp_mut_order);
	o.no_sync = true;
	hl_err_clear(&err);
	CHECK(sst_writer_open(dir, 3, &s, &o, &w, &err) == 0);
	for (int i = 0; w && i < 5; i++)
		CHECK(sst_writer_add(w, ms[i], &err) == 0);
	CHECK(w && sst_writer_finish(w, &err) == 0);
	snprintf(p1, sizeof(p1), "%s/nb-3-big-Filter.db", dir);
	snprintf(p2, sizeof(p2), "%s/nb-1-big-Filter.db", fx_dir(fxd));
	CHECK(same_file(p1, p2, true));
	{
		size_t l1, l2;
		uint8_t *s1, *s2;

		snprintf(p1, sizeof(p1), "%s/nb-3-big-Statistics.db", dir);
		snprintf(p2, sizeof(p2), "%s/nb-1-big-Statistics.db", fx_dir(fxd));
		s1 = slurp(p1, &l1);
		s2 = slurp(p2, &l2);
		/* the COMPACTION component: from its TOC offset to the STATS one */
		if (s1 && s2 && l1 > 44 && l2 > 44) {
			uint32_t a1 = (uint32_t)s1[20] << 24 | (uint32_t)s1[21] << 16 | s1[22] << 8 | s1[23];
			uint32_t b1 = (uint32_t)s1[28] << 24 | (uint32_t)s1[29] << 16 | s1[30] << 8 | s1[31];
			uint32_t a2 = (uint32_t)s2[20] << 24 | (uint32_t)s2[21] << 16 | s2[22] << 8 | s2[23];
			uint32_t b2 = (uint32_t)s2[28] << 24 | (uint32_t)s2[29] << 16 | s2[30] << 8 | s2[31];

			CHECK(b1 - a1 == b2 - a2 && b1 <= l1 && b2 <= l2 &&
			      memcmp(s1 + a1, s2 + a2, b1 - a1) == 0);
		} else {
			CHECK(0);
		}
		free(s1);
		free(s2);
	}
	rm_tree(dir);
	hl_arena_free(a);
}

static void test_writer_failures(void)
{
	rich x;
	hl_arena *a = hl_arena_new(1 << 16);
	sst_write_opts o = { 0 };
	sst_writer *w = NULL;
	hl_err err;
	char *dir = mk_tmpdir(), path[8400];
	FILE *f;

	rich_init(&x);
	o.no_sync = true;
	/* no such directory; a file where the directory should be */
	hl_err_clear(&err);
	CHECK(sst_writer_open("/nonexistent/hl-sstw", 1, &x.ws, &o, &w, &err) == -1);
	CHECK(strstr(err.msg, "/nonexistent/hl-sstw") != NULL);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	CHECK(sst_writer_open(path, 1, &x.ws, &o, &w, &err) == -1);
	unlink(path);
	/* read-only directory (root ignores permissions: skipped then) */
	if (geteuid() != 0) {
		chmod(dir, 0555);
		hl_err_clear(&err);
		CHECK(sst_writer_open(dir, 1, &x.ws, &o, &w, &err) == -1);
		CHECK(strstr(err.msg, dir) != NULL);
		chmod(dir, 0755);
	}
	CHECK_EQ_I64(count_files(dir), 0);
	/* abort leaves nothing; finish without partitions fails cleanly */
	CHECK(sst_writer_open(dir, 1, &x.ws, &o, &w, &err) == 0);
	CHECK(w && sst_writer_add(w, rich_partition(a, 1), &err) == 0);
	sst_writer_abort(w);
	CHECK_EQ_I64(count_files(dir), 0);
	CHECK(sst_writer_open(dir, 1, &x.ws, &o, &w, &err) == 0);
	CHECK(w && sst_writer_finish(w, &err) == -1);
	CHECK_EQ_I64(count_files(dir), 0);
	/* a write that fails half way (file size limit: EFBIG, as ENOSPC would) */
	{
		struct rlimit old, lim;
		void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
		int failed = 0;

		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 60000;   /* far below the Data.db this writes */
		o.compressor = SST_COMPRESS_NONE;
		CHECK(sst_writer_open(dir, 2, &x.ws, &o, &w, &err) == 0);
		setrlimit(RLIMIT_FSIZE, &lim);
		hl_err_clear(&err);
		{
			st_mutation *ms[RICH_N];

			for (int i = 0; i < RICH_N; i++)
				ms[i] = rich_partition(a, i);
			qsort(ms, RICH_N, sizeof(ms[0]), cmp_mut_order);
			for (int i = 0; w && i < RICH_N && !failed; i++)
				if (sst_writer_add(w, ms[i], &err))
					failed = 1;
		}
		if (!failed && w)
			failed = sst_writer_finish(w, &err) != 0;
		else if (w)
			CHECK(sst_writer_finish(w, &err) == -1);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, prev);
		CHECK(failed);
		CHECK(strstr(err.msg, "nb-2-big-") != NULL);
		CHECK_EQ_I64(count_files(dir), 0);
	}
	rm_tree(dir);
	hl_arena_free(a);
	hl_arena_free(x.a);
}

/* ------------------------------------------------------------ seeks */

typedef struct kpos {
	int64_t tok;
	const uint8_t *key;
	size_t kl;
} kpos;

/* Partition order of the file: Murmur3 by (token, key), ByteOrdered by key. */
static int kpos_cmp(bool bop, int64_t ta, const uint8_t *a, size_t an, int64_t tb, const uint8_t *b,
		    size_t bn)
{
	int c;

	if (!bop && ta != tb)
		return ta < tb ? -1 : 1;
	c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/* Index of the first position at/after the target (n: none), by linear scan. */
static int expect_seek(const kpos *p, int n, bool bop, int64_t tok, const uint8_t *key, size_t kl,
		       bool incl)
{
	for (int i = 0; i < n; i++) {
		int c;

		if (!key)
			c = bop ? 1 : p[i].tok < tok ? -1 : p[i].tok > tok ? 1 : 0;
		else
			c = kpos_cmp(bop, p[i].tok, p[i].key, p[i].kl, tok, key, kl);
		if (incl ? c >= 0 : c > 0)
			return i;
	}
	return n;
}

/* After a seek, the partition peeked (and then decoded) must be p[want]. */
static bool seek_lands(sst_reader *r, const kpos *p, int n, int want, bool decode, hl_arena *a)
{
	int64_t tok;
	const uint8_t *k;
	size_t kl;
	hl_err err;
	st_mutation *m;
	int rc = sst_peek_partition(r, &tok, &k, &kl, &err);

	if (want == n)
		return rc == 0 && sst_next_partition(r, a, &m, &err) == 0;
	if (rc != 1 || kl != p[want].kl || memcmp(k, p[want].key, kl) != 0 || tok != p[want].tok)
		return false;
	if (!decode)
		return true;
	rc = sst_next_partition(r, a, &m, &err);
	hl_arena_reset(a);
	return rc == 1 && m->keylen == p[want].kl && memcmp(m->key, p[want].key, m->keylen) == 0;
}

/*
 * Every (token, key) position of the file, inclusive and exclusive, by key
 * and by token alone, keys just after each one, before the first and past
 * the last: sst_seek lands where a linear scan says, reading no Data.db.
 */
static void check_seeks(sst_reader *r, const char *what, bool decode)
{
	bool bop = sst_info(r)->partitioner == SST_BYTE_ORDERED;
	int cap = 1024, n = 0, bad = 0, rc;
	kpos *p = malloc((size_t)cap * sizeof(*p));
	hl_arena *a = hl_arena_new(1 << 16);
	sst_read_stats st0, st1;
	hl_err err;
	int64_t tok;
	const uint8_t *k;
	size_t kl;

	hl_err_clear(&err);
	sst_rewind(r);
	while ((rc = sst_peek_partition(r, &tok, &k, &kl, &err)) == 1) {
		if (n == cap) {
			cap *= 2;
			p = realloc(p, (size_t)cap * sizeof(*p));
		}
		p[n++] = (kpos){ tok, k, kl };
		CHECK(sst_skip_partition(r, &err) == 1);
	}
	CHECK_EQ_I64(rc, 0);
	CHECK_EQ_I64(n, sst_info(r)->index_entries);
	CHECK(sst_info(r)->has_keys == (n > 0));
	if (n > 0) {
		CHECK(sst_info(r)->first_keylen == p[0].kl &&
		      memcmp(sst_info(r)->first_key, p[0].key, p[0].kl) == 0);
		CHECK(sst_info(r)->last_keylen == p[n - 1].kl &&
		      memcmp(sst_info(r)->last_key, p[n - 1].key, p[n - 1].kl) == 0);
		CHECK_EQ_I64(sst_info(r)->first_token, p[0].tok);
		CHECK_EQ_I64(sst_info(r)->last_token, p[n - 1].tok);
	}
	sst_get_read_stats(r, &st0);
	for (int i = 0; i < n; i++) {
		uint8_t kb[2048];
		size_t kn = p[i].kl < sizeof(kb) - 1 ? p[i].kl : sizeof(kb) - 1;
		/* decoding after every seek is slow on the big fixtures: sample */
		bool dec = decode && (n < 400 || i % 37 == 0);

		for (int incl = 0; incl < 2; incl++) {
			if (sst_seek(r, p[i].tok, p[i].key, p[i].kl, incl, &err) ||
			    !seek_lands(r, p, n, expect_seek(p, n, bop, p[i].tok, p[i].key, p[i].kl, incl),
					dec, a))
				bad++;
			if (sst_seek(r, p[i].tok, NULL, 0, incl, &err) ||
			    !seek_lands(r, p, n, expect_seek(p, n, bop, p[i].tok, NULL, 0, incl), false, a))
				bad++;
		}
		/* just after this key (same token), and a token in between */
		memcpy(kb, p[i].key, kn);
		kb[kn] = 0;
		if (sst_seek(r, p[i].tok, kb, kn + 1, true, &err) ||
		    !seek_lands(r, p, n, expect_seek(p, n, bop, p[i].tok, kb, kn + 1, true), false, a))
			bad++;
		if (!bop && p[i].tok < INT64_MAX &&
		    (sst_seek(r, p[i].tok + 1, NULL, 0, true, &err) ||
		     !seek_lands(r, p, n, expect_seek(p, n, bop, p[i].tok + 1, NULL, 0, true), false, a)))
			bad++;
	}
	/* before the first, past the last */
	if (sst_seek(r, INT64_MIN, NULL, 0, true, &err) || !seek_lands(r, p, n, 0, true, a))
		bad++;
	if (sst_seek(r, INT64_MIN, (const uint8_t *)"", 0, true, &err) || !seek_lands(r, p, n, 0, false, a))
		bad++;
	if (!bop && (sst_seek(r, INT64_MAX, NULL, 0, false, &err) || !seek_lands(r, p, n, n, false, a)))
		bad++;
	if (n > 0) {
		uint8_t kb[2048];
		size_t kn = p[n - 1].kl < sizeof(kb) - 1 ? p[n - 1].kl : sizeof(kb) - 1;

		memcpy(kb, p[n - 1].key, kn);
		kb[kn] = 0xFF;
		if (sst_seek(r, p[n - 1].tok, kb, kn + 1, true, &err) || !seek_lands(r, p, n, n, false, a))
			bad++;
	}
	/* a seek then plain iteration to the end */
	if (n > 2 && decode) {
		st_mutation *m;
		int left = 0;

		CHECK(sst_seek(r, p[n / 2].tok, p[n / 2].key, p[n / 2].kl, true, &err) == 0);
		while (sst_next_partition(r, a, &m, &err) == 1) {
			left++;
			hl_arena_reset(a);
		}
		CHECK_EQ_I64(left, n - n / 2);
	}
	sst_get_read_stats(r, &st1);
	if (bad)
		fprintf(stderr, "%s: %d bad seeks of %d partitions\n", what, bad, n);
	CHECK_EQ_I64(bad, 0);
	CHECK(st1.seeks > st0.seeks);
	/* the index was scanned by at most one summary interval per seek */
	CHECK(st1.index_scanned - st0.index_scanned <= (st1.seeks - st0.seeks) * 129);
	sst_rewind(r);
	free(p);
	hl_arena_free(a);
}

static void test_seek_fixtures(void)
{
	static const char *const sc[] = { "simple", "static_row", "collections",
					  "partition_key_with_values_of_different_types",
					  "read_missing_summary", "skip_using_index_rows",
					  "integrity_check/invalid_checksums" };

	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		char dir[512];
		sst_reader *r;

		snprintf(dir, sizeof(dir), SC "%s", sc[i]);
		r = open_fx(dir, strstr(sc[i], "integrity") ? "me-1-big" : "mc-1-big", NULL, false);
		CHECK(r != NULL);
		if (!r)
			continue;
		if (strcmp(sc[i], "read_missing_summary") == 0)
			CHECK(!sst_info(r)->has_summary);
		/* that one's Data.db is corrupt: index only */
		check_seeks(r, sc[i], !strstr(sc[i], "integrity"));
		sst_close(r);
	}
	for (size_t v = 0; v < 8; v++) {
		char dir[512], base[32];
		sst_reader *r;

		snprintf(dir, sizeof(dir), "apache-cassandra/legacy-sstables/%s/legacy_tables/legacy_%s_clust",
			 versions[v], versions[v]);
		snprintf(base, sizeof(base), "%s-1-big", versions[v]);
		r = open_fx(dir, base, NULL, true);
		CHECK(r != NULL);
		if (r) {
			const sst_meta *mt = sst_info(r);
			char lo[1300], hi[1300];

			check_seeks(r, dir, true);
			/* Statistics' clustering bounds: ck "0..." to "9..." in byte order */
			legacy_ck(0, lo);
			legacy_ck(9, hi);
			CHECK(mt->nmin_clust == 1 && mt->nmax_clust == 1);
			CHECK(mt->nmin_clust == 1 && mt->min_clust[0].len == strlen(lo) &&
			      memcmp(mt->min_clust[0].p, lo, strlen(lo)) == 0);
			CHECK(mt->nmax_clust == 1 && mt->max_clust[0].len == strlen(hi) &&
			      memcmp(mt->max_clust[0].p, hi, strlen(hi)) == 0);
			CHECK(mt->min_clust_incl && mt->max_clust_incl);
			CHECK(mt->clust_bounds_exact == (v >= 3));
			sst_close(r);
		}
	}
}

/* ------------------------------------------------------------ slices */

/* The test's own statement of clustering order (storage/compare.c's). */
static int t_cmpv(const sst_meta *mt, const st_bytes *a, const st_bytes *b, int n)
{
	for (int i = 0; i < n; i++) {
		int c = ty_compare(mt->clust[i].type, a[i].p, a[i].len, b[i].p, b[i].len);

		if (c)
			return (c < 0) != mt->clust[i].reversed ? -1 : 1;
	}
	return 0;
}

static int t_dir(const st_bound *b, bool end)
{
	return end ? (b->inclusive ? 1 : -1) : (b->inclusive ? -1 : 1);
}

static int t_cmp_bounds(const sst_meta *mt, const st_bound *a, bool ae, const st_bound *b, bool be)
{
	int n = a->n < b->n ? a->n : b->n, c = t_cmpv(mt, a->vals, b->vals, n);

	if (c)
		return c;
	if (a->n == b->n)
		return t_dir(a, ae) < t_dir(b, be) ? -1 : t_dir(a, ae) > t_dir(b, be);
	return a->n < b->n ? t_dir(a, ae) : -t_dir(b, be);
}

static bool t_row_in(const sst_meta *mt, const st_bytes *row, const st_slice *s)
{
	st_bound rb = { mt->nclust, row, true };

	/* a row is the inclusive bound of itself on both sides */
	return t_cmp_bounds(mt, &s->start, false, &rb, false) <= 0 &&
	       t_cmp_bounds(mt, &rb, true, &s->end, true) <= 0;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of a canonical dump: pieces may come in another order. */
static void sort_lines(hl_buf *b)
{
	size_t n = 0, cap = 1024;
	char **v = malloc(cap * sizeof(*v));
	char *text;
	hl_buf o;

	hl_buf_u8(b, 0);
	text = (char *)b->p;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = l;
	}
	qsort(v, n, sizeof(*v), line_cmp);
	hl_buf_init(&o);
	for (size_t i = 0; i < n; i++)
		hl_buf_printf(&o, "%s\n", v[i]);
	free(v);
	hl_buf_free(b);
	*b = o;
}

/* canon() of the full partition restricted to the slices: rows inside,
 * range tombstones intersected with each slice. */
static void canon_sliced(const sst_meta *mt, const st_mutation *m, const st_slice *sl, int ns,
			 hl_buf *b)
{
	hl_buf_printf(b, "key ");
	canon_hex(b, m->key, m->keylen);
	hl_buf_printf(b, " pdel(%lld,%lld)\n", (long long)m->pdel.ts,
		      (long long)(m->pdel.ts == ST_NO_TS ? 0 : m->pdel.ldt));
	if (m->static_row && (m->static_row->cells || m->static_row->cdels)) {
		hl_buf_printf(b, "static");
		canon_row(b, m->static_row);
	}
	for (const st_mrow *r = m->rows; r; r = r->next) {
		bool in = false;

		for (int i = 0; i < ns && !in; i++)
			in = t_row_in(mt, r->clust, &sl[i]);
		if (!in)
			continue;
		hl_buf_printf(b, "row ");
		for (int i = 0; i < r->nclust; i++) {
			canon_hex(b, r->clust[i].p, r->clust[i].len);
			hl_buf_printf(b, ",");
		}
		canon_row(b, r);
	}
	for (const st_range_tomb *t = m->rts; t; t = t->next)
		for (int i = 0; i < ns; i++) {
			const st_bound *lo = t_cmp_bounds(mt, &t->start, false, &sl[i].start, false) >= 0
						     ? &t->start : &sl[i].start;
			const st_bound *hi = t_cmp_bounds(mt, &t->end, true, &sl[i].end, true) <= 0
						     ? &t->end : &sl[i].end;

			if (t_cmp_bounds(mt, lo, false, hi, true) >= 0)
				continue;
			hl_buf_printf(b, "rt ");
			canon_bound(b, lo);
			hl_buf_printf(b, " .. ");
			canon_bound(b, hi);
			hl_buf_printf(b, " (%lld,%lld)\n", (long long)t->del.ts, (long long)t->del.ldt);
		}
}

typedef struct cpoint {
	const st_bytes *v;
	int n;
} cpoint;

static const sst_meta *point_mt;

static int point_cmp(const void *a, const void *b)
{
	const cpoint *x = a, *y = b;
	int c = t_cmpv(point_mt, x->v, y->v, x->n < y->n ? x->n : y->n);

	return c ? c : x->n - y->n;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One slice read against the filtered full decode; returns mismatches. */
static int slice_once(sst_reader *r, const st_mutation *full, const st_slice *sl, int ns,
		      hl_arena *a, const char *what)
{
	const sst_meta *mt = sst_info(r);
	st_mutation *got = NULL;
	hl_buf want, have;
	hl_err err;
	int rc, bad = 0;

	hl_err_clear(&err);
	rc = sst_get_partition_slice(r, full->key, full->keylen, full->token, ns, sl, a, &got, &err);
	if (rc != 1) {
		fprintf(stderr, "%s: slice read rc %d: %s\n", what, rc, err.msg);
		return 1;
	}
	hl_buf_init(&want);
	hl_buf_init(&have);
	canon_sliced(mt, full, sl, ns, &want);
	canon(got, &have);
	sort_lines(&want);
	sort_lines(&have);
	if (want.len != have.len || memcmp(want.p, have.p, want.len) != 0) {
		bad = 1;
		fprintf(stderr, "%s: slice read (%d slices) differs:\n--- want\n%.*s--- got\n%.*s", what,
			ns, (int)(want.len > 1500 ? 1500 : want.len), (const char *)want.p,
			(int)(have.len > 1500 ? 1500 : have.len), (const char *)have.p);
	}
	hl_buf_free(&want);
	hl_buf_free(&have);
	hl_arena_reset(a);
	return bad;
}

/*
 * Slice reads of every partition against the full decode: everything,
 * nothing, single rows, and random sets of slices with bounds taken from
 * the partition's own rows and range tombstone bounds (prefixes,
 * inclusive or not). Returns the blocks read / skipped.
 */
static void check_slices(sst_reader *r, const char *what, int rounds, uint64_t seed)
{
	const sst_meta *mt = sst_info(r);
	hl_arena *fa = hl_arena_new(1 << 20), *a = hl_arena_new(1 << 20), *sa = hl_arena_new(4096);
	st_mutation *full;
	hl_err err;
	int bad = 0, parts = 0;
	sst_read_stats st0, st1;
	uint64_t rs = seed ? seed : 88172645463325252ULL;

	hl_err_clear(&err);
	sst_get_read_stats(r, &st0);
	sst_rewind(r);
	point_mt = mt;
	while (!bad && sst_next_partition(r, fa, &full, &err) == 1) {
		int np = 0, cap = full->nrows + 2 * full->nrts + 1;
		cpoint *pt = malloc((size_t)cap * sizeof(*pt));
		st_slice all = { { 0, NULL, true }, { 0, NULL, true } };

		parts++;
		for (const st_mrow *w = full->rows; w; w = w->next)
			pt[np++] = (cpoint){ w->clust, w->nclust };
		for (const st_range_tomb *t = full->rts; t; t = t->next) {
			if (t->start.n)
				pt[np++] = (cpoint){ t->start.vals, t->start.n };
			if (t->end.n)
				pt[np++] = (cpoint){ t->end.vals, t->end.n };
		}
		qsort(pt, (size_t)np, sizeof(*pt), point_cmp);
		bad += slice_once(r, full, &all, 1, a, what);
		bad += slice_once(r, full, NULL, 0, a, what);
		/* single rows, first and last included */
		for (int i = 0; i < np && !bad; i += np > 40 ? np / (np > 20000 ? 6 : 20) : 1) {
			st_slice one = { { pt[i].n, pt[i].v, true }, { pt[i].n, pt[i].v, true } };

			bad += slice_once(r, full, &one, 1, a, what);
		}
		/* big partitions: fewer rounds, mostly narrow slices (the cost of a
		 * check is the size of what the slices select) */
		int nrounds = np > 20000 ? rounds / 4 : rounds;

		for (int round = 0; round < nrounds && np > 0 && !bad; round++) {
			st_slice sl[6];
			int ns = 0, want = 1 + (int)(rng_next(&rs) % 6);
			int at = (int)(rng_next(&rs) % (uint64_t)np);
			uint64_t span = (uint64_t)(np / want + 2);

			if (round % 4 && span > 400)
				span = 400;

			/* random prefix lengths, inclusivity, open ends, widths */
			for (int k = 0; k < want && at < np; k++) {
				int b = at + (int)(rng_next(&rs) % span);
				st_slice s;

				if (b >= np)
					b = np - 1;
				s.start = (st_bound){ 1 + (int)(rng_next(&rs) % (uint64_t)pt[at].n), pt[at].v,
						      rng_next(&rs) % 3 != 0 };
				s.end = (st_bound){ 1 + (int)(rng_next(&rs) % (uint64_t)pt[b].n), pt[b].v,
						    rng_next(&rs) % 3 != 0 };
				if (k == 0 && rng_next(&rs) % 5 == 0)
					s.start = (st_bound){ 0, NULL, true };
				if (k == want - 1 && rng_next(&rs) % 5 == 0)
					s.end = (st_bound){ 0, NULL, true };
				at = b + 1 + (int)(rng_next(&rs) % span);
				/* keep them sorted, non-empty and apart */
				if (t_cmp_bounds(mt, &s.start, false, &s.end, true) >= 0)
					continue;
				if (ns > 0 && t_cmp_bounds(mt, &s.start, false, &sl[ns - 1].end, true) <= 0)
					continue;
				sl[ns++] = s;
			}
			bad += slice_once(r, full, sl, ns, a, what);
		}
		free(pt);
		hl_arena_reset(fa);
	}
	sst_get_read_stats(r, &st1);
	if (mt->promoted_blocks > 0)
		printf("slices %s: %d partitions, IndexInfo blocks read %lld, skipped %lld\n", what,
		       parts, (long long)(st1.blocks_read - st0.blocks_read),
		       (long long)(st1.blocks_skipped - st0.blocks_skipped));
	CHECK_EQ_I64(bad, 0);
	CHECK(parts > 0);
	if (mt->promoted_blocks > 0)
		CHECK(st1.blocks_skipped > st0.blocks_skipped);
	sst_rewind(r);
	hl_arena_free(fa);
	hl_arena_free(a);
	hl_arena_free(sa);
}

static void test_slice_fixtures(void)
{
	static const char *const sc[] = { "skip_using_index_rows", "filtering_and_forwarding_range_tombstones",
					  "slicing_interleaved_rows_and_rts",
					  "read_range_tombstone_boundaries_index", "range_tombstones_simple",
					  "range_tombstones_partial", "compound_static_row", "filtering_and_forwarding" };

	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		char dir[512];
		sst_reader *r;

		snprintf(dir, sizeof(dir), SC "%s", sc[i]);
		r = open_fx(dir, "mc-1-big", NULL, false);
		CHECK(r != NULL);
		if (r) {
			check_slices(r, sc[i], 40, i + 1);
			sst_close(r);
		}
	}
	for (size_t v = 0; v < 8; v++) {
		char dir[512], base[32];
		sst_reader *r;

		snprintf(dir, sizeof(dir), "apache-cassandra/legacy-sstables/%s/legacy_tables/legacy_%s_clust",
			 versions[v], versions[v]);
		snprintf(base, sizeof(base), "%s-1-big", versions[v]);
		r = open_fx(dir, base, NULL, true);
		CHECK(r != NULL);
		if (r) {
			check_slices(r, dir, 30, v + 100);
			sst_close(r);
		}
	}
	{
		const char *dir = "apache-cassandra/legacy-sstables/nb/legacy_tables/legacy_nb_clust_counter";
		sst_reader *r = open_fx(dir, "nb-1-big", NULL, true);

		CHECK(r != NULL);
		if (r) {
			check_slices(r, dir, 30, 7);
			sst_close(r);
		}
	}
}

/*
 * A written sstable with many partitions, a sparse summary and small index
 * blocks: seeks over many summary intervals, the key cache, and slices
 * through the rich partition 7 (DESC second clustering column, prefix
 * range tombstones).
 */
static void test_seek_cache_written(void)
{
	rich x;
	hl_arena *a = hl_arena_new(1 << 16), *b = hl_arena_new(1 << 16);
	enum { N = 1500 };
	st_mutation **ms = malloc(N * sizeof(*ms));
	char *dir = mk_tmpdir();
	sst_write_opts o = { 0 };
	sst_writer *w = NULL;
	sst_reader *r = NULL;
	sst_opts ro = { 0 };
	hl_err err;
	sst_read_stats st0, st1;

	rich_init(&x);
	for (int i = 0; i < N; i++)
		ms[i] = rich_partition(a, i);
	qsort(ms, N, sizeof(ms[0]), cmp_mut_order);
	o.no_sync = true;
	o.min_index_interval = 16;
	o.column_index_size = 512;
	hl_err_clear(&err);
	CHECK(sst_writer_open(dir, 3, &x.ws, &o, &w, &err) == 0);
	for (int i = 0; w && i < N; i++)
		CHECK(sst_writer_add(w, ms[i], &err) == 0);
	CHECK(w && sst_writer_finish(w, &err) == 0);
	CHECK(sst_open(dir, "nb-3-big", &x.rs, NULL, &r, &err) == 0);
	if (!r)
		goto exit;
	CHECK(sst_info(r)->promoted_blocks > 20);
	check_seeks(r, "written", true);
	check_slices(r, "written", 60, 99);
	/* key cache: a first round misses, a second hits, the index is not scanned */
	sst_get_read_stats(r, &st0);
	CHECK_EQ_I64(st0.key_cache_capacity, SST_KEY_CACHE_DEFAULT);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 600; i++) {
			st_mutation *m;

			CHECK(sst_get_partition(r, ms[i]->key, ms[i]->keylen, ms[i]->token, b, &m, &err) == 1);
			hl_arena_reset(b);
		}
	sst_get_read_stats(r, &st1);
	CHECK_EQ_I64(st1.key_cache_misses - st0.key_cache_misses, 600);
	CHECK_EQ_I64(st1.key_cache_hits - st0.key_cache_hits, 600);
	CHECK(st1.key_cache_entries >= 500 && st1.key_cache_entries <= st1.key_cache_capacity);
	CHECK_EQ_I64(st1.partitions_decoded - st0.partitions_decoded, 1200);
	st0 = st1;
	for (int i = 0; i < 600; i++) {
		st_mutation *m;

		CHECK(sst_get_partition(r, ms[i]->key, ms[i]->keylen, ms[i]->token, b, &m, &err) == 1);
		hl_arena_reset(b);
	}
	sst_get_read_stats(r, &st1);
	printf("key cache: %lld hits of 600 repeated lookups, %lld index entries scanned\n",
	       (long long)(st1.key_cache_hits - st0.key_cache_hits),
	       (long long)(st1.index_scanned - st0.index_scanned));
	CHECK(st1.key_cache_hits - st0.key_cache_hits >= 590);
	/* absent keys are not cached and do not disturb it */
	{
		uint8_t k[64];
		size_t kl = rich_key(N + 5, k);
		st_mutation *m;

		CHECK(sst_get_partition(r, k, kl, hl_token(k, kl), b, &m, &err) == 0);
		CHECK(sst_get_partition_slice(r, k, kl, hl_token(k, kl), 0, NULL, b, &m, &err) == 0);
	}
	sst_close(r);
	r = NULL;
	/* a small cache: bounded, still hits on a hot key; and no cache */
	ro.key_cache_size = 8;
	CHECK(sst_open(dir, "nb-3-big", &x.rs, &ro, &r, &err) == 0);
	if (r) {
		st_mutation *m;

		for (int i = 0; i < 200; i++) {
			CHECK(sst_get_partition(r, ms[i]->key, ms[i]->keylen, ms[i]->token, b, &m, &err) == 1);
			CHECK(sst_get_partition(r, ms[0]->key, ms[0]->keylen, ms[0]->token, b, &m, &err) == 1);
			hl_arena_reset(b);
		}
		sst_get_read_stats(r, &st1);
		CHECK_EQ_I64(st1.key_cache_capacity, 8);
		CHECK(st1.key_cache_entries <= 8);
		CHECK(st1.key_cache_hits >= 150);
		sst_close(r);
		r = NULL;
	}
	ro.key_cache_size = -1;
	CHECK(sst_open(dir, "nb-3-big", &x.rs, &ro, &r, &err) == 0);
	if (r) {
		st_mutation *m;

		for (int i = 0; i < 2; i++)
			CHECK(sst_get_partition(r, ms[0]->key, ms[0]->keylen, ms[0]->token, b, &m, &err) == 1);
		sst_get_read_stats(r, &st1);
		CHECK_EQ_I64(st1.key_cache_capacity, 0);
		CHECK_EQ_I64(st1.key_cache_hits + st1.key_cache_misses, 0);
		sst_close(r);
		r = NULL;
	}
exit:
	rm_tree(dir);
	free(ms);
	hl_arena_free(a);
	hl_arena_free(b);
	hl_arena_free(x.a);
}

/*
 * Uncompressed files: a point read reads only the partition's bytes and
 * does not check CRC.db (as Cassandra's read path), while iteration and
 * sst_verify still do. A flipped value byte is returned by the lookup and
 * caught by both checks; lookups across many summary intervals find every
 * key (index_find_key compares key bytes, no tokens).
 */
static void test_point_read_uncompressed(void)
{
	rich x;
	hl_arena *a = hl_arena_new(1 << 16), *b = hl_arena_new(1 << 16);
	enum { N = 300 };
	st_mutation **ms = malloc(N * sizeof(*ms));
	char *dir = mk_tmpdir(), path[4200];
	sst_write_opts o = { 0 };
	sst_writer *w = NULL;
	sst_reader *r = NULL;
	hl_err err;
	uint8_t *data = NULL, want[4] = { 0, 0, 0x03, 0xED };   /* s1 of partition 5: 1005 */
	size_t len = 0, hits = 0, at = 0;
	int five = -1, n;
	st_mutation *m;
	sst_counts cnt;
	FILE *f;

	rich_init(&x);
	for (int i = 0; i < N; i++)
		ms[i] = rich_partition(a, i);
	qsort(ms, N, sizeof(ms[0]), cmp_mut_order);
	o.no_sync = true;
	o.compressor = SST_COMPRESS_NONE;
	o.min_index_interval = 16;
	hl_err_clear(&err);
	CHECK(sst_writer_open(dir, 1, &x.ws, &o, &w, &err) == 0);
	for (int i = 0; w && i < N; i++) {
		CHECK(sst_writer_add(w, ms[i], &err) == 0);
		if (ms[i]->keylen == 12 && ms[i]->key[5] == 5 && ms[i]->key[0] == 0 && ms[i]->key[1] == 4)
			five = i;
	}
	CHECK(w && sst_writer_finish(w, &err) == 0);
	CHECK(five >= 0);
	CHECK(sst_open(dir, "nb-1-big", &x.rs, NULL, &r, &err) == 0);
	if (!r || five < 0)
		goto exit;
	for (int i = 0; i < N; i++) {
		n = sst_get_partition(r, ms[i]->key, ms[i]->keylen, ms[i]->token, b, &m, &err);
		CHECK(n == 1 && m->keylen == ms[i]->keylen && m->nrows == ms[i]->nrows);
		hl_arena_reset(b);
	}
	sst_close(r);
	r = NULL;
	/* flip s1 of partition 5 (1005 -> 1006): the only such bytes in Data.db */
	snprintf(path, sizeof(path), "%s/nb-1-big-Data.db", dir);
	data = slurp(path, &len);
	for (size_t i = 0; data && i + 4 <= len; i++)
		if (memcmp(data + i, want, 4) == 0) {
			hits++;
			at = i;
		}
	CHECK_EQ_I64((int64_t)hits, 1);
	if (hits != 1)
		goto exit;
	data[at + 3] = 0xEE;
	f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
	CHECK(sst_open(dir, "nb-1-big", &x.rs, NULL, &r, &err) == 0);
	if (!r)
		goto exit;
	n = sst_get_partition(r, ms[five]->key, ms[five]->keylen, ms[five]->token, b, &m, &err);
	CHECK(n == 1 && m->static_row && m->static_row->cells && m->static_row->cells->len == 4 &&
	      m->static_row->cells->value[3] == 0xEE);
	n = sst_get_partition_slice(r, ms[five]->key, ms[five]->keylen, ms[five]->token, 0, NULL, b,
				    &m, &err);
	CHECK(n == 1);
	hl_err_clear(&err);
	CHECK(sst_verify(r, &err) == -1 && strstr(err.msg, "CRC.db") != NULL);
	CHECK(iterate_all(r, &cnt) == -1);   /* iteration still checks every chunk */
exit:
	if (r)
		sst_close(r);
	free(data);
	rm_tree(dir);
	free(ms);
	hl_arena_free(a);
	hl_arena_free(b);
	hl_arena_free(x.a);
}

int main(void)
{
	test_marshal();
	test_writer_roundtrip();
	test_writer_normalize();
	test_writer_failures();
	test_point_read_uncompressed();
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
		test_writer_byte_exact();
		test_writer_filter_hll();
		test_seek_fixtures();
		test_slice_fixtures();
	}
	test_seek_cache_written();
	return T_DONE();
}
