/*
 * sstable/sst_reader.c: opening an sstable (name, version, TOC.txt, the
 * metadata components, a validating pass over Index.db that also checks
 * Summary.db against it), iteration in partitioner order driven by
 * Index.db, seeks (Summary.db binary search, then one summary interval of
 * Index.db), point lookups (bloom filter -> key cache -> Summary.db ->
 * Index.db -> Data.db), and the Digest.crc32 / chunk CRC integrity checks.
 */
#include "sstable/sst_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ ordering */

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Partitioner order: Murmur3 by (token, key bytes), ByteOrdered by bytes. */
static int part_cmp(const sst_reader *r, int64_t ta, const uint8_t *a, size_t an, int64_t tb,
		    const uint8_t *b, size_t bn)
{
	if (r->meta.partitioner == SST_MURMUR3 && ta != tb)
		return ta < tb ? -1 : 1;
	return key_cmp(a, an, b, bn);
}

/* ------------------------------------------------------------ Index.db */

typedef struct idx_entry {
	const uint8_t *key;
	size_t keylen;
	uint64_t pos;
	const uint8_t *pidx;     /* promoted index (pidx_len 0: none) */
	size_t pidx_len;
	size_t next;             /* index offset of the following entry */
	int64_t blocks;          /* IndexInfo blocks (deep parse only) */
} idx_entry;

/* Without Summary.db, seeks use every n-th Index.db entry instead:
 * Cassandra's min_index_interval, so the work per seek is the same. */
#define SST_SAMPLE_EVERY 128
/* Point lookups: one (token, offset) per this many entries, ~1 byte of
 * memory per partition; the scan of a lookup averages half of it. */
#define SST_FINE_EVERY 16

static int read_prefix(sst_reader *r, hl_rd *rd, st_bytes *scratch)
{
	uint8_t kind;
	uint16_t size;
	bool had_null;

	if (hl_rd_u8(rd, &kind))
		return -1;
	if (kind == 4)   /* CLUSTERING: every column, no size */
		return sst_read_clustering(r, rd, r->nclust, scratch, &had_null);
	if (kind > 7 || kind == 3 || hl_rd_u16(rd, &size) || size > r->nclust)
		return -1;
	return sst_read_clustering(r, rd, size, scratch, &had_null);
}

static int parse_promoted(sst_reader *r, hl_rd *rd, int64_t *blocks, bool *has_offsets)
{
	uint64_t hlen, count, u;
	int64_t width;
	st_deletion d;
	bool live;
	uint8_t open;
	st_bytes *scratch = hl_malloc((size_t)(r->nclust ? r->nclust : 1) * sizeof(*scratch));
	int rc = -1;

	if (hl_rd_uvint(rd, &hlen) || sst_read_deltime(r, rd, &d, &live) || hl_rd_uvint(rd, &count) ||
	    count > hl_rd_left(rd))
		goto exit;
	for (uint64_t i = 0; i < count; i++) {
		if (read_prefix(r, rd, scratch) || read_prefix(r, rd, scratch) || hl_rd_uvint(rd, &u) ||
		    hl_rd_vint(rd, &width) || hl_rd_u8(rd, &open) || open > 1 ||
		    (open && sst_read_deltime(r, rd, &d, &live)))
			goto exit;
	}
	/* the offsets table (one int32 per block) */
	*has_offsets = hl_rd_left(rd) == count * 4;
	if (*has_offsets) {
		uint32_t o, prev = 0;

		for (uint64_t i = 0; i < count; i++) {
			hl_rd_u32(rd, &o);
			if ((i == 0 && o != 0) || (i > 0 && o <= prev))
				goto exit;
			prev = o;
		}
	}
	if (hl_rd_left(rd) != 0 || rd->bad)
		goto exit;
	*blocks = (int64_t)count;
	rc = 0;
exit:
	free(scratch);
	return rc;
}

