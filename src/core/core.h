/*
 * core: the leaf module every other module builds on. Errors that map to CQL
 * error codes, arenas (one per lifetime), growable byte buffers, a
 * bounds-checked reader for wire/disk bytes, hashes (Murmur3 as Cassandra,
 * CRC32/CRC24 as the v5 protocol), UUIDs and logging.
 *
 * core/ includes nothing of ours. Prefix: hl_.
 */
#ifndef HL_CORE_H
#define HL_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---------------------------------------------------------------- errors */

/* CQL native protocol error codes (native_protocol_v5.spec section 9). */
enum {
	HL_ERR_SERVER = 0x0000,
	HL_ERR_PROTOCOL = 0x000A,
	HL_ERR_BAD_CREDENTIALS = 0x0100,
	HL_ERR_UNAVAILABLE = 0x1000,
	HL_ERR_OVERLOADED = 0x1001,
	HL_ERR_IS_BOOTSTRAPPING = 0x1002,
	HL_ERR_TRUNCATE = 0x1003,
	HL_ERR_WRITE_TIMEOUT = 0x1100,
	HL_ERR_READ_TIMEOUT = 0x1200,
	HL_ERR_READ_FAILURE = 0x1300,
	HL_ERR_FUNCTION_FAILURE = 0x1400,
	HL_ERR_WRITE_FAILURE = 0x1500,
	HL_ERR_CDC_WRITE_FAILURE = 0x1600,
	HL_ERR_CAS_WRITE_UNKNOWN = 0x1700,
	HL_ERR_SYNTAX = 0x2000,
	HL_ERR_UNAUTHORIZED = 0x2100,
	HL_ERR_INVALID = 0x2200,
	HL_ERR_CONFIG = 0x2300,
	HL_ERR_ALREADY_EXISTS = 0x2400,
	HL_ERR_UNPREPARED = 0x2500,
};

/*
 * The caller-supplied error. A failing function fills it and returns -1;
 * the transport turns it into an ERROR body with every extra field the
 * code requires (the fields below that are not used by a code stay zero).
 */
typedef struct hl_err {
	int code;
	char msg[512];
	/* AlreadyExists */
	char ks[256];
	char table[256];
	/* Unprepared */
	uint8_t id[16];
	int id_len;
	/* Unavailable / timeouts / failures */
	int cl;
	int required, alive, received, blockfor, failures;
	bool data_present;
	char write_type[16];
} hl_err;

