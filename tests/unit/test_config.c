/*
 * Unit tests for config/: defaults, a realistic excerpt of Cassandra
 * 5.0's cassandra.yaml (new unit style, nested seed_provider and
 * authenticator, keys Helenus ignores), the legacy *_in_ms / *_in_mb
 * spellings, unit parsing, command-line overrides, and the errors:
 * malformed YAML with its line, a wrong partitioner, bad values, both
 * spellings of one key, mismatched initial_token.
 */
#include "config/config.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/hl_test_config_XXXXXX";

/* Write text to a temp file and return its path (static buffer). */
static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static const char cassandra_yaml[] =
	"# Cassandra storage config YAML (excerpt of 5.0's conf/cassandra.yaml)\n"
	"cluster_name: 'Prod Cluster'\n"
	"num_tokens: 16\n"
	"allocate_tokens_for_local_replication_factor: 3\n"
	"hinted_handoff_enabled: true\n"
	"max_hint_window: 3h\n"
	"hinted_handoff_throttle: 1024KiB\n"
	"max_hints_delivery_threads: 2\n"
	"hints_flush_period: 10000ms\n"
	"max_hints_file_size: 128MiB\n"
	"auto_hints_cleanup_enabled: false\n"
	"batchlog_replay_throttle: 1024KiB\n"
	"authenticator:\n"
	"  class_name : org.apache.cassandra.auth.PasswordAuthenticator\n"
	"authorizer:\n"
	"  class_name: AllowAllAuthorizer\n"
	"role_manager:\n"
	"  class_name: CassandraRoleManager\n"
	"  parameters:\n"
	"    # invalid_role_disconnect_task_period: 4h\n"
	"network_authorizer:\n"
	"  class_name: AllowAllNetworkAuthorizer\n"
	"roles_validity: 2000ms\n"
	"permissions_validity: 2000ms\n"
	"credentials_validity: 2000ms\n"
	"partitioner: org.apache.cassandra.dht.Murmur3Partitioner\n"
	"data_file_directories:\n"
	"    - /var/lib/helenus/data1\n"
	"    - /var/lib/helenus/data2\n"
	"commitlog_directory: /var/lib/helenus/commitlog\n"
	"cdc_enabled: false\n"
	"hints_directory: /var/lib/helenus/hints\n"
	"saved_caches_directory:\n"
	"disk_failure_policy: stop\n"
	"commit_failure_policy: stop\n"
	"prepared_statements_cache_size:\n"
	"key_cache_size:\n"
	"key_cache_save_period: 4h\n"
	"row_cache_size: 0MiB\n"
	"counter_cache_save_period: 7200s\n"
	"commitlog_sync: periodic\n"
	"commitlog_sync_period: 5s\n"
	"commitlog_segment_size: 64MiB\n"
	"seed_provider:\n"
	"  # Addresses of hosts that are deemed contact points.\n"
	"  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
	"    parameters:\n"
	"      # Ex: \"<ip1>,<ip2>,<ip3>\"\n"
	"      - seeds: \"127.0.0.1:7000, 127.0.0.2:7000,127.0.0.3\"\n"
	"concurrent_reads: 32\n"
	"concurrent_writes: 32\n"
	"concurrent_counter_writes: 32\n"
	"concurrent_materialized_view_writes: 32\n"
	"memtable_allocation_type: heap_buffers\n"
	"index_summary_capacity:\n"
	"index_summary_resize_interval: 60m\n"
	"trickle_fsync: false\n"
	"trickle_fsync_interval: 10240KiB\n"
	"storage_port: 7100\n"
	"ssl_storage_port: 7001\n"
	"listen_address: 127.0.0.2\n"
	"start_native_transport: true\n"
	"native_transport_port: 9142\n"
	"native_transport_max_frame_size: 32MiB\n"
	"native_transport_allow_older_protocols: true\n"
	"rpc_address: 127.0.0.2\n"
	"rpc_keepalive: true\n"
	"incremental_backups: false\n"
	"snapshot_before_compaction: false\n"
	"auto_snapshot: true\n"
	"column_index_size: 4KiB\n"
	"compaction_throughput: 64MiB/s\n"
	"read_request_timeout: 5000ms\n"
	"write_request_timeout: 2000ms\n"
	"request_timeout: 10000ms\n"
	"slow_query_log_timeout: 500ms\n"
	"endpoint_snitch: SimpleSnitch\n"
	"dynamic_snitch_update_interval: 100ms\n"
	"dynamic_snitch_badness_threshold: 1.0\n"
	"server_encryption_options:\n"
	"  internode_encryption: none\n"
	"  legacy_ssl_storage_port_enabled: false\n"
	"  keystore: conf/.keystore\n"
	"client_encryption_options:\n"
	"  enabled: false\n"
	"internode_compression: dc\n"
	"inter_dc_tcp_nodelay: false\n"
	"tombstone_warn_threshold: 1000\n"
	"tombstone_failure_threshold: 100000\n"
	"batch_size_warn_threshold: 5KiB\n"
	"audit_logging_options:\n"
	"  enabled: false\n"
	"  logger:\n"
	"    - class_name: BinAuditLogger\n"
	"materialized_views_enabled: false\n"
	"sasi_indexes_enabled: false\n"
	"default_compaction:\n"
	"  class_name: SizeTieredCompactionStrategy\n"
	"storage_compatibility_mode: CASSANDRA_4\n"
	"shards: 3\n"
	"dc: dc-east\n"
	"rack: r7\n";

