/*
 * tools/stress.c: `helenus stress`, a load generator with cassandra-stress's
 * command line, default schema and output, so its figures line up with the
 * ones published for Cassandra and scripts that parse cassandra-stress's
 * "Results:" block read ours too.
 *
 * Sequence: parse; a control connection through the client library
 * (negotiates v5 or v4, creates keyspace1.standard1 / counter1 unless the
 * command is `options`); a warm-up whose figures are thrown away; the
 * measured run (stress_run.c) printing a progress row per interval; the
 * summary, and on request a CSV of the rows (-log file=) and a JSON summary
 * (--json). Exit status: 0 the run completed (its error count is in the
 * output), 1 it could not run or was cut short, 2 bad arguments.
 */
#include "tools/stress_int.h"
#include "tools/tools.h"
#include "client/client.h"
#include "core/core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define WARMUP_OPS 50000
#define WARMUP_MAX_NS (10LL * 1000000000)

/* Types in the order cassandra-stress lists them (a TreeMap: by name). */
static const int op_order[STRESS_NOPS] = {
	STRESS_OP_COUNTER_WRITE, STRESS_OP_OPTIONS, STRESS_OP_READ, STRESS_OP_WRITE,
};

typedef struct reporter {
	const stress_opts *o;
	bool fixed;
	FILE *out;
	FILE *csv;
	/* interval op rates, for the stderr column (standard error of their mean) */
	double rate_sum, rate_sq;
	int nrates;
	bool seen[STRESS_NOPS];
} reporter;

static double ms(double ns)
{
	return ns / 1e6;
}

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

static double rate(uint64_t n, int64_t ns)
{
	return ns > 0 ? (double)n / secs(ns) : 0.0;
}

static double uncertainty(const reporter *rp)
{
	double mean, var;

	if (rp->nrates < 2)
		return 0.0;
	mean = rp->rate_sum / rp->nrates;
	var = (rp->rate_sq - rp->rate_sum * mean) / (rp->nrates - 1);
	if (mean <= 0 || var <= 0)
		return 0.0;
	return sqrt(var / rp->nrates) / mean;
}

/* One cassandra-stress progress row (its ROWFORMAT, GC columns all zero). */
static void print_row(reporter *rp, const char *type, const stress_stats *iv, uint64_t total_ops,
		      int64_t span, int64_t run_ns)
{
	const hl_hist *h = stress_stats_latency(iv, rp->fixed);
	char label[64];

	snprintf(label, sizeof label, "%s,", type);
	if (rp->out)
		fprintf(rp->out,
		"%-50s%10llu,%8.0f,%8.0f,%8.0f,%8.1f,%8.1f,%8.1f,%8.1f,%8.1f,%8.1f,%7.1f,%9.5f,"
		"%7llu,%7.0f,%8.0f,%8.0f,%8.0f,%8.0f\n",
		label, (unsigned long long)total_ops, rate(iv->ops, span), rate(iv->partitions, span),
		rate(iv->rows, span), ms(hl_hist_mean(h)),
		ms((double)hl_hist_percentile(h, 50)), ms((double)hl_hist_percentile(h, 95)),
		ms((double)hl_hist_percentile(h, 99)), ms((double)hl_hist_percentile(h, 99.9)),
		ms((double)h->max), secs(run_ns), uncertainty(rp), (unsigned long long)iv->errors,
		0.0, 0.0, 0.0, 0.0, 0.0);
	if (rp->csv)
		fprintf(rp->csv, "%s,%llu,%.0f,%.0f,%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%.5f,%llu\n",
			type, (unsigned long long)total_ops, rate(iv->ops, span),
			rate(iv->partitions, span), rate(iv->rows, span), ms(hl_hist_mean(h)),
			ms((double)hl_hist_percentile(h, 50)),
			ms((double)hl_hist_percentile(h, 95)),
			ms((double)hl_hist_percentile(h, 99)),
			ms((double)hl_hist_percentile(h, 99.9)), ms((double)h->max), secs(run_ns),
			uncertainty(rp), (unsigned long long)iv->errors);
}

static void print_header(reporter *rp)
{
	fprintf(rp->out, "%-50s%10s,%8s,%8s,%8s,%8s,%8s,%8s,%8s,%8s,%8s,%7s,%9s,%7s,%7s,%8s,%8s,%8s,%8s\n",
		"type", "total ops", "op/s", "pk/s", "row/s", "mean", "med", ".95", ".99", ".999",
		"max", "time", "stderr", "errors", "gc: #", "max ms", "sum ms", "sdv ms", "mb");
	if (rp->csv)
		fprintf(rp->csv, "type,total_ops,op_s,pk_s,row_s,mean_ms,median_ms,p95_ms,p99_ms,"
			"p999_ms,max_ms,time_s,stderr,errors\n");
}

