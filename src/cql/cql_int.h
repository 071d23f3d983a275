/*
 * cql/cql_int.h: private to the cql module. The token stream and parser
 * state shared by the lexer (lex.c), the expression grammar (expr.c) and the
 * statement grammar (stmt.c).
 *
 * The lexer is lazy: tokens are produced on demand into a small look-ahead
 * window, and a position is just a byte offset, so backtracking (needed
 * where CQL's grammar uses ANTLR syntactic predicates, e.g. "(type) term"
 * versus a tuple) is a cheap rewind and memory stays O(1) in the input size.
 */
#ifndef HL_CQL_INT_H
#define HL_CQL_INT_H

#include "cql/cql.h"

enum cql_tok_type {
	T_EOF,
	T_ERROR,       /* lexer error; emsg (or NULL: "no viable alternative at character") */
	T_IDENT,       /* unquoted identifier or keyword */
	T_QNAME,       /* "quoted name" (empty: "") */
	T_STRING,      /* '...' or $$...$$ */
	T_INTEGER,
	T_FLOAT,
	T_BOOLEAN,
	T_DURATION,
	T_UUID,
	T_HEX,
	T_NEG_NAN,     /* -NaN */
	T_NEG_INF,     /* -Infinity */
	T_QMARK,
	T_RANGE,       /* .. */
	T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET, T_LBRACE, T_RBRACE,
	T_COMMA, T_SEMI, T_DOT, T_COLON,
	T_EQ, T_LT, T_LTE, T_GT, T_GTE, T_NEQ,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_PLUSEQ, T_MINUSEQ,
};

typedef struct cql_tok {
	int type;
	size_t start, end;       /* byte span in the input */
	int line, col;           /* of start; col 0-based as ANTLR */
	/* T_ERROR: where the error is reported and what it says */
	int eline, ecol;
	size_t epos;
	const char *emsg;
} cql_tok;

#define CQL_LA 8

typedef struct cql_p {
	const char *src;
	size_t len;
	hl_arena *a;
	hl_err *err;
	/* lexer position of the first token not yet in la[] */
	size_t off;
	int line;
	size_t linestart;
	cql_tok la[CQL_LA];
	int nla;
	int depth;
	size_t last_end;        /* end of the last consumed token */
	int nbind, capbind;
	const char **bind_names;
	bool failed;
	/* Tokens lexed so far against a budget proportional to the input, so
	 * no mix of backtracking can make parsing super-linear without bound. */
	uint64_t work, work_max;
} cql_p;

typedef struct cql_mark {
	size_t off;
	int line;
	size_t linestart;
	int nbind;
} cql_mark;

/* lex.c */
void cql_lex_init(cql_p *p, const char *src, size_t len);
/* Lex the token starting at or after p->off into *t and advance. */
void cql_lex_next(cql_p *p, cql_tok *t);

/* parser helpers (expr.c) */
cql_tok *cql_peek(cql_p *p, int k);
void cql_next(cql_p *p);
cql_mark cql_mark_get(cql_p *p);
void cql_mark_restore(cql_p *p, cql_mark m);
bool cql_is(cql_p *p, int k, int type);
bool cql_is_kw(cql_p *p, int k, const char *kw);
bool cql_accept(cql_p *p, int type);
bool cql_accept_kw(cql_p *p, const char *kw);
int cql_expect(cql_p *p, int type);
int cql_expect_kw(cql_p *p, const char *kw);
int cql_fail(cql_p *p, const char *expecting);
int cql_fail_msg(cql_p *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool cql_reserved(const char *s, size_t n);
bool cql_tok_is_ident(cql_p *p, int k);
const char *cql_tok_text(cql_p *p, const cql_tok *t, size_t *len);
int cql_enter(cql_p *p);
void cql_leave(cql_p *p);
void *cql_grow(cql_p *p, void *arr, int n, int *cap, size_t elem);

/* grammar pieces (expr.c) */
const char *cql_ident(cql_p *p);
const char *cql_cident(cql_p *p);
int cql_qname_parse(cql_p *p, cql_qname *q, const char *what);
int cql_ks_name(cql_p *p, const char **out);
int cql_user_type_name(cql_p *p, cql_qname *q);
const char *cql_type(cql_p *p);
cql_term *cql_term_parse(cql_p *p);
cql_term *cql_marker(cql_p *p, bool in_marker);
cql_term *cql_int_value(cql_p *p);
int cql_selectors(cql_p *p, bool *star, int *n, cql_selector **out);
cql_sel *cql_selector_expr(cql_p *p);
int cql_where(cql_p *p, int *n, cql_rel **out);
int cql_conditions(cql_p *p, int *n, cql_rel **out);
int cql_properties(cql_p *p, cql_props *props);
int cql_property(cql_p *p, cql_props *props);
bool cql_starts_type(cql_p *p, int k);

#endif
