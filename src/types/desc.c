/*
 * types/desc.c: CQL type descriptors. The static table of native types,
 * constructors for parameterized types, the CQL type-name parser and
 * printer (the text of system_schema.columns.type), equality, value
 * compatibility for ALTER, the protocol [option] codec, and the small
 * serialization helpers (collection packing, fixed-width puts).
 */
#include "types/types_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define S(k) [k] = { .kind = k }
static const ty_type simple_types[0x16] = {
	S(TY_CUSTOM), S(TY_ASCII), S(TY_BIGINT), S(TY_BLOB), S(TY_BOOLEAN),
	S(TY_COUNTER), S(TY_DECIMAL), S(TY_DOUBLE), S(TY_FLOAT), S(TY_INT),
	S(TY_TIMESTAMP), S(TY_UUID), S(TY_TEXT), S(TY_VARINT), S(TY_TIMEUUID),
	S(TY_INET), S(TY_DATE), S(TY_TIME), S(TY_SMALLINT), S(TY_TINYINT),
	S(TY_DURATION),
};
#undef S

/* CQL keyword of each native type; "varchar" parses to text. */
static const struct {
	const char *name;
	ty_kind kind;
} native_names[] = {
	{ "ascii", TY_ASCII }, { "bigint", TY_BIGINT }, { "blob", TY_BLOB },
	{ "boolean", TY_BOOLEAN }, { "counter", TY_COUNTER }, { "date", TY_DATE },
	{ "decimal", TY_DECIMAL }, { "double", TY_DOUBLE }, { "duration", TY_DURATION },
	{ "float", TY_FLOAT }, { "inet", TY_INET }, { "int", TY_INT },
	{ "smallint", TY_SMALLINT }, { "text", TY_TEXT }, { "time", TY_TIME },
	{ "timestamp", TY_TIMESTAMP }, { "timeuuid", TY_TIMEUUID },
	{ "tinyint", TY_TINYINT }, { "uuid", TY_UUID }, { "varchar", TY_TEXT },
	{ "varint", TY_VARINT },
};

static bool is_native_kind(int k)
{
	return k >= TY_ASCII && k <= TY_DURATION && k != 0x000A;
}

const ty_type *ty_simple(ty_kind kind)
{
	if (!is_native_kind((int)kind))
		return NULL;
	return &simple_types[kind];
}

static const char *native_name(ty_kind k)
{
	size_t i;

	for (i = 0; i < sizeof native_names / sizeof native_names[0]; i++)
		if (native_names[i].kind == k && strcmp(native_names[i].name, "varchar") != 0)
			return native_names[i].name;
	return "?";
}

static ty_type *new_param(hl_arena *a, ty_kind kind, int nsub, bool frozen)
{
	ty_type *t = hl_arena_zalloc(a, sizeof *t);

	t->kind = kind;
	t->frozen = frozen;
	t->nsub = nsub;
	t->sub = hl_arena_zalloc(a, sizeof(*t->sub) * (size_t)(nsub > 0 ? nsub : 1));
	return t;
}

const ty_type *ty_list(hl_arena *a, const ty_type *elem, bool frozen)
{
	ty_type *t = new_param(a, TY_LIST, 1, frozen);

	t->sub[0] = elem;
	return t;
}

const ty_type *ty_set(hl_arena *a, const ty_type *elem, bool frozen)
{
	ty_type *t = new_param(a, TY_SET, 1, frozen);

	t->sub[0] = elem;
	return t;
}

const ty_type *ty_map(hl_arena *a, const ty_type *k, const ty_type *v, bool frozen)
{
	ty_type *t = new_param(a, TY_MAP, 2, frozen);

	t->sub[0] = k;
	t->sub[1] = v;
	return t;
}

/* Tuples are always frozen in Cassandra (there are no multi-cell tuples). */
const ty_type *ty_tuple(hl_arena *a, int n, const ty_type **elems)
{
	ty_type *t = new_param(a, TY_TUPLE, n, true);
	int i;

	for (i = 0; i < n; i++)
		t->sub[i] = elems[i];
	return t;
}

