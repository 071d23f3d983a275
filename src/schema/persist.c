/*
 * schema/persist.c: the schema on disk. sch_save writes the user keyspaces
 * of a snapshot to <dir>/schema.db; sch_load reads the file back into a
 * snapshot identical to the saved one: same version UUID, table ids,
 * column ids, dropped columns and (normalized) table params. Ids must
 * survive a restart exactly, because the commit log and SSTables name
 * tables by id and cells by column id.
 *
 * The system keyspaces are never written: they are rebuilt from code, so
 * an upgrade that adds a system table needs no migration.
 *
 * File format (schema.db, format version 1). Integers are big-endian;
 * i32/i64 are two's complement.
 *
 *   header, 16 bytes
 *     magic          4 bytes  "HLSC"
 *     format         u16      1 (a reader refuses versions it does not know)
 *     flags          u16      0 (reserved: nonzero is refused)
 *     body_len       u32      bytes of body; the file is exactly 16 + body_len
 *     body_crc       u32      CRC-32 (zlib polynomial, initial value 0) of the body
 *   body
 *     schema_version 16 bytes the snapshot's version UUID
 *     nkeyspaces     u32, then nkeyspaces x keyspace (sorted by name)
 *
 *   str      u32 length + bytes, no terminator. Names hold no NUL byte;
 *            map values may (extensions are blobs).
 *   map      u32 n + n x (key str, value str), keys strictly ascending
 *            in byte order
 *   udt      name str, u32 nfields, nfields x (field name str, field type text str)
 *   type     text str + u32 nudts + nudts x udt
 *            The text is the CQL type as system_schema shows it ("text",
 *            "frozen<map<int, frozen<address>>>", "'org.x.MyType'"); UDTs
 *            are named bare and belong to the enclosing keyspace. A name
 *            resolves first against the type's own udts, then against the
 *            keyspace's. Only dropped columns carry own udts (every UDT the
 *            type uses, transitively): the UDT they referred to may since
 *            have been dropped, or dropped and re-created differently.
 *
 *   keyspace name str, durable_writes u8 (0/1), strategy str (class name),
 *            replication map (without 'class'),
 *            u32 ntypes + ntypes x udt (any order; field types may name
 *            other UDTs of the keyspace),
 *            u32 ntables + ntables x table
 *   table    name str, id 16 bytes, flags u8 (bit 0: counter table; bit 1:
 *            materialized view; other bits must be 0), next_column_id i32,
 *            u32 ncols + ncols x column,
 *            u32 ndropped + ndropped x dropped,
 *            u32 nindexes + nindexes x index,
 *            params,
 *            view (only with flag bit 1): base table id 16 bytes, base
 *            table name str, where_clause str, include_all_columns u8
 *   column   name str, kind u8, position i32 (-1 unless partition key or
 *            clustering), order u8, id i32, type
 *   dropped  name str, kind u8 (regular or static), dropped_time i64
 *            (microseconds since the epoch), id i32, type
 *   index    name str, kind str ("COMPOSITES", "KEYS", "CUSTOM"), options map
 *   params   additional_write_policy str, allow_auto_snapshot u8,
 *            bloom_filter_fp_chance f64, caching map, cdc u8, comment str,
 *            compaction map, compression map, memtable str,
 *            crc_check_chance f64, default_time_to_live i32, extensions map,
 *            gc_grace_seconds i32, incremental_backups u8,
 *            max_index_interval i32, memtable_flush_period_in_ms i32,
 *            min_index_interval i32, read_repair str, speculative_retry str
 *            (f64: the IEEE-754 bits as u64, so doubles round-trip exactly)
 *   kind     0 partition key, 1 clustering, 2 regular, 3 static
 *   order    0 none (not clustering), 1 ASC, 2 DESC
 *
 * Writing: the whole file goes to schema.db.tmp, which is fsynced, renamed
 * over schema.db, and the directory fsynced; a crash at any point leaves
 * either the old or the new file, never a mix. A missing schema.db means
 * no user keyspaces (first start).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/sch_int.h"

#define FILE_NAME "schema.db"
#define TMP_NAME "schema.db.tmp"
#define MAGIC "HLSC"
#define FORMAT 1
#define HDR_LEN 16
/* Far above any real schema; bounds the allocation a corrupt size could ask for. */
#define MAX_FILE (1u << 30)

#define FLAG_COUNTER 0x01
#define FLAG_VIEW 0x02

/* Explicit codes so that reordering the C enums never changes the format. */
static const sch_kind kind_of_code[] = { SCH_PARTITION_KEY, SCH_CLUSTERING, SCH_REGULAR, SCH_STATIC };
static const sch_order order_of_code[] = { SCH_ORDER_NONE, SCH_ORDER_ASC, SCH_ORDER_DESC };

static uint8_t kind_code(sch_kind k)
{
	uint8_t i;

	for (i = 0; i < 4; i++)
		if (kind_of_code[i] == k)
			break;
	return i;
}

static uint8_t order_code(sch_order o)
{
	uint8_t i;

	for (i = 0; i < 3; i++)
		if (order_of_code[i] == o)
			break;
	return i;
}

/* ---------------------------------------------------------------- encode */

