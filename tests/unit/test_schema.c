/*
 * Unit tests for schema/: DDL and its validation messages, IF [NOT] EXISTS
 * no-ops, schema versions, snapshot refcounting, system keyspaces,
 * DESCRIBE output compared with the exact text Cassandra 5.0 prints, and
 * the schema file (save/load round trip, persistence through the registry,
 * corrupt and truncated files, failing saves).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/schema.h"
#include "t.h"

static const char *DEFAULT_PARAMS =
	"additional_write_policy = '99p'\n"
	"    AND allow_auto_snapshot = true\n"
	"    AND bloom_filter_fp_chance = 0.01\n"
	"    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}\n"
	"    AND cdc = false\n"
	"    AND comment = ''\n"
	"    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}\n"
	"    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}\n"
	"    AND memtable = 'default'\n"
	"    AND crc_check_chance = 1.0\n"
	"    AND default_time_to_live = 0\n"
	"    AND extensions = {}\n"
	"    AND gc_grace_seconds = 864000\n"
	"    AND incremental_backups = true\n"
	"    AND max_index_interval = 2048\n"
	"    AND memtable_flush_period_in_ms = 0\n"
	"    AND min_index_interval = 128\n"
	"    AND read_repair = 'BLOCKING'\n"
	"    AND speculative_retry = '99p';";

/* ---------------------------------------------------------------- helpers */

static int mk_ks(sch_registry *r, const char *name, const char *cls, const char *rf_key,
		 const char *rf, bool ine, bool *changed, hl_err *err)
{
	sch_kv m[2] = { { "class", cls, 0 }, { rf_key, rf, 0 } };
	sch_option o = { .name = "replication", .kind = SCH_OPT_MAP, .nmap = rf_key ? 2 : 1, .map = m };
	sch_keyspace_def d = { .name = name, .nopts = 1, .opts = &o };

	hl_err_clear(err);
	return sch_create_keyspace(r, &d, ine, changed, err);
}

static int simple_ks(sch_registry *r, const char *name)
{
	hl_err err;
	bool ch;

	return mk_ks(r, name, "SimpleStrategy", "replication_factor", "1", false, &ch, &err);
}

/* The test table: composite partition key, DESC clustering, a static column. */
static int mk_table(sch_registry *r, const char *ks, const char *name, bool ine, bool *changed,
		    hl_err *err)
{
	static const sch_column_def cols[] = {
		{ "pk1", "text", NULL, false }, { "pk2", "int", NULL, false },
		{ "c1", "int", NULL, false }, { "c2", "text", NULL, false },
		{ "s", "decimal", NULL, true }, { "v2", "list<int>", NULL, false },
		{ "v1", "text", NULL, false }, { "v0", "int", NULL, false },
	};
	static const char *const pk[] = { "pk1", "pk2" };
	static const char *const ck[] = { "c1", "c2" };
	static const char *const ord[] = { "c1", "c2" };
	static const bool desc[] = { true, false };
	sch_table_def d = { .ks = ks, .name = name, .ncols = 8, .cols = cols, .npk = 2, .pk = pk,
			    .nck = 2, .ck = ck, .norder = 2, .order_cols = ord, .order_desc = desc };

	hl_err_clear(err);
	return sch_create_table(r, &d, ine, changed, err);
}

static int table_err(sch_registry *r, const sch_table_def *d, hl_err *err)
{
	bool ch;

	hl_err_clear(err);
	return sch_create_table(r, d, false, &ch, err);
}

static char *version_str(sch_registry *r)
{
	sch_schema *s = sch_acquire(r);
	char *v = malloc(37);

	hl_uuid_str(sch_version(s), v);
	sch_release(s);
	return v;
}

/* ---------------------------------------------------------------- tests */

static void test_system_keyspaces(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *s = sch_acquire(r);
	const sch_keyspace *k;
	const sch_table *t;

	k = sch_find_keyspace(s, "system");
	CHECK(k && k->cls == SCH_KS_LOCAL_SYSTEM);
	CHECK_STR(k->strategy, "org.apache.cassandra.locator.LocalStrategy");
	t = sch_find_table(s, "system", "local");
	CHECK(t != NULL);
	CHECK_EQ_I64(t->npk, 1);
	CHECK_STR(t->cols[0].name, "key");
	CHECK(sch_find_column(t, "tokens") && sch_find_column(t, "tokens")->type->kind == TY_SET);
	CHECK(sch_find_column(t, "rpc_port")->type->kind == TY_INT);
	CHECK(sch_find_column(t, "dse_version") == NULL);
	CHECK(sch_find_table(s, "system", "peers") && sch_find_table(s, "system", "peers_v2"));
	CHECK(sch_find_table(s, "system", "size_estimates"));
	t = sch_find_table(s, "system_schema", "tables");
	CHECK(t && sch_find_column(t, "flags") && sch_find_column(t, "flags")->type->frozen);
	CHECK(sch_find_table(s, "system_schema", "columns"));
	CHECK(sch_find_table(s, "system_schema", "views"));
	k = sch_find_keyspace(s, "system_virtual_schema");
	CHECK(k && k->cls == SCH_KS_VIRTUAL && k->ntables == 3);
	/* keyspaces sorted by name */
	CHECK_STR(sch_keyspace_at(s, 0)->name, "system");
	CHECK_STR(sch_keyspace_at(s, 1)->name, "system_schema");
	CHECK_STR(sch_keyspace_at(s, 2)->name, "system_traces");
	CHECK_STR(sch_keyspace_at(s, 3)->name, "system_views");
	CHECK_STR(sch_keyspace_at(s, 4)->name, "system_virtual_schema");
	k = sch_find_keyspace(s, "system_views");
	CHECK(k && k->cls == SCH_KS_VIRTUAL && k->ntables == 14);   /* 5 + 9 TableMetricTables */
	sch_release(s);
	sch_registry_free(r);
}

