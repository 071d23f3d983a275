/*
 * storage/bg.c: background work of a durable engine -- memtable flushes
 * and compactions (which files: strategy.c) -- and their hand-back to the
 * shard. A compaction may split its output (leveled files of a target
 * size), is throttled to compaction_throughput, and counts what it did for
 * compactionstats; a flush may also link its output into backups/
 * (incremental_backups) and into snapshots taken while it ran
 * (snapshot.c).
 *
 * Threads: each engine has two helper threads, started on first use: a
 * flusher and a compactor, so a long compaction never delays a flush. The
 * shard thread queues jobs; a helper takes one, does all of its disk work
 * (writing the SSTable, opening a reader on it) without any lock, then puts
 * the job on the done list and calls opts.notify. The shard calls st_poll,
 * which publishes results: new SSTables become visible, flushed memtables
 * are freed and reported through opts.on_flushed, compacted inputs are
 * deleted. The shard thread never waits for a helper (except
 * st_wait_idle and st_engine_free, which are meant to block).
 *
 * What a helper touches: a flush job reads its frozen memtable's records
 * (never modified after the freeze; the shard only reads them too) and
 * owns deep copies of the layout and column schema, since the shard may
 * ALTER or drop the table meanwhile. A compaction opens its own readers on
 * its input files. Everything else is in the job, owned by whoever holds
 * it. The only shared state is the queues, the done list and the cancel
 * flags, under e->mu.
 *
 * Flush order and the commit log: frozen memtables stay in t->frozen in
 * freeze order. A finished one is marked flushed (its memory freed) and
 * removed only once every older one is flushed too; the position reported
 * to on_flushed is the newest removed, so the caller may always discard
 * the reported prefix of the log, even when a failed flush is retried
 * after newer ones succeeded.
 */
#include "storage/st_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *worker_main(void *arg);

void st__bg_init(st_engine *e)
{
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	pthread_cond_init(&e->done_cv, NULL);
	e->flusher.e = e;
	e->compactor.e = e;
}

static void start_worker(st_worker *w)
{
	if (w->started)
		return;
	if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
		/* Without a thread nothing is flushed: memory keeps growing, as
		 * before durability existed, but no data is lost. */
		hl_error("storage: cannot start a flush/compaction thread");
		return;
	}
	w->started = true;
}

static void job_free(st_job *j)
{
	for (int i = 0; i < j->nouts; i++)
		if (j->outs[i].r)
			sst_close(j->outs[i].r);
	for (int i = 0; i < j->nsnaps; i++)
		free(j->snaps[i]);
	free(j->snaps);
	free(j->table_dir);
	hl_arena_free(j->a);
	free(j);
}

static void unlink_outs(st_job *j)
{
	for (int i = 0; i < j->nouts; i++)
		st__sst_unlink(j->dir, j->outs[i].base);
}

/*
 * A snapshot-bound output (its table was truncated or dropped): link it
 * into every snapshot that wants it, then take it out of the table
 * directory, where it must not come back as live data on restart. A job
 * redirected before it ran wrote straight into its snapshot (j->dir).
 */
void st__snap_deliver(st_job *j)
{
	bool in_table = j->table_dir && strcmp(j->dir, j->table_dir) == 0;

	for (int i = 0; i < j->nouts; i++)
		for (int k = 0; k < j->nsnaps; k++) {
			hl_err err;

			if (strcmp(j->snaps[k], j->dir) != 0 &&
			    st__sst_link(j->dir, j->outs[i].base, j->snaps[k], &err))
				hl_error("storage: snapshot %s: %s", j->snaps[k], err.msg);
		}
	for (int k = 0; k < j->nsnaps; k++)
		st__snap_manifest(j->snaps[k]);
	if (in_table)
		unlink_outs(j);
}

static void remove_orphan(st_engine *e, st_memtable *mt)
{
	for (st_memtable **pp = &e->orphans; *pp; pp = &(*pp)->next)
		if (*pp == mt) {
			*pp = mt->next;
			st__memtable_free(mt);
			return;
		}
}

void st__bg_stop(st_engine *e)
{
	st_job *lists[3];

	pthread_mutex_lock(&e->mu);
	/* atomic: a throttled compaction polls it while sleeping */
	__atomic_store_n(&e->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->flusher.started)
		pthread_join(e->flusher.th, NULL);
	if (e->compactor.started)
		pthread_join(e->compactor.th, NULL);
	lists[0] = e->flusher.head;
	lists[1] = e->compactor.head;
	lists[2] = e->done;
	for (int i = 0; i < 3; i++)
		while (lists[i]) {
			st_job *n = lists[i]->next;

			/* A finished but unpublished output is a complete SSTable:
			 * keep it (its data is also in the commit log; loading both
			 * after a restart is harmless) unless its table is gone.
			 * Snapshot-bound ones go to their snapshots (a queued one
			 * never ran: its memtable is missing from the snapshot). */
			if (lists[i]->snap_only)
				st__snap_deliver(lists[i]);
			else if (lists[i]->cancel)
				unlink_outs(lists[i]);
			job_free(lists[i]);
			lists[i] = n;
		}
	e->flusher.head = e->compactor.head = e->done = NULL;
	while (e->orphans) {
		st_memtable *n = e->orphans->next;

		st__memtable_free(e->orphans);
		e->orphans = n;
	}
	pthread_cond_destroy(&e->cv);
	pthread_cond_destroy(&e->done_cv);
	pthread_mutex_destroy(&e->mu);
}

static st_job *job_new(st_engine *e, st_table *t, int kind)
{
	st_job *j = hl_calloc(1, sizeof(*j));

	j->kind = kind;
	j->a = hl_arena_new(8192);
	j->table = t->layout.id;
	j->epoch = t->epoch;
	j->dir = hl_arena_strdup(j->a, t->dir);
	j->table_dir = hl_strdup(t->dir);
	j->gen = st__next_gen(e, t);
	j->ngens = 1;
	j->gens = hl_arena_alloc(j->a, sizeof(int64_t));
	j->gens[0] = j->gen;
	j->has_range = e->opts.has_range;
	j->own_start = e->opts.own_start;
	j->own_end = e->opts.own_end;
	j->has_host_id = e->opts.has_host_id;
	j->host_id = e->opts.host_id;
	j->large_partition_bytes = e->opts.large_partition_bytes;
	j->partition_size_warn = e->opts.partition_size_warn;
	j->partition_size_fail = e->opts.partition_size_fail;
	st__copy_schema(j->a, &t->ssch, &j->ssch);
	st__copy_layout(j->a, &t->layout, &j->layout);
	j->layout.keyspace = hl_arena_strdup(j->a, t->ks);
	j->layout.table = hl_arena_strdup(j->a, t->name);
	return j;
}

