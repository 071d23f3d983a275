/*
 * schema/model.c: snapshots (creation, deep copy, ordering, version digest,
 * refcounting), lookups and the registry that publishes the current one.
 *
 * A snapshot is built privately (mutable) and becomes immutable once
 * sch__finish has sorted it and computed its version; from then on it is only
 * shared by reference.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/sch_int.h"

/* ---------------------------------------------------------------- maps */

const char *sch_map_get(const sch_map *m, const char *key)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, key) == 0)
			return m->e[i].value;
	return NULL;
}

/* vlen bytes that may hold NUL (extension blobs) plus a terminator; strndup would stop at a NUL. */
static char *dup_value(hl_arena *a, const char *val, size_t vlen)
{
	char *q = hl_arena_alloc(a, vlen + 1);

	if (vlen)
		memcpy(q, val, vlen);
	q[vlen] = 0;
	return q;
}

/* Insert or replace, keeping the entries sorted by key (byte order). */
void sch__map_set(hl_arena *a, sch_map *m, const char *key, const char *val, size_t vlen)
{
	sch_kv *e;
	int i, at = m->n;

	for (i = 0; i < m->n; i++) {
		int c = strcmp(m->e[i].key, key);

		if (c == 0) {
			m->e[i].value = dup_value(a, val, vlen);
			m->e[i].vlen = vlen;
			return;
		}
		if (c > 0) {
			at = i;
			break;
		}
	}
	e = hl_arena_alloc(a, sizeof *e * (size_t)(m->n + 1));
	if (at)
		memcpy(e, m->e, sizeof *e * (size_t)at);
	if (m->n > at)
		memcpy(e + at + 1, m->e + at, sizeof *e * (size_t)(m->n - at));
	e[at].key = hl_arena_strdup(a, key);
	e[at].value = dup_value(a, val, vlen);
	e[at].vlen = vlen;
	m->e = e;
	m->n++;
}

void sch__map_del(sch_map *m, const char *key)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].key, key) == 0) {
			memmove(m->e + i, m->e + i + 1, sizeof *m->e * (size_t)(m->n - i - 1));
			m->n--;
			return;
		}
}

void sch__map_copy(hl_arena *a, sch_map *dst, const sch_map *src)
{
	int i;

	dst->n = src->n;
	dst->e = hl_arena_alloc(a, sizeof *dst->e * (size_t)(src->n ? src->n : 1));
	for (i = 0; i < src->n; i++) {
		dst->e[i].key = hl_arena_strdup(a, src->e[i].key);
		dst->e[i].value = hl_arena_memdup(a, src->e[i].value, src->e[i].vlen + 1);
		dst->e[i].vlen = src->e[i].vlen;
	}
}

/* ---------------------------------------------------------------- types */

bool sch_type_is_multicell(const ty_type *t)
{
	return t && !t->frozen && (ty_is_collection(t) || t->kind == TY_UDT);
}

/* Deep copy into the snapshot's arena (simple types are static descriptors). */
const ty_type *sch__type_copy(hl_arena *a, const ty_type *t)
{
	ty_type *c;
	int i;

	if (!t)
		return NULL;
	if (t->nsub == 0 && t->kind != TY_UDT && t->kind != TY_CUSTOM && t->kind != TY_TUPLE)
		return ty_simple(t->kind);
	c = hl_arena_memdup(a, t, sizeof *t);
	if (t->nsub > 0) {
		const ty_type **sub = hl_arena_alloc(a, sizeof *sub * (size_t)t->nsub);

		for (i = 0; i < t->nsub; i++)
			sub[i] = sch__type_copy(a, t->sub[i]);
		c->sub = sub;
	}
	if (t->udt_ks)
		c->udt_ks = hl_arena_strdup(a, t->udt_ks);
	if (t->udt_name)
		c->udt_name = hl_arena_strdup(a, t->udt_name);
	if (t->field_names) {
		const char **f = hl_arena_alloc(a, sizeof *f * (size_t)(t->nsub ? t->nsub : 1));

		for (i = 0; i < t->nsub; i++)
			f[i] = hl_arena_strdup(a, t->field_names[i]);
		c->field_names = f;
	}
	if (t->custom_class)
		c->custom_class = hl_arena_strdup(a, t->custom_class);
	return c;
}

