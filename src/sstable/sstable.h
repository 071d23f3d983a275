/*
 * sstable: reader for Apache Cassandra's "big" SSTable format, versions
 * ma, mb, mc, md, me (3.0/3.11), na, nb (4.x) and oa (5.0), and a writer
 * for version nb (what Cassandra 4.0/4.1 write and 5.0 writes by default,
 * so all three read our files). BTI ("da") is not supported. The byte
 * layout is described in shared/docs/sstable-format.md; this module
 * follows it. The writer is documented with its API below.
 *
 * A reader opens one sstable (the component files <dir>/<base>-<Component>,
 * e.g. base "nb-1-big"), decodes its metadata (TOC.txt, Statistics.db,
 * CompressionInfo.db, Filter.db, Summary.db, Index.db) and hands out
 * partitions as st_mutations: in sstable order (sst_next_partition), from
 * any position found through the index (sst_seek, sst_peek_partition), by
 * key (sst_get_partition, through a per-reader key cache), or the part of
 * a partition inside clustering slices (sst_get_partition_slice, which
 * reads only the promoted-index blocks it needs). The files are untrusted:
 * every malformed byte is an HL_ERR_SERVER error naming the file and
 * offset.
 *
 * Memory: Index.db, Summary.db and Filter.db are held in memory while the
 * reader is open, plus the key cache (sst_opts.key_cache_size entries of
 * ~32 bytes) and, for Murmur3 files, a (token, offset) sample of every
 * 16th Index.db entry for point lookups (~1 byte per partition); Data.db is read chunk by chunk (one decompressed chunk
 * cached; point lookups in an uncompressed file pread just the
 * partition's bytes, without the CRC.db check) and each partition's bytes (for slice reads, the header and the
 * blocks read) are assembled in one heap buffer, so the largest partition
 * bounds the transient memory.
 *
 * Threads: a reader is used by one thread at a time; lookups update its
 * key cache and counters.
 *
 * Simplifications (documented, deliberate):
 *  - Counter cells: the counter context is summed over its shards and
 *    returned as an 8-byte bigint value (the total), the form the storage
 *    engine keeps for counter columns. Shard ids and clocks are dropped.
 *  - Shadowable row deletions (deprecated since 4.0) are read as regular
 *    row deletions.
 *  - A null clustering value in a row (only COMPACT STORAGE tables with a
 *    partial clustering write that) becomes an empty value.
 *  - Local expiration times that overflowed to negative int32 in pre-oa
 *    files (CASSANDRA-14092, TTLs reaching past 2038) are read back as the
 *    unsigned value they were meant to be; negative tombstone deletion
 *    times are kept as written.
 *  - Range tombstone markers are paired into st_mut_range_tombstone calls;
 *    an unpaired marker is reported as corruption.
 *  - Mutation tokens are always Murmur3 (hl_token) of the key, whatever the
 *    file's partitioner, because that is the storage engine's order.
 *
 * Prefix: sst_.
 */
#ifndef HL_SSTABLE_H
#define HL_SSTABLE_H

#include "core/core.h"
#include "types/types.h"
#include "storage/storage.h"

typedef struct sst_reader sst_reader;

/* ------------------------------------------------------------ schema */

/*
 * How the caller's table maps the sstable's columns. A column is matched by
 * name (UTF-8 bytes) and static-ness. `type` may be NULL (accept what the
 * file says); otherwise the file's type must have the same kind and
 * multi-cell-ness, or sst_open fails.
 */
typedef struct sst_column {
	const char *name;
	int index;               /* storage column index (st_cell.col) */
	bool is_static;
	const ty_type *type;
} sst_column;

typedef struct sst_schema {
	int ncols;
	const sst_column *cols;
	/* Clustering columns: count, and optionally types/orders to check
	 * against the file (NULL: not checked). nclust < 0: not checked. */
	int nclust;
	const st_clust_col *clust;
	/* A column in the file that the schema does not list: skip its cells
	 * (true) or fail sst_open (false). */
	bool skip_unknown;
} sst_schema;

