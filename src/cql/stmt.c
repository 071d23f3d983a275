/*
 * cql/stmt.c: the statement-level grammar (DML, DDL, BATCH, DESCRIBE) and
 * cql_parse(), the module's entry point. Statements Helenus does not
 * implement (functions, aggregates, triggers, roles, permissions) are
 * recognised by their leading keywords and returned as CQL_STMT_UNSUPPORTED
 * so the executor can answer Invalid rather than a misleading syntax error.
 */
#include "cql/cql_int.h"

#include <string.h>

#define PUSH(p, arr, n, cap) ((arr) = cql_grow((p), (arr), (n), &(cap), sizeof *(arr)), &(arr)[(n)++])

static cql_stmt *new_stmt(cql_p *p, cql_stmt_kind k)
{
	cql_stmt *s = hl_arena_zalloc(p->a, sizeof *s);

	s->kind = k;
	return s;
}

static bool if_not_exists(cql_p *p, int *rc)
{
	*rc = 0;
	if (!cql_accept_kw(p, "if"))
		return false;
	if (cql_expect_kw(p, "not") < 0 || cql_expect_kw(p, "exists") < 0)
		*rc = -1;
	return true;
}

static bool if_exists(cql_p *p, int *rc)
{
	*rc = 0;
	if (!cql_accept_kw(p, "if"))
		return false;
	if (cql_expect_kw(p, "exists") < 0)
		*rc = -1;
	return true;
}

/* ------------------------------------------------------------ DML */

/* usingClause: USING (TTL v | TIMESTAMP v) (AND ...)*; DELETE allows only TIMESTAMP. */
static int using_clause(cql_p *p, cql_attrs *at, bool timestamp_only)
{
	if (!cql_accept_kw(p, "using"))
		return 0;
	do {
		if (!timestamp_only && cql_accept_kw(p, "ttl")) {
			if (!(at->ttl = cql_int_value(p)))
				return -1;
		} else if (cql_accept_kw(p, "timestamp")) {
			if (!(at->timestamp = cql_int_value(p)))
				return -1;
		} else {
			return cql_fail(p, NULL);
		}
	} while (!timestamp_only && cql_accept_kw(p, "and"));
	return 0;
}

static int select_clause(cql_p *p, cql_select *s)
{
	if (cql_is_kw(p, 0, "distinct")) {
		/* "distinct" is also a column name: DISTINCT only if selectors follow */
		cql_mark m = cql_mark_get(p);

		cql_next(p);
		if (cql_selectors(p, &s->star, &s->nsel, &s->sel) == 0 && cql_is_kw(p, 0, "from")) {
			s->distinct = true;
			return 0;
		}
		cql_mark_restore(p, m);
	}
	return cql_selectors(p, &s->star, &s->nsel, &s->sel);
}

static cql_stmt *select_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_SELECT);
	cql_select *s = &st->select;

	cql_next(p);    /* SELECT */
	if (cql_is_kw(p, 0, "json")) {
		cql_mark m = cql_mark_get(p);

		cql_next(p);
		if (select_clause(p, s) == 0 && cql_is_kw(p, 0, "from"))
			s->json = true;
		else
			cql_mark_restore(p, m);
	}
	if (!s->json && select_clause(p, s) < 0)
		return NULL;
	if (cql_expect_kw(p, "from") < 0 || cql_qname_parse(p, &s->table, "table") < 0)
		return NULL;
	if (cql_accept_kw(p, "where") && cql_where(p, &s->nwhere, &s->where) < 0)
		return NULL;
	if (cql_accept_kw(p, "group")) {
		int cap = 0;
		if (cql_expect_kw(p, "by") < 0)
			return NULL;
		do {
			cql_sel *g = cql_selector_expr(p);
			if (!g)
				return NULL;
			*PUSH(p, s->group, s->ngroup, cap) = g;
		} while (cql_accept(p, T_COMMA));
	}
	if (cql_accept_kw(p, "order")) {
		int cap = 0;
		if (cql_expect_kw(p, "by") < 0)
			return NULL;
		do {
			cql_order *o = PUSH(p, s->order, s->norder, cap);
			memset(o, 0, sizeof *o);
			if (!(o->col = cql_cident(p)))
				return NULL;
			if (cql_accept_kw(p, "ann")) {
				if (cql_expect_kw(p, "of") < 0 || !(o->ann = cql_term_parse(p)))
					return NULL;
			}
			if (cql_accept_kw(p, "desc"))
				o->desc = true;
			else
				cql_accept_kw(p, "asc");
		} while (cql_accept(p, T_COMMA));
	}
	if (cql_accept_kw(p, "per")) {
		if (cql_expect_kw(p, "partition") < 0 || cql_expect_kw(p, "limit") < 0 ||
		    !(s->per_partition_limit = cql_int_value(p)))
			return NULL;
	}
	if (cql_accept_kw(p, "limit") && !(s->limit = cql_int_value(p)))
		return NULL;
	if (cql_accept_kw(p, "allow")) {
		if (cql_expect_kw(p, "filtering") < 0)
			return NULL;
		s->allow_filtering = true;
	}
	return st;
}

