/*
 * tools/cql_cmd.c: the commands the shell answers itself (cqlsh's do_*),
 * with cqlsh's wording so scripts that grep its output keep working:
 * CONSISTENCY, SERIAL CONSISTENCY, TRACING, EXPAND, PAGING, SHOW, SOURCE,
 * CAPTURE, LOGIN, HELP, EXIT/QUIT, CLEAR, and DESCRIBE (sent to the server,
 * printed from its rows as cqlsh does). COPY lives in cql_copy.c.
 */
#include "tools/cql_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- tokens */

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || (unsigned char)c >= 0x80;
}

int sh_tokenize(const char *s, size_t n, sh_tok **out)
{
	sh_tok *t = NULL;
	int nt = 0;
	size_t i = 0;

	while (i < n) {
		char c = s[i];
		hl_buf b;
		char kind;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		hl_buf_init(&b);
		if (c == '\'' || c == '"') {
			kind = c == '\'' ? 's' : 'q';
			for (i++;; i++) {
				if (i >= n) {
					hl_buf_free(&b);
					sh_tokens_free(t, nt);
					return -1;
				}
				if (s[i] == c) {
					if (i + 1 < n && s[i + 1] == c) {
						hl_buf_u8(&b, (uint8_t)c);
						i++;
						continue;
					}
					i++;
					break;
				}
				hl_buf_u8(&b, (uint8_t)s[i]);
			}
		} else if (is_word(c)) {
			kind = (c >= '0' && c <= '9') || c == '-' ? 'n' : 'w';
			while (i < n && is_word(s[i])) {
				if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] == '-' && kind == 'n' && b.len == 0))
					kind = 'w';
				hl_buf_u8(&b, (uint8_t)s[i++]);
			}
		} else {
			kind = 'p';
			hl_buf_u8(&b, (uint8_t)s[i++]);
		}
		hl_buf_u8(&b, 0);
		t = hl_realloc(t, sizeof *t * (size_t)(nt + 1));
		t[nt].kind = kind;
		t[nt].text = (char *)b.p;
		nt++;
	}
	/* the terminating ';' is not an argument */
	if (nt && t[nt - 1].kind == 'p' && !strcmp(t[nt - 1].text, ";")) {
		free(t[nt - 1].text);
		nt--;
	}
	*out = t;
	return nt;
}

void sh_tokens_free(sh_tok *t, int n)
{
	for (int i = 0; i < n; i++)
		free(t[i].text);
	free(t);
}

static bool is(const sh_tok *t, const char *w)
{
	return (t->kind == 'w' || t->kind == 'n') && !strcasecmp(t->text, w);
}

static void improper(shell *sh, const char *cmd)
{
	sh_printerr(sh, "Improper %s command.", cmd);
}

/* ---------------------------------------------------------------- switches */

/* cqlsh's SwitchCommand: ON / OFF / show. Returns the new state. */
static bool switch_cmd(shell *sh, const char *cmd, const char *desc, bool state, const sh_tok *arg)
{
	if (!arg) {
		if (state)
			printf("%s is currently enabled. Use %s OFF to disable\n", desc, cmd);
		else
			printf("%s is currently disabled. Use %s ON to enable.\n", desc, cmd);
		return state;
	}
	if (is(arg, "on")) {
		if (state) {
			sh_printerr(sh, "%s is already enabled. Use %s OFF to disable.", desc, cmd);
			return state;
		}
		printf("Now %s is enabled\n", desc);
		return true;
	}
	if (is(arg, "off")) {
		if (!state) {
			sh_printerr(sh, "%s is not enabled.", desc);
			return state;
		}
		printf("Disabled %s.\n", desc);
		return false;
	}
	return state;
}

static void do_switch(shell *sh, const char *cmd, sh_tok *t, int nt, bool *state, const char *desc)
{
	if (nt > 2 || (nt == 2 && !is(&t[1], "on") && !is(&t[1], "off"))) {
		improper(sh, cmd);
		return;
	}
	*state = switch_cmd(sh, cmd, desc, *state, nt == 2 ? &t[1] : NULL);
}

