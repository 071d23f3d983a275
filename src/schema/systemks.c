/*
 * schema/systemks.c: the keyspaces every snapshot starts with, defined with
 * the exact columns and types of Cassandra 5.0 (SystemKeyspace,
 * SchemaKeyspace, VirtualSchemaKeyspace): system and system_schema
 * (LocalStrategy), system_traces (TraceKeyspace: SimpleStrategy RF 2, its
 * rows served from the node's in-memory trace store) and the virtual
 * keyspaces system_virtual_schema and system_views.
 *
 * The definitions go through the same table builder as user DDL, so their
 * columns are ordered and typed exactly like user tables.
 */
#include <stdio.h>
#include <string.h>

#include "schema/sch_int.h"

typedef struct sysdef {
	const char *name;
	const char *comment;
	const char *cols;      /* "name type|name type|..." */
	const char *pk;        /* "a,b" */
	const char *ck;        /* "" or "c,d" */
	int ttl;
	const char *compaction;  /* NULL: default STCS */
} sysdef;

static const sysdef system_tables[] = {
	{ "IndexInfo", "built column indexes",
	  "table_name text|index_name text|value blob", "table_name", "index_name", 0, NULL },
	{ "available_ranges", "available keyspace/ranges during bootstrap/replace that are ready to be served",
	  "keyspace_name text|ranges set<blob>", "keyspace_name", "", 0, NULL },
	{ "available_ranges_v2", "available keyspace/ranges during bootstrap/replace that are ready to be served",
	  "keyspace_name text|full_ranges set<blob>|transient_ranges set<blob>", "keyspace_name", "", 0, NULL },
	{ "batches", "batches awaiting replay",
	  "id timeuuid|mutations list<blob>|version int", "id", "", 0, "batches" },
	{ "built_views", "built views",
	  "keyspace_name text|view_name text|status_replicated boolean", "keyspace_name", "view_name", 0, NULL },
	{ "compaction_history", "week-long compaction history",
	  "id timeuuid|bytes_in bigint|bytes_out bigint|columnfamily_name text|compacted_at timestamp|"
	  "keyspace_name text|rows_merged map<int, bigint>|compaction_properties frozen<map<text, text>>",
	  "id", "", 604800, NULL },
	{ "local", "information about the local node",
	  "key text|bootstrapped text|broadcast_address inet|broadcast_port int|cluster_name text|"
	  "cql_version text|data_center text|gossip_generation int|host_id uuid|listen_address inet|"
	  "listen_port int|native_protocol_version text|partitioner text|rack text|release_version text|"
	  "rpc_address inet|rpc_port int|schema_version uuid|tokens set<text>|truncated_at map<uuid, blob>",
	  "key", "", 0, NULL },
	{ "paxos", "in-progress paxos proposals",
	  "row_key blob|cf_id uuid|in_progress_ballot timeuuid|in_progress_read_ballot timeuuid|"
	  "most_recent_commit blob|most_recent_commit_at timeuuid|most_recent_commit_version int|"
	  "proposal blob|proposal_ballot timeuuid|proposal_version int",
	  "row_key", "cf_id", 0, "paxos" },
	{ "paxos_repair_history", "paxos repair history",
	  "keyspace_name text|table_name text|points frozen<list<frozen<tuple<blob, timeuuid>>>>",
	  "keyspace_name", "table_name", 0, NULL },
	{ "peer_events", "events related to peers",
	  "peer inet|hints_dropped map<timeuuid, int>", "peer", "", 0, NULL },
	{ "peer_events_v2", "events related to peers",
	  "peer inet|peer_port int|hints_dropped map<timeuuid, int>", "peer", "peer_port", 0, NULL },
	{ "peers", "information about known peers in the cluster",
	  "peer inet|data_center text|host_id uuid|preferred_ip inet|rack text|release_version text|"
	  "rpc_address inet|schema_version uuid|tokens set<text>", "peer", "", 0, NULL },
	{ "peers_v2", "information about known peers in the cluster",
	  "peer inet|peer_port int|data_center text|host_id uuid|preferred_ip inet|preferred_port int|"
	  "rack text|release_version text|native_address inet|native_port int|schema_version uuid|"
	  "tokens set<text>", "peer", "peer_port", 0, NULL },
	{ "prepared_statements", "prepared statements",
	  "prepared_id blob|logged_keyspace text|query_string text", "prepared_id", "", 0, NULL },
	{ "repairs", "repairs",
	  "parent_id timeuuid|started_at timestamp|last_update timestamp|repaired_at timestamp|state int|"
	  "coordinator inet|coordinator_port int|participants set<inet>|participants_wp set<text>|"
	  "ranges set<blob>|cfids set<uuid>", "parent_id", "", 0, NULL },
	{ "size_estimates", "per-table primary range size estimates, table is deprecated in favor of table_estimates",
	  "keyspace_name text|table_name text|range_start text|range_end text|mean_partition_size bigint|"
	  "partitions_count bigint", "keyspace_name", "table_name,range_start,range_end", 0, NULL },
	{ "sstable_activity", "historic sstable read rates",
	  "keyspace_name text|columnfamily_name text|generation int|rate_120m double|rate_15m double",
	  "keyspace_name,columnfamily_name,generation", "", 0, NULL },
	{ "sstable_activity_v2", "historic sstable read rates",
	  "keyspace_name text|table_name text|id text|rate_120m double|rate_15m double",
	  "keyspace_name,table_name,id", "", 0, NULL },
	{ "table_estimates", "per-table range size estimates",
	  "keyspace_name text|table_name text|range_type text|range_start text|range_end text|"
	  "mean_partition_size bigint|partitions_count bigint",
	  "keyspace_name", "table_name,range_type,range_start,range_end", 0, NULL },
	{ "top_partitions", "Stores the top partitions",
	  "keyspace_name text|table_name text|top_type text|top frozen<list<frozen<tuple<text, bigint>>>>|"
	  "last_update timestamp", "keyspace_name", "table_name,top_type", 0, NULL },
	{ "transferred_ranges", "record of transferred ranges for streaming operation",
	  "operation text|peer inet|keyspace_name text|ranges set<blob>", "operation,keyspace_name", "peer", 0, NULL },
	{ "transferred_ranges_v2", "record of transferred ranges for streaming operation",
	  "operation text|peer inet|peer_port int|keyspace_name text|ranges set<blob>",
	  "operation,keyspace_name", "peer,peer_port", 0, NULL },
	{ "view_builds_in_progress", "views builds current progress",
	  "keyspace_name text|view_name text|start_token text|end_token text|last_token text|keys_built bigint",
	  "keyspace_name", "view_name,start_token,end_token", 0, NULL },
};

