/*
 * sstable/sst_meta.c: the small components. Statistics.db (VALIDATION,
 * STATS, HEADER, with the na+ checksums), CompressionInfo.db, CRC.db,
 * Filter.db and Summary.db, plus the primitive decoders shared with the
 * index and partition code (DeletionTime, clustering blocks, values).
 * Layouts: shared/docs/sstable-format.md sections 4-10.
 */
#include "sstable/sst_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* EncodingStats epochs (2015-09-22T00:00:00Z). */
#define TS_EPOCH 1442880000000000LL
#define LDT_EPOCH 1442880000U

int sst_corrupt(const sst_reader *r, hl_err *err, const char *comp, uint64_t off, const char *fmt,
		...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return hl_errf(err, HL_ERR_SERVER, "corrupt sstable %s%s: %s at offset %llu", r->prefix, comp,
		       what, (unsigned long long)off);
}

int sst_read_file(const sst_reader *r, const char *comp, bool required, uint8_t **out,
		  size_t *len, bool *present, hl_err *err)
{
	char path[4096];
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = -1, rc = -1;

	*out = NULL;
	*len = 0;
	if (present)
		*present = false;
	snprintf(path, sizeof(path), "%s%s", r->prefix, comp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !required) {
			rc = 0;
			goto exit;
		}
		hl_errf(err, HL_ERR_SERVER, "cannot open sstable component %s: %s", path,
			strerror(errno));
		goto exit;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		hl_errf(err, HL_ERR_SERVER, "sstable component %s is not a readable file", path);
		goto exit;
	}
	buf = hl_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hl_errf(err, HL_ERR_SERVER, "cannot read sstable component %s: %s", path,
				n < 0 ? strerror(errno) : "short read");
			goto exit;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	if (present)
		*present = true;
	rc = 0;
exit:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ------------------------------------------------------------ primitives */

int sst_read_deltime(const sst_reader *r, hl_rd *rd, st_deletion *out, bool *live)
{
	uint64_t mfda;
	uint32_t ldt;
	uint8_t first;

	if (r->v_oa) {
		/* 5.0's compact form: a first byte with the top bit set is LIVE */
		if (hl_rd_left(rd) < 1)
			return hl_rd_u8(rd, &first);
		if (rd->p[rd->pos] & 0x80) {
			hl_rd_u8(rd, &first);
			*live = true;
			out->ts = ST_NO_TS;
			out->ldt = ST_NO_LDT;
			return 0;
		}
		if (hl_rd_u64(rd, &mfda) || hl_rd_u32(rd, &ldt))
			return -1;
		*live = false;
		out->ts = (int64_t)mfda;
		out->ldt = (int64_t)ldt;
		return 0;
	}
	if (hl_rd_u32(rd, &ldt) || hl_rd_u64(rd, &mfda))
		return -1;
	*live = (int64_t)mfda == INT64_MIN && ldt == (uint32_t)INT32_MAX;
	out->ts = *live ? ST_NO_TS : (int64_t)mfda;
	out->ldt = *live ? ST_NO_LDT : (int64_t)(int32_t)ldt;
	return 0;
}

int sst_read_value(hl_rd *rd, int fixed, st_bytes *out)
{
	const uint8_t *p;
	uint64_t n;

	if (fixed >= 0) {
		n = (uint64_t)fixed;
	} else {
		if (hl_rd_uvint(rd, &n))
			return -1;
		if (n > hl_rd_left(rd)) {
			rd->bad = true;
			return -1;
		}
	}
	if (hl_rd_raw(rd, (size_t)n, &p))
		return -1;
	out->p = p;
	out->len = (uint32_t)n;
	return 0;
}

int sst_read_clustering(const sst_reader *r, hl_rd *rd, int n, st_bytes *out, bool *had_null)
{
	uint64_t hdr = 0;

	*had_null = false;
	for (int i = 0; i < n; i++) {
		int bit = (i % 32) * 2;

		/* one header vint per batch of 32 values: 2 bits each (empty, null) */
		if (i % 32 == 0 && hl_rd_uvint(rd, &hdr))
			return -1;
		if (hdr >> (bit + 1) & 1) {
			out[i].p = NULL;
			out[i].len = 0;
			*had_null = true;
		} else if (hdr >> bit & 1) {
			out[i].p = (const uint8_t *)"";
			out[i].len = 0;
		} else if (sst_read_value(rd, r->clust_fixed[i], &out[i])) {
			return -1;
		}
	}
	return 0;
}

