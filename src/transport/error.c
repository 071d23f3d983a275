/*
 * transport/error.c: ERROR bodies. [int] code + [string] message, then the
 * fields each code carries (drivers fail to decode, and Python drops the
 * connection, when one is missing). Codes a protocol version does not know
 * are sent as the nearest older code, as Cassandra does.
 */
#include <string.h>

#include "transport/tp_int.h"

/* write_type must be one the drivers know, or their decoding fails. */
static const char *write_type(const hl_err *e)
{
	static const char *const known[] = {
		"SIMPLE", "BATCH", "UNLOGGED_BATCH", "COUNTER", "BATCH_LOG", "CAS", "VIEW", "CDC",
	};
	size_t n = strnlen(e->write_type, sizeof(e->write_type));

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == n && memcmp(known[i], e->write_type, n) == 0)
			return known[i];
	return "SIMPLE";
}

static void put_fixed(hl_buf *b, const char *s, size_t cap)
{
	hl_buf_pstring(b, s, strnlen(s, cap));
}

static void put_cl_counts(hl_buf *b, const hl_err *e)
{
	hl_buf_u16(b, (uint16_t)e->cl);
	hl_buf_u32(b, (uint32_t)e->received);
	hl_buf_u32(b, (uint32_t)e->blockfor);
}

/* v5 reason map: hl_err has no per-endpoint reasons, so it is empty. */
static void put_failures(hl_buf *b, int version, const hl_err *e)
{
	if (version >= 5)
		hl_buf_u32(b, 0);
	else
		hl_buf_u32(b, (uint32_t)e->failures);
}

void tp_encode_error(hl_buf *b, int version, const hl_err *e)
{
	int code = e->code;
	const char *wt = write_type(e);

	if (version < 5 && code == HL_ERR_CAS_WRITE_UNKNOWN) {
		code = HL_ERR_WRITE_TIMEOUT;
		wt = "CAS";
	}
	if (version < 4) {
		if (code == HL_ERR_READ_FAILURE)
			code = HL_ERR_READ_TIMEOUT;
		else if (code == HL_ERR_WRITE_FAILURE)
			code = HL_ERR_WRITE_TIMEOUT;
		else if (code == HL_ERR_FUNCTION_FAILURE)
			code = HL_ERR_INVALID;
		else if (code == HL_ERR_CDC_WRITE_FAILURE)
			code = HL_ERR_SERVER;
	}
	hl_buf_u32(b, (uint32_t)code);
	put_fixed(b, e->msg, sizeof(e->msg));
	switch (code) {
	case HL_ERR_UNAVAILABLE:
		hl_buf_u16(b, (uint16_t)e->cl);
		hl_buf_u32(b, (uint32_t)e->required);
		hl_buf_u32(b, (uint32_t)e->alive);
		break;
	case HL_ERR_WRITE_TIMEOUT:
		put_cl_counts(b, e);
		hl_buf_pstring(b, wt, strlen(wt));
		/* v5 CAS timeouts carry the contention count; hl_err has none to report. */
		if (version >= 5 && strcmp(wt, "CAS") == 0)
			hl_buf_u16(b, 0);
		break;
	case HL_ERR_READ_TIMEOUT:
		put_cl_counts(b, e);
		hl_buf_u8(b, e->data_present ? 1 : 0);
		break;
	case HL_ERR_READ_FAILURE:
		put_cl_counts(b, e);
		put_failures(b, version, e);
		hl_buf_u8(b, e->data_present ? 1 : 0);
		break;
	case HL_ERR_FUNCTION_FAILURE:
		/* keyspace, function name (carried in table), arg types (none known) */
		put_fixed(b, e->ks, sizeof(e->ks));
		put_fixed(b, e->table, sizeof(e->table));
		hl_buf_u16(b, 0);
		break;
	case HL_ERR_WRITE_FAILURE:
		put_cl_counts(b, e);
		put_failures(b, version, e);
		hl_buf_pstring(b, wt, strlen(wt));
		break;
	case HL_ERR_CAS_WRITE_UNKNOWN:
		put_cl_counts(b, e);
		break;
	case HL_ERR_ALREADY_EXISTS:
		put_fixed(b, e->ks, sizeof(e->ks));
		put_fixed(b, e->table, sizeof(e->table));
		break;
	case HL_ERR_UNPREPARED: {
		int n = e->id_len;

		if (n < 0)
			n = 0;
		if (n > (int)sizeof(e->id))
			n = (int)sizeof(e->id);
		hl_buf_pshortbytes(b, e->id, (size_t)n);
		break;
	}
	default:
		break;
	}
}
