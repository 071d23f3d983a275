/*
 * system/rows.c: rows of the system tables. Values are serialized as the
 * native protocol carries them (v3+ collection framing with i32 counts and
 * lengths, collections sorted as Cassandra sorts them), so the executor can
 * copy cells into a ROWS result untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/system.h"
#include "system/sys_int.h"

void sys_node_defaults(sys_node *n)
{
	static const int64_t one_token[] = { 0 };

	memset(n, 0, sizeof *n);
	n->cluster_name = "Test Cluster";
	n->data_center = "datacenter1";
	n->rack = "rack1";
	n->ntokens = 1;
	n->tokens = one_token;
	n->listen_address = (sys_inet){ { 127, 0, 0, 1 }, 4 };
	n->broadcast_address = n->listen_address;
	n->rpc_address = n->listen_address;
	n->listen_port = 7000;
	n->broadcast_port = 7000;
	n->rpc_port = 9042;
	n->release_version = "5.0.2";
	n->cql_version = "3.4.7";
	n->native_protocol_version = "5";
	n->partitioner = "org.apache.cassandra.dht.Murmur3Partitioner";
	n->bootstrapped = "COMPLETED";
}

/* ---------------------------------------------------------------- row builder */

void sys__rb_row(sys_rb *r)
{
	int i, n = r->t->ncols;

	if (r->nrows == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		sys_cell *c = hl_arena_alloc(r->a, sizeof *c * (size_t)cap * (size_t)(n ? n : 1));

		if (r->nrows)
			memcpy(c, r->cells, sizeof *c * (size_t)r->nrows * (size_t)n);
		r->cells = c;
		r->cap = cap;
	}
	r->row = r->cells + (size_t)r->nrows * (size_t)n;
	for (i = 0; i < n; i++) {
		r->row[i].p = NULL;
		r->row[i].len = -1;
	}
	r->nrows++;
}

void sys__put(sys_rb *r, const char *col, const void *p, size_t n)
{
	int i = sch_column_index(r->t, col);

	if (i < 0)
		return;
	r->row[i].p = hl_arena_memdup(r->a, p ? p : "", n ? n : 1);
	r->row[i].len = (int32_t)n;
}

/* Take r->tmp as the cell value and reset it. */
void sys__put_tmp(sys_rb *r, const char *col)
{
	sys__put(r, col, r->tmp.p, r->tmp.len);
	hl_buf_reset(&r->tmp);
}

void sys__put_text(sys_rb *r, const char *col, const char *s)
{
	if (s)
		sys__put(r, col, s, strlen(s));
}

void sys__put_int(sys_rb *r, const char *col, int32_t v)
{
	ty_put_int(&r->tmp, v);
	sys__put_tmp(r, col);
}

void sys__put_bigint(sys_rb *r, const char *col, int64_t v)
{
	ty_put_bigint(&r->tmp, v);
	sys__put_tmp(r, col);
}

void sys__put_bool(sys_rb *r, const char *col, bool v)
{
	ty_put_bool(&r->tmp, v);
	sys__put_tmp(r, col);
}

void sys__put_double(sys_rb *r, const char *col, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	hl_buf_u64(&r->tmp, u);
	sys__put_tmp(r, col);
}

void sys__put_uuid(sys_rb *r, const char *col, const hl_uuid *u)
{
	sys__put(r, col, u->b, 16);
}

