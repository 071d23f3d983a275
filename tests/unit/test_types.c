/*
 * Unit tests for the types module: type-name parsing and printing, [option]
 * codec, literal conversion round trips, validation, and sort orders.
 */
#include "types/types.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>

static hl_arena *A;
static const ty_type *addr_udt;

static const ty_type *resolve(void *ctx, const char *ks, const char *name)
{
	(void)ctx;
	if (ks && strcmp(ks, "ks") == 0 && strcmp(name, "address") == 0)
		return addr_udt;
	return NULL;
}

static const ty_type *T(const char *s)
{
	const ty_type *t = NULL;
	hl_err err;

	hl_err_clear(&err);
	if (ty_parse(s, strlen(s), A, resolve, NULL, "ks", &t, &err)) {
		fprintf(stderr, "parse '%s' failed: %s\n", s, err.msg);
		return NULL;
	}
	return t;
}

static const char *fmt(const char *s)
{
	const ty_type *t = T(s);

	return t ? ty_name(t, A) : "(error)";
}

static const char *parse_err(const char *s, int *code)
{
	const ty_type *t = NULL;
	static hl_err err;

	hl_err_clear(&err);
	if (ty_parse(s, strlen(s), A, resolve, NULL, "ks", &t, &err) == 0)
		return "(ok)";
	*code = err.code;
	return err.msg;
}

/* literal -> bytes -> CQL text; "ERR: message" on failure. */
static const char *conv(const char *type, ty_lit_kind k, const char *text)
{
	const ty_type *t = T(type);
	ty_lit lit = { k, text, strlen(text) };
	hl_buf b, o;
	hl_err err;
	const char *res;

	hl_err_clear(&err);
	hl_buf_init(&b);
	hl_buf_init(&o);
	if (!t)
		res = "ERR: type";
	else if (ty_from_literal(t, &lit, "c", &b, &err))
		res = hl_arena_printf(A, "ERR: %s", err.msg);
	else if (ty_validate(t, b.p, b.len, &err))
		res = hl_arena_printf(A, "INVALID: %s", err.msg);
	else if (ty_to_cql(t, b.p, b.len, &o))
		res = "ERR: to_cql";
	else
		res = hl_arena_strndup(A, o.len ? (const char *)o.p : "", o.len);
	hl_buf_free(&b);
	hl_buf_free(&o);
	return res;
}

/* literal -> serialized bytes as hex */
static const char *bytes_of(const char *type, ty_lit_kind k, const char *text)
{
	const ty_type *t = T(type);
	ty_lit lit = { k, text, strlen(text) };
	hl_buf b;
	hl_err err;
	char *s;
	size_t i;

	hl_buf_init(&b);
	if (ty_from_literal(t, &lit, "c", &b, &err)) {
		hl_buf_free(&b);
		return "ERR";
	}
	s = hl_arena_alloc(A, b.len * 2 + 1);
	for (i = 0; i < b.len; i++)
		sprintf(s + 2 * i, "%02x", b.p[i]);
	s[2 * b.len] = 0;
	hl_buf_free(&b);
	return s;
}

static void test_parse_format(void)
{
	int code = 0;

	CHECK_STR(fmt("int"), "int");
	CHECK_STR(fmt("VARCHAR"), "text");
	CHECK_STR(fmt("  Text "), "text");
	CHECK_STR(fmt("timeuuid"), "timeuuid");
	CHECK_STR(fmt(" map < text , int > "), "map<text, int>");
	CHECK_STR(fmt("list<int>"), "list<int>");
	CHECK_STR(fmt("FROZEN<Map<text,int>>"), "frozen<map<text, int>>");
	CHECK_STR(fmt("map<text, frozen<list<int>>>"), "map<text, frozen<list<int>>>");
	CHECK_STR(fmt("frozen<map<frozen<set<uuid>>, frozen<list<frozen<map<int, blob>>>>>>"),
		  "frozen<map<frozen<set<uuid>>, frozen<list<frozen<map<int, blob>>>>>>");
	CHECK_STR(fmt("tuple<int, text>"), "frozen<tuple<int, text>>");
	CHECK_STR(fmt("frozen<tuple<int,list<text>>>"), "frozen<tuple<int, frozen<list<text>>>>");
	CHECK_STR(fmt("list<frozen<tuple<int, varchar>>>"), "list<frozen<tuple<int, text>>>");
	CHECK_STR(fmt("address"), "address");
	CHECK_STR(fmt("frozen<address>"), "frozen<address>");
	CHECK_STR(fmt("list<frozen<ks.address>>"), "list<frozen<address>>");
	CHECK_STR(fmt("'org.apache.cassandra.db.marshal.DynamicCompositeType'"),
		  "'org.apache.cassandra.db.marshal.DynamicCompositeType'");
	CHECK(T("frozen<address>")->frozen);
	CHECK(!T("address")->frozen);
	CHECK(ty_equal(T("varchar"), ty_simple(TY_TEXT)));
	CHECK(!ty_equal(T("list<int>"), T("frozen<list<int>>")));
	CHECK(ty_equal(T("map<text,int>"), T("map<varchar, int>")));

	CHECK_STR(parse_err("foo", &code), "Unknown type ks.foo");
	CHECK_EQ_I64(code, HL_ERR_INVALID);
	CHECK_STR(parse_err("other.address", &code), "Unknown type other.address");
	CHECK(strcmp(parse_err("list<int", &code), "(ok)") != 0);
	CHECK_EQ_I64(code, HL_ERR_SYNTAX);
	CHECK(strcmp(parse_err("int int", &code), "(ok)") != 0);
	CHECK(strcmp(parse_err("", &code), "(ok)") != 0);
	CHECK(strcmp(parse_err("map<int>", &code), "(ok)") != 0);
	CHECK_STR(parse_err("list<list<int>>", &code),
		  "Non-frozen collections are not allowed inside collections: list<list<int>>");
	CHECK_STR(parse_err("list<counter>", &code), "Counters are not allowed inside collections: list<counter>");
	CHECK_STR(parse_err("set<duration>", &code), "Durations are not allowed inside sets: set<duration>");
	CHECK_STR(parse_err("map<duration, int>", &code),
		  "Durations are not allowed as map keys: map<duration, int>");
	CHECK_STR(parse_err("list<address>", &code),
		  "Non-frozen UDTs are not allowed inside collections: list<address>");
	CHECK_STR(parse_err("frozen<int>", &code),
		  "frozen<> is only allowed on collections, tuples, and user-defined types (got int)");
	CHECK_STR(parse_err("tuple<counter>", &code), "Counters are not allowed inside tuples");
	/* deep nesting is refused, not a stack overflow */
	{
		hl_buf b;
		int i;

		hl_buf_init(&b);
		for (i = 0; i < 200; i++)
			hl_buf_str(&b, "frozen<list<");
		hl_buf_str(&b, "int");
		for (i = 0; i < 400; i++)
			hl_buf_u8(&b, '>');
		hl_buf_u8(&b, 0);
		CHECK(strcmp(parse_err((const char *)b.p, &code), "(ok)") != 0);
		hl_buf_free(&b);
	}
}

static void test_options(void)
{
	static const char *types[] = {
		"int", "text", "ascii", "varint", "duration", "list<int>", "set<timeuuid>",
		"map<text, frozen<list<int>>>", "frozen<tuple<int, text, frozen<map<int, uuid>>>>",
		"'com.example.Foo'",
	};
	size_t i;
	hl_buf b;
	hl_rd r;
	hl_err err;
	const ty_type *t;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		hl_buf_init(&b);
		ty_encode_option(T(types[i]), &b);
		hl_rd_init(&r, b.p, b.len);
		CHECK(ty_decode_option(&r, A, &t, &err) == 0);
		CHECK_EQ_I64(hl_rd_left(&r), 0);
		/* the protocol has no frozen flag: only the top level's is lost */
		CHECK_STR(ty_name(ty_with_frozen(A, t, T(types[i])->frozen), A),
			  ty_name(T(types[i]), A));
		/* every truncation is an error, never a crash */
		{
			size_t cut;

			for (cut = 0; cut < b.len; cut++) {
				hl_rd_init(&r, b.p, cut);
				CHECK(ty_decode_option(&r, A, &t, &err) == -1);
			}
		}
		hl_buf_free(&b);
	}
	hl_buf_init(&b);
	ty_encode_option(T("map<text, int>"), &b);
	CHECK_EQ_I64(b.len, 6);
	CHECK(memcmp(b.p, "\x00\x21\x00\x0d\x00\x09", 6) == 0);
	hl_buf_free(&b);

	hl_buf_init(&b);
	ty_encode_option(addr_udt, &b);
	hl_rd_init(&r, b.p, b.len);
	CHECK(ty_decode_option(&r, A, &t, &err) == 0);
	CHECK(ty_equal(t, addr_udt));
	CHECK_STR(t->udt_ks, "ks");
	CHECK_STR(t->field_names[1], "zip");
	CHECK_EQ_I64(b.p[1], 0x30);
	hl_buf_free(&b);

	hl_rd_init(&r, "\x00\x44", 2);
	CHECK(ty_decode_option(&r, A, &t, &err) == -1);
	CHECK_EQ_I64(err.code, HL_ERR_PROTOCOL);
}

