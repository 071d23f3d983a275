/*
 * config/config.c: defaults, the YAML loader (libyaml's document API, so
 * nested values such as seed_provider can be walked), per-key parsing
 * shared by the file and the command line, and cross-key validation.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MURMUR3 "org.apache.cassandra.dht.Murmur3Partitioner"

enum kind {
	K_STR,          /* string; empty/null leaves the value */
	K_CLASS,        /* class name, or a map with class_name */
	K_INT,          /* int >= 0 */
	K_PORT,
	K_DUR,          /* "10s" -> ms */
	K_MS,           /* legacy plain integer milliseconds */
	K_SIZE,         /* "16MiB" -> bytes */
	K_MB,           /* legacy plain integer mebibytes */
	K_BOOL,         /* true / false */
	K_RATE,         /* "64MiB/s" -> bytes per second (0 = unlimited) */
	K_STRLIST,      /* sequence, or a comma list */
	K_SYNC,
	K_TOKENS,
	K_SEEDS,
	K_PARTITIONER,
	K_THRESH,       /* guardrail count: int, -1 or null disables */
	K_GSIZE,        /* guardrail size: "64KiB" -> bytes, null disables (-1) */
	K_KB,           /* legacy plain integer kibibytes */
};

typedef struct key {
	const char *name;
	enum kind kind;
	size_t off;
	/* keys sharing a nonzero group are two spellings of one setting */
	int group;
} key;

#define F(field) offsetof(cfg, field)

