/*
 * Schema statements: translates the parsed DDL into the schema module's
 * definitions, applies them to the registry (which publishes a new snapshot
 * and schema version) and answers SCHEMA_CHANGE, or VOID for IF [NOT] EXISTS
 * no-ops. Also USE, TRUNCATE and DESCRIBE.
 */
#include <string.h>

#include "query/q_int.h"

static void lit_text(qry_exec *x, const ty_lit *l, const char **out)
{
	*out = hl_arena_strndup(x->a, l->text ? l->text : "", l->text ? l->len : 0);
}

static const sch_option *conv_props(qry_exec *x, const cql_props *pr)
{
	sch_option *o = hl_arena_zalloc(x->a, sizeof(sch_option) * (size_t)(pr->n + 1));
	for (int i = 0; i < pr->n; i++) {
		const cql_prop *p = &pr->p[i];
		o[i].name = p->name;
		if (p->is_map) {
			o[i].kind = SCH_OPT_MAP;
			sch_kv *kv = hl_arena_zalloc(x->a, sizeof(sch_kv) * (size_t)(p->nentries + 1));
			for (int j = 0; j < p->nentries; j++) {
				lit_text(x, &p->keys[j], &kv[j].key);
				lit_text(x, &p->vals[j], &kv[j].value);
				kv[j].vlen = strlen(kv[j].value);
			}
			o[i].nmap = p->nentries;
			o[i].map = kv;
			continue;
		}
		switch (p->value.kind) {
		case TY_LIT_INTEGER:
		case TY_LIT_FLOAT:
			o[i].kind = SCH_OPT_NUMBER;
			break;
		case TY_LIT_BOOLEAN:
			o[i].kind = SCH_OPT_BOOL;
			break;
		default:
			o[i].kind = SCH_OPT_STRING;
			break;
		}
		lit_text(x, &p->value, &o[i].str);
	}
	return o;
}

static sch_column_def *conv_cols(qry_exec *x, int n, const cql_coldef *c)
{
	sch_column_def *d = hl_arena_zalloc(x->a, sizeof(sch_column_def) * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		d[i].name = c[i].name;
		d[i].type_text = c[i].type;
		d[i].is_static = c[i].is_static;
	}
	return d;
}

static int need_ks(qry_exec *x, const cql_qname *n, const char **ks)
{
	*ks = q_ks_of(x, n);
	if (!*ks)
		return hl_errf(&x->err, HL_ERR_INVALID, "No keyspace has been specified. USE a keyspace, "
			       "or explicitly specify keyspace.tablename");
	return 0;
}

static int schema_change(qry_exec *x, const sch_change *chg)
{
	/* warnings raised before the result (guardrails, CREATE MATERIALIZED VIEW's) stay */
	int nw = x->res.nwarnings;
	const char *w[4];
	memcpy(w, x->res.warnings, sizeof w);
	q_result_start(x);
	x->res.nwarnings = nw;
	memcpy(x->res.warnings, w, sizeof w);
	x->has_res = true;
	x->done = true;
	if (!chg->changed) {
		x->res.kind = QRY_RESULT_VOID;
		return QRY_DONE;
	}
	x->res.kind = QRY_RESULT_SCHEMA_CHANGE;
	x->res.change_type = hl_arena_strdup(x->a, chg->change_type);
	x->res.target = hl_arena_strdup(x->a, chg->target);
	x->res.sc_keyspace = hl_arena_strdup(x->a, chg->ks);
	x->res.sc_name = chg->name ? hl_arena_strdup(x->a, chg->name) : NULL;
	return QRY_DONE;
}

static int truncate_done(qry_exec *x)
{
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->status < 0) {
			x->err = x->ops[i]->err;
			return -1;
		}
	q_result_start(x);
	x->res.kind = QRY_RESULT_VOID;
	x->has_res = true;
	x->done = true;
	return QRY_DONE;
}

