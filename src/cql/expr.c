/*
 * cql/expr.c: the token-stream helpers and the expression-level grammar
 * shared by all statements: identifiers and qualified names, CQL types,
 * terms (constants, bind markers, collection/tuple/UDT literals, function
 * calls, casts, arithmetic), selectors, WHERE relations, LWT conditions and
 * WITH properties. Follows Cassandra 5.0's Parser.g rule by rule in meaning;
 * where ANTLR uses a syntactic predicate we backtrack with a mark.
 */
#include "cql/cql_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ token stream */

cql_tok *cql_peek(cql_p *p, int k)
{
	while (p->nla <= k) {
		cql_tok *t = &p->la[p->nla];

		if (p->nla > 0 && (p->la[p->nla - 1].type == T_EOF || p->la[p->nla - 1].type == T_ERROR)) {
			/* Never lex past the end or an error: repeat it. */
			*t = p->la[p->nla - 1];
		} else if (p->work > p->work_max) {
			memset(t, 0, sizeof *t);
			t->type = T_ERROR;
			t->start = t->end = t->epos = p->off;
			t->line = t->eline = p->line;
			t->col = t->ecol = (int)(p->off - p->linestart);
			t->emsg = "statement too complex to parse";
		} else {
			cql_lex_next(p, t);
		}
		p->nla++;
	}
	return &p->la[k];
}

void cql_next(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);

	if (t->type == T_EOF || t->type == T_ERROR)
		return;
	p->last_end = t->end;
	memmove(&p->la[0], &p->la[1], (size_t)(p->nla - 1) * sizeof p->la[0]);
	p->nla--;
}

cql_mark cql_mark_get(cql_p *p)
{
	cql_mark m;
	cql_tok *t = cql_peek(p, 0);

	m.off = t->start;
	m.line = t->line;
	m.linestart = t->start - (size_t)t->col;
	m.nbind = p->nbind;
	return m;
}

void cql_mark_restore(cql_p *p, cql_mark m)
{
	p->off = m.off;
	p->line = m.line;
	p->linestart = m.linestart;
	p->nla = 0;
	p->nbind = m.nbind;
	p->failed = false;
}

bool cql_is(cql_p *p, int k, int type)
{
	return cql_peek(p, k)->type == type;
}

bool cql_is_kw(cql_p *p, int k, const char *kw)
{
	cql_tok *t = cql_peek(p, k);
	size_t n = strlen(kw);

	return t->type == T_IDENT && t->end - t->start == n && strncasecmp(p->src + t->start, kw, n) == 0;
}

bool cql_accept(cql_p *p, int type)
{
	if (!cql_is(p, 0, type))
		return false;
	cql_next(p);
	return true;
}

bool cql_accept_kw(cql_p *p, const char *kw)
{
	if (!cql_is_kw(p, 0, kw))
		return false;
	cql_next(p);
	return true;
}

static const char *tok_name(int type)
{
	switch (type) {
	case T_EOF: return "EOF";
	case T_IDENT: return "IDENT";
	case T_QNAME: return "QUOTED_NAME";
	case T_STRING: return "STRING_LITERAL";
	case T_INTEGER: return "INTEGER";
	case T_QMARK: return "QMARK";
	case T_LPAREN: return "'('";
	case T_RPAREN: return "')'";
	case T_LBRACKET: return "'['";
	case T_RBRACKET: return "']'";
	case T_LBRACE: return "'{'";
	case T_RBRACE: return "'}'";
	case T_COMMA: return "','";
	case T_SEMI: return "';'";
	case T_DOT: return "'.'";
	case T_COLON: return "':'";
	case T_EQ: return "'='";
	case T_LT: return "'<'";
	case T_GT: return "'>'";
	default: return "token";
	}
}

int cql_expect(cql_p *p, int type)
{
	if (cql_accept(p, type))
		return 0;
	return cql_fail(p, tok_name(type));
}

int cql_expect_kw(cql_p *p, const char *kw)
{
	char buf[40];
	size_t i;

	if (cql_accept_kw(p, kw))
		return 0;
	/* ANTLR names keyword tokens K_FROM etc. */
	for (i = 0; kw[i] && i < sizeof buf - 3; i++)
		buf[i + 2] = (char)(kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i]);
	buf[0] = 'K';
	buf[1] = '_';
	buf[i + 2] = '\0';
	return cql_fail(p, buf);
}

/* Quote bytes for an error message: at most 60 bytes, invalid UTF-8 and
 * control characters escaped, so the message is always valid UTF-8. */
static void snippet(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, max = n > 60 ? 60 : n;
	bool valid = hl_utf8_valid(s, max);

	for (size_t i = 0; i < max && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !valid))
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (n > max && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int cql_fail(cql_p *p, const char *expecting)
{
	cql_tok *t;
	char sn[300];

	if (p->failed)
		return -1;
	p->failed = true;
	t = cql_peek(p, 0);
	if (t->type == T_ERROR) {
		if (t->emsg) {
			hl_errf(p->err, HL_ERR_SYNTAX, "line %d:%d %s", t->eline, t->ecol, t->emsg);
		} else {
			if (t->epos < p->len) {
				/* show a whole UTF-8 character when there is one */
				unsigned char c = (unsigned char)p->src[t->epos];
				size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
				if (n > p->len - t->epos || !hl_utf8_valid(p->src + t->epos, n))
					n = 1;
				snippet(p->src + t->epos, n, sn, sizeof sn);
			}
			else
				strcpy(sn, "<EOF>");
			hl_errf(p->err, HL_ERR_SYNTAX, "line %d:%d no viable alternative at character '%s'",
				t->eline, t->ecol, sn);
		}
		return -1;
	}
	if (t->type == T_EOF)
		strcpy(sn, "<EOF>");
	else
		snippet(p->src + t->start, t->end - t->start, sn, sizeof sn);
	if (expecting)
		hl_errf(p->err, HL_ERR_SYNTAX, "line %d:%d mismatched input '%s' expecting %s",
			t->line, t->col, sn, expecting);
	else
		hl_errf(p->err, HL_ERR_SYNTAX, "line %d:%d no viable alternative at input '%s'",
			t->line, t->col, sn);
	return -1;
}

/* Messages echo user names and strings; clients decode them as UTF-8, so
 * every byte that is not part of a valid sequence becomes '?'. */
static void sanitize_utf8(char *s)
{
	size_t i = 0, len = strlen(s);

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

		if (n > len - i || !hl_utf8_valid(s + i, n)) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}

int cql_fail_msg(cql_p *p, int code, const char *fmt, ...)
{
	va_list ap;
	char buf[sizeof p->err->msg];

	if (p->failed)
		return -1;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sanitize_utf8(buf);
	return hl_errf(p->err, code, "%s", buf);
}

int cql_enter(cql_p *p)
{
	if (p->depth >= CQL_MAX_DEPTH) {
		cql_tok *t = cql_peek(p, 0);
		return cql_fail_msg(p, HL_ERR_SYNTAX, "line %d:%d nesting too deep (more than %d levels)",
				    t->line, t->col, CQL_MAX_DEPTH);
	}
	p->depth++;
	return 0;
}

void cql_leave(cql_p *p)
{
	p->depth--;
}

/* Grow an arena array by one slot (doubling; the old copy is left behind in
 * the arena, bounded by 2x). Returns the array with room for index n. */
void *cql_grow(cql_p *p, void *arr, int n, int *cap, size_t elem)
{
	void *q;

	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 4;
	q = hl_arena_alloc(p->a, (size_t)*cap * elem);
	if (n)
		memcpy(q, arr, (size_t)n * elem);
	return q;
}

#define PUSH(p, arr, n, cap) ((arr) = cql_grow((p), (arr), (n), &(cap), sizeof *(arr)), &(arr)[(n)++])

/* ------------------------------------------------------------ identifiers */

/* Parser.g keywords minus unreserved_keyword: these cannot name anything. */
static const char *const reserved_words[] = {
	"add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by",
	"columnfamily", "create", "delete", "desc", "describe", "drop", "entries", "execute",
	"from", "full", "grant", "if", "in", "index", "infinity", "insert", "into", "is",
	"keyspace", "limit", "materialized", "modify", "nan", "norecursive", "not", "null",
	"of", "on", "or", "order", "primary", "rename", "revoke", "schema", "select", "set",
	"table", "to", "token", "truncate", "unlogged", "update", "use", "using", "view",
	"where", "with",
};

static bool in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
			return true;
	return false;
}