static void enqueue(st_engine *e, st_worker *w, st_job *j)
{
	start_worker(w);
	pthread_mutex_lock(&e->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	e->pending++;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* ------------------------------------------------------------ writing */

/*
 * The one place that knows the SSTable writer. Partitions arrive in
 * (token, key) order. The writer refuses data for columns its schema does
 * not list, so cells of dropped columns (dead forever: a dropped column's
 * slot is never reused) are stripped first.
 */
typedef struct out_file {
	const st_job *j;               /* for the large-partition warning */
	sst_writer *w;
	bool *keep;                    /* per column index: in the file */
	int ncols;
	int64_t parts;                 /* in the current output */
	int64_t gen;
	int64_t first_tok, last_tok;
} out_file;

static int out_open(st_job *j, out_file *o, const sst_enc_stats *enc, int64_t gen, hl_err *err)
{
	const st_table_layout *l = &j->layout;
	sst_write_col *cols = hl_arena_zalloc(j->a, sizeof(*cols) * (size_t)(j->ssch.ncols + 1));
	sst_write_schema ws = { 0 };
	sst_write_opts wo = { 0 };
	int n = 0;

	memset(o, 0, sizeof(*o));
	o->gen = gen;
	o->ncols = l->ncols;
	o->keep = hl_arena_zalloc(j->a, (size_t)(l->ncols + 1));
	for (int i = 0; i < l->ncols; i++)
		if (!l->cols[i].dropped && (!l->cols[i].name || !l->cols[i].type))
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: column %d of %s.%s has no name or type", i,
				       l->keyspace, l->table);
	for (int i = 0; i < j->ssch.ncols; i++) {
		const sst_column *c = &j->ssch.cols[i];

		if (c->index < 0 || c->index >= l->ncols || l->cols[c->index].dropped)
			continue;
		cols[n].name = c->name;
		cols[n].index = c->index;
		cols[n].is_static = c->is_static;
		cols[n].type = c->type;
		o->keep[c->index] = true;
		n++;
	}
	ws.nkey = l->npk;
	ws.key_types = l->pk_types;
	ws.nclust = l->nclust;
	ws.clust = l->clust;
	ws.ncols = n;
	ws.cols = cols;
	/* the table's own compression and bloom filter options */
	switch (l->compressor) {
	case ST_COMPRESS_NONE: wo.compressor = SST_COMPRESS_NONE; break;
	case ST_COMPRESS_SNAPPY: wo.compressor = SST_COMPRESS_SNAPPY; break;
	case ST_COMPRESS_DEFLATE: wo.compressor = SST_COMPRESS_DEFLATE; break;
	case ST_COMPRESS_ZSTD: wo.compressor = SST_COMPRESS_ZSTD; break;
	default: wo.compressor = SST_COMPRESS_LZ4; break;
	}
	wo.chunk_length = l->chunk_length;
	wo.bloom_fp_chance = l->bloom_fp_chance;
	wo.enc = enc;
	wo.has_host_id = j->has_host_id;
	wo.host_id = j->host_id;
	wo.sstable_level = j->out_level;
	o->j = j;
	return sst_writer_open(j->dir, gen, &ws, &wo, &o->w, err);
}

static void strip_row(const out_file *o, st_mrow *r)
{
	st_cell **cp = &r->cells;
	st_complex_del **dp = &r->cdels;

	r->cells_tail = NULL;
	while (*cp) {
		if ((*cp)->col >= 0 && (*cp)->col < o->ncols && o->keep[(*cp)->col]) {
			r->cells_tail = *cp;
			cp = &(*cp)->next;
		} else {
			*cp = (*cp)->next;
			r->ncells--;
		}
	}
	while (*dp) {
		if ((*dp)->col >= 0 && (*dp)->col < o->ncols && o->keep[(*dp)->col])
			dp = &(*dp)->next;
		else
			*dp = (*dp)->next;
	}
}

static int out_add(out_file *o, st_mutation *m, hl_err *err)
{
	if (m->static_row)
		strip_row(o, m->static_row);
	for (st_mrow *r = m->rows; r; r = r->next)
		strip_row(o, r);
	if (o->parts == 0)
		o->first_tok = m->token;
	o->last_tok = m->token;
	o->parts++;
	uint64_t before = sst_writer_data_size(o->w);
	if (sst_writer_add(o->w, m, err))
		return -1;
	if (o->j)
		st__large_partition_check(o->j, o->gen, m,
					  sst_writer_data_size(o->w) - before);
	return 0;
}

static int out_finish(out_file *o, hl_err *err)
{
	sst_writer *w = o->w;

	o->w = NULL;
	return sst_writer_finish(w, err);
}

static void out_abort(out_file *o)
{
	sst_writer_abort(o->w);
	o->w = NULL;
}

static bool job_owned(const st_job *j, int64_t token)
{
	return !j->has_range || (token >= j->own_start && token <= j->own_end);
}

static bool cancelled(st_job *j)
{
	return __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
}

/* After a successful finish: the output's name, span and a reader on it,
 * opened here so the shard does not read Index.db / Filter.db on its loop.
 * Recorded before the open so a failure still removes the files. */
static int open_output(st_job *j, const out_file *o, hl_err *err)
{
	st_out *out;

	if (!j->outs)
		j->outs = hl_arena_zalloc(j->a, sizeof(*j->outs) * (size_t)j->ngens);
	out = &j->outs[j->nouts++];
	out->gen = o->gen;
	out->base = hl_arena_printf(j->a, "nb-%lld-big", (long long)o->gen);
	out->has_span = true;
	out->first_tok = o->first_tok;
	out->last_tok = o->last_tok;
	return sst_open(j->dir, out->base, &j->ssch, NULL, &out->r, err);
}

/* incremental_backups: hard links cost nothing and keep every flushed
 * SSTable after compaction deletes it. A failure is logged, not fatal:
 * the flush itself succeeded. */
static void backup_output(st_job *j)
{
	char *bdir = hl_arena_printf(j->a, "%s/backups", j->dir);
	hl_err err;

	for (int i = 0; i < j->nouts; i++)
		if (st__mkdir_p(bdir, &err) || st__sst_link(j->dir, j->outs[i].base, bdir, &err))
			hl_error("storage: incremental backup of %s/%s: %s", j->dir,
				 j->outs[i].base, err.msg);
}

/*
 * Two passes over the frozen memtable: the first folds every partition
 * into the EncodingStats the SerializationHeader needs before the first
 * byte of Data.db (the smallest deltas, and what Cassandra writes); the
 * second writes.
 */
static void run_flush(st_job *j)
{
	hl_arena *scratch = hl_arena_new(64 * 1024);
	sst_enc_stats enc;
	out_file o = { 0 };

	j->status = -1;
	sst_enc_stats_init(&enc);
	for (st_sl_node *n = st_sl_first(&j->mt->parts); n; n = n->next[0]) {
		if (st__part_empty(n->item))
			continue;
		sst_enc_stats_add(&enc, st__mt_export(n->item, j->layout.nclust, scratch));
		hl_arena_reset(scratch);
		o.parts++;
	}
	__atomic_store_n(&j->flush_total, (uint64_t)o.parts, __ATOMIC_RELAXED);
	if (o.parts == 0) {
		j->status = 0;
		goto exit;
	}
	if (out_open(j, &o, &enc, j->gen, &j->err))
		goto exit;
	for (st_sl_node *n = st_sl_first(&j->mt->parts); n; n = n->next[0]) {
		const mt_part *p = n->item;

		if (cancelled(j))
			goto exit;
		if (st__part_empty(p))
			continue;
		if (out_add(&o, st__mt_export(p, j->layout.nclust, scratch), &j->err))
			goto exit;
		hl_arena_reset(scratch);
		__atomic_add_fetch(&j->flush_done, (uint64_t)1, __ATOMIC_RELAXED);
	}
	if (out_finish(&o, &j->err) || open_output(j, &o, &j->err))
		goto exit;
	if (j->backup)
		backup_output(j);
	j->status = 0;
exit:
	out_abort(&o);
	hl_arena_free(scratch);
}

/* ------------------------------------------------------------ compaction */

typedef struct cin {
	sst_reader *r;
	hl_arena *a;
	st_mutation *cur;
	uint64_t bytes;                /* Data.db length */
	int64_t entries;               /* partitions in the file (Index.db) */
	int64_t consumed;              /* partitions read so far */
} cin;

static int cin_next(st_job *j, cin *c, hl_err *err)
{
	for (;;) {
		int rc;

		hl_arena_reset(c->a);
		c->cur = NULL;
		rc = sst_next_partition(c->r, c->a, &c->cur, err);
		if (rc <= 0) {
			c->cur = NULL;
			return rc;
		}
		c->consumed++;
		/* Partitions of other shards (imported files) are not ours to keep. */
		if (job_owned(j, c->cur->token))
			return 0;
	}
}

/* Input bytes read so far, estimated from the partitions consumed (the
 * reader does not expose its position): what throttling and
 * compactionstats count. */
static uint64_t cin_progress(const cin *in, int n)
{
	uint64_t done = 0;

	for (int i = 0; i < n; i++) {
		int64_t e = in[i].entries > 0 ? in[i].entries : 1;
		int64_t c = in[i].consumed < e ? in[i].consumed : e;

		done += (uint64_t)((double)in[i].bytes * (double)c / (double)e);
	}
	return done;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * compaction_throughput: each byte read books 1/rate seconds; when the
 * booked time runs ahead of the clock the thread sleeps it off, in short
 * naps so a stop or cancel is seen quickly. Unused time is not banked
 * (the booking restarts at now), so a burst after a pause is still capped.
 * The rate is re-read every time: setcompactionthroughput applies at once.
 */
typedef struct throttle {
	int64_t next_ns;
	uint64_t last;
} throttle;

static void throttle_step(st_engine *e, st_job *j, throttle *th, uint64_t done)
{
	uint64_t rate = __atomic_load_n(&e->throughput, __ATOMIC_RELAXED);
	uint64_t delta = done - th->last;
	int64_t now;

	th->last = done;
	if (rate == 0 || delta == 0)
		return;
	now = mono_ns();
	if (th->next_ns < now)
		th->next_ns = now;
	th->next_ns += (int64_t)((double)delta * 1e9 / (double)rate);
	while (now < th->next_ns && !cancelled(j) && !__atomic_load_n(&e->stop, __ATOMIC_RELAXED)) {
		int64_t ns = th->next_ns - now;
		struct timespec ts;

		if (ns > 50000000)
			ns = 50000000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)ns;
		nanosleep(&ts, NULL);
		now = mono_ns();
	}
}

static int cmp_mut(const st_mutation *a, const st_mutation *b)
{
	if (a->token != b->token)
		return a->token < b->token ? -1 : 1;
	return st__cmp_bytes(a->key, a->keylen, b->key, b->keylen);
}

/*
 * What compaction drops from a merged partition, as Cassandra's purging
 * iterator does:
 *  - data shadowed by the partition deletion or a covering range tombstone
 *    (always safe; row and collection deletions already dropped what they
 *    shadow when the versions were merged);
 *  - expired cells become tombstones written at their write time
 *    (expiration - ttl), so they keep shadowing older data until purged;
 *  - when j->purge (every SSTable of the table is an input, so no other
 *    file can hold data a tombstone shadows), tombstones whose local
 *    deletion time is before gc_before (now - gc_grace_seconds) and whose
 *    timestamp is below every memtable's data, and expired row markers
 *    alike, are dropped.
 * Returns whether anything is left to write.
 */
static bool purgeable(const st_job *j, int64_t ts, int64_t ldt)
{
	return j->purge && ldt < j->gc_before && ts < j->max_purgeable_ts;
}

static bool rt_covers(const st_table_layout *l, const st_range_tomb *rt, const st_bytes *clust)
{
	return st__cmp_row_bound(l, clust, &rt->start, false) > 0 &&
		st__cmp_row_bound(l, clust, &rt->end, true) < 0;
}

/* Returns whether the row still holds anything. */
static bool purge_row(const st_job *j, st_mrow *r, int64_t shadow)
{
	st_cell **cp = &r->cells;
	st_complex_del **dp = &r->cdels;
	bool any = false;

	if (r->del.ts != ST_NO_TS && r->del.ts <= shadow)
		r->del.ts = ST_NO_TS, r->del.ldt = ST_NO_LDT;
	if (r->marker.ts != ST_NO_TS && r->marker.ts <= shadow)
		r->marker.ts = ST_NO_TS, r->marker.ttl = 0;
	if (r->marker.ts != ST_NO_TS && r->marker.ttl > 0 && r->marker.expire <= j->now &&
	    purgeable(j, r->marker.ts, r->marker.expire))
		r->marker.ts = ST_NO_TS, r->marker.ttl = 0;
	r->cells_tail = NULL;
	while (*cp) {
		st_cell *c = *cp;

		if (c->ttl > 0 && c->ldt <= j->now) {
			/* Cassandra turns an expired cell into a tombstone of its
			 * write time. */
			c->ldt -= c->ttl;
			c->ttl = 0;
			c->value = NULL;
			c->len = 0;
		}
		if (c->ts <= shadow || (c->ttl == 0 && c->ldt != ST_NO_LDT &&
					purgeable(j, c->ts, c->ldt))) {
			*cp = c->next;
			r->ncells--;
			continue;
		}
		r->cells_tail = c;
		cp = &c->next;
	}
	while (*dp) {
		if ((*dp)->del.ts <= shadow || purgeable(j, (*dp)->del.ts, (*dp)->del.ldt))
			*dp = (*dp)->next;
		else
			dp = &(*dp)->next;
	}
	if (r->del.ts != ST_NO_TS && purgeable(j, r->del.ts, r->del.ldt))
		r->del.ts = ST_NO_TS, r->del.ldt = ST_NO_LDT;
	any = r->marker.ts != ST_NO_TS || r->del.ts != ST_NO_TS || r->cells || r->cdels;
	return any;
}

static bool purge_part(const st_job *j, st_mutation *m)
{
	const st_table_layout *l = &j->layout;
	int64_t pts = m->pdel.ts;
	st_range_tomb **tp;
	st_mrow **rp;
	bool any;

	/* Range tombstones the partition deletion covers add nothing. */
	for (tp = &m->rts; *tp;) {
		if ((*tp)->del.ts <= pts) {
			*tp = (*tp)->next;
			m->nrts--;
		} else {
			tp = &(*tp)->next;
		}
	}
	if (m->static_row && !purge_row(j, m->static_row, pts))
		m->static_row = NULL;
	m->rows_tail = NULL;
	for (rp = &m->rows; *rp;) {
		st_mrow *r = *rp;
		int64_t shadow = pts;

		for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
			if (rt->del.ts > shadow && rt_covers(l, rt, r->clust))
				shadow = rt->del.ts;
		if (!purge_row(j, r, shadow)) {
			*rp = r->next;
			m->nrows--;
			continue;
		}
		m->rows_tail = r;
		rp = &r->next;
	}
	/* The tombstones themselves go last: they shadowed the data above. */
	m->rts_tail = NULL;
	for (tp = &m->rts; *tp;) {
		if (purgeable(j, (*tp)->del.ts, (*tp)->del.ldt)) {
			*tp = (*tp)->next;
			m->nrts--;
		} else {
			m->rts_tail = *tp;
			tp = &(*tp)->next;
		}
	}
	if (m->pdel.ts != ST_NO_TS && purgeable(j, m->pdel.ts, m->pdel.ldt))
		m->pdel.ts = ST_NO_TS, m->pdel.ldt = ST_NO_LDT;
	any = m->pdel.ts != ST_NO_TS || m->static_row || m->rows || m->rts;
	return any;
}

/*
 * Merge the inputs partition by partition: every version of a partition is
 * applied into a scratch memtable (the same reconciliation as writes and
 * reads), which is exported whole and written. Memory: one partition per
 * input plus the merged one.
 */
static void run_compact(st_engine *e, st_job *j)
{
	cin *in = hl_calloc((size_t)j->nin, sizeof(*in));
	hl_arena *scratch = hl_arena_new(64 * 1024);
	st_memtable tmp;
	out_file o = { 0 };
	sst_enc_stats enc;
	throttle th = { 0, 0 };
	int next_gen = 0;
	uint64_t written = 0;

	j->status = -1;
	st__mt_init(&tmp, &j->layout, (uint64_t)j->gen);
	__atomic_store_n(&e->active_total, j->in_bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&e->active_done, (uint64_t)0, __ATOMIC_RELAXED);
	for (int i = 0; i < j->nin; i++) {
		in[i].a = hl_arena_new(64 * 1024);
		if (sst_open(j->dir, j->in_base[i], &j->ssch, NULL, &in[i].r, &j->err))
			goto exit;
		in[i].bytes = sst_info(in[i].r)->data_length;
		in[i].entries = sst_info(in[i].r)->index_entries;
		if (cin_next(j, &in[i], &j->err) < 0)
			goto exit;
	}
	/* The inputs' encoding bases bound the output's data from below. */
	sst_enc_stats_init(&enc);
	for (int i = 0; i < j->nin; i++) {
		const sst_meta *m = sst_info(in[i].r);

		if (!enc.has_ts || m->enc_min_ts < enc.min_ts)
			enc.min_ts = m->enc_min_ts;
		if (!enc.has_ldt || m->enc_min_ldt < enc.min_ldt)
			enc.min_ldt = m->enc_min_ldt;
		if (!enc.has_ttl || m->enc_min_ttl < enc.min_ttl)
			enc.min_ttl = m->enc_min_ttl;
		enc.has_ts = enc.has_ldt = enc.has_ttl = true;
	}
	if (out_open(j, &o, &enc, j->gens[next_gen++], &j->err))
		goto exit;
	for (;;) {
		const st_mutation *best = NULL;
		uint64_t done;

		if (cancelled(j))
			goto exit;
		for (int i = 0; i < j->nin; i++)
			if (in[i].cur && (!best || cmp_mut(in[i].cur, best) < 0))
				best = in[i].cur;
		if (!best)
			break;
		st__mt_reset(&tmp);
		/* Copy the key out: advancing an input reuses its arena. */
		best = st_mut_new(scratch, best->key, best->keylen, best->token);
		for (int i = 0; i < j->nin; i++) {
			if (!in[i].cur || cmp_mut(in[i].cur, best) != 0)
				continue;
			if (st__mt_validate(&j->layout, in[i].cur, &j->err))
				goto exit;
			st__mt_apply(&tmp, in[i].cur);
			if (cin_next(j, &in[i], &j->err) < 0)
				goto exit;
		}
		for (st_sl_node *n = st_sl_first(&tmp.parts); n; n = n->next[0]) {
			st_mutation *m;

			if (st__part_empty(n->item))
				continue;
			m = st__mt_export(n->item, j->layout.nclust, scratch);
			if (!purge_part(j, m))
				continue;
			/* A leveled output ends at its size, but never between two
			 * partitions of one token: outputs of a level must not
			 * overlap even at a token collision. */
			if (j->max_out_bytes && o.parts > 0 && next_gen < j->ngens &&
			    m->token != o.last_tok &&
			    sst_writer_data_size(o.w) >= j->max_out_bytes) {
				written += sst_writer_data_size(o.w);
				if (out_finish(&o, &j->err) || open_output(j, &o, &j->err) ||
				    out_open(j, &o, &enc, j->gens[next_gen++], &j->err))
					goto exit;
			}
			if (out_add(&o, m, &j->err))
				goto exit;
		}
		hl_arena_reset(scratch);
		done = cin_progress(in, j->nin);
		__atomic_store_n(&e->active_done, done, __ATOMIC_RELAXED);
		throttle_step(e, j, &th, done);
	}
	if (o.parts > 0) {
		written += sst_writer_data_size(o.w);
		if (out_finish(&o, &j->err) || open_output(j, &o, &j->err))
			goto exit;
	}
	/* Nothing left (all shadowed, expired or another shard's): the
	 * inputs simply go. */
	__atomic_add_fetch(&e->compacted_in, j->in_bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&e->compacted_out, written, __ATOMIC_RELAXED);
	j->status = 0;
exit:
	out_abort(&o);
	__atomic_store_n(&e->active_total, (uint64_t)0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->active_done, (uint64_t)0, __ATOMIC_RELAXED);
	for (int i = 0; i < j->nin; i++) {
		if (in[i].r)
			sst_close(in[i].r);
		if (in[i].a)
			hl_arena_free(in[i].a);
	}
	free(in);
	st__mt_free_contents(&tmp);
	hl_arena_free(scratch);
}

/* ------------------------------------------------------------ worker */

static void *worker_main(void *arg)
{
	st_worker *w = arg;
	st_engine *e = w->e;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		st_job *j;
		bool skip;

		while (!e->stop && !w->head)
			pthread_cond_wait(&e->cv, &e->mu);
		if (e->stop)
			break;
		j = w->head;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		j->next = NULL;
		hl_uuid_time(hl_now_micros(), &j->task_id);
		w->running = j;
		skip = j->cancel;
		pthread_mutex_unlock(&e->mu);
		if (!skip) {
			if (j->kind == ST_JOB_FLUSH)
				run_flush(j);
			else
				run_compact(e, j);
		}
		pthread_mutex_lock(&e->mu);
		w->running = NULL;
		if (e->done_tail)
			e->done_tail->next = j;
		else
			e->done = j;
		e->done_tail = j;
		pthread_cond_broadcast(&e->done_cv);
		if (e->opts.notify) {
			pthread_mutex_unlock(&e->mu);
			e->opts.notify(e->opts.ctx);
			pthread_mutex_lock(&e->mu);
		}
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* ------------------------------------------------------------ shard side */

static void queue_flush(st_engine *e, st_table *t, st_memtable *mt)
{
	st_job *j = job_new(e, t, ST_JOB_FLUSH);

	j->mt = mt;
	j->backup = e->opts.incremental_backups;
	mt->inflight = true;
	enqueue(e, &e->flusher, j);
}

/* Flushes that failed are retried when the table is flushed again. */
static void requeue_failed(st_engine *e, st_table *t)
{
	for (st_memtable *f = t->frozen; f; f = f->next)
		if (!f->inflight && !f->flushed)
			queue_flush(e, t, f);
}

int st__freeze(st_engine *e, st_table *t, hl_err *err)
{
	st_memtable *mt = t->mt, **pp;
	size_t b;

	(void)err;
	requeue_failed(e, t);
	if (st__mt_empty(mt))
		return 0;
	b = st__mt_bytes(mt);
	e->active_bytes -= b < e->active_bytes ? b : e->active_bytes;
	if (e->opts.log_pos)
		mt->pos = e->opts.log_pos(e->opts.ctx, &t->layout.id);
	for (pp = &t->frozen; *pp; pp = &(*pp)->next)
		;
	*pp = mt;
	mt->next = NULL;
	t->mt = st__memtable_new(t);
	queue_flush(e, t, mt);
	return 0;
}

void st__maybe_flush(st_engine *e)
{
	st_table *big = NULL;
	size_t bb = 0;

	if (e->active_bytes <= e->flush_at)
		return;
	/* As Cassandra's memtable_cleanup_threshold: flush the largest. */
	for (size_t i = 0; i < e->nslots; i++) {
		st_table *t = e->slots[i];

		if (t && t->dir && st__mt_bytes(t->mt) > bb) {
			bb = st__mt_bytes(t->mt);
			big = t;
		}
	}
	if (big)
		st__freeze(e, big, NULL);
	else
		e->active_bytes = 0;   /* only drift from dropped tables is left */
}

/* Snapshot-bound flushes keep running: their output is the snapshot's. */
static void cancel_list(st_job *j, const st_table *t)
{
	for (; j; j = j->next)
		if (memcmp(j->table.b, t->layout.id.b, 16) == 0 && !j->snap_only)
			__atomic_store_n(&j->cancel, true, __ATOMIC_RELAXED);
}

bool st__gen_pending(st_engine *e, const st_table *t, int64_t gen)
{
	st_job *lists[5];
	bool found = false;

	pthread_mutex_lock(&e->mu);
	lists[0] = e->flusher.head;
	lists[1] = e->compactor.head;
	lists[2] = e->done;
	lists[3] = e->flusher.running;
	lists[4] = e->compactor.running;
	for (int i = 0; i < 5 && !found; i++)
		for (st_job *j = lists[i]; j && !found; j = i >= 3 ? NULL : j->next)
			if (memcmp(j->table.b, t->layout.id.b, 16) == 0)
				for (int k = 0; k < j->ngens && !found; k++)
					found = j->gens[k] == gen;
	pthread_mutex_unlock(&e->mu);
	return found;
}

void st__visit_flushes(st_engine *e, const st_table *t, st_job_visit fn, void *ctx)
{
	st_job *lists[3];

	pthread_mutex_lock(&e->mu);
	lists[0] = e->flusher.head;
	lists[1] = e->flusher.running;
	lists[2] = e->done;
	for (int i = 0; i < 3; i++)
		for (st_job *j = lists[i]; j; j = i == 1 ? NULL : j->next)
			if (memcmp(j->table.b, t->layout.id.b, 16) == 0 && j->epoch == t->epoch &&
			    !j->cancel && j->kind == ST_JOB_FLUSH)
				fn(j, i == 0, ctx);
	pthread_mutex_unlock(&e->mu);
}

void st__bg_forget(st_engine *e, st_table *t)
{
	pthread_mutex_lock(&e->mu);
	cancel_list(e->flusher.head, t);
	cancel_list(e->compactor.head, t);
	cancel_list(e->flusher.running, t);
	cancel_list(e->compactor.running, t);
	cancel_list(e->done, t);
	pthread_mutex_unlock(&e->mu);
	while (t->frozen) {
		st_memtable *f = t->frozen;

		t->frozen = f->next;
		if (f->inflight) {
			f->next = e->orphans;
			e->orphans = f;
		} else {
			st__memtable_free(f);
		}
	}
	t->has_pending_pos = false;
	t->compacting = false;
	t->major_pending = false;
}

/* ------------------------------------------------------------ compaction queueing */

void st__queue_compact(st_engine *e, st_table *t, st_sst **v, int n, int out_level,
		       uint64_t max_out_bytes)
{
	st_job *j = job_new(e, t, ST_JOB_COMPACT);
	int64_t grace = t->layout.has_gc_grace ? t->layout.gc_grace_seconds : 864000;

	j->now = (int64_t)time(NULL);
	j->gc_before = j->now - grace;
	/* Purging is safe only if no SSTable outside the compaction exists. */
	j->purge = n == t->nssts;
	j->max_purgeable_ts = t->mt->min_ts;
	for (st_memtable *f = t->frozen; f; f = f->next)
		if (!f->flushed && f->min_ts < j->max_purgeable_ts)
			j->max_purgeable_ts = f->min_ts;

	j->nin = n;
	j->in_base = hl_arena_alloc(j->a, sizeof(char *) * (size_t)n);
	j->in_gen = hl_arena_alloc(j->a, sizeof(int64_t) * (size_t)n);
	for (int i = 0; i < n; i++) {
		j->in_base[i] = hl_arena_strdup(j->a, v[i]->base);
		j->in_gen[i] = v[i]->gen;
		j->in_bytes += v[i]->bytes;
		v[i]->compacting = true;
	}
	j->out_level = out_level;
	j->max_out_bytes = max_out_bytes;
	if (max_out_bytes) {
		/* Generations for the split outputs, reserved now: only the shard
		 * thread may advance the counter. Unused ones are just gaps. */
		uint64_t want = j->in_bytes / max_out_bytes + 2;
		int ng = want > 4096 ? 4096 : (int)want;

		j->gens = hl_arena_alloc(j->a, sizeof(int64_t) * (size_t)ng);
		j->gens[0] = j->gen;
		for (int i = 1; i < ng; i++)
			j->gens[i] = st__next_gen(e, t);
		j->ngens = ng;
	}
	t->compacting = true;
	enqueue(e, &e->compactor, j);
}

void st__maybe_compact(st_engine *e, st_table *t)
{
	st__pick_compaction(e, t);
}

/* ------------------------------------------------------------ public */

int st_flush(st_engine *e, const hl_uuid *table, hl_err *err)
{
	st_table *t = st__table(e, table);

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	if (!t->dir)
		return 0;
	return st__freeze(e, t, err);
}

int st_flush_all(st_engine *e, hl_err *err)
{
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i] && e->slots[i]->dir && st__freeze(e, e->slots[i], err))
			return -1;
	return 0;
}