static void test_keyspaces(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *s;
	const sch_keyspace *k;
	hl_err err;
	bool ch;
	char *v0 = version_str(r), *v1, *v2;

	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", NULL, NULL, false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_CONFIG);
	CHECK_STR(err.msg, "SimpleStrategy requires a replication_factor strategy option.");

	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "replication_factor", "-1", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Replication factor must be non-negative, found -1");
	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "replication_factor", "abc", false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_CONFIG);
	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "foo", "1", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Unrecognized strategy option {foo} passed to SimpleStrategy for keyspace ks");
	CHECK_EQ_I64(mk_ks(r, "ks", "FooStrategy", NULL, NULL, false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_CONFIG);
	CHECK_STR(err.msg, "Unable to find replication strategy class 'org.apache.cassandra.locator.FooStrategy'");
	CHECK_EQ_I64(mk_ks(r, "ks", "LocalStrategy", NULL, NULL, false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_INVALID);
	CHECK_STR(err.msg, "Unable to use given strategy class: LocalStrategy is reserved for internal use.");
	CHECK_EQ_I64(mk_ks(r, "bad-name", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"bad-name\")");
	{
		sch_keyspace_def d = { .name = "ks" };

		hl_err_clear(&err);
		CHECK_EQ_I64(sch_create_keyspace(r, &d, false, &ch, &err), -1);
		CHECK_STR(err.msg, "Missing mandatory option 'replication'");
	}
	{
		sch_kv m[2] = { { "class", "SimpleStrategy", 0 }, { "replication_factor", "1", 0 } };
		sch_option o[2] = { { .name = "replication", .kind = SCH_OPT_MAP, .nmap = 2, .map = m },
				    { .name = "foo", .kind = SCH_OPT_STRING, .str = "x" } };
		sch_keyspace_def d = { .name = "ks", .nopts = 2, .opts = o };

		hl_err_clear(&err);
		CHECK_EQ_I64(sch_create_keyspace(r, &d, false, &ch, &err), -1);
		CHECK_EQ_I64(err.code, HL_ERR_SYNTAX);
		CHECK_STR(err.msg, "Unknown property 'foo'");
	}
	/* nothing above changed the schema */
	v1 = version_str(r);
	CHECK_STR(v1, v0);
	free(v1);

	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), 0);
	CHECK(ch);
	s = sch_acquire(r);
	k = sch_find_keyspace(s, "ks");
	CHECK(k != NULL);
	CHECK_STR(k->strategy, "org.apache.cassandra.locator.SimpleStrategy");
	CHECK_STR(sch_map_get(&k->replication, "replication_factor"), "1");
	CHECK(k->durable_writes);
	sch_release(s);
	v1 = version_str(r);
	CHECK(strcmp(v1, v0) != 0);

	/* AlreadyExists with its extra fields; IF NOT EXISTS is a no-op */
	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_ALREADY_EXISTS);
	CHECK_STR(err.msg, "Cannot add existing keyspace \"ks\"");
	CHECK_STR(err.ks, "ks");
	CHECK_STR(err.table, "");
	CHECK_EQ_I64(mk_ks(r, "ks", "SimpleStrategy", "replication_factor", "3", true, &ch, &err), 0);
	CHECK(!ch);
	v2 = version_str(r);
	CHECK_STR(v2, v1);
	free(v2);

	/* ALTER to the same content is a no-op; to a new rf is a change */
	{
		sch_kv m[2] = { { "class", "org.apache.cassandra.locator.SimpleStrategy", 0 },
				{ "replication_factor", "1", 0 } };
		sch_option o = { .name = "replication", .kind = SCH_OPT_MAP, .nmap = 2, .map = m };
		sch_keyspace_def d = { .name = "ks", .nopts = 1, .opts = &o };

		CHECK_EQ_I64(sch_alter_keyspace(r, &d, false, &ch, &err), 0);
		CHECK(!ch);
		m[1].value = "2";
		CHECK_EQ_I64(sch_alter_keyspace(r, &d, false, &ch, &err), 0);
		CHECK(ch);
		d.name = "nope";
		CHECK_EQ_I64(sch_alter_keyspace(r, &d, false, &ch, &err), -1);
		CHECK_STR(err.msg, "Keyspace 'nope' doesn't exist");
		d.name = "system";
		CHECK_EQ_I64(sch_alter_keyspace(r, &d, false, &ch, &err), -1);
		CHECK_EQ_I64(err.code, HL_ERR_UNAUTHORIZED);
		CHECK_STR(err.msg, "system keyspace is not user-modifiable.");
	}

	/* system keyspaces */
	CHECK_EQ_I64(sch_drop_keyspace(r, "system_schema", false, &ch, &err), -1);
	CHECK_STR(err.msg, "system_schema keyspace is not user-modifiable.");
	CHECK_EQ_I64(sch_drop_keyspace(r, "system_virtual_schema", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Virtual keyspace 'system_virtual_schema' is not user-modifiable");
	CHECK_EQ_I64(mk_ks(r, "system", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_ALREADY_EXISTS);

	/* drop: back to the original version (deterministic digest) */
	CHECK_EQ_I64(sch_drop_keyspace(r, "ks", false, &ch, &err), 0);
	CHECK(ch);
	v2 = version_str(r);
	CHECK_STR(v2, v0);
	free(v2);
	CHECK_EQ_I64(sch_drop_keyspace(r, "ks", true, &ch, &err), 0);
	CHECK(!ch);
	CHECK_EQ_I64(sch_drop_keyspace(r, "ks", false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_INVALID);
	CHECK_STR(err.msg, "Keyspace 'ks' doesn't exist");

	free(v0);
	free(v1);
	sch_registry_free(r);
}

static void test_nts(void)
{
	static const char *const dcs[] = { "datacenter1", "dc2" };
	sch_registry_config cfg = { .ndcs = 2, .dcs = dcs };
	sch_registry *r = sch_registry_new(&cfg);
	sch_schema *s;
	const sch_keyspace *k;
	hl_err err;
	bool ch;

	CHECK_EQ_I64(mk_ks(r, "n", "NetworkTopologyStrategy", "dc9", "3", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Unrecognized strategy option {dc9} passed to NetworkTopologyStrategy for keyspace n");
	CHECK_EQ_I64(mk_ks(r, "n", "NetworkTopologyStrategy", "datacenter1", "1/1", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Transient replication is not enabled on this node");
	CHECK_EQ_I64(mk_ks(r, "n", "NetworkTopologyStrategy", "replication_factor", "2", false, &ch, &err), 0);
	s = sch_acquire(r);
	k = sch_find_keyspace(s, "n");
	CHECK_STR(k->strategy, "org.apache.cassandra.locator.NetworkTopologyStrategy");
	CHECK_STR(sch_map_get(&k->replication, "datacenter1"), "2");
	CHECK_STR(sch_map_get(&k->replication, "dc2"), "2");
	CHECK(sch_map_get(&k->replication, "replication_factor") == NULL);
	{
		hl_arena *a = hl_arena_new(1024);

		CHECK_STR(sch_keyspace_cql(k, a),
			  "CREATE KEYSPACE n WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': '2', 'dc2': '2'}  AND durable_writes = true;");
		hl_arena_free(a);
	}
	sch_release(s);
	sch_registry_free(r);
}

static void test_version_determinism(void)
{
	sch_registry *a = sch_registry_new(NULL), *b = sch_registry_new(NULL);
	char *va, *vb;

	simple_ks(a, "k1");
	simple_ks(a, "k2");
	simple_ks(b, "k2");
	simple_ks(b, "k1");
	va = version_str(a);
	vb = version_str(b);
	CHECK_STR(va, vb);
	free(va);
	free(vb);
	sch_registry_free(a);
	sch_registry_free(b);
}

static void test_create_table(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *s;
	const sch_table *t;
	const sch_column *sel[8];
	hl_err err;
	bool ch;
	char *v1, *v2;
	hl_arena *a = hl_arena_new(4096);

	CHECK_EQ_I64(mk_table(r, "ks", "t", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Keyspace 'ks' doesn't exist");
	simple_ks(r, "ks");
	v1 = version_str(r);
	CHECK_EQ_I64(mk_table(r, "ks", "t", false, &ch, &err), 0);
	CHECK(ch);
	v2 = version_str(r);
	CHECK(strcmp(v1, v2) != 0);
	free(v1);
	CHECK_EQ_I64(mk_table(r, "ks", "t", false, &ch, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_ALREADY_EXISTS);
	CHECK_STR(err.msg, "Cannot add already existing table \"t\" to keyspace \"ks\"");
	CHECK_STR(err.ks, "ks");
	CHECK_STR(err.table, "t");
	CHECK_EQ_I64(mk_table(r, "ks", "t", true, &ch, &err), 0);
	CHECK(!ch);
	v1 = version_str(r);
	CHECK_STR(v1, v2);
	free(v1);
	free(v2);

	s = sch_acquire(r);
	t = sch_find_table(s, "ks", "t");
	CHECK(t != NULL);
	CHECK_EQ_I64(t->ncols, 8);
	CHECK_EQ_I64(t->npk, 2);
	CHECK_EQ_I64(t->nck, 2);
	/* create order: pk, clustering, static, regular simple by name, then complex */
	CHECK_STR(t->cols[0].name, "pk1");
	CHECK_STR(t->cols[1].name, "pk2");
	CHECK_EQ_I64(t->cols[1].position, 1);
	CHECK_EQ_I64(t->cols[1].kind, SCH_PARTITION_KEY);
	CHECK_STR(t->cols[2].name, "c1");
	CHECK_EQ_I64(t->cols[2].order, SCH_ORDER_DESC);
	CHECK_STR(t->cols[3].name, "c2");
	CHECK_EQ_I64(t->cols[3].order, SCH_ORDER_ASC);
	CHECK_EQ_I64(t->cols[3].position, 1);
	CHECK_STR(t->cols[4].name, "s");
	CHECK_EQ_I64(t->cols[4].kind, SCH_STATIC);
	CHECK_EQ_I64(t->cols[4].position, -1);
	CHECK_STR(t->cols[5].name, "v0");
	CHECK_STR(t->cols[6].name, "v1");
	CHECK_STR(t->cols[7].name, "v2");
	CHECK(!t->is_counter);
	/* stable ids: pk, clustering, then definition order */
	CHECK_EQ_I64(sch_find_column(t, "pk1")->id, 0);
	CHECK_EQ_I64(sch_find_column(t, "c2")->id, 3);
	CHECK_EQ_I64(sch_find_column(t, "s")->id, 4);
	CHECK_EQ_I64(sch_find_column(t, "v2")->id, 5);
	CHECK_EQ_I64(sch_find_column(t, "v0")->id, 7);
	sch_select_order(t, sel);
	CHECK_STR(sel[4]->name, "s");
	CHECK_STR(sel[7]->name, "v2");
	CHECK(sch_find_table_by_id(s, &t->id) == t);

	/* DESCRIBE TABLE: Cassandra 5.0's exact text */
	{
		sch_desc_req q = { .kind = SCH_DESC_TABLE, .ks = "ks", .name = "t" };
		sch_desc_result res;
		const char *expect_head =
			"CREATE TABLE ks.t (\n"
			"    pk1 text,\n"
			"    pk2 int,\n"
			"    c1 int,\n"
			"    c2 text,\n"
			"    s decimal static,\n"
			"    v0 int,\n"
			"    v1 text,\n"
			"    v2 list<int>,\n"
			"    PRIMARY KEY ((pk1, pk2), c1, c2)\n"
			") WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)\n"
			"    AND ";
		char *expect = hl_arena_printf(a, "%s%s", expect_head, DEFAULT_PARAMS);

		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_EQ_I64(res.ncols, 4);
		CHECK_EQ_I64(res.nrows, 1);
		CHECK_STR(res.rows[0].keyspace_name, "ks");
		CHECK_STR(res.rows[0].type, "table");
		CHECK_STR(res.rows[0].name, "t");
		CHECK_STR(res.rows[0].create_statement, expect);

		q.name = "nope";
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), -1);
		CHECK_STR(err.msg, "Table 'nope' not found in keyspace 'ks'");
		q.ks = NULL;
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), -1);
		CHECK_STR(err.msg, "No keyspace specified and no current keyspace");
	}
	sch_release(s);
	hl_arena_free(a);
	sch_registry_free(r);
}

static void test_table_errors(void)
{
	sch_registry *r = sch_registry_new(NULL);
	hl_err err;
	sch_column_def cols[4] = {
		{ "k", "int", NULL, false }, { "c", "int", NULL, false },
		{ "v", "text", NULL, false }, { "l", "list<int>", NULL, false },
	};
	const char *pk[2] = { "k", "l" };
	const char *ck[1] = { "c" };
	const char *ord[2] = { "v", "c" };
	bool desc[2] = { false, true };
	sch_table_def d = { .ks = "ks", .name = "t", .ncols = 4, .cols = cols, .npk = 1, .pk = pk };

	simple_ks(r, "ks");
	d.npk = 0;
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "No PRIMARY KEY specifed for table 't' (exactly one required)");
	d.npk = 1;
	pk[0] = "zz";
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Unknown column 'zz' referenced in PRIMARY KEY for table 't'");
	pk[0] = "k";
	d.npk = 2;
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Invalid non-frozen collection type list<int> for PRIMARY KEY column 'l'");
	d.npk = 1;
	cols[3].name = "k";
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Duplicate column 'k' declaration for table 't'");
	cols[3].name = "l";
	d.nck = 1;
	d.ck = ck;
	d.norder = 1;
	d.order_cols = ord;
	d.order_desc = desc;
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Missing CLUSTERING ORDER for column c");
	d.norder = 2;
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Only clustering columns can be defined in CLUSTERING ORDER directive");
	d.norder = 0;
	d.nck = 0;
	cols[2].is_static = true;
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Static columns are only useful (and thus allowed) if the table has at least one clustering column");
	cols[2].is_static = false;
	cols[2].type_text = "counter";
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "Cannot mix counter and non counter columns in the same table");
	cols[2].type_text = "text";
	cols[0].type_text = "duration";
	CHECK_EQ_I64(table_err(r, &d, &err), -1);
	CHECK_STR(err.msg, "duration type is not supported for PRIMARY KEY column 'k'");
	cols[0].type_text = "int";
	{
		sch_option o = { .name = "foo", .kind = SCH_OPT_NUMBER, .str = "1" };

		d.nopts = 1;
		d.opts = &o;
		CHECK_EQ_I64(table_err(r, &d, &err), -1);
		CHECK_EQ_I64(err.code, HL_ERR_SYNTAX);
		CHECK_STR(err.msg, "Unknown property 'foo'");
		o.name = "gc_grace_seconds";
		o.str = "abc";
		CHECK_EQ_I64(table_err(r, &d, &err), -1);
		CHECK_STR(err.msg, "Invalid integer value abc for 'gc_grace_seconds'");
		o.str = "-1";
		CHECK_EQ_I64(table_err(r, &d, &err), -1);
		CHECK_EQ_I64(err.code, HL_ERR_CONFIG);
		CHECK_STR(err.msg, "gc_grace_seconds must be greater than or equal to 0 (got -1)");
		o.name = "bloom_filter_fp_chance";
		o.str = "0";
		CHECK_EQ_I64(table_err(r, &d, &err), -1);
		CHECK_STR(err.msg, "bloom_filter_fp_chance must be larger than 6.71E-5 and less than or equal to 1.0 (got 0.0)");
		d.nopts = 0;
	}
	{
		sch_table_def bad = d;

		bad.ks = "system";
		CHECK_EQ_I64(table_err(r, &bad, &err), -1);
		CHECK_EQ_I64(err.code, HL_ERR_UNAUTHORIZED);
		CHECK_STR(err.msg, "system keyspace is not user-modifiable.");
	}
	CHECK_EQ_I64(table_err(r, &d, &err), 0);
	sch_registry_free(r);
}

static void test_options(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *s;
	const sch_table *t;
	hl_err err;
	bool ch;
	sch_kv comp[1] = { { "class", "LeveledCompactionStrategy", 0 } };
	sch_kv cz[1] = { { "enabled", "false", 0 } };
	sch_kv cache[1] = { { "keys", "none", 0 } };
	sch_option o[6] = {
		{ .name = "compaction", .kind = SCH_OPT_MAP, .nmap = 1, .map = comp },
		{ .name = "compression", .kind = SCH_OPT_MAP, .nmap = 1, .map = cz },
		{ .name = "speculative_retry", .kind = SCH_OPT_STRING, .str = "95PERCENTILE" },
		{ .name = "comment", .kind = SCH_OPT_STRING, .str = "it's" },
		{ .name = "caching", .kind = SCH_OPT_MAP, .nmap = 1, .map = cache },
		{ .name = "default_time_to_live", .kind = SCH_OPT_NUMBER, .str = "60" },
	};

	simple_ks(r, "ks");
	mk_table(r, "ks", "t", false, &ch, &err);
	CHECK_EQ_I64(sch_alter_table_with(r, "ks", "t", 6, o, false, &ch, &err), 0);
	CHECK(ch);
	s = sch_acquire(r);
	t = sch_find_table(s, "ks", "t");
	CHECK_STR(sch_map_get(&t->params.compaction, "class"),
		  "org.apache.cassandra.db.compaction.LeveledCompactionStrategy");
	CHECK_STR(sch_map_get(&t->params.compaction, "min_threshold"), "4");
	CHECK_EQ_I64(t->params.compression.n, 1);
	CHECK_STR(sch_map_get(&t->params.compression, "enabled"), "false");
	CHECK_STR(t->params.speculative_retry, "95p");
	CHECK_STR(sch_map_get(&t->params.caching, "keys"), "NONE");
	CHECK_STR(sch_map_get(&t->params.caching, "rows_per_partition"), "NONE");
	CHECK_EQ_I64(t->params.default_time_to_live, 60);
	{
		hl_arena *a = hl_arena_new(4096);
		const char *cql = sch_table_cql(t, false, a);

		CHECK(strstr(cql, "    AND comment = 'it''s'\n") != NULL);
		CHECK(strstr(cql, "    AND compression = {'enabled': 'false'}\n") != NULL);
		CHECK(strstr(cql, "    AND caching = {'keys': 'NONE', 'rows_per_partition': 'NONE'}\n") != NULL);
		hl_arena_free(a);
	}
	sch_release(s);
	o[0].name = "id";
	o[0].kind = SCH_OPT_STRING;
	o[0].str = "5a1c395e-b41f-11e5-9f22-ba0be0483c18";
	CHECK_EQ_I64(sch_alter_table_with(r, "ks", "t", 1, o, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot alter table id.");
	comp[0].value = "Nope";
	o[0] = (sch_option){ .name = "compaction", .kind = SCH_OPT_MAP, .nmap = 1, .map = comp };
	CHECK_EQ_I64(sch_alter_table_with(r, "ks", "t", 1, o, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Unable to find compaction strategy class 'org.apache.cassandra.db.compaction.Nope'");
	CHECK_EQ_I64(sch_alter_table_with(r, "ks", "zz", 1, o, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Table 'ks.zz' doesn't exist");
	CHECK_EQ_I64(sch_alter_table_with(r, "ks", "zz", 1, o, true, &ch, &err), 0);
	CHECK(!ch);
	sch_registry_free(r);
}

static void test_alter_columns(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *old, *s;
	const sch_table *t;
	hl_err err;
	bool ch;
	const char *drop[1] = { "v1" };
	const char *from[1] = { "c1" }, *to[1] = { "cc" };
	sch_column_def add[1] = { { "v9", "map<text, int>", NULL, false } };

	simple_ks(r, "ks");
	mk_table(r, "ks", "t", false, &ch, &err);
	old = sch_acquire(r);

	CHECK_EQ_I64(sch_alter_table_add(r, "ks", "t", 1, add, false, false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_alter_table_add(r, "ks", "t", 1, add, false, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Column with name 'v9' already exists");
	CHECK_EQ_I64(sch_alter_table_add(r, "ks", "t", 1, add, false, true, &ch, &err), 0);
	CHECK(!ch);

	CHECK_EQ_I64(sch_alter_table_drop(r, "ks", "t", 1, drop, false, false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_alter_table_drop(r, "ks", "t", 1, drop, false, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Column v1 was not found in table 'ks.t'");
	CHECK_EQ_I64(sch_alter_table_drop(r, "ks", "t", 1, drop, false, true, &ch, &err), 0);
	CHECK(!ch);
	drop[0] = "pk1";
	CHECK_EQ_I64(sch_alter_table_drop(r, "ks", "t", 1, drop, false, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot drop PRIMARY KEY column pk1");

	CHECK_EQ_I64(sch_alter_table_rename(r, "ks", "t", 1, from, to, false, &ch, &err), 0);
	CHECK(ch);
	from[0] = "v0";
	CHECK_EQ_I64(sch_alter_table_rename(r, "ks", "t", 1, from, to, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot rename non PRIMARY KEY column v0");

	s = sch_acquire(r);
	t = sch_find_table(s, "ks", "t");
	CHECK(sch_find_column(t, "v1") == NULL);
	CHECK_EQ_I64(t->ndropped, 1);
	CHECK_STR(t->dropped[0].name, "v1");
	CHECK_EQ_I64(t->dropped[0].kind, SCH_REGULAR);
	CHECK(t->dropped[0].dropped_time > 0);
	CHECK_EQ_I64(t->dropped[0].id, 6);
	CHECK_EQ_I64(sch_find_column(t, "v9")->id, 8);      /* never reuses 6 */
	CHECK_EQ_I64(sch_find_column(t, "cc")->id, 2);      /* kept across rename */
	CHECK_EQ_I64(sch_find_column(t, "cc")->kind, SCH_CLUSTERING);
	/* the old snapshot is untouched and still readable */
	t = sch_find_table(old, "ks", "t");
	CHECK(sch_find_column(t, "v1") != NULL && sch_find_column(t, "c1") != NULL);
	CHECK(sch_find_column(t, "v9") == NULL);
	CHECK(sch_epoch(s) > sch_epoch(old));
	sch_release(old);

	/* re-adding with an incompatible type is refused */
	add[0].name = "v1";
	add[0].type_text = "int";
	CHECK_EQ_I64(sch_alter_table_add(r, "ks", "t", 1, add, false, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot re-add previously dropped column 'v1' of type int, incompatible with previous type text");
	sch_release(s);

	CHECK_EQ_I64(sch_drop_table(r, "ks", "t", false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_drop_table(r, "ks", "t", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Table 'ks.t' doesn't exist");
	CHECK_EQ_I64(sch_drop_table(r, "ks", "t", true, &ch, &err), 0);
	CHECK(!ch);
	sch_registry_free(r);
}

static void test_types_indexes(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_schema *s;
	hl_arena *a = hl_arena_new(4096);
	hl_err err;
	bool ch;
	const char *fn[2] = { "street", "zip" }, *ft[2] = { "text", "int" };
	const char *fn2[1] = { "home" }, *ft2[1] = { "frozen<address>" };
	sch_type_def td = { .ks = "ks", .name = "address", .nfields = 2, .field_names = fn, .field_types = ft };
	sch_type_def td2 = { .ks = "ks", .name = "person", .nfields = 1, .field_names = fn2, .field_types = ft2 };
	sch_column_def cols[3] = { { "id", "int", NULL, false }, { "a", "frozen<address>", NULL, false },
				   { "val", "text", NULL, false } };
	const char *pk[1] = { "id" };
	sch_table_def tdef = { .ks = "ks", .name = "Users", .ncols = 3, .cols = cols, .npk = 1, .pk = pk };
	sch_index_def ix = { .ks = "ks", .table = "Users", .column = "val" };

	simple_ks(r, "ks");
	CHECK_EQ_I64(sch_create_type(r, &td, false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_create_type(r, &td, false, &ch, &err), -1);
	CHECK_STR(err.msg, "A user type with name 'address' already exists");
	CHECK_EQ_I64(sch_create_type(r, &td, true, &ch, &err), 0);
	CHECK(!ch);
	CHECK_EQ_I64(sch_create_type(r, &td2, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_create_table(r, &tdef, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_drop_type(r, "ks", "address", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot drop user type 'ks.address' as it is still used by user type ks.person, table ks.Users");

	CHECK_EQ_I64(sch_create_index(r, &ix, false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_create_index(r, &ix, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Index Users_val_idx_1 is a duplicate of existing index Users_val_idx");
	ix.name = "Users_val_idx";
	CHECK_EQ_I64(sch_create_index(r, &ix, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Index 'Users_val_idx' already exists");
	CHECK_EQ_I64(sch_create_index(r, &ix, true, &ch, &err), 0);
	CHECK(!ch);
	ix.column = "id";
	ix.name = NULL;
	CHECK_EQ_I64(sch_create_index(r, &ix, false, &ch, &err), -1);
	CHECK_STR(err.msg, "Cannot create secondary index on the only partition key column id");

	s = sch_acquire(r);
	{
		sch_desc_req q = { .kind = SCH_DESC_KEYSPACE, .ks = "ks" };
		sch_desc_result res;

		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_EQ_I64(res.nrows, 5);
		CHECK_STR(res.rows[0].create_statement,
			  "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;");
		CHECK_STR(res.rows[1].name, "address");
		CHECK_STR(res.rows[1].create_statement, "CREATE TYPE ks.address (\n    street text,\n    zip int\n);");
		CHECK_STR(res.rows[2].create_statement, "CREATE TYPE ks.person (\n    home frozen<address>\n);");
		CHECK_STR(res.rows[3].name, "\"Users\"");
		CHECK(strncmp(res.rows[3].create_statement,
			      "CREATE TABLE ks.\"Users\" (\n    id int PRIMARY KEY,\n    a frozen<address>,\n    val text\n) WITH additional_write_policy",
			      110) == 0);
		CHECK_STR(res.rows[4].type, "index");
		CHECK_STR(res.rows[4].name, "\"Users_val_idx\"");
		CHECK_STR(res.rows[4].create_statement, "CREATE INDEX \"Users_val_idx\" ON ks.\"Users\" (val);");

		q.kind = SCH_DESC_KEYSPACES;
		q.ks = NULL;
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_EQ_I64(res.ncols, 3);
		CHECK_EQ_I64(res.nrows, 6);
		CHECK_STR(res.rows[0].name, "ks");
		CHECK_STR(res.rows[3].name, "system_traces");
		CHECK_STR(res.rows[5].name, "system_virtual_schema");

		q.kind = SCH_DESC_GENERIC;
		q.name = "nothing";
		q.session_ks = "ks";
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), -1);
		CHECK_STR(err.msg, "'nothing' not found in keyspace 'ks'");
		q.session_ks = NULL;
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), -1);
		CHECK_STR(err.msg, "'nothing' not found in keyspaces");
		q.name = "Users_val_idx";
		q.ks = "ks";
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_STR(res.rows[0].type, "index");

		q.kind = SCH_DESC_SCHEMA;
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_EQ_I64(res.nrows, 5);
		q.kind = SCH_DESC_ONLY_KEYSPACE;
		q.ks = "system_virtual_schema";
		CHECK_EQ_I64(sch_describe(s, &q, a, &res, &err), 0);
		CHECK_STR(res.rows[0].create_statement,
			  "/*\nWarning: Keyspace system_virtual_schema is a virtual keyspace and cannot be recreated with CQL.\n"
			  "Structure, for reference:\nVIRTUAL KEYSPACE system_virtual_schema;\n*/");
	}
	sch_release(s);
	CHECK_EQ_I64(sch_drop_index(r, "ks", "Users_val_idx", false, &ch, &err), 0);
	CHECK(ch);
	CHECK_EQ_I64(sch_drop_index(r, "ks", "Users_val_idx", false, &ch, &err), -1);
	CHECK_STR(err.msg, "Index 'ks.Users_val_idx' doesn't exist");
	hl_arena_free(a);
	sch_registry_free(r);
}

static void test_text_helpers(void)
{
	hl_arena *a = hl_arena_new(1024);
	hl_buf b;
	static const struct { double v; const char *s; } dv[] = {
		{ 0.01, "0.01" }, { 1.0, "1.0" }, { 0.1, "0.1" }, { 6.71e-05, "6.71E-5" },
		{ 864000.0, "864000.0" }, { 1e7, "1.0E7" }, { 0.001, "0.001" }, { 123.25, "123.25" },
	};
	size_t i;

	CHECK_STR(sch_quote_ident("abc_1", a), "abc_1");
	CHECK_STR(sch_quote_ident("Abc", a), "\"Abc\"");
	CHECK_STR(sch_quote_ident("token", a), "\"token\"");
	CHECK_STR(sch_quote_ident("a\"b", a), "\"a\"\"b\"");
	CHECK_STR(sch_quote_ident("1a", a), "\"1a\"");
	for (i = 0; i < sizeof dv / sizeof dv[0]; i++) {
		hl_buf_init(&b);
		sch_put_double(&b, dv[i].v);
		hl_buf_u8(&b, 0);
		CHECK_STR((const char *)b.p, dv[i].s);
		hl_buf_free(&b);
	}
	{
		const char *c, *p, *sn;

		sch_describe_cluster("Test Cluster", "org.apache.cassandra.dht.Murmur3Partitioner",
				     "org.apache.cassandra.locator.SimpleSnitch", &c, &p, &sn);
		CHECK_STR(p, "Murmur3Partitioner");
		CHECK_STR(sn, "SimpleSnitch");
		CHECK(!sch_describe_cluster_has_ownership(NULL));
		CHECK(!sch_describe_cluster_has_ownership("system"));
		CHECK(sch_describe_cluster_has_ownership("ks"));
	}
	hl_arena_free(a);
}

static void test_cache(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_cache c = { 0 };
	const sch_schema *s1, *s2;

	s1 = sch_cache_get(r, &c);
	CHECK(s1 == sch_cache_get(r, &c));
	simple_ks(r, "ks");
	s2 = sch_cache_get(r, &c);
	CHECK(s2 != s1);
	CHECK(sch_find_keyspace(s2, "ks") != NULL);
	sch_cache_clear(&c);
	sch_registry_free(r);
}

/* Concurrent DDL from several threads while others read: no lost update. */
static void *ddl_thread(void *arg)
{
	sch_registry *r = ((void **)arg)[0];
	int id = (int)(intptr_t)((void **)arg)[1], i;
	char name[32];

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "k%d_%d", id, i);
		simple_ks(r, name);
	}
	return NULL;
}

static void *read_thread(void *arg)
{
	sch_registry *r = arg;
	sch_cache c = { 0 };
	int i;

	for (i = 0; i < 2000; i++) {
		const sch_schema *s = sch_cache_get(r, &c);
		sch_schema *s2 = sch_acquire(r);

		if (!sch_find_keyspace(s, "system") || !sch_find_table(s2, "system", "local"))
			abort();
		sch_release(s2);
	}
	sch_cache_clear(&c);
	return NULL;
}

static void test_concurrency(void)
{
	sch_registry *r = sch_registry_new(NULL);
	pthread_t th[6];
	void *args[4][2];
	sch_schema *s;
	int i;

	for (i = 0; i < 4; i++) {
		args[i][0] = r;
		args[i][1] = (void *)(intptr_t)i;
		pthread_create(&th[i], NULL, ddl_thread, args[i]);
	}
	pthread_create(&th[4], NULL, read_thread, r);
	pthread_create(&th[5], NULL, read_thread, r);
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	s = sch_acquire(r);
	CHECK_EQ_I64(sch_nkeyspaces(s), 5 + 40);
	sch_release(s);
	sch_registry_free(r);
}

/* ---------------------------------------------------------------- persistence */

static const char *const P_DCS[] = { "dc1" };
static const sch_registry_config P_CFG = { .ndcs = 1, .dcs = P_DCS };

static char *make_tmpdir(void)
{
	char *d = malloc(64);

	snprintf(d, 64, "/tmp/hl-test-schema-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void rm_tmpdir(char *dir)
{
	char *a = path_in(dir, "schema.db"), *b = path_in(dir, "schema.db.tmp");

	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
	free(dir);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	*n = fread(p, 1, (size_t)len, f);
	fclose(f);
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	fwrite(p, 1, n, f);
	fclose(f);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Re-seal a mutated body so the decoder, not the CRC, has to catch it. */
static void reseal(uint8_t *p, size_t n)
{
	put_be32(p + 8, (uint32_t)(n - 16));
	put_be32(p + 12, hl_crc32(0, p + 16, n - 16));
}

static int p_ddl(sch_registry *r, const sch_ddl *d, hl_err *err)
{
	sch_change c;

	hl_err_clear(err);
	return sch_registry_apply(r, d, &c, err);
}

static int p_type(sch_registry *r, const char *name, int n, const char *const *fn,
		  const char *const *ft)
{
	sch_type_def td = { .ks = "ks1", .name = name, .nfields = n, .field_names = fn, .field_types = ft };
	hl_err err;
	bool ch;
	int rc = sch_create_type(r, &td, false, &ch, &err);

	if (rc)
		fprintf(stderr, "create type %s: %s\n", name, err.msg);
	return rc;
}

/*
 * Everything the file must carry: both strategies, durable_writes false,
 * UDTs (one naming a type that sorts after it, one dropped while a dropped
 * column still refers to it), composite partition key, DESC clustering, a
 * static, collections, tuples, non-default options including a blob
 * extension with a NUL byte, indexes (plain and custom with options),
 * dropped columns (one USING TIMESTAMP), a renamed clustering column, a
 * column added after a drop, a counter table and a table with a given id.
 */
static void build_rich(sch_registry *r)
{
	static const char *const fn_addr[] = { "street", "zip" }, *const ft_addr[] = { "text", "int" };
	static const char *const fn_in[] = { "x" }, *const ft_in[] = { "frozen<list<int>>" };
	static const char *const fn_hold[] = { "h", "t" },
		*const ft_hold[] = { "frozen<zz_inner>", "frozen<tuple<int, frozen<address>>>" };
	static const char *const fn_gone[] = { "g1", "g2" }, *const ft_gone[] = { "int", "frozen<address>" };
	static const sch_column_def cols[] = {
		{ "pk1", "text", NULL, false }, { "pk2", "int", NULL, false },
		{ "c1", "int", NULL, false }, { "c2", "text", NULL, false },
		{ "s", "decimal", NULL, true }, { "v1", "text", NULL, false },
		{ "v2", "list<int>", NULL, false }, { "m", "map<text, frozen<address>>", NULL, false },
		{ "st", "set<text>", NULL, false }, { "tp", "frozen<tuple<int, text>>", NULL, false },
		{ "who", "frozen<a_holder>", NULL, false }, { "g", "frozen<gone>", NULL, false },
		{ "v0", "int", NULL, false }, { "Quoted", "blob", NULL, false },
	};
	static const char *const pk[] = { "pk1", "pk2" }, *const ck[] = { "c1", "c2" };
	static const bool desc[] = { true, false };
	sch_kv comp[2] = { { "class", "LeveledCompactionStrategy", 0 }, { "sstable_size_in_mb", "64", 0 } };
	sch_kv cache[1] = { { "keys", "none", 0 } };
	sch_kv ext[1] = { { "ext", "0x00ff01", 0 } };
	sch_option topts[8] = {
		{ .name = "compaction", .kind = SCH_OPT_MAP, .nmap = 2, .map = comp },
		{ .name = "comment", .kind = SCH_OPT_STRING, .str = "it's" },
		{ .name = "gc_grace_seconds", .kind = SCH_OPT_NUMBER, .str = "3600" },
		{ .name = "default_time_to_live", .kind = SCH_OPT_NUMBER, .str = "60" },
		{ .name = "bloom_filter_fp_chance", .kind = SCH_OPT_NUMBER, .str = "0.05" },
		{ .name = "speculative_retry", .kind = SCH_OPT_STRING, .str = "95PERCENTILE" },
		{ .name = "caching", .kind = SCH_OPT_MAP, .nmap = 1, .map = cache },
		{ .name = "extensions", .kind = SCH_OPT_MAP, .nmap = 1, .map = ext },
	};
	sch_table_def td = { .ks = "ks1", .name = "Events", .ncols = 14, .cols = cols, .npk = 2, .pk = pk,
			     .nck = 2, .ck = ck, .norder = 2, .order_cols = ck, .order_desc = desc,
			     .nopts = 8, .opts = topts };
	static const sch_column_def ccols[] = { { "k", "int", NULL, false }, { "n", "counter", NULL, false } };
	static const char *const ckpk[] = { "k" };
	sch_table_def cnt = { .ks = "ks1", .name = "cnt", .ncols = 2, .cols = ccols, .npk = 1, .pk = ckpk };
	sch_option idopt = { .name = "id", .kind = SCH_OPT_STRING, .str = "5a1c395e-b41f-11e5-9f22-ba0be0483c18" };
	sch_table_def t2 = { .ks = "ks2", .name = "t", .ncols = 2, .cols = ccols, .npk = 1, .pk = ckpk,
			     .nopts = 1, .opts = &idopt };
	static const sch_column_def t2cols[] = { { "k", "int", NULL, false }, { "n", "bigint", NULL, false } };
	sch_kv sai_opt[1] = { { "case_sensitive", "false", 0 } };
	sch_kv repl1[2] = { { "class", "SimpleStrategy", 0 }, { "replication_factor", "3", 0 } };
	sch_kv repl2[2] = { { "class", "NetworkTopologyStrategy", 0 }, { "dc1", "2", 0 } };
	sch_option ko1[2] = { { .name = "replication", .kind = SCH_OPT_MAP, .nmap = 2, .map = repl1 },
			      { .name = "durable_writes", .kind = SCH_OPT_BOOL, .str = "false" } };
	sch_option ko2[1] = { { .name = "replication", .kind = SCH_OPT_MAP, .nmap = 2, .map = repl2 } };
	sch_ddl d;
	hl_err err;

	t2.cols = t2cols;
	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_KEYSPACE;
	d.keyspace = (sch_keyspace_def){ .name = "ks1", .nopts = 2, .opts = ko1 };
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	d.keyspace = (sch_keyspace_def){ .name = "ks2", .nopts = 1, .opts = ko2 };
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);

	CHECK_EQ_I64(p_type(r, "address", 2, fn_addr, ft_addr), 0);
	CHECK_EQ_I64(p_type(r, "zz_inner", 1, fn_in, ft_in), 0);
	CHECK_EQ_I64(p_type(r, "a_holder", 2, fn_hold, ft_hold), 0);
	CHECK_EQ_I64(p_type(r, "gone", 2, fn_gone, ft_gone), 0);

	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_TABLE;
	d.table = td;
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "create Events: %s\n", err.msg);
	d.table = cnt;
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	d.table = t2;
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);

	memset(&d, 0, sizeof d);
	d.kind = SCH_DDL_CREATE_INDEX;
	d.index = (sch_index_def){ .ks = "ks1", .table = "Events", .column = "v1" };
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	d.index = (sch_index_def){ .ks = "ks1", .table = "Events", .name = "v0_sai", .column = "v0",
				   .custom_class = "sai", .nopts = 1, .opts = sai_opt };
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	d.index = (sch_index_def){ .ks = "ks1", .table = "Events", .column = "st", .target = SCH_IDX_VALUES };
	CHECK_EQ_I64(p_ddl(r, &d, &err), 0);

	/* drops: one with USING TIMESTAMP, then the UDT it used goes away */
	{
		static const char *const g[] = { "g" }, *const v2[] = { "v2" };
		static const char *const from[] = { "c2" }, *const to[] = { "cc" };
		static const sch_column_def add[] = { { "v3", "frozen<map<int, text>>", NULL, false } };

		memset(&d, 0, sizeof d);
		d.kind = SCH_DDL_ALTER_TABLE_DROP;
		d.ks = "ks1";
		d.name = "Events";
		d.ncols = 1;
		d.names = g;
		d.has_timestamp = true;
		d.timestamp = 1234567;
		CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
		d.names = v2;
		d.has_timestamp = false;
		CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
		memset(&d, 0, sizeof d);
		d.kind = SCH_DDL_DROP_TYPE;
		d.ks = "ks1";
		d.name = "gone";
		CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
		memset(&d, 0, sizeof d);
		d.kind = SCH_DDL_ALTER_TABLE_RENAME;
		d.ks = "ks1";
		d.name = "Events";
		d.ncols = 1;
		d.names = from;
		d.new_names = to;
		CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
		memset(&d, 0, sizeof d);
		d.kind = SCH_DDL_ALTER_TABLE_ADD;
		d.ks = "ks1";
		d.name = "Events";
		d.ncols = 1;
		d.cols = add;
		CHECK_EQ_I64(p_ddl(r, &d, &err), 0);
	}
}

static void same_map(const sch_map *a, const sch_map *b)
{
	int i;

	CHECK_EQ_I64(a->n, b->n);
	for (i = 0; i < a->n && i < b->n; i++) {
		CHECK_STR(a->e[i].key, b->e[i].key);
		CHECK_EQ_I64(a->e[i].vlen, b->e[i].vlen);
		CHECK(a->e[i].vlen == b->e[i].vlen && !memcmp(a->e[i].value, b->e[i].value, a->e[i].vlen));
	}
}

static void same_table(const sch_table *a, const sch_table *b)
{
	const sch_params *p = &a->params, *q = &b->params;
	hl_arena *ar = hl_arena_new(4096);
	int i;

	CHECK_STR(a->ks, b->ks);
	CHECK_STR(a->name, b->name);
	CHECK(!memcmp(a->id.b, b->id.b, 16));
	CHECK_EQ_I64(a->is_virtual, b->is_virtual);
	CHECK_EQ_I64(a->is_counter, b->is_counter);
	CHECK_EQ_I64(a->ncols, b->ncols);
	CHECK_EQ_I64(a->npk, b->npk);
	CHECK_EQ_I64(a->nck, b->nck);
	CHECK_EQ_I64(a->next_column_id, b->next_column_id);
	for (i = 0; i < a->ncols && i < b->ncols; i++) {
		CHECK_STR(a->cols[i].name, b->cols[i].name);
		CHECK_EQ_I64(a->cols[i].kind, b->cols[i].kind);
		CHECK_EQ_I64(a->cols[i].position, b->cols[i].position);
		CHECK_EQ_I64(a->cols[i].order, b->cols[i].order);
		CHECK_EQ_I64(a->cols[i].id, b->cols[i].id);
		CHECK(ty_equal(a->cols[i].type, b->cols[i].type));
	}
	for (i = 0; i < a->npk && i < b->npk; i++)
		CHECK_STR(a->pk[i]->name, b->pk[i]->name);
	for (i = 0; i < a->nck && i < b->nck; i++)
		CHECK_STR(a->ck[i]->name, b->ck[i]->name);
	CHECK_EQ_I64(a->ndropped, b->ndropped);
	for (i = 0; i < a->ndropped && i < b->ndropped; i++) {
		CHECK_STR(a->dropped[i].name, b->dropped[i].name);
		CHECK_EQ_I64(a->dropped[i].kind, b->dropped[i].kind);
		CHECK_EQ_I64(a->dropped[i].dropped_time, b->dropped[i].dropped_time);
		CHECK_EQ_I64(a->dropped[i].id, b->dropped[i].id);
		CHECK(ty_equal(a->dropped[i].type, b->dropped[i].type));
	}
	CHECK_EQ_I64(a->nindexes, b->nindexes);
	for (i = 0; i < a->nindexes && i < b->nindexes; i++) {
		CHECK_STR(a->indexes[i].name, b->indexes[i].name);
		CHECK_STR(a->indexes[i].kind, b->indexes[i].kind);
		same_map(&a->indexes[i].options, &b->indexes[i].options);
	}
	CHECK_STR(p->additional_write_policy, q->additional_write_policy);
	CHECK_EQ_I64(p->allow_auto_snapshot, q->allow_auto_snapshot);
	CHECK(p->bloom_filter_fp_chance == q->bloom_filter_fp_chance);
	same_map(&p->caching, &q->caching);
	CHECK_EQ_I64(p->cdc, q->cdc);
	CHECK_STR(p->comment, q->comment);
	same_map(&p->compaction, &q->compaction);
	same_map(&p->compression, &q->compression);
	CHECK_STR(p->memtable, q->memtable);
	CHECK(p->crc_check_chance == q->crc_check_chance);
	CHECK_EQ_I64(p->default_time_to_live, q->default_time_to_live);
	same_map(&p->extensions, &q->extensions);
	CHECK_EQ_I64(p->gc_grace_seconds, q->gc_grace_seconds);
	CHECK_EQ_I64(p->incremental_backups, q->incremental_backups);
	CHECK_EQ_I64(p->max_index_interval, q->max_index_interval);
	CHECK_EQ_I64(p->memtable_flush_period_in_ms, q->memtable_flush_period_in_ms);
	CHECK_EQ_I64(p->min_index_interval, q->min_index_interval);
	CHECK_STR(p->read_repair, q->read_repair);
	CHECK_STR(p->speculative_retry, q->speculative_retry);
	/* and what DESCRIBE prints from all of it */
	CHECK_STR(sch_table_cql(a, true, ar), sch_table_cql(b, true, ar));
	for (i = 0; i < a->nindexes && i < b->nindexes; i++)
		CHECK_STR(sch_index_cql(a, &a->indexes[i], ar), sch_index_cql(b, &b->indexes[i], ar));
	hl_arena_free(ar);
}

/* Field by field, every keyspace (system ones too: they must be untouched). */
static void same_schema(const sch_schema *a, const sch_schema *b)
{
	hl_arena *ar = hl_arena_new(4096);
	int i, j, f;

	CHECK(!memcmp(sch_version(a)->b, sch_version(b)->b, 16));
	CHECK_EQ_I64(sch_nkeyspaces(a), sch_nkeyspaces(b));
	for (i = 0; i < sch_nkeyspaces(a) && i < sch_nkeyspaces(b); i++) {
		const sch_keyspace *x = sch_keyspace_at(a, i), *y = sch_keyspace_at(b, i);

		CHECK_STR(x->name, y->name);
		CHECK_EQ_I64(x->cls, y->cls);
		CHECK_EQ_I64(x->durable_writes, y->durable_writes);
		CHECK_STR(x->strategy, y->strategy);
		same_map(&x->replication, &y->replication);
		CHECK_STR(sch_keyspace_cql(x, ar), sch_keyspace_cql(y, ar));
		CHECK_EQ_I64(x->ntypes, y->ntypes);
		for (j = 0; j < x->ntypes && j < y->ntypes; j++) {
			const sch_udt *u = x->types[j], *v = y->types[j];

			CHECK_STR(u->ks, v->ks);
			CHECK_STR(u->name, v->name);
			CHECK_EQ_I64(u->nfields, v->nfields);
			for (f = 0; f < u->nfields && f < v->nfields; f++) {
				CHECK_STR(u->field_names[f], v->field_names[f]);
				CHECK(ty_equal(u->field_types[f], v->field_types[f]));
			}
			CHECK(ty_equal(u->type, v->type));
			CHECK_STR(sch_type_cql(u, ar), sch_type_cql(v, ar));
		}
		CHECK_EQ_I64(x->ntables, y->ntables);
		for (j = 0; j < x->ntables && j < y->ntables; j++)
			same_table(x->tables[j], y->tables[j]);
	}
	hl_arena_free(ar);
}

static void test_persist_roundtrip(void)
{
	sch_registry *r = sch_registry_new(&P_CFG);
	char *dir = make_tmpdir(), *file = path_in(dir, "schema.db");
	sch_schema *s, *l = NULL, *fresh;
	const sch_table *t;
	const sch_keyspace *k;
	hl_err err;
	struct stat st;

	/* nothing saved yet: a fresh system-only snapshot */
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
	fresh = sch_schema_new_system();
	CHECK(l && sch_nkeyspaces(l) == 5);
	if (l)
		same_schema(l, fresh);
	sch_release(l);
	sch_release(fresh);

	build_rich(r);
	s = sch_acquire(r);
	/* the pieces the round trip must carry really are there */
	t = sch_find_table(s, "ks1", "Events");
	CHECK(t && t->ndropped == 2 && t->nindexes == 3);
	CHECK(t && sch_find_column(t, "cc") && sch_find_column(t, "cc")->id == 3);
	CHECK(t && sch_find_column(t, "v3") && sch_find_column(t, "v3")->id == 14);
	CHECK(t && t->params.extensions.n == 1 && t->params.extensions.e[0].vlen == 3);
	CHECK(sch_find_type(s, "ks1", "gone") == NULL);
	k = sch_find_keyspace(s, "ks1");
	CHECK(k && !k->durable_writes);

	CHECK_EQ_I64(sch_save(s, dir, &err), 0);
	CHECK(stat(file, &st) == 0);
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
	CHECK(l != NULL);
	if (l) {
		const sch_table *lt = sch_find_table(l, "ks1", "Events");
		const sch_dropped *g = NULL;
		int i;

		same_schema(s, l);
		CHECK(sch_find_table_by_id(l, &t->id) == lt);
		for (i = 0; lt && i < lt->ndropped; i++)
			if (!strcmp(lt->dropped[i].name, "g"))
				g = &lt->dropped[i];
		/* the dropped column keeps the shape of a UDT that no longer exists */
		CHECK(g && g->dropped_time == 1234567 && g->type->kind == TY_UDT && g->type->nsub == 2 &&
		      g->type->sub[1]->kind == TY_UDT);
		CHECK(sch_find_table(l, "ks2", "t") != NULL);
		{
			char v[37];

			hl_uuid_str(&sch_find_table(l, "ks2", "t")->id, v);
			CHECK_STR(v, "5a1c395e-b41f-11e5-9f22-ba0be0483c18");
		}
		CHECK(sch_find_table(l, "ks1", "cnt") && sch_find_table(l, "ks1", "cnt")->is_counter);
		/* saving what was loaded gives the same bytes */
		{
			hl_buf b1, b2;

			hl_buf_init(&b1);
			hl_buf_init(&b2);
			CHECK_EQ_I64(sch_schema_encode(s, &b1, &err), 0);
			CHECK_EQ_I64(sch_schema_encode(l, &b2, &err), 0);
			CHECK(b1.len == b2.len && !memcmp(b1.p, b2.p, b1.len));
			hl_buf_free(&b1);
			hl_buf_free(&b2);
		}
		sch_release(l);
	}
	sch_release(s);
	sch_registry_free(r);
	free(file);
	rm_tmpdir(dir);
}

static void test_persist_registry(void)
{
	sch_registry *r1 = sch_registry_new(&P_CFG), *r2;
	char *dir = make_tmpdir();
	sch_schema *s1, *s2, *l;
	hl_err err;
	bool ch;
	int next;
	static const char *const drop[] = { "cnt" };
	static const sch_column_def add[] = { { "v4", "int", NULL, false } };

	sch_registry_set_persist(r1, dir);
	build_rich(r1);
	/* a no-op or failing DDL leaves the file as it was */
	{
		char *file = path_in(dir, "schema.db");
		size_t n1 = 0, n2 = 0;
		uint8_t *b1 = slurp(file, &n1), *b2;

		CHECK_EQ_I64(mk_ks(r1, "ks1", "SimpleStrategy", "replication_factor", "1", true, &ch, &err), 0);
		CHECK(!ch);
		CHECK_EQ_I64(simple_ks(r1, "ks1"), -1);
		b2 = slurp(file, &n2);
		CHECK(b1 && b2 && n1 == n2 && !memcmp(b1, b2, n1));
		free(b1);
		free(b2);
		free(file);
	}

	/* "restart": a new registry from the file */
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
	r2 = sch_registry_new(&P_CFG);
	sch_registry_install(r2, l);
	s1 = sch_acquire(r1);
	s2 = sch_acquire(r2);
	same_schema(s1, s2);
	next = sch_find_table(s1, "ks1", "Events")->next_column_id;
	sch_release(s1);
	sch_release(s2);

	/* the restarted node goes on from the saved ids: no column id reused */
	sch_registry_set_persist(r2, dir);
	CHECK_EQ_I64(sch_alter_table_add(r2, "ks1", "Events", 1, add, false, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_drop_table(r2, "ks1", drop[0], false, &ch, &err), 0);
	sch_registry_free(r1);
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
	s2 = sch_acquire(r2);
	same_schema(s2, l);
	CHECK(sch_find_table(l, "ks1", "cnt") == NULL);
	CHECK(sch_find_column(sch_find_table(l, "ks1", "Events"), "v4") != NULL);
	CHECK_EQ_I64(sch_find_column(sch_find_table(l, "ks1", "Events"), "v4")->id, next);
	sch_release(s2);
	sch_release(l);
	sch_registry_free(r2);
	rm_tmpdir(dir);
}

static void expect_load_error(const char *dir, const char *what)
{
	sch_schema *l = NULL;
	hl_err err;

	hl_err_clear(&err);
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), -1);
	CHECK(l == NULL);
	CHECK_EQ_I64(err.code, HL_ERR_SERVER);
	CHECK(strstr(err.msg, "schema.db") != NULL);
	CHECK(strstr(err.msg, "offset") != NULL);
	if (what && !strstr(err.msg, what))
		fprintf(stderr, "expected '%s' in: %s\n", what, err.msg);
	CHECK(!what || strstr(err.msg, what) != NULL);
}

static void test_persist_corrupt(void)
{
	sch_registry *r = sch_registry_new(&P_CFG);
	char *dir = make_tmpdir(), *file = path_in(dir, "schema.db");
	sch_schema *s;
	uint8_t *orig, *p;
	size_t n, i, cut[] = { 0, 3, 15, 16, 40 };
	hl_err err;
	int ok = 0, bad = 0;

	build_rich(r);
	s = sch_acquire(r);
	CHECK_EQ_I64(sch_save(s, dir, &err), 0);
	orig = slurp(file, &n);
	CHECK(orig != NULL && n > 200);
	if (!orig)
		goto exit;
	p = malloc(n + 1);

	/* truncated files, at the header and in the body */
	for (i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		spit(file, orig, cut[i]);
		expect_load_error(dir, cut[i] < 16 ? "truncated header" : "body bytes");
	}
	spit(file, orig, n / 2);
	expect_load_error(dir, "truncated or trailing");
	spit(file, orig, n - 1);
	expect_load_error(dir, "truncated or trailing");
	/* trailing garbage */
	memcpy(p, orig, n);
	p[n] = 0;
	spit(file, p, n + 1);
	expect_load_error(dir, "trailing");
	/* a flipped byte in the magic, the version, the body */
	memcpy(p, orig, n);
	p[0] ^= 0x20;
	spit(file, p, n);
	expect_load_error(dir, "bad magic");
	memcpy(p, orig, n);
	p[5] = 2;
	spit(file, p, n);
	expect_load_error(dir, "unsupported format version 2");
	memcpy(p, orig, n);
	p[n / 2] ^= 0x01;
	spit(file, p, n);
	expect_load_error(dir, "CRC mismatch");
	memcpy(p, orig, n);
	p[n - 1] ^= 0x80;
	spit(file, p, n);
	expect_load_error(dir, "CRC mismatch");

	/*
	 * Past the CRC: the decoder itself must refuse every truncation of the
	 * body (each one resealed) and survive arbitrary flipped bytes.
	 */
	for (i = 16; i < n; i += (n > 1600 ? (n - 16) / 400 : 1)) {
		sch_schema *l = NULL;

		memcpy(p, orig, i);
		reseal(p, i);
		if (sch_schema_decode(p, i, "cut", &l, &err) == 0) {
			bad++;
			sch_release(l);
		} else if (!strstr(err.msg, "offset")) {
			bad++;
		}
	}
	CHECK_EQ_I64(bad, 0);
	for (i = 16; i < n; i += (n > 1600 ? (n - 16) / 400 : 1)) {
		sch_schema *l = NULL;

		memcpy(p, orig, n);
		p[i] ^= 0xff;
		reseal(p, n);
		if (sch_schema_decode(p, n, "flip", &l, &err) == 0) {
			ok++;
			sch_release(l);
		}
	}
	CHECK(ok >= 0);   /* some flips are harmless (a comment byte); none may crash */
	/* the intact file still loads */
	spit(file, orig, n);
	{
		sch_schema *l = NULL;

		CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
		if (l)
			same_schema(s, l);
		sch_release(l);
	}
	free(p);
	free(orig);
exit:
	sch_release(s);
	sch_registry_free(r);
	free(file);
	rm_tmpdir(dir);
}

static void test_persist_failure(void)
{
	sch_registry *r = sch_registry_new(&P_CFG);
	char *dir = make_tmpdir(), *missing = path_in(dir, "missing/deeper");
	sch_schema *before, *after, *l;
	hl_err err;
	bool ch = true;
	static const char *const fn[] = { "x" }, *const ft[] = { "int" };
	sch_type_def td = { .ks = "a", .name = "int", .nfields = 1, .field_names = fn, .field_types = ft };

	CHECK_EQ_I64(simple_ks(r, "a"), 0);
	/* a directory that cannot be written (missing: fails even for root) */
	sch_registry_set_persist(r, missing);
	before = sch_acquire(r);
	CHECK_EQ_I64(mk_ks(r, "b", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), -1);
	CHECK(!ch);
	CHECK_EQ_I64(err.code, HL_ERR_SERVER);
	CHECK(strncmp(err.msg, "could not persist schema: cannot create ", 40) == 0);
	after = sch_acquire(r);
	/* nothing was published */
	CHECK(after == before);
	CHECK(sch_find_keyspace(after, "b") == NULL);
	CHECK_EQ_I64(sch_epoch(after), sch_epoch(before));
	sch_release(after);

	/* once the directory works again, DDL saves everything published so far */
	sch_registry_set_persist(r, dir);
	CHECK_EQ_I64(mk_ks(r, "b", "SimpleStrategy", "replication_factor", "1", false, &ch, &err), 0);
	CHECK_EQ_I64(sch_load(dir, &P_CFG, &l, &err), 0);
	CHECK(sch_find_keyspace(l, "a") && sch_find_keyspace(l, "b"));
	sch_release(l);

	/* a UDT named like a native type would read back as that type: refused */
	CHECK_EQ_I64(sch_create_type(r, &td, false, &ch, &err), -1);
	CHECK(strstr(err.msg, "could not persist schema: user type a.int has the name of a native type") != NULL);
	after = sch_acquire(r);
	CHECK(sch_find_type(after, "a", "int") == NULL);
	sch_release(after);
	sch_release(before);
	sch_registry_free(r);
	free(missing);
	rm_tmpdir(dir);
}

int main(void)
{
	hl_log_set_level(HL_LOG_ERROR);
	test_system_keyspaces();
	test_keyspaces();
	test_nts();
	test_version_determinism();
	test_create_table();
	test_table_errors();
	test_options();
	test_alter_columns();
	test_types_indexes();
	test_text_helpers();
	test_cache();
	test_concurrency();
	test_persist_roundtrip();
	test_persist_registry();
	test_persist_corrupt();
	test_persist_failure();
	return T_DONE();
}
