/*
 * query/guard.c: Cassandra 5.0's guardrails, configured from cassandra.yaml
 * (config/config.h, cfg_guardrails) and checked where Cassandra checks them.
 *
 * A threshold pair warns above *_warn (the text goes into the response's
 * warnings and the log) and refuses above *_fail with an InvalidRequest;
 * a value <= 0 disables that half. A disabled *_enabled flag refuses the
 * feature. Messages are Cassandra's: "Guardrail <name> violated: <text>",
 * followed by the guardrail's reason when it has one.
 *
 * Like Cassandra (which exempts internal queries and superusers; every
 * Helenus client is an ordinary user), system keyspaces are exempt, so
 * drivers' metadata queries never trip a guardrail.
 *
 * The configuration is set once at start-up (qry_shard.guard) before
 * any shard runs and is read-only afterwards, so shards share it unlocked.
 */
#include "q_int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* Cassandra's defaults, for executors given no config (unit tests, tools):
 * filled once, read-only afterwards. */
static cfg_guardrails defaults;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void init_defaults(void)
{
	cfg_guardrails_defaults(&defaults);
}

const struct cfg_guardrails *q_guard_cfg(const qry_exec *x)
{
	if (x->sh->guard)
		return x->sh->guard;
	pthread_once(&defaults_once, init_defaults);
	return &defaults;
}

/* "Guardrail name violated: text[. reason]" */
static void decorate(char *out, size_t n, const char *name, const char *reason, const char *fmt,
		     va_list ap)
{
	char msg[400];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (reason) {
		size_t ml = strlen(msg);
		snprintf(out, n, "Guardrail %s violated: %s%s%s", name, msg,
			 ml && msg[ml - 1] == '.' ? " " : ". ", reason);
	} else {
		snprintf(out, n, "Guardrail %s violated: %s", name, msg);
	}
}

