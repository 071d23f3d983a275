/*
 * tools/stress_run.c: the load loop of `helenus stress`.
 *
 * One thread, one epoll set, many connections, many requests in flight on
 * each (distinct stream ids): a blocking one-request-per-connection client
 * spends its time in system calls and context switches and cannot load a
 * server that answers in microseconds. Each wake-up reads everything the
 * sockets hold, completes the requests answered, issues their successors
 * into per-connection output buffers, and writes each buffer with one
 * send(), so requests and replies travel in batches.
 *
 * Connections are set up blocking (OPTIONS, STARTUP, optional PLAIN auth,
 * PREPARE of the statements the command needs, on every connection so a
 * server whose prepared cache is per shard or per connection never answers
 * UNPREPARED), then switched to the loop. The protocol version is the one
 * the caller negotiated on its control connection. Frame and segment
 * encoding and ERROR / RESULT decoding for setup come from the client
 * library; the hot path encodes EXECUTE in place and only counts rows.
 */
#include "tools/stress_int.h"
#include "client/client.h"
#include "core/core.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (256u << 20)
#define SEG_MAX 131071          /* largest v5 segment payload */
#define SETUP_TIMEOUT_MS 10000
/* With requests in flight and no answer for this long, the server is stuck. */
#define STALL_NS (30LL * 1000000000)
#define MAX_ERRORS_SHOWN 10

enum { ST_WRITE, ST_READ, ST_COUNTER, ST_NSTMT };

typedef struct slot {
	bool busy;
	uint8_t op;
	int64_t intended, start;
} slot;

typedef struct prep_id {
	uint8_t id[64], rmid[64];
	size_t id_len, rmid_len;
} prep_id;

typedef struct conn {
	int fd;
	const char *host;
	bool segments;          /* v5 framing on */
	bool want_out;          /* EPOLLOUT registered */
	hl_buf in;              /* socket bytes, from in_off */
	size_t in_off;
	hl_buf env;             /* v5: envelopes reassembled from segments, from env_off */
	size_t env_off;
	hl_buf out;             /* bytes ready for the socket, from out_off */
	size_t out_off;
	hl_buf pend;            /* v5: whole envelopes still to wrap in segments */
	slot *slots;            /* by stream id - 1 */
	int16_t *free_ids;
	int nfree, nslots;
	int inflight, cap;
	prep_id prep[ST_NSTMT];
} conn;

typedef struct frame {
	uint8_t version, flags, opcode;
	int16_t stream;
	const uint8_t *body;
	size_t len;
} frame;

struct stress_run {
	const stress_run_cfg *cfg;
	const stress_opts *o;
	int version;
	int ep;
	conn *conns;
	int nconns;
	int rr;                         /* round-robin cursor for the rate-driven issue */
	stress_pop pop;
	stress_rng rng;                 /* op mix, value sizes */
	stress_rl rl;
	uint64_t issued;
	int64_t inflight;
	int64_t start, end_at;          /* end_at: duration runs */
	bool stopping;
	int64_t last_progress;
	stress_stats cur[STRESS_NOPS];
	int errors_shown;
	bool no_pwait2;
	uint8_t *scratch;               /* one column value */
	size_t scratch_len;
	stress_result *res;
};

/* ---------------------------------------------------------------- small helpers */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int set_msg(stress_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int set_msg(stress_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof res->msg, fmt, ap);
	va_end(ap);
	res->aborted = true;
	return -1;
}

