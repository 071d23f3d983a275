/*
 * tools/sst_tool_dump.c: `helenus sstable dump`, Cassandra's sstabledump.
 * Partitions come from the sstable reader (sst_next_partition, or
 * sst_get_partition for -k); what the mutation form does not keep -- the
 * Data.db offset of each row and which range tombstone markers were
 * boundaries -- comes from walking the partition's raw bytes alongside
 * (sstt_walk). JSON field names, nesting, value rendering (toJSONString
 * forms from ty_to_json) and time formatting (java.time.Instant) follow
 * sstabledump; the pretty printing follows Jackson's layout with
 * sstabledump's compact indenter, "key" : [ ... ] style.
 *
 * Positions: a partition's is its Data.db offset; a row's is the offset
 * where the row starts. (sstabledump prints the scanner's read position,
 * which depends on its buffering; the start offset is the stable meaning.)
 */
#include "tools/sst_tool_int.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------ JSON emitter */

enum { J_PRETTY, J_MINIMAL };

typedef struct jlevel {
	bool compact;
	int count;
	bool is_obj;
} jlevel;

typedef struct jw {
	hl_buf *b;
	int mode;
	int depth;
	jlevel lv[32];
	bool after_key;
} jw;

static void j_indent(jw *j, int level)
{
	if (j->mode == J_MINIMAL)
		return;
	if (j->depth > 0 && j->lv[j->depth - 1].compact) {
		hl_buf_u8(j->b, ' ');
		return;
	}
	hl_buf_u8(j->b, '\n');
	for (int i = 0; i < level; i++)
		hl_buf_str(j->b, "  ");
}

/* Before any value: the separator and indentation (unless after a key). */
static void j_pre(jw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->lv[j->depth - 1].count++ > 0)
		hl_buf_u8(j->b, ',');
	j_indent(j, j->depth);
}

static void j_open(jw *j, char c, bool compact)
{
	j_pre(j);
	hl_buf_u8(j->b, (uint8_t)c);
	if (j->depth < 31) {
		bool parent_compact = j->depth > 0 && j->lv[j->depth - 1].compact;

		j->lv[j->depth].compact = compact || parent_compact;
		j->lv[j->depth].count = 0;
		j->lv[j->depth].is_obj = c == '{';
		j->depth++;
	}
}

static void j_close(jw *j, char c)
{
	jlevel *l = &j->lv[j->depth - 1];

	if (j->mode == J_PRETTY) {
		if (l->count == 0) {
			hl_buf_u8(j->b, ' ');
		} else if (l->compact) {
			hl_buf_u8(j->b, ' ');
		} else {
			hl_buf_u8(j->b, '\n');
			for (int i = 0; i < j->depth - 1; i++)
				hl_buf_str(j->b, "  ");
		}
	}
	hl_buf_u8(j->b, (uint8_t)c);
	j->depth--;
}

static void j_key(jw *j, const char *k)
{
	j_pre(j);
	hl_json_string(j->b, k, strlen(k));
	hl_buf_str(j->b, j->mode == J_PRETTY ? " : " : ":");
	j->after_key = true;
}

static void j_str(jw *j, const char *s, size_t n)
{
	j_pre(j);
	hl_json_string(j->b, s, n);
}

static void j_raw(jw *j, const char *s, size_t n)
{
	j_pre(j);
	hl_buf_put(j->b, s, n);
}

static void j_int(jw *j, int64_t v)
{
	j_pre(j);
	hl_buf_printf(j->b, "%lld", (long long)v);
}

/* ------------------------------------------------------------ context */

typedef struct kset {
	int n;
	hl_buf *keys;
	char **text;
} kset;

typedef struct dctx {
	sstt_path path;
	sst_reader *r;
	const sst_meta *m;
	sstt_keytype kt;
	hl_arena *meta_arena;
	bool raw_ts, lines, debug, enumerate;
	int64_t now;
	sstt_layout L;
	int maxcol;
	const sst_hdr_col **by_index;    /* storage index -> header column */
	hl_buf out;
	hl_buf tmp;
	FILE *f;
} dctx;