static void on_interval(void *arg, const stress_stats *iv, const stress_stats *tot, int64_t from,
			int64_t to, int64_t run_start, bool last)
{
	reporter *rp = arg;
	stress_stats sum;
	uint64_t total_ops = 0;
	int kinds = 0;

	stress_stats_reset(&sum);
	for (int i = 0; i < STRESS_NOPS; i++) {
		stress_stats_merge(&sum, &iv[i]);
		total_ops += tot[i].ops;
		if (tot[i].ops)
			rp->seen[i] = true;
		kinds += rp->seen[i];
	}
	if (!sum.ops)
		return;
	/* a short tail interval would skew the rate spread: leave it out */
	if (!last || to - from >= rp->o->interval_ns / 2) {
		double r = rate(sum.ops, to - from);

		rp->rate_sum += r;
		rp->rate_sq += r * r;
		rp->nrates++;
	}
	if (kinds > 1) {
		for (int k = 0; k < STRESS_NOPS; k++) {
			int i = op_order[k];

			if (rp->seen[i])
				print_row(rp, stress_op_name(i), &iv[i], tot[i].ops, to - from,
					  to - run_start);
		}
	}
	print_row(rp, "total", &sum, total_ops, to - from, to - run_start);
	fflush(rp->out);
}

/* "[READ: 1,234 op/s, WRITE: 567 op/s]" over the kinds that ran. */
typedef enum { F_OPRATE, F_PKRATE, F_ROWRATE, F_MEAN, F_P50, F_P95, F_P99, F_P999, F_MAX,
	       F_PARTITIONS, F_ERRORS } field;

static double field_value(const stress_stats *s, field f, int64_t span, bool fixed)
{
	const hl_hist *h = stress_stats_latency(s, fixed);

	switch (f) {
	case F_OPRATE:
		return rate(s->ops, span);
	case F_PKRATE:
		return rate(s->partitions, span);
	case F_ROWRATE:
		return rate(s->rows, span);
	case F_MEAN:
		return ms(hl_hist_mean(h));
	case F_P50:
		return ms((double)hl_hist_percentile(h, 50));
	case F_P95:
		return ms((double)hl_hist_percentile(h, 95));
	case F_P99:
		return ms((double)hl_hist_percentile(h, 99));
	case F_P999:
		return ms((double)hl_hist_percentile(h, 99.9));
	case F_MAX:
		return ms((double)h->max);
	case F_PARTITIONS:
		return (double)s->partitions;
	case F_ERRORS:
		return (double)s->errors;
	}
	return 0;
}

static void brackets(char *out, size_t n, const stress_stats *tot, field f, int64_t span,
		     bool fixed, const char *unit)
{
	size_t l = 0;
	bool any = false;

	l += (size_t)snprintf(out, n, "[");
	for (int k = 0; k < STRESS_NOPS && l < n; k++) {
		int i = op_order[k];
		char num[64];

		if (!tot[i].ops)
			continue;
		stress_commas(num, sizeof num, field_value(&tot[i], f, span, fixed),
			      f >= F_MEAN && f <= F_MAX ? 1 : 0);
		l += (size_t)snprintf(out + l, n - l, "%s%s: %s%s%s", any ? ", " : "",
				      stress_op_name(i), num, *unit ? " " : "", unit);
		any = true;
	}
	if (l < n)
		snprintf(out + l, n - l, "]");
}