#define TABLE_OPTION_COLS \
	"allow_auto_snapshot boolean|bloom_filter_fp_chance double|caching frozen<map<text, text>>|" \
	"comment text|compaction frozen<map<text, text>>|compression frozen<map<text, text>>|" \
	"memtable text|crc_check_chance double|dclocal_read_repair_chance double|" \
	"default_time_to_live int|extensions frozen<map<text, blob>>|"

static const sysdef schema_tables[] = {
	{ "keyspaces", "keyspace definitions",
	  "keyspace_name text|durable_writes boolean|replication frozen<map<text, text>>",
	  "keyspace_name", "", 0, NULL },
	{ "tables", "table definitions",
	  "keyspace_name text|table_name text|" TABLE_OPTION_COLS
	  "flags frozen<set<text>>|gc_grace_seconds int|incremental_backups boolean|id uuid|"
	  "max_index_interval int|memtable_flush_period_in_ms int|min_index_interval int|"
	  "read_repair_chance double|speculative_retry text|additional_write_policy text|cdc boolean|"
	  "read_repair text", "keyspace_name", "table_name", 0, NULL },
	{ "columns", "column definitions",
	  "keyspace_name text|table_name text|column_name text|clustering_order text|"
	  "column_name_bytes blob|kind text|position int|type text",
	  "keyspace_name", "table_name,column_name", 0, NULL },
	{ "column_masks", "column dynamic data masks",
	  "keyspace_name text|table_name text|column_name text|function_keyspace text|function_name text|"
	  "function_argument_types frozen<list<text>>|function_argument_values frozen<list<text>>|"
	  "function_argument_nulls frozen<list<boolean>>",
	  "keyspace_name", "table_name,column_name", 0, NULL },
	{ "dropped_columns", "dropped column registry",
	  "keyspace_name text|table_name text|column_name text|dropped_time timestamp|kind text|type text",
	  "keyspace_name", "table_name,column_name", 0, NULL },
	{ "triggers", "trigger definitions",
	  "keyspace_name text|table_name text|trigger_name text|options frozen<map<text, text>>",
	  "keyspace_name", "table_name,trigger_name", 0, NULL },
	{ "views", "view definitions",
	  "keyspace_name text|view_name text|base_table_id uuid|base_table_name text|where_clause text|"
	  TABLE_OPTION_COLS
	  "gc_grace_seconds int|incremental_backups boolean|id uuid|include_all_columns boolean|"
	  "max_index_interval int|memtable_flush_period_in_ms int|min_index_interval int|"
	  "read_repair_chance double|speculative_retry text|additional_write_policy text|cdc boolean|"
	  "read_repair text", "keyspace_name", "view_name", 0, NULL },
	{ "types", "user defined type definitions",
	  "keyspace_name text|type_name text|field_names frozen<list<text>>|field_types frozen<list<text>>",
	  "keyspace_name", "type_name", 0, NULL },
	{ "functions", "user defined function definitions",
	  "keyspace_name text|function_name text|argument_types frozen<list<text>>|"
	  "argument_names frozen<list<text>>|body text|language text|return_type text|"
	  "called_on_null_input boolean", "keyspace_name", "function_name,argument_types", 0, NULL },
	{ "aggregates", "user defined aggregate definitions",
	  "keyspace_name text|aggregate_name text|argument_types frozen<list<text>>|final_func text|"
	  "initcond text|return_type text|state_func text|state_type text",
	  "keyspace_name", "aggregate_name,argument_types", 0, NULL },
	{ "indexes", "secondary index definitions",
	  "keyspace_name text|table_name text|index_name text|kind text|options frozen<map<text, text>>",
	  "keyspace_name", "table_name,index_name", 0, NULL },
};

