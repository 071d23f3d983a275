/*
 * Term evaluation: literals, bind values, tuples and the built-in functions
 * that may appear as terms (now(), uuid(), currentTimestamp(), ...), turned
 * into serialized values of the receiving column's type. Also builds
 * partition keys (Cassandra's composite encoding) from restrictions.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "query/q_int.h"

static const qry_value *bound(qry_exec *x, const cql_term *t)
{
	if (t->bind_index < 0 || t->bind_index >= x->nvalues)
		return NULL;
	return &x->values[t->bind_index];
}

/* Built-in functions usable as terms. */
static int eval_func(qry_exec *x, const cql_term *t, const ty_type *type, const char *colname,
		     hl_buf *out, bool *isnull)
{
	const char *fn = t->fn_name;
	hl_uuid u;
	*isnull = false;
	if (t->n == 0) {
		if (strcasecmp(fn, "now") == 0 || strcasecmp(fn, "currenttimeuuid") == 0) {
			hl_uuid_time(hl_now_micros(), &u);
			hl_buf_put(out, u.b, 16);
			return 0;
		}
		if (strcasecmp(fn, "uuid") == 0) {
			hl_uuid_random(&u);
			hl_buf_put(out, u.b, 16);
			return 0;
		}
		if (strcasecmp(fn, "currenttimestamp") == 0) {
			ty_put_bigint(out, hl_now_micros() / 1000);
			return 0;
		}
		if (strcasecmp(fn, "currentdate") == 0) {
			ty_put_int(out, (int32_t)((uint32_t)(hl_now_micros() / 86400000000LL) + 0x80000000u));
			return 0;
		}
		if (strcasecmp(fn, "currenttime") == 0) {
			ty_put_bigint(out, (hl_now_micros() % 86400000000LL) * 1000);
			return 0;
		}
	}
	if (t->n == 1 && (strcasecmp(fn, "totimestamp") == 0 || strcasecmp(fn, "tounixtimestamp") == 0)) {
		q_val v;
		if (q_eval(x, t->items[0], ty_simple(TY_TIMEUUID), colname, &v) < 0)
			return -1;
		if (v.len != 16) {
			*isnull = true;
			return 0;
		}
		uint64_t ts = ((uint64_t)(v.p[6] & 0x0f) << 56) | ((uint64_t)v.p[7] << 48) |
			      ((uint64_t)v.p[4] << 40) | ((uint64_t)v.p[5] << 32) |
			      ((uint64_t)v.p[0] << 24) | ((uint64_t)v.p[1] << 16) |
			      ((uint64_t)v.p[2] << 8) | v.p[3];
		int64_t ms = (int64_t)((ts - 0x01B21DD213814000ULL) / 10000);
		ty_put_bigint(out, ms);
		return 0;
	}
	if (t->n == 1 && (strcasecmp(fn, "mintimeuuid") == 0 || strcasecmp(fn, "maxtimeuuid") == 0)) {
		q_val v;
		if (q_eval(x, t->items[0], ty_simple(TY_TIMESTAMP), colname, &v) < 0)
			return -1;
		if (v.len != 8) {
			*isnull = true;
			return 0;
		}
		int64_t ms = (int64_t)ty_get_bigint(v.p, 8);
		uint64_t ts = (uint64_t)ms * 10000 + 0x01B21DD213814000ULL;
		bool max = strcasecmp(fn, "maxtimeuuid") == 0;
		uint8_t b[16];
		b[0] = (uint8_t)(ts >> 24); b[1] = (uint8_t)(ts >> 16);
		b[2] = (uint8_t)(ts >> 8); b[3] = (uint8_t)ts;
		b[4] = (uint8_t)(ts >> 40); b[5] = (uint8_t)(ts >> 32);
		b[6] = (uint8_t)(0x10 | ((ts >> 56) & 0x0f)); b[7] = (uint8_t)(ts >> 48);
		/* timeuuid's second half compares as signed bytes: min is 0x80.., max 0x7f.. */
		b[8] = max ? 0x7f : 0x80;
		for (int i = 9; i < 16; i++)
			b[i] = max ? 0x7f : 0x80;
		hl_buf_put(out, b, 16);
		return 0;
	}
	if (t->n == 1 && strcasecmp(fn, "fromjson") == 0) {
		if (!type) {
			hl_errf(&x->err, HL_ERR_INVALID, "fromJson() cannot be used in this context");
			return -1;
		}
		q_val j;
		if (q_eval(x, t->items[0], ty_simple(TY_TEXT), colname, &j) < 0)
			return -1;
		if (j.len < 0) {
			*isnull = true;
			return 0;
		}
		hl_err e;
		hl_err_clear(&e);
		int rc = ty_from_json(type, (const char *)j.p, (size_t)j.len, out, &e);
		if (rc == 1) {
			*isnull = true;
			return 0;
		}
		if (rc == -2) {
			hl_errf(&x->err, HL_ERR_FUNCTION_FAILURE, "Could not decode JSON string '%.*s': "
				TY_JSON_PARSE_EXC ": %s", j.len > 200 ? 200 : (int)j.len, (const char *)j.p, e.msg);
			snprintf(x->err.ks, sizeof x->err.ks, "system");
			snprintf(x->err.table, sizeof x->err.table, "fromjson");
			return -1;
		}
		if (rc < 0) {
			hl_errf(&x->err, HL_ERR_INVALID, "Error decoding JSON value for %s: %s", colname, e.msg);
			return -1;
		}
		return 0;
	}
	if (strcasecmp(fn, "token") == 0 && x->plan && x->plan->table) {
		/* token(pk...) as a term: hash the values as the partitioner does */
		const sch_table *tb = x->plan->table;
		if (t->n != tb->npk) {
			hl_errf(&x->err, HL_ERR_INVALID, "Invalid number of arguments in call to function "
				"system.token: %d required but %d provided", tb->npk, t->n);
			return -1;
		}
		hl_buf key;
		hl_buf_init(&key);
		for (int i = 0; i < t->n; i++) {
			q_val v;
			if (q_eval(x, t->items[i], tb->pk[i]->type, tb->pk[i]->name, &v) < 0 || v.len < 0) {
				hl_buf_free(&key);
				if (!x->err.code)
					hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for token()");
				return -1;
			}
			if (tb->npk == 1) {
				hl_buf_put(&key, v.p, (size_t)v.len);
			} else {
				hl_buf_u16(&key, (uint16_t)v.len);
				hl_buf_put(&key, v.p, (size_t)v.len);
				hl_buf_u8(&key, 0);
			}
		}
		ty_put_bigint(out, hl_token(key.p, key.len));
		hl_buf_free(&key);
		return 0;
	}
	hl_errf(&x->err, HL_ERR_INVALID, "Unknown function %s called", fn);
	(void)type;
	return -1;
}

