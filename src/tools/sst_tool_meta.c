/*
 * tools/sst_tool_meta.c: `helenus sstable metadata`, Cassandra's
 * sstablemetadata (4.0 field names and "value (comment)" layout). Every
 * field comes from the tool's own Statistics.db parse (sst_tool_stats.c),
 * CompressionInfo.db and the first / last Index.db keys, so it also works
 * on files the reader refuses (another partitioner, unknown columns).
 * Histograms are summarised as one line per non-empty bucket.
 */
#include "tools/sst_tool_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void field(const char *name, const char *value, const char *comment)
{
	printf("%s: %s", name, value ? value : "--");
	if (comment)
		printf(" (%s)", comment);
	putchar('\n');
}

static void field_i(const char *name, int64_t v, const char *comment)
{
	char b[32];

	snprintf(b, sizeof b, "%lld", (long long)v);
	field(name, b, comment);
}

/* commons-lang formatDurationWords(ms, true, true) */
static void duration_words(int64_t secs, hl_buf *out)
{
	int64_t parts[4] = { secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60 };
	static const char *const names[4] = { "day", "hour", "minute", "second" };
	int first = 0, last = 3;

	while (first < 3 && parts[first] == 0)
		first++;
	while (last > first && parts[last] == 0)
		last--;
	for (int i = first; i <= last; i++)
		hl_buf_printf(out, "%s%lld %s%s", i > first ? " " : "", (long long)parts[i], names[i],
			      parts[i] == 1 ? "" : "s");
}

static const char *date_comment(int64_t secs, hl_buf *b)
{
	hl_buf_reset(b);
	sstt_date(secs, b);
	hl_buf_u8(b, 0);
	return (const char *)b->p;
}

static void byte_string(int64_t bytes, hl_buf *out)
{
	int exp;

	if (bytes < 1024) {
		hl_buf_printf(out, "%lld B", (long long)bytes);
		return;
	}
	exp = (int)(log((double)bytes) / log(1024));
	if (exp > 5)
		exp = 5;
	hl_buf_printf(out, "%.1f %cB", (double)bytes / pow(1024, exp), "kMGTP"[exp - 1]);
}

/* Bucket i of a stored histogram covers (upper(i-1), upper(i)]. */
static int64_t bucket_upper(const sstt_hist *h, int i)
{
	return i + 1 < h->n ? h->offsets[i + 1] : -1;
}

static void print_hist(const char *title, const char *unit, const sstt_hist *h, bool bytes)
{
	int64_t total = 0;
	hl_buf b;

	printf("%s:\n", title);
	for (int i = 0; i < h->n; i++)
		total += h->counts[i];
	printf("   %-24s %10s %7s\n", unit, "Count", "%");
	hl_buf_init(&b);
	for (int i = 0; i < h->n; i++) {
		int64_t up = bucket_upper(h, i);

		if (!h->counts[i])
			continue;
		hl_buf_reset(&b);
		if (up < 0)
			hl_buf_printf(&b, "> %lld", (long long)h->offsets[h->n - 1]);
		else
			hl_buf_printf(&b, "%lld", (long long)up);
		if (bytes && up >= 0) {
			hl_buf_str(&b, " (");
			byte_string(up, &b);
			hl_buf_u8(&b, ')');
		}
		hl_buf_u8(&b, 0);
		printf("   %-24s %10lld %7.1f\n", (const char *)b.p, (long long)h->counts[i],
		       total ? 100.0 * (double)h->counts[i] / (double)total : 0.0);
	}
	if (!total)
		printf("   (empty)\n");
	hl_buf_free(&b);
}

/* StatsMetadata.getEstimatedDroppableTombstoneRatio (bins summed whole). */
static double droppable(const sstt_stats *st, int64_t gc_before)
{
	int64_t elements = 0, count = 0;
	double sum = 0, dropped = 0;
	int64_t mean, cols;

	for (int i = 0; i < st->ccount.n; i++) {
		count += st->ccount.counts[i];
		if (i + 1 < st->ccount.n) {
			elements += st->ccount.counts[i];
			sum += (double)st->ccount.counts[i] * (double)bucket_upper(&st->ccount, i);
		}
	}
	if (!elements)
		return 0.0;
	mean = (int64_t)ceil(sum / (double)elements);
	cols = mean * count;
	if (cols <= 0)
		return 0.0;
	for (int i = 0; i < st->ntomb; i++)
		if (st->tomb[i].point <= gc_before)
			dropped += (double)st->tomb[i].count;
	return dropped / (double)cols;
}

