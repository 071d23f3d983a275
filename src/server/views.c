/*
 * server/views.c: the live state behind system_views. A node-wide registry
 * of client connections (a mutex taken when a connection opens, completes
 * STARTUP, changes keyspace or closes; never per request: the request
 * count is a relaxed counter only its shard writes), per-shard storage
 * figures refreshed by each shard once a second (the engines belong to
 * their shards, so a read on one shard never touches another's engine),
 * and the configuration as the settings table.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv_int.h"

struct srv_client {
	sys_inet addr;
	int32_t port;
	_Atomic int64_t requests;
	bool ready;
	int version;
	int nopts;
	char *opt_k[12], *opt_v[12];
	char keyspace[256];
	srv_client *prev, *next;
};

typedef struct srv_clients {
	pthread_mutex_t mu;
	srv_client *head;
	int n;
} srv_clients;

void srv_clients_init(srv_ctx *ctx)
{
	srv_clients *r = hl_calloc(1, sizeof *r);

	pthread_mutex_init(&r->mu, NULL);
	ctx->clients = r;
	pthread_mutex_init(&ctx->stats_mu, NULL);
	ctx->shard_stats = hl_calloc((size_t)ctx->nshards, sizeof *ctx->shard_stats);
	ctx->pub_metrics = hl_calloc((size_t)ctx->nshards, sizeof *ctx->pub_metrics);
	for (int i = 0; i < ctx->nshards; i++)
		srv_metrics_init(&ctx->pub_metrics[i]);
	ctx->node.live = srv_views_live;
	ctx->node.live_ctx = ctx;
}

static void client_free(srv_client *c)
{
	for (int i = 0; i < c->nopts; i++) {
		free(c->opt_k[i]);
		free(c->opt_v[i]);
	}
	free(c);
}

void srv_clients_destroy(srv_ctx *ctx)
{
	srv_clients *r = ctx->clients;

	if (!r)
		return;
	ctx->node.live = NULL;
	while (r->head) {
		srv_client *c = r->head;

		r->head = c->next;
		client_free(c);
	}
	pthread_mutex_destroy(&r->mu);
	free(r);
	ctx->clients = NULL;
	pthread_mutex_destroy(&ctx->stats_mu);
	free(ctx->shard_stats);
	ctx->shard_stats = NULL;
	for (int i = 0; i < ctx->nshards; i++)
		srv_metrics_free(&ctx->pub_metrics[i]);
	free(ctx->pub_metrics);
	ctx->pub_metrics = NULL;
}

srv_client *srv_client_add(srv_ctx *ctx, const net_conn *nc)
{
	srv_clients *r = ctx->clients;
	srv_client *c = hl_calloc(1, sizeof *c);
	const struct sockaddr_storage *ss = net_conn_peer(nc);

	if (ss && ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		memcpy(c->addr.b, &in->sin_addr, 4);
		c->addr.len = 4;
		c->port = ntohs(in->sin_port);
	} else if (ss && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&in->sin6_addr)) {
			memcpy(c->addr.b, in->sin6_addr.s6_addr + 12, 4);
			c->addr.len = 4;
		} else {
			memcpy(c->addr.b, &in->sin6_addr, 16);
			c->addr.len = 16;
		}
		c->port = ntohs(in->sin6_port);
	}
	pthread_mutex_lock(&r->mu);
	c->next = r->head;
	if (r->head)
		r->head->prev = c;
	r->head = c;
	r->n++;
	pthread_mutex_unlock(&r->mu);
	return c;
}

void srv_client_remove(srv_ctx *ctx, srv_client *c)
{
	srv_clients *r = ctx->clients;

	if (!c)
		return;
	pthread_mutex_lock(&r->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		r->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->n--;
	pthread_mutex_unlock(&r->mu);
	client_free(c);
}

static void opt(srv_client *c, const char *k, const char *v)
{
	int at = c->nopts;

	if (!v || c->nopts == (int)(sizeof c->opt_k / sizeof c->opt_k[0]))
		return;
	/* sorted by key, as the map is read back */
	while (at > 0 && strcmp(c->opt_k[at - 1], k) > 0) {
		c->opt_k[at] = c->opt_k[at - 1];
		c->opt_v[at] = c->opt_v[at - 1];
		at--;
	}
	c->opt_k[at] = hl_strdup(k);
	c->opt_v[at] = hl_strdup(v);
	c->nopts++;
}

