/*
 * commitlog/replay.c: finding a shard's segment files and reading them back
 * (cl_replay, and the reader behind cl_replay_log). Every byte read from a
 * file is untrusted: headers and entries are CRC-checked and decoded with
 * bounds checks, and damage is handled by the rule documented in
 * commitlog.h / format.c (warn and skip the rest at the end of a run,
 * error elsewhere unless told to ignore).
 */
#include "commitlog/cl_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "CommitLog-<shard>-<id>.log" with plain decimal numbers, nothing else. */
static bool parse_name(const char *name, int shard, uint64_t *id)
{
	static const char pre[] = "CommitLog-";
	const char *p = name;
	uint64_t s = 0, v = 0;
	int digits = 0;

	if (strncmp(p, pre, sizeof pre - 1) != 0)
		return false;
	p += sizeof pre - 1;
	for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		s = s * 10 + (uint64_t)(*p - '0');
	if (!digits || *p++ != '-' || s != (uint64_t)shard)
		return false;
	for (digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!digits || strcmp(p, ".log") != 0)
		return false;
	*id = v;
	return true;
}

static int cmp_seg(const void *a, const void *b)
{
	const cl_seginfo *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cl__list_segments(const char *dir, int shard, cl_seginfo **out, int *n, hl_err *err)
{
	DIR *d;
	struct dirent *de;
	cl_seginfo *v = NULL;
	int cnt = 0, cap = 0, rc = -1;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return hl_errf(err, HL_ERR_SERVER, "cannot read commit log directory %s: %s", dir,
			       strerror(errno));
	}
	while ((de = readdir(d))) {
		uint64_t id;

		if (!parse_name(de->d_name, shard, &id))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = hl_realloc(v, (size_t)cap * sizeof(*v));
		}
		v[cnt].id = id;
		v[cnt].path = cl__seg_path(dir, shard, id);
		cnt++;
	}
	if (cnt)
		qsort(v, (size_t)cnt, sizeof(*v), cmp_seg);
	*out = v;
	*n = cnt;
	rc = 0;
	closedir(d);
	return rc;
}

void cl__free_segments(cl_seginfo *s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i].path);
	free(s);
}