const ty_type *ty_udt(hl_arena *a, const char *ks, const char *name, int n,
		      const char **field_names, const ty_type **field_types, bool frozen)
{
	ty_type *t = new_param(a, TY_UDT, n, frozen);
	int i;

	t->udt_ks = hl_arena_strdup(a, ks ? ks : "");
	t->udt_name = hl_arena_strdup(a, name);
	t->field_names = hl_arena_zalloc(a, sizeof(char *) * (size_t)(n > 0 ? n : 1));
	for (i = 0; i < n; i++) {
		t->sub[i] = field_types[i];
		t->field_names[i] = hl_arena_strdup(a, field_names[i]);
	}
	return t;
}

const ty_type *ty_custom(hl_arena *a, const char *class_name)
{
	ty_type *t = hl_arena_zalloc(a, sizeof *t);

	t->kind = TY_CUSTOM;
	t->custom_class = hl_arena_strdup(a, class_name);
	return t;
}

const ty_type *ty_vector(hl_arena *a, const ty_type *elem, int dim)
{
	ty_type *t = new_param(a, TY_VECTOR, 1, true);

	t->sub[0] = elem;
	t->dim = dim;
	return t;
}

int ty_fixed_width(const ty_type *t)
{
	int w;

	switch (t->kind) {
	case TY_BOOLEAN: return 1;
	case TY_INT: case TY_FLOAT: return 4;
	case TY_BIGINT: case TY_DOUBLE: case TY_TIMESTAMP: return 8;
	case TY_UUID: case TY_TIMEUUID: return 16;
	case TY_VECTOR:
		w = ty_fixed_width(t->sub[0]);
		return w > 0 && t->dim <= (1 << 24) ? w * t->dim : -1;
	default: return -1;
	}
}

int ty_vector_to_list(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	int w = ty_fixed_width(t->sub[0]);
	size_t mark, off = 0;
	hl_rd r;

	ty_pack_begin(out, &mark);
	if (w > 0) {
		if (n != (size_t)w * (size_t)t->dim)
			return -1;
		for (int i = 0; i < t->dim; i++)
			ty_pack_elem(out, p + (size_t)i * (size_t)w, w);
	} else {
		hl_rd_init(&r, p, n);
		for (int i = 0; i < t->dim; i++) {
			uint64_t l;
			const uint8_t *e;

			if (hl_rd_uvint(&r, &l) || l > INT32_MAX || hl_rd_raw(&r, (size_t)l, &e))
				return -1;
			ty_pack_elem(out, e, (int32_t)l);
		}
		if (hl_rd_left(&r))
			return -1;
	}
	(void)off;
	ty_pack_end(out, mark, t->dim);
	return 0;
}

void ty_vector_put_elem(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	if (ty_fixed_width(t->sub[0]) < 0)
		hl_buf_uvint(out, n);
	hl_buf_put(out, p, n);
}

void ty_marshal_name(const ty_type *t, hl_buf *out)
{
	static const struct { ty_kind k; const char *n; } names[] = {
		{ TY_ASCII, "AsciiType" }, { TY_BIGINT, "LongType" }, { TY_BLOB, "BytesType" },
		{ TY_BOOLEAN, "BooleanType" }, { TY_COUNTER, "CounterColumnType" },
		{ TY_DECIMAL, "DecimalType" }, { TY_DOUBLE, "DoubleType" }, { TY_FLOAT, "FloatType" },
		{ TY_INT, "Int32Type" }, { TY_TIMESTAMP, "TimestampType" }, { TY_UUID, "UUIDType" },
		{ TY_TEXT, "UTF8Type" }, { TY_VARINT, "IntegerType" }, { TY_TIMEUUID, "TimeUUIDType" },
		{ TY_INET, "InetAddressType" }, { TY_DATE, "SimpleDateType" }, { TY_TIME, "TimeType" },
		{ TY_SMALLINT, "ShortType" }, { TY_TINYINT, "ByteType" }, { TY_DURATION, "DurationType" },
	};
	const char *m = "org.apache.cassandra.db.marshal.";

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].k == t->kind) {
			hl_buf_str(out, m);
			hl_buf_str(out, names[i].n);
			return;
		}
	switch (t->kind) {
	case TY_CUSTOM:
		hl_buf_str(out, t->custom_class ? t->custom_class : "");
		return;
	case TY_VECTOR:
		/* VectorType.toString: the element, then " , " and the dimension */
		hl_buf_printf(out, "%sVectorType(", m);
		ty_marshal_name(t->sub[0], out);
		hl_buf_printf(out, " , %d)", t->dim);
		return;
	case TY_LIST: case TY_SET: case TY_MAP: case TY_TUPLE: {
		hl_buf_printf(out, "%s%s(", m, t->kind == TY_LIST ? "ListType" : t->kind == TY_SET ? "SetType"
			      : t->kind == TY_MAP ? "MapType" : "TupleType");
		for (int i = 0; i < t->nsub; i++) {
			if (i)
				hl_buf_u8(out, ',');
			ty_marshal_name(t->sub[i], out);
		}
		hl_buf_u8(out, ')');
		return;
	}
	default:
		hl_buf_printf(out, "%sBytesType", m);
		return;
	}
}