static const key keys[] = {
	{ "cluster_name", K_STR, F(cluster_name), 0 },
	{ "listen_address", K_STR, F(listen_address), 0 },
	{ "broadcast_address", K_STR, F(broadcast_address), 0 },
	{ "rpc_address", K_STR, F(rpc_address), 0 },
	{ "broadcast_rpc_address", K_STR, F(broadcast_rpc_address), 0 },
	{ "native_transport_port", K_PORT, F(native_transport_port), 0 },
	{ "storage_port", K_PORT, F(storage_port), 0 },
	{ "data_file_directories", K_STRLIST, F(data_file_directories), 0 },
	{ "commitlog_directory", K_STR, F(commitlog_directory), 0 },
	{ "hints_directory", K_STR, F(hints_directory), 0 },
	{ "saved_caches_directory", K_STR, F(saved_caches_directory), 0 },
	{ "commitlog_sync", K_SYNC, F(commitlog_sync), 0 },
	{ "commitlog_sync_period", K_DUR, F(commitlog_sync_period_ms), 1 },
	{ "commitlog_sync_period_in_ms", K_MS, F(commitlog_sync_period_ms), 1 },
	{ "commitlog_sync_batch_window_in_ms", K_MS, F(commitlog_sync_batch_window_ms), 0 },
	{ "commitlog_sync_group_window", K_DUR, F(commitlog_sync_group_window_ms), 2 },
	{ "commitlog_sync_group_window_in_ms", K_MS, F(commitlog_sync_group_window_ms), 2 },
	{ "commitlog_segment_size", K_SIZE, F(commitlog_segment_size), 3 },
	{ "commitlog_segment_size_in_mb", K_MB, F(commitlog_segment_size), 3 },
	{ "num_tokens", K_INT, F(num_tokens), 0 },
	{ "initial_token", K_TOKENS, F(initial_token), 0 },
	{ "partitioner", K_PARTITIONER, F(partitioner), 0 },
	{ "endpoint_snitch", K_CLASS, F(endpoint_snitch), 0 },
	{ "dc", K_STR, F(dc), 0 },
	{ "rack", K_STR, F(rack), 0 },
	{ "authenticator", K_CLASS, F(authenticator), 0 },
	{ "authorizer", K_CLASS, F(authorizer), 0 },
	{ "seed_provider", K_SEEDS, F(seed_provider), 0 },
	{ "native_transport_max_frame_size", K_SIZE, F(native_transport_max_frame_size), 4 },
	{ "native_transport_max_frame_size_in_mb", K_MB, F(native_transport_max_frame_size), 4 },
	{ "shards", K_INT, F(shards), 0 },
	{ "admin_port", K_PORT, F(admin_port), 0 },
	{ "auto_snapshot", K_BOOL, F(auto_snapshot), 0 },
	{ "incremental_backups", K_BOOL, F(incremental_backups), 0 },
	{ "materialized_views_enabled", K_BOOL, F(materialized_views_enabled), 0 },
	{ "enable_materialized_views", K_BOOL, F(materialized_views_enabled), 0 },
	{ "compaction_throughput", K_RATE, F(compaction_throughput), 5 },
	{ "compaction_throughput_mb_per_sec", K_MB, F(compaction_throughput), 5 },
	/* memtable space for the whole node (split between the shards) */
	{ "memtable_heap_space", K_SIZE, F(memtable_space), 6 },
	{ "memtable_heap_space_in_mb", K_MB, F(memtable_space), 6 },
	{ "read_request_timeout", K_DUR, F(read_request_timeout_ms), 7 },
	{ "read_request_timeout_in_ms", K_MS, F(read_request_timeout_ms), 7 },
	{ "range_request_timeout", K_DUR, F(range_request_timeout_ms), 8 },
	{ "range_request_timeout_in_ms", K_MS, F(range_request_timeout_ms), 8 },
	{ "write_request_timeout", K_DUR, F(write_request_timeout_ms), 9 },
	{ "write_request_timeout_in_ms", K_MS, F(write_request_timeout_ms), 9 },
	{ "counter_write_request_timeout", K_DUR, F(counter_write_request_timeout_ms), 10 },
	{ "counter_write_request_timeout_in_ms", K_MS, F(counter_write_request_timeout_ms), 10 },
	{ "cas_contention_timeout", K_DUR, F(cas_contention_timeout_ms), 11 },
	{ "cas_contention_timeout_in_ms", K_MS, F(cas_contention_timeout_ms), 11 },
	{ "truncate_request_timeout", K_DUR, F(truncate_request_timeout_ms), 12 },
	{ "truncate_request_timeout_in_ms", K_MS, F(truncate_request_timeout_ms), 12 },
	{ "request_timeout", K_DUR, F(request_timeout_ms), 13 },
	{ "request_timeout_in_ms", K_MS, F(request_timeout_ms), 13 },
	/* guardrails (cfg_guardrails) */
	{ "tombstone_warn_threshold", K_INT, F(guard.tombstone_warn_threshold), 0 },
	{ "tombstone_failure_threshold", K_INT, F(guard.tombstone_failure_threshold), 0 },
	{ "batch_size_warn_threshold", K_SIZE, F(guard.batch_size_warn_threshold), 14 },
	{ "batch_size_warn_threshold_in_kb", K_KB, F(guard.batch_size_warn_threshold), 14 },
	{ "batch_size_fail_threshold", K_SIZE, F(guard.batch_size_fail_threshold), 15 },
	{ "batch_size_fail_threshold_in_kb", K_KB, F(guard.batch_size_fail_threshold), 15 },
	{ "unlogged_batch_across_partitions_warn_threshold", K_INT,
	  F(guard.unlogged_batch_across_partitions_warn_threshold), 0 },
	{ "max_value_size", K_SIZE, F(guard.max_value_size), 16 },
	{ "max_value_size_in_mb", K_MB, F(guard.max_value_size), 16 },
	{ "compaction_large_partition_warning_threshold", K_SIZE,
	  F(guard.compaction_large_partition_warning_threshold), 17 },
	{ "compaction_large_partition_warning_threshold_mb", K_MB,
	  F(guard.compaction_large_partition_warning_threshold), 17 },
	{ "keyspaces_warn_threshold", K_THRESH, F(guard.keyspaces_warn), 0 },
	{ "keyspaces_fail_threshold", K_THRESH, F(guard.keyspaces_fail), 0 },
	{ "tables_warn_threshold", K_THRESH, F(guard.tables_warn), 0 },
	{ "tables_fail_threshold", K_THRESH, F(guard.tables_fail), 0 },
	{ "columns_per_table_warn_threshold", K_THRESH, F(guard.columns_per_table_warn), 0 },
	{ "columns_per_table_fail_threshold", K_THRESH, F(guard.columns_per_table_fail), 0 },
	{ "fields_per_udt_warn_threshold", K_THRESH, F(guard.fields_per_udt_warn), 0 },
	{ "fields_per_udt_fail_threshold", K_THRESH, F(guard.fields_per_udt_fail), 0 },
	{ "collection_size_warn_threshold", K_GSIZE, F(guard.collection_size_warn), 0 },
	{ "collection_size_fail_threshold", K_GSIZE, F(guard.collection_size_fail), 0 },
	{ "items_per_collection_warn_threshold", K_THRESH, F(guard.items_per_collection_warn), 0 },
	{ "items_per_collection_fail_threshold", K_THRESH, F(guard.items_per_collection_fail), 0 },
	{ "column_value_size_warn_threshold", K_GSIZE, F(guard.column_value_size_warn), 0 },
	{ "column_value_size_fail_threshold", K_GSIZE, F(guard.column_value_size_fail), 0 },
	{ "partition_keys_in_select_warn_threshold", K_THRESH,
	  F(guard.partition_keys_in_select_warn), 0 },
	{ "partition_keys_in_select_fail_threshold", K_THRESH,
	  F(guard.partition_keys_in_select_fail), 0 },
	{ "in_select_cartesian_product_warn_threshold", K_THRESH,
	  F(guard.in_select_cartesian_product_warn), 0 },
	{ "in_select_cartesian_product_fail_threshold", K_THRESH,
	  F(guard.in_select_cartesian_product_fail), 0 },
	{ "page_size_warn_threshold", K_THRESH, F(guard.page_size_warn), 0 },
	{ "page_size_fail_threshold", K_THRESH, F(guard.page_size_fail), 0 },
	{ "partition_size_warn_threshold", K_GSIZE, F(guard.partition_size_warn), 0 },
	{ "partition_size_fail_threshold", K_GSIZE, F(guard.partition_size_fail), 0 },
	{ "allow_filtering_enabled", K_BOOL, F(guard.allow_filtering_enabled), 0 },
	{ "group_by_enabled", K_BOOL, F(guard.group_by_enabled), 0 },
	{ "drop_truncate_table_enabled", K_BOOL, F(guard.drop_truncate_table_enabled), 0 },
	{ "drop_keyspace_enabled", K_BOOL, F(guard.drop_keyspace_enabled), 0 },
	{ "secondary_indexes_enabled", K_BOOL, F(guard.secondary_indexes_enabled), 0 },
	{ "compact_tables_enabled", K_BOOL, F(guard.compact_tables_enabled), 0 },
	{ "read_before_write_list_operations_enabled", K_BOOL,
	  F(guard.read_before_write_list_operations_enabled), 0 },
	{ "user_timestamps_enabled", K_BOOL, F(guard.user_timestamps_enabled), 0 },
	{ "simplestrategy_enabled", K_BOOL, F(guard.simplestrategy_enabled), 0 },
	{ "alter_table_enabled", K_BOOL, F(guard.alter_table_enabled), 0 },
};

#define NGROUPS 18

/*
 * Cassandra keys Helenus accepts without using. Exact names first, then
 * prefixes and suffixes that cover the families (guardrails, timeouts,
 * caches...) so a file from any 4.x/5.0 node loads without noise about
 * unknown keys; anything else is likely a typo and gets a warning.
 */
