/*
 * client/conn.c: one blocking connection. TCP connect with a deadline,
 * version negotiation as the drivers do it (try v5, fall back to v4 then v3
 * on "unsupported protocol version", each try on a new TCP connection),
 * OPTIONS/STARTUP, PLAIN SASL, then one request at a time, or several in
 * flight with the *_send calls and cli_recv (replies in the server's order).
 *
 * Receiving is a small state machine over two buffers: raw socket bytes,
 * and (once v5 framing is on) the envelope stream reassembled from segment
 * payloads. Neither is ever left half-consumed by a timeout, so a request
 * that timed out leaves the connection usable: every request gets a fresh
 * stream id and replies to an abandoned one are skipped when they arrive.
 */
#include "client/cli_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Far above any real response, low enough that a garbage length cannot make us allocate GBs. */
#define CLI_MAX_FRAME (256u << 20)

struct cli_conn {
	int fd;
	int version;
	bool segments;        /* v5 framing on (after READY / AUTHENTICATE) */
	int16_t stream;
	hl_buf raw;           /* socket bytes not consumed yet, from raw_off */
	size_t raw_off;
	hl_buf env;           /* v5: envelope bytes from segment payloads, from env_off */
	size_t env_off;
	hl_buf frame;         /* body of the last frame returned */
	hl_buf out;
	int req_timeout_ms;
	char *keyspace;
	char cql_version[64];
};

typedef struct frame {
	uint8_t version, flags, opcode;
	int16_t stream;
	const uint8_t *body;
	size_t len;
} frame;

/* ---------------------------------------------------------------- socket */

static int64_t deadline_after(int ms)
{
	return hl_mono_nanos() + (int64_t)ms * 1000000;
}

static int ms_left(int64_t deadline)
{
	int64_t left = (deadline - hl_mono_nanos()) / 1000000;

	return left < 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

static int wait_fd(int fd, short ev, int64_t deadline, hl_err *err)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		int n = poll(&p, 1, ms_left(deadline));

		if (n > 0)
			return 0;
		if (n == 0)
			return hl_errf(err, CLI_ERR_TIMEOUT, "timed out");
		if (errno != EINTR)
			return hl_errf(err, CLI_ERR_IO, "poll: %s", strerror(errno));
	}
}

static int tcp_connect(const char *host, const char *port, int timeout_ms, int *out, hl_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	int64_t deadline = deadline_after(timeout_ms);
	int rc, fd = -1, last = ECONNREFUSED;
	bool timed_out = false;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return hl_errf(err, CLI_ERR_CONNECT, "cannot resolve %s: %s", host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, soerr = 0;
		socklen_t sl = sizeof soerr;
		hl_err werr;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (wait_fd(fd, POLLOUT, deadline, &werr) == 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			if (werr.code == CLI_ERR_TIMEOUT && !soerr)
				timed_out = true;
			last = soerr ? soerr : ETIMEDOUT;
		} else {
			last = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (timed_out)
			return hl_errf(err, CLI_ERR_TIMEOUT, "connecting to %s:%s timed out", host, port);
		return hl_errf(err, CLI_ERR_CONNECT, "%s", strerror(last));
	}
	*out = fd;
	return 0;
}

static int send_all(cli_conn *c, const uint8_t *p, size_t n, int64_t deadline, hl_err *err)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(c->fd, POLLOUT, deadline, err))
				return -1;
			continue;
		}
		return hl_errf(err, CLI_ERR_IO, "connection lost: %s", strerror(errno));
	}
	return 0;
}

/* Read whatever the socket has (waiting until the deadline) into c->raw. */
static int fill(cli_conn *c, int64_t deadline, hl_err *err)
{
	if (c->raw_off > 0 && c->raw_off * 2 >= c->raw.len) {
		memmove(c->raw.p, c->raw.p + c->raw_off, c->raw.len - c->raw_off);
		c->raw.len -= c->raw_off;
		c->raw_off = 0;
	}
	hl_buf_reserve(&c->raw, 65536);
	for (;;) {
		ssize_t r = recv(c->fd, c->raw.p + c->raw.len, c->raw.cap - c->raw.len, 0);

		if (r > 0) {
			c->raw.len += (size_t)r;
			return 0;
		}
		if (r == 0)
			return hl_errf(err, CLI_ERR_IO, "connection closed by server");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return hl_errf(err, CLI_ERR_IO, "connection lost: %s", strerror(errno));
		if (wait_fd(c->fd, POLLIN, deadline, err))
			return -1;
	}
}

