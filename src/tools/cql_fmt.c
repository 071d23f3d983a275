/*
 * tools/cql_fmt.c: how the shell shows values and result tables. The rules
 * are cqlsh's (cqlshlib/formatting.py and displaying.py), which differ from
 * CQL literal syntax in places: booleans are True/False, floats are cut to
 * a display precision, strings have control characters escaped, a null is
 * `null`, and numbers and text alike are right-aligned in table cells.
 * Every value is kept twice, plain and coloured, with its terminal width, so
 * padding is computed on what the eye sees, not on escape codes.
 */
#include "tools/cql_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void fval_init(fval *v)
{
	hl_buf_init(&v->s);
	hl_buf_init(&v->c);
	v->w = 0;
}

void fval_free(fval *v)
{
	hl_buf_free(&v->s);
	hl_buf_free(&v->c);
}

/* Terminal columns of UTF-8 text (wide CJK = 2, combining = 0). */
size_t fmt_width(const char *s, size_t n)
{
	size_t w = 0, i = 0;
	mbstate_t st;

	memset(&st, 0, sizeof st);
	while (i < n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, n - i, &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			/* not decodable in this locale: one column per byte */
			memset(&st, 0, sizeof st);
			w++;
			i++;
			continue;
		}
		int cw = wcwidth(wc);

		w += cw < 0 ? 1 : (size_t)cw;
		i += k;
	}
	return w;
}

/* Append text in colour (the coloured copy gets color + text + reset). */
static void emit(const shell *sh, fval *o, const char *color, const char *s, size_t n)
{
	hl_buf_put(&o->s, s, n);
	if (sh->color && color)
		hl_buf_str(&o->c, color);
	hl_buf_put(&o->c, s, n);
	if (sh->color && color)
		hl_buf_str(&o->c, C_RESET);
	o->w += fmt_width(s, n);
}

static void emits(const shell *sh, fval *o, const char *color, const char *s)
{
	emit(sh, o, color, s, strlen(s));
}

/*
 * Text as cqlsh shows it: backslashes doubled, quotes doubled inside
 * collections, control characters (and U+007F..U+00A0) as Python escapes.
 */
static void fmt_text(const shell *sh, const uint8_t *p, size_t n, bool quote, const char *color,
		     fval *o)
{
	hl_buf b;
	size_t i = 0;

	hl_buf_init(&b);
	if (quote)
		hl_buf_u8(&b, '\'');
	while (i < n) {
		uint32_t cp = p[i];
		size_t k = 1;

		if (cp == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0xA0) {
			cp = p[i + 1];
			k = 2;
		}
		if (cp == '\\') {
			hl_buf_str(&b, "\\\\");
		} else if (cp == '\'' && quote) {
			hl_buf_str(&b, "''");
		} else if (cp == '\n') {
			hl_buf_str(&b, "\\n");
		} else if (cp == '\t') {
			hl_buf_str(&b, "\\t");
		} else if (cp == '\r') {
			hl_buf_str(&b, "\\r");
		} else if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0)) {
			hl_buf_printf(&b, "\\x%02x", cp);
		} else {
			hl_buf_put(&b, p + i, k);
		}
		i += k;
	}
	if (quote)
		hl_buf_u8(&b, '\'');
	emit(sh, o, color, (const char *)b.p, b.len);
	hl_buf_free(&b);
}

/* cqlsh's float display: %g with `precision` significant digits after the point. */
static void fmt_floating(const shell *sh, double v, int precision, fval *o)
{
	char tmp[64];

	if (isnan(v)) {
		snprintf(tmp, sizeof tmp, "NaN");
	} else if (isinf(v)) {
		snprintf(tmp, sizeof tmp, "%s", v > 0 ? "Infinity" : "-Infinity");
	} else {
		/* digits left of the point count extra, so %g does not switch to exponent form */
		if (fabs(v) > 2.220446049250313e-16) {
			int e = (int)log10(fabs(v));   /* truncation toward zero, as int() */

			if (e >= -4 && e < precision)
				precision = precision + e + 1;
		}
		snprintf(tmp, sizeof tmp, "%.*g", precision, v);
	}
	emits(sh, o, C_GREEN, tmp);
}

