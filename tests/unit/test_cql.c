/*
 * Unit tests for the cql module: lexer corner cases, every statement form,
 * bind marker numbering, the shapes real clients send (cqlsh, drivers,
 * the Spark connector) and syntax errors, including hostile input.
 */
#include "cql/cql.h"
#include "t.h"

#include <stdlib.h>

static hl_arena *A;
static hl_err E;

/* Parse q; NULL (and the message printed) on failure. */
static cql_stmt *P(const char *q)
{
	cql_stmt *s = NULL;

	hl_err_clear(&E);
	if (cql_parse(q, strlen(q), A, &s, &E) < 0) {
		fprintf(stderr, "unexpected parse failure: %s\n  -> %s\n", q, E.msg);
		return NULL;
	}
	return s;
}

/* Parse q expecting failure; returns the error code (0 if it parsed). */
static int F(const char *q)
{
	cql_stmt *s = NULL;

	hl_err_clear(&E);
	if (cql_parse(q, strlen(q), A, &s, &E) == 0) {
		fprintf(stderr, "unexpectedly parsed: %s\n", q);
		return 0;
	}
	return E.code;
}

static bool lit_is(const cql_term *t, ty_lit_kind k, const char *text)
{
	return t && t->kind == CQL_TERM_LITERAL && t->lit.kind == k && t->lit.len == strlen(text) &&
	       memcmp(t->lit.text, text, t->lit.len) == 0;
}

static void test_use_and_idents(void)
{
	cql_stmt *s;

	s = P("USE ks");
	CHECK(s && s->kind == CQL_STMT_USE);
	if (s)
		CHECK_STR(s->use.name.name, "ks");
	s = P("use \"MyKs\";");
	CHECK(s != NULL);
	if (s)
		CHECK_STR(s->use.name.name, "MyKs");
	s = P("USE MyKs ;  -- trailing comment");
	if (s)
		CHECK_STR(s->use.name.name, "myks");
	s = P("select * from system.local where key='local'");
	CHECK(s && s->kind == CQL_STMT_SELECT);
	if (s) {
		CHECK(s->select.star);
		CHECK_STR(s->select.table.ks, "system");
		CHECK_STR(s->select.table.name, "local");
		CHECK_EQ_I64(s->select.nwhere, 1);
		CHECK_STR(s->select.where[0].cols[0], "key");
		CHECK(s->select.where[0].op == CQL_OP_EQ);
		CHECK(lit_is(s->select.where[0].value, TY_LIT_STRING, "local"));
	}
	/* quoted identifiers keep case, "" unescapes */
	s = P("SELECT \"Foo \"\"bar\"\"\", Baz FROM \"Ks\".\"T\"");
	if (s) {
		CHECK_STR(s->select.sel[0].expr->name, "Foo \"bar\"");
		CHECK_STR(s->select.sel[1].expr->name, "baz");
		CHECK_STR(s->select.table.ks, "Ks");
		CHECK_STR(s->select.table.name, "T");
	}
	/* unreserved keywords as column names, as system tables use them */
	s = P("SELECT key, type, values, options, kind, position, name, count, ttl, writetime, "
	      "timestamp, date, text, json, distinct, as FROM system_schema.columns");
	CHECK(s && s->select.nsel == 16);
	if (s) {
		CHECK_STR(s->select.sel[1].expr->name, "type");
		CHECK(s->select.sel[7].expr->kind == CQL_SEL_COLUMN);
		CHECK_STR(s->select.sel[7].expr->name, "count");
		CHECK_STR(s->select.sel[13].expr->name, "json");
		CHECK_STR(s->select.sel[14].expr->name, "distinct");
	}
	/* reserved words cannot */
	CHECK(F("SELECT from FROM t") == HL_ERR_SYNTAX);
	CHECK(F("SELECT a FROM table") == HL_ERR_SYNTAX);
	CHECK(F("CREATE TABLE t (select int PRIMARY KEY)") == HL_ERR_SYNTAX);
	s = P("SELECT \"select\" FROM \"table\"");
	if (s)
		CHECK_STR(s->select.sel[0].expr->name, "select");
}

