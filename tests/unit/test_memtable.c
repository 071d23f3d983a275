/*
 * Unit tests for the memtable's data structures: the partition hash index
 * (st__mt_find) against the skip list it shadows, partitions that share a
 * token, growth of the index past the huge-page mapping size, reset and
 * free; the skip list's short sentinel that grows on demand (order and
 * back links intact); the exact-fit cell array of a new row and the
 * memory a one-row partition takes.
 */
#include "t.h"

#include <stdlib.h>

#include "storage/st_int.h"

static st_col cols[5];

static void layout_init(st_table_layout *l)
{
	memset(l, 0, sizeof(*l));
	memset(cols, 0, sizeof(cols));
	for (int i = 0; i < 5; i++)
		cols[i].type = ty_simple(TY_BLOB);
	l->ncols = 5;
	l->cols = cols;
}

/* cassandra-stress's row: five 34-byte cells, one timestamp */
static st_mutation *stress_row(hl_arena *a, const char *key, int64_t token, int64_t ts)
{
	st_mutation *m = st_mut_new(a, key, strlen(key), token);
	st_mrow *r = st_mut_row(m, 0, NULL);

	for (int i = 0; i < 5; i++)
		st_row_cell(r, i, ts, 0, ST_NO_LDT, "0123456789012345678901234567890123", 34);
	return m;
}

static int64_t tok(int i)
{
	char k[32];

	snprintf(k, sizeof k, "%010d", i);
	return hl_token(k, 10);
}

static void test_index(void)
{
	st_table_layout l;
	st_memtable mt;
	hl_arena *a = hl_arena_new(4096);
	const int n = 150000;          /* 512 Ki slots: past the 2 MiB mapping size */
	char k[32];
	int bad = 0, order_bad = 0, back_bad = 0;
	int64_t prev = INT64_MIN;
	st_sl_node *last = NULL;
	size_t count = 0;

	layout_init(&l);
	st__mt_init(&mt, &l, 7);
	CHECK(st__mt_find(&mt, 1, (const uint8_t *)"x", 1) == NULL);
	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof k, "%010d", i);
		st__mt_apply(&mt, stress_row(a, k, tok(i), 1000 + i));
		if ((i & 1023) == 0)
			hl_arena_reset(a);
	}
	/* two keys on one token: both found, neither mistaken for the other */
	st__mt_apply(&mt, stress_row(a, "same-a", 42, 1));
	st__mt_apply(&mt, stress_row(a, "same-b", 42, 2));
	CHECK_EQ_I64(mt.parts.count, n + 2);
	CHECK_EQ_I64(mt.hcount, n + 2);
	CHECK(mt.hmapped);
	CHECK(mt.hcount * 2 <= mt.hmask + 1);
	for (int i = 0; i < n; i++) {
		mt_part *p;

		snprintf(k, sizeof k, "%010d", i);
		p = st__mt_find(&mt, tok(i), (const uint8_t *)k, 10);
		if (!p || p->token != tok(i) || p->keylen != 10 || memcmp(p->key, k, 10) != 0)
			bad++;
	}
	CHECK_EQ_I64(bad, 0);
	{
		mt_part *pa = st__mt_find(&mt, 42, (const uint8_t *)"same-a", 6);
		mt_part *pb = st__mt_find(&mt, 42, (const uint8_t *)"same-b", 6);

		CHECK(pa && pb && pa != pb);
		CHECK(st__mt_find(&mt, 42, (const uint8_t *)"same-c", 6) == NULL);
		CHECK(st__mt_find(&mt, 43, (const uint8_t *)"same-a", 6) == NULL);
		CHECK(st__mt_find(&mt, 42, (const uint8_t *)"same-", 5) == NULL);
	}
	/* an overwrite finds the partition: no new one, the newer value wins */
	snprintf(k, sizeof k, "%010d", 5);
	{
		st_mutation *m = st_mut_new(a, k, 10, tok(5));

		st_row_cell(st_mut_row(m, 0, NULL), 2, 999999, 0, ST_NO_LDT, "new", 3);
		st__mt_apply(&mt, m);
	}
	CHECK_EQ_I64(mt.parts.count, n + 2);
	{
		mt_part *p = st__mt_find(&mt, tok(5), (const uint8_t *)k, 10);
		mt_row *r = p ? st_sl_first(&p->rows)->item : NULL;

		CHECK(r && r->ncells == 5 && r->cells[2].len == 3 &&
		      memcmp(r->cells[2].value, "new", 3) == 0 && r->cells[2].ts == 999999);
		/* the new row's cell array was sized for its five cells at once */
		CHECK(r && r->capcells == 5);
	}
	/* the skip list still orders every partition (token, key), with the
	 * back links right, after its sentinel grew */
	for (st_sl_node *nd = st_sl_first(&mt.parts); nd; nd = nd->next[0]) {
		const mt_part *p = nd->item;

		if (p->token < prev)
			order_bad++;
		if (nd->prev != last)
			back_bad++;
		prev = p->token;
		last = nd;
		count++;
	}
	CHECK_EQ_I64(order_bad, 0);
	CHECK_EQ_I64(back_bad, 0);
	CHECK_EQ_I64(count, n + 2);
	CHECK(mt.parts.tail == last);
	CHECK(mt.parts.head->height >= mt.parts.height);
	/* memory of a one-row partition of five 34-byte cells (was ~1,250 B:
	 * a full-height row sentinel and a 4-cell array outgrown at once) */
	CHECK(st__mt_bytes(&mt) / (size_t)n < 1000);
	{
		long heights = 0;

		for (st_sl_node *nd = st_sl_first(&mt.parts); nd; nd = nd->next[0])
			heights += ((mt_part *)nd->item)->rows.head->height;
		CHECK(heights < 3L * (long)count);
	}
	printf("memtable: %zu bytes per stress partition\n", st__mt_bytes(&mt) / (size_t)n);

	/* reset empties the index too */
	st__mt_reset(&mt);
	CHECK(mt.hidx == NULL && mt.hcount == 0);
	snprintf(k, sizeof k, "%010d", 1);
	CHECK(st__mt_find(&mt, tok(1), (const uint8_t *)k, 10) == NULL);
	st__mt_apply(&mt, stress_row(a, k, tok(1), 1));
	CHECK(st__mt_find(&mt, tok(1), (const uint8_t *)k, 10) != NULL);
	st__mt_free_contents(&mt);
	CHECK(mt.hidx == NULL);
	hl_arena_free(a);
}

