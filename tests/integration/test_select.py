"""SELECT: partition and clustering restrictions, ordering, limits, DISTINCT,
token ranges in ring order, aggregates, aliases and ALLOW FILTERING."""
import struct

import pytest
from cassandra import InvalidRequest
from cassandra.metadata import Murmur3Token

MIN_TOKEN = -2 ** 63
MAX_TOKEN = 2 ** 63 - 1
NPART = 40
NCLUST = 6


def int_token(k):
    return Murmur3Token.from_key(struct.pack(">i", k)).value


def composite_token(*parts):
    # routing key of a composite partition key: per component u16 length, bytes, 0x00
    key = b"".join(struct.pack(">H", len(p)) + p + b"\x00" for p in parts)
    return Murmur3Token.from_key(key).value


@pytest.fixture(scope="module")
def st(session, keyspace):
    t = "%s.sel" % keyspace
    session.execute("CREATE TABLE %s (k int, c1 int, c2 int, v text, n int, PRIMARY KEY (k, c1, c2))" % t)
    ins = session.prepare("INSERT INTO %s (k, c1, c2, v, n) VALUES (?, ?, ?, ?, ?)" % t)
    for k in range(NPART):
        for c1 in range(NCLUST):
            for c2 in range(2):
                session.execute(ins, [k, c1, c2, "%d:%d:%d" % (k, c1, c2), (k * 100 + c1 * 10 + c2) % 7])
    return t


def ck(rows):
    return [(r.c1, r.c2) for r in rows]


def test_partition_equality_and_in(session, st):
    assert len(list(session.execute("SELECT * FROM %s WHERE k = 3" % st))) == NCLUST * 2
    assert list(session.execute("SELECT * FROM %s WHERE k = 999" % st)) == []
    rows = list(session.execute("SELECT k, c1, c2 FROM %s WHERE k IN (5, 1, 3) AND c1 = 0 AND c2 = 0" % st))
    assert sorted(r.k for r in rows) == [1, 3, 5]
    ps = session.prepare("SELECT k FROM %s WHERE k IN ? AND c1 = 0 AND c2 = 1" % st)
    assert sorted(r.k for r in session.execute(ps, [[7, 8, 9, 1000]])) == [7, 8, 9]


def test_clustering_restrictions(session, st):
    q = "SELECT c1, c2 FROM %s WHERE k = 1 AND " % st
    assert ck(session.execute(q + "c1 = 2")) == [(2, 0), (2, 1)]
    assert ck(session.execute(q + "c1 = 2 AND c2 = 1")) == [(2, 1)]
    assert ck(session.execute(q + "c1 IN (4, 0)")) == [(0, 0), (0, 1), (4, 0), (4, 1)]
    assert ck(session.execute(q + "c1 > 3")) == [(4, 0), (4, 1), (5, 0), (5, 1)]
    assert ck(session.execute(q + "c1 >= 1 AND c1 < 3")) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert ck(session.execute(q + "c1 = 3 AND c2 > 0")) == [(3, 1)]
    assert ck(session.execute(q + "c1 = 3 AND c2 <= 0")) == [(3, 0)]
    assert ck(session.execute(q + "(c1, c2) > (1, 0) AND (c1, c2) <= (3, 0)")) == [(1, 1), (2, 0), (2, 1), (3, 0)]
    assert ck(session.execute(q + "(c1, c2) >= (4, 1)")) == [(4, 1), (5, 0), (5, 1)]
    assert ck(session.execute(q + "(c1, c2) IN ((0, 1), (5, 0), (9, 9))")) == [(0, 1), (5, 0)]
    assert ck(session.execute(q + "c1 > 10")) == []
    assert ck(session.execute(q + "c1 > 3 AND c1 < 2")) == []