static void test_literals(void)
{
	/* integers */
	CHECK_STR(conv("int", TY_LIT_INTEGER, "2147483647"), "2147483647");
	CHECK_STR(conv("int", TY_LIT_INTEGER, "-2147483648"), "-2147483648");
	CHECK_STR(conv("int", TY_LIT_INTEGER, "2147483648"), "ERR: Unable to make int from '2147483648'");
	CHECK_STR(conv("int", TY_LIT_STRING, "abc"), "ERR: Invalid STRING constant (abc) for \"c\" of type int");
	CHECK_STR(conv("int", TY_LIT_FLOAT, "1.5"), "ERR: Invalid FLOAT constant (1.5) for \"c\" of type int");
	CHECK_STR(conv("bigint", TY_LIT_INTEGER, "-9223372036854775808"), "-9223372036854775808");
	CHECK_STR(conv("bigint", TY_LIT_INTEGER, "9223372036854775807"), "9223372036854775807");
	CHECK_STR(conv("bigint", TY_LIT_INTEGER, "9223372036854775808"),
		  "ERR: Unable to make long from '9223372036854775808'");
	CHECK_STR(conv("counter", TY_LIT_INTEGER, "-5"), "-5");
	CHECK_STR(conv("smallint", TY_LIT_INTEGER, "-32768"), "-32768");
	CHECK_STR(conv("smallint", TY_LIT_INTEGER, "32768"), "ERR: Unable to make short from '32768'");
	CHECK_STR(conv("tinyint", TY_LIT_INTEGER, "-128"), "-128");
	CHECK_STR(conv("tinyint", TY_LIT_INTEGER, "128"), "ERR: Unable to make byte from '128'");
	CHECK_STR(conv("varint", TY_LIT_INTEGER, "0"), "0");
	CHECK_STR(conv("varint", TY_LIT_INTEGER, "-1"), "-1");
	CHECK_STR(conv("varint", TY_LIT_INTEGER, "123456789012345678901234567890123456789"),
		  "123456789012345678901234567890123456789");
	CHECK_STR(conv("varint", TY_LIT_INTEGER, "-340282366920938463463374607431768211456"),
		  "-340282366920938463463374607431768211456");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "0"), "00");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "127"), "7f");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "128"), "0080");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "-128"), "80");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "-129"), "ff7f");
	CHECK_STR(bytes_of("varint", TY_LIT_INTEGER, "256"), "0100");
	CHECK_STR(bytes_of("int", TY_LIT_INTEGER, "-2"), "fffffffe");
	/* floating point */
	CHECK_STR(conv("double", TY_LIT_FLOAT, "1.5"), "1.5");
	CHECK_STR(conv("double", TY_LIT_INTEGER, "3"), "3");
	CHECK_STR(conv("double", TY_LIT_FLOAT, "0.1"), "0.1");
	CHECK_STR(conv("double", TY_LIT_FLOAT, "NaN"), "NaN");
	CHECK_STR(conv("double", TY_LIT_FLOAT, "-Infinity"), "-Infinity");
	CHECK_STR(conv("double", TY_LIT_FLOAT, "1.7976931348623157E308"), "1.7976931348623157e+308");
	CHECK_STR(conv("float", TY_LIT_FLOAT, "3.4028235e38"), "3.4028235e+38");
	CHECK_STR(conv("float", TY_LIT_FLOAT, "0.1"), "0.1");
	CHECK_STR(conv("float", TY_LIT_FLOAT, "Infinity"), "Infinity");
	CHECK_STR(conv("float", TY_LIT_FLOAT, "1e"), "ERR: Unable to make float from '1e'");
	CHECK_STR(bytes_of("float", TY_LIT_FLOAT, "1.0"), "3f800000");
	/* decimal */
	CHECK_STR(conv("decimal", TY_LIT_FLOAT, "-123.4500"), "-123.4500");
	CHECK_STR(conv("decimal", TY_LIT_FLOAT, "0.001"), "0.001");
	CHECK_STR(conv("decimal", TY_LIT_FLOAT, "1e3"), "1000");
	CHECK_STR(conv("decimal", TY_LIT_FLOAT, "1.5E-7"), "0.00000015");
	CHECK_STR(conv("decimal", TY_LIT_INTEGER, "-98765432109876543210"), "-98765432109876543210");
	CHECK_STR(conv("decimal", TY_LIT_FLOAT, "NaN"), "ERR: unable to make BigDecimal from 'NaN'");
	CHECK_STR(bytes_of("decimal", TY_LIT_FLOAT, "-1.5"), "00000001f1");
	/* strings */
	CHECK_STR(conv("text", TY_LIT_STRING, "it's"), "'it''s'");
	CHECK_STR(conv("text", TY_LIT_STRING, ""), "''");
	CHECK_STR(conv("varchar", TY_LIT_STRING, "h\xc3\xa9"), "'h\xc3\xa9'");
	CHECK_STR(conv("ascii", TY_LIT_STRING, "abc"), "'abc'");
	CHECK(strncmp(conv("ascii", TY_LIT_STRING, "h\xc3\xa9"), "ERR: Invalid ASCII character in string literal",
		      46) == 0);
	CHECK_STR(conv("text", TY_LIT_INTEGER, "1"), "ERR: Invalid INTEGER constant (1) for \"c\" of type text");
	/* booleans, blobs, uuids */
	CHECK_STR(conv("boolean", TY_LIT_BOOLEAN, "TRUE"), "true");
	CHECK_STR(conv("boolean", TY_LIT_BOOLEAN, "false"), "false");
	CHECK_STR(conv("boolean", TY_LIT_STRING, "true"),
		  "ERR: Invalid STRING constant (true) for \"c\" of type boolean");
	CHECK_STR(conv("blob", TY_LIT_HEX, "0xCAFEbabe"), "0xcafebabe");
	CHECK_STR(conv("blob", TY_LIT_HEX, "0x"), "0x");
	CHECK_STR(conv("blob", TY_LIT_HEX, "0xabc"), "0x0abc");
	CHECK_STR(conv("blob", TY_LIT_STRING, "ab"), "ERR: Invalid STRING constant (ab) for \"c\" of type blob");
	CHECK_STR(conv("uuid", TY_LIT_UUID, "550E8400-e29b-41d4-a716-446655440000"),
		  "550e8400-e29b-41d4-a716-446655440000");
	CHECK_STR(conv("timeuuid", TY_LIT_UUID, "d2177dd0-eaa2-11de-a572-001b779c76e3"),
		  "d2177dd0-eaa2-11de-a572-001b779c76e3");
	CHECK_STR(conv("timeuuid", TY_LIT_UUID, "550e8400-e29b-41d4-a716-446655440000"),
		  "ERR: TimeUUID supports only version 1 UUIDs");
	CHECK_STR(conv("inet", TY_LIT_STRING, "127.0.0.1"), "'127.0.0.1'");
	CHECK_STR(conv("inet", TY_LIT_STRING, "::1"), "'::1'");
	CHECK_STR(conv("inet", TY_LIT_STRING, "2001:db8::ff00:42:8329"), "'2001:db8::ff00:42:8329'");
	CHECK_STR(conv("inet", TY_LIT_STRING, "localhost"), "ERR: Unable to make inet address from 'localhost'");
	/* timestamps */
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03"), "'2011-02-03 00:00:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03 04:05"), "'2011-02-03 04:05:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03 04:05:06"), "'2011-02-03 04:05:06.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03T04:05:00.123+0000"),
		  "'2011-02-03 04:05:00.123000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03T04:05:00Z"), "'2011-02-03 04:05:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03 04:05:00+01:30"),
		  "'2011-02-03 02:35:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-03 04:05:00-0800"),
		  "'2011-02-03 12:05:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "1969-12-31 23:59:59.999"), "'1969-12-31 23:59:59.999000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "1900-03-01 00:00:00.000000+0000"),
		  "'1900-03-01 00:00:00.000000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_INTEGER, "-1"), "'1969-12-31 23:59:59.999000+0000'");
	CHECK_STR(conv("timestamp", TY_LIT_INTEGER, "1296705900000"), "'2011-02-03 04:05:00.000000+0000'");
	CHECK_STR(bytes_of("timestamp", TY_LIT_STRING, "1970-01-01 00:00:01+0000"), "00000000000003e8");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "2011-02-30"), "ERR: Unable to parse a date/time from '2011-02-30'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, "yesterday"), "ERR: Unable to parse a date/time from 'yesterday'");
	CHECK_STR(conv("timestamp", TY_LIT_STRING, ""), "");
	/* dates */
	CHECK_STR(conv("date", TY_LIT_STRING, "2011-02-03"), "'2011-02-03'");
	CHECK_STR(conv("date", TY_LIT_STRING, "1970-01-01"), "'1970-01-01'");
	CHECK_STR(conv("date", TY_LIT_STRING, "1600-02-29"), "'1600-02-29'");
	CHECK_STR(conv("date", TY_LIT_STRING, "-0001-12-31"), "'-0001-12-31'");
	CHECK_STR(bytes_of("date", TY_LIT_STRING, "1970-01-01"), "80000000");
	CHECK_STR(bytes_of("date", TY_LIT_STRING, "1969-12-31"), "7fffffff");
	CHECK_STR(conv("date", TY_LIT_INTEGER, "2147483648"), "'1970-01-01'");
	CHECK_STR(conv("date", TY_LIT_INTEGER, "4294967296"),
		  "ERR: Unable to make unsigned int (for date) from: '4294967296'");
	CHECK_STR(conv("date", TY_LIT_STRING, "2011-13-01"),
		  "ERR: Unable to coerce '2011-13-01' to a formatted date (long)");
	/* times */
	CHECK_STR(conv("time", TY_LIT_STRING, "08:12:54"), "'08:12:54.000000000'");
	CHECK_STR(conv("time", TY_LIT_STRING, "08:12:54.123456789"), "'08:12:54.123456789'");
	CHECK_STR(conv("time", TY_LIT_STRING, "23:59:59.1"), "'23:59:59.100000000'");
	CHECK_STR(conv("time", TY_LIT_INTEGER, "86399999999999"), "'23:59:59.999999999'");
	CHECK_STR(conv("time", TY_LIT_INTEGER, "86400000000000"),
		  "ERR: Unable to make long (for time) from: '86400000000000'");
	CHECK_STR(conv("time", TY_LIT_STRING, "24:00:00"),
		  "ERR: (TimeType) Unable to coerce '24:00:00' to a formatted time (long)");
	/* durations */
	CHECK_STR(conv("duration", TY_LIT_DURATION, "1h30m"), "1h30m");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "12mo3d"), "1y3d");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "-2w"), "-14d");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "1y2mo3d4h5m6s7ms8us9ns"), "1y2mo3d4h5m6s7ms8us9ns");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "5\xc2\xb5s"), "5us");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "P1DT2H"), "1d2h");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "P1Y2M3DT4H5M6S"), "1y2mo3d4h5m6s");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "P2W"), "14d");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "P0001-02-03T04:05:06"), "1y2mo3d4h5m6s");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "0s"), "0s");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "1h1h"),
		  "ERR: Invalid duration. The hours are specified multiple times");
	CHECK_STR(conv("duration", TY_LIT_DURATION, "1m1h"), "ERR: Invalid duration. The minutes should be after hours");
	CHECK_STR(conv("duration", TY_LIT_INTEGER, "5"), "ERR: Unable to convert '5' to a duration");
	CHECK_STR(bytes_of("duration", TY_LIT_DURATION, "1mo2d3ns"), "020406");
	/* null */
	CHECK_STR(conv("counter", TY_LIT_NULL, "null"), "ERR: Invalid null value for counter increment/decrement");
	CHECK_STR(conv("list<int>", TY_LIT_INTEGER, "1"),
		  "ERR: Invalid INTEGER constant (1) for \"c\" of type list<int>");
}

static void test_from_string(void)
{
	hl_buf b;
	hl_err err;

	hl_buf_init(&b);
	CHECK(ty_from_string(ty_simple(TY_INT), "42", 2, &b, &err) == 0);
	CHECK_EQ_I64(ty_get_int(b.p, b.len), 42);
	hl_buf_reset(&b);
	CHECK(ty_from_string(ty_simple(TY_INT), "", 0, &b, &err) == 0);
	CHECK_EQ_I64(b.len, 0);
	CHECK(ty_from_string(ty_simple(TY_BLOB), "cafe", 4, &b, &err) == 0);
	CHECK_EQ_I64(b.len, 2);
	hl_buf_reset(&b);
	CHECK(ty_from_string(ty_simple(TY_BLOB), "zz", 2, &b, &err) == -1);
	CHECK_STR(err.msg, "cannot parse 'zz' as hex bytes");
	CHECK_EQ_I64(b.len, 0);
	CHECK(ty_from_string(ty_simple(TY_BOOLEAN), "True", 4, &b, &err) == 0);
	CHECK(ty_get_bool(b.p, b.len));
	hl_buf_reset(&b);
	CHECK(ty_from_string(ty_simple(TY_BIGINT), "-7", 2, &b, &err) == 0);
	CHECK_EQ_I64(ty_get_bigint(b.p, b.len), -7);
	hl_buf_free(&b);
}

