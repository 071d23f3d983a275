"""Randomized model test of Cassandra's write/read semantics through CQL.

For each seed in SEEDS, a fresh server gets OPS_PER_SEED random writes, every one
with an explicit USING TIMESTAMP drawn from a narrow, partly reused range (so
equal timestamps and out-of-order arrival are common), on two tables:

    t1 (k int, c int, v1 int, v2 text, s int static, PRIMARY KEY (k, c))
    t2 (k int PRIMARY KEY, a int, b text)

with k in 0..7 and c in 0..7 so that operations collide. Kinds: INSERT (row
marker + cells, some null = cell tombstones, some USING TTL 1..3 s), UPDATE of
one or both regular cells and/or the static cell (no marker), DELETE of a cell,
of the static cell, of a row, of a clustering range, of a partition, and
static-only INSERT.

A model written from Cassandra's rules predicts every row:
- per cell the write with the highest timestamp wins; on a tie a tombstone beats
  everything, an expiring (TTL'd) cell beats a permanent one (CASSANDRA-14592),
  and between permanent live cells the greater serialized value compared as
  unsigned bytes wins (int: 4-byte big-endian two's complement, so -1 > 1;
  text: UTF-8 bytes);
- the row marker: highest timestamp, on a tie an expiring marker beats a
  permanent one;
- a row, range or partition deletion with timestamp T shadows every marker and
  cell of its scope with timestamp <= T, whatever the order of arrival; static
  cells are only shadowed by partition deletions and their own tombstones;
- a row is live if its marker or any regular cell is live; a partition with a
  live static cell and no live row is one row with null clustering/regular
  columns in SELECT * (only when there is no clustering restriction).

TTLs: the server computes expiry as floor(write time in s) + ttl and a cell is
live while floor(read time) < expiry. The model knows each write's wall-clock
window and each check's window, and classifies every TTL'd write as certainly
live, certainly expired or uncertain; rows whose outcome depends on an uncertain
one are not compared in that check. Before the final checks the test sleeps
until every TTL'd write has certainly expired, so there everything is compared.

Every ~200 operations: `helenus admin flush`, sometimes `compact`, sometimes a
clean restart (SIGTERM), and once per seed a SIGKILL restart. After each phase
every row of both tables is compared (SELECT * with fetch_size 7, so paging is
exercised too, plus point reads, partition reads and single-column reads). A
mismatch reports the seed, the phase and the history of the row.
"""
import math
import random
import signal
import struct
import subprocess
import time

import pytest

from cassandra.murmur3 import murmur3
from cassandra.query import SimpleStatement

from helpers import HelenusServer, finish_server, make_cluster

SEEDS = [1, 20240611, 424242]
OPS_PER_SEED = 1500
NK = 8
NC = 8
KS = "model"

INTS = [0, 1, 2, 7, -1, -2, 127, 128, 255, 256, 65536, -65536, 2 ** 31 - 1, -2 ** 31]
TEXTS = ["", "a", "b", "ab", "B", "z", "it's", "\u00e9", "e\u0301", "\u65e5\u672c", "a\x00b",
         "\U0001F600", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]

TOMB = object()   # a cell tombstone in an effect
LIVE, DEAD = "live", "dead"
EPS = 0.05        # seconds of slack around the wall-clock windows


class _Unc:
    def __repr__(self):
        return "<uncertain>"


UNC = _Unc()      # "cannot be predicted in this check", in states and expected values


def ser(col, v):
    """The serialized form Cassandra compares for the value tie-break."""
    if col in ("v2", "b"):
        return v.encode("utf-8")
    return struct.pack(">i", v)


def lit(v, col):
    if v is None:
        return "null"
    if col in ("v2", "b"):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


# --------------------------------------------------------------------------- model