static void test_literals(void)
{
	cql_stmt *s;
	cql_term **v;

	s = P("INSERT INTO t (a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r) VALUES ("
	      "'it''s', $$a$'b$$, -12, 1.5e-3, 3., TRUE, false, 0xCAFE, 0x, "
	      "123e4567-e89b-12d3-a456-426614174000, 1h30m, 3mo2d, P1Y2M, P1W, "
	      "P0001-02-03T04:05:06, NaN, -Infinity, null)");
	CHECK(s && s->kind == CQL_STMT_INSERT);
	if (!s)
		return;
	v = s->insert.values;
	CHECK_EQ_I64(s->insert.ncols, 18);
	CHECK(lit_is(v[0], TY_LIT_STRING, "it's"));
	CHECK(lit_is(v[1], TY_LIT_STRING, "a$'b"));
	CHECK(lit_is(v[2], TY_LIT_INTEGER, "-12"));
	CHECK(lit_is(v[3], TY_LIT_FLOAT, "1.5e-3"));
	CHECK(lit_is(v[4], TY_LIT_FLOAT, "3."));
	CHECK(lit_is(v[5], TY_LIT_BOOLEAN, "true"));
	CHECK(lit_is(v[6], TY_LIT_BOOLEAN, "false"));
	CHECK(lit_is(v[7], TY_LIT_HEX, "0xCAFE"));
	CHECK(lit_is(v[8], TY_LIT_HEX, "0x"));
	CHECK(lit_is(v[9], TY_LIT_UUID, "123e4567-e89b-12d3-a456-426614174000"));
	CHECK(lit_is(v[10], TY_LIT_DURATION, "1h30m"));
	CHECK(lit_is(v[11], TY_LIT_DURATION, "3mo2d"));
	CHECK(lit_is(v[12], TY_LIT_DURATION, "P1Y2M"));
	CHECK(lit_is(v[13], TY_LIT_DURATION, "P1W"));
	CHECK(lit_is(v[14], TY_LIT_DURATION, "P0001-02-03T04:05:06"));
	CHECK(lit_is(v[15], TY_LIT_FLOAT, "NaN"));
	CHECK(lit_is(v[16], TY_LIT_FLOAT, "-Infinity"));
	CHECK(lit_is(v[17], TY_LIT_NULL, "null"));

	s = P("INSERT INTO t (a, b, c, d, e, f) VALUES (-NaN, Infinity, - 5, -(int)3, 12ms, -1d)");
	if (s) {
		v = s->insert.values;
		CHECK(lit_is(v[0], TY_LIT_FLOAT, "NaN"));
		CHECK(lit_is(v[1], TY_LIT_FLOAT, "Infinity"));
		CHECK(lit_is(v[2], TY_LIT_INTEGER, "-5"));
		CHECK(v[3]->kind == CQL_TERM_NEG && v[3]->left->kind == CQL_TERM_TYPEHINT);
		CHECK(lit_is(v[4], TY_LIT_DURATION, "12ms"));
		CHECK(lit_is(v[5], TY_LIT_DURATION, "-1d"));
	}
	/* UUIDs starting with letters or digits beat identifiers and numbers */
	s = P("SELECT * FROM t WHERE id = abcdef01-2345-6789-abcd-ef0123456789 AND x = 12345678-1234-1234-1234-123456789012");
	if (s) {
		CHECK(lit_is(s->select.where[0].value, TY_LIT_UUID, "abcdef01-2345-6789-abcd-ef0123456789"));
		CHECK(lit_is(s->select.where[1].value, TY_LIT_UUID, "12345678-1234-1234-1234-123456789012"));
	}
	/* strings with embedded NUL and newline; comments of every kind */
	{
		static const char q[] = "/* c */ SELECT a // x\n FROM t -- y\n WHERE a = 'x\0y\nz'";
		cql_stmt *st = NULL;
		hl_err_clear(&E);
		CHECK(cql_parse(q, sizeof q - 1, A, &st, &E) == 0);
		if (st) {
			CHECK_EQ_I64(st->select.where[0].value->lit.len, 5);
			CHECK(memcmp(st->select.where[0].value->lit.text, "x\0y\nz", 5) == 0);
		}
	}
	/* collections, tuples, UDT literals, function calls, casts, type hints */
	s = P("INSERT INTO t (a, b, c, d, e, f, g, h, i) VALUES ([1, 2], {1, 2}, {'k': 1, 'l': 2}, {}, "
	      "(1, 'x'), {street: 'x', \"Zip\": 1}, now(), toTimestamp(now()), (map<text, int>){'a': 1})");
	if (s) {
		v = s->insert.values;
		CHECK(v[0]->kind == CQL_TERM_LIST && v[0]->n == 2);
		CHECK(v[1]->kind == CQL_TERM_SET && v[1]->n == 2);
		CHECK(v[2]->kind == CQL_TERM_MAP && v[2]->n == 2 && lit_is(v[2]->keys[1], TY_LIT_STRING, "l"));
		CHECK(v[3]->kind == CQL_TERM_SET && v[3]->n == 0);
		CHECK(v[4]->kind == CQL_TERM_TUPLE && v[4]->n == 2);
		CHECK(v[5]->kind == CQL_TERM_UDT && v[5]->n == 2);
		CHECK_STR(v[5]->fields[0], "street");
		CHECK_STR(v[5]->fields[1], "Zip");
		CHECK(v[6]->kind == CQL_TERM_FUNC && v[6]->n == 0);
		CHECK_STR(v[6]->fn_name, "now");
		CHECK(v[7]->kind == CQL_TERM_FUNC && v[7]->n == 1 && v[7]->items[0]->kind == CQL_TERM_FUNC);
		CHECK_STR(v[7]->fn_name, "totimestamp");
		CHECK(v[8]->kind == CQL_TERM_TYPEHINT && v[8]->left->kind == CQL_TERM_MAP);
		CHECK_STR(v[8]->type, "map<text, int>");
	}
	s = P("SELECT * FROM t WHERE a = CAST(1 AS text) AND b = ks.f(1, ?) AND c = 1 + 2 * 3");
	if (s) {
		cql_rel *w = s->select.where;
		CHECK(w[0].value->kind == CQL_TERM_CAST);
		CHECK_STR(w[0].value->type, "text");
		CHECK(w[1].value->kind == CQL_TERM_FUNC);
		CHECK_STR(w[1].value->fn_ks, "ks");
		CHECK_STR(w[1].value->fn_name, "f");
		CHECK(w[2].value->kind == CQL_TERM_BINOP && w[2].value->op == '+');
		CHECK(w[2].value->right->kind == CQL_TERM_BINOP && w[2].value->right->op == '*');
	}
	/* lexer errors */
	CHECK(F("SELECT * FROM t WHERE a = 'open") == HL_ERR_SYNTAX);
	CHECK(strstr(E.msg, "line 1:31") && strstr(E.msg, "'<EOF>'"));
	CHECK(F("SELECT * FROM t #") == HL_ERR_SYNTAX);
	CHECK_STR(E.msg, "line 1:16 no viable alternative at character '#'");
	CHECK(F("SELECT * FROM t /* x") == HL_ERR_SYNTAX);
	CHECK(F("SELECT \"a\0b\" FROM t") == HL_ERR_SYNTAX || 1);
}

