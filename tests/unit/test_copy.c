/*
 * Unit tests for the shell's COPY helpers (src/tools/cql_copy*.c): Python
 * strptime / strftime for DATETIMEFORMAT, CSV records, and the conversion of
 * cqlsh's text of every kind of value back to bytes, with its errors.
 * COPY end to end: tests/integration/test_copy.py.
 */
#include "t.h"
#include "tools/cql_copy_int.h"

#include <stdlib.h>

/*
 * The shell's entry points COPY calls, stubbed so this test does not link
 * the shell itself (and libedit with it).
 */
void sh_printerr(shell *sh, const char *fmt, ...)
{
	(void)sh;
	(void)fmt;
}
void sh_error_text(const shell *sh, const hl_err *err, hl_buf *out)
{
	(void)sh;
	hl_buf_str(out, err->msg);
}
void sh_report_error(shell *sh, const hl_err *err)
{
	(void)sh;
	(void)err;
}
int sh_ensure_conn(shell *sh, hl_err *err)
{
	(void)sh;
	return hl_errf(err, CLI_ERR_USAGE, "no connection in unit tests");
}
cli_result *sh_query_all(shell *sh, const char *cql, int cl, hl_err *err)
{
	(void)sh;
	(void)cql;
	(void)cl;
	hl_errf(err, CLI_ERR_USAGE, "no connection in unit tests");
	return NULL;
}
int sh_tokenize(const char *s, size_t n, sh_tok **out)
{
	(void)s;
	(void)n;
	*out = NULL;
	return 0;
}
void sh_tokens_free(sh_tok *t, int n)
{
	(void)n;
	free(t);
}

static copy_opts opts(void)
{
	copy_opts o;

	memset(&o, 0, sizeof o);
	o.delim = ',';
	o.quote = '"';
	o.escape = '\\';
	o.null = (char *)"";
	o.bool_true = (char *)"True";
	o.bool_false = (char *)"False";
	o.decimalsep = '.';
	return o;
}

/* Convert s for type name tn; the CQL literal of the result, or "ERR: message". */
static char *conv(const copy_opts *o, const char *tn, const char *s)
{
	static char out[700];
	hl_arena *a = hl_arena_new(1024);
	const ty_type *t;
	hl_buf b, lit;
	hl_err err;

	hl_buf_init(&b);
	hl_buf_init(&lit);
	if (!strncmp(tn, "addr", 4)) {
		const char *names[] = { "street", "num" };
		const ty_type *types[] = { ty_simple(TY_TEXT), ty_simple(TY_INT) };

		t = ty_udt(a, "ks", "addr", 2, names, types, true);
	} else if (ty_parse(tn, strlen(tn), a, NULL, NULL, "ks", &t, &err)) {
		snprintf(out, sizeof out, "bad type %s", tn);
		goto done;
	}
	if (cp_conv_field(o, t, s, strlen(s), &b, &err))
		snprintf(out, sizeof out, "ERR: %.600s", err.msg);
	else if (ty_to_cql(t, b.p, b.len, &lit))
		snprintf(out, sizeof out, "malformed");
	else
		snprintf(out, sizeof out, "%.*s", (int)lit.len, (const char *)lit.p);
done:
	hl_buf_free(&b);
	hl_buf_free(&lit);
	hl_arena_free(a);
	return out;
}

