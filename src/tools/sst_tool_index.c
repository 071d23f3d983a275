/*
 * tools/sst_tool_index.c: `helenus sstable index` and `summary`: readable
 * listings of Index.db (one line per partition, then its promoted index
 * blocks) and Summary.db (header, sampled keys, first / last key), with
 * keys rendered in the key type from the sibling Statistics.db. Layouts:
 * shared/docs/sstable-format.md sections 5 and 6.
 */
#include "tools/sst_tool_int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ Summary.db */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int sstt_summary_load(const char *path, sstt_summary *s, hl_err *err)
{
	size_t len;
	hl_rd rd;
	uint64_t off;
	const uint8_t *base, *p;
	uint32_t n;

	memset(s, 0, sizeof *s);
	if (sstt_slurp(path, &s->buf, &len, err))
		return -1;
	hl_rd_init(&rd, s->buf, len);
	if (hl_rd_i32(&rd, &s->min_interval) || hl_rd_i32(&rd, &s->count) ||
	    hl_rd_u64(&rd, &off) || hl_rd_i32(&rd, &s->sampling) || hl_rd_i32(&rd, &s->full_size) ||
	    s->count < 0 || (uint64_t)s->count * 4 > off || off > hl_rd_left(&rd))
		goto bad;
	s->offheap = (int64_t)off;
	base = s->buf + rd.pos;
	s->e = hl_calloc((size_t)s->count + 1, sizeof(*s->e));
	for (int32_t i = 0; i < s->count; i++) {
		uint32_t o = le32(base + 4 * (size_t)i);
		uint64_t next = i + 1 < s->count ? le32(base + 4 * (size_t)(i + 1)) : off;

		if (o < (uint32_t)s->count * 4 || next > off || next < (uint64_t)o + 8)
			goto bad;
		s->e[i].key = base + o;
		s->e[i].keylen = (size_t)(next - o - 8);
		s->e[i].index_pos = (int64_t)le64(base + next - 8);
	}
	hl_rd_raw(&rd, (size_t)off, &p);
	for (int k = 0; k < 2; k++) {
		st_bytes *kb = k ? &s->last : &s->first;

		if (hl_rd_u32(&rd, &n) || n > hl_rd_left(&rd) || hl_rd_raw(&rd, n, &p))
			goto bad;
		kb->p = p;
		kb->len = n;
	}
	return 0;
bad:
	hl_errf(err, HL_ERR_SERVER, "%s: malformed Summary.db (at offset %zu)", path, rd.pos);
	sstt_summary_free(s);
	return -1;
}