static void gwarn(qry_exec *x, const char *name, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void gwarn(qry_exec *x, const char *name, const char *reason, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	decorate(buf, sizeof buf, name, reason, fmt, ap);
	va_end(ap);
	q_warn(x, "%s", buf);
}

static int gfail(qry_exec *x, const char *name, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int gfail(qry_exec *x, const char *name, const char *reason, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	decorate(buf, sizeof buf, name, reason, fmt, ap);
	va_end(ap);
	hl_error("%s", buf);
	return hl_errf(&x->err, HL_ERR_INVALID, "%s", buf);
}

static bool exempt(const char *ks)
{
	return ks && sch_is_system_keyspace(ks);
}

static int flag(qry_exec *x, bool enabled, const char *name, const char *what, const char *reason)
{
	if (enabled)
		return 0;
	return gfail(x, name, reason, "%s is not allowed", what);
}

/* The "Detected collection ... / Value of column ..." family: one message for both halves. */
static int value_threshold(qry_exec *x, const char *name, int64_t v, int64_t warn, int64_t fail,
			   const char *fmt_what, const char *what)
{
	if (fail > 0 && v > fail)
		return gfail(x, name, NULL, fmt_what, what, (long long)v, "failure", (long long)fail);
	if (warn > 0 && v > warn)
		gwarn(x, name, NULL, fmt_what, what, (long long)v, "warning", (long long)warn);
	return 0;
}

/* ------------------------------------------------------------ reads */

int q_guard_select(qry_exec *x)
{
	const cfg_guardrails *g = q_guard_cfg(x);
	const q_plan *p = x->plan;
	const sch_table *t = p->table;
	const cql_select *s = &p->stmt->select;

	if (p->is_virtual || exempt(t->ks))
		return 0;
	if (s->allow_filtering &&
	    flag(x, g->allow_filtering_enabled, "allow_filtering", "Querying with ALLOW FILTERING",
		 "ALLOW FILTERING can potentially visit all the data in the table and have "
		 "unpredictable performance.") < 0)
		return -1;
	if (s->ngroup && flag(x, g->group_by_enabled, "group_by", "GROUP BY functionality", NULL) < 0)
		return -1;
	int32_t ps = x->params ? x->params->page_size : 0;
	if (ps > 0) {
		if (g->page_size_fail > 0 && ps > g->page_size_fail)
			return gfail(x, "page_size", NULL, "Aborting query for table %s, page size %d "
				     "exceeds fail threshold of %lld.", t->name, ps,
				     (long long)g->page_size_fail);
		if (g->page_size_warn > 0 && ps > g->page_size_warn)
			gwarn(x, "page_size", NULL, "Query for table %s with page size %d exceeds warning "
			      "threshold of %lld.", t->name, ps, (long long)g->page_size_warn);
	}
	const q_select *q = p->sel;
	if (q->pk_complete) {
		int64_t n = x->nsegs;
		bool in = false;
		for (int i = 0; i < t->npk && q->pk; i++)
			if (q->pk[i] && q->pk[i]->op == CQL_OP_IN)
				in = true;
		if (in) {
			if (g->in_select_cartesian_product_fail > 0 && n > g->in_select_cartesian_product_fail)
				return gfail(x, "in_select_cartesian_product", NULL,
					     "Aborting query because the cartesian product of the IN restrictions "
					     "on partition key produces %lld values, this exceeds fail threshold "
					     "of %lld.", (long long)n,
					     (long long)g->in_select_cartesian_product_fail);
			if (g->in_select_cartesian_product_warn > 0 && n > g->in_select_cartesian_product_warn)
				gwarn(x, "in_select_cartesian_product", NULL,
				      "The cartesian product of the IN restrictions on partition key produces "
				      "%lld values, this exceeds warning threshold of %lld.", (long long)n,
				      (long long)g->in_select_cartesian_product_warn);
		}
		if (g->partition_keys_in_select_fail > 0 && n > g->partition_keys_in_select_fail)
			return gfail(x, "partition_keys_in_select", NULL,
				     "Aborting query with partition keys in IN clause on table %s, number of "
				     "partition keys %lld exceeds fail threshold of %lld.", t->name,
				     (long long)n, (long long)g->partition_keys_in_select_fail);
		if (g->partition_keys_in_select_warn > 0 && n > g->partition_keys_in_select_warn)
			gwarn(x, "partition_keys_in_select", NULL,
			      "Query with partition keys in IN clause on table %s, with number of partition "
			      "keys %lld exceeds warning threshold of %lld.", t->name, (long long)n,
			      (long long)g->partition_keys_in_select_warn);
	}
	bool ck_in = false;
	for (int i = 0; i < q->nck_restr; i++)
		if (q->ck[i]->op == CQL_OP_IN)
			ck_in = true;
	if (ck_in && x->nslices > 0) {
		int64_t n = x->nslices;
		if (g->in_select_cartesian_product_fail > 0 && n > g->in_select_cartesian_product_fail)
			return gfail(x, "in_select_cartesian_product", NULL,
				     "Aborting query because the cartesian product of the IN restrictions on "
				     "clustering key produces %lld values, this exceeds fail threshold of "
				     "%lld.", (long long)n, (long long)g->in_select_cartesian_product_fail);
		if (g->in_select_cartesian_product_warn > 0 && n > g->in_select_cartesian_product_warn)
			gwarn(x, "in_select_cartesian_product", NULL,
			      "The cartesian product of the IN restrictions on clustering key produces %lld "
			      "values, this exceeds warning threshold of %lld.", (long long)n,
			      (long long)g->in_select_cartesian_product_warn);
	}
	return 0;
}

int64_t q_guard_tombstone_warn(const qry_exec *x)
{
	return q_guard_cfg(x)->tombstone_warn_threshold;
}

int64_t q_guard_tombstone_fail(const qry_exec *x)
{
	return q_guard_cfg(x)->tombstone_failure_threshold;
}

/* ------------------------------------------------------------ writes */

static const sch_column *col_by_id(const sch_table *t, int id)
{
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].id == id)
			return &t->cols[i];
	return NULL;
}