void srv_client_ready(srv_ctx *ctx, srv_client *c, const tp_conn *tp)
{
	const tp_client_info *ci = tp_conn_client(tp);
	srv_client tmp;

	/* built aside, published under the lock */
	memset(&tmp, 0, sizeof tmp);
	opt(&tmp, "CQL_VERSION", ci->cql_version);
	opt(&tmp, "DRIVER_NAME", ci->driver_name);
	opt(&tmp, "DRIVER_VERSION", ci->driver_version);
	opt(&tmp, "CLIENT_ID", ci->client_id);
	opt(&tmp, "APPLICATION_NAME", ci->application_name);
	opt(&tmp, "APPLICATION_VERSION", ci->application_version);
	opt(&tmp, "COMPRESSION", ci->compression == TP_COMP_LZ4 ? "lz4" :
				 ci->compression == TP_COMP_SNAPPY ? "snappy" : NULL);
	if (ci->no_compact)
		opt(&tmp, "NO_COMPACT", "true");
	if (ci->throw_on_overload)
		opt(&tmp, "THROW_ON_OVERLOAD", "1");
	pthread_mutex_lock(&ctx->clients->mu);
	c->version = tp_conn_version(tp);
	c->ready = true;
	c->nopts = tmp.nopts;
	memcpy(c->opt_k, tmp.opt_k, sizeof tmp.opt_k);
	memcpy(c->opt_v, tmp.opt_v, sizeof tmp.opt_v);
	pthread_mutex_unlock(&ctx->clients->mu);
}

void srv_client_keyspace(srv_ctx *ctx, srv_client *c, const char *ks)
{
	if (!c)
		return;
	pthread_mutex_lock(&ctx->clients->mu);
	snprintf(c->keyspace, sizeof c->keyspace, "%s", ks);
	pthread_mutex_unlock(&ctx->clients->mu);
}

void srv_client_count(srv_client *c)
{
	if (c)
		atomic_store_explicit(&c->requests,
				      atomic_load_explicit(&c->requests, memory_order_relaxed) + 1,
				      memory_order_relaxed);
}

/* ------------------------------------------------------------ per-shard figures */

/* On the shard's thread, once a second: what its engine reports. */
void srv_views_refresh(srv_ctx *ctx, int shard, const qry_shard *q, int64_t inflight, int64_t done,
		       int64_t parked)
{
	srv_shard_stats st;
	st_compaction_stats cs;
	sch_schema *s;
	srv_metrics pub;

	/* the copy is built here, outside the lock, and swapped in under it */
	srv_metrics_init(&pub);
	srv_metrics_merge(&pub, &ctx->metrics[shard]);
	memset(&st, 0, sizeof st);
	st_compaction_stats_get(q->engine, &cs);
	st.compaction_active = cs.active;
	st.compaction_pending = cs.pending - cs.active;
	st.compactions_done = cs.completed;
	st.flushes_done = cs.flushes;
	st.requests_active = inflight;
	st.requests_done = done;
	st.parked = parked;
	st.ntasks = cs.ntasks;
	memcpy(st.tasks, cs.tasks, sizeof st.tasks);
	s = sch_acquire(ctx->reg);
	for (int i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);

		if (k->cls != SCH_KS_USER)
			continue;
		for (int j = 0; j < k->ntables; j++) {
			st_table_stats ts;
			hl_err err;

			if (st_table_stats_get(q->engine, &k->tables[j]->id, &ts, &err) < 0)
				continue;
			st.key_hits += ts.key_cache_hits;
			st.key_requests += ts.key_cache_hits + ts.key_cache_misses;
			st.key_entries += ts.key_cache_entries;
			st.key_capacity += ts.key_cache_capacity;
			if (ts.disk_bytes)
				srv_metrics_table(&pub, &k->tables[j]->id)->disk_bytes = (int64_t)ts.disk_bytes;
		}
	}
	sch_release(s);
	pthread_mutex_lock(&ctx->stats_mu);
	ctx->shard_stats[shard] = st;
	srv_metrics old = ctx->pub_metrics[shard];
	ctx->pub_metrics[shard] = pub;
	pthread_mutex_unlock(&ctx->stats_mu);
	srv_metrics_free(&old);
}