static int rd_utf(hl_rd *rd, const char **s, size_t *n)
{
	return hl_rd_pstring(rd, s, n);
}

/* vint-length string, copied NUL terminated into the reader arena. */
static int rd_vstr(sst_reader *r, hl_rd *rd, const char **s, size_t *n)
{
	st_bytes b;

	if (sst_read_value(rd, -1, &b))
		return -1;
	*s = hl_arena_strndup(r->arena, (const char *)b.p, b.len);
	*n = b.len;
	return 0;
}

static double rd_f64(hl_rd *rd)
{
	uint64_t u = 0;
	double d;

	hl_rd_u64(rd, &u);
	memcpy(&d, &u, sizeof(d));
	return d;
}

/* ------------------------------------------------------------ Statistics.db */

enum { MT_VALIDATION, MT_COMPACTION, MT_STATS, MT_HEADER, MT_COUNT };

static int parse_validation(sst_reader *r, hl_rd *rd, uint64_t base, hl_err *err)
{
	const char *s;
	size_t n;

	if (rd_utf(rd, &s, &n))
		return sst_corrupt(r, err, "Statistics.db", base, "truncated VALIDATION component");
	r->meta.partitioner_class = hl_arena_strndup(r->arena, s, n);
	r->meta.bloom_fp_chance = rd_f64(rd);
	if (rd->bad)
		return sst_corrupt(r, err, "Statistics.db", base, "truncated VALIDATION component");
	if (strcmp(r->meta.partitioner_class, "org.apache.cassandra.dht.Murmur3Partitioner") == 0) {
		r->meta.partitioner = SST_MURMUR3;
	} else if (r->opts.allow_byte_ordered &&
		   strcmp(r->meta.partitioner_class,
			  "org.apache.cassandra.dht.ByteOrderedPartitioner") == 0) {
		r->meta.partitioner = SST_BYTE_ORDERED;
	} else {
		return hl_errf(err, HL_ERR_SERVER,
			       "sstable %sStatistics.db uses partitioner %s; only "
			       "org.apache.cassandra.dht.Murmur3Partitioner is supported",
			       r->prefix, r->meta.partitioner_class);
	}
	return 0;
}

static int skip_histogram(hl_rd *rd)
{
	int32_t n;
	const uint8_t *p;

	if (hl_rd_i32(rd, &n) || n < 0 || (size_t)n > hl_rd_left(rd) / 16)
		return -1;
	return hl_rd_raw(rd, (size_t)n * 16, &p);
}

/* A stored clustering value, copied into the reader (the component's
 * buffer does not outlive the parse). */
static st_bytes keep_value(sst_reader *r, const uint8_t *p, size_t n)
{
	st_bytes v = { (const uint8_t *)"", (uint32_t)n };

	if (n)
		v.p = hl_arena_memdup(r->arena, p, n);
	return v;
}