void sys__put_inet(sys_rb *r, const char *col, const sys_inet *in)
{
	if (in->len == 4 || in->len == 16)
		sys__put(r, col, in->b, (size_t)in->len);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* set<text> / list<text>: sorted when a set. */
void sys__put_strings(sys_rb *r, const char *col, const char **v, int n, bool sort)
{
	size_t mark;
	int i;

	if (sort && n > 1)
		qsort(v, (size_t)n, sizeof *v, str_cmp);
	ty_pack_begin(&r->tmp, &mark);
	for (i = 0; i < n; i++)
		ty_pack_elem(&r->tmp, (const uint8_t *)v[i], (int32_t)strlen(v[i]));
	ty_pack_end(&r->tmp, mark, n);
	sys__put_tmp(r, col);
}

/* map<text, text> or map<text, blob> from a sorted schema map (+ optional class first-by-order). */
void sys__put_map(sys_rb *r, const char *col, const sch_map *m, const char *extra_key, const char *extra_val)
{
	size_t mark;
	int i, n = 0;
	bool extra_done = extra_key == NULL;

	ty_pack_begin(&r->tmp, &mark);
	for (i = 0; i <= m->n; i++) {
		if (!extra_done && (i == m->n || strcmp(extra_key, m->e[i].key) < 0)) {
			ty_pack_elem(&r->tmp, (const uint8_t *)extra_key, (int32_t)strlen(extra_key));
			ty_pack_elem(&r->tmp, (const uint8_t *)extra_val, (int32_t)strlen(extra_val));
			extra_done = true;
			n++;
		}
		if (i == m->n)
			break;
		ty_pack_elem(&r->tmp, (const uint8_t *)m->e[i].key, (int32_t)strlen(m->e[i].key));
		ty_pack_elem(&r->tmp, (const uint8_t *)m->e[i].value, (int32_t)m->e[i].vlen);
		n++;
	}
	ty_pack_end(&r->tmp, mark, n);
	sys__put_tmp(r, col);
}

void sys__put_kv(sys_rb *r, const char *col, const char *const *keys, const char *const *vals, int n)
{
	size_t mark;

	ty_pack_begin(&r->tmp, &mark);
	for (int i = 0; i < n; i++) {
		ty_pack_elem(&r->tmp, (const uint8_t *)keys[i], (int32_t)strlen(keys[i]));
		ty_pack_elem(&r->tmp, (const uint8_t *)vals[i], (int32_t)strlen(vals[i]));
	}
	ty_pack_end(&r->tmp, mark, n);
	sys__put_tmp(r, col);
}

static const char **token_strings(hl_arena *a, const int64_t *tokens, int n)
{
	const char **v = hl_arena_alloc(a, sizeof *v * (size_t)(n ? n : 1));
	int i;

	for (i = 0; i < n; i++)
		v[i] = hl_arena_printf(a, "%lld", (long long)tokens[i]);
	return v;
}

/* ---------------------------------------------------------------- system */

static void local_rows(sys_rb *r, const sch_schema *s, const sys_node *n)
{
	sys__rb_row(r);
	sys__put_text(r, "key", "local");
	sys__put_text(r, "bootstrapped", n->bootstrapped);
	sys__put_inet(r, "broadcast_address", &n->broadcast_address);
	sys__put_int(r, "broadcast_port", n->broadcast_port);
	sys__put_text(r, "cluster_name", n->cluster_name);
	sys__put_text(r, "cql_version", n->cql_version);
	sys__put_text(r, "data_center", n->data_center);
	sys__put_int(r, "gossip_generation", n->gossip_generation);
	sys__put_uuid(r, "host_id", &n->host_id);
	sys__put_inet(r, "listen_address", &n->listen_address);
	sys__put_int(r, "listen_port", n->listen_port);
	sys__put_text(r, "native_protocol_version", n->native_protocol_version);
	sys__put_text(r, "partitioner", n->partitioner);
	sys__put_text(r, "rack", n->rack);
	sys__put_text(r, "release_version", n->release_version);
	sys__put_inet(r, "rpc_address", &n->rpc_address);
	sys__put_int(r, "rpc_port", n->rpc_port);
	sys__put_uuid(r, "schema_version", sch_version(s));
	sys__put_strings(r, "tokens", token_strings(r->a, n->tokens, n->ntokens), n->ntokens, true);
}

static void peer_rows(sys_rb *r, const sys_node *n, bool v2)
{
	int i;

	for (i = 0; i < n->npeers; i++) {
		const sys_peer *p = &n->peers[i];

		sys__rb_row(r);
		sys__put_inet(r, "peer", &p->peer);
		sys__put_text(r, "data_center", p->data_center);
		sys__put_uuid(r, "host_id", &p->host_id);
		sys__put_inet(r, "preferred_ip", &p->preferred_ip);
		sys__put_text(r, "rack", p->rack);
		sys__put_text(r, "release_version", p->release_version);
		if (p->has_schema_version)
			sys__put_uuid(r, "schema_version", &p->schema_version);
		sys__put_strings(r, "tokens", token_strings(r->a, p->tokens, p->ntokens), p->ntokens, true);
		if (v2) {
			sys__put_int(r, "peer_port", p->peer_port);
			if (p->preferred_ip.len)
				sys__put_int(r, "preferred_port", p->preferred_port);
			sys__put_inet(r, "native_address", &p->native_address);
			sys__put_int(r, "native_port", p->native_port);
		} else {
			sys__put_inet(r, "rpc_address", &p->native_address);
		}
	}
}

static void estimate_rows(sys_rb *r, const sys_node *n, const char *range_type)
{
	int i;

	for (i = 0; i < n->nestimates; i++) {
		const sys_size_estimate *e = &n->estimates[i];

		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", e->ks);
		sys__put_text(r, "table_name", e->table);
		if (range_type)
			sys__put_text(r, "range_type", range_type);
		sys__put_text(r, "range_start", hl_arena_printf(r->a, "%lld", (long long)e->range_start));
		sys__put_text(r, "range_end", hl_arena_printf(r->a, "%lld", (long long)e->range_end));
		sys__put_bigint(r, "mean_partition_size", e->mean_partition_size);
		sys__put_bigint(r, "partitions_count", e->partitions_count);
	}
}

/* ---------------------------------------------------------------- system_schema */

static void keyspace_rows(sys_rb *r, const sch_schema *s)
{
	int i;

	for (i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);

		if (k->cls == SCH_KS_VIRTUAL)
			continue;
		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", k->name);
		sys__put_bool(r, "durable_writes", k->durable_writes);
		sys__put_map(r, "replication", &k->replication, "class", k->strategy);
	}
}

