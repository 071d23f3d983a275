/*
 * Unit tests for the commit log: the entry codec, segment rotation and
 * replay, damage handling (torn tail, corrupt entries), discarding and
 * deletion of flushed segments, the sync modes' durability reporting, and
 * I/O failures (unwritable directory, file size limit standing in for a
 * full disk).
 */
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commitlog/cl_int.h"

static char root[256];

static void mkroot(void)
{
	snprintf(root, sizeof root, "/tmp/hl-cl-test-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
}

static void rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (unlink(p) != 0)
			rmtree(p);
	}
	closedir(d);
	rmdir(dir);
}

static const char *subdir(const char *name)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/%s", root, name);
	return p;
}

/* Segment files of shard 0 in dir, sorted by id (ids[] up to max). */
static int list_ids(const char *dir, uint64_t *ids, int max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long long id;
		int shard;

		if (sscanf(de->d_name, "CommitLog-%d-%llu.log", &shard, &id) == 2 && shard == 0 &&
		    n < max)
			ids[n++] = id;
	}
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint64_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

static void seg_path(char *out, size_t n, const char *dir, uint64_t id)
{
	if (strlen(dir) + 48 > n)
		abort();
	snprintf(out, n, "%s/CommitLog-0-%llu.log", dir, (unsigned long long)id);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* ------------------------------------------------------------ mutations */

static st_bytes B(const char *s)
{
	return (st_bytes){ (const uint8_t *)s, (uint32_t)strlen(s) };
}

static st_mutation *rich_mutation(hl_arena *a)
{
	st_mutation *m = st_mut_new(a, "pk\0x", 4, -123456789);
	st_bytes c1[2] = { B("a"), B("") };
	st_bytes c2[2] = { B("b"), B("zz") };
	st_bytes lo[1] = { B("c") }, hi[2] = { B("d"), B("e") };
	st_bound s1 = { 1, lo, true }, e1 = { 2, hi, false }, open = { 0, NULL, true };
	st_mrow *r;

	st_mut_delete_partition(m, 1000, 50);
	st_mut_static_cell(m, 0, 2000, 0, 0, "stat", 4);
	st_mut_static_tombstone(m, 1, 2001, 60);
	st_mut_static_cell(m, 2, 2002, 3600, 99999, "exp", 3);
	r = st_mut_row(m, 2, c1);
	st_row_marker(r, 3000, 86400, 1234567);
	st_row_delete(r, 2999, 70);
	st_row_cell(r, 3, 3001, 0, 0, "", 0);
	st_row_cell(r, 4, 3002, 0, 0, "value\xff\x00z", 8);
	st_row_tombstone(r, 5, 3003, 80);
	st_row_cell_path(r, 6, "k1", 2, 3004, 0, 0, "v1", 2);
	st_row_cell_path(r, 6, "", 0, 3005, 10, 777, "v2", 2);
	st_row_tombstone_path(r, 6, "k3", 2, 3006, 90);
	st_row_complex_delete(r, 6, 3007, 91);
	st_row_complex_delete(r, 7, 3008, 92);
	r = st_mut_row(m, 2, c2);
	st_row_marker(r, 4000, 0, 0);
	st_row_cell(r, 3, INT64_MAX, 0, 0, "x", 1);
	st_mut_row(m, 2, c2);                 /* an empty row (shape only) */
	st_mut_range_tombstone(m, &s1, &e1, 5000, 100);
	st_mut_range_tombstone(m, &open, &s1, 5001, 101);
	st_mut_range_tombstone(m, &e1, &open, INT64_MIN + 1, 102);
	return m;
}

static st_mutation *small_mutation(hl_arena *a, int i)
{
	char key[32], val[300];
	int vlen = 5 + (i * 37) % 250;
	st_bytes ck[1];
	st_mutation *m;
	st_mrow *r;

	snprintf(key, sizeof key, "key-%d", i);
	for (int j = 0; j < vlen; j++)
		val[j] = (char)('a' + (i + j) % 26);
	m = st_mut_new(a, key, strlen(key), hl_token(key, strlen(key)));
	ck[0] = (st_bytes){ (const uint8_t *)&i, sizeof i };
	r = st_mut_row(m, 1, ck);
	st_row_marker(r, 1000 + i, 0, 0);
	st_row_cell(r, 1, 1000 + i, 0, 0, val, (size_t)vlen);
	return m;
}

static bool bytes_eq(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool del_eq(st_deletion a, st_deletion b)
{
	return a.ts == b.ts && (a.ts == ST_NO_TS || a.ldt == b.ldt);
}

static bool row_eq(const st_mrow *a, const st_mrow *b)
{
	const st_cell *x, *y;
	const st_complex_del *p, *q;

	if (!a || !b)
		return a == b;
	if (a->nclust != b->nclust || a->ncells != b->ncells)
		return false;
	for (int i = 0; i < a->nclust; i++)
		if (!bytes_eq(a->clust[i].p, a->clust[i].len, b->clust[i].p, b->clust[i].len))
			return false;
	if (a->marker.ts != b->marker.ts || a->marker.ttl != b->marker.ttl ||
	    a->marker.expire != b->marker.expire || !del_eq(a->del, b->del))
		return false;
	for (x = a->cells, y = b->cells; x && y; x = x->next, y = y->next) {
		if (x->col != y->col || (x->path == NULL) != (y->path == NULL) || x->ts != y->ts ||
		    x->ttl != y->ttl || x->ldt != y->ldt ||
		    !bytes_eq(x->value, x->len, y->value, y->len))
			return false;
		if (x->path && !bytes_eq(x->path, x->path_len, y->path, y->path_len))
			return false;
	}
	if (x || y)
		return false;
	for (p = a->cdels, q = b->cdels; p && q; p = p->next, q = q->next)
		if (p->col != q->col || !del_eq(p->del, q->del))
			return false;
	return !p && !q;
}

static bool bound_eq(const st_bound *a, const st_bound *b)
{
	if (a->n != b->n || a->inclusive != b->inclusive)
		return false;
	for (int i = 0; i < a->n; i++)
		if (!bytes_eq(a->vals[i].p, a->vals[i].len, b->vals[i].p, b->vals[i].len))
			return false;
	return true;
}

static bool mut_eq(const st_mutation *a, const st_mutation *b)
{
	const st_mrow *x, *y;
	const st_range_tomb *p, *q;

	if (!bytes_eq(a->key, a->keylen, b->key, b->keylen) || a->token != b->token ||
	    !del_eq(a->pdel, b->pdel) || a->nrows != b->nrows || a->nrts != b->nrts ||
	    !row_eq(a->static_row, b->static_row))
		return false;
	for (x = a->rows, y = b->rows; x && y; x = x->next, y = y->next)
		if (!row_eq(x, y))
			return false;
	if (x || y)
		return false;
	for (p = a->rts, q = b->rts; p && q; p = p->next, q = q->next)
		if (!bound_eq(&p->start, &q->start) || !bound_eq(&p->end, &q->end) ||
		    !del_eq(p->del, q->del))
			return false;
	return !p && !q;
}

static void test_codec(void)
{
	hl_arena *a = hl_arena_new(4096), *b = hl_arena_new(4096);
	hl_uuid tid, got;
	hl_buf enc, enc2;
	st_mutation *m = rich_mutation(a), *d = NULL;
	hl_err err;
	int bad = 0;

	hl_uuid_random(&tid);
	hl_buf_init(&enc);
	hl_buf_init(&enc2);
	cl_mutation_encode(&enc, &tid, m);
	CHECK(cl_mutation_decode(enc.p, enc.len, b, &got, &d, &err) == 0);
	if (!d)
		fprintf(stderr, "decode: %s\n", err.msg);
	CHECK(d && mut_eq(m, d));
	CHECK(memcmp(got.b, tid.b, 16) == 0);
	/* spot checks independent of mut_eq */
	CHECK(d && d->static_row && d->static_row->ncells == 3);
	CHECK(d && d->rows->cdels && d->rows->cdels->col == 7);
	CHECK(d && d->rows->cells->next->next->next->next->path_len == 0);
	CHECK(d && d->rts->next->start.n == 0 && d->rts->end.inclusive == false);
	if (d) {
		cl_mutation_encode(&enc2, &tid, d);
		CHECK(enc2.len == enc.len && memcmp(enc.p, enc2.p, enc.len) == 0);
	}
	/* every strict prefix and any trailing byte is rejected, without crashing */
	for (size_t n = 0; n < enc.len; n++) {
		hl_arena_reset(b);
		if (cl_mutation_decode(enc.p, n, b, &got, &d, &err) == 0)
			bad++;
	}
	CHECK(bad == 0);
	hl_buf_u8(&enc, 0);
	CHECK(cl_mutation_decode(enc.p, enc.len, b, &got, &d, &err) == -1);
	CHECK(err.code == HL_ERR_SERVER);
	/* minimal mutation: no deletion, no static row, no rows */
	hl_buf_reset(&enc);
	m = st_mut_new(a, "", 0, INT64_MIN);
	cl_mutation_encode(&enc, &tid, m);
	hl_arena_reset(b);
	CHECK(cl_mutation_decode(enc.p, enc.len, b, &got, &d, &err) == 0 && mut_eq(m, d));
	hl_buf_free(&enc);
	hl_buf_free(&enc2);
	hl_arena_free(a);
	hl_arena_free(b);
}

/*
 * Format version 1 as the old encoder wrote it (every cell with ts, ttl and
 * ldt), kept here as the reference for reading old segments.
 */
static void v1_bytes(hl_buf *b, const uint8_t *p, uint32_t n)
{
	hl_buf_uvint(b, n);
	hl_buf_put(b, p, n);
}

static void v1_row(hl_buf *b, const st_mrow *r)
{
	uint64_t n = 0;

	hl_buf_uvint(b, (uint64_t)r->nclust);
	for (int i = 0; i < r->nclust; i++)
		v1_bytes(b, r->clust[i].p, r->clust[i].len);
	hl_buf_u8(b, (uint8_t)((r->marker.ts != ST_NO_TS ? 1 : 0) | (r->del.ts != ST_NO_TS ? 2 : 0)));
	if (r->marker.ts != ST_NO_TS) {
		hl_buf_u64(b, (uint64_t)r->marker.ts);
		hl_buf_u32(b, (uint32_t)r->marker.ttl);
		hl_buf_u64(b, (uint64_t)r->marker.expire);
	}
	if (r->del.ts != ST_NO_TS) {
		hl_buf_u64(b, (uint64_t)r->del.ts);
		hl_buf_u64(b, (uint64_t)r->del.ldt);
	}
	for (const st_cell *c = r->cells; c; c = c->next)
		n++;
	hl_buf_uvint(b, n);
	for (const st_cell *c = r->cells; c; c = c->next) {
		hl_buf_uvint(b, (uint64_t)c->col);
		hl_buf_u8(b, c->path ? 1 : 0);
		if (c->path)
			v1_bytes(b, c->path, c->path_len);
		hl_buf_u64(b, (uint64_t)c->ts);
		hl_buf_u32(b, (uint32_t)c->ttl);
		hl_buf_u64(b, (uint64_t)c->ldt);
		v1_bytes(b, c->value, c->len);
	}
	n = 0;
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		n++;
	hl_buf_uvint(b, n);
	for (const st_complex_del *d = r->cdels; d; d = d->next) {
		hl_buf_uvint(b, (uint64_t)d->col);
		hl_buf_u64(b, (uint64_t)d->del.ts);
		hl_buf_u64(b, (uint64_t)d->del.ldt);
	}
}

static void v1_bound(hl_buf *b, const st_bound *bd)
{
	hl_buf_uvint(b, (uint64_t)bd->n);
	hl_buf_u8(b, bd->inclusive ? 1 : 0);
	for (int i = 0; i < bd->n; i++)
		v1_bytes(b, bd->vals[i].p, bd->vals[i].len);
}

static void v1_encode(hl_buf *b, const hl_uuid *t, const st_mutation *m)
{
	uint64_t n = 0;

	hl_buf_put(b, t->b, 16);
	v1_bytes(b, m->key, m->keylen);
	hl_buf_u64(b, (uint64_t)m->token);
	hl_buf_u8(b, (uint8_t)((m->pdel.ts != ST_NO_TS ? 1 : 0) | (m->static_row ? 2 : 0)));
	if (m->pdel.ts != ST_NO_TS) {
		hl_buf_u64(b, (uint64_t)m->pdel.ts);
		hl_buf_u64(b, (uint64_t)m->pdel.ldt);
	}
	if (m->static_row)
		v1_row(b, m->static_row);
	for (const st_mrow *r = m->rows; r; r = r->next)
		n++;
	hl_buf_uvint(b, n);
	for (const st_mrow *r = m->rows; r; r = r->next)
		v1_row(b, r);
	n = 0;
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next)
		n++;
	hl_buf_uvint(b, n);
	for (const st_range_tomb *rt = m->rts; rt; rt = rt->next) {
		v1_bound(b, &rt->start);
		v1_bound(b, &rt->end);
		hl_buf_u64(b, (uint64_t)rt->del.ts);
		hl_buf_u64(b, (uint64_t)rt->del.ldt);
	}
}

static int count_entry(void *ctx, const hl_uuid *table, const st_mutation *m, cl_pos pos,
		       hl_err *err)
{
	(void)table, (void)pos, (void)err;
	if (m->keylen == 4 && memcmp(m->key, "pk\0x", 4) == 0)
		(*(int *)ctx)++;
	return 0;
}

/* Version 2 payloads are smaller; version 1 segments (older binaries) still
 * decode to the same mutation and replay; version 2's cell bits are errors
 * in version 1. */
static void test_codec_versions(void)
{
	hl_arena *a = hl_arena_new(4096), *b = hl_arena_new(4096);
	hl_uuid tid, got;
	hl_buf v1, v2, file;
	st_mutation *m = rich_mutation(a), *d = NULL;
	hl_err err;
	const char *dir = subdir("v1");
	char path[512];
	FILE *f;
	int n = 0;
	cl_hdr h = { 1, 0, 5, 5 };
	st_mutation *row5 = st_mut_new(a, "0123456789", 10, 42);
	st_mrow *r = st_mut_row(row5, 0, NULL);

	for (int i = 0; i < 5; i++)
		st_row_cell(r, i, 1700000000000000, 0, ST_NO_LDT,
			    "0123456789012345678901234567890123", 34);
	memset(tid.b, 9, 16);
	hl_buf_init(&v1);
	hl_buf_init(&v2);
	hl_buf_init(&file);
	v1_encode(&v1, &tid, m);
	cl_mutation_encode(&v2, &tid, m);
	CHECK(v2.len < v1.len);
	CHECK(cl_mutation_decode_v(1, v1.p, v1.len, b, &got, &d, &err) == 0 && d && mut_eq(m, d));
	hl_arena_reset(b);
	CHECK(cl_mutation_decode_v(2, v2.p, v2.len, b, &got, &d, &err) == 0 && d && mut_eq(m, d));
	hl_arena_reset(b);
	CHECK(cl_mutation_decode_v(1, v2.p, v2.len, b, &got, &d, &err) == -1);
	/* cassandra-stress's row: five 34-byte live cells of one timestamp */
	hl_buf_reset(&v1);
	hl_buf_reset(&v2);
	v1_encode(&v1, &tid, row5);
	cl_mutation_encode(&v2, &tid, row5);
	CHECK_EQ_I64(v1.len, 327);     /* + 12 bytes of framing per entry */
	CHECK_EQ_I64(v2.len, 235);
	hl_arena_reset(b);
	CHECK(cl_mutation_decode(v2.p, v2.len, b, &got, &d, &err) == 0 && d && mut_eq(row5, d));

	/* a version 1 segment file replays */
	hl_buf_reset(&v1);
	v1_encode(&v1, &tid, m);
	cl__hdr_encode(&file, &h);
	hl_buf_u32(&file, (uint32_t)v1.len);
	hl_buf_u32(&file, cl__len_crc(1, 5, (uint32_t)v1.len));
	hl_buf_put(&file, v1.p, v1.len);
	hl_buf_u32(&file, hl_crc32(0, v1.p, v1.len));
	mkdir(dir, 0755);
	seg_path(path, sizeof path, dir, 5);
	f = fopen(path, "wb");
	CHECK(f && fwrite(file.p, 1, file.len, f) == file.len);
	if (f)
		fclose(f);
	CHECK(cl_replay(dir, 0, false, count_entry, &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	/* version 2 checksums entries with CRC-32C; the same entry framed with
	 * version 1's CRC-32 in a version 2 file is damage (a torn tail here) */
	CHECK_EQ_I64(cl__crc32c("123456789", 9), 0xE3069283u);
	CHECK_EQ_I64(cl__crc32c("", 0), 0);
	{
		char big[1000];

		for (int i = 0; i < 1000; i++)
			big[i] = (char)(i * 7);
		/* every length and alignment agrees with the bytewise definition */
		for (int len = 0; len < 40; len++) {
			uint32_t c = 0xFFFFFFFFu;

			for (int i = 0; i < len; i++) {
				c ^= (uint8_t)big[3 + i];
				for (int k = 0; k < 8; k++)
					c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			}
			CHECK_EQ_I64(cl__crc32c(big + 3, (size_t)len), ~c);
		}
	}
	{
		cl_hdr h2 = { 2, 0, 5, 5 };

		hl_buf_reset(&file);
		cl__hdr_encode(&file, &h2);
		hl_buf_u32(&file, (uint32_t)v1.len);
		hl_buf_u32(&file, cl__len_crc(1, 5, (uint32_t)v1.len));
		hl_buf_put(&file, v1.p, v1.len);
		hl_buf_u32(&file, hl_crc32(0, v1.p, v1.len));
		f = fopen(path, "wb");
		CHECK(f && fwrite(file.p, 1, file.len, f) == file.len);
		if (f)
			fclose(f);
		n = 0;
		CHECK(cl_replay(dir, 0, false, count_entry, &n, &err) == 0);
		CHECK_EQ_I64(n, 0);
	}
	rmtree(dir);
	hl_buf_free(&v1);
	hl_buf_free(&v2);
	hl_buf_free(&file);
	hl_arena_free(a);
	hl_arena_free(b);
}

/* ------------------------------------------------------------ replay */

typedef struct collected {
	int n;
	hl_buf enc[2048];
	cl_pos pos[2048];
	hl_uuid table[2048];
	int skip_table_byte;       /* table id byte 0 to skip (-1: none) */
} collected;

static void coll_init(collected *c)
{
	memset(c, 0, sizeof(*c));
	c->skip_table_byte = -1;
}

static void coll_free(collected *c)
{
	for (int i = 0; i < c->n; i++)
		hl_buf_free(&c->enc[i]);
	c->n = 0;
}

static int collect(void *ctx, const hl_uuid *table, const st_mutation *m, cl_pos pos,
		   hl_err *err)
{
	collected *c = ctx;

	if (c->skip_table_byte >= 0 && table->b[0] == c->skip_table_byte)
		return 1;
	if (c->n >= 2048)
		return hl_errf(err, HL_ERR_SERVER, "too many");
	hl_buf_init(&c->enc[c->n]);
	cl_mutation_encode(&c->enc[c->n], table, m);
	c->pos[c->n] = pos;
	c->table[c->n] = *table;
	c->n++;
	return 0;
}

/* Write n small mutations through a log with tiny segments; returns encodings. */
static void write_log(const char *dir, int n, collected *want, uint64_t segsize)
{
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid tid;

	memset(tid.b, 0x11, 16);
	cl_opts_init(&o, dir, 0);
	o.segment_size = segsize;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	for (int i = 0; i < n; i++) {
		st_mutation *m;

		hl_arena_reset(a);
		m = small_mutation(a, i);
		CHECK(cl_append(log, &tid, m, &want->pos[i], &err) == 0);
		hl_buf_init(&want->enc[i]);
		cl_mutation_encode(&want->enc[i], &tid, m);
		if (i > 0)
			CHECK(cl_pos_cmp(want->pos[i - 1], want->pos[i]) < 0);
	}
	want->n = n;
	CHECK(cl_close(log, &err) == 0);
	hl_arena_free(a);
}

static bool same_prefix(const collected *got, const collected *want, int n)
{
	if (got->n != n)
		return false;
	for (int i = 0; i < n; i++)
		if (got->enc[i].len != want->enc[i].len ||
		    memcmp(got->enc[i].p, want->enc[i].p, got->enc[i].len) != 0 ||
		    cl_pos_cmp(got->pos[i], want->pos[i]) != 0)
			return false;
	return true;
}

static collected want, got;

static void test_roundtrip(void)
{
	const char *dir = subdir("rt");
	uint64_t ids[64];
	int nseg;
	hl_err err;

	coll_init(&want);
	coll_init(&got);
	write_log(dir, 300, &want, 4096);
	nseg = list_ids(dir, ids, 64);
	CHECK(nseg >= 5);
	for (int i = 1; i < nseg; i++)
		CHECK(ids[i] == ids[i - 1] + 1);
	/* every segment but the last is full-ish and none exceeds the size */
	for (int i = 0; i < nseg; i++) {
		char p[512];

		seg_path(p, sizeof p, dir, ids[i]);
		CHECK(file_size(p) <= 4096);
	}
	CHECK(cl_replay(dir, 0, false, collect, &got, &err) == 0);
	CHECK(same_prefix(&got, &want, 300));
	coll_free(&got);
	/* other shards see nothing */
	CHECK(cl_replay(dir, 1, false, collect, &got, &err) == 0 && got.n == 0);
	/* missing directory: nothing to replay */
	CHECK(cl_replay(subdir("nope"), 0, false, collect, &got, &err) == 0 && got.n == 0);
}

/* Index of the first entry whose position lies in segment id. */
static int first_in(const collected *c, uint64_t id)
{
	for (int i = 0; i < c->n; i++)
		if (c->pos[i].segment == id)
			return i;
	return c->n;
}

/* Run a replay with stderr captured; returns the rc, the log text in out. */
static int replay_capture(const char *dir, collected *c, char *out, size_t outn, hl_err *err)
{
	char path[512];
	int saved = dup(2), fd, rc;
	ssize_t n;

	snprintf(path, sizeof path, "%s/stderr.txt", root);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	dup2(fd, 2);
	hl_log_set_level(HL_LOG_WARN);
	rc = cl_replay(dir, 0, false, collect, c, err);
	hl_log_set_level(HL_LOG_ERROR);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, outn - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b = 0;

	CHECK(fd >= 0 && pread(fd, &b, 1, off) == 1);
	b ^= 0x5A;
	CHECK(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

static void test_damage(void)
{
	const char *dir = subdir("rt");
	uint64_t ids[64];
	int nseg = list_ids(dir, ids, 64), last, mid, k;
	char p[512];
	hl_err err;

	/* torn tail: cut the last segment in the middle of its last entry */
	seg_path(p, sizeof p, dir, ids[nseg - 1]);
	CHECK(truncate(p, file_size(p) - 5) == 0);
	coll_free(&got);
	{
		char log[4096], where[600];

		CHECK(replay_capture(dir, &got, log, sizeof log, &err) == 0);
		snprintf(where, sizeof where, "%s: truncated entry at offset %u", p,
			 want.pos[298].offset);
		CHECK(strstr(log, "WARN") && strstr(log, where));
	}
	CHECK(same_prefix(&got, &want, 299));

	/* a corrupt payload in the middle of the last segment: replay stops there */
	last = first_in(&want, ids[nseg - 1]);
	k = last + (299 - last) / 2;
	CHECK(k > last && k < 298);
	flip_byte(p, (off_t)want.pos[k].offset - 10);
	coll_free(&got);
	CHECK(cl_replay(dir, 0, false, collect, &got, &err) == 0);
	CHECK(same_prefix(&got, &want, k));

	/* a corrupt length in an earlier segment is an error ... */
	mid = first_in(&want, ids[1]);
	seg_path(p, sizeof p, dir, ids[1]);
	flip_byte(p, (off_t)want.pos[mid].offset + 2);       /* the next entry's length */
	coll_free(&got);
	hl_err_clear(&err);
	CHECK(cl_replay(dir, 0, false, collect, &got, &err) == -1);
	CHECK(err.code == HL_ERR_SERVER && strstr(err.msg, "corrupt") != NULL);
	CHECK(strstr(err.msg, p) != NULL);
	CHECK(same_prefix(&got, &want, mid + 1));           /* what preceded it was delivered */
	/* ... unless told to ignore: that segment's rest is skipped, the rest replays */
	coll_free(&got);
	CHECK(cl_replay(dir, 0, true, collect, &got, &err) == 0);
	{
		int after = first_in(&want, ids[2]);

		CHECK(got.n == mid + 1 + (k - after));
		CHECK(got.n > mid + 1 && cl_pos_cmp(got.pos[mid + 1], want.pos[after]) == 0);
	}

	/* a file shorter than a header (created, never written) is skipped */
	seg_path(p, sizeof p, dir, ids[nseg - 1] + 1);
	{
		int fd = open(p, O_CREAT | O_WRONLY, 0644);

		CHECK(fd >= 0 && write(fd, "HL", 2) == 2);
		close(fd);
	}
	coll_free(&got);
	CHECK(cl_replay(dir, 0, true, collect, &got, &err) == 0);
	coll_free(&got);
	rmtree(dir);
	coll_free(&want);
}

/* Runs: a torn tail at the end of an earlier run is tolerated. */
static void test_runs(void)
{
	const char *dir = subdir("runs");
	collected w2;
	uint64_t ids[64];
	int nseg;
	char p[512];
	hl_err err;

	coll_init(&want);
	coll_init(&w2);
	write_log(dir, 50, &want, 4096);
	nseg = list_ids(dir, ids, 64);
	seg_path(p, sizeof p, dir, ids[nseg - 1]);
	CHECK(truncate(p, file_size(p) - 3) == 0);
	/* a second run (a restart that never replayed or discarded the first) */
	write_log(dir, 20, &w2, 4096);
	coll_free(&got);
	CHECK(cl_replay(dir, 0, false, collect, &got, &err) == 0);
	CHECK(got.n == 49 + 20);
	for (int i = 0; i < 20 && got.n == 69; i++)
		CHECK(cl_pos_cmp(got.pos[49 + i], w2.pos[i]) == 0);
	CHECK(w2.pos[0].segment > want.pos[49].segment);
	coll_free(&got);
	coll_free(&want);
	coll_free(&w2);
	rmtree(dir);
}

/* ------------------------------------------------------------ discard */

static void test_discard(void)
{
	const char *dir = subdir("discard");
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid ta, tb;
	cl_pos pa[120], pb = { 0, 0 };
	uint64_t ids[64];
	int n;

	memset(ta.b, 0xAA, 16);
	memset(tb.b, 0xBB, 16);
	cl_opts_init(&o, dir, 0);
	o.segment_size = 4096;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	/* A fills several segments; B writes once in the middle */
	for (int i = 0; i < 120; i++) {
		hl_arena_reset(a);
		CHECK(cl_append(log, &ta, small_mutation(a, i), &pa[i], &err) == 0);
		if (i == 60)
			CHECK(cl_append(log, &tb, small_mutation(a, 1000), &pb, &err) == 0);
	}
	CHECK(cl_sync_now(log, &err) == 0);
	n = list_ids(dir, ids, 64);
	CHECK(n >= 5);
	CHECK(pa[119].segment > pb.segment && pa[0].segment < pb.segment);

	/* A flushed up to entry 90: segments before B's that only held A go;
	 * B's segment and those with A's later entries stay. */
	cl_discard(log, &ta, pa[90]);
	CHECK(cl_sync_now(log, &err) == 0);
	{
		uint64_t left[64];
		int m = list_ids(dir, left, 64);

		CHECK(m > 0 && left[0] == pb.segment);
		for (int i = 0; i < m; i++)
			CHECK(left[i] == pb.segment || left[i] >= pa[91].segment);
		CHECK(left[m - 1] == pa[119].segment);
	}
	/* B flushed: its segment goes too (A's entries there are discarded) */
	cl_discard(log, &tb, pb);
	CHECK(cl_sync_now(log, &err) == 0);
	{
		uint64_t left[64];
		int m = list_ids(dir, left, 64);

		CHECK(m > 0 && left[0] > pb.segment);
		CHECK(left[0] == pa[90].segment || left[0] == pa[91].segment);
	}
	/* everything flushed: only the active segment remains */
	cl_discard(log, &ta, pa[119]);
	CHECK(cl_sync_now(log, &err) == 0);
	CHECK(list_ids(dir, ids, 64) == 1 && ids[0] == cl_current_pos(log).segment);
	CHECK(cl_close(log, &err) == 0);
	hl_arena_free(a);
	rmtree(dir);
}

/* Adopted segments: replayed through the log, then discarded like any other. */
static void test_replay_log(void)
{
	const char *dir = subdir("adopt");
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid ta, tb;
	uint64_t ids[64], before[64];
	cl_pos last_a = { 0, 0 }, p;
	int nb, n;

	memset(ta.b, 0xAA, 16);
	memset(tb.b, 0xBB, 16);
	cl_opts_init(&o, dir, 0);
	o.segment_size = 4096;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	/* A only in the first segments, then only B */
	for (int i = 0; i < 90; i++) {
		hl_arena_reset(a);
		CHECK(cl_append(log, i < 45 ? &ta : &tb, small_mutation(a, i), &p, &err) == 0);
		if (i < 45)
			last_a = p;
	}
	CHECK(cl_close(log, &err) == 0);
	nb = list_ids(dir, before, 64);
	CHECK(nb >= 4);

	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	CHECK(cl_current_pos(log).segment > before[nb - 1]);
	coll_init(&got);
	got.skip_table_byte = 0xBB;          /* B was dropped: its entries are skipped */
	CHECK(cl_replay_log(log, false, collect, &got, &err) == 0);
	CHECK(got.n == 45);
	CHECK(cl_sync_now(log, &err) == 0);
	/* segments holding only B went away; A's stay until A is discarded */
	n = list_ids(dir, ids, 64);
	for (int i = 0; i < n - 1; i++)
		CHECK(ids[i] <= last_a.segment);
	CHECK(n - 1 == (int)(last_a.segment - before[0]) + 1);
	cl_discard(log, &ta, last_a);
	CHECK(cl_sync_now(log, &err) == 0);
	CHECK(list_ids(dir, ids, 64) == 1);
	CHECK(cl_close(log, &err) == 0);
	coll_free(&got);
	hl_arena_free(a);
	rmtree(dir);
}

/* ------------------------------------------------------------ sync modes */

typedef struct syncrec {
	pthread_mutex_t mu;
	cl_pos durable;
	int calls, errors;
	char path_dir[512];
	bool size_ok;              /* file held every byte reported durable */
} syncrec;

static void on_sync(void *ctx, cl_pos durable, const hl_err *err)
{
	syncrec *r = ctx;
	char p[600];

	pthread_mutex_lock(&r->mu);
	if (err) {
		r->errors++;
	} else {
		r->calls++;
		if (cl_pos_cmp(durable, r->durable) < 0)
			r->size_ok = false;        /* never goes back */
		r->durable = durable;
		snprintf(p, sizeof p, "%s/CommitLog-0-%llu.log", r->path_dir,
			 (unsigned long long)durable.segment);
		if (file_size(p) < (off_t)durable.offset)
			r->size_ok = false;
	}
	pthread_mutex_unlock(&r->mu);
}

static cl_pos rec_durable(syncrec *r)
{
	cl_pos p;

	pthread_mutex_lock(&r->mu);
	p = r->durable;
	pthread_mutex_unlock(&r->mu);
	return p;
}

/* Poll up to ~10 s for the reported durable position to reach pos. */
static bool wait_durable(syncrec *r, cl_pos pos)
{
	for (int i = 0; i < 2000; i++) {
		if (cl_pos_cmp(rec_durable(r), pos) >= 0)
			return true;
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	return false;
}

static void test_sync_mode(cl_sync_mode mode, uint64_t period)
{
	const char *dir = subdir("sync");
	syncrec r;
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid t;
	cl_pos p = { 0, 0 };

	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	r.size_ok = true;
	snprintf(r.path_dir, sizeof r.path_dir, "%s", dir);
	memset(t.b, 1, 16);
	cl_opts_init(&o, dir, 0);
	o.mode = mode;
	o.period_ms = period;
	o.group_window_ms = 20;
	o.segment_size = 8192;
	o.on_sync = on_sync;
	o.ctx = &r;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	for (int i = 0; i < 100; i++) {
		hl_arena_reset(a);
		CHECK(cl_append(log, &t, small_mutation(a, i), &p, &err) == 0);
	}
	/* the sync thread gets there on its own (batch: at once, group: within
	 * a window, periodic: within the period) */
	CHECK(wait_durable(&r, p));
	CHECK(cl_pos_cmp(cl_durable_pos(log), p) >= 0);
	CHECK(r.size_ok);
	CHECK(r.errors == 0);
	CHECK(cl_close(log, &err) == 0);
	hl_arena_free(a);
	pthread_mutex_destroy(&r.mu);
	rmtree(dir);
}

/* Periodic with a long period: the data reaches the file promptly (a process
 * crash loses nothing written) but is not reported durable until a sync. */
static void test_periodic_not_durable(void)
{
	const char *dir = subdir("periodic");
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid t;
	cl_pos p = { 0, 0 };
	char path[512];
	bool written = false;

	memset(t.b, 2, 16);
	cl_opts_init(&o, dir, 0);
	o.period_ms = 3600 * 1000;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	CHECK(cl_append(log, &t, small_mutation(a, 1), &p, &err) == 0);
	seg_path(path, sizeof path, dir, p.segment);
	/* no wake-up per append: the sync thread writes within its short delay
	 * (CL_WRITE_DELAY_MS), long before the hour-long fsync period */
	for (int i = 0; i < 200 && !written; i++) {
		written = file_size(path) >= (off_t)p.offset;
		if (!written)
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	CHECK(written);
	CHECK(cl_pos_cmp(cl_durable_pos(log), p) < 0);
	CHECK(cl_sync_now(log, &err) == 0);
	CHECK(cl_pos_cmp(cl_durable_pos(log), p) >= 0);
	CHECK(cl_close(log, &err) == 0);
	hl_arena_free(a);
	rmtree(dir);
}

/* ------------------------------------------------------------ failures */

static void test_unwritable(void)
{
	char file[512], dir[600];
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	int fd;

	/* a path under a regular file can never be created (even as root) */
	snprintf(file, sizeof file, "%s/plainfile", root);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	close(fd);
	snprintf(dir, sizeof dir, "%s/sub/commitlog", file);
	cl_opts_init(&o, dir, 0);
	hl_err_clear(&err);
	CHECK(cl_open(&o, &log, &err) == -1);
	CHECK(log == NULL);
	CHECK(err.code == HL_ERR_SERVER && strstr(err.msg, "commit log directory") != NULL);
	unlink(file);
}

static void test_oversized(void)
{
	const char *dir = subdir("big");
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid t;
	st_mutation *m;
	static char big[8192];

	memset(t.b, 3, 16);
	cl_opts_init(&o, dir, 0);
	o.segment_size = 4096;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	m = st_mut_new(a, "k", 1, 1);
	st_row_cell(st_mut_row(m, 0, NULL), 0, 1, 0, 0, big, sizeof big);
	CHECK(cl_append(log, &t, m, NULL, &err) == -1 && err.code == HL_ERR_INVALID);
	CHECK(!cl_failed(log));
	CHECK(cl_append(log, &t, small_mutation(a, 1), NULL, &err) == 0);
	CHECK(cl_close(log, &err) == 0);
	hl_arena_free(a);
	rmtree(dir);
}

/* A file size limit makes writes fail with EFBIG, standing in for ENOSPC. */
static void test_write_failure(void)
{
	const char *dir = subdir("full");
	struct rlimit old, lim;
	syncrec r;
	cl_opts o;
	cl_log *log = NULL;
	hl_err err;
	hl_arena *a = hl_arena_new(4096);
	hl_uuid t;
	cl_pos p, last_ok = { 0, 0 };
	int appended = 0, rc = 0;

	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	r.size_ok = true;
	snprintf(r.path_dir, sizeof r.path_dir, "%s", dir);
	memset(t.b, 4, 16);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	cl_opts_init(&o, dir, 0);
	o.mode = CL_SYNC_BATCH;
	o.segment_size = 1 << 20;
	o.on_sync = on_sync;
	o.ctx = &r;
	CHECK(cl_open(&o, &log, &err) == 0);
	if (!log)
		return;
	lim = old;
	lim.rlim_cur = 16384;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (int i = 0; i < 400 && rc == 0; i++) {
		hl_arena_reset(a);
		rc = cl_append(log, &t, small_mutation(a, i), &p, &err);
		if (rc == 0) {
			appended++;
			if (cl_sync_now(log, &err) == 0)
				last_ok = p;
			else
				CHECK(err.code == HL_ERR_WRITE_FAILURE);
		}
	}
	CHECK(rc == -1 && err.code == HL_ERR_WRITE_FAILURE);
	CHECK(cl_failed(log));
	CHECK(cl_pos_cmp(cl_durable_pos(log), last_ok) == 0);
	CHECK(cl_sync_now(log, &err) == -1);
	CHECK(cl_close(log, &err) == -1 && err.code == HL_ERR_WRITE_FAILURE);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(r.errors == 1);
	CHECK(last_ok.offset > 0 && appended > 10);
	/* everything acknowledged (durable) before the failure replays */
	coll_init(&got);
	CHECK(cl_replay(dir, 0, false, collect, &got, &err) == 0);
	CHECK(got.n > 0 && cl_pos_cmp(got.pos[got.n - 1], last_ok) >= 0);
	coll_free(&got);
	hl_arena_free(a);
	pthread_mutex_destroy(&r.mu);
	rmtree(dir);
}

int main(void)
{
	hl_log_set_level(HL_LOG_ERROR);
	mkroot();
	test_codec();
	test_codec_versions();
	test_roundtrip();
	test_damage();
	test_runs();
	test_discard();
	test_replay_log();
	test_sync_mode(CL_SYNC_BATCH, 10000);
	test_sync_mode(CL_SYNC_GROUP, 10000);
	test_sync_mode(CL_SYNC_PERIODIC, 100);
	test_periodic_not_durable();
	test_unwritable();
	test_oversized();
	test_write_failure();
	rmtree(root);
	return T_DONE();
}
