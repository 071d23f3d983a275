/*
 * schema/describe.c: CQL text of schema elements exactly as Cassandra 5.0
 * prints it (KeyspaceMetadata / TableMetadata / UserType / IndexMetadata
 * toCqlString, TableParams.appendCqlTo), the DESCRIBE statement's result
 * rows (DescribeStatement), and the canonical schema text the version
 * digest is computed from.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/sch_int.h"

/* ---------------------------------------------------------------- identifiers */

/* Cassandra 5.0 reserved_keywords.txt */
static const char *const reserved[] = {
	"add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by",
	"columnfamily", "create", "delete", "desc", "describe", "drop", "entries", "execute",
	"from", "full", "grant", "if", "in", "index", "infinity", "insert", "into", "is",
	"keyspace", "limit", "materialized", "modify", "nan", "norecursive", "not", "null",
	"of", "on", "or", "order", "primary", "rename", "revoke", "schema", "select", "set",
	"table", "to", "token", "truncate", "unlogged", "update", "use", "using", "view",
	"where", "with",
};

static bool is_reserved(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (!strcmp(reserved[i], s))
			return true;
	return false;
}

void sch_put_ident(hl_buf *out, const char *s)
{
	const char *c;
	bool plain = s[0] >= 'a' && s[0] <= 'z';

	for (c = s; *c && plain; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			plain = false;
	if (plain && !is_reserved(s)) {
		hl_buf_str(out, s);
		return;
	}
	hl_buf_u8(out, '"');
	for (c = s; *c; c++) {
		if (*c == '"')
			hl_buf_u8(out, '"');
		hl_buf_u8(out, (uint8_t)*c);
	}
	hl_buf_u8(out, '"');
}

static const char *buf_str(hl_buf *b, hl_arena *a)
{
	const char *s = hl_arena_strndup(a, (const char *)b->p, b->len);

	hl_buf_free(b);
	return s;
}

const char *sch_quote_ident(const char *name, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	sch_put_ident(&b, name);
	return buf_str(&b, a);
}

static void put_quoted(hl_buf *b, const char *s, size_t n)
{
	size_t i;

	hl_buf_u8(b, '\'');
	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			hl_buf_u8(b, '\'');
		hl_buf_u8(b, (uint8_t)s[i]);
	}
	hl_buf_u8(b, '\'');
}

static void put_squote(hl_buf *b, const char *s)
{
	put_quoted(b, s, strlen(s));
}

/* ---------------------------------------------------------------- doubles */

void sch_put_double(hl_buf *out, double v)
{
	hl_buf_java_double(out, v, false);
}

/* ---------------------------------------------------------------- elements */

static const char *short_strategy(const char *fq)
{
	size_t n = sizeof SCH_LOCATOR - 1;

	return strncmp(fq, SCH_LOCATOR, n) == 0 && !strchr(fq + n, '.') ? fq + n : fq;
}

static void put_keyspace(hl_buf *b, const sch_keyspace *k)
{
	int i;

	if (k->cls == SCH_KS_VIRTUAL) {
		hl_buf_str(b, "/*\nWarning: Keyspace ");
		sch_put_ident(b, k->name);
		hl_buf_str(b, " is a virtual keyspace and cannot be recreated with CQL.\n"
			      "Structure, for reference:\nVIRTUAL KEYSPACE ");
		sch_put_ident(b, k->name);
		hl_buf_str(b, ";\n*/");
		return;
	}
	hl_buf_str(b, "CREATE KEYSPACE ");
	sch_put_ident(b, k->name);
	hl_buf_str(b, " WITH replication = {'class': ");
	put_squote(b, short_strategy(k->strategy));
	for (i = 0; i < k->replication.n; i++) {
		hl_buf_str(b, ", ");
		put_squote(b, k->replication.e[i].key);
		hl_buf_str(b, ": ");
		put_quoted(b, k->replication.e[i].value, k->replication.e[i].vlen);
	}
	hl_buf_printf(b, "}  AND durable_writes = %s;", k->durable_writes ? "true" : "false");
}

const char *sch_keyspace_cql(const sch_keyspace *k, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	put_keyspace(&b, k);
	return buf_str(&b, a);
}

