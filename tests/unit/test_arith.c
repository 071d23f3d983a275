/*
 * Unit tests for CQL arithmetic, CAST and the vector type (types/arith.c,
 * the vector parts of desc.c / value.c / cql.c / json.c): result types,
 * Java's wrapping and division rules, decimal rounding, temporal arithmetic,
 * the conversion table, and the VectorType codec.
 */
#include "types/types.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>

static hl_arena *A;

static const ty_type *T(const char *s)
{
	const ty_type *t = NULL;
	hl_err err;

	hl_err_clear(&err);
	if (ty_parse(s, strlen(s), A, NULL, NULL, "ks", &t, &err)) {
		fprintf(stderr, "parse '%s' failed: %s\n", s, err.msg);
		return NULL;
	}
	return t;
}

/* A literal of type `type` as serialized bytes (into b). */
static void lit(const char *type, ty_lit_kind k, const char *text, hl_buf *b)
{
	ty_lit l = { k, text, strlen(text) };
	hl_err err;

	hl_buf_reset(b);
	hl_err_clear(&err);
	if (ty_from_literal(T(type), &l, "x", b, &err))
		fprintf(stderr, "literal %s '%s': %s\n", type, text, err.msg);
}

/* "lt op rt" on two literals, printed as CQL text of the result (or "ERR: msg"). */
static const char *calc(const char *lt, ty_lit_kind lk, const char *ls, char op, const char *rt,
			ty_lit_kind rk, const char *rs)
{
	static char out[1024];
	hl_buf a, b, r, o;
	hl_err err;
	const ty_type *l = T(lt), *rr = T(rt), *res = ty_arith_result(l, op, rr);

	if (!res)
		return "NO-OP";
	hl_buf_init(&a);
	hl_buf_init(&b);
	hl_buf_init(&r);
	hl_buf_init(&o);
	lit(lt, lk, ls, &a);
	lit(rt, rk, rs, &b);
	hl_err_clear(&err);
	if (ty_arith(op, res, l, a.p, a.len, rr, b.p, b.len, &r, &err))
		snprintf(out, sizeof out, "ERR: %s", err.msg);
	else if (ty_to_cql(res, r.p, r.len, &o))
		snprintf(out, sizeof out, "BAD");
	else
		snprintf(out, sizeof out, "%s:%.*s", ty_name(res, A), (int)o.len, (const char *)o.p);
	hl_buf_free(&a);
	hl_buf_free(&b);
	hl_buf_free(&r);
	hl_buf_free(&o);
	return out;
}

static const char *cast(const char *from, ty_lit_kind k, const char *text, const char *to)
{
	static char out[1024];
	hl_buf a, r, o;
	hl_err err;
	const ty_type *f = T(from), *t = T(to);

	if (!ty_castable(t, f))
		return "NOT CASTABLE";
	hl_buf_init(&a);
	hl_buf_init(&r);
	hl_buf_init(&o);
	lit(from, k, text, &a);
	hl_err_clear(&err);
	if (ty_cast(t, f, a.p, a.len, &r, &err))
		snprintf(out, sizeof out, "ERR: %s", err.msg);
	else if (ty_to_cql(t, r.p, r.len, &o))
		snprintf(out, sizeof out, "BAD");
	else
		snprintf(out, sizeof out, "%.*s", (int)o.len, (const char *)o.p);
	hl_buf_free(&a);
	hl_buf_free(&r);
	hl_buf_free(&o);
	return out;
}

static void test_result_types(void)
{
	CHECK_STR(ty_name(ty_arith_result(T("int"), '+', T("int")), A), "int");
	CHECK_STR(ty_name(ty_arith_result(T("tinyint"), '*', T("smallint")), A), "smallint");
	CHECK_STR(ty_name(ty_arith_result(T("int"), '+', T("bigint")), A), "bigint");
	CHECK_STR(ty_name(ty_arith_result(T("counter"), '+', T("int")), A), "bigint");
	CHECK_STR(ty_name(ty_arith_result(T("int"), '+', T("float")), A), "float");
	CHECK_STR(ty_name(ty_arith_result(T("bigint"), '+', T("float")), A), "double");
	CHECK_STR(ty_name(ty_arith_result(T("int"), '/', T("varint")), A), "varint");
	CHECK_STR(ty_name(ty_arith_result(T("double"), '-', T("varint")), A), "decimal");
	CHECK_STR(ty_name(ty_arith_result(T("timestamp"), '-', T("duration")), A), "timestamp");
	CHECK_STR(ty_name(ty_arith_result(T("date"), '+', T("duration")), A), "date");
	CHECK_STR(ty_name(ty_arith_result(T("ascii"), '+', T("ascii")), A), "ascii");
	CHECK_STR(ty_name(ty_arith_result(T("ascii"), '+', T("text")), A), "text");
	CHECK(ty_arith_result(T("timestamp"), '*', T("duration")) == NULL);
	CHECK(ty_arith_result(T("text"), '-', T("text")) == NULL);
	CHECK(ty_arith_result(T("text"), '+', T("int")) == NULL);
}