static void summary(FILE *f, const stress_stats *tot, int64_t span, bool fixed)
{
	static const struct {
		const char *label;
		field f;
		const char *unit;
	} lines[] = {
		{ "Op rate                   : ", F_OPRATE, "op/s" },
		{ "Partition rate            : ", F_PKRATE, "pk/s" },
		{ "Row rate                  : ", F_ROWRATE, "row/s" },
		{ "Latency mean              : ", F_MEAN, "ms" },
		{ "Latency median            : ", F_P50, "ms" },
		{ "Latency 95th percentile   : ", F_P95, "ms" },
		{ "Latency 99th percentile   : ", F_P99, "ms" },
		{ "Latency 99.9th percentile : ", F_P999, "ms" },
		{ "Latency max               : ", F_MAX, "ms" },
		{ "Total partitions          : ", F_PARTITIONS, "" },
		{ "Total errors              : ", F_ERRORS, "" },
	};
	stress_stats all;
	int64_t s = span / 1000000000;
	char num[64], br[512];

	stress_stats_reset(&all);
	for (int i = 0; i < STRESS_NOPS; i++)
		stress_stats_merge(&all, &tot[i]);
	fprintf(f, "\n\nResults:\n");
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		field fl = lines[i].f;

		brackets(br, sizeof br, tot, fl, span, fixed, lines[i].unit);
		if (fl <= F_ROWRATE) {
			stress_commas(num, sizeof num, field_value(&all, fl, span, fixed), 0);
			/* %,8.0f op/s  / pk/s  / row/s then the brackets */
			fprintf(f, "%s%8s %s%s%s\n", lines[i].label, num, lines[i].unit,
				fl == F_ROWRATE ? " " : "  ", br);
		} else if (fl <= F_MAX) {
			fprintf(f, "%s%6.1f ms %s\n", lines[i].label, field_value(&all, fl, span, fixed),
				br);
		} else {
			stress_commas(num, sizeof num, field_value(&all, fl, span, fixed), 0);
			fprintf(f, "%s%10s %s\n", lines[i].label, num, br);
		}
	}
	fprintf(f, "Total GC count            : 0\n");
	fprintf(f, "Total GC memory           : 0.000 KiB\n");
	fprintf(f, "Total GC time             :    0.0 seconds\n");
	fprintf(f, "Avg GC time               :    NaN ms\n");
	fprintf(f, "StdDev GC time            :    0.0 ms\n");
	fprintf(f, "Total operation time      : %02lld:%02lld:%02lld\n", (long long)(s / 3600),
		(long long)(s / 60 % 60), (long long)(s % 60));
	fprintf(f, "\n");
}

static void json_latency(FILE *f, const char *name, const hl_hist *h)
{
	fprintf(f, "\"%s\": {\"mean\": %.4f, \"p50\": %.4f, \"p95\": %.4f, \"p99\": %.4f, "
		"\"p999\": %.4f, \"max\": %.4f}", name, ms(hl_hist_mean(h)),
		ms((double)hl_hist_percentile(h, 50)), ms((double)hl_hist_percentile(h, 95)),
		ms((double)hl_hist_percentile(h, 99)), ms((double)hl_hist_percentile(h, 99.9)),
		ms((double)h->max));
}

static int write_json(const char *path, const stress_opts *o, int protocol, const stress_result *res,
		      bool fixed, double cpu_s)
{
	FILE *f = fopen(path, "w");
	int64_t span = res->end_ns - res->start_ns;
	stress_stats all;
	bool first = true;

	if (!f)
		return -1;
	stress_stats_reset(&all);
	for (int i = 0; i < STRESS_NOPS; i++)
		stress_stats_merge(&all, &res->total[i]);
	fprintf(f, "{\n  \"command\": \"%s\",\n  \"protocol\": %d,\n  \"prepared\": %s,\n",
		stress_cmd_name(o->cmd), protocol, o->prepared ? "true" : "false");
	fprintf(f, "  \"threads\": %d,\n  \"connections_per_node\": %d,\n  \"inflight_per_connection\": %d,\n",
		o->threads, o->connections, o->inflight);
	fprintf(f, "  \"fixed_rate\": %lld,\n  \"throttle_rate\": %lld,\n  \"consistency\": \"%s\",\n",
		(long long)o->fixed_rate, (long long)o->throttle_rate, cli_cl_name(o->cl));
	fprintf(f, "  \"op_rate\": %.1f,\n  \"partition_rate\": %.1f,\n  \"row_rate\": %.1f,\n  ",
		rate(all.ops, span), rate(all.partitions, span), rate(all.rows, span));
	json_latency(f, "latency_ms", stress_stats_latency(&all, fixed));
	fprintf(f, ",\n  ");
	json_latency(f, "service_latency_ms", &all.service.h);
	fprintf(f, ",\n  \"total_ops\": %llu,\n  \"total_partitions\": %llu,\n  \"total_rows\": %llu,\n",
		(unsigned long long)all.ops, (unsigned long long)all.partitions,
		(unsigned long long)all.rows);
	fprintf(f, "  \"total_errors\": %llu,\n  \"missing_reads\": %llu,\n  \"duration_s\": %.3f,\n",
		(unsigned long long)all.errors, (unsigned long long)res->missing, secs(span));
	fprintf(f, "  \"client_cpu_s\": %.3f,\n  \"per_op\": {", cpu_s);
	for (int k = 0; k < STRESS_NOPS; k++) {
		int i = op_order[k];
		const stress_stats *s = &res->total[i];

		if (!s->ops)
			continue;
		fprintf(f, "%s\n    \"%s\": {\"ops\": %llu, \"op_rate\": %.1f, \"errors\": %llu, ",
			first ? "" : ",", stress_op_name(i), (unsigned long long)s->ops,
			rate(s->ops, span), (unsigned long long)s->errors);
		json_latency(f, "latency_ms", stress_stats_latency(s, fixed));
		fprintf(f, "}");
		first = false;
	}
	fprintf(f, "\n  }\n}\n");
	return fclose(f) ? -1 : 0;
}

