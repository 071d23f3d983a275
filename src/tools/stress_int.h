/*
 * tools/stress_int.h: private to the `helenus stress` files (stress*.c).
 *
 * The pieces that have no I/O live behind this header so the unit tests can
 * reach them: the command line (cassandra-stress's syntax), the latency
 * histogram, the key and value generators, the population distributions
 * and the fixed-rate schedule. stress_run.c is the epoll load loop and
 * stress.c the subcommand itself (schema, warm-up, reports).
 *
 * Prefix: stress_.
 */
#ifndef HL_STRESS_INT_H
#define HL_STRESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"

/* ---------------------------------------------------------------- histogram */

/*
 * Latencies in nanoseconds go into core's log-linear histogram (hl_hist) at
 * 2^7 buckets per power of two (a bucket is never wider than 0.8% of its
 * values) up to 2^40 ns (18 minutes); the storage sits beside the header,
 * set up by stress_stats_reset.
 */
#define STRESS_HIST_SUB_BITS 7
#define STRESS_HIST_MAX_BITS 40
#define STRESS_HIST_BUCKETS HL_HIST_NBUCKETS(STRESS_HIST_SUB_BITS, STRESS_HIST_MAX_BITS)

typedef struct stress_hist {
	hl_hist h;
	uint64_t store[STRESS_HIST_BUCKETS];
} stress_hist;

/* ---------------------------------------------------------------- generators */

/* java.util.Random, bit for bit: cassandra-stress draws keys from it. */
typedef struct stress_jrand {
	uint64_t seed;
} stress_jrand;

void stress_jrand_seed(stress_jrand *r, int64_t seed);
int32_t stress_jrand_next(stress_jrand *r, int bits);
double stress_jrand_double(stress_jrand *r);

/* A small fast PRNG for everything that need not match cassandra-stress. */
typedef struct stress_rng {
	uint64_t s;
} stress_rng;

uint64_t stress_rng_next(stress_rng *r);
double stress_rng_double(stress_rng *r);      /* [0, 1) */

#define STRESS_KEY_MAX 64

/*
 * The partition key for population seed `seed`, as cassandra-stress's
 * predefined commands build it: java.util.Random seeded with
 * seed ^ Murmur3("randomstrkey") feeds uniform(1..100B) draws, the first
 * drawn for the size generator, then one draw per 16 key bytes rendered a
 * nibble per byte as '0'+v or 'A'+v. Returns len.
 */
size_t stress_key(int64_t seed, uint8_t *out, size_t len);
/* Column value i of a row: deterministic in (seed, i), any bytes. */
void stress_value(int64_t seed, int col, uint8_t *out, size_t len);

enum { STRESS_DIST_SEQ, STRESS_DIST_FIXED, STRESS_DIST_UNIFORM, STRESS_DIST_GAUSSIAN,
       STRESS_DIST_EXP };

typedef struct stress_dist {
	int kind;
	int64_t min, max;       /* FIXED: min == max */
	double mean, stdev;     /* GAUSSIAN; EXP uses mean */
	bool wrap;              /* SEQ: start again after max (cassandra-stress's default) */
} stress_dist;

/* Parse "seq=A..B" is the caller's; this parses "NAME(args)" as -pop dist=,
 * -col size= take them. Returns 0 or -1 with a message in err. */
int stress_dist_parse(const char *spec, stress_dist *d, char *err, size_t errlen);
/* 1k = 1000, 1m = 10^6, 1b = 10^9 (cassandra-stress's parseLong). */
int stress_parse_long(const char *s, size_t n, int64_t *out);

/* Where a sequence or a random draw stands. */
typedef struct stress_pop {
	stress_dist d;
	uint64_t next;          /* SEQ: draws so far */
	stress_rng rng;
} stress_pop;

void stress_pop_init(stress_pop *p, const stress_dist *d, uint64_t rng_seed);
/* Next seed; false when a no-wrap sequence is exhausted. */
bool stress_pop_next(stress_pop *p, int64_t *seed);

/* ---------------------------------------------------------------- fixed rate */

/*
 * The schedule of -rate fixed=N/s: op i is due at t0 + floor(i * 10^9 / rate)
 * ns. Latency is measured from that intended time, not from when the loop
 * got round to sending it, so a stall in the server shows up in the
 * percentiles instead of silently slowing the load (coordinated omission).
 */
typedef struct stress_rl {
	int64_t t0;
	int64_t rate;           /* ops per second, > 0 */
} stress_rl;

int64_t stress_rl_intended(const stress_rl *rl, uint64_t i);
/* How many ops are due at time now (those with intended <= now). */
uint64_t stress_rl_due(const stress_rl *rl, int64_t now);

/* ---------------------------------------------------------------- options */