static void params_cells(sys_rb *r, const sch_params *p)
{
	sys__put_text(r, "additional_write_policy", p->additional_write_policy);
	sys__put_bool(r, "allow_auto_snapshot", p->allow_auto_snapshot);
	sys__put_double(r, "bloom_filter_fp_chance", p->bloom_filter_fp_chance);
	sys__put_map(r, "caching", &p->caching, NULL, NULL);
	sys__put_bool(r, "cdc", p->cdc);
	sys__put_text(r, "comment", p->comment);
	sys__put_map(r, "compaction", &p->compaction, NULL, NULL);
	sys__put_map(r, "compression", &p->compression, NULL, NULL);
	sys__put_text(r, "memtable", p->memtable);
	sys__put_double(r, "crc_check_chance", p->crc_check_chance);
	sys__put_double(r, "dclocal_read_repair_chance", 0.0);
	sys__put_int(r, "default_time_to_live", p->default_time_to_live);
	sys__put_map(r, "extensions", &p->extensions, NULL, NULL);
	sys__put_int(r, "gc_grace_seconds", p->gc_grace_seconds);
	sys__put_bool(r, "incremental_backups", p->incremental_backups);
	sys__put_int(r, "max_index_interval", p->max_index_interval);
	sys__put_int(r, "memtable_flush_period_in_ms", p->memtable_flush_period_in_ms);
	sys__put_int(r, "min_index_interval", p->min_index_interval);
	sys__put_double(r, "read_repair_chance", 0.0);
	sys__put_text(r, "read_repair", p->read_repair);
	sys__put_text(r, "speculative_retry", p->speculative_retry);
}

typedef void (*table_fn)(sys_rb *r, const sch_table *t);

static void for_tables(sys_rb *r, const sch_schema *s, bool virtual_ks, table_fn fn)
{
	int i, j;

	for (i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);

		if ((k->cls == SCH_KS_VIRTUAL) != virtual_ks)
			continue;
		for (j = 0; j < k->ntables; j++)
			fn(r, k->tables[j]);
	}
}

