/*
 * tools/stress_opts.c: the command line of `helenus stress`, which is
 * cassandra-stress's: a command with its options (n=, duration=, cl=,
 * no-warmup, ratio(...)), then option groups each introduced by a dash
 * word (-rate, -node, -port, -pop, -col, -schema, -mode, -log) and holding
 * the words up to the next dash word. Scripts written for cassandra-stress
 * run unchanged as long as they use the options listed in stress_usage;
 * anything else is refused by name rather than silently ignored, so a
 * figure is never produced under settings other than the ones asked for.
 */
#include "tools/stress_int.h"
#include "client/client.h"
#include "core/core.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void stress_usage(FILE *f)
{
	fprintf(f,
		"usage: helenus stress <command> [n=N | duration=N[s|m|h]] [cl=LEVEL] [no-warmup]\n"
		"                      [-rate ...] [-node ...] [-port ...] [-pop ...] [-col ...]\n"
		"                      [-schema ...] [-mode ...] [-log ...] [--json FILE]\n"
		"\n"
		"A native-protocol load generator with cassandra-stress's command line,\n"
		"default schema (keyspace1.standard1, keyspace1.counter1) and output.\n"
		"\n"
		"commands:\n"
		"  write           UPDATE standard1 SET \"C0\"=?,... WHERE KEY=?\n"
		"  read            SELECT \"C0\",... FROM standard1 WHERE KEY=?\n"
		"  mixed           both; ratio(write=W,read=R) (default 1:1)\n"
		"  counter_write   UPDATE counter1 SET \"C0\"=\"C0\"+?,... WHERE KEY=?\n"
		"  options         OPTIONS requests only: the server's protocol ceiling\n"
		"\n"
		"command options:  n=N (1k, 1m, 1b suffixes) or duration=N{s,m,h}; cl=ONE|QUORUM|...\n"
		"                  (default LOCAL_ONE); no-warmup\n"
		"-rate    threads=N (requests in flight; default 200) | fixed=N/s (latency from each\n"
		"         op's intended start) | throttle=N/s (rate cap only); with fixed= or throttle=,\n"
		"         threads=N caps what is in flight\n"
		"-node    HOST[,HOST...] (default 127.0.0.1)\n"
		"-port    native=PORT (default 9042)\n"
		"-pop     seq=A..B [no-wrap] | dist=DIST; DIST is fixed(V), uniform(A..B),\n"
		"         gaussian(A..B[,STDEVS]) or gaussian(A..B,MEAN,STDEV), exp(A..B)\n"
		"         (default: seq=1..N for writes, dist=gaussian(1..N) otherwise)\n"
		"-col     n=FIXED(K) (default 5) size=DIST (default FIXED(34))\n"
		"-schema  replication(factor=N[,strategy=S][,DC=N...]) keyspace=NAME\n"
		"-mode    native cql3 prepared (default) | unprepared | simplenative;\n"
		"         protocolVersion=4|5; connectionsPerHost=N (default 8);\n"
		"         maxPending=N per connection; user=U password=P;\n"
		"         Helenus spellings: connections=N inflight=N\n"
		"-log     interval=N[s|ms] (default 1s) file=CSV\n"
		"--json FILE   write the summary as JSON\n");
}

const char *stress_cmd_name(int cmd)
{
	switch (cmd) {
	case STRESS_WRITE:
		return "WRITE";
	case STRESS_READ:
		return "READ";
	case STRESS_MIXED:
		return "MIXED";
	case STRESS_COUNTER_WRITE:
		return "COUNTER_WRITE";
	default:
		return "OPTIONS";
	}
}

