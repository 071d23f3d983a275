/*
 * storage/snapshot.c: snapshots (nodetool snapshot / listsnapshots /
 * clearsnapshot, and the automatic ones before TRUNCATE and DROP), laid
 * out as Cassandra's: <table dir>/snapshots/<tag>/ holding hard links of
 * the SSTable components, manifest.json and optionally schema.cql.
 *
 * Memtables: a snapshot must hold what was written before it, yet the
 * shard thread must not write an SSTable itself. So the active memtable is
 * frozen into an ordinary flush (bg.c), and every flush of the table not
 * yet published -- that one and any already queued or running -- carries
 * the snapshot directory: st_poll links its output there when it
 * publishes it. Before TRUNCATE / DROP the flushes become "snapshot only":
 * they are not cancelled with the rest of the table's work, queued ones
 * are redirected to write straight into the snapshot, and a running one's
 * output is linked into the snapshot and removed from the table directory
 * (a crash in that window leaves it in the table directory: the truncated
 * data would come back; Cassandra's blocking flush has a similar window).
 * manifest.json lists the Data.db files present and is rewritten, under
 * an flock of the snapshot directory, every time files are added, so all
 * shards adding to the same snapshot converge on one complete manifest.
 */
#include "storage/st_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso_time(int64_t ms, char *out, size_t n)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* created_at of an existing manifest (kept across rewrites); -1: none. */
static int64_t manifest_created(const char *snapdir)
{
	char path[4096], buf[4096];
	const char *p;
	struct tm tm;
	int ms = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/manifest.json", snapdir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strstr(buf, "\"created_at\"");
	if (!p || !(p = strchr(p + 12, '"')))
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p + 1, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

void st__snap_manifest(const char *snapdir)
{
	DIR *d = opendir(snapdir);
	struct dirent *de;
	char **v = NULL;
	int n = 0, fd;
	char path[4096], tmp[4200], when[96];
	int64_t created;
	FILE *f;

	if (!d) {
		hl_warn("storage: snapshot %s: %s", snapdir, strerror(errno));
		return;
	}
	/* Shards of one snapshot write here concurrently: one at a time, and
	 * each lists everything present, so the last writer is complete. */
	fd = dirfd(d);
	flock(fd, LOCK_EX);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 8 && strcmp(de->d_name + l - 8, "-Data.db") == 0) {
			v = hl_realloc(v, sizeof(char *) * (size_t)(n + 1));
			v[n++] = hl_strdup(de->d_name);
		}
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), cmp_str);
	created = manifest_created(snapdir);
	iso_time(created >= 0 ? created : now_ms(), when, sizeof(when));
	snprintf(path, sizeof(path), "%s/manifest.json", snapdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f) {
		bool ok;

		fprintf(f, "{\n  \"files\" : [ ");
		for (int i = 0; i < n; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "", v[i]);
		fprintf(f, " ],\n  \"created_at\" : \"%s\",\n  \"expires_at\" : null,\n"
			"  \"ephemeral\" : false\n}\n", when);
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
		ok = fclose(f) == 0 && ok;
		if (!ok || rename(tmp, path) < 0) {
			hl_warn("storage: cannot write %s: %s", path, strerror(errno));
			unlink(tmp);
		}
	} else {
		hl_warn("storage: cannot create %s: %s", tmp, strerror(errno));
	}
	flock(fd, LOCK_UN);
	closedir(d);
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool valid_tag(const char *tag)
{
	return tag && tag[0] && !strchr(tag, '/') && strcmp(tag, ".") != 0 &&
		strcmp(tag, "..") != 0 && strlen(tag) < 200;
}

typedef struct snap_visit {
	const char *snapdir;
	bool destructive;
} snap_visit;

static void add_snap(st_job *j, bool queued, void *ctx)
{
	snap_visit *sv = ctx;

	j->snaps = hl_realloc(j->snaps, sizeof(char *) * (size_t)(j->nsnaps + 1));
	j->snaps[j->nsnaps++] = hl_strdup(sv->snapdir);
	if (!sv->destructive)
		return;
	j->snap_only = true;
	/* Not started: write it where it belongs (we hold e->mu, which the
	 * worker takes before starting a job). It is no longer the table's,
	 * so it is not an incremental backup either. */
	if (queued) {
		j->dir = hl_arena_strdup(j->a, sv->snapdir);
		j->backup = false;
	}
}