class Eff:
    """One primitive effect of a statement.
    kind: 'cell' (col, val or TOMB, ttl), 'marker' (ttl), 'rowdel', 'rangedel'
    (lo, lo_incl, hi, hi_incl; None = unbounded), 'partdel'. c is None for
    t2 rows, static cells and partition-level effects."""
    __slots__ = ("kind", "table", "k", "c", "col", "ts", "val", "ttl", "op", "rng")

    def __init__(self, kind, table, k, c, ts, col=None, val=None, ttl=0, rng=None):
        self.kind, self.table, self.k, self.c, self.ts = kind, table, k, c, ts
        self.col, self.val, self.ttl, self.rng, self.op = col, val, ttl, rng, None

    def covers(self, c):
        lo, lo_incl, hi, hi_incl = self.rng
        if lo is not None and (c < lo or (c == lo and not lo_incl)):
            return False
        if hi is not None and (c > hi or (c == hi and not hi_incl)):
            return False
        return True


class Op:
    __slots__ = ("i", "phase", "cql", "params", "effs", "w0", "w1")

    def __init__(self, i, phase, cql, params, effs):
        self.i, self.phase, self.cql, self.params, self.effs = i, phase, cql, params, effs
        self.w0 = self.w1 = None

    def __repr__(self):
        t = "" if not any(e.ttl for e in self.effs) else " [written %.3f..%.3f]" % (self.w0, self.w1)
        return "#%d (phase %d) %s %s%s" % (self.i, self.phase, self.cql,
                                            list(self.params) if self.params else "", t)