/* TraceKeyspace: gc_grace 0; Cassandra writes its rows with a 24 h TTL. */
static const sysdef trace_tables[] = {
	{ "events", "tracing events",
	  "session_id uuid|event_id timeuuid|activity text|source inet|source_elapsed int|source_port int|"
	  "thread text", "session_id", "event_id", 0, NULL },
	{ "sessions", "tracing sessions",
	  "session_id uuid|client inet|command text|coordinator inet|coordinator_port int|duration int|"
	  "parameters map<text, text>|request text|started_at timestamp", "session_id", "", 0, NULL },
};

/* TableMetricTables: one row per (keyspace, table). */
#define LATENCY_COLS "keyspace_name text|table_name text|50th_ms double|99th_ms double|count bigint|" \
	"max_ms double|per_second double"
#define HISTOGRAM_COLS "keyspace_name text|table_name text|50th double|99th double|count bigint|" \
	"max double"
#define STORAGE_COLS "keyspace_name text|table_name text|mebibytes bigint"

/* SystemViewsKeyspace (the tables Helenus has data for). */
static const sysdef views_tables[] = {
	{ "coordinator_read_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "coordinator_scan_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "coordinator_write_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "disk_usage", "", STORAGE_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "local_read_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "local_scan_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "local_write_latency", "", LATENCY_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "rows_per_read", "", HISTOGRAM_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "tombstones_per_read", "", HISTOGRAM_COLS, "keyspace_name,table_name", "", 0, NULL },
	{ "caches", "system caches",
	  "name text|capacity_bytes bigint|entry_count int|hit_count bigint|hit_ratio double|"
	  "recent_hit_rate_per_second bigint|recent_request_rate_per_second bigint|request_count bigint|"
	  "size_bytes bigint", "name", "", 0, NULL },
	{ "clients", "currently connected clients",
	  "address inet|port int|authentication_metadata frozen<map<text, text>>|authentication_mode text|"
	  "client_options frozen<map<text, text>>|connection_stage text|driver_name text|driver_version text|"
	  "hostname text|keyspace_name text|protocol_version int|request_count bigint|ssl_cipher_suite text|"
	  "ssl_enabled boolean|ssl_protocol text|username text", "address", "port", 0, NULL },
	{ "settings", "current settings", "name text|value text", "name", "", 0, NULL },
	{ "sstable_tasks", "current sstable tasks",
	  "keyspace_name text|table_name text|task_id timeuuid|completion_ratio double|kind text|"
	  "progress bigint|sstables int|target_directory text|total bigint|unit text",
	  "keyspace_name", "table_name,task_id", 0, NULL },
	{ "thread_pools", "",
	  "name text|active_tasks int|active_tasks_limit int|blocked_tasks bigint|"
	  "blocked_tasks_all_time bigint|completed_tasks bigint|pending_tasks int", "name", "", 0, NULL },
};

static const sysdef virtual_schema_tables[] = {
	{ "keyspaces", "virtual keyspace definitions", "keyspace_name text", "keyspace_name", "", 0, NULL },
	{ "tables", "virtual table definitions", "keyspace_name text|table_name text|comment text",
	  "keyspace_name", "table_name", 0, NULL },
	{ "columns", "virtual column definitions",
	  "keyspace_name text|table_name text|column_name text|clustering_order text|"
	  "column_name_bytes blob|kind text|position int|type text",
	  "keyspace_name", "table_name,column_name", 0, NULL },
};

/* Split "a,b" into arena strings. */
static int split(hl_arena *a, const char *s, char sep, const char ***out)
{
	const char **v;
	const char *p;
	int n = 0, i = 0;

	if (!*s) {
		*out = NULL;
		return 0;
	}
	for (p = s; *p; p++)
		if (*p == sep)
			n++;
	v = hl_arena_alloc(a, sizeof *v * (size_t)(n + 1));
	for (p = s;; ) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);

		v[i++] = hl_arena_strndup(a, p, len);
		if (!e)
			break;
		p = e + 1;
	}
	*out = v;
	return i;
}

