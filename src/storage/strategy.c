/*
 * storage/strategy.c: which SSTables a table compacts next -- Cassandra's
 * three strategies, chosen per table by its compaction map:
 *
 * - SizeTieredCompactionStrategy (default): files of similar size are
 *   bucketed; the first bucket of min_threshold files is merged.
 * - LeveledCompactionStrategy: L0 holds flushed and imported files; levels
 *   1..8 hold files of about sstable_size_in_mb whose token spans never
 *   overlap within a level, level L holding up to fanout^L x sstable_size
 *   bytes. Differences from Cassandra, on purpose (simpler, still correct
 *   leveling): an over-full level compacts one file (round robin over the
 *   token ring) with every overlapping file of the next level, as Cassandra
 *   does, but without its "starved level" bookkeeping or single-SSTable
 *   uplevel; L0 goes up to L1 with all the L1 files its span overlaps once
 *   it holds min_threshold files (beyond 32 it is first size-tiered within
 *   L0, as Cassandra); a file's span is read from its Summary.db (first and
 *   last key), and leveled files found overlapping at load, or without a
 *   summary, are treated as L0 (Cassandra re-levels them the same way).
 *   Sizes are uncompressed Data.db bytes.
 * - TimeWindowCompactionStrategy: files are grouped by the window
 *   (compaction_window_unit x size) of their newest write timestamp; the
 *   newest window is size-tiered, each older window is merged into one file
 *   once it has two; a file whose every cell and tombstone expired before
 *   gc_grace_seconds ago is deleted whole when no other file or memtable
 *   holds data older than its newest (so it shadows nothing still
 *   there: Cassandra's getFullyExpiredSSTables with overlap checks against
 *   all files, not only overlapping ones).
 *
 * One compaction per table at a time; everything here runs on the shard
 * thread and only queues work (bg.c), except unlinking expired files.
 */
#include "storage/st_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LCS_LEVELS 9            /* L0..L8, as Cassandra */
#define LCS_L0_STCS 32          /* Cassandra's MAX_COMPACTING_L0 */