const char *stress_op_name(int op)
{
	static const char *const names[STRESS_NOPS] = { "WRITE", "READ", "COUNTER_WRITE", "OPTIONS" };

	return op >= 0 && op < STRESS_NOPS ? names[op] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "key=" prefix, case-insensitive (cassandra-stress lower-cases options). */
static const char *val_of(const char *arg, const char *key)
{
	size_t n = strlen(key);

	return strncasecmp(arg, key, n) ? NULL : arg + n;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	int64_t v;

	if (stress_parse_long(s, strlen(s), &v) || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* "N/s" (the /s is optional). */
static int parse_rate(const char *s, int64_t *out)
{
	size_t n = strlen(s);

	if (n > 2 && !strcasecmp(s + n - 2, "/s"))
		n -= 2;
	if (stress_parse_long(s, n, out) || *out <= 0 || *out > 100000000)
		return -1;
	return 0;
}

/* "30s", "5m", "1h" (and "500ms" for -log interval). */
static int parse_duration(const char *s, bool allow_ms, int64_t *out)
{
	size_t n = strlen(s);
	int64_t v, unit;

	if (allow_ms && n > 2 && !strcasecmp(s + n - 2, "ms")) {
		unit = 1000000;
		n -= 2;
	} else if (n > 1 && strchr("sS", s[n - 1])) {
		unit = 1000000000;
		n--;
	} else if (n > 1 && strchr("mM", s[n - 1])) {
		unit = 60LL * 1000000000;
		n--;
	} else if (n > 1 && strchr("hH", s[n - 1])) {
		unit = 3600LL * 1000000000;
		n--;
	} else {
		/* cassandra-stress's -log interval= takes bare seconds */
		if (!allow_ms)
			return -1;
		unit = 1000000000;
	}
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (!n || stress_parse_long(s, n, &v) || v <= 0 || v > INT64_MAX / unit / 2)
		return -1;
	*out = v * unit;
	return 0;
}

/* ratio(write=1,read=3) */
static int parse_ratio(const char *s, stress_opts *o, char *err, size_t errlen)
{
	const char *p = s + 6, *end = strrchr(s, ')');

	o->ratio_write = o->ratio_read = 0;
	if (!end || end[1])
		return fail(err, errlen, "bad ratio: %s", s);
	while (p < end) {
		const char *q = p, *eq;
		char num[32];
		double v;
		char *e;

		while (q < end && *q != ',')
			q++;
		eq = memchr(p, '=', (size_t)(q - p));
		if (!eq || (size_t)(q - eq - 1) >= sizeof num || q == eq + 1)
			return fail(err, errlen, "bad ratio: %s", s);
		memcpy(num, eq + 1, (size_t)(q - eq - 1));
		num[q - eq - 1] = 0;
		v = strtod(num, &e);
		if (*e || v < 0)
			return fail(err, errlen, "bad ratio: %s", s);
		if (eq - p == 5 && !strncasecmp(p, "write", 5))
			o->ratio_write = v;
		else if (eq - p == 4 && !strncasecmp(p, "read", 4))
			o->ratio_read = v;
		else
			return fail(err, errlen, "ratio: only read and write are supported, not '%.*s'",
				    (int)(eq - p), p);
		p = q + 1;
	}
	if (o->ratio_write + o->ratio_read <= 0)
		return fail(err, errlen, "ratio: at least one of read, write must be > 0");
	return 0;
}

/* replication(factor=3,strategy=NetworkTopologyStrategy,dc1=3) -> CQL map */
static int parse_replication(const char *s, stress_opts *o, char *err, size_t errlen)
{
	const char *p = strchr(s, '(') + 1, *end = strrchr(s, ')');
	char strategy[128] = "SimpleStrategy", rest[384] = "";
	bool factor = false;
	size_t rl = 0;

	if (!end || end[1])
		return fail(err, errlen, "bad replication: %s", s);
	while (p < end) {
		const char *q = p, *eq;
		int kl, vl;

		while (q < end && *q != ',')
			q++;
		eq = memchr(p, '=', (size_t)(q - p));
		if (!eq || eq == p || q == eq + 1)
			return fail(err, errlen, "bad replication option in %s", s);
		kl = (int)(eq - p);
		vl = (int)(q - eq - 1);
		for (const char *c = p; c < q; c++)
			if (*c == '\'' || *c == '"')
				return fail(err, errlen, "bad replication option in %s", s);
		if (kl == 8 && !strncasecmp(p, "strategy", 8)) {
			if ((size_t)vl >= sizeof strategy)
				return fail(err, errlen, "replication strategy name too long");
			memcpy(strategy, eq + 1, (size_t)vl);
			strategy[vl] = 0;
		} else {
			bool is_factor = kl == 6 && !strncasecmp(p, "factor", 6);
			int n;

			if (is_factor)
				factor = true;
			n = snprintf(rest + rl, sizeof rest - rl, ", '%.*s': '%.*s'",
				     is_factor ? 18 : kl, is_factor ? "replication_factor" : p, vl, eq + 1);
			if (n < 0 || (size_t)n >= sizeof rest - rl)
				return fail(err, errlen, "replication options too long");
			rl += (size_t)n;
		}
		p = q + 1;
	}
	if (!rl && !factor)
		snprintf(rest, sizeof rest, ", 'replication_factor': '1'");
	snprintf(o->replication, sizeof o->replication, "{'class': '%s'%s}", strategy, rest);
	return 0;
}

static int parse_command_opt(const char *a, stress_opts *o, char *err, size_t errlen)
{
	const char *v;

	if ((v = val_of(a, "n="))) {
		if (stress_parse_long(v, strlen(v), &o->count) || o->count <= 0)
			return fail(err, errlen, "bad n=: %s", v);
		return 0;
	}
	if ((v = val_of(a, "duration="))) {
		if (parse_duration(v, false, &o->duration_ns))
			return fail(err, errlen, "bad duration=: %s (use e.g. 30s, 5m, 1h)", v);
		return 0;
	}
	if ((v = val_of(a, "cl="))) {
		int cl = cli_cl_parse(v);

		if (cl < 0)
			return fail(err, errlen, "unknown consistency level: %s", v);
		o->cl = cl;
		return 0;
	}
	if (!strcasecmp(a, "no-warmup")) {
		o->no_warmup = true;
		return 0;
	}
	if (!strncasecmp(a, "ratio(", 6)) {
		if (o->cmd != STRESS_MIXED)
			return fail(err, errlen, "ratio(...) is for the mixed command");
		return parse_ratio(a, o, err, errlen);
	}
	if (!strncasecmp(a, "err<", 4) || !strncasecmp(a, "n>", 2) || !strncasecmp(a, "n<", 2))
		return fail(err, errlen, "'%s': running until the rate converges is not supported; "
			    "give n= or duration=", a);
	if ((v = val_of(a, "add="))) {
		stress_dist d;

		if (o->cmd != STRESS_COUNTER_WRITE)
			return fail(err, errlen, "add= is for counter_write");
		if (stress_dist_parse(v, &d, err, errlen))
			return -1;
		if (d.kind != STRESS_DIST_FIXED || d.min != 1)
			return fail(err, errlen, "add=: only fixed(1) is supported");
		return 0;
	}
	return fail(err, errlen, "unknown option '%s' for %s", a, stress_cmd_name(o->cmd));
}

static int parse_group(const char *group, char **args, int n, stress_opts *o, char *err,
		       size_t errlen)
{
	for (int i = 0; i < n; i++) {
		const char *a = args[i], *v;

		if (!strcasecmp(group, "-rate")) {
			if ((v = val_of(a, "threads="))) {
				if (parse_int(v, 1, 1000000, &o->threads))
					return fail(err, errlen, "bad threads=: %s", v);
			} else if ((v = val_of(a, "fixed="))) {
				if (parse_rate(v, &o->fixed_rate))
					return fail(err, errlen, "bad fixed=: %s (use N/s)", v);
			} else if ((v = val_of(a, "throttle="))) {
				if (parse_rate(v, &o->throttle_rate))
					return fail(err, errlen, "bad throttle=: %s (use N/s)", v);
			} else if (!strncasecmp(a, "threads>", 8) || !strncasecmp(a, "threads<", 8) ||
				   !strcasecmp(a, "auto")) {
				return fail(err, errlen, "-rate %s: automatic thread ramping is not "
					    "supported; give threads=N", a);
			} else if ((v = val_of(a, "connections="))) {
				if (parse_int(v, 1, 1024, &o->connections))
					return fail(err, errlen, "bad connections=: %s", v);
			} else if ((v = val_of(a, "inflight="))) {
				if (parse_int(v, 1, 32767, &o->inflight))
					return fail(err, errlen, "bad inflight=: %s", v);
			} else {
				return fail(err, errlen, "unknown -rate option '%s'", a);
			}
		} else if (!strcasecmp(group, "-node")) {
			/* a comma list, possibly over several words */
			char *copy = hl_strdup(a), *save = NULL, *tok;

			o->nodes_buf = hl_realloc(o->nodes_buf, sizeof *o->nodes_buf *
						  (size_t)(o->nnodes_buf + 1));
			o->nodes_buf[o->nnodes_buf++] = copy;
			if (val_of(a, "file=") || val_of(a, "whitelist"))
				return fail(err, errlen, "-node %s is not supported", a);
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (o->nnodes >= STRESS_MAX_NODES)
					return fail(err, errlen, "at most %d nodes", STRESS_MAX_NODES);
				o->nodes[o->nnodes++] = tok;
			}
		} else if (!strcasecmp(group, "-port")) {
			if ((v = val_of(a, "native="))) {
				int port;

				if (parse_int(v, 1, 65535, &port))
					return fail(err, errlen, "bad native=: %s", v);
				snprintf(o->port, sizeof o->port, "%d", port);
			} else if (!val_of(a, "jmx=") && !val_of(a, "thrift=")) {
				return fail(err, errlen, "unknown -port option '%s'", a);
			}
		} else if (!strcasecmp(group, "-pop")) {
			if ((v = val_of(a, "seq="))) {
				const char *dots = strstr(v, "..");
				const char *b = dots;

				o->pop.kind = STRESS_DIST_SEQ;
				while (b && *b == '.')
					b++;
				if (!dots || stress_parse_long(v, (size_t)(dots - v), &o->pop.min) ||
				    stress_parse_long(b, strlen(b), &o->pop.max) || o->pop.min > o->pop.max)
					return fail(err, errlen, "bad seq=: %s (use A..B)", v);
				o->pop_set = true;
			} else if ((v = val_of(a, "dist="))) {
				if (stress_dist_parse(v, &o->pop, err, errlen))
					return -1;
				o->pop_set = true;
			} else if (!strcasecmp(a, "no-wrap")) {
				o->no_wrap = true;
			} else {
				return fail(err, errlen, "unknown or unsupported -pop option '%s'", a);
			}
		} else if (!strcasecmp(group, "-col")) {
			if ((v = val_of(a, "n="))) {
				stress_dist d;

				if (stress_dist_parse(v, &d, err, errlen))
					return -1;
				if (d.kind != STRESS_DIST_FIXED || d.min < 1 || d.min > STRESS_MAX_COLS)
					return fail(err, errlen, "-col n=: only FIXED(1..%d) is supported",
						    STRESS_MAX_COLS);
				o->ncols = (int)d.min;
			} else if ((v = val_of(a, "size="))) {
				if (stress_dist_parse(v, &o->colsize, err, errlen))
					return -1;
				if (o->colsize.kind != STRESS_DIST_FIXED &&
				    o->colsize.kind != STRESS_DIST_UNIFORM)
					return fail(err, errlen, "-col size=: FIXED or UNIFORM only");
				if (o->colsize.max > 1 << 20)
					return fail(err, errlen, "-col size=: at most 1MiB");
			} else {
				return fail(err, errlen, "unknown or unsupported -col option '%s'", a);
			}
		} else if (!strcasecmp(group, "-schema")) {
			if (!strncasecmp(a, "replication(", 12)) {
				if (parse_replication(a, o, err, errlen))
					return -1;
			} else if ((v = val_of(a, "keyspace="))) {
				if (!*v || strlen(v) >= 49 || strchr(v, '"'))
					return fail(err, errlen, "bad keyspace=: %s", v);
				snprintf(o->keyspace, sizeof o->keyspace, "%s", v);
			} else {
				return fail(err, errlen, "unknown or unsupported -schema option '%s'", a);
			}
		} else if (!strcasecmp(group, "-mode")) {
			if (!strcasecmp(a, "native") || !strcasecmp(a, "cql3") ||
			    !strcasecmp(a, "simplenative")) {
				/* one client implementation serves all of these */
			} else if (!strcasecmp(a, "prepared")) {
				o->prepared = true;
			} else if (!strcasecmp(a, "unprepared")) {
				o->prepared = false;
			} else if ((v = val_of(a, "protocolVersion="))) {
				if (parse_int(v, 3, 5, &o->protocol) || o->protocol < 4)
					return fail(err, errlen, "protocolVersion=: 4 or 5");
			} else if ((v = val_of(a, "connectionsPerHost=")) || (v = val_of(a, "connections="))) {
				if (parse_int(v, 1, 1024, &o->connections))
					return fail(err, errlen, "bad %s", a);
			} else if ((v = val_of(a, "maxPending=")) || (v = val_of(a, "inflight="))) {
				if (parse_int(v, 1, 32767, &o->inflight))
					return fail(err, errlen, "bad %s", a);
			} else if ((v = val_of(a, "user="))) {
				o->user = v;
			} else if ((v = val_of(a, "password="))) {
				o->password = v;
			} else if ((v = val_of(a, "compression="))) {
				if (strcasecmp(v, "none"))
					return fail(err, errlen, "-mode compression=%s is not supported", v);
			} else {
				return fail(err, errlen, "unknown or unsupported -mode option '%s'", a);
			}
		} else if (!strcasecmp(group, "-log")) {
			if ((v = val_of(a, "interval="))) {
				if (parse_duration(v, true, &o->interval_ns))
					return fail(err, errlen, "bad interval=: %s", v);
			} else if ((v = val_of(a, "file="))) {
				o->log_file = v;
			} else if (val_of(a, "level=") || !strcasecmp(a, "no-summary") ||
				   !strcasecmp(a, "no-settings")) {
				/* output shaping we do not vary */
			} else {
				return fail(err, errlen, "unknown or unsupported -log option '%s'", a);
			}
		} else {
			return fail(err, errlen, "unknown or unsupported option group '%s'", group);
		}
	}
	return 0;
}

int stress_opts_parse(int argc, char **argv, stress_opts *o, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int cmd;
	} cmds[] = {
		{ "write", STRESS_WRITE }, { "read", STRESS_READ }, { "mixed", STRESS_MIXED },
		{ "counter_write", STRESS_COUNTER_WRITE }, { "options", STRESS_OPTIONS },
	};
	int i = 1;
	bool have_cmd = false;

	memset(o, 0, sizeof *o);
	o->count = -1;
	o->cl = CLI_CL_LOCAL_ONE;
	o->prepared = true;
	o->ratio_write = o->ratio_read = 1;
	o->ncols = 5;
	o->colsize.kind = STRESS_DIST_FIXED;
	o->colsize.min = o->colsize.max = 34;
	o->keysize = 10;
	snprintf(o->keyspace, sizeof o->keyspace, "keyspace1");
	snprintf(o->replication, sizeof o->replication,
		 "{'class': 'SimpleStrategy', 'replication_factor': '1'}");
	snprintf(o->port, sizeof o->port, "9042");
	o->interval_ns = 1000000000;

	if (argc < 2)
		return fail(err, errlen, "no command given");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-?")) {
		o->help = true;
		return 0;
	}
	for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
		if (!strcasecmp(argv[1], cmds[c].name)) {
			o->cmd = cmds[c].cmd;
			have_cmd = true;
		}
	}
	if (!have_cmd) {
		if (!strcasecmp(argv[1], "user"))
			return fail(err, errlen, "user profiles (stress user profile=...) are not "
				    "supported yet");
		return fail(err, errlen, "unknown command '%s'", argv[1]);
	}
	for (i = 2; i < argc && argv[i][0] != '-'; i++)
		if (parse_command_opt(argv[i], o, err, errlen))
			return -1;
	while (i < argc) {
		const char *group = argv[i++];
		int start = i;

		if (!strcmp(group, "--json")) {
			if (i >= argc)
				return fail(err, errlen, "--json needs a file name");
			o->json_file = argv[i++];
			continue;
		}
		if (!strcmp(group, "--help") || !strcmp(group, "-h")) {
			o->help = true;
			return 0;
		}
		while (i < argc && argv[i][0] != '-')
			i++;
		if (parse_group(group, argv + start, i - start, o, err, errlen))
			return -1;
	}

	/* defaults that depend on what was given */
	if (o->count > 0 && o->duration_ns > 0)
		return fail(err, errlen, "give n= or duration=, not both");
	if (o->count <= 0 && o->duration_ns <= 0)
		return fail(err, errlen, "give n=N or duration=N{s,m,h}");
	if (o->fixed_rate && o->throttle_rate)
		return fail(err, errlen, "-rate: fixed= and throttle= exclude each other");
	if (!o->nnodes)
		o->nodes[o->nnodes++] = "127.0.0.1";
	if (!o->pop_set) {
		int64_t limit = o->count > 0 ? o->count : 1000000;

		if (o->cmd == STRESS_WRITE || o->cmd == STRESS_COUNTER_WRITE) {
			o->pop.kind = STRESS_DIST_SEQ;
			o->pop.min = 1;
			o->pop.max = limit;
			o->pop.wrap = true;
		} else {
			o->pop.kind = STRESS_DIST_GAUSSIAN;
			o->pop.min = 1;
			o->pop.max = limit;
			o->pop.mean = (1.0 + (double)limit) / 2.0;
			o->pop.stdev = ((double)limit - 1.0) / 2.0 / 3.0;
			if (o->pop.stdev <= 0)
				o->pop.stdev = 1e-9;
		}
	} else if (o->pop.kind == STRESS_DIST_SEQ) {
		o->pop.wrap = !o->no_wrap;
	} else if (o->no_wrap) {
		return fail(err, errlen, "-pop no-wrap goes with seq=");
	}
	if (o->no_wrap && !o->pop_set)
		return fail(err, errlen, "-pop no-wrap goes with seq=");
	if (!o->connections)
		o->connections = 8;
	if (o->fixed_rate || o->throttle_rate) {
		if (!o->inflight)
			o->inflight = o->threads ? (o->threads + o->connections - 1) / o->connections
						 : 128;
		if (!o->threads)
			o->threads = o->connections * o->inflight;
	} else {
		if (!o->threads)
			o->threads = o->inflight ? o->connections * o->inflight : 200;
		if (o->connections > o->threads)
			o->connections = o->threads;
		if (!o->inflight)
			o->inflight = (o->threads + o->connections - 1) / o->connections;
	}
	if ((int64_t)o->connections * o->inflight < o->threads)
		return fail(err, errlen, "threads=%d is more than connections (%d) x in flight per "
			    "connection (%d)", o->threads, o->connections, o->inflight);
	if (o->inflight > 32767)
		return fail(err, errlen, "at most 32767 requests in flight per connection");
	return 0;
}

