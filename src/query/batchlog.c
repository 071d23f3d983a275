/*
 * The batchlog: a LOGGED batch touching more than one partition is first
 * written durably as one entry, then applied, then the entry is removed
 * (Cassandra's system.batches: id timeuuid, mutations, version). A crash
 * between the two leaves the entry, which start-up replays after the commit
 * log (the mutations keep their timestamps, so replaying is idempotent):
 * either none or all of the batch survives.
 *
 * An entry is one file <dir>/<uuid>.blog written by the coordinating shard
 * (see docs/formats.md "Batchlog entry"): written under a .tmp name, synced
 * when the commit log is in batch/group mode (otherwise, like a periodic
 * commit log, it survives a process crash but not a power loss before the
 * OS writes it), renamed into place. Files live outside the commit log so
 * its segment management never sees them.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commitlog/commitlog.h"
#include "query/q_int.h"

#define BL_MAGIC "HLBL"
#define BL_VERSION 1
#define BL_MAX_MUTATIONS (1u << 20)

static void put_u32(hl_buf *b, uint32_t v)
{
	hl_buf_u32(b, v);
}

void qry_batchlog_encode(hl_buf *out, const hl_uuid *id, int n, const hl_uuid *tables,
			 const st_mutation *const *muts)
{
	size_t start = out->len;
	hl_buf_put(out, BL_MAGIC, 4);
	put_u32(out, BL_VERSION);
	hl_buf_put(out, id->b, 16);
	put_u32(out, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		size_t at = out->len;
		put_u32(out, 0);
		cl_mutation_encode(out, &tables[i], muts[i]);
		uint32_t len = (uint32_t)(out->len - at - 4);
		uint8_t *p = (uint8_t *)out->p + at;
		p[0] = (uint8_t)(len >> 24); p[1] = (uint8_t)(len >> 16);
		p[2] = (uint8_t)(len >> 8); p[3] = (uint8_t)len;
	}
	put_u32(out, hl_crc32(0, out->p + start, out->len - start));
}

int qry_batchlog_decode(const uint8_t *p, size_t n, hl_arena *a, hl_uuid *id, int *nmut,
			hl_uuid **tables, st_mutation ***muts, hl_err *err)
{
	hl_rd rd;
	const uint8_t *magic, *idp;
	uint32_t version, count, crc;
	if (n < 4 + 4 + 16 + 4 + 4)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry truncated (%zu bytes)", n);
	hl_rd_init(&rd, p + n - 4, 4);
	hl_rd_u32(&rd, &crc);
	if (hl_crc32(0, p, n - 4) != crc)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry checksum mismatch");
	hl_rd_init(&rd, p, n - 4);
	if (hl_rd_raw(&rd, 4, &magic) < 0 || memcmp(magic, BL_MAGIC, 4) != 0)
		return hl_errf(err, HL_ERR_SERVER, "not a batchlog entry");
	if (hl_rd_u32(&rd, &version) < 0 || version != BL_VERSION)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry version %u not supported", version);
	if (hl_rd_raw(&rd, 16, &idp) < 0 || hl_rd_u32(&rd, &count) < 0)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry truncated");
	/* every mutation takes at least its 4-byte length */
	if (count > BL_MAX_MUTATIONS || count > hl_rd_left(&rd) / 4)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry: bad mutation count %u", count);
	memcpy(id->b, idp, 16);
	hl_uuid *tb = hl_arena_zalloc(a, sizeof(hl_uuid) * (count + 1));
	st_mutation **ms = hl_arena_zalloc(a, sizeof(st_mutation *) * (count + 1));
	for (uint32_t i = 0; i < count; i++) {
		uint32_t len;
		const uint8_t *mp;
		if (hl_rd_u32(&rd, &len) < 0 || hl_rd_raw(&rd, len, &mp) < 0)
			return hl_errf(err, HL_ERR_SERVER, "batchlog entry: mutation %u truncated", i);
		if (cl_mutation_decode(mp, len, a, &tb[i], &ms[i], err) < 0)
			return -1;
	}
	if (hl_rd_left(&rd) != 0)
		return hl_errf(err, HL_ERR_SERVER, "batchlog entry: %zu trailing bytes", hl_rd_left(&rd));
	*nmut = (int)count;
	*tables = tb;
	*muts = ms;
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Partitions of a batch's ops: the batchlog is for more than one. */
static bool spans_partitions(qry_exec *x)
{
	const st_mutation *first = NULL;
	for (int i = 0; i < x->nops; i++) {
		const st_mutation *m = x->ops[i]->mut;
		if (!m)
			continue;
		if (!first)
			first = m;
		else if (m->keylen != first->keylen || memcmp(m->key, first->key, m->keylen) != 0)
			return true;
	}
	return false;
}