static void test_defaults(void)
{
	cfg c;
	hl_err err;

	cfg_defaults(&c);
	CHECK_STR(c.cluster_name, "Test Cluster");
	CHECK_STR(c.listen_address, "127.0.0.1");
	CHECK_STR(c.rpc_address, "127.0.0.1");
	CHECK(c.broadcast_address == NULL);
	CHECK_EQ_I64(c.native_transport_port, 9042);
	CHECK_EQ_I64(c.storage_port, 7000);
	CHECK_EQ_I64(c.n_data_file_directories, 1);
	CHECK_STR(c.data_file_directories[0], "./data/data");
	CHECK_STR(c.commitlog_directory, "./data/commitlog");
	CHECK_STR(c.hints_directory, "./data/hints");
	CHECK_STR(c.saved_caches_directory, "./data/saved_caches");
	CHECK(c.commitlog_sync == CFG_SYNC_PERIODIC);
	CHECK_EQ_I64(c.commitlog_sync_period_ms, 10000);
	CHECK_EQ_I64(c.num_tokens, 16);
	CHECK_STR(c.endpoint_snitch, "SimpleSnitch");
	CHECK_STR(c.dc, "datacenter1");
	CHECK_STR(c.rack, "rack1");
	CHECK_EQ_I64(c.native_transport_max_frame_size, 16 << 20);
	CHECK_STR(c.authenticator, "AllowAllAuthenticator");
	CHECK_STR(c.partitioner, "org.apache.cassandra.dht.Murmur3Partitioner");
	CHECK_EQ_I64(c.n_seeds, 1);
	CHECK_STR(c.seeds[0], "127.0.0.1:7000");
	CHECK_EQ_I64(c.shards, 0);
	CHECK_EQ_I64(c.n_initial_tokens, 0);
	CHECK(cfg_validate(&c, &err) == 0);
	cfg_free(&c);
}

