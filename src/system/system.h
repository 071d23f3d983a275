/*
 * system: the content of the system tables, as rows of serialized cells.
 * system.local / peers / peers_v2 / size_estimates / table_estimates from
 * the node's identity, system_schema.* and system_virtual_schema.* from a
 * schema snapshot. Other tables of the system keyspace have no rows.
 *
 * The executor filters and sorts the rows (by token, then clustering); this
 * module only produces them. Prefix: sys_.
 */
#ifndef HL_SYSTEM_H
#define HL_SYSTEM_H

#include "core/core.h"
#include "types/types.h"
#include "schema/schema.h"

/* An inet value: 4 (IPv4) or 16 (IPv6) bytes; len 0 = null. */
typedef struct sys_inet {
	uint8_t b[16];
	int len;
} sys_inet;

typedef struct sys_peer {
	sys_inet peer;              /* listen (internode) address */
	int32_t peer_port;
	const char *data_center;
	const char *rack;
	const char *release_version;
	hl_uuid host_id;
	hl_uuid schema_version;
	bool has_schema_version;
	sys_inet preferred_ip;      /* len 0: null */
	int32_t preferred_port;
	sys_inet native_address;    /* rpc_address in the legacy table */
	int32_t native_port;
	int ntokens;
	const int64_t *tokens;
} sys_peer;

/* One row of size_estimates / table_estimates (range bounds are tokens). */
typedef struct sys_size_estimate {
	const char *ks;
	const char *table;
	int64_t range_start;
	int64_t range_end;
	int64_t partitions_count;
	int64_t mean_partition_size;
} sys_size_estimate;

typedef struct sys_node {
	const char *cluster_name;
	hl_uuid host_id;
	const char *data_center;         /* "datacenter1" */
	const char *rack;                /* "rack1" */
	int ntokens;
	const int64_t *tokens;
	sys_inet listen_address;
	sys_inet broadcast_address;
	sys_inet rpc_address;
	int32_t listen_port;             /* storage port, 7000 */
	int32_t broadcast_port;
	int32_t rpc_port;                /* native transport port, 9042 */
	const char *release_version;     /* "5.0.2" */
	const char *cql_version;         /* "3.4.7" */
	const char *native_protocol_version;   /* "5" */
	const char *partitioner;         /* org.apache.cassandra.dht.Murmur3Partitioner */
	const char *bootstrapped;        /* "COMPLETED" */
	int32_t gossip_generation;
	int npeers;                      /* never the node itself */
	const sys_peer *peers;
	int nestimates;
	const sys_size_estimate *estimates;
} sys_node;

/* Defaults for a single developer node (addresses 127.0.0.1, ports 7000/9042). */
void sys_node_defaults(sys_node *n);

/* A serialized cell: protocol [bytes] content; len -1 is null. */
typedef struct sys_cell {
	const uint8_t *p;
	int32_t len;
} sys_cell;

/*
 * nrows rows of ncols cells, row-major. Cells follow the table's column
 * order as the schema exposes it (t->cols: partition key, clustering,
 * static, regular; see schema.h); rows are in no particular order.
 */
typedef struct sys_rowset {
	int ncols;
	int nrows;
	sys_cell *cells;
} sys_rowset;

/* Is t a table whose rows this module produces (every system/virtual table)? */
bool sys_handles(const sch_table *t);

/*
 * Every row of the system table t, built in arena a. The schema version in
 * system.local is the snapshot's. Invalid if t is not a system table.
 */
int sys_rows(const sch_schema *s, const sys_node *node, const sch_table *t, hl_arena *a,
	     sys_rowset *out, hl_err *err);

#endif
