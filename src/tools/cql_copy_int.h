/*
 * tools/cql_copy_int.h: private to COPY (cql_copy.c: options, CSV, COPY TO,
 * the entry point; cql_copy_from.c: text -> bytes conversion, COPY FROM).
 */
#ifndef HL_CQL_COPY_INT_H
#define HL_CQL_COPY_INT_H

#include "tools/cql_int.h"

/* cqlsh's display format for timestamps, the default DATETIMEFORMAT */
#define DEFAULT_DTFMT "%Y-%m-%d %H:%M:%S.%f%z"
/* batches in flight per connection during COPY FROM */
#define FROM_WINDOW 6

typedef struct copy_opts {
	char delim, quote, escape;   /* escape == quote: doubled quotes (Python's doublequote) */
	bool header;
	char *null;
	char *dtfmt;                 /* NULL: cqlsh's default display format */
	char *bool_true, *bool_false;
	char decimalsep, thousandssep;   /* thousandssep 0: none */
	long maxrows, skiprows, pagesize, chunksize, maxbatchsize, maxattempts, numprocesses;
	long maxparseerrors, maxinserterrors, ttl, maxrequests;
	int float_precision, double_precision;
	bool prepared;
	double reportfrequency;
	char *errfile;
	char *skipcols;
	bool has_begin, has_end;
	int64_t begintoken, endtoken;
} copy_opts;

typedef struct copy_col {
	char *name;
	const ty_type *type;
	char kind;                   /* 'p' partition key, 'c' clustering, 's' static, 'r' regular */
	bool skip;                   /* SKIPCOLS: in the file, not imported */
} copy_col;

/* cqlsh's RateMeter: the rate of the last period averaged with the one before. */
typedef struct meter {
	int64_t start, last;
	long last_rows;
	double rate;
	double freq;
	bool quiet;
} meter;

/* cql_copy.c */
void cp_put_name(hl_buf *b, const char *s);
void cp_csv_field(hl_buf *b, const copy_opts *o, const char *s, size_t n);
int cp_csv_record(FILE *f, const copy_opts *o, hl_buf *rec);
bool cp_parse_datetime(const char *fmt, const char *s, int64_t *ms);
void cp_format_datetime(hl_buf *b, const char *fmt, int64_t ms);
bool cp_is_number_kind(ty_kind k);
char *cp_trimmed(const char *s, size_t n);
void cp_describe_interval(char *out, size_t cap, double secs);
void cp_meter_init(meter *m, double freq, bool quiet);
void cp_meter_update(meter *m, long rows, bool force);
int cp_worker_connect(shell *sh, cli_conn **c, hl_err *err);

/* cql_copy_from.c */
/*
 * One CSV field (cqlsh's text of a value of type t) appended to out as the
 * value's bytes; -1 with "Failed to parse <field> : <why>" in err.
 */
int cp_conv_field(const copy_opts *o, const ty_type *t, const char *s, size_t n, hl_buf *out,
		  hl_err *err);
void cp_copy_from(shell *sh, const char *ks, const char *table, copy_col *cols, int ncols,
		  const char *fname, const copy_opts *o);

#endif