/* str(Decimal): plain unless the exponent is positive or the value is tiny. */
static void fmt_decimal(const shell *sh, const uint8_t *p, size_t n, fval *o)
{
	hl_buf d, b;
	int64_t exp, left;
	size_t nd, start = 0;

	hl_buf_init(&d);
	hl_buf_init(&b);
	if (ty_to_text(ty_simple(TY_VARINT), p + 4, n - 4, &d) || d.len == 0) {
		emits(sh, o, C_GREEN, "?");
		goto out;
	}
	if (d.p[0] == '-') {
		hl_buf_u8(&b, '-');
		start = 1;
	}
	nd = d.len - start;
	exp = -(int64_t)(int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				  (uint32_t)p[2] << 8 | p[3]);
	left = exp + (int64_t)nd;
	{
		int64_t dot = (exp <= 0 && left > -6) ? left : 1;
		const char *dg = (const char *)d.p + start;

		if (dot <= 0) {
			hl_buf_str(&b, "0.");
			for (int64_t i = 0; i < -dot; i++)
				hl_buf_u8(&b, '0');
			hl_buf_put(&b, dg, nd);
		} else if ((size_t)dot >= nd) {
			hl_buf_put(&b, dg, nd);
			for (int64_t i = (int64_t)nd; i < dot; i++)
				hl_buf_u8(&b, '0');
		} else {
			hl_buf_put(&b, dg, (size_t)dot);
			hl_buf_u8(&b, '.');
			hl_buf_put(&b, dg + dot, nd - (size_t)dot);
		}
		if (left != dot)
			hl_buf_printf(&b, "E%+lld", (long long)(left - dot));
	}
	emit(sh, o, C_GREEN, (const char *)b.p, b.len);
out:
	hl_buf_free(&d);
	hl_buf_free(&b);
}

static void fmt_value(const shell *sh, const ty_type *t, const uint8_t *p, size_t n, bool quote,
		      int depth, fval *o);

/* Elements of a list/set/map or fields of a tuple/UDT, separators in the collection colour. */
static void fmt_composite(const shell *sh, const ty_type *t, const uint8_t *p, size_t n,
			  int depth, fval *o)
{
	hl_rd r;
	int32_t count, len;
	const uint8_t *e;
	bool map = t->kind == TY_MAP, udt = t->kind == TY_UDT, tuple = t->kind == TY_TUPLE;
	const char *open = t->kind == TY_LIST ? "[" : tuple ? "(" : "{";
	const char *close = t->kind == TY_LIST ? "]" : tuple ? ")" : "}";

	hl_rd_init(&r, p, n);
	if (udt || tuple) {
		count = t->nsub;
	} else if (hl_rd_i32(&r, &count) || count < 0) {
		emits(sh, o, C_RED, "<malformed>");
		return;
	}
	emits(sh, o, C_BLUE, open);
	for (int32_t i = 0; i < count; i++) {
		if (i)
			emits(sh, o, C_BLUE, ", ");
		if (udt) {
			fmt_text(sh, (const uint8_t *)t->field_names[i], strlen(t->field_names[i]), false,
				 C_YELLOW, o);
			emits(sh, o, C_BLUE, ": ");
		}
		for (int j = 0; j < (map ? 2 : 1); j++) {
			const ty_type *st = map ? t->sub[j] : (udt || tuple) ? t->sub[i] : t->sub[0];

			if (j)
				emits(sh, o, C_BLUE, ": ");
			/* a tuple/UDT value may stop early: the missing fields are null */
			if ((udt || tuple) && hl_rd_left(&r) == 0) {
				emits(sh, o, udt ? C_RED : C_YELLOW, udt ? "null" : "None");
				continue;
			}
			if (hl_rd_i32(&r, &len)) {
				emits(sh, o, C_RED, "<malformed>");
				return;
			}
			if (len < 0) {
				/* a null element: the UDT formatter says null, the others Python's None */
				emits(sh, o, udt ? C_RED : C_YELLOW, udt ? "null" : "None");
				continue;
			}
			if (hl_rd_raw(&r, (size_t)len, &e)) {
				emits(sh, o, C_RED, "<malformed>");
				return;
			}
			fmt_value(sh, st, e, (size_t)len, true, depth + 1, o);
		}
	}
	emits(sh, o, C_BLUE, close);
}

