/*
 * storage/engine.c: the per-shard engine object and its tables: the table
 * registry (open addressing by table id), create / alter / drop / truncate,
 * and per-table statistics. Each memtable owns one arena, so truncate, drop
 * and the end of a flush free it wholesale. A durable table also owns its
 * SSTable readers (files.c) and may have memtables in flight on the flush
 * thread (bg.c).
 */
#include "storage/st_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t id_hash(const hl_uuid *id)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 16; i++) {
		h ^= id->b[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

st_engine *st_engine_new(void)
{
	return st_engine_new_opts(NULL);
}

/* Cassandra sizes memtable space at a quarter of the heap; here a quarter of
 * RAM, split between the shards. */
static size_t default_space(int nshards)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	size_t ram = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)4 << 30;

	return ram / 4 / (size_t)(nshards > 0 ? nshards : 1);
}

st_engine *st_engine_new_opts(const st_engine_opts *opts)
{
	st_engine *e = hl_calloc(1, sizeof(*e));

	e->nslots = 16;
	e->slots = hl_calloc(e->nslots, sizeof(e->slots[0]));
	if (opts)
		e->opts = *opts;
	if (e->opts.nshards <= 0) {
		e->opts.nshards = 1;
		e->opts.shard = 0;
	}
	if (e->opts.data_dir)
		e->opts.data_dir = hl_strdup(e->opts.data_dir);
	if (!e->opts.memtable_space)
		e->opts.memtable_space = default_space(e->opts.nshards);
	if (e->opts.compaction_min < 2)
		e->opts.compaction_min = 4;
	if (e->opts.compaction_max < e->opts.compaction_min)
		e->opts.compaction_max = e->opts.compaction_min > 32 ? e->opts.compaction_min : 32;
	e->flush_at = e->opts.memtable_space / 2;
	/* cassandra.yaml's compaction_throughput default: 64 MiB/s. */
	e->throughput = e->opts.has_compaction_throughput ? e->opts.compaction_throughput
							  : (uint64_t)64 << 20;
	st__bg_init(e);
	return e;
}

void st__memtable_free(st_memtable *mt)
{
	if (!mt)
		return;
	st__mt_free_contents(mt);
	free(mt);
}

/* Files stay on disk: this is also the shutdown path. */
static void table_free(st_table *t)
{
	st__memtable_free(t->mt);
	while (t->frozen) {
		st_memtable *n = t->frozen->next;

		st__memtable_free(t->frozen);
		t->frozen = n;
	}
	while (t->ssts) {
		st_sst *n = t->ssts->next;

		st__sst_free(t->ssts);
		t->ssts = n;
	}
	if (t->sch_arena)
		hl_arena_free(t->sch_arena);
	free(t->ks);
	free(t->name);
	free(t->dir);
	free((void *)t->layout.clust);
	free((void *)t->layout.cols);
	free((void *)t->layout.pk_types);
	free(t);
}

void st_engine_free(st_engine *e)
{
	if (!e)
		return;
	/* Helper threads first: they may still read frozen memtables. */
	st__bg_stop(e);
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i])
			table_free(e->slots[i]);
	free(e->slots);
	free((void *)e->opts.data_dir);
	free(e);
}

static size_t find_slot(const st_engine *e, const hl_uuid *id)
{
	size_t i = id_hash(id) & (e->nslots - 1);

	while (e->slots[i] && memcmp(e->slots[i]->layout.id.b, id->b, 16) != 0)
		i = (i + 1) & (e->nslots - 1);
	return i;
}

st_table *st__table(const st_engine *e, const hl_uuid *id)
{
	return e->slots[find_slot(e, id)];
}

bool st_has_table(const st_engine *e, const hl_uuid *table)
{
	return st__table(e, table) != NULL;
}

static void grow(st_engine *e)
{
	st_table **old = e->slots;
	size_t n = e->nslots;

	e->nslots *= 2;
	e->slots = hl_calloc(e->nslots, sizeof(e->slots[0]));
	for (size_t i = 0; i < n; i++)
		if (old[i])
			e->slots[find_slot(e, &old[i]->layout.id)] = old[i];
	free(old);
}

