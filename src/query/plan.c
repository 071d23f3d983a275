/*
 * Statement preparation: resolves a parsed statement against a schema
 * snapshot into a plan (q_plan): the table, the selection, restrictions
 * classified as Cassandra's StatementRestrictions does (partition key,
 * token, clustering slices, filtering), bind variable metadata with the
 * names and types drivers need, and the result metadata.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/q_int.h"

#define FILTERING_MSG "Cannot execute this query as it might involve data filtering and thus may " \
	"have unpredictable performance. If you want to execute this query despite the " \
	"performance unpredictability, use ALLOW FILTERING"

typedef struct planner {
	qry_exec *x;
	hl_arena *a;
	q_plan *p;
	hl_err *err;
} planner;

static int perr(planner *pl, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(planner *pl, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pl->err->code = code;
	vsnprintf(pl->err->msg, sizeof pl->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *q_ks_of(qry_exec *x, const cql_qname *n)
{
	return n->ks ? n->ks : x->keyspace;
}

static int resolve_table(planner *pl, const cql_qname *n, const sch_table **out)
{
	const char *ks = q_ks_of(pl->x, n);
	if (!ks)
		return perr(pl, HL_ERR_INVALID, "No keyspace has been specified. USE a keyspace, or "
			    "explicitly specify keyspace.tablename");
	const sch_schema *s = q_schema(pl->x);
	if (!sch_find_keyspace(s, ks))
		return perr(pl, HL_ERR_INVALID, "keyspace %s does not exist", ks);
	const sch_table *t = sch_find_table(s, ks, n->name);
	if (!t)
		return perr(pl, HL_ERR_INVALID, "table %s does not exist", n->name);
	*out = t;
	pl->p->ks = t->ks;
	pl->p->table = t;
	pl->p->is_virtual = sch_is_system_keyspace(t->ks);
	return 0;
}

static const sch_column *find_col(planner *pl, const char *name)
{
	const sch_table *t = pl->p->table;
	const sch_column *c = sch_find_column(t, name);
	if (!c)
		perr(pl, HL_ERR_INVALID, "Undefined column name %s in table %s.%s", name, t->ks,
		     t->name);
	return c;
}

/* ------------------------------------------------------------ bind specs */

static void set_spec(planner *pl, int idx, const char *name, const ty_type *type)
{
	qry_metadata *m = &pl->p->bind;
	if (idx < 0 || idx >= m->ncols)
		return;
	qry_colspec *cs = &m->cols[idx];
	cs->ks = pl->p->ks ? pl->p->ks : "";
	cs->table = pl->p->table ? pl->p->table->name : "";
	cs->name = name;
	cs->type = type;
}

/* Give every bind marker inside t a name and type (the receiver's). */
static void spec_term(planner *pl, const cql_term *t, const char *name, const ty_type *type)
{
	if (!t)
		return;
	switch (t->kind) {
	case CQL_TERM_BIND:
		set_spec(pl, t->bind_index, t->bind_name ? t->bind_name : name,
			 t->in_marker ? ty_list(pl->a, type, false) : type);
		break;
	case CQL_TERM_TUPLE:
		for (int i = 0; i < t->n; i++)
			spec_term(pl, t->items[i], name,
				  type && type->kind == TY_TUPLE && i < type->nsub ? type->sub[i] : NULL);
		break;
	case CQL_TERM_LIST:
	case CQL_TERM_SET:
		for (int i = 0; i < t->n; i++)
			spec_term(pl, t->items[i], name, type && type->nsub ? type->sub[0] : NULL);
		break;
	case CQL_TERM_MAP:
		for (int i = 0; i < t->n; i++) {
			spec_term(pl, t->keys[i], name, type && type->nsub == 2 ? type->sub[0] : NULL);
			spec_term(pl, t->items[i], name, type && type->nsub == 2 ? type->sub[1] : NULL);
		}
		break;
	case CQL_TERM_BINOP:
		/* operands take the receiver's type; a temporal's right side is a duration */
		spec_term(pl, t->left, name, type);
		spec_term(pl, t->right, name, type && (type->kind == TY_TIMESTAMP || type->kind == TY_DATE)
			  ? ty_simple(TY_DURATION) : type);
		break;
	case CQL_TERM_NEG:
		spec_term(pl, t->left, name, type);
		break;
	default:
		break;
	}
}

static const ty_type *tuple_of(planner *pl, int n, const sch_column **cols)
{
	const ty_type **sub = hl_arena_alloc(pl->a, sizeof(*sub) * (size_t)n);
	for (int i = 0; i < n; i++)
		sub[i] = cols[i]->type;
	return ty_tuple(pl->a, n, sub);
}

static char *tuple_name(planner *pl, int n, const sch_column **cols)
{
	hl_buf b;
	hl_buf_init(&b);
	hl_buf_u8(&b, '(');
	for (int i = 0; i < n; i++) {
		if (i)
			hl_buf_u8(&b, ',');
		hl_buf_str(&b, cols[i]->name);
	}
	hl_buf_u8(&b, ')');
	char *s = hl_arena_strndup(pl->a, (const char *)b.p, b.len);
	hl_buf_free(&b);
	return s;
}

static void spec_restr(planner *pl, q_restr *r)
{
	const ty_type *type = r->ncols == 1 ? r->cols[0]->type : tuple_of(pl, r->ncols, r->cols);
	const char *name = r->ncols == 1 ? r->cols[0]->name : tuple_name(pl, r->ncols, r->cols);
	if (r->op == CQL_OP_IN && r->value && r->value->kind == CQL_TERM_BIND) {
		set_spec(pl, r->value->bind_index,
			 r->value->bind_name ? r->value->bind_name
					     : hl_arena_printf(pl->a, "in(%s)", name),
			 ty_list(pl->a, type, false));
		return;
	}
	if (r->op == CQL_OP_CONTAINS && type && type->nsub)
		type = type->kind == TY_MAP ? type->sub[1] : type->sub[0];
	else if (r->op == CQL_OP_CONTAINS_KEY && type && type->nsub)
		type = type->sub[0];
	spec_term(pl, r->value, name, type);
	for (int i = 0; i < r->nvalues; i++)
		spec_term(pl, r->values[i], name, type);
}

static int check_binds(planner *pl)
{
	qry_metadata *m = &pl->p->bind;
	for (int i = 0; i < m->ncols; i++)
		if (!m->cols[i].type)
			return perr(pl, HL_ERR_INVALID, "Cannot infer the type of bind marker %d", i);
	return 0;
}

/* pk_indexes: the marker feeding each partition key column, when all are '='. */
static void pk_indexes(planner *pl, q_restr **pk, cql_term **direct)
{
	const sch_table *t = pl->p->table;
	qry_metadata *m = &pl->p->bind;
	m->npk = 0;
	if (t->npk > 16)
		return;
	for (int i = 0; i < t->npk; i++) {
		const cql_term *v = direct ? direct[i] : (pk && pk[i] && pk[i]->op == CQL_OP_EQ ? pk[i]->value : NULL);
		if (!v || v->kind != CQL_TERM_BIND)
			return;
		m->pk_index[i] = (uint16_t)v->bind_index;
	}
	m->npk = t->npk;
}

/* ------------------------------------------------------------ relations */

static q_restr *mk_restr(planner *pl, const cql_rel *rel, int ncols, const sch_column **cols)
{
	q_restr *r = hl_arena_zalloc(pl->a, sizeof *r);
	r->op = rel->op;
	r->ncols = ncols;
	r->cols = cols;
	r->value = rel->value;
	r->nvalues = rel->nvalues;
	r->values = rel->values;
	return r;
}

static bool is_slice(cql_op op)
{
	return op == CQL_OP_LT || op == CQL_OP_LTE || op == CQL_OP_GT || op == CQL_OP_GTE;
}

/*
 * Classify WHERE relations. pk[] gets EQ/IN per partition key column;
 * ck_by_pos[] the clustering restrictions by first column (up to two slices
 * of one column are kept as separate entries); the rest becomes filter.
 */
typedef struct rels {
	q_restr **pk;
	int nck;
	q_restr **ck;                  /* clustering restrictions in WHERE order */
	int nfilter;
	q_restr **filter;
	q_restr *tok[2];
	int ntok;
	bool pk_partial;               /* pk column restricted but not all / not EQ-IN */
	bool has_ck;
	const sch_column *left_col;    /* first clustering column not usable as a slice */
	const sch_column *left_prev;
	bool left_after_slice;
} rels;