/* ---------------------------------------------------------------- schema */

static int run_cql(cli_conn *c, const char *cql, hl_err *err)
{
	cli_qopts q;
	cli_result *res = NULL;

	cli_qopts_init(&q);
	if (cli_query(c, cql, strlen(cql), &q, &res, err))
		return -1;
	cli_result_free(res);
	return 0;
}

/*
 * The tables cassandra-stress creates. `compression = {}` is its spelling of
 * "no compression" (Cassandra reads an empty map so); a server that refuses
 * the empty map gets the explicit {'enabled': 'false'}, and one that refuses
 * that too gets its default, rather than no table at all.
 */
static int create_table(cli_conn *c, const char *ks, const char *name, const char *type, int ncols,
			hl_err *err)
{
	static const char *const with[] = { " WITH compression = {}",
					    " WITH compression = {'enabled': 'false'}", "" };
	char cql[4096];
	size_t l = (size_t)snprintf(cql, sizeof cql,
				    "CREATE TABLE IF NOT EXISTS \"%s\".\"%s\" (key blob PRIMARY KEY", ks,
				    name);

	for (int i = 0; i < ncols && l < sizeof cql; i++)
		l += (size_t)snprintf(cql + l, sizeof cql - l, ", \"C%d\" %s", i, type);
	if (l + 64 >= sizeof cql)
		return hl_errf(err, CLI_ERR_USAGE, "too many columns");
	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++) {
		snprintf(cql + l, sizeof cql - l, ")%s", with[i]);
		if (run_cql(c, cql, err) == 0)
			return 0;
		if (err->code != HL_ERR_CONFIG && err->code != HL_ERR_INVALID &&
		    err->code != HL_ERR_SYNTAX)
			return -1;
	}
	return -1;
}

static int create_schema(cli_conn *c, const stress_opts *o, hl_err *err)
{
	char cql[1024];

	snprintf(cql, sizeof cql,
		 "CREATE KEYSPACE IF NOT EXISTS \"%s\" WITH replication = %s AND durable_writes = true",
		 o->keyspace, o->replication);
	if (run_cql(c, cql, err))
		return -1;
	if (create_table(c, o->keyspace, "standard1", "blob", o->ncols, err))
		return -1;
	return create_table(c, o->keyspace, "counter1", "counter", o->ncols, err);
}

/* "Test Cluster" and the coordinator's dc/rack, as cassandra-stress prints them. */
static void print_cluster(cli_conn *c, const stress_opts *o)
{
	static const char q[] = "SELECT cluster_name, data_center, rack FROM system.local";
	cli_qopts qo;
	cli_result *res = NULL;
	hl_err err;

	cli_qopts_init(&qo);
	if (cli_query(c, q, sizeof q - 1, &qo, &res, &err) || res->kind != CLI_RES_ROWS ||
	    res->nrows < 1 || res->ncols < 3) {
		cli_result_free(res);
		printf("Connected to cluster at %s:%s, max pending requests per connection %d, "
		       "max connections per host %d\n", o->nodes[0], o->port, o->inflight, o->connections);
		return;
	}
	{
		const cli_cell *cn = cli_cell_at(res, 0, 0), *dc = cli_cell_at(res, 0, 1),
			       *rack = cli_cell_at(res, 0, 2);

		printf("Connected to cluster: %.*s, max pending requests per connection %d, "
		       "max connections per host %d\n", cn->n > 0 ? (int)cn->n : 0, (const char *)cn->p,
		       o->inflight, o->connections);
		printf("Datacenter: %.*s; Host: /%s:%s; Rack: %.*s\n", dc->n > 0 ? (int)dc->n : 0,
		       (const char *)dc->p, o->nodes[0], o->port, rack->n > 0 ? (int)rack->n : 0,
		       (const char *)rack->p);
	}
	cli_result_free(res);
}

