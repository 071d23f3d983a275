/*
 * transport/conn.c: the per-connection state machine. Checks each envelope
 * against the negotiated version, the connection state (OPTIONS/STARTUP
 * first, SASL while authenticating) and the opcode table, answers the
 * handshake messages itself, and hands the statement-carrying requests to
 * the caller. Errors tied to one request are answered on its stream and the
 * connection goes on; framing errors are answered and close it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "transport/tp_int.h"

static const char *const opnames[] = {
	"ERROR", "STARTUP", "READY", "AUTHENTICATE", "CREDENTIALS", "OPTIONS", "SUPPORTED",
	"QUERY", "RESULT", "PREPARE", "EXECUTE", "REGISTER", "EVENT", "BATCH",
	"AUTH_CHALLENGE", "AUTH_RESPONSE", "AUTH_SUCCESS",
};

const char *tp_opcode_name(uint8_t op)
{
	return op < sizeof(opnames) / sizeof(opnames[0]) ? opnames[op] : "UNKNOWN";
}

const char *tp_version_name(int v, char buf[16])
{
	snprintf(buf, 16, "%d/v%d", v, v);
	return buf;
}

static bool is_request_op(uint8_t op)
{
	switch (op) {
	case TP_OP_STARTUP:
	case TP_OP_CREDENTIALS:
	case TP_OP_OPTIONS:
	case TP_OP_QUERY:
	case TP_OP_PREPARE:
	case TP_OP_EXECUTE:
	case TP_OP_REGISTER:
	case TP_OP_BATCH:
	case TP_OP_AUTH_RESPONSE:
		return true;
	default:
		return false;
	}
}

void tp_send_error(tp_conn *c, int version, int16_t stream, int code, bool fatal,
		   const char *fmt, ...)
{
	hl_err e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.code = code;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	hl_buf_reset(&c->body);
	tp_encode_error(&c->body, version, &e);
	tp_emit(c, version, stream, TP_OP_ERROR, 0);
	if (fatal)
		c->closing = true;
}

tp_conn *tp_conn_new(const tp_conn_opts *o)
{
	tp_conn *c = hl_calloc(1, sizeof(*c));

	c->max_frame = o && o->max_frame_size ? o->max_frame_size : TP_DEFAULT_MAX_FRAME_SIZE;
	if (c->max_frame < TP_HEADER_LEN)
		c->max_frame = TP_HEADER_LEN;
	c->password_auth = o && o->password_auth;
	c->authenticator = hl_strdup(o && o->authenticator ? o->authenticator
					       : "org.apache.cassandra.auth.PasswordAuthenticator");
	c->arena = hl_arena_new(1024);
	hl_buf_init(&c->in);
	hl_buf_init(&c->env);
	hl_buf_init(&c->big);
	hl_buf_init(&c->out);
	hl_buf_init(&c->pend);
	hl_buf_init(&c->body);
	hl_buf_init(&c->tmp);
	return c;
}

void tp_conn_free(tp_conn *c)
{
	if (!c)
		return;
	hl_buf_free(&c->in);
	hl_buf_free(&c->env);
	hl_buf_free(&c->big);
	hl_buf_free(&c->out);
	hl_buf_free(&c->pend);
	hl_buf_free(&c->body);
	hl_buf_free(&c->tmp);
	hl_arena_free(c->arena);
	free(c->authenticator);
	free(c);
}

int tp_conn_feed(tp_conn *c, const uint8_t *p, size_t n)
{
	if (c->closing)
		return -1;
	/* Drop consumed bytes before growing, so a long-lived connection stays small. */
	if (c->in_off && (c->in_off == c->in.len || c->in_off >= c->in.len / 2)) {
		memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
	if (n)
		hl_buf_put(&c->in, p, n);
	return 0;
}

/* The reply version: the connection's once STARTUP fixed it, else the request's. */
static int reply_version(const tp_conn *c, const tp_hdr *h)
{
	return c->version ? c->version : h->version;
}

/* Skip the v4+ custom payload ([bytes map]) that precedes the message proper. */
static int skip_custom_payload(hl_rd *r, hl_err *err)
{
	uint16_t n;

	if (hl_rd_u16(r, &n))
		return hl_errf(err, HL_ERR_PROTOCOL, "Not enough bytes to read the custom payload");
	for (int i = 0; i < n; i++) {
		const char *k;
		size_t kl;
		const uint8_t *v;
		int32_t vl;

		if (hl_rd_pstring(r, &k, &kl) || hl_rd_pbytes(r, &v, &vl))
			return hl_errf(err, HL_ERR_PROTOCOL, "Not enough bytes to read the custom payload");
	}
	return 0;
}

