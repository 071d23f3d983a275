/*
 * client: a blocking client for the CQL native protocol (v4, and v5 with its
 * CRC-protected segments), used by the tools (the shell, COPY, stress). One
 * connection runs one request at a time (or pipelines them: cli_*_send and
 * cli_recv); results are decoded into an arena the caller frees with
 * cli_result_free. Every byte from the server is read through hl_rd, so a
 * misbehaving server yields an error, never a crash.
 *
 * Errors: functions return 0 or -1 and fill an hl_err. A server ERROR keeps
 * its protocol code and every extra field (hl_err's ks/table/cl/...); the
 * client's own failures use the negative CLI_ERR_* codes below.
 *
 * Prefix: cli_.
 */
#ifndef HL_CLIENT_H
#define HL_CLIENT_H

#include "core/core.h"
#include "types/types.h"

/* Client-side failures (hl_err.code); server errors keep their positive codes. */
enum {
	CLI_ERR_CONNECT = -1,     /* cannot resolve or connect */
	CLI_ERR_TIMEOUT = -2,     /* connect or request timed out */
	CLI_ERR_IO = -3,          /* the connection broke */
	CLI_ERR_MALFORMED = -4,   /* the server sent bytes we cannot decode */
	CLI_ERR_AUTH = -5,        /* authentication required or failed on our side */
	CLI_ERR_USAGE = -6,       /* bad arguments from the caller */
};

/* Consistency levels ([consistency] values). */
enum {
	CLI_CL_ANY = 0, CLI_CL_ONE = 1, CLI_CL_TWO = 2, CLI_CL_THREE = 3, CLI_CL_QUORUM = 4,
	CLI_CL_ALL = 5, CLI_CL_LOCAL_QUORUM = 6, CLI_CL_EACH_QUORUM = 7, CLI_CL_SERIAL = 8,
	CLI_CL_LOCAL_SERIAL = 9, CLI_CL_LOCAL_ONE = 10,
};
/* "ONE" for 1, ...; NULL when unknown. */
const char *cli_cl_name(int cl);
/* Level for a name (case-insensitive), or -1. */
int cli_cl_parse(const char *name);

/* Opcodes. */
enum {
	CLI_OP_ERROR = 0x00, CLI_OP_STARTUP = 0x01, CLI_OP_READY = 0x02, CLI_OP_AUTHENTICATE = 0x03,
	CLI_OP_OPTIONS = 0x05, CLI_OP_SUPPORTED = 0x06, CLI_OP_QUERY = 0x07, CLI_OP_RESULT = 0x08,
	CLI_OP_PREPARE = 0x09, CLI_OP_EXECUTE = 0x0A, CLI_OP_REGISTER = 0x0B, CLI_OP_EVENT = 0x0C,
	CLI_OP_BATCH = 0x0D, CLI_OP_AUTH_CHALLENGE = 0x0E, CLI_OP_AUTH_RESPONSE = 0x0F,
	CLI_OP_AUTH_SUCCESS = 0x10,
};

typedef struct cli_opts {
	const char *host;          /* default 127.0.0.1 */
	const char *port;          /* default 9042 */
	int protocol;              /* 4 or 5; 0 negotiates (5, then 4) */
	const char *username;      /* PLAIN SASL when the server asks; NULL: none */
	const char *password;
	const char *cql_version;   /* STARTUP CQL_VERSION; NULL: the server's first */
	int connect_timeout_ms;    /* <= 0: 5000 */
	int request_timeout_ms;    /* <= 0: 10000 */
	const char *keyspace;      /* USE after connecting; NULL: none */
} cli_opts;

typedef struct cli_conn cli_conn;

int cli_connect(const cli_opts *o, cli_conn **out, hl_err *err);
void cli_close(cli_conn *c);
int cli_protocol(const cli_conn *c);        /* negotiated version */
/* False once the connection broke (a new one is needed). */
bool cli_connected(const cli_conn *c);
const char *cli_keyspace(const cli_conn *c); /* from the last SET_KEYSPACE, or NULL */
/* The CQL_VERSION list from SUPPORTED (first entry), or "". */
const char *cli_server_cql_version(const cli_conn *c);
void cli_set_request_timeout(cli_conn *c, int ms);

/* ---------------------------------------------------------------- results */

enum {
	CLI_RES_VOID = 1, CLI_RES_ROWS = 2, CLI_RES_SET_KEYSPACE = 3, CLI_RES_PREPARED = 4,
	CLI_RES_SCHEMA_CHANGE = 5,
};

typedef struct cli_col {
	const char *ks, *table, *name;
	const ty_type *type;
} cli_col;

/* A cell: n >= 0 bytes at p, or n < 0 for null. */
typedef struct cli_cell {
	const uint8_t *p;
	int32_t n;
} cli_cell;

