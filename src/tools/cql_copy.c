/*
 * tools/cql_copy.c: COPY TO / COPY FROM, cqlsh's CSV export and import.
 *
 * cqlsh farms the work out to NUMPROCESSES child processes, each with its
 * own driver session; here they are threads, each with its own connection.
 * COPY TO splits the token ring (or BEGINTOKEN..ENDTOKEN) into ranges that
 * the workers page through, MAXREQUESTS ranges in flight per connection,
 * with `SELECT cols FROM ks.t WHERE token(pk) > a AND token(pk) <= b`,
 * appending to the file a page at a time. COPY FROM
 * reads the CSV in the shell's thread and hands CHUNKSIZE-row chunks to the
 * workers, which convert every field client-side (the text cqlsh writes:
 * True/False, '...' strings in collections, DATETIMEFORMAT timestamps) to
 * the bytes of the column's type and send UNLOGGED batches of MAXBATCHSIZE
 * rows, several batches in flight per connection. With
 * PREPAREDSTATEMENTS = true (the default) the batches hold a prepared INSERT
 * with bound values; with false, literal INSERTs rendered from the same
 * converted values. Counter tables get `UPDATE ... SET c = c + ?` in
 * COUNTER batches. Failed batches are retried up to MAXATTEMPTS; rows that
 * fail for good are appended to ERRFILE (import_<ks>_<table>.err).
 *
 * This file: options, CSV, dates, COPY TO and the entry point;
 * cql_copy_from.c: the text -> bytes conversion and COPY FROM.
 */
#include "tools/cql_copy_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void col_free(copy_col *c, int n)
{
	for (int i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

/* CQL name, quoted when it is not a plain lower-case identifier. */
void cp_put_name(hl_buf *b, const char *s)
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
 * clustering, then the others by name), from system_schema.columns. The
 * types here are only a guide (a UDT shows as blob): the values are
 * converted with the types the server gives in result / bind metadata.
 * Returns the count, -1 if the table is unknown.
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
				bool st = ck->n >= 6 && !memcmp(ck->p, "static", 6);
				const ty_type *t;

				if (cn->n < 0 || ct->n < 0)
					continue;
				if ((pass == 0 && !pk) || (pass == 1 && !ck_) || (pass == 2 && (pk || ck_)))
					continue;
				if (pass < 2 && ty_get_int(cp->p, cp->n > 0 ? (size_t)cp->n : 0) != pos)
					continue;
				if (ty_parse((const char *)ct->p, (size_t)ct->n, a, NULL, NULL, ks, &t, &err))
					t = ty_simple(TY_BLOB);
				cols[n].name = hl_strndup((const char *)cn->p, (size_t)cn->n);
				cols[n].type = t;
				cols[n].kind = pk ? 'p' : ck_ ? 'c' : st ? 's' : 'r';
				n++;
			}
		}
	}
	cli_result_free(r);
	*out = cols;
	return n;
}

/* ---------------------------------------------------------------- csv */

/* Python's csv writer, QUOTE_MINIMAL: quote a field holding the delimiter, quote or a line end. */
void cp_csv_field(hl_buf *b, const copy_opts *o, const char *s, size_t n)
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
 * Read one CSV record from f, appending its fields NUL-terminated to rec.
 * Returns the field count, 0 at end of input. Quoted fields may hold
 * newlines; the escape character protects the next character anywhere.
 */
int cp_csv_record(FILE *f, const copy_opts *o, hl_buf *rec)
{
	int c, n = 0;
	bool inq = false, any = false;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF) {
			if (!any)
				return 0;
			break;
		}
		any = true;
		if (c == o->escape && o->escape != o->quote) {
			int d = getc_unlocked(f);

			if (d != EOF)
				hl_buf_u8(rec, (uint8_t)d);
			continue;
		}
		if (inq) {
			if (c == o->quote) {
				int d = getc_unlocked(f);

				if (d == o->quote && o->escape == o->quote) {
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
			continue;
		}
		if (c == o->delim || c == '\n') {
			hl_buf_u8(rec, 0);
			n++;
			if (c == '\n')
				return n;
			continue;
		}
		if (c == '\r')
			continue;
		hl_buf_u8(rec, (uint8_t)c);
	}
	hl_buf_u8(rec, 0);
	return n + 1;
}

