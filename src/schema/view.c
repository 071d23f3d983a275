/*
 * schema/view.c: materialized view DDL (CREATE / ALTER / DROP MATERIALIZED
 * VIEW) with Cassandra 5.0's validation order and messages, and the view
 * side of base-table changes (ADD to SELECT * views, primary-key RENAME).
 *
 * A view is an sch_table in its keyspace's tables[] carrying an sch_view:
 * its columns are copies of the base columns it selects, with its own
 * primary key, column ids and table params, so the storage engine, SELECT
 * and paging need nothing special for it.
 */
#include <stdio.h>
#include <string.h>

#include "schema/sch_int.h"

enum { DDL_CHANGED = 0, DDL_NOOP = 1, DDL_ERR = -1 };

static int name_in(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static bool refs_duration(const ty_type *t)
{
	if (t->kind == TY_DURATION)
		return true;
	for (int i = 0; i < t->nsub; i++)
		if (refs_duration(t->sub[i]))
			return true;
	return false;
}

static bool has_opt(const sch_view_def *def, const char *name)
{
	for (int i = 0; i < def->nopts; i++)
		if (!strcmp(def->opts[i].name, name))
			return true;
	return false;
}

/* The WHERE clause as Cassandra prints it: the relations in their order,
 * " AND " between them ("k IS NOT NULL AND c IS NOT NULL AND c IN (1, 2)"),
 * identifiers quoted when needed. */
static const char *where_text(hl_arena *a, int n, const sch_view_rel *rels, const char *const *cols)
{
	hl_buf b;
	hl_buf_init(&b);
	for (int i = 0; i < n; i++) {
		if (i)
			hl_buf_str(&b, " AND ");
		if (rels[i].text) {
			hl_buf_str(&b, rels[i].text);
			continue;
		}
		sch_put_ident(&b, cols[i]);
		hl_buf_str(&b, " IS NOT NULL");
	}
	const char *s = hl_arena_strndup(a, (const char *)b.p, b.len);
	hl_buf_free(&b);
	return s;
}

int sch__create_view(sch_schema *s, const sch_view_def *def, bool if_not_exists,
		     const sch_registry_config *cfg, int64_t now, hl_err *err)
{
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_table *base, *t;
	int i, j;

	if (!cfg || !cfg->views_enabled)
		return hl_errf(err, HL_ERR_INVALID, "Materialized views are disabled. Enable in cassandra.yaml to use.");
	if (!strcmp(def->ks, "system_virtual_schema") || !strcmp(def->ks, "system_views"))
		return hl_errf(err, HL_ERR_INVALID, "Virtual keyspace '%s' is not user-modifiable", def->ks);
	if (!strcmp(def->ks, "system") || !strcmp(def->ks, "system_schema"))
		return hl_errf(err, HL_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", def->ks);
	k = sch__find_ks(s, def->ks);
	if (!k)
		return hl_errf(err, HL_ERR_INVALID, "Keyspace '%s' doesn't exist", def->ks);
	base = sch__find_table(k, def->base);
	if (!base || base->view) {
		/* a view named as base: Cassandra looks among tables only, except
		 * for the "against other materialized views" check below */
		if (!base)
			return hl_errf(err, HL_ERR_INVALID, "Base table '%s' doesn't exist", def->base);
	}
	t = sch__find_table(k, def->name);
	if (t && !t->view)
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot create materialized view '%s' - a table with the same name already exists",
			       def->name);
	if (t) {
		if (if_not_exists)
			return DDL_NOOP;
		hl_errf(err, HL_ERR_ALREADY_EXISTS, "Cannot add already existing table \"%s\" to keyspace \"%s\"",
			def->name, def->ks);
		snprintf(err->ks, sizeof err->ks, "%s", def->ks);
		snprintf(err->table, sizeof err->table, "%s", def->name);
		return DDL_ERR;
	}
	if (base->is_counter)
		return hl_errf(err, HL_ERR_INVALID, "Materialized views are not supported on counter tables");
	if (base->view)
		return hl_errf(err, HL_ERR_INVALID, "Materialized views cannot be created against other materialized views");
	if (base->params.gc_grace_seconds == 0)
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot create materialized view '%s' for base table '%s' with gc_grace_seconds of 0, "
			       "since this value is used to TTL undelivered updates. Setting gc_grace_seconds too low "
			       "might cause undelivered updates to expire before being replayed.",
			       def->name, def->base);

	/* SELECT clause */
	if (def->sel_alias)
		return hl_errf(err, HL_ERR_INVALID, "Cannot use aliases when defining a materialized view (got %s)",
			       def->sel_bad ? def->sel_bad : "");
	if (def->sel_not_column)
		return hl_errf(err, HL_ERR_INVALID,
			       "Can only select columns by name when defining a materialized view (got %s)",
			       def->sel_bad ? def->sel_bad : "");
	int nsel = def->star ? base->ncols : def->nsel;
	const sch_column **sel = hl_arena_zalloc(a, sizeof *sel * (size_t)(nsel + 1));
	int ns = 0;
	for (i = 0; i < nsel; i++) {
		const sch_column *c = def->star ? &base->cols[i] : sch_find_column(base, def->sel[i]);
		if (!c)
			return hl_errf(err, HL_ERR_INVALID, "Undefined column name %s in table %s.%s", def->sel[i],
				       base->ks, base->name);
		for (j = 0; j < ns; j++)
			if (sel[j] == c)
				break;
		if (j == ns)
			sel[ns++] = c;
	}
	for (i = 0; i < ns; i++)
		if (sel[i]->kind == SCH_STATIC)
			return hl_errf(err, HL_ERR_INVALID, "Cannot include static column '%s' in materialized view '%s'",
				       sel[i]->name, def->name);

	/* PRIMARY KEY and CLUSTERING ORDER BY */
	if (def->npk == 0)
		return hl_errf(err, HL_ERR_INVALID, "Must provide at least one partition key column for materialized view '%s'",
			       def->name);
	int nkey = def->npk + def->nck;
	for (i = 0; i < nkey; i++) {
		const char *name = i < def->npk ? def->pk[i] : def->ck[i - def->npk];
		const sch_column *c = sch_find_column(base, name);
		for (j = 0; c && j < ns; j++)
			if (sel[j] == c)
				break;
		if (!c || j == ns)
			return hl_errf(err, HL_ERR_INVALID,
				       "Unknown column '%s' referenced in PRIMARY KEY for materialized view '%s'", name,
				       def->name);
		for (j = 0; j < i; j++)
			if (!strcmp(j < def->npk ? def->pk[j] : def->ck[j - def->npk], name))
				return hl_errf(err, HL_ERR_INVALID,
					       "Duplicate column '%s' in PRIMARY KEY clause for materialized view '%s'",
					       name, def->name);
		if (sch_type_is_multicell(c->type)) {
			const char *tn = ty_name(c->type, a);
			if (ty_is_collection(c->type))
				return hl_errf(err, HL_ERR_INVALID,
					       "Invalid non-frozen collection type '%s' for PRIMARY KEY column '%s'", tn, name);
			return hl_errf(err, HL_ERR_INVALID,
				       "Invalid non-frozen user-defined type '%s' for PRIMARY KEY column '%s'", tn, name);
		}
		if (c->type->kind == TY_COUNTER)
			return hl_errf(err, HL_ERR_INVALID, "counter type is not supported for PRIMARY KEY column '%s'", name);
		if (refs_duration(c->type))
			return hl_errf(err, HL_ERR_INVALID, "duration type is not supported for PRIMARY KEY column '%s'", name);
	}
	if (def->norder) {
		bool same = def->norder == def->nck;
		for (i = 0; same && i < def->nck; i++)
			same = !strcmp(def->order_cols[i], def->ck[i]);
		if (!same)
			return hl_errf(err, HL_ERR_INVALID,
				       "Clustering key columns must exactly match columns in CLUSTERING ORDER BY directive");
	}
	hl_buf miss;
	hl_buf_init(&miss);
	for (i = 0; i < base->ncols; i++) {
		const sch_column *c = &base->cols[i];
		if (c->kind != SCH_PARTITION_KEY && c->kind != SCH_CLUSTERING)
			continue;
		if (name_in(def->pk, def->npk, c->name) >= 0 || name_in(def->ck, def->nck, c->name) >= 0)
			continue;
		if (miss.len)
			hl_buf_str(&miss, ", ");
		hl_buf_str(&miss, c->name);
	}
	if (miss.len) {
		hl_errf(err, HL_ERR_INVALID, "Cannot create materialized view '%s' without primary key columns %.*s "
			"from base table '%s'", def->name, (int)miss.len, (const char *)miss.p, def->base);
		hl_buf_free(&miss);
		return DDL_ERR;
	}
	hl_buf_free(&miss);
	const char *nonpk[64];
	int nnonpk = 0;
	for (i = 0; i < nkey && nnonpk < 64; i++) {
		const char *name = i < def->npk ? def->pk[i] : def->ck[i - def->npk];
		const sch_column *c = sch_find_column(base, name);
		if (c->kind != SCH_PARTITION_KEY && c->kind != SCH_CLUSTERING)
			nonpk[nnonpk++] = name;
	}
	if (nnonpk > 1) {
		hl_buf b;
		hl_buf_init(&b);
		for (i = 0; i < nnonpk; i++) {
			if (i)
				hl_buf_str(&b, ", ");
			hl_buf_str(&b, nonpk[i]);
		}
		hl_errf(err, HL_ERR_INVALID, "Cannot include more than one non-primary key column in materialized "
			"view primary key (got %.*s)", (int)b.len, (const char *)b.p);
		hl_buf_free(&b);
		return DDL_ERR;
	}

	/* WHERE clause: every view key column IS NOT NULL */
	if (def->where_token)
		return hl_errf(err, HL_ERR_INVALID, "Cannot use token relation when defining a materialized view");
	const char **wcols = hl_arena_zalloc(a, sizeof *wcols * (size_t)(def->nwhere + 1));
	for (i = 0; i < def->nwhere; i++) {
		const sch_column *c = sch_find_column(base, def->where[i].col);
		if (!c)
			return hl_errf(err, HL_ERR_INVALID, "Undefined column name %s in table %s.%s",
				       def->where[i].col, base->ks, base->name);
		wcols[i] = c->name;
	}
	/* the restrictions themselves (literal types, conflicting relations),
	 * checked by the caller with SELECT's rules as Cassandra does */
	if (def->where_err && def->where_err->code) {
		*err = *def->where_err;
		return DDL_ERR;
	}
	hl_buf unr;
	hl_buf_init(&unr);
	for (i = 0; i < nkey; i++) {
		const char *name = i < def->npk ? def->pk[i] : def->ck[i - def->npk];
		if (name_in(wcols, def->nwhere, name) >= 0)
			continue;
		if (unr.len)
			hl_buf_str(&unr, ", ");
		hl_buf_str(&unr, name);
	}
	if (unr.len) {
		hl_errf(err, HL_ERR_INVALID, "Primary key columns %.*s must be restricted with 'IS NOT NULL' or otherwise",
			(int)unr.len, (const char *)unr.p);
		hl_buf_free(&unr);
		return DDL_ERR;
	}
	hl_buf_free(&unr);
	for (i = 0; i < def->nwhere; i++) {
		const sch_column *c = sch_find_column(base, def->where[i].col);
		bool key = c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING;
		if (!def->where[i].is_not_null && !key)
			return hl_errf(err, HL_ERR_INVALID, "Non-primary key columns can only be restricted with 'IS NOT "
				       "NULL' (got: %s restricted illegally)", c->name);
	}
	if (has_opt(def, "default_time_to_live"))
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot set default_time_to_live for a materialized view. Data in a materialized view "
			       "always expire at the same time than the corresponding data in the parent table.");

	/* build it as a table from the base's column types */
	sch_table_def td;
	memset(&td, 0, sizeof td);
	td.ks = def->ks;
	td.name = def->name;
	sch_column_def *cd = hl_arena_zalloc(a, sizeof *cd * (size_t)(ns + 1));
	for (i = 0; i < ns; i++) {
		cd[i].name = sel[i]->name;
		cd[i].type = sel[i]->type;
	}
	td.ncols = ns;
	td.cols = cd;
	td.npk = def->npk;
	td.pk = def->pk;
	td.nck = def->nck;
	td.ck = def->ck;
	/* without CLUSTERING ORDER a column keeps the base's order (its type
	 * stays reversed in Cassandra) */
	bool *desc = hl_arena_zalloc(a, sizeof *desc * (size_t)(def->nck + 1));
	for (i = 0; i < def->nck; i++) {
		const sch_column *c = sch_find_column(base, def->ck[i]);
		desc[i] = def->norder ? def->order_desc[i] : c->order == SCH_ORDER_DESC;
	}
	td.norder = def->nck;
	td.order_cols = def->ck;
	td.order_desc = desc;
	td.nopts = def->nopts;
	td.opts = def->opts;
	if (sch__build_table(s, k, &td, cfg, now, false, &t, err))
		return DDL_ERR;
	sch_view *v = hl_arena_zalloc(a, sizeof *v);
	v->base_id = base->id;
	v->base = base->name;
	v->where = where_text(a, def->nwhere, def->where, wcols);
	v->include_all = def->star;
	t->view = v;
	sch__add_table(a, k, t);
	return DDL_CHANGED;
}