/* Options for sst_open; a NULL pointer means all defaults (false / 0). */
typedef struct sst_opts {
	/* Accept ByteOrderedPartitioner files (Cassandra's own test fixtures).
	 * Anything but Murmur3Partitioner is rejected otherwise. */
	bool allow_byte_ordered;
	/* Do not check per-chunk CRCs (CompressionInfo chunks, CRC.db) while
	 * reading Data.db. Checking is the default, as Cassandra's
	 * crc_check_chance = 1.0; point lookups (sst_get_partition*) of an
	 * uncompressed file never check CRC.db, as Cassandra's read path. */
	bool skip_chunk_crc;
	/* Key cache entries (partition key -> its Index.db entry) for point
	 * lookups: 0 means SST_KEY_CACHE_DEFAULT, < 0 no cache. */
	int key_cache_size;
} sst_opts;

#define SST_KEY_CACHE_DEFAULT 1024

/* ------------------------------------------------------------ metadata */

/* A column as listed in the sstable's SerializationHeader. */
typedef struct sst_hdr_col {
	const char *name;        /* NUL-terminated copy of the name bytes */
	size_t name_len;
	const char *type_str;    /* the Cassandra marshal type string */
	const ty_type *type;     /* converted descriptor */
	bool complex;            /* non-frozen collection / UDT */
	bool is_static;
	int index;               /* storage index it maps to; -1: skipped */
} sst_hdr_col;

typedef enum sst_partitioner {
	SST_MURMUR3 = 0,
	SST_BYTE_ORDERED = 1,
} sst_partitioner;

/* What sst_info returns. Everything points into the reader. */
typedef struct sst_meta {
	char version[3];                 /* "nb" */
	sst_partitioner partitioner;
	const char *partitioner_class;
	double bloom_fp_chance;
	/* StatsMetadata */
	int64_t min_ts, max_ts;
	int64_t min_ldt, max_ldt;        /* as stored (nb: INT32_MAX = none) */
	int32_t min_ttl, max_ttl;
	double compression_ratio;
	int32_t sstable_level;
	int64_t repaired_at;
	int64_t total_columns_set, total_rows;
	bool has_host_id;
	hl_uuid host_id;                 /* me, nb, oa: originating host */
	/* SerializationHeader */
	int64_t enc_min_ts, enc_min_ldt;
	int32_t enc_min_ttl;
	const char *key_type_str;
	const ty_type *key_type;
	int nclust;
	const char **clust_type_strs;
	const st_clust_col *clust;       /* types and ASC/DESC */
	int nstatic, nregular;
	const sst_hdr_col *statics;      /* header order (simple then complex, by name) */
	const sst_hdr_col *regulars;
	/* CompressionInfo.db ("" when uncompressed) */
	const char *compressor;
	uint32_t chunk_length;
	uint64_t data_length;            /* uncompressed Data.db length */
	/* Summary.db / Filter.db presence */
	bool has_summary, has_filter, has_digest, has_crc;
	/* Index.db totals, computed at open */
	int64_t index_entries;
	int64_t promoted_blocks;         /* IndexInfo blocks over all entries */
	/* The first and last partition (from Index.db, so present with or
	 * without Summary.db); has_keys is false for an empty sstable. Tokens
	 * are hl_token of the keys: Murmur3 order. (ByteOrdered files are
	 * ordered by key bytes; their tokens say nothing about the order.) */
	bool has_keys;
	const uint8_t *first_key, *last_key;
	size_t first_keylen, last_keylen;
	int64_t first_token, last_token;
	/* Clustering bounds from StatsMetadata, values as stored (pointing into
	 * the reader; {NULL, 0} is a null component):
	 *  - before oa: per-component min and max clustering values, possibly
	 *    a prefix. Exact bounds only from md on (clust_bounds_exact);
	 *    ma..mc computed them per column, so they may not be a real row.
	 *  - oa: the covered Slice, start and end bound (min/max_clust_incl).
	 * Readers use them only as hints (nothing in the reader relies on them). */
	int nmin_clust, nmax_clust;
	const st_bytes *min_clust, *max_clust;
	bool min_clust_incl, max_clust_incl;
	bool clust_bounds_exact;
} sst_meta;

