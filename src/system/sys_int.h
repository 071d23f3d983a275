/*
 * Private header of the system module: the row builder shared by rows.c
 * (system, system_schema, system_virtual_schema), traces.c
 * (system_traces) and views.c (system_views).
 */
#ifndef HL_SYS_INT_H
#define HL_SYS_INT_H

#include "system/system.h"

typedef struct sys_rb {
	hl_arena *a;
	const sch_table *t;
	int nrows, cap;
	sys_cell *cells;
	sys_cell *row;        /* the row being filled */
	hl_buf tmp;
} sys_rb;

/* Start a row (every cell null). Cells are named by column; unknown names are ignored. */
void sys__rb_row(sys_rb *r);
void sys__put(sys_rb *r, const char *col, const void *p, size_t n);
void sys__put_tmp(sys_rb *r, const char *col);
void sys__put_text(sys_rb *r, const char *col, const char *s);   /* NULL: null */
void sys__put_int(sys_rb *r, const char *col, int32_t v);
void sys__put_bigint(sys_rb *r, const char *col, int64_t v);
void sys__put_bool(sys_rb *r, const char *col, bool v);
void sys__put_double(sys_rb *r, const char *col, double v);
void sys__put_uuid(sys_rb *r, const char *col, const hl_uuid *u);
void sys__put_inet(sys_rb *r, const char *col, const sys_inet *in);   /* len 0: null */
void sys__put_strings(sys_rb *r, const char *col, const char **v, int n, bool sort);
/* map<text, text> from n pairs already sorted by key. */
void sys__put_kv(sys_rb *r, const char *col, const char *const *keys, const char *const *vals, int n);

/* traces.c: rows of system_traces.sessions / events. */
void sys__trace_rows(sys_rb *r, sys_traces *t, bool events);
/* views.c: rows of system_views.<name>. */
void sys__view_rows(sys_rb *r, const sys_node *n, const char *name);

#endif