static const char *validate_msg(const char *type, const char *bytes, size_t n)
{
	static hl_err err;

	hl_err_clear(&err);
	if (ty_validate(T(type), (const uint8_t *)bytes, n, &err) == 0)
		return "(ok)";
	return err.msg;
}

static void test_validate(void)
{
	CHECK_STR(validate_msg("int", "\1\2\3", 3), "Expected 4 or 0 byte int (3)");
	CHECK_STR(validate_msg("int", "", 0), "(ok)");
	CHECK_STR(validate_msg("bigint", "\1\2\3", 3), "Expected 8 or 0 byte long (3)");
	CHECK_STR(validate_msg("timestamp", "\1", 1), "Expected 8 or 0 byte long for date (1)");
	CHECK_STR(validate_msg("smallint", "", 0), "Expected 2 bytes for a smallint (0)");
	CHECK_STR(validate_msg("tinyint", "\1\2", 2), "Expected 1 byte for a tinyint (2)");
	CHECK_STR(validate_msg("float", "\1", 1), "Expected 4 or 0 byte value for a float (1)");
	CHECK_STR(validate_msg("double", "\1", 1), "Expected 8 or 0 byte value for a double (1)");
	CHECK_STR(validate_msg("boolean", "\1\1", 2), "Expected 1 or 0 byte value (2)");
	CHECK_STR(validate_msg("uuid", "\1", 1), "UUID should be 16 or 0 bytes (1)");
	CHECK_STR(validate_msg("timeuuid", "0123456789abcdef", 16), "Invalid version for TimeUUID type.");
	CHECK_STR(validate_msg("timeuuid", "012345\x10\x37" "89abcdef", 16), "(ok)");
	CHECK_STR(validate_msg("inet", "\1\2\3\4\5", 5), "Expected 4 or 16 byte inetaddress; got 5 bytes");
	CHECK_STR(validate_msg("date", "", 0), "Expected 4 byte long for date (0)");
	CHECK_STR(validate_msg("time", "\0\0\0\0\0\0\0", 7), "Expected 8 byte long for time (7)");
	CHECK(strcmp(validate_msg("time", "\xff\xff\xff\xff\xff\xff\xff\xff", 8), "(ok)") != 0);
	CHECK(strcmp(validate_msg("time", "\x00\x00\x4e\x94\x91\x4e\xff\xff", 8), "(ok)") == 0);
	CHECK(strcmp(validate_msg("time", "\x00\x00\x4e\x94\x91\x4f\x00\x00", 8), "(ok)") != 0);
	CHECK_STR(validate_msg("decimal", "\0\0\1", 3), "Expected 0 or at least 4 bytes (3)");
	CHECK_STR(validate_msg("varint", "", 0), "(ok)");
	CHECK_STR(validate_msg("text", "\xc3\x28", 2), "String didn't validate.");
	CHECK_STR(validate_msg("text", "\xc3\xa9", 2), "(ok)");
	CHECK_STR(validate_msg("ascii", "a\xc3", 2), "Invalid byte for ascii: -61");
	CHECK_STR(validate_msg("duration", "\2\4", 2), "Expected at least 3 bytes for a duration (2)");
	CHECK_STR(validate_msg("duration", "\2\3\6", 3),
		  "The duration months, days and nanoseconds must be all of the same sign (1, -2, 3)");
	CHECK_STR(validate_msg("duration", "\xff\xff\x00", 3), "Not enough bytes to read a duration");
	/* collections */
	CHECK_STR(validate_msg("list<int>", "\0\0\0\1\0\0\0\4\0\0\0\7", 12), "(ok)");
	CHECK_STR(validate_msg("list<int>", "\0\0\0\2\0\0\0\4\0\0\0\7", 12), "Not enough bytes to read a list");
	CHECK_STR(validate_msg("list<int>", "\0\0\0\1\0\0\0\3\0\0\7", 11), "Expected 4 or 0 byte int (3)");
	CHECK_STR(validate_msg("list<int>", "\0\0\0\0\1", 5), "Unexpected extraneous bytes after list value");
	CHECK_STR(validate_msg("set<int>", "\0\0", 2), "Not enough bytes to read a set");
	CHECK_STR(validate_msg("map<int, text>", "\0\0\0\1\0\0\0\4\0\0\0\7\0\0\0\1\xff", 17),
		  "String didn't validate.");
	CHECK_STR(validate_msg("map<int, text>", "\0\0\0\1\0\0\0\4\0\0\0\7\xff\xff\xff\xff", 16),
		  "null is not supported inside collections");
	CHECK_STR(validate_msg("list<int>", "\0\0\0\1\x7f\xff\xff\xff", 8), "Not enough bytes to read a list");
	CHECK_STR(validate_msg("list<int>", "\xff\xff\xff\xff", 4), "The data cannot be deserialized as a list");
	/* tuples: fewer fields are fine, more are not */
	CHECK_STR(validate_msg("tuple<int, text>", "", 0), "(ok)");
	CHECK_STR(validate_msg("tuple<int, text>", "\0\0\0\4\0\0\0\1", 8), "(ok)");
	CHECK_STR(validate_msg("tuple<int, text>", "\xff\xff\xff\xff\0\0\0\1a", 9), "(ok)");
	CHECK_STR(validate_msg("tuple<int, text>", "\0\0", 2), "Not enough bytes to read size of 0th component");
	CHECK_STR(validate_msg("tuple<int, text>", "\0\0\0\4\0\0\0\1\0\0\0\5a", 13),
		  "Not enough bytes to read 1th component");
	CHECK_STR(validate_msg("tuple<int>", "\0\0\0\4\0\0\0\1\0\0\0\0", 12),
		  "Invalid remaining data after end of tuple value");
	CHECK_STR(validate_msg("frozen<address>", "\0\0\0\1a\0\0\0\4\0\0\0\1\0", 14),
		  "Invalid remaining data after end of UDT value");
}

/* Each list is in ascending order; check every pair both ways. */
static void check_order(const char *type, ty_lit_kind k, const char **lits, int n)
{
	const ty_type *t = T(type);
	hl_buf v[16];
	hl_err err;
	int i, j;

	for (i = 0; i < n; i++) {
		ty_lit lit = { k, lits[i], strlen(lits[i]) };

		hl_buf_init(&v[i]);
		if (ty_from_literal(t, &lit, "c", &v[i], &err)) {
			fprintf(stderr, "order %s: %s: %s\n", type, lits[i], err.msg);
			CHECK(0);
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			int c = ty_compare(t, v[i].p, v[i].len, v[j].p, v[j].len);
			int want = i < j ? -1 : i > j ? 1 : 0;

			if ((c < 0 ? -1 : c > 0) != want) {
				fprintf(stderr, "order %s: compare(%s, %s) = %d\n", type, lits[i], lits[j], c);
				CHECK(0);
			} else {
				CHECK(1);
			}
		}
	for (i = 0; i < n; i++)
		hl_buf_free(&v[i]);
}

#define ORDER(type, kind, ...) do { \
	static const char *l_[] = { __VA_ARGS__ }; \
	check_order(type, kind, l_, (int)(sizeof l_ / sizeof l_[0])); \
} while (0)

static void test_compare(void)
{
	ORDER("int", TY_LIT_INTEGER, "-2147483648", "-1", "0", "1", "2147483647");
	ORDER("bigint", TY_LIT_INTEGER, "-9223372036854775808", "-256", "-1", "0", "255", "9223372036854775807");
	ORDER("smallint", TY_LIT_INTEGER, "-32768", "-1", "0", "32767");
	ORDER("tinyint", TY_LIT_INTEGER, "-128", "-1", "0", "127");
	ORDER("varint", TY_LIT_INTEGER, "-100000000000000000000", "-256", "-129", "-128", "-1", "0", "1", "127",
	      "128", "255", "100000000000000000000");
	ORDER("decimal", TY_LIT_FLOAT, "-1e10", "-12.5", "-0.001", "0", "0.000001", "0.5", "0.51", "1.5",
	      "10", "1e3", "123456789012345678901234567890");
	ORDER("double", TY_LIT_FLOAT, "-Infinity", "-1e300", "-1.5", "-0.0", "0.0", "1e-300", "2.5", "Infinity",
	      "NaN");
	ORDER("float", TY_LIT_FLOAT, "-Infinity", "-1.5", "0.0", "0.5", "Infinity", "NaN");
	ORDER("timestamp", TY_LIT_STRING, "1900-01-01", "1969-12-31 23:59:59", "1970-01-01",
	      "2011-02-03 04:05", "2038-01-19");
	ORDER("date", TY_LIT_STRING, "-5000-01-01", "1900-01-01", "1969-12-31", "1970-01-01", "2011-02-03",
	      "9999-12-31");
	ORDER("time", TY_LIT_STRING, "00:00:00", "00:00:00.000000001", "12:00:00", "23:59:59.999999999");
	ORDER("text", TY_LIT_STRING, "", "A", "Z", "a", "ab", "b", "\xc3\xa9");
	ORDER("blob", TY_LIT_HEX, "0x", "0x00", "0x0000", "0x01", "0x7f", "0x80", "0xff");
	/* plain unsigned bytes: an IPv6 address starting 00 sorts before 1.x */
	ORDER("inet", TY_LIT_STRING, "::1", "1.2.3.4", "10.0.0.1", "127.0.0.1", "fe80::1", "255.255.255.255");
	ORDER("boolean", TY_LIT_BOOLEAN, "false", "true");
	/* v1 uuids by timestamp (time_hi, time_mid, time_low), then the rest unsigned;
	 * other versions after v1 sorted by version then bytes */
	ORDER("uuid", TY_LIT_UUID, "00000000-0000-0000-0000-000000000000",
	      "ffffffff-ffff-1000-0000-000000000000", "00000000-0000-1001-0000-000000000000",
	      "00000000-0001-1001-0000-000000000000", "00000001-0001-1001-0000-000000000000",
	      "00000001-0001-1001-8000-000000000000", "00000000-0000-4000-8000-000000000000",
	      "550e8400-e29b-41d4-a716-446655440000", "ffffffff-ffff-4fff-bfff-ffffffffffff");
	/* timeuuid: the clock/node bytes compare signed (0x80 < 0x00 < 0x7f) */
	ORDER("timeuuid", TY_LIT_UUID, "ffffffff-ffff-1000-0000-000000000000",
	      "00000000-0000-1001-0000-000000000000", "00000000-0001-1001-8000-000000000000",
	      "00000000-0001-1001-ff00-000000000000", "00000000-0001-1001-0080-000000000000",
	      "00000000-0001-1001-0000-000000000000", "00000000-0001-1001-0000-000000000001",
	      "00000000-0001-1001-7f00-000000000000");

	/* empty sorts first for any type */
	{
		const ty_type *t = ty_simple(TY_INT);
		uint8_t m1[4] = { 0xff, 0xff, 0xff, 0xff };

		CHECK(ty_compare(t, NULL, 0, m1, 4) < 0);
		CHECK(ty_compare(t, m1, 4, NULL, 0) > 0);
		CHECK(ty_compare(t, NULL, 0, NULL, 0) == 0);
	}
}