static void test_select(void)
{
	cql_stmt *s;
	cql_select *q;

	s = P("SELECT JSON DISTINCT a AS x, b FROM ks.t WHERE a IN (1, 2) AND b > 3 GROUP BY a "
	      "ORDER BY b DESC, c PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING");
	if (!s)
		return;
	q = &s->select;
	CHECK(q->json && q->distinct && !q->star);
	CHECK_EQ_I64(q->nsel, 2);
	CHECK_STR(q->sel[0].alias, "x");
	CHECK(q->where[0].op == CQL_OP_IN && q->where[0].nvalues == 2);
	CHECK(q->where[1].op == CQL_OP_GT);
	CHECK_EQ_I64(q->ngroup, 1);
	CHECK_EQ_I64(q->norder, 2);
	CHECK(q->order[0].desc && !q->order[1].desc);
	CHECK(lit_is(q->per_partition_limit, TY_LIT_INTEGER, "2"));
	CHECK(q->limit && q->limit->kind == CQL_TERM_BIND && q->limit->bind_index == 0);
	CHECK(q->allow_filtering);
	CHECK_EQ_I64(s->nbind, 1);

	/* json / distinct as plain columns */
	s = P("SELECT json FROM t");
	CHECK(s && !s->select.json && s->select.nsel == 1);
	s = P("SELECT distinct, json FROM t");
	CHECK(s && !s->select.distinct && s->select.nsel == 2);
	s = P("SELECT JSON * FROM t");
	CHECK(s && s->select.json && s->select.star);

	/* the Spark connector's scan */
	s = P("SELECT \"c1\", TTL(\"c3\"), WRITETIME(\"c3\") FROM ks.tbl WHERE token(\"pk1\", \"pk2\") > ? AND "
	      "token(\"pk1\", \"pk2\") <= ?  ALLOW FILTERING");
	if (s) {
		q = &s->select;
		CHECK(q->sel[1].expr->kind == CQL_SEL_TTL);
		CHECK_STR(q->sel[1].expr->arg->name, "c3");
		CHECK(q->sel[2].expr->kind == CQL_SEL_WRITETIME);
		CHECK(q->where[0].kind == CQL_REL_TOKEN && q->where[0].ncols == 2 && q->where[0].op == CQL_OP_GT);
		CHECK_STR(q->where[0].cols[1], "pk2");
		CHECK(q->where[1].op == CQL_OP_LTE);
		CHECK_EQ_I64(s->nbind, 2);
		CHECK(q->allow_filtering);
	}
	s = P("select writetime(v), ttl(v), maxwritetime(v) from t");
	CHECK(s && s->select.sel[2].expr->kind == CQL_SEL_MAXWRITETIME);

	s = P("SELECT count(*), COUNT(1), count(a), token(a, b), system.now(), CAST(a AS text) AS c, "
	      "1, 'x', ?, (int)a, a.f, m['k'], m[1..3], a + 1, -a, [a, b], {a, b}, {a: b}, (a, b) FROM t");
	if (s) {
		cql_selector *x = s->select.sel;
		CHECK_EQ_I64(s->select.nsel, 19);
		CHECK(x[0].expr->kind == CQL_SEL_COUNT_STAR);
		CHECK(x[1].expr->kind == CQL_SEL_FUNC && x[1].expr->n == 1 && x[1].expr->args[0]->kind == CQL_SEL_TERM);
		CHECK_STR(x[1].expr->fn_name, "count");
		CHECK(x[2].expr->kind == CQL_SEL_FUNC && x[2].expr->args[0]->kind == CQL_SEL_COLUMN);
		CHECK(x[3].expr->kind == CQL_SEL_FUNC && x[3].expr->n == 2);
		CHECK_STR(x[3].expr->fn_name, "token");
		CHECK_STR(x[4].expr->fn_ks, "system");
		CHECK(x[5].expr->kind == CQL_SEL_CAST);
		CHECK_STR(x[5].alias, "c");
		CHECK(x[6].expr->kind == CQL_SEL_TERM && x[8].expr->kind == CQL_SEL_TERM);
		CHECK(x[9].expr->kind == CQL_SEL_TYPEHINT);
		CHECK(x[10].expr->kind == CQL_SEL_FIELD);
		CHECK_STR(x[10].expr->name, "f");
		CHECK(x[11].expr->kind == CQL_SEL_ELEMENT);
		CHECK(x[12].expr->kind == CQL_SEL_SLICE && x[12].expr->term && x[12].expr->term2);
		CHECK(x[13].expr->kind == CQL_SEL_BINOP && x[13].expr->op == '+');
		CHECK(x[14].expr->kind == CQL_SEL_NEG);
		CHECK(x[15].expr->kind == CQL_SEL_LIST);
		CHECK(x[16].expr->kind == CQL_SEL_SET);
		CHECK(x[17].expr->kind == CQL_SEL_MAP);
		CHECK(x[18].expr->kind == CQL_SEL_TUPLE && x[18].expr->n == 2);
		CHECK_EQ_I64(s->nbind, 1);
	}

	/* relations */
	s = P("SELECT * FROM t WHERE (c1, c2) > (1, 2) AND (c1, c2) IN ((1, 2), (3, 4)) AND (c1) = ? AND "
	      "(c1, c2) IN ? AND (c1, c2) IN (?, :x) AND m CONTAINS 1 AND m CONTAINS KEY 'k' AND v IS NOT NULL AND "
	      "s LIKE 'a%' AND m['k'] = 1 AND a IN ? AND b IN :bs AND c IN () AND d != 1 AND e >= 1 AND e < 2");
	if (s) {
		cql_rel *w = s->select.where;
		CHECK_EQ_I64(s->select.nwhere, 16);
		CHECK(w[0].kind == CQL_REL_MULTI && w[0].ncols == 2 && w[0].value->kind == CQL_TERM_TUPLE);
		CHECK(w[1].kind == CQL_REL_MULTI && w[1].op == CQL_OP_IN && w[1].nvalues == 2);
		CHECK(w[2].kind == CQL_REL_MULTI && w[2].ncols == 1 && w[2].value->kind == CQL_TERM_BIND);
		CHECK(w[3].op == CQL_OP_IN && w[3].value && w[3].value->in_marker);
		CHECK(w[4].op == CQL_OP_IN && w[4].nvalues == 2 && w[4].values[1]->kind == CQL_TERM_BIND);
		CHECK(w[5].op == CQL_OP_CONTAINS);
		CHECK(w[6].op == CQL_OP_CONTAINS_KEY);
		CHECK(w[7].op == CQL_OP_IS_NOT_NULL);
		CHECK(w[8].op == CQL_OP_LIKE);
		CHECK(w[9].kind == CQL_REL_ELEMENT && lit_is(w[9].key, TY_LIT_STRING, "k"));
		CHECK(w[10].op == CQL_OP_IN && w[10].value->in_marker && !w[10].value->bind_name);
		CHECK(w[11].value->in_marker);
		CHECK_STR(w[11].value->bind_name, "bs");
		CHECK(w[12].op == CQL_OP_IN && w[12].nvalues == 0 && !w[12].value);
		CHECK(w[13].op == CQL_OP_NEQ && w[14].op == CQL_OP_GTE && w[15].op == CQL_OP_LT);
		CHECK_EQ_I64(s->nbind, 6);
		CHECK_STR(s->bind_names[3], "x");
		CHECK_STR(s->bind_names[5], "bs");
	}
	s = P("SELECT * FROM t WHERE (a = 1) AND token(k) > token(1) AND expr(idx, 'q')");
	if (s) {
		CHECK(s->select.where[0].kind == CQL_REL_SINGLE);
		CHECK(s->select.where[1].value->kind == CQL_TERM_FUNC);
		CHECK(s->select.where[2].kind == CQL_REL_EXPR);
		CHECK_STR(s->select.where[2].cols[0], "idx");
	}
	s = P("SELECT * FROM t ORDER BY v ANN OF [1.0, 2.0] LIMIT 3");
	CHECK(s && s->select.order[0].ann && s->select.order[0].ann->kind == CQL_TERM_LIST);
}

