/*
 * commitlog/log.c: one shard's commit log instance. The owner (shard)
 * thread encodes entries and copies them into the active segment's memory
 * buffer; a sync thread owned by the log writes those buffers to the
 * segment files, fsyncs them per the sync mode, creates the next file once
 * the previous one is complete and deletes segments that cl_discard made
 * obsolete. The threading contract is in commitlog.h.
 *
 * Why segment files are created by the sync thread and strictly in order:
 * segment N+1's file exists only after N was completely written and
 * fsynced. That is what lets replay treat a damaged entry anywhere but in
 * the last segment of a run as real corruption rather than a crash.
 */
#include "commitlog/cl_int.h"
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A table's last entry in a segment (Cassandra's tableDirty). */
typedef struct cl_dirty {
	hl_uuid table;
	uint32_t hwm;                  /* end offset of its last entry */
} cl_dirty;

typedef struct cl_seg {
	uint64_t id;
	char *path;
	/* Owner thread only (the sync thread never looks at them). */
	cl_dirty *dirty;
	int ndirty, cdirty;
	/* Under log->mu. */
	bool pinned;                   /* adopted, not replayed yet: keep */
	bool adopted;
	bool full;                     /* no more appends; size is final */
	bool obsolete;                 /* full and clean: delete once done */
	bool done;                     /* file complete, fsynced and closed */
	uint32_t size;                 /* logical end (header + appended entries) */
	hl_buf pend;                   /* appended bytes not yet taken for writing */
	/* Sync thread only (and cl_open/cl_close while it does not run). */
	int fd;
	uint32_t written, synced;
	struct cl_seg *next;           /* list links: under log->mu */
} cl_seg;

struct cl_log {
	cl_opts o;                     /* o.dir points at dir */
	char *dir;
	int dirfd;
	uint64_t run;
	hl_buf enc;                    /* owner thread: entry being encoded */
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t wake;           /* -> sync thread */
	pthread_cond_t done_cv;        /* -> cl_sync_now */
	/* Under mu. */
	cl_seg *head, *tail;           /* by id; tail is the active segment */
	uint64_t unwritten;            /* appended bytes not yet written */
	uint64_t ticket, ticket_done;  /* cl_sync_now requests */
	int64_t pend_since;            /* mono ms when unwritten last left 0 */
	bool filled;                   /* a segment filled since the last take */
	bool kicked;                   /* cl_kick since the last take */
	bool waiting;                  /* the sync thread is in a cond wait */
	bool sleeping;                 /* the sync thread waits with no wake-up
	                                * planned for newly appended bytes */
	bool stop;
	bool failed;
	hl_err ferr;
	cl_pos durable;
	uint64_t syncs;                /* sync rounds completed (metrics) */
};

static int64_t mono_ms(void)
{
	return hl_mono_nanos() / 1000000;
}

/*
 * Periodic mode: appended bytes are written to the file at most this long
 * after the first of them (the bound on what a process crash loses). The
 * appender never wakes the sync thread for each entry: a wake-up per write
 * was a context switch per write on a one-core shard. It wakes it only when
 * the thread sleeps with nothing planned for new bytes, when a segment
 * fills, or when more than CL_WAKE_FRACTION of max_pending waits.
 */
#define CL_WRITE_DELAY_MS 2
#define CL_WAKE_FRACTION 8

void cl_opts_init(cl_opts *o, const char *dir, int shard)
{
	memset(o, 0, sizeof(*o));
	o->dir = dir;
	o->shard = shard;
	o->mode = CL_SYNC_PERIODIC;
	o->period_ms = 10000;
	o->group_window_ms = 15;
	o->segment_size = 32u << 20;
}