static const char *const ignored_exact[] = {
	"allocate_tokens_for_keyspace", "allocate_tokens_for_local_replication_factor",
	"auto_bootstrap", "max_hint_window", "max_hint_window_in_ms",
	"max_hints_delivery_threads", "max_hints_file_size", "max_hints_file_size_in_mb",
	"max_hints_size_per_host", "transfer_hints_on_decommission", "heap_dump_path",
	"dump_heap_on_uncaught_exception", "batchlog_replay_throttle",
	"batchlog_replay_throttle_in_kb", "batchlog_endpoint_strategy", "role_manager",
	"network_authorizer", "cidr_authorizer", "traverse_auth_from_root", "crypto_provider",
	"disk_failure_policy", "commit_failure_policy", "disk_access_mode",
	"prepared_statements_cache_size", "prepared_statements_cache_size_mb",
	"cache_load_timeout", "cache_load_timeout_seconds", "networking_cache_size",
	"networking_cache_size_in_mb", "buffer_pool_use_heap_if_exhausted",
	"disk_optimization_strategy", "flush_compression", "periodic_commitlog_sync_lag_block",
	"periodic_commitlog_sync_lag_block_in_ms", "max_mutation_size",
	"max_mutation_size_in_kb", "use_offheap_merkle_trees", "ssl_storage_port",
	"listen_interface", "listen_interface_prefer_ipv6", "listen_on_broadcast_address",
	"rpc_interface", "rpc_interface_prefer_ipv6", "rpc_keepalive",
	"start_native_transport", "inter_dc_tcp_nodelay", "cross_node_timeout",
	"snapshot_before_compaction", "snapshot_links_per_second",
	"column_index_size", "column_index_size_in_kb", "column_index_cache_size",
	"column_index_cache_size_in_kb", "uuid_sstable_identifiers_enabled", "inter_dc_stream_throughput_outbound",
	"inter_dc_stream_throughput_outbound_megabits_per_sec",
	"entire_sstable_stream_throughput_outbound",
	"entire_sstable_inter_dc_stream_throughput_outbound", "phi_convict_threshold", "server_encryption_options",
	"client_encryption_options", 
	"replica_filtering_protection", "ideal_consistency_level",
	"max_concurrent_automatic_sstable_upgrades", "corrupted_tombstone_strategy",
	"windows_timer_interval", 
	"storage_compatibility_mode", "startup_checks", "trickle_fsync",
	"consecutive_message_errors_threshold", "sasi_indexes_enabled", "enable_sasi_indexes",
	"transient_replication_enabled", "enable_transient_replication",
	"drop_compact_storage_enabled", "enable_drop_compact_storage",
	"enable_user_defined_functions", "enable_scripted_user_defined_functions",
	"enable_user_defined_functions_threads", "diagnostic_events_enabled",
	"report_unconfirmed_repaired_data_mismatches", "use_deterministic_table_id",
	"max_top_size_partition_count", "max_top_tombstone_partition_count",
	"min_tracked_partition_size", "min_tracked_partition_tombstone_count",
	"top_partitions_enabled", "available_processors",
	"force_new_prepared_statement_behaviour", "slow_query_log_timeout",
	"slow_query_log_timeout_in_ms", "dynamic_data_masking_enabled",
	"key_cache_migrate_during_compaction", "credentials_cache_active_update",
	"default_keyspace_rf", "scripted_user_defined_functions_enabled",
	"user_defined_functions_threads_enabled", "user_function_timeout_policy",
	"user_defined_function_warn_timeout", "user_defined_function_fail_timeout",
	"allow_insecure_udfs", "allow_extra_insecure_udfs", "gc_log_threshold",
	"gc_log_threshold_in_ms", "gc_warn_threshold", "gc_warn_threshold_in_ms",
	"otc_coalescing_strategy", "otc_coalescing_window_us",
	"otc_coalescing_enough_coalesced_messages", "otc_backlog_expiration_interval_ms",
	"file_cache_round_up", "local_system_data_file_directory", "minimum_keyspace_rf",
	"log_out_of_token_range_requests", "reject_out_of_token_range_requests",
	"severity_during_decommission", "enable_uuid_sstable_identifiers", "ttl_max",
	"sstable", "memtable", "repair",
	"entire_sstable_stream_throughput_outbound_megabits_per_sec",
};

static const char *const ignored_prefix[] = {
	"concurrent_", "hinted_handoff_", "hints_", "hint_", "auto_", "roles_", "permissions_",
	"credentials_", "cdc_", "key_cache_", "row_cache_", "counter_cache_", "file_cache_",
	"commitlog_", "memtable_", "repair_", "trickle_fsync_", "native_transport_",
	"internode_", "compaction_", "sstable_", "stream_", "streaming_", "read_request_",
	"range_request_", "write_request_", "counter_write_", "cas_contention_",
	"truncate_request_", "dynamic_snitch", "index_summary_", "audit_logging_",
	"full_query_logging_", "paxos_", "skip_paxos_", "default_", "sai_", "read_thresholds_",
	"coordinator_read_size_", "local_read_size_", "row_index_read_size_",
	"repaired_data_tracking_", "auto_optimise_", "table_properties_",
	"read_consistency_levels_", "write_consistency_levels_", "data_disk_usage_",
	"minimum_replication_factor_", "maximum_replication_factor_", "cms_", "progress_barrier_",
	"accord_", "heap_", "snapshot_", "user_defined_functions", "materialized_views",
	"secondary_indexes", "uncompressed_tables", "compact_tables", "alter_table", "group_by",
	"drop_truncate_table", "drop_keyspace", "allow_filtering", "simplestrategy",
	"user_timestamps", "read_before_write", "vector_", "zero_ttl_", "maximum_timestamp_",
	"minimum_timestamp_", "intersect_filtering_", "non_partition_restricted_",
	"partition_size_", "partition_tombstones_", "column_value_size_", "columns_per_table_",
	"fields_per_udt_", "collection_size_", "items_per_collection_", "page_size_",
	"partition_keys_in_select_", "in_select_cartesian_product_", "keyspaces_", "tables_",
	"storage_", "transient_", "entire_sstable_", "inter_dc_", "block_for_peers_",
	"check_for_duplicate_rows_", "snapshot_on_", "denylist_", "enable_", "use_",
	"max_", "min_", "local_", "ideal_", "startup_", "failure_detector", "validation_",
	"sstable_read_rate_", "crypto_", "dump_", "batch_", "prepared_statements_", "unlogged_",
};

static const char *const ignored_suffix[] = {
	"_warn_threshold", "_fail_threshold", "_enabled", "_warned", "_disallowed", "_ignored",
	"_timeout", "_timeout_in_ms", "_options",
};