static void do_paging(shell *sh, sh_tok *t, int nt)
{
	if (nt > 2 || (nt == 2 && !is(&t[1], "on") && !is(&t[1], "off") && t[1].kind != 'n')) {
		improper(sh, "paging");
		return;
	}
	if (nt == 2 && t[1].kind == 'n') {
		long v = strtol(t[1].text, NULL, 10);

		if (v <= 0 || v > 1000000000) {
			improper(sh, "paging");
			return;
		}
		sh->paging = true;
		sh->page_size = (int)v;
	} else {
		sh->paging = switch_cmd(sh, "PAGING", "Query paging", sh->paging, nt == 2 ? &t[1] : NULL);
	}
	if (sh->paging)
		printf("Page size: %d\n", sh->page_size);
	else
		sh->page_size = 100;
}

static void do_consistency(shell *sh, sh_tok *t, int nt, bool serial)
{
	const char *cmd = serial ? "serial" : "consistency";
	int first = serial ? 2 : 1;
	int cl;

	if (serial && (nt < 2 || !is(&t[1], "consistency"))) {
		improper(sh, cmd);
		return;
	}
	if (nt == first) {
		printf(serial ? "Current serial consistency level is %s.\n"
			      : "Current consistency level is %s.\n",
		       cli_cl_name(serial ? sh->serial_consistency : sh->consistency));
		return;
	}
	if (nt != first + 1 || t[first].kind != 'w' || (cl = cli_cl_parse(t[first].text)) < 0 ||
	    (serial && cl != CLI_CL_SERIAL && cl != CLI_CL_LOCAL_SERIAL)) {
		improper(sh, cmd);
		return;
	}
	if (serial)
		sh->serial_consistency = cl;
	else
		sh->consistency = cl;
	printf(serial ? "Serial consistency level set to %s.\n" : "Consistency level set to %s.\n",
	       cli_cl_name(cl));
}

/* ---------------------------------------------------------------- files */

static char *expand_user(const char *p)
{
	const char *home = getenv("HOME");
	char *r = NULL;

	if (p[0] == '~' && (p[1] == '/' || !p[1]) && home) {
		if (asprintf(&r, "%s%s", home, p + 1) < 0)
			r = NULL;
		return r ? r : hl_strdup(p);
	}
	return hl_strdup(p);
}

static void do_source(shell *sh, sh_tok *t, int nt)
{
	char *path;
	FILE *f;

	if (nt != 2 || t[1].kind != 's') {
		improper(sh, "source");
		return;
	}
	path = expand_user(t[1].text);
	f = fopen(path, "r");
	if (!f) {
		int e = errno;

		sh_printerr(sh, "Could not open '%s': [Errno %d] %s: '%s'", path, e, strerror(e), path);
		free(path);
		return;
	}
	sh_run_file(sh, f, path);
	fclose(f);
	free(path);
}

static void do_capture(shell *sh, sh_tok *t, int nt)
{
	char *path;
	FILE *f;

	if (nt == 1) {
		if (sh->capture_name)
			printf("Currently capturing query output to '%s'.\n", sh->capture_name);
		else
			printf("Currently not capturing query output.\n");
		return;
	}
	if (nt != 2 || (t[1].kind != 's' && !is(&t[1], "off"))) {
		improper(sh, "capture");
		return;
	}
	if (t[1].kind != 's') {
		if (!sh->capture_name) {
			sh_printerr(sh, "Not currently capturing output.");
			return;
		}
		fclose(sh->out);
		sh->out = stdout;
		sh->color = sh->shunted_color;
		free(sh->capture_name);
		sh->capture_name = NULL;
		return;
	}
	if (sh->capture_name) {
		sh_printerr(sh, "Already capturing output to %s. Use CAPTURE OFF to disable.",
			    sh->capture_name);
		return;
	}
	path = expand_user(t[1].text);
	f = fopen(path, "a");
	if (!f) {
		int e = errno;

		sh_printerr(sh, "Could not open '%s' for append: [Errno %d] %s: '%s'", path, e,
			    strerror(e), path);
		free(path);
		return;
	}
	sh->out = f;
	sh->capture_name = path;
	sh->shunted_color = sh->color;
	sh->color = false;
	printf("Now capturing query output to '%s'.\n", path);
}

/* ---------------------------------------------------------------- login */