static void flush_out(dctx *c)
{
	if (c->out.len) {
		fwrite(c->out.p, 1, c->out.len, c->f);
		hl_buf_reset(&c->out);
	}
}

static void time_str(dctx *c, int64_t t, int64_t per_second, hl_buf *out)
{
	if (c->raw_ts)
		hl_buf_printf(out, "%lld", (long long)t);
	else
		sstt_instant(t, per_second, out);
}

static void j_time(dctx *c, jw *j, const char *key, int64_t t, int64_t per_second)
{
	hl_buf_reset(&c->tmp);
	time_str(c, t, per_second, &c->tmp);
	j_key(j, key);
	j_str(j, (const char *)c->tmp.p, c->tmp.len);
}

static void j_deletion(dctx *c, jw *j, const st_deletion *d)
{
	j_key(j, "deletion_info");
	j_open(j, '{', true);
	j_time(c, j, "marked_deleted", d->ts, 1000000);
	j_time(c, j, "local_delete_time", d->ldt, 1);
	j_close(j, '}');
}

/* A value as toJSONString prints it (raw JSON). */
static void j_value(dctx *c, jw *j, const ty_type *t, const uint8_t *p, size_t n)
{
	hl_buf_reset(&c->tmp);
	if (t->kind == TY_COUNTER && n == 8) {
		hl_buf_printf(&c->tmp, "%lld", (long long)ty_get_bigint(p, n));
	} else if (ty_to_json(t, p, n, &c->tmp)) {
		hl_buf_reset(&c->tmp);
		hl_buf_str(&c->tmp, "\"0x");
		sstt_hex(p, n, &c->tmp);
		hl_buf_u8(&c->tmp, '"');
	}
	j_raw(j, (const char *)c->tmp.p, c->tmp.len);
}

static void j_clustering(dctx *c, jw *j, int n, const st_bytes *v)
{
	if (n <= 0)
		return;
	j_key(j, "clustering");
	j_open(j, '[', true);
	for (int i = 0; i < c->m->nclust; i++) {
		if (i >= n)
			j_str(j, "*", 1);
		else
			j_value(c, j, c->m->clust[i].type, v[i].p, v[i].len);
	}
	j_close(j, ']');
}

/* The type of a complex cell's value and the text of its path. */
static const ty_type *complex_cell(const ty_type *t, const st_cell *cell, hl_buf *path)
{
	switch (t->kind) {
	case TY_LIST:
		sstt_value_string(ty_simple(TY_TIMEUUID), cell->path, cell->path_len, path);
		return t->sub[0];
	case TY_SET:
		sstt_value_string(t->sub[0], cell->path, cell->path_len, path);
		return NULL;   /* EmptyType */
	case TY_MAP:
		sstt_value_string(t->sub[0], cell->path, cell->path_len, path);
		return t->sub[1];
	case TY_UDT:
		if (cell->path_len == 2) {
			int fi = cell->path[0] << 8 | cell->path[1];

			if (fi < t->nsub) {
				hl_buf_str(path, t->field_names[fi]);
				return t->sub[fi];
			}
		}
		/* fall through */
	default:
		sstt_hex(cell->path, cell->path_len, path);
		return ty_simple(TY_BLOB);
	}
}

static void j_cell(dctx *c, jw *j, const sst_hdr_col *hc, const st_cell *cell, const st_liveness *lv)
{
	const ty_type *vt = hc->type;
	bool has_lv = lv->ts != ST_NO_TS;

	j_open(j, '{', true);
	j_key(j, "name");
	j_str(j, hc->name, hc->name_len);
	if (hc->complex) {
		hl_buf path;

		hl_buf_init(&path);
		vt = complex_cell(hc->type, cell, &path);
		j_key(j, "path");
		j_open(j, '[', true);
		j_str(j, (const char *)path.p, path.len);
		j_close(j, ']');
		hl_buf_free(&path);
	}
	if (st_cell_is_tombstone(cell)) {
		j_key(j, "deletion_info");
		j_open(j, '{', true);
		j_time(c, j, "local_delete_time", cell->ldt, 1);
		j_close(j, '}');
	} else {
		j_key(j, "value");
		if (vt)
			j_value(c, j, vt, cell->value, cell->len);
		else
			j_str(j, "", 0);
	}
	if (!has_lv || cell->ts != lv->ts)
		j_time(c, j, "tstamp", cell->ts, 1000000);
	if (cell->ttl > 0 && (!has_lv || cell->ttl != lv->ttl)) {
		j_key(j, "ttl");
		j_int(j, cell->ttl);
		j_time(c, j, "expires_at", cell->ldt, 1);
		j_key(j, "expired");
		j_raw(j, cell->ldt <= c->now ? "true" : "false", cell->ldt <= c->now ? 4 : 5);
	}
	j_close(j, '}');
}

