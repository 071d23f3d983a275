/*
 * cql/lex.c: the CQL lexer. Context-free and longest-match like Cassandra's
 * ANTLR lexer (Lexer.g), so the same text splits into the same tokens:
 * "c-1" is IDENT INTEGER(-1), "P1Y" is a DURATION, "1..2" is INTEGER RANGE
 * INTEGER, a UUID wins over an identifier or number it starts with.
 *
 * Tokens carry only spans; decoding (unescaping strings and quoted names,
 * lower-casing identifiers) happens when the parser keeps a token, so
 * re-lexing after a backtrack allocates nothing.
 */
#include "cql/cql_int.h"

#include <string.h>

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_letter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_identc(int c) { return is_letter(c) || is_digit(c) || c == '_'; }
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

void cql_lex_init(cql_p *p, const char *src, size_t len)
{
	p->src = src;
	p->len = len;
	p->off = 0;
	p->line = 1;
	p->linestart = 0;
	p->nla = 0;
}

/* Move the lexer to off, keeping line/column bookkeeping. */
static void move_to(cql_p *p, size_t off)
{
	for (size_t i = p->off; i < off && i < p->len; i++) {
		if (p->src[i] == '\n') {
			p->line++;
			p->linestart = i + 1;
		}
	}
	p->off = off;
}

static int at(const cql_p *p, size_t i)
{
	return i < p->len ? (unsigned char)p->src[i] : -1;
}

/* 8-4-4-4-12 hex digits at i: 36, else 0. */
static size_t uuid_len(const cql_p *p, size_t i)
{
	static const int groups[5] = { 8, 4, 4, 4, 12 };
	size_t j = i;

	for (int g = 0; g < 5; g++) {
		for (int k = 0; k < groups[g]; k++, j++)
			if (!is_hex(at(p, j)))
				return 0;
		if (g < 4) {
			if (at(p, j) != '-')
				return 0;
			j++;
		}
	}
	return j - i;
}

static size_t digits(const cql_p *p, size_t i)
{
	size_t j = i;

	while (is_digit(at(p, j)))
		j++;
	return j - i;
}

/* One DURATION_UNIT at i (case-insensitive, longest first): its length or 0. */
static size_t unit_len(const cql_p *p, size_t i)
{
	int c = lower(at(p, i)), d = lower(at(p, i + 1));

	if (c == 'm' && (d == 'o' || d == 's'))
		return 2;
	if ((c == 'u' || c == 'n') && d == 's')
		return 2;
	if (c == 0xC2 && at(p, i + 1) == 0xB5 && lower(at(p, i + 2)) == 's')
		return 3;            /* µs */
	if (c == 'y' || c == 'w' || c == 'd' || c == 'h' || c == 'm' || c == 's')
		return 1;
	return 0;
}

/* (DIGIT+ UNIT)+ at i (after any '-'): length or 0. */
static size_t unit_duration_len(const cql_p *p, size_t i)
{
	size_t j = i, d, u;

	for (;;) {
		d = digits(p, j);
		if (!d)
			break;
		u = unit_len(p, j + d);
		if (!u)
			break;
		j += d + u;
	}
	return j - i;
}

/* DIGIT+ 'c' at i: length or 0 (ISO designators are upper case only). */
static size_t dig_des(const cql_p *p, size_t i, int c)
{
	size_t d = digits(p, i);

	return d && at(p, i + d) == c ? d + 1 : 0;
}

/* Time designators: 'T' (dH (dM)? (dS)? | dM (dS)? | dS). */
static size_t iso_time_len(const cql_p *p, size_t i)
{
	size_t j, k;

	if (at(p, i) != 'T')
		return 0;
	j = i + 1;
	if ((k = dig_des(p, j, 'H'))) {
		j += k;
		if ((k = dig_des(p, j, 'M')))
			j += k;
		if ((k = dig_des(p, j, 'S')))
			j += k;
	} else if ((k = dig_des(p, j, 'M'))) {
		j += k;
		if ((k = dig_des(p, j, 'S')))
			j += k;
	} else if ((k = dig_des(p, j, 'S'))) {
		j += k;
	} else {
		return 0;
	}
	return j - i;
}