#define IN_LIST(list, s, len) in_list((list), sizeof(list) / sizeof((list)[0]), (s), (len))

bool cql_reserved(const char *s, size_t n)
{
	return IN_LIST(reserved_words, s, n);
}

static const char *const native_types[] = {
	"ascii", "bigint", "blob", "boolean", "counter", "decimal", "double", "duration",
	"float", "inet", "int", "smallint", "text", "timestamp", "tinyint", "uuid",
	"varchar", "varint", "timeuuid", "date", "time",
};

/* unreserved_keyword entries that are not basic_unreserved_keyword. */
static const char *const nonbasic_unreserved[] = {
	"ttl", "count", "writetime", "maxwritetime", "key", "cast", "json", "distinct",
};

bool cql_tok_is_ident(cql_p *p, int k)
{
	cql_tok *t = cql_peek(p, k);

	if (t->type == T_QNAME)
		return t->end - t->start > 2;
	return t->type == T_IDENT && !cql_reserved(p->src + t->start, t->end - t->start);
}

/* The token's value as an arena string: identifiers lower-cased, quoted
 * names and strings unquoted and unescaped, everything else verbatim. */
const char *cql_tok_text(cql_p *p, const cql_tok *t, size_t *len)
{
	const char *s = p->src + t->start;
	size_t n = t->end - t->start, o = 0;
	char *out;

	if (t->type == T_STRING && n >= 4 && s[0] == '$') {
		s += 2;
		n -= 4;
		out = hl_arena_alloc(p->a, n + 1);
		memcpy(out, s, n);
		o = n;
	} else if (t->type == T_STRING || t->type == T_QNAME) {
		char q = s[0];
		out = hl_arena_alloc(p->a, n + 1);
		for (size_t i = 1; i + 1 < n; i++) {
			out[o++] = s[i];
			if (s[i] == q)
				i++;        /* doubled quote */
		}
	} else {
		out = hl_arena_alloc(p->a, n + 1);
		for (size_t i = 0; i < n; i++)
			out[o++] = (char)(t->type == T_IDENT && s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

const char *cql_ident(cql_p *p)
{
	const char *s;

	if (!cql_tok_is_ident(p, 0)) {
		cql_fail(p, NULL);
		return NULL;
	}
	s = cql_tok_text(p, cql_peek(p, 0), NULL);
	cql_next(p);
	return s;
}

/* cident: also the legacy empty name "". */
const char *cql_cident(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);

	if (t->type == T_QNAME && t->end - t->start == 2) {
		cql_next(p);
		return "";
	}
	return cql_ident(p);
}

static bool cident_at(cql_p *p, int k)
{
	cql_tok *t = cql_peek(p, k);

	return cql_tok_is_ident(p, k) || (t->type == T_QNAME && t->end - t->start == 2);
}

static int bind_name_error(cql_p *p, const char *what)
{
	return cql_fail_msg(p, HL_ERR_SYNTAX, "Bind variables cannot be used for %s names", what);
}

int cql_ks_name(cql_p *p, const char **out)
{
	if (cql_is(p, 0, T_QMARK))
		return bind_name_error(p, "keyspace");
	*out = cql_ident(p);
	return *out ? 0 : -1;
}

/* [ks.]name for tables, views, indexes (what names the object in errors). */
int cql_qname_parse(cql_p *p, cql_qname *q, const char *what)
{
	q->ks = NULL;
	if (cql_is(p, 1, T_DOT) && (cql_tok_is_ident(p, 0) || cql_is(p, 0, T_QMARK))) {
		if (cql_ks_name(p, &q->ks) < 0)
			return -1;
		cql_next(p);
	}
	if (cql_is(p, 0, T_QMARK))
		return bind_name_error(p, what);
	q->name = cql_ident(p);
	return q->name ? 0 : -1;
}

/* non_type_ident: names a user type, so not a native type or other keyword. */
static const char *non_type_ident(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);
	const char *s = p->src + t->start;
	size_t n = t->end - t->start;
	static const char *const reserved_type_names[] = {
		"byte", "complex", "enum", "date", "interval", "macaddr", "bitstring",
	};

	if (t->type == T_IDENT) {
		if (IN_LIST(native_types, s, n) ||
		    (IN_LIST(nonbasic_unreserved, s, n) && !(n == 3 && strncasecmp(s, "key", 3) == 0))) {
			cql_fail(p, NULL);
			return NULL;
		}
		if (IN_LIST(reserved_type_names, s, n)) {
			cql_fail_msg(p, HL_ERR_SYNTAX, "Invalid (reserved) user type name %s",
				     cql_tok_text(p, t, NULL));
			return NULL;
		}
	}
	return cql_ident(p);
}

int cql_user_type_name(cql_p *p, cql_qname *q)
{
	q->ks = NULL;
	if (cql_is(p, 1, T_DOT)) {
		if (!(q->ks = cql_ident(p)))
			return -1;
		cql_next(p);
	}
	q->name = non_type_ident(p);
	return q->name ? 0 : -1;
}

/* ------------------------------------------------------------ types */

/* A name as it must appear inside type text so ty_parse reads it back. */
static const char *quote_name(cql_p *p, const char *s)
{
	size_t n = strlen(s), o = 0;
	bool plain = n > 0 && s[0] >= 'a' && s[0] <= 'z' && !cql_reserved(s, n) &&
		     !IN_LIST(native_types, s, n);
	char *out;

	for (size_t i = 0; plain && i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			plain = false;
	if (plain)
		return s;
	out = hl_arena_alloc(p->a, 2 * n + 3);
	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		out[o++] = s[i];
		if (s[i] == '"')
			out[o++] = '"';
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

bool cql_starts_type(cql_p *p, int k)
{
	cql_tok *t = cql_peek(p, k);

	return t->type == T_STRING || cql_tok_is_ident(p, k);
}

static const char *type_inner(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);
	const char *s = p->src + t->start, *a, *b;
	size_t n = t->end - t->start;

	if (t->type == T_STRING) {
		/* custom type: keep it quoted as a string literal */
		const char *cls = cql_tok_text(p, t, NULL);
		size_t cl = strlen(cls), o = 0;
		char *out = hl_arena_alloc(p->a, 2 * cl + 3);

		out[o++] = '\'';
		for (size_t i = 0; i < cl; i++) {
			out[o++] = cls[i];
			if (cls[i] == '\'')
				out[o++] = '\'';
		}
		out[o++] = '\'';
		out[o] = '\0';
		cql_next(p);
		return out;
	}
	if (t->type == T_IDENT && IN_LIST(native_types, s, n)) {
		cql_next(p);
		return cql_tok_text(p, t, NULL);
	}
	if (t->type == T_IDENT && cql_is(p, 1, T_LT)) {
		if (n == 3 && (strncasecmp(s, "map", 3) == 0)) {
			cql_next(p);
			cql_next(p);
			if (!(a = cql_type(p)) || cql_expect(p, T_COMMA) < 0 || !(b = cql_type(p)) ||
			    cql_expect(p, T_GT) < 0)
				return NULL;
			return hl_arena_printf(p->a, "map<%s, %s>", a, b);
		}
		if ((n == 4 && strncasecmp(s, "list", 4) == 0) || (n == 3 && strncasecmp(s, "set", 3) == 0) ||
		    (n == 6 && strncasecmp(s, "frozen", 6) == 0)) {
			const char *kw = cql_tok_text(p, t, NULL);
			cql_next(p);
			cql_next(p);
			if (!(a = cql_type(p)) || cql_expect(p, T_GT) < 0)
				return NULL;
			return hl_arena_printf(p->a, "%s<%s>", kw, a);
		}
		if (n == 5 && strncasecmp(s, "tuple", 5) == 0) {
			cql_next(p);
			cql_next(p);
			hl_buf buf;
			const char *r = NULL;

			hl_buf_init(&buf);
			hl_buf_str(&buf, "tuple<");
			do {
				if (buf.len > 6)
					hl_buf_str(&buf, ", ");
				if (!(a = cql_type(p)))
					goto tuple_out;
				hl_buf_str(&buf, a);
			} while (cql_accept(p, T_COMMA));
			if (cql_expect(p, T_GT) < 0)
				goto tuple_out;
			hl_buf_put(&buf, ">", 2);
			r = hl_arena_memdup(p->a, buf.p, buf.len);
tuple_out:
			hl_buf_free(&buf);
			return r;
		}
		if (n == 6 && strncasecmp(s, "vector", 6) == 0) {
			cql_tok *d;
			cql_next(p);
			cql_next(p);
			if (!(a = cql_type(p)) || cql_expect(p, T_COMMA) < 0)
				return NULL;
			d = cql_peek(p, 0);
			if (d->type != T_INTEGER) {
				cql_fail(p, "INTEGER");
				return NULL;
			}
			b = cql_tok_text(p, d, NULL);
			cql_next(p);
			if (cql_expect(p, T_GT) < 0)
				return NULL;
			return hl_arena_printf(p->a, "vector<%s, %s>", a, b);
		}
	}
	{
		cql_qname q;

		if (cql_user_type_name(p, &q) < 0)
			return NULL;
		if (q.ks)
			return hl_arena_printf(p->a, "%s.%s", quote_name(p, q.ks), quote_name(p, q.name));
		return quote_name(p, q.name);
	}
}

const char *cql_type(cql_p *p)
{
	const char *r;

	if (cql_enter(p) < 0)
		return NULL;
	r = type_inner(p);
	cql_leave(p);
	return r;
}

/* ------------------------------------------------------------ terms */

static cql_term *new_term(cql_p *p, cql_term_kind k)
{
	cql_term *t = hl_arena_zalloc(p->a, sizeof *t);

	t->kind = k;
	return t;
}

cql_term *cql_marker(cql_p *p, bool in_marker)
{
	const char *name = NULL;
	cql_term *t;

	if (cql_accept(p, T_COLON)) {
		if (!(name = cql_ident(p)))
			return NULL;
	} else if (cql_expect(p, T_QMARK) < 0) {
		return NULL;
	}
	t = new_term(p, CQL_TERM_BIND);
	t->in_marker = in_marker;
	t->bind_name = name;
	t->bind_index = p->nbind;
	p->bind_names = cql_grow(p, p->bind_names, p->nbind, &p->capbind, sizeof *p->bind_names);
	p->bind_names[p->nbind++] = name;
	return t;
}

static bool marker_at(cql_p *p, int k)
{
	return cql_is(p, k, T_QMARK) || cql_is(p, k, T_COLON);
}

/* A constant token at k (NaN/Infinity are keywords there). */
static bool constant_at(cql_p *p, int k)
{
	switch (cql_peek(p, k)->type) {
	case T_STRING: case T_INTEGER: case T_FLOAT: case T_BOOLEAN: case T_DURATION:
	case T_UUID: case T_HEX: case T_NEG_NAN: case T_NEG_INF:
		return true;
	default:
		return cql_is_kw(p, k, "nan") || cql_is_kw(p, k, "infinity");
	}
}

static int constant(cql_p *p, ty_lit *lit)
{
	cql_tok *t = cql_peek(p, 0);

	switch (t->type) {
	case T_STRING: lit->kind = TY_LIT_STRING; break;
	case T_INTEGER: lit->kind = TY_LIT_INTEGER; break;
	case T_FLOAT: lit->kind = TY_LIT_FLOAT; break;
	case T_BOOLEAN: lit->kind = TY_LIT_BOOLEAN; break;
	case T_DURATION: lit->kind = TY_LIT_DURATION; break;
	case T_UUID: lit->kind = TY_LIT_UUID; break;
	case T_HEX: lit->kind = TY_LIT_HEX; break;
	case T_NEG_NAN:
		lit->kind = TY_LIT_FLOAT;
		lit->text = "NaN";
		lit->len = 3;
		cql_next(p);
		return 0;
	case T_NEG_INF:
		lit->kind = TY_LIT_FLOAT;
		lit->text = "-Infinity";
		lit->len = 9;
		cql_next(p);
		return 0;
	default:
		if (cql_is_kw(p, 0, "nan") || cql_is_kw(p, 0, "infinity")) {
			bool nan = cql_is_kw(p, 0, "nan");
			lit->kind = TY_LIT_FLOAT;
			lit->text = nan ? "NaN" : "Infinity";
			lit->len = strlen(lit->text);
			cql_next(p);
			return 0;
		}
		return cql_fail(p, NULL);
	}
	lit->text = cql_tok_text(p, t, &lit->len);
	if (lit->kind == TY_LIT_BOOLEAN)
		lit->text = lit->text[0] == 't' || lit->text[0] == 'T' ? "true" : "false";
	cql_next(p);
	return 0;
}

/* allowedFunctionName at k. */
static bool fn_name_at(cql_p *p, int k)
{
	cql_tok *t = cql_peek(p, k);
	const char *s = p->src + t->start;
	size_t n = t->end - t->start;

	if (t->type == T_QNAME)
		return n > 2;
	if (t->type != T_IDENT)
		return false;
	if (cql_is_kw(p, k, "token"))
		return true;
	if (cql_reserved(s, n))
		return false;
	return !IN_LIST(nonbasic_unreserved, s, n) || (n == 5 && strncasecmp(s, "count", 5) == 0);
}

/* functionName '(' at 0: returns the number of tokens before '(' or 0. */
static int function_at(cql_p *p)
{
	if (fn_name_at(p, 0) && cql_is(p, 1, T_LPAREN))
		return 1;
	if (cql_tok_is_ident(p, 0) && cql_is(p, 1, T_DOT) && fn_name_at(p, 2) && cql_is(p, 3, T_LPAREN))
		return 3;
	return 0;
}

static int function_name(cql_p *p, const char **ks, const char **name)
{
	*ks = NULL;
	if (function_at(p) == 3) {
		*ks = cql_ident(p);
		cql_next(p);
	}
	*name = cql_tok_text(p, cql_peek(p, 0), NULL);
	cql_next(p);
	return 0;
}

static cql_term *simple_term(cql_p *p);

/* Can a term start at k? Used to stop "+" before a column in "c = v + c". */
static bool term_start_at(cql_p *p, int k)
{
	cql_tok *t = cql_peek(p, k);

	if (constant_at(p, k) || marker_at(p, k) || cql_is_kw(p, k, "null"))
		return true;
	switch (t->type) {
	case T_LPAREN: case T_LBRACKET: case T_LBRACE: case T_MINUS:
		return true;
	default:
		break;
	}
	if (cql_is_kw(p, k, "cast") && cql_is(p, k + 1, T_LPAREN))
		return true;
	if (fn_name_at(p, k) && cql_is(p, k + 1, T_LPAREN))
		return true;
	return cql_tok_is_ident(p, k) && cql_is(p, k + 1, T_DOT) && cql_is(p, k + 3, T_LPAREN);
}

static cql_term *term_group(cql_p *p)
{
	if (cql_accept(p, T_MINUS)) {
		cql_term *t = simple_term(p), *n;

		if (!t)
			return NULL;
		/* Fold "- 5" into the literal so executors see a plain constant. */
		if (t->kind == CQL_TERM_LITERAL &&
		    (t->lit.kind == TY_LIT_INTEGER || t->lit.kind == TY_LIT_FLOAT) &&
		    t->lit.len > 0 && t->lit.text[0] != '-') {
			t->lit.text = hl_arena_printf(p->a, "-%s", t->lit.text);
			t->lit.len++;
			return t;
		}
		n = new_term(p, CQL_TERM_NEG);
		n->left = t;
		return n;
	}
	return simple_term(p);
}

static cql_term *binop(cql_p *p, char op, cql_term *l, cql_term *r)
{
	cql_term *t = new_term(p, CQL_TERM_BINOP);

	t->op = op;
	t->left = l;
	t->right = r;
	return t;
}

static cql_term *term_mul(cql_p *p)
{
	cql_term *l = term_group(p), *r;

	while (l) {
		int ty = cql_peek(p, 0)->type;
		char op = ty == T_STAR ? '*' : ty == T_SLASH ? '/' : ty == T_PERCENT ? '%' : 0;

		if (!op)
			break;
		cql_next(p);
		if (!(r = term_group(p)))
			return NULL;
		l = binop(p, op, l, r);
	}
	return l;
}

cql_term *cql_term_parse(cql_p *p)
{
	cql_term *l, *r;

	if (cql_enter(p) < 0)
		return NULL;
	l = term_mul(p);
	while (l) {
		int ty = cql_peek(p, 0)->type;

		if ((ty != T_PLUS && ty != T_MINUS) || !term_start_at(p, 1))
			break;
		cql_next(p);
		if (!(r = term_mul(p))) {
			l = NULL;
			break;
		}
		l = binop(p, ty == T_PLUS ? '+' : '-', l, r);
	}
	cql_leave(p);
	return l;
}

/* term (',' term)* up to close; the opening token is already consumed. */
static int term_list(cql_p *p, int close, bool allow_empty, cql_term *t)
{
	int cap = 0;

	if (allow_empty && cql_accept(p, close))
		return 0;
	do {
		cql_term *e = cql_term_parse(p);
		if (!e)
			return -1;
		*PUSH(p, t->items, t->n, cap) = e;
	} while (cql_accept(p, T_COMMA));
	return cql_expect(p, close);
}

static cql_term *tuple_literal(cql_p *p)
{
	cql_term *t;

	if (cql_expect(p, T_LPAREN) < 0)
		return NULL;
	t = new_term(p, CQL_TERM_TUPLE);
	return term_list(p, T_RPAREN, false, t) < 0 ? NULL : t;
}

static cql_term *brace_literal(cql_p *p)
{
	cql_term *t;
	int cap = 0, kcap = 0;

	cql_next(p);    /* '{' */
	if (cql_accept(p, T_RBRACE))
		return new_term(p, CQL_TERM_SET);
	if (cql_tok_is_ident(p, 0) && cql_is(p, 1, T_COLON)) {
		t = new_term(p, CQL_TERM_UDT);
		do {
			const char *f = cql_ident(p);
			cql_term *v;
			if (!f || cql_expect(p, T_COLON) < 0 || !(v = cql_term_parse(p)))
				return NULL;
			*PUSH(p, t->fields, t->n, kcap) = f;
			t->n--;
			*PUSH(p, t->items, t->n, cap) = v;
		} while (cql_accept(p, T_COMMA));
		return cql_expect(p, T_RBRACE) < 0 ? NULL : t;
	}
	{
		cql_term *k = cql_term_parse(p), *v;

		if (!k)
			return NULL;
		if (cql_accept(p, T_COLON)) {
			t = new_term(p, CQL_TERM_MAP);
			for (;;) {
				if (!(v = cql_term_parse(p)))
					return NULL;
				*PUSH(p, t->keys, t->n, kcap) = k;
				t->n--;
				*PUSH(p, t->items, t->n, cap) = v;
				if (!cql_accept(p, T_COMMA))
					break;
				if (!(k = cql_term_parse(p)) || cql_expect(p, T_COLON) < 0)
					return NULL;
			}
		} else {
			t = new_term(p, CQL_TERM_SET);
			*PUSH(p, t->items, t->n, cap) = k;
			while (cql_accept(p, T_COMMA)) {
				if (!(k = cql_term_parse(p)))
					return NULL;
				*PUSH(p, t->items, t->n, cap) = k;
			}
		}
		return cql_expect(p, T_RBRACE) < 0 ? NULL : t;
	}
}

static const char *native_type(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);

	if (t->type == T_IDENT && IN_LIST(native_types, p->src + t->start, t->end - t->start)) {
		cql_next(p);
		return cql_tok_text(p, t, NULL);
	}
	cql_fail(p, NULL);
	return NULL;
}

static cql_term *simple_term(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);
	cql_term *r;
	int fn;

	if (cql_enter(p) < 0)
		return NULL;
	r = NULL;
	if (t->type == T_LPAREN) {
		/* '(' comparatorType ')' simpleTerm, else a tuple literal */
		if (cql_starts_type(p, 1)) {
			cql_mark m = cql_mark_get(p);
			const char *ty;
			cql_term *v;

			cql_next(p);
			if ((ty = cql_type(p)) && cql_accept(p, T_RPAREN) && (v = simple_term(p))) {
				r = new_term(p, CQL_TERM_TYPEHINT);
				r->type = ty;
				r->left = v;
				goto out;
			}
			cql_mark_restore(p, m);
		}
		r = tuple_literal(p);
	} else if (t->type == T_LBRACKET) {
		cql_next(p);
		r = new_term(p, CQL_TERM_LIST);
		if (term_list(p, T_RBRACKET, true, r) < 0)
			r = NULL;
	} else if (t->type == T_LBRACE) {
		r = brace_literal(p);
	} else if (marker_at(p, 0)) {
		r = cql_marker(p, false);
	} else if (cql_is_kw(p, 0, "null")) {
		cql_next(p);
		r = new_term(p, CQL_TERM_LITERAL);
		r->lit.kind = TY_LIT_NULL;
		r->lit.text = "null";
		r->lit.len = 4;
	} else if (constant_at(p, 0)) {
		r = new_term(p, CQL_TERM_LITERAL);
		if (constant(p, &r->lit) < 0)
			r = NULL;
	} else if (cql_is_kw(p, 0, "cast") && cql_is(p, 1, T_LPAREN)) {
		cql_term *v;
		const char *ty;

		cql_next(p);
		cql_next(p);
		if ((v = simple_term(p)) && cql_expect_kw(p, "as") == 0 && (ty = native_type(p)) &&
		    cql_expect(p, T_RPAREN) == 0) {
			r = new_term(p, CQL_TERM_CAST);
			r->left = v;
			r->type = ty;
		}
	} else if ((fn = function_at(p))) {
		r = new_term(p, CQL_TERM_FUNC);
		function_name(p, &r->fn_ks, &r->fn_name);
		cql_next(p);    /* '(' */
		if (term_list(p, T_RPAREN, true, r) < 0)
			r = NULL;
	} else {
		cql_fail(p, NULL);
	}
out:
	cql_leave(p);
	return r;
}