static void do_login(shell *sh, sh_tok *t, int nt)
{
	cli_opts o = sh->opts;
	cli_conn *c;
	hl_err err;
	char *user, *pass = NULL;

	if (nt < 2 || nt > 3 || (t[1].kind != 'w' && t[1].kind != 'q') || (nt == 3 && t[2].kind != 's')) {
		improper(sh, "login");
		return;
	}
	if (nt == 2) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t got;

		/* getpass is obsolete; read a line with the terminal's echo as it is */
		fputs("Password: ", stdout);
		fflush(stdout);
		got = getline(&line, &cap, stdin);
		if (got < 0) {
			free(line);
			return;
		}
		if (got && line[got - 1] == '\n')
			line[got - 1] = 0;
		pass = line;
	} else {
		pass = hl_strdup(t[2].text);
	}
	user = hl_strdup(t[1].text);
	o.username = user;
	o.password = pass;
	o.keyspace = cli_keyspace(sh->conn);
	o.protocol = cli_protocol(sh->conn);
	if (cli_connect(&o, &c, &err)) {
		if (err.code == HL_ERR_BAD_CREDENTIALS)
			sh_printerr(sh, "AuthenticationFailed: Failed to authenticate to %s:%s: Error from "
				    "server: code=0100 [Bad credentials] message=\"%s\"", sh->host,
				    sh->port, err.msg);
		else
			sh_report_error(sh, &err);
		free(user);
		free(pass);
		return;
	}
	cli_close(sh->conn);
	sh->conn = c;
	free(sh->login_user);
	free(sh->login_pass);
	sh->login_user = user;
	sh->login_pass = pass;
	sh->opts.username = user;
	sh->opts.password = pass;
}

/* ---------------------------------------------------------------- help */

static const struct {
	const char *topic, *text;
} shell_help[] = {
	{ "CAPTURE", "CAPTURE '<file>'; CAPTURE OFF; CAPTURE;\n\n"
		     "  Appends query output to a file instead of showing it (errors still show).\n"
		     "  CAPTURE OFF stops; CAPTURE alone tells where output goes.\n" },
	{ "CLEAR", "CLEAR / CLS\n\n  Clears the console.\n" },
	{ "CLS", "CLEAR / CLS\n\n  Clears the console.\n" },
	{ "CONSISTENCY", "CONSISTENCY [<level>]\n\n"
			 "  Sets the consistency level of later requests (default ONE), or shows it.\n"
			 "  Levels: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM,\n"
			 "  EACH_QUORUM, SERIAL and LOCAL_SERIAL.\n" },
	{ "COPY", "COPY <table> [(<column>, ...)] TO '<file>' [WITH <option>='<value>' [AND ...]];\n"
		  "COPY <table> [(<column>, ...)] FROM '<file>' [WITH <option>='<value>' [AND ...]];\n\n"
		  "  Exports a table to CSV or imports CSV into it.\n"
		  "  Both ways: DELIMITER, QUOTE, ESCAPE, HEADER, NULL, DATETIMEFORMAT,\n"
		  "  BOOLSTYLE, DECIMALSEP, THOUSANDSSEP, MAXROWS, NUMPROCESSES, MAXATTEMPTS,\n"
		  "  REPORTFREQUENCY.\n"
		  "  TO: PAGESIZE, MAXREQUESTS, BEGINTOKEN, ENDTOKEN, FLOATPRECISION,\n"
		  "  DOUBLEPRECISION.\n"
		  "  FROM: SKIPROWS, SKIPCOLS, CHUNKSIZE, MAXBATCHSIZE, PREPAREDSTATEMENTS, TTL,\n"
		  "  MAXPARSEERRORS, MAXINSERTERRORS, ERRFILE.\n" },
	{ "DESC", "DESCRIBE / DESC: see HELP DESCRIBE.\n" },
	{ "DESCRIBE", "DESCRIBE KEYSPACES | KEYSPACE [<ks>] | TABLES | TABLE <t> | TYPES | TYPE <t>\n"
		      "         | FUNCTIONS | AGGREGATES | INDEX <i> | CLUSTER | [FULL] SCHEMA | <name>\n\n"
		      "  Shows the schema as CQL statements that recreate it, or lists names.\n" },
	{ "EXIT", "EXIT / QUIT\n\n  Leaves the shell.\n" },
	{ "EXPAND", "EXPAND [ON | OFF]\n\n  Shows each row vertically (one line per column), or not.\n" },
	{ "HELP", "HELP [<topic> ...]\n\n  Lists the topics, or shows help on some.\n" },
	{ "LOGIN", "LOGIN <username> ['<password>']\n\n  Reconnects as another user.\n" },
	{ "PAGING", "PAGING [ON | OFF | <page size>]\n\n"
		    "  Interactive paging of query results (default ON, 100 rows a page).\n" },
	{ "SERIAL", "SERIAL CONSISTENCY [SERIAL | LOCAL_SERIAL]\n\n"
		    "  Sets the serial consistency of later conditional updates, or shows it.\n" },
	{ "SHOW", "SHOW VERSION | HOST\n\n  Shows the server's versions, or where the shell is connected.\n" },
	{ "SOURCE", "SOURCE '<file>'\n\n  Runs the statements of a file; errors do not stop it.\n" },
	{ "TRACING", "TRACING [ON | OFF]\n\n  Request tracing of later statements, or not.\n" },
	{ "UNICODE", "Text is shown as UTF-8; control characters appear as backslash escapes.\n" },
};