static void do_startup(tp_conn *c, const tp_hdr *h, hl_rd *r)
{
	hl_err err;

	hl_err_clear(&err);
	if (tp_decode_startup(r, c, h->version, &err)) {
		tp_send_error(c, h->version, h->stream, err.code, false, "%s", err.msg);
		return;
	}
	c->version = h->version;
	c->comp = c->client.compression;
	hl_buf_reset(&c->body);
	if (c->password_auth) {
		c->state = TP_ST_AUTH;
		hl_buf_pstring(&c->body, c->authenticator, strlen(c->authenticator));
		tp_emit(c, c->version, h->stream, TP_OP_AUTHENTICATE, 0);
	} else {
		c->state = TP_ST_READY;
		tp_emit(c, c->version, h->stream, TP_OP_READY, 0);
	}
	/* Everything after the STARTUP reply is framed/compressed as agreed. */
	if (c->version >= 5) {
		c->seg_in = true;
		c->seg_out = true;
	} else if (c->comp != TP_COMP_NONE) {
		c->compress_out = true;
	}
}

/* Checks every envelope passes before its body is looked at. 0: go on. */
static int check_envelope(tp_conn *c, const tp_hdr *h)
{
	int rv = reply_version(c, h);
	uint8_t op = h->opcode;
	char b1[16], b2[16];

	if (h->version < 3 || h->version > 5) {
		/* Only reachable inside v5 segments: frames catch it earlier and close. */
		tp_send_error(c, c->version, h->stream, HL_ERR_PROTOCOL, false,
			      "Invalid or unsupported protocol version (%d); "
			      "supported versions are (3/v3, 4/v4, 5/v5)", h->version);
		return -1;
	}
	if (c->version && h->version != c->version) {
		tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
			      "Invalid message version. Got %s but previous messages on this "
			      "connection had version %s",
			      tp_version_name(h->version, b1), tp_version_name(c->version, b2));
		return -1;
	}
	if (op > TP_OP_AUTH_SUCCESS) {
		tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false, "Unknown opcode %d", op);
		return -1;
	}
	if (is_request_op(op) == h->response) {
		tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
			      "Wrong protocol direction (expected %s, got %s) for opcode %d (%s)",
			      is_request_op(op) ? "REQUEST" : "RESPONSE",
			      h->response ? "RESPONSE" : "REQUEST", op, tp_opcode_name(op));
		return -1;
	}
	if (!is_request_op(op)) {
		tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
			      "Unexpected message %s", tp_opcode_name(op));
		return -1;
	}
	if (op == TP_OP_CREDENTIALS) {
		tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
			      "Legacy credentials authentication is not supported in protocol "
			      "versions > 1. Please use SASL authentication via a SaslResponse message");
		return -1;
	}
	switch (c->state) {
	case TP_ST_INIT:
		if (op != TP_OP_STARTUP && op != TP_OP_OPTIONS) {
			tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
				      "Unexpected message %s, expecting STARTUP or OPTIONS",
				      tp_opcode_name(op));
			return -1;
		}
		break;
	case TP_ST_AUTH:
		if (op != TP_OP_AUTH_RESPONSE && op != TP_OP_OPTIONS) {
			tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
				      "Unexpected message %s, expecting SASL_RESPONSE",
				      tp_opcode_name(op));
			return -1;
		}
		break;
	default:
		if (op == TP_OP_STARTUP) {
			tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
				      "Unexpected message STARTUP, the connection is already initialized");
			return -1;
		}
		if (op == TP_OP_AUTH_RESPONSE && !c->password_auth) {
			tp_send_error(c, rv, h->stream, HL_ERR_PROTOCOL, false,
				      "Unexpected message AUTH_RESPONSE, no authentication is required");
			return -1;
		}
		break;
	}
	return 0;
}