static void put_str(hl_buf *b, const char *s, size_t n)
{
	hl_buf_u32(b, (uint32_t)n);
	if (n)
		hl_buf_put(b, s, n);
}

static void put_cstr(hl_buf *b, const char *s)
{
	put_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void put_map(hl_buf *b, const sch_map *m)
{
	int i;

	hl_buf_u32(b, (uint32_t)m->n);
	for (i = 0; i < m->n; i++) {
		put_cstr(b, m->e[i].key);
		put_str(b, m->e[i].value, m->e[i].vlen);
	}
}

static void put_type_text(hl_buf *b, const ty_type *t)
{
	size_t at = b->len;

	hl_buf_u32(b, 0);
	ty_format(t, b);
	hl_buf_patch_u32(b, at, (uint32_t)(b->len - at - 4));
}

static void put_i64(hl_buf *b, int64_t v)
{
	hl_buf_u64(b, (uint64_t)v);
}

static void put_f64(hl_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	hl_buf_u64(b, u);
}

static void put_udt(hl_buf *b, const char *name, int n, const char *const *names,
		    const ty_type *const *types)
{
	int i;

	put_cstr(b, name);
	hl_buf_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		put_cstr(b, names[i]);
		put_type_text(b, types[i]);
	}
}

/* Every UDT node in t, once per name (a type names one UDT one way). */
static void collect_udts(const ty_type *t, hl_buf *list)
{
	const ty_type *const *seen = (const ty_type *const *)list->p;
	size_t i, n = list->len / sizeof *seen;

	if (t->kind == TY_UDT) {
		for (i = 0; i < n; i++)
			if (!strcmp(seen[i]->udt_name, t->udt_name))
				return;
		hl_buf_put(list, &t, sizeof t);
	}
	for (i = 0; i < (size_t)t->nsub; i++)
		collect_udts(t->sub[i], list);
}

static void put_type(hl_buf *b, const ty_type *t, bool own_udts)
{
	hl_buf list;
	size_t i, n;

	put_type_text(b, t);
	if (!own_udts) {
		hl_buf_u32(b, 0);
		return;
	}
	hl_buf_init(&list);
	collect_udts(t, &list);
	n = list.len / sizeof t;
	hl_buf_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const ty_type *u = ((const ty_type **)list.p)[i];

		put_udt(b, u->udt_name, u->nsub, u->field_names, u->sub);
	}
	hl_buf_free(&list);
}

static void put_params(hl_buf *b, const sch_params *p)
{
	put_cstr(b, p->additional_write_policy);
	hl_buf_u8(b, p->allow_auto_snapshot);
	put_f64(b, p->bloom_filter_fp_chance);
	put_map(b, &p->caching);
	hl_buf_u8(b, p->cdc);
	put_cstr(b, p->comment);
	put_map(b, &p->compaction);
	put_map(b, &p->compression);
	put_cstr(b, p->memtable);
	put_f64(b, p->crc_check_chance);
	hl_buf_u32(b, (uint32_t)p->default_time_to_live);
	put_map(b, &p->extensions);
	hl_buf_u32(b, (uint32_t)p->gc_grace_seconds);
	hl_buf_u8(b, p->incremental_backups);
	hl_buf_u32(b, (uint32_t)p->max_index_interval);
	hl_buf_u32(b, (uint32_t)p->memtable_flush_period_in_ms);
	hl_buf_u32(b, (uint32_t)p->min_index_interval);
	put_cstr(b, p->read_repair);
	put_cstr(b, p->speculative_retry);
}

static void put_table(hl_buf *b, const sch_table *t)
{
	int i;

	put_cstr(b, t->name);
	hl_buf_put(b, t->id.b, 16);
	hl_buf_u8(b, (t->is_counter ? FLAG_COUNTER : 0) | (t->view ? FLAG_VIEW : 0));
	hl_buf_u32(b, (uint32_t)t->next_column_id);
	hl_buf_u32(b, (uint32_t)t->ncols);
	for (i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];

		put_cstr(b, c->name);
		hl_buf_u8(b, kind_code(c->kind));
		hl_buf_u32(b, (uint32_t)c->position);
		hl_buf_u8(b, order_code(c->order));
		hl_buf_u32(b, (uint32_t)c->id);
		put_type(b, c->type, false);
	}
	hl_buf_u32(b, (uint32_t)t->ndropped);
	for (i = 0; i < t->ndropped; i++) {
		const sch_dropped *d = &t->dropped[i];

		put_cstr(b, d->name);
		hl_buf_u8(b, kind_code(d->kind));
		put_i64(b, d->dropped_time);
		hl_buf_u32(b, (uint32_t)d->id);
		put_type(b, d->type, true);
	}
	hl_buf_u32(b, (uint32_t)t->nindexes);
	for (i = 0; i < t->nindexes; i++) {
		put_cstr(b, t->indexes[i].name);
		put_cstr(b, t->indexes[i].kind);
		put_map(b, &t->indexes[i].options);
	}
	put_params(b, &t->params);
	if (t->view) {
		hl_buf_put(b, t->view->base_id.b, 16);
		put_cstr(b, t->view->base);
		put_cstr(b, t->view->where);
		hl_buf_u8(b, t->view->include_all);
	}
}