const sst_meta *sst_info(const sst_reader *r);

/* ------------------------------------------------------------ reader */

/*
 * Open <dir>/<base>-*.  schema NULL maps every column by header position:
 * static column i -> index i, regular column j -> nstatic + j (useful for
 * tools and tests that build the table from sst_info). opts may be NULL.
 */
int sst_open(const char *dir, const char *base, const sst_schema *schema, const sst_opts *opts,
	     sst_reader **out, hl_err *err);
void sst_close(sst_reader *r);

/*
 * The next partition in sstable order (partitioner order), built in arena a.
 * Returns 1 with *out set, 0 at the end, -1 on error (corrupt data,
 * partitions out of order, index and data disagreeing).
 */
int sst_next_partition(sst_reader *r, hl_arena *a, st_mutation **out, hl_err *err);
/* Restart sst_next_partition from the first partition. */
void sst_rewind(sst_reader *r);

/*
 * Point lookup: bloom filter, then Summary.db (or the whole Index.db when
 * there is no summary), then Index.db, then Data.db. token is hl_token(key)
 * (ignored for ByteOrdered files). Returns 1 found, 0 absent, -1 error.
 */
int sst_get_partition(sst_reader *r, const void *key, size_t keylen, int64_t token, hl_arena *a,
		      st_mutation **out, hl_err *err);

/* Bloom filter membership: false only if the key is certainly absent
 * (always true when the sstable has no Filter.db). */
bool sst_may_contain(const sst_reader *r, const void *key, size_t keylen);

/*
 * Position sst_next_partition at the first partition at or after (token,
 * key) (inclusive) or strictly after it (!inclusive), without reading
 * Data.db: a binary search of Summary.db (or, without one, of a sample
 * taken from Index.db at open) and a scan of one summary interval of
 * Index.db. key NULL positions by token alone: the first partition whose
 * token is >= token (inclusive) or > token. ByteOrdered files compare by
 * key only (key NULL: the first partition). Returns 0, -1 on error.
 */
int sst_seek(sst_reader *r, int64_t token, const void *key, size_t keylen, bool inclusive,
	     hl_err *err);

/*
 * The partition sst_next_partition would return next, from Index.db only
 * (no Data.db read): *token (hl_token of the key) and *key, which points
 * into the reader and stays valid until sst_close. Returns 1, 0 at the
 * end, -1 on error. sst_skip_partition steps over it without decoding.
 */
int sst_peek_partition(sst_reader *r, int64_t *token, const uint8_t **key, size_t *keylen,
		       hl_err *err);
int sst_skip_partition(sst_reader *r, hl_err *err);

/*
 * Point lookup of part of a partition: the partition deletion, the static
 * row, the rows inside the clustering slices (sorted, non-overlapping, in
 * clustering order, as st_read_cmd's; nslices 0 selects no rows) and the
 * range tombstones clipped to them. For a partition with a promoted index
 * (IndexInfo blocks) only the header and the blocks that can intersect a
 * slice are read and decoded; a range tombstone open at a block start
 * comes from the previous block's IndexInfo. The result equals
 * sst_get_partition's restricted to the slices: the same rows, and each
 * range tombstone intersected with each slice (pieces that are empty are
 * dropped). Returns 1 found, 0 absent, -1 error.
 */
int sst_get_partition_slice(sst_reader *r, const void *key, size_t keylen, int64_t token,
			    int nslices, const st_slice *slices, hl_arena *a, st_mutation **out,
			    hl_err *err);

/* Read-path counters since sst_open (for tablestats / metrics and tests). */
typedef struct sst_read_stats {
	int64_t key_cache_hits;          /* lookups answered by the key cache */
	int64_t key_cache_misses;        /* lookups that searched Index.db */
	int key_cache_entries, key_cache_capacity;
	int64_t seeks;                   /* sst_seek calls */
	int64_t index_scanned;           /* Index.db entries compared by seeks / lookups */
	int64_t partitions_decoded;      /* whole or partial partitions decoded */
	int64_t blocks_read;             /* IndexInfo blocks decoded by slice reads */
	int64_t blocks_skipped;          /* ... and not read, thanks to the index */
} sst_read_stats;
void sst_get_read_stats(const sst_reader *r, sst_read_stats *out);

