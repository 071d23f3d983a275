/*
 * sstable/sst_int.h: private to the sstable module. The reader struct, the
 * per-column decoding info and the helpers shared by the metadata,
 * Data.db chunk and partition decoders.
 */
#ifndef HL_SST_INT_H
#define HL_SST_INT_H

#include "sstable/sstable.h"

/* Largest chunk accepted (Cassandra's practical maximum is far lower). */
#define SST_MAX_CHUNK (64 << 20)

enum { SST_COMP_NONE, SST_COMP_LZ4, SST_COMP_SNAPPY, SST_COMP_DEFLATE, SST_COMP_ZSTD };

/* How one header column's values are decoded and where they go. */
typedef struct sst_coldec {
	const ty_type *type;     /* the file's type */
	int fixed;               /* fixed on-disk width of a simple value, -1: vint length */
	bool complex;
	bool counter;
	int index;               /* storage column, -1: skip */
	const char *name;
} sst_coldec;

/* One key cache entry: a partition's Index.db entry. The key itself is
 * not stored: a hit is confirmed against the key bytes of the entry. */
typedef struct sst_kc_slot {
	uint64_t h1, h2;         /* the key's Murmur3 halves */
	size_t off;              /* Index.db offset of the entry */
	bool ref;                /* used since the clock hand last passed */
} sst_kc_slot;

/* One sampled key of Summary.db. */
typedef struct sst_sum_entry {
	const uint8_t *key;
	uint32_t keylen;
	int64_t token;
	uint64_t index_pos;
} sst_sum_entry;

struct sst_reader {
	hl_arena *arena;         /* metadata: lives as long as the reader */
	char *prefix;            /* "<dir>/<base>-" */
	sst_meta meta;
	sst_opts opts;

	/* version features, from the two version letters */
	bool v_mb, v_mc, v_na, v_oa, v_host_id;

	/* Data.db */
	int data_fd;
	uint64_t data_file_len;
	int comp;
	uint32_t chunk_len;      /* compressed: CompressionInfo; else CRC.db or 64 KiB */
	uint32_t max_comp_len;   /* na+: a chunk this long or longer is stored raw */
	uint64_t nchunks;
	uint64_t *chunk_off;     /* compressed chunk file offsets */
	uint32_t *crcs;          /* CRC.db, uncompressed only (NULL: none) */
	uint64_t ncrcs;
	int64_t cached_chunk;    /* -1: none */
	uint8_t *cbuf;           /* the cached decompressed chunk */
	size_t cbuf_len;
	uint8_t *rawbuf;         /* compressed bytes of the chunk being loaded */
	size_t rawbuf_cap;

	/* Index.db, whole file */
	uint8_t *index;
	size_t index_len;

	/* Summary.db, checked against Index.db at open (every sample is an
	 * entry with that key); without Summary.db, every SST_SAMPLE_EVERY-th
	 * Index.db entry, so seeks work the same either way. */
	int64_t nsum;
	sst_sum_entry *sum;
	/* every promoted index carries its IndexInfo offsets table */
	bool pidx_offsets;
	/* Murmur3 files: every SST_FINE_EVERY-th Index.db entry's token and
	 * offset, taken by the open-time pass, so that a point lookup scans
	 * at most that many entries instead of a summary interval (128) */
	int64_t nfine;
	struct sst_fine { int64_t token; uint64_t off; } *fine;

	/* key cache: kc_cap entries replaced by CLOCK, found through an
	 * open-addressing table of kc_mask + 1 >= 2 * kc_cap (a power of two)
	 * entry numbers + 1 (0: free), linear probing from h1. kc_cap 0:
	 * disabled; kc NULL: nothing cached yet (allocated on first use) */
	sst_kc_slot *kc;
	uint32_t *kc_tab;
	uint32_t kc_mask;
	int kc_cap, kc_entries, kc_hand;
	hl_arena *scratch;       /* slice reads: IndexInfo names, reset per read */
	sst_read_stats stats;

	/* Filter.db, bits in memory order (bit x = bit x&7 of byte x>>3) */
	uint32_t bf_hashes;
	uint64_t bf_bits;        /* number of bits, 64 * words */
	uint8_t *bf;

	/* decoding */
	sst_coldec *sdec, *rdec; /* statics, regulars in header order */
	int nclust;
	const ty_type **clust_types;
	int *clust_fixed;

	/* iteration */
	size_t ipos;             /* next entry in index */
	bool have_prev;
	hl_buf prev_key;
	int64_t prev_token;
	hl_buf pbuf;             /* bytes of the partition being decoded */
	sst_counts counts;
};