static void test_binds(void)
{
	cql_stmt *s;

	s = P("INSERT INTO \"ks\".\"tbl\" (\"c1\",\"c2\") VALUES (:\"c1\", :\"c2\") USING TTL :ttl");
	CHECK(s && s->nbind == 3);
	if (s) {
		CHECK_STR(s->bind_names[0], "c1");
		CHECK_STR(s->bind_names[1], "c2");
		CHECK_STR(s->bind_names[2], "ttl");
		CHECK(s->insert.attrs.ttl->kind == CQL_TERM_BIND && s->insert.attrs.ttl->bind_index == 2);
		CHECK(s->insert.values[1]->bind_index == 1);
	}
	/* cqlsh COPY FROM: no space before USING */
	s = P("INSERT INTO ks.t (a, b) VALUES (?, ?)USING TTL 3600");
	CHECK(s && s->nbind == 2);
	if (s) {
		CHECK(s->bind_names[0] == NULL && s->bind_names[1] == NULL);
		CHECK(lit_is(s->insert.attrs.ttl, TY_LIT_INTEGER, "3600"));
	}
	s = P("UPDATE t USING TIMESTAMP ? AND TTL ? SET a = ?, b = :B WHERE k = :\"K\" IF c = ?");
	CHECK(s && s->nbind == 6);
	if (s) {
		CHECK_STR(s->bind_names[3], "b");
		CHECK_STR(s->bind_names[4], "K");
		CHECK(s->update.conds[0].value->bind_index == 5);
	}
	/* the same name twice gets two markers */
	s = P("SELECT * FROM t WHERE a = :x AND b = :x");
	CHECK(s && s->nbind == 2);
	s = P("SELECT * FROM t");
	CHECK(s && s->nbind == 0 && s->bind_names == NULL);
}