static const char *const cql_topics[] = {
	"AGGREGATES", "ALTER_KEYSPACE", "ALTER_MATERIALIZED_VIEW", "ALTER_TABLE", "ALTER_TYPE",
	"ALTER_USER", "APPLY", "ASCII", "BATCH", "BEGIN", "BLOB", "BOOLEAN", "COUNTER",
	"CREATE_AGGREGATE", "CREATE_COLUMNFAMILY", "CREATE_FUNCTION", "CREATE_INDEX",
	"CREATE_KEYSPACE", "CREATE_MATERIALIZED_VIEW", "CREATE_ROLE", "CREATE_TABLE",
	"CREATE_TRIGGER", "CREATE_TYPE", "CREATE_USER", "DATE", "DELETE", "DROP_AGGREGATE",
	"DROP_COLUMNFAMILY", "DROP_FUNCTION", "DROP_INDEX", "DROP_KEYSPACE",
	"DROP_MATERIALIZED_VIEW", "DROP_ROLE", "DROP_TABLE", "DROP_TRIGGER", "DROP_TYPE",
	"DROP_USER", "FUNCTIONS", "GRANT", "INSERT", "INSERT_JSON", "INT", "JSON", "KEYWORDS",
	"LIST_PERMISSIONS", "LIST_ROLES", "LIST_USERS", "PERMISSIONS", "REVOKE", "SELECT",
	"SELECT_JSON", "TEXT", "TIME", "TIMESTAMP", "TRUNCATE", "TYPES", "UPDATE", "USE", "UUID",
};

/* cmd.Cmd.print_topics: header, '=' ruler as long as the header string, columns, blank line. */
static void print_topics(const char *header, const char *const *names, int n)
{
	printf("%s\n", header);
	for (size_t i = 0; i < strlen(header); i++)
		putchar('=');
	putchar('\n');
	columnize(stdout, names, n, 79);
	putchar('\n');
}

static void do_help(shell *sh, sh_tok *t, int nt)
{
	size_t nsh = sizeof shell_help / sizeof shell_help[0];
	size_t ncql = sizeof cql_topics / sizeof cql_topics[0];

	if (nt == 1) {
		const char *names[sizeof shell_help / sizeof shell_help[0]];

		for (size_t i = 0; i < nsh; i++)
			names[i] = shell_help[i].topic;
		print_topics("\nDocumented shell commands:", names, (int)nsh);
		print_topics("CQL help topics:", cql_topics, (int)ncql);
		return;
	}
	for (int i = 1; i < nt; i++) {
		bool done = false;

		for (size_t k = 0; k < nsh && !done; k++)
			if (!strcasecmp(t[i].text, shell_help[k].topic)) {
				fputs(shell_help[k].text, stdout);
				done = true;
			}
		for (size_t k = 0; k < ncql && !done; k++)
			if (!strcasecmp(t[i].text, cql_topics[k])) {
				char anchor[64];
				size_t j;

				for (j = 0; cql_topics[k][j] && j + 1 < sizeof anchor; j++)
					anchor[j] = cql_topics[k][j] == '_' ? '-'
						  : (char)(cql_topics[k][j] | 0x20);
				anchor[j] = 0;
				sh_printerr(sh, "*** No browser to display CQL help. URL for help topic %s : "
					    "https://cassandra.apache.org/doc/latest/cql/index.html#%s",
					    t[i].text, anchor);
				done = true;
			}
		if (!done)
			sh_printerr(sh, "*** No help on %s", t[i].text);
	}
}

