/*
 * Unit tests of `helenus stress`'s I/O-free parts: the cassandra-stress
 * command line (accepted forms, defaults, errors), the latency histogram
 * (percentiles against a sorted reference), key generation (java.util.Random
 * and cassandra-stress's keys, checked against values printed by a JVM),
 * populations, the fixed-rate schedule and number formatting.
 */
#include "t.h"
#include "tools/stress_int.h"
#include "client/client.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static int parse(stress_opts *o, char *err, size_t errlen, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = "stress";
	va_start(ap, errlen);
	while ((a = va_arg(ap, const char *)) && argc < 63)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return stress_opts_parse(argc, argv, o, err, errlen);
}

#define PARSE_OK(o, ...) do { \
	char _e[256]; \
	int _rc = parse(o, _e, sizeof _e, __VA_ARGS__, (const char *)NULL); \
	if (_rc) fprintf(stderr, "unexpected parse error: %s\n", _e); \
	CHECK(_rc == 0); \
} while (0)

/* Fails to parse, with `needle` in the message. */
static void parse_fails(const char *needle, ...)
{
	char *argv[64], err[256] = "";
	int argc = 0, rc;
	va_list ap;
	const char *a;
	stress_opts o;

	argv[argc++] = "stress";
	va_start(ap, needle);
	while ((a = va_arg(ap, const char *)) && argc < 63)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = stress_opts_parse(argc, argv, &o, err, sizeof err);
	CHECK(rc == -1);
	if (!strstr(err, needle)) {
		fprintf(stderr, "error message '%s' lacks '%s'\n", err, needle);
		t_fail++;
	} else {
		t_pass++;
	}
	stress_opts_free(&o);
}

/* ---------------------------------------------------------------- options */

static void test_opts_defaults(void)
{
	stress_opts o;
	char cql[512];

	PARSE_OK(&o, "write", "n=1000");
	CHECK(o.cmd == STRESS_WRITE);
	CHECK_EQ_I64(o.count, 1000);
	CHECK_EQ_I64(o.duration_ns, 0);
	CHECK(o.cl == CLI_CL_LOCAL_ONE);
	CHECK(!o.no_warmup);
	CHECK(o.prepared);
	CHECK(o.pop.kind == STRESS_DIST_SEQ);
	CHECK_EQ_I64(o.pop.min, 1);
	CHECK_EQ_I64(o.pop.max, 1000);
	CHECK(o.pop.wrap);
	CHECK_EQ_I64(o.ncols, 5);
	CHECK(o.colsize.kind == STRESS_DIST_FIXED);
	CHECK_EQ_I64(o.colsize.min, 34);
	CHECK_EQ_I64(o.keysize, 10);
	CHECK_EQ_I64(o.threads, 200);
	CHECK_EQ_I64(o.connections, 8);
	CHECK_EQ_I64(o.inflight, 25);
	CHECK_STR(o.port, "9042");
	CHECK_EQ_I64(o.nnodes, 1);
	CHECK_STR(o.nodes[0], "127.0.0.1");
	CHECK_STR(o.keyspace, "keyspace1");
	CHECK_STR(o.replication, "{'class': 'SimpleStrategy', 'replication_factor': '1'}");
	CHECK_EQ_I64(o.interval_ns, 1000000000);
	stress_cql_write(&o, cql, sizeof cql);
	CHECK_STR(cql, "UPDATE \"keyspace1\".\"standard1\" SET \"C0\" = ?,\"C1\" = ?,\"C2\" = ?,"
		  "\"C3\" = ?,\"C4\" = ? WHERE KEY=?");
	stress_cql_read(&o, cql, sizeof cql);
	CHECK_STR(cql, "SELECT \"C0\",\"C1\",\"C2\",\"C3\",\"C4\" FROM \"keyspace1\".\"standard1\" "
		  "WHERE KEY=?");
	stress_opts_free(&o);

	/* reads default to a gaussian over the count */
	PARSE_OK(&o, "read", "n=1M");
	CHECK(o.cmd == STRESS_READ);
	CHECK_EQ_I64(o.count, 1000000);
	CHECK(o.pop.kind == STRESS_DIST_GAUSSIAN);
	CHECK_EQ_I64(o.pop.max, 1000000);
	CHECK(fabs(o.pop.mean - 500000.5) < 1e-6);
	CHECK(fabs(o.pop.stdev - 999999.0 / 6.0) < 1e-6);
	stress_opts_free(&o);

	/* without a count, the population is 1M as cassandra-stress's */
	PARSE_OK(&o, "counter_write", "duration=2m");
	CHECK(o.cmd == STRESS_COUNTER_WRITE);
	CHECK_EQ_I64(o.count, -1);
	CHECK_EQ_I64(o.duration_ns, 120LL * 1000000000);
	CHECK_EQ_I64(o.pop.max, 1000000);
	stress_cql_counter(&o, cql, sizeof cql);
	CHECK(strstr(cql, "UPDATE \"keyspace1\".\"counter1\" SET \"C0\"=\"C0\"+?,") == cql);
	stress_opts_free(&o);

	PARSE_OK(&o, "help");
	CHECK(o.help);
	stress_opts_free(&o);
}