int st_compact(st_engine *e, const hl_uuid *table, hl_err *err)
{
	st_table *t = st__table(e, table);
	st_sst **v;
	int n = 0;

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	if (!t->dir || t->nssts == 0)
		return 0;
	if (t->compacting) {
		/* a major compaction waits for the running one (as nodetool's does):
		 * publish_compact starts it when that one is published */
		t->major_pending = true;
		return 0;
	}
	v = hl_malloc(sizeof(*v) * (size_t)t->nssts);
	for (st_sst *s = t->ssts; s; s = s->next)
		v[n++] = s;
	/* Major compaction under LCS rewrites everything into leveled files
	 * of the table's size, in the first level that holds them (Cassandra
	 * drops them into L0 and re-levels; the result is equivalent). */
	if (t->layout.compaction.kind == ST_COMPACTION_LCS) {
		uint64_t size = t->layout.compaction.sstable_size ? t->layout.compaction.sstable_size
								   : (uint64_t)160 << 20;
		int fan = t->layout.compaction.fanout > 1 ? t->layout.compaction.fanout : 10;
		uint64_t total = 0, cap = size * (uint64_t)fan;
		int level = 1;

		for (int i = 0; i < n; i++)
			total += v[i]->bytes;
		while (total > cap && level < 8) {
			cap *= (uint64_t)fan;
			level++;
		}
		st__queue_compact(e, t, v, n, level, size);
	} else {
		st__queue_compact(e, t, v, n, 0, 0);
	}
	free(v);
	return 0;
}