/* ---------------------------------------------------------------- describe */

static int col_index(const cli_result *r, const char *name)
{
	if (!r->cols)
		return -1;
	for (int c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c].name, name))
			return c;
	return -1;
}

static char *cell_dup(const cli_result *r, int32_t row, int col)
{
	const cli_cell *c;

	if (col < 0)
		return hl_strdup("");
	c = cli_cell_at(r, row, col);
	return c->n > 0 ? hl_strndup((const char *)c->p, (size_t)c->n) : hl_strdup("");
}

static void describe_names(shell *sh, const cli_result *r, bool by_keyspace)
{
	int ci = col_index(r, "name"), ki = col_index(r, "keyspace_name");
	char **names = hl_calloc((size_t)r->nrows + 1, sizeof *names);
	char *ks = NULL;
	int n = 0;

	if (!by_keyspace) {
		for (int32_t i = 0; i < r->nrows; i++)
			names[n++] = cell_dup(r, i, ci);
		printf("\n");
		columnize(stdout, (const char *const *)names, n, 80);
		printf("\n");
		goto out;
	}
	for (int32_t i = 0; i <= r->nrows; i++) {
		char *k = i < r->nrows ? cell_dup(r, i, ki) : NULL;

		if (ks && (!k || strcmp(k, ks))) {
			printf("\n");
			if (!cli_keyspace(sh->conn)) {
				printf("Keyspace %s\n---------", ks);
				for (size_t j = 0; j < strlen(ks); j++)
					putchar('-');
				putchar('\n');
			}
			columnize(stdout, (const char *const *)names, n, 80);
			for (int j = 0; j < n; j++)
				free(names[j]);
			n = 0;
			free(ks);
			ks = NULL;
		}
		if (!k)
			break;
		if (!ks)
			ks = k;
		else
			free(k);
		names[n++] = cell_dup(r, i, ci);
	}
	if (r->nrows)
		printf("\n");
out:
	for (int j = 0; j < n; j++)
		free(names[j]);
	free(names);
	free(ks);
}

/* range_ownership map<text, list<text>>: ' %39s  [a, b]' per entry. */
static void print_ranges(const cli_cell *c)
{
	hl_rd r;
	int32_t n;

	hl_rd_init(&r, c->p, c->n > 0 ? (size_t)c->n : 0);
	if (c->n <= 0 || hl_rd_i32(&r, &n) || n < 0)
		return;
	printf("Range ownership:\n");
	for (int32_t i = 0; i < n; i++) {
		const uint8_t *k, *l;
		int32_t kn, ln, m;
		hl_rd lr;

		if (hl_rd_pbytes(&r, &k, &kn) || kn < 0 || hl_rd_pbytes(&r, &l, &ln) || ln < 0)
			return;
		printf(" %39.*s  [", (int)kn, (const char *)k);
		hl_rd_init(&lr, l, (size_t)ln);
		if (!hl_rd_i32(&lr, &m))
			for (int32_t j = 0; j < m; j++) {
				const uint8_t *e;
				int32_t en;

				if (hl_rd_pbytes(&lr, &e, &en) || en < 0)
					break;
				printf("%s%.*s", j ? ", " : "", (int)en, (const char *)e);
			}
		printf("]\n");
	}
	printf("\n");
}

