/*
 * The admin listener: what `helenus admin` (nodetool's role) talks to. A
 * thread of its own with blocking I/O on rpc_address:admin_port, one request
 * per connection, requests handled one at a time (admin traffic is rare and
 * must never compete with the shards' event loops). Work that needs shard
 * state is posted to every shard and waited for here.
 *
 * The API is HTTP/1.1 + JSON on loopback (one request per connection):
 *   POST /v1/command  {"args": ["status"]}  ->  200 {"ok": true, "output": "..."}
 *                                           or 400 {"ok": false, "error": "..."}
 *   GET  /metrics     Prometheus text exposition format (version 0.0.4)
 * See docs/admin.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/srv_int.h"

#define MAX_ARGS 64

struct srv_admin {
	srv_ctx *ctx;
	int fd;
	int stop[2];                   /* self-pipe: stop the accept loop */
	pthread_t thread;
	bool running;
};

/* ------------------------------------------------------------ shard jobs */

typedef struct job job;
typedef void (*job_fn)(job *j, qry_shard *q, int shard);

struct job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;
	job_fn fn;
	void *arg;
	srv_ctx *ctx;
};

typedef struct job_part {
	job *j;
	int shard;
} job_part;

static void job_on_shard(net_shard *ns, void *p)
{
	job_part *jp = p;
	job *j = jp->j;
	j->fn(j, &j->ctx->qs[net_shard_id(ns)], net_shard_id(ns));
	pthread_mutex_lock(&j->mu);
	j->pending--;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	free(jp);
}

/* Run fn on every shard (on its thread) and wait for all of them. */
static void run_on_shards(srv_ctx *ctx, job_fn fn, void *arg)
{
	job j;
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	j.pending = ctx->nshards;
	j.fn = fn;
	j.arg = arg;
	j.ctx = ctx;
	net_server *srv = atomic_load(&ctx->server);
	for (int i = 0; i < ctx->nshards; i++) {
		job_part *jp = hl_malloc(sizeof *jp);
		jp->j = &j;
		jp->shard = i;
		if (!srv || net_server_post(srv, i, job_on_shard, jp) < 0) {
			free(jp);
			pthread_mutex_lock(&j.mu);
			j.pending--;
			pthread_mutex_unlock(&j.mu);
		}
	}
	pthread_mutex_lock(&j.mu);
	while (j.pending > 0)
		pthread_cond_wait(&j.cv, &j.mu);
	pthread_mutex_unlock(&j.mu);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
}

/* ------------------------------------------------------------ table stats */

typedef srv_tstat tstat;

typedef struct tstats {
	int n;
	tstat *t;
	pthread_mutex_t mu;
} tstats;

static void stats_on_shard(job *j, qry_shard *q, int shard)
{
	tstats *ts = j->arg;
	(void)shard;
	for (int i = 0; i < ts->n; i++) {
		st_table_stats s;
		hl_err e;
		if (st_table_stats_get(q->engine, &ts->t[i].id, &s, &e) < 0)
			continue;
		pthread_mutex_lock(&ts->mu);
		ts->t[i].s.memory += s.memory;
		ts->t[i].s.partitions += s.partitions;
		ts->t[i].s.rows += s.rows;
		ts->t[i].s.sstables += s.sstables;
		ts->t[i].s.disk_bytes += s.disk_bytes;
		pthread_mutex_unlock(&ts->mu);
	}
}

/* Every user table (or those named by ks / ks.table filters) with its stats. */
static void collect_stats(srv_ctx *ctx, const sch_schema *s, int nf, char **filters, tstats *ts)
{
	ts->n = 0;
	ts->t = NULL;
	pthread_mutex_init(&ts->mu, NULL);
	int cap = 0;
	for (int k = 0; k < sch_nkeyspaces(s); k++) {
		const sch_keyspace *ks = sch_keyspace_at(s, k);
		if (ks->cls != SCH_KS_USER)
			continue;
		for (int i = 0; i < ks->ntables; i++) {
			const sch_table *t = ks->tables[i];
			bool want = nf == 0;
			for (int f = 0; f < nf && !want; f++) {
				const char *dot = strchr(filters[f], '.');
				if (dot)
					want = (size_t)(dot - filters[f]) == strlen(t->ks) &&
					       strncmp(filters[f], t->ks, strlen(t->ks)) == 0 &&
					       strcmp(dot + 1, t->name) == 0;
				else
					want = strcmp(filters[f], t->ks) == 0;
			}
			if (!want)
				continue;
			if (ts->n == cap) {
				cap = cap ? cap * 2 : 16;
				ts->t = hl_realloc(ts->t, sizeof(tstat) * (size_t)cap);
			}
			tstat *x = &ts->t[ts->n++];
			memset(x, 0, sizeof *x);
			x->id = t->id;
			x->ks = t->ks;
			x->name = t->name;
		}
	}
	run_on_shards(ctx, stats_on_shard, ts);
}

static void human(size_t bytes, char *out, size_t n)
{
	const char *u[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, n, "%zu bytes", bytes);
	else
		snprintf(out, n, "%.2f %s", v, u[i]);
}

static size_t total_load(srv_ctx *ctx, const sch_schema *s)
{
	tstats ts;
	collect_stats(ctx, s, 0, NULL, &ts);
	size_t load = 0;
	for (int i = 0; i < ts.n; i++)
		load += ts.t[i].s.memory;
	free(ts.t);
	pthread_mutex_destroy(&ts.mu);
	return load;
}

/* ------------------------------------------------------------ commands */

static const char *addr_str(const sys_inet *in, char *buf, size_t n)
{
	if (in->len == 4)
		inet_ntop(AF_INET, in->b, buf, (socklen_t)n);
	else if (in->len == 16)
		inet_ntop(AF_INET6, in->b, buf, (socklen_t)n);
	else
		snprintf(buf, n, "?");
	return buf;
}

static int cmd_status(srv_ctx *ctx, const sch_schema *s, hl_buf *out)
{
	char addr[64], load[32], id[37];
	human(total_load(ctx, s), load, sizeof load);
	hl_uuid_str(&ctx->node.host_id, id);
	const char *dc = ctx->node.data_center;
	hl_buf_printf(out, "Datacenter: %s\n", dc);
	for (size_t i = 0; i < strlen(dc) + 12; i++)
		hl_buf_u8(out, '=');
	hl_buf_printf(out, "\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n");
	hl_buf_printf(out, "--  %-15s %-12s %-7s %-17s %-37s %s\n", "Address", "Load", "Tokens",
		      "Owns (effective)", "Host ID", "Rack");
	hl_buf_printf(out, "UN  %-15s %-12s %-7d %-17s %-37s %s\n",
		      addr_str(&ctx->node.broadcast_address, addr, sizeof addr), load,
		      ctx->node.ntokens, "100.0%", id, ctx->node.rack);
	return 0;
}