/* Build a frozen list<int> value from ints. */
static void pack_ints(hl_buf *b, const int *v, int n)
{
	size_t mark;
	int i;
	uint8_t e[4];

	ty_pack_begin(b, &mark);
	for (i = 0; i < n; i++) {
		e[0] = (uint8_t)(v[i] >> 24);
		e[1] = (uint8_t)(v[i] >> 16);
		e[2] = (uint8_t)(v[i] >> 8);
		e[3] = (uint8_t)v[i];
		ty_pack_elem(b, e, 4);
	}
	ty_pack_end(b, mark, n);
}

static void test_composites(void)
{
	const ty_type *lt = T("frozen<list<int>>");
	const ty_type *mt = T("map<text, frozen<list<int>>>");
	const ty_type *tt = T("tuple<int, text, boolean>");
	hl_buf a, b, m, o;
	hl_err err;
	size_t mark;
	static const int x[] = { 1, 2 }, y[] = { 1, 3 }, z[] = { 1, 2, 0 }, w[] = { -1 };

	hl_buf_init(&a);
	hl_buf_init(&b);
	hl_buf_init(&m);
	hl_buf_init(&o);

	pack_ints(&a, x, 2);
	CHECK(ty_validate(lt, a.p, a.len, &err) == 0);
	CHECK(ty_to_cql(lt, a.p, a.len, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "[1, 2]");
	hl_buf_reset(&o);

	/* element-wise, then shorter first */
	pack_ints(&b, y, 2);
	CHECK(ty_compare(lt, a.p, a.len, b.p, b.len) < 0);
	hl_buf_reset(&b);
	pack_ints(&b, z, 3);
	CHECK(ty_compare(lt, a.p, a.len, b.p, b.len) < 0);
	CHECK(ty_compare(lt, b.p, b.len, a.p, a.len) > 0);
	hl_buf_reset(&b);
	pack_ints(&b, w, 1);
	CHECK(ty_compare(lt, b.p, b.len, a.p, a.len) < 0);
	CHECK(ty_compare(lt, a.p, a.len, a.p, a.len) == 0);

	/* map<text, frozen<list<int>>> {'k''s': [1, 2]} */
	ty_pack_begin(&m, &mark);
	ty_pack_elem(&m, (const uint8_t *)"k's", 3);
	ty_pack_elem(&m, a.p, (int32_t)a.len);
	ty_pack_end(&m, mark, 1);
	CHECK(ty_validate(mt, m.p, m.len, &err) == 0);
	CHECK(ty_to_cql(mt, m.p, m.len, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "{'k''s': [1, 2]}");
	hl_buf_reset(&o);

	/* set<text> display */
	hl_buf_reset(&m);
	ty_pack_begin(&m, &mark);
	ty_pack_elem(&m, (const uint8_t *)"a", 1);
	ty_pack_elem(&m, (const uint8_t *)"b", 1);
	ty_pack_end(&m, mark, 2);
	CHECK(ty_to_cql(T("set<text>"), m.p, m.len, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "{'a', 'b'}");
	hl_buf_reset(&o);

	/* tuple (7, 'x', null) written with only two fields */
	hl_buf_reset(&m);
	ty_pack_elem(&m, (const uint8_t *)"\0\0\0\7", 4);
	ty_pack_elem(&m, (const uint8_t *)"x", 1);
	CHECK(ty_validate(tt, m.p, m.len, &err) == 0);
	CHECK(ty_to_cql(tt, m.p, m.len, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "(7, 'x', null)");
	hl_buf_reset(&o);
	/* a shorter tuple equals one with trailing nulls; null sorts first */
	hl_buf_reset(&b);
	hl_buf_put(&b, m.p, m.len);
	ty_pack_elem(&b, NULL, -1);
	CHECK(ty_compare(tt, m.p, m.len, b.p, b.len) == 0);
	hl_buf_reset(&b);
	ty_pack_elem(&b, NULL, -1);
	CHECK(ty_compare(tt, b.p, b.len, m.p, m.len) < 0);

	/* UDT display */
	hl_buf_reset(&m);
	ty_pack_elem(&m, (const uint8_t *)"Main St", 7);
	ty_pack_elem(&m, (const uint8_t *)"\0\0\0\5", 4);
	CHECK(ty_to_cql(T("frozen<address>"), m.p, m.len, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "{street: 'Main St', zip: 5}");
	hl_buf_reset(&o);

	/* to_text: top-level strings unquoted, nested quoted */
	CHECK(ty_to_text(ty_simple(TY_TEXT), (const uint8_t *)"it's", 4, &o) == 0);
	hl_buf_u8(&o, 0);
	CHECK_STR((const char *)o.p, "it's");
	hl_buf_reset(&o);

	/* malformed values: error, out untouched */
	hl_buf_str(&o, "keep");
	CHECK(ty_to_cql(lt, (const uint8_t *)"\0\0\0\5", 4, &o) == -1);
	CHECK_EQ_I64(o.len, 4);

	hl_buf_free(&a);
	hl_buf_free(&b);
	hl_buf_free(&m);
	hl_buf_free(&o);
}

static void test_compatible(void)
{
	CHECK(ty_compatible(T("text"), T("ascii")));
	CHECK(!ty_compatible(T("ascii"), T("text")));
	CHECK(ty_compatible(T("blob"), T("int")));
	CHECK(ty_compatible(T("varint"), T("int")));
	CHECK(ty_compatible(T("varint"), T("bigint")));
	CHECK(!ty_compatible(T("int"), T("varint")));
	CHECK(ty_compatible(T("bigint"), T("timestamp")));
	CHECK(ty_compatible(T("uuid"), T("timeuuid")));
	CHECK(!ty_compatible(T("timeuuid"), T("uuid")));
	CHECK(ty_compatible(T("list<text>"), T("list<ascii>")));
	CHECK(ty_compatible(T("map<text, blob>"), T("map<ascii, int>")));
	CHECK(!ty_compatible(T("map<varint, int>"), T("map<int, int>")));
	CHECK(ty_compatible(T("tuple<int, text, int>"), T("tuple<int, ascii>")));
	CHECK(!ty_compatible(T("tuple<int>"), T("tuple<int, text>")));
	CHECK(!ty_compatible(T("list<int>"), T("frozen<list<int>>")));
}

/*
 * Random bytes through validate/compare/to_cql (run under ASan): nothing
 * crashes, and every value validate accepts can be formatted.
 */
static void test_random_bytes(void)
{
	static const char *types[] = {
		"int", "bigint", "text", "ascii", "varint", "decimal", "duration", "time", "date",
		"timeuuid", "inet", "list<int>", "set<text>", "map<int, frozen<list<varint>>>",
		"tuple<int, text, frozen<list<duration>>>", "frozen<address>",
	};
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	uint8_t buf[64], prev[64];
	size_t ti, it, i, n, pn = 0;
	hl_buf o;
	hl_err err;
	int formatted = 0;

	hl_buf_init(&o);
	for (ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
		const ty_type *t = T(types[ti]);

		for (it = 0; it < 3000; it++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			n = (size_t)(seed >> 58);
			for (i = 0; i < n; i++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				/* small bytes make plausible lengths and counts */
				buf[i] = (uint8_t)(seed >> 60 < 10 ? (seed >> 61) : seed >> 33);
			}
			if (ty_validate(t, buf, n, &err) == 0) {
				hl_buf_reset(&o);
				if (ty_to_cql(t, buf, n, &o) != 0) {
					fprintf(stderr, "valid %s value of %zu bytes did not format\n", types[ti], n);
					CHECK(0);
				}
				formatted++;
			}
			ty_compare(t, buf, n, prev, pn);
			hl_buf_reset(&o);
			ty_to_text(t, buf, n, &o);
			memcpy(prev, buf, n);
			pn = n;
		}
	}
	CHECK(formatted > 100);
	hl_buf_free(&o);
}

/* ---------------------------------------------------------------- JSON */

/* value given as ty_from_string text -> JSON text. */
static const char *tj(const char *type, const char *text)
{
	const ty_type *t = T(type);
	hl_buf b, o;
	hl_err err;
	const char *r;

	hl_buf_init(&b);
	hl_buf_init(&o);
	hl_buf_reserve(&b, 1);  /* an empty value still has a pointer */
	if (!t || ty_from_string(t, text, strlen(text), &b, &err))
		r = "(bad input)";
	else if (ty_to_json(t, b.p, b.len, &o))
		r = "(malformed)";
	else
		r = hl_arena_strndup(A, (const char *)o.p, o.len);
	hl_buf_free(&b);
	hl_buf_free(&o);
	return r;
}

/* JSON -> value; "json: <JSON of the value>", "NULL", "ERR: <msg>" or "PARSE: <msg>". */
static const char *fj(const char *type, const char *json)
{
	const ty_type *t = T(type);
	hl_buf b, o;
	hl_err err;
	const char *r;
	int rc;

	hl_buf_init(&b);
	hl_buf_init(&o);
	hl_err_clear(&err);
	hl_buf_str(&b, "junk");
	rc = t ? ty_from_json(t, json, strlen(json), &b, &err) : -1;
	if (rc == 1)
		r = b.len == 4 ? "NULL" : "(NULL appended)";
	else if (rc < 0)
		r = b.len != 4 ? "(out changed)" : hl_arena_printf(A, "%s: %s", rc == -2 ? "PARSE" : "ERR", err.msg);
	else if (ty_validate(t, b.p + 4, b.len - 4, &err))
		r = hl_arena_printf(A, "(invalid value: %s)", err.msg);
	else if (ty_to_json(t, b.p + 4, b.len - 4, &o))
		r = "(malformed)";
	else
		r = hl_arena_printf(A, "json: %.*s", (int)o.len, (const char *)o.p);
	hl_buf_free(&b);
	hl_buf_free(&o);
	return r;
}

/* The parser message without Jackson's " at [Source: ...]" location. */
static const char *msg_head(const char *m)
{
	const char *nl = strchr(m, '\n');

	return nl ? hl_arena_strndup(A, m, (size_t)(nl - m)) : m;
}

/* value -> JSON -> value gives the same bytes. */
static bool round_trip(const ty_type *t, const uint8_t *p, size_t n)
{
	hl_buf j, b;
	hl_err err;
	bool ok;

	hl_buf_init(&j);
	hl_buf_init(&b);
	ok = ty_to_json(t, p, n, &j) == 0 && ty_from_json(t, (const char *)j.p, j.len, &b, &err) == 0 &&
	     b.len == n && (n == 0 || memcmp(b.p, p, n) == 0);
	if (!ok)
		fprintf(stderr, "round trip of %s failed: %.*s\n", ty_name(t, A), (int)j.len, (const char *)j.p);
	hl_buf_free(&j);
	hl_buf_free(&b);
	return ok;
}

static bool round_trip_str(const char *type, const char *text)
{
	const ty_type *t = T(type);
	hl_buf b;
	hl_err err;
	bool ok;

	hl_buf_init(&b);
	ok = t && ty_from_string(t, text, strlen(text), &b, &err) == 0 && round_trip(t, b.p, b.len);
	if (!ok)
		fprintf(stderr, "  (%s '%s')\n", type, text);
	hl_buf_free(&b);
	return ok;
}

/* JSON -> value -> JSON -> value: the same bytes. */
static bool round_trip_json(const char *type, const char *json)
{
	const ty_type *t = T(type);
	hl_buf b;
	hl_err err;
	bool ok;

	hl_buf_init(&b);
	ok = t && ty_from_json(t, json, strlen(json), &b, &err) == 0 && round_trip(t, b.p, b.len);
	if (!ok)
		fprintf(stderr, "  (%s %s)\n", type, json);
	hl_buf_free(&b);
	return ok;
}

static void test_json_output(void)
{
	/* numbers as Cassandra prints them */
	CHECK_STR(tj("int", "123123"), "123123");
	CHECK_STR(tj("int", "-2147483648"), "-2147483648");
	CHECK_STR(tj("bigint", "-123123123123"), "-123123123123");
	CHECK_STR(tj("counter", "42"), "42");
	CHECK_STR(tj("smallint", "-32768"), "-32768");
	CHECK_STR(tj("tinyint", "-128"), "-128");
	CHECK_STR(tj("varint", "123123123123123123123"), "123123123123123123123");
	CHECK_STR(tj("varint", "-1234567890123456789012345678901234567890"), "-1234567890123456789012345678901234567890");
	CHECK_STR(tj("decimal", "123123.123123"), "123123.123123");
	CHECK_STR(tj("decimal", "-1.23E-12"), "-1.23E-12");
	CHECK_STR(tj("decimal", "1E+3"), "1E+3");
	CHECK_STR(tj("decimal", "0.000001"), "0.000001");
	CHECK_STR(tj("decimal", "0.0000001"), "1E-7");
	CHECK_STR(tj("decimal", "1.50"), "1.50");
	CHECK_STR(tj("decimal", "0E-10"), "0E-10");
	CHECK_STR(tj("decimal", "-0.000"), "0.000");
	CHECK_STR(tj("decimal", "12345678901234567890.123456789012345678901"), "12345678901234567890.123456789012345678901");
	CHECK_STR(tj("double", "123123.123123"), "123123.123123");
	CHECK_STR(tj("double", "123123"), "123123.0");
	CHECK_STR(tj("double", "1e7"), "1.0E7");
	CHECK_STR(tj("double", "9999999.5"), "9999999.5");
	CHECK_STR(tj("double", "0.001"), "0.001");
	CHECK_STR(tj("double", "0.0001"), "1.0E-4");
	CHECK_STR(tj("double", "-1.5e300"), "-1.5E300");
	CHECK_STR(tj("double", "-0.0"), "-0.0");
	CHECK_STR(tj("double", "0.1"), "0.1");
	CHECK_STR(tj("double", "NaN"), "null");
	CHECK_STR(tj("double", "-Infinity"), "null");
	CHECK_STR(tj("float", "123.123"), "123.123");
	CHECK_STR(tj("float", "123123"), "123123.0");
	CHECK_STR(tj("float", "1.1"), "1.1");
	CHECK_STR(tj("float", "3.4028235e38"), "3.4028235E38");
	CHECK_STR(tj("float", "Infinity"), "null");
	CHECK_STR(tj("boolean", "true"), "true");
	CHECK_STR(tj("boolean", "false"), "false");
	/* strings: Jackson's escapes, non-ASCII as is */
	CHECK_STR(tj("text", "abcd"), "\"abcd\"");
	CHECK_STR(tj("text", "a\"b\\c/\n\r\t\b\f\x01\x1f\x7f\xc3\xa9\xf0\x9f\x98\x80"),
		  "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001F\x7f\xc3\xa9\xf0\x9f\x98\x80\"");
	CHECK_STR(tj("ascii", "ascii text"), "\"ascii text\"");
	CHECK_STR(tj("text", ""), "\"\"");
	CHECK_STR(tj("blob", "0x00000001"), "\"0x00000001\"");
	CHECK_STR(tj("blob", ""), "\"0x\"");
	CHECK_STR(tj("uuid", "6bddc89a-5644-11e4-97fc-56847afe9799"), "\"6bddc89a-5644-11e4-97fc-56847afe9799\"");
	CHECK_STR(tj("timeuuid", "6BDDC89A-5644-11E4-97FC-56847AFE9799"), "\"6bddc89a-5644-11e4-97fc-56847afe9799\"");
	/* inet as Java's getHostAddress */
	CHECK_STR(tj("inet", "127.0.0.1"), "\"127.0.0.1\"");
	CHECK_STR(tj("inet", "::1"), "\"0:0:0:0:0:0:0:1\"");
	CHECK_STR(tj("inet", "2001:db8::ff00:42:8329"), "\"2001:db8:0:0:0:ff00:42:8329\"");
	CHECK_STR(tj("inet", "::ffff:1.2.3.4"), "\"1.2.3.4\"");
	/* dates and times */
	CHECK_STR(tj("timestamp", "2014-01-01"), "\"2014-01-01 00:00:00.000Z\"");
	CHECK_STR(tj("timestamp", "2011-02-03 04:05:06.789+0000"), "\"2011-02-03 04:05:06.789Z\"");
	CHECK_STR(tj("timestamp", "-1"), "\"1969-12-31 23:59:59.999Z\"");
	CHECK_STR(tj("timestamp", "1900-06-15 12:00:00Z"), "\"1900-06-15 12:00:00.000Z\"");
	CHECK_STR(tj("timestamp", "1582-10-15"), "\"1582-10-15 00:00:00.000Z\"");
	/* java.util.Date is Julian before the cutover, and prints the year of era */
	CHECK_STR(tj("timestamp", "1582-10-14"), "\"1582-10-04 00:00:00.000Z\"");
	CHECK_STR(tj("timestamp", "0001-01-01"), "\"0001-01-03 00:00:00.000Z\"");
	CHECK_STR(tj("timestamp", "-62135769600000"), "\"0001-01-01 00:00:00.000Z\"");
	CHECK_STR(tj("timestamp", "-62167392000001"), "\"0002-12-31 23:59:59.999Z\"");  /* 2 BC */
	CHECK_STR(tj("timestamp", "12000-01-01"), "\"12000-01-01 00:00:00.000Z\"");
	CHECK_STR(tj("date", "1987-03-23"), "\"1987-03-23\"");
	CHECK_STR(tj("date", "1969-12-31"), "\"1969-12-31\"");
	CHECK_STR(tj("date", "0"), "\"-5877641-06-23\"");
	CHECK_STR(tj("time", "123"), "\"00:00:00.000000123\"");
	CHECK_STR(tj("time", "08:12:54.123456789"), "\"08:12:54.123456789\"");
	CHECK_STR(tj("duration", "1h4m48s20ms"), "\"1h4m48s20ms\"");
	CHECK_STR(tj("duration", "-2d10h"), "\"-2d10h\"");
	CHECK_STR(tj("duration", "1y2mo3w4d5h6m7s8ms9us10ns"), "\"1y2mo25d5h6m7s8ms9us10ns\"");
	CHECK_STR(tj("duration", "0s"), "\"\"");
	/* empty values, null */
	CHECK_STR(tj("int", ""), "\"\"");
	CHECK_STR(tj("double", ""), "\"\"");
	CHECK_STR(tj("timestamp", ""), "\"\"");
	CHECK_STR(tj("uuid", ""), "\"\"");

	/* composites, through fromJson */
	CHECK_STR(fj("list<int>", "[1, 2, 3]"), "json: [1, 2, 3]");
	CHECK_STR(fj("frozen<list<int>>", "[]"), "json: []");
	CHECK_STR(fj("set<uuid>", "[\"6bddc89a-5644-11e4-97fc-56847afe9799\", \"6bddc89a-5644-11e4-97fc-56847afe9798\"]"),
		  "json: [\"6bddc89a-5644-11e4-97fc-56847afe9798\", \"6bddc89a-5644-11e4-97fc-56847afe9799\"]");
	CHECK_STR(fj("map<ascii, int>", "{\"b\": 2, \"a\": 1}"), "json: {\"a\": 1, \"b\": 2}");
	CHECK_STR(fj("map<int, boolean>", "{\"1\": false, \"0\": true}"), "json: {\"0\": true, \"1\": false}");
	CHECK_STR(fj("map<boolean, boolean>", "{\"true\": true, \"false\": false}"), "json: {\"false\": false, \"true\": true}");
	CHECK_STR(fj("map<float, boolean>", "{\"1.23\": true, \"4.56\": false}"), "json: {\"1.23\": true, \"4.56\": false}");
	CHECK_STR(fj("map<decimal, boolean>", "{\"1.23\": true}"), "json: {\"1.23\": true}");
	CHECK_STR(fj("map<frozen<tuple<int, text>>, boolean>", "{\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}"),
		  "json: {\"[0, \\\"a\\\"]\": true, \"[1, \\\"b\\\"]\": false}");
	CHECK_STR(fj("map<frozen<set<int>>, boolean>", "{\"[3, 4, 5]\": false, \"[0, 1, 2]\": true}"),
		  "json: {\"[0, 1, 2]\": true, \"[3, 4, 5]\": false}");
	CHECK_STR(fj("map<frozen<address>, int>", "{\"{\\\"street\\\": \\\"x\\\"}\": 1}"),
		  "json: {\"{\\\"street\\\": \\\"x\\\", \\\"zip\\\": null}\": 1}");
	CHECK_STR(fj("map<frozen<map<frozen<set<text>>, text>>, boolean>",
		     "{\"{\\\"[\\\\\\\"0\\\\\\\", \\\\\\\"1\\\\\\\"]\\\": \\\"a\\\"}\": true}"),
		  "json: {\"{\\\"[\\\\\\\"0\\\\\\\", \\\\\\\"1\\\\\\\"]\\\": \\\"a\\\"}\": true}");
	CHECK_STR(fj("map<timestamp, int>", "{\"2014-01-01\": 1}"), "json: {\"2014-01-01 00:00:00.000Z\": 1}");
	CHECK_STR(fj("map<double, int>", "{\"NaN\": 1}"), "json: {\"null\": 1}");
	CHECK_STR(fj("tuple<int, ascii, uuid>", "[1, \"foobar\", null]"), "json: [1, \"foobar\", null]");
	CHECK_STR(fj("frozen<address>", "{\"zip\": 12, \"street\": \"Main\"}"), "json: {\"street\": \"Main\", \"zip\": 12}");
	CHECK_STR(fj("address", "{\"street\": null}"), "json: {\"street\": null, \"zip\": null}");
	CHECK_STR(fj("frozen<list<frozen<map<text, frozen<set<int>>>>>>", "[{\"a\": [3, 1]}, {}, {\"b\": []}]"),
		  "json: [{\"a\": [1, 3]}, {}, {\"b\": []}]");
	CHECK_STR(fj("frozen<tuple<int, frozen<list<text>>, tuple<int, int>>>", "[1, [\"x\", \"y\"], [2, 3]]"),
		  "json: [1, [\"x\", \"y\"], [2, 3]]");
	{
		/* a UDT with a case-sensitive field name */
		static const char *fn[] = { "a", "Foo" };
		const ty_type *ft[] = { ty_simple(TY_INT), ty_simple(TY_INT) };
		const ty_type *u = ty_udt(A, "ks", "Cased", 2, fn, ft, true);
		hl_buf b, o;
		hl_err err;
		static const char *in[] = { "{\"a\": 0, \"\\\"Foo\\\"\": 1}", "{\"A\": 0, \"\\\"Foo\\\"\": 1}" };

		for (int i = 0; i < 2; i++) {
			hl_buf_init(&b);
			hl_buf_init(&o);
			CHECK(ty_from_json(u, in[i], strlen(in[i]), &b, &err) == 0);
			CHECK(ty_to_json(u, b.p, b.len, &o) == 0);
			hl_buf_u8(&o, 0);
			CHECK_STR((const char *)o.p, "{\"a\": 0, \"\\\"Foo\\\"\": 1}");
			hl_buf_free(&b);
			hl_buf_free(&o);
		}
		hl_buf_init(&b);
		CHECK(ty_from_json(u, "{\"foo\": 1}", 10, &b, &err) == -1);
		CHECK_STR(err.msg, "Unknown field 'foo' in value of user defined type Cased");
		hl_buf_free(&b);
	}
	{
		hl_buf o;

		hl_buf_init(&o);
		ty_json_name("k", 1, &o);
		ty_json_name("Foo", 3, &o);
		ty_json_name("ttl(v)", 6, &o);
		hl_buf_u8(&o, 0);
		CHECK_STR((const char *)o.p, "\"k\"\"\\\"Foo\\\"\"\"ttl(v)\"");
		hl_buf_free(&o);
	}
}

static void test_json_input(void)
{
	/* scalars and the kinds of JSON each type takes */
	CHECK_STR(fj("int", "123123"), "json: 123123");
	CHECK_STR(fj("int", "\"123123\""), "json: 123123");
	CHECK_STR(fj("int", "-0"), "json: 0");
	CHECK_STR(fj("int", "\"\""), "json: \"\"");
	CHECK_STR(fj("int", "2147483648"), "ERR: Expected an int value, but got a Long: 2147483648");
	CHECK_STR(fj("int", "123.456"), "ERR: Expected an int value, but got a Double: 123.456");
	CHECK_STR(fj("int", "1e2"), "ERR: Expected an int value, but got a Double: 100.0");
	CHECK_STR(fj("int", "true"), "ERR: Expected an int value, but got a Boolean: true");
	CHECK_STR(fj("int", "\"xyzz\""), "ERR: Unable to make int from 'xyzz'");
	CHECK_STR(fj("int", "{\"a\": 1, \"b\": [1, \"x\", null]}"),
		  "ERR: Expected an int value, but got a LinkedHashMap: {a=1, b=[1, x, null]}");
	CHECK_STR(fj("bigint", "123123123123"), "json: 123123123123");
	CHECK_STR(fj("bigint", "\"123123123123\""), "json: 123123123123");
	CHECK_STR(fj("bigint", "9223372036854775808"),
		  "ERR: Expected a bigint value, but got a BigInteger: 9223372036854775808");
	CHECK_STR(fj("bigint", "-9223372036854775808"), "json: -9223372036854775808");
	CHECK_STR(fj("bigint", "\"abc\""), "ERR: Unable to make long from 'abc'");
	CHECK_STR(fj("bigint", "[\"abc\"]"), "ERR: Expected a bigint value, but got a ArrayList: [abc]");
	CHECK_STR(fj("counter", "5"), "json: 5");
	CHECK_STR(fj("smallint", "-5"), "json: -5");
	CHECK_STR(fj("smallint", "40000"), "ERR: Unable to make short from '40000'");
	CHECK_STR(fj("smallint", "1.0"), "ERR: Unable to make short from '1.0'");
	CHECK_STR(fj("smallint", "false"), "ERR: Expected a short value, but got a Boolean: false");
	CHECK_STR(fj("tinyint", "\"7\""), "json: 7");
	CHECK_STR(fj("tinyint", "[]"), "ERR: Expected a byte value, but got a ArrayList: []");
	CHECK_STR(fj("varint", "123123123123"), "json: 123123123123");
	CHECK_STR(fj("varint", "\"1234567890123456789012345678901234567890\""),
		  "json: 1234567890123456789012345678901234567890");
	CHECK_STR(fj("varint", "-1234567890123456789012345678901234567890"),
		  "json: -1234567890123456789012345678901234567890");
	CHECK_STR(fj("varint", "123123.123"), "ERR: Value '123123.123' is not a valid representation of a varint value");
	CHECK_STR(fj("varint", "\"xyzz\""), "ERR: Value 'xyzz' is not a valid representation of a varint value");
	CHECK_STR(fj("varint", "\"\""), "ERR: Value '' is not a valid representation of a varint value");
	CHECK_STR(fj("varint", "true"), "ERR: Value 'true' is not a valid representation of a varint value");
	CHECK(strncmp(fj("varint", "\"12\\u00003\""), "ERR: ", 5) == 0);
	CHECK(strncmp(fj("decimal", "\"1.5\\u0000\""), "ERR: ", 5) == 0);
	CHECK(strncmp(fj("smallint", "\"1\\u00002\""), "ERR: ", 5) == 0);
	CHECK_STR(fj("decimal", "123123.123123"), "json: 123123.123123");
	CHECK_STR(fj("decimal", "123123"), "json: 123123");
	CHECK_STR(fj("decimal", "\"-1.23E-12\""), "json: -1.23E-12");
	CHECK_STR(fj("decimal", "1e3"), "json: 1000.0");
	/* a JSON fraction is a Double to Jackson: digits beyond it are lost, as in Cassandra */
	CHECK_STR(fj("decimal", "1234567890.1234567890123"), "json: 1234567890.1234567");
	CHECK_STR(fj("decimal", "\"1234567890.1234567890123\""), "json: 1234567890.1234567890123");
	CHECK_STR(fj("decimal", "\"\""), "json: \"\"");
	CHECK_STR(fj("decimal", "\"xyzz\""), "ERR: Value 'xyzz' is not a valid representation of a decimal value");
	CHECK_STR(fj("decimal", "true"), "ERR: Value 'true' is not a valid representation of a decimal value");
	CHECK_STR(fj("decimal", "1e999"), "ERR: Value 'Infinity' is not a valid representation of a decimal value");
	CHECK_STR(fj("double", "123123.123123"), "json: 123123.123123");
	CHECK_STR(fj("double", "123123"), "json: 123123.0");
	CHECK_STR(fj("double", "-0"), "json: 0.0");
	CHECK_STR(fj("double", "-0.0"), "json: -0.0");
	CHECK_STR(fj("double", "\"123123\""), "json: 123123.0");
	CHECK_STR(fj("double", "\"NaN\""), "json: null");
	CHECK_STR(fj("double", "\"xyzz\""), "ERR: Unable to make double from 'xyzz'");
	CHECK_STR(fj("double", "true"), "ERR: Expected a double value, but got a Boolean: true");
	CHECK_STR(fj("float", "123123.123123"), "json: 123123.125");
	CHECK_STR(fj("float", "\"123123.0\""), "json: 123123.0");
	CHECK_STR(fj("float", "16777217"), "json: 1.6777216E7");
	CHECK_STR(fj("float", "\"xyzz\""), "ERR: Unable to make float from 'xyzz'");
	CHECK_STR(fj("float", "true"), "ERR: Expected a float value, but got a Boolean: true");
	CHECK_STR(fj("boolean", "true"), "json: true");
	CHECK_STR(fj("boolean", "\"FALSE\""), "json: false");
	CHECK_STR(fj("boolean", "\"\""), "json: false");
	CHECK_STR(fj("boolean", "\"abc\""), "ERR: Unable to make boolean from 'abc'");
	CHECK_STR(fj("boolean", "123"), "ERR: Expected a boolean value, but got a Integer: 123");
	CHECK_STR(fj("text", "\"\""), "json: \"\"");
	CHECK_STR(fj("text", "\"some \\\" text\""), "json: \"some \\\" text\"");
	CHECK_STR(fj("text", "\"\\u2013\""), "json: \"\xe2\x80\x93\"");
	CHECK_STR(fj("text", "\"\\u00e9\\uD83D\\uDE00\\/\""), "json: \"\xc3\xa9\xf0\x9f\x98\x80/\"");
	CHECK_STR(fj("text", "\"x\\ud800y\\udc00\""), "json: \"x?y?\"");
	CHECK_STR(fj("text", "\"\\u0000\""), "json: \"\\u0000\"");
	CHECK_STR(fj("text", "123"), "ERR: Expected a UTF-8 string, but got a Integer: 123");
	CHECK_STR(fj("ascii", "\"ascii \\\" text\""), "json: \"ascii \\\" text\"");
	CHECK_STR(fj("ascii", "\"\\u1fff\\u2013\\u33B4\\u2014\""),
		  "ERR: Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1");
	CHECK_STR(fj("ascii", "123"), "ERR: Expected an ascii string, but got a Integer: 123");
	CHECK_STR(fj("ascii", "\"ab\\ud800\""),
		  "ERR: Invalid ASCII character in string literal: java.nio.charset.MalformedInputException: Input length = 1");
	CHECK_STR(fj("ascii", "\"a\\ud83d\\ude00\""),
		  "ERR: Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 2");
	CHECK_STR(fj("blob", "\"0x00000001\""), "json: \"0x00000001\"");
	CHECK_STR(fj("blob", "\"0x\""), "json: \"0x\"");
	CHECK_STR(fj("blob", "\"xyzz\""),
		  "ERR: Value 'xyzz' is not a valid blob representation: String representation of blob is missing 0x prefix: xyzz");
	CHECK_STR(fj("blob", "\"0x123\""), "ERR: Value '0x123' is not a valid blob representation: cannot parse '123' as hex bytes");
	CHECK_STR(fj("blob", "\"0xzz\""), "ERR: Value '0xzz' is not a valid blob representation: cannot parse 'zz' as hex bytes");
	CHECK_STR(fj("blob", "123"),
		  "ERR: Value '123' is not a valid blob representation: class java.lang.Integer cannot be cast to class "
		  "java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader 'bootstrap')");
	CHECK_STR(fj("uuid", "\"6BDDC89A-5644-11E4-97FC-56847AFE9799\""), "json: \"6bddc89a-5644-11e4-97fc-56847afe9799\"");
	CHECK_STR(fj("uuid", "\"00000000-0000-0000-zzzz-000000000000\""),
		  "ERR: Unable to make UUID from '00000000-0000-0000-zzzz-000000000000'");
	CHECK_STR(fj("uuid", "123"), "ERR: Expected a string representation of a uuid, but got a Integer: 123");
	CHECK_STR(fj("timeuuid", "\"00000000-0000-0000-0000-000000000000\""), "ERR: TimeUUID supports only version 1 UUIDs");
	CHECK_STR(fj("timeuuid", "123"), "ERR: Expected a string representation of a timeuuid, but got a Integer: 123");
	CHECK_STR(fj("inet", "\"::1\""), "json: \"0:0:0:0:0:0:0:1\"");
	CHECK_STR(fj("inet", "\"xyzz\""), "ERR: Unable to make inet address from 'xyzz'");
	CHECK_STR(fj("inet", "123"), "ERR: Expected a string representation of an inet value, but got a Integer: 123");
	CHECK_STR(fj("timestamp", "123123123123"), "json: \"1973-11-26 00:52:03.123Z\"");
	CHECK_STR(fj("timestamp", "-123123123123"), "json: \"1966-02-05 23:07:56.877Z\"");
	CHECK_STR(fj("timestamp", "\"2014-01-01\""), "json: \"2014-01-01 00:00:00.000Z\"");
	CHECK_STR(fj("timestamp", "\"123\""), "json: \"1970-01-01 00:00:00.123Z\"");
	CHECK_STR(fj("timestamp", "123"),
		  "ERR: Expected a long or a datestring representation of a timestamp value, but got a Integer: 123");
	CHECK_STR(fj("timestamp", "123.456"),
		  "ERR: Expected a long or a datestring representation of a timestamp value, but got a Double: 123.456");
	CHECK_STR(fj("timestamp", "\"abcd\""), "ERR: Unable to parse a date/time from 'abcd'");
	CHECK_STR(fj("date", "\"1987-03-23\""), "json: \"1987-03-23\"");
	CHECK_STR(fj("date", "123"), "ERR: Expected a string representation of a date value, but got a Integer: 123");
	CHECK_STR(fj("date", "\"xyz\""), "ERR: Unable to coerce 'xyz' to a formatted date (long)");
	CHECK_STR(fj("date", "\"\""), "ERR: Unable to coerce '' to a formatted date (long)");
	CHECK_STR(fj("time", "\"07:35:07.000111222\""), "json: \"07:35:07.000111222\"");
	CHECK_STR(fj("time", "123456"), "ERR: Expected a string representation of a time value, but got a Integer: 123456");
	CHECK_STR(fj("time", "\"xyz\""), "ERR: (TimeType) Unable to coerce 'xyz' to a formatted time (long)");
	CHECK_STR(fj("duration", "\"1h4m48s20ms\""), "json: \"1h4m48s20ms\"");
	CHECK_STR(fj("duration", "\"-P2DT10H\""), "json: \"-2d10h\"");
	CHECK_STR(fj("duration", "\"\""), "ERR: Expected at least 3 bytes for a duration (0)");
	CHECK_STR(fj("duration", "12"), "ERR: Expected a string representation of a duration, but got a Integer: 12");
	CHECK_STR(fj("duration", "\"xyz\""), "ERR: Unable to convert 'xyz' to a duration");
	CHECK_STR(fj("int", "null"), "NULL");
	CHECK_STR(fj("frozen<list<int>>", " null "), "NULL");
	/* trailing text after the value is ignored, as Jackson's readValue */
	CHECK_STR(fj("int", "1 2"), "json: 1");
	CHECK_STR(fj("list<int>", "[1] x"), "json: [1]");

	/* collections, tuples, UDTs */
	CHECK_STR(fj("list<int>", "123"), "ERR: Expected a list, but got a Integer: 123");
	CHECK_STR(fj("list<int>", "[\"abc\"]"), "ERR: Unable to make int from 'abc'");
	CHECK_STR(fj("list<int>", "[null]"), "ERR: Invalid null element in list");
	CHECK_STR(fj("list<int>", "\"[1, 2]\""), "json: [1, 2]");
	CHECK_STR(msg_head(fj("list<int>", "\"[1, \"")),
		  "ERR: Error decoding JSON string: Unexpected end-of-input in a value");
	CHECK_STR(fj("list<int>", "{}"), "ERR: Expected a list, but got a LinkedHashMap: {}");
	CHECK_STR(fj("set<int>", "[3, 1, 2, 1, 3]"), "json: [1, 2, 3]");
	CHECK_STR(fj("set<text>", "[\"b\", \"a\", \"b\"]"), "json: [\"a\", \"b\"]");
	CHECK_STR(fj("set<uuid>", "123"), "ERR: Expected a list (representing a set), but got a Integer: 123");
	CHECK_STR(fj("set<uuid>", "[\"abc\"]"), "ERR: Unable to make UUID from 'abc'");
	CHECK_STR(fj("set<int>", "[null]"), "ERR: Invalid null element in set");
	CHECK_STR(fj("map<ascii, int>", "123"), "ERR: Expected a map, but got a Integer: 123");
	CHECK_STR(fj("map<ascii, int>", "{\"\\u1fff\\u2013\\u33B4\\u2014\": 1}"),
		  "ERR: Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: Input length = 1");
	CHECK_STR(fj("map<ascii, int>", "{\"a\": null}"), "ERR: Invalid null value in map");
	CHECK_STR(fj("map<int, int>", "{\"x\": 1}"), "ERR: Unable to make int from 'x'");
	CHECK_STR(fj("map<int, int>", "{\"1\": 1, \"01\": 2, \"2\": 3}"), "json: {\"1\": 2, \"2\": 3}");
	CHECK_STR(fj("map<text, int>", "{\"a\": 1, \"a\": 2}"), "json: {\"a\": 2}");
	CHECK_STR(fj("map<text, int>", "\"{\\\"a\\\": 1}\""), "json: {\"a\": 1}");
	CHECK_STR(fj("tuple<int, ascii, uuid>", "[1, \"foobar\", \"6bddc89a-5644-11e4-97fc-56847afe9799\", 1, 2, 3]"),
		  "ERR: Tuple contains extra items (expected 3): [1, foobar, 6bddc89a-5644-11e4-97fc-56847afe9799, 1, 2, 3]");
	CHECK_STR(fj("tuple<int, ascii, uuid>", "[1, \"foobar\"]"), "ERR: Tuple is missing items (expected 3): [1, foobar]");
	CHECK_STR(fj("tuple<int, ascii, uuid>", "[\"not an int\", \"foobar\", null]"), "ERR: Unable to make int from 'not an int'");
	CHECK_STR(fj("tuple<int, int>", "{}"), "ERR: Expected a list representation of a tuple, but got a LinkedHashMap: {}");
	CHECK_STR(fj("tuple<int, int>", "\"[1, 2]\""), "json: [1, 2]");
	CHECK_STR(fj("frozen<address>", "{\"xxx\": 1}"), "ERR: Unknown field 'xxx' in value of user defined type address");
	CHECK_STR(fj("frozen<address>", "{\"zip\": \"foobar\"}"), "ERR: Unable to make int from 'foobar'");
	CHECK_STR(fj("frozen<address>", "{\"ZIP\": 1, \"\\\"street\\\"\": \"s\"}"), "json: {\"street\": \"s\", \"zip\": 1}");
	CHECK_STR(fj("frozen<address>", "{\"\\\"ZIP\\\"\": 1}"), "ERR: Unknown field 'ZIP' in value of user defined type address");
	CHECK_STR(fj("frozen<address>", "[1]"), "ERR: Expected a map, but got a ArrayList: [1]");
	CHECK_STR(fj("frozen<address>", "\"{\\\"zip\\\": 5}\""), "json: {\"street\": null, \"zip\": 5}");
}

static void test_json_malformed(void)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		{ "", "No content to map due to end-of-input" },
		{ "   ", "No content to map due to end-of-input" },
		{ "[1,]", "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, "
			  "Object or token 'null', 'true' or 'false')" },
		{ "[1 2]", "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries" },
		{ "[1", "Unexpected end-of-input: expected close marker for ARRAY" },
		{ "{\"a\" 1}", "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value" },
		{ "{a: 1}", "Unexpected character ('a' (code 97)): was expecting double-quote to start field name" },
		{ "{\"a\": 1,}", "Unexpected character ('}' (code 125)): was expecting double-quote to start field name" },
		{ "{\"a\": 1", "Unexpected end-of-input: expected close marker for OBJECT" },
		{ "{\"a\": 1 \"b\": 2}", "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries" },
		{ "01", "Invalid numeric value: Leading zeroes not allowed" },
		{ "1a", "Unexpected character ('a' (code 97)): Expected space separating root-level values" },
		{ "-x", "Unexpected character ('x' (code 120)) in numeric value: expected digit (0-9) to follow minus sign, "
			"for valid numeric value" },
		{ "1.e5", "Unexpected character ('e' (code 101)) in numeric value: Decimal point not followed by a digit" },
		{ "1e+", "Unexpected end-of-input in numeric value: Exponent indicator not followed by a digit" },
		{ "tru", "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
			 "or 'false')" },
		{ "truex", "Unrecognized token 'truex': was expecting (JSON String, Number, Array, Object or token 'null', "
			   "'true' or 'false')" },
		{ "NaN", "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow" },
		{ "'a'", "Unexpected character (''' (code 39)): expected a valid value (JSON String, Number, Array, Object "
			 "or token 'null', 'true' or 'false')" },
		{ "\"abc", "Unexpected end-of-input: was expecting closing quote for a string value" },
		{ "\"a\nb\"", "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be "
			      "included in string value" },
		{ "\"\\x\"", "Unrecognized character escape 'x' (code 120)" },
		{ "\"\\u12g4\"", "Unexpected character ('g' (code 103)): expected a hex-digit for character escape sequence" },
		{ "\"\\u12", "Unexpected end-of-input in character escape sequence" },
		{ "\"\xff\"", "Invalid UTF-8 in a string value" },
		{ "\xe2\x82\xac", "Unrecognized token '\xe2\x82\xac': was expecting (JSON String, Number, Array, Object or "
				  "token 'null', 'true' or 'false')" },
		{ "\x01", "Unexpected character ((CTRL-CHAR, code 1)): expected a valid value (JSON String, Number, Array, "
			   "Object or token 'null', 'true' or 'false')" },
	};
	const ty_type *t = T("frozen<list<frozen<map<text, int>>>>");
	hl_buf b, d;
	hl_err err;
	size_t i;

	hl_buf_init(&b);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		hl_err_clear(&err);
		CHECK(ty_from_json(t, bad[i].json, strlen(bad[i].json), &b, &err) == -2);
		CHECK_STR(msg_head(err.msg), bad[i].msg);
		CHECK(b.len == 0);
	}
	/* the location, as Jackson reports it */
	CHECK(ty_from_json(t, "[\n {\"a\": x}]", 12, &b, &err) == -2);
	CHECK(strstr(err.msg, "line: 2, column: 8]") != NULL);

	/* deep nesting is refused, not recursed into */
	hl_buf_init(&d);
	for (i = 0; i < 300; i++)
		hl_buf_u8(&d, '[');
	CHECK(ty_from_json(t, (const char *)d.p, d.len, &b, &err) == -2);
	CHECK_STR(msg_head(err.msg), "Document nesting depth (257) exceeds the maximum allowed (256)");
	/* ... also when the nesting hides in a string holding JSON */
	hl_buf_reset(&d);
	hl_buf_str(&d, "\"");
	for (i = 0; i < 300; i++)
		hl_buf_u8(&d, '[');
	hl_buf_str(&d, "\"");
	CHECK(ty_from_json(t, (const char *)d.p, d.len, &b, &err) == -1);
	CHECK(strncmp(err.msg, "Error decoding JSON string: Document nesting depth", 50) == 0);
	/* a number too long to be one */
	hl_buf_reset(&d);
	for (i = 0; i < 1001; i++)
		hl_buf_u8(&d, '7');
	CHECK(ty_from_json(ty_simple(TY_VARINT), (const char *)d.p, d.len, &b, &err) == -2);
	CHECK_STR(msg_head(err.msg), "Number value length (1001) exceeds the maximum allowed (1000)");
	CHECK(ty_from_json(ty_simple(TY_VARINT), (const char *)d.p, 1000, &b, &err) == 0);

	/* every truncation and random bytes: errors, never a read past the end */
	{
		static const char doc[] = "[{\"a\\u00e9\": 1, \"b\": -2.5e3}, {\"\\ud83d\\ude00\": 7, \"c\": [true, null, \"x\\n\"]}]";
		const ty_type *lt = T("frozen<list<frozen<map<text, int>>>>");
		unsigned seed = 12345;
		char *buf;

		for (i = 0; i < sizeof doc - 1; i++) {
			buf = hl_malloc(i ? i : 1);
			memcpy(buf, doc, i);
			hl_buf_reset(&b);
			CHECK(ty_from_json(lt, buf, i, &b, &err) < 0);
			free(buf);
		}
		for (i = 0; i < 2000; i++) {
			size_t n = (size_t)(rand_r(&seed) % 40), k;
			static const char alphabet[] = "[]{}\":,0123456789.-+eE \\u\"tfnrl\x80\xc3";

			buf = hl_malloc(n ? n : 1);
			for (k = 0; k < n; k++)
				buf[k] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
			hl_buf_reset(&b);
			(void)ty_from_json(lt, buf, n, &b, &err);
			(void)ty_from_json(ty_simple(TY_TEXT), buf, n, &b, &err);
			free(buf);
		}
	}
	hl_buf_free(&d);
	hl_buf_free(&b);
}

static void test_json_object(void)
{
	const char *doc = "{\"k\": 0, \"\\\"Foo\\\"\": [1, {\"x\": 2}], \"V\": \"s\", \"n\": null, \"k\": 5}";
	const char **keys, **vals;
	size_t *lens;
	int n;
	hl_err err;

	CHECK(ty_json_object(doc, strlen(doc), A, &n, &keys, &vals, &lens, &err) == 0);
	CHECK_EQ_I64(n, 4);
	if (n == 4) {
		CHECK_STR(keys[0], "k");
		CHECK_STR(hl_arena_strndup(A, vals[0], lens[0]), "5");
		CHECK_STR(keys[1], "n");
		CHECK_STR(hl_arena_strndup(A, vals[1], lens[1]), "null");
		CHECK_STR(keys[2], "Foo");
		CHECK_STR(hl_arena_strndup(A, vals[2], lens[2]), "[1, {\"x\": 2}]");
		CHECK_STR(keys[3], "v");
		CHECK_STR(hl_arena_strndup(A, vals[3], lens[3]), "\"s\"");
	}
	/* "A" is renamed onto "a" and takes its place, as Cassandra's map does */
	doc = "{\"A\": 1, \"a\": 2}";
	CHECK(ty_json_object(doc, strlen(doc), A, &n, &keys, &vals, &lens, &err) == 0);
	CHECK(n == 1 && strcmp(keys[0], "a") == 0 && lens[0] == 1 && vals[0][0] == '1');
	CHECK(ty_json_object("{}", 2, A, &n, &keys, &vals, &lens, &err) == 0 && n == 0);
	CHECK(ty_json_object("null", 4, A, &n, &keys, &vals, &lens, &err) == -1);
	CHECK_STR(err.msg, "Got null for INSERT JSON values");
	CHECK(ty_json_object("\"notamap\"", 9, A, &n, &keys, &vals, &lens, &err) == -1);
	CHECK(strncmp(err.msg, "Could not decode JSON string as a map: ", 39) == 0);
	CHECK(strstr(err.msg, "(String was: \"notamap\")") != NULL);
	CHECK(ty_json_object("12.34", 5, A, &n, &keys, &vals, &lens, &err) == -1);
	CHECK(strncmp(err.msg, "Could not decode JSON string as a map: ", 39) == 0);
	CHECK(ty_json_object("{\"k\": ", 6, A, &n, &keys, &vals, &lens, &err) == -1);
	CHECK(strstr(err.msg, "JsonParseException") != NULL);
}

static void test_json_round_trips(void)
{
	static const char *const natives[][2] = {
		{ "int", "0" }, { "int", "-2147483648" }, { "int", "2147483647" },
		{ "bigint", "-9223372036854775808" }, { "bigint", "9223372036854775807" }, { "counter", "-3" },
		{ "smallint", "-32768" }, { "tinyint", "127" },
		{ "varint", "0" }, { "varint", "-1" }, { "varint", "128" },
		{ "varint", "123456789012345678901234567890123456789012345678901234567890" },
		{ "varint", "-98765432109876543210987654321098765432109876543210" },
		{ "decimal", "0" }, { "decimal", "-1.5" }, { "decimal", "0.1" },
		{ "double", "0.1" }, { "double", "-1.7976931348623157e308" }, { "double", "4.9e-324" },
		{ "double", "123456789.123" }, { "double", "-0.0" }, { "double", "1e22" },
		{ "float", "0.1" }, { "float", "1.4e-45" }, { "float", "-3.4028235e38" }, { "float", "16777216" },
		{ "boolean", "true" }, { "boolean", "false" },
		{ "text", "" }, { "text", "h\xc3\xa9llo \"w\\o/rld\"\n\t\x01\x1f \xf0\x9f\x98\x80 \xe2\x80\xa8" },
		{ "ascii", "plain \x7f ascii" }, { "blob", "0x" }, { "blob", "0x00ff10" },
		{ "uuid", "6bddc89a-5644-11e4-97fc-56847afe9799" }, { "timeuuid", "6bddc89a-5644-11e4-97fc-56847afe9799" },
		{ "inet", "10.1.2.3" }, { "inet", "fe80::1:2" },
		{ "timestamp", "0" }, { "timestamp", "-1" }, { "timestamp", "1900-02-28 23:59:59.999Z" },
		{ "timestamp", "1600-01-01" }, { "timestamp", "2038-01-19 03:14:08Z" }, { "timestamp", "99999-12-31" },
		{ "date", "1970-01-01" }, { "date", "1582-10-04" }, { "date", "-0044-03-15" }, { "date", "+10000-01-01" },
		{ "date", "0" }, { "date", "4294967295" },
		{ "time", "0" }, { "time", "86399999999999" }, { "time", "12:34:56.000000001" },
		{ "duration", "1y2mo3d4h5m6s7ms8us9ns" }, { "duration", "-1y2mo3d4h5m6s7ms8us9ns" },
		{ "duration", "-10ns" }, { "duration", "3w" },
	};
	static const char *const composites[][2] = {
		{ "frozen<list<frozen<list<int>>>>", "[[1, 2], [], [-3]]" },
		{ "set<frozen<set<text>>>", "[[\"b\", \"a\"], [], [\"z\"]]" },
		{ "map<int, frozen<map<text, double>>>", "{\"-5\": {\"x\": 1.5, \"y\": -0.0}, \"10\": {}}" },
		{ "map<frozen<list<int>>, text>", "{\"[2, 1]\": \"b\", \"[1]\": \"a\"}" },
		{ "map<frozen<address>, frozen<tuple<int, text>>>", "{\"{\\\"zip\\\": 1}\": [1, null]}" },
		{ "map<timestamp, date>", "{\"1969-07-20 20:17:40.000Z\": \"1969-07-21\"}" },
		{ "map<uuid, blob>", "{\"6bddc89a-5644-11e4-97fc-56847afe9799\": \"0xcafe\"}" },
		{ "tuple<int, text, frozen<list<varint>>, duration>", "[null, \"\\u00e9\", [123456789012345678901234567890], \"-1d\"]" },
		{ "frozen<address>", "{\"street\": \"x\\\"y\", \"zip\": null}" },
		{ "list<frozen<tuple<float, inet>>>", "[[1.5, \"::1\"], [null, null]]" },
		{ "frozen<map<text, frozen<list<frozen<set<frozen<tuple<int, text>>>>>>>>",
		  "{\"deep\": [[[2, \"b\"], [1, \"a\"]], []]}" },
	};
	size_t i;

	for (i = 0; i < sizeof natives / sizeof natives[0]; i++)
		CHECK(round_trip_str(natives[i][0], natives[i][1]));
	for (i = 0; i < sizeof composites / sizeof composites[0]; i++)
		CHECK(round_trip_json(composites[i][0], composites[i][1]));
}

static void test_empty_fixed_values(void)
{
	hl_buf b;
	hl_buf_init(&b);
	static const uint8_t one[1] = { 1 };
	/* a zero-length boolean must not be read (it was read before its size was checked) */
	CHECK(ty_to_json(ty_simple(TY_BOOLEAN), one, 1, &b) == 0);
	CHECK(b.len == 4 && memcmp(b.p, "true", 4) == 0);
	hl_buf_reset(&b);
	CHECK(ty_to_json(ty_simple(TY_INT), one, 1, &b) < 0);
	hl_buf_free(&b);
}

int main(void)
{
	test_empty_fixed_values();
	static const char *fields[] = { "street", "zip" };
	const ty_type *ftypes[2];

	A = hl_arena_new(1 << 16);
	ftypes[0] = ty_simple(TY_TEXT);
	ftypes[1] = ty_simple(TY_INT);
	addr_udt = ty_udt(A, "ks", "address", 2, fields, ftypes, false);

	test_parse_format();
	test_options();
	test_literals();
	test_from_string();
	test_validate();
	test_compare();
	test_composites();
	test_compatible();
	test_random_bytes();
	test_json_output();
	test_json_input();
	test_json_malformed();
	test_json_object();
	test_json_round_trips();
	hl_arena_free(A);
	return T_DONE();
}