static bool ignorable(const char *k)
{
	size_t i, kl = strlen(k);

	for (i = 0; i < sizeof ignored_exact / sizeof ignored_exact[0]; i++)
		if (!strcmp(k, ignored_exact[i]))
			return true;
	for (i = 0; i < sizeof ignored_prefix / sizeof ignored_prefix[0]; i++)
		if (!strncmp(k, ignored_prefix[i], strlen(ignored_prefix[i])))
			return true;
	for (i = 0; i < sizeof ignored_suffix / sizeof ignored_suffix[0]; i++) {
		size_t sl = strlen(ignored_suffix[i]);

		if (kl > sl && !strcmp(k + kl - sl, ignored_suffix[i]))
			return true;
	}
	return false;
}

static const key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* ------------------------------------------------------------ defaults */

static void set_str(char **field, const char *v)
{
	char *n = v ? hl_strdup(v) : NULL;

	free(*field);
	*field = n;
}

static void free_list(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static void list_add(char ***v, size_t *n, const char *s, size_t len)
{
	*v = hl_realloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n] = hl_malloc(len + 1);
	memcpy((*v)[*n], s, len);
	(*v)[*n][len] = 0;
	(*n)++;
}

/* Append the non-empty, trimmed items of a comma list. */
static void list_add_csv(char ***v, size_t *n, const char *s)
{
	while (*s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		const char *a = s, *b = s + len;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a)
			list_add(v, n, a, (size_t)(b - a));
		s += len;
		if (*s == ',')
			s++;
	}
}

void cfg_set_data_dir(cfg *c, const char *dir)
{
	char path[4096];

	free_list(&c->data_file_directories, &c->n_data_file_directories);
	snprintf(path, sizeof path, "%s/data", dir);
	list_add(&c->data_file_directories, &c->n_data_file_directories, path, strlen(path));
	snprintf(path, sizeof path, "%s/commitlog", dir);
	set_str(&c->commitlog_directory, path);
	snprintf(path, sizeof path, "%s/hints", dir);
	set_str(&c->hints_directory, path);
	snprintf(path, sizeof path, "%s/saved_caches", dir);
	set_str(&c->saved_caches_directory, path);
}

void cfg_guardrails_defaults(cfg_guardrails *g)
{
	memset(g, 0, sizeof *g);
	g->tombstone_warn_threshold = 1000;
	g->tombstone_failure_threshold = 100000;
	g->batch_size_warn_threshold = 5u << 10;
	g->batch_size_fail_threshold = 50u << 10;
	g->unlogged_batch_across_partitions_warn_threshold = 10;
	g->max_value_size = 256u << 20;
	g->compaction_large_partition_warning_threshold = 100u << 20;
	/* every threshold pair disabled, as in 5.0's cassandra.yaml */
	int64_t *th[] = {
		&g->keyspaces_warn, &g->keyspaces_fail, &g->tables_warn, &g->tables_fail,
		&g->columns_per_table_warn, &g->columns_per_table_fail, &g->fields_per_udt_warn,
		&g->fields_per_udt_fail, &g->collection_size_warn, &g->collection_size_fail,
		&g->items_per_collection_warn, &g->items_per_collection_fail,
		&g->column_value_size_warn, &g->column_value_size_fail,
		&g->partition_keys_in_select_warn, &g->partition_keys_in_select_fail,
		&g->in_select_cartesian_product_warn, &g->in_select_cartesian_product_fail,
		&g->page_size_warn, &g->page_size_fail, &g->partition_size_warn,
		&g->partition_size_fail,
	};
	for (size_t i = 0; i < sizeof th / sizeof th[0]; i++)
		*th[i] = -1;
	g->allow_filtering_enabled = true;
	g->group_by_enabled = true;
	g->drop_truncate_table_enabled = true;
	g->drop_keyspace_enabled = true;
	g->secondary_indexes_enabled = true;
	g->compact_tables_enabled = true;
	g->read_before_write_list_operations_enabled = true;
	g->user_timestamps_enabled = true;
	g->simplestrategy_enabled = true;
	g->alter_table_enabled = true;
}

void cfg_defaults(cfg *c)
{
	memset(c, 0, sizeof *c);
	c->cluster_name = hl_strdup("Test Cluster");
	c->listen_address = hl_strdup("127.0.0.1");
	c->rpc_address = hl_strdup("127.0.0.1");
	c->native_transport_port = 9042;
	c->storage_port = 7000;
	cfg_set_data_dir(c, "./data");
	c->commitlog_sync = CFG_SYNC_PERIODIC;
	c->commitlog_sync_period_ms = 10000;
	c->commitlog_sync_batch_window_ms = 2;
	c->commitlog_sync_group_window_ms = 0;
	c->commitlog_segment_size = 32u << 20;
	c->num_tokens = 16;
	c->partitioner = hl_strdup(MURMUR3);
	c->endpoint_snitch = hl_strdup("SimpleSnitch");
	c->dc = hl_strdup("datacenter1");
	c->rack = hl_strdup("rack1");
	c->authenticator = hl_strdup("AllowAllAuthenticator");
	c->authorizer = hl_strdup("AllowAllAuthorizer");
	c->seed_provider = hl_strdup("SimpleSeedProvider");
	list_add(&c->seeds, &c->n_seeds, "127.0.0.1:7000", 14);
	c->native_transport_max_frame_size = 16u << 20;
	c->shards = 0;
	c->admin_port = 7199;
	c->auto_snapshot = true;
	c->incremental_backups = false;
	c->compaction_throughput = 64u << 20;
	c->read_request_timeout_ms = 5000;
	c->range_request_timeout_ms = 10000;
	c->write_request_timeout_ms = 2000;
	c->counter_write_request_timeout_ms = 5000;
	c->cas_contention_timeout_ms = 1000;
	c->truncate_request_timeout_ms = 60000;
	c->request_timeout_ms = 10000;
	cfg_guardrails_defaults(&c->guard);
}