/* ---------------------------------------------------------------- snapshots */

sch_schema *sch__new(void)
{
	hl_arena *a = hl_arena_new(64 * 1024);
	sch_schema *s = hl_arena_zalloc(a, sizeof *s);

	s->a = a;
	atomic_init(&s->refs, 1);
	return s;
}

static void copy_params(hl_arena *a, sch_params *d, const sch_params *p)
{
	*d = *p;
	d->additional_write_policy = hl_arena_strdup(a, p->additional_write_policy);
	d->comment = hl_arena_strdup(a, p->comment);
	d->memtable = hl_arena_strdup(a, p->memtable);
	d->read_repair = hl_arena_strdup(a, p->read_repair);
	d->speculative_retry = hl_arena_strdup(a, p->speculative_retry);
	sch__map_copy(a, &d->caching, &p->caching);
	sch__map_copy(a, &d->compaction, &p->compaction);
	sch__map_copy(a, &d->compression, &p->compression);
	sch__map_copy(a, &d->extensions, &p->extensions);
}

void sch__params_copy(hl_arena *a, sch_params *dst, const sch_params *src)
{
	copy_params(a, dst, src);
}

static sch_table *copy_table(hl_arena *a, const sch_table *t)
{
	sch_table *c = hl_arena_memdup(a, t, sizeof *t);
	int i;

	c->ks = hl_arena_strdup(a, t->ks);
	c->name = hl_arena_strdup(a, t->name);
	c->cols = hl_arena_alloc(a, sizeof *c->cols * (size_t)(t->ncols ? t->ncols : 1));
	for (i = 0; i < t->ncols; i++) {
		c->cols[i] = t->cols[i];
		c->cols[i].name = hl_arena_strdup(a, t->cols[i].name);
		c->cols[i].type = sch__type_copy(a, t->cols[i].type);
	}
	c->dropped = hl_arena_alloc(a, sizeof *c->dropped * (size_t)(t->ndropped ? t->ndropped : 1));
	for (i = 0; i < t->ndropped; i++) {
		c->dropped[i] = t->dropped[i];
		c->dropped[i].name = hl_arena_strdup(a, t->dropped[i].name);
		c->dropped[i].type = sch__type_copy(a, t->dropped[i].type);
	}
	c->indexes = hl_arena_alloc(a, sizeof *c->indexes * (size_t)(t->nindexes ? t->nindexes : 1));
	for (i = 0; i < t->nindexes; i++) {
		c->indexes[i].name = hl_arena_strdup(a, t->indexes[i].name);
		c->indexes[i].kind = hl_arena_strdup(a, t->indexes[i].kind);
		sch__map_copy(a, &c->indexes[i].options, &t->indexes[i].options);
	}
	copy_params(a, &c->params, &t->params);
	if (t->view) {
		sch_view *v = hl_arena_memdup(a, t->view, sizeof *t->view);

		v->base = hl_arena_strdup(a, t->view->base);
		v->where = hl_arena_strdup(a, t->view->where);
		c->view = v;
	}
	sch__sort_columns(a, c);
	return c;
}

static sch_udt *copy_udt(hl_arena *a, const sch_udt *u)
{
	sch_udt *c = hl_arena_memdup(a, u, sizeof *u);
	int i;

	c->ks = hl_arena_strdup(a, u->ks);
	c->name = hl_arena_strdup(a, u->name);
	c->field_names = hl_arena_alloc(a, sizeof(char *) * (size_t)(u->nfields ? u->nfields : 1));
	c->field_types = hl_arena_alloc(a, sizeof(ty_type *) * (size_t)(u->nfields ? u->nfields : 1));
	for (i = 0; i < u->nfields; i++) {
		c->field_names[i] = hl_arena_strdup(a, u->field_names[i]);
		c->field_types[i] = sch__type_copy(a, u->field_types[i]);
	}
	c->type = sch__type_copy(a, u->type);
	return c;
}