static void put_keyspace(hl_buf *b, const sch_keyspace *k)
{
	int i;

	put_cstr(b, k->name);
	hl_buf_u8(b, k->durable_writes);
	put_cstr(b, k->strategy);
	put_map(b, &k->replication);
	hl_buf_u32(b, (uint32_t)k->ntypes);
	for (i = 0; i < k->ntypes; i++) {
		const sch_udt *u = k->types[i];

		put_udt(b, u->name, u->nfields, u->field_names, u->field_types);
	}
	hl_buf_u32(b, (uint32_t)k->ntables);
	for (i = 0; i < k->ntables; i++)
		put_table(b, k->tables[i]);
}

/*
 * ty_format names a UDT bare, so a UDT called like a native type ("int",
 * created quoted) would read back as that native type. Refuse to write it
 * rather than write a file that loads into a different schema.
 */
static int check_udt_names(const sch_keyspace *k, hl_err *err)
{
	hl_arena *a = hl_arena_new(1024);
	hl_err e;
	int i, rc = 0;

	for (i = 0; i < k->ntypes && rc == 0; i++) {
		ty_type probe = { .kind = TY_UDT, .udt_name = k->types[i]->name };
		const ty_type *t;
		hl_buf b;

		/* exactly the text the file will hold, read with no UDT known */
		hl_buf_init(&b);
		ty_format(&probe, &b);
		if (ty_parse((const char *)b.p, b.len, a, NULL, NULL, NULL, &t, &e) == 0)
			rc = hl_errf(err, HL_ERR_SERVER,
				     "user type %s.%s has the name of a native type and cannot be saved",
				     k->name, k->types[i]->name);
		hl_buf_free(&b);
	}
	hl_arena_free(a);
	return rc;
}

int sch_schema_encode(const sch_schema *s, hl_buf *out, hl_err *err)
{
	size_t start = out->len, body;
	uint32_t nks = 0;
	size_t nks_at;
	int i;

	for (i = 0; i < s->nks; i++)
		if (s->ks[i]->cls == SCH_KS_USER && check_udt_names(s->ks[i], err))
			return -1;
	hl_buf_put(out, MAGIC, 4);
	hl_buf_u16(out, FORMAT);
	hl_buf_u16(out, 0);
	hl_buf_u32(out, 0);            /* body_len, patched below */
	hl_buf_u32(out, 0);            /* body_crc, patched below */
	body = out->len;
	hl_buf_put(out, s->version.b, 16);
	nks_at = out->len;
	hl_buf_u32(out, 0);
	for (i = 0; i < s->nks; i++) {
		if (s->ks[i]->cls != SCH_KS_USER)
			continue;
		put_keyspace(out, s->ks[i]);
		nks++;
	}
	hl_buf_patch_u32(out, nks_at, nks);
	if (out->len - body > MAX_FILE - HDR_LEN) {
		size_t n = out->len - body;

		out->len = start;
		return hl_errf(err, HL_ERR_SERVER, "schema too large to save (%zu bytes)", n);
	}
	hl_buf_patch_u32(out, start + 8, (uint32_t)(out->len - body));
	hl_buf_patch_u32(out, start + 12, hl_crc32(0, out->p + body, out->len - body));
	return 0;
}

/* ---------------------------------------------------------------- decode */

typedef struct ld {
	hl_rd r;                       /* over the body */
	sch_schema *s;
	hl_arena *a;                   /* s->a */
	const char *src;               /* file name for messages */
	hl_err *err;
	bool inner_failed;             /* a UDT built inside a type parse failed */
	hl_err inner;
	int depth;                     /* UDTs being built, one inside the other */
} ld;

/* Deeper than any real schema; keeps a crafted chain of UDTs off the stack's end. */
#define MAX_UDT_DEPTH 64