bool ty_is_collection(const ty_type *t)
{
	return t && (t->kind == TY_LIST || t->kind == TY_SET || t->kind == TY_MAP);
}

bool ty_is_multicell(const ty_type *t)
{
	return t && !t->frozen && (ty_is_collection(t) || t->kind == TY_UDT);
}

/* A copy of t with the frozen flag changed (descriptors are immutable). */
const ty_type *ty_with_frozen(hl_arena *a, const ty_type *t, bool frozen)
{
	ty_type *c;

	if (t->frozen == frozen || !(ty_is_collection(t) || t->kind == TY_UDT))
		return t;
	c = hl_arena_memdup(a, t, sizeof *t);
	c->frozen = frozen;
	return c;
}

/* ---------------------------------------------------------------- format */

/* Cassandra's ColumnIdentifier.maybeQuote: bare if a plain lowercase identifier. */
static void put_ident(hl_buf *out, const char *s)
{
	const char *c;
	bool plain = s[0] != '\0' && islower((unsigned char)s[0]);

	for (c = s; *c && plain; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
			plain = false;
	if (plain) {
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

void ty_format(const ty_type *t, hl_buf *out)
{
	int i;
	bool frozen = t->frozen || t->kind == TY_TUPLE;

	switch (t->kind) {
	case TY_CUSTOM:
		hl_buf_u8(out, '\'');
		hl_buf_str(out, t->custom_class ? t->custom_class : "");
		hl_buf_u8(out, '\'');
		return;
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
	case TY_TUPLE:
		if (frozen)
			hl_buf_str(out, "frozen<");
		hl_buf_str(out, t->kind == TY_LIST ? "list<" : t->kind == TY_SET ? "set<" :
				t->kind == TY_MAP ? "map<" : "tuple<");
		for (i = 0; i < t->nsub; i++) {
			if (i)
				hl_buf_str(out, ", ");
			ty_format(t->sub[i], out);
		}
		hl_buf_u8(out, '>');
		if (frozen)
			hl_buf_u8(out, '>');
		return;
	case TY_VECTOR:
		hl_buf_str(out, "vector<");
		ty_format(t->sub[0], out);
		hl_buf_printf(out, ", %d>", t->dim);
		return;
	case TY_UDT:
		if (frozen)
			hl_buf_str(out, "frozen<");
		put_ident(out, t->udt_name ? t->udt_name : "");
		if (frozen)
			hl_buf_u8(out, '>');
		return;
	default:
		hl_buf_str(out, native_name(t->kind));
	}
}

const char *ty_name(const ty_type *t, hl_arena *a)
{
	hl_buf b;
	char *s;

	hl_buf_init(&b);
	ty_format(t, &b);
	s = hl_arena_strndup(a, (const char *)b.p, b.len);
	hl_buf_free(&b);
	return s;
}

/* ---------------------------------------------------------------- parse */

typedef struct pctx {
	const char *s;
	size_t n, pos;
	hl_arena *a;
	ty_udt_resolver res;
	void *rctx;
	const char *ks;
	hl_err *err;
} pctx;

enum { MAX_TYPE_DEPTH = 32 };

static void skip_ws(pctx *p)
{
	while (p->pos < p->n && isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static bool peek(pctx *p, char c)
{
	skip_ws(p);
	return p->pos < p->n && p->s[p->pos] == c;
}

static int expect(pctx *p, char c)
{
	if (!peek(p, c))
		return hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s': expected '%c' at position %zu",
			       (int)p->n, p->s, c, p->pos);
	p->pos++;
	return 0;
}

/*
 * An identifier: unquoted ones fold to lower case, "quoted" ones keep case
 * ("" escapes a quote). *quoted tells the caller keywords do not apply.
 */
static int ident(pctx *p, char **out, bool *quoted)
{
	hl_buf b;
	int rc = -1;

	hl_buf_init(&b);
	skip_ws(p);
	*quoted = false;
	if (p->pos < p->n && p->s[p->pos] == '"') {
		*quoted = true;
		p->pos++;
		for (;;) {
			if (p->pos >= p->n) {
				hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s': unterminated quoted name",
					(int)p->n, p->s);
				goto exit;
			}
			if (p->s[p->pos] == '"') {
				if (p->pos + 1 < p->n && p->s[p->pos + 1] == '"') {
					hl_buf_u8(&b, '"');
					p->pos += 2;
					continue;
				}
				p->pos++;
				break;
			}
			hl_buf_u8(&b, (uint8_t)p->s[p->pos++]);
		}
	} else {
		while (p->pos < p->n && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
			hl_buf_u8(&b, (uint8_t)tolower((unsigned char)p->s[p->pos++]));
		if (b.len == 0) {
			hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s' at position %zu", (int)p->n, p->s,
				p->pos);
			goto exit;
		}
	}
	*out = hl_arena_strndup(p->a, b.len ? (const char *)b.p : "", b.len);
	rc = 0;
exit:
	hl_buf_free(&b);
	return rc;
}

static int parse_type(pctx *p, int depth, const ty_type **out);

/* Collection and tuple elements must be frozen: nested multi-cell values do not exist. */
static int check_elem(pctx *p, const ty_type *coll, const ty_type *e, int pos)
{
	hl_buf b;
	int rc = 0;

	hl_buf_init(&b);
	ty_format(coll, &b);
	hl_buf_u8(&b, 0);
	if (e->kind == TY_COUNTER)
		rc = hl_errf(p->err, HL_ERR_INVALID, "Counters are not allowed inside collections: %s",
			     (const char *)b.p);
	else if (ty_is_collection(e) && !e->frozen)
		rc = hl_errf(p->err, HL_ERR_INVALID,
			     "Non-frozen collections are not allowed inside collections: %s", (const char *)b.p);
	else if (e->kind == TY_UDT && !e->frozen)
		rc = hl_errf(p->err, HL_ERR_INVALID,
			     "Non-frozen UDTs are not allowed inside collections: %s", (const char *)b.p);
	else if (e->kind == TY_DURATION && coll->kind == TY_SET)
		rc = hl_errf(p->err, HL_ERR_INVALID, "Durations are not allowed inside sets: %s",
			     (const char *)b.p);
	else if (e->kind == TY_DURATION && coll->kind == TY_MAP && pos == 0)
		rc = hl_errf(p->err, HL_ERR_INVALID, "Durations are not allowed as map keys: %s",
			     (const char *)b.p);
	hl_buf_free(&b);
	return rc;
}

static int parse_args(pctx *p, int depth, int min, int max, const char *what,
		      const ty_type ***args, int *nargs)
{
	int cap = 4, n = 0;
	const ty_type **v = hl_arena_alloc(p->a, sizeof(*v) * (size_t)cap);

	if (expect(p, '<'))
		return -1;
	for (;;) {
		if (n == cap) {
			const ty_type **nv = hl_arena_alloc(p->a, sizeof(*v) * (size_t)cap * 2);

			memcpy(nv, v, sizeof(*v) * (size_t)cap);
			v = nv;
			cap *= 2;
		}
		if (parse_type(p, depth + 1, &v[n]))
			return -1;
		n++;
		if (peek(p, ',')) {
			p->pos++;
			continue;
		}
		if (expect(p, '>'))
			return -1;
		break;
	}
	if (n < min || (max > 0 && n > max))
		return hl_errf(p->err, HL_ERR_INVALID, "Invalid type '%.*s': %s takes %d type argument%s",
			       (int)p->n, p->s, what, min, min == 1 ? "" : "s");
	*args = v;
	*nargs = n;
	return 0;
}

static int parse_type(pctx *p, int depth, const ty_type **out)
{
	char *name = NULL, *name2 = NULL;
	bool quoted = false, quoted2 = false;
	const ty_type **args = NULL;
	int nargs = 0, i;
	size_t k;

	if (depth > MAX_TYPE_DEPTH)
		return hl_errf(p->err, HL_ERR_INVALID, "Type nesting is too deep in '%.*s'", (int)p->n, p->s);
	skip_ws(p);
	/* 'org.apache.cassandra.db.marshal.X': a custom type */
	if (p->pos < p->n && p->s[p->pos] == '\'') {
		size_t start = ++p->pos;

		while (p->pos < p->n && p->s[p->pos] != '\'')
			p->pos++;
		if (p->pos >= p->n)
			return hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s': unterminated string",
				       (int)p->n, p->s);
		*out = ty_custom(p->a, hl_arena_strndup(p->a, p->s + start, p->pos - start));
		p->pos++;
		return 0;
	}
	if (ident(p, &name, &quoted))
		return -1;
	if (peek(p, '.')) {
		p->pos++;
		if (ident(p, &name2, &quoted2))
			return -1;
		goto udt;
	}
	if (!quoted) {
		for (k = 0; k < sizeof native_names / sizeof native_names[0]; k++)
			if (strcmp(name, native_names[k].name) == 0) {
				*out = &simple_types[native_names[k].kind];
				return 0;
			}
		if (strcmp(name, "frozen") == 0 && peek(p, '<')) {
			const ty_type *in;

			p->pos++;
			if (parse_type(p, depth + 1, &in) || expect(p, '>'))
				return -1;
			if (!(ty_is_collection(in) || in->kind == TY_UDT || in->kind == TY_TUPLE)) {
				hl_buf b;

				hl_buf_init(&b);
				ty_format(in, &b);
				hl_errf(p->err, HL_ERR_INVALID,
					"frozen<> is only allowed on collections, tuples, and user-defined types (got %.*s)",
					(int)b.len, (const char *)b.p);
				hl_buf_free(&b);
				return -1;
			}
			*out = ty_with_frozen(p->a, in, true);
			return 0;
		}
		if ((strcmp(name, "list") == 0 || strcmp(name, "set") == 0) && peek(p, '<')) {
			if (parse_args(p, depth, 1, 1, name, &args, &nargs))
				return -1;
			*out = name[0] == 'l' ? ty_list(p->a, args[0], false) : ty_set(p->a, args[0], false);
			return check_elem(p, *out, args[0], 0);
		}
		if (strcmp(name, "map") == 0 && peek(p, '<')) {
			if (parse_args(p, depth, 2, 2, name, &args, &nargs))
				return -1;
			*out = ty_map(p->a, args[0], args[1], false);
			if (check_elem(p, *out, args[0], 0) || check_elem(p, *out, args[1], 1))
				return -1;
			return 0;
		}
		if (strcmp(name, "vector") == 0 && peek(p, '<')) {
			const ty_type *el;
			long long d = 0;
			bool neg = false, any = false;

			p->pos++;
			if (parse_type(p, depth + 1, &el) || expect(p, ','))
				return -1;
			skip_ws(p);
			if (p->pos < p->n && p->s[p->pos] == '-') {
				neg = true;
				p->pos++;
			}
			while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
				if (d < 10000000000LL)
					d = d * 10 + (p->s[p->pos] - '0');
				p->pos++;
				any = true;
			}
			if (!any)
				return hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s': expected a vector "
					       "dimension", (int)p->n, p->s);
			if (expect(p, '>'))
				return -1;
			if (d > INT32_MAX)
				return hl_errf(p->err, HL_ERR_SYNTAX, "Invalid type '%.*s': the vector dimension "
					       "does not fit an int", (int)p->n, p->s);
			if (neg)
				d = -d;
			if (d <= 0)
				return hl_errf(p->err, HL_ERR_INVALID, "vectors may only have positive "
					       "dimensions; given %lld", d);
			if (el->kind == TY_COUNTER)
				return hl_errf(p->err, HL_ERR_INVALID, "vectors may not contain counters");
			*out = ty_vector(p->a, ty_with_frozen(p->a, el, true), (int)d);
			return 0;
		}
		if (strcmp(name, "tuple") == 0 && peek(p, '<')) {
			if (parse_args(p, depth, 1, 0, name, &args, &nargs))
				return -1;
			for (i = 0; i < nargs; i++) {
				if (args[i]->kind == TY_COUNTER)
					return hl_errf(p->err, HL_ERR_INVALID, "Counters are not allowed inside tuples");
				/* a tuple is one cell, so what it holds is frozen */
				args[i] = ty_with_frozen(p->a, args[i], true);
			}
			*out = ty_tuple(p->a, nargs, args);
			return 0;
		}
	}
udt:
	{
		const char *ks = name2 ? name : p->ks;
		const char *tn = name2 ? name2 : name;
		const ty_type *u = NULL;

		if (p->res && tn)
			u = p->res(p->rctx, ks, tn);
		if (!u) {
			if (name2)
				return hl_errf(p->err, HL_ERR_INVALID, "Unknown type %s.%s", ks, tn);
			if (ks)
				return hl_errf(p->err, HL_ERR_INVALID, "Unknown type %s.%s", ks, tn);
			return hl_errf(p->err, HL_ERR_INVALID, "Unknown type %s", tn);
		}
		*out = u;
		return 0;
	}
}