/* ---------------------------------------------------------------- frames */

/* A whole frame at the front of buf+*off, or 0 when more bytes are needed. */
static int take_frame(cli_conn *c, hl_buf *buf, size_t *off, frame *f, hl_err *err)
{
	const uint8_t *p = buf->p + *off;
	size_t n = buf->len - *off;
	uint32_t len;

	if (n < 9)
		return 0;
	if (!(p[0] & 0x80) || (p[0] & 0x7F) < 3 || (p[0] & 0x7F) > 5)
		return hl_errf(err, CLI_ERR_MALFORMED, "bad frame header from server (version byte 0x%02x)",
			       p[0]);
	len = (uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
	if (len > CLI_MAX_FRAME)
		return hl_errf(err, CLI_ERR_MALFORMED, "frame of %u bytes from server is too large",
			       len);
	if (n < 9 + (size_t)len)
		return 0;
	f->version = p[0] & 0x7F;
	f->flags = p[1];
	f->stream = (int16_t)(p[2] << 8 | p[3]);
	f->opcode = p[4];
	hl_buf_reset(&c->frame);
	hl_buf_put(&c->frame, p + 9, len);
	f->body = c->frame.p;
	f->len = len;
	*off += 9 + len;
	if (*off == buf->len) {
		buf->len = 0;
		*off = 0;
	}
	return 1;
}

static int next_frame(cli_conn *c, int64_t deadline, frame *f, hl_err *err)
{
	for (;;) {
		int rc;

		if (c->segments) {
			const uint8_t *payload;
			size_t used, plen;
			bool self;

			rc = take_frame(c, &c->env, &c->env_off, f, err);
			if (rc)
				return rc < 0 ? -1 : 0;
			rc = cli_segment_decode(c->raw.p + c->raw_off, c->raw.len - c->raw_off, &used,
						&payload, &plen, &self, err);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				if (c->env_off > 0 && c->env_off * 2 >= c->env.len) {
					memmove(c->env.p, c->env.p + c->env_off, c->env.len - c->env_off);
					c->env.len -= c->env_off;
					c->env_off = 0;
				}
				hl_buf_put(&c->env, payload, plen);
				c->raw_off += used;
				if (c->env.len - c->env_off > CLI_MAX_FRAME + 9)
					return hl_errf(err, CLI_ERR_MALFORMED, "envelope too large");
				continue;
			}
		} else {
			rc = take_frame(c, &c->raw, &c->raw_off, f, err);
			if (rc)
				return rc < 0 ? -1 : 0;
		}
		if (fill(c, deadline, err))
			return -1;
	}
}

static int send_frame(cli_conn *c, int opcode, const hl_buf *body, int flags, int64_t deadline,
		      int16_t *sid, hl_err *err)
{
	hl_buf env;
	int rc;

	/* stream ids 1..32767 cycling; 0 and negatives are never ours */
	c->stream = (int16_t)(c->stream >= 32767 || c->stream < 1 ? 1 : c->stream + 1);
	*sid = c->stream;
	hl_buf_init(&env);
	cli_frame_encode(&env, c->version, c->stream, opcode, body ? body->p : NULL,
			 body ? body->len : 0);
	env.p[1] = (uint8_t)flags;
	if (c->segments) {
		hl_buf_reset(&c->out);
		cli_segments_encode(&c->out, env.p, env.len);
		rc = send_all(c, c->out.p, c->out.len, deadline, err);
	} else {
		rc = send_all(c, env.p, env.len, deadline, err);
	}
	hl_buf_free(&env);
	return rc;
}