/* ------------------------------------------------------------ rows */

static void live_clients(srv_ctx *ctx, hl_arena *a, sys_live *out)
{
	srv_clients *r = ctx->clients;
	int i = 0;

	pthread_mutex_lock(&r->mu);
	out->clients = hl_arena_zalloc(a, sizeof *out->clients * (size_t)(r->n + 1));
	for (srv_client *c = r->head; c && i < r->n; c = c->next, i++) {
		sys_client *o = &out->clients[i];
		const char **k = hl_arena_alloc(a, sizeof *k * (size_t)(c->nopts + 1));
		const char **v = hl_arena_alloc(a, sizeof *v * (size_t)(c->nopts + 1));

		o->address = c->addr;
		o->port = c->port;
		o->stage = c->ready ? "ready" : "established";
		o->protocol_version = c->version;
		for (int j = 0; j < c->nopts; j++) {
			k[j] = hl_arena_strdup(a, c->opt_k[j]);
			v[j] = hl_arena_strdup(a, c->opt_v[j]);
			if (!strcmp(k[j], "DRIVER_NAME"))
				o->driver_name = v[j];
			else if (!strcmp(k[j], "DRIVER_VERSION"))
				o->driver_version = v[j];
		}
		o->nopts = c->nopts;
		o->opt_keys = k;
		o->opt_vals = v;
		o->keyspace = c->keyspace[0] ? hl_arena_strdup(a, c->keyspace) : NULL;
		o->request_count = atomic_load_explicit(&c->requests, memory_order_relaxed);
	}
	out->nclients = i;
	pthread_mutex_unlock(&r->mu);
}

static srv_shard_stats sum_stats(srv_ctx *ctx)
{
	srv_shard_stats t;

	memset(&t, 0, sizeof t);
	pthread_mutex_lock(&ctx->stats_mu);
	for (int i = 0; i < ctx->nshards; i++) {
		const srv_shard_stats *s = &ctx->shard_stats[i];

		t.compaction_active += s->compaction_active;
		t.compaction_pending += s->compaction_pending;
		t.compactions_done += s->compactions_done;
		t.flushes_done += s->flushes_done;
		t.requests_active += s->requests_active;
		t.requests_done += s->requests_done;
		t.key_hits += s->key_hits;
		t.key_requests += s->key_requests;
		t.key_entries += s->key_entries;
		t.key_capacity += s->key_capacity;
	}
	pthread_mutex_unlock(&ctx->stats_mu);
	return t;
}

/* Every shard's last published metrics merged (the merge /metrics uses). */
static void pub_snapshot(srv_ctx *ctx, srv_metrics *m)
{
	srv_metrics_init(m);
	pthread_mutex_lock(&ctx->stats_mu);
	for (int i = 0; i < ctx->nshards; i++)
		srv_metrics_merge(m, &ctx->pub_metrics[i]);
	pthread_mutex_unlock(&ctx->stats_mu);
}

static const struct {
	const char *name;
	int kind;                      /* SYS_TM_* */
	int h;                         /* SRV_H_*; -1: disk usage */
} metric_tables[] = {
	{ "coordinator_read_latency", SYS_TM_LATENCY, SRV_H_COORD_READ },
	{ "coordinator_scan_latency", SYS_TM_LATENCY, SRV_H_COORD_RANGE },
	{ "coordinator_write_latency", SYS_TM_LATENCY, SRV_H_COORD_WRITE },
	{ "disk_usage", SYS_TM_STORAGE, -1 },
	{ "local_read_latency", SYS_TM_LATENCY, SRV_H_READ },
	{ "local_scan_latency", SYS_TM_LATENCY, SRV_H_RANGE },
	{ "local_write_latency", SYS_TM_LATENCY, SRV_H_WRITE },
	{ "rows_per_read", SYS_TM_HISTOGRAM, SRV_H_ROWS },
	{ "tombstones_per_read", SYS_TM_HISTOGRAM, SRV_H_TOMBSTONES },
};