def test_order_by_and_limit(session, st):
    q = "SELECT c1, c2 FROM %s WHERE k = 2" % st
    allrows = [(a, b) for a in range(NCLUST) for b in range(2)]
    assert ck(session.execute(q)) == allrows
    assert ck(session.execute(q + " ORDER BY c1 DESC")) == list(reversed(allrows))
    assert ck(session.execute(q + " ORDER BY c1 DESC, c2 DESC")) == list(reversed(allrows))
    assert ck(session.execute(q + " ORDER BY c1 ASC LIMIT 3")) == allrows[:3]
    assert ck(session.execute(q + " AND c1 >= 2 ORDER BY c1 DESC LIMIT 3")) == [(5, 1), (5, 0), (4, 1)]
    with pytest.raises(InvalidRequest):
        session.execute(q + " ORDER BY c1 DESC, c2 ASC")  # must match or reverse the table order
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM %s ORDER BY c1 DESC" % st)  # needs the partition key restricted
    with pytest.raises(InvalidRequest):
        session.execute(q + " LIMIT 0")


def test_limit_and_per_partition_limit(session, st):
    assert len(list(session.execute("SELECT * FROM %s LIMIT 17" % st))) == 17
    rows = list(session.execute("SELECT k, c1, c2 FROM %s PER PARTITION LIMIT 2" % st))
    assert len(rows) == NPART * 2
    per = {}
    for r in rows:
        per.setdefault(r.k, []).append((r.c1, r.c2))
    assert all(v == [(0, 0), (0, 1)] for v in per.values())
    rows = list(session.execute("SELECT k FROM %s PER PARTITION LIMIT 1 LIMIT 5" % st))
    assert len(rows) == 5 and len(set(r.k for r in rows)) == 5
    rows = list(session.execute("SELECT c1, c2 FROM %s WHERE k IN (1, 2) PER PARTITION LIMIT 3" % st))
    assert len(rows) == 6


def test_distinct(session, st):
    ks = [r.k for r in session.execute("SELECT DISTINCT k FROM %s" % st)]
    assert sorted(ks) == list(range(NPART))
    assert len(ks) == NPART
    with pytest.raises(InvalidRequest):
        session.execute("SELECT DISTINCT c1 FROM %s" % st)


def test_full_scan_in_token_order(session, st):
    rows = list(session.execute("SELECT token(k), k, c1, c2 FROM %s" % st))
    assert len(rows) == NPART * NCLUST * 2
    toks = [r[0] for r in rows]
    for r in rows:
        assert r[0] == int_token(r.k), "server token(k) must equal the driver's murmur3"
    assert toks == sorted(toks), "a full scan returns partitions in token order"
    # within a partition, clustering order
    by = {}
    for r in rows:
        by.setdefault(r.k, []).append((r.c1, r.c2))
    assert all(v == sorted(v) for v in by.values())
    # partitions are contiguous
    seen, prev = set(), None
    for r in rows:
        if r.k != prev:
            assert r.k not in seen
            seen.add(r.k)
            prev = r.k


