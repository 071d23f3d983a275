/* client/cli_int.h: private to src/client. */
#ifndef HL_CLI_INT_H
#define HL_CLI_INT_H

#include "client/client.h"

/* Largest v5 segment payload (17-bit length). */
#define CLI_SEG_MAX 131071

void cli__encode_params(hl_buf *out, int version, const cli_qopts *q, const cli_value *vals,
			int nvals, bool execute);

#endif
