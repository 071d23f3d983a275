/*
 * tools/sst_tool_int.h: private to the `helenus sstable` subcommands
 * (sst_tool*.c). Locating an sstable from a component path, the tool's own
 * readers for what the sstable module does not expose (raw Data.db bytes
 * and the positions of unfiltereds, Index.db entries with their promoted
 * indexes, Summary.db, every Statistics.db field), and the value / time
 * formatting shared by dump, metadata, index and summary.
 */
#ifndef HL_SST_TOOL_INT_H
#define HL_SST_TOOL_INT_H

#include "core/core.h"
#include "sstable/sstable.h"
#include "types/types.h"

#include <stdio.h>

/* ------------------------------------------------------------ locating */

/* "<dir>/<base>-<Component>" split from a component path. */
typedef struct sstt_path {
	char dir[4096];
	char base[256];          /* "nb-1-big" */
	char prefix[4400];       /* "<dir>/<base>-" */
	char version[3];
} sstt_path;

/* 0, or -1 with a message in err (not a "<v>-<gen>-big-<Component>" name). */
int sstt_split_path(const char *path, sstt_path *out, hl_err *err);

/* Open with the options the tools use (any partitioner the reader knows,
 * ByteOrdered included). */
int sstt_open(const sstt_path *p, bool skip_chunk_crc, sst_reader **out, hl_err *err);

/* ------------------------------------------------------------ Statistics.db */

typedef struct sstt_hist {
	int n;                   /* buckets (offsets + 1) */
	int64_t *offsets;        /* n entries as stored (pair i: offsets[max(i-1,0)]) */
	int64_t *counts;
} sstt_hist;

typedef struct sstt_tbin {
	int64_t point;
	int64_t count;
} sstt_tbin;

typedef struct sstt_stats {
	bool v_mb, v_mc, v_na, v_oa, v_host_id;
	/* VALIDATION */
	bool has_validation;
	char *partitioner;
	double fp_chance;
	/* STATS */
	bool has_stats;
	sstt_hist psize, ccount;
	int64_t cl_upper_seg;
	int32_t cl_upper_pos;
	int64_t min_ts, max_ts;
	int64_t min_ldt, max_ldt;
	int32_t min_ttl, max_ttl;
	double compression_ratio;
	int32_t tomb_max_bins;
	int ntomb;
	sstt_tbin *tomb;
	int32_t level;
	int64_t repaired_at;
	int nmin_clust, nmax_clust;  /* nb and older: value lists */
	st_bytes *min_clust, *max_clust;
	bool oa_slice;               /* oa: covered slice instead */
	int oa_start_kind, oa_end_kind;
	bool legacy_counter_shards;
	int64_t total_columns, total_rows;
	bool has_cl_lower;
	int64_t cl_lower_seg;
	int32_t cl_lower_pos;
	int nintervals;
	int64_t *iv;                 /* 4 per interval: seg, pos, seg, pos */
	bool has_pending, pending_set;
	hl_uuid pending;
	bool has_transient, is_transient;
	bool has_host_field, host_set;
	hl_uuid host;
	bool has_pld, pld;           /* oa: hasPartitionLevelDeletions */
	st_bytes first_key, last_key;/* oa */
	bool has_keys;
	bool has_coverage;
	double coverage;
	/* COMPACTION */
	bool has_compaction;
	int64_t hll_bytes;
	/* HEADER */
	bool has_header;
	int64_t enc_min_ts, enc_min_ldt;
	int32_t enc_min_ttl;
	char *key_type;
	int nclust;
	char **clust_types;
	int nstatic, nregular;
	char **static_names, **static_types;
	char **regular_names, **regular_types;
} sstt_stats;

/* Parse <prefix>Statistics.db into st (allocated in a). */
int sstt_read_stats(const sstt_path *p, hl_arena *a, sstt_stats *st, hl_err *err);

/* ------------------------------------------------------------ types */

/* The decoded key type: one type, or the components of a CompositeType. */
typedef struct sstt_keytype {
	int n;
	const ty_type **types;
	bool composite;
} sstt_keytype;

int sstt_key_type(const char *marshal, hl_arena *a, sstt_keytype *out, hl_err *err);
/* Key bytes as sstabledump prints them in "key": [...] (one string per
 * component, AbstractType.getString); appended as JSON strings joined with
 * ", " when json, else joined with ':'. */
void sstt_key_strings(const sstt_keytype *kt, const uint8_t *k, size_t n, int json, hl_buf *out);
/* A key given on the command line (CQL literal or plain text; composite
 * components separated by ':') to key bytes. */