static sch_table *find_view(sch_schema *s, const char *ks, const char *name, sch_keyspace **kout)
{
	sch_keyspace *k = sch__find_ks(s, ks);
	sch_table *t = k ? sch__find_table(k, name) : NULL;
	*kout = k;
	return t && t->view ? t : NULL;
}

int sch__alter_view(sch_schema *s, const char *ks, const char *name, bool if_exists, int nopts,
		    const sch_option *opts, hl_err *err)
{
	sch_keyspace *k;
	sch_table *t = find_view(s, ks, name, &k);
	sch_params p;

	if (!t) {
		if (if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Materialized view '%s.%s' doesn't exist", ks, name);
	}
	p = t->params;
	if (sch__params_apply(s->a, &p, opts, nopts, true, NULL, NULL, err))
		return DDL_ERR;
	if (p.gc_grace_seconds == 0)
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot alter gc_grace_seconds of a materialized view to 0, since this value is used to "
			       "TTL undelivered updates. Setting gc_grace_seconds too low might cause undelivered "
			       "updates to expire before being replayed.");
	if (p.default_time_to_live > 0)
		return hl_errf(err, HL_ERR_INVALID,
			       "Forbidden default_time_to_live detected for a materialized view. Data in a materialized "
			       "view always expire at the same time than the corresponding data in the parent table. "
			       "default_time_to_live must be set to zero, see CASSANDRA-12868 for more information");
	t->params = p;
	return DDL_CHANGED;
}