static cql_stmt *insert_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_INSERT);
	cql_insert *s = &st->insert;
	int rc;

	cql_next(p);    /* INSERT */
	if (cql_expect_kw(p, "into") < 0 || cql_qname_parse(p, &s->table, "table") < 0)
		return NULL;
	if (cql_accept_kw(p, "json")) {
		cql_tok *t = cql_peek(p, 0);

		s->json = true;
		if (t->type == T_STRING) {
			s->json_value = hl_arena_zalloc(p->a, sizeof *s->json_value);
			s->json_value->kind = CQL_TERM_LITERAL;
			s->json_value->lit.kind = TY_LIT_STRING;
			s->json_value->lit.text = cql_tok_text(p, t, &s->json_value->lit.len);
			cql_next(p);
		} else if (!(s->json_value = cql_marker(p, false))) {
			return NULL;
		}
		if (cql_accept_kw(p, "default")) {
			if (cql_accept_kw(p, "unset"))
				s->default_unset = true;
			else if (cql_expect_kw(p, "null") < 0)
				return NULL;
		}
	} else {
		int ccap = 0, vcap = 0, nv = 0;

		if (cql_expect(p, T_LPAREN) < 0)
			return NULL;
		do {
			const char *c = cql_cident(p);
			if (!c)
				return NULL;
			*PUSH(p, s->cols, s->ncols, ccap) = c;
		} while (cql_accept(p, T_COMMA));
		if (cql_expect(p, T_RPAREN) < 0 || cql_expect_kw(p, "values") < 0 || cql_expect(p, T_LPAREN) < 0)
			return NULL;
		do {
			cql_term *v = cql_term_parse(p);
			if (!v)
				return NULL;
			*PUSH(p, s->values, nv, vcap) = v;
		} while (cql_accept(p, T_COMMA));
		if (cql_expect(p, T_RPAREN) < 0)
			return NULL;
		if (nv != s->ncols) {
			cql_fail_msg(p, HL_ERR_INVALID, "Unmatched column names/values");
			return NULL;
		}
	}
	if (if_not_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_not_exists = true;
	}
	if (using_clause(p, &s->attrs, false) < 0)
		return NULL;
	return st;
}

/* IF EXISTS | IF conditions, after UPDATE/DELETE's WHERE. */
static int lwt_clause(cql_p *p, bool *ifex, int *n, cql_rel **conds)
{
	if (!cql_accept_kw(p, "if"))
		return 0;
	if (cql_accept_kw(p, "exists")) {
		*ifex = true;
		return 0;
	}
	return cql_conditions(p, n, conds);
}

static bool same_col(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static int assignment(cql_p *p, cql_assign *as)
{
	cql_tok *t;

	memset(as, 0, sizeof *as);
	if (!(as->col = cql_cident(p)))
		return -1;
	t = cql_peek(p, 0);
	switch (t->type) {
	case T_PLUSEQ:
	case T_MINUSEQ:
		as->kind = t->type == T_PLUSEQ ? CQL_ASSIGN_ADD : CQL_ASSIGN_SUB;
		cql_next(p);
		return (as->value = cql_term_parse(p)) ? 0 : -1;
	case T_LBRACKET:
		cql_next(p);
		as->kind = CQL_ASSIGN_ELEMENT;
		if (!(as->key = cql_term_parse(p)) || cql_expect(p, T_RBRACKET) < 0 || cql_expect(p, T_EQ) < 0)
			return -1;
		return (as->value = cql_term_parse(p)) ? 0 : -1;
	case T_DOT:
		cql_next(p);
		as->kind = CQL_ASSIGN_FIELD;
		if (!(as->field = cql_ident(p)) || cql_expect(p, T_EQ) < 0)
			return -1;
		return (as->value = cql_term_parse(p)) ? 0 : -1;
	case T_EQ:
		cql_next(p);
		break;
	default:
		return cql_fail(p, NULL);
	}
	/* c = c + v | c = c - v | c = c -3 (lexed as c INTEGER) */
	if (cql_tok_is_ident(p, 0) || (cql_is(p, 0, T_QNAME))) {
		int ty = cql_peek(p, 1)->type;

		if (ty == T_PLUS || ty == T_MINUS || ty == T_INTEGER) {
			const char *c = cql_cident(p);
			bool neg = false;

			if (!c)
				return -1;
			if (ty == T_INTEGER) {
				cql_tok *it = cql_peek(p, 0);
				neg = p->src[it->start] == '-';
				if (!same_col(c, as->col))
					return cql_fail_msg(p, HL_ERR_SYNTAX,
							    "Only expressions of the form X = X %c <value> are supported.",
							    neg ? '-' : '+');
				/* X = X -3 is an addition of -3, as in Cassandra */
				as->kind = CQL_ASSIGN_ADD;
				as->value = cql_int_value(p);
				return as->value ? 0 : -1;
			}
			if (!same_col(c, as->col))
				return cql_fail_msg(p, HL_ERR_SYNTAX,
						    "Only expressions of the form X = X %c<value> are supported.",
						    ty == T_PLUS ? '+' : '-');
			cql_next(p);
			as->kind = ty == T_PLUS ? CQL_ASSIGN_ADD : CQL_ASSIGN_SUB;
			return (as->value = cql_term_parse(p)) ? 0 : -1;
		}
	}
	if (!(as->value = cql_term_parse(p)))
		return -1;
	as->kind = CQL_ASSIGN_SET;
	if (cql_accept(p, T_PLUS)) {
		const char *c = cql_cident(p);
		if (!c)
			return -1;
		if (!same_col(c, as->col))
			return cql_fail_msg(p, HL_ERR_SYNTAX,
					    "Only expressions of the form X = <value> + X are supported.");
		as->kind = CQL_ASSIGN_PREPEND;
	}
	return 0;
}

static cql_stmt *update_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_UPDATE);
	cql_update *s = &st->update;
	int cap = 0;

	cql_next(p);    /* UPDATE */
	if (cql_qname_parse(p, &s->table, "table") < 0 || using_clause(p, &s->attrs, false) < 0 ||
	    cql_expect_kw(p, "set") < 0)
		return NULL;
	do {
		if (assignment(p, PUSH(p, s->assign, s->nassign, cap)) < 0)
			return NULL;
	} while (cql_accept(p, T_COMMA));
	if (cql_expect_kw(p, "where") < 0 || cql_where(p, &s->nwhere, &s->where) < 0 ||
	    lwt_clause(p, &s->if_exists, &s->nconds, &s->conds) < 0)
		return NULL;
	return st;
}

