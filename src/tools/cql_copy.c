/*
 * tools/cql_copy.c: COPY TO / COPY FROM, cqlsh's CSV export and import.
 *
 * cqlsh farms the work out to child processes; one connection is plenty
 * for a single node, so this runs in the shell's own connection: COPY TO
 * pages through `SELECT cols FROM ks.t`, COPY FROM sends UNLOGGED batches
 * of literal INSERTs (cqlsh's PREPAREDSTATEMENTS=False path), which lets the
 * server convert every CSV field, collections included, with its own CQL
 * literal rules. Values are written as cqlsh writes them (its display
 * format without colour), so a file exported here imports back.
 */
#include "tools/cql_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct copy_opts {
	char delim, quote, escape;
	bool header;
	char *null;
	long maxrows, skiprows, pagesize, chunksize, maxbatchsize;
} copy_opts;

typedef struct copy_col {
	char *name;
	const ty_type *type;
} copy_col;

static void col_free(copy_col *c, int n)
{
	for (int i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

/* CQL name, quoted when it is not a plain lower-case identifier. */
static void put_name(hl_buf *b, const char *s)
{
	bool plain = s[0] >= 'a' && s[0] <= 'z';

	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	if (plain) {
		hl_buf_str(b, s);
		return;
	}
	hl_buf_u8(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			hl_buf_u8(b, '"');
		hl_buf_u8(b, (uint8_t)*p);
	}
	hl_buf_u8(b, '"');
}

static void put_quoted(hl_buf *b, const char *s, size_t n)
{
	hl_buf_u8(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			hl_buf_u8(b, '\'');
		hl_buf_u8(b, (uint8_t)s[i]);
	}
	hl_buf_u8(b, '\'');
}

/*
 * The table's columns in the driver's metadata order (partition key,
 * clustering, then the others by name), with their types, from
 * system_schema.columns. Returns the count, -1 if the table is unknown.
 */
static int table_columns(shell *sh, const char *ks, const char *table, hl_arena *a,
			 copy_col **out)
{
	hl_buf q;
	hl_err err;
	cli_result *r;
	copy_col *cols;
	int n = 0;

	hl_buf_init(&q);
	hl_buf_str(&q, "SELECT column_name, kind, position, type FROM system_schema.columns WHERE "
		       "keyspace_name = ");
	put_quoted(&q, ks, strlen(ks));
	hl_buf_str(&q, " AND table_name = ");
	put_quoted(&q, table, strlen(table));
	hl_buf_u8(&q, 0);
	r = sh_query_all(sh, (const char *)q.p, CLI_CL_ONE, &err);
	hl_buf_free(&q);
	if (!r || r->kind != CLI_RES_ROWS || r->ncols != 4 || r->nrows == 0) {
		cli_result_free(r);
		return -1;
	}
	cols = hl_calloc((size_t)r->nrows, sizeof *cols);
	/* three passes: partition key by position, clustering by position, the rest as stored */
	for (int pass = 0; pass < 3; pass++) {
		for (int pos = 0; pos <= (pass < 2 ? r->nrows : 0); pos++) {
			for (int32_t i = 0; i < r->nrows; i++) {
				const cli_cell *cn = cli_cell_at(r, i, 0), *ck = cli_cell_at(r, i, 1);
				const cli_cell *cp = cli_cell_at(r, i, 2), *ct = cli_cell_at(r, i, 3);
				bool pk = ck->n >= 9 && !memcmp(ck->p, "partition", 9);
				bool ck_ = ck->n >= 10 && !memcmp(ck->p, "clustering", 10);
				const ty_type *t;

				if (cn->n < 0 || ct->n < 0)
					continue;
				if ((pass == 0 && !pk) || (pass == 1 && !ck_) || (pass == 2 && (pk || ck_)))
					continue;
				if (pass < 2 && ty_get_int(cp->p, cp->n > 0 ? (size_t)cp->n : 0) != pos)
					continue;
				if (ty_parse((const char *)ct->p, (size_t)ct->n, a, NULL, NULL, ks, &t, &err))
					t = ty_simple(TY_BLOB);   /* a UDT: shown as bytes, but it still copies */
				cols[n].name = strndup((const char *)cn->p, (size_t)cn->n);
				cols[n].type = t;
				n++;
			}
		}
	}
	cli_result_free(r);
	*out = cols;
	return n;
}

/* ---------------------------------------------------------------- csv */

static void csv_field(hl_buf *b, const copy_opts *o, const char *s, size_t n)
{
	bool q = false;

	for (size_t i = 0; i < n && !q; i++)
		q = s[i] == o->delim || s[i] == o->quote || s[i] == '\n' || s[i] == '\r' ||
		    s[i] == o->escape;
	if (!q) {
		hl_buf_put(b, s, n);
		return;
	}
	hl_buf_u8(b, (uint8_t)o->quote);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == o->quote || (s[i] == o->escape && o->escape != o->quote))
			hl_buf_u8(b, (uint8_t)o->escape);
		hl_buf_u8(b, (uint8_t)s[i]);
	}
	hl_buf_u8(b, (uint8_t)o->quote);
}

