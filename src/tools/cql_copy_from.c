/*
 * tools/cql_copy_from.c: COPY FROM. The shell's thread reads the CSV and
 * queues CHUNKSIZE-row chunks; NUMPROCESSES workers, each with its own
 * connection, convert every field client-side (cqlsh's text forms) to the
 * bytes of its column's type and keep several UNLOGGED (or COUNTER)
 * batches in flight with the client's pipelined calls. See cql_copy.c.
 */
#include "tools/cql_copy_int.h"

#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- text -> bytes (FROM) */

static bool is_composite(const ty_type *t)
{
	return t->kind == TY_LIST || t->kind == TY_SET || t->kind == TY_MAP || t->kind == TY_TUPLE ||
	       t->kind == TY_UDT;
}

/* One scalar as cqlsh's import converts it. */
static int conv_leaf(const copy_opts *o, const ty_type *t, const char *s, size_t n, hl_buf *out,
		     hl_err *err)
{
	if (t->kind == TY_BOOLEAN) {
		if (strlen(o->bool_true) == n && !strncasecmp(s, o->bool_true, n)) {
			hl_buf_u8(out, 1);
			return 0;
		}
		if (strlen(o->bool_false) == n && !strncasecmp(s, o->bool_false, n)) {
			hl_buf_u8(out, 0);
			return 0;
		}
	} else if (t->kind == TY_TIMESTAMP && n) {
		char *z = hl_strndup(s, n);
		int64_t ms;
		bool ok = cp_parse_datetime(o->dtfmt ? o->dtfmt : DEFAULT_DTFMT, z, &ms);

		free(z);
		if (ok) {
			ty_put_bigint(out, ms);
			return 0;
		}
		if (ty_from_string(t, s, n, out, err))
			return hl_errf(err, HL_ERR_INVALID, "can't interpret '%.*s' as a date with format "
				       "%s or as int", (int)n, s, o->dtfmt ? o->dtfmt : DEFAULT_DTFMT);
		return 0;
	} else if (cp_is_number_kind(t->kind) && (o->thousandssep || o->decimalsep != '.')) {
		hl_buf norm;
		int rc;

		hl_buf_init(&norm);
		for (size_t i = 0; i < n; i++) {
			if (o->thousandssep && s[i] == o->thousandssep)
				continue;
			hl_buf_u8(&norm, (uint8_t)(s[i] == o->decimalsep ? '.' : s[i]));
		}
		rc = ty_from_string(t, (const char *)norm.p, norm.len, out, err);
		hl_buf_free(&norm);
		return rc;
	}
	return ty_from_string(t, s, n, out, err);
}

typedef struct cur {
	const char *p, *end;
} cur;

static void skip_ws(cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* A '...' string as cqlsh writes it inside collections: '' and backslash escapes. */
static int take_quoted(cur *c, hl_buf *s, hl_err *err)
{
	for (c->p++; c->p < c->end; c->p++) {
		char ch = *c->p;

		if (ch == '\'') {
			if (c->p + 1 < c->end && c->p[1] == '\'') {
				hl_buf_u8(s, '\'');
				c->p++;
				continue;
			}
			c->p++;
			return 0;
		}
		if (ch == '\\' && c->p + 1 < c->end) {
			char e = *++c->p;

			if (e == 'n')
				hl_buf_u8(s, '\n');
			else if (e == 't')
				hl_buf_u8(s, '\t');
			else if (e == 'r')
				hl_buf_u8(s, '\r');
			else if (e == 'x' && c->p + 2 < c->end && hl_hexval(c->p[1]) >= 0 &&
				 hl_hexval(c->p[2]) >= 0) {
				int v = hl_hexval(c->p[1]) * 16 + hl_hexval(c->p[2]);

				/* cqlsh escapes U+007F..U+00A0 as \xNN: back to UTF-8 */
				if (v >= 0x80) {
					hl_buf_u8(s, 0xC2);
				}
				hl_buf_u8(s, (uint8_t)v);
				c->p += 2;
			} else {
				hl_buf_u8(s, (uint8_t)e);
			}
			continue;
		}
		hl_buf_u8(s, (uint8_t)ch);
	}
	return hl_errf(err, HL_ERR_INVALID, "unterminated string");
}

/* An unquoted token: up to ',', a closing bracket, or ": " (a map key / field name). */
static void take_bare(cur *c, const char **s, size_t *n)
{
	const char *st = c->p;

	while (c->p < c->end && *c->p != ',' && *c->p != ']' && *c->p != '}' && *c->p != ')' &&
	       !(*c->p == ':' && (c->p + 1 == c->end || c->p[1] == ' ')))
		c->p++;
	*s = st;
	*n = (size_t)(c->p - st);
	while (*n && (st[*n - 1] == ' ' || st[*n - 1] == '\t'))
		(*n)--;
}

static int parse_elem(const copy_opts *o, const ty_type *t, cur *c, int depth, hl_buf *out,
		      bool *null, hl_err *err);

static int expect(cur *c, char ch, hl_err *err)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return hl_errf(err, HL_ERR_INVALID, "expected '%c'", ch);
	c->p++;
	return 0;
}