static int cmp_size(const void *a, const void *b)
{
	const st_sst *x = *(st_sst *const *)a, *y = *(st_sst *const *)b;

	return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

static int min_thr(const st_engine *e, const st_table *t)
{
	int m = t->layout.compaction.min_threshold;

	return m >= 2 ? m : e->opts.compaction_min;
}

static int max_thr(const st_engine *e, const st_table *t)
{
	int m = t->layout.compaction.max_threshold;
	int lo = min_thr(e, t);

	if (m < 2)
		m = e->opts.compaction_max;
	return m < lo ? lo : m;
}

/*
 * SizeTieredCompactionStrategy's bucketing with its defaults: files are
 * sorted by size; a file joins the current bucket when its size is within
 * [0.5, 1.5] of the bucket's average, or when both are under 50 MiB
 * (min_sstable_size). Returns the start of the first bucket with at least
 * min files (sorting v), and its length capped at max in *nb; -1: none.
 */
static int stcs_bucket(st_sst **v, int n, int min, int max, int *nb)
{
	int start = 0;
	double avg = 0;
	const uint64_t small = (uint64_t)50 << 20;

	qsort(v, (size_t)n, sizeof(*v), cmp_size);
	for (int i = 0; i <= n; i++) {
		bool fits = i < n && i > start &&
			(((double)v[i]->bytes >= avg * 0.5 && (double)v[i]->bytes <= avg * 1.5) ||
			 (v[i]->bytes < small && avg < (double)small));

		if (i < n && (i == start || fits)) {
			avg = (avg * (i - start) + (double)v[i]->bytes) / (i - start + 1);
			continue;
		}
		if (i - start >= min) {
			*nb = i - start > max ? max : i - start;
			return start;
		}
		start = i;
		avg = i < n ? (double)v[i]->bytes : 0;
	}
	return -1;
}

/* The files not being compacted. */
static st_sst **idle_files(st_table *t, int *n)
{
	st_sst **v = hl_malloc(sizeof(*v) * (size_t)(t->nssts + 1));

	*n = 0;
	for (st_sst *s = t->ssts; s; s = s->next)
		if (!s->compacting)
			v[(*n)++] = s;
	return v;
}

static void stcs_pick(st_engine *e, st_table *t)
{
	int n, nb, start;
	st_sst **v;

	if (t->nssts < min_thr(e, t))
		return;
	v = idle_files(t, &n);
	start = stcs_bucket(v, n, min_thr(e, t), max_thr(e, t), &nb);
	if (start >= 0)
		st__queue_compact(e, t, v + start, nb, 0, 0);
	free(v);
}

/* ------------------------------------------------------------ leveled */

static uint64_t lcs_size(const st_table *t)
{
	return t->layout.compaction.sstable_size ? t->layout.compaction.sstable_size
						 : (uint64_t)160 << 20;
}

static int lcs_fanout(const st_table *t)
{
	return t->layout.compaction.fanout > 1 ? t->layout.compaction.fanout : 10;
}

static bool overlaps(const st_sst *a, const st_sst *b)
{
	if (!a->has_span || !b->has_span)
		return true;
	return a->first_tok <= b->last_tok && b->first_tok <= a->last_tok;
}

static int cmp_first(const void *a, const void *b)
{
	const st_sst *x = *(st_sst *const *)a, *y = *(st_sst *const *)b;

	if (x->first_tok != y->first_tok)
		return x->first_tok < y->first_tok ? -1 : 1;
	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

/* Levels read from files (a restart, an older layout) are trusted only if
 * they hold: a file without a span, or overlapping a file of its level
 * that sorts before it, goes back to L0. */
static void lcs_verify(st_table *t)
{
	st_sst **v = hl_malloc(sizeof(*v) * (size_t)(t->nssts + 1));

	for (int l = 1; l < LCS_LEVELS; l++) {
		int n = 0;

		for (st_sst *s = t->ssts; s; s = s->next) {
			if (s->level >= LCS_LEVELS)
				s->level = LCS_LEVELS - 1;
			if (s->level == l && !s->has_span)
				s->level = 0;
			if (s->level == l)
				v[n++] = s;
		}
		qsort(v, (size_t)n, sizeof(*v), cmp_first);
		for (int i = 1, keep = 0; i < n; i++) {
			if (v[i]->first_tok <= v[keep]->last_tok)
				v[i]->level = 0;
			else
				keep = i;
		}
	}
	free(v);
	t->lcs_checked = true;
}

static void lcs_pick(st_engine *e, st_table *t)
{
	uint64_t size = lcs_size(t);
	int fan = lcs_fanout(t);
	uint64_t bytes[LCS_LEVELS] = { 0 };
	int count[LCS_LEVELS] = { 0 };
	st_sst **v, **in;
	int n, nin = 0;

	if (!t->lcs_checked)
		lcs_verify(t);
	v = idle_files(t, &n);
	in = hl_malloc(sizeof(*in) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		bytes[v[i]->level] += v[i]->bytes;
		count[v[i]->level]++;
	}
	/* Cassandra: with L0 far behind, size-tier inside L0 first (the
	 * output stays in L0) so reads do not degrade while it catches up. */
	if (count[0] > LCS_L0_STCS) {
		int m = 0, nb, start;

		for (int i = 0; i < n; i++)
			if (v[i]->level == 0)
				in[m++] = v[i];
		start = stcs_bucket(in, m, min_thr(e, t), max_thr(e, t), &nb);
		if (start >= 0) {
			st__queue_compact(e, t, in + start, nb, 0, 0);
			goto out;
		}
	}
	/* The highest over-full level first, as Cassandra's scores. */
	for (int l = LCS_LEVELS - 2; l >= 1; l--) {
		double max = (double)size;
		const st_sst *pick = NULL;

		for (int k = 0; k < l; k++)
			max *= fan;
		if (count[l] == 0 || (double)bytes[l] <= max * 1.001)
			continue;
		/* Round robin over the ring: the first file past the last one
		 * compacted from this level. */
		for (int i = 0; i < n; i++)
			if (v[i]->level == l && v[i]->first_tok > t->lcs_cursor[l] &&
			    (!pick || v[i]->first_tok < pick->first_tok))
				pick = v[i];
		for (int i = 0; i < n && !pick; i++)
			if (v[i]->level == l && (!pick || v[i]->first_tok < pick->first_tok))
				pick = v[i];
		t->lcs_cursor[l] = pick->last_tok;
		in[nin++] = (st_sst *)pick;
		for (int i = 0; i < n; i++)
			if (v[i]->level == l + 1 && overlaps(v[i], pick))
				in[nin++] = v[i];
		st__queue_compact(e, t, in, nin, l + 1, size);
		goto out;
	}
	if (count[0] >= min_thr(e, t)) {
		st_sst lo = { 0 };
		int cap = max_thr(e, t);

		/* The oldest L0 files (flush order), then every L1 file their
		 * combined span overlaps: the L1 files left out lie wholly
		 * outside it, so the outputs cannot overlap them. */
		lo.has_span = true;
		lo.first_tok = INT64_MAX;
		lo.last_tok = INT64_MIN;
		for (int i = n - 1; i >= 0 && nin < cap; i--) {
			if (v[i]->level != 0)
				continue;
			in[nin++] = v[i];
			if (!v[i]->has_span) {
				lo.has_span = false;
			} else {
				if (v[i]->first_tok < lo.first_tok)
					lo.first_tok = v[i]->first_tok;
				if (v[i]->last_tok > lo.last_tok)
					lo.last_tok = v[i]->last_tok;
			}
		}
		for (int i = 0; i < n; i++)
			if (v[i]->level == 1 && overlaps(v[i], &lo))
				in[nin++] = v[i];
		st__queue_compact(e, t, in, nin, 1, size);
	}
out:
	free(in);
	free(v);
}

/* ------------------------------------------------------------ time window */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t twcs_window(const st_sst *s, int64_t win)
{
	int64_t sec = floor_div(s->max_ts, 1000000);

	return floor_div(sec, win) * win;
}

/* Delete the files that hold only data expired past gc grace and shadow
 * nothing elsewhere. Returns how many went. */
static int twcs_drop_expired(st_engine *e, st_table *t)
{
	int64_t grace = t->layout.has_gc_grace ? t->layout.gc_grace_seconds : 864000;
	int64_t gc_before = (int64_t)time(NULL) - grace;
	int64_t min_other = t->mt->min_ts;
	int dropped = 0;

	(void)e;
	for (st_memtable *f = t->frozen; f; f = f->next)
		if (!f->flushed && f->min_ts < min_other)
			min_other = f->min_ts;
	for (const st_sst *s = t->ssts; s; s = s->next)
		if (s->compacting || s->max_ldt >= gc_before)
			if (s->min_ts < min_other)
				min_other = s->min_ts;
	for (st_sst **pp = &t->ssts; *pp;) {
		st_sst *s = *pp;

		if (s->compacting || s->max_ldt >= gc_before || s->max_ts >= min_other) {
			pp = &s->next;
			continue;
		}
		hl_info("storage: %s.%s: dropping fully expired sstable %s", t->ks, t->name, s->base);
		*pp = s->next;
		t->nssts--;
		st__sst_unlink(t->dir, s->base);
		st__sst_free(s);
		dropped++;
	}
	return dropped;
}

static int cmp_window_desc(const void *a, const void *b, int64_t win)
{
	int64_t x = twcs_window(*(st_sst *const *)a, win), y = twcs_window(*(st_sst *const *)b, win);

	return x > y ? -1 : x < y;
}

static void twcs_pick(st_engine *e, st_table *t)
{
	int64_t win = t->layout.compaction.window_seconds > 0 ? t->layout.compaction.window_seconds
							       : 86400;
	st_sst **v;
	int n;

	twcs_drop_expired(e, t);
	v = idle_files(t, &n);
	/* Newest window first (insertion sort: few files, and qsort has no
	 * context argument for the window). */
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && cmp_window_desc(&v[k - 1], &v[k], win) > 0; k--) {
			st_sst *x = v[k];

			v[k] = v[k - 1];
			v[k - 1] = x;
		}
	for (int i = 0; i < n;) {
		int k = i, nb, start;

		while (k < n && twcs_window(v[k], win) == twcs_window(v[i], win))
			k++;
		if (i == 0) {
			/* The window being written to: size-tiered. */
			start = stcs_bucket(v, k, min_thr(e, t), max_thr(e, t), &nb);
			if (start >= 0) {
				st__queue_compact(e, t, v + start, nb, 0, 0);
				break;
			}
		} else if (k - i >= 2) {
			/* A closed window becomes one file (the smallest
			 * max_threshold of them when there are more). */
			int m = k - i;

			qsort(v + i, (size_t)m, sizeof(*v), cmp_size);
			st__queue_compact(e, t, v + i, m > max_thr(e, t) ? max_thr(e, t) : m, 0, 0);
			break;
		}
		i = k;
	}
	free(v);
}

/* ------------------------------------------------------------ entry */

void st__pick_compaction(st_engine *e, st_table *t)
{
	if (!t->dir || t->compacting || e->opts.no_auto_compaction || t->layout.compaction.disabled)
		return;
	switch (t->layout.compaction.kind) {
	case ST_COMPACTION_LCS:
		lcs_pick(e, t);
		break;
	case ST_COMPACTION_TWCS:
		twcs_pick(e, t);
		break;
	default:
		stcs_pick(e, t);
		break;
	}
}

/* ------------------------------------------------------------ options */

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return false;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return false;
	*out = v;
	return true;
}