cql_term *cql_int_value(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);
	cql_term *r;

	if (marker_at(p, 0))
		return cql_marker(p, false);
	if (t->type != T_INTEGER) {
		cql_fail(p, NULL);
		return NULL;
	}
	r = new_term(p, CQL_TERM_LITERAL);
	r->lit.kind = TY_LIT_INTEGER;
	r->lit.text = cql_tok_text(p, t, &r->lit.len);
	cql_next(p);
	return r;
}

/* ------------------------------------------------------------ selectors */

static cql_sel *new_sel(cql_p *p, cql_sel_kind k)
{
	cql_sel *s = hl_arena_zalloc(p->a, sizeof *s);

	s->kind = k;
	return s;
}

static cql_sel *sel_group(cql_p *p);
static cql_sel *sel_without_field(cql_p *p);

/* selectorModifier: ('.' field | '[' term ['..' [term]] ']' | '[' '..' term ']')* */
static cql_sel *sel_modifiers(cql_p *p, cql_sel *s)
{
	while (s) {
		if (cql_is(p, 0, T_DOT)) {
			cql_sel *f;
			cql_next(p);
			f = new_sel(p, CQL_SEL_FIELD);
			f->arg = s;
			if (!(f->name = cql_ident(p)))
				return NULL;
			s = f;
		} else if (cql_accept(p, T_LBRACKET)) {
			cql_sel *e = new_sel(p, CQL_SEL_ELEMENT);
			e->arg = s;
			if (!cql_is(p, 0, T_RANGE) && !(e->term = cql_term_parse(p)))
				return NULL;
			if (cql_accept(p, T_RANGE)) {
				e->kind = CQL_SEL_SLICE;
				if (!cql_is(p, 0, T_RBRACKET) && !(e->term2 = cql_term_parse(p)))
					return NULL;
				if (!e->term && !e->term2) {
					cql_fail(p, NULL);
					return NULL;
				}
			} else if (!e->term) {
				cql_fail(p, NULL);
				return NULL;
			}
			if (cql_expect(p, T_RBRACKET) < 0)
				return NULL;
			s = e;
		} else {
			break;
		}
	}
	return s;
}