static cql_stmt *delete_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_DELETE);
	cql_delete *s = &st->del;
	int cap = 0;

	cql_next(p);    /* DELETE */
	if (!cql_is_kw(p, 0, "from")) {
		do {
			cql_deletion *d = PUSH(p, s->del, s->ndel, cap);
			memset(d, 0, sizeof *d);
			if (!(d->col = cql_cident(p)))
				return NULL;
			if (cql_accept(p, T_LBRACKET)) {
				if (!(d->key = cql_term_parse(p)) || cql_expect(p, T_RBRACKET) < 0)
					return NULL;
			} else if (cql_accept(p, T_DOT)) {
				if (!(d->field = cql_ident(p)))
					return NULL;
			}
		} while (cql_accept(p, T_COMMA));
	}
	if (cql_expect_kw(p, "from") < 0 || cql_qname_parse(p, &s->table, "table") < 0 ||
	    using_clause(p, &s->attrs, true) < 0 || cql_expect_kw(p, "where") < 0 ||
	    cql_where(p, &s->nwhere, &s->where) < 0 ||
	    lwt_clause(p, &s->if_exists, &s->nconds, &s->conds) < 0)
		return NULL;
	return st;
}

static cql_stmt *batch_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_BATCH);
	cql_batch *b = &st->batch;
	int cap = 0;

	cql_next(p);    /* BEGIN */
	if (cql_accept_kw(p, "unlogged"))
		b->type = CQL_BATCH_UNLOGGED;
	else if (cql_accept_kw(p, "counter"))
		b->type = CQL_BATCH_COUNTER;
	if (cql_expect_kw(p, "batch") < 0 || using_clause(p, &b->attrs, false) < 0)
		return NULL;
	for (;;) {
		cql_stmt *s;

		if (cql_is_kw(p, 0, "insert"))
			s = insert_stmt(p);
		else if (cql_is_kw(p, 0, "update"))
			s = update_stmt(p);
		else if (cql_is_kw(p, 0, "delete"))
			s = delete_stmt(p);
		else
			break;
		if (!s)
			return NULL;
		*PUSH(p, b->stmts, b->nstmts, cap) = s;
		cql_accept(p, T_SEMI);
	}
	if (cql_expect_kw(p, "apply") < 0 || cql_expect_kw(p, "batch") < 0)
		return NULL;
	return st;
}

/* ------------------------------------------------------------ DDL */

static int clustering_order(cql_p *p, int *n, const char ***cols, bool **desc)
{
	int ccap = 0, dcap = 0;

	if (cql_expect_kw(p, "order") < 0 || cql_expect_kw(p, "by") < 0 || cql_expect(p, T_LPAREN) < 0)
		return -1;
	do {
		const char *c = cql_ident(p);
		bool d;

		if (!c)
			return -1;
		if (cql_accept_kw(p, "desc"))
			d = true;
		else if (cql_accept_kw(p, "asc"))
			d = false;
		else
			return cql_fail(p, NULL);
		*PUSH(p, *desc, *n, dcap) = d;
		(*n)--;
		*PUSH(p, *cols, *n, ccap) = c;
	} while (cql_accept(p, T_COMMA));
	return cql_expect(p, T_RPAREN);
}

/* PRIMARY KEY '(' (k | '(' k, ... ')') (',' c)* ')' after PRIMARY KEY. */
static int primary_key(cql_p *p, int *npk, const char ***pk, int *nck, const char ***ck)
{
	int pcap = 0, ccap = 0;

	if (cql_expect(p, T_LPAREN) < 0)
		return -1;
	if (cql_accept(p, T_LPAREN)) {
		do {
			const char *k = cql_ident(p);
			if (!k)
				return -1;
			*PUSH(p, *pk, *npk, pcap) = k;
		} while (cql_accept(p, T_COMMA));
		if (cql_expect(p, T_RPAREN) < 0)
			return -1;
	} else {
		const char *k = cql_ident(p);
		if (!k)
			return -1;
		*PUSH(p, *pk, *npk, pcap) = k;
	}
	while (cql_accept(p, T_COMMA)) {
		const char *c = cql_ident(p);
		if (!c)
			return -1;
		*PUSH(p, *ck, *nck, ccap) = c;
	}
	return cql_expect(p, T_RPAREN);
}

