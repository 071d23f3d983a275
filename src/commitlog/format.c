/*
 * commitlog/format.c: the on-disk format of commit log segments and the
 * mutation codec of their entries.
 *
 * Commit log segment format, version 2 (reads 1 and 2)
 * ======================================================
 * Not Cassandra's byte format (Cassandra's commit log is node-private, so
 * nothing needs to read it but us). All integers are big-endian.
 *
 * File name: <commitlog_directory>/CommitLog-<shard>-<segment id>.log.
 * Segment ids are decimal u64, strictly increasing within a shard; a run of
 * the log (one cl_open .. cl_close) uses consecutive ids starting at
 * max(now in ms, largest existing id + 1).
 *
 * Header (32 bytes):
 *   0  "HLCL"          magic
 *   4  u16 version     2 (1: the older cell encoding below; still read)
 *   6  u16 flags       0 (readers reject other values)
 *   8  u32 shard
 *   12 u64 segment id  equals the id in the file name
 *   20 u64 run id      id of the first segment of the run that wrote it
 *   28 u32 CRC-32      (zlib polynomial) of bytes 0..27 (in every version)
 *
 * Entries follow the header back to back until the end of the file:
 *   u32 len            payload length, >= 1
 *   u32 len CRC        CRC of (u64 segment id, u32 len): binds the entry
 *                      to its segment, so bytes from another segment (a
 *                      copied or reused file) never pass for an entry
 *   len bytes payload
 *   u32 payload CRC    CRC of the payload
 * The entry CRCs are CRC-32C (Castagnoli: init and final xor 0xFFFFFFFF,
 * "123456789" -> 0xE3069283) in version 2, CRC-32 (zlib) in version 1.
 * An entry's position (cl_pos) is (segment id, offset of the byte after its
 * payload CRC). There is no end marker: the file ends after the last entry
 * written. Files are only ever appended to, never preallocated or reused.
 *
 * Payload (uv = unsigned vint and sv = signed vint, Cassandra's encoding;
 * bytes = uv length + raw bytes; i64/i32 = fixed width):
 *   payload := table-id[16] key:bytes token:i64 flags:u8
 *              [pdel:del if flags&1] [static:row if flags&2]
 *              nrows:uv row*  nrts:uv rt*
 *   del     := ts:i64 ldt:i64
 *   row     := nclust:uv bytes*nclust rflags:u8
 *              [marker ts:i64 ttl:i32 expire:i64 if rflags&1] [del if rflags&2]
 *              ncells:uv cell*  ncdels:uv cdel*
 *              (the static row has nclust 0)
 *   cell    := col:uv cflags:u8 [path:bytes if cflags&1]
 *              [ts:i64 unless cflags&2] [ttl:i32 ldt:i64 unless cflags&4]
 *              value:bytes
 *              cflags&1: cell of a complex column (path follows)
 *              cflags&2: ts equals the previous cell's ts in this entry (the
 *                        usual case: one statement, one timestamp)
 *              cflags&4: a live cell without TTL (ttl 0, ldt INT64_MAX)
 *              Version 1 has neither bit 2 nor 4: every cell carries ts, ttl
 *              and ldt (57 bytes for a 34-byte value against 37 in version 2).
 *   cdel    := col:uv del               (whole-collection deletion)
 *   rt      := start:bound end:bound del
 *   bound   := n:uv inclusive:u8 bytes*n
 * Unknown flag bits are an error (a new field means a new format version).
 *
 * Damage rule on replay: a run writes its segments strictly one after
 * another and fsyncs each before the next file is created, so after a crash
 * only the last segment of a run (highest id with that run id) can end in a
 * torn entry. See cl_replay in commitlog.h for what replay does with damage
 * there and elsewhere.
 */
#include "commitlog/cl_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ header */

void cl__hdr_encode(hl_buf *out, const cl_hdr *h)
{
	size_t start = out->len;

	hl_buf_put(out, CL_MAGIC, 4);
	hl_buf_u16(out, h->version);
	hl_buf_u16(out, 0);
	hl_buf_u32(out, h->shard);
	hl_buf_u64(out, h->id);
	hl_buf_u64(out, h->run);
	hl_buf_u32(out, hl_crc32(0, out->p + start, CL_HDR_SIZE - 4));
}