static int cmd_info(srv_ctx *ctx, const sch_schema *s, bool tokens, hl_buf *out)
{
	char load[32], id[37];
	human(total_load(ctx, s), load, sizeof load);
	hl_uuid_str(&ctx->node.host_id, id);
	int64_t up = (hl_now_micros() - ctx->started_us) / 1000000;
	hl_buf_printf(out, "%-23s: %s\n", "ID", id);
	hl_buf_printf(out, "%-23s: %s\n", "Gossip active", "true");
	hl_buf_printf(out, "%-23s: %s\n", "Native Transport active", "true");
	hl_buf_printf(out, "%-23s: %s\n", "Load", load);
	hl_buf_printf(out, "%-23s: %d\n", "Generation No", ctx->node.gossip_generation);
	hl_buf_printf(out, "%-23s: %lld\n", "Uptime (seconds)", (long long)up);
	hl_buf_printf(out, "%-23s: %d\n", "Shards", ctx->nshards);
	hl_buf_printf(out, "%-23s: %s\n", "Data Center", ctx->node.data_center);
	hl_buf_printf(out, "%-23s: %s\n", "Rack", ctx->node.rack);
	hl_buf_printf(out, "%-23s: %s\n", "Exceptions", "0");
	if (tokens) {
		for (int i = 0; i < ctx->node.ntokens; i++)
			hl_buf_printf(out, "%-23s: %lld\n", "Token", (long long)ctx->node.tokens[i]);
	} else {
		hl_buf_printf(out, "%-23s: (invoke with -T/--tokens to see all %d tokens)\n", "Token",
			      ctx->node.ntokens);
	}
	return 0;
}

static int cmd_ring(srv_ctx *ctx, const sch_schema *s, hl_buf *out)
{
	char addr[64], load[32];
	human(total_load(ctx, s), load, sizeof load);
	addr_str(&ctx->node.broadcast_address, addr, sizeof addr);
	hl_buf_printf(out, "\nDatacenter: %s\n==========\n", ctx->node.data_center);
	hl_buf_printf(out, "%-16s %-8s %-8s %-8s %-12s %-17s %s\n", "Address", "Rack", "Status",
		      "State", "Load", "Owns", "Token");
	int n = ctx->node.ntokens;
	if (n)
		hl_buf_printf(out, "%-16s %-8s %-8s %-8s %-12s %-17s %lld\n", "", "", "", "", "", "",
			      (long long)ctx->node.tokens[n - 1]);
	for (int i = 0; i < n; i++)
		hl_buf_printf(out, "%-16s %-8s %-8s %-8s %-12s %-17s %lld\n", addr, ctx->node.rack, "Up",
			      "Normal", load, "100.00%", (long long)ctx->node.tokens[i]);
	return 0;
}

static int cmd_describecluster(srv_ctx *ctx, const sch_schema *s, hl_buf *out)
{
	char v[37], addr[64];
	hl_uuid_str(sch_version(s), v);
	hl_buf_printf(out, "Cluster Information:\n");
	hl_buf_printf(out, "\tName: %s\n", ctx->node.cluster_name);
	hl_buf_printf(out, "\tSnitch: org.apache.cassandra.locator.SimpleSnitch\n");
	hl_buf_printf(out, "\tDynamicEndPointSnitch: disabled\n");
	hl_buf_printf(out, "\tPartitioner: %s\n", ctx->node.partitioner);
	hl_buf_printf(out, "\tSchema versions:\n\t\t%s: [%s]\n\n", v,
		      addr_str(&ctx->node.broadcast_address, addr, sizeof addr));
	hl_buf_printf(out, "Stats for all nodes:\n\tLive: 1\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 0\n"
		      "\tUnreachable: 0\n");
	return 0;
}

static int cmd_tablestats(srv_ctx *ctx, const sch_schema *s, int nf, char **filters, hl_buf *out,
			  hl_err *err)
{
	tstats ts;
	collect_stats(ctx, s, nf, filters, &ts);
	if (nf && ts.n == 0) {
		free(ts.t);
		pthread_mutex_destroy(&ts.mu);
		return hl_errf(err, HL_ERR_INVALID, "Unknown keyspace/table %s", filters[0]);
	}
	const char *cur = NULL;
	for (int i = 0; i < ts.n; i++) {
		tstat *t = &ts.t[i];
		if (!cur || strcmp(cur, t->ks) != 0) {
			cur = t->ks;
			hl_buf_printf(out, "Keyspace : %s\n", t->ks);
		}
		char mem[32];
		human(t->s.memory, mem, sizeof mem);
		hl_buf_printf(out, "\t\tTable: %s\n", t->name);
		hl_buf_printf(out, "\t\tSSTable count: %lld\n", (long long)t->s.sstables);
		hl_buf_printf(out, "\t\tSpace used (live): %llu\n", (unsigned long long)t->s.disk_bytes);
		hl_buf_printf(out, "\t\tMemtable cell count: %lld\n", (long long)t->s.rows);
		hl_buf_printf(out, "\t\tMemtable data size: %zu\n", t->s.memory);
		hl_buf_printf(out, "\t\tMemtable data size (human): %s\n", mem);
		hl_buf_printf(out, "\t\tNumber of partitions (estimate): %lld\n",
			      (long long)t->s.partitions);
		hl_buf_printf(out, "\t\tNumber of rows (estimate): %lld\n", (long long)t->s.rows);
		hl_buf_printf(out, "\n");
	}
	free(ts.t);
	pthread_mutex_destroy(&ts.mu);
	return 0;
}

/* ------------------------------------------------------------ storage jobs */

typedef struct tsel {
	int n;
	hl_uuid ids[4096];
	const char *names[4096];
	/* job inputs/outputs */
	/* 0 flush, 1 compact, 2 import, 3 flushing count, 4 snapshot,
	 * 5..7 refresh rounds (stage, load, finish), 8 set compaction
	 * throughput, 9 compaction stats */
	int what;
	const char *dir;
	const char *tag;               /* snapshot */
	double mib;                    /* setcompactionthroughput */
	st_compaction_stats cs;        /* summed over shards */
	int imported;
	int64_t busy;
	bool wait_compact;
	hl_err err;
	bool failed;
	pthread_mutex_t mu;
} tsel;