void sstt_token(const char *partitioner, const uint8_t *k, size_t n, hl_buf *out)
{
	if (strstr(partitioner, "Murmur3")) {
		hl_buf_printf(out, "%lld", (long long)hl_token(k, n));
	} else if (strstr(partitioner, "RandomPartitioner")) {
		uint8_t md[16];
		unsigned __int128 v = 0;
		bool neg;
		char digits[48];
		int nd = 0;

		hl_md5(k, n, md);
		for (int i = 0; i < 16; i++)
			v = v << 8 | md[i];
		neg = md[0] & 0x80;
		if (neg)
			v = ~v + 1;   /* BigInteger(md5).abs() */
		do {
			digits[nd++] = (char)('0' + (int)(v % 10));
			v /= 10;
		} while (v && nd < 47);
		while (nd)
			hl_buf_u8(out, (uint8_t)digits[--nd]);
	} else {
		sstt_hex(k, n, out);
	}
}

static void clustering_list(const sstt_stats *st, hl_arena *a, int n, const st_bytes *v,
			    hl_buf *out)
{
	hl_buf_u8(out, '[');
	for (int i = 0; i < n; i++) {
		const ty_type *t = NULL;
		bool rev;
		hl_err err;

		if (i)
			hl_buf_str(out, ", ");
		if (i < st->nclust &&
		    sst_parse_marshal(st->clust_types[i], strlen(st->clust_types[i]), a, &t, &rev, &err))
			t = NULL;
		if (!v[i].p && !v[i].len)
			hl_buf_str(out, "");
		else if (t)
			sstt_value_string(t, v[i].p, v[i].len, out);
		else
			sstt_hex(v[i].p, v[i].len, out);
	}
	hl_buf_u8(out, ']');
}

