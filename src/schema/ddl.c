/*
 * schema/ddl.c: applying DDL to a snapshot copy. Validation order and
 * messages follow Cassandra 5.0's schema statements (CreateKeyspaceStatement,
 * CreateTableStatement, AlterTableStatement, CreateTypeStatement,
 * CreateIndexStatement and their Drop counterparts).
 *
 * Every function works on a private copy of the current snapshot; on error
 * or when nothing changed the copy is simply freed.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema/sch_int.h"

/* Outcome of one step: changed, no-op (IF [NOT] EXISTS), error. */
enum { DDL_CHANGED = 0, DDL_NOOP = 1, DDL_ERR = -1 };

static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > SCH_NAME_LENGTH)
		return false;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static bool is_virtual_ks(const char *ks)
{
	return !strcmp(ks, "system_virtual_schema") || !strcmp(ks, "system_views");
}

/* ClientState.preventSystemKSSchemaModification + the virtual keyspace check. */
static int check_modifiable(const char *ks, hl_err *err)
{
	if (is_virtual_ks(ks))
		return hl_errf(err, HL_ERR_INVALID, "Virtual keyspace '%s' is not user-modifiable", ks);
	if (!strcmp(ks, "system") || !strcmp(ks, "system_schema"))
		return hl_errf(err, HL_ERR_UNAUTHORIZED, "%s keyspace is not user-modifiable.", ks);
	return 0;
}

static int already_exists(hl_err *err, const char *ks, const char *table)
{
	if (table)
		hl_errf(err, HL_ERR_ALREADY_EXISTS, "Cannot add already existing table \"%s\" to keyspace \"%s\"",
			table, ks);
	else
		hl_errf(err, HL_ERR_ALREADY_EXISTS, "Cannot add existing keyspace \"%s\"", ks);
	snprintf(err->ks, sizeof err->ks, "%s", ks);
	snprintf(err->table, sizeof err->table, "%s", table ? table : "");
	return DDL_ERR;
}

static const char *type_str(const ty_type *t, hl_arena *a)
{
	return ty_name(t, a);
}

static bool refs_duration(const ty_type *t)
{
	int i;

	if (t->kind == TY_DURATION)
		return true;
	for (i = 0; i < t->nsub; i++)
		if (refs_duration(t->sub[i]))
			return true;
	return false;
}

static bool refs_udt(const ty_type *t, const char *ks, const char *name)
{
	int i;

	if (t->kind == TY_UDT && t->udt_name && !strcmp(t->udt_name, name) &&
	    (!t->udt_ks || !t->udt_ks[0] || !strcmp(t->udt_ks, ks)))
		return true;
	for (i = 0; i < t->nsub; i++)
		if (refs_udt(t->sub[i], ks, name))
			return true;
	return false;
}

static int resolve_type(sch_schema *s, const char *ks, const sch_column_def *c, const ty_type **out,
			hl_err *err)
{
	if (c->type) {
		*out = sch__type_copy(s->a, c->type);
		return 0;
	}
	if (!c->type_text)
		return hl_errf(err, HL_ERR_INVALID, "Missing type for column %s", c->name);
	return ty_parse(c->type_text, strlen(c->type_text), s->a, sch__resolve_udt, s, ks, out, err);
}

/* ---------------------------------------------------------------- keyspaces */

static int ks_options(sch_schema *s, const sch_keyspace_def *def, const sch_registry_config *cfg,
		      const sch_option **repl, bool *has_dw, bool *dw, hl_err *err)
{
	int i;

	*repl = NULL;
	*has_dw = false;
	for (i = 0; i < def->nopts; i++) {
		const sch_option *o = &def->opts[i];

		if (!strcmp(o->name, "replication")) {
			if (o->kind != SCH_OPT_MAP)
				return hl_errf(err, HL_ERR_SYNTAX,
					       "Invalid value for property 'replication'. It should be a map.");
			*repl = o;
		} else if (!strcmp(o->name, "durable_writes")) {
			if (o->kind == SCH_OPT_MAP || !o->str)
				return hl_errf(err, HL_ERR_SYNTAX,
					       "Invalid value for property 'durable_writes'. It should be a string");
			if (!strcasecmp(o->str, "true") || !strcasecmp(o->str, "yes") || !strcmp(o->str, "1"))
				*dw = true;
			else if (!strcasecmp(o->str, "false") || !strcasecmp(o->str, "no") || !strcmp(o->str, "0"))
				*dw = false;
			else
				return hl_errf(err, HL_ERR_SYNTAX,
					       "Invalid boolean value %s for 'durable_writes'. Positive values can be 'true', 'yes' or '1'. "
					       "Negative values can be 'false', 'no' or '0'.", o->str);
			*has_dw = true;
		} else if (!strcmp(o->name, "graph_engine")) {
			/* DSE property: Cassandra ignores it with a warning */
		} else {
			return hl_errf(err, HL_ERR_SYNTAX, "Unknown property '%s'", o->name);
		}
	}
	(void)s;
	(void)cfg;
	return 0;
}

static int create_keyspace(sch_schema *s, const sch_ddl *d, const sch_registry_config *cfg,
			   hl_err *err)
{
	const sch_keyspace_def *def = &d->keyspace;
	const sch_option *repl;
	bool has_dw, dw = true;
	sch_keyspace *k;

	if (is_virtual_ks(def->name))
		return check_modifiable(def->name, err);
	if (ks_options(s, def, cfg, &repl, &has_dw, &dw, err))
		return DDL_ERR;
	if (!repl)
		return hl_errf(err, HL_ERR_INVALID, "Missing mandatory option 'replication'");
	if (sch__find_ks(s, def->name)) {
		if (d->if_exists)
			return DDL_NOOP;
		return already_exists(err, def->name, NULL);
	}
	if (!valid_name(def->name))
		return hl_errf(err, HL_ERR_CONFIG,
			       "Keyspace name must not be empty, more than %d characters long, or contain non-alphanumeric-underscore characters (got \"%s\")",
			       SCH_NAME_LENGTH, def->name);
	k = hl_arena_zalloc(s->a, sizeof *k);
	k->name = hl_arena_strdup(s->a, def->name);
	k->cls = SCH_KS_USER;
	k->durable_writes = dw;
	if (sch__replication(s->a, repl, cfg, def->name, &k->strategy, &k->replication, err))
		return DDL_ERR;
	sch__add_keyspace(s, k);
	return DDL_CHANGED;
}