/* Fill err (code + printf message) and return -1, so `return hl_errf(...)`. */
int hl_errf(hl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hl_err_clear(hl_err *err);

/* ---------------------------------------------------------------- arenas */

/*
 * Bump allocator freed wholesale. Every allocation belongs to a lifetime
 * (request, connection, schema version, memtable); that lifetime owns one
 * arena. Allocation never fails: on OOM the process aborts with a message,
 * because admission control upstream keeps us far from that point.
 */
typedef struct hl_arena hl_arena;

hl_arena *hl_arena_new(size_t chunk_size);
void hl_arena_free(hl_arena *a);
void hl_arena_reset(hl_arena *a);      /* keep the first chunk, drop the rest */
void *hl_arena_alloc(hl_arena *a, size_t n);   /* 16-byte aligned */
void *hl_arena_zalloc(hl_arena *a, size_t n);
void *hl_arena_memdup(hl_arena *a, const void *p, size_t n);
char *hl_arena_strdup(hl_arena *a, const char *s);
char *hl_arena_strndup(hl_arena *a, const char *s, size_t n);
char *hl_arena_printf(hl_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t hl_arena_used(const hl_arena *a);

/* Allocation helpers that abort on OOM (for non-arena lifetimes). */
void *hl_malloc(size_t n);
void *hl_calloc(size_t n, size_t sz);
void *hl_realloc(void *p, size_t n);
char *hl_strdup(const char *s);
char *hl_strndup(const char *s, size_t n);   /* s[0..n) need not be terminated */

/* ---------------------------------------------------------------- buffers */

/* Growable byte buffer (heap). Big-endian put helpers match the protocol. */
typedef struct hl_buf {
	uint8_t *p;
	size_t len, cap;
} hl_buf;

void hl_buf_init(hl_buf *b);
void hl_buf_free(hl_buf *b);
void hl_buf_reset(hl_buf *b);
void hl_buf_reserve(hl_buf *b, size_t extra);
void hl_buf_put(hl_buf *b, const void *p, size_t n);
void hl_buf_u8(hl_buf *b, uint8_t v);
void hl_buf_u16(hl_buf *b, uint16_t v);
void hl_buf_u32(hl_buf *b, uint32_t v);
void hl_buf_u64(hl_buf *b, uint64_t v);
void hl_buf_str(hl_buf *b, const char *s);     /* raw chars, no length */
void hl_buf_printf(hl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* v as Java's Double.toString / Float.toString (is_float) prints it: the
 * shortest digits that read back, plain for 1e-3 <= |v| < 1e7, else
 * "1.5E10"; NaN, Infinity, -0.0. Cassandra's text, JSON, schema and tool
 * output all use this form. */
void hl_buf_java_double(hl_buf *b, double v, bool is_float);
/* Protocol notation: [string] = u16 len + bytes, [long string] = i32 len,
 * [bytes] = i32 len (-1 null), [short bytes] = u16 len. */
void hl_buf_pstring(hl_buf *b, const char *s, size_t n);
void hl_buf_plongstring(hl_buf *b, const char *s, size_t n);
void hl_buf_pbytes(hl_buf *b, const void *p, int32_t n); /* n<0: null */
void hl_buf_pshortbytes(hl_buf *b, const void *p, size_t n);
/* Overwrite 4 bytes at off with v big-endian (length back-patching). */
void hl_buf_patch_u32(hl_buf *b, size_t off, uint32_t v);
/* Append a signed vint / unsigned vint (Cassandra's encoding). */
void hl_buf_uvint(hl_buf *b, uint64_t v);
void hl_buf_vint(hl_buf *b, int64_t v);

/* ---------------------------------------------------------------- reader */

/*
 * Bounds-checked cursor over untrusted bytes. Every get returns 0 on
 * success or -1 when the input is short (and sets r->bad); once bad, every
 * further get fails, so decoders may check once at the end.
 */
typedef struct hl_rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
} hl_rd;

void hl_rd_init(hl_rd *r, const void *p, size_t len);
size_t hl_rd_left(const hl_rd *r);
int hl_rd_u8(hl_rd *r, uint8_t *v);
int hl_rd_u16(hl_rd *r, uint16_t *v);
int hl_rd_u32(hl_rd *r, uint32_t *v);
int hl_rd_u64(hl_rd *r, uint64_t *v);
int hl_rd_i32(hl_rd *r, int32_t *v);
int hl_rd_raw(hl_rd *r, size_t n, const uint8_t **p);
/* [string]: pointer into the input, not NUL terminated. */
int hl_rd_pstring(hl_rd *r, const char **s, size_t *n);
int hl_rd_plongstring(hl_rd *r, const char **s, size_t *n);
/* [bytes]: *n = -1 for null, -2 for "not set" (v4+). */
int hl_rd_pbytes(hl_rd *r, const uint8_t **p, int32_t *n);
int hl_rd_pshortbytes(hl_rd *r, const uint8_t **p, size_t *n);
int hl_rd_uvint(hl_rd *r, uint64_t *v);
int hl_rd_vint(hl_rd *r, int64_t *v);

/* ---------------------------------------------------------------- hashes */

/* Cassandra's Murmur3 x64_128 (seed 0) with the signed-tail quirk: both
 * halves (the bloom filters use both), or h1 only (the token). */
void hl_murmur3_128(const void *key, size_t len, int64_t *h1, int64_t *h2);
int64_t hl_murmur3_h1(const void *key, size_t len);
/* Murmur3Partitioner token: empty key -> INT64_MIN, INT64_MIN -> INT64_MAX. */
int64_t hl_token(const void *key, size_t len);

uint32_t hl_crc32(uint32_t crc, const void *p, size_t n);   /* zlib CRC-32 */
/* CRC32 as the v5 protocol: zlib CRC seeded with bytes FA 2D 55 CA. */
uint32_t hl_crc32_v5(const void *p, size_t n);
/* CRC24 as the v5 protocol (init 0x875060, poly 0x1974F0B) over n<=8 bytes. */
uint32_t hl_crc24(const void *p, size_t n);

void hl_md5(const void *p, size_t n, uint8_t out[16]);

/* ---------------------------------------------------------------- uuids */

typedef struct hl_uuid {
	uint8_t b[16];
} hl_uuid;

void hl_uuid_random(hl_uuid *u);                  /* version 4 */
void hl_uuid_from_md5(const void *p, size_t n, hl_uuid *u); /* version 3 */
/* Version 1 time UUID for a unix time in microseconds (clock seq/node random). */
void hl_uuid_time(int64_t unix_micros, hl_uuid *u);
void hl_uuid_str(const hl_uuid *u, char out[37]);
/* write(2) all n bytes, retrying short writes and EINTR; 0 or -1 (errno). */
int hl_write_all(int fd, const void *p, size_t n);
/* Value of one hex digit, -1 when c is not one. */
int hl_hexval(char c);
int hl_uuid_parse(const char *s, size_t n, hl_uuid *u); /* 0 ok, -1 bad */

/* ---------------------------------------------------------------- time */

int64_t hl_now_micros(void);     /* wall clock, unix epoch */
int64_t hl_mono_nanos(void);     /* monotonic */

/* ---------------------------------------------------------------- utf-8 */

bool hl_utf8_valid(const void *p, size_t n);
bool hl_ascii_valid(const void *p, size_t n);

/* ---------------------------------------------------------------- json */

/*
 * Just enough JSON for the admin API: write a string literal with escapes,
 * and read the value of a top-level key of an object that is a string or an
 * array of strings. Readers are bounds-checked and return -1 on malformed
 * input (or a missing key); results are allocated in the arena.
 */
void hl_json_string(hl_buf *b, const char *s, size_t n);
int hl_json_get_string(const char *json, size_t n, const char *key, hl_arena *a, char **out,
		       size_t *outlen);
int hl_json_get_strings(const char *json, size_t n, const char *key, hl_arena *a, char ***out,
			int *count);

/* ---------------------------------------------------------------- histogram */

/*
 * Log-linear histogram (HdrHistogram's layout; core/hist.c): values below
 * 2^(S+1) have a bucket each, every higher power of two is cut into 2^S
 * equal buckets, the top bucket ends at 2^T - 1 and takes anything larger.
 * Exact count, sum, min and max beside the buckets. Single writer; merge
 * copies to read across writers. Units are the caller's.
 */
#define HL_HIST_NBUCKETS(sub, top) ((2 << (sub)) + ((top) - (sub) - 1) * (1 << (sub)))

typedef struct hl_hist {
	uint64_t count, min, max;
	double sum;
	int sub, top, nb;              /* layout: S, T and the bucket count */
	uint64_t *b;                   /* nb counters (caller's storage, or hl_hist_new's) */
} hl_hist;

/* storage: HL_HIST_NBUCKETS(sub_bits, top_bits) counters, zeroed here. */
void hl_hist_init(hl_hist *h, int sub_bits, int top_bits, uint64_t *storage);
/* Header and buckets in one allocation: free() it. */
hl_hist *hl_hist_new(int sub_bits, int top_bits);
int hl_hist_bucket(const hl_hist *h, uint64_t v);
/* Smallest and largest value that fall into bucket i. */
uint64_t hl_hist_low(const hl_hist *h, int i);
uint64_t hl_hist_high(const hl_hist *h, int i);
void hl_hist_reset(hl_hist *h);
void hl_hist_record(hl_hist *h, uint64_t v);
/* dst += src; both must have the same layout (else nothing is merged). */
void hl_hist_merge(hl_hist *dst, const hl_hist *src);
/* Value at percentile p (0..100): the middle of the bucket holding the
 * ceil(p% * count)-th smallest value, kept inside [min, max]. 0 if empty. */
uint64_t hl_hist_percentile(const hl_hist *h, double p);
double hl_hist_mean(const hl_hist *h);
/* Values in the buckets that end at or below v (all of them once v >= max):
 * a Prometheus cumulative bucket, exact when v is a bucket's high end. */
uint64_t hl_hist_count_le(const hl_hist *h, uint64_t v);

/* ---------------------------------------------------------------- log */

enum { HL_LOG_DEBUG, HL_LOG_INFO, HL_LOG_WARN, HL_LOG_ERROR };
void hl_log_set_level(int level);
void hl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define hl_debug(...) hl_log(HL_LOG_DEBUG, __VA_ARGS__)
#define hl_info(...) hl_log(HL_LOG_INFO, __VA_ARGS__)
#define hl_warn(...) hl_log(HL_LOG_WARN, __VA_ARGS__)
#define hl_error(...) hl_log(HL_LOG_ERROR, __VA_ARGS__)

#endif
