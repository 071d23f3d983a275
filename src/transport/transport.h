/*
 * transport: the CQL native protocol (v3, v4, v5) as a sans-IO engine, one
 * tp_conn per client connection. The network layer feeds received bytes in
 * and writes whatever output the engine produced; it never parses a frame.
 *
 * The engine answers the handshake itself (OPTIONS -> SUPPORTED, STARTUP ->
 * READY/AUTHENTICATE, REGISTER -> READY, version negotiation errors, framing
 * and decoding errors) and hands QUERY, PREPARE, EXECUTE, BATCH and, with
 * password authentication, AUTH_RESPONSE out as decoded tp_requests. The
 * caller answers each one later, in any order, by stream id.
 *
 * Framing: plain frames (9-byte header) for v3/v4 and for the v5 handshake;
 * v5 segments (CRC24 header, CRC32 payload, optional LZ4) once the STARTUP
 * reply has been queued. v4 bodies are LZ4- or Snappy-compressed when
 * STARTUP agreed on it.
 *
 * Prefix: tp_.
 */
#ifndef HL_TRANSPORT_H
#define HL_TRANSPORT_H

#include "core/core.h"
#include "query/query.h"

/* native_transport_max_frame_size default (cassandra.yaml: 16MiB). */
#define TP_DEFAULT_MAX_FRAME_SIZE (16u * 1024 * 1024)
/* Largest v5 segment payload (17-bit length field). */
#define TP_SEGMENT_MAX_PAYLOAD 131071

/* Message opcodes (native_protocol_v5.spec section 2.4). */
enum {
	TP_OP_ERROR = 0x00,
	TP_OP_STARTUP = 0x01,
	TP_OP_READY = 0x02,
	TP_OP_AUTHENTICATE = 0x03,
	TP_OP_CREDENTIALS = 0x04,      /* v1 only; refused */
	TP_OP_OPTIONS = 0x05,
	TP_OP_SUPPORTED = 0x06,
	TP_OP_QUERY = 0x07,
	TP_OP_RESULT = 0x08,
	TP_OP_PREPARE = 0x09,
	TP_OP_EXECUTE = 0x0A,
	TP_OP_REGISTER = 0x0B,
	TP_OP_EVENT = 0x0C,
	TP_OP_BATCH = 0x0D,
	TP_OP_AUTH_CHALLENGE = 0x0E,
	TP_OP_AUTH_RESPONSE = 0x0F,
	TP_OP_AUTH_SUCCESS = 0x10,
};

/* Envelope header flags. */
enum {
	TP_FLAG_COMPRESSED = 0x01,
	TP_FLAG_TRACING = 0x02,
	TP_FLAG_CUSTOM_PAYLOAD = 0x04,
	TP_FLAG_WARNING = 0x08,
	TP_FLAG_USE_BETA = 0x10,
};

/* Event types a client REGISTERed for (bit mask, see tp_conn_events). */
enum {
	TP_EVENT_TOPOLOGY_CHANGE = 0x1,
	TP_EVENT_STATUS_CHANGE = 0x2,
	TP_EVENT_SCHEMA_CHANGE = 0x4,
};

enum { TP_COMP_NONE = 0, TP_COMP_LZ4 = 1, TP_COMP_SNAPPY = 2 };

typedef struct tp_conn_opts {
	uint32_t max_frame_size;     /* 0: TP_DEFAULT_MAX_FRAME_SIZE (includes the 9-byte header) */
	bool password_auth;          /* STARTUP -> AUTHENTICATE; AUTH_RESPONSE goes to the caller */
	const char *authenticator;   /* class named in AUTHENTICATE; NULL: PasswordAuthenticator */
} tp_conn_opts;

/* What the client said in STARTUP (strings live as long as the tp_conn). */
typedef struct tp_client_info {
	const char *cql_version;
	const char *driver_name;
	const char *driver_version;
	const char *client_id;
	const char *application_name;
	const char *application_version;
	bool no_compact;
	bool throw_on_overload;      /* THROW_ON_OVERLOAD=1: answer overload with OVERLOADED */
	int compression;             /* TP_COMP_* */
} tp_client_info;

/*
 * A decoded request. Every pointer points into the request arena passed to
 * tp_conn_next (the body is copied there), so the request stays valid until
 * that arena is reset, independently of the connection's buffers. Only the
 * fields of the request's opcode are set; the rest are zero.
 */
