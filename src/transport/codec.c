/*
 * transport/codec.c: decoders for request bodies (STARTUP, REGISTER, QUERY,
 * PREPARE, EXECUTE, BATCH, AUTH_RESPONSE). The input is hostile: every
 * read goes through hl_rd, counts are checked against the bytes left
 * before anything is allocated, and failures become ProtocolErrors with
 * Cassandra's wording where it has one. Decoded strings and values point
 * into the body, which the caller has already copied into the request arena.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "transport/tp_int.h"

/* Query flags ([query_parameters], 1 byte before v5, 4 bytes in v5). */
enum {
	QF_VALUES = 0x01,
	QF_SKIP_METADATA = 0x02,
	QF_PAGE_SIZE = 0x04,
	QF_PAGING_STATE = 0x08,
	QF_SERIAL_CONSISTENCY = 0x10,
	QF_TIMESTAMP = 0x20,
	QF_NAMES_FOR_VALUES = 0x40,
	QF_KEYSPACE = 0x80,          /* v5 */
	QF_NOW_IN_SECONDS = 0x100,   /* v5 */
};

static int short_input(hl_err *err)
{
	return hl_errf(err, HL_ERR_PROTOCOL, "Not enough bytes to read the message body");
}

static int read_flags(hl_rd *r, int version, uint32_t *flags)
{
	uint8_t b;

	if (version >= 5)
		return hl_rd_u32(r, flags);
	if (hl_rd_u8(r, &b))
		return -1;
	/* 0x80 and above mean nothing before v5. */
	*flags = b & 0x7f;
	return 0;
}

static int read_consistency(hl_rd *r, int *cl, hl_err *err)
{
	uint16_t v;

	if (hl_rd_u16(r, &v))
		return short_input(err);
	if (v > QRY_CL_LOCAL_ONE)
		return hl_errf(err, HL_ERR_PROTOCOL, "Unknown code %d for a consistency level", v);
	*cl = v;
	return 0;
}

/* A bound [value]: before v4 every negative length reads as null. */
static int read_value(hl_rd *r, int version, qry_value *v, hl_err *err)
{
	int32_t len;

	if (hl_rd_i32(r, &len))
		return short_input(err);
	if (len < 0) {
		if (version < 4 || len == QRY_NULL) {
			v->len = QRY_NULL;
		} else if (len == QRY_UNSET) {
			v->len = QRY_UNSET;
		} else {
			return hl_errf(err, HL_ERR_PROTOCOL, "Invalid ByteBuf length %d", (int)len);
		}
		v->p = NULL;
		return 0;
	}
	if (hl_rd_raw(r, (size_t)len, &v->p))
		return short_input(err);
	v->len = len;
	return 0;
}

static int read_values(hl_rd *r, int version, bool named, int *nout, qry_value **out,
		       hl_arena *a, hl_err *err)
{
	uint16_t n;
	qry_value *vals;

	if (hl_rd_u16(r, &n))
		return short_input(err);
	/* Each value takes at least its 4-byte length: refuse counts the body cannot hold. */
	if ((size_t)n * 4 > hl_rd_left(r))
		return short_input(err);
	vals = n ? hl_arena_zalloc(a, (size_t)n * sizeof(*vals)) : NULL;
	for (int i = 0; i < n; i++) {
		if (named && hl_rd_pstring(r, &vals[i].name, &vals[i].name_len))
			return short_input(err);
		if (read_value(r, version, &vals[i], err))
			return -1;
	}
	*nout = n;
	*out = vals;
	return 0;
}

static int read_i64(hl_rd *r, int64_t *v)
{
	uint64_t u;

	if (hl_rd_u64(r, &u))
		return -1;
	*v = (int64_t)u;
	return 0;
}

/* The tail shared by [query_parameters] and BATCH, from serial consistency on. */
static int read_tail(hl_rd *r, int version, uint32_t flags, qry_params *p, hl_err *err)
{
	if ((flags & QF_SERIAL_CONSISTENCY) && read_consistency(r, &p->serial_consistency, err))
		return -1;
	if (flags & QF_TIMESTAMP) {
		if (read_i64(r, &p->timestamp))
			return short_input(err);
		if (p->timestamp == INT64_MIN)
			return hl_errf(err, HL_ERR_PROTOCOL,
				       "Out of bound timestamp, must be in [%lld, %lld] (got %lld)",
				       (long long)INT64_MIN + 1, (long long)INT64_MAX,
				       (long long)p->timestamp);
		p->has_timestamp = true;
	}
	if (version >= 5 && (flags & QF_KEYSPACE)) {
		if (hl_rd_pstring(r, &p->keyspace, &p->keyspace_len))
			return short_input(err);
	}
	if (version >= 5 && (flags & QF_NOW_IN_SECONDS)) {
		if (hl_rd_i32(r, &p->now_in_seconds))
			return short_input(err);
		p->has_now = true;
	}
	return 0;
}