/* Tables named by `[ks [table ...]]` (nodetool's flush/compact arguments). */
static int select_tables(const sch_schema *s, int argc, char **argv, tsel *ts, hl_err *err)
{
	ts->n = 0;
	for (int k = 0; k < sch_nkeyspaces(s); k++) {
		const sch_keyspace *ks = sch_keyspace_at(s, k);
		if (ks->cls != SCH_KS_USER)
			continue;
		if (argc > 0 && strcmp(argv[0], ks->name) != 0)
			continue;
		for (int i = 0; i < ks->ntables; i++) {
			const sch_table *t = ks->tables[i];
			bool want = argc <= 1;
			for (int a = 1; a < argc && !want; a++)
				want = strcmp(argv[a], t->name) == 0;
			if (want && ts->n < 4096) {
				ts->ids[ts->n] = t->id;
				ts->names[ts->n] = t->name;
				ts->n++;
			}
		}
	}
	if (argc > 0 && !sch_find_keyspace(s, argv[0]))
		return hl_errf(err, HL_ERR_INVALID, "Keyspace [%s] does not exist.", argv[0]);
	for (int a = 1; a < argc; a++)
		if (!sch_find_table(s, argv[0], argv[a]))
			return hl_errf(err, HL_ERR_INVALID, "Unknown keyspace/cf pair (%s.%s)", argv[0],
				       argv[a]);
	return 0;
}

static void storage_on_shard(job *j, qry_shard *q, int shard)
{
	tsel *ts = j->arg;
	hl_err se;
	hl_err_clear(&se);
	/* tables created a moment ago may not be in this shard's engine yet */
	if (qry_shard_sync(q, &se) < 0) {
		pthread_mutex_lock(&ts->mu);
		if (!ts->failed) {
			ts->failed = true;
			ts->err = se;
		}
		pthread_mutex_unlock(&ts->mu);
		return;
	}
	if (ts->what == 8 || ts->what == 9) {
		st_compaction_stats cs;
		if (ts->what == 8)
			st_set_compaction_throughput(q->engine, ts->mib);
		st_poll(q->engine);
		st_compaction_stats_get(q->engine, &cs);
		pthread_mutex_lock(&ts->mu);
		ts->cs.pending += cs.pending;
		ts->cs.active += cs.active;
		ts->cs.active_done += cs.active_done;
		ts->cs.active_total += cs.active_total;
		ts->cs.completed += cs.completed;
		ts->cs.bytes_in += cs.bytes_in;
		ts->cs.bytes_out += cs.bytes_out;
		pthread_mutex_unlock(&ts->mu);
		return;
	}
	for (int i = 0; i < ts->n; i++) {
		hl_err e;
		hl_err_clear(&e);
		int rc = 0, n = 0;
		st_table_stats st;
		switch (ts->what) {
		case 0: rc = st_flush(q->engine, &ts->ids[i], &e); break;
		case 1: rc = st_compact(q->engine, &ts->ids[i], &e); break;
		case 2: rc = st_import(q->engine, &ts->ids[i], ts->dir, &n, &e); break;
		case 4: rc = st_snapshot(q->engine, &ts->ids[i], ts->tag, NULL, &e); break;
		case 5: rc = st_refresh_stage(q->engine, &ts->ids[i], NULL, &e); break;
		case 6: rc = st_refresh(q->engine, &ts->ids[i], &n, &e); break;
		case 7:
			if (shard == 0)
				rc = st_refresh_finish(q->engine, &ts->ids[i], &e);
			break;
		case 3:
			st_poll(q->engine);
			if (st_table_stats_get(q->engine, &ts->ids[i], &st, &e) == 0) {
				pthread_mutex_lock(&ts->mu);
				ts->busy += st.memtables_flushing;
				pthread_mutex_unlock(&ts->mu);
			}
			if (ts->wait_compact && i == 0) {
				/* nodetool compact returns once the compaction is done */
				st_compaction_stats cs;
				st_compaction_stats_get(q->engine, &cs);
				pthread_mutex_lock(&ts->mu);
				ts->busy += cs.pending + cs.active;
				pthread_mutex_unlock(&ts->mu);
			}
			break;
		}
		pthread_mutex_lock(&ts->mu);
		if (rc < 0 && !ts->failed) {
			ts->failed = true;
			ts->err = e;
		}
		if ((ts->what == 2 || ts->what == 6) && shard == 0)
			ts->imported += n;
		pthread_mutex_unlock(&ts->mu);
	}
}

/* Flush: freeze on every shard, then wait (off the shards) until written. */
static int cmd_storage(srv_ctx *ctx, const sch_schema *s, int what, int argc, char **argv,
		       hl_buf *out, hl_err *err)
{
	tsel *ts = hl_calloc(1, sizeof *ts);
	pthread_mutex_init(&ts->mu, NULL);
	int rc = -1;
	if (what == 2) {
		if (argc != 3) {
			hl_errf(err, HL_ERR_INVALID, "import requires: <keyspace> <table> <directory>");
			goto out;
		}
		const sch_table *t = sch_find_table(s, argv[0], argv[1]);
		if (!t) {
			hl_errf(err, HL_ERR_INVALID, "Unknown keyspace/table %s.%s", argv[0], argv[1]);
			goto out;
		}
		ts->n = 1;
		ts->ids[0] = t->id;
		ts->dir = argv[2];
	} else if (select_tables(s, argc, argv, ts, err) < 0) {
		goto out;
	}
	ts->what = what;
	run_on_shards(ctx, storage_on_shard, ts);
	if (ts->failed) {
		*err = ts->err;
		goto out;
	}
	if (what == 0 || what == 1) {
		/* nodetool flush returns once the data is in SSTables */
		ts->wait_compact = what == 1;
		for (int tries = 0; tries < 12000; tries++) {
			ts->what = 3;
			ts->busy = 0;
			run_on_shards(ctx, storage_on_shard, ts);
			if (ts->busy == 0)
				break;
			usleep(50000);
		}
	}
	if (what == 2)
		hl_buf_printf(out, "Imported %d SSTable(s) into %s.%s\n", ts->imported, argv[0], argv[1]);
	rc = 0;
out:
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	return rc;
}

/* Block until every shard's flushes are published (nodetool flush's wait). */
static void wait_flushed(srv_ctx *ctx, tsel *ts)
{
	int what = ts->what;
	for (int tries = 0; tries < 12000; tries++) {
		ts->what = 3;
		ts->busy = 0;
		run_on_shards(ctx, storage_on_shard, ts);
		if (ts->busy == 0)
			break;
		usleep(50000);
	}
	ts->what = what;
}