static void j_cells(dctx *c, jw *j, const st_mrow *row, bool is_static)
{
	int n = is_static ? c->m->nstatic : c->m->nregular;
	const sst_hdr_col *cols = is_static ? c->m->statics : c->m->regulars;

	j_key(j, "cells");
	j_open(j, '[', false);
	for (int i = 0; i < n; i++) {
		const sst_hdr_col *hc = &cols[i];

		if (hc->index < 0)
			continue;
		for (const st_complex_del *cd = row->cdels; cd; cd = cd->next) {
			if (cd->col != hc->index)
				continue;
			j_open(j, '{', true);
			j_key(j, "name");
			j_str(j, hc->name, hc->name_len);
			j_deletion(c, j, &cd->del);
			j_close(j, '}');
		}
		for (const st_cell *cell = row->cells; cell; cell = cell->next)
			if (cell->col == hc->index)
				j_cell(c, j, hc, cell, &row->marker);
	}
	j_close(j, ']');
}

static void j_row(dctx *c, jw *j, const st_mrow *row, bool is_static, bool has_pos, uint64_t pos)
{
	j_open(j, '{', false);
	j_key(j, "type");
	j_str(j, is_static ? "static_block" : "row", is_static ? 12 : 3);
	if (has_pos) {
		j_key(j, "position");
		j_int(j, (int64_t)pos);
	}
	if (!is_static)
		j_clustering(c, j, row->nclust, row->clust);
	if (row->marker.ts != ST_NO_TS) {
		j_key(j, "liveness_info");
		j_open(j, '{', true);
		j_time(c, j, "tstamp", row->marker.ts, 1000000);
		if (row->marker.ttl > 0) {
			j_key(j, "ttl");
			j_int(j, row->marker.ttl);
			j_time(c, j, "expires_at", row->marker.expire, 1);
			j_key(j, "expired");
			j_raw(j, row->marker.expire < c->now ? "true" : "false",
			      row->marker.expire < c->now ? 4 : 5);
		}
		j_close(j, '}');
	}
	if (row->del.ts != ST_NO_TS)
		j_deletion(c, j, &row->del);
	j_cells(c, j, row, is_static);
	j_close(j, '}');
}

static void j_bound(dctx *c, jw *j, bool start, const st_bound *b, const st_deletion *d)
{
	j_key(j, start ? "start" : "end");
	j_open(j, '{', false);
	j_key(j, "type");
	j_str(j, b->inclusive ? "inclusive" : "exclusive", b->inclusive ? 9 : 9);
	j_clustering(c, j, b->n, b->vals);
	j_deletion(c, j, d);
	j_close(j, '}');
}

static void j_marker(dctx *c, jw *j, const st_range_tomb *open, const st_range_tomb *close,
		     bool boundary)
{
	j_open(j, '{', false);
	j_key(j, "type");
	if (boundary) {
		j_str(j, "range_tombstone_boundary", 24);
		j_bound(c, j, true, &open->start, &open->del);
		j_bound(c, j, false, &close->end, &close->del);
	} else {
		j_str(j, "range_tombstone_bound", 21);
		if (open)
			j_bound(c, j, true, &open->start, &open->del);
		else
			j_bound(c, j, false, &close->end, &close->del);
	}
	j_close(j, '}');
}

/* ------------------------------------------------------------ debug text */