/* sel (',' sel)* into args until close (opening token consumed). */
static int sel_list(cql_p *p, int close, bool allow_empty, cql_sel *s)
{
	int cap = 0;

	if (allow_empty && cql_accept(p, close))
		return 0;
	do {
		cql_sel *e = cql_selector_expr(p);
		if (!e)
			return -1;
		*PUSH(p, s->args, s->n, cap) = e;
	} while (cql_accept(p, T_COMMA));
	return cql_expect(p, close);
}

static cql_sel *sel_simple(cql_p *p)
{
	cql_tok *t = cql_peek(p, 0);
	cql_sel *s;

	if (cql_is_kw(p, 0, "count") && cql_is(p, 1, T_LPAREN) && cql_is(p, 2, T_STAR) && cql_is(p, 3, T_RPAREN)) {
		for (int i = 0; i < 4; i++)
			cql_next(p);
		return new_sel(p, CQL_SEL_COUNT_STAR);
	}
	if ((cql_is_kw(p, 0, "writetime") || cql_is_kw(p, 0, "maxwritetime") || cql_is_kw(p, 0, "ttl")) &&
	    cql_is(p, 1, T_LPAREN)) {
		cql_sel *c;
		s = new_sel(p, cql_is_kw(p, 0, "ttl") ? CQL_SEL_TTL :
			       cql_is_kw(p, 0, "writetime") ? CQL_SEL_WRITETIME : CQL_SEL_MAXWRITETIME);
		cql_next(p);
		cql_next(p);
		c = new_sel(p, CQL_SEL_COLUMN);
		if (!(c->name = cql_ident(p)) || !(s->arg = sel_modifiers(p, c)) || cql_expect(p, T_RPAREN) < 0)
			return NULL;
		return s;
	}
	if (cql_is_kw(p, 0, "cast") && cql_is(p, 1, T_LPAREN)) {
		s = new_sel(p, CQL_SEL_CAST);
		cql_next(p);
		cql_next(p);
		if (!(s->arg = cql_selector_expr(p)) || cql_expect_kw(p, "as") < 0 || !(s->type = native_type(p)) ||
		    cql_expect(p, T_RPAREN) < 0)
			return NULL;
		return s;
	}
	if (function_at(p)) {
		s = new_sel(p, CQL_SEL_FUNC);
		function_name(p, &s->fn_ks, &s->fn_name);
		cql_next(p);
		return sel_list(p, T_RPAREN, true, s) < 0 ? NULL : s;
	}
	if (cql_tok_is_ident(p, 0)) {
		s = new_sel(p, CQL_SEL_COLUMN);
		s->name = cql_ident(p);
		return s;
	}
	if (constant_at(p, 0) || marker_at(p, 0) || cql_is_kw(p, 0, "null")) {
		s = new_sel(p, CQL_SEL_TERM);
		return (s->term = simple_term(p)) ? s : NULL;
	}
	(void)t;
	cql_fail(p, NULL);
	return NULL;
}