static int run_tables(srv_ctx *ctx, tsel *ts, int what, hl_err *err)
{
	ts->what = what;
	run_on_shards(ctx, storage_on_shard, ts);
	if (ts->failed) {
		*err = ts->err;
		return -1;
	}
	return 0;
}

typedef struct snap_find {
	const char *tag;
	bool found;
} snap_find;

static void snap_found(void *p, const st_snapshot_info *i)
{
	snap_find *f = p;
	if (!strcmp(f->tag, i->tag))
		f->found = true;
}

/* snapshot [-t tag] [ks [table ...]] */
static int cmd_snapshot(srv_ctx *ctx, const sch_schema *s, int argc, char **argv, hl_buf *out,
			hl_err *err)
{
	char deftag[32];
	const char *tag = NULL;
	if (argc >= 2 && !strcmp(argv[0], "-t")) {
		tag = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (!tag) {
		snprintf(deftag, sizeof deftag, "%lld", (long long)(hl_now_micros() / 1000));
		tag = deftag;
	}
	snap_find f = { tag, false };
	st_list_snapshots(ctx->qs[0].engine, snap_found, &f);
	if (f.found)
		return hl_errf(err, HL_ERR_INVALID, "Snapshot %s already exists.", tag);
	tsel *ts = hl_calloc(1, sizeof *ts);
	pthread_mutex_init(&ts->mu, NULL);
	int rc = -1;
	ts->tag = tag;
	if (select_tables(s, argc, argv, ts, err) < 0 || run_tables(ctx, ts, 4, err) < 0)
		goto out;
	/* memtables frozen by the snapshot join it when their flush is published */
	wait_flushed(ctx, ts);
	hl_buf_printf(out, "Requested creating snapshot(s) for [%s] with snapshot name [%s] and "
		      "options {skipFlush=false}\nSnapshot directory: %s\n",
		      argc > 0 ? argv[0] : "all keyspaces", tag, tag);
	rc = 0;
out:
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	return rc;
}

typedef struct snap_rows {
	hl_buf *out;
	int n;
	uint64_t total_true;
} snap_rows;

static void snap_row(void *p, const st_snapshot_info *i)
{
	snap_rows *r = p;
	char ts[32], od[32], when[32];
	time_t sec = (time_t)(i->created_ms / 1000);
	struct tm tm;
	if (r->n++ == 0)
		hl_buf_printf(r->out, "Snapshot Details: \n%-30s %-20s %-20s %-10s %-12s %s\n",
			      "Snapshot name", "Keyspace name", "Column family name", "True size",
			      "Size on disk", "Creation time");
	human(i->true_size, ts, sizeof ts);
	human(i->size_on_disk, od, sizeof od);
	gmtime_r(&sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	hl_buf_printf(r->out, "%-30s %-20s %-20s %-10s %-12s %s\n", i->tag, i->keyspace, i->table,
		      ts, od, when);
	r->total_true += i->true_size;
}

static int cmd_listsnapshots(srv_ctx *ctx, hl_buf *out)
{
	snap_rows r = { out, 0, 0 };
	char tot[32];
	st_list_snapshots(ctx->qs[0].engine, snap_row, &r);
	if (r.n == 0) {
		hl_buf_str(out, "Snapshot Details: \nThere are no snapshots\n");
		return 0;
	}
	human(r.total_true, tot, sizeof tot);
	hl_buf_printf(out, "\nTotal TrueDiskSpaceUsed: %s\n\n", tot);
	return 0;
}

/* clearsnapshot (-t tag | --all) [ks ...] */
static int cmd_clearsnapshot(srv_ctx *ctx, int argc, char **argv, hl_buf *out, hl_err *err)
{
	const char *tag = NULL;
	bool all = false;
	int a = 0, n = 0, total = 0;
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--all"))
			all = true;
		else if (!strcmp(argv[a], "-t") && a + 1 < argc)
			tag = argv[++a];
		else
			return hl_errf(err, HL_ERR_INVALID, "clearsnapshot: unknown option %s", argv[a]);
	}
	if (!tag && !all)
		return hl_errf(err, HL_ERR_INVALID,
			       "Specify snapshot name or --all");
	if (tag && all)
		return hl_errf(err, HL_ERR_INVALID,
			       "Specify only one of snapshot name or --all");
	if (a == argc) {
		if (st_clear_snapshot(ctx->qs[0].engine, tag, NULL, &total, err) < 0)
			return -1;
	}
	for (; a < argc; a++) {
		if (st_clear_snapshot(ctx->qs[0].engine, tag, argv[a], &n, err) < 0)
			return -1;
		total += n;
	}
	hl_buf_printf(out, "Cleared %d snapshot(s)\n", total);
	return 0;
}

/* refresh ks table: three rounds over the shards (see st_refresh_stage) */
static int cmd_refresh(srv_ctx *ctx, const sch_schema *s, int argc, char **argv, hl_buf *out,
		       hl_err *err)
{
	if (argc != 2)
		return hl_errf(err, HL_ERR_INVALID, "refresh requires: <keyspace> <table>");
	const sch_table *t = sch_find_table(s, argv[0], argv[1]);
	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "Unknown keyspace/table %s.%s", argv[0], argv[1]);
	tsel *ts = hl_calloc(1, sizeof *ts);
	pthread_mutex_init(&ts->mu, NULL);
	int rc = -1;
	ts->n = 1;
	ts->ids[0] = t->id;
	if (run_tables(ctx, ts, 5, err) < 0 || run_tables(ctx, ts, 6, err) < 0 ||
	    run_tables(ctx, ts, 7, err) < 0)
		goto out;
	hl_buf_printf(out, "Loaded %d new SSTable(s) into %s.%s\n", ts->imported, argv[0], argv[1]);
	rc = 0;
out:
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	return rc;
}

