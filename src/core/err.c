/*
 * core/err.c: the caller-supplied error struct (hl_err) that carries a CQL
 * error code and message from wherever a failure happens to the transport.
 */
#include "core.h"

#include <stdio.h>
#include <string.h>

/*
 * vsnprintf may cut the message inside a multi-byte UTF-8 sequence; the
 * message goes to clients as a protocol [string], which drivers decode as
 * UTF-8, so drop any incomplete trailing sequence rather than send garbage.
 */
static void trim_partial_utf8(char *s, size_t len)
{
	size_t i = len, start;
	unsigned char c;
	size_t need;

	/* Walk back over continuation bytes to the last lead byte. */
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && len - i < 3)
		i--;
	if (i == 0)
		return;
	start = i - 1;
	c = (unsigned char)s[start];
	if (c < 0x80)
		return;
	if ((c & 0xE0) == 0xC0)
		need = 2;
	else if ((c & 0xF0) == 0xE0)
		need = 3;
	else if ((c & 0xF8) == 0xF0)
		need = 4;
	else
		need = 1;
	if (len - start < need)
		s[start] = '\0';
}

int hl_errf(hl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	else if ((size_t)n >= sizeof err->msg)
		trim_partial_utf8(err->msg, sizeof err->msg - 1);
	return -1;
}

void hl_err_clear(hl_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}