static int ms_until(int64_t deadline)
{
	int64_t left = (deadline - hl_mono_nanos()) / 1000000;

	return left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

/* ---------------------------------------------------------------- frames in */

/* A whole frame at buf+*off (1), more bytes needed (0), or garbage (-1). */
static int take_frame(hl_buf *buf, size_t *off, int version, frame *f, char *msg, size_t mlen)
{
	const uint8_t *p = buf->p + *off;
	size_t n = buf->len - *off;
	uint32_t len;

	if (n < 9)
		return 0;
	if (p[0] != (0x80 | version)) {
		snprintf(msg, mlen, "bad frame header from server (version byte 0x%02x)", p[0]);
		return -1;
	}
	len = (uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
	if (len > MAX_FRAME) {
		snprintf(msg, mlen, "frame of %u bytes from server", len);
		return -1;
	}
	if (n < 9 + (size_t)len)
		return 0;
	f->version = p[0] & 0x7F;
	f->flags = p[1];
	f->stream = (int16_t)(p[2] << 8 | p[3]);
	f->opcode = p[4];
	f->body = p + 9;
	f->len = len;
	*off += 9 + len;
	return 1;
}

/* Drop consumed bytes once they are the larger part of the buffer. */
static void compact(hl_buf *b, size_t *off)
{
	if (*off == b->len) {
		b->len = 0;
		*off = 0;
	} else if (*off > 0 && *off * 2 >= b->len) {
		memmove(b->p, b->p + *off, b->len - *off);
		b->len -= *off;
		*off = 0;
	}
}

/*
 * The next frame from what has been read. Its body points into a conn
 * buffer and stays valid until the next call that reads the socket.
 */
static int next_frame(conn *c, int version, frame *f, char *msg, size_t mlen)
{
	if (!c->segments)
		return take_frame(&c->in, &c->in_off, version, f, msg, mlen);
	for (;;) {
		const uint8_t *payload;
		size_t used, plen;
		bool self;
		hl_err err;
		int rc = take_frame(&c->env, &c->env_off, version, f, msg, mlen);

		if (rc)
			return rc;
		compact(&c->env, &c->env_off);
		rc = cli_segment_decode(c->in.p + c->in_off, c->in.len - c->in_off, &used, &payload,
					&plen, &self, &err);
		if (rc < 0) {
			snprintf(msg, mlen, "%s", err.msg);
			return -1;
		}
		if (rc == 0)
			return 0;
		hl_buf_put(&c->env, payload, plen);
		c->in_off += used;
	}
}

/* Read what the socket holds (at most `limit` bytes). 1 read, 0 nothing, -1 closed/error. */
static int fill(conn *c, size_t limit, char *msg, size_t mlen)
{
	size_t got = 0;

	compact(&c->in, &c->in_off);
	while (got < limit) {
		ssize_t r;

		hl_buf_reserve(&c->in, 65536);
		size_t room = c->in.cap - c->in.len;

		r = recv(c->fd, c->in.p + c->in.len, room, 0);
		if (r > 0) {
			c->in.len += (size_t)r;
			got += (size_t)r;
			/* a short read emptied the socket: skip the recv that would say EAGAIN
			 * (epoll is level-triggered, so later bytes still wake us) */
			if ((size_t)r < room)
				break;
			continue;
		}
		if (r == 0) {
			snprintf(msg, mlen, "connection to %s closed by the server", c->host);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		snprintf(msg, mlen, "connection to %s lost: %s", c->host, strerror(errno));
		return -1;
	}
	return got > 0;
}

/* Skip tracing id, warnings and custom payload ahead of a response body. */
static int body_of(const frame *f, hl_rd *r)
{
	hl_rd_init(r, f->body, f->len);
	if (f->flags & 0x01)
		return -1;      /* compressed: never negotiated */
	if (f->flags & 0x02) {
		const uint8_t *p;

		if (hl_rd_raw(r, 16, &p))
			return -1;
	}
	if (f->flags & 0x08) {
		uint16_t n;

		if (hl_rd_u16(r, &n))
			return -1;
		for (int i = 0; i < n; i++) {
			const char *s;
			size_t sn;

			if (hl_rd_pstring(r, &s, &sn))
				return -1;
		}
	}
	if (f->flags & 0x04) {
		uint16_t n;

		if (hl_rd_u16(r, &n))
			return -1;
		for (int i = 0; i < n; i++) {
			const char *s;
			size_t sn;
			const uint8_t *p;
			int32_t pn;

			if (hl_rd_pstring(r, &s, &sn) || hl_rd_pbytes(r, &p, &pn))
				return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- frames out */

/* Start a request frame in c->out (v4) or c->pend (v5); returns its offset. */
static size_t frame_begin(conn *c, int version, int16_t stream, int opcode)
{
	hl_buf *b = c->segments ? &c->pend : &c->out;
	size_t at = b->len;

	hl_buf_reserve(b, 9);
	b->p[b->len++] = (uint8_t)version;
	b->p[b->len++] = 0;
	put_u16(b->p + b->len, (uint16_t)stream);
	b->len += 2;
	b->p[b->len++] = (uint8_t)opcode;
	b->len += 4;            /* length, patched by frame_end */
	return at;
}

static void frame_end(conn *c, size_t at)
{
	hl_buf *b = c->segments ? &c->pend : &c->out;

	put_u32(b->p + at + 5, (uint32_t)(b->len - at - 9));
}

static hl_buf *frame_buf(conn *c)
{
	return c->segments ? &c->pend : &c->out;
}

/*
 * v5: wrap the pending envelopes into self-contained segments, cutting only
 * between envelopes (a segment may hold several whole envelopes, never a
 * part of one unless that one alone is larger than a segment).
 */
static void wrap_segments(conn *c)
{
	size_t off = 0;

	while (off < c->pend.len) {
		size_t end = off;

		while (end < c->pend.len) {
			const uint8_t *p = c->pend.p + end;
			size_t flen = 9 + ((size_t)p[5] << 24 | (size_t)p[6] << 16 |
					   (size_t)p[7] << 8 | p[8]);

			if (end > off && end + flen - off > SEG_MAX)
				break;
			end += flen;
			if (end - off > SEG_MAX)
				break;  /* one oversized envelope: cut into parts */
		}
		cli_segments_encode(&c->out, c->pend.p + off, end - off);
		off = end;
	}
	c->pend.len = 0;
}

/* Write what is buffered; EPOLLOUT only while the socket is full. */
static int flush(stress_run *r, conn *c)
{
	if (c->segments && c->pend.len)
		wrap_segments(c);
	while (c->out_off < c->out.len) {
		ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);

		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_out && r) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };

				epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
				c->want_out = true;
			}
			return 0;
		}
		return -1;
	}
	c->out.len = c->out_off = 0;
	if (c->want_out && r) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = false;
	}
	return 0;
}