/* An element (or map entry) of a packed set / map, for sorting. */
typedef struct pelem {
	const uint8_t *k;
	int32_t kn;
	size_t off, len;       /* the whole entry within the packed bytes */
	int idx;
} pelem;

static _Thread_local const ty_type *sort_type;

static int pelem_cmp(const void *a, const void *b)
{
	const pelem *x = a, *y = b;
	int c = ty_compare(sort_type, x->k, (size_t)x->kn, y->k, (size_t)y->kn);

	return c ? c : (x->idx < y->idx ? -1 : 1);
}

/*
 * Sets and maps are stored sorted by Cassandra's order of their elements
 * (keys), without duplicates (the last map entry wins), whatever order the
 * file gives them in: re-pack the count elements after mark.
 */
static void sort_packed(const ty_type *t, hl_buf *out, size_t mark, int *count)
{
	pelem *v;
	hl_rd r;
	hl_buf sorted;
	int n = 0, kept = 0;
	size_t base = mark + 4;

	if (*count < 2)
		return;
	v = hl_calloc((size_t)*count, sizeof *v);
	hl_rd_init(&r, out->p + base, out->len - base);
	for (int i = 0; i < *count; i++) {
		const uint8_t *p;
		int32_t len;
		size_t start = r.pos;

		/* these bytes were packed just above: they always read back */
		if (hl_rd_i32(&r, &len) || len < 0 || hl_rd_raw(&r, (size_t)len, &p))
			break;
		v[n].k = p;
		v[n].kn = len;
		if (t->kind == TY_MAP && (hl_rd_i32(&r, &len) || len < 0 || hl_rd_raw(&r, (size_t)len, &p)))
			break;
		v[n].off = start;
		v[n].len = r.pos - start;
		v[n].idx = i;
		n++;
	}
	sort_type = t->sub[0];
	qsort(v, (size_t)n, sizeof *v, pelem_cmp);
	hl_buf_init(&sorted);
	for (int i = 0; i < n; i++) {
		/* of equal keys keep the last given */
		if (i + 1 < n && !ty_compare(t->sub[0], v[i].k, (size_t)v[i].kn, v[i + 1].k,
					     (size_t)v[i + 1].kn))
			continue;
		hl_buf_put(&sorted, out->p + base + v[i].off, v[i].len);
		kept++;
	}
	out->len = base;
	hl_buf_put(out, sorted.p, sorted.len);
	*count = kept;
	hl_buf_free(&sorted);
	free(v);
}

/* [..] {..} (..) as cqlsh displays list, set, map, tuple and UDT values. */
static int parse_composite(const copy_opts *o, const ty_type *t, cur *c, int depth, hl_buf *out,
			   hl_err *err)
{
	char open = t->kind == TY_LIST ? '[' : t->kind == TY_TUPLE ? '(' : '{';
	char close = open == '[' ? ']' : open == '(' ? ')' : '}';
	hl_buf e;
	bool null;
	int rc = -1, count = 0;
	size_t mark = 0;
	hl_buf *fields = NULL;
	bool *fset = NULL;

	if (depth > 32)
		return hl_errf(err, HL_ERR_INVALID, "value nested too deeply");
	if (expect(c, open, err))
		return -1;
	hl_buf_init(&e);
	if (t->kind == TY_UDT) {
		fields = hl_calloc((size_t)t->nsub + 1, sizeof *fields);
		fset = hl_calloc((size_t)t->nsub + 1, sizeof *fset);
	} else if (t->kind != TY_TUPLE) {
		ty_pack_begin(out, &mark);
	}
	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		goto done;
	}
	for (;;) {
		if (t->kind == TY_UDT) {
			const char *s;
			size_t n;
			int k;
			hl_buf name;

			skip_ws(c);
			hl_buf_init(&name);
			if (c->p < c->end && *c->p == '"') {
				/* a quoted field name, "" doubled */
				for (c->p++; c->p < c->end; c->p++) {
					if (*c->p == '"' && !(c->p + 1 < c->end && c->p[1] == '"'))
						break;
					if (*c->p == '"')
						c->p++;
					hl_buf_u8(&name, (uint8_t)*c->p);
				}
				if (c->p < c->end)
					c->p++;
			} else {
				take_bare(c, &s, &n);
				for (size_t i = 0; i < n; i++)
					hl_buf_u8(&name, (uint8_t)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]));
			}
			for (k = 0; k < t->nsub; k++)
				if (strlen(t->field_names[k]) == name.len &&
				    !memcmp(t->field_names[k], name.p, name.len))
					break;
			if (k == t->nsub) {
				hl_errf(err, HL_ERR_INVALID, "unknown field %.*s", (int)name.len,
					(const char *)name.p);
				hl_buf_free(&name);
				goto out;
			}
			hl_buf_free(&name);
			if (expect(c, ':', err))
				goto out;
			hl_buf_init(&fields[k]);
			if (parse_elem(o, t->sub[k], c, depth + 1, &fields[k], &null, err))
				goto out;
			fset[k] = !null;
		} else if (t->kind == TY_TUPLE) {
			if (count >= t->nsub) {
				hl_errf(err, HL_ERR_INVALID, "too many fields for a tuple of %d", t->nsub);
				goto out;
			}
			hl_buf_reset(&e);
			if (parse_elem(o, t->sub[count], c, depth + 1, &e, &null, err))
				goto out;
			ty_pack_elem(out, e.p, null ? -1 : (int32_t)e.len);
		} else {
			for (int j = 0; j < (t->kind == TY_MAP ? 2 : 1); j++) {
				const ty_type *st = t->kind == TY_MAP ? t->sub[j] : t->sub[0];

				if (j && expect(c, ':', err))
					goto out;
				hl_buf_reset(&e);
				if (parse_elem(o, st, c, depth + 1, &e, &null, err))
					goto out;
				if (null) {
					hl_errf(err, HL_ERR_INVALID, "null is not allowed in a collection");
					goto out;
				}
				ty_pack_elem(out, e.p, (int32_t)e.len);
			}
		}
		count++;
		skip_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (expect(c, close, err))
			goto out;
		break;
	}