void cl_opts_from_cfg(cl_opts *o, const struct cfg *c, int shard)
{
	cl_opts_init(o, c->commitlog_directory, shard);
	switch (c->commitlog_sync) {
	case CFG_SYNC_BATCH:
		o->mode = CL_SYNC_BATCH;
		break;
	case CFG_SYNC_GROUP:
		o->mode = CL_SYNC_GROUP;
		break;
	default:
		o->mode = CL_SYNC_PERIODIC;
		break;
	}
	if (c->commitlog_sync_period_ms)
		o->period_ms = c->commitlog_sync_period_ms;
	if (c->commitlog_sync_group_window_ms)
		o->group_window_ms = c->commitlog_sync_group_window_ms;
	if (c->commitlog_segment_size)
		o->segment_size = c->commitlog_segment_size;
}

/* ------------------------------------------------------------ helpers */

static int mkdirs(const char *dir, hl_err *err)
{
	char *p = hl_strdup(dir);
	int rc = -1;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			hl_errf(err, HL_ERR_SERVER, "cannot create commit log directory %s: %s", p,
				strerror(errno));
			goto exit;
		}
		*s = c;
		if (!c)
			break;
	}
	rc = 0;
exit:
	free(p);
	return rc;
}

static cl_seg *seg_new(cl_log *log, uint64_t id)
{
	cl_seg *s = hl_calloc(1, sizeof(*s));
	cl_hdr h = { CL_VERSION, (uint32_t)log->o.shard, id, log->run };

	s->id = id;
	s->path = cl__seg_path(log->dir, log->o.shard, id);
	s->fd = -1;
	hl_buf_init(&s->pend);
	cl__hdr_encode(&s->pend, &h);
	s->size = CL_HDR_SIZE;
	return s;
}

static void seg_free(cl_seg *s)
{
	if (s->fd >= 0)
		close(s->fd);
	hl_buf_free(&s->pend);
	free(s->dirty);
	free(s->path);
	free(s);
}

static void seg_append(cl_log *log, cl_seg *s)
{
	if (log->tail)
		log->tail->next = s;
	else
		log->head = s;
	log->tail = s;
}

/* Create the file of a segment; the directory entry is made durable too,
 * or a crash could lose a whole fsynced segment. */
static int seg_create(cl_log *log, cl_seg *s, hl_err *err)
{
	s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (s->fd < 0)
		return hl_errf(err, HL_ERR_WRITE_FAILURE, "cannot create commit log segment %s: %s",
			       s->path, strerror(errno));
	if (fsync(log->dirfd) != 0)
		return hl_errf(err, HL_ERR_WRITE_FAILURE, "cannot sync commit log directory %s: %s",
			       log->dir, strerror(errno));
	return 0;
}

static void mark_dirty(cl_seg *s, const hl_uuid *table, uint32_t off)
{
	for (int i = 0; i < s->ndirty; i++) {
		if (memcmp(s->dirty[i].table.b, table->b, 16) == 0) {
			if (s->dirty[i].hwm < off)
				s->dirty[i].hwm = off;
			return;
		}
	}
	if (s->ndirty == s->cdirty) {
		s->cdirty = s->cdirty ? s->cdirty * 2 : 4;
		s->dirty = hl_realloc(s->dirty, (size_t)s->cdirty * sizeof(*s->dirty));
	}
	s->dirty[s->ndirty].table = *table;
	s->dirty[s->ndirty].hwm = off;
	s->ndirty++;
}