/* setcompactionthroughput <MiB/s> | getcompactionthroughput | compactionstats */
static int cmd_compaction(srv_ctx *ctx, int what, int argc, char **argv, hl_buf *out,
			  hl_err *err)
{
	tsel *ts = hl_calloc(1, sizeof *ts);
	pthread_mutex_init(&ts->mu, NULL);
	int rc = -1;
	if (what == 8) {
		char *end;
		if (argc != 1 || (ts->mib = strtod(argv[0], &end)) < 0 || *end) {
			hl_errf(err, HL_ERR_INVALID, "setcompactionthroughput requires a value in MiB/s");
			goto out;
		}
	}
	if (what == 10) {
		uint64_t b = st_get_compaction_throughput(ctx->qs[0].engine);
		hl_buf_printf(out, "Current compaction throughput: %.0f MiB/s\n",
			      (double)b / 1048576.0);
		rc = 0;
		goto out;
	}
	if (run_tables(ctx, ts, what, err) < 0)
		goto out;
	if (what == 9) {
		char done[32], total[32], in[32], outb[32];
		human(ts->cs.active_done, done, sizeof done);
		human(ts->cs.active_total, total, sizeof total);
		human(ts->cs.bytes_in, in, sizeof in);
		human(ts->cs.bytes_out, outb, sizeof outb);
		hl_buf_printf(out, "pending tasks: %lld\nactive: %lld (%s of %s)\n"
			      "completed: %lld (%s read, %s written)\n",
			      (long long)ts->cs.pending, (long long)ts->cs.active, done, total,
			      (long long)ts->cs.completed, in, outb);
	}
	rc = 0;
out:
	pthread_mutex_destroy(&ts->mu);
	free(ts);
	return rc;
}

/* nodetool describering: the ring's ranges with their (one) endpoint. */
static int cmd_describering(srv_ctx *ctx, const sch_schema *s, int argc, char **argv, hl_buf *out,
			    hl_err *err)
{
	if (argc < 1)
		return hl_errf(err, HL_ERR_INVALID, "describering requires a keyspace argument");
	const sch_keyspace *k = sch_find_keyspace(s, argv[0]);
	if (!k)
		return hl_errf(err, HL_ERR_INVALID, "The keyspace %s, does not exist", argv[0]);
	char addr[64];
	addr_str(&ctx->node.broadcast_address, addr, sizeof addr);
	hl_buf_printf(out, "Schema Version:%s\nTokenRange: \n", "");
	int n = ctx->node.ntokens;
	for (int i = 0; i < n; i++) {
		int64_t start = ctx->node.tokens[(i + n - 1) % n], end = ctx->node.tokens[i];
		hl_buf_printf(out, "\tTokenRange(start_token:%lld, end_token:%lld, endpoints:[%s], "
			      "rpc_endpoints:[%s], endpoint_details:[EndpointDetails(host:%s, "
			      "datacenter:%s, rack:%s)])\n", (long long)start, (long long)end, addr, addr,
			      addr, ctx->node.data_center, ctx->node.rack);
	}
	return 0;
}

/* nodetool getendpoints ks table key: the replicas of the key's token. */
static int cmd_getendpoints(srv_ctx *ctx, const sch_schema *s, int argc, char **argv, hl_buf *out,
			    hl_err *err)
{
	if (argc != 3)
		return hl_errf(err, HL_ERR_INVALID, "getendpoints requires keyspace, table and key");
	const sch_table *t = sch_find_table(s, argv[0], argv[1]);
	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "Unknown table '%s' in keyspace '%s'", argv[1], argv[0]);
	if (t->npk != 1)
		return hl_errf(err, HL_ERR_INVALID, "getendpoints supports single-column partition keys "
			       "(give the key as its text form)");
	hl_buf v;
	hl_buf_init(&v);
	int rc = ty_from_string(t->pk[0]->type, argv[2], strlen(argv[2]), &v, err);
	hl_buf_free(&v);
	if (rc < 0)
		return -1;
	char addr[64];
	hl_buf_printf(out, "%s\n", addr_str(&ctx->node.broadcast_address, addr, sizeof addr));
	return 0;
}

/* ------------------------------------------------------------ histograms, timeouts */

/* Metrics of every shard merged (metrics_snapshot, in the metrics section). */
typedef struct msnap_job {
	srv_msnap snap;
	pthread_mutex_t mu;
} msnap_job;
static void metrics_snapshot(srv_ctx *ctx, msnap_job *mj);

static const double pcts[5] = { 50, 75, 95, 98, 99 };
static const char *pct_names[7] = { "50%", "75%", "95%", "98%", "99%", "Min", "Max" };

/* Row i (0..6) of nodetool's percentile table: 50/75/95/98/99%, min, max. */
static double pct_row(const hl_hist *h, int i)
{
	if (!h->count)
		return 0;
	if (i < 5)
		return (double)hl_hist_percentile(h, pcts[i]);
	return (double)(i == 5 ? h->min : h->max);
}

static void tablehist_one(hl_buf *out, const sch_table *t, srv_metrics *m)
{
	srv_tmetrics *tm = srv_metrics_table(m, &t->id);
	const hl_hist *ps = tm->h[SRV_H_PSIZE], *cc = tm->h[SRV_H_CELLS];
	hl_buf_printf(out, "%s/%s histograms\n", t->ks, t->name);
	hl_buf_printf(out, "%-10s%10s%18s%18s%18s%18s\n", "Percentile", "SSTables", "Write Latency",
		      "Read Latency", "Partition Size", "Cell Count");
	hl_buf_printf(out, "%-10s%10s%18s%18s%18s%18s\n", "", "", "(micros)", "(micros)", "(bytes)", "");
	for (int i = 0; i < 7; i++) {
		char psz[32], cel[32];
		/* no partition read yet: nothing to estimate from (nodetool's NaN) */
		if (ps->count)
			snprintf(psz, sizeof psz, "%.0f", pct_row(ps, i));
		else
			snprintf(psz, sizeof psz, "NaN");
		if (cc->count)
			snprintf(cel, sizeof cel, "%.0f", pct_row(cc, i));
		else
			snprintf(cel, sizeof cel, "NaN");
		hl_buf_printf(out, "%-10s%10.2f%18.2f%18.2f%18s%18s\n", pct_names[i],
			      pct_row(tm->h[SRV_H_SSTABLES], i), pct_row(tm->h[SRV_H_WRITE], i),
			      pct_row(tm->h[SRV_H_READ], i), psz, cel);
	}
	hl_buf_str(out, "\n");
}