static void report_flushed(st_engine *e, st_table *t)
{
	st_log_pos pos = { 0, 0 };
	bool any = false;

	while (t->frozen && t->frozen->flushed) {
		st_memtable *f = t->frozen;

		t->frozen = f->next;
		pos = f->pos;
		any = true;
		st__memtable_free(f);
	}
	if (any && e->opts.on_flushed)
		e->opts.on_flushed(e->opts.ctx, &t->layout.id, pos);
}

static void publish_flush(st_engine *e, st_job *j)
{
	st_table *t = st__table(e, &j->table);
	st_memtable *mt = j->mt;

	if (j->snap_only) {
		if (j->status < 0)
			hl_error("storage: flush for snapshot %s failed: %s",
				 j->nsnaps ? j->snaps[0] : "?", j->err.msg);
		st__snap_deliver(j);
		remove_orphan(e, mt);
		return;
	}
	if (j->cancel || !t || t->epoch != j->epoch) {
		unlink_outs(j);
		remove_orphan(e, mt);
		return;
	}
	mt->inflight = false;
	if (j->status < 0) {
		hl_error("storage: flush of %s.%s failed (kept in memory, retried on the next "
			 "flush): %s", t->ks, t->name, j->err.msg);
		unlink_outs(j);
		if (j->nsnaps)
			hl_error("storage: snapshot %s misses that memtable", j->snaps[0]);
		return;
	}
	for (int i = 0; i < j->nouts; i++) {
		st_sst *s = st__sst_new(j->outs[i].r, j->outs[i].base, j->outs[i].gen);

		j->outs[i].r = NULL;
		s->has_span = j->outs[i].has_span;
		s->first_tok = j->outs[i].first_tok;
		s->last_tok = j->outs[i].last_tok;
		st__sst_add(t, s);
		for (int k = 0; k < j->nsnaps; k++) {
			hl_err err;

			if (st__sst_link(j->dir, s->base, j->snaps[k], &err))
				hl_error("storage: snapshot %s: %s", j->snaps[k], err.msg);
		}
	}
	for (int k = 0; k < j->nsnaps; k++)
		st__snap_manifest(j->snaps[k]);
	__atomic_add_fetch(&e->flushes_done, 1, __ATOMIC_RELAXED);
	mt->flushed = true;
	st__mt_free_contents(mt);
	report_flushed(e, t);
	st__maybe_compact(e, t);
}