static int read_params(hl_rd *r, int version, qry_params *p, hl_arena *a, hl_err *err)
{
	uint32_t flags;

	memset(p, 0, sizeof(*p));
	p->page_size = -1;
	if (read_consistency(r, &p->consistency, err))
		return -1;
	if (read_flags(r, version, &flags))
		return short_input(err);
	p->skip_metadata = (flags & QF_SKIP_METADATA) != 0;
	if (flags & QF_VALUES) {
		p->named_values = (flags & QF_NAMES_FOR_VALUES) != 0;
		if (read_values(r, version, p->named_values, &p->nvalues, &p->values, a, err))
			return -1;
	}
	if (flags & QF_PAGE_SIZE) {
		if (hl_rd_i32(r, &p->page_size))
			return short_input(err);
	}
	if (flags & QF_PAGING_STATE) {
		int32_t n;

		if (hl_rd_pbytes(r, &p->paging_state, &n))
			return short_input(err);
		/* A null paging state means "first page", as if the flag were clear. */
		if (n < 0) {
			p->paging_state = NULL;
			n = 0;
		}
		p->paging_state_len = n;
	}
	return read_tail(r, version, flags, p, err);
}

int tp_decode_query(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err)
{
	if (hl_rd_plongstring(r, &q->query, &q->query_len))
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "Not enough bytes to read an UTF8 serialized string preceded by its 4 bytes length");
	return read_params(r, version, &q->params, a, err);
}

int tp_decode_prepare(hl_rd *r, int version, tp_request *q, hl_err *err)
{
	if (hl_rd_plongstring(r, &q->query, &q->query_len))
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "Not enough bytes to read an UTF8 serialized string preceded by its 4 bytes length");
	if (version >= 5) {
		if (hl_rd_u32(r, &q->prepare_flags))
			return short_input(err);
		if ((q->prepare_flags & 0x01) && hl_rd_pstring(r, &q->keyspace, &q->keyspace_len))
			return short_input(err);
	}
	return 0;
}

int tp_decode_execute(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err)
{
	if (hl_rd_pshortbytes(r, &q->id, &q->id_len))
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "Not enough bytes to read a byte array preceded by its 2 bytes length");
	if (version >= 5 &&
	    hl_rd_pshortbytes(r, &q->result_metadata_id, &q->result_metadata_id_len))
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "Not enough bytes to read a byte array preceded by its 2 bytes length");
	return read_params(r, version, &q->params, a, err);
}

int tp_decode_batch(hl_rd *r, int version, tp_request *q, hl_arena *a, hl_err *err)
{
	qry_batch *b = &q->batch;
	uint8_t type;
	uint16_t n;
	uint32_t flags;

	if (hl_rd_u8(r, &type) || hl_rd_u16(r, &n))
		return short_input(err);
	if (type > QRY_BATCH_COUNTER)
		return hl_errf(err, HL_ERR_PROTOCOL, "Invalid BATCH message type %d", type);
	b->type = type;
	/* kind byte + at least a 2-byte length + a 2-byte value count per statement */
	if ((size_t)n * 5 > hl_rd_left(r))
		return short_input(err);
	b->nstmts = n;
	b->stmts = n ? hl_arena_zalloc(a, (size_t)n * sizeof(*b->stmts)) : NULL;
	for (int i = 0; i < n; i++) {
		qry_batch_stmt *s = &b->stmts[i];
		uint8_t kind;

		if (hl_rd_u8(r, &kind))
			return short_input(err);
		if (kind == 0) {
			if (hl_rd_plongstring(r, &s->query, &s->query_len))
				return short_input(err);
		} else if (kind == 1) {
			s->prepared = true;
			if (hl_rd_pshortbytes(r, &s->id, &s->id_len))
				return short_input(err);
		} else {
			return hl_errf(err, HL_ERR_PROTOCOL,
				       "Invalid query kind in BATCH messages. Must be 0 or 1 but got %d",
				       kind);
		}
		if (read_values(r, version, false, &s->nvalues, &s->values, a, err))
			return -1;
	}
	memset(&b->params, 0, sizeof(b->params));
	b->params.page_size = -1;
	if (read_consistency(r, &b->params.consistency, err))
		return -1;
	if (read_flags(r, version, &flags))
		return short_input(err);
	if (flags & QF_NAMES_FOR_VALUES)
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "Names for values are not supported in BATCH messages");
	return read_tail(r, version, flags, &b->params, err);
}

int tp_decode_auth_response(hl_rd *r, tp_request *q, hl_err *err)
{
	if (hl_rd_pbytes(r, &q->token, &q->token_len))
		return short_input(err);
	if (q->token_len == QRY_UNSET)
		return hl_errf(err, HL_ERR_PROTOCOL, "Invalid SASL token length");
	return 0;
}