/* Under mu: a full, replayed segment with nothing undiscarded goes. */
static bool maybe_obsolete(cl_seg *s)
{
	if (s->full && !s->pinned && !s->obsolete && s->ndirty == 0) {
		s->obsolete = true;
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ sync thread */

typedef struct cl_work {
	cl_seg *s;
	hl_buf bytes;
	bool full;
	uint32_t size;
	bool complete;
} cl_work;

static void fail_locked(cl_log *log, const hl_err *e)
{
	if (log->failed)
		return;
	log->failed = true;
	log->ferr = *e;
	hl_error("commit log of shard %d failed, refusing further writes: %s", log->o.shard,
		 e->msg);
}

/*
 * Write every taken buffer in segment order; fsync when asked, and always
 * before closing a completed segment (the next file may only appear after
 * that). Stops at the first error.
 */
static int do_io(cl_log *log, cl_work *w, int n, bool fsync_all, uint64_t *nwritten, hl_err *e)
{
	for (int i = 0; i < n; i++) {
		cl_seg *s = w[i].s;

		if (s->fd < 0 && seg_create(log, s, e))
			return -1;
		if (w[i].bytes.len) {
			if (hl_write_all(s->fd, w[i].bytes.p, w[i].bytes.len))
				return hl_errf(e, HL_ERR_WRITE_FAILURE,
					       "cannot write commit log segment %s: %s", s->path,
					       strerror(errno));
			s->written += (uint32_t)w[i].bytes.len;
			*nwritten += w[i].bytes.len;
		}
		w[i].complete = w[i].full && s->written == w[i].size;
		if ((w[i].complete || fsync_all) && s->synced != s->written) {
			if (fdatasync(s->fd) != 0)
				return hl_errf(e, HL_ERR_WRITE_FAILURE,
					       "cannot sync commit log segment %s: %s", s->path,
					       strerror(errno));
			s->synced = s->written;
		}
		if (w[i].complete) {
			close(s->fd);
			s->fd = -1;
		}
	}
	return 0;
}

static void *sync_main(void *arg)
{
	cl_log *log = arg;
	cl_work *w = NULL;
	int cw = 0;
	int64_t last_fsync = mono_ms();
	bool unsynced = false;

	pthread_mutex_lock(&log->mu);
	for (;;) {
		int64_t now = mono_ms(), deadline = -1;
		uint64_t ticket = log->ticket, nwritten = 0;
		bool force = ticket != log->ticket_done || log->stop;
		bool work = log->unwritten > 0 || unsynced;
		bool io = false, fsync_all = false, deletable = false;
		cl_pos before = log->durable, dur;
		cl_seg *gone = NULL, **pp;
		hl_err e;
		int n = 0, rc;

		for (cl_seg *s = log->head; s; s = s->next)
			deletable |= s->obsolete && s->done;
		if (log->failed) {
			/* no more I/O: release cl_sync_now waiters and wait for close */
			log->ticket_done = ticket;
			pthread_cond_broadcast(&log->done_cv);
			if (log->stop)
				break;
			pthread_cond_wait(&log->wake, &log->mu);
			continue;
		}
		switch (log->o.mode) {
		case CL_SYNC_PERIODIC:
			io = log->unwritten > 0 &&
			     (now >= log->pend_since + CL_WRITE_DELAY_MS ||
			      log->unwritten >= log->o.max_pending / CL_WAKE_FRACTION ||
			      log->filled || log->kicked);
			fsync_all = work && now >= last_fsync + (int64_t)log->o.period_ms;
			if (work)
				deadline = last_fsync + (int64_t)log->o.period_ms;
			if (log->unwritten > 0 &&
			    (deadline < 0 || log->pend_since + CL_WRITE_DELAY_MS < deadline))
				deadline = log->pend_since + CL_WRITE_DELAY_MS;
			break;
		case CL_SYNC_BATCH:
			io = fsync_all = work;
			break;
		case CL_SYNC_GROUP:
			if (work && now >= last_fsync + (int64_t)log->o.group_window_ms)
				io = fsync_all = true;
			else if (work)
				deadline = last_fsync + (int64_t)log->o.group_window_ms;
			break;
		}
		if (force && work)
			io = fsync_all = true;
		io |= fsync_all;
		if (!io && !deletable) {
			/* appends signal only while nothing is planned for their bytes:
			 * no unwritten bytes now (batch and group waits hold none) */
			log->sleeping = log->unwritten == 0;
			log->waiting = true;
			if (force) {
				log->ticket_done = ticket;
				pthread_cond_broadcast(&log->done_cv);
				if (log->stop)
					break;
			}
			if (deadline >= 0) {
				struct timespec ts;

				clock_gettime(CLOCK_MONOTONIC, &ts);
				int64_t wait = deadline - now;

				ts.tv_sec += wait / 1000;
				ts.tv_nsec += (wait % 1000) * 1000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&log->wake, &log->mu, &ts);
			} else {
				pthread_cond_wait(&log->wake, &log->mu);
			}
			log->sleeping = log->waiting = false;
			continue;
		}

		/* take the pending bytes of every unfinished segment, in order */
		if (io) {
			log->filled = log->kicked = false;
			for (cl_seg *s = log->head; s; s = s->next) {
				if (s->done)
					continue;
				if (n == cw) {
					cw = cw ? cw * 2 : 4;
					w = hl_realloc(w, (size_t)cw * sizeof(*w));
				}
				w[n].s = s;
				w[n].bytes = s->pend;
				w[n].full = s->full;
				w[n].size = s->size;
				w[n].complete = false;
				hl_buf_init(&s->pend);
				n++;
			}
		}
		pthread_mutex_unlock(&log->mu);

		hl_err_clear(&e);
		rc = do_io(log, w, n, fsync_all, &nwritten, &e);
		if (rc == 0 && fsync_all)
			last_fsync = now;
		/* a deletion-only cycle (n == 0) leaves the unsynced state as it was */
		if (n > 0)
			unsynced = w[n - 1].s->synced != w[n - 1].s->written;

		pthread_mutex_lock(&log->mu);
		/* everything before the first not fully synced segment is durable */
		dur = log->durable;
		for (int i = 0; i < n; i++) {
			cl_seg *s = w[i].s;
			cl_pos p = { s->id, s->synced };

			if (cl_pos_cmp(p, dur) > 0)
				dur = p;
			if (w[i].complete)
				s->done = true;
			if (s->synced != w[i].size || !w[i].full)
				break;
		}
		if (rc == 0) {
			log->durable = dur;
			log->syncs++;
		}
		for (int i = 0; i < n; i++)
			hl_buf_free(&w[i].bytes);
		log->unwritten -= nwritten < log->unwritten ? nwritten : log->unwritten;
		/* what is left was appended after the take, so after `now` */
		if (log->unwritten > 0 && log->pend_since < now)
			log->pend_since = now;
		if (rc)
			fail_locked(log, &e);
		pthread_cond_broadcast(&log->done_cv);
		/* unlink obsolete, finished segments from the list; delete below */
		for (pp = &log->head; *pp;) {
			cl_seg *s = *pp;

			if (s->obsolete && s->done && s != log->tail) {
				*pp = s->next;
				s->next = gone;
				gone = s;
			} else {
				pp = &s->next;
			}
		}
		dur = log->durable;
		pthread_mutex_unlock(&log->mu);

		while (gone) {
			cl_seg *s = gone;

			gone = s->next;
			if (unlink(s->path) != 0 && errno != ENOENT)
				hl_warn("cannot delete commit log segment %s: %s", s->path,
					strerror(errno));
			seg_free(s);
		}
		if (log->o.on_sync) {
			if (rc)
				log->o.on_sync(log->o.ctx, dur, &e);
			else if (cl_pos_cmp(dur, before) > 0)
				log->o.on_sync(log->o.ctx, dur, NULL);
		}
		pthread_mutex_lock(&log->mu);
		/* only now: a cl_sync_now caller also expects the deletions done */
		if (rc == 0 && (fsync_all || !work) && force) {
			log->ticket_done = ticket;
			pthread_cond_broadcast(&log->done_cv);
		}
	}
	pthread_mutex_unlock(&log->mu);
	free(w);
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static void log_free(cl_log *log)
{
	cl_seg *s = log->head;

	while (s) {
		cl_seg *n = s->next;

		seg_free(s);
		s = n;
	}
	if (log->dirfd >= 0)
		close(log->dirfd);
	hl_buf_free(&log->enc);
	pthread_mutex_destroy(&log->mu);
	pthread_cond_destroy(&log->wake);
	pthread_cond_destroy(&log->done_cv);
	free(log->dir);
	free(log);
}

int cl_open(const cl_opts *o, cl_log **out, hl_err *err)
{
	cl_log *log = hl_calloc(1, sizeof(*log));
	cl_seginfo *old = NULL;
	int nold = 0, rc = -1;
	uint64_t maxid = 0, now = (uint64_t)(hl_now_micros() / 1000);
	pthread_condattr_t ca;
	cl_seg *s;

	*out = NULL;
	log->o = *o;
	log->dirfd = -1;
	pthread_mutex_init(&log->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&log->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&log->done_cv, NULL);
	hl_buf_init(&log->enc);
	if (!o->dir || !*o->dir) {
		hl_errf(err, HL_ERR_CONFIG, "commit log directory not set");
		goto exit;
	}
	log->dir = hl_strdup(o->dir);
	log->o.dir = log->dir;
	if (log->o.segment_size < 4096)
		log->o.segment_size = 4096;
	if (log->o.segment_size > UINT32_MAX)
		log->o.segment_size = UINT32_MAX;
	if (!log->o.max_entry_size || log->o.max_entry_size > log->o.segment_size - CL_HDR_SIZE)
		log->o.max_entry_size = log->o.segment_size / 2;
	if (!log->o.max_pending)
		log->o.max_pending = 2 * log->o.segment_size < (4u << 20) ? 4u << 20 :
				     2 * log->o.segment_size;
	if (!log->o.period_ms)
		log->o.period_ms = 10000;
	if (mkdirs(log->dir, err))
		goto exit;
	log->dirfd = open(log->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot open commit log directory %s: %s", log->dir,
			strerror(errno));
		goto exit;
	}
	if (cl__list_segments(log->dir, o->shard, &old, &nold, err))
		goto exit;
	for (int i = 0; i < nold; i++) {
		s = hl_calloc(1, sizeof(*s));
		s->id = old[i].id;
		s->path = old[i].path;
		old[i].path = NULL;
		s->fd = -1;
		hl_buf_init(&s->pend);
		s->adopted = s->pinned = s->full = s->done = true;
		seg_append(log, s);
		if (s->id > maxid)
			maxid = s->id;
	}
	log->run = maxid + 1 > now ? maxid + 1 : now;

	/* The first file is made here so that a bad directory fails cl_open. */
	s = seg_new(log, log->run);
	seg_append(log, s);
	if (seg_create(log, s, err))
		goto exit;
	if (hl_write_all(s->fd, s->pend.p, s->pend.len) || fdatasync(s->fd) != 0) {
		hl_errf(err, HL_ERR_WRITE_FAILURE, "cannot write commit log segment %s: %s",
			s->path, strerror(errno));
		goto exit;
	}
	s->written = s->synced = (uint32_t)s->pend.len;
	hl_buf_reset(&s->pend);
	log->durable = (cl_pos){ s->id, s->synced };

	if (pthread_create(&log->thr, NULL, sync_main, log) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot start the commit log sync thread");
		goto exit;
	}
	log->thr_started = true;
	*out = log;
	rc = 0;
exit:
	cl__free_segments(old, nold);
	if (rc) {
		/* a half-created first segment holds nothing: do not leave it */
		if (log->tail && log->tail->fd >= 0)
			unlink(log->tail->path);
		log_free(log);
	}
	return rc;
}

int cl_close(cl_log *log, hl_err *err)
{
	int rc = 0;

	if (!log)
		return 0;
	if (log->thr_started) {
		pthread_mutex_lock(&log->mu);
		log->stop = true;
		pthread_cond_signal(&log->wake);
		pthread_mutex_unlock(&log->mu);
		pthread_join(log->thr, NULL);
	}
	if (log->failed) {
		if (err)
			*err = log->ferr;
		rc = -1;
	}
	log_free(log);
	return rc;
}

/* ------------------------------------------------------------ appends */

int cl_append(cl_log *log, const hl_uuid *table, const st_mutation *m, cl_pos *pos_out,
	      hl_err *err)
{
	hl_buf *b = &log->enc;
	uint32_t len, total;
	cl_seg *s;
	cl_pos pos;
	bool wake = false;
	int rc = -1;

	/* Encode and checksum the payload before taking the lock. */
	hl_buf_reset(b);
	hl_buf_u64(b, 0);                  /* len + len CRC, patched below */
	cl_mutation_encode(b, table, m);
	/* checked before narrowing to u32: max_entry_size < segment_size <= 4 GiB */
	if (b->len - 8 + CL_ENTRY_OVERHEAD > log->o.max_entry_size)
		return hl_errf(err, HL_ERR_INVALID, "Rejected an oversized mutation (%zu/%llu)",
			       b->len - 8 + CL_ENTRY_OVERHEAD,
			       (unsigned long long)log->o.max_entry_size);
	len = (uint32_t)(b->len - 8);
	hl_buf_u32(b, cl__entry_crc(CL_VERSION, b->p + 8, len));
	total = len + CL_ENTRY_OVERHEAD;

	pthread_mutex_lock(&log->mu);
	if (log->failed) {
		hl_errf(err, HL_ERR_WRITE_FAILURE, "commit log failed: %s", log->ferr.msg);
		err->failures = 1;
		snprintf(err->write_type, sizeof err->write_type, "SIMPLE");
		goto exit;
	}
	if (log->unwritten + total > log->o.max_pending) {
		hl_errf(err, HL_ERR_OVERLOADED, "commit log is behind (%llu bytes not yet written)",
			(unsigned long long)log->unwritten);
		goto exit;
	}
	s = log->tail;
	if ((uint64_t)s->size + total > log->o.segment_size && s->size > CL_HDR_SIZE) {
		cl_seg *ns = seg_new(log, s->id + 1);

		s->full = true;
		maybe_obsolete(s);
		seg_append(log, ns);
		s = ns;
		log->filled = wake = true;
	}
	if (log->unwritten == 0 && log->o.mode == CL_SYNC_PERIODIC)
		log->pend_since = mono_ms();
	hl_buf_patch_u32(b, 0, len);
	hl_buf_patch_u32(b, 4, cl__len_crc(CL_VERSION, s->id, len));
	hl_buf_put(&s->pend, b->p, b->len);
	s->size += total;
	log->unwritten += total;
	pos = (cl_pos){ s->id, s->size };
	/* the sync thread re-reads the state under mu before it waits again, so
	 * only a thread that is asleep with nothing planned needs the signal */
	if (log->sleeping || wake || log->unwritten >= log->o.max_pending / CL_WAKE_FRACTION) {
		log->sleeping = false;
		pthread_cond_signal(&log->wake);
	}
	rc = 0;
exit:
	pthread_mutex_unlock(&log->mu);
	if (rc == 0) {
		/* the active segment cannot be freed under us: only full ones are */
		mark_dirty(s, table, pos.offset);
		if (pos_out)
			*pos_out = pos;
	}
	return rc;
}

void cl_kick(cl_log *log)
{
	if (log->o.mode != CL_SYNC_PERIODIC)
		return;
	pthread_mutex_lock(&log->mu);
	if (log->unwritten > 0 && !log->kicked) {
		log->kicked = true;
		/* also a thread waiting on its write delay: it takes the bytes now */
		if (log->waiting) {
			log->sleeping = log->waiting = false;
			pthread_cond_signal(&log->wake);
		}
	}
	pthread_mutex_unlock(&log->mu);
}

cl_pos cl_durable_pos(cl_log *log)
{
	cl_pos p;

	pthread_mutex_lock(&log->mu);
	p = log->durable;
	pthread_mutex_unlock(&log->mu);
	return p;
}

void cl_stats_get(cl_log *log, cl_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&log->mu);
	out->pending_bytes = log->unwritten;
	out->syncs = log->syncs;
	for (const cl_seg *s = log->head; s; s = s->next) {
		out->segments++;
		out->size_bytes += s->size;
	}
	pthread_mutex_unlock(&log->mu);
}