static void publish_compact(st_engine *e, st_job *j)
{
	st_table *t = st__table(e, &j->table);

	if (j->cancel || !t || t->epoch != j->epoch) {
		unlink_outs(j);
		return;
	}
	t->compacting = false;
	if (j->status < 0) {
		hl_error("storage: compaction of %s.%s failed: %s", t->ks, t->name, j->err.msg);
		unlink_outs(j);
		for (st_sst *s = t->ssts; s; s = s->next)
			s->compacting = false;
		return;
	}
	__atomic_add_fetch(&e->compactions_done, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < j->nouts; i++) {
		st_sst *s = st__sst_new(j->outs[i].r, j->outs[i].base, j->outs[i].gen);

		j->outs[i].r = NULL;
		s->level = j->out_level;
		s->has_span = j->outs[i].has_span;
		s->first_tok = j->outs[i].first_tok;
		s->last_tok = j->outs[i].last_tok;
		st__sst_add(t, s);
	}
	/* The output is visible: the inputs can go. A crash between here and
	 * the last unlink leaves data twice, which reads reconcile. */
	for (int i = 0; i < j->nin; i++)
		for (st_sst **pp = &t->ssts; *pp; pp = &(*pp)->next)
			if ((*pp)->gen == j->in_gen[i]) {
				st_sst *s = *pp;

				*pp = s->next;
				t->nssts--;
				st__sst_unlink(t->dir, s->base);
				st__sst_free(s);
				break;
			}
	st__maybe_compact(e, t);
}