static int metric_table(const char *name)
{
	for (int i = 0; i < (int)(sizeof metric_tables / sizeof metric_tables[0]); i++)
		if (!strcmp(metric_tables[i].name, name))
			return i;
	return -1;
}

/* One row per table with storage (Cassandra: every ColumnFamilyStore). */
static void live_table_metrics(srv_ctx *ctx, int which, hl_arena *a, sys_live *out)
{
	sch_schema *s = sch_acquire(ctx->reg);
	srv_metrics m;
	int n = 0, cap = 0;
	int h = metric_tables[which].h;

	pub_snapshot(ctx, &m);
	for (int i = 0; i < sch_nkeyspaces(s); i++)
		if (sch_keyspace_at(s, i)->cls != SCH_KS_VIRTUAL)
			cap += sch_keyspace_at(s, i)->ntables;
	out->tmetrics = hl_arena_zalloc(a, sizeof *out->tmetrics * (size_t)(cap + 1));
	out->tmetric_kind = metric_tables[which].kind;
	for (int i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);

		if (k->cls == SCH_KS_VIRTUAL)
			continue;
		for (int j = 0; j < k->ntables && n < cap; j++) {
			sys_table_metric *o = &out->tmetrics[n++];
			/* looked up, not created: an idle table reads as zeros */
			const srv_tmetrics *t = srv_metrics_find(&m, &k->tables[j]->id);
			o->ks = hl_arena_strdup(a, k->name);
			o->table = hl_arena_strdup(a, k->tables[j]->name);
			if (!t)
				continue;
			if (h < 0) {
				o->bytes = t->disk_bytes;
				continue;
			}
			const hl_hist *hh = t->h[h];
			o->count = (int64_t)hh->count;
			if (hh->count) {
				o->p50 = (double)hl_hist_percentile(hh, 50);
				o->p99 = (double)hl_hist_percentile(hh, 99);
				o->max = (double)hh->max;
			}
			o->per_second = t->rate[h];
		}
	}
	out->ntmetrics = n;
	srv_metrics_free(&m);
	sch_release(s);
}

static void live_tasks(srv_ctx *ctx, hl_arena *a, sys_live *out)
{
	sch_schema *s = sch_acquire(ctx->reg);
	int n = 0;

	pthread_mutex_lock(&ctx->stats_mu);
	out->tasks = hl_arena_zalloc(a, sizeof *out->tasks * (size_t)(ctx->nshards * 2 + 1));
	for (int i = 0; i < ctx->nshards; i++) {
		const srv_shard_stats *st = &ctx->shard_stats[i];

		for (int k = 0; k < st->ntasks; k++) {
			const struct st_task *t = &st->tasks[k];
			const sch_table *tab = sch_find_table_by_id(s, &t->table);
			sys_sstable_task *o = &out->tasks[n];

			if (!tab)
				continue;      /* dropped meanwhile */
			o->ks = hl_arena_strdup(a, tab->ks);
			o->table = hl_arena_strdup(a, tab->name);
			o->task_id = t->task_id;
			o->kind = t->kind;
			o->unit = t->unit;
			o->progress = (int64_t)t->done;
			o->total = (int64_t)t->total;
			o->sstables = t->sstables;
			n++;
		}
	}
	pthread_mutex_unlock(&ctx->stats_mu);
	out->ntasks = n;
	sch_release(s);
}