static void d_liveness(const st_liveness *lv, hl_buf *b)
{
	if (lv->ts != ST_NO_TS && lv->ttl > 0)
		hl_buf_printf(b, "[ts=%lld ttl=%d, let=%lld]", (long long)lv->ts, lv->ttl,
			      (long long)lv->expire);
	else
		hl_buf_printf(b, "[ts=%lld]", (long long)lv->ts);
}

static void d_deletion(const st_deletion *d, hl_buf *b)
{
	hl_buf_printf(b, "deletedAt=%lld, localDeletion=%lld", (long long)d->ts, (long long)d->ldt);
}

static void d_cell_info(const st_cell *cell, hl_buf *b)
{
	if (cell->ttl > 0)
		hl_buf_printf(b, "ts=%lld ttl=%d ldt=%lld", (long long)cell->ts, cell->ttl,
			      (long long)cell->ldt);
	else if (st_cell_is_tombstone(cell))
		hl_buf_printf(b, "ts=%lld ldt=%lld", (long long)cell->ts, (long long)cell->ldt);
	else
		hl_buf_printf(b, "ts=%lld", (long long)cell->ts);
}

static void d_row(dctx *c, const st_mrow *row, bool is_static, hl_buf *b)
{
	int n = is_static ? c->m->nstatic : c->m->nregular;
	const sst_hdr_col *cols = is_static ? c->m->statics : c->m->regulars;
	bool first = true;

	hl_buf_str(b, "Row[info=");
	d_liveness(&row->marker, b);
	if (row->del.ts != ST_NO_TS) {
		hl_buf_str(b, " del=");
		d_deletion(&row->del, b);
	}
	hl_buf_str(b, " ]: ");
	if (is_static) {
		hl_buf_str(b, "STATIC");
	} else {
		for (int i = 0; i < row->nclust; i++) {
			if (i)
				hl_buf_str(b, ", ");
			if (ty_to_cql(c->m->clust[i].type, row->clust[i].p, row->clust[i].len, b))
				sstt_hex(row->clust[i].p, row->clust[i].len, b);
		}
	}
	hl_buf_str(b, " | ");
	for (int i = 0; i < n; i++) {
		const sst_hdr_col *hc = &cols[i];
		bool any = false;

		if (hc->index < 0)
			continue;
		for (const st_complex_del *cd = row->cdels; cd; cd = cd->next)
			any |= cd->col == hc->index;
		for (const st_cell *cell = row->cells; cell && !any; cell = cell->next)
			any |= cell->col == hc->index;
		if (!any)
			continue;
		if (!first)
			hl_buf_str(b, ", ");
		first = false;
		if (hc->complex) {
			for (const st_complex_del *cd = row->cdels; cd; cd = cd->next) {
				if (cd->col != hc->index)
					continue;
				hl_buf_printf(b, "del(%s)=", hc->name);
				d_deletion(&cd->del, b);
			}
			for (const st_cell *cell = row->cells; cell; cell = cell->next) {
				const ty_type *vt;
				hl_buf path;

				if (cell->col != hc->index)
					continue;
				hl_buf_init(&path);
				vt = complex_cell(hc->type, cell, &path);
				hl_buf_printf(b, ", [%s[%.*s]=", hc->name, (int)path.len, (const char *)path.p);
				if (vt && !st_cell_is_tombstone(cell))
					sstt_value_string(vt, cell->value, cell->len, b);
				hl_buf_u8(b, ' ');
				d_cell_info(cell, b);
				hl_buf_u8(b, ']');
				hl_buf_free(&path);
			}
			continue;
		}
		for (const st_cell *cell = row->cells; cell; cell = cell->next) {
			if (cell->col != hc->index)
				continue;
			if (hc->type->kind == TY_COUNTER && !st_cell_is_tombstone(cell)) {
				hl_buf_printf(b, "[%s=%lld ts=%lld]", hc->name,
					      (long long)ty_get_bigint(cell->value, cell->len),
					      (long long)cell->ts);
				continue;
			}
			hl_buf_printf(b, "[%s=", hc->name);
			if (st_cell_is_tombstone(cell))
				hl_buf_str(b, "<tombstone>");
			else
				sstt_value_string(hc->type, cell->value, cell->len, b);
			hl_buf_u8(b, ' ');
			d_cell_info(cell, b);
			hl_buf_u8(b, ']');
		}
	}
}