done:
	if (t->kind == TY_UDT) {
		for (int k = 0; k < t->nsub; k++)
			ty_pack_elem(out, fields[k].p, fset[k] ? (int32_t)fields[k].len : -1);
	} else if (t->kind == TY_TUPLE) {
		for (int k = count; k < t->nsub; k++)
			ty_pack_elem(out, NULL, -1);
	} else {
		if (t->kind != TY_LIST)
			sort_packed(t, out, mark, &count);
		ty_pack_end(out, mark, count);
	}
	rc = 0;
out:
	if (fields) {
		for (int k = 0; k < t->nsub; k++)
			hl_buf_free(&fields[k]);
		free(fields);
		free(fset);
	}
	hl_buf_free(&e);
	return rc;
}

static int parse_elem(const copy_opts *o, const ty_type *t, cur *c, int depth, hl_buf *out,
		      bool *null, hl_err *err)
{
	const char *s;
	size_t n;

	*null = false;
	skip_ws(c);
	if (is_composite(t) && c->p < c->end && *c->p != 'n' && *c->p != 'N')
		return parse_composite(o, t, c, depth, out, err);
	if (c->p < c->end && *c->p == '\'') {
		hl_buf q;
		int rc;

		hl_buf_init(&q);
		rc = take_quoted(c, &q, err);
		if (!rc)
			rc = conv_leaf(o, t, (const char *)q.p, q.len, out, err);
		hl_buf_free(&q);
		return rc;
	}
	take_bare(c, &s, &n);
	if ((n == 4 && !memcmp(s, "null", 4)) || (n == 4 && !memcmp(s, "None", 4))) {
		*null = true;
		return 0;
	}
	if (is_composite(t))
		return hl_errf(err, HL_ERR_INVALID, "expected a collection, got '%.*s'", (int)n, s);
	return conv_leaf(o, t, s, n, out, err);
}

/* One CSV field to the bytes of type t; "Failed to parse ..." on error. */
int cp_conv_field(const copy_opts *o, const ty_type *t, const char *s, size_t n, hl_buf *out,
		      hl_err *err)
{
	size_t mark = out->len;
	hl_err e;
	int rc;

	hl_err_clear(&e);
	if (is_composite(t)) {
		cur c = { s, s + n };

		rc = parse_composite(o, t, &c, 0, out, &e);
		skip_ws(&c);
		if (!rc && c.p != c.end)
			rc = hl_errf(&e, HL_ERR_INVALID, "unexpected text after the value");
	} else {
		rc = conv_leaf(o, t, s, n, out, &e);
	}
	if (rc) {
		out->len = mark;
		return hl_errf(err, HL_ERR_INVALID, "Failed to parse %.*s : %s", (int)n, s, e.msg);
	}
	return 0;
}

/* ---------------------------------------------------------------- FROM */

/* CHUNKSIZE records from the file: fields NUL-terminated, row after row. */
typedef struct chunk {
	hl_buf data;
	int *nf;                   /* fields per row */
	int nrows, cap;
	struct chunk *next;
} chunk;

static void chunk_free(chunk *ch)
{
	if (!ch)
		return;
	hl_buf_free(&ch->data);
	free(ch->nf);
	free(ch);
}

typedef struct importer {
	shell *sh;
	const copy_opts *o;
	copy_col *cols;            /* the file's columns */
	int ncols;
	char **frag;               /* statement text around its nbind placeholders */
	int nbind;
	int *bind_col;             /* bind marker -> file column */
	const ty_type **bind_type; /* from the server's bind metadata */
	bool counter;
	char *prepared_text;
	/* the chunk queue */
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_get;
	chunk *head, *tail;
	int qlen, qcap;
	bool eof;
	atomic_bool abort;
	atomic_long imported, failed, parse_errors, insert_errors;
	atomic_int finished;
	/* stderr and ERRFILE */
	pthread_mutex_t out_mu;
	FILE *errf;
} importer;

/* A batch being filled or in flight. */
typedef struct slot {
	bool busy;
	int stream, attempts, nrows;
	hl_buf vals;               /* the rows' values back to back */
	int32_t *lens;             /* nrows * nbind lengths; -1 null */
	size_t lcap;
	hl_buf rows;               /* the rows as CSV lines, for ERRFILE */
} slot;

