/*
 * tools/sst_tool_stats.c: every field of Statistics.db (VALIDATION,
 * COMPACTION, STATS, HEADER) for `helenus sstable metadata`, per version
 * ma..oa as shared/docs/sstable-format.md section 10 lays them out. The
 * reader module exposes only what the storage engine needs (sst_meta);
 * sstablemetadata prints the rest: histograms, commit log positions,
 * min/max clustering values, tombstone drop times, repair state.
 */
#include "tools/sst_tool_int.h"

#include <stdlib.h>
#include <string.h>

#define TS_EPOCH 1442880000000000LL
#define LDT_EPOCH 1442880000LL

static double rd_f64(hl_rd *rd)
{
	uint64_t u = 0;
	double d;

	hl_rd_u64(rd, &u);
	memcpy(&d, &u, sizeof d);
	return d;
}

static int rd_hist(hl_rd *rd, hl_arena *a, sstt_hist *h)
{
	int32_t n;

	if (hl_rd_i32(rd, &n) || n < 0 || (size_t)n > hl_rd_left(rd) / 16)
		return -1;
	h->n = n;
	h->offsets = hl_arena_zalloc(a, (size_t)(n ? n : 1) * sizeof(int64_t));
	h->counts = hl_arena_zalloc(a, (size_t)(n ? n : 1) * sizeof(int64_t));
	for (int32_t i = 0; i < n; i++) {
		uint64_t o, c;

		hl_rd_u64(rd, &o);
		hl_rd_u64(rd, &c);
		h->offsets[i] = (int64_t)o;
		h->counts[i] = (int64_t)c;
	}
	return rd->bad ? -1 : 0;
}

static char *rd_vstr(hl_rd *rd, hl_arena *a)
{
	uint64_t n;
	const uint8_t *p;

	if (hl_rd_uvint(rd, &n) || n > hl_rd_left(rd) || hl_rd_raw(rd, (size_t)n, &p))
		return NULL;
	return hl_arena_strndup(a, (const char *)p, (size_t)n);
}

static int rd_values(hl_rd *rd, int n, const int *fixed, int nfixed, hl_arena *a, st_bytes *out)
{
	uint64_t header = 0;

	for (int i = 0; i < n; i++) {
		int j = i % 32;
		const uint8_t *p;

		out[i].p = NULL;
		out[i].len = 0;
		if (j == 0 && hl_rd_uvint(rd, &header))
			return -1;
		if (header >> (2 * j) & 3)
			continue;
		if (i < nfixed && fixed[i] >= 0) {
			if (hl_rd_raw(rd, (size_t)fixed[i], &p))
				return -1;
			out[i].p = p;
			out[i].len = (uint32_t)fixed[i];
		} else {
			uint64_t len;

			if (hl_rd_uvint(rd, &len) || len > hl_rd_left(rd) || hl_rd_raw(rd, (size_t)len, &p))
				return -1;
			out[i].p = p;
			out[i].len = (uint32_t)len;
		}
	}
	(void)a;
	return 0;
}

static int parse_oa_slice(hl_rd *rd, hl_arena *a, sstt_stats *st)
{
	uint64_t n;
	int *fixed;

	if (hl_rd_uvint(rd, &n) || n > 1024)
		return -1;
	fixed = hl_arena_zalloc(a, (size_t)(n ? n : 1) * sizeof(int));
	for (uint64_t i = 0; i < n; i++) {
		char *s = rd_vstr(rd, a);
		const ty_type *t;
		bool rev;
		hl_err err;

		if (!s)
			return -1;
		fixed[i] = sst_parse_marshal(s, strlen(s), a, &t, &rev, &err) ? -1 : sst_fixed_width(t);
	}
	for (int side = 0; side < 2; side++) {
		uint8_t kind;
		uint16_t size;
		st_bytes *v;

		if (hl_rd_u8(rd, &kind) || hl_rd_u16(rd, &size) || size > n)
			return -1;
		v = hl_arena_zalloc(a, (size_t)(size ? size : 1) * sizeof(*v));
		if (rd_values(rd, size, fixed, (int)n, a, v))
			return -1;
		if (side == 0) {
			st->oa_start_kind = kind;
			st->nmin_clust = size;
			st->min_clust = v;
		} else {
			st->oa_end_kind = kind;
			st->nmax_clust = size;
			st->max_clust = v;
		}
	}
	st->oa_slice = true;
	return 0;
}