int sstt_parse_key(const sstt_keytype *kt, const char *s, hl_buf *out, hl_err *err);
/* AbstractType.getString of a value (text unquoted, blob as bare hex). */
void sstt_value_string(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out);

/* ------------------------------------------------------------ formatting */

/* java.time.Instant.toString of a time in micros (unit 1000000) or seconds (unit 1). */
void sstt_instant(int64_t t, int64_t per_second, hl_buf *out);
/* MM/dd/yyyy HH:mm:ss (UTC) of seconds since the epoch. */
void sstt_date(int64_t secs, hl_buf *out);
void sstt_hex(const uint8_t *p, size_t n, hl_buf *out);

/* ------------------------------------------------------------ raw Data.db */

typedef struct sstt_data {
	int fd;
	uint64_t file_len;
	int comp;                /* SSTT_C_* */
	char compressor[128];
	uint32_t chunk_len;
	uint32_t max_comp_len;
	uint64_t data_len;       /* uncompressed */
	uint64_t nchunks;
	uint64_t *offs;
	int64_t cached;
	uint8_t *cbuf;
	size_t cbuf_len;
	uint8_t *raw;
	size_t raw_cap;
} sstt_data;

enum { SSTT_C_NONE, SSTT_C_LZ4, SSTT_C_SNAPPY, SSTT_C_DEFLATE, SSTT_C_ZSTD };

int sstt_data_open(const sstt_path *p, sstt_data *d, hl_err *err);
void sstt_data_close(sstt_data *d);
/* Uncompressed bytes [off, off+len) into out (replacing its contents). */
int sstt_data_read(sstt_data *d, uint64_t off, size_t len, hl_buf *out, hl_err *err);
/* Compressed: check chunk i's CRC and that it decompresses. 0 ok, -1 with err. */
int sstt_data_check_chunk(sstt_data *d, uint64_t i, hl_err *err);

/* One unfiltered of a partition, as laid out in Data.db. */
typedef struct sstt_unf {
	char type;               /* 's' static row, 'r' row, 'm' marker */
	uint8_t kind;            /* marker: ClusteringPrefix.Kind ordinal */
	uint64_t pos;            /* Data.db offset */
} sstt_unf;

typedef struct sstt_layout {
	bool oa;
	bool has_statics;
	int nclust;
	const int *clust_fixed;
} sstt_layout;

/* Walk the partition bytes p[0..len) (Data.db offset base) and list its
 * unfiltereds (arena a). -1 with err when the framing is broken. */
int sstt_walk(const sstt_layout *L, const uint8_t *p, size_t len, uint64_t base, hl_arena *a,
	      sstt_unf **out, int *n, hl_err *err);

/* ------------------------------------------------------------ Index.db */

typedef struct sstt_ientry {
	const uint8_t *key;
	size_t keylen;
	uint64_t pos;
	uint64_t promoted_len;
	const uint8_t *promoted;
	size_t off;              /* offset of the entry in Index.db */
} sstt_ientry;

typedef struct sstt_index {
	uint8_t *buf;
	size_t len;
	int64_t n;
	sstt_ientry *e;
} sstt_index;

/* Read and frame <prefix>Index.db (the promoted indexes are not decoded). */
int sstt_index_load(const char *path, sstt_index *ix, hl_err *err);
void sstt_index_free(sstt_index *ix);

/* Summary.db */
typedef struct sstt_sentry {
	const uint8_t *key;
	size_t keylen;
	int64_t index_pos;
} sstt_sentry;

typedef struct sstt_summary {
	uint8_t *buf;
	int32_t min_interval, count, sampling, full_size;
	int64_t offheap;
	sstt_sentry *e;
	st_bytes first, last;
} sstt_summary;

int sstt_summary_load(const char *path, sstt_summary *s, hl_err *err);
void sstt_summary_free(sstt_summary *s);

/* Token text of a key for a partitioner class (Murmur3, Random, else hex). */
void sstt_token(const char *partitioner, const uint8_t *k, size_t n, hl_buf *out);

/* Whole file into a heap buffer; -1 with err when it cannot be read. */
int sstt_slurp(const char *path, uint8_t **out, size_t *len, hl_err *err);

/* ------------------------------------------------------------ subcommands */

int sstt_dump(int argc, char **argv);
int sstt_metadata(int argc, char **argv);
int sstt_verify(int argc, char **argv);
int sstt_index_cmd(int argc, char **argv);
int sstt_summary_cmd(int argc, char **argv);

/* Help pages (man-page style); usage errors print the SYNOPSIS to stderr. */
void sstt_help(const char *cmd, FILE *f);
/* "helenus sstable <cmd>: <msg>" + "usage:" line on stderr; returns 2. */
int sstt_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
