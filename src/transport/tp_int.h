/*
 * transport private header: the tp_conn state and the helpers the
 * transport's files share (framing, body codecs, response encoding).
 * Only the transport's own .c files include it.
 */
#ifndef HL_TP_INT_H
#define HL_TP_INT_H

#include "transport/transport.h"

#define TP_HEADER_LEN 9

enum { TP_ST_INIT, TP_ST_AUTH, TP_ST_READY };

/* A decoded envelope header. */
typedef struct tp_hdr {
	uint8_t version;     /* low 7 bits */
	bool response;       /* direction bit */
	uint8_t flags;
	int16_t stream;
	uint8_t opcode;
	uint32_t length;
} tp_hdr;

struct tp_conn {
	uint32_t max_frame;          /* bound on a whole envelope, header included */
	bool password_auth;
	char *authenticator;

	int state;                   /* TP_ST_* */
	int version;                 /* 0 until STARTUP fixes it */
	int comp;                    /* TP_COMP_* agreed in STARTUP */
	bool compress_out;           /* v4: compress response bodies from now on */
	bool seg_in, seg_out;        /* v5: segment framing active on input / output */
	bool closing;                /* fatal error: no more input is processed */
	unsigned events;
	hl_arena *arena;             /* connection lifetime (client info strings) */
	tp_client_info client;

	/* input: frames, or segments once seg_in */
	hl_buf in;
	size_t in_off;
	uint64_t discard;            /* frame mode: rest of an oversized frame to drop */
	/* v5: payload of self-contained segments (whole envelopes) not yet processed */
	hl_buf env;
	size_t env_off;
	/* v5: a large envelope arriving in non-self-contained segments */
	hl_buf big;
	uint64_t big_skip;           /* rest of an oversized large envelope to drop */

	/* output */
	hl_buf out;
	size_t out_off;
	hl_buf pend;                 /* v5: envelopes not yet packed into segments */

	hl_buf body;                 /* scratch: a response body being built */
	hl_buf tmp;                  /* scratch: (de)compression */
};

/* frame.c: envelopes and segments */
void tp_hdr_parse(const uint8_t *p, tp_hdr *h);
/* Queue a response envelope whose body is c->body (compressing it in v4 when agreed). */
void tp_emit(tp_conn *c, int version, int16_t stream, uint8_t opcode, uint8_t flags);
/* Pack pending v5 envelopes into segments appended to c->out. */
void tp_flush_segments(tp_conn *c);
/*
 * Next whole envelope from the input: 1 with *h and *body (valid until the
 * next call), 0 when more input is needed or the connection is closing.
 */
int tp_next_envelope(tp_conn *c, tp_hdr *h, const uint8_t **body);
/* v4 body decompression into c->tmp. 0 ok, -1 with err (ProtocolError). */
int tp_decompress_body(tp_conn *c, const uint8_t *p, size_t n, hl_err *err);

/* codec.c: request body decoders (the body must already live in arena a) */
int tp_decode_startup(hl_rd *r, tp_conn *c, int version, hl_err *err);
int tp_decode_register(hl_rd *r, unsigned *mask, hl_err *err);
int tp_decode_query(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err);
int tp_decode_prepare(hl_rd *r, int version, tp_request *q, hl_err *err);
int tp_decode_execute(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err);
int tp_decode_batch(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err);
int tp_decode_auth_response(hl_rd *r, tp_request *q, hl_err *err);

/* result.c / error.c / event.c: response bodies appended to b */
void tp_encode_result(hl_buf *b, int version, const qry_result *res);
void tp_encode_error(hl_buf *b, int version, const hl_err *err);
void tp_encode_schema_change(hl_buf *b, const qry_result *res);
void tp_encode_supported(hl_buf *b);

/* Queue an ERROR with just code + message; fatal also marks the connection closing. */
void tp_send_error(tp_conn *c, int version, int16_t stream, int code, bool fatal,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

const char *tp_opcode_name(uint8_t op);
/* "4/v4" as Cassandra's ProtocolVersion prints it. */
const char *tp_version_name(int v, char buf[16]);

#endif