enum { STRESS_WRITE, STRESS_READ, STRESS_MIXED, STRESS_COUNTER_WRITE, STRESS_OPTIONS };
/* Op kinds that get their own statistics (the bracketed per-type figures). */
enum { STRESS_OP_WRITE, STRESS_OP_READ, STRESS_OP_COUNTER_WRITE, STRESS_OP_OPTIONS,
       STRESS_NOPS };

#define STRESS_MAX_NODES 16
#define STRESS_MAX_COLS 64

typedef struct stress_opts {
	int cmd;
	int64_t count;          /* n=, -1 when duration= is used */
	int64_t duration_ns;    /* duration=, 0 when n= is used */
	int cl;
	bool no_warmup;
	double ratio_write, ratio_read;         /* mixed */
	/* -rate */
	int threads;            /* in flight in total (cassandra-stress's client threads) */
	int64_t fixed_rate;     /* ops/s, latency from the intended time; 0: none */
	int64_t throttle_rate;  /* ops/s, latency from the send; 0: none */
	/* -mode */
	bool prepared;
	int protocol;           /* 0: negotiate 5 then 4 */
	int connections;        /* per node */
	int inflight;           /* per connection */
	const char *user, *password;
	/* -node / -port */
	const char *nodes[STRESS_MAX_NODES];
	int nnodes;
	char port[8];
	/* -pop */
	stress_dist pop;
	bool pop_set, no_wrap;
	/* -col */
	int ncols;
	stress_dist colsize;
	int keysize;
	/* -schema */
	char keyspace[64];
	char replication[640];  /* the CQL map, e.g. {'class': 'SimpleStrategy', ...} */
	/* -log / extras */
	int64_t interval_ns;
	const char *log_file;
	const char *json_file;
	bool help;
	char **nodes_buf;       /* owned copies of -node host lists */
	int nnodes_buf;
} stress_opts;

/*
 * Parse `helenus stress` arguments (argv[0] is "stress"). Returns 0, or -1
 * with a one-line message in err. Fills every default cassandra-stress uses
 * for what was not given. stress_opts_free releases the copies it made.
 */
int stress_opts_parse(int argc, char **argv, stress_opts *o, char *err, size_t errlen);
void stress_opts_free(stress_opts *o);
void stress_usage(FILE *f);
const char *stress_cmd_name(int cmd);
const char *stress_op_name(int op);

/* ---------------------------------------------------------------- run */

/* Counters of one op kind over an interval or the whole run. */
typedef struct stress_stats {
	uint64_t ops, partitions, rows, errors;
	stress_hist service;     /* from the send */
	stress_hist response;    /* from the intended time (fixed rate only) */
} stress_stats;

void stress_stats_reset(stress_stats *s);
void stress_stats_merge(stress_stats *dst, const stress_stats *src);
/* The histogram the reports use: response time under fixed=, else service. */
const hl_hist *stress_stats_latency(const stress_stats *s, bool fixed);

typedef struct stress_run stress_run;

/*
 * Called by the loop at every report interval and once at the end, with the
 * interval's counters, the run's so far (interval included) and the times.
 */
typedef void (*stress_report_fn)(void *arg, const stress_stats *interval, const stress_stats *total,
				 int64_t start_ns, int64_t end_ns, int64_t run_start_ns, bool last);

typedef struct stress_run_cfg {
	const stress_opts *o;
	int protocol;                   /* negotiated on the control connection */
	const char *cql_version;
	int64_t count;                  /* ops to run, -1: no limit */
	int64_t duration_ns;            /* 0: no limit; with count, whichever ends first */
	int64_t rate;                   /* 0: closed loop */
	bool rate_from_intended;        /* fixed= (true) or throttle= (false) */
	int threads;
	uint64_t rng_seed;
	stress_report_fn report;        /* NULL: no interval reports */
	void *report_arg;
	int64_t interval_ns;
} stress_run_cfg;

typedef struct stress_result {
	stress_stats total[STRESS_NOPS];
	int64_t start_ns, end_ns;
	uint64_t missing;               /* reads that found no row */
	bool aborted;                   /* a connection broke or setup failed */
	char msg[512];
} stress_result;

/* Open the connections, run the load, close. Returns 0, or -1 with res->msg. */
int stress_run_load(const stress_run_cfg *cfg, stress_result *res);

/* The CQL text of the statements of a command (for prepare and for tests). */
void stress_cql_write(const stress_opts *o, char *out, size_t n);
void stress_cql_read(const stress_opts *o, char *out, size_t n);
void stress_cql_counter(const stress_opts *o, char *out, size_t n);

/* "1,234,567" as Java's %,d does. */
void stress_commas(char *out, size_t n, double v, int decimals);

#endif