sch_schema *sch__copy(const sch_schema *src)
{
	sch_schema *s = sch__new();
	hl_arena *a = s->a;
	int i, j;

	s->epoch = src->epoch;
	s->version = src->version;
	s->nks = src->nks;
	s->ks = hl_arena_alloc(a, sizeof *s->ks * (size_t)(src->nks ? src->nks : 1));
	for (i = 0; i < src->nks; i++) {
		const sch_keyspace *k = src->ks[i];
		sch_keyspace *c = hl_arena_memdup(a, k, sizeof *k);

		c->name = hl_arena_strdup(a, k->name);
		c->strategy = hl_arena_strdup(a, k->strategy);
		sch__map_copy(a, &c->replication, &k->replication);
		c->tables = hl_arena_alloc(a, sizeof *c->tables * (size_t)(k->ntables ? k->ntables : 1));
		for (j = 0; j < k->ntables; j++)
			c->tables[j] = copy_table(a, k->tables[j]);
		c->types = hl_arena_alloc(a, sizeof *c->types * (size_t)(k->ntypes ? k->ntypes : 1));
		for (j = 0; j < k->ntypes; j++)
			c->types[j] = copy_udt(a, k->types[j]);
		s->ks[i] = c;
	}
	return s;
}

/* ---------------------------------------------------------------- ordering */

static int kind_rank(sch_kind k)
{
	switch (k) {
	case SCH_PARTITION_KEY: return 0;
	case SCH_CLUSTERING: return 1;
	case SCH_STATIC: return 2;
	default: return 3;
	}
}

/* Cassandra's ColumnMetadata order: kind, simple before complex, position, name. */
static int col_cmp(const void *x, const void *y)
{
	const sch_column *a = x, *b = y;
	int ka = kind_rank(a->kind), kb = kind_rank(b->kind);
	bool ca, cb;

	if (ka != kb)
		return ka - kb;
	if (a->kind == SCH_PARTITION_KEY || a->kind == SCH_CLUSTERING)
		return a->position - b->position;
	ca = sch_type_is_multicell(a->type);
	cb = sch_type_is_multicell(b->type);
	if (ca != cb)
		return ca ? 1 : -1;
	return strcmp(a->name, b->name);
}

void sch__sort_columns(hl_arena *a, sch_table *t)
{
	int i;

	if (t->ncols > 1)
		qsort(t->cols, (size_t)t->ncols, sizeof *t->cols, col_cmp);
	t->npk = t->nck = 0;
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].kind == SCH_PARTITION_KEY)
			t->npk++;
		else if (t->cols[i].kind == SCH_CLUSTERING)
			t->nck++;
	}
	t->pk = hl_arena_alloc(a, sizeof *t->pk * (size_t)(t->npk ? t->npk : 1));
	t->ck = hl_arena_alloc(a, sizeof *t->ck * (size_t)(t->nck ? t->nck : 1));
	for (i = 0; i < t->npk; i++)
		t->pk[i] = &t->cols[i];
	for (i = 0; i < t->nck; i++)
		t->ck[i] = &t->cols[t->npk + i];
}

static int ks_cmp(const void *x, const void *y)
{
	return strcmp((*(sch_keyspace *const *)x)->name, (*(sch_keyspace *const *)y)->name);
}

static int table_cmp(const void *x, const void *y)
{
	return strcmp((*(sch_table *const *)x)->name, (*(sch_table *const *)y)->name);
}

static int udt_cmp(const void *x, const void *y)
{
	return strcmp((*(sch_udt *const *)x)->name, (*(sch_udt *const *)y)->name);
}

static int index_cmp(const void *x, const void *y)
{
	return strcmp(((const sch_index *)x)->name, ((const sch_index *)y)->name);
}

static int dropped_cmp(const void *x, const void *y)
{
	return strcmp(((const sch_dropped *)x)->name, ((const sch_dropped *)y)->name);
}