/* Element count of a frozen collection's serialized value (-1: not one). */
static int64_t frozen_items(const ty_type *ty, const st_cell *c)
{
	if (!ty || !ty->frozen || (ty->kind != TY_LIST && ty->kind != TY_SET && ty->kind != TY_MAP) ||
	    c->len < 4)
		return -1;
	return (int64_t)((uint32_t)c->value[0] << 24 | (uint32_t)c->value[1] << 16 |
			 (uint32_t)c->value[2] << 8 | c->value[3]);
}

/* Cassandra's Cell.dataSize: timestamp, ttl and deletion time, then value and path. */
#define CELL_OVERHEAD 16

static int check_row(qry_exec *x, const sch_table *t, const st_mrow *r)
{
	const cfg_guardrails *g = q_guard_cfg(x);
	static const char vfmt[] = "Value of column '%s' has size %lld, this exceeds the %s threshold "
				   "of %lld.";
	static const char cfmt[] = "Detected collection %s of size %lld, this exceeds the %s threshold "
				   "of %lld.";
	static const char ifmt[] = "Detected collection %s with %lld items, this exceeds the %s "
				   "threshold of %lld.";

	for (const st_cell *c = r->cells; c; c = c->next) {
		const sch_column *col = col_by_id(t, c->col);
		const char *name = col ? col->name : "?";
		bool tomb = st_cell_is_tombstone(c);

		if (!tomb && g->max_value_size > 0 && c->len > g->max_value_size)
			return hl_errf(&x->err, HL_ERR_INVALID, "Value of column '%s' has size %u, which "
				       "exceeds max_value_size of %llu bytes", name, c->len,
				       (unsigned long long)g->max_value_size);
		if (!tomb && value_threshold(x, "column_value_size", c->len, g->column_value_size_warn,
					     g->column_value_size_fail, vfmt, name) < 0)
			return -1;
		if (c->path && col && col->type && col->type->kind != TY_LIST &&
		    value_threshold(x, "column_value_size", c->path_len, g->column_value_size_warn,
				    g->column_value_size_fail, vfmt, name) < 0)
			return -1;
		int64_t fi = tomb ? -1 : frozen_items(col ? col->type : NULL, c);
		if (fi >= 0) {
			if (value_threshold(x, "items_per_collection", fi, g->items_per_collection_warn,
					    g->items_per_collection_fail, ifmt, name) < 0 ||
			    value_threshold(x, "collection_size", CELL_OVERHEAD + (int64_t)c->len,
					    g->collection_size_warn, g->collection_size_fail, cfmt, name) < 0)
				return -1;
		}
	}
	/* non-frozen collections: the elements this write adds, per column
	 * (Cassandra checks only what is added, to avoid a read before write) */
	for (const st_cell *c = r->cells; c; c = c->next) {
		const sch_column *col = col_by_id(t, c->col);
		if (!c->path || !col || col->type->kind == TY_UDT || st_cell_is_tombstone(c))
			continue;
		bool first = true;
		for (const st_cell *p = r->cells; p != c; p = p->next)
			if (p->col == c->col && p->path && !st_cell_is_tombstone(p))
				first = false;
		if (!first)
			continue;
		int64_t items = 0, size = 0;
		for (const st_cell *p = c; p; p = p->next)
			if (p->col == c->col && p->path && !st_cell_is_tombstone(p)) {
				items++;
				size += CELL_OVERHEAD + (int64_t)p->len + (int64_t)p->path_len;
			}
		if (value_threshold(x, "items_per_collection", items, g->items_per_collection_warn,
				    g->items_per_collection_fail, ifmt, col->name) < 0 ||
		    value_threshold(x, "collection_size", size, g->collection_size_warn,
				    g->collection_size_fail, cfmt, col->name) < 0)
			return -1;
	}
	return 0;
}