bool cl_failed(cl_log *log)
{
	bool f;

	pthread_mutex_lock(&log->mu);
	f = log->failed;
	pthread_mutex_unlock(&log->mu);
	return f;
}

cl_pos cl_current_pos(cl_log *log)
{
	return (cl_pos){ log->tail->id, log->tail->size };
}

int cl_sync_now(cl_log *log, hl_err *err)
{
	uint64_t t;
	int rc = 0;

	pthread_mutex_lock(&log->mu);
	t = ++log->ticket;
	pthread_cond_signal(&log->wake);
	while (log->ticket_done < t && !log->failed)
		pthread_cond_wait(&log->done_cv, &log->mu);
	if (log->failed) {
		*err = log->ferr;
		rc = -1;
	}
	pthread_mutex_unlock(&log->mu);
	return rc;
}

void cl_discard(cl_log *log, const hl_uuid *table, cl_pos upto)
{
	bool any = false;

	pthread_mutex_lock(&log->mu);
	for (cl_seg *s = log->head; s && s->id <= upto.segment; s = s->next) {
		for (int i = 0; i < s->ndirty; i++) {
			if (memcmp(s->dirty[i].table.b, table->b, 16) != 0)
				continue;
			if (s->id < upto.segment || s->dirty[i].hwm <= upto.offset)
				s->dirty[i] = s->dirty[--s->ndirty];
			break;
		}
		any |= maybe_obsolete(s);
	}
	if (any)
		pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->mu);
}