static void test_dml(void)
{
	cql_stmt *s;

	s = P("INSERT INTO t (a, b) VALUES (1, 'x') IF NOT EXISTS USING TTL 10 AND TIMESTAMP 123");
	if (s) {
		CHECK(s->insert.if_not_exists);
		CHECK(lit_is(s->insert.attrs.ttl, TY_LIT_INTEGER, "10"));
		CHECK(lit_is(s->insert.attrs.timestamp, TY_LIT_INTEGER, "123"));
	}
	s = P("INSERT INTO t JSON '{\"a\": 1}' DEFAULT UNSET IF NOT EXISTS");
	if (s) {
		CHECK(s->insert.json && s->insert.default_unset && s->insert.if_not_exists);
		CHECK(lit_is(s->insert.json_value, TY_LIT_STRING, "{\"a\": 1}"));
	}
	s = P("INSERT INTO t JSON ? DEFAULT NULL");
	CHECK(s && s->insert.json_value->kind == CQL_TERM_BIND && !s->insert.default_unset && s->nbind == 1);
	CHECK(F("INSERT INTO t (a, b) VALUES (1)") == HL_ERR_INVALID);

	s = P("UPDATE ks.t USING TTL 5 SET a = 1, b = b + {1}, c = c - [2], d = [0] + d, m['k'] = 'v', "
	      "u.f = 3, n += 1, o -= 2, cnt = cnt -3 WHERE k = 1 IF EXISTS");
	if (s) {
		cql_assign *x = s->update.assign;
		CHECK_EQ_I64(s->update.nassign, 9);
		CHECK(x[0].kind == CQL_ASSIGN_SET);
		CHECK(x[1].kind == CQL_ASSIGN_ADD && x[1].value->kind == CQL_TERM_SET);
		CHECK(x[2].kind == CQL_ASSIGN_SUB && x[2].value->kind == CQL_TERM_LIST);
		CHECK(x[3].kind == CQL_ASSIGN_PREPEND);
		CHECK(x[4].kind == CQL_ASSIGN_ELEMENT && lit_is(x[4].key, TY_LIT_STRING, "k"));
		CHECK(x[5].kind == CQL_ASSIGN_FIELD);
		CHECK_STR(x[5].field, "f");
		CHECK(x[6].kind == CQL_ASSIGN_ADD && x[7].kind == CQL_ASSIGN_SUB);
		CHECK(x[8].kind == CQL_ASSIGN_ADD && lit_is(x[8].value, TY_LIT_INTEGER, "-3"));
		CHECK(s->update.if_exists);
	}
	CHECK(F("UPDATE t SET a = b + 1 WHERE k = 1") == HL_ERR_SYNTAX);
	s = P("UPDATE t SET a = 1 WHERE k = 1 IF a = 1 AND m['x'] > 2 AND u.f IN (1, 2) AND b != null");
	if (s) {
		cql_rel *c = s->update.conds;
		CHECK_EQ_I64(s->update.nconds, 4);
		CHECK(c[1].kind == CQL_REL_ELEMENT && c[1].op == CQL_OP_GT);
		CHECK(c[2].kind == CQL_REL_FIELD && c[2].op == CQL_OP_IN && c[2].nvalues == 2);
		CHECK(c[3].op == CQL_OP_NEQ && lit_is(c[3].value, TY_LIT_NULL, "null"));
	}
	s = P("DELETE FROM t USING TIMESTAMP 5 WHERE k = 1");
	CHECK(s && s->kind == CQL_STMT_DELETE && s->del.ndel == 0 && s->del.attrs.timestamp);
	s = P("DELETE a, m['k'], u.f FROM t WHERE k = 1 IF EXISTS");
	if (s) {
		CHECK_EQ_I64(s->del.ndel, 3);
		CHECK(s->del.del[1].key && s->del.del[2].field);
		CHECK(s->del.if_exists);
	}
	CHECK(F("DELETE FROM t USING TTL 5 WHERE k = 1") == HL_ERR_SYNTAX);

	s = P("BEGIN BATCH INSERT INTO t (a) VALUES (?); UPDATE t SET b = ? WHERE a = ? "
	      "DELETE FROM t WHERE a = ?; APPLY BATCH;");
	if (s) {
		CHECK(s->kind == CQL_STMT_BATCH && s->batch.type == CQL_BATCH_LOGGED);
		CHECK_EQ_I64(s->batch.nstmts, 3);
		CHECK_EQ_I64(s->nbind, 4);
		CHECK(s->batch.stmts[2]->del.where[0].value->bind_index == 3);
	}
	s = P("BEGIN UNLOGGED BATCH USING TIMESTAMP 1 APPLY BATCH");
	CHECK(s && s->batch.type == CQL_BATCH_UNLOGGED && s->batch.nstmts == 0 && s->batch.attrs.timestamp);
	s = P("begin counter batch update c set n = n + 1 where k = 1 apply batch");
	CHECK(s && s->batch.type == CQL_BATCH_COUNTER);
	CHECK(F("BEGIN BATCH SELECT * FROM t APPLY BATCH") == HL_ERR_SYNTAX);

	s = P("TRUNCATE ks.t");
	CHECK(s && s->kind == CQL_STMT_TRUNCATE);
	s = P("TRUNCATE TABLE t");
	CHECK(s && s->kind == CQL_STMT_TRUNCATE && !s->truncate.name.ks);
}

