/*
 * schema/params.c: table options (Cassandra 5.0 TableParams with its
 * defaults, parsing, normalization and validation) and keyspace replication
 * (strategy resolution and the per-strategy option checks).
 *
 * Messages and error codes follow Cassandra: malformed values are syntax
 * errors (PropertyDefinitions), out-of-range values configuration errors
 * (TableParams.validate, the replication strategies).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/sch_int.h"

#define MAX_TTL 630720000    /* Attributes.MAX_TTL: 20 years */
#define MIN_BLOOM_FP 6.71e-05

static const char STCS[] = SCH_COMPACTION_PKG "SizeTieredCompactionStrategy";
static const char LCS[] = SCH_COMPACTION_PKG "LeveledCompactionStrategy";
static const char TWCS[] = SCH_COMPACTION_PKG "TimeWindowCompactionStrategy";
static const char UCS[] = SCH_COMPACTION_PKG "UnifiedCompactionStrategy";

/* Arena-free defaults: the maps point at static storage until copied. */
static sch_kv def_caching[] = {
	{ "keys", "ALL", 3 }, { "rows_per_partition", "NONE", 4 },
};
static sch_kv def_compaction[] = {
	{ "class", STCS, sizeof STCS - 1 }, { "max_threshold", "32", 2 }, { "min_threshold", "4", 1 },
};
static sch_kv def_compression[] = {
	{ "chunk_length_in_kb", "16", 2 },
	{ "class", SCH_COMPRESS_PKG "LZ4Compressor", sizeof(SCH_COMPRESS_PKG "LZ4Compressor") - 1 },
};

void sch__params_default(sch_params *p)
{
	memset(p, 0, sizeof *p);
	p->additional_write_policy = "99p";
	p->allow_auto_snapshot = true;
	p->bloom_filter_fp_chance = 0.01;
	p->caching = (sch_map){ 2, def_caching };
	p->cdc = false;
	p->comment = "";
	p->compaction = (sch_map){ 3, def_compaction };
	p->compression = (sch_map){ 2, def_compression };
	p->memtable = "default";
	p->crc_check_chance = 1.0;
	p->default_time_to_live = 0;
	p->gc_grace_seconds = 864000;
	p->incremental_backups = true;
	p->max_index_interval = 2048;
	p->memtable_flush_period_in_ms = 0;
	p->min_index_interval = 128;
	p->read_repair = "BLOCKING";
	p->speculative_retry = "99p";
}

/* ---------------------------------------------------------------- scalars */

static int want_scalar(const sch_option *o, hl_err *err)
{
	if (o->kind == SCH_OPT_MAP || !o->str)
		return hl_errf(err, HL_ERR_SYNTAX, "Invalid value for property '%s'. It should be a string",
			       o->name);
	return 0;
}

static int want_map(const sch_option *o, hl_err *err)
{
	if (o->kind != SCH_OPT_MAP)
		return hl_errf(err, HL_ERR_SYNTAX, "Invalid value for property '%s'. It should be a map.",
			       o->name);
	return 0;
}

static int parse_int_str(const char *s, int32_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < INT32_MIN || v > INT32_MAX)
		return -1;
	*out = (int32_t)v;
	return 0;
}

static int opt_int(const sch_option *o, int32_t *out, hl_err *err)
{
	if (want_scalar(o, err))
		return -1;
	if (parse_int_str(o->str, out))
		return hl_errf(err, HL_ERR_SYNTAX, "Invalid integer value %s for '%s'", o->str, o->name);
	return 0;
}

static int opt_double(const sch_option *o, double *out, hl_err *err)
{
	char *end;

	if (want_scalar(o, err))
		return -1;
	errno = 0;
	*out = strtod(o->str, &end);
	if (!*o->str || *end || errno)
		return hl_errf(err, HL_ERR_SYNTAX, "Invalid double value %s for '%s'", o->str, o->name);
	return 0;
}