/* "<file>: <what> at offset N": N counts from the start of the file. */
static int fail_at(ld *l, size_t body_off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(ld *l, size_t body_off, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return hl_errf(l->err, HL_ERR_SERVER, "schema file %s: %s at offset %zu", l->src, what,
		       body_off + HDR_LEN);
}

static int truncated(ld *l, size_t at, const char *what)
{
	return fail_at(l, at, "truncated (%s runs past the end)", what);
}

static int get_u8(ld *l, const char *what, uint8_t *v)
{
	size_t at = l->r.pos;

	return hl_rd_u8(&l->r, v) ? truncated(l, at, what) : 0;
}

static int get_bool(ld *l, const char *what, bool *v)
{
	size_t at = l->r.pos;
	uint8_t u;

	if (get_u8(l, what, &u))
		return -1;
	if (u > 1)
		return fail_at(l, at, "bad %s flag %u", what, u);
	*v = u;
	return 0;
}

static int get_i32(ld *l, const char *what, int32_t *v)
{
	size_t at = l->r.pos;

	return hl_rd_i32(&l->r, v) ? truncated(l, at, what) : 0;
}

static int get_i64(ld *l, const char *what, int64_t *v)
{
	size_t at = l->r.pos;
	uint64_t u;

	if (hl_rd_u64(&l->r, &u))
		return truncated(l, at, what);
	*v = (int64_t)u;
	return 0;
}

static int get_f64(ld *l, const char *what, double *v)
{
	size_t at = l->r.pos;
	uint64_t u;

	if (hl_rd_u64(&l->r, &u))
		return truncated(l, at, what);
	memcpy(v, &u, sizeof *v);
	return 0;
}

/*
 * A count of records that each take at least min_size bytes: a count the
 * rest of the body cannot hold is corrupt, which also bounds allocations.
 */
static int get_count(ld *l, const char *what, size_t min_size, int *n)
{
	size_t at = l->r.pos;
	uint32_t v;

	if (hl_rd_u32(&l->r, &v))
		return truncated(l, at, what);
	if (v > hl_rd_left(&l->r) / min_size || v > INT_MAX / 2)
		return fail_at(l, at, "bad %s %u: more than the %zu bytes left can hold", what, v,
			       hl_rd_left(&l->r));
	*n = (int)v;
	return 0;
}

static int get_bytes(ld *l, const char *what, const char **p, size_t *n)
{
	size_t at = l->r.pos;
	const uint8_t *b;
	uint32_t len;

	if (hl_rd_u32(&l->r, &len))
		return truncated(l, at, what);
	if (len > hl_rd_left(&l->r))
		return fail_at(l, at, "%s length %u exceeds the %zu bytes left", what, len, hl_rd_left(&l->r));
	if (hl_rd_raw(&l->r, len, &b))
		return truncated(l, at, what);
	*p = (const char *)b;
	*n = len;
	return 0;
}

/* A NUL-terminated copy; names cannot hold NUL (C strings everywhere). */
static int get_text(ld *l, const char *what, bool nonempty, const char **out)
{
	size_t at = l->r.pos, n;
	const char *p;

	if (get_bytes(l, what, &p, &n))
		return -1;
	if (nonempty && n == 0)
		return fail_at(l, at, "empty %s", what);
	if (memchr(p, 0, n))
		return fail_at(l, at, "%s holds a NUL byte", what);
	*out = hl_arena_strndup(l->a, p, n);
	return 0;
}

/* n bytes that may hold NUL (blobs), plus a terminator for the C-string users */
static char *dup_bytes(hl_arena *a, const char *p, size_t n)
{
	char *q = hl_arena_alloc(a, n + 1);

	if (n)
		memcpy(q, p, n);
	q[n] = 0;
	return q;
}

static int get_map(ld *l, const char *what, sch_map *m)
{
	char cw[64];
	int i;

	snprintf(cw, sizeof cw, "%s entry count", what);
	/* an entry is at least two empty strs: 8 bytes */
	if (get_count(l, cw, 8, &m->n))
		return -1;
	m->e = hl_arena_zalloc(l->a, sizeof *m->e * (size_t)(m->n ? m->n : 1));
	for (i = 0; i < m->n; i++) {
		size_t at = l->r.pos, n;
		const char *v;

		if (get_text(l, "map key", false, &m->e[i].key) || get_bytes(l, "map value", &v, &n))
			return -1;
		/* lookups and the version digest rely on sorted maps */
		if (i && strcmp(m->e[i - 1].key, m->e[i].key) >= 0)
			return fail_at(l, at, "%s key '%s' out of order", what, m->e[i].key);
		m->e[i].value = dup_bytes(l->a, v, n);
		m->e[i].vlen = n;
	}
	return 0;
}

/* ---------------------------------------------------------------- UDT scopes */

/* A UDT record, built into a descriptor on first use (records come in any order). */
typedef struct udef {
	const char *name;
	int nfields;
	const char **fnames;
	const char **ftext;
	size_t *flen;
	const ty_type **ftypes;
	const ty_type *type;           /* built: the non-frozen UDT descriptor */
	bool busy;                     /* being built: a reference back is a cycle */
} udef;

typedef struct scope {
	ld *l;
	const char *ks;
	int n;
	udef *defs;
	struct scope *up;              /* the keyspace's scope for a type's own udts */
} scope;

static const ty_type *scope_resolve(void *ctx, const char *ks, const char *name);

static int get_udefs(ld *l, int n, udef *defs)
{
	int i, j;

	for (i = 0; i < n; i++) {
		udef *d = &defs[i];
		size_t at = l->r.pos;

		if (get_text(l, "user type name", true, &d->name))
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(defs[j].name, d->name))
				return fail_at(l, at, "duplicate user type %s", d->name);
		if (get_count(l, "user type field count", 8, &d->nfields))
			return -1;
		d->fnames = hl_arena_zalloc(l->a, sizeof *d->fnames * (size_t)(d->nfields + 1));
		d->ftext = hl_arena_zalloc(l->a, sizeof *d->ftext * (size_t)(d->nfields + 1));
		d->flen = hl_arena_zalloc(l->a, sizeof *d->flen * (size_t)(d->nfields + 1));
		d->ftypes = hl_arena_zalloc(l->a, sizeof *d->ftypes * (size_t)(d->nfields + 1));
		for (j = 0; j < d->nfields; j++)
			if (get_text(l, "user type field name", true, &d->fnames[j]) ||
			    get_bytes(l, "user type field type", &d->ftext[j], &d->flen[j]))
				return -1;
	}
	return 0;
}