/* The type an operand of an operation is read as: its type hint, else the
 * receiver's (Cassandra picks the overload whose argument types equal the
 * receiver when the literals fit several). */
static const ty_type *operand_type(qry_exec *x, const cql_term *t, const ty_type *recv)
{
	if (t->kind == CQL_TERM_TYPEHINT || t->kind == CQL_TERM_CAST) {
		const ty_type *ht;
		hl_err e;
		if (ty_parse(t->type, strlen(t->type), x->a, NULL, NULL, NULL, &ht, &e) == 0)
			return ht;
	}
	return recv;
}

/*
 * Arithmetic in a term (WHERE k = 1 + 2, INSERT ... VALUES (?, ts - 1d)),
 * CAST(term AS type) and unary minus, computed for the receiving column's
 * type as Cassandra's FunctionResolver picks the operation.
 */
static int eval_arith(qry_exec *x, const cql_term *t, const ty_type *type, const char *colname,
		      q_val *out)
{
	out->p = NULL;
	out->len = QRY_NULL;
	if (!type)
		return hl_errf(&x->err, HL_ERR_INVALID, "Cannot infer the type of an operation for %s",
			       colname);
	hl_buf b;
	hl_buf_init(&b);
	int rc = -1;
	if (t->kind == CQL_TERM_CAST) {
		const ty_type *to, *from = NULL;
		q_val v;
		if (ty_parse(t->type, strlen(t->type), x->a, NULL, NULL, NULL, &to, &x->err) < 0)
			goto out;
		if (t->left->kind == CQL_TERM_TYPEHINT)
			from = operand_type(x, t->left, NULL);
		if (!from)
			from = to;
		if (q_eval(x, t->left, from, colname, &v) < 0)
			goto out;
		if (v.len <= 0) {
			*out = v;
			rc = 0;
			goto out;
		}
		if (!ty_equal(to, from) && !ty_castable(to, from)) {
			hl_errf(&x->err, HL_ERR_INVALID, "%s cannot be cast to %s", ty_name(from, x->a),
				ty_name(to, x->a));
			goto out;
		}
		if (ty_equal(to, from))
			hl_buf_put(&b, v.p, (size_t)v.len);
		else if (ty_cast(to, from, v.p, (size_t)v.len, &b, &x->err) < 0)
			goto out;
		from = to;
		if (!ty_equal(type, to) && (!ty_is_numeric(type->kind) || !ty_is_numeric(to->kind))) {
			hl_errf(&x->err, HL_ERR_INVALID, "Type error: cannot assign a value of type %s to "
				"%s of type %s", ty_name(to, x->a), colname, ty_name(type, x->a));
			goto out;
		}
		if (!ty_equal(type, to)) {
			hl_buf c;
			hl_buf_init(&c);
			if (ty_cast(type, to, b.p, b.len, &c, &x->err) < 0) {
				hl_buf_free(&c);
				goto out;
			}
			hl_buf_free(&b);
			b = c;
		}
		goto keep;
	}
	if (t->kind == CQL_TERM_NEG) {
		q_val v;
		if (!ty_is_numeric(type->kind)) {
			hl_errf(&x->err, HL_ERR_INVALID, "Invalid call to function _negate, none of its type "
				"signatures match");
			goto out;
		}
		if (q_eval(x, t->left, type, colname, &v) < 0)
			goto out;
		if (v.len <= 0) {
			rc = 0;
			goto out;
		}
		if (ty_negate(type, v.p, (size_t)v.len, &b, &x->err) < 0)
			goto out;
		goto keep;
	}
	bool temporal = type->kind == TY_TIMESTAMP || type->kind == TY_DATE;
	const ty_type *lt = operand_type(x, t->left, type);
	const ty_type *rty = operand_type(x, t->right, temporal ? ty_simple(TY_DURATION) : type);
	const ty_type *rt = ty_arith_result(lt, t->op, rty);
	if (!rt || (!ty_is_numeric(type->kind) && !ty_equal(rt, type) &&
		    !(type->kind == TY_TEXT && rt->kind == TY_ASCII))) {
		hl_errf(&x->err, HL_ERR_INVALID, "the '%c' operation is not supported between %s and %s",
			t->op, ty_name(lt, x->a), ty_name(rty, x->a));
		goto out;
	}
	q_val l, r;
	if (q_eval(x, t->left, lt, colname, &l) < 0 || q_eval(x, t->right, rty, colname, &r) < 0)
		goto out;
	if (l.len == QRY_UNSET || r.len == QRY_UNSET) {
		out->len = QRY_UNSET;
		rc = 0;
		goto out;
	}
	if (l.len <= 0 || r.len <= 0) {
		rc = 0;
		goto out;
	}
	if (ty_arith(t->op, rt, lt, l.p, (size_t)l.len, rty, r.p, (size_t)r.len, &b, &x->err) < 0)
		goto out;
	if (ty_is_numeric(type->kind) && !ty_equal(type, rt) &&
	    !(type->kind == TY_COUNTER && rt->kind == TY_BIGINT)) {
		hl_buf c;
		hl_buf_init(&c);
		if (ty_cast(type, rt, b.p, b.len, &c, &x->err) < 0) {
			hl_buf_free(&c);
			goto out;
		}
		hl_buf_free(&b);
		b = c;
	}
keep:
	out->p = b.len ? hl_arena_memdup(x->a, b.p, b.len) : (const uint8_t *)"";
	out->len = (int32_t)b.len;
	rc = 0;
out:
	hl_buf_free(&b);
	return rc;
}

