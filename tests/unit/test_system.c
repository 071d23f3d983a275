/*
 * Unit tests for system/: system.local content and wire types, peers,
 * size_estimates, and the system_schema / system_virtual_schema rows for a
 * table with a composite partition key, a DESC clustering column and a
 * static column.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "system/system.h"
#include "t.h"

static const sys_cell *cell(const sch_table *t, const sys_rowset *rs, int row, const char *col)
{
	int i = sch_column_index(t, col);

	if (i < 0 || row >= rs->nrows)
		return NULL;
	return &rs->cells[(size_t)row * (size_t)rs->ncols + (size_t)i];
}

static bool cell_is(const sys_cell *c, const void *p, size_t n)
{
	return c && c->len == (int32_t)n && memcmp(c->p, p, n) == 0;
}

static bool cell_text(const sys_cell *c, const char *s)
{
	return cell_is(c, s, strlen(s));
}

static int32_t cell_int(const sys_cell *c)
{
	if (!c || c->len != 4)
		return -999;
	return (int32_t)((uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3]);
}

/* Find the row whose text column col equals v (and col2 equals v2 when given). */
static int find_row(const sch_table *t, const sys_rowset *rs, const char *col, const char *v,
		    const char *col2, const char *v2)
{
	int i;

	for (i = 0; i < rs->nrows; i++)
		if (cell_text(cell(t, rs, i, col), v) && (!col2 || cell_text(cell(t, rs, i, col2), v2)))
			return i;
	return -1;
}

/* Does a serialized map<text,text> hold key -> value? */
static bool map_has(const sys_cell *c, const char *key, const char *val)
{
	hl_rd r;
	int32_t n, i;

	if (!c || c->len < 4)
		return false;
	hl_rd_init(&r, c->p, (size_t)c->len);
	hl_rd_i32(&r, &n);
	for (i = 0; i < n; i++) {
		const uint8_t *kp, *vp;
		int32_t kn, vn;

		if (hl_rd_pbytes(&r, &kp, &kn) || hl_rd_pbytes(&r, &vp, &vn))
			return false;
		if (kn == (int32_t)strlen(key) && !memcmp(kp, key, (size_t)kn))
			return vn == (int32_t)strlen(val) && !memcmp(vp, val, (size_t)vn);
	}
	return false;
}