static void test_numbers(void)
{
	CHECK_STR(calc("int", TY_LIT_INTEGER, "7", '/', "int", TY_LIT_INTEGER, "2"), "int:3");
	CHECK_STR(calc("int", TY_LIT_INTEGER, "-7", '%', "int", TY_LIT_INTEGER, "2"), "int:-1");
	CHECK_STR(calc("int", TY_LIT_INTEGER, "2147483647", '+', "int", TY_LIT_INTEGER, "1"),
		  "int:-2147483648");
	CHECK_STR(calc("int", TY_LIT_INTEGER, "-2147483648", '/', "int", TY_LIT_INTEGER, "-1"),
		  "int:-2147483648");
	CHECK_STR(calc("bigint", TY_LIT_INTEGER, "-9223372036854775808", '/', "bigint", TY_LIT_INTEGER,
		       "-1"), "bigint:-9223372036854775808");
	CHECK_STR(calc("tinyint", TY_LIT_INTEGER, "100", '+', "tinyint", TY_LIT_INTEGER, "100"),
		  "tinyint:-56");
	CHECK_STR(calc("int", TY_LIT_INTEGER, "1", '/', "int", TY_LIT_INTEGER, "0"),
		  "ERR: the operation 'int / int' failed: / by zero");
	CHECK_STR(calc("bigint", TY_LIT_INTEGER, "1", '%', "int", TY_LIT_INTEGER, "0"),
		  "ERR: the operation 'bigint % int' failed: / by zero");
	CHECK_STR(calc("double", TY_LIT_FLOAT, "1.0", '/', "int", TY_LIT_INTEGER, "0"), "double:Infinity");
	CHECK_STR(calc("float", TY_LIT_FLOAT, "0.1", '+', "float", TY_LIT_FLOAT, "0.2"),
		  "float:0.3");   /* computed in float: 0.1f + 0.2f == 0.3f */
	CHECK_STR(calc("double", TY_LIT_FLOAT, "0.1", '+', "double", TY_LIT_FLOAT, "0.2"),
		  "double:0.30000000000000004");
	CHECK_STR(calc("double", TY_LIT_FLOAT, "5.5", '%', "int", TY_LIT_INTEGER, "2"), "double:1.5");
	CHECK_STR(calc("varint", TY_LIT_INTEGER, "12345678901234567890", '*', "int", TY_LIT_INTEGER, "3"),
		  "varint:37037036703703703670");
	CHECK_STR(calc("varint", TY_LIT_INTEGER, "7", '/', "varint", TY_LIT_INTEGER, "0"),
		  "ERR: the operation 'varint / varint' failed: BigInteger divide by zero");
	CHECK_STR(calc("decimal", TY_LIT_FLOAT, "1.10", '+', "int", TY_LIT_INTEGER, "7"), "decimal:8.10");
	CHECK_STR(calc("decimal", TY_LIT_FLOAT, "1.10", '/', "int", TY_LIT_INTEGER, "3"),
		  "decimal:0.3666666666666666666666666666666667");
	CHECK_STR(calc("decimal", TY_LIT_FLOAT, "10.0", '/', "int", TY_LIT_INTEGER, "4"), "decimal:2.5");
	CHECK_STR(calc("decimal", TY_LIT_INTEGER, "1", '/', "decimal", TY_LIT_INTEGER, "0"),
		  "ERR: the operation 'decimal / decimal' failed: Division by zero");
	CHECK_STR(calc("decimal", TY_LIT_FLOAT, "2.5", '*', "double", TY_LIT_FLOAT, "0.5"), "decimal:1.25");
	CHECK_STR(calc("decimal", TY_LIT_FLOAT, "7.5", '%', "int", TY_LIT_INTEGER, "2"), "decimal:1.5");

	hl_buf a, r;
	hl_err err;
	hl_buf_init(&a);
	hl_buf_init(&r);
	lit("int", TY_LIT_INTEGER, "-2147483648", &a);
	CHECK(ty_negate(T("int"), a.p, a.len, &r, &err) == 0);
	CHECK(r.len == 4 && ty_get_int(r.p, 4) == INT32_MIN);
	hl_buf_free(&a);
	hl_buf_free(&r);
}