static void add_failed_rows(importer *im, const uint8_t *lines, size_t n, long nrows)
{
	/* the caller holds out_mu */
	atomic_fetch_add(&im->failed, nrows);
	if (!im->errf && im->o->errfile) {
		im->errf = fopen(im->o->errfile, "a");
		if (!im->errf)
			sh_printerr(im->sh, "Can't open '%s' for writing: [Errno %d] %s", im->o->errfile,
				    errno, strerror(errno));
	}
	if (im->errf)
		fwrite(lines, 1, n, im->errf);
}

static void csv_line(hl_buf *b, const copy_opts *o, const char *const *f, int nf)
{
	for (int i = 0; i < nf; i++) {
		if (i)
			hl_buf_u8(b, (uint8_t)o->delim);
		cp_csv_field(b, o, f[i], strlen(f[i]));
	}
	hl_buf_u8(b, '\n');
}

static void parse_error(importer *im, const char *msg, const char *const *f, int nf)
{
	hl_buf line;
	long n;

	hl_buf_init(&line);
	csv_line(&line, im->o, f, nf);
	pthread_mutex_lock(&im->out_mu);
	sh_printerr(im->sh, "Failed to import 1 rows: ParseError - %s,  given up without retries", msg);
	add_failed_rows(im, line.p, line.len, 1);
	n = atomic_fetch_add(&im->parse_errors, 1) + 1;
	if (im->o->maxparseerrors >= 0 && n > im->o->maxparseerrors && !atomic_load(&im->abort)) {
		sh_printerr(im->sh, "Exceeded maximum number of parse errors %ld", im->o->maxparseerrors);
		atomic_store(&im->abort, true);
	}
	pthread_mutex_unlock(&im->out_mu);
	hl_buf_free(&line);
}

/* Errors worth another attempt: timeouts, overload, a lost connection. */
static bool retriable(const hl_err *e)
{
	return e->code < 0 || e->code == HL_ERR_UNAVAILABLE || e->code == HL_ERR_OVERLOADED ||
	       e->code == HL_ERR_IS_BOOTSTRAPPING || e->code == HL_ERR_WRITE_TIMEOUT ||
	       e->code == HL_ERR_READ_TIMEOUT || e->code == HL_ERR_WRITE_FAILURE ||
	       e->code == HL_ERR_SERVER || e->code == HL_ERR_TRUNCATE;
}

/* Print the batch's failure as cqlsh; true when it should be sent again. */
static bool insert_error(importer *im, slot *s, const hl_err *err)
{
	hl_buf b;
	const char *txt, *sep;
	bool again = retriable(err) && s->attempts < im->o->maxattempts && !atomic_load(&im->abort);
	long n;

	hl_buf_init(&b);
	sh_error_text(im->sh, err, &b);
	hl_buf_u8(&b, 0);
	txt = (const char *)b.p;
	sep = strstr(txt, ": ");
	pthread_mutex_lock(&im->out_mu);
	if (again) {
		sh_printerr(im->sh, "Failed to import %d rows: %.*s - %s,  will retry later, attempt %d "
			    "of %ld", s->nrows, sep ? (int)(sep - txt) : 0, txt, sep ? sep + 2 : txt,
			    s->attempts, im->o->maxattempts);
	} else {
		sh_printerr(im->sh, "Failed to import %d rows: %.*s - %s,  given up after %d attempts",
			    s->nrows, sep ? (int)(sep - txt) : 0, txt, sep ? sep + 2 : txt, s->attempts);
		add_failed_rows(im, s->rows.p, s->rows.len, s->nrows);
		n = atomic_fetch_add(&im->insert_errors, s->nrows) + s->nrows;
		if (im->o->maxinserterrors >= 0 && n > im->o->maxinserterrors &&
		    !atomic_load(&im->abort)) {
			sh_printerr(im->sh, "Exceeded maximum number of insert errors %ld",
				    im->o->maxinserterrors);
			atomic_store(&im->abort, true);
		}
	}
	pthread_mutex_unlock(&im->out_mu);
	hl_buf_free(&b);
	return again;
}

static void slot_reset(slot *s)
{
	s->busy = false;
	s->nrows = 0;
	s->attempts = 0;
	hl_buf_reset(&s->vals);
	hl_buf_reset(&s->rows);
}

typedef struct worker {
	importer *im;
	cli_conn *c;
	cli_result *prep;
	slot slots[FROM_WINDOW + 1];
} worker;

static int worker_open(worker *w, hl_err *err)
{
	cli_close(w->c);
	w->c = NULL;
	cli_result_free(w->prep);
	w->prep = NULL;
	if (cp_worker_connect(w->im->sh, &w->c, err))
		return -1;
	if (w->im->o->prepared &&
	    cli_prepare(w->c, w->im->prepared_text, strlen(w->im->prepared_text), &w->prep, err))
		return -1;
	return 0;
}