static void table_row(sys_rb *r, const sch_table *t)
{
	const char *flags[2] = { "compound", "counter" };

	if (t->view)
		return;   /* views are rows of system_schema.views */
	sys__rb_row(r);
	sys__put_text(r, "keyspace_name", t->ks);
	sys__put_text(r, "table_name", t->name);
	sys__put_uuid(r, "id", &t->id);
	sys__put_strings(r, "flags", flags, t->is_counter ? 2 : 1, true);
	params_cells(r, &t->params);
}

static void view_row(sys_rb *r, const sch_table *t)
{
	if (!t->view)
		return;
	sys__rb_row(r);
	sys__put_text(r, "keyspace_name", t->ks);
	sys__put_text(r, "view_name", t->name);
	sys__put_uuid(r, "base_table_id", &t->view->base_id);
	sys__put_text(r, "base_table_name", t->view->base);
	sys__put_text(r, "where_clause", t->view->where);
	sys__put_uuid(r, "id", &t->id);
	sys__put_bool(r, "include_all_columns", t->view->include_all);
	params_cells(r, &t->params);
}

/* system.built_views: a view is built before its CREATE is answered. */
static void built_view_row(sys_rb *r, const sch_table *t)
{
	if (!t->view)
		return;
	sys__rb_row(r);
	sys__put_text(r, "keyspace_name", t->ks);
	sys__put_text(r, "view_name", t->name);
	sys__put_bool(r, "status_replicated", true);
}

static const char *kind_name(sch_kind k)
{
	switch (k) {
	case SCH_PARTITION_KEY: return "partition_key";
	case SCH_CLUSTERING: return "clustering";
	case SCH_STATIC: return "static";
	default: return "regular";
	}
}

static void column_rows(sys_rb *r, const sch_table *t)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];

		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", t->ks);
		sys__put_text(r, "table_name", t->name);
		sys__put_text(r, "column_name", c->name);
		sys__put_text(r, "clustering_order", c->order == SCH_ORDER_ASC ? "asc" :
					       c->order == SCH_ORDER_DESC ? "desc" : "none");
		sys__put(r, "column_name_bytes", c->name, strlen(c->name));
		sys__put_text(r, "kind", kind_name(c->kind));
		sys__put_int(r, "position", c->position);
		ty_format(c->type, &r->tmp);
		sys__put_tmp(r, "type");
	}
}

static void dropped_rows(sys_rb *r, const sch_table *t)
{
	int i;

	for (i = 0; i < t->ndropped; i++) {
		const sch_dropped *d = &t->dropped[i];

		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", t->ks);
		sys__put_text(r, "table_name", t->name);
		sys__put_text(r, "column_name", d->name);
		sys__put_bigint(r, "dropped_time", d->dropped_time / 1000);
		sys__put_text(r, "kind", kind_name(d->kind));
		ty_format(d->type, &r->tmp);
		sys__put_tmp(r, "type");
	}
}

static void index_rows(sys_rb *r, const sch_table *t)
{
	int i;

	for (i = 0; i < t->nindexes; i++) {
		sys__rb_row(r);
		sys__put_text(r, "keyspace_name", t->ks);
		sys__put_text(r, "table_name", t->name);
		sys__put_text(r, "index_name", t->indexes[i].name);
		sys__put_text(r, "kind", t->indexes[i].kind);
		sys__put_map(r, "options", &t->indexes[i].options, NULL, NULL);
	}
}

static void type_rows(sys_rb *r, const sch_schema *s)
{
	int i, j, f;

	for (i = 0; i < sch_nkeyspaces(s); i++) {
		const sch_keyspace *k = sch_keyspace_at(s, i);

		for (j = 0; j < k->ntypes; j++) {
			const sch_udt *u = k->types[j];
			const char **names = hl_arena_alloc(r->a, sizeof *names * (size_t)(u->nfields + 1));
			const char **types = hl_arena_alloc(r->a, sizeof *types * (size_t)(u->nfields + 1));

			for (f = 0; f < u->nfields; f++) {
				names[f] = u->field_names[f];
				types[f] = ty_name(u->field_types[f], r->a);
			}
			sys__rb_row(r);
			sys__put_text(r, "keyspace_name", k->name);
			sys__put_text(r, "type_name", u->name);
			sys__put_strings(r, "field_names", names, u->nfields, false);
			sys__put_strings(r, "field_types", types, u->nfields, false);
		}
	}
}