/* qsort with nothing to sort may get a NULL base, which qsort must not see */
static void sort(void *base, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

void sch__finish(sch_schema *s)
{
	hl_buf b;
	int i, j;

	sort(s->ks, (size_t)s->nks, sizeof *s->ks, ks_cmp);
	for (i = 0; i < s->nks; i++) {
		sch_keyspace *k = s->ks[i];

		sort(k->tables, (size_t)k->ntables, sizeof *k->tables, table_cmp);
		sort(k->types, (size_t)k->ntypes, sizeof *k->types, udt_cmp);
		for (j = 0; j < k->ntables; j++) {
			sort(k->tables[j]->indexes, (size_t)k->tables[j]->nindexes,
			      sizeof *k->tables[j]->indexes, index_cmp);
			sort(k->tables[j]->dropped, (size_t)k->tables[j]->ndropped,
			      sizeof *k->tables[j]->dropped, dropped_cmp);
		}
	}
	hl_buf_init(&b);
	sch__canonical(s, &b);
	hl_uuid_from_md5(b.p, b.len, &s->version);
	hl_buf_free(&b);
}

/* ---------------------------------------------------------------- lookups */

int sch_nkeyspaces(const sch_schema *s) { return s->nks; }
const sch_keyspace *sch_keyspace_at(const sch_schema *s, int i) { return s->ks[i]; }
const hl_uuid *sch_version(const sch_schema *s) { return &s->version; }
uint64_t sch_epoch(const sch_schema *s) { return s->epoch; }

sch_keyspace *sch__find_ks(sch_schema *s, const char *name)
{
	int i;

	for (i = 0; i < s->nks; i++)
		if (strcmp(s->ks[i]->name, name) == 0)
			return s->ks[i];
	return NULL;
}

sch_table *sch__find_table(sch_keyspace *k, const char *name)
{
	int i;

	for (i = 0; i < k->ntables; i++)
		if (strcmp(k->tables[i]->name, name) == 0)
			return k->tables[i];
	return NULL;
}

sch_udt *sch__find_udt(sch_keyspace *k, const char *name)
{
	int i;

	for (i = 0; i < k->ntypes; i++)
		if (strcmp(k->types[i]->name, name) == 0)
			return k->types[i];
	return NULL;
}

const sch_keyspace *sch_find_keyspace(const sch_schema *s, const char *ks)
{
	return ks ? sch__find_ks((sch_schema *)s, ks) : NULL;
}

const sch_table *sch_find_table(const sch_schema *s, const char *ks, const char *table)
{
	sch_keyspace *k = ks ? sch__find_ks((sch_schema *)s, ks) : NULL;

	return k && table ? sch__find_table(k, table) : NULL;
}

const sch_table *sch_find_table_by_id(const sch_schema *s, const hl_uuid *id)
{
	int i, j;

	for (i = 0; i < s->nks; i++)
		for (j = 0; j < s->ks[i]->ntables; j++)
			if (memcmp(s->ks[i]->tables[j]->id.b, id->b, 16) == 0)
				return s->ks[i]->tables[j];
	return NULL;
}

int sch_views_of(const sch_schema *s, const sch_table *base, const sch_table **out, int max)
{
	const sch_keyspace *k = sch_find_keyspace(s, base->ks);
	int i, n = 0;

	/* views live in their base's keyspace; tables[] is sorted by name */
	for (i = 0; k && i < k->ntables; i++) {
		const sch_table *v = k->tables[i];

		if (v->view && !memcmp(v->view->base_id.b, base->id.b, 16)) {
			if (n < max)
				out[n] = v;
			n++;
		}
	}
	return n;
}

const sch_udt *sch_find_type(const sch_schema *s, const char *ks, const char *name)
{
	sch_keyspace *k = ks ? sch__find_ks((sch_schema *)s, ks) : NULL;

	return k && name ? sch__find_udt(k, name) : NULL;
}

int sch_column_index(const sch_table *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return i;
	return -1;
}

const sch_column *sch_find_column(const sch_table *t, const char *name)
{
	int i = sch_column_index(t, name);

	return i < 0 ? NULL : &t->cols[i];
}

const sch_index *sch_find_index(const sch_schema *s, const char *ks, const char *name,
				const sch_table **table)
{
	const sch_keyspace *k = sch_find_keyspace(s, ks);
	int i, j;

	if (!k || !name)
		return NULL;
	for (i = 0; i < k->ntables; i++)
		for (j = 0; j < k->tables[i]->nindexes; j++)
			if (strcmp(k->tables[i]->indexes[j].name, name) == 0) {
				if (table)
					*table = k->tables[i];
				return &k->tables[i]->indexes[j];
			}
	return NULL;
}

static int sel_cmp(const void *x, const void *y)
{
	const sch_column *a = *(const sch_column *const *)x, *b = *(const sch_column *const *)y;
	int ka = kind_rank(a->kind), kb = kind_rank(b->kind);

	if (ka != kb)
		return ka - kb;
	if (a->kind == SCH_PARTITION_KEY || a->kind == SCH_CLUSTERING)
		return a->position - b->position;
	return strcmp(a->name, b->name);
}

void sch_select_order(const sch_table *t, const sch_column **out)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		out[i] = &t->cols[i];
	if (t->ncols > 1)
		qsort(out, (size_t)t->ncols, sizeof *out, sel_cmp);
}