static int classify(planner *pl, int nwhere, const cql_rel *where, bool for_select, rels *out)
{
	const sch_table *t = pl->p->table;
	memset(out, 0, sizeof *out);
	out->pk = hl_arena_zalloc(pl->a, sizeof(q_restr *) * (size_t)(t->npk + 1));
	out->ck = hl_arena_zalloc(pl->a, sizeof(q_restr *) * (size_t)(nwhere + 1));
	out->filter = hl_arena_zalloc(pl->a, sizeof(q_restr *) * (size_t)(nwhere + 1));
	for (int i = 0; i < nwhere; i++) {
		const cql_rel *rel = &where[i];
		if (rel->op == CQL_OP_NEQ)
			return perr(pl, HL_ERR_INVALID, "Unsupported \"!=\" relation: %s != ...",
				    rel->ncols ? rel->cols[0] : "?");
		if (rel->op == CQL_OP_IS_NOT_NULL)
			return perr(pl, HL_ERR_INVALID,
				    "Unsupported restriction: %s IS NOT NULL", rel->cols[0]);
		if (rel->kind == CQL_REL_TOKEN) {
			if (rel->ncols != t->npk)
				return perr(pl, HL_ERR_INVALID, "The token() function must be applied to all "
					    "partition key components or none of them");
			const sch_column **cols = hl_arena_alloc(pl->a, sizeof(*cols) * (size_t)rel->ncols);
			for (int j = 0; j < rel->ncols; j++) {
				const sch_column *c = find_col(pl, rel->cols[j]);
				if (!c)
					return -1;
				if (c->kind != SCH_PARTITION_KEY || c->position != j)
					return perr(pl, HL_ERR_INVALID, "The token function arguments must be "
						    "in the partition key order: %s", rel->cols[0]);
				cols[j] = c;
			}
			if (!(is_slice(rel->op) || rel->op == CQL_OP_EQ))
				return perr(pl, HL_ERR_INVALID, "%s cannot be used for token relations",
					    cql_op_str(rel->op));
			if (out->ntok >= 2)
				return perr(pl, HL_ERR_INVALID, "More than one restriction was found for the "
					    "start bound on token");
			q_restr *r = mk_restr(pl, rel, rel->ncols, cols);
			spec_term(pl, rel->value, "partition key token", ty_simple(TY_BIGINT));
			out->tok[out->ntok++] = r;
			continue;
		}
		if (rel->kind == CQL_REL_MULTI) {
			const sch_column **cols = hl_arena_alloc(pl->a, sizeof(*cols) * (size_t)rel->ncols);
			for (int j = 0; j < rel->ncols; j++) {
				const sch_column *c = find_col(pl, rel->cols[j]);
				if (!c)
					return -1;
				if (c->kind != SCH_CLUSTERING)
					return perr(pl, HL_ERR_INVALID, "Multi-column relations can only be "
						    "applied to clustering columns but was applied to: %s",
						    c->name);
				if (j > 0 && c->position != cols[j - 1]->position + 1)
					return perr(pl, HL_ERR_INVALID, "Clustering columns must appear in the "
						    "PRIMARY KEY order in multi-column relations: %s",
						    c->name);
				cols[j] = c;
			}
			q_restr *r = mk_restr(pl, rel, rel->ncols, cols);
			spec_restr(pl, r);
			out->ck[out->nck++] = r;
			out->has_ck = true;
			continue;
		}
		if (rel->kind != CQL_REL_SINGLE && !(rel->kind == CQL_REL_ELEMENT && for_select))
			return perr(pl, HL_ERR_INVALID, "Unsupported restriction on %s",
				    rel->ncols ? rel->cols[0] : "?");
		const sch_column *c = find_col(pl, rel->cols[0]);
		if (!c)
			return -1;
		const sch_column **cols = hl_arena_alloc(pl->a, sizeof(*cols));
		cols[0] = c;
		q_restr *r = mk_restr(pl, rel, 1, cols);
		if (rel->kind == CQL_REL_ELEMENT && for_select) {
			/* m[key] = value: a map entry, checked row by row */
			const ty_type *mt = c->type;
			if (mt->kind == TY_LIST)
				return perr(pl, HL_ERR_INVALID, "Indexes on list entries (%s[index] = value) are "
					    "not currently supported.", c->name);
			if (mt->kind != TY_MAP)
				return perr(pl, HL_ERR_INVALID, "Column %s cannot be used as a map", c->name);
			if (mt->frozen)
				return perr(pl, HL_ERR_INVALID, "Map-entry equality predicates on frozen map "
					    "column %s are not supported", c->name);
			if (rel->op != CQL_OP_EQ)
				return perr(pl, HL_ERR_INVALID, "Only EQ relations are supported on map entries");
			r->key = rel->key;
			spec_term(pl, rel->key, hl_arena_printf(pl->a, "key(%s)", c->name), mt->sub[0]);
			spec_term(pl, rel->value, hl_arena_printf(pl->a, "value(%s)", c->name), mt->sub[1]);
			out->filter[out->nfilter++] = r;
			continue;
		}
		spec_restr(pl, r);
		if (rel->op == CQL_OP_LIKE || rel->op == CQL_OP_BETWEEN)
			return perr(pl, HL_ERR_INVALID, "%s restriction is only supported on properly "
				    "indexed columns", cql_op_str(rel->op));
		if (c->kind == SCH_PARTITION_KEY) {
			if (rel->op == CQL_OP_EQ || rel->op == CQL_OP_IN) {
				if (out->pk[c->position])
					return perr(pl, HL_ERR_INVALID, "%s cannot be restricted by more than "
						    "one relation if it includes an Equal", c->name);
				out->pk[c->position] = r;
			} else if (for_select && is_slice(rel->op)) {
				return perr(pl, HL_ERR_INVALID, "Only EQ and IN relation are supported on the "
					    "partition key (unless you use the token() function or allow "
					    "filtering)");
			} else {
				return perr(pl, HL_ERR_INVALID, "Unsupported restriction on partition key %s",
					    c->name);
			}
		} else if (c->kind == SCH_CLUSTERING) {
			if (rel->op == CQL_OP_CONTAINS || rel->op == CQL_OP_CONTAINS_KEY)
				out->filter[out->nfilter++] = r;
			else {
				out->ck[out->nck++] = r;
				out->has_ck = true;
			}
		} else {
			if (!for_select)
				return perr(pl, HL_ERR_INVALID, "Non PRIMARY KEY columns found in where "
					    "clause: %s ", c->name);
			out->filter[out->nfilter++] = r;
		}
	}
	int npk = 0;
	for (int i = 0; i < t->npk; i++)
		npk += out->pk[i] != NULL;
	if (npk && npk < t->npk)
		out->pk_partial = true;
	if (npk && out->ntok)
		return perr(pl, HL_ERR_INVALID, "Columns \"%s\" cannot be restricted by both a normal "
			    "relation and a token relation", t->pk[0]->name);
	return 0;
}

/*
 * Order the clustering restrictions by column position and keep the prefix
 * usable as slices: EQ/IN columns, then at most one slice. Returns how many
 * are usable; the rest go to filtering.
 */
static int usable_ck(planner *pl, rels *rl, q_restr ***usable, int *nusable, bool *leftover)
{
	const sch_table *t = pl->p->table;
	q_restr **u = hl_arena_zalloc(pl->a, sizeof(q_restr *) * (size_t)(rl->nck + 1));
	int n = 0;
	bool *taken = hl_arena_zalloc(pl->a, (size_t)rl->nck + 1);
	int pos = 0;
	*leftover = false;
	while (pos < t->nck) {
		int found = -1, found2 = -1;
		for (int i = 0; i < rl->nck; i++) {
			if (taken[i] || rl->ck[i]->cols[0]->position != pos)
				continue;
			if (found < 0)
				found = i;
			else if (found2 < 0)
				found2 = i;
		}
		if (found < 0)
			break;
		q_restr *r = rl->ck[found];
		if (r->op == CQL_OP_EQ || r->op == CQL_OP_IN) {
			if (found2 >= 0)
				return perr(pl, HL_ERR_INVALID, "%s cannot be restricted by more than one "
					    "relation if it includes an Equal", r->cols[0]->name);
			taken[found] = true;
			u[n++] = r;
			pos += r->ncols;
			continue;
		}
		/* a slice: maybe two bounds on the same column(s) */
		taken[found] = true;
		u[n++] = r;
		if (found2 >= 0) {
			q_restr *r2 = rl->ck[found2];
			if (!is_slice(r2->op))
				return perr(pl, HL_ERR_INVALID, "%s cannot be restricted by more than one "
					    "relation if it includes an Equal", r->cols[0]->name);
			bool lower1 = r->op == CQL_OP_GT || r->op == CQL_OP_GTE;
			bool lower2 = r2->op == CQL_OP_GT || r2->op == CQL_OP_GTE;
			if (lower1 == lower2)
				return perr(pl, HL_ERR_INVALID, "More than one restriction was found for the "
					    "%s bound on %s", lower1 ? "start" : "end", r->cols[0]->name);
			taken[found2] = true;
			u[n++] = r2;
		}
		break;
	}
	for (int i = 0; i < rl->nck; i++)
		if (!taken[i]) {
			rl->filter[rl->nfilter++] = rl->ck[i];
			if (!*leftover || rl->ck[i]->cols[0]->position < rl->left_col->position)
				rl->left_col = rl->ck[i]->cols[0];
			*leftover = true;
		}
	/* what stopped the prefix: a gap, or a slice before the leftover column */
	if (*leftover) {
		rl->left_after_slice = n > 0 && is_slice(u[n - 1]->op);
		rl->left_prev = rl->left_col->position > 0 ? t->ck[rl->left_col->position - 1] : NULL;
	}
	*usable = u;
	*nusable = n;
	return 0;
}

/* ------------------------------------------------------------ indexes */

/*
 * Does an index let this query run without ALLOW FILTERING? Cassandra's
 * rule: at least one restriction an index supports (= on a regular index,
 * CONTAINS / CONTAINS KEY on collection indexes, also ranges on an SAI
 * index), and every other filtered restriction also served by an index.
 * Which index then finds the rows is q_index_pick's choice (index.c);
 * restrictions no index structure answers (SAI ranges) are filtered.
 */