static void add_tables(sch_schema *s, sch_keyspace *k, const sysdef *defs, size_t n, int gc,
		       bool virt)
{
	hl_arena *a = s->a;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		const sysdef *d = &defs[i];
		const char **cols, **pk, **ck;
		sch_column_def *cd;
		sch_table_def td;
		sch_table *t;
		hl_err err;
		int nc = split(a, d->cols, '|', &cols);

		memset(&td, 0, sizeof td);
		cd = hl_arena_zalloc(a, sizeof *cd * (size_t)nc);
		for (j = 0; j < nc; j++) {
			const char *sp = strchr(cols[j], ' ');

			cd[j].name = hl_arena_strndup(a, cols[j], (size_t)(sp - cols[j]));
			cd[j].type_text = sp + 1;
		}
		td.ks = k->name;
		td.name = d->name;
		td.ncols = nc;
		td.cols = cd;
		td.npk = split(a, d->pk, ',', &pk);
		td.pk = pk;
		td.nck = split(a, d->ck, ',', &ck);
		td.ck = ck;
		if (sch__build_table(s, k, &td, NULL, 0, true, &t, &err)) {
			hl_error("system table %s.%s: %s", k->name, d->name, err.msg);
			continue;
		}
		sch__system_table_id(k->name, d->name, &t->id);
		t->is_virtual = virt;
		t->params.comment = d->comment;
		t->params.gc_grace_seconds = gc;
		t->params.memtable_flush_period_in_ms = virt ? 0 : 3600000;
		t->params.default_time_to_live = d->ttl;
		if (d->compaction && !strcmp(d->compaction, "batches")) {
			memset(&t->params.compaction, 0, sizeof t->params.compaction);
			sch__map_set(a, &t->params.compaction, "class", SCH_COMPACTION_PKG "SizeTieredCompactionStrategy",
				     sizeof(SCH_COMPACTION_PKG "SizeTieredCompactionStrategy") - 1);
			sch__map_set(a, &t->params.compaction, "max_threshold", "32", 2);
			sch__map_set(a, &t->params.compaction, "min_threshold", "2", 1);
		} else if (d->compaction && !strcmp(d->compaction, "paxos")) {
			memset(&t->params.compaction, 0, sizeof t->params.compaction);
			sch__map_set(a, &t->params.compaction, "class", SCH_COMPACTION_PKG "LeveledCompactionStrategy",
				     sizeof(SCH_COMPACTION_PKG "LeveledCompactionStrategy") - 1);
			sch__map_set(a, &t->params.compaction, "max_threshold", "32", 2);
			sch__map_set(a, &t->params.compaction, "min_threshold", "4", 1);
			t->params.bloom_filter_fp_chance = 0.1;
		}
		sch__add_table(a, k, t);
	}
}

static sch_keyspace *new_ks(sch_schema *s, const char *name, sch_ks_class cls)
{
	sch_keyspace *k = hl_arena_zalloc(s->a, sizeof *k);

	k->name = name;
	k->cls = cls;
	k->durable_writes = true;
	k->strategy = cls == SCH_KS_VIRTUAL ? "" : SCH_LOCATOR "LocalStrategy";
	sch__add_keyspace(s, k);
	return k;
}

void sch__add_system_keyspaces(sch_schema *s)
{
	sch_keyspace *k;

	k = new_ks(s, "system", SCH_KS_LOCAL_SYSTEM);
	add_tables(s, k, system_tables, sizeof system_tables / sizeof system_tables[0], 0, false);
	k = new_ks(s, "system_schema", SCH_KS_LOCAL_SYSTEM);
	add_tables(s, k, schema_tables, sizeof schema_tables / sizeof schema_tables[0], 604800, false);
	k = new_ks(s, "system_traces", SCH_KS_LOCAL_SYSTEM);
	k->strategy = SCH_LOCATOR "SimpleStrategy";
	sch__map_set(s->a, &k->replication, "replication_factor", "2", 1);
	add_tables(s, k, trace_tables, sizeof trace_tables / sizeof trace_tables[0], 0, false);
	k = new_ks(s, "system_views", SCH_KS_VIRTUAL);
	add_tables(s, k, views_tables, sizeof views_tables / sizeof views_tables[0], 0, true);
	k = new_ks(s, "system_virtual_schema", SCH_KS_VIRTUAL);
	add_tables(s, k, virtual_schema_tables, sizeof virtual_schema_tables / sizeof virtual_schema_tables[0],
		   0, true);
}
