/*
 * storage/files.c: a durable table's files. The table directory is
 * Cassandra's <data_dir>/<keyspace>/<table>-<id as 32 hex>/ and holds
 * SSTables named <version>-<generation>-big-<Component>.
 *
 * Ownership between shards: every shard's engine opens the same table
 * directory, and an SSTable belongs to exactly one shard, the one its
 * generation names: shard = (generation - 1) % nshards (generations are
 * counter * nshards + shard + 1). A shard opens, compacts and deletes only
 * its own files, and serves only its token range from them, so shards
 * never coordinate. An import therefore gives every shard its own hard
 * links to the imported files (no extra space), each under a generation of
 * that shard. Changing the shard count over an existing directory is not
 * supported yet (files would change owner; resharding would have to
 * rewrite them).
 *
 * Refresh (nodetool refresh) reuses import: each shard first stages the
 * unknown files of its share into <table dir>/upload/, then every shard
 * imports from there (see st_refresh_stage in storage.h).
 *
 * Completeness: TOC.txt is written last (import) and an SSTable without
 * one is ignored at load, so a crash in the middle of linking or copying
 * leaves nothing half-visible.
 */
#include "storage/st_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *st__printf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = hl_malloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool st__token_owned(const st_engine *e, int64_t token)
{
	return !e->opts.has_range || (token >= e->opts.own_start && token <= e->opts.own_end);
}

bool st__owns_gen(const st_engine *e, int64_t gen)
{
	return gen > 0 && (gen - 1) % e->opts.nshards == e->opts.shard;
}

/* "nb-12-big" -> 12; -1 when the generation is not a plain number. */
int64_t st__gen_of(const char *base)
{
	const char *p = base + 3;
	int64_t g = 0;

	if (strlen(base) < 4 || base[2] != '-')
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (g > (INT64_MAX - 9) / 10)
			return -1;
		g = g * 10 + (*p - '0');
	}
	return *p == '-' ? g : -1;
}

/*
 * If name is "<vv>-<id>-big-<Component>", copy "<vv>-<id>-big" into base
 * and return the component. The id may be a number or Cassandra 4.1's
 * time-based identifier (letters, digits, '_').
 */
static const char *split_name(const char *name, char *base, size_t cap)
{
	const char *p = name, *big;
	size_t n;

	if (strlen(name) < 4 || name[2] != '-' || name[0] < 'a' || name[0] > 'z' || name[1] < 'a' ||
	    name[1] > 'z')
		return NULL;
	p = name + 3;
	while (*p && *p != '-') {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || *p == '_'))
			return NULL;
		p++;
	}
	if (p == name + 3 || strncmp(p, "-big-", 5) != 0)
		return NULL;
	big = p + 4;
	n = (size_t)(big - name);
	if (n >= cap || !big[1])
		return NULL;
	memcpy(base, name, n);
	base[n] = 0;
	return big + 1;
}