/* Validate and copy a layout into heap arrays owned by the table. */
static int layout_copy(st_table_layout *dst, const st_table_layout *src, hl_err *err)
{
	st_clust_col *cc;
	st_col *cols;

	if (src->nclust < 0 || src->ncols < 0 || (src->nclust && !src->clust) ||
	    (src->ncols && !src->cols))
		return hl_errf(err, HL_ERR_SERVER, "storage: malformed table layout");
	for (int i = 0; i < src->nclust; i++)
		if (!src->clust[i].type)
			return hl_errf(err, HL_ERR_SERVER,
				       "storage: clustering column %d has no type", i);
	cc = hl_malloc(sizeof(*cc) * (size_t)(src->nclust ? src->nclust : 1));
	cols = hl_malloc(sizeof(*cols) * (size_t)(src->ncols ? src->ncols : 1));
	if (src->nclust)
		memcpy(cc, src->clust, sizeof(*cc) * (size_t)src->nclust);
	if (src->ncols)
		memcpy(cols, src->cols, sizeof(*cols) * (size_t)src->ncols);
	dst->id = src->id;
	dst->nclust = src->nclust;
	dst->clust = cc;
	dst->ncols = src->ncols;
	dst->cols = cols;
	dst->keyspace = NULL;
	dst->table = NULL;
	dst->npk = src->npk;
	/* the caller's array may be temporary: keep our own (the types are borrowed) */
	const ty_type **pk = hl_malloc(sizeof(*pk) * (size_t)(src->npk > 0 ? src->npk : 1));
	for (int i = 0; i < src->npk; i++)
		pk[i] = src->pk_types ? src->pk_types[i] : NULL;
	dst->pk_types = pk;
	dst->has_gc_grace = src->has_gc_grace;
	dst->gc_grace_seconds = src->gc_grace_seconds;
	dst->compaction = src->compaction;
	dst->no_auto_snapshot = src->no_auto_snapshot;
	dst->compressor = src->compressor;
	dst->chunk_length = src->chunk_length;
	dst->bloom_fp_chance = src->bloom_fp_chance;
	return 0;
}

st_memtable *st__memtable_new(st_table *t)
{
	st_memtable *mt = hl_malloc(sizeof(*mt));

	/* Per-memtable seeds differ so skip-list shapes do not repeat. */
	t->seed = t->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	st__mt_init(mt, &t->layout, t->seed);
	return mt;
}

int st_create_table(st_engine *e, const st_table_layout *layout, hl_err *err)
{
	st_table *t;
	int rc = -1;

	if (st__table(e, &layout->id)) {
		hl_errf(err, HL_ERR_ALREADY_EXISTS, "storage: table already exists");
		goto exit;
	}
	t = hl_calloc(1, sizeof(*t));
	if (layout_copy(&t->layout, layout, err)) {
		free(t);
		goto exit;
	}
	/* The id keeps runs reproducible. */
	t->seed = (uint64_t)id_hash(&layout->id);
	t->mt = st__memtable_new(t);
	if (e->opts.data_dir && layout->keyspace && layout->table && layout->keyspace[0] &&
	    layout->table[0]) {
		t->ks = hl_strdup(layout->keyspace);
		t->name = hl_strdup(layout->table);
		st__build_schema(t);
		if (st__load_table(e, t, err)) {
			table_free(t);
			goto exit;
		}
	}
	if ((e->ntables + 1) * 2 > e->nslots)
		grow(e);
	e->slots[find_slot(e, &layout->id)] = t;
	e->ntables++;
	rc = 0;
exit:
	return rc;
}

int st_alter_table(st_engine *e, const st_table_layout *layout, hl_err *err)
{
	st_table *t = st__table(e, &layout->id);
	st_table_layout nl;

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	/* Stored rows are ordered by the clustering columns: they cannot change. */
	if (layout->nclust != t->layout.nclust)
		return hl_errf(err, HL_ERR_INVALID,
			       "storage: clustering columns cannot change on ALTER");
	for (int i = 0; i < layout->nclust; i++)
		if (layout->clust[i].reversed != t->layout.clust[i].reversed)
			return hl_errf(err, HL_ERR_INVALID,
				       "storage: clustering order cannot change on ALTER");
	if (layout_copy(&nl, layout, err))
		return -1;
	free((void *)t->layout.clust);
	free((void *)t->layout.cols);
	free((void *)t->layout.pk_types);
	t->layout = nl;
	/* Memtables compare with the layout they carry: give them the new
	 * arrays (only this thread reads them; flush threads never do). */
	t->mt->layout = nl;
	for (st_memtable *f = t->frozen; f; f = f->next)
		f->layout = nl;
	if (t->dir) {
		st__build_schema(t);
		/* A new strategy (or LCS size) takes over from the next pick;
		 * levels written under another one are re-checked. */
		t->lcs_checked = false;
		st__maybe_compact(e, t);
	}
	return 0;
}