static void fmt_value(const shell *sh, const ty_type *t, const uint8_t *p, size_t n, bool quote,
		      int depth, fval *o)
{
	hl_buf b;

	if (depth > 64) {
		emits(sh, o, C_RED, "...");
		return;
	}
	if (n == 0 && t->kind != TY_BLOB && t->kind != TY_CUSTOM) {
		/* an empty value of a non-string type shows as nothing (driver's EMPTY) */
		if (t->kind == TY_TEXT || t->kind == TY_ASCII)
			fmt_text(sh, p, 0, quote, C_YELLOW, o);
		else
			emit(sh, o, C_YELLOW, "", 0);
		return;
	}
	hl_buf_init(&b);
	switch (t->kind) {
	case TY_ASCII:
	case TY_TEXT:
		fmt_text(sh, p, n, quote, C_YELLOW, o);
		break;
	case TY_BOOLEAN:
		emits(sh, o, C_GREEN, n == 1 && p[0] ? "True" : "False");
		break;
	case TY_FLOAT:
	case TY_DOUBLE:
		if (n == 4 && t->kind == TY_FLOAT) {
			uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
			float f;

			memcpy(&f, &u, sizeof f);
			fmt_floating(sh, f, sh->float_precision, o);
		} else if (n == 8 && t->kind == TY_DOUBLE) {
			uint64_t u = 0;
			double d;

			for (int i = 0; i < 8; i++)
				u = u << 8 | p[i];
			memcpy(&d, &u, sizeof d);
			fmt_floating(sh, d, sh->double_precision, o);
		} else {
			emits(sh, o, C_RED, "<malformed>");
		}
		break;
	case TY_DECIMAL:
		if (n < 4)
			emits(sh, o, C_RED, "<malformed>");
		else
			fmt_decimal(sh, p, n, o);
		break;
	case TY_TIMESTAMP: {
		int64_t ms = 0;

		if (n != 8) {
			emits(sh, o, C_RED, "<malformed>");
			break;
		}
		for (int i = 0; i < 8; i++)
			ms = (int64_t)((uint64_t)ms << 8 | p[i]);
		/* outside Python's datetime (years 1..9999) cqlsh shows milliseconds */
		if (ms < -62135596800000LL || ms > 253402300799999LL) {
			hl_buf_printf(&b, "%lld", (long long)ms);
		} else {
			if (quote)
				hl_buf_u8(&b, '\'');
			ty_to_text(t, p, n, &b);
			if (quote)
				hl_buf_u8(&b, '\'');
		}
		emit(sh, o, C_GREEN, (const char *)b.p, b.len);
		break;
	}
	case TY_DATE: {
		int64_t days;

		if (n != 4) {
			emits(sh, o, C_RED, "<malformed>");
			break;
		}
		days = (int64_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) -
		       ((int64_t)1 << 31);
		/* 0001-01-01 .. 9999-12-31, else the day number as the driver's Date does */
		if (days < -719162 || days > 2932896)
			hl_buf_printf(&b, "%lld", (long long)days);
		else
			ty_to_text(t, p, n, &b);
		emit(sh, o, C_GREEN, (const char *)b.p, b.len);
		break;
	}
	case TY_INET:
		if (quote)
			hl_buf_u8(&b, '\'');
		if (ty_to_text(t, p, n, &b)) {
			emits(sh, o, C_RED, "<malformed>");
			break;
		}
		if (quote)
			hl_buf_u8(&b, '\'');
		emit(sh, o, C_GREEN, (const char *)b.p, b.len);
		break;
	case TY_BLOB:
	case TY_CUSTOM:
		ty_to_text(ty_simple(TY_BLOB), p, n, &b);
		emit(sh, o, C_DARK_MAGENTA, (const char *)b.p, b.len);
		break;
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
	case TY_TUPLE:
	case TY_UDT:
		fmt_composite(sh, t, p, n, depth, o);
		break;
	default:
		/* ints, varint, counter, uuids, time, duration: the CQL text is cqlsh's too */
		if (ty_to_text(t, p, n, &b))
			emits(sh, o, C_RED, "<malformed>");
		else
			emit(sh, o, C_GREEN, (const char *)b.p, b.len);
		break;
	}
	hl_buf_free(&b);
}

void fmt_cell(const shell *sh, const ty_type *t, const cli_cell *cell, fval *out)
{
	if (cell->n < 0) {
		emits(sh, out, C_RED, "null");
		return;
	}
	fmt_value(sh, t, cell->p, (size_t)cell->n, false, 0, out);
}

void fmt_colname(const shell *sh, const char *name, const char *color, fval *out)
{
	fmt_text(sh, (const uint8_t *)name, strlen(name), false, color ? color : C_MAGENTA, out);
}

/* ---------------------------------------------------------------- printers */

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void put_fval(const shell *sh, FILE *f, const fval *v)
{
	const hl_buf *b = sh->color ? &v->c : &v->s;

	if (b->len)
		fwrite(b->p, 1, b->len, f);
}