class Model:
    def __init__(self):
        self.ops = []
        self.by_part = {}  # (table, k) -> [Eff]

    def record(self, op):
        op.i = len(self.ops)
        self.ops.append(op)
        for e in op.effs:
            e.op = op
            self.by_part.setdefault((e.table, e.k), []).append(e)

    # ---- TTL classification for a check done in wall-clock window [r0, r1]
    @staticmethod
    def ttl_state(e, r0, r1):
        if not e.ttl:
            return LIVE
        ldt_lo = math.floor(e.op.w0 - EPS) + e.ttl
        ldt_hi = math.floor(e.op.w1 + EPS) + e.ttl
        if math.floor(r1 + EPS) < ldt_lo:
            return LIVE
        if math.floor(r0 - EPS) >= ldt_hi:
            return DEAD
        return UNC

    def _cell(self, cands, col, r0, r1):
        """(state, value) of one cell from its unshadowed writes."""
        if not cands:
            return DEAD, None
        top = max(e.ts for e in cands)
        g = [e for e in cands if e.ts == top]
        if any(e.val is TOMB for e in g):
            return DEAD, None
        exp = [e for e in g if e.ttl]
        if exp:
            sts = [self.ttl_state(e, r0, r1) for e in exp]
            if all(s == DEAD for s in sts):
                return DEAD, None
            if len(exp) == 1:
                return sts[0], exp[0].val
            # several expiring cells tie: the later expiry wins, then the value;
            # an expired one may also have become a tombstone in a compaction
            if all(s == LIVE for s in sts) and len({ser(col, e.val) for e in exp}) == 1:
                return LIVE, exp[0].val
            return UNC, None
        return LIVE, max(g, key=lambda e: ser(col, e.val)).val

    def _marker(self, cands, r0, r1):
        if not cands:
            return DEAD
        top = max(e.ts for e in cands)
        exp = [e for e in cands if e.ts == top and e.ttl]
        if not exp:
            return LIVE
        sts = {self.ttl_state(e, r0, r1) for e in exp}
        if LIVE in sts:
            return LIVE
        return UNC if UNC in sts else DEAD

    @staticmethod
    def _val(st, v):
        return v if st == LIVE else (None if st == DEAD else UNC)

    def row_state(self, table, k, c, r0, r1):
        """(existence state, {col: value-or-None-or-UNC}) of a regular row."""
        effs = self.by_part.get((table, k), [])
        dts = [e.ts for e in effs if e.kind == "partdel"
               or (e.kind == "rowdel" and e.c == c)
               or (e.kind == "rangedel" and e.covers(c))]
        dmax = max(dts) if dts else -1
        cols = ("v1", "v2") if table == "t1" else ("a", "b")
        mk = self._marker([e for e in effs if e.kind == "marker" and e.c == c and e.ts > dmax], r0, r1)
        states, vals = [mk], {}
        for col in cols:
            st, v = self._cell([e for e in effs if e.kind == "cell" and e.col == col and e.c == c
                                and e.ts > dmax], col, r0, r1)
            states.append(st)
            vals[col] = self._val(st, v)
        if LIVE in states:
            ex = LIVE
        elif UNC in states:
            ex = UNC
        else:
            ex = DEAD
        return ex, vals

    def static_value(self, k, r0, r1):
        effs = self.by_part.get(("t1", k), [])
        dts = [e.ts for e in effs if e.kind == "partdel"]
        dmax = max(dts) if dts else -1
        st, v = self._cell([e for e in effs if e.kind == "cell" and e.col == "s" and e.ts > dmax],
                           "s", r0, r1)
        return st, self._val(st, v)

    def expected_t1(self, r0, r1, ks=range(NK)):
        """{(k, c or None): {col: value}}, set of keys whose existence is uncertain."""
        exp, unc = {}, set()
        for k in ks:
            sst, sval = self.static_value(k, r0, r1)
            any_live = any_unc = False
            for c in range(NC):
                ex, vals = self.row_state("t1", k, c, r0, r1)
                if ex == LIVE:
                    any_live = True
                    exp[(k, c)] = dict(vals, s=sval)
                elif ex == UNC:
                    any_unc = True
                    unc.add((k, c))
            if not any_live and sst != DEAD:
                if any_unc or sst == UNC:
                    unc.add((k, None))
                else:
                    exp[(k, None)] = {"v1": None, "v2": None, "s": sval}
        return exp, unc

    def expected_t2(self, r0, r1, ks=range(NK)):
        exp, unc = {}, set()
        for k in ks:
            ex, vals = self.row_state("t2", k, None, r0, r1)
            if ex == LIVE:
                exp[k] = vals
            elif ex == UNC:
                unc.add(k)
        return exp, unc

    def history(self, table, k, c):
        """The operations that can affect row (k, c) of table (c None: t2's row
        or t1's static-only row)."""
        out = []
        for op in self.ops:
            for e in op.effs:
                if e.table != table or e.k != k:
                    continue
                if (e.kind == "partdel" or e.col == "s" or c is None or e.c == c
                        or (e.kind == "rangedel" and e.covers(c))):
                    out.append(op)
                    break
        return out


# --------------------------------------------------------------------------- op generation