static int parse_stats(hl_rd *rd, hl_arena *a, sstt_stats *st)
{
	uint64_t u64;
	uint32_t u32;
	int32_t i32;
	uint8_t b;
	const uint8_t *p;

	if (rd_hist(rd, a, &st->psize) || rd_hist(rd, a, &st->ccount))
		return -1;
	hl_rd_u64(rd, &u64);
	st->cl_upper_seg = (int64_t)u64;
	hl_rd_i32(rd, &st->cl_upper_pos);
	hl_rd_u64(rd, &u64);
	st->min_ts = (int64_t)u64;
	hl_rd_u64(rd, &u64);
	st->max_ts = (int64_t)u64;
	hl_rd_u32(rd, &u32);
	st->min_ldt = st->v_oa ? (int64_t)u32 : (int64_t)(int32_t)u32;
	hl_rd_u32(rd, &u32);
	st->max_ldt = st->v_oa ? (int64_t)u32 : (int64_t)(int32_t)u32;
	hl_rd_i32(rd, &st->min_ttl);
	hl_rd_i32(rd, &st->max_ttl);
	st->compression_ratio = rd_f64(rd);
	if (hl_rd_i32(rd, &st->tomb_max_bins) || hl_rd_i32(rd, &i32) || i32 < 0 ||
	    (size_t)i32 > hl_rd_left(rd) / 12)
		return -1;
	st->ntomb = i32;
	st->tomb = hl_arena_zalloc(a, (size_t)(i32 ? i32 : 1) * sizeof(*st->tomb));
	for (int32_t i = 0; i < i32; i++) {
		if (st->v_oa) {
			int32_t c;

			hl_rd_u64(rd, &u64);
			hl_rd_i32(rd, &c);
			st->tomb[i].point = (int64_t)u64;
			st->tomb[i].count = c;
		} else {
			double d = rd_f64(rd);

			hl_rd_u64(rd, &u64);
			st->tomb[i].point = (int64_t)d;
			st->tomb[i].count = (int64_t)u64;
		}
	}
	hl_rd_i32(rd, &st->level);
	hl_rd_u64(rd, &u64);
	st->repaired_at = (int64_t)u64;
	if (rd->bad)
		return -1;
	if (st->v_oa) {
		if (parse_oa_slice(rd, a, st))
			return -1;
	} else {
		for (int side = 0; side < 2; side++) {
			st_bytes *v;

			if (hl_rd_i32(rd, &i32) || i32 < 0 || (size_t)i32 > hl_rd_left(rd) / 2)
				return -1;
			v = hl_arena_zalloc(a, (size_t)(i32 ? i32 : 1) * sizeof(*v));
			for (int32_t i = 0; i < i32; i++) {
				size_t n;

				if (hl_rd_pshortbytes(rd, &p, &n))
					return -1;
				v[i].p = p;
				v[i].len = (uint32_t)n;
			}
			if (side == 0) {
				st->nmin_clust = i32;
				st->min_clust = v;
			} else {
				st->nmax_clust = i32;
				st->max_clust = v;
			}
		}
	}
	hl_rd_u8(rd, &b);
	st->legacy_counter_shards = b;
	hl_rd_u64(rd, &u64);
	st->total_columns = (int64_t)u64;
	hl_rd_u64(rd, &u64);
	st->total_rows = (int64_t)u64;
	if (rd->bad)
		return -1;
	if (st->v_mb) {
		st->has_cl_lower = true;
		hl_rd_u64(rd, &u64);
		st->cl_lower_seg = (int64_t)u64;
		if (hl_rd_i32(rd, &st->cl_lower_pos))
			return -1;
	}
	if (st->v_mc) {
		if (hl_rd_i32(rd, &i32) || i32 < 0 || (size_t)i32 > hl_rd_left(rd) / 24)
			return -1;
		st->nintervals = i32;
		st->iv = hl_arena_zalloc(a, (size_t)(i32 ? i32 : 1) * 4 * sizeof(int64_t));
		for (int32_t i = 0; i < i32 * 2; i++) {
			int32_t pos;

			hl_rd_u64(rd, &u64);
			hl_rd_i32(rd, &pos);
			st->iv[2 * i] = (int64_t)u64;
			st->iv[2 * i + 1] = pos;
		}
	}
	if (st->v_na) {
		st->has_pending = true;
		if (hl_rd_u8(rd, &b) || (b && hl_rd_raw(rd, 16, &p)))
			return -1;
		if (b) {
			st->pending_set = true;
			memcpy(st->pending.b, p, 16);
		}
		st->has_transient = true;
		if (hl_rd_u8(rd, &b))
			return -1;
		st->is_transient = b;
	}
	if (st->v_host_id) {
		st->has_host_field = true;
		if (hl_rd_u8(rd, &b) || (b && hl_rd_raw(rd, 16, &p)))
			return -1;
		if (b) {
			st->host_set = true;
			memcpy(st->host.b, p, 16);
		}
	}
	if (st->v_oa) {
		st->has_pld = true;
		if (hl_rd_u8(rd, &b))
			return -1;
		st->pld = b;
		for (int k = 0; k < 2; k++) {
			st_bytes *kb = k ? &st->last_key : &st->first_key;

			if (hl_rd_uvint(rd, &u64) || u64 > hl_rd_left(rd) || hl_rd_raw(rd, (size_t)u64, &p))
				return -1;
			kb->p = p;
			kb->len = (uint32_t)u64;
		}
		st->has_keys = true;
		st->coverage = rd_f64(rd);
		st->has_coverage = !rd->bad;
	}
	return rd->bad ? -1 : 0;
}

