/*
 * system/views.c: rows of the system_views virtual tables (Cassandra's
 * SystemViewsKeyspace) from the live state the node reports through
 * sys_node.live. Values follow Cassandra's: connection_stage in lower
 * case, hit ratios as NaN when nothing was requested, task ids timeuuids.
 */
#include <arpa/inet.h>
#include <math.h>
#include <string.h>

#include "system/sys_int.h"

static void client_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->nclients; i++) {
		const sys_client *c = &l->clients[i];
		char host[64];

		sys__rb_row(r);
		sys__put_inet(r, "address", &c->address);
		sys__put_int(r, "port", c->port);
		if (c->nopts)
			sys__put_kv(r, "client_options", c->opt_keys, c->opt_vals, c->nopts);
		sys__put_text(r, "connection_stage", c->stage);
		sys__put_text(r, "driver_name", c->driver_name);
		sys__put_text(r, "driver_version", c->driver_version);
		/* Cassandra resolves the name; a literal address is what it shows without DNS */
		if (c->address.len && inet_ntop(c->address.len == 4 ? AF_INET : AF_INET6, c->address.b,
						host, sizeof host))
			sys__put_text(r, "hostname", host);
		sys__put_text(r, "keyspace_name", c->keyspace);
		if (c->protocol_version)
			sys__put_int(r, "protocol_version", c->protocol_version);
		sys__put_bigint(r, "request_count", c->request_count);
		sys__put_bool(r, "ssl_enabled", false);
		sys__put_text(r, "authentication_mode", "Unauthenticated");
	}
}

static void pool_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->npools; i++) {
		const sys_pool *p = &l->pools[i];

		sys__rb_row(r);
		sys__put_text(r, "name", p->name);
		sys__put_int(r, "active_tasks", p->active);
		sys__put_int(r, "active_tasks_limit", p->active_limit);
		sys__put_bigint(r, "blocked_tasks", p->blocked);
		sys__put_bigint(r, "blocked_tasks_all_time", p->blocked_all_time);
		sys__put_bigint(r, "completed_tasks", p->completed);
		sys__put_int(r, "pending_tasks", p->pending);
	}
}

static void task_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->ntasks; i++) {
		const sys_sstable_task *t = &l->tasks[i];

		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", t->ks);
		sys__put_text(r, "table_name", t->table);
		sys__put_uuid(r, "task_id", &t->task_id);
		sys__put_double(r, "completion_ratio", t->total ? (double)t->progress / (double)t->total : 0.0);
		sys__put_text(r, "kind", t->kind);
		sys__put_bigint(r, "progress", t->progress);
		sys__put_int(r, "sstables", t->sstables);
		sys__put_bigint(r, "total", t->total);
		sys__put_text(r, "unit", t->unit);
	}
}

static void cache_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->ncaches; i++) {
		const sys_cache *c = &l->caches[i];

		sys__rb_row(r);
		sys__put_text(r, "name", c->name);
		sys__put_bigint(r, "capacity_bytes", c->capacity_bytes);
		sys__put_int(r, "entry_count", c->entry_count);
		sys__put_bigint(r, "hit_count", c->hit_count);
		sys__put_double(r, "hit_ratio", c->request_count ? (double)c->hit_count / (double)c->request_count
								 : NAN);
		sys__put_bigint(r, "recent_hit_rate_per_second", 0);
		sys__put_bigint(r, "recent_request_rate_per_second", 0);
		sys__put_bigint(r, "request_count", c->request_count);
		sys__put_bigint(r, "size_bytes", c->size_bytes);
	}
}

/* Cassandra rounds the doubles to 3 decimals, half up (cqlsh stays readable). */
static double round3(double v)
{
	return floor(v * 1000.0 + 0.5) / 1000.0;
}

static void metric_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->ntmetrics; i++) {
		const sys_table_metric *m = &l->tmetrics[i];

		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", m->ks);
		sys__put_text(r, "table_name", m->table);
		if (l->tmetric_kind == SYS_TM_STORAGE) {
			/* whole mebibytes, rounded up */
			sys__put_bigint(r, "mebibytes", (m->bytes + (1 << 20) - 1) >> 20);
			continue;
		}
		sys__put_bigint(r, "count", m->count);
		if (l->tmetric_kind == SYS_TM_LATENCY) {
			sys__put_double(r, "50th_ms", round3(m->p50 / 1000.0));
			sys__put_double(r, "99th_ms", round3(m->p99 / 1000.0));
			sys__put_double(r, "max_ms", round3(m->max / 1000.0));
			sys__put_double(r, "per_second", round3(m->per_second));
		} else {
			sys__put_double(r, "50th", round3(m->p50));
			sys__put_double(r, "99th", round3(m->p99));
			sys__put_double(r, "max", round3(m->max));
		}
	}
}

static void setting_rows(sys_rb *r, const sys_live *l)
{
	for (int i = 0; i < l->nsettings; i++) {
		sys__rb_row(r);
		sys__put_text(r, "name", l->setting_names[i]);
		sys__put_text(r, "value", l->setting_values[i]);
	}
}

void sys__view_rows(sys_rb *r, const sys_node *n, const char *name)
{
	sys_live l;

	if (!n->live)
		return;
	memset(&l, 0, sizeof l);
	n->live(n->live_ctx, name, r->a, &l);
	if (!strcmp(name, "clients"))
		client_rows(r, &l);
	else if (!strcmp(name, "thread_pools"))
		pool_rows(r, &l);
	else if (!strcmp(name, "sstable_tasks"))
		task_rows(r, &l);
	else if (!strcmp(name, "caches"))
		cache_rows(r, &l);
	else if (!strcmp(name, "settings"))
		setting_rows(r, &l);
	else if (l.tmetrics)
		metric_rows(r, &l);
}