void stress_opts_free(stress_opts *o)
{
	for (int i = 0; i < o->nnodes_buf; i++)
		free(o->nodes_buf[i]);
	free(o->nodes_buf);
	o->nodes_buf = NULL;
	o->nnodes_buf = 0;
}

/* ---------------------------------------------------------------- statements */

void stress_cql_write(const stress_opts *o, char *out, size_t n)
{
	size_t l = (size_t)snprintf(out, n, "UPDATE \"%s\".\"standard1\" SET ", o->keyspace);

	for (int i = 0; i < o->ncols && l < n; i++)
		l += (size_t)snprintf(out + l, n - l, "%s\"C%d\" = ?", i ? "," : "", i);
	if (l < n)
		snprintf(out + l, n - l, " WHERE KEY=?");
}

void stress_cql_read(const stress_opts *o, char *out, size_t n)
{
	size_t l = (size_t)snprintf(out, n, "SELECT ");

	for (int i = 0; i < o->ncols && l < n; i++)
		l += (size_t)snprintf(out + l, n - l, "%s\"C%d\"", i ? "," : "", i);
	if (l < n)
		snprintf(out + l, n - l, " FROM \"%s\".\"standard1\" WHERE KEY=?", o->keyspace);
}

void stress_cql_counter(const stress_opts *o, char *out, size_t n)
{
	size_t l = (size_t)snprintf(out, n, "UPDATE \"%s\".\"counter1\" SET ", o->keyspace);

	for (int i = 0; i < o->ncols && l < n; i++)
		l += (size_t)snprintf(out + l, n - l, "%s\"C%d\"=\"C%d\"+?", i ? "," : "", i, i);
	if (l < n)
		snprintf(out + l, n - l, " WHERE KEY=?");
}
