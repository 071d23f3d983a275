/*
 * config: the node's configuration, read from a YAML file whose keys are
 * cassandra.yaml's wherever the concept is the same, so an operator's
 * habits and existing files carry over.
 *
 * Both unit styles of Cassandra 4.1+ work: "10s" / "5000ms" / "16MiB"
 * under the new names, plain numbers under the old *_in_ms / *_in_kb /
 * *_in_mb names (setting both spellings of one key is an error). Every
 * other key Cassandra knows is accepted and ignored with one INFO line;
 * a key nobody knows gets a WARN line (typos) and is ignored as well.
 *
 * Precedence: defaults < file < command-line flags (cfg_set).
 *
 * Prefix: cfg_.
 */
#ifndef HL_CONFIG_H
#define HL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

enum cfg_commitlog_sync {
	CFG_SYNC_PERIODIC,
	CFG_SYNC_BATCH,
	CFG_SYNC_GROUP,
};

/*
 * Guardrails, under cassandra.yaml's names and with Cassandra 5.0's
 * defaults. Threshold pairs (*_warn / *_fail): a value <= 0 (-1, or null
 * in the file) disables that half, as Cassandra's MaxThreshold does.
 * Sizes are bytes. The query module enforces them (src/query/guard.c),
 * the storage module logs large partitions.
 */
typedef struct cfg_guardrails {
	int tombstone_warn_threshold;              /* 1000 */
	int tombstone_failure_threshold;           /* 100000 */
	uint64_t batch_size_warn_threshold;        /* 5KiB */
	uint64_t batch_size_fail_threshold;        /* 50KiB */
	int unlogged_batch_across_partitions_warn_threshold;   /* 10 */
	uint64_t max_value_size;                   /* 256MiB */
	uint64_t compaction_large_partition_warning_threshold; /* 100MiB */
	int64_t keyspaces_warn, keyspaces_fail;
	int64_t tables_warn, tables_fail;
	int64_t columns_per_table_warn, columns_per_table_fail;
	int64_t fields_per_udt_warn, fields_per_udt_fail;
	int64_t collection_size_warn, collection_size_fail;           /* bytes */
	int64_t items_per_collection_warn, items_per_collection_fail;
	int64_t column_value_size_warn, column_value_size_fail;       /* bytes */
	int64_t partition_keys_in_select_warn, partition_keys_in_select_fail;
	int64_t in_select_cartesian_product_warn, in_select_cartesian_product_fail;
	int64_t page_size_warn, page_size_fail;
	int64_t partition_size_warn, partition_size_fail;             /* bytes */
	/* *_enabled flags, all true by default */
	bool allow_filtering_enabled;
	bool group_by_enabled;
	bool drop_truncate_table_enabled;
	bool drop_keyspace_enabled;
	bool secondary_indexes_enabled;
	bool compact_tables_enabled;
	bool read_before_write_list_operations_enabled;
	bool user_timestamps_enabled;
	bool simplestrategy_enabled;
	bool alter_table_enabled;
} cfg_guardrails;

void cfg_guardrails_defaults(cfg_guardrails *g);

/* Strings are heap-owned by the struct (cfg_free); NULL means "unset". */
typedef struct cfg {
	char *cluster_name;
	char *listen_address;
	char *broadcast_address;        /* NULL: same as listen_address */
	char *rpc_address;
	char *broadcast_rpc_address;    /* NULL: same as rpc_address */
	int native_transport_port;
	int storage_port;

	char **data_file_directories;
	size_t n_data_file_directories;
	char *commitlog_directory;
	char *hints_directory;
	char *saved_caches_directory;

	enum cfg_commitlog_sync commitlog_sync;
	uint64_t commitlog_sync_period_ms;
	uint64_t commitlog_sync_batch_window_ms;
	uint64_t commitlog_sync_group_window_ms;
	uint64_t commitlog_segment_size;         /* bytes */
	uint64_t memtable_space;                 /* memtable_heap_space, bytes; 0: RAM / 4 */

	int num_tokens;
	char *initial_token;             /* as written, comma separated */
	int64_t *initial_tokens;         /* parsed Murmur3 tokens */
	size_t n_initial_tokens;
	char *partitioner;               /* always the Murmur3Partitioner class */

	/* Short class names ("SimpleSnitch"); a package prefix is stripped. */
	char *endpoint_snitch;
	char *dc;                        /* Helenus key; SimpleSnitch: datacenter1 */
	char *rack;                      /* Helenus key; SimpleSnitch: rack1 */
	char *authenticator;
	char *authorizer;

	char *seed_provider;             /* class name */
	char **seeds;                    /* "host" or "host:port", trimmed */
	size_t n_seeds;

	uint64_t native_transport_max_frame_size;   /* bytes */
	int shards;                      /* Helenus key; 0 = number of cores */
	int admin_port;                  /* Helenus key: `helenus admin` (nodetool's role), on rpc_address; 7199 as JMX */
	bool auto_snapshot;              /* true: snapshot before TRUNCATE / DROP */
	bool incremental_backups;        /* false */
	bool materialized_views_enabled; /* false: CREATE MATERIALIZED VIEW refused */
	uint64_t compaction_throughput;  /* bytes per second, 0 = unthrottled; 64 MiB/s */
	/* *_request_timeout keys, ms (nodetool gettimeout/settimeout's types) */
	uint64_t read_request_timeout_ms;          /* 5000 */
	uint64_t range_request_timeout_ms;         /* 10000 */
	uint64_t write_request_timeout_ms;         /* 2000 */
	uint64_t counter_write_request_timeout_ms; /* 5000 */
	uint64_t cas_contention_timeout_ms;        /* 1000 */
	uint64_t truncate_request_timeout_ms;      /* 60000 */
	uint64_t request_timeout_ms;               /* 10000: "misc" */
	cfg_guardrails guard;
} cfg;

/* Defaults for a single developer node (127.0.0.1:9042, data under ./data). */
void cfg_defaults(cfg *c);
void cfg_free(cfg *c);

/*
 * Apply a YAML file over the current values (call cfg_defaults first),
 * then cfg_validate. Malformed YAML reports the line; a bad value names
 * the key and its line. On error c stays valid (partially applied) and
 * must still be freed.
 */
int cfg_load_file(cfg *c, const char *path, hl_err *err);
/* Same from a string already in memory (name is used in messages). */
int cfg_load_string(cfg *c, const char *yaml, size_t len, const char *name,
		    hl_err *err);

/*
 * Set one honoured key from a string, as a command-line flag would, with
 * the same parsing and checks as the file ("num_tokens", "10s" for
 * commitlog_sync_period, comma lists for data_file_directories/seeds...).
 */
int cfg_set(cfg *c, const char *key, const char *value, hl_err *err);
/* Put data_file_directories, commitlog, hints and saved_caches under dir. */
void cfg_set_data_dir(cfg *c, const char *dir);

/* Cross-key checks (partitioner, ports, initial_token count, sync mode). */
int cfg_validate(const cfg *c, hl_err *err);

/* Parse Cassandra units. Durations: d h m s ms us µs ns; sizes: B KiB MiB
 * GiB. 0 on success, -1 on a malformed value or overflow. */
int cfg_parse_duration_ms(const char *s, uint64_t *ms);
int cfg_parse_size_bytes(const char *s, uint64_t *bytes);

const char *cfg_commitlog_sync_name(enum cfg_commitlog_sync s);

/* Every key Helenus uses with its value as text (NULL: unset), sorted by name. */
void cfg_each(const cfg *c, void (*fn)(void *arg, const char *name, const char *value), void *arg);

#endif