void print_table(shell *sh, fval *names, int ncols, fval *vals, int nrows, bool with_header)
{
	size_t *w = hl_calloc((size_t)(ncols ? ncols : 1), sizeof *w);
	FILE *f = sh->out;

	for (int c = 0; c < ncols; c++) {
		w[c] = names[c].w;
		for (int r = 0; r < nrows; r++)
			if (vals[(size_t)r * (size_t)ncols + (size_t)c].w > w[c])
				w[c] = vals[(size_t)r * (size_t)ncols + (size_t)c].w;
	}
	if (with_header) {
		/* header cells are left-justified; the line loses its trailing blanks */
		fputc(' ', f);
		for (int c = 0; c < ncols; c++) {
			if (c)
				fputs(" | ", f);
			put_fval(sh, f, &names[c]);
			if (c + 1 < ncols)
				pad(f, w[c] - names[c].w);
		}
		fputc('\n', f);
		fputc('-', f);
		for (int c = 0; c < ncols; c++) {
			if (c)
				fputs("-+-", f);
			for (size_t i = 0; i < w[c]; i++)
				fputc('-', f);
		}
		fputs("-\n", f);
	}
	if (!vals) {
		fputc('\n', f);
		free(w);
		return;
	}
	for (int r = 0; r < nrows; r++) {
		fputc(' ', f);
		for (int c = 0; c < ncols; c++) {
			const fval *v = &vals[(size_t)r * (size_t)ncols + (size_t)c];

			if (c)
				fputs(" | ", f);
			pad(f, w[c] - v->w);
			put_fval(sh, f, v);
		}
		fputc('\n', f);
	}
	if (sh->tty)
		fputc('\n', f);
	free(w);
}

void print_vertical(shell *sh, fval *names, int ncols, fval *vals, int nrows, int offset)
{
	size_t cw = 0, vw = 0;
	FILE *f = sh->out;

	for (int c = 0; c < ncols; c++)
		if (names[c].w > cw)
			cw = names[c].w;
	for (size_t i = 0; i < (size_t)nrows * (size_t)ncols; i++)
		if (vals[i].w > vw)
			vw = vals[i].w;
	for (int r = 0; r < nrows; r++) {
		fprintf(f, "@ Row %d\n", offset + r + 1);
		fputc('-', f);
		for (size_t i = 0; i < cw; i++)
			fputc('-', f);
		fputs("-+-", f);
		for (size_t i = 0; i < vw; i++)
			fputc('-', f);
		fputs("-\n", f);
		for (int c = 0; c < ncols; c++) {
			fputc(' ', f);
			put_fval(sh, f, &names[c]);
			pad(f, cw - names[c].w);
			fputs(" | ", f);
			put_fval(sh, f, &vals[(size_t)r * (size_t)ncols + (size_t)c]);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
}

/*
 * Python's cmd.Cmd.columnize: the fewest rows whose columns (two blanks
 * apart) fit the width; every cell, the last included, padded to its
 * column's width.
 */
void columnize(FILE *f, const char *const *names, int n, int width)
{
	int nrows = 0, ncols = 1;
	size_t *cw = NULL;

	if (n == 0) {
		fputs("<empty>\n", f);
		return;
	}
	if (n == 1) {
		fprintf(f, "%s\n", names[0]);
		return;
	}
	cw = hl_calloc((size_t)n, sizeof *cw);
	for (nrows = 1; nrows < n; nrows++) {
		long tot = -2;

		ncols = (n + nrows - 1) / nrows;
		for (int c = 0; c < ncols; c++) {
			size_t m = 0;

			for (int r = 0; r < nrows; r++) {
				int i = r + nrows * c;

				if (i >= n)
					break;
				size_t l = strlen(names[i]);

				if (l > m)
					m = l;
			}
			cw[c] = m;
			tot += (long)m + 2;
			if (tot > width)
				break;
		}
		if (tot <= width)
			break;
	}
	if (nrows >= n) {
		nrows = n;
		ncols = 1;
		cw[0] = 0;
	}
	for (int r = 0; r < nrows; r++) {
		int last = -1;

		for (int c = 0; c < ncols; c++) {
			int i = r + nrows * c;

			if (i < n && names[i][0])
				last = c;
		}
		for (int c = 0; c <= last; c++) {
			int i = r + nrows * c;
			const char *s = i < n ? names[i] : "";
			size_t l = strlen(s);

			if (c)
				fputs("  ", f);
			fputs(s, f);
			for (size_t k = l; k < cw[c]; k++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
	free(cw);
}