/* oa's "improved min/max": clustering type names, then a Slice. */
static int read_oa_slice(sst_reader *r, hl_rd *rd)
{
	hl_err e;
	uint64_t n;
	int fixed[256];
	hl_arena *tmp = hl_arena_new(4096);
	int rc = -1;

	if (hl_rd_uvint(rd, &n) || n > 256 || n > hl_rd_left(rd))
		goto exit;
	for (uint64_t i = 0; i < n; i++) {
		const char *s;
		size_t len;
		const ty_type *t;
		bool rev;

		if (rd_vstr(r, rd, &s, &len))
			goto exit;
		if (sst_parse_marshal(s, len, tmp, &t, &rev, &e))
			goto exit;
		fixed[i] = sst_fixed_width(t);
	}
	for (int b = 0; b < 2; b++) {
		uint8_t kind;
		uint16_t size;
		uint64_t hdr = 0;
		st_bytes v;

		st_bytes *vals;

		if (hl_rd_u8(rd, &kind) || hl_rd_u16(rd, &size) || size > n)
			goto exit;
		vals = hl_arena_zalloc(r->arena, (size_t)(size ? size : 1) * sizeof(*vals));
		for (int i = 0; i < size; i++) {
			int bit = (i % 32) * 2;

			if (i % 32 == 0 && hl_rd_uvint(rd, &hdr))
				goto exit;
			if (!(hdr >> bit & 3)) {
				if (sst_read_value(rd, fixed[i], &v))
					goto exit;
				vals[i] = keep_value(r, v.p, v.len);
			} else if (hdr >> bit & 1) {
				vals[i] = keep_value(r, NULL, 0);   /* empty; null stays {NULL, 0} */
			}
		}
		/* the Slice's bounds: start INCL_START (1) / EXCL_START (7), end
		 * INCL_END (6) / EXCL_END (0) */
		if (b == 0) {
			r->meta.min_clust = vals;
			r->meta.nmin_clust = size;
			r->meta.min_clust_incl = kind != 7;
		} else {
			r->meta.max_clust = vals;
			r->meta.nmax_clust = size;
			r->meta.max_clust_incl = kind != 0;
		}
	}
	rc = rd->bad ? -1 : 0;
exit:
	hl_arena_free(tmp);
	return rc;
}

static int parse_stats(sst_reader *r, hl_rd *rd, uint64_t base, hl_err *err)
{
	sst_meta *m = &r->meta;
	uint64_t u64;
	uint32_t u32;
	int32_t i32;
	uint8_t b;
	const uint8_t *p;

	if (skip_histogram(rd) || skip_histogram(rd))
		goto bad;
	/* commit log upper bound */
	hl_rd_u64(rd, &u64);
	hl_rd_u32(rd, &u32);
	hl_rd_u64(rd, &u64);
	m->min_ts = (int64_t)u64;
	hl_rd_u64(rd, &u64);
	m->max_ts = (int64_t)u64;
	hl_rd_u32(rd, &u32);
	m->min_ldt = r->v_oa ? (int64_t)u32 : (int64_t)(int32_t)u32;
	hl_rd_u32(rd, &u32);
	m->max_ldt = r->v_oa ? (int64_t)u32 : (int64_t)(int32_t)u32;
	hl_rd_i32(rd, &m->min_ttl);
	hl_rd_i32(rd, &m->max_ttl);
	m->compression_ratio = rd_f64(rd);
	/* tombstone drop-time histogram */
	if (hl_rd_i32(rd, &i32) || hl_rd_i32(rd, &i32) || i32 < 0 ||
	    (size_t)i32 > hl_rd_left(rd) / (r->v_oa ? 12 : 16) ||
	    hl_rd_raw(rd, (size_t)i32 * (r->v_oa ? 12 : 16), &p))
		goto bad;
	hl_rd_i32(rd, &m->sstable_level);
	hl_rd_u64(rd, &u64);
	m->repaired_at = (int64_t)u64;
	if (r->v_oa) {
		if (read_oa_slice(r, rd))
			goto bad;
		m->clust_bounds_exact = true;
	} else {
		/* min and max clustering values, one list each, a prefix */
		for (int side = 0; side < 2; side++) {
			st_bytes *vals;

			if (hl_rd_i32(rd, &i32) || i32 < 0 || (size_t)i32 > hl_rd_left(rd) / 2)
				goto bad;
			vals = hl_arena_zalloc(r->arena, (size_t)(i32 ? i32 : 1) * sizeof(*vals));
			for (int32_t i = 0; i < i32; i++) {
				size_t n;

				if (hl_rd_pshortbytes(rd, &p, &n))
					goto bad;
				vals[i] = keep_value(r, p, n);
			}
			if (side == 0) {
				m->min_clust = vals;
				m->nmin_clust = i32;
			} else {
				m->max_clust = vals;
				m->nmax_clust = i32;
			}
		}
		m->min_clust_incl = m->max_clust_incl = true;
		m->clust_bounds_exact = strcmp(m->version, "md") >= 0;
	}
	hl_rd_u8(rd, &b);    /* hasLegacyCounterShards */
	hl_rd_u64(rd, &u64);
	m->total_columns_set = (int64_t)u64;
	hl_rd_u64(rd, &u64);
	m->total_rows = (int64_t)u64;
	if (r->v_mb && (hl_rd_u64(rd, &u64) || hl_rd_u32(rd, &u32)))
		goto bad;
	if (r->v_mc) {
		if (hl_rd_i32(rd, &i32) || i32 < 0 || (size_t)i32 > hl_rd_left(rd) / 24 ||
		    hl_rd_raw(rd, (size_t)i32 * 24, &p))
			goto bad;
	}
	if (r->v_na) {
		if (hl_rd_u8(rd, &b) || (b && hl_rd_raw(rd, 16, &p)))
			goto bad;
		hl_rd_u8(rd, &b);     /* isTransient */
	}
	if (r->v_host_id) {
		if (hl_rd_u8(rd, &b))
			goto bad;
		if (b) {
			if (hl_rd_raw(rd, 16, &p))
				goto bad;
			m->has_host_id = true;
			memcpy(m->host_id.b, p, 16);
		}
	}
	if (r->v_oa) {
		size_t n;

		hl_rd_u8(rd, &b);
		for (int k = 0; k < 2; k++) {
			if (hl_rd_uvint(rd, &u64) || u64 > hl_rd_left(rd))
				goto bad;
			hl_rd_raw(rd, (size_t)u64, &p);
		}
		n = 8;
		hl_rd_raw(rd, n, &p);  /* tokenSpaceCoverage */
	}
	if (rd->bad)
		goto bad;
	return 0;
bad:
	return sst_corrupt(r, err, "Statistics.db", base + rd->pos, "malformed STATS component");
}