int st__mkdir_p(const char *path, hl_err *err)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return hl_errf(err, HL_ERR_SERVER, "storage: path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return hl_errf(err, HL_ERR_SERVER, "storage: cannot create directory %s: %s",
				       buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

/* ------------------------------------------------------------ schema */

/*
 * Columns are matched by name and static-ness. A column the layout stores
 * as one cell (complex == false) is declared frozen even if its CQL type is
 * a non-frozen collection: that is how its data is stored, so our files say
 * so, and a file holding real multi-cell data for it is refused at open
 * rather than failing on every read.
 */
void st__build_schema(st_table *t)
{
	const st_table_layout *l = &t->layout;
	sst_column *cols;
	int n = 0;

	if (t->sch_arena)
		hl_arena_free(t->sch_arena);
	t->sch_arena = hl_arena_new(4096);
	cols = hl_arena_zalloc(t->sch_arena, sizeof(*cols) * (size_t)(l->ncols + 1));
	for (int i = 0; i < l->ncols; i++) {
		const st_col *c = &l->cols[i];

		/* Dropped columns stay mapped (to their dropped slot, which reads
		 * never show), so a file holding their old cells is not unknown. */
		if (!c->name)
			continue;
		if (c->dropped) {
			bool reused = false;

			/* Re-added under the same name: the live column owns it. */
			for (int k = 0; k < l->ncols && !reused; k++)
				reused = k != i && !l->cols[k].dropped && l->cols[k].name &&
					l->cols[k].is_static == c->is_static &&
					strcmp(l->cols[k].name, c->name) == 0;
			if (reused)
				continue;
		}
		cols[n].name = hl_arena_strdup(t->sch_arena, c->name);
		cols[n].index = i;
		cols[n].is_static = c->is_static;
		cols[n].type = c->type;
		if (c->type && !c->complex && ty_is_multicell(c->type))
			cols[n].type = ty_with_frozen(t->sch_arena, c->type, true);
		n++;
	}
	memset(&t->ssch, 0, sizeof(t->ssch));
	t->ssch.ncols = n;
	t->ssch.cols = cols;
	t->ssch.nclust = l->nclust;
	t->ssch.clust = l->clust;
	/* Our own files never hold unknown columns; if a column was dropped
	 * while its drop record was lost, keep the rest of the data readable.
	 * Imports are strict (see open_checked). */
	t->ssch.skip_unknown = true;
}

/* ty_type is immutable but owned by a schema snapshot that may go away
 * while a helper thread still needs it: copy it. */
static const ty_type *copy_type(hl_arena *a, const ty_type *t)
{
	const ty_type *s;
	ty_type *c;

	if (!t)
		return NULL;
	/* Simple types are static descriptors that live forever. */
	s = ty_simple(t->kind);
	if (s == t)
		return t;
	c = hl_arena_memdup(a, t, sizeof(*t));
	if (t->nsub) {
		const ty_type **sub = hl_arena_alloc(a, sizeof(*sub) * (size_t)t->nsub);

		for (int i = 0; i < t->nsub; i++)
			sub[i] = copy_type(a, t->sub[i]);
		c->sub = sub;
	}
	c->udt_ks = t->udt_ks ? hl_arena_strdup(a, t->udt_ks) : NULL;
	c->udt_name = t->udt_name ? hl_arena_strdup(a, t->udt_name) : NULL;
	c->custom_class = t->custom_class ? hl_arena_strdup(a, t->custom_class) : NULL;
	if (t->field_names) {
		const char **f = hl_arena_alloc(a, sizeof(*f) * (size_t)(t->nsub ? t->nsub : 1));

		for (int i = 0; i < t->nsub; i++)
			f[i] = t->field_names[i] ? hl_arena_strdup(a, t->field_names[i]) : NULL;
		c->field_names = f;
	}
	return c;
}

void st__copy_schema(hl_arena *a, const sst_schema *src, sst_schema *dst)
{
	sst_column *cols = hl_arena_zalloc(a, sizeof(*cols) * (size_t)(src->ncols + 1));
	st_clust_col *cc = hl_arena_zalloc(a, sizeof(*cc) * (size_t)(src->nclust > 0 ? src->nclust : 1));

	*dst = *src;
	for (int i = 0; i < src->ncols; i++) {
		cols[i] = src->cols[i];
		cols[i].name = hl_arena_strdup(a, src->cols[i].name);
		cols[i].type = copy_type(a, src->cols[i].type);
	}
	dst->cols = cols;
	for (int i = 0; src->clust && i < src->nclust; i++) {
		cc[i] = src->clust[i];
		cc[i].type = copy_type(a, src->clust[i].type);
		cc[i].name = src->clust[i].name ? hl_arena_strdup(a, src->clust[i].name) : NULL;
	}
	dst->clust = src->clust ? cc : NULL;
}

void st__copy_layout(hl_arena *a, const st_table_layout *src, st_table_layout *dst)
{
	st_clust_col *cc = hl_arena_zalloc(a, sizeof(*cc) * (size_t)(src->nclust + 1));
	st_col *cols = hl_arena_zalloc(a, sizeof(*cols) * (size_t)(src->ncols + 1));
	const ty_type **pk = hl_arena_zalloc(a, sizeof(*pk) * (size_t)(src->npk + 1));

	*dst = *src;
	for (int i = 0; i < src->nclust; i++) {
		cc[i] = src->clust[i];
		cc[i].type = copy_type(a, src->clust[i].type);
		cc[i].name = src->clust[i].name ? hl_arena_strdup(a, src->clust[i].name) : NULL;
	}
	for (int i = 0; i < src->ncols; i++) {
		cols[i] = src->cols[i];
		cols[i].path_type = copy_type(a, src->cols[i].path_type);
		cols[i].type = copy_type(a, src->cols[i].type);
		cols[i].name = src->cols[i].name ? hl_arena_strdup(a, src->cols[i].name) : NULL;
	}
	for (int i = 0; i < src->npk; i++)
		pk[i] = copy_type(a, src->pk_types[i]);
	dst->clust = cc;
	dst->cols = cols;
	dst->pk_types = pk;
	dst->keyspace = src->keyspace ? hl_arena_strdup(a, src->keyspace) : NULL;
	dst->table = src->table ? hl_arena_strdup(a, src->table) : NULL;
}

/* ------------------------------------------------------------ sstables */

st_sst *st__sst_new(sst_reader *r, const char *base, int64_t gen)
{
	st_sst *s = hl_calloc(1, sizeof(*s));
	const sst_meta *m = sst_info(r);

	s->r = r;
	s->base = hl_strdup(base);
	s->gen = gen;
	s->bytes = m->data_length;
	s->min_ts = m->min_ts;
	s->max_ts = m->max_ts;
	/* Versions before oa store deletion times as int32 with INT32_MAX for
	 * "none"; anything that large means live data either way. */
	s->max_ldt = m->max_ldt >= INT32_MAX ? INT64_MAX : m->max_ldt;
	s->ca = hl_arena_new(16 * 1024);
	hl_buf_init(&s->prev_key);
	return s;
}

void st__sst_add(st_table *t, st_sst *s)
{
	s->next = t->ssts;
	t->ssts = s;
	t->nssts++;
}

void st__sst_free(st_sst *s)
{
	if (!s)
		return;
	sst_close(s->r);
	hl_arena_free(s->ca);
	hl_buf_free(&s->prev_key);
	free(s->base);
	free(s);
}

/* Every file of the directory whose name starts with "<base>-". */
void st__sst_unlink(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t bl = strlen(base);
	char path[4096];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, base, bl) != 0 || de->d_name[bl] != '-')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT)
			hl_warn("storage: cannot delete %s: %s", path, strerror(errno));
	}
	closedir(d);
}