static void test_opts_full(void)
{
	stress_opts o;

	PARSE_OK(&o, "read", "n=50k", "cl=QUORUM", "no-warmup", "-rate", "threads=50", "-node",
		 "10.0.0.1,10.0.0.2", "10.0.0.3", "-port", "native=9043", "jmx=7199", "-pop",
		 "dist=gaussian(1..1000,500,100)", "-col", "n=FIXED(3)", "size=FIXED(20)", "-schema",
		 "replication(factor=3)", "keyspace=ks2", "-mode", "native", "cql3", "unprepared",
		 "protocolVersion=4", "connectionsPerHost=2", "maxPending=64", "-log", "interval=5s",
		 "file=x.csv", "--json", "y.json");
	CHECK_EQ_I64(o.count, 50000);
	CHECK(o.cl == CLI_CL_QUORUM);
	CHECK(o.no_warmup);
	CHECK_EQ_I64(o.threads, 50);
	CHECK_EQ_I64(o.nnodes, 3);
	CHECK_STR(o.nodes[1], "10.0.0.2");
	CHECK_STR(o.nodes[2], "10.0.0.3");
	CHECK_STR(o.port, "9043");
	CHECK(o.pop.kind == STRESS_DIST_GAUSSIAN);
	CHECK(o.pop.mean == 500.0 && o.pop.stdev == 100.0);
	CHECK_EQ_I64(o.ncols, 3);
	CHECK_EQ_I64(o.colsize.min, 20);
	CHECK_STR(o.replication, "{'class': 'SimpleStrategy', 'replication_factor': '3'}");
	CHECK_STR(o.keyspace, "ks2");
	CHECK(!o.prepared);
	CHECK_EQ_I64(o.protocol, 4);
	CHECK_EQ_I64(o.connections, 2);
	CHECK_EQ_I64(o.inflight, 64);
	CHECK_EQ_I64(o.interval_ns, 5000000000LL);
	CHECK_STR(o.log_file, "x.csv");
	CHECK_STR(o.json_file, "y.json");
	stress_opts_free(&o);

	PARSE_OK(&o, "mixed", "ratio(write=1,read=3)", "duration=30s", "-pop", "seq=1..1M", "no-wrap");
	CHECK(o.cmd == STRESS_MIXED);
	CHECK(o.ratio_write == 1 && o.ratio_read == 3);
	CHECK_EQ_I64(o.duration_ns, 30000000000LL);
	CHECK(o.pop.kind == STRESS_DIST_SEQ && !o.pop.wrap && o.pop.max == 1000000);
	stress_opts_free(&o);

	/* no-wrap may come first */
	PARSE_OK(&o, "write", "n=10", "-pop", "no-wrap", "seq=5..9");
	CHECK(o.pop.kind == STRESS_DIST_SEQ && !o.pop.wrap && o.pop.min == 5 && o.pop.max == 9);
	stress_opts_free(&o);

	/* fixed rate: in flight defaults to connections x 128 */
	PARSE_OK(&o, "write", "n=10", "-rate", "fixed=5000/s");
	CHECK_EQ_I64(o.fixed_rate, 5000);
	CHECK_EQ_I64(o.inflight, 128);
	CHECK_EQ_I64(o.threads, 8 * 128);
	stress_opts_free(&o);

	PARSE_OK(&o, "write", "n=10", "-rate", "throttle=100", "threads=16");
	CHECK_EQ_I64(o.throttle_rate, 100);
	CHECK_EQ_I64(o.threads, 16);
	CHECK_EQ_I64(o.inflight, 2);
	stress_opts_free(&o);

	/* Helenus spellings; few threads means few connections */
	PARSE_OK(&o, "options", "n=10", "-rate", "threads=4");
	CHECK(o.cmd == STRESS_OPTIONS);
	CHECK_EQ_I64(o.connections, 4);
	CHECK_EQ_I64(o.inflight, 1);
	stress_opts_free(&o);
	PARSE_OK(&o, "options", "n=10", "-mode", "connections=2", "inflight=300");
	CHECK_EQ_I64(o.threads, 600);
	stress_opts_free(&o);

	PARSE_OK(&o, "WRITE", "N=10", "CL=one", "-schema",
		 "replication(strategy=NetworkTopologyStrategy,datacenter1=3)");
	CHECK(o.cl == CLI_CL_ONE);
	CHECK_STR(o.replication, "{'class': 'NetworkTopologyStrategy', 'datacenter1': '3'}");
	stress_opts_free(&o);

	PARSE_OK(&o, "write", "n=10", "-log", "interval=250ms");
	CHECK_EQ_I64(o.interval_ns, 250000000);
	stress_opts_free(&o);
	PARSE_OK(&o, "write", "n=10", "-log", "interval=3");
	CHECK_EQ_I64(o.interval_ns, 3000000000LL);
	stress_opts_free(&o);
}