/* Send slot s (a new attempt). false: it failed for good and was released. */
static bool slot_send(worker *w, slot *s)
{
	importer *im = w->im;
	cli_batch_stmt *st = hl_calloc((size_t)s->nrows, sizeof *st);
	cli_value *v = hl_calloc((size_t)s->nrows * (size_t)im->nbind + 1, sizeof *v);
	hl_buf lit;
	size_t off = 0, loff = 0;
	cli_qopts qo;
	hl_err err;
	int rc;

	hl_buf_init(&lit);
	s->attempts++;
	for (int r = 0; r < s->nrows; r++) {
		for (int b = 0; b < im->nbind; b++) {
			int32_t n = s->lens[(size_t)r * (size_t)im->nbind + (size_t)b];

			v[(size_t)r * (size_t)im->nbind + (size_t)b].p = s->vals.p + off;
			v[(size_t)r * (size_t)im->nbind + (size_t)b].n = n;
			if (n > 0)
				off += (size_t)n;
		}
		if (im->o->prepared) {
			st[r].vals = v + (size_t)r * (size_t)im->nbind;
			st[r].nvals = im->nbind;
		} else {
			/* PREPAREDSTATEMENTS = false: the same values as CQL literals */
			for (int b = 0; b < im->nbind; b++) {
				const cli_value *x = &v[(size_t)r * (size_t)im->nbind + (size_t)b];

				hl_buf_str(&lit, im->frag[b]);
				if (x->n < 0 || (x->n == 0 && im->bind_type[b]->kind != TY_TEXT &&
						 im->bind_type[b]->kind != TY_ASCII &&
						 im->bind_type[b]->kind != TY_BLOB) ||
				    ty_to_cql(im->bind_type[b], x->p, (size_t)x->n, &lit))
					hl_buf_str(&lit, "null");
			}
			hl_buf_str(&lit, im->frag[im->nbind]);
			hl_buf_u8(&lit, 0);
		}
	}
	if (!im->o->prepared) {
		for (int r = 0; r < s->nrows; r++) {
			st[r].cql = (const char *)lit.p + loff;
			loff += strlen(st[r].cql) + 1;
		}
	}
	cli_qopts_init(&qo);
	qo.consistency = im->sh->consistency;
	for (;;) {
		if ((!w->c || !cli_connected(w->c)) && worker_open(w, &err)) {
			rc = -1;
		} else {
			for (int r = 0; r < s->nrows && w->prep; r++)
				st[r].prep = w->prep;
			rc = cli_batch_send(w->c, im->counter ? CLI_BATCH_COUNTER : CLI_BATCH_UNLOGGED, st,
					    s->nrows, &qo, &s->stream, &err);
		}
		if (!rc || !insert_error(im, s, &err))
			break;
		s->attempts++;
	}
	free(st);
	free(v);
	hl_buf_free(&lit);
	if (rc) {
		slot_reset(s);
		return false;
	}
	s->busy = true;
	return true;
}

/* Wait for one reply and settle its batch (retrying it when worth it). */
static void collect(worker *w)
{
	importer *im = w->im;
	cli_result *r = NULL;
	hl_err err;
	int stream;
	slot *s = NULL;

	if (!cli_recv(w->c, &stream, &r, &err)) {
		cli_result_free(r);
		for (int i = 0; i <= FROM_WINDOW; i++)
			if (w->slots[i].busy && w->slots[i].stream == stream)
				s = &w->slots[i];
		if (s) {
			atomic_fetch_add(&im->imported, s->nrows);
			slot_reset(s);
		}
		return;
	}
	if (stream >= 0) {
		for (int i = 0; i <= FROM_WINDOW; i++)
			if (w->slots[i].busy && w->slots[i].stream == stream)
				s = &w->slots[i];
		if (s && !(insert_error(im, s, &err) && slot_send(w, s)))
			slot_reset(s);
		return;
	}
	/* the connection is gone (or timed out): every batch in flight is lost */
	cli_close(w->c);
	w->c = NULL;
	for (int i = 0; i <= FROM_WINDOW; i++) {
		s = &w->slots[i];
		if (s->busy && !(insert_error(im, s, &err) && slot_send(w, s)))
			slot_reset(s);
	}
}

static int busy_count(const worker *w)
{
	int n = 0;

	for (int i = 0; i <= FROM_WINDOW; i++)
		n += w->slots[i].busy;
	return n;
}

/* A free slot to fill, waiting for replies while the window is full. */
static slot *free_slot(worker *w)
{
	for (;;) {
		for (int i = 0; i <= FROM_WINDOW; i++)
			if (!w->slots[i].busy)
				return &w->slots[i];
		collect(w);
	}
}

static void flush_slot(worker *w, slot *s)
{
	if (s->nrows == 0)
		return;
	/* keep at most FROM_WINDOW batches in flight */
	while (w->c && cli_connected(w->c) && busy_count(w) >= FROM_WINDOW)
		collect(w);
	slot_send(w, s);
}

