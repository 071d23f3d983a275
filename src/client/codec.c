/*
 * client/codec.c: the client side of the wire format. Request encoders
 * (frame header, v5 segments, QUERY/EXECUTE/BATCH parameters) and the
 * decoders for what a server sends back (segments, RESULT bodies, ERROR
 * bodies). The decoders trust nothing: every count is checked against the
 * bytes actually left before anything is allocated for it.
 */
#include "client/cli_int.h"

#include <string.h>
#include <strings.h>

static const char *const cl_names[] = {
	"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM",
	"SERIAL", "LOCAL_SERIAL", "LOCAL_ONE",
};

const char *cli_cl_name(int cl)
{
	if (cl < 0 || cl >= (int)(sizeof cl_names / sizeof cl_names[0]))
		return NULL;
	return cl_names[cl];
}

int cli_cl_parse(const char *name)
{
	for (size_t i = 0; i < sizeof cl_names / sizeof cl_names[0]; i++)
		if (!strcasecmp(name, cl_names[i]))
			return (int)i;
	return -1;
}

void cli_qopts_init(cli_qopts *q)
{
	memset(q, 0, sizeof *q);
	q->consistency = CLI_CL_ONE;
}

/* ---------------------------------------------------------------- frames */

void cli_frame_encode(hl_buf *out, int version, int16_t stream, int opcode, const uint8_t *body,
		      size_t n)
{
	hl_buf_u8(out, (uint8_t)version);
	hl_buf_u8(out, 0);
	hl_buf_u16(out, (uint16_t)stream);
	hl_buf_u8(out, (uint8_t)opcode);
	hl_buf_u32(out, (uint32_t)n);
	if (n)
		hl_buf_put(out, body, n);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * A whole envelope that fits goes in one self-contained segment; a bigger
 * one is cut into consecutive non-self-contained segments, as the spec
 * requires (several small envelopes could share a segment, but the client
 * sends one request at a time so that never arises).
 */
void cli_segments_encode(hl_buf *out, const uint8_t *p, size_t n)
{
	bool self = n <= CLI_SEG_MAX;
	size_t off = 0;

	do {
		size_t len = n - off > CLI_SEG_MAX ? CLI_SEG_MAX : n - off;
		uint8_t hdr[6], crc[4];
		uint64_t h = (uint64_t)len | (self ? (uint64_t)1 << 17 : 0);

		put_le(hdr, h, 3);
		put_le(hdr + 3, hl_crc24(hdr, 3), 3);
		hl_buf_put(out, hdr, 6);
		if (len)
			hl_buf_put(out, p + off, len);
		put_le(crc, hl_crc32_v5(p + off, len), 4);
		hl_buf_put(out, crc, 4);
		off += len;
	} while (off < n);
}

int cli_segment_decode(const uint8_t *p, size_t n, size_t *used, const uint8_t **payload,
		       size_t *plen, bool *self_contained, hl_err *err)
{
	uint64_t h;
	size_t len;

	if (n < 6)
		return 0;
	h = get_le(p, 3);
	if ((uint32_t)get_le(p + 3, 3) != hl_crc24(p, 3))
		return hl_errf(err, CLI_ERR_MALFORMED, "segment header CRC24 mismatch");
	len = (size_t)(h & 0x1FFFF);
	if (n < 6 + len + 4)
		return 0;
	if ((uint32_t)get_le(p + 6 + len, 4) != hl_crc32_v5(p + 6, len))
		return hl_errf(err, CLI_ERR_MALFORMED, "segment payload CRC32 mismatch");
	*used = 6 + len + 4;
	*payload = p + 6;
	*plen = len;
	*self_contained = (h >> 17) & 1;
	return 1;
}

/* ---------------------------------------------------------------- requests */

static void put_flags(hl_buf *out, int version, uint32_t flags)
{
	if (version >= 5)
		hl_buf_u32(out, flags);
	else
		hl_buf_u8(out, (uint8_t)flags);
}

/* The <query_parameters> shared by QUERY and EXECUTE. */
void cli__encode_params(hl_buf *out, int version, const cli_qopts *q, const cli_value *vals,
			int nvals, bool execute)
{
	uint32_t flags = 0;

	if (nvals > 0)
		flags |= 0x01;
	if (execute && q->skip_metadata)
		flags |= 0x02;
	if (q->page_size > 0)
		flags |= 0x04;
	if (q->paging_state && q->paging_len >= 0)
		flags |= 0x08;
	if (q->serial_consistency > 0)
		flags |= 0x10;
	if (q->timestamp)
		flags |= 0x20;
	if (version >= 5 && q->keyspace && !execute)
		flags |= 0x80;
	hl_buf_u16(out, (uint16_t)q->consistency);
	put_flags(out, version, flags);
	if (flags & 0x01) {
		hl_buf_u16(out, (uint16_t)nvals);
		for (int i = 0; i < nvals; i++)
			hl_buf_pbytes(out, vals[i].p, vals[i].n < 0 ? (vals[i].n == -2 ? -2 : -1)
							: vals[i].n);
	}
	if (flags & 0x04)
		hl_buf_u32(out, (uint32_t)q->page_size);
	if (flags & 0x08)
		hl_buf_pbytes(out, q->paging_state, q->paging_len);
	if (flags & 0x10)
		hl_buf_u16(out, (uint16_t)q->serial_consistency);
	if (flags & 0x20)
		hl_buf_u64(out, (uint64_t)q->timestamp);
	if (flags & 0x80)
		hl_buf_pstring(out, q->keyspace, strlen(q->keyspace));
}

void cli_encode_query(hl_buf *out, int version, const char *cql, size_t len, const cli_qopts *q)
{
	hl_buf_plongstring(out, cql, len);
	cli__encode_params(out, version, q, NULL, 0, false);
}

/* ---------------------------------------------------------------- results */

static int malformed(hl_err *err, const char *what)
{
	return hl_errf(err, CLI_ERR_MALFORMED, "malformed response from server: %s", what);
}

static const char *rd_str(hl_rd *r, hl_arena *a)
{
	const char *s;
	size_t n;

	if (hl_rd_pstring(r, &s, &n))
		return NULL;
	return hl_arena_strndup(a, s, n);
}

/*
 * Column specs of a result or bind metadata. A count larger than the bytes
 * left could describe is refused before the array is allocated: each
 * column takes at least 4 bytes (an empty name and a type id; with no global
 * spec, two more empty strings).
 */
static int decode_cols(hl_rd *r, hl_arena *a, uint32_t flags, int32_t ncols, cli_col **out,
		       hl_err *err)
{
	const char *gks = NULL, *gtable = NULL;
	bool global = flags & 0x0001;
	cli_col *cols;

	if (global) {
		gks = rd_str(r, a);
		gtable = rd_str(r, a);
		if (!gks || !gtable)
			return malformed(err, "global table spec");
	}
	if ((size_t)ncols > hl_rd_left(r) / (global ? 4 : 8))
		return malformed(err, "column count larger than the body");
	cols = hl_arena_zalloc(a, sizeof *cols * (size_t)(ncols ? ncols : 1));
	for (int32_t i = 0; i < ncols; i++) {
		cols[i].ks = global ? gks : rd_str(r, a);
		cols[i].table = global ? gtable : rd_str(r, a);
		cols[i].name = rd_str(r, a);
		if (!cols[i].ks || !cols[i].table || !cols[i].name)
			return malformed(err, "column spec");
		if (ty_decode_option(r, a, &cols[i].type, err)) {
			err->code = CLI_ERR_MALFORMED;
			return -1;
		}
	}
	*out = cols;
	return 0;
}

/* <metadata> of ROWS and of the result part of PREPARED. */
static int decode_rows_meta(hl_rd *r, int version, cli_result *res, hl_err *err)
{
	uint32_t flags;
	int32_t ncols;

	if (hl_rd_u32(r, &flags) || hl_rd_i32(r, &ncols) || ncols < 0)
		return malformed(err, "rows metadata");
	res->ncols = ncols;
	if (flags & 0x0002) {
		const uint8_t *p;
		int32_t n;

		if (hl_rd_pbytes(r, &p, &n))
			return malformed(err, "paging state");
		res->has_more = true;
		res->paging_state = n > 0 ? hl_arena_memdup(res->arena, p, (size_t)n) : NULL;
		res->paging_len = n < 0 ? -1 : n;
	}
	if (version >= 5 && (flags & 0x0008)) {
		const uint8_t *p;
		size_t n;

		if (hl_rd_pshortbytes(r, &p, &n))
			return malformed(err, "new metadata id");
		res->new_metadata_id = hl_arena_memdup(res->arena, p, n ? n : 1);
		res->new_metadata_id_len = n;
	}
	if (flags & 0x0004)
		return 0;
	return decode_cols(r, res->arena, flags, ncols, &res->cols, err);
}

static int decode_rows(hl_rd *r, int version, cli_result *res, hl_err *err)
{
	int32_t nrows;
	size_t ncells;

	if (decode_rows_meta(r, version, res, err))
		return -1;
	if (hl_rd_i32(r, &nrows) || nrows < 0)
		return malformed(err, "row count");
	if (res->ncols == 0 && nrows > 0)
		return malformed(err, "rows without columns");
	/* each cell is at least its 4-byte length */
	if ((size_t)nrows > hl_rd_left(r) / 4 / (size_t)(res->ncols ? res->ncols : 1))
		return malformed(err, "row count larger than the body");
	res->nrows = nrows;
	ncells = (size_t)nrows * (size_t)res->ncols;
	res->cells = hl_arena_zalloc(res->arena, sizeof *res->cells * (ncells ? ncells : 1));
	for (size_t i = 0; i < ncells; i++) {
		const uint8_t *p;
		int32_t n;

		if (hl_rd_pbytes(r, &p, &n))
			return malformed(err, "row cells");
		res->cells[i].p = p;
		res->cells[i].n = n < 0 ? -1 : n;
	}
	return 0;
}

static int decode_prepared(hl_rd *r, int version, cli_result *res, hl_err *err)
{
	const uint8_t *p;
	size_t n;
	uint32_t flags;
	int32_t nbind, npk = 0;

	if (hl_rd_pshortbytes(r, &p, &n))
		return malformed(err, "prepared id");
	res->id = hl_arena_memdup(res->arena, p, n ? n : 1);
	res->id_len = n;
	if (version >= 5) {
		if (hl_rd_pshortbytes(r, &p, &n))
			return malformed(err, "result metadata id");
		res->result_metadata_id = hl_arena_memdup(res->arena, p, n ? n : 1);
		res->result_metadata_id_len = n;
	}
	if (hl_rd_u32(r, &flags) || hl_rd_i32(r, &nbind) || nbind < 0)
		return malformed(err, "bind metadata");
	if (version >= 4) {
		if (hl_rd_i32(r, &npk) || npk < 0 || (size_t)npk > hl_rd_left(r) / 2)
			return malformed(err, "partition key indexes");
		res->pk = hl_arena_zalloc(res->arena, sizeof *res->pk * (size_t)(npk ? npk : 1));
		for (int32_t i = 0; i < npk; i++)
			if (hl_rd_u16(r, &res->pk[i]))
				return malformed(err, "partition key indexes");
	}
	res->npk = npk;
	res->nbind = nbind;
	if (decode_cols(r, res->arena, flags, nbind, &res->bind, err))
		return -1;
	return decode_rows_meta(r, version, res, err);
}

static int decode_schema_change(hl_rd *r, cli_result *res, hl_err *err)
{
	hl_arena *a = res->arena;

	res->change_type = rd_str(r, a);
	res->target = rd_str(r, a);
	res->keyspace = rd_str(r, a);
	if (!res->change_type || !res->target || !res->keyspace)
		return malformed(err, "schema change");
	if (!strcmp(res->target, "KEYSPACE"))
		return 0;
	res->name = rd_str(r, a);
	if (!res->name)
		return malformed(err, "schema change name");
	if (!strcmp(res->target, "FUNCTION") || !strcmp(res->target, "AGGREGATE")) {
		uint16_t n;

		if (hl_rd_u16(r, &n) || (size_t)n > hl_rd_left(r) / 2)
			return malformed(err, "schema change arguments");
		res->args = hl_arena_zalloc(a, sizeof *res->args * (size_t)(n ? n : 1));
		for (int i = 0; i < n; i++)
			if (!(res->args[i] = rd_str(r, a)))
				return malformed(err, "schema change arguments");
		res->nargs = n;
	}
	return 0;
}

int cli_decode_result(int version, const uint8_t *body, size_t n, cli_result **out, hl_err *err)
{
	cli_result *res;
	hl_arena *a = hl_arena_new(n + 4096);
	hl_rd r;
	int32_t kind;
	int rc = 0;

	res = hl_arena_zalloc(a, sizeof *res);
	res->arena = a;
	/* cells point into the body: keep a private copy that lives with the result */
	body = hl_arena_memdup(a, body, n ? n : 1);
	hl_rd_init(&r, body, n);
	if (hl_rd_i32(&r, &kind)) {
		rc = malformed(err, "result kind");
		goto out;
	}
	res->kind = kind;
	switch (kind) {
	case CLI_RES_VOID:
		break;
	case CLI_RES_ROWS:
		rc = decode_rows(&r, version, res, err);
		break;
	case CLI_RES_SET_KEYSPACE:
		if (!(res->keyspace = rd_str(&r, a)))
			rc = malformed(err, "keyspace name");
		break;
	case CLI_RES_PREPARED:
		rc = decode_prepared(&r, version, res, err);
		break;
	case CLI_RES_SCHEMA_CHANGE:
		rc = decode_schema_change(&r, res, err);
		break;
	default:
		rc = hl_errf(err, CLI_ERR_MALFORMED, "unknown result kind %d", kind);
		break;
	}
out:
	if (rc) {
		hl_arena_free(a);
		return -1;
	}
	*out = res;
	return 0;
}

void cli_result_free(cli_result *r)
{
	if (r)
		hl_arena_free(r->arena);
}

/* ---------------------------------------------------------------- errors */

static void copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* v5 failures carry <reasonmap>: n x (inetaddr, code); v4 a count. */
static int read_failures(hl_rd *r, int version, hl_err *err)
{
	int32_t n;

	if (hl_rd_i32(r, &n) || n < 0)
		return -1;
	if (version < 5) {
		err->failures = n;
		return 0;
	}
	err->failures = n;
	for (int32_t i = 0; i < n; i++) {
		uint8_t len;
		const uint8_t *p;
		uint16_t code;

		if (hl_rd_u8(r, &len) || hl_rd_raw(r, len, &p) || hl_rd_u16(r, &code))
			return -1;
	}
	return 0;
}

int cli_decode_error(int version, const uint8_t *body, size_t n, hl_err *err)
{
	hl_rd r;
	int32_t code;
	const char *s;
	size_t sn;
	uint16_t cl;
	uint8_t b;
	int32_t v1, v2;

	hl_err_clear(err);
	hl_rd_init(&r, body, n);
	if (hl_rd_i32(&r, &code) || hl_rd_pstring(&r, &s, &sn))
		return hl_errf(err, CLI_ERR_MALFORMED, "malformed ERROR body from server");
	err->code = code;
	copy_str(err->msg, sizeof err->msg, s, sn);
	switch (code) {
	case HL_ERR_UNAVAILABLE:
		if (hl_rd_u16(&r, &cl) || hl_rd_i32(&r, &v1) || hl_rd_i32(&r, &v2))
			goto bad;
		err->cl = cl;
		err->required = v1;
		err->alive = v2;
		break;
	case HL_ERR_WRITE_TIMEOUT:
	case HL_ERR_READ_TIMEOUT:
	case HL_ERR_CAS_WRITE_UNKNOWN:
		if (hl_rd_u16(&r, &cl) || hl_rd_i32(&r, &v1) || hl_rd_i32(&r, &v2))
			goto bad;
		err->cl = cl;
		err->received = v1;
		err->blockfor = v2;
		if (code == HL_ERR_READ_TIMEOUT) {
			if (hl_rd_u8(&r, &b))
				goto bad;
			err->data_present = b != 0;
		} else if (code == HL_ERR_WRITE_TIMEOUT) {
			if (hl_rd_pstring(&r, &s, &sn))
				goto bad;
			copy_str(err->write_type, sizeof err->write_type, s, sn);
		}
		break;
	case HL_ERR_READ_FAILURE:
	case HL_ERR_WRITE_FAILURE:
		if (hl_rd_u16(&r, &cl) || hl_rd_i32(&r, &v1) || hl_rd_i32(&r, &v2) ||
		    read_failures(&r, version, err))
			goto bad;
		err->cl = cl;
		err->received = v1;
		err->blockfor = v2;
		if (code == HL_ERR_READ_FAILURE) {
			if (hl_rd_u8(&r, &b))
				goto bad;
			err->data_present = b != 0;
		} else {
			if (hl_rd_pstring(&r, &s, &sn))
				goto bad;
			copy_str(err->write_type, sizeof err->write_type, s, sn);
		}
		break;
	case HL_ERR_FUNCTION_FAILURE: {
		uint16_t nargs;

		/* keyspace, function name; the argument types are read and dropped */
		if (hl_rd_pstring(&r, &s, &sn))
			goto bad;
		copy_str(err->ks, sizeof err->ks, s, sn);
		if (hl_rd_pstring(&r, &s, &sn))
			goto bad;
		copy_str(err->table, sizeof err->table, s, sn);
		if (hl_rd_u16(&r, &nargs))
			goto bad;
		for (int i = 0; i < nargs; i++)
			if (hl_rd_pstring(&r, &s, &sn))
				goto bad;
		break;
	}
	case HL_ERR_ALREADY_EXISTS:
		if (hl_rd_pstring(&r, &s, &sn))
			goto bad;
		copy_str(err->ks, sizeof err->ks, s, sn);
		if (hl_rd_pstring(&r, &s, &sn))
			goto bad;
		copy_str(err->table, sizeof err->table, s, sn);
		break;
	case HL_ERR_UNPREPARED: {
		const uint8_t *p;
		size_t pn;

		if (hl_rd_pshortbytes(&r, &p, &pn))
			goto bad;
		err->id_len = (int)(pn > sizeof err->id ? sizeof err->id : pn);
		memcpy(err->id, p, (size_t)err->id_len);
		break;
	}
	default:
		break;
	}
	return 0;
bad:
	{
		/* keep the code and message: they are still the most useful report */
		char m[400];

		copy_str(m, sizeof m, err->msg, strlen(err->msg));
		hl_errf(err, CLI_ERR_MALFORMED,
			"malformed ERROR body from server (code 0x%04x: %s)", (unsigned)code, m);
	}
	return -1;
}