def test_token_ranges_cover_ring_once(cluster, session, st):
    ring = sorted(t.value for t in cluster.metadata.token_map.ring)
    bounds = [MIN_TOKEN] + ring + [MAX_TOKEN]
    ps = session.prepare("SELECT token(k), k, c1, c2 FROM %s WHERE token(k) > ? AND token(k) <= ?" % st)
    got = []
    for lo, hi in zip(bounds, bounds[1:]):
        part = list(session.execute(ps, [lo, hi]))
        for r in part:
            assert lo < r[0] <= hi
        got.extend(part)
    assert len(got) == NPART * NCLUST * 2
    assert len(set((r.k, r.c1, r.c2) for r in got)) == len(got)
    assert [r[0] for r in got] == sorted(r[0] for r in got)
    # literal (non-prepared) token bounds, one-sided forms, as cqlsh COPY TO sends them
    mid = ring[len(ring) // 2]
    lower = list(session.execute("SELECT k FROM %s WHERE token(k) <= %d" % (st, mid)))
    upper = list(session.execute("SELECT k FROM %s WHERE token(k) > %d" % (st, mid)))
    assert len(lower) + len(upper) == NPART * NCLUST * 2
    allk = list(session.execute("SELECT k FROM %s WHERE token(k) >= %d" % (st, MIN_TOKEN)))
    assert len(allk) == NPART * NCLUST * 2


def test_token_of_key_and_bind_types(session, st):
    ps = session.prepare("SELECT k FROM %s WHERE token(k) > ? AND token(k) <= ?" % st)
    # token() bind markers are bigint (the Spark connector binds Longs by declared type)
    assert [c.type.typename for c in ps.column_metadata] == ["bigint", "bigint"]
    assert [c[2] for c in ps.result_metadata] == ["k"]
    tok = int_token(5)
    rows = list(session.execute("SELECT k FROM %s WHERE token(k) = %d" % (st, tok)))
    assert set(r.k for r in rows) == {5} and len(rows) == NCLUST * 2
    rows = list(session.execute("SELECT k FROM %s WHERE token(k) = token(5)" % st))
    assert set(r.k for r in rows) == {5}


def test_composite_partition_key_tokens(session, keyspace):
    t = "%s.comp" % keyspace
    session.execute("CREATE TABLE %s (a int, b text, c int, PRIMARY KEY ((a, b), c))" % t)
    ins = session.prepare("INSERT INTO %s (a, b, c) VALUES (?, ?, ?)" % t)
    for a in range(5):
        for b in ("x", "yy", ""):
            session.execute(ins, [a, b, 0])
    rows = list(session.execute("SELECT token(a, b), a, b FROM %s" % t))
    assert len(rows) == 15
    for r in rows:
        assert r[0] == composite_token(struct.pack(">i", r.a), r.b.encode())
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert session.execute("SELECT token(a, b) FROM %s WHERE a = 1 AND b = 'a'" % t).one() is None
    session.execute(ins, [1, "a", 0])
    assert session.execute("SELECT token(a, b) FROM %s WHERE a = 1 AND b = 'a'" % t).one()[0] == 6516349416904725244
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM %s WHERE a = 1" % t)  # partial partition key


def test_count_and_aliases(session, st):
    r = session.execute("SELECT count(*) FROM %s" % st).one()
    assert r.count == NPART * NCLUST * 2
    rs = session.execute("SELECT COUNT(*) AS total FROM %s WHERE k = 4" % st)
    assert rs.column_names == ["total"]
    assert rs.one().total == NCLUST * 2
    assert rs.column_types[0].typename == "bigint"
    rs = session.execute("SELECT count(1) FROM %s WHERE k = 4 AND c1 > 3" % st)
    assert rs.one()[0] == 4
    rs = session.execute("SELECT v AS val, k AS key_, writetime(v) AS w FROM %s WHERE k = 1 AND c1 = 0 AND c2 = 0" % st)
    assert rs.column_names == ["val", "key_", "w"]
    row = rs.one()
    assert row.val == "1:0:0" and row.key_ == 1 and row.w > 0
    assert session.execute("SELECT count(*) FROM %s WHERE k = 12345" % st).one()[0] == 0


def test_aggregates(session, st):
    r = session.execute("SELECT min(n), max(n), sum(n), avg(n), count(n) FROM %s WHERE k = 1" % st).one()
    ns = [(100 + c1 * 10 + c2) % 7 for c1 in range(NCLUST) for c2 in range(2)]
    assert tuple(r) == (min(ns), max(ns), sum(ns), sum(ns) // len(ns), len(ns))
    # no rows: count 0, sum 0, min/max null (Cassandra's answers)
    r = session.execute("SELECT count(*), sum(n), max(n) FROM %s WHERE k = 123456" % st).one()
    assert tuple(r) == (0, 0, None)


def test_group_by(session, st):
    rows = list(session.execute("SELECT k, c1, count(*), max(c2) FROM %s WHERE k IN (1, 2) "
                                "GROUP BY k, c1" % st))
    assert [(r.k, r.c1) for r in rows] == [(k, c1) for k in (1, 2) for c1 in range(NCLUST)]
    assert all(r.count == 2 and r.system_max_c2 == 1 for r in rows)
    # a non-aggregated column shows the group's first row, as Cassandra does
    r = session.execute("SELECT k, c2, count(*) FROM %s WHERE k = 1 GROUP BY k" % st).one()
    assert (r.k, r.c2, r.count) == (1, 0, 2 * NCLUST)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT count(*) FROM %s GROUP BY c1" % st)
    assert "PRIMARY KEY" in str(ei.value)


def test_column_order_follows_select_list(session, st):
    rs = session.execute("SELECT v, c2, k, c1 FROM %s WHERE k = 1 AND c1 = 1 AND c2 = 1" % st)
    assert rs.column_names == ["v", "c2", "k", "c1"]
    assert tuple(rs.one()) == ("1:1:1", 1, 1, 1)
    rs = session.execute("SELECT * FROM %s WHERE k = 1 AND c1 = 1 AND c2 = 1" % st)
    assert rs.column_names == ["k", "c1", "c2", "n", "v"]


def test_allow_filtering(session, st):
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT * FROM %s WHERE n = 3" % st)
    assert "ALLOW FILTERING" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT * FROM %s WHERE c1 = 1" % st)
    assert "ALLOW FILTERING" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:  # a gap in the clustering prefix is a different error
        session.execute("SELECT * FROM %s WHERE k = 1 AND c2 = 1" % st)
    assert 'cannot be restricted as preceding column "c1" is not restricted' in str(ei.value)
    rows = list(session.execute("SELECT k, c1, c2, n FROM %s WHERE n = 3 ALLOW FILTERING" % st))
    want = sorted((k, c1, c2) for k in range(NPART) for c1 in range(NCLUST) for c2 in range(2)
                  if (k * 100 + c1 * 10 + c2) % 7 == 3)
    assert sorted((r.k, r.c1, r.c2) for r in rows) == want
    rows = list(session.execute("SELECT c1, c2 FROM %s WHERE k = 1 AND n > 4 ALLOW FILTERING" % st))
    want = [(c1, c2) for c1 in range(NCLUST) for c2 in range(2) if (100 + c1 * 10 + c2) % 7 > 4]
    assert ck(rows) == want
    rows = list(session.execute("SELECT k FROM %s WHERE c1 = 2 AND c2 = 0 ALLOW FILTERING" % st))
    assert sorted(r.k for r in rows) == list(range(NPART))
    # filtering combined with a token range, as the Spark connector does
    rows = list(session.execute(
        "SELECT k, n FROM %s WHERE token(k) > %d AND token(k) <= %d AND n = 0 ALLOW FILTERING"
        % (st, MIN_TOKEN, MAX_TOKEN)))
    assert all(r.n == 0 for r in rows) and rows


def test_quoted_and_spaced_forms(session, st):
    ks, tbl = st.split(".")
    q = ('SELECT "k", "c1", "c2" FROM "%s"."%s" WHERE token("k") > ? AND token("k") <= ?  ALLOW FILTERING'
         % (ks, tbl))
    ps = session.prepare(q)
    assert len(list(session.execute(ps, [MIN_TOKEN, MAX_TOKEN]))) == NPART * NCLUST * 2
    assert len(list(session.execute("select k from %s where k = 1;" % st))) == NCLUST * 2


def test_invalid_selects(session, st):
    for bad in ["SELECT nope FROM %s",
                "SELECT * FROM %s WHERE k = 'text'",
                "SELECT * FROM %s WHERE c1 = 1 AND k > 3",
                "SELECT * FROM %s WHERE k = 1 AND c2 = 1"]:  # c2 without c1, no ALLOW FILTERING
        with pytest.raises(InvalidRequest):
            session.execute(bad % st)