static void live_pools(srv_ctx *ctx, hl_arena *a, sys_live *out)
{
	srv_shard_stats t = sum_stats(ctx);
	sys_pool *p = hl_arena_zalloc(a, sizeof *p * 5);
	srv_metrics m;
	int64_t flushing = 0;

	pub_snapshot(ctx, &m);
	pthread_mutex_lock(&ctx->stats_mu);
	for (int i = 0; i < ctx->nshards; i++)
		for (int k = 0; k < ctx->shard_stats[i].ntasks; k++)
			flushing += !strcmp(ctx->shard_stats[i].tasks[k].kind, "flush");
	pthread_mutex_unlock(&ctx->stats_mu);
	/* one compactor and one flush writer per shard; requests and their
	 * storage ops run on the shards: a read or write op runs to its end
	 * on its shard thread, so the only ones caught in flight are writes
	 * parked until the commit log sync (batch/group) covers them */
	p[0] = (sys_pool){ "CompactionExecutor", (int32_t)t.compaction_active, ctx->nshards,
			   (int32_t)t.compaction_pending, t.compactions_done, 0, 0 };
	p[1] = (sys_pool){ "MemtableFlushWriter", (int32_t)flushing, ctx->nshards, 0, t.flushes_done, 0, 0 };
	p[2] = (sys_pool){ "MutationStage", (int32_t)t.parked, ctx->nshards, 0, (int64_t)m.ops_write, 0, 0 };
	p[3] = (sys_pool){ "Native-Transport-Requests", (int32_t)t.requests_active, ctx->nshards, 0,
			   t.requests_done, 0, 0 };
	p[4] = (sys_pool){ "ReadStage", 0, ctx->nshards, 0, (int64_t)m.ops_read, 0, 0 };
	srv_metrics_free(&m);
	out->pools = p;
	out->npools = 5;
}

static void live_caches(srv_ctx *ctx, hl_arena *a, sys_live *out)
{
	srv_shard_stats t = sum_stats(ctx);
	sys_cache *c = hl_arena_zalloc(a, sizeof *c * 4);

	/* only the SSTable key caches exist; the others are Cassandra's, empty here */
	c[0].name = "chunks";
	c[1].name = "counters";
	c[2].name = "keys";
	c[2].capacity_bytes = t.key_capacity;
	c[2].entry_count = t.key_entries > INT32_MAX ? INT32_MAX : (int32_t)t.key_entries;
	c[2].hit_count = t.key_hits;
	c[2].request_count = t.key_requests;
	c[3].name = "rows";
	out->caches = c;
	out->ncaches = 4;
}

typedef struct setting_acc {
	hl_arena *a;
	int n, cap;
	const char **names, **values;
} setting_acc;

static void add_setting(void *p, const char *name, const char *value)
{
	setting_acc *s = p;

	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 64;
		const char **n = hl_arena_alloc(s->a, sizeof *n * (size_t)cap);
		const char **v = hl_arena_alloc(s->a, sizeof *v * (size_t)cap);

		if (s->n) {
			memcpy(n, s->names, sizeof *n * (size_t)s->n);
			memcpy(v, s->values, sizeof *v * (size_t)s->n);
		}
		s->names = n;
		s->values = v;
		s->cap = cap;
	}
	s->names[s->n] = hl_arena_strdup(s->a, name);
	s->values[s->n] = value ? hl_arena_strdup(s->a, value) : NULL;
	s->n++;
}

static void live_settings(srv_ctx *ctx, hl_arena *a, sys_live *out)
{
	setting_acc s = { .a = a };

	cfg_each(ctx->cfg, add_setting, &s);
	out->nsettings = s.n;
	out->setting_names = s.names;
	out->setting_values = s.values;
}

void srv_views_live(void *ctxp, const char *table, hl_arena *a, sys_live *out)
{
	srv_ctx *ctx = ctxp;

	if (!strcmp(table, "clients"))
		live_clients(ctx, a, out);
	else if (!strcmp(table, "thread_pools"))
		live_pools(ctx, a, out);
	else if (!strcmp(table, "caches"))
		live_caches(ctx, a, out);
	else if (!strcmp(table, "settings"))
		live_settings(ctx, a, out);
	else if (!strcmp(table, "sstable_tasks"))
		live_tasks(ctx, a, out);
	else if (metric_table(table) >= 0)
		live_table_metrics(ctx, metric_table(table), a, out);
}