int st__snapshot_table(st_engine *e, st_table *t, const char *tag, const char *schema_cql,
		       bool destructive, hl_err *err)
{
	char *snapdir;
	snap_visit sv;
	int rc = -1;

	if (!t->dir)
		return 0;
	snapdir = st__printf("%s/snapshots/%s", t->dir, tag);
	if (st__mkdir_p(snapdir, err))
		goto exit;
	/* The active memtable joins the flushes in flight (see above). */
	if (st__freeze(e, t, err))
		goto exit;
	for (st_sst *s = t->ssts; s; s = s->next)
		if (st__sst_link(t->dir, s->base, snapdir, err))
			goto exit;
	sv.snapdir = snapdir;
	sv.destructive = destructive;
	st__visit_flushes(e, t, add_snap, &sv);
	if (schema_cql) {
		char *path = st__printf("%s/schema.cql", snapdir);
		FILE *f = fopen(path, "w");
		bool ok = f && fputs(schema_cql, f) >= 0;

		if (f)
			ok = fclose(f) == 0 && ok;
		free(path);
		if (!ok) {
			hl_errf(err, HL_ERR_SERVER, "snapshot: cannot write %s/schema.cql", snapdir);
			goto exit;
		}
	}
	st__snap_manifest(snapdir);
	rc = 0;
exit:
	free(snapdir);
	return rc;
}

int st_snapshot(st_engine *e, const hl_uuid *table, const char *tag, const char *schema_cql,
		hl_err *err)
{
	if (!valid_tag(tag))
		return hl_errf(err, HL_ERR_INVALID, "snapshot: invalid snapshot name '%s'",
			       tag ? tag : "");
	if (table) {
		st_table *t = st__table(e, table);

		if (!t)
			return hl_errf(err, HL_ERR_INVALID, "storage: unknown table");
		return st__snapshot_table(e, t, tag, schema_cql, false, err);
	}
	for (size_t i = 0; i < e->nslots; i++)
		if (e->slots[i] && e->slots[i]->dir &&
		    st__snapshot_table(e, e->slots[i], tag, NULL, false, err))
			return -1;
	return 0;
}

static bool has_data(const st_table *t)
{
	if (t->nssts > 0 || !st__mt_empty(t->mt))
		return true;
	for (const st_memtable *f = t->frozen; f; f = f->next)
		if (!f->flushed)
			return true;
	return false;
}

/*
 * A drop happens once per table directory (a re-created table has a new
 * id, hence a new directory), but each shard runs it when it next syncs
 * its schema, possibly much later. The first shard names the snapshot; the
 * others find its dropped-*-<table> directory (under an flock of the table
 * directory, so two shards never both create one).
 */
static char *dropped_tag(const st_table *t, int64_t at_ms)
{
	char *sd = st__printf("%s/snapshots", t->dir);
	char *tag = NULL;
	size_t nl = strlen(t->name);
	int fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd >= 0)
		flock(fd, LOCK_EX);
	d = opendir(sd);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d)) && !tag) {
			size_t l = strlen(de->d_name);

			if (strncmp(de->d_name, "dropped-", 8) == 0 && l > 8 + nl + 1 &&
			    de->d_name[l - nl - 1] == '-' && strcmp(de->d_name + l - nl, t->name) == 0)
				tag = hl_strdup(de->d_name);
		}
		closedir(d);
	}
	if (!tag) {
		hl_err err;
		char *dir;

		tag = st__printf("dropped-%lld-%s", (long long)at_ms, t->name);
		dir = st__printf("%s/%s", sd, tag);
		if (st__mkdir_p(dir, &err))
			hl_warn("%s", err.msg);
		free(dir);
	}
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
	free(sd);
	return tag;
}

void st__auto_snapshot(st_engine *e, st_table *t, const char *kind, int64_t at_ms)
{
	char *tag;
	hl_err err;

	/* Nothing to keep: Cassandra would make an empty snapshot; we skip it. */
	if (!t->dir || e->opts.no_auto_snapshot || t->layout.no_auto_snapshot || !has_data(t))
		return;
	if (at_ms <= 0)
		at_ms = now_ms();
	if (strcmp(kind, "dropped") == 0)
		tag = dropped_tag(t, at_ms);
	else
		tag = st__printf("%s-%lld-%s", kind, (long long)at_ms, t->name);
	if (st__snapshot_table(e, t, tag, NULL, true, &err))
		hl_error("storage: automatic snapshot %s of %s.%s failed: %s", tag, t->ks, t->name,
			 err.msg);
	free(tag);
}

/* ------------------------------------------------------------ list / clear */

/* "<table>-<32 hex>" -> table name length; 0 if not a table directory. */
static size_t table_dir_name(const char *name)
{
	size_t l = strlen(name);

	if (l < 34 || name[l - 33] != '-')
		return 0;
	for (size_t i = l - 32; i < l; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return l - 33;
}

typedef struct ino_set {
	dev_t *dev;
	ino_t *ino;
	int n;
} ino_set;

static void live_inodes(const char *tdir, ino_set *s)
{
	DIR *d = opendir(tdir);
	struct dirent *de;

	memset(s, 0, sizeof(*s));
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		s->dev = hl_realloc(s->dev, sizeof(dev_t) * (size_t)(s->n + 1));
		s->ino = hl_realloc(s->ino, sizeof(ino_t) * (size_t)(s->n + 1));
		s->dev[s->n] = st.st_dev;
		s->ino[s->n] = st.st_ino;
		s->n++;
	}
	closedir(d);
}