class Stmt:
    """A CQL statement built from text pieces and values, rendered either with
    bind markers (prepared) or with literals."""

    def __init__(self):
        self.parts = []

    def t(self, s):
        self.parts.append(s)
        return self

    def v(self, value, col):
        self.parts.append((value, col))
        return self

    def render(self, literal):
        text, params = [], []
        for p in self.parts:
            if isinstance(p, str):
                text.append(p)
            elif literal:
                text.append(lit(*p))
            else:
                text.append("?")
                params.append(p[0])
        return "".join(text), params


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.last_ts = {}

    def ts(self, i, key, tie_p=0.15):
        r = self.r.random()
        base = 1000 + i // 10
        if r < tie_p and key in self.last_ts:
            ts = self.last_ts[key]              # an exact tie with the last write there
        elif r < 0.22:
            ts = base - self.r.randint(10, 150)  # arrives late
        else:
            ts = base + self.r.randint(0, 6)
        self.last_ts[key] = ts
        return ts

    def ttl(self, i):
        if self.r.random() < 0.12:
            return self.r.randint(1, 3)
        return 0

    def val(self, col, null_p):
        if self.r.random() < null_p:
            return None
        return self.r.choice(TEXTS if col in ("v2", "b") else INTS)

    @staticmethod
    def using(st, ts, ttl):
        st.t(" USING TIMESTAMP ").v(ts, "ts")
        if ttl:
            st.t(" AND TTL ").v(ttl, "ttl")
        return st

    def cell_effs(self, table, k, c, ts, ttl, assigns):
        out = []
        for col, v in assigns:
            cc = None if col == "s" else c
            out.append(Eff("cell", table, k, cc, ts, col=col,
                           val=TOMB if v is None else v, ttl=0 if v is None else ttl))
        return out

    def op(self, i):
        """(Stmt, [Eff]) for operation number i."""
        r = self.r
        q = "%s.%s" % (KS, "t1")
        if r.random() < 0.3:
            return self.op_t2(i)
        k, c = r.randrange(NK), r.randrange(NC)
        kind = r.choices(["insert", "update", "ustatic", "delcell", "delstatic", "delrow",
                          "delrange", "delpart", "istatic"],
                         [25, 20, 8, 8, 3, 8, 5, 3, 3])[0]
        st = Stmt()
        if kind == "insert":
            ttl = self.ttl(i)
            ts = self.ts(i, ("t1", k, c), 0.4 if ttl else 0.15)
            cols = [col for col in ("v1", "v2", "s") if r.random() < 0.6]
            assigns = [(col, self.val(col, 0.15)) for col in cols]
            st.t("INSERT INTO %s (k, c%s) VALUES (" % (q, "".join(", " + a for a, _ in assigns)))
            st.v(k, "k").t(", ").v(c, "c")
            for col, v in assigns:
                st.t(", ").v(v, col)
            st.t(")")
            self.using(st, ts, ttl)
            effs = [Eff("marker", "t1", k, c, ts, ttl=ttl)] + self.cell_effs("t1", k, c, ts, ttl, assigns)
        elif kind == "update":
            ttl = self.ttl(i)
            ts = self.ts(i, ("t1", k, c), 0.4 if ttl else 0.15)
            cols = r.choice([["v1"], ["v2"], ["v1", "v2"]])
            if r.random() < 0.2:
                cols.append("s")
            assigns = [(col, self.val(col, 0.1)) for col in cols]
            st.t("UPDATE %s" % q)
            self.using(st, ts, ttl)
            st.t(" SET ")
            for n, (col, v) in enumerate(assigns):
                st.t(("" if n == 0 else ", ") + col + " = ").v(v, col)
            st.t(" WHERE k = ").v(k, "k").t(" AND c = ").v(c, "c")
            effs = self.cell_effs("t1", k, c, ts, ttl, assigns)
        elif kind == "ustatic":
            ttl = self.ttl(i)
            ts = self.ts(i, ("t1", k, "s"), 0.4 if ttl else 0.15)
            v = self.val("s", 0.1)
            st.t("UPDATE %s" % q)
            self.using(st, ts, ttl)
            st.t(" SET s = ").v(v, "s").t(" WHERE k = ").v(k, "k")
            effs = self.cell_effs("t1", k, None, ts, ttl, [("s", v)])
        elif kind == "istatic":
            ttl = self.ttl(i)
            ts = self.ts(i, ("t1", k, "s"), 0.4 if ttl else 0.15)
            v = self.val("s", 0.0)
            st.t("INSERT INTO %s (k, s) VALUES (" % q).v(k, "k").t(", ").v(v, "s").t(")")
            self.using(st, ts, ttl)
            effs = self.cell_effs("t1", k, None, ts, ttl, [("s", v)])
        elif kind == "delcell":
            ts = self.ts(i, ("t1", k, c))
            cols = r.choice([["v1"], ["v2"], ["v1", "v2"]])
            st.t("DELETE %s FROM %s" % (", ".join(cols), q))
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k").t(" AND c = ").v(c, "c")
            effs = self.cell_effs("t1", k, c, ts, 0, [(col, None) for col in cols])
        elif kind == "delstatic":
            ts = self.ts(i, ("t1", k, "s"))
            st.t("DELETE s FROM %s" % q)
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k")
            effs = self.cell_effs("t1", k, None, ts, 0, [("s", None)])
        elif kind == "delrow":
            ts = self.ts(i, ("t1", k, c))
            st.t("DELETE FROM %s" % q)
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k").t(" AND c = ").v(c, "c")
            effs = [Eff("rowdel", "t1", k, c, ts)]
        elif kind == "delrange":
            ts = self.ts(i, ("t1", k, c))  # may tie with a row it covers
            shape = r.choice(["both", "both", "lo", "hi"])
            lo = r.randint(-1, NC - 2)
            hi = r.randint(lo + 1, NC)
            lo_incl, hi_incl = r.random() < 0.5, r.random() < 0.5
            st.t("DELETE FROM %s" % q)
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k")
            if shape in ("both", "lo"):
                st.t(" AND c %s " % (">=" if lo_incl else ">")).v(lo, "c")
            else:
                lo = None
            if shape in ("both", "hi"):
                st.t(" AND c %s " % ("<=" if hi_incl else "<")).v(hi, "c")
            else:
                hi = None
            effs = [Eff("rangedel", "t1", k, None, ts, rng=(lo, lo_incl, hi, hi_incl))]
        else:  # delpart
            ts = self.ts(i, ("t1", k, r.choice([c, "s"])))
            st.t("DELETE FROM %s" % q)
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k")
            effs = [Eff("partdel", "t1", k, None, ts)]
        return st, effs

    def op_t2(self, i):
        r = self.r
        q = "%s.t2" % KS
        k = r.randrange(NK)
        kind = r.choices(["insert", "update", "delcell", "delrow"], [40, 30, 12, 12])[0]
        ttl = self.ttl(i) if kind in ("insert", "update") else 0
        ts = self.ts(i, ("t2", k), 0.4 if ttl else 0.15)
        st = Stmt()
        if kind == "insert":
            cols = [col for col in ("a", "b") if r.random() < 0.7]
            assigns = [(col, self.val(col, 0.15)) for col in cols]
            st.t("INSERT INTO %s (k%s) VALUES (" % (q, "".join(", " + a for a, _ in assigns)))
            st.v(k, "k")
            for col, v in assigns:
                st.t(", ").v(v, col)
            st.t(")")
            self.using(st, ts, ttl)
            effs = [Eff("marker", "t2", k, None, ts, ttl=ttl)] + self.cell_effs("t2", k, None, ts, ttl, assigns)
        elif kind == "update":
            cols = r.choice([["a"], ["b"], ["a", "b"]])
            assigns = [(col, self.val(col, 0.1)) for col in cols]
            st.t("UPDATE %s" % q)
            self.using(st, ts, ttl)
            st.t(" SET ")
            for n, (col, v) in enumerate(assigns):
                st.t(("" if n == 0 else ", ") + col + " = ").v(v, col)
            st.t(" WHERE k = ").v(k, "k")
            effs = self.cell_effs("t2", k, None, ts, ttl, assigns)
        elif kind == "delcell":
            cols = r.choice([["a"], ["b"], ["a", "b"]])
            st.t("DELETE %s FROM %s" % (", ".join(cols), q))
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k")
            effs = self.cell_effs("t2", k, None, ts, 0, [(col, None) for col in cols])
        else:
            st.t("DELETE FROM %s" % q)
            self.using(st, ts, 0)
            st.t(" WHERE k = ").v(k, "k")
            effs = [Eff("partdel", "t2", k, None, ts)]
        return st, effs