static void put_map(hl_buf *b, const sch_map *m, bool blob_values)
{
	int i, j;

	hl_buf_u8(b, '{');
	for (i = 0; i < m->n; i++) {
		if (i)
			hl_buf_str(b, ", ");
		put_squote(b, m->e[i].key);
		hl_buf_str(b, ": ");
		if (blob_values) {
			hl_buf_str(b, "0x");
			for (j = 0; j < (int)m->e[i].vlen; j++)
				hl_buf_printf(b, "%02x", (unsigned char)m->e[i].value[j]);
		} else {
			put_quoted(b, m->e[i].value, m->e[i].vlen);
		}
	}
	hl_buf_u8(b, '}');
}

#define NL "\n    "

static void put_params(hl_buf *b, const sch_params *p, bool is_view)
{
	hl_buf_str(b, "additional_write_policy = ");
	put_squote(b, p->additional_write_policy);
	hl_buf_printf(b, NL "AND allow_auto_snapshot = %s", p->allow_auto_snapshot ? "true" : "false");
	hl_buf_str(b, NL "AND bloom_filter_fp_chance = ");
	sch_put_double(b, p->bloom_filter_fp_chance);
	hl_buf_str(b, NL "AND caching = ");
	put_map(b, &p->caching, false);
	hl_buf_printf(b, NL "AND cdc = %s", p->cdc ? "true" : "false");
	hl_buf_str(b, NL "AND comment = ");
	put_squote(b, p->comment);
	hl_buf_str(b, NL "AND compaction = ");
	put_map(b, &p->compaction, false);
	hl_buf_str(b, NL "AND compression = ");
	put_map(b, &p->compression, false);
	hl_buf_str(b, NL "AND memtable = ");
	put_squote(b, p->memtable);
	hl_buf_str(b, NL "AND crc_check_chance = ");
	sch_put_double(b, p->crc_check_chance);
	/* a view has no TTL of its own: its data expires with the base's */
	if (!is_view)
		hl_buf_printf(b, NL "AND default_time_to_live = %d", p->default_time_to_live);
	hl_buf_str(b, NL "AND extensions = ");
	put_map(b, &p->extensions, true);
	hl_buf_printf(b, NL "AND gc_grace_seconds = %d", p->gc_grace_seconds);
	hl_buf_printf(b, NL "AND incremental_backups = %s", p->incremental_backups ? "true" : "false");
	hl_buf_printf(b, NL "AND max_index_interval = %d", p->max_index_interval);
	hl_buf_printf(b, NL "AND memtable_flush_period_in_ms = %d", p->memtable_flush_period_in_ms);
	hl_buf_printf(b, NL "AND min_index_interval = %d", p->min_index_interval);
	hl_buf_str(b, NL "AND read_repair = ");
	put_squote(b, p->read_repair);
	hl_buf_str(b, NL "AND speculative_retry = ");
	put_squote(b, p->speculative_retry);
}

static void put_table_name(hl_buf *b, const sch_table *t)
{
	sch_put_ident(b, t->ks);
	hl_buf_u8(b, '.');
	sch_put_ident(b, t->name);
}

static void put_column(hl_buf *b, const char *name, const ty_type *type, bool is_static)
{
	sch_put_ident(b, name);
	hl_buf_u8(b, ' ');
	ty_format(type, b);
	if (is_static)
		hl_buf_str(b, " static");
}

static const sch_dropped *find_dropped(const sch_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ndropped; i++)
		if (!strcmp(t->dropped[i].name, name))
			return &t->dropped[i];
	return NULL;
}

/* What follows WITH in a table's or view's CREATE: the id (DESCRIBE ...
 * WITH INTERNALS) and the clustering order, each followed by AND. */
static void put_with_head(hl_buf *b, const sch_table *t, bool internals)
{
	if (internals) {
		char id[37];

		hl_uuid_str(&t->id, id);
		hl_buf_printf(b, "ID = %s" NL "AND ", id);
	}
	if (t->nck > 0) {
		hl_buf_str(b, "CLUSTERING ORDER BY (");
		for (int i = 0; i < t->nck; i++) {
			if (i)
				hl_buf_str(b, ", ");
			sch_put_ident(b, t->ck[i]->name);
			hl_buf_str(b, t->ck[i]->order == SCH_ORDER_DESC ? " DESC" : " ASC");
		}
		hl_buf_str(b, ")" NL "AND ");
	}
}