static bool file_exists(const char *dir, const char *base, const char *comp)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s-%s", dir, base, comp);
	return access(path, F_OK) == 0;
}

/* Open an SSTable with the table's schema and check what sst_open cannot:
 * each mapped column must be stored the way the layout stores it. */
static int open_checked(st_table *t, const char *dir, const char *base, bool strict,
			sst_reader **out, hl_err *err)
{
	sst_reader *r = NULL;
	const sst_meta *m;
	sst_schema sch = t->ssch;

	/* An import must not silently lose columns the table does not have
	 * (Cassandra fails on an unknown column that was never dropped). */
	sch.skip_unknown = !strict;
	if (sst_open(dir, base, &sch, NULL, &r, err))
		return -1;
	m = sst_info(r);
	for (int k = 0; k < 2; k++) {
		const sst_hdr_col *cols = k ? m->regulars : m->statics;
		int n = k ? m->nregular : m->nstatic;

		for (int i = 0; i < n; i++) {
			int idx = cols[i].index;

			if (idx < 0 || idx >= t->layout.ncols)
				continue;
			if (cols[i].complex != t->layout.cols[idx].complex) {
				hl_errf(err, HL_ERR_INVALID,
					"sstable %s/%s: column %s is %s in the file but not in the table",
					dir, base, cols[i].name,
					cols[i].complex ? "multi-cell" : "single-cell");
				sst_close(r);
				return -1;
			}
		}
	}
	*out = r;
	return 0;
}