void cfg_free(cfg *c)
{
	free(c->cluster_name);
	free(c->listen_address);
	free(c->broadcast_address);
	free(c->rpc_address);
	free(c->broadcast_rpc_address);
	free_list(&c->data_file_directories, &c->n_data_file_directories);
	free(c->commitlog_directory);
	free(c->hints_directory);
	free(c->saved_caches_directory);
	free(c->initial_token);
	free(c->initial_tokens);
	free(c->partitioner);
	free(c->endpoint_snitch);
	free(c->dc);
	free(c->rack);
	free(c->authenticator);
	free(c->authorizer);
	free(c->seed_provider);
	free_list(&c->seeds, &c->n_seeds);
	memset(c, 0, sizeof *c);
}

const char *cfg_commitlog_sync_name(enum cfg_commitlog_sync s)
{
	switch (s) {
	case CFG_SYNC_BATCH:
		return "batch";
	case CFG_SYNC_GROUP:
		return "group";
	default:
		return "periodic";
	}
}

/* ------------------------------------------------------------ values */

/* Where a value came from, for messages: "file.yaml:12: " or "". */
typedef struct origin {
	const char *name;
	size_t line;         /* 1-based; 0 = command line */
} origin;

static int bad(hl_err *err, const origin *o, const char *k, const char *fmt, const char *v)
{
	char what[256];

	snprintf(what, sizeof what, fmt, v);
	if (o && o->line)
		return hl_errf(err, HL_ERR_CONFIG, "%s:%zu: %s: %s", o->name, o->line, k, what);
	return hl_errf(err, HL_ERR_CONFIG, "%s: %s", k, what);
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "org.apache.cassandra.locator.SimpleSnitch" -> "SimpleSnitch". */
static const char *short_class(const char *v)
{
	const char *dot = strrchr(v, '.');

	if (!strncmp(v, "org.apache.cassandra.", 21) && dot)
		return dot + 1;
	return v;
}

static int set_tokens(cfg *c, const char *v, const origin *o, const char *k, hl_err *err)
{
	char **items = NULL;
	size_t n = 0, i;
	int rc = -1;

	list_add_csv(&items, &n, v);
	free(c->initial_tokens);
	c->initial_tokens = n ? hl_calloc(n, sizeof *c->initial_tokens) : NULL;
	c->n_initial_tokens = 0;
	for (i = 0; i < n; i++) {
		long long t;

		if (parse_int(items[i], INT64_MIN, INT64_MAX, &t)) {
			bad(err, o, k, "'%s' is not a Murmur3 token (a signed 64-bit integer)",
			    items[i]);
			goto exit;
		}
		c->initial_tokens[c->n_initial_tokens++] = t;
	}
	set_str(&c->initial_token, v);
	rc = 0;
exit:
	free_list(&items, &n);
	return rc;
}

/* Apply one scalar value to a key (the file and cfg_set share this). */
static int apply_scalar(cfg *c, const key *ky, const char *v, const origin *o, hl_err *err)
{
	void *field = (char *)c + ky->off;
	long long n;
	uint64_t u;

	switch (ky->kind) {
	case K_STR:
		set_str(field, v);
		return 0;
	case K_CLASS:
		if (!*v)
			return bad(err, o, ky->name, "%sa class name is required", "");
		set_str(field, short_class(v));
		return 0;
	case K_INT:
		if (parse_int(v, 0, INT32_MAX, &n))
			return bad(err, o, ky->name, "expected a non-negative integer, got '%s'", v);
		*(int *)field = (int)n;
		return 0;
	case K_PORT:
		if (parse_int(v, 0, 65535, &n))
			return bad(err, o, ky->name, "expected a port number (0-65535), got '%s'", v);
		*(int *)field = (int)n;
		return 0;
	case K_DUR:
		if (cfg_parse_duration_ms(v, &u))
			return bad(err, o, ky->name,
				   "invalid duration '%s' (expected a number with a unit: "
				   "d, h, m, s, ms, us or ns, e.g. 10000ms or 10s)", v);
		*(uint64_t *)field = u;
		return 0;
	case K_MS:
		if (parse_int(v, 0, INT64_MAX, &n))
			return bad(err, o, ky->name, "expected milliseconds as an integer, got '%s'", v);
		*(uint64_t *)field = (uint64_t)n;
		return 0;
	case K_SIZE:
		if (cfg_parse_size_bytes(v, &u))
			return bad(err, o, ky->name,
				   "invalid data size '%s' (expected a number with a unit: "
				   "B, KiB, MiB or GiB, e.g. 16MiB)", v);
		*(uint64_t *)field = u;
		return 0;
	case K_BOOL:
		if (!strcmp(v, "true"))
			*(bool *)field = true;
		else if (!strcmp(v, "false"))
			*(bool *)field = false;
		else
			return bad(err, o, ky->name, "expected true or false, got '%s'", v);
		return 0;
	case K_RATE: {
		/* cassandra.yaml's DataRateSpec: <size>/s (B/s, KiB/s, MiB/s) */
		size_t l = strlen(v);
		char num[64];
		if (l < 3 || l >= sizeof num || strcmp(v + l - 2, "/s") != 0)
			return bad(err, o, ky->name,
				   "invalid data rate '%s' (expected e.g. 64MiB/s; 0MiB/s = unthrottled)", v);
		memcpy(num, v, l - 2);
		num[l - 2] = 0;
		if (cfg_parse_size_bytes(num, &u))
			return bad(err, o, ky->name,
				   "invalid data rate '%s' (expected e.g. 64MiB/s; 0MiB/s = unthrottled)", v);
		*(uint64_t *)field = u;
		return 0;
	}
	case K_MB:
		if (parse_int(v, 0, INT32_MAX, &n))
			return bad(err, o, ky->name, "expected mebibytes as an integer, got '%s'", v);
		*(uint64_t *)field = (uint64_t)n << 20;
		return 0;
	case K_STRLIST:
		free_list(field, &c->n_data_file_directories);
		list_add_csv(field, &c->n_data_file_directories, v);
		return 0;
	case K_SYNC:
		if (!strcasecmp(v, "periodic"))
			c->commitlog_sync = CFG_SYNC_PERIODIC;
		else if (!strcasecmp(v, "batch"))
			c->commitlog_sync = CFG_SYNC_BATCH;
		else if (!strcasecmp(v, "group"))
			c->commitlog_sync = CFG_SYNC_GROUP;
		else
			return bad(err, o, ky->name,
				   "'%s' is not one of periodic, batch, group", v);
		return 0;
	case K_THRESH:
		if (!strcmp(v, "null")) {
			*(int64_t *)field = -1;
			return 0;
		}
		if (parse_int(v, -1, INT32_MAX, &n))
			return bad(err, o, ky->name, "expected an integer (-1 disables), got '%s'", v);
		*(int64_t *)field = n;
		return 0;
	case K_GSIZE:
		if (!strcmp(v, "null") || !strcmp(v, "-1")) {
			*(int64_t *)field = -1;
			return 0;
		}
		if (cfg_parse_size_bytes(v, &u) || u > INT64_MAX)
			return bad(err, o, ky->name,
				   "invalid data size '%s' (expected a number with a unit: "
				   "B, KiB, MiB or GiB, e.g. 64KiB; null disables)", v);
		*(int64_t *)field = (int64_t)u;
		return 0;
	case K_KB:
		if (parse_int(v, 0, INT32_MAX, &n))
			return bad(err, o, ky->name, "expected kibibytes as an integer, got '%s'", v);
		*(uint64_t *)field = (uint64_t)n << 10;
		return 0;
	case K_TOKENS:
		return set_tokens(c, v, o, ky->name, err);
	case K_SEEDS:
		/* command line form: just the seeds list */
		free_list(&c->seeds, &c->n_seeds);
		list_add_csv(&c->seeds, &c->n_seeds, v);
		return 0;
	case K_PARTITIONER:
		if (strcmp(v, MURMUR3) && strcmp(v, "Murmur3Partitioner"))
			return bad(err, o, ky->name,
				   "'%s' is not supported: Helenus only implements "
				   MURMUR3, v);
		set_str(field, MURMUR3);
		return 0;
	}
	return 0;
}

int cfg_set(cfg *c, const char *name, const char *value, hl_err *err)
{
	const key *ky = find_key(name);

	if (!ky)
		return hl_errf(err, HL_ERR_CONFIG, "unknown configuration key '%s'", name);
	return apply_scalar(c, ky, value ? value : "", NULL, err);
}

/* ------------------------------------------------------------ yaml */

typedef struct loader {
	cfg *c;
	yaml_document_t *doc;
	const char *name;
	hl_err *err;
	bool set[NGROUPS];
	const char *set_name[NGROUPS];
	bool num_tokens_set;
	bool initial_token_set;
} loader;

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The value under `name` in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *name)
{
	yaml_node_pair_t *p;

	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(d, p->key));

		if (k && !strcmp(k, name))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static int type_err(loader *l, const key *ky, const yaml_node_t *n, const char *want)
{
	origin o = { l->name, n->start_mark.line + 1 };

	return bad(l->err, &o, ky->name, "expected %s", want);
}