/* DESCRIBE: rows of text columns in the system keyspace's name space. */
static int describe(qry_exec *x, const cql_describe *d)
{
	static const struct { cql_describe_kind c; sch_desc_kind s; } map[] = {
		{ CQL_DESC_KEYSPACES, SCH_DESC_KEYSPACES }, { CQL_DESC_TABLES, SCH_DESC_TABLES },
		{ CQL_DESC_TYPES, SCH_DESC_TYPES }, { CQL_DESC_FUNCTIONS, SCH_DESC_FUNCTIONS },
		{ CQL_DESC_AGGREGATES, SCH_DESC_AGGREGATES }, { CQL_DESC_KEYSPACE, SCH_DESC_KEYSPACE },
		{ CQL_DESC_TABLE, SCH_DESC_TABLE }, { CQL_DESC_TYPE, SCH_DESC_TYPE },
		{ CQL_DESC_INDEX, SCH_DESC_INDEX }, { CQL_DESC_VIEW, SCH_DESC_VIEW },
		{ CQL_DESC_FUNCTION, SCH_DESC_FUNCTION }, { CQL_DESC_AGGREGATE, SCH_DESC_AGGREGATE },
		{ CQL_DESC_SCHEMA, SCH_DESC_SCHEMA }, { CQL_DESC_GENERIC, SCH_DESC_GENERIC },
	};
	q_result_start(x);
	x->res.kind = QRY_RESULT_ROWS;
	x->has_res = true;
	x->done = true;
	if (d->what == CQL_DESC_CLUSTER) {
		const char *cl, *pa, *sn;
		sch_describe_cluster(x->sh->node->cluster_name, x->sh->node->partitioner, "SimpleSnitch",
				     &cl, &pa, &sn);
		static const char *names[] = { "cluster", "partitioner", "snitch" };
		qry_colspec *cs = hl_arena_zalloc(x->a, sizeof(qry_colspec) * 3);
		for (int i = 0; i < 3; i++) {
			cs[i].ks = "system";
			cs[i].table = "describe";
			cs[i].name = names[i];
			cs[i].type = ty_simple(TY_TEXT);
		}
		x->res.meta.ncols = 3;
		x->res.meta.cols = cs;
		hl_buf_pbytes(&x->res.rows, cl, (int32_t)strlen(cl));
		hl_buf_pbytes(&x->res.rows, pa, (int32_t)strlen(pa));
		hl_buf_pbytes(&x->res.rows, sn, (int32_t)strlen(sn));
		x->res.nrows = 1;
		return QRY_DONE;
	}
	sch_desc_req req = { 0 };
	req.kind = SCH_DESC_GENERIC;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].c == d->what)
			req.kind = map[i].s;
	if (d->what == CQL_DESC_SCHEMA && d->full)
		req.kind = SCH_DESC_FULL_SCHEMA;
	if (d->what == CQL_DESC_KEYSPACE && d->only)
		req.kind = SCH_DESC_ONLY_KEYSPACE;
	req.ks = d->name.ks;
	req.name = d->name.name;
	if (d->what == CQL_DESC_KEYSPACE) {
		req.ks = d->name.name ? d->name.name : x->keyspace;
		req.name = NULL;
		if (!req.ks)
			return hl_errf(&x->err, HL_ERR_INVALID, "No keyspace specified and no current "
				       "keyspace");
	}
	req.session_ks = x->keyspace;
	req.with_internals = d->internals;
	sch_desc_result dr;
	if (sch_describe(q_schema(x), &req, x->a, &dr, &x->err) < 0)
		return -1;
	static const char *names[] = { "keyspace_name", "type", "name", "create_statement" };
	qry_colspec *cs = hl_arena_zalloc(x->a, sizeof(qry_colspec) * 4);
	for (int i = 0; i < dr.ncols && i < 4; i++) {
		cs[i].ks = "system";
		cs[i].table = "describe";
		cs[i].name = names[i];
		cs[i].type = ty_simple(TY_TEXT);
	}
	x->res.meta.ncols = dr.ncols;
	x->res.meta.cols = cs;
	for (int r = 0; r < dr.nrows; r++) {
		const char *v[4] = { dr.rows[r].keyspace_name, dr.rows[r].type, dr.rows[r].name,
				     dr.rows[r].create_statement };
		for (int i = 0; i < dr.ncols && i < 4; i++)
			hl_buf_pbytes(&x->res.rows, v[i], v[i] ? (int32_t)strlen(v[i]) : -1);
	}
	x->res.nrows = dr.nrows;
	return QRY_DONE;
}