static cql_stmt *create_table(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_CREATE_TABLE);
	cql_create_table *s = &st->create_table;
	int rc, cap = 0, npkdecl = 0;

	if (if_not_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_not_exists = true;
	}
	if (cql_qname_parse(p, &s->name, "table") < 0 || cql_expect(p, T_LPAREN) < 0)
		return NULL;
	do {
		if (cql_is(p, 0, T_RPAREN) && s->ncols + npkdecl > 0)
			break;  /* trailing comma */
		if (cql_accept_kw(p, "primary")) {
			if (cql_expect_kw(p, "key") < 0 || primary_key(p, &s->npk, &s->pk, &s->nck, &s->ck) < 0)
				return NULL;
			npkdecl++;
		} else {
			cql_coldef *c = PUSH(p, s->cols, s->ncols, cap);
			memset(c, 0, sizeof *c);
			if (!(c->name = cql_ident(p)) || !(c->type = cql_type(p)))
				return NULL;
			if (cql_accept_kw(p, "static"))
				c->is_static = true;
			if (cql_accept_kw(p, "primary")) {
				if (cql_expect_kw(p, "key") < 0)
					return NULL;
				npkdecl++;
				s->npk = 1;
				s->pk = hl_arena_alloc(p->a, sizeof *s->pk);
				s->pk[0] = c->name;
			}
		}
	} while (cql_accept(p, T_COMMA));
	if (cql_expect(p, T_RPAREN) < 0)
		return NULL;
	if (cql_accept_kw(p, "with")) {
		do {
			if (cql_is_kw(p, 0, "compact") && cql_is_kw(p, 1, "storage")) {
				cql_next(p);
				cql_next(p);
				s->compact_storage = true;
			} else if (cql_is_kw(p, 0, "clustering") && cql_is_kw(p, 1, "order")) {
				cql_next(p);
				if (clustering_order(p, &s->norder, &s->order_cols, &s->order_desc) < 0)
					return NULL;
			} else if (cql_property(p, &s->props) < 0) {
				return NULL;
			}
		} while (cql_accept_kw(p, "and"));
	}
	if (npkdecl > 1) {
		cql_fail_msg(p, HL_ERR_INVALID, "Multiple PRIMARY KEYs specified (exactly one required)");
		return NULL;
	}
	if (npkdecl == 0) {
		cql_fail_msg(p, HL_ERR_INVALID, "No PRIMARY KEY specifed for table '%s' (exactly one required)",
			     s->name.name);
		return NULL;
	}
	return st;
}

static cql_stmt *create_view(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_CREATE_VIEW);
	cql_create_view *s = &st->create_view;
	int rc;

	if (if_not_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_not_exists = true;
	}
	if (cql_qname_parse(p, &s->name, "table") < 0 || cql_expect_kw(p, "as") < 0 ||
	    cql_expect_kw(p, "select") < 0 || cql_selectors(p, &s->star, &s->nsel, &s->sel) < 0 ||
	    cql_expect_kw(p, "from") < 0 || cql_qname_parse(p, &s->base, "table") < 0)
		return NULL;
	if (cql_accept_kw(p, "where") && cql_where(p, &s->nwhere, &s->where) < 0)
		return NULL;
	if (cql_expect_kw(p, "primary") < 0 || cql_expect_kw(p, "key") < 0 ||
	    primary_key(p, &s->npk, &s->pk, &s->nck, &s->ck) < 0)
		return NULL;
	if (cql_accept_kw(p, "with")) {
		do {
			if (cql_is_kw(p, 0, "compact") && cql_is_kw(p, 1, "storage")) {
				cql_fail_msg(p, HL_ERR_SYNTAX, "COMPACT STORAGE tables are not allowed starting with version 4.0");
				return NULL;
			} else if (cql_is_kw(p, 0, "clustering") && cql_is_kw(p, 1, "order")) {
				cql_next(p);
				if (clustering_order(p, &s->norder, &s->order_cols, &s->order_desc) < 0)
					return NULL;
			} else if (cql_property(p, &s->props) < 0) {
				return NULL;
			}
		} while (cql_accept_kw(p, "and"));
	}
	return st;
}

static cql_stmt *create_type(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_CREATE_TYPE);
	cql_create_type *s = &st->create_type;
	int rc, cap = 0;

	if (if_not_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_not_exists = true;
	}
	if (cql_user_type_name(p, &s->name) < 0 || cql_expect(p, T_LPAREN) < 0)
		return NULL;
	do {
		cql_coldef *f;

		if (cql_is(p, 0, T_RPAREN) && s->nfields > 0)
			break;  /* trailing comma */
		f = PUSH(p, s->fields, s->nfields, cap);
		memset(f, 0, sizeof *f);
		if (!(f->name = cql_ident(p)) || !(f->type = cql_type(p)))
			return NULL;
	} while (cql_accept(p, T_COMMA));
	return cql_expect(p, T_RPAREN) < 0 ? NULL : st;
}

static cql_stmt *create_index(cql_p *p, bool custom)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_CREATE_INDEX);
	cql_create_index *s = &st->create_index;
	int rc, cap = 0;

	s->custom = custom;
	if (if_not_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_not_exists = true;
	}
	if (!cql_is_kw(p, 0, "on")) {
		if (cql_is(p, 0, T_QMARK)) {
			cql_fail_msg(p, HL_ERR_SYNTAX, "Bind variables cannot be used for index names");
			return NULL;
		}
		if (!(s->name = cql_ident(p)))
			return NULL;
	}
	if (cql_expect_kw(p, "on") < 0 || cql_qname_parse(p, &s->table, "table") < 0 ||
	    cql_expect(p, T_LPAREN) < 0)
		return NULL;
	if (!cql_is(p, 0, T_RPAREN)) {
		do {
			cql_index_target *t = PUSH(p, s->targets, s->ntargets, cap);
			static const struct { const char *kw; cql_index_kind k; } fns[] = {
				{ "keys", CQL_INDEX_KEYS }, { "values", CQL_INDEX_VALUES },
				{ "entries", CQL_INDEX_ENTRIES }, { "full", CQL_INDEX_FULL },
			};
			t->kind = CQL_INDEX_SIMPLE;
			for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
				if (cql_is_kw(p, 0, fns[i].kw) && cql_is(p, 1, T_LPAREN)) {
					t->kind = fns[i].k;
					cql_next(p);
					cql_next(p);
					break;
				}
			}
			if (!(t->col = cql_cident(p)))
				return NULL;
			if (t->kind != CQL_INDEX_SIMPLE && cql_expect(p, T_RPAREN) < 0)
				return NULL;
		} while (cql_accept(p, T_COMMA));
	}
	if (cql_expect(p, T_RPAREN) < 0)
		return NULL;
	if (cql_accept_kw(p, "using")) {
		cql_tok *t = cql_peek(p, 0);
		if (t->type != T_STRING) {
			cql_fail(p, "STRING_LITERAL");
			return NULL;
		}
		s->using_class = cql_tok_text(p, t, NULL);
		cql_next(p);
	}
	if (cql_accept_kw(p, "with") && cql_properties(p, &s->props) < 0)
		return NULL;
	return st;
}

