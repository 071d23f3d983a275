/*
 * storage/skiplist.c: the ordered index behind memtable partitions and rows.
 * A skip list rather than a balanced tree because inserts touch few nodes,
 * nodes never move (readers may hold pointers across an insert), and it
 * later becomes lock-free-friendly if a flush ever reads it from a helper
 * thread. Heights come from the owning table's xorshift state: no globals.
 */
#include "storage/st_int.h"

#include <string.h>

static st_sl_node *node_new(hl_arena *a, int height, void *item)
{
	st_sl_node *n = hl_arena_zalloc(a, sizeof(*n) + (size_t)height * sizeof(n->next[0]));

	n->item = item;
	n->height = height;
	return n;
}

/* Geometric heights with p = 1/4: fewer pointers than p = 1/2, same O(log n). */
static int random_height(uint64_t *s)
{
	uint64_t x = *s;
	int h = 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	while (h < ST_SL_MAX && (x & 3) == 0) {
		h++;
		x >>= 2;
	}
	return h;
}

/*
 * The sentinel starts short and is replaced by a taller one (doubling) each
 * time a node outgrows it: every memtable partition has a row list, and a
 * full-height sentinel (216 bytes) per partition was the largest single item
 * of a one-row partition. No node points back at the sentinel (level 0's
 * prev is NULL for the first node) and callers never keep sl->head, so
 * replacing it is invisible.
 */
#define ST_SL_HEAD0 2

void st_sl_init(st_sl *sl, hl_arena *a, uint64_t *rng)
{
	sl->arena = a;
	sl->rng = rng;
	sl->head = node_new(a, ST_SL_HEAD0, NULL);
	sl->tail = NULL;
	sl->height = 1;
	sl->count = 0;
}

/* Fill upd[] with, per level, the last node whose item sorts before probe. */
static st_sl_node *find_pred(const st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx,
			     st_sl_node **upd)
{
	st_sl_node *x = sl->head;

	for (int lvl = sl->height - 1; lvl >= 0; lvl--) {
		while (x->next[lvl] && cmp(x->next[lvl]->item, probe, ctx) < 0)
			x = x->next[lvl];
		if (upd)
			upd[lvl] = x;
	}
	return x;
}

st_sl_node *st_sl_seek(const st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx)
{
	return find_pred(sl, probe, cmp, ctx, NULL)->next[0];
}

st_sl_node *st_sl_seek_before(const st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx)
{
	st_sl_node *x = find_pred(sl, probe, cmp, ctx, NULL);

	return x == sl->head ? NULL : x;
}

st_sl_node *st_sl_upsert(st_sl *sl, const void *probe, st_sl_cmp cmp, void *ctx,
			 void *(*make)(const void *probe, void *ctx))
{
	st_sl_node *upd[ST_SL_MAX];
	st_sl_node *x = find_pred(sl, probe, cmp, ctx, upd);
	st_sl_node *n;
	int h;

	if (x->next[0] && cmp(x->next[0]->item, probe, ctx) == 0)
		return x->next[0];
	h = random_height(sl->rng);
	if (h > sl->head->height) {
		int nhh = sl->head->height * 2 > h ? sl->head->height * 2 : h;
		st_sl_node *old = sl->head, *nh;

		nh = node_new(sl->arena, nhh < ST_SL_MAX ? nhh : ST_SL_MAX, NULL);

		for (int lvl = 0; lvl < old->height; lvl++)
			nh->next[lvl] = old->next[lvl];
		for (int lvl = 0; lvl < sl->height; lvl++)
			if (upd[lvl] == old)
				upd[lvl] = nh;
		sl->head = nh;
	}
	for (int lvl = sl->height; lvl < h; lvl++)
		upd[lvl] = sl->head;
	if (h > sl->height)
		sl->height = h;
	n = node_new(sl->arena, h, make(probe, ctx));
	for (int lvl = 0; lvl < h; lvl++) {
		n->next[lvl] = upd[lvl]->next[lvl];
		upd[lvl]->next[lvl] = n;
	}
	n->prev = upd[0] == sl->head ? NULL : upd[0];
	if (n->next[0])
		n->next[0]->prev = n;
	else
		sl->tail = n;
	sl->count++;
	return n;
}