int q_guard_write(qry_exec *x, const q_plan *p, int first_op)
{
	const cfg_guardrails *g = q_guard_cfg(x);
	const q_modify *m = p->mod;

	if (!m || !p->table || exempt(p->table->ks))
		return 0;
	if (m->timestamp && flag(x, g->user_timestamps_enabled, "user_timestamps",
				 "User provided timestamps (USING TIMESTAMP)", NULL) < 0)
		return -1;
	if (m->list_rmw && flag(x, g->read_before_write_list_operations_enabled,
				"read_before_write_list_operations",
				"List operation requiring read before write", NULL) < 0)
		return -1;
	for (int i = first_op; i < x->nops; i++) {
		const st_mutation *mut = x->ops[i]->mut;
		if (!mut)
			continue;
		if (mut->static_row && check_row(x, p->table, mut->static_row) < 0)
			return -1;
		for (const st_mrow *r = mut->rows; r; r = r->next)
			if (check_row(x, p->table, r) < 0)
				return -1;
	}
	return 0;
}

/* Bytes a mutation carries (what batch_size_*_threshold measures). */
static size_t mut_size(const st_mutation *m)
{
	size_t n = m->keylen;
	for (const st_mrow *r = m->rows; r; r = r->next)
		for (const st_cell *c = r->cells; c; c = c->next)
			n += c->len + c->path_len;
	if (m->static_row)
		for (const st_cell *c = m->static_row->cells; c; c = c->next)
			n += c->len + c->path_len;
	return n;
}

/* "[ks.a, ks.b]": the tables of a batch, as Cassandra prints its set. */
static const char *batch_tables(qry_exec *x)
{
	hl_buf b;
	hl_uuid seen[16];
	int nseen = 0;

	hl_buf_init(&b);
	hl_buf_put(&b, "[", 1);
	for (int i = 0; i < x->nops; i++) {
		bool dup = false;
		for (int j = 0; j < nseen; j++)
			if (!memcmp(&seen[j], &x->ops[i]->table, sizeof seen[j]))
				dup = true;
		if (dup || nseen == 16)
			continue;
		seen[nseen++] = x->ops[i]->table;
		const sch_table *t = sch_find_table_by_id(x->schema, &x->ops[i]->table);
		char name[300];
		int n = snprintf(name, sizeof name, "%s%s.%s", nseen > 1 ? ", " : "",
				 t ? t->ks : "?", t ? t->name : "?");
		hl_buf_put(&b, name, (size_t)(n < (int)sizeof name ? n : (int)sizeof name - 1));
	}
	hl_buf_put(&b, "]", 1);
	const char *s = hl_arena_strndup(x->a, (const char *)b.p, b.len);
	hl_buf_free(&b);
	return s;
}

/*
 * Cassandra's batch checks: the size guardrails on batches spanning
 * partitions (warn above batch_size_warn_threshold, refuse above
 * batch_size_fail_threshold), and the warning for an unlogged batch over
 * more partitions than unlogged_batch_across_partitions_warn_threshold.
 */
int q_guard_batch(qry_exec *x, bool logged)
{
	const cfg_guardrails *g = q_guard_cfg(x);

	if (x->nops < 2)
		return 0;
	size_t total = 0;
	for (int i = 0; i < x->nops; i++)
		if (x->ops[i]->mut)
			total += mut_size(x->ops[i]->mut);
	if (total > g->batch_size_fail_threshold) {
		hl_error("Batch for %s is of size %zu, exceeding specified threshold of %llu by %llu. "
			 "(see batch_size_fail_threshold)", batch_tables(x), total,
			 (unsigned long long)g->batch_size_fail_threshold,
			 (unsigned long long)(total - g->batch_size_fail_threshold));
		return hl_errf(&x->err, HL_ERR_INVALID, "Batch too large");
	}
	if (total > g->batch_size_warn_threshold)
		q_warn(x, "Batch for %s is of size %zu, exceeding specified threshold of %llu by %llu.",
		       batch_tables(x), total, (unsigned long long)g->batch_size_warn_threshold,
		       (unsigned long long)(total - g->batch_size_warn_threshold));
	if (!logged) {
		/* distinct partitions: ops of one table and key are one partition */
		int parts = 0, ntables = 0;
		for (int i = 0; i < x->nops; i++) {
			const st_mutation *m = x->ops[i]->mut;
			bool dup = false, tdup = false;
			for (int j = 0; j < i; j++) {
				const st_mutation *o = x->ops[j]->mut;
				if (!memcmp(&x->ops[j]->table, &x->ops[i]->table, sizeof(hl_uuid))) {
					tdup = true;
					if (m && o && o->keylen == m->keylen && !memcmp(o->key, m->key, m->keylen))
						dup = true;
				}
			}
			parts += !dup;
			ntables += !tdup;
		}
		if (parts > g->unlogged_batch_across_partitions_warn_threshold)
			q_warn(x, "Unlogged batch covering %d partitions detected against table%s %s. You "
			       "should use a logged batch for atomicity, or asynchronous writes for "
			       "performance.", parts, ntables == 1 ? "" : "s", batch_tables(x));
	}
	return 0;
}