int ty_parse(const char *text, size_t len, hl_arena *a, ty_udt_resolver res, void *res_ctx,
	     const char *ks, const ty_type **out, hl_err *err)
{
	pctx p = { .s = text, .n = len, .a = a, .res = res, .rctx = res_ctx, .ks = ks, .err = err };

	if (parse_type(&p, 0, out))
		return -1;
	skip_ws(&p);
	if (p.pos != p.n)
		return hl_errf(err, HL_ERR_SYNTAX, "Invalid type '%.*s': unexpected text at position %zu",
			       (int)len, text, p.pos);
	return 0;
}

/* ---------------------------------------------------------------- equality */

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool ty_equal(const ty_type *a, const ty_type *b)
{
	int i;

	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind || a->nsub != b->nsub)
		return false;
	if ((ty_is_collection(a) || a->kind == TY_UDT) && a->frozen != b->frozen)
		return false;
	if (a->kind == TY_CUSTOM)
		return str_eq(a->custom_class, b->custom_class);
	if (a->kind == TY_VECTOR)
		return a->dim == b->dim && ty_equal(a->sub[0], b->sub[0]);
	if (a->kind == TY_UDT) {
		if (!str_eq(a->udt_ks, b->udt_ks) || !str_eq(a->udt_name, b->udt_name))
			return false;
		for (i = 0; i < a->nsub; i++)
			if (!str_eq(a->field_names[i], b->field_names[i]))
				return false;
	}
	for (i = 0; i < a->nsub; i++)
		if (!ty_equal(a->sub[i], b->sub[i]))
			return false;
	return true;
}