static int parse_entry(sst_reader *r, size_t off, bool deep, idx_entry *e, hl_err *err)
{
	hl_rd rd;
	uint64_t size;
	const uint8_t *p;

	hl_rd_init(&rd, r->index + off, r->index_len - off);
	if (hl_rd_pshortbytes(&rd, &e->key, &e->keylen) || hl_rd_uvint(&rd, &e->pos) ||
	    hl_rd_uvint(&rd, &size) || size > hl_rd_left(&rd))
		return sst_corrupt(r, err, "Index.db", off, "truncated index entry");
	e->blocks = 0;
	if (deep && size > 0) {
		hl_rd sub;
		bool has_offsets;

		hl_rd_init(&sub, rd.p + rd.pos, (size_t)size);
		if (parse_promoted(r, &sub, &e->blocks, &has_offsets))
			return sst_corrupt(r, err, "Index.db", off + rd.pos + sub.pos,
					   "malformed promoted index");
		if (!has_offsets)
			r->pidx_offsets = false;
	}
	hl_rd_raw(&rd, (size_t)size, &p);
	e->pidx = size ? p : NULL;
	e->pidx_len = (size_t)size;
	e->next = off + rd.pos;
	if (e->pos >= r->meta.data_length)
		return sst_corrupt(r, err, "Index.db", off, "partition position %llu past the end of Data.db (%llu)",
				   (unsigned long long)e->pos, (unsigned long long)r->meta.data_length);
	return 0;
}

/*
 * Validate every entry once: framing, promoted indexes, ascending positions.
 * Also note the first and last key, and check that every Summary.db sample
 * names an entry (offset and key), since seeks start their scans there;
 * without Summary.db, sample the index instead.
 */
static int scan_index(sst_reader *r, hl_err *err)
{
	size_t off = 0;
	uint64_t prev = 0;
	int64_t j = 0, cap = 0, fcap = 0;
	bool own = !r->meta.has_summary || r->nsum == 0;
	idx_entry e;

	r->pidx_offsets = true;
	if (own) {
		r->nsum = 0;
		r->sum = NULL;
	}
	while (off < r->index_len) {
		if (parse_entry(r, off, true, &e, err))
			return -1;
		if ((r->meta.index_entries == 0 && e.pos != 0) ||
		    (r->meta.index_entries > 0 && e.pos <= prev))
			return sst_corrupt(r, err, "Index.db", off, "partition position %llu out of order",
					   (unsigned long long)e.pos);
		if (own && r->meta.index_entries % SST_SAMPLE_EVERY == 0) {
			if (r->nsum == cap) {
				sst_sum_entry *n;

				cap = cap ? cap * 2 : 16;
				n = hl_arena_alloc(r->arena, (size_t)cap * sizeof(*n));
				if (r->nsum)
					memcpy(n, r->sum, (size_t)r->nsum * sizeof(*n));
				r->sum = n;
			}
			r->sum[r->nsum++] = (sst_sum_entry){ e.key, (uint32_t)e.keylen,
							    hl_token(e.key, e.keylen), off };
		}
		if (r->meta.partitioner == SST_MURMUR3 &&
		    r->meta.index_entries % SST_FINE_EVERY == 0) {
			if (r->nfine == fcap) {
				struct sst_fine *n;

				fcap = fcap ? fcap * 2 : 64;
				n = hl_arena_alloc(r->arena, (size_t)fcap * sizeof(*n));
				if (r->nfine)
					memcpy(n, r->fine, (size_t)r->nfine * sizeof(*n));
				r->fine = n;
			}
			r->fine[r->nfine++] = (struct sst_fine){ hl_token(e.key, e.keylen), off };
		}
		for (; !own && j < r->nsum && r->sum[j].index_pos == off; j++)
			if (r->sum[j].keylen != e.keylen || memcmp(r->sum[j].key, e.key, e.keylen) != 0)
				return sst_corrupt(r, err, "Summary.db", 0,
						   "sample %lld differs from its Index.db entry",
						   (long long)j);
		if (!own && j < r->nsum && r->sum[j].index_pos < off)
			return sst_corrupt(r, err, "Summary.db", 0,
					   "sample %lld is not at an Index.db entry", (long long)j);
		if (r->meta.index_entries == 0) {
			r->meta.first_key = e.key;
			r->meta.first_keylen = e.keylen;
		}
		r->meta.last_key = e.key;
		r->meta.last_keylen = e.keylen;
		prev = e.pos;
		r->meta.index_entries++;
		r->meta.promoted_blocks += e.blocks;
		off = e.next;
	}
	if (!own && j < r->nsum)
		return sst_corrupt(r, err, "Summary.db", 0, "sample %lld is not at an Index.db entry",
				   (long long)j);
	if (r->meta.index_entries == 0 && r->meta.data_length != 0)
		return sst_corrupt(r, err, "Index.db", 0, "empty index for a non-empty Data.db");
	r->meta.has_keys = r->meta.index_entries > 0;
	if (r->meta.has_keys) {
		r->meta.first_token = hl_token(r->meta.first_key, r->meta.first_keylen);
		r->meta.last_token = hl_token(r->meta.last_key, r->meta.last_keylen);
	}
	return 0;
}