/* 1: *out holds a request for the caller; 0: handled here. */
static int handle(tp_conn *c, const tp_hdr *h, const uint8_t *body, tp_request *out, hl_arena *a)
{
	const uint8_t *p = body;
	size_t n = h->length;
	int rv = reply_version(c, h);
	hl_err err;
	hl_rd r;
	int rc;

	if (check_envelope(c, h))
		return 0;
	/* only code and msg are read back here: no 1 KB memset per request */
	err.code = 0;
	err.msg[0] = '\0';
	if (h->version < 5 && (h->flags & TP_FLAG_COMPRESSED)) {
		if (tp_decompress_body(c, p, n, &err)) {
			tp_send_error(c, rv, h->stream, err.code, false, "%s", err.msg);
			return 0;
		}
		p = c->tmp.p;
		n = c->tmp.len;
	}
	switch (h->opcode) {
	case TP_OP_OPTIONS:
		hl_buf_reset(&c->body);
		tp_encode_supported(&c->body);
		tp_emit(c, rv, h->stream, TP_OP_SUPPORTED, 0);
		return 0;
	case TP_OP_STARTUP:
	case TP_OP_REGISTER:
		hl_rd_init(&r, p, n);
		if ((h->flags & TP_FLAG_CUSTOM_PAYLOAD) && h->version >= 4 &&
		    skip_custom_payload(&r, &err)) {
			tp_send_error(c, rv, h->stream, err.code, false, "%s", err.msg);
			return 0;
		}
		if (h->opcode == TP_OP_STARTUP) {
			do_startup(c, h, &r);
		} else {
			unsigned mask;

			if (tp_decode_register(&r, &mask, &err)) {
				tp_send_error(c, rv, h->stream, err.code, false, "%s", err.msg);
				return 0;
			}
			c->events |= mask;
			hl_buf_reset(&c->body);
			tp_emit(c, rv, h->stream, TP_OP_READY, 0);
		}
		return 0;
	default:
		break;
	}

	/* The request outlives the input buffers: give it its own copy of the body. */
	memset(out, 0, sizeof(*out));
	out->stream = h->stream;
	out->opcode = h->opcode;
	out->version = h->version;
	out->flags = h->flags;
	p = n ? hl_arena_memdup(a, p, n) : NULL;
	hl_rd_init(&r, p, n);
	if ((h->flags & TP_FLAG_CUSTOM_PAYLOAD) && h->version >= 4 && skip_custom_payload(&r, &err)) {
		tp_send_error(c, rv, h->stream, err.code, false, "%s", err.msg);
		return 0;
	}
	switch (h->opcode) {
	case TP_OP_QUERY:
		rc = tp_decode_query(&r, h->version, out, a, &err);
		break;
	case TP_OP_PREPARE:
		rc = tp_decode_prepare(&r, h->version, out, &err);
		break;
	case TP_OP_EXECUTE:
		rc = tp_decode_execute(&r, h->version, out, a, &err);
		break;
	case TP_OP_BATCH:
		rc = tp_decode_batch(&r, h->version, out, a, &err);
		break;
	case TP_OP_AUTH_RESPONSE:
		rc = tp_decode_auth_response(&r, out, &err);
		break;
	default:
		rc = hl_errf(&err, HL_ERR_PROTOCOL, "Unexpected message %s", tp_opcode_name(h->opcode));
		break;
	}
	if (rc) {
		tp_send_error(c, rv, h->stream, err.code, false, "%s", err.msg);
		return 0;
	}
	return 1;
}

int tp_conn_next(tp_conn *c, tp_request *out, hl_arena *a)
{
	tp_hdr h;
	const uint8_t *body;

	while (tp_next_envelope(c, &h, &body)) {
		if (handle(c, &h, body, out, a))
			return 1;
	}
	return 0;
}

/* Responses to a connection that never got STARTUP are a caller bug; v4 is the safest guess. */
static int conn_version(const tp_conn *c)
{
	return c->version ? c->version : 4;
}

/*
 * A traced request's response carries the tracing flag and the session id
 * ([uuid]) ahead of everything else in the body, warnings included; errors
 * too, as Cassandra sets the id on whatever response the request produced.
 */
static uint8_t put_tracing_id(tp_conn *c, const uint8_t *tracing_id)
{
	if (!tracing_id)
		return 0;
	hl_buf_put(&c->body, tracing_id, 16);
	return TP_FLAG_TRACING;
}

void tp_conn_respond_traced(tp_conn *c, int16_t stream, const qry_result *res, const uint8_t *tracing_id)
{
	int v = conn_version(c);
	uint8_t flags = 0;

	hl_buf_reset(&c->body);
	flags |= put_tracing_id(c, tracing_id);
	if (v >= 4 && res->nwarnings > 0) {
		int n = res->nwarnings;

		if (n > (int)(sizeof(res->warnings) / sizeof(res->warnings[0])))
			n = (int)(sizeof(res->warnings) / sizeof(res->warnings[0]));
		flags |= TP_FLAG_WARNING;
		hl_buf_u16(&c->body, (uint16_t)n);
		for (int i = 0; i < n; i++) {
			const char *w = res->warnings[i] ? res->warnings[i] : "";

			hl_buf_pstring(&c->body, w, strlen(w));
		}
	}
	tp_encode_result(&c->body, v, res);
	tp_emit(c, v, stream, TP_OP_RESULT, flags);
}

void tp_conn_respond(tp_conn *c, int16_t stream, const qry_result *res)
{
	tp_conn_respond_traced(c, stream, res, NULL);
}