static const ty_type *build_udt(scope *sc, udef *d)
{
	ld *l = sc->l;
	ty_type *ut;
	hl_err e;
	int i;

	if (d->type || d->busy)
		return d->type;
	if (l->depth >= MAX_UDT_DEPTH) {
		if (!l->inner_failed) {
			l->inner_failed = true;
			hl_errf(&l->inner, HL_ERR_SERVER, "user type %s: user types nested too deeply", d->name);
		}
		return NULL;
	}
	d->busy = true;
	l->depth++;
	for (i = 0; i < d->nfields; i++)
		if (ty_parse(d->ftext[i], d->flen[i], l->a, scope_resolve, sc, sc->ks, &d->ftypes[i], &e)) {
			/* ty_parse's caller only sees "Unknown type": keep the real cause */
			if (!l->inner_failed) {
				l->inner_failed = true;
				hl_errf(&l->inner, HL_ERR_SERVER, "user type %s: %s", d->name, e.msg);
			}
			l->depth--;
			return NULL;
		}
	l->depth--;
	/* the same shape create_type builds */
	ut = hl_arena_zalloc(l->a, sizeof *ut);
	ut->kind = TY_UDT;
	ut->frozen = false;
	ut->nsub = d->nfields;
	ut->sub = d->ftypes;
	ut->udt_ks = sc->ks;
	ut->udt_name = d->name;
	ut->field_names = d->fnames;
	d->type = ut;
	d->busy = false;
	return ut;
}

static const ty_type *scope_resolve(void *ctx, const char *ks, const char *name)
{
	scope *sc = ctx;
	int i;

	/* UDTs never cross keyspaces */
	if (ks && strcmp(ks, sc->ks))
		return NULL;
	for (i = 0; i < sc->n; i++)
		if (!strcmp(sc->defs[i].name, name))
			return build_udt(sc, &sc->defs[i]);
	return sc->up ? scope_resolve(sc->up, ks, name) : NULL;
}

static int parse_type_text(ld *l, scope *sc, size_t at, const char *p, size_t n, const ty_type **out)
{
	hl_err e;

	l->inner_failed = false;
	if (ty_parse(p, n, l->a, scope_resolve, sc, sc->ks, out, &e) == 0)
		return 0;
	return fail_at(l, at, "bad type '%.*s': %s", (int)(n > 100 ? 100 : n), p,
		       l->inner_failed ? l->inner.msg : e.msg);
}

/* A "type" record: text + the type's own UDTs. */
static int get_type(ld *l, scope *ks_scope, const ty_type **out)
{
	size_t at = l->r.pos, n;
	const char *p;
	scope own = { .l = l, .ks = ks_scope->ks, .up = ks_scope };

	if (get_bytes(l, "type", &p, &n) || get_count(l, "type's user type count", 8, &own.n))
		return -1;
	own.defs = hl_arena_zalloc(l->a, sizeof *own.defs * (size_t)(own.n ? own.n : 1));
	if (get_udefs(l, own.n, own.defs))
		return -1;
	return parse_type_text(l, &own, at, p, n, out);
}

/* ---------------------------------------------------------------- tables */

static int get_params(ld *l, sch_params *p)
{
	memset(p, 0, sizeof *p);
	if (get_text(l, "additional_write_policy", false, &p->additional_write_policy) ||
	    get_bool(l, "allow_auto_snapshot", &p->allow_auto_snapshot) ||
	    get_f64(l, "bloom_filter_fp_chance", &p->bloom_filter_fp_chance) ||
	    get_map(l, "caching", &p->caching) ||
	    get_bool(l, "cdc", &p->cdc) ||
	    get_text(l, "comment", false, &p->comment) ||
	    get_map(l, "compaction", &p->compaction) ||
	    get_map(l, "compression", &p->compression) ||
	    get_text(l, "memtable", false, &p->memtable) ||
	    get_f64(l, "crc_check_chance", &p->crc_check_chance) ||
	    get_i32(l, "default_time_to_live", &p->default_time_to_live) ||
	    get_map(l, "extensions", &p->extensions) ||
	    get_i32(l, "gc_grace_seconds", &p->gc_grace_seconds) ||
	    get_bool(l, "incremental_backups", &p->incremental_backups) ||
	    get_i32(l, "max_index_interval", &p->max_index_interval) ||
	    get_i32(l, "memtable_flush_period_in_ms", &p->memtable_flush_period_in_ms) ||
	    get_i32(l, "min_index_interval", &p->min_index_interval) ||
	    get_text(l, "read_repair", false, &p->read_repair) ||
	    get_text(l, "speculative_retry", false, &p->speculative_retry))
		return -1;
	return 0;
}

static int get_kind(ld *l, const char *what, sch_kind *k)
{
	size_t at = l->r.pos;
	uint8_t c;

	if (get_u8(l, what, &c))
		return -1;
	if (c >= sizeof kind_of_code / sizeof kind_of_code[0])
		return fail_at(l, at, "bad %s %u", what, c);
	*k = kind_of_code[c];
	return 0;
}

/*
 * The invariants the rest of the server indexes by without checking:
 * positions 0..n-1 of the key columns each exactly once, ids below
 * next_column_id and distinct, names distinct.
 */