static int alter_keyspace(sch_schema *s, const sch_ddl *d, const sch_registry_config *cfg,
			  hl_err *err)
{
	const sch_keyspace_def *def = &d->keyspace;
	const sch_option *repl;
	bool has_dw, dw = true;
	sch_keyspace *k;

	if (check_modifiable(def->name, err))
		return DDL_ERR;
	if (ks_options(s, def, cfg, &repl, &has_dw, &dw, err))
		return DDL_ERR;
	k = sch__find_ks(s, def->name);
	if (!k) {
		if (d->if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Keyspace '%s' doesn't exist", def->name);
	}
	if (repl && sch__replication(s->a, repl, cfg, def->name, &k->strategy, &k->replication, err))
		return DDL_ERR;
	if (has_dw)
		k->durable_writes = dw;
	return DDL_CHANGED;
}

static int drop_keyspace(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	const char *name = d->ks ? d->ks : d->keyspace.name;
	int i;

	if (check_modifiable(name, err))
		return DDL_ERR;
	for (i = 0; i < s->nks; i++)
		if (!strcmp(s->ks[i]->name, name)) {
			memmove(s->ks + i, s->ks + i + 1, sizeof *s->ks * (size_t)(s->nks - i - 1));
			s->nks--;
			return DDL_CHANGED;
		}
	if (d->if_exists)
		return DDL_NOOP;
	return hl_errf(err, HL_ERR_INVALID, "Keyspace '%s' doesn't exist", name);
}

/* ---------------------------------------------------------------- tables */

static int find_name(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int sch__build_table(sch_schema *s, sch_keyspace *k, const sch_table_def *def,
		     const sch_registry_config *cfg, int64_t now_micros, bool system,
		     sch_table **out, hl_err *err)
{
	hl_arena *a = s->a;
	const ty_type **types;
	sch_table *t;
	bool has_counter = false, has_id = false;
	int i, j, n = 0, next_id = 0;

	(void)cfg;
	for (i = 0; i < def->ncols; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(def->cols[i].name, def->cols[j].name))
				return hl_errf(err, HL_ERR_INVALID, "Duplicate column '%s' declaration for table '%s'",
					       def->cols[i].name, def->name);
	if (def->npk == 0)
		return hl_errf(err, HL_ERR_INVALID, "No PRIMARY KEY specifed for table '%s' (exactly one required)",
			       def->name);
	if (def->compact_storage)
		return hl_errf(err, HL_ERR_INVALID,
			       "Compact tables are not allowed in Cassandra starting with 4.0 version.");
	t = hl_arena_zalloc(a, sizeof *t);
	t->ks = k->name;
	t->name = hl_arena_strdup(a, def->name);
	sch__params_default(&t->params);
	if (sch__params_apply(a, &t->params, def->opts, def->nopts, false, &has_id, &t->id, err))
		return DDL_ERR;

	types = hl_arena_zalloc(a, sizeof *types * (size_t)(def->ncols ? def->ncols : 1));
	for (i = 0; i < def->ncols; i++) {
		if (resolve_type(s, k->name, &def->cols[i], &types[i], err))
			return DDL_ERR;
		if (types[i]->kind == TY_UDT && !types[i]->frozen)
			for (j = 0; j < types[i]->nsub; j++)
				if (sch_type_is_multicell(types[i]->sub[j]))
					return hl_errf(err, HL_ERR_INVALID,
						       "Non-frozen UDTs with nested non-frozen collections are not supported");
		if (types[i]->kind == TY_COUNTER)
			has_counter = true;
	}

	/* PRIMARY KEY columns */
	for (i = 0; i < def->npk + def->nck; i++) {
		const char *c = i < def->npk ? def->pk[i] : def->ck[i - def->npk];
		int ci = -1;
		const ty_type *ty;

		for (j = 0; j < def->ncols; j++)
			if (!strcmp(def->cols[j].name, c))
				ci = j;
		if (ci < 0)
			return hl_errf(err, HL_ERR_INVALID,
				       "Unknown column '%s' referenced in PRIMARY KEY for table '%s'", c, def->name);
		for (j = 0; j < i; j++)
			if (!strcmp(j < def->npk ? def->pk[j] : def->ck[j - def->npk], c))
				return hl_errf(err, HL_ERR_INVALID,
					       "Duplicate column '%s' in PRIMARY KEY clause for table '%s'", c, def->name);
		ty = types[ci];
		if (sch_type_is_multicell(ty)) {
			if (ty_is_collection(ty))
				return hl_errf(err, HL_ERR_INVALID,
					       "Invalid non-frozen collection type %s for PRIMARY KEY column '%s'",
					       type_str(ty, a), c);
			return hl_errf(err, HL_ERR_INVALID,
				       "Invalid non-frozen user-defined type %s for PRIMARY KEY column '%s'",
				       type_str(ty, a), c);
		}
		if (ty->kind == TY_COUNTER)
			return hl_errf(err, HL_ERR_INVALID, "counter type is not supported for PRIMARY KEY column '%s'", c);
		if (refs_duration(ty))
			return hl_errf(err, HL_ERR_INVALID, "duration type is not supported for PRIMARY KEY column '%s'", c);
		if (def->cols[ci].is_static)
			return hl_errf(err, HL_ERR_INVALID, "Static column '%s' cannot be part of the PRIMARY KEY", c);
	}

	/* CLUSTERING ORDER BY */
	for (i = 0; i < def->norder; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(def->order_cols[i], def->order_cols[j]))
				return hl_errf(err, HL_ERR_INVALID,
					       "Duplicate column '%s' in CLUSTERING ORDER BY clause for table '%s'",
					       def->order_cols[i], def->name);
	if (def->norder > def->nck)
		return hl_errf(err, HL_ERR_INVALID, "Only clustering columns can be defined in CLUSTERING ORDER directive");
	for (i = 0; i < def->norder; i++) {
		const char *c = def->ck[i];

		if (strcmp(def->order_cols[i], c)) {
			if (find_name(def->order_cols, def->norder, c) >= 0)
				return hl_errf(err, HL_ERR_INVALID,
					       "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (%s must appear before %s)",
					       c, def->order_cols[i]);
			return hl_errf(err, HL_ERR_INVALID, "Missing CLUSTERING ORDER for column %s", c);
		}
	}

	if (def->nck == 0)
		for (i = 0; i < def->ncols; i++)
			if (def->cols[i].is_static)
				return hl_errf(err, HL_ERR_INVALID,
					       "Static columns are only useful (and thus allowed) if the table has at least one clustering column");

	if (has_counter) {
		for (i = 0; i < def->ncols; i++)
			if (find_name(def->pk, def->npk, def->cols[i].name) < 0 &&
			    find_name(def->ck, def->nck, def->cols[i].name) < 0 && types[i]->kind != TY_COUNTER)
				return hl_errf(err, HL_ERR_INVALID, "Cannot mix counter and non counter columns in the same table");
		if (t->params.default_time_to_live > 0)
			return hl_errf(err, HL_ERR_INVALID, "Cannot set default_time_to_live on a table with counters");
	}

	if (!system && !valid_name(def->name))
		return hl_errf(err, HL_ERR_CONFIG,
			       "%s.%s: Table name must not be empty, more than %d characters long, or contain non-alphanumeric-underscore characters (got \"%s\")",
			       k->name, def->name, SCH_NAME_LENGTH, def->name);

	t->is_counter = has_counter;
	t->ncols = def->ncols;
	t->cols = hl_arena_zalloc(a, sizeof *t->cols * (size_t)(def->ncols ? def->ncols : 1));
	/* ids: partition key, clustering, then the others in definition order */
	for (i = 0; i < def->npk; i++) {
		sch_column *c = &t->cols[n++];

		c->name = hl_arena_strdup(a, def->pk[i]);
		c->kind = SCH_PARTITION_KEY;
		c->position = i;
		c->order = SCH_ORDER_NONE;
		c->id = next_id++;
		for (j = 0; j < def->ncols; j++)
			if (!strcmp(def->cols[j].name, def->pk[i]))
				c->type = types[j];
	}
	for (i = 0; i < def->nck; i++) {
		sch_column *c = &t->cols[n++];

		c->name = hl_arena_strdup(a, def->ck[i]);
		c->kind = SCH_CLUSTERING;
		c->position = i;
		c->order = i < def->norder && def->order_desc[i] ? SCH_ORDER_DESC : SCH_ORDER_ASC;
		c->id = next_id++;
		for (j = 0; j < def->ncols; j++)
			if (!strcmp(def->cols[j].name, def->ck[i]))
				c->type = types[j];
	}
	for (i = 0; i < def->ncols; i++) {
		sch_column *c;

		if (find_name(def->pk, def->npk, def->cols[i].name) >= 0 ||
		    find_name(def->ck, def->nck, def->cols[i].name) >= 0)
			continue;
		c = &t->cols[n++];
		c->name = hl_arena_strdup(a, def->cols[i].name);
		c->kind = def->cols[i].is_static ? SCH_STATIC : SCH_REGULAR;
		c->position = -1;
		c->order = SCH_ORDER_NONE;
		c->type = types[i];
		c->id = next_id++;
	}
	t->next_column_id = next_id;
	if (!has_id)
		hl_uuid_time(now_micros, &t->id);
	t->dropped = hl_arena_zalloc(a, sizeof *t->dropped);
	t->indexes = hl_arena_zalloc(a, sizeof *t->indexes);
	sch__sort_columns(a, t);
	*out = t;
	return 0;
}

static int get_ks(sch_schema *s, const char *ks, bool if_exists, sch_keyspace **k, hl_err *err)
{
	if (check_modifiable(ks, err))
		return DDL_ERR;
	*k = sch__find_ks(s, ks);
	if (!*k) {
		if (if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Keyspace '%s' doesn't exist", ks);
	}
	return 0;
}

static int get_table(sch_schema *s, const char *ks, const char *name, bool if_exists,
		     sch_keyspace **k, sch_table **t, hl_err *err)
{
	if (check_modifiable(ks, err))
		return DDL_ERR;
	*k = sch__find_ks(s, ks);
	*t = *k ? sch__find_table(*k, name) : NULL;
	if (!*t) {
		if (if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Table '%s.%s' doesn't exist", ks, name);
	}
	return 0;
}

/* ALTER TABLE names a view: Cassandra points at ALTER MATERIALIZED VIEW. */
static int not_view(const sch_table *t, hl_err *err)
{
	if (t->view)
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot use ALTER TABLE on a materialized view; use ALTER MATERIALIZED VIEW instead");
	return 0;
}

static bool has_views(const sch_keyspace *k, const sch_table *t)
{
	for (int i = 0; i < k->ntables; i++)
		if (k->tables[i]->view && !memcmp(k->tables[i]->view->base_id.b, t->id.b, 16))
			return true;
	return false;
}

static int create_table(sch_schema *s, const sch_ddl *d, const sch_registry_config *cfg,
			int64_t now, hl_err *err)
{
	const sch_table_def *def = &d->table;
	sch_keyspace *k;
	sch_table *t;
	int i, j, rc;

	/* parse-time checks come before any schema lookup, as in Cassandra */
	for (i = 0; i < def->ncols; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(def->cols[i].name, def->cols[j].name))
				return hl_errf(err, HL_ERR_INVALID, "Duplicate column '%s' declaration for table '%s'",
					       def->cols[i].name, def->name);
	if (def->npk == 0)
		return hl_errf(err, HL_ERR_INVALID, "No PRIMARY KEY specifed for table '%s' (exactly one required)",
			       def->name);
	if ((rc = get_ks(s, def->ks, false, &k, err)))
		return rc;
	if (sch__find_table(k, def->name)) {
		if (d->if_exists)
			return DDL_NOOP;
		return already_exists(err, def->ks, def->name);
	}
	if (sch__build_table(s, k, def, cfg, now, false, &t, err))
		return DDL_ERR;
	sch__add_table(s->a, k, t);
	return DDL_CHANGED;
}

static int drop_table(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	sch_keyspace *k;
	sch_table *t;
	int i, rc;

	if ((rc = get_table(s, d->ks, d->name, d->if_exists, &k, &t, err)))
		return rc;
	if (t->view)
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot use DROP TABLE on a materialized view. Please use DROP MATERIALIZED VIEW instead.");
	/* Cassandra's message names the keyspace where the view names would go */
	if (has_views(k, t))
		return hl_errf(err, HL_ERR_INVALID, "Cannot drop a table when materialized views still depend on it (%s)",
			       k->name);
	for (i = 0; i < k->ntables; i++)
		if (k->tables[i] == t) {
			memmove(k->tables + i, k->tables + i + 1, sizeof *k->tables * (size_t)(k->ntables - i - 1));
			k->ntables--;
			break;
		}
	return DDL_CHANGED;
}

/* The column an index target names: "c", "values(c)", "\"C\"", ... */
static const char *index_target_column(hl_arena *a, const sch_index *ix)
{
	const char *t = sch_map_get(&ix->options, "target");
	const char *p, *e;
	char *out, *o;

	if (!t)
		return NULL;
	p = strchr(t, '(');
	p = p ? p + 1 : t;
	e = p + strlen(p);
	if (e > p && e[-1] == ')')
		e--;
	if (e - p >= 2 && *p == '"' && e[-1] == '"') {
		out = o = hl_arena_alloc(a, (size_t)(e - p));
		for (p++, e--; p < e; p++) {
			*o++ = *p;
			if (*p == '"' && p + 1 < e && p[1] == '"')
				p++;
		}
		*o = 0;
		return out;
	}
	return hl_arena_strndup(a, p, (size_t)(e - p));
}

static int check_dependent_indexes(hl_arena *a, const sch_table *t, const char *col, bool rename,
				   hl_err *err)
{
	hl_buf b;
	int i, n = 0;

	hl_buf_init(&b);
	for (i = 0; i < t->nindexes; i++) {
		const char *c = index_target_column(a, &t->indexes[i]);

		if (!c || !strcmp(c, col)) {
			if (n++)
				hl_buf_str(&b, ", ");
			hl_buf_str(&b, t->indexes[i].name);
		}
	}
	hl_buf_u8(&b, 0);
	if (n)
		hl_errf(err, HL_ERR_INVALID, "Cannot %s column %s because it has dependent secondary indexes (%s)",
			rename ? "rename" : "drop", col, (const char *)b.p);
	hl_buf_free(&b);
	return n ? DDL_ERR : 0;
}

static int alter_add(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_table *t;
	int i, j, rc, added = 0;

	if ((rc = get_table(s, d->ks, d->name, d->if_exists, &k, &t, err)))
		return rc;
	if (not_view(t, err))
		return DDL_ERR;
	for (i = 0; i < d->ncols; i++) {
		const sch_column_def *c = &d->cols[i];
		const ty_type *ty;
		sch_column *cols;

		if (resolve_type(s, k->name, c, &ty, err))
			return DDL_ERR;
		if (sch_column_index(t, c->name) >= 0) {
			if (!d->if_column_exists)
				return hl_errf(err, HL_ERR_INVALID, "Column with name '%s' already exists", c->name);
			continue;
		}
		if (c->is_static && t->nck == 0)
			return hl_errf(err, HL_ERR_INVALID,
				       "Static columns are only useful (and thus allowed) if the table has at least one clustering column");
		if (ty->kind == TY_UDT && !ty->frozen)
			for (j = 0; j < ty->nsub; j++)
				if (sch_type_is_multicell(ty->sub[j]))
					return hl_errf(err, HL_ERR_INVALID,
						       "Non-frozen UDTs with nested non-frozen collections are not supported for column %s",
						       c->name);
		for (j = 0; j < t->ndropped; j++) {
			const sch_dropped *dc = &t->dropped[j];

			if (strcmp(dc->name, c->name))
				continue;
			if (!ty_compatible(ty, dc->type) && !ty_equal(ty, dc->type))
				return hl_errf(err, HL_ERR_INVALID,
					       "Cannot re-add previously dropped column '%s' of type %s, incompatible with previous type %s",
					       c->name, type_str(ty, a), type_str(dc->type, a));
			if ((dc->kind == SCH_STATIC) != c->is_static)
				return hl_errf(err, HL_ERR_INVALID,
					       "Cannot re-add previously dropped column '%s' of kind %s, incompatible with previous kind %s",
					       c->name, c->is_static ? "STATIC" : "REGULAR",
					       dc->kind == SCH_STATIC ? "STATIC" : "REGULAR");
			if (t->is_counter)
				return hl_errf(err, HL_ERR_INVALID, "Cannot re-add previously dropped counter column %s",
					       c->name);
		}
		if (t->is_counter && ty->kind != TY_COUNTER)
			return hl_errf(err, HL_ERR_CONFIG, "%s.%s: Cannot have a non counter column (\"%s\") in a counter table",
				       t->ks, t->name, c->name);
		if (!t->is_counter && ty->kind == TY_COUNTER)
			return hl_errf(err, HL_ERR_CONFIG, "%s.%s: Cannot have a counter column (\"%s\") in a non counter table",
				       t->ks, t->name, c->name);
		cols = hl_arena_alloc(a, sizeof *cols * (size_t)(t->ncols + 1));
		if (t->ncols)
			memcpy(cols, t->cols, sizeof *cols * (size_t)t->ncols);
		memset(&cols[t->ncols], 0, sizeof *cols);
		cols[t->ncols].name = hl_arena_strdup(a, c->name);
		cols[t->ncols].kind = c->is_static ? SCH_STATIC : SCH_REGULAR;
		cols[t->ncols].position = -1;
		cols[t->ncols].type = ty;
		cols[t->ncols].id = t->next_column_id++;
		sch__views_add_column(s, k, t, &cols[t->ncols]);
		t->cols = cols;
		t->ncols++;
		sch__sort_columns(a, t);
		added++;
	}
	return added ? DDL_CHANGED : DDL_NOOP;
}

static int alter_drop(sch_schema *s, const sch_ddl *d, int64_t now, hl_err *err)
{
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_table *t;
	int i, j, rc, dropped = 0;

	if ((rc = get_table(s, d->ks, d->name, d->if_exists, &k, &t, err)))
		return rc;
	if (not_view(t, err))
		return DDL_ERR;
	for (i = 0; i < d->ncols; i++) {
		const char *name = d->names[i];
		int ci = sch_column_index(t, name);
		sch_column *c;
		sch_dropped *nd;

		if (ci < 0) {
			if (!d->if_column_exists)
				return hl_errf(err, HL_ERR_INVALID, "Column %s was not found in table '%s.%s'", name,
					       t->ks, t->name);
			continue;
		}
		c = &t->cols[ci];
		if (c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING)
			return hl_errf(err, HL_ERR_INVALID, "Cannot drop PRIMARY KEY column %s", name);
		if (c->type->kind == TY_UDT && !c->type->frozen)
			return hl_errf(err, HL_ERR_INVALID, "Cannot drop non-frozen column %s of user type %s", name,
				       type_str(c->type, a));
		if (check_dependent_indexes(a, t, name, false, err))
			return DDL_ERR;
		if (has_views(k, t))
			return hl_errf(err, HL_ERR_INVALID, "Cannot drop column %s on base table %s with materialized views",
				       name, t->name);
		/* record the drop (replacing an earlier drop of the same name) */
		for (j = 0; j < t->ndropped; j++)
			if (!strcmp(t->dropped[j].name, name))
				break;
		if (j == t->ndropped) {
			nd = hl_arena_alloc(a, sizeof *nd * (size_t)(t->ndropped + 1));
			if (t->ndropped)
				memcpy(nd, t->dropped, sizeof *nd * (size_t)t->ndropped);
			t->dropped = nd;
			t->ndropped++;
		}
		t->dropped[j].name = c->name;
		t->dropped[j].type = c->type;
		t->dropped[j].kind = c->kind;
		t->dropped[j].id = c->id;
		t->dropped[j].dropped_time = d->has_timestamp ? d->timestamp : now;
		memmove(t->cols + ci, t->cols + ci + 1, sizeof *t->cols * (size_t)(t->ncols - ci - 1));
		t->ncols--;
		sch__sort_columns(a, t);
		dropped++;
	}
	return dropped ? DDL_CHANGED : DDL_NOOP;
}

static int alter_rename(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_table *t;
	int i, rc, renamed = 0;

	if ((rc = get_table(s, d->ks, d->name, d->if_exists, &k, &t, err)))
		return rc;
	if (not_view(t, err))
		return DDL_ERR;
	for (i = 0; i < d->ncols; i++) {
		const char *from = d->names[i], *to = d->new_names[i];
		int ci = sch_column_index(t, from);
		sch_column *c;

		if (ci < 0) {
			if (!d->if_column_exists)
				return hl_errf(err, HL_ERR_INVALID, "Column %s was not found in table %s.%s", from,
					       t->ks, t->name);
			continue;
		}
		c = &t->cols[ci];
		if (c->kind != SCH_PARTITION_KEY && c->kind != SCH_CLUSTERING)
			return hl_errf(err, HL_ERR_INVALID, "Cannot rename non PRIMARY KEY column %s", from);
		if (sch_column_index(t, to) >= 0)
			return hl_errf(err, HL_ERR_INVALID,
				       "Cannot rename column %s to %s in table '%s.%s'; another column with that name already exists",
				       from, to, t->ks, t->name);
		if (check_dependent_indexes(a, t, from, true, err))
			return DDL_ERR;
		sch__views_rename(s, k, t, from, to);
		c->name = hl_arena_strdup(a, to);
		sch__sort_columns(a, t);
		renamed++;
	}
	return renamed ? DDL_CHANGED : DDL_NOOP;
}

static int alter_with(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	sch_keyspace *k;
	sch_table *t;
	sch_params p;
	int rc;

	if ((rc = get_table(s, d->ks, d->name, d->if_exists, &k, &t, err)))
		return rc;
	if (not_view(t, err))
		return DDL_ERR;
	p = t->params;
	if (sch__params_apply(s->a, &p, d->opts, d->nopts, true, NULL, NULL, err))
		return DDL_ERR;
	if (t->is_counter && p.default_time_to_live > 0)
		return hl_errf(err, HL_ERR_INVALID, "Cannot set default_time_to_live on a table with counters");
	t->params = p;
	return DDL_CHANGED;
}

/* ---------------------------------------------------------------- types */

static int create_type(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	const sch_type_def *def = &d->type;
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_udt *u, **nt;
	ty_type *ut;
	int i, j, rc;

	if ((rc = get_ks(s, def->ks, false, &k, err)))
		return rc;
	if (sch__find_udt(k, def->name)) {
		if (d->if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "A user type with name '%s' already exists", def->name);
	}
	for (i = 0; i < def->nfields; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(def->field_names[i], def->field_names[j]))
				return hl_errf(err, HL_ERR_INVALID, "Duplicate field name '%s' in type '%s'",
					       def->field_names[i], def->name);
	u = hl_arena_zalloc(a, sizeof *u);
	u->ks = k->name;
	u->name = hl_arena_strdup(a, def->name);
	u->nfields = def->nfields;
	u->field_names = hl_arena_zalloc(a, sizeof(char *) * (size_t)(def->nfields + 1));
	u->field_types = hl_arena_zalloc(a, sizeof(ty_type *) * (size_t)(def->nfields + 1));
	for (i = 0; i < def->nfields; i++) {
		const ty_type *ft;

		if (ty_parse(def->field_types[i], strlen(def->field_types[i]), a, sch__resolve_udt, s, k->name,
			     &ft, err))
			return DDL_ERR;
		if (ft->kind == TY_COUNTER)
			return hl_errf(err, HL_ERR_INVALID, "A user type cannot contain counters");
		if (ft->kind == TY_UDT && !ft->frozen)
			return hl_errf(err, HL_ERR_INVALID, "A user type cannot contain non-frozen UDTs");
		u->field_names[i] = hl_arena_strdup(a, def->field_names[i]);
		u->field_types[i] = ft;
	}
	ut = hl_arena_zalloc(a, sizeof *ut);
	ut->kind = TY_UDT;
	ut->frozen = false;
	ut->nsub = u->nfields;
	ut->sub = u->field_types;
	ut->udt_ks = u->ks;
	ut->udt_name = u->name;
	ut->field_names = u->field_names;
	u->type = ut;
	nt = hl_arena_alloc(a, sizeof *nt * (size_t)(k->ntypes + 1));
	if (k->ntypes)
		memcpy(nt, k->types, sizeof *nt * (size_t)k->ntypes);
	nt[k->ntypes++] = u;
	k->types = nt;
	return DDL_CHANGED;
}

/*
 * t with every reference to the UDT ks.name replaced by nu's descriptor
 * (keeping each reference's frozen flag); t itself when it has none.
 * Columns and other types hold copies of a UDT's descriptor, so ALTER TYPE
 * rewrites them all.
 */
static const ty_type *subst_udt(hl_arena *a, const ty_type *t, const char *ks, const sch_udt *nu)
{
	const ty_type **sub = NULL;
	ty_type *c;
	int i;

	if (t->kind == TY_UDT && t->udt_name && !strcmp(t->udt_name, nu->name) &&
	    (!t->udt_ks || !t->udt_ks[0] || !strcmp(t->udt_ks, ks))) {
		c = hl_arena_memdup(a, nu->type, sizeof *c);
		c->frozen = t->frozen;
		return c;
	}
	for (i = 0; i < t->nsub; i++) {
		const ty_type *n = subst_udt(a, t->sub[i], ks, nu);

		if (n != t->sub[i] && !sub) {
			sub = hl_arena_alloc(a, sizeof *sub * (size_t)t->nsub);
			memcpy(sub, t->sub, sizeof *sub * (size_t)t->nsub);
		}
		if (sub)
			sub[i] = n;
	}
	if (!sub)
		return t;
	c = hl_arena_memdup(a, t, sizeof *c);
	c->sub = sub;
	return c;
}

static int alter_type(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_udt *old, *nu;
	ty_type *ut;
	int i, j, rc, n;

	if ((rc = get_ks(s, d->ks, d->if_exists, &k, err)))
		return rc;
	old = sch__find_udt(k, d->name);
	if (!old) {
		if (d->if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Type %s.%s doesn't exist", d->ks, d->name);
	}
	if (d->kind == SCH_DDL_ALTER_TYPE_ALTER)
		return hl_errf(err, HL_ERR_INVALID, "Altering field types is no longer supported");
	nu = hl_arena_memdup(a, old, sizeof *nu);
	n = old->nfields + (d->kind == SCH_DDL_ALTER_TYPE_ADD);
	nu->field_names = hl_arena_zalloc(a, sizeof(char *) * (size_t)(n + 1));
	nu->field_types = hl_arena_zalloc(a, sizeof(ty_type *) * (size_t)(n + 1));
	memcpy(nu->field_names, old->field_names, sizeof(char *) * (size_t)old->nfields);
	memcpy(nu->field_types, old->field_types, sizeof(ty_type *) * (size_t)old->nfields);
	nu->nfields = n;
	if (d->kind == SCH_DDL_ALTER_TYPE_ADD) {
		const sch_column_def *f = &d->cols[0];
		const ty_type *ft;

		for (i = 0; i < old->nfields; i++)
			if (!strcmp(old->field_names[i], f->name)) {
				if (d->if_column_exists)
					return DDL_NOOP;
				return hl_errf(err, HL_ERR_INVALID,
					       "Cannot add field %s to type %s.%s: a field with name %s already exists",
					       f->name, k->name, old->name, f->name);
			}
		if (resolve_type(s, k->name, f, &ft, err))
			return DDL_ERR;
		if (refs_udt(ft, k->name, old->name))
			return hl_errf(err, HL_ERR_INVALID, "Cannot add new field %s of type %s to user type %s.%s "
				       "as it would create a circular reference", f->name, f->type_text, k->name,
				       old->name);
		if (ft->kind == TY_COUNTER)
			return hl_errf(err, HL_ERR_INVALID, "A user type cannot contain counters");
		if (ft->kind == TY_UDT && !ft->frozen)
			return hl_errf(err, HL_ERR_INVALID, "A user type cannot contain non-frozen UDTs");
		for (i = 0; i < k->ntables; i++)
			for (j = 0; j < k->tables[i]->ncols; j++)
				if (k->tables[i]->cols[j].kind == SCH_PARTITION_KEY &&
				    refs_udt(k->tables[i]->cols[j].type, k->name, old->name))
					return hl_errf(err, HL_ERR_INVALID, "Cannot add new field %s of type %s to user "
						       "type %s.%s as the type is being used in partition key by the "
						       "following tables: %s.%s", f->name, f->type_text, k->name,
						       old->name, k->name, k->tables[i]->name);
		nu->field_names[old->nfields] = hl_arena_strdup(a, f->name);
		nu->field_types[old->nfields] = ft;
	} else {
		for (i = 0; i < d->ncols; i++) {
			for (j = 0; j < old->nfields && strcmp(old->field_names[j], d->names[i]); j++)
				;
			if (j == old->nfields) {
				if (d->if_column_exists)
					continue;
				/* sic: Cassandra's message spells it "Unkown" */
				return hl_errf(err, HL_ERR_INVALID, "Unkown field %s in user type %s.%s",
					       d->names[i], k->name, old->name);
			}
			nu->field_names[j] = hl_arena_strdup(a, d->new_names[i]);
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < i; j++)
				if (!strcmp(nu->field_names[i], nu->field_names[j]))
					/* Cassandra's format names the keyspace where the type belongs */
					return hl_errf(err, HL_ERR_INVALID, "Duplicate field name %s in type %s",
						       nu->field_names[i], k->name);
	}
	ut = hl_arena_memdup(a, old->type, sizeof *ut);
	ut->nsub = nu->nfields;
	ut->sub = nu->field_types;
	ut->field_names = nu->field_names;
	nu->type = ut;
	for (i = 0; i < k->ntypes; i++) {
		sch_udt *u = k->types[i];

		if (u == old) {
			k->types[i] = nu;
			continue;
		}
		for (j = 0; j < u->nfields; j++)
			u->field_types[j] = subst_udt(a, u->field_types[j], k->name, nu);
		u->type = subst_udt(a, u->type, k->name, nu);
	}
	for (i = 0; i < k->ntables; i++)
		for (j = 0; j < k->tables[i]->ncols; j++)
			k->tables[i]->cols[j].type = subst_udt(a, k->tables[i]->cols[j].type, k->name, nu);
	return DDL_CHANGED;
}

static int drop_type(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	sch_keyspace *k;
	hl_buf b;
	int i, j, rc, n = 0;

	if ((rc = get_ks(s, d->ks, d->if_exists, &k, err)))
		return rc;
	if (!sch__find_udt(k, d->name)) {
		if (d->if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Type '%s.%s' doesn't exist", d->ks, d->name);
	}
	hl_buf_init(&b);
	for (i = 0; i < k->ntypes; i++)
		for (j = 0; j < k->types[i]->nfields; j++)
			if (strcmp(k->types[i]->name, d->name) && refs_udt(k->types[i]->field_types[j], k->name, d->name)) {
				hl_buf_printf(&b, "%suser type %s.%s", n++ ? ", " : "", k->name, k->types[i]->name);
				break;
			}
	for (i = 0; i < k->ntables; i++)
		for (j = 0; j < k->tables[i]->ncols; j++)
			if (refs_udt(k->tables[i]->cols[j].type, k->name, d->name)) {
				hl_buf_printf(&b, "%stable %s.%s", n++ ? ", " : "", k->name, k->tables[i]->name);
				break;
			}
	hl_buf_u8(&b, 0);
	if (n) {
		hl_errf(err, HL_ERR_INVALID, "Cannot drop user type '%s.%s' as it is still used by %s", k->name,
			d->name, (const char *)b.p);
		hl_buf_free(&b);
		return DDL_ERR;
	}
	hl_buf_free(&b);
	for (i = 0; i < k->ntypes; i++)
		if (!strcmp(k->types[i]->name, d->name)) {
			memmove(k->types + i, k->types + i + 1, sizeof *k->types * (size_t)(k->ntypes - i - 1));
			k->ntypes--;
			break;
		}
	return DDL_CHANGED;
}

/* ---------------------------------------------------------------- indexes */

static bool index_exists(sch_keyspace *k, const char *name)
{
	int i, j;

	for (i = 0; i < k->ntables; i++)
		for (j = 0; j < k->tables[i]->nindexes; j++)
			if (!strcmp(k->tables[i]->indexes[j].name, name))
				return true;
	return false;
}

static bool valid_index_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static int create_index(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	const sch_index_def *def = &d->index;
	hl_arena *a = s->a;
	sch_keyspace *k;
	sch_table *t;
	const sch_column *c;
	sch_index *ix, *nx;
	sch_index_target tk = def->target;
	const char *name, *fn = NULL, *cls = NULL;
	hl_buf b;
	int i, rc;

	if ((rc = get_table(s, def->ks, def->table, false, &k, &t, err)))
		return rc;
	if (t->view)
		return hl_errf(err, HL_ERR_INVALID, "Secondary indexes are not supported on materialized views");
	if (t->is_counter)
		return hl_errf(err, HL_ERR_INVALID, "Secondary indexes on counter tables aren't supported");
	c = sch_find_column(t, def->column);
	if (!c)
		return hl_errf(err, HL_ERR_INVALID, "Column '%s' doesn't exist", def->column);
	if (c->kind == SCH_PARTITION_KEY && t->npk == 1)
		return hl_errf(err, HL_ERR_INVALID, "Cannot create secondary index on the only partition key column %s",
			       def->column);
	if (tk == SCH_IDX_SIMPLE && ty_is_collection(c->type))
		tk = sch_type_is_multicell(c->type) ? SCH_IDX_VALUES : SCH_IDX_FULL;
	if (tk == SCH_IDX_FULL && sch_type_is_multicell(c->type))
		return hl_errf(err, HL_ERR_INVALID, "full() indexes can only be created on frozen collections");
	if ((tk == SCH_IDX_KEYS || tk == SCH_IDX_ENTRIES) && c->type->kind != TY_MAP)
		return hl_errf(err, HL_ERR_INVALID, "Cannot create %s() index on %s. %s indexes are only supported on maps",
			       tk == SCH_IDX_KEYS ? "keys" : "entries", def->column,
			       tk == SCH_IDX_KEYS ? "Keys" : "Entries");
	if ((tk == SCH_IDX_KEYS || tk == SCH_IDX_VALUES || tk == SCH_IDX_ENTRIES) && !sch_type_is_multicell(c->type))
		return hl_errf(err, HL_ERR_INVALID,
			       "Cannot create %s() index on frozen column %s. Frozen collections are immutable and must be fully indexed by using the 'full(%s)' modifier",
			       tk == SCH_IDX_KEYS ? "keys" : tk == SCH_IDX_VALUES ? "values" : "entries",
			       def->column, def->column);

	if (def->name) {
		name = def->name;
	} else {
		/* IndexMetadata.generateDefaultIndexName + findAvailableIndexName */
		char *base = hl_arena_printf(a, "%s_%s_idx", t->name, def->column), *p, *q;

		for (p = q = base; *p; p++)
			if (isalnum((unsigned char)*p) || *p == '_')
				*q++ = *p;
		*q = 0;
		name = base;
		for (i = 1; index_exists(k, name); i++)
			name = hl_arena_printf(a, "%s_%d", base, i);
	}
	if (!valid_index_name(name))
		return hl_errf(err, HL_ERR_INVALID,
			       "Index name must not be empty, or contain non-alphanumeric-underscore characters (got \"%s\")",
			       name);
	if (index_exists(k, name)) {
		if (d->if_exists)
			return DDL_NOOP;
		return hl_errf(err, HL_ERR_INVALID, "Index '%s' already exists", name);
	}
	if (!def->custom_class && def->nopts > 0)
		return hl_errf(err, HL_ERR_INVALID, "Cannot specify options for a non-CUSTOM index");

	hl_buf_init(&b);
	switch (tk) {
	case SCH_IDX_KEYS: fn = "keys"; break;
	case SCH_IDX_VALUES: fn = "values"; break;
	case SCH_IDX_ENTRIES: fn = "entries"; break;
	case SCH_IDX_FULL: fn = "full"; break;
	default: break;
	}
	if (fn)
		hl_buf_printf(&b, "%s(", fn);
	sch_put_ident(&b, def->column);
	if (fn)
		hl_buf_u8(&b, ')');
	hl_buf_u8(&b, 0);

	for (i = 0; i < t->nindexes; i++) {
		const char *tg = sch_map_get(&t->indexes[i].options, "target");
		const char *ic = sch_map_get(&t->indexes[i].options, "class_name");

		if (tg && !strcmp(tg, (const char *)b.p) && !def->custom_class == !ic) {
			hl_errf(err, HL_ERR_INVALID, "Index %s is a duplicate of existing index %s", name,
				t->indexes[i].name);
			hl_buf_free(&b);
			return DDL_ERR;
		}
	}
	nx = hl_arena_alloc(a, sizeof *nx * (size_t)(t->nindexes + 1));
	if (t->nindexes)
		memcpy(nx, t->indexes, sizeof *nx * (size_t)t->nindexes);
	ix = &nx[t->nindexes];
	memset(ix, 0, sizeof *ix);
	ix->name = hl_arena_strdup(a, name);
	sch__map_set(a, &ix->options, "target", (const char *)b.p, b.len - 1);
	hl_buf_free(&b);
	if (def->custom_class) {
		if (!strcasecmp(def->custom_class, "sai") || !strcmp(def->custom_class, "StorageAttachedIndex"))
			cls = "org.apache.cassandra.index.sai.StorageAttachedIndex";
		else if (!strcmp(def->custom_class, "SASIIndex"))
			cls = "org.apache.cassandra.index.sasi.SASIIndex";
		else
			cls = def->custom_class;
		ix->kind = "CUSTOM";
		sch__map_set(a, &ix->options, "class_name", cls, strlen(cls));
		for (i = 0; i < def->nopts; i++) {
			if (!strcmp(def->opts[i].key, "target") || !strcmp(def->opts[i].key, "class_name"))
				return hl_errf(err, HL_ERR_INVALID, "Cannot specify %s as a CUSTOM option",
					       def->opts[i].key);
			sch__map_set(a, &ix->options, def->opts[i].key, def->opts[i].value,
				     def->opts[i].vlen ? def->opts[i].vlen : strlen(def->opts[i].value));
		}
	} else {
		ix->kind = "COMPOSITES";
	}
	t->indexes = nx;
	t->nindexes++;
	return DDL_CHANGED;
}

static int drop_index(sch_schema *s, const sch_ddl *d, hl_err *err)
{
	sch_keyspace *k;
	int i, j, rc;

	if ((rc = get_ks(s, d->ks, d->if_exists, &k, err)))
		return rc;
	for (i = 0; i < k->ntables; i++) {
		sch_table *t = k->tables[i];

		for (j = 0; j < t->nindexes; j++)
			if (!strcmp(t->indexes[j].name, d->name)) {
				memmove(t->indexes + j, t->indexes + j + 1,
					sizeof *t->indexes * (size_t)(t->nindexes - j - 1));
				t->nindexes--;
				return DDL_CHANGED;
			}
	}
	if (d->if_exists)
		return DDL_NOOP;
	return hl_errf(err, HL_ERR_INVALID, "Index '%s.%s' doesn't exist", d->ks, d->name);
}

/* ---------------------------------------------------------------- entry */

static void describe_change(const sch_ddl *d, sch_change *c)
{
	static const struct { const char *ct, *target; } tab[] = {
		[SCH_DDL_CREATE_KEYSPACE] = { "CREATED", "KEYSPACE" },
		[SCH_DDL_ALTER_KEYSPACE] = { "UPDATED", "KEYSPACE" },
		[SCH_DDL_DROP_KEYSPACE] = { "DROPPED", "KEYSPACE" },
		[SCH_DDL_CREATE_TABLE] = { "CREATED", "TABLE" },
		[SCH_DDL_ALTER_TABLE_ADD] = { "UPDATED", "TABLE" },
		[SCH_DDL_ALTER_TABLE_DROP] = { "UPDATED", "TABLE" },
		[SCH_DDL_ALTER_TABLE_RENAME] = { "UPDATED", "TABLE" },
		[SCH_DDL_ALTER_TABLE_WITH] = { "UPDATED", "TABLE" },
		[SCH_DDL_DROP_TABLE] = { "DROPPED", "TABLE" },
		[SCH_DDL_CREATE_TYPE] = { "CREATED", "TYPE" },
		[SCH_DDL_DROP_TYPE] = { "DROPPED", "TYPE" },
		[SCH_DDL_ALTER_TYPE_ADD] = { "UPDATED", "TYPE" },
		[SCH_DDL_ALTER_TYPE_RENAME] = { "UPDATED", "TYPE" },
		[SCH_DDL_ALTER_TYPE_ALTER] = { "UPDATED", "TYPE" },
		/* an index change is reported as an update of its table */
		[SCH_DDL_CREATE_INDEX] = { "UPDATED", "TABLE" },
		[SCH_DDL_DROP_INDEX] = { "UPDATED", "TABLE" },
		/* views are TABLE targets in events, as in Cassandra */
		[SCH_DDL_CREATE_VIEW] = { "CREATED", "TABLE" },
		[SCH_DDL_ALTER_VIEW] = { "UPDATED", "TABLE" },
		[SCH_DDL_DROP_VIEW] = { "DROPPED", "TABLE" },
	};

	c->change_type = tab[d->kind].ct;
	c->target = tab[d->kind].target;
	switch (d->kind) {
	case SCH_DDL_CREATE_KEYSPACE:
	case SCH_DDL_ALTER_KEYSPACE:
		c->ks = d->keyspace.name;
		c->name = NULL;
		break;
	case SCH_DDL_DROP_KEYSPACE:
		c->ks = d->ks ? d->ks : d->keyspace.name;
		c->name = NULL;
		break;
	case SCH_DDL_CREATE_TABLE:
		c->ks = d->table.ks;
		c->name = d->table.name;
		break;
	case SCH_DDL_CREATE_TYPE:
		c->ks = d->type.ks;
		c->name = d->type.name;
		break;
	case SCH_DDL_CREATE_INDEX:
		c->ks = d->index.ks;
		c->name = d->index.table;
		break;
	case SCH_DDL_CREATE_VIEW:
		c->ks = d->view.ks;
		c->name = d->view.name;
		break;
	default:
		c->ks = d->ks;
		c->name = d->name;
	}
}

int sch_apply(const sch_schema *cur, const sch_ddl *d, const sch_registry_config *cfg,
	      int64_t now, sch_schema **out, sch_change *chg, hl_err *err)
{
	sch_schema *s = sch__copy(cur);
	sch_change local;
	int rc = DDL_ERR;

	if (!chg)
		chg = &local;
	memset(chg, 0, sizeof *chg);
	*out = NULL;
	switch (d->kind) {
	case SCH_DDL_CREATE_KEYSPACE: rc = create_keyspace(s, d, cfg, err); break;
	case SCH_DDL_ALTER_KEYSPACE: rc = alter_keyspace(s, d, cfg, err); break;
	case SCH_DDL_DROP_KEYSPACE: rc = drop_keyspace(s, d, err); break;
	case SCH_DDL_CREATE_TABLE: rc = create_table(s, d, cfg, now, err); break;
	case SCH_DDL_ALTER_TABLE_ADD: rc = alter_add(s, d, err); break;
	case SCH_DDL_ALTER_TABLE_DROP: rc = alter_drop(s, d, now, err); break;
	case SCH_DDL_ALTER_TABLE_RENAME: rc = alter_rename(s, d, err); break;
	case SCH_DDL_ALTER_TABLE_WITH: rc = alter_with(s, d, err); break;
	case SCH_DDL_DROP_TABLE: rc = drop_table(s, d, err); break;
	case SCH_DDL_CREATE_TYPE: rc = create_type(s, d, err); break;
	case SCH_DDL_DROP_TYPE: rc = drop_type(s, d, err); break;
	case SCH_DDL_ALTER_TYPE_ADD:
	case SCH_DDL_ALTER_TYPE_RENAME:
	case SCH_DDL_ALTER_TYPE_ALTER: rc = alter_type(s, d, err); break;
	case SCH_DDL_CREATE_INDEX: rc = create_index(s, d, err); break;
	case SCH_DDL_DROP_INDEX: rc = drop_index(s, d, err); break;
	case SCH_DDL_CREATE_VIEW: rc = sch__create_view(s, &d->view, d->if_exists, cfg, now, err); break;
	case SCH_DDL_ALTER_VIEW:
		rc = sch__alter_view(s, d->ks, d->name, d->if_exists, d->nopts, d->opts, err);
		break;
	case SCH_DDL_DROP_VIEW: rc = sch__drop_view(s, d->ks, d->name, d->if_exists, err); break;
	default: hl_errf(err, HL_ERR_SERVER, "unknown DDL kind %d", (int)d->kind);
	}
	if (rc == DDL_CHANGED) {
		sch__finish(s);
		/* an ALTER that changes nothing is a no-op (empty diff -> VOID) */
		if (memcmp(s->version.b, cur->version.b, 16) == 0) {
			rc = DDL_NOOP;
		} else {
			describe_change(d, chg);
			chg->changed = true;
			*out = s;
			return 0;
		}
	}
	sch_release(s);
	return rc == DDL_ERR ? -1 : 0;
}

/* ---------------------------------------------------------------- conveniences */

static int run(sch_registry *r, const sch_ddl *d, bool *changed, hl_err *err)
{
	sch_change c;
	int rc = sch_registry_apply(r, d, &c, err);

	if (changed)
		*changed = rc == 0 && c.changed;
	return rc;
}

int sch_create_keyspace(sch_registry *r, const sch_keyspace_def *def, bool if_not_exists,
			bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_CREATE_KEYSPACE, .if_exists = if_not_exists, .keyspace = *def };

	return run(r, &d, changed, err);
}

int sch_alter_keyspace(sch_registry *r, const sch_keyspace_def *def, bool if_exists,
		       bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_ALTER_KEYSPACE, .if_exists = if_exists, .keyspace = *def };

	return run(r, &d, changed, err);
}

int sch_drop_keyspace(sch_registry *r, const char *ks, bool if_exists, bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_DROP_KEYSPACE, .if_exists = if_exists, .ks = ks };

	return run(r, &d, changed, err);
}

int sch_create_table(sch_registry *r, const sch_table_def *def, bool if_not_exists,
		     bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_CREATE_TABLE, .if_exists = if_not_exists, .table = *def };

	return run(r, &d, changed, err);
}

int sch_alter_table_add(sch_registry *r, const char *ks, const char *table, int ncols,
			const sch_column_def *cols, bool if_exists, bool if_col_not_exists,
			bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_ALTER_TABLE_ADD, .if_exists = if_exists,
		      .if_column_exists = if_col_not_exists, .ks = ks, .name = table,
		      .ncols = ncols, .cols = cols };

	return run(r, &d, changed, err);
}

int sch_alter_table_drop(sch_registry *r, const char *ks, const char *table, int n,
			 const char *const *names, bool if_exists, bool if_col_exists,
			 bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_ALTER_TABLE_DROP, .if_exists = if_exists,
		      .if_column_exists = if_col_exists, .ks = ks, .name = table, .ncols = n,
		      .names = names };

	return run(r, &d, changed, err);
}

