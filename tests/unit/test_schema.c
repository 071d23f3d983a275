/*
 * Unit tests for schema/: DDL and its validation messages, IF [NOT] EXISTS
 * no-ops, schema versions, snapshot refcounting, system keyspaces and
 * DESCRIBE output compared with the exact text Cassandra 5.0 prints.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	CHECK_STR(sch_keyspace_at(s, 2)->name, "system_virtual_schema");
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
		CHECK_EQ_I64(res.nrows, 4);
		CHECK_STR(res.rows[0].name, "ks");
		CHECK_STR(res.rows[3].name, "system_virtual_schema");

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
	CHECK_EQ_I64(sch_nkeyspaces(s), 3 + 40);
	sch_release(s);
	sch_registry_free(r);
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
	return T_DONE();
}
