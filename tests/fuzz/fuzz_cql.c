/*
 * libFuzzer target for the CQL parser: arbitrary bytes in, a statement or a
 * syntax/invalid error out, never a crash, leak, hang or malformed message.
 */
#include "cql/cql.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_arena *a = hl_arena_new(4096);
	cql_stmt *st = NULL;
	hl_err err;
	int rc;

	hl_err_clear(&err);
	rc = cql_parse((const char *)data, size, a, &st, &err);
	if (rc == 0) {
		if (!st || st->nbind < 0)
			abort();
		for (int i = 0; i < st->nbind; i++)
			if (st->bind_names[i])
				(void)strlen(st->bind_names[i]);
	} else {
		/* every failure names a code and carries a UTF-8 message */
		if ((err.code != HL_ERR_SYNTAX && err.code != HL_ERR_INVALID) || !err.msg[0] ||
		    !hl_utf8_valid(err.msg, strlen(err.msg)))
			abort();
	}
	hl_arena_free(a);
	return 0;
}