int64_t st__next_gen(st_engine *e, st_table *t)
{
	return t->gen_counter++ * e->opts.nshards + e->opts.shard + 1;
}

int st__load_table(st_engine *e, st_table *t, hl_err *err)
{
	char hex[33];
	DIR *d = NULL;
	struct dirent *de;
	int64_t maxgen = 0;
	int rc = -1;

	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", t->layout.id.b[i]);
	t->dir = hl_malloc(strlen(e->opts.data_dir) + strlen(t->ks) + strlen(t->name) + 40);
	sprintf(t->dir, "%s/%s/%s-%s", e->opts.data_dir, t->ks, t->name, hex);
	if (st__mkdir_p(t->dir, err))
		goto exit;
	d = opendir(t->dir);
	if (!d) {
		hl_errf(err, HL_ERR_SERVER, "storage: cannot open %s: %s", t->dir, strerror(errno));
		goto exit;
	}
	while ((de = readdir(d))) {
		char base[256];
		const char *comp = split_name(de->d_name, base, sizeof(base));
		int64_t gen = comp ? st__gen_of(base) : -1;
		sst_reader *r;
		hl_err oerr;

		if (gen > maxgen)
			maxgen = gen;
		if (!comp || strcmp(comp, "Data.db") != 0 || gen < 0 || !st__owns_gen(e, gen))
			continue;
		if (!file_exists(t->dir, base, "TOC.txt")) {
			hl_warn("storage: ignoring incomplete sstable %s/%s (no TOC.txt)", t->dir, base);
			continue;
		}
		if (open_checked(t, t->dir, base, false, &r, &oerr)) {
			hl_warn("storage: skipping unreadable sstable %s/%s: %s", t->dir, base, oerr.msg);
			continue;
		}
		st__sst_add(t, st__sst_new(r, base, gen));
		st__sst_describe(e, t->dir, t->ssts, true);
	}
	/* Newest first, by generation (readdir order is arbitrary). */
	for (bool swapped = true; swapped;) {
		st_sst **pp = &t->ssts;

		swapped = false;
		while (*pp && (*pp)->next) {
			st_sst *a = *pp, *b = a->next;

			if (a->gen < b->gen) {
				a->next = b->next;
				b->next = a;
				*pp = b;
				swapped = true;
			}
			pp = &(*pp)->next;
		}
	}
	/* The first counter whose generation is above every one present,
	 * whoever wrote it. */
	t->gen_counter = maxgen / e->opts.nshards;
	while (t->gen_counter * e->opts.nshards + e->opts.shard + 1 <= maxgen)
		t->gen_counter++;
	rc = 0;
exit:
	if (d)
		closedir(d);
	return rc;
}

/* ------------------------------------------------------------ import */

static int copy_file(const char *src, const char *dst, hl_err *err)
{
	char tmp[4200], buf[65536];
	int in = -1, out = -1, rc = -1;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		hl_errf(err, HL_ERR_SERVER, "storage: cannot open %s: %s", src, strerror(errno));
		goto exit;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		hl_errf(err, HL_ERR_SERVER, "storage: cannot create %s: %s", tmp, strerror(errno));
		goto exit;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			hl_errf(err, HL_ERR_SERVER, "storage: read %s: %s", src, strerror(errno));
			goto exit;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				hl_errf(err, HL_ERR_SERVER, "storage: write %s: %s", tmp, strerror(errno));
				goto exit;
			}
			off += w;
		}
	}
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		hl_errf(err, HL_ERR_SERVER, "storage: sync %s: %s", tmp, strerror(errno));
		goto exit;
	}
	out = -1;
	if (rename(tmp, dst) < 0) {
		hl_errf(err, HL_ERR_SERVER, "storage: rename %s: %s", tmp, strerror(errno));
		goto exit;
	}
	rc = 0;