static const sst_column *schema_find(const sst_schema *s, const char *name, size_t n,
				     bool is_static)
{
	for (int i = 0; i < s->ncols; i++)
		if (s->cols[i].is_static == is_static && strlen(s->cols[i].name) == n &&
		    memcmp(s->cols[i].name, name, n) == 0)
			return &s->cols[i];
	return NULL;
}

static int parse_columns(sst_reader *r, hl_rd *rd, uint64_t base, bool is_static,
			 const sst_schema *schema, int first_index, int *nout, sst_hdr_col **cout,
			 sst_coldec **dout, hl_err *err)
{
	uint64_t n;
	sst_hdr_col *cols;
	sst_coldec *dec;

	if (hl_rd_uvint(rd, &n) || n > hl_rd_left(rd) / 2)
		return sst_corrupt(r, err, "Statistics.db", base + rd->pos, "bad column count");
	cols = hl_arena_zalloc(r->arena, (size_t)(n ? n : 1) * sizeof(*cols));
	dec = hl_arena_zalloc(r->arena, (size_t)(n ? n : 1) * sizeof(*dec));
	for (uint64_t i = 0; i < n; i++) {
		sst_hdr_col *c = &cols[i];
		size_t tlen;
		bool rev;

		if (rd_vstr(r, rd, &c->name, &c->name_len) || rd_vstr(r, rd, &c->type_str, &tlen))
			return sst_corrupt(r, err, "Statistics.db", base + rd->pos,
					   "truncated column list");
		if (sst_parse_marshal(c->type_str, tlen, r->arena, &c->type, &rev, err))
			return -1;
		c->complex = ty_is_multicell(c->type);
		c->is_static = is_static;
		if (!schema) {
			c->index = first_index + (int)i;
		} else {
			const sst_column *sc = schema_find(schema, c->name, c->name_len, is_static);

			if (!sc) {
				if (!schema->skip_unknown)
					return hl_errf(err, HL_ERR_SERVER,
						       "sstable %sData.db has %scolumn '%s' (%s) that the table does not have",
						       r->prefix, is_static ? "static " : "", c->name,
						       c->type_str);
				c->index = -1;
			} else {
				if (sc->type && (sc->type->kind != c->type->kind ||
						 ty_is_multicell(sc->type) != c->complex))
					return hl_errf(err, HL_ERR_SERVER,
						       "sstable %sData.db: column '%s' has type %s in the sstable, %s in the table",
						       r->prefix, c->name, c->type_str,
						       ty_name(sc->type, r->arena));
				c->index = sc->index;
			}
		}
		dec[i].type = c->type;
		dec[i].fixed = sst_fixed_width(c->type);
		dec[i].complex = c->complex;
		dec[i].counter = c->type->kind == TY_COUNTER;
		dec[i].index = c->index;
		dec[i].name = c->name;
	}
	*nout = (int)n;
	*cout = cols;
	*dout = dec;
	return 0;
}