static void test_cassandra_yaml(void)
{
	const char *path = write_tmp("cassandra.yaml", cassandra_yaml);
	cfg c;
	hl_err err;
	int rc;

	cfg_defaults(&c);
	rc = cfg_load_file(&c, path, &err);
	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "load: %s\n", err.msg);
	CHECK_STR(c.cluster_name, "Prod Cluster");
	CHECK_EQ_I64(c.num_tokens, 16);
	CHECK_STR(c.authenticator, "PasswordAuthenticator");
	CHECK_STR(c.authorizer, "AllowAllAuthorizer");
	CHECK_STR(c.partitioner, "org.apache.cassandra.dht.Murmur3Partitioner");
	CHECK_EQ_I64(c.n_data_file_directories, 2);
	if (c.n_data_file_directories == 2) {
		CHECK_STR(c.data_file_directories[0], "/var/lib/helenus/data1");
		CHECK_STR(c.data_file_directories[1], "/var/lib/helenus/data2");
	}
	CHECK_STR(c.commitlog_directory, "/var/lib/helenus/commitlog");
	CHECK_STR(c.hints_directory, "/var/lib/helenus/hints");
	/* empty value keeps the default */
	CHECK_STR(c.saved_caches_directory, "./data/saved_caches");
	CHECK(c.commitlog_sync == CFG_SYNC_PERIODIC);
	CHECK_EQ_I64(c.commitlog_sync_period_ms, 5000);
	CHECK_EQ_I64(c.commitlog_segment_size, 64 << 20);
	CHECK_STR(c.seed_provider, "SimpleSeedProvider");
	CHECK_EQ_I64(c.n_seeds, 3);
	if (c.n_seeds == 3) {
		CHECK_STR(c.seeds[0], "127.0.0.1:7000");
		CHECK_STR(c.seeds[1], "127.0.0.2:7000");
		CHECK_STR(c.seeds[2], "127.0.0.3");
	}
	CHECK_EQ_I64(c.storage_port, 7100);
	CHECK_STR(c.listen_address, "127.0.0.2");
	CHECK_EQ_I64(c.native_transport_port, 9142);
	CHECK_EQ_I64(c.native_transport_max_frame_size, 32 << 20);
	CHECK_STR(c.rpc_address, "127.0.0.2");
	CHECK_STR(c.endpoint_snitch, "SimpleSnitch");
	CHECK_EQ_I64(c.shards, 3);
	CHECK_STR(c.dc, "dc-east");
	CHECK_STR(c.rack, "r7");
	cfg_free(&c);
}

static void test_legacy_units(void)
{
	cfg c;
	hl_err err;
	static const char y[] =
		"commitlog_sync: batch\n"
		"commitlog_sync_batch_window_in_ms: 2\n"
		"commitlog_sync_period_in_ms: 2500\n"
		"commitlog_segment_size_in_mb: 16\n"
		"native_transport_max_frame_size_in_mb: 64\n"
		"endpoint_snitch: org.apache.cassandra.locator.GossipingPropertyFileSnitch\n"
		"authenticator: AllowAllAuthenticator\n"
		"read_request_timeout_in_ms: 5000\n"
		"key_cache_size_in_mb: 100\n"
		"num_tokens: 4\n"
		"initial_token: -9223372036854775808, -4611686018427387904,0 ,4611686018427387904\n";

	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, y, sizeof y - 1, "legacy.yaml", &err) == 0);
	CHECK(c.commitlog_sync == CFG_SYNC_BATCH);
	CHECK_EQ_I64(c.commitlog_sync_batch_window_ms, 2);
	CHECK_EQ_I64(c.commitlog_sync_period_ms, 2500);
	CHECK_EQ_I64(c.commitlog_segment_size, 16 << 20);
	CHECK_EQ_I64(c.native_transport_max_frame_size, 64 << 20);
	CHECK_STR(c.endpoint_snitch, "GossipingPropertyFileSnitch");
	CHECK_STR(c.authenticator, "AllowAllAuthenticator");
	CHECK_EQ_I64(c.n_initial_tokens, 4);
	if (c.n_initial_tokens == 4) {
		CHECK(c.initial_tokens[0] == INT64_MIN);
		CHECK_EQ_I64(c.initial_tokens[1], -4611686018427387904LL);
		CHECK_EQ_I64(c.initial_tokens[2], 0);
		CHECK_EQ_I64(c.initial_tokens[3], 4611686018427387904LL);
	}
	cfg_free(&c);

	/* group mode, both group-window spellings in two files */
	{
		static const char g1[] = "commitlog_sync: group\ncommitlog_sync_group_window: 15ms\n";
		static const char g2[] = "commitlog_sync: group\ncommitlog_sync_group_window_in_ms: 20\n";
		static const char g3[] = "commitlog_sync: group\n";

		cfg_defaults(&c);
		CHECK(cfg_load_string(&c, g1, sizeof g1 - 1, "g1", &err) == 0);
		CHECK(c.commitlog_sync == CFG_SYNC_GROUP);
		CHECK_EQ_I64(c.commitlog_sync_group_window_ms, 15);
		CHECK(cfg_load_string(&c, g2, sizeof g2 - 1, "g2", &err) == 0);
		CHECK_EQ_I64(c.commitlog_sync_group_window_ms, 20);
		cfg_free(&c);
		cfg_defaults(&c);
		CHECK(cfg_load_string(&c, g3, sizeof g3 - 1, "g3", &err) < 0);
		CHECK(strstr(err.msg, "commitlog_sync_group_window") != NULL);
		cfg_free(&c);
	}

	/* initial_token alone: num_tokens follows its count, as in Cassandra */
	{
		static const char t1[] = "initial_token: 42\n";

		cfg_defaults(&c);
		CHECK(cfg_load_string(&c, t1, sizeof t1 - 1, "t1", &err) == 0);
		CHECK_EQ_I64(c.num_tokens, 1);
		CHECK_EQ_I64(c.n_initial_tokens, 1);
		cfg_free(&c);
	}
}