/* Read and decode the partition of entry e (at index offset off). point:
 * a lookup, which reads only the partition's bytes (sst_data_read_point);
 * iteration goes through the checked chunks. */
static int read_partition(sst_reader *r, size_t off, const idx_entry *e, bool point, hl_arena *a,
			  st_mutation **out, hl_err *err)
{
	uint64_t end = r->meta.data_length;
	idx_entry n;

	if (e->next < r->index_len) {
		if (parse_entry(r, e->next, false, &n, err))
			return -1;
		end = n.pos;
	}
	if (end <= e->pos)
		return sst_corrupt(r, err, "Index.db", off, "partition positions out of order");
	if ((point ? sst_data_read_point : sst_data_read)(r, e->pos, (size_t)(end - e->pos), &r->pbuf,
							 err) ||
	    sst_decode_partition(r, r->pbuf.p, r->pbuf.len, e->pos, a, out, err))
		return -1;
	r->stats.partitions_decoded++;
	if ((*out)->keylen != e->keylen || memcmp((*out)->key, e->key, e->keylen) != 0)
		return sst_corrupt(r, err, "Data.db", e->pos,
				   "partition key differs from its Index.db entry (index offset %zu)", off);
	return 0;
}

/* ------------------------------------------------------------ open / close */

static bool version_ok(const char *v)
{
	static const char *const known[] = { "ma", "mb", "mc", "md", "me", "na", "nb", "oa" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(v, known[i]) == 0)
			return true;
	return false;
}

/* TOC.txt: if present, the components it lists that we depend on must exist. */
static int check_toc(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	bool present;
	char path[4096];
	int rc = -1;

	if (sst_read_file(r, "TOC.txt", false, &buf, &len, &present, err))
		goto exit;
	if (present) {
		size_t i = 0;

		while (i < len) {
			size_t j = i;
			char comp[64];

			while (j < len && buf[j] != '\n')
				j++;
			if (j - i > 0 && j - i < sizeof(comp)) {
				memcpy(comp, buf + i, j - i);
				comp[j - i] = 0;
				if (comp[j - i - 1] == '\r')
					comp[j - i - 1] = 0;
				if (strcmp(comp, "CompressionInfo.db") == 0 || strcmp(comp, "Data.db") == 0 ||
				    strcmp(comp, "Index.db") == 0 || strcmp(comp, "Statistics.db") == 0) {
					snprintf(path, sizeof(path), "%s%s", r->prefix, comp);
					if (access(path, R_OK) != 0) {
						hl_errf(err, HL_ERR_SERVER,
							"sstable component %s is listed in TOC.txt but missing",
							path);
						goto exit;
					}
				}
			}
			i = j + 1;
		}
	}
	snprintf(path, sizeof(path), "%sDigest.crc32", r->prefix);
	r->meta.has_digest = access(path, R_OK) == 0;
	rc = 0;
exit:
	free(buf);
	return rc;
}

