/*
 * sstable/sst_wmeta.c: the writer's metadata helpers. Marshal class
 * strings for the SerializationHeader, the EncodingStats collector, the
 * HyperLogLog++ key-cardinality estimator of Statistics.db's COMPACTION
 * component (stream-lib 2.5.2's HyperLogLogPlus(13, 25), the version
 * Cassandra 4.x ships, so its bytes match Cassandra's), MurmurHash2-64,
 * EstimatedHistogram bucket offsets, the streaming tombstone-drop-time
 * histogram and the bloom filter sizing. Formats: shared/docs/
 * sstable-format.md sections 7 and 10.
 */
#include "sstable/sst_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MARSHAL "org.apache.cassandra.db.marshal."

/* ------------------------------------------------------------ marshal strings */

static const char *simple_name(ty_kind k)
{
	switch (k) {
	case TY_ASCII: return "AsciiType";
	case TY_BIGINT: return "LongType";
	case TY_BLOB: return "BytesType";
	case TY_BOOLEAN: return "BooleanType";
	case TY_COUNTER: return "CounterColumnType";
	case TY_DECIMAL: return "DecimalType";
	case TY_DOUBLE: return "DoubleType";
	case TY_FLOAT: return "FloatType";
	case TY_INT: return "Int32Type";
	case TY_TIMESTAMP: return "TimestampType";
	case TY_UUID: return "UUIDType";
	case TY_TEXT: return "UTF8Type";
	case TY_VARINT: return "IntegerType";
	case TY_TIMEUUID: return "TimeUUIDType";
	case TY_INET: return "InetAddressType";
	case TY_DATE: return "SimpleDateType";
	case TY_TIME: return "TimeType";
	case TY_SMALLINT: return "ShortType";
	case TY_TINYINT: return "ByteType";
	case TY_DURATION: return "DurationType";
	default: return NULL;
	}
}

static void put_hex(hl_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		hl_buf_u8(out, (uint8_t)hex[*p >> 4]);
		hl_buf_u8(out, (uint8_t)hex[*p & 15]);
	}
}

/*
 * Cassandra prints FrozenType(...) only at the outermost frozen level:
 * inside a frozen collection, UDT or tuple every nested type is frozen by
 * definition and printed without it (AbstractType.toString(ignoreFreezing)).
 * The reader's parser maps such strings back to the same descriptors.
 */
static void fmt_type(const ty_type *t, bool ignore_frozen, hl_buf *out)
{
	const char *nm = simple_name(t->kind);
	bool frozen_wrap = false;

	if (nm) {
		hl_buf_str(out, MARSHAL);
		hl_buf_str(out, nm);
		return;
	}
	if (t->kind == TY_VECTOR) {
		ty_marshal_name(t, out);
		return;
	}
	if (t->kind == TY_CUSTOM) {
		hl_buf_str(out, t->custom_class ? t->custom_class : MARSHAL "BytesType");
		return;
	}
	if (t->kind == TY_TUPLE) {
		hl_buf_str(out, MARSHAL "TupleType(");
		for (int i = 0; i < t->nsub; i++) {
			if (i)
				hl_buf_u8(out, ',');
			fmt_type(t->sub[i], true, out);
		}
		hl_buf_u8(out, ')');
		return;
	}
	if (t->frozen && !ignore_frozen) {
		hl_buf_str(out, MARSHAL "FrozenType(");
		frozen_wrap = true;
	}
	ignore_frozen = ignore_frozen || t->frozen;
	switch (t->kind) {
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		hl_buf_str(out, t->kind == TY_LIST ? MARSHAL "ListType(" :
				t->kind == TY_SET ? MARSHAL "SetType(" : MARSHAL "MapType(");
		for (int i = 0; i < t->nsub; i++) {
			if (i)
				hl_buf_u8(out, ',');
			fmt_type(t->sub[i], ignore_frozen, out);
		}
		hl_buf_u8(out, ')');
		break;
	case TY_UDT:
		hl_buf_str(out, MARSHAL "UserType(");
		hl_buf_str(out, t->udt_ks ? t->udt_ks : "");
		hl_buf_u8(out, ',');
		put_hex(out, t->udt_name ? t->udt_name : "");
		for (int i = 0; i < t->nsub; i++) {
			hl_buf_u8(out, ',');
			put_hex(out, t->field_names[i]);
			hl_buf_u8(out, ':');
			fmt_type(t->sub[i], ignore_frozen, out);
		}
		hl_buf_u8(out, ')');
		break;
	default:
		hl_buf_str(out, MARSHAL "BytesType");
		break;
	}
	if (frozen_wrap)
		hl_buf_u8(out, ')');
}