static void test_temporal_and_text(void)
{
	CHECK_STR(calc("date", TY_LIT_STRING, "2020-01-31", '+', "duration", TY_LIT_DURATION, "2d"),
		  "date:'2020-02-02'");
	CHECK_STR(calc("date", TY_LIT_STRING, "2020-03-31", '-', "duration", TY_LIT_DURATION, "1mo"),
		  "date:'2020-02-29'");
	CHECK_STR(calc("timestamp", TY_LIT_INTEGER, "1000", '-', "duration", TY_LIT_DURATION, "1s"),
		  "timestamp:'1970-01-01 00:00:00.000000+0000'");
	CHECK_STR(calc("date", TY_LIT_STRING, "2020-01-31", '+', "duration", TY_LIT_DURATION, "1h"),
		  "ERR: the operation 'date + duration' failed: The duration must have a day precision. "
		  "Was: 1h");
	CHECK_STR(calc("timestamp", TY_LIT_INTEGER, "0", '+', "duration", TY_LIT_DURATION, "1us"),
		  "ERR: the operation 'timestamp + duration' failed: The duration must have a millisecond "
		  "precision. Was: 1us");
	CHECK_STR(calc("text", TY_LIT_STRING, "ab", '+', "ascii", TY_LIT_STRING, "cd"), "text:'abcd'");
}

static void test_cast(void)
{
	CHECK_STR(cast("int", TY_LIT_INTEGER, "7", "text"), "'7'");
	CHECK_STR(cast("double", TY_LIT_FLOAT, "2.25", "text"), "'2.25'");
	CHECK_STR(cast("double", TY_LIT_FLOAT, "1e20", "ascii"), "'1.0E20'");
	CHECK_STR(cast("double", TY_LIT_FLOAT, "3.9", "int"), "3");
	CHECK_STR(cast("double", TY_LIT_FLOAT, "1e20", "int"), "2147483647");
	CHECK_STR(cast("double", TY_LIT_FLOAT, "NaN", "bigint"), "0");
	CHECK_STR(cast("bigint", TY_LIT_INTEGER, "10000000000", "tinyint"), "0");
	CHECK_STR(cast("int", TY_LIT_INTEGER, "300", "tinyint"), "44");
	CHECK_STR(cast("float", TY_LIT_FLOAT, "1.5", "decimal"), "1.5");
	CHECK_STR(cast("decimal", TY_LIT_FLOAT, "-7.9", "int"), "-7");
	CHECK_STR(cast("varint", TY_LIT_INTEGER, "12345678901234567890", "double"), "1.2345678901234567e+19");
	CHECK_STR(cast("timestamp", TY_LIT_STRING, "2020-01-31 10:00:00+0000", "date"), "'2020-01-31'");
	CHECK_STR(cast("date", TY_LIT_STRING, "2020-01-31", "timestamp"), "'2020-01-31 00:00:00.000000+0000'");
	CHECK_STR(cast("timestamp", TY_LIT_INTEGER, "0", "text"), "'1970-01-01T00:00:00.000Z'");
	CHECK_STR(cast("boolean", TY_LIT_BOOLEAN, "true", "text"), "'true'");
	CHECK_STR(cast("text", TY_LIT_STRING, "1", "int"), "NOT CASTABLE");
	CHECK_STR(cast("blob", TY_LIT_HEX, "0x01", "text"), "NOT CASTABLE");
	CHECK_STR(cast("int", TY_LIT_INTEGER, "1", "counter"), "NOT CASTABLE");
}