/* ------------------------------------------------------------ replay */

typedef struct replay_ctx {
	cl_replay_fn fn;
	void *ctx;
	cl_seg **segs;
	int n, cur;
} replay_ctx;

static int replay_mark(void *arg, const hl_uuid *table, const st_mutation *m, cl_pos pos,
		       hl_err *err)
{
	replay_ctx *rc = arg;
	int r = rc->fn(rc->ctx, table, m, pos, err);

	if (r != 0)
		return r;
	while (rc->cur < rc->n && rc->segs[rc->cur]->id != pos.segment)
		rc->cur++;
	if (rc->cur < rc->n)
		mark_dirty(rc->segs[rc->cur], table, pos.offset);
	return 0;
}

int cl_replay_log(cl_log *log, bool ignore_errors, cl_replay_fn fn, void *ctx, hl_err *err)
{
	cl_seginfo *info = NULL;
	replay_ctx rc = { fn, ctx, NULL, 0, 0 };
	bool any = false;
	int n = 0, status = -1;

	pthread_mutex_lock(&log->mu);
	for (cl_seg *s = log->head; s; s = s->next)
		if (s->pinned)
			n++;
	info = hl_calloc((size_t)n + 1, sizeof(*info));
	rc.segs = hl_calloc((size_t)n + 1, sizeof(*rc.segs));
	for (cl_seg *s = log->head; s; s = s->next) {
		if (!s->pinned)
			continue;
		info[rc.n].id = s->id;
		info[rc.n].path = s->path;     /* borrowed: pinned segments stay */
		rc.segs[rc.n++] = s;
	}
	pthread_mutex_unlock(&log->mu);

	if (cl__replay_files(info, rc.n, log->o.shard, ignore_errors, replay_mark, &rc, err))
		goto exit;
	pthread_mutex_lock(&log->mu);
	for (int i = 0; i < rc.n; i++) {
		rc.segs[i]->pinned = false;
		any |= maybe_obsolete(rc.segs[i]);
	}
	if (any)
		pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->mu);
	status = 0;
exit:
	free(info);
	free(rc.segs);
	return status;
}