void sst_format_marshal(const ty_type *t, bool reversed, hl_buf *out)
{
	if (reversed)
		hl_buf_str(out, MARSHAL "ReversedType(");
	fmt_type(t, false, out);
	if (reversed)
		hl_buf_u8(out, ')');
}

/* ------------------------------------------------------------ EncodingStats */

void sst_enc_stats_init(sst_enc_stats *s)
{
	memset(s, 0, sizeof(*s));
}

static void es_ts(sst_enc_stats *s, int64_t ts)
{
	if (!s->has_ts || ts < s->min_ts)
		s->min_ts = ts;
	s->has_ts = true;
}

static void es_ldt(sst_enc_stats *s, int64_t ldt)
{
	int64_t v = sst_w_ldt32(ldt);

	if (!s->has_ldt || v < s->min_ldt)
		s->min_ldt = v;
	s->has_ldt = true;
}

static void es_del(sst_enc_stats *s, const st_deletion *d)
{
	if (d->ts == ST_NO_TS)
		return;
	es_ts(s, d->ts);
	es_ldt(s, d->ldt);
}

static void es_row(sst_enc_stats *s, const st_mrow *r)
{
	if (r->marker.ts != ST_NO_TS) {
		es_ts(s, r->marker.ts);
		if (r->marker.ttl > 0) {
			if (!s->has_ttl || r->marker.ttl < s->min_ttl)
				s->min_ttl = r->marker.ttl;
			s->has_ttl = true;
			es_ldt(s, sst_w_exp32(r->marker.expire));
		}
	}
	es_del(s, &r->del);
	for (const st_complex_del *d = r->cdels; d; d = d->next)
		es_del(s, &d->del);
	for (const st_cell *c = r->cells; c; c = c->next) {
		es_ts(s, c->ts);
		if (c->ttl > 0) {
			if (!s->has_ttl || c->ttl < s->min_ttl)
				s->min_ttl = c->ttl;
			s->has_ttl = true;
			es_ldt(s, sst_w_exp32(c->ldt));
		} else if (c->ldt != ST_NO_LDT) {
			es_ldt(s, c->ldt);
		}
	}
}

void sst_enc_stats_add(sst_enc_stats *s, const st_mutation *m)
{
	es_del(s, &m->pdel);
	for (const st_range_tomb *t = m->rts; t; t = t->next)
		es_del(s, &t->del);
	if (m->static_row)
		es_row(s, m->static_row);
	for (const st_mrow *r = m->rows; r; r = r->next)
		es_row(s, r);
}

/* nb stores local deletion times as int32: a tombstone's keeps its low
 * 32 bits (Cassandra writes negative ones as they are), "none" is
 * INT32_MAX. */
int32_t sst_w_ldt32(int64_t ldt)
{
	if (ldt == ST_NO_LDT)
		return INT32_MAX;
	return (int32_t)(uint32_t)(uint64_t)ldt;
}

/* An expiration time past what int32 holds is capped (Cassandra's CAP
 * policy), never wrapped into the past. */
int32_t sst_w_exp32(int64_t exp)
{
	if (exp > INT32_MAX - 1)
		return INT32_MAX - 1;
	if (exp < 0)
		return 0;
	return (int32_t)exp;
}