/* ------------------------------------------------------------ schema */

static int user_keyspaces(const sch_schema *s)
{
	int n = 0;
	for (int i = 0; i < sch_nkeyspaces(s); i++)
		if (!sch_is_system_keyspace(sch_keyspace_at(s, i)->name))
			n++;
	return n;
}

static int user_tables(const sch_schema *s)
{
	int n = 0;
	for (int i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);
		if (!sch_is_system_keyspace(k->name))
			n += k->ntables;
	}
	return n;
}

static bool simple_strategy(const sch_option *opts, int n)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(opts[i].name, "replication") || opts[i].kind != SCH_OPT_MAP)
			continue;
		for (int j = 0; j < opts[i].nmap; j++)
			if (!strcmp(opts[i].map[j].key, "class") &&
			    (!strcmp(opts[i].map[j].value, "SimpleStrategy") ||
			     !strcmp(opts[i].map[j].value, "org.apache.cassandra.locator.SimpleStrategy")))
				return true;
	}
	return false;
}

static int count_threshold(qry_exec *x, const char *name, int64_t v, int64_t warn, int64_t fail,
			   const char *wfmt, const char *ffmt, const char *what)
{
	/* wfmt: what, value, threshold; ffmt: threshold, what */
	if (fail > 0 && v > fail)
		return gfail(x, name, NULL, ffmt, (long long)fail, what);
	if (warn > 0 && v > warn)
		gwarn(x, name, NULL, wfmt, what, (long long)v, (long long)warn);
	return 0;
}

int q_guard_truncate(qry_exec *x, const char *ks)
{
	if (exempt(ks))
		return 0;
	return flag(x, q_guard_cfg(x)->drop_truncate_table_enabled, "drop_truncate_table_enabled",
		    "DROP and TRUNCATE TABLE functionality", NULL);
}