/* nodetool tablehistograms [<keyspace> <table> | <keyspace.table>] */
static int cmd_tablehistograms(srv_ctx *ctx, const sch_schema *s, int argc, char **argv,
			       hl_buf *out, hl_err *err)
{
	char ks[256], tn[256];
	const sch_table *one = NULL;
	if (argc > 2)
		return hl_errf(err, HL_ERR_INVALID,
			       "tablehistograms requires <keyspace> <table> or <keyspace.table> format argument");
	if (argc == 1) {
		const char *dot = strchr(argv[0], '.');
		if (!dot || strchr(dot + 1, '.') || dot == argv[0] || !dot[1])
			return hl_errf(err, HL_ERR_INVALID,
				       "tablehistograms requires keyspace and table name arguments");
		snprintf(ks, sizeof ks, "%.*s", (int)(dot - argv[0]), argv[0]);
		snprintf(tn, sizeof tn, "%s", dot + 1);
	} else if (argc == 2) {
		snprintf(ks, sizeof ks, "%s", argv[0]);
		snprintf(tn, sizeof tn, "%s", argv[1]);
	}
	if (argc > 0) {
		if (!sch_find_keyspace(s, ks))
			return hl_errf(err, HL_ERR_INVALID, "Keyspace [%s] does not exist.", ks);
		one = sch_find_table(s, ks, tn);
		if (!one)
			return hl_errf(err, HL_ERR_INVALID, "Table [%s] does not exist in keyspace [%s].",
				       tn, ks);
	}
	msnap_job *mj = hl_malloc(sizeof *mj);
	metrics_snapshot(ctx, mj);
	srv_metrics *m = &mj->snap.m;
	if (one) {
		tablehist_one(out, one, m);
	} else {
		for (int k = 0; k < sch_nkeyspaces(s); k++) {
			const sch_keyspace *kd = sch_keyspace_at(s, k);
			for (int i = 0; i < kd->ntables; i++)
				tablehist_one(out, kd->tables[i], m);
		}
	}
	srv_metrics_free(m);
	free(mj);
	return 0;
}

/* nodetool proxyhistograms: coordinator latencies by operation. */
static int cmd_proxyhistograms(srv_ctx *ctx, hl_buf *out)
{
	msnap_job *mj = hl_malloc(sizeof *mj);
	metrics_snapshot(ctx, mj);
	srv_metrics *m = &mj->snap.m;
	hl_buf_str(out, "proxy histograms\n");
	hl_buf_printf(out, "%-10s%19s%19s%19s%19s%19s%19s\n", "Percentile", "Read Latency",
		      "Write Latency", "Range Latency", "CAS Read Latency", "CAS Write Latency",
		      "View Write Latency");
	hl_buf_printf(out, "%-10s%19s%19s%19s%19s%19s%19s\n", "", "(micros)", "(micros)", "(micros)",
		      "(micros)", "(micros)", "(micros)");
	for (int i = 0; i < 7; i++)
		hl_buf_printf(out, "%-10s%19.2f%19.2f%19.2f%19.2f%19.2f%19.2f\n", pct_names[i],
			      pct_row(m->proxy[SRV_P_READ], i), pct_row(m->proxy[SRV_P_WRITE], i),
			      pct_row(m->proxy[SRV_P_RANGE], i), pct_row(m->proxy[SRV_P_CAS_READ], i),
			      pct_row(m->proxy[SRV_P_CAS_WRITE], i), 0.0);
	hl_buf_str(out, "\n");
	srv_metrics_free(m);
	free(mj);
	return 0;
}

static const char *timeout_names[SRV_NTIMEOUTS] = {
	[SRV_T_READ] = "read", [SRV_T_RANGE] = "range", [SRV_T_WRITE] = "write",
	[SRV_T_COUNTERWRITE] = "counterwrite", [SRV_T_CASCONTENTION] = "cascontention",
	[SRV_T_TRUNCATE] = "truncate", [SRV_T_MISC] = "misc",
};
#define TIMEOUT_TYPES "read, range, write, counterwrite, cascontention, truncate, misc (general rpc_timeout_in_ms)"

static int timeout_type(const char *name, hl_err *err)
{
	for (int i = 0; i < SRV_NTIMEOUTS; i++)
		if (!strcmp(name, timeout_names[i]))
			return i;
	return hl_errf(err, HL_ERR_INVALID, "Unknown timeout type: %s (one of " TIMEOUT_TYPES ")",
		       name);
}