static cql_sel *sel_without_field(cql_p *p)
{
	cql_sel *s = NULL;

	if (cql_enter(p) < 0)
		return NULL;
	if (cql_is(p, 0, T_LPAREN)) {
		if (cql_starts_type(p, 1)) {
			cql_mark m = cql_mark_get(p);
			const char *ty;
			cql_sel *v;

			cql_next(p);
			if ((ty = cql_type(p)) && cql_accept(p, T_RPAREN) && (v = sel_without_field(p))) {
				s = new_sel(p, CQL_SEL_TYPEHINT);
				s->type = ty;
				s->arg = v;
				goto out;
			}
			cql_mark_restore(p, m);
		}
		cql_next(p);
		s = new_sel(p, CQL_SEL_TUPLE);
		if (sel_list(p, T_RPAREN, false, s) < 0)
			s = NULL;
		else if (s->n == 1)
			s = s->args[0];
	} else if (cql_accept(p, T_LBRACKET)) {
		s = new_sel(p, CQL_SEL_LIST);
		if (sel_list(p, T_RBRACKET, true, s) < 0)
			s = NULL;
	} else if (cql_accept(p, T_LBRACE)) {
		cql_sel *k;
		int cap = 0, kcap = 0;

		if (cql_accept(p, T_RBRACE)) {
			s = new_sel(p, CQL_SEL_SET);
			goto out;
		}
		if (!(k = cql_selector_expr(p)))
			goto out;
		if (cql_accept(p, T_COLON)) {
			s = new_sel(p, CQL_SEL_MAP);
			for (;;) {
				cql_sel *v = cql_selector_expr(p);
				if (!v) {
					s = NULL;
					goto out;
				}
				*PUSH(p, s->keys, s->n, kcap) = k;
				s->n--;
				*PUSH(p, s->args, s->n, cap) = v;
				if (!cql_accept(p, T_COMMA))
					break;
				if (!(k = cql_selector_expr(p)) || cql_expect(p, T_COLON) < 0) {
					s = NULL;
					goto out;
				}
			}
		} else {
			s = new_sel(p, CQL_SEL_SET);
			*PUSH(p, s->args, s->n, cap) = k;
			while (cql_accept(p, T_COMMA)) {
				if (!(k = cql_selector_expr(p))) {
					s = NULL;
					goto out;
				}
				*PUSH(p, s->args, s->n, cap) = k;
			}
		}
		if (cql_expect(p, T_RBRACE) < 0)
			s = NULL;
	} else {
		s = sel_simple(p);
	}
out:
	cql_leave(p);
	return s;
}