static int parse_header(sst_reader *r, hl_rd *rd, uint64_t base, const sst_schema *schema,
			hl_err *err)
{
	sst_meta *m = &r->meta;
	uint64_t u, n;
	size_t len;
	st_clust_col *clust;
	sst_hdr_col *cols;

	if (hl_rd_uvint(rd, &u))
		goto bad;
	m->enc_min_ts = (int64_t)((uint64_t)TS_EPOCH + u);
	if (hl_rd_uvint(rd, &u))
		goto bad;
	/* 32-bit arithmetic: oa reads these as unsigned, older versions as int */
	m->enc_min_ldt = r->v_oa ? (int64_t)(uint32_t)(LDT_EPOCH + (uint32_t)u)
				 : (int64_t)(int32_t)(LDT_EPOCH + (uint32_t)u);
	if (hl_rd_uvint(rd, &u))
		goto bad;
	m->enc_min_ttl = (int32_t)u;
	if (rd_vstr(r, rd, &m->key_type_str, &len))
		goto bad;
	if (sst_parse_marshal(m->key_type_str, len, r->arena, &m->key_type, NULL, err))
		return -1;
	if (hl_rd_uvint(rd, &n) || n > hl_rd_left(rd) || n > 65535)
		goto bad;
	m->nclust = r->nclust = (int)n;
	clust = hl_arena_zalloc(r->arena, (n ? n : 1) * sizeof(*clust));
	m->clust_type_strs = hl_arena_zalloc(r->arena, (n ? n : 1) * sizeof(char *));
	r->clust_types = hl_arena_zalloc(r->arena, (n ? n : 1) * sizeof(ty_type *));
	r->clust_fixed = hl_arena_zalloc(r->arena, (n ? n : 1) * sizeof(int));
	for (uint64_t i = 0; i < n; i++) {
		if (rd_vstr(r, rd, &m->clust_type_strs[i], &len))
			goto bad;
		if (sst_parse_marshal(m->clust_type_strs[i], len, r->arena, &clust[i].type,
				      &clust[i].reversed, err))
			return -1;
		r->clust_types[i] = clust[i].type;
		r->clust_fixed[i] = sst_fixed_width(clust[i].type);
	}
	m->clust = clust;
	if (parse_columns(r, rd, base, true, schema, 0, &m->nstatic, &cols, &r->sdec, err))
		return -1;
	m->statics = cols;
	if (parse_columns(r, rd, base, false, schema, m->nstatic, &m->nregular, &cols, &r->rdec, err))
		return -1;
	m->regulars = cols;
	if (rd->bad)
		goto bad;
	if (schema && schema->nclust >= 0) {
		if (schema->nclust != m->nclust)
			return hl_errf(err, HL_ERR_SERVER,
				       "sstable %sData.db has %d clustering columns, the table %d",
				       r->prefix, m->nclust, schema->nclust);
		for (int i = 0; schema->clust && i < m->nclust; i++)
			if ((schema->clust[i].type && schema->clust[i].type->kind != clust[i].type->kind) ||
			    schema->clust[i].reversed != clust[i].reversed)
				return hl_errf(err, HL_ERR_SERVER,
					       "sstable %sData.db: clustering column %d is %s, which the table's does not match",
					       r->prefix, i, m->clust_type_strs[i]);
	}
	return 0;
bad:
	return sst_corrupt(r, err, "Statistics.db", base + rd->pos, "malformed HEADER component");
}