/* Convert one record into slot s; false (reported) when a field does not parse. */
static bool add_row(worker *w, slot *s, const char *const *f, int nf)
{
	importer *im = w->im;
	const copy_opts *o = im->o;
	size_t mark = s->vals.len;
	hl_err err;

	if (nf != im->ncols) {
		char msg[96];

		snprintf(msg, sizeof msg, "Invalid row length %d should be %d", nf, im->ncols);
		parse_error(im, msg, f, nf);
		return false;
	}
	if ((size_t)(s->nrows + 1) * (size_t)im->nbind > s->lcap) {
		s->lcap = (size_t)(s->nrows + 1) * (size_t)im->nbind * 2;
		s->lens = hl_realloc(s->lens, sizeof *s->lens * s->lcap);
	}
	for (int b = 0; b < im->nbind; b++) {
		int ci = im->bind_col[b];
		int32_t *len = &s->lens[(size_t)s->nrows * (size_t)im->nbind + (size_t)b];
		size_t before = s->vals.len;

		if (!strcmp(f[ci], o->null)) {
			if (im->cols[ci].kind == 'p' || im->cols[ci].kind == 'c') {
				char *msg = NULL;

				if (asprintf(&msg, "Cannot insert null value for primary key column '%s'. If "
					     "you want to insert empty strings, consider using the WITH "
					     "NULL=<marker> option for COPY.", im->cols[ci].name) < 0)
					msg = NULL;
				parse_error(im, msg ? msg : "null primary key", f, nf);
				free(msg);
				s->vals.len = mark;
				return false;
			}
			if (im->counter) {
				ty_put_bigint(&s->vals, 0);
				*len = 8;
			} else {
				*len = -1;
			}
			continue;
		}
		if (cp_conv_field(o, im->bind_type[b], f[ci], strlen(f[ci]), &s->vals, &err)) {
			parse_error(im, err.msg, f, nf);
			s->vals.len = mark;
			return false;
		}
		*len = (int32_t)(s->vals.len - before);
	}
	csv_line(&s->rows, o, f, nf);
	s->nrows++;
	return true;
}

static chunk *pop_chunk(importer *im)
{
	chunk *ch;

	pthread_mutex_lock(&im->mu);
	while (!im->head && !im->eof && !atomic_load(&im->abort))
		pthread_cond_wait(&im->can_get, &im->mu);
	ch = atomic_load(&im->abort) ? NULL : im->head;
	if (ch) {
		im->head = ch->next;
		if (!im->head)
			im->tail = NULL;
		im->qlen--;
		pthread_cond_signal(&im->can_put);
	}
	pthread_mutex_unlock(&im->mu);
	return ch;
}

static void *import_worker(void *arg)
{
	worker w;
	importer *im = arg;
	hl_err err;
	chunk *ch;
	const char **f = NULL;
	int fcap = 0;

	memset(&w, 0, sizeof w);
	w.im = im;
	for (int i = 0; i <= FROM_WINDOW; i++) {
		hl_buf_init(&w.slots[i].vals);
		hl_buf_init(&w.slots[i].rows);
	}
	if (worker_open(&w, &err)) {
		/* reported by the first batch that cannot be sent */
		cli_close(w.c);
		w.c = NULL;
	}
	while ((ch = pop_chunk(im))) {
		size_t off = 0;
		slot *s = free_slot(&w);

		for (int r = 0; r < ch->nrows; r++) {
			if (ch->nf[r] > fcap) {
				fcap = ch->nf[r] * 2;
				f = hl_realloc(f, sizeof *f * (size_t)fcap);
			}
			for (int i = 0; i < ch->nf[r]; i++) {
				f[i] = (const char *)ch->data.p + off;
				off += strlen(f[i]) + 1;
			}
			if (!add_row(&w, s, f, ch->nf[r]))
				continue;
			if (s->nrows >= im->o->maxbatchsize) {
				flush_slot(&w, s);
				s = free_slot(&w);
			}
		}
		flush_slot(&w, s);
		chunk_free(ch);
	}
	while (w.c && cli_connected(w.c) && busy_count(&w))
		collect(&w);
	for (int i = 0; i <= FROM_WINDOW; i++) {
		hl_buf_free(&w.slots[i].vals);
		hl_buf_free(&w.slots[i].rows);
		free(w.slots[i].lens);
	}
	free(f);
	cli_result_free(w.prep);
	cli_close(w.c);
	atomic_fetch_add(&im->finished, 1);
	return NULL;
}

static void push_chunk(importer *im, chunk *ch, meter *m)
{
	pthread_mutex_lock(&im->mu);
	while (im->qlen >= im->qcap && !atomic_load(&im->abort)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&im->can_put, &im->mu, &ts);
		pthread_mutex_unlock(&im->mu);
		cp_meter_update(m, atomic_load(&im->imported), false);
		pthread_mutex_lock(&im->mu);
	}
	if (atomic_load(&im->abort)) {
		chunk_free(ch);
	} else {
		if (im->tail)
			im->tail->next = ch;
		else
			im->head = ch;
		im->tail = ch;
		im->qlen++;
		pthread_cond_signal(&im->can_get);
	}
	pthread_mutex_unlock(&im->mu);
}

/*
 * The statement for the file's columns (skipping SKIPCOLS), as fragments
 * around its bind markers: INSERT INTO ks.t (a, b) VALUES (?, ?) [USING TTL
 * n], or for a counter table UPDATE ks.t SET c = c + ? WHERE k = ?.
 */