static void print_settings(const stress_opts *o)
{
	char n[64];

	printf("******************** Stress Settings ********************\n");
	printf("Command:\n  Type: %s\n", stress_cmd_name(o->cmd));
	if (o->count > 0) {
		stress_commas(n, sizeof n, (double)o->count, 0);
		printf("  Count: %s\n", n);
	} else {
		printf("  Duration: %lld SECONDS\n", (long long)(o->duration_ns / 1000000000));
	}
	printf("  Consistency Level: %s\n  No Warmup: %s\n", cli_cl_name(o->cl),
	       o->no_warmup ? "true" : "false");
	if (o->cmd == STRESS_MIXED)
		printf("  Command Ratios: {READ=%g, WRITE=%g}\n", o->ratio_read, o->ratio_write);
	printf("Rate:\n  Threads: %d\n", o->threads);
	if (o->fixed_rate)
		printf("  OpRate Per Second: %lld (fixed: latency from the intended start)\n",
		       (long long)o->fixed_rate);
	else if (o->throttle_rate)
		printf("  OpRate Per Second: %lld (throttle)\n", (long long)o->throttle_rate);
	printf("Population:\n  Distribution: ");
	switch (o->pop.kind) {
	case STRESS_DIST_SEQ:
		printf("Sequence %lld..%lld%s\n", (long long)o->pop.min, (long long)o->pop.max,
		       o->pop.wrap ? "" : " (no-wrap)");
		break;
	case STRESS_DIST_FIXED:
		printf("Fixed %lld\n", (long long)o->pop.min);
		break;
	case STRESS_DIST_UNIFORM:
		printf("Uniform %lld..%lld\n", (long long)o->pop.min, (long long)o->pop.max);
		break;
	case STRESS_DIST_GAUSSIAN:
		printf("Gaussian %lld..%lld mean %.1f stdev %.1f\n", (long long)o->pop.min,
		       (long long)o->pop.max, o->pop.mean, o->pop.stdev);
		break;
	default:
		printf("Exponential %lld..%lld\n", (long long)o->pop.min, (long long)o->pop.max);
		break;
	}
	printf("Columns:\n  Max Columns Per Key: %d\n  Column Size: %s(%lld%s%lld)\n", o->ncols,
	       o->colsize.kind == STRESS_DIST_FIXED ? "FIXED" : "UNIFORM", (long long)o->colsize.min,
	       o->colsize.kind == STRESS_DIST_FIXED ? "" : "..",
	       o->colsize.kind == STRESS_DIST_FIXED ? 0LL : (long long)o->colsize.max);
	printf("Mode:\n  API: NATIVE (Helenus, epoll)\n  Prepared: %s\n"
	       "  Connections Per Host: %d\n  Max Pending Per Connection: %d\n",
	       o->prepared ? "true" : "false", o->connections, o->inflight);
	printf("Node:\n  Nodes: [");
	for (int i = 0; i < o->nnodes; i++)
		printf("%s%s", i ? ", " : "", o->nodes[i]);
	printf("]\nPort:\n  Native Port: %s\n", o->port);
	printf("Schema:\n  Keyspace: %s\n  Replication: %s\n", o->keyspace, o->replication);
	printf("\n");
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int tool_stress(int argc, char **argv)
{
	stress_opts o;
	char err[512];
	cli_opts co;
	cli_conn *ctl = NULL;
	hl_err herr;
	stress_run_cfg cfg;
	stress_result *res = NULL;
	reporter rp;
	int rc = 1;
	bool fixed;
	double cpu0;

	memset(&rp, 0, sizeof rp);
	if (stress_opts_parse(argc, argv, &o, err, sizeof err)) {
		fprintf(stderr, "helenus stress: %s\n(helenus stress help lists the options)\n", err);
		stress_opts_free(&o);
		return 2;
	}
	if (o.help) {
		stress_usage(stdout);
		stress_opts_free(&o);
		return 0;
	}
	fixed = o.fixed_rate > 0;
	print_settings(&o);

	memset(&co, 0, sizeof co);
	co.host = o.nodes[0];
	co.port = o.port;
	co.protocol = o.protocol;
	co.username = o.user;
	co.password = o.password;
	co.request_timeout_ms = 30000;
	if (cli_connect(&co, &ctl, &herr)) {
		fprintf(stderr, "helenus stress: cannot connect to %s:%s: %s\n", co.host, co.port,
			herr.msg);
		goto out;
	}
	print_cluster(ctl, &o);
	if (o.cmd != STRESS_OPTIONS) {
		if (create_schema(ctl, &o, &herr)) {
			fprintf(stderr, "helenus stress: creating the schema failed: %s\n", herr.msg);
			goto out;
		}
		printf("Created keyspaces.\n");
	}

	res = hl_malloc(sizeof *res);
	memset(&cfg, 0, sizeof cfg);
	cfg.o = &o;
	cfg.protocol = cli_protocol(ctl);
	cfg.cql_version = cli_server_cql_version(ctl);
	cfg.threads = o.threads;
	cfg.rng_seed = (uint64_t)hl_now_micros();

	if (!o.no_warmup) {
		int64_t n = o.count > 0 && o.count < WARMUP_OPS ? o.count : WARMUP_OPS;

		printf("Warming up %s with %lld iterations...\n", stress_cmd_name(o.cmd), (long long)n);
		fflush(stdout);
		cfg.count = n;
		cfg.duration_ns = WARMUP_MAX_NS;
		/* the warm-up only has to get the server going: no rate, no reports */
		cfg.threads = o.fixed_rate || o.throttle_rate ? o.connections * o.inflight : o.threads;
		if (cfg.threads > o.connections * o.inflight)
			cfg.threads = o.connections * o.inflight;
		if (stress_run_load(&cfg, res)) {
			fprintf(stderr, "helenus stress: warm-up failed: %s\n", res->msg);
			goto out;
		}
		cfg.threads = o.threads;
	}

	rp.o = &o;
	rp.fixed = fixed;
	rp.out = stdout;
	if (o.log_file && !(rp.csv = fopen(o.log_file, "w"))) {
		fprintf(stderr, "helenus stress: cannot write %s\n", o.log_file);
		goto out;
	}
	cfg.count = o.count > 0 ? o.count : -1;
	cfg.duration_ns = o.count > 0 ? 0 : o.duration_ns;
	cfg.rate = o.fixed_rate ? o.fixed_rate : o.throttle_rate;
	cfg.rate_from_intended = fixed;
	cfg.report = on_interval;
	cfg.report_arg = &rp;
	cfg.interval_ns = o.interval_ns;
	cfg.rng_seed ^= 0x5851F42D4C957F2DULL;     /* not the warm-up's draws again */
	if (o.count > 0)
		printf("Running %s with %d threads for %lld iteration\n", stress_cmd_name(o.cmd),
		       o.threads, (long long)o.count);
	else
		printf("Running %s with %d threads %lld seconds\n", stress_cmd_name(o.cmd), o.threads,
		       (long long)(o.duration_ns / 1000000000));
	print_header(&rp);
	cpu0 = cpu_seconds();
	if (stress_run_load(&cfg, res)) {
		fprintf(stderr, "helenus stress: %s\n", res->msg);
		goto out_csv;
	}
	summary(stdout, res->total, res->end_ns - res->start_ns, fixed);
	if (rp.csv) {
		stress_stats all;
		reporter tail = rp;

		stress_stats_reset(&all);
		for (int i = 0; i < STRESS_NOPS; i++)
			stress_stats_merge(&all, &res->total[i]);
		tail.out = NULL;        /* the summary row goes to the CSV only */
		print_row(&tail, "summary", &all, all.ops, res->end_ns - res->start_ns,
			  res->end_ns - res->start_ns);
	}
	if (res->missing)
		printf("Reads that found no row   : %llu\n", (unsigned long long)res->missing);
	printf("END\n");
	if (o.json_file && write_json(o.json_file, &o, cfg.protocol, res, fixed, cpu_seconds() - cpu0)) {
		fprintf(stderr, "helenus stress: cannot write %s\n", o.json_file);
		goto out_csv;
	}
	rc = 0;
out_csv:
	if (rp.csv && fclose(rp.csv) && rc == 0) {
		fprintf(stderr, "helenus stress: cannot write %s\n", o.log_file);
		rc = 1;
	}
out:
	fflush(stdout);
	free(res);
	cli_close(ctl);
	stress_opts_free(&o);
	return rc;
}