/* Everything to the end of the statement is accepted unparsed. */
static cql_stmt *unsupported(cql_p *p, const char *what)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_UNSUPPORTED);

	st->unsupported = what;
	while (!cql_is(p, 0, T_EOF)) {
		if (cql_is(p, 0, T_ERROR)) {
			cql_fail(p, NULL);
			return NULL;
		}
		cql_next(p);
	}
	return st;
}

static cql_stmt *keyspace_stmt(cql_p *p, cql_stmt_kind kind)
{
	cql_stmt *st = new_stmt(p, kind);
	cql_keyspace_stmt *s = &st->keyspace;
	int rc;

	if (kind == CQL_STMT_CREATE_KEYSPACE ? if_not_exists(p, &rc) : if_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		if (kind == CQL_STMT_CREATE_KEYSPACE)
			s->if_not_exists = true;
		else
			s->if_exists = true;
	}
	if (cql_ks_name(p, &s->name) < 0 || cql_expect_kw(p, "with") < 0 || cql_properties(p, &s->props) < 0)
		return NULL;
	return st;
}

static cql_stmt *create_stmt(cql_p *p)
{
	cql_next(p);    /* CREATE */
	if (cql_accept_kw(p, "keyspace") || cql_accept_kw(p, "schema"))
		return keyspace_stmt(p, CQL_STMT_CREATE_KEYSPACE);
	if (cql_accept_kw(p, "table") || cql_accept_kw(p, "columnfamily"))
		return create_table(p);
	if (cql_accept_kw(p, "index"))
		return create_index(p, false);
	if (cql_is_kw(p, 0, "custom") && cql_is_kw(p, 1, "index")) {
		cql_next(p);
		cql_next(p);
		return create_index(p, true);
	}
	if (cql_accept_kw(p, "type"))
		return create_type(p);
	if (cql_is_kw(p, 0, "materialized") && cql_is_kw(p, 1, "view")) {
		cql_next(p);
		cql_next(p);
		return create_view(p);
	}
	if (cql_is_kw(p, 0, "or") && cql_is_kw(p, 1, "replace")) {
		cql_next(p);
		cql_next(p);
	}
	if (cql_is_kw(p, 0, "function"))
		return unsupported(p, "CREATE FUNCTION");
	if (cql_is_kw(p, 0, "aggregate"))
		return unsupported(p, "CREATE AGGREGATE");
	if (cql_is_kw(p, 0, "trigger"))
		return unsupported(p, "CREATE TRIGGER");
	if (cql_is_kw(p, 0, "role"))
		return unsupported(p, "CREATE ROLE");
	if (cql_is_kw(p, 0, "user"))
		return unsupported(p, "CREATE USER");
	cql_fail(p, NULL);
	return NULL;
}

static cql_stmt *alter_table(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_ALTER_TABLE);
	cql_alter_table *s = &st->alter_table;
	int rc, cap = 0;

	if (if_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_exists = true;
	}
	if (cql_qname_parse(p, &s->name, "table") < 0)
		return NULL;
	if (cql_accept_kw(p, "alter")) {
		cql_coldef *c;

		if (cql_is_kw(p, 0, "if") || !cql_is_kw(p, 1, "type")) {
			/* ALTER [IF EXISTS] c MASKED WITH ... / DROP MASKED: not supported */
			s->op = CQL_ALTER_OTHER;
			return unsupported(p, "ALTER TABLE ... ALTER") ? st : NULL;
		}
		s->op = CQL_ALTER_TYPE;
		c = PUSH(p, s->cols, s->ncols, cap);
		memset(c, 0, sizeof *c);
		if (!(c->name = cql_cident(p)) || cql_expect_kw(p, "type") < 0 || !(c->type = cql_type(p)))
			return NULL;
	} else if (cql_accept_kw(p, "add")) {
		bool paren;

		s->op = CQL_ALTER_ADD;
		if (if_not_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			s->col_if = true;
		}
		paren = cql_accept(p, T_LPAREN);
		do {
			cql_coldef *c = PUSH(p, s->cols, s->ncols, cap);
			memset(c, 0, sizeof *c);
			if (!(c->name = cql_ident(p)) || !(c->type = cql_type(p)))
				return NULL;
			c->is_static = cql_accept_kw(p, "static");
		} while (paren && cql_accept(p, T_COMMA));
		if (paren && cql_expect(p, T_RPAREN) < 0)
			return NULL;
	} else if (cql_accept_kw(p, "drop")) {
		bool paren;

		if (cql_is_kw(p, 0, "compact") && cql_is_kw(p, 1, "storage")) {
			cql_next(p);
			cql_next(p);
			s->op = CQL_ALTER_DROP_COMPACT;
			return st;
		}
		s->op = CQL_ALTER_DROP;
		if (if_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			s->col_if = true;
		}
		paren = cql_accept(p, T_LPAREN);
		do {
			cql_coldef *c = PUSH(p, s->cols, s->ncols, cap);
			memset(c, 0, sizeof *c);
			if (!(c->name = cql_ident(p)))
				return NULL;
		} while (paren && cql_accept(p, T_COMMA));
		if (paren && cql_expect(p, T_RPAREN) < 0)
			return NULL;
		if (cql_accept_kw(p, "using")) {
			cql_tok *t;
			if (cql_expect_kw(p, "timestamp") < 0)
				return NULL;
			t = cql_peek(p, 0);
			if (t->type != T_INTEGER) {
				cql_fail(p, "INTEGER");
				return NULL;
			}
			s->drop_timestamp = cql_int_value(p);
		}
	} else if (cql_accept_kw(p, "rename")) {
		int fcap = 0, tcap = 0;

		s->op = CQL_ALTER_RENAME;
		if (if_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			s->col_if = true;
		}
		do {
			const char *a, *b;
			if (!(a = cql_ident(p)) || cql_expect_kw(p, "to") < 0 || !(b = cql_ident(p)))
				return NULL;
			*PUSH(p, s->from, s->nrenames, fcap) = a;
			s->nrenames--;
			*PUSH(p, s->to, s->nrenames, tcap) = b;
		} while (cql_accept_kw(p, "and"));
	} else if (cql_accept_kw(p, "with")) {
		s->op = CQL_ALTER_WITH;
		if (cql_properties(p, &s->props) < 0)
			return NULL;
	} else {
		cql_fail(p, NULL);
		return NULL;
	}
	return st;
}