/* The class as Cassandra accepts it: short name or any package prefix. */
static bool class_is(const char *cls, const char *name)
{
	size_t cl = strlen(cls), nl = strlen(name);

	return cl >= nl && strcmp(cls + cl - nl, name) == 0 &&
		(cl == nl || cls[cl - nl - 1] == '.');
}

void st_compaction_parse(int n, const char *const *keys, const char *const *values,
			 st_compaction *out)
{
	int64_t unit = 86400, size = 1, v;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		const char *k = keys[i], *val = values[i];

		if (!k || !val)
			continue;
		if (!strcmp(k, "class")) {
			if (class_is(val, "LeveledCompactionStrategy"))
				out->kind = ST_COMPACTION_LCS;
			else if (class_is(val, "TimeWindowCompactionStrategy"))
				out->kind = ST_COMPACTION_TWCS;
			else
				out->kind = ST_COMPACTION_STCS;
		} else if (!strcmp(k, "enabled")) {
			out->disabled = !strcmp(val, "false");
		} else if (!strcmp(k, "min_threshold") && parse_i64(val, &v) && v <= 1000000) {
			out->min_threshold = (int)v;
		} else if (!strcmp(k, "max_threshold") && parse_i64(val, &v) && v <= 1000000) {
			out->max_threshold = (int)v;
		} else if (!strcmp(k, "sstable_size_in_mb") && parse_i64(val, &v) && v > 0 &&
			   v < ((int64_t)1 << 40)) {
			out->sstable_size = (uint64_t)v << 20;
		} else if (!strcmp(k, "fanout_size") && parse_i64(val, &v) && v > 1 && v <= 1000) {
			out->fanout = (int)v;
		} else if (!strcmp(k, "compaction_window_unit")) {
			if (!strcmp(val, "MINUTES"))
				unit = 60;
			else if (!strcmp(val, "HOURS"))
				unit = 3600;
			else if (!strcmp(val, "DAYS"))
				unit = 86400;
		} else if (!strcmp(k, "compaction_window_size") && parse_i64(val, &v) && v > 0 &&
			   v < ((int64_t)1 << 30)) {
			size = v;
		}
	}
	if (out->kind == ST_COMPACTION_TWCS)
		out->window_seconds = unit * size;
}