/* ---------------------------------------------------------------- setup (blocking) */

static int tcp_connect(const char *host, const char *port, int *out, char *msg, size_t mlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int64_t deadline = hl_mono_nanos() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
	int rc, fd = -1, last = ECONNREFUSED;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(msg, mlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, soerr = 0;
		socklen_t sl = sizeof soerr;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, ms_until(deadline)) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			last = soerr ? soerr : ETIMEDOUT;
		} else {
			last = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(msg, mlen, "cannot connect to %s:%s: %s", host, port, strerror(last));
		return -1;
	}
	*out = fd;
	return 0;
}

static int setup_flush(conn *c, char *msg, size_t mlen)
{
	int64_t deadline = hl_mono_nanos() + (int64_t)SETUP_TIMEOUT_MS * 1000000;

	for (;;) {
		if (flush(NULL, c)) {
			snprintf(msg, mlen, "connection to %s lost: %s", c->host, strerror(errno));
			return -1;
		}
		if (c->out.len == 0)
			return 0;
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };

		if (poll(&p, 1, ms_until(deadline)) <= 0) {
			snprintf(msg, mlen, "timed out writing to %s", c->host);
			return -1;
		}
	}
}

/* Send one request on stream `stream` and wait for its answer (setup only). */
static int setup_roundtrip(conn *c, int version, int opcode, const hl_buf *body, frame *f,
			   char *msg, size_t mlen)
{
	int64_t deadline = hl_mono_nanos() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
	size_t at = frame_begin(c, version, 0, opcode);

	if (body && body->len)
		hl_buf_put(frame_buf(c), body->p, body->len);
	frame_end(c, at);
	if (setup_flush(c, msg, mlen))
		return -1;
	for (;;) {
		int rc = next_frame(c, version, f, msg, mlen);
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (f->stream != 0)
				continue;       /* an event: never registered for, skip */
			if (f->opcode == CLI_OP_ERROR) {
				hl_err err;

				cli_decode_error(version, f->body, f->len, &err);
				snprintf(msg, mlen, "%.100s: %.400s", c->host, err.msg);
				return -1;
			}
			return 0;
		}
		if (poll(&p, 1, ms_until(deadline)) <= 0) {
			snprintf(msg, mlen, "timed out waiting for %s", c->host);
			return -1;
		}
		if (fill(c, SIZE_MAX, msg, mlen) < 0)
			return -1;
	}
}

static void put_string_map(hl_buf *b, const char *const *kv, int n)
{
	hl_buf_u16(b, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		hl_buf_pstring(b, kv[2 * i], strlen(kv[2 * i]));
		hl_buf_pstring(b, kv[2 * i + 1], strlen(kv[2 * i + 1]));
	}
}