static cql_stmt *alter_type(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_ALTER_TYPE);
	cql_alter_type *s = &st->alter_type;
	int rc;

	if (if_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		s->if_exists = true;
	}
	if (cql_user_type_name(p, &s->name) < 0)
		return NULL;
	if (cql_accept_kw(p, "alter")) {
		s->op = CQL_ALTER_TYPE_ALTER;
		if (!(s->field.name = cql_ident(p)) || cql_expect_kw(p, "type") < 0 || !(s->field.type = cql_type(p)))
			return NULL;
	} else if (cql_accept_kw(p, "add")) {
		s->op = CQL_ALTER_TYPE_ADD;
		if (if_not_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			s->field_if = true;
		}
		if (!(s->field.name = cql_ident(p)) || !(s->field.type = cql_type(p)))
			return NULL;
	} else if (cql_accept_kw(p, "rename")) {
		int fcap = 0, tcap = 0;

		s->op = CQL_ALTER_TYPE_RENAME;
		if (if_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			s->field_if = true;
		}
		do {
			const char *a, *b;
			if (!(a = cql_ident(p)) || cql_expect_kw(p, "to") < 0 || !(b = cql_ident(p)))
				return NULL;
			*PUSH(p, s->from, s->nrenames, fcap) = a;
			s->nrenames--;
			*PUSH(p, s->to, s->nrenames, tcap) = b;
		} while (cql_accept_kw(p, "and"));
	} else {
		cql_fail(p, NULL);
		return NULL;
	}
	return st;
}

static cql_stmt *alter_stmt(cql_p *p)
{
	cql_next(p);    /* ALTER */
	if (cql_accept_kw(p, "keyspace") || cql_accept_kw(p, "schema"))
		return keyspace_stmt(p, CQL_STMT_ALTER_KEYSPACE);
	if (cql_accept_kw(p, "table") || cql_accept_kw(p, "columnfamily"))
		return alter_table(p);
	if (cql_accept_kw(p, "type"))
		return alter_type(p);
	if (cql_is_kw(p, 0, "materialized") && cql_is_kw(p, 1, "view")) {
		cql_stmt *st = new_stmt(p, CQL_STMT_ALTER_VIEW);
		int rc;

		cql_next(p);
		cql_next(p);
		if (if_exists(p, &rc)) {
			if (rc < 0)
				return NULL;
			st->drop.if_exists = true;
		}
		if (cql_qname_parse(p, &st->drop.name, "table") < 0 || cql_expect_kw(p, "with") < 0 ||
		    cql_properties(p, &st->drop.props) < 0)
			return NULL;
		return st;
	}
	if (cql_is_kw(p, 0, "role"))
		return unsupported(p, "ALTER ROLE");
	if (cql_is_kw(p, 0, "user"))
		return unsupported(p, "ALTER USER");
	cql_fail(p, NULL);
	return NULL;
}