int sch_alter_table_rename(sch_registry *r, const char *ks, const char *table, int n,
			   const char *const *from, const char *const *to, bool if_exists,
			   bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_ALTER_TABLE_RENAME, .if_exists = if_exists, .ks = ks,
		      .name = table, .ncols = n, .names = from, .new_names = to };

	return run(r, &d, changed, err);
}

int sch_alter_table_with(sch_registry *r, const char *ks, const char *table, int nopts,
			 const sch_option *opts, bool if_exists, bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_ALTER_TABLE_WITH, .if_exists = if_exists, .ks = ks,
		      .name = table, .nopts = nopts, .opts = opts };

	return run(r, &d, changed, err);
}

int sch_drop_table(sch_registry *r, const char *ks, const char *table, bool if_exists,
		   bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_DROP_TABLE, .if_exists = if_exists, .ks = ks, .name = table };

	return run(r, &d, changed, err);
}

int sch_create_type(sch_registry *r, const sch_type_def *def, bool if_not_exists,
		    bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_CREATE_TYPE, .if_exists = if_not_exists, .type = *def };

	return run(r, &d, changed, err);
}

int sch_drop_type(sch_registry *r, const char *ks, const char *name, bool if_exists,
		  bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_DROP_TYPE, .if_exists = if_exists, .ks = ks, .name = name };

	return run(r, &d, changed, err);
}

int sch_create_index(sch_registry *r, const sch_index_def *def, bool if_not_exists,
		     bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_CREATE_INDEX, .if_exists = if_not_exists, .index = *def };

	return run(r, &d, changed, err);
}

int sch_drop_index(sch_registry *r, const char *ks, const char *name, bool if_exists,
		   bool *changed, hl_err *err)
{
	sch_ddl d = { .kind = SCH_DDL_DROP_INDEX, .if_exists = if_exists, .ks = ks, .name = name };

	return run(r, &d, changed, err);
}