/*
 * Send one request and wait for its reply (skipping events and replies to
 * abandoned requests). An ERROR reply is decoded into err and returns -1.
 */
static int roundtrip(cli_conn *c, int opcode, const hl_buf *body, int flags, int timeout_ms,
		     frame *f, hl_err *err)
{
	int64_t deadline = deadline_after(timeout_ms);
	int16_t sid;

	if (c->fd < 0)
		return hl_errf(err, CLI_ERR_IO, "not connected");
	if (send_frame(c, opcode, body, flags, deadline, &sid, err))
		goto broken;     /* a half-sent request cannot be taken back */
	do {
		if (next_frame(c, deadline, f, err)) {
			if (err->code == CLI_ERR_TIMEOUT) {
				/* the reply may still come: it will be skipped by stream id */
				hl_errf(err, CLI_ERR_TIMEOUT, "Client request timeout after %d ms",
					timeout_ms);
				return -1;
			}
			goto broken;
		}
	} while (f->stream != sid);
	if (f->flags & 0x01)
		return hl_errf(err, CLI_ERR_MALFORMED, "compressed frame from server (none was agreed)");
	if (f->opcode == CLI_OP_ERROR) {
		cli_decode_error(f->version, f->body, f->len, err);
		return -1;
	}
	return 0;
broken:
	/* a byte stream we lost track of cannot be resynchronised */
	close(c->fd);
	c->fd = -1;
	return -1;
}

/* Strip tracing id / warnings / custom payload from a response body. */
static int frame_extras(const frame *f, hl_rd *r, bool *has_trace, uint8_t trace[16],
			const char ***warn, int *nwarn, hl_arena *a, hl_err *err)
{
	hl_rd_init(r, f->body, f->len);
	*has_trace = false;
	*nwarn = 0;
	if (f->flags & 0x02) {
		const uint8_t *p;

		if (hl_rd_raw(r, 16, &p))
			return hl_errf(err, CLI_ERR_MALFORMED, "short tracing id");
		memcpy(trace, p, 16);
		*has_trace = true;
	}
	if (f->flags & 0x08) {
		uint16_t n;

		if (hl_rd_u16(r, &n) || (size_t)n > hl_rd_left(r) / 2)
			return hl_errf(err, CLI_ERR_MALFORMED, "bad warnings list");
		*warn = hl_arena_zalloc(a, sizeof **warn * (size_t)(n ? n : 1));
		for (int i = 0; i < n; i++) {
			const char *s;
			size_t sn;

			if (hl_rd_pstring(r, &s, &sn))
				return hl_errf(err, CLI_ERR_MALFORMED, "bad warnings list");
			(*warn)[i] = hl_arena_strndup(a, s, sn);
		}
		*nwarn = n;
	}
	if (f->flags & 0x04) {
		uint16_t n;

		if (hl_rd_u16(r, &n))
			return hl_errf(err, CLI_ERR_MALFORMED, "bad custom payload");
		for (int i = 0; i < n; i++) {
			const char *s;
			size_t sn;
			const uint8_t *p;
			int32_t pn;

			if (hl_rd_pstring(r, &s, &sn) || hl_rd_pbytes(r, &p, &pn))
				return hl_errf(err, CLI_ERR_MALFORMED, "bad custom payload");
		}
	}
	return 0;
}

/* A RESULT reply (anything else is a protocol violation) decoded into *out. */
static int result_of(cli_conn *c, const frame *f, cli_result **out, hl_err *err)
{
	hl_arena *tmp;
	hl_rd r;
	bool has_trace;
	uint8_t trace[16] = { 0 };
	const char **warn = NULL;
	int nwarn, rc = -1;
	cli_result *res;

	if (f->opcode != CLI_OP_RESULT)
		return hl_errf(err, CLI_ERR_MALFORMED, "unexpected opcode 0x%02x from server", f->opcode);
	tmp = hl_arena_new(1024);
	if (frame_extras(f, &r, &has_trace, trace, &warn, &nwarn, tmp, err))
		goto out;
	if (cli_decode_result(f->version, r.p + r.pos, hl_rd_left(&r), &res, err))
		goto out;
	res->has_tracing_id = has_trace;
	memcpy(res->tracing_id, trace, 16);
	if (nwarn) {
		res->warnings = hl_arena_zalloc(res->arena, sizeof *res->warnings * (size_t)nwarn);
		for (int i = 0; i < nwarn; i++)
			res->warnings[i] = hl_arena_strdup(res->arena, warn[i]);
		res->nwarnings = nwarn;
	}
	if (res->kind == CLI_RES_SET_KEYSPACE) {
		free(c->keyspace);
		c->keyspace = hl_strdup(res->keyspace);
	}
	*out = res;
	rc = 0;
out:
	hl_arena_free(tmp);
	return rc;
}