# --------------------------------------------------------------------------- the run

def admin(srv, *args):
    p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "helenus admin %s failed (%d): %s%s" % (
        " ".join(args), p.returncode, p.stdout, p.stderr)
    return p.stdout


def token_of(k):
    return murmur3(struct.pack(">i", k))


class Runner:
    def __init__(self, seed, srv):
        self.seed = seed
        self.srv = srv
        self.model = Model()
        self.cluster = self.session = None
        self.prepared = {}
        self.actions = []  # what happened between phases, for the report

    def connect(self):
        self.cluster = make_cluster(self.srv.port)
        self.session = self.cluster.connect()
        self.prepared = {}

    def disconnect(self):
        if self.cluster is not None:
            self.cluster.shutdown()
        self.cluster = self.session = None

    def execute(self, cql, params=None, fetch_size=None):
        if params:
            ps = self.prepared.get(cql)
            if ps is None:
                ps = self.prepared[cql] = self.session.prepare(cql)
            if fetch_size:
                ps = ps.bind(params)
                ps.fetch_size = fetch_size
                return self.session.execute(ps)
            return self.session.execute(ps, params)
        return self.session.execute(SimpleStatement(cql, fetch_size=fetch_size))

    # ---- checks

    def fail(self, phase, problems):
        lines = ["model mismatch: seed %d, after phase %d (actions so far: %s)" % (
            self.seed, phase, "; ".join(self.actions)),
            "reproduce: HELENUS_BIN=... /usr/bin/python3 -m pytest "
            "'tests/integration/test_model.py::test_model[seed%d]'" % self.seed]
        for what, table, k, c, want, got in problems[:6]:
            lines.append("")
            lines.append("%s: %s row k=%r c=%r: expected %r, server returned %r" % (
                what, table, k, c, want, got))
            hist = self.model.history(table, k, c)
            lines.append("  history (%d ops):" % len(hist))
            lines.extend("    %r" % op for op in hist[-60:])
        if len(problems) > 6:
            lines.append("... and %d more mismatches" % (len(problems) - 6))
        pytest.fail("\n".join(lines), pytrace=False)

    @staticmethod
    def _cmp(want, got, cols):
        for col in cols:
            if want[col] is UNC:
                continue
            if want[col] != got[col]:
                return False
        return True

    def check(self, phase, allow_uncertain=True):
        m = self.model
        rnd = random.Random(self.seed * 1000 + phase)
        r0 = time.time()
        # full scans, paged 7 rows at a time
        t1 = list(self.execute("SELECT * FROM %s.t1" % KS, fetch_size=7))
        t2 = list(self.execute("SELECT * FROM %s.t2" % KS, fetch_size=7))
        points = []
        for _ in range(24):
            k, c = rnd.randrange(NK), rnd.randrange(NC)
            rows = list(self.execute("SELECT * FROM %s.t1 WHERE k = ? AND c = ?" % KS, [k, c]))
            only = list(self.execute("SELECT v1 FROM %s.t1 WHERE k = ? AND c = ?" % KS, [k, c]))
            points.append((k, c, rows, only))
        parts = []
        for _ in range(4):
            k = rnd.randrange(NK)
            parts.append((k, list(self.execute("SELECT * FROM %s.t1 WHERE k = ?" % KS, [k], fetch_size=3))))
        points2 = []
        for _ in range(8):
            k = rnd.randrange(NK)
            points2.append((k, list(self.execute("SELECT * FROM %s.t2 WHERE k = ?" % KS, [k]))))
        r1 = time.time()

        e1, u1 = m.expected_t1(r0, r1)
        e2, u2 = m.expected_t2(r0, r1)
        if not allow_uncertain:
            assert not u1 and not u2 and all(UNC not in v.values() for v in list(e1.values()) + list(e2.values())), \
                "internal: TTLs not settled before the final check"
        problems = []
        c1 = ("v1", "v2", "s")

        def as1(row):
            return {"v1": row.v1, "v2": row.v2, "s": row.s}

        # ordering of the scan: partitions by token, each contiguous, rows by c
        seen, prev_k, prev_c = [], None, None
        for row in t1:
            if row.k != prev_k:
                if row.k in seen:
                    problems.append(("scan order: partition repeated", "t1", row.k, row.c, None, [tuple(r) for r in t1]))
                seen.append(row.k)
            elif row.c is None or prev_c is None or row.c <= prev_c:
                problems.append(("scan order: clustering", "t1", row.k, row.c, None, [tuple(r) for r in t1]))
            prev_k, prev_c = row.k, row.c
        if [token_of(k) for k in seen] != sorted(token_of(k) for k in seen):
            problems.append(("scan order: tokens", "t1", None, None, None, seen))

        got1 = {}
        for row in t1:
            if (row.k, row.c) in got1:
                problems.append(("scan: duplicate row", "t1", row.k, row.c, None, tuple(row)))
            got1[(row.k, row.c)] = as1(row)
        for key in set(e1) | set(got1):
            if key in u1:
                continue
            want, got = e1.get(key), got1.get(key)
            if want is None or got is None or not self._cmp(want, got, c1):
                problems.append(("SELECT * FROM t1", "t1", key[0], key[1], want, got))

        for k, c, rows, only in points:
            if (k, c) in u1:
                continue
            want = e1.get((k, c))
            got = as1(rows[0]) if len(rows) == 1 else (None if not rows else [tuple(r) for r in rows])
            if (want is None) != (got is None) or (want is not None and not (
                    isinstance(got, dict) and self._cmp(want, got, c1))):
                problems.append(("point read SELECT * ... WHERE k AND c", "t1", k, c, want, got))
            # selecting only v1: the row is there whenever it is live, whatever v1 is
            got = [r.v1 for r in only]
            want_only = None if want is None else [want["v1"]]
            if want_only is None:
                if got:
                    problems.append(("point read SELECT v1", "t1", k, c, [], got))
            elif len(got) != 1 or (want_only[0] is not UNC and got[0] != want_only[0]):
                problems.append(("point read SELECT v1", "t1", k, c, want_only, got))

        for k, rows in parts:
            got = {(r.k, r.c): as1(r) for r in rows}
            want = {key: v for key, v in e1.items() if key[0] == k}
            for key in set(got) | set(want):
                if key in u1:
                    continue
                if key not in got or key not in want or not self._cmp(want[key], got[key], c1):
                    problems.append(("partition read SELECT * ... WHERE k", "t1", k, key[1],
                                     want.get(key), got.get(key)))
            cs = [r.c for r in rows]
            if cs != sorted(cs, key=lambda x: -1 if x is None else x) or len(set(cs)) != len(cs):
                problems.append(("partition read order", "t1", k, None, None, cs))

        got2 = {}
        for row in t2:
            if row.k in got2:
                problems.append(("scan: duplicate row", "t2", row.k, None, None, tuple(row)))
            got2[row.k] = {"a": row.a, "b": row.b}
        ks2 = [row.k for row in t2]
        if [token_of(k) for k in ks2] != sorted(token_of(k) for k in ks2):
            problems.append(("scan order: tokens", "t2", None, None, None, ks2))
        for k in set(e2) | set(got2):
            if k in u2:
                continue
            want, got = e2.get(k), got2.get(k)
            if want is None or got is None or not self._cmp(want, got, ("a", "b")):
                problems.append(("SELECT * FROM t2", "t2", k, None, want, got))
        for k, rows in points2:
            if k in u2:
                continue
            want = e2.get(k)
            got = {"a": rows[0].a, "b": rows[0].b} if len(rows) == 1 else (None if not rows else rows)
            if (want is None) != (got is None) or (want is not None and not (
                    isinstance(got, dict) and self._cmp(want, got, ("a", "b")))):
                problems.append(("point read SELECT * FROM t2 WHERE k", "t2", k, None, want, got))

        if problems:
            self.fail(phase, problems)
        return len(e1) + len(e2), len(u1) + len(u2)

    # ---- server actions

    def restart(self, how):
        self.disconnect()
        if how == "term":
            rc = self.srv.restart()
            assert rc == 0, "seed %d: SIGTERM restart exited %r\n%s" % (self.seed, rc, self.srv.stderr_tail(80))
        else:
            self.srv.proc.send_signal(signal.SIGKILL)
            self.srv.proc.wait(timeout=10)
            self.srv.exit_codes.append("killed on purpose")
            self.srv.proc = None
            self.srv.start()
        self.connect()

    def run(self):
        r = random.Random(self.seed ^ 0x5EED)
        self.connect()
        self.session.execute("CREATE KEYSPACE %s WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
        self.session.execute("CREATE TABLE %s.t1 (k int, c int, v1 int, v2 text, s int static, "
                             "PRIMARY KEY (k, c))" % KS)
        self.session.execute("CREATE TABLE %s.t2 (k int PRIMARY KEY, a int, b text)" % KS)
        # phase boundaries, ~every 200 operations
        bounds, i = [], 0
        while i < OPS_PER_SEED:
            i = min(OPS_PER_SEED, i + r.randint(150, 250))
            bounds.append(i)
        nph = len(bounds)
        kill_phase = r.randrange(1, nph - 1)
        gen = Gen(self.seed)
        i = 0
        stats = []
        for phase, end in enumerate(bounds):
            while i < end:
                st, effs = gen.op(i)
                literal = r.random() < 0.2
                cql, params = st.render(literal)
                op = Op(i, phase, cql, params, effs)
                op.w0 = time.time()
                self.execute(cql, params)
                op.w1 = time.time()
                self.model.record(op)
                i += 1
            if phase == kill_phase:
                # SIGKILL. With the default periodic commit log an acknowledged write
                # is only in the log's memory buffer until the sync thread write()s
                # it, microseconds later; a kill in that window may lose it (as
                # documented in docs/commitlog.md). To stay deterministic the kill
                # comes only after a flush, or after 0.5 s without writes.
                if r.random() < 0.5:
                    admin(self.srv, "flush", KS)
                    self.actions.append("%d: flush+SIGKILL" % phase)
                else:
                    time.sleep(0.5)
                    self.actions.append("%d: idle 0.5s+SIGKILL" % phase)
                self.restart("kill")
            else:
                a = r.choices(["none", "flush", "compact", "restart"], [1, 4, 3, 2])[0]
                if a in ("flush", "compact"):
                    admin(self.srv, "flush", KS)
                if a == "compact":
                    admin(self.srv, "compact", KS)
                if a == "restart":
                    self.restart("term")
                self.actions.append("%d: %s" % (phase, a))
            stats.append(self.check(phase))
        # let every TTL expire for certain, then compare everything, also after
        # compaction (expired cells become tombstones) and a restart
        ttl_ops = [op for op in self.model.ops if any(e.ttl for e in op.effs)]
        if ttl_ops:
            until = max(math.floor(op.w1 + EPS) + max(e.ttl for e in op.effs) for op in ttl_ops)
            wait = until + 2 * EPS - time.time() + 0.02
            if wait > 0:
                time.sleep(min(wait, 5.0))
        self.actions.append("TTLs expired")
        stats.append(self.check(nph, allow_uncertain=False))
        admin(self.srv, "flush", KS)
        admin(self.srv, "compact", KS)
        self.actions.append("flush+compact")
        stats.append(self.check(nph + 1, allow_uncertain=False))
        self.restart("term")
        self.actions.append("restart")
        stats.append(self.check(nph + 2, allow_uncertain=False))
        self.disconnect()
        print("seed %d: %d ops, %d TTL'd; actions: %s; rows compared/uncertain per check: %s" % (
            self.seed, len(self.model.ops), len(ttl_ops), "; ".join(self.actions), stats))


@pytest.mark.parametrize("seed", SEEDS, ids=["seed%d" % s for s in SEEDS])
def test_model(tmp_path, seed):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    runner = Runner(seed, srv)
    try:
        runner.run()
    finally:
        runner.disconnect()
        srv.exit_codes = [c for c in srv.exit_codes if c != "killed on purpose"]
        finish_server(srv)