static cql_sel *sel_group(cql_p *p)
{
	cql_sel *s;

	if (cql_enter(p) < 0)
		return NULL;
	if (cql_accept(p, T_MINUS)) {
		cql_sel *a = sel_group(p);
		s = NULL;
		if (a) {
			s = new_sel(p, CQL_SEL_NEG);
			s->arg = a;
		}
	} else {
		s = sel_modifiers(p, sel_without_field(p));
	}
	cql_leave(p);
	return s;
}

static cql_sel *sel_binop(cql_p *p, char op, cql_sel *l, cql_sel *r)
{
	cql_sel *s = new_sel(p, CQL_SEL_BINOP);

	s->op = op;
	s->n = 2;
	s->args = hl_arena_alloc(p->a, 2 * sizeof *s->args);
	s->args[0] = l;
	s->args[1] = r;
	return s;
}

static cql_sel *sel_mul(cql_p *p)
{
	cql_sel *l = sel_group(p), *r;

	while (l) {
		int ty = cql_peek(p, 0)->type;
		char op = ty == T_STAR ? '*' : ty == T_SLASH ? '/' : ty == T_PERCENT ? '%' : 0;

		if (!op)
			break;
		cql_next(p);
		if (!(r = sel_group(p)))
			return NULL;
		l = sel_binop(p, op, l, r);
	}
	return l;
}

/* unaliasedSelector */
cql_sel *cql_selector_expr(cql_p *p)
{
	cql_sel *l, *r;

	if (cql_enter(p) < 0)
		return NULL;
	l = sel_mul(p);
	while (l) {
		int ty = cql_peek(p, 0)->type;

		if (ty != T_PLUS && ty != T_MINUS)
			break;
		cql_next(p);
		if (!(r = sel_mul(p))) {
			l = NULL;
			break;
		}
		l = sel_binop(p, ty == T_PLUS ? '+' : '-', l, r);
	}
	cql_leave(p);
	return l;
}

