/*
 * tools/sst_tool.c: `helenus sstable <command>`, the offline SSTable tools
 * (Cassandra's sstabledump, sstablemetadata, sstableverify, plus index and
 * summary listings). This file dispatches, holds the man-page style help
 * and the helpers the commands share: locating an sstable from any of its
 * component paths, key and value rendering, and Java's time / double text.
 * The schema always comes from the sstable's own Statistics.db header, so
 * no node and no schema are needed.
 */
#include "tools/sst_tool_int.h"
#include "tools/tools.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ help */

static const struct {
	const char *cmd;
	const char *text;
} helps[] = {
	{ "sstable",
	  "NAME\n"
	  "    helenus sstable - offline tools for Cassandra 'big' format SSTables\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable <command> [options] <component path>...\n"
	  "    helenus sstable <command> --help\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Reads SSTables written by Apache Cassandra (versions ma to oa) or by\n"
	  "    Helenus without a running node. The table's schema (key type,\n"
	  "    clustering types, column names and types) comes from the SSTable's\n"
	  "    own Statistics.db serialization header.\n"
	  "\n"
	  "COMMANDS\n"
	  "    dump      the contents as JSON, like sstabledump\n"
	  "    metadata  the Statistics.db metadata, like sstablemetadata\n"
	  "    verify    checksums and structure, like sstableverify\n"
	  "    index     the Index.db entries and their promoted indexes\n"
	  "    summary   the Summary.db sampled keys\n"
	  "\n"
	  "OPTIONS\n"
	  "    -h, --help, help [<command>]   this page, or a command's page (with\n"
	  "                                   its own options)\n"
	  "\n"
	  "EXAMPLES\n"
	  "    helenus sstable dump data/ks/t-*/nb-1-big-Data.db\n"
	  "    helenus sstable metadata data/ks/t-*/nb-1-big-Data.db\n"
	  "    helenus sstable dump --help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 on success, 1 when an SSTable is unreadable or fails a check,\n"
	  "    2 on a usage error.\n" },
	{ "dump",
	  "NAME\n"
	  "    helenus sstable dump - dump an SSTable's contents as JSON\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable dump <Data.db path> [-k key ...] [-x key ...] [-d] [-e] [-t] [-l]\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Prints the partitions of one SSTable in sstable order as Cassandra's\n"
	  "    sstabledump does: a JSON array of {\"partition\": {\"key\", \"position\",\n"
	  "    [\"deletion_info\"]}, \"rows\": [...]} objects whose rows are rows\n"
	  "    (\"row\", \"static_block\") and range tombstone markers\n"
	  "    (\"range_tombstone_bound\", \"range_tombstone_boundary\"). Positions are\n"
	  "    offsets in the uncompressed Data.db: a partition's is where it starts,\n"
	  "    a row's where the row starts. Times are ISO-8601 (UTC) unless -t.\n"
	  "    Keys are written as text in the partition key's type; components of a\n"
	  "    composite key are separated by ':'. A quoted CQL string literal\n"
	  "    ('it''s') is accepted too.\n"
	  "\n"
	  "OPTIONS\n"
	  "    -k <key>    dump only this partition (repeatable; also -k k1 k2 ...)\n"
	  "    -x <key>    leave this partition out (repeatable; also -x k1 k2 ...)\n"
	  "    -d          one line per row in sstabledump's debug text format\n"
	  "    -e          enumerate the partition keys only\n"
	  "    -t          raw timestamps (microseconds / seconds) instead of ISO-8601\n"
	  "    -l          JSON lines: one partition object per line\n"
	  "    -h, --help  show this help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when the whole SSTable was dumped, 1 when it could not be opened or\n"
	  "    is corrupt (the message names the file and offset), 2 on a usage\n"
	  "    error.\n" },
	{ "metadata",
	  "NAME\n"
	  "    helenus sstable metadata - print SSTable metadata\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable metadata [-g seconds] <Data.db path>...\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Prints what Statistics.db (validation, stats, serialization header),\n"
	  "    CompressionInfo.db and Index.db say about each SSTable, with\n"
	  "    sstablemetadata's field names: partitioner, bloom filter FP chance,\n"
	  "    timestamps, local deletion times, TTLs, compression, first and last\n"
	  "    token, min/max clustering values, droppable tombstones, level,\n"
	  "    repair state, commit log positions, histograms and the columns.\n"
	  "\n"
	  "OPTIONS\n"
	  "    -g, --gc_grace_seconds <s>  gc grace used for droppable tombstones (0)\n"
	  "    -h, --help                  show this help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when every SSTable's metadata was printed, 1 when one was missing\n"
	  "    or unreadable, 2 on a usage error.\n" },
	{ "verify",
	  "NAME\n"
	  "    helenus sstable verify - check SSTable integrity\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable verify [-q] <Data.db path>...\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Checks each SSTable as sstableverify / nodetool verify do: the CRC32 of\n"
	  "    Data.db against Digest.crc32, every chunk checksum (compressed chunk\n"
	  "    CRCs from CompressionInfo.db, or CRC.db for uncompressed files), then\n"
	  "    the structure: every partition decodes, partitions are in partitioner\n"
	  "    order, Index.db positions and keys match Data.db, every key is in the\n"
	  "    bloom filter, and Summary.db samples point at their Index.db entries.\n"
	  "    Each problem is reported on its own line on stderr.\n"
	  "\n"
	  "OPTIONS\n"
	  "    -q, --quiet   print only problems\n"
	  "    -h, --help    show this help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when every SSTable passed, 1 when any check failed, 2 on a usage\n"
	  "    error.\n" },
	{ "index",
	  "NAME\n"
	  "    helenus sstable index - list Index.db entries\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable index <Index.db path>\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    One line per partition: its key (in the key type, and as hex), token,\n"
	  "    position in Data.db and promoted index size; for partitions with a\n"
	  "    promoted index, its header length, partition deletion and one line\n"
	  "    per IndexInfo block (first and last clustering, offset, width, open\n"
	  "    range tombstone marker). Types come from the sibling Statistics.db.\n"
	  "\n"
	  "OPTIONS\n"
	  "    -h, --help    show this help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when the whole index was listed, 1 when it is unreadable or\n"
	  "    malformed, 2 on a usage error.\n" },
	{ "summary",
	  "NAME\n"
	  "    helenus sstable summary - list Summary.db entries\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    helenus sstable summary <Summary.db path>\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    Prints the summary header (min index interval, entry count, sampling\n"
	  "    level, size at full sampling), each sampled key with its token and\n"
	  "    Index.db position, and the first and last keys.\n"
	  "\n"
	  "OPTIONS\n"
	  "    -h, --help    show this help\n"
	  "\n"
	  "EXIT STATUS\n"
	  "    0 when the summary was listed, 1 when it is unreadable or malformed,\n"
	  "    2 on a usage error.\n" },
};