/* ---------------------------------------------------------------- handshake */

static void put_string_map(hl_buf *b, const char *const *kv, int n)
{
	hl_buf_u16(b, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		hl_buf_pstring(b, kv[2 * i], strlen(kv[2 * i]));
		hl_buf_pstring(b, kv[2 * i + 1], strlen(kv[2 * i + 1]));
	}
}

/* The first CQL_VERSION of a SUPPORTED [string multimap]. */
static int parse_supported(cli_conn *c, const frame *f, hl_err *err)
{
	hl_rd r;
	uint16_t n, m;

	if (f->opcode != CLI_OP_SUPPORTED)
		return hl_errf(err, CLI_ERR_MALFORMED, "OPTIONS answered with opcode 0x%02x", f->opcode);
	hl_rd_init(&r, f->body, f->len);
	if (hl_rd_u16(&r, &n))
		return hl_errf(err, CLI_ERR_MALFORMED, "bad SUPPORTED body");
	for (int i = 0; i < n; i++) {
		const char *k, *v;
		size_t kn, vn;

		if (hl_rd_pstring(&r, &k, &kn) || hl_rd_u16(&r, &m))
			return hl_errf(err, CLI_ERR_MALFORMED, "bad SUPPORTED body");
		for (int j = 0; j < m; j++) {
			if (hl_rd_pstring(&r, &v, &vn))
				return hl_errf(err, CLI_ERR_MALFORMED, "bad SUPPORTED body");
			if (j == 0 && kn == 11 && !memcmp(k, "CQL_VERSION", 11) &&
			    vn < sizeof c->cql_version) {
				memcpy(c->cql_version, v, vn);
				c->cql_version[vn] = 0;
			}
		}
	}
	return 0;
}

static bool version_refused(const hl_err *e)
{
	return (e->code == HL_ERR_PROTOCOL || e->code == HL_ERR_SERVER) &&
	       (strcasestr(e->msg, "unsupported protocol version") ||
		strcasestr(e->msg, "Beta version of the protocol"));
}

static int authenticate(cli_conn *c, const cli_opts *o, int timeout_ms, hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;

	if (!o->username)
		return hl_errf(err, CLI_ERR_AUTH, "Remote end requires authentication");
	hl_buf_init(&body);
	{
		/* SASL PLAIN: authzid (empty) NUL user NUL password */
		hl_buf tok;
		const char *pw = o->password ? o->password : "";

		hl_buf_init(&tok);
		hl_buf_u8(&tok, 0);
		hl_buf_str(&tok, o->username);
		hl_buf_u8(&tok, 0);
		hl_buf_str(&tok, pw);
		hl_buf_pbytes(&body, tok.p, (int32_t)tok.len);
		hl_buf_free(&tok);
	}
	rc = roundtrip(c, CLI_OP_AUTH_RESPONSE, &body, 0, timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc)
		return -1;
	if (f.opcode == CLI_OP_AUTH_SUCCESS)
		return 0;
	if (f.opcode == CLI_OP_AUTH_CHALLENGE)
		return hl_errf(err, CLI_ERR_AUTH, "the server sent a SASL challenge PLAIN cannot answer");
	return hl_errf(err, CLI_ERR_MALFORMED, "AUTH_RESPONSE answered with opcode 0x%02x", f.opcode);
}