static bool ino_has(const ino_set *s, dev_t dev, ino_t ino)
{
	for (int i = 0; i < s->n; i++)
		if (s->dev[i] == dev && s->ino[i] == ino)
			return true;
	return false;
}

/* Walks data_dir/<ks>/<table-id>/snapshots/<tag>; fn returns nonzero to stop. */
typedef int (*snap_walk_fn)(const char *ks, const char *table, const char *tdir,
			    const char *tag, const char *sdir, void *ctx);

static int walk_snapshots(const st_engine *e, const char *only_ks, snap_walk_fn fn, void *ctx)
{
	DIR *dd;
	struct dirent *kd;
	int count = 0;

	if (!e->opts.data_dir || !(dd = opendir(e->opts.data_dir)))
		return 0;
	while ((kd = readdir(dd))) {
		char *kpath;
		DIR *kdir;
		struct dirent *td;

		if (kd->d_name[0] == '.' || (only_ks && strcmp(only_ks, kd->d_name) != 0))
			continue;
		kpath = st__printf("%s/%s", e->opts.data_dir, kd->d_name);
		kdir = opendir(kpath);
		while (kdir && (td = readdir(kdir))) {
			size_t nl = table_dir_name(td->d_name);
			char *tdir, *sd, *tname;
			DIR *s;
			struct dirent *sn;

			if (!nl)
				continue;
			tdir = st__printf("%s/%s", kpath, td->d_name);
			sd = st__printf("%s/snapshots", tdir);
			tname = st__printf("%.*s", (int)nl, td->d_name);
			s = opendir(sd);
			while (s && (sn = readdir(s))) {
				char *path;
				struct stat st;

				if (sn->d_name[0] == '.')
					continue;
				path = st__printf("%s/%s", sd, sn->d_name);
				if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
					count++;
					fn(kd->d_name, tname, tdir, sn->d_name, path, ctx);
				}
				free(path);
			}
			if (s)
				closedir(s);
			free(tname);
			free(sd);
			free(tdir);
		}
		if (kdir)
			closedir(kdir);
		free(kpath);
	}
	closedir(dd);
	return count;
}

typedef struct list_ctx {
	st_snapshot_fn fn;
	void *ctx;
} list_ctx;

static int list_one(const char *ks, const char *table, const char *tdir, const char *tag,
		    const char *sdir, void *ctx)
{
	list_ctx *lc = ctx;
	st_snapshot_info info;
	ino_set live;
	DIR *d = opendir(sdir);
	struct dirent *de;
	struct stat st;

	memset(&info, 0, sizeof(info));
	info.tag = tag;
	info.keyspace = ks;
	info.table = table;
	live_inodes(tdir, &live);
	while (d && (de = readdir(d))) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		info.size_on_disk += (uint64_t)st.st_size;
		/* Cassandra's true size: what deleting the snapshot would free,
		 * i.e. files the live table no longer has. */
		if (!ino_has(&live, st.st_dev, st.st_ino))
			info.true_size += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
	info.created_ms = manifest_created(sdir);
	if (info.created_ms < 0 && stat(sdir, &st) == 0)
		info.created_ms = (int64_t)st.st_mtime * 1000;
	free(live.dev);
	free(live.ino);
	lc->fn(lc->ctx, &info);
	return 0;
}

int st_list_snapshots(st_engine *e, st_snapshot_fn fn, void *ctx)
{
	list_ctx lc = { fn, ctx };

	return walk_snapshots(e, NULL, list_one, &lc);
}

typedef struct clear_ctx {
	const char *tag;
	int n;
	int failed;
} clear_ctx;

static int clear_one(const char *ks, const char *table, const char *tdir, const char *tag,
		     const char *sdir, void *ctx)
{
	clear_ctx *cc = ctx;
	DIR *d;
	struct dirent *de;
	char *sd;

	(void)ks, (void)table;
	if (cc->tag && strcmp(cc->tag, tag) != 0)
		return 0;
	d = opendir(sdir);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			cc->failed++;
	}
	if (d)
		closedir(d);
	if (rmdir(sdir) < 0)
		cc->failed++;
	else
		cc->n++;
	/* The snapshots directory goes with its last snapshot (fails quietly
	 * while others remain). */
	sd = st__printf("%s/snapshots", tdir);
	rmdir(sd);
	free(sd);
	return 0;
}

int st_clear_snapshot(st_engine *e, const char *tag, const char *keyspace, int *ncleared,
		      hl_err *err)
{
	clear_ctx cc = { tag, 0, 0 };

	if (tag && !valid_tag(tag))
		return hl_errf(err, HL_ERR_INVALID, "clearsnapshot: invalid snapshot name '%s'", tag);
	walk_snapshots(e, keyspace, clear_one, &cc);
	if (ncleared)
		*ncleared = cc.n;
	if (cc.failed)
		return hl_errf(err, HL_ERR_SERVER, "clearsnapshot: %d file(s) could not be removed",
			       cc.failed);
	return 0;
}
