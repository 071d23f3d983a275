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

int main(void)
{
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
	hl_arena_free(A);
	return T_DONE();
}