static int parse_bool_str(const char *s, bool *out)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int opt_bool(const sch_option *o, bool *out, hl_err *err)
{
	if (want_scalar(o, err))
		return -1;
	if (parse_bool_str(o->str, out))
		return hl_errf(err, HL_ERR_SYNTAX,
			       "Invalid boolean value %s for '%s'. Positive values can be 'true', 'yes' or '1'. "
			       "Negative values can be 'false', 'no' or '0'.", o->str, o->name);
	return 0;
}

static size_t kv_len(const sch_kv *e)
{
	return e->vlen ? e->vlen : strlen(e->value);
}

/* ---------------------------------------------------------------- speculative retry */

static bool ends_with_ci(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

/* Java's DecimalFormat("#.####"): at most 4 decimals, no trailing zeros. */
static void put_percentile(hl_buf *b, double v)
{
	char tmp[64];
	size_t n;

	snprintf(tmp, sizeof tmp, "%.4f", v);
	n = strlen(tmp);
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	if (n > 0 && tmp[n - 1] == '.')
		n--;
	hl_buf_put(b, tmp, n);
}

/* SpeculativeRetryPolicy.fromString + toString: "99PERCENTILE" -> "99p". */
static int norm_retry(const char *s, size_t n, hl_buf *b)
{
	char tmp[64];
	char *end;
	double v;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof tmp)
		return -1;
	if (n == 6 && !strncasecmp(s, "ALWAYS", 6)) {
		hl_buf_str(b, "ALWAYS");
		return 0;
	}
	if (n == 5 && !strncasecmp(s, "NEVER", 5)) {
		hl_buf_str(b, "NEVER");
		return 0;
	}
	if (n > 5 && (!strncasecmp(s, "MIN(", 4) || !strncasecmp(s, "MAX(", 4)) && s[n - 1] == ')') {
		const char *in = s + 4, *comma = memchr(in, ',', n - 5);

		if (!comma)
			return -1;
		hl_buf_str(b, toupper((unsigned char)s[1]) == 'I' ? "MIN(" : "MAX(");
		if (norm_retry(in, (size_t)(comma - in), b))
			return -1;
		hl_buf_u8(b, ',');
		if (norm_retry(comma + 1, (size_t)(s + n - 1 - comma - 1), b))
			return -1;
		hl_buf_u8(b, ')');
		return 0;
	}
	if (ends_with_ci(s, n, "percentile") || ends_with_ci(s, n, "p")) {
		size_t k = ends_with_ci(s, n, "percentile") ? n - 10 : n - 1;

		memcpy(tmp, s, k);
		tmp[k] = 0;
		v = strtod(tmp, &end);
		if (!k || *end || !(v >= 0 && v <= 100))
			return -1;
		put_percentile(b, v);
		hl_buf_u8(b, 'p');
		return 0;
	}
	if (ends_with_ci(s, n, "ms")) {
		memcpy(tmp, s, n - 2);
		tmp[n - 2] = 0;
		v = strtod(tmp, &end);
		if (n == 2 || *end || v < 0)
			return -1;
		hl_buf_printf(b, "%lldms", (long long)v);
		return 0;
	}
	return -1;
}