/*
 * Read one CSV record from f into fields (NUL-separated in rec). Returns the
 * field count, 0 at end of input. Quoted fields may hold newlines.
 */
static int csv_record(FILE *f, const copy_opts *o, hl_buf *rec, size_t **starts, int *cap,
		      bool *quoted_null)
{
	int c, n = 0;
	bool inq = false, any = false, was_quoted = false;

	hl_buf_reset(rec);
	*quoted_null = false;
	for (;;) {
		c = fgetc(f);
		if (c == EOF) {
			if (!any)
				return 0;
			break;
		}
		any = true;
		if (n == 0 && rec->len == 0 && *cap == 0) {
			*cap = 16;
			*starts = hl_realloc(*starts, sizeof **starts * (size_t)*cap);
		}
		if (inq) {
			if (c == o->escape && o->escape != o->quote) {
				int d = fgetc(f);

				if (d != EOF)
					hl_buf_u8(rec, (uint8_t)d);
				continue;
			}
			if (c == o->quote) {
				int d = fgetc(f);

				if (d == o->quote) {
					hl_buf_u8(rec, (uint8_t)c);
					continue;
				}
				inq = false;
				if (d != EOF)
					ungetc(d, f);
				continue;
			}
			hl_buf_u8(rec, (uint8_t)c);
			continue;
		}
		if (c == o->quote) {
			inq = true;
			was_quoted = true;
			continue;
		}
		if (c == o->delim || c == '\n') {
			if (n + 1 >= *cap) {
				*cap *= 2;
				*starts = hl_realloc(*starts, sizeof **starts * (size_t)*cap);
			}
			hl_buf_u8(rec, 0);
			n++;
			if (c == '\n')
				break;
			continue;
		}
		if (c == '\r')
			continue;
		hl_buf_u8(rec, (uint8_t)c);
	}
	if (c == EOF) {
		if (n + 1 >= *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*starts = hl_realloc(*starts, sizeof **starts * (size_t)*cap);
		}
		hl_buf_u8(rec, 0);
		n++;
	}
	(void)was_quoted;
	/* field starts: walk the NULs */
	{
		size_t p = 0;

		for (int i = 0; i < n; i++) {
			(*starts)[i] = p;
			p += strlen((const char *)rec->p + p) + 1;
		}
	}
	return n;
}

/* ---------------------------------------------------------------- parsing */