/* ------------------------------------------------------------ view WHERE */

/* A term as Cassandra prints it back (Term.Raw's text); -1 for terms other
 * than constants and collections / tuples of constants. */
static int view_term_text(hl_buf *b, const cql_term *t)
{
	switch (t->kind) {
	case CQL_TERM_LITERAL:
		if (t->lit.kind == TY_LIT_NULL) {
			hl_buf_str(b, "null");
		} else if (t->lit.kind == TY_LIT_STRING) {
			hl_buf_str(b, "'");
			for (size_t i = 0; i < t->lit.len; i++) {
				if (t->lit.text[i] == '\'')
					hl_buf_str(b, "'");
				hl_buf_put(b, &t->lit.text[i], 1);
			}
			hl_buf_str(b, "'");
		} else {
			hl_buf_put(b, t->lit.text, t->lit.len);
		}
		return 0;
	case CQL_TERM_LIST: case CQL_TERM_SET: case CQL_TERM_TUPLE: case CQL_TERM_MAP:
		hl_buf_str(b, t->kind == CQL_TERM_LIST ? "[" : t->kind == CQL_TERM_TUPLE ? "(" : "{");
		for (int i = 0; i < t->n; i++) {
			if (i)
				hl_buf_str(b, ", ");
			if (t->kind == CQL_TERM_MAP) {
				if (view_term_text(b, t->keys[i]) < 0)
					return -1;
				hl_buf_str(b, ": ");
			}
			if (view_term_text(b, t->items[i]) < 0)
				return -1;
		}
		hl_buf_str(b, t->kind == CQL_TERM_LIST ? "]" : t->kind == CQL_TERM_TUPLE ? ")" : "}");
		return 0;
	default:
		return -1;
	}
}

/*
 * A view's WHERE relations: their text as Cassandra stores it in
 * system_schema.views.where_clause, and their own errors, which the schema
 * raises where Cassandra's CreateViewStatement checks the restrictions.
 * Cassandra checks them as a SELECT ... ALLOW FILTERING of the base (minus
 * the IS NOT NULL relations), so the planner checks them here too; the view
 * maintenance (view.c) evaluates single-column =, IN and slices of
 * constants on base primary-key columns, and the rest is refused.
 */