static void test_units(void)
{
	uint64_t v;

	CHECK(cfg_parse_duration_ms("10s", &v) == 0 && v == 10000);
	CHECK(cfg_parse_duration_ms("10000ms", &v) == 0 && v == 10000);
	CHECK(cfg_parse_duration_ms("3h", &v) == 0 && v == 3ull * 3600 * 1000);
	CHECK(cfg_parse_duration_ms("60m", &v) == 0 && v == 3600000);
	CHECK(cfg_parse_duration_ms("1d", &v) == 0 && v == 86400000);
	CHECK(cfg_parse_duration_ms("1500us", &v) == 0 && v == 1);
	CHECK(cfg_parse_duration_ms("2000000ns", &v) == 0 && v == 2);
	CHECK(cfg_parse_duration_ms("10", &v) < 0);
	CHECK(cfg_parse_duration_ms("-1s", &v) < 0);
	CHECK(cfg_parse_duration_ms("1.5s", &v) < 0);
	CHECK(cfg_parse_duration_ms("10 s", &v) < 0);
	CHECK(cfg_parse_duration_ms("10parsecs", &v) < 0);
	CHECK(cfg_parse_duration_ms("99999999999999999999d", &v) < 0);
	CHECK(cfg_parse_size_bytes("16MiB", &v) == 0 && v == 16u << 20);
	CHECK(cfg_parse_size_bytes("64KiB", &v) == 0 && v == 64u << 10);
	CHECK(cfg_parse_size_bytes("1GiB", &v) == 0 && v == 1u << 30);
	CHECK(cfg_parse_size_bytes("512B", &v) == 0 && v == 512);
	CHECK(cfg_parse_size_bytes("16MB", &v) < 0);
	CHECK(cfg_parse_size_bytes("16", &v) < 0);
	CHECK(cfg_parse_size_bytes("", &v) < 0);
}