static const char *const kind_names[] = {
	"EXCL_END_BOUND", "INCL_START_BOUND", "EXCL_END_INCL_START_BOUNDARY", "STATIC_CLUSTERING",
	"CLUSTERING", "INCL_END_EXCL_START_BOUNDARY", "INCL_END_BOUND", "EXCL_START_BOUND",
};

static void d_bound(dctx *c, int kind, const st_bound *b, hl_buf *out)
{
	hl_buf_printf(out, "%s(", kind_names[kind & 7]);
	for (int i = 0; i < b->n; i++) {
		if (i)
			hl_buf_str(out, ", ");
		sstt_value_string(c->m->clust[i].type, b->vals[i].p, b->vals[i].len, out);
	}
	hl_buf_u8(out, ')');
}

/* ------------------------------------------------------------ partitions */

static bool kset_has(const kset *s, const uint8_t *k, size_t n)
{
	for (int i = 0; i < s->n; i++)
		if (s->keys[i].len == n && memcmp(s->keys[i].p, k, n) == 0)
			return true;
	return false;
}

/* The kind of a marker from the walk, or a guess when the walk is unusable. */
static int bound_kind(bool start, const st_bound *b)
{
	if (start)
		return b->inclusive ? 1 : 7;
	return b->inclusive ? 6 : 0;
}