int st_poll(st_engine *e)
{
	st_job *list;
	int n = 0;

	pthread_mutex_lock(&e->mu);
	list = e->done;
	e->done = e->done_tail = NULL;
	pthread_mutex_unlock(&e->mu);
	while (list) {
		st_job *j = list;

		list = j->next;
		if (j->kind == ST_JOB_FLUSH) {
			publish_flush(e, j);
		} else {
			publish_compact(e, j);
			st_table *t = st__table(e, &j->table);
			if (t && t->major_pending && !t->compacting) {
				hl_err ce;
				hl_err_clear(&ce);
				t->major_pending = false;
				if (st_compact(e, &j->table, &ce) < 0)
					hl_error("storage: major compaction of %s.%s: %s", t->ks, t->name, ce.msg);
			}
		}
		pthread_mutex_lock(&e->mu);
		e->pending--;
		pthread_mutex_unlock(&e->mu);
		job_free(j);
		n++;
	}
	return n;
}

void st_wait_idle(st_engine *e)
{
	for (;;) {
		bool idle;

		pthread_mutex_lock(&e->mu);
		while (e->pending > 0 && !e->done)
			pthread_cond_wait(&e->done_cv, &e->mu);
		idle = e->pending == 0;
		pthread_mutex_unlock(&e->mu);
		if (idle)
			return;
		/* Publishing may queue more (a compaction after a flush). */
		st_poll(e);
	}
}