static int print_one(const char *file, int64_t gc)
{
	sstt_path p;
	sstt_stats st;
	hl_arena *a = hl_arena_new(16384);
	hl_err err;
	hl_buf b, cm;
	sstt_data data;
	bool compressed = false;
	char compressor[200] = "-";
	int rc = 1;

	memset(&err, 0, sizeof err);
	hl_buf_init(&b);
	hl_buf_init(&cm);
	if (sstt_split_path(file, &p, &err) || sstt_read_stats(&p, a, &st, &err))
		goto fail;
	if (sstt_data_open(&p, &data, &err) == 0) {
		compressed = data.comp != SSTT_C_NONE;
		if (compressed)
			snprintf(compressor, sizeof compressor, "%s%s",
				 strchr(data.compressor, '.') ? "" : "org.apache.cassandra.io.compress.",
				 data.compressor);
		sstt_data_close(&data);
	} else {
		fprintf(stderr, "helenus sstable metadata: %s\n", err.msg);
	}
	/* sstablemetadata prints the descriptor: the path without the component */
	printf("SSTable: %s/%s\n", p.dir, p.base);
	if (st.has_validation) {
		field("Partitioner", st.partitioner, NULL);
		hl_buf_reset(&b);
		hl_buf_java_double(&b, st.fp_chance, false);
		hl_buf_u8(&b, 0);
		field("Bloom Filter FP chance", (const char *)b.p, NULL);
	}
	if (st.has_stats) {
		int64_t none_ldt = st.v_oa ? (int64_t)UINT32_MAX : INT32_MAX;

		field_i("Minimum timestamp", st.min_ts,
			st.min_ts ? date_comment(st.min_ts / 1000000, &cm) : NULL);
		field_i("Maximum timestamp", st.max_ts,
			st.max_ts ? date_comment(st.max_ts / 1000000, &cm) : NULL);
		field_i("SSTable min local deletion time", st.min_ldt,
			st.min_ldt == none_ldt || st.min_ldt == 0 ? "no tombstones"
								  : date_comment(st.min_ldt, &cm));
		field_i("SSTable max local deletion time", st.max_ldt,
			st.max_ldt == none_ldt || st.max_ldt == 0 ? "no tombstones"
								  : date_comment(st.max_ldt, &cm));
		field("Compressor", compressor, NULL);
		hl_buf_reset(&b);
		hl_buf_java_double(&b, st.compression_ratio, false);
		hl_buf_u8(&b, 0);
		if (compressed)
			field("Compression ratio", (const char *)b.p, NULL);
		for (int k = 0; k < 2; k++) {
			int32_t ttl = k ? st.max_ttl : st.min_ttl;

			hl_buf_reset(&cm);
			if (ttl == INT32_MAX)
				hl_buf_str(&cm, "never");
			else if (ttl)
				duration_words(ttl, &cm);
			hl_buf_u8(&cm, 0);
			field_i(k ? "TTL max" : "TTL min", ttl, ttl ? (const char *)cm.p : NULL);
		}
		/* first and last token */
		if (st.has_header && st.has_validation) {
			sstt_keytype kt;
			st_bytes first = { 0 }, last = { 0 };
			sstt_index ix;
			bool have = false, ix_loaded = false;
			char ipath[4600];

			if (st.has_keys) {
				first = st.first_key;
				last = st.last_key;
				have = true;
			} else {
				hl_err ierr;

				snprintf(ipath, sizeof ipath, "%sIndex.db", p.prefix);
				if (sstt_index_load(ipath, &ix, &ierr) == 0) {
					ix_loaded = true;
					if (ix.n > 0) {
						first.p = ix.e[0].key;
						first.len = (uint32_t)ix.e[0].keylen;
						last.p = ix.e[ix.n - 1].key;
						last.len = (uint32_t)ix.e[ix.n - 1].keylen;
						have = true;
					}
				}
			}
			if (have && sstt_key_type(st.key_type, a, &kt, &err) == 0) {
				for (int k = 0; k < 2; k++) {
					const st_bytes *kb = k ? &last : &first;

					hl_buf_reset(&b);
					sstt_token(st.partitioner, kb->p, kb->len, &b);
					hl_buf_u8(&b, 0);
					hl_buf_reset(&cm);
					hl_buf_str(&cm, "key=");
					sstt_key_strings(&kt, kb->p, kb->len, false, &cm);
					hl_buf_u8(&cm, 0);
					field(k ? "Last token" : "First token", (const char *)b.p,
					      (const char *)cm.p);
				}
			}
			if (ix_loaded)
				sstt_index_free(&ix);
		}
		if (st.oa_slice) {
			hl_buf_reset(&b);
			clustering_list(&st, a, st.nmin_clust, st.min_clust, &b);
			hl_buf_str(&b, " - ");
			clustering_list(&st, a, st.nmax_clust, st.max_clust, &b);
			hl_buf_u8(&b, 0);
			field("Covered clusterings", (const char *)b.p, NULL);
		}
		hl_buf_reset(&b);
		clustering_list(&st, a, st.nmin_clust, st.min_clust, &b);
		hl_buf_u8(&b, 0);
		field("minClusteringValues", (const char *)b.p, NULL);
		hl_buf_reset(&b);
		clustering_list(&st, a, st.nmax_clust, st.max_clust, &b);
		hl_buf_u8(&b, 0);
		field("maxClusteringValues", (const char *)b.p, NULL);
		hl_buf_reset(&b);
		hl_buf_java_double(&b, droppable(&st, hl_now_micros() / 1000000 - gc), false);
		hl_buf_u8(&b, 0);
		field("Estimated droppable tombstones", (const char *)b.p, NULL);
		field_i("SSTable Level", st.level, NULL);
		field_i("Repaired at", st.repaired_at,
			st.repaired_at ? date_comment(st.repaired_at / 1000, &cm) : NULL);
		if (st.has_host_field) {
			char u[37];

			hl_uuid_str(&st.host, u);
			field("Originating host id", st.host_set ? u : NULL, NULL);
		}
		if (st.has_pending) {
			char u[37];

			hl_uuid_str(&st.pending, u);
			field("Pending repair", st.pending_set ? u : NULL, NULL);
		}
		hl_buf_reset(&b);
		if (st.v_mc) {
			hl_buf_u8(&b, '{');
			for (int i = 0; i < st.nintervals; i++)
				hl_buf_printf(&b, "%sCommitLogPosition(segmentId=%lld, position=%lld)="
					      "CommitLogPosition(segmentId=%lld, position=%lld)",
					      i ? ", " : "", (long long)st.iv[4 * i], (long long)st.iv[4 * i + 1],
					      (long long)st.iv[4 * i + 2], (long long)st.iv[4 * i + 3]);
			hl_buf_u8(&b, '}');
		} else {
			if (st.has_cl_lower)
				hl_buf_printf(&b, "{CommitLogPosition(segmentId=%lld, position=%d)=",
					      (long long)st.cl_lower_seg, st.cl_lower_pos);
			else
				hl_buf_str(&b, "{CommitLogPosition(segmentId=-1, position=0)=");
			hl_buf_printf(&b, "CommitLogPosition(segmentId=%lld, position=%d)}",
				      (long long)st.cl_upper_seg, st.cl_upper_pos);
		}
		hl_buf_u8(&b, 0);
		field("Replay positions covered", (const char *)b.p, NULL);
		field_i("totalColumnsSet", st.total_columns, NULL);
		field_i("totalRows", st.total_rows, NULL);
		printf("Estimated tombstone drop times:\n");
		if (!st.ntomb)
			printf("   (none)\n");
		for (int i = 0; i < st.ntomb; i++)
			printf("   %-10lld %-21s %10lld\n", (long long)st.tomb[i].point,
			       date_comment(st.tomb[i].point, &cm), (long long)st.tomb[i].count);
		print_hist("Partition Size", "Size (bytes)", &st.psize, true);
		print_hist("Column Count", "Columns", &st.ccount, false);
	}
	if (st.has_compaction)
		field_i("Estimated cardinality bytes", st.hll_bytes, "HyperLogLog++ size");
	if (st.has_header) {
		field_i("EncodingStats minTTL", st.enc_min_ttl, NULL);
		field_i("EncodingStats minLocalDeletionTime", st.enc_min_ldt,
			date_comment(st.enc_min_ldt, &cm));
		field_i("EncodingStats minTimestamp", st.enc_min_ts,
			date_comment(st.enc_min_ts / 1000000, &cm));
		field("KeyType", st.key_type, NULL);
		hl_buf_reset(&b);
		hl_buf_u8(&b, '[');
		for (int i = 0; i < st.nclust; i++)
			hl_buf_printf(&b, "%s%s", i ? ", " : "", st.clust_types[i]);
		hl_buf_str(&b, "]");
		hl_buf_u8(&b, 0);
		field("ClusteringTypes", (const char *)b.p, NULL);
		for (int side = 0; side < 2; side++) {
			int n = side ? st.nregular : st.nstatic;
			char **names = side ? st.regular_names : st.static_names;
			char **types = side ? st.regular_types : st.static_types;

			hl_buf_reset(&b);
			hl_buf_u8(&b, '{');
			for (int i = 0; i < n; i++)
				hl_buf_printf(&b, "%s%s:%s", i ? ", " : "", names[i], types[i]);
			hl_buf_u8(&b, '}');
			hl_buf_u8(&b, 0);
			field(side ? "RegularColumns" : "StaticColumns", (const char *)b.p, NULL);
		}
		if (st.has_transient)
			field("IsTransient", st.is_transient ? "true" : "false", NULL);
	}
	rc = 0;
	goto exit;
fail:
	fprintf(stderr, "helenus sstable metadata: %s\n", err.msg);
exit:
	hl_buf_free(&b);
	hl_buf_free(&cm);
	hl_arena_free(a);
	return rc;
}