bool sch_is_system_keyspace(const char *ks)
{
	static const char *const names[] = {
		"system", "system_schema", "system_auth", "system_distributed", "system_traces",
		"system_virtual_schema", "system_views",
	};
	size_t i;

	/* asked several times per request of user keyspaces: every name
	 * starts with "system", so most answers take one byte compare */
	if (ks[0] != 's' || strncmp(ks, "system", 6) != 0)
		return false;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(ks, names[i]) == 0)
			return true;
	return false;
}

void sch__add_keyspace(sch_schema *s, sch_keyspace *k)
{
	sch_keyspace **n = hl_arena_alloc(s->a, sizeof *n * (size_t)(s->nks + 1));

	if (s->nks)
		memcpy(n, s->ks, sizeof *n * (size_t)s->nks);
	n[s->nks++] = k;
	s->ks = n;
}

void sch__add_table(hl_arena *a, sch_keyspace *k, sch_table *t)
{
	sch_table **n = hl_arena_alloc(a, sizeof *n * (size_t)(k->ntables + 1));

	if (k->ntables)
		memcpy(n, k->tables, sizeof *n * (size_t)k->ntables);
	n[k->ntables++] = t;
	k->tables = n;
}

void sch__system_table_id(const char *ks, const char *table, hl_uuid *id)
{
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s%s", ks, table);

	hl_uuid_from_md5(buf, n < sizeof buf ? n : sizeof buf - 1, id);
}

/* ty_parse's UDT resolver over a snapshot under construction. */
const ty_type *sch__resolve_udt(void *ctx, const char *ks, const char *name)
{
	sch_schema *s = ctx;
	sch_keyspace *k = ks ? sch__find_ks(s, ks) : NULL;
	sch_udt *u = k ? sch__find_udt(k, name) : NULL;

	return u ? u->type : NULL;
}

/* ---------------------------------------------------------------- refcounts */

void sch_ref(const sch_schema *s)
{
	atomic_fetch_add_explicit(&((sch_schema *)s)->refs, 1, memory_order_relaxed);
}

void sch_release(const sch_schema *s)
{
	sch_schema *m = (sch_schema *)s;

	if (!m)
		return;
	if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		hl_arena_free(m->a);
}

sch_schema *sch_schema_new_system(void)
{
	sch_schema *s = sch__new();

	sch__add_system_keyspaces(s);
	sch__finish(s);
	return s;
}

/* ---------------------------------------------------------------- registry */