int sst_open(const char *dir, const char *base, const sst_schema *schema, const sst_opts *opts,
	     sst_reader **out, hl_err *err)
{
	sst_reader *r = hl_calloc(1, sizeof(*r));
	char path[4096];
	struct stat st;
	const char *dash;
	int rc = -1;

	r->arena = hl_arena_new(16384);
	r->data_fd = -1;
	r->cached_chunk = -1;
	hl_buf_init(&r->pbuf);
	hl_buf_init(&r->prev_key);
	if (opts)
		r->opts = *opts;
	r->prefix = hl_arena_printf(r->arena, "%s/%s-", dir, base);
	/* <version>-<generation>-<format> */
	dash = strchr(base, '-');
	if (strlen(base) < 2 || dash != base + 2 || !strchr(dash + 1, '-')) {
		hl_errf(err, HL_ERR_SERVER, "bad sstable name %s (expected e.g. nb-1-big)", base);
		goto exit;
	}
	memcpy(r->meta.version, base, 2);
	r->meta.version[2] = 0;
	if (strcmp(strchr(dash + 1, '-') + 1, "big") != 0) {
		hl_errf(err, HL_ERR_SERVER, "sstable %s: only the 'big' format is supported", base);
		goto exit;
	}
	if (!version_ok(r->meta.version)) {
		hl_errf(err, HL_ERR_SERVER, "sstable %s: unsupported version '%s'", base, r->meta.version);
		goto exit;
	}
	r->v_mb = strcmp(r->meta.version, "mb") >= 0;
	r->v_mc = strcmp(r->meta.version, "mc") >= 0;
	r->v_na = strcmp(r->meta.version, "na") >= 0;
	r->v_oa = strcmp(r->meta.version, "oa") >= 0;
	r->v_host_id = strcmp(r->meta.version, "me") == 0 || strcmp(r->meta.version, "nb") >= 0;

	if (check_toc(r, err))
		goto exit;
	snprintf(path, sizeof(path), "%sData.db", r->prefix);
	r->data_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->data_fd < 0 || fstat(r->data_fd, &st) < 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot open %s: %s", path, strerror(errno));
		goto exit;
	}
	r->data_file_len = (uint64_t)st.st_size;
	if (sst_load_statistics(r, schema, err) || sst_load_compression(r, err))
		goto exit;
	if (r->comp == SST_COMP_NONE) {
		r->meta.data_length = r->data_file_len;
		if (sst_load_crc(r, err))
			goto exit;
	}
	r->cbuf = hl_malloc(r->chunk_len);
	/* the summary first: scan_index checks it against the index */
	if (sst_read_file(r, "Index.db", true, &r->index, &r->index_len, NULL, err) ||
	    sst_load_summary(r, err) || scan_index(r, err) || sst_load_filter(r, err))
		goto exit;
	if (r->opts.key_cache_size >= 0) {
		uint32_t tab = 2;

		r->kc_cap = r->opts.key_cache_size ? r->opts.key_cache_size : SST_KEY_CACHE_DEFAULT;
		if (r->kc_cap > (1 << 24))
			r->kc_cap = 1 << 24;
		/* at most half full: short probe sequences, and never full */
		while (tab < 2 * (uint32_t)r->kc_cap)
			tab <<= 1;
		r->kc_mask = tab - 1;
		/* allocated by the first lookup: compaction and tool readers,
		 * which never look keys up, cost nothing */
	}
	*out = r;
	r = NULL;
	rc = 0;
exit:
	sst_close(r);
	return rc;
}

void sst_close(sst_reader *r)
{
	if (!r)
		return;
	if (r->data_fd >= 0)
		close(r->data_fd);
	free(r->cbuf);
	free(r->rawbuf);
	free(r->index);
	free(r->kc);
	free(r->kc_tab);
	if (r->scratch)
		hl_arena_free(r->scratch);
	hl_buf_free(&r->pbuf);
	hl_buf_free(&r->prev_key);
	hl_arena_free(r->arena);
	free(r);
}

const sst_meta *sst_info(const sst_reader *r)
{
	return &r->meta;
}

void sst_get_counts(const sst_reader *r, sst_counts *out)
{
	*out = r->counts;
}

/* ------------------------------------------------------------ iteration */

void sst_rewind(sst_reader *r)
{
	r->ipos = 0;
	r->have_prev = false;
	memset(&r->counts, 0, sizeof(r->counts));
}

/*
 * The index entry at r->ipos, checked to follow the previous partition in
 * partitioner order. 1 with *e filled, 0 at the end, -1 on error. The
 * caller reads (or skips) the partition, then calls entry_done().
 */
static int next_entry(sst_reader *r, idx_entry *e, int64_t *tok, hl_err *err)
{
	size_t off = r->ipos;

	if (off >= r->index_len)
		return 0;
	if (parse_entry(r, off, false, e, err))
		return -1;
	*tok = hl_token(e->key, e->keylen);
	if (r->have_prev &&
	    part_cmp(r, r->prev_token, r->prev_key.p, r->prev_key.len, *tok, e->key, e->keylen) >= 0)
		return sst_corrupt(r, err, "Index.db", off, "partitions out of partitioner order");
	return 1;
}