int sstt_metadata(int argc, char **argv)
{
	int64_t gc = 0;
	int rc = 0, nfiles = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sstt_help("metadata", stdout);
			return 0;
		}
		if (!strcmp(a, "-g") || !strcmp(a, "--gc_grace_seconds")) {
			char *end;

			if (i + 1 >= argc)
				return sstt_usage_error("metadata", "%s needs a number of seconds", a);
			gc = strtoll(argv[++i], &end, 10);
			if (*end || gc < 0)
				return sstt_usage_error("metadata", "bad gc grace seconds '%s'", argv[i]);
			continue;
		}
		if (a[0] == '-' && a[1])
			return sstt_usage_error("metadata", "unrecognized option: %s", a);
	}
	for (int i = 1; i < argc; i++) {
		struct stat sb;

		if (!strcmp(argv[i], "-g") || !strcmp(argv[i], "--gc_grace_seconds")) {
			i++;
			continue;
		}
		nfiles++;
		if (stat(argv[i], &sb) != 0) {
			printf("No such file: %s\n", argv[i]);
			rc = 1;
			continue;
		}
		if (print_one(argv[i], gc))
			rc = 1;
		fflush(stdout);
	}
	if (!nfiles)
		return sstt_usage_error("metadata", "you must supply at least one sstable");
	return rc;
}