static int emit_partition(dctx *c, jw *j, const st_mutation *m, uint64_t pos, const sstt_unf *u,
			  int nu, bool *first)
{
	const st_mrow *row = m->rows;
	const st_range_tomb *rt = m->rts;
	bool walk_ok = u != NULL;
	int nrows_walk = 0, nmark_walk = 0;

	if (walk_ok) {
		for (int i = 0; i < nu; i++) {
			nrows_walk += u[i].type == 'r';
			nmark_walk += u[i].type == 'm';
		}
		if (nrows_walk != m->nrows)
			walk_ok = false;
	}
	if (c->debug) {
		hl_buf *b = &c->out;
		hl_buf key;
		uint64_t at = pos;
		bool firstu = true;

		hl_buf_init(&key);
		sstt_key_strings(&c->kt, m->key, m->keylen, false, &key);
#define LINE_START() hl_buf_printf(b, "[%.*s]@%llu ", (int)key.len, (const char *)key.p, \
				   (unsigned long long)at)
		if (m->pdel.ts != ST_NO_TS) {
			LINE_START();
			d_deletion(&m->pdel, b);
			hl_buf_u8(b, '\n');
		}
		if (m->static_row) {
			LINE_START();
			d_row(c, m->static_row, true, b);
			hl_buf_u8(b, '\n');
		}
		if (walk_ok) {
			for (int i = 0; i < nu; i++) {
				if (u[i].type == 's')
					continue;
				if (!firstu)
					at = u[i].pos;
				firstu = false;
				if (u[i].type == 'r') {
					LINE_START();
					d_row(c, row, false, b);
					row = row->next;
				} else if (rt) {
					int k = u[i].kind;

					LINE_START();
					hl_buf_str(b, "Marker ");
					if (k == 2 || k == 5) {
						if (!rt->next)
							break;
						d_bound(c, k, &rt->end, b);
						hl_buf_printf(b, "@%lld/%lld-%lld/%lld", (long long)rt->del.ts,
							      (long long)rt->del.ldt, (long long)rt->next->del.ts,
							      (long long)rt->next->del.ldt);
						rt = rt->next;
					} else if (k == 1 || k == 7) {
						d_bound(c, k, &rt->start, b);
						hl_buf_printf(b, "@%lld/%lld", (long long)rt->del.ts,
							      (long long)rt->del.ldt);
					} else {
						d_bound(c, k, &rt->end, b);
						hl_buf_printf(b, "@%lld/%lld", (long long)rt->del.ts,
							      (long long)rt->del.ldt);
						rt = rt->next;
					}
				}
				hl_buf_u8(b, '\n');
			}
		} else {
			for (; row; row = row->next) {
				LINE_START();
				d_row(c, row, false, b);
				hl_buf_u8(b, '\n');
			}
			for (; rt; rt = rt->next) {
				LINE_START();
				hl_buf_str(b, "Marker ");
				d_bound(c, bound_kind(true, &rt->start), &rt->start, b);
				hl_buf_printf(b, "@%lld/%lld\n", (long long)rt->del.ts, (long long)rt->del.ldt);
				LINE_START();
				hl_buf_str(b, "Marker ");
				d_bound(c, bound_kind(false, &rt->end), &rt->end, b);
				hl_buf_printf(b, "@%lld/%lld\n", (long long)rt->del.ts, (long long)rt->del.ldt);
			}
		}
#undef LINE_START
		hl_buf_free(&key);
		return 0;
	}

	if (c->lines) {
		j->depth = 0;
		j->after_key = false;
	}
	*first = false;
	j_open(j, '{', false);
	j_key(j, "partition");
	j_open(j, '{', false);
	j_key(j, "key");
	j_open(j, '[', true);
	{
		hl_buf key;

		hl_buf_init(&key);
		sstt_key_strings(&c->kt, m->key, m->keylen, c->lines ? 2 : 1, &key);
		j_raw(j, (const char *)key.p, key.len);   /* components joined already */
		hl_buf_free(&key);
	}
	j_close(j, ']');
	j_key(j, "position");
	j_int(j, (int64_t)pos);
	if (m->pdel.ts != ST_NO_TS)
		j_deletion(c, j, &m->pdel);
	j_close(j, '}');
	j_key(j, "rows");
	j_open(j, '[', false);
	if (m->static_row) {
		uint64_t spos = 0;
		bool has = false;

		for (int i = 0; walk_ok && i < nu; i++)
			if (u[i].type == 's') {
				spos = u[i].pos;
				has = true;
			}
		j_row(c, j, m->static_row, true, has, spos);
	}
	if (walk_ok) {
		for (int i = 0; i < nu; i++) {
			if (u[i].type == 'r') {
				j_row(c, j, row, false, true, u[i].pos);
				row = row->next;
			} else if (u[i].type == 'm' && rt) {
				int k = u[i].kind;

				if (k == 2 || k == 5) {
					if (!rt->next)
						break;
					j_marker(c, j, rt->next, rt, true);
					rt = rt->next;
				} else if (k == 1 || k == 7) {
					j_marker(c, j, rt, NULL, false);
				} else {
					j_marker(c, j, NULL, rt, false);
					rt = rt->next;
				}
			}
		}
	} else {
		/* rows, then each range tombstone as its two bounds */
		for (; row; row = row->next)
			j_row(c, j, row, false, false, 0);
		for (; rt; rt = rt->next) {
			j_marker(c, j, rt, NULL, false);
			j_marker(c, j, NULL, rt, false);
		}
	}
	j_close(j, ']');
	j_close(j, '}');
	if (c->lines)
		hl_buf_u8(&c->out, '\n');
	return 0;
}

/* ------------------------------------------------------------ command */

static bool is_option(const char *s)
{
	return s[0] == '-' && s[1] && !(s[1] >= '0' && s[1] <= '9') && s[1] != '.';
}