static void test_opts_errors(void)
{
	parse_fails("no command", (const char *)NULL);
	parse_fails("unknown command", "insert", "n=1", (const char *)NULL);
	parse_fails("user profiles", "user", "profile=x.yaml", (const char *)NULL);
	parse_fails("give n=N or duration", "write", (const char *)NULL);
	parse_fails("not both", "write", "n=1", "duration=1s", (const char *)NULL);
	parse_fails("bad n=", "write", "n=abc", (const char *)NULL);
	parse_fails("bad n=", "write", "n=0", (const char *)NULL);
	parse_fails("bad duration", "write", "duration=10", (const char *)NULL);
	parse_fails("bad duration", "write", "duration=xs", (const char *)NULL);
	parse_fails("consistency", "write", "n=1", "cl=MOST", (const char *)NULL);
	parse_fails("not supported", "write", "err<0.02", (const char *)NULL);
	parse_fails("unknown option", "write", "n=1", "bogus=1", (const char *)NULL);
	parse_fails("mixed", "write", "n=1", "ratio(write=1)", (const char *)NULL);
	parse_fails("ratio", "mixed", "n=1", "ratio(delete=1)", (const char *)NULL);
	parse_fails("option group", "write", "n=1", "-bogus", "x", (const char *)NULL);
	parse_fails("-rate", "write", "n=1", "-rate", "threads>=4", (const char *)NULL);
	parse_fails("bad threads", "write", "n=1", "-rate", "threads=0", (const char *)NULL);
	parse_fails("bad fixed", "write", "n=1", "-rate", "fixed=fast", (const char *)NULL);
	parse_fails("exclude", "write", "n=1", "-rate", "fixed=10/s", "throttle=10/s",
		    (const char *)NULL);
	parse_fails("more than connections", "write", "n=1", "-rate", "threads=100", "-mode",
		    "connectionsPerHost=2", "maxPending=10", (const char *)NULL);
	parse_fails("distribution", "write", "n=1", "-pop", "dist=zipf(1..10)", (const char *)NULL);
	parse_fails("no-wrap", "write", "n=1", "-pop", "dist=uniform(1..10)", "no-wrap",
		    (const char *)NULL);
	parse_fails("seq=", "write", "n=1", "-pop", "seq=10..1", (const char *)NULL);
	parse_fails("FIXED", "write", "n=1", "-col", "n=uniform(1..5)", (const char *)NULL);
	parse_fails("native=", "write", "n=1", "-port", "native=70000", (const char *)NULL);
	parse_fails("protocolVersion", "write", "n=1", "-mode", "protocolVersion=3",
		    (const char *)NULL);
	parse_fails("replication", "write", "n=1", "-schema", "replication(factor)",
		    (const char *)NULL);
	parse_fails("--json", "write", "n=1", "--json", (const char *)NULL);
}