static int check_columns(ld *l, size_t at, const sch_table *t)
{
	int i, j, npk = 0, nck = 0;

	for (i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];
		bool key = c->kind == SCH_PARTITION_KEY || c->kind == SCH_CLUSTERING;

		if (c->kind == SCH_PARTITION_KEY)
			npk++;
		if (c->kind == SCH_CLUSTERING)
			nck++;
		if (c->id < 0 || c->id >= t->next_column_id)
			return fail_at(l, at, "table %s: column %s id %d outside [0, %d)", t->name, c->name,
				       c->id, t->next_column_id);
		if (!key && c->position != -1)
			return fail_at(l, at, "table %s: column %s has position %d", t->name, c->name,
				       c->position);
		if ((c->kind == SCH_CLUSTERING) != (c->order != SCH_ORDER_NONE))
			return fail_at(l, at, "table %s: column %s has a bad clustering order", t->name, c->name);
		for (j = 0; j < i; j++) {
			if (!strcmp(t->cols[j].name, c->name))
				return fail_at(l, at, "table %s: duplicate column %s", t->name, c->name);
			if (t->cols[j].id == c->id)
				return fail_at(l, at, "table %s: columns %s and %s share id %d", t->name,
					       t->cols[j].name, c->name, c->id);
		}
	}
	if (npk == 0)
		return fail_at(l, at, "table %s has no partition key", t->name);
	for (i = 0; i < t->ncols; i++) {
		const sch_column *c = &t->cols[i];
		int n = c->kind == SCH_PARTITION_KEY ? npk : nck;

		if (c->kind != SCH_PARTITION_KEY && c->kind != SCH_CLUSTERING)
			continue;
		if (c->position < 0 || c->position >= n)
			return fail_at(l, at, "table %s: column %s position %d outside [0, %d)", t->name,
				       c->name, c->position, n);
		for (j = 0; j < i; j++)
			if (t->cols[j].kind == c->kind && t->cols[j].position == c->position)
				return fail_at(l, at, "table %s: columns %s and %s share position %d", t->name,
					       t->cols[j].name, c->name, c->position);
	}
	return 0;
}

static int get_table(ld *l, scope *sc, sch_keyspace *k, sch_table **out)
{
	size_t cat;
	sch_table *t = hl_arena_zalloc(l->a, sizeof *t);
	const uint8_t *id;
	uint8_t flags;
	int32_t v;
	int i, j;

	t->ks = k->name;
	if (get_text(l, "table name", true, &t->name))
		return -1;
	cat = l->r.pos;
	if (hl_rd_raw(&l->r, 16, &id))
		return truncated(l, cat, "table id");
	memcpy(t->id.b, id, 16);
	cat = l->r.pos;
	if (get_u8(l, "table flags", &flags))
		return -1;
	if (flags & ~(FLAG_COUNTER | FLAG_VIEW))
		return fail_at(l, cat, "table %s: unknown flags 0x%02x", t->name, flags);
	t->is_counter = flags & FLAG_COUNTER;
	cat = l->r.pos;
	if (get_i32(l, "next_column_id", &v))
		return -1;
	if (v < 0)
		return fail_at(l, cat, "table %s: negative next_column_id %d", t->name, v);
	t->next_column_id = v;

	/* a column is at least 4+1+4+1+4+4+4 = 22 bytes */
	cat = l->r.pos;
	if (get_count(l, "column count", 22, &t->ncols))
		return -1;
	t->cols = hl_arena_zalloc(l->a, sizeof *t->cols * (size_t)(t->ncols ? t->ncols : 1));
	for (i = 0; i < t->ncols; i++) {
		sch_column *c = &t->cols[i];
		size_t oat;
		uint8_t o;

		if (get_text(l, "column name", true, &c->name) || get_kind(l, "column kind", &c->kind) ||
		    get_i32(l, "column position", &v))
			return -1;
		c->position = v;
		oat = l->r.pos;
		if (get_u8(l, "column order", &o))
			return -1;
		if (o >= sizeof order_of_code / sizeof order_of_code[0])
			return fail_at(l, oat, "bad column order %u", o);
		c->order = order_of_code[o];
		if (get_i32(l, "column id", &v))
			return -1;
		c->id = v;
		if (get_type(l, sc, &c->type))
			return -1;
	}
	if (check_columns(l, cat, t))
		return -1;

	/* a dropped column is at least 4+1+8+4+4+4 = 25 bytes */
	if (get_count(l, "dropped column count", 25, &t->ndropped))
		return -1;
	t->dropped = hl_arena_zalloc(l->a, sizeof *t->dropped * (size_t)(t->ndropped ? t->ndropped : 1));
	for (i = 0; i < t->ndropped; i++) {
		sch_dropped *d = &t->dropped[i];

		cat = l->r.pos;
		if (get_text(l, "dropped column name", true, &d->name) ||
		    get_kind(l, "dropped column kind", &d->kind) ||
		    get_i64(l, "dropped_time", &d->dropped_time) || get_i32(l, "dropped column id", &v))
			return -1;
		d->id = v;
		if (d->kind != SCH_REGULAR && d->kind != SCH_STATIC)
			return fail_at(l, cat, "table %s: dropped column %s was a key column", t->name, d->name);
		if (d->id < 0 || d->id >= t->next_column_id)
			return fail_at(l, cat, "table %s: dropped column %s id %d outside [0, %d)", t->name,
				       d->name, d->id, t->next_column_id);
		for (j = 0; j < i; j++)
			if (!strcmp(t->dropped[j].name, d->name))
				return fail_at(l, cat, "table %s: column %s dropped twice", t->name, d->name);
		if (get_type(l, sc, &d->type))
			return -1;
	}

	if (get_count(l, "index count", 12, &t->nindexes))
		return -1;
	t->indexes = hl_arena_zalloc(l->a, sizeof *t->indexes * (size_t)(t->nindexes ? t->nindexes : 1));
	for (i = 0; i < t->nindexes; i++)
		if (get_text(l, "index name", true, &t->indexes[i].name) ||
		    get_text(l, "index kind", true, &t->indexes[i].kind) ||
		    get_map(l, "index options", &t->indexes[i].options))
			return -1;
	if (get_params(l, &t->params))
		return -1;
	if (flags & FLAG_VIEW) {
		sch_view *vw = hl_arena_zalloc(l->a, sizeof *vw);

		cat = l->r.pos;
		if (hl_rd_raw(&l->r, 16, &id))
			return truncated(l, cat, "view base table id");
		memcpy(vw->base_id.b, id, 16);
		if (get_text(l, "view base table", true, &vw->base) ||
		    get_text(l, "view where clause", false, &vw->where) ||
		    get_bool(l, "view include_all_columns", &vw->include_all))
			return -1;
		t->view = vw;
	}
	sch__sort_columns(l->a, t);
	*out = t;
	return 0;
}