/* nodetool gettimeout <type> / settimeout <type> <ms>: node-wide values. */
static int cmd_timeout(srv_ctx *ctx, bool set, int argc, char **argv, hl_buf *out, hl_err *err)
{
	if (!set && argc != 1)
		return hl_errf(err, HL_ERR_INVALID, "gettimeout requires a timeout type, one of ("
			       TIMEOUT_TYPES ")");
	if (set && argc != 2)
		return hl_errf(err, HL_ERR_INVALID, "Timeout type followed by value in ms "
			       "(0 disables socket streaming timeout). Type should be one of ("
			       TIMEOUT_TYPES ")");
	int t = timeout_type(argv[0], err);
	if (t < 0)
		return -1;
	if (!set) {
		hl_buf_printf(out, "Current timeout for type %s: %lld ms\n", argv[0],
			      (long long)atomic_load(&ctx->timeouts_ms[t]));
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(argv[1], &end, 10);
	if (end == argv[1] || *end || errno)
		return hl_errf(err, HL_ERR_INVALID, "settimeout: '%s' is not a number of milliseconds",
			       argv[1]);
	if (v < 0)
		return hl_errf(err, HL_ERR_INVALID, "timeout must be non-negative");
	atomic_store(&ctx->timeouts_ms[t], (int64_t)v);
	return 0;
}

/* ---- tracing: nodetool settraceprobability / gettraceprobability ---- */

static int cmd_settraceprobability(srv_ctx *ctx, int argc, char **argv, hl_err *err)
{
	char *end;
	double p;

	if (argc != 1)
		return hl_errf(err, HL_ERR_INVALID, "settraceprobability requires a value between 0 and 1");
	p = strtod(argv[0], &end);
	if (end == argv[0] || *end)
		return hl_errf(err, HL_ERR_INVALID, "settraceprobability requires a value between 0 and 1");
	return srv_trace_set_probability(ctx, p, err);
}

static void cmd_gettraceprobability(srv_ctx *ctx, hl_buf *out)
{
	hl_buf_str(out, "Current trace probability: ");
	hl_buf_java_double(out, srv_trace_get_probability(ctx), false);
	hl_buf_str(out, "\n");
}

static const char *help_text =
	"usage: helenus admin [-h HOST] [-p PORT] <command> [args]\n"
	"\n"
	"commands:\n"
	"  status                   the node's state, load, tokens and host id\n"
	"  info [-T|--tokens]       node information\n"
	"  ring                     the token ring\n"
	"  describecluster          cluster name, partitioner, schema versions\n"
	"  tablestats [ks[.table]]  per-table statistics\n"
	"  flush [ks [table ...]]   write memtables to SSTables\n"
	"  compact [ks [table ...]] major compaction\n"
	"  import ks table dir      load the SSTables found in dir (nodetool import)\n"
	"  snapshot [-t tag] [ks [table ...]]  hard-link SSTables into snapshots/<tag>\n"
	"  listsnapshots            snapshots with their sizes\n"
	"  clearsnapshot (-t tag | --all) [ks ...]  delete snapshots\n"
	"  refresh ks table         load SSTables put into the table's directory\n"
	"  setcompactionthroughput MiB  compaction throttle (0 = unthrottled)\n"
	"  getcompactionthroughput  the current compaction throttle\n"
	"  compactionstats          pending, running and completed compactions\n"
	"  version                  the release version\n"
	"  describering ks          token ranges and their endpoints\n"
	"  getendpoints ks t key    the nodes holding a partition\n"
	"  drain                    flush every table (before stopping the node)\n"
	"  tablehistograms [ks table | ks.table]  per-table latency and size percentiles\n"
	"  proxyhistograms          coordinator latency percentiles by operation\n"
	"  gettimeout type          a request timeout in ms (read, range, write, counterwrite,\n"
	"                           cascontention, truncate, misc)\n"
	"  settimeout type ms       set a request timeout (node-wide, until restart)\n"
	"  settraceprobability p    trace that fraction (0..1) of the requests\n"
	"  gettraceprobability      the current trace probability\n"
	"  help                     this text\n";

static int execute(srv_ctx *ctx, int argc, char **argv, hl_buf *out, hl_err *err)
{
	if (argc < 1)
		return hl_errf(err, HL_ERR_INVALID, "no command given");
	const char *c = argv[0];
	sch_schema *s = sch_acquire(ctx->reg);
	int rc = 0;
	if (!strcmp(c, "status"))
		rc = cmd_status(ctx, s, out);
	else if (!strcmp(c, "info"))
		rc = cmd_info(ctx, s, argc > 1 && (!strcmp(argv[1], "-T") || !strcmp(argv[1], "--tokens")),
			      out);
	else if (!strcmp(c, "ring"))
		rc = cmd_ring(ctx, s, out);
	else if (!strcmp(c, "describecluster"))
		rc = cmd_describecluster(ctx, s, out);
	else if (!strcmp(c, "tablestats") || !strcmp(c, "cfstats"))
		rc = cmd_tablestats(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "flush"))
		rc = cmd_storage(ctx, s, 0, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "compact"))
		rc = cmd_storage(ctx, s, 1, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "import"))
		rc = cmd_storage(ctx, s, 2, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "snapshot"))
		rc = cmd_snapshot(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "listsnapshots"))
		rc = cmd_listsnapshots(ctx, out);
	else if (!strcmp(c, "clearsnapshot"))
		rc = cmd_clearsnapshot(ctx, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "refresh"))
		rc = cmd_refresh(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "setcompactionthroughput"))
		rc = cmd_compaction(ctx, 8, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "getcompactionthroughput"))
		rc = cmd_compaction(ctx, 10, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "compactionstats"))
		rc = cmd_compaction(ctx, 9, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "describering"))
		rc = cmd_describering(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "getendpoints"))
		rc = cmd_getendpoints(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "drain"))
		rc = cmd_storage(ctx, s, 0, 0, NULL, out, err);
	/* metrics and timeouts (issue 5) */
	else if (!strcmp(c, "tablehistograms") || !strcmp(c, "cfhistograms"))
		rc = cmd_tablehistograms(ctx, s, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "proxyhistograms"))
		rc = cmd_proxyhistograms(ctx, out);
	else if (!strcmp(c, "gettimeout"))
		rc = cmd_timeout(ctx, false, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "settimeout"))
		rc = cmd_timeout(ctx, true, argc - 1, argv + 1, out, err);
	else if (!strcmp(c, "settraceprobability"))
		rc = cmd_settraceprobability(ctx, argc - 1, argv + 1, err);
	else if (!strcmp(c, "gettraceprobability"))
		cmd_gettraceprobability(ctx, out);
	else if (!strcmp(c, "version"))
		hl_buf_printf(out, "ReleaseVersion: %s\n", ctx->node.release_version);
	else if (!strcmp(c, "help"))
		hl_buf_str(out, help_text);
	else
		rc = hl_errf(err, HL_ERR_INVALID, "unknown command '%s' (helenus admin help lists them)", c);
	sch_release(s);
	return rc;
}

/* ------------------------------------------------------------ metrics */


/* On each shard: add its metrics, compactions and commit log to the snapshot. */
static void msnap_on_shard(job *j, qry_shard *q, int shard)
{
	msnap_job *mj = j->arg;
	st_compaction_stats cs;
	cl_stats cl;
	memset(&cl, 0, sizeof cl);
	st_poll(q->engine);
	st_compaction_stats_get(q->engine, &cs);
	if (q->log)
		cl_stats_get(q->log, &cl);
	pthread_mutex_lock(&mj->mu);
	srv_metrics_merge(&mj->snap.m, &j->ctx->metrics[shard]);
	mj->snap.cs.pending += cs.pending;
	mj->snap.cs.completed += cs.completed;
	mj->snap.cs.bytes_in += cs.bytes_in;
	mj->snap.cs.bytes_out += cs.bytes_out;
	mj->snap.cs.flushes += cs.flushes;
	mj->snap.cl.pending_bytes += cl.pending_bytes;
	mj->snap.cl.syncs += cl.syncs;
	mj->snap.cl.segments += cl.segments;
	mj->snap.cl.size_bytes += cl.size_bytes;
	pthread_mutex_unlock(&mj->mu);
}

/* Every shard's metrics merged (caller: srv_metrics_free(&mj->snap.m)). */
static void metrics_snapshot(srv_ctx *ctx, msnap_job *mj)
{
	memset(mj, 0, sizeof *mj);
	srv_metrics_init(&mj->snap.m);
	pthread_mutex_init(&mj->mu, NULL);
	run_on_shards(ctx, msnap_on_shard, mj);
	pthread_mutex_destroy(&mj->mu);
}

static void metrics(srv_ctx *ctx, hl_buf *out)
{
	sch_schema *s = sch_acquire(ctx->reg);
	tstats ts;
	collect_stats(ctx, s, 0, NULL, &ts);
	msnap_job *mj = hl_malloc(sizeof *mj);
	metrics_snapshot(ctx, mj);
	mj->snap.ntables = ts.n;
	mj->snap.t = ts.t;
	srv_metrics_render(ctx, s, &mj->snap, out);
	srv_metrics_free(&mj->snap.m);
	free(mj);
	free(ts.t);
	pthread_mutex_destroy(&ts.mu);
	sch_release(s);
}

/* ------------------------------------------------------------ HTTP */

static void write_full(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		b += w;
		n -= (size_t)w;
	}
}

