/*
 * tools/cql_int.h: private to the shell (src/tools/cql*.c).
 *
 * cql.c       flags, connection, the read-split-dispatch loop, libedit
 * cql_fmt.c   cell formatting and the table / vertical printers (cqlsh's look)
 * cql_cmd.c   the shell's own commands (DESCRIBE, CONSISTENCY, PAGING, ...)
 * cql_copy.c  COPY options, CSV, COPY TO (cql_copy_int.h: private to COPY)
 * cql_copy_from.c  COPY FROM
 */
#ifndef HL_CQL_INT_H
#define HL_CQL_INT_H

#include <stdio.h>

#include "client/client.h"
#include "core/core.h"
#include "types/types.h"

/* cqlsh's colours (displaying.py). */
#define C_RED "\033[0;1;31m"
#define C_GREEN "\033[0;1;32m"
#define C_YELLOW "\033[0;1;33m"
#define C_BLUE "\033[0;1;34m"
#define C_MAGENTA "\033[0;1;35m"
#define C_CYAN "\033[0;1;36m"
#define C_WHITE "\033[0;1;37m"
#define C_DARK_MAGENTA "\033[0;35m"
#define C_RESET "\033[0m"

typedef struct shell {
	cli_conn *conn;
	cli_opts opts;            /* kept for LOGIN */
	char *login_user, *login_pass;   /* owned copies after a LOGIN */
	char host[256], port[32];
	bool tty;                 /* interactive: prompts, banner, pauses */
	bool color;
	bool expand, paging, tracing;
	int page_size;
	int consistency, serial_consistency;
	FILE *out;                /* query output: stdout or the CAPTURE file */
	char *capture_name;
	bool shunted_color;
	const char *src_name;     /* "<stdin>" or the -f / SOURCE file, for error prefixes */
	int lineno;
	bool show_line_nums;
	bool error;               /* some statement failed (exit status 2 in batch mode) */
	bool stop;
	char *cluster_name, *release_version, *cql_version;
	int float_precision, double_precision;
	/* column roles of the last table printed in colour */
	char *role_ks, *role_table;
	char **role_names;
	char *role_kinds;         /* 'p' partition key, 'c' clustering, 's' static, 'r' regular */
	int nroles;
} shell;

/* One formatted cell: plain text, coloured text, terminal width. */
typedef struct fval {
	hl_buf s, c;
	size_t w;
} fval;

void fval_init(fval *v);
void fval_free(fval *v);

/* cql_fmt.c */
void fmt_cell(const shell *sh, const ty_type *t, const cli_cell *cell, fval *out);
void fmt_colname(const shell *sh, const char *name, const char *color, fval *out);
size_t fmt_width(const char *s, size_t n);
/* Print a ROWS page as cqlsh's table or vertical form; names/values pre-formatted. */
void print_table(shell *sh, fval *names, int ncols, fval *vals, int nrows, bool with_header);
void print_vertical(shell *sh, fval *names, int ncols, fval *vals, int nrows, int offset);
/* cmd.Cmd.columnize: names in as few rows as fit in width columns. */
void columnize(FILE *f, const char *const *names, int n, int width);

/* cql.c */
void sh_printerr(shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sh_write(shell *sh, const char *s);       /* a line to query output */
/* Print a server / client error as cqlsh does ("InvalidRequest: Error from server: ..."). */
void sh_report_error(shell *sh, const hl_err *err);
/* The same text without printing it ("InvalidRequest: Error from server: ..."). */
void sh_error_text(const shell *sh, const hl_err *err, hl_buf *out);
/* Run one CQL statement with the session's settings and print its result. */
bool sh_perform(shell *sh, const char *stmt, size_t len);
/* Reconnect if the connection broke (the next statement gets a fresh one). */
int sh_ensure_conn(shell *sh, hl_err *err);
/* Run statements read from f (SOURCE, -f): batch mode semantics. */
void sh_run_file(shell *sh, FILE *f, const char *name);
/* Execute, following every page (for DESCRIBE and internal queries); NULL on error (printed if report). */
cli_result *sh_query_all(shell *sh, const char *cql, int cl, hl_err *err);

/* Banner pieces (also SHOW HOST / SHOW VERSION). */
int sh_load_versions(shell *sh, hl_err *err);
void sh_show_host(shell *sh);
void sh_show_version(shell *sh);

/* cql_cmd.c */
/* Handle a shell command; returns false if stmt is not one (send it to the server). */
bool cmd_dispatch(shell *sh, const char *stmt, size_t len);

/* cql_copy.c */
void cmd_copy(shell *sh, const char *stmt, size_t len);

/* Shell tokens: words, 'strings' (unquoted), "identifiers", numbers, punctuation. */
typedef struct sh_tok {
	char kind;       /* 'w' word/identifier, 'q' quoted identifier, 's' string, 'n' number, 'p' punct */
	char *text;      /* unquoted text */
} sh_tok;
int sh_tokenize(const char *s, size_t n, sh_tok **out);   /* count, or -1 on an unclosed quote */
void sh_tokens_free(sh_tok *t, int n);

#endif