static void entry_done(sst_reader *r, const idx_entry *e, int64_t tok)
{
	hl_buf_reset(&r->prev_key);
	hl_buf_put(&r->prev_key, e->key, e->keylen);
	r->prev_token = tok;
	r->have_prev = true;
	r->ipos = e->next;
}

int sst_next_partition(sst_reader *r, hl_arena *a, st_mutation **out, hl_err *err)
{
	idx_entry e;
	int64_t tok;
	int rc = next_entry(r, &e, &tok, err);

	if (rc <= 0)
		return rc;
	if (read_partition(r, r->ipos, &e, false, a, out, err))
		return -1;
	entry_done(r, &e, tok);
	return 1;
}

/* ------------------------------------------------------------ seeking */

/* A seek target: (token, key), or a token alone (key NULL). */
typedef struct target {
	int64_t token;
	const uint8_t *key;
	size_t keylen;
	bool inclusive;
} target;

/* Is the partition (token, key) at or past the target? Monotone along the
 * file, which is what the binary search and the scans rely on. */
static bool admitted(const sst_reader *r, int64_t tok, const uint8_t *key, size_t keylen,
		     const target *t)
{
	int c;

	if (!t->key) {
		if (r->meta.partitioner != SST_MURMUR3)
			return true;
		return t->inclusive ? tok >= t->token : tok > t->token;
	}
	c = part_cmp(r, tok, key, keylen, t->token, t->key, t->keylen);
	return t->inclusive ? c >= 0 : c > 0;
}

/*
 * The Index.db offset of the first entry admitted by t (index_len when
 * none): the last sample before the target bounds the scan from below, the
 * next sample (admitted, by the search) from above.
 */
static int index_search(sst_reader *r, const target *t, size_t *out, hl_err *err)
{
	int64_t lo = 0, hi = r->nsum - 1, found = -1;
	size_t off = 0;
	idx_entry e;

	while (lo <= hi) {
		int64_t mid = lo + (hi - lo) / 2;
		const sst_sum_entry *s = &r->sum[mid];

		if (!admitted(r, s->token, s->key, s->keylen, t)) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (found >= 0)
		off = (size_t)r->sum[found].index_pos;
	while (off < r->index_len) {
		if (parse_entry(r, off, false, &e, err))
			return -1;
		r->stats.index_scanned++;
		if (admitted(r, hl_token(e.key, e.keylen), e.key, e.keylen, t))
			break;
		off = e.next;
	}
	*out = off;
	return 0;
}

int sst_seek(sst_reader *r, int64_t token, const void *key, size_t keylen, bool inclusive,
	     hl_err *err)
{
	target t = { token, key, keylen, inclusive };
	size_t off;

	r->stats.seeks++;
	if (index_search(r, &t, &off, err))
		return -1;
	r->ipos = off;
	/* the order check restarts here: nothing before the target is seen */
	r->have_prev = false;
	return 0;
}

int sst_peek_partition(sst_reader *r, int64_t *token, const uint8_t **key, size_t *keylen,
		       hl_err *err)
{
	idx_entry e;

	if (r->ipos >= r->index_len)
		return 0;
	if (parse_entry(r, r->ipos, false, &e, err))
		return -1;
	*token = hl_token(e.key, e.keylen);
	*key = e.key;
	*keylen = e.keylen;
	return 1;
}

int sst_skip_partition(sst_reader *r, hl_err *err)
{
	idx_entry e;
	int64_t tok;
	int rc = next_entry(r, &e, &tok, err);

	if (rc <= 0)
		return rc;
	entry_done(r, &e, tok);
	return 1;
}

/* ------------------------------------------------------------ key cache */

/*
 * Fully associative, bounded, CLOCK replacement (an LRU approximation that
 * costs one bit per hit): kc_cap entries found through a hash table of
 * twice as many slots, so probes stay short. Only keys that exist are
 * cached (the bloom filter answers most absent ones). An entry holds its
 * Index.db offset; the entry's key confirms a hit, so a hash collision
 * cannot return the wrong partition. No allocation after open.
 */
static bool kc_get(sst_reader *r, int64_t h1, int64_t h2, const void *key, size_t keylen,
		   idx_entry *e, size_t *off, hl_err *err, int *rc)
{
	*rc = 0;
	if (!r->kc)
		return false;
	for (uint32_t i = (uint32_t)h1 & r->kc_mask; r->kc_tab[i]; i = (i + 1) & r->kc_mask) {
		sst_kc_slot *s = &r->kc[r->kc_tab[i] - 1];

		if (s->h1 != (uint64_t)h1 || s->h2 != (uint64_t)h2)
			continue;
		if (parse_entry(r, s->off, false, e, err)) {
			*rc = -1;
			return true;
		}
		if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
			s->ref = true;
			*off = s->off;
			return true;
		}
	}
	return false;
}

