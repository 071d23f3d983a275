/*
 * schema: private declarations shared by the schema module's files only.
 */
#ifndef HL_SCH_INT_H
#define HL_SCH_INT_H

#include <stdatomic.h>

#include "schema/schema.h"

#define SCH_NAME_LENGTH 48   /* SchemaConstants.NAME_LENGTH */

#define SCH_LOCATOR "org.apache.cassandra.locator."
#define SCH_COMPACTION_PKG "org.apache.cassandra.db.compaction."
#define SCH_COMPRESS_PKG "org.apache.cassandra.io.compress."

struct sch_schema {
	atomic_int refs;
	hl_arena *a;
	int nks;
	sch_keyspace **ks;
	hl_uuid version;
	uint64_t epoch;
};

/* model.c */
sch_schema *sch__new(void);
sch_schema *sch__copy(const sch_schema *src);
void sch__finish(sch_schema *s);                 /* sort + version */
void sch__sort_columns(hl_arena *a, sch_table *t);
const ty_type *sch__type_copy(hl_arena *a, const ty_type *t);
sch_keyspace *sch__find_ks(sch_schema *s, const char *name);
sch_table *sch__find_table(sch_keyspace *k, const char *name);
sch_udt *sch__find_udt(sch_keyspace *k, const char *name);
void sch__add_keyspace(sch_schema *s, sch_keyspace *k);
void sch__add_table(hl_arena *a, sch_keyspace *k, sch_table *t);
void sch__map_set(hl_arena *a, sch_map *m, const char *key, const char *val, size_t vlen);
void sch__map_del(sch_map *m, const char *key);
void sch__map_copy(hl_arena *a, sch_map *dst, const sch_map *src);
/* TableId.forSystemTable: name-based UUID over keyspace + table bytes. */
void sch__system_table_id(const char *ks, const char *table, hl_uuid *id);
const ty_type *sch__resolve_udt(void *ctx, const char *ks, const char *name);

/* params.c */
void sch__params_default(sch_params *p);
int sch__params_apply(hl_arena *a, sch_params *p, const sch_option *opts, int nopts,
		      bool is_alter, bool *has_id, hl_uuid *id, hl_err *err);
int sch__replication(hl_arena *a, const sch_option *opt, const sch_registry_config *cfg,
		     const char *ks, const char **strategy, sch_map *out, hl_err *err);
void sch__params_copy(hl_arena *a, sch_params *dst, const sch_params *src);

/* ddl.c: the table builder shared with the system keyspace definitions */
int sch__build_table(sch_schema *s, sch_keyspace *k, const sch_table_def *def,
		     const sch_registry_config *cfg, int64_t now_micros, bool system,
		     sch_table **out, hl_err *err);

/* view.c */
int sch__create_view(sch_schema *s, const sch_view_def *def, bool if_not_exists,
		     const sch_registry_config *cfg, int64_t now, hl_err *err);
int sch__alter_view(sch_schema *s, const char *ks, const char *name, bool if_exists, int nopts,
		    const sch_option *opts, hl_err *err);
int sch__drop_view(sch_schema *s, const char *ks, const char *name, bool if_exists, hl_err *err);
void sch__views_add_column(sch_schema *s, sch_keyspace *k, const sch_table *base, const sch_column *c);
void sch__views_rename(sch_schema *s, sch_keyspace *k, const sch_table *base, const char *from,
		       const char *to);

/* systemks.c */
void sch__add_system_keyspaces(sch_schema *s);

/* describe.c */
void sch__canonical(const sch_schema *s, hl_buf *out);

#endif