exit:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	return rc;
}

/* Hard link, or copy when the source is on another filesystem (or the
 * filesystem has no hard links). 1: dst exists. */
int st__link_or_copy(const char *src, const char *dst, hl_err *err)
{
	if (link(src, dst) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP)
		return copy_file(src, dst, err);
	return hl_errf(err, HL_ERR_SERVER, "storage: cannot link %s to %s: %s", src, dst,
		       strerror(errno));
}

typedef struct imp_sst {
	char base[256];
	char **comps;
	int ncomps;
	bool has_toc;
} imp_sst;

static void imp_free(imp_sst *v, int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < v[i].ncomps; j++)
			free(v[i].comps[j]);
		free(v[i].comps);
	}
	free(v);
}

/* Group src_dir's files by SSTable. */
static int imp_list(const char *src, imp_sst **out, int *nout, hl_err *err)
{
	DIR *d = opendir(src);
	struct dirent *de;
	imp_sst *v = NULL;
	int n = 0;

	if (!d)
		return hl_errf(err, HL_ERR_INVALID, "import: cannot open directory %s: %s", src,
			       strerror(errno));
	while ((de = readdir(d))) {
		char base[256];
		const char *comp = split_name(de->d_name, base, sizeof(base));
		int i;

		if (!comp)
			continue;
		for (i = 0; i < n && strcmp(v[i].base, base) != 0; i++)
			;
		if (i == n) {
			v = hl_realloc(v, sizeof(*v) * (size_t)(n + 1));
			memset(&v[n], 0, sizeof(v[n]));
			memcpy(v[n].base, base, strlen(base) + 1);
			n++;
		}
		if (strcmp(comp, "TOC.txt") == 0) {
			v[i].has_toc = true;
			continue;
		}
		v[i].comps = hl_realloc(v[i].comps, sizeof(char *) * (size_t)(v[i].ncomps + 1));
		v[i].comps[v[i].ncomps++] = hl_strdup(comp);
	}
	closedir(d);
	*out = v;
	*nout = n;
	return 0;
}

static int write_toc(const char *dir, const char *base, const imp_sst *s, hl_err *err)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-TOC.txt", dir, base);
	f = fopen(path, "wx");
	if (!f)
		return hl_errf(err, HL_ERR_SERVER, "storage: cannot create %s: %s", path,
			       strerror(errno));
	for (int i = 0; i < s->ncomps; i++)
		fprintf(f, "%s\n", s->comps[i]);
	fprintf(f, "TOC.txt\n");
	if (fflush(f) || fsync(fileno(f)) < 0) {
		fclose(f);
		return hl_errf(err, HL_ERR_SERVER, "storage: cannot write %s", path);
	}
	fclose(f);
	return 0;
}

/* Link one SSTable's components under a fresh generation; TOC.txt last. */
static int import_one(st_engine *e, st_table *t, const char *src, const imp_sst *s, char *nbase,
		      size_t cap, hl_err *err)
{
	char sp[4096], dp[4096];

	for (int attempt = 0; attempt < 1000; attempt++) {
		int64_t gen = st__next_gen(e, t);
		int lrc = 0, i;

		snprintf(nbase, cap, "%.2s-%lld-big", s->base, (long long)gen);
		for (i = 0; i < s->ncomps; i++) {
			snprintf(sp, sizeof(sp), "%s/%s-%s", src, s->base, s->comps[i]);
			snprintf(dp, sizeof(dp), "%s/%s-%s", t->dir, nbase, s->comps[i]);
			lrc = st__link_or_copy(sp, dp, err);
			if (lrc)
				break;
		}
		if (lrc == 0) {
			if (s->has_toc) {
				snprintf(sp, sizeof(sp), "%s/%s-TOC.txt", src, s->base);
				snprintf(dp, sizeof(dp), "%s/%s-TOC.txt", t->dir, nbase);
				lrc = st__link_or_copy(sp, dp, err);
			} else {
				lrc = write_toc(t->dir, nbase, s, err);
			}
			if (lrc == 0)
				return 0;
		}
		/* Undo this attempt; only a name collision (a file left by a
		 * run with another shard count) is worth another generation. */
		for (int j = 0; j < i; j++) {
			snprintf(dp, sizeof(dp), "%s/%s-%s", t->dir, nbase, s->comps[j]);
			unlink(dp);
		}
		if (lrc < 0)
			return -1;
		if (i == s->ncomps) {
			/* TOC collided after the components were linked: undo all. */
			st__sst_unlink(t->dir, nbase);
		}
	}
	return hl_errf(err, HL_ERR_SERVER, "import: no free generation in %s", t->dir);
}