/* Whole file into b (segments are bounded by the segment size). */
static int read_file(const char *path, hl_buf *b, hl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	struct stat st;

	hl_buf_reset(b);
	if (fd < 0)
		return hl_errf(err, HL_ERR_SERVER, "cannot open commit log segment %s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot stat %s: %s", path, strerror(errno));
		goto exit;
	}
	hl_buf_reserve(b, (size_t)st.st_size + 1);
	for (;;) {
		ssize_t r;

		if (b->len == b->cap)
			hl_buf_reserve(b, 65536);
		r = read(fd, b->p + b->len, b->cap - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", path, strerror(errno));
			goto exit;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
	rc = 0;
exit:
	close(fd);
	return rc;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Damage at `off` in a segment: at the end of a run it is the expected torn
 * tail (warn, skip the rest); elsewhere it is corruption (error, or warn and
 * skip with ignore_errors). Returns 0 to go on with the next segment.
 */
static int damage(const char *path, size_t off, const char *what, bool tail_ok,
		  bool ignore_errors, hl_err *err)
{
	if (tail_ok) {
		hl_warn("commit log %s: %s at offset %zu (torn tail of the last segment written); "
			"skipping the rest of the segment", path, what, off);
		return 0;
	}
	if (ignore_errors) {
		hl_warn("commit log %s: %s at offset %zu; ignoring the rest of the segment as "
			"configured", path, what, off);
		return 0;
	}
	return hl_errf(err, HL_ERR_SERVER,
		       "commit log %s is corrupt: %s at offset %zu (not the last segment written, "
		       "so acknowledged writes may be lost; move the file away or set "
		       "ignore replay errors to start anyway)", path, what, off);
}

static int replay_one(const cl_seginfo *s, int version, const uint8_t *p, size_t n, bool tail_ok,
		      bool ignore_errors, cl_replay_fn fn, void *ctx, hl_arena *a, hl_err *err)
{
	size_t off = CL_HDR_SIZE;

	while (off < n) {
		hl_rd r;
		uint32_t len, lcrc, pcrc;
		const uint8_t *payload;
		hl_uuid table;
		st_mutation *m;
		hl_err derr;
		cl_pos pos;
		int rc;

		hl_rd_init(&r, p + off, n - off);
		if (hl_rd_u32(&r, &len) || hl_rd_u32(&r, &lcrc))
			return damage(s->path, off, "truncated entry header", tail_ok,
				      ignore_errors, err);
		if (lcrc != cl__len_crc(version, s->id, len) || len == 0)
			return damage(s->path, off, "entry length CRC mismatch", tail_ok,
				      ignore_errors, err);
		if (hl_rd_raw(&r, len, &payload) || hl_rd_u32(&r, &pcrc))
			return damage(s->path, off, "truncated entry", tail_ok, ignore_errors, err);
		if (pcrc != cl__entry_crc(version, payload, len))
			return damage(s->path, off, "entry payload CRC mismatch", tail_ok,
				      ignore_errors, err);
		hl_arena_reset(a);
		hl_err_clear(&derr);
		if (cl_mutation_decode_v(version, payload, len, a, &table, &m, &derr))
			return damage(s->path, off, derr.msg, tail_ok, ignore_errors, err);
		off += CL_ENTRY_OVERHEAD + len;
		pos.segment = s->id;
		pos.offset = (uint32_t)off;
		rc = fn(ctx, &table, m, pos, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int cl__replay_files(const cl_seginfo *segs, int n, int shard, bool ignore_errors,
		     cl_replay_fn fn, void *ctx, hl_err *err)
{
	hl_buf cur, next;
	hl_arena *a = hl_arena_new(64 * 1024);
	cl_hdr h = { 0 }, nh = { 0 };
	bool have_cur = false, cur_ok = false;
	int rc = -1;

	hl_buf_init(&cur);
	hl_buf_init(&next);
	/*
	 * Whether a segment may have a torn tail depends on the next file's
	 * header (same run id or not), so each file is read one step ahead.
	 */
	for (int i = 0; i < n; i++) {
		bool next_ok = false, tail_ok;

		if (!have_cur) {
			if (read_file(segs[i].path, &cur, err))
				goto exit;
			cur_ok = cur.len >= CL_HDR_SIZE && cl__hdr_decode(cur.p, &h) == 0 &&
				 h.shard == (uint32_t)shard && h.id == segs[i].id;
			have_cur = true;
		}
		if (i + 1 < n) {
			if (read_file(segs[i + 1].path, &next, err))
				goto exit;
			next_ok = next.len >= CL_HDR_SIZE && cl__hdr_decode(next.p, &nh) == 0 &&
				  nh.shard == (uint32_t)shard && nh.id == segs[i + 1].id;
		}
		/* last file, or the next one starts another run (a damaged next
		 * header cannot prove it continues this run) */
		tail_ok = i + 1 == n || !next_ok || (cur_ok && nh.run != h.run);
		if (!cur_ok) {
			if (cur.len < CL_HDR_SIZE || all_zero(cur.p, CL_HDR_SIZE)) {
				hl_warn("commit log %s: no complete header (created but never "
					"written); skipped", segs[i].path);
			} else if (damage(segs[i].path, 0, "bad segment header", i + 1 == n,
					  ignore_errors, err)) {
				goto exit;
			}
		} else if (replay_one(&segs[i], h.version, cur.p, cur.len, tail_ok, ignore_errors, fn,
				      ctx, a, err)) {
			goto exit;
		}
		if (i + 1 < n) {
			hl_buf t = cur;

			cur = next;
			next = t;
			h = nh;
			cur_ok = next_ok;
		}
	}
	rc = 0;
exit:
	hl_buf_free(&cur);
	hl_buf_free(&next);
	hl_arena_free(a);
	return rc;
}

int cl_replay(const char *dir, int shard, bool ignore_errors, cl_replay_fn fn, void *ctx,
	      hl_err *err)
{
	cl_seginfo *segs;
	int n, rc;

	if (cl__list_segments(dir, shard, &segs, &n, err))
		return -1;
	rc = cl__replay_files(segs, n, shard, ignore_errors, fn, ctx, err);
	cl__free_segments(segs, n);
	return rc;
}