int sch__drop_view(sch_schema *s, const char *ks, const char *name, bool if_exists, hl_err *err)
{
	sch_keyspace *k;
	sch_table *t = find_view(s, ks, name, &k);

	if (!t) {
		if (if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Materialized view '%s.%s' doesn't exist", ks, name);
	}
	for (int i = 0; i < k->ntables; i++)
		if (k->tables[i] == t) {
			memmove(k->tables + i, k->tables + i + 1, sizeof *k->tables * (size_t)(k->ntables - i - 1));
			k->ntables--;
			break;
		}
	return DDL_CHANGED;
}

/* ALTER TABLE base ADD: SELECT * views get the new regular column too. */
void sch__views_add_column(sch_schema *s, sch_keyspace *k, const sch_table *base, const sch_column *c)
{
	if (c->kind != SCH_REGULAR)
		return;
	for (int i = 0; i < k->ntables; i++) {
		sch_table *v = k->tables[i];
		if (!v->view || !v->view->include_all || memcmp(v->view->base_id.b, base->id.b, 16) ||
		    sch_find_column(v, c->name))
			continue;
		sch_column *cols = hl_arena_alloc(s->a, sizeof *cols * (size_t)(v->ncols + 1));
		memcpy(cols, v->cols, sizeof *cols * (size_t)v->ncols);
		cols[v->ncols] = *c;
		cols[v->ncols].id = v->next_column_id++;
		v->cols = cols;
		v->ncols++;
		sch__sort_columns(s->a, v);
	}
}

/*
 * A copy of a stored WHERE clause with column `from` renamed to `to`. The
 * text is "rel AND rel ...", each relation starting with its column name
 * (bare or double-quoted); literals are single-quoted, so " AND " outside
 * quotes only separates relations.
 */
static const char *rename_where(hl_arena *a, const char *w, const char *from, const char *to)
{
	hl_buf b;
	hl_buf_init(&b);
	const char *p = w;
	while (*p) {
		/* the relation's column */
		char name[512];
		size_t nl = 0;
		if (*p == '"') {
			p++;
			while (*p && nl + 1 < sizeof name) {
				if (*p == '"' && p[1] == '"') {
					name[nl++] = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					name[nl++] = *p++;
				}
			}
		} else {
			while (*p && *p != ' ' && nl + 1 < sizeof name)
				name[nl++] = *p++;
		}
		name[nl] = 0;
		sch_put_ident(&b, strcmp(name, from) ? name : to);
		/* the rest of the relation, up to " AND " outside quotes */
		char q = 0;
		while (*p) {
			if (q) {
				if (*p == q && p[1] == q) {
					hl_buf_put(&b, p, 2);
					p += 2;
					continue;
				}
				if (*p == q)
					q = 0;
			} else if (*p == '\'' || *p == '"') {
				q = *p;
			} else if (!strncmp(p, " AND ", 5)) {
				hl_buf_str(&b, " AND ");
				p += 5;
				break;
			}
			hl_buf_put(&b, p, 1);
			p++;
		}
	}
	const char *s = hl_arena_strndup(a, (const char *)b.p, b.len);
	hl_buf_free(&b);
	return s;
}

/* ALTER TABLE base RENAME pk TO x: the views' column and WHERE follow. */
void sch__views_rename(sch_schema *s, sch_keyspace *k, const sch_table *base, const char *from,
		       const char *to)
{
	for (int i = 0; i < k->ntables; i++) {
		sch_table *v = k->tables[i];
		if (!v->view || memcmp(v->view->base_id.b, base->id.b, 16))
			continue;
		int ci = sch_column_index(v, from);
		if (ci >= 0) {
			v->cols[ci].name = hl_arena_strdup(s->a, to);
			sch__sort_columns(s->a, v);
		}
		/* the WHERE clause: rename the column each relation starts with */
		const char *nw = rename_where(s->a, v->view->where, from, to);
		sch_view *nv = hl_arena_memdup(s->a, v->view, sizeof *nv);
		nv->where = nw;
		v->view = nv;
	}
}