static void test_errors(void)
{
	cfg c;
	hl_err err;
	const char *path;

	/* malformed YAML: the error names the line */
	path = write_tmp("bad.yaml",
			 "cluster_name: x\n"
			 "num_tokens: 16\n"
			 "seed_provider:\n"
			 "  - class_name: [unclosed\n"
			 "num_tokens: 4\n");
	cfg_defaults(&c);
	CHECK(cfg_load_file(&c, path, &err) < 0);
	CHECK(err.code == HL_ERR_CONFIG);
	CHECK(strstr(err.msg, "malformed YAML") != NULL);
	CHECK(strstr(err.msg, "bad.yaml:5:") != NULL);
	cfg_free(&c);

	path = write_tmp("tab.yaml", "cluster_name: x\n\tnum_tokens: 16\n");
	cfg_defaults(&c);
	CHECK(cfg_load_file(&c, path, &err) < 0);
	CHECK(strstr(err.msg, "tab.yaml:2:") != NULL);
	cfg_free(&c);

	/* wrong partitioner */
	path = write_tmp("rp.yaml", "partitioner: org.apache.cassandra.dht.RandomPartitioner\n");
	cfg_defaults(&c);
	CHECK(cfg_load_file(&c, path, &err) < 0);
	CHECK(strstr(err.msg, "RandomPartitioner") != NULL);
	CHECK(strstr(err.msg, "Murmur3Partitioner") != NULL);
	CHECK(strstr(err.msg, "rp.yaml:1") != NULL);
	cfg_free(&c);

	/* missing file */
	cfg_defaults(&c);
	CHECK(cfg_load_file(&c, "/nonexistent/helenus.yaml", &err) < 0);
	CHECK(strstr(err.msg, "/nonexistent/helenus.yaml") != NULL);
	cfg_free(&c);

	/* bad values name their key and line */
	{
		static const struct {
			const char *yaml, *want;
		} cases[] = {
			{ "num_tokens: many\n", "num_tokens" },
			{ "cluster_name: a\nnative_transport_port: 99999\n", "t:2: native_transport_port" },
			{ "commitlog_sync_period: 10000\n", "commitlog_sync_period" },
			{ "commitlog_sync_period_in_ms: 10s\n", "commitlog_sync_period_in_ms" },
			{ "native_transport_max_frame_size: 16MB\n", "native_transport_max_frame_size" },
			{ "commitlog_sync: sometimes\n", "commitlog_sync" },
			{ "commitlog_sync_period: 5s\ncommitlog_sync_period_in_ms: 5000\n", "same setting" },
			{ "num_tokens: 2\ninitial_token: 1,2,3\n", "initial_token" },
			{ "initial_token: 1,abc\n", "abc" },
			{ "data_file_directories: {a: b}\n", "data_file_directories" },
			{ "seed_provider: 127.0.0.1\n", "seed_provider" },
			{ "seed_provider:\n  - class_name: X\n", "seeds" },
			{ "- a\n- b\n", "mapping" },
			{ "shards: -1\n", "shards" },
			{ "num_tokens: 0\n", "num_tokens" },
			{ "rpc_address: 0.0.0.0\n", "broadcast_rpc_address" },
		};
		size_t i;

		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			int rc;

			cfg_defaults(&c);
			rc = cfg_load_string(&c, cases[i].yaml, strlen(cases[i].yaml), "t", &err);
			CHECK(rc < 0);
			if (rc < 0 && !strstr(err.msg, cases[i].want)) {
				t_fail++;
				fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err.msg, cases[i].want);
			}
			cfg_free(&c);
		}
	}

	{
		static const char w[] = "rpc_address: 0.0.0.0\nbroadcast_rpc_address: 10.1.2.3\n";

		cfg_defaults(&c);
		CHECK(cfg_load_string(&c, w, sizeof w - 1, "w", &err) == 0);
		CHECK_STR(c.broadcast_rpc_address, "10.1.2.3");
		cfg_free(&c);
	}

	/* an empty file and a comment-only file are the defaults */
	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, "", 0, "empty", &err) == 0);
	CHECK(cfg_load_string(&c, "# nothing\n", 10, "comment", &err) == 0);
	CHECK_EQ_I64(c.native_transport_port, 9042);
	cfg_free(&c);
}