/* ---------------------------------------------------------------- dates */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Python's strftime for a UTC instant, with %f (microseconds) too. */
void cp_format_datetime(hl_buf *b, const char *fmt, int64_t ms)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int micros = (int)(ms - secs * 1000) * 1000;
	time_t t = (time_t)secs;
	struct tm tm;
	hl_buf f2;
	char out[512];
	size_t n;

	gmtime_r(&t, &tm);
	hl_buf_init(&f2);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 'f') {
			hl_buf_printf(&f2, "%06d", micros);
			p++;
		} else if (p[0] == '%' && p[1]) {
			hl_buf_u8(&f2, '%');
			hl_buf_u8(&f2, (uint8_t)p[1]);
			p++;
		} else {
			hl_buf_u8(&f2, (uint8_t)*p);
		}
	}
	hl_buf_u8(&f2, 0);
	n = strftime(out, sizeof out, (const char *)f2.p, &tm);
	hl_buf_put(b, out, n);
	hl_buf_free(&f2);
}

static bool take_num(const char **s, int maxd, long *v)
{
	int k = 0;

	*v = 0;
	while (k < maxd && **s >= '0' && **s <= '9') {
		*v = *v * 10 + (**s - '0');
		(*s)++;
		k++;
	}
	return k > 0;
}

/*
 * Python's strptime for the directives cqlsh's formats use (%Y %y %m %d %H
 * %M %S %f %z %%); a value without %z is taken as UTC. false when the text
 * does not match (the caller then tries Cassandra's own formats).
 */
bool cp_parse_datetime(const char *fmt, const char *s, int64_t *ms)
{
	long y = 1900, mo = 1, d = 1, h = 0, mi = 0, sec = 0, us = 0, off = 0, v;

	for (const char *f = fmt; *f; f++) {
		if (*f == ' ') {
			while (*s == ' ')
				s++;
			continue;
		}
		if (*f != '%') {
			if (*s++ != *f)
				return false;
			continue;
		}
		switch (*++f) {
		case 'Y': {
			if (!take_num(&s, 4, &y))
				return false;
			break;
		}
		case 'y':
			if (!take_num(&s, 2, &v))
				return false;
			y = v < 69 ? 2000 + v : 1900 + v;
			break;
		case 'm':
			if (!take_num(&s, 2, &mo) || mo < 1 || mo > 12)
				return false;
			break;
		case 'd':
			if (!take_num(&s, 2, &d) || d < 1 || d > 31)
				return false;
			break;
		case 'H':
			if (!take_num(&s, 2, &h) || h > 23)
				return false;
			break;
		case 'M':
			if (!take_num(&s, 2, &mi) || mi > 59)
				return false;
			break;
		case 'S':
			if (!take_num(&s, 2, &sec) || sec > 61)
				return false;
			break;
		case 'f': {
			const char *st = s;

			if (!take_num(&s, 6, &us))
				return false;
			for (long k = s - st; k < 6; k++)
				us *= 10;
			break;
		}
		case 'z': {
			int sign;
			long hh, mm = 0;

			if (*s == 'Z') {
				s++;
				break;
			}
			if (*s != '+' && *s != '-')
				return false;
			sign = *s++ == '-' ? -1 : 1;
			if (!take_num(&s, 2, &hh))
				return false;
			if (*s == ':')
				s++;
			take_num(&s, 2, &mm);
			off = sign * (hh * 3600 + mm * 60);
			break;
		}
		case '%':
			if (*s++ != '%')
				return false;
			break;
		default:
			return false;
		}
	}
	if (*s)
		return false;
	*ms = ((days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - off) *
	       1000) + us / 1000;
	return true;
}

bool cp_is_number_kind(ty_kind k)
{
	return k == TY_INT || k == TY_BIGINT || k == TY_SMALLINT || k == TY_TINYINT ||
	       k == TY_VARINT || k == TY_COUNTER || k == TY_FLOAT || k == TY_DOUBLE ||
	       k == TY_DECIMAL;
}

/* ---------------------------------------------------------------- options */

static void opts_free(copy_opts *o)
{
	free(o->null);
	free(o->dtfmt);
	free(o->bool_true);
	free(o->bool_false);
	free(o->errfile);
	free(o->skipcols);
}

/* cqlsh decodes option values as Python string escapes ('\t' is a tab). */
static char *unescape(const char *s)
{
	hl_buf b;

	hl_buf_init(&b);
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			hl_buf_u8(&b, (uint8_t)(*s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r'
						: *s == '0' ? 0 : *s));
			continue;
		}
		hl_buf_u8(&b, (uint8_t)*s);
	}
	hl_buf_u8(&b, 0);
	return (char *)b.p;
}