static void view_where(qry_exec *x, const cql_create_view *c, const char *ks, sch_view_rel *w,
		       hl_err *werr)
{
	const sch_table *base = sch_find_table(q_schema(x), ks, c->base.name);
	int nrest = 0;
	cql_rel *rest = hl_arena_zalloc(x->a, sizeof *rest * (size_t)(c->nwhere + 1));
	for (int i = 0; i < c->nwhere; i++) {
		const cql_rel *r = &c->where[i];
		if (r->kind == CQL_REL_SINGLE && r->op == CQL_OP_IS_NOT_NULL)
			continue;
		if (r->kind != CQL_REL_TOKEN)
			rest[nrest++] = *r;
		if (r->kind != CQL_REL_SINGLE || !r->ncols)
			continue;
		hl_buf b;
		hl_buf_init(&b);
		sch_put_ident(&b, r->cols[0]);
		hl_buf_str(&b, " ");
		hl_buf_str(&b, cql_op_str(r->op));
		hl_buf_str(&b, r->op == CQL_OP_IN ? " (" : " ");
		int ok = 0;
		if (r->op == CQL_OP_IN) {
			for (int j = 0; j < r->nvalues && ok == 0; j++) {
				if (j)
					hl_buf_str(&b, ", ");
				ok = view_term_text(&b, r->values[j]);
			}
			hl_buf_str(&b, ")");
		} else if (r->value) {
			ok = view_term_text(&b, r->value);
		}
		w[i].text = hl_arena_strndup(x->a, (const char *)b.p, b.len);
		hl_buf_free(&b);
		const sch_column *col = base ? sch_find_column(base, r->cols[0]) : NULL;
		bool key = col && (col->kind == SCH_PARTITION_KEY || col->kind == SCH_CLUSTERING);
		if (key && ok < 0 && !werr->code)
			hl_errf(werr, HL_ERR_INVALID, "Only constant values are supported in the WHERE "
				"clause of a materialized view (got %s)", w[i].text);
	}
	if (!base || base->view || base->is_counter || nrest == 0 || werr->code)
		return;
	/* the restrictions as SELECT * FROM base WHERE ... ALLOW FILTERING */
	cql_stmt *st = hl_arena_zalloc(x->a, sizeof *st);
	st->kind = CQL_STMT_SELECT;
	st->select.star = true;
	st->select.table.ks = ks;
	st->select.table.name = c->base.name;
	st->select.nwhere = nrest;
	st->select.where = rest;
	st->select.allow_filtering = true;
	q_plan *plan;
	hl_err e;
	hl_err_clear(&e);
	if (q_plan_stmt(x, st, x->a, &plan, &e) < 0) {
		*werr = e;
		return;
	}
	for (int i = 0; i < nrest; i++) {
		const cql_rel *r = &rest[i];
		const sch_column *col = r->ncols ? sch_find_column(base, r->cols[0]) : NULL;
		if (!col || (col->kind != SCH_PARTITION_KEY && col->kind != SCH_CLUSTERING))
			continue;   /* non-key columns: the schema's own message */
		bool slice = r->op == CQL_OP_EQ || r->op == CQL_OP_LT || r->op == CQL_OP_LTE ||
			     r->op == CQL_OP_GT || r->op == CQL_OP_GTE || r->op == CQL_OP_IN;
		if (r->kind != CQL_REL_SINGLE || !slice) {
			hl_errf(werr, HL_ERR_INVALID, "Only =, IN, <, <=, > and >= relations on single "
				"columns are supported in the WHERE clause of a materialized view");
			return;
		}
		/* the constants must be values of the column's type */
		int nv = r->op == CQL_OP_IN ? r->nvalues : 1;
		for (int j = 0; j < nv; j++) {
			const cql_term *t = r->op == CQL_OP_IN ? r->values[j] : r->value;
			if (!t || t->kind != CQL_TERM_LITERAL || t->lit.kind == TY_LIT_NULL) {
				hl_errf(werr, HL_ERR_INVALID, "Only constant values are supported in the WHERE "
					"clause of a materialized view");
				return;
			}
			hl_buf vb;
			hl_buf_init(&vb);
			int rc = ty_from_literal(col->type, &t->lit, col->name, &vb, werr);
			hl_buf_free(&vb);
			if (rc < 0)
				return;
		}
	}
}