/* HL_ERR_SERVER "sstable <prefix><comp>: <msg> at offset <off>"; returns -1. */
int sst_corrupt(const sst_reader *r, hl_err *err, const char *comp, uint64_t off, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

/* Whole-file helpers: read <prefix><comp> into a heap buffer (NULL, 0 and
 * return 0 when absent and !required). */
int sst_read_file(const sst_reader *r, const char *comp, bool required, uint8_t **out,
		  size_t *len, bool *present, hl_err *err);

/* metadata (sst_meta.c) */
int sst_load_statistics(sst_reader *r, const sst_schema *schema, hl_err *err);
int sst_load_compression(sst_reader *r, hl_err *err);
int sst_load_crc(sst_reader *r, hl_err *err);
int sst_load_filter(sst_reader *r, hl_err *err);
int sst_load_summary(sst_reader *r, hl_err *err);
/* Read a fixed-context DeletionTime (partition header, promoted index). */
int sst_read_deltime(const sst_reader *r, hl_rd *rd, st_deletion *out, bool *live);
/* Read ClusteringValues for n columns (header blocks). null_ok: nulls
 * allowed (else an error); nulls come back as {NULL, 0}. */
int sst_read_clustering(const sst_reader *r, hl_rd *rd, int n, st_bytes *out, bool *had_null);
int sst_read_value(hl_rd *rd, int fixed, st_bytes *out);

/* Data.db (sst_data.c) */
int sst_data_read(sst_reader *r, uint64_t off, size_t len, hl_buf *out, hl_err *err);
/* The same for point reads: an uncompressed file is read with one pread of
 * exactly those bytes and no CRC.db check (compressed: sst_data_read). */
int sst_data_read_point(sst_reader *r, uint64_t off, size_t len, hl_buf *out, hl_err *err);
int sst_data_verify_chunks(sst_reader *r, hl_err *err);

/* partitions (sst_part.c) */
int sst_decode_partition(sst_reader *r, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
			 st_mutation **out, hl_err *err);
/* The whole partition (no promoted index), keeping only what the slices
 * select (rows inside, range tombstones clipped to them). */
int sst_decode_partition_sliced(sst_reader *r, const uint8_t *p, size_t len, uint64_t base,
				int nslices, const st_slice *slices, hl_arena *a, st_mutation **out,
				hl_err *err);
/* The header of a partition with a promoted index: key, deletion and the
 * static row, exactly len (the entry's header length) bytes. */
int sst_decode_head(sst_reader *r, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
		    st_mutation **out, hl_err *err);
/*
 * A run of whole IndexInfo blocks p[0..len) (Data.db offset base) into m,
 * keeping what slices[0..nslices) select. open: the range tombstone open
 * at the run start (from the previous block's IndexInfo), NULL if none.
 * last: the run ends the partition (it must hold the end marker); else a
 * tombstone still open at its end is cut there, which is exact because
 * every slice of the run ends before the next block.
 */
int sst_decode_run(sst_reader *r, st_mutation *m, const uint8_t *p, size_t len, uint64_t base,
		   const st_deletion *open, bool last, int nslices, const st_slice *slices,
		   hl_arena *a, hl_err *err);

/* Clustering order of the file (its types, ReversedType = DESC), as the
 * storage engine's comparators (storage/compare.c) define it. */
int sst_cmp_values(const sst_reader *r, const st_bytes *a, const st_bytes *b, int n);
/* Row vs bound: never 0 (a bound sits between rows). */
int sst_cmp_row_bound(const sst_reader *r, const st_bytes *row, const st_bound *b, bool is_end);
int sst_cmp_bounds(const sst_reader *r, const st_bound *a, bool a_end, const st_bound *b,
		   bool b_end);

/* Index.db (sst_reader.c): one entry, and the search the lookups share. */
typedef struct sst_ientry {
	const uint8_t *key;
	size_t keylen;
	uint64_t pos;            /* Data.db offset */
	uint64_t end;            /* Data.db end of the partition (next entry / EOF) */
	const uint8_t *pidx;     /* promoted index bytes (NULL, 0: none) */
	size_t pidx_len;
	size_t off;              /* Index.db offset of the entry */
} sst_ientry;
/* Find key: bloom filter, key cache, Summary.db, Index.db. 1 found (*e
 * filled), 0 absent, -1 error. */
int sst_lookup(sst_reader *r, const void *key, size_t keylen, int64_t token, sst_ientry *e,
	       hl_err *err);

/* ------------------------------------------------------------ writer helpers (sst_wmeta.c) */

#define SST_PSIZE_OFFSETS 150   /* partition size histogram (4.0) */
#define SST_CELLS_OFFSETS 118   /* cells per partition histogram */
#define SST_TOMB_BINS 100

/* nb int32 local deletion time of a tombstone / of an expiration. */
int32_t sst_w_ldt32(int64_t ldt);
int32_t sst_w_exp32(int64_t exp);

/* Cassandra's MurmurHash.hash2_64, seed 0 (HyperLogLog input). */
uint64_t sst_hash2_64(const void *key, size_t len);

/* HyperLogLog++ (p 13, sp 25) as stream-lib 2.5.2 builds and serializes it. */
typedef struct sst_hll {
	int32_t *tmp;
	int ntmp;
	int32_t *sparse;
	int nsparse;
	int32_t *regs;           /* normal form; NULL while sparse */
} sst_hll;
void sst_hll_init(sst_hll *h);
void sst_hll_free(sst_hll *h);
void sst_hll_offer(sst_hll *h, const void *key, size_t len);
void sst_hll_serialize(sst_hll *h, hl_buf *out);

void sst_ehist_offsets(int64_t *off, int n);
int sst_ehist_bucket(const int64_t *off, int n, int64_t v);

typedef struct sst_tomb_bin {
	int64_t point;
	int64_t count;
} sst_tomb_bin;
/* bins holds SST_TOMB_BINS + 1 entries. */
void sst_tomb_add(sst_tomb_bin *bins, int *n, int64_t point);

void sst_bloom_spec(double p, int *buckets, int *hashes);

#endif