/* Decoding counters since open / rewind (for tools and tests). */
typedef struct sst_counts {
	int64_t partitions, rows, statics, rt_markers, cells;
} sst_counts;
void sst_get_counts(const sst_reader *r, sst_counts *out);

/*
 * Integrity: CRC32 of the whole Data.db against Digest.crc32, and every
 * chunk CRC (compressed chunks, or CRC.db for uncompressed files). Returns
 * 0 when everything present matches, -1 with the first mismatch in err.
 */
int sst_verify(sst_reader *r, hl_err *err);
int sst_verify_digest(sst_reader *r, hl_err *err);

/* Convert a Cassandra marshal class string ("org.apache.cassandra.db.marshal.
 * MapType(...)") to a descriptor. *reversed is set for ReversedType(X). */
int sst_parse_marshal(const char *s, size_t n, hl_arena *a, const ty_type **out, bool *reversed,
		      hl_err *err);

/* ------------------------------------------------------------ writer */

/*
 * sst_writer: writes one nb sstable, <dir>/nb-<generation>-big-<Component>:
 * Data.db (LZ4 16 KiB chunks by default; Snappy, Deflate, Zstd, or none
 * with CRC.db), Index.db with promoted row indexes for partitions longer
 * than column_index_size, Summary.db, Filter.db, CompressionInfo.db,
 * Statistics.db (VALIDATION, COMPACTION with the HyperLogLog++ key
 * estimator, STATS, HEADER), Digest.crc32 and TOC.txt.
 *
 * Crash safety: every component is written under "<final name>.tmp" and
 * only renamed into place by sst_writer_finish, after being fsynced, with
 * TOC.txt renamed last; an sstable without TOC.txt is incomplete (the
 * storage loader ignores it). On any error (or sst_writer_abort) every
 * file the writer created, temporary or already renamed, is removed.
 *
 * Partitions are appended whole, in strictly increasing (token, key) order
 * (Murmur3: token = hl_token(key)); each st_mutation must hold the
 * partition's complete data for this sstable. What is written from it:
 *  - the partition deletion, the static row (always present when the
 *    schema has static columns, as Cassandra does), the rows in clustering
 *    order (rows with nothing in them are skipped; two rows with the same
 *    clustering are an error), row markers with TTL, row deletions, cells
 *    (live, expiring, tombstones), complex (collection / UDT) cells sorted
 *    by path and complex deletions;
 *  - range tombstones, which may overlap and come in any order: they are
 *    normalized as Cassandra's RangeTombstoneList does (where two overlap,
 *    the superseding deletion wins) and written as range tombstone markers
 *    interleaved with the rows; a tombstone ending where another starts
 *    becomes one boundary marker;
 *  - counter cells (8-byte totals in the storage engine) as a counter
 *    context with one global shard: counter id = opts host_id, logical
 *    clock = the cell timestamp, count = the total. A counter value that is
 *    not 8 bytes is taken to be a serialized context already.
 *
 * Limits of nb: local deletion / expiration times are int32. An expiration
 * time past 2038-01-19 is capped at INT32_MAX - 1 (Cassandra's CAP policy);
 * tombstone deletion times are written modulo 2^32 as Cassandra does.
 */
typedef struct sst_writer sst_writer;

/* A regular or static column. Complex (one cell per element) iff the type
 * is multi-cell (ty_is_multicell). */
typedef struct sst_write_col {
	const char *name;        /* UTF-8 column name */
	int index;               /* st_cell.col / st_complex_del.col of its data */
	bool is_static;
	const ty_type *type;
} sst_write_col;