/* ---------------------------------------------------------------- distributions */

static void test_parse_long_and_dists(void)
{
	int64_t v;
	stress_dist d;
	char err[256];

	CHECK(stress_parse_long("12", 2, &v) == 0 && v == 12);
	CHECK(stress_parse_long("1k", 2, &v) == 0 && v == 1000);
	CHECK(stress_parse_long("2M", 2, &v) == 0 && v == 2000000);
	CHECK(stress_parse_long("1b", 2, &v) == 0 && v == 1000000000);
	CHECK(stress_parse_long("", 0, &v) == -1);
	CHECK(stress_parse_long("k", 1, &v) == -1);
	CHECK(stress_parse_long("1.5k", 4, &v) == -1);
	CHECK(stress_parse_long("99999999999999999999", 20, &v) == -1);

	CHECK(stress_dist_parse("uniform(1..10)", &d, err, sizeof err) == 0);
	CHECK(d.kind == STRESS_DIST_UNIFORM && d.min == 1 && d.max == 10);
	CHECK(stress_dist_parse("UNIFORM(1...1k)", &d, err, sizeof err) == 0);
	CHECK(d.min == 1 && d.max == 1000);
	CHECK(stress_dist_parse("fixed(34)", &d, err, sizeof err) == 0);
	CHECK(d.kind == STRESS_DIST_FIXED && d.min == 34 && d.max == 34);
	CHECK(stress_dist_parse("gaussian(1..100)", &d, err, sizeof err) == 0);
	CHECK(d.mean == 50.5 && fabs(d.stdev - 49.5 / 3) < 1e-9);
	CHECK(stress_dist_parse("gauss(1..100,5)", &d, err, sizeof err) == 0);
	CHECK(fabs(d.stdev - 49.5 / 5) < 1e-9);
	CHECK(stress_dist_parse("exp(1..1000)", &d, err, sizeof err) == 0);
	CHECK(d.kind == STRESS_DIST_EXP && d.mean > 0);
	CHECK(stress_dist_parse("~exp(1..10)", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("uniform(10..1)", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("uniform(1..10", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("uniform(1..10,3)", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("gaussian(1..10,0)", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("fixed()", &d, err, sizeof err) == -1);
	CHECK(stress_dist_parse("extreme(1..10,2)", &d, err, sizeof err) == -1);
}

static void test_population(void)
{
	stress_dist d;
	stress_pop p;
	int64_t s, lo = INT64_MAX, hi = INT64_MIN;
	char err[256];
	double sum = 0;
	int n = 20000;

	memset(&d, 0, sizeof d);
	d.kind = STRESS_DIST_SEQ;
	d.min = 3;
	d.max = 5;
	d.wrap = true;
	stress_pop_init(&p, &d, 1);
	for (int i = 0; i < 7; i++) {
		CHECK(stress_pop_next(&p, &s));
		CHECK_EQ_I64(s, 3 + i % 3);
	}
	d.wrap = false;
	stress_pop_init(&p, &d, 1);
	for (int i = 0; i < 3; i++)
		CHECK(stress_pop_next(&p, &s) && s == 3 + i);
	CHECK(!stress_pop_next(&p, &s));

	CHECK(stress_dist_parse("uniform(10..20)", &d, err, sizeof err) == 0);
	stress_pop_init(&p, &d, 7);
	for (int i = 0; i < n; i++) {
		CHECK(stress_pop_next(&p, &s));
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	CHECK_EQ_I64(lo, 10);
	CHECK_EQ_I64(hi, 20);

	CHECK(stress_dist_parse("gaussian(1..1000,500,50)", &d, err, sizeof err) == 0);
	stress_pop_init(&p, &d, 9);
	lo = INT64_MAX;
	hi = INT64_MIN;
	for (int i = 0; i < n; i++) {
		stress_pop_next(&p, &s);
		sum += (double)s;
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	CHECK(fabs(sum / n - 500) < 3);
	CHECK(lo >= 1 && hi <= 1000);

	CHECK(stress_dist_parse("exp(1..1000)", &d, err, sizeof err) == 0);
	stress_pop_init(&p, &d, 11);
	for (int i = 0; i < n; i++) {
		stress_pop_next(&p, &s);
		CHECK(s >= 1 && s <= 1000);
	}

	/* the same seed replays the same draws */
	CHECK(stress_dist_parse("uniform(1..1000000)", &d, err, sizeof err) == 0);
	{
		stress_pop a, b;
		int64_t x, y;
		bool same = true;

		stress_pop_init(&a, &d, 42);
		stress_pop_init(&b, &d, 42);
		for (int i = 0; i < 100; i++) {
			stress_pop_next(&a, &x);
			stress_pop_next(&b, &y);
			same = same && x == y;
		}
		CHECK(same);
	}
}

/* ---------------------------------------------------------------- keys */

static void test_keys(void)
{
	stress_jrand r;
	uint8_t k[STRESS_KEY_MAX], k2[STRESS_KEY_MAX], v1[40], v2[40];
	/* printed by a JVM: java.util.Random and the cassandra-stress key formula */
	static const struct {
		int64_t seed;
		const char *key;
	} java[] = {
		{ 1, "0P37709P21" }, { 2, "O8LK79LO61" }, { 3, "OP001L5930" },
		{ 1000, "74PM400L90" }, { 123456789, "83P4M3KKN0" },
	};

	stress_jrand_seed(&r, 42);
	CHECK_EQ_I64(stress_jrand_next(&r, 32), -1170105035);
	CHECK(stress_jrand_double(&r) == 0.05466526274716077);
	stress_jrand_seed(&r, -7);
	CHECK(stress_jrand_double(&r) == 0.2691218093260761);

	for (size_t i = 0; i < sizeof java / sizeof java[0]; i++) {
		CHECK_EQ_I64(stress_key(java[i].seed, k, 10), 10);
		k[10] = 0;
		CHECK_STR((char *)k, java[i].key);
	}
	/* determinism, the alphabet, and distinct keys for distinct seeds */
	{
		bool ok = true;
		int dup = 0;
		static uint8_t keys[2000][10];

		for (int s = 1; s <= 2000; s++) {
			stress_key(s, k, 10);
			stress_key(s, k2, 10);
			ok = ok && !memcmp(k, k2, 10);
			for (int j = 0; j < 10; j++)
				ok = ok && ((k[j] >= '0' && k[j] <= '9') || (k[j] >= 'K' && k[j] <= 'P'));
			memcpy(keys[s - 1], k, 10);
		}
		for (int a = 0; a < 2000; a++)
			for (int b = a + 1; b < 2000; b++)
				dup += !memcmp(keys[a], keys[b], 10);
		CHECK(ok);
		CHECK_EQ_I64(dup, 0);
	}
	/* longer keys take a fresh draw per 16 bytes */
	stress_key(1, k, 40);
	CHECK(!memcmp(k, "0P37709P21", 10));
	CHECK(memcmp(k, k + 16, 10) != 0);

	stress_value(5, 0, v1, 34);
	stress_value(5, 0, v2, 34);
	CHECK(!memcmp(v1, v2, 34));
	stress_value(5, 1, v2, 34);
	CHECK(memcmp(v1, v2, 34) != 0);
}

/* ---------------------------------------------------------------- histogram */

/* The histogram maths is core's (tests/unit/test_hist.c); stress keeps stats. */
static void test_histogram(void)
{
	/* stats pick the response-time histogram only under a fixed rate */
	{
		stress_stats *s = calloc(1, sizeof *s);

		stress_stats_reset(s);
		hl_hist_record(&s->service.h, 5);
		CHECK(stress_stats_latency(s, true) == &s->service.h);    /* none recorded */
		hl_hist_record(&s->response.h, 7);
		CHECK(stress_stats_latency(s, true) == &s->response.h);
		CHECK(stress_stats_latency(s, false) == &s->service.h);
		free(s);
	}
}

/* ---------------------------------------------------------------- rate */

static void test_rate_limiter(void)
{
	stress_rl rl = { .t0 = 1000, .rate = 3 };
	stress_rl fast = { .t0 = 0, .rate = 1000000 };
	bool ok = true;

	CHECK_EQ_I64(stress_rl_intended(&rl, 0), 1000);
	CHECK_EQ_I64(stress_rl_intended(&rl, 1), 1000 + 333333333);
	CHECK_EQ_I64(stress_rl_intended(&rl, 2), 1000 + 666666666);
	CHECK_EQ_I64(stress_rl_intended(&rl, 3), 1000 + 1000000000);
	CHECK_EQ_I64(stress_rl_due(&rl, 999), 0);
	CHECK_EQ_I64(stress_rl_due(&rl, 1000), 1);
	CHECK_EQ_I64(stress_rl_due(&rl, 1000 + 333333332), 1);
	CHECK_EQ_I64(stress_rl_due(&rl, 1000 + 333333333), 2);
	CHECK_EQ_I64(stress_rl_due(&rl, 1000 + 1000000000), 4);

	/* due() counts exactly the ops whose intended time has come */
	for (uint64_t i = 0; i < 100000; i += 7) {
		int64_t t = stress_rl_intended(&rl, i);

		ok = ok && stress_rl_due(&rl, t) == i + 1;
		ok = ok && stress_rl_due(&rl, t - 1) == i;
	}
	CHECK(ok);
	/* 10^12 ops at 10^6/s: no overflow, 10^6 s later */
	CHECK_EQ_I64(stress_rl_intended(&fast, 1000000000000ULL), 1000000LL * 1000000000);
	CHECK_EQ_I64(stress_rl_due(&fast, 1000000LL * 1000000000), 1000000000001ULL);
	/* one second holds `rate` ops */
	CHECK_EQ_I64(stress_rl_due(&fast, 999999999) - stress_rl_due(&fast, -1), 1000000);
}

static void test_format(void)
{
	char b[64];

	stress_commas(b, sizeof b, 1234567, 0);
	CHECK_STR(b, "1,234,567");
	stress_commas(b, sizeof b, 999, 0);
	CHECK_STR(b, "999");
	stress_commas(b, sizeof b, 0, 0);
	CHECK_STR(b, "0");
	stress_commas(b, sizeof b, 1234.56, 1);
	CHECK_STR(b, "1,234.6");
	stress_commas(b, sizeof b, -1234, 0);
	CHECK_STR(b, "-1,234");
	stress_commas(b, sizeof b, 100000, 0);
	CHECK_STR(b, "100,000");
	CHECK_STR(stress_op_name(STRESS_OP_COUNTER_WRITE), "COUNTER_WRITE");
	CHECK_STR(stress_cmd_name(STRESS_MIXED), "MIXED");
}

int main(void)
{
	test_opts_defaults();
	test_opts_full();
	test_opts_errors();
	test_parse_long_and_dists();
	test_population();
	test_keys();
	test_histogram();
	test_rate_limiter();
	test_format();
	return T_DONE();
}