char *cp_trimmed(const char *s, size_t n)
{
	while (n && *s == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	return hl_strndup(s, n);
}

/* int(v) as Python: the ValueError text when it is not an integer. */
static int opt_long(shell *sh, const char *v, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (!*v || *end || errno) {
		sh_printerr(sh, "invalid literal for int() with base 10: '%s'", v);
		return -1;
	}
	return 0;
}

static int num_cores(void)
{
	const char *e = getenv("CQLSH_COPY_TEST_NUM_CORES");
	long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/*
 * WITH k = v AND ...: every option cqlsh knows is taken in both directions
 * (as cqlsh does); unknown names are "Unrecognized COPY TO|FROM options".
 * Returns 0, -1 for a malformed clause, -2 after printing an error.
 */
static int parse_opts(shell *sh, sh_tok *t, int nt, int i, bool to, const char *ks,
		      const char *table, copy_opts *o)
{
	hl_buf unknown;
	int rc = 0;

	o->delim = ',';
	o->quote = '"';
	o->escape = '\\';
	o->null = hl_strdup("");
	o->bool_true = hl_strdup("True");
	o->bool_false = hl_strdup("False");
	o->decimalsep = '.';
	o->maxrows = -1;
	o->pagesize = 1000;
	o->chunksize = 5000;
	o->maxbatchsize = 20;
	o->maxattempts = 5;
	o->maxparseerrors = -1;
	o->maxinserterrors = -1;
	o->maxrequests = 6;
	o->ttl = -1;
	o->float_precision = 5;
	o->double_precision = 12;
	o->prepared = true;
	o->reportfrequency = 0.25;
	o->numprocesses = num_cores() - 1;
	if (o->numprocesses > 16)
		o->numprocesses = 16;
	if (o->numprocesses < 1)
		o->numprocesses = 1;
	if (asprintf(&o->errfile, "import_%s_%s.err", ks, table) < 0)
		o->errfile = NULL;
	if (i >= nt)
		return 0;
	if (!(t[i].kind == 'w' && !strcasecmp(t[i].text, "with")) || i + 1 >= nt)
		return -1;
	hl_buf_init(&unknown);
	for (i++; i < nt; i++) {
		const char *k;
		char *v;
		long n = 0;

		if (i + 2 >= nt || t[i].kind != 'w' || strcmp(t[i + 1].text, "="))
			goto malformed;
		k = t[i].text;
		v = !strcasecmp(k, "errfile") || !strcasecmp(k, "ratefile") ? hl_strdup(t[i + 2].text)
									   : unescape(t[i + 2].text);
		i += 2;
		if (!strcasecmp(k, "delimiter") || !strcasecmp(k, "quote") || !strcasecmp(k, "escape")) {
			char *c = !strcasecmp(k, "delimiter") ? &o->delim
				: !strcasecmp(k, "quote") ? &o->quote : &o->escape;

			if (strlen(v) != 1) {
				/* Python's csv module refuses it */
				sh_printerr(sh, "\"%s\" must be a 1-character string",
					    !strcasecmp(k, "delimiter") ? "delimiter"
					    : !strcasecmp(k, "quote") ? "quotechar" : "escapechar");
				rc = -2;
			}
			*c = v[0];
		} else if (!strcasecmp(k, "header")) {
			o->header = !strcasecmp(v, "true");
		} else if (!strcasecmp(k, "null")) {
			free(o->null);
			o->null = hl_strdup(v);
		} else if (!strcasecmp(k, "datetimeformat")) {
			free(o->dtfmt);
			o->dtfmt = hl_strdup(v);
		} else if (!strcasecmp(k, "boolstyle")) {
			char *comma = strchr(v, ',');

			free(o->bool_true);
			free(o->bool_false);
			o->bool_true = cp_trimmed(v, comma ? (size_t)(comma - v) : strlen(v));
			o->bool_false = comma ? cp_trimmed(comma + 1, strlen(comma + 1)) : hl_strdup("");
			if (!comma || strchr(comma + 1, ',') || !o->bool_true[0] || !o->bool_false[0] ||
			    !strcmp(o->bool_true, o->bool_false)) {
				hl_buf l;
				char *p = v;

				/* Python prints the list of styles it split off */
				hl_buf_init(&l);
				for (;;) {
					char *c2 = strchr(p, ',');
					char *s = cp_trimmed(p, c2 ? (size_t)(c2 - p) : strlen(p));

					hl_buf_printf(&l, "%s'%s'", l.len ? ", " : "", s);
					free(s);
					if (!c2)
						break;
					p = c2 + 1;
				}
				hl_buf_u8(&l, 0);
				sh_printerr(sh, "Invalid boolean styles [%s]", (const char *)l.p);
				hl_buf_free(&l);
				rc = -2;
			}
		} else if (!strcasecmp(k, "decimalsep") || !strcasecmp(k, "thousandssep")) {
			if (strlen(v) > 1) {
				sh_printerr(sh, "%s must be a single character", k);
				rc = -2;
			} else if (!strcasecmp(k, "decimalsep")) {
				o->decimalsep = v[0] ? v[0] : '.';
			} else {
				o->thousandssep = v[0];
			}
		} else if (!strcasecmp(k, "errfile")) {
			free(o->errfile);
			o->errfile = hl_strdup(v);
		} else if (!strcasecmp(k, "skipcols")) {
			free(o->skipcols);
			o->skipcols = hl_strdup(v);
		} else if (!strcasecmp(k, "preparedstatements")) {
			o->prepared = !strcasecmp(v, "true");
		} else if (!strcasecmp(k, "reportfrequency")) {
			o->reportfrequency = strtod(v, NULL);
		} else if (!strcasecmp(k, "maxrows") || !strcasecmp(k, "skiprows") ||
			   !strcasecmp(k, "pagesize") || !strcasecmp(k, "chunksize") ||
			   !strcasecmp(k, "maxbatchsize") || !strcasecmp(k, "maxattempts") ||
			   !strcasecmp(k, "numprocesses") || !strcasecmp(k, "maxparseerrors") ||
			   !strcasecmp(k, "maxinserterrors") || !strcasecmp(k, "ttl") ||
			   !strcasecmp(k, "floatprecision") || !strcasecmp(k, "doubleprecision") ||
			   !strcasecmp(k, "begintoken") || !strcasecmp(k, "endtoken") ||
			   !strcasecmp(k, "minbatchsize") || !strcasecmp(k, "ingestrate") ||
			   !strcasecmp(k, "maxrequests") || !strcasecmp(k, "pagetimeout") ||
			   !strcasecmp(k, "maxoutputsize")) {
			if (opt_long(sh, v, &n)) {
				rc = -2;
			} else if (!strcasecmp(k, "maxrows")) {
				o->maxrows = n;
			} else if (!strcasecmp(k, "skiprows")) {
				o->skiprows = n;
			} else if (!strcasecmp(k, "pagesize")) {
				o->pagesize = n;
			} else if (!strcasecmp(k, "chunksize")) {
				o->chunksize = n;
			} else if (!strcasecmp(k, "maxbatchsize")) {
				o->maxbatchsize = n;
			} else if (!strcasecmp(k, "maxattempts")) {
				o->maxattempts = n;
			} else if (!strcasecmp(k, "numprocesses")) {
				o->numprocesses = n;
			} else if (!strcasecmp(k, "maxparseerrors")) {
				o->maxparseerrors = n;
			} else if (!strcasecmp(k, "maxinserterrors")) {
				o->maxinserterrors = n;
			} else if (!strcasecmp(k, "ttl")) {
				o->ttl = n;
			} else if (!strcasecmp(k, "floatprecision")) {
				o->float_precision = (int)n;
			} else if (!strcasecmp(k, "doubleprecision")) {
				o->double_precision = (int)n;
			} else if (!strcasecmp(k, "begintoken")) {
				o->has_begin = true;
				o->begintoken = n;
			} else if (!strcasecmp(k, "endtoken")) {
				o->has_end = true;
				o->endtoken = n;
			} else if (!strcasecmp(k, "maxrequests")) {
				o->maxrequests = n;
			}
			/* minbatchsize, ingestrate, pagetimeout, maxoutputsize: accepted */
		} else if (!strcasecmp(k, "encoding") || !strcasecmp(k, "configfile") ||
			   !strcasecmp(k, "ratefile")) {
			/* accepted: UTF-8 is the only encoding, no cqlshrc, no rate file */
		} else {
			/* cqlsh lower-cases option names before it complains about them */
			if (unknown.len)
				hl_buf_str(&unknown, ", ");
			for (const char *p = k; *p; p++)
				hl_buf_u8(&unknown, (uint8_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
		}
		free(v);
		if (i + 1 < nt) {
			if (t[i + 1].kind != 'w' || strcasecmp(t[i + 1].text, "and"))
				goto malformed;
			i++;
		}
	}
	if (!rc && unknown.len) {
		hl_buf_u8(&unknown, 0);
		sh_printerr(sh, "Unrecognized COPY %s options: %s", to ? "TO" : "FROM",
			    (const char *)unknown.p);
		rc = -2;
	}
	hl_buf_free(&unknown);
	if (o->pagesize <= 0)
		o->pagesize = 1000;
	if (o->maxbatchsize <= 0)
		o->maxbatchsize = 20;
	if (o->chunksize <= 0)
		o->chunksize = 5000;
	if (o->numprocesses < 1)
		o->numprocesses = 1;
	if (o->maxattempts < 1)
		o->maxattempts = 1;
	if (o->maxrequests < 1)
		o->maxrequests = 1;
	if (o->reportfrequency <= 0)
		o->reportfrequency = 0.25;
	return rc;
malformed:
	hl_buf_free(&unknown);
	return -1;
}

void cp_describe_interval(char *out, size_t cap, double secs)
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

void cp_meter_init(meter *m, double freq, bool quiet)
{
	memset(m, 0, sizeof *m);
	m->start = m->last = hl_mono_nanos();
	m->freq = freq;
	m->quiet = quiet;
}

void cp_meter_update(meter *m, long rows, bool force)
{
	int64_t now = hl_mono_nanos();
	double el = (double)(now - m->last) / 1e9, total = (double)(now - m->start) / 1e9;
	double r;

	if (!force && el < m->freq)
		return;
	if (el > 0) {
		r = (double)(rows - m->last_rows) / el;
		m->rate = m->rate > 0 ? (m->rate + r) / 2 : r;
	}
	m->last = now;
	m->last_rows = rows;
	if (m->quiet)
		return;
	printf("\rProcessed: %ld rows; Rate: %7.0f rows/s; Avg. rate: %7.0f rows/s\r", rows, m->rate,
	       total > 0 ? (double)rows / total : 0.0);
	fflush(stdout);
}

/* A worker's own connection, with the shell's credentials and protocol. */
int cp_worker_connect(shell *sh, cli_conn **c, hl_err *err)
{
	cli_opts o = sh->opts;

	o.keyspace = NULL;
	o.protocol = cli_protocol(sh->conn);
	return cli_connect(&o, c, err);
}

/* ---------------------------------------------------------------- TO */

typedef struct exporter {
	shell *sh;
	shell fmt;                 /* the shell's settings for formatting: no colour, COPY's precisions */
	const copy_opts *o;
	const copy_col *cols;
	int ncols;
	hl_buf query;              /* SELECT ... WHERE token(pk) > (the bounds are appended) */
	char *tok;                 /* token(pk, ...) */
	int64_t lo, hi;            /* the whole range: (lo, hi] */
	int nranges;
	atomic_int next_range;
	atomic_long rows;
	atomic_bool stop;
	atomic_int finished;       /* workers done */
	FILE *f;
	pthread_mutex_t mu;        /* the file, error output */
	bool failed;
} exporter;

/* Digits of a formatted number regrouped with THOUSANDSSEP and DECIMALSEP. */
static void put_number(hl_buf *b, const copy_opts *o, const char *s, size_t n)
{
	size_t i = 0, int_end;

	if (!o->thousandssep && o->decimalsep == '.') {
		hl_buf_put(b, s, n);
		return;
	}
	if (i < n && s[i] == '-')
		hl_buf_u8(b, (uint8_t)s[i++]);
	for (int_end = i; int_end < n && s[int_end] >= '0' && s[int_end] <= '9'; int_end++)
		;
	for (size_t k = i; k < int_end; k++) {
		hl_buf_u8(b, (uint8_t)s[k]);
		if (o->thousandssep && k + 1 < int_end && (int_end - k - 1) % 3 == 0)
			hl_buf_u8(b, (uint8_t)o->thousandssep);
	}
	for (size_t k = int_end; k < n; k++)
		hl_buf_u8(b, (uint8_t)(s[k] == '.' ? o->decimalsep : s[k]));
}

/* One cell as cqlsh's export writes it. */
static void export_cell(const exporter *x, const ty_type *t, const cli_cell *cell, hl_buf *line)
{
	const copy_opts *o = x->o;
	fval v;

	if (cell->n < 0) {
		cp_csv_field(line, o, o->null, strlen(o->null));
		return;
	}
	if (t->kind == TY_TEXT || t->kind == TY_ASCII) {
		/* text goes out as it is: the CSV quoting protects it */
		cp_csv_field(line, o, (const char *)cell->p, (size_t)cell->n);
		return;
	}
	if (t->kind == TY_BOOLEAN && cell->n == 1) {
		const char *s = cell->p[0] ? o->bool_true : o->bool_false;

		cp_csv_field(line, o, s, strlen(s));
		return;
	}
	if (t->kind == TY_TIMESTAMP && cell->n == 8 && o->dtfmt) {
		hl_buf b;

		hl_buf_init(&b);
		cp_format_datetime(&b, o->dtfmt, ty_get_bigint(cell->p, 8));
		cp_csv_field(line, o, (const char *)b.p, b.len);
		hl_buf_free(&b);
		return;
	}
	fval_init(&v);
	fmt_cell(&x->fmt, t, cell, &v);
	if (cp_is_number_kind(t->kind)) {
		hl_buf b;

		hl_buf_init(&b);
		put_number(&b, o, (const char *)v.s.p, v.s.len);
		cp_csv_field(line, o, (const char *)b.p, b.len);
		hl_buf_free(&b);
	} else {
		cp_csv_field(line, o, (const char *)v.s.p, v.s.len);
	}
	fval_free(&v);
}

static void export_error(exporter *x, const hl_err *err)
{
	pthread_mutex_lock(&x->mu);
	if (!x->failed) {
		hl_buf b;

		hl_buf_init(&b);
		sh_error_text(x->sh, err, &b);
		hl_buf_u8(&b, 0);
		sh_printerr(x->sh, "Error for (%lld, %lld): %s", (long long)x->lo, (long long)x->hi,
			    (const char *)b.p);
		hl_buf_free(&b);
	}
	x->failed = true;
	atomic_store(&x->stop, true);
	pthread_mutex_unlock(&x->mu);
}

/* Range k of nranges over (lo, hi]. */
static void range_bounds(const exporter *x, int k, int64_t *a, int64_t *b)
{
	/* __int128 keeps the arithmetic exact over the whole ring */
	__int128 span = (__int128)x->hi - x->lo;

	*a = (int64_t)(x->lo + span * k / x->nranges);
	*b = (int64_t)(x->lo + span * (k + 1) / x->nranges);
}

/* One range being paged through by a worker: its query and paging state. */
typedef struct range_req {
	bool busy;
	int stream;
	hl_buf q, state;
} range_req;

/* Ask for the next page of rq (its first when the state is empty). */
static int range_send(const exporter *x, cli_conn *c, range_req *rq, hl_err *err)
{
	cli_qopts qo;

	cli_qopts_init(&qo);
	qo.consistency = x->sh->consistency;
	qo.page_size = (int)x->o->pagesize;
	qo.paging_state = rq->state.len ? rq->state.p : NULL;
	qo.paging_len = (int32_t)rq->state.len;
	if (cli_query_send(c, (const char *)rq->q.p, rq->q.len, &qo, &rq->stream, err))
		return -1;
	rq->busy = true;
	return 0;
}

/* Append a page's rows to the file (MAXROWS: whole rows up to the allowance). */
static void write_page(exporter *x, const cli_result *r, hl_buf *line, size_t **ends, size_t *ecap)
{
	long before, take;

	hl_buf_reset(line);
	if ((size_t)r->nrows > *ecap) {
		*ecap = (size_t)r->nrows;
		*ends = hl_realloc(*ends, sizeof **ends * *ecap);
	}
	for (int32_t i = 0; i < r->nrows; i++) {
		for (int col = 0; col < x->ncols; col++) {
			if (col)
				hl_buf_u8(line, (uint8_t)x->o->delim);
			export_cell(x, r->cols[col].type, cli_cell_at(r, i, col), line);
		}
		hl_buf_u8(line, '\n');
		(*ends)[i] = line->len;
	}
	pthread_mutex_lock(&x->mu);
	before = atomic_load(&x->rows);
	take = r->nrows;
	if (x->o->maxrows >= 0 && before + take > x->o->maxrows)
		take = x->o->maxrows - before;
	if (take < 0)
		take = 0;
	if (take > 0)
		fwrite(line->p, 1, (*ends)[take - 1], x->f);
	atomic_fetch_add(&x->rows, take);
	pthread_mutex_unlock(&x->mu);
	if (x->o->maxrows >= 0 && atomic_load(&x->rows) >= x->o->maxrows)
		atomic_store(&x->stop, true);
}

/*
 * A worker: its own connection with up to MAXREQUESTS ranges in flight,
 * each paged through to its end before the worker takes another.
 */
static void *export_worker(void *arg)
{
	exporter *x = arg;
	cli_conn *c = NULL;
	hl_err err;
	hl_buf line;
	size_t *ends = NULL, ecap = 0;
	int nreq = (int)x->o->maxrequests, inflight = 0;
	range_req *rq = hl_calloc((size_t)nreq, sizeof *rq);

	hl_buf_init(&line);
	for (int i = 0; i < nreq; i++) {
		hl_buf_init(&rq[i].q);
		hl_buf_init(&rq[i].state);
	}
	if (cp_worker_connect(x->sh, &c, &err)) {
		export_error(x, &err);
		goto out;
	}
	for (;;) {
		cli_result *r = NULL;
		range_req *cur = NULL;
		int stream, rc;

		/* start ranges on the idle slots */
		for (int i = 0; i < nreq && !atomic_load(&x->stop); i++) {
			int64_t a, b;
			int k;

			if (rq[i].busy)
				continue;
			if ((k = atomic_fetch_add(&x->next_range, 1)) >= x->nranges)
				break;
			range_bounds(x, k, &a, &b);
			if (a == b)
				continue;
			hl_buf_reset(&rq[i].q);
			hl_buf_put(&rq[i].q, x->query.p, x->query.len);
			hl_buf_printf(&rq[i].q, "%lld AND %s <= %lld", (long long)a, x->tok, (long long)b);
			hl_buf_reset(&rq[i].state);
			if (range_send(x, c, &rq[i], &err)) {
				export_error(x, &err);
				goto out;
			}
			inflight++;
		}
		if (!inflight)
			break;
		rc = cli_recv(c, &stream, &r, &err);
		for (int i = 0; i < nreq; i++)
			if (rq[i].busy && rq[i].stream == stream)
				cur = &rq[i];
		if (rc) {
			export_error(x, &err);
			goto out;
		}
		if (!cur) {
			cli_result_free(r);
			continue;
		}
		cur->busy = false;
		inflight--;
		if (r->kind == CLI_RES_ROWS && r->ncols == x->ncols) {
			write_page(x, r, &line, &ends, &ecap);
			if (!atomic_load(&x->stop) && r->has_more && r->paging_len > 0) {
				hl_buf_reset(&cur->state);
				hl_buf_put(&cur->state, r->paging_state, (size_t)r->paging_len);
				if (range_send(x, c, cur, &err)) {
					cli_result_free(r);
					export_error(x, &err);
					goto out;
				}
				inflight++;
			}
		}
		cli_result_free(r);
		/* after MAXROWS, only collect what is still in flight */
		if (atomic_load(&x->stop) && !inflight)
			break;
	}
out:
	cli_close(c);
	atomic_fetch_add(&x->finished, 1);
	for (int i = 0; i < nreq; i++) {
		hl_buf_free(&rq[i].q);
		hl_buf_free(&rq[i].state);
	}
	free(rq);
	free(ends);
	hl_buf_free(&line);
	return NULL;
}

static void copy_to(shell *sh, const char *ks, const char *table, copy_col *cols, int ncols,
		    copy_col *all, int nall, const char *fname, const copy_opts *o)
{
	exporter x;
	pthread_t *th;
	meter m;
	char took[128];
	int nw = (int)o->numprocesses;
	bool quiet = fname == NULL;   /* cqlsh says nothing when exporting to STDOUT */

	memset(&x, 0, sizeof x);
	x.sh = sh;
	x.o = o;
	x.cols = cols;
	x.ncols = ncols;
	x.fmt = *sh;
	x.fmt.color = false;
	x.fmt.float_precision = o->float_precision;
	x.fmt.double_precision = o->double_precision;
	pthread_mutex_init(&x.mu, NULL);
	if (fname) {
		x.f = fopen(fname, "w");
		if (!x.f) {
			sh_printerr(sh, "Can't open '%s' for writing: [Errno %d] %s: '%s'", fname, errno,
				    strerror(errno), fname);
			pthread_mutex_destroy(&x.mu);
			return;
		}
	} else {
		x.f = sh->out;
	}
	hl_buf_init(&x.query);
	hl_buf_str(&x.query, "token(");
	for (int i = 0, n = 0; i < nall; i++) {
		if (all[i].kind != 'p')
			continue;
		if (n++)
			hl_buf_str(&x.query, ", ");
		cp_put_name(&x.query, all[i].name);
	}
	hl_buf_u8(&x.query, ')');
	hl_buf_u8(&x.query, 0);
	x.tok = hl_strdup((const char *)x.query.p);
	hl_buf_reset(&x.query);
	hl_buf_str(&x.query, "SELECT ");
	for (int i = 0; i < ncols; i++) {
		if (i)
			hl_buf_str(&x.query, ", ");
		cp_put_name(&x.query, cols[i].name);
	}
	hl_buf_str(&x.query, " FROM ");
	cp_put_name(&x.query, ks);
	hl_buf_u8(&x.query, '.');
	cp_put_name(&x.query, table);
	hl_buf_printf(&x.query, " WHERE %s > ", x.tok);
	/* the ring is (min, max]: Murmur3 never gives the minimum token */
	x.lo = o->has_begin ? o->begintoken : INT64_MIN;
	x.hi = o->has_end ? o->endtoken : INT64_MAX;
	/* enough ranges that every worker keeps MAXREQUESTS of them going */
	x.nranges = x.hi > x.lo ? nw * (int)(o->maxrequests > 4 ? o->maxrequests : 4) : 0;
	if (!quiet) {
		printf("Using %d child processes\n\nStarting copy of %s.%s with columns [", nw, ks, table);
		for (int i = 0; i < ncols; i++)
			printf("%s%s", i ? ", " : "", cols[i].name);
		printf("].\n");
		fflush(stdout);
	}
	if (o->header) {
		hl_buf line;

		hl_buf_init(&line);
		for (int i = 0; i < ncols; i++) {
			if (i)
				hl_buf_u8(&line, (uint8_t)o->delim);
			cp_csv_field(&line, o, cols[i].name, strlen(cols[i].name));
		}
		hl_buf_u8(&line, '\n');
		fwrite(line.p, 1, line.len, x.f);
		hl_buf_free(&line);
	}
	cp_meter_init(&m, o->reportfrequency, quiet);
	th = hl_calloc((size_t)nw, sizeof *th);
	for (int i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, export_worker, &x);
	while (atomic_load(&x.finished) < nw) {
		cp_meter_update(&m, atomic_load(&x.rows), false);
		usleep(20000);
	}
	for (int i = 0; i < nw; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (fname)
		fclose(x.f);
	else
		fflush(x.f);
	cp_meter_update(&m, atomic_load(&x.rows), true);
	cp_describe_interval(took, sizeof took, (double)(hl_mono_nanos() - m.start) / 1e9);
	if (!quiet)
		printf("\n%ld rows exported to 1 files in %s.\n", atomic_load(&x.rows), took);
	fflush(stdout);
	hl_buf_free(&x.query);
	free(x.tok);
	pthread_mutex_destroy(&x.mu);
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
			ks = hl_strndup(t[1].text, (size_t)(dot - t[1].text));
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
			cols[ncols] = all[k];
			cols[ncols++].name = name;
		}
		if (i >= nt)
			goto improper;
		i++;
	} else {
		cols = hl_calloc((size_t)nall + 1, sizeof *cols);
		for (int k = 0; k < nall; k++) {
			cols[k] = all[k];
			cols[k].name = hl_strdup(all[k].name);
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
		int rc = parse_opts(sh, t, nt, i, to, ks, table, &o);

		if (rc == -1)
			goto improper;
		if (rc)
			goto out;
	}
	if (o.skipcols && !to) {
		char *save = NULL, *list = hl_strdup(o.skipcols);

		for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
			for (int k = 0; k < ncols; k++)
				if (!strcmp(cols[k].name, w))
					cols[k].skip = true;
		free(list);
	}
	if (to && fname && fname[0] == '~') {
		const char *home = getenv("HOME");
		char *p = NULL;

		if (home && asprintf(&p, "%s%s", home, fname + 1) >= 0) {
			free(fname);
			fname = p;
		}
	}
	if (to)
		copy_to(sh, ks, table, cols, ncols, all, nall, fname, &o);
	else
		cp_copy_from(sh, ks, table, cols, ncols, fname, &o);
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
	opts_free(&o);
}