/*
 * Sort-order compatibility (Cassandra's isCompatibleWith): values of `from`
 * sort the same way under `to`, so `to` may replace it where order matters
 * (clustering columns, set elements, map keys).
 */
static bool order_compatible(const ty_type *to, const ty_type *from)
{
	int i;

	if (ty_equal(to, from))
		return true;
	/* text, ascii and blob all sort by unsigned bytes */
	if (to->kind == TY_TEXT && from->kind == TY_ASCII)
		return true;
	if (to->kind == TY_BLOB && (from->kind == TY_ASCII || from->kind == TY_TEXT))
		return true;
	if (to->kind != from->kind || to->frozen != from->frozen)
		return false;
	if (to->kind == TY_TUPLE || to->kind == TY_UDT) {
		if (to->kind == TY_UDT && !str_eq(to->udt_name, from->udt_name))
			return false;
		if (to->nsub < from->nsub)
			return false;
		for (i = 0; i < from->nsub; i++)
			if (!order_compatible(to->sub[i], from->sub[i]))
				return false;
		return true;
	}
	if (ty_is_collection(to)) {
		for (i = 0; i < to->nsub; i++)
			if (!order_compatible(to->sub[i], from->sub[i]))
				return false;
		return true;
	}
	return false;
}

/*
 * Value compatibility (Cassandra's isValueCompatibleWith): every serialized
 * value of `from` is a valid value of `to` with the same meaning. This is
 * an approximation of Cassandra's rules: blob reads anything, text reads
 * ascii, varint reads int and bigint, bigint and timestamp read each other,
 * uuid reads timeuuid, and composite types apply the rules per element
 * (map keys and set elements need sort-order compatibility).
 */