static void put_table(hl_buf *b, const sch_table *t, bool internals)
{
	bool single = t->npk == 1 && t->nck == 0;
	bool with_dropped = internals && t->ndropped > 0;
	int i, listed = 0, total = 0;

	if (t->is_virtual) {
		hl_buf_str(b, "/*\nWarning: Table ");
		put_table_name(b, t);
		hl_buf_str(b, " is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL");
	} else {
		hl_buf_str(b, "CREATE");
	}
	hl_buf_str(b, " TABLE ");
	put_table_name(b, t);
	hl_buf_str(b, " (");
	for (i = 0; i < t->ncols; i++)
		if (!(internals && find_dropped(t, t->cols[i].name)))
			total++;
	for (i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];

		/* a column re-added after a drop shows up as DROP + ADD below */
		if (internals && find_dropped(t, c->name))
			continue;
		hl_buf_str(b, NL);
		put_column(b, c->name, c->type, c->kind == SCH_STATIC);
		if (single && c->kind == SCH_PARTITION_KEY)
			hl_buf_str(b, " PRIMARY KEY");
		if (!single || with_dropped || ++listed < total)
			hl_buf_u8(b, ',');
	}
	if (with_dropped)
		for (i = 0; i < t->ndropped; i++) {
			hl_buf_str(b, NL);
			put_column(b, t->dropped[i].name, t->dropped[i].type, t->dropped[i].kind == SCH_STATIC);
			if (!single || i + 1 < t->ndropped)
				hl_buf_u8(b, ',');
		}
	if (!single) {
		hl_buf_str(b, NL "PRIMARY KEY (");
		if (t->npk > 1)
			hl_buf_u8(b, '(');
		for (i = 0; i < t->npk; i++) {
			if (i)
				hl_buf_str(b, ", ");
			sch_put_ident(b, t->pk[i]->name);
		}
		if (t->npk > 1)
			hl_buf_u8(b, ')');
		for (i = 0; i < t->nck; i++) {
			hl_buf_str(b, ", ");
			sch_put_ident(b, t->ck[i]->name);
		}
		hl_buf_u8(b, ')');
	}
	hl_buf_str(b, "\n) WITH ");
	put_with_head(b, t, internals);
	if (t->is_virtual) {
		hl_buf_str(b, "comment = ");
		put_squote(b, t->params.comment);
		hl_buf_str(b, ";\n*/");
		return;
	}
	put_params(b, &t->params, false);
	hl_buf_u8(b, ';');
	if (with_dropped) {
		for (i = 0; i < t->ndropped; i++) {
			hl_buf_str(b, "\nALTER TABLE ");
			put_table_name(b, t);
			hl_buf_str(b, " DROP ");
			sch_put_ident(b, t->dropped[i].name);
			hl_buf_printf(b, " USING TIMESTAMP %lld;", (long long)t->dropped[i].dropped_time);
		}
		for (i = 0; i < t->ndropped; i++) {
			const sch_column *c = sch_find_column(t, t->dropped[i].name);

			if (!c)
				continue;
			hl_buf_str(b, "\nALTER TABLE ");
			put_table_name(b, t);
			hl_buf_str(b, " ADD ");
			put_column(b, c->name, c->type, c->kind == SCH_STATIC);
			hl_buf_u8(b, ';');
		}
	}
}

const char *sch_table_cql(const sch_table *t, bool with_internals, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	put_table(&b, t, with_internals);
	return buf_str(&b, a);
}

/* ViewMetadata's CQL: SELECT list in select order, WHERE as stored. */
static void put_view(hl_buf *b, const sch_table *t, bool internals)
{
	int i;

	hl_buf_str(b, "CREATE MATERIALIZED VIEW ");
	put_table_name(b, t);
	hl_buf_str(b, " AS" NL "SELECT ");
	if (t->view->include_all) {
		hl_buf_u8(b, '*');
	} else {
		const sch_column **order = malloc(sizeof *order * (size_t)(t->ncols ? t->ncols : 1));

		sch_select_order(t, order);
		for (i = 0; i < t->ncols; i++) {
			if (i)
				hl_buf_str(b, ", ");
			sch_put_ident(b, order[i]->name);
		}
		free(order);
	}
	hl_buf_str(b, NL "FROM ");
	sch_put_ident(b, t->ks);
	hl_buf_u8(b, '.');
	sch_put_ident(b, t->view->base);
	hl_buf_str(b, NL "WHERE ");
	hl_buf_str(b, t->view->where);
	hl_buf_str(b, NL "PRIMARY KEY (");
	if (t->npk > 1)
		hl_buf_u8(b, '(');
	for (i = 0; i < t->npk; i++) {
		if (i)
			hl_buf_str(b, ", ");
		sch_put_ident(b, t->pk[i]->name);
	}
	if (t->npk > 1)
		hl_buf_u8(b, ')');
	for (i = 0; i < t->nck; i++) {
		hl_buf_str(b, ", ");
		sch_put_ident(b, t->ck[i]->name);
	}
	hl_buf_str(b, ") WITH ");
	put_with_head(b, t, internals);
	put_params(b, &t->params, true);
	hl_buf_u8(b, ';');
}