/*
 * seed_provider:
 *   - class_name: org.apache.cassandra.locator.SimpleSeedProvider
 *     parameters:
 *       - seeds: "127.0.0.1:7000,127.0.0.2:7000"
 */
static int load_seeds(loader *l, const key *ky, yaml_node_t *v)
{
	yaml_document_t *d = l->doc;
	yaml_node_t *item = v, *cls, *params, *seeds = NULL;
	const char *s;

	if (v->type == YAML_SEQUENCE_NODE) {
		if (v->data.sequence.items.top == v->data.sequence.items.start)
			return type_err(l, ky, v, "a list with one class_name/parameters entry");
		item = yaml_document_get_node(d, *v->data.sequence.items.start);
	}
	if (!item || item->type != YAML_MAPPING_NODE)
		return type_err(l, ky, v, "a list with one class_name/parameters entry");
	cls = map_get(d, item, "class_name");
	if (!scalar(cls) || is_null(cls))
		return type_err(l, ky, item, "a class_name");
	set_str(&l->c->seed_provider, short_class(scalar(cls)));
	if (strcmp(l->c->seed_provider, "SimpleSeedProvider"))
		hl_warn("seed provider '%s' is not supported; using its 'seeds' parameter as "
			"SimpleSeedProvider would", scalar(cls));
	params = map_get(d, item, "parameters");
	if (params && params->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = params->data.sequence.items.start; it < params->data.sequence.items.top; it++)
			if ((seeds = map_get(d, yaml_document_get_node(d, *it), "seeds")))
				break;
	} else if (params) {
		seeds = map_get(d, params, "seeds");
	}
	if (!seeds || !(s = scalar(seeds)))
		return type_err(l, ky, item, "parameters with a 'seeds' list");
	free_list(&l->c->seeds, &l->c->n_seeds);
	list_add_csv(&l->c->seeds, &l->c->n_seeds, s);
	return 0;
}

static int load_key(loader *l, const key *ky, yaml_node_t *k, yaml_node_t *v)
{
	cfg *c = l->c;
	origin o = { l->name, v->start_mark.line + 1 };

	if (ky->group) {
		if (l->set[ky->group] && strcmp(l->set_name[ky->group], ky->name)) {
			origin ko = { l->name, k->start_mark.line + 1 };

			return bad(l->err, &ko, ky->name,
				   "set together with '%s', which is the same setting; keep one",
				   l->set_name[ky->group]);
		}
		l->set[ky->group] = true;
		l->set_name[ky->group] = ky->name;
	}
	if (ky->off == offsetof(cfg, num_tokens))
		l->num_tokens_set = true;
	if (ky->kind == K_SEEDS)
		return load_seeds(l, ky, v);
	if (ky->kind == K_STRLIST && v->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		free_list(&c->data_file_directories, &c->n_data_file_directories);
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(l->doc, *it);
			const char *s = scalar(e);

			if (!s || is_null(e))
				return type_err(l, ky, e ? e : v, "a list of directories");
			list_add(&c->data_file_directories, &c->n_data_file_directories, s,
				 strlen(s));
		}
		return 0;
	}
	if (ky->kind == K_CLASS && v->type == YAML_MAPPING_NODE) {
		/* 5.0 style: authenticator: {class_name: ..., parameters: ...} */
		yaml_node_t *cls = map_get(l->doc, v, "class_name");

		if (!scalar(cls) || is_null(cls))
			return type_err(l, ky, v, "a class_name");
		return apply_scalar(c, ky, scalar(cls), &o, l->err);
	}
	if (v->type != YAML_SCALAR_NODE)
		return type_err(l, ky, v, "a single value");
	if (ky->kind == K_TOKENS)
		l->initial_token_set = true;
	return apply_scalar(c, ky, scalar(v), &o, l->err);
}