/* Drop entry number n from the hash table (backward-shift deletion, so
 * probe sequences stay unbroken without tombstones). */
static void kc_unlink(sst_reader *r, uint32_t n)
{
	uint32_t mask = r->kc_mask, i = (uint32_t)r->kc[n].h1 & mask, j;

	while (r->kc_tab[i] != n + 1)
		i = (i + 1) & mask;
	for (j = (i + 1) & mask; r->kc_tab[j]; j = (j + 1) & mask) {
		uint32_t home = (uint32_t)r->kc[r->kc_tab[j] - 1].h1 & mask;

		/* j's entry may move into the hole at i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			r->kc_tab[i] = r->kc_tab[j];
			i = j;
		}
	}
	r->kc_tab[i] = 0;
}

static void kc_put(sst_reader *r, int64_t h1, int64_t h2, size_t off)
{
	uint32_t n, i;

	if (!r->kc) {
		r->kc = hl_calloc((size_t)r->kc_cap, sizeof(*r->kc));
		r->kc_tab = hl_calloc((size_t)r->kc_mask + 1, sizeof(*r->kc_tab));
	}
	if (r->kc_entries < r->kc_cap) {
		n = (uint32_t)r->kc_entries++;
	} else {
		/* the clock: pass over (and clear) recently used entries */
		while (r->kc[r->kc_hand].ref) {
			r->kc[r->kc_hand].ref = false;
			r->kc_hand = (r->kc_hand + 1) % r->kc_cap;
		}
		n = (uint32_t)r->kc_hand;
		r->kc_hand = (r->kc_hand + 1) % r->kc_cap;
		kc_unlink(r, n);
	}
	/* referenced from the start: a new entry survives one pass of the hand,
	 * else a burst of misses could evict its own first entries */
	r->kc[n] = (sst_kc_slot){ (uint64_t)h1, (uint64_t)h2, off, true };
	for (i = (uint32_t)h1 & r->kc_mask; r->kc_tab[i]; i = (i + 1) & r->kc_mask)
		;
	r->kc_tab[i] = n + 1;
}

void sst_get_read_stats(const sst_reader *r, sst_read_stats *out)
{
	*out = r->stats;
	out->key_cache_entries = r->kc_entries;
	out->key_cache_capacity = r->kc_cap;
}

/* ------------------------------------------------------------ point lookup */

static bool bloom_has(const sst_reader *r, int64_t h1, int64_t h2)
{
	/* ma+: the walk starts at h2 and steps by h1 (swapped before 3.0) */
	uint64_t base = (uint64_t)h2, inc = (uint64_t)h1;

	if (!r->bf)
		return true;
	for (uint32_t i = 0; i < r->bf_hashes; i++) {
		int64_t rem = (int64_t)base % (int64_t)r->bf_bits;
		uint64_t bit = (uint64_t)(rem < 0 ? -rem : rem);

		if (!(r->bf[bit >> 3] >> (bit & 7) & 1))
			return false;
		base += inc;
	}
	return true;
}

/* The bytes of an unsigned vint whose first byte is b. */
static inline size_t uvint_size(uint8_t b)
{
	return b < 0x80 ? 1 : (size_t)__builtin_clz(~((uint32_t)b << 24)) + 1;
}

/* An unsigned vint (Cassandra's: the first byte's leading ones count the
 * bytes that follow) at p, within left bytes; *n: its length. */
static inline int uvint_at(const uint8_t *p, size_t left, uint64_t *v, size_t *n)
{
	size_t extra;
	uint64_t x;

	if (left == 0)
		return -1;
	if (p[0] < 0x80) {
		*v = p[0];
		*n = 1;
		return 0;
	}
	extra = (size_t)__builtin_clz(~((uint32_t)p[0] << 24));   /* 1..8 */
	if (extra >= left)
		return -1;
	x = extra < 8 ? (uint64_t)(p[0] & (0xFFu >> extra)) : 0;
	for (size_t i = 1; i <= extra; i++)
		x = x << 8 | p[i];
	*v = x;
	*n = extra + 1;
	return 0;
}

