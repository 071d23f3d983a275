/*
 * storage/engine.c: the per-shard engine object and its tables: the table
 * registry (open addressing by table id), create / alter / drop / truncate,
 * and per-table statistics. Each table owns one arena holding its whole
 * memtable, so truncate and drop free it wholesale.
 */
#include "storage/st_int.h"

#include <stdlib.h>
#include <string.h>

/* Big enough that small tables stay in one chunk, small enough that the
 * hundreds of system tables cost little while empty. */
#define TABLE_ARENA_CHUNK (32 * 1024)

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
	st_engine *e = hl_calloc(1, sizeof(*e));

	e->nslots = 16;
	e->slots = hl_calloc(e->nslots, sizeof(e->slots[0]));
	return e;
}

static void table_free(st_table *t)
{
	hl_arena_free(t->arena);
	free((void *)t->layout.clust);
	free((void *)t->layout.cols);
	free(t);
}

void st_engine_free(st_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i])
			table_free(e->slots[i]);
	free(e->slots);
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
	return 0;
}

static void memtable_init(st_table *t)
{
	t->arena = hl_arena_new(TABLE_ARENA_CHUNK);
	st_sl_init(&t->parts, t->arena, &t->rng);
	t->nrows = 0;
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
	/* Any non-zero seed works for xorshift; the id keeps runs reproducible. */
	t->rng = (uint64_t)id_hash(&layout->id) | 1;
	memtable_init(t);
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
	t->layout = nl;
	return 0;
}

int st_drop_table(st_engine *e, const hl_uuid *table, hl_err *err)
{
	size_t i = find_slot(e, table), j;

	if (!e->slots[i])
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
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
	st_table *t = st__table(e, table);

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	hl_arena_free(t->arena);
	memtable_init(t);
	return 0;
}

int st_table_stats_get(const st_engine *e, const hl_uuid *table, st_table_stats *out,
		       hl_err *err)
{
	const st_table *t = st__table(e, table);

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	out->memory = hl_arena_used(t->arena) + sizeof(*t);
	out->partitions = (int64_t)t->parts.count;
	out->rows = t->nrows;
	return 0;
}