/*
 * Evaluate t as a value of `type` for column `colname`. out->len is
 * QRY_NULL / QRY_UNSET for those; bytes live in the request arena.
 */
int q_eval(qry_exec *x, const cql_term *t, const ty_type *type, const char *colname, q_val *out)
{
	hl_buf b;
	int rc = -1;
	hl_buf_init(&b);
	switch (t->kind) {
	case CQL_TERM_LITERAL:
		if (t->lit.kind == TY_LIT_NULL) {
			out->p = NULL;
			out->len = QRY_NULL;
			rc = 0;
			goto out;
		}
		if (ty_from_literal(type, &t->lit, colname, &b, &x->err) < 0)
			goto out;
		break;
	case CQL_TERM_BIND: {
		const qry_value *v = bound(x, t);
		if (!v) {
			hl_errf(&x->err, HL_ERR_INVALID, "There were %d markers(?) in CQL but %d bound "
				"variables", x->plan ? x->plan->bind.ncols : 0, x->nvalues);
			goto out;
		}
		out->p = v->p;
		out->len = v->len;
		if (v->len >= 0 && ty_validate(type, v->p, (size_t)v->len, &x->err) < 0) {
			hl_err e = x->err;
			hl_errf(&x->err, HL_ERR_INVALID, "Exception while binding column %s: %s",
				colname, e.msg);
			goto out;
		}
		rc = 0;
		goto out;
	}
	case CQL_TERM_TUPLE:
		if (!type || type->kind != TY_TUPLE || type->nsub != t->n) {
			hl_errf(&x->err, HL_ERR_INVALID, "Invalid tuple literal for %s", colname);
			goto out;
		}
		for (int i = 0; i < t->n; i++) {
			q_val v;
			if (q_eval(x, t->items[i], type->sub[i], colname, &v) < 0)
				goto out;
			hl_buf_u32(&b, (uint32_t)(v.len < 0 ? -1 : v.len));
			if (v.len > 0)
				hl_buf_put(&b, v.p, (size_t)v.len);
		}
		break;
	case CQL_TERM_UDT: {
		/* {field: value, ...}: fields in the type's order, missing ones null */
		if (!type || type->kind != TY_UDT) {
			hl_errf(&x->err, HL_ERR_INVALID, "Invalid user type literal for %s of type %s",
				colname, type ? ty_name(type, x->a) : "?");
			goto out;
		}
		for (int i = 0; i < t->n; i++) {
			bool known = false;
			for (int f = 0; f < type->nsub && !known; f++)
				known = strcmp(type->field_names[f], t->fields[i]) == 0;
			if (!known) {
				hl_errf(&x->err, HL_ERR_INVALID, "Unknown field '%s' in value of user defined "
					"type %s", t->fields[i], type->udt_name ? type->udt_name : "?");
				goto out;
			}
		}
		for (int f = 0; f < type->nsub; f++) {
			int found = -1;
			for (int i = 0; i < t->n; i++)
				if (strcmp(type->field_names[f], t->fields[i]) == 0)
					found = i;
			q_val v = { NULL, QRY_NULL };
			if (found >= 0 && q_eval(x, t->items[found], type->sub[f], type->field_names[f], &v) < 0)
				goto out;
			if (v.len == QRY_UNSET)
				v.len = QRY_NULL;
			hl_buf_u32(&b, (uint32_t)(v.len < 0 ? -1 : v.len));
			if (v.len > 0)
				hl_buf_put(&b, v.p, (size_t)v.len);
		}
		break;
	}
	case CQL_TERM_LIST:
	case CQL_TERM_SET:
	case CQL_TERM_MAP: {
		if (type && type->kind == TY_VECTOR) {
			/* [a, b, c]: exactly dim elements, concatenated as VectorType does */
			if (t->kind != CQL_TERM_LIST && !(t->kind == CQL_TERM_SET && t->n == 0)) {
				hl_errf(&x->err, HL_ERR_INVALID, "Invalid vector literal for %s of type %s",
					colname, ty_name(type, x->a));
				goto out;
			}
			if (t->n != type->dim) {
				hl_errf(&x->err, HL_ERR_INVALID, "Invalid vector literal for %s of type %s; "
					"expected %d elements, but given %d", colname, ty_name(type, x->a),
					type->dim, t->n);
				goto out;
			}
			for (int i = 0; i < t->n; i++) {
				q_val v;
				if (q_eval(x, t->items[i], type->sub[0], colname, &v) < 0)
					goto out;
				if (v.len < 0) {
					hl_errf(&x->err, HL_ERR_INVALID, "null is not supported inside collections");
					goto out;
				}
				ty_vector_put_elem(type, v.p, (size_t)v.len, &b);
			}
			if (ty_validate(type, b.p, b.len, &x->err) < 0)
				goto out;
			break;
		}
		if (!type || (type->kind != TY_LIST && type->kind != TY_SET && type->kind != TY_MAP)) {
			hl_errf(&x->err, HL_ERR_INVALID, "Invalid collection literal for %s of type %s",
				colname, type ? ty_name(type, x->a) : "?");
			goto out;
		}
		size_t mark;
		ty_pack_begin(&b, &mark);
		for (int i = 0; i < t->n; i++) {
			q_val v;
			if (type->kind == TY_MAP) {
				if (t->kind != CQL_TERM_MAP) {
					hl_errf(&x->err, HL_ERR_INVALID, "Invalid map literal for %s", colname);
					goto out;
				}
				if (q_eval(x, t->keys[i], type->sub[0], colname, &v) < 0)
					goto out;
				ty_pack_elem(&b, v.p, v.len);
				if (q_eval(x, t->items[i], type->sub[1], colname, &v) < 0)
					goto out;
			} else if (q_eval(x, t->items[i], type->sub[0], colname, &v) < 0) {
				goto out;
			}
			if (v.len < 0) {
				hl_errf(&x->err, HL_ERR_INVALID, "null is not supported inside collections");
				goto out;
			}
			ty_pack_elem(&b, v.p, v.len);
		}
		ty_pack_end(&b, mark, t->n);
		if (ty_validate(type, b.p, b.len, &x->err) < 0)
			goto out;
		break;
	}
	case CQL_TERM_FUNC: {
		bool isnull;
		if (eval_func(x, t, type, colname, &b, &isnull) < 0)
			goto out;
		if (isnull) {
			out->p = NULL;
			out->len = QRY_NULL;
			rc = 0;
			goto out;
		}
		if (type && ty_validate(type, b.p, b.len, &x->err) < 0)
			goto out;
		break;
	}
	case CQL_TERM_TYPEHINT: {
		const ty_type *ht;
		if (ty_parse(t->type, strlen(t->type), x->a, NULL, NULL, NULL, &ht, &x->err) < 0)
			goto out;
		if (type && !ty_compatible(type, ht)) {
			hl_errf(&x->err, HL_ERR_INVALID, "Type error: cannot assign a value of type %s to "
				"%s of type %s", ty_name(ht, x->a), colname, ty_name(type, x->a));
			goto out;
		}
		rc = q_eval(x, t->left, ht, colname, out);
		goto out;
	}
	case CQL_TERM_BINOP:
	case CQL_TERM_NEG:
	case CQL_TERM_CAST:
		if (eval_arith(x, t, type, colname, out) < 0)
			goto out;
		rc = 0;
		goto out;
	default:
		hl_errf(&x->err, HL_ERR_INVALID, "Unsupported term for %s", colname);
		goto out;
	}
	out->p = b.len ? hl_arena_memdup(x->a, b.p, b.len) : (const uint8_t *)"";
	out->len = (int32_t)b.len;
	rc = 0;
out:
	hl_buf_free(&b);
	return rc;
}