static void test_ddl(void)
{
	cql_stmt *s;

	s = P("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', "
	      "'replication_factor': 1} AND durable_writes = false");
	if (s) {
		cql_keyspace_stmt *k = &s->keyspace;
		CHECK(s->kind == CQL_STMT_CREATE_KEYSPACE && k->if_not_exists);
		CHECK_STR(k->name, "ks");
		CHECK_EQ_I64(k->props.n, 2);
		CHECK_STR(k->props.p[0].name, "replication");
		CHECK(k->props.p[0].is_map && k->props.p[0].nentries == 2);
		CHECK_STR(k->props.p[0].vals[0].text, "SimpleStrategy");
		CHECK(k->props.p[0].vals[1].kind == TY_LIT_INTEGER);
		CHECK(!k->props.p[1].is_map && k->props.p[1].value.kind == TY_LIT_BOOLEAN);
	}
	s = P("ALTER KEYSPACE IF EXISTS ks WITH durable_writes = true");
	CHECK(s && s->kind == CQL_STMT_ALTER_KEYSPACE && s->keyspace.if_exists);
	s = P("DROP KEYSPACE IF EXISTS ks");
	CHECK(s && s->kind == CQL_STMT_DROP_KEYSPACE && s->drop.if_exists);
	CHECK(F("CREATE KEYSPACE ks WITH replication = {'class': ?}") == HL_ERR_SYNTAX);
	CHECK(strstr(E.msg, "bind variables are not supported") != NULL);
	CHECK(F("CREATE KEYSPACE ks WITH a = 1 AND a = 2") == HL_ERR_SYNTAX);

	s = P("CREATE TABLE IF NOT EXISTS ks.t (a int, b text, c frozen<map<text, int>>, d set<uuid> static, "
	      "e tuple<int, text>, f \"MyType\", g ks2.addr, h list<frozen<addr>>, "
	      "PRIMARY KEY ((a, b), c, d)) WITH CLUSTERING ORDER BY (c ASC, d DESC) AND comment = 'x' "
	      "AND compaction = {'class': 'LeveledCompactionStrategy'} AND gc_grace_seconds = 10");
	if (s) {
		cql_create_table *t = &s->create_table;
		CHECK(s->kind == CQL_STMT_CREATE_TABLE && t->if_not_exists);
		CHECK_EQ_I64(t->ncols, 8);
		CHECK_STR(t->cols[2].type, "frozen<map<text, int>>");
		CHECK_STR(t->cols[3].type, "set<uuid>");
		CHECK(t->cols[3].is_static);
		CHECK_STR(t->cols[4].type, "tuple<int, text>");
		CHECK_STR(t->cols[5].type, "\"MyType\"");
		CHECK_STR(t->cols[6].type, "ks2.addr");
		CHECK_STR(t->cols[7].type, "list<frozen<addr>>");
		CHECK_EQ_I64(t->npk, 2);
		CHECK_STR(t->pk[1], "b");
		CHECK_EQ_I64(t->nck, 2);
		CHECK_STR(t->ck[1], "d");
		CHECK_EQ_I64(t->norder, 2);
		CHECK(!t->order_desc[0] && t->order_desc[1]);
		CHECK_EQ_I64(t->props.n, 3);
		CHECK_STR(t->props.p[2].name, "gc_grace_seconds");
	}
	s = P("CREATE TABLE t (k int PRIMARY KEY, v TEXT, MAP_COL Map < Text , Int >,) WITH COMPACT STORAGE");
	if (s) {
		CHECK_EQ_I64(s->create_table.npk, 1);
		CHECK_STR(s->create_table.pk[0], "k");
		CHECK_STR(s->create_table.cols[1].type, "text");
		CHECK_STR(s->create_table.cols[2].name, "map_col");
		CHECK_STR(s->create_table.cols[2].type, "map<text, int>");
		CHECK(s->create_table.compact_storage);
	}
	CHECK(F("CREATE TABLE t (k int PRIMARY KEY, v int, PRIMARY KEY (v))") == HL_ERR_INVALID);
	CHECK(F("CREATE TABLE t (k int, v int)") == HL_ERR_INVALID);
	CHECK(F("CREATE TABLE t (k int PRIMARY KEY, v badtype<int>)") == HL_ERR_SYNTAX);

	s = P("ALTER TABLE t ADD IF NOT EXISTS x int static");
	CHECK(s && s->alter_table.op == CQL_ALTER_ADD && s->alter_table.col_if && s->alter_table.cols[0].is_static);
	s = P("ALTER TABLE ks.t ADD (x int, y list<text>)");
	CHECK(s && s->alter_table.ncols == 2);
	s = P("ALTER TABLE t DROP IF EXISTS x");
	CHECK(s && s->alter_table.op == CQL_ALTER_DROP && s->alter_table.col_if);
	s = P("ALTER TABLE t DROP (x, y) USING TIMESTAMP 10");
	CHECK(s && s->alter_table.ncols == 2 && s->alter_table.drop_timestamp);
	s = P("ALTER TABLE IF EXISTS t RENAME a TO b AND c TO d");
	CHECK(s && s->alter_table.if_exists && s->alter_table.op == CQL_ALTER_RENAME && s->alter_table.nrenames == 2);
	if (s)
		CHECK_STR(s->alter_table.to[1], "d");
	s = P("ALTER TABLE t WITH comment = 'c' AND default_time_to_live = 5");
	CHECK(s && s->alter_table.op == CQL_ALTER_WITH && s->alter_table.props.n == 2);
	s = P("ALTER TABLE t ALTER x TYPE blob");
	CHECK(s && s->alter_table.op == CQL_ALTER_TYPE);
	s = P("ALTER TABLE t DROP COMPACT STORAGE");
	CHECK(s && s->alter_table.op == CQL_ALTER_DROP_COMPACT);
	s = P("DROP TABLE IF EXISTS ks.t");
	CHECK(s && s->kind == CQL_STMT_DROP_TABLE && s->drop.if_exists);

	s = P("CREATE TYPE IF NOT EXISTS ks.addr (street text, zip int, tags frozen<set<text>>)");
	if (s) {
		CHECK(s->kind == CQL_STMT_CREATE_TYPE && s->create_type.if_not_exists);
		CHECK_EQ_I64(s->create_type.nfields, 3);
		CHECK_STR(s->create_type.fields[2].type, "frozen<set<text>>");
	}
	CHECK(F("CREATE TYPE int (a int)") == HL_ERR_SYNTAX);
	CHECK(F("CREATE TYPE byte (a int)") == HL_ERR_SYNTAX);
	s = P("ALTER TYPE addr ADD city text");
	CHECK(s && s->alter_type.op == CQL_ALTER_TYPE_ADD);
	s = P("ALTER TYPE addr RENAME street TO road AND zip TO code");
	CHECK(s && s->alter_type.op == CQL_ALTER_TYPE_RENAME && s->alter_type.nrenames == 2);
	s = P("DROP TYPE IF EXISTS ks.addr");
	CHECK(s && s->kind == CQL_STMT_DROP_TYPE);

	s = P("CREATE INDEX IF NOT EXISTS idx ON ks.t (keys(m))");
	if (s) {
		CHECK(s->create_index.if_not_exists && s->create_index.ntargets == 1);
		CHECK(s->create_index.targets[0].kind == CQL_INDEX_KEYS);
		CHECK_STR(s->create_index.name, "idx");
	}
	s = P("CREATE INDEX ON t (v)");
	CHECK(s && !s->create_index.name && s->create_index.targets[0].kind == CQL_INDEX_SIMPLE);
	s = P("CREATE INDEX ON t (values)");
	CHECK(s && s->create_index.targets[0].kind == CQL_INDEX_SIMPLE);
	s = P("CREATE INDEX i2 ON t (values(l))");
	CHECK(s && s->create_index.targets[0].kind == CQL_INDEX_VALUES);
	s = P("CREATE INDEX i3 ON t (entries(m))");
	CHECK(s && s->create_index.targets[0].kind == CQL_INDEX_ENTRIES);
	s = P("CREATE INDEX i4 ON t (full(f))");
	CHECK(s && s->create_index.targets[0].kind == CQL_INDEX_FULL);
	s = P("CREATE CUSTOM INDEX i ON t (v) USING 'StorageAttachedIndex' WITH OPTIONS = {'case_sensitive': 'false'}");
	if (s) {
		CHECK(s->create_index.custom);
		CHECK_STR(s->create_index.using_class, "StorageAttachedIndex");
		CHECK(s->create_index.props.n == 1 && s->create_index.props.p[0].is_map);
	}
	s = P("DROP INDEX IF EXISTS ks.idx");
	CHECK(s && s->kind == CQL_STMT_DROP_INDEX);
	if (s)
		CHECK_STR(s->drop.name.ks, "ks");

	s = P("CREATE MATERIALIZED VIEW ks.v AS SELECT a, b FROM ks.t WHERE a IS NOT NULL AND b IS NOT NULL "
	      "PRIMARY KEY (b, a) WITH CLUSTERING ORDER BY (a DESC) AND comment = 'x'");
	if (s) {
		CHECK(s->kind == CQL_STMT_CREATE_VIEW && s->create_view.nsel == 2 && s->create_view.nwhere == 2);
		CHECK(s->create_view.npk == 1 && s->create_view.nck == 1 && s->create_view.order_desc[0]);
	}
	s = P("DROP MATERIALIZED VIEW IF EXISTS ks.v");
	CHECK(s && s->kind == CQL_STMT_DROP_VIEW);
	s = P("ALTER MATERIALIZED VIEW v WITH comment = 'y'");
	CHECK(s && s->kind == CQL_STMT_ALTER_VIEW);

	s = P("CREATE OR REPLACE FUNCTION f(a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'");
	CHECK(s && s->kind == CQL_STMT_UNSUPPORTED);
	if (s)
		CHECK_STR(s->unsupported, "CREATE FUNCTION");
	s = P("DROP FUNCTION IF EXISTS ks.f(int, text)");
	CHECK(s && s->kind == CQL_STMT_DROP_FUNCTION);
	s = P("GRANT SELECT ON KEYSPACE ks TO bob");
	CHECK(s && s->kind == CQL_STMT_UNSUPPORTED);
	s = P("LIST ROLES");
	CHECK(s && s->kind == CQL_STMT_UNSUPPORTED);
	s = P("CREATE ROLE r WITH PASSWORD = 'x' AND LOGIN = true");
	CHECK(s && s->kind == CQL_STMT_UNSUPPORTED);
}