typedef struct tp_request {
	int16_t stream;
	uint8_t opcode;              /* TP_OP_QUERY / PREPARE / EXECUTE / BATCH / AUTH_RESPONSE */
	uint8_t version;             /* 3, 4 or 5 */
	uint8_t flags;               /* envelope flags as received (TP_FLAG_TRACING...) */
	/* QUERY, PREPARE */
	const char *query;
	size_t query_len;
	/* QUERY, EXECUTE */
	qry_params params;
	/* EXECUTE */
	const uint8_t *id;
	size_t id_len;
	const uint8_t *result_metadata_id;   /* v5; NULL before */
	size_t result_metadata_id_len;
	/* PREPARE (v5): flags and the 0x01 keyspace */
	uint32_t prepare_flags;
	const char *keyspace;                /* NULL when absent */
	size_t keyspace_len;
	/* BATCH */
	qry_batch batch;
	/* AUTH_RESPONSE: the SASL token ([bytes], len -1 for null) */
	const uint8_t *token;
	int32_t token_len;
} tp_request;

typedef struct tp_conn tp_conn;

tp_conn *tp_conn_new(const tp_conn_opts *o);   /* o may be NULL: defaults */
void tp_conn_free(tp_conn *c);

/*
 * Append received bytes. Returns 0, or -1 when the connection is closing
 * (the bytes are dropped; the caller should flush the output and close).
 */
int tp_conn_feed(tp_conn *c, const uint8_t *p, size_t n);

/*
 * Decode the next request for the caller into *out (allocating in a).
 * Returns 1 when *out holds a request, 0 when more input is needed (or the
 * connection is closing). Messages the engine answers itself and protocol
 * errors only add output; call tp_conn_output after every batch of calls.
 */
int tp_conn_next(tp_conn *c, tp_request *out, hl_arena *a);

/* Answer a request with a RESULT (warnings become the v4+ warning flag). */
void tp_conn_respond(tp_conn *c, int16_t stream, const qry_result *res);
/* Answer a request with an ERROR carrying the extra fields err->code needs. */
void tp_conn_respond_error(tp_conn *c, int16_t stream, const hl_err *err);
/*
 * The same for a request whose frame had the tracing flag: the response
 * gets the flag and the 16-byte tracing session id ahead of the body
 * (tracing_id NULL: exactly tp_conn_respond / tp_conn_respond_error).
 */
void tp_conn_respond_traced(tp_conn *c, int16_t stream, const qry_result *res,
			    const uint8_t *tracing_id);
void tp_conn_respond_error_traced(tp_conn *c, int16_t stream, const hl_err *err,
				  const uint8_t *tracing_id);
/*
 * Password authentication: after the caller checked an AUTH_RESPONSE, answer
 * AUTH_SUCCESS (token may be NULL) and let requests through. A failed check
 * is answered with tp_conn_respond_error(HL_ERR_BAD_CREDENTIALS).
 */
void tp_conn_auth_success(tp_conn *c, int16_t stream, const uint8_t *token, int32_t len);

/*
 * Server-pushed events on stream -1, queued only when the client REGISTERed
 * for that type (returns true if queued). The schema change comes as a
 * SCHEMA_CHANGE qry_result (change_type, target, sc_keyspace, ...).
 */
bool tp_conn_event_schema(tp_conn *c, const qry_result *sc);
/* STATUS_CHANGE (UP/DOWN) / TOPOLOGY_CHANGE (NEW_NODE/REMOVED_NODE); addr is 4 or 16 bytes. */
bool tp_conn_event_status(tp_conn *c, const char *change, const uint8_t *addr, int addr_len,
			  int32_t port);
bool tp_conn_event_topology(tp_conn *c, const char *change, const uint8_t *addr, int addr_len,
			    int32_t port);

/* Bytes to write to the socket, then report how many went out. */
const uint8_t *tp_conn_output(tp_conn *c, size_t *n);
void tp_conn_consume_output(tp_conn *c, size_t n);
/* True after a fatal protocol error: write the remaining output, then close. */
bool tp_conn_should_close(const tp_conn *c);

int tp_conn_version(const tp_conn *c);          /* 0 until STARTUP */
bool tp_conn_ready(const tp_conn *c);           /* STARTUP (and auth) done */
unsigned tp_conn_events(const tp_conn *c);      /* TP_EVENT_* the client registered */
const tp_client_info *tp_conn_client(const tp_conn *c);
size_t tp_conn_input_pending(const tp_conn *c); /* buffered, not yet decoded (backpressure) */

/*
 * Split a SASL PLAIN token ("authzid\0user\0password") into user and
 * password (pointers into the token). 0 ok, -1 malformed.
 */
int tp_sasl_plain(const uint8_t *tok, size_t n, const char **user, size_t *user_len,
		  const char **pass, size_t *pass_len);

#endif
