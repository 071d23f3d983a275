/*
 * Minimal JSON: string escaping for writers, and a bounds-checked reader
 * that finds a top-level key of an object and returns its string or
 * array-of-strings value. Enough for the admin API's requests and answers;
 * anything else in the document is skipped over, never trusted.
 */
#include <string.h>

#include "core/core.h"

void hl_json_string(hl_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	hl_buf_u8(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': hl_buf_str(b, "\\\""); break;
		case '\\': hl_buf_str(b, "\\\\"); break;
		case '\n': hl_buf_str(b, "\\n"); break;
		case '\r': hl_buf_str(b, "\\r"); break;
		case '\t': hl_buf_str(b, "\\t"); break;
		default:
			if (c < 0x20) {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				hl_buf_put(b, e, 6);
			} else {
				hl_buf_u8(b, c);
			}
		}
	}
	hl_buf_u8(b, '"');
}

typedef struct jr {
	const char *p;
	size_t n, i;
	int depth;
} jr;

static void ws(jr *r)
{
	while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\t' || r->p[r->i] == '\n' ||
			       r->p[r->i] == '\r'))
		r->i++;
}

/* Parse a string at r->i; into out (may be NULL to skip). */
static int str(jr *r, hl_buf *out)
{
	if (r->i >= r->n || r->p[r->i] != '"')
		return -1;
	r->i++;
	while (r->i < r->n) {
		char c = r->p[r->i++];
		if (c == '"')
			return 0;
		if (c != '\\') {
			if ((unsigned char)c < 0x20)
				return -1;
			if (out)
				hl_buf_u8(out, (uint8_t)c);
			continue;
		}
		if (r->i >= r->n)
			return -1;
		c = r->p[r->i++];
		char o;
		switch (c) {
		case '"': o = '"'; break;
		case '\\': o = '\\'; break;
		case '/': o = '/'; break;
		case 'b': o = '\b'; break;
		case 'f': o = '\f'; break;
		case 'n': o = '\n'; break;
		case 'r': o = '\r'; break;
		case 't': o = '\t'; break;
		case 'u': {
			if (r->n - r->i < 4)
				return -1;
			int v = 0;
			for (int k = 0; k < 4; k++) {
				int h = hl_hexval(r->p[r->i + (size_t)k]);
				if (h < 0)
					return -1;
				v = v * 16 + h;
			}
			r->i += 4;
			/* BMP code point as UTF-8 (surrogate pairs are not needed here) */
			if (out) {
				if (v < 0x80) {
					hl_buf_u8(out, (uint8_t)v);
				} else if (v < 0x800) {
					hl_buf_u8(out, (uint8_t)(0xc0 | (v >> 6)));
					hl_buf_u8(out, (uint8_t)(0x80 | (v & 0x3f)));
				} else {
					hl_buf_u8(out, (uint8_t)(0xe0 | (v >> 12)));
					hl_buf_u8(out, (uint8_t)(0x80 | ((v >> 6) & 0x3f)));
					hl_buf_u8(out, (uint8_t)(0x80 | (v & 0x3f)));
				}
			}
			continue;
		}
		default:
			return -1;
		}
		if (out)
			hl_buf_u8(out, (uint8_t)o);
	}
	return -1;
}

static int value(jr *r);

static int seq(jr *r, char close, bool object)
{
	if (++r->depth > 64)
		return -1;
	r->i++;
	ws(r);
	if (r->i < r->n && r->p[r->i] == close) {
		r->i++;
		r->depth--;
		return 0;
	}
	for (;;) {
		ws(r);
		if (object) {
			if (str(r, NULL) < 0)
				return -1;
			ws(r);
			if (r->i >= r->n || r->p[r->i] != ':')
				return -1;
			r->i++;
			ws(r);
		}
		if (value(r) < 0)
			return -1;
		ws(r);
		if (r->i >= r->n)
			return -1;
		if (r->p[r->i] == ',') {
			r->i++;
			continue;
		}
		if (r->p[r->i] == close) {
			r->i++;
			r->depth--;
			return 0;
		}
		return -1;
	}
}

static int value(jr *r)
{
	ws(r);
	if (r->i >= r->n)
		return -1;
	char c = r->p[r->i];
	if (c == '"')
		return str(r, NULL);
	if (c == '{')
		return seq(r, '}', true);
	if (c == '[')
		return seq(r, ']', false);
	/* numbers, true, false, null: a run of their characters */
	size_t s = r->i;
	while (r->i < r->n && strchr("+-.0123456789eEtruefalsn", r->p[r->i]))
		r->i++;
	return r->i > s ? 0 : -1;
}

/* Position r just after "key": in the top-level object. */
static int find_key(jr *r, const char *key)
{
	ws(r);
	if (r->i >= r->n || r->p[r->i] != '{')
		return -1;
	r->i++;
	for (;;) {
		ws(r);
		hl_buf k;
		hl_buf_init(&k);
		if (str(r, &k) < 0) {
			hl_buf_free(&k);
			return -1;
		}
		bool match = k.len == strlen(key) && memcmp(k.p, key, k.len) == 0;
		hl_buf_free(&k);
		ws(r);
		if (r->i >= r->n || r->p[r->i] != ':')
			return -1;
		r->i++;
		ws(r);
		if (match)
			return 0;
		if (value(r) < 0)
			return -1;
		ws(r);
		if (r->i >= r->n || r->p[r->i] != ',')
			return -1;
		r->i++;
	}
}

int hl_json_get_string(const char *json, size_t n, const char *key, hl_arena *a, char **out,
		       size_t *outlen)
{
	jr r = { json, n, 0, 0 };
	if (find_key(&r, key) < 0)
		return -1;
	hl_buf b;
	hl_buf_init(&b);
	if (str(&r, &b) < 0) {
		hl_buf_free(&b);
		return -1;
	}
	*out = hl_arena_strndup(a, b.p ? (const char *)b.p : "", b.len);
	if (outlen)
		*outlen = b.len;
	hl_buf_free(&b);
	return 0;
}

int hl_json_get_strings(const char *json, size_t n, const char *key, hl_arena *a, char ***out,
			int *count)
{
	jr r = { json, n, 0, 0 };
	if (find_key(&r, key) < 0 || r.i >= r.n || r.p[r.i] != '[')
		return -1;
	r.i++;
	int cap = 8, cnt = 0;
	char **v = hl_arena_alloc(a, sizeof(char *) * (size_t)cap);
	ws(&r);
	if (r.i < r.n && r.p[r.i] == ']') {
		*out = v;
		*count = 0;
		return 0;
	}
	for (;;) {
		ws(&r);
		hl_buf b;
		hl_buf_init(&b);
		if (str(&r, &b) < 0) {
			hl_buf_free(&b);
			return -1;
		}
		if (cnt == cap) {
			char **nv = hl_arena_alloc(a, sizeof(char *) * (size_t)cap * 2);
			memcpy(nv, v, sizeof(char *) * (size_t)cap);
			v = nv;
			cap *= 2;
		}
		v[cnt++] = hl_arena_strndup(a, b.p ? (const char *)b.p : "", b.len);
		hl_buf_free(&b);
		ws(&r);
		if (r.i >= r.n)
			return -1;
		if (r.p[r.i] == ',') {
			r.i++;
			continue;
		}
		if (r.p[r.i] == ']')
			break;
		return -1;
	}
	*out = v;
	*count = cnt;
	return 0;
}
