/*
 * A query executor without the network, shared by the executor's unit
 * tests: a schema registry and NSH in-process shards, storage ops run inline
 * on the shard that owns them (what the server does through its queues).
 */
#ifndef HL_TEST_Q_ENV_H
#define HL_TEST_Q_ENV_H

#include <string.h>

#include "query/query.h"

#define NSH 3

typedef struct env {
	sch_registry *reg;
	sys_node node;
	qry_shard sh[NSH];
	int64_t tokens[1];
} env;

/* views: materialized_views_enabled */
static inline void env_init_opts(env *e, bool views)
{
	memset(e, 0, sizeof *e);
	sys_node_defaults(&e->node);
	e->node.cluster_name = "Test Cluster";
	e->tokens[0] = -100;
	e->node.ntokens = 1;
	e->node.tokens = e->tokens;
	const char *dcs[1] = { "datacenter1" };
	sch_registry_config c = { 1, dcs, views };
	e->reg = sch_registry_new(&c);
	hl_err err;
	for (int i = 0; i < NSH; i++)
		qry_shard_init(&e->sh[i], i, NSH, e->reg, &e->node, NULL, &err);
}

static inline void env_init(env *e)
{
	env_init_opts(e, false);
}

static inline void env_free(env *e)
{
	for (int i = 0; i < NSH; i++)
		qry_shard_destroy(&e->sh[i]);
	sch_registry_free(e->reg);
}

/* Drive an exec to completion, running each op on its shard. */
static inline int drive(env *e, qry_exec *x, int rc)
{
	while (rc == QRY_PENDING) {
		qry_op **ops;
		int n = qry_exec_ops(x, &ops);
		for (int i = 0; i < n; i++)
			qry_op_run(&e->sh[ops[i]->shard], ops[i]);
		rc = qry_exec_resume(x);
	}
	return rc;
}

#endif