const char *sch_view_cql(const sch_table *v, bool with_internals, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	put_view(&b, v, with_internals);
	return buf_str(&b, a);
}

static void put_type(hl_buf *b, const sch_udt *u)
{
	int i;

	hl_buf_str(b, "CREATE TYPE ");
	sch_put_ident(b, u->ks);
	hl_buf_u8(b, '.');
	sch_put_ident(b, u->name);
	hl_buf_str(b, " (");
	for (i = 0; i < u->nfields; i++) {
		hl_buf_str(b, NL);
		put_column(b, u->field_names[i], u->field_types[i], false);
		if (i + 1 < u->nfields)
			hl_buf_u8(b, ',');
	}
	hl_buf_str(b, "\n);");
}

const char *sch_type_cql(const sch_udt *u, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	put_type(&b, u);
	return buf_str(&b, a);
}

static void put_index(hl_buf *b, const sch_table *t, const sch_index *ix)
{
	const char *target = sch_map_get(&ix->options, "target");
	const char *cls = sch_map_get(&ix->options, "class_name");
	int i, n = 0;

	hl_buf_str(b, cls ? "CREATE CUSTOM INDEX " : "CREATE INDEX ");
	sch_put_ident(b, ix->name);
	hl_buf_str(b, " ON ");
	put_table_name(b, t);
	hl_buf_printf(b, " (%s)", target ? target : "");
	if (cls) {
		hl_buf_str(b, " USING ");
		put_squote(b, cls);
		for (i = 0; i < ix->options.n; i++) {
			const sch_kv *e = &ix->options.e[i];

			if (!strcmp(e->key, "target") || !strcmp(e->key, "class_name"))
				continue;
			hl_buf_str(b, n++ ? ", " : " WITH OPTIONS = {");
			put_squote(b, e->key);
			hl_buf_str(b, ": ");
			put_quoted(b, e->value, e->vlen);
		}
		if (n)
			hl_buf_u8(b, '}');
	}
	hl_buf_u8(b, ';');
}

const char *sch_index_cql(const sch_table *t, const sch_index *i, hl_arena *a)
{
	hl_buf b;

	hl_buf_init(&b);
	put_index(&b, t, i);
	return buf_str(&b, a);
}

/* ---------------------------------------------------------------- canonical */

/* Types in dependency order (a type after every type it uses), by name otherwise. */
static void visit_type(const sch_keyspace *k, int i, bool *done, const sch_udt **out, int *n)
{
	const sch_udt *u = k->types[i];
	int f, j;

	if (done[i])
		return;
	done[i] = true;
	for (f = 0; f < u->nfields; f++)
		for (j = 0; j < k->ntypes; j++) {
			hl_buf b;
			bool uses;

			if (done[j])
				continue;
			hl_buf_init(&b);
			ty_format(u->field_types[f], &b);
			hl_buf_u8(&b, 0);
			/* the type text names the UDT as a bare or frozen identifier */
			uses = strstr((const char *)b.p, k->types[j]->name) != NULL;
			hl_buf_free(&b);
			if (uses)
				visit_type(k, j, done, out, n);
		}
	out[(*n)++] = u;
}

static const sch_udt **sorted_types(const sch_keyspace *k, hl_arena *a)
{
	const sch_udt **out = hl_arena_alloc(a, sizeof *out * (size_t)(k->ntypes + 1));
	bool *done = hl_arena_zalloc(a, (size_t)(k->ntypes + 1));
	int i, n = 0;

	for (i = 0; i < k->ntypes; i++)
		visit_type(k, i, done, out, &n);
	return out;
}