bool ty_compatible(const ty_type *to, const ty_type *from)
{
	int i;

	if (!to || !from)
		return false;
	if (ty_equal(to, from))
		return true;
	if (to->kind == TY_BLOB && !ty_is_multicell(from))
		return true;
	switch (to->kind) {
	case TY_TEXT:
		return from->kind == TY_ASCII;
	case TY_VARINT:
		return from->kind == TY_INT || from->kind == TY_BIGINT;
	case TY_BIGINT:
		return from->kind == TY_TIMESTAMP;
	case TY_TIMESTAMP:
		return from->kind == TY_BIGINT;
	case TY_UUID:
		return from->kind == TY_TIMEUUID;
	case TY_LIST:
	case TY_SET:
	case TY_MAP:
		if (from->kind != to->kind || from->frozen != to->frozen)
			return false;
		if (to->kind == TY_LIST)
			return ty_compatible(to->sub[0], from->sub[0]);
		if (!order_compatible(to->sub[0], from->sub[0]))
			return false;
		return to->kind == TY_SET || ty_compatible(to->sub[1], from->sub[1]);
	case TY_TUPLE:
	case TY_UDT:
		if (from->kind != to->kind || to->nsub < from->nsub)
			return false;
		if (to->kind == TY_UDT && (!str_eq(to->udt_name, from->udt_name) || to->frozen != from->frozen))
			return false;
		for (i = 0; i < from->nsub; i++)
			if (!ty_compatible(to->sub[i], from->sub[i]))
				return false;
		return true;
	default:
		return false;
	}
}

