/*
 * transport/result.c: RESULT bodies (VOID, ROWS, SET_KEYSPACE, PREPARED,
 * SCHEMA_CHANGE) from a qry_result, plus the SUPPORTED body. Metadata
 * follows the v3-v5 layout: flags, column count, [v4+ bind pk indexes],
 * [paging state], then the global or per-column table spec and types.
 */
#include <string.h>

#include "transport/tp_int.h"
#include "types/types.h"

enum {
	MD_GLOBAL_TABLES_SPEC = 0x0001,
	MD_HAS_MORE_PAGES = 0x0002,
	MD_NO_METADATA = 0x0004,
};

static void put_str(hl_buf *b, const char *s)
{
	hl_buf_pstring(b, s ? s : "", s ? strlen(s) : 0);
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* All columns from one table: the spec is written once (what drivers expect from Cassandra). */
static bool global_spec(const qry_metadata *m)
{
	if (m->ncols <= 0)
		return false;
	for (int i = 1; i < m->ncols; i++)
		if (!same(m->cols[i].ks, m->cols[0].ks) || !same(m->cols[i].table, m->cols[0].table))
			return false;
	return true;
}

static void put_columns(hl_buf *b, const qry_metadata *m, bool global)
{
	if (global) {
		put_str(b, m->cols[0].ks);
		put_str(b, m->cols[0].table);
	}
	for (int i = 0; i < m->ncols; i++) {
		const qry_colspec *col = &m->cols[i];

		if (!global) {
			put_str(b, col->ks);
			put_str(b, col->table);
		}
		put_str(b, col->name);
		ty_encode_option(col->type ? col->type : ty_simple(TY_BLOB), b);
	}
}

/* Result metadata (ROWS, and the second half of PREPARED). */
static void put_result_meta(hl_buf *b, const qry_metadata *m, bool no_meta,
			    const uint8_t *paging_state, int32_t ps_len)
{
	bool global = !no_meta && global_spec(m);
	uint32_t flags = 0;

	if (global)
		flags |= MD_GLOBAL_TABLES_SPEC;
	if (paging_state)
		flags |= MD_HAS_MORE_PAGES;
	if (no_meta)
		flags |= MD_NO_METADATA;
	hl_buf_u32(b, flags);
	hl_buf_u32(b, (uint32_t)(m->ncols > 0 ? m->ncols : 0));
	if (paging_state)
		hl_buf_pbytes(b, paging_state, ps_len < 0 ? 0 : ps_len);
	if (!no_meta)
		put_columns(b, m, global);
}

/* Bind-variable metadata of PREPARED: v4+ adds the partition-key bind indexes. */
static void put_bind_meta(hl_buf *b, int version, const qry_metadata *m)
{
	bool global = global_spec(m);
	int npk = m->npk;

	hl_buf_u32(b, global ? MD_GLOBAL_TABLES_SPEC : 0);
	hl_buf_u32(b, (uint32_t)(m->ncols > 0 ? m->ncols : 0));
	if (version >= 4) {
		if (npk < 0)
			npk = 0;
		if (npk > (int)(sizeof(m->pk_index) / sizeof(m->pk_index[0])))
			npk = (int)(sizeof(m->pk_index) / sizeof(m->pk_index[0]));
		hl_buf_u32(b, (uint32_t)npk);
		for (int i = 0; i < npk; i++)
			hl_buf_u16(b, m->pk_index[i]);
	}
	put_columns(b, m, global);
}

static bool has_args(const char *target)
{
	return target && (strcmp(target, "FUNCTION") == 0 || strcmp(target, "AGGREGATE") == 0);
}

/* change type, target, keyspace, [name], [arg types]: shared by RESULT and EVENT. */
void tp_encode_schema_change(hl_buf *b, const qry_result *res)
{
	put_str(b, res->change_type);
	put_str(b, res->target);
	put_str(b, res->sc_keyspace);
	if (res->target && strcmp(res->target, "KEYSPACE") == 0)
		return;
	put_str(b, res->sc_name);
	if (has_args(res->target)) {
		int n = res->nargs > 0 ? res->nargs : 0;

		hl_buf_u16(b, (uint16_t)n);
		for (int i = 0; i < n; i++)
			put_str(b, res->arg_types[i]);
	}
}

void tp_encode_result(hl_buf *b, int version, const qry_result *res)
{
	hl_buf_u32(b, (uint32_t)res->kind);
	switch (res->kind) {
	case QRY_RESULT_ROWS:
		put_result_meta(b, &res->meta, res->meta.no_metadata, res->paging_state,
				res->paging_state_len);
		hl_buf_u32(b, (uint32_t)(res->nrows > 0 ? res->nrows : 0));
		hl_buf_put(b, res->rows.p, res->rows.len);
		break;
	case QRY_RESULT_SET_KEYSPACE:
		put_str(b, res->keyspace);
		break;
	case QRY_RESULT_PREPARED:
		hl_buf_pshortbytes(b, res->id, sizeof(res->id));
		if (version >= 5)
			hl_buf_pshortbytes(b, res->result_metadata_id, sizeof(res->result_metadata_id));
		put_bind_meta(b, version, &res->bind_meta);
		/* Statements without result columns say so with NO_METADATA, as Cassandra. */
		put_result_meta(b, &res->result_meta,
				res->result_meta.no_metadata || res->result_meta.ncols <= 0, NULL, 0);
		break;
	case QRY_RESULT_SCHEMA_CHANGE:
		tp_encode_schema_change(b, res);
		break;
	case QRY_RESULT_VOID:
	default:
		break;
	}
}

static void put_list(hl_buf *b, const char *key, const char *const *vals, int n)
{
	put_str(b, key);
	hl_buf_u16(b, (uint16_t)n);
	for (int i = 0; i < n; i++)
		put_str(b, vals[i]);
}

void tp_encode_supported(hl_buf *b)
{
	static const char *const cql[] = { "3.4.7" };
	static const char *const comp[] = { "lz4", "snappy" };
	static const char *const versions[] = { "3/v3", "4/v4", "5/v5" };

	hl_buf_u16(b, 3);
	put_list(b, "CQL_VERSION", cql, 1);
	put_list(b, "COMPRESSION", comp, 2);
	put_list(b, "PROTOCOL_VERSIONS", versions, 3);
}