int cl__hdr_decode(const uint8_t *p, cl_hdr *h)
{
	hl_rd r;
	const uint8_t *magic;
	uint16_t flags;
	uint32_t crc;

	hl_rd_init(&r, p, CL_HDR_SIZE);
	hl_rd_raw(&r, 4, &magic);
	hl_rd_u16(&r, &h->version);
	hl_rd_u16(&r, &flags);
	hl_rd_u32(&r, &h->shard);
	hl_rd_u64(&r, &h->id);
	hl_rd_u64(&r, &h->run);
	hl_rd_u32(&r, &crc);
	if (r.bad || memcmp(magic, CL_MAGIC, 4) != 0 || h->version < CL_VERSION_MIN ||
	    h->version > CL_VERSION || flags != 0 ||
	    crc != hl_crc32(0, p, CL_HDR_SIZE - 4))
		return -1;
	return 0;
}

/*
 * CRC-32C (Castagnoli), the entry checksum of version 2: SSE4.2 has an
 * instruction for it (8 bytes per instruction), where zlib's CRC-32 took
 * ~1,300 instructions of a ~14,000-instruction write for its two entry
 * checksums. Other CPUs use a table.
 */
static uint32_t crc32c_table[256];

static void crc32c_init_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
}

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, crc32c_init_table);
	while (n--)
		crc = crc32c_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p,
							     size_t n)
{
	uint64_t c = crc;

	for (; n >= 8; n -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (n--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

static int crc32c_hw_ok = -1;      /* -1: not probed yet (a benign race) */

static bool have_sse42(void)
{
	if (crc32c_hw_ok < 0)
		crc32c_hw_ok = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return crc32c_hw_ok == 1;
}
#endif

uint32_t cl__crc32c(const void *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (have_sse42())
		return ~crc32c_hw(crc, p, n);
#endif
	return ~crc32c_sw(crc, p, n);
}

uint32_t cl__entry_crc(int version, const void *p, size_t n)
{
	return version >= 2 ? cl__crc32c(p, n) : hl_crc32(0, p, n);
}

uint32_t cl__len_crc(int version, uint64_t segment, uint32_t len)
{
	uint8_t b[12];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(segment >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		b[8 + i] = (uint8_t)(len >> (24 - 8 * i));
	return cl__entry_crc(version, b, sizeof b);
}

char *cl__seg_path(const char *dir, int shard, uint64_t id)
{
	size_t n = strlen(dir) + 64;
	char *p = hl_malloc(n);

	snprintf(p, n, "%s/CommitLog-%d-%llu.log", dir, shard, (unsigned long long)id);
	return p;
}

/* ------------------------------------------------------------ encode */

enum { F_PDEL = 1, F_STATIC = 2 };
enum { R_MARKER = 1, R_DEL = 2 };
enum { C_PATH = 1, C_TS_PREV = 2, C_LIVE = 4 };

/*
 * The encoder writes through a raw pointer into room reserved once: a
 * first pass bounds the size (every vint counted at its 9-byte maximum), so
 * no field pays a capacity check and a call. This was ~3,000 instructions of
 * a ~16,500-instruction write.
 */
#define VMAX 9

static size_t bound_row(const st_mrow *r)
{
	size_t n = VMAX + 1 + 20 + 16 + 2 * VMAX;

	for (int i = 0; i < r->nclust; i++)
		n += VMAX + r->clust[i].len;
	for (const st_cell *c = r->cells; c; c = c->next)
		n += VMAX + 1 + (c->path ? VMAX + c->path_len : 0) + 20 + VMAX + c->len;
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		n += VMAX + 16;
	return n;
}

static size_t bound_mut(const st_mutation *m)
{
	size_t n = 16 + VMAX + m->keylen + 8 + 1 + 16 + 2 * VMAX;

	if (m->static_row)
		n += bound_row(m->static_row);
	for (const st_mrow *r = m->rows; r; r = r->next)
		n += bound_row(r);
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next) {
		n += 2 * (VMAX + 1) + 16;
		for (int i = 0; i < rt->start.n; i++)
			n += VMAX + rt->start.vals[i].len;
		for (int i = 0; i < rt->end.n; i++)
			n += VMAX + rt->end.vals[i].len;
	}
	return n;
}

static inline uint8_t *w_u32(uint8_t *w, uint32_t v)
{
	w[0] = (uint8_t)(v >> 24);
	w[1] = (uint8_t)(v >> 16);
	w[2] = (uint8_t)(v >> 8);
	w[3] = (uint8_t)v;
	return w + 4;
}

static inline uint8_t *w_u64(uint8_t *w, uint64_t v)
{
	return w_u32(w_u32(w, (uint32_t)(v >> 32)), (uint32_t)v);
}

/* Cassandra's unsigned vint, as hl_buf_uvint. */
static inline uint8_t *w_uv(uint8_t *w, uint64_t v)
{
	int extra = 0;

	if (v < 0x80) {
		*w = (uint8_t)v;
		return w + 1;
	}
	while (extra < 8 && v >> (7 * (extra + 1)) != 0)
		extra++;
	if (extra == 8) {
		*w = 0xFF;
		return w_u64(w + 1, v);
	}
	for (int i = extra; i >= 0; i--) {
		w[i] = (uint8_t)v;
		v >>= 8;
	}
	w[0] |= (uint8_t)~(0xFFu >> extra);
	return w + extra + 1;
}

static inline uint8_t *w_bytes(uint8_t *w, const uint8_t *p, uint32_t n)
{
	w = w_uv(w, n);
	if (n)
		memcpy(w, p, n);
	return w + n;
}

static inline uint8_t *w_del(uint8_t *w, const st_deletion *d)
{
	return w_u64(w_u64(w, (uint64_t)d->ts), (uint64_t)d->ldt);
}

static uint8_t *w_row(uint8_t *w, const st_mrow *r, int64_t *prev_ts)
{
	uint64_t n = 0;

	w = w_uv(w, (uint64_t)(r->nclust > 0 ? r->nclust : 0));
	for (int i = 0; i < r->nclust; i++)
		w = w_bytes(w, r->clust[i].p, r->clust[i].len);
	*w++ = (uint8_t)((r->marker.ts != ST_NO_TS ? R_MARKER : 0) |
			 (r->del.ts != ST_NO_TS ? R_DEL : 0));
	if (r->marker.ts != ST_NO_TS) {
		w = w_u64(w, (uint64_t)r->marker.ts);
		w = w_u32(w, (uint32_t)r->marker.ttl);
		w = w_u64(w, (uint64_t)r->marker.expire);
	}
	if (r->del.ts != ST_NO_TS)
		w = w_del(w, &r->del);
	/* count by walking: the lists are the truth, the counters a hint */
	for (const st_cell *c = r->cells; c; c = c->next)
		n++;
	w = w_uv(w, n);
	for (const st_cell *c = r->cells; c; c = c->next) {
		bool same = c->ts == *prev_ts && c->ts != ST_NO_TS, live = c->ttl == 0 && c->ldt == ST_NO_LDT;

		w = w_uv(w, (uint64_t)(c->col > 0 ? c->col : 0));
		*w++ = (uint8_t)((c->path ? C_PATH : 0) | (same ? C_TS_PREV : 0) |
				 (live ? C_LIVE : 0));
		if (c->path)
			w = w_bytes(w, c->path, c->path_len);
		if (!same)
			w = w_u64(w, (uint64_t)c->ts);
		if (!live) {
			w = w_u32(w, (uint32_t)c->ttl);
			w = w_u64(w, (uint64_t)c->ldt);
		}
		w = w_bytes(w, c->value, c->len);
		*prev_ts = c->ts;
	}
	n = 0;
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		n++;
	w = w_uv(w, n);
	for (const st_complex_del *d = r->cdels; d; d = d->next) {
		w = w_uv(w, (uint64_t)(d->col > 0 ? d->col : 0));
		w = w_del(w, &d->del);
	}
	return w;
}

static uint8_t *w_bound(uint8_t *w, const st_bound *bd)
{
	int n = bd->n > 0 ? bd->n : 0;

	w = w_uv(w, (uint64_t)n);
	*w++ = bd->inclusive ? 1 : 0;
	for (int i = 0; i < n; i++)
		w = w_bytes(w, bd->vals[i].p, bd->vals[i].len);
	return w;
}

void cl_mutation_encode(hl_buf *out, const hl_uuid *table, const st_mutation *m)
{
	uint64_t n = 0;
	/* no cell has this timestamp, so the first cell always carries its own */
	int64_t prev_ts = ST_NO_TS;
	uint8_t *w, *start;

	hl_buf_reserve(out, bound_mut(m));
	start = w = out->p + out->len;
	memcpy(w, table->b, 16);
	w = w_bytes(w + 16, m->key, m->keylen);
	w = w_u64(w, (uint64_t)m->token);
	*w++ = (uint8_t)((m->pdel.ts != ST_NO_TS ? F_PDEL : 0) | (m->static_row ? F_STATIC : 0));
	if (m->pdel.ts != ST_NO_TS)
		w = w_del(w, &m->pdel);
	if (m->static_row)
		w = w_row(w, m->static_row, &prev_ts);
	for (const st_mrow *r = m->rows; r; r = r->next)
		n++;
	w = w_uv(w, n);
	for (const st_mrow *r = m->rows; r; r = r->next)
		w = w_row(w, r, &prev_ts);
	n = 0;
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		n++;
	w = w_uv(w, n);
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next) {
		w = w_bound(w, &rt->start);
		w = w_bound(w, &rt->end);
		w = w_del(w, &rt->del);
	}
	out->len += (size_t)(w - start);
}

/* ------------------------------------------------------------ decode */

/*
 * Every count read from the payload is checked against the bytes left
 * before anything is allocated for it: each element takes at least one
 * byte, so a lying count fails fast instead of allocating or looping.
 */
static int get_count(hl_rd *r, uint64_t max, uint64_t *n)
{
	if (hl_rd_uvint(r, n))
		return -1;
	if (*n > hl_rd_left(r) || *n > max) {
		r->bad = true;
		return -1;
	}
	return 0;
}

static int get_bytes(hl_rd *r, st_bytes *b)
{
	uint64_t n;
	const uint8_t *p = NULL;

	if (hl_rd_uvint(r, &n))
		return -1;
	if (n > hl_rd_left(r) || n > UINT32_MAX) {
		r->bad = true;
		return -1;
	}
	if (hl_rd_raw(r, (size_t)n, &p))
		return -1;
	b->p = n ? p : NULL;
	b->len = (uint32_t)n;
	return 0;
}

static int get_i64(hl_rd *r, int64_t *v)
{
	uint64_t u;

	if (hl_rd_u64(r, &u))
		return -1;
	*v = (int64_t)u;
	return 0;
}

static int get_del(hl_rd *r, st_deletion *d)
{
	if (get_i64(r, &d->ts) || get_i64(r, &d->ldt))
		return -1;
	return 0;
}

static int get_col(hl_rd *r, int *col)
{
	uint64_t v;

	if (hl_rd_uvint(r, &v))
		return -1;
	if (v > INT32_MAX) {
		r->bad = true;
		return -1;
	}
	*col = (int)v;
	return 0;
}

static st_bytes *get_values_n(hl_rd *r, hl_arena *a, uint64_t n)
{
	st_bytes *v = NULL;

	if (n)
		v = hl_arena_alloc(a, (size_t)n * sizeof(*v));
	for (uint64_t i = 0; i < n; i++)
		if (get_bytes(r, &v[i]))
			return NULL;
	return v;
}

static st_bytes *get_values(hl_rd *r, hl_arena *a, int *n_out)
{
	uint64_t n;

	if (get_count(r, INT32_MAX, &n))
		return NULL;
	*n_out = (int)n;
	return get_values_n(r, a, n);
}

/* Row body after the clustering (shared by the static and regular rows). */
static int get_row_body(hl_rd *r, hl_arena *a, st_mrow *row, int version, int64_t *prev_ts)
{
	uint8_t cbits = version >= 2 ? C_PATH | C_TS_PREV | C_LIVE : C_PATH;
	uint8_t fl;
	uint64_t n;

	if (hl_rd_u8(r, &fl))
		return -1;
	if (fl & ~(R_MARKER | R_DEL)) {
		r->bad = true;
		return -1;
	}
	if (fl & R_MARKER) {
		int64_t ts, expire;
		int32_t ttl;

		if (get_i64(r, &ts) || hl_rd_i32(r, &ttl) || get_i64(r, &expire))
			return -1;
		st_row_marker(row, ts, ttl, expire);
	}
	if (fl & R_DEL) {
		st_deletion d;

		if (get_del(r, &d))
			return -1;
		st_row_delete(row, d.ts, d.ldt);
	}
	if (get_count(r, INT32_MAX, &n))
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		int col;
		uint8_t cf;
		st_bytes path = { NULL, 0 }, val;
		int64_t ts, ldt;
		int32_t ttl;

		if (get_col(r, &col) || hl_rd_u8(r, &cf))
			return -1;
		if (cf & ~cbits) {
			r->bad = true;
			return -1;
		}
		if ((cf & C_PATH) && get_bytes(r, &path))
			return -1;
		if (cf & C_TS_PREV) {
			/* only after a cell that carried or inherited one */
			if (*prev_ts == ST_NO_TS) {
				r->bad = true;
				return -1;
			}
			ts = *prev_ts;
		} else if (get_i64(r, &ts)) {
			return -1;
		}
		if (cf & C_LIVE) {
			ttl = 0;
			ldt = ST_NO_LDT;
		} else if (hl_rd_i32(r, &ttl) || get_i64(r, &ldt)) {
			return -1;
		}
		if (get_bytes(r, &val))
			return -1;
		*prev_ts = ts;
		/* Cassandra's cell encoding (storage.h): ttl == 0 with a deletion
		 * time is a tombstone, else live/expiring with ldt = expiry. */
		if (cf & C_PATH) {
			if (ttl <= 0 && ldt != ST_NO_LDT)
				st_row_tombstone_path(row, col, path.p, path.len, ts, ldt);
			else
				st_row_cell_path(row, col, path.p, path.len, ts, ttl, ldt, val.p,
						 val.len);
		} else {
			if (ttl <= 0 && ldt != ST_NO_LDT)
				st_row_tombstone(row, col, ts, ldt);
			else
				st_row_cell(row, col, ts, ttl, ldt, val.p, val.len);
		}
	}
	if (get_count(r, INT32_MAX, &n))
		return -1;
	if (n) {
		/* st_row_complex_delete prepends: add in reverse to keep the order */
		int *cols = hl_arena_alloc(a, (size_t)n * sizeof(*cols));
		st_deletion *dels = hl_arena_alloc(a, (size_t)n * sizeof(*dels));

		for (uint64_t i = 0; i < n; i++)
			if (get_col(r, &cols[i]) || get_del(r, &dels[i]))
				return -1;
		for (uint64_t i = n; i-- > 0;)
			st_row_complex_delete(row, cols[i], dels[i].ts, dels[i].ldt);
	}
	return 0;
}

static int get_bound(hl_rd *r, hl_arena *a, st_bound *b)
{
	uint64_t n;
	uint8_t incl;

	if (get_count(r, INT32_MAX, &n) || hl_rd_u8(r, &incl))
		return -1;
	if (incl > 1) {
		r->bad = true;
		return -1;
	}
	b->n = (int)n;
	b->inclusive = incl;
	b->vals = get_values_n(r, a, n);
	return r->bad ? -1 : 0;
}

int cl_mutation_decode(const uint8_t *p, size_t n, hl_arena *a, hl_uuid *table,
		       st_mutation **out, hl_err *err)
{
	return cl_mutation_decode_v(CL_VERSION, p, n, a, table, out, err);
}

int cl_mutation_decode_v(int version, const uint8_t *p, size_t n, hl_arena *a, hl_uuid *table,
			 st_mutation **out, hl_err *err)
{
	int64_t prev_ts = ST_NO_TS;
	hl_rd r;
	const uint8_t *tid;
	st_bytes key;
	int64_t token;
	uint8_t fl;
	uint64_t cnt;
	st_mutation *m = NULL;
	int rc = -1;

	hl_rd_init(&r, p, n);
	if (hl_rd_raw(&r, 16, &tid) || get_bytes(&r, &key) || get_i64(&r, &token) ||
	    hl_rd_u8(&r, &fl))
		goto exit;
	if (fl & ~(F_PDEL | F_STATIC)) {
		r.bad = true;
		goto exit;
	}
	memcpy(table->b, tid, 16);
	m = st_mut_new(a, key.p, key.len, token);
	if (fl & F_PDEL) {
		st_deletion d;

		if (get_del(&r, &d))
			goto exit;
		st_mut_delete_partition(m, d.ts, d.ldt);
	}
	if (fl & F_STATIC) {
		uint64_t nc;

		if (hl_rd_uvint(&r, &nc))
			goto exit;
		if (nc != 0) {
			r.bad = true;
			goto exit;
		}
		if (get_row_body(&r, a, st_mut_static(m), version, &prev_ts))
			goto exit;
	}
	if (get_count(&r, INT32_MAX, &cnt))
		goto exit;
	for (uint64_t i = 0; i < cnt; i++) {
		int nc = 0;
		const st_bytes *cv = get_values(&r, a, &nc);

		if (r.bad || get_row_body(&r, a, st_mut_row(m, nc, cv), version, &prev_ts))
			goto exit;
	}
	if (get_count(&r, INT32_MAX, &cnt))
		goto exit;
	for (uint64_t i = 0; i < cnt; i++) {
		st_bound s, e;
		st_deletion d;

		if (get_bound(&r, a, &s) || get_bound(&r, a, &e) || get_del(&r, &d))
			goto exit;
		st_mut_range_tombstone(m, &s, &e, d.ts, d.ldt);
	}
	if (hl_rd_left(&r) != 0) {
		r.bad = true;
		goto exit;
	}
	*out = m;
	rc = 0;
exit:
	if (rc)
		hl_errf(err, HL_ERR_SERVER, "malformed commit log entry (at byte %zu of %zu)",
			r.pos, n);
	return rc;
}
