/*
 * `helenus cql`: the interactive shell, cqlsh's role, on src/client.
 *
 * It behaves as cqlsh 6.1 does, so people and scripts used to cqlsh keep
 * their habits: the same flags, banner, prompts, statement splitting (a
 * statement ends at ';' outside strings and comments; the shell's own
 * commands may also end at the end of the line), the same table output and
 * error lines, and exit status 2 from -e / -f when a statement failed.
 */
#include "tools/cql_int.h"
#include "tools/tools.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

#define CQLSH_VERSION "6.1.0"

static volatile sig_atomic_t interrupted;
static shell *completing;   /* the shell the libedit completion callback serves */

/* ---------------------------------------------------------------- output */

void sh_printerr(shell *sh, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	sh->error = true;
	fflush(sh->out);
	fflush(stdout);
	if (sh->color)
		fputs(C_RED, stderr);
	if (sh->show_line_nums)
		fprintf(stderr, "%s:%d:", sh->src_name, sh->lineno);
	fputs(msg ? msg : "(out of memory)", stderr);
	if (sh->color)
		fputs(C_RESET, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	free(msg);
}

void sh_write(shell *sh, const char *s)
{
	fputs(s, sh->out);
	fputc('\n', sh->out);
}

/* The name and summary the Python driver gives each error code (cqlsh prints them). */
static const struct {
	int code;
	const char *name, *summary;
	char style;   /* 's' summary line, 'r' raw message, 'i' summary + info dict */
} error_kinds[] = {
	{ HL_ERR_SERVER, "ServerError", "Server error", 'r' },
	{ HL_ERR_PROTOCOL, "ProtocolException", "Protocol error", 'r' },
	{ HL_ERR_BAD_CREDENTIALS, "BadCredentials", "Bad credentials", 'r' },
	{ HL_ERR_UNAVAILABLE, "Unavailable", "Unavailable exception", 'i' },
	{ HL_ERR_OVERLOADED, "OverloadedErrorMessage", "Coordinator node overloaded", 'r' },
	{ HL_ERR_IS_BOOTSTRAPPING, "IsBootstrappingErrorMessage", "Coordinator node is bootstrapping",
	  'r' },
	{ HL_ERR_TRUNCATE, "TruncateError", "Error during truncate", 'r' },
	{ HL_ERR_WRITE_TIMEOUT, "WriteTimeout",
	  "Coordinator node timed out waiting for replica nodes' responses", 'i' },
	{ HL_ERR_READ_TIMEOUT, "ReadTimeout",
	  "Coordinator node timed out waiting for replica nodes' responses", 'i' },
	{ HL_ERR_READ_FAILURE, "ReadFailure", "Replica(s) failed to execute read", 'i' },
	{ HL_ERR_FUNCTION_FAILURE, "FunctionFailure", "User Defined Function failure", 's' },
	{ HL_ERR_WRITE_FAILURE, "WriteFailure", "Replica(s) failed to execute write", 'i' },
	{ HL_ERR_CDC_WRITE_FAILURE, "CDCWriteException",
	  "Failed to execute write due to CDC space exhaustion.", 'r' },
	{ HL_ERR_CAS_WRITE_UNKNOWN, "ErrorMessage", "Unknown", 's' },
	{ HL_ERR_SYNTAX, "SyntaxException", "Syntax error in CQL query", 'r' },
	{ HL_ERR_UNAUTHORIZED, "Unauthorized", "Unauthorized", 's' },
	{ HL_ERR_INVALID, "InvalidRequest", "Invalid query", 's' },
	{ HL_ERR_CONFIG, "ConfigurationException", "Query invalid because of configuration issue",
	  'r' },
	{ HL_ERR_UNPREPARED, "PreparedQueryNotFound",
	  "Matching prepared statement not found on this node", 'r' },
};

static void put_info(hl_buf *b, const hl_err *e)
{
	const char *cl = cli_cl_name(e->cl);

	hl_buf_printf(b, " info={'consistency': '%s', ", cl ? cl : "UNKNOWN");
	switch (e->code) {
	case HL_ERR_UNAVAILABLE:
		hl_buf_printf(b, "'required_replicas': %d, 'alive_replicas': %d}", e->required, e->alive);
		break;
	case HL_ERR_WRITE_TIMEOUT:
		hl_buf_printf(b, "'required_responses': %d, 'received_responses': %d, 'write_type': '%s'}",
			      e->blockfor, e->received, e->write_type);
		break;
	case HL_ERR_READ_TIMEOUT:
		hl_buf_printf(b, "'required_responses': %d, 'received_responses': %d}", e->blockfor,
			      e->received);
		break;
	default:
		hl_buf_printf(b, "'required_responses': %d, 'received_responses': %d, 'failures': %d}",
			      e->blockfor, e->received, e->failures);
		break;
	}
}

void sh_report_error(shell *sh, const hl_err *e)
{
	hl_buf b;

	hl_buf_init(&b);
	sh_error_text(sh, e, &b);
	hl_buf_u8(&b, 0);
	sh_printerr(sh, "%s", (const char *)b.p);
	hl_buf_free(&b);
}

void sh_error_text(const shell *sh, const hl_err *e, hl_buf *b)
{
	if (e->code == CLI_ERR_TIMEOUT) {
		hl_buf_printf(b, "OperationTimedOut: errors={'%s:%s': '%s'}, last_host=%s:%s", sh->host,
			      sh->port, "Client request timeout. See Session.execute[_async](timeout)",
			      sh->host, sh->port);
	} else if (e->code < 0) {
		hl_buf_printf(b, "NoHostAvailable: ('Unable to complete the operation against any hosts', "
			      "{'%s:%s': ConnectionException('%s')})", sh->host, sh->port, e->msg);
	} else if (e->code == HL_ERR_ALREADY_EXISTS) {
		if (e->table[0])
			hl_buf_printf(b, "AlreadyExists: Table '%s.%s' already exists", e->ks, e->table);
		else
			hl_buf_printf(b, "AlreadyExists: Keyspace '%s' already exists", e->ks);
	} else {
		size_t i;

		for (i = 0; i < sizeof error_kinds / sizeof error_kinds[0]; i++)
			if (error_kinds[i].code == e->code)
				break;
		if (i == sizeof error_kinds / sizeof error_kinds[0]) {
			hl_buf_printf(b, "ErrorMessage: <Error from server: code=%04x [Unknown] message=\"%s\">",
				      (unsigned)e->code, e->msg);
		} else if (error_kinds[i].style == 'r') {
			hl_buf_printf(b, "%s: %s", error_kinds[i].name, e->msg);
		} else {
			hl_buf_printf(b, "%s: Error from server: code=%04x [%s] message=\"%s\"",
				      error_kinds[i].name, (unsigned)e->code, error_kinds[i].summary, e->msg);
			if (error_kinds[i].style == 'i')
				put_info(b, e);
		}
	}
}

/* ---------------------------------------------------------------- results */

static void qopts_for(shell *sh, cli_qopts *q, bool paged)
{
	cli_qopts_init(q);
	q->consistency = sh->consistency;
	q->serial_consistency = sh->serial_consistency;
	q->page_size = paged && sh->paging ? sh->page_size : 0;
	q->tracing = sh->tracing;
}

cli_result *sh_query_all(shell *sh, const char *cql, int cl, hl_err *err)
{
	cli_qopts q;
	cli_result *all = NULL, *page;
	hl_buf state;

	cli_qopts_init(&q);
	q.consistency = cl;
	q.page_size = 1000;
	hl_buf_init(&state);
	for (;;) {
		if (cli_query(sh->conn, cql, strlen(cql), &q, &page, err)) {
			cli_result_free(all);
			all = NULL;
			break;
		}
		if (!all) {
			all = page;
		} else {
			/* append this page's cells to the first result (its arena owns the copies) */
			size_t have = (size_t)all->nrows * (size_t)all->ncols;
			size_t add = (size_t)page->nrows * (size_t)page->ncols;
			cli_cell *cells;

			if (page->ncols != all->ncols) {
				cli_result_free(page);
				break;
			}
			cells = hl_arena_alloc(all->arena, sizeof *cells * (have + add + 1));
			memcpy(cells, all->cells, sizeof *cells * have);
			for (size_t i = 0; i < add; i++) {
				cells[have + i].n = page->cells[i].n;
				cells[have + i].p = page->cells[i].n > 0
					? hl_arena_memdup(all->arena, page->cells[i].p, (size_t)page->cells[i].n)
					: (const uint8_t *)"";
			}
			all->cells = cells;
			all->nrows += page->nrows;
			all->has_more = page->has_more;
		}
		if (!page->has_more || page->paging_len <= 0) {
			if (page != all)
				cli_result_free(page);
			break;
		}
		hl_buf_reset(&state);
		hl_buf_put(&state, page->paging_state, (size_t)page->paging_len);
		q.paging_state = state.p;
		q.paging_len = (int32_t)state.len;
		if (page != all)
			cli_result_free(page);
	}
	hl_buf_free(&state);
	return all;
}

/* Column roles for header colours: partition key red, clustering cyan, static white. */
static const char *role_color(shell *sh, const cli_col *col)
{
	if (!sh->color || !col->ks[0] || !col->table[0])
		return C_MAGENTA;
	if (!sh->role_ks || strcmp(sh->role_ks, col->ks) || strcmp(sh->role_table, col->table)) {
		hl_buf q;
		hl_err err;
		cli_result *r;

		free(sh->role_ks);
		free(sh->role_table);
		for (int i = 0; i < sh->nroles; i++)
			free(sh->role_names[i]);
		free(sh->role_names);
		free(sh->role_kinds);
		sh->role_names = NULL;
		sh->role_kinds = NULL;
		sh->nroles = 0;
		sh->role_ks = hl_strdup(col->ks);
		sh->role_table = hl_strdup(col->table);
		hl_buf_init(&q);
		hl_buf_str(&q, "SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = ");
		hl_buf_u8(&q, '\'');
		for (const char *p = col->ks; *p; p++) {
			if (*p == '\'')
				hl_buf_u8(&q, '\'');
			hl_buf_u8(&q, (uint8_t)*p);
		}
		hl_buf_str(&q, "' AND table_name = '");
		for (const char *p = col->table; *p; p++) {
			if (*p == '\'')
				hl_buf_u8(&q, '\'');
			hl_buf_u8(&q, (uint8_t)*p);
		}
		hl_buf_str(&q, "'");
		hl_buf_u8(&q, 0);
		r = sh_query_all(sh, (const char *)q.p, CLI_CL_ONE, &err);
		hl_buf_free(&q);
		if (r && r->kind == CLI_RES_ROWS && r->ncols == 2) {
			sh->role_names = hl_calloc((size_t)r->nrows + 1, sizeof *sh->role_names);
			sh->role_kinds = hl_calloc((size_t)r->nrows + 1, 1);
			for (int32_t i = 0; i < r->nrows; i++) {
				const cli_cell *n = cli_cell_at(r, i, 0), *k = cli_cell_at(r, i, 1);

				if (n->n < 0 || k->n < 0)
					continue;
				sh->role_names[sh->nroles] = hl_strndup((const char *)n->p, (size_t)n->n);
				sh->role_kinds[sh->nroles++] =
					k->n >= 9 && !memcmp(k->p, "partition", 9) ? 'p'
					: k->n >= 10 && !memcmp(k->p, "clustering", 10) ? 'c'
					: k->n == 6 && !memcmp(k->p, "static", 6) ? 's' : 'r';
			}
		}
		cli_result_free(r);
	}
	for (int i = 0; i < sh->nroles; i++)
		if (!strcmp(sh->role_names[i], col->name))
			return sh->role_kinds[i] == 'p' ? C_RED : sh->role_kinds[i] == 'c' ? C_CYAN
			     : sh->role_kinds[i] == 's' ? C_WHITE : C_MAGENTA;
	return C_MAGENTA;
}

/* One page as cqlsh's print_static_result. */
static void print_static(shell *sh, const cli_result *r, bool with_header, int offset)
{
	fval *names, *vals = NULL;
	size_t ncells;

	if (r->ncols == 0 || !r->cols)
		return;
	names = hl_calloc((size_t)r->ncols, sizeof *names);
	for (int c = 0; c < r->ncols; c++) {
		fval_init(&names[c]);
		fmt_colname(sh, r->cols[c].name, role_color(sh, &r->cols[c]), &names[c]);
	}
	ncells = (size_t)r->nrows * (size_t)r->ncols;
	if (r->nrows == 0) {
		print_table(sh, names, r->ncols, NULL, 0, true);
	} else {
		vals = hl_calloc(ncells, sizeof *vals);
		for (int32_t i = 0; i < r->nrows; i++)
			for (int c = 0; c < r->ncols; c++) {
				fval *v = &vals[(size_t)i * (size_t)r->ncols + (size_t)c];

				fval_init(v);
				fmt_cell(sh, r->cols[c].type, cli_cell_at(r, i, c), v);
			}
		if (sh->expand)
			print_vertical(sh, names, r->ncols, vals, r->nrows, offset);
		else
			print_table(sh, names, r->ncols, vals, r->nrows, with_header);
		for (size_t i = 0; i < ncells; i++)
			fval_free(&vals[i]);
		free(vals);
	}
	for (int c = 0; c < r->ncols; c++)
		fval_free(&names[c]);
	free(names);
}

/* cqlsh's "---MORE---" pause; false if the user ended input there. */
static bool more_prompt(shell *sh)
{
	char *line;

	fflush(sh->out);
	line = readline("---MORE---");
	if (!line)
		return false;
	free(line);
	return true;
}

static void print_warnings(shell *sh, const cli_result *r)
{
	if (!r->nwarnings)
		return;
	sh_write(sh, "");
	sh_write(sh, "Warnings :");
	for (int i = 0; i < r->nwarnings; i++) {
		sh_write(sh, r->warnings[i]);
		sh_write(sh, "");
	}
}

/* ---- TRACING ON: cqlsh's print_trace (tracing.py) ---- */

static void tval(const shell *sh, fval *v, const char *text, const char *color)
{
	fval_init(v);
	hl_buf_str(&v->s, text);
	if (sh->color)
		hl_buf_printf(&v->c, "%s%s%s", color, text, C_RESET);
	else
		hl_buf_str(&v->c, text);
	v->w = fmt_width(text, strlen(text));
}

static const cli_cell *trace_cell(const cli_result *r, int row, int col)
{
	const cli_cell *c = cli_cell_at(r, row, col);

	return c->n >= 0 ? c : NULL;
}

static void trace_text(const cli_cell *c, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s", c ? (int)c->n : 0, c ? (const char *)c->p : "");
}

static void trace_inet(const cli_cell *c, char *out, size_t cap)
{
	out[0] = 0;
	if (c && (c->n == 4 || c->n == 16))
		inet_ntop(c->n == 4 ? AF_INET : AF_INET6, c->p, out, (socklen_t)cap);
}

static int64_t be_int(const cli_cell *c)
{
	int64_t v = 0;

	if (!c || c->n <= 0 || c->n > 8)
		return 0;
	for (int i = 0; i < c->n; i++)
		v = (int64_t)((uint64_t)v << 8 | c->p[i]);
	if (c->n < 8 && (c->p[0] & 0x80))
		v -= (int64_t)1 << (8 * c->n);
	return v;
}

/* Local time as Python's str(datetime): microseconds only when non-zero. */
static void trace_time(int64_t us, char *out, size_t cap)
{
	time_t secs = (time_t)(us / 1000000);
	unsigned frac = (unsigned)(us % 1000000) % 1000000u;
	struct tm tm;
	char base[32];

	localtime_r(&secs, &tm);
	strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
	if (frac)
		snprintf(out, cap, "%s.%06u", base, frac);
	else
		snprintf(out, cap, "%s", base);
}

/* The unix time in microseconds of a version 1 UUID. */
static int64_t uuid_micros(const cli_cell *c)
{
	uint64_t ts;

	if (!c || c->n != 16)
		return 0;
	ts = ((uint64_t)(c->p[6] & 0x0f) << 56) | ((uint64_t)c->p[7] << 48) | ((uint64_t)c->p[4] << 40) |
	     ((uint64_t)c->p[5] << 32) | ((uint64_t)c->p[0] << 24) | ((uint64_t)c->p[1] << 16) |
	     ((uint64_t)c->p[2] << 8) | c->p[3];
	return (int64_t)((ts - 0x01B21DD213814000ull) / 10);
}

static void print_trace(shell *sh, const uint8_t id[16])
{
	static const char *const names[] = { "activity", "timestamp", "source", "source_elapsed", "client" };
	hl_uuid u;
	char sid[37], q[256], client[64], coord[64], buf[1200], when[64], num[32];
	hl_err err;
	cli_result *ses = NULL, *ev = NULL;
	fval hdr[5], *vals = NULL;
	int nrows = 0;
	int64_t started_us;

	memcpy(u.b, id, 16);
	hl_uuid_str(&u, sid);
	/* the session row appears once the request completed (duration set) */
	for (int attempt = 0; attempt < 10; attempt++) {
		snprintf(q, sizeof q, "SELECT request, started_at, coordinator, duration, client FROM "
			 "system_traces.sessions WHERE session_id = %s", sid);
		cli_result_free(ses);
		ses = sh_query_all(sh, q, CLI_CL_ONE, &err);
		if (!ses || (ses->nrows > 0 && trace_cell(ses, 0, 3)))
			break;
		usleep(3000u << attempt);
	}
	if (ses) {
		snprintf(q, sizeof q, "SELECT activity, event_id, source, source_elapsed, thread FROM "
			 "system_traces.events WHERE session_id = %s", sid);
		ev = sh_query_all(sh, q, CLI_CL_ONE, &err);
	}
	if (!ses || !ev) {
		sh_printerr(sh, "Unable to fetch query trace: %s", err.msg);
		goto out;
	}
	if (ses->nrows < 1 || ev->nrows < 1) {
		sh_printerr(sh, "No rows for session %s found.", sid);
		goto out;
	}
	trace_inet(trace_cell(ses, 0, 2), coord, sizeof coord);
	trace_inet(trace_cell(ses, 0, 4), client, sizeof client);
	started_us = be_int(trace_cell(ses, 0, 1)) * 1000;
	vals = hl_calloc((size_t)(ev->nrows + 2) * 5, sizeof *vals);
	/* first row: the request, from the session */
	trace_text(trace_cell(ses, 0, 0), buf, sizeof buf);
	trace_time(started_us, when, sizeof when);
	tval(sh, &vals[0], buf, C_YELLOW);
	tval(sh, &vals[1], when, C_YELLOW);
	tval(sh, &vals[2], coord, C_YELLOW);
	tval(sh, &vals[3], "0", C_GREEN);
	tval(sh, &vals[4], client, C_YELLOW);
	nrows = 1;
	for (int32_t i = 0; i < ev->nrows; i++, nrows++) {
		fval *v = &vals[(size_t)nrows * 5];
		char act[1024], thr[64], src[64];

		trace_text(trace_cell(ev, i, 0), act, sizeof act);
		trace_text(trace_cell(ev, i, 4), thr, sizeof thr);
		snprintf(buf, sizeof buf, "%s [%s]", act, thr);
		trace_time(uuid_micros(trace_cell(ev, i, 1)), when, sizeof when);
		trace_inet(trace_cell(ev, i, 2), src, sizeof src);
		snprintf(num, sizeof num, "%lld", (long long)be_int(trace_cell(ev, i, 3)));
		tval(sh, &v[0], buf, C_YELLOW);
		tval(sh, &v[1], when, C_YELLOW);
		tval(sh, &v[2], src, C_YELLOW);
		tval(sh, &v[3], num, C_GREEN);
		tval(sh, &v[4], client, C_YELLOW);
	}
	/* footer: from the session's duration */
	{
		fval *v = &vals[(size_t)nrows * 5];
		const cli_cell *d = trace_cell(ses, 0, 3);

		if (d) {
			trace_time(started_us + be_int(d), when, sizeof when);
			snprintf(num, sizeof num, "%lld", (long long)be_int(d));
			tval(sh, &v[0], "Request complete", C_YELLOW);
			tval(sh, &v[1], when, C_YELLOW);
			tval(sh, &v[2], coord, C_YELLOW);
			tval(sh, &v[3], num, C_GREEN);
			tval(sh, &v[4], client, C_YELLOW);
			nrows++;
		}
	}
	for (int c = 0; c < 5; c++) {
		fval_init(&hdr[c]);
		fmt_colname(sh, names[c], C_MAGENTA, &hdr[c]);
	}
	sh_write(sh, "");
	fprintf(sh->out, "%sTracing session: %s%s\n", sh->color ? C_MAGENTA : "", sh->color ? C_RESET : "", sid);
	sh_write(sh, "");
	print_table(sh, hdr, 5, vals, nrows, true);
	sh_write(sh, "");
	for (int c = 0; c < 5; c++)
		fval_free(&hdr[c]);
	for (int i = 0; i < nrows * 5; i++)
		fval_free(&vals[i]);
out:
	free(vals);
	cli_result_free(ses);
	cli_result_free(ev);
}

/* The driver reconnects behind cqlsh's back; do the same after a broken connection. */
int sh_ensure_conn(shell *sh, hl_err *err)
{
	cli_conn *c;
	cli_opts o = sh->opts;

	if (cli_connected(sh->conn))
		return 0;
	o.keyspace = cli_keyspace(sh->conn);
	o.protocol = cli_protocol(sh->conn);
	if (cli_connect(&o, &c, err))
		return -1;
	cli_close(sh->conn);
	sh->conn = c;
	return 0;
}

static bool starts_with_word(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n >= k && !strncasecmp(s, w, k);
}

bool sh_perform(shell *sh, const char *stmt, size_t len)
{
	cli_qopts q;
	cli_result *r = NULL;
	hl_err err;
	hl_buf state;
	bool is_select = starts_with_word(stmt, len, "select");
	bool ok = false;

	qopts_for(sh, &q, true);
	hl_buf_init(&state);
	if (sh_ensure_conn(sh, &err) || cli_query(sh->conn, stmt, len, &q, &r, &err)) {
		sh_report_error(sh, &err);
		goto out;
	}
	ok = true;
	if (is_select && r->kind == CLI_RES_ROWS) {
		int total = 0;
		bool first = true;

		sh_write(sh, "");
		for (;;) {
			if (r->nrows || first) {
				print_static(sh, r, first || sh->tty, total);
				total += r->nrows;
			}
			if (r->has_more && r->paging_len > 0) {
				cli_result *next;

				if (sh->tty && !sh->capture_name && !more_prompt(sh))
					break;
				hl_buf_reset(&state);
				hl_buf_put(&state, r->paging_state, (size_t)r->paging_len);
				q.paging_state = state.p;
				q.paging_len = (int32_t)state.len;
				if (cli_query(sh->conn, stmt, len, &q, &next, &err)) {
					sh_report_error(sh, &err);
					break;
				}
				cli_result_free(r);
				r = next;
			} else {
				if (!sh->tty)
					sh_write(sh, "");
				break;
			}
			first = false;
		}
		fprintf(sh->out, "(%d rows)\n", total);
	} else if (r->kind == CLI_RES_ROWS && r->nrows > 0) {
		/* conditional updates answer with rows ([applied], ...) */
		sh_write(sh, "");
		print_static(sh, r, true, 0);
	}
	print_warnings(sh, r);
	if (sh->tracing && r->has_tracing_id)
		print_trace(sh, r->tracing_id);
out:
	fflush(sh->out);
	hl_buf_free(&state);
	cli_result_free(r);
	return ok;
}

/* ---------------------------------------------------------------- splitting */

/* Shell commands that end at the end of their line as well as at ';' (cqlsh's list). */
static bool ends_with_newline(const char *w, size_t n)
{
	static const char *const cmds[] = {
		"help", "?", "consistency", "serial", "describe", "desc", "show", "source", "capture",
		"login", "debug", "tracing", "expand", "paging", "exit", "quit", "clear", "cls",
		"history",
	};

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strlen(cmds[i]) == n && !strncasecmp(w, cmds[i], n))
			return true;
	return false;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

typedef void (*stmt_fn)(shell *sh, const char *s, size_t n);

/*
 * Walk buf as cqlsh's lexer would: strings ('' escapes), quoted names,
 * $$ strings, -- and // line comments, block comments. Each complete
 * statement (leading blanks and comments dropped, its ';' kept) goes to fn
 * when fn is set. Returns true when nothing but blanks and comments follows
 * the last complete statement, i.e. the input can run.
 */
static bool split(shell *sh, const char *buf, size_t n, stmt_fn fn)
{
	size_t i = 0, start = 0;
	bool have = false, nl_cmd = false;

	while (i < n) {
		char ch = buf[i];

		if (ch == '\'' || ch == '"') {
			if (!have) {
				have = true;
				start = i;
			}
			for (i++; i < n; i++)
				if (buf[i] == ch) {
					if (i + 1 < n && buf[i + 1] == ch) {
						i++;
						continue;
					}
					break;
				}
			if (i >= n)
				return false;
			i++;
			continue;
		}
		if (ch == '$' && i + 1 < n && buf[i + 1] == '$') {
			const char *e = i + 2 <= n ? memmem(buf + i + 2, n - i - 2, "$$", 2) : NULL;

			if (!have) {
				have = true;
				start = i;
			}
			if (!e)
				return false;
			i = (size_t)(e - buf) + 2;
			continue;
		}
		if ((ch == '-' && i + 1 < n && buf[i + 1] == '-') ||
		    (ch == '/' && i + 1 < n && buf[i + 1] == '/')) {
			while (i < n && buf[i] != '\n')
				i++;
			continue;
		}
		if (ch == '/' && i + 1 < n && buf[i + 1] == '*') {
			const char *e = memmem(buf + i + 2, n - i - 2, "*/", 2);

			if (!e)
				return !have ? false : false;
			i = (size_t)(e - buf) + 2;
			continue;
		}
		if (ch == ';') {
			if (have && fn)
				fn(sh, buf + start, i + 1 - start);
			have = false;
			i++;
			continue;
		}
		if (ch == '\n' && have && nl_cmd) {
			size_t e = i;

			while (e > start && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r'))
				e--;
			if (fn)
				fn(sh, buf + start, e - start);
			have = false;
			i++;
			continue;
		}
		if (!have && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
			size_t w = i;

			have = true;
			start = i;
			if (ch == '?') {
				w = i + 1;
			} else {
				while (w < n && word_char(buf[w]))
					w++;
			}
			nl_cmd = ends_with_newline(buf + i, w - i);
		}
		i++;
	}
	if (have && nl_cmd && fn) {
		/* a shell command on the last line of input, without its newline */
		size_t e = n;

		while (e > start && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r'))
			e--;
		fn(sh, buf + start, e - start);
		return true;
	}
	return !have || nl_cmd;
}

static void run_statement(shell *sh, const char *s, size_t n)
{
	if (sh->stop)
		return;
	if (!cmd_dispatch(sh, s, n))
		sh_perform(sh, s, n);
	fflush(sh->out);
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* ---------------------------------------------------------------- batch input */

void sh_run_file(shell *sh, FILE *f, const char *name)
{
	const char *old_name = sh->src_name;
	int old_line = sh->lineno;
	bool old_tty = sh->tty, old_nums = sh->show_line_nums;
	hl_buf stmt;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;

	sh->src_name = name;
	sh->lineno = 1;
	sh->tty = false;
	sh->show_line_nums = true;
	hl_buf_init(&stmt);
	while (!sh->stop && (got = getline(&line, &cap, f)) >= 0) {
		sh->lineno++;
		hl_buf_put(&stmt, line, (size_t)got);
		if (split(sh, (const char *)stmt.p, stmt.len, NULL) &&
		    (stmt.len == 0 || stmt.p[stmt.len - 1] == '\n' || got == 0)) {
			split(sh, (const char *)stmt.p, stmt.len, run_statement);
			hl_buf_reset(&stmt);
		}
	}
	if (!sh->stop && !blank((const char *)stmt.p, stmt.len)) {
		if (split(sh, (const char *)stmt.p, stmt.len, NULL))
			split(sh, (const char *)stmt.p, stmt.len, run_statement);
		else
			sh_printerr(sh, "Incomplete statement at end of file");
	}
	free(line);
	hl_buf_free(&stmt);
	sh->src_name = old_name;
	sh->lineno = old_line;
	sh->tty = old_tty;
	sh->show_line_nums = old_nums;
}

/* ---------------------------------------------------------------- completion */

static const char *const keywords[] = {
	"ADD", "AGGREGATE", "ALL", "ALLOW", "ALTER", "AND", "APPLY", "AS", "ASC", "AUTHORIZE",
	"BATCH", "BEGIN", "BY", "CAPTURE", "CLEAR", "CLS", "CLUSTERING", "COLUMNFAMILY", "COMPACT",
	"CONSISTENCY", "CONTAINS", "COPY", "COUNT", "COUNTER", "CREATE", "CUSTOM", "DELETE", "DESC",
	"DESCRIBE", "DISTINCT", "DROP", "EXISTS", "EXIT", "EXPAND", "FILTERING", "FROM", "FROZEN",
	"FULL", "FUNCTION", "FUNCTIONS", "GRANT", "HELP", "IF", "IN", "INDEX", "INSERT", "INTO",
	"JSON", "KEY", "KEYSPACE", "KEYSPACES", "LIMIT", "LIST", "LOGIN", "MATERIALIZED", "MODIFY",
	"NOT", "NULL", "OF", "OFF", "ON", "ORDER", "PAGING", "PARTITION", "PERMISSIONS", "PRIMARY",
	"QUIT", "RENAME", "REPLICATION", "REVOKE", "ROLE", "ROLES", "SCHEMA", "SELECT", "SERIAL",
	"SET", "SHOW", "SOURCE", "STATIC", "TABLE", "TABLES", "TIMESTAMP", "TO", "TOKEN", "TRACING",
	"TRUNCATE", "TTL", "TYPE", "TYPES", "UNLOGGED", "UPDATE", "USE", "USER", "USING", "VALUES",
	"VIEW", "WHERE", "WITH", "WRITETIME",
};

static char **cands;
static int ncands;

static void cand_add(const char *s, size_t n)
{
	for (int i = 0; i < ncands; i++)
		if (strlen(cands[i]) == n && !strncmp(cands[i], s, n))
			return;
	cands = hl_realloc(cands, sizeof *cands * (size_t)(ncands + 1));
	cands[ncands++] = hl_strndup(s, n);
}

static void cands_clear(void)
{
	for (int i = 0; i < ncands; i++)
		free(cands[i]);
	free(cands);
	cands = NULL;
	ncands = 0;
}

/* Add the first column of every row of a schema query. */
static void cand_query(shell *sh, const char *cql)
{
	hl_err err;
	cli_result *r = sh_query_all(sh, cql, CLI_CL_ONE, &err);

	if (!r)
		return;
	if (r->kind == CLI_RES_ROWS && r->ncols >= 1)
		for (int32_t i = 0; i < r->nrows; i++) {
			const cli_cell *c = cli_cell_at(r, i, 0);

			if (c->n > 0)
				cand_add((const char *)c->p, (size_t)c->n);
		}
	cli_result_free(r);
}

static void cand_tables(shell *sh, const char *ks)
{
	char q[600];

	if (!ks || strlen(ks) > 400 || strchr(ks, '\''))
		return;
	snprintf(q, sizeof q, "SELECT table_name FROM system_schema.tables WHERE keyspace_name = '%s'",
		 ks);
	cand_query(sh, q);
}

/* The previous word before position end (upper-cased into w), and whether a '.' precedes the word. */
static void prev_word(const char *s, size_t end, char *w, size_t cap, size_t *wstart)
{
	size_t e = end, b;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n'))
		e--;
	b = e;
	while (b > 0 && (word_char(s[b - 1]) || s[b - 1] == '"'))
		b--;
	size_t n = e - b < cap - 1 ? e - b : cap - 1;

	for (size_t i = 0; i < n; i++) {
		char c = s[b + i];

		w[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	w[n] = 0;
	*wstart = b;
}

/* The table a statement names (FROM t / INTO t / UPDATE t / TABLE t), as ks and table. */
static bool stmt_table(const char *s, char *ks, size_t kscap, char *tb, size_t tbcap)
{
	static const char *const intro[] = { "FROM", "INTO", "UPDATE", "TABLE", "COPY" };
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (i && word_char(s[i - 1]))
			continue;
		for (size_t k = 0; k < sizeof intro / sizeof intro[0]; k++) {
			size_t l = strlen(intro[k]), j;

			if (strncasecmp(s + i, intro[k], l) || (i + l < n && word_char(s[i + l])))
				continue;
			j = i + l;
			while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n'))
				j++;
			size_t a = j;

			while (j < n && word_char(s[j]))
				j++;
			if (j == a || j >= n || (j - a) >= kscap)
				continue;
			if (s[j] == '.') {
				size_t b = j + 1, e = b;

				while (e < n && word_char(s[e]))
					e++;
				if (e == b || e - b >= tbcap)
					continue;
				snprintf(ks, kscap, "%.*s", (int)(j - a), s + a);
				snprintf(tb, tbcap, "%.*s", (int)(e - b), s + b);
				return true;
			}
			if (!word_char(s[j]) && j - a < tbcap) {
				ks[0] = 0;
				snprintf(tb, tbcap, "%.*s", (int)(j - a), s + a);
				return true;
			}
		}
	}
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static hl_buf pending;      /* statement lines typed before the current one */

static char *cand_gen(const char *text, int state)
{
	static int idx;
	size_t n = strlen(text);

	if (!state)
		idx = 0;
	while (idx < ncands) {
		const char *c = cands[idx++];

		if (!strncasecmp(c, text, n)) {
			/* keywords follow the case the user started typing */
			char *r = hl_strdup(c);

			if (n && text[0] >= 'a' && text[0] <= 'z')
				for (char *p = r; *p; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p = (char)(*p + 32);
			return r;
		}
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	shell *sh = completing;
	hl_buf all;
	char w[64], ks[256], tb[256];
	size_t wstart;
	bool after_dot;
	char **m;

	(void)end;
	rl_attempted_completion_over = 1;
	if (!sh)
		return NULL;
	cands_clear();
	hl_buf_init(&all);
	hl_buf_put(&all, pending.p, pending.len);
	hl_buf_put(&all, rl_line_buffer, (size_t)start);
	hl_buf_u8(&all, 0);
	after_dot = all.len >= 2 && all.p[all.len - 2] == '.';
	if (after_dot) {
		/* ks.<TAB>: the keyspace's tables */
		size_t e = all.len - 2, b = e;

		while (b > 0 && word_char((char)all.p[b - 1]))
			b--;
		snprintf(ks, sizeof ks, "%.*s", (int)(e - b), (const char *)all.p + b);
		lower(ks);
		cand_tables(sh, ks);
	} else {
		prev_word((const char *)all.p, all.len - 1, w, sizeof w, &wstart);
		if (!strcmp(w, "USE") || !strcmp(w, "KEYSPACE")) {
			cand_query(sh, "SELECT keyspace_name FROM system_schema.keyspaces");
		} else if (!strcmp(w, "FROM") || !strcmp(w, "INTO") || !strcmp(w, "UPDATE") ||
			   !strcmp(w, "TABLE") || !strcmp(w, "TRUNCATE") || !strcmp(w, "DESCRIBE") ||
			   !strcmp(w, "DESC") || !strcmp(w, "COPY")) {
			if (cli_keyspace(sh->conn))
				cand_tables(sh, cli_keyspace(sh->conn));
			cand_query(sh, "SELECT keyspace_name FROM system_schema.keyspaces");
			if (!strcmp(w, "DESCRIBE") || !strcmp(w, "DESC")) {
				static const char *const d[] = { "KEYSPACES", "KEYSPACE", "TABLES", "TABLE",
					"TYPES", "TYPE", "CLUSTER", "SCHEMA", "FULL", "INDEX",
					"FUNCTIONS", "AGGREGATES" };

				for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
					cand_add(d[i], strlen(d[i]));
			}
		} else {
			if (stmt_table((const char *)all.p, ks, sizeof ks, tb, sizeof tb)) {
				char q[700];
				const char *k = ks[0] ? ks : cli_keyspace(sh->conn);

				lower(tb);
				lower(ks);
				if (k && !strchr(k, '\'') && !strchr(tb, '\'')) {
					snprintf(q, sizeof q, "SELECT column_name FROM system_schema.columns "
						 "WHERE keyspace_name = '%s' AND table_name = '%s'", k, tb);
					cand_query(sh, q);
				}
			}
			for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
				cand_add(keywords[i], strlen(keywords[i]));
		}
	}
	hl_buf_free(&all);
	m = rl_completion_matches(text, cand_gen);
	return m;
}

/* ---------------------------------------------------------------- interactive */

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static char *history_path(void)
{
	const char *env = getenv("CQL_HISTORY"), *home = getenv("HOME");
	char *p = NULL;

	if (env && *env)
		return hl_strdup(env);
	if (!home || !*home)
		return NULL;
	if (asprintf(&p, "%s/.cassandra", home) < 0)
		return NULL;
	mkdir(p, 0700);
	free(p);
	if (asprintf(&p, "%s/.cassandra/cqlsh_history", home) < 0)
		return NULL;
	return p;
}

static void set_prompt(shell *sh, char *buf, size_t cap, bool cont, int empty_lines)
{
	const char *ks = cli_keyspace(sh->conn);
	const char *user = sh->opts.username;

	if (cont) {
		if (empty_lines >= 3)
			snprintf(buf, cap, "Statements are terminated with a ';'.  You can press CTRL-C "
				 "to cancel an incomplete statement.");
		else if (ks)
			snprintf(buf, cap, "%*s    ... ", (int)strlen(ks), "");
		else
			snprintf(buf, cap, "   ... ");
		return;
	}
	snprintf(buf, cap, "%s%s%s%s> ", user ? user : "", user ? "@" : "", ks ? "cqlsh:" : "cqlsh",
		 ks ? ks : "");
}

static void interactive(shell *sh)
{
	char prompt[1024];
	char *hist = history_path();
	struct sigaction sa;
	int empty_lines = 0;
	bool cont = false;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: a read at the prompt returns */
	completing = sh;
	rl_readline_name = "cqlsh";
	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(.,";
	rl_completer_word_break_characters = (char *)rl_basic_word_break_characters;
	using_history();
	stifle_history(1000);
	if (hist)
		read_history(hist);
	hl_buf_init(&pending);
	while (!sh->stop) {
		char *line;

		set_prompt(sh, prompt, sizeof prompt, cont, empty_lines);
		interrupted = 0;
		line = readline(prompt);
		if (interrupted) {
			/* Ctrl-C: drop the statement being typed, as cqlsh does */
			free(line);
			hl_buf_reset(&pending);
			cont = false;
			empty_lines = 0;
			putchar('\n');
			continue;
		}
		if (!line) {
			putchar('\n');
			if (!blank((const char *)pending.p, pending.len) &&
			    split(sh, (const char *)pending.p, pending.len, NULL))
				split(sh, (const char *)pending.p, pending.len, run_statement);
			break;
		}
		if (*line)
			add_history(line);
		empty_lines = *line ? 0 : empty_lines + 1;
		hl_buf_str(&pending, line);
		hl_buf_u8(&pending, '\n');
		free(line);
		sh->lineno++;
		if (split(sh, (const char *)pending.p, pending.len, NULL)) {
			if (memchr(pending.p, '\n', pending.len) !=
			    (void *)(pending.p + pending.len - 1)) {
				/* a statement typed over several lines goes into history as one */
				hl_buf one;

				hl_buf_init(&one);
				for (size_t i = 0; i < pending.len; i++)
					hl_buf_u8(&one, pending.p[i] == '\n' ? ' ' : pending.p[i]);
				while (one.len && one.p[one.len - 1] == ' ')
					one.len--;
				hl_buf_u8(&one, 0);
				add_history((const char *)one.p);
				hl_buf_free(&one);
			}
			split(sh, (const char *)pending.p, pending.len, run_statement);
			hl_buf_reset(&pending);
			cont = false;
			empty_lines = 0;
		} else {
			cont = !blank((const char *)pending.p, pending.len);
			if (!cont)
				hl_buf_reset(&pending);
		}
	}
	if (hist) {
		write_history(hist);
		free(hist);
	}
	hl_buf_free(&pending);
	cands_clear();
	completing = NULL;
}

/* ---------------------------------------------------------------- start-up */

static char *cell_str(const cli_result *r, const char *col)
{
	if (r->kind != CLI_RES_ROWS || r->nrows < 1 || !r->cols)
		return hl_strdup("");
	for (int c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c].name, col)) {
			const cli_cell *x = cli_cell_at(r, 0, c);

			return x->n > 0 ? hl_strndup((const char *)x->p, (size_t)x->n) : hl_strdup("");
		}
	return hl_strdup("");
}

/* release_version and cql_version from system.local, as cqlsh reads them for its banner. */
int sh_load_versions(shell *sh, hl_err *err)
{
	cli_result *r = sh_query_all(sh, "select * from system.local where key = 'local'",
				     CLI_CL_ONE, err);
	char *v;
	int dots = 0;

	if (!r)
		return -1;
	free(sh->cluster_name);
	free(sh->release_version);
	free(sh->cql_version);
	sh->cluster_name = cell_str(r, "cluster_name");
	sh->release_version = cell_str(r, "release_version");
	v = cell_str(r, "cql_version");
	/* cqlsh pads the CQL version to three parts */
	for (char *p = v; *p; p++)
		dots += *p == '.';
	if (dots < 2) {
		char *w = NULL;

		if (asprintf(&w, "%s%s", v, dots == 0 ? ".0.0" : ".0") < 0)
			w = hl_strdup(v);
		free(v);
		v = w;
	}
	sh->cql_version = v;
	cli_result_free(r);
	return 0;
}

void sh_show_host(shell *sh)
{
	printf("Connected to %s%s%s at %s:%s\n", sh->color ? C_BLUE : "", sh->cluster_name,
	       sh->color ? C_RESET : "", sh->host, sh->port);
}

void sh_show_version(shell *sh)
{
	printf("[cqlsh %s | Cassandra %s | CQL spec %s | Native protocol v%d]\n", CQLSH_VERSION,
	       sh->release_version, sh->cql_version, cli_protocol(sh->conn));
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: helenus cql [options] [host [port]]\n"
		"\n"
		"CQL Shell for Helenus (and Apache Cassandra)\n"
		"\n"
		"Options:\n"
		"  --version             show program's version number and exit\n"
		"  -h, --help            show this help message and exit\n"
		"  -C, --color           Always use color output\n"
		"  --no-color            Never use color output\n"
		"  -u USERNAME, --username=USERNAME\n"
		"                        Authenticate as user.\n"
		"  -p PASSWORD, --password=PASSWORD\n"
		"                        Authenticate using password.\n"
		"  -k KEYSPACE, --keyspace=KEYSPACE\n"
		"                        Authenticate to the given keyspace.\n"
		"  -f FILE, --file=FILE  Execute commands from FILE, then exit\n"
		"  --cqlversion=CQLVERSION\n"
		"                        Specify a particular CQL version, by default the\n"
		"                        highest version supported by the server will be used.\n"
		"                        Examples: \"3.0.3\", \"3.1.0\"\n"
		"  --protocol-version=PROTOCOL_VERSION\n"
		"                        Specify a specific protcol version otherwise the\n"
		"                        client will default and downgrade as necessary\n"
		"  -e EXECUTE, --execute=EXECUTE\n"
		"                        Execute the statement and quit.\n"
		"  --connect-timeout=CONNECT_TIMEOUT\n"
		"                        Specify the connection timeout in seconds (default: 5\n"
		"                        seconds).\n"
		"  --request-timeout=REQUEST_TIMEOUT\n"
		"                        Specify the default request timeout in seconds\n"
		"                        (default: 10 seconds).\n"
		"  -t, --tty             Force tty mode (command prompt).\n"
		"\n"
		"Connects to 127.0.0.1:9042 by default. These defaults can be changed by\n"
		"setting $CQLSH_HOST and/or $CQLSH_PORT. When a host (and optional port number)\n"
		"are given on the command line, they take precedence over any defaults.\n");
}

static bool should_use_color(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb");
}

static int parse_secs(const char *what, const char *s, int *ms)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v <= 0 || v > 86400) {
		fprintf(stderr, "Usage: helenus cql [options] [host [port]]\n\n"
			"helenus cql: error: \"%s\" is not a valid %s timeout.\n", s, what);
		return -1;
	}
	*ms = (int)v * 1000;
	return 0;
}

static void connection_error(shell *sh, const hl_err *e)
{
	const char *what;

	switch (e->code) {
	case CLI_ERR_CONNECT:
		what = "ConnectionRefusedError(111, \"Tried connecting to [('%s', %s)]. Last error: %s\")";
		fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': ",
			sh->host, sh->port);
		fprintf(stderr, what, sh->host, sh->port, e->msg);
		fprintf(stderr, "})\n");
		return;
	case CLI_ERR_TIMEOUT:
		fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': "
			"OperationTimedOut('errors=Timed out creating connection (%d seconds), "
			"last_host=None')})\n", sh->host, sh->port,
			(sh->opts.connect_timeout_ms + 999) / 1000);
		return;
	case HL_ERR_BAD_CREDENTIALS:
	case CLI_ERR_AUTH:
		fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': "
			"AuthenticationFailed('Failed to authenticate to %s:%s: Error from server: "
			"code=%04x [Bad credentials] message=\"%s\"')})\n", sh->host, sh->port, sh->host,
			sh->port, e->code < 0 ? 0x100 : e->code, e->msg);
		return;
	default:
		break;
	}
	if (e->code == HL_ERR_INVALID && sh->opts.keyspace) {
		fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': "
			"InvalidRequest('Error from server: code=2200 [Invalid query] message=\"%s\"')})\n",
			sh->host, sh->port, e->msg);
		return;
	}
	fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': "
		"ConnectionException('%s')})\n", sh->host, sh->port, e->msg);
}

