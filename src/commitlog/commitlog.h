/*
 * commitlog: the per-shard write-ahead log (Cassandra's commit log). Every
 * mutation a shard applies to a memtable is first appended here, so that a
 * crash loses nothing that was acknowledged; on start the segments left on
 * disk are replayed into the memtables. Once a table's memtable is flushed
 * the log is told (cl_discard) and segments that hold no unflushed data for
 * any table are deleted.
 *
 * One cl_log per shard (shared-nothing). The segment format is our own and
 * is described at the top of format.c.
 *
 * Threading contract
 * ------------------
 * - "Owner thread": the shard thread that called cl_open. cl_append,
 *   cl_discard, cl_replay_log, cl_sync_now and cl_close must only be called
 *   from it (one caller at a time; the log has no lock for these paths
 *   beyond the one it shares with its sync thread).
 * - cl_append never touches the disk: it encodes the mutation, then takes
 *   the log's mutex only to copy the bytes into the active segment's
 *   in-memory buffer. The log's own helper thread ("sync thread") writes the
 *   buffers to the segment files, fsyncs them, creates and deletes segment
 *   files. The sync thread never holds the mutex while doing I/O, so the
 *   owner thread waits at most for a memcpy-sized critical section.
 * - cl_durable_pos and cl_failed may be called from any thread.
 * - opts.on_sync is called on the sync thread, without any log lock held,
 *   every time the durable position advances (after an fsync) and once with
 *   a non-NULL err when the log fails. It must not call the owner-thread
 *   functions above; the expected implementation hands the position to the
 *   shard with net_server_post (which may fail once the shard is in
 *   teardown: the callback then frees its message). cl_close joins the sync
 *   thread, so no callback runs after cl_close returns.
 * - cl_open, cl_replay_log, cl_sync_now and cl_close block on the disk; they
 *   are for start-up, shutdown and tests, never for a serving event loop.
 *
 * Sync modes (cassandra.yaml commitlog_sync)
 * ------------------------------------------
 * - periodic: the write is acknowledged as soon as cl_append returns. The
 *   sync thread write()s appended bytes to the file as soon as it is woken
 *   (so a process crash loses at most the last few microseconds of writes),
 *   and fsyncs every period_ms (an OS crash loses at most one period).
 * - batch: acknowledge only once cl_durable_pos (or on_sync) has reached the
 *   entry's position. The sync thread starts an fsync as soon as there is
 *   data; appends that arrive during an fsync are grouped into the next one.
 * - group: like batch, but fsyncs at most once per group_window_ms, so many
 *   writes share one fsync at the cost of up to one window of latency.
 * In every mode an append fails with HL_ERR_OVERLOADED when more than
 * max_pending bytes are appended but not yet written (the disk cannot keep
 * up); the caller should apply backpressure.
 *
 * Failure: a failed write, fsync or file creation marks the log failed (a
 * failed deletion of an obsolete segment is only a warning: no data is at
 * risk, the file is replayed and skipped again after a restart). From then on every cl_append fails with HL_ERR_WRITE_FAILURE, the
 * durable position never moves again (so batch/group waiters are never
 * acknowledged), and on_sync reports the error once. Only a restart (a new
 * cl_open, which replays what reached the disk) clears it.
 *
 * Prefix: cl_.
 */
#ifndef HL_COMMITLOG_H
#define HL_COMMITLOG_H

#include "core/core.h"
#include "storage/storage.h"

struct cfg;

typedef struct cl_log cl_log;

/*
 * A position in the log: the segment id and the byte offset just after an
 * entry. Positions grow in append order (segment ids grow, offsets grow
 * within a segment), so "everything up to pos" is well defined. {0, 0} is
 * before every entry.
 */
typedef struct cl_pos {
	uint64_t segment;
	uint32_t offset;
} cl_pos;

static inline int cl_pos_cmp(cl_pos a, cl_pos b)
{
	if (a.segment != b.segment)
		return a.segment < b.segment ? -1 : 1;
	if (a.offset != b.offset)
		return a.offset < b.offset ? -1 : 1;
	return 0;
}

typedef enum cl_sync_mode {
	CL_SYNC_PERIODIC,
	CL_SYNC_BATCH,
	CL_SYNC_GROUP,
} cl_sync_mode;

/* Called on the sync thread; err != NULL (once) when the log failed. */
typedef void (*cl_sync_fn)(void *ctx, cl_pos durable, const hl_err *err);

typedef struct cl_opts {
	const char *dir;            /* commitlog_directory; created if missing */
	int shard;                  /* files are CommitLog-<shard>-<id>.log */
	cl_sync_mode mode;
	uint64_t period_ms;         /* periodic: fsync interval (default 10000) */
	uint64_t group_window_ms;   /* group: fsync at most this often (default 15) */
	uint64_t segment_size;      /* bytes (default 32 MiB; minimum 4 KiB) */
	/* Entries (framing included) larger than this are rejected with
	 * HL_ERR_INVALID; 0 = segment_size / 2 (Cassandra's max_mutation_size). */
	uint64_t max_entry_size;
	/* Appended-but-unwritten bytes above which appends are refused with
	 * HL_ERR_OVERLOADED; 0 = max(2 * segment_size, 4 MiB). */
	uint64_t max_pending;
	cl_sync_fn on_sync;         /* optional */
	void *ctx;
} cl_opts;

/* Defaults (periodic, 10 s, 32 MiB) for dir and shard. */
void cl_opts_init(cl_opts *o, const char *dir, int shard);
/* commitlog_directory, commitlog_sync, *_period / *_window, segment size. */
void cl_opts_from_cfg(cl_opts *o, const struct cfg *c, int shard);