int st_import(st_engine *e, const hl_uuid *table, const char *src_dir, int *nimported,
	      hl_err *err)
{
	st_table *t = st__table(e, table);
	imp_sst *v = NULL;
	int n = 0, done = 0, rc = -1;

	if (nimported)
		*nimported = 0;
	if (!t) {
		hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
		goto exit;
	}
	if (!t->dir) {
		hl_errf(err, HL_ERR_INVALID, "import: table %s has no data directory",
			t->name ? t->name : "(memory only)");
		goto exit;
	}
	if (imp_list(src_dir, &v, &n, err))
		goto exit;
	/* Validate everything before touching the table directory. */
	for (int i = 0; i < n; i++) {
		sst_reader *r;

		if (v[i].ncomps == 0)
			continue;
		if (open_checked(t, src_dir, v[i].base, true, &r, err))
			goto exit;
		sst_close(r);
	}
	for (int i = 0; i < n; i++) {
		char nbase[64];
		sst_reader *r;

		if (v[i].ncomps == 0)
			continue;
		if (import_one(e, t, src_dir, &v[i], nbase, sizeof(nbase), err))
			goto exit;
		if (open_checked(t, t->dir, nbase, false, &r, err)) {
			st__sst_unlink(t->dir, nbase);
			goto exit;
		}
		st__sst_add(t, st__sst_new(r, nbase, st__gen_of(nbase)));
		/* As Cassandra's import: levels restart at 0. */
		st__sst_describe(e, t->dir, t->ssts, false);
		t->lcs_checked = false;
		done++;
	}
	rc = 0;
	st__maybe_compact(e, t);
exit:
	if (nimported)
		*nimported = done;
	imp_free(v, n);
	return rc;
}

/* ------------------------------------------------------------ links, spans */

/* Components of <dir>/<base>-*, TOC.txt last (NULL-terminated, heap). */
static char **components(const char *dir, const char *base, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t bl = strlen(base);
	char **v = NULL;
	bool toc = false;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, base, bl) != 0 || de->d_name[bl] != '-')
			continue;
		if (strcmp(de->d_name + bl + 1, "TOC.txt") == 0) {
			toc = true;
			continue;
		}
		v = hl_realloc(v, sizeof(char *) * (size_t)(*n + 2));
		v[(*n)++] = hl_strdup(de->d_name);
	}
	closedir(d);
	if (toc) {
		v = hl_realloc(v, sizeof(char *) * (size_t)(*n + 2));
		v[(*n)++] = st__printf("%s-TOC.txt", base);
	}
	return v;
}

static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int st__sst_link(const char *src, const char *base, const char *dst, hl_err *err)
{
	int n, rc = 0;
	char **v = components(src, base, &n);
	char sp[4096], dp[4096];

	if (n == 0)
		return hl_errf(err, HL_ERR_SERVER, "storage: no files for %s/%s", src, base);
	for (int i = 0; i < n && rc == 0; i++) {
		snprintf(sp, sizeof(sp), "%s/%s", src, v[i]);
		snprintf(dp, sizeof(dp), "%s/%s", dst, v[i]);
		/* An existing name is the same file linked before (a snapshot
		 * taken again under its tag). */
		rc = st__link_or_copy(sp, dp, err) < 0 ? -1 : 0;
	}
	free_strv(v, n);
	return rc;
}