/*
 * A point lookup wants the entry whose key equals the target's, and keys
 * are unique in a file: the stretch of Index.db that must hold it is
 * scanned comparing key bytes only, instead of computing the Murmur3 token
 * of every entry passed as index_search does. The stretch: between two of
 * the open-time samples (r->fine, every SST_FINE_EVERY entries) in Murmur3
 * files, else the summary interval (from the last sample before the target
 * up to and including the first one at or after it). 1: found (e, *out),
 * 0: not in this file.
 */
static int index_find_key(sst_reader *r, const target *t, size_t *out, idx_entry *e, hl_err *err)
{
	int64_t lo = 0, hi = r->nsum - 1, found = -1;
	size_t off = 0, end = r->index_len;
	uint64_t head = 0, w;
	bool end_incl = true;   /* the entry at end may be the one */

	if (r->nfine > 0) {
		/* from the last sample whose token is below the target's to the
		 * first one whose token is above it (equal tokens: collisions
		 * of different keys, which may sit on both sides of a sample) */
		int64_t a = 0, b = r->nfine - 1, last = -1, next;

		while (a <= b) {
			int64_t mid = a + (b - a) / 2;

			if (r->fine[mid].token < t->token) {
				last = mid;
				a = mid + 1;
			} else {
				b = mid - 1;
			}
		}
		for (next = last + 1; next < r->nfine && r->fine[next].token <= t->token; next++)
			;
		off = last >= 0 ? (size_t)r->fine[last].off : 0;
		end = next < r->nfine ? (size_t)r->fine[next].off : r->index_len;
		end_incl = false;
		hi = -1;   /* no summary search */
	}
	while (lo <= hi) {
		int64_t mid = lo + (hi - lo) / 2;
		const sst_sum_entry *s = &r->sum[mid];

		if (!admitted(r, s->token, s->key, s->keylen, t)) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (found >= 0)
		off = (size_t)r->sum[found].index_pos;
	if (found + 1 < r->nsum && end_incl)
		end = (size_t)r->sum[found + 1].index_pos;
	/* the key's first 8 bytes as one word: most entries differ there, so
	 * memcmp runs only on a likely match */
	if (t->keylen >= 8)
		memcpy(&head, t->key, 8);
	while (off < r->index_len && (end_incl || off < end)) {
		const uint8_t *p = r->index + off;
		size_t left = r->index_len - off, kl, n1, n2;
		uint64_t size;

		/* the entry's framing, bounds-checked (the position's value is
		 * not needed to step over it, only its length); anything odd
		 * goes to parse_entry, which names the problem */
		kl = left >= 2 ? (size_t)p[0] << 8 | p[1] : left;
		n1 = left >= 2 && kl < left - 2 ? uvint_size(p[2 + kl]) : 0;
		if (left < 2 || kl >= left - 2 || n1 > left - 2 - kl ||
		    uvint_at(p + 2 + kl + n1, left - 2 - kl - n1, &size, &n2) ||
		    size > left - 2 - kl - n1 - n2) {
			if (parse_entry(r, off, false, e, err))
				return -1;
			return sst_corrupt(r, err, "Index.db", off, "truncated index entry");
		}
		r->stats.index_scanned++;
		if (kl == t->keylen && (kl < 8 || (memcpy(&w, p + 2, 8), w == head)) &&
		    memcmp(p + 2, t->key, kl) == 0) {
			if (parse_entry(r, off, false, e, err))
				return -1;
			*out = off;
			return 1;
		}
		if (end_incl && off >= end)
			break;
		off += 2 + kl + n1 + n2 + (size_t)size;   /* > off: at least 4 bytes */
	}
	return 0;
}

/* Bloom filter, key cache, then the summary interval of Index.db. */
static int find_entry(sst_reader *r, const void *key, size_t keylen, int64_t token, idx_entry *e,
		      size_t *off, hl_err *err)
{
	int64_t h1, h2;
	int rc;

	hl_murmur3_128(key, keylen, &h1, &h2);
	if (!bloom_has(r, h1, h2))
		return 0;
	/* ByteOrdered files: the search compares keys only; the token is unused */
	if (r->meta.partitioner != SST_MURMUR3)
		token = 0;
	if (r->kc_cap) {
		if (kc_get(r, h1, h2, key, keylen, e, off, err, &rc)) {
			if (rc < 0)
				return -1;
			r->stats.key_cache_hits++;
			return 1;
		}
		r->stats.key_cache_misses++;
	}
	{
		target t = { token, key, keylen, true };

		rc = index_find_key(r, &t, off, e, err);
		if (rc <= 0)
			return rc;
	}
	if (r->kc_cap)
		kc_put(r, h1, h2, *off);
	return 1;
}

int sst_lookup(sst_reader *r, const void *key, size_t keylen, int64_t token, sst_ientry *out,
	       hl_err *err)
{
	idx_entry e, n;
	size_t off;
	int rc = find_entry(r, key, keylen, token, &e, &off, err);

	if (rc <= 0)
		return rc;
	out->key = e.key;
	out->keylen = e.keylen;
	out->pos = e.pos;
	out->end = r->meta.data_length;
	out->pidx = e.pidx;
	out->pidx_len = e.pidx_len;
	out->off = off;
	if (e.next < r->index_len) {
		if (parse_entry(r, e.next, false, &n, err))
			return -1;
		out->end = n.pos;
	}
	if (out->end <= out->pos)
		return sst_corrupt(r, err, "Index.db", off, "partition positions out of order");
	return 1;
}

int sst_get_partition(sst_reader *r, const void *key, size_t keylen, int64_t token, hl_arena *a,
		      st_mutation **out, hl_err *err)
{
	sst_counts saved = r->counts;
	idx_entry e;
	size_t off;
	int rc;

	*out = NULL;
	rc = find_entry(r, key, keylen, token, &e, &off, err);
	if (rc <= 0)
		return rc;
	rc = read_partition(r, off, &e, true, a, out, err) ? -1 : 1;
	r->counts = saved;   /* lookups do not count as iteration */
	return rc;
}

bool sst_may_contain(const sst_reader *r, const void *key, size_t keylen)
{
	int64_t h1, h2;

	if (!r->bf)
		return true;
	hl_murmur3_128(key, keylen, &h1, &h2);
	return bloom_has(r, h1, h2);
}

/* ------------------------------------------------------------ integrity */

int sst_verify_digest(sst_reader *r, hl_err *err)
{
	uint8_t *buf = NULL, *chunk = NULL;
	size_t len;
	bool present;
	uint32_t crc = 0;
	unsigned long long want = 0;
	int rc = -1;

	if (sst_read_file(r, "Digest.crc32", false, &buf, &len, &present, err))
		goto exit;
	if (!present) {
		rc = 0;
		goto exit;
	}
	{
		size_t i = 0;

		while (i < len && buf[i] >= '0' && buf[i] <= '9' && want <= 0xFFFFFFFFULL)
			want = want * 10 + (unsigned)(buf[i++] - '0');
		while (i < len && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' '))
			i++;
		if (i == 0 || i != len || want > 0xFFFFFFFFULL) {
			sst_corrupt(r, err, "Digest.crc32", 0, "not a decimal CRC32");
			goto exit;
		}
	}
	chunk = hl_malloc(65536);
	for (uint64_t off = 0; off < r->data_file_len;) {
		size_t n = r->data_file_len - off < 65536 ? (size_t)(r->data_file_len - off) : 65536;
		ssize_t k = pread(r->data_fd, chunk, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			hl_errf(err, HL_ERR_SERVER, "cannot read %sData.db: %s", r->prefix,
				k < 0 ? strerror(errno) : "short read");
			goto exit;
		}
		crc = hl_crc32(crc, chunk, (size_t)k);
		off += (uint64_t)k;
	}
	if (crc != (uint32_t)want) {
		hl_errf(err, HL_ERR_SERVER,
			"sstable %sData.db does not match Digest.crc32 (CRC32 %u, digest says %llu)",
			r->prefix, crc, want);
		goto exit;
	}
	rc = 0;
exit:
	free(buf);
	free(chunk);
	return rc;
}

int sst_verify(sst_reader *r, hl_err *err)
{
	if (sst_data_verify_chunks(r, err))
		return -1;
	return sst_verify_digest(r, err);
}