int q_batchlog_write(qry_exec *x)
{
	qry_shard *sh = x->sh;
	if (!sh->batchlog_dir || x->nops < 2 || !spans_partitions(x))
		return 0;
	/* ops that read before writing (list index / removal) have no mutation
	 * yet: such a batch is applied without a batchlog entry */
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->kind != QRY_OP_WRITE || !x->ops[i]->mut)
			return 0;
	hl_uuid id;
	hl_uuid_time(x->now_us, &id);
	id.b[14] = (uint8_t)(sh->shard >> 8);   /* node field: shard and sequence, */
	id.b[15] = (uint8_t)sh->shard;          /* so two batches never share a name */
	uint32_t seq = (uint32_t)++sh->batchlog_seq;
	id.b[10] = (uint8_t)(seq >> 24); id.b[11] = (uint8_t)(seq >> 16);
	id.b[12] = (uint8_t)(seq >> 8); id.b[13] = (uint8_t)seq;
	hl_uuid *tables = hl_arena_alloc(x->a, sizeof(hl_uuid) * (size_t)x->nops);
	const st_mutation **muts = hl_arena_alloc(x->a, sizeof(st_mutation *) * (size_t)x->nops);
	for (int i = 0; i < x->nops; i++) {
		tables[i] = x->ops[i]->table;
		muts[i] = x->ops[i]->mut;
	}
	hl_buf b;
	hl_buf_init(&b);
	qry_batchlog_encode(&b, &id, x->nops, tables, muts);
	char name[37];
	hl_uuid_str(&id, name);
	char *path = hl_arena_printf(x->a, "%s/%s.blog", sh->batchlog_dir, name);
	char *tmp = hl_arena_printf(x->a, "%s.tmp", path);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		hl_errf(&x->err, HL_ERR_SERVER, "cannot write batchlog entry %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (hl_write_all(fd, b.p, b.len) < 0 || (sh->wait_durable && fdatasync(fd) < 0)) {
		hl_errf(&x->err, HL_ERR_SERVER, "cannot write batchlog entry %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0 || (sh->wait_durable && sync_dir(sh->batchlog_dir) < 0)) {
		hl_errf(&x->err, HL_ERR_SERVER, "cannot write batchlog entry %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	x->batchlog_file = path;
	/* test-only failpoint (docs/testing.md): die with the entry written and
	 * nothing applied, so a test can check that start-up completes the batch */
	const char *fp = getenv("HELENUS_FAILPOINT");
	if (fp && strcmp(fp, "batchlog_after_log") == 0)
		_exit(86);
	rc = 0;
out:
	hl_buf_free(&b);
	return rc;
}

void q_batchlog_done(qry_exec *x)
{
	if (!x->batchlog_file)
		return;
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->status < 0) {
			/* keep the entry: the next start-up applies the batch whole */
			x->batchlog_file = NULL;
			return;
		}
	if (unlink(x->batchlog_file) < 0 && errno != ENOENT)
		hl_warn("cannot remove batchlog entry %s: %s", x->batchlog_file, strerror(errno));
	x->batchlog_file = NULL;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

int qry_batchlog_replay(const char *dir, qry_batchlog_apply_fn fn, void *ctx, int *nentries,
			hl_err *err)
{
	*nentries = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", dir,
						     strerror(errno));
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		char path[4608];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (has_suffix(de->d_name, ".blog.tmp")) {
			/* never renamed into place: its batch was never applied */
			unlink(path);
			continue;
		}
		if (!has_suffix(de->d_name, ".blog"))
			continue;
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		hl_buf b;
		hl_buf_init(&b);
		uint8_t chunk[65536];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			hl_buf_put(&b, chunk, got);
		fclose(f);
		hl_arena *a = hl_arena_new(65536);
		hl_uuid id;
		int n;
		hl_uuid *tables;
		st_mutation **muts;
		hl_err e;
		hl_err_clear(&e);
		if (qry_batchlog_decode(b.p, b.len, a, &id, &n, &tables, &muts, &e) < 0) {
			hl_warn("batchlog entry %s unreadable (%s): set aside as .bad", path, e.msg);
			char bad[4700];
			snprintf(bad, sizeof bad, "%s.bad", path);
			rename(path, bad);
		} else {
			for (int i = 0; i < n && rc == 0; i++)
				rc = fn(ctx, &tables[i], muts[i], err);
			(*nentries)++;
		}
		hl_arena_free(a);
		hl_buf_free(&b);
	}
	closedir(d);
	return rc;
}

int qry_batchlog_clear(const char *dir, hl_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", dir,
						     strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[4608];
		if (!has_suffix(de->d_name, ".blog"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT) {
			closedir(d);
			return hl_errf(err, HL_ERR_SERVER, "cannot remove %s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	return 0;
}