/* ISO 8601 durations starting with 'P' at i: length or 0. */
static size_t iso_duration_len(const cql_p *p, size_t i)
{
	size_t j = i + 1, k;
	static const char alt[] = "dddd-dd-ddTdd:dd:dd";

	if (at(p, i) != 'P')
		return 0;
	/* alternative format P0001-02-03T04:05:06 */
	for (k = 0; alt[k]; k++) {
		int c = at(p, j + k);
		if (alt[k] == 'd' ? !is_digit(c) : c != alt[k])
			break;
	}
	if (!alt[k])
		return 1 + k;
	if ((k = iso_time_len(p, j)))
		return 1 + k;
	if ((k = dig_des(p, j, 'W')))
		return 1 + k;
	if ((k = dig_des(p, j, 'Y'))) {
		j += k;
		if ((k = dig_des(p, j, 'M')))
			j += k;
		if ((k = dig_des(p, j, 'D')))
			j += k;
	} else if ((k = dig_des(p, j, 'M'))) {
		j += k;
		if ((k = dig_des(p, j, 'D')))
			j += k;
	} else if ((k = dig_des(p, j, 'D'))) {
		j += k;
	} else {
		return 0;
	}
	j += iso_time_len(p, j);
	return j - i;
}

/* INTEGER / FLOAT at i (after any '-'): length, *is_float set. */
static size_t number_len(const cql_p *p, size_t i, bool *is_float)
{
	size_t j = i + digits(p, i), k;

	*is_float = false;
	if (j == i)
		return 0;
	/* "1..2" is INTEGER RANGE INTEGER */
	if (at(p, j) == '.' && at(p, j + 1) != '.') {
		j++;
		j += digits(p, j);
		*is_float = true;
	}
	if (lower(at(p, j)) == 'e') {
		k = j + 1;
		if (at(p, k) == '+' || at(p, k) == '-')
			k++;
		if (digits(p, k)) {
			j = k + digits(p, k);
			*is_float = true;
		}
	}
	return j - i;
}

/* Does the word at i (case-insensitively) equal w and end there? */
static bool word_is(const cql_p *p, size_t i, const char *w)
{
	size_t n = strlen(w);

	for (size_t k = 0; k < n; k++)
		if (lower(at(p, i + k)) != w[k])
			return false;
	return !is_identc(at(p, i + n));
}

static void set_err(cql_p *p, cql_tok *t, size_t where, const char *msg)
{
	t->type = T_ERROR;
	t->emsg = msg;
	move_to(p, where);
	t->eline = p->line;
	t->ecol = (int)(where - p->linestart);
	t->epos = where;
	t->end = where < p->len ? where + 1 : where;
	p->off = t->end;
}

/* Skip whitespace and comments; 0, or -1 with t set to an error. */
static int skip_space(cql_p *p, cql_tok *t)
{
	for (;;) {
		int c = at(p, p->off), d = at(p, p->off + 1);
		size_t i;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			move_to(p, p->off + 1);
		} else if ((c == '-' && d == '-') || (c == '/' && d == '/')) {
			i = p->off + 2;
			while (i < p->len && p->src[i] != '\n' && p->src[i] != '\r')
				i++;
			move_to(p, i);
		} else if (c == '/' && d == '*') {
			i = p->off + 2;
			while (i + 1 < p->len && !(p->src[i] == '*' && p->src[i + 1] == '/'))
				i++;
			if (i + 1 >= p->len) {
				t->start = p->off;
				t->line = p->line;
				t->col = (int)(p->off - p->linestart);
				set_err(p, t, p->len, "mismatched character '<EOF>' expecting '*'");
				return -1;
			}
			move_to(p, i + 2);
		} else {
			return 0;
		}
	}
}