/* Truncate and drop remove this shard's SSTables from disk. */
static void drop_sstables(st_table *t)
{
	while (t->ssts) {
		st_sst *n = t->ssts->next;

		st__sst_unlink(t->dir, t->ssts->base);
		st__sst_free(t->ssts);
		t->ssts = n;
	}
	t->nssts = 0;
}

/* Frozen memtables still on the flush thread go to the engine (bg.c frees
 * them when their job ends); the rest are freed here. */
static void drop_memtables(st_engine *e, st_table *t)
{
	size_t b = st__mt_bytes(t->mt);

	st__bg_forget(e, t);
	if (t->dir)
		e->active_bytes -= b < e->active_bytes ? b : e->active_bytes;
	st__memtable_free(t->mt);
	t->mt = NULL;
}

int st_drop_table(st_engine *e, const hl_uuid *table, hl_err *err)
{
	size_t i = find_slot(e, table), j;

	if (!e->slots[i])
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	st__auto_snapshot(e, e->slots[i], "dropped", 0);
	drop_memtables(e, e->slots[i]);
	if (e->slots[i]->dir)
		drop_sstables(e->slots[i]);
	table_free(e->slots[i]);
	e->slots[i] = NULL;
	e->ntables--;
	/* Linear probing: re-place the rest of the cluster so lookups that
	 * probed past the freed slot still find their table. */
	for (j = (i + 1) & (e->nslots - 1); e->slots[j]; j = (j + 1) & (e->nslots - 1)) {
		st_table *t = e->slots[j];

		e->slots[j] = NULL;
		e->slots[find_slot(e, &t->layout.id)] = t;
	}
	return 0;
}

int st_truncate(st_engine *e, const hl_uuid *table, hl_err *err)
{
	return st_truncate_at(e, table, 0, err);
}

int st_truncate_at(st_engine *e, const hl_uuid *table, int64_t at_ms, hl_err *err)
{
	st_table *t = st__table(e, table);

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	st__auto_snapshot(e, t, "truncated", at_ms);
	drop_memtables(e, t);
	if (t->dir)
		drop_sstables(t);
	t->epoch++;
	t->mt = st__memtable_new(t);
	return 0;
}

int st_table_stats_get(const st_engine *e, const hl_uuid *table, st_table_stats *out,
		       hl_err *err)
{
	const st_table *t = st__table(e, table);

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	memset(out, 0, sizeof(*out));
	out->memory = hl_arena_used(t->mt->arena) + sizeof(*t);
	for (const st_memtable *f = t->frozen; f; f = f->next) {
		if (f->flushed)
			continue;
		out->memory += hl_arena_used(f->arena);
		out->memtables_flushing++;
	}
	out->partitions = (int64_t)t->mt->parts.count;
	out->rows = t->mt->nrows;
	for (const st_sst *s = t->ssts; s; s = s->next) {
		out->sstables++;
		out->disk_bytes += s->bytes;
		out->sstables_in_level[s->level < 7 ? s->level : 7]++;
		{
			sst_read_stats rs;

			sst_get_read_stats(s->r, &rs);
			out->key_cache_hits += rs.key_cache_hits;
			out->key_cache_misses += rs.key_cache_misses;
			out->key_cache_entries += rs.key_cache_entries;
			out->key_cache_capacity += rs.key_cache_capacity;
			out->index_blocks_read += rs.blocks_read;
			out->index_blocks_skipped += rs.blocks_skipped;
		}
	}
	out->sst_partitions_read = t->sst_parts_read;
	out->sst_skipped = t->sst_skipped;
	return 0;
}