static bool index_serves(const sch_table *t, const q_restr *r)
{
	if (r->ncols != 1)
		return false;
	const char *col = r->cols[0]->name;
	for (int i = 0; i < t->nindexes; i++) {
		const sch_index *ix = &t->indexes[i];
		const char *target = sch_map_get(&ix->options, "target");
		const char *cls = sch_map_get(&ix->options, "class_name");
		bool sai = cls && (strstr(cls, "StorageAttachedIndex") || strcasecmp(cls, "sai") == 0);
		if (!target)
			continue;
		char want[300];
		bool keys = false, values = false, entries = false, full = false, plain = false;
		snprintf(want, sizeof want, "keys(%s)", col);
		keys = strcmp(target, want) == 0;
		snprintf(want, sizeof want, "values(%s)", col);
		values = strcmp(target, want) == 0;
		snprintf(want, sizeof want, "entries(%s)", col);
		entries = strcmp(target, want) == 0;
		snprintf(want, sizeof want, "full(%s)", col);
		full = strcmp(target, want) == 0;
		plain = strcmp(target, col) == 0;
		(void)entries;
		if (r->key) {
			/* a map entry: only an entries() index answers it */
			if (entries && r->op == CQL_OP_EQ)
				return true;
			continue;
		}
		switch (r->op) {
		case CQL_OP_EQ:
			if (plain || full)
				return true;
			break;
		case CQL_OP_CONTAINS:
			if (values || (plain && ty_is_collection(r->cols[0]->type)))
				return true;
			break;
		case CQL_OP_CONTAINS_KEY:
			if (keys)
				return true;
			break;
		case CQL_OP_LT: case CQL_OP_LTE: case CQL_OP_GT: case CQL_OP_GTE:
			if (sai && plain)
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

static bool index_covers(const sch_table *t, int n, q_restr **f)
{
	if (!t->nindexes || n == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (!index_serves(t, f[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------ SELECT */

static const char *sel_name(planner *pl, const cql_sel *s)
{
	switch (s->kind) {
	case CQL_SEL_COLUMN:
		return s->name;
	case CQL_SEL_WRITETIME:
		return hl_arena_printf(pl->a, "writetime(%s)", s->arg && s->arg->name ? s->arg->name : "");
	case CQL_SEL_TTL:
		return hl_arena_printf(pl->a, "ttl(%s)", s->arg && s->arg->name ? s->arg->name : "");
	case CQL_SEL_COUNT_STAR:
		return "count";
	default:
		return "expr";
	}
}

/* ------------------------------------------------------------ selector expressions */

static int plan_selector(planner *pl, const cql_selector *cs, q_sel *out);

/* A term as Cassandra prints it in a result column name or a message ('k', 1, ?). */
static const char *term_text(planner *pl, const cql_term *t)
{
	if (!t)
		return "";
	switch (t->kind) {
	case CQL_TERM_LITERAL:
		if (t->lit.kind == TY_LIT_STRING) {
			hl_buf b;
			hl_buf_init(&b);
			hl_buf_u8(&b, '\'');
			for (size_t i = 0; i < t->lit.len; i++) {
				if (t->lit.text[i] == '\'')
					hl_buf_u8(&b, '\'');
				hl_buf_u8(&b, (uint8_t)t->lit.text[i]);
			}
			hl_buf_u8(&b, '\'');
			const char *r = hl_arena_strndup(pl->a, (const char *)b.p, b.len);
			hl_buf_free(&b);
			return r;
		}
		return hl_arena_strndup(pl->a, t->lit.text, t->lit.len);
	case CQL_TERM_BIND:
		return t->bind_name ? hl_arena_printf(pl->a, ":%s", t->bind_name) : "?";
	case CQL_TERM_TYPEHINT:
		return hl_arena_printf(pl->a, "(%s)%s", t->type, term_text(pl, t->left));
	default:
		return "?";
	}
}

/* The type Cassandra prefers for a literal with no receiver (Constants.Type). */
static const ty_type *lit_type(const cql_term *t)
{
	if (!t || t->kind != CQL_TERM_LITERAL)
		return NULL;
	switch (t->lit.kind) {
	case TY_LIT_STRING: return ty_simple(TY_TEXT);
	case TY_LIT_FLOAT: return ty_simple(TY_DOUBLE);
	case TY_LIT_BOOLEAN: return ty_simple(TY_BOOLEAN);
	case TY_LIT_UUID: return ty_simple(TY_UUID);
	case TY_LIT_HEX: return ty_simple(TY_BLOB);
	case TY_LIT_DURATION: return ty_simple(TY_DURATION);
	case TY_LIT_INTEGER: {
		char buf[48];
		if (t->lit.len >= sizeof buf)
			return ty_simple(TY_VARINT);
		memcpy(buf, t->lit.text, t->lit.len);
		buf[t->lit.len] = 0;
		errno = 0;
		long long v = strtoll(buf, NULL, 10);
		if (errno)
			return ty_simple(TY_VARINT);
		return v >= INT32_MIN && v <= INT32_MAX ? ty_simple(TY_INT) : ty_simple(TY_BIGINT);
	}
	default:
		return NULL;
	}
}

static q_expr *new_ex(planner *pl, int kind)
{
	q_expr *e = hl_arena_zalloc(pl->a, sizeof *e);
	e->kind = kind;
	return e;
}

static int plan_expr(planner *pl, const cql_sel *s, q_expr **out, const char **name, int depth);

/* m[k] / m[a..b] / s[x]: the collection operand and its checks. */
static int plan_subscript(planner *pl, const cql_sel *s, q_expr **out, const char **name, int depth)
{
	q_expr *c;
	const char *cn;
	bool slice = s->kind == CQL_SEL_SLICE;
	if (plan_expr(pl, s->arg, &c, &cn, depth + 1) < 0)
		return -1;
	const ty_type *ct = c->type;
	if (ct->kind == TY_LIST)
		return perr(pl, HL_ERR_INVALID, "%s selection is only allowed on sets and maps, but %s is "
			    "a list", slice ? "Slice" : "Element", cn);
	if (ct->kind != TY_MAP && ct->kind != TY_SET)
		return perr(pl, HL_ERR_INVALID, "Invalid %s selection: %s is of type %s is not a collection",
			    slice ? "slice" : "element", cn, ty_name(ct, pl->a));
	q_expr *e = new_ex(pl, slice ? Q_EX_SLICE : Q_EX_ELEM);
	e->a = c;
	e->ktype = ct->sub[0];
	e->term = s->term;
	e->term2 = slice ? s->term2 : NULL;
	e->type = slice ? ct : ct->kind == TY_MAP ? ct->sub[1] : ct->sub[0];
	const char *spec = hl_arena_printf(pl->a, "%s(%s)", ct->kind == TY_MAP ? "key" : "value", cn);
	spec_term(pl, s->term, spec, e->ktype);
	if (slice) {
		spec_term(pl, s->term2, spec, e->ktype);
		*name = hl_arena_printf(pl->a, "%s[%s..%s]", cn, s->term ? term_text(pl, s->term) : "",
					s->term2 ? term_text(pl, s->term2) : "");
	} else {
		*name = hl_arena_printf(pl->a, "%s[%s]", cn, term_text(pl, s->term));
	}
	*out = e;
	return 0;
}

/*
 * similarity_cosine / similarity_euclidean / similarity_dot_product(a, b):
 * two vector<float, n> of one dimension; a literal or marker argument takes
 * the other argument's type. The result is a float.
 */
static int plan_similarity(planner *pl, const cql_sel *s, q_expr **out, const char **name, int depth)
{
	const char *fn = strcasecmp(s->fn_name, "similarity_cosine") == 0 ? "similarity_cosine"
		       : strcasecmp(s->fn_name, "similarity_euclidean") == 0 ? "similarity_euclidean"
		       : "similarity_dot_product";
	q_expr *arg[2] = { NULL, NULL };
	const char *an[2] = { NULL, NULL };
	cql_term *lit[2] = { NULL, NULL };
	const ty_type *vt = NULL;
	for (int i = 0; i < 2; i++) {
		const cql_sel *a = s->args[i];
		if (a->kind == CQL_SEL_LIST) {
			/* [x, y, ...] of constants: a list term the vector type applies to */
			cql_term *t = hl_arena_zalloc(pl->a, sizeof *t);
			t->kind = CQL_TERM_LIST;
			t->n = a->n;
			t->items = hl_arena_zalloc(pl->a, sizeof(cql_term *) * (size_t)(a->n + 1));
			hl_buf b;
			hl_buf_init(&b);
			hl_buf_u8(&b, '[');
			for (int j = 0; j < a->n; j++) {
				if (a->args[j]->kind != CQL_SEL_TERM || !a->args[j]->term) {
					hl_buf_free(&b);
					return perr(pl, HL_ERR_INVALID, "Invalid vector literal in call to function "
						    "system.%s", fn);
				}
				t->items[j] = a->args[j]->term;
				hl_buf_printf(&b, "%s%s", j ? ", " : "", term_text(pl, a->args[j]->term));
			}
			hl_buf_u8(&b, ']');
			an[i] = hl_arena_strndup(pl->a, (const char *)b.p, b.len);
			hl_buf_free(&b);
			lit[i] = t;
			continue;
		}
		if (a->kind == CQL_SEL_TERM && a->term && a->term->kind == CQL_TERM_BIND) {
			lit[i] = a->term;
			an[i] = term_text(pl, a->term);
			continue;
		}
		if (plan_expr(pl, a, &arg[i], &an[i], depth + 1) < 0)
			return -1;
		if (arg[i]->type->kind != TY_VECTOR || arg[i]->type->sub[0]->kind != TY_FLOAT)
			return perr(pl, HL_ERR_INVALID, "Function system.%s requires a float vector argument, "
				    "but found argument %s of type %s", fn, an[i], ty_name(arg[i]->type, pl->a));
		if (vt && !ty_equal(vt, arg[i]->type))
			return perr(pl, HL_ERR_INVALID, "All arguments must have the same vector dimensions "
				    "in call to function system.%s", fn);
		vt = arg[i]->type;
	}
	if (!vt)
		return perr(pl, HL_ERR_INVALID, "Cannot infer type of argument %s in call to function "
			    "system.%s", an[0], fn);
	for (int i = 0; i < 2; i++) {
		if (!lit[i])
			continue;
		const char *spec = hl_arena_printf(pl->a, "arg%d(system.%s)", i, fn);
		if (lit[i]->kind == CQL_TERM_LIST && lit[i]->n != vt->dim)
			return perr(pl, HL_ERR_INVALID, "Invalid vector literal for %s of type %s; expected %d "
				    "elements, but given %d", spec, ty_name(vt, pl->a), vt->dim, lit[i]->n);
		spec_term(pl, lit[i], spec, vt);
		q_expr *c = new_ex(pl, Q_EX_CONST);
		c->term = lit[i];
		c->type = vt;
		c->ktype = vt;
		c->spec = spec;
		arg[i] = c;
	}
	q_expr *e = new_ex(pl, Q_EX_SIM);
	e->op = fn[11];
	e->a = arg[0];
	e->b = arg[1];
	e->type = ty_simple(TY_FLOAT);
	*name = hl_arena_printf(pl->a, "system.%s(%s, %s)", fn, an[0], an[1]);
	*out = e;
	return 0;
}

static int plan_expr(planner *pl, const cql_sel *s, q_expr **out, const char **name, int depth)
{
	if (depth > CQL_MAX_DEPTH)
		return perr(pl, HL_ERR_INVALID, "Selector nesting too deep");
	switch (s->kind) {
	case CQL_SEL_COLUMN: {
		const sch_column *c = find_col(pl, s->name);
		if (!c)
			return -1;
		q_expr *e = new_ex(pl, Q_EX_COL);
		e->col = c;
		e->type = c->type;
		*name = c->name;
		*out = e;
		return 0;
	}
	case CQL_SEL_TERM:
	case CQL_SEL_TYPEHINT: {
		const cql_term *t = s->term;
		const ty_type *ty = NULL;
		const char *nm;
		if (s->kind == CQL_SEL_TYPEHINT) {
			if (!s->arg || s->arg->kind != CQL_SEL_TERM)
				goto flat;
			t = s->arg->term;
			if (ty_parse(s->type, strlen(s->type), pl->a, NULL, NULL, NULL, &ty, pl->err) < 0)
				return -1;
			nm = hl_arena_printf(pl->a, "(%s)%s", s->type, term_text(pl, t));
		} else {
			ty = lit_type(t);
			nm = term_text(pl, t);
		}
		if (!t || t->kind == CQL_TERM_BIND)
			return perr(pl, HL_ERR_INVALID, "Bind markers are not supported in selections");
		if (t->kind == CQL_TERM_LITERAL && t->lit.kind == TY_LIT_NULL)
			ty = NULL;
		q_expr *e = new_ex(pl, Q_EX_CONST);
		e->term = (cql_term *)t;
		e->type = ty ? ty : ty_simple(TY_INT);
		e->ktype = ty;
		*name = nm;
		*out = e;
		return 0;
	}
	case CQL_SEL_BINOP: {
		q_expr *l, *r;
		const char *ln, *rn;
		if (plan_expr(pl, s->args[0], &l, &ln, depth + 1) < 0 ||
		    plan_expr(pl, s->args[1], &r, &rn, depth + 1) < 0)
			return -1;
		/* an untyped null operand takes the other side's type */
		if (l->kind == Q_EX_CONST && !l->ktype)
			l->type = r->type;
		if (r->kind == Q_EX_CONST && !r->ktype)
			r->type = l->type;
		const ty_type *rt = ty_arith_result(l->type, s->op, r->type);
		if (!rt)
			return perr(pl, HL_ERR_INVALID, "the '%c' operation is not supported between %s and %s",
				    s->op, ln, rn);
		q_expr *e = new_ex(pl, Q_EX_BINOP);
		e->op = s->op;
		e->a = l;
		e->b = r;
		e->type = rt;
		*name = hl_arena_printf(pl->a, "%s %c %s", ln, s->op, rn);
		*out = e;
		return 0;
	}
	case CQL_SEL_NEG: {
		q_expr *a;
		const char *an;
		if (plan_expr(pl, s->arg, &a, &an, depth + 1) < 0)
			return -1;
		if (!ty_arith_result(a->type, '*', a->type) || a->type->kind == TY_TEXT ||
		    a->type->kind == TY_ASCII || a->type->kind == TY_TIMESTAMP || a->type->kind == TY_DATE)
			return perr(pl, HL_ERR_INVALID, "Invalid call to function _negate, none of its type "
				    "signatures match");
		q_expr *e = new_ex(pl, Q_EX_NEG);
		e->a = a;
		e->type = a->type->kind == TY_COUNTER ? ty_simple(TY_BIGINT) : a->type;
		*name = hl_arena_printf(pl->a, "-%s", an);
		*out = e;
		return 0;
	}
	case CQL_SEL_CAST: {
		q_expr *a;
		const char *an;
		const ty_type *to;
		if (plan_expr(pl, s->arg, &a, &an, depth + 1) < 0)
			return -1;
		if (ty_parse(s->type, strlen(s->type), pl->a, NULL, NULL, NULL, &to, pl->err) < 0)
			return -1;
		if (ty_equal(to, a->type)) {
			/* a cast to the argument's own type is the argument itself */
			*out = a;
			*name = an;
			return 0;
		}
		if (!ty_castable(to, a->type))
			return perr(pl, HL_ERR_INVALID, "%s cannot be cast to %s", an, ty_name(to, pl->a));
		q_expr *e = new_ex(pl, Q_EX_CAST);
		e->a = a;
		e->type = to;
		*name = hl_arena_printf(pl->a, "cast(%s as %s)", an, ty_name(to, pl->a));
		*out = e;
		return 0;
	}
	case CQL_SEL_ELEMENT:
	case CQL_SEL_SLICE:
		return plan_subscript(pl, s, out, name, depth);
	case CQL_SEL_WRITETIME:
	case CQL_SEL_TTL:
	case CQL_SEL_MAXWRITETIME: {
		const char *fn = s->kind == CQL_SEL_WRITETIME ? "writetime" : s->kind == CQL_SEL_TTL ? "ttl"
			       : "maxwritetime";
		const cql_sel *arg = s->arg;
		const cql_sel *base = arg;
		while (base && (base->kind == CQL_SEL_ELEMENT || base->kind == CQL_SEL_SLICE))
			base = base->arg;
		if (!arg || !base || base->kind != CQL_SEL_COLUMN || (arg != base && arg->arg != base))
			return perr(pl, HL_ERR_INVALID, "Invalid argument for %s", fn);
		const sch_column *c = find_col(pl, base->name);
		if (!c)
			return -1;
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return perr(pl, HL_ERR_INVALID, "Cannot use selection function %s on PRIMARY KEY "
				    "part %s", fn, c->name);
		q_expr *a;
		const char *an;
		if (plan_expr(pl, arg, &a, &an, depth + 1) < 0)
			return -1;
		if (c->type->kind == TY_UDT && ty_is_multicell(c->type))
			return perr(pl, HL_ERR_INVALID, "Cannot use selection function %s on non-frozen %s",
				    fn, ty_name(c->type, pl->a));
		q_expr *e = new_ex(pl, s->kind == CQL_SEL_WRITETIME ? Q_EX_WT : s->kind == CQL_SEL_TTL
				   ? Q_EX_TTL : Q_EX_MAXWT);
		e->a = a;
		e->col = c;
		const ty_type *one = ty_simple(s->kind == CQL_SEL_TTL ? TY_INT : TY_BIGINT);
		/* several cells (a non-frozen collection or a slice of one): a list */
		bool many = q_is_cells(c->type) && a->kind != Q_EX_ELEM;
		e->type = many && s->kind != CQL_SEL_MAXWRITETIME ? ty_list(pl->a, one, false) : one;
		*name = hl_arena_printf(pl->a, "%s(%s)", fn, an);
		*out = e;
		return 0;
	}
	case CQL_SEL_FUNC:
		if (s->n == 2 && strncasecmp(s->fn_name, "similarity_", 11) == 0)
			return plan_similarity(pl, s, out, name, depth);
		break;
	default:
		break;
	}
flat: {
	/* anything else (functions, field selection...) as a flat selector */
	cql_selector cs = { (cql_sel *)s, NULL };
	q_sel *fs = hl_arena_zalloc(pl->a, sizeof *fs);
	if (plan_selector(pl, &cs, fs) < 0)
		return -1;
	if (fs->kind == Q_SEL_AGG || fs->kind == Q_SEL_COUNT)
		return perr(pl, HL_ERR_INVALID, "Aggregates are not supported inside selector expressions");
	if (fs->kind == Q_SEL_COLUMN) {
		q_expr *e = new_ex(pl, Q_EX_COL);
		e->col = fs->col;
		e->type = fs->type;
		*name = fs->name;
		*out = e;
		return 0;
	}
	q_expr *e = new_ex(pl, Q_EX_SEL);
	e->sel = fs;
	e->type = fs->type;
	*name = fs->name;
	*out = e;
	return 0;
	}
}

static int plan_selector(planner *pl, const cql_selector *cs, q_sel *out)
{
	const cql_sel *s = cs->expr;
	memset(out, 0, sizeof *out);
	switch (s->kind) {
	case CQL_SEL_COLUMN: {
		const sch_column *c = find_col(pl, s->name);
		if (!c)
			return -1;
		out->kind = Q_SEL_COLUMN;
		out->col = c;
		out->type = c->type;
		out->name = c->name;
		break;
	}
	case CQL_SEL_BINOP:
	case CQL_SEL_NEG:
	case CQL_SEL_CAST:
	case CQL_SEL_ELEMENT:
	case CQL_SEL_SLICE:
	case CQL_SEL_MAXWRITETIME:
	expr:
		out->kind = Q_SEL_EXPR;
		if (plan_expr(pl, s, &out->ex, &out->name, 0) < 0)
			return -1;
		out->type = out->ex->type;
		break;
	case CQL_SEL_TYPEHINT:
		if (s->arg && s->arg->kind == CQL_SEL_TERM && s->arg->term &&
		    s->arg->term->kind != CQL_TERM_BIND)
			goto expr;
		return perr(pl, HL_ERR_INVALID, "Unsupported selector");
	case CQL_SEL_WRITETIME:
	case CQL_SEL_TTL: {
		bool wt = s->kind == CQL_SEL_WRITETIME;
		if (s->arg && s->arg->kind != CQL_SEL_COLUMN && s->arg->kind != CQL_SEL_FIELD)
			goto expr;
		if (s->arg && s->arg->kind == CQL_SEL_COLUMN) {
			const sch_column *mc = find_col(pl, s->arg->name);
			if (!mc)
				return -1;
			if (q_is_cells(mc->type))
				goto expr;
		}
		if (!s->arg || s->arg->kind != CQL_SEL_COLUMN)
			return perr(pl, HL_ERR_INVALID, "Invalid argument for %s", wt ? "writetime" : "ttl");
		const sch_column *c = find_col(pl, s->arg->name);
		if (!c)
			return -1;
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return perr(pl, HL_ERR_INVALID, "Cannot use selection function %s on PRIMARY KEY "
				    "part %s", wt ? "writetime" : "ttl", c->name);
		if (sch_type_is_multicell(c->type))
			return perr(pl, HL_ERR_INVALID, "Cannot use selection function %s on non-frozen "
				    "%s", wt ? "writetime" : "ttl", ty_name(c->type, pl->a));
		out->kind = wt ? Q_SEL_WRITETIME : Q_SEL_TTL;
		out->col = c;
		out->type = ty_simple(wt ? TY_BIGINT : TY_INT);
		out->name = sel_name(pl, s);
		break;
	}
	case CQL_SEL_FIELD: {
		if (!s->arg || s->arg->kind != CQL_SEL_COLUMN)
			return perr(pl, HL_ERR_INVALID, "Field selection is only supported on columns");
		const sch_column *c = find_col(pl, s->arg->name);
		if (!c)
			return -1;
		if (c->type->kind != TY_UDT)
			return perr(pl, HL_ERR_INVALID, "Invalid field selection: %s of type %s is not a user "
				    "type", c->name, ty_name(c->type, pl->a));
		int f = -1;
		for (int i = 0; i < c->type->nsub; i++)
			if (strcmp(c->type->field_names[i], s->name) == 0)
				f = i;
		if (f < 0)
			return perr(pl, HL_ERR_INVALID, "%s of type %s has no field %s", c->name,
				    ty_name(c->type, pl->a), s->name);
		out->kind = Q_SEL_FIELD;
		out->col = c;
		out->field = f;
		out->type = c->type->sub[f];
		out->name = hl_arena_printf(pl->a, "%s.%s", c->name, s->name);
		break;
	}
	case CQL_SEL_COUNT_STAR:
		out->kind = Q_SEL_COUNT;
		out->type = ty_simple(TY_BIGINT);
		out->name = "count";
		break;
	case CQL_SEL_FUNC: {
		const char *fn = s->fn_name;
		if (s->fn_ks && strcmp(s->fn_ks, "system") != 0)
			return perr(pl, HL_ERR_INVALID, "Unknown function %s.%s", s->fn_ks, fn);
		if (strcasecmp(fn, "count") == 0 && s->n == 1) {
			out->kind = Q_SEL_COUNT;
			out->type = ty_simple(TY_BIGINT);
			if (s->args[0]->kind == CQL_SEL_COLUMN) {
				out->col = find_col(pl, s->args[0]->name);
				if (!out->col)
					return -1;
				out->name = hl_arena_printf(pl->a, "system.count(%s)", out->col->name);
			} else {
				out->name = "count";
			}
			break;
		}
		static const struct { const char *n; int agg; } aggs[] = {
			{ "min", Q_AGG_MIN }, { "max", Q_AGG_MAX }, { "sum", Q_AGG_SUM }, { "avg", Q_AGG_AVG },
		};
		for (size_t a = 0; a < sizeof aggs / sizeof aggs[0]; a++) {
			if (strcasecmp(fn, aggs[a].n) != 0)
				continue;
			if (s->n != 1 || s->args[0]->kind != CQL_SEL_COLUMN)
				return perr(pl, HL_ERR_INVALID, "Invalid call to function system.%s: one column "
					    "argument expected", aggs[a].n);
			const sch_column *c = find_col(pl, s->args[0]->name);
			if (!c)
				return -1;
			ty_kind k = c->type->kind;
			bool num = k == TY_INT || k == TY_BIGINT || k == TY_SMALLINT || k == TY_TINYINT ||
				   k == TY_COUNTER || k == TY_FLOAT || k == TY_DOUBLE;
			if ((aggs[a].agg == Q_AGG_SUM || aggs[a].agg == Q_AGG_AVG) && !num)
				return perr(pl, HL_ERR_INVALID, "Invalid call to function system.%s: %s is "
					    "not a supported numeric type (varint and decimal sums are not "
					    "supported yet)", aggs[a].n, ty_name(c->type, pl->a));
			if (sch_type_is_multicell(c->type))
				return perr(pl, HL_ERR_INVALID, "Invalid call to function system.%s on "
					    "non-frozen %s", aggs[a].n, c->name);
			out->kind = Q_SEL_AGG;
			out->agg = aggs[a].agg;
			out->col = c;
			out->arg_type = c->type;
			out->type = k == TY_COUNTER ? ty_simple(TY_BIGINT) : c->type;
			out->name = hl_arena_printf(pl->a, "system.%s(%s)", aggs[a].n, c->name);
			goto named;
		}
		if (strcasecmp(fn, "token") == 0) {
			const sch_table *t = pl->p->table;
			if (s->n != t->npk)
				return perr(pl, HL_ERR_INVALID, "Invalid number of arguments in call to function "
					    "system.token: %d required but %d provided", t->npk, s->n);
			hl_buf b;
			hl_buf_init(&b);
			hl_buf_str(&b, "system.token(");
			for (int i = 0; i < s->n; i++) {
				if (s->args[i]->kind != CQL_SEL_COLUMN) {
					hl_buf_free(&b);
					return perr(pl, HL_ERR_INVALID, "token() arguments must be columns");
				}
				const sch_column *c = find_col(pl, s->args[i]->name);
				if (!c) {
					hl_buf_free(&b);
					return -1;
				}
				if (c->kind != SCH_PARTITION_KEY || c->position != i) {
					hl_buf_free(&b);
					return perr(pl, HL_ERR_INVALID, "Type error: %s cannot be passed as "
						    "argument %d of function system.token", c->name, i);
				}
				hl_buf_printf(&b, "%s%s", i ? ", " : "", c->name);
			}
			hl_buf_u8(&b, ')');
			out->kind = Q_SEL_TOKEN;
			out->type = ty_simple(TY_BIGINT);
			out->name = hl_arena_strndup(pl->a, (const char *)b.p, b.len);
			hl_buf_free(&b);
			break;
		}
		/* Single-column conversion functions Cassandra has built in. */
		if (s->n == 1 && s->args[0]->kind == CQL_SEL_COLUMN) {
			const sch_column *c = find_col(pl, s->args[0]->name);
			if (!c)
				return -1;
			static const struct {
				const char *name;
				ty_kind from1, from2, to;
			} conv[] = {
				{ "totimestamp", TY_TIMEUUID, TY_DATE, TY_TIMESTAMP },
				{ "tounixtimestamp", TY_TIMEUUID, TY_TIMESTAMP, TY_BIGINT },
				{ "todate", TY_TIMEUUID, TY_TIMESTAMP, TY_DATE },
				{ "blobasbigint", TY_BLOB, TY_BLOB, TY_BIGINT },
				{ "blobastext", TY_BLOB, TY_BLOB, TY_TEXT },
				{ "blobasint", TY_BLOB, TY_BLOB, TY_INT },
			};
			for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++) {
				if (strcasecmp(fn, conv[i].name) != 0)
					continue;
				if (c->type->kind != conv[i].from1 && c->type->kind != conv[i].from2)
					return perr(pl, HL_ERR_INVALID, "Type error: %s cannot be passed as "
						    "argument 0 of function system.%s of type %s", c->name,
						    conv[i].name, ty_name(c->type, pl->a));
				out->kind = Q_SEL_FUNC;
				out->fn = conv[i].name;
				out->col = c;
				out->arg_type = c->type;
				out->type = ty_simple(conv[i].to);
				out->name = hl_arena_printf(pl->a, "system.%s(%s)", conv[i].name, c->name);
				goto named;
			}
			if (strcasecmp(fn, "tojson") == 0) {
				out->kind = Q_SEL_FUNC;
				out->fn = "tojson";
				out->col = c;
				out->arg_type = c->type;
				out->type = ty_simple(TY_TEXT);
				out->name = hl_arena_printf(pl->a, "system.tojson(%s)", c->name);
				goto named;
			}
			if (strncasecmp(fn, "typeasblob", 10) == 0 || (strlen(fn) > 6 &&
			    strcasecmp(fn + strlen(fn) - 6, "asblob") == 0)) {
				out->kind = Q_SEL_FUNC;
				out->fn = "asblob";
				out->col = c;
				out->arg_type = c->type;
				out->type = ty_simple(TY_BLOB);
				out->name = hl_arena_printf(pl->a, "system.%s(%s)", fn, c->name);
				goto named;
			}
		}
		if (s->n == 2 && (strcasecmp(fn, "similarity_cosine") == 0 ||
				  strcasecmp(fn, "similarity_euclidean") == 0 ||
				  strcasecmp(fn, "similarity_dot_product") == 0))
			goto expr;
		return perr(pl, HL_ERR_INVALID, "Unknown function '%s'", fn);
	}
	case CQL_SEL_TERM:
		if (s->term && s->term->kind == CQL_TERM_BIND)
			return perr(pl, HL_ERR_INVALID, "Bind markers are not supported in selections");
		out->kind = Q_SEL_CONST;
		out->term = s->term;
		out->type = s->term && s->term->lit.kind == TY_LIT_STRING ? ty_simple(TY_TEXT)
			  : s->term && s->term->lit.kind == TY_LIT_FLOAT ? ty_simple(TY_DOUBLE)
			  : s->term && s->term->lit.kind == TY_LIT_BOOLEAN ? ty_simple(TY_BOOLEAN)
			  : ty_simple(TY_INT);
		out->name = s->term && s->term->lit.text ? hl_arena_strndup(pl->a, s->term->lit.text, s->term->lit.len) : "null";
		break;
	default:
		return perr(pl, HL_ERR_INVALID, "Unsupported selector");
	}
named:
	if (cs->alias)
		out->name = cs->alias;
	return 0;
}

static int plan_select(planner *pl, cql_select *s)
{
	const sch_table *t;
	if (resolve_table(pl, &s->table, &t) < 0)
		return -1;
	q_plan *p = pl->p;
	q_select *q = hl_arena_zalloc(pl->a, sizeof *q);
	p->sel = q;
	q->json = s->json;

	/* selection */
	if (s->star) {
		const sch_column **order = hl_arena_alloc(pl->a, sizeof(*order) * (size_t)t->ncols);
		sch_select_order(t, order);
		q->nsel = t->ncols;
		q->sel = hl_arena_zalloc(pl->a, sizeof(q_sel) * (size_t)t->ncols);
		for (int i = 0; i < t->ncols; i++) {
			q->sel[i].kind = Q_SEL_COLUMN;
			q->sel[i].col = order[i];
			q->sel[i].type = order[i]->type;
			q->sel[i].name = order[i]->name;
		}
	} else {
		q->nsel = s->nsel;
		q->sel = hl_arena_zalloc(pl->a, sizeof(q_sel) * (size_t)(s->nsel + 1));
		int nagg = 0;
		for (int i = 0; i < s->nsel; i++) {
			if (plan_selector(pl, &s->sel[i], &q->sel[i]) < 0)
				return -1;
			nagg += q->sel[i].kind == Q_SEL_COUNT || q->sel[i].kind == Q_SEL_AGG;
		}
		q->count_only = nagg > 0;
	}
	/* GROUP BY: a prefix of the primary key, partition key first and whole */
	if (s->ngroup) {
		q->ngroup = s->ngroup;
		q->group = hl_arena_alloc(pl->a, sizeof(sch_column *) * (size_t)s->ngroup);
		if (s->ngroup > 64)
			return perr(pl, HL_ERR_INVALID, "Too many GROUP BY columns");
		for (int i = 0; i < s->ngroup; i++) {
			const cql_sel *g = s->group[i];
			if (g->kind != CQL_SEL_COLUMN)
				return perr(pl, HL_ERR_INVALID, "Only column names and monotonic scalar "
					    "functions are supported in the GROUP BY clause.");
			const sch_column *c = find_col(pl, g->name);
			if (!c)
				return -1;
			int want = i < t->npk ? i : i - t->npk;
			sch_kind kind = i < t->npk ? SCH_PARTITION_KEY : SCH_CLUSTERING;
			if (c->kind != kind || c->position != want)
				return perr(pl, HL_ERR_INVALID, "Group by currently only support groups of "
					    "columns following their declared order in the PRIMARY KEY");
			q->group[i] = c;
		}
		if (s->ngroup < t->npk)
			return perr(pl, HL_ERR_INVALID, "Group by is not supported on only a part of the "
				    "partition key");
		q->count_only = true;
		if (s->star)
			return perr(pl, HL_ERR_INVALID, "SELECT * is not allowed with GROUP BY");
	}
	q->distinct = s->distinct;
	if (s->distinct) {
		for (int i = 0; i < q->nsel; i++) {
			const sch_column *c = q->sel[i].col;
			if (q->sel[i].kind == Q_SEL_COUNT)
				continue;
			if (!c || (c->kind != SCH_PARTITION_KEY && c->kind != SCH_STATIC))
				return perr(pl, HL_ERR_INVALID, "SELECT DISTINCT queries must only request "
					    "partition key columns and/or static columns (not %s)",
					    c ? c->name : q->sel[i].name);
		}
	}
	/* restrictions */
	rels rl;
	if (classify(pl, s->nwhere, s->where, true, &rl) < 0)
		return -1;
	int npk = 0;
	for (int i = 0; i < t->npk; i++)
		npk += rl.pk[i] != NULL;
	q->pk_complete = npk == t->npk;
	bool need_filtering = false;
	if (rl.pk_partial) {
		/* partial partition key: filter rows (ALLOW FILTERING) */
		for (int i = 0; i < t->npk; i++)
			if (rl.pk[i])
				rl.filter[rl.nfilter++] = rl.pk[i];
		need_filtering = true;
	}
	if (q->pk_complete)
		q->pk = rl.pk;
	for (int i = 0; i < rl.ntok; i++) {
		q_restr *r = rl.tok[i];
		switch (r->op) {
		case CQL_OP_EQ:
			q->tok_start = q->tok_end = r->value;
			q->tok_start_incl = q->tok_end_incl = true;
			q->tok_eq = true;
			break;
		case CQL_OP_GT:
		case CQL_OP_GTE:
			if (q->tok_start)
				return perr(pl, HL_ERR_INVALID, "More than one restriction was found for the "
					    "start bound on %s", t->pk[0]->name);
			q->tok_start = r->value;
			q->tok_start_incl = r->op == CQL_OP_GTE;
			break;
		default:
			if (q->tok_end)
				return perr(pl, HL_ERR_INVALID, "More than one restriction was found for the "
					    "end bound on %s", t->pk[0]->name);
			q->tok_end = r->value;
			q->tok_end_incl = r->op == CQL_OP_LTE;
			break;
		}
	}
	bool leftover = false;
	if (usable_ck(pl, &rl, &q->ck, &q->nck_restr, &leftover) < 0)
		return -1;
	if (leftover) {
		need_filtering = true;
		if (!s->allow_filtering && !p->is_virtual && q->pk_complete && rl.left_prev) {
			if (rl.left_after_slice)
				return perr(pl, HL_ERR_INVALID, "Clustering column \"%s\" cannot be restricted "
					    "(preceding column \"%s\" is restricted by a non-EQ relation)",
					    rl.left_col->name, rl.left_prev->name);
			return perr(pl, HL_ERR_INVALID, "PRIMARY KEY column \"%s\" cannot be restricted as "
				    "preceding column \"%s\" is not restricted", rl.left_col->name,
				    rl.left_prev->name);
		}
	}
	if (rl.has_ck && !q->pk_complete)
		need_filtering = true;
	for (int i = 0; i < rl.nfilter; i++)
		if (rl.filter[i]->cols[0]->kind == SCH_REGULAR || rl.filter[i]->cols[0]->kind == SCH_STATIC)
			need_filtering = true;
	if (rl.nfilter)
		need_filtering = true;
	if (need_filtering && !s->allow_filtering && !p->is_virtual && !leftover &&
	    !(rl.has_ck && !q->pk_complete && !rl.nfilter) && index_covers(t, rl.nfilter, rl.filter))
		need_filtering = false;   /* answered through the index (see index_covers) */
	/* clustering restrictions alone, without the partition key: an index on
	 * one of those clustering columns answers them */
	if (need_filtering && !s->allow_filtering && !p->is_virtual && !leftover && rl.has_ck &&
	    !q->pk_complete && !rl.nfilter && index_covers(t, q->nck_restr, q->ck))
		need_filtering = false;
	if (need_filtering && !s->allow_filtering && !p->is_virtual)
		return perr(pl, HL_ERR_INVALID, FILTERING_MSG);
	q->nfilter = rl.nfilter;
	q->filter = rl.filter;
	/* an index finds the candidate rows; every restriction is still
	 * checked on them (index.c) */
	if (!q->pk_complete && !p->is_virtual) {
		q_restr *ixr = NULL;
		q->ix = q_index_pick(t, rl.nfilter, rl.filter, &ixr);
		if (!q->ix)
			q->ix = q_index_pick(t, q->nck_restr, q->ck, &ixr);
		q->ix_restr = ixr;
	}
	q->needs_static_only = !rl.has_ck;
	if (s->distinct && (rl.has_ck || rl.nfilter))
		return perr(pl, HL_ERR_INVALID, "SELECT DISTINCT with WHERE clause only supports "
			    "restriction by partition key and/or static columns.");
	/* ORDER BY */
	if (s->norder) {
		if (!q->pk_complete)
			return perr(pl, HL_ERR_INVALID, "ORDER BY is only supported when the partition "
				    "key is restricted by an EQ or an IN.");
		int rev = -1;
		for (int i = 0; i < s->norder; i++) {
			const sch_column *c = find_col(pl, s->order[i].col);
			if (!c)
				return -1;
			if (c->kind != SCH_CLUSTERING)
				return perr(pl, HL_ERR_INVALID, "Order by is currently only supported on the "
					    "clustered columns of the PRIMARY KEY, got %s", c->name);
			if (c->position != i)
				return perr(pl, HL_ERR_INVALID, "Order by currently only supports the ordering "
					    "of columns following their declared order in the PRIMARY KEY");
			int r = s->order[i].desc != (c->order == SCH_ORDER_DESC);
			if (rev >= 0 && r != rev)
				return perr(pl, HL_ERR_INVALID, "Unsupported order by relation");
			rev = r;
		}
		q->reversed = rev == 1;
	}
	q->limit = s->limit;
	q->pplimit = s->per_partition_limit;
	spec_term(pl, s->limit, "[limit]", ty_simple(TY_INT));
	spec_term(pl, s->per_partition_limit, "[per_partition_limit]", ty_simple(TY_INT));
	if (q->pk_complete)
		pk_indexes(pl, q->pk, NULL);
	/* result metadata: SELECT JSON answers one text column, [json] */
	if (q->json) {
		p->result.ncols = 1;
		p->result.cols = hl_arena_zalloc(pl->a, sizeof(qry_colspec));
		p->result.cols[0].ks = t->ks;
		p->result.cols[0].table = t->name;
		p->result.cols[0].name = "[json]";
		p->result.cols[0].type = ty_simple(TY_TEXT);
		return 0;
	}
	p->result.ncols = q->nsel;
	p->result.cols = hl_arena_zalloc(pl->a, sizeof(qry_colspec) * (size_t)(q->nsel + 1));
	for (int i = 0; i < q->nsel; i++) {
		p->result.cols[i].ks = t->ks;
		p->result.cols[i].table = t->name;
		p->result.cols[i].name = q->sel[i].name;
		p->result.cols[i].type = q->sel[i].type;
	}
	return 0;
}

/* ------------------------------------------------------------ modifications */

static int key_restrictions(planner *pl, q_modify *m, int nwhere, const cql_rel *where,
			    bool allow_slices)
{
	const sch_table *t = pl->p->table;
	rels rl;
	if (classify(pl, nwhere, where, false, &rl) < 0)
		return -1;
	if (rl.ntok)
		return perr(pl, HL_ERR_INVALID, "The token function cannot be used in WHERE clauses "
			    "for UPDATE and DELETE statements: token(%s)", t->pk[0]->name);
	hl_buf miss;
	hl_buf_init(&miss);
	for (int i = 0; i < t->npk; i++)
		if (!rl.pk[i])
			hl_buf_printf(&miss, "%s%s", miss.len ? ", " : "", t->pk[i]->name);
	if (miss.len) {
		perr(pl, HL_ERR_INVALID, "Some partition key parts are missing: %.*s", (int)miss.len,
		     (const char *)miss.p);
		hl_buf_free(&miss);
		return -1;
	}
	hl_buf_free(&miss);
	m->pk = rl.pk;
	bool leftover = false;
	if (usable_ck(pl, &rl, &m->ck, &m->nck_restr, &leftover) < 0)
		return -1;
	if (leftover || rl.nfilter)
		return perr(pl, HL_ERR_INVALID, "PRIMARY KEY column \"%s\" cannot be restricted as "
			    "preceding column is not restricted",
			    rl.filter[0]->cols[0]->name);
	int covered = 0;
	bool slice = false;
	for (int i = 0; i < m->nck_restr; i++) {
		if (is_slice(m->ck[i]->op))
			slice = true;
		else
			covered = m->ck[i]->cols[0]->position + m->ck[i]->ncols;
	}
	if (!allow_slices && slice)
		return perr(pl, HL_ERR_INVALID, "Slice restrictions are not supported on the clustering "
			    "columns in UPDATE statements");
	if (!allow_slices && !m->static_only && covered < t->nck) {
		return perr(pl, HL_ERR_INVALID, "Some clustering keys are missing: %s",
			    t->ck[covered]->name);
	}
	pk_indexes(pl, m->pk, NULL);
	return 0;
}

static int plan_attrs(planner *pl, q_modify *m, const cql_attrs *at)
{
	m->ttl = at->ttl;
	m->timestamp = at->timestamp;
	spec_term(pl, at->ttl, "[ttl]", ty_simple(TY_INT));
	spec_term(pl, at->timestamp, "[timestamp]", ty_simple(TY_BIGINT));
	return 0;
}

static int writable(planner *pl)
{
	const sch_table *t = pl->p->table;
	/* virtual tables (system_views, system_virtual_schema) refuse the write itself */
	if (t->is_virtual)
		return perr(pl, HL_ERR_INVALID, "Modification is not supported by table %s.%s", t->ks,
			    t->name);
	if (pl->p->is_virtual)
		return perr(pl, HL_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.",
			    pl->p->table->ks);
	if (pl->p->table->view)
		return perr(pl, HL_ERR_INVALID, "Cannot directly modify a materialized view");
	return 0;
}

static int plan_insert(planner *pl, cql_insert *s)
{
	const sch_table *t;
	if (resolve_table(pl, &s->table, &t) < 0 || writable(pl) < 0)
		return -1;


	q_modify *m = hl_arena_zalloc(pl->a, sizeof *m);
	pl->p->mod = m;
	if (t->is_counter)
		return perr(pl, HL_ERR_INVALID, "INSERT statements are not allowed on counter tables, use "
			    "UPDATE instead");
	m->kind = Q_MOD_INSERT;
	m->pk = hl_arena_zalloc(pl->a, sizeof(q_restr *) * (size_t)(t->npk + 1));
	if (s->json) {
		/* the columns come with the value, at execution */
		m->json = true;
		m->default_unset = s->default_unset;
		m->json_value = s->json_value;
		m->if_not_exists = s->if_not_exists;
		spec_term(pl, s->json_value, "[json]", ty_simple(TY_TEXT));
		return plan_attrs(pl, m, &s->attrs);
	}
	m->assign = hl_arena_zalloc(pl->a, sizeof(q_assign) * (size_t)(s->ncols + 1));
	cql_term **pkv = hl_arena_zalloc(pl->a, sizeof(cql_term *) * (size_t)(t->npk + 1));
	bool *seen = hl_arena_zalloc(pl->a, (size_t)t->ncols + 1);
	int nregular = 0, nstatic = 0;
	if (t->nck > 32)
		return perr(pl, HL_ERR_INVALID, "Too many clustering columns");
	for (int i = 0; i < s->ncols; i++) {
		const sch_column *c = find_col(pl, s->cols[i]);
		if (!c)
			return -1;
		int ci = (int)(c - t->cols);
		if (seen[ci])
			return perr(pl, HL_ERR_INVALID, "Multiple definitions found for column %s", c->name);
		seen[ci] = true;
		spec_term(pl, s->values[i], c->name, c->type);
		if (c->kind == SCH_PARTITION_KEY) {
			pkv[c->position] = s->values[i];
			q_restr *r = hl_arena_zalloc(pl->a, sizeof *r);
			r->op = CQL_OP_EQ;
			r->ncols = 1;
			r->cols = hl_arena_alloc(pl->a, sizeof(*r->cols));
			r->cols[0] = c;
			r->value = s->values[i];
			m->pk[c->position] = r;
		} else if (c->kind == SCH_CLUSTERING) {
			m->insert_ck[c->position] = s->values[i];
		} else {
			m->assign[m->nassign].col = c;
			m->assign[m->nassign].value = s->values[i];
			m->nassign++;
			if (c->kind == SCH_STATIC)
				nstatic++;
			else
				nregular++;
		}
	}
	hl_buf miss;
	hl_buf_init(&miss);
	for (int i = 0; i < t->npk; i++)
		if (!pkv[i])
			hl_buf_printf(&miss, "%s%s", miss.len ? ", " : "", t->pk[i]->name);
	if (miss.len) {
		perr(pl, HL_ERR_INVALID, "Some partition key parts are missing: %.*s", (int)miss.len,
		     (const char *)miss.p);
		hl_buf_free(&miss);
		return -1;
	}
	int nck = 0;
	for (int i = 0; i < t->nck; i++)
		if (m->insert_ck[i])
			nck++;
		else
			hl_buf_printf(&miss, "%s%s", miss.len ? ", " : "", t->ck[i]->name);
	m->static_only = nck == 0 && nstatic > 0 && nregular == 0 && t->nck > 0;
	if (miss.len && !m->static_only) {
		perr(pl, HL_ERR_INVALID, "Some clustering keys are missing: %.*s", (int)miss.len,
		     (const char *)miss.p);
		hl_buf_free(&miss);
		return -1;
	}
	hl_buf_free(&miss);
	pk_indexes(pl, NULL, pkv);
	m->if_not_exists = s->if_not_exists;
	return plan_attrs(pl, m, &s->attrs);
}

/* Position of a UDT field by name, or -1. */
static int udt_field(const ty_type *t, const char *name)
{
	for (int i = 0; i < t->nsub; i++)
		if (t->field_names[i] && strcmp(t->field_names[i], name) == 0)
			return i;
	return -1;
}

/* IF conditions of UPDATE / DELETE: on a column, on one element of a list
 * or map (frozen or not), on one UDT field, with Cassandra 5.0's checks
 * (ColumnCondition.Raw.prepare) and marker names. */
static int plan_conds(planner *pl, q_modify *m, bool if_exists, int n, const cql_rel *conds)
{
	m->if_exists = if_exists;
	m->nconds = n;
	m->conds = hl_arena_zalloc(pl->a, sizeof(q_cond) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		const cql_rel *r = &conds[i];
		if (r->kind != CQL_REL_SINGLE && r->kind != CQL_REL_ELEMENT && r->kind != CQL_REL_FIELD)
			return perr(pl, HL_ERR_INVALID, "Unsupported condition");
		const sch_column *c = find_col(pl, r->cols[0]);
		if (!c)
			return -1;
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return perr(pl, HL_ERR_INVALID, "PRIMARY KEY column '%s' cannot have IF conditions",
				    c->name);
		switch (r->op) {
		case CQL_OP_EQ: case CQL_OP_NEQ: case CQL_OP_LT: case CQL_OP_LTE: case CQL_OP_GT:
		case CQL_OP_GTE: case CQL_OP_IN: case CQL_OP_CONTAINS: case CQL_OP_CONTAINS_KEY:
			break;
		default:
			return perr(pl, HL_ERR_INVALID, "Unsupported operator %s in condition on %s",
				    cql_op_str(r->op), c->name);
		}
		if (c->type->kind == TY_COUNTER)
			return perr(pl, HL_ERR_INVALID, "Conditions on counters are not supported");
		q_cond *qc = &m->conds[i];
		qc->col = c;
		qc->op = r->op;
		qc->value = r->value;
		qc->nvalues = r->nvalues;
		qc->values = r->values;
		qc->type = c->type;
		qc->kind = Q_COND_COLUMN;
		const ty_type *t0 = c->type;
		const char *vname = c->name;
		if (r->kind == CQL_REL_ELEMENT) {
			if (!ty_is_collection(t0))
				return perr(pl, HL_ERR_INVALID, "Invalid element access syntax for "
					    "non-collection column %s", c->name);
			if (t0->kind == TY_SET)
				return perr(pl, HL_ERR_INVALID, "Invalid element access syntax for set column %s",
					    c->name);
			bool list = t0->kind == TY_LIST;
			qc->kind = Q_COND_ELEMENT;
			qc->key = r->key;
			qc->type = list ? t0->sub[0] : t0->sub[1];
			spec_term(pl, r->key, hl_arena_printf(pl->a, "%s(%s)", list ? "idx" : "key", c->name),
				  list ? ty_simple(TY_INT) : t0->sub[0]);
			vname = hl_arena_printf(pl->a, "value(%s)", c->name);
		} else if (r->kind == CQL_REL_FIELD) {
			int f = t0->kind == TY_UDT ? udt_field(t0, r->field) : -1;
			if (f < 0)
				return perr(pl, HL_ERR_INVALID, "Unknown field %s for column %s", r->field,
					    c->name);
			qc->kind = Q_COND_FIELD;
			qc->field = f;
			qc->type = t0->sub[f];
			vname = hl_arena_printf(pl->a, "%s.%s", c->name, t0->field_names[f]);
		}
		if (r->op == CQL_OP_CONTAINS_KEY && qc->type->kind != TY_MAP)
			return perr(pl, HL_ERR_INVALID, "Cannot use CONTAINS KEY on non-map column %s", vname);
		if (r->op == CQL_OP_CONTAINS && !ty_is_collection(qc->type))
			return perr(pl, HL_ERR_INVALID, "Cannot use CONTAINS on non-collection column %s",
				    vname);
		if (r->op != CQL_OP_EQ && r->op != CQL_OP_NEQ && r->op != CQL_OP_IN && r->value &&
		    r->value->kind == CQL_TERM_LITERAL && r->value->lit.kind == TY_LIT_NULL)
			return perr(pl, HL_ERR_INVALID, "Invalid comparison with null for operator \"%s\"",
				    cql_op_str(r->op));
		const ty_type *vt = qc->type;
		if (r->op == CQL_OP_CONTAINS_KEY)
			vt = qc->type->sub[0];
		else if (r->op == CQL_OP_CONTAINS)
			vt = qc->type->kind == TY_MAP ? qc->type->sub[1] : qc->type->sub[0];
		qc->vtype = vt;
		if (r->op == CQL_OP_IN && r->value && r->value->kind == CQL_TERM_BIND)
			set_spec(pl, r->value->bind_index, r->value->bind_name ? r->value->bind_name :
				 hl_arena_printf(pl->a, "in(%s)", vname), ty_list(pl->a, vt, false));
		else
			spec_term(pl, r->value, vname, vt);
		for (int j = 0; j < r->nvalues; j++)
			spec_term(pl, r->values[j], vname, vt);
	}
	return 0;
}

static int plan_update(planner *pl, cql_update *s)
{
	const sch_table *t;
	if (resolve_table(pl, &s->table, &t) < 0 || writable(pl) < 0)
		return -1;
	q_modify *m = hl_arena_zalloc(pl->a, sizeof *m);
	pl->p->mod = m;
	m->kind = Q_MOD_UPDATE;
	if (plan_conds(pl, m, s->if_exists, s->nconds, s->conds) < 0)
		return -1;
	m->assign = hl_arena_zalloc(pl->a, sizeof(q_assign) * (size_t)(s->nassign + 1));
	int nstatic = 0;
	plan_attrs(pl, m, &s->attrs);
	for (int i = 0; i < s->nassign; i++) {
		const cql_assign *as = &s->assign[i];
		const sch_column *c = find_col(pl, as->col);
		if (!c)
			return -1;
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return perr(pl, HL_ERR_INVALID, "PRIMARY KEY part %s found in SET part", c->name);
		int op = Q_AS_SET;
		const ty_type *t0 = c->type;
		bool coll = q_is_coll_cells(t0);
		int field = -1;
		switch (as->kind) {
		case CQL_ASSIGN_SET:
			if (t0->kind == TY_COUNTER)
				return perr(pl, HL_ERR_INVALID, "Cannot set the value of counter column %s "
					    "(counters can only be incremented/decremented, not set)", c->name);
			break;
		case CQL_ASSIGN_ADD:
		case CQL_ASSIGN_SUB:
		case CQL_ASSIGN_PREPEND:
			if (t0->kind == TY_COUNTER && as->kind != CQL_ASSIGN_PREPEND) {
				op = Q_AS_COUNTER;
				break;
			}
			if (!coll)
				return perr(pl, HL_ERR_INVALID, "Invalid operation (%s = %s %c ?) for non "
					    "counter column %s", c->name, c->name,
					    as->kind == CQL_ASSIGN_SUB ? '-' : '+', c->name);
			if (as->kind == CQL_ASSIGN_PREPEND && t0->kind != TY_LIST)
				return perr(pl, HL_ERR_INVALID, "Invalid operation (%s = ? + %s) for non list "
					    "column %s", c->name, c->name, c->name);
			op = as->kind == CQL_ASSIGN_ADD ? Q_AS_ADD : as->kind == CQL_ASSIGN_SUB ? Q_AS_SUB
											 : Q_AS_PREPEND;
			if (as->kind == CQL_ASSIGN_SUB && t0->kind == TY_LIST) {
				op = Q_AS_LIST_REMOVE;
				m->list_rmw = true;
			}
			break;
		case CQL_ASSIGN_ELEMENT:
			if (coll && t0->kind == TY_MAP) {
				op = Q_AS_PUT;
				break;
			}
			if (coll && t0->kind == TY_LIST) {
				op = Q_AS_LIST_SET;
				m->list_rmw = true;
				break;
			}
			return perr(pl, HL_ERR_INVALID, "Invalid operation (%s[?] = ?) for non collection "
				    "column %s", c->name, c->name);
		case CQL_ASSIGN_FIELD:
			if (t0->kind != TY_UDT)
				return perr(pl, HL_ERR_INVALID, "Invalid operation (%s.%s = %s) for non-UDT "
					    "column %s", c->name, as->field, term_text(pl, as->value), c->name);
			if (t0->frozen)
				return perr(pl, HL_ERR_INVALID, "Invalid operation (%s.%s = %s) for frozen UDT "
					    "column %s", c->name, as->field, term_text(pl, as->value), c->name);
			field = udt_field(t0, as->field);
			if (field < 0)
				return perr(pl, HL_ERR_INVALID, "UDT column %s does not have a field named %s",
					    c->name, as->field);
			op = Q_AS_FIELD;
			break;
		default:
			return perr(pl, HL_ERR_INVALID, "Unsupported operation on column %s", c->name);
		}
		for (int j = 0; j < m->nassign; j++)
			if (m->assign[j].col == c && (op == Q_AS_SET || m->assign[j].op == Q_AS_SET ||
						      (op == Q_AS_FIELD && m->assign[j].field == field)))
				return perr(pl, HL_ERR_INVALID, "Multiple definitions found for column %s",
					    c->name);
		if (op == Q_AS_LIST_SET) {
			spec_term(pl, as->key, hl_arena_printf(pl->a, "idx(%s)", c->name), ty_simple(TY_INT));
			spec_term(pl, as->value, hl_arena_printf(pl->a, "value(%s)", c->name), t0->sub[0]);
		} else if (op == Q_AS_COUNTER) {
			if (m->nassign >= 64)
				return perr(pl, HL_ERR_INVALID, "Too many counter columns in one update");
			spec_term(pl, as->value, c->name, ty_simple(TY_BIGINT));
			m->counter = true;
			m->counter_sub[m->nassign] = as->kind == CQL_ASSIGN_SUB;
		} else if (op == Q_AS_PUT) {
			spec_term(pl, as->key, hl_arena_printf(pl->a, "key(%s)", c->name), t0->sub[0]);
			spec_term(pl, as->value, hl_arena_printf(pl->a, "value(%s)", c->name), t0->sub[1]);
		} else if (op == Q_AS_FIELD) {
			spec_term(pl, as->value, hl_arena_printf(pl->a, "%s.%s", c->name,
								 t0->field_names[field]), t0->sub[field]);
		} else if (op == Q_AS_SUB && t0->kind == TY_MAP) {
			spec_term(pl, as->value, c->name, ty_set(pl->a, t0->sub[0], true));
		} else {
			spec_term(pl, as->value, c->name, c->type);
		}
		m->assign[m->nassign].col = c;
		m->assign[m->nassign].value = as->value;
		m->assign[m->nassign].op = op;
		m->assign[m->nassign].key = as->key;
		m->assign[m->nassign].field = field;
		m->nassign++;
		nstatic += c->kind == SCH_STATIC;
	}
	m->static_only = nstatic == m->nassign && t->nck > 0;
	if (m->counter && m->timestamp)
		return perr(pl, HL_ERR_INVALID, "Cannot provide custom timestamp for counter updates");
	if (m->counter && m->ttl)
		return perr(pl, HL_ERR_INVALID, "Cannot provide custom TTL for counter updates");
	if (m->counter && (m->if_exists || m->nconds))
		return perr(pl, HL_ERR_INVALID, "Conditional updates are not supported on counter tables");
	if (key_restrictions(pl, m, s->nwhere, s->where, false) < 0)
		return -1;
	if (m->static_only && m->nck_restr)
		m->static_only = false;
	return 0;
}

static int plan_delete(planner *pl, cql_delete *s)
{
	const sch_table *t;
	if (resolve_table(pl, &s->table, &t) < 0 || writable(pl) < 0)
		return -1;
	q_modify *m = hl_arena_zalloc(pl->a, sizeof *m);
	pl->p->mod = m;
	m->kind = Q_MOD_DELETE;
	if (plan_conds(pl, m, s->if_exists, s->nconds, s->conds) < 0)
		return -1;
	m->assign = hl_arena_zalloc(pl->a, sizeof(q_assign) * (size_t)(s->ndel + 1));
	int nstatic = 0;
	for (int i = 0; i < s->ndel; i++) {
		const sch_column *c = find_col(pl, s->del[i].col);
		if (!c)
			return -1;
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return perr(pl, HL_ERR_INVALID, "Invalid identifier %s for deletion (should not be "
				    "a PRIMARY KEY part)", c->name);
		m->assign[m->nassign].field = -1;
		if (s->del[i].field) {
			if (c->type->kind != TY_UDT)
				return perr(pl, HL_ERR_INVALID, "Invalid field deletion operation for non-UDT "
					    "column %s", c->name);
			if (c->type->frozen)
				return perr(pl, HL_ERR_INVALID, "Frozen UDT column %s does not support field "
					    "deletions", c->name);
			int f = udt_field(c->type, s->del[i].field);
			if (f < 0)
				return perr(pl, HL_ERR_INVALID, "UDT column %s does not have a field named %s",
					    c->name, s->del[i].field);
			m->assign[m->nassign].op = Q_AS_DEL_FIELD;
			m->assign[m->nassign].field = f;
		}
		if (s->del[i].key) {
			if (!q_is_coll_cells(c->type) || c->type->kind == TY_SET)
				return perr(pl, HL_ERR_INVALID, "Invalid operation (DELETE %s[?]): %s is not a "
					    "non-frozen map or list", c->name, c->name);
			if (c->type->kind == TY_LIST) {
				spec_term(pl, s->del[i].key, hl_arena_printf(pl->a, "idx(%s)", c->name),
					  ty_simple(TY_INT));
				m->assign[m->nassign].op = Q_AS_LIST_DEL;
				m->list_rmw = true;
			} else {
				spec_term(pl, s->del[i].key, hl_arena_printf(pl->a, "key(%s)", c->name),
					  c->type->sub[0]);
				m->assign[m->nassign].op = Q_AS_DEL_KEY;
			}
			m->assign[m->nassign].key = s->del[i].key;
		}
		m->assign[m->nassign++].col = c;
		nstatic += c->kind == SCH_STATIC;
	}
	m->static_only = s->ndel > 0 && nstatic == s->ndel && t->nck > 0;
	if (s->attrs.ttl)
		return perr(pl, HL_ERR_INVALID, "TTL attributes are not supported on DELETE statements");
	plan_attrs(pl, m, &s->attrs);
	if (key_restrictions(pl, m, s->nwhere, s->where, true) < 0)
		return -1;
	if (m->nassign && !m->static_only) {
		int covered = 0;
		for (int i = 0; i < m->nck_restr; i++) {
			if (is_slice(m->ck[i]->op))
				return perr(pl, HL_ERR_INVALID, "Range deletions are not supported for specific "
					    "columns");
			covered = m->ck[i]->cols[0]->position + m->ck[i]->ncols;
		}
		if (covered < t->nck)
			return perr(pl, HL_ERR_INVALID, "Some clustering keys are missing: %s",
				    t->ck[covered]->name);
	}
	return 0;
}

/* ------------------------------------------------------------ entry */

static int plan_inner(qry_exec *x, cql_stmt *st, hl_arena *a, q_plan **out, hl_err *err,
		      bool top);

int q_plan_stmt(qry_exec *x, cql_stmt *st, hl_arena *a, q_plan **out, hl_err *err)
{
	return plan_inner(x, st, a, out, err, true);
}

static int plan_inner(qry_exec *x, cql_stmt *st, hl_arena *a, q_plan **out, hl_err *err,
		      bool top)
{
	planner pl = { x, a, NULL, err };
	q_plan *p = hl_arena_zalloc(a, sizeof *p);
	pl.p = p;
	p->stmt = st;
	p->bind.ncols = st->nbind;
	p->bind.cols = hl_arena_zalloc(a, sizeof(qry_colspec) * (size_t)(st->nbind + 1));
	p->result.no_metadata = false;
	int rc = 0;
	switch (st->kind) {
	case CQL_STMT_SELECT:
		rc = plan_select(&pl, &st->select);
		break;
	case CQL_STMT_INSERT:
		rc = plan_insert(&pl, &st->insert);
		break;
	case CQL_STMT_UPDATE:
		rc = plan_update(&pl, &st->update);
		break;
	case CQL_STMT_DELETE:
		rc = plan_delete(&pl, &st->del);
		break;
	case CQL_STMT_BATCH: {
		cql_batch *b = &st->batch;
		p->nbatch = b->nstmts;
		p->batch = hl_arena_zalloc(a, sizeof(q_plan *) * (size_t)(b->nstmts + 1));
		for (int i = 0; i < b->nstmts; i++) {
			cql_stmt *sub = b->stmts[i];
			/* markers are numbered batch-wide: plan each with the whole table */
			sub->nbind = st->nbind;
			if (plan_inner(x, sub, a, &p->batch[i], err, false) < 0)
				return -1;
			q_modify *bm = p->batch[i]->mod;
			if (bm && bm->counter && b->type != CQL_BATCH_COUNTER)
				return perr(&pl, HL_ERR_INVALID, "Cannot include a counter statement in a "
					    "logged batch");
			if (bm && !bm->counter && b->type == CQL_BATCH_COUNTER)
				return perr(&pl, HL_ERR_INVALID, "Cannot include non-counter statement in a "
					    "counter batch");

			if (b->attrs.timestamp && p->batch[i]->mod->timestamp)
				return perr(&pl, HL_ERR_INVALID, "Timestamp must be set either on BATCH or "
					    "individual statements");
			for (int j = 0; j < st->nbind; j++)
				if (p->batch[i]->bind.cols[j].type)
					p->bind.cols[j] = p->batch[i]->bind.cols[j];
		}
		spec_term(&pl, b->attrs.timestamp, "[timestamp]", ty_simple(TY_BIGINT));
		break;
	}
	default:
		break;
	}
	if (rc < 0)
		return -1;
	if (top && (st->kind == CQL_STMT_SELECT || st->kind == CQL_STMT_INSERT || st->kind == CQL_STMT_UPDATE ||
	     st->kind == CQL_STMT_DELETE || st->kind == CQL_STMT_BATCH) && check_binds(&pl) < 0)
		return -1;
	*out = p;
	return 0;
}