/*
 * Open the log of one shard. Segments of this shard already in the
 * directory are adopted: they are kept (never written) until replayed with
 * cl_replay_log and then deleted once every table they hold data for is
 * discarded. New segments get ids above every existing one and above the
 * current time in milliseconds (so positions keep growing across restarts
 * even when every old segment was deleted). The first segment file is
 * created here, so an unwritable directory fails now.
 */
int cl_open(const cl_opts *o, cl_log **out, hl_err *err);

/*
 * Final write + fsync of everything appended, stop the sync thread, close
 * and free. Returns -1 (err filled) if the log had failed or the final sync
 * failed. NULL is a no-op.
 */
int cl_close(cl_log *log, hl_err *err);

/*
 * Append one partition's mutation for a table. Non-blocking: the entry is
 * in memory only when this returns; *pos_out (optional) is its position.
 * Errors: HL_ERR_WRITE_FAILURE (log failed), HL_ERR_OVERLOADED (disk
 * behind), HL_ERR_INVALID (mutation larger than max_entry_size).
 */
int cl_append(cl_log *log, const hl_uuid *table, const st_mutation *m, cl_pos *pos_out,
	      hl_err *err);

/* Everything at or before this position is on disk (fsynced). Any thread. */
cl_pos cl_durable_pos(cl_log *log);
/*
 * Owner thread, periodic mode: have the sync thread write what was appended
 * now rather than after its short delay (the server calls it once per event
 * loop iteration, before acknowledgements are sent). Wakes the thread only
 * if it sleeps with bytes unwritten; a no-op in batch and group modes.
 */
void cl_kick(cl_log *log);
/* The log failed (any thread). */
bool cl_failed(cl_log *log);
/* For metrics (any thread): appended bytes not yet written, sync rounds
 * done, live segments and their logical size. */
typedef struct cl_stats {
	uint64_t pending_bytes, syncs, segments, size_bytes;
} cl_stats;
void cl_stats_get(cl_log *log, cl_stats *out);
/* The position the next append would follow (owner thread). */
cl_pos cl_current_pos(cl_log *log);

/*
 * Write and fsync everything appended so far and run pending segment
 * deletions; blocks until done. -1 if the log failed.
 */
int cl_sync_now(cl_log *log, hl_err *err);

/*
 * The table's memtable data up to and including `upto` is durable
 * elsewhere (flushed to an SSTable, or the table was truncated/dropped):
 * its entries at or before upto no longer pin segments. Segments that are
 * no longer the active one and hold no undiscarded entry of any table are
 * deleted by the sync thread. The caller must only discard a prefix: all of
 * the table's data before upto must be flushed (if flushes can complete
 * out of order, discard in order).
 */
void cl_discard(cl_log *log, const hl_uuid *table, cl_pos upto);

/*
 * Replay callback. The mutation (and the arena behind it) is valid only
 * during the call; st_apply copies what it keeps. Return 0 when the entry
 * was applied (its segment then stays until the table is discarded past
 * pos), 1 when it was skipped (unknown/dropped table, already in an
 * SSTable), -1 (err filled) to abort the replay.
 */
typedef int (*cl_replay_fn)(void *ctx, const hl_uuid *table, const st_mutation *m, cl_pos pos,
			    hl_err *err);

/*
 * Replay every segment of `shard` in `dir`, oldest first, read-only.
 *
 * Damage rule (see format.c): segments are written strictly one after the
 * other by a run of the log, each fsynced before the next file is created,
 * so only the last segment of a run can legitimately end in a torn or
 * corrupt entry (a crash mid-write). There, the first bad entry (short
 * entry, length or payload CRC mismatch, undecodable payload) is reported
 * with hl_warn (file and offset) and the rest of that segment is skipped;
 * replay continues with the next run's segments. Damage anywhere else is
 * real corruption: replay stops with an HL_ERR_SERVER error naming the
 * file and offset, unless ignore_errors (Cassandra's
 * -Dcassandra.commitlog.ignorereplayerrors), in which case it is warned
 * about, that segment's rest is skipped and replay goes on. A file shorter
 * than a header or whose header is all zeros was created but never written
 * and is skipped with a warning. Entries before any damage are always
 * delivered.
 */
int cl_replay(const char *dir, int shard, bool ignore_errors, cl_replay_fn fn, void *ctx,
	      hl_err *err);

/*
 * Replay the segments cl_open adopted (same rules as cl_replay), recording
 * for each applied entry that its table is dirty in that segment. Call once
 * on the owner thread before serving. Afterwards adopted segments are
 * ordinary full segments: deleted once discarded (those with nothing
 * applied at once).
 */
int cl_replay_log(cl_log *log, bool ignore_errors, cl_replay_fn fn, void *ctx, hl_err *err);

/* ------------------------------------------------------------ entries */

/*
 * The entry payload codec (also usable by messaging/hints): table id plus
 * every field of the mutation. Decode is bounds-checked and rebuilds the
 * mutation with the st_mut_* builder in arena `a`; malformed bytes give
 * -1 with HL_ERR_SERVER.
 */
void cl_mutation_encode(hl_buf *out, const hl_uuid *table, const st_mutation *m);
/* Decode the current version's payload (what cl_mutation_encode writes). */
int cl_mutation_decode(const uint8_t *p, size_t n, hl_arena *a, hl_uuid *table,
		       st_mutation **out, hl_err *err);
/* Decode a payload of segment format `version` (1 or 2; formats.md). */
int cl_mutation_decode_v(int version, const uint8_t *p, size_t n, hl_arena *a, hl_uuid *table,
			 st_mutation **out, hl_err *err);

#endif