typedef struct sst_write_schema {
	/* Partition key: 1 type, or the components of a composite key (the
	 * key bytes are then Cassandra's CompositeType encoding). */
	int nkey;
	const ty_type *const *key_types;
	int nclust;
	const st_clust_col *clust;       /* types, reversed = DESC */
	/* Columns in any order (the file orders them as Cassandra does:
	 * simple before complex, each by name bytes). Data for a column index
	 * not listed here is an error. */
	int ncols;
	const sst_write_col *cols;
} sst_write_schema;

typedef enum sst_compressor {
	SST_COMPRESS_LZ4 = 0,     /* default */
	SST_COMPRESS_NONE,        /* CRC.db instead of CompressionInfo.db */
	SST_COMPRESS_SNAPPY,
	SST_COMPRESS_DEFLATE,
	SST_COMPRESS_ZSTD,
} sst_compressor;

/*
 * The delta-encoding bases of Data.db (Cassandra's EncodingStats, recorded
 * in the SerializationHeader). Any values give a valid file; the true
 * minima of the data give the smallest one (and what Cassandra writes).
 * Fill with sst_enc_stats_init + sst_enc_stats_add over the partitions
 * before opening the writer; unset fields fall back to Cassandra's epochs.
 */
typedef struct sst_enc_stats {
	bool has_ts, has_ldt, has_ttl;
	int64_t min_ts;
	int64_t min_ldt;
	int32_t min_ttl;
} sst_enc_stats;

void sst_enc_stats_init(sst_enc_stats *s);
/* Fold one partition in, as Cassandra's EncodingStats.Collector does. */
void sst_enc_stats_add(sst_enc_stats *s, const st_mutation *m);

/* Writer options; NULL or zeroed fields mean Cassandra's defaults. */
typedef struct sst_write_opts {
	sst_compressor compressor;
	uint32_t chunk_length;           /* 0: 16 KiB; a power of two >= 1 KiB */
	int zstd_level;                  /* 0: 3 */
	double bloom_fp_chance;          /* 0: 0.01; >= 1.0: no Filter.db */
	uint32_t column_index_size;      /* 0: 4 KiB; bytes per promoted-index block */
	int32_t min_index_interval;      /* 0: 128 (Summary.db samples every n-th key) */
	int32_t max_index_interval;      /* 0: 2048; only checked: summaries are
					  * always written at full sampling */
	const sst_enc_stats *enc;        /* NULL: epochs (valid, larger vints) */
	bool has_host_id;                /* originating host (Statistics, counter ids) */
	hl_uuid host_id;
	int64_t repaired_at;             /* 0: unrepaired */
	int32_t sstable_level;           /* LCS level, 0 */
	bool no_sync;                    /* skip fsync (tests, bulk tools) */
} sst_write_opts;

/*
 * Start <dir>/nb-<generation>-big-*. Fails if the directory is not
 * writable, the schema is invalid, or an sstable of that generation
 * already exists there (TOC.txt or Data.db present).
 */
int sst_writer_open(const char *dir, int64_t generation, const sst_write_schema *schema,
		    const sst_write_opts *opts, sst_writer **out, hl_err *err);
/* Append one partition. On error the writer is unusable: call abort. */
int sst_writer_add(sst_writer *w, const st_mutation *partition, hl_err *err);
/* Write the remaining components and publish the sstable (TOC.txt last).
 * At least one partition must have been added. Frees the writer in every
 * case; on error nothing of the sstable is left behind. */
int sst_writer_finish(sst_writer *w, hl_err *err);
/* Drop everything written so far and free the writer (NULL is a no-op). */
void sst_writer_abort(sst_writer *w);
/* Bytes appended to the (uncompressed) Data.db so far, and partitions. */
uint64_t sst_writer_data_size(const sst_writer *w);
int64_t sst_writer_partitions(const sst_writer *w);

/* The Cassandra marshal class string of a type (the inverse of
 * sst_parse_marshal), ReversedType(...) around it when reversed. */
void sst_format_marshal(const ty_type *t, bool reversed, hl_buf *out);

/* Fixed on-disk width of a clustering or simple value of type t, or -1
 * when it is length-prefixed (the tools decode raw Data.db with it too). */
int sst_fixed_width(const ty_type *t);

#endif