static int prepare(conn *c, int version, const char *cql, prep_id *out, char *msg, size_t mlen)
{
	hl_buf body;
	frame f;
	hl_rd r;
	cli_result *res = NULL;
	hl_err err;
	int rc = -1;

	hl_buf_init(&body);
	hl_buf_plongstring(&body, cql, strlen(cql));
	if (version >= 5)
		hl_buf_u32(&body, 0);
	if (setup_roundtrip(c, version, CLI_OP_PREPARE, &body, &f, msg, mlen))
		goto out;
	if (f.opcode != CLI_OP_RESULT || body_of(&f, &r) ||
	    cli_decode_result(version, r.p + r.pos, hl_rd_left(&r), &res, &err) ||
	    res->kind != CLI_RES_PREPARED) {
		snprintf(msg, mlen, "%s: unexpected answer to PREPARE", c->host);
		goto out;
	}
	if (res->id_len > sizeof out->id || res->result_metadata_id_len > sizeof out->rmid) {
		snprintf(msg, mlen, "%s: prepared statement id too long", c->host);
		goto out;
	}
	memcpy(out->id, res->id, res->id_len);
	out->id_len = res->id_len;
	if (res->result_metadata_id_len)
		memcpy(out->rmid, res->result_metadata_id, res->result_metadata_id_len);
	out->rmid_len = res->result_metadata_id_len;
	rc = 0;
out:
	cli_result_free(res);
	hl_buf_free(&body);
	return rc;
}