static void shell_free(shell *sh)
{
	cli_close(sh->conn);
	if (sh->capture_name && sh->out && sh->out != stdout)
		fclose(sh->out);
	free(sh->capture_name);
	free(sh->login_user);
	free(sh->login_pass);
	free(sh->cluster_name);
	free(sh->release_version);
	free(sh->cql_version);
	free(sh->role_ks);
	free(sh->role_table);
	for (int i = 0; i < sh->nroles; i++)
		free(sh->role_names[i]);
	free(sh->role_names);
	free(sh->role_kinds);
}

enum { O_NO_COLOR = 256, O_CQLVERSION, O_PROTOCOL, O_CONNECT_TIMEOUT, O_REQUEST_TIMEOUT,
       O_VERSION, O_ENCODING, O_DEBUG, O_SSL, O_CQLSHRC, O_BROWSER };

int tool_cql(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "color", no_argument, NULL, 'C' },
		{ "no-color", no_argument, NULL, O_NO_COLOR },
		{ "username", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "keyspace", required_argument, NULL, 'k' },
		{ "file", required_argument, NULL, 'f' },
		{ "execute", required_argument, NULL, 'e' },
		{ "cqlversion", required_argument, NULL, O_CQLVERSION },
		{ "protocol-version", required_argument, NULL, O_PROTOCOL },
		{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
		{ "request-timeout", required_argument, NULL, O_REQUEST_TIMEOUT },
		{ "tty", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "encoding", required_argument, NULL, O_ENCODING },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "ssl", no_argument, NULL, O_SSL },
		{ "cqlshrc", required_argument, NULL, O_CQLSHRC },
		{ "browser", required_argument, NULL, O_BROWSER },
		{ NULL, 0, NULL, 0 },
	};
	shell sh;
	const char *file = NULL, *exec = NULL, *env;
	char *exec_buf = NULL;
	int color = -1, o, rc = 0;
	bool force_tty = false;
	FILE *in = NULL;
	hl_err err;

	setlocale(LC_CTYPE, "");
	memset(&sh, 0, sizeof sh);
	snprintf(sh.host, sizeof sh.host, "%s", (env = getenv("CQLSH_HOST")) && *env ? env : "127.0.0.1");
	snprintf(sh.port, sizeof sh.port, "%s", (env = getenv("CQLSH_PORT")) && *env ? env : "9042");
	sh.opts.connect_timeout_ms = 5000;
	sh.opts.request_timeout_ms = 10000;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":Cu:p:k:f:e:thv", opts, NULL)) != -1) {
		switch (o) {
		case 'C':
			color = 1;
			break;
		case O_NO_COLOR:
			color = 0;
			break;
		case 'u':
			sh.opts.username = optarg;
			break;
		case 'p':
			sh.opts.password = optarg;
			break;
		case 'k':
			sh.opts.keyspace = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'e':
			exec = optarg;
			break;
		case O_CQLVERSION:
			sh.opts.cql_version = optarg;
			if (atoi(optarg) < 3) {
				fprintf(stderr, "helenus cql: error: '%s' is not a supported CQL version.\n",
					optarg);
				return 2;
			}
			break;
		case O_PROTOCOL: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 3 || v > 5) {
				fprintf(stderr, "helenus cql: error: --protocol-version must be 3, 4 or 5\n");
				return 2;
			}
			sh.opts.protocol = (int)v;
			break;
		}
		case O_CONNECT_TIMEOUT:
			if (parse_secs("connect", optarg, &sh.opts.connect_timeout_ms))
				return 2;
			break;
		case O_REQUEST_TIMEOUT:
			if (parse_secs("request", optarg, &sh.opts.request_timeout_ms))
				return 2;
			break;
		case 't':
			force_tty = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
		case O_VERSION:
			printf("cqlsh %s\n", CQLSH_VERSION);
			return 0;
		case O_SSL:
			fprintf(stderr, "helenus cql: --ssl is not supported yet\n");
			return 2;
		case O_ENCODING:
		case O_DEBUG:
		case O_CQLSHRC:
		case O_BROWSER:
			break;   /* accepted for cqlsh compatibility; nothing to do */
		case ':':
			fprintf(stderr, "Usage: helenus cql [options] [host [port]]\n\n"
				"helenus cql: error: %s option requires an argument\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "Usage: helenus cql [options] [host [port]]\n\n"
				"helenus cql: error: no such option: %s\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc)
		snprintf(sh.host, sizeof sh.host, "%s", argv[optind++]);
	if (optind < argc)
		snprintf(sh.port, sizeof sh.port, "%s", argv[optind++]);
	if (optind < argc) {
		fprintf(stderr, "helenus cql: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	{
		char *end;
		long p = strtol(sh.port, &end, 10);

		if (*end || p <= 0 || p > 65535) {
			fprintf(stderr, "Usage: helenus cql [options] [host [port]]\n\n"
				"helenus cql: error: '%s' is not a valid port number.\n", sh.port);
			return 2;
		}
	}
	if (sh.opts.password)
		fprintf(stderr, "\nWarning: Using a password on the command line interface can be insecure."
			"\nRecommendation: use the credentials file to securely provide the password.\n\n");
	if (file) {
		in = fopen(file, "r");
		if (!in) {
			fprintf(stderr, "Can't open '%s': %s\n", file, strerror(errno));
			return 1;
		}
	}
	sh.tty = force_tty || (isatty(STDIN_FILENO) && !file && !exec);
	if (file || exec)
		sh.tty = false;
	sh.color = color >= 0 ? color == 1 : file ? false : should_use_color();
	sh.show_line_nums = !sh.tty;
	sh.src_name = file ? file : "<stdin>";
	sh.lineno = 1;
	sh.out = stdout;
	sh.paging = true;
	sh.page_size = 100;
	sh.consistency = CLI_CL_ONE;
	sh.serial_consistency = CLI_CL_SERIAL;
	sh.float_precision = 5;
	sh.double_precision = 5;
	sh.opts.host = sh.host;
	sh.opts.port = sh.port;
	if (cli_connect(&sh.opts, &sh.conn, &err)) {
		connection_error(&sh, &err);
		if (in)
			fclose(in);
		return 1;
	}
	if (sh_load_versions(&sh, &err)) {
		fprintf(stderr, "Connection error: %s\n", err.msg);
		rc = 1;
		goto out;
	}
	if (sh.tty) {
		sh_show_host(&sh);
		sh_show_version(&sh);
		printf("Use HELP for help.\n");
		fflush(stdout);
	}
	if (exec) {
		size_t n = strlen(exec);

		/* as cqlsh: -e text gets its ';' if it has none */
		exec_buf = hl_malloc(n + 2);
		memcpy(exec_buf, exec, n + 1);
		if (!n || exec[n - 1] != ';')
			memcpy(exec_buf + n, ";", 2);
		if (split(&sh, exec_buf, strlen(exec_buf), NULL))
			split(&sh, exec_buf, strlen(exec_buf), run_statement);
	} else if (in) {
		sh_run_file(&sh, in, file);
	} else if (sh.tty) {
		interactive(&sh);
	} else {
		sh_run_file(&sh, stdin, "<stdin>");
	}
	if (!sh.tty && sh.error)
		rc = 2;
out:
	fflush(stdout);
	if (in)
		fclose(in);
	free(exec_buf);
	shell_free(&sh);
	return rc;
}