/* The skip list alone: ints in random order, sentinel growth mid-way. */
static int cmp_int(const void *item, const void *probe, void *ctx)
{
	int a = *(const int *)item, b = *(const int *)probe;

	(void)ctx;
	return a < b ? -1 : a > b;
}

static void *make_int(const void *probe, void *ctx)
{
	int *p = hl_arena_alloc(ctx, sizeof(int));

	*p = *(const int *)probe;
	return p;
}

static void test_skiplist(void)
{
	hl_arena *a = hl_arena_new(4096);
	uint64_t rng = 12345;
	st_sl sl;
	int prev = -1, bad = 0, n = 0;

	st_sl_init(&sl, a, &rng);
	CHECK(sl.head->height < ST_SL_MAX);
	for (int i = 0; i < 20000; i++) {
		int v = (int)(((unsigned)i * 7919u) % 20011u);   /* distinct: 20011 is prime */

		st_sl_upsert(&sl, &v, cmp_int, a, make_int);
		st_sl_upsert(&sl, &v, cmp_int, a, make_int);   /* a duplicate: found */
	}
	CHECK_EQ_I64(sl.count, 20000);
	for (st_sl_node *nd = st_sl_first(&sl); nd; nd = nd->next[0], n++) {
		int v = *(int *)nd->item;

		if (v <= prev || (nd->prev ? *(int *)nd->prev->item : -1) != prev)
			bad++;
		prev = v;
	}
	CHECK_EQ_I64(bad, 0);
	CHECK_EQ_I64(n, 20000);
	{
		int probe = 100, *got;
		st_sl_node *nd = st_sl_seek(&sl, &probe, cmp_int, NULL);

		got = nd ? nd->item : NULL;
		CHECK(got && *got >= 100);
		nd = st_sl_seek_before(&sl, &probe, cmp_int, NULL);
		CHECK(nd && *(int *)nd->item < 100);
	}
	hl_arena_free(a);
}

int main(void)
{
	test_skiplist();
	test_index();
	return T_DONE();
}