struct sch_registry {
	/* pointer handoff only: held for a pointer load + refcount, never for I/O */
	pthread_mutex_t lock;
	/*
	 * Serializes every change (DDL build, save, publish; installs), so
	 * saves reach the disk in publication order and never block readers.
	 * Taken before lock, never inside it.
	 */
	pthread_mutex_t ddl;
	sch_schema *cur;               /* holds one reference; replaced under both locks */
	_Atomic uint64_t epoch;        /* == cur->epoch; read without the lock */
	sch_registry_config cfg;
	hl_arena *a;                   /* the config copy */
	char *persist_dir;             /* under ddl; NULL: changes are not saved */
};

sch_registry *sch_registry_new(const sch_registry_config *cfg)
{
	sch_registry *r = hl_calloc(1, sizeof *r);
	int i;

	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->ddl, NULL);
	r->a = hl_arena_new(4096);
	if (cfg && cfg->ndcs > 0) {
		const char **d = hl_arena_alloc(r->a, sizeof *d * (size_t)cfg->ndcs);

		for (i = 0; i < cfg->ndcs; i++)
			d[i] = hl_arena_strdup(r->a, cfg->dcs[i]);
		r->cfg.ndcs = cfg->ndcs;
		r->cfg.dcs = d;
	}
	if (cfg)
		r->cfg.views_enabled = cfg->views_enabled;
	r->cur = sch_schema_new_system();
	r->cur->epoch = 1;
	atomic_store(&r->epoch, 1);
	return r;
}

void sch_registry_free(sch_registry *r)
{
	if (!r)
		return;
	sch_release(r->cur);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->ddl);
	hl_arena_free(r->a);
	free(r->persist_dir);
	free(r);
}

void sch_registry_set_persist(sch_registry *r, const char *dir)
{
	pthread_mutex_lock(&r->ddl);
	free(r->persist_dir);
	r->persist_dir = dir ? hl_strdup(dir) : NULL;
	pthread_mutex_unlock(&r->ddl);
}

sch_schema *sch_acquire(sch_registry *r)
{
	sch_schema *s;

	pthread_mutex_lock(&r->lock);
	s = r->cur;
	sch_ref(s);
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* Caller holds the lock. */
static void publish(sch_registry *r, sch_schema *s)
{
	sch_schema *old = r->cur;

	s->epoch = old->epoch + 1;
	r->cur = s;
	atomic_store(&r->epoch, s->epoch);
	sch_release(old);
}

void sch_registry_install(sch_registry *r, sch_schema *s)
{
	pthread_mutex_lock(&r->ddl);
	pthread_mutex_lock(&r->lock);
	publish(r, s);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&r->ddl);
}

const sch_schema *sch_cache_get(sch_registry *r, sch_cache *c)
{
	if (!c->s || atomic_load_explicit(&r->epoch, memory_order_acquire) != c->epoch) {
		sch_schema *s = sch_acquire(r);

		sch_release(c->s);
		c->s = s;
		c->epoch = s->epoch;
	}
	return c->s;
}

void sch_cache_clear(sch_cache *c)
{
	sch_release(c->s);
	c->s = NULL;
	c->epoch = 0;
}

int sch_registry_apply(sch_registry *r, const sch_ddl *ddl, sch_change *chg, hl_err *err)
{
	sch_schema *cur, *out = NULL;
	hl_err serr;
	int rc;

	/*
	 * The whole change runs under r->ddl: cur cannot be replaced meanwhile
	 * (every publisher holds r->ddl), and the file on disk always matches
	 * the newest published snapshot. DDL is rare; readers only ever wait
	 * for r->lock, which is never held across the save.
	 */
	pthread_mutex_lock(&r->ddl);
	cur = r->cur;
	rc = sch_apply(cur, ddl, &r->cfg, hl_now_micros(), &out, chg, err);
	/* persisted before published: a change clients saw survives a restart */
	if (rc == 0 && out && r->persist_dir && sch_save(out, r->persist_dir, &serr)) {
		hl_errf(err, HL_ERR_SERVER, "could not persist schema: %s", serr.msg);
		sch_release(out);
		out = NULL;
		if (chg)
			chg->changed = false;
		rc = -1;
	}
	if (rc == 0 && out) {
		pthread_mutex_lock(&r->lock);
		publish(r, out);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&r->ddl);
	return rc;
}
