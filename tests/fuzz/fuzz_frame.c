/*
 * libFuzzer target for the transport: arbitrary bytes arrive on a tp_conn
 * as they would from a client, split into chunks, every decoded request is
 * answered (RESULT, ERROR or AUTH_SUCCESS) so the encoders run too, and all
 * output is drained. Everything is freed per input, so leaks show up.
 *
 * Input layout: byte 0 configures the connection (bit 0: password auth,
 * bit 1: 4 KiB max frame size, bits 2-7: feed chunk size, 0 = all at once);
 * the rest is the client's byte stream.
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "transport/transport.h"
#include "types/types.h"

static void answer(tp_conn *c, const tp_request *rq, unsigned n)
{
	qry_result res;
	hl_err e;

	memset(&res, 0, sizeof(res));
	hl_buf_init(&res.rows);
	if (rq->opcode == TP_OP_AUTH_RESPONSE) {
		if (n & 1) {
			tp_conn_auth_success(c, rq->stream, rq->token, rq->token_len < 0 ? 0 : rq->token_len);
		} else {
			hl_err_clear(&e);
			hl_errf(&e, HL_ERR_BAD_CREDENTIALS, "bad");
			tp_conn_respond_error(c, rq->stream, &e);
		}
		return;
	}
	switch (n % 4) {
	case 0: {
		qry_colspec col = { "ks", "t", "v", ty_simple(TY_BLOB) };

		res.kind = QRY_RESULT_ROWS;
		res.meta.ncols = 1;
		res.meta.cols = &col;
		res.meta.no_metadata = rq->params.skip_metadata;
		res.nrows = 1;
		/* echo the query back as the cell, so large inputs make large outputs */
		hl_buf_pbytes(&res.rows, rq->query, (int32_t)(rq->query_len > 300000 ? 300000 : rq->query_len));
		res.nwarnings = 1;
		res.warnings[0] = "w";
		tp_conn_respond(c, rq->stream, &res);
		break;
	}
	case 1:
		hl_err_clear(&e);
		hl_errf(&e, HL_ERR_UNPREPARED, "unprepared");
		e.id_len = (int)(rq->id_len > 16 ? 16 : rq->id_len);
		if (rq->id)
			memcpy(e.id, rq->id, (size_t)e.id_len);
		tp_conn_respond_error(c, rq->stream, &e);
		break;
	case 2:
		res.kind = QRY_RESULT_SCHEMA_CHANGE;
		res.change_type = "CREATED";
		res.target = "TABLE";
		res.sc_keyspace = "ks";
		res.sc_name = "t";
		tp_conn_respond(c, rq->stream, &res);
		tp_conn_event_schema(c, &res);
		break;
	default:
		res.kind = QRY_RESULT_VOID;
		tp_conn_respond(c, rq->stream, &res);
		break;
	}
	hl_buf_free(&res.rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tp_conn_opts o = { 0 };
	tp_conn *c;
	hl_arena *a;
	size_t chunk, off;
	unsigned n = 0;

	if (size < 1)
		return 0;
	o.password_auth = data[0] & 1;
	o.max_frame_size = (data[0] & 2) ? 4096 : 0;
	chunk = data[0] >> 2;
	data++;
	size--;
	if (!chunk)
		chunk = size ? size : 1;

	c = tp_conn_new(&o);
	a = hl_arena_new(4096);
	for (off = 0; off < size; off += chunk) {
		size_t part = size - off < chunk ? size - off : chunk;
		tp_request rq;
		size_t outn;

		if (tp_conn_feed(c, data + off, part))
			break;
		while (tp_conn_next(c, &rq, a) == 1) {
			answer(c, &rq, n++);
			hl_arena_reset(a);
		}
		tp_conn_output(c, &outn);
		tp_conn_consume_output(c, outn / 2 + 1);
	}
	{
		size_t outn;

		tp_conn_output(c, &outn);
		tp_conn_consume_output(c, outn);
	}
	hl_arena_free(a);
	tp_conn_free(c);
	return 0;
}
