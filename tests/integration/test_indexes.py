"""Secondary index structures (docs/indexes.md): a query answered through an
index returns exactly what the filtering scan of an unindexed copy of the
same data returns, in the same order and across pages, after overwrites,
deletes, TTL expiry, flushes and restarts."""
import random
import subprocess
import time

import pytest
from cassandra import InvalidRequest
from cassandra.query import SimpleStatement

from helpers import HelenusServer, finish_server, make_cluster, wait_until

COLS = "k, k2, c, s, v, t, tags, m, l, f, n, w"
SCHEMA = ("CREATE TABLE ix.%s (k int, k2 int, c int, s int static, v int, t text, tags set<int>, "
          "m map<int, int>, l list<int>, f frozen<list<int>>, n int, w text, "
          "PRIMARY KEY ((k, k2), c))")
INDEXES = ["v", "t", "s", "c", "k2", "values(tags)", "keys(m)", "values(m)", "entries(m)", "l",
           "full(f)"]
# StorageAttachedIndex on n (numeric) and w (text): equality and ranges
SAI = ["n", "w"]


def _admin(srv, *args):
    p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _ops(rng, n):
    """Random CQL writes, applied the same way to both tables."""
    out = []
    for _ in range(n):
        k, k2, c = rng.randrange(6), rng.randrange(3), rng.randrange(5)
        key = "k = %d AND k2 = %d" % (k, k2)
        row = key + " AND c = %d" % c
        ttl = " USING TTL 1" if rng.random() < 0.1 else ""
        r = rng.random()
        if r < 0.3:
            out.append("INSERT INTO ix.%%s (k, k2, c, v, t, tags, m, l, f, n, w) VALUES (%d, %d, %d, "
                       "%d, 't%d', {%d, %d}, {%d: %d}, [%d], [%d, %d], %d, 'w%d')%s"
                       % (k, k2, c, rng.randrange(4), rng.randrange(4), rng.randrange(4),
                          rng.randrange(4), rng.randrange(4), rng.randrange(4), rng.randrange(4),
                          rng.randrange(3), rng.randrange(3), rng.randrange(-3, 6),
                          rng.randrange(6), ttl))
        elif r < 0.45:
            out.append("UPDATE ix.%%s%s SET v = %d, n = %d WHERE %s"
                       % (ttl, rng.randrange(4), rng.randrange(-3, 6), row))
        elif r < 0.52:
            out.append("UPDATE ix.%%s%s SET s = %d WHERE %s" % (ttl, rng.randrange(4), key))
        elif r < 0.6:
            out.append("UPDATE ix.%%s SET tags = tags + {%d}, m[%d] = %d, l = l + [%d] WHERE %s"
                       % (rng.randrange(4), rng.randrange(4), rng.randrange(4), rng.randrange(4), row))
        elif r < 0.66:
            out.append("UPDATE ix.%%s SET tags = tags - {%d} WHERE %s" % (rng.randrange(4), row))
        elif r < 0.7:
            out.append("DELETE m[%d] FROM ix.%%s WHERE %s" % (rng.randrange(4), row))
        elif r < 0.76:
            out.append("DELETE v, t FROM ix.%%s WHERE %s" % row)
        elif r < 0.84:
            out.append("DELETE FROM ix.%%s WHERE %s" % row)
        elif r < 0.88:
            out.append("DELETE FROM ix.%%s WHERE %s" % key)
        elif r < 0.92:
            out.append("DELETE FROM ix.%%s WHERE %s AND c >= %d" % (key, rng.randrange(5)))
        else:
            out.append("UPDATE ix.%%s SET f = [%d], t = 't%d', w = 'w%d' WHERE %s"
                       % (rng.randrange(3), rng.randrange(4), rng.randrange(6), row))
    return out


def _apply(s, ops):
    for op in ops:
        s.execute(op % "t")
        s.execute(op % "u")


QUERIES = (["v = %d" % i for i in range(4)] + ["t = 't%d'" % i for i in range(4)] +
           ["s = %d" % i for i in range(4)] + ["c = %d" % i for i in range(5)] +
           ["k2 = %d" % i for i in range(3)] + ["tags CONTAINS %d" % i for i in range(4)] +
           ["m CONTAINS KEY %d" % i for i in range(4)] + ["m CONTAINS %d" % i for i in range(4)] +
           ["l CONTAINS %d" % i for i in range(4)] + ["f = [%d, %d]" % (i, j) for i in range(3)
                                                       for j in range(3)] +
           ["f = [1]", "v = 1 AND t = 't2'", "tags CONTAINS 1 AND v = 2", "c = 2 AND v = 1",
            "k2 = 1 AND s = 2", "v = 3 AND c > 1", "t = 't1' AND token(k, k2) > 0"] +
           ["m[%d] = %d" % (i, j) for i in range(4) for j in range(4)] +
           ["m[1] = 2 AND v = 1", "m[0] = 3 AND tags CONTAINS 2"] +
           ["n %s %d" % (op, i) for op in ("<", "<=", ">", ">=") for i in (-2, 0, 2, 5)] +
           ["w %s 'w%d'" % (op, i) for op in ("<", "<=", ">", ">=") for i in (0, 2, 4)] +
           ["w > 'w' AND w < 'w3'", "n >= 0 AND n < 3", "n = 4", "w = 'w1'",
            "n > 1 AND token(k, k2) < 0"])


def _rows(s, cql, fetch=None):
    st = SimpleStatement(cql, fetch_size=fetch)
    return [tuple(r) for r in s.execute(st)]