int cql_selectors(cql_p *p, bool *star, int *n, cql_selector **out)
{
	int cap = 0;

	*star = false;
	*n = 0;
	*out = NULL;
	if (cql_accept(p, T_STAR)) {
		*star = true;
		return 0;
	}
	do {
		cql_selector *s = PUSH(p, *out, *n, cap);
		if (!(s->expr = cql_selector_expr(p)))
			return -1;
		s->alias = NULL;
		if (cql_accept_kw(p, "as") && !(s->alias = cql_ident(p)))
			return -1;
	} while (cql_accept(p, T_COMMA));
	return 0;
}

/* ------------------------------------------------------------ relations */

static bool rel_op(cql_p *p, cql_op *op)
{
	switch (cql_peek(p, 0)->type) {
	case T_EQ: *op = CQL_OP_EQ; break;
	case T_LT: *op = CQL_OP_LT; break;
	case T_LTE: *op = CQL_OP_LTE; break;
	case T_GT: *op = CQL_OP_GT; break;
	case T_GTE: *op = CQL_OP_GTE; break;
	case T_NEQ: *op = CQL_OP_NEQ; break;
	default: return false;
	}
	cql_next(p);
	return true;
}

/* singleColumnInValues: '(' terms? ')' | marker */
static int in_values(cql_p *p, cql_rel *r)
{
	cql_term tmp = { 0 };

	if (marker_at(p, 0))
		return (r->value = cql_marker(p, true)) ? 0 : -1;
	if (cql_expect(p, T_LPAREN) < 0 || term_list(p, T_RPAREN, true, &tmp) < 0)
		return -1;
	r->nvalues = tmp.n;
	r->values = tmp.items;
	return 0;
}

static int between_values(cql_p *p, cql_rel *r, bool multi)
{
	r->op = CQL_OP_BETWEEN;
	r->nvalues = 2;
	r->values = hl_arena_alloc(p->a, 2 * sizeof *r->values);
	for (int i = 0; i < 2; i++) {
		if (i && cql_expect_kw(p, "and") < 0)
			return -1;
		if (multi && !marker_at(p, 0))
			r->values[i] = tuple_literal(p);
		else
			r->values[i] = multi ? cql_marker(p, false) : cql_term_parse(p);
		if (!r->values[i])
			return -1;
	}
	return 0;
}

static int ident_tuple(cql_p *p, cql_rel *r)
{
	int cap = 0;

	if (cql_expect(p, T_LPAREN) < 0)
		return -1;
	do {
		const char *c = cql_cident(p);
		if (!c)
			return -1;
		*PUSH(p, r->cols, r->ncols, cap) = c;
	} while (cql_accept(p, T_COMMA));
	return cql_expect(p, T_RPAREN);
}

static int relation(cql_p *p, cql_rel *r)
{
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (cql_enter(p) < 0)
		return -1;
	if (cql_is_kw(p, 0, "token") && cql_is(p, 1, T_LPAREN)) {
		r->kind = CQL_REL_TOKEN;
		cql_next(p);
		if (ident_tuple(p, r) < 0)
			goto out;
		if (cql_accept_kw(p, "between"))
			rc = between_values(p, r, false);
		else if (!rel_op(p, &r->op))
			rc = cql_fail(p, NULL);
		else
			rc = (r->value = cql_term_parse(p)) ? 0 : -1;
	} else if (cql_is_kw(p, 0, "expr") && cql_is(p, 1, T_LPAREN) &&
		   cql_peek(p, 1)->start == cql_peek(p, 0)->end) {
		/* 'expr(' is a single token in Cassandra's grammar */
		cql_qname q;
		r->kind = CQL_REL_EXPR;
		cql_next(p);
		cql_next(p);
		if (cql_qname_parse(p, &q, "index") < 0 || cql_expect(p, T_COMMA) < 0 ||
		    !(r->value = cql_term_parse(p)) || cql_expect(p, T_RPAREN) < 0)
			goto out;
		r->ncols = 1;
		r->cols = hl_arena_alloc(p->a, sizeof *r->cols);
		r->cols[0] = q.ks ? hl_arena_printf(p->a, "%s.%s", q.ks, q.name) : q.name;
		rc = 0;
	} else if (cql_is(p, 0, T_LPAREN)) {
		if (!(cident_at(p, 1) && (cql_is(p, 2, T_COMMA) || cql_is(p, 2, T_RPAREN)))) {
			/* '(' relation ')' */
			cql_next(p);
			if (relation(p, r) == 0)
				rc = cql_expect(p, T_RPAREN);
			goto out;
		}
		r->kind = CQL_REL_MULTI;
		if (ident_tuple(p, r) < 0)
			goto out;
		if (cql_accept_kw(p, "in")) {
			int cap = 0;
			r->op = CQL_OP_IN;
			if (marker_at(p, 0)) {
				rc = (r->value = cql_marker(p, true)) ? 0 : -1;
				goto out;
			}
			if (cql_expect(p, T_LPAREN) < 0)
				goto out;
			if (!cql_accept(p, T_RPAREN)) {
				do {
					cql_term *v = marker_at(p, 0) ? cql_marker(p, false) : tuple_literal(p);
					if (!v)
						goto out;
					*PUSH(p, r->values, r->nvalues, cap) = v;
				} while (cql_accept(p, T_COMMA));
				if (cql_expect(p, T_RPAREN) < 0)
					goto out;
			}
			rc = 0;
		} else if (cql_accept_kw(p, "between")) {
			rc = between_values(p, r, true);
		} else if (rel_op(p, &r->op)) {
			r->value = marker_at(p, 0) ? cql_marker(p, false) : tuple_literal(p);
			rc = r->value ? 0 : -1;
		} else {
			rc = cql_fail(p, NULL);
		}
	} else {
		const char *c = cql_cident(p);
		if (!c)
			goto out;
		r->kind = CQL_REL_SINGLE;
		r->ncols = 1;
		r->cols = hl_arena_alloc(p->a, sizeof *r->cols);
		r->cols[0] = c;
		if (cql_accept(p, T_LBRACKET)) {
			r->kind = CQL_REL_ELEMENT;
			if (!(r->key = cql_term_parse(p)) || cql_expect(p, T_RBRACKET) < 0)
				goto out;
			if (!rel_op(p, &r->op)) {
				rc = cql_fail(p, NULL);
				goto out;
			}
			rc = (r->value = cql_term_parse(p)) ? 0 : -1;
		} else if (rel_op(p, &r->op)) {
			rc = (r->value = cql_term_parse(p)) ? 0 : -1;
		} else if (cql_accept_kw(p, "between")) {
			rc = between_values(p, r, false);
		} else if (cql_accept_kw(p, "like")) {
			r->op = CQL_OP_LIKE;
			rc = (r->value = cql_term_parse(p)) ? 0 : -1;
		} else if (cql_accept_kw(p, "is")) {
			r->op = CQL_OP_IS_NOT_NULL;
			if (cql_expect_kw(p, "not") == 0 && cql_expect_kw(p, "null") == 0)
				rc = 0;
		} else if (cql_accept_kw(p, "in")) {
			r->op = CQL_OP_IN;
			rc = in_values(p, r);
		} else if (cql_accept_kw(p, "contains")) {
			r->op = cql_accept_kw(p, "key") ? CQL_OP_CONTAINS_KEY : CQL_OP_CONTAINS;
			rc = (r->value = cql_term_parse(p)) ? 0 : -1;
		} else {
			rc = cql_fail(p, NULL);
		}
	}
out:
	cql_leave(p);
	return rc;
}