static void do_describe(shell *sh, const char *stmt, size_t len, sh_tok *t, int nt)
{
	hl_err err;
	cli_result *r;
	char *cql;
	const char *what;

	if (nt < 2) {
		improper(sh, t[0].text);
		return;
	}
	what = t[1].text;
	if (sh_ensure_conn(sh, &err)) {
		sh_report_error(sh, &err);
		return;
	}
	cql = hl_strndup(stmt, len);
	r = sh_query_all(sh, cql, CLI_CL_LOCAL_ONE, &err);
	free(cql);
	if (!r) {
		/* cqlsh shows only what follows message= */
		if (err.code > 0 || err.code == 0)
			sh_printerr(sh, "%s", err.msg);
		else
			sh_report_error(sh, &err);
		return;
	}
	if (r->kind != CLI_RES_ROWS) {
		cli_result_free(r);
		return;
	}
	if (!strcasecmp(what, "columnfamilies") || !strcasecmp(what, "tables") ||
	    !strcasecmp(what, "types") || !strcasecmp(what, "functions") ||
	    !strcasecmp(what, "aggregates")) {
		describe_names(sh, r, true);
	} else if (!strcasecmp(what, "keyspaces")) {
		describe_names(sh, r, false);
	} else if (!strcasecmp(what, "cluster")) {
		int ro = col_index(r, "range_ownership");

		for (int32_t i = 0; i < r->nrows; i++) {
			char *c = cell_dup(r, i, col_index(r, "cluster"));
			char *p = cell_dup(r, i, col_index(r, "partitioner"));
			char *s = cell_dup(r, i, col_index(r, "snitch"));

			printf("\nCluster: %s\nPartitioner: %s\nSnitch: %s\n\n", c, p, s);
			if (ro >= 0)
				print_ranges(cli_cell_at(r, i, ro));
			free(c);
			free(p);
			free(s);
		}
	} else {
		int ci = col_index(r, "create_statement");

		for (int32_t i = 0; i < r->nrows; i++) {
			char *s = cell_dup(r, i, ci);

			printf("\n%s\n", s);
			free(s);
		}
	}
	for (int i = 0; i < r->nwarnings; i++)
		printf("%s%s\n", i ? "" : "\nWarnings :\n", r->warnings[i]);
	cli_result_free(r);
	fflush(stdout);
}

/* ---------------------------------------------------------------- dispatch */

bool cmd_dispatch(shell *sh, const char *stmt, size_t len)
{
	sh_tok *t;
	int nt = sh_tokenize(stmt, len, &t);
	bool handled = true;

	if (nt <= 0) {
		/* an unclosed quote cannot reach here (the splitter waits for it); nothing to do */
		if (nt == 0)
			sh_tokens_free(t, 0);
		return nt == 0;
	}
	if (t[0].kind != 'w' && !(t[0].kind == 'p' && !strcmp(t[0].text, "?"))) {
		handled = false;
	} else if (is(&t[0], "consistency")) {
		do_consistency(sh, t, nt, false);
	} else if (is(&t[0], "serial")) {
		do_consistency(sh, t, nt, true);
	} else if (is(&t[0], "tracing")) {
		do_switch(sh, "TRACING", t, nt, &sh->tracing, "Tracing");
	} else if (is(&t[0], "expand")) {
		do_switch(sh, "EXPAND", t, nt, &sh->expand, "Expanded output");
	} else if (is(&t[0], "paging")) {
		do_paging(sh, t, nt);
	} else if (is(&t[0], "show")) {
		if (nt == 2 && is(&t[1], "version")) {
			hl_err err;

			if (sh_load_versions(sh, &err))
				sh_report_error(sh, &err);
			sh_show_version(sh);
		} else if (nt == 2 && is(&t[1], "host")) {
			sh_show_host(sh);
		} else if (nt >= 2 && is(&t[1], "session")) {
			sh_printerr(sh, "Tracing is not supported by this server.");
		} else {
			improper(sh, "show");
		}
	} else if (is(&t[0], "source")) {
		do_source(sh, t, nt);
	} else if (is(&t[0], "capture")) {
		do_capture(sh, t, nt);
	} else if (is(&t[0], "login")) {
		do_login(sh, t, nt);
	} else if (is(&t[0], "help") || !strcmp(t[0].text, "?")) {
		do_help(sh, t, nt);
	} else if (is(&t[0], "exit") || is(&t[0], "quit")) {
		if (nt == 1)
			sh->stop = true;
		else
			improper(sh, t[0].text);
	} else if (is(&t[0], "clear") || is(&t[0], "cls")) {
		if (sh->tty)
			fputs("\033[H\033[2J", stdout);
	} else if (is(&t[0], "describe") || is(&t[0], "desc")) {
		do_describe(sh, stmt, len, t, nt);
	} else if (is(&t[0], "copy")) {
		cmd_copy(sh, stmt, len);
	} else {
		handled = false;
	}
	fflush(stdout);
	sh_tokens_free(t, nt);
	return handled;
}