/* ------------------------------------------------------------ MurmurHash2-64 */

/* Cassandra's MurmurHash.hash2_64 (MurmurHash64A, seed 0): tail bytes are
 * Java bytes, sign-extended before being shifted in. */
uint64_t sst_hash2_64(const void *key, size_t len)
{
	const uint8_t *d = key;
	const uint64_t m = 0xc6a4a7935bd1e995ULL;
	uint64_t h = (uint64_t)0 ^ (m * (uint64_t)len);
	size_t nblk = len / 8;

	for (size_t i = 0; i < nblk; i++) {
		uint64_t k = 0;

		for (int j = 7; j >= 0; j--)
			k = k << 8 | d[i * 8 + (size_t)j];
		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	size_t rem = len & 7;
	const uint8_t *t = d + nblk * 8;

	if (rem) {
		for (size_t j = rem; j > 0; j--)
			h ^= (uint64_t)(int64_t)(int8_t)t[j - 1] << (8 * (j - 1));
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

/* ------------------------------------------------------------ HyperLogLog++ */

/*
 * stream-lib 2.5.2 HyperLogLogPlus(p = 13, sp = 25), restated: keys are
 * encoded into a temporary list that is sorted and merged into the sparse
 * list whenever it exceeds 1536 entries (and at serialization); a sparse
 * list longer than 6144 entries becomes the normal register form. The
 * merge's ordering quirk (raw signed comparison of encodings when indexes
 * differ) is reproduced because it decides the serialized order.
 */
#define HLL_P 13
#define HLL_SP 25
#define HLL_SPARSE_MAX 6144          /* (int)(2^13 * 0.75) */
#define HLL_SORT_MAX 1536            /* HLL_SPARSE_MAX / 4 */
#define HLL_WORDS 1366               /* 8192 five-bit registers, six per int */

void sst_hll_init(sst_hll *h)
{
	memset(h, 0, sizeof(*h));
	h->tmp = hl_malloc((HLL_SORT_MAX + 1) * sizeof(int32_t));
}

void sst_hll_free(sst_hll *h)
{
	free(h->tmp);
	free(h->sparse);
	free(h->regs);
	memset(h, 0, sizeof(*h));
}

static int clz64(uint64_t v)
{
	return v ? __builtin_clzll(v) : 64;
}

static int clz32(uint32_t v)
{
	return v ? __builtin_clz(v) : 32;
}

static int run_length(uint64_t x)
{
	return clz64(x << HLL_P | (uint64_t)(1u << (HLL_P - 1))) + 1;
}

static int32_t hll_encode(uint64_t x)
{
	uint32_t idx = (uint32_t)(x >> (64 - HLL_SP));

	/* the sp-p bits after the p index bits all zero: keep the run length */
	if ((uint32_t)(idx << ((32 - HLL_SP) + HLL_P)) == 0) {
		uint32_t invrl = (uint32_t)run_length(x) ^ 63;

		return (int32_t)((((idx << 6) | invrl) << 1) | 1);
	}
	return (int32_t)(idx << 1);
}

static uint32_t sparse_index(int32_t k)
{
	return (k & 1) ? (uint32_t)k >> 7 : (uint32_t)k >> 1;
}

static int32_t encoded_hash(int32_t k)
{
	return (int32_t)((uint32_t)k << (HLL_P + (31 - HLL_SP)));
}

static int hll_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	uint32_t ix = sparse_index(x), iy = sparse_index(y);

	if (x == y)
		return 0;
	if (ix != iy)
		return ix < iy ? -1 : 1;
	if (encoded_hash(x) != encoded_hash(y))
		return encoded_hash(x) < encoded_hash(y) ? -1 : 1;
	return 0;
}

static void regs_update(int32_t *regs, uint32_t pos, uint32_t val)
{
	uint32_t word = pos / 6, shift = 5 * (pos - word * 6);
	uint32_t mask = 0x1fu << shift, cur = (uint32_t)regs[word] & mask, nv = val << shift;

	if (cur < nv)
		regs[word] = (int32_t)(((uint32_t)regs[word] & ~mask) | nv);
}

static void sparse_push(int32_t *set, int *n, int32_t v)
{
	set[(*n)++] = v;
}

static void hll_merge_tmp(sst_hll *h)
{
	int32_t *out;
	int n = 0, si = 0, ti = 0, ns = h->nsparse, nt = h->ntmp;

	if (nt == 0)
		return;
	qsort(h->tmp, (size_t)nt, sizeof(int32_t), hll_cmp);
	out = hl_malloc((size_t)(ns + nt) * sizeof(int32_t));
	while (si < ns || ti < nt) {
		if (si >= ns) {
			int32_t t = h->tmp[ti++];

			sparse_push(out, &n, t);
			while (ti < nt && sparse_index(h->tmp[ti]) == sparse_index(t))
				ti++;
		} else if (ti >= nt) {
			sparse_push(out, &n, h->sparse[si++]);
		} else {
			int32_t s = h->sparse[si], t = h->tmp[ti];

			if (sparse_index(s) == sparse_index(t)) {
				sparse_push(out, &n, s < t ? s : t);
				ti++;
				while (ti < nt && sparse_index(h->tmp[ti]) == sparse_index(t))
					ti++;
				si++;
			} else if (s < t) {
				sparse_push(out, &n, s);
				si++;
			} else {
				sparse_push(out, &n, t);
				ti++;
				while (ti < nt && sparse_index(h->tmp[ti]) == sparse_index(t))
					ti++;
			}
		}
	}
	free(h->sparse);
	h->sparse = out;
	h->nsparse = n;
	h->ntmp = 0;
}

static void hll_to_normal(sst_hll *h)
{
	h->regs = hl_calloc(HLL_WORDS, sizeof(int32_t));
	for (int i = 0; i < h->nsparse; i++) {
		int32_t k = h->sparse[i];
		uint32_t idx = sparse_index(k) >> (HLL_SP - HLL_P);
		uint32_t r = (k & 1) ? (((uint32_t)k >> 1) & 63) ^ 63
				     : (uint32_t)clz32((uint32_t)k << (HLL_P + (31 - HLL_SP))) + 1;

		regs_update(h->regs, idx, r);
	}
	free(h->sparse);
	h->sparse = NULL;
	h->nsparse = 0;
}

void sst_hll_offer(sst_hll *h, const void *key, size_t len)
{
	uint64_t x = sst_hash2_64(key, len);

	if (h->regs) {
		regs_update(h->regs, (uint32_t)(x >> (64 - HLL_P)), (uint32_t)run_length(x));
		return;
	}
	h->tmp[h->ntmp++] = hll_encode(x);
	if (h->ntmp > HLL_SORT_MAX) {
		hll_merge_tmp(h);
		if (h->nsparse > HLL_SPARSE_MAX)
			hll_to_normal(h);
	}
}

/* stream-lib's Varint: LEB128 of the int's 32 bits. */
static void leb128(hl_buf *out, uint32_t v)
{
	while (v & ~0x7Fu) {
		hl_buf_u8(out, (uint8_t)((v & 0x7F) | 0x80));
		v >>= 7;
	}
	hl_buf_u8(out, (uint8_t)v);
}

void sst_hll_serialize(sst_hll *h, hl_buf *out)
{
	hl_buf_u32(out, (uint32_t)-2);   /* -VERSION */
	leb128(out, HLL_P);
	leb128(out, HLL_SP);
	if (h->regs) {
		leb128(out, 0);
		leb128(out, HLL_WORDS * 4);
		for (int i = 0; i < HLL_WORDS; i++)
			hl_buf_u32(out, (uint32_t)h->regs[i]);
		return;
	}
	leb128(out, 1);
	hll_merge_tmp(h);
	leb128(out, (uint32_t)h->nsparse);
	{
		int32_t prev = 0;

		for (int i = 0; i < h->nsparse; i++) {
			leb128(out, (uint32_t)h->sparse[i] - (uint32_t)prev);
			prev = h->sparse[i];
		}
	}
}

/* ------------------------------------------------------------ histograms */

/* EstimatedHistogram offsets 1, 2, 3, ..., each round(prev * 1.2), at least +1. */
void sst_ehist_offsets(int64_t *off, int n)
{
	int64_t last = 1;

	off[0] = 1;
	for (int i = 1; i < n; i++) {
		int64_t next = (int64_t)floor((double)last * 1.2 + 0.5);

		if (next == last)
			next++;
		off[i] = next;
		last = next;
	}
}

/* Bucket of value v: the first offset >= v; past the last, the overflow bucket. */
int sst_ehist_bucket(const int64_t *off, int n, int64_t v)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (off[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Tombstone drop times: points rounded up to a multiple of 60 s (with
 * Java's remainder sign, as Cassandra), at most SST_TOMB_BINS bins. Exact
 * while there are few distinct points; beyond that the two closest bins
 * are merged into their weighted mean (Ben-Haim & Tom-Tov), which is what
 * a streaming histogram promises, not Cassandra's exact spool behaviour.
 */
void sst_tomb_add(sst_tomb_bin *bins, int *n, int64_t point)
{
	int64_t delta = point % 60;
	int lo = 0, hi = *n;

	if (delta != 0)
		point = point + 60 - delta;
	if (point > INT32_MAX)
		point = INT32_MAX;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (bins[mid].point < point)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < *n && bins[lo].point == point) {
		bins[lo].count++;
		return;
	}
	memmove(&bins[lo + 1], &bins[lo], (size_t)(*n - lo) * sizeof(*bins));
	bins[lo].point = point;
	bins[lo].count = 1;
	(*n)++;
	if (*n > SST_TOMB_BINS) {
		int best = 0;

		for (int i = 1; i + 1 < *n; i++)
			if (bins[i + 1].point - bins[i].point < bins[best + 1].point - bins[best].point)
				best = i;
		{
			sst_tomb_bin *a = &bins[best], *b = &bins[best + 1];
			int64_t c = a->count + b->count;

			a->point = (int64_t)(((double)a->point * (double)a->count +
					      (double)b->point * (double)b->count) / (double)c);
			a->count = c;
			memmove(b, b + 1, (size_t)(*n - best - 2) * sizeof(*bins));
			(*n)--;
		}
	}
}

/* ------------------------------------------------------------ bloom filter */

static double bloom_fp(int buckets, int k)
{
	return pow(1.0 - exp(-(double)k / buckets), k);
}

static int bloom_opt_k(int buckets)
{
	int best = 1;

	for (int k = 2; k <= 20; k++)
		if (bloom_fp(buckets, k) < bloom_fp(buckets, best))
			best = k;
	return best;
}

/*
 * Cassandra's BloomCalculations choice, recomputed from the false positive
 * formula (1 - e^(-k/b))^k instead of its precomputed table: the smallest
 * buckets-per-key b (2..20) whose best k meets p, then the smallest k that
 * still meets p. p = 0.01 gives b = 10, k = 5 as in every fixture.
 */
void sst_bloom_spec(double p, int *buckets, int *hashes)
{
	int b = 2, k;

	if (p >= bloom_fp(2, 1)) {
		*buckets = 2;
		*hashes = bloom_opt_k(2);
		return;
	}
	k = bloom_opt_k(b);
	while (bloom_fp(b, k) > p && b < 20) {
		b++;
		k = bloom_opt_k(b);
	}
	while (k > 1 && bloom_fp(b, k - 1) <= p)
		k--;
	*buckets = b;
	*hashes = k;
}