static int parse_opts(shell *sh, sh_tok *t, int nt, int i, bool to, copy_opts *o)
{
	o->delim = ',';
	o->quote = '"';
	o->escape = '\\';
	o->header = false;
	o->null = hl_strdup("");
	o->maxrows = -1;
	o->skiprows = 0;
	o->pagesize = 1000;
	o->chunksize = 5000;
	o->maxbatchsize = 20;
	if (i >= nt)
		return 0;
	if (!(t[i].kind == 'w' && !strcasecmp(t[i].text, "with")))
		return -1;
	for (i++; i < nt; i++) {
		const char *k, *v;

		if (i + 2 >= nt || t[i].kind != 'w' || strcmp(t[i + 1].text, "="))
			return -1;
		k = t[i].text;
		v = t[i + 2].text;
		i += 2;
		if (!strcasecmp(k, "delimiter") && strlen(v) == 1) {
			o->delim = v[0];
		} else if (!strcasecmp(k, "quote") && strlen(v) == 1) {
			o->quote = v[0];
		} else if (!strcasecmp(k, "escape") && strlen(v) == 1) {
			o->escape = v[0];
		} else if (!strcasecmp(k, "header")) {
			o->header = !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1");
		} else if (!strcasecmp(k, "null")) {
			free(o->null);
			o->null = hl_strdup(v);
		} else if (!strcasecmp(k, "maxrows")) {
			o->maxrows = strtol(v, NULL, 10);
		} else if (!strcasecmp(k, "skiprows") && !to) {
			o->skiprows = strtol(v, NULL, 10);
		} else if (!strcasecmp(k, "pagesize") && to) {
			o->pagesize = strtol(v, NULL, 10);
		} else if (!strcasecmp(k, "chunksize") && !to) {
			o->chunksize = strtol(v, NULL, 10);
		} else if (!strcasecmp(k, "maxbatchsize") && !to) {
			o->maxbatchsize = strtol(v, NULL, 10);
		} else if (!strcasecmp(k, "numprocesses") || !strcasecmp(k, "encoding") ||
			   !strcasecmp(k, "minbatchsize") || !strcasecmp(k, "reportfrequency") ||
			   !strcasecmp(k, "maxattempts")) {
			/* accepted; they tune cqlsh's worker processes, which this COPY has none of */
		} else {
			char *lk = hl_strdup(k);

			/* cqlsh lower-cases option names before it complains about them */
			for (char *p = lk; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			sh_printerr(sh, "Unrecognized COPY %s options: %s", to ? "TO" : "FROM", lk);
			free(lk);
			return -2;
		}
		if (i + 1 < nt) {
			if (t[i + 1].kind != 'w' || strcasecmp(t[i + 1].text, "and"))
				return -1;
			i++;
		}
	}
	if (o->pagesize <= 0)
		o->pagesize = 1000;
	if (o->maxbatchsize <= 0)
		o->maxbatchsize = 20;
	if (o->chunksize <= 0)
		o->chunksize = 5000;
	return 0;
}

static void describe_interval(char *out, size_t cap, double secs)
{
	static const struct {
		long len;
		const char *unit;
	} units[] = { { 86400, "day" }, { 3600, "hour" }, { 60, "minute" } };
	char parts[3][32];
	int np = 0;

	for (size_t i = 0; i < 3; i++) {
		long num = (long)secs / units[i].len;

		if (num > 0) {
			snprintf(parts[np++], sizeof parts[0], "%ld %s%s", num, units[i].unit,
				 num > 1 ? "s" : "");
			secs -= (double)(num * units[i].len);
		}
	}
	if (np == 0)
		snprintf(out, cap, "%.3f seconds", secs);
	else if (np == 1)
		snprintf(out, cap, "%s and %.3f seconds", parts[0], secs);
	else if (np == 2)
		snprintf(out, cap, "%s, %s, and %.3f seconds", parts[0], parts[1], secs);
	else
		snprintf(out, cap, "%s, %s, %s, and %.3f seconds", parts[0], parts[1], parts[2], secs);
}

static void progress(long rows, int64_t start, bool force)
{
	static int64_t last;
	int64_t now = hl_mono_nanos();
	double el = (double)(now - start) / 1e9;

	if (!force && now - last < 250000000)
		return;
	last = now;
	printf("\rProcessed: %ld rows; Rate: %7.0f rows/s; Avg. rate: %7.0f rows/s\r", rows,
	       el > 0 ? rows / el : 0.0, el > 0 ? rows / el : 0.0);
	fflush(stdout);
}

/* ---------------------------------------------------------------- TO */

static void copy_to(shell *sh, const char *ks, const char *table, copy_col *cols, int ncols,
		    const char *fname, const copy_opts *o)
{
	FILE *f;
	hl_buf q, line, state;
	cli_qopts qo;
	cli_result *r = NULL;
	hl_err err;
	long rows = 0;
	int64_t start = hl_mono_nanos();
	shell csh = *sh;
	char took[128];

	if (fname) {
		f = fopen(fname, "w");
		if (!f) {
			sh_printerr(sh, "Can't open '%s' for writing: [Errno %d] %s: '%s'", fname, errno,
				    strerror(errno), fname);
			return;
		}
	} else {
		f = sh->out;
	}
	/* exported values: the display format, no colour, COPY's precisions */
	csh.color = false;
	csh.float_precision = 5;
	csh.double_precision = 12;
	hl_buf_init(&q);
	hl_buf_init(&line);
	hl_buf_init(&state);
	printf("Using 1 child processes\n\nStarting copy of %s.%s with columns [", ks, table);
	hl_buf_str(&q, "SELECT ");
	for (int i = 0; i < ncols; i++) {
		printf("%s%s", i ? ", " : "", cols[i].name);
		if (i)
			hl_buf_str(&q, ", ");
		put_name(&q, cols[i].name);
	}
	printf("].\n");
	fflush(stdout);
	hl_buf_str(&q, " FROM ");
	put_name(&q, ks);
	hl_buf_u8(&q, '.');
	put_name(&q, table);
	if (o->header) {
		for (int i = 0; i < ncols; i++) {
			if (i)
				hl_buf_u8(&line, (uint8_t)o->delim);
			csv_field(&line, o, cols[i].name, strlen(cols[i].name));
		}
		hl_buf_u8(&line, '\n');
		fwrite(line.p, 1, line.len, f);
	}
	cli_qopts_init(&qo);
	qo.consistency = sh->consistency;
	qo.page_size = (int)o->pagesize;
	for (;;) {
		if (cli_query(sh->conn, (const char *)q.p, q.len, &qo, &r, &err)) {
			sh_report_error(sh, &err);
			r = NULL;
			break;
		}
		if (r->kind != CLI_RES_ROWS || r->ncols != ncols)
			break;
		for (int32_t i = 0; i < r->nrows && (o->maxrows < 0 || rows < o->maxrows); i++) {
			hl_buf_reset(&line);
			for (int c = 0; c < ncols; c++) {
				const cli_cell *cell = cli_cell_at(r, i, c);

				if (c)
					hl_buf_u8(&line, (uint8_t)o->delim);
				if (cell->n < 0) {
					csv_field(&line, o, o->null, strlen(o->null));
				} else if (cols[c].type->kind == TY_TEXT || cols[c].type->kind == TY_ASCII) {
					/* text goes out as it is: the CSV quoting protects it */
					csv_field(&line, o, (const char *)cell->p, (size_t)cell->n);
				} else {
					fval v;

					fval_init(&v);
					fmt_cell(&csh, r->cols[c].type, cell, &v);
					csv_field(&line, o, (const char *)v.s.p, v.s.len);
					fval_free(&v);
				}
			}
			hl_buf_u8(&line, '\n');
			fwrite(line.p, 1, line.len, f);
			rows++;
		}
		progress(rows, start, false);
		if (!r->has_more || r->paging_len <= 0 || (o->maxrows >= 0 && rows >= o->maxrows))
			break;
		hl_buf_reset(&state);
		hl_buf_put(&state, r->paging_state, (size_t)r->paging_len);
		qo.paging_state = state.p;
		qo.paging_len = (int32_t)state.len;
		cli_result_free(r);
		r = NULL;
	}
	cli_result_free(r);
	if (fname)
		fclose(f);
	else
		fflush(f);
	progress(rows, start, true);
	describe_interval(took, sizeof took, (double)(hl_mono_nanos() - start) / 1e9);
	printf("\n%ld rows exported to 1 files in %s.\n", rows, took);
	hl_buf_free(&q);
	hl_buf_free(&line);
	hl_buf_free(&state);
}

/* ---------------------------------------------------------------- FROM */

/* A CSV field as a CQL literal for a column of type t (the server converts it). */
static void put_literal(hl_buf *b, const ty_type *t, const char *s, size_t n)
{
	switch (t->kind) {
	case TY_TEXT:
	case TY_ASCII:
	case TY_INET:
	case TY_TIMESTAMP:
	case TY_DATE:
	case TY_TIME:
		put_quoted(b, s, n);
		break;
	case TY_DURATION:
	case TY_BLOB:
	case TY_UUID:
	case TY_TIMEUUID:
		hl_buf_put(b, s, n);
		break;
	case TY_BOOLEAN:
		if (n == 4 && !strncasecmp(s, "true", 4))
			hl_buf_str(b, "true");
		else if (n == 5 && !strncasecmp(s, "false", 5))
			hl_buf_str(b, "false");
		else
			put_quoted(b, s, n);   /* let the server say what is wrong with it */
		break;
	default:
		/* numbers and collections: cqlsh's text is valid CQL */
		hl_buf_put(b, s, n);
		break;
	}
}

static int flush_batch(shell *sh, hl_buf *stmts, int nstmts, long *failed)
{
	cli_batch_stmt *b;
	cli_qopts qo;
	cli_result *r;
	hl_err err;
	size_t off = 0;
	int rc;

	if (!nstmts)
		return 0;
	b = hl_calloc((size_t)nstmts, sizeof *b);
	for (int i = 0; i < nstmts; i++) {
		b[i].cql = (const char *)stmts->p + off;
		off += strlen(b[i].cql) + 1;
	}
	cli_qopts_init(&qo);
	qo.consistency = sh->consistency;
	rc = cli_batch(sh->conn, CLI_BATCH_UNLOGGED, b, nstmts, &qo, &r, &err);
	free(b);
	hl_buf_reset(stmts);
	if (rc) {
		const char *name = err.code == HL_ERR_INVALID ? "InvalidRequest"
				 : err.code == HL_ERR_SYNTAX ? "SyntaxException" : "Error";

		sh_printerr(sh, "Failed to import %d rows: %s - %s,  given up without retries", nstmts,
			    name, err.msg);
		*failed += nstmts;
		return -1;
	}
	cli_result_free(r);
	return 0;
}

static void copy_from(shell *sh, const char *ks, const char *table, copy_col *cols, int ncols,
		      const char *fname, const copy_opts *o)
{
	FILE *f = fname ? fopen(fname, "r") : stdin;
	hl_buf rec, stmts, one;
	size_t *starts = NULL;
	int cap = 0, nf, nstmts = 0;
	long rows = 0, failed = 0, skipped = 0, line = 0;
	int64_t start = hl_mono_nanos();
	bool qnull;
	char took[128];

	if (!f) {
		sh_printerr(sh, "Failed to import from '%s': [Errno %d] %s: '%s'", fname, errno,
			    strerror(errno), fname);
		return;
	}
	hl_buf_init(&rec);
	hl_buf_init(&stmts);
	hl_buf_init(&one);
	printf("Using 1 child processes\n\nStarting copy of %s.%s with columns [", ks, table);
	for (int i = 0; i < ncols; i++)
		printf("%s%s", i ? ", " : "", cols[i].name);
	printf("].\n");
	fflush(stdout);
	while ((nf = csv_record(f, o, &rec, &starts, &cap, &qnull)) > 0) {
		line++;
		if (!fname && nf == 1 && !strcmp((const char *)rec.p, "\\."))
			break;
		if (o->header && line == 1)
			continue;
		if (skipped < o->skiprows) {
			skipped++;
			continue;
		}
		if (nf == 1 && rec.p[0] == 0)
			continue;   /* blank line */
		if (o->maxrows >= 0 && rows + failed >= o->maxrows)
			break;
		if (nf != ncols) {
			sh_printerr(sh, "Failed to import 1 rows: ParseError - Invalid row length %d "
				    "should be %d,  given up without retries", nf, ncols);
			failed++;
			continue;
		}
		hl_buf_reset(&one);
		hl_buf_str(&one, "INSERT INTO ");
		put_name(&one, ks);
		hl_buf_u8(&one, '.');
		put_name(&one, table);
		hl_buf_str(&one, " (");
		for (int i = 0; i < ncols; i++) {
			if (i)
				hl_buf_str(&one, ", ");
			put_name(&one, cols[i].name);
		}
		hl_buf_str(&one, ") VALUES (");
		for (int i = 0; i < ncols; i++) {
			const char *v = (const char *)rec.p + starts[i];

			if (i)
				hl_buf_str(&one, ", ");
			if (!strcmp(v, o->null))
				hl_buf_str(&one, "NULL");
			else
				put_literal(&one, cols[i].type, v, strlen(v));
		}
		hl_buf_str(&one, ")");
		hl_buf_put(&stmts, one.p, one.len);
		hl_buf_u8(&stmts, 0);
		nstmts++;
		rows++;
		if (nstmts >= o->maxbatchsize) {
			if (flush_batch(sh, &stmts, nstmts, &failed))
				rows -= nstmts;
			nstmts = 0;
			progress(rows, start, false);
		}
	}
	if (flush_batch(sh, &stmts, nstmts, &failed))
		rows -= nstmts;
	if (fname)
		fclose(f);
	progress(rows, start, true);
	describe_interval(took, sizeof took, (double)(hl_mono_nanos() - start) / 1e9);
	printf("\n%ld rows imported from 1 files in %s (%ld skipped).\n", rows, took, skipped);
	free(starts);
	hl_buf_free(&rec);
	hl_buf_free(&stmts);
	hl_buf_free(&one);
}

/* ---------------------------------------------------------------- entry */

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* An identifier token as stored: unquoted ones are lower-cased. */
static char *ident(const sh_tok *t)
{
	char *s = hl_strdup(t->text);

	if (t->kind != 'q')
		lower(s);
	return s;
}

void cmd_copy(shell *sh, const char *stmt, size_t len)
{
	sh_tok *t;
	int nt = sh_tokenize(stmt, len, &t), i = 1, ncols = 0, nall = 0;
	hl_arena *types = hl_arena_new(4096);
	char *ks = NULL, *table = NULL, *fname = NULL;
	copy_col *cols = NULL, *all = NULL;
	copy_opts o;
	bool to;
	hl_err err;

	memset(&o, 0, sizeof o);
	if (nt < 4 || (t[1].kind != 'w' && t[1].kind != 'q'))
		goto improper;
	if (sh_ensure_conn(sh, &err)) {
		sh_report_error(sh, &err);
		goto out;
	}
	/* [ks.]table; the tokenizer keeps "ks.t" as one word */
	{
		char *dot = t[1].kind == 'w' ? strchr(t[1].text, '.') : NULL;

		if (dot) {
			ks = strndup(t[1].text, (size_t)(dot - t[1].text));
			table = hl_strdup(dot + 1);
			lower(ks);
			lower(table);
		} else {
			table = ident(&t[1]);
			if (cli_keyspace(sh->conn))
				ks = hl_strdup(cli_keyspace(sh->conn));
		}
		i = 2;
	}
	if (!ks) {
		sh_printerr(sh, "Not in any keyspace.");
		goto out;
	}
	nall = table_columns(sh, ks, table, types, &all);
	if (nall < 0) {
		sh_printerr(sh, "Column family '%s' not found", table);
		goto out;
	}
	if (i < nt && !strcmp(t[i].text, "(")) {
		cols = hl_calloc((size_t)nt, sizeof *cols);
		for (i++; i < nt && strcmp(t[i].text, ")"); i++) {
			char *name;
			int k;

			if (!strcmp(t[i].text, ","))
				continue;
			name = ident(&t[i]);
			for (k = 0; k < nall && strcmp(all[k].name, name); k++)
				;
			if (k == nall) {
				sh_printerr(sh, "Invalid column name %s", name);
				free(name);
				goto out;
			}
			cols[ncols].name = name;
			cols[ncols++].type = all[k].type;
		}
		if (i >= nt)
			goto improper;
		i++;
	} else {
		cols = hl_calloc((size_t)nall + 1, sizeof *cols);
		for (int k = 0; k < nall; k++) {
			cols[k].name = hl_strdup(all[k].name);
			cols[k].type = all[k].type;
		}
		ncols = nall;
	}
	if (i + 1 >= nt || t[i].kind != 'w')
		goto improper;
	if (!strcasecmp(t[i].text, "to"))
		to = true;
	else if (!strcasecmp(t[i].text, "from"))
		to = false;
	else
		goto improper;
	i++;
	if (t[i].kind == 's')
		fname = hl_strdup(t[i].text);
	else if (!(t[i].kind == 'w' && !strcasecmp(t[i].text, to ? "stdout" : "stdin")))
		goto improper;
	i++;
	{
		int rc = parse_opts(sh, t, nt, i, to, &o);

		if (rc == -1)
			goto improper;
		if (rc)
			goto out;
	}
	if (fname && fname[0] == '~') {
		const char *home = getenv("HOME");
		char *p = NULL;

		if (home && asprintf(&p, "%s%s", home, fname + 1) >= 0) {
			free(fname);
			fname = p;
		}
	}
	if (to)
		copy_to(sh, ks, table, cols, ncols, fname, &o);
	else
		copy_from(sh, ks, table, cols, ncols, fname, &o);
	goto out;
improper:
	sh_printerr(sh, "Improper copy command.");
out:
	if (nt >= 0)
		sh_tokens_free(t, nt);
	col_free(cols, ncols);
	col_free(all, all ? nall : 0);
	hl_arena_free(types);
	free(ks);
	free(table);
	free(fname);
	free(o.null);
}