static int handshake(cli_conn *c, const cli_opts *o, int timeout_ms, hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;
	const char *kv[6];

	if (roundtrip(c, CLI_OP_OPTIONS, NULL, 0, timeout_ms, &f, err) || parse_supported(c, &f, err))
		return -1;
	kv[0] = "CQL_VERSION";
	kv[1] = o->cql_version ? o->cql_version : c->cql_version[0] ? c->cql_version : "3.4.7";
	kv[2] = "DRIVER_NAME";
	kv[3] = "Helenus cql";
	kv[4] = "DRIVER_VERSION";
	kv[5] = "0.1.0";
	hl_buf_init(&body);
	put_string_map(&body, kv, 3);
	rc = roundtrip(c, CLI_OP_STARTUP, &body, 0, timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc)
		return -1;
	if (f.opcode != CLI_OP_READY && f.opcode != CLI_OP_AUTHENTICATE)
		return hl_errf(err, CLI_ERR_MALFORMED, "STARTUP answered with opcode 0x%02x", f.opcode);
	/* v5 framing starts right after READY or AUTHENTICATE, both ways */
	if (c->version >= 5)
		c->segments = true;
	if (f.opcode == CLI_OP_AUTHENTICATE)
		return authenticate(c, o, timeout_ms, err);
	return 0;
}

static void conn_free(cli_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	hl_buf_free(&c->raw);
	hl_buf_free(&c->env);
	hl_buf_free(&c->frame);
	hl_buf_free(&c->out);
	free(c->keyspace);
	free(c);
}