/* ---------------------------------------------------------------- system_virtual_schema */

static void vkeyspace_rows(sys_rb *r, const sch_schema *s)
{
	int i;

	for (i = 0; i < sch_nkeyspaces(s); i++)
		if (sch_keyspace_at(s, i)->cls == SCH_KS_VIRTUAL) {
			sys__rb_row(r);
			sys__put_text(r, "keyspace_name", sch_keyspace_at(s, i)->name);
		}
}

static void vtable_row(sys_rb *r, const sch_table *t)
{
	sys__rb_row(r);
	sys__put_text(r, "keyspace_name", t->ks);
	sys__put_text(r, "table_name", t->name);
	sys__put_text(r, "comment", t->params.comment);
}

/* ---------------------------------------------------------------- entry */

bool sys_handles(const sch_table *t)
{
	return !strcmp(t->ks, "system") || !strcmp(t->ks, "system_schema") ||
	       !strcmp(t->ks, "system_virtual_schema") || !strcmp(t->ks, "system_traces") ||
	       !strcmp(t->ks, "system_views");
}

int sys_rows(const sch_schema *s, const sys_node *node, const sch_table *t, hl_arena *a,
	     sys_rowset *out, hl_err *err)
{
	sys_rb r = { .a = a, .t = t };
	const char *n = t->name;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!sys_handles(t))
		return hl_errf(err, HL_ERR_INVALID, "%s.%s is not a system table", t->ks, t->name);
	hl_buf_init(&r.tmp);
	if (!strcmp(t->ks, "system")) {
		if (!strcmp(n, "local"))
			local_rows(&r, s, node);
		else if (!strcmp(n, "peers"))
			peer_rows(&r, node, false);
		else if (!strcmp(n, "peers_v2"))
			peer_rows(&r, node, true);
		else if (!strcmp(n, "size_estimates"))
			estimate_rows(&r, node, NULL);
		else if (!strcmp(n, "table_estimates"))
			estimate_rows(&r, node, "primary");
		else if (!strcmp(n, "built_views"))
			for_tables(&r, s, false, built_view_row);
	} else if (!strcmp(t->ks, "system_schema")) {
		if (!strcmp(n, "keyspaces"))
			keyspace_rows(&r, s);
		else if (!strcmp(n, "tables"))
			for_tables(&r, s, false, table_row);
		else if (!strcmp(n, "columns"))
			for_tables(&r, s, false, column_rows);
		else if (!strcmp(n, "dropped_columns"))
			for_tables(&r, s, false, dropped_rows);
		else if (!strcmp(n, "indexes"))
			for_tables(&r, s, false, index_rows);
		else if (!strcmp(n, "types"))
			type_rows(&r, s);
		else if (!strcmp(n, "views"))
			for_tables(&r, s, false, view_row);
		/* functions, aggregates, triggers, column_masks: no rows */
	} else if (!strcmp(t->ks, "system_traces")) {
		if (node->traces)
			sys__trace_rows(&r, node->traces, !strcmp(n, "events"));
	} else if (!strcmp(t->ks, "system_views")) {
		sys__view_rows(&r, node, n);
	} else {
		if (!strcmp(n, "keyspaces"))
			vkeyspace_rows(&r, s);
		else if (!strcmp(n, "tables"))
			for_tables(&r, s, true, vtable_row);
		else if (!strcmp(n, "columns"))
			for_tables(&r, s, true, column_rows);
	}
	hl_buf_free(&r.tmp);
	out->ncols = t->ncols;
	out->nrows = r.nrows;
	out->cells = r.cells;
	return rc;
}