static cql_stmt *drop_stmt(cql_p *p)
{
	cql_stmt *st;
	cql_stmt_kind kind;
	int rc;

	cql_next(p);    /* DROP */
	if (cql_accept_kw(p, "keyspace") || cql_accept_kw(p, "schema")) {
		kind = CQL_STMT_DROP_KEYSPACE;
	} else if (cql_accept_kw(p, "table") || cql_accept_kw(p, "columnfamily")) {
		kind = CQL_STMT_DROP_TABLE;
	} else if (cql_accept_kw(p, "type")) {
		kind = CQL_STMT_DROP_TYPE;
	} else if (cql_accept_kw(p, "index")) {
		kind = CQL_STMT_DROP_INDEX;
	} else if (cql_is_kw(p, 0, "materialized") && cql_is_kw(p, 1, "view")) {
		cql_next(p);
		cql_next(p);
		kind = CQL_STMT_DROP_VIEW;
	} else if (cql_accept_kw(p, "function")) {
		kind = CQL_STMT_DROP_FUNCTION;
	} else if (cql_accept_kw(p, "aggregate")) {
		kind = CQL_STMT_DROP_AGGREGATE;
	} else if (cql_is_kw(p, 0, "trigger")) {
		return unsupported(p, "DROP TRIGGER");
	} else if (cql_is_kw(p, 0, "role")) {
		return unsupported(p, "DROP ROLE");
	} else if (cql_is_kw(p, 0, "user")) {
		return unsupported(p, "DROP USER");
	} else if (cql_is_kw(p, 0, "identity")) {
		return unsupported(p, "DROP IDENTITY");
	} else {
		cql_fail(p, NULL);
		return NULL;
	}
	st = new_stmt(p, kind);
	if (if_exists(p, &rc)) {
		if (rc < 0)
			return NULL;
		st->drop.if_exists = true;
	}
	switch (kind) {
	case CQL_STMT_DROP_KEYSPACE:
		rc = cql_ks_name(p, &st->drop.name.name);
		break;
	case CQL_STMT_DROP_TYPE:
		rc = cql_user_type_name(p, &st->drop.name);
		break;
	case CQL_STMT_DROP_FUNCTION:
	case CQL_STMT_DROP_AGGREGATE:
		rc = cql_qname_parse(p, &st->drop.name, "function");
		/* optional argument types select an overload; recorded nowhere yet */
		if (rc == 0 && cql_accept(p, T_LPAREN) && !cql_accept(p, T_RPAREN)) {
			do {
				if (!cql_type(p))
					return NULL;
			} while (cql_accept(p, T_COMMA));
			rc = cql_expect(p, T_RPAREN);
		}
		break;
	default:
		rc = cql_qname_parse(p, &st->drop.name, kind == CQL_STMT_DROP_INDEX ? "index" : "table");
		break;
	}
	return rc < 0 ? NULL : st;
}

/* ------------------------------------------------------------ DESCRIBE */

static cql_stmt *describe_stmt(cql_p *p)
{
	cql_stmt *st = new_stmt(p, CQL_STMT_DESCRIBE);
	cql_describe *d = &st->describe;
	int rc = 0;

	cql_next(p);    /* DESCRIBE | DESC */
#define ALONE(k) (cql_is(p, k, T_EOF) || cql_is(p, k, T_SEMI) || cql_is_kw(p, k, "with"))
	if (cql_is_kw(p, 0, "cluster") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_CLUSTER;
	} else if (cql_accept_kw(p, "full")) {
		d->what = CQL_DESC_SCHEMA;
		d->full = true;
		rc = cql_expect_kw(p, "schema");
	} else if (cql_accept_kw(p, "schema")) {
		d->what = CQL_DESC_SCHEMA;
	} else if (cql_is_kw(p, 0, "keyspaces") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_KEYSPACES;
	} else if (cql_is_kw(p, 0, "keyspace") || (cql_is_kw(p, 0, "only") && cql_is_kw(p, 1, "keyspace"))) {
		d->only = cql_accept_kw(p, "only");
		cql_next(p);
		d->what = CQL_DESC_KEYSPACE;
		if (!ALONE(0))
			rc = cql_ks_name(p, &d->name.name);
	} else if (cql_is_kw(p, 0, "tables") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_TABLES;
	} else if (cql_accept_kw(p, "table") || cql_accept_kw(p, "columnfamily")) {
		d->what = CQL_DESC_TABLE;
		rc = cql_qname_parse(p, &d->name, "table");
	} else if (cql_accept_kw(p, "index")) {
		d->what = CQL_DESC_INDEX;
		rc = cql_qname_parse(p, &d->name, "index");
	} else if (cql_accept_kw(p, "materialized")) {
		d->what = CQL_DESC_VIEW;
		rc = cql_expect_kw(p, "view");
		if (rc == 0)
			rc = cql_qname_parse(p, &d->name, "table");
	} else if (cql_is_kw(p, 0, "types") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_TYPES;
	} else if (cql_is_kw(p, 0, "type") && !ALONE(1) && !cql_is(p, 1, T_DOT)) {
		cql_next(p);
		d->what = CQL_DESC_TYPE;
		rc = cql_user_type_name(p, &d->name);
	} else if (cql_is_kw(p, 0, "functions") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_FUNCTIONS;
	} else if (cql_is_kw(p, 0, "function") && !ALONE(1) && !cql_is(p, 1, T_DOT)) {
		cql_next(p);
		d->what = CQL_DESC_FUNCTION;
		rc = cql_qname_parse(p, &d->name, "function");
	} else if (cql_is_kw(p, 0, "aggregates") && ALONE(1)) {
		cql_next(p);
		d->what = CQL_DESC_AGGREGATES;
	} else if (cql_is_kw(p, 0, "aggregate") && !ALONE(1) && !cql_is(p, 1, T_DOT)) {
		cql_next(p);
		d->what = CQL_DESC_AGGREGATE;
		rc = cql_qname_parse(p, &d->name, "function");
	} else {
		d->what = CQL_DESC_GENERIC;
		rc = cql_qname_parse(p, &d->name, "table");
	}
#undef ALONE
	if (rc < 0)
		return NULL;
	if (cql_accept_kw(p, "with")) {
		if (cql_expect_kw(p, "internals") < 0)
			return NULL;
		d->internals = true;
	}
	return st;
}

/* ------------------------------------------------------------ entry */