int q_guard_ddl(qry_exec *x, const sch_ddl *d)
{
	const cfg_guardrails *g = q_guard_cfg(x);
	const sch_schema *s = q_schema(x);

	if (exempt(d->ks))
		return 0;
	switch (d->kind) {
	case SCH_DDL_CREATE_KEYSPACE:
		if (simple_strategy(d->keyspace.opts, d->keyspace.nopts) &&
		    flag(x, g->simplestrategy_enabled, "simplestrategy", "SimpleStrategy", NULL) < 0)
			return -1;
		if (sch_find_keyspace(s, d->ks))
			return 0;
		return count_threshold(x, "keyspaces", user_keyspaces(s) + 1, g->keyspaces_warn,
				       g->keyspaces_fail,
				       "Creating keyspace %s, current number of keyspaces %lld exceeds "
				       "warning threshold of %lld.",
				       "Cannot have more than %lld keyspaces, aborting the creation of "
				       "keyspace %s", d->ks);
	case SCH_DDL_ALTER_KEYSPACE:
		if (simple_strategy(d->keyspace.opts, d->keyspace.nopts))
			return flag(x, g->simplestrategy_enabled, "simplestrategy", "SimpleStrategy", NULL);
		return 0;
	case SCH_DDL_DROP_KEYSPACE:
		return flag(x, g->drop_keyspace_enabled, "drop_keyspace_enabled",
			    "DROP KEYSPACE functionality", NULL);
	case SCH_DDL_DROP_TABLE:
		return flag(x, g->drop_truncate_table_enabled, "drop_truncate_table_enabled",
			    "DROP and TRUNCATE TABLE functionality", NULL);
	case SCH_DDL_CREATE_TABLE: {
		if (d->table.compact_storage &&
		    flag(x, g->compact_tables_enabled, "compact_tables",
			 "Creation of new COMPACT STORAGE tables", NULL) < 0)
			return -1;
		if (sch_find_table(s, d->ks, d->name))
			return 0;
		int64_t nc = d->table.ncols;
		if (g->columns_per_table_fail > 0 && nc > g->columns_per_table_fail)
			return gfail(x, "columns_per_table", NULL, "Tables cannot have more than %lld "
				     "columns, but %lld provided for table %s",
				     (long long)g->columns_per_table_fail, (long long)nc, d->name);
		if (g->columns_per_table_warn > 0 && nc > g->columns_per_table_warn)
			gwarn(x, "columns_per_table", NULL, "The table %s has %lld columns, this exceeds "
			      "the warning threshold of %lld.", d->name, (long long)nc,
			      (long long)g->columns_per_table_warn);
		return count_threshold(x, "tables", user_tables(s) + 1, g->tables_warn, g->tables_fail,
				       "Creating table %s, current number of tables %lld exceeds warning "
				       "threshold of %lld.",
				       "Cannot have more than %lld tables, aborting the creation of table %s",
				       d->name);
	}
	case SCH_DDL_ALTER_TABLE_ADD:
	case SCH_DDL_ALTER_TABLE_DROP:
	case SCH_DDL_ALTER_TABLE_RENAME: {
		if (flag(x, g->alter_table_enabled, "alter_table", "ALTER TABLE changing columns",
			 NULL) < 0)
			return -1;
		const sch_table *t = sch_find_table(s, d->ks, d->name);
		if (d->kind != SCH_DDL_ALTER_TABLE_ADD || !t)
			return 0;
		int64_t nc = t->ncols + d->ncols;
		if (g->columns_per_table_fail > 0 && nc > g->columns_per_table_fail)
			return gfail(x, "columns_per_table", NULL, "Tables cannot have more than %lld "
				     "columns, but %lld provided for table %s",
				     (long long)g->columns_per_table_fail, (long long)nc, d->name);
		if (g->columns_per_table_warn > 0 && nc > g->columns_per_table_warn)
			gwarn(x, "columns_per_table", NULL, "The table %s has %lld columns, this exceeds "
			      "the warning threshold of %lld.", d->name, (long long)nc,
			      (long long)g->columns_per_table_warn);
		return 0;
	}
	case SCH_DDL_CREATE_TYPE:
	case SCH_DDL_ALTER_TYPE_ADD: {
		int64_t nf;
		if (d->kind == SCH_DDL_CREATE_TYPE) {
			nf = d->type.nfields;
		} else {
			const sch_udt *u = sch_find_type(s, d->ks, d->name);
			if (!u)
				return 0;
			nf = u->type->nsub + 1;
		}
		if (g->fields_per_udt_fail > 0 && nf > g->fields_per_udt_fail)
			return gfail(x, "fields_per_udt", NULL, "User types cannot have more than %lld "
				     "columns, but %lld provided for user type %s.",
				     (long long)g->fields_per_udt_fail, (long long)nf, d->name);
		if (g->fields_per_udt_warn > 0 && nf > g->fields_per_udt_warn)
			gwarn(x, "fields_per_udt", NULL, "The user type %s has %lld columns, this exceeds "
			      "the warning threshold of %lld.", d->name, (long long)nf,
			      (long long)g->fields_per_udt_warn);
		return 0;
	}
	case SCH_DDL_CREATE_INDEX:
		return flag(x, g->secondary_indexes_enabled, "secondary_indexes",
			    "Creating secondary indexes", NULL);
	default:
		return 0;
	}
}