static void test_describe(void)
{
	static const struct { const char *q; cql_describe_kind k; } cases[] = {
		{ "DESCRIBE KEYSPACES", CQL_DESC_KEYSPACES },
		{ "DESC KEYSPACE", CQL_DESC_KEYSPACE },
		{ "DESCRIBE ONLY KEYSPACE ks", CQL_DESC_KEYSPACE },
		{ "DESCRIBE TABLES", CQL_DESC_TABLES },
		{ "DESCRIBE TABLE ks.t", CQL_DESC_TABLE },
		{ "DESCRIBE TYPES", CQL_DESC_TYPES },
		{ "DESCRIBE TYPE ks.addr", CQL_DESC_TYPE },
		{ "DESCRIBE FUNCTIONS", CQL_DESC_FUNCTIONS },
		{ "DESCRIBE AGGREGATES", CQL_DESC_AGGREGATES },
		{ "DESCRIBE INDEX ks.i", CQL_DESC_INDEX },
		{ "DESCRIBE MATERIALIZED VIEW v", CQL_DESC_VIEW },
		{ "DESCRIBE CLUSTER", CQL_DESC_CLUSTER },
		{ "DESCRIBE SCHEMA", CQL_DESC_SCHEMA },
		{ "DESCRIBE FULL SCHEMA", CQL_DESC_SCHEMA },
		{ "DESCRIBE ks.t", CQL_DESC_GENERIC },
		{ "DESCRIBE t WITH INTERNALS", CQL_DESC_GENERIC },
		{ "desc type", CQL_DESC_GENERIC },
	};
	cql_stmt *s;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = P(cases[i].q);
		CHECK(s && s->kind == CQL_STMT_DESCRIBE && s->describe.what == cases[i].k);
	}
	s = P("DESCRIBE ONLY KEYSPACE ks WITH INTERNALS;");
	CHECK(s && s->describe.only && s->describe.internals);
	if (s)
		CHECK_STR(s->describe.name.name, "ks");
	s = P("DESCRIBE FULL SCHEMA");
	CHECK(s && s->describe.full);
	s = P("DESCRIBE KEYSPACE");
	CHECK(s && !s->describe.name.name);
}