static cql_stmt *statement(cql_p *p)
{
	cql_stmt *st;

	if (cql_is_kw(p, 0, "select"))
		return select_stmt(p);
	if (cql_is_kw(p, 0, "insert"))
		return insert_stmt(p);
	if (cql_is_kw(p, 0, "update"))
		return update_stmt(p);
	if (cql_is_kw(p, 0, "delete"))
		return delete_stmt(p);
	if (cql_is_kw(p, 0, "begin"))
		return batch_stmt(p);
	if (cql_accept_kw(p, "use")) {
		st = new_stmt(p, CQL_STMT_USE);
		return cql_ks_name(p, &st->use.name.name) < 0 ? NULL : st;
	}
	if (cql_accept_kw(p, "truncate")) {
		st = new_stmt(p, CQL_STMT_TRUNCATE);
		if (!cql_accept_kw(p, "table"))
			cql_accept_kw(p, "columnfamily");
		return cql_qname_parse(p, &st->truncate.name, "table") < 0 ? NULL : st;
	}
	if (cql_is_kw(p, 0, "create"))
		return create_stmt(p);
	if (cql_is_kw(p, 0, "alter"))
		return alter_stmt(p);
	if (cql_is_kw(p, 0, "drop"))
		return drop_stmt(p);
	if (cql_is_kw(p, 0, "describe") || cql_is_kw(p, 0, "desc"))
		return describe_stmt(p);
	if (cql_is_kw(p, 0, "grant"))
		return unsupported(p, "GRANT");
	if (cql_is_kw(p, 0, "revoke"))
		return unsupported(p, "REVOKE");
	if (cql_is_kw(p, 0, "list"))
		return unsupported(p, "LIST");
	if (cql_is_kw(p, 0, "add") && cql_is_kw(p, 1, "identity"))
		return unsupported(p, "ADD IDENTITY");
	cql_fail(p, NULL);
	return NULL;
}

int cql_parse(const char *text, size_t len, hl_arena *a, cql_stmt **out, hl_err *err)
{
	cql_p p;
	cql_stmt *st;

	memset(&p, 0, sizeof p);
	p.a = a;
	p.err = err;
	/* generous for any real statement; a hard stop for pathological ones */
	p.work_max = 32 * (uint64_t)len + 4096;
	cql_lex_init(&p, text ? text : "", text ? len : 0);
	*out = NULL;
	if (cql_is(&p, 0, T_EOF))
		return hl_errf(err, HL_ERR_SYNTAX, "line 0:-1 no viable alternative at input '<EOF>'");
	st = statement(&p);
	if (!st) {
		if (!p.failed)
			cql_fail(&p, NULL);
		return -1;
	}
	while (cql_accept(&p, T_SEMI))
		;
	if (!cql_is(&p, 0, T_EOF)) {
		cql_fail(&p, cql_is(&p, 0, T_ERROR) ? NULL : "EOF");
		return -1;
	}
	st->nbind = p.nbind;
	st->bind_names = p.bind_names;
	*out = st;
	return 0;
}

const char *cql_op_str(cql_op op)
{
	switch (op) {
	case CQL_OP_EQ: return "=";
	case CQL_OP_LT: return "<";
	case CQL_OP_LTE: return "<=";
	case CQL_OP_GT: return ">";
	case CQL_OP_GTE: return ">=";
	case CQL_OP_NEQ: return "!=";
	case CQL_OP_IN: return "IN";
	case CQL_OP_CONTAINS: return "CONTAINS";
	case CQL_OP_CONTAINS_KEY: return "CONTAINS KEY";
	case CQL_OP_LIKE: return "LIKE";
	case CQL_OP_IS_NOT_NULL: return "IS NOT";
	case CQL_OP_BETWEEN: return "BETWEEN";
	}
	return "?";
}

const char *cql_stmt_kind_str(cql_stmt_kind k)
{
	static const char *const names[] = {
		[CQL_STMT_USE] = "USE",
		[CQL_STMT_SELECT] = "SELECT",
		[CQL_STMT_INSERT] = "INSERT",
		[CQL_STMT_UPDATE] = "UPDATE",
		[CQL_STMT_DELETE] = "DELETE",
		[CQL_STMT_BATCH] = "BATCH",
		[CQL_STMT_TRUNCATE] = "TRUNCATE",
		[CQL_STMT_CREATE_KEYSPACE] = "CREATE KEYSPACE",
		[CQL_STMT_ALTER_KEYSPACE] = "ALTER KEYSPACE",
		[CQL_STMT_DROP_KEYSPACE] = "DROP KEYSPACE",
		[CQL_STMT_CREATE_TABLE] = "CREATE TABLE",
		[CQL_STMT_ALTER_TABLE] = "ALTER TABLE",
		[CQL_STMT_DROP_TABLE] = "DROP TABLE",
		[CQL_STMT_CREATE_TYPE] = "CREATE TYPE",
		[CQL_STMT_ALTER_TYPE] = "ALTER TYPE",
		[CQL_STMT_DROP_TYPE] = "DROP TYPE",
		[CQL_STMT_CREATE_INDEX] = "CREATE INDEX",
		[CQL_STMT_DROP_INDEX] = "DROP INDEX",
		[CQL_STMT_CREATE_VIEW] = "CREATE MATERIALIZED VIEW",
		[CQL_STMT_ALTER_VIEW] = "ALTER MATERIALIZED VIEW",
		[CQL_STMT_DROP_VIEW] = "DROP MATERIALIZED VIEW",
		[CQL_STMT_DROP_FUNCTION] = "DROP FUNCTION",
		[CQL_STMT_DROP_AGGREGATE] = "DROP AGGREGATE",
		[CQL_STMT_DESCRIBE] = "DESCRIBE",
		[CQL_STMT_UNSUPPORTED] = "UNSUPPORTED",
	};

	if ((unsigned)k < sizeof names / sizeof names[0] && names[k])
		return names[k];
	return "?";
}