static int opt_retry(hl_arena *a, const sch_option *o, const char **out, hl_err *err)
{
	hl_buf b;
	int rc;

	if (want_scalar(o, err))
		return -1;
	hl_buf_init(&b);
	rc = norm_retry(o->str, strlen(o->str), &b);
	if (rc == 0)
		*out = hl_arena_strndup(a, (const char *)b.p, b.len);
	else
		hl_errf(err, HL_ERR_CONFIG, "Invalid value %s for option '%s'", o->str, o->name);
	hl_buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- maps */

static const char *ucase(hl_arena *a, const char *s, size_t n)
{
	char *c = hl_arena_strndup(a, s, n);
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (char)toupper((unsigned char)c[i]);
	return c;
}

static int opt_caching(hl_arena *a, const sch_option *o, sch_map *out, hl_err *err)
{
	const char *keys = "ALL", *rows = "NONE";
	int i;

	if (want_map(o, err))
		return -1;
	for (i = 0; i < o->nmap; i++) {
		const sch_kv *e = &o->map[i];
		size_t n = kv_len(e);

		if (strcmp(e->key, "keys") == 0) {
			if (n == 3 && !strncasecmp(e->value, "ALL", 3))
				keys = "ALL";
			else if (n == 4 && !strncasecmp(e->value, "NONE", 4))
				keys = "NONE";
			else
				return hl_errf(err, HL_ERR_CONFIG,
					       "Invalid value '%.*s' for caching sub-option 'keys': only 'ALL' and 'NONE' are allowed",
					       (int)n, e->value);
		} else if (strcmp(e->key, "rows_per_partition") == 0) {
			int32_t v;
			char *tmp = hl_arena_strndup(a, e->value, n);

			if ((n == 3 && !strncasecmp(e->value, "ALL", 3)) ||
			    (n == 4 && !strncasecmp(e->value, "NONE", 4)))
				rows = ucase(a, e->value, n);
			else if (parse_int_str(tmp, &v) == 0 && v > 0)
				rows = tmp;
			else
				return hl_errf(err, HL_ERR_CONFIG,
					       "Invalid value '%.*s' for caching sub-option 'rows_per_partition': only 'ALL', 'NONE', and integer values are allowed",
					       (int)n, e->value);
		} else {
			return hl_errf(err, HL_ERR_CONFIG,
				       "Invalid caching sub-options [%s]: only 'keys' and 'rows_per_partition' are allowed",
				       e->key);
		}
	}
	memset(out, 0, sizeof *out);
	sch__map_set(a, out, "keys", keys, strlen(keys));
	sch__map_set(a, out, "rows_per_partition", rows, strlen(rows));
	return 0;
}

static int opt_compaction(hl_arena *a, const sch_option *o, sch_map *out, bool *is_lcs, hl_err *err)
{
	const char *cls = NULL, *fq;
	size_t cn = 0;
	int i;

	if (want_map(o, err))
		return -1;
	memset(out, 0, sizeof *out);
	for (i = 0; i < o->nmap; i++) {
		if (strcmp(o->map[i].key, "class") == 0) {
			cls = o->map[i].value;
			cn = kv_len(&o->map[i]);
		} else {
			sch__map_set(a, out, o->map[i].key, o->map[i].value, kv_len(&o->map[i]));
		}
	}
	if (!cls)
		return hl_errf(err, HL_ERR_CONFIG, "Missing sub-option 'class' for the 'compaction' option.");
	fq = memchr(cls, '.', cn) ? hl_arena_strndup(a, cls, cn)
				 : hl_arena_printf(a, SCH_COMPACTION_PKG "%.*s", (int)cn, cls);
	if (strcmp(fq, STCS) && strcmp(fq, LCS) && strcmp(fq, TWCS) && strcmp(fq, UCS))
		return hl_errf(err, HL_ERR_CONFIG, "Unable to find compaction strategy class '%s'", fq);
	for (i = 0; i < out->n; i++) {
		int32_t v;

		if ((!strcmp(out->e[i].key, "min_threshold") || !strcmp(out->e[i].key, "max_threshold")) &&
		    parse_int_str(out->e[i].value, &v))
			return hl_errf(err, HL_ERR_CONFIG, "%s is not a parsable int (base10) for %s",
				       out->e[i].value, out->e[i].key);
	}
	sch__map_set(a, out, "class", fq, strlen(fq));
	/* CompactionParams.create adds the thresholds for strategies that use them */
	if (strcmp(fq, UCS) != 0) {
		if (!sch_map_get(out, "max_threshold"))
			sch__map_set(a, out, "max_threshold", "32", 2);
		if (!sch_map_get(out, "min_threshold"))
			sch__map_set(a, out, "min_threshold", "4", 1);
	}
	*is_lcs = strcmp(fq, LCS) == 0;
	return 0;
}

static int opt_compression(hl_arena *a, const sch_option *o, sch_map *out, hl_err *err)
{
	const char *cls = NULL, *chunk = NULL, *fq;
	size_t cn = 0, chn = 0;
	bool enabled = true;
	int i;

	if (want_map(o, err))
		return -1;
	memset(out, 0, sizeof *out);
	for (i = 0; i < o->nmap; i++) {
		const sch_kv *e = &o->map[i];
		size_t n = kv_len(e);

		if (!strcmp(e->key, "class") || !strcmp(e->key, "sstable_compression")) {
			cls = e->value;
			cn = n;
		} else if (!strcmp(e->key, "chunk_length_in_kb") || !strcmp(e->key, "chunk_length_kb")) {
			chunk = e->value;
			chn = n;
		} else if (!strcmp(e->key, "enabled")) {
			char *v = hl_arena_strndup(a, e->value, n);

			if (parse_bool_str(v, &enabled))
				return hl_errf(err, HL_ERR_CONFIG, "Invalid value '%s' for compression sub-option 'enabled'", v);
		} else if (!strcmp(e->key, "crc_check_chance")) {
			/* moved to a table option in 3.0; accepted and ignored here */
		} else {
			sch__map_set(a, out, e->key, e->value, n);
		}
	}
	if (!enabled) {
		memset(out, 0, sizeof *out);
		sch__map_set(a, out, "enabled", "false", 5);
		return 0;
	}
	if (!cls)
		return hl_errf(err, HL_ERR_CONFIG, "Missing sub-option 'class' for the 'compression' option.");
	fq = memchr(cls, '.', cn) ? hl_arena_strndup(a, cls, cn)
				 : hl_arena_printf(a, SCH_COMPRESS_PKG "%.*s", (int)cn, cls);
	if (strcmp(fq, SCH_COMPRESS_PKG "LZ4Compressor") && strcmp(fq, SCH_COMPRESS_PKG "SnappyCompressor") &&
	    strcmp(fq, SCH_COMPRESS_PKG "DeflateCompressor") && strcmp(fq, SCH_COMPRESS_PKG "ZstdCompressor") &&
	    strcmp(fq, SCH_COMPRESS_PKG "NoopCompressor"))
		return hl_errf(err, HL_ERR_CONFIG, "Could not create Compression for type %s", fq);
	if (chunk) {
		char *v = hl_arena_strndup(a, chunk, chn);
		int32_t kb;

		if (parse_int_str(v, &kb))
			return hl_errf(err, HL_ERR_CONFIG, "Invalid value for chunk_length_in_kb: %s", v);
		if (kb <= 0 || (kb & (kb - 1)))
			return hl_errf(err, HL_ERR_CONFIG, "chunk_length_in_kb must be a power of 2");
		sch__map_set(a, out, "chunk_length_in_kb", v, chn);
	} else {
		sch__map_set(a, out, "chunk_length_in_kb", "16", 2);
	}
	sch__map_set(a, out, "class", fq, strlen(fq));
	return 0;
}

static int opt_extensions(hl_arena *a, const sch_option *o, sch_map *out, hl_err *err)
{
	int i;

	if (want_map(o, err))
		return -1;
	memset(out, 0, sizeof *out);
	for (i = 0; i < o->nmap; i++) {
		const char *v = o->map[i].value;
		size_t n = kv_len(&o->map[i]), k;

		/* blob literals arrive as 0x... text */
		if (n >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && n % 2 == 0) {
			char *bin = hl_arena_alloc(a, (n - 2) / 2 + 1);

			for (k = 2; k < n; k += 2) {
				int hi = hl_hexval(v[k]), lo = hl_hexval(v[k + 1]);

				if (hi < 0 || lo < 0)
					return hl_errf(err, HL_ERR_SYNTAX, "Invalid blob value for extension '%s'",
						       o->map[i].key);
				bin[(k - 2) / 2] = (char)(hi << 4 | lo);
			}
			sch__map_set(a, out, o->map[i].key, bin, (n - 2) / 2);
		} else {
			sch__map_set(a, out, o->map[i].key, v, n);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- apply */

static bool obsolete_option(const char *name)
{
	return !strcmp(name, "read_repair_chance") || !strcmp(name, "dclocal_read_repair_chance") ||
	       !strcmp(name, "nodesync") || !strcmp(name, "dse_vertex_label_property") ||
	       !strcmp(name, "dse_edge_label_property");
}

int sch__params_apply(hl_arena *a, sch_params *p, const sch_option *opts, int nopts,
		      bool is_alter, bool *has_id, hl_uuid *id, hl_err *err)
{
	bool bloom_set = false, is_lcs = false, compaction_set = false;
	int i, j;

	for (i = 0; i < nopts; i++)
		for (j = 0; j < i; j++)
			if (strcmp(opts[i].name, opts[j].name) == 0)
				return hl_errf(err, HL_ERR_SYNTAX, "Multiple definitions for property '%s'",
					       opts[i].name);
	for (i = 0; i < nopts; i++) {
		const sch_option *o = &opts[i];
		const char *n = o->name;
		int rc = 0;

		if (!strcmp(n, "additional_write_policy"))
			rc = opt_retry(a, o, &p->additional_write_policy, err);
		else if (!strcmp(n, "allow_auto_snapshot"))
			rc = opt_bool(o, &p->allow_auto_snapshot, err);
		else if (!strcmp(n, "bloom_filter_fp_chance"))
			rc = opt_double(o, &p->bloom_filter_fp_chance, err), bloom_set = true;
		else if (!strcmp(n, "caching"))
			rc = opt_caching(a, o, &p->caching, err);
		else if (!strcmp(n, "cdc"))
			rc = opt_bool(o, &p->cdc, err);
		else if (!strcmp(n, "comment")) {
			if (!(rc = want_scalar(o, err)))
				p->comment = hl_arena_strdup(a, o->str);
		} else if (!strcmp(n, "compaction"))
			rc = opt_compaction(a, o, &p->compaction, &is_lcs, err), compaction_set = true;
		else if (!strcmp(n, "compression"))
			rc = opt_compression(a, o, &p->compression, err);
		else if (!strcmp(n, "memtable")) {
			if (!(rc = want_scalar(o, err)) && strcmp(o->str, "default") != 0)
				rc = hl_errf(err, HL_ERR_CONFIG, "Memtable configuration \"%s\" not found.", o->str);
		} else if (!strcmp(n, "crc_check_chance"))
			rc = opt_double(o, &p->crc_check_chance, err);
		else if (!strcmp(n, "default_time_to_live"))
			rc = opt_int(o, &p->default_time_to_live, err);
		else if (!strcmp(n, "extensions"))
			rc = opt_extensions(a, o, &p->extensions, err);
		else if (!strcmp(n, "gc_grace_seconds"))
			rc = opt_int(o, &p->gc_grace_seconds, err);
		else if (!strcmp(n, "incremental_backups"))
			rc = opt_bool(o, &p->incremental_backups, err);
		else if (!strcmp(n, "max_index_interval"))
			rc = opt_int(o, &p->max_index_interval, err);
		else if (!strcmp(n, "memtable_flush_period_in_ms"))
			rc = opt_int(o, &p->memtable_flush_period_in_ms, err);
		else if (!strcmp(n, "min_index_interval"))
			rc = opt_int(o, &p->min_index_interval, err);
		else if (!strcmp(n, "read_repair")) {
			if (!(rc = want_scalar(o, err))) {
				if (!strcasecmp(o->str, "BLOCKING"))
					p->read_repair = "BLOCKING";
				else if (!strcasecmp(o->str, "NONE"))
					p->read_repair = "NONE";
				else
					rc = hl_errf(err, HL_ERR_CONFIG, "Invalid value %s for option '%s'", o->str, n);
			}
		} else if (!strcmp(n, "speculative_retry"))
			rc = opt_retry(a, o, &p->speculative_retry, err);
		else if (!strcmp(n, "id")) {
			if (is_alter)
				return hl_errf(err, HL_ERR_CONFIG, "Cannot alter table id.");
			if (!(rc = want_scalar(o, err))) {
				if (hl_uuid_parse(o->str, strlen(o->str), id))
					rc = hl_errf(err, HL_ERR_CONFIG, "Invalid table id");
				else if (has_id)
					*has_id = true;
			}
		} else if (obsolete_option(n))
			continue;
		else
			return hl_errf(err, HL_ERR_SYNTAX, "Unknown property '%s'", n);
		if (rc)
			return -1;
	}
	/* LCS's default bloom filter chance (CompactionParams.defaultBloomFilterFbChance) */
	if (!is_alter && compaction_set && !bloom_set)
		p->bloom_filter_fp_chance = is_lcs ? 0.1 : 0.01;

	/* TableParams.validate */
	if (p->bloom_filter_fp_chance <= MIN_BLOOM_FP || p->bloom_filter_fp_chance > 1) {
		hl_buf b;

		hl_buf_init(&b);
		sch_put_double(&b, p->bloom_filter_fp_chance);
		hl_buf_u8(&b, 0);
		hl_errf(err, HL_ERR_CONFIG,
			"bloom_filter_fp_chance must be larger than 6.71E-5 and less than or equal to 1.0 (got %s)",
			(const char *)b.p);
		hl_buf_free(&b);
		return -1;
	}
	if (p->crc_check_chance < 0 || p->crc_check_chance > 1.0) {
		hl_buf b;

		hl_buf_init(&b);
		sch_put_double(&b, p->crc_check_chance);
		hl_buf_u8(&b, 0);
		hl_errf(err, HL_ERR_CONFIG,
			"crc_check_chance must be larger than or equal to 0 and smaller than or equal to 1.0 (got %s)",
			(const char *)b.p);
		hl_buf_free(&b);
		return -1;
	}
	if (p->default_time_to_live < 0)
		return hl_errf(err, HL_ERR_CONFIG, "default_time_to_live must be greater than or equal to 0 (got %d)",
			       p->default_time_to_live);
	if (p->default_time_to_live > MAX_TTL)
		return hl_errf(err, HL_ERR_CONFIG, "default_time_to_live must be less than or equal to %d (got %d)",
			       MAX_TTL, p->default_time_to_live);
	if (p->gc_grace_seconds < 0)
		return hl_errf(err, HL_ERR_CONFIG, "gc_grace_seconds must be greater than or equal to 0 (got %d)",
			       p->gc_grace_seconds);
	if (p->min_index_interval < 1)
		return hl_errf(err, HL_ERR_CONFIG, "min_index_interval must be greater than or equal to 1 (got %d)",
			       p->min_index_interval);
	if (p->max_index_interval < p->min_index_interval)
		return hl_errf(err, HL_ERR_CONFIG,
			       "max_index_interval must be greater than or equal to min_index_interval (%d) (got %d)",
			       p->min_index_interval, p->max_index_interval);
	if (p->memtable_flush_period_in_ms < 0)
		return hl_errf(err, HL_ERR_CONFIG,
			       "memtable_flush_period_in_ms must be greater than or equal to 0 (got %d)",
			       p->memtable_flush_period_in_ms);
	return 0;
}

/* ---------------------------------------------------------------- replication */

/* AbstractReplicationStrategy.validateReplicationFactor via ReplicationFactor.fromString. */
static int check_rf(const char *v, size_t n, hl_err *err)
{
	char tmp[64];
	int32_t rf;

	if (n >= sizeof tmp)
		n = sizeof tmp - 1;
	memcpy(tmp, v, n);
	tmp[n] = 0;
	if (strchr(tmp, '/'))
		return hl_errf(err, HL_ERR_CONFIG, "Transient replication is not enabled on this node");
	if (parse_int_str(tmp, &rf))
		return hl_errf(err, HL_ERR_CONFIG, "For input string: \"%s\"", tmp);
	if (rf < 0)
		return hl_errf(err, HL_ERR_CONFIG, "Replication factor must be non-negative, found %d", rf);
	return 0;
}

static bool known_dc(const sch_registry_config *cfg, const char *dc)
{
	int i;

	if (!cfg || cfg->ndcs == 0)
		return true;
	for (i = 0; i < cfg->ndcs; i++)
		if (strcmp(cfg->dcs[i], dc) == 0)
			return true;
	return false;
}

int sch__replication(hl_arena *a, const sch_option *opt, const sch_registry_config *cfg,
		     const char *ks, const char **strategy, sch_map *out, hl_err *err)
{
	const char *cls = NULL, *fq, *simple;
	const char *default_rf = NULL;
	size_t cn = 0, drn = 0;
	int i;

	if (want_map(opt, err))
		return -1;
	memset(out, 0, sizeof *out);
	for (i = 0; i < opt->nmap; i++)
		if (strcmp(opt->map[i].key, "class") == 0) {
			cls = opt->map[i].value;
			cn = kv_len(&opt->map[i]);
		}
	if (!cls)
		return hl_errf(err, HL_ERR_CONFIG, "Missing replication strategy class");
	fq = memchr(cls, '.', cn) ? hl_arena_strndup(a, cls, cn)
				 : hl_arena_printf(a, SCH_LOCATOR "%.*s", (int)cn, cls);
	simple = strncmp(fq, SCH_LOCATOR, sizeof SCH_LOCATOR - 1) == 0 ? fq + sizeof SCH_LOCATOR - 1 : fq;
	if (strcmp(fq, SCH_LOCATOR "SimpleStrategy") && strcmp(fq, SCH_LOCATOR "NetworkTopologyStrategy") &&
	    strcmp(fq, SCH_LOCATOR "LocalStrategy") && strcmp(fq, SCH_LOCATOR "EverywhereStrategy"))
		return hl_errf(err, HL_ERR_CONFIG, "Unable to find replication strategy class '%s'", fq);
	if (!strcmp(simple, "LocalStrategy"))
		return hl_errf(err, HL_ERR_INVALID,
			       "Unable to use given strategy class: LocalStrategy is reserved for internal use.");
	*strategy = fq;

	for (i = 0; i < opt->nmap; i++) {
		const sch_kv *e = &opt->map[i];
		size_t n = kv_len(e);

		if (!strcmp(e->key, "class"))
			continue;
		if (!strcmp(simple, "SimpleStrategy")) {
			if (strcmp(e->key, "replication_factor"))
				return hl_errf(err, HL_ERR_CONFIG,
					       "Unrecognized strategy option {%s} passed to SimpleStrategy for keyspace %s",
					       e->key, ks);
			if (check_rf(e->value, n, err))
				return -1;
			sch__map_set(a, out, e->key, e->value, n);
		} else if (!strcmp(simple, "NetworkTopologyStrategy")) {
			if (check_rf(e->value, n, err))
				return -1;
			if (!strcmp(e->key, "replication_factor")) {
				/* 4.0+: a default factor for every datacenter */
				default_rf = e->value;
				drn = n;
				continue;
			}
			if (!known_dc(cfg, e->key))
				return hl_errf(err, HL_ERR_CONFIG,
					       "Unrecognized strategy option {%s} passed to NetworkTopologyStrategy for keyspace %s",
					       e->key, ks);
			sch__map_set(a, out, e->key, e->value, n);
		} else {
			return hl_errf(err, HL_ERR_CONFIG,
				       "Unrecognized strategy option {%s} passed to %s for keyspace %s",
				       e->key, simple, ks);
		}
	}
	if (!strcmp(simple, "SimpleStrategy") && !sch_map_get(out, "replication_factor"))
		return hl_errf(err, HL_ERR_CONFIG, "SimpleStrategy requires a replication_factor strategy option.");
	if (default_rf) {
		if (cfg && cfg->ndcs > 0) {
			for (i = 0; i < cfg->ndcs; i++)
				if (!sch_map_get(out, cfg->dcs[i]))
					sch__map_set(a, out, cfg->dcs[i], default_rf, drn);
		} else if (!sch_map_get(out, "datacenter1")) {
			sch__map_set(a, out, "datacenter1", default_rf, drn);
		}
	}
	return 0;
}