void cql_lex_next(cql_p *p, cql_tok *t)
{
	size_t i, n, m;
	int c, d;
	bool fl;

	memset(t, 0, sizeof *t);
	p->work++;
	if (skip_space(p, t) < 0)
		return;
	i = p->off;
	t->start = i;
	t->line = p->line;
	t->col = (int)(i - p->linestart);
	c = at(p, i);
	d = at(p, i + 1);
	if (c < 0) {
		t->type = T_EOF;
		t->end = i;
		return;
	}

	/* UUIDs first: longest match beats the number or identifier they start with. */
	if (is_hex(c) && (n = uuid_len(p, i))) {
		t->type = T_UUID;
		goto done_n;
	}
	if (c == '0' && (d == 'x' || d == 'X')) {
		n = 2;
		while (is_hex(at(p, i + n)))
			n++;
		t->type = T_HEX;
		goto done_n;
	}
	if (is_digit(c) || (c == '-' && is_digit(d))) {
		size_t s = c == '-' ? 1 : 0;
		n = s + number_len(p, i + s, &fl);
		m = s + unit_duration_len(p, i + s);
		if (m > n) {
			t->type = T_DURATION;
			n = m;
		} else {
			t->type = fl ? T_FLOAT : T_INTEGER;
		}
		goto done_n;
	}
	if (c == '-' && d == 'P' && (n = iso_duration_len(p, i + 1))) {
		n++;
		t->type = T_DURATION;
		goto done_n;
	}
	if (c == '-' && (word_is(p, i + 1, "nan") || word_is(p, i + 1, "infinity"))) {
		t->type = lower(d) == 'n' ? T_NEG_NAN : T_NEG_INF;
		n = lower(d) == 'n' ? 4 : 9;
		goto done_n;
	}
	if (is_letter(c)) {
		n = 1;
		while (is_identc(at(p, i + n)))
			n++;
		/* DURATION precedes IDENT in Lexer.g, so it wins ties. */
		m = iso_duration_len(p, i);
		if (m && m >= n) {
			t->type = T_DURATION;
			n = m;
		} else if ((n == 4 && word_is(p, i, "true")) || (n == 5 && word_is(p, i, "false"))) {
			t->type = T_BOOLEAN;
		} else {
			t->type = T_IDENT;
		}
		goto done_n;
	}
	if (c == '\'') {
		for (n = 1;; n++) {
			if (i + n >= p->len) {
				set_err(p, t, p->len, "mismatched character '<EOF>' expecting '''");
				return;
			}
			if (p->src[i + n] == '\'') {
				if (at(p, i + n + 1) == '\'') {
					n++;
					continue;
				}
				break;
			}
		}
		n++;
		t->type = T_STRING;
		goto done_n;
	}
	if (c == '$' && d == '$') {
		for (n = 2;; n++) {
			if (i + n + 1 >= p->len) {
				set_err(p, t, p->len, "mismatched character '<EOF>' expecting '$'");
				return;
			}
			if (p->src[i + n] == '$' && p->src[i + n + 1] == '$')
				break;
		}
		n += 2;
		t->type = T_STRING;
		goto done_n;
	}
	if (c == '"') {
		for (n = 1;; n++) {
			if (i + n >= p->len) {
				set_err(p, t, p->len, "mismatched character '<EOF>' expecting '\"'");
				return;
			}
			if (p->src[i + n] == '\0') {
				/* NUL would silently truncate the C-string name. */
				set_err(p, t, i + n, NULL);
				return;
			}
			if (p->src[i + n] == '"') {
				if (at(p, i + n + 1) == '"') {
					n++;
					continue;
				}
				break;
			}
		}
		n++;
		t->type = T_QNAME;
		goto done_n;
	}

	n = 2;
	switch (c) {
	case '.':
		if (d == '.') { t->type = T_RANGE; goto done_n; }
		t->type = T_DOT; break;
	case '<':
		if (d == '=') { t->type = T_LTE; goto done_n; }
		t->type = T_LT; break;
	case '>':
		if (d == '=') { t->type = T_GTE; goto done_n; }
		t->type = T_GT; break;
	case '!':
		if (d == '=') { t->type = T_NEQ; goto done_n; }
		set_err(p, t, i + 1, NULL);
		return;
	case '+':
		if (d == '=') { t->type = T_PLUSEQ; goto done_n; }
		t->type = T_PLUS; break;
	case '-':
		if (d == '=') { t->type = T_MINUSEQ; goto done_n; }
		t->type = T_MINUS; break;
	case '(': t->type = T_LPAREN; break;
	case ')': t->type = T_RPAREN; break;
	case '[': t->type = T_LBRACKET; break;
	case ']': t->type = T_RBRACKET; break;
	case '{': t->type = T_LBRACE; break;
	case '}': t->type = T_RBRACE; break;
	case ',': t->type = T_COMMA; break;
	case ';': t->type = T_SEMI; break;
	case ':': t->type = T_COLON; break;
	case '=': t->type = T_EQ; break;
	case '*': t->type = T_STAR; break;
	case '/': t->type = T_SLASH; break;
	case '%': t->type = T_PERCENT; break;
	case '?': t->type = T_QMARK; break;
	default:
		set_err(p, t, i, NULL);
		return;
	}
	n = 1;
done_n:
	t->end = i + n;
	move_to(p, t->end);
}