static int try_version(const cli_opts *o, int version, int timeout_ms, cli_conn **out, hl_err *err)
{
	cli_conn *c = hl_calloc(1, sizeof *c);

	c->fd = -1;
	c->version = version;
	c->req_timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 10000;
	if (tcp_connect(o->host ? o->host : "127.0.0.1", o->port ? o->port : "9042", timeout_ms,
			&c->fd, err) ||
	    handshake(c, o, timeout_ms, err)) {
		conn_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* USE with the name quoted unless it is a plain lower-case identifier. */
static int use_keyspace(cli_conn *c, const char *ks, hl_err *err)
{
	hl_buf q;
	bool plain = ks[0] >= 'a' && ks[0] <= 'z';
	cli_qopts qo;
	cli_result *res;
	int rc;

	for (const char *p = ks; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	hl_buf_init(&q);
	hl_buf_str(&q, "USE ");
	if (plain) {
		hl_buf_str(&q, ks);
	} else {
		hl_buf_u8(&q, '"');
		for (const char *p = ks; *p; p++) {
			if (*p == '"')
				hl_buf_u8(&q, '"');
			hl_buf_u8(&q, (uint8_t)*p);
		}
		hl_buf_u8(&q, '"');
	}
	cli_qopts_init(&qo);
	rc = cli_query(c, (const char *)q.p, q.len, &qo, &res, err);
	hl_buf_free(&q);
	if (rc == 0)
		cli_result_free(res);
	return rc;
}

int cli_connect(const cli_opts *o, cli_conn **out, hl_err *err)
{
	int timeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
	int v = o->protocol ? o->protocol : 5;
	cli_conn *c = NULL;

	hl_err_clear(err);
	if (v < 3 || v > 5)
		return hl_errf(err, CLI_ERR_USAGE, "unsupported protocol version %d (3, 4 or 5)", v);
	for (;;) {
		if (try_version(o, v, timeout, &c, err) == 0)
			break;
		if (o->protocol || !version_refused(err) || v <= 3)
			return -1;
		v--;
	}
	if (o->keyspace && use_keyspace(c, o->keyspace, err)) {
		conn_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void cli_close(cli_conn *c)
{
	if (c)
		conn_free(c);
}

bool cli_connected(const cli_conn *c)
{
	return c && c->fd >= 0;
}

int cli_protocol(const cli_conn *c)
{
	return c->version;
}

const char *cli_keyspace(const cli_conn *c)
{
	return c->keyspace;
}

const char *cli_server_cql_version(const cli_conn *c)
{
	return c->cql_version;
}

void cli_set_request_timeout(cli_conn *c, int ms)
{
	c->req_timeout_ms = ms > 0 ? ms : 10000;
}

/* ---------------------------------------------------------------- requests */

int cli_query(cli_conn *c, const char *cql, size_t len, const cli_qopts *q, cli_result **out,
	      hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;

	hl_err_clear(err);
	hl_buf_init(&body);
	cli_encode_query(&body, c->version, cql, len, q);
	rc = roundtrip(c, CLI_OP_QUERY, &body, q->tracing ? 0x02 : 0, c->req_timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc)
		return -1;
	return result_of(c, &f, out, err);
}

int cli_prepare(cli_conn *c, const char *cql, size_t len, cli_result **out, hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;

	hl_err_clear(err);
	hl_buf_init(&body);
	hl_buf_plongstring(&body, cql, len);
	if (c->version >= 5)
		hl_buf_u32(&body, 0);
	rc = roundtrip(c, CLI_OP_PREPARE, &body, 0, c->req_timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc || result_of(c, &f, out, err))
		return -1;
	if ((*out)->kind != CLI_RES_PREPARED) {
		cli_result_free(*out);
		return hl_errf(err, CLI_ERR_MALFORMED, "PREPARE answered with result kind %d",
			       (*out)->kind);
	}
	return 0;
}

static void put_prepared_id(hl_buf *b, int version, const cli_result *prep)
{
	hl_buf_pshortbytes(b, prep->id, prep->id_len);
	if (version >= 5)
		hl_buf_pshortbytes(b, prep->result_metadata_id, prep->result_metadata_id_len);
}

int cli_execute(cli_conn *c, const cli_result *prep, const cli_value *vals, int nvals,
		const cli_qopts *q, cli_result **out, hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;

	hl_err_clear(err);
	if (!prep || prep->kind != CLI_RES_PREPARED)
		return hl_errf(err, CLI_ERR_USAGE, "EXECUTE needs a prepared statement");
	hl_buf_init(&body);
	put_prepared_id(&body, c->version, prep);
	cli__encode_params(&body, c->version, q, vals, nvals, true);
	rc = roundtrip(c, CLI_OP_EXECUTE, &body, q->tracing ? 0x02 : 0, c->req_timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc)
		return -1;
	return result_of(c, &f, out, err);
}

/* BATCH body: type, statements (prepared ids or query strings) with values, then the flags. */
static int encode_batch(hl_buf *body, int version, int type, const cli_batch_stmt *stmts, int n,
			const cli_qopts *q, hl_err *err)
{
	uint32_t flags = 0;

	if (n < 0 || n > 65535)
		return hl_errf(err, CLI_ERR_USAGE, "a batch holds 0 to 65535 statements");
	hl_buf_u8(body, (uint8_t)type);
	hl_buf_u16(body, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		if (stmts[i].prep) {
			hl_buf_u8(body, 1);
			hl_buf_pshortbytes(body, stmts[i].prep->id, stmts[i].prep->id_len);
		} else {
			hl_buf_u8(body, 0);
			hl_buf_plongstring(body, stmts[i].cql, strlen(stmts[i].cql));
		}
		hl_buf_u16(body, (uint16_t)stmts[i].nvals);
		for (int j = 0; j < stmts[i].nvals; j++)
			hl_buf_pbytes(body, stmts[i].vals[j].p,
				      stmts[i].vals[j].n < 0 ? (stmts[i].vals[j].n == -2 ? -2 : -1)
							     : stmts[i].vals[j].n);
	}
	if (q->serial_consistency > 0)
		flags |= 0x10;
	if (q->timestamp)
		flags |= 0x20;
	if (version >= 5 && q->keyspace)
		flags |= 0x80;
	hl_buf_u16(body, (uint16_t)q->consistency);
	if (version >= 5)
		hl_buf_u32(body, flags);
	else
		hl_buf_u8(body, (uint8_t)flags);
	if (flags & 0x10)
		hl_buf_u16(body, (uint16_t)q->serial_consistency);
	if (flags & 0x20)
		hl_buf_u64(body, (uint64_t)q->timestamp);
	if (flags & 0x80)
		hl_buf_pstring(body, q->keyspace, strlen(q->keyspace));
	return 0;
}

int cli_batch(cli_conn *c, int type, const cli_batch_stmt *stmts, int n, const cli_qopts *q,
	      cli_result **out, hl_err *err)
{
	hl_buf body;
	frame f;
	int rc;

	hl_err_clear(err);
	hl_buf_init(&body);
	if (encode_batch(&body, c->version, type, stmts, n, q, err)) {
		hl_buf_free(&body);
		return -1;
	}
	rc = roundtrip(c, CLI_OP_BATCH, &body, q->tracing ? 0x02 : 0, c->req_timeout_ms, &f, err);
	hl_buf_free(&body);
	if (rc)
		return -1;
	return result_of(c, &f, out, err);
}

/* ---------------------------------------------------------------- pipelining */

static int send_only(cli_conn *c, int opcode, hl_buf *body, int flags, int *stream, hl_err *err)
{
	int16_t sid;
	int rc;

	if (c->fd < 0)
		rc = hl_errf(err, CLI_ERR_IO, "not connected");
	else if ((rc = send_frame(c, opcode, body, flags, deadline_after(c->req_timeout_ms), &sid,
				   err))) {
		close(c->fd);     /* a half-sent request cannot be taken back */
		c->fd = -1;
	} else {
		*stream = sid;
	}
	hl_buf_free(body);
	return rc;
}

int cli_batch_send(cli_conn *c, int type, const cli_batch_stmt *stmts, int n, const cli_qopts *q,
		   int *stream, hl_err *err)
{
	hl_buf body;

	hl_err_clear(err);
	hl_buf_init(&body);
	if (encode_batch(&body, c->version, type, stmts, n, q, err)) {
		hl_buf_free(&body);
		return -1;
	}
	return send_only(c, CLI_OP_BATCH, &body, q->tracing ? 0x02 : 0, stream, err);
}

int cli_query_send(cli_conn *c, const char *cql, size_t len, const cli_qopts *q, int *stream,
		   hl_err *err)
{
	hl_buf body;

	hl_err_clear(err);
	hl_buf_init(&body);
	cli_encode_query(&body, c->version, cql, len, q);
	return send_only(c, CLI_OP_QUERY, &body, q->tracing ? 0x02 : 0, stream, err);
}

int cli_execute_send(cli_conn *c, const cli_result *prep, const cli_value *vals, int nvals,
		     const cli_qopts *q, int *stream, hl_err *err)
{
	hl_buf body;

	hl_err_clear(err);
	if (!prep || prep->kind != CLI_RES_PREPARED)
		return hl_errf(err, CLI_ERR_USAGE, "EXECUTE needs a prepared statement");
	hl_buf_init(&body);
	put_prepared_id(&body, c->version, prep);
	cli__encode_params(&body, c->version, q, vals, nvals, true);
	return send_only(c, CLI_OP_EXECUTE, &body, q->tracing ? 0x02 : 0, stream, err);
}

int cli_recv(cli_conn *c, int *stream, cli_result **out, hl_err *err)
{
	frame f;

	hl_err_clear(err);
	*stream = -1;
	if (c->fd < 0)
		return hl_errf(err, CLI_ERR_IO, "not connected");
	do {
		if (next_frame(c, deadline_after(c->req_timeout_ms), &f, err)) {
			if (err->code == CLI_ERR_TIMEOUT)
				return hl_errf(err, CLI_ERR_TIMEOUT, "Client request timeout after %d ms",
					       c->req_timeout_ms);
			close(c->fd);
			c->fd = -1;
			return -1;
		}
	} while (f.stream < 0);   /* events */
	*stream = f.stream;
	if (f.flags & 0x01)
		return hl_errf(err, CLI_ERR_MALFORMED, "compressed frame from server (none was agreed)");
	if (f.opcode == CLI_OP_ERROR) {
		cli_decode_error(f.version, f.body, f.len, err);
		return -1;
	}
	return result_of(c, &f, out, err);
}