void sch__canonical(const sch_schema *s, hl_buf *out)
{
	hl_arena *a = hl_arena_new(4096);
	int i, j, x;

	for (i = 0; i < s->nks; i++) {
		const sch_keyspace *k = s->ks[i];
		const sch_udt **types;

		if (k->cls != SCH_KS_USER)
			continue;
		put_keyspace(out, k);
		hl_buf_u8(out, '\n');
		types = sorted_types(k, a);
		for (j = 0; j < k->ntypes; j++) {
			put_type(out, types[j]);
			hl_buf_u8(out, '\n');
		}
		for (j = 0; j < k->ntables; j++) {
			if (k->tables[j]->view)
				put_view(out, k->tables[j], true);
			else
				put_table(out, k->tables[j], true);
			hl_buf_u8(out, '\n');
			for (x = 0; x < k->tables[j]->nindexes; x++) {
				put_index(out, k->tables[j], &k->tables[j]->indexes[x]);
				hl_buf_u8(out, '\n');
			}
		}
	}
	hl_arena_free(a);
}

/* ---------------------------------------------------------------- DESCRIBE */

typedef struct rows {
	hl_arena *a;
	int n, cap;
	sch_desc_row *r;
} rows;

static void add_row(rows *rs, const char *ks, const char *type, const char *name, const char *create)
{
	if (rs->n == rs->cap) {
		int cap = rs->cap ? rs->cap * 2 : 16;
		sch_desc_row *r = hl_arena_alloc(rs->a, sizeof *r * (size_t)cap);

		if (rs->n)
			memcpy(r, rs->r, sizeof *r * (size_t)rs->n);
		rs->r = r;
		rs->cap = cap;
	}
	rs->r[rs->n].keyspace_name = sch_quote_ident(ks, rs->a);
	rs->r[rs->n].type = type;
	rs->r[rs->n].name = sch_quote_ident(name, rs->a);
	rs->r[rs->n].create_statement = create;
	rs->n++;
}

/* SchemaElement.NAME_COMPARATOR: case-insensitive name order. */
static int name_cmp(const char *a, const char *b)
{
	int c = strcasecmp(a, b);

	return c ? c : strcmp(a, b);
}

static int ks_name_cmp(const void *x, const void *y)
{
	return name_cmp((*(const sch_keyspace *const *)x)->name, (*(const sch_keyspace *const *)y)->name);
}

static int table_name_cmp(const void *x, const void *y)
{
	return name_cmp((*(const sch_table *const *)x)->name, (*(const sch_table *const *)y)->name);
}

static int udt_name_cmp(const void *x, const void *y)
{
	return name_cmp((*(const sch_udt *const *)x)->name, (*(const sch_udt *const *)y)->name);
}

static const sch_keyspace **sorted_keyspaces(const sch_schema *s, hl_arena *a)
{
	const sch_keyspace **k = hl_arena_alloc(a, sizeof *k * (size_t)(s->nks + 1));

	memcpy(k, s->ks, sizeof *k * (size_t)s->nks);
	if (s->nks > 1)
		qsort(k, (size_t)s->nks, sizeof *k, ks_name_cmp);
	return k;
}

static const sch_table **sorted_tables(const sch_keyspace *ks, hl_arena *a)
{
	const sch_table **t = hl_arena_alloc(a, sizeof *t * (size_t)(ks->ntables + 1));

	if (ks->ntables)
		memcpy(t, ks->tables, sizeof *t * (size_t)ks->ntables);
	if (ks->ntables > 1)
		qsort(t, (size_t)ks->ntables, sizeof *t, table_name_cmp);
	return t;
}

static void table_rows(rows *rs, const sch_keyspace *ks, const sch_table *t, bool internals)
{
	int i;

	add_row(rs, t->ks, "table", t->name, sch_table_cql(t, internals, rs->a));
	/* indexes are kept sorted by name already; DESCRIBE sorts case-insensitively */
	{
		const sch_index **ix = hl_arena_alloc(rs->a, sizeof *ix * (size_t)(t->nindexes + 1));
		int j, k;

		for (i = 0; i < t->nindexes; i++)
			ix[i] = &t->indexes[i];
		for (j = 1; j < t->nindexes; j++)
			for (k = j; k > 0 && name_cmp(ix[k - 1]->name, ix[k]->name) > 0; k--) {
				const sch_index *tmp = ix[k];

				ix[k] = ix[k - 1];
				ix[k - 1] = tmp;
			}
		for (i = 0; i < t->nindexes; i++)
			add_row(rs, t->ks, "index", ix[i]->name, sch_index_cql(t, ix[i], rs->a));
	}
	/* then the table's views, by name (DescribeStatement's table elements) */
	if (ks && !t->view) {
		const sch_table **all = sorted_tables(ks, rs->a);

		for (i = 0; i < ks->ntables; i++)
			if (all[i]->view && !memcmp(all[i]->view->base_id.b, t->id.b, 16))
				add_row(rs, t->ks, "materialized_view", all[i]->name,
					sch_view_cql(all[i], internals, rs->a));
	}
}

