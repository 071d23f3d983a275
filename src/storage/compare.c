/*
 * storage/compare.c: the orders storage relies on (partition position,
 * clustering, clustering bounds, cells within a row) and Cassandra 5.0's
 * conflict resolution between two versions of the same cell, row marker
 * or deletion.
 */
#include "storage/st_int.h"

#include <string.h>

int st__cmp_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	uint32_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/* Partitions sort by token (signed, Murmur3Partitioner), then by key bytes
 * unsigned, as Cassandra's DecoratedKey. */
int st__cmp_part(const void *item, const void *probe, void *ctx)
{
	const mt_part *p = item;
	const st_pkey *k = probe;

	(void)ctx;
	if (p->token != k->token)
		return p->token < k->token ? -1 : 1;
	return st__cmp_bytes(p->key, p->keylen, k->key, k->keylen);
}

int st__cmp_values(const st_table_layout *l, const st_bytes *a, const st_bytes *b, int n)
{
	for (int i = 0; i < n; i++) {
		int c = ty_compare(l->clust[i].type, a[i].p, a[i].len, b[i].p, b[i].len);

		if (c) {
			c = c < 0 ? -1 : 1;
			return l->clust[i].reversed ? -c : c;
		}
	}
	return 0;
}

/*
 * Where a bound sits relative to the rows that share its prefix (Cassandra's
 * Kind.comparedToClustering): an inclusive start or exclusive end sits
 * before them, an exclusive start or inclusive end after them. The empty
 * prefix is bottom (as a start) or top (as an end) when inclusive.
 */
static int bound_dir(const st_bound *b, bool is_end)
{
	if (is_end)
		return b->inclusive ? 1 : -1;
	return b->inclusive ? -1 : 1;
}

int st__cmp_row_bound(const st_table_layout *l, const st_bytes *row, const st_bound *b,
		      bool is_end)
{
	int c = st__cmp_values(l, row, b->vals, b->n);

	return c ? c : -bound_dir(b, is_end);
}

int st__cmp_bounds(const st_table_layout *l, const st_bound *a, bool a_end, const st_bound *b,
		   bool b_end)
{
	int n = a->n < b->n ? a->n : b->n;
	int c = st__cmp_values(l, a->vals, b->vals, n);
	int da, db;

	if (c)
		return c;
	da = bound_dir(a, a_end);
	db = bound_dir(b, b_end);
	if (a->n == b->n)
		return da < db ? -1 : da > db;
	/* The shorter prefix brackets every clustering the longer one names. */
	return a->n < b->n ? da : -db;
}

int st__cmp_cell_key(const st_table_layout *l, int col_a, const uint8_t *pa, uint32_t pan,
		     int col_b, const uint8_t *pb, uint32_t pbn)
{
	const ty_type *pt;
	int c;

	if (col_a != col_b)
		return col_a < col_b ? -1 : 1;
	if (!pa || !pb)
		return pa ? 1 : pb ? -1 : 0;
	pt = col_a < l->ncols ? l->cols[col_a].path_type : NULL;
	if (!pt)
		return st__cmp_bytes(pa, pan, pb, pbn);
	c = ty_compare(pt, pa, pan, pb, pbn);
	return c < 0 ? -1 : c > 0;
}

int st__cmp_row_item(const void *item, const void *probe, void *ctx)
{
	const st_table_layout *l = ctx;

	return st__cmp_values(l, ((const mt_row *)item)->clust, probe, l->nclust);
}

int st__cmp_row_bitem(const void *item, const void *probe, void *ctx)
{
	const st_bound_probe *bp = probe;

	return st__cmp_row_bound(ctx, ((const mt_row *)item)->clust, bp->b, bp->is_end);
}

/*
 * Cassandra 5.0's rule for two versions of one regular cell (Cells.reconcile,
 * non-counter), restated:
 *  1. the higher write timestamp wins;
 *  2. on equal timestamps, a cell carrying a local deletion time (tombstone
 *     or expiring) beats a plain live one, so the outcome never depends on
 *     the clock at merge time (CASSANDRA-14592);
 *  3. if both carry one, a tombstone beats an expiring cell;
 *  4. then the later local deletion / expiration time wins;
 *  5. finally the greater value as unsigned bytes wins; on full equality the
 *     existing cell stays.
 */
bool st__cell_wins(int64_t uts, int32_t uttl, int64_t uldt, const uint8_t *uv, uint32_t ulen,
		   int64_t ets, int32_t ettl, int64_t eldt, const uint8_t *ev, uint32_t elen)
{
	bool u_del = uldt != ST_NO_LDT, e_del = eldt != ST_NO_LDT;

	if (uts != ets)
		return uts > ets;
	if (u_del || e_del) {
		if (u_del != e_del)
			return u_del;
		if ((uttl == 0) != (ettl == 0))
			return uttl == 0;
		if (uldt != eldt)
			return uldt > eldt;
	}
	return st__cmp_bytes(uv, ulen, ev, elen) > 0;
}

/*
 * LivenessInfo.supersedes without the materialized-view "expired liveness"
 * case: higher timestamp; on a tie an expiring marker beats a permanent one
 * and of two expiring markers the later expiration wins.
 */
bool st__liveness_supersedes(const st_liveness *a, const st_liveness *b)
{
	bool ae = a->ttl > 0, be = b->ttl > 0;

	if (a->ts != b->ts)
		return a->ts > b->ts;
	if (ae != be)
		return ae;
	return ae && a->expire > b->expire;
}

/* DeletionTime.supersedes: higher timestamp, then later local deletion time. */
bool st__deletion_supersedes(const st_deletion *a, const st_deletion *b)
{
	return a->ts > b->ts || (a->ts == b->ts && a->ldt > b->ldt);
}