/* ------------------------------------------------------------ throughput, stats */

void st_set_compaction_throughput(st_engine *e, double mib_per_s)
{
	uint64_t b = mib_per_s > 0 ? (uint64_t)(mib_per_s * 1048576.0) : 0;

	if (mib_per_s > 0 && b == 0)
		b = 1;
	__atomic_store_n(&e->throughput, b, __ATOMIC_RELAXED);
}

uint64_t st_get_compaction_throughput(const st_engine *e)
{
	return __atomic_load_n(&e->throughput, __ATOMIC_RELAXED);
}

void st_compaction_stats_get(st_engine *e, st_compaction_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&e->mu);
	for (st_job *j = e->compactor.head; j; j = j->next)
		out->pending++;
	if (e->compactor.running) {
		const st_job *j = e->compactor.running;
		struct st_task *t = &out->tasks[out->ntasks++];

		out->pending++;
		out->active = 1;
		/* the job's identity is fixed while it runs; its progress is the
		 * compactor's running estimate */
		t->table = j->table;
		t->task_id = j->task_id;
		t->kind = "compaction";
		t->unit = "bytes";
		t->total = j->in_bytes;
		t->done = __atomic_load_n(&e->active_done, __ATOMIC_RELAXED);
		if (t->done > t->total)
			t->done = t->total;
		t->sstables = j->nin;
	}
	if (e->flusher.running && e->flusher.running->kind == ST_JOB_FLUSH) {
		st_job *j = e->flusher.running;
		struct st_task *t = &out->tasks[out->ntasks++];

		t->table = j->table;
		t->task_id = j->task_id;
		t->kind = "flush";
		t->unit = "keys";
		t->total = __atomic_load_n(&j->flush_total, __ATOMIC_RELAXED);
		t->done = __atomic_load_n(&j->flush_done, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&e->mu);
	/* shard thread: tables are ours to read */
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i] && e->slots[i]->major_pending)
			out->pending++;
	out->active_done = __atomic_load_n(&e->active_done, __ATOMIC_RELAXED);
	out->active_total = __atomic_load_n(&e->active_total, __ATOMIC_RELAXED);
	out->completed = __atomic_load_n(&e->compactions_done, __ATOMIC_RELAXED);
	out->bytes_in = __atomic_load_n(&e->compacted_in, __ATOMIC_RELAXED);
	out->bytes_out = __atomic_load_n(&e->compacted_out, __ATOMIC_RELAXED);
	out->flushes = __atomic_load_n(&e->flushes_done, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ large partitions */

/* Set once at start-up, before any background job: read unlocked. */
/* Cassandra's FBUtilities.prettyPrintMemory: "1.234MiB", "512bytes". */
static void pretty_bytes(char *out, size_t n, uint64_t b)
{
	if (b >= 1ull << 30)
		snprintf(out, n, "%.3fGiB", (double)b / (double)(1ull << 30));
	else if (b >= 1ull << 20)
		snprintf(out, n, "%.3fMiB", (double)b / (double)(1ull << 20));
	else if (b >= 1ull << 10)
		snprintf(out, n, "%.3fKiB", (double)b / (double)(1ull << 10));
	else
		snprintf(out, n, "%llubytes", (unsigned long long)b);
}

/* The partition key as Cassandra prints it: each component as text, ':' between. */
static void key_text(const st_table_layout *l, const st_mutation *m, hl_buf *out)
{
	if (l->npk <= 1) {
		if (l->npk < 1 || ty_to_text(l->pk_types[0], m->key, m->keylen, out) < 0)
			hl_buf_put(out, "?", 1);
		return;
	}
	/* composite: per component a 2-byte length, the bytes, an end-of-component byte */
	size_t pos = 0;
	for (int i = 0; i < l->npk; i++) {
		if (pos + 2 > m->keylen)
			break;
		size_t len = (size_t)m->key[pos] << 8 | m->key[pos + 1];
		if (pos + 2 + len + 1 > m->keylen)
			break;
		if (i)
			hl_buf_put(out, ":", 1);
		if (ty_to_text(l->pk_types[i], m->key + pos + 2, len, out) < 0)
			hl_buf_put(out, "?", 1);
		pos += 2 + len + 1;
	}
}

void st__large_partition_check(const st_job *j, int64_t gen, const st_mutation *m, uint64_t bytes)
{
	const char *dir = j->dir;
	const st_table_layout *l = &j->layout;
	int64_t partition_size_warn = j->partition_size_warn, partition_size_fail = j->partition_size_fail;
	bool large = j->large_partition_bytes && bytes > j->large_partition_bytes;
	bool gfail = partition_size_fail > 0 && bytes > (uint64_t)partition_size_fail;
	bool gwarn = partition_size_warn > 0 && bytes > (uint64_t)partition_size_warn;

	if (!large && !gfail && !gwarn)
		return;
	/* dir is <data>/<ks>/<table>-<id>: the names Cassandra prints */
	const char *tslash = strrchr(dir, '/');
	const char *tname = tslash ? tslash + 1 : dir;
	const char *tdash = strrchr(tname, '-');
	size_t tlen = tdash ? (size_t)(tdash - tname) : strlen(tname);
	const char *kname = "?";
	size_t klen = 1;
	if (tslash && tslash > dir) {
		const char *k = tslash - 1;
		while (k > dir && k[-1] != '/')
			k--;
		kname = k;
		klen = (size_t)(tslash - k);
	}
	hl_buf key;
	hl_buf_init(&key);
	key_text(l, m, &key);
	char size[64];
	pretty_bytes(size, sizeof size, bytes);
	if (large)
		hl_warn("Writing large partition %.*s/%.*s:%.*s (%s) to sstable %s/nb-%lld-big-Data.db",
			(int)klen, kname, (int)tlen, tname, (int)key.len, (const char *)key.p, size, dir,
			(long long)gen);
	if (gfail || gwarn)
		hl_warn("Guardrail partition_size violated: Partition %.*s.%.*s:%.*s on sstable "
			"%s/nb-%lld-big-Data.db has size %llu, this exceeds the %s threshold of %lld. "
			"Too large partitions can cause performance problems.",
			(int)klen, kname, (int)tlen, tname, (int)key.len, (const char *)key.p, dir,
			(long long)gen, (unsigned long long)bytes, gfail ? "failure" : "warning",
			(long long)(gfail ? partition_size_fail : partition_size_warn));
	hl_buf_free(&key);
}