static void test_memtable_space(void)
{
	cfg c;
	hl_err err;
	static const char a[] = "memtable_heap_space: 64MiB\n";
	static const char b[] = "memtable_heap_space_in_mb: 32\n";
	cfg_defaults(&c);
	CHECK_EQ_I64(c.memtable_space, 0);
	CHECK(cfg_load_string(&c, a, sizeof a - 1, "a", &err) == 0);
	CHECK_EQ_I64(c.memtable_space, 64u << 20);
	cfg_free(&c);
	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, b, sizeof b - 1, "b", &err) == 0);
	CHECK_EQ_I64(c.memtable_space, 32u << 20);
	cfg_free(&c);
}

/* Guardrails: Cassandra 5.0's defaults, both unit styles, null/-1 disabling, checks. */
static void test_guardrails(void)
{
	cfg c;
	hl_err err;
	static const char y[] =
		"tombstone_warn_threshold: 10\n"
		"tombstone_failure_threshold: 500\n"
		"batch_size_warn_threshold: 1KiB\n"
		"batch_size_fail_threshold_in_kb: 4\n"
		"unlogged_batch_across_partitions_warn_threshold: 3\n"
		"max_value_size_in_mb: 2\n"
		"compaction_large_partition_warning_threshold: 10MiB\n"
		"collection_size_warn_threshold: 100B\n"
		"collection_size_fail_threshold: 1KiB\n"
		"items_per_collection_warn_threshold: 3\n"
		"page_size_fail_threshold: null\n"
		"keyspaces_fail_threshold: -1\n"
		"partition_size_warn_threshold: 100MiB\n"
		"allow_filtering_enabled: false\n"
		"drop_keyspace_enabled: false\n";
	static const char warn_above_fail[] =
		"tables_warn_threshold: 10\ntables_fail_threshold: 5\n";
	static const char zero[] = "page_size_warn_threshold: 0\n";
	static const char bad_size[] = "column_value_size_warn_threshold: 10\n";
	static const char both[] = "batch_size_warn_threshold: 1KiB\nbatch_size_warn_threshold_in_kb: 2\n";

	cfg_defaults(&c);
	CHECK_EQ_I64(c.guard.tombstone_warn_threshold, 1000);
	CHECK_EQ_I64(c.guard.tombstone_failure_threshold, 100000);
	CHECK_EQ_I64(c.guard.batch_size_warn_threshold, 5 * 1024);
	CHECK_EQ_I64(c.guard.batch_size_fail_threshold, 50 * 1024);
	CHECK_EQ_I64(c.guard.unlogged_batch_across_partitions_warn_threshold, 10);
	CHECK_EQ_I64(c.guard.max_value_size, 256 << 20);
	CHECK_EQ_I64(c.guard.collection_size_warn, -1);
	CHECK_EQ_I64(c.guard.page_size_fail, -1);
	CHECK(c.guard.allow_filtering_enabled && c.guard.simplestrategy_enabled);
	CHECK(cfg_load_string(&c, y, sizeof y - 1, "g", &err) == 0);
	CHECK_EQ_I64(c.guard.tombstone_warn_threshold, 10);
	CHECK_EQ_I64(c.guard.tombstone_failure_threshold, 500);
	CHECK_EQ_I64(c.guard.batch_size_warn_threshold, 1024);
	CHECK_EQ_I64(c.guard.batch_size_fail_threshold, 4096);
	CHECK_EQ_I64(c.guard.unlogged_batch_across_partitions_warn_threshold, 3);
	CHECK_EQ_I64(c.guard.max_value_size, 2 << 20);
	CHECK_EQ_I64(c.guard.compaction_large_partition_warning_threshold, 10 << 20);
	CHECK_EQ_I64(c.guard.collection_size_warn, 100);
	CHECK_EQ_I64(c.guard.collection_size_fail, 1024);
	CHECK_EQ_I64(c.guard.items_per_collection_warn, 3);
	CHECK_EQ_I64(c.guard.items_per_collection_fail, -1);
	CHECK_EQ_I64(c.guard.page_size_fail, -1);
	CHECK_EQ_I64(c.guard.keyspaces_fail, -1);
	CHECK_EQ_I64(c.guard.partition_size_warn, 100 << 20);
	CHECK(!c.guard.allow_filtering_enabled && !c.guard.drop_keyspace_enabled);
	CHECK(c.guard.group_by_enabled);
	cfg_free(&c);

	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, warn_above_fail, sizeof warn_above_fail - 1, "w", &err) < 0);
	CHECK(strstr(err.msg, "The warn threshold 10 for tables_warn_threshold should be lower than "
			      "the fail threshold 5") != NULL);
	cfg_free(&c);
	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, zero, sizeof zero - 1, "z", &err) < 0);
	CHECK(strstr(err.msg, "0 is not allowed") != NULL);
	cfg_free(&c);
	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, bad_size, sizeof bad_size - 1, "b", &err) < 0);
	CHECK(strstr(err.msg, "column_value_size_warn_threshold") != NULL);
	cfg_free(&c);
	cfg_defaults(&c);
	CHECK(cfg_load_string(&c, both, sizeof both - 1, "d", &err) < 0);
	CHECK(strstr(err.msg, "same setting") != NULL);
	cfg_free(&c);
	/* the command line takes the same forms */
	cfg_defaults(&c);
	CHECK(cfg_set(&c, "page_size_warn_threshold", "100", &err) == 0);
	CHECK_EQ_I64(c.guard.page_size_warn, 100);
	CHECK(cfg_set(&c, "column_value_size_fail_threshold", "1MiB", &err) == 0);
	CHECK_EQ_I64(c.guard.column_value_size_fail, 1 << 20);
	CHECK(cfg_set(&c, "group_by_enabled", "maybe", &err) < 0);
	cfg_free(&c);
}

