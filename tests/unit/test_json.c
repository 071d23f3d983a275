/* Unit tests of core's minimal JSON reader/writer (the admin API's). */
#include <string.h>

#include "core/core.h"
#include "t.h"

int main(void)
{
	hl_arena *a = hl_arena_new(4096);
	hl_buf b;
	hl_buf_init(&b);
	hl_json_string(&b, "a\"b\\c\n\x01", 7);
	CHECK(b.len == 17 && memcmp(b.p, "\"a\\\"b\\\\c\\n\\u0001\"", 17) == 0);
	hl_buf_free(&b);

	const char *doc = "{ \"x\": {\"y\": [1, true, null, \"z\"]}, \"args\" : [\"status\", \"a\\u00e9\\n\"],"
			  " \"output\": \"line\\tone\" }";
	char **v;
	int n;
	CHECK(hl_json_get_strings(doc, strlen(doc), "args", a, &v, &n) == 0);
	CHECK_EQ_I64(n, 2);
	CHECK_STR(v[0], "status");
	CHECK_STR(v[1], "a\xc3\xa9\n");
	char *s;
	size_t l;
	CHECK(hl_json_get_string(doc, strlen(doc), "output", a, &s, &l) == 0);
	CHECK_STR(s, "line\tone");
	CHECK(hl_json_get_string(doc, strlen(doc), "missing", a, &s, &l) < 0);
	CHECK(hl_json_get_strings(doc, strlen(doc), "output", a, &v, &n) < 0);
	/* malformed or truncated documents never read past their end */
	static const char *bad[] = { "", "{", "{\"args\"", "{\"args\":", "{\"args\": [\"a\"",
				     "{\"args\": [\"a\\", "{\"args\": [\"\\u12\"]}", "[\"args\"]",
				     "{\"args\": [1]}", "{\"x\": [[[[" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(hl_json_get_strings(bad[i], strlen(bad[i]), "args", a, &v, &n) < 0);
	/* deep nesting is refused, not recursed into */
	hl_buf d;
	hl_buf_init(&d);
	hl_buf_str(&d, "{\"x\": ");
	for (int i = 0; i < 1000; i++)
		hl_buf_u8(&d, '[');
	CHECK(hl_json_get_strings((const char *)d.p, d.len, "args", a, &v, &n) < 0);
	hl_buf_free(&d);
	hl_arena_free(a);
	return T_DONE();
}