def _compare(s):
    n = 0
    for q in QUERIES:
        extra = " ALLOW FILTERING" if (" AND " in q and "token" not in q
                                       and not q.startswith("c = 2")) else ""
        want = _rows(s, "SELECT %s FROM ix.u WHERE %s ALLOW FILTERING" % (COLS, q))
        got = _rows(s, "SELECT %s FROM ix.t WHERE %s%s" % (COLS, q, extra))
        assert got == want, q
        assert _rows(s, "SELECT %s FROM ix.t WHERE %s%s" % (COLS, q, extra), fetch=3) == want, q
        lim = _rows(s, "SELECT %s FROM ix.t WHERE %s LIMIT 4%s" % (COLS, q, extra), fetch=3)
        assert lim == want[:4], q
        cnt = s.execute("SELECT count(*) FROM ix.t WHERE %s%s" % (q, extra)).one()[0]
        assert cnt == len(want), q
        n += len(want)
    assert n > 0


@pytest.fixture()
def srv(tmp_path):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    yield srv
    finish_server(srv)


def _connect(srv):
    c = make_cluster(srv.port)
    return c, c.connect()


def test_index_matches_scan(srv):
    rng = random.Random(4)
    c, s = _connect(srv)
    try:
        s.execute("CREATE KEYSPACE ix WITH replication = {'class': 'SimpleStrategy', "
                  "'replication_factor': 1}")
        s.execute(SCHEMA % "t")
        s.execute(SCHEMA % "u")
        # an index created on a table that already has data is built from it
        _apply(s, _ops(rng, 150))
        for i, target in enumerate(INDEXES):
            s.execute("CREATE INDEX t_%d ON ix.t (%s)" % (i, target))
        for col in SAI:
            s.execute("CREATE CUSTOM INDEX t_sai_%s ON ix.t (%s) USING 'StorageAttachedIndex'"
                      % (col, col))
        time.sleep(1.2)            # TTL 1 writes expire
        _compare(s)
        # then maintained on every write
        _apply(s, _ops(rng, 250))
        time.sleep(1.2)
        _compare(s)
        _admin(srv, "flush", "ix")
        _apply(s, _ops(rng, 150))
        _admin(srv, "compact", "ix", "t")
        time.sleep(1.2)
        _compare(s)
    finally:
        c.shutdown()
    assert srv.restart() == 0
    c, s = _connect(srv)
    try:
        wait_until(lambda: "ix" in c.metadata.keyspaces, timeout=10, what="keyspace")
        _compare(s)
        _apply(s, _ops(rng, 150))
        time.sleep(1.2)
        _compare(s)
        # TRUNCATE empties the index with the table
        s.execute("TRUNCATE ix.t")
        assert _rows(s, "SELECT k FROM ix.t WHERE v = 1") == []
        s.execute("INSERT INTO ix.t (k, k2, c, v) VALUES (1, 1, 1, 1)")
        assert _rows(s, "SELECT k, k2, c FROM ix.t WHERE v = 1") == [(1, 1, 1)]
    finally:
        c.shutdown()


def test_index_lifecycle(session):
    s = session
    s.execute("CREATE KEYSPACE IF NOT EXISTS ixl WITH replication = {'class': 'SimpleStrategy', "
              "'replication_factor': 1}")
    s.execute("DROP TABLE IF EXISTS ixl.t")
    s.execute("CREATE TABLE ixl.t (k int PRIMARY KEY, v int, w text)")
    for k in range(50):
        s.execute("INSERT INTO ixl.t (k, v, w) VALUES (%d, %d, 'w%d')" % (k, k % 5, k % 3))
    s.execute("CREATE INDEX t_v ON ixl.t (v)")
    want = sorted(k for k in range(50) if k % 5 == 2)
    assert sorted(r.k for r in s.execute("SELECT k FROM ixl.t WHERE v = 2")) == want
    # overwrites and deletes: the old value no longer finds the row
    s.execute("UPDATE ixl.t SET v = 9 WHERE k = 2")
    s.execute("DELETE FROM ixl.t WHERE k = 7")
    assert sorted(r.k for r in s.execute("SELECT k FROM ixl.t WHERE v = 2")) == \
        [k for k in want if k not in (2, 7)]
    assert [r.k for r in s.execute("SELECT k FROM ixl.t WHERE v = 9")] == [2]
    # hidden tables are not in the schema
    names = [r.table_name for r in s.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'ixl'")]
    assert names == ["t"]
    desc = "\n".join(r.create_statement for r in s.execute("DESCRIBE KEYSPACE ixl"))
    assert "t_v_idx" not in desc and "CREATE INDEX t_v ON ixl.t (v);" in desc
    # DROP INDEX: the query needs ALLOW FILTERING again
    s.execute("DROP INDEX ixl.t_v")
    with pytest.raises(InvalidRequest) as ei:
        s.execute("SELECT k FROM ixl.t WHERE v = 2")
    assert "ALLOW FILTERING" in str(ei.value)
    # re-created: built again from the data
    s.execute("CREATE INDEX t_v ON ixl.t (v)")
    assert [r.k for r in s.execute("SELECT k FROM ixl.t WHERE v = 9")] == [2]
    # SAI: equality through the index, ranges by the filtering scan
    s.execute("CREATE CUSTOM INDEX t_w ON ixl.t (w) USING 'StorageAttachedIndex'")
    assert sorted(r.k for r in s.execute("SELECT k FROM ixl.t WHERE w = 'w1'")) == \
        [k for k in range(50) if k % 3 == 1 and k != 7]
    assert sorted(r.k for r in s.execute("SELECT k FROM ixl.t WHERE w > 'w1'")) == \
        [k for k in range(50) if k % 3 == 2 and k != 7]
    s.execute("DROP KEYSPACE ixl")