static sch_registry *setup(void)
{
	sch_registry *r = sch_registry_new(NULL);
	sch_kv m[2] = { { "class", "SimpleStrategy", 0 }, { "replication_factor", "1", 0 } };
	sch_option o = { .name = "replication", .kind = SCH_OPT_MAP, .nmap = 2, .map = m };
	sch_keyspace_def kd = { .name = "ks", .nopts = 1, .opts = &o };
	static const sch_column_def cols[] = {
		{ "pk1", "text", NULL, false }, { "pk2", "int", NULL, false },
		{ "c1", "int", NULL, false }, { "c2", "text", NULL, false },
		{ "s", "decimal", NULL, true }, { "v", "list<int>", NULL, false },
	};
	static const char *const pk[] = { "pk1", "pk2" };
	static const char *const ck[] = { "c1", "c2" };
	static const char *const ord[] = { "c1" };
	static const bool desc[] = { true };
	sch_table_def td = { .ks = "ks", .name = "t", .ncols = 6, .cols = cols, .npk = 2, .pk = pk,
			     .nck = 2, .ck = ck, .norder = 1, .order_cols = ord, .order_desc = desc };
	static const sch_column_def ccols[] = { { "k", "int", NULL, false }, { "n", "counter", NULL, false } };
	static const char *const cpk[] = { "k" };
	sch_table_def cd = { .ks = "ks", .name = "cnt", .ncols = 2, .cols = ccols, .npk = 1, .pk = cpk };
	static const char *const drop[] = { "v" };
	hl_err err;
	bool ch;

	CHECK_EQ_I64(sch_create_keyspace(r, &kd, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_create_table(r, &td, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_create_table(r, &cd, false, &ch, &err), 0);
	CHECK_EQ_I64(sch_alter_table_drop(r, "ks", "t", 1, drop, false, false, &ch, &err), 0);
	{
		sch_index_def ix = { .ks = "ks", .table = "t", .column = "s" };

		CHECK_EQ_I64(sch_create_index(r, &ix, false, &ch, &err), 0);
	}
	return r;
}

static void test_local(sch_schema *s, hl_arena *a)
{
	const sch_table *t = sch_find_table(s, "system", "local");
	sys_node n;
	sys_rowset rs;
	hl_err err;
	static const int64_t tokens[] = { 100, -5 };
	static const uint8_t tok_enc[] = { 0, 0, 0, 2, 0, 0, 0, 2, '-', '5', 0, 0, 0, 3, '1', '0', '0' };
	static const uint8_t lo[] = { 127, 0, 0, 1 };

	sys_node_defaults(&n);
	hl_uuid_parse("2ed9a1b0-1d2f-4c54-9c5f-1f4a8e2f0c11", 36, &n.host_id);
	n.cluster_name = "Helenus";
	n.tokens = tokens;
	n.ntokens = 2;
	n.gossip_generation = 1700000000;
	CHECK_EQ_I64(sys_rows(s, &n, t, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK_EQ_I64(rs.ncols, t->ncols);
	CHECK(cell_text(cell(t, &rs, 0, "key"), "local"));
	CHECK(cell_text(cell(t, &rs, 0, "cluster_name"), "Helenus"));
	CHECK(cell_text(cell(t, &rs, 0, "data_center"), "datacenter1"));
	CHECK(cell_text(cell(t, &rs, 0, "rack"), "rack1"));
	CHECK(cell_text(cell(t, &rs, 0, "partitioner"), "org.apache.cassandra.dht.Murmur3Partitioner"));
	CHECK(cell_text(cell(t, &rs, 0, "release_version"), "5.0.2"));
	CHECK(cell_text(cell(t, &rs, 0, "cql_version"), "3.4.7"));
	CHECK(cell_text(cell(t, &rs, 0, "native_protocol_version"), "5"));
	CHECK(cell_text(cell(t, &rs, 0, "bootstrapped"), "COMPLETED"));
	CHECK(cell_is(cell(t, &rs, 0, "host_id"), n.host_id.b, 16));
	CHECK(cell_is(cell(t, &rs, 0, "schema_version"), sch_version(s)->b, 16));
	CHECK(cell_is(cell(t, &rs, 0, "rpc_address"), lo, 4));
	CHECK(cell_is(cell(t, &rs, 0, "listen_address"), lo, 4));
	CHECK_EQ_I64(cell_int(cell(t, &rs, 0, "rpc_port")), 9042);
	CHECK_EQ_I64(cell_int(cell(t, &rs, 0, "listen_port")), 7000);
	CHECK_EQ_I64(cell_int(cell(t, &rs, 0, "gossip_generation")), 1700000000);
	/* set<text>, sorted by bytes: "-5" < "100" */
	CHECK(cell_is(cell(t, &rs, 0, "tokens"), tok_enc, sizeof tok_enc));
	CHECK_EQ_I64(cell(t, &rs, 0, "truncated_at")->len, -1);
	CHECK(sch_find_column(t, "dse_version") == NULL);
}

static void test_peers(sch_schema *s, hl_arena *a)
{
	const sch_table *p1 = sch_find_table(s, "system", "peers");
	const sch_table *p2 = sch_find_table(s, "system", "peers_v2");
	const sch_table *se = sch_find_table(s, "system", "size_estimates");
	sys_node n;
	sys_peer peer;
	sys_size_estimate est = { "ks", "t", -100, 100, 42, 512 };
	sys_rowset rs;
	hl_err err;
	static const int64_t tok[] = { 7 };
	static const uint8_t ip2[] = { 127, 0, 0, 2 };

	sys_node_defaults(&n);
	CHECK_EQ_I64(sys_rows(s, &n, p1, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 0);
	CHECK_EQ_I64(rs.ncols, 9);
	CHECK_EQ_I64(sys_rows(s, &n, p2, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 0);
	CHECK_EQ_I64(rs.ncols, 12);

	memset(&peer, 0, sizeof peer);
	peer.peer = (sys_inet){ { 127, 0, 0, 2 }, 4 };
	peer.peer_port = 7000;
	peer.data_center = "datacenter1";
	peer.rack = "rack1";
	peer.release_version = "5.0.2";
	peer.native_address = peer.peer;
	peer.native_port = 9042;
	peer.tokens = tok;
	peer.ntokens = 1;
	peer.has_schema_version = true;
	peer.schema_version = *sch_version(s);
	n.peers = &peer;
	n.npeers = 1;
	CHECK_EQ_I64(sys_rows(s, &n, p1, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK(cell_is(cell(p1, &rs, 0, "peer"), ip2, 4));
	CHECK(cell_is(cell(p1, &rs, 0, "rpc_address"), ip2, 4));
	CHECK(cell_is(cell(p1, &rs, 0, "schema_version"), sch_version(s)->b, 16));
	CHECK_EQ_I64(cell(p1, &rs, 0, "preferred_ip")->len, -1);
	CHECK_EQ_I64(sys_rows(s, &n, p2, a, &rs, &err), 0);
	CHECK_EQ_I64(cell_int(cell(p2, &rs, 0, "native_port")), 9042);
	CHECK_EQ_I64(cell_int(cell(p2, &rs, 0, "peer_port")), 7000);
	CHECK(cell_is(cell(p2, &rs, 0, "native_address"), ip2, 4));

	n.estimates = &est;
	n.nestimates = 1;
	CHECK_EQ_I64(sys_rows(s, &n, se, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK(cell_text(cell(se, &rs, 0, "range_start"), "-100"));
	CHECK(cell_text(cell(se, &rs, 0, "range_end"), "100"));
	CHECK_EQ_I64(cell(se, &rs, 0, "partitions_count")->len, 8);
	CHECK_EQ_I64(cell(se, &rs, 0, "partitions_count")->p[7], 42);
}

static void test_schema_tables(sch_schema *s, hl_arena *a)
{
	const sch_table *ks = sch_find_table(s, "system_schema", "keyspaces");
	const sch_table *tb = sch_find_table(s, "system_schema", "tables");
	const sch_table *co = sch_find_table(s, "system_schema", "columns");
	const sch_table *dc = sch_find_table(s, "system_schema", "dropped_columns");
	const sch_table *ix = sch_find_table(s, "system_schema", "indexes");
	const sch_table *t = sch_find_table(s, "ks", "t");
	sys_node n;
	sys_rowset rs;
	hl_err err;
	int r;
	static const uint8_t compound[] = { 0, 0, 0, 1, 0, 0, 0, 8, 'c', 'o', 'm', 'p', 'o', 'u', 'n', 'd' };
	static const uint8_t counter[] = { 0, 0, 0, 2, 0, 0, 0, 8, 'c', 'o', 'm', 'p', 'o', 'u', 'n', 'd',
					   0, 0, 0, 7, 'c', 'o', 'u', 'n', 't', 'e', 'r' };
	static const uint8_t dbl001[] = { 0x3f, 0x84, 0x7a, 0xe1, 0x47, 0xae, 0x14, 0x7b };

	sys_node_defaults(&n);
	CHECK_EQ_I64(sys_rows(s, &n, ks, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 4);    /* ks, system, system_schema, system_traces; not the virtual ones */
	r = find_row(ks, &rs, "keyspace_name", "system_traces", NULL, NULL);
	CHECK(map_has(cell(ks, &rs, r, "replication"), "class", "org.apache.cassandra.locator.SimpleStrategy"));
	CHECK(map_has(cell(ks, &rs, r, "replication"), "replication_factor", "2"));
	r = find_row(ks, &rs, "keyspace_name", "ks", NULL, NULL);
	CHECK(r >= 0);
	CHECK(map_has(cell(ks, &rs, r, "replication"), "class", "org.apache.cassandra.locator.SimpleStrategy"));
	CHECK(map_has(cell(ks, &rs, r, "replication"), "replication_factor", "1"));
	r = find_row(ks, &rs, "keyspace_name", "system", NULL, NULL);
	CHECK(map_has(cell(ks, &rs, r, "replication"), "class", "org.apache.cassandra.locator.LocalStrategy"));
	CHECK(find_row(ks, &rs, "keyspace_name", "system_virtual_schema", NULL, NULL) < 0);

	CHECK_EQ_I64(sys_rows(s, &n, tb, a, &rs, &err), 0);
	r = find_row(tb, &rs, "keyspace_name", "ks", "table_name", "t");
	CHECK(r >= 0);
	CHECK(cell_is(cell(tb, &rs, r, "flags"), compound, sizeof compound));
	CHECK(cell_is(cell(tb, &rs, r, "id"), t->id.b, 16));
	CHECK(cell_is(cell(tb, &rs, r, "bloom_filter_fp_chance"), dbl001, 8));
	CHECK_EQ_I64(cell_int(cell(tb, &rs, r, "gc_grace_seconds")), 864000);
	CHECK(cell_text(cell(tb, &rs, r, "speculative_retry"), "99p"));
	CHECK(cell_text(cell(tb, &rs, r, "read_repair"), "BLOCKING"));
	CHECK(cell_text(cell(tb, &rs, r, "memtable"), "default"));
	CHECK(map_has(cell(tb, &rs, r, "caching"), "keys", "ALL"));
	CHECK(map_has(cell(tb, &rs, r, "compression"), "class", "org.apache.cassandra.io.compress.LZ4Compressor"));
	CHECK(cell_is(cell(tb, &rs, r, "extensions"), "\0\0\0\0", 4));
	r = find_row(tb, &rs, "keyspace_name", "ks", "table_name", "cnt");
	CHECK(cell_is(cell(tb, &rs, r, "flags"), counter, sizeof counter));
	/* system tables are described too, so drivers and cqlsh know them */
	r = find_row(tb, &rs, "keyspace_name", "system", "table_name", "local");
	CHECK(r >= 0);
	CHECK(cell_text(cell(tb, &rs, r, "comment"), "information about the local node"));
	CHECK(find_row(tb, &rs, "keyspace_name", "system_virtual_schema", NULL, NULL) < 0);

	CHECK_EQ_I64(sys_rows(s, &n, co, a, &rs, &err), 0);
	r = find_row(co, &rs, "table_name", "t", "column_name", "pk2");
	CHECK(r >= 0);
	CHECK(cell_text(cell(co, &rs, r, "kind"), "partition_key"));
	CHECK_EQ_I64(cell_int(cell(co, &rs, r, "position")), 1);
	CHECK(cell_text(cell(co, &rs, r, "clustering_order"), "none"));
	CHECK(cell_text(cell(co, &rs, r, "type"), "int"));
	CHECK(cell_text(cell(co, &rs, r, "column_name_bytes"), "pk2"));
	r = find_row(co, &rs, "table_name", "t", "column_name", "c1");
	CHECK(cell_text(cell(co, &rs, r, "kind"), "clustering"));
	CHECK_EQ_I64(cell_int(cell(co, &rs, r, "position")), 0);
	CHECK(cell_text(cell(co, &rs, r, "clustering_order"), "desc"));
	r = find_row(co, &rs, "table_name", "t", "column_name", "c2");
	CHECK(cell_text(cell(co, &rs, r, "clustering_order"), "asc"));
	CHECK_EQ_I64(cell_int(cell(co, &rs, r, "position")), 1);
	r = find_row(co, &rs, "table_name", "t", "column_name", "s");
	CHECK(cell_text(cell(co, &rs, r, "kind"), "static"));
	CHECK_EQ_I64(cell_int(cell(co, &rs, r, "position")), -1);
	CHECK(cell_text(cell(co, &rs, r, "type"), "decimal"));
	CHECK(find_row(co, &rs, "table_name", "t", "column_name", "v") < 0);   /* dropped */
	r = find_row(co, &rs, "table_name", "local", "column_name", "tokens");
	CHECK(r >= 0 && cell_text(cell(co, &rs, r, "type"), "set<text>"));
	r = find_row(co, &rs, "table_name", "cnt", "column_name", "n");
	CHECK(cell_text(cell(co, &rs, r, "type"), "counter"));

	CHECK_EQ_I64(sys_rows(s, &n, dc, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK(cell_text(cell(dc, &rs, 0, "column_name"), "v"));
	CHECK(cell_text(cell(dc, &rs, 0, "type"), "list<int>"));
	CHECK(cell_text(cell(dc, &rs, 0, "kind"), "regular"));
	CHECK_EQ_I64(cell(dc, &rs, 0, "dropped_time")->len, 8);

	CHECK_EQ_I64(sys_rows(s, &n, ix, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK(cell_text(cell(ix, &rs, 0, "index_name"), "t_s_idx"));
	CHECK(cell_text(cell(ix, &rs, 0, "kind"), "COMPOSITES"));
	CHECK(map_has(cell(ix, &rs, 0, "options"), "target", "s"));

	/* empty but queryable */
	CHECK_EQ_I64(sys_rows(s, &n, sch_find_table(s, "system_schema", "views"), a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 0);
	CHECK_EQ_I64(sys_rows(s, &n, sch_find_table(s, "system_schema", "functions"), a, &rs, &err), 0);
	CHECK_EQ_I64(sys_rows(s, &n, sch_find_table(s, "system_schema", "aggregates"), a, &rs, &err), 0);
	CHECK_EQ_I64(sys_rows(s, &n, sch_find_table(s, "system_schema", "triggers"), a, &rs, &err), 0);
	CHECK_EQ_I64(sys_rows(s, &n, sch_find_table(s, "system_schema", "types"), a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 0);

	CHECK_EQ_I64(sys_rows(s, &n, t, a, &rs, &err), -1);
	CHECK_EQ_I64(err.code, HL_ERR_INVALID);
}

static void test_virtual(sch_schema *s, hl_arena *a)
{
	const sch_table *vk = sch_find_table(s, "system_virtual_schema", "keyspaces");
	const sch_table *vt = sch_find_table(s, "system_virtual_schema", "tables");
	const sch_table *vc = sch_find_table(s, "system_virtual_schema", "columns");
	sys_node n;
	sys_rowset rs;
	hl_err err;
	int r;

	sys_node_defaults(&n);
	CHECK_EQ_I64(sys_rows(s, &n, vk, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 2);
	CHECK(find_row(vk, &rs, "keyspace_name", "system_virtual_schema", NULL, NULL) >= 0);
	CHECK(find_row(vk, &rs, "keyspace_name", "system_views", NULL, NULL) >= 0);
	CHECK_EQ_I64(sys_rows(s, &n, vt, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 3 + 14);
	r = find_row(vt, &rs, "table_name", "clients", NULL, NULL);
	CHECK(cell_text(cell(vt, &rs, r, "comment"), "currently connected clients"));
	r = find_row(vt, &rs, "table_name", "columns", NULL, NULL);
	CHECK(cell_text(cell(vt, &rs, r, "comment"), "virtual column definitions"));
	CHECK_EQ_I64(sys_rows(s, &n, vc, a, &rs, &err), 0);
	/* system_virtual_schema: 1 + 3 + 8; system_views: caches 9, clients 16,
	 * settings 2, sstable_tasks 10, thread_pools 7, six latency tables of 7,
	 * two histogram tables of 6, disk_usage 3 */
	CHECK_EQ_I64(rs.nrows, 1 + 3 + 8 + 9 + 16 + 2 + 10 + 7 + 6 * 7 + 2 * 6 + 3);
	r = find_row(vc, &rs, "table_name", "clients", "column_name", "address");
	CHECK(cell_text(cell(vc, &rs, r, "kind"), "partition_key"));
	CHECK(cell_text(cell(vc, &rs, r, "type"), "inet"));
	r = find_row(vc, &rs, "table_name", "columns", "column_name", "column_name");
	CHECK(cell_text(cell(vc, &rs, r, "kind"), "clustering"));
	CHECK_EQ_I64(cell_int(cell(vc, &rs, r, "position")), 1);
}

/* The trace store: parameters sorted, event ids increasing, oldest session evicted. */
static void test_traces(sch_schema *s, hl_arena *a)
{
	const sch_table *ts = sch_find_table(s, "system_traces", "sessions");
	const sch_table *te = sch_find_table(s, "system_traces", "events");
	sys_traces *st = sys_traces_new(2, 3);
	sys_node n;
	sys_rowset rs;
	hl_err err;

	CHECK(ts && te);
	if (!ts || !te)
		return;
	CHECK(!ts->is_virtual);
	CHECK_STR(sch_find_keyspace(s, "system_traces")->strategy,
		  "org.apache.cassandra.locator.SimpleStrategy");
	sys_node_defaults(&n);
	CHECK_EQ_I64(sys_rows(s, &n, ts, a, &rs, &err), 0);   /* no store: no rows */
	CHECK_EQ_I64(rs.nrows, 0);
	n.traces = st;
	for (int k = 0; k < 3; k++) {
		sys_trace_session *x = hl_calloc(1, sizeof *x);

		hl_uuid_time(1000000 + k, &x->id);
		x->command = "QUERY";
		x->request = hl_strdup("Execute CQL3 query");
		x->duration = 100 + k;
		x->started_at_ms = 1000 + k;
		x->coordinator = n.broadcast_address;
		x->coordinator_port = 7000;
		sys_trace_param(x, "query", "SELECT 1");
		sys_trace_param(x, "consistency_level", "ONE");
		sys_trace_param(x, "query", "SELECT 2");      /* replaces */
		CHECK_EQ_I64(x->nparams, 2);
		CHECK_STR(x->param_keys[0], "consistency_level");
		CHECK_STR(x->param_vals[1], "SELECT 2");
		/* same microsecond twice: the second id is still later */
		for (int e = 0; e < 5; e++)
			sys_trace_event_add(x, 3, 2000000, 1999990, "ReadStage-1", "step");
		CHECK_EQ_I64(x->nevents, 3);                  /* capped */
		CHECK(memcmp(x->events[0].event_id.b, x->events[1].event_id.b, 8) != 0);
		CHECK_EQ_I64(x->events[0].source_elapsed, 10);
		CHECK_EQ_I64(x->events[1].source_elapsed, 11);
		sys_traces_publish(st, x);
	}
	CHECK_EQ_I64(sys_rows(s, &n, ts, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 2);                             /* the first one was evicted */
	for (int r = 0; r < rs.nrows; r++) {
		CHECK(cell_int(cell(ts, &rs, r, "duration")) >= 101);
		CHECK(cell_text(cell(ts, &rs, r, "command"), "QUERY"));
		CHECK_EQ_I64(cell_int(cell(ts, &rs, r, "coordinator_port")), 7000);
	}
	CHECK_EQ_I64(sys_rows(s, &n, te, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 6);
	CHECK(cell_text(cell(te, &rs, 0, "thread"), "ReadStage-1"));
	CHECK(cell_text(cell(te, &rs, 0, "activity"), "step"));
	sys_traces_free(st);
}

static const char *const set_names[] = { "a_key", "b_key" };
static const char *const set_vals[] = { "1", "two" };

static void fake_live(void *ctx, const char *table, hl_arena *a, sys_live *out)
{
	static const char *ok[] = { "DRIVER_NAME" }, *ov[] = { "X" };
	sys_client *c = hl_arena_zalloc(a, sizeof *c);

	(void)ctx;
	if (!strcmp(table, "settings")) {
		out->nsettings = 2;
		out->setting_names = (const char **)set_names;
		out->setting_values = (const char **)set_vals;
	} else if (!strcmp(table, "clients")) {
		c->address = (sys_inet){ { 10, 0, 0, 7 }, 4 };
		c->port = 5555;
		c->stage = "ready";
		c->protocol_version = 5;
		c->driver_name = "X";
		c->nopts = 1;
		c->opt_keys = ok;
		c->opt_vals = ov;
		c->request_count = 42;
		out->clients = c;
		out->nclients = 1;
	} else if (!strcmp(table, "local_read_latency") || !strcmp(table, "rows_per_read") ||
		   !strcmp(table, "disk_usage")) {
		sys_table_metric *m = hl_arena_zalloc(a, sizeof *m * 3);

		/* latencies in us; 0.0005 ms rounds half up; bytes round up to MiB */
		m[0] = (sys_table_metric){ "ks", "a", 7, 1500, 2250.5, 4000, 0.12345, 0 };
		m[1] = (sys_table_metric){ "ks", "b", 1, 0.5, 1, 3, 2.0, 1048576 };
		m[2] = (sys_table_metric){ "ks", "c", 0, 0, 0, 0, 0, 1048577 };
		out->tmetrics = m;
		out->ntmetrics = 3;
		out->tmetric_kind = !strcmp(table, "disk_usage") ? SYS_TM_STORAGE
				  : !strcmp(table, "rows_per_read") ? SYS_TM_HISTOGRAM : SYS_TM_LATENCY;
	}
}

static int64_t cell_bigint(const sys_cell *c)
{
	uint64_t v = 0;

	if (!c || c->len != 8)
		return -999;
	for (int i = 0; i < 8; i++)
		v = v << 8 | (uint8_t)c->p[i];
	return (int64_t)v;
}

static double cell_double(const sys_cell *c)
{
	int64_t b = cell_bigint(c);
	double d;

	memcpy(&d, &b, 8);
	return d;
}

/* TableMetricTables rows: units, Cassandra's rounding, the columns of each kind. */
static void test_metric_views(sch_schema *s, hl_arena *a)
{
	const sch_table *lat = sch_find_table(s, "system_views", "local_read_latency");
	const sch_table *hist = sch_find_table(s, "system_views", "rows_per_read");
	const sch_table *disk = sch_find_table(s, "system_views", "disk_usage");
	sys_node n;
	sys_rowset rs;
	hl_err err;

	CHECK(lat && hist && disk);
	if (!lat || !hist || !disk)
		return;
	CHECK_EQ_I64(lat->npk, 2);
	sys_node_defaults(&n);
	n.live = fake_live;
	CHECK_EQ_I64(sys_rows(s, &n, lat, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 3);
	CHECK(cell_text(cell(lat, &rs, 0, "keyspace_name"), "ks"));
	CHECK(cell_text(cell(lat, &rs, 0, "table_name"), "a"));
	CHECK_EQ_I64(cell_bigint(cell(lat, &rs, 0, "count")), 7);
	CHECK(cell_double(cell(lat, &rs, 0, "50th_ms")) == 1.5);
	CHECK(cell_double(cell(lat, &rs, 0, "99th_ms")) == 2.251);      /* 2.2505 half up */
	CHECK(cell_double(cell(lat, &rs, 0, "max_ms")) == 4.0);
	CHECK(cell_double(cell(lat, &rs, 0, "per_second")) == 0.123);
	CHECK(cell_double(cell(lat, &rs, 1, "50th_ms")) == 0.001);      /* 0.0005 half up */
	CHECK(cell_double(cell(lat, &rs, 2, "max_ms")) == 0.0);
	CHECK_EQ_I64(sys_rows(s, &n, hist, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 3);
	CHECK(cell_double(cell(hist, &rs, 0, "50th")) == 1500.0);      /* no unit change */
	CHECK(cell_double(cell(hist, &rs, 1, "max")) == 3.0);
	CHECK(sch_column_index(hist, "per_second") < 0);
	CHECK_EQ_I64(sys_rows(s, &n, disk, a, &rs, &err), 0);
	CHECK_EQ_I64(cell_bigint(cell(disk, &rs, 0, "mebibytes")), 0);
	CHECK_EQ_I64(cell_bigint(cell(disk, &rs, 1, "mebibytes")), 1);
	CHECK_EQ_I64(cell_bigint(cell(disk, &rs, 2, "mebibytes")), 2);
}

static void test_views(sch_schema *s, hl_arena *a)
{
	const sch_table *st = sch_find_table(s, "system_views", "settings");
	const sch_table *cl = sch_find_table(s, "system_views", "clients");
	sys_node n;
	sys_rowset rs;
	hl_err err;

	CHECK(st && cl && st->is_virtual);
	if (!st || !cl)
		return;
	sys_node_defaults(&n);
	CHECK_EQ_I64(sys_rows(s, &n, st, a, &rs, &err), 0);   /* no live source: empty */
	CHECK_EQ_I64(rs.nrows, 0);
	n.live = fake_live;
	CHECK_EQ_I64(sys_rows(s, &n, st, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 2);
	CHECK(cell_text(cell(st, &rs, 1, "value"), "two"));
	CHECK_EQ_I64(sys_rows(s, &n, cl, a, &rs, &err), 0);
	CHECK_EQ_I64(rs.nrows, 1);
	CHECK(cell_text(cell(cl, &rs, 0, "hostname"), "10.0.0.7"));
	CHECK(cell_text(cell(cl, &rs, 0, "connection_stage"), "ready"));
	CHECK_EQ_I64(cell_int(cell(cl, &rs, 0, "port")), 5555);
	CHECK_EQ_I64(cell_int(cell(cl, &rs, 0, "protocol_version")), 5);
	CHECK(cell(cl, &rs, 0, "username")->len == -1);
	/* client_options: map of one entry, i32 count then i32-length key and value */
	CHECK(cell_is(cell(cl, &rs, 0, "client_options"),
		      "\0\0\0\1\0\0\0\x0b" "DRIVER_NAME" "\0\0\0\1X", 4 + 4 + 11 + 4 + 1));
}

int main(void)
{
	sch_registry *r;
	sch_schema *s;
	hl_arena *a = hl_arena_new(64 * 1024);

	hl_log_set_level(HL_LOG_ERROR);
	r = setup();
	s = sch_acquire(r);
	test_local(s, a);
	test_peers(s, a);
	test_schema_tables(s, a);
	test_virtual(s, a);
	test_traces(s, a);
	test_views(s, a);
	test_metric_views(s, a);
	sch_release(s);
	sch_registry_free(r);
	hl_arena_free(a);
	return T_DONE();
}