static void build_statement(importer *im, const char *ks, const char *table)
{
	hl_buf b;
	int n = 0;

	hl_buf_init(&b);
	im->frag = hl_calloc((size_t)im->ncols + 1, sizeof *im->frag);
	im->bind_col = hl_calloc((size_t)im->ncols + 1, sizeof *im->bind_col);
	for (int i = 0; i < im->ncols; i++)
		im->counter |= im->cols[i].type->kind == TY_COUNTER;
	if (im->counter) {
		hl_buf_str(&b, "UPDATE ");
		cp_put_name(&b, ks);
		hl_buf_u8(&b, '.');
		cp_put_name(&b, table);
		hl_buf_str(&b, " SET ");
		for (int pass = 0; pass < 2; pass++) {
			bool first = true;

			for (int i = 0; i < im->ncols; i++) {
				bool key = im->cols[i].kind == 'p' || im->cols[i].kind == 'c';

				if (im->cols[i].skip || key != (pass == 1))
					continue;
				if (!first)
					hl_buf_str(&b, pass ? " AND " : ", ");
				else if (pass)
					hl_buf_str(&b, " WHERE ");
				first = false;
				cp_put_name(&b, im->cols[i].name);
				hl_buf_str(&b, " = ");
				if (!pass) {
					cp_put_name(&b, im->cols[i].name);
					hl_buf_str(&b, " + ");
				}
				hl_buf_u8(&b, 0);
				im->frag[n] = hl_strdup((const char *)b.p);
				hl_buf_reset(&b);
				im->bind_col[n++] = i;
			}
		}
	} else {
		hl_buf_str(&b, "INSERT INTO ");
		cp_put_name(&b, ks);
		hl_buf_u8(&b, '.');
		cp_put_name(&b, table);
		hl_buf_str(&b, " (");
		for (int i = 0, k = 0; i < im->ncols; i++) {
			if (im->cols[i].skip)
				continue;
			if (k++)
				hl_buf_str(&b, ", ");
			cp_put_name(&b, im->cols[i].name);
		}
		hl_buf_str(&b, ") VALUES (");
		for (int i = 0; i < im->ncols; i++) {
			if (im->cols[i].skip)
				continue;
			if (n)
				hl_buf_str(&b, ", ");
			hl_buf_u8(&b, 0);
			im->frag[n] = hl_strdup((const char *)b.p);
			hl_buf_reset(&b);
			im->bind_col[n++] = i;
		}
		hl_buf_u8(&b, ')');
		if (im->o->ttl > 0)
			hl_buf_printf(&b, " USING TTL %ld", im->o->ttl);
	}
	hl_buf_u8(&b, 0);
	im->frag[n] = hl_strdup((const char *)b.p);
	im->nbind = n;
	hl_buf_reset(&b);
	for (int i = 0; i < n; i++) {
		hl_buf_str(&b, im->frag[i]);
		hl_buf_u8(&b, '?');
	}
	hl_buf_str(&b, im->frag[n]);
	hl_buf_u8(&b, 0);
	im->prepared_text = (char *)b.p;
}

/* cqlsh moves an old error file aside (file.YYYYmmdd_HHMMSS) before an import. */
static void rotate_errfile(const char *name)
{
	struct stat st;
	char *to = NULL;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!name || stat(name, &st))
		return;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
	if (asprintf(&to, "%s.%s", name, stamp) >= 0)
		rename(name, to);
	free(to);
}

/*
 * The files of a COPY FROM: cqlsh takes a comma-separated list of names or
 * glob patterns. false (reported) when one matches nothing.
 */
static bool expand_sources(shell *sh, const char *fname, glob_t *g)
{
	char *list = hl_strdup(fname), *save = NULL;
	bool ok = true;
	int flags = 0;

	memset(g, 0, sizeof *g);
	for (char *p = strtok_r(list, ",", &save); p && ok; p = strtok_r(NULL, ",", &save)) {
		char *path = cp_trimmed(p, strlen(p));

		if (glob(path, flags | GLOB_TILDE, NULL, g) != 0) {
			sh_printerr(sh, "Can't open '%s' for reading: no matching file found", path);
			ok = false;
		}
		flags = GLOB_APPEND;
		free(path);
	}
	free(list);
	if (ok && g->gl_pathc == 0) {
		sh_printerr(sh, "Can't open '%s' for reading: no matching file found", fname);
		ok = false;
	}
	return ok;
}

