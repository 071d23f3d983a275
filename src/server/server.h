/*
 * server: the node process. Wires the network layer (net), the native
 * protocol engine (transport) and the query executor (query) together:
 * per-shard state, per-connection protocol state, the life of a request
 * (its storage ops run on the shards owning the data, through the
 * inter-shard queues), schema-change events and prepared-statement
 * propagation to every shard, and the node's persistent identity.
 *
 * Prefix: srv_.
 */
#ifndef HL_SERVER_H
#define HL_SERVER_H

#include "config/config.h"
#include "core/core.h"

/* Run a node until SIGINT/SIGTERM. 0 on a clean stop, -1 with err on failure. */
int srv_run(const cfg *c, hl_err *err);

#endif