static void test_set(void)
{
	cfg c;
	hl_err err;

	cfg_defaults(&c);
	CHECK(cfg_set(&c, "listen_address", "10.0.0.5", &err) == 0);
	CHECK_STR(c.listen_address, "10.0.0.5");
	CHECK(cfg_set(&c, "native_transport_port", "0", &err) == 0);
	CHECK_EQ_I64(c.native_transport_port, 0);
	CHECK(cfg_set(&c, "num_tokens", "256", &err) == 0);
	CHECK_EQ_I64(c.num_tokens, 256);
	CHECK(cfg_set(&c, "shards", "4", &err) == 0);
	CHECK_EQ_I64(c.shards, 4);
	CHECK(cfg_set(&c, "commitlog_sync_period", "1s", &err) == 0);
	CHECK_EQ_I64(c.commitlog_sync_period_ms, 1000);
	CHECK(cfg_set(&c, "seed_provider", "10.0.0.1, 10.0.0.2", &err) == 0);
	CHECK_EQ_I64(c.n_seeds, 2);
	CHECK(cfg_set(&c, "num_tokens", "x", &err) < 0);
	CHECK(strstr(err.msg, "num_tokens") != NULL);
	CHECK(cfg_set(&c, "no_such_key", "1", &err) < 0);
	cfg_set_data_dir(&c, "/srv/h");
	CHECK_EQ_I64(c.n_data_file_directories, 1);
	CHECK_STR(c.data_file_directories[0], "/srv/h/data");
	CHECK_STR(c.commitlog_directory, "/srv/h/commitlog");
	CHECK_STR(c.hints_directory, "/srv/h/hints");
	CHECK_STR(c.saved_caches_directory, "/srv/h/saved_caches");
	CHECK(cfg_validate(&c, &err) == 0);
	CHECK_STR(cfg_commitlog_sync_name(CFG_SYNC_GROUP), "group");
	cfg_free(&c);
}

int main(void)
{
	test_memtable_space();
	char cmd[300];

	hl_log_set_level(HL_LOG_WARN);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_defaults();
	test_cassandra_yaml();
	test_legacy_units();
	test_units();
	test_errors();
	test_set();
	test_guardrails();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return T_DONE();
}