/* The values of an IN restriction (a list literal or a bound list). */
int q_eval_in(qry_exec *x, const q_restr *r, const ty_type *type, const char *colname, int *n,
	      q_val **vals)
{
	if (r->op != CQL_OP_IN) {
		*n = 1;
		*vals = hl_arena_alloc(x->a, sizeof(q_val));
		return q_eval(x, r->value, type, colname, *vals);
	}
	if (r->value) {
		/* IN ?: a serialized list<type> */
		q_val lv;
		if (q_eval(x, r->value, ty_list(x->a, type, false), colname, &lv) < 0)
			return -1;
		if (lv.len < 0) {
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value for %s IN", colname);
		}
		hl_rd rd;
		hl_rd_init(&rd, lv.p, (size_t)lv.len);
		uint32_t cnt = 0;
		if (hl_rd_u32(&rd, &cnt) < 0 || cnt > (uint32_t)lv.len)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid list for IN on %s", colname);
		*vals = hl_arena_alloc(x->a, sizeof(q_val) * (cnt + 1));
		for (uint32_t i = 0; i < cnt; i++) {
			const uint8_t *p;
			int32_t len;
			if (hl_rd_pbytes(&rd, &p, &len) < 0)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid list for IN on %s", colname);
			(*vals)[i].p = p;
			(*vals)[i].len = len;
		}
		*n = (int)cnt;
		return 0;
	}
	*n = r->nvalues;
	*vals = hl_arena_alloc(x->a, sizeof(q_val) * (size_t)(r->nvalues + 1));
	for (int i = 0; i < r->nvalues; i++) {
		if (q_eval(x, r->values[i], type, colname, &(*vals)[i]) < 0)
			return -1;
		if ((*vals)[i].len == QRY_UNSET)
			return hl_errf(&x->err, HL_ERR_INVALID, "Invalid unset value for column %s", colname);
	}
	return 0;
}

