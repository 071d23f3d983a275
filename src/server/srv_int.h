/*
 * Private header of the server module: the node context shared by the
 * request path (srv.c) and the admin listener (admin.c).
 */
#ifndef HL_SRV_INT_H
#define HL_SRV_INT_H

#include <stdatomic.h>

#include "commitlog/commitlog.h"
#include "config/config.h"
#include "net/net.h"
#include "query/query.h"
#include "schema/schema.h"
#include "system/system.h"

typedef struct srv_ctx srv_ctx;

/* What a commit log's sync thread needs to reach its shard. */
typedef struct srv_logref {
	srv_ctx *ctx;
	int shard;
	/* batch/group sync: every write at or before this position is in the
	 * memtable (parked writes are applied in log order) */
	cl_pos last_released;
	atomic_bool poll_pending;      /* a st_poll message is on its way */
} srv_logref;

struct srv_ctx {
	const cfg *cfg;
	sch_registry *reg;
	sys_node node;
	int nshards;
	uint32_t max_frame;
	int64_t *tokens;
	qry_shard *qs;                 /* per shard, built before the shards start */
	cl_log **logs;
	srv_logref *logrefs;
	_Atomic(net_server *) server;  /* set once serving; sync threads post through it */
	int64_t started_us;
	struct srv_admin *admin;
};

typedef struct srv_conn srv_conn;

typedef struct srv_msg srv_msg;

typedef struct srv_shard {
	net_shard *ns;
	srv_ctx *ctx;
	qry_shard *q;
	srv_conn *conns;               /* open connections, for events */
	srv_msg *parked, *parked_tail; /* writes waiting for the commit log to be durable */
	hl_arena *spare[8];            /* reset request arenas for reuse */
	int nspare;
} srv_shard;

/* admin.c: the `helenus admin` listener (its own thread; blocking I/O). */
typedef struct srv_admin srv_admin;
int srv_admin_start(srv_ctx *ctx, srv_admin **out, hl_err *err);
void srv_admin_stop(srv_admin *a);

#endif