void sstt_help(const char *cmd, FILE *f)
{
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
		if (!strcmp(helps[i].cmd, cmd))
			fputs(helps[i].text, f);
}

static void synopsis(const char *cmd, FILE *f)
{
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		const char *s, *e;

		if (strcmp(helps[i].cmd, cmd))
			continue;
		s = strstr(helps[i].text, "SYNOPSIS\n");
		if (!s)
			return;
		s += 9;
		e = strstr(s, "\n\n");
		fputs("usage:\n", f);
		fwrite(s, 1, e ? (size_t)(e - s) + 1 : strlen(s), f);
	}
}

int sstt_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "helenus sstable%s%s: ", strcmp(cmd, "sstable") ? " " : "",
		strcmp(cmd, "sstable") ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	synopsis(cmd, stderr);
	return 2;
}

int tool_sstable(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return sstt_usage_error("sstable", "a command is needed");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		if (argc > 2 && strcmp(argv[2], "sstable")) {
			for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
				if (!strcmp(helps[i].cmd, argv[2])) {
					sstt_help(argv[2], stdout);
					return 0;
				}
		}
		sstt_help("sstable", stdout);
		return 0;
	}
	if (!strcmp(cmd, "dump"))
		return sstt_dump(argc - 1, argv + 1);
	if (!strcmp(cmd, "metadata"))
		return sstt_metadata(argc - 1, argv + 1);
	if (!strcmp(cmd, "verify"))
		return sstt_verify(argc - 1, argv + 1);
	if (!strcmp(cmd, "index"))
		return sstt_index_cmd(argc - 1, argv + 1);
	if (!strcmp(cmd, "summary"))
		return sstt_summary_cmd(argc - 1, argv + 1);
	return sstt_usage_error("sstable", "unknown command '%s'", cmd);
}

/* ------------------------------------------------------------ locating */

int sstt_split_path(const char *path, sstt_path *out, hl_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	const char *dash = strrchr(name, '-');
	size_t dlen = slash ? (size_t)(slash - path) : 1;
	size_t blen;
	int dashes = 0;

	memset(out, 0, sizeof *out);
	if (!dash || dash == name)
		return hl_errf(err, HL_ERR_SERVER,
			       "%s is not an sstable component (expected <version>-<generation>-big-<Component>, "
			       "e.g. nb-1-big-Data.db)", path);
	blen = (size_t)(dash - name);
	for (size_t i = 0; i < blen; i++)
		dashes += name[i] == '-';
	if (blen >= sizeof out->base || dlen >= sizeof out->dir || dashes != 2 || blen < 6 ||
	    name[2] != '-')
		return hl_errf(err, HL_ERR_SERVER,
			       "%s is not an sstable component (expected <version>-<generation>-big-<Component>, "
			       "e.g. nb-1-big-Data.db)", path);
	if (slash)
		memcpy(out->dir, path, dlen == 0 ? 1 : dlen);
	else
		out->dir[0] = '.';
	memcpy(out->base, name, blen);
	memcpy(out->version, name, 2);
	snprintf(out->prefix, sizeof out->prefix, "%s/%s-", out->dir, out->base);
	return 0;
}