/* ---------------------------------------------------------------- keyspaces */

static int get_keyspace(ld *l, sch_keyspace **out)
{
	size_t at = l->r.pos;
	sch_keyspace *k = hl_arena_zalloc(l->a, sizeof *k);
	scope sc = { .l = l };
	int i, j;

	if (get_text(l, "keyspace name", true, &k->name))
		return -1;
	/* system keyspaces come from code; one in the file would shadow them */
	if (sch_is_system_keyspace(k->name))
		return fail_at(l, at, "system keyspace %s in the file", k->name);
	if (sch__find_ks(l->s, k->name))
		return fail_at(l, at, "duplicate keyspace %s", k->name);
	k->cls = SCH_KS_USER;
	sc.ks = k->name;
	if (get_bool(l, "durable_writes", &k->durable_writes) ||
	    get_text(l, "replication strategy", true, &k->strategy) ||
	    get_map(l, "replication", &k->replication))
		return -1;

	/* a UDT is at least a name and a field count: 8 bytes */
	if (get_count(l, "user type count", 8, &sc.n))
		return -1;
	sc.defs = hl_arena_zalloc(l->a, sizeof *sc.defs * (size_t)(sc.n ? sc.n : 1));
	if (get_udefs(l, sc.n, sc.defs))
		return -1;
	k->ntypes = sc.n;
	k->types = hl_arena_zalloc(l->a, sizeof *k->types * (size_t)(sc.n ? sc.n : 1));
	for (i = 0; i < sc.n; i++) {
		udef *d = &sc.defs[i];
		sch_udt *u = hl_arena_zalloc(l->a, sizeof *u);

		l->inner_failed = false;
		if (!build_udt(&sc, d))
			return fail_at(l, at, "keyspace %s: %s", k->name,
				       l->inner_failed ? l->inner.msg : "user type refers to itself");
		u->ks = k->name;
		u->name = d->name;
		u->nfields = d->nfields;
		u->field_names = d->fnames;
		u->field_types = d->ftypes;
		u->type = d->type;
		k->types[i] = u;
	}

	/* a table is at least name, id, flags, next id and four counts */
	if (get_count(l, "table count", 4 + 16 + 1 + 4 + 4 * 4, &k->ntables))
		return -1;
	k->tables = hl_arena_zalloc(l->a, sizeof *k->tables * (size_t)(k->ntables ? k->ntables : 1));
	for (i = 0; i < k->ntables; i++) {
		size_t tat = l->r.pos;

		if (get_table(l, &sc, k, &k->tables[i]))
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(k->tables[j]->name, k->tables[i]->name))
				return fail_at(l, tat, "duplicate table %s.%s", k->name, k->tables[i]->name);
		/* commit log entries name tables by id: ids must be unique node-wide */
		if (sch_find_table_by_id(l->s, &k->tables[i]->id))
			return fail_at(l, tat, "table %s.%s reuses an existing table id", k->name,
				       k->tables[i]->name);
		for (j = 0; j < i; j++)
			if (!memcmp(k->tables[j]->id.b, k->tables[i]->id.b, 16))
				return fail_at(l, tat, "tables %s and %s share an id", k->tables[j]->name,
					       k->tables[i]->name);
	}
	*out = k;
	return 0;
}