int sst_load_statistics(sst_reader *r, const sst_schema *schema, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	hl_rd rd;
	int32_t count;
	int64_t off[MT_COUNT];
	uint32_t crc, want;
	int rc = -1;

	for (int i = 0; i < MT_COUNT; i++)
		off[i] = -1;
	if (sst_read_file(r, "Statistics.db", true, &buf, &len, NULL, err))
		goto exit;
	hl_rd_init(&rd, buf, len);
	if (hl_rd_i32(&rd, &count) || count < 1 || count > 64) {
		sst_corrupt(r, err, "Statistics.db", 0, "bad component count");
		goto exit;
	}
	if (r->v_na) {
		if (hl_rd_u32(&rd, &want) || hl_crc32(0, buf, 4) != want) {
			sst_corrupt(r, err, "Statistics.db", 4, "checksum mismatch on the component count");
			goto exit;
		}
	}
	for (int32_t i = 0; i < count; i++) {
		int32_t type, o;

		if (hl_rd_i32(&rd, &type) || hl_rd_i32(&rd, &o)) {
			sst_corrupt(r, err, "Statistics.db", rd.pos, "truncated table of contents");
			goto exit;
		}
		if (o < 0 || (size_t)o > len) {
			sst_corrupt(r, err, "Statistics.db", rd.pos - 4, "component offset %d outside the file", o);
			goto exit;
		}
		if (type >= 0 && type < MT_COUNT)
			off[type] = o;
	}
	if (r->v_na) {
		/* the CRC runs over the count and the TOC, skipping the count's CRC */
		crc = hl_crc32(0, buf, 4);
		crc = hl_crc32(crc, buf + 8, (size_t)count * 8);
		if (hl_rd_u32(&rd, &want) || crc != want) {
			sst_corrupt(r, err, "Statistics.db", rd.pos, "checksum mismatch on the table of contents");
			goto exit;
		}
	}
	if (off[MT_VALIDATION] < 0 || off[MT_STATS] < 0 || off[MT_HEADER] < 0) {
		sst_corrupt(r, err, "Statistics.db", 4, "VALIDATION, STATS or HEADER component missing");
		goto exit;
	}
	for (int t = 0; t < MT_COUNT; t++) {
		size_t start, end = len;
		hl_rd sub;

		if (off[t] < 0)
			continue;
		start = (size_t)off[t];
		/* a component ends where the next one (in file order) starts */
		for (int u = 0; u < MT_COUNT; u++)
			if (off[u] > off[t] && (size_t)off[u] < end)
				end = (size_t)off[u];
		if (r->v_na) {
			if (end - start < 4) {
				sst_corrupt(r, err, "Statistics.db", start, "component too short for its checksum");
				goto exit;
			}
			end -= 4;
			want = (uint32_t)buf[end] << 24 | (uint32_t)buf[end + 1] << 16 |
			       (uint32_t)buf[end + 2] << 8 | buf[end + 3];
			if (hl_crc32(0, buf + start, end - start) != want) {
				sst_corrupt(r, err, "Statistics.db", start, "checksum mismatch on metadata component %d", t);
				goto exit;
			}
		}
		hl_rd_init(&sub, buf + start, end - start);
		if (t == MT_VALIDATION && parse_validation(r, &sub, start, err))
			goto exit;
		if (t == MT_HEADER && parse_header(r, &sub, start, schema, err))
			goto exit;
		if (t == MT_STATS && parse_stats(r, &sub, start, err))
			goto exit;
	}
	rc = 0;
exit:
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ CompressionInfo.db */

int sst_load_compression(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len, n;
	bool present;
	hl_rd rd;
	const char *s, *simple;
	int32_t nopt, clen, mcl = INT32_MAX, count;
	uint64_t dlen;
	int rc = -1;

	if (sst_read_file(r, "CompressionInfo.db", false, &buf, &len, &present, err))
		goto exit;
	r->meta.compressor = "";
	if (!present) {
		r->comp = SST_COMP_NONE;
		rc = 0;
		goto exit;
	}
	hl_rd_init(&rd, buf, len);
	if (rd_utf(&rd, &s, &n))
		goto bad;
	r->meta.compressor = hl_arena_strndup(r->arena, s, n);
	simple = strrchr(r->meta.compressor, '.');
	simple = simple ? simple + 1 : r->meta.compressor;
	if (strcmp(simple, "LZ4Compressor") == 0)
		r->comp = SST_COMP_LZ4;
	else if (strcmp(simple, "SnappyCompressor") == 0)
		r->comp = SST_COMP_SNAPPY;
	else if (strcmp(simple, "DeflateCompressor") == 0)
		r->comp = SST_COMP_DEFLATE;
	else if (strcmp(simple, "ZstdCompressor") == 0)
		r->comp = SST_COMP_ZSTD;
	else {
		hl_errf(err, HL_ERR_SERVER, "sstable %sCompressionInfo.db: unsupported compressor %s",
			r->prefix, r->meta.compressor);
		goto exit;
	}
	if (hl_rd_i32(&rd, &nopt) || nopt < 0)
		goto bad;
	for (int32_t i = 0; i < nopt; i++)
		if (rd_utf(&rd, &s, &n) || rd_utf(&rd, &s, &n))
			goto bad;
	/* Cassandra requires a power of two; the cap keeps a corrupt value from
	 * sizing a huge chunk buffer */
	if (hl_rd_i32(&rd, &clen) || clen <= 0 || clen > SST_MAX_CHUNK || (clen & (clen - 1)))
		goto bad;
	if (r->v_na && (hl_rd_i32(&rd, &mcl) || mcl <= 0))
		goto bad;
	if (hl_rd_u64(&rd, &dlen) || dlen > (uint64_t)INT64_MAX || hl_rd_i32(&rd, &count) || count < 0)
		goto bad;
	if ((uint64_t)count != (dlen + (uint64_t)clen - 1) / (uint64_t)clen) {
		sst_corrupt(r, err, "CompressionInfo.db", rd.pos, "%d chunks for %llu bytes of %d-byte chunks",
			    count, (unsigned long long)dlen, clen);
		goto exit;
	}
	if ((size_t)count > hl_rd_left(&rd) / 8)
		goto bad;
	r->chunk_len = (uint32_t)clen;
	r->max_comp_len = r->v_na ? (uint32_t)mcl : UINT32_MAX;
	r->meta.chunk_length = (uint32_t)clen;
	r->meta.data_length = dlen;
	r->nchunks = (uint64_t)count;
	r->chunk_off = hl_arena_alloc(r->arena, (size_t)(count ? count : 1) * 8);
	for (int32_t i = 0; i < count; i++) {
		uint64_t o;

		hl_rd_u64(&rd, &o);
		/* each chunk is followed by its 4-byte CRC, so offsets step by >= 4 */
		if (o > r->data_file_len || r->data_file_len - o < 4 ||
		    (i > 0 && o < r->chunk_off[i - 1] + 4)) {
			sst_corrupt(r, err, "CompressionInfo.db", rd.pos - 8,
				    "chunk %d offset %llu is out of order or outside Data.db (%llu bytes)", i,
				    (unsigned long long)o, (unsigned long long)r->data_file_len);
			goto exit;
		}
		r->chunk_off[i] = o;
	}
	rc = 0;
	goto exit;
bad:
	sst_corrupt(r, err, "CompressionInfo.db", rd.pos, "malformed compression metadata");
exit:
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ CRC.db */

int sst_load_crc(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	bool present;
	hl_rd rd;
	int32_t chunk;
	int rc = -1;

	if (sst_read_file(r, "CRC.db", false, &buf, &len, &present, err))
		goto exit;
	r->meta.has_crc = present;
	r->chunk_len = 65536;
	if (!present) {
		rc = 0;
		goto exit;
	}
	hl_rd_init(&rd, buf, len);
	if (hl_rd_i32(&rd, &chunk) || chunk <= 0 || chunk > SST_MAX_CHUNK || (len - 4) % 4) {
		sst_corrupt(r, err, "CRC.db", 0, "bad chunk size or length");
		goto exit;
	}
	r->chunk_len = (uint32_t)chunk;
	r->ncrcs = (len - 4) / 4;
	if (r->ncrcs != (r->data_file_len + (uint64_t)chunk - 1) / (uint64_t)chunk) {
		sst_corrupt(r, err, "CRC.db", 4, "%llu checksums for a %llu-byte Data.db",
			    (unsigned long long)r->ncrcs, (unsigned long long)r->data_file_len);
		goto exit;
	}
	r->crcs = hl_arena_alloc(r->arena, (size_t)(r->ncrcs ? r->ncrcs : 1) * 4);
	for (uint64_t i = 0; i < r->ncrcs; i++)
		hl_rd_u32(&rd, &r->crcs[i]);
	rc = 0;
exit:
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ Filter.db */

int sst_load_filter(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	bool present;
	hl_rd rd;
	int32_t k, words;
	const uint8_t *bits;
	int rc = -1;

	if (sst_read_file(r, "Filter.db", false, &buf, &len, &present, err))
		goto exit;
	r->meta.has_filter = present;
	if (!present) {
		rc = 0;
		goto exit;
	}
	hl_rd_init(&rd, buf, len);
	if (hl_rd_i32(&rd, &k) || hl_rd_i32(&rd, &words) || k < 1 || k > 64 || words < 1 ||
	    (size_t)words != hl_rd_left(&rd) / 8 || hl_rd_left(&rd) % 8 ||
	    hl_rd_raw(&rd, (size_t)words * 8, &bits)) {
		sst_corrupt(r, err, "Filter.db", 0, "bad bloom filter header or length");
		goto exit;
	}
	r->bf_hashes = (uint32_t)k;
	r->bf_bits = (uint64_t)words * 64;
	r->bf = hl_arena_alloc(r->arena, (size_t)words * 8);
	if (r->v_na) {
		memcpy(r->bf, bits, (size_t)words * 8);
	} else {
		/* m*: each 64-bit word was written as a big-endian long */
		for (size_t w = 0; w < (size_t)words; w++)
			for (int j = 0; j < 8; j++)
				r->bf[w * 8 + (size_t)j] = bits[w * 8 + 7 - (size_t)j];
	}
	rc = 0;
exit:
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ Summary.db */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int sst_load_summary(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	bool present;
	hl_rd rd;
	int32_t interval, count, level, full;
	uint64_t offheap;
	const uint8_t *region;
	int rc = -1;

	if (sst_read_file(r, "Summary.db", false, &buf, &len, &present, err))
		goto exit;
	r->meta.has_summary = present;
	if (!present) {
		rc = 0;
		goto exit;
	}
	hl_rd_init(&rd, buf, len);
	if (hl_rd_i32(&rd, &interval) || hl_rd_i32(&rd, &count) || hl_rd_u64(&rd, &offheap) ||
	    hl_rd_i32(&rd, &level) || hl_rd_i32(&rd, &full) || count < 0 ||
	    offheap < (uint64_t)count * 4 || offheap > hl_rd_left(&rd) ||
	    hl_rd_raw(&rd, (size_t)offheap, &region)) {
		sst_corrupt(r, err, "Summary.db", 0, "bad summary header");
		goto exit;
	}
	/* The entries are copied: buf is freed below. */
	region = hl_arena_memdup(r->arena, region, (size_t)offheap);
	r->sum = hl_arena_alloc(r->arena, (size_t)(count ? count : 1) * sizeof(*r->sum));
	r->nsum = count;
	for (int32_t i = 0; i < count; i++) {
		uint64_t o = le32(region + 4 * (size_t)i);
		uint64_t e = i + 1 < count ? le32(region + 4 * (size_t)(i + 1)) : offheap;
		sst_sum_entry *s = &r->sum[i];

		if (o < (uint64_t)count * 4 || e > offheap || e < o + 8) {
			sst_corrupt(r, err, "Summary.db", 24 + 4 * (uint64_t)i, "bad entry offset %llu",
				    (unsigned long long)o);
			goto exit;
		}
		s->key = region + o;
		s->keylen = (uint32_t)(e - o - 8);
		s->index_pos = le64(region + e - 8);
		s->token = hl_token(s->key, s->keylen);
		if (s->index_pos >= r->index_len || (i > 0 && s->index_pos <= r->sum[i - 1].index_pos)) {
			sst_corrupt(r, err, "Summary.db", 24 + e - 8,
				    "index position %llu out of order or past Index.db",
				    (unsigned long long)s->index_pos);
			goto exit;
		}
	}
	/* first and last key follow; only their framing is checked */
	for (int k = 0; k < 2; k++) {
		int32_t n;
		const uint8_t *p;

		if (hl_rd_i32(&rd, &n) || n < 0 || hl_rd_raw(&rd, (size_t)n, &p)) {
			sst_corrupt(r, err, "Summary.db", rd.pos, "truncated first/last key");
			goto exit;
		}
	}
	rc = 0;
exit:
	free(buf);
	return rc;
}