static void test_vector(void)
{
	int code = 0;
	const ty_type *v = T("vector<float, 3>"), *vt = T("vector<text, 2>");
	hl_buf b, o;
	hl_err err;

	CHECK(v && v->kind == TY_VECTOR && v->dim == 3);
	CHECK_STR(ty_name(v, A), "vector<float, 3>");
	CHECK_STR(ty_name(T("vector<frozen<list<int>>, 2>"), A), "vector<frozen<list<int>>, 2>");
	CHECK(ty_fixed_width(v) == 12 && ty_fixed_width(vt) == -1);
	{
		const ty_type *t = NULL;
		hl_err_clear(&err);
		CHECK(ty_parse("vector<float, 0>", 16, A, NULL, NULL, NULL, &t, &err) < 0);
		CHECK_STR(err.msg, "vectors may only have positive dimensions; given 0");
		code = err.code;
		CHECK(code == HL_ERR_INVALID);
	}
	hl_buf_init(&b);
	hl_buf_init(&o);
	ty_marshal_name(v, &b);
	CHECK(b.len == strlen("org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal."
			      "FloatType , 3)"));
	CHECK(memcmp(b.p, "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal."
			  "FloatType , 3)", b.len) == 0);
	/* protocol [option]: custom + that class name */
	hl_buf_reset(&b);
	ty_encode_option(v, &b);
	CHECK(b.len > 4 && b.p[0] == 0 && b.p[1] == 0);
	/* fixed-width: 12 bytes, no framing */
	static const uint8_t fv[12] = { 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0x40, 0, 0 };
	CHECK(ty_validate(v, fv, 12, &err) == 0);
	CHECK(ty_validate(v, fv, 8, &err) < 0);
	CHECK_STR(err.msg, "Not enough bytes to read a vector<float, 3>");
	static const uint8_t fv16[16] = { 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0x40, 0, 0, 1, 2, 3, 4 };
	CHECK(ty_validate(v, fv16, 16, &err) < 0);
	CHECK_STR(err.msg, "Unexpected 4 extraneous bytes after vector<float, 3> value");
	CHECK(ty_validate(v, fv, 0, &err) < 0);
	CHECK_STR(err.msg, "Invalid empty vector value");
	CHECK(ty_to_cql(v, fv, 12, &o) == 0);
	CHECK(o.len == 9 && memcmp(o.p, "[1, 2, 3]", 9) == 0);
	hl_buf_reset(&o);
	CHECK(ty_to_json(v, fv, 12, &o) == 0);
	CHECK(o.len == 15 && memcmp(o.p, "[1.0, 2.0, 3.0]", 15) == 0);
	/* variable-width: unsigned vint length before each element */
	static const uint8_t tv[6] = { 1, 'a', 3, 'b', 'c', 'd' };
	CHECK(ty_validate(vt, tv, 6, &err) == 0);
	CHECK(ty_validate(vt, tv, 5, &err) < 0);
	CHECK(ty_validate(vt, tv, 2, &err) < 0);
	CHECK_STR(err.msg, "Not enough bytes to read a vector<text, 2>");
	hl_buf_reset(&o);
	CHECK(ty_to_cql(vt, tv, 6, &o) == 0);
	CHECK(o.len == 12 && memcmp(o.p, "['a', 'bcd']", 12) == 0);
	hl_buf_reset(&b);
	ty_vector_put_elem(vt, (const uint8_t *)"a", 1, &b);
	ty_vector_put_elem(vt, (const uint8_t *)"bcd", 3, &b);
	CHECK(b.len == 6 && memcmp(b.p, tv, 6) == 0);
	/* JSON in */
	hl_buf_reset(&b);
	CHECK(ty_from_json(v, "[1, 2.0, 3]", 11, &b, &err) == 0);
	CHECK(b.len == 12 && memcmp(b.p, fv, 12) == 0);
	CHECK(ty_from_json(v, "[1, 2]", 6, &b, &err) == -1);
	CHECK_STR(err.msg, "List had incorrect size: expected 3 but given 2");
	/* order: element-wise */
	static const uint8_t fw[12] = { 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0x80, 0, 0 };
	CHECK(ty_compare(v, fv, 12, fw, 12) < 0 && ty_compare(v, fw, 12, fv, 12) > 0);
	CHECK(ty_compare(vt, tv, 6, tv, 6) == 0);
	hl_buf_free(&b);
	hl_buf_free(&o);
}

/* Hostile vector bytes must be rejected or printed without reading past the end. */
static void test_vector_random(void)
{
	const ty_type *types[] = { T("vector<text, 3>"), T("vector<float, 2>"), T("vector<varint, 2>") };
	uint8_t buf[32];
	hl_err err;
	unsigned seed = 7;

	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(rand_r(&seed) % 32);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		const ty_type *t = types[it % 3];
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, buf, n);
		hl_buf o;
		hl_buf_init(&o);
		(void)ty_validate(t, p, n, &err);
		(void)ty_to_cql(t, p, n, &o);
		(void)ty_to_json(t, p, n, &o);
		(void)ty_compare(t, p, n, buf, n);
		hl_buf_free(&o);
		free(p);
	}
	CHECK(1);
}

int main(void)
{
	A = hl_arena_new(1 << 16);
	test_result_types();
	test_numbers();
	test_temporal_and_text();
	test_cast();
	test_vector();
	test_vector_random();
	hl_arena_free(A);
	return T_DONE();
}