int q_ddl(qry_exec *x, cql_stmt *st)
{
	sch_ddl d;
	sch_change chg;
	memset(&d, 0, sizeof d);
	memset(&chg, 0, sizeof chg);
	const char *ks = NULL;
	switch (st->kind) {
	case CQL_STMT_USE: {
		const char *name = st->use.name.name;
		if (!sch_find_keyspace(q_schema(x), name))
			return hl_errf(&x->err, HL_ERR_INVALID, "Keyspace '%s' does not exist", name);
		q_result_start(x);
		x->res.kind = QRY_RESULT_SET_KEYSPACE;
		x->res.keyspace = hl_arena_strdup(x->a, name);
		x->has_res = true;
		x->done = true;
		return QRY_DONE;
	}
	case CQL_STMT_DESCRIBE:
		return describe(x, &st->describe);
	case CQL_STMT_TRUNCATE: {
		if (need_ks(x, &st->truncate.name, &ks) < 0)
			return -1;
		const sch_table *t = sch_find_table(q_schema(x), ks, st->truncate.name.name);
		if (!sch_find_keyspace(q_schema(x), ks))
			return hl_errf(&x->err, HL_ERR_INVALID, "keyspace %s does not exist", ks);
		if (!t)
			return hl_errf(&x->err, HL_ERR_INVALID, "table %s does not exist",
				       st->truncate.name.name);
		if (t->is_virtual)
			return hl_errf(&x->err, HL_ERR_TRUNCATE, "Error during truncate: Truncation is not "
				       "supported by table %s.%s", t->ks, t->name);
		if (sch_is_system_keyspace(ks))
			return hl_errf(&x->err, HL_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", ks);
		if (t->view)
			return hl_errf(&x->err, HL_ERR_INVALID, "Cannot TRUNCATE materialized view directly; must "
				       "truncate base table instead");
		if (q_guard_truncate(x, ks) < 0)
			return -1;
		x->nops = 0;
		int64_t at_ms = hl_now_micros() / 1000;
		/* a base table's views are truncated with it, as in Cassandra */
		const sch_table *tabs[65];
		tabs[0] = t;
		int ntabs = 1 + sch_views_of(q_schema(x), t, tabs + 1, 64);
		if (ntabs > 65)
			ntabs = 65;
		for (int i = 0; i < ntabs; i++)
			for (int s = 0; s < x->sh->nshards; s++) {
				qry_op *op = q_new_op(x, QRY_OP_TRUNCATE, s);
				if (!op)
					return -1;
				op->table = tabs[i]->id;
				op->at_ms = at_ms;
			}
		return q_pending(x, truncate_done);
	}
	case CQL_STMT_CREATE_KEYSPACE:
	case CQL_STMT_ALTER_KEYSPACE:
		d.kind = st->kind == CQL_STMT_CREATE_KEYSPACE ? SCH_DDL_CREATE_KEYSPACE
							      : SCH_DDL_ALTER_KEYSPACE;
		d.if_exists = st->keyspace.if_not_exists || st->keyspace.if_exists;
		d.ks = st->keyspace.name;
		d.keyspace.name = st->keyspace.name;
		d.keyspace.nopts = st->keyspace.props.n;
		d.keyspace.opts = conv_props(x, &st->keyspace.props);
		break;
	case CQL_STMT_DROP_KEYSPACE:
		d.kind = SCH_DDL_DROP_KEYSPACE;
		d.if_exists = st->drop.if_exists;
		d.ks = st->drop.name.name;
		break;
	case CQL_STMT_CREATE_TABLE: {
		cql_create_table *c = &st->create_table;
		if (need_ks(x, &c->name, &ks) < 0)
			return -1;
		d.kind = SCH_DDL_CREATE_TABLE;
		d.if_exists = c->if_not_exists;
		d.ks = ks;
		d.name = c->name.name;
		d.table.ks = ks;
		d.table.name = c->name.name;
		d.table.ncols = c->ncols;
		d.table.cols = conv_cols(x, c->ncols, c->cols);
		d.table.npk = c->npk;
		d.table.pk = c->pk;
		d.table.nck = c->nck;
		d.table.ck = c->ck;
		d.table.norder = c->norder;
		d.table.order_cols = c->order_cols;
		d.table.order_desc = c->order_desc;
		d.table.nopts = c->props.n;
		d.table.opts = conv_props(x, &c->props);
		d.table.compact_storage = c->compact_storage;
		break;
	}
	case CQL_STMT_ALTER_TABLE: {
		cql_alter_table *a = &st->alter_table;
		if (need_ks(x, &a->name, &ks) < 0)
			return -1;
		d.ks = ks;
		d.name = a->name.name;
		d.if_exists = a->if_exists;
		d.if_column_exists = a->col_if;
		switch (a->op) {
		case CQL_ALTER_ADD:
			d.kind = SCH_DDL_ALTER_TABLE_ADD;
			d.ncols = a->ncols;
			d.cols = conv_cols(x, a->ncols, a->cols);
			break;
		case CQL_ALTER_DROP: {
			d.kind = SCH_DDL_ALTER_TABLE_DROP;
			d.ncols = a->ncols;
			const char **names = hl_arena_alloc(x->a, sizeof(char *) * (size_t)(a->ncols + 1));
			for (int i = 0; i < a->ncols; i++)
				names[i] = a->cols[i].name;
			d.names = names;
			if (a->drop_timestamp) {
				int64_t v;
				bool set;
				if (q_eval_int(x, a->drop_timestamp, "timestamp", &v, &set) < 0)
					return -1;
				d.has_timestamp = set;
				d.timestamp = v;
			}
			break;
		}
		case CQL_ALTER_RENAME:
			d.kind = SCH_DDL_ALTER_TABLE_RENAME;
			d.ncols = a->nrenames;
			d.names = a->from;
			d.new_names = a->to;
			break;
		case CQL_ALTER_WITH:
			d.kind = SCH_DDL_ALTER_TABLE_WITH;
			d.nopts = a->props.n;
			d.opts = conv_props(x, &a->props);
			break;
		case CQL_ALTER_TYPE:
			return hl_errf(&x->err, HL_ERR_INVALID, "Altering column types is no longer "
				       "supported");
		default:
			return hl_errf(&x->err, HL_ERR_INVALID, "This ALTER TABLE form is not supported");
		}
		break;
	}
	case CQL_STMT_DROP_TABLE:
	case CQL_STMT_DROP_TYPE:
	case CQL_STMT_DROP_INDEX:
	case CQL_STMT_DROP_VIEW:
		if (need_ks(x, &st->drop.name, &ks) < 0)
			return -1;
		d.kind = st->kind == CQL_STMT_DROP_TABLE ? SCH_DDL_DROP_TABLE
			 : st->kind == CQL_STMT_DROP_TYPE ? SCH_DDL_DROP_TYPE
			 : st->kind == CQL_STMT_DROP_INDEX ? SCH_DDL_DROP_INDEX : SCH_DDL_DROP_VIEW;
		d.if_exists = st->drop.if_exists;
		d.ks = ks;
		d.name = st->drop.name.name;
		break;
	case CQL_STMT_CREATE_TYPE: {
		cql_create_type *c = &st->create_type;
		if (need_ks(x, &c->name, &ks) < 0)
			return -1;
		d.kind = SCH_DDL_CREATE_TYPE;
		d.if_exists = c->if_not_exists;
		d.ks = ks;
		d.name = c->name.name;
		d.type.ks = ks;
		d.type.name = c->name.name;
		d.type.nfields = c->nfields;
		const char **fn = hl_arena_alloc(x->a, sizeof(char *) * (size_t)(c->nfields + 1));
		const char **ft = hl_arena_alloc(x->a, sizeof(char *) * (size_t)(c->nfields + 1));
		for (int i = 0; i < c->nfields; i++) {
			fn[i] = c->fields[i].name;
			ft[i] = c->fields[i].type;
		}
		d.type.field_names = fn;
		d.type.field_types = ft;
		break;
	}
	case CQL_STMT_ALTER_TYPE: {
		cql_alter_type *t = &st->alter_type;
		if (need_ks(x, &t->name, &ks) < 0)
			return -1;
		d.ks = ks;
		d.name = t->name.name;
		d.if_exists = t->if_exists;
		d.if_column_exists = t->field_if;
		switch (t->op) {
		case CQL_ALTER_TYPE_ADD: {
			sch_column_def *f = hl_arena_zalloc(x->a, sizeof *f);
			f->name = t->field.name;
			f->type_text = t->field.type;
			d.kind = SCH_DDL_ALTER_TYPE_ADD;
			d.ncols = 1;
			d.cols = f;
			break;
		}
		case CQL_ALTER_TYPE_RENAME:
			d.kind = SCH_DDL_ALTER_TYPE_RENAME;
			d.ncols = t->nrenames;
			d.names = t->from;
			d.new_names = t->to;
			break;
		default:
			d.kind = SCH_DDL_ALTER_TYPE_ALTER;
		}
		break;
	}
	case CQL_STMT_CREATE_INDEX: {
		cql_create_index *c = &st->create_index;
		if (need_ks(x, &c->table, &ks) < 0)
			return -1;
		if (c->ntargets != 1)
			return hl_errf(&x->err, HL_ERR_INVALID, "Only CUSTOM indexes support multiple "
				       "columns");
		d.kind = SCH_DDL_CREATE_INDEX;
		d.if_exists = c->if_not_exists;
		d.ks = ks;
		d.name = c->name;
		d.index.ks = ks;
		d.index.table = c->table.name;
		d.index.name = c->name;
		d.index.column = c->targets[0].col;
		d.index.target = (sch_index_target)c->targets[0].kind;
		d.index.custom_class = c->using_class;
		break;
	}
	case CQL_STMT_CREATE_VIEW: {
		cql_create_view *c = &st->create_view;
		if (st->nbind > 0)
			return hl_errf(&x->err, HL_ERR_INVALID, "Bind variables are not allowed in CREATE "
				       "MATERIALIZED VIEW statements");
		if (need_ks(x, &c->name, &ks) < 0)
			return -1;
		d.kind = SCH_DDL_CREATE_VIEW;
		d.if_exists = c->if_not_exists;
		d.ks = ks;
		d.name = c->name.name;
		sch_view_def *v = &d.view;
		v->ks = ks;
		v->name = c->name.name;
		v->base = c->base.name;
		v->star = c->star;
		const char **sel = hl_arena_zalloc(x->a, sizeof(char *) * (size_t)(c->nsel + 1));
		for (int i = 0; i < c->nsel; i++) {
			const cql_sel *e = c->sel[i].expr;
			if (c->sel[i].alias && !v->sel_alias) {
				v->sel_alias = true;
				v->sel_bad = e && e->kind == CQL_SEL_COLUMN ? e->name : "";
			}
			if ((!e || e->kind != CQL_SEL_COLUMN) && !v->sel_not_column) {
				v->sel_not_column = true;
				v->sel_bad = e && e->fn_name ? e->fn_name : "";
			}
			sel[i] = e && e->kind == CQL_SEL_COLUMN ? e->name : "";
		}
		v->nsel = c->nsel;
		v->sel = sel;
		sch_view_rel *w = hl_arena_zalloc(x->a, sizeof *w * (size_t)(c->nwhere + 1));
		for (int i = 0; i < c->nwhere; i++) {
			const cql_rel *r = &c->where[i];
			if (r->kind == CQL_REL_TOKEN)
				v->where_token = true;
			w[i].col = r->ncols ? r->cols[0] : "";
			w[i].is_not_null = r->kind == CQL_REL_SINGLE && r->op == CQL_OP_IS_NOT_NULL;
		}
		hl_err *werr = hl_arena_zalloc(x->a, sizeof *werr);
		view_where(x, c, ks, w, werr);
		v->where_err = werr;
		v->nwhere = c->nwhere;
		v->where = w;
		v->npk = c->npk;
		v->pk = c->pk;
		v->nck = c->nck;
		v->ck = c->ck;
		v->norder = c->norder;
		v->order_cols = c->order_cols;
		v->order_desc = c->order_desc;
		v->nopts = c->props.n;
		v->opts = conv_props(x, &c->props);
		if (sch_registry_apply(x->sh->reg, &d, &chg, &x->err) < 0)
			return -1;
		if (!chg.changed)
			return schema_change(x, &chg);
		q_warn(x, "Materialized views are experimental and are not recommended for production use.");
		/* the view is published (new writes maintain it): now copy what the
		 * base already holds, before the CREATE is answered */
		return q_view_build(x, ks, c->name.name, &chg, schema_change);
	}
	case CQL_STMT_ALTER_VIEW:
		if (need_ks(x, &st->drop.name, &ks) < 0)
			return -1;
		d.kind = SCH_DDL_ALTER_VIEW;
		d.if_exists = st->drop.if_exists;
		d.ks = ks;
		d.name = st->drop.name.name;
		d.nopts = st->drop.props.n;
		d.opts = conv_props(x, &st->drop.props);
		break;
	case CQL_STMT_UNSUPPORTED:
		return hl_errf(&x->err, HL_ERR_INVALID, "%s statements are not supported yet",
			       st->unsupported ? st->unsupported : "These");
	default:
		return hl_errf(&x->err, HL_ERR_INVALID, "%s statements are not supported yet",
			       cql_stmt_kind_str(st->kind));
	}
	if (q_guard_ddl(x, &d) < 0 || sch_registry_apply(x->sh->reg, &d, &chg, &x->err) < 0)
		return -1;
	return schema_change(x, &chg);
}