void cp_copy_from(shell *sh, const char *ks, const char *table, copy_col *cols, int ncols,
		  const char *fname, const copy_opts *o)
{
	FILE *f = NULL;
	glob_t files;
	size_t nfiles = 1, fi = 0;
	importer im;
	chunk *ch = NULL;
	cli_result *prep = NULL;
	hl_err err;
	pthread_t *th = NULL;
	meter m;
	long rows = 0, skipped = 0, line = 0;
	int nw = (int)o->numprocesses, nf;
	char took[128];

	memset(&files, 0, sizeof files);
	if (fname) {
		if (!expand_sources(sh, fname, &files)) {
			globfree(&files);
			return;
		}
		nfiles = files.gl_pathc;
	}
	memset(&im, 0, sizeof im);
	im.sh = sh;
	im.o = o;
	im.cols = cols;
	im.ncols = ncols;
	build_statement(&im, ks, table);
	/* the server's bind metadata gives every column's exact type (UDTs included) */
	if (cli_prepare(sh->conn, im.prepared_text, strlen(im.prepared_text), &prep, &err)) {
		sh_report_error(sh, &err);
		goto free_stmt;
	}
	im.bind_type = hl_calloc((size_t)im.nbind + 1, sizeof *im.bind_type);
	for (int i = 0; i < im.nbind && i < prep->nbind; i++)
		im.bind_type[i] = prep->bind[i].type;
	pthread_mutex_init(&im.mu, NULL);
	pthread_mutex_init(&im.out_mu, NULL);
	pthread_cond_init(&im.can_put, NULL);
	pthread_cond_init(&im.can_get, NULL);
	im.qcap = nw * 2;
	rotate_errfile(o->errfile);
	printf("Using %d child processes\n\nStarting copy of %s.%s with columns [", nw, ks, table);
	for (int i = 0; i < ncols; i++)
		printf("%s%s", i ? ", " : "", cols[i].name);
	printf("].\n");
	if (!fname && sh->tty)
		printf("[Use . on a line by itself to end input]\n");
	fflush(stdout);
	cp_meter_init(&m, o->reportfrequency, false);
	th = hl_calloc((size_t)nw, sizeof *th);
	for (int i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, import_worker, &im);
	for (;;) {
		size_t start;

		if (atomic_load(&im.abort))
			break;
		if (!f) {
			if (fi == nfiles)
				break;
			if (!fname) {
				f = stdin;
			} else if (!(f = fopen(files.gl_pathv[fi], "r"))) {
				sh_printerr(sh, "Can't open '%s' for reading: [Errno %d] %s",
					    files.gl_pathv[fi], errno, strerror(errno));
				fi++;
				continue;
			}
			line = 0;   /* HEADER applies to each file */
		}
		if (!ch) {
			ch = hl_calloc(1, sizeof *ch);
			hl_buf_init(&ch->data);
		}
		start = ch->data.len;
		nf = cp_csv_record(f, o, &ch->data);
		if (nf > 0)
			line++;
		if (nf > 0 && !fname && nf == 1 &&
		    (!strcmp((const char *)ch->data.p + start, "\\.") ||
		     !strcmp((const char *)ch->data.p + start, ".")))
			nf = 0;    /* the end of input on STDIN */
		if (nf <= 0) {
			ch->data.len = start;
			if (f != stdin)
				fclose(f);
			f = NULL;
			fi++;
			continue;
		}
		if (o->maxrows >= 0 && rows >= o->maxrows) {
			ch->data.len = start;
			break;
		}
		if ((o->header && line == 1) || (nf == 1 && ch->data.p[start] == 0)) {
			ch->data.len = start;   /* the header, a blank line */
			continue;
		}
		if (skipped < o->skiprows) {
			ch->data.len = start;
			skipped++;
			continue;
		}
		if (ch->nrows == ch->cap) {
			ch->cap = ch->cap ? ch->cap * 2 : 64;
			ch->nf = hl_realloc(ch->nf, sizeof *ch->nf * (size_t)ch->cap);
		}
		ch->nf[ch->nrows++] = nf;
		rows++;
		if (ch->nrows >= o->chunksize) {
			push_chunk(&im, ch, &m);
			ch = NULL;
		}
		cp_meter_update(&m, atomic_load(&im.imported), false);
	}
	if (f && f != stdin)
		fclose(f);
	if (ch && ch->nrows)
		push_chunk(&im, ch, &m);
	else
		chunk_free(ch);
	pthread_mutex_lock(&im.mu);
	im.eof = true;
	pthread_cond_broadcast(&im.can_get);
	pthread_mutex_unlock(&im.mu);
	while (atomic_load(&im.finished) < nw) {
		cp_meter_update(&m, atomic_load(&im.imported), false);
		usleep(20000);
	}
	for (int i = 0; i < nw; i++)
		pthread_join(th[i], NULL);
	/* chunks left behind by an abort */
	while (im.head) {
		chunk *n = im.head->next;

		chunk_free(im.head);
		im.head = n;
	}
	cp_meter_update(&m, atomic_load(&im.imported), true);
	cp_describe_interval(took, sizeof took, (double)(hl_mono_nanos() - m.start) / 1e9);
	printf("\n%ld rows imported from %zu files in %s (%ld skipped).\n", atomic_load(&im.imported),
	       nfiles, took, skipped);
	fflush(stdout);
	if (atomic_load(&im.failed))
		sh_printerr(sh, "Failed to process %ld rows; failed rows written to %s",
			    atomic_load(&im.failed), o->errfile);
	if (im.errf)
		fclose(im.errf);
	free(th);
	free(im.bind_type);
	pthread_mutex_destroy(&im.mu);
	pthread_mutex_destroy(&im.out_mu);
	pthread_cond_destroy(&im.can_put);
	pthread_cond_destroy(&im.can_get);
	cli_result_free(prep);
free_stmt:
	globfree(&files);
	for (int i = 0; i <= im.nbind; i++)
		free(im.frag[i]);
	free(im.frag);
	free(im.bind_col);
	free(im.prepared_text);
}
