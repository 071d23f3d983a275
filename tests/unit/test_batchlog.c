/*
 * Batchlog entries (src/query/batchlog.c): the codec round-trips, every
 * damaged form is refused without reading out of bounds, and replay applies
 * each entry's mutations, drops never-renamed .tmp files and sets aside
 * unreadable entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "query/query.h"
#include "t.h"

static st_mutation *mk(hl_arena *a, const char *key, int64_t ts, const char *val)
{
	st_mutation *m = st_mut_new(a, key, strlen(key), hl_token(key, strlen(key)));
	st_mrow *r = st_mut_row(m, 0, NULL);
	st_row_marker(r, ts, 0, 0);
	st_row_cell(r, 1, ts, 0, 0, val, strlen(val));
	return m;
}

static void encode_two(hl_arena *a, hl_buf *out, hl_uuid *id)
{
	hl_uuid tables[2];
	const st_mutation *muts[2];
	hl_uuid_time(1700000000000000LL, id);
	hl_uuid_random(&tables[0]);
	tables[1] = tables[0];
	muts[0] = mk(a, "k1", 42, "one");
	muts[1] = mk(a, "k2", 42, "two");
	qry_batchlog_encode(out, id, 2, tables, muts);
}

static void test_roundtrip(void)
{
	hl_arena *a = hl_arena_new(4096);
	hl_buf b, b2;
	hl_uuid id, id2;
	hl_err err;
	int n;
	hl_uuid *tables;
	st_mutation **muts;
	hl_buf_init(&b);
	hl_buf_init(&b2);
	hl_err_clear(&err);
	encode_two(a, &b, &id);
	CHECK(qry_batchlog_decode(b.p, b.len, a, &id2, &n, &tables, &muts, &err) == 0);
	CHECK_EQ_I64(n, 2);
	CHECK(memcmp(id.b, id2.b, 16) == 0);
	CHECK(muts[0]->keylen == 2 && memcmp(muts[0]->key, "k1", 2) == 0);
	CHECK(muts[1]->keylen == 2 && memcmp(muts[1]->key, "k2", 2) == 0);
	CHECK(muts[1]->rows && muts[1]->rows->cells && muts[1]->rows->cells->ts == 42);
	qry_batchlog_encode(&b2, &id2, n, tables, (const st_mutation *const *)muts);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	/* every truncation is refused, in bounds */
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, b.p, cut);
		hl_err_clear(&err);
		CHECK(qry_batchlog_decode(p, cut, a, &id2, &n, &tables, &muts, &err) < 0);
		free(p);
	}
	/* a flipped bit fails the CRC */
	b.p[30] ^= 1;
	hl_err_clear(&err);
	CHECK(qry_batchlog_decode(b.p, b.len, a, &id2, &n, &tables, &muts, &err) < 0);
	CHECK(strstr(err.msg, "checksum") != NULL);
	b.p[30] ^= 1;
	/* a huge mutation count with a valid CRC is refused before allocating */
	hl_buf c;
	hl_buf_init(&c);
	hl_buf_put(&c, "HLBL", 4);
	hl_buf_u32(&c, 1);
	hl_buf_put(&c, id.b, 16);
	hl_buf_u32(&c, 0x7fffffff);
	hl_buf_u32(&c, hl_crc32(0, c.p, c.len));
	hl_err_clear(&err);
	CHECK(qry_batchlog_decode(c.p, c.len, a, &id2, &n, &tables, &muts, &err) < 0);
	CHECK(strstr(err.msg, "count") != NULL);
	/* a wrong version */
	c.len = 0;
	hl_buf_put(&c, "HLBL", 4);
	hl_buf_u32(&c, 9);
	hl_buf_put(&c, id.b, 16);
	hl_buf_u32(&c, 0);
	hl_buf_u32(&c, hl_crc32(0, c.p, c.len));
	hl_err_clear(&err);
	CHECK(qry_batchlog_decode(c.p, c.len, a, &id2, &n, &tables, &muts, &err) < 0);
	CHECK(strstr(err.msg, "version") != NULL);
	hl_buf_free(&c);
	hl_buf_free(&b);
	hl_buf_free(&b2);
	hl_arena_free(a);
}

static int napplied;

static int count_apply(void *ctx, const hl_uuid *table, const st_mutation *m, hl_err *err)
{
	(void)ctx; (void)table; (void)err;
	CHECK(m->keylen == 2);
	napplied++;
	return 0;
}

static void put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
}

static void test_replay_dir(void)
{
	char dir[] = "/tmp/hl-blog-XXXXXX";
	char path[256];
	CHECK(mkdtemp(dir) != NULL);
	hl_arena *a = hl_arena_new(4096);
	hl_buf b;
	hl_uuid id;
	hl_err err;
	hl_buf_init(&b);
	hl_err_clear(&err);
	encode_two(a, &b, &id);
	snprintf(path, sizeof path, "%s/a.blog", dir);
	put(path, b.p, b.len);
	snprintf(path, sizeof path, "%s/b.blog.tmp", dir);
	put(path, b.p, b.len);
	snprintf(path, sizeof path, "%s/c.blog", dir);
	put(path, b.p, b.len / 2);
	int n = 0;
	CHECK(qry_batchlog_replay(dir, count_apply, NULL, &n, &err) == 0);
	CHECK_EQ_I64(n, 1);
	CHECK_EQ_I64(napplied, 2);
	snprintf(path, sizeof path, "%s/b.blog.tmp", dir);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof path, "%s/c.blog.bad", dir);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	CHECK(qry_batchlog_clear(dir, &err) == 0);
	snprintf(path, sizeof path, "%s/a.blog", dir);
	CHECK(access(path, F_OK) != 0);
	CHECK(rmdir(dir) == 0);
	/* a missing directory is an empty batchlog */
	CHECK(qry_batchlog_replay(dir, count_apply, NULL, &n, &err) == 0 && n == 0);
	hl_buf_free(&b);
	hl_arena_free(a);
}

int main(void)
{
	test_roundtrip();
	test_replay_dir();
	return T_DONE();
}