typedef struct cli_result {
	hl_arena *arena;            /* owns everything below */
	int kind;
	/* ROWS (and the result metadata of PREPARED) */
	int ncols;
	cli_col *cols;              /* NULL when the server sent NO_METADATA */
	int32_t nrows;
	cli_cell *cells;            /* nrows * ncols, row-major */
	bool has_more;
	const uint8_t *paging_state;
	int32_t paging_len;
	const uint8_t *new_metadata_id; /* v5 METADATA_CHANGED */
	size_t new_metadata_id_len;
	/* SET_KEYSPACE, and the keyspace of SCHEMA_CHANGE */
	const char *keyspace;
	/* SCHEMA_CHANGE */
	const char *change_type, *target, *name;
	const char **args;
	int nargs;
	/* PREPARED */
	const uint8_t *id;
	size_t id_len;
	const uint8_t *result_metadata_id;  /* v5 */
	size_t result_metadata_id_len;
	int nbind;
	cli_col *bind;
	int npk;
	uint16_t *pk;
	/* frame extras */
	bool has_tracing_id;
	uint8_t tracing_id[16];
	int nwarnings;
	const char **warnings;
} cli_result;

void cli_result_free(cli_result *r);
static inline const cli_cell *cli_cell_at(const cli_result *r, int32_t row, int col)
{
	return &r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

/* ---------------------------------------------------------------- requests */

typedef struct cli_qopts {
	int consistency;            /* default (0 in a zeroed struct = ANY!): use cli_qopts_init */
	int serial_consistency;     /* 0: not sent */
	int page_size;              /* <= 0: not paged */
	const uint8_t *paging_state;
	int32_t paging_len;
	bool tracing;
	bool skip_metadata;         /* EXECUTE only */
	int64_t timestamp;          /* 0: not sent */
	const char *keyspace;       /* v5 keyspace flag; NULL: none */
} cli_qopts;

void cli_qopts_init(cli_qopts *q);   /* ONE, no paging */

/* A bound value: n >= 0 bytes at p, -1 null, -2 unset. */
typedef struct cli_value {
	const uint8_t *p;
	int32_t n;
} cli_value;

int cli_query(cli_conn *c, const char *cql, size_t len, const cli_qopts *q, cli_result **out,
	      hl_err *err);
int cli_prepare(cli_conn *c, const char *cql, size_t len, cli_result **out, hl_err *err);
/* prep: a CLI_RES_PREPARED result of this connection. */
int cli_execute(cli_conn *c, const cli_result *prep, const cli_value *vals, int nvals,
		const cli_qopts *q, cli_result **out, hl_err *err);

/* One statement of a BATCH: a prepared result or a query string. */
typedef struct cli_batch_stmt {
	const cli_result *prep;
	const char *cql;
	const cli_value *vals;
	int nvals;
} cli_batch_stmt;
enum { CLI_BATCH_LOGGED = 0, CLI_BATCH_UNLOGGED = 1, CLI_BATCH_COUNTER = 2 };
int cli_batch(cli_conn *c, int type, const cli_batch_stmt *stmts, int n, const cli_qopts *q,
	      cli_result **out, hl_err *err);

/*
 * Pipelining: send requests without waiting (*stream gets the request's
 * stream id), then collect replies in the order the server sends them with
 * cli_recv, which sets *stream to the reply's id (-1 when the connection
 * broke or timed out; then every request in flight is lost). A server ERROR
 * returns -1 with *stream set. Do not mix with the blocking calls while
 * requests are in flight: those skip replies that are not theirs.
 */
int cli_query_send(cli_conn *c, const char *cql, size_t len, const cli_qopts *q, int *stream,
		   hl_err *err);
int cli_batch_send(cli_conn *c, int type, const cli_batch_stmt *stmts, int n, const cli_qopts *q,
		   int *stream, hl_err *err);
int cli_execute_send(cli_conn *c, const cli_result *prep, const cli_value *vals, int nvals,
		     const cli_qopts *q, int *stream, hl_err *err);
int cli_recv(cli_conn *c, int *stream, cli_result **out, hl_err *err);

/* ---------------------------------------------------------------- codecs (tests) */

/* Append a v3+ frame header and body (flags 0) to out. */
void cli_frame_encode(hl_buf *out, int version, int16_t stream, int opcode, const uint8_t *body,
		      size_t n);
/* Wrap an envelope stream in v5 uncompressed segments (split at 131071 bytes). */
void cli_segments_encode(hl_buf *out, const uint8_t *p, size_t n);
/*
 * Decode one v5 uncompressed segment at the start of p/n. Returns 1 and sets
 * *used, *payload and *plen when complete, 0 when more bytes are needed, -1
 * (with err) on a CRC or framing error.
 */
int cli_segment_decode(const uint8_t *p, size_t n, size_t *used, const uint8_t **payload,
		       size_t *plen, bool *self_contained, hl_err *err);
/* QUERY body (as sent for version). */
void cli_encode_query(hl_buf *out, int version, const char *cql, size_t len, const cli_qopts *q);
/* Decode a RESULT body (after any tracing id / warnings). *out is new. */
int cli_decode_result(int version, const uint8_t *body, size_t n, cli_result **out, hl_err *err);
/* Decode an ERROR body into err (code, message, extras). Returns 0 if decodable. */
int cli_decode_error(int version, const uint8_t *body, size_t n, hl_err *err);

#endif