void sstt_summary_free(sstt_summary *s)
{
	free(s->buf);
	free(s->e);
	memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ shared setup */

typedef struct ictx {
	sstt_path path;
	hl_arena *a;
	sstt_stats st;
	sstt_keytype kt;
	bool have_kt;
	int nclust;
	const ty_type **ct;
	int *fixed;
} ictx;

static int setup(const char *file, ictx *c, hl_err *err)
{
	memset(c, 0, sizeof *c);
	c->a = hl_arena_new(8192);
	if (sstt_split_path(file, &c->path, err))
		return -1;
	if (sstt_read_stats(&c->path, c->a, &c->st, err) == 0 && c->st.has_header) {
		bool rev;
		hl_err e2;

		c->have_kt = sstt_key_type(c->st.key_type, c->a, &c->kt, &e2) == 0;
		c->nclust = c->st.nclust;
		c->ct = hl_arena_zalloc(c->a, (size_t)(c->nclust + 1) * sizeof(*c->ct));
		c->fixed = hl_arena_zalloc(c->a, (size_t)(c->nclust + 1) * sizeof(int));
		for (int i = 0; i < c->nclust; i++) {
			if (sst_parse_marshal(c->st.clust_types[i], strlen(c->st.clust_types[i]), c->a,
					      &c->ct[i], &rev, &e2))
				c->ct[i] = ty_simple(TY_BLOB);
			c->fixed[i] = sst_fixed_width(c->ct[i]);
		}
	} else {
		fprintf(stderr, "helenus sstable: no usable Statistics.db beside %s (%s); keys shown as hex\n",
			file, err->msg);
		hl_err_clear(err);
	}
	return 0;
}

static void key_text(ictx *c, const uint8_t *k, size_t n, hl_buf *out)
{
	if (c->have_kt)
		sstt_key_strings(&c->kt, k, n, false, out);
	else
		sstt_hex(k, n, out);
	hl_buf_str(out, " (0x");
	sstt_hex(k, n, out);
	hl_buf_str(out, ") token=");
	sstt_token(c->st.partitioner ? c->st.partitioner : "Murmur3", k, n, out);
}

static int read_deltime(ictx *c, hl_rd *rd, hl_buf *out)
{
	if (c->st.v_oa) {
		uint64_t mfda;
		uint32_t ldt;

		if (hl_rd_left(rd) > 0 && rd->p[rd->pos] == 0x80) {
			rd->pos++;
			hl_buf_str(out, "LIVE");
			return 0;
		}
		if (hl_rd_u64(rd, &mfda) || hl_rd_u32(rd, &ldt))
			return -1;
		hl_buf_printf(out, "deletedAt=%lld, localDeletion=%u", (long long)mfda, ldt);
		return 0;
	}
	uint32_t ldt;
	uint64_t mfda;

	if (hl_rd_u32(rd, &ldt) || hl_rd_u64(rd, &mfda))
		return -1;
	if (ldt == (uint32_t)INT32_MAX && mfda == (uint64_t)INT64_MIN)
		hl_buf_str(out, "LIVE");
	else
		hl_buf_printf(out, "deletedAt=%lld, localDeletion=%d", (long long)mfda, (int32_t)ldt);
	return 0;
}

static int read_prefix(ictx *c, hl_rd *rd, hl_buf *out)
{
	static const char *const kinds[] = {
		"EXCL_END_BOUND", "INCL_START_BOUND", "EXCL_END_INCL_START_BOUNDARY", "STATIC_CLUSTERING",
		"CLUSTERING", "INCL_END_EXCL_START_BOUNDARY", "INCL_END_BOUND", "EXCL_START_BOUND",
	};
	uint8_t kind;
	uint16_t size;
	int n;
	uint64_t header = 0;

	if (hl_rd_u8(rd, &kind) || kind > 7 || kind == 3)
		return -1;
	if (kind == 4) {
		n = c->nclust;
	} else {
		if (hl_rd_u16(rd, &size) || size > c->nclust)
			return -1;
		n = size;
	}
	if (kind != 4)
		hl_buf_printf(out, "%s", kinds[kind]);
	hl_buf_u8(out, '(');
	for (int i = 0; i < n; i++) {
		int j = i % 32;
		const uint8_t *p;
		size_t len;

		if (j == 0 && hl_rd_uvint(rd, &header))
			return -1;
		if (i)
			hl_buf_str(out, ", ");
		if (header >> (2 * j) & 2) {
			hl_buf_str(out, "null");
			continue;
		}
		if (header >> (2 * j) & 1)
			continue;
		if (c->fixed[i] >= 0) {
			len = (size_t)c->fixed[i];
		} else {
			uint64_t l;

			if (hl_rd_uvint(rd, &l) || l > hl_rd_left(rd))
				return -1;
			len = (size_t)l;
		}
		if (hl_rd_raw(rd, len, &p))
			return -1;
		if (len > 64 && c->ct[i]->kind == TY_TEXT) {
			sstt_value_string(c->ct[i], p, 32, out);
			hl_buf_printf(out, "...(%zu bytes)", len);
		} else {
			sstt_value_string(c->ct[i], p, len, out);
		}
	}
	hl_buf_u8(out, ')');
	return 0;
}

static int print_promoted(ictx *c, const sstt_ientry *e, hl_buf *b)
{
	hl_rd rd;
	uint64_t hlen, count, off;
	int64_t width;
	uint8_t open;

	hl_rd_init(&rd, e->promoted, (size_t)e->promoted_len);
	hl_buf_reset(b);
	if (hl_rd_uvint(&rd, &hlen))
		return -1;
	hl_buf_printf(b, "    header_length=%llu partition_deletion=", (unsigned long long)hlen);
	if (read_deltime(c, &rd, b) || hl_rd_uvint(&rd, &count) || count > hl_rd_left(&rd))
		return -1;
	hl_buf_printf(b, " blocks=%llu\n", (unsigned long long)count);
	fwrite(b->p, 1, b->len, stdout);
	for (uint64_t i = 0; i < count; i++) {
		hl_buf_reset(b);
		hl_buf_printf(b, "    block %llu: first=", (unsigned long long)i);
		if (read_prefix(c, &rd, b))
			return -1;
		hl_buf_str(b, " last=");
		if (read_prefix(c, &rd, b) || hl_rd_uvint(&rd, &off) || hl_rd_vint(&rd, &width) ||
		    hl_rd_u8(&rd, &open) || open > 1)
			return -1;
		hl_buf_printf(b, " offset=%llu width=%lld open_marker=", (unsigned long long)off,
			      (long long)(width + 65536));
		if (open) {
			if (read_deltime(c, &rd, b))
				return -1;
		} else {
			hl_buf_str(b, "none");
		}
		hl_buf_u8(b, '\n');
		fwrite(b->p, 1, b->len, stdout);
	}
	if (hl_rd_left(&rd) != count * 4)
		return -1;
	return 0;
}

static int one_file_arg(const char *cmd, int argc, char **argv, const char **file)
{
	*file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			sstt_help(cmd, stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return sstt_usage_error(cmd, "unrecognized option: %s", argv[i]);
		if (*file)
			return sstt_usage_error(cmd, "you must supply exactly one file");
		*file = argv[i];
	}
	if (!*file)
		return sstt_usage_error(cmd, "you must supply exactly one file");
	return -1;
}

int sstt_index_cmd(int argc, char **argv)
{
	const char *file;
	ictx c;
	sstt_index ix;
	hl_err err;
	hl_buf b;
	int rc = one_file_arg("index", argc, argv, &file);
	char ipath[4600];

	if (rc >= 0)
		return rc;
	memset(&err, 0, sizeof err);
	hl_buf_init(&b);
	rc = 1;
	if (setup(file, &c, &err))
		goto fail;
	snprintf(ipath, sizeof ipath, "%sIndex.db", c.path.prefix);
	if (sstt_index_load(ipath, &ix, &err))
		goto fail;
	printf("%s: %lld entries\n", ipath, (long long)ix.n);
	for (int64_t i = 0; i < ix.n; i++) {
		const sstt_ientry *e = &ix.e[i];

		hl_buf_reset(&b);
		hl_buf_printf(&b, "%lld: key=", (long long)i);
		key_text(&c, e->key, e->keylen, &b);
		hl_buf_printf(&b, " position=%llu promoted_index=%llu bytes\n", (unsigned long long)e->pos,
			      (unsigned long long)e->promoted_len);
		fwrite(b.p, 1, b.len, stdout);
		if (e->promoted_len && c.st.has_header && print_promoted(&c, e, &b)) {
			hl_errf(&err, HL_ERR_SERVER, "%s: malformed promoted index in entry %lld at offset %zu",
				ipath, (long long)i, e->off);
			sstt_index_free(&ix);
			goto fail;
		}
	}
	sstt_index_free(&ix);
	rc = 0;
	goto exit;
fail:
	fflush(stdout);
	fprintf(stderr, "helenus sstable index: %s\n", err.msg);
exit:
	hl_buf_free(&b);
	if (c.a)
		hl_arena_free(c.a);
	return rc;
}

int sstt_summary_cmd(int argc, char **argv)
{
	const char *file;
	ictx c;
	sstt_summary s;
	hl_err err;
	hl_buf b;
	int rc = one_file_arg("summary", argc, argv, &file);
	char spath[4600];

	if (rc >= 0)
		return rc;
	memset(&err, 0, sizeof err);
	hl_buf_init(&b);
	rc = 1;
	if (setup(file, &c, &err))
		goto fail;
	snprintf(spath, sizeof spath, "%sSummary.db", c.path.prefix);
	if (sstt_summary_load(spath, &s, &err))
		goto fail;
	printf("%s\n", spath);
	printf("min_index_interval: %d\n", s.min_interval);
	printf("entries: %d\n", s.count);
	printf("offheap_size: %lld\n", (long long)s.offheap);
	printf("sampling_level: %d\n", s.sampling);
	printf("size_at_full_sampling: %d\n", s.full_size);
	for (int32_t i = 0; i < s.count; i++) {
		hl_buf_reset(&b);
		hl_buf_printf(&b, "%d: key=", i);
		key_text(&c, s.e[i].key, s.e[i].keylen, &b);
		hl_buf_printf(&b, " index_position=%lld\n", (long long)s.e[i].index_pos);
		fwrite(b.p, 1, b.len, stdout);
	}
	for (int k = 0; k < 2; k++) {
		const st_bytes *kb = k ? &s.last : &s.first;

		hl_buf_reset(&b);
		hl_buf_str(&b, k ? "last_key: " : "first_key: ");
		key_text(&c, kb->p, kb->len, &b);
		hl_buf_u8(&b, '\n');
		fwrite(b.p, 1, b.len, stdout);
	}
	sstt_summary_free(&s);
	rc = 0;
	goto exit;
fail:
	fflush(stdout);
	fprintf(stderr, "helenus sstable summary: %s\n", err.msg);
exit:
	hl_buf_free(&b);
	if (c.a)
		hl_arena_free(c.a);
	return rc;
}