void tp_conn_respond_error_traced(tp_conn *c, int16_t stream, const hl_err *err, const uint8_t *tracing_id)
{
	int v = conn_version(c);
	uint8_t flags;

	hl_buf_reset(&c->body);
	flags = put_tracing_id(c, tracing_id);
	tp_encode_error(&c->body, v, err);
	tp_emit(c, v, stream, TP_OP_ERROR, flags);
}

void tp_conn_respond_error(tp_conn *c, int16_t stream, const hl_err *err)
{
	tp_conn_respond_error_traced(c, stream, err, NULL);
}

void tp_conn_auth_success(tp_conn *c, int16_t stream, const uint8_t *token, int32_t len)
{
	c->state = TP_ST_READY;
	hl_buf_reset(&c->body);
	hl_buf_pbytes(&c->body, token, token ? len : -1);
	tp_emit(c, conn_version(c), stream, TP_OP_AUTH_SUCCESS, 0);
}

static bool event_wanted(const tp_conn *c, unsigned type)
{
	return !c->closing && c->state == TP_ST_READY && (c->events & type);
}

bool tp_conn_event_schema(tp_conn *c, const qry_result *sc)
{
	if (!event_wanted(c, TP_EVENT_SCHEMA_CHANGE))
		return false;
	hl_buf_reset(&c->body);
	hl_buf_pstring(&c->body, "SCHEMA_CHANGE", 13);
	tp_encode_schema_change(&c->body, sc);
	tp_emit(c, c->version, -1, TP_OP_EVENT, 0);
	return true;
}

static bool node_event(tp_conn *c, unsigned type, const char *name, const char *change,
		       const uint8_t *addr, int addr_len, int32_t port)
{
	if (!event_wanted(c, type) || (addr_len != 4 && addr_len != 16))
		return false;
	hl_buf_reset(&c->body);
	hl_buf_pstring(&c->body, name, strlen(name));
	hl_buf_pstring(&c->body, change, strlen(change));
	hl_buf_u8(&c->body, (uint8_t)addr_len);
	hl_buf_put(&c->body, addr, (size_t)addr_len);
	hl_buf_u32(&c->body, (uint32_t)port);
	tp_emit(c, c->version, -1, TP_OP_EVENT, 0);
	return true;
}

bool tp_conn_event_status(tp_conn *c, const char *change, const uint8_t *addr, int addr_len,
			  int32_t port)
{
	return node_event(c, TP_EVENT_STATUS_CHANGE, "STATUS_CHANGE", change, addr, addr_len, port);
}

bool tp_conn_event_topology(tp_conn *c, const char *change, const uint8_t *addr, int addr_len,
			    int32_t port)
{
	return node_event(c, TP_EVENT_TOPOLOGY_CHANGE, "TOPOLOGY_CHANGE", change, addr, addr_len,
			  port);
}

const uint8_t *tp_conn_output(tp_conn *c, size_t *n)
{
	if (c->pend.len)
		tp_flush_segments(c);
	*n = c->out.len - c->out_off;
	return c->out.p ? c->out.p + c->out_off : NULL;
}

void tp_conn_consume_output(tp_conn *c, size_t n)
{
	size_t left = c->out.len - c->out_off;

	c->out_off += n < left ? n : left;
	if (c->out_off == c->out.len) {
		hl_buf_reset(&c->out);
		c->out_off = 0;
	}
}

bool tp_conn_should_close(const tp_conn *c)
{
	return c->closing;
}

int tp_conn_version(const tp_conn *c)
{
	return c->version;
}

bool tp_conn_ready(const tp_conn *c)
{
	return c->state == TP_ST_READY;
}

unsigned tp_conn_events(const tp_conn *c)
{
	return c->events;
}

const tp_client_info *tp_conn_client(const tp_conn *c)
{
	return &c->client;
}

size_t tp_conn_input_pending(const tp_conn *c)
{
	return (c->in.len - c->in_off) + (c->env.len - c->env_off) + c->big.len;
}

int tp_sasl_plain(const uint8_t *tok, size_t n, const char **user, size_t *user_len,
		  const char **pass, size_t *pass_len)
{
	const uint8_t *z1, *z2;

	if (!tok)
		return -1;
	z1 = memchr(tok, 0, n);
	if (!z1)
		return -1;
	z2 = memchr(z1 + 1, 0, n - (size_t)(z1 + 1 - tok));
	if (!z2)
		return -1;
	*user = (const char *)z1 + 1;
	*user_len = (size_t)(z2 - z1 - 1);
	*pass = (const char *)z2 + 1;
	*pass_len = n - (size_t)(z2 + 1 - tok);
	return 0;
}