/* An int-valued attribute (LIMIT, TTL, TIMESTAMP); *set false when absent/unset. */
int q_eval_int(qry_exec *x, const cql_term *t, const char *what, int64_t *out, bool *set)
{
	*set = false;
	if (!t)
		return 0;
	bool big = strcmp(what, "timestamp") == 0;
	q_val v;
	if (q_eval(x, t, ty_simple(big ? TY_BIGINT : TY_INT), what, &v) < 0)
		return -1;
	if (v.len == QRY_UNSET)
		return 0;
	if (v.len == QRY_NULL)
		return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value of %s", what);
	if (v.len != (big ? 8 : 4))
		return hl_errf(&x->err, HL_ERR_INVALID, "Invalid value of %s", what);
	*out = big ? ty_get_bigint(v.p, 8) : ty_get_int(v.p, 4);
	*set = true;
	return 0;
}

/*
 * Every partition key (cartesian product of the EQ/IN values, in the order
 * the values were given, duplicates removed), serialized as Cassandra does:
 * the value itself for one component, else [u16 len][value][0x00] each.
 */
int q_pk_keys(qry_exec *x, const sch_table *t, q_restr **pk, int *nkeys, q_val **keys)
{
	int n = 1;
	int cnt[64];
	q_val *vals[64];
	if (t->npk > 64)
		return hl_errf(&x->err, HL_ERR_INVALID, "Too many partition key columns");
	for (int i = 0; i < t->npk; i++) {
		const sch_column *c = t->pk[i];
		if (q_eval_in(x, pk[i], c->type, c->name, &cnt[i], &vals[i]) < 0)
			return -1;
		for (int j = 0; j < cnt[i]; j++) {
			if (vals[i][j].len == QRY_NULL)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid null value in condition for "
					       "column %s", c->name);
			if (vals[i][j].len == QRY_UNSET)
				return hl_errf(&x->err, HL_ERR_INVALID, "Invalid unset value for column %s",
					       c->name);
		}
		if (cnt[i] == 0) {
			*nkeys = 0;
			*keys = NULL;
			return 0;
		}
		if ((int64_t)n * cnt[i] > 100000)
			return hl_errf(&x->err, HL_ERR_INVALID, "IN restrictions on the partition key "
				       "produce too many partitions");
		n *= cnt[i];
	}
	q_val *out = hl_arena_alloc(x->a, sizeof(q_val) * (size_t)n);
	int nout = 0;
	for (int k = 0; k < n; k++) {
		int rem = k;
		int idx[64];
		for (int i = t->npk - 1; i >= 0; i--) {
			idx[i] = rem % cnt[i];
			rem /= cnt[i];
		}
		hl_buf b;
		hl_buf_init(&b);
		if (t->npk == 1) {
			q_val *v = &vals[0][idx[0]];
			hl_buf_put(&b, v->p, (size_t)v->len);
		} else {
			for (int i = 0; i < t->npk; i++) {
				q_val *v = &vals[i][idx[i]];
				if (v->len > 65535) {
					hl_buf_free(&b);
					return hl_errf(&x->err, HL_ERR_INVALID, "Key length of %d is longer "
						       "than maximum of 65535", v->len);
				}
				hl_buf_u16(&b, (uint16_t)v->len);
				hl_buf_put(&b, v->p, (size_t)v->len);
				hl_buf_u8(&b, 0);
			}
		}
		if (b.len == 0) {
			hl_buf_free(&b);
			return hl_errf(&x->err, HL_ERR_INVALID, "Key may not be empty");
		}
		if (b.len > 65535) {
			size_t l = b.len;
			hl_buf_free(&b);
			return hl_errf(&x->err, HL_ERR_INVALID, "Key length of %zu is longer than maximum "
				       "of 65535", l);
		}
		bool dup = false;
		for (int j = 0; j < nout && !dup; j++)
			dup = (size_t)out[j].len == b.len && memcmp(out[j].p, b.p, b.len) == 0;
		if (!dup) {
			out[nout].p = hl_arena_memdup(x->a, b.p, b.len);
			out[nout].len = (int32_t)b.len;
			nout++;
		}
		hl_buf_free(&b);
	}
	*nkeys = nout;
	*keys = out;
	return 0;
}