/* Read until the end of the head, or of the body; a silent client times out. */
static ssize_t read_some(int fd, void *p, size_t n)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	if (poll(&pf, 1, 5000) <= 0)
		return -1;
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static void respond(int fd, int code, const char *ctype, const hl_buf *body)
{
	const char *reason = code == 200 ? "OK" : code == 400 ? "Bad Request" :
			     code == 404 ? "Not Found" : code == 405 ? "Method Not Allowed" :
			     code == 413 ? "Payload Too Large" : "Error";
	char head[256];
	int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", code, reason, ctype,
			 body->len);
	write_full(fd, head, (size_t)n);
	write_full(fd, body->p, body->len);
}

static void respond_json(int fd, int code, bool ok, const char *key, const char *text, size_t len)
{
	hl_buf b;
	hl_buf_init(&b);
	hl_buf_printf(&b, "{\"ok\": %s, \"%s\": ", ok ? "true" : "false", key);
	hl_json_string(&b, text, len);
	hl_buf_str(&b, "}\n");
	respond(fd, code, "application/json", &b);
	hl_buf_free(&b);
}

#define MAX_HEAD 16384
#define MAX_BODY (1 << 20)

static void serve(srv_admin *a, int fd)
{
	hl_buf in, out;
	hl_buf_init(&in);
	hl_buf_init(&out);
	hl_arena *ar = hl_arena_new(4096);
	size_t head_end = 0;
	char tmp[4096];
	/* the head */
	for (;;) {
		if (in.len) {
			const uint8_t *e = memmem(in.p, in.len, "\r\n\r\n", 4);
			if (e) {
				head_end = (size_t)(e - in.p) + 4;
				break;
			}
		}
		if (in.len > MAX_HEAD)
			goto bad;
		ssize_t r = read_some(fd, tmp, sizeof tmp);
		if (r <= 0)
			goto done;
		hl_buf_put(&in, tmp, (size_t)r);
	}
	char method[8] = "", path[256] = "";
	/* sscanf reads a C string: terminate the bytes read (not counted in len) */
	hl_buf_u8(&in, 0);
	in.len--;
	if (sscanf((const char *)in.p, "%7s %255s HTTP/1.", method, path) != 2)
		goto bad;
	size_t clen = 0;
	const char *h = (const char *)in.p;
	for (size_t i = 0; i + 15 < head_end; i++) {
		if ((i == 0 || h[i - 1] == '\n') && strncasecmp(h + i, "content-length:", 15) == 0) {
			clen = strtoul(h + i + 15, NULL, 10);
			break;
		}
	}
	if (clen > MAX_BODY) {
		hl_buf_str(&out, "request body too large");
		respond_json(fd, 413, false, "error", (const char *)out.p, out.len);
		goto done;
	}
	while (in.len < head_end + clen) {
		ssize_t r = read_some(fd, tmp, sizeof tmp);
		if (r <= 0)
			goto done;
		hl_buf_put(&in, tmp, (size_t)r);
	}
	const char *body = (const char *)in.p + head_end;
	if (!strcmp(path, "/metrics")) {
		if (strcmp(method, "GET")) {
			respond_json(fd, 405, false, "error", "use GET", 7);
			goto done;
		}
		metrics(a->ctx, &out);
		respond(fd, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
		goto done;
	}
	if (!strcmp(path, "/v1/command")) {
		if (strcmp(method, "POST")) {
			respond_json(fd, 405, false, "error", "use POST", 8);
			goto done;
		}
		char **argv;
		int argc;
		if (hl_json_get_strings(body, clen, "args", ar, &argv, &argc) < 0 || argc > MAX_ARGS) {
			const char *m = "the body must be a JSON object with \"args\": an array of strings";
			respond_json(fd, 400, false, "error", m, strlen(m));
			goto done;
		}
		hl_err err;
		hl_err_clear(&err);
		if (execute(a->ctx, argc, argv, &out, &err) == 0)
			respond_json(fd, 200, true, "output", out.p ? (const char *)out.p : "", out.len);
		else
			respond_json(fd, 400, false, "error", err.msg, strlen(err.msg));
		goto done;
	}
	respond_json(fd, 404, false, "error", "no such endpoint", 16);
	goto done;
bad:
	respond_json(fd, 400, false, "error", "malformed HTTP request", 22);
done:
	hl_arena_free(ar);
	hl_buf_free(&in);
	hl_buf_free(&out);
}

static void *admin_main(void *p)
{
	srv_admin *a = p;
	for (;;) {
		struct pollfd pf[2] = { { a->fd, POLLIN, 0 }, { a->stop[0], POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		int fd = accept(a->fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(a, fd);
		close(fd);
	}
	return NULL;
}

int srv_admin_start(srv_ctx *ctx, srv_admin **out, hl_err *err)
{
	const cfg *c = ctx->cfg;
	*out = NULL;
	srv_admin *a = hl_calloc(1, sizeof *a);
	a->ctx = ctx;
	a->fd = -1;
	a->stop[0] = a->stop[1] = -1;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	const char *host = c->rpc_address ? c->rpc_address : "127.0.0.1";
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->admin_port);
		sl = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->admin_port);
		sl = sizeof *s6;
	} else {
		free(a);
		return hl_errf(err, HL_ERR_CONFIG, "admin: cannot listen on '%s'", host);
	}
	int one = 1;
	a->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(a->fd, (struct sockaddr *)&ss, sl) < 0 || listen(a->fd, 16) < 0) {
		hl_errf(err, HL_ERR_SERVER, "admin: cannot listen on %s:%d: %s (set admin_port or "
			"--admin-port)", host, c->admin_port, strerror(errno));
		goto fail;
	}
	if (getsockname(a->fd, (struct sockaddr *)&ss, &sl) == 0) {
		int port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
		fprintf(stderr, "admin listening on %s:%d\n", host, port);
	}
	if (pipe2(a->stop, O_CLOEXEC) < 0) {
		hl_errf(err, HL_ERR_SERVER, "admin: pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&a->thread, NULL, admin_main, a) != 0) {
		hl_errf(err, HL_ERR_SERVER, "admin: cannot start its thread");
		goto fail;
	}
	a->running = true;
	*out = a;
	return 0;
fail:
	if (a->fd >= 0)
		close(a->fd);
	if (a->stop[0] >= 0) {
		close(a->stop[0]);
		close(a->stop[1]);
	}
	free(a);
	return -1;
}

void srv_admin_stop(srv_admin *a)
{
	if (!a)
		return;
	if (a->running) {
		char b = 1;
		write_full(a->stop[1], &b, 1);
		pthread_join(a->thread, NULL);
	}
	close(a->fd);
	close(a->stop[0]);
	close(a->stop[1]);
	free(a);
}