static uint64_t be_u(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Summary.db: a 24-byte header (min index interval, entry count, entries
 * size as int64, sampling level, full size), the entries, then the first
 * and last partition keys, each an int32 length and the bytes. Only the
 * header and the two keys are read.
 */
bool st__sst_span(const st_engine *e, const char *dir, const char *base, int64_t *first,
		  int64_t *last)
{
	char path[4096];
	uint8_t hdr[24], lb[4];
	uint8_t *key = NULL;
	uint64_t off, size;
	int64_t tok[2];
	struct stat st;
	bool ok = false;
	int fd;

	snprintf(path, sizeof(path), "%s/%s-Summary.db", dir, base);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		goto exit;
	size = be_u(hdr + 8, 8);
	off = 24 + size;
	for (int k = 0; k < 2; k++) {
		uint32_t len;

		if (off + 4 > (uint64_t)st.st_size || pread(fd, lb, 4, (off_t)off) != 4)
			goto exit;
		len = (uint32_t)be_u(lb, 4);
		off += 4;
		if (len > 65535 || off + len > (uint64_t)st.st_size)
			goto exit;
		key = hl_realloc(key, len ? len : 1);
		if (pread(fd, key, len, (off_t)off) != (ssize_t)len)
			goto exit;
		tok[k] = hl_token(key, len);
		off += len;
	}
	if (tok[0] > tok[1])
		goto exit;
	if (e->opts.has_range) {
		if (tok[0] < e->opts.own_start)
			tok[0] = e->opts.own_start;
		if (tok[1] > e->opts.own_end)
			tok[1] = e->opts.own_end;
		if (tok[0] > tok[1])
			goto exit;
	}
	*first = tok[0];
	*last = tok[1];
	ok = true;
exit:
	free(key);
	close(fd);
	return ok;
}

void st__sst_describe(const st_engine *e, const char *dir, st_sst *s, bool keep_level)
{
	s->has_span = st__sst_span(e, dir, s->base, &s->first_tok, &s->last_tok);
	s->level = keep_level ? sst_info(s->r)->sstable_level : 0;
	if (s->level < 0)
		s->level = 0;
}

/* ------------------------------------------------------------ refresh */

/* Which shard stages a file: its generation's owner, or a hash share for
 * non-numeric (time-based) ids. */
static int stage_owner(const st_engine *e, const char *base)
{
	int64_t gen = st__gen_of(base);
	uint64_t h = 1469598103934665603ULL;

	if (gen > 0)
		return (int)((gen - 1) % e->opts.nshards);
	for (const char *p = base; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 1099511628211ULL;
	}
	return (int)(h % (uint64_t)e->opts.nshards);
}

static bool served(const st_table *t, const char *base)
{
	for (const st_sst *s = t->ssts; s; s = s->next)
		if (strcmp(s->base, base) == 0)
			return true;
	return false;
}

/* Move <dir>/<base>-* to <up>/<nbase>-*, TOC.txt first so the table
 * directory never shows a complete SSTable with parts missing. Link then
 * unlink: unlike rename it never replaces a file already staged. */
static int stage_move(const char *dir, const char *base, const char *up, const char *nbase,
		      hl_err *err)
{
	int n, rc = 0;
	char **v = components(dir, base, &n);
	size_t bl = strlen(base);
	char sp[4096], dp[4096];

	/* TOC.txt is last in v: move it first. */
	for (int k = 0; k < n && rc == 0; k++) {
		const char *name = v[(k + n - 1) % n];

		snprintf(sp, sizeof(sp), "%s/%s", dir, name);
		snprintf(dp, sizeof(dp), "%s/%s%s", up, nbase, name + bl);
		if (link(sp, dp) < 0)
			rc = hl_errf(err, HL_ERR_SERVER, "refresh: cannot link %s to %s: %s", sp, dp,
				     strerror(errno));
		else if (unlink(sp) < 0)
			rc = hl_errf(err, HL_ERR_SERVER, "refresh: cannot remove %s: %s", sp,
				     strerror(errno));
	}
	free_strv(v, n);
	return rc;
}

int st_refresh_stage(st_engine *e, const hl_uuid *table, int *nstaged, hl_err *err)
{
	st_table *t = st__table(e, table);
	imp_sst *v = NULL;
	int n = 0, rc = -1, staged = 0;
	char *up = NULL;

	if (nstaged)
		*nstaged = 0;
	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	if (!t->dir)
		return hl_errf(err, HL_ERR_INVALID, "refresh: table %s has no data directory",
			       t->name ? t->name : "(memory only)");
	up = st__printf("%s/upload", t->dir);
	if (imp_list(t->dir, &v, &n, err))
		goto exit;
	for (int i = 0; i < n; i++) {
		bool has_data = false;
		char nbase[300];

		for (int c = 0; c < v[i].ncomps; c++)
			has_data |= strcmp(v[i].comps[c], "Data.db") == 0;
		/* Without TOC.txt it may be a write in progress (ours: the
		 * writer adds TOC last; an operator's copy not finished). */
		if (!has_data || !v[i].has_toc || stage_owner(e, v[i].base) != e->opts.shard ||
		    served(t, v[i].base))
			continue;
		if (!strncmp(v[i].base, "nb-", 3) && st__gen_of(v[i].base) > 0 &&
		    st__gen_pending(e, t, st__gen_of(v[i].base)))
			continue;
		if (st__mkdir_p(up, err))
			goto exit;
		/* A free name in upload/ (an earlier refresh may have left files). */
		snprintf(nbase, sizeof(nbase), "%s", v[i].base);
		for (int k = 1; file_exists(up, nbase, "Data.db") || file_exists(up, nbase, "TOC.txt");
		     k++)
			snprintf(nbase, sizeof(nbase), "%.2s-%d%03d-big", v[i].base, k, e->opts.shard);
		if (stage_move(t->dir, v[i].base, up, nbase, err))
			goto exit;
		staged++;
	}
	rc = 0;
exit:
	if (nstaged)
		*nstaged = staged;
	imp_free(v, n);
	free(up);
	return rc;
}

int st_refresh(st_engine *e, const hl_uuid *table, int *nloaded, hl_err *err)
{
	st_table *t = st__table(e, table);
	char *up;
	int rc;

	if (nloaded)
		*nloaded = 0;
	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	if (!t->dir)
		return hl_errf(err, HL_ERR_INVALID, "refresh: table %s has no data directory",
			       t->name ? t->name : "(memory only)");
	if (e->opts.nshards == 1 && st_refresh_stage(e, table, NULL, err))
		return -1;
	up = st__printf("%s/upload", t->dir);
	rc = access(up, F_OK) == 0 ? st_import(e, table, up, nloaded, err) : 0;
	free(up);
	if (rc == 0 && e->opts.nshards == 1)
		rc = st_refresh_finish(e, table, err);
	return rc;
}

int st_refresh_finish(st_engine *e, const hl_uuid *table, hl_err *err)
{
	st_table *t = st__table(e, table);
	char *up;
	DIR *d;
	struct dirent *de;

	if (!t)
		return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
	if (!t->dir)
		return 0;
	up = st__printf("%s/upload", t->dir);
	d = opendir(up);
	if (d) {
		char path[4096];

		while ((de = readdir(d))) {
			char base[256];

			/* Only SSTable components: anything else is the operator's. */
			if (!split_name(de->d_name, base, sizeof(base)))
				continue;
			snprintf(path, sizeof(path), "%s/%s", up, de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(up);
	}
	free(up);
	return 0;
}