int cfg_load_string(cfg *c, const char *yaml, size_t len, const char *name, hl_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	loader l;
	bool have_doc = false;
	int rc = -1;

	memset(&l, 0, sizeof l);
	l.c = c;
	l.doc = &doc;
	l.name = name;
	l.err = err;
	if (!yaml_parser_initialize(&parser))
		return hl_errf(err, HL_ERR_CONFIG, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t *m = parser.problem ? &parser.problem_mark : &parser.context_mark;

		hl_errf(err, HL_ERR_CONFIG, "%s:%zu:%zu: malformed YAML: %s%s%s", name,
			m->line + 1, m->column + 1, parser.problem ? parser.problem : "parse error",
			parser.context ? " " : "", parser.context ? parser.context : "");
		goto exit;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root)) {
		/* an empty (or all-comment) file: the defaults stand */
		rc = cfg_validate(c, err);
		goto exit;
	}
	if (root->type != YAML_MAPPING_NODE) {
		hl_errf(err, HL_ERR_CONFIG, "%s:%zu: expected a mapping of settings at the top level",
			name, root->start_mark.line + 1);
		goto exit;
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *kn = scalar(k);
		const key *ky;

		if (!kn) {
			hl_errf(err, HL_ERR_CONFIG, "%s:%zu: setting names must be plain strings",
				name, k ? k->start_mark.line + 1 : 0);
			goto exit;
		}
		ky = find_key(kn);
		if (!ky) {
			if (ignorable(kn))
				hl_info("ignoring cassandra.yaml key '%s' (not used by Helenus)", kn);
			else
				hl_warn("%s:%zu: unknown key '%s' ignored", name,
					k->start_mark.line + 1, kn);
			continue;
		}
		/* "key:" with no value keeps the default, as in Cassandra;
		 * a guardrail's null is its "disabled" */
		if (is_null(v)) {
			if (ky->kind == K_THRESH || ky->kind == K_GSIZE)
				*(int64_t *)((char *)c + ky->off) = -1;
			continue;
		}
		if (load_key(&l, ky, k, v))
			goto exit;
	}
	/* Cassandra: initial_token without num_tokens means one token each */
	if (l.initial_token_set && !l.num_tokens_set)
		c->num_tokens = (int)c->n_initial_tokens;
	rc = cfg_validate(c, err);
exit:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int cfg_load_file(cfg *c, const char *path, hl_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (!f)
		return hl_errf(err, HL_ERR_CONFIG, "cannot read config file '%s': %s", path,
			       strerror(errno));
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = hl_realloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		hl_errf(err, HL_ERR_CONFIG, "cannot read config file '%s': %s", path, strerror(errno));
		goto exit;
	}
	rc = cfg_load_string(c, buf, len, path, err);
exit:
	free(buf);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------ validation */

/* Each warn/fail pair: 0 is refused (-1 disables), warn must not exceed fail. */
static int cfg_validate_guardrails(const cfg_guardrails *g, hl_err *err)
{
	static const struct { const char *name; size_t warn, fail; } pairs[] = {
#define P(n, f) { n, offsetof(cfg_guardrails, f##_warn), offsetof(cfg_guardrails, f##_fail) }
		P("keyspaces", keyspaces), P("tables", tables),
		P("columns_per_table", columns_per_table), P("fields_per_udt", fields_per_udt),
		P("collection_size", collection_size), P("items_per_collection", items_per_collection),
		P("column_value_size", column_value_size),
		P("partition_keys_in_select", partition_keys_in_select),
		P("in_select_cartesian_product", in_select_cartesian_product),
		P("page_size", page_size), P("partition_size", partition_size),
#undef P
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		int64_t w = *(const int64_t *)((const char *)g + pairs[i].warn);
		int64_t f = *(const int64_t *)((const char *)g + pairs[i].fail);

		if (!w || !f)
			return hl_errf(err, HL_ERR_CONFIG,
				       "Invalid value 0 for %s_%s_threshold: 0 is not allowed; if attempting "
				       "to disable use -1", pairs[i].name, !w ? "warn" : "fail");
		if (w > 0 && f > 0 && w > f)
			return hl_errf(err, HL_ERR_CONFIG,
				       "The warn threshold %lld for %s_warn_threshold should be lower than "
				       "the fail threshold %lld", (long long)w, pairs[i].name, (long long)f);
	}
	if (g->batch_size_warn_threshold > g->batch_size_fail_threshold)
		return hl_errf(err, HL_ERR_CONFIG,
			       "batch_size_warn_threshold must not exceed batch_size_fail_threshold");
	return 0;
}