static void keyspace_rows(rows *rs, const sch_keyspace *k, bool only, bool internals)
{
	const sch_udt **types;
	const sch_table **tables;
	int i;

	add_row(rs, k->name, "keyspace", k->name, sch_keyspace_cql(k, rs->a));
	if (only)
		return;
	types = sorted_types(k, rs->a);
	for (i = 0; i < k->ntypes; i++)
		add_row(rs, k->name, "type", types[i]->name, sch_type_cql(types[i], rs->a));
	tables = sorted_tables(k, rs->a);
	for (i = 0; i < k->ntables; i++)
		if (!tables[i]->view)
			table_rows(rs, k, tables[i], internals);
}

static int need_ks(const sch_schema *s, const sch_desc_req *req, const sch_keyspace **k, hl_err *err)
{
	const char *ks = req->ks ? req->ks : req->session_ks;

	if (!ks)
		return hl_errf(err, HL_ERR_INVALID, "No keyspace specified and no current keyspace");
	*k = sch_find_keyspace(s, ks);
	if (!*k)
		return hl_errf(err, HL_ERR_INVALID, "'%s' not found in keyspaces", ks);
	return 0;
}

int sch_describe(const sch_schema *s, const sch_desc_req *req, hl_arena *a,
		 sch_desc_result *out, hl_err *err)
{
	rows rs = { .a = a };
	const sch_keyspace **kss = sorted_keyspaces(s, a);
	const sch_keyspace *k = NULL;
	const sch_table *t;
	int i, j;

	memset(out, 0, sizeof *out);
	out->ncols = 4;
	switch (req->kind) {
	case SCH_DESC_KEYSPACES:
		out->ncols = 3;
		for (i = 0; i < s->nks; i++)
			add_row(&rs, kss[i]->name, "keyspace", kss[i]->name, NULL);
		break;
	case SCH_DESC_TABLES:
	case SCH_DESC_TYPES:
	case SCH_DESC_FUNCTIONS:
	case SCH_DESC_AGGREGATES:
		out->ncols = 3;
		if (req->session_ks && !(k = sch_find_keyspace(s, req->session_ks)))
			return hl_errf(err, HL_ERR_INVALID, "'%s' not found in keyspaces", req->session_ks);
		for (i = 0; i < s->nks; i++) {
			const sch_keyspace *ks = kss[i];

			if (k && ks != k)
				continue;
			if (req->kind == SCH_DESC_TABLES) {
				const sch_table **ts = sorted_tables(ks, a);

				for (j = 0; j < ks->ntables; j++)
					if (!ts[j]->view)
						add_row(&rs, ks->name, "table", ts[j]->name, NULL);
			} else if (req->kind == SCH_DESC_TYPES) {
				const sch_udt **us = hl_arena_alloc(a, sizeof *us * (size_t)(ks->ntypes + 1));

				if (ks->ntypes)
					memcpy(us, ks->types, sizeof *us * (size_t)ks->ntypes);
				if (ks->ntypes > 1)
					qsort(us, (size_t)ks->ntypes, sizeof *us, udt_name_cmp);
				for (j = 0; j < ks->ntypes; j++)
					add_row(&rs, ks->name, "type", us[j]->name, NULL);
			}
		}
		break;
	case SCH_DESC_KEYSPACE:
	case SCH_DESC_ONLY_KEYSPACE: {
		sch_desc_req r = *req;

		if (!r.ks)
			r.ks = req->name;
		if (need_ks(s, &r, &k, err))
			return -1;
		keyspace_rows(&rs, k, req->kind == SCH_DESC_ONLY_KEYSPACE, req->with_internals);
		break;
	}
	case SCH_DESC_TABLE:
		if (need_ks(s, req, &k, err))
			return -1;
		t = sch_find_table(s, k->name, req->name);
		if (!t || t->view)
			return hl_errf(err, HL_ERR_INVALID, "Table '%s' not found in keyspace '%s'", req->name, k->name);
		table_rows(&rs, k, t, req->with_internals);
		break;
	case SCH_DESC_INDEX: {
		const sch_index *ix;

		if (need_ks(s, req, &k, err))
			return -1;
		ix = sch_find_index(s, k->name, req->name, &t);
		if (!ix)
			return hl_errf(err, HL_ERR_INVALID, "Table for existing index '%s' not found in '%s'",
				       req->name, k->name);
		add_row(&rs, t->ks, "index", ix->name, sch_index_cql(t, ix, a));
		break;
	}
	case SCH_DESC_TYPE: {
		const sch_udt *u;

		if (need_ks(s, req, &k, err))
			return -1;
		u = sch_find_type(s, k->name, req->name);
		if (!u)
			return hl_errf(err, HL_ERR_INVALID, "User defined type '%s' not found in '%s'", req->name,
				       k->name);
		add_row(&rs, k->name, "type", u->name, sch_type_cql(u, a));
		break;
	}
	case SCH_DESC_VIEW:
		if (need_ks(s, req, &k, err))
			return -1;
		t = sch_find_table(s, k->name, req->name);
		if (!t || !t->view)
			return hl_errf(err, HL_ERR_INVALID, "Materialized view '%s' not found in '%s'", req->name,
				       k->name);
		add_row(&rs, k->name, "materialized_view", t->name, sch_view_cql(t, req->with_internals, a));
		break;
	case SCH_DESC_FUNCTION:
		if (need_ks(s, req, &k, err))
			return -1;
		return hl_errf(err, HL_ERR_INVALID, "User defined function '%s' not found in '%s'", req->name,
			       k->name);
	case SCH_DESC_AGGREGATE:
		if (need_ks(s, req, &k, err))
			return -1;
		return hl_errf(err, HL_ERR_INVALID, "User defined aggregate '%s' not found in '%s'", req->name,
			       k->name);
	case SCH_DESC_SCHEMA:
	case SCH_DESC_FULL_SCHEMA:
		for (i = 0; i < s->nks; i++) {
			if (req->kind == SCH_DESC_SCHEMA && sch_is_system_keyspace(kss[i]->name))
				continue;
			keyspace_rows(&rs, kss[i], false, req->with_internals);
		}
		break;
	case SCH_DESC_GENERIC: {
		const char *ks = req->ks;
		const sch_index *ix;

		if (!ks) {
			if ((k = sch_find_keyspace(s, req->name))) {
				keyspace_rows(&rs, k, false, req->with_internals);
				break;
			}
			ks = req->session_ks ? req->session_ks : req->name;
		}
		k = sch_find_keyspace(s, ks);
		if (!k)
			return hl_errf(err, HL_ERR_INVALID, "'%s' not found in keyspaces", ks);
		if ((t = sch_find_table(s, k->name, req->name)) && !t->view) {
			table_rows(&rs, k, t, req->with_internals);
			break;
		}
		if ((ix = sch_find_index(s, k->name, req->name, &t))) {
			add_row(&rs, t->ks, "index", ix->name, sch_index_cql(t, ix, a));
			break;
		}
		if ((t = sch_find_table(s, k->name, req->name)) && t->view) {
			add_row(&rs, k->name, "materialized_view", t->name,
				sch_view_cql(t, req->with_internals, a));
			break;
		}
		return hl_errf(err, HL_ERR_INVALID, "'%s' not found in keyspace '%s'", req->name, k->name);
	}
	default:
		return hl_errf(err, HL_ERR_INVALID, "Unsupported DESCRIBE statement");
	}
	out->nrows = rs.n;
	out->rows = rs.r;
	return 0;
}

static const char *strip(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s && strncmp(s, prefix, n) == 0 ? s + n : s;
}

void sch_describe_cluster(const char *cluster_name, const char *partitioner,
			  const char *snitch, const char **out_cluster,
			  const char **out_partitioner, const char **out_snitch)
{
	*out_cluster = cluster_name;
	*out_partitioner = strip(partitioner, "org.apache.cassandra.dht.");
	*out_snitch = strip(snitch, "org.apache.cassandra.locator.");
}

bool sch_describe_cluster_has_ownership(const char *session_ks)
{
	return session_ks && !sch_is_system_keyspace(session_ks);
}