/* [string list] of event names -> TP_EVENT_* mask. */
int tp_decode_register(hl_rd *r, unsigned *mask, hl_err *err)
{
	uint16_t n;

	if (hl_rd_u16(r, &n))
		return short_input(err);
	*mask = 0;
	for (int i = 0; i < n; i++) {
		const char *s;
		size_t len;

		if (hl_rd_pstring(r, &s, &len))
			return short_input(err);
		if (len == 15 && strncasecmp(s, "TOPOLOGY_CHANGE", len) == 0)
			*mask |= TP_EVENT_TOPOLOGY_CHANGE;
		else if (len == 13 && strncasecmp(s, "STATUS_CHANGE", len) == 0)
			*mask |= TP_EVENT_STATUS_CHANGE;
		else if (len == 13 && strncasecmp(s, "SCHEMA_CHANGE", len) == 0)
			*mask |= TP_EVENT_SCHEMA_CHANGE;
		else
			return hl_errf(err, HL_ERR_PROTOCOL, "Invalid value '%.*s' for Type",
				       (int)(len > 64 ? 64 : len), s);
	}
	return 0;
}

/* "3.4.7" -> major 3; only the major matters (>= 3 is accepted, as Cassandra). */
static int cql_major(const char *s, int *major)
{
	int v = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 6) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits || (*s && *s != '.' && *s != '-'))
		return -1;
	*major = v;
	return 0;
}

/* Values are short in practice; the cap bounds what a client can make us keep. */
static const char *keep(tp_conn *c, const char *v, size_t vl)
{
	return hl_arena_strndup(c->arena, v, vl > 256 ? 256 : vl);
}

static bool key_is(const char *k, size_t kl, const char *want)
{
	return strlen(want) == kl && strncasecmp(k, want, kl) == 0;
}

int tp_decode_startup(hl_rd *r, tp_conn *c, int version, hl_err *err)
{
	tp_client_info ci = { 0 };
	bool has_comp = false;
	char comp[32] = "";
	uint16_t n;
	int major;

	/*
	 * Only a STARTUP that fails leaves the connection in a state where
	 * another one is accepted, so whatever an earlier attempt stored is
	 * garbage: dropping it keeps repeated bad STARTUPs from growing memory.
	 */
	hl_arena_reset(c->arena);
	if (hl_rd_u16(r, &n))
		return short_input(err);
	for (int i = 0; i < n; i++) {
		const char *k, *v;
		size_t kl, vl;

		if (hl_rd_pstring(r, &k, &kl) || hl_rd_pstring(r, &v, &vl))
			return short_input(err);
		/* Keys are case-insensitive (Cassandra upper-cases them). */
		if (key_is(k, kl, "CQL_VERSION")) {
			ci.cql_version = keep(c, v, vl);
		} else if (key_is(k, kl, "COMPRESSION")) {
			has_comp = true;
			snprintf(comp, sizeof(comp), "%.*s", (int)(vl < 31 ? vl : 31), v);
			for (char *p = comp; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			if (vl >= sizeof(comp))
				comp[0] = '?';  /* too long to be a known algorithm */
		} else if (key_is(k, kl, "DRIVER_NAME")) {
			ci.driver_name = keep(c, v, vl);
		} else if (key_is(k, kl, "DRIVER_VERSION")) {
			ci.driver_version = keep(c, v, vl);
		} else if (key_is(k, kl, "CLIENT_ID")) {
			ci.client_id = keep(c, v, vl);
		} else if (key_is(k, kl, "APPLICATION_NAME")) {
			ci.application_name = keep(c, v, vl);
		} else if (key_is(k, kl, "APPLICATION_VERSION")) {
			ci.application_version = keep(c, v, vl);
		} else if (key_is(k, kl, "NO_COMPACT")) {
			ci.no_compact = vl == 4 && strncasecmp(v, "true", 4) == 0;
		} else if (key_is(k, kl, "THROW_ON_OVERLOAD")) {
			ci.throw_on_overload = vl == 1 && v[0] == '1';
		}
	}
	if (!ci.cql_version)
		return hl_errf(err, HL_ERR_PROTOCOL, "Missing value CQL_VERSION in STARTUP message");
	if (cql_major(ci.cql_version, &major))
		return hl_errf(err, HL_ERR_PROTOCOL, "Invalid version value: %.64s", ci.cql_version);
	if (major < 3)
		return hl_errf(err, HL_ERR_PROTOCOL,
			       "CQL version %.64s is not supported by the binary protocol "
			       "(supported version are >= 3.0.0)", ci.cql_version);
	if (has_comp) {
		if (strcmp(comp, "snappy") == 0) {
			if (version >= 5)
				return hl_errf(err, HL_ERR_PROTOCOL,
					       "Snappy compression is not supported in protocol V5");
			ci.compression = TP_COMP_SNAPPY;
		} else if (strcmp(comp, "lz4") == 0) {
			ci.compression = TP_COMP_LZ4;
		} else {
			return hl_errf(err, HL_ERR_PROTOCOL, "Unknown compression algorithm: %s", comp);
		}
	}
	c->client = ci;
	return 0;
}