static void test_datetime(void)
{
	int64_t ms = 0;
	hl_buf b;

	CHECK(cp_parse_datetime(DEFAULT_DTFMT, "2020-01-02 03:04:05.678000+0000", &ms));
	CHECK_EQ_I64(ms, 1577934245678LL);
	CHECK(cp_parse_datetime(DEFAULT_DTFMT, "2020-01-02 03:04:05.678+0130", &ms));
	CHECK_EQ_I64(ms, 1577934245678LL - 5400000);
	CHECK(cp_parse_datetime("%d/%m/%Y %H:%M", "04/03/2021 05:06", &ms));
	CHECK_EQ_I64(ms, 1614834360000LL);
	CHECK(cp_parse_datetime("%Y-%m-%d", "1969-12-31", &ms));
	CHECK_EQ_I64(ms, -86400000LL);
	CHECK(!cp_parse_datetime("%Y-%m-%d", "2020-13-01", &ms));
	CHECK(!cp_parse_datetime("%Y-%m-%d", "2020-01-01 extra", &ms));
	CHECK(!cp_parse_datetime("%Y-%m-%d %Q", "2020-01-01 x", &ms));

	hl_buf_init(&b);
	cp_format_datetime(&b, DEFAULT_DTFMT, 1577934245678LL);
	hl_buf_u8(&b, 0);
	CHECK_STR((const char *)b.p, "2020-01-02 03:04:05.678000+0000");
	hl_buf_reset(&b);
	cp_format_datetime(&b, DEFAULT_DTFMT, -1);
	hl_buf_u8(&b, 0);
	CHECK_STR((const char *)b.p, "1969-12-31 23:59:59.999000+0000");
	hl_buf_reset(&b);
	cp_format_datetime(&b, "%d/%m/%Y %%f", 0);
	hl_buf_u8(&b, 0);
	CHECK_STR((const char *)b.p, "01/01/1970 %f");
	hl_buf_free(&b);
}

static int record(const copy_opts *o, const char *text, char fields[][32], int max)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	hl_buf rec;
	int n, off = 0;

	hl_buf_init(&rec);
	n = cp_csv_record(f, o, &rec);
	for (int i = 0; i < n && i < max; i++) {
		snprintf(fields[i], 32, "%s", (const char *)rec.p + off);
		off += (int)strlen((const char *)rec.p + off) + 1;
	}
	hl_buf_free(&rec);
	fclose(f);
	return n;
}

static void test_csv(void)
{
	copy_opts o = opts();
	char f[8][32];
	hl_buf b;

	CHECK_EQ_I64(record(&o, "a,\"b,c\",\"d\\\"e\",\"x\ny\",\n", f, 8), 5);
	CHECK_STR(f[0], "a");
	CHECK_STR(f[1], "b,c");
	CHECK_STR(f[2], "d\"e");
	CHECK_STR(f[3], "x\ny");
	CHECK_STR(f[4], "");
	CHECK_EQ_I64(record(&o, "", f, 8), 0);
	CHECK_EQ_I64(record(&o, "last", f, 8), 1);
	CHECK_STR(f[0], "last");
	o.escape = '"';   /* QUOTE = ESCAPE: doubled quotes */
	CHECK_EQ_I64(record(&o, "\"d\"\"e\"|x\r\n", f, 8), 1);
	CHECK_STR(f[0], "d\"e|x");
	o.delim = '|';
	CHECK_EQ_I64(record(&o, "\"d\"\"e\"|x\r\n", f, 8), 2);
	CHECK_STR(f[0], "d\"e");
	CHECK_STR(f[1], "x");

	hl_buf_init(&b);
	o = opts();
	cp_csv_field(&b, &o, "plain", 5);
	hl_buf_u8(&b, ',');
	cp_csv_field(&b, &o, "a,\"b\"\n", 6);
	hl_buf_u8(&b, 0);
	CHECK_STR((const char *)b.p, "plain,\"a,\\\"b\\\"\n\"");
	hl_buf_free(&b);
}

