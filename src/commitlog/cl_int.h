/*
 * commitlog/cl_int.h: private to the commitlog module. Segment header and
 * entry framing constants and helpers (format.c) and the segment reader
 * shared by cl_replay and cl_replay_log (replay.c).
 */
#ifndef HL_CL_INT_H
#define HL_CL_INT_H

#include "commitlog/commitlog.h"

#define CL_MAGIC "HLCL"
/* Written: 2. Read: 1 and 2 (format.c: cells without ts/ttl/ldt in 2). */
#define CL_VERSION 2
#define CL_VERSION_MIN 1
#define CL_HDR_SIZE 32u
/* [u32 len][u32 len CRC] before the payload, [u32 payload CRC] after. */
#define CL_ENTRY_OVERHEAD 12u

typedef struct cl_hdr {
	uint16_t version;
	uint32_t shard;
	uint64_t id;
	uint64_t run;                  /* id of the first segment of its run */
} cl_hdr;

/* Append the 32-byte header. */
void cl__hdr_encode(hl_buf *out, const cl_hdr *h);
/* 0 ok; -1 bad magic/version/CRC. n must be >= CL_HDR_SIZE. */
int cl__hdr_decode(const uint8_t *p, cl_hdr *h);

/* CRC of an entry's length word, bound to the segment id, and of its
 * payload, in segment format `version` (2: CRC-32C; 1: zlib CRC-32). */
uint32_t cl__len_crc(int version, uint64_t segment, uint32_t len);
uint32_t cl__entry_crc(int version, const void *p, size_t n);
uint32_t cl__crc32c(const void *p, size_t n);

/* "<dir>/CommitLog-<shard>-<id>.log" (heap string). */
char *cl__seg_path(const char *dir, int shard, uint64_t id);

typedef struct cl_seginfo {
	uint64_t id;
	char *path;                    /* heap */
} cl_seginfo;

/* Segment files of a shard in dir, sorted by id. A missing dir is empty. */
int cl__list_segments(const char *dir, int shard, cl_seginfo **out, int *n, hl_err *err);
void cl__free_segments(cl_seginfo *s, int n);

/* Replay the given files (sorted by id) with the damage rule of cl_replay. */
int cl__replay_files(const cl_seginfo *segs, int n, int shard, bool ignore_errors,
		     cl_replay_fn fn, void *ctx, hl_err *err);

#endif