static int parse_header(hl_rd *rd, hl_arena *a, sstt_stats *st)
{
	uint64_t u;

	if (hl_rd_uvint(rd, &u))
		return -1;
	st->enc_min_ts = (int64_t)((uint64_t)TS_EPOCH + u);
	if (hl_rd_uvint(rd, &u))
		return -1;
	st->enc_min_ldt = st->v_oa ? (int64_t)(uint32_t)((uint32_t)LDT_EPOCH + (uint32_t)u)
				   : (int64_t)(int32_t)((uint32_t)LDT_EPOCH + (uint32_t)u);
	if (hl_rd_uvint(rd, &u))
		return -1;
	st->enc_min_ttl = (int32_t)u;
	if (!(st->key_type = rd_vstr(rd, a)) || hl_rd_uvint(rd, &u) || u > hl_rd_left(rd))
		return -1;
	st->nclust = (int)u;
	st->clust_types = hl_arena_zalloc(a, (size_t)(u ? u : 1) * sizeof(char *));
	for (int i = 0; i < st->nclust; i++)
		if (!(st->clust_types[i] = rd_vstr(rd, a)))
			return -1;
	for (int side = 0; side < 2; side++) {
		char **names, **types;

		if (hl_rd_uvint(rd, &u) || u > hl_rd_left(rd))
			return -1;
		names = hl_arena_zalloc(a, (size_t)(u ? u : 1) * sizeof(char *));
		types = hl_arena_zalloc(a, (size_t)(u ? u : 1) * sizeof(char *));
		for (uint64_t i = 0; i < u; i++)
			if (!(names[i] = rd_vstr(rd, a)) || !(types[i] = rd_vstr(rd, a)))
				return -1;
		if (side == 0) {
			st->nstatic = (int)u;
			st->static_names = names;
			st->static_types = types;
		} else {
			st->nregular = (int)u;
			st->regular_names = names;
			st->regular_types = types;
		}
	}
	return 0;
}