static int conn_setup(stress_run *r, conn *c, char *msg, size_t mlen)
{
	const stress_opts *o = r->o;
	const char *kv[6];
	hl_buf body;
	frame f;
	int rc;

	if (tcp_connect(c->host, o->port, &c->fd, msg, mlen))
		return -1;
	if (setup_roundtrip(c, r->version, CLI_OP_OPTIONS, NULL, &f, msg, mlen))
		return -1;
	kv[0] = "CQL_VERSION";
	kv[1] = r->cfg->cql_version && *r->cfg->cql_version ? r->cfg->cql_version : "3.0.0";
	kv[2] = "DRIVER_NAME";
	kv[3] = "Helenus stress";
	kv[4] = "DRIVER_VERSION";
	kv[5] = "0.1.0";
	hl_buf_init(&body);
	put_string_map(&body, kv, 3);
	rc = setup_roundtrip(c, r->version, CLI_OP_STARTUP, &body, &f, msg, mlen);
	hl_buf_free(&body);
	if (rc)
		return -1;
	if (f.opcode != CLI_OP_READY && f.opcode != CLI_OP_AUTHENTICATE) {
		snprintf(msg, mlen, "%s: STARTUP answered with opcode 0x%02x", c->host, f.opcode);
		return -1;
	}
	/* v5 framing starts right after READY or AUTHENTICATE, both ways */
	if (r->version >= 5)
		c->segments = true;
	if (f.opcode == CLI_OP_AUTHENTICATE) {
		hl_buf tok;

		if (!o->user) {
			snprintf(msg, mlen, "%s requires authentication: give -mode user= password=",
				 c->host);
			return -1;
		}
		hl_buf_init(&tok);
		hl_buf_init(&body);
		hl_buf_u8(&tok, 0);
		hl_buf_str(&tok, o->user);
		hl_buf_u8(&tok, 0);
		hl_buf_str(&tok, o->password ? o->password : "");
		hl_buf_pbytes(&body, tok.p, (int32_t)tok.len);
		rc = setup_roundtrip(c, r->version, CLI_OP_AUTH_RESPONSE, &body, &f, msg, mlen);
		hl_buf_free(&tok);
		hl_buf_free(&body);
		if (rc)
			return -1;
		if (f.opcode != CLI_OP_AUTH_SUCCESS) {
			snprintf(msg, mlen, "%s: authentication not accepted", c->host);
			return -1;
		}
	}
	if (o->prepared && o->cmd != STRESS_OPTIONS) {
		char cql[4096];

		if (o->cmd == STRESS_WRITE || o->cmd == STRESS_MIXED) {
			stress_cql_write(o, cql, sizeof cql);
			if (prepare(c, r->version, cql, &c->prep[ST_WRITE], msg, mlen))
				return -1;
		}
		if (o->cmd == STRESS_READ || o->cmd == STRESS_MIXED) {
			stress_cql_read(o, cql, sizeof cql);
			if (prepare(c, r->version, cql, &c->prep[ST_READ], msg, mlen))
				return -1;
		}
		if (o->cmd == STRESS_COUNTER_WRITE) {
			stress_cql_counter(o, cql, sizeof cql);
			if (prepare(c, r->version, cql, &c->prep[ST_COUNTER], msg, mlen))
				return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- requests */

static int pick_op(stress_run *r)
{
	switch (r->o->cmd) {
	case STRESS_WRITE:
		return STRESS_OP_WRITE;
	case STRESS_READ:
		return STRESS_OP_READ;
	case STRESS_COUNTER_WRITE:
		return STRESS_OP_COUNTER_WRITE;
	case STRESS_OPTIONS:
		return STRESS_OP_OPTIONS;
	default: {
		double w = r->o->ratio_write, t = w + r->o->ratio_read;

		return stress_rng_double(&r->rng) * t < w ? STRESS_OP_WRITE : STRESS_OP_READ;
	}
	}
}

static void put_value(hl_buf *b, const uint8_t *p, size_t n)
{
	hl_buf_reserve(b, 4 + n);
	put_u32(b->p + b->len, (uint32_t)n);
	memcpy(b->p + b->len + 4, p, n);
	b->len += 4 + n;
}

/* <query_parameters> up to and including the values. */
static void put_params(stress_run *r, hl_buf *b, int nvals, bool skip_meta)
{
	uint32_t flags = 0x01 | (skip_meta ? 0x02 : 0);

	hl_buf_u16(b, (uint16_t)r->o->cl);
	if (r->version >= 5)
		hl_buf_u32(b, flags);
	else
		hl_buf_u8(b, (uint8_t)flags);
	hl_buf_u16(b, (uint16_t)nvals);
}

static void encode_op(stress_run *r, conn *c, int16_t stream, int op, int64_t seed)
{
	const stress_opts *o = r->o;
	uint8_t key[STRESS_KEY_MAX];
	int st = op == STRESS_OP_READ ? ST_READ : op == STRESS_OP_COUNTER_WRITE ? ST_COUNTER : ST_WRITE;
	size_t at;
	hl_buf *b;
	char cql[4096];

	if (op == STRESS_OP_OPTIONS) {
		at = frame_begin(c, r->version, stream, CLI_OP_OPTIONS);
		frame_end(c, at);
		return;
	}
	stress_key(seed, key, (size_t)o->keysize);
	if (o->prepared) {
		at = frame_begin(c, r->version, stream, CLI_OP_EXECUTE);
		b = frame_buf(c);
		hl_buf_pshortbytes(b, c->prep[st].id, c->prep[st].id_len);
		if (r->version >= 5)
			hl_buf_pshortbytes(b, c->prep[st].rmid, c->prep[st].rmid_len);
	} else {
		at = frame_begin(c, r->version, stream, CLI_OP_QUERY);
		b = frame_buf(c);
		if (st == ST_WRITE)
			stress_cql_write(o, cql, sizeof cql);
		else if (st == ST_READ)
			stress_cql_read(o, cql, sizeof cql);
		else
			stress_cql_counter(o, cql, sizeof cql);
		hl_buf_plongstring(b, cql, strlen(cql));
	}
	switch (op) {
	case STRESS_OP_READ:
		/* prepared: the server may leave out the metadata we never look at */
		put_params(r, b, 1, o->prepared);
		break;
	case STRESS_OP_WRITE:
		put_params(r, b, o->ncols + 1, false);
		for (int i = 0; i < o->ncols; i++) {
			size_t len = (size_t)o->colsize.min;

			if (o->colsize.kind == STRESS_DIST_UNIFORM)
				len += stress_rng_next(&r->rng) %
				       ((uint64_t)(o->colsize.max - o->colsize.min) + 1);
			stress_value(seed, i, r->scratch, len);
			put_value(b, r->scratch, len);
		}
		break;
	case STRESS_OP_COUNTER_WRITE: {
		/* add=fixed(1): every column +1, bigint */
		static const uint8_t one[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

		put_params(r, b, o->ncols + 1, false);
		for (int i = 0; i < o->ncols; i++)
			put_value(b, one, 8);
		break;
	}
	}
	put_value(b, key, (size_t)o->keysize);
	frame_end(c, at);
}

/* More ops may be started (count left, time left). */
static bool more_ops(stress_run *r, int64_t now)
{
	if (r->stopping)
		return false;
	if (r->cfg->count >= 0 && r->issued >= (uint64_t)r->cfg->count)
		return false;
	if (now >= r->end_at)
		return false;
	return true;
}

/* Start one op on c (which has a free stream id). false: the population ran out. */
static bool issue(stress_run *r, conn *c, int64_t intended, int64_t now)
{
	int op = pick_op(r);
	int64_t seed = 0;
	int16_t id;
	slot *s;

	if (op != STRESS_OP_OPTIONS && !stress_pop_next(&r->pop, &seed)) {
		r->stopping = true;     /* -pop seq=... no-wrap: every seed visited */
		return false;
	}
	id = c->free_ids[--c->nfree];
	s = &c->slots[id - 1];
	s->busy = true;
	s->op = (uint8_t)op;
	s->intended = intended;
	s->start = now;
	encode_op(r, c, id, op, seed);
	c->inflight++;
	r->inflight++;
	r->issued++;
	return true;
}

/* Skip one [option] of a column type. */
static int skip_option(hl_rd *rd, int depth)
{
	uint16_t id, n;
	const char *s;
	size_t sn;

	if (depth > 32 || hl_rd_u16(rd, &id))
		return -1;
	switch (id) {
	case 0x0000:
		return hl_rd_pstring(rd, &s, &sn);
	case 0x0020:
	case 0x0022:
		return skip_option(rd, depth + 1);
	case 0x0021:
		return skip_option(rd, depth + 1) || skip_option(rd, depth + 1) ? -1 : 0;
	case 0x0030:
		if (hl_rd_pstring(rd, &s, &sn) || hl_rd_pstring(rd, &s, &sn) || hl_rd_u16(rd, &n))
			return -1;
		for (int i = 0; i < n; i++)
			if (hl_rd_pstring(rd, &s, &sn) || skip_option(rd, depth + 1))
				return -1;
		return 0;
	case 0x0031:
		if (hl_rd_u16(rd, &n))
			return -1;
		for (int i = 0; i < n; i++)
			if (skip_option(rd, depth + 1))
				return -1;
		return 0;
	default:
		return 0;
	}
}

/* Rows in a RESULT body (0 for non-ROWS results); -1 when malformed. */
static int64_t result_rows(hl_rd *rd, int version)
{
	int32_t kind, ncols, nrows;
	uint32_t flags;

	if (hl_rd_i32(rd, &kind))
		return -1;
	if (kind != CLI_RES_ROWS)
		return 0;
	if (hl_rd_u32(rd, &flags) || hl_rd_i32(rd, &ncols) || ncols < 0)
		return -1;
	if (flags & 0x0002) {
		const uint8_t *p;
		int32_t n;

		if (hl_rd_pbytes(rd, &p, &n))
			return -1;
	}
	if (version >= 5 && (flags & 0x0008)) {
		const uint8_t *p;
		size_t n;

		if (hl_rd_pshortbytes(rd, &p, &n))
			return -1;
	}
	if (!(flags & 0x0004)) {
		const char *s;
		size_t sn;

		if ((flags & 0x0001) && (hl_rd_pstring(rd, &s, &sn) || hl_rd_pstring(rd, &s, &sn)))
			return -1;
		for (int32_t i = 0; i < ncols; i++) {
			if (!(flags & 0x0001) &&
			    (hl_rd_pstring(rd, &s, &sn) || hl_rd_pstring(rd, &s, &sn)))
				return -1;
			if (hl_rd_pstring(rd, &s, &sn) || skip_option(rd, 0))
				return -1;
		}
	}
	if (hl_rd_i32(rd, &nrows) || nrows < 0)
		return -1;
	return nrows;
}

static void show_error(stress_run *r, int op, const char *what)
{
	if (r->errors_shown++ < MAX_ERRORS_SHOWN)
		fprintf(stderr, "%s error: %s\n", stress_op_name(op), what);
	else if (r->errors_shown == MAX_ERRORS_SHOWN + 1)
		fprintf(stderr, "(further errors are counted, not shown)\n");
}

/* A response arrived: account for its op and free the stream id. */
static int complete(stress_run *r, conn *c, const frame *f, int64_t now)
{
	slot *s;
	stress_stats *st;
	bool ok = false;
	int64_t rows = 0;

	if (f->stream < 1 || f->stream > c->nslots || !c->slots[f->stream - 1].busy)
		return 0;       /* events (stream -1) and strays */
	s = &c->slots[f->stream - 1];
	st = &r->cur[s->op];
	if (f->opcode == CLI_OP_ERROR) {
		hl_err err;

		cli_decode_error(r->version, f->body, f->len, &err);
		show_error(r, s->op, err.msg);
	} else if (s->op == STRESS_OP_OPTIONS) {
		ok = f->opcode == CLI_OP_SUPPORTED;
		if (!ok)
			show_error(r, s->op, "OPTIONS not answered with SUPPORTED");
	} else if (f->opcode == CLI_OP_RESULT) {
		hl_rd rd;

		if (body_of(f, &rd) || (rows = result_rows(&rd, r->version)) < 0) {
			show_error(r, s->op, "malformed RESULT");
		} else {
			ok = true;
		}
	} else {
		show_error(r, s->op, "unexpected opcode in the answer");
	}
	st->ops++;
	if (!ok) {
		st->errors++;
	} else if (s->op == STRESS_OP_READ) {
		st->partitions += rows > 0;
		st->rows += (uint64_t)rows;
		if (!rows)
			r->res->missing++;
	} else if (s->op != STRESS_OP_OPTIONS) {
		st->partitions++;
		st->rows++;
	}
	hl_hist_record(&st->service.h, (uint64_t)(now - s->start));
	if (r->cfg->rate && r->cfg->rate_from_intended)
		hl_hist_record(&st->response.h, (uint64_t)(now - s->intended));
	s->busy = false;
	c->free_ids[c->nfree++] = f->stream;
	c->inflight--;
	r->inflight--;
	r->last_progress = now;
	return 0;
}

/* ---------------------------------------------------------------- loop */

static void report(stress_run *r, stress_stats *totals, int64_t from, int64_t to, bool last)
{
	for (int i = 0; i < STRESS_NOPS; i++)
		stress_stats_merge(&totals[i], &r->cur[i]);
	if (r->cfg->report)
		r->cfg->report(r->cfg->report_arg, r->cur, totals, from, to, r->start, last);
	for (int i = 0; i < STRESS_NOPS; i++)
		stress_stats_reset(&r->cur[i]);
}

static int wait_events(stress_run *r, struct epoll_event *evs, int n, int64_t timeout_ns)
{
	if (!r->no_pwait2) {
		struct timespec ts = { .tv_sec = timeout_ns / 1000000000,
				       .tv_nsec = timeout_ns % 1000000000 };
		int rc = epoll_pwait2(r->ep, evs, n, &ts, NULL);

		if (rc >= 0 || errno != ENOSYS)
			return rc;
		r->no_pwait2 = true;
	}
	/* millisecond timeouts: round up so a due op is never polled for early */
	return epoll_wait(r->ep, evs, n, (int)((timeout_ns + 999999) / 1000000));
}

/*
 * Rate-driven runs: start every op that is due and has a stream id free.
 * The ops due at one wake-up go out on one connection (the next one at the
 * next wake-up), so they leave in one send() instead of one each.
 */
static void issue_due(stress_run *r, int64_t now)
{
	uint64_t due = stress_rl_due(&r->rl, now);
	int tried = 0;

	while (r->issued < due && r->inflight < r->cfg->threads && more_ops(r, now)) {
		conn *c = &r->conns[r->rr];

		if (c->nfree == 0 || c->inflight >= c->cap) {
			if (++tried >= r->nconns)
				break;  /* all busy: the backlog keeps its intended times */
			r->rr = (r->rr + 1) % r->nconns;
			continue;
		}
		if (!issue(r, c, stress_rl_intended(&r->rl, r->issued), now))
			break;
	}
	r->rr = (r->rr + 1) % r->nconns;
}

static int on_readable(stress_run *r, conn *c, int64_t *now)
{
	char *msg = r->res->msg;
	size_t mlen = sizeof r->res->msg;
	int rc = fill(c, 1 << 20, msg, mlen);

	if (rc < 0)
		return -1;
	*now = hl_mono_nanos();
	for (;;) {
		frame f;

		rc = next_frame(c, r->version, &f, msg, mlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		complete(r, c, &f, *now);
		/* closed loop: each answer starts the next op on the same connection */
		if (!r->cfg->rate && c->inflight < c->cap && more_ops(r, *now))
			issue(r, c, *now, *now);
	}
	return 0;
}

static int loop(stress_run *r, stress_stats *totals)
{
	struct epoll_event evs[64];
	int64_t now = hl_mono_nanos(), next_report;

	r->start = now;
	r->last_progress = now;
	r->end_at = r->cfg->duration_ns > 0 ? now + r->cfg->duration_ns : INT64_MAX;
	r->rl.t0 = now;
	r->rl.rate = r->cfg->rate > 0 ? r->cfg->rate : 1;
	next_report = r->cfg->interval_ns > 0 ? now + r->cfg->interval_ns : INT64_MAX;
	if (!r->cfg->rate) {
		for (int i = 0; i < r->nconns; i++)
			while (r->conns[i].inflight < r->conns[i].cap && more_ops(r, now))
				if (!issue(r, &r->conns[i], now, now))
					break;
	}
	for (;;) {
		int64_t timeout;
		int n;

		if (r->cfg->rate)
			issue_due(r, now);
		for (int i = 0; i < r->nconns; i++) {
			if (r->conns[i].out.len > r->conns[i].out_off || r->conns[i].pend.len) {
				if (flush(r, &r->conns[i]))
					return set_msg(r->res, "connection to %s lost: %s",
						       r->conns[i].host, strerror(errno));
			}
		}
		if (!more_ops(r, now) && r->inflight == 0)
			break;
		if (r->inflight > 0 && now - r->last_progress > STALL_NS)
			return set_msg(r->res, "%lld requests unanswered for %lld s: giving up",
				       (long long)r->inflight, STALL_NS / 1000000000);
		if (now >= next_report) {
			report(r, totals, next_report - r->cfg->interval_ns, next_report, false);
			next_report += r->cfg->interval_ns;
			if (next_report <= now)
				next_report = now + r->cfg->interval_ns;
		}
		timeout = next_report - now;
		if (r->end_at > now && r->end_at - now < timeout)
			timeout = r->end_at - now;
		if (r->cfg->rate && more_ops(r, now) && r->inflight < r->cfg->threads) {
			int64_t due = stress_rl_intended(&r->rl, r->issued) - now;

			if (due < timeout)
				timeout = due < 0 ? 0 : due;
		}
		if (r->inflight > 0 && timeout > 1000000000)
			timeout = 1000000000;   /* keep checking for a stalled server */
		n = wait_events(r, evs, 64, timeout);
		if (n < 0 && errno != EINTR)
			return set_msg(r->res, "epoll: %s", strerror(errno));
		now = hl_mono_nanos();
		for (int i = 0; i < n; i++) {
			conn *c = evs[i].data.ptr;

			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				if (on_readable(r, c, &now))
					return -1;
			}
			if ((evs[i].events & EPOLLOUT) && flush(r, c))
				return set_msg(r->res, "connection to %s lost: %s", c->host,
					       strerror(errno));
		}
	}
	r->res->end_ns = now;
	report(r, totals, next_report == INT64_MAX ? r->start : next_report - r->cfg->interval_ns,
	       now, true);
	return 0;
}

static void conn_free(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	hl_buf_free(&c->in);
	hl_buf_free(&c->env);
	hl_buf_free(&c->out);
	hl_buf_free(&c->pend);
	free(c->slots);
	free(c->free_ids);
}

int stress_run_load(const stress_run_cfg *cfg, stress_result *res)
{
	const stress_opts *o = cfg->o;
	stress_run *r = hl_calloc(1, sizeof *r);
	int per_node = o->connections, total_cap = cfg->threads, rc = -1;

	memset(res, 0, sizeof *res);
	r->cfg = cfg;
	r->o = o;
	r->res = res;
	r->version = cfg->protocol;
	r->ep = -1;
	r->nconns = per_node * o->nnodes;
	r->conns = hl_calloc((size_t)r->nconns, sizeof *r->conns);
	r->scratch_len = (size_t)(o->colsize.max > 0 ? o->colsize.max : 1);
	r->scratch = hl_malloc(r->scratch_len);
	r->rng.s = cfg->rng_seed ^ 0xD1B54A32D192ED03ULL;
	stress_pop_init(&r->pop, &o->pop, cfg->rng_seed);
	for (int i = 0; i < STRESS_NOPS; i++) {
		stress_stats_reset(&r->cur[i]);
		stress_stats_reset(&res->total[i]);
	}
	for (int i = 0; i < r->nconns; i++)
		r->conns[i].fd = -1;

	/* a fixed= schedule needs wake-ups on time: the default 50 us timer slack
	 * would show up as latency the server never caused */
	if (cfg->rate)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->ep < 0) {
		set_msg(res, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < r->nconns; i++) {
		conn *c = &r->conns[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		/* spread the in-flight budget: conn i gets its share, the first ones the remainder */
		int share = total_cap / r->nconns + (i < total_cap % r->nconns);

		c->host = o->nodes[i % o->nnodes];
		c->nslots = o->inflight;
		c->cap = share < o->inflight ? share : o->inflight;
		if (cfg->rate)
			c->cap = o->inflight;   /* the rate, and threads= overall, limit instead */
		c->slots = hl_calloc((size_t)c->nslots, sizeof *c->slots);
		c->free_ids = hl_malloc(sizeof *c->free_ids * (size_t)c->nslots);
		for (int k = 0; k < c->nslots; k++)
			c->free_ids[k] = (int16_t)(c->nslots - k);     /* pops 1 first */
		c->nfree = c->nslots;
		if (conn_setup(r, c, res->msg, sizeof res->msg)) {
			res->aborted = true;
			goto out;
		}
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev)) {
			set_msg(res, "epoll_ctl: %s", strerror(errno));
			goto out;
		}
	}
	if (loop(r, res->total))
		goto out;
	res->start_ns = r->start;
	rc = 0;
out:
	if (rc && !res->start_ns)
		res->start_ns = r->start;
	for (int i = 0; i < r->nconns; i++)
		conn_free(&r->conns[i]);
	if (r->ep >= 0)
		close(r->ep);
	free(r->conns);
	free(r->scratch);
	free(r);
	return rc;
}