int sch_schema_decode(const void *p, size_t n, const char *src, sch_schema **out, hl_err *err)
{
	const uint8_t *b = p;
	ld l = { .src = src ? src : "(memory)", .err = err };
	uint16_t format, flags;
	uint32_t body_len, crc;
	const uint8_t *ver;
	int i, nks, rc = -1;

	*out = NULL;
	hl_rd_init(&l.r, p, n);
	if (n < HDR_LEN)
		return hl_errf(err, HL_ERR_SERVER, "schema file %s: truncated header (%zu of %d bytes) at offset %zu",
			       l.src, n, HDR_LEN, n);
	if (memcmp(b, MAGIC, 4))
		return hl_errf(err, HL_ERR_SERVER, "schema file %s: bad magic at offset 0 (not a schema file)",
			       l.src);
	format = (uint16_t)(b[4] << 8 | b[5]);
	flags = (uint16_t)(b[6] << 8 | b[7]);
	body_len = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	crc = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
	if (format != FORMAT)
		return hl_errf(err, HL_ERR_SERVER, "schema file %s: unsupported format version %u at offset 4 (this build reads %d)",
			       l.src, format, FORMAT);
	if (flags)
		return hl_errf(err, HL_ERR_SERVER, "schema file %s: unknown flags 0x%04x at offset 6", l.src,
			       flags);
	if (body_len != n - HDR_LEN)
		return hl_errf(err, HL_ERR_SERVER,
			       "schema file %s: header says %u body bytes but %zu follow (truncated or trailing data) at offset 8",
			       l.src, body_len, n - HDR_LEN);
	if (hl_crc32(0, b + HDR_LEN, body_len) != crc)
		return hl_errf(err, HL_ERR_SERVER, "schema file %s: body CRC mismatch (corrupt file), body at offset %d",
			       l.src, HDR_LEN);

	hl_rd_init(&l.r, b + HDR_LEN, body_len);
	l.s = sch__new();
	l.a = l.s->a;
	sch__add_system_keyspaces(l.s);
	if (hl_rd_raw(&l.r, 16, &ver)) {
		truncated(&l, 0, "schema version");
		goto exit;
	}
	if (get_count(&l, "keyspace count", 4 + 1 + 4 + 4 + 4 + 4, &nks))
		goto exit;
	for (i = 0; i < nks; i++) {
		sch_keyspace *k = NULL;

		if (get_keyspace(&l, &k))
			goto exit;
		sch__add_keyspace(l.s, k);
	}
	if (hl_rd_left(&l.r)) {
		fail_at(&l, l.r.pos, "%zu unexpected bytes after the last keyspace", hl_rd_left(&l.r));
		goto exit;
	}
	sch__finish(l.s);
	/*
	 * Keep the saved version rather than the recomputed one: it is what
	 * drivers and peers saw before the restart, and a later build may
	 * print the canonical text differently.
	 */
	memcpy(l.s->version.b, ver, 16);
	*out = l.s;
	l.s = NULL;
	rc = 0;
exit:
	if (l.s)
		sch_release(l.s);
	return rc;
}

/* ---------------------------------------------------------------- files */

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = hl_malloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int sch_save(const sch_schema *s, const char *dir, hl_err *err)
{
	char *path = join(dir, FILE_NAME), *tmp = join(dir, TMP_NAME);
	int fd = -1, dfd = -1, rc = -1;
	bool made_tmp = false;
	hl_buf b;

	hl_buf_init(&b);
	if (sch_schema_encode(s, &b, err))
		goto exit;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot create %s: %s", tmp, strerror(errno));
		goto exit;
	}
	made_tmp = true;
	if (hl_write_all(fd, b.p, b.len)) {
		hl_errf(err, HL_ERR_SERVER, "cannot write %s: %s", tmp, strerror(errno));
		goto exit;
	}
	/* the data must be on disk before the rename makes it the schema */
	if (fsync(fd) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot sync %s: %s", tmp, strerror(errno));
		goto exit;
	}
	if (close(fd) != 0) {
		fd = -1;
		hl_errf(err, HL_ERR_SERVER, "cannot close %s: %s", tmp, strerror(errno));
		goto exit;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto exit;
	}
	made_tmp = false;
	/*
	 * The rename is durable only once the directory is. If this fails the
	 * new file is in place but maybe not durable: the caller reports an
	 * error and a restart may load either schema, as with a write timeout.
	 */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot sync directory %s: %s", dir, strerror(errno));
		goto exit;
	}
	rc = 0;
exit:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (made_tmp)
		unlink(tmp);
	hl_buf_free(&b);
	free(path);
	free(tmp);
	return rc;
}

int sch_load(const char *dir, const sch_registry_config *cfg, sch_schema **out, hl_err *err)
{
	char *path = join(dir, FILE_NAME);
	uint8_t *buf = NULL;
	size_t got = 0;
	struct stat st;
	int fd, rc = -1;

	/*
	 * Replication is not re-validated against cfg: a keyspace created when
	 * the node had another DC list must still load (Cassandra does not
	 * re-validate stored schema either).
	 */
	(void)cfg;
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			/* first start: nothing saved yet */
			*out = sch_schema_new_system();
			rc = 0;
		} else {
			hl_errf(err, HL_ERR_SERVER, "cannot open %s: %s", path, strerror(errno));
		}
		goto exit;
	}
	if (fstat(fd, &st) != 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot stat %s: %s", path, strerror(errno));
		goto exit;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > MAX_FILE) {
		hl_errf(err, HL_ERR_SERVER, "schema file %s: size %lld is not plausible", path,
			(long long)st.st_size);
		goto exit;
	}
	buf = hl_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", path, strerror(errno));
			goto exit;
		}
		if (r == 0)
			break;      /* shrank under us: decode reports the truncation */
		got += (size_t)r;
	}
	rc = sch_schema_decode(buf, got, path, out, err);
exit:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return rc;
}