int sstt_open(const sstt_path *p, bool skip_chunk_crc, sst_reader **out, hl_err *err)
{
	sst_opts o;

	memset(&o, 0, sizeof o);
	o.allow_byte_ordered = true;
	o.skip_chunk_crc = skip_chunk_crc;
	return sst_open(p->dir, p->base, NULL, &o, out, err);
}

int sstt_slurp(const char *path, uint8_t **out, size_t *len, hl_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		hl_errf(err, HL_ERR_SERVER, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = hl_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			hl_errf(err, HL_ERR_SERVER, "cannot read %s: %s", path,
				k < 0 ? strerror(errno) : "short read");
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)k;
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

/* ------------------------------------------------------------ types */


int sstt_key_type(const char *marshal, hl_arena *a, sstt_keytype *out, hl_err *err)
{
	static const char comp[] = "CompositeType(";
	const char *c = strstr(marshal, comp);
	const char *mstart;
	bool rev;

	memset(out, 0, sizeof *out);
	/* only a top-level CompositeType splits the key */
	mstart = strchr(marshal, '(');
	if (c && mstart && mstart == c + sizeof comp - 2) {
		const char *s = c + sizeof comp - 1, *end = marshal + strlen(marshal);
		int depth = 0, n = 0;
		const char *starts[64];
		size_t lens[64];
		const char *st = s;

		while (end > s && end[-1] != ')')
			end--;
		if (end <= s)
			return hl_errf(err, HL_ERR_SERVER, "malformed key type %s", marshal);
		end--;   /* the closing parenthesis */
		for (const char *q = s; q <= end; q++) {
			if (q == end || (*q == ',' && depth == 0)) {
				if (n == 64)
					return hl_errf(err, HL_ERR_SERVER, "key type %s has too many components", marshal);
				starts[n] = st;
				lens[n++] = (size_t)(q - st);
				st = q + 1;
			} else if (*q == '(') {
				depth++;
			} else if (*q == ')') {
				depth--;
			}
		}
		out->types = hl_arena_zalloc(a, (size_t)n * sizeof(*out->types));
		for (int i = 0; i < n; i++)
			if (sst_parse_marshal(starts[i], lens[i], a, &out->types[i], &rev, err))
				return -1;
		out->n = n;
		out->composite = true;
		return 0;
	}
	out->types = hl_arena_zalloc(a, sizeof(*out->types));
	out->n = 1;
	return sst_parse_marshal(marshal, strlen(marshal), a, &out->types[0], &rev, err);
}

void sstt_hex(const uint8_t *p, size_t n, hl_buf *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hl_buf_u8(out, (uint8_t)hx[p[i] >> 4]);
		hl_buf_u8(out, (uint8_t)hx[p[i] & 15]);
	}
}

void sstt_value_string(const ty_type *t, const uint8_t *p, size_t n, hl_buf *out)
{
	if (t->kind == TY_BLOB || (t->kind == TY_CUSTOM)) {
		sstt_hex(p, n, out);
		return;
	}
	if (ty_to_text(t, p, n, out)) {
		hl_buf_str(out, "0x");
		sstt_hex(p, n, out);
	}
}

static void put_key_part(const ty_type *t, const uint8_t *p, size_t n, bool json, hl_buf *out)
{
	if (json) {
		hl_buf s;

		hl_buf_init(&s);
		sstt_value_string(t, p, n, &s);
		hl_json_string(out, (const char *)s.p, s.len);
		hl_buf_free(&s);
	} else {
		sstt_value_string(t, p, n, out);
	}
}

void sstt_key_strings(const sstt_keytype *kt, const uint8_t *k, size_t n, int json, hl_buf *out)
{
	if (!kt->composite) {
		put_key_part(kt->types[0], k, n, json, out);
		return;
	}
	hl_rd rd;

	hl_rd_init(&rd, k, n);
	for (int i = 0; i < kt->n && hl_rd_left(&rd) > 0; i++) {
		const uint8_t *v;
		size_t vn;
		uint8_t eoc;

		if (hl_rd_pshortbytes(&rd, &v, &vn) || hl_rd_u8(&rd, &eoc)) {
			if (i)
				hl_buf_str(out, json == 1 ? ", " : json ? "," : ":");
			put_key_part(ty_simple(TY_BLOB), k, n, json, out);
			return;
		}
		if (i)
			hl_buf_str(out, json == 1 ? ", " : json ? "," : ":");
		put_key_part(kt->types[i], v, vn, json, out);
		if (eoc)
			break;
	}
}