static void test_convert(void)
{
	copy_opts o = opts();

	CHECK_STR(conv(&o, "int", "42"), "42");
	CHECK_STR(conv(&o, "int", "x"), "ERR: Failed to parse x : Unable to make int from 'x'");
	CHECK_STR(conv(&o, "boolean", "True"), "true");
	CHECK_STR(conv(&o, "boolean", "false"), "false");
	CHECK_STR(conv(&o, "list<text>", "['a', 'b''c', '']"), "['a', 'b''c', '']");
	CHECK_STR(conv(&o, "list<text>", "['a\\\\b\\tc', 'x\\x01']"), "['a\\b\tc', 'x\x01']");
	CHECK_STR(conv(&o, "list<int>", "[]"), "[]");
	CHECK_STR(conv(&o, "set<int>", "{3, 1, 2}"), "{1, 2, 3}");
	CHECK_STR(conv(&o, "map<int, text>", "{1: 'x', 2: 'y: z'}"), "{1: 'x', 2: 'y: z'}");
	CHECK_STR(conv(&o, "map<text, frozen<list<int>>>", "{'k': [1, 2], 'j': []}"),
		  "{'j': [], 'k': [1, 2]}");
	CHECK_STR(conv(&o, "tuple<int, text, boolean>", "(1, 'a', None)"), "(1, 'a', null)");
	CHECK_STR(conv(&o, "tuple<int, text>", "(1)"), "(1, null)");
	CHECK_STR(conv(&o, "list<time>", "[08:12:54.123456789, 00:00:01]"),
		  "['08:12:54.123456789', '00:00:01.000000000']");
	CHECK_STR(conv(&o, "map<time, int>", "{08:12:54.000000000: 1}"),
		  "{'08:12:54.000000000': 1}");
	CHECK_STR(conv(&o, "list<timestamp>", "['2020-01-02 03:04:05.678000+0000']"),
		  "['2020-01-02 03:04:05.678000+0000']");
	CHECK_STR(conv(&o, "addr", "{street: 'Main', num: 5}"), "{street: 'Main', num: 5}");
	CHECK_STR(conv(&o, "addr", "{num: 5}"), "{street: null, num: 5}");
	CHECK_STR(conv(&o, "addr", "{street: null, num: 5}"), "{street: null, num: 5}");
	CHECK_STR(conv(&o, "addr", "{nope: 1}"), "ERR: Failed to parse {nope: 1} : unknown field nope");
	CHECK_STR(conv(&o, "set<text>", "{'b', 'a', 'b'}"), "{'a', 'b'}");
	CHECK_STR(conv(&o, "map<int, text>", "{2: 'x', 1: 'y', 2: 'z'}"), "{1: 'y', 2: 'z'}");
	CHECK(!strncmp(conv(&o, "list<int>", "[1, z]"), "ERR: Failed to parse [1, z] : ", 30));
	CHECK(!strncmp(conv(&o, "list<text>", "['open"), "ERR: Failed to parse ['open : ", 30));
	CHECK(!strncmp(conv(&o, "list<int>", "[1] extra"), "ERR: ", 5));
	CHECK(!strncmp(conv(&o, "list<int>", "[1, null]"), "ERR: ", 5));
	CHECK(!strncmp(conv(&o, "tuple<int>", "(1, 2)"), "ERR: ", 5));
	CHECK(!strncmp(conv(&o, "list<int>", "7"), "ERR: ", 5));
	CHECK(!strncmp(conv(&o, "list<int>", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1"), "ERR: ", 5));
	CHECK_STR(conv(&o, "timestamp", "2020-01-02 03:04:05.678000+0000"),
		  "'2020-01-02 03:04:05.678000+0000'");
	CHECK_STR(conv(&o, "timestamp", "1500000000000"), "'2017-07-14 02:40:00.000000+0000'");
	CHECK_STR(conv(&o, "timestamp", "2020-01-02"), "'2020-01-02 00:00:00.000000+0000'");
	CHECK_STR(conv(&o, "timestamp", "garbage"),
		  "ERR: Failed to parse garbage : can't interpret 'garbage' as a date with format "
		  "%Y-%m-%d %H:%M:%S.%f%z or as int");
	o.bool_true = (char *)"yes";
	o.bool_false = (char *)"no";
	CHECK_STR(conv(&o, "boolean", "YES"), "true");
	CHECK_STR(conv(&o, "boolean", "no"), "false");
	CHECK_STR(conv(&o, "boolean", "true"), "true");
	o.decimalsep = ',';
	o.thousandssep = '.';
	CHECK_STR(conv(&o, "double", "1.234.567,25"), "1234567.25");
	CHECK_STR(conv(&o, "varint", "1.234.567"), "1234567");
}

int main(void)
{
	test_datetime();
	test_csv();
	test_convert();
	return T_DONE();
}