int cfg_validate(const cfg *c, hl_err *err)
{
	if (!c->cluster_name || !*c->cluster_name)
		return hl_errf(err, HL_ERR_CONFIG, "cluster_name must not be empty");
	if (!c->partitioner || strcmp(c->partitioner, MURMUR3))
		return hl_errf(err, HL_ERR_CONFIG, "partitioner must be %s", MURMUR3);
	if (!c->listen_address || !*c->listen_address)
		return hl_errf(err, HL_ERR_CONFIG, "listen_address must not be empty");
	if (!c->rpc_address || !*c->rpc_address)
		return hl_errf(err, HL_ERR_CONFIG, "rpc_address must not be empty");
	/* clients are told where to connect: a wildcard is no address */
	if ((!strcmp(c->rpc_address, "0.0.0.0") || !strcmp(c->rpc_address, "::")) &&
	    (!c->broadcast_rpc_address || !strcmp(c->broadcast_rpc_address, "0.0.0.0") ||
	     !strcmp(c->broadcast_rpc_address, "::")))
		return hl_errf(err, HL_ERR_CONFIG,
			       "rpc_address is the wildcard %s: set broadcast_rpc_address to the "
			       "address clients should use", c->rpc_address);
	if (!c->n_data_file_directories)
		return hl_errf(err, HL_ERR_CONFIG, "data_file_directories must list a directory");
	if (!c->commitlog_directory || !c->hints_directory || !c->saved_caches_directory)
		return hl_errf(err, HL_ERR_CONFIG, "commitlog, hints and saved_caches directories must be set");
	if (c->num_tokens < 1)
		return hl_errf(err, HL_ERR_CONFIG, "num_tokens must be at least 1, got %d",
			       c->num_tokens);
	if (c->n_initial_tokens && c->n_initial_tokens != (size_t)c->num_tokens)
		return hl_errf(err, HL_ERR_CONFIG,
			       "initial_token lists %zu tokens but num_tokens is %d; they must match",
			       c->n_initial_tokens, c->num_tokens);
	if (c->commitlog_sync == CFG_SYNC_PERIODIC && !c->commitlog_sync_period_ms)
		return hl_errf(err, HL_ERR_CONFIG,
			       "commitlog_sync is periodic but commitlog_sync_period is 0");
	if (c->commitlog_sync == CFG_SYNC_GROUP && !c->commitlog_sync_group_window_ms)
		return hl_errf(err, HL_ERR_CONFIG,
			       "commitlog_sync is group: set commitlog_sync_group_window (e.g. 15ms)");
	if (!c->commitlog_segment_size)
		return hl_errf(err, HL_ERR_CONFIG, "commitlog_segment_size must be positive");
	if (c->native_transport_max_frame_size < 1024 ||
	    c->native_transport_max_frame_size >= (2048ull << 20))
		return hl_errf(err, HL_ERR_CONFIG,
			       "native_transport_max_frame_size must be between 1KiB and 2047MiB");
	if (c->shards < 0 || c->shards > 1024)
		return hl_errf(err, HL_ERR_CONFIG, "shards must be between 0 (one per core) and 1024");
	return cfg_validate_guardrails(&c->guard, err);
}

/* ---------------------------------------------------------------- listing (system_views.settings) */

static void size_text(char *buf, size_t n, uint64_t b, const char *suffix)
{
	if (b && b % (1u << 30) == 0)
		snprintf(buf, n, "%lluGiB%s", (unsigned long long)(b >> 30), suffix);
	else if (b && b % (1u << 20) == 0)
		snprintf(buf, n, "%lluMiB%s", (unsigned long long)(b >> 20), suffix);
	else if (b && b % 1024 == 0)
		snprintf(buf, n, "%lluKiB%s", (unsigned long long)(b >> 10), suffix);
	else
		snprintf(buf, n, "%lluB%s", (unsigned long long)b, suffix);
}

/*
 * Every key in the table with its current value as text, in name order:
 * sizes, durations and rates in the unit style of the new names, legacy
 * *_in_ms / *_in_mb names as plain numbers (Cassandra's settings table
 * shows both spellings). Unset strings are NULL.
 */
void cfg_each(const cfg *c, void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	size_t order[sizeof keys / sizeof keys[0]];
	size_t nk = sizeof keys / sizeof keys[0];

	for (size_t i = 0; i < nk; i++)
		order[i] = i;
	for (size_t i = 1; i < nk; i++)   /* insertion sort: a few dozen keys */
		for (size_t j = i; j > 0 && strcmp(keys[order[j - 1]].name, keys[order[j]].name) > 0; j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (size_t i = 0; i < nk; i++) {
		const key *k = &keys[order[i]];
		const void *f = (const char *)c + k->off;
		char buf[4096];
		const char *v = buf;

		buf[0] = 0;
		switch (k->kind) {
		case K_STR:
		case K_CLASS:
		case K_TOKENS:
		case K_PARTITIONER:
			v = *(char *const *)f;
			break;
		case K_INT:
		case K_PORT:
			snprintf(buf, sizeof buf, "%d", *(const int *)f);
			break;
		case K_DUR:
			snprintf(buf, sizeof buf, "%llums", (unsigned long long)*(const uint64_t *)f);
			break;
		case K_MS:
			snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)f);
			break;
		case K_SIZE:
			size_text(buf, sizeof buf, *(const uint64_t *)f, "");
			break;
		case K_MB:
			snprintf(buf, sizeof buf, "%llu", (unsigned long long)(*(const uint64_t *)f >> 20));
			break;
		case K_RATE:
			size_text(buf, sizeof buf, *(const uint64_t *)f, "/s");
			break;
		case K_BOOL:
			v = *(const bool *)f ? "true" : "false";
			break;
		case K_STRLIST: {
			size_t o = 0;

			o += (size_t)snprintf(buf + o, sizeof buf - o, "[");
			for (size_t j = 0; j < c->n_data_file_directories && o < sizeof buf; j++)
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", j ? ", " : "",
						      c->data_file_directories[j]);
			if (o < sizeof buf)
				snprintf(buf + o, sizeof buf - o, "]");
			break;
		}
		case K_SYNC:
			v = cfg_commitlog_sync_name(c->commitlog_sync);
			break;
		case K_THRESH:
			snprintf(buf, sizeof buf, "%lld", (long long)*(const int64_t *)f);
			break;
		case K_GSIZE:
			if (*(const int64_t *)f < 0)
				v = NULL;
			else
				size_text(buf, sizeof buf, (uint64_t)*(const int64_t *)f, "");
			break;
		case K_KB:
			snprintf(buf, sizeof buf, "%llu", (unsigned long long)(*(const uint64_t *)f >> 10));
			break;
		case K_SEEDS: {
			size_t o = 0;

			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s{seeds=",
					      c->seed_provider ? c->seed_provider : "SimpleSeedProvider");
			for (size_t j = 0; j < c->n_seeds && o < sizeof buf; j++)
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", j ? "," : "", c->seeds[j]);
			if (o < sizeof buf)
				snprintf(buf + o, sizeof buf - o, "}");
			break;
		}
		}
		fn(arg, k->name, v);
	}
}
