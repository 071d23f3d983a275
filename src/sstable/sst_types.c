/*
 * sstable/sst_types.c: Cassandra marshal class strings (the type names
 * Statistics.db's SerializationHeader records, e.g.
 * "org.apache.cassandra.db.marshal.MapType(...Int32Type,...UTF8Type)") to
 * ty_type descriptors, and the on-disk width of each type's values.
 */
#include "sstable/sst_int.h"

#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_ARGS 1024

typedef struct mparse {
	const char *s;
	size_t n, pos;
	hl_arena *a;
	hl_err *err;
	int depth;
} mparse;

static int mfail(mparse *p, const char *what)
{
	return hl_errf(p->err, HL_ERR_SERVER, "bad marshal type string at %zu: %s (\"%.*s\")", p->pos,
		       what, (int)(p->n > 200 ? 200 : p->n), p->s);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '$';
}

static void skip_ws(mparse *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* Decode a hex string (UDT and field names are hex-encoded UTF-8). */
static const char *unhex(mparse *p, const char *h, size_t n)
{
	char *out;

	if (n % 2)
		return NULL;
	out = hl_arena_alloc(p->a, n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;

		for (int j = 0; j < 2; j++) {
			char c = h[2 * i + (size_t)j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return NULL;
		}
		out[i] = (char)v;
	}
	out[n / 2] = 0;
	return out;
}

/* A bare token up to ',', ':' or ')' (keyspace and hex names of UserType). */
static int read_token(mparse *p, const char **tok, size_t *len)
{
	size_t st;

	skip_ws(p);
	st = p->pos;
	while (p->pos < p->n && name_char(p->s[p->pos]))
		p->pos++;
	*tok = p->s + st;
	*len = p->pos - st;
	return *len ? 0 : mfail(p, "expected a name");
}

static int expect(mparse *p, char c)
{
	skip_ws(p);
	if (p->pos >= p->n || p->s[p->pos] != c) {
		char what[32];

		snprintf(what, sizeof(what), "expected '%c'", c);
		return mfail(p, what);
	}
	p->pos++;
	return 0;
}

static bool peek(mparse *p, char c)
{
	skip_ws(p);
	return p->pos < p->n && p->s[p->pos] == c;
}

static int parse_type(mparse *p, const ty_type **out, bool *reversed);

/* Parenthesised list of types: "(A,B,...)". */
static int parse_args(mparse *p, const ty_type ***out, int *nout)
{
	const ty_type **args = NULL;
	int n = 0, cap = 0;
	bool rev;

	if (expect(p, '('))
		return -1;
	if (peek(p, ')')) {
		p->pos++;
		*out = NULL;
		*nout = 0;
		return 0;
	}
	for (;;) {
		const ty_type *t;

		if (parse_type(p, &t, &rev))
			return -1;
		if (n == cap) {
			const ty_type **na;

			if (cap >= MAX_ARGS)
				return mfail(p, "too many type parameters");
			cap = cap ? cap * 2 : 4;
			na = hl_arena_alloc(p->a, (size_t)cap * sizeof(*na));
			if (n)
				memcpy(na, args, (size_t)n * sizeof(*na));
			args = na;
		}
		args[n++] = t;
		if (peek(p, ',')) {
			p->pos++;
			continue;
		}
		if (expect(p, ')'))
			return -1;
		break;
	}
	*out = args;
	*nout = n;
	return 0;
}

/* UserType(ks,hexname,hexfield:Type,...) */
static int parse_udt(mparse *p, const ty_type **out)
{
	const char *tok, *ks, *name;
	size_t len;
	const char **fnames = NULL;
	const ty_type **ftypes = NULL;
	int n = 0, cap = 0;
	bool rev;

	if (expect(p, '(') || read_token(p, &tok, &len))
		return -1;
	ks = hl_arena_strndup(p->a, tok, len);
	if (expect(p, ',') || read_token(p, &tok, &len))
		return -1;
	if (!(name = unhex(p, tok, len)))
		return mfail(p, "bad hex UDT name");
	while (peek(p, ',')) {
		const ty_type *t;
		const char *fname;

		p->pos++;
		if (read_token(p, &tok, &len))
			return -1;
		if (!(fname = unhex(p, tok, len)))
			return mfail(p, "bad hex UDT field name");
		if (expect(p, ':') || parse_type(p, &t, &rev))
			return -1;
		if (n == cap) {
			const char **nn;
			const ty_type **nt;

			if (cap >= MAX_ARGS)
				return mfail(p, "too many UDT fields");
			cap = cap ? cap * 2 : 4;
			nn = hl_arena_alloc(p->a, (size_t)cap * sizeof(*nn));
			nt = hl_arena_alloc(p->a, (size_t)cap * sizeof(*nt));
			if (n) {
				memcpy(nn, fnames, (size_t)n * sizeof(*nn));
				memcpy(nt, ftypes, (size_t)n * sizeof(*nt));
			}
			fnames = nn;
			ftypes = nt;
		}
		fnames[n] = fname;
		ftypes[n] = t;
		n++;
	}
	if (expect(p, ')'))
		return -1;
	/* a bare UserType is multi-cell; FrozenType(...) around it freezes it */
	*out = ty_udt(p->a, ks, name, n, fnames, ftypes, false);
	return 0;
}

/* Skip a balanced parameter list we do not interpret (custom types). */
static int skip_params(mparse *p)
{
	int depth = 0;

	do {
		if (p->pos >= p->n)
			return mfail(p, "unbalanced parentheses");
		if (p->s[p->pos] == '(')
			depth++;
		else if (p->s[p->pos] == ')')
			depth--;
		p->pos++;
	} while (depth > 0);
	return 0;
}

static const struct {
	const char *name;
	ty_kind kind;
} simple_types[] = {
	{ "AsciiType", TY_ASCII },        { "LongType", TY_BIGINT },
	{ "BytesType", TY_BLOB },         { "BooleanType", TY_BOOLEAN },
	{ "CounterColumnType", TY_COUNTER }, { "DecimalType", TY_DECIMAL },
	{ "DoubleType", TY_DOUBLE },      { "FloatType", TY_FLOAT },
	{ "Int32Type", TY_INT },          { "TimestampType", TY_TIMESTAMP },
	{ "DateType", TY_TIMESTAMP },     { "UUIDType", TY_UUID },
	{ "UTF8Type", TY_TEXT },          { "IntegerType", TY_VARINT },
	{ "TimeUUIDType", TY_TIMEUUID },  { "InetAddressType", TY_INET },
	{ "SimpleDateType", TY_DATE },    { "TimeType", TY_TIME },
	{ "ShortType", TY_SMALLINT },     { "ByteType", TY_TINYINT },
	{ "DurationType", TY_DURATION },
};

static bool is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int parse_type(mparse *p, const ty_type **out, bool *reversed)
{
	const char *full, *nm;
	size_t fulllen, nmlen, start;
	const ty_type **args;
	int nargs, rc = -1;
	bool rev;

	*reversed = false;
	if (++p->depth > MAX_DEPTH) {
		mfail(p, "type nested too deeply");
		goto exit;
	}
	skip_ws(p);
	start = p->pos;
	if (read_token(p, &full, &fulllen))
		goto exit;
	/* the package prefix is optional; only the simple class name matters */
	nm = full;
	nmlen = fulllen;
	for (size_t i = 0; i < fulllen; i++)
		if (full[i] == '.') {
			nm = full + i + 1;
			nmlen = fulllen - i - 1;
		}
	for (size_t i = 0; i < sizeof(simple_types) / sizeof(simple_types[0]); i++)
		if (is(nm, nmlen, simple_types[i].name)) {
			*out = ty_simple(simple_types[i].kind);
			rc = 0;
			goto exit;
		}
	if (is(nm, nmlen, "ReversedType") || is(nm, nmlen, "FrozenType")) {
		bool isrev = nm[0] == 'R';

		if (expect(p, '(') || parse_type(p, out, &rev) || expect(p, ')'))
			goto exit;
		if (isrev)
			*reversed = true;
		else
			*out = ty_with_frozen(p->a, *out, true);
		rc = 0;
		goto exit;
	}
	if (is(nm, nmlen, "ListType") || is(nm, nmlen, "SetType") || is(nm, nmlen, "MapType")) {
		int want = nm[0] == 'M' ? 2 : 1;

		if (parse_args(p, &args, &nargs))
			goto exit;
		if (nargs != want) {
			mfail(p, "wrong number of collection type parameters");
			goto exit;
		}
		if (nm[0] == 'L')
			*out = ty_list(p->a, args[0], false);
		else if (nm[0] == 'S')
			*out = ty_set(p->a, args[0], false);
		else
			*out = ty_map(p->a, args[0], args[1], false);
		rc = 0;
		goto exit;
	}
	if (is(nm, nmlen, "TupleType")) {
		if (parse_args(p, &args, &nargs))
			goto exit;
		*out = ty_tuple(p->a, nargs, args);
		rc = 0;
		goto exit;
	}
	if (is(nm, nmlen, "UserType")) {
		rc = parse_udt(p, out);
		goto exit;
	}
	if (is(nm, nmlen, "VectorType")) {
		/* VectorType(<element> , <dimension>) */
		const ty_type *el;
		long d = 0;
		bool any = false;

		if (expect(p, '(') || parse_type(p, &el, &rev) || expect(p, ','))
			goto exit;
		skip_ws(p);
		while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9' && d < (1L << 30)) {
			d = d * 10 + (p->s[p->pos++] - '0');
			any = true;
		}
		if (!any || d <= 0 || d >= (1L << 30)) {
			mfail(p, "invalid vector dimension");
			goto exit;
		}
		if (expect(p, ')'))
			goto exit;
		*out = ty_vector(p->a, ty_with_frozen(p->a, el, true), (int)d);
		rc = 0;
		goto exit;
	}
	/* Everything else (CompositeType, EmptyType, LexicalUUIDType, VectorType,
	 * DynamicCompositeType, user classes) is kept as a custom type named by
	 * its full string, parameters included. */
	if (peek(p, '(') && skip_params(p))
		goto exit;
	*out = ty_custom(p->a, hl_arena_strndup(p->a, p->s + start, p->pos - start));
	rc = 0;
exit:
	p->depth--;
	return rc;
}

int sst_parse_marshal(const char *s, size_t n, hl_arena *a, const ty_type **out, bool *reversed,
		      hl_err *err)
{
	mparse p = { s, n, 0, a, err, 0 };
	bool rev = false;

	if (parse_type(&p, out, &rev))
		return -1;
	skip_ws(&p);
	if (p.pos != p.n)
		return mfail(&p, "trailing characters");
	if (reversed)
		*reversed = rev;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int sst_fixed_width(const ty_type *t)
{
	switch (t->kind) {
	case TY_BOOLEAN:
		return 1;
	case TY_INT:
	case TY_FLOAT:
		return 4;
	case TY_BIGINT:
	case TY_DOUBLE:
	case TY_TIMESTAMP:
		return 8;
	case TY_UUID:
	case TY_TIMEUUID:
		return 16;
	case TY_VECTOR:
		/* a vector of fixed-width elements is written without a length */
		return ty_fixed_width(t);
	case TY_CUSTOM:
		if (!t->custom_class)
			return -1;
		if (ends_with(t->custom_class, "EmptyType"))
			return 0;
		if (ends_with(t->custom_class, "LexicalUUIDType"))
			return 16;
		return -1;
	default:
		return -1;
	}
}