int cql_where(cql_p *p, int *n, cql_rel **out)
{
	int cap = 0;

	*n = 0;
	*out = NULL;
	do {
		if (relation(p, PUSH(p, *out, *n, cap)) < 0)
			return -1;
	} while (cql_accept_kw(p, "and"));
	return 0;
}

/* columnCondition (K_AND columnCondition)* for IF clauses. */
int cql_conditions(cql_p *p, int *n, cql_rel **out)
{
	int cap = 0;

	*n = 0;
	*out = NULL;
	do {
		cql_rel *r = PUSH(p, *out, *n, cap);
		const char *c;

		memset(r, 0, sizeof *r);
		if (!(c = cql_cident(p)))
			return -1;
		r->kind = CQL_REL_SINGLE;
		r->ncols = 1;
		r->cols = hl_arena_alloc(p->a, sizeof *r->cols);
		r->cols[0] = c;
		if (cql_accept(p, T_LBRACKET)) {
			r->kind = CQL_REL_ELEMENT;
			if (!(r->key = cql_term_parse(p)) || cql_expect(p, T_RBRACKET) < 0)
				return -1;
		} else if (cql_accept(p, T_DOT)) {
			r->kind = CQL_REL_FIELD;
			if (!(r->field = cql_ident(p)))
				return -1;
		} else if (cql_accept_kw(p, "contains")) {
			r->op = cql_accept_kw(p, "key") ? CQL_OP_CONTAINS_KEY : CQL_OP_CONTAINS;
			if (!(r->value = cql_term_parse(p)))
				return -1;
			continue;
		}
		if (cql_accept_kw(p, "in")) {
			r->op = CQL_OP_IN;
			if (in_values(p, r) < 0)
				return -1;
		} else if (rel_op(p, &r->op)) {
			if (!(r->value = cql_term_parse(p)))
				return -1;
		} else {
			return cql_fail(p, NULL);
		}
	} while (cql_accept_kw(p, "and"));
	return 0;
}

/* ------------------------------------------------------------ properties */

/* The source text a term was parsed from, for messages. */
static const char *span(cql_p *p, size_t from)
{
	char sn[300];

	snippet(p->src + from, p->last_end > from ? p->last_end - from : 0, sn, sizeof sn);
	return hl_arena_strdup(p->a, sn);
}

static int prop_constant(cql_p *p, ty_lit *out, bool is_key, const char *pname, ty_lit *key)
{
	size_t from = cql_peek(p, 0)->start;
	cql_term *t = cql_term_parse(p);

	if (!t)
		return -1;
	if (t->kind != CQL_TERM_LITERAL || t->lit.kind == TY_LIT_NULL) {
		const char *txt = span(p, from);
		const char *bind = t->kind == CQL_TERM_BIND ? " (bind variables are not supported in DDL queries)" : "";
		(void)pname;
		if (is_key)
			return cql_fail_msg(p, HL_ERR_SYNTAX, "Invalid property name: %s%s", txt, bind);
		return cql_fail_msg(p, HL_ERR_SYNTAX, "Invalid property value: %s for property: %s%s", txt,
				    key ? key->text : "", bind);
	}
	*out = t->lit;
	return 0;
}

int cql_property(cql_p *p, cql_props *props)
{
	cql_prop pr;
	cql_tok *t;

	memset(&pr, 0, sizeof pr);
	if (!(pr.name = cql_ident(p)) || cql_expect(p, T_EQ) < 0)
		return -1;
	t = cql_peek(p, 0);
	if (t->type == T_LBRACE) {
		int kcap = 0, vcap = 0;

		cql_next(p);
		pr.is_map = true;
		if (!cql_accept(p, T_RBRACE)) {
			do {
				ty_lit k, v;
				if (prop_constant(p, &k, true, pr.name, NULL) < 0 || cql_expect(p, T_COLON) < 0 ||
				    prop_constant(p, &v, false, pr.name, &k) < 0)
					return -1;
				*PUSH(p, pr.keys, pr.nentries, kcap) = k;
				pr.nentries--;
				*PUSH(p, pr.vals, pr.nentries, vcap) = v;
			} while (cql_accept(p, T_COMMA));
			if (cql_expect(p, T_RBRACE) < 0)
				return -1;
		}
	} else if (constant_at(p, 0)) {
		if (constant(p, &pr.value) < 0)
			return -1;
	} else if (t->type == T_IDENT && !cql_reserved(p->src + t->start, t->end - t->start)) {
		/* propertyValue: an unreserved keyword, kept as written */
		pr.value.kind = TY_LIT_STRING;
		pr.value.len = t->end - t->start;
		pr.value.text = hl_arena_printf(p->a, "%.*s", (int)pr.value.len, p->src + t->start);
		cql_next(p);
	} else {
		return cql_fail(p, NULL);
	}
	for (int i = 0; i < props->n; i++)
		if (strcmp(props->p[i].name, pr.name) == 0)
			return cql_fail_msg(p, HL_ERR_SYNTAX, "Multiple definition for property %s", pr.name);
	/* No real statement has this many; the cap keeps the duplicate scan cheap. */
	if (props->n >= 256)
		return cql_fail_msg(p, HL_ERR_SYNTAX, "Too many properties");
	/* Capacity is implicit: grow when n reaches a power of two (from 4). */
	if (props->n == 0 || (props->n >= 4 && (props->n & (props->n - 1)) == 0)) {
		int cap = props->n ? props->n * 2 : 4;
		cql_prop *np = hl_arena_alloc(p->a, (size_t)cap * sizeof *np);
		if (props->n)
			memcpy(np, props->p, (size_t)props->n * sizeof *np);
		props->p = np;
	}
	props->p[props->n++] = pr;
	return 0;
}

int cql_properties(cql_p *p, cql_props *props)
{
	do {
		if (cql_property(p, props) < 0)
			return -1;
	} while (cql_accept_kw(p, "and"));
	return 0;
}