/* ---------------------------------------------------------------- [option] */

void ty_encode_option(const ty_type *t, hl_buf *out)
{
	int i;

	if (t->kind == TY_VECTOR) {
		hl_buf m;

		hl_buf_init(&m);
		ty_marshal_name(t, &m);
		hl_buf_u16(out, TY_CUSTOM);
		hl_buf_pstring(out, (const char *)m.p, m.len);
		hl_buf_free(&m);
		return;
	}
	hl_buf_u16(out, (uint16_t)t->kind);
	switch (t->kind) {
	case TY_CUSTOM:
		hl_buf_pstring(out, t->custom_class ? t->custom_class : "",
			       t->custom_class ? strlen(t->custom_class) : 0);
		break;
	case TY_LIST:
	case TY_SET:
		ty_encode_option(t->sub[0], out);
		break;
	case TY_MAP:
		ty_encode_option(t->sub[0], out);
		ty_encode_option(t->sub[1], out);
		break;
	case TY_TUPLE:
		hl_buf_u16(out, (uint16_t)t->nsub);
		for (i = 0; i < t->nsub; i++)
			ty_encode_option(t->sub[i], out);
		break;
	case TY_UDT:
		hl_buf_pstring(out, t->udt_ks ? t->udt_ks : "", t->udt_ks ? strlen(t->udt_ks) : 0);
		hl_buf_pstring(out, t->udt_name ? t->udt_name : "", t->udt_name ? strlen(t->udt_name) : 0);
		hl_buf_u16(out, (uint16_t)t->nsub);
		for (i = 0; i < t->nsub; i++) {
			hl_buf_pstring(out, t->field_names[i], strlen(t->field_names[i]));
			ty_encode_option(t->sub[i], out);
		}
		break;
	default:
		break;
	}
}

static int short_option(hl_err *err)
{
	return hl_errf(err, HL_ERR_PROTOCOL, "Not enough bytes to read a type [option]");
}

/*
 * The protocol carries no frozen flag. Anything nested is frozen (Cassandra
 * has no multi-cell values inside others); the top level is left non-frozen.
 */