int sstt_dump(int argc, char **argv)
{
	dctx c;
	const char *file = NULL;
	const char **inc = hl_calloc((size_t)argc + 1, sizeof(char *));
	const char **exc = hl_calloc((size_t)argc + 1, sizeof(char *));
	int ninc = 0, nexc = 0, rc = 2;
	hl_err err;
	kset ks = { 0 }, xs = { 0 };
	sstt_data data;
	bool data_open = false;
	sstt_index ix;
	bool ix_open = false;
	hl_arena *pa = NULL;
	hl_buf pbuf;
	jw j;
	bool first = true;
	char ipath[4600];
	struct stat sb;

	memset(&c, 0, sizeof c);
	memset(&err, 0, sizeof err);
	memset(&j, 0, sizeof j);
	memset(&ix, 0, sizeof ix);
	hl_buf_init(&c.out);
	hl_buf_init(&c.tmp);
	hl_buf_init(&pbuf);
	c.f = stdout;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sstt_help("dump", stdout);
			rc = 0;
			goto exit;
		} else if (!strcmp(a, "-k") || !strcmp(a, "-x")) {
			bool is_k = a[1] == 'k';
			int before = is_k ? ninc : nexc;

			while (i + 1 < argc && !is_option(argv[i + 1])) {
				/* the first free argument that names a file is the sstable */
				if (!file && strstr(argv[i + 1], "-Data.db") && stat(argv[i + 1], &sb) == 0 &&
				    (is_k ? ninc : nexc) > before)
					break;
				if (is_k)
					inc[ninc++] = argv[++i];
				else
					exc[nexc++] = argv[++i];
			}
			if ((is_k ? ninc : nexc) == before) {
				rc = sstt_usage_error("dump", "%s needs a key", a);
				goto exit;
			}
		} else if (!strcmp(a, "-d")) {
			c.debug = true;
		} else if (!strcmp(a, "-e")) {
			c.enumerate = true;
		} else if (!strcmp(a, "-t")) {
			c.raw_ts = true;
		} else if (!strcmp(a, "-l")) {
			c.lines = true;
		} else if (is_option(a)) {
			rc = sstt_usage_error("dump", "unrecognized option: %s", a);
			goto exit;
		} else if (!file) {
			file = a;
		} else {
			rc = sstt_usage_error("dump", "you must supply exactly one sstable");
			goto exit;
		}
	}
	if (!file) {
		rc = sstt_usage_error("dump", "you must supply exactly one sstable");
		goto exit;
	}
	rc = 1;
	if (stat(file, &sb) != 0) {
		fprintf(stderr, "Cannot find file %s\n", file);
		goto exit;
	}
	if (sstt_split_path(file, &c.path, &err) || sstt_open(&c.path, false, &c.r, &err))
		goto fail;
	c.m = sst_info(c.r);
	c.meta_arena = hl_arena_new(4096);
	c.now = hl_now_micros() / 1000000;
	if (sstt_key_type(c.m->key_type_str, c.meta_arena, &c.kt, &err))
		goto fail;
	/* -k / -x keys in the key type */
	ks.keys = hl_calloc((size_t)ninc + 1, sizeof(hl_buf));
	xs.keys = hl_calloc((size_t)nexc + 1, sizeof(hl_buf));
	for (int i = 0; i < ninc + nexc; i++) {
		kset *s = i < ninc ? &ks : &xs;
		const char *k = i < ninc ? inc[i] : exc[i - ninc];

		hl_buf_init(&s->keys[s->n]);
		if (sstt_parse_key(&c.kt, k, &s->keys[s->n], &err)) {
			fprintf(stderr, "helenus sstable dump: key '%s' is not a valid %s: %s\n", k,
				c.m->key_type_str, err.msg);
			s->n++;
			goto exit;
		}
		s->n++;
	}
	/* raw access for positions */
	if (sstt_data_open(&c.path, &data, &err))
		goto fail;
	data_open = true;
	snprintf(ipath, sizeof ipath, "%sIndex.db", c.path.prefix);
	if (sstt_index_load(ipath, &ix, &err))
		goto fail;
	ix_open = true;
	{
		int *fixed = hl_arena_zalloc(c.meta_arena, (size_t)(c.m->nclust + 1) * sizeof(int));

		for (int i = 0; i < c.m->nclust; i++)
			fixed[i] = sst_fixed_width(c.m->clust[i].type);
		c.L.oa = strcmp(c.m->version, "oa") >= 0;
		c.L.has_statics = c.m->nstatic > 0;
		c.L.nclust = c.m->nclust;
		c.L.clust_fixed = fixed;
	}

	j.b = &c.out;
	j.mode = c.lines ? J_MINIMAL : J_PRETTY;
	if (c.enumerate) {
		j_open(&j, '[', true);
		for (int64_t i = 0; i < ix.n; i++) {
			const sstt_ientry *e = &ix.e[i];
			hl_buf key;

			if ((ks.n && !kset_has(&ks, e->key, e->keylen)) || kset_has(&xs, e->key, e->keylen))
				continue;
			hl_buf_init(&key);
			sstt_key_strings(&c.kt, e->key, e->keylen, true, &key);
			j_open(&j, '[', true);
			j_raw(&j, (const char *)key.p, key.len);
			j_close(&j, ']');
			hl_buf_free(&key);
			flush_out(&c);
		}
		j_close(&j, ']');
		hl_buf_u8(&c.out, '\n');
		flush_out(&c);
		rc = 0;
		goto exit;
	}
	if (!c.debug && !c.lines)
		j_open(&j, '[', false);
	pa = hl_arena_new(65536);
	for (int64_t i = 0; i < ix.n; i++) {
		const sstt_ientry *e = &ix.e[i];
		uint64_t end = i + 1 < ix.n ? ix.e[i + 1].pos : data.data_len;
		st_mutation *m = NULL;
		sstt_unf *u = NULL;
		int nu = 0, got;
		hl_err werr;

		hl_arena_reset(pa);
		if (ks.n) {
			if (!kset_has(&ks, e->key, e->keylen) || kset_has(&xs, e->key, e->keylen))
				continue;
			got = sst_get_partition(c.r, e->key, e->keylen, hl_token(e->key, e->keylen), pa, &m,
						&err);
		} else {
			got = sst_next_partition(c.r, pa, &m, &err);
			if (got == 0) {
				hl_errf(&err, HL_ERR_SERVER, "sstable %sData.db: Index.db lists more partitions "
					"than the reader found", c.path.prefix);
				got = -1;
			}
			if (got > 0 && (m->keylen != e->keylen || memcmp(m->key, e->key, e->keylen))) {
				hl_errf(&err, HL_ERR_SERVER, "sstable %sIndex.db: entry %lld does not match "
					"the partition read", c.path.prefix, (long long)i);
				got = -1;
			}
			if (got > 0 && kset_has(&xs, e->key, e->keylen))
				continue;
		}
		if (got < 0)
			goto fail_partial;
		if (got == 0)
			continue;
		memset(&werr, 0, sizeof werr);
		if (end > e->pos && end - e->pos < ((uint64_t)1 << 31) &&
		    sstt_data_read(&data, e->pos, (size_t)(end - e->pos), &pbuf, &werr) == 0 &&
		    sstt_walk(&c.L, pbuf.p, pbuf.len, e->pos, pa, &u, &nu, &werr) != 0)
			u = NULL;
		emit_partition(&c, &j, m, e->pos, u, nu, &first);
		flush_out(&c);
	}
	if (!c.debug && !c.lines) {
		j_close(&j, ']');
		hl_buf_u8(&c.out, '\n');
	}
	flush_out(&c);
	rc = 0;
	goto exit;
fail_partial:
	if (!c.debug && !c.lines) {
		while (j.depth > 0)
			j_close(&j, j.lv[j.depth - 1].is_obj ? '}' : ']');
		hl_buf_u8(&c.out, '\n');
	}
	flush_out(&c);
fail:
	fprintf(stderr, "helenus sstable dump: %s\n", err.msg[0] ? err.msg : "failed");
	rc = 1;
exit:
	if (c.r)
		sst_close(c.r);
	if (data_open)
		sstt_data_close(&data);
	if (ix_open)
		sstt_index_free(&ix);
	for (int i = 0; i < ks.n; i++)
		hl_buf_free(&ks.keys[i]);
	for (int i = 0; i < xs.n; i++)
		hl_buf_free(&xs.keys[i]);
	free(ks.keys);
	free(xs.keys);
	if (pa)
		hl_arena_free(pa);
	if (c.meta_arena)
		hl_arena_free(c.meta_arena);
	hl_buf_free(&c.out);
	hl_buf_free(&c.tmp);
	hl_buf_free(&pbuf);
	free(inc);
	free(exc);
	return rc;
}