/* Split a partition key back into its components (out has t->npk entries). */
void q_split_key(const sch_table *t, const uint8_t *key, uint32_t keylen, q_val *out)
{
	if (t->npk == 1) {
		out[0].p = key;
		out[0].len = (int32_t)keylen;
		return;
	}
	hl_rd rd;
	hl_rd_init(&rd, key, keylen);
	for (int i = 0; i < t->npk; i++) {
		uint16_t l = 0;
		const uint8_t *p = NULL;
		uint8_t eoc;
		if (hl_rd_u16(&rd, &l) < 0 || hl_rd_raw(&rd, l, &p) < 0 || hl_rd_u8(&rd, &eoc) < 0) {
			out[i].p = NULL;
			out[i].len = QRY_NULL;
			continue;
		}
		out[i].p = p;
		out[i].len = l;
	}
}

/*
 * Sets and maps are stored in key order without duplicates, as Cassandra
 * stores them (its serialized sets/maps are always sorted), whatever order
 * the client sent: a later duplicate map key wins, like a literal's.
 */
typedef struct q_elem {
	const uint8_t *k, *v;
	int32_t kl, vl;
} q_elem;

int q_normalize(qry_exec *x, const ty_type *t, q_val *v)
{
	if (!t || (t->kind != TY_SET && t->kind != TY_MAP) || v->len < 4)
		return 0;
	bool map = t->kind == TY_MAP;
	hl_rd rd;
	hl_rd_init(&rd, v->p, (size_t)v->len);
	uint32_t n;
	if (hl_rd_u32(&rd, &n) < 0 || n > (uint32_t)v->len)
		return 0;
	q_elem *e = hl_arena_alloc(x->a, sizeof(q_elem) * (n + 1));
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		q_elem it = { 0 };
		if (hl_rd_pbytes(&rd, &it.k, &it.kl) < 0 || it.kl < 0)
			return 0;
		if (map && (hl_rd_pbytes(&rd, &it.v, &it.vl) < 0 || it.vl < 0))
			return 0;
		/* insertion sort keeps the first of equal keys; replace for maps */
		uint32_t j = m;
		int c = 1;
		while (j > 0 && (c = ty_compare(t->sub[0], e[j - 1].k, (size_t)e[j - 1].kl, it.k,
						(size_t)it.kl)) > 0)
			j--;
		if (j > 0 && c == 0) {
			e[j - 1] = it;
			continue;
		}
		memmove(&e[j + 1], &e[j], sizeof(q_elem) * (m - j));
		e[j] = it;
		m++;
	}
	hl_buf b;
	hl_buf_init(&b);
	hl_buf_u32(&b, m);
	for (uint32_t i = 0; i < m; i++) {
		hl_buf_pbytes(&b, e[i].k, e[i].kl);
		if (map)
			hl_buf_pbytes(&b, e[i].v, e[i].vl);
	}
	v->p = hl_arena_memdup(x->a, b.p, b.len);
	v->len = (int32_t)b.len;
	hl_buf_free(&b);
	return 0;
}