static int decode_option(hl_rd *r, hl_arena *a, int depth, const ty_type **out, hl_err *err)
{
	uint16_t id, n;
	const char *s;
	size_t sn;
	int i;
	ty_type *t;

	if (depth > MAX_TYPE_DEPTH)
		return hl_errf(err, HL_ERR_PROTOCOL, "Type [option] nesting is too deep");
	if (hl_rd_u16(r, &id))
		return short_option(err);
	if (is_native_kind(id)) {
		*out = &simple_types[id];
		return 0;
	}
	switch (id) {
	case TY_CUSTOM:
		if (hl_rd_pstring(r, &s, &sn))
			return short_option(err);
		*out = ty_custom(a, hl_arena_strndup(a, s, sn));
		return 0;
	case TY_LIST:
	case TY_SET:
		t = new_param(a, (ty_kind)id, 1, depth > 0);
		if (decode_option(r, a, depth + 1, &t->sub[0], err))
			return -1;
		*out = t;
		return 0;
	case TY_MAP:
		t = new_param(a, TY_MAP, 2, depth > 0);
		if (decode_option(r, a, depth + 1, &t->sub[0], err) ||
		    decode_option(r, a, depth + 1, &t->sub[1], err))
			return -1;
		*out = t;
		return 0;
	case TY_TUPLE:
		if (hl_rd_u16(r, &n))
			return short_option(err);
		t = new_param(a, TY_TUPLE, n, true);
		for (i = 0; i < n; i++)
			if (decode_option(r, a, depth + 1, &t->sub[i], err))
				return -1;
		*out = t;
		return 0;
	case TY_UDT: {
		const char *ks, *name;
		size_t ksn, namen;

		if (hl_rd_pstring(r, &ks, &ksn) || hl_rd_pstring(r, &name, &namen) || hl_rd_u16(r, &n))
			return short_option(err);
		t = new_param(a, TY_UDT, n, depth > 0);
		t->udt_ks = hl_arena_strndup(a, ks, ksn);
		t->udt_name = hl_arena_strndup(a, name, namen);
		t->field_names = hl_arena_zalloc(a, sizeof(char *) * (size_t)(n > 0 ? n : 1));
		for (i = 0; i < n; i++) {
			if (hl_rd_pstring(r, &s, &sn))
				return short_option(err);
			t->field_names[i] = hl_arena_strndup(a, s, sn);
			if (decode_option(r, a, depth + 1, &t->sub[i], err))
				return -1;
		}
		*out = t;
		return 0;
	}
	default:
		return hl_errf(err, HL_ERR_PROTOCOL, "Unknown type [option] id 0x%04x", id);
	}
}

int ty_decode_option(hl_rd *r, hl_arena *a, const ty_type **out, hl_err *err)
{
	return decode_option(r, a, 0, out, err);
}

/* ---------------------------------------------------------------- packing */

void ty_pack_begin(hl_buf *out, size_t *mark)
{
	*mark = out->len;
	hl_buf_u32(out, 0);
}

void ty_pack_elem(hl_buf *out, const uint8_t *p, int32_t n)
{
	hl_buf_pbytes(out, p, n < 0 ? -1 : n);
}

void ty_pack_end(hl_buf *out, size_t mark, int32_t count)
{
	hl_buf_patch_u32(out, mark, (uint32_t)count);
}

void ty_put_int(hl_buf *out, int32_t v)
{
	hl_buf_u32(out, (uint32_t)v);
}

void ty_put_bigint(hl_buf *out, int64_t v)
{
	hl_buf_u64(out, (uint64_t)v);
}

void ty_put_bool(hl_buf *out, bool v)
{
	hl_buf_u8(out, v ? 1 : 0);
}

int32_t ty_get_int(const uint8_t *p, size_t n)
{
	return n == 4 ? (int32_t)ty__be32(p) : 0;
}

int64_t ty_get_bigint(const uint8_t *p, size_t n)
{
	return n == 8 ? (int64_t)ty__be64(p) : 0;
}

bool ty_get_bool(const uint8_t *p, size_t n)
{
	return n >= 1 && p[0] != 0;
}