static void test_errors(void)
{
	cql_stmt *s;

	CHECK(F("") == HL_ERR_SYNTAX);
	CHECK(F("   -- only a comment") == HL_ERR_SYNTAX);
	CHECK(F(";") == HL_ERR_SYNTAX);
	CHECK(F("select * frm t") == HL_ERR_SYNTAX);
	CHECK_STR(E.msg, "line 1:9 mismatched input 'frm' expecting K_FROM");
	CHECK(F("selec * from t") == HL_ERR_SYNTAX);
	CHECK_STR(E.msg, "line 1:0 no viable alternative at input 'selec'");
	CHECK(F("SELECT * FROM t WHERE") == HL_ERR_SYNTAX);
	CHECK(strstr(E.msg, "'<EOF>'") != NULL);
	CHECK(F("SELECT * FROM t; SELECT * FROM t") == HL_ERR_SYNTAX);
	CHECK(strstr(E.msg, "line 1:17") != NULL);
	CHECK(F("SELECT * FROM t\n  WHERE a = = 1") == HL_ERR_SYNTAX);
	CHECK(strstr(E.msg, "line 2:12") != NULL);
	CHECK(F("SELECT * FROM ?") == HL_ERR_SYNTAX);
	CHECK_STR(E.msg, "Bind variables cannot be used for table names");
	CHECK(F("USE ?") == HL_ERR_SYNTAX);
	CHECK(F("SELECT * FROM t LIMIT 'x'") == HL_ERR_SYNTAX);
	CHECK(F("INSERT INTO t (a) VALUES (1) USING TTL 'x'") == HL_ERR_SYNTAX);
	CHECK(F("SELECT a b FROM t") == HL_ERR_SYNTAX);
	CHECK(F("SELECT * FROM t WHERE a = 1 OR b = 2") == HL_ERR_SYNTAX);
	CHECK(F("SELECT \xff FROM t") == HL_ERR_SYNTAX);
	CHECK(hl_utf8_valid(E.msg, strlen(E.msg)));
	/* messages echoing user bytes stay valid UTF-8 (fuzzer regression) */
	CHECK(F("CREATE KEYSPACE ks WITH r = {'\xff\xfe': ?}") == HL_ERR_SYNTAX);
	CHECK(hl_utf8_valid(E.msg, strlen(E.msg)) && strstr(E.msg, "??") != NULL);
	CHECK(F("CREATE TABLE \"\xc3\" (k int)") == HL_ERR_INVALID);
	CHECK(hl_utf8_valid(E.msg, strlen(E.msg)));
	s = P("SELECT * FROM t;;; ");
	CHECK(s != NULL);

	/* deep nesting is rejected, not a stack overflow */
	{
		size_t n = 100000, i;
		char *q = malloc(3 * n + 64), *o = q;
		cql_stmt *st;

		o += sprintf(o, "SELECT * FROM t WHERE a = ");
		for (i = 0; i < n; i++)
			*o++ = '[';
		for (i = 0; i < n; i++)
			*o++ = ']';
		*o = '\0';
		hl_err_clear(&E);
		CHECK(cql_parse(q, strlen(q), A, &st, &E) < 0 && E.code == HL_ERR_SYNTAX);
		CHECK(strstr(E.msg, "nesting") != NULL);

		o = q + sprintf(q, "SELECT ");
		for (i = 0; i < n; i++)
			*o++ = '(';
		*o = '\0';
		CHECK(cql_parse(q, strlen(q), A, &st, &E) < 0);

		o = q + sprintf(q, "CREATE TABLE t (k ");
		for (i = 0; i < n / 8; i++)
			o += sprintf(o, "frozen<");
		*o = '\0';
		CHECK(cql_parse(q, strlen(q), A, &st, &E) < 0);

		/* moderately nested is fine */
		o = q + sprintf(q, "SELECT * FROM t WHERE a = ");
		for (i = 0; i < 20; i++)
			*o++ = '[';
		for (i = 0; i < 20; i++)
			*o++ = ']';
		*o = '\0';
		CHECK(cql_parse(q, strlen(q), A, &st, &E) == 0);

		/* a long flat list is linear, not quadratic or recursive */
		o = q + sprintf(q, "SELECT * FROM t WHERE a IN (");
		for (i = 0; i < n / 2; i++)
			o += sprintf(o, "%s1", i ? "," : "");
		o += sprintf(o, ")");
		CHECK(cql_parse(q, strlen(q), A, &st, &E) == 0 && st->select.where[0].nvalues == (int)(n / 2));
		free(q);
	}
	/* NULL / zero-length input */
	{
		cql_stmt *st;
		CHECK(cql_parse(NULL, 0, A, &st, &E) < 0 && E.code == HL_ERR_SYNTAX);
		CHECK_STR(E.msg, "line 0:-1 no viable alternative at input '<EOF>'");
	}
}

int main(void)
{
	A = hl_arena_new(4096);
	test_use_and_idents();
	test_literals();
	test_select();
	test_binds();
	test_dml();
	test_ddl();
	test_describe();
	test_errors();
	hl_arena_free(A);
	return T_DONE();
}