static bool textual(const ty_type *t)
{
	switch (t->kind) {
	case TY_TEXT:
	case TY_ASCII:
	case TY_INET:
	case TY_DATE:
	case TY_TIME:
	case TY_TIMESTAMP:
	case TY_DURATION:
		return true;
	default:
		return false;
	}
}

static int parse_component(const ty_type *t, const char *s, size_t n, hl_buf *out, hl_err *err)
{
	hl_buf tmp;
	int rc;

	/* a quoted CQL string literal: strip the quotes, undouble '' */
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'' && textual(t)) {
		hl_buf_init(&tmp);
		for (size_t i = 1; i + 1 < n; i++) {
			hl_buf_u8(&tmp, (uint8_t)s[i]);
			if (s[i] == '\'' && i + 2 < n && s[i + 1] == '\'')
				i++;
		}
		rc = ty_from_string(t, (const char *)tmp.p, tmp.len, out, err);
		hl_buf_free(&tmp);
		return rc;
	}
	if (t->kind == TY_BLOB && n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return ty_from_string(t, s, n, out, err);
	return ty_from_string(t, s, n, out, err);
}

int sstt_parse_key(const sstt_keytype *kt, const char *s, hl_buf *out, hl_err *err)
{
	if (!kt->composite)
		return parse_component(kt->types[0], s, strlen(s), out, err);
	const char *p = s;

	for (int i = 0; i < kt->n; i++) {
		hl_buf part, val;
		bool last = false;

		hl_buf_init(&part);
		hl_buf_init(&val);
		while (*p && *p != ':') {
			if (*p == '\\' && p[1] == ':')
				p++;
			hl_buf_u8(&part, (uint8_t)*p++);
		}
		if (*p == ':')
			p++;
		else
			last = true;
		if (last && i + 1 < kt->n) {
			hl_buf_free(&part);
			return hl_errf(err, HL_ERR_INVALID,
				       "key '%s' has too few components for a %d-part partition key "
				       "(separate them with ':')", s, kt->n);
		}
		if (parse_component(kt->types[i], part.len ? (const char *)part.p : "", part.len, &val,
				    err)) {
			hl_buf_free(&part);
			hl_buf_free(&val);
			return -1;
		}
		if (val.len > 0xFFFF) {
			hl_buf_free(&part);
			hl_buf_free(&val);
			return hl_errf(err, HL_ERR_INVALID, "key component too long");
		}
		hl_buf_u16(out, (uint16_t)val.len);
		hl_buf_put(out, val.p, val.len);
		hl_buf_u8(out, 0);
		hl_buf_free(&part);
		hl_buf_free(&val);
	}
	if (*p)
		return hl_errf(err, HL_ERR_INVALID, "key '%s' has more than %d components", s, kt->n);
	return 0;
}

/* ------------------------------------------------------------ formatting */

void sstt_instant(int64_t t, int64_t per_second, hl_buf *out)
{
	/* TimeUnit.toSeconds truncates toward zero, the nanos are a floorMod
	 * (so -1 us prints as 1970-01-01T00:00:00.999999Z, as Java does) */
	int64_t secs = t / per_second;
	int64_t rem = t % per_second;
	int64_t nanos;
	time_t tt;
	struct tm tm;

	if (rem < 0)
		rem += per_second;
	nanos = rem * (1000000000 / per_second);
	tt = (time_t)secs;
	if (!gmtime_r(&tt, &tm)) {
		hl_buf_printf(out, "%lld", (long long)t);
		return;
	}
	if (tm.tm_year + 1900 > 9999)
		hl_buf_printf(out, "+%d", tm.tm_year + 1900);
	else
		hl_buf_printf(out, "%04d", tm.tm_year + 1900);
	hl_buf_printf(out, "-%02d-%02dT%02d:%02d:%02d", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		      tm.tm_sec);
	if (nanos) {
		if (nanos % 1000000 == 0)
			hl_buf_printf(out, ".%03lld", (long long)(nanos / 1000000));
		else if (nanos % 1000 == 0)
			hl_buf_printf(out, ".%06lld", (long long)(nanos / 1000));
		else
			hl_buf_printf(out, ".%09lld", (long long)nanos);
	}
	hl_buf_u8(out, 'Z');
}

void sstt_date(int64_t secs, hl_buf *out)
{
	time_t tt = (time_t)secs;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		hl_buf_printf(out, "%lld", (long long)secs);
		return;
	}
	hl_buf_printf(out, "%02d/%02d/%04d %02d:%02d:%02d", tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
		      tm.tm_hour, tm.tm_min, tm.tm_sec);
}