int sstt_read_stats(const sstt_path *pt, hl_arena *a, sstt_stats *st, hl_err *err)
{
	char path[4600];
	uint8_t *buf = NULL;
	size_t len;
	hl_rd rd;
	int32_t count;
	int32_t types[16];
	uint32_t offs[16];
	int rc = -1;
	const char *v = pt->version;

	memset(st, 0, sizeof *st);
	st->v_mb = strcmp(v, "mb") >= 0;
	st->v_mc = strcmp(v, "mc") >= 0;
	st->v_na = strcmp(v, "na") >= 0;
	st->v_oa = strcmp(v, "oa") >= 0;
	st->v_host_id = strcmp(v, "me") == 0 || strcmp(v, "nb") >= 0;
	snprintf(path, sizeof path, "%sStatistics.db", pt->prefix);
	if (sstt_slurp(path, &buf, &len, err))
		return -1;
	hl_rd_init(&rd, buf, len);
	if (hl_rd_i32(&rd, &count) || count < 0 || count > 16)
		goto bad;
	if (st->v_na) {
		uint32_t c;

		hl_rd_u32(&rd, &c);
	}
	for (int32_t i = 0; i < count; i++) {
		if (hl_rd_i32(&rd, &types[i]) || hl_rd_u32(&rd, &offs[i]) || offs[i] > len)
			goto bad;
	}
	for (int32_t i = 0; i < count; i++) {
		size_t end = len;
		hl_rd c;
		int r2 = 0;

		for (int32_t j = 0; j < count; j++)
			if (offs[j] > offs[i] && offs[j] < end)
				end = offs[j];
		if (st->v_na) {
			if (end < offs[i] + 4)
				goto bad;
			end -= 4;
		}
		hl_rd_init(&c, buf + offs[i], end - offs[i]);
		switch (types[i]) {
		case 0: {
			const char *s;
			size_t n;

			if (hl_rd_pstring(&c, &s, &n)) {
				r2 = -1;
				break;
			}
			st->partitioner = hl_arena_strndup(a, s, n);
			st->fp_chance = rd_f64(&c);
			st->has_validation = !c.bad;
			r2 = c.bad ? -1 : 0;
			break;
		}
		case 1: {
			int32_t n;

			if (hl_rd_i32(&c, &n)) {
				r2 = -1;
				break;
			}
			st->hll_bytes = n;
			st->has_compaction = true;
			break;
		}
		case 2:
			r2 = parse_stats(&c, a, st);
			st->has_stats = r2 == 0;
			break;
		case 3:
			r2 = parse_header(&c, a, st);
			st->has_header = r2 == 0;
			break;
		default:
			break;
		}
		if (r2) {
			hl_errf(err, HL_ERR_SERVER, "%s: malformed %s component (at offset %zu)", path,
				types[i] == 0 ? "VALIDATION" : types[i] == 1 ? "COMPACTION" :
				types[i] == 2 ? "STATS" : "HEADER", (size_t)offs[i] + c.pos);
			goto exit;
		}
	}
	/* keep the bytes the st_bytes point into */
	{
		uint8_t *keep = hl_arena_memdup(a, buf, len ? len : 1);
#define REBASE(x) do { if ((x).p) (x).p = keep + ((x).p - buf); } while (0)
		for (int i = 0; i < st->nmin_clust; i++)
			REBASE(st->min_clust[i]);
		for (int i = 0; i < st->nmax_clust; i++)
			REBASE(st->max_clust[i]);
		REBASE(st->first_key);
		REBASE(st->last_key);
#undef REBASE
	}
	rc = 0;
	goto exit;
bad:
	hl_errf(err, HL_ERR_SERVER, "%s: malformed table of contents", path);
exit:
	free(buf);
	return rc;
}
